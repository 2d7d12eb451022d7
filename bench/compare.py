"""Benchmark: litert against TensorFlow Lite (ai_edge_litert, XNNPACK) on the same .tflite files.

Both runtimes run in this one process on the same file and the same inputs, interleaved (ours,
theirs, ours, theirs, ...) so that clock changes and background load hit both alike. After a
warm-up, each of `--repeat` rounds times one batch of invokes per runtime; the batch size is
chosen once per model so that a batch lasts a few milliseconds, which keeps timer and Python
overhead out of the sub-millisecond models. Reported: median and min ms per invoke, the
ratio of the medians (ours / theirs: below 1 means litert is faster), and the largest
difference between the two runtimes' outputs as a sanity check (in real units for float
outputs, in quantization steps for int8 outputs).

Models are made here, never downloaded: Keras models with random weights (deterministic seeds,
weights=None for the applications) converted by TensorFlow's converter ("tf") and by ours
("litert", litert.converter.convert). They are cached as .tflite files in --models-dir
(default ~/.cache/litert-bench), so only the first run pays for the conversions (a few
minutes for all of them; ResNet50 and the int8 calibrations take longest). Run from the
repository root:

    LITERT_LIBRARY=/path/to/liblitert.so python bench/compare.py [--models mnv2,mlp]
        [--threads 1,2] [--repeat 20] [--quick] [--isa avx2] [--rebuild]

--models takes model keys or their prefixes (see --list). The table is Markdown, on stdout;
progress goes to stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow

# Runs from a checkout without installing: litert (and litert.converter) from the repository.
_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:
    sys.path.insert(0, str(_REPO))

DEFAULT_MODELS_DIR = Path("~/.cache/litert-bench").expanduser()
# Part of every cached file name: bump it when a builder below changes what it makes.
CACHE_VERSION = "v2"  # v2: our converter folds SAME-equivalent PADs into convs
# A timed batch of invokes lasts about this long (seconds), however fast the model is.
BATCH_SECONDS = 0.005

IMAGE = (224, 224, 3)
VOCAB, SEQ = 1000, 32


# ---- models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    """One benchmark model: how to make its .tflite bytes and inputs."""

    key: str            # unique; --models selects by key or key prefix
    title: str          # the table's model column
    dtype: str          # "float32", "int8" or "dynamic" (int8 weights, float32 activations)
    converter: str      # "tf" (TensorFlow's TFLiteConverter) or "litert" (ours)
    build: Callable[[], bytes]
    feed: str = "image"  # how inputs are made: "image", "dense" or "tokens"


def _keras():
    import keras

    return keras


def _tf_convert(model, int8_samples=None) -> bytes:
    """TensorFlow's converter; with int8_samples, full-integer quantization with int8 inputs
    and outputs calibrated on those samples."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8_samples is not None:
        def representative():
            for sample in int8_samples:
                yield [sample[None].astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def _litert_convert(model, int8_samples=None) -> bytes:
    from litert.converter import convert

    if int8_samples is None:
        return convert(model)
    return convert(model, quantize="int8", calibration=int8_samples)


def _litert_convert_dynamic(model) -> bytes:
    """Dynamic-range quantization: int8 weights, float32 activations (hybrid ops)."""
    from litert.converter import convert

    return convert(model, quantize="dynamic")


def _calibration_images(count=8, seed=3) -> np.ndarray:
    """Random images in [-1, 1] (MobileNetV2's input range) for int8 calibration."""
    return np.random.default_rng(seed).uniform(-1, 1, (count, *IMAGE)).astype(np.float32)


def _mobilenet_v2():
    keras = _keras()
    keras.utils.set_random_seed(11)
    # Logits (no softmax): with random weights the softmax is nearly uniform, which would
    # hide output differences in the sanity column.
    return keras.applications.MobileNetV2(weights=None, input_shape=IMAGE,
                                          classifier_activation=None)


def _resnet50():
    keras = _keras()
    keras.utils.set_random_seed(12)
    return keras.applications.ResNet50(weights=None, input_shape=IMAGE,
                                       classifier_activation=None)


def _mlp():
    """784-512-256-10, ReLU, softmax head (an MNIST-sized classifier)."""
    keras = _keras()
    keras.utils.set_random_seed(13)
    return keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])


