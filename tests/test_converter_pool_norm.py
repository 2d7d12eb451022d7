"""Keras pooling and normalization layers converted by our converter
(converter/layers/pooling.py, converter/layers/normalization.py).

Each case converts a small Keras model, runs the file in litert.Interpreter and TensorFlow
Lite's interpreter and compares both with Keras (see check_layer in test_converter_conv.py).
Tolerance: rtol 1e-4, atol 1e-5 (pooling is exact up to summation order; normalization's
decomposition differs from Keras' formula by a few float32 ulps of values of magnitude ~1-10).
Normalization parameters are all non-trivial (moving statistics, gamma, beta set explicitly)."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402
from test_converter_conv import (  # noqa: E402
    TFLiteInterpreter,
    run_model,
    check_layer,
    op_kinds,
    random_input,
)

L = keras.layers

POOL_CASES = [
    ("MaxPooling2D-2", lambda: L.MaxPooling2D(2), (8, 6, 3)),
    ("MaxPooling2D-3-strides2-same", lambda: L.MaxPooling2D(3, strides=2, padding="same"),
     (9, 8, 2)),
    ("MaxPooling2D-2x3-strides2x1-valid", lambda: L.MaxPooling2D((2, 3), strides=(2, 1)),
     (7, 8, 2)),
    ("MaxPooling2D-channels_first", lambda: L.MaxPooling2D(2, data_format="channels_first"),
     (3, 6, 8)),
    ("AveragePooling2D-2", lambda: L.AveragePooling2D(2), (8, 6, 3)),
    ("AveragePooling2D-3-strides2-same", lambda: L.AveragePooling2D(3, strides=2,
                                                                    padding="same"),
     (9, 8, 2)),
    ("AveragePooling2D-3x2-strides1-same", lambda: L.AveragePooling2D((3, 2), strides=1,
                                                                      padding="same"),
     (5, 5, 2)),
    ("AveragePooling2D-channels_first", lambda: L.AveragePooling2D(
        2, padding="same", data_format="channels_first"), (2, 5, 7)),
    ("MaxPooling1D-2", lambda: L.MaxPooling1D(2), (9, 3)),
    ("MaxPooling1D-3-strides2-same", lambda: L.MaxPooling1D(3, strides=2, padding="same"),
     (10, 3)),
    ("MaxPooling1D-channels_first", lambda: L.MaxPooling1D(2, data_format="channels_first"),
     (3, 8)),
    ("AveragePooling1D-3-strides1-same", lambda: L.AveragePooling1D(3, strides=1,
                                                                    padding="same"),
     (7, 2)),
    ("AveragePooling1D-2", lambda: L.AveragePooling1D(2), (9, 3)),
    ("GlobalAveragePooling1D", lambda: L.GlobalAveragePooling1D(), (7, 3)),
    ("GlobalAveragePooling1D-keepdims", lambda: L.GlobalAveragePooling1D(keepdims=True),
     (7, 3)),
    ("GlobalAveragePooling1D-channels_first", lambda: L.GlobalAveragePooling1D(
        data_format="channels_first"), (3, 7)),
    ("GlobalAveragePooling2D", lambda: L.GlobalAveragePooling2D(), (5, 6, 3)),
    ("GlobalAveragePooling2D-keepdims", lambda: L.GlobalAveragePooling2D(keepdims=True),
     (5, 6, 3)),
    ("GlobalAveragePooling2D-channels_first", lambda: L.GlobalAveragePooling2D(
        data_format="channels_first", keepdims=True), (3, 5, 6)),
    ("GlobalAveragePooling3D", lambda: L.GlobalAveragePooling3D(), (3, 4, 5, 2)),
    ("GlobalMaxPooling1D", lambda: L.GlobalMaxPooling1D(), (7, 3)),
    ("GlobalMaxPooling1D-keepdims", lambda: L.GlobalMaxPooling1D(keepdims=True), (7, 3)),
    ("GlobalMaxPooling2D", lambda: L.GlobalMaxPooling2D(), (5, 6, 3)),
    ("GlobalMaxPooling2D-keepdims-channels_first", lambda: L.GlobalMaxPooling2D(
        keepdims=True, data_format="channels_first"), (3, 5, 6)),
    ("GlobalMaxPooling3D-keepdims", lambda: L.GlobalMaxPooling3D(keepdims=True),
     (3, 4, 5, 2)),
]


@pytest.mark.parametrize("factory,input_shape", [c[1:] for c in POOL_CASES],
                         ids=[c[0] for c in POOL_CASES])
def test_pooling_layer_matches_keras(factory, input_shape):
    check_layer(factory(), input_shape)


def test_masked_global_average_pooling_is_refused():
    inp = keras.Input((6,), dtype="int32")
    emb = L.Embedding(10, 4, mask_zero=True)(inp)
    model = keras.Model(inp, L.GlobalAveragePooling1D(name="gap")(emb))
    with pytest.raises(ConversionError, match="mask"):
        convert(model)


# -- BatchNormalization ------------------------------------------------------------------------
def _batch_norm(input_shape, seed=2, **kwargs):
    """A built BatchNormalization with random gamma/beta, mean and variance (0.2 .. 2)."""
    layer = L.BatchNormalization(**kwargs)
    layer.build((None, *input_shape))
    rng = np.random.default_rng(seed)
    layer.set_weights([
        (rng.uniform(0.2, 2.0, w.shape) if "variance" in v.path else
         rng.uniform(0.5, 1.5, w.shape) if "gamma" in v.path else
         rng.standard_normal(w.shape)).astype(np.float32)
        for v, w in zip(layer.weights, layer.get_weights())])
    return layer


BN_CASES = [
    ("BatchNormalization-rank2", {}, (6,)),
    ("BatchNormalization-rank4", {}, (4, 5, 3)),
    ("BatchNormalization-axis1-rank4", {"axis": 1}, (3, 4, 5)),
    ("BatchNormalization-axis2-rank3", {"axis": -2}, (4, 3)),
    ("BatchNormalization-no-center", {"center": False}, (4, 5, 3)),
    ("BatchNormalization-no-scale", {"scale": False}, (4, 5, 3)),
    ("BatchNormalization-no-center-no-scale-eps0.1", {"center": False, "scale": False,
                                                      "epsilon": 0.1}, (5, 3)),
]


@pytest.mark.parametrize("kwargs,input_shape", [c[1:] for c in BN_CASES],
                         ids=[c[0] for c in BN_CASES])
def test_batch_normalization_matches_keras(kwargs, input_shape):
    content = check_layer(_batch_norm(input_shape, **kwargs), input_shape)
    assert set(op_kinds(content)) <= {"MUL", "ADD"}, op_kinds(content)


@pytest.mark.parametrize("conv,activation", [
    ("Conv2D", None), ("Conv2D", "relu"), ("DepthwiseConv2D", "relu6"), ("Dense", "relu"),
])
def test_batch_normalization_folds_into_preceding_op(conv, activation):
    """Conv/Dense + BatchNormalization (+ ReLU) becomes one op after the fold passes."""
    keras.utils.set_random_seed(0)
    shape = (6, 6, 3)
    inp = keras.Input(shape)
    first = {"Conv2D": lambda: L.Conv2D(4, 3, use_bias=False),
             "DepthwiseConv2D": lambda: L.DepthwiseConv2D(3),
             "Dense": lambda: L.Dense(5)}[conv]()
    y = first(inp)
    y = _batch_norm(tuple(y.shape[1:]))(y)
    if activation:
        y = L.Activation(activation)(y)
    model = keras.Model(inp, y)
    x = random_input(shape)
    expected = np.asarray(model(x, training=False))
    content = convert(model)
    main = {"Conv2D": "CONV_2D", "DepthwiseConv2D": "DEPTHWISE_CONV_2D",
            "Dense": "FULLY_CONNECTED"}[conv]
    assert op_kinds(content) == [main], op_kinds(content)
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        np.testing.assert_allclose(run_model(cls, content, x), expected, rtol=1e-4, atol=1e-5,
                                   err_msg=f"{conv}+BN+{activation} in {runtime}")


# -- LayerNormalization ------------------------------------------------------------------------
def _layer_norm(input_shape, seed=3, **kwargs):
    layer = L.LayerNormalization(**kwargs)
    layer.build((None, *input_shape))
    rng = np.random.default_rng(seed)
    layer.set_weights([(rng.uniform(0.5, 1.5, w.shape) if "gamma" in v.path else
                        rng.standard_normal(w.shape)).astype(np.float32)
                       for v, w in zip(layer.weights, layer.get_weights())])
    return layer


LN_CASES = [
    ("LayerNormalization-last-axis", {}, (4, 8)),
    ("LayerNormalization-rank2", {}, (10,)),
    ("LayerNormalization-two-trailing-axes", {"axis": [-2, -1]}, (3, 4, 5)),
    ("LayerNormalization-middle-axis", {"axis": 1}, (5, 3)),
    ("LayerNormalization-no-center", {"center": False}, (4, 8)),
    ("LayerNormalization-no-scale", {"scale": False}, (4, 8)),
    ("LayerNormalization-no-center-no-scale", {"center": False, "scale": False}, (4, 8)),
    ("LayerNormalization-epsilon0.5", {"epsilon": 0.5}, (4, 8)),
]


@pytest.mark.parametrize("kwargs,input_shape", [c[1:] for c in LN_CASES],
                         ids=[c[0] for c in LN_CASES])
def test_layer_normalization_matches_keras(kwargs, input_shape):
    # Offset inputs: the mean matters and must be removed exactly.
    x = random_input(input_shape, seed=4) * 3.0 + 2.0
    check_layer(_layer_norm(input_shape, **kwargs), input_shape, x=x)


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_layer_normalization_rms_scaling_matches_keras():
    """Keras' deprecated rms_scaling scales x (uncentered) by 1/sqrt(variance + eps)."""
    layer = _layer_norm((4, 8), rms_scaling=True)
    check_layer(layer, (4, 8), x=random_input((4, 8), seed=5) + 1.0)


