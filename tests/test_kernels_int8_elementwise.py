"""int8 ADD, SUB, MUL, MAXIMUM, MINIMUM and CONCATENATION against TensorFlow Lite.

Random per-tensor quantizations (scales log-uniform in [1e-3, 0.5], any zero point), inputs
covering the whole int8 range (both ends included), broadcasting and fused activations.

Agreement (see int8_compare for the three ways TensorFlow Lite is run):
  ADD, SUB, MUL  exact against TensorFlow Lite's reference kernels for every case here; exact
      against its default kernels whenever the real result stays within 2^15 output steps.
      Beyond that (an output scale far below the inputs', every such value saturates) the
      default kernels' 16-bit paths wrap around (e.g. -128 where the true value is far above
      127); litert saturates like the reference kernels. The XNNPACK delegate may differ by 1
      on MUL.
  MAXIMUM, MINIMUM, CONCATENATION  compare / copy raw values: exact everywhere.
"""
import zlib

import numpy as np
import pytest

from int8_compare import (binary_model, compare, full_range_int8, random_quant, run_litert,
                          run_tflite)
from litert import Interpreter
from tflite_builder import ModelBuilder

SHAPES = [((2, 3, 4, 5), (2, 3, 4, 5)), ((2, 3, 4, 5), (5,)), ((1,), (2, 3, 4, 5)),
          ((3, 1, 5), (1, 4, 1)), ((4, 6), (4, 6))]
OPS = [("ADD", "AddOptions"), ("SUB", "SubOptions"), ("MUL", "MulOptions")]


def dequant(x, q):
    return q["scale"][0] * (x.astype(np.float64) - q["zero_point"][0])


def real_result(op, a, b, aq, bq):
    fa, fb = dequant(a, aq), dequant(b, bq)
    return {"ADD": fa + fb, "SUB": fa - fb, "MUL": fa * fb}[op]


@pytest.mark.parametrize("op,table", OPS)
@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("act", [0, 1, 3])
def test_add_sub_mul(op, table, shapes, act):
    rng = np.random.default_rng(zlib.crc32(repr((op, shapes, act)).encode()))
    out_shape = np.broadcast_shapes(*shapes)
    for _ in range(4):
        aq, bq = random_quant(rng), random_quant(rng)
        a, b = full_range_int8(rng, shapes[0]), full_range_int8(rng, shapes[1])
        # An output scale for which the results span about the int8 range, and a random one.
        span = np.abs(real_result(op, a, b, aq, bq)).max()
        for oq in (dict(scale=[np.float32(max(span, 1e-3) / 127)],
                        zero_point=[int(rng.integers(-20, 21))]), random_quant(rng, 1e-3, 1.0)):
            model = binary_model(op, shapes[0], shapes[1], out_shape, aq, bq, oq, table,
                                 dict(fused_activation_function=act))
            ours, stats = compare(model, [a, b], which=("ref", "builtin"))
            assert stats["ref"] == (0, 1.0), (op, aq, bq, oq, stats)
            if span / oq["scale"][0] < 2**15:
                assert stats["builtin"] == (0, 1.0), (op, aq, bq, oq, stats)
            # And close to the real arithmetic: within 1 step of the rounded real result.
            lo, hi = {0: (-128, 127), 1: (oq["zero_point"][0], 127), 3: (None, None)}[act]
            if act != 3:
                expect = np.clip(np.round(real_result(op, a, b, aq, bq) / oq["scale"][0])
                                 + oq["zero_point"][0], lo, hi)
                assert np.abs(ours.astype(np.int64) - expect).max() <= 1


def test_mul_xnnpack_within_one():
    rng = np.random.default_rng(7)
    aq, bq, oq = random_quant(rng), random_quant(rng), dict(scale=[0.05], zero_point=[3])
    a, b = full_range_int8(rng, (3, 17)), full_range_int8(rng, (3, 17))
    model = binary_model("MUL", (3, 17), (3, 17), (3, 17), aq, bq, oq, "MulOptions",
                         dict(fused_activation_function=0))
    _, stats = compare(model, [a, b], which=("default",))
    assert stats["default"][0] <= 1


def test_add_rejects_tiny_output_scale():
    # 2 * max input scale / (2^20 * output scale) >= 1 cannot be represented below 1.
    q = dict(scale=[1.0], zero_point=[0])
    model = binary_model("ADD", (4,), (4,), (4,), q, q, dict(scale=[1e-7], zero_point=[0]),
                         "AddOptions", dict(fused_activation_function=0))
    with pytest.raises(Exception, match="below 1"):
        Interpreter(model_content=model).allocate_tensors()


