"""Emitters for Keras reshaping layers: Flatten, Reshape, Permute, RepeatVector,
ZeroPadding1D/2D/3D, Cropping1D/2D/3D and UpSampling1D/2D/3D.

These layers only move or copy elements (bilinear UpSampling2D excepted), so each becomes
ops that copy exactly: RESHAPE, TRANSPOSE, PAD, STRIDED_SLICE, GATHER and the two resizes.
Every shape argument is a constant. The batch dimension stays dynamic: RESHAPE targets
write -1 for it, slices mask it, pads and gathers never touch it.

Repeating elements (RepeatVector, nearest-neighbour UpSampling) is done with GATHER along
the repeated axis with constant indices [0, 0, 1, 1, ...]: a pure copy, exactly Keras'
ops.repeat, for any axis and data format. The one exception is channels-last
UpSampling2D(interpolation="nearest"), written as one RESIZE_NEAREST_NEIGHBOR with
half_pixel_centers: for an integer factor s, output row y reads floor((y + 0.5) * (1/s)),
whose true value lies at least 0.5/s away from an integer, so float32 rounding cannot pick
the wrong row while the output extent is below 2**22 (checked)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register

# Above this output extent, float32 rounding in RESIZE_NEAREST_NEIGHBOR's source index could
# select a neighbouring row (see the module docstring); GATHER is used instead.
_RESIZE_NEAREST_EXACT_LIMIT = 1 << 22


# -- helpers shared with the merging emitters ---------------------------------------------------

def batch_is_dynamic(x: Tensor) -> bool:
    return x.signature is not None and len(x.signature) > 0 and x.signature[0] == -1


def non_batch_dims_known(x: Tensor) -> bool:
    return x.signature is None or all(d >= 0 for d in x.signature[1:])


def new_tensor(ctx: LayerContext, suffix: str, shape: Sequence[int], dtype,
               dynamic_batch: bool) -> Tensor:
    """An intermediate tensor of a static shape whose batch dimension may be dynamic."""
    shape = tuple(int(d) for d in shape)
    signature = (-1, *shape[1:]) if dynamic_batch and shape else None
    return ctx.tensor(suffix, shape, dtype, signature)


def reshape(ctx: LayerContext, x: Tensor, dims: Sequence[int], out: Tensor | None = None,
            suffix: str = "reshape") -> Tensor:
    """RESHAPE x to [batch, *dims], the batch written as -1 when it is dynamic."""
    dims = tuple(int(d) for d in dims)
    if any(d < 0 for d in dims):
        raise ctx.unsupported(f"cannot reshape to {list(dims)} with an unknown dimension "
                              "besides the batch; give the model inputs fixed shapes")
    if not non_batch_dims_known(x):
        raise ctx.unsupported(f"input '{x.name}' has unknown non-batch dimensions "
                              f"{list(x.signature)}; give the model inputs fixed shapes")
    if math.prod(dims) != math.prod(x.shape[1:]):
        raise ctx.unsupported(f"cannot reshape {list(x.shape)} to [batch, {list(dims)}] "
                              "(element counts differ)")
    dynamic = batch_is_dynamic(x)
    target = np.array([-1 if dynamic else x.shape[0], *dims], np.int32)
    if out is None:
        out = new_tensor(ctx, suffix, (x.shape[0], *dims), x.dtype, dynamic)
    ctx.op("RESHAPE", [x, ctx.constant(f"{suffix}/shape", target)], [out])
    return out


def transpose(ctx: LayerContext, x: Tensor, perm: Sequence[int], out: Tensor | None = None,
              suffix: str = "transpose") -> Tensor:
    """TRANSPOSE x by `perm` (a permutation of all its axes, batch included)."""
    perm = [int(p) for p in perm]
    if sorted(perm) != list(range(x.rank)):
        raise ctx.unsupported(f"{perm} is not a permutation of the {x.rank} axes (converter bug)")
    if out is None:
        shape = tuple(x.shape[p] for p in perm)
        signature = None if x.signature is None else tuple(x.signature[p] for p in perm)
        out = ctx.tensor(suffix, shape, x.dtype, signature)
    ctx.op("TRANSPOSE", [x, ctx.constant(f"{suffix}/perm", np.array(perm, np.int32))], [out])
    return out


def copy(ctx: LayerContext, x: Tensor, out: Tensor) -> Tensor:
    """A layer that leaves its input unchanged still needs its own output tensor."""
    return reshape(ctx, x, out.shape[1:], out, suffix="copy")


def repeat(ctx: LayerContext, x: Tensor, axis: int, times: int, out: Tensor | None = None,
           suffix: str = "repeat") -> Tensor:
    """Keras' ops.repeat(x, times, axis): every slice along `axis` (not the batch) copied
    `times` times in a row, as one GATHER with indices [0]*times + [1]*times + ..."""
    extent = x.shape[axis]
    if x.signature is not None and x.signature[axis] < 0:
        raise ctx.unsupported(f"cannot repeat along axis {axis} of unknown extent; give the "
                              "model inputs fixed shapes")
    indices = np.repeat(np.arange(extent, dtype=np.int32), times)
    if out is None:
        shape = list(x.shape)
        shape[axis] = extent * times
        signature = None
        if x.signature is not None:
            signature = list(x.signature)
            signature[axis] = extent * times
        out = ctx.tensor(suffix, shape, x.dtype, signature)
    ctx.op("GATHER", [x, ctx.constant(f"{suffix}/indices", indices)], [out], "GatherOptions",
           axis=axis, batch_dims=0)
    return out


def _spatial_axes(ctx: LayerContext, rank: int) -> list[int]:
    """Axes of the spatial dimensions for the layer's data_format (default channels_last)."""
    data_format = getattr(ctx.layer, "data_format", "channels_last")
    if data_format == "channels_first":
        return list(range(2, rank))
    if data_format == "channels_last":
        return list(range(1, rank - 1))
    raise ctx.unsupported(f"data_format {data_format!r} is not channels_last or channels_first")


