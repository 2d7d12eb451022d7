"""Quantized conversion (`convert(model, quantize=...)`, `litert-convert --quantize`):

  float16  weights stored as float16 behind DEQUANTIZE: about half the file; outputs differ
           from Keras only by the float16 rounding of the weights.
  dynamic  conv / depthwise / fully-connected weights as per-channel symmetric int8 read by
           hybrid ops: under a third of the file; checked value for value against the file
           TensorFlow's own converter writes for the same model (same int8 weights, scales,
           options and op versions), and run in TensorFlow Lite.

Tolerances, relative to the largest output magnitude of the model (measured values in
parentheses):
  float16: 2e-3 for the small CNN (3.7e-4) and 5e-3 for MobileNetV2 (7.5e-4): each weight is
           off by up to 2^-11 relative, compounded over the layers;
  dynamic: 5e-2 against Keras (2.6e-2 on the small CNN, whose random-weight logits partly
           cancel; 1.6e-2 on MobileNetV2): int8 weights and inputs quantized on the fly,
           ~1/127 relative per layer. Between our file and TensorFlow's, both run in
           TensorFlow Lite: 1e-6 (measured 0: the same int8 data through the same kernels).
litert runs the float16 files; the hybrid (dynamic) files need the runtime's hybrid kernels,
and those litert checks are skipped while the runtime rejects int8 weights.
"""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import litert_schema as fb  # noqa: E402
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402

from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402
from litert.converter.ir import Graph  # noqa: E402
from litert.converter.quantize import quantize_graph  # noqa: E402
from litert.converter.writer import write  # noqa: E402

F16_TOL_SMALL = 2e-3
F16_TOL_MOBILENET = 5e-3
DYNAMIC_TOL = 5e-2
OPS = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
TYPES = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}


# ---- helpers ------------------------------------------------------------------------------

def _run(interpreter_cls, content, x):
    interp = interpreter_cls(model_content=content)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def _assert_close(got, want, rel, what):
    scale = float(np.max(np.abs(want)))
    err = float(np.max(np.abs(got - want)))
    assert err <= rel * scale, f"{what}: max |diff| {err:.3g} > {rel} x output scale {scale:.3g}"


def _litert_hybrid_or_skip(content):
    """A litert interpreter for a hybrid model, or a skip while the runtime's hybrid kernels
    have not landed (it then rejects int8 weights at prepare)."""
    interp = Interpreter(model_content=content)
    try:
        interp.allocate_tensors()
    except RuntimeError as exc:
        msg = str(exc)
        if "not supported" in msg or ("INT8" in msg and "expected FLOAT32" in msg):
            pytest.skip(f"hybrid kernels not yet in the runtime ({msg})")
        raise
    return interp


class _File:
    """A .tflite file read back with the schema's object API."""

    def __init__(self, content: bytes):
        self.model = fb.ModelT.InitFromPackedBuf(content, 0)
        self.sg = self.model.subgraphs[0]

    def name(self, i):
        n = self.sg.tensors[i].name
        return n.decode() if isinstance(n, bytes) else n

    def type(self, i):
        return TYPES[self.sg.tensors[i].type]

    def data(self, i, dtype):
        t = self.sg.tensors[i]
        raw = bytes(bytearray(self.model.buffers[t.buffer].data))
        return np.frombuffer(raw, dtype).reshape([int(d) for d in t.shape])

    def ops(self):
        """(kind, version, operator) per op."""
        for op in self.sg.operators:
            oc = self.model.operatorCodes[op.opcodeIndex]
            yield OPS[max(oc.builtinCode, oc.deprecatedBuiltinCode)], oc.version, op

    def producer(self, i):
        return next(((k, v, op) for k, v, op in self.ops() if i in list(op.outputs)), None)


