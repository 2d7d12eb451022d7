"""Full-integer (int8) post-training quantization, following TensorFlow Lite's quantization
specification, so that TensorFlow Lite's int8 kernels (and litert's, which follow them) run
the file:

  activations       int8, per tensor, asymmetric: real = scale * (q - zero_point), with
                    scale = (max - min) / 255 and zero_point = round(-128 - min / scale)
                    clamped to [-128, 127], from the calibrated range widened to include 0
                    (so that 0, e.g. padding, is exact);
  CONV_2D weights   int8 symmetric (zero point 0, values in [-127, 127]), one scale per
                    output channel (quantized_dimension 0); DEPTHWISE_CONV_2D along dimension
                    3; FULLY_CONNECTED per output unit (dimension 0), which TensorFlow Lite's
                    int8 kernel accepts and TensorFlow's converter writes too;
  biases            int32, scale input_scale * weight_scale[c], zero point 0;
  fixed outputs     SOFTMAX and LOGISTIC 1/256 with zero point -128, TANH 1/128 with 0 (the
                    kernels' lookup tables and fixed-point arithmetic assume these);
  same-scale ops    RESHAPE, SQUEEZE, TRANSPOSE, pools, PAD, slices, CONCATENATION,
                    MAXIMUM/MINIMUM: every data input and the output share one scale and zero
                    point (the kernels move or compare raw int8 values). Such tensors form
                    groups whose range is the union of their members' ranges — what
                    TensorFlow's converter does for CONCATENATION instead of requantizing. An
                    input that cannot join (its parameters are fixed, e.g. a SOFTMAX output,
                    and differ) is requantized by an int8 -> int8 QUANTIZE op;
  other constants   float constants read as data (e.g. the other operand of ADD / MUL)
                    are quantized per tensor from their own range, or with their group's
                    parameters;
  model IO          io_dtype "int8": the graph inputs/outputs become int8 with their
                    calibrated parameters; "float": they stay float32, with a QUANTIZE op
                    after each input and a DEQUANTIZE op before each output.

Ops without an int8 kernel stop the conversion with a ConversionError naming the layer."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..ir import Graph, Op, Tensor
from ..registry import ConversionError
from .calibrate import Range, collect_ranges

QMIN, QMAX = -128, 127
INT32_MAX = 2**31 - 1
IO_DTYPES = ("int8", "float")

# Output parameters the int8 kernels require: (scale, zero point).
FIXED_OUTPUT: dict[str, tuple[float, int]] = {
    "SOFTMAX": (1.0 / 256.0, -128),
    "LOGISTIC": (1.0 / 256.0, -128),
    "TANH": (1.0 / 128.0, 0),
}

# Ops whose output shares the parameters of the data inputs listed (None: every input).
SAME_SCALE: dict[str, Optional[tuple[int, ...]]] = {
    "RESHAPE": (0,),
    "SQUEEZE": (0,),
    "EXPAND_DIMS": (0,),
    "TRANSPOSE": (0,),
    "MAX_POOL_2D": (0,),
    "AVERAGE_POOL_2D": (0,),
    "PAD": (0,),
    "PADV2": (0, 2),
    "STRIDED_SLICE": (0,),
    "SLICE": (0,),
    "CONCATENATION": None,
    "MAXIMUM": (0, 1),
    "MINIMUM": (0, 1),
}

# Ops with an int8 kernel whose output has its own calibrated parameters, and the input
# positions holding float data (quantized as activations or as per-tensor constants).
FREE_OUTPUT: dict[str, tuple[int, ...]] = {
    "ADD": (0, 1),
    "SUB": (0, 1),
    "MUL": (0, 1),
    "MEAN": (0,),
    "RELU": (0,),
    "RELU6": (0,),
    "RELU_N1_TO_1": (0,),
    "LEAKY_RELU": (0,),
    "HARD_SWISH": (0,),
}

# Ops with weights: (weight position, quantized dimension, bias position).
WEIGHTED: dict[str, tuple[int, int, int]] = {
    "CONV_2D": (1, 0, 2),
    "DEPTHWISE_CONV_2D": (1, 3, 2),
    "FULLY_CONNECTED": (1, 0, 2),
}

SUPPORTED = sorted({*FIXED_OUTPUT, *SAME_SCALE, *FREE_OUTPUT, *WEIGHTED})


# ---- parameters ---------------------------------------------------------------------------

def asymmetric_params(lo: float, hi: float) -> tuple[float, int]:
    """(scale, zero point) for the real range [lo, hi] widened to include 0, as TensorFlow
    Lite's quantizer nudges it: the zero point is rounded to an integer, which shifts the
    represented range slightly so that 0 is exact."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 0.0:
        return 1.0, 0                       # always 0: any scale represents it
    scale = (hi - lo) / (QMAX - QMIN)
    zero_from_min = QMIN - lo / scale
    zero_point = int(min(max(round(zero_from_min), QMIN), QMAX))
    return float(np.float32(scale)), zero_point


