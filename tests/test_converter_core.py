"""The converter's core: the Keras graph walk, the flatbuffer writer, the graph passes, and the
core and activation layers. Every converted model runs in litert and in TensorFlow Lite's
interpreter and is compared with Keras' own output.

Tolerances: rtol 1e-4, atol 1e-5 for float32 results of small models (one or two layers), as
both runtimes and Keras compute in float32 in different orders; unary transcendental
activations (sigmoid, tanh, gelu, elu, exp, ...) allow atol 1e-5 / rtol 1e-4 too, with
TensorFlow Lite's XNNPACK delegate bumped to atol 2e-5 where its polynomial approximations
differ (stated per test)."""
from __future__ import annotations

import functools
import os

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402

import litert_schema as fb  # noqa: E402
from litert import Interpreter  # noqa: E402
from litert.converter import ConversionError, convert, convert_file, model_info  # noqa: E402
from litert.converter import ir, registry  # noqa: E402
from litert.converter.passes import (  # noqa: E402
    dead_ops, fold_affine, fold_constants, fuse_activation, run_passes)
from litert.converter.writer import write  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5


# -- helpers ----------------------------------------------------------------------------------

def keras_outputs(model, inputs):
    out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return [np.asarray(o) for o in keras.tree.flatten(out)]


def run(interpreter_cls, content, inputs):
    interp = interpreter_cls(model_content=content)
    details = interp.get_input_details()
    for d, x in zip(details, inputs):
        if tuple(d["shape"]) != x.shape:
            interp.resize_tensor_input(d["index"], list(x.shape))
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def check_model(model, inputs, *, rtol=RTOL, atol=ATOL, what="", optimize=True):
    """Converts `model`, runs it in litert and TensorFlow Lite on `inputs` and compares every
    output with Keras. Returns the .tflite bytes."""
    content = convert(model, optimize=optimize)
    expected = keras_outputs(model, inputs)
    for name, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        got = run(cls, content, inputs)
        assert len(got) == len(expected), f"{what}: {name} gives {len(got)} outputs"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape, f"{what}: {name} output {i} shape {g.shape} != {e.shape}"
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol,
                                       err_msg=f"{what}: {name} output {i} vs Keras")
    return content


def op_kinds(content):
    m = fb.ModelT.InitFromPackedBuf(content, 0)
    codes = [oc.builtinCode for oc in m.operatorCodes]
    names = {v: k for k, v in vars(fb.BuiltinOperator).items() if isinstance(v, int)}
    return [names[codes[op.opcodeIndex]] for op in m.subgraphs[0].operators]


def model_t(content):
    return fb.ModelT.InitFromPackedBuf(content, 0)


def rand(*shape, seed=0, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)


def mlp(activation="relu", units=(16, 4), name="x"):
    inp = keras.Input((8,), name=name)
    y = inp
    for i, u in enumerate(units):
        y = keras.layers.Dense(u, activation=activation if i == 0 else None,
                               name=f"dense_{i}")(y)
    return keras.Model(inp, y)


# -- models: Sequential, functional, nested, shared -------------------------------------------

