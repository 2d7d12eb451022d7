"""int8 CONV_2D and FULLY_CONNECTED SIMD kernels (int8 GEMM: AVX2, AVX-512, AVX-512 VNNI)
against the portable kernels, bit for bit.

The portable kernels match TensorFlow Lite's reference kernels bit for bit
(test_kernels_int8_linear.py); each SIMD level must give exactly the same int8 outputs, for
one thread and for two (the pixels or units cut in two). The cases aim at the SIMD code's
edges: channel counts around the 16-channel blocks (1, 3, 7, 17, 33, 64, 100), depths not a
multiple of 4 (the packed K padding), windows 1x1 (read in place when in_c is a multiple
of 4, else copied) / 3x3 / 5x5 with strides, dilation and SAME padding (im2col with padding
taps), input zero points at the int8 extremes (the folded offsets), multipliers above 1 (left
shifts) and tiny ones (long right shifts, flushed to 0), large biases (int32 wrap-around),
int8 extremes in inputs and weights, batch 2.
"""
import functools

import numpy as np
import pytest

from op_runner import run_litert
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3


def _q(scale, zero_point, dim=0):
    scale = np.atleast_1d(np.asarray(scale, np.float32))
    zp = np.broadcast_to(np.atleast_1d(zero_point), scale.shape)
    return dict(scale=[float(s) for s in scale], zero_point=[int(z) for z in zp],
                quantized_dimension=dim)


def _scales(rng, channels, regime):
    """(input scale, weight scales, output scale) for a scale regime:
    per_channel / per_tensor: multipliers around 1e-3..1e-1;
    big: per-channel multipliers up to ~100 (left shifts) mixed with ordinary ones;
    tiny: multipliers from 1e-6 down to 1e-12 (long right shifts, some flushed to 0)."""
    if regime == "per_tensor":
        return np.float32(0.05), np.full(1, rng.uniform(0.002, 0.02), np.float32), np.float32(0.2)
    if regime == "big":
        w = rng.choice([rng.uniform(0.5, 2.0), 0.003], channels) * rng.uniform(0.5, 1, channels)
        return np.float32(0.5), w.astype(np.float32), np.float32(0.01)
    if regime == "tiny":
        w = 10.0 ** rng.uniform(-12, -6, channels)
        return np.float32(1.0), w.astype(np.float32), np.float32(1.0)
    return (np.float32(rng.uniform(0.01, 0.1)), rng.uniform(0.002, 0.02, channels).astype(np.float32),
            np.float32(rng.uniform(0.05, 0.4)))


def _weights(rng, shape):
    """Random int8 weights over the whole range, the first output channel all 127 and the
    last all -128 (extreme column sums)."""
    w = rng.integers(-128, 128, shape).astype(np.int8)
    w[0] = 127
    if shape[0] > 1:
        w[-1] = -128
    return w


def _bias(rng, n, regime):
    if regime == "big":  # whole int32 range: the folded offsets and the sums wrap
        return rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32)
    return rng.integers(-30000, 30000, n).astype(np.int32)


def _inputs(rng, shape):
    """Random int8 over the whole range with runs of -128 and 127."""
    x = rng.integers(-128, 128, shape).astype(np.int8)
    flat = x.reshape(-1)
    flat[: min(7, flat.size)] = -128
    flat[-min(5, flat.size):] = 127
    return x


def _conv_out(hw, k, stride, dilation, padding):
    ext = (k - 1) * dilation + 1
    return (hw + stride - 1) // stride if padding == SAME else (hw - ext) // stride + 1


