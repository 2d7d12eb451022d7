"""Converter: Keras reshaping, merging and embedding layers.

Each case builds a tiny Keras model around one layer (and one of its options), converts it
with litert.converter.convert, runs the .tflite file in litert and in TensorFlow Lite
(ai_edge_litert) with batch 2 (the converted batch dimension is dynamic), and compares both
with Keras' own output for the same inputs.

Tolerances: layers that only move or copy elements (Flatten, Reshape, Permute, RepeatVector,
padding, cropping, nearest upsampling, Concatenate, Embedding) must match Keras bit for bit.
Single element-wise ops (Add, Subtract, Multiply, Average, Maximum, Minimum) are exact
IEEE operations in every implementation: rtol 1e-6, atol 1e-7. Bilinear resizing and Dot
(sums in different orders) use rtol 1e-5, atol 1e-5 on unit-scale data."""
from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

from litert import Interpreter
from litert.converter import ConversionError, convert

L = keras.layers
BATCH = 2

EXACT = None
ELEMENTWISE = {"rtol": 1e-6, "atol": 1e-7}
ROUNDED = {"rtol": 1e-5, "atol": 1e-5}


def _run(interpreter, feeds: dict[str, np.ndarray]) -> np.ndarray:
    """Resizes every input to its feed (dynamic batch), invokes, returns output 0."""
    details = interpreter.get_input_details()
    assert sorted(d["name"] for d in details) == sorted(feeds), "converted inputs differ"
    for d in details:
        interpreter.resize_tensor_input(d["index"], list(feeds[d["name"]].shape))
    interpreter.allocate_tensors()
    for d in details:
        interpreter.set_tensor(d["index"], feeds[d["name"]])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def _model(shapes, build, dtype="float32", seed=0):
    """A functional model with inputs named in0, in1, ... of the given non-batch shapes."""
    keras.utils.set_random_seed(seed)
    inputs = [keras.Input(shape, name=f"in{i}", dtype=dtype) for i, shape in enumerate(shapes)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. "layer does not support masking"
        outputs = build(*inputs)
    return keras.Model(inputs, outputs)


def _feeds(model, int_range=None, seed=1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feeds = {}
    for kt in model.inputs:
        shape = (BATCH, *kt.shape[1:])
        name = kt._keras_history.operation.name
        if int_range is not None:
            feeds[name] = rng.integers(0, int_range, shape).astype(str(kt.dtype))
        else:
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def _assert_close(got, want, tol, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, Keras gives {want.shape}"
    if tol is EXACT:
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, err_msg=what, **tol)


def check(model, tol, int_range=None):
    """Converts `model`; both interpreters must agree with Keras within `tol`."""
    feeds = _feeds(model, int_range)
    want = np.asarray(model([feeds[kt._keras_history.operation.name] for kt in model.inputs]))
    content = convert(model)
    _assert_close(_run(Interpreter(model_content=content), feeds), want, tol, "litert vs Keras")
    _assert_close(_run(TFLiteInterpreter(model_content=content), feeds), want, tol,
                  "TensorFlow Lite vs Keras")


# (id, input shapes, model body, tolerance)
FLOAT_CASES = [
    # -- reshaping --------------------------------------------------------------------------
    ("Flatten-rank4", [(3, 4, 5)], lambda x: L.Flatten()(x), EXACT),
    ("Flatten-rank2", [(5,)], lambda x: L.Flatten()(x), EXACT),
    ("Flatten-channels_first", [(3, 4, 5)],
     lambda x: L.Flatten(data_format="channels_first")(x), EXACT),
    ("Reshape-target", [(12,)], lambda x: L.Reshape((3, 4))(x), EXACT),
    ("Reshape-inferred_-1", [(3, 4)], lambda x: L.Reshape((-1, 2, 2))(x), EXACT),
    ("Permute-rank3", [(3, 4)], lambda x: L.Permute((2, 1))(x), EXACT),
    ("Permute-rank4", [(2, 3, 4)], lambda x: L.Permute((3, 1, 2))(x), EXACT),
    ("Permute-rank5", [(2, 3, 4, 5)], lambda x: L.Permute((2, 4, 1, 3))(x), EXACT),
    ("RepeatVector-n3", [(5,)], lambda x: L.RepeatVector(3)(x), EXACT),
    ("RepeatVector-n1", [(5,)], lambda x: L.RepeatVector(1)(x), EXACT),
    ("ZeroPadding1D-symmetric", [(4, 3)], lambda x: L.ZeroPadding1D(1)(x), EXACT),
    ("ZeroPadding1D-asymmetric", [(4, 3)], lambda x: L.ZeroPadding1D((2, 0))(x), EXACT),
    ("ZeroPadding2D-int", [(4, 5, 3)], lambda x: L.ZeroPadding2D(1)(x), EXACT),
    ("ZeroPadding2D-pairs", [(4, 5, 3)], lambda x: L.ZeroPadding2D(((1, 2), (0, 3)))(x),
     EXACT),
    ("ZeroPadding2D-channels_first", [(3, 4, 5)],
     lambda x: L.ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first")(x), EXACT),
    ("ZeroPadding3D-pairs", [(2, 3, 4, 2)],
     lambda x: L.ZeroPadding3D(((1, 0), (0, 1), (2, 1)))(x), EXACT),
    ("ZeroPadding3D-channels_first", [(2, 2, 3, 4)],
     lambda x: L.ZeroPadding3D(1, data_format="channels_first")(x), EXACT),
    ("Cropping1D-both", [(6, 3)], lambda x: L.Cropping1D((1, 2))(x), EXACT),
    ("Cropping1D-front_only", [(6, 3)], lambda x: L.Cropping1D((2, 0))(x), EXACT),
    ("Cropping2D-int", [(6, 7, 3)], lambda x: L.Cropping2D(2)(x), EXACT),
    ("Cropping2D-pairs", [(6, 7, 3)], lambda x: L.Cropping2D(((1, 0), (2, 1)))(x), EXACT),
    ("Cropping2D-channels_first", [(3, 6, 7)],
     lambda x: L.Cropping2D(((0, 2), (1, 1)), data_format="channels_first")(x), EXACT),
    ("Cropping3D-pairs", [(4, 5, 6, 2)],
     lambda x: L.Cropping3D(((1, 1), (0, 2), (2, 0)))(x), EXACT),
    ("Cropping3D-channels_first", [(2, 4, 5, 6)],
     lambda x: L.Cropping3D(1, data_format="channels_first")(x), EXACT),
    ("UpSampling1D-size3", [(4, 3)], lambda x: L.UpSampling1D(3)(x), EXACT),
    ("UpSampling1D-size1", [(4, 3)], lambda x: L.UpSampling1D(1)(x), EXACT),
    ("UpSampling2D-nearest", [(4, 5, 3)], lambda x: L.UpSampling2D((2, 3))(x), EXACT),
    ("UpSampling2D-nearest_odd_factors", [(9, 11, 2)], lambda x: L.UpSampling2D((7, 5))(x),
     EXACT),
    # Factor 41 is one where floor(y * float32(1/41)) picks the wrong row: the converted
    # resize must not depend on that rounding.
    ("UpSampling2D-nearest_factor41", [(2, 3, 1)], lambda x: L.UpSampling2D((41, 2))(x), EXACT),
    ("UpSampling2D-nearest_channels_first", [(3, 4, 5)],
     lambda x: L.UpSampling2D((2, 3), data_format="channels_first")(x), EXACT),
    ("UpSampling2D-bilinear", [(4, 5, 3)],
     lambda x: L.UpSampling2D((2, 3), interpolation="bilinear")(x), ROUNDED),
    ("UpSampling2D-bilinear_odd_factors", [(9, 11, 2)],
     lambda x: L.UpSampling2D((7, 5), interpolation="bilinear")(x), ROUNDED),
    ("UpSampling2D-bilinear_channels_first", [(3, 4, 5)],
     lambda x: L.UpSampling2D((3, 2), interpolation="bilinear",
                              data_format="channels_first")(x), ROUNDED),
    ("UpSampling3D-sizes", [(2, 3, 4, 2)], lambda x: L.UpSampling3D((2, 1, 3))(x), EXACT),
    ("UpSampling3D-channels_first", [(2, 2, 3, 2)],
     lambda x: L.UpSampling3D(2, data_format="channels_first")(x), EXACT),
    # -- merging ----------------------------------------------------------------------------
    ("Add-two", [(3, 4), (3, 4)], lambda a, b: L.Add()([a, b]), ELEMENTWISE),
    ("Add-three", [(3, 4)] * 3, lambda a, b, c: L.Add()([a, b, c]), ELEMENTWISE),
    ("Add-one_input", [(3, 4)], lambda a: L.Add()([a]), EXACT),
    ("Add-broadcast", [(1, 4), (3, 4)], lambda a, b: L.Add()([a, b]), ELEMENTWISE),
    # Keras inserts the missing axes at axis 1: [B, 4] + [B, 3, 4] -> [B, 1, 4] + [B, 3, 4].
    ("Add-lower_rank", [(4,), (3, 4)], lambda a, b: L.Add()([a, b]), ELEMENTWISE),
    ("Add-lower_rank_axis1", [(3,), (3, 1)], lambda a, b: L.Add()([a, b]), ELEMENTWISE),
    ("Subtract", [(3, 4), (3, 4)], lambda a, b: L.Subtract()([a, b]), ELEMENTWISE),
    ("Subtract-broadcast", [(3, 1), (3, 4)], lambda a, b: L.Subtract()([a, b]), ELEMENTWISE),
    ("Multiply-three", [(3, 4)] * 3, lambda a, b, c: L.Multiply()([a, b, c]), ELEMENTWISE),
    ("Multiply-broadcast", [(2, 1, 4), (2, 3, 1)], lambda a, b: L.Multiply()([a, b]),
     ELEMENTWISE),
    ("Average-two", [(3, 4), (3, 4)], lambda a, b: L.Average()([a, b]), ELEMENTWISE),
    ("Average-three", [(3, 4)] * 3, lambda a, b, c: L.Average()([a, b, c]), ELEMENTWISE),
    ("Maximum-two", [(3, 4), (3, 4)], lambda a, b: L.Maximum()([a, b]), ELEMENTWISE),
    ("Maximum-three_broadcast", [(3, 4), (1, 4), (3, 1)],
     lambda a, b, c: L.Maximum()([a, b, c]), ELEMENTWISE),
    ("Minimum-two", [(3, 4), (3, 4)], lambda a, b: L.Minimum()([a, b]), ELEMENTWISE),
    ("Minimum-three_broadcast", [(3, 4), (1, 4), (3, 4)],
     lambda a, b, c: L.Minimum()([a, b, c]), ELEMENTWISE),
    ("Concatenate-last_axis", [(3, 4), (3, 2)], lambda a, b: L.Concatenate()([a, b]), EXACT),
    ("Concatenate-axis1_three", [(3, 4), (2, 4), (1, 4)],
     lambda a, b, c: L.Concatenate(axis=1)([a, b, c]), EXACT),
    ("Concatenate-negative_axis", [(2, 3, 4), (2, 5, 4)],
     lambda a, b: L.Concatenate(axis=-2)([a, b]), EXACT),
    ("Dot-vectors", [(8,), (8,)], lambda a, b: L.Dot(axes=1)([a, b]), ROUNDED),
    ("Dot-axes_2_2", [(3, 5), (4, 5)], lambda a, b: L.Dot(axes=(2, 2))([a, b]), ROUNDED),
    ("Dot-axes_1_2", [(5, 3), (4, 5)], lambda a, b: L.Dot(axes=(1, 2))([a, b]), ROUNDED),
    ("Dot-matrix_vector", [(3, 5), (5,)], lambda a, b: L.Dot(axes=(2, 1))([a, b]), ROUNDED),
    ("Dot-rank4", [(2, 3, 5), (5, 4, 2)], lambda a, b: L.Dot(axes=(3, 1))([a, b]), ROUNDED),
    ("Dot-normalize", [(3, 5), (4, 5)], lambda a, b: L.Dot(axes=-1, normalize=True)([a, b]),
     ROUNDED),
    # -- in context -------------------------------------------------------------------------
    ("Dense-Reshape-UpSampling2D-Cropping2D-Concatenate", [(6,)],
     lambda x: L.Concatenate()([
         L.Cropping2D(((1, 0), (0, 1)))(L.UpSampling2D(2)(L.Reshape((2, 2, 3))(L.Dense(12)(x)))),
         L.ZeroPadding2D(((0, 1), (1, 0)))(L.Reshape((2, 2, 3))(L.Dense(12)(x)))]), ROUNDED),
]


@pytest.mark.parametrize("shapes, body, tol", [c[1:] for c in FLOAT_CASES],
                         ids=[c[0] for c in FLOAT_CASES])
def test_layer_matches_keras(shapes, body, tol):
    check(_model(shapes, body), tol)


# -- Embedding ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_embedding_gathers_rows(dtype):
    check(_model([(5,)], lambda x: L.Embedding(10, 4)(x), dtype=dtype), EXACT, int_range=10)


def test_embedding_rank1_indices():
    check(_model([()], lambda x: L.Embedding(7, 3)(x), dtype="int32"), EXACT, int_range=7)


@pytest.mark.filterwarnings("ignore:Layer .* was passed an input with a mask")
def test_embedding_mask_zero_unused_mask_is_dropped():
    # Flatten does not read masks, so mask_zero changes nothing downstream.
    model = _model([(5,)], lambda x: L.Dense(2)(L.Flatten()(L.Embedding(10, 4, mask_zero=True)(x))),
                   dtype="int32")
    check(model, ROUNDED, int_range=10)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_embedding_int8_quantized():
    model = _model([(7,)], lambda x: L.Embedding(50, 6)(x), dtype="int32")
    model.layers[-1].quantize("int8")
    check(model, EXACT, int_range=50)


def test_embedding_lora_merged():
    model = _model([(7,)], lambda x: L.Embedding(50, 6)(x), dtype="int32")
    layer = model.layers[-1]
    layer.enable_lora(2)
    # LoRA's B starts at zero; make the update non-trivial.
    layer.lora_embeddings_b.assign(
        np.random.default_rng(2).standard_normal((2, 6)).astype(np.float32))
    check(model, ROUNDED, int_range=50)


def test_multiply_refuses_masked_inputs():
    """Multiply reads its inputs' Keras masks inside call(); called directly (the Embedding
    upstream would refuse first), its emitter must refuse a masked input too."""
    from litert.converter.ir import Graph
    from litert.converter.registry import LayerContext, emitter_for

    model = _model([(5,)], lambda x: L.Multiply()([L.Embedding(10, 4, mask_zero=True)(x),
                                                   L.Embedding(10, 4)(x)]), dtype="int32")
    layer = model.layers[-1]
    node = layer._inbound_nodes[0]
    graph = Graph()
    inputs = [graph.tensor(f"in{i}", (1, 5, 4), np.float32, (-1, 5, 4)) for i in range(2)]
    ctx = LayerContext(graph, layer, [tuple(kt.shape) for kt in node.outputs])
    ctx.node = node
    with pytest.raises(ConversionError, match="carries a Keras mask"):
        emitter_for(layer)(ctx, inputs)


# -- refused with a clear error -------------------------------------------------------------

REFUSED = [
    ("Embedding-float_indices", [(5,)], "float32", lambda x: L.Embedding(10, 4)(x),
     "dtype='int32'"),
    ("Embedding-mask_read_by_pooling", [(5,)], "int32",
     lambda x: L.GlobalAveragePooling1D()(L.Embedding(10, 4, mask_zero=True)(x)),
     "GlobalAveragePooling1D"),
    ("Embedding-mask_read_by_Multiply", [(5,)], "int32",
     lambda x: L.Multiply()([L.Embedding(10, 4, mask_zero=True)(x), L.Embedding(10, 4)(x)]),
     "Multiply"),
    ("UpSampling2D-bicubic", [(3, 4, 2)], "float32",
     lambda x: L.UpSampling2D(2, interpolation="bicubic")(x), "bicubic"),
    ("Flatten-unknown_dims", [(None, 4)], "float32", lambda x: L.Flatten()(x),
     "fixed shapes"),
    ("Reshape-unknown_dims", [(None, 4)], "float32", lambda x: L.Reshape((-1,))(x),
     "fixed shapes"),
    ("UpSampling2D-unknown_size", [(None, None, 3)], "float32",
     lambda x: L.UpSampling2D(2, interpolation="bilinear")(x), "fixed shapes"),
]


@pytest.mark.parametrize("shapes, dtype, body, message", [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_unsupported_is_refused(shapes, dtype, body, message):
    with pytest.raises(ConversionError, match=message):
        convert(_model(shapes, body, dtype=dtype))
