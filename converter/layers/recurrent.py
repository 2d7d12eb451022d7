"""Emitters for Keras recurrent layers: LSTM, GRU, SimpleRNN, Bidirectional and TimeDistributed.

TensorFlow Lite has no general loop op in the runtime's set, so a recurrent layer is unrolled
over its (static) time steps. To keep the op count down, the input projection of every time
step is one FULLY_CONNECTED (keep_num_dims) over [batch, time, features] before the loop;
each step then slices its row of that projection (STRIDED_SLICE with shrink_axis_mask on the
time axis, which works for any batch size), adds the recurrent projection of the previous
state and applies the gates. The initial state is zero, so the first step skips every term
that multiplies it. Sequences are assembled with one PACK on the time axis.

Per step (after the first): LSTM 14 ops, GRU 14 (reset_after) / 14 (reset_before),
SimpleRNN 4; plus one FULLY_CONNECTED before the loop and one PACK for return_sequences."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, emitter_for, register

_RNN_CLASSES = ("LSTM", "GRU", "SimpleRNN", "RNN")


# -- the call that is being converted -------------------------------------------------------

def call_arguments(ctx: LayerContext) -> tuple[tuple, dict]:
    """(args, kwargs) of the Keras call being converted (KerasTensors and Python values).

    Used to find options given at call time (mask, initial_state, attention_mask, ...). The
    graph walk records them on the context; a context made without them (a layer wrapped by
    TimeDistributed) has no call options of its own."""
    return tuple(getattr(ctx, "call_args", ()) or ()), dict(getattr(ctx, "call_kwargs", {}) or {})


def keras_mask_of(value) -> Optional[object]:
    """The Keras mask a symbolic input carries (e.g. from Embedding(mask_zero=True))."""
    return getattr(value, "_keras_mask", None)


def _reject_call_options(ctx: LayerContext) -> None:
    """Stops on call-time options the unrolled graph does not implement."""
    args, kwargs = call_arguments(ctx)
    if kwargs.get("mask") is not None or (args and keras_mask_of(args[0]) is not None):
        raise ctx.unsupported(
            "is called with a mask (from Masking or Embedding(mask_zero=True)); masked "
            "recurrent layers are not supported: remove the mask (mask_zero=False) or pad "
            "sequences so every step is valid")
    if kwargs.get("initial_state") is not None or len(args) > 1:
        raise ctx.unsupported(
            "is called with initial_state; only zero initial states are supported: call the "
            "layer without initial_state")


# -- small op helpers ------------------------------------------------------------------------

class _Emit:
    """Op helpers for one (possibly wrapped) recurrent layer; tensor names get `prefix`."""

    def __init__(self, ctx: LayerContext, like: Tensor, prefix: str):
        self.ctx = ctx
        self.like_tensor = like      # carries the dynamic batch signature, if any
        self.prefix = prefix
        # Every step reuses the same weights and slice bounds: one constant each, not one
        # per step (the writer stores every constant tensor's data).
        self._constants: dict[tuple, Tensor] = {}

    def tensor(self, suffix: str, shape) -> Tensor:
        return self.ctx.like(self.like_tensor, self.prefix + suffix, shape=tuple(shape))

    def constant(self, suffix: str, value, dtype=np.float32) -> Tensor:
        """A constant; an equal one made before is returned instead (named at first use)."""
        data = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        key = (data.dtype.str, data.shape, data.tobytes())
        if key not in self._constants:
            self._constants[key] = self.ctx.constant(self.prefix + suffix, data)
        return self._constants[key]

    def fully_connected(self, x: Tensor, weights, bias, suffix: str,
                        keep_num_dims: bool = False) -> Tensor:
        """x @ weights.T (+ bias); weights (array or constant tensor) in FULLY_CONNECTED
        layout [units, depth]; bias an array, a constant tensor or None."""
        units = weights.shape[0]
        shape = (*x.shape[:-1], units) if keep_num_dims else (int(np.prod(x.shape[:-1])), units)
        out = self.tensor(suffix, shape)
        w = weights if isinstance(weights, Tensor) else self.constant(suffix + "/weights", weights)
        b = bias if bias is None or isinstance(bias, Tensor) else \
            self.constant(suffix + "/bias", bias)
        self.ctx.op("FULLY_CONNECTED", [x, w, b], [out], "FullyConnectedOptions",
                    fused_activation_function=0, keep_num_dims=keep_num_dims)
        return out

    def time_step(self, seq: Tensor, t: int, lo: int, hi: int, suffix: str) -> Tensor:
        """seq[:, t, lo:hi] of a [batch, time, features] tensor, as [batch, hi - lo]."""
        out = self.tensor(suffix, (seq.shape[0], hi - lo))
        begin = self.constant(suffix + "/begin", [0, t, lo], np.int32)
        end = self.constant(suffix + "/end", [0, t + 1, hi], np.int32)
        strides = self.constant(suffix + "/strides", [1, 1, 1], np.int32)
        self.ctx.op("STRIDED_SLICE", [seq, begin, end, strides], [out], "StridedSliceOptions",
                    begin_mask=1, end_mask=1, ellipsis_mask=0, new_axis_mask=0,
                    shrink_axis_mask=2, offset=False)
        return out

    def columns(self, x: Tensor, lo: int, hi: int, suffix: str) -> Tensor:
        """x[:, lo:hi] of a [batch, features] tensor."""
        if lo == 0 and hi == x.shape[1]:
            return x
        out = self.tensor(suffix, (x.shape[0], hi - lo))
        begin = self.constant(suffix + "/begin", [0, lo], np.int32)
        end = self.constant(suffix + "/end", [0, hi], np.int32)
        strides = self.constant(suffix + "/strides", [1, 1], np.int32)
        self.ctx.op("STRIDED_SLICE", [x, begin, end, strides], [out], "StridedSliceOptions",
                    begin_mask=1, end_mask=1, ellipsis_mask=0, new_axis_mask=0,
                    shrink_axis_mask=0, offset=False)
        return out

    def binary(self, kind: str, a: Tensor, b: Tensor, suffix: str,
               out: Optional[Tensor] = None) -> Tensor:
        table = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[kind]
        if out is None:
            shape = np.broadcast_shapes(a.shape, b.shape)
            out = self.tensor(suffix, shape)
        self.ctx.op(kind, [a, b], [out], table, fused_activation_function=0)
        return out

    def activation(self, x: Tensor, fn, suffix: str, out: Optional[Tensor] = None) -> Tensor:
        from .activations import emit_activation
        if out is None:
            out = self.tensor(suffix, x.shape)
        return emit_activation(self.ctx, x, fn, out)

    def pack_time(self, steps: list[Tensor], out: Tensor) -> Tensor:
        """[batch, units] tensors, one per time step -> [batch, time, units]."""
        self.ctx.op("PACK", list(steps), [out], "PackOptions", values_count=len(steps), axis=1)
        return out


# -- the unrolled cells ----------------------------------------------------------------------

@dataclass
class _Unrolled:
    steps: list[Tensor]            # h of every step, in processing order
    states: list[Tensor]           # final states: [h, c] for LSTM, [h] otherwise


def _cell_unit(ctx: LayerContext, rnn):
    """The unrolling class for the layer's cell: Keras' own LSTM, GRU and SimpleRNN cells
    (as used by those layers, or by keras.layers.RNN(cell))."""
    kind = type(rnn).__name__
    if kind not in _RNN_CLASSES or emitter_for(rnn) is None:
        raise ctx.unsupported(f"wraps {kind}; only LSTM, GRU, SimpleRNN and RNN can be unrolled")
    cell = rnn.cell
    cell_kind = type(cell).__name__
    units = {"LSTMCell": _LstmCell, "GRUCell": _GruCell, "SimpleRNNCell": _SimpleRnnCell}
    if cell_kind not in units or not type(cell).__module__.startswith("keras"):
        raise ctx.unsupported(f"has a {cell_kind} cell; only Keras' LSTMCell, GRUCell and "
                              "SimpleRNNCell can be unrolled (no stacked or custom cells)")
    return units[cell_kind]


def _check_rnn_layer(ctx: LayerContext, rnn, x: Tensor) -> None:
    if getattr(rnn, "stateful", False):
        raise ctx.unsupported("stateful=True keeps state between batches, which a .tflite "
                              "graph without variables cannot; convert with stateful=False")
    if x.rank != 3:
        raise ctx.unsupported(f"input {x.name} has shape {list(x.shape)}; expected "
                              "[batch, time, features]")
    if x.signature is not None and x.signature[1] == -1:
        raise ctx.unsupported("the sequence length is dynamic (None); the layer is unrolled "
                              "over its time steps, so give keras.Input a fixed length")
    if np.dtype(x.dtype) != np.float32:
        raise ctx.unsupported(f"input has type {np.dtype(x.dtype).name}; expected float32")


def _unroll(ctx: LayerContext, rnn, x: Tensor, prefix: str,
            last_h: Optional[Tensor] = None) -> _Unrolled:
    """Emits the unrolled recurrence of `rnn` (an LSTM, GRU or SimpleRNN layer) over x.

    last_h, when given, is the tensor the final hidden state is written to."""
    unit = _cell_unit(ctx, rnn)
    _check_rnn_layer(ctx, rnn, x)
    emit = _Emit(ctx, x, prefix)
    order = range(x.shape[1] - 1, -1, -1) if rnn.go_backwards else range(x.shape[1])
    return unit(emit, rnn.cell).run(x, list(order), last_h)


def _weights(cell, attr: str) -> np.ndarray:
    return np.asarray(getattr(cell, attr).numpy(), dtype=np.float32)


class _SimpleRnnCell:
    """h = activation(x W + b + h_prev U)."""

    def __init__(self, emit: _Emit, cell):
        self.emit, self.cell = emit, cell

    def run(self, x: Tensor, order: list[int], last_h: Optional[Tensor]) -> _Unrolled:
        e, cell, units = self.emit, self.cell, self.cell.units
        bias = _weights(cell, "bias") if cell.use_bias else None
        xw = e.fully_connected(x, _weights(cell, "kernel").T, bias, "input_projection",
                               keep_num_dims=True)
        u = e.constant("recurrent_kernel", _weights(cell, "recurrent_kernel").T)
        h: Optional[Tensor] = None
        steps = []
        for i, t in enumerate(order):
            s = f"step{i}/"
            pre = e.time_step(xw, t, 0, units, s + "x")
            if h is not None:
                pre = e.binary("ADD", pre, e.fully_connected(h, u, None, s + "recurrent"),
                               s + "pre")
            out = last_h if i == len(order) - 1 else None
            h = e.activation(pre, cell.activation, s + "h", out)
            steps.append(h)
        return _Unrolled(steps, [h])


class _LstmCell:
    """Keras LSTM; kernel columns are the gates i, f, c, o:
    i, f, o = recurrent_activation(...); c = f c_prev + i activation(g); h = o activation(c)."""

    def __init__(self, emit: _Emit, cell):
        self.emit, self.cell = emit, cell

    def run(self, x: Tensor, order: list[int], last_h: Optional[Tensor]) -> _Unrolled:
        e, cell, n = self.emit, self.cell, self.cell.units
        bias = _weights(cell, "bias") if cell.use_bias else None
        xw = e.fully_connected(x, _weights(cell, "kernel").T, bias, "input_projection",
                               keep_num_dims=True)
        u = e.constant("recurrent_kernel", _weights(cell, "recurrent_kernel").T)
        h: Optional[Tensor] = None
        c: Optional[Tensor] = None
        steps = []
        for i, t in enumerate(order):
            s = f"step{i}/"
            z = e.time_step(xw, t, 0, 4 * n, s + "x")
            if h is not None:
                z = e.binary("ADD", z, e.fully_connected(h, u, None, s + "recurrent"), s + "z")
            # The recurrent activation runs once over all four gates (the c-gate part is
            # unused): one op instead of three; the c gate gets its own activation.
            gates = e.activation(z, cell.recurrent_activation, s + "gates")
            gate_i = e.columns(gates, 0, n, s + "i")
            gate_o = e.columns(gates, 3 * n, 4 * n, s + "o")
            g = e.activation(e.columns(z, 2 * n, 3 * n, s + "g_pre"), cell.activation, s + "g")
            ig = e.binary("MUL", gate_i, g, s + "ig")
            if c is None:
                c = ig
            else:
                gate_f = e.columns(gates, n, 2 * n, s + "f")
                c = e.binary("ADD", e.binary("MUL", gate_f, c, s + "fc"), ig, s + "c")
            out = last_h if i == len(order) - 1 else None
            h = e.binary("MUL", gate_o, e.activation(c, cell.activation, s + "c_act"),
                         s + "h", out)
            steps.append(h)
        return _Unrolled(steps, [h, c])


class _GruCell:
    """Keras GRU; kernel columns are the gates z, r, h:
    z, r = recurrent_activation(x W_zr + b + h_prev U_zr (+ b_rec));
    reset_after:  hh = activation(x W_h + b_h + r (h_prev U_h + b_rec_h))
    reset_before: hh = activation(x W_h + b_h + (r h_prev) U_h)
    h = z h_prev + (1 - z) hh, computed as hh + z (h_prev - hh)."""

    def __init__(self, emit: _Emit, cell):
        self.emit, self.cell = emit, cell

    def run(self, x: Tensor, order: list[int], last_h: Optional[Tensor]) -> _Unrolled:
        e, cell, n = self.emit, self.cell, self.cell.units
        kernel = _weights(cell, "kernel")
        u = _weights(cell, "recurrent_kernel")
        u_zr = e.constant("recurrent_kernel_zr", u[:, :2 * n].T)
        u_h = e.constant("recurrent_kernel_h", u[:, 2 * n:].T)
        in_bias, rec_bias_h = None, None
        if cell.use_bias:
            bias = _weights(cell, "bias")
            if cell.reset_after:
                # The recurrent bias of z and r only adds to the input bias: fold it there.
                in_bias = bias[0].copy()
                in_bias[:2 * n] += bias[1][:2 * n]
                rec_bias_h = e.constant("recurrent_bias_h", bias[1][2 * n:])
            else:
                in_bias = bias
        xw = e.fully_connected(x, kernel.T, in_bias, "input_projection", keep_num_dims=True)
        h: Optional[Tensor] = None
        steps = []
        for i, t in enumerate(order):
            s = f"step{i}/"
            x_zr = e.time_step(xw, t, 0, 2 * n, s + "x_zr")
            x_h = e.time_step(xw, t, 2 * n, 3 * n, s + "x_h")
            if h is None:
                zr = e.activation(x_zr, cell.recurrent_activation, s + "zr")
                z = e.columns(zr, 0, n, s + "z")
                if cell.reset_after and rec_bias_h is not None:
                    # h_prev is zero: the recurrent h term is r * b_rec_h.
                    r = e.columns(zr, n, 2 * n, s + "r")
                    rh = e.binary("MUL", r, rec_bias_h, s + "rh")
                    hh_pre = e.binary("ADD", x_h, rh, s + "hh_pre")
                else:
                    hh_pre = x_h
                hh = e.activation(hh_pre, cell.activation, s + "hh")
                out = last_h if i == len(order) - 1 else None
                # h = (1 - z) hh
                h = e.binary("SUB", hh, e.binary("MUL", z, hh, s + "zhh"), s + "h", out)
                steps.append(h)
                continue
            rec_zr = e.fully_connected(h, u_zr, None, s + "recurrent_zr")
            zr = e.activation(e.binary("ADD", x_zr, rec_zr, s + "zr_pre"),
                              cell.recurrent_activation, s + "zr")
            z = e.columns(zr, 0, n, s + "z")
            r = e.columns(zr, n, 2 * n, s + "r")
            if cell.reset_after:
                rec_h = e.fully_connected(h, u_h, rec_bias_h, s + "recurrent_h")
                rh = e.binary("MUL", r, rec_h, s + "rh")
            else:
                rh = e.fully_connected(e.binary("MUL", r, h, s + "r_h_prev"), u_h, None,
                                       s + "recurrent_h")
            hh = e.activation(e.binary("ADD", x_h, rh, s + "hh_pre"), cell.activation,
                              s + "hh")
            out = last_h if i == len(order) - 1 else None
            diff = e.binary("SUB", h, hh, s + "h_minus_hh")
            h = e.binary("ADD", hh, e.binary("MUL", z, diff, s + "z_diff"), s + "h", out)
            steps.append(h)
        return _Unrolled(steps, [h])


# -- the layers ------------------------------------------------------------------------------

@register(*_RNN_CLASSES)
def convert_rnn(ctx: LayerContext, inputs: list[Tensor]):
    """LSTM / GRU / SimpleRNN / RNN(cell): the sequence or the last h, then the final states
    with return_state."""
    _reject_call_options(ctx)
    layer, x = ctx.layer, inputs[0]
    last_h = None if layer.return_sequences else ctx.output_tensor(0)
    run = _unroll(ctx, layer, x, "", last_h)
    if layer.return_sequences:
        output = _Emit(ctx, x, "").pack_time(run.steps, ctx.output_tensor(0))
    else:
        output = run.steps[-1]
    if not layer.return_state:
        return output
    return [output, *run.states]


@register("Bidirectional")
def convert_bidirectional(ctx: LayerContext, inputs: list[Tensor]):
    """Runs the forward and backward layers (the backward one reads the sequence from the
    end) and merges them; with return_sequences the backward outputs are put back in time
    order by packing its steps in reverse, which costs no op."""
    _reject_call_options(ctx)
    layer, x = ctx.layer, inputs[0]
    fw_layer, bw_layer = layer.forward_layer, layer.backward_layer
    fw = _unroll(ctx, fw_layer, x, "forward/")
    bw = _unroll(ctx, bw_layer, x, "backward/")
    emit = _Emit(ctx, x, "")
    mode = layer.merge_mode
    if layer.return_sequences:
        units_fw = fw_layer.cell.units
        units_bw = bw_layer.cell.units
        t = x.shape[1]
        y_fw = emit.pack_time(fw.steps, emit.tensor("forward/sequence", (x.shape[0], t, units_fw)))
        y_bw = emit.pack_time(list(reversed(bw.steps)),
                              emit.tensor("backward/sequence", (x.shape[0], t, units_bw)))
    else:
        y_fw, y_bw = fw.steps[-1], bw.steps[-1]
    if mode is None:
        outputs = [y_fw, y_bw]
    else:
        out = ctx.output_tensor(0)
        if mode == "concat":
            ctx.op("CONCATENATION", [y_fw, y_bw], [out], "ConcatenationOptions",
                   axis=y_fw.rank - 1, fused_activation_function=0)
        elif mode == "sum":
            emit.binary("ADD", y_fw, y_bw, "", out)
        elif mode == "mul":
            emit.binary("MUL", y_fw, y_bw, "", out)
        elif mode == "ave":
            total = emit.binary("ADD", y_fw, y_bw, "sum")
            emit.binary("MUL", total, emit.constant("half", np.float32(0.5)), "", out)
        else:
            raise ctx.unsupported(f"merge_mode {mode!r}; expected concat, sum, mul, ave or None")
        outputs = [out]
    if layer.return_state:
        outputs += fw.states + bw.states
    return outputs[0] if len(outputs) == 1 else outputs


@register("TimeDistributed")
def convert_time_distributed(ctx: LayerContext, inputs: list[Tensor]):
    """Dense: one FULLY_CONNECTED with keep_num_dims over [batch, time, ...]. Other layers:
    fold time into the batch (RESHAPE to [-1, ...]), emit the wrapped layer, unfold."""
    _, kwargs = call_arguments(ctx)
    if kwargs.get("mask") is not None:
        raise ctx.unsupported("is called with a mask; masked TimeDistributed is not supported")
    inner, x = ctx.layer.layer, inputs[0]
    if np.dtype(x.dtype) != np.float32:
        raise ctx.unsupported(f"input has type {np.dtype(x.dtype).name}; expected float32")
    if type(inner).__name__ == "Dense" and emitter_for(inner) is not None:
        # Dense contracts only the last axis: on [batch, time, ...] it already is time
        # distributed, and its emitter makes one FULLY_CONNECTED with keep_num_dims.
        return emitter_for(inner)(LayerContext(ctx.graph, inner, ctx.output_shapes), [x])
    return _time_distributed_generic(ctx, inner, x)


def _reshape(ctx: LayerContext, x: Tensor, spec: list[int], out: Tensor, suffix: str) -> Tensor:
    shape = ctx.constant(suffix + "/shape", np.asarray(spec, np.int32))
    ctx.op("RESHAPE", [x, shape], [out], "ReshapeOptions", new_shape=list(spec))
    return out


def _time_distributed_generic(ctx: LayerContext, inner, x: Tensor):
    emitter = emitter_for(inner)
    if emitter is None:
        raise ctx.unsupported(f"wraps {type(inner).__name__}, which has no emitter")
    if x.rank < 3:
        raise ctx.unsupported(f"input {x.name} has shape {list(x.shape)}; expected at least "
                              "[batch, time, features]")
    if x.signature is not None and any(d == -1 for d in x.signature[1:]):
        raise ctx.unsupported("only the batch dimension may be dynamic: time and feature "
                              "dimensions must be fixed to fold time into the batch")
    out_keras = ctx.output_shapes[0]
    folded_signature = None if x.signature is None else (-1, *x.shape[2:])
    folded = ctx.tensor("fold_time", (x.shape[0] * x.shape[1], *x.shape[2:]), x.dtype,
                        folded_signature)
    _reshape(ctx, x, [-1, *x.shape[2:]], folded, "fold_time")
    # The wrapped layer sees [batch * time, ...]; its output shape follows from Keras'.
    inner_ctx = LayerContext(ctx.graph, inner, [(None, *out_keras[2:])])
    result = emitter(inner_ctx, [folded])
    if not isinstance(result, Tensor):
        if len(result) != 1:
            raise ctx.unsupported(f"wraps {type(inner).__name__}, which has several outputs")
        result = result[0]
    out = ctx.output_tensor(0, dtype=result.dtype)
    return _reshape(ctx, result, [-1, *out.shape[1:]], out, "unfold_time")