def test_sequential_mlp_with_dropout_matches_keras_and_fuses_relu():
    model = keras.Sequential([keras.Input((8,), name="features"),
                              keras.layers.Dense(16, activation="relu", name="hidden"),
                              keras.layers.Dropout(0.5),
                              keras.layers.Dense(4, activation="softmax", name="probs")])
    content = check_model(model, [rand(1, 8)], what="Sequential MLP")
    assert op_kinds(content) == ["FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]
    m = model_t(content)
    fc = m.subgraphs[0].operators[0]
    assert fc.builtinOptions.fusedActivationFunction == 1      # RELU fused into the first FC
    sig = m.signatureDefs[0]
    assert sig.signatureKey == b"serving_default"
    assert [t.name for t in sig.inputs] == [b"features"]
    assert [t.name for t in sig.outputs] == [b"probs"]


def test_sequential_built_with_build_call():
    model = keras.Sequential([keras.layers.Dense(5, activation="tanh"), keras.layers.Dense(3)])
    model.build((None, 6))
    check_model(model, [rand(1, 6)], what="Sequential built by build()")


def test_unbuilt_sequential_is_an_error():
    model = keras.Sequential([keras.layers.Dense(5)])
    with pytest.raises(ConversionError, match="no known input shape"):
        convert(model)


def test_dynamic_batch_runs_with_other_batch_sizes():
    model = mlp()
    content = convert(model)
    t = model_t(content).subgraphs[0].tensors
    inp = t[model_t(content).subgraphs[0].inputs[0]]
    assert list(inp.shape) == [1, 8] and list(inp.shapeSignature) == [-1, 8]
    x = rand(3, 8)
    expected = keras_outputs(model, [x])[0]
    for cls in (Interpreter, TFLiteInterpreter):
        np.testing.assert_allclose(run(cls, content, [x])[0], expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"batch 3 in {cls.__module__}")


def test_functional_multi_input_multi_output_shared_and_nested():
    # A nested Sequential model used as a layer, a layer shared by two inputs, dict outputs.
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3)], name="inner")
    shared = keras.layers.Dense(6, activation="tanh", name="shared")
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    ya = shared(a)
    yb = inner(shared(b))
    model = keras.Model([a, b], {"left": ya, "right": yb})
    xa, xb = rand(1, 4, seed=1), rand(1, 4, seed=2)
    content = check_model(model, [xa, xb], what="multi-input/output, shared, nested")
    sig = model_t(content).signatureDefs[0]
    assert [t.name for t in sig.inputs] == [b"a", b"b"]
    assert [t.name for t in sig.outputs] == [b"left", b"right"]
    # The TensorFlow Lite signature runner finds the outputs by their Keras names.
    runner = TFLiteInterpreter(model_content=content).get_signature_runner("serving_default")
    got = runner(a=xa, b=xb)
    expected = model([xa, xb])
    for key in ("left", "right"):
        np.testing.assert_allclose(got[key], np.asarray(expected[key]), rtol=RTOL, atol=ATOL)
    # The shared layer's weights are stored once although the layer is emitted twice.
    m = model_t(content)
    fc_weights = [t for t in m.subgraphs[0].tensors if t.name.startswith(b"shared/kernel")]
    assert len(fc_weights) == 2 and fc_weights[0].buffer == fc_weights[1].buffer


def test_nested_functional_model_with_two_inputs():
    i1, i2 = keras.Input((3,)), keras.Input((3,))
    inner = keras.Model([i1, i2], [keras.layers.Dense(2, name="p")(i1),
                                   keras.layers.Dense(2, name="q")(i2)], name="inner2")
    x, y = keras.Input((3,), name="x"), keras.Input((3,), name="y")
    p, q = inner([x, y])
    outer = keras.Model([x, y], [keras.layers.Dense(4, activation="sigmoid", name="top")(p), q])
    check_model(outer, [rand(1, 3, seed=3), rand(1, 3, seed=4)], what="nested functional")


def test_output_that_is_an_input_or_repeated_gets_its_own_tensor():
    inp = keras.Input((4,), name="x")
    passthrough = keras.layers.Dropout(0.1)(inp)        # no op: the output is the input
    d = keras.layers.Dense(3, name="d")(inp)
    model = keras.Model(inp, [passthrough, d, d])
    content = check_model(model, [rand(1, 4)], what="output aliasing")
    sg = model_t(content).subgraphs[0]
    assert len(set(sg.outputs)) == 3 and sg.inputs[0] not in list(sg.outputs)


def test_output_aliasing_an_input_with_two_dynamic_dims():
    inp = keras.Input((None, 3), name="x")
    model = keras.Model(inp, [keras.layers.Dropout(0.1)(inp), keras.layers.Dense(2)(inp)])
    content = convert(model)
    x = rand(2, 5, 3)
    for cls in (Interpreter, TFLiteInterpreter):
        got = run(cls, content, [x])
        np.testing.assert_array_equal(got[0], x, err_msg=f"copied input in {cls.__module__}")
        assert got[1].shape == (2, 5, 2)


# -- core layers ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 8), (3, 5, 8)], ids=["rank3", "rank4"])
def test_dense_on_higher_rank_inputs(shape):
    inp = keras.Input(shape, name="x")
    model = keras.Model(inp, keras.layers.Dense(6, activation="relu")(inp))
    content = check_model(model, [rand(1, *shape)], what=f"Dense on rank {len(shape) + 1}")
    op = model_t(content).subgraphs[0].operators[0]
    assert op.builtinOptions.keepNumDims is True


def test_dense_without_bias():
    inp = keras.Input((5,))
    model = keras.Model(inp, keras.layers.Dense(3, use_bias=False)(inp))
    content = check_model(model, [rand(1, 5)], what="Dense use_bias=False")
    assert list(model_t(content).subgraphs[0].operators[0].inputs)[2] == -1


