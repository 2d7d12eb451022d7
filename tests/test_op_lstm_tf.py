"""UNIDIRECTIONAL_SEQUENCE_LSTM against TensorFlow Lite's interpreter and Keras.

How the models are made. TensorFlow's converter fuses a Keras LSTM into this op only for the
Keras 2 layer, whose cuDNN-compatible path is a tf.function marked api_implements="lstm_..."
(with time_major / go_backwards attributes); the Keras 3 layer installed here converts to a
WHILE loop instead. So `FusedLSTM` below is a small Keras 3 layer that calls such a marked
function (Keras 2's argument order: inputs, init_h, init_c, kernel, recurrent_kernel, bias)
with the weights of a real keras.layers.LSTM: the converter then emits exactly what it emits
for a Keras 2 LSTM (UNIDIRECTIONAL_SEQUENCE_LSTM, tanh, cell_clip 10, state variables), and
the real layer's predict() is the Keras reference. Features the converter never emits (CIFG,
peephole, layer norm, projection, clips, time_major, other activations, symmetric hybrid
inputs) are covered with models built by tests/tflite_builder.ModelBuilder.

Tolerances. float32: 1e-5 absolute and relative (outputs are in [-1, 1] for tanh; measured
differences are below 5e-7): TensorFlow Lite sums the dot products in another order (ruy)
than our GEMM/GEMV kernels (FMA chains), and the recurrence carries such rounding over the
steps. Hybrid: the int8 arithmetic (per-row quantization, int32 sums, row-sum correction,
scaling) is TensorFlow Lite's; its float parts (exp, tanh, the float epilogue) round slightly
differently (measured differences below 3e-7), so the same 1e-5 absolute. A state value
that lands within a rounding of a quantization boundary could move one int8 value by one
(about 1e-3 here); these inputs don't, and the check would show it."""
import uuid

import numpy as np
import pytest

from tf_op_models import convert, op_names, run_all, tf
from tflite_builder import ModelBuilder

F32 = np.float32
FLOAT_TOL = dict(atol=1e-5, rtol=1e-5)
HYBRID_TOL = dict(atol=1e-5, rtol=0)
OP = "UNIDIRECTIONAL_SEQUENCE_LSTM"


# ---- helpers ---------------------------------------------------------------------------------

def _interpreters(model):
    from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter
    from ai_edge_litert.interpreter import OpResolverType

    from litert import Interpreter

    return (Interpreter(model_content=model),
            TFLiteInterpreter(model_content=model,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF))


def _feed(interp, inputs):
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


def run_sequence(model, input_lists):
    """Feeds each input list in turn to one litert and one TensorFlow Lite interpreter (the
    state variables carry over between invokes): [(ours, theirs), ...]."""
    ours, theirs = _interpreters(model)
    ours.allocate_tensors()
    theirs.allocate_tensors()
    return [(_feed(ours, xs), _feed(theirs, xs)) for xs in input_lists]


def _marked_lstm(go_backwards=False):
    """A tf.function like Keras 2's standard_lstm, marked so that the converter fuses it."""
    t = tf()

    def body(inputs, init_h, init_c, kernel, recurrent_kernel, bias):
        xs = t.transpose(inputs, [1, 0, 2])
        if go_backwards:
            xs = t.reverse(xs, [0])

        def step(carry, x):
            h, c = carry[0], carry[1]
            z = t.matmul(x, kernel) + t.matmul(h, recurrent_kernel) + bias
            i, f, g, o = t.split(z, 4, axis=1)
            c = t.sigmoid(f) * c + t.sigmoid(i) * t.tanh(g)
            return t.stack([t.sigmoid(o) * t.tanh(c), c])

        hc = t.scan(step, xs, initializer=t.stack([init_h, init_c]))
        outs = t.transpose(hc[:, 0], [1, 0, 2])
        return outs[:, -1], outs, hc[-1, 0], hc[-1, 1], t.constant(0.0)

    return t.function(body, autograph=False, experimental_attributes={
        "api_implements": "lstm_" + uuid.uuid4().hex, "api_preferred_device": "CPU",
        "time_major": False, "go_backwards": go_backwards})


