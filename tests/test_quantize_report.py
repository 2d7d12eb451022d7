"""The per-layer quantization report (converter/report.py) and the operator-code versions
(converter/op_versions.py).

Report, on a small CNN + MLP converted in float16, dynamic and int8 (calibrated on fixed random
data), checked against independent facts:
  * weight bytes: the float column equals the layer's Keras weights x 4 bytes (Dense: kernel
    and bias); float16 halves the kernel; int8 stores the kernel in 1 byte per weight plus
    int32 biases;
  * zeros: a Dense kernel with half of its weights set to 0 reports >= 50% zeros;
  * errors: float16 layer outputs within 1e-3 relative RMS of the float file's, int8 ones
    larger than float16's but within 5% (8-bit activations: ~1/255 of the range per step).
Versions: for every operator of files written by TensorFlow's own converter (float32,
float16, dynamic range, full int8), op_version() given that operator's signature returns the
version TensorFlow wrote; and op_version_of() on our converter's quantized graphs agrees with
TensorFlow's file for every op kind both files contain."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
import litert_schema as fb  # noqa: E402

from litert.converter import ConversionError, convert  # noqa: E402
from litert.converter.api import build  # noqa: E402
from litert.converter.op_versions import op_version, op_version_of  # noqa: E402
from litert.converter.quantize import quantize_graph  # noqa: E402
from litert.converter.report import (FILE_ROW, format_report, quantization_report,  # noqa: E402
                                     report_for_cli)

F16_REL_RMS = 1e-3
INT8_REL_RMS = 5e-2
OPS = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
NP_TYPES = {fb.TensorType.FLOAT32: np.float32, fb.TensorType.FLOAT16: np.float16,
            fb.TensorType.INT8: np.int8, fb.TensorType.UINT8: np.uint8,
            fb.TensorType.INT16: np.int16, fb.TensorType.INT32: np.int32,
            fb.TensorType.INT64: np.int64, fb.TensorType.BOOL: np.bool_}


def _small_model():
    keras.utils.set_random_seed(7)
    L = keras.layers
    x = keras.Input((8, 8, 2), name="image")
    h = L.Conv2D(8, 3, padding="same", name="conv")(x)
    h = L.BatchNormalization(name="bn")(h)
    h = L.ReLU(name="relu")(h)
    h = L.MaxPooling2D(2, name="pool")(h)
    h = L.Flatten(name="flatten")(h)
    h = L.Dense(64, activation="relu", name="hidden")(h)
    y = L.Dense(10, activation="softmax", name="probs")(h)
    model = keras.Model(x, y)
    bn = model.get_layer("bn")
    rng = np.random.default_rng(3)
    bn.set_weights([rng.uniform(0.5, 1.5, 8), rng.normal(0, 0.1, 8),
                    rng.normal(0, 0.1, 8), rng.uniform(0.5, 2.0, 8)])
    hidden = model.get_layer("hidden")
    kernel, bias = hidden.get_weights()
    kernel[:, ::2] = 0.0                          # half of the outputs' weights are zero
    hidden.set_weights([kernel, rng.normal(0, 0.1, bias.shape).astype(np.float32)])
    return model


@pytest.fixture(scope="module")
def report_rows():
    model = _small_model()
    calibration = np.random.default_rng(0).uniform(0, 1, (48, 8, 8, 2)).astype(np.float32)
    rows = quantization_report(model, ["float16", "dynamic", "int8"], calibration)
    return model, rows


def _row(rows, mode, layer):
    got = [r for r in rows if r["mode"] == mode and r["layer"] == layer]
    assert len(got) == 1, f"expected one {mode} row for layer {layer}, got {got}"
    return got[0]


def test_report_has_rows_per_mode_and_layer(report_rows):
    _, rows = report_rows
    assert {r["mode"] for r in rows} == {"float16", "dynamic", "int8"}
    for mode in ("float16", "dynamic", "int8"):
        layers = [r["layer"] for r in rows if r["mode"] == mode]
        assert layers == ["conv", "bn", "relu", "pool", "flatten", "hidden", "probs", FILE_ROW], mode
    text = format_report(rows)
    for word in ("mode: int8", "hidden", "rel RMS err", FILE_ROW):
        assert word in text


def test_report_weight_bytes(report_rows):
    model, rows = report_rows
    kernel, bias = model.get_layer("hidden").get_weights()
    float_bytes = 4 * (kernel.size + bias.size)
    for mode in ("float16", "dynamic", "int8"):
        assert _row(rows, mode, "hidden")["float_bytes"] == float_bytes, mode
    assert _row(rows, "float16", "hidden")["bytes"] == 2 * kernel.size + 4 * bias.size
    assert _row(rows, "dynamic", "hidden")["bytes"] == kernel.size + 4 * bias.size
    assert _row(rows, "int8", "hidden")["bytes"] == kernel.size + 4 * bias.size
    whole = _row(rows, "int8", FILE_ROW)
    assert whole["float_bytes"] == len(convert(model)) and whole["ratio"] < 0.4


def test_report_zero_weights(report_rows):
    _, rows = report_rows
    for mode in ("float16", "dynamic", "int8"):
        assert _row(rows, mode, "hidden")["sparsity"] >= 0.5, mode
        assert _row(rows, mode, "probs")["sparsity"] < 0.1, mode


def test_report_errors_small_for_float16_larger_for_int8(report_rows):
    _, rows = report_rows
    for layer in ("relu", "pool", "hidden", "probs"):
        f16 = _row(rows, "float16", layer)["rel_rms_error"]
        i8 = _row(rows, "int8", layer)["rel_rms_error"]
        assert f16 is not None and i8 is not None, layer
        assert f16 <= F16_REL_RMS, f"{layer}: float16 relative RMS error {f16}"
        assert f16 < i8 <= INT8_REL_RMS, f"{layer}: int8 relative RMS error {i8} (float16 {f16})"
    # Layers fused into the ReLU's CONV_2D say where their error is.
    assert "relu" in _row(rows, "int8", "conv")["note"]
    assert _row(rows, "int8", "conv")["max_abs_error"] is None


def test_report_for_cli_text():
    model = _small_model()
    text = report_for_cli(model, "float16", None)
    assert "mode: float16" in text and "no calibration data" in text
    if "prune" not in inspect.signature(convert).parameters:
        with pytest.raises(ConversionError, match="no pruning"):
            report_for_cli(model, None, None, prune=0.5)


# ---- operator versions --------------------------------------------------------------------

def _version_model():
    keras.utils.set_random_seed(1)
    L = keras.layers
    x = keras.Input((8, 8, 3))
    a = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    a = L.Conv2D(16, 3, padding="same")(a)
    b = L.DepthwiseConv2D(3, padding="same", depth_multiplier=4)(a)
    b = L.Conv2D(16, 1)(b)
    c = L.Add()([a, b])
    d = L.Subtract()([a, b])
    e = L.Multiply()([c, d])
    p = L.AveragePooling2D(2)(e)
    q = L.MaxPooling2D(2)(e)
    r = L.Concatenate()([p, q])
    r = L.ZeroPadding2D(1)(r)
    s = L.Activation("sigmoid")(r)
    t = L.Activation("tanh")(r)
    h = L.Activation("hard_swish")(r)
    u = L.Concatenate()([s, t, h])
    m = L.GlobalAveragePooling2D()(u)
    f = L.Flatten()(u)
    g = L.Dense(64)(f)
    g2 = L.Dense(64)(m)
    o = L.Softmax()(L.Add()([g, g2]))
    return keras.Model(x, [o, L.ReLU(6.0)(g), L.LeakyReLU(0.2)(g2)])


def _calibration():
    rng = np.random.default_rng(5)
    return rng.uniform(0, 1, (16, 8, 8, 3)).astype(np.float32)


def _tf_convert(model, mode):
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode != "float32":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        conv.target_spec.supported_types = [tf.float16]
    if mode == "int8":
        data = _calibration()
        conv.representative_dataset = lambda: ([data[i:i + 1]] for i in range(len(data)))
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _file_versions(content):
    """[(kind, version written, op_version() from the op's signature in the file)] per
    operator code: TensorFlow's converter writes one code per op kind, with the highest
    version any of its operators needs (a float CONV_2D sharing the code of hybrid ones
    reads version 5), so the expected version is the maximum over the code's operators."""
    model = fb.ModelT.InitFromPackedBuf(content, 0)
    sg = model.subgraphs[0]
    out = []

    def t(i):
        return None if i < 0 else sg.tensors[i]

    def dtype(tensor):
        return None if tensor is None else NP_TYPES.get(tensor.type)

    def scales(tensor):
        q = None if tensor is None else tensor.quantization
        return [] if q is None or q.scale is None else list(q.scale)

    for op in sg.operators:
        code = model.operatorCodes[op.opcodeIndex]
        kind = OPS[max(code.builtinCode, code.deprecatedBuiltinCode)]
        ins = [t(i) for i in op.inputs]
        outs = [t(i) for i in op.outputs]
        opts = {}
        if op.builtinOptions is not None:
            opts = {_snake(k): v for k, v in vars(op.builtinOptions).items()}
        data = ins[2] if kind == "TRANSPOSE_CONV" else ins[0]
        weight = ins[1] if len(ins) > 1 else None
        if kind == "CONV_2D":
            opts["_grouped"] = data.shape[-1] != weight.shape[-1]
        per_channel = len(scales(outs[0] if kind == "QUANTIZE" else
                                 ins[0] if kind == "DEQUANTIZE" else weight)) > 1
        mul_rescale = None
        if kind == "MUL" and scales(ins[0]) and scales(ins[1]) and scales(outs[0]):
            mul_rescale = scales(ins[0])[0] * scales(ins[1])[0] / scales(outs[0])[0]
        present = [x for x in ins if x is not None]
        broadcast = None
        if len(present) >= 2 and list(present[0].shape) != list(present[1].shape):
            broadcast = max(len(x.shape) for x in present)
        want = op_version(kind, dtype(data), dtype(weight), opts, output_dtype=dtype(outs[0]),
                          per_channel=per_channel, num_inputs=len(ins),
                          input_rank=None if data is None else len(data.shape),
                          broadcast_rank=broadcast, mul_rescale=mul_rescale)
        out.append((op.opcodeIndex, kind, code.version, want))
    per_code = {}
    for index, kind, written, want in out:
        prev = per_code.get(index)
        per_code[index] = (kind, written, want if prev is None else max(prev[2], want))
    return list(per_code.values())


@pytest.fixture(scope="module")
def version_model():
    return _version_model()


@pytest.mark.parametrize("mode", ["float32", "float16", "dynamic", "int8"])
def test_op_versions_match_tensorflow(version_model, mode):
    triples = _file_versions(_tf_convert(version_model, mode))
    wrong = [(k, written, ours) for k, written, ours in triples if written != ours]
    assert not wrong, f"{mode}: (op, TensorFlow's version, op_version()) differ: {wrong}"
    kinds = {k for k, _, _ in triples}
    if mode == "int8":
        assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL",
                "SOFTMAX", "LOGISTIC", "TANH", "CONCATENATION", "PAD", "MEAN",
                "QUANTIZE"} <= kinds


@pytest.mark.parametrize("mode", ["float16", "dynamic", "int8"])
def test_op_version_of_our_graphs_matches_tensorflow(version_model, mode):
    tf_versions = {}
    for kind, written, _ in _file_versions(_tf_convert(version_model, mode)):
        tf_versions.setdefault(kind, set()).add(written)
    graph = build(version_model)
    quantize_graph(graph, mode, calibration=_calibration() if mode == "int8" else None)
    ours = {}
    for op in graph.ops:
        ours[op.kind] = max(ours.get(op.kind, 0), op_version_of(op))
    common = sorted(set(ours) & set(tf_versions))
    assert len(common) >= 10, f"{mode}: few op kinds in common: {common}"
    wrong = [(k, ours[k], sorted(tf_versions[k])) for k in common if ours[k] not in tf_versions[k]]
    assert not wrong, f"{mode}: (op, highest version of ours, TensorFlow's) differ: {wrong}"


def test_op_version_table():
    i8, f32, f16 = np.int8, np.float32, np.float16
    assert op_version("CONV_2D", i8, i8) == 3
    assert op_version("CONV_2D", f32, i8, per_channel=True) == 5
    assert op_version("CONV_2D", f32, i8) == 2
    assert op_version("DEPTHWISE_CONV_2D", f32, i8, per_channel=True) == 6
    assert op_version("FULLY_CONNECTED", i8, i8, {}, num_inputs=3) == 4
    assert op_version("FULLY_CONNECTED", i8, i8, {"keep_num_dims": True}, num_inputs=3) == 5
    assert op_version("FULLY_CONNECTED", f32, i8, per_channel=True) == 12
    assert op_version("FULLY_CONNECTED", f32, i8, {"asymmetric_quantize_inputs": True}) == 9
    assert op_version("MUL", i8, mul_rescale=0.5) == 2
    assert op_version("MUL", i8, mul_rescale=2.0) == 3
    assert op_version("DEQUANTIZE", f16) == 3
    assert op_version("DEQUANTIZE", i8) == 2
    assert op_version("QUANTIZE", f32, output_dtype=i8) == 1
    assert op_version("QUANTIZE", i8, output_dtype=i8) == 1
    for kind in ("RESHAPE", "HARD_SWISH", "SQUEEZE"):
        assert op_version(kind, i8) == 1
    for kind in ("ADD", "SUB", "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX", "LOGISTIC",
                 "TANH", "CONCATENATION", "PAD"):
        assert op_version(kind, i8) == 2, kind
        assert op_version(kind, f32) == 1, kind
