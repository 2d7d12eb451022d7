"""Keras convolution layers converted by our converter (converter/layers/convolution.py).

Each case builds a one-layer Keras model with random non-trivial weights, converts it with
`litert.converter.convert`, runs the file in litert.Interpreter and in TensorFlow Lite's
interpreter, and compares both with Keras' own output.

Tolerance: rtol 1e-4, atol 1e-5 on outputs of magnitude ~1 (inputs and weights are O(1);
float32 sums of at most a few hundred products in a different order than Keras/oneDNN).

`check_layer` and `op_kinds` are shared with test_converter_pool_norm.py."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402

import litert_schema as fb  # noqa: E402
from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402

RTOL = 1e-4
ATOL = 1e-5

_OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if isinstance(v, int)}


def op_kinds(content: bytes) -> list[str]:
    """The builtin op names of the file's main subgraph, in order (read with the schema code,
    independently of the converter's IR)."""
    model = fb.Model.GetRootAs(content, 0)
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    sg = model.Subgraphs(0)
    kinds = []
    for i in range(sg.OperatorsLength()):
        oc = codes[sg.Operators(i).OpcodeIndex()]
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        kinds.append(_OP_NAMES[code])
    return kinds


def run_model(interp_cls, content: bytes, x: np.ndarray) -> np.ndarray:
    interp = interp_cls(model_content=content)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def random_input(shape, seed=0, low=None, high=None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, (1, *shape)).astype(np.float32)
    return rng.standard_normal((1, *shape)).astype(np.float32)


def randomize_weights(layer, seed=1) -> None:
    """Replaces every weight with N(0, 0.5^2) values (biases non-zero too)."""
    rng = np.random.default_rng(seed)
    layer.set_weights([(0.5 * rng.standard_normal(w.shape)).astype(np.float32)
                       for w in layer.get_weights()])


def check_layer(layer, input_shape, *, x=None, rtol=RTOL, atol=ATOL, what="") -> bytes:
    """Converts Input(input_shape) -> layer, runs it in both interpreters and compares with
    Keras. Returns the .tflite bytes."""
    keras.utils.set_random_seed(0)
    inp = keras.Input(input_shape)
    model = keras.Model(inp, layer(inp))
    if x is None:
        x = random_input(input_shape)
    expected = np.asarray(model(x, training=False))
    content = convert(model)
    label = what or f"{type(layer).__name__} {layer.get_config()}"
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        got = run_model(cls, content, x)
        assert got.shape == expected.shape, f"{label} in {runtime}: shape {got.shape}"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                   err_msg=f"{label} in {runtime}")
    return content


def _randomized(layer, input_shape):
    """Builds the layer for input_shape and randomizes its weights (biases included)."""
    layer.build((None, *input_shape))
    randomize_weights(layer)
    return layer


L = keras.layers

