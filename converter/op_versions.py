"""Operator-code versions, as TensorFlow's converter writes them.

A .tflite file lists each operator as (builtin code, version); the version says which feature
set of the op a runtime needs (int8 tensors, per-channel hybrid weights, keep_num_dims, ...).
TensorFlow Lite registers each kernel for a range of versions and rejects a file asking for a
version it does not know, so writing the version TensorFlow's converter writes for the same
op signature keeps our files loadable wherever theirs are, and tells older runtimes the truth
about what a file needs.

The rules below are TensorFlow Lite's op-versioning rules for the ops, tensor types and
options this converter writes (learned from its documentation and checked against files
written by tf.lite.TFLiteConverter in float32, float16, dynamic-range and full-int8 modes:
tests/test_quantize_report.py::test_op_versions_match_tensorflow). Summary for int8 ops:

  CONV_2D 3, DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 4 (5 with keep_num_dims), ADD 2, SUB 2,
  MUL 2 (3 when in1_scale * in2_scale / out_scale >= 1), AVERAGE/MAX_POOL_2D 2, MEAN 2, SUM 2,
  REDUCE_MAX/MIN 2, SOFTMAX 2, LOGISTIC 2, TANH 2, RELU 2, RELU6 2, CONCATENATION 2, PAD 2,
  PADV2 2, STRIDED_SLICE 2, SLICE 2, TRANSPOSE 2, GATHER 2, PACK 2, MAXIMUM/MINIMUM 2,
  RESIZE_* 2 (3 with half_pixel_centers), GELU 2, BATCH_MATMUL 2, SQUARED_DIFFERENCE 2,
  QUANTIZE 1 (float -> int8 and int8 -> int8 alike; 3 per-channel), DEQUANTIZE 2 (5
  per-channel), RESHAPE 1, SQUEEZE 1, HARD_SWISH 1, LEAKY_RELU 1, PRELU 1, ELU 1.
Hybrid (float32 input, int8 weights): CONV_2D 5 per-channel / 2 per-tensor, DEPTHWISE_CONV_2D
6 / 4, FULLY_CONNECTED 12 per-channel, else 9 with asymmetric_quantize_inputs or 3,
BATCH_MATMUL 4 with asymmetric_quantize_inputs. float16 weights: DEQUANTIZE 3.
Float32 ops are version 1 except where an option needs more (FULLY_CONNECTED keep_num_dims 5
or no bias input 6, DEPTHWISE_CONV_2D dilation 2, RESIZE_* half_pixel_centers 3, ...)."""
from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

_F32, _F16 = np.dtype(np.float32), np.dtype(np.float16)
_I8, _U8, _I16 = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int16)
_I32, _I64, _BOOL = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)

# Ops whose version only depends on an int8 input (2) against anything else (1).
_INT8_IS_2 = frozenset({
    "ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX", "MEAN", "REDUCE_MAX", "REDUCE_MIN",
    "RELU6", "RSQRT", "MIRROR_PAD", "LOGISTIC", "TANH", "CONCATENATION", "SUM",
    "SQUARED_DIFFERENCE", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "SPLIT_V", "LOG_SOFTMAX",
    "GREATER", "LESS_EQUAL", "LESS", "GREATER_EQUAL", "ARG_MAX", "ARG_MIN", "EQUAL",
    "NOT_EQUAL", "PACK", "UNPACK", "SELECT", "L2_NORMALIZATION",
})


def _dt(dtype) -> Optional[np.dtype]:
    return None if dtype is None else np.dtype(dtype)


