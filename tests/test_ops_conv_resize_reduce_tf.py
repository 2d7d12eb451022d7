"""TRANSPOSE_CONV, RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, int8 REDUCE_MAX / REDUCE_MIN /
SUM / MAXIMUM / MINIMUM / SQUARED_DIFFERENCE, float16 weights (DEQUANTIZE) and DENSIFY, as
TensorFlow's converter emits them, against TensorFlow Lite's interpreter (reference kernels)
on the same file.

Agreement:
  int8, data movement (nearest resize, DEQUANTIZE, DENSIFY)  exact (int8 SUM against
      TensorFlow Lite's default kernels, see reduce.c; everything else against its reference
      kernels).
  float32 TRANSPOSE_CONV  exact (products summed in TensorFlow Lite's reference order).
  whole float models (float16 weights through DEQUANTIZE, DENSIFY'd weights): their CONV_2D
      and FULLY_CONNECTED sum in another order than TensorFlow Lite: within 1e-5 of the
      largest output magnitude.
  hybrid TRANSPOSE_CONV: see its test (TensorFlow Lite quantizes the input, litert does not).
  float32 RESIZE_BILINEAR: exact too (TensorFlow Lite's reference blend, term by term).
"""
from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
from tf_op_models import convert, op_names, quantize_inputs, run_all, run_both, tf


def _rng(seed):
    return np.random.default_rng(seed)


def _representative(shapes, seed=0, scale=1.0):
    def gen():
        rng = _rng(seed)
        for _ in range(8):
            yield [(rng.normal(size=s) * scale).astype(np.float32) for s in shapes]
    return gen