def _random_biases(model, seed):
    """Keras starts biases at zero (LSTM: forget gate at one); random ones make them count."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "bias" in w.path:
            w.assign(rng.normal(0, 0.5, w.shape).astype(np.float32))


def _lstm():
    """Embedding + LSTM(128) text classifier over SEQ tokens (as in the converter's tests,
    larger); our converter unrolls the recurrence into plain ops."""
    keras = _keras()
    keras.utils.set_random_seed(14)
    tokens = keras.Input((SEQ,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(VOCAB, 64)(tokens)
    x = keras.layers.LSTM(128)(x)
    out = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(tokens, out)
    _random_biases(model, 14)
    return model


def _transformer(embed=64, heads=4, ff=256):
    """One post-norm transformer encoder block over SEQ tokens, with token and learned
    position embeddings (positions are a second int32 input) and a pooled softmax head, as
    in the converter's tests, larger."""
    keras = _keras()
    keras.utils.set_random_seed(15)
    tokens = keras.Input((SEQ,), dtype="int32", name="tokens")
    positions = keras.Input((SEQ,), dtype="int32", name="positions")
    x = keras.layers.Add()([keras.layers.Embedding(VOCAB, embed)(tokens),
                            keras.layers.Embedding(SEQ, embed)(positions)])
    attn = keras.layers.MultiHeadAttention(heads, embed // heads)(x, x)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, attn]))
    h = keras.layers.Dense(ff, activation="gelu")(x)
    h = keras.layers.Dense(embed)(h)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, h]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model([tokens, positions], out)
    _random_biases(model, 15)
    return model


SPECS = [
    ModelSpec("mnv2-f32-tf", "MobileNetV2 224", "float32", "tf",
              lambda: _tf_convert(_mobilenet_v2())),
    ModelSpec("mnv2-f32-litert", "MobileNetV2 224", "float32", "litert",
              lambda: _litert_convert(_mobilenet_v2())),
    ModelSpec("mnv2-int8-tf", "MobileNetV2 224", "int8", "tf",
              lambda: _tf_convert(_mobilenet_v2(), _calibration_images())),
    ModelSpec("mnv2-int8-litert", "MobileNetV2 224", "int8", "litert",
              lambda: _litert_convert(_mobilenet_v2(), _calibration_images())),
    ModelSpec("mnv2-dyn-litert", "MobileNetV2 224", "dynamic", "litert",
              lambda: _litert_convert_dynamic(_mobilenet_v2())),
    ModelSpec("resnet50-f32-tf", "ResNet50 224", "float32", "tf",
              lambda: _tf_convert(_resnet50())),
    ModelSpec("mlp-f32-tf", "MLP 784-512-256-10", "float32", "tf",
              lambda: _tf_convert(_mlp()), feed="dense"),
    ModelSpec("mlp-f32-litert", "MLP 784-512-256-10", "float32", "litert",
              lambda: _litert_convert(_mlp()), feed="dense"),
    ModelSpec("mlp-dyn-litert", "MLP 784-512-256-10", "dynamic", "litert",
              lambda: _litert_convert_dynamic(_mlp()), feed="dense"),
    ModelSpec("lstm-f32-litert", f"Embedding+LSTM(128), {SEQ} steps", "float32", "litert",
              lambda: _litert_convert(_lstm()), feed="tokens"),
    ModelSpec("transformer-f32-litert", f"Transformer encoder block, {SEQ} tokens", "float32",
              "litert", lambda: _litert_convert(_transformer()), feed="tokens"),
]


def select(names: str | None, specs: list[ModelSpec] | None = None) -> list[ModelSpec]:
    """The specs (default: SPECS) named by a comma-separated list of keys or key prefixes
    (all when None), in table order. Raises ValueError naming what matched nothing."""
    specs = SPECS if specs is None else specs
    if not names:
        return list(specs)
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if not any(s.key.startswith(n) for s in specs)]
    if unknown:
        raise ValueError(f"no model matches {', '.join(unknown)}; models: "
                         f"{', '.join(s.key for s in specs)}")
    return [s for s in specs if any(s.key.startswith(n) for n in wanted)]


def ensure_model(spec: ModelSpec, models_dir: Path, rebuild: bool = False) -> Path:
    """The cached .tflite file of `spec`, built first if missing (or if `rebuild`)."""
    path = Path(models_dir) / f"{spec.key}-{CACHE_VERSION}.tflite"
    if path.is_file() and not rebuild:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"building {spec.key} ...")
    start = time.perf_counter()
    # TensorFlow's converter prints its SavedModel export on stdout, where the table goes.
    with contextlib.redirect_stdout(sys.stderr):
        content = spec.build()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)  # atomic: an interrupted build never leaves a truncated model
    log(f"  {path} ({len(content) / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s")
    return path


