"""ARG_MAX, ARG_MIN, POW, L2_NORMALIZATION, and the int8 forms of ABS, SQRT, RSQRT, EXP, LOG
and GELU, in models made by TensorFlow's converter (tests/tf_op_models.py) and compared with
TensorFlow Lite's interpreter (reference kernels) on the same file.

Every comparison here is exact, floats included, each for a stated reason:
  ARG_MAX / ARG_MIN, int32 POW, all int8: integer results, bit-exact by design.
  float32 POW: both call the same C library powf for the pow path, and both multiply in the
      same order on TensorFlow Lite's integer-exponent path (pow.c's top comment).
  float32 L2_NORMALIZATION: one float sum of squares in memory order, one sqrtf, one max with
      1e-6, one division per element: the same rounded operations in the same order.
NaN compares equal to NaN. ARG_MAX / ARG_MIN get NaN only along non-last axes: along the last
axis TensorFlow Lite's optimized path treats a leading NaN in length-dependent ways that
arg_minmax.c does not copy. Inputs are small; conversions are cached per module (key=).
"""
import numpy as np
import pytest

from litert import Interpreter
from tf_op_models import convert, op_names, quantize_inputs, run_both, tf
from tflite_builder import ModelBuilder

RNG = np.random.default_rng(8)


def op_types(model):
    """(op name, input dtypes, output dtypes) of each op, from TensorFlow Lite's listing."""
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    it = TFLiteInterpreter(model_content=model)
    dtype = {d["index"]: np.dtype(d["dtype"]) for d in it.get_tensor_details()}
    return [(o["op_name"], [dtype[i] for i in o["inputs"] if i >= 0],
             [dtype[i] for i in o["outputs"]]) for o in it._get_ops_details()]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == b.dtype, (k, a.dtype, b.dtype)
        assert a.shape == b.shape, (k, a.shape, b.shape)
        np.testing.assert_array_equal(a, b, err_msg=f"output {k}")


def expect_prepare_error(model, match):
    with pytest.raises((RuntimeError, ValueError), match=match):
        Interpreter(model_content=model).allocate_tensors()


def expect_invoke_error(model, inputs, match):
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    for d, v in zip(it.get_input_details(), inputs):
        it.set_tensor(d["index"], v)
    with pytest.raises(RuntimeError, match=match):
        it.invoke()


def rep_data(shapes, lo, hi):
    def gen():
        rng = np.random.default_rng(0)
        for _ in range(16):
            yield [rng.uniform(lo, hi, s).astype(np.float32) for s in shapes]
    return gen


# ---- ARG_MAX / ARG_MIN --------------------------------------------------------------------

def _arg_f32(x):
    t = tf()
    return (t.argmax(x, 0), t.argmax(x, -1, output_type=t.int32), t.argmin(x, 1),
            t.argmin(x, -2, output_type=t.int32))


def _arg_nan(x):
    t = tf()
    return t.argmax(x, 0), t.argmin(x, 1, output_type=t.int32)


def _arg_i32(x, y):
    t = tf()
    return (t.argmax(x, 0, output_type=t.int32), t.argmin(y, 3), t.argmax(y, -5),
            t.argmin(y, -1, output_type=t.int32))


def _arg_i8(x):
    t = tf()
    return t.argmax(x, 1), t.argmin(x, -1, output_type=t.int32), t.argmax(x, -3)


@pytest.fixture(scope="module")
def arg_models():
    t = tf()
    return {
        "f32": convert(_arg_f32, [((3, 4, 5), t.float32)], key="arg_f32"),
        "nan": convert(_arg_nan, [((5, 4, 3), t.float32)], key="arg_nan"),
        "i32": convert(_arg_i32, [((7,), t.int32), ((2, 1, 3, 2, 4), t.int32)], key="arg_i32"),
        "i8": convert(_arg_i8, [((2, 5, 3), t.float32)], quant="int8",
                      representative=rep_data([(2, 5, 3)], -2, 2), key="arg_i8"),
    }


