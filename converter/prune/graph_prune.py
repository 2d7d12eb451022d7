"""Magnitude pruning of the converter's IR constants (what `convert(..., prune=...)` does).

Pruning runs on the IR rather than on a copy of the Keras model: after the graph passes, so
the weights pruned are the ones the file holds (batch normalization already folded into the
conv filters, for example), and before quantization, so every quantization mode sees the
zeros (symmetric int8 and float16 keep a zero exactly zero). The Keras model is never
touched. Each weight tensor is pruned on its own ("per layer") to the requested sparsity."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Tensor
from .magnitude import magnitude_mask

# op kind -> input position of the weights that are pruned and may be stored sparse.
PRUNABLE_WEIGHTS: dict[str, int] = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 1,
    "FULLY_CONNECTED": 1,
}


def prunable_weights(graph: Graph) -> list[Tensor]:
    """Float32 constant weights of the ops in PRUNABLE_WEIGHTS that no other op reads in
    another role (a constant also read as data must keep its values), in first-use order."""
    found: dict[int, Tensor] = {}
    for op in graph.ops:
        position = PRUNABLE_WEIGHTS.get(op.kind)
        if position is None or len(op.inputs) <= position:
            continue
        w = op.inputs[position]
        if (w is None or not w.is_constant or w.quant or w.rank < 2
                or np.dtype(w.dtype) != np.float32 or graph.is_graph_output(w)):
            continue
        if all(PRUNABLE_WEIGHTS.get(r.kind) is not None
               and all(t is not w for i, t in enumerate(r.inputs)
                       if i != PRUNABLE_WEIGHTS[r.kind])
               for r in graph.consumers(w)):
            found.setdefault(id(w), w)
    return list(found.values())


def prune_graph(graph: Graph, sparsity: float, block: tuple[int, int] = (1, 1)) -> list[dict]:
    """Zeroes the least-magnitude `sparsity` fraction of every prunable weight in place.
    Returns one row per weight: name, shape, elements and zero fraction after pruning."""
    report = []
    for w in prunable_weights(graph):
        data = np.asarray(w.data)
        mask = magnitude_mask(data, sparsity, block, name=w.name)
        w.data = np.where(mask, data, np.float32(0)).astype(np.float32)
        report.append({"name": w.name, "shape": list(w.shape), "elements": int(data.size),
                       "sparsity": float(np.mean(w.data == 0))})
    return report
