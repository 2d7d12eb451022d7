"""Converter: recurrent layers (LSTM, GRU, SimpleRNN, Bidirectional, TimeDistributed) and
MultiHeadAttention. Each case is a tiny Keras model with random weights; the converted file
runs in litert and in TensorFlow Lite's interpreter with a batch of 2 (the batch dimension is
dynamic in the file) and both must agree with Keras.

Tolerance: rtol 1e-4, atol 1e-5. Recurrences are unrolled, so the evaluation order differs
from Keras' (fused gate matmuls, the GRU update written as hh + z (h - hh), 1/sqrt(key_dim)
folded into the query weights); observed differences are ~1e-7."""
from collections import Counter

import numpy as np
import pytest

from litert import Interpreter

keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter as TFLiteInterpreter  # noqa: E402

import litert_schema as fb  # noqa: E402
from litert.converter import ConversionError, convert  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
BATCH, TIME, FEATURES = 2, 5, 3
_OP_NAMES = {v: k for k, v in vars(fb.BuiltinOperator).items() if isinstance(v, int)}


def _rng(seed=0):
    return np.random.default_rng(seed)


def _sequence(seed=0, shape=(BATCH, TIME, FEATURES)):
    return _rng(seed).standard_normal(shape).astype(np.float32)


def _run(interp_cls, content, inputs):
    interp = interp_cls(model_content=content)
    details = interp.get_input_details()
    assert len(details) == len(inputs)
    for d, x in zip(details, inputs):
        interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    for d, x in zip(details, inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def _keras_outputs(model, inputs):
    out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    out = list(out) if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in out]


def op_counts(content) -> Counter:
    model = fb.Model.GetRootAs(content, 0)
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    sub = model.Subgraphs(0)
    counts = Counter()
    for i in range(sub.OperatorsLength()):
        code = codes[sub.Operators(i).OpcodeIndex()]
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        counts[_OP_NAMES[builtin]] += 1
    return counts


def check(label, model, inputs, rtol=RTOL, atol=ATOL):
    """Converts `model`, runs it in both interpreters on `inputs`, compares with Keras."""
    content = convert(model)
    expected = _keras_outputs(model, inputs)
    for runtime, cls in (("litert", Interpreter), ("tflite", TFLiteInterpreter)):
        got = _run(cls, content, inputs)
        assert len(got) == len(expected), f"{label} in {runtime}: output count"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape, (
                f"{label} in {runtime}: output {i} has shape {g.shape}, Keras {e.shape}")
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol,
                                       err_msg=f"{label} in {runtime}: output {i}")
    return content


def _sequence_model(layer, features=FEATURES, time=TIME):
    inp = keras.Input((time, features))
    return keras.Model(inp, layer(inp))


# -- LSTM / GRU / SimpleRNN --------------------------------------------------------------------

RNN_CASES = {
    "LSTM-last": lambda: keras.layers.LSTM(4),
    "LSTM-sequences-go_backwards": lambda: keras.layers.LSTM(4, return_sequences=True,
                                                             go_backwards=True),
    "LSTM-return_state": lambda: keras.layers.LSTM(4, return_sequences=True, return_state=True),
    "LSTM-last-return_state": lambda: keras.layers.LSTM(3, return_state=True),
    "LSTM-no_bias-relu-hard_sigmoid": lambda: keras.layers.LSTM(
        4, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid",
        return_sequences=True),
    "GRU-reset_after": lambda: keras.layers.GRU(4, return_sequences=True),
    "GRU-reset_after-last-return_state": lambda: keras.layers.GRU(5, return_state=True),
    "GRU-reset_before-go_backwards": lambda: keras.layers.GRU(
        4, reset_after=False, return_sequences=True, go_backwards=True),
    "GRU-reset_before-last-return_state": lambda: keras.layers.GRU(
        4, reset_after=False, return_state=True),
    "GRU-no_bias-relu": lambda: keras.layers.GRU(4, use_bias=False, activation="relu",
                                                 return_sequences=True),
    "GRU-reset_before-no_bias": lambda: keras.layers.GRU(4, reset_after=False, use_bias=False),
    "SimpleRNN-last": lambda: keras.layers.SimpleRNN(4),
    "SimpleRNN-sequences-go_backwards-relu-no_bias": lambda: keras.layers.SimpleRNN(
        4, return_sequences=True, go_backwards=True, activation="relu", use_bias=False),
    "SimpleRNN-return_state": lambda: keras.layers.SimpleRNN(3, return_sequences=True,
                                                             return_state=True),
    "RNN(LSTMCell)-return_state": lambda: keras.layers.RNN(keras.layers.LSTMCell(4),
                                                           return_state=True),
    "RNN(GRUCell reset_before)-sequences-go_backwards": lambda: keras.layers.RNN(
        keras.layers.GRUCell(4, reset_after=False), return_sequences=True, go_backwards=True),
}


