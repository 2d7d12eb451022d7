"""CONV_2D on a sparse filter (Tensor.sparsity): a 1x1 window, stride 1, one group, float32,
runs directly on the stored weights. Checked against NumPy, against our dense kernel on the
densified filter, and against TensorFlow Lite running DENSIFY -> CONV_2D on the same encoding;
any other sparse filter must fail with a message pointing at DENSIFY."""
import numpy as np
import pytest

import sparse_encoding as se
from op_runner import (ACT_NONE, ACT_RELU, ACT_RELU6, ACT_RELU_N1_TO_1, ACT_TANH,
                       fused_activation, run_litert, run_tflite)
from sparse_encoding import DENSE, SPARSE_CSR
from tflite_builder import ModelBuilder

from litert import Interpreter

SAME, VALID = 0, 1
ORDER = [0, 1, 2, 3]
FORMATS = [DENSE, DENSE, DENSE, SPARSE_CSR]


def encode_filter(w):
    """A [out_c, 1, 1, in_c] filter with dims 0..2 DENSE and the input channels SPARSE_CSR:
    the rows-CSR encoding of the [out_c, in_c] matrix with two DENSE levels of size 1 in
    between (each (o, 0, 0) position has one segment, like row o)."""
    out_c, kh, kw, in_c = w.shape
    assert kh == kw == 1
    values, _, _, levels = se.encode_rows_csr(w.reshape(out_c, in_c))
    ones = [dict(format=DENSE, dense_size=1), dict(format=DENSE, dense_size=1)]
    return values, ORDER, [], levels[:1] + ones + levels[1:]


def random_filter(out_c, in_c, sparsity, rng, kh=1, kw=1):
    w = rng.standard_normal((out_c, kh, kw, in_c)).astype(np.float32)
    w[rng.random(w.shape) < sparsity] = 0
    return w


def conv_model(x_shape, w_shape, add_filter, bias=None, act=ACT_NONE, padding=SAME, stride=1,
               densify=False):
    """One CONV_2D (preceded by DENSIFY of the sparse filter when `densify`)."""
    n, h, wd, _ = x_shape
    out_c, kh, kw, _ = w_shape
    if padding == SAME:
        oh, ow = -(-h // stride), -(-wd // stride)
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    b = ModelBuilder()
    x = b.input("x", list(x_shape), np.float32)
    w = add_filter(b)
    if densify:
        wd_t = b.tensor("w_dense", list(w_shape), np.float32)
        b.op("DENSIFY", [w], [wd_t])
        w = wd_t
    bi = b.constant("bias", bias) if bias is not None else -1
    y = b.tensor("y", [n, oh, ow, out_c], np.float32)
    b.op("CONV_2D", [x, w, bi], [y], "Conv2DOptions",
         dict(padding=padding, stride_w=stride, stride_h=stride, fused_activation_function=act))
    b.output(y)
    return b.build()


def sparse_adder(w, encoding=None):
    values, order, bmap, levels = encoding if encoding is not None else encode_filter(w)
    return lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap, levels)


def reference(x, w, bias, act):
    """1x1 conv in float64: every pixel times the [out_c, in_c] matrix."""
    out_c, in_c = w.shape[0], w.shape[3]
    acc = x.astype(np.float64) @ w.reshape(out_c, in_c).T.astype(np.float64)
    if bias is not None:
        acc = acc + bias
    return fused_activation(acc, act)


def tolerance(x, w, bias):
    out_c, in_c = w.shape[0], w.shape[3]
    mag = np.abs(x) @ np.abs(w.reshape(out_c, in_c)).T
    return 1e-5 * (mag + (np.abs(bias) if bias is not None else 0) + 1)


def test_fast_filter_encoding_matches_generic_encoder():
    w = random_filter(6, 10, 0.6, np.random.default_rng(0))
    values, order, bmap, levels = encode_filter(w)
    ref_values, ref_levels = se.encode(w, ORDER, FORMATS)
    np.testing.assert_array_equal(values, ref_values)
    assert len(levels) == len(ref_levels)
    for lv, ref in zip(levels, ref_levels):
        assert lv["format"] == ref["format"]
        if lv["format"] == DENSE:
            assert lv["dense_size"] == ref["dense_size"]
        else:
            np.testing.assert_array_equal(lv["array_segments"], ref["array_segments"])
            np.testing.assert_array_equal(lv["array_indices"], ref["array_indices"])


