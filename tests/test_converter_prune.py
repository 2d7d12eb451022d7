"""Pruning: convert(..., prune=, prune_block=) and litert-convert --prune (magnitude pruning
of conv / depthwise / dense weights, stored in TensorFlow Lite's sparse format), and
prune.prune_and_finetune (gradual pruning while training a copy of a Keras model).

References: masks recomputed here with NumPy (a threshold on block magnitudes), the Keras
model with those masks applied (model.predict), TensorFlow's own converter's sparse encoding
of the same weights, and TensorFlow Lite's interpreter (whose DENSIFY output is read back to
check the stored weights element by element). TensorFlow Lite runs the files with
BUILTIN_WITHOUT_DEFAULT_DELEGATES: its XNNPACK delegate refuses sparse / int8 weights behind
DENSIFY, also in files written by TensorFlow's converter."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")
import litert_schema as fb  # noqa: E402
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402
from ai_edge_litert.interpreter import OpResolverType  # noqa: E402

from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402
from litert.converter.prune import magnitude_mask, prune_and_finetune  # noqa: E402
from litert.converter.prune.sparse_format import decode, encode  # noqa: E402

SPARSE_UNSUPPORTED = "sparse tensors are not supported yet"
OPS = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
BLOCK_SHAPES = {"1x1": (1, 1), "1x4": (1, 4), "4x1": (4, 1)}
FLOAT_TOL = 1e-5        # relative to the output scale: float32 summation order only
F16_TOL = 2e-3
DYNAMIC_TOL = 5e-2
INT8_TOL = 5e-2


# ---- references ----------------------------------------------------------------------------

def reference_keep(w: np.ndarray, sparsity: float, block) -> np.ndarray:
    """Keep-mask by thresholding the mean |w| of each block (dimension 0 by b0, the last
    dimension by b1) at the k-th smallest block score."""
    b0, b1 = block
    d0, dl = w.shape[0], w.shape[-1]
    score = np.abs(w.astype(np.float64)).reshape(d0 // b0, b0, -1, dl // b1, b1).mean((1, 4))
    k = int(round(sparsity * score.size))
    keep = score > np.sort(score.ravel())[k - 1] if k else np.ones_like(score, bool)
    return np.broadcast_to(keep[:, None, :, :, None],
                           (d0 // b0, b0, keep.shape[1], dl // b1, b1)).reshape(w.shape)


def keras_pruned_copy(model, sparsity, block):
    """A copy of `model` whose Dense / Conv2D / DepthwiseConv2D kernels carry the reference
    masks (computed in TensorFlow Lite's layout)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        kind = type(layer).__name__
        k = layer.kernel.numpy() if kind in ("Dense", "Conv2D", "DepthwiseConv2D") else None
        if k is None:
            continue
        if kind == "Dense":
            keep = reference_keep(k.T, sparsity, block).T
        elif kind == "Conv2D":
            keep = reference_keep(k.transpose(3, 0, 1, 2), sparsity, block).transpose(1, 2, 3, 0)
        else:
            keep = reference_keep(k.reshape(1, *k.shape[:2], -1), sparsity, block).reshape(k.shape)
        layer.kernel.assign(np.where(keep, k, 0))
    return copy


def tflite(content, preserve=False):
    interp = TFLiteInterpreter(model_content=content,
                               experimental_op_resolver_type=(
                                   OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES),
                               experimental_preserve_all_tensors=preserve)
    interp.allocate_tensors()
    return interp


def litert_or_skip(content):
    interp = Interpreter(model_content=content)
    try:
        interp.allocate_tensors()
    except (RuntimeError, ValueError) as exc:
        if SPARSE_UNSUPPORTED in str(exc):
            pytest.skip(SPARSE_UNSUPPORTED)
        raise
    return interp


def run(interp, x):
    """Float outputs for the float rows of `x` (quantizing / dequantizing int8 model IO)."""
    i, o = interp.get_input_details()[0], interp.get_output_details()[0]
    outs = []
    for row in x:
        row = row[None]
        if i["dtype"] == np.int8:
            s, z = i["quantization"]
            row = np.clip(np.round(row / s + z), -128, 127).astype(np.int8)
        interp.set_tensor(i["index"], row)
        interp.invoke()
        y = interp.get_tensor(o["index"])
        if o["dtype"] == np.int8:
            s, z = o["quantization"]
            y = (y.astype(np.float32) - z) * s
        outs.append(y[0])
    return np.stack(outs)


def assert_close(got, want, rel, what):
    scale = float(np.max(np.abs(want)))
    err = float(np.max(np.abs(got - want)))
    assert err <= rel * scale, f"{what}: max |diff| {err:.3g} > {rel} x output scale {scale:.3g}"


class File:
    """A .tflite file read back with the schema's object API."""

    def __init__(self, content):
        self.model = fb.ModelT.InitFromPackedBuf(content, 0)
        self.sg = self.model.subgraphs[0]

    def ops(self):
        return [(OPS[max(self.model.operatorCodes[o.opcodeIndex].builtinCode,
                         self.model.operatorCodes[o.opcodeIndex].deprecatedBuiltinCode)],
                 self.model.operatorCodes[o.opcodeIndex].version, list(o.inputs), list(o.outputs))
                for o in self.sg.operators]

    def sparse_tensors(self):
        return [i for i, t in enumerate(self.sg.tensors) if t.sparsity is not None]

    def name(self, i):
        return self.sg.tensors[i].name.decode()


# ---- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mlp():
    """Dense 128 -> 256 (relu) -> 128 (relu) -> 16: every weight tiled by 1x4 and 4x1."""
    keras.utils.set_random_seed(7)
    inp = keras.Input((128,))
    h = keras.layers.Dense(256, activation="relu")(inp)
    h = keras.layers.Dense(128, activation="relu")(h)
    model = keras.Model(inp, keras.layers.Dense(16)(h))
    x = np.random.default_rng(1).random((4, 128), dtype=np.float32)
    return model, x, convert(model)


@pytest.fixture(scope="module")
def cnn():
    keras.utils.set_random_seed(3)
    inp = keras.Input((10, 10, 8))
    # Explicit names: the test looks the weights up by layer name, and Keras' automatic names
    # get numbered suffixes once other tests have built layers in the same process.
    h = keras.layers.Conv2D(16, 3, activation="relu", name="conv2d")(inp)
    h = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise_conv2d")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inp, keras.layers.Dense(8)(h))
    x = np.random.default_rng(2).random((2, 10, 10, 8), dtype=np.float32)
    return model, x


# ---- masks and encoding --------------------------------------------------------------------

@pytest.mark.parametrize("block", BLOCK_SHAPES)
def test_magnitude_mask_matches_threshold_reference(block):
    w = np.random.default_rng(0).normal(size=(16, 3, 3, 32)).astype(np.float32)
    keep = magnitude_mask(w, 0.7, BLOCK_SHAPES[block])
    np.testing.assert_array_equal(keep, reference_keep(w, 0.7, BLOCK_SHAPES[block]),
                                  err_msg=f"{block} mask")
    b0, b1 = BLOCK_SHAPES[block]
    n_blocks = w.size // (b0 * b1)
    assert (~keep).sum() == round(0.7 * n_blocks) * b0 * b1, f"{block}: pruned count"


def test_mask_of_untiled_weight_falls_back_to_elements():
    w = np.random.default_rng(0).normal(size=(6, 10)).astype(np.float32)
    with pytest.warns(UserWarning, match="not tiled by 4x1 blocks"):
        keep = magnitude_mask(w, 0.5, (4, 1))
    np.testing.assert_array_equal(keep, reference_keep(w, 0.5, (1, 1)))


def _tf_sparse_weights(model):
    """(shape -> (values, SparsityParametersT)) of TensorFlow's converter's sparse file."""
    import tensorflow as tf
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
    f = File(conv.convert())
    out = {}
    for i in f.sparse_tensors():
        t = f.sg.tensors[i]
        out[tuple(t.shape)] = (np.frombuffer(bytes(f.model.buffers[t.buffer].data), np.float32),
                               t.sparsity)
    return out


def test_encoding_equals_tensorflows_converter():
    """Weights pruned element-wise ([24, 300]: uint16 segments) and in 1x4 blocks
    ([16, 24]): our encoding equals what TensorFlow's converter writes for them."""
    keras.utils.set_random_seed(5)
    inp = keras.Input((300,))
    h = keras.layers.Dense(24, use_bias=False)(inp)
    model = keras.Model(inp, keras.layers.Dense(16, use_bias=False)(h))
    model.layers[1].kernel.assign(
        np.where(reference_keep(model.layers[1].kernel.numpy().T, 0.75, (1, 1)).T,
                 model.layers[1].kernel.numpy(), 0))
    model.layers[2].kernel.assign(
        np.where(reference_keep(model.layers[2].kernel.numpy().T, 0.75, (1, 4)).T,
                 model.layers[2].kernel.numpy(), 0))
    theirs = _tf_sparse_weights(model)
    for layer, block in ((model.layers[1], (1, 1)), (model.layers[2], (1, 4))):
        w = layer.kernel.numpy().T
        values, ours = encode(w, block)
        tf_values, tf_sp = theirs[w.shape]
        what = f"{list(w.shape)} in {block} blocks"
        assert list(tf_sp.traversalOrder) == ours["traversal_order"], what
        assert list(tf_sp.blockMap if tf_sp.blockMap is not None else []) == ours["block_map"]
        assert len(tf_sp.dimMetadata) == len(ours["dim_metadata"]), what
        for d_tf, d_us in zip(tf_sp.dimMetadata, ours["dim_metadata"]):
            assert d_tf.format == d_us["format"], what
            if d_tf.format == fb.DimensionType.DENSE:
                assert d_tf.denseSize == d_us["dense_size"], what
            else:
                for tf_vec, tf_type, ours_arr in (
                        (d_tf.arraySegments, d_tf.arraySegmentsType, d_us["array_segments"]),
                        (d_tf.arrayIndices, d_tf.arrayIndicesType, d_us["array_indices"])):
                    want_type = {np.dtype(np.uint8): fb.SparseIndexVector.Uint8Vector,
                                 np.dtype(np.uint16): fb.SparseIndexVector.Uint16Vector,
                                 np.dtype(np.int32): fb.SparseIndexVector.Int32Vector}
                    assert tf_type == want_type[ours_arr.dtype], f"{what}: index vector type"
                    np.testing.assert_array_equal(np.asarray(tf_vec.values), ours_arr,
                                                  err_msg=what)
        np.testing.assert_array_equal(tf_values, values, err_msg=what)


@pytest.mark.parametrize("shape, block", [
    ((8, 12), "1x1"), ((8, 12), "1x4"), ((8, 12), "4x1"),
    ((16, 3, 3, 8), "1x1"), ((16, 3, 3, 8), "1x4"), ((16, 3, 3, 8), "4x1"),
    ((1, 3, 3, 16), "1x1"), ((1, 3, 3, 16), "1x4")])
def test_encode_decode_roundtrip(shape, block):
    w = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    w = np.where(reference_keep(w, 0.6, BLOCK_SHAPES[block]), w, 0)
    values, sparsity = encode(w, BLOCK_SHAPES[block])
    assert values.size == np.count_nonzero(w), f"{shape} {block}: only nonzeros stored"
    np.testing.assert_array_equal(decode(values, sparsity, shape), w)


def test_index_vectors_use_the_smallest_type():
    w = np.zeros((2, 70000), np.float32)
    w[0, 3] = 1.0
    w[1, 69999] = 2.0
    _, sp = encode(w)
    csr = sp["dim_metadata"][1]
    assert csr["array_segments"].dtype == np.uint8       # segments 0, 1, 2
    assert csr["array_indices"].dtype == np.int32        # 69999 > 65535
    _, sp = encode(w[:, :300])
    assert sp["dim_metadata"][1]["array_indices"].dtype == np.uint16


# ---- converted files -----------------------------------------------------------------------

@pytest.mark.parametrize("block", BLOCK_SHAPES)
def test_pruned_float_mlp_is_smaller_and_matches_keras(mlp, block):
    model, x, dense = mlp
    content = convert(model, prune=0.75, prune_block=block)
    assert len(content) <= 0.45 * len(dense), f"{block}: {len(content)} vs dense {len(dense)}"
    ref = keras_pruned_copy(model, 0.75, BLOCK_SHAPES[block])
    want = ref.predict(x, verbose=0)
    interp = tflite(content, preserve=True)
    assert_close(run(interp, x), want, FLOAT_TOL, f"{block} float in TFLite")

    f = File(content)
    assert len(f.sparse_tensors()) == 3, f"{block}: every weight stored sparse"
    kernels = {layer.name: layer.kernel.numpy().T for layer in ref.layers[1:]}
    for kind, version, ins, outs in f.ops():
        if kind != "FULLY_CONNECTED":
            continue
        w = ins[1]
        if block == "1x4":   # TensorFlow Lite's sparse kernel reads 1x4 blocks directly
            assert version == 8 and w in f.sparse_tensors(), "1x4 weights read directly"
        else:
            assert w not in f.sparse_tensors(), f"{block}: weights go through DENSIFY"
            densify = [op for op in f.ops() if op[3] == [w]]
            assert densify and densify[0][0] == "DENSIFY", f"{block}: DENSIFY produces them"
            layer = f.name(w).split("/")[0]
            np.testing.assert_array_equal(interp.get_tensor(w), kernels[layer],
                                          err_msg=f"{block}: densified {layer} weights")
    assert_close(run(litert_or_skip(content), x), want, FLOAT_TOL, f"{block} float in litert")


@pytest.mark.parametrize("block", ["1x1", "1x4"])
@pytest.mark.parametrize("mode", ["float16", "dynamic", "int8"])
def test_pruned_quantized_mlp(mlp, mode, block):
    model, x, dense = mlp
    extra = {}
    if mode == "int8":
        extra = dict(calibration=np.random.default_rng(3).random((64, 128), dtype=np.float32))
    content = convert(model, prune=0.75, prune_block=block, quantize=mode, **extra)
    unpruned = convert(model, quantize=mode, **extra)
    assert len(content) < 0.8 * len(unpruned), f"{mode} {block}: pruning saves space"
    limit = {"float16": 0.26, "dynamic": 0.2, "int8": 0.2}[mode]
    if mode == "int8" and block == "1x4":
        limit = 0.15
    assert len(content) <= limit * len(dense), (
        f"{mode} {block}: {len(content)} bytes > {limit} x float file {len(dense)}")

    f = File(content)
    sparse = f.sparse_tensors()
    assert sparse, f"{mode} {block}: weights stored sparse"
    ops = f.ops()
    for i in sparse:
        readers = [op for op in ops if i in op[2]]
        assert len(readers) == 1, f"{mode}: one reader of {f.name(i)}"
        kind, _, _, outs = readers[0]
        assert kind == "DENSIFY", f"{mode}: {f.name(i)} read through DENSIFY, not {kind}"
        if mode == "float16":   # TensorFlow's order: DENSIFY (float16) then DEQUANTIZE
            assert f.sg.tensors[i].type == fb.TensorType.FLOAT16
            nxt = [op for op in ops if outs[0] in op[2]]
            assert [op[0] for op in nxt] == ["DEQUANTIZE"], f"{f.name(i)}: then DEQUANTIZE"
        else:
            assert f.sg.tensors[i].type == fb.TensorType.INT8
            q = f.sg.tensors[outs[0]].quantization
            assert q is not None and len(q.scale) > 1, "densified int8 weights per channel"

    want = keras_pruned_copy(model, 0.75, BLOCK_SHAPES[block]).predict(x, verbose=0)
    tol = {"float16": F16_TOL, "dynamic": DYNAMIC_TOL, "int8": INT8_TOL}[mode]
    theirs = run(tflite(content), x)
    assert_close(theirs, want, tol, f"{mode} {block} in TFLite")
    ours = run(litert_or_skip(content), x)
    assert_close(ours, want, tol, f"{mode} {block} in litert")
    if mode != "dynamic":   # same arithmetic as TFLite (hybrid rounding may differ slightly)
        assert_close(ours, theirs, 1e-5 if mode == "float16" else 1e-6,
                     f"{mode} {block}: litert vs TFLite")


@pytest.mark.parametrize("block", BLOCK_SHAPES)
def test_pruned_conv_depthwise_dense(cnn, block):
    model, x = cnn
    with warnings.catch_warnings():
        # 4x1 does not tile the depthwise filter [1, 3, 3, 32]: pruned element-wise.
        warnings.simplefilter("ignore", UserWarning)
        content = convert(model, prune=0.8, prune_block=block)
    f = File(content)
    names = {f.name(i).split("/")[0] for i in f.sparse_tensors()}
    assert {"conv2d", "depthwise_conv2d"} <= names, f"{block}: conv filters stored sparse"
    ref_block = BLOCK_SHAPES[block]
    ref = keras.models.clone_model(model)
    ref.set_weights(model.get_weights())
    for layer in ref.layers:
        kind = type(layer).__name__
        if kind not in ("Dense", "Conv2D", "DepthwiseConv2D"):
            continue
        k = layer.kernel.numpy()
        fmt = {"Dense": lambda a: a.T, "Conv2D": lambda a: a.transpose(3, 0, 1, 2),
               "DepthwiseConv2D": lambda a: a.reshape(1, 3, 3, -1)}[kind](k)
        b = ref_block if fmt.shape[0] % ref_block[0] == 0 else (1, 1)
        keep = reference_keep(fmt, 0.8, b)
        keep = {"Dense": lambda a: a.T, "Conv2D": lambda a: a.transpose(1, 2, 3, 0),
                "DepthwiseConv2D": lambda a: a.reshape(k.shape)}[kind](keep)
        layer.kernel.assign(np.where(keep, k, 0))
    want = ref.predict(x, verbose=0)
    assert_close(run(tflite(content), x), want, FLOAT_TOL, f"conv {block} in TFLite")
    assert_close(run(litert_or_skip(content), x), want, FLOAT_TOL, f"conv {block} in litert")


def test_prune_zero_stores_existing_zeros_and_keeps_the_model(mlp):
    model, x, dense = mlp
    before = [w.copy() for w in model.get_weights()]
    pruned = keras_pruned_copy(model, 0.8, (1, 1))
    content = convert(pruned, prune=0.0)
    assert len(content) <= 0.4 * len(dense)
    assert_close(run(tflite(content), x), pruned.predict(x, verbose=0), FLOAT_TOL,
                 "prune=0 of a pruned model")
    convert(model, prune=0.5)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b, err_msg="convert(prune=) changed the Keras model")