def _fused_layer_class():
    import keras

    class FusedLSTM(keras.layers.Layer):
        """Runs the weights of `lstm` (a built keras.layers.LSTM) through _marked_lstm."""

        def __init__(self, lstm, return_sequences, go_backwards=False, **kw):
            super().__init__(**kw)
            self.k, self.rk, self.b = [np.asarray(w) for w in lstm.get_weights()]
            self.units = self.rk.shape[0]
            self.return_sequences = return_sequences
            self.fn = _marked_lstm(go_backwards)

        def call(self, x):
            t = tf()
            z = t.zeros([t.shape(x)[0], self.units])
            last, seq, _, _, _ = self.fn(x, z, z, t.constant(self.k), t.constant(self.rk),
                                         t.constant(self.b))
            return seq if self.return_sequences else last

    return FusedLSTM


def keras_lstm(batch, steps, n_in, units, *, return_sequences=True, layers=1,
               bidirectional=None, quant=None, seed=0):
    """(converted model, Keras reference model). bidirectional: None, "gather" (the
    backward direction reverses its input and output with GATHER) or "reverse" (with
    REVERSE_V2, as the converter writes go_backwards)."""
    import keras

    key = f"lstm-{batch}-{steps}-{n_in}-{units}-{return_sequences}-{layers}-{bidirectional}-" \
          f"{quant}-{seed}"
    keras.utils.set_random_seed(seed)
    FusedLSTM = _fused_layer_class()
    inp = keras.Input((steps, n_in), batch_size=batch)
    x_ref, x = inp, inp
    for layer in range(layers):
        seq = return_sequences or layer + 1 < layers
        if bidirectional is None:
            lstm = keras.layers.LSTM(units, return_sequences=seq, bias_initializer="random_normal")
            x_ref = lstm(x_ref)
            x = FusedLSTM(lstm, seq)(x)
            continue
        bi = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=seq, bias_initializer="random_normal"))
        x_ref = bi(x_ref)
        fwd = FusedLSTM(bi.forward_layer, seq)(x)
        t = tf()
        if bidirectional == "reverse":
            bwd = FusedLSTM(bi.backward_layer, seq, go_backwards=True)(x)
            if seq:
                bwd = keras.layers.Lambda(lambda v: t.reverse(v, [1]))(bwd)
        else:
            rev = list(range(steps - 1, -1, -1))
            xr = keras.layers.Lambda(lambda v: t.gather(v, rev, axis=1))(x)
            bwd = FusedLSTM(bi.backward_layer, True)(xr)
            bwd = keras.layers.Lambda(
                (lambda v: t.gather(v, rev, axis=1)) if seq else (lambda v: v[:, -1]))(bwd)
        x = keras.layers.Concatenate()([fwd, bwd])
    ref = keras.Model(inp, x_ref)
    model = convert(keras.Model(inp, x), [], quant=quant, key=key)
    return model, ref