def test_arg_ops_in_files(arg_models):
    assert op_names(arg_models["f32"]) == ["ARG_MAX", "ARG_MAX", "ARG_MIN", "ARG_MIN"]
    names = op_names(arg_models["i32"])
    assert sorted(names) == ["ARG_MAX", "ARG_MAX", "ARG_MIN", "ARG_MIN"]
    i8 = [o for o in op_types(arg_models["i8"]) if o[0] in ("ARG_MAX", "ARG_MIN")]
    assert len(i8) == 3 and all(o[1][0] == np.int8 for o in i8)
    assert {o[2][0] for o in i8} == {np.dtype(np.int32), np.dtype(np.int64)}


@pytest.mark.parametrize("seed", range(3))
def test_arg_f32_ties(arg_models, seed):
    # Few distinct values: many ties, which resolve to the lowest index.
    x = np.random.default_rng(seed).integers(-2, 3, (3, 4, 5)).astype(np.float32)
    x[0, 0, :] = 1.0  # a whole slice tied
    ours, theirs = run_both(arg_models["f32"], [x])
    assert_same(ours, theirs)
    assert [o.dtype for o in ours] == [np.int64, np.int32, np.int64, np.int32]
    assert ours[1][0, 0] == 0


def test_arg_f32_nan_and_inf(arg_models):
    # NaN along the non-last axes (where TensorFlow Lite's kernel skips NaN: arg_minmax.c),
    # including a leading NaN and all-NaN slices; infinities and -0.
    x = RNG.integers(-3, 4, (5, 4, 3)).astype(np.float32)
    x[RNG.random(x.shape) < 0.3] = np.nan
    x[0, 0, 0] = np.nan
    x[:, 1, 2] = np.nan
    x[3, :, 0] = [np.inf, -np.inf, -0.0, 0.0]
    ours, theirs = run_both(arg_models["nan"], [x])
    assert_same(ours, theirs)


def test_arg_i32_ranks_1_and_5(arg_models):
    x = np.array([3, -7, 9, 9, -7, 2**31 - 1, -2**31], np.int32)
    y = RNG.integers(-5, 5, (2, 1, 3, 2, 4)).astype(np.int32)
    ours, theirs = run_both(arg_models["i32"], [x, y])
    assert_same(ours, theirs)
    assert ours[0].shape == () and ours[0] == 5


def test_arg_int8(arg_models):
    model = arg_models["i8"]
    x = quantize_inputs(model, [RNG.uniform(-2, 2, (2, 5, 3)).astype(np.float32)])
    x[0][0, :, 0] = x[0][0, 0, 0]  # ties
    ours, theirs = run_both(model, x)
    assert_same(ours, theirs)


def _arg_builder(op="ARG_MAX", in_shape=(2, 3), in_dtype=np.float32, axis=1,
                 axis_dtype=np.int32, out_type=np.int64, out_shape=None, axis_const=True,
                 out_tensor_dtype=None):
    mb = ModelBuilder()
    x = mb.input("x", in_shape, in_dtype)
    if axis_const:
        a = mb.constant("axis", np.array([axis], axis_dtype))
    else:
        a = mb.input("axis", (1,), axis_dtype)
    if out_shape is None:
        ax = axis % len(in_shape)
        out_shape = [d for i, d in enumerate(in_shape) if i != ax]
    y = mb.tensor("y", out_shape, out_tensor_dtype or out_type)
    table = "ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"
    from tflite_builder import tensor_type
    mb.op(op, [x, a], [y], table, {"output_type": tensor_type(out_type)})
    mb.output(y)
    return mb.build()


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_builder_cases(op):
    # int64 axis, single element, uint8 input, zero-size non-reduced dim.
    for kw, x in [
        (dict(axis=-1, axis_dtype=np.int64), RNG.standard_normal((2, 3)).astype(np.float32)),
        (dict(in_shape=(1,), axis=0), np.array([4.5], np.float32)),
        (dict(in_shape=(4, 3), in_dtype=np.uint8, axis=0, out_type=np.int32),
         RNG.integers(0, 256, (4, 3)).astype(np.uint8)),
        (dict(in_shape=(0, 3), axis=1), np.zeros((0, 3), np.float32)),
    ]:
        ours, theirs = run_both(_arg_builder(op, **kw), [x])
        assert_same(ours, theirs)