def op_version(kind: str, input_dtype, weight_dtype=None,
               options: Optional[Mapping[str, Any]] = None, *, output_dtype=None,
               per_channel: bool = False, num_inputs: Optional[int] = None,
               input_rank: Optional[int] = None, broadcast_rank: Optional[int] = None,
               mul_rescale: Optional[float] = None, sparse_weights: bool = False) -> int:
    """The version TensorFlow's converter writes for op `kind` (a BuiltinOperator name).

    input_dtype: dtype of the first input (for SPLIT: of the data input); weight_dtype: of
    the second input (the weights of conv / fully-connected / batch-matmul ops, the filter of
    TRANSPOSE_CONV); output_dtype: of the first output (defaults to input_dtype);
    options: the op's options table fields (snake_case);
    per_channel: the weights (hybrid ops; QUANTIZE / DEQUANTIZE: the tensor) carry one scale
    per channel; num_inputs: input count as written, omitted optional inputs (-1) included;
    input_rank: rank of the first input; broadcast_rank: the largest input rank when the
    inputs' shapes differ (binary ops), else None; mul_rescale: for quantized MUL,
    in1_scale * in2_scale / out_scale; sparse_weights: FULLY_CONNECTED weights in the sparse
    format."""
    x, w = _dt(input_dtype), _dt(weight_dtype)
    y = _dt(output_dtype) if output_dtype is not None else x
    opts = dict(options or {})
    rank = input_rank or 0
    hybrid = x == _F32 and w == _I8 and y == _F32
    full_int8 = x == _I8 and w == _I8 and y == _I8

    if kind == "CONV_2D":
        if opts.get("_grouped"):
            return 6
        if full_int8:
            return 3
        if hybrid:
            return 5 if per_channel else 2
        return 1
    if kind == "DEPTHWISE_CONV_2D":
        if hybrid:
            return 6 if per_channel else 4
        if full_int8:
            return 3
        if opts.get("dilation_w_factor", 1) != 1 or opts.get("dilation_h_factor", 1) != 1:
            return 2
        return 1
    if kind == "FULLY_CONNECTED":
        if hybrid and per_channel:
            return 12
        if sparse_weights:
            return 8
        if num_inputs == 2:
            return 6
        if opts.get("keep_num_dims"):
            return 5
        if full_int8:
            return 4
        if hybrid:
            return 9 if opts.get("asymmetric_quantize_inputs") else 3
        if opts.get("weights_format", 0) != 0:
            return 2
        return 1
    if kind == "TRANSPOSE_CONV":
        if opts.get("fused_activation_function", 0):
            return 4
        if num_inputs == 4 and opts.get("_has_bias", True):
            return 3
        return 2 if w == _I8 else 1
    if kind == "BATCH_MATMUL":
        if x == _I16:
            return 3
        if x == _I8:
            return 2
        if hybrid and opts.get("asymmetric_quantize_inputs"):
            return 4
        return 1
    if kind == "MUL":
        if x == _I16:
            return 4
        if x == _I8 and mul_rescale is not None and mul_rescale >= 1.0:
            return 3
        return 2 if x == _I8 else 1
    if kind in ("SUB", "MAXIMUM", "MINIMUM"):
        if x == _I64 and kind == "SUB":
            return 4
        if broadcast_rank is not None and broadcast_rank > 4:
            return 3
        return 2 if x == _I8 else 1
    if kind == "DIV":
        return 2 if broadcast_rank is not None and broadcast_rank > 4 else 1
    if kind == "QUANTIZE":
        if per_channel:
            return 3
        return 2 if y == _I16 else 1
    if kind == "DEQUANTIZE":
        if x in (_I16, _F16):
            return 3
        if x == _I8:
            return 5 if per_channel else 2
        return 1
    if kind in ("PAD", "PADV2"):
        if rank > 4:
            return 4
        return 2 if x == _I8 else 1
    if kind == "TRANSPOSE":
        if rank > 5:
            return 6
        if rank > 4:
            return 4
        if x == _BOOL:
            return 3
        return 2 if x == _I8 else 1
    if kind == "STRIDED_SLICE":
        if opts.get("offset"):
            return 8
        if opts.get("ellipsis_mask", 0) or opts.get("new_axis_mask", 0):
            return 6
        if rank > 4:
            return 4
        if x == _BOOL:
            return 3
        return 2 if x == _I8 else 1
    if kind == "SLICE":
        if rank > 4:
            return 5
        return 2 if x == _I8 else 1
    if kind == "GATHER":
        if opts.get("batch_dims", 0):
            return 5
        if x == _BOOL:
            return 3
        return 2 if x == _I8 else 1
    if kind == "RESIZE_BILINEAR":
        if opts.get("half_pixel_centers"):
            return 3
        return 2 if x == _I8 else 1
    if kind == "RESIZE_NEAREST_NEIGHBOR":
        if opts.get("half_pixel_centers") or opts.get("align_corners"):
            return 3
        return 2 if x == _I8 else 1
    if kind == "RELU":
        return 2 if x in (_I8, _U8) else 1
    if kind in ("GELU",):
        return 2 if x in (_I8, _U8) else 1
    if kind in ("EXP", "LOG", "REDUCE_PROD"):
        return 2 if x in (_I8, _I16) else 1
    if kind == "SPLIT":
        if x == _I32:
            return 3
        return 2 if x == _I8 else 1
    if kind in _INT8_IS_2:
        return 2 if x == _I8 else 1
    # RESHAPE, SQUEEZE, EXPAND_DIMS, HARD_SWISH, LEAKY_RELU (int8), PRELU, ELU, SHAPE,
    # RELU_N1_TO_1, SQRT, ...: one version for float32 and int8.
    return 1


