"""Removes ops that do not change their input, and merges chains of reshapes.

Identities: RESHAPE / SQUEEZE / EXPAND_DIMS to the input's own shape, TRANSPOSE by the
identity permutation, CONCATENATION of one input, PAD / PADV2 with all-zero paddings, ADD / SUB
of a constant zero and MUL / DIV by a constant one that do not broadcast (and carry no fused
activation). A RESHAPE whose input comes from another RESHAPE read by nothing else reads that
reshape's input instead (the first then dies)."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from ._util import bypass, same_layout, single_consumer

_SHAPE_OPS = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS"}


def _const(t):
    return None if t is None or not t.is_constant else np.asarray(t.data)


def _identity_source(op: Op):
    """The input `op` forwards unchanged, or None."""
    if len(op.outputs) != 1 or not op.inputs or op.inputs[0] is None:
        return None
    x, out = op.inputs[0], op.outputs[0]
    if not same_layout(x, out):
        return None
    if op.kind in _SHAPE_OPS:
        return x
    if op.kind == "TRANSPOSE":
        perm = _const(op.inputs[1]) if len(op.inputs) > 1 else None
        return x if perm is not None and list(perm.ravel()) == list(range(x.rank)) else None
    if op.kind == "CONCATENATION":
        return x if len(op.inputs) == 1 and op.options.get("fused_activation_function", 0) == 0 \
            else None
    if op.kind in ("PAD", "PADV2"):
        pads = _const(op.inputs[1]) if len(op.inputs) > 1 else None
        return x if pads is not None and not pads.any() else None
    if op.kind in ("ADD", "SUB", "MUL", "DIV"):
        if op.options.get("fused_activation_function", 0) != 0 or len(op.inputs) != 2:
            return None
        neutral = 0.0 if op.kind in ("ADD", "SUB") else 1.0
        a, b = op.inputs
        pairs = [(b, a)] + ([(a, b)] if op.kind in ("ADD", "MUL") else [])
        for value_t, other in pairs:
            value = _const(value_t)
            if (value is not None and value.ndim <= other.rank and np.all(value == neutral)
                    and same_layout(other, out)):
                return other
    return None


def run(graph: Graph) -> bool:
    changed = False
    for op in list(graph.ops):
        if op.kind == "RESHAPE" and op.inputs and op.inputs[0] is not None:
            prev = graph.producer(op.inputs[0])
            if (prev is not None and prev.kind == "RESHAPE"
                    and single_consumer(graph, op.inputs[0]) is op):
                op.inputs = [prev.inputs[0], *op.inputs[1:]]
                graph.ops.remove(prev)
                changed = True
        source = _identity_source(op)
        if source is not None and bypass(graph, op, source):
            changed = True
    return changed
