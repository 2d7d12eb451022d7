"""Hybrid (dynamic-range) FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D: float32 input and
output, int8 weights with per-tensor or per-channel scales.

litert follows TensorFlow Lite's hybrid arithmetic as its default kernels (XNNPACK) compute
it: the input is quantized to int8 asymmetrically at every invoke (per row for
FULLY_CONNECTED, per batch image for the convolutions), int8 products are accumulated in
int32 and scaled back. Checked against TensorFlow Lite's default kernels within
TIGHT_TOLERANCE of the output's magnitude, and against its reference kernels: within
TIGHT_TOLERANCE (bit for bit for FULLY_CONNECTED) where they quantize asymmetrically too
(FULLY_CONNECTED with asymmetric_quantize_inputs; convolutions with per-channel scales),
within HYBRID_TOLERANCE where they quantize symmetrically instead. The float computation
with dequantized weights (NumPy) is matched within HYBRID_TOLERANCE, the input's
quantization error."""
import numpy as np
import pytest

from op_runner import run_litert, run_tflite, run_tflite_default
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3

# Symmetric vs asymmetric input quantization, or none (NumPy): largest difference over max
# |output| seen is 1.7%; the bound leaves room for the quantization error of other data.
HYBRID_TOLERANCE = 0.03
# Same int8 inputs and int32 sums; the float epilogue rounds differently (largest seen 2e-7).
TIGHT_TOLERANCE = 1e-6


def _weights(rng, shape, channel_dim, per_channel):
    """int8 weights, their scales (one per channel, or one), and the dequantized floats."""
    q = rng.integers(-127, 128, shape).astype(np.int8)
    n = shape[channel_dim]
    scales = (rng.uniform(0.005, 0.02, n) if per_channel else
              np.full(1, rng.uniform(0.005, 0.02))).astype(np.float32)
    bshape = [1] * len(shape)
    bshape[channel_dim] = -1
    deq = scales.reshape(bshape) * q.astype(np.float32) if per_channel else scales[0] * q
    quant = dict(scale=[float(s) for s in scales], zero_point=[0] * len(scales),
                 quantized_dimension=channel_dim)
    return q, quant, deq.astype(np.float32)


def _compare(model, x, expected, ref_tight, with_tflite=True):
    """ref_tight: whether TensorFlow Lite's reference kernels quantize the input
    asymmetrically like its default kernels (and litert)."""
    got = run_litert(model, [x])
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= HYBRID_TOLERANCE * np.abs(expected).max()
    if not with_tflite:
        return got
    tfl_default = run_tflite_default(model, [x])
    np.testing.assert_allclose(got, tfl_default, rtol=0,
                               atol=TIGHT_TOLERANCE * np.abs(tfl_default).max())
    tfl_ref = run_tflite(model, [x])
    tol = TIGHT_TOLERANCE if ref_tight else HYBRID_TOLERANCE
    assert np.abs(got - tfl_ref).max() <= tol * np.abs(tfl_ref).max()
    return got


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("asymmetric", [False, True])
@pytest.mark.parametrize("x_shape,units,act", [((2, 40), 16, ACT_NONE), ((3, 100), 33, ACT_RELU),
                                               ((1, 7), 5, ACT_RELU6)])
def test_hybrid_fully_connected(per_channel, asymmetric, x_shape, units, act):
    rng = np.random.default_rng(10)
    q, quant, w = _weights(rng, (units, x_shape[-1]), 0, per_channel)
    bias = rng.normal(0, 0.1, units).astype(np.float32)
    b = ModelBuilder()
    x = b.input("x", x_shape, np.float32)
    wt = b.constant("w", q, quant=quant)
    bt = b.constant("b", bias)
    y = b.tensor("y", (x_shape[0], units), np.float32)
    b.op("FULLY_CONNECTED", [x, wt, bt], [y], "FullyConnectedOptions",
         dict(fused_activation_function=act, asymmetric_quantize_inputs=asymmetric))
    b.output(y)
    xs = rng.normal(0.2, 1, x_shape).astype(np.float32)
    model = b.build()
    expected = xs.astype(np.float64) @ w.T.astype(np.float64) + bias
    expected = {ACT_NONE: expected, ACT_RELU: np.maximum(expected, 0),
                ACT_RELU6: np.clip(expected, 0, 6)}[act]
    got = _compare(model, xs, expected, ref_tight=asymmetric)
    if asymmetric:  # the same arithmetic as the reference kernel, to the bit
        np.testing.assert_array_equal(got, run_tflite(model, [xs]))


