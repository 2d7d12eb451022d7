"""CONV_2D and DEPTHWISE_CONV_2D (float32).

Each case builds a one-op model, runs it in litert and compares the output with an
independent NumPy reference and with TensorFlow Lite's reference kernels (ai_edge_litert,
OpResolverType.BUILTIN_REF) on the same model bytes.

Reference: the input is zero-padded explicitly (TensorFlow's SAME rule: total padding
max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0), the smaller half before), then
every filter tap adds a strided slice of the padded input times that tap's weights
(einsum), in float64; bias and the activation follow.

Tolerance: per output, |got - ref| <= (K + 2) * 2**-23 * mag + 2**-22 * |ref|, where K is
the accumulation length (taps x input channels per group; taps for depthwise) and mag is
the same convolution of |input| and |filter| plus |bias| (the standard bound for float32
sums of K products is about K * 2**-24 * mag; this leaves a factor of two). Against
TensorFlow Lite, which rounds differently, twice that.

TensorFlow Lite differences that the tests avoid: its conv kernels refuse a bias input of
-1 (CONV_2D refuses a missing bias altogether), so cases without bias are compared with
NumPy only; and they ignore a fused TANH, which litert applies, so cases with TANH are
compared with NumPy only.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import assert_within_sum_bound as assert_within, fused_activation as activation, run_interpreter as _run, run_litert, run_tflite
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4



# ---- NumPy reference -------------------------------------------------------------------------

def out_size_and_pad(size, k, stride, dilation, padding):
    """TensorFlow's output size and (before, after) padding for one spatial dimension."""
    extent = (k - 1) * dilation + 1
    if padding == SAME:
        out = -(-size // stride)
    else:
        out = (size - extent) // stride + 1
    total = max((out - 1) * stride + extent - size, 0)
    return out, (total // 2, total - total // 2)



def conv_ref(x, w, b, stride, dilation, padding, groups=1, depthwise=False):
    """Convolution in float64 of NHWC x with w ([O, KH, KW, C/groups], or [1, KH, KW, C*M]
    when depthwise), without activation."""
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    n, h, wd, c = x.shape
    kh, kw = w.shape[1], w.shape[2]
    oh, pad_h = out_size_and_pad(h, kh, stride[0], dilation[0], padding)
    ow, pad_w = out_size_and_pad(wd, kw, stride[1], dilation[1], padding)
    xp = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
    o = w.shape[3] if depthwise else w.shape[0]
    y = np.zeros((n, oh, ow, o))
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dilation[0], kx * dilation[1]
            patch = xp[:, y0:y0 + (oh - 1) * stride[0] + 1:stride[0],
                       x0:x0 + (ow - 1) * stride[1] + 1:stride[1], :]
            if depthwise:
                y += np.repeat(patch, o // c, axis=3) * w[0, ky, kx, :]
                continue
            fc, opg = c // groups, o // groups
            for g in range(groups):
                y[..., g * opg:(g + 1) * opg] += np.einsum(
                    "nhwc,oc->nhwo", patch[..., g * fc:(g + 1) * fc],
                    w[g * opg:(g + 1) * opg, ky, kx, :])
    if b is not None:
        y += b.astype(np.float64)
    return y




# ---- model building --------------------------------------------------------------------------

def conv_model(x_shape, w, b, out_shape, *, stride, dilation, padding, act, depthwise=False,
               depth_multiplier=None, bias_as_minus_one=True):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, np.float32)
    wt = mb.constant("w", w)
    inputs = [x, wt]
    if b is not None:
        inputs.append(mb.constant("b", b))
    elif bias_as_minus_one:
        inputs.append(-1)
    y = mb.tensor("y", out_shape, np.float32)
    opts = dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
                fused_activation_function=act)
    if depthwise:
        opts["depth_multiplier"] = (w.shape[3] // x_shape[3] if depth_multiplier is None
                                    else depth_multiplier)
        mb.op("DEPTHWISE_CONV_2D", inputs, [y], "DepthwiseConv2DOptions", opts)
    else:
        mb.op("CONV_2D", inputs, [y], "Conv2DOptions", opts)
    mb.output(y)
    return mb.build()


def check_conv(n, h, wd, c, o, kh, kw, stride, dilation, padding, act, with_bias, groups=1,
               depthwise=False, seed=0, depth_multiplier=None, tflite=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, wd, c)).astype(np.float32)
    if depthwise:
        w = rng.standard_normal((1, kh, kw, o)).astype(np.float32)
    else:
        w = rng.standard_normal((o, kh, kw, c // groups)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if with_bias else None
    ref = conv_ref(x, w, b, stride, dilation, padding, groups, depthwise)
    mag = conv_ref(np.abs(x), np.abs(w), None if b is None else np.abs(b), stride, dilation,
                   padding, groups, depthwise)
    ref = activation(ref, act)
    k = kh * kw * (1 if depthwise else c // groups)
    model = conv_model(x.shape, w, b, ref.shape, stride=stride, dilation=dilation,
                       padding=padding, act=act, depthwise=depthwise,
                       depth_multiplier=depth_multiplier)
    got = run_litert(model, [x])
    assert_within(got, ref, mag, k)
    if tflite and act != TANH and with_bias:
        assert_within(got, run_tflite(model, [x]).astype(np.float64), mag, k, factor=2.0)
    return got


# ---- CONV_2D ---------------------------------------------------------------------------------

# (n, h, w, c, o, kh, kw, stride, dilation)
CONV_GEOMETRIES = [
    (1, 5, 5, 1, 1, 1, 1, (1, 1), (1, 1)),
    (1, 7, 6, 3, 5, 3, 3, (1, 1), (1, 1)),
    (2, 9, 8, 3, 4, 3, 3, (2, 2), (1, 1)),
    (1, 11, 10, 5, 7, 3, 2, (3, 2), (1, 1)),
    (3, 8, 9, 2, 3, 2, 3, (1, 3), (1, 1)),
    (1, 12, 11, 4, 6, 3, 3, (1, 1), (2, 2)),
    (2, 13, 9, 3, 5, 3, 2, (2, 1), (3, 2)),
    (1, 6, 6, 17, 9, 1, 1, (1, 1), (1, 1)),
    (1, 10, 10, 7, 3, 5, 5, (2, 3), (1, 1)),
    (1, 4, 3, 6, 2, 4, 3, (1, 1), (1, 1)),       # filter as large as the input
    (2, 5, 7, 33, 13, 3, 3, (1, 2), (1, 1)),      # dot products longer than 8 per tap
    (1, 9, 9, 3, 4, 2, 2, (3, 3), (4, 1)),
]


@pytest.mark.parametrize("geometry", CONV_GEOMETRIES)
@pytest.mark.parametrize("padding", [SAME, VALID])
def test_conv2d_geometry(geometry, padding):
    n, h, wd, c, o, kh, kw, stride, dilation = geometry
    check_conv(n, h, wd, c, o, kh, kw, stride, dilation, padding, NONE, True)


@pytest.mark.parametrize("act", [NONE, RELU, RELU_N1_TO_1, RELU6, TANH])
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_activation_and_bias(act, with_bias):
    check_conv(2, 6, 7, 3, 5, 3, 3, (1, 2), (1, 1), SAME, act, with_bias, seed=act)


def test_conv2d_bias_omitted_entirely():
    """Two inputs (no bias slot at all) means no bias, like index -1."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    ref = conv_ref(x, w, None, (1, 1), (1, 1), SAME)
    mag = conv_ref(np.abs(x), np.abs(w), None, (1, 1), (1, 1), SAME)
    model = conv_model(x.shape, w, None, ref.shape, stride=(1, 1), dilation=(1, 1),
                       padding=SAME, act=NONE, bias_as_minus_one=False)
    assert_within(run_litert(model, [x]), ref, mag, 18)


# (n, h, w, c, o, groups, kh, kw, stride, dilation, padding)
GROUPED = [
    (1, 6, 6, 4, 4, 2, 3, 3, (1, 1), (1, 1), SAME),
    (2, 7, 5, 6, 9, 3, 3, 2, (2, 1), (1, 1), VALID),
    (1, 8, 8, 9, 6, 3, 2, 2, (1, 2), (2, 2), SAME),
    (1, 5, 5, 5, 10, 5, 3, 3, (1, 1), (1, 1), SAME),  # one input channel per group
]


@pytest.mark.parametrize("case", GROUPED)
def test_conv2d_grouped(case):
    n, h, wd, c, o, groups, kh, kw, stride, dilation, padding = case
    check_conv(n, h, wd, c, o, kh, kw, stride, dilation, padding, RELU, True, groups=groups)


def test_conv2d_dilated_window_missing_the_input():
    """With SAME padding a dilated window can fall entirely into the padding: the output is
    then the bias alone (then the activation)."""
    got = check_conv(1, 3, 3, 2, 3, 2, 2, (1, 1), (5, 5), SAME, NONE, True, seed=4)
    assert got.shape == (1, 3, 3, 3)


def test_conv2d_filter_not_constant():
    """The filter and bias may be graph inputs: they are read at invoke."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 5, 6, 3)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    mb = ModelBuilder()
    xi, wi, bi = (mb.input("x", x.shape), mb.input("w", w.shape), mb.input("b", b.shape))
    ref = conv_ref(x, w, b, (1, 1), (1, 1), VALID)
    mag = conv_ref(np.abs(x), np.abs(w), np.abs(b), (1, 1), (1, 1), VALID)
    y = mb.tensor("y", ref.shape)
    mb.op("CONV_2D", [xi, wi, bi], [y], "Conv2DOptions",
          dict(padding=VALID, stride_h=1, stride_w=1))
    mb.output(y)
    model = mb.build()
    got = run_litert(model, [x, w, b])
    assert_within(got, ref, mag, 27)
    assert_within(got, run_tflite(model, [x, w, b]).astype(np.float64), mag, 27, factor=2.0)


def test_conv2d_reinvoke_after_resize():
    """Prepare recomputes the output shape when the input is resized."""
    rng = np.random.default_rng(6)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    model = conv_model((1, 5, 5, 3), w, b, (1, 3, 3, 2), stride=(2, 2), dilation=(1, 1),
                       padding=SAME, act=NONE)
    interp = Interpreter(model_content=model)
    x = rng.standard_normal((2, 9, 7, 3)).astype(np.float32)
    interp.resize_tensor_input(interp.get_input_details()[0]["index"], x.shape)
    got = _run(interp, [x])
    ref = conv_ref(x, w, b, (2, 2), (1, 1), SAME)
    mag = conv_ref(np.abs(x), np.abs(w), np.abs(b), (2, 2), (1, 1), SAME)
    assert_within(got, ref, mag, 27)


# ---- DEPTHWISE_CONV_2D -----------------------------------------------------------------------

# (n, h, w, c, multiplier, kh, kw, stride, dilation)
DEPTHWISE_GEOMETRIES = [
    (1, 6, 6, 1, 1, 3, 3, (1, 1), (1, 1)),
    (1, 7, 5, 3, 1, 3, 3, (1, 1), (1, 1)),
    (2, 9, 8, 5, 2, 3, 3, (2, 2), (1, 1)),
    (1, 11, 10, 3, 3, 3, 2, (3, 2), (1, 1)),
    (3, 8, 9, 4, 1, 2, 3, (1, 3), (1, 1)),
    (1, 12, 11, 7, 2, 3, 3, (1, 1), (2, 2)),
    (2, 13, 9, 2, 4, 3, 2, (2, 1), (3, 2)),
    (1, 10, 10, 17, 1, 5, 5, (2, 3), (1, 1)),
    (1, 4, 3, 6, 1, 4, 3, (1, 1), (1, 1)),
    (1, 6, 6, 3, 1, 3, 3, (1, 1), (4, 4)),   # dilated windows that miss the input (SAME)
]


def _fits_valid(g):
    n, h, wd, c, m, kh, kw, stride, dilation = g
    return h >= (kh - 1) * dilation[0] + 1 and wd >= (kw - 1) * dilation[1] + 1


@pytest.mark.parametrize("geometry,padding",
                         [(g, SAME) for g in DEPTHWISE_GEOMETRIES] +
                         [(g, VALID) for g in DEPTHWISE_GEOMETRIES if _fits_valid(g)])
def test_depthwise_geometry(geometry, padding):
    n, h, wd, c, m, kh, kw, stride, dilation = geometry
    check_conv(n, h, wd, c, c * m, kh, kw, stride, dilation, padding, NONE, True,
               depthwise=True)


@pytest.mark.parametrize("act", [NONE, RELU, RELU_N1_TO_1, RELU6, TANH])
@pytest.mark.parametrize("with_bias", [True, False])
def test_depthwise_activation_and_bias(act, with_bias):
    check_conv(2, 6, 7, 3, 6, 3, 3, (1, 2), (1, 1), SAME, act, with_bias, depthwise=True,
               seed=act)


@pytest.mark.parametrize("option", [0, 1, 5])
def test_depthwise_multiplier_taken_from_shapes(option):
    """The multiplier is filter channels / input channels. The option repeats it; when it is
    0 (absent) or disagrees, TensorFlow Lite uses the shapes, and so does litert."""
    check_conv(1, 5, 5, 2, 6, 3, 3, (1, 1), (1, 1), SAME, NONE, True, depthwise=True,
               depth_multiplier=option)


# ---- errors ----------------------------------------------------------------------------------

def _expect_prepare_error(model, match):
    interp = Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match=match):
        interp.allocate_tensors()


def _raw_conv_model(op, x_shape, w_shape, b_shape=None, options=None, out_shape=(1, 1, 1, 1)):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    w = mb.constant("w", np.ones(w_shape, np.float32))
    inputs = [x, w, mb.constant("b", np.zeros(b_shape, np.float32)) if b_shape else -1]
    y = mb.tensor("y", out_shape)
    table = "Conv2DOptions" if op == "CONV_2D" else "DepthwiseConv2DOptions"
    base = dict(padding=SAME, stride_h=1, stride_w=1)
    base.update(options or {})
    mb.op(op, inputs, [y], table, base)
    mb.output(y)
    return mb.build()


@pytest.mark.parametrize("op,x_shape,w_shape,b_shape,options,match", [
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 2), None, None, "divide the input's 3 channels"),
    ("CONV_2D", (1, 5, 5, 4), (3, 3, 3, 2), None, None, "multiple of the 2 groups"),
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), (3,), None, "expected 2 values"),
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), None, dict(stride_h=0), "strides"),
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), None, dict(dilation_w_factor=0), "dilation"),
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), None, dict(padding=2), "padding is 2"),
    ("CONV_2D", (1, 2, 5, 3), (2, 3, 3, 3), None, dict(padding=VALID), "no output rows"),
    ("CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), None, dict(fused_activation_function=9),
     "activation"),
    ("CONV_2D", (5, 5, 3), (2, 3, 3, 3), None, None, "expected rank 4"),
    ("DEPTHWISE_CONV_2D", (1, 5, 5, 3), (1, 3, 3, 4), None, None, "multiple of the input's 3"),
    ("DEPTHWISE_CONV_2D", (1, 5, 5, 3), (2, 3, 3, 3), None, None, "expected \\[1, height"),
    ("DEPTHWISE_CONV_2D", (1, 5, 5, 3), (1, 3, 3, 6), (3,), None, "expected 6 values"),
])
def test_conv_shape_errors(op, x_shape, w_shape, b_shape, options, match):
    _expect_prepare_error(_raw_conv_model(op, x_shape, w_shape, b_shape, options), match)


def test_conv2d_rejects_int16_input():
    mb = ModelBuilder()
    x = mb.input("x", (1, 4, 4, 2), np.int16)
    w = mb.constant("w", np.ones((2, 1, 1, 2), np.int8))
    y = mb.tensor("y", (1, 4, 4, 2), np.int16)
    mb.op("CONV_2D", [x, w, -1], [y], "Conv2DOptions", dict(padding=SAME, stride_h=1, stride_w=1))
    mb.output(y)
    _expect_prepare_error(mb.build(), "type INT16; expected FLOAT32 or INT8")


@pytest.mark.parametrize("x_shape,w_shape,out_shape", [
    ((1, 4, 4, 3), (0, 3, 3, 3), (1, 4, 4, 0)),   # no output channels
    ((0, 4, 4, 3), (2, 3, 3, 3), (0, 4, 4, 2)),   # empty batch
])
def test_conv2d_empty_output(x_shape, w_shape, out_shape):
    model = _raw_conv_model("CONV_2D", x_shape, w_shape, out_shape=out_shape)
    got = run_litert(model, [np.ones(x_shape, np.float32)])
    assert got.shape == out_shape
