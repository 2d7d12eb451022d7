"""Evaluates ops whose inputs are all constants with NumPy and turns their outputs into
constants.

Only ops with exact, simple NumPy equivalents are folded: ADD, SUB, MUL, DIV (with a clamping
fused activation or none), MAXIMUM, MINIMUM, SQRT, RSQRT, RESHAPE, SQUEEZE, EXPAND_DIMS,
TRANSPOSE, CONCATENATION, PACK, RELU, RELU6, RELU_N1_TO_1. Anything else is left alone.
DEQUANTIZE is deliberately not folded: a float16/int8 constant followed by DEQUANTIZE is how
a model stores compressed weights, and folding it would store them as float32 again.

Outputs that are graph outputs are not folded (a graph output must be computed by an op), nor
results larger than their inputs by more than 1 MiB (broadcasts that would bloat the file)."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..ir import Graph, Op

_MAX_GROWTH_BYTES = 1 << 20

_CLAMPS = {0: (None, None), 1: (0.0, None), 2: (-1.0, 1.0), 3: (0.0, 6.0)}


def _activation(op: Op, y: np.ndarray) -> Optional[np.ndarray]:
    act = op.options.get("fused_activation_function", 0)
    if act not in _CLAMPS:
        return None
    lo, hi = _CLAMPS[act]
    if lo is not None or hi is not None:
        y = np.clip(y, lo, hi)
    return y


def _binary(fn: Callable) -> Callable:
    def run(op: Op, args):
        if len(args) != 2:
            return None
        a, b = args
        if a.dtype != b.dtype:
            return None
        if a.dtype.kind == "i" and fn is np.divide:
            return None   # TensorFlow Lite's integer DIV semantics differ from NumPy's
        return _activation(op, fn(a, b).astype(a.dtype))
    return run


def _reshape(op: Op, args):
    return args[0].reshape(op.outputs[0].shape)


def _transpose(op: Op, args):
    if len(args) != 2:
        return None
    return np.transpose(args[0], [int(p) for p in args[1].ravel()])


def _concatenation(op: Op, args):
    if op.options.get("fused_activation_function", 0) != 0:
        return None
    return np.concatenate(args, axis=int(op.options.get("axis", 0)))


def _pack(op: Op, args):
    return np.stack(args, axis=int(op.options.get("axis", 0)))


def _rsqrt(op: Op, args):
    return (1.0 / np.sqrt(args[0])).astype(args[0].dtype)


_FOLDERS: dict[str, Callable] = {
    "ADD": _binary(np.add),
    "SUB": _binary(np.subtract),
    "MUL": _binary(np.multiply),
    "DIV": _binary(np.divide),
    "MAXIMUM": _binary(np.maximum),
    "MINIMUM": _binary(np.minimum),
    "SQRT": lambda op, args: np.sqrt(args[0]),
    "RSQRT": _rsqrt,
    "RESHAPE": _reshape,
    "SQUEEZE": _reshape,
    "EXPAND_DIMS": _reshape,
    "TRANSPOSE": _transpose,
    "CONCATENATION": _concatenation,
    "PACK": _pack,
    "RELU": lambda op, args: np.maximum(args[0], 0).astype(args[0].dtype),
    "RELU6": lambda op, args: np.clip(args[0], 0, 6).astype(args[0].dtype),
    "RELU_N1_TO_1": lambda op, args: np.clip(args[0], -1, 1).astype(args[0].dtype),
}

_FLOAT_ONLY = {"SQRT", "RSQRT"}


def _fold(graph: Graph, op: Op) -> bool:
    fn = _FOLDERS.get(op.kind)
    if fn is None or len(op.outputs) != 1:
        return False
    out = op.outputs[0]
    if graph.is_graph_output(out) or out.quant:
        return False
    args_t = [t for t in op.inputs if t is not None]
    if not args_t or not all(t.is_constant and not t.quant for t in args_t):
        return False
    args = [np.asarray(t.data) for t in args_t]
    if op.kind in _FLOAT_ONLY and args[0].dtype.kind != "f":
        return False
    with np.errstate(all="ignore"):
        try:
            result = fn(op, args)
        except (ValueError, TypeError):
            return False
    if result is None:
        return False
    result = np.asarray(result)
    if tuple(result.shape) != tuple(out.shape) or result.dtype != np.dtype(out.dtype):
        return False
    if not np.all(np.isfinite(result)) and result.dtype.kind == "f":
        return False
    if result.nbytes > sum(a.nbytes for a in args) + _MAX_GROWTH_BYTES:
        return False
    out.data = np.ascontiguousarray(result)
    out.signature = None
    graph.ops.remove(op)
    return True


def run(graph: Graph) -> bool:
    changed = False
    for op in list(graph.ops):
        if _fold(graph, op):
            changed = True
    return changed
