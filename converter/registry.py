"""Maps each Keras layer class to the small function that emits its ops, and gives those
functions a context with everything they need: the graph, the layer, its output shapes, and
helpers to make tensors, constants and ops named after the layer.

An emitter is registered by the layer's class name and receives the converted input tensors:

    @register("Dense")
    def convert_dense(ctx: LayerContext, inputs: list[Tensor]) -> list[Tensor]:
        ...

Lookup is by exact class (a user subclass that overrides `call` must not be converted as its
parent silently); anything without an emitter stops with a ConversionError naming the layer."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from .ir import Graph, Op, Tensor

Emitter = Callable[["LayerContext", list], Union[Tensor, Sequence[Tensor]]]

_EMITTERS: dict[str, Emitter] = {}


class ConversionError(Exception):
    """A model the converter cannot turn into a correct .tflite file; says which layer and why."""


def register(*class_names: str) -> Callable[[Emitter], Emitter]:
    def wrap(fn: Emitter) -> Emitter:
        for name in class_names:
            if name in _EMITTERS:
                raise RuntimeError(f"two emitters registered for Keras layer class {name}")
            _EMITTERS[name] = fn
        return fn
    return wrap


def emitter_for(layer) -> Optional[Emitter]:
    """The emitter for this layer's exact class, if it is one of Keras' own layers.

    Only layer classes qualify: keras.ops operations recorded in a functional graph can share a
    class name with a layer (ops.Add and layers.Add) and are converted by the graph walk's own
    table (layers/core.py OPERATION_EMITTERS)."""
    cls = type(layer)
    module = cls.__module__
    if not module.startswith("keras.") or module.startswith(("keras.src.ops.", "keras.ops.")):
        return None
    return _EMITTERS.get(cls.__name__)


def supported_layers() -> list[str]:
    return sorted(_EMITTERS)


def tflite_shape(keras_shape: Sequence[Optional[int]]) -> tuple[tuple[int, ...], Optional[tuple[int, ...]]]:
    """Keras shape (None for unknown dims) -> (TFLite shape with 1 there, signature with -1),
    signature None when every dimension is known."""
    dims = tuple(1 if d is None else int(d) for d in keras_shape)
    if all(d is not None for d in keras_shape):
        return dims, None
    return dims, tuple(-1 if d is None else int(d) for d in keras_shape)


class LayerContext:
    """What an emitter works with while converting one layer."""

    def __init__(self, graph: Graph, layer, output_shapes: Sequence[Sequence[Optional[int]]]):
        self.graph = graph
        self.layer = layer
        self.output_shapes = [tuple(s) for s in output_shapes]  # Keras shapes, None = unknown

    # -- errors ---------------------------------------------------------------------------
    def unsupported(self, why: str) -> ConversionError:
        """`raise ctx.unsupported("...")`: an error naming the layer, its class and why."""
        return ConversionError(
            f"layer '{self.layer.name}' ({type(self.layer).__name__}): {why}")

    # -- naming ---------------------------------------------------------------------------
    def name(self, suffix: Optional[str] = None) -> str:
        return self.layer.name if not suffix else f"{self.layer.name}/{suffix}"

    # -- tensors --------------------------------------------------------------------------
    def constant(self, suffix: str, value, dtype=None) -> Tensor:
        return self.graph.constant(self.name(suffix), value, dtype)

    def tensor(self, suffix: Optional[str], shape: Sequence[int], dtype=np.float32,
               signature: Optional[Sequence[int]] = None) -> Tensor:
        return self.graph.tensor(self.name(suffix), shape, dtype, signature)

    def output_tensor(self, index: int = 0, dtype=np.float32, suffix: Optional[str] = None) -> Tensor:
        """A tensor with the shape Keras gives the layer's output `index`."""
        shape, signature = tflite_shape(self.output_shapes[index])
        return self.graph.tensor(self.name(suffix), shape, dtype, signature)

    def like(self, x: Tensor, suffix: str, shape: Optional[Sequence[int]] = None,
             dtype=None) -> Tensor:
        """A new tensor shaped like `x` (or `shape`), keeping x's dynamic batch if it has one."""
        shape = tuple(x.shape if shape is None else shape)
        signature = None
        if x.signature is not None and shape and x.signature[0] == -1:
            signature = (-1, *shape[1:])
        return self.graph.tensor(self.name(suffix), shape, dtype or x.dtype, signature)

    # -- ops ------------------------------------------------------------------------------
    def op(self, kind: str, inputs: Sequence[Optional[Tensor]], outputs: Sequence[Tensor],
           options_table: Optional[str] = None, **options: Any) -> Op:
        return self.graph.add_op(kind, inputs, outputs, options_table, layer=self.layer.name,
                                 **options)

    def weight(self, attr: str) -> np.ndarray:
        """A layer variable (e.g. "kernel") as a float32 NumPy array."""
        var = getattr(self.layer, attr, None)
        if var is None:
            raise self.unsupported(f"has no weight '{attr}'")
        return np.asarray(var.numpy() if hasattr(var, "numpy") else var, dtype=np.float32)