def _randomize_biases(layer):
    """Keras initializes biases to zeros (LSTM: forget gate ones); make them matter."""
    for w in layer.weights:
        if "bias" in w.path:
            w.assign(_rng(7).normal(0, 0.5, w.shape).astype(np.float32))


@pytest.mark.parametrize("case", sorted(RNN_CASES))
def test_recurrent_layer_matches_keras(case):
    keras.utils.set_random_seed(1)
    layer = RNN_CASES[case]()
    model = _sequence_model(layer)
    _randomize_biases(layer)
    check(case, model, [_sequence(1)])


def test_lstm_op_count_is_linear_in_time_and_weights_are_stored_once():
    """One input projection before the loop, at most 14 ops per step, one PACK; the
    recurrent kernel (32 x 128 floats, 16 KB) is one constant shared by every step."""
    keras.utils.set_random_seed(2)
    model = _sequence_model(keras.layers.LSTM(32, return_sequences=True), time=8)
    content = convert(model)
    counts = op_counts(content)
    assert counts["PACK"] == 1
    assert counts["FULLY_CONNECTED"] == 1 + 7          # input projection + one per later step
    assert sum(counts.values()) <= 2 + 14 * 8, counts
    overhead = len(content) - 4 * model.count_params()
    # One copy per step would add 7 x 16 KB; names, tensors and ops take ~16 KB.
    assert overhead < 48 * 1024, f"{overhead} bytes beyond the weights: weights duplicated?"


def test_stacked_recurrent_layers():
    keras.utils.set_random_seed(3)
    inp = keras.Input((TIME, FEATURES))
    x = keras.layers.GRU(6, return_sequences=True)(inp)
    x = keras.layers.LSTM(5, return_sequences=True)(x)
    x = keras.layers.SimpleRNN(4)(x)
    out = keras.layers.Dense(2)(x)
    check("GRU->LSTM->SimpleRNN->Dense", keras.Model(inp, out), [_sequence(3)])


# -- Bidirectional -----------------------------------------------------------------------------

BIDIRECTIONAL_CASES = {
    "LSTM-concat-sequences": lambda: keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_sequences=True)),
    "GRU-sum-sequences": lambda: keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True), merge_mode="sum"),
    "SimpleRNN-mul-sequences": lambda: keras.layers.Bidirectional(
        keras.layers.SimpleRNN(3, return_sequences=True), merge_mode="mul"),
    "LSTM-ave-last": lambda: keras.layers.Bidirectional(keras.layers.LSTM(3), merge_mode="ave"),
    "GRU-None-sequences": lambda: keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True), merge_mode=None),
    "LSTM-concat-return_state": lambda: keras.layers.Bidirectional(
        keras.layers.LSTM(3, return_state=True)),
    "GRU-backward_layer-reset_before": lambda: keras.layers.Bidirectional(
        keras.layers.GRU(3, return_sequences=True),
        backward_layer=keras.layers.GRU(2, reset_after=False, return_sequences=True,
                                        go_backwards=True)),
}


@pytest.mark.parametrize("case", sorted(BIDIRECTIONAL_CASES))
def test_bidirectional_matches_keras(case):
    keras.utils.set_random_seed(4)
    layer = BIDIRECTIONAL_CASES[case]()
    model = _sequence_model(layer)
    _randomize_biases(layer)
    check(f"Bidirectional {case}", model, [_sequence(4)])


# -- TimeDistributed ---------------------------------------------------------------------------

