"""Data-movement ops of issue 8 through TensorFlow's converter, litert against TensorFlow
Lite's interpreter on the same file: DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPLIT, SPLIT_V, UNPACK,
TILE, EXPAND_DIMS, FILL, CAST, SELECT, SELECT_V2, BROADCAST_TO.

Every comparison is exact: these ops copy or pick stored values (int8 included: the
converter gives inputs and outputs one set of parameters) and CAST is exact by definition.
Several ops share one converted model (one conversion is most of a case's cost); each model's
op list is checked so the converter has not rewritten what a case means to test. Cases the
converter folds away (zero-size shapes) and malformed models are built directly with
tflite_builder."""
from __future__ import annotations

import numpy as np
import pytest
import tf_op_models as tom
from tflite_builder import ModelBuilder

from litert import Interpreter


def sample(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return rng.standard_normal(shape).astype(np.float32)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape,
                        endpoint=True).astype(dtype)


def representative(specs):
    """A generator factory of float / bool inputs for full-int8 calibration."""
    def gen():
        for i in range(8):
            xs = [sample(tuple(1 if n is None else n for n in s), d, seed=100 + i)
                  for s, d in specs]
            yield [x * 3.0 if x.dtype == np.float32 else x for x in xs]
    return gen


def convert(fn, specs, key, quant=None):
    tf = tom.tf()
    tf_specs = [(s, tf.as_dtype(np.dtype(d))) for s, d in specs]
    return tom.convert(fn, tf_specs, quant=quant, key=key,
                       representative=representative(specs) if quant == "int8" else None)


run_theirs = tom.run_tflite_reference
assert_same = tom.assert_same_as_tflite


def check(fn, specs, ops, key, quant=None, seed=0):
    model = convert(fn, specs, key, quant)
    names = tom.op_names(model)
    for op in ops:
        assert op in names, (op, names)
    inputs = [sample(tuple(1 if d is None else d for d in s), d, seed=seed + i)
              for i, (s, d) in enumerate(specs)]
    if quant == "int8":
        inputs = tom.quantize_inputs(model, [x * 3.0 for x in inputs])
        assert inputs[0].dtype == np.int8
    return assert_same(model, inputs)


# ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPLIT, SPLIT_V, UNPACK, TILE, BROADCAST_TO -------------

def _movement(x):
    tf = tom.tf()
    return (tf.nn.depth_to_space(x, 2),
            tf.nn.space_to_depth(x, 2),
            *tf.split(x, 2, axis=-1),
            *tf.split(x, [1, -1, 2], axis=2),
            *tf.unstack(x, axis=1),
            tf.tile(x, [1, 2, 1, 3]),
            tf.broadcast_to(x[:, :1], [3, 2, 4, 6, 8]))


_MOVEMENT_OPS = ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "SPLIT", "SPLIT_V", "UNPACK", "TILE",
                 "BROADCAST_TO"]


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_movement_ops(dtype):
    check(_movement, [((2, 4, 6, 8), dtype)], _MOVEMENT_OPS, key=f"dm-move-{np.dtype(dtype)}")


def test_movement_ops_int8():
    # UNPACK of int8 and the rest of the set: every output keeps the input's parameters.
    check(_movement, [((2, 4, 6, 8), np.float32)], _MOVEMENT_OPS, key="dm-move-int8",
          quant="int8")


def _blocks(x):
    tf = tom.tf()
    return tf.nn.depth_to_space(x, 3), tf.nn.space_to_depth(x, 3)


@pytest.mark.parametrize("quant", [None, "int8"])
def test_depth_space_block3(quant):
    check(_blocks, [((1, 3, 6, 18), np.float32)], ["DEPTH_TO_SPACE", "SPACE_TO_DEPTH"],
          key=f"dm-blocks-{quant}", quant=quant)


def _splits_ranks(a, b, c):
    tf = tom.tf()
    return (*tf.split(a, 3, axis=0),                      # rank 1
            *tf.split(b, [2, -1], axis=-3),               # rank 5, negative axis
            *tf.split(c, 2, axis=-1),                     # rank 6
            *tf.split(b, [1, 0, 2], axis=1),              # a zero-size piece
            *tf.unstack(b, axis=-1),                      # rank 5 -> 4, negative axis
            *tf.unstack(a, axis=0))                       # rank 1 -> scalars


