"""SIMD hybrid kernels (float32 input and output, int8 weights): CONV_2D, DEPTHWISE_CONV_2D
and FULLY_CONNECTED at each SIMD level against isa="portable", bit for bit.

The SIMD kernels quantize the input with vector code (min/max, then roundf(zp + x * inv))
and accumulate with the int8 GEMM / depthwise micro-kernels, then run the portable float
epilogue in its order, so every output bit must equal the portable kernel's. The input is
quantized in pieces on the threads and the pixels (units) are split over them: num_threads 1
and 2 must agree bit for bit too. Shapes cover odd channel counts (vector tails), strides,
dilations, SAME / VALID padding, batch 2 (one zero point per image, GEMM tiles straddling
two images), per-channel and per-tensor scales, the fused activations, a missing bias, and
inputs with zeros, NaN and infinities."""
import numpy as np
import pytest

from op_runner import run_litert
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU6, ACT_TANH = 0, 1, 3, 4


def _assert_same_bits(got, want):
    """Equal float32 bit patterns (any NaN matches any NaN at the same place)."""
    assert got.shape == want.shape and got.dtype == want.dtype == np.float32
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))


def _check(model, x, simd_isa, threads=(1, 2)):
    want = run_litert(model, [x], isa="portable", num_threads=1)
    for t in threads:
        _assert_same_bits(run_litert(model, [x], isa="portable", num_threads=t), want)
        _assert_same_bits(run_litert(model, [x], isa=simd_isa, num_threads=t), want)


def _weights(rng, shape, channel_dim, per_channel):
    q = rng.integers(-128, 128, shape).astype(np.int8)
    n = shape[channel_dim] if per_channel else 1
    scales = rng.uniform(0.002, 0.03, n).astype(np.float32)
    return q, dict(scale=[float(s) for s in scales], zero_point=[0] * n,
                   quantized_dimension=channel_dim)