# ---- inputs ------------------------------------------------------------------------------


def make_inputs(details: list[dict], feed: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Deterministic inputs by tensor name for the input `details` of either interpreter.
    int8 inputs span their whole range; token inputs are ids below VOCAB, except inputs
    named like positions, which get 0..SEQ-1."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for d in details:
        shape, dtype = tuple(int(n) for n in d["shape"]), np.dtype(d["dtype"])
        if dtype.kind == "f":
            low, high = (0.0, 1.0) if feed == "dense" else (-1.0, 1.0)
            value = rng.uniform(low, high, shape).astype(dtype)
        elif dtype == np.int8 or dtype == np.uint8:
            info = np.iinfo(dtype)
            value = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
        elif "position" in d["name"]:
            value = np.broadcast_to(np.arange(shape[-1]), shape).astype(dtype)
        else:
            value = rng.integers(0, VOCAB if feed == "tokens" else 8, shape).astype(dtype)
        feeds[d["name"]] = value
    return feeds


# ---- timing ------------------------------------------------------------------------------


def _ready(cls, content: bytes, threads: int, feeds: dict, **kwargs):
    it = cls(model_content=content, num_threads=threads, **kwargs)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], feeds[d["name"]])
    return it


def _outputs(it) -> list[np.ndarray]:
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def _max_difference(ours: list[np.ndarray], theirs: list[np.ndarray]) -> tuple[float, float]:
    """Largest |ours - theirs| over all outputs (int outputs: in integer steps), and the
    largest |theirs|, to read the first against (random-weight MobileNetV2 logits are ~1e-11).
    (inf, inf) when the outputs do not even have the same shapes."""
    if len(ours) != len(theirs):
        return math.inf, math.inf
    worst = scale = 0.0
    for a, b in zip(ours, theirs):
        if a.shape != b.shape:
            return math.inf, math.inf
        if a.size:
            a, b = a.astype(np.float64), b.astype(np.float64)
            worst = max(worst, float(np.max(np.abs(a - b))))
            scale = max(scale, float(np.max(np.abs(b))))
    return worst, scale


