"""int8 ELU, GELU, PRELU, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR and SUM against TensorFlow
Lite (see int8_compare for the three ways it is run: ref, builtin, default).

Agreement measured and asserted here:
  ELU, GELU (exact and tanh)  lookup tables built like TensorFlow Lite's: exact against every
      resolver (ELU has no reference-resolver kernel; compared with builtin and default).
  PRELU  exact against all three.
  RESIZE_BILINEAR  exact against ref and builtin (TensorFlow Lite's 10-bit fixed point); the
      XNNPACK delegate ("default") has its own arithmetic and differs by at most 1.
  RESIZE_NEAREST_NEIGHBOR  exact against all three (a copy).
  SUM  exact against builtin and default (TensorFlow Lite's float rescaling). Its reference
      resolver's int8 SUM returns values that are not the sum (they wrap around), so it is not
      compared.
Each test also checks the result against the real-valued function in NumPy (within 1 step).
"""
import zlib

import numpy as np
import pytest

from int8_compare import compare, full_range_int8, random_quant, unary_model
from litert import Interpreter
from test_kernels_int8_pool_reduce import reduce_model
from tflite_builder import ModelBuilder

ALL_VALUES = np.arange(-128, 128, dtype=np.int8).reshape(2, 8, 16)


def seeded(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def dequantize(q, x):
    return q["scale"][0] * (x.astype(np.float64) - q["zero_point"][0])


def quantize(q, real):
    return np.clip(np.round(real / q["scale"][0]) + q["zero_point"][0], -128, 127)


def within_one(ours, expect):
    assert np.abs(ours.astype(np.int64) - expect).max() <= 1


# ---- ELU and GELU ------------------------------------------------------------------------

def gelu_exact(x):
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


SMOOTH = {
    "elu": ("ELU", None, None, lambda x: np.where(x < 0, np.expm1(np.minimum(x, 0)), x)),
    "gelu": ("GELU", "GeluOptions", dict(approximate=False), gelu_exact),
    "gelu_tanh": ("GELU", "GeluOptions", dict(approximate=True), gelu_tanh),
}


@pytest.mark.parametrize("name", sorted(SMOOTH))
@pytest.mark.parametrize("seed", range(6))
def test_elu_gelu(name, seed):
    op, table, options, real_fn = SMOOTH[name]
    rng = seeded(name, seed)
    in_q = random_quant(rng, 0.005, 0.1)
    out_q = random_quant(rng, 0.005, 0.1)
    # ELU is not in TensorFlow Lite's reference resolver.
    which = ("builtin", "default") if op == "ELU" else ("ref", "builtin", "default")
    ours, stats = compare(unary_model(op, ALL_VALUES.shape, in_q, out_q, table, options),
                          [ALL_VALUES], which=which)
    assert all(v == (0, 1.0) for v in stats.values()), (in_q, out_q, stats)
    within_one(ours, quantize(out_q, real_fn(dequantize(in_q, ALL_VALUES))))


def test_elu_saturates():
    # Outputs far outside the int8 range clamp to its ends.
    in_q = dict(scale=[1.0], zero_point=[0])
    out_q = dict(scale=[0.01], zero_point=[0])
    ours, stats = compare(unary_model("ELU", ALL_VALUES.shape, in_q, out_q), [ALL_VALUES],
                          which=("builtin",))
    assert stats["builtin"] == (0, 1.0)
    flat = ours.ravel()
    assert flat[0] == -100 and flat[-1] == 127  # e^-128 - 1 = -1 -> -100; 127 / 0.01 clamps


# ---- PRELU -------------------------------------------------------------------------------

def prelu_model(x_shape, a_shape, x_q, a_q, out_q, alpha=None):
    """PRELU with alpha either constant (`alpha` given) or a second graph input."""
    b = ModelBuilder()
    x = b.input("x", x_shape, np.int8, quant=x_q)
    if alpha is None:
        a = b.input("alpha", a_shape, np.int8, quant=a_q)
    else:
        a = b.constant("alpha", alpha, quant=a_q)
    y = b.tensor("y", x_shape, np.int8, quant=out_q)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    return b.build()


PRELU_SHAPES = [((1, 4, 5, 3), (3,)), ((2, 3, 4, 6), (1, 1, 6)), ((3, 17), (3, 17)),
                ((2, 3, 4, 5), (1, 3, 1, 5)), ((1, 6, 6, 8), (1,))]


@pytest.mark.parametrize("shapes", PRELU_SHAPES)
@pytest.mark.parametrize("const_alpha", [True, False])
def test_prelu(shapes, const_alpha):
    x_shape, a_shape = shapes
    rng = seeded(shapes, const_alpha)
    for _ in range(4):
        x_q, out_q = random_quant(rng), random_quant(rng)
        a_q = random_quant(rng, 1e-3, 0.05)
        x, alpha = full_range_int8(rng, x_shape), full_range_int8(rng, a_shape)
        model = prelu_model(x_shape, a_shape, x_q, a_q, out_q, alpha if const_alpha else None)
        ours, stats = compare(model, [x] if const_alpha else [x, alpha])
        assert all(v == (0, 1.0) for v in stats.values()), (x_q, a_q, out_q, stats)
        rx, ra = dequantize(x_q, x), dequantize(a_q, alpha)
        within_one(ours, quantize(out_q, np.where(rx >= 0, rx, rx * ra)))


def test_prelu_rejects_mixed_types():
    b = ModelBuilder()
    q = dict(scale=[0.1], zero_point=[0])
    x = b.input("x", (2, 3), np.int8, quant=q)
    a = b.constant("alpha", np.full(3, 0.2, np.float32))
    y = b.tensor("y", (2, 3), np.int8, quant=q)
    b.op("PRELU", [x, a], [y])
    b.output(y)
    with pytest.raises(Exception, match="alpha"):
        Interpreter(model_content=b.build()).allocate_tensors()


# ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR -------------------------------------------

def resize_model(op, shape, size, q, align, half, out_q=None):
    b = ModelBuilder()
    x = b.input("x", shape, np.int8, quant=q)
    s = b.constant("size", np.array(size, np.int32))
    y = b.tensor("y", (shape[0], size[0], size[1], shape[3]), np.int8, quant=out_q or q)
    table = ("ResizeBilinearOptions" if op == "RESIZE_BILINEAR"
             else "ResizeNearestNeighborOptions")
    b.op(op, [x, s], [y], table, dict(align_corners=align, half_pixel_centers=half))
    b.output(y)
    return b.build()


RESIZE_CASES = [((1, 4, 4, 3), (8, 8)), ((2, 5, 7, 4), (3, 11)), ((1, 3, 3, 8), (7, 5)),
                ((1, 6, 6, 2), (6, 6)), ((1, 1, 1, 3), (4, 4)), ((1, 10, 9, 3), (4, 3)),
                ((1, 2, 3, 16), (13, 17)), ((1, 5, 1, 2), (1, 9))]
MODES = [(False, False), (True, False), (False, True)]


def bilinear_real(x, size, align, half):
    """TensorFlow's bilinear resize of the raw values in float64 (the int8 kernel should be
    within 1 of its rounding)."""
    _, in_h, in_w, _ = x.shape

    def taps(n_in, n_out):
        scale = (n_in - 1) / (n_out - 1) if align and n_out > 1 else n_in / n_out
        src = (np.arange(n_out) + 0.5) * scale - 0.5 if half else np.arange(n_out) * scale
        lo = np.clip(np.floor(src), 0, n_in - 1).astype(int)
        hi = np.minimum(np.ceil(src), n_in - 1).astype(int)
        return lo, hi, src - lo

    ylo, yhi, fy = taps(in_h, size[0])
    xlo, xhi, fx = taps(in_w, size[1])
    v = x.astype(np.float64)
    fy, fx = fy[None, :, None, None], fx[None, None, :, None]
    top = v[:, ylo][:, :, xlo] * (1 - fx) + v[:, ylo][:, :, xhi] * fx
    bottom = v[:, yhi][:, :, xlo] * (1 - fx) + v[:, yhi][:, :, xhi] * fx
    return top * (1 - fy) + bottom * fy


@pytest.mark.parametrize("case", RESIZE_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_resize_bilinear(case, mode):
    shape, size = case
    rng = seeded("bilinear", case, mode)
    q = random_quant(rng)
    x = full_range_int8(rng, shape)
    ours, stats = compare(resize_model("RESIZE_BILINEAR", shape, size, q, *mode), [x])
    assert stats["ref"] == (0, 1.0) and stats["builtin"] == (0, 1.0), stats
    assert stats["default"][0] <= 1, stats
    within_one(ours, np.clip(np.round(bilinear_real(x, size, *mode)), -128, 127))


@pytest.mark.parametrize("case", RESIZE_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_resize_nearest_neighbor(case, mode):
    shape, size = case
    rng = seeded("nearest", case, mode)
    q = random_quant(rng)
    x = full_range_int8(rng, shape)
    ours, stats = compare(resize_model("RESIZE_NEAREST_NEIGHBOR", shape, size, q, *mode), [x])
    assert all(v == (0, 1.0) for v in stats.values()), stats
    assert np.isin(ours, x).all()  # a copy: every output value comes from the input


def test_resize_bilinear_rejects_requantization():
    model = resize_model("RESIZE_BILINEAR", (1, 2, 2, 1), (4, 4),
                         dict(scale=[0.1], zero_point=[0]), False, False,
                         out_q=dict(scale=[0.2], zero_point=[0]))
    with pytest.raises(Exception, match="differ from the output"):
        Interpreter(model_content=model).allocate_tensors()


# ---- SUM ---------------------------------------------------------------------------------

SUM_CASES = [((1, 7, 7, 32), [1, 2], True), ((2, 5, 6, 8), [2, 1], True), ((3, 4, 5), [1], False),
             ((3, 4, 5), [0, 2], True), ((2, 3, 4, 5), [-1], False), ((2, 300, 4), [1], True),
             ((4, 5), [], False), ((2, 3, 4, 5), [0, 1, 2, 3], False),
             ((1, 1, 1, 9), [1, 2], True)]


@pytest.mark.parametrize("shape,axes,keep", SUM_CASES)
def test_sum(shape, axes, keep):
    rng = seeded("sum", shape, axes, keep)
    count = int(np.prod([shape[a] for a in axes])) if axes else 1
    for i in range(5):
        in_q = random_quant(rng)
        if i == 0:  # equal quantizations (a separate path in TensorFlow Lite)
            out_q = in_q
        elif i == 4:
            out_q = random_quant(rng)
        else:  # an output scale for which the sums span about the int8 range
            out_q = dict(scale=[np.float32(in_q["scale"][0] * rng.uniform(1, 3) *
                                           np.sqrt(count) * 2)],
                         zero_point=[int(rng.integers(-30, 30))])
        x = full_range_int8(rng, shape)
        ours, stats = compare(reduce_model("SUM", shape, axes, keep, in_q, out_q), [x],
                              which=("builtin", "default"))
        assert all(v == (0, 1.0) for v in stats.values()), (in_q, out_q, stats)
        real = dequantize(in_q, x)
        total = real.sum(axis=tuple(axes), keepdims=keep) if axes else real
        within_one(ours, quantize(out_q, total))