def test_arg_errors():
    expect_prepare_error(_arg_builder(axis_const=False), "must be a constant tensor: dynamic")
    expect_prepare_error(_arg_builder(axis=2, out_shape=(2,)), r"axis 2 is out of range")
    expect_prepare_error(_arg_builder(axis=-3, out_shape=(2,)), r"axis -3 is out of range")
    expect_prepare_error(_arg_builder(out_type=np.float32), r"output_type is 0 \(FLOAT32\)")
    expect_prepare_error(_arg_builder(out_tensor_dtype=np.int32), "expected INT64 as")
    expect_prepare_error(_arg_builder(in_dtype=np.int64), "expected FLOAT32, UINT8, INT8")
    expect_prepare_error(_arg_builder(axis_dtype=np.float32), "axis 'axis' has type FLOAT32")
    expect_prepare_error(_arg_builder(in_shape=(2, 0), axis=1), "axis 1 has extent 0")


# ---- POW ----------------------------------------------------------------------------------

def _pow_pair(x, y, z):
    t = tf()
    return t.pow(x, y), t.pow(x, z)


def _pow_scalar(x, s):
    return tf().pow(x, s)


def _pow_const(x):
    t = tf()
    return t.pow(x, 3.0), t.pow(x, 2.5), t.pow(x, -1.5)


@pytest.fixture(scope="module")
def pow_models():
    t = tf()
    return {
        "pair": convert(_pow_pair, [((2, 3, 4), t.float32), ((2, 3, 4), t.float32),
                                    ((3, 1), t.float32)], key="pow_pair"),
        "scalar": convert(_pow_scalar, [((2, 3, 7), t.float32), ((), t.float32)],
                          key="pow_scalar"),
        "const": convert(_pow_const, [((5, 6), t.float32)], key="pow_const"),
        "i32": convert(_pow_pair, [((2, 3, 4), t.int32), ((2, 3, 4), t.int32), ((3, 1), t.int32)],
                       key="pow_i32"),
        "i32s": convert(_pow_scalar, [((9,), t.int32), ((), t.int32)], key="pow_i32s"),
    }


def _special(shape, scale=2.0):
    x = (RNG.standard_normal(shape) * scale).astype(np.float32)
    flat = x.reshape(-1)
    flat[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 3e38]
    return x


def test_pow_ops_in_files(pow_models):
    for key in pow_models:
        assert set(op_names(pow_models[key])) == {"POW"}, key


def test_pow_f32_same_shape_and_broadcast(pow_models):
    x = _special((2, 3, 4))
    y = RNG.choice(np.array([0, 1, 2, 3, -1, -2, 0.5, 2.5, -0.5, 1e-3, 40], np.float32),
                   (2, 3, 4))
    z = np.array([[2.0], [3.0], [-0.25]], np.float32)  # broadcast, not a single element
    with np.errstate(all="ignore"):
        ours, theirs = run_both(pow_models["pair"], [x, y, z])
    assert_same(ours, theirs)


@pytest.mark.parametrize("s", [3.0, 2.0000095, 2.0000105, 0.999995, 7.0, 13.0, 30.0, 2.5,
                               -2.0, 0.0, 1e-6, 2.0**31, 2.0**30])
def test_pow_f32_scalar_exponent(pow_models, s):
    # A single-element exponent broadcast over x: TensorFlow Lite multiplies for exponents
    # within 1e-5 of an integer in [1, 2^31) and saturates at FLT_MAX (pow.c).
    x = _special((2, 3, 7))
    if abs(s) > 100:
        x = (1.0 + RNG.integers(-3, 4, (2, 3, 7)) * 2.0**-23).astype(np.float32)
    with np.errstate(all="ignore"):
        ours, theirs = run_both(pow_models["scalar"], [x, np.float32(s)])
    assert_same(ours, theirs)