def test_split_unpack_ranks():
    check(_splits_ranks, [((9,), np.float32), ((2, 3, 5, 1, 2), np.float32),
                          ((1, 2, 1, 3, 1, 4), np.float32)],
          ["SPLIT", "SPLIT_V", "UNPACK"], key="dm-split-ranks")


def _tiles(a, b, c):
    tf = tom.tf()
    return (tf.tile(a, [3]), tf.tile(b, [2, 1, 1, 3, 1]), tf.tile(c, [1, 2, 1, 1, 2, 1]),
            tf.tile(b, [1, 1, 1, 1, 1]) + 1.0)


def test_tile_ranks():
    check(_tiles, [((5,), np.float32), ((2, 3, 1, 2, 3), np.float32),
                   ((1, 2, 3, 1, 2, 2), np.float32)], ["TILE"], key="dm-tile-ranks")


def _bool_moves(m, c):
    tf = tom.tf()
    return (tf.tile(m, [2, 3]), *tf.unstack(m, axis=1), tf.broadcast_to(m[:1], [3, 2, 3]),
            tf.where(m, m, c))


def test_bool_tensors():
    check(_bool_moves, [((2, 3), np.bool_), ((2, 3), np.bool_)],
          ["TILE", "UNPACK", "BROADCAST_TO", "SELECT"], key="dm-bool")


def _int64_moves(x):
    tf = tom.tf()
    return (tf.tile(x, [2, 2]), *tf.split(x, [3, 1], axis=1), tf.nn.depth_to_space(
        tf.reshape(x, [1, 1, 1, 8]), 2), tf.broadcast_to(x, [2, 2, 4]))


def test_int64_tensors():
    check(_int64_moves, [((2, 4), np.int64)], ["TILE", "SPLIT_V", "DEPTH_TO_SPACE",
                                               "BROADCAST_TO"],
          key="dm-int64")


def _broadcasts(a, b):
    tf = tom.tf()
    return (tf.broadcast_to(a, [2, 3, 4]), tf.broadcast_to(b, [2, 1, 3, 5, 4, 2]),
            tf.broadcast_to(a, [1, 4]))


def test_broadcast_to_ranks():
    check(_broadcasts, [((4,), np.float32), ((3, 1, 1, 2), np.float32)], ["BROADCAST_TO"],
          key="dm-bcast")


# ---- EXPAND_DIMS (kept by the converter when a dimension is unknown) ---------------------

def _expand(x):
    tf = tom.tf()
    return tf.expand_dims(x, -1), tf.expand_dims(x, 0), tf.expand_dims(x, 2), tf.expand_dims(x, -3)


@pytest.mark.parametrize("dtype,quant", [(np.float32, None), (np.int32, None),
                                         (np.bool_, None), (np.float32, "int8")])
def test_expand_dims(dtype, quant):
    out = check(_expand, [((None, 3, 4), dtype)], ["EXPAND_DIMS"],
                key=f"dm-expand-{np.dtype(dtype)}-{quant}", quant=quant)
    assert [o.shape for o in out] == [(1, 3, 4, 1), (1, 1, 3, 4), (1, 3, 1, 4), (1, 1, 3, 4)]


# ---- FILL ---------------------------------------------------------------------------------

def _fills(f, i, j, b):
    tf = tom.tf()
    return (tf.fill([2, 3, 4], f), tf.fill([5], i), tf.fill([1, 2, 1, 2, 1, 2], j),
            tf.fill([3, 2], b))


def test_fill_types():
    model = convert(_fills, [((), np.float32), ((), np.int32), ((), np.int64), ((), np.bool_)],
                    key="dm-fill")
    assert tom.op_names(model).count("FILL") == 4
    out = assert_same(model, [np.float32(-2.5), np.int32(7), np.int64(-(2 ** 40)), np.bool_(True)])
    assert out[0].shape == (2, 3, 4) and np.all(out[0] == -2.5)
    assert out[2].dtype == np.int64 and np.all(out[2] == -(2 ** 40))


