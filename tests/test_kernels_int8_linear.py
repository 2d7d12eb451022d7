"""int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and QUANTIZE against TensorFlow Lite.

The reference is TensorFlow Lite's reference kernels (BUILTIN_REF), whose integer
arithmetic litert follows so that it runs without an FPU: litert must equal them bit for bit.
CONV_2D / DEPTHWISE_CONV_2D requantize with the Q31 multiplier (double rounding, ties away
from zero); FULLY_CONNECTED's reference kernel rounds acc * M in double (ties away), which
litert emulates with integers; both rules are pinned by tests built on exact and near ties.
TensorFlow Lite's default path (XNNPACK) rounds a float product to even instead: against
it, single ops may differ by 1 on a few values (measured on these cases: CONV_2D 7 of
10096 values, DEPTHWISE_CONV_2D 12 of 8128, FULLY_CONNECTED 0 of 3256), checked <= 1.
"""
import numpy as np
import pytest

from op_runner import run_litert, run_tflite, run_tflite_default
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3


def _q(scale, zero_point, dim=0):
    scale = np.atleast_1d(np.asarray(scale, np.float32))
    zp = np.broadcast_to(np.atleast_1d(zero_point), scale.shape)
    return dict(scale=[float(s) for s in scale], zero_point=[int(z) for z in zp],
                quantized_dimension=dim)


def _random_params(rng, channels, per_channel, in_range=(0.01, 0.1)):
    in_s = np.float32(rng.uniform(*in_range))
    in_zp = int(rng.integers(-30, 30))
    w_s = (rng.uniform(0.002, 0.02, channels) if per_channel
           else np.full(channels, rng.uniform(0.002, 0.02))).astype(np.float32)
    out_s = np.float32(rng.uniform(0.05, 0.4))
    out_zp = int(rng.integers(-30, 30))
    return in_s, in_zp, w_s, out_s, out_zp


def conv_model(rng, op, x_shape, w_shape, out_shape, options, *, per_channel=True, bias=True):
    """A one-op int8 conv model with random scales, weights and bias; with bias=False, the
    pair (model without bias, the same model with a zero bias) since TensorFlow Lite's
    quantized CONV_2D insists on a bias."""
    seed = int(rng.integers(1 << 30))
    if not bias:
        return (_conv_model(np.random.default_rng(seed), op, x_shape, w_shape, out_shape,
                            options, per_channel, None),
                _conv_model(np.random.default_rng(seed), op, x_shape, w_shape, out_shape,
                            options, per_channel, "zero"))
    return _conv_model(np.random.default_rng(seed), op, x_shape, w_shape, out_shape, options,
                       per_channel, "random")


def _conv_model(rng, op, x_shape, w_shape, out_shape, options, per_channel, bias):
    out_c = w_shape[0] if op == "CONV_2D" else w_shape[3]
    dim = 0 if op == "CONV_2D" else 3
    in_s, in_zp, w_s, out_s, out_zp = _random_params(rng, out_c, per_channel)
    b = ModelBuilder()
    x = b.input("x", x_shape, np.int8, quant=_q(in_s, in_zp))
    w_q = _q(w_s if per_channel else w_s[:1], 0, dim)
    w = b.constant("w", rng.integers(-127, 128, w_shape).astype(np.int8), quant=w_q)
    ins = [x, w]
    values = rng.integers(-3000, 3000, out_c).astype(np.int32)
    if bias is not None:
        ins.append(b.constant("b", values if bias == "random" else np.zeros_like(values),
                              quant=_q(w_s * in_s if per_channel else w_s[:1] * in_s, 0)))
    elif op == "DEPTHWISE_CONV_2D":
        ins.append(-1)
    y = b.tensor("y", out_shape, np.int8, quant=_q(out_s, out_zp))
    opts = "Conv2DOptions" if op == "CONV_2D" else "DepthwiseConv2DOptions"
    b.op(op, ins, [y], opts, options)
    b.output(y)
    return b.build()