def _rand(shape, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(F32)


# ---- converted Keras LSTM layers: float32 -----------------------------------------------------

KERAS_CASES = [
    # batch, steps, n_in, units, return_sequences
    (1, 1, 3, 1, True),
    (1, 5, 4, 7, True),
    (3, 5, 4, 7, False),
    (3, 1, 6, 32, True),
]


@pytest.mark.parametrize("batch,steps,n_in,units,seq", KERAS_CASES)
def test_keras_lstm_float(batch, steps, n_in, units, seq):
    model, ref = keras_lstm(batch, steps, n_in, units, return_sequences=seq)
    assert op_names(model).count(OP) == 1
    x1, x2 = _rand((batch, steps, n_in), 1), _rand((batch, steps, n_in), 2)
    (ours1, theirs1), (ours2, theirs2) = run_sequence(model, [[x1], [x2]])
    np.testing.assert_allclose(ours1[0], theirs1[0], **FLOAT_TOL)
    # the state variables carry over to the second invoke in both interpreters
    np.testing.assert_allclose(ours2[0], theirs2[0], **FLOAT_TOL)
    # the first invoke starts from zero states, as Keras does
    np.testing.assert_allclose(ours1[0], ref.predict(x1, verbose=0), **FLOAT_TOL)


def test_keras_lstm_state_persists_like_tflite():
    model, ref = keras_lstm(1, 5, 4, 7)
    x = _rand((1, 5, 4), 3)
    runs = run_sequence(model, [[x], [x], [x]])
    for ours, theirs in runs:
        np.testing.assert_allclose(ours[0], theirs[0], **FLOAT_TOL)
    # same input, different output: the state is not reset between invokes
    assert np.abs(runs[0][0][0] - runs[1][0][0]).max() > 1e-3
    np.testing.assert_allclose(runs[0][0][0], ref.predict(x, verbose=0), **FLOAT_TOL)


def test_keras_lstm_stacked():
    model, ref = keras_lstm(3, 5, 4, 7, layers=2, return_sequences=False)
    assert op_names(model).count(OP) == 2
    x = _rand((3, 5, 4), 4)
    (ours, theirs), = run_sequence(model, [[x]])
    np.testing.assert_allclose(ours[0], theirs[0], **FLOAT_TOL)
    np.testing.assert_allclose(ours[0], ref.predict(x, verbose=0), **FLOAT_TOL)


@pytest.mark.parametrize("seq", [True, False])
def test_keras_bidirectional_gather(seq):
    model, ref = keras_lstm(3, 5, 4, 7, bidirectional="gather", return_sequences=seq)
    assert op_names(model).count(OP) == 2
    x = _rand((3, 5, 4), 5)
    (ours, theirs), = run_sequence(model, [[x]])
    np.testing.assert_allclose(ours[0], theirs[0], **FLOAT_TOL)
    np.testing.assert_allclose(ours[0], ref.predict(x, verbose=0), **FLOAT_TOL)


def test_keras_bidirectional_reverse():
    """Bidirectional as the converter writes it (go_backwards: REVERSE_V2 around the
    backward LSTM)."""
    model, ref = keras_lstm(1, 5, 4, 7, bidirectional="reverse")
    names = op_names(model)
    assert names.count(OP) == 2 and "REVERSE_V2" in names
    x = _rand((1, 5, 4), 6)
    try:
        (ours, theirs), = run_sequence(model, [[x]])
    except RuntimeError as e:
        if "REVERSE_V2" in str(e):
            pytest.skip("the runtime has no REVERSE_V2 kernel yet")
        raise
    np.testing.assert_allclose(ours[0], theirs[0], **FLOAT_TOL)
    np.testing.assert_allclose(ours[0], ref.predict(x, verbose=0), **FLOAT_TOL)


# ---- converted Keras LSTM layers: dynamic range (hybrid) ----------------------------------------

@pytest.mark.parametrize("batch,steps,n_in,units,seq", [
    (1, 5, 64, 32, True),
    (3, 5, 48, 32, False),
])
def test_keras_lstm_hybrid(batch, steps, n_in, units, seq):
    model, ref = keras_lstm(batch, steps, n_in, units, return_sequences=seq, quant="dynamic")
    from ai_edge_litert.interpreter import Interpreter

    ops = [o for o in Interpreter(model_content=model)._get_ops_details() if o["op_name"] == OP]
    assert len(ops) == 1 and ops[0]["operand_types"][2] == np.int8  # int8 weights
    x1, x2 = _rand((batch, steps, n_in), 7), _rand((batch, steps, n_in), 8)
    (ours1, theirs1), (ours2, theirs2) = run_sequence(model, [[x1], [x2]])
    np.testing.assert_allclose(ours1[0], theirs1[0], **HYBRID_TOL)
    np.testing.assert_allclose(ours2[0], theirs2[0], **HYBRID_TOL)
    # and near the float model (int8 weights and inputs: about 1% of the values' range)
    np.testing.assert_allclose(ours1[0], ref.predict(x1, verbose=0), atol=0.05)


# ---- every feature, with models built directly ---------------------------------------------------

ACT = dict(none=0, relu=1, relu_n1_to_1=2, relu6=3, tanh=4)


def _q8(w):
    scale = float(np.abs(w).max()) / 127.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def build_lstm(batch, steps, n_in, n_cell, n_out=None, *, cifg=False, peephole=False,
               layer_norm=False, projection=False, proj_bias=True, time_major=False,
               act="tanh", cell_clip=0.0, proj_clip=0.0, hybrid=False, asym=True, seed=0,
               n_inputs=24, input_dtype=F32, variable_states=True, patch_inputs=None,
               w_scale=0.4):
    n_out = n_cell if n_out is None else n_out
    rng = np.random.default_rng(seed)
    b = ModelBuilder()
    shape = (steps, batch, n_in) if time_major else (batch, steps, n_in)
    x = b.input("x", shape, input_dtype)

    def weights(name, shape, scale=None):
        w = (rng.standard_normal(shape) * (w_scale if scale is None else scale)).astype(F32)
        if not hybrid:
            return b.constant(name, w)
        q, s = _q8(w)
        return b.constant(name, q, quant=dict(scale=[s], zero_point=[0]))

    def vec(name, n, offset=0.0):
        return b.constant(name, (rng.standard_normal(n) * 0.3 + offset).astype(F32))

    ins = [-1] * 24
    ins[0] = x
    for g, name in enumerate("ifco"):
        if g == 0 and cifg:
            continue
        ins[1 + g] = weights(f"wx_{name}", (n_cell, n_in))
        ins[5 + g] = weights(f"wh_{name}", (n_cell, n_out))
        ins[12 + g] = vec(f"bias_{name}", n_cell, 1.0 if name == "f" else 0.0)
        if layer_norm:
            ins[20 + g] = vec(f"ln_{name}", n_cell, 1.0)
    if peephole:
        for slot, name in ((9, "i"), (10, "f"), (11, "o")):
            if not (cifg and name == "i"):
                ins[slot] = weights(f"peep_{name}", (n_cell,), 0.3)
    if projection:
        ins[16] = weights("proj_w", (n_out, n_cell))
        if proj_bias:
            ins[17] = vec("proj_b", n_out)
    if variable_states:
        ins[18] = b.tensor("h", (batch, n_out), F32, is_variable=True)
        ins[19] = b.tensor("c", (batch, n_cell), F32, is_variable=True)
    else:  # a bad model: states fed as graph inputs
        ins[18] = b.input("h", (batch, n_out), F32)
        ins[19] = b.input("c", (batch, n_cell), F32)
    if patch_inputs is not None:  # bad models: rewire inputs
        patch_inputs(ins)
    y_shape = (steps, batch, n_out) if time_major else (batch, steps, n_out)
    y = b.tensor("y", y_shape, F32)
    b.op(OP, ins[:n_inputs], [y], "UnidirectionalSequenceLSTMOptions",
         dict(fused_activation_function=ACT[act], cell_clip=cell_clip, proj_clip=proj_clip,
              time_major=time_major, asymmetric_quantize_inputs=asym),
         version=2 if hybrid else 1)
    b.output(y)
    return b.build(), shape


FEATURES = {
    "plain": {},
    "cifg": dict(cifg=True),
    "peephole": dict(peephole=True),
    "cifg_peephole": dict(cifg=True, peephole=True),
    "layer_norm": dict(layer_norm=True),
    "cifg_layer_norm_peephole": dict(cifg=True, layer_norm=True, peephole=True),
    "projection": dict(projection=True, n_out=5),
    "projection_nobias_clip": dict(projection=True, n_out=6, proj_bias=False, proj_clip=0.3),
    "cell_clip": dict(cell_clip=0.5),
    "time_major": dict(time_major=True),
    "relu": dict(act="relu"),
    "relu6": dict(act="relu6"),
    "relu_n1_to_1": dict(act="relu_n1_to_1"),
    "twenty_inputs": dict(n_inputs=20),
}


@pytest.mark.parametrize("hybrid", [False, True], ids=["float", "hybrid"])
@pytest.mark.parametrize("feature", list(FEATURES))
def test_features(feature, hybrid):
    kw = dict(FEATURES[feature])
    model, shape = build_lstm(3, 4, 6, 8, hybrid=hybrid, seed=len(feature), **kw)
    runs = run_sequence(model, [[_rand(shape, 10, 1.5)], [_rand(shape, 11, 1.5)]])
    for ours, theirs in runs:
        np.testing.assert_allclose(ours[0], theirs[0], **(HYBRID_TOL if hybrid else FLOAT_TOL))


@pytest.mark.parametrize("time_major", [False, True])
def test_hybrid_symmetric_inputs(time_major):
    model, shape = build_lstm(2, 5, 12, 9, hybrid=True, asym=False, peephole=True,
                              projection=True, n_out=7, time_major=time_major, seed=3)
    runs = run_sequence(model, [[_rand(shape, 12)], [_rand(shape, 13)]])
    for ours, theirs in runs:
        np.testing.assert_allclose(ours[0], theirs[0], **HYBRID_TOL)


def test_zero_input_rows():
    """All-zero steps: TensorFlow Lite skips the input product (hybrid: no quantization)."""
    for hybrid in (False, True):
        model, shape = build_lstm(2, 4, 5, 6, hybrid=hybrid, seed=4)
        x = _rand(shape, 14)
        x[:, 1:3] = 0.0
        (ours, theirs), = run_sequence(model, [[x]])
        np.testing.assert_allclose(ours[0], theirs[0], **(HYBRID_TOL if hybrid else FLOAT_TOL))


@pytest.mark.parametrize("hybrid", [False, True], ids=["float", "hybrid"])
def test_isa_levels_and_threads(hybrid):
    """Every instruction-set level against the portable kernels (the ground truth): the
    SIMD GEMM/GEMV and int8 kernels give the same sums up to rounding (int8: exactly), the
    SIMD sigmoid / tanh are within a few ulp of the C library's."""
    from litert import Interpreter, isa_levels

    model, shape = build_lstm(2, 6, 40, 24, hybrid=hybrid, projection=True, n_out=20,
                              seed=5)
    x = _rand(shape, 15)
    base = run_all(Interpreter(model_content=model, isa="portable"), [x])[0]
    for isa in isa_levels():
        for threads in (1, 2):
            got = run_all(Interpreter(model_content=model, isa=isa, num_threads=threads),
                          [x])[0]
            np.testing.assert_allclose(got, base, **FLOAT_TOL)


def test_threads_same_result():
    """Large enough for the input GEMM and the recurrent products to be split over two
    threads: the same values as on one thread."""
    from litert import Interpreter

    # weights of 0.08: the recurrence's gain stays near 1, rounding is not amplified
    model, shape = build_lstm(2, 12, 200, 160, projection=True, n_out=140, seed=6,
                              w_scale=0.08)
    x = _rand(shape, 16, 0.1)
    one = run_all(Interpreter(model_content=model, num_threads=1), [x])[0]
    two = run_all(Interpreter(model_content=model, num_threads=2), [x])[0]
    np.testing.assert_array_equal(one, two)
    (ours, theirs), = run_sequence(model, [[x]])
    np.testing.assert_allclose(ours[0], theirs[0], **FLOAT_TOL)


# ---- bad models ---------------------------------------------------------------------------------

def _allocate(model):
    from litert import Interpreter

    Interpreter(model_content=model).allocate_tensors()


def test_int8_rejected():
    model, _ = build_lstm(1, 2, 3, 4, input_dtype=np.int8)
    with pytest.raises(RuntimeError,
                       match=r"node 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\).*int8 "
                             r"UNIDIRECTIONAL_SEQUENCE_LSTM is not supported"):
        _allocate(model)


def test_state_must_be_variable():
    model, _ = build_lstm(1, 2, 3, 4, variable_states=False)
    with pytest.raises(RuntimeError, match="output state .* must be a variable tensor"):
        _allocate(model)


def test_cifg_mismatch():
    """Input-gate recurrent weights without input-gate input weights."""
    def patch(ins):
        ins[5] = ins[6]  # recurrent-to-input := recurrent-to-forget

    model, _ = build_lstm(1, 2, 3, 4, cifg=True, patch_inputs=patch)
    with pytest.raises(RuntimeError, match=r"recurrent-to-input weights \(input 5\) given; "
                                           r"expected none for an LSTM with CIFG"):
        _allocate(model)


def test_bad_weight_shape():
    # recurrent weights of 4 columns where the cell has 5 units and no projection
    model, _ = build_lstm(1, 2, 3, 5, n_out=4)
    with pytest.raises(RuntimeError, match="n_output 4 differs from n_cell 5"):
        _allocate(model)


def test_reset_all_variables_starts_a_new_sequence_like_tflite():
    """reset_all_variables() zeroes the LSTM state: the next invoke repeats the first one,
    in both runtimes."""
    model, _ = keras_lstm(1, 5, 4, 7)
    x = _rand((1, 5, 4), 4)
    outs = []
    for interp in _interpreters(model):
        interp.allocate_tensors()
        first = _feed(interp, [x])
        second = _feed(interp, [x])
        interp.reset_all_variables()
        again = _feed(interp, [x])
        assert np.abs(first[0] - second[0]).max() > 1e-3
        np.testing.assert_array_equal(again[0], first[0])
        outs.append(first[0])
    np.testing.assert_allclose(outs[0], outs[1], **FLOAT_TOL)


# ---- full integer (int8 activations, int16 cell state: TensorFlow Lite's "8x8_16") -----------
#
# The converter quantizes the FusedLSTM layer fully (int8 input / output / output state, int16
# cell state, int8 weights, int32 biases) from a representative data set. Integer arithmetic
# only: compared exactly with TensorFlow Lite's reference kernels, over two invokes (the
# states carry over).

def keras_lstm_int8(batch, steps, n_in, units, return_sequences, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    FusedLSTM = _fused_layer_class()
    inp = keras.Input((steps, n_in), batch_size=batch)
    lstm = keras.layers.LSTM(units, return_sequences=return_sequences,
                             bias_initializer="random_normal")
    lstm(inp)
    model = keras.Model(inp, FusedLSTM(lstm, return_sequences)(inp))

    def representative():
        for i in range(16):
            yield [_rand((batch, steps, n_in), 100 + i)]

    key = f"lstm-int8-{batch}-{steps}-{n_in}-{units}-{return_sequences}-{seed}"
    return convert(model, [], quant="int8", representative=representative, key=key)


INT8_CASES = [
    # batch, steps, n_in, units, return_sequences
    (1, 1, 3, 4, True),
    (1, 5, 3, 4, False),
    (2, 5, 4, 16, True),
    (2, 5, 4, 16, False),
    (2, 1, 4, 16, True),
    (1, 5, 6, 16, True),
]


@pytest.mark.parametrize("batch,steps,n_in,units,seq", INT8_CASES)
def test_keras_lstm_int8_exact(batch, steps, n_in, units, seq):
    from tf_op_models import quantize_inputs

    model = keras_lstm_int8(batch, steps, n_in, units, seq)
    assert op_names(model).count(OP) == 1
    xs = [quantize_inputs(model, [_rand((batch, steps, n_in), s)]) for s in (1, 2)]
    assert xs[0][0].dtype == np.int8
    runs = run_sequence(model, xs)
    for ours, theirs in runs:
        assert ours[0].dtype == np.int8
        np.testing.assert_array_equal(ours[0], theirs[0])
    # the second invoke continues from the first one's states
    first_again = run_sequence(model, xs[1:])[0][0]
    assert not np.array_equal(first_again[0], runs[1][0][0])


def test_keras_lstm_int8_state_starts_at_zero_point():
    """The first invoke starts from the quantized zero state (the output state's zero point,
    as TensorFlow Lite's variable tensors), so it equals a fresh interpreter's output."""
    from tf_op_models import quantize_inputs

    model = keras_lstm_int8(2, 5, 4, 16, True)
    x = quantize_inputs(model, [_rand((2, 5, 4), 7)])
    (ours, theirs), = run_sequence(model, [x])
    np.testing.assert_array_equal(ours[0], theirs[0])


def test_int8_with_float_weights_rejected():
    model, _ = build_lstm(1, 2, 3, 4, input_dtype=np.int8)
    with pytest.raises(RuntimeError, match=r"int8 UNIDIRECTIONAL_SEQUENCE_LSTM is not supported "
                                           r"with FLOAT32 weights"):
        _allocate(model)


def test_keras_lstm_int8_reset_like_tflite():
    from tf_op_models import quantize_inputs

    model = keras_lstm_int8(2, 5, 4, 16, True)
    x = quantize_inputs(model, [_rand((2, 5, 4), 1)])
    again = []
    for interp in _interpreters(model):
        interp.allocate_tensors()
        _feed(interp, [x[0]])
        interp.reset_all_variables()
        again.append(_feed(interp, [x[0]])[0])
    np.testing.assert_array_equal(again[0], again[1])