# ---- CAST -----------------------------------------------------------------------------------

_CAST_TARGETS = [np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_, np.float32]


def _casts_from(x):
    tf = tom.tf()
    return tuple(tf.cast(x, tf.as_dtype(np.dtype(t))) for t in _CAST_TARGETS
                 if np.dtype(t) != x.dtype.as_numpy_dtype)


@pytest.mark.parametrize("src", [np.float32, np.int32, np.int64, np.int8, np.uint8, np.bool_])
def test_cast(src):
    model = convert(_casts_from, [((24,), src)], key=f"dm-cast-{np.dtype(src)}")
    assert tom.op_names(model).count("CAST") == len(_CAST_TARGETS) - 1
    if src == np.float32:
        # Saturation, truncation toward zero, NaN and infinities (TensorFlow Lite pins them).
        x = np.array([0.5, -0.5, 1.9, -1.9, 127.6, 128.4, 200.7, -129.5, -300.2, 255.9, 256.5,
                      40000.3, -40000.3, 3e9, -3e9, 1e20, -1e20, np.nan, np.inf, -np.inf, 0.0,
                      -0.0, 65535.5, -32768.7], np.float32)
    elif src == np.bool_:
        x = sample((24,), src)
    else:
        info = np.iinfo(src)
        x = np.array([0, 1, -1, 127, 128, 255, 256, -129, 40000, -40000, 2 ** 31 - 1, -2 ** 31,
                      2 ** 40 + 3, -(2 ** 40) - 5, 65535, 65536, 32767, -32769, 7, 3, -3,
                      info.max, info.min, 100], np.int64)
        x = x.astype(src)  # wraps to the source type for the narrow ones
    assert_same(model, [x])


# ---- SELECT, SELECT_V2 ---------------------------------------------------------------------

def _selects(c, x, y, c1):
    tf = tom.tf()
    return (tf.where(c, x, y),                                 # SELECT_V2, 3-way broadcast
            tf.compat.v1.where(c1, x[:2, :1] + y, y + x[:2, :1]),  # SELECT, row condition
            tf.where(c1[0], y, -y),                            # scalar condition
            tf.where(c[:, :, :1] & c1[:1, None, None], y, y + y))


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_select(dtype):
    check(_selects, [((2, 1, 4), np.bool_), ((3, 1), dtype), ((4,), dtype), ((2,), np.bool_)],
          ["SELECT", "SELECT_V2"], key=f"dm-select-{np.dtype(dtype)}")


def _select_int8(c, x, y):
    tf = tom.tf()
    return tf.where(c, x, y), tf.where(c, x, 0.5 * x)


def test_select_v2_int8():
    # Full int8 with a bool input: x and y get the output's parameters from the quantizer.
    specs = [((2, 3, 4), np.bool_), ((3, 4), np.float32), ((2, 1, 4), np.float32)]
    model = convert(_select_int8, specs, key="dm-select-int8", quant="int8")
    assert "SELECT_V2" in tom.op_names(model)
    inputs = [sample(s, d, seed=i) for i, (s, d) in enumerate(specs)]
    assert_same(model, tom.quantize_inputs(model, inputs))


def _select_rank5(c, x, y):
    tf = tom.tf()
    return tf.where(c, x, y)


def test_select_v2_rank5():
    check(_select_rank5, [((2, 1, 3, 1, 2), np.bool_), ((1, 4, 3, 2, 1), np.float32),
                          ((2, 2), np.float32)], ["SELECT_V2"], key="dm-select-r5")


# ---- Zero-size tensors and scalars (folded away by the converter: built directly) --------

def _run_built(mb, inputs):
    return assert_same(mb.build(), inputs)


