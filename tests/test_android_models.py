"""The demo app's models (android-demo/app/src/main/assets) and the script that makes them.

The committed files must be what android-demo/make_models.py writes, in behaviour: the
input / output contract the app's code relies on (DigitClassifier.java: one 8x8x1 input, ten
probabilities; float32 in and out for the float model, int8 with scale and zero point for the
int8 model), small enough to commit, and accurate on the held-out digits in litert's Python
interpreter. The samples file holds held-out images the models get right.

The script itself runs too, with a short training (3 epochs instead of 15, ~8 s), into a
temporary directory: its files must have the same contract as the committed ones and still
reach the accuracy bar, so the script cannot rot while the committed files stay green.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import litert

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "android-demo" / "make_models.py"
ASSETS = ROOT / "android-demo" / "app" / "src" / "main" / "assets"
MODELS = ("digits_float32.tflite", "digits_int8.tflite")
MAX_BYTES = 200_000
MIN_ACCURACY = 0.90        # the bar; the committed models reach ~99.8%
COMMITTED_MIN_ACCURACY = 0.97


def _script():
    spec = importlib.util.spec_from_file_location("make_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_models():
    return _script()


@pytest.fixture(scope="module")
def split(make_models):
    pytest.importorskip("sklearn")
    return make_models.load_split()


def _io(path):
    it = litert.Interpreter(model_path=str(path))
    it.allocate_tensors()
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    return inp, out


def _check_contract(directory):
    """The app's expectations of the two files (DigitClassifier.java)."""
    for name in MODELS:
        path = directory / name
        assert path.stat().st_size < MAX_BYTES, f"{name} is {path.stat().st_size} bytes"
        inp, out = _io(path)
        assert list(inp["shape"]) == [1, 8, 8, 1] and list(out["shape"]) == [1, 10], name
        assert list(inp["shape_signature"]) == [-1, 8, 8, 1], name  # batch resizable
        dtype = np.float32 if "float32" in name else np.int8
        assert inp["dtype"] == dtype and out["dtype"] == dtype, name
        if dtype == np.int8:
            assert inp["quantization"][0] > 0 and out["quantization"][0] > 0
            # Softmax output: [0, 1] over the int8 range.
            assert out["quantization"] == pytest.approx((1 / 256, -128))


def _accuracy(make_models, path, x, y):
    scores = make_models.predict(path.read_bytes(), x)
    assert scores.shape == (len(x), 10)
    return float(np.mean(np.argmax(scores, -1) == y))


def test_committed_models_follow_the_app_contract():
    _check_contract(ASSETS)


@pytest.mark.parametrize("name", MODELS)
def test_committed_model_accuracy(make_models, split, name):
    _, _, x_test, y_test, _ = split
    accuracy = _accuracy(make_models, ASSETS / name, x_test, y_test)
    assert accuracy >= COMMITTED_MIN_ACCURACY, f"{name}: {100 * accuracy:.2f}% held-out"


def test_samples_are_held_out_images_the_models_get_right(make_models, split):
    _, _, _, y_test, raw_test = split
    rows = np.loadtxt(ASSETS / "digits_samples.csv", delimiter=",", skiprows=1, dtype=np.int64)
    assert rows.shape == (10, 65)
    labels, images = rows[:, 0], rows[:, 1:].reshape(10, 8, 8)
    assert sorted(labels) == list(range(10))
    assert images.min() >= 0 and images.max() <= 16
    flat_test = raw_test.reshape(len(raw_test), -1)
    for label, image in zip(labels, images):
        matches = np.flatnonzero((flat_test == image.reshape(-1)).all(axis=1))
        assert matches.size and (y_test[matches] == label).all(), f"sample {label}"
    x = make_models.to_input(images)
    for name in MODELS:
        predicted = make_models.predict((ASSETS / name).read_bytes(), x).argmax(-1)
        assert list(predicted) == list(labels), name


def test_script_regenerates_equivalent_models(make_models, split, tmp_path):
    pytest.importorskip("keras")
    accuracies = make_models.make(str(tmp_path), epochs=3, seed=0, verbose=lambda *_: None)
    _check_contract(tmp_path)
    _, _, x_test, y_test, _ = split
    for name in MODELS:
        assert accuracies[name] >= MIN_ACCURACY, f"{name}: {100 * accuracies[name]:.2f}%"
        assert accuracies[name] == pytest.approx(
            _accuracy(make_models, tmp_path / name, x_test, y_test))
        # Same architecture and conversion as the committed files: sizes within a few bytes
        # (only weights differ; the int8 file's per-channel parameters are the same count).
        committed = (ASSETS / name).stat().st_size
        assert abs((tmp_path / name).stat().st_size - committed) <= 0.02 * committed, name
    assert (tmp_path / "digits_samples.csv").read_text().count("\n") == 11