# ---- models -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_cnn():
    keras.utils.set_random_seed(11)
    inp = keras.Input((16, 16, 8), name="image")
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv1")(inp)
    x = keras.layers.DepthwiseConv2D(5, padding="same", activation="relu6", name="dw")(x)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="same", name="conv2")(x)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(128, activation="relu", name="fc1")(x)
    out = keras.layers.Dense(10, name="logits")(x)
    model = keras.Model(inp, out)
    x = np.random.default_rng(3).standard_normal((2, 16, 16, 8)).astype(np.float32)
    return model, x, np.asarray(model(x)), convert(model)


@pytest.fixture(scope="module")
def mobilenet():
    keras.utils.set_random_seed(5)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3),
                                           classifier_activation=None)
    x = np.random.default_rng(4).uniform(-1, 1, (1, 96, 96, 3)).astype(np.float32)
    return model, x, np.asarray(model(x)), convert(model)


@pytest.fixture(scope="module")
def small_cnn_dynamic(small_cnn):
    return convert(small_cnn[0], quantize="dynamic")


@pytest.fixture(scope="module")
def tensorflow_dynamic(small_cnn):
    """TensorFlow's own dynamic-range file for the same model: the reference format."""
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_keras_model(small_cnn[0])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


# ---- float16 ------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["small_cnn", "mobilenet"])
def test_float16_halves_the_file_and_matches_keras(which, request):
    model, x, want, float_content = request.getfixturevalue(which)
    content = convert(model, quantize="float16")
    ratio = len(content) / len(float_content)
    assert ratio <= 0.55, f"{which}: float16 file is {ratio:.3f} of the float32 file"
    tol = F16_TOL_SMALL if which == "small_cnn" else F16_TOL_MOBILENET
    for cls in (Interpreter, TFLiteInterpreter):
        got = np.concatenate([_run(cls, content, x[i:i + 1]) for i in range(len(x))])
        _assert_close(got, want, tol, f"{which} float16 in {cls.__module__}")


