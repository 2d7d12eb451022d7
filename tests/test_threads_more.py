"""num_threads for the element-wise ops, PAD and float MEAN: ADD/SUB/MUL/DIV split over output
elements (any cut, also inside a broadcast row), PAD over output rows and float MEAN over
outputs, never over a reduction. Every test uses tensors large enough to be split and checks
that 1, 2 and 3 threads give byte-identical outputs that match NumPy."""
import numpy as np
import pytest

from litert import Interpreter
from tflite_builder import ModelBuilder

THREAD_COUNTS = (1, 2, 3)
OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}
NUMPY_OP = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide}


def _run(content, inputs, num_threads):
    interp = Interpreter(model_content=content, num_threads=num_threads)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def _same_for_all_thread_counts(content, inputs):
    """The one-thread output, after checking 2 and 3 threads give the same bytes."""
    base = _run(content, inputs, 1)
    for n in THREAD_COUNTS[1:]:
        got = _run(content, inputs, n)
        assert got.dtype == base.dtype and got.shape == base.shape
        assert got.tobytes() == base.tobytes(), (
            f"{n} threads differ from 1 thread in {np.count_nonzero(got != base)} of "
            f"{base.size} values")
    return base


# ---- ADD / SUB / MUL / DIV ----------------------------------------------------------------

def binary_model(op, a_shape, b_shape, out_shape, act=0):
    b = ModelBuilder()
    x = b.input("a", a_shape, np.float32)
    y = b.input("b", b_shape, np.float32)
    out = b.tensor("out", out_shape, np.float32)
    b.op(op, [x, y], [out], OPTIONS[op], dict(fused_activation_function=act))
    b.output(out)
    return b.build()


# (a shape, b shape): same shapes (one flat row), a channel vector (rows of 24 / 33 cut
# anywhere by the split), a scalar, and a two-sided broadcast.
SHAPES = [
    ((1, 64, 64, 32), (1, 64, 64, 32)),
    ((1, 56, 56, 24), (24,)),
    ((3, 40, 41, 33), (1, 1, 1, 33)),
    ((1,), (2, 100, 300)),
    ((4, 1, 64, 33), (1, 50, 1, 33)),
]


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL", "DIV"])
@pytest.mark.parametrize("a_shape,b_shape", SHAPES)
def test_binary_split_is_bit_identical_and_matches_numpy(op, a_shape, b_shape):
    rng = np.random.default_rng(len(a_shape) * 7 + len(b_shape))
    a = rng.uniform(-4, 4, a_shape).astype(np.float32)
    b = rng.uniform(0.5, 4, b_shape).astype(np.float32) * rng.choice([-1, 1], b_shape)
    b = b.astype(np.float32)
    expected = NUMPY_OP[op](a, b)
    assert expected.dtype == np.float32
    got = _same_for_all_thread_counts(binary_model(op, a_shape, b_shape, expected.shape),
                                      [a, b])
    # IEEE single-precision arithmetic, one operation per element: exact.
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("act,ref", [
    (3, lambda v: np.clip(v, 0, 6)),          # RELU6, applied inside the row loop
    (4, np.tanh),                             # TANH, applied per range after it
])
def test_add_fused_activation_split(act, ref):
    rng = np.random.default_rng(act)
    a = rng.uniform(-8, 8, (1, 70, 70, 16)).astype(np.float32)
    b = rng.uniform(-8, 8, (16,)).astype(np.float32)
    got = _same_for_all_thread_counts(binary_model("ADD", a.shape, b.shape, a.shape, act),
                                      [a, b])
    expected = ref(a + b).astype(np.float32)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


# ---- PAD -----------------------------------------------------------------------------------

def pad_model(op, in_shape, paddings, constant=None):
    out_shape = [d + p0 + p1 for d, (p0, p1) in zip(in_shape, paddings)]
    b = ModelBuilder()
    x = b.input("x", in_shape, np.float32)
    inputs = [x, b.constant("paddings", np.asarray(paddings, np.int32))]
    if constant is not None:
        inputs.append(b.constant("value", np.asarray([constant], np.float32)))
    y = b.tensor("y", out_shape, np.float32)
    b.op(op, inputs, [y], "PadV2Options" if op == "PADV2" else "PadOptions", {})
    b.output(y)
    return b.build()


@pytest.mark.parametrize("shape,paddings,constant", [
    ((1, 112, 112, 16), [[0, 0], [0, 1], [0, 1], [0, 0]], None),   # MobileNet's stride-2 pad
    ((1, 50, 60, 24), [[0, 0], [2, 1], [3, 4], [0, 0]], 1.5),
    ((2, 30, 40, 20), [[1, 0], [0, 2], [1, 1], [2, 3]], -2.0),     # channels padded too
    ((300, 200), [[3, 5], [0, 0]], None),                           # one row per input row
])
def test_pad_split_is_bit_identical_and_matches_numpy(shape, paddings, constant):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    op = "PAD" if constant is None else "PADV2"
    got = _same_for_all_thread_counts(pad_model(op, shape, paddings, constant), [x])
    expected = np.pad(x, paddings, constant_values=0.0 if constant is None else constant)
    np.testing.assert_array_equal(got, expected)


# ---- MEAN ----------------------------------------------------------------------------------

def mean_model(shape, axes, keep_dims):
    out_shape = [1 if d in axes else n for d, n in enumerate(shape)] if keep_dims else \
        [n for d, n in enumerate(shape) if d not in axes]
    b = ModelBuilder()
    x = b.input("x", shape, np.float32)
    a = b.constant("axes", np.asarray(axes, np.int32))
    y = b.tensor("y", out_shape, np.float32)
    b.op("MEAN", [x, a], [y], "ReducerOptions", dict(keep_dims=keep_dims))
    b.output(y)
    return b.build()


def sequential_mean(x, axes):
    """Float32 sums in memory order, one input at a time, then / count: the documented
    arithmetic of the kernel, computed independently of it."""
    kept = [d for d in range(x.ndim) if d not in axes]
    moved = np.transpose(x, kept + list(axes))
    flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
    acc = np.zeros(flat.shape[:-1], np.float32)
    for i in range(flat.shape[-1]):
        acc = (acc + flat[..., i]).astype(np.float32)
    return (acc / np.float32(flat.shape[-1])).astype(np.float32)


@pytest.mark.parametrize("shape,axes,keep_dims", [
    ((1, 7, 7, 1280), [1, 2], True),     # MobileNetV2's global average pooling
    ((2, 10, 10, 400), [1, 2], False),   # kept, reduced, kept
    ((64, 1024), [1], False),            # each output a contiguous run
    ((300, 130), [0], False),            # reduced, kept
    ((8, 16, 8, 64), [0, 2], False),     # not of the split form: one thread
])
def test_mean_split_is_bit_identical_and_matches_numpy(shape, axes, keep_dims):
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    got = _same_for_all_thread_counts(mean_model(shape, axes, keep_dims), [x])
    expected = sequential_mean(x, axes)
    np.testing.assert_array_equal(got.reshape(expected.shape), expected)
    np.testing.assert_allclose(got.reshape(expected.shape),
                               np.mean(x.astype(np.float64), axis=tuple(axes)),
                               rtol=1e-4, atol=1e-5)
