"""Folds a per-output-channel MUL and/or ADD / SUB by constants into the CONV_2D,
DEPTHWISE_CONV_2D or FULLY_CONNECTED op before it (what an inference-mode BatchNormalization
after a convolution becomes: x * scale + offset).

    conv(x, W, b) * s      = conv(x, W * s, b * s)       (s scales output channel c by s[c])
    conv(x, W, b) + t      = conv(x, W, b + t)
    conv(x, W, b) - t      = conv(x, W, b - t)

Conditions: the weights (and bias, when present) are constants, the producer has no fused
activation, its output is read only by the MUL / ADD / SUB and is not a graph output, the
other operand is a constant whose every dimension but the last is 1 (no broadcasting beyond the
producer's output) and whose last dimension is 1 or the number of output channels. The fused
activation of the MUL / ADD / SUB moves onto the producer. New weight / bias constants are
made (the old ones may be shared with other ops; dead ones are not written)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..ir import Graph, Op, Tensor
from ._util import single_consumer

# Producer -> axis of the output channel in its weights tensor.
_CHANNEL_AXIS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}


def _channel_vector(c: Optional[Tensor], out: Tensor, channels: int) -> Optional[np.ndarray]:
    """The constant operand as a [channels] float32 vector, or None when it is not one."""
    if c is None or not c.is_constant or c.dtype != np.float32:
        return None
    data = np.asarray(c.data, dtype=np.float32)
    if data.ndim > out.rank or any(d != 1 for d in data.shape[:-1]):
        return None
    if data.ndim and data.shape[-1] not in (1, channels):
        return None
    return np.broadcast_to(data.reshape(-1), (channels,)).astype(np.float32)


def _fold_one(graph: Graph, producer: Op) -> bool:
    if (len(producer.outputs) != 1 or len(producer.inputs) < 2
            or producer.options.get("fused_activation_function", 0) != 0):
        return False
    weights = producer.inputs[1]
    bias = producer.inputs[2] if len(producer.inputs) > 2 else None
    if (weights is None or not weights.is_constant or weights.dtype != np.float32
            or weights.quant or (bias is not None and (not bias.is_constant or bias.quant))):
        return False
    y = producer.outputs[0]
    consumer = single_consumer(graph, y)
    if consumer is None or consumer.kind not in ("MUL", "ADD", "SUB") or len(consumer.inputs) != 2:
        return False
    if y.quant or consumer.outputs[0].quant:
        return False
    if consumer.options.get("fused_activation_function", 0) not in (0, 1, 2, 3):
        return False        # only the clamping activations are applied by every producer
    a, b = consumer.inputs
    if a is y and b is not y:
        const = b
    elif b is y and a is not y and consumer.kind != "SUB":
        const = a
    else:
        return False
    channels = y.shape[-1] if y.rank else 0
    axis = _CHANNEL_AXIS[producer.kind]
    if weights.rank <= axis or weights.shape[axis] != channels:
        return False
    vec = _channel_vector(const, y, channels)
    if vec is None or tuple(consumer.outputs[0].shape) != tuple(y.shape):
        return False

    w = np.asarray(weights.data, dtype=np.float32)
    bias_data = (np.zeros(channels, np.float32) if bias is None
                 else np.asarray(bias.data, dtype=np.float32).reshape(-1))
    if bias_data.shape != (channels,):
        return False
    new_w, new_b = None, bias_data
    if consumer.kind == "MUL":
        shape = [1] * w.ndim
        shape[axis] = channels
        new_w = w * vec.reshape(shape)
        new_b = bias_data * vec
    elif consumer.kind == "ADD":
        new_b = bias_data + vec
    else:
        new_b = bias_data - vec

    inputs = list(producer.inputs)
    while len(inputs) < 3:
        inputs.append(None)
    if new_w is not None:
        inputs[1] = graph.constant(weights.name, new_w.astype(np.float32))
    if bias is not None or consumer.kind != "MUL":
        base = bias.name if bias is not None else f"{weights.name}/bias"
        inputs[2] = graph.constant(base, new_b.astype(np.float32))
    producer.inputs = inputs
    act = consumer.options.get("fused_activation_function", 0)
    if act:
        producer.options["fused_activation_function"] = act
    producer.outputs = [consumer.outputs[0]]
    graph.ops.remove(consumer)
    return True


def run(graph: Graph) -> bool:
    changed = False
    progress = True
    while progress:           # a MUL then an ADD fold one after the other
        progress = False
        for op in list(graph.ops):
            if op.kind in _CHANNEL_AXIS and op in graph.ops and _fold_one(graph, op):
                progress = changed = True
    return changed