def fc_model(rng, x_shape, units, out_shape, *, per_channel, act=ACT_NONE, keep_num_dims=False,
             bias=True):
    k = x_shape[-1]
    in_s, in_zp, w_s, out_s, out_zp = _random_params(rng, units, per_channel)
    b = ModelBuilder()
    x = b.input("x", x_shape, np.int8, quant=_q(in_s, in_zp))
    w = b.constant("w", rng.integers(-127, 128, (units, k)).astype(np.int8),
                   quant=_q(w_s if per_channel else w_s[:1], 0))
    ins = [x, w]
    if bias:
        ins.append(b.constant("b", rng.integers(-3000, 3000, units).astype(np.int32),
                              quant=_q(w_s * in_s if per_channel else w_s[:1] * in_s, 0)))
    y = b.tensor("y", out_shape, np.int8, quant=_q(out_s, out_zp))
    b.op("FULLY_CONNECTED", ins, [y], "FullyConnectedOptions",
         dict(fused_activation_function=act, keep_num_dims=keep_num_dims))
    b.output(y)
    return b.build()


class Tally:
    """Checks litert bit for bit against TensorFlow Lite's reference kernels and within 1 of
    its default path, counting the values that differ from the default path."""

    def __init__(self):
        self.values = self.default_diff = 0

    def check(self, model, inputs):
        """`model`, or (model for litert, equivalent model for TensorFlow Lite)."""
        model, tflite_model = model if isinstance(model, tuple) else (model, model)
        got = run_litert(model, inputs).astype(np.int32)
        ref = run_tflite(tflite_model, inputs).astype(np.int32)
        default = run_tflite_default(tflite_model, inputs).astype(np.int32)
        assert got.shape == ref.shape
        np.testing.assert_array_equal(got, ref)
        assert np.abs(got - default).max(initial=0) <= 1
        self.values += got.size
        self.default_diff += int((got != default).sum())
        return got

    def report(self, what):
        print(f"{what}: {self.values} values equal to BUILTIN_REF; "
              f"{self.values - self.default_diff} equal to the default path, others within 1")


def _x(rng, shape):
    return rng.integers(-128, 128, shape).astype(np.int8)


CONV_CASES = [
    # x_shape, w_shape, padding, stride, dilation, act
    ((1, 9, 9, 8), (16, 3, 3, 8), SAME, (1, 1), (1, 1), ACT_NONE),
    ((2, 10, 7, 3), (8, 3, 3, 3), VALID, (2, 2), (1, 1), ACT_RELU),
    ((1, 11, 11, 4), (6, 5, 3, 4), SAME, (2, 1), (1, 1), ACT_RELU6),
    ((1, 12, 12, 5), (7, 3, 3, 5), SAME, (1, 1), (2, 2), ACT_RELU_N1_TO_1),
    ((1, 8, 8, 16), (24, 1, 1, 16), VALID, (1, 1), (1, 1), ACT_RELU6),
    ((1, 7, 9, 6), (4, 2, 4, 6), SAME, (3, 2), (1, 2), ACT_NONE),
    ((1, 8, 8, 8), (8, 3, 3, 2), SAME, (1, 1), (1, 1), ACT_RELU),    # 4 groups
    ((1, 6, 6, 32), (3, 3, 3, 32), VALID, (1, 1), (1, 1), ACT_NONE),  # long dot products
]


def _conv_out(x_shape, w_shape, padding, stride, dilation, out_c):
    dims = []
    for i, (n, k, s, d) in enumerate(zip(x_shape[1:3], w_shape[1:3], stride, dilation)):
        ext = (k - 1) * d + 1
        dims.append((n + s - 1) // s if padding == SAME else (n - ext) // s + 1)
    return (x_shape[0], dims[0], dims[1], out_c)


@pytest.mark.parametrize("per_channel", [True, False])
def test_conv2d_int8_matches_tflite(per_channel):
    rng = np.random.default_rng(1)
    tally = Tally()
    for x_shape, w_shape, padding, stride, dilation, act in CONV_CASES:
        for with_bias in (True, False):
            out_shape = _conv_out(x_shape, w_shape, padding, stride, dilation, w_shape[0])
            opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                        dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
                        fused_activation_function=act)
            model = conv_model(rng, "CONV_2D", x_shape, w_shape, out_shape, opts,
                               per_channel=per_channel, bias=with_bias)
            for _ in range(2):
                tally.check(model, [_x(rng, x_shape)])
    assert tally.values > 5000
    tally.report(f"CONV_2D per_channel={per_channel}")


