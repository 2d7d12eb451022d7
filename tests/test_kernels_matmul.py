"""FULLY_CONNECTED and BATCH_MATMUL (float32).

Each case builds a one-op model, runs it in litert and compares the output with a NumPy
reference and with TensorFlow Lite's reference kernels (ai_edge_litert,
OpResolverType.BUILTIN_REF) on the same model bytes.

References, in float64: FULLY_CONNECTED is x.reshape(-1, K) @ W.T + bias, reshaped as
TensorFlow Lite shapes the output (keep_num_dims: the input's shape with the last
dimension replaced by the unit count); BATCH_MATMUL is np.matmul of the operands with their
last two axes swapped for adj_x / adj_y (np.matmul broadcasts batch axes the same way).

Tolerance: per output, |got - ref| <= (K + 2) * 2**-23 * mag + 2**-22 * |ref|, where K is
the length of the dot products and mag the same product of |x| and |W| (plus |bias|): the
float32 summation bound with a factor of two to spare. Against TensorFlow Lite, twice that.
Cases TensorFlow Lite cannot run are compared with NumPy only: fused TANH in
FULLY_CONNECTED (TensorFlow Lite refuses it; litert applies it) and BATCH_MATMUL above
rank 5.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import assert_within_sum_bound as assert_within, fused_activation as activation, run_interpreter as _run, run_litert, run_tflite
from tflite_builder import ModelBuilder

NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4






def _expect_prepare_error(model, match):
    interp = Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match=match):
        interp.allocate_tensors()


# ---- FULLY_CONNECTED -------------------------------------------------------------------------

def fc_ref(x, w, b, keep_num_dims):
    k = w.shape[1]
    y = x.astype(np.float64).reshape(-1, k) @ w.astype(np.float64).T
    if b is not None:
        y = y + b.astype(np.float64)
    if keep_num_dims:
        y = y.reshape(x.shape[:-1] + (w.shape[0],))
    return y


def fc_model(x_shape, w, b, out_shape, *, act=NONE, keep_num_dims=False, weights_format=None,
             bias_slot=True, const_weights=True):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    wt = mb.constant("w", w) if const_weights else mb.input("w", w.shape)
    inputs = [x, wt]
    if b is not None:
        inputs.append(mb.constant("b", b))
    elif bias_slot:
        inputs.append(-1)
    y = mb.tensor("y", out_shape)
    opts = dict(fused_activation_function=act, keep_num_dims=keep_num_dims)
    if weights_format is not None:
        opts["weights_format"] = weights_format
    mb.op("FULLY_CONNECTED", inputs, [y], "FullyConnectedOptions", opts)
    mb.output(y)
    return mb.build()


def check_fc(x_shape, units, k, *, act=NONE, with_bias=True, keep_num_dims=False, seed=0,
             bias_slot=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((units, k)).astype(np.float32)
    b = rng.standard_normal(units).astype(np.float32) if with_bias else None
    ref = activation(fc_ref(x, w, b, keep_num_dims), act)
    mag = fc_ref(np.abs(x), np.abs(w), None if b is None else np.abs(b), keep_num_dims)
    model = fc_model(x.shape, w, b, ref.shape, act=act, keep_num_dims=keep_num_dims,
                     bias_slot=bias_slot)
    got = run_litert(model, [x])
    assert_within(got, ref, mag, k)
    if act != TANH:
        assert_within(got, run_tflite(model, [x]).astype(np.float64), mag, k, factor=2.0)


# (input shape, units, K)
FC_SHAPES = [
    ((1, 1), 1, 1),
    ((3, 7), 5, 7),
    ((2, 8), 3, 8),
    ((4, 9), 6, 9),
    ((2, 33), 17, 33),
    ((5, 100), 10, 100),
    ((9,), 4, 9),                 # rank 1: one row
    ((2, 3, 5), 4, 5),            # rank 3: 6 rows
    ((2, 2, 3, 6), 3, 6),         # rank 4: 12 rows
    ((2, 6), 3, 4),               # rows taken across dimensions: 12 values = 3 rows of 4
    ((3, 2, 2), 5, 12),           # one row per batch over two dimensions
]


@pytest.mark.parametrize("x_shape,units,k", FC_SHAPES)
def test_fc_shapes(x_shape, units, k):
    check_fc(x_shape, units, k)


@pytest.mark.parametrize("act", [NONE, RELU, RELU_N1_TO_1, RELU6, TANH])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fc_activation_and_bias(act, with_bias):
    check_fc((4, 11), 7, 11, act=act, with_bias=with_bias, seed=act)


@pytest.mark.parametrize("x_shape", [(3, 5), (2, 3, 5), (2, 1, 3, 5), (5,)])
def test_fc_keep_num_dims(x_shape):
    check_fc(x_shape, 4, 5, keep_num_dims=True, act=RELU)


def test_fc_bias_omitted_entirely():
    check_fc((3, 6), 2, 6, with_bias=False, bias_slot=False)


def test_fc_weights_not_constant():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 10)).astype(np.float32)
    w = rng.standard_normal((4, 10)).astype(np.float32)
    ref = fc_ref(x, w, None, False)
    mag = fc_ref(np.abs(x), np.abs(w), None, False)
    model = fc_model(x.shape, w, None, ref.shape, const_weights=False)
    got = run_litert(model, [x, w])
    assert_within(got, ref, mag, 10)
    assert_within(got, run_tflite(model, [x, w]).astype(np.float64), mag, 10, factor=2.0)


def test_fc_output_shape_after_resize():
    """The row count follows the input's element count when the input is resized."""
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    interp = Interpreter(model_content=fc_model((2, 4), w, None, (2, 3)))
    x = rng.standard_normal((5, 2, 4)).astype(np.float32)
    interp.resize_tensor_input(interp.get_input_details()[0]["index"], x.shape)
    got = _run(interp, [x])
    assert got.shape == (10, 3)
    assert_within(got, fc_ref(x, w, None, False), fc_ref(np.abs(x), np.abs(w), None, False), 4)


