"""RESHAPE, SQUEEZE, PAD, PADV2, TRANSPOSE and STRIDED_SLICE.

Each case builds a one-op model, runs it in litert and compares the output with a NumPy
reference (reshape, squeeze, np.pad, np.transpose, basic slicing) and with TensorFlow Lite's
interpreter (ai_edge_litert) on the same model bytes. These ops only move data, so every
comparison is exact: same shape, same dtype, same bytes.

The reference for STRIDED_SLICE turns the slice spec into a NumPy index tuple (slices,
Ellipsis, np.newaxis, integers) -- Python's slicing rules, which TensorFlow's op follows --
so it shares no code with the kernel's mask expansion. The installed TensorFlow Lite departs
from TensorFlow in two places, found by the random-spec test and left out of its comparison
(litert follows TensorFlow and NumPy there; see tflite_slices_like_tensorflow):
  - an ellipsis that stands for no dimension (x[..., 1:3] on a 1-D input);
  - an end index of exactly 0 with a positive stride (x[-1:0] is empty; TFLite runs to the
    end of the dimension).
It also only accepts INT32 begin/end/strides (litert accepts INT64 too).
"""
import numpy as np
import pytest

from litert import Interpreter
from op_runner import run_litert, run_tflite_default as run_tflite
from tflite_builder import ModelBuilder

# Element types the data-movement kernels must serve (copied by element size).
DTYPES = [np.float32, np.int32, np.int64, np.int8, np.uint8, np.bool_, np.float16]

# TensorFlow Lite's kernels stop at these ranks; beyond them only NumPy is compared.
TFLITE_MAX_RANK = {"PAD": 5, "PADV2": 5, "TRANSPOSE": 6, "STRIDED_SLICE": 5}



def assert_same(actual, expected):
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)


def check(model, inputs, expected, tflite=True):
    """litert must equal the NumPy reference and, when asked, TensorFlow Lite."""
    assert_same(run_litert(model, inputs), expected)
    if tflite:
        assert_same(run_tflite(model, inputs), expected)