DW_CASES = [
    # x_shape, kernel, multiplier, padding, stride, dilation, act
    ((1, 9, 9, 8), (3, 3), 1, SAME, (1, 1), (1, 1), ACT_RELU6),
    ((2, 10, 10, 3), (3, 3), 2, VALID, (2, 2), (1, 1), ACT_NONE),
    ((1, 12, 11, 4), (5, 5), 1, SAME, (2, 2), (1, 1), ACT_RELU),
    ((1, 12, 12, 6), (3, 3), 1, SAME, (1, 1), (2, 2), ACT_NONE),
    ((1, 7, 7, 2), (2, 3), 3, SAME, (1, 2), (1, 1), ACT_RELU_N1_TO_1),
    ((1, 16, 16, 32), (3, 3), 1, SAME, (2, 2), (1, 1), ACT_RELU6),
]


@pytest.mark.parametrize("per_channel", [True, False])
def test_depthwise_conv2d_int8_matches_tflite(per_channel):
    rng = np.random.default_rng(2)
    tally = Tally()
    for x_shape, (kh, kw), mult, padding, stride, dilation, act in DW_CASES:
        out_c = x_shape[3] * mult
        w_shape = (1, kh, kw, out_c)
        out_shape = _conv_out(x_shape, w_shape, padding, stride, dilation, out_c)
        opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                    depth_multiplier=mult, dilation_h_factor=dilation[0],
                    dilation_w_factor=dilation[1], fused_activation_function=act)
        for with_bias in (True, False):
            model = conv_model(rng, "DEPTHWISE_CONV_2D", x_shape, w_shape, out_shape, opts,
                               per_channel=per_channel, bias=with_bias)
            for _ in range(2):
                tally.check(model, [_x(rng, x_shape)])
    assert tally.values > 5000
    tally.report(f"DEPTHWISE_CONV_2D per_channel={per_channel}")


FC_CASES = [
    # x_shape, units, keep_num_dims, act
    ((1, 64), 32, False, ACT_NONE),
    ((4, 30), 17, False, ACT_RELU),
    ((2, 3, 50), 10, True, ACT_RELU6),
    ((2, 3, 50), 10, False, ACT_NONE),
    ((3, 200), 40, False, ACT_RELU_N1_TO_1),
    ((8, 7), 129, False, ACT_NONE),
]


@pytest.mark.parametrize("per_channel", [True, False])
def test_fully_connected_int8_matches_tflite(per_channel):
    rng = np.random.default_rng(3)
    tally = Tally()
    for x_shape, units, keep, act in FC_CASES:
        rows = int(np.prod(x_shape[:-1]))
        out_shape = (*x_shape[:-1], units) if keep else (rows, units)
        for with_bias in (True, False):
            model = fc_model(rng, x_shape, units, out_shape, per_channel=per_channel, act=act,
                             keep_num_dims=keep, bias=with_bias)
            for _ in range(3):
                got = tally.check(model, [_x(rng, x_shape)])
                assert got.shape == out_shape
    assert tally.values > 1500
    tally.report(f"FULLY_CONNECTED per_channel={per_channel}")


def _tie_model(weight_scale, bias):
    """1x1 conv with one channel, scales 1 and weight 1: output = (x + bias) * weight_scale,
    which is an exact tie for half-integer products."""
    b = ModelBuilder()
    x = b.input("x", (1, 1, 256, 1), np.int8, quant=_q(1.0, 0))
    w = b.constant("w", np.ones((1, 1, 1, 1), np.int8), quant=_q(weight_scale, 0))
    bb = b.constant("b", np.array([bias], np.int32), quant=_q(weight_scale, 0))
    y = b.tensor("y", (1, 1, 256, 1), np.int8, quant=_q(1.0, 0))
    b.op("CONV_2D", [x, w, bb], [y], "Conv2DOptions", dict(padding=VALID, stride_h=1, stride_w=1))
    b.output(y)
    return b.build()


def _round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


