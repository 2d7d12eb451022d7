"""Models with several subgraphs (WHILE, IF) and the comparison / logical ops their
conditions use, converted by TensorFlow's converter and compared with TensorFlow Lite's
interpreter (and Keras for the recurrent layers).

TensorFlow emits WHILE for tf.while_loop and for Keras recurrent layers it does not fuse
(GRU, SimpleRNN: their time loop), and IF for tf.cond on a run-time predicate."""
import numpy as np
import pytest

from tf_op_models import convert, op_names, quantize_inputs, run_both, tf

F32 = np.float32


def _tf():
    return tf()


def _count_loop(x, n):
    t = _tf()
    i = t.constant(0)

    def cond(i, x):
        return i < n

    def body(i, x):
        return i + 1, x * 1.5 + 1.0

    return t.while_loop(cond, body, [i, x])[1]


@pytest.fixture(scope="module")
def count_loop_model():
    t = _tf()
    return convert(_count_loop, [((2, 3), t.float32), ((), t.int32)], key="while-count")


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_while_counted_loop(count_loop_model, n):
    assert "WHILE" in op_names(count_loop_model)
    x = np.random.default_rng(n).standard_normal((2, 3)).astype(F32)
    ours, theirs = run_both(count_loop_model, [x, np.array(n, np.int32)])
    np.testing.assert_array_equal(ours[0], theirs[0])
    ref = x.astype(np.float64)
    for _ in range(n):
        ref = ref * 1.5 + 1.0
    np.testing.assert_allclose(ours[0], ref, rtol=1e-5)


def test_while_runs_again_with_new_inputs(count_loop_model):
    """The loop state starts from the inputs on every invoke (nothing leaks between runs)."""
    from litert import Interpreter

    it = Interpreter(model_content=count_loop_model)
    it.allocate_tensors()
    ins = it.get_input_details()
    x = np.ones((2, 3), F32)
    outs = []
    for n in (3, 3, 0):
        it.set_tensor(ins[0]["index"], x)
        it.set_tensor(ins[1]["index"], np.array(n, np.int32))
        it.invoke()
        outs.append(it.get_tensor(it.get_output_details()[0]["index"]))
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[2], x)


def _nested_loops(x, n):
    t = _tf()

    def outer_body(i, acc):
        j0 = t.constant(0)
        inner = t.while_loop(lambda j, a: j < i, lambda j, a: (j + 1, a + 0.5), [j0, acc])[1]
        return i + 1, inner * 0.9

    return t.while_loop(lambda i, a: i < n, outer_body, [t.constant(0), x])[1]


def test_nested_while():
    t = _tf()
    model = convert(_nested_loops, [((4,), t.float32), ((), t.int32)], key="while-nested")
    x = np.arange(4, dtype=F32)
    for n in (0, 1, 4):
        ours, theirs = run_both(model, [x, np.array(n, np.int32)])
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6, atol=1e-6)


def _branch(x, p):
    t = _tf()
    return t.cond(p > 0, lambda: t.nn.relu(x) * 2.0, lambda: x - 1.0)


@pytest.mark.parametrize("p", [-1.0, 0.0, 2.5])
def test_if_picks_the_branch(p):
    t = _tf()
    model = convert(_branch, [((3, 5), t.float32), ((), t.float32)], key="if-relu")
    assert "IF" in op_names(model)
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(F32)
    ours, theirs = run_both(model, [x, np.array(p, F32)])
    np.testing.assert_array_equal(ours[0], theirs[0])
    ref = np.maximum(x, 0) * 2.0 if p > 0 else x - 1.0
    np.testing.assert_allclose(ours[0], ref, rtol=1e-6)


def _recurrent_model(layer_cls, units, seq, feat, batch, **kw):
    t = _tf()
    t.keras.utils.set_random_seed(units * 7 + seq)
    model = t.keras.Sequential([t.keras.Input((seq, feat), batch_size=batch),
                                layer_cls(units, **kw)])
    return model


@pytest.mark.parametrize("layer,units,seq,return_sequences", [
    ("GRU", 6, 5, False), ("GRU", 3, 1, True), ("SimpleRNN", 7, 4, True),
    ("SimpleRNN", 2, 3, False)])
def test_recurrent_layers_run_as_while_loops(layer, units, seq, return_sequences):
    t = _tf()
    feat, batch = 4, 2
    keras_model = _recurrent_model(getattr(t.keras.layers, layer), units, seq, feat, batch,
                                   return_sequences=return_sequences)
    model = convert(keras_model, [], key=f"rnn-{layer}-{units}-{seq}-{return_sequences}")
    assert "WHILE" in op_names(model)
    x = np.random.default_rng(units).standard_normal((batch, seq, feat)).astype(F32)
    ours, theirs = run_both(model, [x])
    # Same kernels on the same float32 values except the FULLY_CONNECTED sums, which round
    # in another order: a few ulps per step, compounding over the sequence.
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[0], keras_model.predict(x, verbose=0), rtol=1e-4,
                               atol=1e-5)


