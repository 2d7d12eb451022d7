"""int8 AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, REDUCE_MAX and REDUCE_MIN against TensorFlow Lite.

Agreement (see int8_compare):
  pools, REDUCE_MAX / REDUCE_MIN  exact against all three ways of running TensorFlow Lite.
  MEAN  exact against TensorFlow Lite's reference kernels (its integer QuantizedMeanOrSum for
      every axis set). Its optimized kernels have a separate global-average-pooling form (4-D,
      keep_dims, axes {1, 2}) that rounds some ties the other way, and the XNNPACK delegate
      its own arithmetic: both may differ by at most 1 (asserted).
"""
import math

import numpy as np
import pytest

from int8_compare import compare, full_range_int8, random_quant
from litert import Interpreter
from tflite_builder import ModelBuilder

POOL_CASES = [((1, 7, 7, 16), (7, 7), (1, 1), 1, 0), ((2, 9, 11, 5), (3, 3), (2, 2), 0, 1),
              ((1, 10, 10, 3), (2, 3), (2, 1), 0, 3), ((1, 5, 5, 20), (5, 5), (5, 5), 1, 0),
              ((1, 13, 13, 8), (3, 3), (2, 2), 0, 0), ((1, 4, 6, 2), (4, 4), (3, 3), 0, 2)]


def pool_model(op, shape, k, s, pad, act, in_q, out_q):
    if pad == 0:
        oh, ow = math.ceil(shape[1] / s[0]), math.ceil(shape[2] / s[1])
    else:
        oh, ow = (shape[1] - k[0]) // s[0] + 1, (shape[2] - k[1]) // s[1] + 1
    b = ModelBuilder()
    x = b.input("x", shape, np.int8, quant=in_q)
    y = b.tensor("y", (shape[0], oh, ow, shape[3]), np.int8, quant=out_q)
    b.op(op, [x], [y], "Pool2DOptions",
         dict(padding=pad, stride_h=s[0], stride_w=s[1], filter_height=k[0],
              filter_width=k[1], fused_activation_function=act))
    b.output(y)
    return b.build()


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_pools(op, case):
    shape, k, s, pad, act = case
    rng = np.random.default_rng(shape[3] * 7 + k[0])
    for _ in range(3):
        q = random_quant(rng)
        x = full_range_int8(rng, shape)
        _, stats = compare(pool_model(op, shape, k, s, pad, act, q, q), [x])
        assert all(v == (0, 1.0) for v in stats.values()), stats


def test_average_pool_rounds_half_away_from_zero():
    # Windows of 2 cells: sums of odd values land on .5 exactly.
    q = dict(scale=[0.1], zero_point=[0])
    x = np.array([1, 2, -1, -2, 3, 4, -3, -4], np.int8).reshape(1, 1, 8, 1)
    from int8_compare import run_litert
    ours = run_litert(pool_model("AVERAGE_POOL_2D", (1, 1, 8, 1), (1, 2), (1, 2), 1, 0, q, q),
                      [x])
    np.testing.assert_array_equal(ours.ravel(), [2, -2, 4, -4])


def test_pool_rejects_requantization():
    model = pool_model("MAX_POOL_2D", (1, 4, 4, 1), (2, 2), (2, 2), 1, 0,
                       dict(scale=[0.1], zero_point=[0]), dict(scale=[0.2], zero_point=[0]))
    with pytest.raises(Exception, match="differ from the output"):
        Interpreter(model_content=model).allocate_tensors()


def reduce_model(op, shape, axes, keep, in_q, out_q):
    out_shape = (np.mean(np.zeros(shape), axis=tuple(axes), keepdims=keep).shape
                 if axes else shape)
    b = ModelBuilder()
    x = b.input("x", shape, np.int8, quant=in_q)
    ax = b.constant("axes", np.array(axes, np.int32), shape=[len(axes)])
    y = b.tensor("y", out_shape, np.int8, quant=out_q)
    b.op(op, [x, ax], [y], "ReducerOptions", dict(keep_dims=keep))
    b.output(y)
    return b.build()


MEAN_CASES = [((1, 7, 7, 32), [1, 2], True), ((2, 5, 6, 8), [2, 1], True),
              ((1, 3, 3, 64), [1, 2], True), ((1, 2, 2, 21), [-3, -2], True),
              ((1, 7, 7, 32), [1, 2], False), ((3, 4, 5), [1], False), ((3, 4, 5), [0, 2], True),
              ((2, 3, 4, 5), [-1], False), ((1, 1, 1, 9), [1, 2], True),
              ((2, 300, 4), [1], True), ((4, 5), [], False), ((2, 3, 4, 5), [0, 1, 2, 3], False)]


@pytest.mark.parametrize("shape,axes,keep", MEAN_CASES)
def test_mean(shape, axes, keep):
    rng = np.random.default_rng(sum(shape) + len(axes))
    for _ in range(6):
        in_q, out_q = random_quant(rng), random_quant(rng)
        x = full_range_int8(rng, shape)
        ours, stats = compare(reduce_model("MEAN", shape, axes, keep, in_q, out_q), [x])
        assert stats["ref"] == (0, 1.0), (in_q, out_q, stats)
        assert stats["builtin"][0] <= 1 and stats["default"][0] <= 1, stats
        # Within 1 of the rounded real mean.
        real = in_q["scale"][0] * (x.astype(np.float64) - in_q["zero_point"][0])
        mean = real.mean(axis=tuple(axes), keepdims=keep) if axes else real
        expect = np.clip(np.round(mean / out_q["scale"][0]) + out_q["zero_point"][0], -128, 127)
        assert np.abs(ours - expect).max() <= 1


@pytest.mark.parametrize("op", ["REDUCE_MAX", "REDUCE_MIN"])
@pytest.mark.parametrize("shape,axes,keep", MEAN_CASES[:8])
def test_reduce_max_min(op, shape, axes, keep):
    rng = np.random.default_rng(5)
    q = random_quant(rng)
    x = full_range_int8(rng, shape)
    ours, stats = compare(reduce_model(op, shape, axes, keep, q, q), [x])
    assert all(v == (0, 1.0) for v in stats.values()), stats
    f = np.max if op == "REDUCE_MAX" else np.min
    np.testing.assert_array_equal(ours, f(x, axis=tuple(axes), keepdims=keep))
