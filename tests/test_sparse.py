"""Sparse tensors (Tensor.sparsity): load-time verification, DENSIFY and FULLY_CONNECTED on
sparse weights, against the dense arrays the test encoded (NumPy) and TensorFlow Lite."""
import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
from ai_edge_litert.interpreter import OpResolverType

import sparse_encoding as se
from op_runner import run_interpreter, run_litert, run_tflite
from sparse_encoding import DENSE, SPARSE_CSR
from tflite_builder import ModelBuilder

from litert import Interpreter


def densify_model(values, dense_shape, order, bmap, levels, quant=None):
    b = ModelBuilder()
    w = se.add_sparse_constant(b, "w", dense_shape, values, order, bmap, levels, quant=quant)
    y = b.tensor("y", dense_shape, values.dtype, quant=quant)
    b.op("DENSIFY", [w], [y])
    b.output(y)
    return b.build()


def sparse_array(shape, rng, dtype, sparsity=0.6):
    a = rng.standard_normal(shape) * 10
    a[rng.random(shape) < sparsity] = 0
    return a.astype(dtype)


# (shape, traversal_order, formats, block_map, block_size)
ENCODINGS = [
    ((5, 7), [0, 1], [DENSE, SPARSE_CSR], [], []),             # CSR
    ((5, 7), [1, 0], [DENSE, SPARSE_CSR], [], []),             # CSC
    ((5, 7), [0, 1], [SPARSE_CSR, SPARSE_CSR], [], []),        # doubly compressed
    ((6, 8), [0, 1, 2], [DENSE, SPARSE_CSR, DENSE], [1], [4]),  # 1x4 blocks
    ((8, 6), [0, 1, 2], [DENSE, SPARSE_CSR, DENSE], [0], [4]),  # 4x1 blocks
    ((4, 6), [0, 1, 2, 3], [DENSE, SPARSE_CSR, DENSE, DENSE], [0, 1], [2, 2]),  # 2x2 blocks
    ((4, 6), [1, 0, 3, 2], [DENSE, SPARSE_CSR, DENSE, DENSE], [0, 1], [2, 3]),  # permuted
    ((3, 4, 5), [0, 1, 2], [DENSE, DENSE, SPARSE_CSR], [], []),  # rank 3
    ((3, 4, 5), [2, 0, 1], [DENSE, SPARSE_CSR, SPARSE_CSR], [], []),
    ((2, 3, 4, 4), [0, 1, 2, 3, 4], [DENSE, DENSE, DENSE, SPARSE_CSR, DENSE], [3], [2]),
]


@pytest.mark.parametrize("enc", ENCODINGS, ids=lambda e: f"{e[0]}-{e[1]}-{e[3]}")
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8])
def test_densify_matches_numpy_and_tflite(enc, dtype):
    shape, order, formats, bmap, bsize = enc
    rng = np.random.default_rng(len(shape) * 7 + len(order))
    dense = sparse_array(shape, rng, dtype)
    index_dtype = np.uint8 if dtype == np.int8 else np.uint16 if dtype == np.float16 else np.int32
    values, levels = se.encode(dense, order, formats, bmap, bsize, index_dtype)
    quant = dict(scale=[0.5], zero_point=[3]) if dtype == np.int8 else None
    model = densify_model(values, shape, order, bmap, levels, quant)
    ours = run_litert(model, [])
    np.testing.assert_array_equal(ours, dense)
    np.testing.assert_array_equal(run_tflite(model, []), dense)


def test_densify_all_zero_tensor_has_empty_buffer():
    dense = np.zeros((3, 4), np.float32)
    values, levels = se.encode(dense, [0, 1], [DENSE, SPARSE_CSR])
    assert values.size == 0
    np.testing.assert_array_equal(run_litert(densify_model(values, dense.shape, [0, 1], [],
                                                           levels), []), dense)


# ---- hostile sparsity parameters ---------------------------------------------------------

def csr_levels(segments, indices, rows=3, index_dtype=np.int32):
    return [dict(format=DENSE, dense_size=rows),
            dict(format=SPARSE_CSR, array_segments=np.array(segments, index_dtype),
                 array_indices=np.array(indices, index_dtype))]


def load_error(values, shape, order, bmap, levels):
    with pytest.raises(Exception) as info:
        Interpreter(model_content=densify_model(np.asarray(values, np.float32), shape, order,
                                                bmap, levels)).allocate_tensors()
    return str(info.value)