def test_zero_size_shapes():
    mb = ModelBuilder()
    x = mb.input("x", (0, 3))
    y = mb.input("y", (1, 3))
    t = mb.tensor("tiled", (0, 6))
    mb.op("TILE", [x, mb.constant("m", np.array([4, 2], np.int32))], [t], "TileOptions", {})
    t0 = mb.tensor("tiled0", (0, 3))
    mb.op("TILE", [y, mb.constant("m0", np.array([0, 1], np.int64))], [t0], "TileOptions", {})
    b = mb.tensor("bcast", (2, 0, 3))
    mb.op("BROADCAST_TO", [y, mb.constant("s", np.array([2, 0, 3], np.int32))], [b],
          "BroadcastToOptions", {}, version=2)  # TensorFlow Lite registers it from 2
    e = mb.tensor("expanded", (0, 1, 3))
    mb.op("EXPAND_DIMS", [x, mb.constant("ax", np.array([1], np.int32))], [e],
          "ExpandDimsOptions", {})
    pieces = [mb.tensor(f"p{i}", s) for i, s in enumerate([(1, 0), (1, 3)])]
    mb.op("SPLIT_V", [y, mb.constant("sz", np.array([0, -1], np.int32)),
                      mb.constant("axv", np.array(1, np.int32), shape=())], pieces,
          "SplitVOptions", {"num_splits": 2})
    f = mb.tensor("filled", (2, 0))
    mb.op("FILL", [mb.constant("dims", np.array([2, 0], np.int64)), mb.input("v", (), np.float32)],
          [f], "FillOptions", {})
    sel = mb.tensor("selected", (0, 3))
    mb.op("SELECT_V2", [mb.input("c", (0, 1), np.bool_), x, y], [sel], "SelectV2Options", {})
    mb.output(t, t0, b, e, *pieces, f, sel)
    out = _run_built(mb, [np.zeros((0, 3), np.float32), sample((1, 3), np.float32),
                          np.float32(1.5), np.zeros((0, 1), np.bool_)])
    assert [o.shape for o in out] == [(0, 6), (0, 3), (2, 0, 3), (0, 1, 3), (1, 0), (1, 3),
                                      (2, 0), (0, 3)]


def test_scalars():
    mb = ModelBuilder()
    x = mb.input("x", (), np.int32)
    t = mb.tensor("t", (), np.int32)
    mb.op("TILE", [x, mb.constant("m", np.zeros(0, np.int32))], [t], "TileOptions", {})
    e = mb.tensor("e", (1,), np.int32)
    mb.op("EXPAND_DIMS", [x, mb.constant("ax", np.array(-1, np.int64), shape=())], [e],
          "ExpandDimsOptions", {})
    b = mb.tensor("b", (2, 2), np.int32)
    mb.op("BROADCAST_TO", [x, mb.constant("s", np.array([2, 2], np.int32))], [b],
          "BroadcastToOptions", {}, version=2)  # TensorFlow Lite registers it from 2
    f = mb.tensor("f", (), np.int32)
    mb.op("FILL", [mb.constant("d", np.zeros(0, np.int32)), x], [f], "FillOptions", {})
    c = mb.tensor("c", (), np.float32)
    mb.op("CAST", [x], [c], "CastOptions", {})
    mb.output(t, e, b, f, c)
    out = _run_built(mb, [np.int32(-7)])
    assert out[2].tolist() == [[-7, -7], [-7, -7]] and out[4] == -7.0


def test_select_v1_same_shape_int8_and_uint8():
    for dtype in (np.int8, np.uint8):
        q = {"scale": 0.5, "zero_point": 3}
        mb = ModelBuilder()
        c = mb.input("c", (2, 3), np.bool_)
        x = mb.input("x", (2, 3), dtype, quant=q)
        y = mb.input("y", (2, 3), dtype, quant=q)
        o = mb.tensor("o", (2, 3), dtype, quant=q)
        mb.op("SELECT", [c, x, y], [o], "SelectOptions", {})
        mb.output(o)
        _run_built(mb, [sample((2, 3), np.bool_), sample((2, 3), dtype, 1),
                        sample((2, 3), dtype, 2)])


