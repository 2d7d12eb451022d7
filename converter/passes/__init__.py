"""Graph rewrites run after emission, in a fixed order (see PIPELINE):

  remove_identities  ops that forward their input unchanged; reshape chains
  fold_constants     ops over constants evaluated with NumPy
  fold_affine        per-channel MUL / ADD (BatchNormalization) into CONV_2D / FC weights
  fuse_activation    RELU / RELU6 / RELU_N1_TO_1 into the producing op
  fold_pad           a zero PAD that equals SAME padding into the conv reading it
  dead_ops           ops nothing reads

The pipeline is repeated until nothing changes (each pass can expose work for another: folding
a constant may make a MUL per-channel, a removed reshape may make an activation fusable)."""
from __future__ import annotations

from ..ir import Graph
from . import (dead_ops, fold_affine, fold_constants, fold_pad, fuse_activation,
               remove_identities)

PIPELINE = [remove_identities, fold_constants, fold_affine, fuse_activation, fold_pad,
            dead_ops]

_MAX_ROUNDS = 8


def run_passes(graph: Graph) -> Graph:
    for _ in range(_MAX_ROUNDS):
        changed = False
        for p in PIPELINE:
            changed |= bool(p.run(graph))
        if not changed:
            break
    return graph
