"""Emitters for Keras convolution layers: Conv1D/2D, DepthwiseConv1D/2D, SeparableConv1D/2D
and Conv1DTranspose/2DTranspose.

Every layer is emitted as TensorFlow Lite's 2-D NHWC ops (CONV_2D, DEPTHWISE_CONV_2D,
TRANSPOSE_CONV). Two wrappers bring other layouts to that form and back:
  * data_format="channels_first": TRANSPOSE to channels-last before, and back after;
  * 1-D layers: RESHAPE [N, L, C] -> [N, 1, L, C] before (the length becomes the width) and
    [N, 1, L', C'] -> [N, L', C'] after, with 1-D kernels given a leading height of 1.
The layer's activation is applied in NHWC space, right after the convolution, so the
activation-fusing pass can fold it into the convolution op.

The helpers at the top (constants, RESHAPE, TRANSPOSE, the layout wrapper) are shared with
pooling.py."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register, tflite_shape

# TensorFlow Lite's Padding enum.
PADDING_SAME = 0
PADDING_VALID = 1

KerasShape = Sequence[Optional[int]]


# -- small shared helpers -----------------------------------------------------------------
def single_float_input(ctx: LayerContext, inputs: Sequence[Tensor]) -> Tensor:
    """The layer's one input, which must be float32 (the kernels this family emits)."""
    if len(inputs) != 1:
        raise ctx.unsupported(f"expected one input, got {len(inputs)}")
    x = inputs[0]
    if np.dtype(x.dtype) != np.float32:
        raise ctx.unsupported(f"input dtype {np.dtype(x.dtype).name} is not supported; "
                              "only float32 layers convert (use the float32 dtype policy)")
    return x


def keras_tensor(ctx: LayerContext, suffix: Optional[str], keras_shape: KerasShape,
                 dtype=np.float32) -> Tensor:
    """A new tensor for a Keras-style shape (None = unknown, kept as -1 in the signature)."""
    shape, signature = tflite_shape(keras_shape)
    return ctx.tensor(suffix, shape, dtype, signature)


def padding_code(ctx: LayerContext, padding: str) -> int:
    mode = str(padding).lower()
    if mode == "same":
        return PADDING_SAME
    if mode == "valid":
        return PADDING_VALID
    raise ctx.unsupported(f"padding={padding!r} is not supported; use 'valid' or 'same'")


def is_linear(activation) -> bool:
    """True for Keras' identity activation (None is normalized to it by the layers)."""
    from .activations import activation_name
    return activation_name(activation) == "linear"


def apply_activation(ctx: LayerContext, pre: Tensor, target: Optional[Tensor]) -> Tensor:
    """Applies the layer's activation to `pre`, writing `target` when given. `pre` must already
    be `target` when the activation is linear (see `pre_activation_tensor`)."""
    activation = getattr(ctx.layer, "activation", None)
    if is_linear(activation):
        return pre
    from .activations import emit_activation
    return emit_activation(ctx, pre, activation, target)


def pre_activation_tensor(ctx: LayerContext, suffix: str, keras_shape: KerasShape,
                          target: Optional[Tensor]) -> Tensor:
    """Where the main op writes: the final `target` itself when there is no activation to
    apply after it, else a new intermediate."""
    if target is not None and is_linear(getattr(ctx.layer, "activation", None)):
        return target
    return keras_tensor(ctx, suffix, keras_shape)


def reshape(ctx: LayerContext, x: Tensor, keras_shape: KerasShape, suffix: str,
            target: Optional[Tensor] = None) -> Tensor:
    """RESHAPE x to `keras_shape` (batch first). The shape tensor is constant with -1 for the
    batch, so every other dimension must be known."""
    rest = list(keras_shape[1:])
    if any(d is None for d in rest):
        raise ctx.unsupported(f"needs a reshape to {list(keras_shape)} but a non-batch "
                              "dimension is unknown; give the model's Input fixed "
                              "non-batch dimensions")
    new_shape = [-1, *[int(d) for d in rest]]
    y = target if target is not None else keras_tensor(ctx, suffix,
                                                       [keras_shape_of(x)[0], *rest])
    shape_const = ctx.constant(f"{suffix}/shape", np.array(new_shape, np.int32))
    ctx.op("RESHAPE", [x, shape_const], [y], "ReshapeOptions", new_shape=new_shape)
    return y


def transpose(ctx: LayerContext, x: Tensor, perm: Sequence[int], keras_shape: KerasShape,
              suffix: str, target: Optional[Tensor] = None) -> Tensor:
    """TRANSPOSE x by `perm` into `target` or a new tensor of `keras_shape`."""
    y = target if target is not None else keras_tensor(ctx, suffix, keras_shape)
    perm_const = ctx.constant(f"{suffix}/perm", np.array(list(perm), np.int32))
    ctx.op("TRANSPOSE", [x, perm_const], [y], "TransposeOptions")
    return y


