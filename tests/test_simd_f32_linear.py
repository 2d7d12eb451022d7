"""SIMD float32 CONV_2D, FULLY_CONNECTED and BATCH_MATMUL (the packed-weight GEMM of
native/src/kernels/gemm_f32.h) against the portable kernels.

Each case builds a one-op model and runs it at every SIMD level this CPU has (`simd_isa`) and
at isa="portable" (the reference kernels, themselves checked against NumPy and TensorFlow
Lite in test_kernels_conv.py / test_kernels_matmul.py), on one and two threads.

Agreement:
  float32: the SIMD kernels compute each output as one fused multiply-add chain from the
    bias in k order, the portable ones as eight partial sums with the bias added last, so
    the two differ by rounding only. Asserted per output:
        |simd - portable| <= 2 * ((K + 4) * 2^-23 * mag + 2^-22 * |portable|)
    where K is the accumulation length (kh * kw * in_c, the FC depth, the BATCH_MATMUL inner
    dimension) and mag the same linear op on |input|, |weights| and |bias| in float64: twice
    the standard bound on a float32 sum of K products (each side is within one bound of the
    exact value). Two more terms of K cover the bias, and TANH (a 1-Lipschitz function of
    the pre-activation, applied by the same portable code on both sides).
  Non-finite values: NaN and infinities in the input come out where the portable kernel
    puts them (same positions, same infinities); a filter holding inf makes the padded
    im2col path fall back to the portable kernel, so its result is bit-identical.
  Threads: the output with num_threads=2 equals the one with num_threads=1 bit for bit
    (pixels and units are cut mid-tile and mid-panel by two threads; BATCH_MATMUL shares out
    whole matrices).
"""
import zlib

import numpy as np
import pytest

from op_runner import run_litert
from tflite_builder import ModelBuilder

SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4


def seeded(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def run_levels(model, inputs, isa):
    """(portable output, SIMD output on 1 thread); asserts the SIMD output on 2 threads is
    bit-identical to the 1-thread one."""
    ref = run_litert(model, inputs, isa="portable", num_threads=1)
    one = run_litert(model, inputs, isa=isa, num_threads=1)
    two = run_litert(model, inputs, isa=isa, num_threads=2)
    np.testing.assert_array_equal(one.view(np.uint32), two.view(np.uint32))
    return ref, one


def activation(y, act):
    if act == RELU:
        return np.maximum(y, 0)
    if act == RELU6:
        return np.clip(y, 0, 6)
    if act == RELU_N1_TO_1:
        return np.clip(y, -1, 1)
    if act == TANH:
        return np.tanh(y)
    return y


def assert_close(got, ref, mag, k):
    """The bound of the module docstring; non-finite outputs must match exactly."""
    assert got.dtype == np.float32 and got.shape == ref.shape, (got.shape, ref.shape)
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])
    r = ref.astype(np.float64)[finite]
    tol = 2.0 * ((k + 4) * 2.0 ** -23 * mag[finite] + 2.0 ** -22 * np.abs(r))
    err = np.abs(got.astype(np.float64)[finite] - r)
    if err.size and not np.all(err <= tol):
        i = int(np.argmax(err - tol))
        raise AssertionError(f"{int((err > tol).sum())} of {err.size} outside the bound; worst: "
                             f"got {got[finite][i]!r}, portable {r[i]!r}, tol {tol[i]!r}")


# ---- CONV_2D ---------------------------------------------------------------------------------

