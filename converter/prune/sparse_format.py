"""Sparse storage of pruned weights in TensorFlow Lite's sparsity format, and the pass that
applies it to a converter Graph (run last, after pruning and quantization).

Encoding (SparsityParameters of a tensor; the buffer holds only the kept values). A weight of
rank n is seen as blocks: dimension 0 split into blocks of b0, the last dimension into blocks
of b1 (magnitude.py prunes in the same blocks). The traversal order visits the n block-grid
dimensions, then the dimensions inside a block that are longer than 1 (block_map names the
original dimension each one splits). Every level is DENSE except the last block-grid
dimension, SPARSE_CSR: for each position of the levels before it, array_segments[p] ..
array_segments[p + 1] delimit its kept entries, whose positions along that dimension are in
array_indices; an entry is kept when its block has a nonzero. For FULLY_CONNECTED weights
[out, in] this is exactly what TensorFlow's converter writes: traversal_order [0, 1],
dim_metadata [DENSE out, SPARSE_CSR]; in 1x4 blocks traversal_order [0, 1, 2], block_map [1],
dim_metadata [DENSE out, SPARSE_CSR over in / 4, DENSE 4]. Index arrays are written as
Uint8Vector, Uint16Vector or Int32Vector, the smallest that holds their largest value.

Who reads the sparse tensor (as TensorFlow's converter arranges it, read from its files for
pruned models, float32 / float16 / dynamic / int8):
  * FULLY_CONNECTED with float32 input and float32 weights in 1x4 blocks reads them directly
    (TensorFlow Lite's sparse kernel; op version 8);
  * anything else reads the output of a DENSIFY op (sparse -> dense, evaluated once when the
    model is prepared): conv filters, element-wise or 4x1 sparse weights, int8 weights
    (hybrid and full-integer). float16 weights are stored sparse as float16 and go through
    DENSIFY, then the DEQUANTIZE to float32 (the order TensorFlow's converter writes; for
    1x4 blocks it lets DEQUANTIZE read the sparse float16 tensor itself, which TensorFlow
    Lite's DEQUANTIZE accepts, but DENSIFY first works in every reader).
A weight is stored sparse only when that makes the file smaller (counting the index arrays
and, where needed, the DENSIFY op and its dense output tensor); otherwise it stays dense."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..ir import Graph, Op, Tensor
from .graph_prune import PRUNABLE_WEIGHTS
from .magnitude import BLOCKS, block_fits

DENSE, SPARSE_CSR = 0, 1

# Bytes the sparsity tables cost beyond their arrays (vectors' lengths and alignment, the
# tables' vtables), and the cost of a DENSIFY op with its output tensor (name, shape, table).
# Estimates on the safe side: a weight near the break-even point stays dense.
SPARSITY_TABLE_BYTES = 128
DENSIFY_BYTES = 128


def index_dtype(max_value: int) -> np.dtype:
    """The smallest index vector type TensorFlow Lite's format has for `max_value`."""
    if max_value <= np.iinfo(np.uint8).max:
        return np.dtype(np.uint8)
    if max_value <= np.iinfo(np.uint16).max:
        return np.dtype(np.uint16)
    return np.dtype(np.int32)


def encode(dense: np.ndarray, block: tuple[int, int] = (1, 1)) -> tuple[np.ndarray, dict]:
    """(values, sparsity) for `dense` in `block`s (see the module docstring). `values` is
    1-D: the kept blocks' elements in traversal order. `sparsity` is the Tensor.sparsity
    dict the writer serializes: traversal_order, block_map and dim_metadata (a list of
    {"format": DENSE, "dense_size": n} or {"format": SPARSE_CSR, "array_segments": array,
    "array_indices": array})."""
    dense = np.asarray(dense)
    n = dense.ndim
    if not block_fits(dense.shape, block):
        raise ValueError(f"shape {list(dense.shape)} is not tiled by {block} blocks")
    b0, b1 = block
    grid = list(dense.shape)
    grid[0] //= b0
    grid[-1] //= b1
    # Split dims 0 and n-1 into (grid, inner) and move the inner parts (if > 1) last.
    x = dense.reshape([grid[0], b0, *dense.shape[1:-1], grid[-1], b1])
    grid_axes = [0, *range(2, n), n]
    block_map = [d for d, b in ((0, b0), (n - 1, b1)) if b > 1]
    x = x.transpose(grid_axes + [1, n + 1])    # inner axes of size 1 vanish in the reshape
    rows = int(np.prod(grid[:-1], dtype=np.int64))
    cols = grid[-1]
    x = x.reshape(rows, cols, b0 * b1)
    keep = np.any(x != 0, axis=2)
    counts = keep.sum(axis=1)
    segments = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    indices = np.nonzero(keep)[1].astype(np.int64)
    values = x[keep].reshape(-1)
    dim_metadata: list[dict[str, Any]] = [{"format": DENSE, "dense_size": int(d)}
                                          for d in grid[:-1]]
    dim_metadata.append({
        "format": SPARSE_CSR,
        "array_segments": segments.astype(index_dtype(int(segments[-1]))),
        "array_indices": indices.astype(index_dtype(max(cols - 1, 0))),
    })
    dim_metadata += [{"format": DENSE, "dense_size": int(b)} for b in (b0, b1) if b > 1]
    sparsity = {"traversal_order": list(range(n + len(block_map))),
                "block_map": block_map, "dim_metadata": dim_metadata}
    return values, sparsity