def test_pow_f32_constant_exponents(pow_models):
    with np.errstate(all="ignore"):
        ours, theirs = run_both(pow_models["const"], [_special((5, 6))])
    assert_same(ours, theirs)


def test_pow_int32(pow_models):
    x = np.array([0, -3, 7, 46341, -2, 65536, 1, -1, 5, 2, 10, 3] * 2, np.int32).reshape(2, 3, 4)
    y = np.array([0, 3, 11, 2, 31, 2, 100, 7, 13, 30, 9, 0] * 2, np.int32).reshape(2, 3, 4)
    z = np.array([[2], [0], [5]], np.int32)
    ours, theirs = run_both(pow_models["i32"], [x, y, z])
    assert_same(ours, theirs)
    xs = np.array([0, -3, 7, 46341, -2, 65536, 1, -1, 3], np.int32)
    for s in [0, 1, 2, 3, 20, 31]:  # scalar: TensorFlow Lite's wrapping multiplication
        ours, theirs = run_both(pow_models["i32s"], [xs, np.int32(s)])
        assert_same(ours, theirs)


def _pow_builder(a_dtype=np.float32, b_dtype=np.float32, b_const=None, shapes=((3,), (3,)),
                 out_shape=None):
    mb = ModelBuilder()
    a = mb.input("a", shapes[0], a_dtype)
    b = mb.constant("b", b_const) if b_const is not None else mb.input("b", shapes[1], b_dtype)
    y = mb.tensor("y", out_shape or np.broadcast_shapes(*shapes), a_dtype)
    mb.op("POW", [a, b], [y], "PowOptions", {})
    mb.output(y)
    return mb.build()


def _powf(a, b):
    """The C library's powf, element-wise (what the pow path calls)."""
    import ctypes

    libm = ctypes.CDLL("libm.so.6")
    libm.powf.restype = ctypes.c_float
    libm.powf.argtypes = [ctypes.c_float, ctypes.c_float]
    a, b = np.broadcast_arrays(a, b)
    return np.array([libm.powf(float(u), float(v)) for u, v in zip(a.ravel(), b.ravel())],
                    np.float32).reshape(a.shape)


def test_pow_rank5_broadcast_and_empty():
    # TensorFlow Lite's broadcasting POW stops at rank 4: rank 5 against libm's powf directly.
    a = _special((2, 1, 3, 1, 2))
    b = RNG.choice(np.array([0.5, 2.0, 3.0, -1.0, 1.5], np.float32), (1, 4, 1, 2, 1))
    model = _pow_builder(shapes=((2, 1, 3, 1, 2), (1, 4, 1, 2, 1)))
    with np.errstate(all="ignore"):
        got = Interpreter(model_content=model)
        got.allocate_tensors()
        got.set_tensor(0, a)
        got.set_tensor(1, b)
        got.invoke()
        np.testing.assert_array_equal(got.get_tensor(2), _powf(a, b))
    # Zero-size operands: an empty output, also in TensorFlow Lite.
    ours, theirs = run_both(_pow_builder(shapes=((0, 3), (3,))),
                            [np.zeros((0, 3), np.float32), np.ones(3, np.float32)])
    assert_same(ours, theirs)


def test_pow_and_l2_threads():
    # Large enough to be split over threads: every element on its own, so the same bits.
    x = _special((64, 300))
    y = RNG.choice(np.array([0.5, 2.0, 3.0, -1.0, 1.5], np.float32), (64, 300))
    with np.errstate(all="ignore"):
        for model, inputs in [(_pow_builder(shapes=((64, 300), (64, 300))), [x, y]),
                              (_pow_builder(shapes=((64, 300), ())), [x, np.float32(3)])]:
            ours, theirs = run_both(model, inputs, num_threads=2)
            assert_same(ours, theirs)
    q = dict(scale=[0.02], zero_point=[-3])
    out_q = dict(scale=[1 / 128], zero_point=[0])
    for model, inp in [(_l2_builder(shape=(600, 64)),
                        (RNG.standard_normal((600, 64)) * 5).astype(np.float32)),
                       (_l2_builder(np.int8, in_quant=q, out_quant=out_q, shape=(600, 64)),
                        RNG.integers(-128, 128, (600, 64)).astype(np.int8))]:
        ours, theirs = run_both(model, [inp], num_threads=2)
        assert_same(ours, theirs)