def _quantized_copy_model(op, dtype):
    """One op on a quantized [2, 4, 4, 2] input (FILL: a scalar), output with the same
    parameters (int16 is symmetric in TensorFlow Lite: zero point 0)."""
    q = {"scale": 0.5, "zero_point": 0 if dtype == np.int16 else 3}
    mb = ModelBuilder()
    if op == "FILL":
        v = mb.input("v", (), dtype, quant=q)
        outs = [mb.tensor("o", (2, 3), dtype, quant=q)]
        mb.op(op, [mb.constant("d", np.array([2, 3], np.int32)), v], outs, "FillOptions", {})
        mb.output(*outs)
        return mb.build(), [np.array(5, dtype)]
    x = mb.input("x", (2, 4, 4, 2), dtype, quant=q)
    if op == "TILE":
        outs = [mb.tensor("o", (4, 4, 4, 2), dtype, quant=q)]
        mb.op(op, [x, mb.constant("m", np.array([2, 1, 1, 1], np.int32))], outs, "TileOptions")
    elif op == "BROADCAST_TO":
        outs = [mb.tensor("o", (3, 2, 4, 4, 2), dtype, quant=q)]
        mb.op(op, [x, mb.constant("s", np.array([3, 2, 4, 4, 2], np.int32))], outs,
              "BroadcastToOptions", version=2)
    elif op == "EXPAND_DIMS":
        outs = [mb.tensor("o", (2, 4, 4, 2, 1), dtype, quant=q)]
        mb.op(op, [x, mb.constant("a", np.array([-1], np.int32))], outs, "ExpandDimsOptions")
    elif op == "SPLIT":
        outs = [mb.tensor(f"o{i}", (2, 2, 4, 2), dtype, quant=q) for i in range(2)]
        mb.op(op, [mb.constant("a", np.array(1, np.int32), shape=()), x], outs, "SplitOptions",
              {"num_splits": 2})
    elif op == "UNPACK":
        outs = [mb.tensor(f"o{i}", (2, 4, 4), dtype, quant=q) for i in range(2)]
        mb.op(op, [x], outs, "UnpackOptions", {"num": 2, "axis": -1})
    else:  # SPACE_TO_DEPTH
        outs = [mb.tensor("o", (2, 2, 2, 8), dtype, quant=q)]
        mb.op(op, [x], outs, "SpaceToDepthOptions", {"block_size": 2})
    mb.output(*outs)
    return mb.build(), [sample((2, 4, 4, 2), dtype)]


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16])
def test_quantized_copies(dtype):
    ops = ["FILL", "TILE", "BROADCAST_TO", "EXPAND_DIMS", "SPLIT", "UNPACK", "SPACE_TO_DEPTH"]
    if dtype == np.int16:
        ops.remove("SPACE_TO_DEPTH")  # not an int16 op in TensorFlow Lite
    for op in ops:
        model, inputs = _quantized_copy_model(op, dtype)
        assert_same(model, inputs)


# ---- Bad models: clear errors at allocate ------------------------------------------------

def _expect_error(model, match):
    with pytest.raises((RuntimeError, ValueError), match=match):
        Interpreter(model_content=model).allocate_tensors()


def _one_op(op, inputs, out_shape, out_dtype, table, options=None, n_out=1, out_quant=None):
    """A model of one op; inputs: (name, array or shape, dtype, const, quant) tuples."""
    mb = ModelBuilder()
    idx = []
    for name, value, dtype, const, quant in inputs:
        if const:
            idx.append(mb.constant(name, np.asarray(value, dtype), quant=quant,
                                   shape=np.shape(value)))
        else:
            idx.append(mb.input(name, value, dtype, quant=quant))
    outs = [mb.tensor(f"out{i}", out_shape, out_dtype, quant=out_quant) for i in range(n_out)]
    mb.op(op, idx, outs, table, options or {})
    mb.output(*outs)
    return mb.build()


_F = np.float32


