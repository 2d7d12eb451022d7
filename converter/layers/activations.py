"""Keras activation functions (as used by Dense, Conv2D, Activation, ...) and the activation
layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax.

`emit_activation(ctx, x, activation, out)` is what every emitter with an `activation` argument
calls. Each activation is emitted as its own op(s); the fuse_activation pass later folds
RELU / RELU6 / RELU_N1_TO_1 / TANH into the producing op where TensorFlow Lite allows it.

Keras 3 definitions used (checked against keras.activations numerically in the tests):
  hard_sigmoid(x) = clip(x / 6 + 0.5, 0, 1)          -> ADD 3, RELU6, MUL 1/6
  hard_silu(x)    = x * hard_sigmoid(x)              -> HARD_SWISH
  silu(x)         = x * sigmoid(x)                   -> LOGISTIC, MUL
  gelu(x, approximate)                               -> GELU(approximate)
  elu(x, alpha)   = x > 0 ? x : alpha * (exp(x) - 1) -> ELU, and LEAKY_RELU(alpha) when alpha != 1
                    (ELU's output is negative exactly where x is, so scaling the negative
                    branch by alpha is a leaky ReLU with slope alpha)
  selu(x)         = scale * elu(x, alpha)            -> ELU, LEAKY_RELU(alpha), MUL scale
  celu(x, alpha)  = alpha * elu(x / alpha)           -> MUL, ELU, MUL
  hard_tanh(x)    = clip(x, -1, 1)                   -> RELU_N1_TO_1
  sparse_sigmoid  = clip((x + 1) / 2, 0, 1)          -> RELU_N1_TO_1, ADD 1, MUL 0.5
  tanh_shrink(x)  = x - tanh(x)                      -> TANH, SUB
  squareplus(x,b) = (x + sqrt(x^2 + b)) / 2          -> MUL, ADD, SQRT, ADD, MUL
Activations needing ops the runtime lacks (LOG, ABS, comparisons/SELECT: softplus, softsign,
mish, log_sigmoid, log_softmax, hard_shrink, soft_shrink, sparse_plus, sparsemax, glu,
threshold) raise an unsupported-layer error."""
from __future__ import annotations

import functools
import inspect
from typing import Callable, Optional

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register


def _activations():
    import keras
    return keras.activations