def conv_model(seed, x_shape, kernel, out_c, stride, dilation, padding, act, in_zp, regime):
    rng = np.random.default_rng(seed)
    n, h, w, c = x_shape
    oh = _conv_out(h, kernel[0], stride[0], dilation[0], padding)
    ow = _conv_out(w, kernel[1], stride[1], dilation[1], padding)
    in_s, w_s, out_s = _scales(rng, out_c, regime)
    out_zp = int(rng.integers(-20, 20))
    b = ModelBuilder()
    x = b.input("x", x_shape, np.int8, quant=_q(in_s, in_zp))
    wt = b.constant("w", _weights(rng, (out_c, kernel[0], kernel[1], c)), quant=_q(w_s, 0))
    bias = b.constant("b", _bias(rng, out_c, regime), quant=_q(w_s * in_s, 0))
    y = b.tensor("y", (n, oh, ow, out_c), np.int8, quant=_q(out_s, out_zp))
    b.op("CONV_2D", [x, wt, bias], [y], "Conv2DOptions",
         dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
              dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
              fused_activation_function=act))
    b.output(y)
    return b.build(), [_inputs(rng, x_shape)]


def fc_model(seed, rows, depth, units, act, in_zp, regime):
    rng = np.random.default_rng(seed)
    in_s, w_s, out_s = _scales(rng, units, regime)
    out_zp = int(rng.integers(-20, 20))
    b = ModelBuilder()
    x = b.input("x", (rows, depth), np.int8, quant=_q(in_s, in_zp))
    wt = b.constant("w", _weights(rng, (units, depth)), quant=_q(w_s, 0))
    bias = b.constant("b", _bias(rng, units, regime), quant=_q(w_s * in_s, 0))
    y = b.tensor("y", (rows, units), np.int8, quant=_q(out_s, out_zp))
    b.op("FULLY_CONNECTED", [x, wt, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=act))
    b.output(y)
    return b.build(), [_inputs(rng, (rows, depth))]


CONV_CASES = [
    # x_shape, kernel, out_c, stride, dilation, padding, act, input zero point, scales
    ((1, 9, 9, 1), (1, 1), 1, (1, 1), (1, 1), SAME, ACT_NONE, 0, "per_channel"),
    ((2, 7, 5, 3), (3, 3), 7, (2, 2), (1, 1), SAME, ACT_RELU6, -128, "per_channel"),
    ((1, 11, 10, 17), (5, 5), 33, (1, 1), (1, 1), SAME, ACT_NONE, 127, "per_tensor"),
    ((1, 12, 12, 8), (3, 3), 17, (1, 1), (2, 2), SAME, ACT_RELU, 5, "big"),
    ((2, 8, 8, 64), (1, 1), 100, (1, 1), (1, 1), VALID, ACT_RELU6, -1, "per_channel"),
    ((1, 9, 9, 33), (1, 1), 64, (2, 2), (1, 1), SAME, ACT_NONE, 3, "tiny"),
    ((1, 10, 10, 7), (3, 3), 3, (2, 1), (1, 1), VALID, ACT_RELU, -60, "per_tensor"),
    ((1, 8, 8, 100), (3, 3), 64, (1, 1), (1, 1), SAME, ACT_RELU6, 127, "big"),
    ((1, 9, 8, 3), (5, 5), 17, (2, 2), (2, 2), SAME, ACT_NONE, -128, "per_channel"),
    ((2, 5, 5, 4), (1, 1), 33, (1, 1), (1, 1), SAME, ACT_NONE, 100, "big"),
    ((1, 15, 13, 12), (1, 1), 48, (1, 1), (1, 1), VALID, ACT_RELU6, -128, "per_channel"),
    ((1, 14, 14, 16), (1, 1), 96, (2, 2), (1, 1), SAME, ACT_RELU, 7, "tiny"),
    ((1, 17, 17, 3), (3, 3), 32, (2, 2), (1, 1), SAME, ACT_RELU6, -1, "per_channel"),
    ((2, 6, 7, 17), (3, 3), 1, (1, 2), (1, 1), VALID, ACT_NONE, 127, "big"),
    ((1, 7, 7, 64), (1, 1), 7, (1, 1), (1, 1), SAME, ACT_NONE, -128, "big"),
    ((1, 10, 9, 5), (3, 5), 100, (1, 1), (2, 1), SAME, ACT_RELU, -3, "per_tensor"),
    ((1, 4, 4, 36), (1, 1), 16, (1, 1), (1, 1), SAME, ACT_RELU6, 0, "per_channel"),
    ((1, 1, 1, 8), (1, 1), 5, (1, 1), (1, 1), VALID, ACT_NONE, 9, "per_channel"),
]