def test_inference_identity_layers_emit_no_ops():
    inp = keras.Input((6,), name="x")
    y = keras.layers.Dense(6, name="d0")(inp)
    for layer in [keras.layers.Dropout(0.3), keras.layers.GaussianNoise(0.5),
                  keras.layers.GaussianDropout(0.2), keras.layers.AlphaDropout(0.2),
                  keras.layers.ActivityRegularization(l1=0.1), keras.layers.Identity()]:
        y = layer(y)
    y = keras.layers.Dense(2, name="d1")(y)
    model = keras.Model(inp, y)
    content = check_model(model, [rand(1, 6)], what="identity layers")
    assert op_kinds(content) == ["FULLY_CONNECTED", "FULLY_CONNECTED"]


@pytest.mark.parametrize("layer_cls,shape", [(keras.layers.SpatialDropout1D, (5, 4)),
                                             (keras.layers.SpatialDropout2D, (3, 3, 4)),
                                             (keras.layers.SpatialDropout3D, (2, 2, 2, 4))])
def test_spatial_dropout_emits_no_ops(layer_cls, shape):
    inp = keras.Input(shape)
    y = keras.layers.Dense(4)(layer_cls(0.5)(inp))
    content = check_model(keras.Model(inp, y), [rand(1, *shape)], what=layer_cls.__name__)
    assert op_kinds(content) == ["FULLY_CONNECTED"]


def test_lambda_layer_is_refused_with_its_name():
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Lambda(lambda t: t * 2, name="double")(inp))
    with pytest.raises(ConversionError, match=r"layer 'double' \(Lambda\).*Lambda"):
        convert(model)


def test_custom_layer_is_refused_naming_layer_class_and_supported_list():
    class Scale(keras.layers.Layer):
        def call(self, x):
            return x * 3.0

    inp = keras.Input((4,))
    model = keras.Model(inp, Scale(name="my_scale")(inp))
    with pytest.raises(ConversionError) as err:
        convert(model)
    msg = str(err.value)
    assert "layer 'my_scale' (Scale)" in msg and "not supported" in msg
    assert "Dense" in msg             # the list of supported classes


def test_unsupported_keras_layer_is_refused():
    # A real Keras layer with no emitter (registered names are looked up by exact class).
    inp = keras.Input((4,))
    layer = keras.layers.UnitNormalization(name="unit")
    if registry.emitter_for(layer) is not None:
        pytest.skip("UnitNormalization has an emitter now")
    with pytest.raises(ConversionError,
                       match=r"layer 'unit' \(UnitNormalization\) is not supported"):
        convert(keras.Model(inp, layer(inp)))


def test_subclassed_model_is_refused():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    net(np.zeros((1, 3), np.float32))
    with pytest.raises(ConversionError, match="subclassed model"):
        convert(net)


def test_unsupported_keras_ops_call_is_refused():
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(keras.ops.sin(inp)))
    with pytest.raises(ConversionError, match=r"layer 'd' \(Dense\) reads .*'sin' \(Sin\) is a "
                                              r"keras.ops call"):
        convert(model)
    with pytest.raises(ConversionError, match=r"model output .*keras.ops call"):
        convert(keras.Model(inp, keras.ops.sin(inp)))


def test_keras_ops_arithmetic_and_activations_in_functional_graph():
    # What keras.applications write between layers: MobileNetV3's hard sigmoid is
    # ReLU(6)(x + 3) * (1 / 6); tensors combine with numbers on either side.
    x = keras.Input((3, 6), name="x")
    h = keras.layers.Dense(6, name="h")(x)
    y = keras.layers.ReLU(6.0)(h + 3.0) * (1.0 / 6.0)
    y = (1.0 - y) / 2.0 + keras.ops.maximum(h, 0.25) - (-h)
    y = keras.ops.silu(y) + keras.ops.gelu(h, approximate=True) + keras.ops.sigmoid(h) * h
    y = keras.ops.softmax(y, axis=1) + keras.ops.tanh(h) + keras.ops.relu(h) / (h * h + 1.0)
    y = keras.ops.minimum(y, keras.ops.exp(h * 0.1)) + keras.ops.sqrt(h * h + 1.0)
    model = keras.Model(x, y)
    content = check_model(model, [rand(1, 3, 6)], atol=2e-5, what="keras.ops calls")
    assert "DIV" in op_kinds(content) and "GELU" in op_kinds(content)


