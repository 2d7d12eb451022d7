"""Full-integer quantization (`convert(model, quantize="int8", calibration=...)`,
`litert-convert --quantize int8 --calibration data.npy`).

Models: a small CNN (Conv2D + BatchNormalization + ReLU, DepthwiseConv2D, Add residual,
max / average pooling, GlobalAveragePooling2D, Dense tanh, Dense softmax), a CNN with a
Concatenate of two branches, and MLPs. Calibration and test data are fixed random normals.

What is checked, against independent references:
  * the file runs in TensorFlow Lite's interpreter with its reference kernels
    (OpResolverType.BUILTIN_REF) and its default kernels, and in litert; litert's int8
    output equals TensorFlow Lite's reference-kernel output in >= 99% of the values, and
    differs by at most 1 anywhere (litert follows the reference kernels' arithmetic);
  * the dequantized output is close to Keras' float output: argmax agreement >= 90%, mean
    |error| <= 3 output quantization steps and max |error| <= 16 steps, against Keras'
    output clipped to the range the int8 output can represent (test values beyond the
    calibrated range saturate by design);
  * the quantization parameters follow TensorFlow Lite's spec (per-channel symmetric
    weights, int32 biases with scale input_scale * weight_scale, SOFTMAX output 1/256 / -128,
    same parameters through pooling / concatenation, int8 or float IO);
  * a larger MLP's file is at most 0.3x the float file;
  * TensorFlow's own int8 converter on the same model and data gives a comparable error
    (ours within 1.5x its mean error + 1 output step).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import litert_schema as fb  # noqa: E402
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402

EXACT_FRACTION = 0.99
MAX_INT_DIFF = 1
ARGMAX_AGREEMENT = 0.90
MEAN_ERR_STEPS = 3
MAX_ERR_STEPS = 16
SIZE_RATIO = 0.3

OPS = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
TYPES = {v: k for k, v in vars(fb.TensorType).items() if not k.startswith("_")}


# ---- helpers ------------------------------------------------------------------------------

def quantize_input(x, quantization):
    """float -> int8 as TensorFlow Lite's QUANTIZE does it (halves away from zero)."""
    scale, zp = quantization
    scaled = x.astype(np.float64) / scale
    q = np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) + zp
    return np.clip(q, -128, 127).astype(np.int8)


def run_samples(interp, x):
    """Runs every sample of x (batch 1 each); inputs quantized if the model takes int8.
    Returns (outputs concatenated, output (scale, zero_point))."""
    interp.allocate_tensors()
    din, dout = interp.get_input_details()[0], interp.get_output_details()[0]
    outs = []
    for sample in x:
        v = sample[np.newaxis]
        if din["dtype"] == np.int8:
            v = quantize_input(v, din["quantization"])
        interp.set_tensor(din["index"], v)
        interp.invoke()
        outs.append(np.array(interp.get_tensor(dout["index"])))
    return np.concatenate(outs), dout["quantization"]


def run_tflite(content, x, ref=True):
    kw = {"experimental_op_resolver_type": OpResolverType.BUILTIN_REF} if ref else {}
    return run_samples(TFLiteInterpreter(model_content=content, **kw), x)


def run_litert(content, x):
    interp = Interpreter(model_content=content)
    try:
        return run_samples(interp, x)
    except RuntimeError as exc:
        msg = str(exc)
        if ("INT8" in msg and "expected FLOAT32" in msg) or (
                "QUANTIZE" in msg and "is not supported by this runtime" in msg):
            pytest.skip(f"the installed litert runtime has no int8 kernel yet ({exc}); run "
                        "with LITERT_LIBRARY pointing at a build of the current tree")
        raise


def dequantize(q, quantization):
    scale, zp = quantization
    return (q.astype(np.float32) - zp) * scale


def int_agreement(ours, theirs):
    d = np.abs(ours.astype(np.int64) - theirs.astype(np.int64))
    return int(d.max()), float(np.mean(d == 0))


def keras_error(deq, want, quantization):
    """(argmax agreement, mean |err| in output steps, max |err| in output steps). The error
    is measured against Keras' output clipped to the range the int8 output represents: test
    values beyond the calibrated range saturate, as post-training quantization intends."""
    scale, zp = quantization
    agree = float(np.mean(deq.argmax(-1) == want.argmax(-1)))
    err = np.abs(deq - np.clip(want, scale * (-128 - zp), scale * (127 - zp)))
    return agree, float(err.mean() / scale), float(err.max() / scale)