def conv_out(size, k, stride, dilation, padding):
    extent = (k - 1) * dilation + 1
    out = -(-size // stride) if padding == SAME else (size - extent) // stride + 1
    total = max((out - 1) * stride + extent - size, 0)
    return out, total // 2


def conv_mag(x, w, b, stride, dilation, padding):
    """The convolution of |x| and |w| plus |b| in float64 (NHWC, filter [O, KH, KW, C])."""
    x, w = np.abs(x.astype(np.float64)), np.abs(w.astype(np.float64))
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    oh, pt = conv_out(h, kh, stride[0], dilation[0], padding)
    ow, pl = conv_out(wd, kw, stride[1], dilation[1], padding)
    extent_h, extent_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    xp = np.zeros((n, max(h + pt, (oh - 1) * stride[0] + extent_h),
                   max(wd + pl, (ow - 1) * stride[1] + extent_w), c))
    xp[:, pt:pt + h, pl:pl + wd] = x
    y = np.zeros((n, oh, ow, o))
    for ky in range(kh):
        for kx in range(kw):
            y0, x0 = ky * dilation[0], kx * dilation[1]
            patch = xp[:, y0:y0 + (oh - 1) * stride[0] + 1:stride[0],
                       x0:x0 + (ow - 1) * stride[1] + 1:stride[1], :]
            y += patch @ w[:, ky, kx, :].T
    if b is not None:
        y += np.abs(b.astype(np.float64))
    return y


def conv_model(x_shape, w, b, out_shape, stride, dilation, padding, act):
    mb = ModelBuilder()
    x = mb.input("x", x_shape, np.float32)
    inputs = [x, mb.constant("w", w), mb.constant("b", b) if b is not None else -1]
    y = mb.tensor("y", out_shape, np.float32)
    mb.op("CONV_2D", inputs, [y], "Conv2DOptions",
          dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
               dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
               fused_activation_function=act))
    mb.output(y)
    return mb.build()


def check_conv(isa, n, h, wd, c, o, kh, kw, stride=(1, 1), dilation=(1, 1), padding=SAME,
               act=NONE, bias=True, x=None, w=None):
    rng = seeded(n, h, wd, c, o, kh, kw, stride, dilation, padding, act, bias)
    if x is None:
        x = rng.standard_normal((n, h, wd, c)).astype(np.float32)
    if w is None:
        w = rng.standard_normal((o, kh, kw, c)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if bias else None
    oh, _ = conv_out(h, kh, stride[0], dilation[0], padding)
    ow, _ = conv_out(wd, kw, stride[1], dilation[1], padding)
    model = conv_model(x.shape, w, b, (n, oh, ow, o), stride, dilation, padding, act)
    ref, got = run_levels(model, [x], isa)
    mag = conv_mag(np.nan_to_num(x), np.nan_to_num(w), b, stride, dilation, padding)
    assert_close(got, ref, mag, kh * kw * c)
    return ref, got


# (n, h, w, in_c, out_c, kh, kw, stride, dilation, padding, act, bias)
CONV_CASES = [
    # 1x1 stride 1: the input pixels are the GEMM rows
    (1, 5, 7, 1, 1, 1, 1, (1, 1), (1, 1), SAME, NONE, True),
    (1, 9, 9, 3, 17, 1, 1, (1, 1), (1, 1), VALID, RELU, True),
    (2, 6, 5, 17, 33, 1, 1, (1, 1), (1, 1), SAME, RELU6, False),
    (1, 7, 11, 64, 100, 1, 1, (1, 1), (1, 1), SAME, NONE, True),
    (1, 4, 4, 33, 7, 1, 1, (1, 1), (2, 2), SAME, TANH, True),
    (1, 13, 13, 100, 64, 1, 1, (1, 1), (1, 1), SAME, RELU_N1_TO_1, True),
    (1, 20, 20, 16, 24, 1, 1, (1, 1), (1, 1), SAME, NONE, True),     # half-width last panel
    (1, 3, 3, 7, 1000, 1, 1, (1, 1), (1, 1), SAME, RELU, True),      # many panels
    # 1x1 stride 2: im2col of single pixels
    (2, 9, 8, 7, 33, 1, 1, (2, 2), (1, 1), SAME, RELU, True),
    (1, 8, 9, 64, 17, 1, 1, (2, 1), (1, 1), VALID, NONE, False),
    # 3x3
    (1, 11, 11, 3, 32, 3, 3, (2, 2), (1, 1), SAME, RELU6, True),     # MobileNet's first layer
    (1, 12, 10, 3, 32, 3, 3, (2, 2), (1, 1), VALID, RELU6, True),
    (2, 7, 9, 17, 33, 3, 3, (1, 1), (1, 1), SAME, NONE, True),
    (1, 6, 6, 64, 64, 3, 3, (1, 1), (1, 1), SAME, RELU, False),
    (1, 9, 7, 7, 5, 3, 3, (1, 2), (1, 1), SAME, TANH, True),
    (1, 10, 10, 1, 7, 3, 3, (1, 1), (2, 2), SAME, NONE, True),       # dilation
    (1, 11, 9, 17, 3, 3, 3, (1, 1), (2, 3), VALID, RELU, True),
    (1, 5, 5, 33, 100, 3, 3, (2, 2), (1, 1), SAME, RELU6, True),
    (1, 2, 2, 3, 17, 3, 3, (1, 1), (3, 3), SAME, NONE, True),        # windows mostly padding
    # 5x5, 7x7
    (1, 9, 9, 7, 17, 5, 5, (1, 1), (1, 1), SAME, NONE, True),
    (2, 8, 11, 3, 33, 5, 5, (2, 2), (1, 1), VALID, RELU, False),
    (1, 15, 15, 3, 64, 7, 7, (2, 2), (1, 1), SAME, RELU, True),      # ResNet's first layer
    (1, 6, 7, 17, 7, 7, 7, (1, 1), (1, 1), SAME, RELU6, True),       # window wider than input
    (1, 9, 9, 1, 1, 2, 4, (1, 3), (1, 1), SAME, NONE, True),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])) +
                         f"-s{c[7][0]}{c[7][1]}-d{c[8][0]}{c[8][1]}-p{c[9]}-a{c[10]}-b{int(c[11])}")