def test_recurrent_layer_with_two_threads():
    t = _tf()
    keras_model = _recurrent_model(t.keras.layers.GRU, 16, 6, 8, 1, return_sequences=True)
    model = convert(keras_model, [], key="gru-16-threads")
    x = np.random.default_rng(3).standard_normal((1, 6, 8)).astype(F32)
    one, _ = run_both(model, [x], num_threads=1)
    two, theirs = run_both(model, [x], num_threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_allclose(two[0], theirs[0], rtol=1e-5, atol=1e-6)


# ---- Comparisons and logical ops -------------------------------------------------------

_CMP = {"LESS": "less", "LESS_EQUAL": "less_equal", "GREATER": "greater",
        "GREATER_EQUAL": "greater_equal", "EQUAL": "equal", "NOT_EQUAL": "not_equal"}


def _cmp_inputs(dtype, a_shape, b_shape, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        a = rng.integers(-3, 4, a_shape).astype(F32) * 0.5
        b = rng.integers(-3, 4, b_shape).astype(F32) * 0.5
        a.flat[0] = np.nan  # NaN compares unequal (and false) to everything
    else:
        a = rng.integers(-3, 4, a_shape).astype(dtype)
        b = rng.integers(-3, 4, b_shape).astype(dtype)
    return a, b


@pytest.mark.parametrize("op", sorted(_CMP))
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64])
@pytest.mark.parametrize("a_shape,b_shape", [((2, 3, 4), (2, 3, 4)), ((2, 1, 4), (3, 1)),
                                             ((5,), ())])
def test_comparisons(op, dtype, a_shape, b_shape):
    t = _tf()
    fn = getattr(t.math, _CMP[op])
    tdt = t.as_dtype(dtype)
    model = convert(lambda a, b: fn(a, b), [(a_shape, tdt), (b_shape, tdt)],
                    key=f"cmp-{op}-{np.dtype(dtype).name}-{a_shape}-{b_shape}")
    assert op in op_names(model)
    a, b = _cmp_inputs(dtype, a_shape, b_shape, len(a_shape))
    ours, theirs = run_both(model, [a, b])
    assert ours[0].dtype == np.bool_
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[0], getattr(np, _CMP[op])(a, b))


@pytest.mark.parametrize("op", ["EQUAL", "NOT_EQUAL"])
def test_bool_equality(op):
    t = _tf()
    fn = getattr(t.math, _CMP[op])
    model = convert(lambda a, b: fn(a, b), [((4, 3), t.bool), ((3,), t.bool)],
                    key=f"cmp-bool-{op}")
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 2, (4, 3)).astype(bool), rng.integers(0, 2, (3,)).astype(bool)
    ours, theirs = run_both(model, [a, b])
    np.testing.assert_array_equal(ours[0], theirs[0])


def _int8_compare(x, y):
    t = _tf()
    # A float model whose comparison the full-int8 converter turns into an int8 LESS on two
    # tensors of different scales.
    return t.cast(t.math.less(x * 3.0, y), t.float32) + x * 0.0


def test_int8_comparison_rescales_both_inputs():
    t = _tf()

    def rep():
        rng = np.random.default_rng(0)
        for _ in range(8):
            yield [rng.uniform(-1, 1, (1, 16)).astype(F32), rng.uniform(-2, 2, (1, 16)).astype(F32)]

    model = convert(_int8_compare, [((1, 16), t.float32), ((1, 16), t.float32)], quant="int8",
                    representative=rep, key="cmp-int8")
    names = op_names(model)
    if "LESS" not in names:
        pytest.skip(f"the converter did not keep an int8 LESS: {names}")
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-1, 1, (1, 16)).astype(F32), rng.uniform(-2, 2, (1, 16)).astype(F32)
    ours, theirs = run_both(model, quantize_inputs(model, [x, y]))
    np.testing.assert_array_equal(ours[0], theirs[0])


@pytest.mark.parametrize("op", ["logical_and", "logical_or"])
def test_logical_binary(op):
    t = _tf()
    fn = getattr(t.math, op)
    model = convert(lambda a, b: fn(a, b), [((2, 1, 3), t.bool), ((4, 1), t.bool)],
                    key=f"logic-{op}")
    assert op.upper() in op_names(model)
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 2, (2, 1, 3)).astype(bool), rng.integers(0, 2, (4, 1)).astype(bool)
    ours, theirs = run_both(model, [a, b])
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[0], getattr(np, op)(a, b))