FC_CASES = [
    # rows, depth, units, act, input zero point, scales
    (rows, depth, units, act, zp, regime)
    for i, (rows, depth, units) in enumerate(
        (r, d, u) for r in (1, 3, 17) for d in (1, 7, 300, 1000) for u in (1, 5, 33, 1000)
        if not (r == 17 and d == 1000 and u == 1000))
    for act, zp, regime in [((ACT_NONE, -128, "per_channel"), (ACT_RELU, 127, "big"),
                             (ACT_RELU6, 3, "per_tensor"), (ACT_NONE, -7, "tiny"))[i % 4]]
]


@functools.lru_cache(maxsize=None)
def _conv_case(i):
    model, inputs = conv_model(100 + i, *CONV_CASES[i])
    return model, inputs, run_litert(model, inputs, isa="portable", num_threads=1)


@functools.lru_cache(maxsize=None)
def _fc_case(i):
    model, inputs = fc_model(500 + i, *FC_CASES[i])
    return model, inputs, run_litert(model, inputs, isa="portable", num_threads=1)


def _check(case, count, simd_isa, what):
    checked = 0
    for i in range(count):
        model, inputs, ref = case(i)
        for threads in (1, 2):
            got = run_litert(model, inputs, isa=simd_isa, num_threads=threads)
            assert got.shape == ref.shape
            if not np.array_equal(got, ref):
                bad = np.argwhere(got != ref)
                raise AssertionError(f"{what} case {i} {simd_isa} threads={threads}: "
                                     f"{len(bad)} of {ref.size} values differ, first at "
                                     f"{bad[0].tolist()}: {got[tuple(bad[0])]} != "
                                     f"{ref[tuple(bad[0])]}")
            checked += got.size
    return checked


def test_conv2d_int8_simd_equals_portable(simd_isa):
    assert _check(_conv_case, len(CONV_CASES), simd_isa, "CONV_2D") > 50000


def test_fully_connected_int8_simd_equals_portable(simd_isa):
    assert _check(_fc_case, len(FC_CASES), simd_isa, "FULLY_CONNECTED") > 50000


def test_conv2d_int8_mobilenet_shapes(simd_isa):
    """The shapes MobileNetV2 runs (first 3x3 stride-2 layer on 3 channels, 1x1 expansions
    and projections with 24 / 144 channels), scaled down; plus portable vs SIMD on the same
    data with 2 threads."""
    cases = [
        ((1, 32, 32, 3), (3, 3), 32, (2, 2), (1, 1), SAME, ACT_RELU6, -1, "per_channel"),
        ((1, 16, 16, 24), (1, 1), 144, (1, 1), (1, 1), SAME, ACT_RELU6, -12, "per_channel"),
        ((1, 16, 16, 144), (1, 1), 24, (1, 1), (1, 1), SAME, ACT_NONE, -128, "per_channel"),
    ]
    for i, case in enumerate(cases):
        model, inputs = conv_model(900 + i, *case)
        ref = run_litert(model, inputs, isa="portable", num_threads=2)
        for threads in (1, 2):
            np.testing.assert_array_equal(
                run_litert(model, inputs, isa=simd_isa, num_threads=threads), ref)


