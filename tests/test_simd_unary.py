"""SIMD kernels of GELU (exact erf form), ELU and EXP (float32) against the portable ones.

The SIMD kernels (native/src/kernels/x86/act_f32_*.c on the vector math of vmath_avx2.h /
vmath_avx512.h) evaluate erfc, expm1 and exp with their own polynomials, where the portable
kernels call the C library's erfcf, expm1f and expf. Each case builds a one-op model and runs
it at every SIMD level this CPU has (`simd_isa`) and at isa="portable", on one and two threads.

Agreement with the portable kernels, in units in the last place of the portable result (ULP):
  EXP   <= 2 ulp; ELU <= 2 ulp (expm1, relative to the result also near 0).
  GELU  0.5 x erfc(-x / sqrt 2): <= 6 ulp. Against float64 erfc, the portable result (glibc's
        erfcf) is up to 3.6 ulp off and the SIMD one 3.8 (about 2 ulp of erfc, doubled where
        erfc is just above a power of two and the result just below one), so most of the
        bound is the C library's. Where erfc is subnormal (x < -13.0: results below
        |x| 2^-127) both sides carry erfc's absolute rounding, 2^-150, times |x| / 2: the bound
        there is 6 ulp + |x| 2^-149 in absolute terms.
These bounds were measured over every float32 with |x| <= 120 (EXP, ELU) and |x| <= 20 (GELU;
beyond, both sides saturate to x or to -0) at both SIMD levels, with a C harness calling the
kernels directly: EXP 1, ELU 1, GELU 6 (normal erfc; 7 subnormal ulps below -13.0). The tests
below check them on dense samples of those ranges.
Special values are bit-identical to the portable kernels: NaN stays NaN; EXP(-inf) = 0,
EXP(+inf) = +inf and the overflow / underflow points of expf; ELU(-0) = -0 and ELU(-inf) = -1;
GELU(+-0) = +-0, GELU(+inf) = +inf, GELU(-inf) = NaN (-inf * erfc(+inf) = -inf * 0, like the
portable formula), -0 for large negative x.
Threads: num_threads=2 gives the same bits as num_threads=1. The AVX2 and AVX-512 kernels run
one algorithm with the same constants and give the same bits as each other.
"""
import zlib

import numpy as np
import pytest

import litert
from op_runner import run_litert
from tflite_builder import ModelBuilder

SIZES = [1, 7, 15, 16, 17, 33, 1000]
BIG = 200003  # above the kernels' split over threads

ULP_BOUND = {"EXP": 2, "ELU": 2, "GELU": 6}
OPS = {  # op -> (options table, options, dense range)
    "GELU": ("GeluOptions", dict(approximate=False), 20.0),
    "ELU": (None, None, 120.0),
    "EXP": ("ExpOptions", {}, 120.0),
}
# Bit-identical to the portable kernels (see the module docstring).
SPECIALS = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, -1e-40,
                     1e-31, -1e-31, 3.4e38, -3.4e38], np.float32)
# Within the bounds: the switch points of the algorithms, overflow, underflow, subnormals.
EDGES = np.array([1.17549435e-38, -1.17549435e-38, 1.0, -1.0, 0.5, -0.5, 0.70710677,
                  -0.70710677, 88.72283, 88.72284, 89.0, -87.33655, -103.972, -103.973, -104.0,
                  -13.0, -13.5, -14.2, -15.0, 5.6, 14.5, -20.0, -17.0, -0.34657359], np.float32)


def seeded(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def op_model(op, n):
    table, options, _ = OPS[op]
    b = ModelBuilder()
    x = b.input("x", (n,))
    y = b.tensor("y", (n,))
    b.op(op, [x], [y], table, options)
    b.output(y)
    return b.build()


def run_levels(model, x, isa):
    """(portable output, SIMD output); the SIMD output on 2 threads equals the 1-thread one."""
    ref = run_litert(model, [x], isa="portable", num_threads=1)
    one = run_litert(model, [x], isa=isa, num_threads=1)
    two = run_litert(model, [x], isa=isa, num_threads=2)
    np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))
    return ref, one


def ordered(a):
    i = a.view(np.int32).astype(np.int64)
    return np.where(i < 0, -(i & 0x7FFFFFFF), i)


