#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: small valid .tflite files that reach many kernels.

    python3 native/fuzz/make_corpus.py OUT_DIR

Seeds are (1) every .tflite committed in the repository under 100 KB (the example model, the
Android demo's int8 model, ...) and (2) one- or two-op models built here with
tests/tflite_builder.py, covering the main kernel families in float32 and int8 with small
shapes. Valid seeds matter: the fuzzer mutates them, so each op it should reach needs a model
that already gets through the verifier and prepare. Small seeds matter too: mutations of a
small file land on structure (shapes, options, indices) rather than on weight bytes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from tflite_builder import ModelBuilder, fb, serialize  # noqa: E402

MAX_SEED_BYTES = 100 * 1024
F32, I8, I32 = np.float32, np.int8, np.int32
RNG = np.random.default_rng(8)


def q(scale, zero_point=0, dim=0):
    return dict(scale=scale, zero_point=zero_point, quantized_dimension=dim)


def weights(shape, dtype=F32):
    if dtype == I8:
        return RNG.integers(-127, 128, size=shape).astype(np.int8)
    if dtype == I32:
        return RNG.integers(-500, 500, size=shape).astype(np.int32)
    return RNG.standard_normal(shape).astype(np.float32)


def conv(dtype, depthwise=False, stride=1, padding=0, act=0):
    b = ModelBuilder()
    cin, cout = (4, 4) if depthwise else (3, 4)
    qi = q(0.05, -3) if dtype == I8 else None
    x = b.input("x", [1, 6, 6, cin], dtype, quant=qi)
    wshape = [1, 3, 3, cout] if depthwise else [cout, 3, 3, cin]
    qw = q([0.02] * cout, [0] * cout, 3 if depthwise else 0) if dtype == I8 else None
    w = b.constant("w", weights(wshape, dtype), quant=qw)
    bias = b.constant("b", weights([cout], I32 if dtype == I8 else F32),
                      quant=q([0.001] * cout, [0] * cout) if dtype == I8 else None)
    out = (6 + stride - 1) // stride if padding == 0 else (6 - 3) // stride + 1
    y = b.tensor("y", [1, out, out, cout], dtype, quant=q(0.1, 2) if dtype == I8 else None)
    if depthwise:
        b.op("DEPTHWISE_CONV_2D", [x, w, bias], [y], "DepthwiseConv2DOptions",
             dict(padding=padding, stride_w=stride, stride_h=stride, depth_multiplier=1,
                  fused_activation_function=act))
    else:
        b.op("CONV_2D", [x, w, bias], [y], "Conv2DOptions",
             dict(padding=padding, stride_w=stride, stride_h=stride,
                  fused_activation_function=act))
    b.output(y)
    return b.build()


def fully_connected(kind):
    b = ModelBuilder()
    if kind == "int8":
        x = b.input("x", [2, 8], I8, quant=q(0.05, 1))
        w = b.constant("w", weights([5, 8], I8), quant=q([0.01] * 5, [0] * 5))
        bias = b.constant("b", weights([5], I32), quant=q([0.0005] * 5, [0] * 5))
        y = b.tensor("y", [2, 5], I8, quant=q(0.2, -1))
    elif kind == "hybrid":
        x = b.input("x", [2, 8], F32)
        w = b.constant("w", weights([5, 8], I8), quant=q([0.01] * 5, [0] * 5))
        bias = b.constant("b", weights([5]))
        y = b.tensor("y", [2, 5], F32)
    else:
        x = b.input("x", [2, 8], F32)
        w = b.constant("w", weights([5, 8]))
        bias = b.constant("b", weights([5]))
        y = b.tensor("y", [2, 5], F32)
    b.op("FULLY_CONNECTED", [x, w, bias], [y], "FullyConnectedOptions",
         dict(fused_activation_function=1))
    b.output(y)
    return b.build()


def pool(name, dtype):
    b = ModelBuilder()
    qa = q(0.1, 0) if dtype == I8 else None
    x = b.input("x", [1, 6, 6, 2], dtype, quant=qa)
    y = b.tensor("y", [1, 3, 3, 2], dtype, quant=qa)
    b.op(name, [x], [y], "Pool2DOptions",
         dict(padding=0, stride_w=2, stride_h=2, filter_width=2, filter_height=2))
    b.output(y)
    return b.build()


def binary(name, dtype, table):
    b = ModelBuilder()
    qa = q(0.1, 1) if dtype == I8 else None
    x = b.input("x", [2, 3, 4], dtype, quant=qa)
    z = b.input("z", [1, 4], dtype, quant=q(0.05, -2) if dtype == I8 else None)
    y = b.tensor("y", [2, 3, 4], dtype, quant=q(0.2, 0) if dtype == I8 else None)
    b.op(name, [x, z], [y], table, dict(fused_activation_function=0))
    b.output(y)
    return b.build()


def unary(name, dtype, table=None, options=None, out_quant=None):
    b = ModelBuilder()
    x = b.input("x", [2, 5], dtype, quant=q(0.1, 3) if dtype == I8 else None)
    y = b.tensor("y", [2, 5], dtype, quant=out_quant)
    b.op(name, [x], [y], table, options)
    b.output(y)
    return b.build()


def softmax(dtype):
    b = ModelBuilder()
    x = b.input("x", [3, 7], dtype, quant=q(0.1, 0) if dtype == I8 else None)
    y = b.tensor("y", [3, 7], dtype, quant=q(1 / 256, -128) if dtype == I8 else None)
    b.op("SOFTMAX", [x], [y], "SoftmaxOptions", dict(beta=1.0))
    b.output(y)
    return b.build()


def concat(dtype):
    b = ModelBuilder()
    qa = q(0.1, 0) if dtype == I8 else None
    x = b.input("x", [2, 3, 2], dtype, quant=qa)
    z = b.input("z", [2, 1, 2], dtype, quant=qa)
    c = b.constant("c", weights([2, 2, 2], dtype), quant=qa)
    y = b.tensor("y", [2, 6, 2], dtype, quant=qa)
    b.op("CONCATENATION", [x, z, c], [y], "ConcatenationOptions", dict(axis=1))
    b.output(y)
    return b.build()


def reshape_softmax():
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], F32)
    s = b.constant("shape", np.array([6, 4], np.int32))
    r = b.tensor("r", [6, 4], F32)
    y = b.tensor("y", [6, 4], F32)
    b.op("RESHAPE", [x, s], [r], "ReshapeOptions", dict(new_shape=[6, 4]))
    b.op("SOFTMAX", [r], [y], "SoftmaxOptions", dict(beta=0.5))
    b.output(y)
    return b.build()