@pytest.mark.parametrize("x_shape,w_shape,b_shape,opts,match", [
    ((2, 5), (3, 4), None, {}, "cannot be read as rows of 4"),
    ((2, 5), (3, 5), (4,), {}, "expected 3 values"),
    ((2, 5), (3, 5), None, dict(weights_format=1), "weights_format is 1"),
    ((2, 6), (3, 3), None, dict(keep_num_dims=True), "last dimension to equal"),
    ((2, 5), (3, 0), None, {}, "at least one input feature"),
    ((2, 5), (3, 5, 1), None, {}, "expected rank 2"),
])
def test_fc_errors(x_shape, w_shape, b_shape, opts, match):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    w = mb.constant("w", np.ones(w_shape, np.float32))
    b = mb.constant("b", np.ones(b_shape, np.float32)) if b_shape else -1
    y = mb.tensor("y", (1, 1))
    mb.op("FULLY_CONNECTED", [x, w, b], [y], "FullyConnectedOptions", opts)
    mb.output(y)
    _expect_prepare_error(mb.build(), match)


# ---- BATCH_MATMUL ----------------------------------------------------------------------------

def bmm_ref(x, y, adj_x, adj_y):
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    if adj_x:
        x = np.swapaxes(x, -1, -2)
    if adj_y:
        y = np.swapaxes(y, -1, -2)
    return np.matmul(x, y)


def bmm_model(x_shape, y_shape, out_shape, adj_x, adj_y, y_const=None):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    y = mb.constant("y", y_const) if y_const is not None else mb.input("y", y_shape)
    out = mb.tensor("out", out_shape)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions",
          dict(adj_x=adj_x, adj_y=adj_y))
    mb.output(out)
    return mb.build()


def _operand_shape(batch, rows, cols, adj):
    return tuple(batch) + ((cols, rows) if adj else (rows, cols))


