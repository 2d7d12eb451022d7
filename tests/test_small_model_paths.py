"""The per-call paths that dominate small models: Interpreter.invoke / set_tensor /
get_tensor's fast paths (litert/interpreter.py) and the small-op kernels.

set_tensor() and get_tensor() remember, per tensor, where its memory is once a call on it
has passed every check since the last allocate_tensors(); later calls with a value of the
same dtype and shape copy straight in or out. These tests pin down that the remembered
state never outlives what it describes: a resize / reallocation, close(), a wrong dtype or
shape, a constant tensor, a bad index or subgraph all behave exactly as on the first call.
"""
import numpy as np
import pytest

from litert import Interpreter
from tflite_builder import ModelBuilder

NONE = 0


@pytest.fixture(scope="module")
def add_model():
    """z = x + c (c a constant [3]); x has a dynamic batch."""
    b = ModelBuilder()
    x = b.input("x", [2, 3], np.float32, shape_signature=[-1, 3])
    c = b.constant("c", np.array([1.0, 2.0, 3.0], np.float32))
    z = b.tensor("z", [2, 3], np.float32, shape_signature=[-1, 3])
    b.op("ADD", [x, c], [z], "AddOptions", dict(fused_activation_function=NONE))
    b.output(z)
    return b.build()


def _ready(model):
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    return it, it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]


def test_repeated_set_get_invoke(add_model):
    it, x, z = _ready(add_model)
    c = np.array([1.0, 2.0, 3.0], np.float32)
    for i in range(5):  # the first call takes the full path, the others the fast one
        value = np.full((2, 3), i, np.float32)
        it.set_tensor(x, value)
        it.invoke()
        np.testing.assert_array_equal(it.get_tensor(z), value + c)
        np.testing.assert_array_equal(it.get_tensor(x), value)


def test_get_tensor_returns_independent_copies(add_model):
    it, x, z = _ready(add_model)
    it.set_tensor(x, np.ones((2, 3), np.float32))
    it.invoke()
    first = it.get_tensor(z)
    second = it.get_tensor(z)
    assert first is not second and first.flags.owndata and first.flags.writeable
    first[:] = -7
    np.testing.assert_array_equal(it.get_tensor(z), second)
    second[:] = 9
    np.testing.assert_array_equal(it.get_tensor(z), [[2, 3, 4]] * 2)


def test_set_tensor_copies_the_value(add_model):
    it, x, z = _ready(add_model)
    value = np.zeros((2, 3), np.float32)
    it.set_tensor(x, value)
    it.set_tensor(x, value)  # fast path
    value[:] = 5  # changing the caller's array afterwards does not reach the tensor
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(z), [[1, 2, 3]] * 2)


def test_fast_set_accepts_non_contiguous_values(add_model):
    it, x, z = _ready(add_model)
    it.set_tensor(x, np.zeros((2, 3), np.float32))
    wide = np.arange(12, dtype=np.float32).reshape(2, 6)
    it.set_tensor(x, wide[:, ::2])
    np.testing.assert_array_equal(it.get_tensor(x), wide[:, ::2])
    it.set_tensor(x, wide[:, ::2].T.copy().T)  # Fortran order
    np.testing.assert_array_equal(it.get_tensor(x), wide[:, ::2])