def sample(shape, dtype, seed=0):
    """Random values of `dtype` (mostly distinct, so misplaced elements show)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(int(info.min), -(10 ** 6)), min(int(info.max), 10 ** 6)
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)


def expect_error(model, inputs, *fragments, stage="allocate"):
    """litert must fail (at allocate or invoke) with a message containing every fragment."""
    it = Interpreter(model_content=model)
    with pytest.raises(RuntimeError) as info:
        it.allocate_tensors()
        if stage == "invoke":
            for detail, value in zip(it.get_input_details(), inputs):
                it.set_tensor(detail["index"], value)
            it.invoke()
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


# ---- RESHAPE ------------------------------------------------------------------------------

def reshape_model(in_shape, dtype, new_shape, via, out_shape):
    """via: 'tensor' (shape input only), 'options' (new_shape only) or 'both'."""
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype)
    inputs = [x]
    if via in ("tensor", "both"):
        inputs.append(b.constant("shape", np.asarray(new_shape, np.int32).reshape(-1)))
    y = b.tensor("y", out_shape, dtype)
    opts = dict(new_shape=list(new_shape)) if via in ("options", "both") else None
    b.op("RESHAPE", inputs, [y], "ReshapeOptions", opts)
    b.output(y)
    return b.build()


RESHAPE_CASES = [
    ((2, 3, 4), (4, 6)),
    ((2, 3, 4), (-1,)),
    ((2, 3, 4), (2, -1)),
    ((2, 3, 4), (-1, 3, 2, 2)),
    ((1, 8, 8, 3), (1, 1, 192)),
    ((6,), (1, 2, 1, 3, 1)),
    ((1,), ()),
    ((1, 1, 1), ()),
    ((), (1, 1)),
    ((2, 2, 2, 2, 2, 2, 2, 2), (16, -1)),
    ((3, 5), (5, 3)),
    ((0, 3), (3, 0)),
]


def reshape_params():
    for in_shape, new_shape in RESHAPE_CASES:
        for via in ("tensor", "options", "both"):
            yield pytest.param(in_shape, new_shape, via)


@pytest.mark.parametrize("in_shape,new_shape,via", list(reshape_params()))
def test_reshape_float32(in_shape, new_shape, via):
    x = sample(in_shape, np.float32)
    expected = x.reshape(new_shape)
    check(reshape_model(in_shape, np.float32, new_shape, via, expected.shape), [x], expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_dtypes(dtype):
    x = sample((2, 3, 4), dtype, seed=1)
    expected = x.reshape(3, -1)
    check(reshape_model((2, 3, 4), dtype, (3, -1), "tensor", expected.shape), [x], expected)


def test_reshape_empty_shape_tensor_is_scalar():
    x = sample((1, 1), np.float32)
    check(reshape_model((1, 1), np.float32, np.zeros(0, np.int32), "tensor", ()), [x],
          x.reshape(()))


def test_reshape_legacy_zero_new_shape_is_scalar():
    x = sample((1,), np.int32)
    check(reshape_model((1,), np.int32, (0,), "options", ()), [x], x.reshape(()))


def test_reshape_shape_from_folded_constant_chain():
    """SHAPE(c) of a constant folds at prepare, so its result is a constant shape input."""
    b = ModelBuilder()
    x = b.input("x", (2, 6), np.float32)
    c = b.constant("c", np.zeros((3, 4), np.float32))
    s = b.tensor("s", (2,), np.int32)
    b.op("SHAPE", [c], [s], "ShapeOptions", dict(out_type=2))
    y = b.tensor("y", (3, 4), np.float32)
    b.op("RESHAPE", [x, s], [y], "ReshapeOptions", None)
    b.output(y)
    x_value = sample((2, 6), np.float32)
    check(b.build(), [x_value], x_value.reshape(3, 4))


def test_reshape_count_mismatch_names_both_shapes():
    model = reshape_model((2, 3, 4), np.float32, (5, 5), "tensor", (5, 5))
    expect_error(model, [], "[2, 3, 4]", "[5, 5]")


def test_reshape_not_divisible_with_inferred_dim():
    model = reshape_model((2, 3, 4), np.float32, (5, -1), "options", (5, 5))
    expect_error(model, [], "[2, 3, 4]", "[5, -1]")


def test_reshape_two_inferred_dims():
    model = reshape_model((2, 3, 4), np.float32, (-1, -1), "tensor", (4, 6))
    expect_error(model, [], "more than one -1")


def test_reshape_runtime_shape_is_rejected_clearly():
    b = ModelBuilder()
    x = b.input("x", (2, 3), np.float32)
    s = b.input("s", (2,), np.int32)
    y = b.tensor("y", (3, 2), np.float32)
    b.op("RESHAPE", [x, s], [y], "ReshapeOptions", None)
    b.output(y)
    expect_error(b.build(), [], "RESHAPE with a shape computed at run time is not supported yet")


# ---- SQUEEZE ------------------------------------------------------------------------------

def squeeze_model(in_shape, dtype, dims, out_shape):
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype)
    y = b.tensor("y", out_shape, dtype)
    b.op("SQUEEZE", [x], [y], "SqueezeOptions", dict(squeeze_dims=list(dims)))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("in_shape,dims", [
    ((1, 3, 1, 4), ()),
    ((1, 3, 1, 4), (0,)),
    ((1, 3, 1, 4), (2,)),
    ((1, 3, 1, 4), (-2,)),
    ((1, 3, 1, 4), (0, -2)),
    ((1, 1, 1), ()),
    ((1, 1, 1), (-1, 0)),
    ((2, 3), ()),
    ((1, 2, 1, 1, 3, 1), (3, 5)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.int8, np.bool_])
def test_squeeze(in_shape, dims, dtype):
    x = sample(in_shape, dtype)
    expected = np.squeeze(x, axis=tuple(dims) if dims else None)
    check(squeeze_model(in_shape, dtype, dims, expected.shape), [x], expected)


def test_squeeze_rejects_dim_of_size_not_one():
    expect_error(squeeze_model((1, 3), np.float32, (1,), (1,)), [], "size is 3, expected 1")


def test_squeeze_rejects_dim_out_of_range():
    expect_error(squeeze_model((1, 3), np.float32, (2,), (3,)), [], "squeeze_dims[0] is 2")


# ---- PAD / PADV2 --------------------------------------------------------------------------

def pad_model(op, in_shape, dtype, paddings, pad_dtype=np.int32, constant=None, quant=None,
              out_shape=None):
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype, quant=quant)
    p = b.constant("paddings", np.asarray(paddings, pad_dtype).reshape(len(in_shape), 2))
    inputs = [x, p]
    if constant is not None:
        inputs.append(b.constant("value", np.asarray([constant], dtype), quant=quant))
    y = b.tensor("y", out_shape, dtype, quant=quant)
    b.op(op, inputs, [y], "PadV2Options" if op == "PADV2" else "PadOptions", {})
    b.output(y)
    return b.build()


def random_paddings(rank, seed):
    rng = np.random.default_rng(seed)
    pads = rng.integers(0, 3, size=(rank, 2))
    pads[rng.random(rank) < 0.3] = 0   # some dimensions unpadded (rows merge)
    return pads


@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5, 6, 8])
@pytest.mark.parametrize("pad_dtype", [np.int32, np.int64])
def test_pad_ranks(rank, pad_dtype):
    rng = np.random.default_rng(rank)
    shape = tuple(int(d) for d in rng.integers(1, 4, size=rank))
    for seed in range(3):
        pads = random_paddings(rank, seed + 10 * rank)
        x = sample(shape, np.float32, seed)
        expected = np.pad(x, pads)
        model = pad_model("PAD", shape, np.float32, pads, pad_dtype, out_shape=expected.shape)
        check(model, [x], expected, tflite=rank <= TFLITE_MAX_RANK["PAD"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_dtypes(dtype):
    pads = [[1, 2], [0, 0], [3, 1]]
    x = sample((2, 3, 4), dtype)
    expected = np.pad(x, pads)
    check(pad_model("PAD", (2, 3, 4), dtype, pads, out_shape=expected.shape), [x], expected)


@pytest.mark.parametrize("dtype,value", [(np.float32, -7.5), (np.int32, 123456), (np.int8, -5),
                                         (np.uint8, 200), (np.int64, -(2 ** 40)),
                                         (np.bool_, True), (np.float16, 3.25)])
def test_padv2_constant_value(dtype, value):
    pads = [[0, 1], [2, 0], [1, 1], [0, 0]]
    x = sample((1, 3, 2, 2), dtype)
    expected = np.pad(x, pads, constant_values=np.asarray(value, dtype))
    model = pad_model("PADV2", (1, 3, 2, 2), dtype, pads, constant=value,
                      out_shape=expected.shape)
    check(model, [x], expected)


@pytest.mark.parametrize("dtype,zero_point", [(np.int8, -3), (np.int8, 17), (np.uint8, 128),
                                              (np.uint8, 0)])
def test_pad_quantized_pads_with_zero_point(dtype, zero_point):
    quant = dict(scale=[0.25], zero_point=[zero_point])
    pads = [[0, 0], [1, 2], [2, 1], [0, 0]]
    x = sample((1, 2, 3, 2), dtype)
    expected = np.pad(x, pads, constant_values=np.asarray(zero_point, dtype))
    model = pad_model("PAD", (1, 2, 3, 2), dtype, pads, quant=quant, out_shape=expected.shape)
    check(model, [x], expected)


def test_padv2_quantized_constant_value():
    """A quantized constant_values input is used as given (its raw value), when it shares the
    output's quantization."""
    quant = dict(scale=[0.5], zero_point=[-3])
    pads = [[1, 0], [0, 2]]
    x = sample((2, 3), np.int8)
    expected = np.pad(x, pads, constant_values=np.int8(9))
    model = pad_model("PADV2", (2, 3), np.int8, pads, constant=9, quant=quant,
                      out_shape=expected.shape)
    check(model, [x], expected)