def _quant(scale, zero_point, dim: int = 0) -> dict[str, Any]:
    return {"scale": np.atleast_1d(np.asarray(scale, dtype=np.float32)),
            "zero_point": np.atleast_1d(np.asarray(zero_point, dtype=np.int64)),
            "quantized_dimension": dim}


def quantize_values(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """int8 values of x (halves rounded away from zero, as TensorFlow Lite's quantizer)."""
    scaled = np.asarray(x, dtype=np.float64) / scale
    q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zero_point
    return np.clip(q, QMIN, QMAX).astype(np.int8)


def symmetric_per_channel(w: np.ndarray, axis: int,
                          min_scale: Optional[np.ndarray] = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales) with scale[c] = max|w[c]| / 127 (at least min_scale[c])."""
    w = np.asarray(w, dtype=np.float32)
    other = tuple(d for d in range(w.ndim) if d != axis)
    max_abs = np.max(np.abs(w), axis=other) if other else np.abs(w)
    scale = (max_abs.astype(np.float64) / 127.0)
    if min_scale is not None:
        scale = np.maximum(scale, min_scale)
    scale = scale.astype(np.float32)
    scale[scale == 0] = 1.0                  # an all-zero channel: any scale reproduces it
    shape = [1] * w.ndim
    shape[axis] = -1
    scaled = w.astype(np.float64) / scale.astype(np.float64).reshape(shape)
    q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(q, -127, 127).astype(np.int8), scale


# ---- groups of tensors sharing parameters ---------------------------------------------------

class _Groups:
    """Union-find over tensors that must share parameters, each group with its range and,
    when one of its members is the output of a FIXED_OUTPUT op, those fixed parameters."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.range: dict[int, Range] = {}
        self.fixed: dict[int, tuple[float, int]] = {}

    def add(self, t: Tensor, rng: Range, fixed: Optional[tuple[float, int]] = None) -> None:
        key = id(t)
        if key not in self.parent:
            self.parent[key] = key
            self.range[key] = rng
            if fixed is not None:
                self.fixed[key] = fixed

    def find(self, key: int) -> int:
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def _fits(self, fixed: tuple[float, int], rng: Range) -> bool:
        scale, zp = fixed
        lo, hi = scale * (QMIN - zp), scale * (QMAX - zp)
        slack = scale  # one step: the calibrated range of a same-scale op's input
        return rng[0] >= lo - slack and rng[1] <= hi + slack

    def union(self, a: Tensor, b: Tensor) -> bool:
        """Joins the groups of a and b; False (and nothing changed) when their parameters
        cannot be shared: two different fixed parameter sets, or a fixed set that would clip
        the other group's range."""
        ra, rb = self.find(id(a)), self.find(id(b))
        if ra == rb:
            return True
        fa, fb = self.fixed.get(ra), self.fixed.get(rb)
        if fa is not None and fb is not None and fa != fb:
            return False
        if fa is not None and not self._fits(fa, self.range[rb]):
            return False
        if fb is not None and not self._fits(fb, self.range[ra]):
            return False
        self.parent[rb] = ra
        (la, ha), (lb, hb) = self.range[ra], self.range[rb]
        self.range[ra] = (min(la, lb), max(ha, hb))
        if fb is not None:
            self.fixed[ra] = fb
        return True

    def params(self, t: Tensor) -> tuple[float, int]:
        root = self.find(id(t))
        if root in self.fixed:
            return self.fixed[root]
        return asymmetric_params(*self.range[root])


# ---- the pass -----------------------------------------------------------------------------

def _where(op: Op) -> str:
    return f"layer {op.layer!r}" if op.layer else "the model"


def check_supported(graph: Graph) -> None:
    for op in graph.ops:
        if op.kind not in SUPPORTED:
            raise ConversionError(
                f"{_where(op)}: op {op.kind} has no int8 kernel, so the model cannot be fully "
                f"integer-quantized (int8 ops: {', '.join(SUPPORTED)}); use quantize="
                "'dynamic' or 'float16' instead, or replace the layer")
        if op.kind in WEIGHTED:
            wpos = WEIGHTED[op.kind][0]
            w = op.inputs[wpos] if len(op.inputs) > wpos else None
            if w is None or not w.is_constant or np.dtype(w.dtype) != np.float32:
                raise ConversionError(f"{_where(op)}: {op.kind} with non-constant weights has "
                                      "no int8 kernel")
            if op.kind == "FULLY_CONNECTED" and op.options.get("weights_format", 0) != 0:
                raise ConversionError(f"{_where(op)}: FULLY_CONNECTED with shuffled weights "
                                      "cannot be int8-quantized")
        for t in [*op.inputs, *op.outputs]:
            if t is not None and not t.is_constant and np.dtype(t.dtype) != np.float32:
                raise ConversionError(f"{_where(op)}: op {op.kind} has a {np.dtype(t.dtype)} "
                                      f"tensor {t.name!r}; only float32 models are quantized")


def _data_positions(op: Op) -> list[int]:
    """Input positions of `op` holding float data that becomes int8 (not weights/biases)."""
    if op.kind in WEIGHTED:
        return [0]
    if op.kind in SAME_SCALE:
        wanted = SAME_SCALE[op.kind]
        return list(range(len(op.inputs))) if wanted is None else list(wanted)
    if op.kind in FREE_OUTPUT:
        return list(FREE_OUTPUT[op.kind])
    return [0]


def _is_float(t: Optional[Tensor]) -> bool:
    return t is not None and np.dtype(t.dtype) == np.float32


def _const_range(t: Tensor) -> Range:
    data = np.asarray(t.data, dtype=np.float32)
    if data.size == 0:
        return (0.0, 0.0)
    return float(data.min()), float(data.max())


def quantize_int8(graph: Graph, calibration: Any, io_dtype: str = "int8") -> Graph:
    """Rewrites the float32 `graph` in place into a full-integer graph (see the module
    docstring); `calibration` is the representative dataset (see calibrate.py)."""
    if io_dtype not in IO_DTYPES:
        raise ConversionError(f"io_dtype must be one of {IO_DTYPES}, not {io_dtype!r}")
    check_supported(graph)
    ranges = collect_ranges(graph, calibration)

    # 1. Groups: every float activation alone, then joined through same-scale ops.
    groups = _Groups()
    fixed_of = {id(op.outputs[0]): FIXED_OUTPUT[op.kind]
                for op in graph.ops if op.kind in FIXED_OUTPUT}
    for t in graph.tensors():
        if _is_float(t) and not t.is_constant:
            groups.add(t, ranges[id(t)], fixed_of.get(id(t)))
    requantize: list[tuple[Op, int]] = []    # (op, input position) to requantize
    for op in graph.ops:
        if op.kind not in SAME_SCALE:
            continue
        out = op.outputs[0]
        for pos in _data_positions(op):
            t = op.inputs[pos] if pos < len(op.inputs) else None
            if not _is_float(t):
                continue
            if t.is_constant:
                groups.add(t, _const_range(t))
            if not groups.union(out, t):
                if t.is_constant:
                    raise ConversionError(f"{_where(op)}: constant {t.name!r} of {op.kind} "
                                          "cannot share the int8 parameters of its output")
                requantize.append((op, pos))

    # 2. Requantize inputs that could not join their op's group (int8 -> int8 QUANTIZE).
    for op, pos in requantize:
        src = op.inputs[pos]
        dst = graph.tensor(src.name + "/requantized", src.shape, np.float32, src.signature)
        groups.add(dst, ranges[id(src)])
        groups.union(op.outputs[0], dst)
        op.inputs[pos] = dst
        graph.ops.insert(graph.ops.index(op), Op("QUANTIZE", [src], [dst], layer=op.layer))

    # 3. Constants: weights per channel, biases int32, data constants per tensor.
    weight_cache: dict[int, Tensor] = {}
    for op in list(graph.ops):
        if op.kind in WEIGHTED:
            _quantize_weighted(graph, op, groups, weight_cache)
            continue
        for pos in _data_positions(op):
            t = op.inputs[pos] if pos < len(op.inputs) else None
            if not _is_float(t) or not t.is_constant:
                continue
            if op.kind in SAME_SCALE:
                scale, zp = groups.params(t)
            else:
                scale, zp = asymmetric_params(*_const_range(t))
            q = Tensor(graph.unique_name(t.name + "/int8"), t.shape, np.dtype(np.int8),
                       data=quantize_values(t.data, scale, zp), quant=_quant(scale, zp))
            op.inputs[pos] = q

    # 4. Activations: int8 with their group's parameters (tensors are rewritten in place,
    # so every reference to them sees the change).
    activations = [t for t in graph.tensors() if _is_float(t) and not t.is_constant]
    float_io = io_dtype == "float"
    old_inputs, old_outputs = list(graph.inputs), list(graph.outputs)
    for t in activations:
        scale, zp = groups.params(t)
        t.dtype = np.dtype(np.int8)
        t.quant = _quant(scale, zp)

    # 5. Float model IO: QUANTIZE after each input, DEQUANTIZE before each output.
    if float_io:
        new_inputs = []
        for t in old_inputs:
            if np.dtype(t.dtype) != np.int8 or t.quant is None:
                new_inputs.append(t)
                continue
            outer = Tensor(t.name, t.shape, np.dtype(np.float32), signature=t.signature)
            t.name = graph.unique_name(t.name + "/int8")
            graph.ops.insert(0, Op("QUANTIZE", [outer], [t], layer=None))
            new_inputs.append(outer)
        graph.inputs = new_inputs
        new_outputs = []
        for t in old_outputs:
            if np.dtype(t.dtype) != np.int8 or t.quant is None:
                new_outputs.append(t)
                continue
            outer = Tensor(t.name, t.shape, np.dtype(np.float32), signature=t.signature)
            t.name = graph.unique_name(t.name + "/int8")
            producer = graph.producer(t)
            graph.ops.append(Op("DEQUANTIZE", [t], [outer],
                                layer=producer.layer if producer else None))
            new_outputs.append(outer)
        graph.outputs = new_outputs
    _check_integer(graph)
    return graph


def _quantize_weighted(graph: Graph, op: Op, groups: _Groups,
                       weight_cache: dict[int, Tensor]) -> None:
    wpos, axis, bpos = WEIGHTED[op.kind]
    x, w = op.inputs[0], op.inputs[wpos]
    b = op.inputs[bpos] if len(op.inputs) > bpos else None
    in_scale, _ = groups.params(x)
    channels = w.shape[axis]
    bias = None if b is None else np.asarray(b.data, dtype=np.float64).reshape(-1)
    if bias is not None and bias.size != channels:
        raise ConversionError(f"{_where(op)}: {op.kind} bias has {bias.size} values for "
                              f"{channels} output channels")
    # A weight scale so small that bias / (in_scale * w_scale) overflows int32 is raised
    # (as TensorFlow's quantizer does) — the weights lose precision, the bias stays exact.
    min_scale = None
    if bias is not None:
        min_scale = np.abs(bias) / (in_scale * (INT32_MAX - 1))
    qw = weight_cache.get(id(w))
    if qw is not None and min_scale is not None and np.any(
            qw.quant["scale"].astype(np.float64) < min_scale):
        qw = None
    if qw is None:
        values, scales = symmetric_per_channel(np.asarray(w.data), axis, min_scale)
        qw = Tensor(graph.unique_name(w.name + "/int8"), w.shape, np.dtype(np.int8),
                    data=values, quant=_quant(scales, np.zeros(scales.size, np.int64), axis))
        weight_cache[id(w)] = qw
    op.inputs[wpos] = qw
    if bias is not None:
        bias_scale = in_scale * qw.quant["scale"].astype(np.float64)
        scaled = bias / bias_scale
        qb = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
        qb = np.clip(qb, -INT32_MAX, INT32_MAX).astype(np.int32).reshape(b.shape)
        op.inputs[bpos] = Tensor(graph.unique_name(b.name + "/int32"), b.shape,
                                 np.dtype(np.int32), data=qb,
                                 quant=_quant(bias_scale.astype(np.float32),
                                              np.zeros(bias_scale.size, np.int64), 0))


def _check_integer(graph: Graph) -> None:
    """Every op but the IO QUANTIZE / DEQUANTIZE reads and writes integers only."""
    for op in graph.ops:
        if op.kind in ("QUANTIZE", "DEQUANTIZE"):
            continue
        for t in [*op.inputs, *op.outputs]:
            if t is not None and np.dtype(t.dtype) == np.float32:
                raise ConversionError(f"internal error: {_where(op)}: {op.kind} still has "
                                      f"float32 tensor {t.name!r} after int8 quantization")
