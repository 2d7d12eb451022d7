"""Emitters for Keras normalization and affine preprocessing layers.

  BatchNormalization (inference) -> MUL by gamma / sqrt(var + eps), ADD beta - mean * that:
      two constant per-channel vectors laid along `axis` (shape [C] for the last axis, [C, 1,
      ..., 1] otherwise), so the fold pass can merge them into a preceding CONV_2D /
      DEPTHWISE_CONV_2D / FULLY_CONNECTED.
  LayerNormalization -> MEAN, SUB, MUL (square), MEAN, ADD eps, RSQRT, MUL, [MUL gamma],
      [ADD beta] over one or several axes; rms_scaling=True (deprecated in Keras, which then
      scales x by the centered variance, not the mean square) follows Keras exactly.
  Rescaling -> MUL scale, ADD offset (scalars or per-channel, Keras' broadcasting).
  Normalization -> SUB mean, MUL 1 / max(sqrt(var), eps); invert=True: MUL max(...), ADD mean.

Ops that would do nothing (a MUL by ones, an ADD of zeros) are left out. Constants drop the
leading dimensions of size 1 that broadcasting adds back."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register
from .convolution import keras_shape_of, keras_tensor, single_float_input


def _trim_leading_ones(value: np.ndarray) -> np.ndarray:
    shape = list(value.shape)
    while len(shape) > 1 and shape[0] == 1:
        shape.pop(0)
    return value.reshape(shape)


def _broadcastable(ctx: LayerContext, x: Tensor, value: np.ndarray, what: str) -> np.ndarray:
    """`value` as float32 with its leading 1s dropped, checked to broadcast onto x without
    changing x's shape."""
    value = _trim_leading_ones(np.asarray(value, np.float32))
    try:
        result = np.broadcast_shapes(tuple(x.shape), value.shape)
    except ValueError:
        result = None
    if result != tuple(x.shape) or value.ndim > x.rank:
        raise ctx.unsupported(f"{what} of shape {list(value.shape)} does not broadcast onto "
                              f"the input's shape {list(x.shape)}")
    return value


def _elementwise(ctx: LayerContext, kind: str, x: Tensor, other: Tensor, suffix: str,
                 target: Optional[Tensor]) -> Tensor:
    y = target if target is not None else ctx.like(x, suffix)
    table = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}.get(kind)
    options = {"fused_activation_function": 0} if table else {}
    ctx.op(kind, [x, other], [y], table, **options)
    return y


def _const_op(ctx: LayerContext, kind: str, x: Tensor, value: np.ndarray, suffix: str,
              target: Optional[Tensor]) -> Tensor:
    return _elementwise(ctx, kind, x, ctx.constant(suffix, value), suffix, target)


def _affine(ctx: LayerContext, x: Tensor, mul: Optional[np.ndarray], add: Optional[np.ndarray],
            target: Tensor) -> Tensor:
    """target = x * mul + add, leaving out a MUL by ones or an ADD of zeros (but emitting at
    least one op so the layer has its own output)."""
    if mul is not None and np.all(mul == 1):
        mul = None
    if add is not None and np.all(add == 0):
        add = None
    if mul is None and add is None:
        mul = np.float32(1.0)
    y = x
    if mul is not None:
        y = _const_op(ctx, "MUL", y, mul, "scale", target if add is None else None)
    if add is not None:
        y = _const_op(ctx, "ADD", y, add, "offset", target)
    return y


def _normalized_axes(ctx: LayerContext, axis, rank: int) -> list[int]:
    axes = [axis] if isinstance(axis, int) else list(axis)
    result = sorted({a + rank if a < 0 else a for a in axes})
    if not result or any(a < 1 or a >= rank for a in result):
        raise ctx.unsupported(f"axis={axis} for a rank-{rank} input: the batch axis (0) cannot "
                              "be normalized over and axes must be in range")
    return result


def _along_axes(ctx: LayerContext, x: Tensor, value: np.ndarray, axes: Sequence[int],
                what: str) -> np.ndarray:
    """A parameter over `axes` (shape [x.shape[a] for a in axes], or anything reshaping to
    it) laid out to broadcast onto x: full rank with 1 elsewhere, leading 1s dropped."""
    full = [1] * x.rank
    dims = keras_shape_of(x)
    for a in axes:
        if dims[a] is None:
            raise ctx.unsupported(f"axis {a} has an unknown size; {what} needs it fixed")
        full[a] = dims[a]
    value = np.asarray(value, np.float32)
    if value.size != int(np.prod(full)):
        raise ctx.unsupported(f"{what} has {value.size} values; expected {int(np.prod(full))} "
                              f"for axes {list(axes)} of shape {list(x.shape)}")
    return _broadcastable(ctx, x, value.reshape(full), what)