def test_logical_not():
    t = _tf()
    model = convert(lambda a: t.math.logical_not(a), [((5, 2), t.bool)], key="logic-not")
    a = np.random.default_rng(8).integers(0, 2, (5, 2)).astype(bool)
    ours, theirs = run_both(model, [a])
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[0], ~a)


# ---- Bad files ----------------------------------------------------------------------------

def _edit(model, fn):
    """The model with fn(ModelT) applied, re-serialized."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    m = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    fn(m, schema)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _while_op(m, schema):
    for op in m.subgraphs[0].operators:
        code = m.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.WHILE:
            return op
    raise AssertionError("no WHILE")


def _allocate(model):
    from litert import Interpreter

    it = Interpreter(model_content=model)
    it.allocate_tensors()
    return it


def test_while_with_subgraph_index_out_of_range(count_loop_model):
    def edit(m, schema):
        _while_op(m, schema).builtinOptions.bodySubgraphIndex = 40

    with pytest.raises(RuntimeError, match=r"WHILE.*body subgraph index 40 out of range"):
        _allocate(_edit(count_loop_model, edit))


def test_while_calling_itself_is_a_cycle(count_loop_model):
    """A body subgraph holding a WHILE whose body is that same subgraph would recurse
    forever: the nesting limit turns it into an error naming the cycle."""
    def edit(m, schema):
        import copy

        loop = _while_op(m, schema)
        body = m.subgraphs[loop.builtinOptions.bodySubgraphIndex]
        n = len(body.inputs)
        cycle = schema.SubGraphT()
        cycle.name = "cycle"
        cycle.tensors = [copy.deepcopy(body.tensors[i]) for i in body.inputs]
        cycle.tensors += [copy.deepcopy(body.tensors[i]) for i in body.inputs]
        for k, tensor in enumerate(cycle.tensors):
            tensor.name = f"cycle_{k}".encode()
        cycle.inputs, cycle.outputs = list(range(n)), list(range(n, 2 * n))
        inner = schema.OperatorT()
        inner.opcodeIndex = loop.opcodeIndex
        inner.inputs, inner.outputs = list(cycle.inputs), list(cycle.outputs)
        inner.builtinOptionsType = loop.builtinOptionsType
        inner.builtinOptions = copy.deepcopy(loop.builtinOptions)
        inner.builtinOptions.bodySubgraphIndex = len(m.subgraphs)
        cycle.operators = [inner]
        m.subgraphs.append(cycle)
        loop.builtinOptions.bodySubgraphIndex = len(m.subgraphs) - 1

    with pytest.raises(RuntimeError, match=r"body subgraph 3 is already running further up"):
        _allocate(_edit(count_loop_model, edit))


def test_while_body_pointing_at_the_main_graph(count_loop_model):
    def edit(m, schema):
        _while_op(m, schema).builtinOptions.bodySubgraphIndex = 0

    with pytest.raises(RuntimeError, match=r"body subgraph is subgraph 0"):
        _allocate(_edit(count_loop_model, edit))


def test_while_body_that_changes_a_shape_is_rejected():
    t = _tf()

    def grow(x, n):
        i = t.constant(0)
        return t.while_loop(lambda i, x: i < n, lambda i, x: (i + 1, t.concat([x, x], 0)),
                            [i, x], shape_invariants=[i.shape, t.TensorShape([None])])[1]

    model = convert(grow, [((2,), t.float32), ((), t.int32)], key="while-grow")
    with pytest.raises(RuntimeError, match=r"loop variables that change shape"):
        _allocate(model)


def test_subgraph_interpreters_count_against_the_memory_cap(count_loop_model):
    """The loop's condition and body interpreters are charged to the model's memory cap, so a
    file cannot multiply the cap by its number of control-flow nodes: just below the smallest
    cap that works, allocate fails naming the subgraphs' share."""
    from litert import Interpreter

    def allocates(cap):
        try:
            Interpreter(model_content=count_loop_model, max_memory_bytes=cap).allocate_tensors()
            return None
        except RuntimeError as e:
            return str(e)

    lo, hi = 1, 1 << 24  # fails at lo, works at hi
    assert allocates(lo) is not None and allocates(hi) is None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if allocates(mid) is None else (mid, hi)
    message = allocates(lo)
    assert "memory cap" in message and "subgraph" in message, message
    # The subgraphs' interpreters (tables + plans) are a real part of the total.
    assert hi > 4096, hi
