"""SIMD kernels of the element-wise ops, pooling, MEAN and activations against the portable ones.

Each case builds a one-op model and runs it at every SIMD level this CPU has (`simd_isa`) and at
isa="portable" (the reference kernels, themselves checked against TensorFlow Lite elsewhere),
on one and two threads.

Agreement:
  int8 (ADD, SUB, MUL, pools, MEAN): bit-exact.
  float32 ADD / SUB / MUL / DIV, MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, RELU, RELU6, RELU_N1_TO_1,
      HARD_SWISH: bit-exact too (the same IEEE operations in the same order per element; the
      clamps keep NaN and the sign of zero like the portable comparisons).
  float32 LOGISTIC, TANH, GELU (tanh form): the SIMD kernels evaluate their own polynomials
      instead of the C library's expf / tanhf: see ULP_BOUND below for the bound asserted (in
      units in the last place of the portable result; NaN and infinities pass through
      identically). GELU's erf form, ELU and EXP: tests/test_simd_unary.py.
  Threads: the output with num_threads=2 equals the one with num_threads=1 bit for bit.
"""
import zlib

import numpy as np
import pytest

from int8_compare import binary_model, full_range_int8, random_quant
from op_runner import run_litert
from tflite_builder import ModelBuilder

SIZES = [1, 7, 15, 16, 17, 33, 1000]


def seeded(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def run_levels(model, inputs, isa):
    """(portable output, SIMD output on 1 thread); asserts the SIMD output on 2 threads is
    bit-identical to the 1-thread one."""
    ref = run_litert(model, inputs, isa="portable", num_threads=1)
    one = run_litert(model, inputs, isa=isa, num_threads=1)
    two = run_litert(model, inputs, isa=isa, num_threads=2)
    np.testing.assert_array_equal(one.view(np.uint8), two.view(np.uint8))
    return ref, one


def assert_same_bits(got, ref):
    """Equal bit for bit, except that any NaN equals any NaN (payloads may differ)."""
    assert got.shape == ref.shape and got.dtype == ref.dtype
    if got.dtype == np.float32:
        both_nan = np.isnan(got) & np.isnan(ref)
        g, r = got.view(np.uint32), ref.view(np.uint32)
        bad = (g != r) & ~both_nan
    else:
        bad = got != ref
    if bad.any():
        i = np.flatnonzero(bad.reshape(-1))[0]
        raise AssertionError(f"{bad.sum()} of {bad.size} differ; first at {i}: got "
                             f"{got.reshape(-1)[i]!r}, expected {ref.reshape(-1)[i]!r}")


# Special float values spread over the inputs: NaN and infinities must pass through the
# clamps as the portable comparisons let them, signed zeros keep their sign.
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 6.0, -1.0, 1.0, 1e-40, -3.4e38],
                    np.float32)