def assert_within(op, x, got, ref):
    """NaN where the portable kernel has NaN; specials bit for bit; elsewhere the ulp bound
    (GELU: plus |x| 2^-149 absolute, see the module docstring)."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    sp = ok & (np.isin(x, SPECIALS) | ~np.isfinite(ref))
    np.testing.assert_array_equal(got[sp].view(np.uint32), ref[sp].view(np.uint32))
    d = np.abs(ordered(got[ok]) - ordered(ref[ok])).astype(np.float64)
    bound = np.full(d.shape, float(ULP_BOUND[op]))
    if op == "GELU":
        # |x| 2^-149 absolute, in units of ulp(ref) (2^-149 for subnormal results)
        r = np.abs(ref[ok]).astype(np.float64)
        ulp = np.maximum(np.spacing(r.astype(np.float32)).astype(np.float64), 2.0 ** -149)
        bound += np.abs(x[ok].astype(np.float64)) * 2.0 ** -149 / ulp
    bad = d > bound
    assert not bad.any(), (f"{bad.sum()} over the bound; worst x={x[ok][np.argmax(d - bound)]!r} "
                           f"got={got[ok][np.argmax(d - bound)]!r} "
                           f"ref={ref[ok][np.argmax(d - bound)]!r} ({d.max()} ulp)")


def inputs(op, n):
    """Random values over many magnitudes, the specials, and (for large n) a dense sweep of
    the op's range: evenly spaced float32 bit patterns, so that every binade is sampled."""
    rng = seeded(op, n)
    x = (rng.standard_normal(n) * np.exp(rng.uniform(-8, 4, n))).astype(np.float32)
    fixed = np.concatenate([SPECIALS, EDGES])
    k = min(n, fixed.size)
    x[:k] = fixed[:k]
    if n >= BIG:
        top = int(np.float32(OPS[op][2]).view(np.int32))
        half = (n - k) // 2
        bits = np.linspace(0, top, half).astype(np.int64).astype(np.uint32)
        x[k:k + half] = bits.view(np.float32)
        x[k + half:k + 2 * half] = (bits | np.uint32(0x80000000)).view(np.float32)
    return x


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("n", SIZES + [BIG])
def test_simd_unary(simd_isa, op, n):
    x = inputs(op, n)
    ref, got = run_levels(op_model(op, n), x, simd_isa)
    assert_within(op, x, got, ref)


@pytest.mark.parametrize("op", list(OPS))
def test_simd_unary_wide(simd_isa, op):
    """Two million float32 bit patterns evenly spaced over the op's range (about a thousand
    patterns apart: every binade is sampled) plus runs of consecutive floats of consecutive floats around the places where the algorithms switch
    (GELU: |x| = 0.5 sqrt 2, |z| = 2, the subnormal erfc; EXP: underflow and overflow; ELU:
    -ln2 / 2) and around the largest difference measured."""
    top = int(np.float32(OPS[op][2]).view(np.int32))
    bits = np.linspace(0, top, 1 << 20).astype(np.int64).astype(np.uint32)
    pieces = [bits.view(np.float32), (bits | np.uint32(0x80000000)).view(np.float32)]
    knees = {"GELU": [0.70710677, -0.70710677, -13.0, -14.2, 2.828427, -2.828427,
                      -1.8458096],  # the largest measured difference
             "ELU": [-0.34657359, -17.0, -20.0, -1e-3],
             "EXP": [-87.33655, -103.97, 88.7228, 0.34657359, -0.34657359]}[op]
    for k in knees:
        c = int(np.float32(k).view(np.int32).astype(np.int64))
        pieces.append(np.arange(c - 2000, c + 2000).astype(np.int32).view(np.float32))
    x = np.concatenate(pieces).astype(np.float32)
    ref, got = run_levels(op_model(op, x.size), x, simd_isa)
    assert_within(op, x, got, ref)


def test_simd_levels_agree():
    """AVX2 and AVX-512 run one algorithm with the same constants: the same bits."""
    levels = [lv for lv in litert.isa_levels() if lv in ("avx2", "avx512")]
    if len(levels) < 2:
        pytest.skip("needs both AVX2 and AVX-512")
    for op in OPS:
        x = inputs(op, BIG)
        model = op_model(op, x.size)
        a = run_litert(model, [x], isa="avx2")
        b = run_litert(model, [x], isa="avx512")
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


def test_gelu_known_values(simd_isa):
    """Hand-checked points: signed zeros, saturation to x, the -0 tail, NaN at -inf."""
    x = np.array([0.0, -0.0, 10.0, 6.0, -16.0, -1e30, np.inf, -np.inf, np.nan, 1e-40, -1e-40],
                 np.float32)
    got = run_litert(op_model("GELU", x.size), [x], isa=simd_isa)
    expect = np.array([0.0, -0.0, 10.0, 6.0, -0.0, -0.0, np.inf, np.nan, np.nan, 0.0, 0.0],
                      np.float32)
    expect[-2:] = np.float32(0.5) * x[-2:]  # erfc = 1 exactly: 0.5 x, rounded as a subnormal
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expect))
    fin = ~np.isnan(expect)
    np.testing.assert_array_equal(got[fin].view(np.uint32), expect[fin].view(np.uint32))
