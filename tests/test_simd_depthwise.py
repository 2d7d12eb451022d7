"""DEPTHWISE_CONV_2D SIMD kernels (AVX2, AVX-512) against the portable kernels.

Each case builds a one-op model and runs it with isa="portable" and with each SIMD level
the CPU supports (`simd_isa`), on one thread and on two:
  int8: bit for bit equal to the portable kernel (which equals TensorFlow Lite's
    reference kernels bit for bit);
  float32: within twice the standard bound for float32 sums of K products (both kernels are
    within it of the exact value): |simd - portable| <= 2 * ((K + 2) * 2^-23 * mag +
    2^-22 * |portable|), with K the window's taps and mag the same convolution of |input|
    and |filter| plus |bias| (op_runner.assert_within_sum_bound);
  any level: one thread and two threads give identical bytes.
The cases cover windows 1x1 / 3x3 / 5x5 / 3x5 and others, strides 1-3, dilation 1-2,
SAME / VALID, channel counts around the vector widths (tails), depth multiplier 1 and 2
(the latter stays portable), 1-pixel and small inputs, batch 2, with and without bias, and
the fused activations; int8 with zero points at the ends of the range, per-channel and
per-tensor scales, and multipliers above 1.
"""
import numpy as np
import pytest

from op_runner import assert_within_sum_bound, run_litert
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
NONE, RELU, RELU6, TANH = 0, 1, 3, 4

# (batch, h, w, channels, multiplier, kh, kw, stride, dilation, padding, act, bias)
CASES = [
    (1, 12, 12, 32, 1, 3, 3, (1, 1), (1, 1), SAME, RELU6, True),
    (1, 13, 11, 64, 1, 3, 3, (2, 2), (1, 1), SAME, RELU6, True),
    (1, 9, 10, 17, 1, 3, 3, (1, 1), (1, 1), VALID, NONE, True),
    (2, 8, 9, 33, 1, 3, 3, (2, 2), (1, 1), VALID, RELU, False),
    (1, 10, 10, 100, 1, 5, 5, (1, 1), (1, 1), SAME, NONE, True),
    (1, 11, 9, 15, 1, 5, 5, (2, 2), (1, 1), SAME, RELU, True),
    (1, 9, 12, 16, 1, 3, 5, (1, 1), (1, 1), SAME, NONE, True),
    (1, 10, 11, 8, 1, 3, 5, (3, 2), (1, 1), VALID, RELU6, False),
    (1, 6, 7, 3, 1, 1, 1, (1, 1), (1, 1), SAME, NONE, True),
    (2, 7, 7, 1, 1, 1, 1, (2, 3), (1, 1), VALID, RELU, True),
    (1, 12, 12, 17, 1, 3, 3, (1, 1), (2, 2), SAME, NONE, True),
    (1, 14, 13, 9, 1, 3, 3, (2, 1), (2, 2), VALID, RELU, True),
    (1, 9, 9, 16, 1, 5, 5, (1, 1), (2, 2), SAME, NONE, False),  # windows mostly clipped
    (1, 8, 8, 64, 1, 4, 2, (3, 3), (1, 1), SAME, NONE, True),   # streamed-filter interior
    (1, 1, 1, 33, 1, 3, 3, (1, 1), (1, 1), SAME, RELU6, True),  # 1-pixel input
    (1, 1, 1, 7, 1, 1, 1, (1, 1), (1, 1), VALID, NONE, True),
    (1, 2, 3, 100, 1, 3, 3, (2, 2), (1, 1), SAME, NONE, True),
    (2, 5, 4, 15, 1, 3, 3, (1, 1), (1, 1), SAME, RELU, True),
    (1, 7, 7, 64, 1, 3, 3, (1, 1), (1, 1), SAME, RELU6, True),  # MobileNetV2's last size
    (1, 6, 6, 3, 1, 3, 3, (1, 1), (4, 4), SAME, NONE, True),    # dilated windows miss the input
    (1, 8, 7, 3, 2, 3, 3, (1, 1), (1, 1), SAME, NONE, True),    # depth multiplier 2
    (2, 9, 9, 8, 2, 3, 3, (2, 2), (1, 1), VALID, RELU, True),
    (1, 30, 29, 24, 1, 3, 3, (1, 1), (1, 1), SAME, RELU6, True),  # enough work for 2 threads
    (2, 21, 22, 40, 1, 3, 3, (2, 2), (1, 1), SAME, RELU6, True),
]