def pad(dtype, v2=False):
    b = ModelBuilder()
    qa = q(0.1, 2) if dtype == I8 else None
    x = b.input("x", [1, 3, 3, 2], dtype, quant=qa)
    p = b.constant("p", np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32))
    y = b.tensor("y", [1, 6, 6, 2], dtype, quant=qa)
    if v2:
        v = b.constant("v", np.array([1.5], F32), shape=[])
        b.op("PADV2", [x, p, v], [y], "PadV2Options", {})
    else:
        b.op("PAD", [x, p], [y], "PadOptions", {})
    b.output(y)
    return b.build()


def mean(dtype):
    b = ModelBuilder()
    qa = q(0.1, 0) if dtype == I8 else None
    x = b.input("x", [2, 3, 4], dtype, quant=qa)
    ax = b.constant("axis", np.array([1, -1], np.int32))
    y = b.tensor("y", [2, 1, 1], dtype, quant=qa)
    b.op("MEAN", [x, ax], [y], "ReducerOptions", dict(keep_dims=True))
    b.output(y)
    return b.build()


def transpose():
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], F32)
    p = b.constant("perm", np.array([2, 0, 1], np.int32))
    y = b.tensor("y", [4, 2, 3], F32)
    b.op("TRANSPOSE", [x, p], [y], "TransposeOptions", {})
    b.output(y)
    return b.build()


def strided_slice():
    b = ModelBuilder()
    x = b.input("x", [4, 6], F32)
    begin = b.constant("begin", np.array([1, 0], np.int32))
    end = b.constant("end", np.array([4, 6], np.int32))
    strides = b.constant("strides", np.array([2, 3], np.int32))
    y = b.tensor("y", [2, 2], F32)
    b.op("STRIDED_SLICE", [x, begin, end, strides], [y], "StridedSliceOptions", {})
    b.output(y)
    return b.build()