def test_pow_errors():
    expect_prepare_error(_pow_builder(np.int32, b_const=np.array([1, -2, 3], np.int32)),
                         "element 1 is -2: POW does not support negative exponents")
    expect_invoke_error(_pow_builder(np.int32, np.int32),
                        [np.array([2, 3, 4], np.int32), np.array([1, 2, -1], np.int32)],
                        "element 2 is -1: POW does not support negative")
    expect_prepare_error(_pow_builder(np.float32, np.int32), "expected FLOAT32 like input 0")
    expect_prepare_error(_pow_builder(np.int8, np.int8), "expected FLOAT32 or INT32")
    expect_prepare_error(_pow_builder(shapes=((4,), (3,)), out_shape=(4,)), "do not broadcast")


# ---- L2_NORMALIZATION ---------------------------------------------------------------------

def _l2(x, y, z):
    t = tf()
    return (t.math.l2_normalize(x, axis=-1), t.math.l2_normalize(y, axis=-1),
            t.math.l2_normalize(z, axis=-1))


def _l2_i8(x, y):
    t = tf()
    return t.math.l2_normalize(x, axis=-1), t.math.l2_normalize(y, axis=-1)


@pytest.fixture(scope="module")
def l2_models():
    t = tf()
    return {
        "f32": convert(_l2, [((7,), t.float32), ((2, 3, 4, 6), t.float32), ((1, 1), t.float32)],
                       key="l2_f32"),
        "i8": convert(_l2_i8, [((4, 16), t.float32), ((2, 3, 10), t.float32)], quant="int8",
                      representative=rep_data([(4, 16), (2, 3, 10)], -3, 3), key="l2_i8"),
        "rank5": convert(lambda x: tf().math.l2_normalize(x, axis=-1),
                         [((2, 1, 2, 3, 5), t.float32)], key="l2_rank5"),
    }


def test_l2_ops_in_files(l2_models):
    assert op_names(l2_models["f32"]) == ["L2_NORMALIZATION"] * 3
    i8 = op_types(l2_models["i8"])
    assert [o[0] for o in i8] == ["L2_NORMALIZATION"] * 2
    assert all(o[1] == [np.int8] and o[2] == [np.int8] for o in i8)


def test_l2_f32(l2_models):
    x = (RNG.standard_normal(7) * 3).astype(np.float32)
    y = (RNG.standard_normal((2, 3, 4, 6)) * 10).astype(np.float32)
    y[0, 0, 0] = 0.0                        # zero row: zeros out
    y[0, 0, 1] = 1e-8                       # norm below 1e-6: divided by TFLite's epsilon
    y[0, 0, 2] = [3e-7, 0, 0, 0, 0, 4e-7]   # norm 5e-7
    y[1, 2, 3] = [1e20, 1e20, -1e20, 0, 1, 2]  # overflowing squares: inf norm, zeros
    y[1, 1, 1, 0] = np.nan
    z = np.array([[-2.5]], np.float32)
    ours, theirs = run_both(l2_models["f32"], [x, y, z])
    assert_same(ours, theirs)
    np.testing.assert_array_equal(ours[1][0, 0, 1], np.float32(1e-8) / np.float32(1e-6))


def test_l2_f32_rank5_against_numpy(l2_models):
    # TensorFlow Lite stops at rank 4; the computation is the same per row.
    x = (RNG.standard_normal((2, 1, 2, 3, 5)) * 4).astype(np.float32)
    got = Interpreter(model_content=l2_models["rank5"])
    got.allocate_tensors()
    got.set_tensor(got.get_input_details()[0]["index"], x)
    got.invoke()
    out = got.get_tensor(got.get_output_details()[0]["index"])
    ref = x / np.sqrt((x.astype(np.float64) ** 2).sum(-1, keepdims=True))
    np.testing.assert_allclose(out, ref, rtol=4 * 2.0**-23, atol=0)