# (batch, height, width, in_c, out_c): pixel counts that fill the kernel's tiles exactly,
# leave a remainder, or are below one tile.
SHAPES = [(1, 4, 6, 16, 12), (3, 3, 5, 33, 20), (2, 1, 1, 8, 3), (1, 7, 7, 64, 40)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 1.0])
def test_sparse_1x1_conv_matches_numpy_dense_and_tflite(shape, sparsity):
    n, h, wd, in_c, out_c = shape
    rng = np.random.default_rng(int(sparsity * 10) + 17 * in_c)
    w = random_filter(out_c, in_c, sparsity, rng)
    bias = rng.standard_normal(out_c).astype(np.float32)
    x = rng.standard_normal((n, h, wd, in_c)).astype(np.float32)
    sparse = conv_model(x.shape, w.shape, sparse_adder(w), bias, ACT_RELU)
    dense = conv_model(x.shape, w.shape, lambda b: b.constant("w", w), bias, ACT_RELU)
    ours = run_litert(sparse, [x])
    assert ours.shape == (n, h, wd, out_c)
    tol = tolerance(x, w, bias)
    assert np.all(np.abs(ours - reference(x, w, bias, ACT_RELU)) <= tol)
    assert np.all(np.abs(ours - run_litert(dense, [x])) <= tol)
    # TensorFlow Lite reads the same encoding through DENSIFY (its CONV_2D takes no sparse
    # filter), which checks that the encoding is one the format's reference accepts.
    via_densify = conv_model(x.shape, w.shape, sparse_adder(w), bias, ACT_RELU, densify=True)
    assert np.all(np.abs(ours - run_tflite(via_densify, [x])) <= tol)
    assert np.all(np.abs(ours - run_litert(via_densify, [x])) <= tol)


@pytest.mark.parametrize("act", [ACT_NONE, ACT_RELU6, ACT_RELU_N1_TO_1, ACT_TANH])
@pytest.mark.parametrize("padding", [SAME, VALID])
def test_sparse_1x1_conv_activations_padding_and_no_bias(act, padding):
    rng = np.random.default_rng(act * 2 + padding)
    w = random_filter(10, 24, 0.75, rng)
    x = (rng.standard_normal((2, 3, 4, 24)) * 2).astype(np.float32)
    for bias in (None, rng.standard_normal(10).astype(np.float32)):
        model = conv_model(x.shape, w.shape, sparse_adder(w), bias, act, padding)
        ours = run_litert(model, [x])
        tol = tolerance(x, w, bias)
        assert np.all(np.abs(ours - reference(x, w, bias, act)) <= tol)
        dense = conv_model(x.shape, w.shape, lambda b: b.constant("w", w), bias, act, padding)
        assert np.all(np.abs(ours - run_litert(dense, [x])) <= tol)


# Encodings other than the row-major CSR: 1x4 blocks along the input channels (read four
# weights per entry), input channels outermost (read value by value).
OTHER_ENCODINGS = [
    ([0, 1, 2, 3, 4], [DENSE, DENSE, DENSE, SPARSE_CSR, DENSE], [3], [4]),
    ([3, 0, 1, 2], [DENSE, SPARSE_CSR, DENSE, DENSE], [], []),
]