def test_conv2d(simd_isa, case):
    n, h, wd, c, o, kh, kw, stride, dilation, padding, act, bias = case
    check_conv(simd_isa, n, h, wd, c, o, kh, kw, stride, dilation, padding, act, bias)


def test_conv2d_large_tiles(simd_isa):
    """More pixels than one block of rows (blocks, row tiles and the thread cut all split
    the pixels at different places), and a deep im2col row."""
    check_conv(simd_isa, 1, 30, 30, 24, 40, 1, 1, act=RELU6)
    check_conv(simd_isa, 1, 17, 17, 96, 40, 3, 3, act=RELU)


def test_conv2d_non_finite_input(simd_isa):
    """NaN and infinities in the input land where the portable kernel puts them."""
    rng = seeded("nonfinite-input")
    x = rng.standard_normal((1, 6, 7, 5)).astype(np.float32)
    x[0, 1, 2, 3] = np.nan
    x[0, 4, 5, 0] = np.inf
    x[0, 0, 0, 1] = -np.inf
    for kh, stride in ((1, (1, 1)), (3, (1, 1)), (3, (2, 2))):
        check_conv(simd_isa, 1, 6, 7, 5, 9, kh, kh, stride, act=RELU6, x=x)


def test_conv2d_inf_filter_falls_back(simd_isa):
    """inf in the filter: a padding tap would give 0 * inf = NaN in im2col, while the
    reference skips padding taps; the portable kernel runs instead, bit for bit."""
    rng = seeded("inf-filter")
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    w[1, 0, 0, 1] = np.inf
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    ref, got = check_conv(simd_isa, 1, 5, 5, 2, 4, 3, 3, x=x, w=w)
    np.testing.assert_array_equal(got.view(np.uint32), ref.view(np.uint32))


# ---- FULLY_CONNECTED -------------------------------------------------------------------------

def fc_model(x_shape, w, b, out_shape, act, keep_num_dims):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    inputs = [x, mb.constant("w", w), mb.constant("b", b) if b is not None else -1]
    y = mb.tensor("y", out_shape)
    mb.op("FULLY_CONNECTED", inputs, [y], "FullyConnectedOptions",
          dict(fused_activation_function=act, keep_num_dims=keep_num_dims))
    mb.output(y)
    return mb.build()