def _batch(it, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        it.invoke()
    return (time.perf_counter() - start) / count


def benchmark(content: bytes, threads: int, repeat: int, warmup: int = 2, feed: str = "image",
              isa: str | None = None, batch_seconds: float = BATCH_SECONDS) -> dict:
    """Times litert and TensorFlow Lite on one model with `threads` threads, interleaved.
    Returns {'ours_ms', 'theirs_ms' (medians per invoke), 'ours_min_ms', 'theirs_min_ms',
    'ratio' (ours / theirs, medians), 'max_diff' (largest output difference), 'out_scale'
    (largest |output| of TFLite), 'isa', 'batch'}."""
    import litert
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    probe = litert.Interpreter(model_content=content)
    feeds = make_inputs(probe.get_input_details(), feed)
    probe.close()
    ours = _ready(litert.Interpreter, content, threads, feeds, isa=isa)
    theirs = _ready(TFLiteInterpreter, content, threads, feeds)
    pair = (ours, theirs)
    for _ in range(max(warmup, 1)):
        for it in pair:
            it.invoke()
    max_diff, out_scale = _max_difference(_outputs(ours), _outputs(theirs))
    # One batch size for both runtimes (the slower one's single invoke sets it), so both are
    # timed over the same number of invokes per round.
    slowest = max(_batch(it, 1) for it in pair)
    batch = max(1, min(1000, int(batch_seconds / max(slowest, 1e-7))))
    times = ([], [])
    for _ in range(repeat):
        for it, acc in zip(pair, times):
            acc.append(_batch(it, batch))
    return {
        "ours_ms": statistics.median(times[0]) * 1e3,
        "theirs_ms": statistics.median(times[1]) * 1e3,
        "ours_min_ms": min(times[0]) * 1e3,
        "theirs_min_ms": min(times[1]) * 1e3,
        "ratio": statistics.median(times[0]) / statistics.median(times[1]),
        "max_diff": max_diff,
        "out_scale": out_scale,
        "isa": ours.isa,
        "batch": batch,
    }


# ---- report ------------------------------------------------------------------------------

# No '|' inside a cell: it would split the Markdown column.
HEADER = ("model", "dtype", "converter", "threads", "ours ms (min)", "TFLite ms (min)",
          "ratio ours/TFLite", "max abs diff")


def _ms(median: float, low: float) -> str:
    # About three significant digits: 48.6, 5.20, 0.500, 0.0800 (at most 4 decimals).
    magnitude = math.floor(math.log10(median)) if median > 0 else 0
    digits = max(1, min(4, 2 - magnitude))
    return f"{median:.{digits}f} ({low:.{digits}f})"


def table_row(spec: ModelSpec, threads: int, result: dict) -> list[str]:
    diff, scale = result["max_diff"], result.get("out_scale", 0.0)
    if math.isinf(diff):
        diff_text = "outputs differ in shape"
    elif spec.dtype == "int8":
        diff_text = f"{diff:.0f} steps"
    else:
        diff_text = f"{diff:.2g}" + (f" (rel {diff / scale:.1g})" if scale > 0 else "")
    return [spec.title, spec.dtype, spec.converter, str(threads),
            _ms(result["ours_ms"], result["ours_min_ms"]),
            _ms(result["theirs_ms"], result["theirs_min_ms"]),
            f"{result['ratio']:.2f}", diff_text]


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |",
             "|" + "|".join("---" if i < 3 else "---:" for i in range(len(HEADER))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(isa: str | None) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        tflite = f"ai-edge-litert {version('ai-edge-litert')}"
    except Exception:  # not installed as a distribution: the table still says TFLite
        tflite = "ai-edge-litert"
    return (f"{cpu}, {os.cpu_count()} logical CPUs; litert kernels: {isa}; TFLite: {tflite} "
            "(default XNNPACK delegate)")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _thread_list(text: str) -> list[int]:
    try:
        threads = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--threads expects e.g. 1,2; got {text!r}") from None
    if not threads or min(threads) < 1:
        raise argparse.ArgumentTypeError(f"--threads expects counts >= 1; got {text!r}")
    return threads


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="litert vs TensorFlow Lite (XNNPACK) latency on the same .tflite files.")
    parser.add_argument("--models", help="comma-separated model keys or prefixes (default: "
                        "all; e.g. mnv2,mlp); see --list")
    parser.add_argument("--threads", type=_thread_list, default=[1, 2],
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed rounds per runtime (default 20, --quick 5)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed invokes per runtime first (default 3, --quick 1)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer rounds and shorter batches: a rough table fast")
    parser.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR,
                        help=f"cache of the generated models (default {DEFAULT_MODELS_DIR})")
    parser.add_argument("--rebuild", action="store_true",
                        help="regenerate the selected models even if cached")
    parser.add_argument("--isa", choices=["portable", "avx2", "avx512", "avx512vnni"],
                        help="cap litert's kernels at this level (default: the CPU's best)")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 5 if args.quick else 20
    if args.warmup is None:
        args.warmup = 1 if args.quick else 3
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    return args


def main(argv=None) -> list[list[str]]:
    """Runs the benchmark, prints the Markdown table, returns its rows."""
    args = parse_args(argv)
    if args.list:
        for spec in SPECS:
            print(f"{spec.key:24s} {spec.title} ({spec.dtype}, {spec.converter} converter)")
        return []
    try:
        specs = select(args.models)
    except ValueError as exc:
        raise SystemExit(f"compare.py: {exc}") from None
    paths = {spec.key: ensure_model(spec, args.models_dir, args.rebuild) for spec in specs}
    rows, isa = [], None
    batch_seconds = BATCH_SECONDS / 5 if args.quick else BATCH_SECONDS
    for spec in specs:
        content = paths[spec.key].read_bytes()
        for threads in args.threads:
            log(f"timing {spec.key}, {threads} thread(s) ...")
            result = benchmark(content, threads, args.repeat, args.warmup, spec.feed,
                               args.isa, batch_seconds)
            isa = result["isa"]
            rows.append(table_row(spec, threads, result))
    print(f"Machine: {machine_line(isa)}. Median (min) ms per invoke over {args.repeat} "
          "interleaved rounds; max abs diff: largest difference between the two runtimes' "
          "outputs (int8: in quantization steps; float: also relative to the largest output).\n")
    print(markdown_table(rows))
    return rows


if __name__ == "__main__":
    main()
