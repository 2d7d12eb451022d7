"""Whole keras.applications models converted by our converter: the file runs here and in
TensorFlow Lite's interpreter, and both agree with Keras' own predict.

Untrained weights (weights=None, fixed seed) give tiny, nearly uniform outputs, so the models
end in logits (classifier_activation=None) and the tolerance is relative to the largest
output magnitude: float32 evaluation in a different order than Keras' drifts by ~1e-6
relative over 50-150 ops."""
import time

import numpy as np
import pytest

from litert import Interpreter

keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402

from litert.converter import convert  # noqa: E402

REL_TOL = 1e-4


def _mobilenet_v2():
    return keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                          classifier_activation=None)


def _mobilenet_v3_small():
    return keras.applications.MobileNetV3Small(weights=None, input_shape=(96, 96, 3),
                                               classifier_activation=None)


def _efficientnet_b0():
    return keras.applications.EfficientNetB0(weights=None, input_shape=(96, 96, 3),
                                             classifier_activation=None)


def _resnet50():
    return keras.applications.ResNet50(weights=None, input_shape=(96, 96, 3),
                                       classifier_activation=None)


APPLICATIONS = {
    "MobileNetV2": _mobilenet_v2,
    "MobileNetV3Small": _mobilenet_v3_small,
    "EfficientNetB0": _efficientnet_b0,
    "ResNet50": _resnet50,
}


def _run(interp_cls, content, x):
    interp = interp_cls(model_content=content)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_agrees_with_keras_and_tflite(name):
    keras.utils.set_random_seed(11)
    model = APPLICATIONS[name]()
    start = time.perf_counter()
    content = convert(model)
    seconds = time.perf_counter() - start
    x = np.random.default_rng(0).uniform(0, 255, (1, 96, 96, 3)).astype(np.float32)
    expected = np.asarray(model.predict(x, verbose=0))
    scale = float(np.max(np.abs(expected)))
    assert scale > 0
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        got = _run(cls, content, x)
        assert got.shape == expected.shape, (name, runtime)
        worst = float(np.max(np.abs(got - expected)))
        assert worst <= REL_TOL * scale, (
            f"{name} in {runtime}: max |diff| {worst:.3g} vs max |keras| {scale:.3g}")
    print(f"{name}: converted in {seconds:.1f} s, {len(content) / 1e6:.1f} MB")