def test_int8_requires_quantization():
    b = ModelBuilder()
    x = b.input("a", (3,), np.int8)
    y = b.input("b", (3,), np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    z = b.tensor("out", (3,), np.int8, quant=dict(scale=[0.1], zero_point=[0]))
    b.op("ADD", [x, y], [z], "AddOptions", dict(fused_activation_function=0))
    b.output(z)
    with pytest.raises(Exception, match="no quantization parameters"):
        Interpreter(model_content=b.build()).allocate_tensors()


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
@pytest.mark.parametrize("shapes", SHAPES[:4])
def test_maximum_minimum(op, shapes):
    rng = np.random.default_rng(3)
    q = random_quant(rng)
    a, b = full_range_int8(rng, shapes[0]), full_range_int8(rng, shapes[1])
    out_shape = np.broadcast_shapes(*shapes)
    model = binary_model(op, shapes[0], shapes[1], out_shape, q, q, q)
    ours, stats = compare(model, [a, b])
    assert all(s == (0, 1.0) for s in stats.values()), stats
    np.testing.assert_array_equal(ours, (np.maximum if op == "MAXIMUM" else np.minimum)(a, b))


def test_maximum_rejects_mixed_quantization():
    q1, q2 = dict(scale=[0.1], zero_point=[0]), dict(scale=[0.2], zero_point=[0])
    model = binary_model("MAXIMUM", (3,), (3,), (3,), q1, q2, q1)
    with pytest.raises(Exception, match="share one quantization"):
        Interpreter(model_content=model).allocate_tensors()


def concat_model(shapes, axis, quants, out_q):
    b = ModelBuilder()
    ins = [b.input(f"x{i}", s, np.int8, quant=q) for i, (s, q) in enumerate(zip(shapes, quants))]
    out_shape = list(shapes[0])
    out_shape[axis] = sum(s[axis] for s in shapes)
    y = b.tensor("y", out_shape, np.int8, quant=out_q)
    b.op("CONCATENATION", ins, [y], "ConcatenationOptions", dict(axis=axis))
    b.output(y)
    return b.build()


def test_concatenation_same_quantization():
    rng = np.random.default_rng(4)
    q = random_quant(rng)
    shapes = [(1, 4, 4, 3), (1, 4, 4, 5), (1, 4, 4, 1)]
    xs = [full_range_int8(rng, s) for s in shapes]
    model = concat_model(shapes, 3, [q] * 3, q)
    ours, stats = compare(model, xs)
    assert all(s == (0, 1.0) for s in stats.values()), stats
    np.testing.assert_array_equal(ours, np.concatenate(xs, axis=3))


def test_concatenation_rejects_differing_quantization_like_tflite():
    # TensorFlow Lite's int8 CONCATENATION requires every input to carry the output's
    # quantization (its prepare fails otherwise); litert does the same.
    q1, q2 = dict(scale=[0.1], zero_point=[1]), dict(scale=[0.2], zero_point=[1])
    model = concat_model([(2, 3), (2, 4)], 1, [q1, q2], q1)
    xs = [np.zeros((2, 3), np.int8), np.zeros((2, 4), np.int8)]
    with pytest.raises(Exception):
        run_tflite(model, xs, "builtin")
    with pytest.raises(Exception, match="different quantization"):
        run_litert(model, xs)


@pytest.mark.parametrize("zero_point", [-128, -5, 0, 77, 127])
def test_pad_fills_with_output_zero_point(zero_point):
    # PAD without constant_values pads int8 with the zero point (the encoding of 0.0).
    rng = np.random.default_rng(zero_point + 128)
    q = dict(scale=[0.05], zero_point=[zero_point])
    x = full_range_int8(rng, (1, 3, 4, 2))
    pads = np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32)
    b = ModelBuilder()
    xi = b.input("x", x.shape, np.int8, quant=q)
    p = b.constant("paddings", pads)
    y = b.tensor("y", (1, 6, 7, 2), np.int8, quant=q)
    b.op("PAD", [xi, p], [y], "PadOptions", {})
    b.output(y)
    ours, stats = compare(b.build(), [x])
    assert all(s == (0, 1.0) for s in stats.values()), stats
    np.testing.assert_array_equal(ours, np.pad(x, pads, constant_values=zero_point))
