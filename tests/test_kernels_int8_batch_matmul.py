"""int8 BATCH_MATMUL against TensorFlow Lite and against the fixed-point rule written in NumPy.

litert must equal TensorFlow Lite's reference kernels (BUILTIN_REF) bit for bit. The output
stage of that kernel was determined by measurement: the Q31 multiplier and shift of
M = x_scale * y_scale / output_scale with double rounding (like CONV_2D), not the rounding
of acc * M in double that FULLY_CONNECTED's reference uses. The tests pin it two ways: the
reference equals the Q31 rule computed here in NumPy on every value, and differs from the
double rule on some (so the cases do tell the two apart). TensorFlow Lite's default
kernels (with and without XNNPACK) are checked within 1 and their exact share reported;
on these cases they agree everywhere.
"""
import numpy as np
import pytest

from int8_compare import diff_stats, full_range_int8, random_quant, run_litert, run_tflite
from litert import Interpreter
from tflite_builder import ModelBuilder


def _operand_shape(batch, rows, cols, adj):
    return tuple(batch) + ((cols, rows) if adj else (rows, cols))


def bmm_model(x_shape, y_shape, out_shape, x_q, y_q, out_q, adj_x, adj_y, y_const=None):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, np.int8, quant=x_q)
    y = (mb.constant("y", y_const, quant=y_q) if y_const is not None
         else mb.input("y", y_shape, np.int8, quant=y_q))
    out = mb.tensor("out", out_shape, np.int8, quant=out_q)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", dict(adj_x=adj_x, adj_y=adj_y))
    mb.output(out)
    return mb.build()


# ---- The two candidate output stages, in NumPy ------------------------------------------------

def exact_accumulators(x, y, x_zp, y_zp, adj_x, adj_y):
    """sum_k (x - x_zp) * (y - y_zp) over broadcast batches, exact in int64."""
    xi = x.astype(np.int64) - x_zp
    yi = y.astype(np.int64) - y_zp
    if adj_x:
        xi = np.swapaxes(xi, -1, -2)
    if adj_y:
        yi = np.swapaxes(yi, -1, -2)
    return np.matmul(xi, yi)


def quantize_multiplier(m):
    """TensorFlow Lite's QuantizeMultiplier, written from its definition: frexp, round the
    fraction to Q31 half away from zero, carry 2^31 into the exponent."""
    frac, exp = np.frexp(m)
    q = int(np.floor(abs(frac) * 2.0**31 + 0.5))
    if q == 2**31:
        q //= 2
        exp += 1
    return q, int(exp)


