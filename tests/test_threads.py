"""num_threads: the interpreter's thread pool splits CONV_2D, DEPTHWISE_CONV_2D and
FULLY_CONNECTED (float32 and int8) over output pixels / output units, never over a reduction,
so every output value is computed by the same arithmetic whatever the thread count: outputs
with 1, 2 and 3 threads are bit-identical (exact equality, not a tolerance). The threaded
results also agree with TensorFlow Lite, and several interpreters with their own pools run at
once from several Python threads."""
import threading

import numpy as np
import pytest

from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

from litert import Interpreter
from tflite_builder import ModelBuilder

THREAD_COUNTS = (1, 2, 3)


def _run(content, inputs, num_threads):
    interp = Interpreter(model_content=content, num_threads=num_threads)
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def _assert_same_for_all_thread_counts(content, inputs):
    """Runs with every count in THREAD_COUNTS; returns the one-thread outputs."""
    base = _run(content, inputs, 1)
    for n in THREAD_COUNTS[1:]:
        got = _run(content, inputs, n)
        for i, (a, b) in enumerate(zip(base, got)):
            assert a.dtype == b.dtype and a.shape == b.shape
            # bytes, so that NaN payloads and -0.0 count too
            assert a.tobytes() == b.tobytes(), (
                f"output {i} with {n} threads differs from 1 thread: "
                f"{np.count_nonzero(a != b)} of {a.size} values")
    return base


# ---- whole models from TensorFlow's converter ---------------------------------------------

@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def mobilenet_v2(tf):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                              classifier_activation=None)
    content = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    x = np.random.default_rng(0).uniform(-1, 1, (1, 96, 96, 3)).astype(np.float32)
    return content, x


