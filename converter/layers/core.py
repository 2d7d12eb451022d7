"""Emitters for Keras core layers: InputLayer, Dense, Identity and the layers that are the
identity at inference (dropout and noise layers, ActivityRegularization). Lambda layers are
Python code and are refused with an error (see keras_graph). Also the emitters for the
keras.ops calls a functional graph may record (arithmetic with tensors and numbers,
element-wise activations): see OPERATION_EMITTERS."""
from __future__ import annotations

import functools
from typing import Callable, Optional

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register
from .activations import activation_name, emit_activation


@register("InputLayer", "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
          "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
          "ActivityRegularization")
def convert_identity(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    """Layers that return their input unchanged at inference: no op at all."""
    if len(inputs) != 1:
        raise ctx.unsupported(f"expected one input tensor, got {len(inputs)}")
    return inputs[0]


@register("Dense")
def convert_dense(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    """FULLY_CONNECTED with weights [units, in]; for inputs of rank > 2 keep_num_dims keeps the
    leading dimensions (Dense contracts only the last axis)."""
    layer = ctx.layer
    x = inputs[0]
    if np.dtype(x.dtype) != np.float32:
        raise ctx.unsupported(f"input dtype {np.dtype(x.dtype).name}; only float32 is supported")
    if getattr(layer, "quantization_mode", None):
        raise ctx.unsupported(f"quantized Dense ({layer.quantization_mode}) is not supported; "
                              "convert the float model")
    if x.rank < 2:
        raise ctx.unsupported(f"input of rank {x.rank}; Dense needs rank >= 2")
    kernel = ctx.weight("kernel")                       # [in, units]
    weights = ctx.constant("kernel", np.ascontiguousarray(kernel.T))
    bias = ctx.constant("bias", ctx.weight("bias")) if layer.use_bias else None

    is_linear = activation_name(layer.activation) == "linear"
    linear = ctx.output_tensor(0, suffix=None if is_linear else "linear")
    ctx.op("FULLY_CONNECTED", [x, weights, bias], [linear], "FullyConnectedOptions",
           fused_activation_function=0, keep_num_dims=x.rank > 2)
    if is_linear:
        return linear
    return emit_activation(ctx, linear, layer.activation, ctx.output_tensor(0))


# -- keras.ops calls recorded in a functional graph -------------------------------------------
#
# `x + 3.0`, `keras.ops.relu(x)`, ... on symbolic tensors record keras.ops Operations (not
# layers) in the functional graph; keras.applications use them (MobileNetV3's hard sigmoid is
# `ReLU(6.0)(x + 3.0) * (1.0 / 6.0)`). Their class names clash with layer names (ops.numpy.Add
# vs layers.Add), so they have their own table, keyed by the operation's class name and used
# only for operations defined in keras.src.ops. An emitter gets the call's positional
# arguments with KerasTensors replaced by IR tensors (Python numbers stay numbers).

_BINARY_OPS = {"Add": ("ADD", "AddOptions"), "Subtract": ("SUB", "SubOptions"),
               "Multiply": ("MUL", "MulOptions"), "TrueDivide": ("DIV", "DivOptions"),
               "Divide": ("DIV", "DivOptions"),
               "Maximum": ("MAXIMUM", "MaximumMinimumOptions"),
               "Minimum": ("MINIMUM", "MaximumMinimumOptions")}


def _operand(ctx: LayerContext, value, like: Tensor, index: int) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ctx.unsupported(f"argument {index} is a {type(value).__name__}; only tensors and "
                              "Python numbers are supported")
    return ctx.constant(f"y{index}" if index else "x", np.array(value, dtype=like.dtype))


def _binary_op(ctx: LayerContext, args, kwargs) -> Tensor:
    kind, table = _BINARY_OPS[type(ctx.layer).__name__]
    if len(args) != 2 or kwargs:
        raise ctx.unsupported("expected two positional arguments")
    tensors = [a for a in args if isinstance(a, Tensor)]
    like = tensors[0]
    if any(np.dtype(t.dtype) != np.dtype(np.float32) for t in tensors):
        raise ctx.unsupported("only float32 tensors are supported")
    a, b = (_operand(ctx, v, like, i) for i, v in enumerate(args))
    y = ctx.output_tensor(0)
    ctx.op(kind, [a, b], [y], table)
    return y


def _unary_op(kind: str) -> Callable:
    def emit(ctx: LayerContext, args, kwargs) -> Tensor:
        x = args[0]
        if len(args) != 1 or kwargs or np.dtype(x.dtype) != np.dtype(np.float32):
            raise ctx.unsupported("expected one float32 tensor argument")
        y = ctx.output_tensor(0)
        if kind == "NEG":       # the runtime has no NEG; x * -1 is exact (signed zeros too)
            ctx.op("MUL", [x, ctx.constant("minus_one", np.array(-1.0, np.float32))], [y],
                   "MulOptions")
        else:
            ctx.op(kind, [x], [y])
        return y
    return emit


def _activation_op(name: str) -> Callable:
    def emit(ctx: LayerContext, args, kwargs) -> Tensor:
        x = args[0]
        if len(args) != 1 or kwargs or np.dtype(x.dtype) != np.dtype(np.float32):
            raise ctx.unsupported("expected one float32 tensor argument")
        op = ctx.layer
        params = {}
        if name == "gelu":
            params["approximate"] = bool(op.approximate)
        if name == "softmax":
            params["axis"] = op.axis
        import keras
        act = getattr(keras.activations, name)
        if params:
            act = functools.partial(act, **params)
        return emit_activation(ctx, x, act, ctx.output_tensor(0))
    return emit


OPERATION_EMITTERS: dict[str, Callable] = {
    **{name: _binary_op for name in _BINARY_OPS},
    "Negative": _unary_op("NEG"),
    "Exp": _unary_op("EXP"),
    "Sqrt": _unary_op("SQRT"),
    "Tanh": _activation_op("tanh"),
    "Relu": _activation_op("relu"),
    "Relu6": _activation_op("relu6"),
    "Sigmoid": _activation_op("sigmoid"),
    "Silu": _activation_op("silu"),
    "HardSigmoid": _activation_op("hard_sigmoid"),
    "HardSilu": _activation_op("hard_silu"),
    "Gelu": _activation_op("gelu"),
    "Softmax": _activation_op("softmax"),
}


def operation_emitter(operation) -> Optional[Callable]:
    """The emitter for a keras.ops Operation recorded in a functional graph, if any."""
    if not type(operation).__module__.startswith("keras.src.ops"):
        return None
    return OPERATION_EMITTERS.get(type(operation).__name__)