@pytest.mark.parametrize("weight_scale", [0.5, 0.25, 2.0 ** -6])
def test_conv_requantization_rounds_twice_like_tflite_reference(weight_scale):
    """M = 2^-k is the Q31 multiplier 2^30 with a right shift of k - 1: the doubling high
    multiply halves rounding ties up (toward +inf), then the shift rounds ties away from
    zero. So -0.5 -> 0 for M = 1/2, and -0.375 -> -0.5 -> -1 for M = 1/4 (the real product
    rounded once would give -1 and 0)."""
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, 256, 1)
    model = _tie_model(weight_scale, 0)
    got = run_litert(model, [x]).ravel().astype(np.int32)
    k = -int(np.log2(weight_scale))
    half = np.floor(x.ravel().astype(np.float64) / 2 + 0.5)
    expected = _round_half_away(half / 2.0 ** (k - 1))
    np.testing.assert_array_equal(got, np.clip(expected, -128, 127))
    np.testing.assert_array_equal(got, run_tflite(model, [x]).ravel())
    # TensorFlow Lite's default path rounds the product once, ties to even: within 1.
    default = run_tflite_default(model, [x]).ravel().astype(np.int32)
    assert np.abs(got - default).max() <= 1


def _fc_bias_model(in_s, w_s, out_s, out_zp, bias):
    """FULLY_CONNECTED with one input feature and unit weights: acc = x + bias[unit]."""
    b = ModelBuilder()
    x = b.input("x", (256, 1), np.int8, quant=_q(in_s, 0))
    w = b.constant("w", np.ones((len(bias), 1), np.int8), quant=_q(w_s, 0))
    bb = b.constant("b", np.asarray(bias, np.int32), quant=_q(np.float32(in_s * w_s), 0))
    y = b.tensor("y", (256, len(bias)), np.int8, quant=_q(out_s, out_zp))
    b.op("FULLY_CONNECTED", [x, w, bb], [y], "FullyConnectedOptions", {})
    b.output(y)
    return b.build()


_X_ALL = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)


@pytest.mark.parametrize("weight_scale,out_zp", [(0.5, 0), (0.25, 5), (0.5, -5)])
def test_fully_connected_rounds_ties_away_from_zero_before_zero_point(weight_scale, out_zp):
    model = _fc_bias_model(1.0, weight_scale, 1.0, out_zp, [0, 1])
    got = run_litert(model, [_X_ALL]).astype(np.int32)
    acc = _X_ALL.astype(np.float64) + np.array([0, 1])
    expected = np.clip(_round_half_away(acc * weight_scale) + out_zp, -128, 127)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, run_tflite(model, [_X_ALL]))