FLOAT_ONLY = [
    (1, 9, 8, 17, 1, 3, 3, (1, 1), (1, 1), SAME, TANH, True),
    (1, 10, 9, 20, 1, 5, 5, (2, 1), (1, 1), SAME, TANH, False),
]


def _ids(cases):
    return ["n{}_{}x{}x{}_m{}_k{}x{}_s{}{}_d{}{}_{}_a{}_{}".format(
        n, h, w, c, m, kh, kw, *s, *d, "same" if p == SAME else "valid", a,
        "bias" if b else "nobias") for n, h, w, c, m, kh, kw, s, d, p, a, b in cases]


def out_size_and_pad(size, k, stride, dilation, padding):
    extent = (k - 1) * dilation + 1
    out = -(-size // stride) if padding == SAME else (size - extent) // stride + 1
    return out, max((out - 1) * stride + extent - size, 0) // 2


def depthwise_ref(x, w, b, stride, dilation, padding):
    """float64 depthwise convolution of NHWC x with w [1, kh, kw, C * M], plus b."""
    n, h, wd, c = x.shape
    kh, kw, o = w.shape[1:]
    oh, pt = out_size_and_pad(h, kh, stride[0], dilation[0], padding)
    ow, pl = out_size_and_pad(wd, kw, stride[1], dilation[1], padding)
    need_h = (oh - 1) * stride[0] + (kh - 1) * dilation[0] + 1
    need_w = (ow - 1) * stride[1] + (kw - 1) * dilation[1] + 1
    xp = np.zeros((n, max(need_h, pt + h), max(need_w, pl + wd), c))
    xp[:, pt:pt + h, pl:pl + wd, :] = x
    y = np.zeros((n, oh, ow, o))
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dilation[0], kx * dilation[1]
            patch = xp[:, y0:y0 + (oh - 1) * stride[0] + 1:stride[0],
                       x0:x0 + (ow - 1) * stride[1] + 1:stride[1], :]
            y += np.repeat(patch, o // c, axis=3) * w[0, ky, kx, :]
    return y + (0.0 if b is None else b)


def _model(x_shape, x_dtype, w, b, out_shape, stride, dilation, padding, act, quant=None):
    quant = quant or {}
    mb = ModelBuilder()
    x = mb.input("x", x_shape, x_dtype, quant=quant.get("x"))
    ins = [x, mb.constant("w", w, quant=quant.get("w"))]
    ins.append(mb.constant("b", b, quant=quant.get("b")) if b is not None else -1)
    y = mb.tensor("y", out_shape, x_dtype, quant=quant.get("y"))
    mb.op("DEPTHWISE_CONV_2D", ins, [y], "DepthwiseConv2DOptions",
          dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
               depth_multiplier=w.shape[3] // x_shape[3], dilation_h_factor=dilation[0],
               dilation_w_factor=dilation[1], fused_activation_function=act))
    mb.output(y)
    return mb.build()


def _out_shape(n, h, wd, c, m, kh, kw, stride, dilation, padding):
    oh, _ = out_size_and_pad(h, kh, stride[0], dilation[0], padding)
    ow, _ = out_size_and_pad(wd, kw, stride[1], dilation[1], padding)
    return (n, oh, ow, c * m)


def _run_levels(model, x, simd_isa):
    """Portable output and the SIMD level's output, checking 1 and 2 threads agree."""
    portable = run_litert(model, [x], isa="portable")
    simd = run_litert(model, [x], isa=simd_isa, num_threads=1)
    simd2 = run_litert(model, [x], isa=simd_isa, num_threads=2)
    assert simd.tobytes() == simd2.tobytes(), "1 and 2 threads differ"
    return portable, simd


@pytest.mark.parametrize("case", CASES + FLOAT_ONLY, ids=_ids(CASES + FLOAT_ONLY))
def test_float32_matches_portable(simd_isa, case):
    n, h, wd, c, m, kh, kw, stride, dilation, padding, act, with_bias = case
    rng = np.random.default_rng(abs(hash(case)) % (1 << 32))
    x = rng.standard_normal((n, h, wd, c)).astype(np.float32)
    w = rng.standard_normal((1, kh, kw, c * m)).astype(np.float32)
    b = rng.standard_normal(c * m).astype(np.float32) if with_bias else None
    out_shape = _out_shape(n, h, wd, c, m, kh, kw, stride, dilation, padding)
    model = _model(x.shape, np.float32, w, b, out_shape, stride, dilation, padding, act)
    portable, simd = _run_levels(model, x, simd_isa)
    assert simd.shape == out_shape
    mag = depthwise_ref(np.abs(x), np.abs(w), None if b is None else np.abs(b), stride,
                        dilation, padding)
    assert_within_sum_bound(simd, portable.astype(np.float64), mag, kh * kw, factor=2.0)


def _q(scale, zero_point, dim=0):
    scale = np.atleast_1d(np.asarray(scale, np.float32))
    zp = np.broadcast_to(np.atleast_1d(zero_point), scale.shape)
    return dict(scale=[float(s) for s in scale], zero_point=[int(z) for z in zp],
                quantized_dimension=dim)


# (input zero point, output zero point, per-channel, multiplier regime)
INT8_QUANT = [
    (-5, 3, True, "small"),
    (-128, 127, True, "small"),
    (127, -128, False, "small"),
    (0, -10, False, "above_one"),
    (-128, 0, True, "above_one"),
    (20, -128, True, "mixed"),
]


@pytest.mark.parametrize("quant", INT8_QUANT, ids=[f"zp{a}_{b}_{'pc' if c else 'pt'}_{d}"
                                                   for a, b, c, d in INT8_QUANT])
def test_int8_bit_exact(simd_isa, quant):
    in_zp, out_zp, per_channel, regime = quant
    rng = np.random.default_rng((in_zp + 128) * 1000 + out_zp + 128 + (1 << 20) * per_channel)
    for case in CASES:
        n, h, wd, c, m, kh, kw, stride, dilation, padding, act, with_bias = case
        o = c * m
        in_s = np.float32(rng.uniform(0.01, 0.1))
        w_s = rng.uniform(0.002, 0.02, o if per_channel else 1).astype(np.float32)
        if regime == "small":
            out_s = np.float32(rng.uniform(0.05, 0.4))
        elif regime == "above_one":  # M = in_s * w_s / out_s in (1, 8)
            out_s = np.float32(in_s * w_s.min() / rng.uniform(1.2, 8.0))
        else:  # some channels above 1, some below
            w_s = rng.uniform(0.0005, 0.05, o if per_channel else 1).astype(np.float32)
            out_s = np.float32(in_s * 0.01)
        x = rng.integers(-128, 128, (n, h, wd, c)).astype(np.int8)
        w = rng.integers(-127, 128, (1, kh, kw, o)).astype(np.int8)
        if regime != "small":  # keep the accumulators small enough that outputs vary
            w = rng.integers(-3, 4, (1, kh, kw, o)).astype(np.int8)
        b = rng.integers(-3000, 3000, o).astype(np.int32) if with_bias else None
        quant_params = dict(x=_q(in_s, in_zp), w=_q(w_s, 0, 3), b=_q(in_s * w_s, 0),
                            y=_q(out_s, out_zp))
        out_shape = _out_shape(n, h, wd, c, m, kh, kw, stride, dilation, padding)
        model = _model(x.shape, np.int8, w, b, out_shape, stride, dilation, padding,
                       act if act != TANH else NONE, quant_params)
        portable, simd = _run_levels(model, x, simd_isa)
        assert simd.shape == out_shape
        np.testing.assert_array_equal(simd, portable, err_msg=str(case))
