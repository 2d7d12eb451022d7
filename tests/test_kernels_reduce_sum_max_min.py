"""SUM, REDUCE_MAX, REDUCE_MIN (float32 and int32): axes, keep_dims, edge values, errors.

Each case builds a one-op model, runs it in litert and compares with NumPy and with
TensorFlow Lite's reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on the same
model bytes.

References: np.sum / np.max / np.min over the normalized, de-duplicated axes (keepdims as
the option); sums in float64.

Tolerances:
  REDUCE_MAX / REDUCE_MIN: exact (the result is one of the inputs) against both.
  SUM float32: |got - ref| <= (n + 2) * 2**-23 * sum|x| (n values summed: float32 summation
      bound with a factor of two to spare); against TensorFlow Lite exact, since both add
      in memory order, one value at a time, into a float32.
  int32: exact, with wrap-around on overflow.
Edge values follow TensorFlow Lite's reference kernels, checked against them: zero elements
reduce to -FLT_MAX / FLT_MAX / 0 (INT32_MIN / INT32_MAX / 0); REDUCE_MAX / REDUCE_MIN skip
NaN; SUM propagates it.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite
from tflite_builder import ModelBuilder

NUMPY = {"SUM": np.sum, "REDUCE_MAX": np.max, "REDUCE_MIN": np.min}
OPS = list(NUMPY)


def reduce_model(op, x_shape, axes, keep_dims, out_shape, dtype=np.float32, axes_const=True,
                 axes_dtype=np.int32):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, dtype)
    a = (mb.constant("axes", np.asarray(axes, axes_dtype)) if axes_const
         else mb.input("axes", np.asarray(axes).shape, axes_dtype))
    y = mb.tensor("y", out_shape, dtype)
    mb.op(op, [x, a], [y], "ReducerOptions", dict(keep_dims=keep_dims))
    mb.output(y)
    return mb.build()


def normalized(axes, rank):
    return tuple(sorted({a % rank for a in np.asarray(axes).ravel().tolist()})) if rank else ()


def reference(op, x, axes, keep_dims):
    norm = normalized(axes, x.ndim)
    if op == "SUM":
        wide = np.float64 if x.dtype == np.float32 else np.int64
        ref = np.sum(x.astype(wide), axis=norm, keepdims=keep_dims)
        if x.dtype == np.int32:  # wrap like two's complement int32
            ref = ((ref + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)
        return np.asarray(ref)
    return np.asarray(NUMPY[op](x, axis=norm, keepdims=keep_dims))


def check(op, x, axes, keep_dims):
    ref = reference(op, x, axes, keep_dims)
    model = reduce_model(op, x.shape, axes, keep_dims, ref.shape, x.dtype)
    got = run_litert(model, [x])
    tflite = run_tflite(model, [x])
    assert got.dtype == x.dtype and got.shape == ref.shape, (got.dtype, got.shape, ref.shape)
    if op == "SUM" and x.dtype == np.float32:
        norm = normalized(axes, x.ndim)
        n = int(np.prod([x.shape[a] for a in norm]))
        mag = np.sum(np.abs(x.astype(np.float64)), axis=norm, keepdims=keep_dims)
        err = np.abs(got.astype(np.float64) - ref)
        assert np.all(err <= (n + 2) * 2.0 ** -23 * mag), err.max()
    else:
        np.testing.assert_array_equal(got, ref.astype(x.dtype))
    np.testing.assert_array_equal(got, tflite)


CASES = [
    ((2, 3, 4), [1]),
    ((2, 3, 4), [0, 2]),
    ((2, 3, 4), [-1]),
    ((2, 3, 4), [2, -1, 2]),          # duplicates (also through a negative alias)
    ((2, 3, 4), [0, 1, 2]),           # everything: a scalar (or all 1s with keep_dims)
    ((2, 3, 4), []),                  # no axes: a copy
    ((5, 1, 7, 1, 3), [1, 3]),        # extent-1 axes
    ((4, 6, 5, 3), [1, 2]),           # spatial reduce, NHWC global pooling
    ((3, 4, 5, 6), [0, 2]),           # alternating reduced / kept
    ((2, 3, 4, 5, 6), [-4, -2]),
    ((7,), [0]),
    ((1, 9, 1, 10), [3]),
    ((2, 2, 3), [[0], [2]]),          # axes tensor of rank 2
]


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,axes", CASES)
@pytest.mark.parametrize("keep_dims", [False, True])
def test_reduce_float32(op, shape, axes, keep_dims):
    rng = np.random.default_rng(len(shape) * 10 + len(np.ravel(axes)))
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    check(op, x, axes, keep_dims)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("shape,axes", CASES[:6] + CASES[8:10])
@pytest.mark.parametrize("keep_dims", [False, True])
def test_reduce_int32(op, shape, axes, keep_dims):
    rng = np.random.default_rng(7)
    x = rng.integers(-1000, 1000, shape, dtype=np.int32)
    check(op, x, axes, keep_dims)


def test_sum_int32_wraps():
    x = np.array([[2 ** 31 - 1, 1, 5], [-2 ** 31, -1, -7]], np.int32)
    check("SUM", x, [1], False)
    ref = reference("SUM", x, [1], False)
    np.testing.assert_array_equal(ref, [-2 ** 31 + 5, 2 ** 31 - 1 - 7])


@pytest.mark.parametrize("op", ["REDUCE_MAX", "REDUCE_MIN"])
def test_reduce_int32_extremes(op):
    x = np.array([[2 ** 31 - 1, -2 ** 31, 0], [-2 ** 31, -2 ** 31, -2 ** 31]], np.int32)
    check(op, x, [1], False)


def run_both(op, x, axes, out_shape, keep_dims=False):
    model = reduce_model(op, x.shape, axes, keep_dims, out_shape, x.dtype)
    return run_litert(model, [x]), run_tflite(model, [x])


@pytest.mark.parametrize("op,expected", [("REDUCE_MAX", -np.finfo(np.float32).max),
                                         ("REDUCE_MIN", np.finfo(np.float32).max),
                                         ("SUM", 0.0)])
def test_reduce_over_zero_elements_float32(op, expected):
    got, tflite = run_both(op, np.zeros((2, 0, 3), np.float32), [1], (2, 3))
    np.testing.assert_array_equal(got, np.full((2, 3), expected, np.float32))
    np.testing.assert_array_equal(got, tflite)


@pytest.mark.parametrize("op,expected", [("REDUCE_MAX", -2 ** 31), ("REDUCE_MIN", 2 ** 31 - 1),
                                         ("SUM", 0)])
def test_reduce_over_zero_elements_int32(op, expected):
    got, tflite = run_both(op, np.zeros((0, 4), np.int32), [0], (4,))
    np.testing.assert_array_equal(got, np.full(4, expected, np.int32))
    np.testing.assert_array_equal(got, tflite)


@pytest.mark.parametrize("op", OPS)
def test_reduce_empty_output(op):
    got, _ = run_both(op, np.zeros((0, 4), np.float32), [1], (0,))
    assert got.shape == (0,)


def test_reduce_nan():
    """REDUCE_MAX / REDUCE_MIN skip NaN (acc = x > acc ? x : acc never takes a NaN), unless
    every value is NaN, then the initial value stays; SUM propagates NaN."""
    nan = np.nan
    x = np.array([[nan, 1, 2], [1, nan, 0], [3, 4, nan], [nan, nan, nan]], np.float32)
    flt_max = np.finfo(np.float32).max
    expected = {"REDUCE_MAX": [2, 1, 4, -flt_max], "REDUCE_MIN": [1, 0, 3, flt_max],
                "SUM": [nan, nan, nan, nan]}
    for op, want in expected.items():
        got, tflite = run_both(op, x, [1], (4,))
        np.testing.assert_array_equal(got, np.array(want, np.float32))
        np.testing.assert_array_equal(got, tflite)


def test_reduce_infinities():
    inf = np.inf
    x = np.array([[inf, 1], [-inf, -1], [inf, -inf]], np.float32)
    for op in OPS:
        with np.errstate(invalid="ignore"):
            ref = reference(op, x, [1], False).astype(np.float32)
        got, tflite = run_both(op, x, [1], (3,))
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(got, tflite)


def _expect_error(model, match):
    with pytest.raises(RuntimeError, match=match):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("op", OPS)
def test_reduce_errors(op):
    _expect_error(reduce_model(op, (2, 3), [2], False, (2,)), r"axes\[0\] is 2")
    _expect_error(reduce_model(op, (2, 3), [-3], False, (2,)), r"axes\[0\] is -3")
    _expect_error(reduce_model(op, (2, 3), [1], False, (2,), axes_const=False), "constant")
    _expect_error(reduce_model(op, (2, 3), [1], False, (2,), axes_dtype=np.int64), "INT32")
    _expect_error(reduce_model(op, (2, 3), [1], False, (2,), dtype=np.int8), "INT8")
