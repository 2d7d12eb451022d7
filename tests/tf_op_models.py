"""Small models converted by TensorFlow's own converter, for op coverage tests.

An op test writes a tf.function (or a Keras model), converts it here with TensorFlow's
converter (float32, dynamic-range, float16 weights or full int8 from a representative data
set) and compares litert with TensorFlow Lite's interpreter on the same file. Conversions are
cached per process by a caller-chosen key, since converting takes about a second each."""
from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_CACHE: dict[str, bytes] = {}


def tf():
    import tensorflow

    return tensorflow


def convert(fn: Callable, input_specs: Sequence[tuple[tuple[int, ...], object]], *,
            quant: str | None = None,
            representative: Callable[[], Iterable[list[np.ndarray]]] | None = None,
            key: str | None = None) -> bytes:
    """Converts fn (a Python function of tensors, or a Keras model) to a .tflite file.

    input_specs: (shape, dtype) per input. quant: None (float32), "dynamic" (int8 weights,
    float activations), "float16" (float16 weights) or "int8" (full integer: int8 inputs and
    outputs where float, needs `representative`, a generator factory of input lists)."""
    if key is not None and key in _CACHE:
        return _CACHE[key]
    t = tf()
    if hasattr(fn, "layers"):  # a Keras model
        converter = t.lite.TFLiteConverter.from_keras_model(fn)
    else:
        specs = [t.TensorSpec(shape, dtype) for shape, dtype in input_specs]
        concrete = t.function(fn, input_signature=specs).get_concrete_function()
        converter = t.lite.TFLiteConverter.from_concrete_functions([concrete])
    if quant in ("dynamic", "float16", "int8"):
        converter.optimizations = [t.lite.Optimize.DEFAULT]
    if quant == "float16":
        converter.target_spec.supported_types = [t.float16]
    if quant == "int8":
        if representative is None:
            raise ValueError("quant='int8' needs a representative data set")
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = t.int8
        converter.inference_output_type = t.int8
    model = converter.convert()
    if key is not None:
        _CACHE[key] = model
    return model


def op_names(model: bytes) -> list[str]:
    """Names of the model's ops in TensorFlow Lite's own listing (subgraph 0)."""
    from ai_edge_litert.interpreter import Interpreter

    return [op["op_name"] for op in Interpreter(model_content=model)._get_ops_details()]


def quantize_inputs(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Float inputs quantized with the model's own input parameters (int8 inputs only;
    other inputs pass through)."""
    from ai_edge_litert.interpreter import Interpreter

    details = Interpreter(model_content=model).get_input_details()
    out = []
    for d, x in zip(details, inputs):
        if d["dtype"] == np.int8 and np.asarray(x).dtype != np.int8:
            scale, zero = d["quantization"]
            q = np.round(np.asarray(x, np.float64) / scale) + zero
            out.append(np.clip(q, -128, 127).astype(np.int8))
        else:
            out.append(np.asarray(x, d["dtype"]))
    return out


def run_all(interpreter, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Allocates, feeds `inputs`, invokes, returns every output in the graph's order."""
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def run_both(model: bytes, inputs: Sequence[np.ndarray], *, isa=None, num_threads=None):
    """Every output of litert and of TensorFlow Lite's interpreter (reference kernels, as
    the runtime follows them) for the same inputs: (ours, theirs), lists of arrays."""
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
    from ai_edge_litert.interpreter import OpResolverType

    from litert import Interpreter

    ours = run_all(Interpreter(model_content=model, isa=isa, num_threads=num_threads), inputs)
    theirs = run_all(TFLiteInterpreter(model_content=model,
                                       experimental_op_resolver_type=OpResolverType.BUILTIN_REF),
                     inputs)
    return ours, theirs


def run_tflite_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Every output of TensorFlow Lite's reference kernels; its builtin kernels (without
    delegates) where the reference resolver lacks the op version (e.g. DEPTH_TO_SPACE int8,
    TOPK_V2): for the ops tested that way both compute the same values."""
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
    from ai_edge_litert.interpreter import OpResolverType

    try:
        return run_all(TFLiteInterpreter(
            model_content=model, experimental_op_resolver_type=OpResolverType.BUILTIN_REF),
            inputs)
    except (ValueError, RuntimeError) as e:
        if "Didn't find op" not in str(e):
            raise
    return run_all(TFLiteInterpreter(
        model_content=model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES), inputs)


def assert_same_as_tflite(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Runs litert and run_tflite_reference; every output equal in dtype, shape and value.
    Returns litert's outputs."""
    from litert import Interpreter

    ours = run_all(Interpreter(model_content=model), inputs)
    theirs = run_tflite_reference(model, inputs)
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == b.dtype, (i, a.dtype, b.dtype)
        assert a.shape == b.shape, (i, a.shape, b.shape)
        np.testing.assert_array_equal(a, b, err_msg=f"output {i}")
    return ours