def test_padv2_rejects_constant_with_other_quantization():
    b = ModelBuilder()
    quant = dict(scale=[0.5], zero_point=[-3])
    x = b.input("x", (2, 3), np.int8, quant=quant)
    p = b.constant("paddings", np.array([[1, 0], [0, 2]], np.int32))
    v = b.constant("value", np.array([9], np.int8), quant=dict(scale=[0.25], zero_point=[0]))
    y = b.tensor("y", (3, 5), np.int8, quant=quant)
    b.op("PADV2", [x, p, v], [y], "PadV2Options", {})
    b.output(y)
    expect_error(b.build(), [], "constant_values 'value' and the output have different "
                 "quantization")


def test_pad_no_padding_is_a_copy():
    x = sample((2, 3), np.int32)
    check(pad_model("PAD", (2, 3), np.int32, [[0, 0], [0, 0]], out_shape=(2, 3)), [x], x)


def test_pad_empty_input():
    x = np.zeros((0, 2), np.float32)
    expected = np.pad(x, [[1, 1], [0, 1]])
    check(pad_model("PAD", (0, 2), np.float32, [[1, 1], [0, 1]], out_shape=expected.shape),
          [x], expected)


def test_pad_rejects_negative_padding():
    model = pad_model("PAD", (2, 3), np.float32, [[0, -1], [0, 0]], out_shape=(1, 3))
    expect_error(model, [], "expected values >= 0")


