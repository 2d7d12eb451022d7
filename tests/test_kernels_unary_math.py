"""SQRT, RSQRT, EXP, LOG, ABS, NEG, SQUARE, GELU (both forms), ELU.

Each case builds a one-op model, runs it in litert and compares with a NumPy reference (in
float64, rounded once to float32) and with TensorFlow Lite's reference kernels
(ai_edge_litert, OpResolverType.BUILTIN_REF) on the same model bytes. Inputs mix random
values of several magnitudes with edge values: +-0, +-inf, NaN, subnormals, negatives (NaN
out of SQRT / LOG), values that overflow EXP.

Tolerances (ulp = 2**-23 * |ref|, relative; NaN must match NaN):
  ABS, NEG, SQUARE, SQRT: exact against both (one correctly rounded operation each).
  RSQRT: 1 / sqrt(x) rounds twice: within 2 ulp of NumPy, exact against TensorFlow Lite.
  EXP, LOG: within 2 ulp of NumPy; within 4 ulp of TensorFlow Lite (its libm may differ).
  ELU: within 2 ulp of NumPy's expm1, 4 ulp of TensorFlow Lite (its default kernels: the
      reference resolver has no ELU; they flush subnormals, so 2**-126 absolute there).
  GELU exact form: 0.5 * x * erfc(-x / sqrt 2) is compared with float64 math.erfc: within
      (4 + x**2) ulp plus 2**-140 absolute (subnormal results). erfc's relative condition
      number at -x / sqrt 2 is about x**2, so the float32 rounding of x / sqrt 2 alone costs
      up to x**2 / 2 ulp in any float32 implementation. Against TensorFlow Lite twice that.
  GELU tanh form: 1 + tanh(..) cancels for negative x, so float32 evaluation carries an
      absolute error of about |x| * 2**-24: within 8 ulp + |x| * 2**-21 of the float64
      formula, and of TensorFlow Lite.
  int32 ABS / NEG (and int64 NEG): exact, INT_MIN wraps to itself.
"""
import math

import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite, run_tflite_default
from tflite_builder import ModelBuilder

OPTIONS = {"EXP": "ExpOptions", "ABS": "AbsOptions", "NEG": "NegOptions",
           "SQUARE": "SquareOptions", "GELU": "GeluOptions"}
F32 = np.finfo(np.float32)
EDGE = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, F32.tiny / 4, -F32.tiny / 4, F32.tiny,
                 1.0, -1.0, 88.5, 89.0, -104.0, 1e-30, -1e-30, 3e38, -3e38], np.float32)


def unary_model(op, shape, dtype=np.float32, options=None):
    mb = ModelBuilder()
    x = mb.input("x", shape, dtype)
    y = mb.tensor("y", shape, dtype)
    table = OPTIONS.get(op)
    mb.op(op, [x], [y], table, options if table else None)
    mb.output(y)
    return mb.build()


def sample(seed, shape=(3, 5, 7)):
    """Random values over many magnitudes, edge values first."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    x = rng.standard_normal(n) * np.exp2(rng.integers(-10, 8, n))
    k = min(n, len(EDGE))
    x[:k] = EDGE[:k]
    return x.astype(np.float32).reshape(shape)


def f64(fn):
    def apply(x):
        with np.errstate(all="ignore"):
            return fn(x.astype(np.float64))
    return apply


REFERENCES = {
    "SQRT": f64(np.sqrt),
    "RSQRT": f64(lambda x: 1.0 / np.sqrt(x)),
    "EXP": f64(np.exp),
    "LOG": f64(np.log),
    "ABS": f64(np.abs),
    "NEG": f64(np.negative),
    "SQUARE": f64(np.square),
    "ELU": f64(lambda x: np.where(x < 0, np.expm1(np.minimum(x, 0)), x)),
}
ULPS = {"SQRT": (0, 0), "ABS": (0, 0), "NEG": (0, 0), "SQUARE": (0, 0), "RSQRT": (2, 0),
        "EXP": (2, 4), "LOG": (2, 4), "ELU": (2, 4)}


def tflite_run(op):
    """TensorFlow Lite's reference resolver has no ELU: use its default kernels there."""
    return run_tflite_default if op == "ELU" else run_tflite