# (x batch dims, y batch dims, M, K, N)
BMM_SHAPES = [
    ((), (), 1, 1, 1),
    ((), (), 3, 4, 5),
    ((2,), (2,), 3, 9, 2),
    ((5,), (), 2, 17, 3),                  # y broadcast (lower rank)
    ((), (4,), 3, 8, 6),                   # x broadcast (lower rank)
    ((2, 1), (1, 3), 4, 5, 2),             # both broadcast
    ((1,), (2, 2), 3, 4, 5),               # rank 3 with rank 4
    ((2, 1, 3), (3, 1), 2, 7, 4),          # rank 5 with rank 4
    ((2, 3, 1, 2), (1, 1, 2, 1), 2, 3, 2), # rank 6 (NumPy only)
    ((1, 2, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1), 2, 3, 2),  # rank 8 (NumPy only)
]


@pytest.mark.parametrize("shapes", BMM_SHAPES)
@pytest.mark.parametrize("adj_x", [False, True])
@pytest.mark.parametrize("adj_y", [False, True])
def test_batch_matmul(shapes, adj_x, adj_y):
    xb, yb, m, k, n = shapes
    rng = np.random.default_rng(len(xb) * 7 + len(yb) + k)
    x = rng.standard_normal(_operand_shape(xb, m, k, adj_x)).astype(np.float32)
    y = rng.standard_normal(_operand_shape(yb, k, n, adj_y)).astype(np.float32)
    ref = bmm_ref(x, y, adj_x, adj_y)
    mag = bmm_ref(np.abs(x), np.abs(y), adj_x, adj_y)
    model = bmm_model(x.shape, y.shape, ref.shape, adj_x, adj_y)
    got = run_litert(model, [x, y])
    assert_within(got, ref, mag, k)
    if ref.ndim <= 5:
        assert_within(got, run_tflite(model, [x, y]).astype(np.float64), mag, k, factor=2.0)


@pytest.mark.parametrize("adj_y", [False, True])
def test_batch_matmul_constant_rhs(adj_y):
    """A constant right-hand side (TensorFlow Lite transposes it once at prepare)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 6)).astype(np.float32)
    y = rng.standard_normal((5, 6) if adj_y else (6, 5)).astype(np.float32)
    ref = bmm_ref(x, y, False, adj_y)
    mag = bmm_ref(np.abs(x), np.abs(y), False, adj_y)
    model = bmm_model(x.shape, y.shape, ref.shape, False, adj_y, y_const=y)
    got = run_litert(model, [x])
    assert_within(got, ref, mag, 6)
    assert_within(got, run_tflite(model, [x]).astype(np.float64), mag, 6, factor=2.0)


@pytest.mark.parametrize("x_shape,y_shape,opts,match", [
    ((2, 3), (4, 5), {}, "inner dimensions differ"),
    ((2, 3), (3, 5), dict(adj_x=True), "inner dimensions differ"),  # adj_x: K = 2, not 3
    ((2, 3), (3, 4), dict(adj_y=True), "inner dimensions differ"),  # fine without adj_y
    ((2, 3, 4), (3, 4, 5), {}, "do not broadcast"),
    ((3,), (3, 4), {}, "expected rank 2 to 8"),
])
def test_batch_matmul_errors(x_shape, y_shape, opts, match):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    y = mb.input("y", y_shape)
    out = mb.tensor("out", (1, 1))
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", opts)
    mb.output(out)
    _expect_prepare_error(mb.build(), match)


def test_fc_no_units():
    model = fc_model((3, 4), np.zeros((0, 4), np.float32), None, (3, 0))
    assert run_litert(model, [np.ones((3, 4), np.float32)]).shape == (3, 0)


def test_batch_matmul_empty_inner_dimension():
    """K = 0: every output is an empty sum, 0 (as np.matmul gives)."""
    x = np.ones((2, 3, 0), np.float32)
    y = np.ones((2, 0, 4), np.float32)
    got = run_litert(bmm_model(x.shape, y.shape, (2, 3, 4), False, False), [x, y])
    np.testing.assert_array_equal(got, np.matmul(x, y))