def keras_shape_of(x: Tensor) -> list[Optional[int]]:
    """x's shape with None where its signature says the dimension is dynamic."""
    if x.signature is None:
        return list(x.shape)
    return [None if s == -1 else d for d, s in zip(x.shape, x.signature)]


def data_format(ctx: LayerContext) -> str:
    fmt = getattr(ctx.layer, "data_format", "channels_last") or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ctx.unsupported(f"data_format={fmt!r} is not supported")
    return fmt


def emit_nhwc(ctx: LayerContext, x: Tensor, spatial_rank: int,
              body: Callable[[Tensor, list, Optional[Tensor]], Tensor]) -> Tensor:
    """Runs `body(x_nhwc, out_shape_nhwc, target)` on a 4-D channels-last view of the
    layer's input and returns the layer's output.

    `out_shape_nhwc` is the Keras output shape in NHWC; `target` is the layer's final output
    tensor when no layout op follows the body (the body must then write it), else None."""
    if spatial_rank not in (1, 2):
        raise ctx.unsupported(f"{spatial_rank}-D spatial layers are not supported")
    if x.rank != spatial_rank + 2:
        raise ctx.unsupported(f"expected a rank-{spatial_rank + 2} input, got shape "
                              f"{list(x.shape)}")
    channels_first = data_format(ctx) == "channels_first"
    out_keras = list(ctx.output_shapes[0])
    in_keras = keras_shape_of(x)
    rank = spatial_rank + 2
    to_last = [0, *range(2, rank), 1]      # N C ... -> N ... C
    to_first = [0, rank - 1, *range(1, rank - 1)]
    if channels_first:
        in_keras = [in_keras[i] for i in to_last]
        out_keras = [out_keras[i] for i in to_last]
        x = transpose(ctx, x, to_last, in_keras, "to_channels_last")
    if spatial_rank == 1:
        x = reshape(ctx, x, [in_keras[0], 1, *in_keras[1:]], "to_2d")
        out_nhwc = [out_keras[0], 1, *out_keras[1:]]
    else:
        out_nhwc = out_keras
    needs_layout_after = channels_first or spatial_rank == 1
    final = ctx.output_tensor()
    y = body(x, out_nhwc, None if needs_layout_after else final)
    if spatial_rank == 1:
        y = reshape(ctx, y, out_keras, "from_2d", None if channels_first else final)
    if channels_first:
        y = transpose(ctx, y, to_first, [out_keras[i] for i in to_first], "to_channels_first",
                      final)
    return y


def pair(value, spatial_rank: int) -> tuple[int, int]:
    """A Keras per-spatial-dimension option as (height, width); 1-D layers get height 1."""
    values = tuple(int(v) for v in (value if isinstance(value, (tuple, list)) else
                                    (value,) * spatial_rank))
    if len(values) != spatial_rank:
        raise ValueError(f"expected {spatial_rank} values, got {values}")
    return (1, values[0]) if spatial_rank == 1 else (values[0], values[1])


def kernel_2d(kernel: np.ndarray, spatial_rank: int) -> np.ndarray:
    """A Keras kernel [*spatial, a, b] with 2 spatial dims (1-D kernels get height 1)."""
    return kernel[np.newaxis] if spatial_rank == 1 else kernel


def bias_or_zeros(ctx: LayerContext, channels: int) -> np.ndarray:
    """The layer's bias, or zeros: ops always get a bias so the fold pass can add to it."""
    if getattr(ctx.layer, "use_bias", False):
        bias = ctx.weight("bias")
        if bias.shape != (channels,):
            raise ctx.unsupported(f"bias shape {list(bias.shape)}; expected [{channels}]")
        return bias
    return np.zeros(channels, np.float32)


def causal_pad(ctx: LayerContext, x: Tensor, left: int) -> Tensor:
    """PAD the width (axis 2 of NHWC) with `left` zeros in front: causal padding."""
    shape = keras_shape_of(x)
    padded = list(shape)
    if padded[2] is not None:
        padded[2] += left
    y = keras_tensor(ctx, "causal_pad", padded)
    pads = ctx.constant("causal_pad/paddings",
                        np.array([[0, 0], [0, 0], [left, 0], [0, 0]], np.int32))
    ctx.op("PAD", [x, pads], [y], "PadOptions")
    return y


# -- convolutions -------------------------------------------------------------------------
def _conv_geometry(ctx: LayerContext, spatial_rank: int):
    layer = ctx.layer
    strides = pair(layer.strides, spatial_rank)
    dilation = pair(layer.dilation_rate, spatial_rank)
    padding = str(layer.padding).lower()
    return strides, dilation, padding


