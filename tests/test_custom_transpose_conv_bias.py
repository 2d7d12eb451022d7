"""The default custom op Convolution2DTransposeBias (MediaPipe's transposed convolution with
bias, found in its segmentation models).

Models: a Keras Conv2DTranspose (with bias) converted by TensorFlow's converter gives a
TRANSPOSE_CONV; that operator is rewritten into the custom op (builtin code CUSTOM, custom
code "Convolution2DTransposeBias", inputs (input, weights, bias), custom_options the raw
TfLiteTransposeConvParams: int32 padding (1 SAME, 2 VALID), stride_width, stride_height)
with TensorFlow's flatbuffer schema. litert runs the rewritten model; TensorFlow Lite (which
has no such op) runs the original, Keras runs the layer, and a float32 NumPy transcription of
MediaPipe's kernel (exact: same products, same order) also covers the sizes where MediaPipe's
output size differs from Keras'.

Tolerance against TensorFlow Lite and Keras: float32 sums of at most k_h * k_w * in_ch
products, with the bias added first (MediaPipe) rather than last, or accumulated in another
order: 1e-5 relative to the largest output, plus 1e-6."""
from __future__ import annotations

import struct

import numpy as np
import pytest
import tf_op_models as tom

CUSTOM = 32
NAME = "Convolution2DTransposeBias"
PADDING = {"same": 1, "valid": 2}
RTOL = 1e-5


def _keras_layer(tf, in_ch, out_ch, kernel, strides, padding, seed):
    tf.keras.utils.set_random_seed(seed)
    layer = tf.keras.layers.Conv2DTranspose(out_ch, kernel, strides=strides, padding=padding,
                                            use_bias=True)
    layer.build((None, None, None, in_ch))
    rng = np.random.default_rng(seed)
    kernel_w, bias = layer.get_weights()
    layer.set_weights([rng.normal(size=kernel_w.shape).astype(np.float32),
                       rng.normal(size=bias.shape).astype(np.float32)])
    return layer


def _schema():
    from tensorflow.lite.python import schema_py_generated as schema

    return schema


def _pack(m):
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def to_custom(model: bytes, options: bytes | None = None) -> bytes:
    """The model with its TRANSPOSE_CONV rewritten into Convolution2DTransposeBias."""
    schema = _schema()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    tconv = [op for op in sg.operators
             if max(m.operatorCodes[op.opcodeIndex].builtinCode,
                    m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode)
             == schema.BuiltinOperator.TRANSPOSE_CONV]
    assert len(tconv) == 1
    op = tconv[0]
    opts = op.builtinOptions
    assert opts.fusedActivationFunction == 0
    assert len(op.inputs) == 4 and op.inputs[3] >= 0, "expected the bias fused in"
    code = schema.OperatorCodeT()
    code.builtinCode = CUSTOM
    code.deprecatedBuiltinCode = CUSTOM
    code.customCode = NAME
    code.version = 1
    m.operatorCodes.append(code)
    op.opcodeIndex = len(m.operatorCodes) - 1
    _output_shape, weights, data, bias = op.inputs
    op.inputs = [data, weights, bias]
    op.builtinOptionsType = 0
    op.builtinOptions = None
    if options is None:
        padding = 1 if opts.padding == schema.Padding.SAME else 2
        options = struct.pack("<3i", padding, opts.strideW, opts.strideH)
    op.customOptions = list(options)
    op.customOptionsFormat = 0
    return _pack(m)


def mediapipe_reference(x, w, bias, padding, stride_w, stride_h):
    """MediaPipe's kernel transcribed in NumPy float32, in its order: output size from its
    rule, every output starts at the bias, then each product is added one at a time (input
    pixels row-major, channels, taps). NumPy rounds every float32 product and sum like C, so
    this is the kernel's result bit for bit."""
    n, h, wd, in_ch = x.shape
    o, kh, kw, _ = w.shape

    def dim(size, k, s):
        pad = max(0, k - (size - 1) % s - 1) if padding == 1 else 0
        return s * (size - 1) + k - pad, pad // 2

    oh, pad_t = dim(h, kh, stride_h)
    ow, pad_l = dim(wd, kw, stride_w)
    x, w = x.astype(np.float32), w.astype(np.float32)
    out = np.empty((n, oh, ow, o), np.float32)
    out[...] = bias.astype(np.float32)
    for iy in range(h):
        for ix in range(wd):
            for c in range(in_ch):
                for ky in range(kh):
                    for kx in range(kw):
                        y, xx = iy * stride_h - pad_t + ky, ix * stride_w - pad_l + kx
                        if 0 <= y < oh and 0 <= xx < ow:
                            out[:, y, xx, :] += x[:, iy, ix, c, None] * w[None, :, ky, kx, c]
    return out