# -- BatchNormalization ---------------------------------------------------------------------
@register("BatchNormalization")
def convert_batch_normalization(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = single_float_input(ctx, inputs)
    layer = ctx.layer
    axes = _normalized_axes(ctx, layer.axis, x.rank)
    if len(axes) != 1:
        raise ctx.unsupported(f"axis={layer.axis}: only one normalized axis is supported")
    mean = ctx.weight("moving_mean").astype(np.float64)
    variance = ctx.weight("moving_variance").astype(np.float64)
    gamma = ctx.weight("gamma").astype(np.float64) if layer.scale else 1.0
    beta = ctx.weight("beta").astype(np.float64) if layer.center else 0.0
    inv = gamma / np.sqrt(variance + float(layer.epsilon))
    mul = _along_axes(ctx, x, inv, axes, "the batch-norm scale")
    add = _along_axes(ctx, x, beta - mean * inv, axes, "the batch-norm offset")
    return _affine(ctx, x, mul, add, ctx.output_tensor())


# -- LayerNormalization ---------------------------------------------------------------------
def _reduce_mean(ctx: LayerContext, x: Tensor, axes: Sequence[int], suffix: str) -> Tensor:
    reduced = list(keras_shape_of(x))
    for a in axes:
        reduced[a] = 1
    y = keras_tensor(ctx, suffix, reduced)
    ctx.op("MEAN", [x, ctx.constant(f"{suffix}/axes", np.array(axes, np.int32))], [y],
           "ReducerOptions", keep_dims=True)
    return y


@register("LayerNormalization")
def convert_layer_normalization(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = single_float_input(ctx, inputs)
    layer = ctx.layer
    axes = _normalized_axes(ctx, layer.axis, x.rank)
    rms_scaling = bool(getattr(layer, "rms_scaling", False))
    gamma = (_along_axes(ctx, x, ctx.weight("gamma"), axes, "gamma")
             if layer.scale else None)
    beta = (_along_axes(ctx, x, ctx.weight("beta"), axes, "beta")
            if layer.center and not rms_scaling else None)
    if gamma is not None and np.all(gamma == 1):
        gamma = None
    if beta is not None and np.all(beta == 0):
        beta = None
    out = ctx.output_tensor()

    mean = _reduce_mean(ctx, x, axes, "mean")
    centered = _elementwise(ctx, "SUB", x, mean, "centered", None)
    squared = _elementwise(ctx, "MUL", centered, centered, "squared", None)
    variance = _reduce_mean(ctx, squared, axes, "variance")
    eps = ctx.constant("epsilon", np.array(float(layer.epsilon), np.float32))
    shifted = _elementwise(ctx, "ADD", variance, eps, "variance_eps", None)
    inv_std = ctx.like(shifted, "inv_std")
    ctx.op("RSQRT", [shifted], [inv_std])

    # Keras' rms_scaling multiplies the uncentered input.
    source = x if rms_scaling else centered
    y = _elementwise(ctx, "MUL", source, inv_std, "normalized",
                     out if gamma is None and beta is None else None)
    if gamma is not None:
        y = _const_op(ctx, "MUL", y, gamma, "gamma", out if beta is None else None)
    if beta is not None:
        y = _const_op(ctx, "ADD", y, beta, "beta", out)
    return y


# -- Rescaling / Normalization ----------------------------------------------------------------
@register("Rescaling")
def convert_rescaling(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = single_float_input(ctx, inputs)
    layer = ctx.layer
    scale = np.asarray(layer.scale, np.float32)
    offset = np.asarray(layer.offset, np.float32)
    if scale.ndim > 0:
        import keras
        # Keras lays a per-channel scale (not the offset) along the channel axis of
        # channels-first images.
        if keras.backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
    mul = _broadcastable(ctx, x, scale, "scale")
    add = _broadcastable(ctx, x, offset, "offset")
    return _affine(ctx, x, mul, add, ctx.output_tensor())


@register("Normalization")
def convert_normalization(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = single_float_input(ctx, inputs)
    layer = ctx.layer
    if getattr(layer, "mean", None) is None or getattr(layer, "variance", None) is None:
        raise ctx.unsupported("the layer has no mean/variance yet: adapt() it or pass mean "
                              "and variance before converting")
    import keras
    mean = ctx.weight("mean").astype(np.float64)
    variance = ctx.weight("variance").astype(np.float64)
    denominator = np.maximum(np.sqrt(variance), keras.backend.epsilon())
    mean_c = _broadcastable(ctx, x, mean, "mean")
    out = ctx.output_tensor()
    if layer.invert:
        # mean + x * max(sqrt(var), eps)
        return _affine(ctx, x, _broadcastable(ctx, x, denominator, "std"), mean_c, out)
    # (x - mean) / max(sqrt(var), eps)
    centered = _const_op(ctx, "SUB", x, mean_c, "mean", None)
    return _const_op(ctx, "MUL", centered,
                     _broadcastable(ctx, x, 1.0 / denominator, "1/std"), "inv_std", out)