def test_fully_connected_requantizes_with_double_precision_multiplier():
    """Accumulators placed next to ties of acc * M, M = in * w / out in double: the 32 bits of
    a Q31 multiplier round ~0.2% of these to the other side; TensorFlow Lite's reference
    FULLY_CONNECTED (and litert) round the double product."""
    rng = np.random.default_rng(13)
    total = q31_differs = 0
    for _ in range(4):
        in_s, w_s = (float(v) for v in rng.uniform(0.0005, 0.002, 2).astype(np.float32))
        out_s = float(np.float32(rng.uniform(5, 20)))
        m = np.float64(in_s) * np.float64(w_s) / np.float64(out_s)
        bias = [round((k + 0.5) / m) for k in rng.integers(-40, 40, 128)]
        out_zp = int(rng.integers(-20, 20))
        model = _fc_bias_model(in_s, w_s, out_s, out_zp, bias)
        got = run_litert(model, [_X_ALL]).astype(np.int32)
        np.testing.assert_array_equal(got, run_tflite(model, [_X_ALL]))
        acc = _X_ALL.astype(np.int64) + np.array(bias, np.int64)
        # Python's float product and round-half-away: an independent reference.
        expected = np.clip(_round_half_away(acc.astype(np.float64) * m) + out_zp, -128, 127)
        np.testing.assert_array_equal(got, expected)
        # what a Q31 multiplier (frexp, 31-bit fraction) would give, exactly in integers
        frac, exp = np.frexp(m)
        q31 = int(round(frac * 2 ** 31))
        num = acc * q31
        den = 2 ** (31 - int(exp))
        q31_out = np.sign(num) * ((np.abs(num) + den // 2) // den)
        q31_differs += int((np.clip(q31_out + out_zp, -128, 127) != got).sum())
        total += got.size
    assert q31_differs > 0  # the test really separates the two rules


def test_activation_clamp_in_output_integers():
    """RELU6 with an output scale that makes 6.0 land inside the int8 range."""
    rng = np.random.default_rng(4)
    b = ModelBuilder()
    x = b.input("x", (1, 64), np.int8, quant=_q(0.05, 3))
    w = b.constant("w", rng.integers(-127, 128, (16, 64)).astype(np.int8), quant=_q(0.01, 0))
    y = b.tensor("y", (1, 16), np.int8, quant=_q(0.06, -20))
    b.op("FULLY_CONNECTED", [x, w], [y], "FullyConnectedOptions",
         dict(fused_activation_function=ACT_RELU6))
    b.output(y)
    model = b.build()
    xs = rng.integers(-128, 128, (1, 64)).astype(np.int8)
    got = run_litert(model, [xs]).astype(np.int32)
    lo, hi = -20, -20 + round(6 / 0.06)
    assert got.min() >= lo and got.max() <= hi
    assert (got == lo).any() and (got == hi).any()  # both bounds reached with these values
    np.testing.assert_array_equal(got, run_tflite(model, [xs]))


def test_conv2d_int8_rejects_nonzero_weight_zero_point():
    from litert import Interpreter
    b = ModelBuilder()
    x = b.input("x", (1, 4, 4, 2), np.int8, quant=_q(0.1, 0))
    w = b.constant("w", np.ones((2, 1, 1, 2), np.int8), quant=_q([0.1, 0.1], [0, 5]))
    y = b.tensor("y", (1, 4, 4, 2), np.int8, quant=_q(0.1, 0))
    b.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions", dict(padding=SAME, stride_h=1, stride_w=1))
    b.output(y)
    it = Interpreter(model_content=b.build())
    with pytest.raises(Exception, match="zero point 5 for channel 1; expected 0"):
        it.allocate_tensors()


def test_conv2d_int8_rejects_missing_output_quantization():
    from litert import Interpreter
    b = ModelBuilder()
    x = b.input("x", (1, 4, 4, 2), np.int8, quant=_q(0.1, 0))
    w = b.constant("w", np.ones((2, 1, 1, 2), np.int8), quant=_q([0.1, 0.1], 0))
    y = b.tensor("y", (1, 4, 4, 2), np.int8)
    b.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions", dict(padding=SAME, stride_h=1, stride_w=1))
    b.output(y)
    it = Interpreter(model_content=b.build())
    with pytest.raises(Exception, match="no quantization parameters"):
        it.allocate_tensors()


# ---- QUANTIZE / DEQUANTIZE ---------------------------------------------------------------

def _convert_model(in_dtype, in_q, out_dtype, out_q, shape, op="QUANTIZE"):
    b = ModelBuilder()
    x = b.input("x", shape, in_dtype, quant=in_q)
    y = b.tensor("y", shape, out_dtype, quant=out_q)
    b.op(op, [x], [y])
    b.output(y)
    return b.build()


def _float_values_with_ties(rng, scale, zero_point):
    """Random floats plus exact and nearly exact half-way points of the quantization grid,
    and values beyond both ends of the range."""
    k = np.arange(-140, 140).astype(np.float32) + np.float32(0.5)
    ties = (k * np.float32(scale)).astype(np.float32)
    return np.concatenate([
        rng.normal(0, 80 * scale, 3000).astype(np.float32), ties,
        np.nextafter(ties, np.float32(-np.inf)), np.nextafter(ties, np.float32(np.inf)),
        np.float32([0.0, -0.0, 1e30, -1e30, np.inf, -np.inf])]).astype(np.float32)


@pytest.mark.parametrize("dtype,scale,zero_point", [
    (np.int8, 0.0371, 0), (np.int8, 0.1, -7), (np.int8, 0.003, 100), (np.uint8, 0.05, 128),
    (np.uint8, 0.021, 3)])
def test_quantize_float_matches_tflite_reference(dtype, scale, zero_point):
    rng = np.random.default_rng(5)
    x = _float_values_with_ties(rng, scale, zero_point)
    model = _convert_model(np.float32, None, dtype, _q(scale, zero_point), x.shape)
    got = run_litert(model, [x])
    assert got.dtype == dtype
    # Independent NumPy reference: float division, ties away from zero, saturation.
    info = np.iinfo(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        q = (x / np.float32(scale)).astype(np.float32)
        expected = np.clip(_round_half_away(q.astype(np.float64)) + zero_point,
                           info.min, info.max)
    np.testing.assert_array_equal(got, expected.astype(dtype))
    # TensorFlow Lite's reference kernel: bit for bit on every value whose quotient fits
    # int32 (it converts larger ones, +-1e30 and inf here, with undefined behaviour).
    ref = run_tflite(model, [x])
    moderate = np.abs(x) < 1e6
    np.testing.assert_array_equal(got[moderate], ref[moderate])
    # The default path multiplies by a reciprocal and rounds ties to even: within 1.
    default = run_tflite_default(model, [x]).astype(np.int32)
    assert np.abs(got.astype(np.int32) - default)[moderate].max() <= 1


def test_quantize_float_per_channel():
    rng = np.random.default_rng(6)
    scales = np.float32([0.05, 0.013, 0.2])
    zps = [0, -5, 9]
    x = rng.normal(0, 2, (4, 3, 7)).astype(np.float32)
    x[0, :, 0] = np.float32(2.5) * scales  # exact ties: away from zero
    model = _convert_model(np.float32, None, np.int8, _q(scales, zps, dim=1), x.shape)
    got = run_litert(model, [x])
    q = x / scales[None, :, None]
    expected = np.clip(_round_half_away(q) + np.array(zps)[None, :, None],
                       -128, 127).astype(np.int8)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, run_tflite(model, [x]))


@pytest.mark.parametrize("in_scale,in_zp,out_scale,out_zp", [
    (0.1, 3, 0.05, -2), (0.02, -10, 0.07, 5), (0.3, 1, 0.2, 1), (0.05, 0, 0.1, 0),
    (0.0371, -50, 0.0123, 40), (0.5, 0, 0.5, 0), (0.01, 7, 0.9, -3), (0.001, 5, 0.5, -1),
    (0.25, 0, 1.0, 0)])
def test_requantize_int8_matches_tflite_reference(in_scale, in_zp, out_scale, out_zp):
    x = np.arange(-128, 128, dtype=np.int8)
    model = _convert_model(np.int8, _q(in_scale, in_zp), np.int8, _q(out_scale, out_zp), x.shape)
    got = run_litert(model, [x])
    np.testing.assert_array_equal(got, run_tflite(model, [x]))
    exact = (x.astype(np.float64) - in_zp) * np.float32(in_scale) / np.float32(out_scale)
    # Two roundings (the high multiply's, <= 0.25 output steps once a right shift follows,
    # and the shift's 0.5) plus the Q31 multiplier's relative error (2^-31) on |exact| < 2^15
    assert np.abs(got - np.clip(exact + out_zp, -128, 127)).max() <= 0.75 + 1e-5
    default = run_tflite_default(model, [x]).astype(np.int32)
    assert np.abs(got.astype(np.int32) - default).max() <= 1


def test_dequantize_per_channel_matches_tflite():
    rng = np.random.default_rng(7)
    scales = np.float32([0.05, 0.013, 0.2, 1.5])
    zps = [0, -5, 9, 127]
    x = rng.integers(-128, 128, (3, 4, 5)).astype(np.int8)
    b = ModelBuilder()
    c = b.constant("c", x, quant=_q(scales, zps, dim=1))
    y = b.tensor("y", x.shape, np.float32)
    b.op("DEQUANTIZE", [c], [y])
    b.output(y)
    model = b.build()
    got = run_litert(model, [])
    expected = (scales[None, :, None] *
                (x.astype(np.float32) - np.float32(zps)[None, :, None])).astype(np.float32)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got, run_tflite(model, []))


def test_quantize_rejects_float_output():
    from litert import Interpreter
    model = _convert_model(np.float32, None, np.float32, None, (4,))
    with pytest.raises(Exception, match="expected INT8 or UINT8"):
        Interpreter(model_content=model).allocate_tensors()