def test_l2_int8(l2_models):
    model = l2_models["i8"]
    x = RNG.uniform(-3, 3, (4, 16)).astype(np.float32)
    y = RNG.uniform(-3, 3, (2, 3, 10)).astype(np.float32)
    q = quantize_inputs(model, [x, y])
    zp = op_zero_point(model, 0)
    q[0][0, :] = zp           # a zero row
    q[0][1, :] = zp + 1       # a row of tiny values
    q[1][0, 0, :] = 127       # large values
    q[1][1, 2, :] = -128
    ours, theirs = run_both(model, q)
    assert_same(ours, theirs)


def op_zero_point(model, input_index):
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    return TFLiteInterpreter(model_content=model).get_input_details()[input_index][
        "quantization"][1]


def _l2_builder(dtype=np.float32, act=0, out_quant=None, in_quant=None, shape=(2, 5)):
    mb = ModelBuilder()
    x = mb.input("x", shape, dtype, quant=in_quant)
    y = mb.tensor("y", shape, dtype, quant=out_quant)
    mb.op("L2_NORMALIZATION", [x], [y], "L2NormOptions", {"fused_activation_function": act})
    mb.output(y)
    return mb.build()


def test_l2_int8_builder_zero_points():
    # Input zero points across the range, exercised on every row shape the kernel sees.
    for zp in (-128, -5, 0, 77, 127):
        model = _l2_builder(np.int8, in_quant=dict(scale=[0.02], zero_point=[zp]),
                            out_quant=dict(scale=[1 / 128], zero_point=[0]), shape=(6, 9))
        x = RNG.integers(-128, 128, (6, 9)).astype(np.int8)
        x[0] = zp
        ours, theirs = run_both(model, [x])
        assert_same(ours, theirs)


def test_l2_single_element_and_empty():
    for shape in [(1,), (3, 0), (0, 4)]:
        x = (RNG.standard_normal(shape) * 3).astype(np.float32)
        ours, theirs = run_both(_l2_builder(shape=shape), [x])
        assert_same(ours, theirs)


def test_l2_errors():
    q = dict(scale=[0.02], zero_point=[0])
    expect_prepare_error(_l2_builder(np.int8, in_quant=q, out_quant=dict(scale=[0.01],
                                                                         zero_point=[0])),
                         "needs scale 1/128")
    expect_prepare_error(_l2_builder(np.int8, in_quant=q, out_quant=dict(scale=[1 / 128],
                                                                         zero_point=[3])),
                         "needs scale 1/128")
    expect_prepare_error(_l2_builder(act=1), "fused activation 1 is not supported")
    expect_prepare_error(_l2_builder(np.int32), "expected FLOAT32 or INT8")
    expect_prepare_error(_l2_builder(np.int8, out_quant=dict(scale=[1 / 128], zero_point=[0])),
                         "no quantization parameters")


# ---- int8 ABS, SQRT, RSQRT, EXP, LOG, GELU ------------------------------------------------

def _signed_unary(x):
    t = tf()
    return t.abs(x), t.exp(x)


# GELU gets models of its own: the converter fuses it into one op only when x feeds nothing
# else (otherwise it emits tf.Erfc, which TensorFlow Lite lacks).
def _gelu(x):
    return tf().nn.gelu(x)


def _gelu_tanh(x):
    return tf().nn.gelu(x, approximate=True)


def _positive_unary(x):
    t = tf()
    return t.sqrt(x), t.math.rsqrt(x), t.math.log(x)


@pytest.fixture(scope="module")
def unary_models():
    t = tf()
    return {
        "signed": convert(_signed_unary, [((256,), t.float32)], quant="int8",
                          representative=rep_data([(256,)], -3, 3), key="unary_signed"),
        "positive": convert(_positive_unary, [((256,), t.float32)], quant="int8",
                            representative=rep_data([(256,)], 0.01, 5), key="unary_pos"),
        "gelu": convert(_gelu, [((256,), t.float32)], quant="int8",
                        representative=rep_data([(256,)], -4, 3), key="unary_gelu"),
        "gelu_tanh": convert(_gelu_tanh, [((256,), t.float32)], quant="int8",
                             representative=rep_data([(256,)], -2, 5), key="unary_gelu_tanh"),
    }


ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