def q31_rule(acc, m):
    """Double-rounding MultiplyByQuantizedMultiplier on int32 accumulators."""
    q, shift = quantize_multiplier(m)
    left, right = max(shift, 0), max(-shift, 0)
    a = acc.astype(np.int64) * (1 << left)
    a = ((a + 2**31) % 2**32) - 2**31  # int32 wrap of the left shift
    prod = a * q
    nudge = np.where(prod >= 0, 1 << 30, 1 - (1 << 30))
    t = prod + nudge
    high = np.where(t >= 0, t // 2**31, -((-t) // 2**31))  # division truncating toward 0
    if right == 0:
        return high
    mask = (1 << right) - 1
    rem = high & mask
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + (rem > threshold)


def double_rule(acc, m):
    """round(acc * M) in double, ties away from zero."""
    v = acc.astype(np.float64) * m
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def output_of(rule_values, out_zp):
    return np.clip(rule_values + out_zp, -128, 127).astype(np.int64)


# ---- Agreement with TensorFlow Lite -----------------------------------------------------------

# (x batch dims, y batch dims, M, K, N); every case runs with all four adj_x / adj_y pairs.
SHAPES = [
    ((), (), 1, 1, 1),
    ((), (), 5, 7, 3),
    ((2,), (2,), 3, 5, 4),
    ((1,), (1,), 7, 16, 9),
    ((3,), (), 4, 6, 5),            # y shared by every batch (rank 3 x rank 2)
    ((), (4,), 6, 3, 2),            # x shared
    ((2, 1), (3,), 4, 8, 6),        # both broadcast
    ((2, 3), (2, 1), 3, 33, 5),
    ((1, 4), (3, 1), 2, 9, 7),
    ((2, 1, 2), (1, 3, 1), 2, 4, 3),  # rank 5
    ((5,), (5,), 20, 64, 12),       # long dot products
    ((), (), 1, 300, 1),
    ((2,), (2,), 1, 40, 17),        # one row
]


def _cases():
    for shape in SHAPES:
        for adj_x in (False, True):
            for adj_y in (False, True):
                yield shape, adj_x, adj_y


def test_batch_matmul_int8_matches_tflite():
    rng = np.random.default_rng(11)
    total = differs_from_double = 0
    counts = {"builtin": 0, "default": 0}
    for (xb, yb, m, k, n), adj_x, adj_y in _cases():
        x_shape = _operand_shape(xb, m, k, adj_x)
        y_shape = _operand_shape(yb, k, n, adj_y)
        out_shape = tuple(np.broadcast_shapes(xb, yb)) + (m, n)
        for _ in range(2):
            # Output scales from small to large relative to the accumulator range, so
            # results span the whole int8 range and saturate at both ends.
            x_q, y_q = random_quant(rng), random_quant(rng)
            out_q = random_quant(rng, 1e-3, 3.0)
            model = bmm_model(x_shape, y_shape, out_shape, x_q, y_q, out_q, adj_x, adj_y)
            x, y = full_range_int8(rng, x_shape), full_range_int8(rng, y_shape)
            got = run_litert(model, [x, y])
            ref = run_tflite(model, [x, y], "ref")
            assert got.shape == out_shape and got.dtype == np.int8
            np.testing.assert_array_equal(got, ref)

            mult = (np.float64(x_q["scale"][0]) * np.float64(y_q["scale"][0])
                    / np.float64(out_q["scale"][0]))
            acc = exact_accumulators(x, y, x_q["zero_point"][0], y_q["zero_point"][0],
                                     adj_x, adj_y)
            zp = out_q["zero_point"][0]
            np.testing.assert_array_equal(output_of(q31_rule(acc, mult), zp), ref)
            differs_from_double += int((output_of(double_rule(acc, mult), zp) != ref).sum())

            for which in counts:
                max_diff, exact = diff_stats(got, run_tflite(model, [x, y], which))
                assert max_diff <= 1, which
                counts[which] += round(exact * got.size)
            total += got.size
    assert total > 4000
    # The cases distinguish the Q31 rule from rounding in double.
    assert differs_from_double > 0
    print(f"BATCH_MATMUL int8: {total} values equal to BUILTIN_REF (and the Q31 rule); "
          f"{differs_from_double} would differ under double rounding; equal to "
          f"BUILTIN_WITHOUT_DEFAULT_DELEGATES: {counts['builtin']}, "
          f"to the default interpreter: {counts['default']}")


@pytest.mark.parametrize("adj_y", [False, True])
def test_batch_matmul_int8_constant_y(adj_y):
    """y as a constant tensor (as converters emit for weights), with a nonzero zero point."""
    rng = np.random.default_rng(12)
    x_shape, k, n = (2, 3, 5, 24), 24, 10
    y_shape = (n, k) if adj_y else (k, n)
    y_q = dict(scale=[np.float32(0.02)], zero_point=[17])
    y_const = full_range_int8(rng, y_shape)
    x_q, out_q = random_quant(rng), random_quant(rng, 0.05, 2.0)
    model = bmm_model(x_shape, y_shape, (2, 3, 5, n), x_q, y_q, out_q, False, adj_y,
                      y_const=y_const)
    for _ in range(3):
        x = full_range_int8(rng, x_shape)
        np.testing.assert_array_equal(run_litert(model, [x]), run_tflite(model, [x], "ref"))


def test_batch_matmul_int8_saturates_and_wraps_like_int32():
    """Extreme zero points and operands: the largest accumulators (|term| = 255 * 255) and
    output saturation at both ends of int8."""
    rng = np.random.default_rng(13)
    x_q = dict(scale=[np.float32(0.5)], zero_point=[127])
    y_q = dict(scale=[np.float32(0.5)], zero_point=[-128])
    for out_scale in (0.25, 1e3, 3e5):
        out_q = dict(scale=[np.float32(out_scale)], zero_point=[-3])
        model = bmm_model((2, 4, 64), (2, 64, 3), (2, 4, 3), x_q, y_q, out_q, False, False)
        x = full_range_int8(rng, (2, 4, 64))
        x[0] = -128  # every term (-255) * y: the largest magnitudes
        y = full_range_int8(rng, (2, 64, 3))
        got = run_litert(model, [x, y])
        np.testing.assert_array_equal(got, run_tflite(model, [x, y], "ref"))
    assert got.min() >= -128 and got.max() <= 127


def test_batch_matmul_int8_empty_depth():
    """K = 0: every accumulator is 0, so every output is the output zero point (NumPy's
    answer; TensorFlow Lite is not asked, its kernel is not meant for empty operands)."""
    q = dict(scale=[np.float32(0.1)], zero_point=[5])
    out_q = dict(scale=[np.float32(0.2)], zero_point=[-7])
    model = bmm_model((2, 3, 0), (2, 0, 4), (2, 3, 4), q, q, out_q, False, False)
    got = run_litert(model, [np.zeros((2, 3, 0), np.int8), np.zeros((2, 0, 4), np.int8)])
    np.testing.assert_array_equal(got, np.full((2, 3, 4), -7, np.int8))


def _expect_prepare_error(model, match):
    interp = Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match=match):
        interp.allocate_tensors()


def test_batch_matmul_int8_errors():
    q = dict(scale=[np.float32(0.1)], zero_point=[0])
    # y quantized per channel: BATCH_MATMUL's int8 kernel takes one scale per tensor.
    per_channel = dict(scale=[0.1, 0.2, 0.3], zero_point=[0, 0, 0], quantized_dimension=1)
    mb = ModelBuilder()
    x = mb.input("x", (2, 4), np.int8, quant=q)
    y = mb.input("y", (4, 3), np.int8, quant=per_channel)
    out = mb.tensor("out", (2, 3), np.int8, quant=q)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", {})
    mb.output(out)
    _expect_prepare_error(mb.build(), "input y .* per-channel")
    # int8 x with a float y.
    mb = ModelBuilder()
    x = mb.input("x", (2, 4), np.int8, quant=q)
    y = mb.input("y", (4, 3), np.float32)
    out = mb.tensor("out", (2, 3), np.int8, quant=q)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", {})
    mb.output(out)
    _expect_prepare_error(mb.build(), "expected INT8 like input")
    # Output without quantization parameters.
    mb = ModelBuilder()
    x = mb.input("x", (2, 4), np.int8, quant=q)
    y = mb.input("y", (4, 3), np.int8, quant=q)
    out = mb.tensor("out", (2, 3), np.int8)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", {})
    mb.output(out)
    _expect_prepare_error(mb.build(), "no quantization parameters")
