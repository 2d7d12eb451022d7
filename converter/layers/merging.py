"""Emitters for Keras merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate and Dot.

Element-wise merges follow Keras' Merge.call exactly:
  * inputs of lower rank get size-1 axes inserted at axis 1 (not in front, as NumPy would)
    until every input has the highest rank; then the ops broadcast NumPy-style;
  * n inputs are folded left to right, one binary op each, in Keras' order (float addition
    and multiplication are not associative, so the order is kept);
  * Average is that sum divided by n with DIV (Keras computes `sum / n`; multiplying by a
    rounded 1/n could differ in the last bit).
Keras Multiply, Maximum and Minimum change their result where an input carries a Keras mask
(from Embedding(mask_zero=True) or Masking); a .tflite model has no masks, so those cases
are refused rather than converted without the masking."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register
from .reshaping import batch_is_dynamic, new_tensor, reshape, transpose

# BuiltinOperator and its options table for each binary op used here.
_BINARY = {
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
}
_FUSABLE = {"ADD", "SUB", "MUL", "DIV"}  # tables with a fused_activation_function field


def _broadcast_shape(ctx: LayerContext, shapes: Sequence[Sequence[int]]) -> tuple[int, ...]:
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise ctx.unsupported(f"input shapes {[list(s) for s in shapes]} do not broadcast")


def _refuse_masked_inputs(ctx: LayerContext) -> None:
    """Keras reads input masks inside Multiply / Maximum / Minimum (no graph edge shows it)."""
    node = getattr(ctx, "node", None)
    for kt in (node.input_tensors if node is not None else []):
        if getattr(kt, "_keras_mask", None) is not None:
            raise ctx.unsupported(
                f"input '{kt.name}' carries a Keras mask (from Embedding(mask_zero=True) or "
                "Masking), which changes this layer's result where the mask is False; the "
                "converted model cannot carry masks. Remove the masking or apply it explicitly "
                "(e.g. multiply by a 0/1 input)")


def _same_rank_inputs(ctx: LayerContext, inputs: list[Tensor]) -> list[Tensor]:
    """Keras' Merge.call: lower-rank inputs get 1s inserted at axis 1 up to the highest rank."""
    top = max(x.rank for x in inputs)
    result = []
    for i, x in enumerate(inputs):
        if x.rank < top:
            dims = (*(1,) * (top - x.rank), *x.shape[1:])
            x = reshape(ctx, x, dims, suffix=f"expand{i}")
        result.append(x)
    return result


def _check_dtypes(ctx: LayerContext, inputs: list[Tensor], float_only: bool) -> np.dtype:
    dtypes = {np.dtype(x.dtype) for x in inputs}
    if len(dtypes) != 1:
        raise ctx.unsupported(f"inputs have different dtypes {sorted(d.name for d in dtypes)}; "
                              "expected one dtype")
    (dtype,) = dtypes
    if float_only and dtype != np.float32:
        raise ctx.unsupported(f"inputs have dtype {dtype.name}; only float32 is supported")
    return dtype


def _binary(ctx: LayerContext, kind: str, a: Tensor, b: Tensor, out: Tensor) -> Tensor:
    options = {"fused_activation_function": 0} if kind in _FUSABLE else {}
    ctx.op(kind, [a, b], [out], _BINARY[kind], **options)
    return out


def _fold(ctx: LayerContext, kind: str, inputs: list[Tensor], out: Tensor) -> Tensor:
    """((x0 op x1) op x2) ... with the last result written to `out`."""
    inputs = _same_rank_inputs(ctx, inputs)
    dynamic = any(batch_is_dynamic(x) for x in inputs)
    acc = inputs[0]
    for i, x in enumerate(inputs[1:], start=1):
        last = i == len(inputs) - 1
        target = out if last else new_tensor(ctx, f"{kind.lower()}{i}",
                                             _broadcast_shape(ctx, [acc.shape, x.shape]),
                                             acc.dtype, dynamic)
        acc = _binary(ctx, kind, acc, x, target)
    if len(inputs) == 1:  # a merge of one input is the input itself (still a new tensor)
        return reshape(ctx, acc, out.shape[1:], out, suffix="copy")
    return acc


