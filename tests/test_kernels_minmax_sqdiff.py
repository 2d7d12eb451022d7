"""MAXIMUM, MINIMUM (float32, int32, int64) and SQUARED_DIFFERENCE (float32, int32), with
NumPy broadcasting.

Each case builds a one-op model, runs it in litert and compares with NumPy and with
TensorFlow Lite's reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on the same
model bytes.

Tolerance: none. MAXIMUM / MINIMUM select one operand; SQUARED_DIFFERENCE is two correctly
rounded float32 operations, d = a - b then d * d, which NumPy reproduces exactly in float32
(int32 wraps around). NaN and signed zeros follow TensorFlow Lite's comparisons,
a > b ? a : b and a < b ? a : b: the second operand wins whenever the comparison is false
(NaN in a gives b, NaN in b gives NaN; max(-0, +0) = +0, max(+0, -0) = -0); checked
against TensorFlow Lite and against np.where with the same comparison.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite
from tflite_builder import ModelBuilder

OPTIONS = {"MAXIMUM": "MaximumMinimumOptions", "MINIMUM": "MaximumMinimumOptions",
           "SQUARED_DIFFERENCE": "SquaredDifferenceOptions"}


def reference(op, a, b):
    if op == "MAXIMUM":
        return np.where(a > b, a, b)
    if op == "MINIMUM":
        return np.where(a < b, a, b)
    if a.dtype == np.int32:
        d = (a.astype(np.int64) - b.astype(np.int64)) % 2 ** 32
        return ((d * d) % 2 ** 32).astype(np.uint32).view(np.int32)
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf, overflow: IEEE results
        d = np.subtract(a, b, dtype=np.float32)
        return np.multiply(d, d, dtype=np.float32)


def binary_model(op, a_shape, b_shape, dtype, b_const=None):
    mb = ModelBuilder()
    x = mb.input("a", a_shape, dtype)
    y = mb.constant("b", b_const) if b_const is not None else mb.input("b", b_shape, dtype)
    out = mb.tensor("out", np.broadcast_shapes(tuple(a_shape), tuple(b_shape)), dtype)
    mb.op(op, [x, y], [out], OPTIONS[op], {})
    mb.output(out)
    return mb.build()


def operands(rng, shape, dtype):
    if dtype == np.float32:
        return (rng.standard_normal(shape) * 4).astype(np.float32)
    info = np.iinfo(dtype)
    lo, hi = (-50, 50) if dtype == np.int32 else (info.min // 2, info.max // 2)
    return rng.integers(lo, hi, shape, dtype=dtype, endpoint=True)


def check(op, a, b, b_const=False):
    model = binary_model(op, a.shape, b.shape, a.dtype, b if b_const else None)
    inputs = [a] if b_const else [a, b]
    got = run_litert(model, inputs)
    ref = reference(op, a, b)
    assert got.dtype == a.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
    tflite = run_tflite(model, inputs)
    np.testing.assert_array_equal(got, tflite)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(tflite))


SHAPES = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 3, 4), ()),            # scalar operand
    ((), (5, 2)),
    ((4, 1, 3), (1, 5, 1)),     # both broadcast
    ((3, 1), (7,)),
    ((1, 6, 6, 8), (8,)),       # bias-like
    ((2, 1, 4, 1, 3), (5, 1)),
    ((0, 3), (1, 3)),           # empty
]
CASES = [("MAXIMUM", t) for t in (np.float32, np.int32, np.int64)] + \
        [("MINIMUM", t) for t in (np.float32, np.int32, np.int64)] + \
        [("SQUARED_DIFFERENCE", t) for t in (np.float32, np.int32)]


@pytest.mark.parametrize("op,dtype", CASES)
@pytest.mark.parametrize("shapes", SHAPES)
def test_broadcast(op, dtype, shapes):
    rng = np.random.default_rng(len(shapes[0]) * 3 + len(shapes[1]))
    check(op, operands(rng, shapes[0], dtype), operands(rng, shapes[1], dtype))


@pytest.mark.parametrize("op,dtype", CASES)
def test_constant_operand(op, dtype):
    rng = np.random.default_rng(5)
    check(op, operands(rng, (3, 4), dtype), operands(rng, (4,), dtype), b_const=True)


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"])
def test_float_edge_values(op):
    nan, inf = np.nan, np.inf
    a = np.array([nan, 1, nan, -0.0, 0.0, inf, -inf, inf, 3e38, -3e38, 1e-45], np.float32)
    b = np.array([1, nan, nan, 0.0, -0.0, 1, -inf, inf, -3e38, 3e38, -1e-45], np.float32)
    check(op, a, b)


def test_nan_and_zero_order_hand_checked():
    a = np.array([np.nan, 1, -0.0, 0.0], np.float32)
    b = np.array([1, np.nan, 0.0, -0.0], np.float32)
    got = run_litert(binary_model("MAXIMUM", a.shape, b.shape, np.float32), [a, b])
    np.testing.assert_array_equal(got, [1, np.nan, 0.0, -0.0])
    np.testing.assert_array_equal(np.signbit(got), [False, False, False, True])


@pytest.mark.parametrize("op,dtype", [c for c in CASES if c[1] != np.float32])
def test_integer_extremes(op, dtype):
    info = np.iinfo(dtype)
    a = np.array([info.max, info.min, info.min, 0, -1], dtype)
    b = np.array([info.min, info.max, info.min, info.min, info.max], dtype)
    check(op, a, b)


def _expect_error(model, match):
    with pytest.raises(RuntimeError, match=match):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"])
def test_errors(op):
    mb = ModelBuilder()
    x, y = mb.input("a", (2, 3)), mb.input("b", (2, 3), np.int32)
    out = mb.tensor("out", (2, 3))
    mb.op(op, [x, y], [out], OPTIONS[op], {})
    mb.output(out)
    _expect_error(mb.build(), "like input 0")

    mb = ModelBuilder()
    x, y = mb.input("a", (2, 3)), mb.input("b", (4,))
    out = mb.tensor("out", (2, 3))
    mb.op(op, [x, y], [out], OPTIONS[op], {})
    mb.output(out)
    _expect_error(mb.build(), "do not broadcast")

    dtype = np.int64 if op == "SQUARED_DIFFERENCE" else np.uint8
    _expect_error(binary_model(op, (2,), (2,), dtype), "expected FLOAT32")
