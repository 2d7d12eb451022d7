"""Runs one-op test models in litert and in TensorFlow Lite, and the format's fused
activations in NumPy: shared by the kernel tests."""
import numpy as np
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
from ai_edge_litert.interpreter import OpResolverType

from litert import Interpreter

ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6, ACT_TANH, ACT_SIGN_BIT = range(6)


def run_interpreter(interpreter, inputs):
    """Allocates, feeds `inputs`, invokes, returns the first output."""
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], value)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def run_litert(model, inputs, isa=None, num_threads=None):
    """First output of `model` run in litert on `inputs` (one array per graph input), with
    the kernels of instruction-set level `isa` (None: the best the CPU has)."""
    return run_interpreter(Interpreter(model_content=model, isa=isa, num_threads=num_threads),
                           inputs)


def run_tflite(model, inputs):
    """The same in TensorFlow Lite with its reference kernels (BUILTIN_REF): the plain
    implementations, free of XNNPACK's approximations and missing cases."""
    return run_interpreter(TFLiteInterpreter(model_content=model,
                                  experimental_op_resolver_type=OpResolverType.BUILTIN_REF),
                inputs)


def run_tflite_default(model, inputs):
    """The same in TensorFlow Lite as users run it (default resolver, XNNPACK delegate)."""
    return run_interpreter(TFLiteInterpreter(model_content=model), inputs)


def fused_activation(x, act):
    """The format's fused activations in NumPy (NaN passes through the clamps)."""
    if act == ACT_NONE:
        return x
    if act == ACT_TANH:
        return np.tanh(x)
    if act == ACT_SIGN_BIT:
        return np.signbit(x).astype(x.dtype)
    lo, hi = {ACT_RELU: (0, None), ACT_RELU_N1_TO_1: (-1, 1), ACT_RELU6: (0, 6)}[act]
    return np.clip(x, lo, hi).astype(x.dtype)


def assert_within_sum_bound(got, ref, mag, n, factor=1.0):
    """float32 `got` against a float64 reference `ref` of sums of `n` products: the standard
    summation error bound (n + 2) * 2^-23 * mag + 2^-22 * |ref|, where `mag` is the same
    computation on absolute values, times `factor` (2 when comparing with another float32
    implementation)."""
    assert got.dtype == np.float32
    assert got.shape == ref.shape, (got.shape, ref.shape)
    tol = factor * ((n + 2) * 2.0 ** -23 * mag + 2.0 ** -22 * np.abs(ref))
    err = np.abs(got.astype(np.float64) - ref)
    worst = np.unravel_index(np.argmax(err - tol), err.shape) if err.size else ()
    assert np.all(err <= tol), (
        f"max excess at {worst}: got {got[worst]}, expected {ref[worst]}, tol {tol[worst]}")
