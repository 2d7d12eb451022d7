"""Folds a zero PAD into the CONV_2D / DEPTHWISE_CONV_2D that reads it, when the padding is
exactly what SAME padding would add: the conv then reads the unpadded input with
padding=SAME and the PAD op (a full copy of a large activation) disappears.

Keras models write this pattern themselves: MobileNetV2 puts ZeroPadding2D(correct_pad) before
every stride-2 depthwise conv with padding='valid', which for even input sizes pads (0, 1) on
each spatial axis, the same as SAME for a 3x3 window at stride 2. TensorFlow's converter folds
it too; without folding, the PADs took ~8% of MobileNetV2's run time here.

Equivalence: SAME padding in TensorFlow Lite adds, per spatial axis, total =
max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) zeros, floor(total / 2) before and
the rest after, with out = ceil(in / stride); a VALID conv over an input padded by exactly
those amounts with zeros computes the same sums (the runtimes skip padding taps, which add
zero). Only float32 graphs are rewritten here (passes run before quantization, so int8 files
get the fold too); the PAD must pad nothing but H and W, with zeros, and feed only the conv."""
from __future__ import annotations

import numpy as np

from ..ir import Graph
from ._util import single_consumer

PADDING_SAME, PADDING_VALID = 0, 1
CONVS = ("CONV_2D", "DEPTHWISE_CONV_2D")


def _same_pads(size: int, k: int, stride: int, dilation: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def run(graph: Graph) -> bool:
    changed = False
    for pad in list(graph.ops):
        if pad.kind != "PAD" or len(pad.inputs) != 2 or len(pad.outputs) != 1:
            continue
        x, paddings = pad.inputs
        if x is None or paddings is None or not paddings.is_constant:
            continue
        conv = single_consumer(graph, pad.outputs[0])
        if (conv is None or conv.kind not in CONVS or conv.inputs[0] is not pad.outputs[0]
                or conv.options.get("padding") != PADDING_VALID):
            continue
        if (x.rank != 4 or np.dtype(x.dtype) != np.float32 or x.quant
                or pad.outputs[0].quant or x.signature is not None and -1 in x.signature[1:3]):
            continue
        p = np.asarray(paddings.data).reshape(-1, 2)
        if p.shape != (4, 2) or p[0].any() or p[3].any():
            continue
        filt = conv.inputs[1]
        if filt is None or filt.rank != 4:
            continue
        k_h, k_w = filt.shape[1], filt.shape[2]
        want = [_same_pads(x.shape[1], k_h, conv.options.get("stride_h", 1),
                           conv.options.get("dilation_h_factor", 1)),
                _same_pads(x.shape[2], k_w, conv.options.get("stride_w", 1),
                           conv.options.get("dilation_w_factor", 1))]
        if [tuple(int(v) for v in p[1]), tuple(int(v) for v in p[2])] != want:
            continue
        conv.inputs[0] = x
        conv.options["padding"] = PADDING_SAME
        graph.ops.remove(pad)
        changed = True
    return changed