@pytest.mark.parametrize("in_c", [1, 4])
def test_conv2d_int8_requant_ties(simd_isa, in_c):
    """The output stage on exact ties: a 1x1 conv whose channel c has multiplier 2^-r
    (r = c - 3: left shifts 3..0, then right shifts 1..20) and accumulators stepping through
    the rounding points of each shift (bias + x * w for x = -128..127), so that every output
    is on or next to a tie of TensorFlow Lite's double rounding; outputs mostly unsaturated.
    in_c = 4 (three zero-weight channels) takes the VNNI kernel's in-place row path."""
    out_c = 24
    x = np.zeros((1, 16, 16, in_c), np.int8)
    x[..., 0] = np.arange(-128, 128, dtype=np.int64).reshape(16, 16).astype(np.int8)
    if in_c > 1:
        x[..., 1:] = np.random.default_rng(7).integers(-128, 128, (1, 16, 16, in_c - 1))
    w = np.zeros((out_c, 1, 1, in_c), np.int8)
    bias = np.zeros(out_c, np.int32)
    scales = np.zeros(out_c, np.float32)
    for c in range(out_c):
        r = c - 3
        scales[c] = np.float32(2.0 ** -r)
        if 1 <= r <= 7:
            w[c, 0, 0, 0] = 2 ** (r - 1)  # x * 2^(r-1): a tie at every odd x
        else:
            w[c, 0, 0, 0] = 1
            if r >= 8:  # x around the tie (j + 1/2) * 2^r, j of either sign
                j = 3 if c % 2 else -4
                bias[c] = (2 * j + 1) * 2 ** (r - 1)
    b = ModelBuilder()
    xt = b.input("x", x.shape, np.int8, quant=_q(1.0, 0))
    wt = b.constant("w", w, quant=_q(scales, 0))
    bt = b.constant("b", bias, quant=_q(scales, 0))
    y = b.tensor("y", (1, 16, 16, out_c), np.int8, quant=_q(1.0, 0))
    b.op("CONV_2D", [xt, wt, bt], [y], "Conv2DOptions",
         dict(padding=SAME, stride_h=1, stride_w=1, fused_activation_function=ACT_NONE))
    b.output(y)
    model = b.build()
    ref = run_litert(model, [x], isa="portable")
    assert np.mean(np.abs(ref.astype(np.int32)) < 127) > 0.5  # mostly unsaturated
    np.testing.assert_array_equal(run_litert(model, [x], isa=simd_isa), ref)


@pytest.mark.parametrize("out_zp", [-128, 127])
def test_conv2d_int8_requant_int32_edges(simd_isa, out_zp):
    """Accumulators at the ends of int32 (bias near +-2^31, sums wrapping) with a
    multiplier just below 1 (no shift), so the requantized value is within 8 of the int32
    limits and adding the output zero point would overflow int32: the result must clamp as
    the portable kernel's int64 addition does, not wrap."""
    x = np.arange(-128, 128, dtype=np.int64).reshape(1, 16, 16, 1).astype(np.int8)
    bias = np.array([-(2**31) + 128, 2**31 - 128, -(2**31) + 5, 2**31 - 300], np.int32)
    w = np.array([1, 1, -1, 2], np.int8).reshape(4, 1, 1, 1)
    # input scale * weight scale = 1 - 2^-28 in double: Q31 multiplier 2^31 - 8, shift 0
    in_s = np.float32(1 + 500 * 2.0**-23)
    scales = np.full(4, np.float32(1 - 500 * 2.0**-23), np.float32)
    b = ModelBuilder()
    xt = b.input("x", x.shape, np.int8, quant=_q(in_s, 0))
    wt = b.constant("w", w, quant=_q(scales, 0))
    bt = b.constant("b", bias, quant=_q(scales, 0))
    y = b.tensor("y", (1, 16, 16, 4), np.int8, quant=_q(1.0, out_zp))
    b.op("CONV_2D", [xt, wt, bt], [y], "Conv2DOptions",
         dict(padding=VALID, stride_h=1, stride_w=1, fused_activation_function=ACT_NONE))
    b.output(y)
    model = b.build()
    ref = run_litert(model, [x], isa="portable")
    np.testing.assert_array_equal(run_litert(model, [x], isa=simd_isa), ref)