def test_unused_mask_computation_is_ignored_and_used_mask_is_refused():
    _need("Embedding")
    ids = keras.Input((5,), dtype="int32", name="ids")
    emb = keras.layers.Embedding(10, 4, mask_zero=True)(ids)   # records a not_equal op
    model = keras.Model(ids, keras.layers.Dense(3)(emb))
    x = np.array([[1, 0, 3, 9, 0]], np.int32)
    check_model(model, [x], what="Embedding(mask_zero) whose mask nobody reads")


# -- activations ------------------------------------------------------------------------------

# name -> input scale (inputs in [-3s, 3s] roughly; exponential kept small to stay in range)
ACTIVATIONS = ["relu", "relu6", "sigmoid", "tanh", "softmax", "silu", "swish", "gelu",
               "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "celu", "leaky_relu",
               "exponential", "hard_tanh", "sparse_sigmoid", "tanh_shrink", "squareplus",
               "linear"]

# Ops each activation must become (after the FULLY_CONNECTED; fused ones leave nothing).
ACTIVATION_OPS = {
    "relu": [], "relu6": [], "hard_tanh": [], "linear": [],
    "sigmoid": ["LOGISTIC"], "tanh": ["TANH"], "softmax": ["SOFTMAX"],
    "silu": ["LOGISTIC", "MUL"], "swish": ["LOGISTIC", "MUL"], "gelu": ["GELU"],
    "hard_silu": ["HARD_SWISH"], "hard_swish": ["HARD_SWISH"], "elu": ["ELU"],
    "leaky_relu": ["LEAKY_RELU"], "exponential": ["EXP"],
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_as_dense_argument(name):
    inp = keras.Input((8,))
    model = keras.Model(inp, keras.layers.Dense(12, activation=name)(inp))
    scale = 0.3 if name == "exponential" else 1.0
    # TensorFlow Lite's XNNPACK evaluates sigmoid/tanh/gelu/elu with approximations that
    # differ from float32 libm by up to ~1e-5 absolute at these magnitudes.
    content = check_model(model, [rand(1, 8) * scale], atol=2e-5, what=f"Dense({name})")
    kinds = op_kinds(content)
    assert kinds[0] == "FULLY_CONNECTED"
    if name in ACTIVATION_OPS:
        assert kinds[1:] == ACTIVATION_OPS[name], f"{name}: ops {kinds}"


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "gelu", "hard_sigmoid", "selu",
                                  "elu", "silu"])
def test_activation_layer_on_rank4(name):
    inp = keras.Input((3, 4, 5))
    model = keras.Model(inp, keras.layers.Activation(name)(inp))
    content = check_model(model, [rand(1, 3, 4, 5)], atol=2e-5, what=f"Activation({name})")
    assert op_kinds(content)        # at least one op (the input is not the output)


def test_hard_sigmoid_is_relu6_shifted():
    # Keras 3 defines hard_sigmoid as clip(x/6 + 1/2, 0, 1); check the decomposition emitted
    # (ADD 3, RELU6, MUL 1/6) against that formula directly at the breakpoints.
    x = np.array([[-4, -3, -1.5, 0, 1.5, 3, 4, 7]], np.float32)
    inp = keras.Input((8,))
    model = keras.Model(inp, keras.layers.Activation("hard_sigmoid")(inp))
    content = convert(model)
    assert op_kinds(content) == ["ADD", "MUL"]        # RELU6 fused into the ADD
    assert model_t(content).subgraphs[0].operators[0].builtinOptions.fusedActivationFunction == 3
    for cls in (Interpreter, TFLiteInterpreter):
        np.testing.assert_allclose(run(cls, content, [x])[0], np.clip(x / 6 + 0.5, 0, 1),
                                   rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_partial_selects_approximation(approximate):
    inp = keras.Input((6,))
    act = functools.partial(keras.activations.gelu, approximate=approximate)
    model = keras.Model(inp, keras.layers.Activation(act)(inp))
    content = check_model(model, [rand(1, 6)], atol=2e-5, what=f"gelu approximate={approximate}")
    op = model_t(content).subgraphs[0].operators[0]
    assert op.builtinOptions.approximate is approximate


@pytest.mark.parametrize("name", ["softplus", "softsign", "mish", "log_softmax"])
def test_activation_needing_missing_ops_is_refused(name):
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(3, activation=name, name="d")(inp))
    with pytest.raises(ConversionError, match=rf"layer 'd' \(Dense\).*'{name}'"):
        convert(model)


def test_custom_activation_function_is_refused():
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(3, activation=lambda t: t * 2, name="d")(inp))
    with pytest.raises(ConversionError, match=r"layer 'd' \(Dense\).*not a built-in"):
        convert(model)