def _elementwise(kind: str, float_only: bool = True, reads_mask: bool = False):
    def emit(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
        if reads_mask:
            _refuse_masked_inputs(ctx)
        dtype = _check_dtypes(ctx, inputs, float_only)
        return _fold(ctx, kind, list(inputs), ctx.output_tensor(dtype=dtype))
    return emit


register("Add")(_elementwise("ADD"))
register("Multiply")(_elementwise("MUL", reads_mask=True))
register("Maximum")(_elementwise("MAXIMUM", reads_mask=True))
register("Minimum")(_elementwise("MINIMUM", reads_mask=True))


@register("Subtract")
def convert_subtract(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    if len(inputs) != 2:
        raise ctx.unsupported(f"expects exactly 2 inputs, got {len(inputs)}")
    dtype = _check_dtypes(ctx, inputs, float_only=True)
    return _fold(ctx, "SUB", list(inputs), ctx.output_tensor(dtype=dtype))


@register("Average")
def convert_average(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    dtype = _check_dtypes(ctx, inputs, float_only=True)
    out = ctx.output_tensor(dtype=dtype)
    if len(inputs) == 1:  # x / 1 == x
        return _fold(ctx, "ADD", list(inputs), out)
    total = _fold(ctx, "ADD", list(inputs),
                  new_tensor(ctx, "sum", out.shape, dtype, batch_is_dynamic(out)))
    n = ctx.constant("count", np.array([len(inputs)], np.float32))
    return _binary(ctx, "DIV", total, n, out)


@register("Concatenate")
def convert_concatenate(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    dtype = _check_dtypes(ctx, inputs, float_only=False)
    rank = inputs[0].rank
    if any(x.rank != rank for x in inputs):
        raise ctx.unsupported(f"inputs have ranks {[x.rank for x in inputs]}; expected one rank")
    axis = int(ctx.layer.axis)
    if not -rank <= axis < rank:
        raise ctx.unsupported(f"axis={axis} is out of range for rank-{rank} inputs")
    axis %= rank
    if axis == 0:
        raise ctx.unsupported("concatenating along the batch axis (axis=0) is not supported")
    out = ctx.output_tensor(dtype=dtype)
    if len(inputs) == 1:
        return reshape(ctx, inputs[0], out.shape[1:], out, suffix="copy")
    ctx.op("CONCATENATION", list(inputs), [out], "ConcatenationOptions", axis=axis,
           fused_activation_function=0)
    return out


# -- Dot ------------------------------------------------------------------------------------------

def _dot_axes(ctx: LayerContext, x: Tensor, y: Tensor) -> tuple[int, int]:
    axes = ctx.layer.axes
    pair = (axes, axes) if isinstance(axes, int) else tuple(axes)
    if len(pair) != 2:
        raise ctx.unsupported(f"axes={axes!r} is not an int or a pair of ints")
    a0 = int(pair[0]) % x.rank
    a1 = int(pair[1]) % y.rank
    if a0 == 0 or a1 == 0:
        raise ctx.unsupported(f"axes={axes!r} includes the batch axis")
    return a0, a1


def _l2_normalize(ctx: LayerContext, x: Tensor, axis: int, tag: str) -> Tensor:
    """Keras' ops.normalize(x, axis, order=2): x * min(rsqrt(sum(x**2, axis)), 1/epsilon)."""
    import keras

    dynamic = batch_is_dynamic(x)
    squared = _binary(ctx, "MUL", x, x, new_tensor(ctx, f"{tag}/square", x.shape, x.dtype,
                                                    dynamic))
    kept = list(x.shape)
    kept[axis] = 1
    total = new_tensor(ctx, f"{tag}/sum_square", kept, x.dtype, dynamic)
    ctx.op("SUM", [squared, ctx.constant(f"{tag}/axis", np.array([axis], np.int32))], [total],
           "ReducerOptions", keep_dims=True)
    inv = new_tensor(ctx, f"{tag}/rsqrt", kept, x.dtype, dynamic)
    ctx.op("RSQRT", [total], [inv])
    cap = ctx.constant(f"{tag}/inv_epsilon", np.array([1.0 / keras.config.epsilon()], np.float32))
    capped = _binary(ctx, "MINIMUM", inv, cap, new_tensor(ctx, f"{tag}/inv_norm", kept, x.dtype,
                                                           dynamic))
    return _binary(ctx, "MUL", x, capped, new_tensor(ctx, f"{tag}/normalized", x.shape,
                                                      x.dtype, dynamic))


@register("Dot")
def convert_dot(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    """Keras' batch_dot as one BATCH_MATMUL: x with the contracted axis moved last and the
    other axes flattened to [batch, Px, n]; y with it moved to axis 1 and flattened to
    [batch, n, Py]; the [batch, Px, Py] product reshaped to Keras' output (x's remaining
    axes, then y's), which keeps element order."""
    if len(inputs) != 2:
        raise ctx.unsupported(f"expects exactly 2 inputs, got {len(inputs)}")
    x, y = inputs
    _check_dtypes(ctx, inputs, float_only=True)
    if x.rank < 2 or y.rank < 2:
        raise ctx.unsupported(f"inputs of shapes {list(x.shape)} and {list(y.shape)}; expected "
                              "rank 2 or more")
    a0, a1 = _dot_axes(ctx, x, y)
    if x.shape[a0] != y.shape[a1]:
        raise ctx.unsupported(f"contracted extents differ: {x.shape[a0]} vs {y.shape[a1]}")
    if ctx.layer.normalize:
        x = _l2_normalize(ctx, x, a0, "normalize_x")
        y = _l2_normalize(ctx, y, a1, "normalize_y")
    n = x.shape[a0]

    x_rest = [d for i, d in enumerate(x.shape) if i not in (0, a0)]
    if a0 != x.rank - 1:
        x = transpose(ctx, x, [0, *[i for i in range(1, x.rank) if i != a0], a0],
                      suffix="x_transpose")
    px = int(np.prod(x_rest, dtype=np.int64))
    x = reshape(ctx, x, (px, n), suffix="x_matrix")

    y_rest = [d for i, d in enumerate(y.shape) if i not in (0, a1)]
    if a1 != 1:
        y = transpose(ctx, y, [0, a1, *[i for i in range(1, y.rank) if i != a1]],
                      suffix="y_transpose")
    py = int(np.prod(y_rest, dtype=np.int64))
    y = reshape(ctx, y, (n, py), suffix="y_matrix")

    out = ctx.output_tensor()
    product = new_tensor(ctx, "matmul", (x.shape[0], px, py), np.float32,
                         batch_is_dynamic(x) or batch_is_dynamic(y))
    ctx.op("BATCH_MATMUL", [x, y], [product], "BatchMatMulOptions", adj_x=False, adj_y=False,
           asymmetric_quantize_inputs=False)
    return reshape(ctx, product, out.shape[1:], out)