def _close_rel(ours, theirs, rel):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        atol = rel * float(np.abs(b).max(initial=0.0)) + 1e-6
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def _exact(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


# ---- TRANSPOSE_CONV ----------------------------------------------------------------------

TCONV_CASES = [  # (input NHWC, out_ch, kernel, strides, padding, bias, activation)
    ((1, 5, 7, 3), 5, (3, 3), (1, 1), "same", True, None),
    ((2, 4, 6, 3), 5, (3, 3), (2, 2), "same", True, "relu"),
    ((2, 3, 4, 5), 3, (3, 2), (2, 2), "valid", True, None),
    ((1, 3, 3, 2), 7, (4, 4), (3, 3), "same", False, None),
    ((2, 2, 5, 3), 4, (2, 3), (3, 1), "valid", True, "relu6"),
]


def _tconv_fn(case, seed):
    shape, out_ch, kernel, strides, padding, bias, act = case
    keras = tf().keras
    keras.utils.set_random_seed(seed)
    layer = keras.layers.Conv2DTranspose(out_ch, kernel, strides=strides, padding=padding,
                                         use_bias=bias, activation=act)
    layer.build((None, None, None, shape[3]))
    rng = _rng(seed)
    layer.set_weights([rng.normal(size=w.shape).astype(np.float32) * 0.5
                       for w in layer.get_weights()])
    return lambda x: layer(x)


def _tconv_all_fn():
    """All TCONV_CASES in one function (one conversion): input i -> layer i -> output i."""
    layers = [_tconv_fn(case, i) for i, case in enumerate(TCONV_CASES)]
    return lambda *xs: [layer(x) for layer, x in zip(layers, xs)]


def _tconv_model(quant):
    t = tf()
    shapes = [case[0] for case in TCONV_CASES]
    return convert(_tconv_all_fn(), [(s, t.float32) for s in shapes], quant=quant,
                   representative=_representative(shapes, seed=1), key=f"tconv-{quant}")


def _tconv_inputs(seed):
    rng = _rng(seed)
    return [rng.normal(size=case[0]).astype(np.float32) for case in TCONV_CASES]


def test_transpose_conv_float32():
    model = _tconv_model(None)
    assert op_names(model).count("TRANSPOSE_CONV") == len(TCONV_CASES)
    ours, theirs = run_both(model, _tconv_inputs(0))
    assert len(ours) == len(TCONV_CASES)
    _exact(ours, theirs)


def test_transpose_conv_int8():
    model = _tconv_model("int8")
    assert op_names(model).count("TRANSPOSE_CONV") == len(TCONV_CASES)
    for seed in range(2):
        x = quantize_inputs(model, _tconv_inputs(10 + seed))
        ours, theirs = run_both(model, x)
        assert len(ours) == len(TCONV_CASES) and all(o.dtype == np.int8 for o in ours)
        _exact(ours, theirs)
        assert all(len(np.unique(o)) > 20 for o in theirs)  # not saturated


def test_transpose_conv_weights_at_run_time():
    """Weights given as a graph input: packed at every invoke rather than once at prepare."""
    model = _tconv_model(None)
    weights = {}

    def weights_as_input(m, sg):
        op = _op_of(m, sg, "TRANSPOSE_CONV")
        t = sg.tensors[op.inputs[1]]
        data = bytes(bytearray(m.buffers[t.buffer].data))
        weights["w"] = np.frombuffer(data, np.float32).reshape(t.shape).copy()
        t.buffer = 0
        sg.inputs = list(sg.inputs) + [op.inputs[1]]
    edited = _edit(model, weights_as_input)
    x = _tconv_inputs(3)
    ours, _ = run_both(edited, x + [weights["w"]])
    _, theirs = run_both(model, x)
    _exact(ours, theirs)


def test_transpose_conv_hybrid():
    """Dynamic-range conversion: int8 weights (per channel), float input. TensorFlow Lite
    quantizes the input to int8 at every invoke, litert dequantizes the weights once: they
    agree to within the input's quantization error, 1/127 of its range per product (measured
    below 1% of the largest output; asserted 2%)."""
    case = ((1, 6, 6, 16), 32, (3, 3), (2, 2), "same", True, None)
    t = tf()
    model = convert(_tconv_fn(case, 0), [(case[0], t.float32)], quant="dynamic",
                    key="tconv-hybrid")
    assert op_names(model) == ["TRANSPOSE_CONV"]
    x = _rng(0).normal(size=case[0]).astype(np.float32)
    ours, theirs = run_both(model, [x])
    _close_rel(ours, theirs, 2e-2)


def _edit(model, fn):
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    fn(m, m.subgraphs[0])
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _allocate_error(model, match):
    from litert import Interpreter

    with pytest.raises((RuntimeError, ValueError), match=match):
        Interpreter(model_content=model).allocate_tensors()


def _op_of(m, sg, name):
    from tensorflow.lite.python import schema_py_generated as schema

    code = getattr(schema.BuiltinOperator, name)
    return next(op for op in sg.operators
            if max(m.operatorCodes[op.opcodeIndex].builtinCode,
                   m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode) == code)


def test_transpose_conv_bad_models():
    f32, q8 = _tconv_model(None), _tconv_model("int8")

    def bias_as_float(m, sg):
        sg.tensors[_op_of(m, sg, "TRANSPOSE_CONV").inputs[3]].type = 0  # FLOAT32
    _allocate_error(_edit(q8, bias_as_float), "has type FLOAT32; expected INT32 for INT8 input")

    def output_shape_from_input(m, sg):  # output_shape no longer a constant
        op = _op_of(m, sg, "TRANSPOSE_CONV")
        shape = sg.tensors[op.inputs[0]]
        shape.buffer = 0
        sg.inputs = list(sg.inputs) + [op.inputs[0]]
    _allocate_error(_edit(f32, output_shape_from_input), "constant")

    def wrong_stride(m, sg):  # the stored output size no longer fits stride 3
        _op_of(m, sg, "TRANSPOSE_CONV").builtinOptions.strideH = 3
    _allocate_error(_edit(f32, wrong_stride), "does not fit input shape")
# ---- RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR --------------------------------------------

RESIZE_SHAPE = (2, 5, 7, 3)


def _resize_fn(x):
    """Every option combination TensorFlow emits, up- and downsampling, as separate outputs."""
    t = tf()
    v1 = t.compat.v1.image
    return [
        t.image.resize(x, (9, 12), method="bilinear"),              # half_pixel_centers
        t.image.resize(x, (3, 4), method="bilinear"),
        v1.resize_bilinear(x, (9, 13), align_corners=True),
        v1.resize_bilinear(x, (4, 3), align_corners=True),
        v1.resize_bilinear(x, (8, 11)),                              # legacy: neither option
        v1.resize_bilinear(x, (1, 1), align_corners=True),
        t.image.resize(x, (11, 9), method="nearest"),                # half_pixel_centers
        t.image.resize(x, (2, 3), method="nearest"),
        v1.resize_nearest_neighbor(x, (10, 13), align_corners=True),
        v1.resize_nearest_neighbor(x, (3, 5), align_corners=True),
        v1.resize_nearest_neighbor(x, (9, 8)),
    ]


def _resize_model(quant):
    t = tf()
    return convert(_resize_fn, [(RESIZE_SHAPE, t.float32)], quant=quant,
                   representative=_representative([RESIZE_SHAPE], seed=5, scale=2.0),
                   key=f"resize-{quant}")


def _resize_options(model):
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    seen = set()
    for op in m.subgraphs[0].operators:
        o = op.builtinOptions
        if hasattr(o, "alignCorners"):
            seen.add((type(o).__name__, bool(o.alignCorners), bool(o.halfPixelCenters)))
    return seen


def test_resize_float32():
    model = _resize_model(None)
    names = op_names(model)
    assert {"RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"} <= set(names)
    assert len(_resize_options(model)) == 6  # 3 option sets for each op
    x = _rng(1).normal(size=RESIZE_SHAPE).astype(np.float32) * 3
    ours, theirs = run_both(model, [x])
    assert len(ours) == 11
    _exact(ours, theirs)


def test_resize_int8():
    model = _resize_model("int8")
    names = op_names(model)
    assert {"RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"} <= set(names)
    assert len(_resize_options(model)) == 6
    for seed in range(2):
        x = quantize_inputs(model, [_rng(20 + seed).normal(size=RESIZE_SHAPE) * 2])
        ours, theirs = run_both(model, x)
        assert all(o.dtype == np.int8 for o in ours)
        _exact(ours, theirs)


def test_resize_bad_models():
    float_model, int8_model = _resize_model(None), _resize_model("int8")

    def both_options(m, sg):
        _op_of(m, sg, "RESIZE_BILINEAR").builtinOptions.alignCorners = True
        _op_of(m, sg, "RESIZE_BILINEAR").builtinOptions.halfPixelCenters = True
    _allocate_error(_edit(float_model, both_options), "align_corners and half_pixel_centers")

    def requantized(m, sg):  # int8 bilinear blends raw values: no requantization
        out = sg.tensors[_op_of(m, sg, "RESIZE_BILINEAR").outputs[0]]
        out.quantization.scale = [out.quantization.scale[0] * 2]
    _allocate_error(_edit(int8_model, requantized), "expected equal")

    def size_from_input(m, sg):
        op = _op_of(m, sg, "RESIZE_NEAREST_NEIGHBOR")
        sg.tensors[op.inputs[1]].buffer = 0
        sg.inputs = list(sg.inputs) + [op.inputs[1]]
    _allocate_error(_edit(float_model, size_from_input), "constant")


# ---- int8 REDUCE_MAX / REDUCE_MIN / SUM, MAXIMUM / MINIMUM / SQUARED_DIFFERENCE ---------

RED_SHAPE = (2, 3, 5, 4)
B_SHAPE = (5, 1)


def _reduce_fn(x, y):
    t = tf()
    return [
        t.reduce_max(x, axis=[1, 2], keepdims=True),
        t.reduce_max(x, axis=-1),
        t.reduce_min(x, axis=[0, 3], keepdims=True),
        t.reduce_min(x, axis=2),
        t.reduce_sum(x, axis=[1, 2], keepdims=True),
        t.reduce_sum(x, axis=[-1]),
        t.reduce_sum(x, axis=[0, 1, 2, 3]),
        t.maximum(x, y),                       # broadcast [5, 1] against [2, 3, 5, 4]
        t.minimum(x, y),
        t.math.squared_difference(x, y),
        t.math.squared_difference(x, x * 0.5 + 0.25),
        t.reduce_max(t.reshape(x, [120]), axis=0),                       # rank 1
        t.reduce_min(t.reshape(x, [2, 3, 5, 2, 2]), axis=[1, -2], keepdims=True),  # rank 5
        t.reduce_sum(t.reshape(x, [2, 3, 5, 2, 2]), axis=[2, 4]),
        t.maximum(t.reshape(x, [120]), t.reshape(x, [120])[::-1]),
    ]


def test_reduce_minmax_sqdiff_int8():
    t = tf()
    model = convert(_reduce_fn, [(RED_SHAPE, t.float32), (B_SHAPE, t.float32)], quant="int8",
                    representative=_representative([RED_SHAPE, B_SHAPE], seed=9),
                    key="reduce-i8")
    names = set(op_names(model))
    assert {"REDUCE_MAX", "REDUCE_MIN", "SUM", "MAXIMUM", "MINIMUM",
            "SQUARED_DIFFERENCE"} <= names, names
    for seed in range(3):
        rng = _rng(30 + seed)
        x = quantize_inputs(model, [rng.normal(size=RED_SHAPE), rng.normal(size=B_SHAPE)])
        ours, theirs = run_both(model, x)
        assert len(ours) == 15 and all(o.dtype == np.int8 for o in ours)
        # int8 SUM (outputs 4-6, 13) follows TensorFlow Lite's default kernels: its reference
        # resolver's int8 SUM wraps around (see reduce.c).
        default = run_all(TFLiteInterpreter(model_content=model), x)
        sums = [4, 5, 6, 13]
        _exact([o for k, o in enumerate(ours) if k not in sums],
               [o for k, o in enumerate(theirs) if k not in sums])
        _exact([ours[k] for k in sums], [default[k] for k in sums])
        assert len(np.unique(theirs[9])) > 5  # the squared differences carry information
        assert len(np.unique(default[4])) > 3


def test_reduce_max_int8_requantized_output_rejected():
    """int8 REDUCE_MAX compares raw values: TensorFlow's converter gives the output the
    input's quantization; another one is an error."""
    t = tf()
    model = convert(_reduce_fn, [(RED_SHAPE, t.float32), (B_SHAPE, t.float32)], quant="int8",
                    representative=_representative([RED_SHAPE, B_SHAPE], seed=9),
                    key="reduce-i8")

    def requantized(m, sg):
        out = sg.tensors[_op_of(m, sg, "REDUCE_MAX").outputs[0]]
        out.quantization.zeroPoint = [int(out.quantization.zeroPoint[0]) + 3]
    _allocate_error(_edit(model, requantized), "expected equal")


def test_squared_difference_int8_output_scale_too_small():
    """TensorFlow Lite aborts when (2 max_in_scale)^2 / (2^14 out_scale) >= 1; litert
    rejects the model at allocate."""
    t = tf()
    model = convert(_reduce_fn, [(RED_SHAPE, t.float32), (B_SHAPE, t.float32)], quant="int8",
                    representative=_representative([RED_SHAPE, B_SHAPE], seed=9),
                    key="reduce-i8")

    def tiny_scale(m, sg):
        out = sg.tensors[_op_of(m, sg, "SQUARED_DIFFERENCE").outputs[0]]
        out.quantization.scale = [1e-9]
    _allocate_error(_edit(model, tiny_scale), "output multiplier is .*expected a value below 1")


# ---- float16 weights (DEQUANTIZE) and DENSIFY ---------------------------------------------

def _small_cnn(seed, sparse=False):
    keras = tf().keras
    keras.utils.set_random_seed(seed)
    inp = keras.Input((8, 8, 3), batch_size=2)
    h = keras.layers.Conv2D(6, 3, padding="same", activation="relu")(inp)
    h = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)
    h = keras.layers.Flatten()(h)
    dense = keras.layers.Dense(16)
    out = dense(h)
    model = keras.Model(inp, out)
    if sparse:  # a pruned-looking Dense layer: 90% of its weights zero
        w, b = dense.get_weights()
        rng = _rng(seed)
        mask = rng.random(size=w.shape) < 0.1
        dense.set_weights([np.where(mask, w, 0.0).astype(np.float32), b])
    return model


