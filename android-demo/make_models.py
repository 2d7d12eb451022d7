"""Trains the demo app's digit classifier and converts it with litert's converter.

    python android-demo/make_models.py [--epochs N] [--seed S] [--out DIR]

Writes into app/src/main/assets/ (or --out):
  digits_float32.tflite  float32 model: input float32 [1, 8, 8, 1], output float32 [1, 10]
  digits_int8.tflite     full-integer model: input int8 [1, 8, 8, 1], output int8 [1, 10]
                         (scale / zero point in the file; the app quantizes the input and
                         dequantizes the output with them)
  digits_samples.csv     ten held-out images, one per digit, that the app offers as samples
                         (header line, then `label,v0,...,v63`, values 0..16, row-major)

The data is scikit-learn's digits (1797 images, no download: the package ships it). Each image
is 8x8 with values 0..16: a 32x32 binary bitmap of a handwritten digit, size-normalized, where
each value counts the inked pixels of one 4x4 block. The model's input is that image divided
by 16 (floats in [0, 1]), shape [1, 8, 8, 1]. The app turns a finger drawing into exactly
this: it redraws the strokes into a 32x32 bitmap fitted to the digit's bounding box and counts
4x4 blocks (app/src/main/java/org/litert/demo/DigitPreprocessor.java).

Split: a fixed stratified 75/25 train/test split (random_state 0), the one
bench/quantize_digits.py uses; accuracy is reported on the 450 held-out images in litert's
Python interpreter. Training adds copies of the training images shifted by one pixel, so the
model copes with drawings that are not centred like the data set's.

The CNN is small on purpose (about 40k weights): the float32 file is about 160 kB and the int8
file about 50 kB, small enough to commit. tests/test_android_models.py checks the committed
files (shapes, types, held-out accuracy >= 90%, samples); run this script to regenerate them
(about 15 s on 2 cores). Retrained files differ bit for bit (training is not bit-reproducible
across machines and TensorFlow builds), not in behaviour."""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
# Run from a source checkout: use its litert (runtime binding and converter), not an older
# installed copy.
if os.path.isfile(os.path.join(_ROOT, "litert", "__init__.py")) and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

ASSETS_DIR = os.path.join(_HERE, "app", "src", "main", "assets")
FLOAT_FILE = "digits_float32.tflite"
INT8_FILE = "digits_int8.tflite"
SAMPLES_FILE = "digits_samples.csv"
TEST_FRACTION = 0.25
SPLIT_SEED = 0
CALIBRATION_SAMPLES = 200
EPOCHS = 15


def load_split():
    """(x_train, y_train, x_test, y_test, raw_test): x as float32 (n, 8, 8, 1) in [0, 1];
    raw_test the test images as the data set stores them (integers 0..16)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    raw = digits.images.astype(np.int64)
    y = digits.target.astype(np.int64)
    raw_train, raw_test, y_train, y_test = train_test_split(
        raw, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)
    return (to_input(raw_train), y_train, to_input(raw_test), y_test, raw_test)


def to_input(raw):
    """Data-set images (values 0..16) -> model input (float32 [n, 8, 8, 1] in [0, 1])."""
    return (np.asarray(raw, np.float32) / 16.0)[..., None]


def shifted_copies(x, y):
    """x plus its copies shifted by one pixel up, down, left and right (zeros move in)."""
    xs, ys = [x], [y]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(x, step, axis=axis)
        edge = [slice(None)] * x.ndim
        edge[axis] = 0 if step > 0 else -1
        moved[tuple(edge)] = 0.0
        xs.append(moved)
        ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def build_model():
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 1), name="image")
    h = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    h = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(h)
    h = layers.MaxPooling2D(2, name="pool")(h)                # 4 x 4 x 32
    h = layers.Flatten(name="flatten")(h)                     # 512
    h = layers.Dense(64, activation="relu", name="dense")(h)
    outputs = layers.Dense(10, activation="softmax", name="probs")(h)
    return keras.Model(inputs, outputs, name="digits_app_cnn")


def predict(content: bytes, x: np.ndarray) -> np.ndarray:
    """Class probabilities for the batch x from a .tflite file in litert's interpreter (int8
    input / output quantized / dequantized with the file's parameters)."""
    from litert import Interpreter

    interp = Interpreter(model_content=content)
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], list(x.shape))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if np.dtype(inp["dtype"]) == np.int8:
        scale, zero_point = inp["quantization"]
        q = np.round(x.astype(np.float64) / scale) + zero_point
        interp.set_tensor(inp["index"], np.clip(q, -128, 127).astype(np.int8))
    else:
        interp.set_tensor(inp["index"], x.astype(np.float32))
    interp.invoke()
    y = interp.get_tensor(out["index"])
    if np.dtype(out["dtype"]) == np.int8:
        scale, zero_point = out["quantization"]
        y = scale * (y.astype(np.float32) - zero_point)
    return y


def pick_samples(raw_test, y_test, predictions):
    """Index into the test set of one image per digit 0..9: the first one every model in
    `predictions` classifies correctly."""
    ok = np.all([np.argmax(p, axis=-1) == y_test for p in predictions], axis=0)
    picked = []
    for digit in range(10):
        candidates = np.flatnonzero((y_test == digit) & ok)
        if candidates.size == 0:
            raise RuntimeError(f"no held-out {digit} that every model classifies correctly")
        picked.append(int(candidates[0]))
    return picked


def samples_csv(raw_test, y_test, picked) -> str:
    lines = ["label," + ",".join(f"v{i}" for i in range(64))]
    for index in picked:
        values = raw_test[index].reshape(-1)
        lines.append(f"{int(y_test[index])}," + ",".join(str(int(v)) for v in values))
    return "\n".join(lines) + "\n"


def make(out_dir: str = ASSETS_DIR, epochs: int = EPOCHS, seed: int = 0, verbose=print):
    """Trains, converts, evaluates and writes the three assets; returns {file: accuracy}."""
    import keras
    from litert.converter import convert

    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test, raw_test = load_split()
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x_aug, y_aug = shifted_copies(x_train, y_train)
    model.fit(x_aug, y_aug, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
    keras_acc = float(np.mean(np.argmax(model.predict(x_test, verbose=0), -1) == y_test))
    verbose(f"trained {epochs} epochs in {time.perf_counter() - t0:.1f} s; "
            f"Keras held-out accuracy {100 * keras_acc:.2f}%")

    files = {
        FLOAT_FILE: convert(model),
        INT8_FILE: convert(model, quantize="int8", calibration=x_train[:CALIBRATION_SAMPLES],
                           io_dtype="int8"),
    }
    predictions = {name: predict(content, x_test) for name, content in files.items()}
    accuracies = {name: float(np.mean(np.argmax(p, -1) == y_test))
                  for name, p in predictions.items()}
    picked = pick_samples(raw_test, y_test, list(predictions.values()))

    os.makedirs(out_dir, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(content)
        verbose(f"{name}: {len(content):,} bytes, held-out accuracy in litert "
                f"{100 * accuracies[name]:.2f}% ({len(y_test)} images)")
    with open(os.path.join(out_dir, SAMPLES_FILE), "w", newline="\n") as f:
        f.write(samples_csv(raw_test, y_test, picked))
    verbose(f"{SAMPLES_FILE}: test images {picked}")
    verbose(f"wrote {out_dir} in {time.perf_counter() - t0:.1f} s")
    return accuracies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=ASSETS_DIR, help="output directory (default: the "
                        "app's assets)")
    args = parser.parse_args(argv)
    make(args.out, args.epochs, args.seed)


if __name__ == "__main__":
    main()
