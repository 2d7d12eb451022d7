"""Benchmark: FULLY_CONNECTED on sparse weights vs the dense kernel, in litert.

For each sparsity level and pattern (unstructured, 1x4 blocks) it builds two one-op models
with the same weights, one storing them densely and one in TensorFlow Lite's sparse format,
and times invoke in litert, alternating the two models for `--reps` rounds of `--iters`
invokes each and reporting the median time per invoke. Run from the repository root:

    LITERT_LIBRARY=/path/to/liblitert.so python bench/sparse_fc.py [--size 1024] [--reps 15]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import sparse_encoding as se  # noqa: E402
from tflite_builder import ModelBuilder  # noqa: E402

from litert import Interpreter  # noqa: E402


def fc_model(weights: np.ndarray, batch: int, block: int | None) -> bytes:
    """One FULLY_CONNECTED with bias; block None stores the weights densely."""
    units, depth = weights.shape
    b = ModelBuilder()
    x = b.input("x", [batch, depth], np.float32)
    if block is None:
        w = b.constant("w", weights)
    else:
        values, order, bmap, levels = se.encode_rows_csr(weights, block)
        w = se.add_sparse_constant(b, "w", weights.shape, values, order, bmap, levels)
    bias = b.constant("bias", np.zeros(units, np.float32))
    y = b.tensor("y", [batch, units], np.float32)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=0))
    b.output(y)
    return b.build()


def ready(model: bytes, x: np.ndarray) -> Interpreter:
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    return it


def time_invokes(it: Interpreter, iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        it.invoke()
    return (time.perf_counter() - start) / iters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--sparsities", type=float, nargs="+", default=[0, 0.5, 0.75, 0.9, 0.95])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--iters", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"FULLY_CONNECTED {args.size}x{args.size}, float32, median of {args.reps} rounds of "
          f"{args.iters} invokes (dense and sparse alternated)")
    print(f"{'pattern':<13}{'batch':>6}{'sparsity':>10}{'dense ms':>11}{'sparse ms':>11}"
          f"{'speed-up':>10}{'max|diff|':>11}")
    for pattern, block in (("unstructured", 1), ("1x4 blocks", 4)):
        for batch in args.batches:
            x = rng.standard_normal((batch, args.size)).astype(np.float32)
            for sparsity in args.sparsities:
                w = se.random_sparse((args.size, args.size), sparsity, rng, block=(1, block))
                dense = ready(fc_model(w, batch, None), x)
                sparse = ready(fc_model(w, batch, block), x)
                td, ts = [], []
                for _ in range(args.reps):
                    td.append(time_invokes(dense, args.iters))
                    ts.append(time_invokes(sparse, args.iters))
                out = dense.get_output_details()[0]["index"]
                diff = np.abs(dense.get_tensor(out) - sparse.get_tensor(out)).max()
                md, ms = statistics.median(td) * 1e3, statistics.median(ts) * 1e3
                print(f"{pattern:<13}{batch:>6}{sparsity:>9.0%}{md:>11.4f}{ms:>11.4f}"
                      f"{md / ms:>9.2f}x{diff:>11.2e}")


if __name__ == "__main__":
    main()