@pytest.mark.parametrize("model,match", [
    (lambda: _one_op("TILE", [("x", (2, 3), _F, False, None), ("m", (2,), np.int32, False, None)],
                     (4, 3), _F, "TileOptions"),
     r"multiples 'm' \(input 1\) must be a constant tensor: dynamic output shapes are not "
     + r"supported"),
    (lambda: _one_op("FILL", [("d", (2,), np.int32, False, None), ("v", (), _F, False, None)],
                     (2, 2), _F, "FillOptions"), r"dims 'd'.*dynamic output shapes"),
    (lambda: _one_op("BROADCAST_TO", [("x", (3,), _F, False, None),
                                      ("s", (2,), np.int64, False, None)], (2, 3), _F,
                     "BroadcastToOptions"), r"shape 's'.*dynamic output shapes"),
    (lambda: _one_op("SPLIT_V", [("x", (4,), _F, False, None), ("sz", (2,), np.int32, False, None),
                                 ("a", [0], np.int32, True, None)], (2,), _F, "SplitVOptions",
                     {"num_splits": 2}, n_out=2), r"size_splits 'sz'.*dynamic output shapes"),
    (lambda: _one_op("SPLIT", [("a", (1,), np.int32, False, None), ("x", (4,), _F, False, None)],
                     (2,), _F, "SplitOptions", {"num_splits": 2}, n_out=2),
     r"axis 'a'.*dynamic output shapes"),
    (lambda: _one_op("EXPAND_DIMS", [("x", (2, 3), _F, False, None),
                                     ("a", [3], np.int32, True, None)], (2, 3, 1), _F,
                     "ExpandDimsOptions"), r"axis 3 is out of range"),
    (lambda: _one_op("SPLIT", [("a", [2], np.int32, True, None), ("x", (4, 2), _F, False, None)],
                     (2, 2), _F, "SplitOptions", {"num_splits": 2}, n_out=2),
     r"axis 2 is out of range"),
    (lambda: _one_op("SPLIT", [("a", [-1], np.int32, True, None), ("x", (4, 3), _F, False, None)],
                     (4, 1), _F, "SplitOptions", {"num_splits": 2}, n_out=2),
     r"does not split evenly"),
    (lambda: _one_op("SPLIT_V", [("x", (4,), _F, False, None),
                                 ("sz", [-1, -1], np.int32, True, None),
                                 ("a", [0], np.int32, True, None)], (2,), _F, "SplitVOptions",
                     {"num_splits": 2}, n_out=2), r"more than one -1"),
    (lambda: _one_op("UNPACK", [("x", (2, 3), _F, False, None)], (2,), _F, "UnpackOptions",
                     {"num": 3, "axis": 2}, n_out=3), r"axis 2 is out of range"),
    (lambda: _one_op("UNPACK", [("x", (2, 3), _F, False, None)], (3,), _F, "UnpackOptions",
                     {"num": 3, "axis": 0}, n_out=3), r"num is 3 .* dimension 0"),
    (lambda: _one_op("UNPACK", [("x", (2, 0), _F, False, None)], (0,), _F, "UnpackOptions",
                     {"num": 2, "axis": 0}, n_out=2), r"no elements; UNPACK needs a non-empty"),
    (lambda: _one_op("SELECT_V2", [("c", (2,), _F, False, None), ("x", (2,), _F, False, None),
                                   ("y", (2,), _F, False, None)], (2,), _F, "SelectV2Options"),
     r"condition 'c' has type FLOAT32; expected BOOL"),
    (lambda: _one_op("SELECT", [("c", (3,), np.bool_, False, None), ("x", (2, 3), _F, False, None),
                                ("y", (2, 3), _F, False, None)], (2, 3), _F, "SelectOptions"),
     r"vector of x's first dimension"),
    (lambda: _one_op("DEPTH_TO_SPACE", [("x", (1, 2, 2, 4), np.bool_, False, None)],
                     (1, 4, 4, 1), np.bool_, "DepthToSpaceOptions", {"block_size": 2}),
     r"type BOOL; expected FLOAT32"),
    (lambda: _one_op("DEPTH_TO_SPACE", [("x", (1, 2, 2, 4), np.int8, False,
                                         {"scale": 0.5, "zero_point": 1})],
                     (1, 4, 4, 1), np.int8, "DepthToSpaceOptions", {"block_size": 2},
                     out_quant={"scale": 0.25, "zero_point": 1}), r"same quantization"),
    (lambda: _one_op("SPACE_TO_DEPTH", [("x", (1, 3, 4, 2), _F, False, None)], (1, 1, 2, 8), _F,
                     "SpaceToDepthOptions", {"block_size": 2}), r"multiples of block_size 2"),
    (lambda: _one_op("DEPTH_TO_SPACE", [("x", (1, 2, 2, 4), _F, False, None)], (1, 2, 2, 4), _F,
                     "DepthToSpaceOptions", {"block_size": 0}), r"block_size is 0"),
    (lambda: _one_op("BROADCAST_TO", [("x", (2, 3), _F, False, None),
                                      ("s", [4, 3, 3], np.int32, True, None)], (4, 3, 3), _F,
                     "BroadcastToOptions"), r"cannot be broadcast"),
    (lambda: _one_op("TILE", [("x", (2, 3), _F, False, None), ("m", [1, -2], np.int32, True, None)],
                     (2, 3), _F, "TileOptions"), r"multiples\[1\] is -2"),
    (lambda: _one_op("FILL", [("d", [2, -1], np.int32, True, None), ("v", (), _F, False, None)],
                     (2, 2), _F, "FillOptions"), r"dims\[1\] is -1"),
    (lambda: _one_op("CAST", [("x", (3,), np.float16, False, None)], (3,), _F, "CastOptions"),
     r"cannot cast FLOAT16"),
    (lambda: _one_op("TILE", [("x", (2,), np.int8, False, {"scale": 0.5, "zero_point": 0}),
                              ("m", [2], np.int32, True, None)], (4,), np.int8, "TileOptions",
                     out_quant={"scale": 0.5, "zero_point": 2}), r"same quantization"),
], ids=["tile-dynamic", "fill-dynamic", "bcast-dynamic", "splitv-dynamic", "split-axis-dynamic",
        "expand-axis", "split-axis", "split-uneven", "splitv-two-rest", "unpack-axis",
        "unpack-num", "unpack-empty", "select-cond-type", "select-v1-cond-shape", "d2s-type",
        "d2s-quant",
        "s2d-indivisible", "d2s-block0", "bcast-incompatible", "tile-negative", "fill-negative",
        "cast-type", "tile-quant"])