# -- Flatten, Reshape, Permute, RepeatVector -----------------------------------------------------

@register("Flatten")
def convert_flatten(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    out = ctx.output_tensor(dtype=x.dtype)
    if x.rank > 2 and getattr(ctx.layer, "data_format", "channels_last") == "channels_first":
        # Keras moves the channels last before flattening, so the element order matches a
        # channels-last model.
        x = transpose(ctx, x, [0, *range(2, x.rank), 1])
    return reshape(ctx, x, out.shape[1:], out)


@register("Reshape")
def convert_reshape(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    target = ctx.output_shapes[0][1:]
    if any(d is None for d in target):
        raise ctx.unsupported(f"target shape {tuple(ctx.layer.target_shape)} leaves dimensions "
                              f"unknown for input shape {list(x.signature or x.shape)}; give the "
                              "model inputs fixed shapes")
    # Keras resolved any -1 in target_shape already; the batch is the only -1 written.
    return reshape(ctx, x, target, ctx.output_tensor(dtype=x.dtype))


@register("Permute")
def convert_permute(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    return transpose(ctx, x, [0, *ctx.layer.dims], ctx.output_tensor(dtype=x.dtype))


@register("RepeatVector")
def convert_repeat_vector(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    if x.rank != 2:
        raise ctx.unsupported(f"expects a [batch, features] input, got shape {list(x.shape)}")
    n = int(ctx.layer.n)
    column = reshape(ctx, x, (1, x.shape[1]), suffix="expand")
    return repeat(ctx, column, 1, n, ctx.output_tensor(dtype=x.dtype))


# -- padding and cropping ------------------------------------------------------------------------

def _per_axis_pairs(ctx: LayerContext, attr: str, n_spatial: int) -> list[tuple[int, int]]:
    """The layer's padding / cropping as (before, after) pairs, one per spatial axis."""
    value = getattr(ctx.layer, attr)
    pairs = [tuple(int(v) for v in value)] if n_spatial == 1 else [
        tuple(int(v) for v in pair) for pair in value]
    if len(pairs) != n_spatial or any(len(p) != 2 for p in pairs):
        raise ctx.unsupported(f"{attr}={value!r} is not {n_spatial} (before, after) pairs")
    if any(v < 0 for p in pairs for v in p):
        raise ctx.unsupported(f"{attr}={value!r} has a negative amount")
    return pairs


@register("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D")
def convert_zero_padding(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    axes = _spatial_axes(ctx, x.rank)
    pads = np.zeros((x.rank, 2), np.int32)
    for axis, pair in zip(axes, _per_axis_pairs(ctx, "padding", len(axes))):
        pads[axis] = pair
    out = ctx.output_tensor(dtype=x.dtype)
    ctx.op("PAD", [x, ctx.constant("paddings", pads)], [out])
    return out


@register("Cropping1D", "Cropping2D", "Cropping3D")
def convert_cropping(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    # Cropping1D has no data_format: its input is always [batch, steps, features].
    axes = [1] if type(ctx.layer).__name__ == "Cropping1D" else _spatial_axes(ctx, x.rank)
    begin = np.zeros(x.rank, np.int32)
    end = np.zeros(x.rank, np.int32)
    # Masked axes are taken whole (the batch, channels, and uncropped ends); a cropped end is
    # written from the back (-after), so no extent is baked into the slice.
    begin_mask = end_mask = 0
    cropped = dict(zip(axes, _per_axis_pairs(ctx, "cropping", len(axes))))
    for axis in range(x.rank):
        before, after = cropped.get(axis, (0, 0))
        begin[axis] = before
        if before == 0:
            begin_mask |= 1 << axis
        if after == 0:
            end_mask |= 1 << axis
        else:
            end[axis] = -after
    out = ctx.output_tensor(dtype=x.dtype)
    ctx.op("STRIDED_SLICE",
           [x, ctx.constant("begin", begin), ctx.constant("end", end),
            ctx.constant("strides", np.ones(x.rank, np.int32))],
           [out], "StridedSliceOptions", begin_mask=begin_mask, end_mask=end_mask,
           ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0, offset=False)
    return out


# -- upsampling ----------------------------------------------------------------------------------

def _sizes(ctx: LayerContext, n: int) -> list[int]:
    size = ctx.layer.size
    sizes = [int(size)] * n if isinstance(size, int) else [int(s) for s in size]
    if len(sizes) != n or any(s < 1 for s in sizes):
        raise ctx.unsupported(f"size={size!r} is not {n} positive integers")
    return sizes


def _repeat_axes(ctx: LayerContext, x: Tensor, axes: Sequence[int], sizes: Sequence[int],
                 out: Tensor) -> Tensor:
    """Nearest-neighbour upsampling by integer factors: one GATHER per repeated axis."""
    steps = [(axis, s) for axis, s in zip(axes, sizes) if s != 1]
    if not steps:
        return copy(ctx, x, out)
    for i, (axis, s) in enumerate(steps):
        last = i == len(steps) - 1
        x = repeat(ctx, x, axis, s, out if last else None, suffix=f"repeat_axis{axis}")
    return x


@register("UpSampling1D")
def convert_up_sampling_1d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    return _repeat_axes(ctx, x, [1], _sizes(ctx, 1), ctx.output_tensor(dtype=x.dtype))


@register("UpSampling3D")
def convert_up_sampling_3d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    return _repeat_axes(ctx, x, _spatial_axes(ctx, x.rank), _sizes(ctx, 3),
                        ctx.output_tensor(dtype=x.dtype))


@register("UpSampling2D")
def convert_up_sampling_2d(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (x,) = inputs
    sizes = _sizes(ctx, 2)
    axes = _spatial_axes(ctx, x.rank)
    interpolation = str(ctx.layer.interpolation).lower()
    out = ctx.output_tensor(dtype=x.dtype)
    channels_first = axes[0] == 2
    if x.signature is not None and any(x.signature[a] < 0 for a in axes):
        raise ctx.unsupported("the input's height or width is unknown; the resize needs a "
                              "constant output size: give the model inputs fixed shapes")
    new_hw = [x.shape[a] * s for a, s in zip(axes, sizes)]

    if interpolation == "nearest":
        if channels_first or max(new_hw) >= _RESIZE_NEAREST_EXACT_LIMIT:
            return _repeat_axes(ctx, x, axes, sizes, out)
        # Keras repeats rows and columns; see the module docstring for why this is exact.
        ctx.op("RESIZE_NEAREST_NEIGHBOR", [x, ctx.constant("size", np.array(new_hw, np.int32))],
               [out], "ResizeNearestNeighborOptions", align_corners=False,
               half_pixel_centers=True)
        return out

    if interpolation != "bilinear":
        raise ctx.unsupported(f"interpolation={interpolation!r} is not supported; use "
                              "'nearest' or 'bilinear'")
    if x.dtype != np.float32:
        raise ctx.unsupported(f"bilinear resize of {np.dtype(x.dtype).name} data is not "
                              "supported; expected float32")
    # Keras calls ops.image.resize, which with the TensorFlow backend is tf.image.resize
    # without antialiasing: ResizeBilinear with half-pixel centers, corners not aligned.
    # (Antialiasing would not change an upsampling anyway.)
    src = transpose(ctx, x, [0, 2, 3, 1], suffix="to_nhwc") if channels_first else x
    size = ctx.constant("size", np.array(new_hw, np.int32))
    if channels_first:
        nhwc = new_tensor(ctx, "resized", (x.shape[0], *new_hw, x.shape[1]), x.dtype,
                          batch_is_dynamic(x))
        ctx.op("RESIZE_BILINEAR", [src, size], [nhwc], "ResizeBilinearOptions",
               align_corners=False, half_pixel_centers=True)
        return transpose(ctx, nhwc, [0, 3, 1, 2], out)
    ctx.op("RESIZE_BILINEAR", [src, size], [out], "ResizeBilinearOptions",
           align_corners=False, half_pixel_centers=True)
    return out