# (case id, layer factory, input shape, expected main op)
CASES = [
    # Conv1D
    ("Conv1D-valid", lambda: L.Conv1D(4, 3), (10, 3), "CONV_2D"),
    ("Conv1D-same", lambda: L.Conv1D(4, 4, padding="same"), (9, 3), "CONV_2D"),
    ("Conv1D-causal", lambda: L.Conv1D(4, 3, padding="causal"), (9, 3), "PAD"),
    ("Conv1D-causal-dilation2", lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2),
     (12, 2), "PAD"),
    ("Conv1D-strides2-same", lambda: L.Conv1D(5, 3, strides=2, padding="same"), (11, 3),
     "CONV_2D"),
    ("Conv1D-dilation3", lambda: L.Conv1D(4, 2, dilation_rate=3), (12, 3), "CONV_2D"),
    ("Conv1D-groups2", lambda: L.Conv1D(6, 3, groups=2), (10, 4), "CONV_2D"),
    ("Conv1D-nobias-relu", lambda: L.Conv1D(4, 3, use_bias=False, activation="relu"), (10, 3),
     "CONV_2D"),
    ("Conv1D-channels_first", lambda: L.Conv1D(4, 3, data_format="channels_first"), (3, 10),
     "TRANSPOSE"),
    # Conv2D
    ("Conv2D-valid", lambda: L.Conv2D(4, 3), (7, 7, 3), "CONV_2D"),
    ("Conv2D-same-even-kernel", lambda: L.Conv2D(4, (2, 4), padding="same"), (6, 7, 3),
     "CONV_2D"),
    ("Conv2D-strides-2x1-valid", lambda: L.Conv2D(4, 3, strides=(2, 1)), (9, 8, 2), "CONV_2D"),
    ("Conv2D-strides2-same-odd", lambda: L.Conv2D(4, 3, strides=2, padding="same"), (9, 7, 3),
     "CONV_2D"),
    ("Conv2D-dilation2-same", lambda: L.Conv2D(4, 3, dilation_rate=(2, 3), padding="same"),
     (9, 10, 2), "CONV_2D"),
    ("Conv2D-groups3", lambda: L.Conv2D(6, 3, groups=3, padding="same"), (6, 6, 9), "CONV_2D"),
    ("Conv2D-nobias", lambda: L.Conv2D(4, 3, use_bias=False), (6, 6, 3), "CONV_2D"),
    ("Conv2D-relu6", lambda: L.Conv2D(4, 3, activation="relu6"), (6, 6, 3), "CONV_2D"),
    ("Conv2D-tanh", lambda: L.Conv2D(4, 3, activation="tanh"), (6, 6, 3), "CONV_2D"),
    ("Conv2D-sigmoid", lambda: L.Conv2D(4, 3, activation="sigmoid"), (6, 6, 3), "CONV_2D"),
    ("Conv2D-channels_first", lambda: L.Conv2D(4, 3, padding="same", strides=2,
                                               data_format="channels_first"), (3, 7, 6),
     "TRANSPOSE"),
    # DepthwiseConv1D/2D
    ("DepthwiseConv1D", lambda: L.DepthwiseConv1D(3, depth_multiplier=2), (10, 3),
     "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv1D-strides2-same", lambda: L.DepthwiseConv1D(3, strides=2, padding="same"),
     (11, 3), "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv1D-channels_first", lambda: L.DepthwiseConv1D(
        3, depth_multiplier=2, data_format="channels_first"), (3, 10), "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D", lambda: L.DepthwiseConv2D(3), (7, 7, 4), "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D-multiplier3", lambda: L.DepthwiseConv2D(3, depth_multiplier=3),
     (6, 6, 2), "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D-strides2-same", lambda: L.DepthwiseConv2D(3, strides=2, padding="same"),
     (9, 8, 3), "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D-dilation2", lambda: L.DepthwiseConv2D(3, dilation_rate=2,
                                                            padding="same"), (9, 9, 3),
     "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D-nobias-relu", lambda: L.DepthwiseConv2D(3, use_bias=False,
                                                              activation="relu"), (6, 6, 3),
     "DEPTHWISE_CONV_2D"),
    ("DepthwiseConv2D-channels_first", lambda: L.DepthwiseConv2D(
        3, depth_multiplier=2, data_format="channels_first"), (3, 6, 7), "TRANSPOSE"),
    # SeparableConv1D/2D
    ("SeparableConv1D", lambda: L.SeparableConv1D(5, 3, padding="same"), (10, 3),
     "DEPTHWISE_CONV_2D"),
    ("SeparableConv2D", lambda: L.SeparableConv2D(5, 3), (7, 7, 3), "DEPTHWISE_CONV_2D"),
    ("SeparableConv2D-multiplier2-strides2-same", lambda: L.SeparableConv2D(
        6, 3, depth_multiplier=2, strides=2, padding="same"), (9, 8, 3), "DEPTHWISE_CONV_2D"),
    ("SeparableConv2D-dilation2-relu", lambda: L.SeparableConv2D(
        4, 3, dilation_rate=2, activation="relu"), (9, 9, 3), "DEPTHWISE_CONV_2D"),
    ("SeparableConv2D-nobias", lambda: L.SeparableConv2D(4, 3, use_bias=False), (6, 6, 3),
     "DEPTHWISE_CONV_2D"),
    # Conv1DTranspose / Conv2DTranspose
    ("Conv1DTranspose-strides2", lambda: L.Conv1DTranspose(4, 3, strides=2), (6, 3),
     "TRANSPOSE_CONV"),
    ("Conv1DTranspose-same-channels_first", lambda: L.Conv1DTranspose(
        4, 4, strides=2, padding="same", data_format="channels_first"), (3, 6), "TRANSPOSE_CONV"),
    ("Conv2DTranspose-valid", lambda: L.Conv2DTranspose(4, 3), (5, 5, 3), "TRANSPOSE_CONV"),
    ("Conv2DTranspose-same", lambda: L.Conv2DTranspose(4, 3, padding="same"), (5, 6, 3),
     "TRANSPOSE_CONV"),
    ("Conv2DTranspose-strides2-valid", lambda: L.Conv2DTranspose(4, 3, strides=2), (4, 5, 3),
     "TRANSPOSE_CONV"),
    ("Conv2DTranspose-strides2-same", lambda: L.Conv2DTranspose(4, 4, strides=2,
                                                                padding="same"), (4, 5, 3),
     "TRANSPOSE_CONV"),
    ("Conv2DTranspose-strides3-kernel2", lambda: L.Conv2DTranspose(3, 2, strides=3), (4, 4, 2),
     "TRANSPOSE_CONV"),
    ("Conv2DTranspose-output_padding-same", lambda: L.Conv2DTranspose(
        3, 3, strides=2, padding="same", output_padding=1), (4, 5, 2), "TRANSPOSE_CONV"),
    ("Conv2DTranspose-output_padding-valid", lambda: L.Conv2DTranspose(
        3, 3, strides=2, output_padding=(1, 0)), (4, 5, 2), "TRANSPOSE_CONV"),
    ("Conv2DTranspose-nobias-relu", lambda: L.Conv2DTranspose(
        4, 3, strides=2, use_bias=False, activation="relu"), (4, 4, 3), "TRANSPOSE_CONV"),
    ("Conv2DTranspose-channels_first", lambda: L.Conv2DTranspose(
        4, 3, strides=2, padding="same", data_format="channels_first"), (3, 4, 5),
     "TRANSPOSE"),
]