def test_time_distributed_dense_is_one_fully_connected():
    keras.utils.set_random_seed(5)
    layer = keras.layers.TimeDistributed(keras.layers.Dense(4, activation="tanh"))
    model = _sequence_model(layer)
    _randomize_biases(layer)
    content = check("TimeDistributed(Dense tanh)", model, [_sequence(5)])
    counts = op_counts(content)
    assert counts["FULLY_CONNECTED"] == 1 and "RESHAPE" not in counts, counts


def test_time_distributed_conv2d_folds_time_into_batch():
    keras.utils.set_random_seed(6)
    inp = keras.Input((3, 6, 6, 2))
    out = keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3, activation="relu"))(inp)
    check("TimeDistributed(Conv2D)", keras.Model(inp, out),
          [_sequence(6, (BATCH, 3, 6, 6, 2))])


# -- MultiHeadAttention ------------------------------------------------------------------------

def _mha_model(layer_kwargs, call_kwargs=None, q_shape=(5, 8), v_shape=None, k_shape=None,
               return_scores=False):
    call_kwargs = dict(call_kwargs or {})
    layer = keras.layers.MultiHeadAttention(**layer_kwargs)
    q = keras.Input(q_shape)
    inputs = [q]
    v = q
    if v_shape is not None:
        v = keras.Input(v_shape)
        inputs.append(v)
    if k_shape is not None:
        k = keras.Input(k_shape)
        inputs.append(k)
        call_kwargs["key"] = k
    if return_scores:
        out, scores = layer(q, v, return_attention_scores=True, **call_kwargs)
        outputs = [out, scores]
    else:
        outputs = layer(q, v, **call_kwargs)
    _randomize_biases(layer)
    data = [_sequence(10 + i, (BATCH, *t.shape[1:])) for i, t in enumerate(inputs)]
    return keras.Model(inputs if len(inputs) > 1 else q, outputs), data


MHA_CASES = {
    "self-attention": dict(layer_kwargs=dict(num_heads=2, key_dim=4)),
    "cross-attention-key-value_dim-output_shape": dict(
        layer_kwargs=dict(num_heads=3, key_dim=4, value_dim=5, output_shape=7),
        q_shape=(4, 8), v_shape=(6, 5), k_shape=(6, 3)),
    "cross-attention-value-as-key-no_bias": dict(
        layer_kwargs=dict(num_heads=2, key_dim=3, use_bias=False),
        q_shape=(4, 6), v_shape=(7, 5)),
    "causal-mask": dict(layer_kwargs=dict(num_heads=2, key_dim=4),
                        call_kwargs=dict(use_causal_mask=True)),
    "return_attention_scores": dict(layer_kwargs=dict(num_heads=2, key_dim=3),
                                    return_scores=True),
    "two-attention-axes": dict(layer_kwargs=dict(num_heads=2, key_dim=3), q_shape=(3, 4, 6)),
    "use_gate": dict(layer_kwargs=dict(num_heads=2, key_dim=3, use_gate=True)),
    "sliding_window": dict(layer_kwargs=dict(num_heads=2, key_dim=3, sliding_window=2)),
    "dropout-ignored": dict(layer_kwargs=dict(num_heads=2, key_dim=4, dropout=0.3)),
}


@pytest.mark.parametrize("case", sorted(MHA_CASES))
def test_multi_head_attention_matches_keras(case):
    keras.utils.set_random_seed(8)
    model, data = _mha_model(**MHA_CASES[case])
    check(f"MultiHeadAttention {case}", model, data)


def test_multi_head_attention_keyword_call_and_shared_layer():
    """query/value given by keyword; the same layer (same weights) called a second time on
    the first call's output: each call is converted from its own call record."""
    keras.utils.set_random_seed(12)
    q, v = keras.Input((4, 6)), keras.Input((5, 3))
    cross = keras.layers.MultiHeadAttention(2, 3)
    shared_self = keras.layers.MultiHeadAttention(2, 3)
    x = cross(query=q, value=v)
    x = shared_self(x, x)
    x = shared_self(x, x)
    for layer in (cross, shared_self):
        _randomize_biases(layer)
    check("MultiHeadAttention keyword call + shared layer", keras.Model([q, v], x),
          [_sequence(12, (BATCH, 4, 6)), _sequence(13, (BATCH, 5, 3))])