def assert_close(got, ref, rel, abs_tol=0.0):
    """|got - ref| <= rel * |ref| + abs_tol, infinities and NaN equal."""
    ref = np.asarray(ref, np.float64)
    assert got.dtype == np.float32 and got.shape == ref.shape
    g = got.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(ref))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(g[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])
    err = np.abs(g[finite] - ref[finite])
    tol = (np.broadcast_to(rel, ref.shape)[finite] * np.abs(ref[finite]) +
           np.broadcast_to(abs_tol, ref.shape)[finite])
    assert np.all(err <= tol), f"max excess {(err - tol).max()}"


def ulp_check(got, ref32, ulps, abs_tol=F32.tiny * 2.0 ** -23):
    if ulps == 0:
        np.testing.assert_array_equal(got, ref32)
        # the sign of zero too
        np.testing.assert_array_equal(np.signbit(got), np.signbit(ref32))
    else:
        # ref32 may itself be a float32 overflow of a finite float64 value: compare there
        # as float32 values (both sides round to the same infinity).
        assert_close(got, ref32.astype(np.float64), ulps * 2.0 ** -23, abs_tol)


@pytest.mark.parametrize("op", list(REFERENCES))
@pytest.mark.parametrize("shape", [(3, 5, 7), (1,), (2, 1, 4, 1, 3), ()])
def test_unary_float32(op, shape):
    seed = sum(map(ord, op))  # stable across runs (str hash is randomized)
    x = sample(seed, shape) if shape else np.float32(-2.5).reshape(())
    with np.errstate(over="ignore"):  # float64 results beyond float32 round to inf
        ref32 = REFERENCES[op](x).astype(np.float32)
    model = unary_model(op, x.shape)
    got = run_litert(model, [x])
    ulp_check(got, ref32, ULPS[op][0])
    ulp_check(got, tflite_run(op)(model, [x]), ULPS[op][1],
              F32.tiny if op == "ELU" else F32.tiny * 2.0 ** -23)


def test_unary_hand_checked():
    x = np.array([4.0, 0.25, -0.0, 0.0, -1.0], np.float32)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(run_litert(unary_model("SQRT", x.shape), [x]),
                                      [2.0, 0.5, -0.0, 0.0, np.nan])
        np.testing.assert_array_equal(run_litert(unary_model("RSQRT", x.shape), [x]),
                                      [0.5, 2.0, -np.inf, np.inf, np.nan])
        np.testing.assert_array_equal(run_litert(unary_model("LOG", x.shape), [x]),
                                      np.float32([math.log(4.0), math.log(0.25), -np.inf,
                                                  -np.inf, np.nan]))
    np.testing.assert_array_equal(run_litert(unary_model("ELU", x.shape), [x]),
                                  np.float32([4.0, 0.25, -0.0, 0.0, math.expm1(-1.0)]))


@pytest.mark.parametrize("op,dtype", [("ABS", np.int32), ("NEG", np.int32), ("NEG", np.int64)])
def test_unary_integer(op, dtype):
    info = np.iinfo(dtype)
    x = np.array([0, 1, -1, 7, -123456, info.max, info.min, info.min + 1], dtype)
    wide = x.astype(object)
    ref = [abs(v) if op == "ABS" else -v for v in wide]
    ref = np.array([(v - info.min) % 2 ** info.bits + info.min for v in ref], dtype)
    model = unary_model(op, x.shape, dtype)
    got = run_litert(model, [x])
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(got, run_tflite(model, [x]))