@pytest.mark.parametrize("enc", OTHER_ENCODINGS, ids=["1x4-blocks", "channels-outer"])
def test_sparse_1x1_conv_other_encodings(enc):
    order, formats, bmap, bsize = enc
    rng = np.random.default_rng(9)
    out_c, in_c = 12, 20
    mask = rng.random((out_c, 1, 1, in_c // 4)) < 0.6  # whole 1x4 blocks zero
    w = rng.standard_normal((out_c, 1, 1, in_c)).astype(np.float32)
    w[np.repeat(mask, 4, axis=3)] = 0
    values, levels = se.encode(w, order, formats, bmap, bsize)
    bias = rng.standard_normal(out_c).astype(np.float32)
    x = rng.standard_normal((2, 3, 5, in_c)).astype(np.float32)
    adder = sparse_adder(w, (values, order, bmap, levels))
    ours = run_litert(conv_model(x.shape, w.shape, adder, bias), [x])
    tol = tolerance(x, w, bias)
    assert np.all(np.abs(ours - reference(x, w, bias, ACT_NONE)) <= tol)
    via_densify = conv_model(x.shape, w.shape, adder, bias, densify=True)
    assert np.all(np.abs(ours - run_tflite(via_densify, [x])) <= tol)


def test_sparse_filter_inf_and_nan_propagate_like_dense():
    """Stored values are multiplied as stored, so inf/NaN weights and inputs give what the
    dense kernel gives on the densified filter."""
    rng = np.random.default_rng(4)
    w = random_filter(5, 9, 0.5, rng)
    w[0, 0, 0, np.flatnonzero(w[0, 0, 0])[0]] = np.inf
    w[1, 0, 0, np.flatnonzero(w[1, 0, 0])[0]] = np.nan
    x = rng.standard_normal((1, 2, 3, 9)).astype(np.float32)
    x[0, 1, 2, 3] = np.inf
    ours = run_litert(conv_model(x.shape, w.shape, sparse_adder(w)), [x])
    dense = run_litert(conv_model(x.shape, w.shape, lambda b: b.constant("w", w)), [x])
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(dense))
    finite = np.isfinite(dense)
    np.testing.assert_array_equal(ours[~finite & ~np.isnan(dense)],
                                  dense[~finite & ~np.isnan(dense)])
    np.testing.assert_allclose(ours[finite], dense[finite], rtol=1e-5, atol=1e-5)


def prepare_error(model):
    with pytest.raises(Exception) as info:
        Interpreter(model_content=model).allocate_tensors()
    return str(info.value)


def test_sparse_3x3_filter_is_rejected_with_densify_hint():
    rng = np.random.default_rng(3)
    w = random_filter(4, 6, 0.5, rng, kh=3, kw=3)
    values, levels = se.encode(w, ORDER, FORMATS)
    adder = sparse_adder(w, (values, ORDER, [], levels))
    err = prepare_error(conv_model((1, 5, 5, 6), w.shape, adder))
    assert "CONV_2D" in err and "1x1" in err and "DENSIFY" in err and "[4, 3, 3, 6]" in err, err
    # The same encoding through DENSIFY is accepted, and matches TensorFlow Lite.
    x = rng.standard_normal((1, 5, 5, 6)).astype(np.float32)
    bias = rng.standard_normal(4).astype(np.float32)  # TensorFlow Lite's CONV_2D needs one
    via_densify = conv_model(x.shape, w.shape, adder, bias, densify=True)
    np.testing.assert_allclose(run_litert(via_densify, [x]), run_tflite(via_densify, [x]),
                               rtol=1e-5, atol=1e-5)


def test_sparse_1x1_filter_with_stride_or_groups_is_rejected():
    rng = np.random.default_rng(6)
    w = random_filter(4, 6, 0.5, rng)
    err = prepare_error(conv_model((1, 6, 6, 6), w.shape, sparse_adder(w), stride=2))
    assert "stride 2 x 2" in err and "DENSIFY" in err, err
    grouped = random_filter(4, 3, 0.5, rng)  # 6 input channels, filter 3: two groups
    err = prepare_error(conv_model((1, 4, 4, 6), grouped.shape, sparse_adder(grouped)))
    assert "2 group(s)" in err and "DENSIFY" in err, err


def test_sparse_int8_filter_is_rejected_with_densify_hint():
    rng = np.random.default_rng(8)
    w = (random_filter(4, 8, 0.5, rng) * 20).astype(np.int8)
    values, order, bmap, levels = encode_filter(w)
    quant = dict(scale=[0.1], zero_point=[0])
    model = conv_model((1, 3, 3, 8), w.shape,
                       lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap,
                                                        levels, quant=quant))
    err = prepare_error(model)
    assert "sparse filter 'w'" in err and "INT8" in err and "DENSIFY" in err, err


def test_depthwise_conv_does_not_read_sparse_filters():
    rng = np.random.default_rng(7)
    w = random_filter(1, 6, 0.5, rng)  # [1, 1, 1, 6]
    b = ModelBuilder()
    x = b.input("x", [1, 3, 3, 6], np.float32)
    wt = sparse_adder(w)(b)
    y = b.tensor("y", [1, 3, 3, 6], np.float32)
    b.op("DEPTHWISE_CONV_2D", [x, wt, -1], [y], "DepthwiseConv2DOptions",
         dict(padding=SAME, stride_w=1, stride_h=1, depth_multiplier=1))
    b.output(y)
    with pytest.raises(Exception, match="reads sparse tensor 1 'w'; only DENSIFY"):
        Interpreter(model_content=b.build())