RELU_OPTIONS = [
    (dict(), ["RELU"]),
    (dict(max_value=6.0), ["RELU6"]),
    (dict(max_value=2.5), ["RELU", "MINIMUM"]),
    (dict(negative_slope=0.1), ["LEAKY_RELU"]),
    (dict(negative_slope=0.1, max_value=3.0), ["LEAKY_RELU", "MINIMUM"]),
    (dict(max_value=0.0), ["RELU", "MINIMUM"]),
]


@pytest.mark.parametrize("kwargs,ops", RELU_OPTIONS, ids=[str(k) for k, _ in RELU_OPTIONS])
def test_relu_layer_options(kwargs, ops):
    inp = keras.Input((10,))
    model = keras.Model(inp, keras.layers.ReLU(**kwargs)(inp))
    x = np.linspace(-8, 8, 10, dtype=np.float32)[None]
    content = check_model(model, [x], what=f"ReLU({kwargs})")
    assert op_kinds(content) == ops


def test_relu_threshold_is_refused():
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.ReLU(threshold=0.5, name="r")(inp))
    with pytest.raises(ConversionError, match=r"layer 'r' \(ReLU\).*threshold"):
        convert(model)


@pytest.mark.parametrize("slope", [0.3, 0.01, 1.5])
def test_leaky_relu_layer(slope):
    inp = keras.Input((3, 4))
    model = keras.Model(inp, keras.layers.LeakyReLU(negative_slope=slope)(inp))
    content = check_model(model, [rand(1, 3, 4)], what=f"LeakyReLU({slope})")
    assert op_kinds(content) == ["LEAKY_RELU"]


@pytest.mark.parametrize("shared_axes", [None, [1, 2], [2]])
def test_prelu_layer(shared_axes):
    inp = keras.Input((3, 4, 5))
    layer = keras.layers.PReLU(shared_axes=shared_axes)
    model = keras.Model(inp, layer(inp))
    alpha = layer.get_weights()[0]
    layer.set_weights([rand(*alpha.shape, seed=7, scale=0.5)])     # non-trivial slopes
    content = check_model(model, [rand(1, 3, 4, 5)], what=f"PReLU(shared_axes={shared_axes})")
    assert op_kinds(content) == ["PRELU"]


@pytest.mark.parametrize("alpha,ops", [(1.0, ["ELU"]), (0.5, ["ELU", "LEAKY_RELU"]),
                                       (2.0, ["ELU", "LEAKY_RELU"])])
def test_elu_layer(alpha, ops):
    inp = keras.Input((12,))
    model = keras.Model(inp, keras.layers.ELU(alpha=alpha)(inp))
    content = check_model(model, [rand(1, 12)], atol=2e-5, what=f"ELU({alpha})")
    assert op_kinds(content) == ops


@pytest.mark.parametrize("axis,ops", [(-1, ["SOFTMAX"]), (2, ["SOFTMAX"]),
                                      (1, ["TRANSPOSE", "SOFTMAX", "TRANSPOSE"]),
                                      ([1], ["TRANSPOSE", "SOFTMAX", "TRANSPOSE"])])
def test_softmax_layer_axis(axis, ops):
    inp = keras.Input((4, 5))
    model = keras.Model(inp, keras.layers.Softmax(axis=axis)(inp))
    content = check_model(model, [rand(1, 4, 5)], what=f"Softmax(axis={axis})")
    assert op_kinds(content) == ops


def test_softmax_over_two_axes_is_refused():
    inp = keras.Input((4, 5))
    model = keras.Model(inp, keras.layers.Softmax(axis=[1, 2], name="sm")(inp))
    with pytest.raises(ConversionError, match=r"layer 'sm' \(Softmax\).*several axes"):
        convert(model)


# -- writer -----------------------------------------------------------------------------------

def test_writer_layout_and_determinism():
    model = mlp()
    a, b = convert(model), convert(model)
    assert a == b, "the same model must give the same bytes"
    m = model_t(a)
    assert m.version == 3 and m.description == b"litert converter"
    assert m.buffers[0].data is None
    sg = m.subgraphs[0]
    const_buffers = [t.buffer for t in sg.tensors if t.buffer]
    assert len(const_buffers) == len(set(const_buffers)) == 4       # 2 kernels, 2 biases
    assert [t.name for t in sg.tensors if t.buffer] == [b"dense_0/kernel", b"dense_0/bias",
                                                        b"dense_1/kernel", b"dense_1/bias"]
    # Every constant's data starts on a 16-byte boundary of the file.
    raw = fb.Model.GetRootAs(a, 0)
    for i in range(1, raw.BuffersLength()):
        buf = raw.Buffers(i)
        start = buf._tab.Vector(buf._tab.Offset(4))
        assert start % 16 == 0, f"buffer {i} data at offset {start}"
    assert [oc.builtinCode for oc in m.operatorCodes] == [fb.BuiltinOperator.FULLY_CONNECTED]
    assert m.operatorCodes[0].deprecatedBuiltinCode == fb.BuiltinOperator.FULLY_CONNECTED


