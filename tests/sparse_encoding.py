"""Encode dense NumPy arrays in TensorFlow Lite's sparse tensor format (Tensor.sparsity), and
add such tensors to a ModelBuilder model. Written from the format's description (schema
comments of SparsityParameters), independently of the runtime's decoder, so tests can check
one against the other.

The dense tensor of rank n is viewed as n + k "expanded" dimensions: each original dimension
block_map[j] divided by block_size[j], followed by the k block-internal dimensions. Levels
walk the expanded dimensions in traversal_order; a DENSE level keeps every index, a
SPARSE_CSR level keeps, for each parent, the indices whose sub-array holds a nonzero.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

import tflite_builder
from tflite_builder import fb

DENSE, SPARSE_CSR = 0, 1


def expanded_array(dense: np.ndarray, block_map: Sequence[int], block_size: Sequence[int]):
    """The dense array reshaped to its n + k expanded dimensions."""
    n = dense.ndim
    split_shape, block_axes, outer_axes = [], {}, []
    for d in range(n):
        if d in block_map:
            bs = block_size[list(block_map).index(d)]
            assert dense.shape[d] % bs == 0
            outer_axes.append(len(split_shape))
            split_shape += [dense.shape[d] // bs, bs]
            block_axes[d] = len(split_shape) - 1
        else:
            outer_axes.append(len(split_shape))
            split_shape.append(dense.shape[d])
    arr = dense.reshape(split_shape)
    perm = outer_axes + [block_axes[d] for d in block_map]
    return arr.transpose(perm)


def encode(dense: np.ndarray, traversal_order: Sequence[int], formats: Sequence[int],
           block_map: Sequence[int] = (), block_size: Sequence[int] = (),
           index_dtype=np.int32):
    """Returns (values, levels): the stored values (dense.dtype) and, per level, a dict with
    format, dense_size, and for SPARSE_CSR levels array_segments / array_indices."""
    exp = expanded_array(dense, block_map, block_size)
    traversed = exp.transpose(list(traversal_order))
    positions = [traversed]
    levels = []
    for level, fmt in enumerate(formats):
        size = traversed.shape[level]
        nxt = []
        if fmt == DENSE:
            for p in positions:
                nxt.extend(p[i] for i in range(size))
            levels.append(dict(format=DENSE, dense_size=size))
        else:
            segments, indices = [0], []
            for p in positions:
                for i in range(size):
                    if np.any(p[i] != 0):
                        indices.append(i)
                        nxt.append(p[i])
                segments.append(len(indices))
            levels.append(dict(format=SPARSE_CSR, dense_size=0,
                               array_segments=np.array(segments, index_dtype),
                               array_indices=np.array(indices, index_dtype)))
        positions = nxt
    values = np.array([np.asarray(p).item() for p in positions], dtype=dense.dtype)
    return values, levels


_VECTOR_TYPES = {np.dtype(np.int32): ("Int32Vector", 1), np.dtype(np.uint16): ("Uint16Vector", 2),
                 np.dtype(np.uint8): ("Uint8Vector", 3)}


def _index_vector(arr):
    name, tag = _VECTOR_TYPES[np.dtype(arr.dtype)]
    v = getattr(fb, name + "T")()
    v.values = [int(x) for x in arr]
    return tag, v


def sparsity_table(traversal_order, block_map, levels):
    """A SparsityParametersT for the given encoding (levels as returned by encode)."""
    sp = fb.SparsityParametersT()
    sp.traversalOrder = [int(x) for x in traversal_order]
    sp.blockMap = [int(x) for x in block_map] if len(block_map) else None
    sp.dimMetadata = []
    for lv in levels:
        dm = fb.DimensionMetadataT()
        dm.format = lv["format"]
        dm.denseSize = int(lv.get("dense_size", 0))
        if "array_segments" in lv:
            dm.arraySegmentsType, dm.arraySegments = _index_vector(lv["array_segments"])
        if "array_indices" in lv:
            dm.arrayIndicesType, dm.arrayIndices = _index_vector(lv["array_indices"])
        sp.dimMetadata.append(dm)
    return sp


def add_sparse_constant(b: tflite_builder.ModelBuilder, name: str, dense_shape, values,
                        traversal_order, block_map, levels, quant=None) -> int:
    """Adds a constant whose buffer holds `values` and whose sparsity describes the dense
    tensor of `dense_shape`; returns its index."""
    buf = tflite_builder._AlignedBufferT()
    buf.data = np.ascontiguousarray(values).tobytes()
    b._buffers.append(buf)
    idx = b.tensor(name, dense_shape, values.dtype, quant=quant, buffer=len(b._buffers) - 1)
    b._tensors[idx].sparsity = sparsity_table(traversal_order, block_map, levels)
    return idx


def random_sparse(shape, sparsity: float, rng, dtype=np.float32, block=(1, 1)):
    """Random weights with about `sparsity` of them zero, zeroed in whole blocks of `block`."""
    w = rng.standard_normal(shape).astype(dtype)
    bshape = (shape[0] // block[0], shape[1] // block[1])
    keep = rng.random(bshape) >= sparsity
    mask = np.kron(keep, np.ones(block, dtype=bool))
    return np.where(mask, w, 0).astype(dtype)


def encode_rows_csr(dense: np.ndarray, block: int = 1, index_dtype=np.int32):
    """Fast encoding of a 2-D matrix as FULLY_CONNECTED weights: rows DENSE, column blocks of
    `block` SPARSE_CSR (block 1: traversal [0, 1]; block > 1: 1xB blocks, traversal [0, 1, 2],
    block_map [1], the block level DENSE). Same result as `encode` with those arguments.
    Returns (values, traversal_order, block_map, levels)."""
    rows, cols = dense.shape
    blocks = dense.reshape(rows, cols // block, block)
    keep = np.any(blocks != 0, axis=2)
    r, c = np.nonzero(keep)
    segments = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(index_dtype)
    levels = [dict(format=DENSE, dense_size=rows),
              dict(format=SPARSE_CSR, dense_size=0, array_segments=segments,
                   array_indices=c.astype(index_dtype))]
    values = blocks[r, c].reshape(-1).astype(dense.dtype)
    if block == 1:
        return values, [0, 1], [], levels
    levels.append(dict(format=DENSE, dense_size=block))
    return values, [0, 1, 2], [1], levels