@pytest.mark.parametrize("factory,input_shape,first_op",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_conv_layer_matches_keras(factory, input_shape, first_op):
    layer = _randomized(factory(), input_shape)
    content = check_layer(layer, input_shape)
    kinds = op_kinds(content)
    assert first_op in kinds, kinds


def test_conv2d_transpose_dilation_matches_keras():
    """TRANSPOSE_CONV has no dilation: the converter spreads the kernel taps with zeros."""
    layer = L.Conv2DTranspose(3, 3, dilation_rate=2)
    try:
        layer = _randomized(layer, (5, 5, 2))
        keras.Model(i := keras.Input((5, 5, 2)), layer(i))(random_input((5, 5, 2)))
    except Exception as exc:  # Keras' TensorFlow backend cannot run it on this machine
        pytest.skip(f"Keras cannot evaluate a dilated Conv2DTranspose: {exc}")
    check_layer(layer, (5, 5, 2))


def test_conv2d_activation_is_fused_into_conv():
    layer = _randomized(L.Conv2D(4, 3, activation="relu"), (6, 6, 3))
    assert op_kinds(check_layer(layer, (6, 6, 3))) == ["CONV_2D"]


def test_conv2d_batch_of_three_after_resize():
    """The batch stays dynamic: RESHAPE/TRANSPOSE wrappers use -1 for it."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((10, 3))
    layer = _randomized(L.Conv1D(4, 3, padding="causal", activation="relu"), (10, 3))
    model = keras.Model(inp, layer(inp))
    x = np.random.default_rng(3).standard_normal((3, 10, 3)).astype(np.float32)
    expected = np.asarray(model(x))
    content = convert(model)
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        interp = cls(model_content=content)
        index = interp.get_input_details()[0]["index"]
        interp.resize_tensor_input(index, x.shape)
        interp.allocate_tensors()
        interp.set_tensor(index, x)
        interp.invoke()
        got = interp.get_tensor(interp.get_output_details()[0]["index"])
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=runtime)


@pytest.mark.parametrize("factory,input_shape", [
    (lambda: L.Conv2DTranspose(3, 3, strides=2), (4, 5, 2)),
    (lambda: L.Conv1D(4, 3, padding="causal"), (8, 3)),
    (lambda: L.SeparableConv1D(4, 3, data_format="channels_first"), (3, 8)),
], ids=["Conv2DTranspose", "Conv1D-causal", "SeparableConv1D-channels_first"])
def test_conv_with_static_batch_of_two(factory, input_shape):
    """An Input with a fixed batch of 2: shapes and constants carry the real batch."""
    layer = _randomized(factory(), input_shape)
    keras.utils.set_random_seed(0)
    inp = keras.Input(input_shape, batch_size=2)
    model = keras.Model(inp, layer(inp))
    x = np.random.default_rng(8).standard_normal((2, *input_shape)).astype(np.float32)
    expected = np.asarray(model(x))
    content = convert(model)
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        np.testing.assert_allclose(run_model(cls, content, x), expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{type(layer).__name__} batch 2 in {runtime}")


@pytest.mark.parametrize("layer_factory,input_shape,message", [
    (lambda: L.Conv1D(4, 3), (None, 3), "unknown"),
    (lambda: L.Conv2DTranspose(4, 3), (None, None, 3), "spatial size is unknown"),
], ids=["Conv1D-unknown-length", "Conv2DTranspose-unknown-size"])
def test_conv_unsupported_shapes_are_refused(layer_factory, input_shape, message):
    inp = keras.Input(input_shape)
    layer = layer_factory()
    model = keras.Model(inp, layer(inp))
    with pytest.raises(ConversionError, match=message) as info:
        convert(model)
    assert layer.name in str(info.value)


# ZeroPadding2D then a VALID conv: folded into padding=SAME exactly when the zeros are what SAME
# adds (MobileNetV2's correct_pad before each stride-2 depthwise), kept otherwise.
@pytest.mark.parametrize("pads, conv, size, folded", [
    (((0, 1), (0, 1)), lambda: keras.layers.DepthwiseConv2D(3, strides=2), 8, True),
    (((1, 1), (1, 1)), lambda: keras.layers.DepthwiseConv2D(3, strides=1), 7, True),
    (((1, 1), (1, 1)), lambda: keras.layers.Conv2D(5, 3, strides=1), 6, True),
    (((2, 2), (1, 1)), lambda: keras.layers.Conv2D(4, (5, 3), strides=1), 6, True),
    (((1, 1), (1, 1)), lambda: keras.layers.DepthwiseConv2D(3, strides=2), 8, False),  # SAME: (0, 1)
    (((0, 1), (0, 1)), lambda: keras.layers.DepthwiseConv2D(3, strides=2), 7, False),  # SAME: (1, 1)
    (((1, 0), (1, 0)), lambda: keras.layers.Conv2D(3, 2, strides=1), 5, False),  # SAME: (0, 1)
])
def test_zero_padding_equal_to_same_is_folded_into_the_conv(pads, conv, size, folded):
    keras.utils.set_random_seed(0)
    inp = keras.Input((size, size, 3))
    layer = conv()
    model = keras.Model(inp, layer(keras.layers.ZeroPadding2D(pads)(inp)))
    randomize_weights(layer)
    x = random_input((size, size, 3))
    expected = np.asarray(model(x, training=False))
    content = convert(model)
    assert ("PAD" not in op_kinds(content)) == folded, op_kinds(content)
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        np.testing.assert_allclose(run_model(cls, content, x), expected, rtol=RTOL, atol=ATOL,
                                   err_msg=runtime)