@pytest.fixture(scope="module")
def int8_cnn(tf):
    """Conv (odd channel counts, stride 2), depthwise with multiplier 2, dense: TF's int8
    converter (per-channel int8 filters, int8 input and output)."""
    tf.keras.utils.set_random_seed(1)
    keras = tf.keras
    inp = keras.Input((23, 19, 3))
    x = keras.layers.Conv2D(13, 3, strides=2, padding="same", activation="relu")(inp)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="valid",
                                     activation="relu6")(x)
    x = keras.layers.Conv2D(17, 1)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(29)(x)
    model = keras.Model(inp, x)
    rng = np.random.default_rng(1)
    calib = rng.uniform(-1, 1, (16, 23, 19, 3)).astype(np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([calib[i:i + 1]] for i in range(len(calib)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    content = conv.convert()
    x = rng.integers(-128, 128, (1, 23, 19, 3)).astype(np.int8)
    return content, x


def test_mobilenet_v2_float32_identical_across_thread_counts(mobilenet_v2):
    content, x = mobilenet_v2
    (out,) = _assert_same_for_all_thread_counts(content, [x])
    # and still right: TensorFlow Lite on the same file (float32 evaluation order differs)
    ref = TFLiteInterpreter(model_content=content)
    ref.allocate_tensors()
    ref.set_tensor(ref.get_input_details()[0]["index"], x)
    ref.invoke()
    want = ref.get_tensor(ref.get_output_details()[0]["index"])
    threaded = _run(content, [x], 2)[0]
    np.testing.assert_allclose(threaded, want, rtol=0, atol=1e-4 * np.abs(want).max())


def test_int8_model_identical_across_thread_counts(int8_cnn):
    content, x = int8_cnn
    ref = TFLiteInterpreter(model_content=content)
    ops = {d["op_name"] for d in ref._get_ops_details()}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"} <= ops, ops
    (out,) = _assert_same_for_all_thread_counts(content, [x])
    assert out.dtype == np.int8 and np.ptp(out.astype(np.int32)) > 0  # not a constant
    # and still right: the int8 kernels follow TensorFlow Lite's reference kernels bit for bit
    from ai_edge_litert.interpreter import OpResolverType
    ref = TFLiteInterpreter(model_content=content,
                            experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    ref.allocate_tensors()
    ref.set_tensor(ref.get_input_details()[0]["index"], x)
    ref.invoke()
    want = ref.get_tensor(ref.get_output_details()[0]["index"])
    np.testing.assert_array_equal(_run(content, [x], 3)[0], want)


# ---- single ops with odd sizes ------------------------------------------------------------

def _conv_model(x_shape, w, bias, opts, op="CONV_2D", opts_name="Conv2DOptions"):
    b = ModelBuilder()
    x = b.input("x", list(x_shape), np.float32)
    wt = b.constant("w", w)
    bt = b.constant("b", bias) if bias is not None else -1
    # the output shape by TensorFlow's padding rules
    n, h, wd, _ = x_shape
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = opts["stride_h"], opts["stride_w"]
    dh, dw = opts.get("dilation_h_factor", 1), opts.get("dilation_w_factor", 1)
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if opts["padding"] == 0:  # SAME
        oh, ow = -(-h // sh), -(-wd // sw)
    else:
        oh, ow = (h - ekh) // sh + 1, (wd - ekw) // sw + 1
    oc = w.shape[0] if op == "CONV_2D" else w.shape[3]
    y = b.tensor("y", [n, oh, ow, oc], np.float32)
    b.op(op, [x, wt, bt], [y], opts_name, opts)
    b.output(y)
    return b.build()


CONV_CASES = [
    # x shape, filter shape (O, KH, KW, C/groups), options
    ((1, 17, 13, 5), (7, 3, 3, 5), dict(padding=0, stride_h=1, stride_w=1)),
    ((2, 15, 11, 6), (10, 3, 2, 3), dict(padding=1, stride_h=2, stride_w=1)),   # 2 groups
    ((1, 19, 21, 4), (11, 3, 3, 4), dict(padding=0, stride_h=1, stride_w=2,
                                         dilation_h_factor=2, dilation_w_factor=3)),
    ((3, 9, 7, 33), (31, 1, 1, 33), dict(padding=1, stride_h=1, stride_w=1)),
]


@pytest.mark.parametrize("act", [0, 3, 4])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_conv2d_identical_across_thread_counts(case, act):
    x_shape, w_shape, opts = CONV_CASES[case]
    rng = np.random.default_rng(case)
    w = rng.standard_normal(w_shape).astype(np.float32)
    bias = rng.standard_normal(w_shape[0]).astype(np.float32)
    content = _conv_model(x_shape, w, bias, dict(opts, fused_activation_function=act))
    x = rng.standard_normal(x_shape).astype(np.float32)
    _assert_same_for_all_thread_counts(content, [x])


# Few output pixels and many channels: the threads cut the output channels instead of the
# pixels (conv.c, conv_channels_fn); 1x1 read in place and im2col windows, channel counts
# off the 16 / 32 channel blocks, batch > 1, TANH (applied per channel range).
FEW_PIXEL_CASES = [
    ((1, 7, 7, 160), (960, 1, 1, 160), dict(padding=1, stride_h=1, stride_w=1)),
    ((1, 7, 7, 33), (1001, 1, 1, 33), dict(padding=1, stride_h=1, stride_w=1)),
    ((2, 3, 3, 17), (203, 3, 3, 17), dict(padding=0, stride_h=1, stride_w=1)),
    ((1, 9, 9, 8), (161, 3, 3, 8), dict(padding=0, stride_h=2, stride_w=2)),
    # int8: 448 output bytes a pixel = 7 lines of 4 channel units, cut 4 / 3 lines
    ((1, 4, 5, 24), (448, 1, 1, 24), dict(padding=1, stride_h=1, stride_w=1)),
    # one pixel, 1001 channels (not whole lines): still cut by channels
    ((1, 1, 1, 40), (1001, 1, 1, 40), dict(padding=1, stride_h=1, stride_w=1)),
]


@pytest.mark.parametrize("act", [0, 4])
@pytest.mark.parametrize("case", range(len(FEW_PIXEL_CASES)))
def test_conv2d_few_pixels_identical_across_thread_counts(case, act):
    x_shape, w_shape, opts = FEW_PIXEL_CASES[case]
    rng = np.random.default_rng(40 + case)
    w = rng.standard_normal(w_shape).astype(np.float32)
    bias = rng.standard_normal(w_shape[0]).astype(np.float32)
    content = _conv_model(x_shape, w, bias, dict(opts, fused_activation_function=act))
    x = rng.standard_normal(x_shape).astype(np.float32)
    _assert_same_for_all_thread_counts(content, [x])


@pytest.mark.parametrize("case", range(len(FEW_PIXEL_CASES)))
def test_conv2d_int8_few_pixels_identical_across_thread_counts(case):
    from test_kernels_int8_linear import conv_model

    x_shape, w_shape, opts = FEW_PIXEL_CASES[case]
    rng = np.random.default_rng(50 + case)
    n, h, wd, _ = x_shape
    if opts["padding"] == 0:
        oh, ow = -(-h // opts["stride_h"]), -(-wd // opts["stride_w"])
    else:
        oh = (h - w_shape[1]) // opts["stride_h"] + 1
        ow = (wd - w_shape[2]) // opts["stride_w"] + 1
    content = conv_model(rng, "CONV_2D", x_shape, w_shape, (n, oh, ow, w_shape[0]),
                         dict(opts, fused_activation_function=0))
    x = rng.integers(-128, 128, x_shape).astype(np.int8)
    base = _assert_same_for_all_thread_counts(content, [x])
    # and bit-exact with the portable kernel
    interp = Interpreter(model_content=content, num_threads=2, isa="portable")
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  base[0])


@pytest.mark.parametrize("multiplier", [1, 3])
def test_depthwise_identical_across_thread_counts(multiplier):
    rng = np.random.default_rng(10 + multiplier)
    x_shape = (2, 23, 17, 7)
    w = rng.standard_normal((1, 3, 5, 7 * multiplier)).astype(np.float32)
    bias = rng.standard_normal(7 * multiplier).astype(np.float32)
    opts = dict(padding=0, stride_h=2, stride_w=1, depth_multiplier=multiplier,
                fused_activation_function=1)
    content = _conv_model(x_shape, w, bias, opts, op="DEPTHWISE_CONV_2D",
                          opts_name="DepthwiseConv2DOptions")
    x = rng.standard_normal(x_shape).astype(np.float32)
    _assert_same_for_all_thread_counts(content, [x])


@pytest.mark.parametrize("rows,depth,units,act", [(1, 301, 257, 0), (5, 127, 131, 4),
                                                  (3, 1000, 2, 1), (1, 64, 1, 0)])
def test_fully_connected_identical_across_thread_counts(rows, depth, units, act):
    rng = np.random.default_rng(rows * 1000 + units)
    b = ModelBuilder()
    x = b.input("x", [rows, depth], np.float32)
    wv = rng.standard_normal((units, depth)).astype(np.float32)
    bv = rng.standard_normal(units).astype(np.float32)
    w = b.constant("w", wv)
    bias = b.constant("b", bv)
    y = b.tensor("y", [rows, units], np.float32)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=act))
    b.output(y)
    content = b.build()
    xv = rng.standard_normal((rows, depth)).astype(np.float32)
    (out,) = _assert_same_for_all_thread_counts(content, [xv])
    # and still right (float64 NumPy; the kernel's own order is checked in test_kernels_matmul)
    want = xv.astype(np.float64) @ wv.astype(np.float64).T + bv
    if act == 1:
        want = np.maximum(want, 0)
    elif act == 4:
        want = np.tanh(want)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4 * np.sqrt(depth))


@pytest.mark.parametrize("batch,block", [(1, 1), (5, 4)])
def test_sparse_fully_connected_identical_across_thread_counts(batch, block):
    """Sparse weights are split over units too."""
    import sparse_encoding as se
    rng = np.random.default_rng(20 + block)
    units, depth = 203, 256
    w = se.random_sparse((units, depth), 0.7, rng, block=(1, block))
    values, order, bmap, levels = se.encode_rows_csr(w, block)
    b = ModelBuilder()
    x = b.input("x", [batch, depth], np.float32)
    wt = se.add_sparse_constant(b, "w", w.shape, values, order, bmap, levels)
    y = b.tensor("y", [batch, units], np.float32)
    b.op("FULLY_CONNECTED", [x, wt, -1], [y], "FullyConnectedOptions",
         dict(fused_activation_function=0))
    b.output(y)
    xv = rng.standard_normal((batch, depth)).astype(np.float32)
    (out,) = _assert_same_for_all_thread_counts(b.build(), [xv])
    want = xv.astype(np.float64) @ w.T.astype(np.float64)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4 * np.sqrt(depth))


# ---- several interpreters, several Python threads -----------------------------------------

def test_interpreters_in_parallel_python_threads(mobilenet_v2, int8_cnn):
    jobs = [(mobilenet_v2[0], mobilenet_v2[1]), (int8_cnn[0], int8_cnn[1])]
    expected = [_run(c, [x], 1)[0] for c, x in jobs]
    errors = []

    def worker(k):
        try:
            content, x = jobs[k % 2]
            interp = Interpreter(model_content=content, num_threads=2 + k % 2)
            interp.allocate_tensors()
            for _ in range(3):
                interp.set_tensor(interp.get_input_details()[0]["index"], x)
                interp.invoke()
                got = interp.get_tensor(interp.get_output_details()[0]["index"])
                if got.tobytes() != expected[k % 2].tobytes():
                    errors.append(f"thread {k}: output differs")
        except Exception as e:  # reported below: a failure in a thread must fail the test
            errors.append(f"thread {k}: {e!r}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert errors == []


def test_many_interpreters_created_and_freed():
    """Each interpreter starts its own workers and joins them when freed: many in a row,
    with 1 to 3 workers each, all give the one-thread result."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    content = _conv_model((1, 16, 16, 3), w, None, dict(padding=0, stride_h=1, stride_w=1,
                                                         fused_activation_function=0))
    x = rng.standard_normal((1, 16, 16, 3)).astype(np.float32)
    want = _run(content, [x], 1)[0]
    for i in range(50):
        got = _run(content, [x], 2 + i % 3)[0]
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("op,table", [("ADD", "AddOptions"), ("SUB", "SubOptions"),
                                      ("MUL", "MulOptions")])
@pytest.mark.parametrize("shape", [(1, 7, 7, 160), (1, 4097), (3, 1367)])
def test_int8_binary_split_identical_across_thread_counts(op, table, shape):
    # int8 element-wise rows split from 4096 output elements on (odd cuts included) and
    # must match one thread and the portable rows bit for bit
    from int8_compare import binary_model

    rng = np.random.default_rng(sum(shape) + len(op))
    q = [dict(scale=[np.float32(s)], zero_point=[int(z)])
         for s, z in ((0.05, 3), (0.02, -7), (0.07, 11))]
    content = binary_model(op, shape, shape, shape, q[0], q[1], q[2], table,
                           dict(fused_activation_function=1))
    xs = [rng.integers(-128, 128, shape).astype(np.int8) for _ in range(2)]
    base = _assert_same_for_all_thread_counts(content, xs)
    interp = Interpreter(model_content=content, num_threads=2, isa="portable")
    interp.allocate_tensors()
    for detail, value in zip(interp.get_input_details(), xs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    np.testing.assert_array_equal(interp.get_tensor(interp.get_output_details()[0]["index"]),
                                  base[0])