def test_bad_models(model, match):
    _expect_error(model(), match)


# ---- REVERSE_V2 ------------------------------------------------------------------------------

def _reverses(x):
    tf = tom.tf()
    # TensorFlow Lite's kernel takes only consecutive axes; ours takes any set.
    return (tf.reverse(x, [1]), tf.reverse(x, [2, 3]), tf.reverse(x, [0, 1, 2, 3]))


@pytest.mark.parametrize("dtype,quant", [(np.float32, None), (np.int32, None),
                                         (np.float32, "int8")])
def test_reverse_v2(dtype, quant):
    out = check(_reverses, [((2, 3, 1, 5), dtype)], ["REVERSE_V2"],
                key=f"dm-reverse-{np.dtype(dtype)}-{quant}", quant=quant)
    if quant is None:
        x = sample((2, 3, 1, 5), dtype)
        np.testing.assert_array_equal(out[0], x[:, ::-1])
        np.testing.assert_array_equal(out[1], x[:, :, ::-1, ::-1])


def test_reverse_v2_rejects_a_repeated_axis():
    mb = ModelBuilder()
    x = mb.input("x", [2, 3], np.float32)
    axes = mb.constant("axes", np.array([1, -1], np.int32))
    y = mb.tensor("y", [2, 3], np.float32)
    mb.op("REVERSE_V2", [x, axes], [y], "ReverseV2Options", {})
    mb.output(y)
    with pytest.raises(RuntimeError, match=r"REVERSE_V2.*axis 1 is given twice"):
        Interpreter(model_content=mb.build()).allocate_tensors()


def test_reverse_v2_any_set_of_axes_against_numpy():
    """Axes that are not consecutive (TensorFlow Lite refuses them at invoke)."""
    mb = ModelBuilder()
    x = mb.input("x", [2, 3, 4], np.float32)
    axes = mb.constant("axes", np.array([-1, 0], np.int64))
    y = mb.tensor("y", [2, 3, 4], np.float32)
    mb.op("REVERSE_V2", [x, axes], [y], "ReverseV2Options", {})
    mb.output(y)
    value = sample((2, 3, 4), np.float32)
    (got,) = tom.run_all(Interpreter(model_content=mb.build()), [value])
    np.testing.assert_array_equal(got, value[::-1, :, ::-1])