def test_multi_head_attention_op_count():
    keras.utils.set_random_seed(9)
    model, _ = _mha_model(dict(num_heads=2, key_dim=4))
    counts = op_counts(convert(model))
    assert counts == Counter(FULLY_CONNECTED=4, RESHAPE=4, TRANSPOSE=4, BATCH_MATMUL=2,
                             SOFTMAX=1), counts


# -- what is refused, and why ------------------------------------------------------------------

def _conversion_error(model) -> str:
    with pytest.raises(ConversionError) as info:
        convert(model)
    return str(info.value)


def test_masked_lstm_is_refused():
    inp = keras.Input((TIME,), dtype="int32")
    x = keras.layers.Embedding(10, 4, mask_zero=True)(inp)
    message = _conversion_error(keras.Model(inp, keras.layers.LSTM(3, name="masked")(x)))
    assert "masked" in message and "mask" in message


def test_dynamic_sequence_length_is_refused():
    inp = keras.Input((None, FEATURES))
    message = _conversion_error(keras.Model(inp, keras.layers.GRU(3, name="dyn")(inp)))
    assert "'dyn'" in message and "sequence length is dynamic" in message


def test_initial_state_is_refused():
    inp = keras.Input((TIME, FEATURES))
    h0 = keras.Input((3,))
    out = keras.layers.SimpleRNN(3, name="with_state")(inp, initial_state=h0)
    message = _conversion_error(keras.Model([inp, h0], out))
    assert "'with_state'" in message and "initial_state" in message


def test_stacked_cells_are_refused():
    inp = keras.Input((TIME, FEATURES))
    cells = keras.layers.StackedRNNCells([keras.layers.GRUCell(3), keras.layers.GRUCell(3)])
    message = _conversion_error(keras.Model(inp, keras.layers.RNN(cells, name="stacked")(inp)))
    assert "'stacked'" in message and "StackedRNNCells" in message


def test_attention_mask_is_refused():
    q = keras.Input((4, 6))
    mask = keras.Input((4, 4), dtype="bool")
    out = keras.layers.MultiHeadAttention(2, 3, name="mha")(q, q, attention_mask=mask)
    message = _conversion_error(keras.Model([q, mask], out))
    assert "'mha'" in message and "attention_mask" in message


# -- whole models (these also exercise the Embedding, LayerNormalization, Dense/gelu, Add and
# -- GlobalAveragePooling1D emitters written alongside) ----------------------------------------

VOCAB, SEQ = 100, 12


def _tokens(seed, batch=BATCH):
    return _rng(seed).integers(0, VOCAB, (batch, SEQ)).astype(np.int32)


def test_embedding_lstm_text_classifier():
    keras.utils.set_random_seed(20)
    tokens = keras.Input((SEQ,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(VOCAB, 8)(tokens)
    x = keras.layers.LSTM(16)(x)
    out = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(tokens, out)
    content = check("Embedding+LSTM text classifier", model, [_tokens(20)])
    counts = op_counts(content)
    assert counts["GATHER"] == 1 and counts["SOFTMAX"] == 1, counts


def _transformer_encoder(embed=16, heads=2, ff=32):
    """Token + learned position embeddings (the positions 0..SEQ-1 are a second int32 input:
    a constant range would need a keras.ops call, which is not a layer), one post-norm
    encoder block and a pooled softmax head."""
    tokens = keras.Input((SEQ,), dtype="int32", name="tokens")
    positions = keras.Input((SEQ,), dtype="int32", name="positions")
    x = keras.layers.Add()([keras.layers.Embedding(VOCAB, embed)(tokens),
                            keras.layers.Embedding(SEQ, embed)(positions)])
    attn = keras.layers.MultiHeadAttention(heads, embed // heads)(x, x)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, attn]))
    h = keras.layers.Dense(ff, activation="gelu")(x)
    h = keras.layers.Dense(embed)(h)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([x, h]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    out = keras.layers.Dense(3, activation="softmax")(x)
    return keras.Model([tokens, positions], out)


def test_transformer_encoder_block():
    keras.utils.set_random_seed(21)
    model = _transformer_encoder()
    for layer in model.layers:
        _randomize_biases(layer)
    positions = np.tile(np.arange(SEQ, dtype=np.int32), (BATCH, 1))
    content = check("transformer encoder block", model, [_tokens(21), positions])
    counts = op_counts(content)
    assert counts["BATCH_MATMUL"] == 2 and counts["GATHER"] == 2, counts