def model_table(content):
    return fb.ModelT.InitFromPackedBuf(content, 0)


def tensor_quant(t):
    q = t.quantization
    if q is None or q.scale is None:
        return None
    return (np.asarray(q.scale, np.float64), np.asarray(q.zeroPoint, np.int64),
            q.quantizedDimension)


# ---- models -------------------------------------------------------------------------------

def _set_bn(bn, rng):
    c = bn.gamma.shape[0]
    bn.set_weights([rng.uniform(0.5, 1.5, c).astype("f"), rng.normal(0, 0.3, c).astype("f"),
                    rng.normal(0, 0.3, c).astype("f"), rng.uniform(0.5, 2.0, c).astype("f")])


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    inp = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(16, 3, padding="same", name="conv")(inp)
    bn = keras.layers.BatchNormalization(name="bn")
    x = keras.layers.ReLU(name="relu")(bn(x))
    y = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6", name="dw")(x)
    x = keras.layers.Add(name="residual")([x, y])
    x = keras.layers.MaxPooling2D(2, name="maxpool")(x)
    x = keras.layers.AveragePooling2D(2, name="avgpool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(24, activation="tanh", name="fc1")(x)
    x = keras.layers.Dense(6, activation="softmax", name="fc2")(x)
    model = keras.Model(inp, x)
    _set_bn(bn, rng)
    # Non-zero biases, so the int32 bias path is exercised.
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 0.2, layer.bias.shape).astype("f"))
    calib = rng.normal(size=(64, 12, 12, 3)).astype(np.float32)
    test = rng.normal(size=(60, 12, 12, 3)).astype(np.float32)
    content = convert(model, quantize="int8", calibration=calib)
    return dict(model=model, calib=calib, test=test, content=content,
                want=model.predict(test, verbose=0))


@pytest.fixture(scope="module")
def mlp():
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    inp = keras.Input((256,))
    x = keras.layers.Dense(256, activation="relu", name="h1")(inp)
    x = keras.layers.Dense(128, activation="relu", name="h2")(x)
    x = keras.layers.Dense(10, name="logits")(x)
    model = keras.Model(inp, x)
    calib = rng.normal(size=(128, 256)).astype(np.float32)
    test = rng.normal(size=(100, 256)).astype(np.float32)
    content = convert(model, quantize="int8", calibration=calib)
    return dict(model=model, calib=calib, test=test, content=content,
                want=model.predict(test, verbose=0))


# ---- runs in TensorFlow Lite and litert, equal to TensorFlow Lite's reference kernels -------

@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_litert_equals_tflite_reference_kernels(name, request):
    m = request.getfixturevalue(name)
    ref, ref_q = run_tflite(m["content"], m["test"], ref=True)
    ours, our_q = run_litert(m["content"], m["test"])
    assert ours.dtype == np.int8 and ref.dtype == np.int8
    assert our_q == ref_q
    max_diff, exact = int_agreement(ours, ref)
    assert max_diff <= MAX_INT_DIFF and exact >= EXACT_FRACTION, (
        f"{name}: litert vs TFLite reference kernels: max |diff| {max_diff}, exact {exact:.4f}")


@pytest.mark.parametrize("name", ["cnn", "mlp"])
def test_close_to_keras(name, request):
    m = request.getfixturevalue(name)
    for ref in (True, False):           # TFLite's reference and default kernels
        q, quant = run_tflite(m["content"], m["test"], ref=ref)
        agree, mean_steps, max_steps = keras_error(dequantize(q, quant), m["want"], quant)
        what = f"{name} ({'reference' if ref else 'default'} kernels)"
        assert agree >= ARGMAX_AGREEMENT, f"{what}: argmax agreement {agree:.3f}"
        assert mean_steps <= MEAN_ERR_STEPS, f"{what}: mean |err| {mean_steps:.2f} steps"
        assert max_steps <= MAX_ERR_STEPS, f"{what}: max |err| {max_steps:.2f} steps"


# ---- what the file holds ----------------------------------------------------------------

