"""Shared by the int8 kernel tests: random per-tensor quantization parameters, one-op int8
models, and the comparison of litert's output with TensorFlow Lite's.

TensorFlow Lite is run three ways on the same model bytes:
  ref        OpResolverType.BUILTIN_REF: its reference kernels
  builtin    OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES: its default (optimized) kernels
  default    the interpreter as users create it (default kernels plus the XNNPACK delegate
             for the ops XNNPACK takes)
litert follows the reference kernels' fixed-point arithmetic ("ref"), which every int8 op here
equals exactly; the tests state per op where the other two may differ (by at most 1).
"""
from __future__ import annotations

import numpy as np
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
from ai_edge_litert.interpreter import OpResolverType

from litert import Interpreter
from op_runner import run_interpreter
from tflite_builder import ModelBuilder

RESOLVERS = {
    "ref": OpResolverType.BUILTIN_REF,
    "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    "default": OpResolverType.AUTO,
}


def random_quant(rng, lo=1e-3, hi=0.5):
    """A per-tensor int8 quantization: scale log-uniform in [lo, hi], any zero point."""
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return dict(scale=[np.float32(scale)], zero_point=[int(rng.integers(-128, 128))])


def full_range_int8(rng, shape):
    """int8 values covering the whole range, both ends included."""
    x = rng.integers(-128, 128, size=shape, dtype=np.int64).astype(np.int8)
    flat = x.reshape(-1)
    if flat.size >= 2:
        flat[0], flat[-1] = -128, 127
    return x


def run_litert(model, inputs):
    return run_interpreter(Interpreter(model_content=model), inputs)


def run_tflite(model, inputs, which):
    return run_interpreter(
        TFLiteInterpreter(model_content=model, experimental_op_resolver_type=RESOLVERS[which]),
        inputs)


def diff_stats(ours, theirs):
    """(max |diff|, fraction of elements exactly equal)."""
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    if ours.size == 0:
        return 0, 1.0
    d = np.abs(ours.astype(np.int64) - theirs.astype(np.int64))
    return int(d.max()), float(np.mean(d == 0))


def compare(model, inputs, which=("ref", "builtin", "default")):
    """litert's output and {resolver: (max |diff|, exact fraction)} against TensorFlow Lite."""
    ours = run_litert(model, inputs)
    return ours, {w: diff_stats(ours, run_tflite(model, inputs, w)) for w in which}


def unary_model(op, shape, in_q, out_q, options_table=None, options=None, out_shape=None):
    """One int8 op with one int8 input of `shape`."""
    b = ModelBuilder()
    x = b.input("x", shape, np.int8, quant=in_q)
    y = b.tensor("y", out_shape or shape, np.int8, quant=out_q)
    b.op(op, [x], [y], options_table, options)
    b.output(y)
    return b.build()


def binary_model(op, a_shape, b_shape, out_shape, a_q, b_q, out_q, options_table=None,
                 options=None):
    """One int8 op with two int8 graph inputs."""
    b = ModelBuilder()
    x = b.input("a", a_shape, np.int8, quant=a_q)
    y = b.input("b", b_shape, np.int8, quant=b_q)
    z = b.tensor("out", out_shape, np.int8, quant=out_q)
    b.op(op, [x, y], [z], options_table, options)
    b.output(z)
    return b.build()
