"""ADD, SUB, MUL, DIV: broadcasting, fused activations, float32 and int32.

Every case runs a one-op model in litert and compares with NumPy and with TensorFlow Lite's
reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on the same model bytes.

Tolerance: none. Each output element is one IEEE float32 operation (then a clamp), which
NumPy, TensorFlow Lite and litert all round correctly, so results must be bit-identical
(NaN compares equal to NaN). Known difference: TensorFlow Lite's float kernels clamp every
result to [-FLT_MAX, FLT_MAX] even without an activation, so an infinite result comes out as
+-FLT_MAX there; litert keeps IEEE infinities (as NumPy). assert_matches_tflite checks exactly
that mapping. The one exception to bit-identity is a fused TANH, compared with NumPy's tanh
at rtol 1e-6 (libm tanhf is within an ulp or two); TensorFlow Lite's kernels ignore a fused
TANH on these ops, so it is compared with NumPy only.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import fused_activation as apply_activation, run_litert, run_tflite
from tflite_builder import ModelBuilder

OPTIONS = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions", "DIV": "DivOptions"}
NUMPY_OPS = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "DIV": np.divide}
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6, ACT_TANH, ACT_SIGN_BIT = range(6)
INT32_MIN, INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max



def assert_matches_tflite(ours, theirs):
    """Bit-identical, except that TensorFlow Lite saturates infinities to +-FLT_MAX."""
    flt_max = np.finfo(np.float32).max
    if ours.dtype == np.float32:
        ours = np.where(np.isinf(ours), np.copysign(flt_max, ours), ours).astype(np.float32)
    np.testing.assert_array_equal(ours, theirs)


def binary_model(op, a_shape, b_shape, dtype=np.float32, act=ACT_NONE, *, b_const=None,
                 a_const=None, out_shape=None):
    """One-op model `out = a (op) b`; either operand may be a constant instead of an input."""
    b = ModelBuilder()
    x = b.constant("a", a_const) if a_const is not None else b.input("a", a_shape, dtype)
    y = b.constant("b", b_const) if b_const is not None else b.input("b", b_shape, dtype)
    if out_shape is None:
        out_shape = np.broadcast_shapes(tuple(a_shape), tuple(b_shape))
    out = b.tensor("out", out_shape, dtype)
    b.op(op, [x, y], [out], OPTIONS[op], dict(fused_activation_function=act))
    b.output(out)
    return b.build()



def float_reference(op, a, b, act=ACT_NONE):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return apply_activation(NUMPY_OPS[op](a, b).astype(np.float32), act)


def random_operands(rng, a_shape, b_shape):
    a = rng.standard_normal(a_shape).astype(np.float32) * 4
    b = rng.standard_normal(b_shape).astype(np.float32) * 4
    return np.asarray(a, np.float32), np.asarray(b, np.float32)


# Every broadcasting pattern: equal shapes (ranks 0-6), scalars (rank 0 and all-ones) on
# either side, bias-like trailing vectors, middle and leading broadcasts, outer products,
# ranks that differ by several, both operands broadcast in alternating dimensions, zero-sized.
BROADCAST_CASES = [
    ((), ()), ((1,), (1,)), ((7,), (7,)), ((3, 5), (3, 5)), ((2, 3, 4), (2, 3, 4)),
    ((2, 3, 4, 5), (2, 3, 4, 5)), ((1, 2, 3, 2, 4), (1, 2, 3, 2, 4)),
    ((2, 1, 3, 2, 2, 3), (2, 1, 3, 2, 2, 3)),
    ((), (4, 5)), ((4, 5), ()), ((1,), (2, 3)), ((2, 3), (1, 1)), ((1, 1, 1), (2, 3, 4)),
    ((2, 3, 4), (4,)), ((4,), (2, 3, 4)), ((1, 5, 5, 8), (8,)), ((1, 5, 5, 8), (1, 1, 1, 8)),
    ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 3, 1)), ((2, 3, 4), (2, 1, 1)), ((2, 1, 4), (3, 1)),
    ((5, 1), (1, 6)), ((1, 6), (5, 1)), ((3, 1, 5), (1, 4, 1)),
    ((2, 1, 3, 1, 2), (1, 4, 1, 5, 1)), ((1, 2, 1, 3, 1, 2), (2, 1, 4, 1, 3, 1)),
    ((2, 3, 1, 1, 4, 5), (3, 7, 1, 5)), ((6,), (2, 1, 3, 1, 2, 6)),
    ((4, 1000), (1000,)), ((1000, 1), (1000, 2)),
    ((0, 3), (3,)), ((2, 0, 3), (1, 1, 3)), ((2, 3), (0, 1, 3)),
]


def _case_id(case):
    return "x".join(map(str, case[0])) + "_" + "x".join(map(str, case[1]))


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("shapes", BROADCAST_CASES, ids=[_case_id(c) for c in BROADCAST_CASES])
def test_float_broadcast_matches_numpy_and_tflite(op, shapes):
    a_shape, b_shape = shapes
    a, b = random_operands(np.random.default_rng(len(a_shape) * 7 + len(b_shape)),
                           a_shape, b_shape)
    model = binary_model(op, a_shape, b_shape)
    ours = run_litert(model, [a, b])
    expected = float_reference(op, a, b)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)
    if ours.size:  # TensorFlow Lite's kernels reject some zero-sized broadcasts
        assert_matches_tflite(ours, run_tflite(model, [a, b]))


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("shapes", [((2, 1, 3, 1, 2, 1, 2), (3, 4, 1, 5, 2)),
                                    ((1, 2, 1, 2, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1, 2, 1)),
                                    ((2, 2, 2, 2, 2, 2, 2, 2), (2,))])
def test_float_broadcast_beyond_rank_6(op, shapes):
    # TensorFlow Lite stops at rank 6; litert goes to LT_MAX_RANK (8): NumPy only.
    a, b = random_operands(np.random.default_rng(8), *shapes)
    ours = run_litert(binary_model(op, *shapes), [a, b])
    np.testing.assert_array_equal(ours, float_reference(op, a, b))


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("act", [ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6])
@pytest.mark.parametrize("shapes", [((2, 3, 8), (2, 3, 8)), ((2, 3, 8), (8,)), ((), (9,))])
def test_float_fused_clamp(op, act, shapes):
    a, b = random_operands(np.random.default_rng(act), *shapes)
    # Values around every clamp edge, NaN (must pass through) and infinities.
    a.reshape(-1)[:4] = [np.nan, np.inf, -np.inf, 6.5][: a.size]
    model = binary_model(op, *shapes, act=act)
    ours = run_litert(model, [a, b])
    np.testing.assert_array_equal(ours, float_reference(op, a, b, act))
    assert_matches_tflite(ours, run_tflite(model, [a, b]))


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("act", [ACT_TANH, ACT_SIGN_BIT])
def test_float_fused_non_clamp_activation(op, act):
    # The format's meaning; TensorFlow Lite's kernels ignore these two, so NumPy only.
    a, b = random_operands(np.random.default_rng(5), (3, 16), (16,))
    ours = run_litert(binary_model(op, (3, 16), (16,), act=act), [a, b])
    np.testing.assert_allclose(ours, float_reference(op, a, b, act), rtol=1e-6, atol=0)


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("which", ["a", "b"])
@pytest.mark.parametrize("shapes", [((1, 4, 4, 6), (6,)), ((2, 3), ()), ((3, 1), (1, 5))])
def test_constant_operand(op, which, shapes):
    a, b = random_operands(np.random.default_rng(11), *shapes)
    if which == "a":
        model = binary_model(op, *shapes, a_const=a, act=ACT_RELU6)
        inputs = [b]
    else:
        model = binary_model(op, *shapes, b_const=b, act=ACT_RELU6)
        inputs = [a]
    ours = run_litert(model, inputs)
    np.testing.assert_array_equal(ours, float_reference(op, a, b, ACT_RELU6))
    assert_matches_tflite(ours, run_tflite(model, inputs))


def test_float_division_by_zero_is_ieee():
    a = np.array([1, -1, 0, np.inf, np.nan, -0.0], np.float32)
    b = np.array([0, 0, 0, 0, 0, -0.0], np.float32)
    model = binary_model("DIV", a.shape, b.shape)
    ours = run_litert(model, [a, b])
    np.testing.assert_array_equal(ours, float_reference("DIV", a, b))
    np.testing.assert_array_equal(np.signbit(ours[:2]), [False, True])
    assert_matches_tflite(ours, run_tflite(model, [a, b]))


def test_same_model_invoked_twice_with_new_data():
    model = binary_model("MUL", (2, 3), (3,))
    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    rng = np.random.default_rng(3)
    for _ in range(2):
        a, b = random_operands(rng, (2, 3), (3,))
        interp.set_tensor(interp.get_input_details()[0]["index"], a)
        interp.set_tensor(interp.get_input_details()[1]["index"], b)
        interp.invoke()
        np.testing.assert_array_equal(
            interp.get_tensor(interp.get_output_details()[0]["index"]), a * b)


# ---- int32 ---------------------------------------------------------------------------------

def int32_reference(op, a, b, act=ACT_NONE):
    """TensorFlow Lite's int32 semantics: wrap-around ADD/SUB/MUL, DIV truncating toward zero
    with INT32_MIN / -1 saturating, then the activation clamp."""
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    if op == "DIV":
        q = np.abs(a64) // np.abs(b64) * np.sign(a64) * np.sign(b64)
        result = np.clip(q, INT32_MIN, INT32_MAX)
    else:
        wide = {"ADD": a64 + b64, "SUB": a64 - b64, "MUL": a64 * b64}[op]
        result = (wide & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
    lo, hi = {ACT_NONE: (INT32_MIN, INT32_MAX), ACT_RELU: (0, INT32_MAX),
              ACT_RELU_N1_TO_1: (-1, 1), ACT_RELU6: (0, 6)}[act]
    return np.clip(result, lo, hi).astype(np.int32)


def int32_operands(rng, a_shape, b_shape, nonzero_b=False):
    edges = np.array([INT32_MIN, INT32_MAX, -1, 0, 1, 7, -7, 65536, 46341], np.int64)
    a = rng.integers(-20, 21, a_shape).astype(np.int32)
    b = rng.integers(-20, 21, b_shape).astype(np.int32)
    flat_a = a.reshape(-1)
    flat_a[: min(flat_a.size, edges.size)] = edges[: flat_a.size]
    flat_b = b.reshape(-1)
    flat_b[: min(flat_b.size, 4)] = np.array([-1, 2, INT32_MAX, -3])[: flat_b.size]
    if nonzero_b:
        b[b == 0] = 3
    return a, b


@pytest.mark.parametrize("op", list(OPTIONS))
@pytest.mark.parametrize("act", [ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6])
@pytest.mark.parametrize("shapes", [((4, 9), (4, 9)), ((4, 9), (9,)), ((2, 1, 9), (3, 1)),
                                    ((9,), ()), ((), ())])
def test_int32(op, act, shapes):
    a, b = int32_operands(np.random.default_rng(act + 10), *shapes, nonzero_b=op == "DIV")
    model = binary_model(op, *shapes, dtype=np.int32, act=act)
    ours = run_litert(model, [a, b])
    np.testing.assert_array_equal(ours, int32_reference(op, a, b, act))
    assert_matches_tflite(ours, run_tflite(model, [a, b]))


def test_int32_division_edges():
    a = np.array([-7, 7, -7, 7, INT32_MIN, INT32_MIN, INT32_MAX, 1], np.int32)
    b = np.array([2, -2, -2, 2, -1, 1, -1, INT32_MIN], np.int32)
    model = binary_model("DIV", a.shape, b.shape, dtype=np.int32)
    ours = run_litert(model, [a, b])
    np.testing.assert_array_equal(ours, [-3, -3, 3, 3, INT32_MAX, INT32_MIN, -INT32_MAX, 0])
    assert_matches_tflite(ours, run_tflite(model, [a, b]))


def test_int32_division_by_zero_input_fails_at_invoke():
    model = binary_model("DIV", (3,), (3,), dtype=np.int32)
    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], np.array([1, 2, 3], np.int32))
    interp.set_tensor(interp.get_input_details()[1]["index"], np.array([1, 0, 3], np.int32))
    with pytest.raises(RuntimeError, match="division by zero.*element 1"):
        interp.invoke()
    # Valid data afterwards runs normally.
    interp.set_tensor(interp.get_input_details()[1]["index"], np.array([1, 2, 3], np.int32))
    interp.invoke()
    np.testing.assert_array_equal(
        interp.get_tensor(interp.get_output_details()[0]["index"]), [1, 1, 1])


def test_int32_division_by_constant_zero_fails_at_prepare():
    model = binary_model("DIV", (3,), (3,), dtype=np.int32,
                         b_const=np.array([4, 5, 0], np.int32))
    with pytest.raises(RuntimeError, match="division by zero.*element 2"):
        Interpreter(model_content=model).allocate_tensors()


# ---- rejected models -----------------------------------------------------------------------

def _allocate(model):
    Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("a_shape,b_shape", [((2, 3), (4,)), ((2, 3, 4), (3, 3, 4)),
                                             ((5, 1), (2, 4))])
def test_incompatible_shapes_rejected(a_shape, b_shape):
    model = binary_model("ADD", a_shape, b_shape, out_shape=a_shape)
    with pytest.raises((RuntimeError, ValueError), match="do not broadcast"):
        _allocate(model)


def test_mixed_types_rejected():
    b = ModelBuilder()
    x = b.input("a", [3], np.float32)
    y = b.input("b", [3], np.int32)
    out = b.tensor("out", [3], np.float32)
    b.op("ADD", [x, y], [out], "AddOptions", dict(fused_activation_function=0))
    b.output(out)
    with pytest.raises((RuntimeError, ValueError), match="input 1 has type INT32"):
        _allocate(b.build())


def test_unsupported_type_rejected():
    model = binary_model("MUL", (3,), (3,), dtype=np.int16)
    with pytest.raises((RuntimeError, ValueError), match="expected FLOAT32 or INT32"):
        _allocate(model)


def test_int32_tanh_activation_rejected():
    model = binary_model("SUB", (3,), (3,), dtype=np.int32, act=ACT_TANH)
    with pytest.raises((RuntimeError, ValueError), match="fused_activation_function is 4"):
        _allocate(model)