def _resolve_padding(ctx: LayerContext, x: Tensor, padding: str, kernel_w: int,
                     dilation_w: int, spatial_rank: int) -> tuple[Tensor, int]:
    """Input and TFLite padding code; 'causal' (1-D only) becomes a left PAD then VALID."""
    if padding == "causal":
        if spatial_rank != 1:
            raise ctx.unsupported("padding='causal' is only defined for 1-D convolutions")
        left = (kernel_w - 1) * dilation_w
        return (causal_pad(ctx, x, left) if left > 0 else x), PADDING_VALID
    return x, padding_code(ctx, padding)


def _emit_conv(ctx: LayerContext, inputs, spatial_rank: int) -> Tensor:
    x = single_float_input(ctx, inputs)
    strides, dilation, padding = _conv_geometry(ctx, spatial_rank)
    kernel = kernel_2d(ctx.weight("kernel"), spatial_rank)        # [kh, kw, in/groups, out]
    out_c = kernel.shape[3]
    filt = np.ascontiguousarray(kernel.transpose(3, 0, 1, 2))       # [out, kh, kw, in/groups]
    bias = bias_or_zeros(ctx, out_c)

    def body(x4: Tensor, out_shape: list, target: Optional[Tensor]) -> Tensor:
        in_c = x4.shape[3]
        if filt.shape[3] <= 0 or in_c % filt.shape[3] != 0:
            raise ctx.unsupported(f"kernel input channels {filt.shape[3]} do not divide the "
                                  f"input's {in_c} channels")
        x4, pad = _resolve_padding(ctx, x4, padding, filt.shape[2], dilation[1], spatial_rank)
        pre = pre_activation_tensor(ctx, "conv", out_shape, target)
        ctx.op("CONV_2D", [x4, ctx.constant("filter", filt), ctx.constant("bias", bias)], [pre],
               "Conv2DOptions", padding=pad, stride_h=strides[0], stride_w=strides[1],
               dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
               fused_activation_function=0)
        return apply_activation(ctx, pre, target)

    return emit_nhwc(ctx, x, spatial_rank, body)


@register("Conv1D")
def convert_conv1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_conv(ctx, inputs, 1)


@register("Conv2D")
def convert_conv2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_conv(ctx, inputs, 2)


def _depthwise_op(ctx: LayerContext, x4: Tensor, kernel: np.ndarray, bias: np.ndarray,
                  strides, dilation, pad: int, out: Tensor) -> None:
    """DEPTHWISE_CONV_2D of x4 with a Keras depthwise kernel [kh, kw, in, multiplier]."""
    kh, kw, in_c, mult = kernel.shape
    if x4.shape[3] != in_c:
        raise ctx.unsupported(f"depthwise kernel expects {in_c} input channels, the input "
                              f"has {x4.shape[3]}")
    # Output channel c * mult + m reads input channel c in both Keras and TensorFlow Lite.
    filt = np.ascontiguousarray(kernel.reshape(1, kh, kw, in_c * mult))
    ctx.op("DEPTHWISE_CONV_2D",
           [x4, ctx.constant("depthwise_filter", filt), ctx.constant("depthwise_bias", bias)],
           [out], "DepthwiseConv2DOptions", padding=pad, stride_h=strides[0],
           stride_w=strides[1], depth_multiplier=mult, dilation_h_factor=dilation[0],
           dilation_w_factor=dilation[1], fused_activation_function=0)


def _emit_depthwise(ctx: LayerContext, inputs, spatial_rank: int) -> Tensor:
    x = single_float_input(ctx, inputs)
    strides, dilation, padding = _conv_geometry(ctx, spatial_rank)
    kernel = kernel_2d(ctx.weight("kernel"), spatial_rank)        # [kh, kw, in, mult]
    bias = bias_or_zeros(ctx, kernel.shape[2] * kernel.shape[3])

    def body(x4: Tensor, out_shape: list, target: Optional[Tensor]) -> Tensor:
        x4, pad = _resolve_padding(ctx, x4, padding, kernel.shape[1], dilation[1], spatial_rank)
        pre = pre_activation_tensor(ctx, "depthwise", out_shape, target)
        _depthwise_op(ctx, x4, kernel, bias, strides, dilation, pad, pre)
        return apply_activation(ctx, pre, target)

    return emit_nhwc(ctx, x, spatial_rank, body)


@register("DepthwiseConv1D")
def convert_depthwise_conv1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_depthwise(ctx, inputs, 1)


@register("DepthwiseConv2D")
def convert_depthwise_conv2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_depthwise(ctx, inputs, 2)


