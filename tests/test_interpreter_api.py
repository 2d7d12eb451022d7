"""The Python API of litert.Interpreter behaves like tf.lite.Interpreter.

Every test runs the same model in litert and in TensorFlow Lite's interpreter (ai_edge_litert)
or checks against NumPy: details dicts are compared key for key and type for type, data round
trips through set_tensor/get_tensor/tensor(), resizing and signatures behave the same, and
every misuse raises the exception type TensorFlow Lite raises, with a message that says what
is wrong, instead of crashing.

Models are built with tests/tflite_builder.py (exact control over names, shapes, signatures
and quantization) plus one Keras Dense model converted by TensorFlow's converter, which
carries the SignatureDef real users get.
"""
import gc
import subprocess
import sys

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter as ReferenceInterpreter

import litert
from litert import Interpreter
from tflite_builder import ModelBuilder

NONE = 0  # ActivationFunctionType.NONE

# ---- models -------------------------------------------------------------------------------

ADD_MUL_CONSTANT = np.array([1.5, -2.0, 0.25], dtype=np.float32)


@pytest.fixture(scope="module")
def add_mul_model():
    """z = x + y; w = z * c (c constant [3], broadcast). Inputs have a dynamic batch, the
    signature lists names out of alphabetical order (TensorFlow Lite sorts them)."""
    b = ModelBuilder()
    x = b.input("x", [2, 3], np.float32, shape_signature=[-1, 3])
    y = b.input("y", [2, 3], np.float32, shape_signature=[-1, 3])
    c = b.constant("c", ADD_MUL_CONSTANT)
    z = b.tensor("z", [2, 3], np.float32, shape_signature=[-1, 3])
    w = b.tensor("w", [2, 3], np.float32, shape_signature=[-1, 3])
    b.op("ADD", [x, y], [z], "AddOptions", dict(fused_activation_function=NONE))
    b.op("MUL", [z, c], [w], "MulOptions", dict(fused_activation_function=NONE))
    b.output(z, w)
    b.signature("add_mul", {"y_in": y, "x_in": x}, {"sum": z, "product": w})
    return b.build()


@pytest.fixture(scope="module")
def int32_add_model():
    b = ModelBuilder()
    x = b.input("a", [4], np.int32)
    y = b.input("b", [4], np.int32)
    z = b.tensor("sum", [4], np.int32)
    b.op("ADD", [x, y], [z], "AddOptions", dict(fused_activation_function=NONE))
    b.output(z)
    return b.build()


@pytest.fixture(scope="module")
def quantized_model():
    """Dequantizes a per-tensor quantized int8 input and a per-channel quantized int8 constant
    (axis 1): both kinds of quantization parameters show up in the details."""
    b = ModelBuilder()
    qx = b.input("qx", [1, 4], np.int8, quant=dict(scale=0.5, zero_point=-3))
    xf = b.tensor("xf", [1, 4], np.float32)
    wq = b.constant("wq", np.arange(-6, 6, dtype=np.int8).reshape(3, 4),
                    quant=dict(scale=[0.1, 0.2, 0.3, 0.4], zero_point=[0, 0, 0, 0],
                               quantized_dimension=1))
    wf = b.tensor("wf", [3, 4], np.float32)
    b.op("DEQUANTIZE", [qx], [xf])
    b.op("DEQUANTIZE", [wq], [wf])
    b.output(xf, wf)
    return b.build()


@pytest.fixture(scope="module")
def keras_dense():
    """(model bytes, kernel, bias) of keras Dense(3) on 4 features, converted by TensorFlow's
    converter, which adds the 'serving_default' SignatureDef."""
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, bias_initializer="random_normal"),
    ])
    kernel, bias = (np.asarray(v) for v in model.layers[0].get_weights())
    converted = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    return converted, kernel, bias


@pytest.fixture(scope="module", params=["add_mul", "int32_add", "quantized", "keras_dense"])
def any_model(request):
    if request.param == "keras_dense":
        return request.getfixturevalue("keras_dense")[0]
    return request.getfixturevalue(f"{request.param}_model")


