"""Benchmark: FULLY_CONNECTED (and 1x1 CONV_2D) on sparse weights vs the dense kernel, in litert.

For each sparsity level and pattern (unstructured, 1x4 blocks) it builds two one-op models
with the same weights, one storing them densely and one in TensorFlow Lite's sparse format,
and times invoke in litert, alternating the two models for `--reps` rounds of `--iters`
invokes each and reporting the median time per invoke. A second table does the same for a
1x1 CONV_2D (a FULLY_CONNECTED over the pixels) with a sparse filter. Run from the
repository root:

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


def conv1x1_model(weights: np.ndarray, hw: int, sparse: bool) -> bytes:
    """One 1x1 CONV_2D with bias on a [1, hw, hw, in_c] input; weights [out_c, in_c] are
    stored as a [out_c, 1, 1, in_c] filter, densely or with the input channels SPARSE_CSR."""
    out_c, in_c = weights.shape
    shape = [out_c, 1, 1, in_c]
    b = ModelBuilder()
    x = b.input("x", [1, hw, hw, in_c], np.float32)
    if sparse:
        values, _, _, levels = se.encode_rows_csr(weights)
        ones = [dict(format=se.DENSE, dense_size=1)] * 2
        w = se.add_sparse_constant(b, "w", shape, values, [0, 1, 2, 3], [],
                                   levels[:1] + ones + levels[1:])
    else:
        w = b.constant("w", weights.reshape(shape))
    bias = b.constant("bias", np.zeros(out_c, np.float32))
    y = b.tensor("y", [1, hw, hw, out_c], np.float32)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions",
         dict(padding=0, stride_w=1, stride_h=1, fused_activation_function=0))
    b.output(y)
    return b.build()


def conv1x1_table(args: argparse.Namespace, rng: np.random.Generator) -> None:
    c, hw = args.conv_channels, args.conv_hw
    print(f"\nCONV_2D 1x1, input [1, {hw}, {hw}, {c}], {c} output channels, float32, "
          f"unstructured sparsity, median of {args.reps} rounds of {args.conv_iters} invokes")
    print(f"{'sparsity':>8}{'dense ms':>11}{'sparse ms':>11}{'speed-up':>10}{'max|diff|':>11}")
    x = rng.standard_normal((1, hw, hw, c)).astype(np.float32)
    for sparsity in args.sparsities:
        w = se.random_sparse((c, c), sparsity, rng)
        dense = ready(conv1x1_model(w, hw, False), x)
        sparse = ready(conv1x1_model(w, hw, True), x)
        td, ts = [], []
        for _ in range(args.reps):
            td.append(time_invokes(dense, args.conv_iters))
            ts.append(time_invokes(sparse, args.conv_iters))
        out = dense.get_output_details()[0]["index"]
        diff = np.abs(dense.get_tensor(out) - sparse.get_tensor(out)).max()
        md, ms = statistics.median(td) * 1e3, statistics.median(ts) * 1e3
        print(f"{sparsity:>7.0%}{md:>11.3f}{ms:>11.3f}{md / ms:>9.2f}x{diff:>11.2e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--sparsities", type=float, nargs="+", default=[0, 0.5, 0.75, 0.9, 0.95])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--conv-channels", type=int, default=256)
    ap.add_argument("--conv-hw", type=int, default=28)
    ap.add_argument("--conv-iters", type=int, default=3)
    ap.add_argument("--skip-fc", action="store_true", help="only the 1x1 CONV_2D table")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    if not args.skip_fc:
        fc_table(args, rng)
    conv1x1_table(args, rng)


def fc_table(args: argparse.Namespace, rng: np.random.Generator) -> None:
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
