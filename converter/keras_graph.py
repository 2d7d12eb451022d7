"""Walks a Keras 3 model's graph and emits IR ops for every layer call, in topological order.

Keras 3 records each `layer(...)` call of a functional model as a Node (the operation, its
symbolic arguments, its output KerasTensors); a Functional model keeps them grouped by depth in
`_nodes_by_depth` (deepest = closest to the inputs). Keras' own `_run_through_graph` executes a
model by visiting depths from deepest to shallowest and looking up each argument tensor in a
dict keyed by id(KerasTensor); the walk here does the same with converted IR tensors, so
shared layers (one layer, several nodes) and multi-input/multi-output models need nothing
special. A Sequential model is walked through the Functional graph Keras builds for it once
its input shape is known. A model used as a layer (nested model) is inlined: its inputs are
bound to the converted arguments and its graph is walked in place.

Graph inputs are named after the Keras input layers and take the Keras shape with the batch
dimension stored as 1 (signature -1). Outputs are named in the serving signature after the
Keras output names (dict keys for a dict of outputs, otherwise the producing layer's name)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .ir import Graph, Tensor
from .layers.core import OPERATION_EMITTERS, operation_emitter
from .registry import ConversionError, LayerContext, emitter_for, supported_layers, tflite_shape


def _keras():
    import keras  # deferred: importing Keras / TensorFlow takes seconds
    return keras


def _flatten(structure) -> list:
    from keras import tree
    return tree.flatten(structure)


def functional_of(model):
    """The Functional graph behind `model`, or a ConversionError saying why there is none."""
    keras = _keras()
    from keras.src.models.functional import Functional
    from keras.src.models.sequential import Sequential

    if isinstance(model, Sequential):
        fn = getattr(model, "_functional", None)
        if fn is None:
            raise ConversionError(
                f"Sequential model '{model.name}' has no known input shape; start it with "
                "keras.Input(shape=...) or call model.build((None, ...)) before converting")
        return fn
    if isinstance(model, Functional):
        return model
    if isinstance(model, keras.Model):
        raise ConversionError(
            f"model '{model.name}' ({type(model).__name__}) is a subclassed model whose call() "
            "is Python code the converter cannot read; build it with the functional API or "
            "keras.Sequential")
    raise ConversionError(f"expected a keras.Model, got {type(model).__name__}")


def _is_nested_model(operation) -> bool:
    from keras.src.models.functional import Functional
    from keras.src.models.sequential import Sequential
    return isinstance(operation, (Functional, Sequential))


def _ir_dtype(keras_dtype) -> np.dtype:
    try:
        return np.dtype(str(keras_dtype))
    except TypeError as exc:
        raise ConversionError(f"Keras dtype {keras_dtype} has no NumPy equivalent") from exc


class _Unconvertible(str):
    """Stands for the value of a graph tensor the converter cannot compute (the output of a
    keras.ops call); the message says why. Using it as a layer input or model output is the
    error, so mask computations nobody reads cost nothing."""


class _Walker:
    def __init__(self, graph: Graph):
        self.graph = graph

    # -- one functional graph ------------------------------------------------------------
    def walk(self, fn, values: dict[int, Any]) -> None:
        """Emits every node of Functional `fn`; `values` maps id(KerasTensor) -> IR tensor and
        must already hold fn's inputs. Outputs of each node are added to `values`."""
        nodes_by_depth = fn._nodes_by_depth
        for depth in sorted(nodes_by_depth, reverse=True):
            for node in nodes_by_depth[depth]:
                if node.operation is None or node.is_input:
                    continue
                if any(id(kt) not in values for kt in node.input_tensors):
                    continue  # not reachable from this model's inputs (as Keras does)
                inputs = [values[id(kt)] for kt in node.input_tensors]
                outputs = self.call(node, inputs)
                for kt, t in zip(node.outputs, outputs):
                    values[id(kt)] = t

    # -- one node --------------------------------------------------------------------------
    def call(self, node, inputs: list) -> list:
        keras = _keras()
        layer = node.operation
        if not isinstance(layer, keras.layers.Layer):
            # A keras.ops call recorded in the graph (`x + 3.0`, keras.ops.relu(x), ...).
            # Keras itself records the mask computations of Masking /
            # Embedding(mask_zero=True) this way: an unsupported operation is only an error
            # if a layer (or a model output) reads its result.
            first = next((t for t in inputs if isinstance(t, _Unconvertible)), None)
            emitter = operation_emitter(layer)
            if first is None and emitter is not None:
                args, kwargs = node.arguments.fill_in(
                    {id(kt): t for kt, t in zip(node.input_tensors, inputs)})
                return self._emit(node, lambda ctx: emitter(ctx, list(args), dict(kwargs)))
            reason = first or _Unconvertible(
                f"operation '{layer.name}' ({type(layer).__name__}) is a keras.ops call "
                "recorded in the functional graph, which the converter does not support; use "
                "the equivalent Keras layer instead (supported keras.ops calls: "
                f"{', '.join(sorted(OPERATION_EMITTERS))})")
            return [reason] * len(node.outputs)
        blocked = [(kt, t) for kt, t in zip(node.input_tensors, inputs)
                   if isinstance(t, _Unconvertible)]
        if blocked:
            mask = node.arguments.kwargs.get("mask")
            masks = {id(kt) for kt in _flatten(mask)} if mask is not None else set()
            if any(id(kt) in masks for kt, _ in blocked):
                raise ConversionError(
                    f"layer '{layer.name}' ({type(layer).__name__}) is called with a Keras mask "
                    "(from Masking or Embedding(mask_zero=True)); masks are not supported: "
                    "remove the mask (mask_zero=False) or pad so every step is valid")
            raise ConversionError(f"layer '{layer.name}' ({type(layer).__name__}) reads the "
                                  f"result of an unsupported operation: {blocked[0][1]}")
        if _is_nested_model(layer):
            inner = functional_of(layer)
            inner_inputs = _flatten(inner.inputs)
            if len(inner_inputs) != len(inputs):
                raise ConversionError(
                    f"nested model '{layer.name}' takes {len(inner_inputs)} inputs but is "
                    f"called with {len(inputs)} tensors")
            values = {id(kt): t for kt, t in zip(inner_inputs, inputs)}
            self.walk(inner, values)
            inner_outputs = _flatten(inner.outputs)
            missing = [kt.name for kt in inner_outputs if id(kt) not in values]
            if missing:
                raise ConversionError(f"nested model '{layer.name}': outputs {missing} are not "
                                      "connected to its inputs")
            return [values[id(kt)] for kt in inner_outputs]

        emitter = emitter_for(layer)
        if emitter is None:
            known = ", ".join(supported_layers())
            if isinstance(layer, keras.Model):
                why = ("is a subclassed model whose call() is Python code the converter cannot "
                       "read; build it with the functional API")
            elif type(layer).__name__ == "Lambda":
                why = ("is a Lambda layer: its Python function cannot be converted; replace it "
                       "with built-in Keras layers")
            elif not type(layer).__module__.startswith("keras"):
                why = (f"is a custom layer (class defined in {type(layer).__module__}) and is not "
                       "supported; use built-in Keras layers")
            else:
                why = "is not supported by the converter"
            raise ConversionError(f"layer '{layer.name}' ({type(layer).__name__}) {why}. "
                                  f"Supported layer classes: {known}")

        return self._emit(node, lambda ctx: emitter(ctx, list(inputs)))

    def _emit(self, node, emit) -> list[Tensor]:
        """Runs `emit(ctx)` for `node` and checks its results against the Keras outputs."""
        layer = node.operation
        ctx = LayerContext(self.graph, layer, [tuple(kt.shape) for kt in node.outputs])
        # The Keras call record, for emitters that need non-tensor call arguments or the input
        # KerasTensors (mask, training, ...).
        ctx.node = node
        ctx.call_args = node.arguments.args
        ctx.call_kwargs = node.arguments.kwargs
        result = emit(ctx)
        outputs = [result] if isinstance(result, Tensor) else list(result)
        if len(outputs) != len(node.outputs):
            raise ConversionError(
                f"layer '{layer.name}' ({type(layer).__name__}): the emitter returned "
                f"{len(outputs)} tensors for {len(node.outputs)} Keras outputs (converter bug)")
        for i, (kt, t) in enumerate(zip(node.outputs, outputs)):
            shape, _ = tflite_shape(kt.shape)
            if tuple(t.shape) != shape:
                raise ConversionError(
                    f"layer '{layer.name}' ({type(layer).__name__}): output {i} has shape "
                    f"{list(t.shape)} but Keras gives {list(shape)} (converter bug)")
            want = _ir_dtype(kt.dtype)
            if np.dtype(t.dtype) != want:
                raise ConversionError(
                    f"layer '{layer.name}' ({type(layer).__name__}): output {i} has dtype "
                    f"{np.dtype(t.dtype).name} but Keras computes {want.name}; mixed-precision "
                    "and non-float32 layers are not supported")
        return outputs