def _close(got, want):
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape
    atol = RTOL * float(np.abs(want).max(initial=0.0)) + 1e-6
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)


# (in_hw, in_ch, out_ch, kernel, strides, padding); Keras' SAME size needs in % stride == 0
# to match MediaPipe's rule, and VALID needs kernel >= stride.
CASES = [
    ((5, 7), 3, 5, (3, 3), (1, 1), "same"),
    ((4, 6), 3, 5, (3, 3), (2, 2), "same"),
    ((6, 3), 5, 3, (4, 3), (3, 3), "same"),
    ((4, 4), 1, 3, (2, 2), (2, 2), "same"),
    ((3, 5), 3, 7, (3, 3), (1, 1), "valid"),
    ((3, 4), 5, 3, (3, 2), (2, 2), "valid"),
    ((2, 3), 3, 5, (3, 4), (3, 2), "valid"),
    ((4, 6), 2, 3, (3, 3), (1, 2), "same"),
]


@pytest.fixture(scope="module")
def tf():
    return tom.tf()


def _case_models(tf, case):
    (h, w), in_ch, out_ch, kernel, strides, padding = case
    layer = _keras_layer(tf, in_ch, out_ch, kernel, strides, padding, seed=h * 31 + w)
    key = f"tcb-{case}"
    original = tom.convert(lambda x: layer(x), [((2, h, w, in_ch), tf.float32)], key=key)
    return layer, original


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_matches_tflite_and_keras(tf, case):
    (h, w), in_ch, *_ = case
    layer, original = _case_models(tf, case)
    assert "TRANSPOSE_CONV" in tom.op_names(original)
    custom = to_custom(original)
    x = np.random.default_rng(7).normal(size=(2, h, w, in_ch)).astype(np.float32)
    from litert import Interpreter

    ours = tom.run_all(Interpreter(model_content=custom), [x])
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    theirs = tom.run_all(TFLiteInterpreter(model_content=original), [x])
    keras = layer(x).numpy()
    assert len(ours) == 1
    _close(ours[0], theirs[0])
    _close(ours[0], keras)
    kernel_w, bias = layer.get_weights()  # Keras kernel: [kh, kw, out, in]
    ref = mediapipe_reference(x, kernel_w.transpose(2, 0, 1, 3), bias,
                              PADDING[case[5]], case[4][1], case[4][0])
    np.testing.assert_array_equal(ours[0], ref)


def _rebuild_input(tf, model, shape):
    """The model with its input resized (static shapes: no other op depends on them)."""
    schema = _schema()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    sg.tensors[sg.inputs[0]].shape = list(shape)
    sg.tensors[sg.inputs[0]].shapeSignature = None
    return _pack(m)


@pytest.mark.parametrize("hw,stride", [((5, 7), 2), ((4, 5), 3), ((7, 2), 2)])
def test_same_size_rule_where_keras_differs(tf, hw, stride):
    """SAME with sizes not multiples of the stride: MediaPipe's rule gives
    stride * (in - 1) + 1 + (in - 1) % stride, not in * stride; checked against the NumPy
    transcription of its kernel."""
    layer, original = _case_models(tf, ((4, 6), 3, 5, (3, 3), (2, 2), "same"))
    custom = to_custom(original, struct.pack("<3i", 1, stride, stride))
    custom = _rebuild_input(tf, custom, (2, *hw, 3))
    x = np.random.default_rng(3).normal(size=(2, *hw, 3)).astype(np.float32)
    from litert import Interpreter

    ours = tom.run_all(Interpreter(model_content=custom), [x])[0]
    kernel_w, bias = layer.get_weights()
    ref = mediapipe_reference(x, kernel_w.transpose(2, 0, 1, 3), bias, 1, stride, stride)
    assert ours.shape[1] < hw[0] * stride  # smaller than Keras' SAME size
    np.testing.assert_array_equal(ours, ref)


