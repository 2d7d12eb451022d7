"""Removes ops whose outputs nothing reads (neither another op nor a graph output)."""
from __future__ import annotations

from ..ir import Graph


def run(graph: Graph) -> bool:
    """Drops dead ops, last to first so chains of dead ops go in one sweep. Returns whether
    anything changed."""
    live = {id(t) for t in graph.outputs}
    kept = []
    for op in reversed(graph.ops):
        if any(id(t) in live for t in op.outputs):
            kept.append(op)
            live.update(id(t) for t in op.inputs if t is not None)
    changed = len(kept) != len(graph.ops)
    graph.ops = kept[::-1]
    return changed