def test_checks_still_apply_after_fast_calls(add_model):
    it, x, z = _ready(add_model)
    it.set_tensor(x, np.zeros((2, 3), np.float32))
    it.get_tensor(z)
    with pytest.raises(ValueError, match="got value of type float64"):
        it.set_tensor(x, np.zeros((2, 3), np.float64))
    with pytest.raises(ValueError, match="dimension mismatch"):
        it.set_tensor(x, np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="got value of type float64"):
        it.set_tensor(x, [[0.0] * 3] * 2)  # a list is converted (to float64), then checked
    with pytest.raises(ValueError, match="subgraph_index 1"):
        it.get_tensor(z, subgraph_index=1)
    with pytest.raises(ValueError, match="tensor index must be an int"):
        it.get_tensor(float(z))
    with pytest.raises(ValueError, match="Invalid tensor index"):
        it.set_tensor(1000, np.zeros((2, 3), np.float32))
    # NumPy integer indices work (full path)
    it.set_tensor(np.int64(x), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(it.get_tensor(np.int32(x)), np.ones((2, 3)))


def test_constant_tensor_is_refused_every_time(add_model):
    it, _, _ = _ready(add_model)
    c = next(d["index"] for d in it.get_tensor_details() if d["name"] == "c")
    np.testing.assert_array_equal(it.get_tensor(c), [1, 2, 3])
    np.testing.assert_array_equal(it.get_tensor(c), [1, 2, 3])  # fast path reads it too
    for _ in range(2):
        with pytest.raises(ValueError, match="constant"):
            it.set_tensor(c, np.zeros(3, np.float32))


def test_resize_and_reallocate_forget_old_buffers(add_model):
    it, x, z = _ready(add_model)
    it.set_tensor(x, np.ones((2, 3), np.float32))
    it.invoke()
    it.get_tensor(z)
    it.resize_tensor_input(x, [4, 3])
    with pytest.raises(ValueError):  # not allocated: refused, not written to freed memory
        it.set_tensor(x, np.ones((2, 3), np.float32))
    it.allocate_tensors()
    with pytest.raises(ValueError, match="dimension mismatch"):
        it.set_tensor(x, np.ones((2, 3), np.float32))
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    it.set_tensor(x, value)
    it.invoke()
    out = it.get_tensor(z)
    assert out.shape == (4, 3)
    np.testing.assert_array_equal(out, value + [1, 2, 3])
    it.allocate_tensors()  # same shapes, new arena: values set again are seen
    it.set_tensor(x, value * 2)
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(z), value * 2 + [1, 2, 3])


def test_closed_interpreter_refuses_every_call(add_model):
    it, x, z = _ready(add_model)
    it.set_tensor(x, np.ones((2, 3), np.float32))
    it.invoke()
    it.get_tensor(z)
    it.close()
    with pytest.raises(ValueError, match="closed"):
        it.set_tensor(x, np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="closed"):
        it.get_tensor(z)
    with pytest.raises(ValueError, match="closed"):
        it.invoke()


def test_invoke_before_allocate_raises_runtime_error(add_model):
    it = Interpreter(model_content=add_model)
    with pytest.raises(RuntimeError, match="allocate"):
        it.invoke()


# ---- small data-movement ops ------------------------------------------------------------------

def transpose_model(shape, perm, dtype):
    b = ModelBuilder()
    x = b.input("x", shape, dtype)
    p = b.constant("perm", np.array(perm, np.int32))
    y = b.tensor("y", [shape[i] for i in perm], dtype)
    b.op("TRANSPOSE", [x, p], [y], "TransposeOptions", {})
    b.output(y)
    return b.build()


@pytest.mark.parametrize("shape, perm", [
    ((1, 32, 4, 16), (0, 2, 1, 3)),   # a transformer's head split: rows of 16 floats
    ((1, 4, 32, 16), (0, 2, 1, 3)),   # and merge
    ((3, 5, 2, 8), (2, 0, 1, 3)),     # three outer dimensions, rows of 8
    ((2, 3, 4, 5, 4), (1, 0, 3, 2, 4)),  # four outer dimensions: the general path
    ((6, 7, 32), (1, 0, 2)),          # rows of 128 bytes
    ((5, 3), (1, 0)),                 # rows of one element
    ((1, 1, 9), (2, 1, 0)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_transpose_matches_numpy(shape, perm, dtype):
    x = (np.arange(int(np.prod(shape))) % 101 - 50).astype(dtype).reshape(shape)
    it = Interpreter(model_content=transpose_model(shape, perm, dtype))
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]),
                                  np.transpose(x, perm))
