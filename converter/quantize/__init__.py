"""Post-training weight quantization of a converter Graph, run after the graph passes:

  float16   large float32 constants stored as float16, each read through a DEQUANTIZE op
            (float16 -> float32) placed in front of its readers (float16.py)
  dynamic   weights of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED stored as symmetric
            int8 with per-output-channel scales, read directly by the op, which then runs
            as a "hybrid" op on float32 activations (dynamic_range.py)

All write the same tensor types, quantization parameters and op options as TensorFlow's own
converter for these modes, so TensorFlow Lite runs the files as well."""
from __future__ import annotations

from ..ir import Graph
from ..registry import ConversionError

MODES = ("float16", "dynamic", "int8")


def quantize_graph(graph: Graph, mode: str, *, calibration=None,
                   io_dtype: str = "int8") -> Graph:
    """Rewrites `graph` in place for quantization `mode` (one of MODES) and returns it.
    `calibration` (the representative dataset) and `io_dtype` apply to "int8" only."""
    if mode == "float16":
        from .float16 import quantize_float16
        quantize_float16(graph)
    elif mode == "dynamic":
        from .dynamic_range import quantize_dynamic_range
        quantize_dynamic_range(graph)
    elif mode == "int8":
        from .int8 import quantize_int8
        quantize_int8(graph, calibration, io_dtype)
    else:
        raise ConversionError(f"unknown quantization mode {mode!r}; expected one of "
                              f"{', '.join(MODES)} (or None for a float32 model)")
    return graph
