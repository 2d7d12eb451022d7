"""RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR and GATHER.

Each case builds a one-op model, runs it in litert and compares the output with a NumPy
reference and with TensorFlow Lite's interpreter (ai_edge_litert) on the same model bytes.

References:
  RESIZE_*: an independent NumPy transcription of TensorFlow's coordinate rules. The source
      coordinate is computed in float32 as TensorFlow does (scale = in/out, or
      (in-1)/(out-1) with align_corners; half-pixel centres shift by 0.5); bilinear then
      interpolates in float64 the way TensorFlow's own kernel writes it (lerp = source -
      floor(source), lower index clamped at 0, upper at in-1); nearest neighbour rounds half
      away from zero with align_corners and floors otherwise.
  GATHER: np.take, looped over the batch dimensions for batch_dims > 0.

Tolerances:
  RESIZE_BILINEAR: rtol 1e-5, atol 1e-5 on inputs of magnitude ~1-3 against both references
      (float32 interpolation in a different association order: a few ulps).
  RESIZE_NEAREST_NEIGHBOR, GATHER: exact (data movement).
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite_default as run_tflite
from tflite_builder import ModelBuilder

BILINEAR_RTOL = 1e-5
BILINEAR_ATOL = 1e-5



def assert_same(actual, expected):
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(int(info.min), -(10 ** 6)), min(int(info.max), 10 ** 6)
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)


def expect_error(model, inputs, *fragments, stage="allocate"):
    """litert must fail (at allocate, or at invoke) with every fragment in its message."""
    it = Interpreter(model_content=model)
    if stage == "invoke":
        it.allocate_tensors()
        for detail, value in zip(it.get_input_details(), inputs):
            it.set_tensor(detail["index"], value)
    with pytest.raises(RuntimeError) as info:
        if stage == "invoke":
            it.invoke()
        else:
            it.allocate_tensors()
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


# ---- RESIZE references ---------------------------------------------------------------------

def output_positions_and_scale(out_size, in_size, align_corners):
    """Output indices as float32 and TensorFlow's float32 scale from output to input."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    return np.arange(out_size, dtype=f32), scale


def bilinear_reference(x, out_h, out_w, align_corners, half_pixel):
    def taps(out_size, in_size):
        i, scale = output_positions_and_scale(out_size, in_size, align_corners)
        if half_pixel:
            src = (i + np.float32(0.5)) * scale - np.float32(0.5)
        else:
            src = i * scale
        src = src.astype(np.float32).astype(np.float64)
        lower = np.maximum(np.floor(src), 0).astype(np.int64)
        upper = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
        lerp = src - np.floor(src)
        return lower, upper, lerp

    y0, y1, dy = taps(out_h, x.shape[1])
    x0, x1, dx = taps(out_w, x.shape[2])
    v = x.astype(np.float64)
    dx = dx[None, None, :, None]
    dy = dy[None, :, None, None]
    top = v[:, y0][:, :, x0] + (v[:, y0][:, :, x1] - v[:, y0][:, :, x0]) * dx
    bottom = v[:, y1][:, :, x0] + (v[:, y1][:, :, x1] - v[:, y1][:, :, x0]) * dx
    return (top + (bottom - top) * dy).astype(np.float32)


def nearest_reference(x, out_h, out_w, align_corners, half_pixel):
    def indices(out_size, in_size):
        i, scale = output_positions_and_scale(out_size, in_size, align_corners)
        offset = np.float32(0.5 if half_pixel else 0.0)
        src = ((i + offset) * scale).astype(np.float32).astype(np.float64)
        # src >= 0, so floor(src + 0.5) is rounding half away from zero (exact in float64).
        idx = np.floor(src + 0.5) if align_corners else np.floor(src)
        idx = np.minimum(idx, in_size - 1)
        if half_pixel:
            idx = np.maximum(idx, 0)
        return idx.astype(np.int64)

    return x[:, indices(out_h, x.shape[1])][:, :, indices(out_w, x.shape[2])]


def resize_model(op, in_shape, dtype, size, align_corners, half_pixel, size_as_input=False):
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype)
    if size_as_input:
        s = b.input("size", (2,), np.int32)
    else:
        s = b.constant("size", np.asarray(size, np.int32))
    y = b.tensor("y", (in_shape[0], size[0], size[1], in_shape[3]), dtype)
    table = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    b.op(op, [x, s], [y], table, dict(align_corners=align_corners, half_pixel_centers=half_pixel))
    b.output(y)
    return b.build()


