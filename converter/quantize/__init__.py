"""Post-training weight quantization of a converter Graph, run after the graph passes:

  float16   large float32 constants stored as float16, each read through a DEQUANTIZE op
            (float16 -> float32) placed in front of its readers (float16.py)
  dynamic   weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED stored as symmetric
            int8 with per-output-channel scales, read directly by the op, which then runs
            as a "hybrid" op on float32 activations (dynamic_range.py)

Both write the same tensor types, quantization parameters and op options as TensorFlow's own
converter for these modes, so TensorFlow Lite runs the files as well."""
from __future__ import annotations

from ..ir import Graph
from ..registry import ConversionError

MODES = ("float16", "dynamic")


def quantize_graph(graph: Graph, mode: str) -> Graph:
    """Rewrites `graph` in place for quantization `mode` (one of MODES) and returns it."""
    if mode == "float16":
        from .float16 import quantize_float16
        quantize_float16(graph)
    elif mode == "dynamic":
        from .dynamic_range import quantize_dynamic_range
        quantize_dynamic_range(graph)
    else:
        raise ConversionError(f"unknown quantization mode {mode!r}; expected one of "
                              f"{', '.join(MODES)} (or None for a float32 model)")
    return graph