def test_float16_weights():
    """Weights and biases stored as float16, each behind a DEQUANTIZE (folded at prepare)."""
    model = convert(_small_cnn(1), [], quant="float16", key="f16")
    names = op_names(model)
    assert "DEQUANTIZE" in names and "TRANSPOSE_CONV" in names, names
    x = _rng(2).normal(size=(2, 8, 8, 3)).astype(np.float32)
    ours, theirs = run_both(model, [x])
    _close_rel(ours, theirs, 1e-5)


def _exposing(model, name):
    """The model with the outputs of every `name` op added to the graph's outputs."""
    from tensorflow.lite.python import schema_py_generated as schema

    code = getattr(schema.BuiltinOperator, name)

    def expose(m, sg):
        extra = [op.outputs[0] for op in sg.operators
                 if max(m.operatorCodes[op.opcodeIndex].builtinCode,
                        m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode) == code]
        assert extra
        sg.outputs = list(sg.outputs) + extra
    return _edit(model, expose)


def test_float16_dequantize_exact():
    """The DEQUANTIZE outputs themselves (float16 -> float32 is exact): equal bit for bit."""
    model = _exposing(convert(_small_cnn(1), [], quant="float16", key="f16"), "DEQUANTIZE")
    x = _rng(2).normal(size=(2, 8, 8, 3)).astype(np.float32)
    ours, theirs = run_both(model, [x])
    assert len(ours) >= 5
    _exact(ours[1:], theirs[1:])


def _sparse_model():
    t = tf()
    keras_model = _small_cnn(3, sparse=True)
    converter = t.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = [t.lite.Optimize.EXPERIMENTAL_SPARSITY]
    return converter.convert()


def test_densify():
    """TensorFlow's converter stores the pruned Dense kernel sparse, with a DENSIFY (folded
    at prepare) feeding FULLY_CONNECTED."""
    model = _sparse_model()
    names = op_names(model)
    assert "DENSIFY" in names, names
    x = _rng(4).normal(size=(2, 8, 8, 3)).astype(np.float32)
    ours, theirs = run_both(model, [x])
    _close_rel(ours, theirs, 1e-5)
    # the densified weights themselves: equal bit for bit, with the zeros where pruned
    ours, theirs = run_both(_exposing(model, "DENSIFY"), [x])
    _exact(ours[1:], theirs[1:])
    assert 0.8 < float(np.mean(theirs[1] == 0)) < 0.95
