"""Quantization benchmark on a real task: scikit-learn's handwritten digits.

    python bench/quantize_digits.py [--epochs N] [--seed S]

Trains a small Keras CNN on sklearn.datasets.load_digits (1797 grey 8x8 images of the digits
0-9; a fixed stratified 75/25 train/test split), converts it with litert's own converter to
float32, float16, dynamic-range (int8 weights, float activations) and full-integer int8
(calibrated on 200 training images), runs every file on the test set in litert and in
TensorFlow Lite's interpreter, and prints a Markdown table: file bytes, size relative to the
float32 file, test accuracy in each runtime, and the accuracy change against Keras' float
model.

Why the model has a Dense(256) layer: on 8x8 inputs a CNN's convolutions hold a few thousand
weights, so the file would be mostly fixed costs (flatbuffer tables, tensor names, int32 biases,
quantization parameters) and the size ratio of a quantized file would say little about the
quantizer. The Flatten(1024) -> Dense(256) layer holds ~92% of the ~283k weights, as the dense
layers of real classifiers do, so the ratio measures what quantization saves on weights. The
ideal is 0.25; int8 files add int32 biases and, per output channel, a float32 scale and an
int64 zero point for both the weights and the bias (TensorFlow Lite's format), ~10 kB here.

Targets (from the quantization issue; tests/test_quantize_digits.py asserts them on a shorter
training): int8 accuracy within 1 point of float, int8 file at most 0.27x the float file;
with pruning, 75%-pruned int8 at most 0.15x and accuracy within 2 points after fine-tuning.
Pruned rows (75% of the conv / dense weights zero, in 1x4 blocks, after prune_and_finetune,
stored sparse by convert(..., prune=0.75, prune_block="1x4")) are added when the converter has
pruning; otherwise the script says it is not available. TensorFlow Lite's XNNPACK delegate
refuses the sparse int8 FULLY_CONNECTED at prepare; the script then runs that file with
TensorFlow Lite's builtin kernels and says so under the table.

Runs in about 15 s on 2 cores (training ~5 s, pruning and fine-tuning ~4 s)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Run from a source checkout (python bench/quantize_digits.py): import litert and its converter
# from the checkout, not from an installed copy that may be older.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isfile(os.path.join(_ROOT, "litert", "__init__.py")) and _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

MODES = ("float32", "float16", "dynamic", "int8")
CALIBRATION_SAMPLES = 200
PRUNE_SPARSITY = 0.75
# Blocks of 1x4 weights: one uint8 index per 4 int8 values. With single weights (1x1) each
# int8 value of the 1024-wide Dense kernel needs a uint16 column index: 3 bytes per kept
# weight, which cannot reach 0.15x at 75% sparsity.
PRUNE_BLOCK = "1x4"
TEST_FRACTION = 0.25
SPLIT_SEED = 0          # the train/test split never changes with --seed


# ---- data and model -----------------------------------------------------------------------

def load_data():
    """(x_train, y_train, x_test, y_test): images scaled to [0, 1], shape (n, 8, 8, 1)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=SPLIT_SEED, stratify=y)
    return x_train, y_train, x_test, y_test


def build_model():
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 1), name="image")
    h = layers.Conv2D(32, 3, padding="same", use_bias=False, name="conv1")(inputs)
    h = layers.BatchNormalization(name="bn1")(h)
    h = layers.ReLU(name="relu1")(h)
    h = layers.Conv2D(64, 3, padding="same", use_bias=False, name="conv2")(h)
    h = layers.BatchNormalization(name="bn2")(h)
    h = layers.ReLU(name="relu2")(h)
    h = layers.MaxPooling2D(2, name="pool")(h)                 # 4 x 4 x 64
    h = layers.Flatten(name="flatten")(h)                      # 1024
    h = layers.Dense(256, activation="relu", name="dense")(h)  # 262k of the ~283k weights
    outputs = layers.Dense(10, activation="softmax", name="probs")(h)
    return keras.Model(inputs, outputs, name="digits_cnn")


