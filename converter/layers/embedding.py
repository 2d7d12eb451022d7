"""Emitter for Keras' Embedding layer: one GATHER of the embedding table by the indices.

Indices: Keras casts non-integer indices to int32 inside the layer; the runtime has no CAST
op, so the indices must already be int32 or int64 (declare keras.Input(..., dtype="int32")).
Unlike Keras, which wraps a negative index i to i + vocabulary size, GATHER rejects negative
and out-of-range indices at run time.

The table is the one the layer looks rows up in: `layer.embeddings` (with any LoRA update
merged, as Keras does), or for an int8-quantized layer the int8 rows divided by their
per-row scales, which is the division Keras performs after the lookup.

mask_zero: the mask only matters to layers that read it. When it reaches one (a layer called
with a mask argument, or Multiply / Maximum / Minimum), the result would differ from Keras
wherever an index is 0, so conversion stops here with an error naming that layer. A mask
nobody reads is dropped, as it does not change any value."""
from __future__ import annotations

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register

# Merge layers that read their inputs' masks inside call() (no mask argument in the graph).
_MASK_READING_MERGES = {"Multiply", "Maximum", "Minimum"}


def _table(ctx: LayerContext) -> np.ndarray:
    layer = ctx.layer
    mode = getattr(layer, "quantization_mode", None)
    if mode is None:
        return ctx.weight("embeddings")
    if mode == "int8":
        rows = np.asarray(layer._embeddings.numpy(), dtype=np.float32)
        scale = np.asarray(layer.embeddings_scale.numpy(), dtype=np.float32)
        table = rows / scale[:, None]
        if getattr(layer, "lora_enabled", False):
            a = np.asarray(layer.lora_embeddings_a.numpy(), dtype=np.float32)
            b = np.asarray(layer.lora_embeddings_b.numpy(), dtype=np.float32)
            table = table + np.float32(layer.lora_alpha / layer.lora_rank) * (a @ b)
        return table.astype(np.float32)
    raise ctx.unsupported(f"quantization_mode={mode!r} is not supported; convert the float "
                          "model (quantization is a converter option)")


def _consumers(kt):
    """Nodes that take KerasTensor `kt` as an argument."""
    history = getattr(kt, "_keras_history", None)
    if history is None or history.operation is None:
        return []
    return [node for node in history.operation._outbound_nodes
            if any(t is kt for t in node.input_tensors)]


def _first_mask_reader(node):
    """The first layer downstream of `node` whose result depends on the Keras mask that
    `node`'s outputs carry, or None. Masked data tensors are followed while they carry a
    mask; mask tensors through the ops that derive new masks from them (logical_or, ...)."""
    import keras

    stack = [("data", kt) for kt in node.outputs]
    seen = set()
    while stack:
        kind, kt = stack.pop()
        if id(kt) in seen:
            continue
        seen.add(id(kt))
        if kind == "data":
            mask = getattr(kt, "_keras_mask", None)
            if mask is None:
                continue
            stack.append(("mask", mask))
            for consumer in _consumers(kt):
                if type(consumer.operation).__name__ in _MASK_READING_MERGES:
                    return consumer.operation
                stack.extend(("data", out) for out in consumer.outputs)
        else:
            for consumer in _consumers(kt):
                if isinstance(consumer.operation, keras.layers.Layer):
                    return consumer.operation  # called with the mask as an argument
                stack.extend(("mask", out) for out in consumer.outputs)
    return None


@register("Embedding")
def convert_embedding(ctx: LayerContext, inputs: list[Tensor]) -> Tensor:
    (indices,) = inputs
    if np.dtype(indices.dtype) not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ctx.unsupported(
            f"indices '{indices.name}' have dtype {np.dtype(indices.dtype).name}; expected "
            "int32 or int64 (the runtime has no CAST): declare the model input with "
            "keras.Input(shape=..., dtype='int32')")
    node = getattr(ctx, "node", None)
    if getattr(ctx.layer, "mask_zero", False) and node is not None:
        reader = _first_mask_reader(node)
        if reader is not None:
            raise ctx.unsupported(
                f"mask_zero=True and layer '{reader.name}' ({type(reader).__name__}) uses the "
                "mask, which a converted model cannot carry; set mask_zero=False (and mask "
                "explicitly if needed) before converting")
    table = _table(ctx)
    out = ctx.output_tensor()
    ctx.op("GATHER", [ctx.constant("embeddings", table), indices], [out], "GatherOptions",
           axis=0, batch_dims=0)
    return out