def test_cnn_file_follows_the_quantization_spec(cnn):
    model = model_table(cnn["content"])
    sg = model.subgraphs[0]
    kinds = [OPS[model.operatorCodes[op.opcodeIndex].builtinCode] for op in sg.operators]
    assert kinds == ["CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D",
                     "MEAN", "FULLY_CONNECTED", "TANH", "FULLY_CONNECTED", "SOFTMAX"], kinds
    for t_index in [*sg.inputs, *sg.outputs]:
        assert TYPES[sg.tensors[t_index].type] == "INT8"
    for op, kind in zip(sg.operators, kinds):
        ts = [sg.tensors[i] if i >= 0 else None for i in op.inputs]
        out = sg.tensors[op.outputs[0]]
        out_q = tensor_quant(out)
        assert TYPES[out.type] == "INT8" and out_q is not None and out_q[0].size == 1, kind
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            x, w, b = ts[0], ts[1], ts[2]
            wq, bq = tensor_quant(w), tensor_quant(b)
            dim = 3 if kind == "DEPTHWISE_CONV_2D" else 0
            assert TYPES[w.type] == "INT8" and wq[2] == dim and wq[0].size == w.shape[dim]
            assert np.all(wq[1] == 0)
            data = np.frombuffer(bytes(model.buffers[w.buffer].data), np.int8)
            assert data.min() >= -127, f"{kind}: symmetric weights use [-127, 127]"
            assert TYPES[b.type] == "INT32" and np.all(bq[1] == 0)
            np.testing.assert_allclose(bq[0], tensor_quant(x)[0][0] * wq[0], rtol=1e-6)
        if kind in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
            in_q = tensor_quant(ts[0])
            assert in_q[0][0] == out_q[0][0] and in_q[1][0] == out_q[1][0], kind
        if kind == "SOFTMAX":
            assert out_q[0][0] == np.float32(1 / 256) and out_q[1][0] == -128
        if kind == "TANH":
            assert out_q[0][0] == np.float32(1 / 128) and out_q[1][0] == 0
        if kind == "CONV_2D":      # fused ReLU: range starts at 0 -> zero point -128
            assert out_q[1][0] == -128


def test_float_io_wraps_the_int8_model(cnn):
    content = convert(cnn["model"], quantize="int8", calibration=cnn["calib"], io_dtype="float")
    model = model_table(content)
    sg = model.subgraphs[0]
    kinds = [OPS[model.operatorCodes[op.opcodeIndex].builtinCode] for op in sg.operators]
    assert kinds[0] == "QUANTIZE" and kinds[-1] == "DEQUANTIZE", kinds
    assert TYPES[sg.tensors[sg.inputs[0]].type] == "FLOAT32"
    assert TYPES[sg.tensors[sg.outputs[0]].type] == "FLOAT32"
    x = cnn["test"][:20]
    got, _ = run_tflite(content, x, ref=True)
    q, quant = run_tflite(cnn["content"], x, ref=True)
    # Same integer graph inside: the float output is the int8 model's output dequantized.
    np.testing.assert_allclose(got, dequantize(q, quant), rtol=0, atol=1e-7)
    ours, _ = run_litert(content, x)
    assert float(np.max(np.abs(ours - got))) <= quant[0] * MAX_INT_DIFF + 1e-7


def test_mlp_file_is_small(mlp):
    float_size = len(convert(mlp["model"]))
    ratio = len(mlp["content"]) / float_size
    assert ratio <= SIZE_RATIO, f"int8 file is {ratio:.3f}x the float file ({float_size} B)"


def test_concatenate_shares_parameters_and_matches_reference():
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    inp = keras.Input((8, 8, 4))
    a = keras.layers.Conv2D(6, 3, padding="same", name="branch_a")(inp)
    b = keras.layers.Conv2D(5, 1, activation="relu", name="branch_b")(inp)
    x = keras.layers.Concatenate(name="concat")([a, b])
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(4, name="out")(x)
    model = keras.Model(inp, x)
    calib = rng.normal(size=(32, 8, 8, 4)).astype(np.float32)
    test = rng.normal(size=(20, 8, 8, 4)).astype(np.float32)
    content = convert(model, quantize="int8", calibration=calib)
    m = model_table(content)
    sg = m.subgraphs[0]
    concat = next(op for op in sg.operators
                  if OPS[m.operatorCodes[op.opcodeIndex].builtinCode] == "CONCATENATION")
    params = {tuple(map(tuple, tensor_quant(sg.tensors[i])[:2]))
              for i in [*concat.inputs, *concat.outputs]}
    assert len(params) == 1, f"CONCATENATION inputs/output have different params {params}"
    ref, quant = run_tflite(content, test, ref=True)
    ours, _ = run_litert(content, test)
    max_diff, exact = int_agreement(ours, ref)
    assert max_diff <= MAX_INT_DIFF and exact >= EXACT_FRACTION, (max_diff, exact)
    want = model.predict(test, verbose=0)
    _, mean_steps, max_steps = keras_error(dequantize(ref, quant), want, quant)
    assert mean_steps <= MEAN_ERR_STEPS and max_steps <= MAX_ERR_STEPS, (mean_steps, max_steps)