def test_pad_rejects_paddings_of_wrong_shape():
    b = ModelBuilder()
    x = b.input("x", (2, 3), np.float32)
    p = b.constant("paddings", np.zeros((3, 2), np.int32))
    y = b.tensor("y", (2, 3), np.float32)
    b.op("PAD", [x, p], [y], "PadOptions", {})
    b.output(y)
    expect_error(b.build(), [], "expected [2, 2]")


# ---- TRANSPOSE ----------------------------------------------------------------------------

def transpose_model(in_shape, dtype, perm, out_shape):
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype)
    p = b.constant("perm", np.asarray(perm, np.int32).reshape(len(in_shape)))
    y = b.tensor("y", out_shape, dtype)
    b.op("TRANSPOSE", [x, p], [y], "TransposeOptions", {})
    b.output(y)
    return b.build()


@pytest.mark.parametrize("rank", [0, 1, 2, 3, 4, 5, 6, 7, 8])
def test_transpose_ranks(rank):
    rng = np.random.default_rng(100 + rank)
    for trial in range(4):
        shape = tuple(int(d) for d in rng.integers(1, 5 if rank <= 5 else 3, size=rank))
        perm = rng.permutation(rank)
        x = sample(shape, np.float32, trial)
        expected = np.transpose(x, perm)
        # TensorFlow Lite returns garbage for a rank-0 transpose (empty perm): NumPy only there.
        check(transpose_model(shape, np.float32, perm, expected.shape), [x], expected,
              tflite=1 <= rank <= TFLITE_MAX_RANK["TRANSPOSE"])