def _emit_separable(ctx: LayerContext, inputs, spatial_rank: int) -> Tensor:
    """Depthwise (no bias) then a 1x1 CONV_2D with the layer's bias and activation."""
    x = single_float_input(ctx, inputs)
    strides, dilation, padding = _conv_geometry(ctx, spatial_rank)
    depthwise = kernel_2d(ctx.weight("depthwise_kernel"), spatial_rank)  # [kh, kw, in, mult]
    pointwise = kernel_2d(ctx.weight("pointwise_kernel"), spatial_rank)  # [1, 1, in*mult, out]
    out_c = pointwise.shape[3]
    mid_c = depthwise.shape[2] * depthwise.shape[3]
    if pointwise.shape[:3] != (1, 1, mid_c):
        raise ctx.unsupported(f"pointwise kernel shape {list(pointwise.shape)}; expected "
                              f"[1, 1, {mid_c}, {out_c}]")
    bias = bias_or_zeros(ctx, out_c)
    point_filt = np.ascontiguousarray(pointwise.transpose(3, 0, 1, 2))  # [out, 1, 1, mid]

    def body(x4: Tensor, out_shape: list, target: Optional[Tensor]) -> Tensor:
        x4, pad = _resolve_padding(ctx, x4, padding, depthwise.shape[1], dilation[1],
                                   spatial_rank)
        mid = keras_tensor(ctx, "depthwise", [*out_shape[:3], mid_c])
        _depthwise_op(ctx, x4, depthwise, np.zeros(mid_c, np.float32), strides, dilation,
                      pad, mid)
        pre = pre_activation_tensor(ctx, "pointwise", out_shape, target)
        ctx.op("CONV_2D", [mid, ctx.constant("pointwise_filter", point_filt),
                           ctx.constant("bias", bias)], [pre],
               "Conv2DOptions", padding=PADDING_VALID, stride_h=1, stride_w=1,
               dilation_h_factor=1, dilation_w_factor=1, fused_activation_function=0)
        return apply_activation(ctx, pre, target)

    return emit_nhwc(ctx, x, spatial_rank, body)


@register("SeparableConv1D")
def convert_separable_conv1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_separable(ctx, inputs, 1)


@register("SeparableConv2D")
def convert_separable_conv2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_separable(ctx, inputs, 2)


def _emit_conv_transpose(ctx: LayerContext, inputs, spatial_rank: int) -> Tensor:
    """TRANSPOSE_CONV with a constant output shape taken from Keras' output shape.

    TensorFlow Lite derives the padding from that output shape exactly as TensorFlow's
    conv2d_transpose (which Keras calls) does, so output_padding needs nothing more.
    TRANSPOSE_CONV has no dilation; a dilated kernel is expressed exactly by spreading the
    taps of a larger kernel with zeros between them."""
    x = single_float_input(ctx, inputs)
    strides, dilation, padding = _conv_geometry(ctx, spatial_rank)
    pad = padding_code(ctx, padding)
    kernel = kernel_2d(ctx.weight("kernel"), spatial_rank)        # [kh, kw, out, in]
    kh, kw, out_c, in_c = kernel.shape
    if dilation != (1, 1):
        spread = np.zeros(((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1, out_c, in_c),
                          np.float32)
        spread[::dilation[0], ::dilation[1]] = kernel
        kernel = spread
    filt = np.ascontiguousarray(kernel.transpose(2, 0, 1, 3))       # [out, kh, kw, in]
    bias = bias_or_zeros(ctx, out_c)

    def body(x4: Tensor, out_shape: list, target: Optional[Tensor]) -> Tensor:
        if x4.shape[3] != in_c:
            raise ctx.unsupported(f"kernel expects {in_c} input channels, the input has "
                                  f"{x4.shape[3]}")
        if any(d is None for d in out_shape[1:]):
            raise ctx.unsupported("the output's spatial size is unknown (dynamic input size); "
                                  "TRANSPOSE_CONV needs it as a constant: give the Input "
                                  "fixed spatial dimensions")
        # The runtime requires a constant output shape, so a dynamic batch is written as 1:
        # resizing the model's batch later is refused by TRANSPOSE_CONV (batch mismatch), in
        # this runtime and in TensorFlow Lite's reference kernel alike.
        batch = 1 if out_shape[0] is None else int(out_shape[0])
        out_dims = np.array([batch, *[int(d) for d in out_shape[1:]]], np.int32)
        pre = pre_activation_tensor(ctx, "conv_transpose", out_shape, target)
        ctx.op("TRANSPOSE_CONV",
               [ctx.constant("output_shape", out_dims), ctx.constant("filter", filt), x4,
                ctx.constant("bias", bias)], [pre],
               "TransposeConvOptions", padding=pad, stride_h=strides[0], stride_w=strides[1],
               fused_activation_function=0)
        return apply_activation(ctx, pre, target)

    return emit_nhwc(ctx, x, spatial_rank, body)


@register("Conv1DTranspose")
def convert_conv1d_transpose(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_conv_transpose(ctx, inputs, 1)


@register("Conv2DTranspose")
def convert_conv2d_transpose(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    return _emit_conv_transpose(ctx, inputs, 2)
