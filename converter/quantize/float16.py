"""float16 weights: float32 constants become float16 constants read through DEQUANTIZE.

This is the layout TensorFlow's converter writes with supported_types=[tf.float16]: a FLOAT16
constant, one DEQUANTIZE op (float16 -> float32, version 3) whose float32 output the original
readers consume. Runtimes evaluate a DEQUANTIZE of a constant once, at prepare, so inference
runs in float32 at the cost of the float16 rounding of the weights (relative error <= 2^-11).

Which constants: the weight operand of the ops whose weights dominate a file (conv, depthwise
and transposed conv filters, fully-connected and batch-matmul operands, embedding tables
gathered from) at any size, and any other float32 constant of at least
LARGE_CONSTANT_ELEMENTS elements. Small constants (biases, per-channel scales, scalars) stay
float32: they cost little and keep full precision. Integer constants (shapes, axes, indices)
are never touched. A constant with a value beyond float16's range (|x| > 65504) stays float32
rather than becoming infinite."""
from __future__ import annotations

import numpy as np

from ..ir import Graph, Op, Tensor

# Other float32 constants at least this large are stored as float16 too.
LARGE_CONSTANT_ELEMENTS = 1024

_FLOAT16_MAX = float(np.finfo(np.float16).max)

# Input positions holding an op's weights.
WEIGHT_INPUTS: dict[str, tuple[int, ...]] = {
    "CONV_2D": (1,),
    "DEPTHWISE_CONV_2D": (1,),
    "TRANSPOSE_CONV": (1,),      # inputs: output_shape, weights, input, bias
    "FULLY_CONNECTED": (1,),
    "BATCH_MATMUL": (0, 1),
    "GATHER": (0,),
    "EMBEDDING_LOOKUP": (1,),
}


def _is_weight(op: Op, position: int) -> bool:
    return position in WEIGHT_INPUTS.get(op.kind, ())


def _convertible(t: Tensor) -> bool:
    if not t.is_constant or t.quant or np.dtype(t.dtype) != np.float32:
        return False
    data = np.asarray(t.data)
    return data.size > 0 and bool(np.all(np.abs(data[np.isfinite(data)]) <= _FLOAT16_MAX))


def candidates(graph: Graph) -> list[Tensor]:
    """The float32 constants to store as float16, in first-use order."""
    chosen: dict[int, Tensor] = {}
    for op in graph.ops:
        for position, t in enumerate(op.inputs):
            if t is None or id(t) in chosen or graph.is_graph_output(t) or not _convertible(t):
                continue
            if _is_weight(op, position) or int(np.asarray(t.data).size) >= LARGE_CONSTANT_ELEMENTS:
                chosen[id(t)] = t
    return list(chosen.values())


def quantize_float16(graph: Graph) -> int:
    """Rewrites `graph` in place; returns the number of constants now stored as float16.

    The float16 constant keeps the original constant's name (e.g. "conv1/filter"); the
    DEQUANTIZE output is named "<name>/dequantize". Each DEQUANTIZE is placed right before
    the first op reading it."""
    count = 0
    for t in candidates(graph):
        half = Tensor(t.name, tuple(t.shape), np.dtype(np.float16),
                      data=np.asarray(t.data).astype(np.float16))
        full = graph.tensor(t.name + "/dequantize", t.shape, np.float32)
        readers = graph.consumers(t)
        graph.replace_uses(t, full)
        first = min(graph.ops.index(op) for op in readers)
        layer = readers[0].layer
        graph.ops.insert(first, Op("DEQUANTIZE", [half], [full], layer=layer))
        count += 1
    return count