def check_fc(isa, x_shape, units, act=NONE, bias=True, keep_num_dims=False):
    k = x_shape[-1]
    rng = seeded("fc", x_shape, units, act, bias, keep_num_dims)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((units, k)).astype(np.float32)
    b = rng.standard_normal(units).astype(np.float32) if bias else None
    rows = x.size // k
    out_shape = x_shape[:-1] + (units,) if keep_num_dims else (rows, units)
    model = fc_model(x_shape, w, b, out_shape, act, keep_num_dims)
    ref, got = run_levels(model, [x], isa)
    mag = np.abs(x.reshape(rows, k).astype(np.float64)) @ np.abs(w.astype(np.float64)).T
    if b is not None:
        mag += np.abs(b.astype(np.float64))
    assert_close(got, ref, mag.reshape(ref.shape), k)


@pytest.mark.parametrize("rows", [1, 3, 17])
@pytest.mark.parametrize("depth", [1, 7, 300])
@pytest.mark.parametrize("units", [1, 5, 33, 1000])
def test_fully_connected(simd_isa, rows, depth, units):
    act = (NONE, RELU, RELU6, TANH)[(rows + depth + units) % 4]
    check_fc(simd_isa, (rows, depth), units, act=act, bias=units % 2 == 1)


@pytest.mark.parametrize("x_shape", [(2, 3, 7), (1, 1, 5, 300)])
def test_fully_connected_keep_num_dims(simd_isa, x_shape):
    check_fc(simd_isa, x_shape, 17, act=RELU6, keep_num_dims=True)


def test_fully_connected_many_rows(simd_isa):
    """More rows than one block, units cut mid-panel by the two threads."""
    check_fc(simd_isa, (300, 40), 50, act=RELU)


@pytest.mark.parametrize("rows", [1, 5])
def test_fully_connected_deep(simd_isa, rows):
    """K = 1100: three K blocks (partial sums stored and reloaded), clamp on the last only."""
    check_fc(simd_isa, (rows, 1100), 70, act=RELU6)


@pytest.mark.parametrize("depth", [16, 17, 128, 784])
@pytest.mark.parametrize("units", [7, 16, 31, 300])
def test_fully_connected_one_row(simd_isa, depth, units):
    """Batch 1: the matrix-vector kernel on the unpacked weights (groups of 16 / 8 units,
    a partial last group, K tails), or the packed GEMM for large unaligned weights; the two
    threads cut the units at an odd place when the work is large enough to be split."""
    act = (RELU, NONE, TANH, RELU6)[(depth + units) % 4]
    check_fc(simd_isa, (1, depth), units, act=act, bias=depth % 2 == 0)


def test_fully_connected_one_row_weights_input(simd_isa):
    """Weights computed at run time (a graph input): batch 1 still takes the SIMD kernel,
    which reads them in place at invoke."""
    rng = seeded("fc-weights-input")
    x = rng.standard_normal((1, 100)).astype(np.float32)
    w = rng.standard_normal((333, 100)).astype(np.float32)
    b = rng.standard_normal(333).astype(np.float32)
    mb = ModelBuilder()
    xi, wi = mb.input("x", x.shape), mb.input("w", w.shape)
    y = mb.tensor("y", (1, 333))
    mb.op("FULLY_CONNECTED", [xi, wi, mb.constant("b", b)], [y], "FullyConnectedOptions",
          dict(fused_activation_function=RELU))
    mb.output(y)
    ref, got = run_levels(mb.build(), [x, w], simd_isa)
    mag = np.abs(x.astype(np.float64)) @ np.abs(w.astype(np.float64)).T + np.abs(b)
    assert_close(got, ref, mag, 100)