def test_writer_uses_large_builtin_codes():
    # GELU's code (150) is above 127: deprecated_builtin_code must say "see builtin_code".
    inp = keras.Input((4,))
    content = convert(keras.Model(inp, keras.layers.Activation("gelu")(inp)))
    oc = model_t(content).operatorCodes[0]
    assert oc.builtinCode == fb.BuiltinOperator.GELU
    assert oc.deprecatedBuiltinCode == fb.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES


def test_writer_rejects_unknown_option_field():
    g = ir.Graph()
    x = g.tensor("x", [1, 4])
    y = g.tensor("y", [1, 4])
    g.inputs, g.outputs = [x], [y]
    g.add_op("SOFTMAX", [x], [y], "SoftmaxOptions", betta=1.0)
    with pytest.raises(ConversionError, match="no field 'betta'"):
        write(g)


# -- passes on small IR graphs ----------------------------------------------------------------

def _fc_graph(act_kind="RELU", extra_reader=False, act_is_output=False):
    """x -> FULLY_CONNECTED -> h -> act -> y (optionally h read by a second op or an output)."""
    g = ir.Graph()
    x = g.tensor("x", [1, 4])
    w = g.constant("w", rand(3, 4, seed=5))
    bias = g.constant("b", rand(3, seed=6))
    h = g.tensor("h", [1, 3])
    y = g.tensor("y", [1, 3])
    g.add_op("FULLY_CONNECTED", [x, w, bias], [h], "FullyConnectedOptions",
             fused_activation_function=0)
    g.add_op(act_kind, [h], [y])
    g.inputs, g.outputs = [x], [y]
    if extra_reader:
        z = g.tensor("z", [1, 3])
        g.add_op("TANH", [h], [z])
        g.outputs.append(z)
    if act_is_output:
        g.outputs.append(h)
    return g


def _run_graph(g, inputs):
    content = write(g)
    return run(Interpreter, content, inputs), run(TFLiteInterpreter, content, inputs)


@pytest.mark.parametrize("kind,code", [("RELU", 1), ("RELU_N1_TO_1", 2), ("RELU6", 3)])
def test_fuse_activation_into_fully_connected(kind, code):
    g = _fc_graph(kind)
    x = [rand(1, 4, seed=9)]
    before = _run_graph(g, x)
    assert fuse_activation.run(g)
    assert [op.kind for op in g.ops] == ["FULLY_CONNECTED"]
    assert g.ops[0].options["fused_activation_function"] == code
    assert g.ops[0].outputs[0] is g.outputs[0] and g.outputs[0].name == "y"
    after = _run_graph(g, x)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", ["tanh", "two_readers", "graph_output"])
def test_fuse_activation_refuses(case):
    g = _fc_graph("TANH" if case == "tanh" else "RELU", extra_reader=case == "two_readers",
                  act_is_output=case == "graph_output")
    n = len(g.ops)
    assert not fuse_activation.run(g)
    assert len(g.ops) == n and g.ops[0].options["fused_activation_function"] == 0


def test_fuse_activation_not_into_concatenation():
    g = ir.Graph()
    a, b = g.tensor("a", [1, 2]), g.tensor("b", [1, 2])
    c, y = g.tensor("c", [1, 4]), g.tensor("y", [1, 4])
    g.add_op("CONCATENATION", [a, b], [c], "ConcatenationOptions", axis=1)
    g.add_op("RELU", [c], [y])
    g.inputs, g.outputs = [a, b], [y]
    assert not fuse_activation.run(g)