GOOD = dict(segments=[0, 2, 2, 3], indices=[0, 3, 1])


@pytest.mark.parametrize("case,match", [
    (dict(indices=[0, 4, 1]), "expected an index below the dimension size 4"),
    (dict(indices=[3, 0, 1]), "expected strictly increasing indices"),
    (dict(indices=[0, 0, 1]), "expected strictly increasing indices"),
    (dict(indices=[0, -1, 1]), "is negative"),
    (dict(segments=[0, 2, 1, 3]), "expected non-decreasing"),
    (dict(segments=[1, 2, 2, 3]), "starts at 1; expected 0"),
    (dict(segments=[0, 2, 3]), "array_segments has 3 entries; expected 4"),
    (dict(segments=[0, 2, 2, 4]), "array_indices has 3 entries; expected 4"),
    (dict(values=[1.0, 2.0]), "buffer has 8 bytes; expected 12"),
    (dict(values=[1.0, 2.0, 3.0, 4.0]), "buffer has 16 bytes; expected 12"),
    (dict(order=[0, 0]), "traversal_order entry 1 is 0"),
    (dict(order=[0, 2]), "traversal_order entry 1 is 2"),
    (dict(order=[0]), "traversal_order has 1 entries; expected 2"),
    (dict(rows=4), "dense_size 4; expected 3"),
    (dict(bmap=[5]), "traversal_order has 2 entries; expected 3"),
])
def test_hostile_csr_parameters_are_rejected(case, match):
    segments = case.get("segments", GOOD["segments"])
    indices = case.get("indices", GOOD["indices"])
    levels = csr_levels(segments, indices, rows=case.get("rows", 3))
    values = case.get("values", [1.0, 2.0, 3.0])
    err = load_error(values, (3, 4), case.get("order", [0, 1]), case.get("bmap", []), levels)
    assert match in err, err


def test_hostile_block_parameters_are_rejected():
    dense = sparse_array((4, 8), np.random.default_rng(1), np.float32)
    values, levels = se.encode(dense, [0, 1, 2], [DENSE, SPARSE_CSR, DENSE], [1], [4])
    bad = [dict(lv) for lv in levels]
    bad[2]["dense_size"] = 3
    assert "expected a positive divisor" in load_error(values, (4, 8), [0, 1, 2], [1], bad)
    assert "block_map entry 0 is 2" in load_error(values, (4, 8), [0, 1, 2], [2], levels)
    err = load_error(values, (4, 8), [0, 1, 2], [1], levels[:2] + [dict(format=SPARSE_CSR)])
    assert "expected DENSE (0)" in err
    err = load_error(values, (4, 8), [2, 1, 0], [1], levels)
    assert "traversal_order entry 0 is 2" in err
    err = load_error(values, (4, 8), [0, 1], [], levels)
    assert "dim_metadata has 3 entries; expected 2" in err


def test_sparse_tensor_is_only_read_by_ops_that_understand_it():
    dense = sparse_array((3, 4), np.random.default_rng(2), np.float32)
    values, levels = se.encode(dense, [0, 1], [DENSE, SPARSE_CSR])
    b = ModelBuilder()
    x = b.input("x", [3, 4], np.float32)
    w = se.add_sparse_constant(b, "w", [3, 4], values, [0, 1], [], levels)
    y = b.tensor("y", [3, 4], np.float32)
    b.op("ADD", [x, w], [y], "AddOptions", dict(fused_activation_function=0))
    b.output(y)
    with pytest.raises(Exception, match="reads sparse tensor 1 'w'; only DENSIFY"):
        Interpreter(model_content=b.build())


# ---- FULLY_CONNECTED on sparse weights ----------------------------------------------------

def fc_model(weights_fn, batch, depth, units, act=0, bias=None, dtype=np.float32):
    b = ModelBuilder()
    x = b.input("x", [batch, depth], np.float32)
    w = weights_fn(b)
    bi = b.constant("bias", bias) if bias is not None else -1
    y = b.tensor("y", [batch, units], np.float32)
    b.op("FULLY_CONNECTED", [x, w, bi], [y], "FullyConnectedOptions",
         dict(fused_activation_function=act))
    b.output(y)
    return b.build()


