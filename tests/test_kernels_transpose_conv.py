"""TRANSPOSE_CONV (float32): geometry, padding, bias, fused activations, prepare errors.

Each case builds a one-op model (inputs in TensorFlow Lite's order: output_shape, weights,
input, optional bias), runs it in litert and compares with a NumPy reference and with
TensorFlow Lite's reference kernels (ai_edge_litert, OpResolverType.BUILTIN_REF) on the same
model bytes.

NumPy reference: in float64, every input pixel adds x[n, iy, ix, :] . w[o, ky, kx, :] onto
a canvas covering the full transposed output, (H - 1) * stride + KH rows (likewise columns);
the result is the canvas cropped at (pad_top, pad_left) to the requested size (zeros where
the canvas is smaller), plus bias, then the activation. The padding is TensorFlow Lite's:
the leading padding of the forward convolution of the output size (ComputePaddingHeightWidth).

Tolerances: |got - ref| <= (n + 2) * 2**-23 * mag + 2**-22 * |ref|, n = C * KH * KW (most
products summed into one output), mag the same canvas computed with |x| and |w| (float32
summation bound, factor of two to spare); against TensorFlow Lite, whose summation order
differs, twice that. TANH as a fused activation is compared with NumPy only (TensorFlow
Lite's kernel ignores it; litert applies it).
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import assert_within_sum_bound as assert_within, fused_activation, run_litert, run_tflite
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4


def tflite_padding(padding, size, k, stride):
    """TensorFlow Lite's leading padding for a transpose conv of output size `size` (the
    forward convolution's SAME padding; VALID pads nothing)."""
    if padding == VALID:
        return 0
    conv_out = -(-size // stride)
    return max((conv_out - 1) * stride + k - size, 0) // 2


def transpose_conv_ref(x, w, out_hw, stride, padding, bias=None):
    n, h, wd, _ = x.shape
    o, kh, kw, _ = w.shape
    oh, ow = out_hw
    sh, sw = stride
    canvas = np.zeros((n, (h - 1) * sh + kh, (wd - 1) * sw + kw, o))
    w64 = w.astype(np.float64)
    for iy in range(h):
        for ix in range(wd):
            patch = np.einsum("nc,oyxc->nyxo", x[:, iy, ix, :].astype(np.float64), w64)
            canvas[:, iy * sh:iy * sh + kh, ix * sw:ix * sw + kw, :] += patch
    top = tflite_padding(padding, oh, kh, sh)
    left = tflite_padding(padding, ow, kw, sw)
    out = np.zeros((n, oh, ow, o))
    crop = canvas[:, top:top + oh, left:left + ow, :]
    out[:, :crop.shape[1], :crop.shape[2], :] = crop
    if bias is not None:
        out = out + bias.astype(np.float64)
    return out


def transpose_conv_model(x_shape, w, out_shape, stride, padding, act=NONE, bias=None,
                         out_shape_const=True, options=True):
    mb = ModelBuilder()
    shape = (mb.constant("output_shape", np.asarray(out_shape, np.int32)) if out_shape_const
             else mb.input("output_shape", [4], np.int32))
    wt = mb.constant("weights", w)
    x = mb.input("x", x_shape)
    inputs = [shape, wt, x]
    if bias is not None:
        inputs.append(mb.constant("bias", bias))
    y = mb.tensor("y", out_shape)
    if options:
        mb.op("TRANSPOSE_CONV", inputs, [y], "TransposeConvOptions",
              dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                   fused_activation_function=act))
    else:
        mb.op("TRANSPOSE_CONV", inputs, [y])
    mb.output(y)
    return mb.build()




def check(x_shape, kh, kw, out_c, out_hw, stride, padding, act=NONE, with_bias=True, seed=0):
    rng = np.random.default_rng(seed)
    c = x_shape[3]
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((out_c, kh, kw, c)).astype(np.float32)
    bias = rng.standard_normal(out_c).astype(np.float32) if with_bias else None
    raw = transpose_conv_ref(x, w, out_hw, stride, padding, bias)
    mag = transpose_conv_ref(np.abs(x), np.abs(w), out_hw, stride, padding,
                             None if bias is None else np.abs(bias))
    ref = fused_activation(raw, act)
    out_shape = (x_shape[0], out_hw[0], out_hw[1], out_c)
    model = transpose_conv_model(x_shape, w, out_shape, stride, padding, act, bias)
    got = run_litert(model, [x])
    n = c * kh * kw
    if act == TANH:
        # tanh is 1-Lipschitz: the pre-activation bound carries over, plus libm rounding.
        assert_within(got, ref, mag, n + 4)
        return
    assert_within(got, ref, mag, n)
    assert_within(got, run_tflite(model, [x]).astype(np.float64), mag, n, factor=2.0)


# (input shape, kh, kw, out channels, stride): output sizes as TensorFlow produces them.
GEOMETRIES = [
    ((1, 4, 4, 3), 3, 3, 2, (2, 2)),
    ((1, 5, 3, 2), 3, 3, 4, (1, 1)),
    ((2, 3, 4, 5), 2, 2, 3, (2, 2)),
    ((1, 4, 5, 3), 5, 3, 2, (3, 2)),
    ((1, 3, 3, 8), 4, 4, 6, (2, 2)),
    ((2, 2, 3, 1), 1, 1, 1, (3, 3)),      # 1x1 kernel, stride larger than the kernel
    ((1, 6, 2, 4), 3, 2, 5, (1, 2)),
    ((1, 1, 1, 3), 3, 3, 2, (2, 2)),      # a single input pixel
]


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("padding", [SAME, VALID])
def test_transpose_conv_geometry(geometry, padding):
    x_shape, kh, kw, out_c, stride = geometry
    h, w = x_shape[1:3]
    if padding == SAME:
        out_hw = (h * stride[0], w * stride[1])
    else:
        out_hw = ((h - 1) * stride[0] + kh, (w - 1) * stride[1] + kw)
    check(x_shape, kh, kw, out_c, out_hw, stride, padding, seed=kh * 7 + out_c)