def _conv_affine_graph(mul_shape=(4,), add_kind="ADD", act=0):
    g = ir.Graph()
    x = g.tensor("x", [1, 5, 5, 3])
    w = g.constant("w", rand(4, 3, 3, 3, seed=1))
    bias = g.constant("b", rand(4, seed=2))
    h = g.tensor("h", [1, 3, 3, 4])
    m = g.tensor("m", [1, 3, 3, 4])
    y = g.tensor("y", [1, 3, 3, 4])
    g.add_op("CONV_2D", [x, w, bias], [h], "Conv2DOptions", padding=1, stride_w=1,
             stride_h=1, fused_activation_function=0)
    g.add_op("MUL", [h, g.constant("scale", rand(*mul_shape, seed=3))], [m], "MulOptions")
    g.add_op(add_kind, [m, g.constant("offset", rand(4, seed=4))], [y],
             "AddOptions" if add_kind == "ADD" else "SubOptions", fused_activation_function=act)
    g.inputs, g.outputs = [x], [y]
    return g


@pytest.mark.parametrize("mul_shape,add_kind,act", [((4,), "ADD", 0), ((1, 1, 1, 4), "SUB", 1),
                                                    ((1,), "ADD", 3)])
def test_fold_affine_into_conv(mul_shape, add_kind, act):
    g = _conv_affine_graph(mul_shape, add_kind, act)
    x = [rand(1, 5, 5, 3, seed=8)]
    before = _run_graph(g, x)
    assert fold_affine.run(g)
    assert [op.kind for op in g.ops] == ["CONV_2D"]
    assert g.ops[0].options["fused_activation_function"] == act
    after = _run_graph(g, x)
    for b, a in zip(before, after):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-5)


def test_fold_affine_refuses_broadcasting_constant():
    # A (3, 1, 4) scale varies along the rows as well: not a per-channel scale. The ADD after
    # it is per-channel but reads the MUL, not the convolution.
    g = _conv_affine_graph(mul_shape=(3, 1, 4))
    assert not fold_affine.run(g)
    assert [op.kind for op in g.ops] == ["CONV_2D", "MUL", "ADD"]


def test_fold_constants_and_dead_ops():
    g = ir.Graph()
    x = g.tensor("x", [1, 4])
    c1 = g.constant("c1", rand(2, 2, seed=1))
    c2 = g.constant("c2", rand(2, 2, seed=2))
    s = g.tensor("s", [2, 2])
    r = g.tensor("r", [1, 4])
    y = g.tensor("y", [1, 4])
    g.add_op("ADD", [c1, c2], [s], "AddOptions", fused_activation_function=1)
    g.add_op("RESHAPE", [s, g.constant("shape", np.array([1, 4], np.int32))], [r])
    g.add_op("MUL", [x, r], [y], "MulOptions")
    unused = g.tensor("unused", [1, 4])
    g.add_op("TANH", [x], [unused])
    g.inputs, g.outputs = [x], [y]
    xin = rand(1, 4, seed=3)
    assert fold_constants.run(g)
    assert [op.kind for op in g.ops] == ["MUL", "TANH"]
    expected = xin * np.maximum(c1.data + c2.data, 0).reshape(1, 4)
    np.testing.assert_allclose(g.ops[0].inputs[1].data, expected / xin, rtol=1e-5)
    assert dead_ops.run(g)
    assert [op.kind for op in g.ops] == ["MUL"]
    for got in _run_graph(g, [xin]):
        np.testing.assert_allclose(got[0], expected, rtol=1e-6)


def test_fold_constants_leaves_graph_outputs_and_unknown_ops():
    g = ir.Graph()
    c = g.constant("c", rand(4, seed=1))
    y, z = g.tensor("y", [4]), g.tensor("z", [4])
    g.add_op("RELU", [c], [y])
    g.add_op("LOGISTIC", [c], [z])
    g.outputs = [y, z]
    assert not fold_constants.run(g)


def test_remove_identities_keeps_output_names():
    g = ir.Graph()
    x = g.tensor("x", [1, 6])
    a, b, c = g.tensor("a", [1, 6]), g.tensor("b", [2, 3]), g.tensor("c", [1, 6])
    y = g.tensor("y", [1, 6])
    g.add_op("TANH", [x], [a])
    g.add_op("RESHAPE", [a, g.constant("s1", np.array([2, 3], np.int32))], [b])
    g.add_op("RESHAPE", [b, g.constant("s2", np.array([1, 6], np.int32))], [c])
    g.add_op("TRANSPOSE", [c, g.constant("perm", np.array([0, 1], np.int32))], [y])
    g.inputs, g.outputs = [x], [y]
    run_passes(g)
    assert [op.kind for op in g.ops] == ["TANH"]
    assert g.ops[0].outputs[0] is y and g.outputs[0].name == "y"
    xin = rand(1, 6)
    for got in _run_graph(g, [xin]):
        np.testing.assert_allclose(got[0], np.tanh(xin), rtol=1e-5, atol=1e-6)


