"""TOPK_V2 (tf.math.top_k) through TensorFlow's converter, litert against TensorFlow Lite's
interpreter on the same file.

Every comparison is exact, values and indices: top k only picks stored values, and the order
is fully defined for values without NaN (larger first, equal values by position), so any
correct selection gives the same bytes. Inputs are drawn from a few small integers (plus
-inf / +inf for float32) so that rows are full of ties. NaN, which TensorFlow Lite's source
leaves to its heap's internals, is checked against the rule we implement (NaN below every
number, by position) and against TensorFlow Lite 2.21, which behaves the same. Cases the
converter cannot express (k = 0, INT16 k / indices, uint8 and int16 values) and malformed
models are built directly with tflite_builder."""
from __future__ import annotations

import numpy as np
import pytest
import tf_op_models as tom
from tflite_builder import ModelBuilder

from litert import Interpreter


run_theirs = tom.run_tflite_reference
assert_same = tom.assert_same_as_tflite


def expected(x, k):
    """The order we implement, by a stable sort: larger first, NaN last, ties by position."""
    x = np.asarray(x)
    key = x.astype(np.float64) if x.dtype.kind == "f" else x.astype(object)
    flat = key.reshape(-1, x.shape[-1])
    idx = []
    for row in flat:
        nan = [i for i in range(len(row)) if row[i] != row[i]]
        num = sorted((i for i in range(len(row)) if row[i] == row[i]), key=lambda i: -row[i])
        idx.append((num + nan)[:k])
    idx = np.array(idx, np.int32).reshape(x.shape[:-1] + (k,))
    return np.take_along_axis(x, idx, axis=-1), idx