def _output_names(fn) -> list[str]:
    """Keras names for the model's outputs, in the order of model.outputs."""
    from keras import tree
    struct = getattr(fn, "_outputs_struct", None)
    outs = _flatten(fn.outputs)
    names: list[Optional[str]] = [None] * len(outs)
    if isinstance(struct, dict):
        paths = tree.flatten_with_path(struct)
        if len(paths) == len(outs):
            names = [".".join(str(p) for p in path) for path, _ in paths]
    for i, kt in enumerate(outs):
        if names[i] is None:
            hist = getattr(kt, "_keras_history", None)
            names[i] = hist.operation.name if hist is not None and hist.operation else f"output_{i}"
    # Unique, in order (a layer with several outputs, or one tensor returned twice).
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        seen.setdefault(n, 0)
        unique.append(n)
    return unique


def _copy(graph: Graph, t: Tensor, name: str) -> Tensor:
    """A new tensor `name` equal to `t`: RESHAPE to t's own shape (a constant shape with -1 at
    the one dynamic dimension, or t's run-time SHAPE when several are dynamic)."""
    copy = graph.tensor(name, t.shape, t.dtype, t.signature)
    dynamic = [k for k, d in enumerate(t.signature or ()) if d == -1]
    if len(dynamic) <= 1:
        dims = [-1 if k in dynamic else d for k, d in enumerate(t.shape)]
        shape = graph.constant(f"{name}/shape", np.array(dims, np.int32))
    else:
        shape = graph.tensor(f"{name}/shape", [t.rank], np.int32)
        graph.add_op("SHAPE", [t], [shape], "ShapeOptions", layer=name, out_type=2)  # INT32
    graph.add_op("RESHAPE", [t, shape], [copy], layer=name)
    return copy