# -- passes through Keras models --------------------------------------------------------------

def _need(*classes):
    from litert.converter import layers  # noqa: F401
    missing = [c for c in classes if c not in registry.supported_layers()]
    if missing:
        pytest.skip(f"no emitter yet for {missing} (other converter modules)")


def _bn(channels, seed):
    bn = keras.layers.BatchNormalization(epsilon=1e-3)
    return bn, [rand(channels, seed=seed, scale=0.5) + 1.0, rand(channels, seed=seed + 1),
                rand(channels, seed=seed + 2), np.abs(rand(channels, seed=seed + 3)) + 0.5]


def test_conv_batchnorm_relu_becomes_one_conv_op():
    _need("Conv2D", "BatchNormalization", "ReLU")
    inp = keras.Input((8, 8, 3))
    bn, weights = _bn(6, 10)
    y = keras.layers.ReLU()(bn(keras.layers.Conv2D(6, 3, padding="same")(inp)))
    model = keras.Model(inp, y)
    bn.set_weights(weights)
    content = check_model(model, [rand(1, 8, 8, 3)], rtol=1e-4, atol=1e-4,
                          what="Conv2D+BatchNorm+ReLU")
    assert op_kinds(content) == ["CONV_2D"]
    assert model_t(content).subgraphs[0].operators[0].builtinOptions.fusedActivationFunction == 1
    unopt = convert(model, optimize=False)
    assert len(op_kinds(unopt)) > 1


def test_dense_batchnorm_folds_into_fully_connected():
    _need("BatchNormalization")
    inp = keras.Input((5,))
    bn, weights = _bn(4, 20)
    model = keras.Model(inp, keras.layers.Activation("relu6")(bn(keras.layers.Dense(4)(inp))))
    bn.set_weights(weights)
    content = check_model(model, [rand(1, 5)], atol=1e-4, what="Dense+BatchNorm+relu6")
    assert op_kinds(content) == ["FULLY_CONNECTED"]


# -- API --------------------------------------------------------------------------------------

def test_convert_from_keras_and_h5_files(tmp_path):
    model = mlp("tanh")
    x = rand(1, 8)
    expected = keras_outputs(model, [x])[0]
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"m{suffix}"
        model.save(path)
        out = tmp_path / f"m{suffix}.tflite"
        size = convert_file(path, out)
        assert size == os.path.getsize(out)
        content = out.read_bytes()
        for cls in (Interpreter, TFLiteInterpreter):
            np.testing.assert_allclose(run(cls, content, [x])[0], expected, rtol=RTOL,
                                       atol=ATOL, err_msg=f"{suffix} in {cls.__module__}")


def test_convert_path_errors(tmp_path):
    with pytest.raises(ConversionError, match="no such file"):
        convert(tmp_path / "missing.keras")
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ConversionError, match="SavedModel"):
        convert(tmp_path / "sm")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ConversionError, match="Keras cannot load"):
        convert(bad)


def test_model_info_rows():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, name="h"),
                              keras.layers.Activation("sigmoid", name="act"),
                              keras.layers.Dense(2, activation="relu", name="out")])
    rows = model_info(model)
    assert [r["layer"] for r in rows] == ["h", "act", "out"]
    assert rows[0] == {"layer": "h", "class": "Dense", "ops": ["FULLY_CONNECTED"],
                       "output_shape": [-1, 16], "params": 8 * 16 + 16,
                       "weight_bytes": (8 * 16 + 16) * 4}
    assert rows[1]["ops"] == ["LOGISTIC"] and rows[1]["params"] == 0
    assert rows[2]["ops"] == ["FULLY_CONNECTED"] and rows[2]["output_shape"] == [-1, 2]


def test_dense_on_variable_length_sequence_resizes():
    inp = keras.Input((None, 8), name="seq")
    model = keras.Model(inp, keras.layers.Dense(5, activation="sigmoid")(inp))
    content = convert(model)
    sg = model_t(content).subgraphs[0]
    assert list(sg.tensors[sg.inputs[0]].shapeSignature) == [-1, -1, 8]
    x = rand(2, 7, 8)
    expected = keras_outputs(model, [x])[0]
    for cls in (Interpreter, TFLiteInterpreter):
        np.testing.assert_allclose(run(cls, content, [x])[0], expected, rtol=RTOL, atol=2e-5,
                                   err_msg=f"[2, 7, 8] input in {cls.__module__}")
