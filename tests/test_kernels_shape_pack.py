"""SHAPE and PACK against NumPy and TensorFlow Lite, and prepare-time folding of the
SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chain TensorFlow emits for a dynamic batch."""
import numpy as np
import pytest

from litert import Interpreter
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
from tflite_builder import ModelBuilder


def _run(interp_cls, content, inputs, resize=None):
    interp = interp_cls(model_content=content)
    if resize is not None:
        interp.resize_tensor_input(interp.get_input_details()[0]["index"], resize)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (1, 4, 1, 2), (2, 1, 3, 1, 2, 1)])
@pytest.mark.parametrize("out_type", [np.int32, np.int64])
def test_shape(shape, out_type):
    b = ModelBuilder()
    x = b.input("x", list(shape), np.float32)
    y = b.tensor("y", [len(shape)], out_type)
    b.op("SHAPE", [x], [y], "ShapeOptions", dict(out_type=2 if out_type == np.int32 else 4))
    b.output(y)
    content = b.build()
    x_val = np.zeros(shape, np.float32)
    (ours,) = _run(Interpreter, content, [x_val])
    expected = np.array(shape, out_type)
    np.testing.assert_array_equal(ours, expected)
    assert ours.dtype == expected.dtype
    if shape:  # TensorFlow Lite refuses to hand out the empty shape of a scalar
        (theirs,) = _run(TFLiteInterpreter, content, [x_val])
        np.testing.assert_array_equal(theirs, expected)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 4)])
@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int8])
def test_pack(shape, count, dtype):
    rng = np.random.default_rng(len(shape) * 10 + count)
    rank = len(shape)
    for axis in range(-rank - 1, rank + 1):
        b = ModelBuilder()
        xs = [b.input(f"x{i}", list(shape), dtype) for i in range(count)]
        expected_shape = np.stack([np.zeros(shape)] * count, axis=axis).shape
        y = b.tensor("y", list(expected_shape), dtype)
        b.op("PACK", xs, [y], "PackOptions", dict(values_count=count, axis=axis))
        b.output(y)
        content = b.build()
        values = [(rng.standard_normal(shape) * 50).astype(dtype) for _ in range(count)]
        (ours,) = _run(Interpreter, content, values)
        (theirs,) = _run(TFLiteInterpreter, content, values)
        expected = np.stack(values, axis=axis)
        np.testing.assert_array_equal(ours, expected)
        np.testing.assert_array_equal(theirs, expected)


def test_pack_rejects_mismatched_shapes():
    b = ModelBuilder()
    x0 = b.input("x0", [2, 3], np.float32)
    x1 = b.input("x1", [3, 2], np.float32)
    y = b.tensor("y", [2, 2, 3], np.float32)
    b.op("PACK", [x0, x1], [y], "PackOptions", dict(values_count=2, axis=0))
    b.output(y)
    interp = Interpreter(model_content=b.build())
    with pytest.raises(RuntimeError, match=r"PACK.*input 1 has shape \[3, 2\]"):
        interp.allocate_tensors()


def _dynamic_flatten_model():
    """x[N,4,3] -> reshape to [N, 12] with the shape computed from SHAPE(x) at run time."""
    b = ModelBuilder()
    x = b.input("x", [1, 4, 3], np.float32, shape_signature=[-1, 4, 3])
    shape = b.tensor("shape", [3], np.int32)
    b.op("SHAPE", [x], [shape], "ShapeOptions", dict(out_type=2))
    begin = b.constant("begin", np.array([0], np.int32))
    end = b.constant("end", np.array([1], np.int32))
    strides = b.constant("strides", np.array([1], np.int32))
    batch = b.tensor("batch", [], np.int32)
    b.op("STRIDED_SLICE", [shape, begin, end, strides], [batch], "StridedSliceOptions",
         dict(shrink_axis_mask=1))
    twelve = b.constant("twelve", np.array(12, np.int32))
    new_shape = b.tensor("new_shape", [2], np.int32)
    b.op("PACK", [batch, twelve], [new_shape], "PackOptions", dict(values_count=2, axis=0))
    y = b.tensor("y", [1, 12], np.float32, shape_signature=[-1, 12])
    b.op("RESHAPE", [x, new_shape], [y])
    b.output(y)
    return b.build()


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_dynamic_reshape_chain_is_folded(batch):
    content = _dynamic_flatten_model()
    x = np.arange(batch * 12, dtype=np.float32).reshape(batch, 4, 3)
    (ours,) = _run(Interpreter, content, [x], resize=[batch, 4, 3])
    (theirs,) = _run(TFLiteInterpreter, content, [x], resize=[batch, 4, 3])
    np.testing.assert_array_equal(ours, x.reshape(batch, 12))
    np.testing.assert_array_equal(theirs, x.reshape(batch, 12))