@pytest.mark.parametrize("depth", [5, 64, 100])
def test_fully_connected_one_row_alignment(simd_isa, depth):
    """The one-row kernel reads rows at a common misalignment in aligned vectors (a lane
    rotation its reduction does not see): the same weights as a constant (in the model's
    buffer, 16-byte aligned) and as an input (in the 64-byte aligned arena) give the same
    bits."""
    rng = seeded("fc-align", depth)
    x = rng.standard_normal((1, depth)).astype(np.float32)
    w = rng.standard_normal((37, depth)).astype(np.float32)
    outs = []
    for const in (True, False):
        mb = ModelBuilder()
        xi = mb.input("x", x.shape)
        wi = mb.constant("w", w) if const else mb.input("w", w.shape)
        y = mb.tensor("y", (1, 37))
        mb.op("FULLY_CONNECTED", [xi, wi, -1], [y], "FullyConnectedOptions",
              dict(fused_activation_function=NONE))
        mb.output(y)
        outs.append(run_levels(mb.build(), [x] if const else [x, w], simd_isa)[1])
    np.testing.assert_array_equal(outs[0].view(np.uint32), outs[1].view(np.uint32))


def test_fully_connected_shared_weights(simd_isa):
    """Two batch-1 nodes on one weight tensor (an unrolled RNN's steps): each reads it in
    place; the second takes the first's output."""
    rng = seeded("fc-shared")
    x = rng.standard_normal((1, 64)).astype(np.float32)
    w = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    mb = ModelBuilder()
    xi, wi = mb.input("x", x.shape), mb.constant("w", w)
    h1, h2 = mb.tensor("h1", (1, 64)), mb.tensor("h2", (1, 64))
    for a, o in ((xi, h1), (h1, h2)):
        mb.op("FULLY_CONNECTED", [a, wi, -1], [o], "FullyConnectedOptions",
              dict(fused_activation_function=TANH))
    mb.output(h2)
    ref, got = run_levels(mb.build(), [x], simd_isa)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)


# ---- BATCH_MATMUL ----------------------------------------------------------------------------

def bmm_model(x_shape, y_shape, out_shape, adj_x, adj_y, y_const=None):
    mb = ModelBuilder()
    x = mb.input("x", x_shape)
    y = mb.constant("y", y_const) if y_const is not None else mb.input("y", y_shape)
    out = mb.tensor("out", out_shape)
    mb.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", dict(adj_x=adj_x, adj_y=adj_y))
    mb.output(out)
    return mb.build()


def operand(rng, batch, rows, cols, adj):
    shape = tuple(batch) + ((cols, rows) if adj else (rows, cols))
    return rng.standard_normal(shape).astype(np.float32)


def matmul64(x, y, adj_x, adj_y):
    x, y = x.astype(np.float64), y.astype(np.float64)
    return np.matmul(np.swapaxes(x, -1, -2) if adj_x else x,
                     np.swapaxes(y, -1, -2) if adj_y else y)


# (x batch dims, y batch dims, M, K, N)
BMM_SHAPES = [
    ((), (), 1, 1, 1),
    ((), (), 3, 7, 5),
    ((2,), (2,), 17, 33, 40),
    ((5,), (), 13, 17, 3),          # y broadcast
    ((), (4,), 3, 300, 33),         # x broadcast
    ((2, 1), (1, 3), 30, 5, 17),    # both broadcast
    ((1,), (), 200, 64, 100),       # more rows than one block
    ((3,), (3,), 64, 64, 48),       # large enough to be shared out to two threads
]


@pytest.mark.parametrize("shapes", BMM_SHAPES, ids=str)
@pytest.mark.parametrize("adj_x", [False, True])
@pytest.mark.parametrize("adj_y", [False, True])
@pytest.mark.parametrize("y_const", [False, True])
def test_batch_matmul(simd_isa, shapes, adj_x, adj_y, y_const):
    xb, yb, m, k, n = shapes
    rng = seeded("bmm", shapes, adj_x, adj_y)
    x = operand(rng, xb, m, k, adj_x)
    y = operand(rng, yb, k, n, adj_y)
    mag = matmul64(np.abs(x), np.abs(y), adj_x, adj_y)
    model = bmm_model(x.shape, y.shape, mag.shape, adj_x, adj_y, y if y_const else None)
    ref, got = run_levels(model, [x] if y_const else [x, y], simd_isa)
    assert_close(got, ref, mag, k)
