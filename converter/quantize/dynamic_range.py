"""Dynamic-range ("hybrid") quantization: int8 weights, float32 activations.

The weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED are stored as symmetric int8
(zero point 0, values in [-127, 127]) with one scale per output channel:

  CONV_2D            filter [out, kh, kw, in]        quantized_dimension 0
  DEPTHWISE_CONV_2D  filter [1, kh, kw, in * mult]   quantized_dimension 3
  FULLY_CONNECTED    weights [out, in]               quantized_dimension 0, and the op's
                                                     asymmetric_quantize_inputs set

and the op reads them directly: the runtime quantizes the float input on the fly, multiplies
in integers and scales the sums back to float32. This is what TensorFlow's converter writes
with optimizations=[tf.lite.Optimize.DEFAULT] and no representative dataset (checked by
reading its files: the same types, per-channel scales, zero points, options and op versions
CONV_2D 5, DEPTHWISE_CONV_2D 6, FULLY_CONNECTED 12, which the writer derives from the
tensor types).

Left in float32, as TensorFlow's converter also does: weights with fewer than
MIN_WEIGHT_ELEMENTS elements (too small for the saving to matter, and the error of int8
would), biases, grouped convolutions (no hybrid kernel), and a constant that some other op
reads as well. Also left float32 here although TensorFlow's converter quantizes them:
TRANSPOSE_CONV filters and embedding tables (GATHER + DEQUANTIZE) — litert has no hybrid
TRANSPOSE_CONV; both could be added later. BATCH_MATMUL never has a constant operand in
what the layer emitters write (dense projections are FULLY_CONNECTED)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..ir import Graph, Op, Tensor

MIN_WEIGHT_ELEMENTS = 1024

# Symmetric int8 weights use [-127, 127] so that -q is representable for every q.
_QMAX = 127

# op kind -> (weight input position, quantized (output-channel) dimension of the weights)
HYBRID_WEIGHTS: dict[str, tuple[int, int]] = {
    "CONV_2D": (1, 0),
    "DEPTHWISE_CONV_2D": (1, 3),
    "FULLY_CONNECTED": (1, 0),
}


def symmetric_per_channel(w: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales): scale[c] = max|w[c]| / 127, q = round(w / scale)
    with halves rounded away from zero (C's round(), as TensorFlow's quantizer uses), so
    that w ~= scale[c] * q. An all-zero channel gets scale 1 (any scale reproduces it)."""
    w = np.asarray(w, dtype=np.float32)
    other = tuple(d for d in range(w.ndim) if d != axis)
    max_abs = np.max(np.abs(w), axis=other) if other else np.abs(w)
    scale = (max_abs / np.float32(_QMAX)).astype(np.float32)
    scale[scale == 0] = 1.0
    shape = [1] * w.ndim
    shape[axis] = -1
    scaled = w / scale.reshape(shape)
    q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)
    return np.clip(q, -_QMAX, _QMAX).astype(np.int8), scale


def _eligible(graph: Graph, op: Op) -> Optional[Tensor]:
    """The weight tensor of `op` to quantize, or None when it stays float32."""
    spec = HYBRID_WEIGHTS.get(op.kind)
    if spec is None:
        return None
    position, _ = spec
    if len(op.inputs) <= position or op.inputs[0] is None:
        return None
    x, w = op.inputs[0], op.inputs[position]
    if (w is None or not w.is_constant or w.quant or np.dtype(w.dtype) != np.float32
            or np.dtype(x.dtype) != np.float32 or x.quant
            or any(np.dtype(o.dtype) != np.float32 for o in op.outputs)
            or int(np.asarray(w.data).size) < MIN_WEIGHT_ELEMENTS
            or graph.is_graph_output(w)):
        return None
    if op.kind == "CONV_2D" and w.rank == 4 and x.rank == 4 and w.shape[3] != x.shape[3]:
        return None       # grouped convolution
    if op.kind == "FULLY_CONNECTED" and op.options.get("weights_format", 0) != 0:
        return None
    # Every reader must be an op of the same kind reading it as its weights.
    for reader in graph.consumers(w):
        if reader.kind != op.kind or any(
                t is w for i, t in enumerate(reader.inputs) if i != position):
            return None
    return w


def quantize_dynamic_range(graph: Graph) -> int:
    """Rewrites `graph` in place; returns the number of weight tensors now int8. The int8
    tensor keeps the float weight's name."""
    count = 0
    for op in list(graph.ops):
        w = _eligible(graph, op)   # None once a shared weight has been replaced (quant set)
        if w is None:
            continue
        _, axis = HYBRID_WEIGHTS[op.kind]
        q, scale = symmetric_per_channel(np.asarray(w.data), axis)
        qt = Tensor(w.name, tuple(w.shape), np.dtype(np.int8), data=q,
                    quant={"scale": scale, "zero_point": np.zeros(scale.size, np.int64),
                           "quantized_dimension": axis})
        readers = graph.consumers(w)
        graph.replace_uses(w, qt)
        for reader in readers:
            if reader.kind == "FULLY_CONNECTED":
                # Quantize each input row with its own zero point (as TensorFlow's
                # converter sets it): more accurate for inputs not centred on zero.
                reader.options["asymmetric_quantize_inputs"] = True
        count += 1
    return count