RESIZE_SHAPES = [
    ((1, 2, 2, 1), (4, 4)),      # 2x up
    ((1, 3, 4, 2), (9, 12)),     # 3x up
    ((2, 4, 5, 3), (7, 3)),      # up in height, down in width, non-integer ratios
    ((1, 8, 8, 4), (3, 5)),      # down
    ((1, 5, 7, 1), (5, 7)),      # same size
    ((1, 6, 6, 2), (1, 1)),      # to a single pixel
    ((1, 1, 1, 3), (4, 2)),      # from a single pixel
    ((3, 4, 3, 5), (13, 11)),
]
MODES = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("align_corners,half_pixel", MODES)
@pytest.mark.parametrize("in_shape,size", RESIZE_SHAPES)
def test_resize_bilinear(in_shape, size, align_corners, half_pixel):
    x = sample(in_shape, np.float32, seed=sum(in_shape)) * np.float32(3)
    expected = bilinear_reference(x, *size, align_corners, half_pixel)
    model = resize_model("RESIZE_BILINEAR", in_shape, np.float32, size, align_corners,
                         half_pixel)
    ours = run_litert(model, [x])
    assert ours.shape == expected.shape and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=BILINEAR_RTOL, atol=BILINEAR_ATOL)
    np.testing.assert_allclose(ours, run_tflite(model, [x]), rtol=BILINEAR_RTOL,
                               atol=BILINEAR_ATOL)


def test_resize_bilinear_half_pixel_clamps_lower_index():
    """Half-pixel centres put the first source coordinate at -0.25 (2x up): the output edge
    must equal the input edge, not extrapolate."""
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1) * np.float32(10)
    model = resize_model("RESIZE_BILINEAR", (1, 1, 4, 1), np.float32, (1, 8), False, True)
    ours = run_litert(model, [x]).reshape(-1)
    np.testing.assert_allclose(ours, [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30], rtol=1e-6,
                               atol=1e-5)


@pytest.mark.parametrize("align_corners,half_pixel", MODES + [(True, True)])
@pytest.mark.parametrize("in_shape,size", RESIZE_SHAPES)
def test_resize_nearest_neighbor(in_shape, size, align_corners, half_pixel):
    x = sample(in_shape, np.float32, seed=sum(in_shape))
    expected = nearest_reference(x, *size, align_corners, half_pixel)
    model = resize_model("RESIZE_NEAREST_NEIGHBOR", in_shape, np.float32, size, align_corners,
                         half_pixel)
    assert_same(run_litert(model, [x]), expected)
    assert_same(run_tflite(model, [x]), expected)


# TensorFlow Lite's nearest-neighbour kernel rejects INT64; it is compared with NumPy only.
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int8, np.uint8, np.int16, np.bool_,
                                   np.float16, np.int64])
def test_resize_nearest_neighbor_dtypes(dtype):
    x = sample((2, 3, 5, 3), dtype)
    for align_corners, half_pixel in MODES:
        expected = nearest_reference(x, 7, 4, align_corners, half_pixel)
        model = resize_model("RESIZE_NEAREST_NEIGHBOR", (2, 3, 5, 3), dtype, (7, 4),
                             align_corners, half_pixel)
        assert_same(run_litert(model, [x]), expected)
        if dtype != np.int64:
            assert_same(run_tflite(model, [x]), expected)


def test_resize_bilinear_rejects_both_modes():
    model = resize_model("RESIZE_BILINEAR", (1, 2, 2, 1), np.float32, (4, 4), True, True)
    expect_error(model, [], "align_corners and half_pixel_centers are both set")


def test_resize_bilinear_rejects_int32():
    # int8 is covered by test_kernels_int8_more.py; other integer types are not supported.
    model = resize_model("RESIZE_BILINEAR", (1, 2, 2, 1), np.int32, (4, 4), False, False)
    expect_error(model, [], "expected FLOAT32 or INT8")


@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
def test_resize_rejects_non_positive_size(op):
    expect_error(resize_model(op, (1, 2, 2, 1), np.float32, (0, 4), False, False), [],
                 "expected positive height and width")


@pytest.mark.parametrize("op", ["RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"])
def test_resize_rejects_runtime_size(op):
    model = resize_model(op, (1, 2, 2, 1), np.float32, (4, 4), False, False, size_as_input=True)
    expect_error(model, [], "must be a constant tensor")


# ---- GATHER -------------------------------------------------------------------------------

def gather_model(params_shape, dtype, indices, axis, batch_dims, out_shape, const_indices=True):
    b = ModelBuilder()
    p = b.input("params", params_shape, dtype)
    if const_indices:
        i = b.constant("indices", indices)
    else:
        i = b.input("indices", indices.shape, indices.dtype)
    y = b.tensor("y", out_shape, dtype)
    b.op("GATHER", [p, i], [y], "GatherOptions", dict(axis=axis, batch_dims=batch_dims))
    b.output(y)
    return b.build()


def gather_reference(params, indices, axis, batch_dims):
    axis = axis % params.ndim
    if batch_dims < 0:
        batch_dims += indices.ndim
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    batch_shape = params.shape[:batch_dims]
    parts = [np.take(params[b], indices[b], axis=axis - batch_dims)
             for b in np.ndindex(*batch_shape)]
    return np.stack(parts).reshape(batch_shape + parts[0].shape)