@pytest.mark.parametrize("shape,perm", [
    ((2, 3), (1, 0)),
    ((64, 37), (1, 0)),
    ((2, 3, 4), (0, 2, 1)),          # inner block transposed, outer kept
    ((2, 3, 4), (1, 0, 2)),          # outer transposed, rows copied whole
    ((1, 5, 1, 6), (3, 2, 1, 0)),    # extent-1 dimensions
    ((2, 3, 4, 5), (0, 1, 2, 3)),    # identity
    ((1, 8, 8, 16), (0, 3, 1, 2)),   # NHWC -> NCHW
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_transpose_dtypes(shape, perm, dtype):
    x = sample(shape, dtype)
    expected = np.transpose(x, perm)
    check(transpose_model(shape, dtype, perm, expected.shape), [x], expected)


@pytest.mark.parametrize("perm,fragment", [((0, 0, 1), "perm[1] is 0"),
                                           ((0, 1, 3), "perm[2] is 3"),
                                           ((0, -1, 1), "perm[1] is -1")])
def test_transpose_rejects_bad_perm(perm, fragment):
    expect_error(transpose_model((2, 3, 4), np.float32, perm, (2, 3, 4)), [], fragment)


# ---- STRIDED_SLICE ------------------------------------------------------------------------

def slice_model(in_shape, dtype, begin, end, strides, out_shape, index_dtype=np.int32,
                **masks):
    b = ModelBuilder()
    x = b.input("x", in_shape, dtype)
    spec = [b.constant(name, np.asarray(values, index_dtype).reshape(len(begin)))
            for name, values in (("begin", begin), ("end", end), ("strides", strides))]
    y = b.tensor("y", out_shape, dtype)
    b.op("STRIDED_SLICE", [x] + spec, [y], "StridedSliceOptions", masks)
    b.output(y)
    return b.build()


def numpy_index(begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0,
                new_axis_mask=0, shrink_axis_mask=0):
    """The Python index a slice spec stands for (x[b:e:s, ..., None, k])."""
    index = []
    for i in range(len(begin)):
        if ellipsis_mask >> i & 1:
            index.append(Ellipsis)
        elif new_axis_mask >> i & 1:
            index.append(np.newaxis)
        elif shrink_axis_mask >> i & 1:
            index.append(int(begin[i]))
        else:
            index.append(slice(None if begin_mask >> i & 1 else int(begin[i]),
                               None if end_mask >> i & 1 else int(end[i]), int(strides[i])))
    return tuple(index)


def tflite_slices_like_tensorflow(rank, begin, end, strides, begin_mask=0, end_mask=0,
                                  ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0,
                                  offset=False):
    """False for the specs where TensorFlow Lite is known to differ from TensorFlow."""
    named = sum(1 for i in range(len(begin)) if not (ellipsis_mask | new_axis_mask) >> i & 1)
    if ellipsis_mask and named == rank:
        return False  # the ellipsis stands for no dimension
    for i in range(len(begin)):
        plain = not (ellipsis_mask | new_axis_mask | shrink_axis_mask | end_mask) >> i & 1
        if plain and end[i] == 0 and strides[i] > 0 and not offset:
            return False  # end 0 going forward
    return True


def check_slice(shape, begin, end, strides, dtype=np.float32, tflite=True, index_dtype=np.int32,
                **masks):
    x = sample(shape, dtype, seed=len(begin))
    expected = np.array(x[numpy_index(begin, end, strides, **masks)])
    model = slice_model(shape, dtype, begin, end, strides, expected.shape, index_dtype, **masks)
    tflite = (tflite and index_dtype == np.int32 and expected.ndim <= TFLITE_MAX_RANK["STRIDED_SLICE"]
              and tflite_slices_like_tensorflow(len(shape), begin, end, strides, **masks))
    check(model, [x], expected, tflite=tflite)


# (shape, begin, end, strides, masks): one or more features each.
SLICE_CASES = {
    "plain": ((5, 6), [1, 2], [4, 5], [1, 1], {}),
    "step_2": ((9, 7), [0, 1], [9, 7], [2, 3], {}),
    "negative_indices": ((6, 5), [-4, -3], [-1, -1], [1, 1], {}),
    "negative_stride": ((7,), [5], [1], [-1], {}),
    "negative_stride_step_2": ((8, 4), [7, 3], [0, 0], [-2, -1], {}),
    "negative_stride_to_start": ((6,), [4], [-7], [-1], {}),
    "clamp_begin_end": ((4, 5), [-10, 2], [10, 100], [1, 1], {}),
    "clamp_backward": ((5,), [100], [-100], [-2], {}),
    "empty_forward": ((5,), [3], [1], [1], {}),
    "empty_backward": ((5,), [1], [3], [-1], {}),
    "end_zero_forward": ((5, 4), [-1, 1], [0, 0], [1, 1], {}),
    "end_zero_backward": ((5,), [3], [0], [-1], {}),
    "fewer_entries_than_dims": ((3, 4, 5), [1], [3], [1], {}),
    "begin_mask": ((6, 5), [3, 2], [5, 4], [1, 1], dict(begin_mask=0b01)),
    "begin_mask_backward": ((6, 5), [3, 2], [0, 0], [-1, -1], dict(begin_mask=0b11)),
    "end_mask": ((6, 5), [1, 2], [2, 3], [1, 1], dict(end_mask=0b10)),
    "end_mask_backward": ((6, 5), [4, 3], [2, 3], [-1, -2], dict(end_mask=0b11)),
    "begin_and_end_mask": ((6, 5), [4, 3], [1, 1], [2, -1], dict(begin_mask=3, end_mask=3)),
    "shrink_first": ((4, 5), [2, 0], [3, 5], [1, 1], dict(shrink_axis_mask=0b01)),
    "shrink_last": ((4, 5), [0, 3], [4, 4], [1, 1], dict(shrink_axis_mask=0b10)),
    "shrink_negative": ((4, 5), [-1, -2], [0, 0], [1, 1], dict(shrink_axis_mask=0b11)),
    "shrink_all_to_scalar": ((2, 3, 4), [1, 2, 3], [2, 3, 4], [1, 1, 1],
                             dict(shrink_axis_mask=0b111)),
    "new_axis_front": ((3, 4), [0, 0, 1], [0, 3, 3], [1, 1, 1], dict(new_axis_mask=0b001)),
    "new_axis_middle": ((3, 4), [0, 0, 1], [3, 0, 4], [1, 1, 2], dict(new_axis_mask=0b010)),
    "new_axis_only": ((3, 4), [0], [0], [1], dict(new_axis_mask=1)),
    "ellipsis_front": ((2, 3, 4, 5), [0, 1], [0, 4], [1, 2], dict(ellipsis_mask=0b01)),
    "ellipsis_middle": ((2, 3, 4, 5), [1, 0, -1], [2, 0, -4], [1, 1, -1],
                        dict(ellipsis_mask=0b010)),
    "ellipsis_end": ((2, 3, 4, 5), [1, 0], [2, 0], [1, 1], dict(ellipsis_mask=0b10)),
    "ellipsis_covering_nothing": ((3, 4), [0, 1, 1], [0, 3, 4], [1, 1, 1],
                                  dict(ellipsis_mask=0b001)),
    "ellipsis_and_new_axis": ((2, 3, 4), [0, 0, 1], [0, 0, 3], [1, 1, 1],
                              dict(ellipsis_mask=0b001, new_axis_mask=0b010)),
    "new_axis_then_ellipsis": ((2, 3, 4), [0, 0, 2], [0, 0, 3], [1, 1, 1],
                               dict(new_axis_mask=0b001, ellipsis_mask=0b010,
                                    shrink_axis_mask=0b100)),
    "ellipsis_shrink": ((2, 3, 4), [0, 1], [0, 2], [1, 1],
                        dict(ellipsis_mask=0b01, shrink_axis_mask=0b10)),
    "everything": ((3, 4, 5, 6), [0, 1, 0, 0, -1, 2], [0, 3, 0, 0, 0, 0], [1, 1, 1, 1, -2, 1],
                   dict(begin_mask=0b010000, end_mask=0b010010, new_axis_mask=0b000100,
                        ellipsis_mask=0b001000, shrink_axis_mask=0b100000)),
    "zero_size_dim": ((0, 3), [0, 1], [0, 3], [1, 1], {}),
    "rank_1_full": ((10,), [0], [10], [1], {}),
    "rank_5": ((2, 3, 2, 3, 4), [1, 0, 1, 2, 3], [2, 3, 2, 0, 0], [1, 2, 1, -1, -2], {}),
}


@pytest.mark.parametrize("name", sorted(SLICE_CASES))
def test_strided_slice_cases(name):
    shape, begin, end, strides, masks = SLICE_CASES[name]
    check_slice(shape, begin, end, strides, **masks)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_strided_slice_dtypes(dtype, index_dtype):
    check_slice((4, 5, 6), [1, -1, 0], [4, 0, 6], [2, -2, 3], dtype=dtype,
                index_dtype=index_dtype, end_mask=0b010)


def random_slice_spec(rng, rank):
    """A random spec: slices with random bounds, strides and masks, at most one ellipsis,
    some new axes and single indices."""
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    begin, end, strides = [], [], []
    masks = dict(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                 shrink_axis_mask=0)
    dims_left = rank
    ellipsis_at = int(rng.integers(0, rank + 1)) if rng.random() < 0.4 else -1
    i = 0
    while dims_left > 0 or (i == ellipsis_at):
        bit = 1 << i
        if i == ellipsis_at:
            masks["ellipsis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
            dims_left = int(rng.integers(0, dims_left + 1))  # the rest covers the dims between
            i += 1
            continue
        if rng.random() < 0.15:
            masks["new_axis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
            i += 1
            continue
        dim = shape[rank - dims_left]
        if rng.random() < 0.2:
            masks["shrink_axis_mask"] |= bit
            k = int(rng.integers(-dim, dim))
            begin.append(k), end.append(k + 1), strides.append(1)
        else:
            s = int(rng.choice([1, 1, 2, 3, -1, -2]))
            begin.append(int(rng.integers(-dim - 2, dim + 3)))
            end.append(int(rng.integers(-dim - 2, dim + 3)))
            strides.append(s)
            if rng.random() < 0.25:
                masks["begin_mask"] |= bit
            if rng.random() < 0.25:
                masks["end_mask"] |= bit
        dims_left -= 1
        i += 1
    return shape, begin, end, strides, masks


@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5])
def test_strided_slice_random_specs(rank):
    rng = np.random.default_rng(1000 + rank)
    for _ in range(100):
        shape, begin, end, strides, masks = random_slice_spec(rng, rank)
        x = sample(shape, np.float32)
        expected = np.array(x[numpy_index(begin, end, strides, **masks)])
        if expected.ndim > 8:
            continue
        model = slice_model(shape, np.float32, begin, end, strides, expected.shape, **masks)
        assert_same(run_litert(model, [x]), expected)
        if (expected.ndim <= TFLITE_MAX_RANK["STRIDED_SLICE"]
                and tflite_slices_like_tensorflow(rank, begin, end, strides, **masks)):
            assert_same(run_tflite(model, [x]), expected)


@pytest.mark.parametrize("rank", [6, 7, 8])
def test_strided_slice_high_rank(rank):
    shape = (2, 3) * 4
    shape = shape[:rank]
    begin = [1, -1, 0, 2, 1, 0, 0, 1][:rank]
    end = [2, 0, 2, 0, 2, 3, 2, 3][:rank]
    strides = [1, -1, 1, -1, 1, 2, 1, 1][:rank]
    check_slice(shape, begin, end, strides, tflite=False, end_mask=0b1000)


# offset (a TensorFlow Lite extension): end[i] counts from the resolved begin[i], i.e.
# x[b : b + e : s]. NumPy spells that out directly.
@pytest.mark.parametrize("shape,begin,size,strides", [
    ((6, 5), [1, 2], [3, 2], [1, 1]),
    ((6, 5), [0, 1], [6, 4], [2, 3]),
    ((4, 4, 3), [1, 0, 2], [2, 4, 1], [1, 1, 1]),
    ((5,), [3], [10], [1]),            # b + e past the end: clamped
])
def test_strided_slice_offset(shape, begin, size, strides):
    x = sample(shape, np.float32)
    index = tuple(slice(b, b + e, s) for b, e, s in zip(begin, size, strides))
    expected = np.array(x[index])
    model = slice_model(shape, np.float32, begin, size, strides, expected.shape, offset=True)
    check(model, [x], expected)


def test_strided_slice_shrink_ignores_begin_mask():
    """TensorFlow uses begin[i] for a single-index entry even if begin_mask bit i is set
    (TensorFlow Lite starts at 0 instead), so only NumPy is compared."""
    check_slice((4, 5), [2, 1], [3, 4], [1, 1], tflite=False, begin_mask=0b01,
                shrink_axis_mask=0b01)


@pytest.mark.parametrize("shape,begin,end,strides,masks,fragment", [
    ((4, 5), [0, 0], [4, 5], [1, 0], {}, "strides[1] is 0"),
    ((4, 5), [4, 0], [5, 5], [1, 1], dict(shrink_axis_mask=1), "index 4 of dimension 0"),
    ((4, 5), [-5, 0], [0, 5], [1, 1], dict(shrink_axis_mask=1), "index -5 of dimension 0"),
    ((4, 5), [1, 0], [0, 5], [-1, 1], dict(shrink_axis_mask=1), "expected a positive stride"),
    ((4, 5), [0, 0, 0], [1, 1, 1], [1, 1, 1], {}, "more dimensions than the input has"),
    ((4, 5), [0, 0], [1, 1], [1, 1], dict(ellipsis_mask=0b11), "at most one bit"),
])
def test_strided_slice_rejects(shape, begin, end, strides, masks, fragment):
    expect_error(slice_model(shape, np.float32, begin, end, strides, (1,), **masks), [],
                 fragment)
