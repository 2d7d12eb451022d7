"""int8 LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH and SOFTMAX against
TensorFlow Lite.

Every test feeds all 256 int8 values (or random rows covering the whole range for SOFTMAX)
under random per-tensor quantizations.

Agreement (see int8_compare):
  exact against TensorFlow Lite's default kernels and its reference kernels for every op and
  case here; against the XNNPACK delegate exact too, except LEAKY_RELU, where XNNPACK's own
  arithmetic differs by at most 1 (asserted).
"""
import numpy as np
import pytest

from int8_compare import compare, full_range_int8, random_quant, unary_model
from litert import Interpreter

ALL_VALUES = np.arange(-128, 128, dtype=np.int8).reshape(2, 8, 16)
LOGISTIC_OUT = dict(scale=[1 / 256], zero_point=[-128])
TANH_OUT = dict(scale=[1 / 128], zero_point=[0])


def check_all_values(op, in_q, out_q, options_table=None, options=None, default_max=0):
    model = unary_model(op, ALL_VALUES.shape, in_q, out_q, options_table, options)
    ours, stats = compare(model, [ALL_VALUES])
    assert stats["builtin"] == (0, 1.0), stats
    assert stats["ref"] == (0, 1.0), stats
    assert stats["default"][0] <= default_max, stats
    return ours


@pytest.mark.parametrize("seed", range(6))
def test_logistic_tanh(seed):
    rng = np.random.default_rng(seed)
    in_q = random_quant(rng, 1e-3, 0.2)
    out = check_all_values("LOGISTIC", in_q, LOGISTIC_OUT)
    real = 1 / (1 + np.exp(-in_q["scale"][0] * (ALL_VALUES.astype(np.float64)
                                                 - in_q["zero_point"][0])))
    assert np.abs(out - np.clip(np.round(real * 256) - 128, -128, 127)).max() <= 1
    check_all_values("TANH", in_q, TANH_OUT)


def test_logistic_rejects_other_output_quantization():
    model = unary_model("LOGISTIC", (4,), dict(scale=[0.1], zero_point=[0]),
                        dict(scale=[0.1], zero_point=[0]))
    with pytest.raises(Exception, match="1/256"):
        Interpreter(model_content=model).allocate_tensors()


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
@pytest.mark.parametrize("seed", range(5))
def test_relus(op, seed):
    rng = np.random.default_rng(seed)
    in_q, out_q = random_quant(rng), random_quant(rng)
    out = check_all_values(op, in_q, out_q)
    lo, hi = {"RELU": (0, np.inf), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}[op]
    real = np.clip(in_q["scale"][0] * (ALL_VALUES.astype(np.float64) - in_q["zero_point"][0]),
                   lo, hi)
    expect = np.clip(np.round(real / out_q["scale"][0]) + out_q["zero_point"][0], -128, 127)
    assert np.abs(out - expect).max() <= 1


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.3, 1.7])
@pytest.mark.parametrize("seed", range(3))
def test_leaky_relu(alpha, seed):
    rng = np.random.default_rng(seed)
    check_all_values("LEAKY_RELU", random_quant(rng), random_quant(rng), "LeakyReluOptions",
                     dict(alpha=alpha), default_max=1)


@pytest.mark.parametrize("seed", range(8))
def test_hard_swish(seed):
    rng = np.random.default_rng(seed)
    in_q = random_quant(rng, 0.005, 0.1)
    out_q = random_quant(rng, 0.005, 0.1)
    out = check_all_values("HARD_SWISH", in_q, out_q)
    x = in_q["scale"][0] * (ALL_VALUES.astype(np.float64) - in_q["zero_point"][0])
    real = x * np.clip(x + 3, 0, 6) / 6
    expect = np.clip(np.round(real / out_q["scale"][0]) + out_q["zero_point"][0], -128, 127)
    assert np.abs(out - expect).max() <= 2  # 16-bit fixed point: close, not exact


@pytest.mark.parametrize("shape,beta", [((4, 10), 1.0), ((2, 1001), 1.0), ((3, 5, 16), 0.5),
                                        ((2, 7), 2.0), ((1, 1), 1.0), ((6,), 0.7)])
def test_softmax(shape, beta):
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    for _ in range(4):
        in_q = random_quant(rng, 0.01, 0.5)
        x = full_range_int8(rng, shape)
        model = unary_model("SOFTMAX", shape, in_q, LOGISTIC_OUT, "SoftmaxOptions",
                            dict(beta=beta))
        ours, stats = compare(model, [x])
        assert all(s == (0, 1.0) for s in stats.values()), stats
        z = beta * in_q["scale"][0] * x.astype(np.float64)
        p = np.exp(z - z.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        assert np.abs(ours - np.clip(np.round(p * 256) - 128, -128, 127)).max() <= 1


def test_softmax_rejects_other_output_quantization():
    model = unary_model("SOFTMAX", (2, 4), dict(scale=[0.1], zero_point=[0]),
                        dict(scale=[1 / 256], zero_point=[0]), "SoftmaxOptions", dict(beta=1.0))
    with pytest.raises(Exception, match="zero point -128"):
        Interpreter(model_content=model).allocate_tensors()