def train(model, x, y, epochs: int, seed: int, learning_rate: float = 2e-3) -> None:
    import keras
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, verbose=0)


# ---- running the files --------------------------------------------------------------------

def predict_file(interpreter_cls, content: bytes, x: np.ndarray) -> np.ndarray:
    """Class scores for the batch x from a .tflite file (int8 inputs / outputs are quantized /
    dequantized with the parameters the file declares)."""
    interp = interpreter_cls(model_content=content)
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], list(x.shape))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if np.dtype(inp["dtype"]) == np.int8:
        scale, zero_point = inp["quantization"]
        scaled = x.astype(np.float64) / scale
        q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zero_point
        interp.set_tensor(inp["index"], np.clip(q, -128, 127).astype(np.int8))
    else:
        interp.set_tensor(inp["index"], x.astype(np.float32))
    interp.invoke()
    y = interp.get_tensor(out["index"])
    if np.dtype(out["dtype"]) == np.int8:
        scale, zero_point = out["quantization"]
        y = scale * (y.astype(np.float32) - zero_point)
    return y


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(scores, axis=-1) == labels))


# ---- pruning (when the converter has it) --------------------------------------------------

def pruning_api() -> tuple[Optional[Callable], str]:
    """(prune_and_finetune, "") when litert.converter.prune provides it and convert() takes
    prune=, else (None, why not)."""
    import inspect
    try:
        from litert.converter import prune as prune_module
    except ImportError as exc:
        return None, f"litert.converter.prune does not exist yet ({exc})"
    fn = getattr(prune_module, "prune_and_finetune", None)
    if fn is None:
        return None, "litert.converter.prune has no prune_and_finetune function yet"
    from litert.converter import convert
    if "prune" not in inspect.signature(convert).parameters:
        return None, "convert() does not take prune= yet"
    return fn, ""


# ---- the benchmark ------------------------------------------------------------------------

@dataclass
class Row:
    mode: str
    bytes: int
    ratio: float
    litert_accuracy: Optional[float]  # None: litert could not run the file (see litert_error)
    tflite_accuracy: float
    keras_accuracy: float           # the float Keras model the file was converted from
    litert_error: str = ""          # why litert (or TFLite's default kernels) could not run it

    @property
    def delta_points(self) -> float:
        """Accuracy minus Keras float accuracy, in percentage points (litert's, or TensorFlow
        Lite's when litert could not run the file)."""
        acc = self.litert_accuracy if self.litert_accuracy is not None else self.tflite_accuracy
        return 100.0 * (acc - self.keras_accuracy)


@dataclass
class Result:
    rows: list[Row]
    keras_accuracy: float
    pruning_note: str = ""          # why pruned rows are missing ("" when present)
    seconds: dict[str, float] = field(default_factory=dict)

    def row(self, mode: str) -> Row:
        for r in self.rows:
            if r.mode == mode:
                return r
        raise KeyError(mode)


