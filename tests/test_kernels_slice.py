"""SLICE: begin / size (INT32 or INT64, constant), size -1 = to the end, any element type.

Each case builds a one-op model, runs it in litert and compares with NumPy basic slicing
x[b0:b0+s0, ...] and with TensorFlow Lite's reference kernels (ai_edge_litert,
OpResolverType.BUILTIN_REF) on the same model bytes. Tolerance: none (a copy is exact, for
every element type, byte for byte). Out-of-range begin / size are rejected at prepare, as
TensorFlow Lite rejects them.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite
from tflite_builder import ModelBuilder


def slice_model(x_shape, dtype, begin, size, index_dtype=np.int32, out_shape=None,
                const=True):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, dtype)
    if const:
        b = mb.constant("begin", np.asarray(begin, index_dtype))
        s = mb.constant("size", np.asarray(size, index_dtype))
    else:
        b = mb.input("begin", [len(begin)], index_dtype)
        s = mb.input("size", [len(size)], index_dtype)
    y = mb.tensor("y", out_shape if out_shape is not None else [1] * len(x_shape), dtype)
    mb.op("SLICE", [x, b, s], [y], "SliceOptions", {})
    mb.output(y)
    return mb.build()


def reference(x, begin, size):
    return x[tuple(slice(b, x.shape[d] if s == -1 else b + s)
                   for d, (b, s) in enumerate(zip(begin, size)))]


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), shape, dtype=dtype)


def check(x, begin, size, index_dtype=np.int32):
    ref = reference(x, begin, size)
    model = slice_model(x.shape, x.dtype, begin, size, index_dtype, ref.shape)
    got = run_litert(model, [x])
    assert got.dtype == x.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got, run_tflite(model, [x]))


CASES = [
    ((4, 5), [1, 2], [2, 3]),
    ((4, 5), [0, 0], [-1, -1]),          # everything
    ((4, 5), [3, 0], [1, -1]),           # last row
    ((2, 3, 4), [1, 0, 1], [1, 3, 2]),
    ((2, 3, 4), [0, 1, 0], [-1, 2, -1]),
    ((2, 3, 4, 5), [0, 1, 2, 3], [2, 1, 2, 2]),
    ((3, 4, 5, 6, 2), [1, 0, 2, 1, 0], [2, -1, 3, 4, 1]),
    ((7,), [3], [0]),                    # empty
    ((7,), [7], [-1]),                   # begin at the end: empty
    ((1, 8, 8, 3), [0, 2, 2, 0], [1, 4, 4, 3]),  # a crop
]


@pytest.mark.parametrize("shape,begin,size", CASES)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_slice_float32(shape, begin, size, index_dtype):
    check(sample(shape, np.float32, len(shape)), begin, size, index_dtype)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_,
                                   np.float16])
def test_slice_types(dtype):
    check(sample((3, 4, 5), dtype), [1, 1, 0], [2, -1, 3])


def test_slice_rank0():
    """A scalar: begin and size are empty vectors; the output is the scalar."""
    x = np.float32(2.5).reshape(())
    model = slice_model((), np.float32, np.zeros(0, np.int32), np.zeros(0, np.int32),
                        out_shape=())
    got = run_litert(model, [x])
    assert got.shape == () and got == 2.5


def _expect_error(model, match):
    with pytest.raises(RuntimeError, match=match):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("begin,size,match", [
    ([-1, 0], [1, 1], r"begin\[0\] is -1"),
    ([5, 0], [0, 1], r"begin\[0\] is 5"),
    ([1, 2], [4, 1], r"size\[0\] is 4"),
    ([1, 2], [1, -2], r"size\[1\] is -2"),
    ([1, 2], [1, 4], r"size\[1\] is 4"),
    ([1], [1], r"expected \[2\]"),
])
def test_slice_errors(begin, size, match):
    model = slice_model((4, 5), np.float32, begin, size)
    _expect_error(model, match)
    with pytest.raises((RuntimeError, ValueError)):  # TensorFlow Lite rejects them too
        run_tflite(model, [np.zeros((4, 5), np.float32)])


def test_slice_mixed_index_types():
    mb = ModelBuilder()
    x = mb.input("x", (4, 5))
    b = mb.constant("begin", np.array([0, 0], np.int32))
    s = mb.constant("size", np.array([1, 1], np.int64))
    y = mb.tensor("y", (1, 1))
    mb.op("SLICE", [x, b, s], [y], "SliceOptions", {})
    mb.output(y)
    _expect_error(mb.build(), "like begin")


def test_slice_with_a_run_time_size_cannot_be_a_graph_output():
    """A size computed at run time makes the output shape dynamic: allowed inside graphs
    (CONCATENATION reassembles such slices), not as what the caller reads back."""
    _expect_error(slice_model((4, 5), np.float32, [0, 0], [1, 1], const=False),
                  "known only at run time")


def _slice_run_time_begin_model(x_shape, size):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, np.float32)
    b = mb.input("begin", [len(size)], np.int32)
    s = mb.constant("size", np.asarray(size, np.int32))
    y = mb.tensor("y", list(size), np.float32)
    mb.op("SLICE", [x, b, s], [y], "SliceOptions", {})
    mb.output(y)
    return mb.build()


def test_slice_with_a_run_time_begin():
    """begin computed at run time (a loop counter in TensorFlow's recurrent loops) with a
    constant size: the output shape is fixed, begin is checked at every invoke."""
    from litert import Interpreter

    x = sample((4, 5, 3), np.float32)
    it = Interpreter(model_content=_slice_run_time_begin_model((4, 5, 3), [2, 5, 2]))
    it.allocate_tensors()
    ins = it.get_input_details()
    it.set_tensor(ins[0]["index"], x)
    for begin in ([0, 0, 0], [2, 0, 1], [1, 0, 0]):
        it.set_tensor(ins[1]["index"], np.asarray(begin, np.int32))
        it.invoke()
        got = it.get_tensor(it.get_output_details()[0]["index"])
        np.testing.assert_array_equal(got, reference(x, begin, [2, 5, 2]))
    it.set_tensor(ins[1]["index"], np.asarray([3, 0, 0], np.int32))
    with pytest.raises(RuntimeError, match=r"begin\[0\] is 3 at run time"):
        it.invoke()