def test_weights_stay_dense_when_sparse_is_not_smaller(mlp):
    model, x, dense = mlp
    content = convert(model, prune=0.1)      # 10% zeros: indices cost more than they save
    assert File(content).sparse_tensors() == []
    assert "DENSIFY" not in [op[0] for op in File(content).ops()]
    assert_close(run(tflite(content), x),
                 keras_pruned_copy(model, 0.1, (1, 1)).predict(x, verbose=0), FLOAT_TOL,
                 "10% pruned, stored dense")


@pytest.mark.parametrize("kwargs, match", [
    (dict(prune=0.99), r"sparsity must be in \[0, 0.95\]"),
    (dict(prune=-0.1), r"sparsity must be in \[0, 0.95\]"),
    (dict(prune=0.5, prune_block="2x2"), "block '2x2' is not one of 1x1, 1x4, 4x1"),
])
def test_bad_prune_arguments(mlp, kwargs, match):
    with pytest.raises(ConversionError, match=match):
        convert(mlp[0], **kwargs)


def test_cli_prune(mlp, tmp_path, capsys):
    from litert.converter.cli import main
    model, x, dense = mlp
    path = tmp_path / "mlp.keras"
    model.save(path)
    out = tmp_path / "mlp_pruned.tflite"
    assert main([str(path), "--prune", "0.75", "--prune-block", "1x4", "--quantize", "dynamic",
                 "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert out.stat().st_size <= 0.2 * len(dense)
    assert_close(run(tflite(out.read_bytes()), x),
                 keras_pruned_copy(model, 0.75, (1, 4)).predict(x, verbose=0), DYNAMIC_TOL,
                 "CLI --prune 0.75 --prune-block 1x4 --quantize dynamic")
    with pytest.raises(SystemExit) as exc:
        main([str(path), "--prune", "0.97", "-o", str(out)])
    assert exc.value.code == 2
    assert "--prune must be in [0, 0.95]" in capsys.readouterr().err


# ---- prune_and_finetune --------------------------------------------------------------------

def test_prune_and_finetune_reaches_sparsity_and_keeps_accuracy():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 16)).astype(np.float32)
    y = np.argmax(x @ rng.normal(size=(16, 3)), axis=1)
    inp = keras.Input((16,))
    h = keras.layers.Dense(128, activation="relu")(inp)
    model = keras.Model(inp, keras.layers.Dense(4)(h))     # 4 outputs: tiled by 4x1 too
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=5, verbose=0)
    dense_acc = model.evaluate(x, y, verbose=0)[1]
    before = [w.copy() for w in model.get_weights()]
    assert dense_acc >= 0.95, "the dense model learns the problem"

    for block in ("1x4", "4x1"):
        pruned = prune_and_finetune(model, x, y, sparsity=0.75, epochs=3, block=block,
                                    batch_size=32)
        b0, b1 = BLOCK_SHAPES[block]
        for layer in pruned.layers[1:]:
            w = layer.kernel.numpy().T                       # [out, in]
            zeros = w == 0
            assert abs(zeros.mean() - 0.75) <= b0 * b1 / w.size + 1e-9, (
                f"{block} {layer.name}: sparsity {zeros.mean():.3f}")
            blocks = zeros.reshape(w.shape[0] // b0, b0, w.shape[1] // b1, b1)
            assert np.all(blocks.all(axis=(1, 3)) == blocks.any(axis=(1, 3))), (
                f"{block} {layer.name}: zeros come in whole blocks")
        acc = pruned.evaluate(x, y, verbose=0)[1]
        one_shot = keras_pruned_copy(model, 0.75, (b0, b1))
        one_shot.compile(loss=model.loss, metrics=["accuracy"])
        one_shot_acc = one_shot.evaluate(x, y, verbose=0)[1]
        assert acc >= 0.9 and acc > one_shot_acc, (
            f"{block}: accuracy {acc:.3f} after pruning with fine-tuning (dense "
            f"{dense_acc:.3f}, pruned without fine-tuning {one_shot_acc:.3f})")
        content = convert(pruned, prune=0.0, prune_block=block)
        assert File(content).sparse_tensors(), f"{block}: fine-tuned weights stored sparse"
        assert_close(run(tflite(content), x[:4]), pruned.predict(x[:4], verbose=0), FLOAT_TOL,
                     f"{block}: fine-tuned model in TFLite")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b, err_msg="prune_and_finetune changed the model")