def run_benchmark(epochs: int = 12, seed: int = 0, finetune_epochs: int = 4,
                  with_pruning: bool = True, data: Any = None) -> Result:
    """Trains, converts in every mode, evaluates; the core of the script (tests call it with
    fewer epochs). `data`: (x_train, y_train, x_test, y_test), default load_data()."""
    import keras
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    from litert import Interpreter
    from litert.converter import convert

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = data if data is not None else load_data()
    keras.utils.set_random_seed(seed)
    model = build_model()
    train(model, x_train, y_train, epochs, seed)
    seconds["train"] = time.perf_counter() - t0
    keras_acc = accuracy(model.predict(x_test, verbose=0), y_test)
    calibration = x_train[:CALIBRATION_SAMPLES]

    def evaluate(mode: str, content: bytes, reference_acc: float,
                 litert_may_fail: bool = False) -> Row:
        notes = []
        try:
            tflite_acc = accuracy(predict_file(TFLiteInterpreter, content, x_test), y_test)
        except RuntimeError as exc:
            if not litert_may_fail:
                raise
            # TensorFlow Lite's XNNPACK delegate refuses some sparse ops at prepare; its
            # builtin kernels run them.
            from functools import partial
            from ai_edge_litert.interpreter import OpResolverType
            builtin = partial(TFLiteInterpreter, experimental_op_resolver_type=
                              OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            tflite_acc = accuracy(predict_file(builtin, content, x_test), y_test)
            notes.append(f"TFLite ran it without its XNNPACK delegate, which failed: "
                         f"{str(exc).splitlines()[0]}")
        try:
            litert_acc, error = accuracy(predict_file(Interpreter, content, x_test), y_test), ""
        except (ValueError, RuntimeError) as exc:
            if not litert_may_fail:
                raise
            litert_acc = None
            notes.append(f"litert could not run it: {exc}")
        return Row(mode, len(content), 0.0, litert_acc, tflite_acc, reference_acc,
                   "; ".join(notes))

    t0 = time.perf_counter()
    rows = []
    for mode in MODES:
        quantize = None if mode == "float32" else mode
        content = convert(model, quantize=quantize,
                          calibration=calibration if mode == "int8" else None)
        rows.append(evaluate(mode, content, keras_acc))
    seconds["convert+evaluate"] = time.perf_counter() - t0

    note = ""
    if with_pruning:
        prune_and_finetune, note = pruning_api()
        if prune_and_finetune is not None:
            t0 = time.perf_counter()
            try:
                pruned = prune_and_finetune(model, x_train, y_train, sparsity=PRUNE_SPARSITY,
                                            epochs=finetune_epochs, block=PRUNE_BLOCK)
                pruned = pruned if pruned is not None else model
                for mode in ("float32", "int8"):
                    content = convert(pruned, quantize=None if mode == "float32" else mode,
                                      calibration=calibration if mode == "int8" else None,
                                      prune=PRUNE_SPARSITY, prune_block=PRUNE_BLOCK)
                    # Accuracy change stays measured against the unpruned float model.
                    # litert may lack the sparse kernels (an older installed library).
                    rows.append(evaluate(f"{mode} pruned {PRUNE_SPARSITY:.0%} ({PRUNE_BLOCK})", content,
                                         keras_acc, litert_may_fail=True))
            except TypeError as exc:   # the pruning API differs from what this script calls
                note = f"pruning API call failed: {exc}"
            seconds["prune"] = time.perf_counter() - t0
    else:
        note = "pruning not requested"

    float_bytes = rows[0].bytes
    for r in rows:
        r.ratio = r.bytes / float_bytes
    return Result(rows, keras_acc, note, seconds)


def format_table(result: Result) -> str:
    lines = [
        "| mode | file bytes | ratio to float | accuracy (litert) | accuracy (TFLite) | "
        "vs Keras float |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for r in result.rows:
        litert = "n/a" if r.litert_accuracy is None else f"{100 * r.litert_accuracy:.2f}%"
        lines.append(f"| {r.mode} | {r.bytes:,} | {r.ratio:.3f}x | {litert} | "
                     f"{100 * r.tflite_accuracy:.2f}% | {r.delta_points:+.2f} pt |")
        if r.litert_error:
            notes.append(f"'{r.mode}': {r.litert_error}.")
    lines.append("")
    lines.append(f"Keras float accuracy: {100 * result.keras_accuracy:.2f}% "
                 f"(test set: {round(1797 * TEST_FRACTION)} images).")
    lines.extend(notes)
    if result.pruning_note:
        lines.append(f"Pruning is not available yet: {result.pruning_note}.")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--finetune-epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = run_benchmark(epochs=args.epochs, seed=args.seed,
                           finetune_epochs=args.finetune_epochs)
    print(format_table(result))
    print("\nseconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