def test_longer_struct_with_zero_tail_is_accepted(tf):
    layer, original = _case_models(tf, CASES[1])
    custom = to_custom(original, struct.pack("<5i", 1, 2, 2, 0, 0))
    x = np.random.default_rng(1).normal(size=(2, 4, 6, 3)).astype(np.float32)
    from litert import Interpreter

    ours = tom.run_all(Interpreter(model_content=custom), [x])[0]
    _close(ours, layer(x).numpy())


@pytest.mark.parametrize("options,match", [
    (struct.pack("<2i", 1, 2), "custom_options hold 8 bytes; expected 12"),
    (b"", "custom_options hold 0 bytes"),
    (struct.pack("<3i", 0, 2, 2), "padding is 0 in custom_options"),
    (struct.pack("<3i", 3, 2, 2), "padding is 3"),
    (struct.pack("<3i", 1, 0, 2), "strides are 2 x 0"),
    (struct.pack("<3i", 2, 2, -1), "strides are -1 x 2"),
    (struct.pack("<4i", 1, 2, 2, 1), "activation"),
    (struct.pack("<3i", 1, 2, 2) + b"\0", "13 bytes"),
])
def test_bad_options(tf, options, match):
    _, original = _case_models(tf, CASES[1])
    custom = to_custom(original, options)
    from litert import Interpreter

    with pytest.raises((RuntimeError, ValueError), match=match):
        Interpreter(model_content=custom).allocate_tensors()


def test_bad_bias_shape(tf):
    """Bias and weights swapped in the operator's inputs: the shapes do not fit."""
    _, original = _case_models(tf, CASES[1])
    schema = _schema()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(to_custom(original), 0))
    op = next(o for o in m.subgraphs[0].operators if m.operatorCodes[o.opcodeIndex].customCode)
    op.inputs = [op.inputs[0], op.inputs[1], op.inputs[0]]
    from litert import Interpreter

    with pytest.raises((RuntimeError, ValueError), match="Convolution2DTransposeBias"):
        Interpreter(model_content=_pack(m)).allocate_tensors()


def test_float16_weights_through_dequantize(tf):
    """As MediaPipe's published models store it: float16 weights and bias, each behind a
    DEQUANTIZE, feeding the custom op."""
    case = CASES[2]
    (h, w), in_ch, *_ = case
    layer = _keras_layer(tf, in_ch, case[2], case[3], case[4], case[5], seed=5)
    original = tom.convert(lambda x: layer(x), [((2, h, w, in_ch), tf.float32)],
                           quant="float16", key="tcb-f16")
    names = tom.op_names(original)
    assert "DEQUANTIZE" in names and "TRANSPOSE_CONV" in names
    custom = to_custom(original)
    x = np.random.default_rng(11).normal(size=(2, h, w, in_ch)).astype(np.float32)
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    from litert import Interpreter

    ours = tom.run_all(Interpreter(model_content=custom), [x])
    theirs = tom.run_all(TFLiteInterpreter(model_content=original), [x])
    _close(ours[0], theirs[0])


def _weights_as_input(model):
    """The model with the custom op's weights turned into a second graph input, and their
    values (so the kernel packs them at every invoke instead of once at prepare)."""
    schema = _schema()
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    op = next(o for o in sg.operators if m.operatorCodes[o.opcodeIndex].customCode)
    t = sg.tensors[op.inputs[1]]
    values = np.frombuffer(bytes(bytearray(m.buffers[t.buffer].data)), np.float32)
    values = values.reshape(t.shape).copy()
    t.buffer = 0
    sg.inputs = list(sg.inputs) + [op.inputs[1]]
    return _pack(m), values


def test_weights_given_at_run_time(tf):
    layer, original = _case_models(tf, CASES[2])
    custom, w = _weights_as_input(to_custom(original))
    (h, wd), in_ch, *_ = CASES[2]
    x = np.random.default_rng(5).normal(size=(2, h, wd, in_ch)).astype(np.float32)
    from litert import Interpreter

    it = Interpreter(model_content=custom)
    ours = tom.run_all(it, [x, w])[0]
    kernel_w, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel_w.transpose(2, 0, 1, 3), w)
    ref = mediapipe_reference(x, w, bias, PADDING[CASES[2][5]], CASES[2][4][1], CASES[2][4][0])
    np.testing.assert_array_equal(ours, ref)
    it.invoke()  # again, same result
    np.testing.assert_array_equal(it.get_tensor(it.get_output_details()[0]["index"]), ref)