def slice_op():
    b = ModelBuilder()
    x = b.input("x", [3, 4], F32)
    begin = b.constant("begin", np.array([1, 1], np.int32))
    size = b.constant("size", np.array([2, -1], np.int32))
    y = b.tensor("y", [2, 3], F32)
    b.op("SLICE", [x, begin, size], [y], "SliceOptions", {})
    b.output(y)
    return b.build()


def gather():
    b = ModelBuilder()
    x = b.input("x", [5, 3], F32)
    idx = b.constant("idx", np.array([4, 0, 2], np.int32))
    y = b.tensor("y", [3, 3], F32)
    b.op("GATHER", [x, idx], [y], "GatherOptions", dict(axis=0))
    b.output(y)
    return b.build()


def batch_matmul():
    b = ModelBuilder()
    x = b.input("x", [2, 3, 4], F32)
    z = b.input("z", [2, 4, 5], F32)
    y = b.tensor("y", [2, 3, 5], F32)
    b.op("BATCH_MATMUL", [x, z], [y], "BatchMatMulOptions", dict(adj_x=False, adj_y=False))
    b.output(y)
    return b.build()


def pack():
    b = ModelBuilder()
    x = b.input("x", [2, 3], F32)
    z = b.input("z", [2, 3], F32)
    y = b.tensor("y", [2, 2, 3], F32)
    b.op("PACK", [x, z], [y], "PackOptions", dict(values_count=2, axis=1))
    b.output(y)
    return b.build()


def quantize_roundtrip():
    b = ModelBuilder()
    x = b.input("x", [2, 6], F32)
    qt = b.tensor("q", [2, 6], I8, quant=q(0.05, -4))
    y = b.tensor("y", [2, 6], F32)
    b.op("QUANTIZE", [x], [qt])
    b.op("DEQUANTIZE", [qt], [y])
    b.output(y)
    return b.build()


def transpose_conv():
    b = ModelBuilder()
    shape = b.constant("out_shape", np.array([1, 6, 6, 2], np.int32))
    w = b.constant("w", weights([2, 3, 3, 3]))
    x = b.input("x", [1, 3, 3, 3], F32)
    y = b.tensor("y", [1, 6, 6, 2], F32)
    b.op("TRANSPOSE_CONV", [shape, w, x], [y], "TransposeConvOptions",
         dict(padding=0, stride_w=2, stride_h=2))
    b.output(y)
    return b.build()


def resize_bilinear():
    b = ModelBuilder()
    x = b.input("x", [1, 3, 3, 2], F32)
    size = b.constant("size", np.array([5, 7], np.int32))
    y = b.tensor("y", [1, 5, 7, 2], F32)
    b.op("RESIZE_BILINEAR", [x, size], [y], "ResizeBilinearOptions",
         dict(align_corners=False, half_pixel_centers=True))
    b.output(y)
    return b.build()


def conv_fc_chain():
    """Two ops sharing an arena: conv -> reshape -> fully connected."""
    b = ModelBuilder()
    x = b.input("x", [1, 4, 4, 2], F32)
    w = b.constant("w", weights([3, 3, 3, 2]))
    c = b.tensor("c", [1, 4, 4, 3], F32)
    b.op("CONV_2D", [x, w, -1], [c], "Conv2DOptions",
         dict(padding=0, stride_w=1, stride_h=1, fused_activation_function=1))
    s = b.constant("shape", np.array([1, 48], np.int32))
    r = b.tensor("r", [1, 48], F32)
    b.op("RESHAPE", [c, s], [r], "ReshapeOptions", dict(new_shape=[1, 48]))
    fw = b.constant("fw", weights([4, 48]))
    y = b.tensor("y", [1, 4], F32)
    b.op("FULLY_CONNECTED", [r, fw, -1], [y], "FullyConnectedOptions", {})
    b.output(y)
    return b.build()


def shaped(name, ins, out_shape, out_dtype=F32, table=None, options=None, consts=()):
    """One op over inputs [(shape, dtype)] and constants [array], one output."""
    b = ModelBuilder()
    idx = [b.input(f"x{i}", shape, dt) for i, (shape, dt) in enumerate(ins)]
    idx += [b.constant(f"c{i}", c, shape=np.shape(c)) for i, c in enumerate(consts)]
    y = b.tensor("y", out_shape, out_dtype)
    b.op(name, idx, [y], table, options)
    b.output(y)
    return b.build()