def test_float16_format_matches_tensorflow(small_cnn):
    """Every conv / depthwise / fully-connected weight is a FLOAT16 constant holding the
    float32 weight rounded to float16, read by a DEQUANTIZE (version 3, as TensorFlow writes
    it) whose output keeps the weight's name; biases (small) stay float32."""
    model, _, _, float_content = small_cnn
    f16, f32 = _File(convert(model, quantize="float16")), _File(float_content)
    float_weights = {f32.name(op.inputs[1]): f32.data(op.inputs[1], np.float32)
                     for kind, _, op in f32.ops()
                     if kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")}
    seen = 0
    for kind, _, op in f16.ops():
        if kind not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        w = op.inputs[1]
        producer = f16.producer(w)
        assert producer is not None and producer[0] == "DEQUANTIZE", f"{kind} weights"
        assert producer[1] == 3, "DEQUANTIZE float16 -> float32 is version 3"
        half = producer[2].inputs[0]
        name = f16.name(half)
        assert f16.type(half) == "FLOAT16" and f16.type(w) == "FLOAT32"
        assert f16.name(w) == name + "/dequantize"
        np.testing.assert_array_equal(f16.data(half, np.float16),
                                      float_weights[name].astype(np.float16), err_msg=name)
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            assert f16.type(op.inputs[2]) == "FLOAT32", f"{name}: bias stays float32"
            assert f16.producer(op.inputs[2]) is None
        seen += 1
    assert seen == 5


def test_float16_leaves_out_of_range_and_small_constants():
    g = Graph()
    x = g.tensor("x", (1, 4), np.float32)
    g.inputs, g.input_names = [x], ["x"]
    huge = g.constant("huge", np.full((4, 4), 1e6, np.float32))
    ok = g.constant("ok", np.arange(16, dtype=np.float32).reshape(4, 4))
    small = g.constant("small", np.ones((4,), np.float32))
    y1, y2, y3 = (g.tensor(n, (1, 4), np.float32) for n in ("y1", "y2", "y3"))
    g.add_op("FULLY_CONNECTED", [x, huge, None], [y1], "FullyConnectedOptions")
    g.add_op("FULLY_CONNECTED", [y1, ok, small], [y2], "FullyConnectedOptions")
    g.add_op("ADD", [y2, small], [y3], "AddOptions")
    g.outputs, g.output_names = [y3], ["y"]
    quantize_graph(g, "float16")
    assert [op.kind for op in g.ops] == ["FULLY_CONNECTED", "DEQUANTIZE", "FULLY_CONNECTED",
                                         "ADD"]
    assert g.ops[0].inputs[1] is huge, "1e6 exceeds float16's range: kept float32"
    assert g.ops[1].inputs[0].dtype == np.float16 and g.ops[1].inputs[0].name == "ok"
    assert g.ops[2].inputs[2] is small and g.ops[3].inputs[1] is small
    xv = np.array([[1e-6, -2e-6, 3e-6, 0.5e-6]], np.float32)
    want = ((xv @ np.full((4, 4), 1e6, np.float32).T) @ np.arange(16.0).reshape(4, 4).T + 1 + 1)
    for cls in (Interpreter, TFLiteInterpreter):
        np.testing.assert_allclose(_run(cls, write(g), xv), want, rtol=1e-5,
                                   err_msg=cls.__module__)


# ---- dynamic range ------------------------------------------------------------------------

def test_dynamic_is_under_a_third_of_the_float_file(small_cnn, small_cnn_dynamic):
    ratio = len(small_cnn_dynamic) / len(small_cnn[3])
    assert ratio <= 0.3, f"dynamic-range file is {ratio:.3f} of the float32 file"


def test_dynamic_weights_equal_tensorflows(small_cnn_dynamic, tensorflow_dynamic):
    """Our int8 weights, scales, zero points, quantized dimensions, FULLY_CONNECTED's
    asymmetric_quantize_inputs and the op versions equal those TensorFlow's converter writes
    (weights matched by shape: each layer's is distinct here)."""
    def summary(content):
        f = _File(content)
        rows = {}
        for kind, version, op in f.ops():
            w = op.inputs[1] if len(op.inputs) > 1 else -1
            if w < 0 or f.type(w) != "INT8":
                continue
            q = f.sg.tensors[w].quantization
            asym = getattr(op.builtinOptions, "asymmetricQuantizeInputs", None)
            rows[tuple(int(d) for d in f.sg.tensors[w].shape)] = (
                kind, version, asym, f.data(w, np.int8), np.asarray(q.scale, np.float32),
                np.asarray(q.zeroPoint), q.quantizedDimension, f.name(w))
        return rows

    ours, theirs = summary(small_cnn_dynamic), summary(tensorflow_dynamic)
    # Dense(10) has 1280 weights; TensorFlow's converter quantizes from 1024 elements on.
    assert sorted(ours) == sorted(theirs) and len(ours) == 5
    for shape, (kind, version, asym, q, scale, zp, dim, name) in ours.items():
        t_kind, t_version, t_asym, t_q, t_scale, t_zp, t_dim, _ = theirs[shape]
        what = f"{kind} {name} {list(shape)}"
        assert (kind, version, asym, dim) == (t_kind, t_version, t_asym, t_dim), what
        assert dim == (3 if kind == "DEPTHWISE_CONV_2D" else 0), what
        assert scale.size == shape[dim] and not zp.any() and not t_zp.any(), what
        np.testing.assert_array_equal(scale, t_scale, err_msg=what)
        np.testing.assert_array_equal(q, t_q, err_msg=what)
        assert "/" in name and not name.startswith("tfl."), f"readable name: {name}"


def test_dynamic_runs_in_tflite_and_matches_keras(small_cnn, small_cnn_dynamic,
                                                  tensorflow_dynamic):
    _, x, want, _ = small_cnn
    for i in range(len(x)):
        got = _run(TFLiteInterpreter, small_cnn_dynamic, x[i:i + 1])
        ref = _run(TFLiteInterpreter, tensorflow_dynamic, x[i:i + 1])
        _assert_close(got, want[i:i + 1], DYNAMIC_TOL, f"dynamic in TFLite, sample {i}")
        _assert_close(got, ref, 1e-6, f"ours vs TensorFlow's file in TFLite, sample {i}")


def test_dynamic_runs_in_litert(small_cnn, small_cnn_dynamic):
    _, x, want, _ = small_cnn
    interp = _litert_hybrid_or_skip(small_cnn_dynamic)
    for i in range(len(x)):
        interp.set_tensor(interp.get_input_details()[0]["index"], x[i:i + 1])
        interp.invoke()
        got = interp.get_tensor(interp.get_output_details()[0]["index"])
        # Against Keras only: matching TensorFlow Lite's hybrid arithmetic is the kernels'
        # own tests' business.
        _assert_close(got, want[i:i + 1], DYNAMIC_TOL, f"dynamic in litert, sample {i}")


def test_dynamic_mobilenet(mobilenet):
    """MobileNetV2 (96x96): 33 of 35 convolutions, 15 of 17 depthwise convolutions and the
    classifier become hybrid (the others have fewer than 1024 weights); the file is under a
    third of the float one and agrees with Keras."""
    model, x, want, float_content = mobilenet
    content = convert(model, quantize="dynamic")
    ratio = len(content) / len(float_content)
    assert ratio <= 0.3, f"MobileNetV2 dynamic-range file is {ratio:.3f} of the float32 file"
    _assert_close(_run(TFLiteInterpreter, content, x), want, DYNAMIC_TOL,
                  "MobileNetV2 dynamic in TFLite")
    interp = _litert_hybrid_or_skip(content)
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    _assert_close(interp.get_tensor(interp.get_output_details()[0]["index"]), want,
                  DYNAMIC_TOL, "MobileNetV2 dynamic in litert")


def test_dynamic_keeps_shared_small_and_grouped_weights_float():
    """A weight also read by a non-hybrid op, a weight under 1024 elements and a grouped
    convolution's filter stay float32; a weight shared by two FULLY_CONNECTED becomes one
    int8 tensor."""
    rng = np.random.default_rng(0)
    g = Graph()
    x = g.tensor("x", (1, 4, 4, 64), np.float32)
    g.inputs, g.input_names = [x], ["x"]
    grouped = g.constant("grouped/filter", rng.standard_normal((64, 1, 1, 32), np.float32))
    y0 = g.tensor("y0", (1, 4, 4, 64), np.float32)
    g.add_op("CONV_2D", [x, grouped, None], [y0], "Conv2DOptions", padding=1, stride_w=1,
             stride_h=1)
    flat = g.tensor("flat", (1, 1024), np.float32)
    g.add_op("RESHAPE", [y0, g.constant("shape", np.array([-1, 1024], np.int32))], [flat],
             "ReshapeOptions", new_shape=[-1, 1024])
    shared = g.constant("shared/weights", rng.standard_normal((1024, 1024), np.float32))
    a, b = g.tensor("a", (1, 1024), np.float32), g.tensor("b", (1, 1024), np.float32)
    g.add_op("FULLY_CONNECTED", [flat, shared, None], [a], "FullyConnectedOptions")
    g.add_op("FULLY_CONNECTED", [a, shared, None], [b], "FullyConnectedOptions")
    mixed = g.constant("mixed/weights", rng.standard_normal((32, 1024), np.float32))
    tiny = g.constant("tiny/weights", rng.standard_normal((31, 32), np.float32))
    c, d = g.tensor("c", (1, 32), np.float32), g.tensor("d", (1, 31), np.float32)
    g.add_op("FULLY_CONNECTED", [b, mixed, None], [c], "FullyConnectedOptions")
    g.add_op("FULLY_CONNECTED", [c, tiny, None], [d], "FullyConnectedOptions")
    other = g.tensor("other", (32, 1024), np.float32)
    g.add_op("RELU", [mixed], [other])
    g.outputs, g.output_names = [d, other], ["d", "other"]
    quantize_graph(g, "dynamic")
    conv, _, fc1, fc2, fc3, fc4, _ = g.ops
    assert conv.inputs[1] is grouped
    assert fc1.inputs[1] is fc2.inputs[1] and fc1.inputs[1].dtype == np.int8
    assert fc1.inputs[1].name == "shared/weights"
    assert fc1.options["asymmetric_quantize_inputs"] and fc2.options["asymmetric_quantize_inputs"]
    assert fc3.inputs[1] is mixed and fc4.inputs[1] is tiny
    assert "asymmetric_quantize_inputs" not in fc3.options


# ---- other layers ---------------------------------------------------------------------------

def _transpose_conv_model():
    L = keras.layers
    i = keras.Input((8, 8, 16))
    x = L.Conv2DTranspose(32, 3, strides=2, padding="same")(i)
    x = L.SeparableConv2D(48, 3)(L.PReLU()(x))
    return keras.Model(i, L.GlobalAveragePooling2D()(x)), np.float32


def _attention_lstm_model():
    L = keras.layers
    i = keras.Input((10, 32))
    x = L.LayerNormalization()(L.MultiHeadAttention(4, 16)(i, i))
    return keras.Model(i, L.Dense(5)(L.LSTM(40)(x))), np.float32


def _embedding_gru_model():
    L = keras.layers
    i = keras.Input((6,), dtype="int32")
    x = L.Conv1D(40, 3)(L.GRU(32, return_sequences=True)(L.Embedding(500, 48)(i)))
    return keras.Model(i, L.Flatten()(x)), np.int32


@pytest.mark.parametrize("mode", ["float16", "dynamic"])
@pytest.mark.parametrize("make", [_transpose_conv_model, _attention_lstm_model,
                                  _embedding_gru_model], ids=lambda f: f.__name__[1:-6])
def test_quantized_layers_run(make, mode):
    """Transposed conv, PReLU, separable conv, attention, layer norm, LSTM, embedding, GRU
    and Conv1D: the quantized file is smaller and agrees with Keras in TFLite and litert."""
    keras.utils.set_random_seed(2)
    model, dtype = make()
    rng = np.random.default_rng(1)
    shape = (1, *model.inputs[0].shape[1:])
    x = (rng.integers(0, 500, shape) if dtype == np.int32
         else rng.standard_normal(shape)).astype(dtype)
    want = np.asarray(model(x))
    content = convert(model, quantize=mode)
    assert len(content) < 0.95 * len(convert(model)), f"{mode}: file not smaller"
    tol = F16_TOL_SMALL if mode == "float16" else DYNAMIC_TOL
    _assert_close(_run(TFLiteInterpreter, content, x), want, tol, f"{mode} in TFLite")
    if mode == "float16":
        _assert_close(_run(Interpreter, content, x), want, tol, f"{mode} in litert")
    else:
        interp = _litert_hybrid_or_skip(content)
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        _assert_close(interp.get_tensor(interp.get_output_details()[0]["index"]), want, tol,
                      f"{mode} in litert")


# ---- API and CLI --------------------------------------------------------------------------

def test_unknown_mode_is_an_error(small_cnn):
    with pytest.raises(ConversionError, match="unknown quantization mode 'int4'"):
        convert(small_cnn[0], quantize="int4")


def test_cli_quantize(small_cnn, tmp_path, capsys):
    from litert.converter.cli import main
    model, x, want, float_content = small_cnn
    path = tmp_path / "cnn.keras"
    model.save(path)
    out = tmp_path / "cnn_f16.tflite"
    assert main([str(path), "--quantize", "float16", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert out.stat().st_size <= 0.55 * len(float_content)
    _assert_close(_run(Interpreter, out.read_bytes(), x[:1]),
                  want[:1], F16_TOL_SMALL, "CLI float16 file in litert")
    assert main([str(path), "--info", "--quantize", "dynamic"]) == 0
    info = capsys.readouterr().out
    assert "conv1" in info and "fc1" in info
    with pytest.raises(SystemExit) as exc:
        main([str(path), "--quantize", "int4", "-o", str(out)])
    assert exc.value.code == 2
    assert "invalid choice: 'int4'" in capsys.readouterr().err
