"""SIMD float32 SOFTMAX (AVX2, AVX-512) against the portable kernel, and the row split between
threads (float32 and int8).

Each case builds a one-op model and runs it at every SIMD level this CPU has (`simd_isa`) and
at isa="portable" (the reference kernel, itself checked against NumPy and TensorFlow Lite in
test_kernels_activations.py), on one and two threads.

Agreement, with u = 2^-24 (half an ulp of 1):
  Both kernels compute the same exp arguments t = (x - pivot) * beta in float32 (pivot = max x,
  or min x for beta < 0); they differ in exp (the SIMD polynomial is within 0.89 ulp of the
  exact value over every float32 t in [-110, 0], checked exhaustively when it was written; the
  C library's expf within 0.5 ulp), in the order of the row sum (the portable kernel sums left
  to right, the SIMD kernels in 4 x 8 or 4 x 16 lanes) and in the division by the sum (the SIMD
  kernels multiply by 1 / sum and correct with one FMA, which rounds like a division).
  - Against float64 softmax of those same float32 arguments, the SIMD output is asserted within
    (8 + depth / 16) u relative (worst measured: 5.7 u for rows up to 100 values, 8.7 u at 1000
    and 4096, 14 u at 20000; the portable kernel's own error reaches 7.7 u at 16 values, 56 u
    at 1000, 122 u at 4096, 473 u at 20000, from its left-to-right sum).
  - Against the portable kernel: (12 + 1.0625 depth) u relative, the sum of both kernels' error
    bounds (worst measured: 5.8e-7 = 9.8 u for rows up to 17 values, 7.3e-7 at 32, 8.5e-7 at
    100, 3.5e-6 at 1000, 8.9e-6 at 4096, 3.5e-5 at 20000: the portable kernel's sum error
    dominates long rows).
  - Both: plus 2^-147 absolute, for outputs in the subnormal range.
  - Rows sum to 1 within (8 + depth / 16) u.
  - NaN: exactly the same positions as the portable kernel (a row holding NaN, or an infinity
    on the pivot's side, is all NaN); -inf entries of a finite row give exactly 0, as do exp arguments below -104; absent
    SoftmaxOptions (beta 0) gives exactly 1 / depth. (Results in the subnormal range may
    differ by one subnormal step: the SIMD kernels divide by the sum as e * (1 / sum) plus an
    FMA correction, which rounds like a division except there.)
  Threads: the output with num_threads=2 equals the one with num_threads=1 bit for bit (rows
  are split between threads from 32768 elements on).
  int8 (the portable kernel at every level): bit-exact with TensorFlow Lite's default kernel
  on one and two threads.
"""
import zlib

import numpy as np
import pytest

from op_runner import run_litert, run_tflite_default
from tflite_builder import ModelBuilder

U = 2.0 ** -24
SUBNORMAL_ATOL = 2.0 ** -147
LENGTHS = [1, 2, 7, 8, 15, 16, 17, 33, 100, 1000, 4096]
LEADS = [(3,), (2, 3), (2, 1, 2)]  # ranks 2, 3, 4 with the row length appended
BETAS = [1.0, 0.5, 2.0, -1.0]


def seeded(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def softmax_model(shape, beta=None, dtype=np.float32, quant=(None, None)):
    b = ModelBuilder()
    x = b.input("x", shape, dtype, quant=quant[0])
    y = b.tensor("y", shape, dtype, quant=quant[1])
    if beta is None:
        b.op("SOFTMAX", [x], [y])
    else:
        b.op("SOFTMAX", [x], [y], "SoftmaxOptions", dict(beta=beta))
    b.output(y)
    return b.build()


def run_levels(model, x, isa):
    """(portable output, SIMD output); asserts the SIMD output on 2 threads is bit-identical
    to the 1-thread one."""
    ref = run_litert(model, [x], isa="portable", num_threads=1)
    one = run_litert(model, [x], isa=isa, num_threads=1)
    two = run_litert(model, [x], isa=isa, num_threads=2)
    np.testing.assert_array_equal(one.view(np.uint8), two.view(np.uint8))
    return ref, one


def same_args_reference(x, beta):
    """float64 softmax of the kernels' float32 exp arguments (x - pivot) * beta."""
    pivot = x.max(axis=-1, keepdims=True) if beta >= 0 else x.min(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        t = (x - pivot) * np.float32(beta)
    e = np.exp(t.astype(np.float64))
    return e / e.sum(axis=-1, keepdims=True)


def assert_within(got, ref, rel, what):
    """|got - ref| <= rel * |ref| + SUBNORMAL_ATOL where ref is not NaN; same NaN positions."""
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref), err_msg=f"NaN positions, {what}")
    ok = ~np.isnan(ref)
    g, r = got[ok].astype(np.float64), ref[ok].astype(np.float64)
    err = np.abs(g - r)
    tol = rel * np.abs(r) + SUBNORMAL_ATOL
    if (err > tol).any():
        i = np.argmax(err - tol)
        raise AssertionError(f"{what}: {np.count_nonzero(err > tol)} values out of bound; worst "
                             f"got {g[i]!r}, expected {r[i]!r} (rel err {err[i] / r[i]:.3g}, "
                             f"bound {rel:.3g})")