def build_graph(model) -> Graph:
    """The IR graph of a Keras model (Sequential or functional, possibly nesting models)."""
    fn = functional_of(model)
    graph = Graph()
    values: dict[int, Tensor] = {}
    for i, kt in enumerate(_flatten(fn.inputs)):
        hist = getattr(kt, "_keras_history", None)
        name = hist.operation.name if hist is not None and hist.operation else kt.name
        shape, signature = tflite_shape(kt.shape)
        t = graph.tensor(name, shape, _ir_dtype(kt.dtype), signature)
        graph.inputs.append(t)
        graph.input_names.append(name)
        values[id(kt)] = t

    _Walker(graph).walk(fn, values)

    outs = _flatten(fn.outputs)
    names = _output_names(fn)
    for kt, name in zip(outs, names):
        if id(kt) not in values:
            raise ConversionError(f"model output '{name}' is not connected to the model inputs")
        t = values[id(kt)]
        if isinstance(t, _Unconvertible):
            raise ConversionError(f"model output '{name}': {t}")
        if any(t is g for g in graph.inputs) or any(t is o for o in graph.outputs):
            # An output that is an input, or the same tensor twice: TensorFlow Lite needs a
            # distinct tensor per output, so copy it through a RESHAPE to its own shape.
            t = _copy(graph, t, name)
        graph.outputs.append(t)
        graph.output_names.append(name)
    return graph