def tied(shape, dtype, seed):
    """Small integers (many ties); float32 adds -inf and +inf."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=shape).astype(dtype)
    if np.dtype(dtype) == np.float32:
        x[rng.random(shape) < 0.15] = -np.inf
        x[rng.random(shape) < 0.05] = np.inf
    return x


# Ranks 1-4, odd sizes; per input the k values used (1, n, and one in between).
SHAPES = [((7,), (1, 3, 7)), ((3, 9), (1, 4, 9)), ((2, 3, 5), (1, 2, 5)),
          ((2, 1, 3, 4), (1, 3, 4)), ((2, 1), (1,))]


def _topks(*xs):
    tf = tom.tf()
    outs = []
    for x, (_, ks) in zip(xs, SHAPES):
        for k in ks:
            v, i = tf.math.top_k(x, k=k)
            outs += [v, i]
    return tuple(outs)


@pytest.fixture(scope="module", params=[np.float32, np.int32, np.int64])
def typed_model(request):
    tf = tom.tf()
    dtype = request.param
    specs = [(s, tf.as_dtype(np.dtype(dtype))) for s, _ in SHAPES]
    model = tom.convert(_topks, specs, key=f"topk_{np.dtype(dtype).name}")
    assert "TOPK_V2" in tom.op_names(model)
    return dtype, model


@pytest.mark.parametrize("seed", [0, 1])
def test_types_ranks_and_ks(typed_model, seed):
    dtype, model = typed_model
    xs = [tied(s, dtype, seed * 10 + j) for j, (s, _) in enumerate(SHAPES)]
    ours = assert_same(model, xs)
    assert sum(o.dtype == np.int32 for o in ours) >= len(ours) // 2  # the indices


def test_int8_full_quantization():
    tf = tom.tf()

    def fn(x):
        v, i = tf.math.top_k(x, k=3)
        return v * 1.0, i

    def rep():
        for s in range(8):
            yield [tied((2, 3, 11), np.float32, 100 + s).clip(-3, 3) * 0.5]

    model = tom.convert(fn, [((2, 3, 11), tf.float32)], quant="int8", representative=rep,
                        key="topk_int8")
    names = tom.op_names(model)
    assert "TOPK_V2" in names, names
    for seed in range(3):
        x = tied((2, 3, 11), np.float32, seed).clip(-3, 3) * 0.5
        (xq,) = tom.quantize_inputs(model, [x])
        assert xq.dtype == np.int8
        assert_same(model, [xq])


def test_wide_row_random_values():
    """A longer row than k (the heap path), distinct and repeated values."""
    tf = tom.tf()
    model = tom.convert(lambda x: tf.math.top_k(x, k=37), [((3, 500), tf.float32)],
                        key="topk_wide")
    rng = np.random.default_rng(5)
    for x in (rng.standard_normal((3, 500)).astype(np.float32),
              rng.integers(-4, 4, (3, 500)).astype(np.float32)):
        ours = assert_same(model, [x])
        want_v, want_i = expected(x, 37)
        got = {o.dtype.kind: o for o in ours}
        np.testing.assert_array_equal(got["f"], want_v)
        np.testing.assert_array_equal(got["i"], want_i)


# ---- Built directly: k = 0, INT16 k / indices, uint8 / int16 values, NaN, errors ---------

def _topk_model(shape, dtype, k, *, k_dtype=np.int32, index_dtype=np.int32, quant=None,
                out_quant=None, out_k=None, k_input=False):
    mb = ModelBuilder()
    x = mb.input("x", shape, dtype, quant=quant)
    ok = k if out_k is None else out_k
    oshape = tuple(shape[:-1]) + (ok,)
    v = mb.tensor("values", oshape, dtype, quant=out_quant if out_quant is not None else quant)
    i = mb.tensor("indices", oshape, index_dtype)
    kt = (mb.input("k", (), k_dtype) if k_input
          else mb.constant("k", np.array(k, k_dtype), shape=()))
    mb.op("TOPK_V2", [x, kt], [v, i], "TopKV2Options", {})
    mb.output(v, i)
    return mb.build()


@pytest.mark.parametrize("dtype,quant", [
    (np.uint8, {"scale": 0.5, "zero_point": 128}), (np.int8, {"scale": 0.25, "zero_point": -3}),
    (np.int16, {"scale": 0.5, "zero_point": 0}), (np.int16, None)])
def test_quantized_and_int16_values(dtype, quant):
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, size=(3, 2, 13), endpoint=True).astype(dtype)
    x[:, :, ::3] = info.max  # ties at the extremes
    x[:, :, 1::4] = info.min
    for k in (1, 6, 13):
        ours = assert_same(_topk_model((3, 2, 13), dtype, k, quant=quant), [x])
        want_v, want_i = expected(x, k)
        np.testing.assert_array_equal(ours[0], want_v)
        np.testing.assert_array_equal(ours[1], want_i)


def test_int16_k_and_indices():
    x = tied((4, 9), np.float32, 7)
    ours = assert_same(_topk_model((4, 9), np.float32, 5, k_dtype=np.int16,
                                   index_dtype=np.int16), [x])
    assert ours[1].dtype == np.int16
    np.testing.assert_array_equal(ours[1], expected(x, 5)[1])


def test_k_zero_and_single_element():
    ours = assert_same(_topk_model((3, 4), np.float32, 0), [tied((3, 4), np.float32, 1)])
    assert ours[0].shape == (3, 0) and ours[1].shape == (3, 0)
    ours = assert_same(_topk_model((1,), np.int32, 1), [np.array([-9], np.int32)])
    assert ours[0].tolist() == [-9] and ours[1].tolist() == [0]
    ours = assert_same(_topk_model((0, 5), np.float32, 2), [np.zeros((0, 5), np.float32)])
    assert ours[0].shape == (0, 2)


def test_nan_ranks_below_every_number():
    rng = np.random.default_rng(11)
    for trial in range(6):
        n = int(rng.integers(2, 30))
        k = int(rng.integers(0, n + 1))
        x = tied((2, n), np.float32, trial)
        x[rng.random((2, n)) < 0.3] = np.nan
        ours = assert_same(_topk_model((2, n), np.float32, k), [x])
        want_v, want_i = expected(x, k)
        np.testing.assert_array_equal(ours[0], want_v)
        np.testing.assert_array_equal(ours[1], want_i)


def _expect_error(model, match):
    with pytest.raises((RuntimeError, ValueError), match=match):
        Interpreter(model_content=model).allocate_tensors()


def test_bad_models():
    # k larger than the last dimension (TensorFlow Lite refuses it too).
    model = _topk_model((2, 3), np.float32, 4)
    _expect_error(model, r"TOPK_V2.*k = 4 is out of range.*last dimension of 'x' \(3\)")
    with pytest.raises((RuntimeError, ValueError), match="higher than the internal"):
        run_theirs(model, [np.zeros((2, 3), np.float32)])
    _expect_error(_topk_model((2, 3), np.float32, -1, out_k=0), r"k = -1 is out of range")
    # k given at run time: output shape unknown at prepare.
    _expect_error(_topk_model((2, 3), np.float32, 2, k_input=True),
                  r"TOPK_V2.*k 'k' \(input 1\) must be a constant tensor: dynamic output "
                  r"shapes are not supported")
    _expect_error(_topk_model((2, 3), np.float32, 2, k_dtype=np.int64), r"expected INT32 or INT16")
    _expect_error(_topk_model((2, 3), np.float32, 2, index_dtype=np.int64),
                  r"indices output 'indices' has type INT64")
    _expect_error(_topk_model((2, 3), np.bool_, 2), r"input 'x' has type BOOL")
    _expect_error(_topk_model((2, 3), np.int8, 2, quant={"scale": 0.5, "zero_point": 1},
                              out_quant={"scale": 0.25, "zero_point": 1}),
                  r"must have the same quantization")