# ---- from the converter's IR ----------------------------------------------------------------

def _scales(t) -> np.ndarray:
    if t is None or not t.quant or "scale" not in t.quant:
        return np.zeros(0)
    return np.atleast_1d(np.asarray(t.quant["scale"], dtype=np.float64))


def op_version_of(op) -> int:
    """op_version for a converter IR op (converter.ir.Op): dtypes, per-channel weights,
    ranks, MUL's rescale and grouped convolution read from its tensors."""
    ins = op.inputs
    first = ins[0] if ins and ins[0] is not None else None
    data = ins[1] if op.kind == "SPLIT" and len(ins) > 1 else first
    if op.kind == "TRANSPOSE_CONV":       # inputs: output_shape, weights, data, bias
        data = ins[2] if len(ins) > 2 else None
    weight = ins[1] if len(ins) > 1 else None
    out = op.outputs[0] if op.outputs else None
    opts = dict(op.options)
    per_channel = False
    if op.kind in ("QUANTIZE", "DEQUANTIZE"):
        t = out if op.kind == "QUANTIZE" else first
        per_channel = _scales(t).size > 1
    elif weight is not None:
        per_channel = _scales(weight).size > 1
    if op.kind == "CONV_2D" and first is not None and weight is not None:
        opts["_grouped"] = first.shape[-1] != weight.shape[-1]
    if op.kind == "TRANSPOSE_CONV":
        opts["_has_bias"] = len(ins) > 3 and ins[3] is not None
    mul_rescale = None
    if op.kind == "MUL" and len(ins) >= 2 and out is not None:
        s1, s2, so = _scales(ins[0]), _scales(ins[1]), _scales(out)
        if s1.size and s2.size and so.size and so[0] > 0:
            mul_rescale = float(s1[0] * s2[0] / so[0])
    broadcast_rank = None
    present = [t for t in ins if t is not None]
    if op.kind in ("SUB", "DIV", "MAXIMUM", "MINIMUM") and len(present) >= 2:
        if tuple(present[0].shape) != tuple(present[1].shape):
            broadcast_rank = max(t.rank for t in present)
    return op_version(
        op.kind,
        None if data is None else data.dtype,
        None if weight is None else weight.dtype,
        opts,
        output_dtype=None if out is None else out.dtype,
        per_channel=per_channel,
        num_inputs=len(ins),
        input_rank=None if data is None else data.rank,
        broadcast_rank=broadcast_rank,
        mul_rescale=mul_rescale,
        sparse_weights=bool(weight is not None and weight.sparsity is not None),
    )