def tflite_optimized(model, inputs):
    """TensorFlow Lite's builtin (optimized) kernels, which implement sparse FULLY_CONNECTED.
    Its default XNNPACK delegate is left out: with sparse weights it reads the stored values
    as a dense matrix and returns garbage (seen with ai_edge_litert)."""
    return run_interpreter(TFLiteInterpreter(
        model_content=model,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES), inputs)


@pytest.mark.parametrize("block", [1, 4])
@pytest.mark.parametrize("batch", [1, 3, 6])
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 1.0])
def test_sparse_fc_matches_dense_numpy_and_tflite(block, batch, sparsity):
    rng = np.random.default_rng(int(sparsity * 10) + batch * 3 + block)
    units, depth = 24, 40
    w = se.random_sparse((units, depth), sparsity, rng, block=(1, block))
    bias = rng.standard_normal(units).astype(np.float32)
    x = rng.standard_normal((batch, depth)).astype(np.float32)
    values, order, bmap, levels = se.encode_rows_csr(w, block)
    sparse = fc_model(lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap,
                                                       levels), batch, depth, units, 1, bias)
    dense = fc_model(lambda b: b.constant("w", w), batch, depth, units, 1, bias)
    ref = np.maximum(x.astype(np.float64) @ w.T.astype(np.float64) + bias, 0)
    tol = 1e-5 * (np.abs(x) @ np.abs(w).T + np.abs(bias) + 1)
    ours = run_litert(sparse, [x])
    assert np.all(np.abs(ours - ref) <= tol)
    assert np.all(np.abs(ours - run_litert(dense, [x])) <= tol)
    assert np.all(np.abs(ours - tflite_optimized(sparse, [x])) <= tol)
    assert np.all(np.abs(ours - run_tflite(sparse, [x])) <= tol)


@pytest.mark.parametrize("enc", [ENCODINGS[1], ENCODINGS[2], ENCODINGS[4], ENCODINGS[5]],
                         ids=["csc", "dcsr", "4x1", "2x2"])
