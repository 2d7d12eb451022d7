"""Fuses a RELU / RELU6 / RELU_N1_TO_1 op into the op producing its input, as the producer's
fused_activation_function.

Only producers whose TensorFlow Lite kernels apply a fused activation are used: CONV_2D,
DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, DIV, AVERAGE_POOL_2D,
MAX_POOL_2D. Not CONCATENATION (TensorFlow Lite's float kernel ignores a fused activation
there) and not TANH (most TensorFlow Lite kernels only apply the clamping activations; a fused
TANH would be silently dropped). The producer's output must be read by the activation alone
and not be a graph output; the fused op then writes the activation's output tensor, so names
and graph outputs are kept."""
from __future__ import annotations

from ..ir import Graph
from ._util import single_consumer

# ActivationFunctionType values.
ACTIVATION_CODES = {"RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}

# Producer op -> its options table (fused_activation_function is a field of each).
FUSABLE = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
}


def run(graph: Graph) -> bool:
    changed = False
    for act in list(graph.ops):
        code = ACTIVATION_CODES.get(act.kind)
        if code is None or len(act.inputs) != 1 or act.inputs[0] is None:
            continue
        x = act.inputs[0]
        producer = graph.producer(x)
        if (producer is None or producer.kind not in FUSABLE or len(producer.outputs) != 1
                or single_consumer(graph, x) is not act):
            continue
        if producer.options_table not in (None, FUSABLE[producer.kind]):
            continue
        if producer.options.get("fused_activation_function", 0) != 0:
            continue
        if x.dtype != act.outputs[0].dtype or x.quant or act.outputs[0].quant:
            continue
        producer.options_table = FUSABLE[producer.kind]
        producer.options["fused_activation_function"] = code
        producer.outputs = [act.outputs[0]]
        graph.ops.remove(act)
        changed = True
    return changed