def check_gather(params_shape, dtype, indices, axis, batch_dims=0, const_indices=True,
                 tflite=True):
    params = sample(params_shape, dtype, seed=len(params_shape))
    expected = gather_reference(params, indices, axis, batch_dims)
    model = gather_model(params_shape, dtype, indices, axis, batch_dims, expected.shape,
                         const_indices)
    inputs = [params] if const_indices else [params, indices]
    assert_same(run_litert(model, inputs), expected)
    if tflite:
        assert_same(run_tflite(model, inputs), expected)


def random_indices(rng, extent, shape, dtype):
    return rng.integers(0, extent, size=shape).astype(dtype)


@pytest.mark.parametrize("params_shape", [(7,), (5, 4), (3, 4, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("indices_shape", [(), (1,), (6,), (2, 3)])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64, np.int16])
def test_gather_axes(params_shape, indices_shape, index_dtype):
    rng = np.random.default_rng(len(params_shape) * 10 + len(indices_shape))
    rank = len(params_shape)
    for axis in range(-rank, rank):
        indices = random_indices(rng, params_shape[axis], indices_shape, index_dtype)
        for const_indices in (True, False):
            check_gather(params_shape, np.float32, indices, axis, const_indices=const_indices)


@pytest.mark.parametrize("params_shape,indices_shape,axis,batch_dims", [
    ((2, 5), (2, 3), 1, 1),
    ((2, 5, 3), (2, 4), 1, 1),
    ((2, 5, 3), (2, 4), -2, -1),
    ((2, 3, 6, 2), (2, 3, 4), 2, 2),
    ((2, 3, 6, 2), (2, 3, 2, 2), 3, 2),
    ((2, 3, 6, 2), (2, 5), 2, 1),
    ((3, 4, 5), (3, 2, 2), 2, 1),
])
def test_gather_batch_dims(params_shape, indices_shape, axis, batch_dims):
    rng = np.random.default_rng(sum(params_shape))
    indices = random_indices(rng, params_shape[axis], indices_shape, np.int32)
    check_gather(params_shape, np.float32, indices, axis, batch_dims)


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.int8, np.uint8, np.bool_,
                                   np.float16, np.int16])
def test_gather_dtypes(dtype):
    rng = np.random.default_rng(7)
    indices = random_indices(rng, 5, (3, 2), np.int32)
    check_gather((4, 5, 3), dtype, indices, 1)


def test_gather_repeated_and_boundary_indices():
    indices = np.array([0, 4, 4, 0, 2, 4], np.int32)
    check_gather((5, 3), np.float32, indices, 0)


@pytest.mark.parametrize("bad", [5, -1, 2 ** 31 - 1])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_gather_out_of_range_index_fails_at_invoke(bad, index_dtype):
    params = sample((5, 3), np.float32)
    indices = np.array([1, bad, 0], index_dtype)
    model = gather_model((5, 3), np.float32, indices, 0, 0, (3, 3), const_indices=False)
    expect_error(model, [params, indices], f"indices[1] is {bad}", "[0, 5)", stage="invoke")
    # TensorFlow Lite refuses it too.
    with pytest.raises(RuntimeError):
        run_tflite(model, [params, indices])


def test_gather_out_of_range_int64_index_beyond_int32():
    params = sample((5, 3), np.float32)
    indices = np.array([2 ** 33 + 1], np.int64)   # would alias index 1 if truncated
    model = gather_model((5, 3), np.float32, indices, 0, 0, (1, 3), const_indices=False)
    expect_error(model, [params, indices], f"indices[0] is {2 ** 33 + 1}", stage="invoke")


def test_gather_constant_out_of_range_fails_at_allocate():
    """All inputs constant: the op is folded at prepare, so the error surfaces there."""
    b = ModelBuilder()
    p = b.constant("params", np.arange(6, dtype=np.float32).reshape(3, 2))
    i = b.constant("indices", np.array([3], np.int32))
    y = b.tensor("y", (1, 2), np.float32)
    b.op("GATHER", [p, i], [y], "GatherOptions", dict(axis=0))
    b.output(y)
    expect_error(b.build(), [], "indices[0] is 3")


@pytest.mark.parametrize("params_shape,indices_shape,axis,batch_dims,fragment", [
    ((3, 4), (2,), 2, 0, "GatherOptions.axis is 2"),
    ((3, 4), (2,), -3, 0, "GatherOptions.axis is -3"),
    ((3, 4), (3, 2), 0, 1, "exceeds axis"),
    ((3, 4), (2, 2), 1, 1, "differ in batch dimension 0"),
    ((3, 4), (3,), 1, 2, "GatherOptions.batch_dims is 2"),
])
def test_gather_rejects(params_shape, indices_shape, axis, batch_dims, fragment):
    indices = np.zeros(indices_shape, np.int32)
    model = gather_model(params_shape, np.float32, indices, axis, batch_dims, (1,))
    expect_error(model, [], fragment)