# ---- SIMD levels: the sparse filter densified at prepare ----------------------------------
# At ISA levels with the SIMD float GEMM, a sparse filter that is not very sparse is expanded
# once at prepare and runs the dense path: the results must equal the dense model's at that
# level bit for bit (same arithmetic on the same values). These cases are all well inside the
# densify regime of conv.c's cost model (many pixels, at most 90 % sparsity). Very sparse
# filters keep the sparse kernel, checked within the tolerance.
DENSIFIED = [(1, 8, 8, 33, 17, 0.9), (2, 5, 7, 7, 3, 0.5), (3, 4, 4, 17, 33, 0.0),
             (1, 9, 9, 64, 40, 0.75)]


@pytest.mark.parametrize("case", DENSIFIED, ids=lambda c: "x".join(map(str, c)))
@pytest.mark.parametrize("act", [ACT_NONE, ACT_RELU6])
def test_sparse_1x1_conv_equals_dense_at_each_isa(case, act, simd_isa):
    n, h, wd, in_c, out_c, sparsity = case
    rng = np.random.default_rng(in_c * 7 + out_c)
    w = random_filter(out_c, in_c, sparsity, rng)
    bias = rng.standard_normal(out_c).astype(np.float32)
    x = rng.standard_normal((n, h, wd, in_c)).astype(np.float32)
    for padding in (SAME, VALID):
        sparse = conv_model(x.shape, w.shape, sparse_adder(w), bias, act, padding)
        dense = conv_model(x.shape, w.shape, lambda b: b.constant("w", w), bias, act, padding)
        want = run_litert(dense, [x], isa=simd_isa)
        for threads in (1, 2):
            np.testing.assert_array_equal(run_litert(sparse, [x], isa=simd_isa,
                                                     num_threads=threads), want)
        ours = run_litert(sparse, [x], isa="portable")
        assert np.all(np.abs(ours - reference(x, w, bias, act)) <= tolerance(x, w, bias))


@pytest.mark.parametrize("enc", OTHER_ENCODINGS, ids=["1x4-blocks", "channels-outer"])
def test_sparse_1x1_conv_other_encodings_equal_dense_at_each_isa(enc, simd_isa):
    order, formats, bmap, bsize = enc
    rng = np.random.default_rng(11)
    out_c, in_c = 12, 20
    mask = rng.random((out_c, 1, 1, in_c // 4)) < 0.5
    w = rng.standard_normal((out_c, 1, 1, in_c)).astype(np.float32)
    w[np.repeat(mask, 4, axis=3)] = 0
    values, levels = se.encode(w, order, formats, bmap, bsize)
    bias = rng.standard_normal(out_c).astype(np.float32)
    x = rng.standard_normal((2, 6, 5, in_c)).astype(np.float32)
    sparse = conv_model(x.shape, w.shape, sparse_adder(w, (values, order, bmap, levels)), bias)
    dense = conv_model(x.shape, w.shape, lambda b: b.constant("w", w), bias)
    np.testing.assert_array_equal(run_litert(sparse, [x], isa=simd_isa),
                                  run_litert(dense, [x], isa=simd_isa))


@pytest.mark.parametrize("sparsity", [0.98, 1.0])
def test_very_sparse_1x1_conv_at_each_isa(sparsity, simd_isa):
    """Very sparse: the sparse kernel may be kept; within the tolerance of the dense model,
    and the same for any thread count."""
    rng = np.random.default_rng(21)
    w = random_filter(40, 64, sparsity, rng)
    bias = rng.standard_normal(40).astype(np.float32)
    x = rng.standard_normal((1, 9, 9, 64)).astype(np.float32)
    sparse = conv_model(x.shape, w.shape, sparse_adder(w), bias, ACT_RELU)
    dense = conv_model(x.shape, w.shape, lambda b: b.constant("w", w), bias, ACT_RELU)
    ours = run_litert(sparse, [x], isa=simd_isa, num_threads=1)
    np.testing.assert_array_equal(run_litert(sparse, [x], isa=simd_isa, num_threads=2), ours)
    tol = tolerance(x, w, bias)
    assert np.all(np.abs(ours - run_litert(dense, [x], isa=simd_isa)) <= tol)
    assert np.all(np.abs(ours - run_litert(sparse, [x], isa="portable")) <= tol)