def activation_name(activation) -> Optional[str]:
    """The Keras name of a built-in activation function (None for anything else: a custom
    function, a functools.partial, a layer instance)."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation
    acts = _activations()
    for name in dir(acts):
        if not name.startswith("_") and getattr(acts, name) is activation:
            # swish/silu and hard_swish/hard_silu are the same objects in Keras 3.
            return {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    return None


# -- small builders ---------------------------------------------------------------------------

_OPTION_TABLES = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions",
                  "DIV": "DivOptions", "MINIMUM": "MaximumMinimumOptions",
                  "MAXIMUM": "MaximumMinimumOptions"}

def _unary(ctx: LayerContext, kind: str, x: Tensor, out: Optional[Tensor], suffix: str,
           options_table: Optional[str] = None, **options) -> Tensor:
    y = out if out is not None else ctx.like(x, suffix)
    ctx.op(kind, [x], [y], options_table, **options)
    return y


def _binary_const(ctx: LayerContext, kind: str, x: Tensor, value: float, out: Optional[Tensor],
                  suffix: str) -> Tensor:
    c = ctx.constant(f"{suffix}/y", np.array(value, dtype=np.float32))
    y = out if out is not None else ctx.like(x, suffix)
    ctx.op(kind, [x, c], [y], _OPTION_TABLES.get(kind))
    return y


def _binary(ctx: LayerContext, kind: str, a: Tensor, b: Tensor, out: Optional[Tensor],
            suffix: str) -> Tensor:
    y = out if out is not None else ctx.like(a, suffix)
    ctx.op(kind, [a, b], [y], _OPTION_TABLES.get(kind))
    return y


def _leaky(ctx, x, alpha, out, suffix="leaky_relu"):
    return _unary(ctx, "LEAKY_RELU", x, out, suffix, "LeakyReluOptions", alpha=float(alpha))


def _elu(ctx, x, alpha, out):
    if alpha == 1.0:
        return _unary(ctx, "ELU", x, out, "elu")
    return _leaky(ctx, _unary(ctx, "ELU", x, None, "elu"), alpha, out, "elu_alpha")


def softmax(ctx: LayerContext, x: Tensor, axis: int, out: Optional[Tensor]) -> Tensor:
    """SOFTMAX over `axis` (TensorFlow Lite's works on the last axis; others are transposed
    there and back)."""
    rank = x.rank
    if rank == 0:
        raise ctx.unsupported("softmax of a scalar")
    axis = axis % rank
    if axis == rank - 1:
        return _unary(ctx, "SOFTMAX", x, out, "softmax", "SoftmaxOptions", beta=1.0)
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]          # a swap is its own inverse
    perm_t = ctx.constant("softmax/perm", np.array(perm, dtype=np.int32))
    shape = [x.shape[p] for p in perm]
    moved = ctx.tensor("softmax/transposed", shape, x.dtype,
                       None if x.signature is None else [x.signature[p] for p in perm])
    ctx.op("TRANSPOSE", [x, perm_t], [moved], "TransposeOptions")
    soft = ctx.graph.tensor(ctx.name("softmax/last_axis"), shape, x.dtype, moved.signature)
    ctx.op("SOFTMAX", [moved], [soft], "SoftmaxOptions", beta=1.0)
    y = out if out is not None else ctx.like(x, "softmax")
    ctx.op("TRANSPOSE", [soft, perm_t], [y], "TransposeOptions")
    return y


def relu_general(ctx: LayerContext, x: Tensor, negative_slope: float, max_value,
                 threshold: float, out: Optional[Tensor]) -> Tensor:
    """Keras relu(x, negative_slope, max_value, threshold) with ops that express it exactly."""
    negative_slope = float(negative_slope or 0.0)
    threshold = float(threshold or 0.0)
    if threshold != 0.0:
        raise ctx.unsupported(
            f"relu with threshold={threshold} (x > threshold ? x : 0) is discontinuous and needs "
            "comparison/select ops the runtime does not have; use threshold=0")
    if max_value is not None:
        max_value = float(max_value)
        if max_value < 0:
            raise ctx.unsupported(f"relu with max_value={max_value} < 0")
    if negative_slope < 0:
        raise ctx.unsupported(f"relu with negative_slope={negative_slope} < 0")
    if negative_slope == 0.0:
        if max_value is None:
            return _unary(ctx, "RELU", x, out, "relu")
        if max_value == 6.0:
            return _unary(ctx, "RELU6", x, out, "relu6")
        return _binary_const(ctx, "MINIMUM", _unary(ctx, "RELU", x, None, "relu"), max_value,
                             out, "relu_max")
    leaky = _leaky(ctx, x, negative_slope, out if max_value is None else None)
    if max_value is None:
        return leaky
    return _binary_const(ctx, "MINIMUM", leaky, max_value, out, "relu_max")


# -- activation functions ---------------------------------------------------------------------

def _silu(ctx, x, out):
    sig = _unary(ctx, "LOGISTIC", x, None, "sigmoid")
    return _binary(ctx, "MUL", x, sig, out, "silu")


def _hard_sigmoid(ctx, x, out):
    shifted = _binary_const(ctx, "ADD", x, 3.0, None, "hard_sigmoid/add")
    clipped = _unary(ctx, "RELU6", shifted, None, "hard_sigmoid/relu6")
    return _binary_const(ctx, "MUL", clipped, 1.0 / 6.0, out, "hard_sigmoid")


def _selu(ctx, x, out):
    # Keras' constants (keras.activations.selu).
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return _binary_const(ctx, "MUL", _elu(ctx, x, alpha, None), scale, out, "selu")


def _celu(ctx, x, out, alpha=1.0):
    if alpha == 1.0:
        return _elu(ctx, x, 1.0, out)
    scaled = _binary_const(ctx, "MUL", x, 1.0 / alpha, None, "celu/scale")
    return _binary_const(ctx, "MUL", _elu(ctx, scaled, 1.0, None), alpha, out, "celu")


def _sparse_sigmoid(ctx, x, out):
    clipped = _unary(ctx, "RELU_N1_TO_1", x, None, "sparse_sigmoid/clip")
    shifted = _binary_const(ctx, "ADD", clipped, 1.0, None, "sparse_sigmoid/add")
    return _binary_const(ctx, "MUL", shifted, 0.5, out, "sparse_sigmoid")


def _tanh_shrink(ctx, x, out):
    return _binary(ctx, "SUB", x, _unary(ctx, "TANH", x, None, "tanh"), out, "tanh_shrink")


def _squareplus(ctx, x, out, b=4.0):
    sq = _binary(ctx, "MUL", x, x, None, "squareplus/square")
    shifted = _binary_const(ctx, "ADD", sq, float(b), None, "squareplus/add_b")
    root = _unary(ctx, "SQRT", shifted, None, "squareplus/sqrt")
    total = _binary(ctx, "ADD", x, root, None, "squareplus/sum")
    return _binary_const(ctx, "MUL", total, 0.5, out, "squareplus")


_ACTIVATIONS: dict[str, Callable] = {
    "relu": lambda ctx, x, out, negative_slope=0.0, max_value=None, threshold=0.0:
        relu_general(ctx, x, negative_slope, max_value, threshold, out),
    "relu6": lambda ctx, x, out: _unary(ctx, "RELU6", x, out, "relu6"),
    "sigmoid": lambda ctx, x, out: _unary(ctx, "LOGISTIC", x, out, "sigmoid"),
    "tanh": lambda ctx, x, out: _unary(ctx, "TANH", x, out, "tanh"),
    "softmax": lambda ctx, x, out, axis=-1: softmax(ctx, x, int(axis), out),
    "silu": _silu,
    "gelu": lambda ctx, x, out, approximate=False: _unary(
        ctx, "GELU", x, out, "gelu", "GeluOptions", approximate=bool(approximate)),
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda ctx, x, out: _unary(ctx, "HARD_SWISH", x, out, "hard_silu"),
    "elu": lambda ctx, x, out, alpha=1.0: _elu(ctx, x, float(alpha), out),
    "selu": _selu,
    "celu": lambda ctx, x, out, alpha=1.0: _celu(ctx, x, out, float(alpha)),
    "leaky_relu": lambda ctx, x, out, negative_slope=0.2: _leaky(ctx, x, float(negative_slope),
                                                                 out),
    "exponential": lambda ctx, x, out: _unary(ctx, "EXP", x, out, "exp"),
    "hard_tanh": lambda ctx, x, out: _unary(ctx, "RELU_N1_TO_1", x, out, "hard_tanh"),
    "sparse_sigmoid": _sparse_sigmoid,
    "tanh_shrink": _tanh_shrink,
    "squareplus": lambda ctx, x, out, b=4.0: _squareplus(ctx, x, out, float(b)),
}

_NEEDS_MISSING_OPS = {
    "softplus": "LOG", "softsign": "ABS", "mish": "LOG", "log_sigmoid": "LOG",
    "log_softmax": "LOG_SOFTMAX", "hard_shrink": "comparison/SELECT",
    "soft_shrink": "comparison/SELECT", "sparse_plus": "comparison/SELECT",
    "sparsemax": "sorting", "glu": "SPLIT", "threshold": "comparison/SELECT",
}


def supported_activations() -> list[str]:
    return sorted(["linear", *_ACTIVATIONS])


def emit_activation(ctx: LayerContext, x: Tensor, activation,
                    out: Optional[Tensor] = None) -> Tensor:
    """Applies a Keras activation to `x`, writing `out` (a new tensor like x when None).
    Returns x itself for the linear activation (and then `out` is not used)."""
    kwargs = {}
    if isinstance(activation, functools.partial) and not activation.args:
        # e.g. functools.partial(keras.activations.gelu, approximate=True)
        kwargs = dict(activation.keywords)
        activation = activation.func
    name = activation_name(activation)
    if name == "linear" and not kwargs:
        return x
    if name in _ACTIVATIONS:
        params = inspect.signature(_ACTIVATIONS[name]).parameters
        unknown = sorted(set(kwargs) - set(list(params)[3:]))
        if unknown:
            raise ctx.unsupported(f"activation '{name}' with argument(s) {unknown}")
        return _ACTIVATIONS[name](ctx, x, out, **kwargs)
    if name in _NEEDS_MISSING_OPS:
        raise ctx.unsupported(
            f"activation '{name}' needs {_NEEDS_MISSING_OPS[name]}, which the runtime does not "
            f"have; supported activations: {', '.join(supported_activations())}")
    what = getattr(activation, "__name__", None) or type(activation).__name__
    raise ctx.unsupported(
        f"activation {what!r} is not a built-in Keras activation the converter knows; "
        f"supported: {', '.join(supported_activations())}")


# -- layers -----------------------------------------------------------------------------------

def _float_input(ctx: LayerContext, x: Tensor) -> None:
    if np.dtype(x.dtype) != np.float32:
        raise ctx.unsupported(f"input dtype {np.dtype(x.dtype).name}; only float32 is supported")


@register("Activation")
def convert_activation(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    _float_input(ctx, x)
    return emit_activation(ctx, x, ctx.layer.activation, ctx.output_tensor(0))


@register("ReLU")
def convert_relu(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    _float_input(ctx, x)
    layer = ctx.layer
    return relu_general(ctx, x, layer.negative_slope, layer.max_value, layer.threshold,
                        ctx.output_tensor(0))


@register("LeakyReLU")
def convert_leaky_relu(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    _float_input(ctx, inputs[0])
    return _leaky(ctx, inputs[0], float(ctx.layer.negative_slope), ctx.output_tensor(0))


@register("ELU")
def convert_elu(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    _float_input(ctx, inputs[0])
    return _elu(ctx, inputs[0], float(ctx.layer.alpha), ctx.output_tensor(0))


@register("PReLU")
def convert_prelu(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    _float_input(ctx, x)
    alpha = ctx.weight("alpha")            # input shape without batch, shared axes of size 1
    # PRELU broadcasts alpha against x from the right, like NumPy; a leading 1 makes the rank
    # equal, which readers that insist on equal ranks need.
    alpha_t = ctx.constant("alpha", alpha.reshape((1, *alpha.shape)))
    y = ctx.output_tensor(0)
    ctx.op("PRELU", [x, alpha_t], [y])
    return y


@register("Softmax")
def convert_softmax(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    x = inputs[0]
    _float_input(ctx, x)
    if len(inputs) > 1 or getattr(ctx, "call_kwargs", {}).get("mask") is not None:
        raise ctx.unsupported("a mask argument is not supported; apply the mask before Softmax")
    axis = ctx.layer.axis
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise ctx.unsupported(f"softmax over several axes {list(axis)}; only one axis is "
                                  "supported")
        axis = axis[0]
    return softmax(ctx, x, int(axis), ctx.output_tensor(0))
