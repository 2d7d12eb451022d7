"""AVERAGE_POOL_2D, MAX_POOL_2D and MEAN (float32).

Each case builds a one-op model, runs it in litert and compares the output with a NumPy
reference and with TensorFlow Lite's reference kernels (ai_edge_litert,
OpResolverType.BUILTIN_REF) on the same model bytes.

References:
  pools: for every output pixel, the window (TensorFlow's SAME / VALID placement) is cut
      out of the input and clipped to it, then reduced with max / mean in float64: padding
      never counts, so the average divides by the number of input cells in the window.
  MEAN: np.mean over the normalized, de-duplicated axes in float64 (keepdims as the option).

Tolerances:
  MAX_POOL_2D: exact against both (a maximum is one of the inputs, then a clamp or tanh of
      it: NumPy's float32 tanh and the C library's agree on these inputs to 1 ulp, so TANH
      cases use rtol 2**-22).
  AVERAGE_POOL_2D, MEAN: |got - ref| <= (n + 2) * 2**-23 * mag + 2**-22 * |ref|, where n is
      the number of values averaged and mag the mean of their magnitudes (float32 summation
      bound with a factor of two to spare); against TensorFlow Lite twice that.
  TANH as a fused activation is compared with NumPy only: TensorFlow Lite's pools ignore it,
      litert applies it.
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import assert_within_sum_bound as assert_within, fused_activation as activation, run_interpreter as _run, run_litert, run_tflite
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4






def _expect_prepare_error(model, match):
    interp = Interpreter(model_content=model)
    with pytest.raises(RuntimeError, match=match):
        interp.allocate_tensors()


# ---- pools -----------------------------------------------------------------------------------

def window_placement(size, k, stride, padding):
    """Output size and the padding before the first window (TensorFlow's rules)."""
    out = -(-size // stride) if padding == SAME else (size - k) // stride + 1
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2


def pool_ref(x, kh, kw, stride, padding, reduce):
    n, h, w, c = x.shape
    oh, top = window_placement(h, kh, stride[0], padding)
    ow, left = window_placement(w, kw, stride[1], padding)
    out = np.empty((n, oh, ow, c))
    for oy in range(oh):
        y0 = oy * stride[0] - top
        for ox in range(ow):
            x0 = ox * stride[1] - left
            window = x[:, max(y0, 0):min(y0 + kh, h), max(x0, 0):min(x0 + kw, w), :]
            out[:, oy, ox, :] = reduce(window.astype(np.float64), axis=(1, 2))
    return out


def pool_model(op, x_shape, out_shape, kh, kw, stride, padding, act):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    y = mb.tensor("y", out_shape)
    mb.op(op, [x], [y], "Pool2DOptions",
          dict(padding=padding, stride_h=stride[0], stride_w=stride[1], filter_height=kh,
               filter_width=kw, fused_activation_function=act))
    mb.output(y)
    return mb.build()


def check_pool(op, x_shape, kh, kw, stride, padding, act=NONE, seed=0):
    x = (np.random.default_rng(seed).standard_normal(x_shape) * 3).astype(np.float32)
    reduce = np.max if op == "MAX_POOL_2D" else np.mean
    raw = pool_ref(x, kh, kw, stride, padding, reduce)
    ref = activation(raw, act)
    model = pool_model(op, x.shape, ref.shape, kh, kw, stride, padding, act)
    got = run_litert(model, [x])
    tflite = run_tflite(model, [x]) if act != TANH else None
    if op == "MAX_POOL_2D":
        if act == TANH:
            np.testing.assert_allclose(got, ref.astype(np.float32), rtol=2.0 ** -22, atol=0)
        else:
            np.testing.assert_array_equal(got, ref.astype(np.float32))
            np.testing.assert_array_equal(got, tflite)
        return
    mag = pool_ref(np.abs(x), kh, kw, stride, padding, np.mean)
    assert_within(got, ref, mag, kh * kw)
    if tflite is not None:
        assert_within(got, tflite.astype(np.float64), mag, kh * kw, factor=2.0)


# (x shape, kh, kw, stride)
POOL_GEOMETRIES = [
    ((1, 4, 4, 1), 2, 2, (2, 2)),
    ((1, 7, 6, 3), 3, 3, (1, 1)),
    ((2, 9, 8, 5), 3, 3, (2, 2)),
    ((1, 11, 10, 7), 3, 2, (3, 2)),
    ((3, 8, 9, 2), 2, 3, (1, 3)),
    ((1, 10, 10, 17), 5, 5, (2, 3)),
    ((1, 5, 6, 4), 5, 6, (1, 1)),      # window as large as the input
    ((1, 3, 3, 2), 1, 1, (2, 2)),      # 1x1 window, subsampling
    ((2, 6, 5, 3), 4, 2, (3, 3)),
]


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("geometry", POOL_GEOMETRIES)
@pytest.mark.parametrize("padding", [SAME, VALID])
def test_pool_geometry(op, geometry, padding):
    x_shape, kh, kw, stride = geometry
    check_pool(op, x_shape, kh, kw, stride, padding)


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("act", [NONE, RELU, RELU_N1_TO_1, RELU6, TANH])
def test_pool_activation(op, act):
    check_pool(op, (2, 6, 7, 3), 3, 3, (1, 2), SAME, act, seed=act)


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pool_window_larger_than_input(op):
    """SAME padding with a window larger than the input: every window is clipped, and the
    average counts only the cells inside."""
    check_pool(op, (1, 3, 2, 2), 5, 4, (1, 1), SAME)


def test_average_pool_counts_only_valid_cells():
    """A hand-checked case: ones everywhere average to exactly 1 even in corner windows,
    which would be 4/9 if the padding counted."""
    x = np.ones((1, 3, 3, 1), np.float32)
    model = pool_model("AVERAGE_POOL_2D", x.shape, (1, 3, 3, 1), 3, 3, (1, 1), SAME, NONE)
    np.testing.assert_array_equal(run_litert(model, [x]), x)


def test_max_pool_all_negative_with_padding():
    """Padding is not a zero that could win the maximum."""
    x = -np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)
    model = pool_model("MAX_POOL_2D", x.shape, (1, 2, 2, 1), 3, 3, (2, 2), SAME, NONE)
    np.testing.assert_array_equal(run_litert(model, [x]).ravel(), [-1, -3, -9, -11])


@pytest.mark.parametrize("opts,x_shape,match", [
    (dict(filter_height=0, filter_width=2, stride_h=1, stride_w=1), (1, 4, 4, 1), "pool window"),
    (dict(filter_height=2, filter_width=2, stride_h=1, stride_w=0), (1, 4, 4, 1), "strides"),
    (dict(filter_height=5, filter_width=2, stride_h=1, stride_w=1, padding=VALID), (1, 4, 4, 1),
     "no output rows"),
    (dict(filter_height=2, filter_width=2, stride_h=1, stride_w=1, padding=3), (1, 4, 4, 1),
     "padding is 3"),
    (dict(filter_height=2, filter_width=2, stride_h=1, stride_w=1), (4, 4, 1), "expected rank 4"),
])
def test_pool_errors(opts, x_shape, match):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    y = mb.tensor("y", (1, 1, 1, 1))
    mb.op("MAX_POOL_2D", [x], [y], "Pool2DOptions", opts)
    mb.output(y)
    _expect_prepare_error(mb.build(), match)


# ---- MEAN ------------------------------------------------------------------------------------

def mean_model(x_shape, axes, keep_dims, out_shape, axes_const=True):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    a = (mb.constant("axes", np.asarray(axes, np.int32)) if axes_const
         else mb.input("axes", np.asarray(axes).shape, np.int32))
    y = mb.tensor("y", out_shape)
    mb.op("MEAN", [x, a], [y], "ReducerOptions", dict(keep_dims=keep_dims))
    mb.output(y)
    return mb.build()


def check_mean(x_shape, axes, keep_dims, seed=0):
    x = np.random.default_rng(seed).standard_normal(x_shape).astype(np.float32)
    rank = len(x_shape)
    norm = tuple(sorted({a % rank for a in np.asarray(axes).ravel().tolist()})) if rank else ()
    ref = np.mean(x.astype(np.float64), axis=norm, keepdims=keep_dims)
    mag = np.mean(np.abs(x.astype(np.float64)), axis=norm, keepdims=keep_dims)
    count = int(np.prod([x_shape[a] for a in norm]))
    model = mean_model(x.shape, axes, keep_dims, np.shape(ref))
    got = run_litert(model, [x])
    assert_within(got, np.asarray(ref), np.asarray(mag), count)
    assert_within(got, run_tflite(model, [x]).astype(np.float64), np.asarray(mag), count,
                  factor=2.0)


MEAN_CASES = [
    ((7,), [0]),
    ((7,), [-1]),
    ((3, 5), [1]),
    ((3, 5), [0]),
    ((3, 5), [0, 1]),
    ((2, 6, 7, 3), [1, 2]),             # global average pooling
    ((2, 6, 7, 3), [-3, -2]),
    ((2, 6, 7, 3), [3]),
    ((2, 6, 7, 3), [0, 2]),             # non-adjacent axes
    ((2, 3, 4, 5, 6), [1, 3]),
    ((2, 3, 4, 5, 6), [0, 4]),
    ((2, 3, 1, 4, 1, 3), [2, 3, 5]),    # extent-1 axes among reduced and kept ones
    ((2, 3, 4), [2, 0, 2, -1]),         # duplicates, also through a negative alias
    ((3, 4), []),                       # no axes: a copy
    ((4, 3, 5), [0, 1, 2]),             # everything
    ((1000,), [0]),                     # a long sum
]


@pytest.mark.parametrize("x_shape,axes", MEAN_CASES)
@pytest.mark.parametrize("keep_dims", [False, True])
def test_mean(x_shape, axes, keep_dims):
    check_mean(x_shape, axes, keep_dims)


def test_mean_scalar_axis():
    """The axes tensor may be a 0-d scalar."""
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    mb = ModelBuilder()
    xi = mb.input("x", x.shape)
    a = mb.constant("axes", np.array(1, np.int32))
    y = mb.tensor("y", (3,))
    mb.op("MEAN", [xi, a], [y], "ReducerOptions", dict(keep_dims=False))
    mb.output(y)
    got = run_litert(mb.build(), [x])
    ref = x.astype(np.float64).mean(axis=1)
    assert_within(got, ref, np.abs(x.astype(np.float64)).mean(axis=1), 4)


def test_mean_of_nothing_is_nan():
    """Averaging an empty axis gives NaN (0 / 0), as in NumPy and TensorFlow Lite."""
    model = mean_model((2, 0, 3), [1], False, (2, 3))
    x = np.zeros((2, 0, 3), np.float32)
    got = run_litert(model, [x])
    assert got.shape == (2, 3) and np.all(np.isnan(got))
    assert np.all(np.isnan(run_tflite(model, [x])))


def test_mean_exact_on_small_integers():
    """Sums of small integers are exact in float32, so the mean is the correctly rounded
    quotient: equal to NumPy's float64 result rounded to float32."""
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    model = mean_model(x.shape, [0, 2], True, (1, 3, 1))
    np.testing.assert_array_equal(run_litert(model, [x]),
                                  x.astype(np.float64).mean(axis=(0, 2), keepdims=True)
                                  .astype(np.float32))


def test_mean_after_resize():
    model = mean_model((2, 3, 4), [1], False, (2, 4))
    interp = Interpreter(model_content=model)
    x = np.random.default_rng(2).standard_normal((5, 7, 2)).astype(np.float32)
    interp.resize_tensor_input(interp.get_input_details()[0]["index"], x.shape)
    got = _run(interp, [x])
    assert_within(got, x.astype(np.float64).mean(axis=1),
                  np.abs(x.astype(np.float64)).mean(axis=1), 7)


def test_mean_axes_must_be_constant():
    model = mean_model((2, 3), [1], False, (2,), axes_const=False)
    _expect_prepare_error(model, "axes 'axes' are computed at run time")


@pytest.mark.parametrize("axes,match", [
    ([2], r"axes\[0\] is 2; expected a value in \[-2, 2\)"),
    ([0, -3], r"axes\[1\] is -3"),
])
def test_mean_axis_out_of_range(axes, match):
    _expect_prepare_error(mean_model((2, 3), axes, False, (1,)), match)


def test_mean_axes_must_be_int32():
    mb = ModelBuilder()
    x = mb.input("x", (2, 3))
    a = mb.constant("axes", np.array([1], np.int64))
    y = mb.tensor("y", (2,))
    mb.op("MEAN", [x, a], [y], "ReducerOptions", dict(keep_dims=False))
    mb.output(y)
    _expect_prepare_error(mb.build(), "type INT64; expected INT32")


def test_pool_no_channels():
    model = pool_model("AVERAGE_POOL_2D", (1, 4, 4, 0), (1, 2, 2, 0), 2, 2, (2, 2), SAME, NONE)
    assert run_litert(model, [np.ones((1, 4, 4, 0), np.float32)]).shape == (1, 2, 2, 0)
