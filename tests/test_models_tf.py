"""Whole models written by TensorFlow's own converter run here and in TensorFlow Lite's
interpreter on the same inputs, and agree.

Models are built in the test with Keras (fixed seeds, weights=None) and converted with
tf.lite.TFLiteConverter.from_keras_model, so the files are exactly what users bring."""
import numpy as np
import pytest

from litert import Interpreter

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter as ReferenceInterpreter  # noqa: E402


def _convert(model) -> bytes:
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def _mlp():
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((20,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="tanh"),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])


def _small_cnn():
    keras.utils.set_random_seed(2)
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6"),
        keras.layers.Conv2D(16, 3, strides=2, padding="same"),
        keras.layers.AveragePooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


def _mobilenet_v2():
    keras.utils.set_random_seed(3)
    # Logits, not probabilities: with untrained weights the softmax is flat at 1/1000, which
    # would hide any error below the tolerance. The logits are tiny (about 1e-11) but vary.
    return keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3),
                                          classifier_activation=None)


# name -> tolerance relative to the largest output magnitude. float32 sums taken in a different
# order than TensorFlow Lite's differ by ~1e-7 relative per op; over MobileNetV2's 65 ops that
# stays below 1e-5 (measured: 8e-7).
MODELS = {
    "mlp": (_mlp, 1e-5),
    "small_cnn": (_small_cnn, 1e-5),
    "mobilenet_v2": (_mobilenet_v2, 1e-5),
}


def assert_close(actual, expected, rel_tol, name):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, name
    scale = float(np.max(np.abs(expected)))
    assert scale > 0, name
    worst = float(np.max(np.abs(actual - expected)))
    assert worst <= rel_tol * scale, f"{name}: max difference {worst:.3g} vs scale {scale:.3g}"


@pytest.fixture(scope="module", params=sorted(MODELS))
def converted(request, tmp_path_factory):
    builder, rel_tol = MODELS[request.param]
    content = _convert(builder())
    path = tmp_path_factory.mktemp("models") / f"{request.param}.tflite"
    path.write_bytes(content)
    return request.param, content, path, rel_tol


def _run(interp_cls, content, inputs, **kwargs):
    interp = interp_cls(model_content=content, **kwargs)
    interp.allocate_tensors()
    outs = []
    for x in inputs:
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        outs.append(interp.get_tensor(interp.get_output_details()[0]["index"]))
    return outs


def test_agrees_with_tflite(converted):
    name, content, _, rel_tol = converted
    ours_detail = Interpreter(model_content=content).get_input_details()[0]
    rng = np.random.default_rng(42)
    inputs = [rng.standard_normal(ours_detail["shape"]).astype(np.float32) for _ in range(3)]
    ours = _run(Interpreter, content, inputs)
    theirs = _run(ReferenceInterpreter, content, inputs)
    for a, b in zip(ours, theirs):
        assert_close(a, b, rel_tol, name)
    # The outputs must also differ between inputs: a constant output would agree trivially.
    assert np.max(np.abs(ours[0] - ours[1])) > 1e-3 * np.max(np.abs(ours[0]))


def test_loads_from_path_and_batch_resize(converted):
    name, content, path, rel_tol = converted
    interp = Interpreter(model_path=str(path))
    detail = interp.get_input_details()[0]
    batch_shape = [2] + list(detail["shape"][1:])
    interp.resize_tensor_input(detail["index"], batch_shape)
    interp.allocate_tensors()
    rng = np.random.default_rng(7)
    x = rng.standard_normal(batch_shape).astype(np.float32)
    interp.set_tensor(detail["index"], x)
    interp.invoke()
    batched = interp.get_tensor(interp.get_output_details()[0]["index"])
    assert batched.shape[0] == 2
    single = _run(ReferenceInterpreter, content, [x[:1], x[1:]])
    assert_close(batched, np.concatenate(single), rel_tol, name)


def test_matches_keras_predict():
    """Independent of TensorFlow Lite altogether: the converted MLP agrees with Keras."""
    model = _mlp()
    content = _convert(model)
    x = np.random.default_rng(5).standard_normal((1, 20)).astype(np.float32)
    (ours,) = _run(Interpreter, content, [x])
    assert_close(ours, model.predict(x, verbose=0), 1e-5, "mlp vs keras")


def test_litert_run_on_model(converted, litert_run):
    name, _, path, _ = converted
    import subprocess

    result = subprocess.run([str(litert_run), str(path), "--runs", "2"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    detail = Interpreter(model_path=str(path)).get_output_details()[0]
    shape = ", ".join(str(d) for d in detail["shape"])
    assert f"float32 [{shape}]" in result.stdout, result.stdout
    assert "latency median:" in result.stdout
