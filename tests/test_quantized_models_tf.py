"""Quantized models from TensorFlow's own converter, run in litert and in TensorFlow Lite.

Full int8: keras.applications.MobileNetV2 (random weights, 96x96 input to stay fast),
converted with a representative dataset of 20 seeded random images, int8 input and output.
litert follows TensorFlow Lite's reference kernels (BUILTIN_REF: integer requantization) and
is compared with them. TensorFlow Lite's default path (XNNPACK) rounds differently and the
differences grow over the 64 ops; measured against it (not asserted): the 3x3x1280 features
before the global average pool equal it in 42% of values (9792 of 23040, two inputs), max
|diff| 151; the 1000 logits in 4% (80 of 2000), max |diff| 39; after the first CONV_2D
99.93% (max 1), after the first ADD 52% (max 3).

Dynamic range: a small CNN + MLP converted with optimizations only; its large conv and dense
layers become hybrid ops (int8 weights, float activations)."""
import os

import numpy as np
import pytest

from op_runner import run_litert, run_tflite, run_tflite_default

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="module")
def tf():
    import tensorflow

    return tensorflow


def _mobilenet_v2_int8(tf):
    keras = tf.keras
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                           classifier_activation=None)
    # Fresh batch-norm statistics (mean 0, variance 1) let the signal fade away over the 50
    # layers (every output would quantize to one value); one training-mode pass with
    # momentum 0 replaces them by real batch statistics.
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(np.random.default_rng(9).uniform(-1, 1, (8, 96, 96, 3)).astype(np.float32),
          training=True)

    def representative_dataset():
        rng = np.random.default_rng(0)
        for _ in range(20):
            yield [rng.uniform(-1, 1, (1, 96, 96, 3)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.fixture(scope="module")
def mobilenet_v2_int8(tf):
    return _mobilenet_v2_int8(tf)


def _op_names(model):
    from ai_edge_litert.interpreter import Interpreter
    return [op["op_name"] for op in Interpreter(model_content=model)._get_ops_details()]


def _truncate(model, n_ops):
    """The model cut after its first n_ops operators, the last one's output as the output."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    sg.operators = sg.operators[:n_ops]
    sg.outputs = [sg.operators[-1].outputs[0]]
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _inputs(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, (1, 96, 96, 3)).astype(np.int8) for _ in range(n)]


def test_mobilenet_v2_int8_graph(mobilenet_v2_int8):
    ops = set(_op_names(mobilenet_v2_int8))
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "FULLY_CONNECTED"} <= ops


def test_mobilenet_v2_int8_features_bit_exact(mobilenet_v2_int8):
    """Everything before the global average pool (35 CONV_2D, 17 DEPTHWISE_CONV_2D, 10 ADD):
    the 3x3x1280 int8 features equal TensorFlow Lite's reference kernels bit for bit."""
    names = _op_names(mobilenet_v2_int8)
    features = _truncate(mobilenet_v2_int8, names.index("MEAN"))
    for x in _inputs(2, 1):
        got = run_litert(features, [x])
        expected = run_tflite(features, [x])
        assert got.shape == expected.shape == (1, 3, 3, 1280)
        np.testing.assert_array_equal(got, expected)


def test_mobilenet_v2_int8_logits(mobilenet_v2_int8):
    """The whole model (MEAN and FULLY_CONNECTED added): >= 99% of the logits equal
    TensorFlow Lite's reference kernels, none off by more than 1 (measured: all equal)."""
    total = exact = 0
    for x in _inputs(2, 2):
        got = run_litert(mobilenet_v2_int8, [x]).astype(np.int32)
        expected = run_tflite(mobilenet_v2_int8, [x]).astype(np.int32)
        assert got.shape == expected.shape == (1, 1000)
        assert len(np.unique(expected)) > 50  # the logits carry information
        assert np.abs(got - expected).max() <= 1
        total += got.size
        exact += int((got == expected).sum())
    assert exact >= 0.99 * total


def _small_cnn_dynamic_range(tf):
    keras = tf.keras
    keras.utils.set_random_seed(1)
    inp = keras.Input((16, 16, 3))
    h = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(inp)
    h = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(h)
    h = keras.layers.Conv2D(64, 3, strides=2, activation="relu")(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(64, activation="relu")(h)
    out = keras.layers.Dense(10)(h)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inp, out))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


# TensorFlow Lite's hybrid kernels quantize the activations to int8 on the fly; litert keeps
# them in float (weights dequantized at prepare). Measured difference: ~1.4% of max |output|
# over two hybrid layers.
DYNAMIC_RANGE_TOLERANCE = 0.04


def test_dynamic_range_cnn(tf):
    model = _small_cnn_dynamic_range(tf)
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_content=model)
    hybrid = [op["op_name"] for op in it._get_ops_details()
              if len(op["inputs"]) > 1 and op["inputs"][1] >= 0 and
              it._get_tensor_details(op["inputs"][1], 0)["dtype"] == np.int8]
    assert {"CONV_2D", "FULLY_CONNECTED"} <= set(hybrid)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = rng.normal(0, 1, (1, 16, 16, 3)).astype(np.float32)
        got = run_litert(model, [x])
        expected = run_tflite_default(model, [x])
        assert np.abs(got - expected).max() <= DYNAMIC_RANGE_TOLERANCE * np.abs(expected).max()