def _input(rng, shape, kind="normal"):
    x = rng.normal(0.3, 1.5, shape).astype(np.float32)
    if kind == "positive":  # zero point at -128 (min 0 is in range)
        x = np.abs(x)
    elif kind == "zeros":  # empty range: everything quantizes to 0
        x[:] = 0.0
    elif kind == "special":  # NaN skipped by min/max and quantized to -128, +-inf
        flat = x.reshape(-1)
        flat[3 % flat.size] = np.nan
        flat[(flat.size // 2) % flat.size] = np.inf
    elif kind == "nan_first":  # a NaN first value: the portable loop's range is NaN
        x.reshape(-1)[0] = np.nan
    return x


def _conv_model(rng, x_shape, out_c, k, stride, dilation, padding, act, per_channel, bias,
                depthwise=False, mult=1, filter_c=None):
    n, h, w, c = x_shape
    if depthwise:
        fshape, cdim, oc = (1, k[0], k[1], c * mult), 3, c * mult
    else:
        fshape, cdim, oc = (out_c, k[0], k[1], filter_c or c), 0, out_c
    q, quant = _weights(rng, fshape, cdim, per_channel)
    b = ModelBuilder()
    x = b.input("x", x_shape, np.float32)
    inputs = [x, b.constant("w", q, quant=quant)]
    if bias:
        inputs.append(b.constant("b", rng.normal(0, 0.5, oc).astype(np.float32)))
    ekh, ekw = (k[0] - 1) * dilation + 1, (k[1] - 1) * dilation + 1
    if padding == SAME:
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - ekh) // stride + 1, (w - ekw) // stride + 1
    y = b.tensor("y", (n, oh, ow, oc), np.float32)
    opts = dict(padding=padding, stride_h=stride, stride_w=stride, fused_activation_function=act,
                dilation_h_factor=dilation, dilation_w_factor=dilation)
    if depthwise:
        opts["depth_multiplier"] = mult
        b.op("DEPTHWISE_CONV_2D", inputs, [y], "DepthwiseConv2DOptions", opts)
    else:
        b.op("CONV_2D", inputs, [y], "Conv2DOptions", opts)
    b.output(y)
    return b.build()


CONV_CASES = [
    # x_shape, out_c, k, stride, dilation, padding, act
    ((1, 5, 6, 1), 1, (1, 1), 1, 1, VALID, ACT_NONE),
    ((2, 7, 5, 4), 17, (1, 1), 1, 1, SAME, ACT_RELU),       # 1x1 read in place at VNNI
    ((2, 6, 7, 7), 33, (1, 1), 2, 1, SAME, ACT_RELU6),      # 1x1 strided, panel rows
    ((2, 9, 8, 3), 16, (3, 3), 2, 1, SAME, ACT_NONE),       # first-layer shape, short rows
    ((1, 8, 9, 17), 7, (3, 3), 1, 1, VALID, ACT_TANH),
    ((2, 9, 9, 5), 40, (3, 2), 1, 2, SAME, ACT_RELU),       # dilation
    ((1, 11, 10, 33), 70, (5, 5), 2, 1, SAME, ACT_RELU6),
    ((2, 6, 6, 64), 96, (1, 1), 1, 1, VALID, ACT_NONE),     # K4_U8 at VNNI, several blocks
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("per_channel", [True, False])
def test_conv2d_hybrid_matches_portable(simd_isa, case, per_channel):
    rng = np.random.default_rng(hash((case, per_channel)) % 2**32)
    x_shape, out_c, k, stride, dilation, padding, act = case
    model = _conv_model(rng, x_shape, out_c, k, stride, dilation, padding, act, per_channel,
                        bias=per_channel)
    _check(model, _input(rng, x_shape), simd_isa)


@pytest.mark.parametrize("kind", ["positive", "zeros", "special", "nan_first"])
def test_conv2d_hybrid_special_inputs(simd_isa, kind):
    rng = np.random.default_rng(5)
    model = _conv_model(rng, (2, 6, 5, 8), 19, (3, 3), 1, 1, SAME, ACT_NONE, True, bias=True)
    _check(model, _input(rng, (2, 6, 5, 8), kind), simd_isa)


def test_conv2d_hybrid_grouped_stays_portable(simd_isa):
    rng = np.random.default_rng(6)
    model = _conv_model(rng, (2, 5, 5, 8), 6, (3, 3), 1, 1, SAME, ACT_RELU, True, bias=True,
                        filter_c=4)
    _check(model, _input(rng, (2, 5, 5, 8)), simd_isa)


DW_CASES = [
    # x_shape, mult, k, stride, dilation, padding, act
    ((1, 6, 7, 1), 1, (3, 3), 1, 1, SAME, ACT_NONE),
    ((2, 9, 8, 17), 1, (3, 3), 2, 1, SAME, ACT_RELU6),
    ((1, 8, 8, 33), 1, (5, 5), 1, 1, SAME, ACT_RELU),
    ((2, 10, 9, 7), 1, (3, 3), 1, 2, VALID, ACT_TANH),
    ((1, 7, 6, 48), 1, (3, 3), 2, 1, VALID, ACT_NONE),
    ((2, 5, 6, 3), 2, (3, 3), 1, 1, SAME, ACT_RELU),        # multiplier 2: portable kernel
]


@pytest.mark.parametrize("case", DW_CASES)
@pytest.mark.parametrize("per_channel", [True, False])
def test_depthwise_hybrid_matches_portable(simd_isa, case, per_channel):
    rng = np.random.default_rng(hash((case, per_channel, 1)) % 2**32)
    x_shape, mult, k, stride, dilation, padding, act = case
    model = _conv_model(rng, x_shape, None, k, stride, dilation, padding, act, per_channel,
                        bias=per_channel, depthwise=True, mult=mult)
    _check(model, _input(rng, x_shape), simd_isa)


@pytest.mark.parametrize("kind", ["positive", "zeros", "special", "nan_first"])
def test_depthwise_hybrid_special_inputs(simd_isa, kind):
    rng = np.random.default_rng(7)
    model = _conv_model(rng, (2, 6, 5, 19), None, (3, 3), 1, 1, SAME, ACT_NONE, True,
                        bias=True, depthwise=True)
    _check(model, _input(rng, (2, 6, 5, 19), kind), simd_isa)


def test_conv_hybrid_threads_large(simd_isa):
    """Inputs large enough that the quantization is cut into pieces and the pixels split."""
    rng = np.random.default_rng(8)
    x_shape = (2, 40, 37, 24)
    x = _input(rng, x_shape)
    for model in (_conv_model(rng, x_shape, 40, (1, 1), 1, 1, SAME, ACT_RELU6, True, True),
                  _conv_model(rng, x_shape, 24, (3, 3), 2, 1, SAME, ACT_NONE, False, True),
                  _conv_model(rng, x_shape, None, (3, 3), 1, 1, SAME, ACT_RELU, True, True,
                              depthwise=True)):
        _check(model, x, simd_isa)


def _fc_model(rng, rows, depth, units, act, per_channel, bias):
    q, quant = _weights(rng, (units, depth), 0, per_channel)
    b = ModelBuilder()
    x = b.input("x", (rows, depth), np.float32)
    inputs = [x, b.constant("w", q, quant=quant)]
    if bias:
        inputs.append(b.constant("b", rng.normal(0, 0.5, units).astype(np.float32)))
    y = b.tensor("y", (rows, units), np.float32)
    b.op("FULLY_CONNECTED", inputs, [y], "FullyConnectedOptions",
         dict(fused_activation_function=act, asymmetric_quantize_inputs=True))
    b.output(y)
    return b.build()


FC_CASES = [
    # rows, depth, units, act
    (1, 7, 5, ACT_NONE),
    (2, 40, 17, ACT_RELU),
    (3, 100, 33, ACT_RELU6),
    (5, 257, 70, ACT_TANH),
    (1, 1000, 300, ACT_RELU),   # several threads' unit ranges
    (6, 129, 64, ACT_NONE),
]


@pytest.mark.parametrize("case", FC_CASES)
@pytest.mark.parametrize("per_channel", [True, False])
def test_fully_connected_hybrid_matches_portable(simd_isa, case, per_channel):
    rng = np.random.default_rng(hash((case, per_channel, 2)) % 2**32)
    rows, depth, units, act = case
    model = _fc_model(rng, rows, depth, units, act, per_channel, bias=per_channel)
    _check(model, _input(rng, (rows, depth)), simd_isa)


@pytest.mark.parametrize("kind", ["positive", "zeros", "special", "nan_first"])
def test_fully_connected_hybrid_special_inputs(simd_isa, kind):
    rng = np.random.default_rng(9)
    model = _fc_model(rng, 3, 70, 20, ACT_NONE, True, bias=True)
    _check(model, _input(rng, (3, 70), kind), simd_isa)