def test_hybrid_fully_connected_zero_and_constant_rows():
    """Rows whose range is empty (all zeros) or one-sided (all positive / all negative), and
    an input of rank 3 read as rows."""
    rng = np.random.default_rng(13)
    units, k = 6, 10
    q, quant, _ = _weights(rng, (units, k), 0, True)
    b = ModelBuilder()
    x = b.input("x", (2, 2, k), np.float32)
    y = b.tensor("y", (4, units), np.float32)
    b.op("FULLY_CONNECTED", [x, b.constant("w", q, quant=quant)], [y],
         "FullyConnectedOptions", {})
    b.output(y)
    xs = np.stack([np.zeros(k), np.full(k, 0.5), -np.abs(rng.normal(0, 1, k)),
                   rng.normal(0, 3, k)]).reshape(2, 2, k).astype(np.float32)
    model = b.build()
    got = run_litert(model, [xs])
    np.testing.assert_array_equal(got[0], np.zeros(units, np.float32))
    tfl = run_tflite_default(model, [xs])
    np.testing.assert_allclose(got, tfl, rtol=0, atol=TIGHT_TOLERANCE * np.abs(tfl).max())


def _conv_ref(x, w_ohwi, bias, stride, padding):
    n, h, wd, c = x.shape
    o, kh, kw, _ = w_ohwi.shape
    if padding == SAME:
        oh, ow = -(-h // stride), -(-wd // stride)
        ph = max((oh - 1) * stride + kh - h, 0) // 2
        pw = max((ow - 1) * stride + kw - wd, 0) // 2
    else:
        oh, ow, ph, pw = (h - kh) // stride + 1, (wd - kw) // stride + 1, 0, 0
    xp = np.zeros((n, h + kh + stride * 2, wd + kw + stride * 2, c))
    xp[:, ph:ph + h, pw:pw + wd] = x
    out = np.zeros((n, oh, ow, o))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky:ky + oh * stride:stride, kx:kx + ow * stride:stride]
            out += np.einsum("nhwc,oc->nhwo", patch, w_ohwi[:, ky, kx].astype(np.float64))
    return out + bias


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("stride,padding", [(1, SAME), (2, VALID)])
def test_hybrid_conv2d(per_channel, stride, padding):
    rng = np.random.default_rng(11)
    q, quant, w = _weights(rng, (12, 3, 3, 6), 0, per_channel)
    bias = rng.normal(0, 0.1, 12).astype(np.float32)
    xs = rng.normal(0, 1, (2, 9, 9, 6)).astype(np.float32)
    expected = _conv_ref(xs.astype(np.float64), w, bias, stride, padding)
    b = ModelBuilder()
    x = b.input("x", xs.shape, np.float32)
    y = b.tensor("y", expected.shape, np.float32)
    b.op("CONV_2D", [x, b.constant("w", q, quant=quant), b.constant("b", bias)], [y],
         "Conv2DOptions", dict(padding=padding, stride_h=stride, stride_w=stride))
    b.output(y)
    _compare(b.build(), xs, expected, ref_tight=per_channel)


@pytest.mark.parametrize("per_channel", [True, False])
def test_hybrid_depthwise_conv2d(per_channel):
    rng = np.random.default_rng(12)
    c, mult = 4, 2
    q, quant, w = _weights(rng, (1, 3, 3, c * mult), 3, per_channel)
    bias = rng.normal(0, 0.1, c * mult).astype(np.float32)
    xs = rng.normal(0, 1, (1, 8, 8, c)).astype(np.float32)
    # depthwise as a dense conv whose filter is zero off each channel's block
    dense = np.zeros((c * mult, 3, 3, c), np.float32)
    for ch in range(c):
        for m in range(mult):
            dense[ch * mult + m, :, :, ch] = w[0, :, :, ch * mult + m]
    expected = _conv_ref(xs.astype(np.float64), dense, bias, 1, SAME)
    b = ModelBuilder()
    x = b.input("x", xs.shape, np.float32)
    y = b.tensor("y", expected.shape, np.float32)
    b.op("DEPTHWISE_CONV_2D", [x, b.constant("w", q, quant=quant), b.constant("b", bias)], [y],
         "DepthwiseConv2DOptions", dict(padding=SAME, stride_h=1, stride_w=1,
                                        depth_multiplier=mult))
    b.output(y)
    # TensorFlow Lite's hybrid depthwise kernel requires per-channel scales.
    _compare(b.build(), xs, expected, ref_tight=True, with_tflite=per_channel)


def test_hybrid_weights_must_be_constant():
    from litert import Interpreter
    b = ModelBuilder()
    x = b.input("x", (1, 4), np.float32)
    w = b.input("w", (3, 4), np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    y = b.tensor("y", (1, 3), np.float32)
    b.op("FULLY_CONNECTED", [x, w], [y], "FullyConnectedOptions", {})
    b.output(y)
    with pytest.raises(Exception, match="expected constant weights"):
        Interpreter(model_content=b.build()).allocate_tensors()