def test_unary_int8_ops_in_files(unary_models):
    for key, names in [("signed", {"ABS", "EXP"}), ("positive", {"SQRT", "RSQRT", "LOG"}),
                       ("gelu", {"GELU"}), ("gelu_tanh", {"GELU"})]:
        ops = op_types(unary_models[key])
        assert {o[0] for o in ops} == names, ops
        assert all(o[1] == [np.int8] and o[2] == [np.int8] for o in ops)


@pytest.mark.parametrize("key", ["signed", "positive", "gelu", "gelu_tanh"])
def test_unary_int8_every_value(unary_models, key):
    ours, theirs = run_both(unary_models[key], [ALL_INT8])
    assert_same(ours, theirs)


def _unary_builder(op, in_q, out_q, shape=(256,)):
    mb = ModelBuilder()
    x = mb.input("x", shape, np.int8, quant=dict(scale=[in_q[0]], zero_point=[in_q[1]]))
    y = mb.tensor("y", shape, np.int8, quant=dict(scale=[out_q[0]], zero_point=[out_q[1]]))
    table = {"ABS": "AbsOptions", "EXP": "ExpOptions"}.get(op)
    mb.op(op, [x], [y], table, {} if table else None)
    mb.output(y)
    return mb.build()


@pytest.mark.parametrize("op,in_q,out_q", [
    ("ABS", (0.05, 3), (0.05, 3)),        # equal scales: no rescale
    ("ABS", (0.05, -7), (0.03, -128)),
    ("ABS", (0.002, 100), (0.9, 0)),
    ("EXP", (0.04, 10), (0.1, -128)),
    ("EXP", (0.5, 0), (1e-3, 0)),         # saturates both ways
    ("LOG", (0.03, -20), (0.05, 60)),     # inputs <= 0 map to the lowest output
    ("LOG", (1.5, 127), (0.01, -3)),
    ("SQRT", (0.1, -128), (0.013, -128)),
    ("SQRT", (3.0, -128), (0.05, 0)),     # clamps high
    ("RSQRT", (0.01, -128), (0.08, -128)),
    ("RSQRT", (0.2, -128), (0.003, -100)),
    ("RSQRT", (1e-4, -128), (1.0, -128)),
])
def test_unary_int8_quantizations(op, in_q, out_q):
    x = ALL_INT8 if op not in ("SQRT", "RSQRT") else np.maximum(ALL_INT8, np.int8(in_q[1]))
    ours, theirs = run_both(_unary_builder(op, in_q, out_q), [x])
    assert_same(ours, theirs)


@pytest.mark.parametrize("op", ["SQRT", "RSQRT"])
def test_unary_int8_domain_error(op):
    # Inputs below the zero point are negative: TensorFlow Lite fails at invoke, so do we.
    model = _unary_builder(op, (0.1, 5), (0.1, -128), shape=(4,))
    x = np.array([5, 9, 4, 100], np.int8)
    expect_invoke_error(model, [x], f"element 2 is 4, below the zero point 5: {op} is only "
                        "defined for non-negative values")
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
    from ai_edge_litert.interpreter import OpResolverType
    it = TFLiteInterpreter(model_content=model,
                           experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    with pytest.raises(RuntimeError):
        it.invoke()


def test_unary_int8_errors():
    mb = ModelBuilder()
    x = mb.input("x", (3,), np.int8)
    y = mb.tensor("y", (3,), np.int8)
    mb.op("LOG", [x], [y])
    mb.output(y)
    expect_prepare_error(mb.build(), "without quantization parameters; expected FLOAT32 or "
                         "quantized INT8")
    mb = ModelBuilder()
    x = mb.input("x", (3,), np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    y = mb.tensor("y", (3,), np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    mb.op("SQUARE", [x], [y], "SquareOptions", {})
    mb.output(y)
    expect_prepare_error(mb.build(), "has type INT8; expected FLOAT32")