def check(x, beta, isa, finite_rows=True):
    depth = x.shape[-1]
    ref, got = run_levels(softmax_model(x.shape, beta), x, isa)
    assert_within(got, ref, (12 + 1.0625 * depth) * U, "vs portable")
    if finite_rows:
        assert_within(got, same_args_reference(x, beta), (8 + depth / 16) * U, "vs float64")
        row_sums = got.astype(np.float64).sum(axis=-1)
        assert np.abs(row_sums - 1).max() <= (8 + depth / 16) * U
    return ref, got


@pytest.mark.parametrize("lead", LEADS, ids=str)
@pytest.mark.parametrize("depth", LENGTHS)
def test_random_rows(simd_isa, depth, lead):
    rng = seeded(depth, lead)
    for beta in BETAS:
        for scale in (1.0, 5.0, 30.0):
            x = (rng.standard_normal(lead + (depth,)) * scale).astype(np.float32)
            check(x, beta, simd_isa)


@pytest.mark.parametrize("depth", LENGTHS)
def test_special_values(simd_isa, depth):
    rng = seeded("special", depth)
    rows = [rng.standard_normal(depth) * 80,          # exp arguments down to about -500
            rng.standard_normal(depth) * 1e4,         # almost all 0, one 1
            np.full(depth, 1e4),                      # uniform
            rng.standard_normal(depth) * 3,           # -inf entries below
            rng.standard_normal(depth) * 3,           # NaN below
            rng.standard_normal(depth) * 3,           # +inf below
            np.full(depth, -np.inf),                  # -inf - -inf: NaN
            rng.choice([3.4e38, -3.4e38, 0.0], depth)]  # x - pivot overflows to -inf
    x = np.array(rows, np.float32)
    x[3, rng.choice(depth, size=(depth + 2) // 3, replace=False)] = -np.inf
    x[4, rng.integers(depth)] = np.nan
    x[5, rng.integers(depth)] = np.inf
    for beta in (1.0, 2.0, 0.5, -1.0):
        ref, got = check(x, beta, simd_isa, finite_rows=False)
        # A row is all NaN when it holds NaN, or an infinite pivot (inf - inf): an infinity
        # on the pivot's side (+inf for beta > 0, -inf for beta < 0), or only infinities on
        # the other side. Infinities on the other side in a finite-pivot row give 0.
        pivot_inf = np.inf if beta > 0 else -np.inf
        nan_rows = (np.isnan(x).any(axis=-1) | (x == pivot_inf).any(axis=-1)
                    | (x == -pivot_inf).all(axis=-1))
        assert np.isnan(got[nan_rows]).all() and not np.isnan(got[~nan_rows]).any()
        assert (got[~nan_rows][np.isinf(x[~nan_rows])] == 0).all()
        assert_within(got[~nan_rows], same_args_reference(x[~nan_rows], beta),
                      (8 + depth / 16) * U, "vs float64")
        # exp arguments below -104 give exactly 0 (e^-104 is below half the smallest
        # subnormal)
        pivot = x.max(axis=-1, keepdims=True) if beta > 0 else x.min(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", over="ignore"):
            t = (x - pivot) * np.float32(beta)
        assert (got[~nan_rows][t[~nan_rows] < -104] == 0).all()


@pytest.mark.parametrize("depth", [1, 7, 16, 33, 1000])
def test_absent_options_mean_beta_zero(simd_isa, depth):
    x = seeded("beta0", depth).standard_normal((3, depth)).astype(np.float32)
    ref, got = run_levels(softmax_model(x.shape), x, simd_isa)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got, np.full_like(x, np.float32(1) / np.float32(depth)))


@pytest.mark.parametrize("shape", [(8, 64, 64), (9, 4096), (33, 1000), (2, 3, 40, 137)],
                         ids=str)
def test_large_split_between_threads(simd_isa, shape):
    # Enough elements (>= 32768) for the rows to be split over two threads.
    x = (seeded("large", shape).standard_normal(shape) * 4).astype(np.float32)
    check(x, 1.0, simd_isa)


@pytest.mark.parametrize("shape", [(1, 1000), (8, 64, 64), (2, 3, 40, 137)], ids=str)
def test_int8_rows_split_between_threads(shape):
    # The int8 kernel is the portable one at every level; its rows are split over threads
    # too, and must stay bit-identical.
    rng = seeded("int8", shape)
    x = rng.integers(-128, 128, size=shape, dtype=np.int8)
    model = softmax_model(shape, 1.0, np.int8,
                          (dict(scale=[0.07], zero_point=[3]),
                           dict(scale=[1 / 256], zero_point=[-128])))
    one = run_litert(model, [x], isa="portable", num_threads=1)
    two = run_litert(model, [x], num_threads=2)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, run_tflite_default(model, [x]))
