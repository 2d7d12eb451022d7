"""Helpers shared by the passes: removing an op that merely forwards its input."""
from __future__ import annotations

from typing import Optional

from ..ir import Graph, Op, Tensor


def single_consumer(graph: Graph, t: Tensor) -> Optional[Op]:
    """The only op reading `t` when t has exactly one reader and is not a graph output."""
    if graph.is_graph_output(t):
        return None
    readers = graph.consumers(t)
    return readers[0] if len(readers) == 1 else None


def bypass(graph: Graph, op: Op, source: Tensor) -> bool:
    """Removes `op`, whose single output equals `source` element for element and has the same
    shape, dtype and signature, by rewiring readers. When the output is a graph output (whose
    name and position must stay), the op producing `source` writes it directly instead.
    Returns False (and leaves the graph alone) when neither rewiring is possible."""
    out = op.outputs[0]
    if not graph.is_graph_output(out):
        graph.replace_uses(out, source)
        graph.ops.remove(op)
        return True
    producer = graph.producer(source)
    if (producer is None or graph.is_graph_output(source)
            or any(t is source for t in graph.inputs)):
        return False
    producer.outputs = [out if t is source else t for t in producer.outputs]
    graph.replace_uses(source, out)
    graph.ops.remove(op)
    return True


def same_layout(a: Tensor, b: Tensor) -> bool:
    return (tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype
            and (a.signature or a.shape) == (b.signature or b.shape))