def test_sparse_fc_other_encodings_match_numpy(enc):
    """Encodings TensorFlow Lite's FULLY_CONNECTED does not take (it needs DENSIFY for them);
    ours reads any encoding directly."""
    _, order, formats, bmap, bsize = enc
    rng = np.random.default_rng(5)
    units, depth = 8, 12
    w = sparse_array((units, depth), rng, np.float32)
    values, levels = se.encode(w, order, formats, bmap, bsize)
    x = rng.standard_normal((2, depth)).astype(np.float32)
    model = fc_model(lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap,
                                                      levels), 2, depth, units)
    ref = x.astype(np.float64) @ w.T.astype(np.float64)
    np.testing.assert_allclose(run_litert(model, [x]), ref, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("per_channel", [False, True])
def test_sparse_hybrid_fc_matches_dequantized_numpy(per_channel):
    rng = np.random.default_rng(9)
    units, depth = 16, 32
    q = rng.integers(-127, 128, (units, depth)).astype(np.int8)
    q[rng.random((units, depth)) < 0.8] = 0
    scales = (rng.random(units) * 0.1 + 0.01).astype(np.float32) if per_channel else \
        np.array([0.05], np.float32)
    quant = dict(scale=scales.tolist(), zero_point=[0] * len(scales), quantized_dimension=0)
    values, order, bmap, levels = se.encode_rows_csr(q, 1)
    x = rng.standard_normal((3, depth)).astype(np.float32)
    model = fc_model(lambda b: se.add_sparse_constant(b, "w", q.shape, values, order, bmap,
                                                      levels, quant=quant), 3, depth, units)
    wf = q.astype(np.float64) * scales.reshape(-1, 1)
    np.testing.assert_allclose(run_litert(model, [x]), x.astype(np.float64) @ wf.T,
                               rtol=1e-5, atol=1e-4)


def test_fast_encoder_matches_generic_encoder():
    rng = np.random.default_rng(3)
    w = se.random_sparse((6, 16), 0.5, rng, block=(1, 4))
    for block, order, formats, bmap, bsize in ((1, [0, 1], [DENSE, SPARSE_CSR], [], []),
                                               (4, [0, 1, 2], [DENSE, SPARSE_CSR, DENSE], [1],
                                                [4])):
        v1, l1 = se.encode(w, order, formats, bmap, bsize)
        v2, o2, b2, l2 = se.encode_rows_csr(w, block)
        np.testing.assert_array_equal(v1, v2)
        assert (o2, b2) == (order, bmap)
        for a, b in zip(l1, l2):
            assert a["format"] == b["format"]
            for key in ("array_segments", "array_indices"):
                if key in a:
                    np.testing.assert_array_equal(a[key], b[key])


def test_corrupted_sparse_models_fail_cleanly():
    """Random byte corruptions of a sparse model either load and run or fail with an error;
    run under the sanitizers (ASan build via LITERT_LIBRARY) this also checks no read goes
    out of bounds."""
    rng = np.random.default_rng(11)
    w = se.random_sparse((8, 16), 0.5, rng, block=(1, 4))
    values, order, bmap, levels = se.encode_rows_csr(w, 4, index_dtype=np.uint8)
    model = bytearray(fc_model(lambda b: se.add_sparse_constant(b, "w", w.shape, values, order,
                                                                bmap, levels), 2, 16, 8))
    x = rng.standard_normal((2, 16)).astype(np.float32)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(300):
        bad = bytearray(model)
        for pos in rng.integers(0, len(bad), 3):
            bad[pos] = int(rng.integers(0, 256))
        try:
            run_litert(bytes(bad), [x])
            outcomes["ok"] += 1
        except Exception:  # noqa: BLE001 - any clean error is acceptable
            outcomes["error"] += 1
    assert outcomes["error"] > 0 and outcomes["ok"] > 0, outcomes


# At ISA levels with the SIMD float GEMM, float32 sparse weights are densified at prepare
# when the GEMM is cheaper (fully_connected.c's cost model: several rows and moderate
# sparsity) and then run the dense path: the results equal the dense model's at that level
# bit for bit. These cases are inside that regime; at "portable" the sparse kernel runs.
@pytest.mark.parametrize("block", [1, 4])
@pytest.mark.parametrize("batch,sparsity", [(8, 0.75), (16, 0.8), (3, 0.5), (5, 0.0), (1, 0.0)])
def test_sparse_fc_equals_dense_at_each_isa(block, batch, sparsity, simd_isa):
    rng = np.random.default_rng(batch * 5 + block + int(sparsity * 10))
    units, depth = 33, 68
    w = se.random_sparse((units, depth), sparsity, rng, block=(1, block))
    bias = rng.standard_normal(units).astype(np.float32)
    x = rng.standard_normal((batch, depth)).astype(np.float32)
    values, order, bmap, levels = se.encode_rows_csr(w, block)
    sparse = fc_model(lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap,
                                                       levels), batch, depth, units, 3, bias)
    dense = fc_model(lambda b: b.constant("w", w), batch, depth, units, 3, bias)
    want = run_litert(dense, [x], isa=simd_isa)
    for threads in (1, 2):
        np.testing.assert_array_equal(run_litert(sparse, [x], isa=simd_isa,
                                                 num_threads=threads), want)
    ref = np.clip(x.astype(np.float64) @ w.T.astype(np.float64) + bias, 0, 6)
    tol = 1e-5 * (np.abs(x) @ np.abs(w).T + np.abs(bias) + 1)
    assert np.all(np.abs(run_litert(sparse, [x], isa="portable") - ref) <= tol)


@pytest.mark.parametrize("batch", [1, 8])
def test_very_sparse_fc_at_each_isa(batch, simd_isa):
    """Very sparse (or batch 1 at 90 %): the sparse kernel is kept; within the tolerance of
    the dense model, the same for any thread count."""
    rng = np.random.default_rng(31 + batch)
    units, depth = 40, 96
    w = se.random_sparse((units, depth), 0.97 if batch > 1 else 0.9, rng, block=(1, 1))
    x = rng.standard_normal((batch, depth)).astype(np.float32)
    values, order, bmap, levels = se.encode_rows_csr(w, 1)
    sparse = fc_model(lambda b: se.add_sparse_constant(b, "w", w.shape, values, order, bmap,
                                                       levels), batch, depth, units)
    dense = fc_model(lambda b: b.constant("w", w), batch, depth, units)
    ours = run_litert(sparse, [x], isa=simd_isa, num_threads=1)
    np.testing.assert_array_equal(run_litert(sparse, [x], isa=simd_isa, num_threads=2), ours)
    tol = 1e-5 * (np.abs(x) @ np.abs(w).T + 1)
    assert np.all(np.abs(ours - run_litert(dense, [x], isa=simd_isa)) <= tol)
