"""Writes the examples' model and what it should print:

    cd /work/main && python3 native/examples/make_model.py

- model.tflite: a tiny float32 image classifier in the TensorFlow Lite format (about 4 KB):
  an 8x8 grey image -> CONV_2D 3x3 (4 filters, SAME, RELU) -> MAX_POOL_2D 2x2 -> RESHAPE to
  64 values -> FULLY_CONNECTED to 10 classes -> SOFTMAX. The weights are deterministic
  pseudo-random numbers (a seeded generator), not trained: the examples show how a C program
  embeds the runtime, not a classifier's accuracy.
- expected_pattern.txt: the class scores for the input both examples use when given no input
  file (example_io.c's fill_pattern: element i is ((i * 37) % 101) / 100 - 0.5), computed
  here in NumPy (float64), independently of the runtime. The examples' ctests compare the
  printed scores with it.

classify_embedded compiles model.tflite in as a C array at build time (embed_model.cmake), so
nothing generated from it is committed. Re-run this script after changing the model.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from tflite_builder import ModelBuilder  # noqa: E402

SAME, VALID = 0, 1
RELU = 1
H = W = 8
FILTERS = 4
CLASSES = 10


def weights(seed: int = 6):
    rng = np.random.default_rng(seed)
    return dict(
        conv_w=rng.normal(0.0, 0.5, (FILTERS, 3, 3, 1)).astype(np.float32),
        conv_b=rng.normal(0.0, 0.1, FILTERS).astype(np.float32),
        fc_w=rng.normal(0.0, 0.3, (CLASSES, (H // 2) * (W // 2) * FILTERS)).astype(np.float32),
        fc_b=rng.normal(0.0, 0.1, CLASSES).astype(np.float32),
    )


def build_model(w) -> bytes:
    b = ModelBuilder("litert example: tiny float32 image classifier (untrained)")
    x = b.input("image", (1, H, W, 1))
    cw = b.constant("conv/weights", w["conv_w"])
    cb = b.constant("conv/bias", w["conv_b"])
    c = b.tensor("conv", (1, H, W, FILTERS))
    b.op("CONV_2D", [x, cw, cb], [c], "Conv2DOptions",
         dict(padding=SAME, stride_w=1, stride_h=1, fused_activation_function=RELU))
    p = b.tensor("pool", (1, H // 2, W // 2, FILTERS))
    b.op("MAX_POOL_2D", [c], [p], "Pool2DOptions",
         dict(padding=VALID, stride_w=2, stride_h=2, filter_width=2, filter_height=2,
              fused_activation_function=0))
    n = (H // 2) * (W // 2) * FILTERS
    shape = b.constant("flatten/shape", np.array([1, n], np.int32))
    f = b.tensor("flatten", (1, n))
    b.op("RESHAPE", [p, shape], [f], "ReshapeOptions", dict(new_shape=[1, n]))
    fw = b.constant("dense/weights", w["fc_w"])
    fb = b.constant("dense/bias", w["fc_b"])
    logits = b.tensor("logits", (1, CLASSES))
    b.op("FULLY_CONNECTED", [f, fw, fb], [logits], "FullyConnectedOptions",
         dict(fused_activation_function=0))
    probs = b.tensor("probs", (1, CLASSES))
    b.op("SOFTMAX", [logits], [probs], "SoftmaxOptions", dict(beta=1.0))
    b.output(probs)
    b.signature("serving_default", {"image": x}, {"probs": probs})
    return b.build()


def pattern(shape) -> np.ndarray:
    """example_io.c's fill_pattern, in float32 arithmetic like the C code."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    v = ((i * 37) % 101).astype(np.float32) / np.float32(100) - np.float32(0.5)
    return v.astype(np.float32).reshape(shape)


def reference(w, image: np.ndarray) -> np.ndarray:
    """The model in NumPy, in float64: conv SAME + relu, 2x2 max pool, dense, softmax."""
    x = image.astype(np.float64)[0, :, :, 0]
    padded = np.pad(x, 1)
    conv = np.zeros((H, W, FILTERS))
    for f in range(FILTERS):
        k = w["conv_w"][f, :, :, 0].astype(np.float64)
        for r in range(H):
            for c in range(W):
                conv[r, c, f] = np.sum(padded[r:r + 3, c:c + 3] * k) + w["conv_b"][f]
    conv = np.maximum(conv, 0.0)
    pool = conv.reshape(H // 2, 2, W // 2, 2, FILTERS).max(axis=(1, 3))
    logits = w["fc_w"].astype(np.float64) @ pool.reshape(-1) + w["fc_b"]
    e = np.exp(logits - logits.max())
    return e / e.sum()


def main() -> None:
    w = weights()
    model = build_model(w)
    (HERE / "model.tflite").write_bytes(model)
    probs = reference(w, pattern((1, H, W, 1)))
    lines = [f"class {k}: {p:.6f}" for k, p in enumerate(probs)]
    (HERE / "expected_pattern.txt").write_text("\n".join(lines) + "\n")
    print(f"wrote model.tflite ({len(model)} bytes) and expected_pattern.txt "
          f"(top class {int(np.argmax(probs))})")


if __name__ == "__main__":
    main()