def float_input(rng, shape, scale=4.0, specials=True):
    x = (rng.standard_normal(shape) * scale).astype(np.float32)
    flat = x.reshape(-1)
    if specials and flat.size >= 3:
        idx = rng.choice(flat.size, size=min(flat.size // 3, SPECIALS.size), replace=False)
        flat[idx] = SPECIALS[:idx.size]
    return x


# ---- ADD / SUB / MUL / DIV -------------------------------------------------------------------

BINARY_OPS = [("ADD", "AddOptions"), ("SUB", "SubOptions"), ("MUL", "MulOptions"),
              ("DIV", "DivOptions")]

# Same shapes over every size, then the broadcasts the walker turns into sv / vs rows and
# short rows.
BROADCASTS = [((n,), (n,)) for n in SIZES] + [
    ((1,), (1000,)), ((33,), (1,)), ((2, 5, 7, 33), (33,)), ((17,), (4, 3, 17)),
    ((3, 1, 17), (1, 5, 17)), ((2, 3, 4, 5), (2, 1, 4, 1)), ((4, 1), (4, 100)),
    ((1, 8, 8, 24), (1, 8, 8, 24)), ((6, 1, 1), (1, 9, 16)),
    # large enough to be split over two threads
    ((1, 40, 40, 23), (1, 40, 40, 23)), ((2, 100, 67), (67,)), ((1,), (20001,))]


def float_binary_model(op, table, a_shape, b_shape, act):
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    b = ModelBuilder()
    x = b.input("a", a_shape)
    y = b.input("b", b_shape)
    z = b.tensor("out", out_shape)
    b.op(op, [x, y], [z], table, dict(fused_activation_function=act))
    b.output(z)
    return b.build()


@pytest.mark.parametrize("op,table", BINARY_OPS)
@pytest.mark.parametrize("shapes", BROADCASTS)
def test_float_binary(simd_isa, op, table, shapes):
    rng = seeded(op, shapes)
    a, b = float_input(rng, shapes[0]), float_input(rng, shapes[1])
    for act in (0, 1, 2, 3):
        ref, got = run_levels(float_binary_model(op, table, *shapes, act), [a, b], simd_isa)
        assert_same_bits(got, ref)


@pytest.mark.parametrize("op,table", BINARY_OPS[:3])
@pytest.mark.parametrize("shapes", BROADCASTS)
def test_int8_binary(simd_isa, op, table, shapes):
    rng = seeded("q8", op, shapes)
    out_shape = np.broadcast_shapes(*shapes)
    a, b = full_range_int8(rng, shapes[0]), full_range_int8(rng, shapes[1])
    for act in (0, 1, 3):
        aq, bq = random_quant(rng), random_quant(rng)
        # An output scale the results span, and a random one (often saturating).
        for oq in (dict(scale=[np.float32(0.02 if op != "MUL" else 0.005)],
                        zero_point=[int(rng.integers(-20, 21))]),
                   random_quant(rng, 1e-3, 1.0)):
            model = binary_model(op, shapes[0], shapes[1], out_shape, aq, bq, oq, table,
                                 dict(fused_activation_function=act))
            ref, got = run_levels(model, [a, b], simd_isa)
            assert_same_bits(got, ref)


def test_int8_binary_large_parallel(simd_isa):
    # Enough elements for the two-thread split (and a row that is not a multiple of 16).
    rng = seeded("large")
    shape = (1, 56, 56, 23)
    a, b = full_range_int8(rng, shape), full_range_int8(rng, shape)
    for op, table in BINARY_OPS[:3]:
        aq, bq, oq = random_quant(rng), random_quant(rng), random_quant(rng, 1e-2, 0.5)
        model = binary_model(op, shape, shape, shape, aq, bq, oq, table,
                             dict(fused_activation_function=0))
        ref, got = run_levels(model, [a, b], simd_isa)
        assert_same_bits(got, ref)


# ---- pools -----------------------------------------------------------------------------------

SAME, VALID = 0, 1

# (input shape, (kh, kw), (sh, sw), padding): odd and block-straddling channel counts (the
# SIMD blocks are 8/16/32/64/128/256 channels wide), SAME windows clipped at the edges.
POOL_CASES = [((1, 8, 8, 1), (2, 2), (2, 2), VALID), ((2, 9, 11, 3), (3, 3), (2, 2), SAME),
              ((1, 7, 7, 17), (7, 7), (1, 1), VALID), ((1, 10, 9, 33), (3, 3), (1, 1), SAME),
              ((1, 6, 6, 64), (2, 3), (2, 1), SAME), ((1, 5, 5, 65), (5, 5), (5, 5), SAME),
              ((3, 4, 6, 7), (4, 4), (3, 3), SAME), ((1, 7, 7, 259), (3, 3), (2, 2), SAME),
              ((1, 3, 3, 15), (7, 7), (1, 1), SAME), ((1, 13, 13, 100), (3, 3), (2, 2), VALID)]


def pool_out_size(size, k, s, pad):
    return -(-size // s) if pad == SAME else (size - k) // s + 1


def pool_model(op, shape, k, s, pad, act, dtype, quant=None):
    oh, ow = pool_out_size(shape[1], k[0], s[0], pad), pool_out_size(shape[2], k[1], s[1], pad)
    b = ModelBuilder()
    x = b.input("x", shape, dtype, quant=quant)
    y = b.tensor("y", (shape[0], oh, ow, shape[3]), dtype, quant=quant)
    b.op(op, [x], [y], "Pool2DOptions",
         dict(padding=pad, stride_h=s[0], stride_w=s[1], filter_height=k[0], filter_width=k[1],
              fused_activation_function=act))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_float_pool(simd_isa, op, case):
    shape, k, s, pad = case
    rng = seeded(op, case)
    x = float_input(rng, shape)
    for act in (0, 1, 2, 3, 4):  # 4 = TANH stays on the portable kernel: same result
        ref, got = run_levels(pool_model(op, shape, k, s, pad, act, np.float32), [x], simd_isa)
        assert_same_bits(got, ref)


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_int8_pool(simd_isa, op, case):
    shape, k, s, pad = case
    rng = seeded("q8", op, case)
    x = full_range_int8(rng, shape)
    for act in (0, 1, 3):
        q = random_quant(rng, 0.01, 0.1)
        ref, got = run_levels(pool_model(op, shape, k, s, pad, act, np.int8, q), [x], simd_isa)
        assert_same_bits(got, ref)


def test_int8_average_pool_rounding(simd_isa):
    # Every window count from 1 to 49 (SAME 7x7 clipped at the borders) and sums on .5 ties:
    # constant inputs of +-1, +-127 and alternating values.
    shape = (1, 7, 7, 19)
    q = dict(scale=[0.05], zero_point=[0])
    model = pool_model("AVERAGE_POOL_2D", shape, (7, 7), (1, 1), SAME, 0, np.int8, q)
    rng = seeded("ties")
    for fill in (1, -1, 127, -128):
        x = np.full(shape, fill, np.int8)
        x.reshape(-1)[::2] = rng.integers(-128, 128, size=x.size // 2 + 1)
        ref, got = run_levels(model, [x], simd_isa)
        assert_same_bits(got, ref)


def test_pool_large_parallel(simd_isa):
    rng = seeded("pool-large")
    shape = (2, 56, 56, 37)
    xf, xq = float_input(rng, shape), full_range_int8(rng, shape)
    q = dict(scale=[0.02], zero_point=[-3])
    for op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        for x, dtype, quant in ((xf, np.float32, None), (xq, np.int8, q)):
            model = pool_model(op, shape, (3, 3), (2, 2), SAME, 0, dtype, quant)
            ref, got = run_levels(model, [x], simd_isa)
            assert_same_bits(got, ref)


# ---- MEAN ------------------------------------------------------------------------------------

MEAN_CASES = [((1, 7, 7, 1280), [1, 2], True), ((2, 5, 6, 17), [1, 2], False),
              ((1, 3, 3, 1), [1, 2], True), ((3, 20, 33), [1], False), ((4, 7, 65), [-2], True),
              ((2, 4, 4, 3), [2, 1], True), ((1, 1, 1, 100), [1, 2], True),
              ((5, 16), [0], False), ((2, 3, 5, 7), [1], True), ((1, 56, 56, 24), [1, 2], True),
              ((2, 64, 64, 40), [1, 2], True)]  # split over two threads


def mean_model(shape, axes, keep, dtype, in_q=None, out_q=None):
    out_shape = np.mean(np.zeros(shape), axis=tuple(axes), keepdims=keep).shape
    b = ModelBuilder()
    x = b.input("x", shape, dtype, quant=in_q)
    ax = b.constant("axes", np.array(axes, np.int32), shape=[len(axes)])
    y = b.tensor("y", out_shape, dtype, quant=out_q)
    b.op("MEAN", [x, ax], [y], "ReducerOptions", dict(keep_dims=keep))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("case", MEAN_CASES)
def test_float_mean(simd_isa, case):
    shape, axes, keep = case
    x = float_input(seeded("mean", case), shape)
    ref, got = run_levels(mean_model(shape, axes, keep, np.float32), [x], simd_isa)
    assert_same_bits(got, ref)


@pytest.mark.parametrize("case", MEAN_CASES)
def test_int8_mean(simd_isa, case):
    shape, axes, keep = case
    rng = seeded("q8 mean", case)
    x = full_range_int8(rng, shape)
    for _ in range(3):
        in_q, out_q = random_quant(rng, 0.01, 0.5), random_quant(rng, 0.001, 0.5)
        model = mean_model(shape, axes, keep, np.int8, in_q, out_q)
        ref, got = run_levels(model, [x], simd_isa)
        assert_same_bits(got, ref)


# ---- activations (float32) -------------------------------------------------------------------

# Largest difference from the portable kernels (glibc's expf / tanhf), in units in the last
# place of the portable result: measured over every float32 in [-120, 120] for both SIMD
# levels (LOGISTIC 2, TANH 2). GELU (tanh form) cancels in 1 + tanh(..) for x < -3 as the
# portable formula does: there the bound is on |d| <= GELU_BOUND * (ulp(ref) + |x| 2^-24)
# (measured: 1.3).
ULP_BOUND = {"LOGISTIC": 2, "TANH": 2}
GELU_BOUND = 2.0

EXACT_ACTS = [("RELU", None, None), ("RELU6", None, None), ("RELU_N1_TO_1", None, None),
              ("HARD_SWISH", None, None), ("LEAKY_RELU", "LeakyReluOptions", dict(alpha=0.2)),
              ("LEAKY_RELU", "LeakyReluOptions", dict(alpha=1.5))]
# GELU's exact (erf) form, ELU and EXP: tests/test_simd_unary.py


def act_model(op, shape, table=None, options=None):
    b = ModelBuilder()
    x = b.input("x", shape)
    y = b.tensor("y", shape)
    b.op(op, [x], [y], table, options)
    b.output(y)
    return b.build()


def act_inputs(rng, n):
    """Random values over many magnitudes, with the specials and the knees (0, +-1, 3, 6)."""
    x = (rng.standard_normal(n) * np.exp(rng.uniform(-6, 5, n))).astype(np.float32)
    knees = np.array([0.0, -0.0, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 0.625, -0.625, 9.0, -9.0,
                      -88.0, -104.0, 89.0, 1e-30, -1e-30, 1e-40, -1e-40], np.float32)
    k = min(n, knees.size)
    x[:k] = knees[:k]
    if n > 3 * SPECIALS.size:
        x[-SPECIALS.size:] = SPECIALS
    return x


def ulp_distance(a, b):
    """|a - b| in float32 ulps (ordered bit patterns); NaN must match NaN."""
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    d = np.abs(ia - ib)
    d[np.isnan(a)] = 0
    return d


@pytest.mark.parametrize("op,table,options", EXACT_ACTS)
@pytest.mark.parametrize("n", SIZES + [40001])
def test_exact_activations(simd_isa, op, table, options, n):
    x = act_inputs(seeded(op, n), n)
    ref, got = run_levels(act_model(op, (n,), table, options), [x], simd_isa)
    assert_same_bits(got, ref)


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("n", SIZES + [200003])
def test_transcendental_activations(simd_isa, op, n):
    x = act_inputs(seeded(op, n), n)
    if n > 1000:  # a dense sweep of the interesting range too
        x[:100000] = np.linspace(-20, 20, 100000, dtype=np.float32)
    ref, got = run_levels(act_model(op, (n,), None, None), [x], simd_isa)
    d = ulp_distance(got, ref)
    assert d.max() <= ULP_BOUND[op], (x[np.argmax(d)], got[np.argmax(d)], ref[np.argmax(d)])
    # Signs of zero, saturation and NaN exactly as the portable kernel.
    edge = np.isnan(ref) | (ref == 0) | (np.abs(ref) == 1)
    assert_same_bits(got[edge & (np.abs(x) > 20) | (x == 0) | np.isnan(x)],
                     ref[edge & (np.abs(x) > 20) | (x == 0) | np.isnan(x)])


@pytest.mark.parametrize("n", SIZES + [200003])
def test_gelu_tanh(simd_isa, n):
    x = act_inputs(seeded("gelu", n), n)
    if n > 1000:
        x[:100000] = np.linspace(-12, 12, 100000, dtype=np.float32)
    model = act_model("GELU", (n,), "GeluOptions", dict(approximate=True))
    ref, got = run_levels(model, [x], simd_isa)
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    g, r, xx = got[ok].astype(np.float64), ref[ok].astype(np.float64), x[ok].astype(np.float64)
    finite = np.isfinite(ref[ok])
    ulp = np.where(finite, np.spacing(np.where(finite, np.abs(ref[ok]), 0)), 0).astype(np.float64)
    tol = GELU_BOUND * (ulp + np.abs(xx) * 2.0**-24)
    with np.errstate(invalid="ignore"):  # inf - inf where both saturate
        err = np.where(g == r, 0.0, np.abs(g - r))
    bad = ~(err <= tol)
    assert not bad.any(), (xx[bad][:3], g[bad][:3], r[bad][:3])