def _random(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(-50, 50, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# ---- details ------------------------------------------------------------------------------

def _assert_same_value(ours, theirs, where):
    assert type(ours) is type(theirs), f"{where}: type {type(ours)} != {type(theirs)}"
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{where}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            _assert_same_value(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs), f"{where}: {ours} != {theirs}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            _assert_same_value(o, t, f"{where}[{i}]")
    elif isinstance(theirs, np.ndarray):
        assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} != {theirs.dtype}"
        np.testing.assert_array_equal(ours, theirs, err_msg=where)
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def _assert_same_details(ours, theirs, what):
    assert len(ours) == len(theirs), f"{what}: {len(ours)} tensors vs {len(theirs)}"
    for i, (o, t) in enumerate(zip(ours, theirs)):
        _assert_same_value(o, t, f"{what}[{i}] ({t['name']})")


def test_details_match_reference_key_for_key(any_model):
    ours, ref = Interpreter(model_content=any_model), ReferenceInterpreter(model_content=any_model)
    for stage in ("before allocate", "after allocate"):
        _assert_same_details(ours.get_input_details(), ref.get_input_details(),
                             f"input details {stage}")
        _assert_same_details(ours.get_output_details(), ref.get_output_details(),
                             f"output details {stage}")
        _assert_same_details(ours.get_tensor_details(), ref.get_tensor_details(),
                             f"tensor details {stage}")
        ours.allocate_tensors()
        ref.allocate_tensors()


def test_details_types_are_those_of_tensorflow_lite(quantized_model):
    """Spelled out, so a change in the reference cannot silently change what we promise."""
    details = {d["name"]: d for d in Interpreter(model_content=quantized_model)
               .get_tensor_details()}
    qx, wq = details["qx"], details["wq"]
    assert qx["dtype"] is np.int8 and details["xf"]["dtype"] is np.float32
    assert qx["shape"].dtype == np.int32 and qx["shape_signature"].dtype == np.int32
    assert qx["quantization"] == (0.5, -3)
    assert type(qx["quantization"][0]) is float and type(qx["quantization"][1]) is int
    params = wq["quantization_parameters"]
    np.testing.assert_array_equal(params["scales"], np.float32([0.1, 0.2, 0.3, 0.4]))
    assert params["scales"].dtype == np.float32 and params["zero_points"].dtype == np.int32
    assert params["quantized_dimension"] == 1
    assert wq["quantization"] == (0.0, 0)  # no single pair describes per-channel quantization
    assert qx["sparsity_parameters"] == {}


def test_model_path_loads_the_same_model(add_mul_model, tmp_path):
    path = tmp_path / "add_mul.tflite"
    path.write_bytes(add_mul_model)
    from_file = Interpreter(model_path=str(path))
    from_bytes = Interpreter(model_content=add_mul_model)
    _assert_same_details(from_file.get_tensor_details(), from_bytes.get_tensor_details(),
                         "model_path vs model_content")
    x, y = _random((2, 3), seed=1), _random((2, 3), seed=2)
    outputs = []
    for it in (from_file, from_bytes):
        it.allocate_tensors()
        it.set_tensor(0, x)
        it.set_tensor(1, y)
        it.invoke()
        outputs.append(it.get_tensor(it.get_output_details()[1]["index"]))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_allclose(outputs[0], (x + y) * ADD_MUL_CONSTANT, rtol=1e-6)


def test_version_matches_native_library():
    from litert._native import lib, string

    assert litert.__version__ == string(lib.lt_version())


# ---- data in and out ----------------------------------------------------------------------

def _run(it, inputs):
    it.allocate_tensors()
    for detail, value in zip(it.get_input_details(), inputs):
        it.set_tensor(detail["index"], value)
    it.invoke()
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def test_outputs_match_numpy_and_reference(add_mul_model):
    x, y = _random((2, 3), seed=3), _random((2, 3), seed=4)
    ours = _run(Interpreter(model_content=add_mul_model), [x, y])
    ref = _run(ReferenceInterpreter(model_content=add_mul_model), [x, y])
    # One float32 add and one multiply: both runtimes round the same IEEE operations.
    np.testing.assert_array_equal(ours[0], x + y)
    np.testing.assert_array_equal(ours[1], (x + y) * ADD_MUL_CONSTANT)
    for o, r in zip(ours, ref):
        np.testing.assert_array_equal(o, r)


@pytest.mark.parametrize("dtype,model", [(np.float32, "add_mul_model"),
                                         (np.int32, "int32_add_model")])
def test_set_get_round_trip_copies(request, dtype, model):
    it = Interpreter(model_content=request.getfixturevalue(model))
    it.allocate_tensors()
    detail = it.get_input_details()[0]
    value = _random(tuple(detail["shape"]), dtype, seed=5)
    original = value.copy()
    it.set_tensor(detail["index"], value)
    value += 1  # set_tensor copied: changing the source does not change the tensor
    got = it.get_tensor(detail["index"])
    assert got.dtype == dtype and got.shape == original.shape
    np.testing.assert_array_equal(got, original)
    got += 1  # get_tensor returned a copy: changing it does not change the tensor
    np.testing.assert_array_equal(it.get_tensor(detail["index"]), original)
    assert got.flags.owndata


def test_set_tensor_accepts_non_contiguous_arrays(add_mul_model):
    wide = _random((2, 6), seed=6)
    strided = wide[:, ::2]
    assert not strided.flags.c_contiguous
    outputs = []
    for cls in (Interpreter, ReferenceInterpreter):
        it = cls(model_content=add_mul_model)
        it.allocate_tensors()
        it.set_tensor(0, strided)
        outputs.append(it.get_tensor(0))
    np.testing.assert_array_equal(outputs[0], strided)
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_tensor_returns_a_live_view(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    it.allocate_tensors()
    x_index, y_index = (d["index"] for d in it.get_input_details())
    sum_index = it.get_output_details()[0]["index"]
    x_view, y_view, sum_view = it.tensor(x_index), it.tensor(y_index), it.tensor(sum_index)

    x_view()[...] = 2.0  # writes go straight into the input tensor
    y_view()[...] = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(it.get_tensor(x_index), np.full((2, 3), 2.0, np.float32))

    out = sum_view()
    it.invoke()  # our buffers never move during invoke, so a held view stays valid
    expected = 2.0 + np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(out, expected)
    y_view()[0, 0] = 100.0
    it.invoke()
    assert out[0, 0] == 102.0  # the same array shows the new result: it is not a copy
    assert np.shares_memory(sum_view(), out)
    assert out.dtype == np.float32 and out.shape == (2, 3)


def test_tensor_view_of_a_constant_is_read_only(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    it.allocate_tensors()
    c_index = next(d["index"] for d in it.get_tensor_details() if d["name"] == "c")
    view = it.tensor(c_index)()
    np.testing.assert_array_equal(view, ADD_MUL_CONSTANT)
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 0.0


def test_live_view_blocks_reallocation_like_reference(add_mul_model):
    for cls in (Interpreter, ReferenceInterpreter):
        it = cls(model_content=add_mul_model)
        it.allocate_tensors()
        view = it.tensor(0)()
        with pytest.raises(RuntimeError, match="reference to internal data"):
            it.allocate_tensors()
        if cls is Interpreter:
            with pytest.raises(RuntimeError, match="reference to internal data"):
                it.resize_tensor_input(0, [4, 3])
            part = view[1:]  # a slice keeps the buffer referenced as well
            del view
            with pytest.raises(RuntimeError):
                it.allocate_tensors()
            del part
        else:
            del view
        it.allocate_tensors()  # nothing refers to the buffers any more


def test_view_outlives_close(add_mul_model):
    """close() with a view alive frees nothing the view shows: the memory goes when the view
    does."""
    it = Interpreter(model_content=add_mul_model)
    it.allocate_tensors()
    it.set_tensor(0, np.full((2, 3), 4.0, np.float32))
    view = it.tensor(0)()
    it.close()
    gc.collect()
    np.testing.assert_array_equal(view, np.full((2, 3), 4.0, np.float32))
    del view
    gc.collect()


def test_model_content_is_kept_alive(add_mul_model):
    """The runtime reads constants from the model bytes without copying them; the Interpreter
    keeps them alive after the caller drops its reference, and copies a mutable buffer."""
    x, y = _random((2, 3), seed=8), _random((2, 3), seed=9)
    expected = (x + y) * ADD_MUL_CONSTANT
    it = Interpreter(model_content=bytes(bytearray(add_mul_model)))  # our only reference
    gc.collect()
    np.testing.assert_array_equal(_run(it, [x, y])[1], expected)

    mutable = bytearray(add_mul_model)
    it = Interpreter(model_content=mutable)
    mutable[:] = bytes(len(mutable))  # scribbling over the caller's buffer changes nothing
    np.testing.assert_array_equal(_run(it, [x, y])[1], expected)


# ---- resizing -----------------------------------------------------------------------------

def test_resize_then_allocate_changes_output_shape(add_mul_model):
    x, y = _random((5, 3), seed=10), _random((5, 3), seed=11)
    results = []
    for cls in (Interpreter, ReferenceInterpreter):
        it = cls(model_content=add_mul_model)
        for detail in it.get_input_details():
            it.resize_tensor_input(detail["index"], [5, 3])
        outputs = _run(it, [x, y])
        shapes = [tuple(d["shape"]) for d in it.get_output_details()]
        signature = [tuple(d["shape_signature"]) for d in it.get_output_details()]
        results.append((shapes, signature, outputs))
    (shapes, signature, outputs), (ref_shapes, ref_signature, ref_outputs) = results
    assert shapes == ref_shapes == [(5, 3), (5, 3)]
    assert signature == ref_signature == [(-1, 3), (-1, 3)]
    np.testing.assert_array_equal(outputs[1], (x + y) * ADD_MUL_CONSTANT)
    np.testing.assert_array_equal(outputs[1], ref_outputs[1])


def test_resize_keras_dense_batch(keras_dense):
    model, kernel, bias = keras_dense
    x = _random((7, 4), seed=12)
    it = Interpreter(model_content=model)
    it.resize_tensor_input(it.get_input_details()[0]["index"], [7, 4], strict=True)
    (out,) = _run(it, [x])
    assert out.shape == (7, 3)
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_strict_resize_only_changes_dynamic_dimensions(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    it.resize_tensor_input(0, [9, 3], strict=True)  # dim 0 is -1 in the signature
    with pytest.raises(ValueError, match="shape signature"):
        it.resize_tensor_input(0, [9, 4], strict=True)
    with pytest.raises(ValueError, match="shape signature"):
        it.resize_tensor_input(0, [9, 3, 1], strict=True)


def test_resize_rejects_bad_shapes(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    with pytest.raises(ValueError, match="sequence of ints"):
        it.resize_tensor_input(0, [2.5, 3])
    with pytest.raises(ValueError):
        it.resize_tensor_input(0, [-2, 3])
    with pytest.raises(ValueError, match="not an input"):
        it.resize_tensor_input(2, [2, 3])  # the constant


# ---- signatures ---------------------------------------------------------------------------

def test_signature_list_matches_reference(add_mul_model, keras_dense):
    for model in (add_mul_model, keras_dense[0]):
        ours = Interpreter(model_content=model).get_signature_list()
        assert ours == ReferenceInterpreter(model_content=model).get_signature_list()
    assert Interpreter(model_content=add_mul_model).get_signature_list() == {
        "add_mul": {"inputs": ["x_in", "y_in"], "outputs": ["product", "sum"]}}


def test_signature_runner_on_converted_keras_model(keras_dense):
    model, kernel, bias = keras_dense
    ours = Interpreter(model_content=model).get_signature_runner()
    ref = ReferenceInterpreter(model_content=model).get_signature_runner()
    (input_name,) = ours.get_input_details()
    for batch in (1, 5, 2):  # the runner resizes the input to each value's shape
        x = _random((batch, 4), seed=batch)
        out, ref_out = ours(**{input_name: x}), ref(**{input_name: x})
        assert list(out) == list(ref_out)
        for name in ref_out:
            assert out[name].shape == (batch, 3)
            np.testing.assert_allclose(out[name], x @ kernel + bias, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(out[name], ref_out[name], rtol=1e-5, atol=1e-6)
    for method in ("get_input_details", "get_output_details"):
        got, want = getattr(ours, method)(), getattr(ref, method)()
        assert list(got) == list(want)
        for name in want:
            _assert_same_value(got[name], want[name], f"{method}[{name}]")


def test_signature_runner_by_key(add_mul_model):
    runner = Interpreter(model_content=add_mul_model).get_signature_runner("add_mul")
    x, y = _random((3, 3), seed=13), _random((3, 3), seed=14)
    out = runner(x_in=x, y_in=y)
    assert sorted(out) == ["product", "sum"]
    np.testing.assert_array_equal(out["sum"], x + y)
    np.testing.assert_array_equal(out["product"], (x + y) * ADD_MUL_CONSTANT)


def test_signature_runner_errors(add_mul_model, int32_add_model):
    it = Interpreter(model_content=add_mul_model)
    with pytest.raises(ValueError, match="Invalid signature_key"):
        it.get_signature_runner("nope")
    runner = it.get_signature_runner()
    x = _random((2, 3))
    with pytest.raises(ValueError, match="number of inputs"):
        runner(x_in=x)
    with pytest.raises(ValueError, match="Invalid input name"):
        runner(x_in=x, z_in=x)
    with pytest.raises(ValueError, match="float32"):
        runner(x_in=x, y_in=x.astype(np.float64))
    no_signatures = Interpreter(model_content=int32_add_model)
    assert no_signatures.get_signature_list() == {}
    with pytest.raises(ValueError, match="has 0 SignatureDefs"):
        no_signatures.get_signature_runner()


# ---- errors -------------------------------------------------------------------------------

@pytest.fixture
def allocated(add_mul_model):
    """(litert, reference) interpreters of add_mul_model, allocated."""
    pair = Interpreter(model_content=add_mul_model), ReferenceInterpreter(
        model_content=add_mul_model)
    for it in pair:
        it.allocate_tensors()
    return pair


def test_wrong_dtype_raises_value_error(allocated):
    for it in allocated:
        with pytest.raises(ValueError) as info:
            it.set_tensor(0, np.zeros((2, 3), np.float64))
        message = str(info.value).lower()
        assert "float64" in message and "float32" in message, message
    with pytest.raises(ValueError, match="int64"):
        allocated[0].set_tensor(0, [[1, 2, 3], [4, 5, 6]])  # a list of ints is int64, as in TF


@pytest.mark.parametrize("shape", [(2, 4), (3,), (1, 2, 3)])
def test_wrong_shape_raises_value_error(allocated, shape):
    for it in allocated:
        with pytest.raises(ValueError, match="(?i)dimension mismatch"):
            it.set_tensor(0, np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        allocated[0].set_tensor(0, np.zeros(shape, np.float32))


@pytest.mark.parametrize("index", [99, -1, 5])
@pytest.mark.parametrize("call", ["set_tensor", "get_tensor", "tensor", "resize"])
def test_index_out_of_range_raises_value_error(allocated, index, call):
    ours = allocated[0]
    actions = {
        "set_tensor": lambda: ours.set_tensor(index, np.zeros((2, 3), np.float32)),
        "get_tensor": lambda: ours.get_tensor(index),
        "tensor": lambda: ours.tensor(index)(),
        "resize": lambda: ours.resize_tensor_input(index, [2, 3]),
    }
    with pytest.raises(ValueError, match=f"Invalid tensor index {index}.*5 tensors"):
        actions[call]()
    if call in ("set_tensor", "get_tensor"):
        with pytest.raises(ValueError):  # the reference agrees it is a ValueError
            getattr(allocated[1], call)(index, *(
                [np.zeros((2, 3), np.float32)] if call == "set_tensor" else []))


def test_setting_a_constant_tensor_is_refused(allocated):
    with pytest.raises(ValueError, match="tensor 2"):
        allocated[0].set_tensor(2, np.zeros(3, np.float32))
    np.testing.assert_array_equal(allocated[0].get_tensor(2), ADD_MUL_CONSTANT)


def test_invoke_before_allocate_raises_runtime_error(add_mul_model):
    for cls in (Interpreter, ReferenceInterpreter):
        with pytest.raises(RuntimeError):
            cls(model_content=add_mul_model).invoke()
    with pytest.raises(RuntimeError, match="allocate"):
        Interpreter(model_content=add_mul_model).invoke()


def test_data_access_before_allocate_raises_value_error(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    ref = ReferenceInterpreter(model_content=add_mul_model)
    for i in (it, ref):
        with pytest.raises(ValueError, match="(?i)allocate"):
            i.get_tensor(0)
        with pytest.raises(ValueError, match="(?i)allocate"):
            i.set_tensor(0, np.zeros((2, 3), np.float32))
        with pytest.raises(ValueError, match="(?i)allocate"):
            i.tensor(0)()


def test_invoke_after_resize_needs_allocate(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    it.allocate_tensors()
    it.resize_tensor_input(0, [4, 3])
    with pytest.raises(RuntimeError, match="allocate"):
        it.invoke()


def test_use_after_close_raises_value_error(add_mul_model):
    it = Interpreter(model_content=add_mul_model)
    it.allocate_tensors()
    view_fn = it.tensor(0)
    runner = it.get_signature_runner()
    it.close()
    it.close()  # closing twice is harmless
    calls = [
        it.allocate_tensors, it.invoke, it.get_input_details, it.get_output_details,
        it.get_tensor_details, it.get_signature_list, it.get_signature_runner, view_fn,
        runner.get_input_details,
        lambda: it.get_tensor(0),
        lambda: it.set_tensor(0, np.zeros((2, 3), np.float32)),
        lambda: it.tensor(0),
        lambda: it.resize_tensor_input(0, [1, 3]),
        lambda: runner(x_in=np.zeros((2, 3), np.float32), y_in=np.zeros((2, 3), np.float32)),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="closed"):
            call()


def test_close_while_other_threads_invoke(add_mul_model):
    """Calls from several threads are serialized; a close() racing them makes the later ones
    raise 'closed' instead of running on freed memory."""
    import threading

    it = Interpreter(model_content=add_mul_model)
    x = _random((2, 3), seed=17)
    _run(it, [x, x])
    unexpected, stopped = [], []

    def work():
        for _ in range(300):
            try:
                it.invoke()
                np.testing.assert_array_equal(it.get_tensor(3), x + x)
            except ValueError as exc:
                stopped.append(str(exc))
                return
            except BaseException as exc:  # noqa: BLE001 - reported by the assert below
                unexpected.append(exc)
                return

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    it.close()
    for t in threads:
        t.join()
    assert not unexpected, unexpected
    assert all("closed" in message for message in stopped)


def test_context_manager_closes(add_mul_model):
    with Interpreter(model_content=add_mul_model) as it:
        it.allocate_tensors()
    with pytest.raises(ValueError, match="closed"):
        it.invoke()


@pytest.mark.parametrize("content", [b"garbage" * 10, b"", b"TFL3" * 16],
                         ids=["garbage", "empty", "identifier-only"])
def test_bad_model_content_raises_value_error(content):
    with pytest.raises(ValueError, match="Could not load model_content") as info:
        Interpreter(model_content=content)
    assert len(str(info.value)) > len("Could not load model_content () bytes: ") + 5


def test_truncated_model_raises_value_error(add_mul_model):
    for length in (8, 64, len(add_mul_model) // 2, len(add_mul_model) - 1):
        with pytest.raises(ValueError, match="Could not load"):
            Interpreter(model_content=add_mul_model[:length])


def test_garbage_bytes_rejected_by_reference_too():
    with pytest.raises(ValueError):
        ReferenceInterpreter(model_content=b"garbage" * 10)


def test_missing_model_file_raises_value_error(tmp_path):
    missing = tmp_path / "missing.tflite"
    with pytest.raises(ValueError, match="missing.tflite"):
        Interpreter(model_path=str(missing))


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(), "must be specified"),
    (dict(model_path="m.tflite", model_content=b"x"), "both"),
    (dict(model_content=b"x", num_threads=0), "num_threads"),
    (dict(model_content=b"x", num_threads="2"), "num_threads"),
    (dict(model_content=b"x", experimental_delegates=[object()]), "delegates"),
    (dict(model_content=b"x", experimental_preserve_all_tensors=True), "preserve"),
])
def test_bad_constructor_arguments_raise_value_error(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        Interpreter(**kwargs)


def test_num_threads_and_empty_delegates_are_accepted(add_mul_model):
    x, y = _random((2, 3), seed=15), _random((2, 3), seed=16)
    it = Interpreter(model_content=add_mul_model, num_threads=2, experimental_delegates=[])
    np.testing.assert_array_equal(_run(it, [x, y])[0], x + y)


def test_model_content_of_wrong_type_raises_type_error():
    with pytest.raises(TypeError, match="bytes"):
        Interpreter(model_content="model.tflite")


# ---- tools --------------------------------------------------------------------------------

def test_litert_run_entry_point_execs_the_installed_program():
    from litert.tools import find_litert_run

    if find_litert_run() is None:
        pytest.skip("litert-run is not installed in the package (development build)")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from litert.tools import litert_run_main; "
         "sys.argv = ['litert-run', '--help']; litert_run_main()"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: litert-run" in result.stdout + result.stderr


def test_empty_constant_graph_output():
    """An output with no elements and no producer is an empty constant (TensorFlow's converter
    folds a zero-size TILE into one): it runs, as in TensorFlow Lite."""
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter

    mb = ModelBuilder()
    x = mb.input("x", [2], np.float32)
    y = mb.tensor("y", [2], np.float32)
    empty = mb.tensor("empty", [0, 3], np.float32)
    mb.op("RELU", [x], [y])
    mb.output(y, empty)
    model = mb.build()
    outs = []
    for interp in (Interpreter(model_content=model), TFLiteInterpreter(model_content=model)):
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], np.array([-1, 2], np.float32))
        interp.invoke()
        outs.append([interp.get_tensor(d["index"]) for d in interp.get_output_details()])
    np.testing.assert_array_equal(outs[0][0], [0, 2])
    assert outs[0][1].shape == outs[1][1].shape == (0, 3)
