"""CONCATENATION and DEQUANTIZE.

Each case runs a one-op model in litert and compares with NumPy and, where TensorFlow Lite
supports the case, with its reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on
the same model bytes.

Tolerance: none anywhere in this file.
  CONCATENATION copies bytes (then clamps, for a fused activation on float32).
  DEQUANTIZE float16 -> float32 is exact for every half value; compared bit for bit, NaN
      payloads included, with NumPy's astype(np.float32) and with TensorFlow Lite.
  DEQUANTIZE int -> float32: scale * (q - zero_point) with q - zero_point exact, so one float32
      rounding: NumPy's float32 product, and TensorFlow Lite's double product rounded to float,
      give the same bits.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite
from tflite_builder import ModelBuilder

ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6, ACT_TANH = range(5)



def allocate(model):
    Interpreter(model_content=model).allocate_tensors()


# ---- CONCATENATION -------------------------------------------------------------------------

def concat_model(arrays, axis, act=ACT_NONE, *, constant=(), quant=None, out_shape=None,
                 out_dtype=None):
    """One CONCATENATION over `arrays`; indices in `constant` become constant tensors, the
    others graph inputs (in order). Returns (model bytes, input arrays)."""
    b = ModelBuilder()
    tensors, inputs = [], []
    for i, a in enumerate(arrays):
        if i in constant:
            tensors.append(b.constant(f"c{i}", a, quant=quant))
        else:
            tensors.append(b.input(f"x{i}", a.shape, a.dtype, quant=quant))
            inputs.append(a)
    if out_shape is None:
        out_shape = np.concatenate(arrays, axis=axis).shape
    out = b.tensor("out", out_shape, out_dtype or arrays[0].dtype, quant=quant)
    b.op("CONCATENATION", tensors, [out], "ConcatenationOptions",
         dict(axis=axis, fused_activation_function=act))
    b.output(out)
    return b.build(), inputs


def random_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
    return np.asarray(rng.standard_normal(shape) * 3, dtype)


def concat_operands(rng, shape, axis, extents, dtype=np.float32):
    """Arrays of `shape` except along `axis`, where they take `extents`."""
    arrays = []
    for extent in extents:
        s = list(shape)
        s[axis] = extent
        arrays.append(random_array(rng, s, dtype))
    return arrays


# (shape, axis, extents along the axis): every axis of ranks 1-6 with positive and negative
# axes, one to five inputs, extents of 1 and an empty (0) input in the middle.
CONCAT_CASES = [
    ((5,), 0, (5, 3)), ((5,), -1, (1, 2, 3)), ((4,), 0, (4,)),
    ((2, 3), 0, (2, 1)), ((2, 3), 1, (3, 4, 1)), ((2, 3), -2, (2, 2, 2, 2, 2)),
    ((2, 3, 4), 0, (1, 2)), ((2, 3, 4), 1, (3, 0, 2)), ((2, 3, 4), 2, (4, 5)),
    ((2, 3, 4), -1, (1, 1, 1)),
    ((1, 4, 4, 3), 3, (3, 5)), ((1, 4, 4, 3), 1, (4, 2)), ((2, 4, 4, 3), -4, (2, 1, 3)),
    ((2, 3, 2, 2, 3), 2, (2, 3)), ((2, 3, 2, 2, 3), -1, (3, 1, 2, 2)),
    ((2, 1, 3, 2, 2, 3), 0, (2, 2)), ((2, 1, 3, 2, 2, 3), 3, (2, 1, 4)),
    ((2, 1, 3, 2, 2, 3), -1, (3, 3)),
]


@pytest.mark.parametrize("case", CONCAT_CASES, ids=str)
def test_concat_float(case):
    shape, axis, extents = case
    arrays = concat_operands(np.random.default_rng(len(extents)), shape, axis, extents)
    model, inputs = concat_model(arrays, axis)
    ours = run_litert(model, inputs)
    expected = np.concatenate(arrays, axis=axis)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(ours, run_tflite(model, inputs))


@pytest.mark.parametrize("constant", [(0,), (1,), (0, 2)], ids=str)
def test_concat_with_constant_inputs(constant):
    arrays = concat_operands(np.random.default_rng(2), (2, 3, 4), 1, (3, 2, 1))
    model, inputs = concat_model(arrays, 1, constant=constant)
    ours = run_litert(model, inputs)
    np.testing.assert_array_equal(ours, np.concatenate(arrays, axis=1))
    np.testing.assert_array_equal(ours, run_tflite(model, inputs))


# TensorFlow Lite's CONCATENATION supports these types; litert copies any type by size.
TFLITE_CONCAT_TYPES = [np.int32, np.int64, np.uint8, np.int8, np.int16, np.bool_]


@pytest.mark.parametrize("dtype", TFLITE_CONCAT_TYPES + [np.float16, np.uint32],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", [((2, 3, 4), 1, (3, 1, 2)), ((3,), 0, (3, 5)),
                                  ((2, 2, 1, 3), -1, (3, 1))], ids=str)
def test_concat_other_types(dtype, case):
    shape, axis, extents = case
    arrays = concat_operands(np.random.default_rng(7), shape, axis, extents, dtype)
    quant = None
    if np.dtype(dtype) in (np.int8, np.uint8, np.int16):  # one shared quantization
        quant = dict(scale=[0.05], zero_point=[0 if dtype == np.int16 else 3])
    model, inputs = concat_model(arrays, axis, quant=quant)
    ours = run_litert(model, inputs)
    assert ours.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ours, np.concatenate(arrays, axis=axis))
    if dtype in TFLITE_CONCAT_TYPES:
        np.testing.assert_array_equal(ours, run_tflite(model, inputs))


@pytest.mark.parametrize("act,lo,hi", [(ACT_RELU, 0, None), (ACT_RELU_N1_TO_1, -1, 1),
                                       (ACT_RELU6, 0, 6)])
def test_concat_fused_activation_float(act, lo, hi):
    # The format's meaning. TensorFlow Lite's float kernel ignores a fused activation on
    # CONCATENATION (its converter never writes one), so NumPy only.
    arrays = concat_operands(np.random.default_rng(act), (2, 3), 1, (3, 4))
    arrays[0][0, 0] = np.nan
    model, inputs = concat_model(arrays, 1, act)
    ours = run_litert(model, inputs)
    np.testing.assert_array_equal(ours, np.clip(np.concatenate(arrays, axis=1), lo, hi))


def test_concat_fused_tanh_float():
    arrays = concat_operands(np.random.default_rng(0), (4,), 0, (4, 2))
    model, inputs = concat_model(arrays, 0, ACT_TANH)
    np.testing.assert_allclose(run_litert(model, inputs), np.tanh(np.concatenate(arrays)),
                               rtol=1e-6)


def test_concat_fused_activation_on_int32_rejected():
    arrays = concat_operands(np.random.default_rng(0), (4,), 0, (4, 2), np.int32)
    model, _ = concat_model(arrays, 0, ACT_RELU)
    with pytest.raises((RuntimeError, ValueError), match="expected NONE"):
        allocate(model)


@pytest.mark.parametrize("axis", [2, -3, 5])
def test_concat_axis_out_of_range_rejected(axis):
    arrays = concat_operands(np.random.default_rng(0), (2, 3), 0, (2, 2))
    model, _ = concat_model(arrays, axis, out_shape=(4, 3))
    with pytest.raises((RuntimeError, ValueError), match=r"axis is .*expected a value in \[-2, 2\)"):
        allocate(model)


def test_concat_mismatched_shapes_rejected():
    a = np.zeros((2, 3), np.float32)
    b = np.zeros((2, 4), np.float32)
    model, _ = concat_model([a, b], 0, out_shape=(4, 3))
    with pytest.raises((RuntimeError, ValueError), match="input 1 has shape"):
        allocate(model)


def test_concat_mismatched_types_rejected():
    a = np.zeros((2,), np.float32)
    b = np.zeros((2,), np.int32)
    model, _ = concat_model([a, b], 0, out_shape=(4,), out_dtype=np.float32)
    with pytest.raises((RuntimeError, ValueError), match="input 1 has type INT32"):
        allocate(model)


def test_concat_different_quantization_rejected():
    b = ModelBuilder()
    x = b.input("x", [2], np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    y = b.input("y", [2], np.int8, quant=dict(scale=[0.2], zero_point=[0]))
    out = b.tensor("out", [4], np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    b.op("CONCATENATION", [x, y], [out], "ConcatenationOptions", dict(axis=0))
    b.output(out)
    with pytest.raises((RuntimeError, ValueError), match="input 1 has a different quantization"):
        allocate(b.build())


# ---- DEQUANTIZE ----------------------------------------------------------------------------

def dequantize_model(q, *, constant=True, quant=None):
    b = ModelBuilder()
    if constant:
        x = b.constant("q", q, quant=quant)
    else:
        x = b.input("q", q.shape, q.dtype, quant=quant)
    y = b.tensor("y", q.shape, np.float32)
    b.op("DEQUANTIZE", [x], [y])
    b.output(y)
    return b.build()


def assert_same_bits(ours, expected):
    assert ours.dtype == np.float32 and ours.shape == expected.shape
    np.testing.assert_array_equal(ours.view(np.uint32), expected.view(np.uint32))


def test_dequantize_every_float16_value():
    # All 65536 bit patterns: zeros, subnormals, normals, infinities, signalling and quiet
    # NaNs with their payloads.
    halves = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    model = dequantize_model(halves)
    ours = run_litert(model, [])
    assert_same_bits(ours, halves.astype(np.float32))
    assert_same_bits(ours, run_tflite(model, []))


@pytest.mark.parametrize("constant", [True, False], ids=["const", "input"])
@pytest.mark.parametrize("shape", [(), (1,), (9,), (3, 4), (2, 3, 4), (1, 3, 3, 8),
                                   (2, 1, 3, 2, 2), (2, 2, 1, 3, 2, 3)], ids=str)
def test_dequantize_float16_shapes(shape, constant):
    rng = np.random.default_rng(len(shape))
    q = np.asarray(rng.standard_normal(shape) * 100, np.float16)
    flat = q.reshape(-1)
    edges = np.array([np.inf, -np.inf, np.nan, 6e-8, -0.0, 65504], np.float16)
    flat[: min(flat.size, edges.size)] = edges[: flat.size]
    model = dequantize_model(q, constant=constant)
    inputs = [] if constant else [q]
    ours = run_litert(model, inputs)
    assert_same_bits(ours, q.astype(np.float32))
    assert_same_bits(ours, run_tflite(model, inputs))


INT_TYPES = {np.int8: (-128, 127), np.uint8: (0, 255), np.int16: (-32768, 32767)}


@pytest.mark.parametrize("dtype", list(INT_TYPES), ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("constant", [True, False], ids=["const", "input"])
@pytest.mark.parametrize("shape", [(), (7,), (2, 3, 4), (1, 2, 2, 3, 2, 2)], ids=str)
def test_dequantize_int_per_tensor(dtype, constant, shape):
    lo, hi = INT_TYPES[dtype]
    q = np.asarray(np.random.default_rng(1).integers(lo, hi, shape, endpoint=True), dtype)
    scale, zero_point = np.float32(0.0371), {np.int8: -5, np.uint8: 131, np.int16: 0}[dtype]
    model = dequantize_model(q, constant=constant,
                             quant=dict(scale=[scale], zero_point=[zero_point]))
    inputs = [] if constant else [q]
    ours = run_litert(model, inputs)
    expected = (scale * (q.astype(np.float32) - np.float32(zero_point))).astype(np.float32)
    assert_same_bits(ours, expected)
    assert_same_bits(ours, run_tflite(model, inputs))


@pytest.mark.parametrize("dimension", [0, 1, 2, 3])
def test_dequantize_int8_per_channel(dimension):
    rng = np.random.default_rng(dimension)
    shape = (3, 4, 2, 5)
    q = rng.integers(-128, 127, shape, endpoint=True).astype(np.int8)
    channels = shape[dimension]
    scales = rng.uniform(0.001, 2.0, channels).astype(np.float32)
    zero_points = rng.integers(-128, 127, channels, endpoint=True)
    model = dequantize_model(q, quant=dict(scale=scales, zero_point=zero_points,
                                           quantized_dimension=dimension))
    ours = run_litert(model, [])
    bshape = [1] * q.ndim
    bshape[dimension] = channels
    expected = scales.reshape(bshape) * (q.astype(np.float32)
                                         - zero_points.astype(np.float32).reshape(bshape))
    assert_same_bits(ours, expected.astype(np.float32))
    assert_same_bits(ours, run_tflite(model, []))


def test_dequantize_uint8_per_channel():
    # TensorFlow Lite only dequantizes int8 per channel; NumPy only.
    q = np.random.default_rng(0).integers(0, 255, (2, 3, 4), endpoint=True).astype(np.uint8)
    scales = np.array([0.5, 0.25, 3.0], np.float32)
    zero_points = np.array([0, 128, 255])
    model = dequantize_model(q, quant=dict(scale=scales, zero_point=zero_points,
                                           quantized_dimension=1))
    expected = scales[:, None] * (q.astype(np.float32) - zero_points[:, None].astype(np.float32))
    assert_same_bits(run_litert(model, []), expected.astype(np.float32))


def test_dequantize_int8_without_quantization_rejected():
    q = np.zeros((3,), np.int8)
    with pytest.raises((RuntimeError, ValueError), match="no quantization parameters"):
        allocate(dequantize_model(q))


def test_dequantize_zero_point_out_of_range_rejected():
    q = np.zeros((3,), np.int8)
    with pytest.raises((RuntimeError, ValueError), match="zero point 200"):
        allocate(dequantize_model(q, quant=dict(scale=[1.0], zero_point=[200])))


def test_dequantize_per_channel_count_mismatch_rejected():
    q = np.zeros((2, 3), np.int8)
    quant = dict(scale=[1.0, 2.0], zero_point=[0, 0], quantized_dimension=1)
    with pytest.raises((RuntimeError, ValueError), match="2 per-channel scales for dimension 1"):
        allocate(dequantize_model(q, quant=quant))


def test_dequantize_unsupported_type_rejected():
    q = np.zeros((3,), np.int32)
    with pytest.raises((RuntimeError, ValueError), match="expected FLOAT16, INT8, UINT8 or INT16"):
        allocate(dequantize_model(q))