def split():
    b = ModelBuilder()
    axis = b.constant("axis", np.array(1, np.int32), shape=[])
    x = b.input("x", [2, 6], F32)
    y0, y1 = b.tensor("y0", [2, 3], F32), b.tensor("y1", [2, 3], F32)
    b.op("SPLIT", [axis, x], [y0, y1], "SplitOptions", dict(num_splits=2))
    b.output(y0, y1)
    return b.build()


def multi_subgraph(*builders: ModelBuilder) -> bytes:
    """One model whose subgraph i is builders[i] (subgraph 0 the main one): each builder's
    operator codes and buffers are appended to the merged model's, and its indices moved."""
    merged = fb.ModelT()
    merged.version = 3
    merged.description = "litert fuzz seed"
    merged.operatorCodes, merged.buffers, merged.subgraphs = [], [], []
    for b in builders:
        m = fb.ModelT.InitFromPackedBuf(b.build(), 0)
        code_base, buffer_base = len(merged.operatorCodes), len(merged.buffers)
        merged.operatorCodes += m.operatorCodes or []
        merged.buffers += m.buffers or []
        sg = m.subgraphs[0]
        for op in sg.operators or []:
            op.opcodeIndex += code_base
        for t in sg.tensors or []:
            t.buffer += buffer_base
        merged.subgraphs.append(sg)
    return serialize(merged)


def while_loop():
    """WHILE (i < 4): i += 1, x *= 1.5; cond and body are subgraphs 1 and 2."""
    main = ModelBuilder()
    i = main.input("i", [], I32)
    x = main.input("x", [2, 3], F32)
    i2, x2 = main.tensor("i_out", [], I32), main.tensor("x_out", [2, 3], F32)
    main.op("WHILE", [i, x], [i2, x2], "WhileOptions",
            dict(cond_subgraph_index=1, body_subgraph_index=2))
    main.output(i2, x2)

    cond = ModelBuilder()
    ci, cx = cond.input("i", [], I32), cond.input("x", [2, 3], F32)
    limit = cond.constant("limit", np.array(4, np.int32), shape=[])
    c = cond.tensor("c", [], np.bool_)
    cond.op("LESS", [ci, limit], [c], "LessOptions", {})
    cond.output(c)
    del cx

    body = ModelBuilder()
    bi, bx = body.input("i", [], I32), body.input("x", [2, 3], F32)
    one = body.constant("one", np.array(1, np.int32), shape=[])
    k = body.constant("k", np.full([2, 3], 1.5, F32))
    bi2, bx2 = body.tensor("i2", [], I32), body.tensor("x2", [2, 3], F32)
    body.op("ADD", [bi, one], [bi2], "AddOptions", {})
    body.op("MUL", [bx, k], [bx2], "MulOptions", {})
    body.output(bi2, bx2)
    return multi_subgraph(main, cond, body)


def if_branch():
    """IF p: relu(x) else tanh(x); the branches are subgraphs 1 and 2."""
    main = ModelBuilder()
    p = main.input("p", [], np.bool_)
    x = main.input("x", [3, 4], F32)
    y = main.tensor("y", [3, 4], F32)
    main.op("IF", [p, x], [y], "IfOptions", dict(then_subgraph_index=1, else_subgraph_index=2))
    main.output(y)
    branches = []
    for name in ("RELU", "TANH"):
        b = ModelBuilder()
        bx = b.input("x", [3, 4], F32)
        by = b.tensor("y", [3, 4], F32)
        b.op(name, [bx], [by])
        b.output(by)
        branches.append(b)
    return multi_subgraph(main, *branches)