# -- Rescaling / Normalization -----------------------------------------------------------------
@pytest.mark.parametrize("kwargs,input_shape", [
    ({"scale": 1 / 255.0}, (4, 4, 3)),
    ({"scale": 1 / 127.5, "offset": -1.0}, (4, 4, 3)),
    ({"scale": [0.5, 2.0, -1.0], "offset": [0.1, 0.2, 0.3]}, (4, 4, 3)),
    ({"scale": 2.0, "offset": [1.0, -1.0]}, (5, 2)),
], ids=["Rescaling-scale", "Rescaling-scale-offset", "Rescaling-per-channel",
        "Rescaling-per-channel-offset"])
def test_rescaling_matches_keras(kwargs, input_shape):
    x = random_input(input_shape, low=0, high=255)
    check_layer(L.Rescaling(**kwargs), input_shape, x=x)


def test_normalization_adapted_matches_keras():
    data = np.random.default_rng(6).normal([1.0, -2.0, 5.0], [0.5, 3.0, 0.01],
                                           (64, 4, 3)).astype(np.float32)
    layer = L.Normalization()
    layer.adapt(data)
    check_layer(layer, (4, 3), x=data[:1])


@pytest.mark.parametrize("kwargs,input_shape", [
    ({"mean": [1.0, 2.0, 3.0], "variance": [0.25, 4.0, 1e-16]}, (4, 3)),
    ({"mean": 3.0, "variance": 2.0, "axis": None}, (4, 3)),
    ({"mean": [[1.0, 2.0, 3.0]] * 4, "variance": [[2.0, 0.5, 1.0]] * 4, "axis": (1, 2)},
     (4, 3)),
    ({"mean": [1.0, 2.0, 3.0], "variance": [0.25, 4.0, 9.0], "invert": True}, (4, 3)),
], ids=["Normalization-given", "Normalization-axis-None", "Normalization-two-axes",
        "Normalization-invert"])
def test_normalization_given_matches_keras(kwargs, input_shape):
    check_layer(L.Normalization(**kwargs), input_shape,
                x=random_input(input_shape, seed=7) * 2.0 + 1.0)
