"""Emitters for Keras pooling layers.

  MaxPooling1D/2D, AveragePooling1D/2D -> MAX_POOL_2D / AVERAGE_POOL_2D (1-D through the
      RESHAPE-to-NHWC wrapper of convolution.py; channels_first through TRANSPOSE). Keras'
      'same' average excludes the padding from the count, as TensorFlow Lite's does.
  GlobalAveragePooling1D/2D/3D -> MEAN over the spatial axes, GlobalMaxPooling1D/2D/3D ->
      REDUCE_MAX; keepdims either way, channels_last or channels_first (only the axes change).

A masked input (e.g. after Embedding(mask_zero=True)) changes what Keras' global pooling
computes; such layers are refused rather than converted without the mask."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register
from .convolution import (
    data_format,
    emit_nhwc,
    keras_tensor,
    padding_code,
    pair,
    single_float_input,
)


def _emit_pool(ctx: LayerContext, inputs, spatial_rank: int, kind: str) -> Tensor:
    x = single_float_input(ctx, inputs)
    layer = ctx.layer
    pool = pair(layer.pool_size, spatial_rank)
    strides = pair(layer.strides if layer.strides is not None else layer.pool_size,
                   spatial_rank)
    pad = padding_code(ctx, layer.padding)

    def body(x4: Tensor, out_shape: list, target: Optional[Tensor]) -> Tensor:
        y = target if target is not None else keras_tensor(ctx, "pool", out_shape)
        ctx.op(kind, [x4], [y], "Pool2DOptions", padding=pad, stride_h=strides[0],
               stride_w=strides[1], filter_height=pool[0], filter_width=pool[1],
               fused_activation_function=0)
        return y

    return emit_nhwc(ctx, x, spatial_rank, body)


@register("MaxPooling1D")
def convert_max_pooling1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_pool(ctx, inputs, 1, "MAX_POOL_2D")


@register("MaxPooling2D")
def convert_max_pooling2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_pool(ctx, inputs, 2, "MAX_POOL_2D")


@register("AveragePooling1D")
def convert_average_pooling1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_pool(ctx, inputs, 1, "AVERAGE_POOL_2D")


@register("AveragePooling2D")
def convert_average_pooling2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_pool(ctx, inputs, 2, "AVERAGE_POOL_2D")


def _input_is_masked(layer) -> bool:
    """Whether Keras passes a mask to this layer's call (its input carries one)."""
    for node in getattr(layer, "_inbound_nodes", []) or []:
        for t in getattr(node, "input_tensors", []) or []:
            if getattr(t, "_keras_mask", None) is not None:
                return True
    return False


def _emit_global(ctx: LayerContext, inputs, spatial_rank: int, kind: str) -> Tensor:
    x = single_float_input(ctx, inputs)
    if x.rank != spatial_rank + 2:
        raise ctx.unsupported(f"expected a rank-{spatial_rank + 2} input, got shape "
                              f"{list(x.shape)}")
    if _input_is_masked(ctx.layer):
        raise ctx.unsupported("the input carries a Keras mask, which changes the pooled "
                              "value; masked global pooling is not supported (remove the "
                              "mask, e.g. mask_zero=False)")
    first = 2 if data_format(ctx) == "channels_first" else 1
    axes = np.arange(first, first + spatial_rank, dtype=np.int32)
    keepdims = bool(getattr(ctx.layer, "keepdims", False))
    y = ctx.output_tensor()
    ctx.op(kind, [x, ctx.constant("axes", axes)], [y], "ReducerOptions", keep_dims=keepdims)
    return y


@register("GlobalAveragePooling1D")
def convert_global_average_pooling1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 1, "MEAN")


@register("GlobalAveragePooling2D")
def convert_global_average_pooling2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 2, "MEAN")


@register("GlobalAveragePooling3D")
def convert_global_average_pooling3d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 3, "MEAN")


@register("GlobalMaxPooling1D")
def convert_global_max_pooling1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 1, "REDUCE_MAX")


@register("GlobalMaxPooling2D")
def convert_global_max_pooling2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 2, "REDUCE_MAX")


@register("GlobalMaxPooling3D")
def convert_global_max_pooling3d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_global(ctx, inputs, 3, "REDUCE_MAX")
