"""LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, PRELU and SOFTMAX (float32).

Each case runs a one-op model in litert and compares with NumPy and with TensorFlow Lite's
reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on the same model bytes.

Tolerances:
  RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU, HARD_SWISH: none. One or two IEEE operations per element in
      the same order everywhere, so bit-identical (NaN equal to NaN, sign of zero included).
  LOGISTIC, TANH: NumPy in float64 rounded to float32, rtol 4e-7 (~3 ulp; the worst case
      measured over 300k inputs is 2.1e-7) plus atol 1e-37, so that results in the float32
      subnormal range (e.g. logistic(-100)) only need to be close in absolute terms.
      TensorFlow Lite's reference kernels: rtol 1e-6, atol 1e-7 (on small tensors they agree
      to an ulp; on large ones TensorFlow Lite's LOGISTIC switches to an approximation that
      is off by up to ~2e-8 absolute, 1e-4 relative near 1e-4).
  SOFTMAX: NumPy in float64, rtol 1e-5, atol 1e-9 (float32 exp and a float32 row sum);
      TensorFlow Lite: rtol 1e-6, atol 1e-12 (the same arithmetic).
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite
from tflite_builder import ModelBuilder



def unary_model(op, shape, options_table=None, options=None, dtype=np.float32):
    b = ModelBuilder()
    x = b.input("x", shape, dtype)
    y = b.tensor("y", shape, dtype)
    b.op(op, [x], [y], options_table, options)
    b.output(y)
    return b.build()


# Values where the functions change behaviour or could overflow: signed zeros, subnormals,
# the RELU6 / HARD_SWISH knees, the float32 limits of exp (+-88.7, +-103.9), huge values,
# infinities and NaN.
EDGE_VALUES = np.array(
    [0.0, -0.0, 1e-40, -1e-40, 1e-30, -1e-30, 3.0, -3.0, 6.0, 6.5, -2.9999998, 2.9999998,
     0.5, -0.5, 9.0, -9.0, 17.0, -17.0, 20.0, -20.0, 30.0, -30.0, 88.7, -88.7, 89.0, -89.0,
     103.9, -103.9, 110.0, -110.0, 1e4, -1e4, 1e30, -1e30, 3.4e38, -3.4e38, np.inf, -np.inf,
     np.nan], np.float32)

SHAPES = [(), (1,), (7,), (3, 5), (2, 3, 4), (1, 4, 4, 3), (2, 1, 3, 2, 5), (2, 3, 1, 2, 2, 3),
          (64, 67)]


def inputs_for(shape, seed, scale=4.0):
    """Random normals, with the edge values written over the first elements."""
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    x = np.asarray(x, np.float32)
    flat = x.reshape(-1)
    n = min(flat.size, EDGE_VALUES.size)
    flat[:n] = EDGE_VALUES[:n]
    return x


def logistic_ref(x):
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def tanh_ref(x):
    return np.tanh(x.astype(np.float64)).astype(np.float32)


def relu_ref(x):
    return np.where(x < 0, np.float32(0), x)  # NaN and -0.0 pass through


def relu6_ref(x):
    return np.where(x < 0, np.float32(0), np.where(x > 6, np.float32(6), x))


def hard_swish_ref(x):
    with np.errstate(invalid="ignore", over="ignore"):
        gate = np.where(x + 3 < 0, np.float32(0), np.where(x + 3 > 6, np.float32(6), x + 3))
        return (x * gate / np.float32(6)).astype(np.float32)


def relu_n1_to_1_ref(x):
    return np.where(x < -1, np.float32(-1), np.where(x > 1, np.float32(1), x)).astype(np.float32)


EXACT_OPS = {"RELU": relu_ref, "RELU6": relu6_ref, "RELU_N1_TO_1": relu_n1_to_1_ref,
             "HARD_SWISH": hard_swish_ref}
SMOOTH_OPS = {"LOGISTIC": logistic_ref, "TANH": tanh_ref}


def assert_same_bits_or_nan(ours, expected):
    np.testing.assert_array_equal(ours, expected)
    both = ~np.isnan(ours)
    np.testing.assert_array_equal(np.signbit(ours[both]), np.signbit(expected[both]))


@pytest.mark.parametrize("op", list(EXACT_OPS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_piecewise_activation(op, shape):
    x = inputs_for(shape, seed=len(shape))
    model = unary_model(op, shape)
    ours = run_litert(model, [x])
    assert ours.shape == x.shape
    assert_same_bits_or_nan(ours, EXACT_OPS[op](x))
    assert_same_bits_or_nan(ours, run_tflite(model, [x]))


@pytest.mark.parametrize("op", list(SMOOTH_OPS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_smooth_activation(op, shape):
    x = inputs_for(shape, seed=len(shape) + 1)
    model = unary_model(op, shape)
    ours = run_litert(model, [x])
    assert ours.shape == x.shape
    np.testing.assert_allclose(ours, SMOOTH_OPS[op](x), rtol=4e-7, atol=1e-37)
    np.testing.assert_allclose(ours, run_tflite(model, [x]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op,low,high", [("LOGISTIC", 0.0, 1.0), ("TANH", -1.0, 1.0)])
def test_saturation_at_large_magnitudes(op, low, high):
    # Huge inputs saturate cleanly: no NaN from inf/inf, no overflow.
    x = np.array([-3.4e38, -1e10, -1e4, -200, 200, 1e4, 1e10, 3.4e38, -np.inf, np.inf],
                 np.float32)
    ours = run_litert(unary_model(op, x.shape), [x])
    assert not np.isnan(ours).any()
    np.testing.assert_array_equal(ours[x > 0], high)
    if op == "TANH":
        np.testing.assert_array_equal(ours[x < 0], low)
    else:  # logistic(-200) = 1.4e-87 underflows to 0
        np.testing.assert_array_equal(ours[x < 0], 0.0)


@pytest.mark.parametrize("alpha", [None, 0.2, 1.0, 2.0, -0.5])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4), (1, 3, 2, 2, 1, 4)], ids=str)
def test_leaky_relu(alpha, shape):
    x = inputs_for(shape, seed=4)
    if alpha is None:  # options table absent: alpha takes the format's default, 0
        model, a = unary_model("LEAKY_RELU", shape), np.float32(0.0)
    else:
        model = unary_model("LEAKY_RELU", shape, "LeakyReluOptions", dict(alpha=alpha))
        a = np.float32(alpha)
    ours = run_litert(model, [x])
    with np.errstate(invalid="ignore", over="ignore"):
        expected = np.where(x > 0, x, x * a).astype(np.float32)
    assert_same_bits_or_nan(ours, expected)
    assert_same_bits_or_nan(ours, run_tflite(model, [x]))


def prelu_model(x_shape, alpha_shape, alpha=None):
    b = ModelBuilder()
    x = b.input("x", x_shape, np.float32)
    a = b.constant("alpha", alpha) if alpha is not None else b.input("alpha", alpha_shape)
    out_shape = np.broadcast_shapes(tuple(x_shape), tuple(alpha_shape))
    y = b.tensor("y", out_shape, np.float32)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    return b.build()


PRELU_CASES = [((1, 4, 4, 3), (3,)), ((1, 4, 4, 3), (1, 1, 3)), ((2, 4, 4, 3), (4, 1, 3)),
               ((2, 5), (2, 5)), ((2, 5), (1,)), ((2, 5), ()), ((1, 4, 3), (4, 1)),
               ((1, 2, 3, 4, 5), (3, 1, 5)), ((2, 1, 3, 1, 2, 3), (3, 1, 1, 3)),
               ((2, 2, 3, 2, 2, 3), (2, 1, 1, 2, 1, 3))]


@pytest.mark.parametrize("constant_alpha", [True, False], ids=["const", "input"])
@pytest.mark.parametrize("shapes", PRELU_CASES, ids=str)
def test_prelu(shapes, constant_alpha):
    x_shape, alpha_shape = shapes
    rng = np.random.default_rng(9)
    x = inputs_for(x_shape, seed=9)
    alpha = np.asarray(rng.uniform(-1.5, 1.5, alpha_shape), np.float32)
    if constant_alpha:
        model, inputs = prelu_model(x_shape, alpha_shape, alpha), [x]
    else:
        model, inputs = prelu_model(x_shape, alpha_shape), [x, alpha]
    ours = run_litert(model, inputs)
    with np.errstate(invalid="ignore", over="ignore"):
        expected = np.where(x >= 0, x, x * alpha).astype(np.float32)
    assert ours.shape == expected.shape
    assert_same_bits_or_nan(ours, expected)
    assert_same_bits_or_nan(ours, run_tflite(model, inputs))


@pytest.mark.parametrize("alpha_shape", [(3,), (2, 2, 4)], ids=str)
def test_prelu_alpha_not_broadcastable_to_input_rejected(alpha_shape):
    # (2, 2, 4) broadcasts with (2, 4) but would enlarge the output: rejected, as in
    # TensorFlow Lite's reference kernel.
    b = ModelBuilder()
    x = b.input("x", [2, 4])
    a = b.constant("alpha", np.ones(alpha_shape, np.float32))
    y = b.tensor("y", [2, 4])
    b.op("PRELU", [x, a], [y])
    b.output(y)
    model = b.build()
    with pytest.raises((RuntimeError, ValueError), match="does not broadcast to the input"):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("op", ["RELU", "LOGISTIC", "HARD_SWISH"])
def test_non_float_input_rejected(op):
    with pytest.raises((RuntimeError, ValueError), match="expected FLOAT32"):
        Interpreter(model_content=unary_model(op, (3,), dtype=np.int32)).allocate_tensors()


# ---- SOFTMAX -------------------------------------------------------------------------------

def softmax_model(shape, beta=None):
    if beta is None:
        return unary_model("SOFTMAX", shape)
    return unary_model("SOFTMAX", shape, "SoftmaxOptions", dict(beta=beta))


def softmax_ref(x, beta):
    """Stable softmax over the last axis in float64."""
    z = x.astype(np.float64) * beta
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.5])
@pytest.mark.parametrize("shape", [(1,), (10,), (3, 1), (4, 1000), (2, 3, 7), (1, 2, 3, 4),
                                   (2, 1, 3, 2, 5), (2, 2, 1, 3, 2, 6)], ids=str)
def test_softmax(shape, beta):
    x = (np.random.default_rng(len(shape)).standard_normal(shape) * 3).astype(np.float32)
    x = np.asarray(x, np.float32)
    model = softmax_model(shape, beta)
    ours = run_litert(model, [x])
    np.testing.assert_allclose(ours, softmax_ref(x, beta), rtol=1e-5, atol=1e-9)
    # TensorFlow Lite sums a row left to right in float32 (error up to ~n ulp); the SIMD
    # kernels sum in vector lanes (closer to exact), so long rows differ by that much.
    np.testing.assert_allclose(ours, run_tflite(model, [x]),
                               rtol=1e-6 + shape[-1] * 2.0**-24, atol=1e-12)
    np.testing.assert_allclose(ours.sum(axis=-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("scale", [100.0, 1e4, 1e30])
def test_softmax_large_magnitudes_are_stable(scale):
    # exp(x) alone would overflow: every row must still be a distribution.
    x = (np.random.default_rng(1).standard_normal((6, 33)) * scale).astype(np.float32)
    x[0, :] = scale  # a row of equal huge values: uniform
    model = softmax_model(x.shape, 1.0)
    ours = run_litert(model, [x])
    assert np.isfinite(ours).all()
    np.testing.assert_allclose(ours, softmax_ref(x, 1.0), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(ours[0], 1.0 / 33, rtol=1e-6)
    np.testing.assert_allclose(ours, run_tflite(model, [x]), rtol=1e-6, atol=1e-12)


def test_softmax_negative_beta():
    # exp(beta * (x - max x)) would overflow here; the pivot must be min x for beta < 0.
    # (TensorFlow Lite's kernel does overflow on this input, so NumPy only.)
    x = np.array([[3.0, 400.0, 1.0, 2.0], [10.0, 0.0, -95.0, 5.0]], np.float32)
    ours = run_litert(softmax_model(x.shape, -1.0), [x])
    np.testing.assert_allclose(ours, softmax_ref(x, -1.0), rtol=1e-5, atol=1e-9)
    small = np.array([[0.5, -1.0, 2.0]], np.float32)  # no overflow: TensorFlow Lite agrees
    model = softmax_model(small.shape, -0.7)
    np.testing.assert_allclose(run_litert(model, [small]), run_tflite(model, [small]),
                               rtol=1e-6, atol=1e-12)


def test_softmax_absent_options_means_beta_zero():
    x = np.array([[1.0, 5.0, -2.0, 0.0]], np.float32)
    model = softmax_model(x.shape)
    ours = run_litert(model, [x])
    np.testing.assert_array_equal(ours, np.full_like(x, 0.25))
    np.testing.assert_array_equal(ours, run_tflite(model, [x]))


def test_softmax_minus_infinity_and_nan_rows():
    x = np.array([[1.0, -np.inf, 2.0, -np.inf],   # -inf entries get probability 0
                  [1.0, np.nan, 2.0, 3.0],         # NaN poisons only its own row
                  [0.0, 1.0, 2.0, 3.0]], np.float32)
    model = softmax_model(x.shape, 1.0)
    ours = run_litert(model, [x])
    np.testing.assert_allclose(ours[0], softmax_ref(x[:1], 1.0)[0], rtol=1e-6)
    assert ours[0, 1] == 0 and ours[0, 3] == 0
    assert np.isnan(ours[1]).all()
    np.testing.assert_allclose(ours[2], softmax_ref(x[2:], 1.0)[0], rtol=1e-6)
    np.testing.assert_allclose(ours, run_tflite(model, [x]), rtol=1e-6, atol=1e-12)


def test_softmax_rank_0_rejected():
    with pytest.raises((RuntimeError, ValueError), match="rank"):
        Interpreter(model_content=softmax_model((), 1.0)).allocate_tensors()