def decode(values: np.ndarray, sparsity: dict, shape) -> np.ndarray:
    """The dense array back from encode()'s output: walks the format level by level as a
    reader does (an independent check of the encoder, used by the tests)."""
    shape = tuple(int(d) for d in shape)
    n = len(shape)
    order = list(sparsity["traversal_order"])
    block_map = list(sparsity["block_map"])
    meta = sparsity["dim_metadata"]          # one entry per traversal level

    def block_size(dim: int) -> int:
        if dim not in block_map:
            return 1
        return int(meta[order.index(n + block_map.index(dim))]["dense_size"])

    flat = np.asarray(values).reshape(-1)
    out = np.zeros(shape, dtype=flat.dtype)
    taken = 0

    def visit(level: int, parent: int, coords: list[int]) -> None:
        nonlocal taken
        m = meta[level]
        if m["format"] == DENSE:
            size = int(m["dense_size"])
            entries = [(i, parent * size + i) for i in range(size)]
        else:
            seg, idx = m["array_segments"], m["array_indices"]
            entries = [(int(idx[k]), k) for k in range(int(seg[parent]), int(seg[parent + 1]))]
        for coord, child in entries:
            here = coords + [coord]
            if level + 1 < len(order):
                visit(level + 1, child, here)
                continue
            full = [0] * n
            for dim, c in zip(order, here):
                if dim < n:
                    full[dim] += c * block_size(dim)
                else:
                    full[block_map[dim - n]] += c
            out[tuple(full)] = flat[taken]
            taken += 1

    visit(0, 0, [])
    if taken != flat.size:
        raise ValueError(f"sparsity describes {taken} values, the buffer holds {flat.size}")
    return out


def encoded_bytes(values: np.ndarray, sparsity: dict) -> int:
    """Bytes the sparse tensor adds to the file (values and index arrays, each padded like a
    vector, and the tables)."""
    total = SPARSITY_TABLE_BYTES + _padded(np.asarray(values).nbytes)
    for m in sparsity["dim_metadata"]:
        if m["format"] == SPARSE_CSR:
            total += _padded(m["array_segments"].nbytes) + _padded(m["array_indices"].nbytes)
    return total


def _padded(nbytes: int) -> int:
    return 4 + (nbytes + 15) // 16 * 16


def _reads_sparse_directly(graph: Graph, w: Tensor, block: tuple[int, int]) -> bool:
    """Whether every reader of `w` is a float32 FULLY_CONNECTED that TensorFlow Lite's sparse
    kernel runs on `w` stored in `block`s."""
    if block != BLOCKS["1x4"] or w.rank != 2 or np.dtype(w.dtype) != np.float32:
        return False
    for op in graph.consumers(w):
        if (op.kind != "FULLY_CONNECTED" or op.inputs[0] is None
                or np.dtype(op.inputs[0].dtype) != np.float32
                or op.options.get("weights_format", 0) != 0
                or any(t is w for i, t in enumerate(op.inputs) if i != 1)):
            return False
    return True


def _stored_weights(graph: Graph) -> list[Tensor]:
    """Constants holding prunable weights after quantization: the weight operand itself, or
    for float16 weights the float16 constant its DEQUANTIZE reads."""
    found: dict[int, Tensor] = {}
    for op in graph.ops:
        position = PRUNABLE_WEIGHTS.get(op.kind)
        if position is None or len(op.inputs) <= position or op.inputs[position] is None:
            continue
        w = op.inputs[position]
        if not w.is_constant:
            producer = graph.producer(w)
            if (producer is None or producer.kind != "DEQUANTIZE" or not producer.inputs
                    or producer.inputs[0] is None or not producer.inputs[0].is_constant):
                continue
            w = producer.inputs[0]
        if w.rank >= 2 and w.sparsity is None and not graph.is_graph_output(w):
            found.setdefault(id(w), w)
    return list(found.values())


def _best_encoding(graph: Graph, w: Tensor) -> Optional[tuple[np.ndarray, dict, bool]]:
    """(values, sparsity, read directly) of the smallest encoding of `w`, or None when
    storing it dense is smaller."""
    dense = np.asarray(w.data)
    best = None
    for block in BLOCKS.values():
        if not block_fits(dense.shape, block):
            continue
        values, sparsity = encode(dense, block)
        direct = _reads_sparse_directly(graph, w, block)
        size = encoded_bytes(values, sparsity) + (0 if direct else DENSIFY_BYTES)
        # On equal size prefer the encoding the op reads directly (no dense copy in memory).
        if best is None or (size, not direct) < (best[0], not best[3]):
            best = (size, values, sparsity, direct)
    if best is None or best[0] >= _padded(dense.nbytes):
        return None
    return best[1], best[2], best[3]


def store_sparse(graph: Graph) -> list[dict]:
    """Rewrites `graph` in place so that every prunable weight for which it is smaller is
    stored sparse. Returns one row per weight considered: name, dense and sparse bytes
    (None: kept dense), and whether a DENSIFY op reads it."""
    report = []
    for w in _stored_weights(graph):
        dense_bytes = int(np.asarray(w.data).nbytes)
        enc = _best_encoding(graph, w)
        if enc is None:
            report.append({"name": w.name, "dense_bytes": dense_bytes, "sparse_bytes": None,
                           "densify": False})
            continue
        values, sparsity, direct = enc
        sparse = Tensor(w.name, tuple(w.shape), np.dtype(w.dtype), data=values,
                        quant=w.quant, sparsity=sparsity)
        readers = graph.consumers(w)
        if direct:
            graph.replace_uses(w, sparse)
        else:
            dense = graph.tensor(w.name + "/densify", w.shape, w.dtype)
            dense.quant = w.quant
            graph.replace_uses(w, dense)
            first = min(graph.ops.index(op) for op in readers)
            graph.ops.insert(first, Op("DENSIFY", [sparse], [dense], layer=readers[0].layer))
        report.append({"name": w.name, "dense_bytes": dense_bytes,
                       "sparse_bytes": encoded_bytes(values, sparsity), "densify": not direct})
    return report