@pytest.mark.parametrize("out_hw,stride,padding", [
    ((7, 8), (2, 2), SAME),     # SAME allows any size with ceil(size / stride) = input size
    ((7, 11), (2, 3), SAME),
    ((9, 10), (2, 2), VALID),   # VALID: (H - 1) * stride + K plus up to stride - 1 more,
    ((13, 14), (3, 3), VALID),  # which nothing reaches: bias only there
])
def test_transpose_conv_other_output_sizes(out_hw, stride, padding):
    check((1, 4, 4, 3), 3, 3, 2, out_hw, stride, padding, seed=sum(out_hw))


@pytest.mark.parametrize("out_hw,stride,padding", [
    ((6, 8), (2, 2), SAME),     # ceil(6 / 2) = 3 rows, not 4
    ((8, 9), (2, 2), SAME),     # ceil(9 / 2) = 5 columns
    ((8, 9), (2, 2), VALID),    # (8 - 3) // 2 + 1 = 3 rows
    ((1, 1), (5, 5), VALID),    # output smaller than the filter
])
def test_transpose_conv_output_size_must_fit_input(out_hw, stride, padding):
    """As in TensorFlow Lite, the forward convolution of output_shape must give back the
    input's size; TensorFlow Lite rejects the same models."""
    w = np.ones((2, 3, 3, 3), np.float32)
    model = transpose_conv_model((1, 4, 4, 3), w, (1, *out_hw, 2), stride, padding)
    _expect_error(model, "does not fit input shape")
    with pytest.raises(RuntimeError):
        run_tflite(model, [np.zeros((1, 4, 4, 3), np.float32)])


@pytest.mark.parametrize("act", [NONE, RELU, RELU_N1_TO_1, RELU6, TANH])
def test_transpose_conv_activation(act):
    check((2, 3, 4, 3), 3, 3, 4, (6, 8), (2, 2), SAME, act=act, seed=act)


@pytest.mark.parametrize("padding", [SAME, VALID])
def test_transpose_conv_without_bias(padding):
    out_hw = (8, 8) if padding == SAME else (9, 9)
    check((1, 4, 4, 3), 3, 3, 5, out_hw, (2, 2), padding, with_bias=False)


def test_transpose_conv_default_options():
    """No options table: SAME padding, strides 0 -> rejected (the schema's defaults)."""
    w = np.ones((1, 1, 1, 1), np.float32)
    model = transpose_conv_model((1, 2, 2, 1), w, (1, 2, 2, 1), (1, 1), SAME, options=False)
    with pytest.raises(RuntimeError, match="strides"):
        Interpreter(model_content=model).allocate_tensors()


def test_transpose_conv_hand_checked():
    """Stride 2, 2x2 ones kernel, VALID: each input pixel becomes a 2x2 block of itself."""
    x = np.arange(1, 5, dtype=np.float32).reshape(1, 2, 2, 1)
    w = np.ones((1, 2, 2, 1), np.float32)
    model = transpose_conv_model(x.shape, w, (1, 4, 4, 1), (2, 2), VALID)
    expected = np.kron(x[0, :, :, 0], np.ones((2, 2))).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(run_litert(model, [x]), expected)


def test_transpose_conv_runs_twice_identically():
    """The output is zeroed by every invoke (scatter accumulates into it)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 3, 3, 2)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    interp = Interpreter(model_content=transpose_conv_model(x.shape, w, (1, 6, 6, 2), (2, 2),
                                                            SAME))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    first = interp.get_tensor(interp.get_output_details()[0]["index"]).copy()
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  first)


def _expect_error(model, match):
    with pytest.raises(RuntimeError, match=match):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("case,match", [
    ("batch", r"output_shape\[0\]"),
    ("channels", r"output_shape\[3\]"),
    ("negative", "non-negative"),
    ("weights_c", "weights shape"),
    ("stride", "strides"),
    ("padding", "padding is 2"),
    ("bias", "bias"),
    ("dynamic_shape", "constant"),
    ("activation", "activation"),
])
def test_transpose_conv_errors(case, match):
    x_shape, out_shape = (1, 3, 3, 2), [1, 6, 6, 4]
    w = np.ones((4, 3, 3, 2), np.float32)
    stride, padding, act, bias, const = (2, 2), SAME, NONE, None, True
    if case == "batch":
        out_shape = [2, 6, 6, 4]
    elif case == "channels":
        out_shape = [1, 6, 6, 3]
    elif case == "negative":
        out_shape = [1, -6, 6, 4]
    elif case == "weights_c":
        w = np.ones((4, 3, 3, 3), np.float32)
    elif case == "stride":
        stride = (0, 2)
    elif case == "padding":
        padding = 2
    elif case == "bias":
        bias = np.ones(3, np.float32)
    elif case == "dynamic_shape":
        const = False
    elif case == "activation":
        act = 17
    mb_shape = [max(d, 0) for d in out_shape]
    mb = ModelBuilder()
    shape = (mb.constant("output_shape", np.asarray(out_shape, np.int32)) if const
             else mb.input("output_shape", [4], np.int32))
    inputs = [shape, mb.constant("weights", w), mb.input("x", x_shape)]
    if bias is not None:
        inputs.append(mb.constant("bias", bias))
    y = mb.tensor("y", mb_shape)
    mb.op("TRANSPOSE_CONV", inputs, [y], "TransposeConvOptions",
          dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
               fused_activation_function=act))
    mb.output(y)
    _expect_error(mb.build(), match)