def generated():
    """(name, bytes) of every generated seed."""
    yield "conv_f32", conv(F32)
    yield "conv_f32_valid_s2_relu6", conv(F32, stride=2, padding=1, act=3)
    yield "conv_i8", conv(I8)
    yield "conv_i8_s2", conv(I8, stride=2)
    yield "dwconv_f32", conv(F32, depthwise=True)
    yield "dwconv_i8", conv(I8, depthwise=True, stride=2, padding=1)
    yield "fc_f32", fully_connected("f32")
    yield "fc_i8", fully_connected("int8")
    yield "fc_hybrid", fully_connected("hybrid")
    yield "maxpool_f32", pool("MAX_POOL_2D", F32)
    yield "avgpool_i8", pool("AVERAGE_POOL_2D", I8)
    yield "add_f32", binary("ADD", F32, "AddOptions")
    yield "add_i8", binary("ADD", I8, "AddOptions")
    yield "mul_f32", binary("MUL", F32, "MulOptions")
    yield "mul_i8", binary("MUL", I8, "MulOptions")
    yield "sub_f32", binary("SUB", F32, "SubOptions")
    yield "logistic_f32", unary("LOGISTIC", F32)
    yield "tanh_i8", unary("TANH", I8, out_quant=q(1 / 128, 0))
    yield "relu_f32", unary("RELU", F32)
    yield "leaky_relu_f32", unary("LEAKY_RELU", F32, "LeakyReluOptions", dict(alpha=0.2))
    yield "exp_f32", unary("EXP", F32)
    yield "softmax_f32", softmax(F32)
    yield "softmax_i8", softmax(I8)
    yield "concat_f32", concat(F32)
    yield "concat_i8", concat(I8)
    yield "reshape_softmax", reshape_softmax()
    yield "pad_f32", pad(F32)
    yield "pad_i8", pad(I8)
    yield "padv2_f32", pad(F32, v2=True)
    yield "mean_f32", mean(F32)
    yield "mean_i8", mean(I8)
    yield "transpose", transpose()
    yield "strided_slice", strided_slice()
    yield "slice", slice_op()
    yield "gather", gather()
    yield "batch_matmul", batch_matmul()
    yield "pack", pack()
    yield "quantize_dequantize", quantize_roundtrip()
    yield "transpose_conv", transpose_conv()
    yield "resize_bilinear", resize_bilinear()
    yield "conv_reshape_fc", conv_fc_chain()
    yield "while_loop", while_loop()
    yield "split", split()
    yield "tile", shaped("TILE", [([2, 3], F32)], [4, 9], consts=[np.array([2, 3], np.int32)],
                         table="TileOptions", options={})
    yield "expand_dims", shaped("EXPAND_DIMS", [([2, 3], F32)], [2, 1, 3],
                                consts=[np.array(1, np.int32)], table="ExpandDimsOptions",
                                options={})
    yield "squeeze", shaped("SQUEEZE", [([2, 1, 3], F32)], [2, 3], table="SqueezeOptions",
                            options=dict(squeeze_dims=[1]))
    yield "cast_f32_i32", shaped("CAST", [([2, 3], F32)], [2, 3], I32, "CastOptions",
                                 dict(in_data_type=0, out_data_type=2))
    yield "arg_max", shaped("ARG_MAX", [([2, 5], F32)], [2], I32, "ArgMaxOptions",
                            dict(output_type=2), consts=[np.array([1], np.int32)])
    yield "l2_norm", shaped("L2_NORMALIZATION", [([2, 5], F32)], [2, 5], F32, "L2NormOptions",
                            {})
    yield "pow", shaped("POW", [([2, 3], F32), ([2, 3], F32)], [2, 3], F32, "PowOptions", {})
    yield "gelu", shaped("GELU", [([2, 5], F32)], [2, 5], F32, "GeluOptions",
                         dict(approximate=True))
    yield "select_v2", shaped("SELECT_V2", [([2, 3], np.bool_), ([2, 3], F32), ([1, 3], F32)],
                              [2, 3], F32, "SelectV2Options", {})
    yield "if_branch", if_branch()


def committed():
    """(name, bytes) of the repository's own .tflite files small enough to be seeds."""
    for path in sorted(REPO.rglob("*.tflite")):
        rel = path.relative_to(REPO)
        if rel.parts[0] in ("build", ".git") or "regressions" in rel.parts:
            continue
        data = path.read_bytes()
        if len(data) <= MAX_SEED_BYTES:
            yield "repo_" + "_".join(rel.with_suffix("").parts[-2:]), data


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, data in list(committed()) + list(generated()):
        assert len(data) <= MAX_SEED_BYTES, f"seed {name} is {len(data)} bytes"
        (out / f"{name}.tflite").write_bytes(data)
        count += 1
    print(f"wrote {count} seeds to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