# ---- calibration data forms, determinism, errors ------------------------------------------

def test_calibration_forms_give_the_same_file(mlp):
    calib = mlp["calib"]
    as_batches = [calib[i:i + 16] for i in range(0, len(calib), 16)]

    def gen():
        for i in range(len(calib)):
            yield [calib[i]]           # one sample, no batch axis, in a list (TF style)

    by_name = {mlp["model"].layers[0].name: calib}     # the InputLayer name, as in an .npz
    for label, form in (("list of batches", as_batches), ("generator of samples", gen()),
                        ("dict of inputs", by_name)):
        assert convert(mlp["model"], quantize="int8", calibration=form) == mlp["content"], label


def test_errors(mlp):
    with pytest.raises(ConversionError, match="calibration"):
        convert(mlp["model"], quantize="int8")
    with pytest.raises(ConversionError, match=r"shape \[4, 32\]; expected \[batch, 256\]"):
        convert(mlp["model"], quantize="int8", calibration=np.zeros((4, 32), np.float32))
    with pytest.raises(ConversionError, match="io_dtype"):
        convert(mlp["model"], quantize="int8", calibration=mlp["calib"], io_dtype="uint8")
    with pytest.raises(ConversionError, match="calibration= applies to quantize='int8'"):
        convert(mlp["model"], quantize="dynamic", calibration=mlp["calib"])


def test_op_without_int8_kernel_names_the_layer():
    inp = keras.Input((8,))
    x = keras.layers.Dense(8, name="d")(inp)
    x = keras.layers.Activation("exponential", name="expo")(x)
    model = keras.Model(inp, x)
    with pytest.raises(ConversionError, match=r"layer 'expo'.*op EXP has no int8 kernel"):
        convert(model, quantize="int8", calibration=np.ones((4, 8), np.float32))


# ---- TensorFlow's own int8 converter on the same model and data -------------------------

def test_accuracy_comparable_to_tensorflow_converter(cnn, capsys):
    tf = pytest.importorskip("tensorflow")
    conv = tf.lite.TFLiteConverter.from_keras_model(cnn["model"])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    calib = cnn["calib"]

    def representative():
        for i in range(len(calib)):
            yield [calib[i:i + 1]]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    theirs_content = conv.convert()
    rows = {}
    for label, content in (("litert", cnn["content"]), ("tensorflow", theirs_content)):
        q, quant = run_tflite(content, cnn["test"], ref=True)
        deq = dequantize(q, quant)
        agree, mean_steps, max_steps = keras_error(deq, cnn["want"], quant)
        rows[label] = (agree, float(np.abs(deq - cnn["want"]).mean()),
                       float(np.abs(deq - cnn["want"]).max()), len(content))
    with capsys.disabled():
        for label, (agree, mean_err, max_err, size) in rows.items():
            print(f"\n[int8 vs Keras] {label:10s} argmax {agree:.3f} mean|err| {mean_err:.5f} "
                  f"max|err| {max_err:.5f} size {size} B")
    step = 1 / 256
    assert rows["litert"][0] >= rows["tensorflow"][0] - 0.05
    assert rows["litert"][1] <= 1.5 * rows["tensorflow"][1] + step


# ---- command line -------------------------------------------------------------------------

def test_cli_int8(mlp, tmp_path):
    src = tmp_path / "mlp.keras"
    mlp["model"].save(src)
    data = tmp_path / "calib.npy"
    np.save(data, mlp["calib"])
    out = tmp_path / "mlp_int8.tflite"
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "litert.converter.cli", str(src),
                           "--quantize", "int8", "--calibration", str(data), "--io", "int8",
                           "-o", str(out)], capture_output=True, text=True, env=env,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    assert out.read_bytes() == mlp["content"]
    q, quant = run_tflite(out.read_bytes(), mlp["test"][:10], ref=True)
    assert q.dtype == np.int8
    missing = subprocess.run([sys.executable, "-m", "litert.converter.cli", str(src),
                              "--quantize", "int8", "-o", str(out)], capture_output=True,
                             text=True, env=env,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert missing.returncode == 2 and "--calibration" in missing.stderr