def gelu_exact_ref(x):
    return np.array([0.5 * v * math.erfc(-v / math.sqrt(2.0)) if math.isfinite(v)
                     else (v if v > 0 or math.isnan(v) else -0.0) for v in x.astype(np.float64).ravel()]
                    ).reshape(x.shape)


def gelu_tanh_ref(x):
    v = x.astype(np.float64)
    with np.errstate(all="ignore"):
        r = 0.5 * v * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v ** 3)))
    return np.where(np.isneginf(v), -0.0, r)


@pytest.mark.parametrize("approximate", [False, True])
@pytest.mark.parametrize("shape", [(4, 9, 5), (1,), (2, 3, 1, 2)])
def test_gelu(approximate, shape):
    x = sample(11 + len(shape), shape)
    x = np.where(np.isfinite(x), x, np.float32(0.5))  # infinities are checked below
    model = unary_model("GELU", x.shape, options=dict(approximate=approximate))
    got = run_litert(model, [x])
    tflite = run_tflite(model, [x])
    x64 = x.astype(np.float64)
    if approximate:
        ref = gelu_tanh_ref(x)
        rel, slack = 8 * 2.0 ** -23, np.abs(x64) * 2.0 ** -21
    else:
        ref = gelu_exact_ref(x)
        rel, slack = (4 + x64 ** 2) * 2.0 ** -23, 2.0 ** -140
    assert_close(got, ref, rel, slack)
    assert_close(got, tflite, 2 * rel, 2 * slack)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_known_values(approximate):
    """Negative inputs stay accurate (erfc), NaN propagates, +inf stays +inf."""
    x = np.array([-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, np.nan, np.inf], np.float32)
    got = run_litert(unary_model("GELU", x.shape, options=dict(approximate=approximate)), [x])
    ref = (gelu_tanh_ref if approximate else gelu_exact_ref)(x)
    x64 = x[:-2].astype(np.float64)
    if approximate:
        assert_close(got[:-2], ref[:-2], 8 * 2.0 ** -23, np.abs(x64) * 2.0 ** -21)
    else:
        assert_close(got[:-2], ref[:-2], (4 + x64 ** 2) * 2.0 ** -23, 2.0 ** -140)
        # 0.5 * x * (1 + erf(x / sqrt 2)) in float32 would give 0 or an error of 2**-24 *
        # |x| at -6; erfc keeps the true value, about -5.9e-9, to 40 ulp (see above).
        assert abs(got[0] / ref[0] - 1) < 40 * 2.0 ** -23
    assert np.isnan(got[-2]) and got[-1] == np.inf


def test_gelu_default_options_is_exact_form():
    x = np.linspace(-4, 4, 33, dtype=np.float32)
    mb = ModelBuilder()
    xi = mb.input("x", x.shape)
    y = mb.tensor("y", x.shape)
    mb.op("GELU", [xi], [y])
    mb.output(y)
    got = run_litert(mb.build(), [x])
    assert_close(got, gelu_exact_ref(x), (4 + x.astype(np.float64) ** 2) * 2.0 ** -23,
                 2.0 ** -140)


def _expect_error(model, match):
    with pytest.raises(RuntimeError, match=match):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("op,dtype,match", [
    ("SQRT", np.int32, "expected FLOAT32"), ("LOG", np.int8, "expected FLOAT32"),
    ("GELU", np.int32, "expected FLOAT32"), ("ELU", np.int32, "expected FLOAT32"),
    ("ABS", np.int64, "FLOAT32 or INT32"), ("NEG", np.int8, "INT64"),
])
def test_unary_type_errors(op, dtype, match):
    _expect_error(unary_model(op, (2, 2), dtype), match)


def test_unary_output_type_mismatch():
    mb = ModelBuilder()
    x = mb.input("x", (3,))
    y = mb.tensor("y", (3,), np.int32)
    mb.op("EXP", [x], [y], "ExpOptions", {})
    mb.output(y)
    _expect_error(mb.build(), "like the input")
