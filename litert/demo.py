"""End-to-end demo: build a Keras model, convert it with litert's converter (or TensorFlow's),
run the file in this runtime and in TensorFlow Lite's interpreter, check both against Keras,
and print outputs and latency side by side.

    python -m litert.demo [--model mobilenet_v2|cnn|mlp] [--converter litert|tensorflow]
                          [--runs 20] [--threads 1] [--save model.tflite]

Needs the test extras (TensorFlow, ai-edge-litert): pip install '.[test]'."""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time

import numpy as np


def _build_keras_model(name: str):
    import keras

    keras.utils.set_random_seed(0)
    if name == "mobilenet_v2":
        # Logits: with untrained weights a softmax would be flat and hide every difference.
        return keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3),
                                              classifier_activation=None)
    if name == "cnn":
        return keras.Sequential([
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ])
    if name == "mlp":
        return keras.Sequential([
            keras.Input((64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
    raise SystemExit(f"unknown model {name!r}: choose mobilenet_v2, cnn or mlp")


def _time_runs(interp, index, x, runs):
    interp.set_tensor(index, x)
    interp.invoke()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mobilenet_v2", choices=["mobilenet_v2", "cnn", "mlp"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--converter", default="litert", choices=["litert", "tensorflow"],
                        help="who writes the .tflite file (default: litert's own converter)")
    parser.add_argument("--save", help="also write the .tflite file here")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    from litert import Interpreter

    print(f"building Keras model {args.model} and converting it with {args.converter}'s converter ...")
    keras_model = _build_keras_model(args.model)
    start = time.perf_counter()
    if args.converter == "litert":
        from litert.converter import convert

        content = convert(keras_model)
    else:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints its traced signature
            content = tf.lite.TFLiteConverter.from_keras_model(keras_model).convert()
    print(f"  converted in {time.perf_counter() - start:.2f} s")
    print(f"  .tflite file: {len(content) / 1024:.1f} KiB")
    if args.save:
        with open(args.save, "wb") as f:
            f.write(content)

    ours = Interpreter(model_content=content, num_threads=args.threads)
    theirs = TFLiteInterpreter(model_content=content, num_threads=args.threads)
    results = {}
    for interp in (ours, theirs):
        interp.allocate_tensors()
    detail = ours.get_input_details()[0]
    x = np.random.default_rng(0).standard_normal(detail["shape"]).astype(detail["dtype"])
    # Interleave the two runtimes so that machine noise hits both alike.
    times = {"litert": [], "tflite": []}
    for _ in range(3):
        for name, interp in (("litert", ours), ("tflite", theirs)):
            times[name] += _time_runs(interp, interp.get_input_details()[0]["index"], x,
                                      max(1, args.runs // 3))
    for name, interp in (("litert", ours), ("tflite", theirs)):
        results[name] = interp.get_tensor(interp.get_output_details()[0]["index"])

    a, b = results["litert"], results["tflite"]
    reference = np.asarray(keras_model.predict(x, verbose=0))
    print(f"output shape {a.shape}, dtype {a.dtype}")
    print(f"  litert top-5 classes: {np.argsort(-a[0])[:5].tolist()}")
    print(f"  tflite top-5 classes: {np.argsort(-b[0])[:5].tolist()}")
    print(f"  litert first outputs: {np.array2string(a[0][:4], precision=4)}")
    print(f"  tflite first outputs: {np.array2string(b[0][:4], precision=4)}")
    scale = float(np.max(np.abs(reference))) or 1.0
    print(f"  max |litert - keras| / max |keras| = {np.max(np.abs(a - reference)) / scale:.3g}")
    print(f"  max |tflite - keras| / max |keras| = {np.max(np.abs(b - reference)) / scale:.3g}")
    print(f"latency over {len(times['litert'])} runs, {args.threads} thread(s), in ms:")
    print(f"  {'runtime':8s} {'min':>8s} {'median':>8s} {'mean':>8s}")
    for name in ("litert", "tflite"):
        t = times[name]
        print(f"  {name:8s} {min(t):8.3f} {statistics.median(t):8.3f} {statistics.mean(t):8.3f}")
    ratio = statistics.median(times["litert"]) / statistics.median(times["tflite"])
    print(f"  median ratio litert/tflite = {ratio:.2f} (TensorFlow Lite uses XNNPACK; "
          "litert's portable reference kernels are not yet vectorized)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
