"""Magnitude pruning masks, computed on weights in TensorFlow Lite's layout.

Every prunable weight is seen in the layout its op reads in the file:
  FULLY_CONNECTED    [out, in]
  CONV_2D            [out, kh, kw, in]
  DEPTHWISE_CONV_2D  [1, kh, kw, in * mult]
so that a block means the same thing when pruning Keras weights (finetune.py transposes the
Keras kernel into this layout first) and when pruning the converter's IR constants, and so
that the blocks are the ones the sparse storage (sparse_format.py) can encode: a block
(b0, b1) spans b0 consecutive indices of dimension 0 (output channels) and b1 consecutive
indices of the last dimension (input channels). "1x4" is (1, 4): four consecutive inputs of
one output, the block TensorFlow Lite's sparse FULLY_CONNECTED kernel reads.

A block's magnitude is the mean |w| of its elements; the round(sparsity * blocks) blocks of
smallest magnitude are zeroed (ties broken by position, so the count is exact). Weights that
are already zero are the smallest, so pruning an already pruned tensor to the same sparsity
keeps it as it is."""
from __future__ import annotations

import warnings
from typing import Sequence, Union

import numpy as np

MAX_SPARSITY = 0.95
BLOCKS = {"1x1": (1, 1), "1x4": (1, 4), "4x1": (4, 1)}

BlockSpec = Union[str, Sequence[int]]


def parse_block(block: BlockSpec) -> tuple[int, int]:
    """(b0, b1) from "1x4" or (1, 4); only the shapes in BLOCKS are accepted."""
    if isinstance(block, str):
        if block not in BLOCKS:
            raise ValueError(f"block {block!r} is not one of {', '.join(BLOCKS)}")
        return BLOCKS[block]
    b = tuple(int(v) for v in block)
    if b not in BLOCKS.values():
        raise ValueError(f"block {tuple(block)} is not one of "
                         f"{', '.join(str(v) for v in BLOCKS.values())}")
    return b


def check_sparsity(sparsity: float) -> float:
    s = float(sparsity)
    if not 0.0 <= s <= MAX_SPARSITY:
        raise ValueError(f"sparsity must be in [0, {MAX_SPARSITY}], not {sparsity!r}")
    return s


def block_fits(shape: Sequence[int], block: tuple[int, int]) -> bool:
    """Whether the blocks tile the weight exactly (dimension 0 by b0, the last by b1)."""
    return len(shape) >= 2 and shape[0] % block[0] == 0 and shape[-1] % block[1] == 0


def magnitude_mask(w: np.ndarray, sparsity: float, block: tuple[int, int] = (1, 1),
                   name: str = "weight") -> np.ndarray:
    """Boolean mask (True: keep) zeroing the `sparsity` fraction of `w`'s blocks of least
    magnitude. A weight the block does not tile is pruned element-wise, with a warning."""
    w = np.asarray(w)
    if w.ndim < 2:
        raise ValueError(f"{name}: weights of rank {w.ndim} cannot be pruned (rank >= 2 "
                         "expected)")
    if not block_fits(w.shape, block):
        warnings.warn(f"{name}: shape {list(w.shape)} is not tiled by {block[0]}x{block[1]} "
                      "blocks; pruned element by element", stacklevel=2)
        block = (1, 1)
    b0, b1 = block
    d0, dl = w.shape[0], w.shape[-1]
    middle = int(np.prod(w.shape[1:-1], dtype=np.int64))
    blocks = np.abs(w.astype(np.float64)).reshape(d0 // b0, b0, middle, dl // b1, b1)
    score = blocks.mean(axis=(1, 4)).ravel()           # [d0/b0 * middle * dl/b1]
    n_pruned = int(round(sparsity * score.size))
    keep = np.ones(score.size, dtype=bool)
    if n_pruned > 0:
        keep[np.argsort(score, kind="stable")[:n_pruned]] = False
    keep = keep.reshape(d0 // b0, 1, middle, dl // b1, 1)
    keep = np.broadcast_to(keep, (d0 // b0, b0, middle, dl // b1, b1))
    return np.ascontiguousarray(keep).reshape(w.shape)


def prune_array(w: np.ndarray, sparsity: float, block: tuple[int, int] = (1, 1),
                name: str = "weight") -> np.ndarray:
    """A copy of `w` with its least-magnitude blocks set to zero."""
    w = np.asarray(w)
    return np.where(magnitude_mask(w, sparsity, block, name), w, np.zeros((), w.dtype))
