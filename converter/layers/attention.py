"""Emitter for Keras MultiHeadAttention (self- and cross-attention).

Keras computes, with N heads:
    Q = einsum(query, Wq) + bq            [B, T, N, key_dim]    (and K from key, V from value)
    P = softmax(Q K^T / sqrt(key_dim))    [B, N, T, S], over the key positions S
    O = einsum(P V, Wo) + bo              [B, T, output_dim]
As TensorFlow Lite ops (15 for the plain layer):
    FULLY_CONNECTED (keep_num_dims) x3 for the projections, the scale 1/sqrt(key_dim) folded
    into Wq and bq (no MUL at run time); RESHAPE + TRANSPOSE x3 to [B, N, T, d];
    BATCH_MATMUL (adj_y) for Q K^T; SOFTMAX; BATCH_MATMUL with V; TRANSPOSE + RESHAPE back to
    [B, T, N * value_dim]; FULLY_CONNECTED (keep_num_dims) for the output projection.
Inputs with several attention axes ([B, d1, d2, ..., C] with the default attention_axes, which
attend over all of d1, d2, ...) are flattened to [B, d1*d2*..., C] and restored at the end.
use_causal_mask and sliding_window are constant masks, added to the scores before SOFTMAX
as 0 / -1e9 exactly as Keras' masked softmax does. use_gate multiplies the attention output
by sigmoid(einsum(query, Wg) + bg) before the output projection."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..ir import Tensor
from ..registry import LayerContext, register
from .recurrent import call_arguments, keras_mask_of

# What Keras' Softmax adds where the mask is False (float32).
_MASKED_SCORE = -1e9


def _array(var) -> np.ndarray:
    return np.asarray(var.numpy(), dtype=np.float32)


class _Attention:
    def __init__(self, ctx: LayerContext, batch_like: Tensor):
        self.ctx = ctx
        self.batch_like = batch_like   # carries the dynamic batch signature, if any

    def tensor(self, suffix: str, shape) -> Tensor:
        return self.ctx.like(self.batch_like, suffix, shape=tuple(int(d) for d in shape))

    def reshape(self, x: Tensor, shape, suffix: str, out: Optional[Tensor] = None) -> Tensor:
        """RESHAPE to `shape`, written with -1 for the batch so any batch size runs."""
        spec = [-1, *[int(d) for d in shape[1:]]]
        out = out if out is not None else self.tensor(suffix, shape)
        shape_t = self.ctx.constant(suffix + "/shape", np.asarray(spec, np.int32))
        self.ctx.op("RESHAPE", [x, shape_t], [out], "ReshapeOptions", new_shape=spec)
        return out

    def transpose(self, x: Tensor, perm, suffix: str) -> Tensor:
        out = self.tensor(suffix, [x.shape[p] for p in perm])
        perm_t = self.ctx.constant(suffix + "/perm", np.asarray(perm, np.int32))
        self.ctx.op("TRANSPOSE", [x, perm_t], [out], "TransposeOptions")
        return out

    def dense(self, x: Tensor, kernel: np.ndarray, bias: Optional[np.ndarray], suffix: str,
              out: Optional[Tensor] = None) -> Tensor:
        """x @ kernel (+ bias) over the last axis; kernel [in, out]."""
        units = kernel.shape[1]
        out = out if out is not None else self.tensor(suffix, (*x.shape[:-1], units))
        w = self.ctx.constant(suffix + "/weights", np.ascontiguousarray(kernel.T))
        b = None if bias is None else self.ctx.constant(suffix + "/bias", bias)
        self.ctx.op("FULLY_CONNECTED", [x, w, b], [out], "FullyConnectedOptions",
                    fused_activation_function=0, keep_num_dims=True)
        return out

    def heads(self, x: Tensor, num_heads: int, depth: int, suffix: str) -> Tensor:
        """[B, T, N * d] -> [B, N, T, d]."""
        b, t = x.shape[0], x.shape[1]
        split = self.reshape(x, (b, t, num_heads, depth), suffix + "/split_heads")
        return self.transpose(split, [0, 2, 1, 3], suffix + "/heads")

    def batch_matmul(self, x: Tensor, y: Tensor, adj_y: bool, suffix: str) -> Tensor:
        n = y.shape[-2] if adj_y else y.shape[-1]
        out = self.tensor(suffix, (*x.shape[:-1], n))
        self.ctx.op("BATCH_MATMUL", [x, y], [out], "BatchMatMulOptions", adj_x=False,
                    adj_y=adj_y, asymmetric_quantize_inputs=False)
        return out

    def binary(self, kind: str, a: Tensor, b: Tensor, suffix: str) -> Tensor:
        out = self.tensor(suffix, np.broadcast_shapes(a.shape, b.shape))
        self.ctx.op(kind, [a, b], [out], {"ADD": "AddOptions", "MUL": "MulOptions"}[kind],
                    fused_activation_function=0)
        return out


def _inputs_by_role(ctx: LayerContext, inputs: list[Tensor]):
    """(query, value, key) IR tensors and their KerasTensors, from the recorded call."""
    args, kwargs = call_arguments(ctx)
    node = getattr(ctx, "node", None)
    flat = list(node.arguments.keras_tensors) if node is not None else []

    def pick(position: int, name: str):
        if len(args) > position:
            return args[position]
        return kwargs.get(name)

    roles = [pick(0, "query"), pick(1, "value"), pick(2, "key")]
    if flat and len(flat) == len(inputs):
        found = []
        for kt in roles:
            index = next((i for i, f in enumerate(flat) if f is kt), None)
            found.append(None if index is None else inputs[index])
        if found[0] is not None and found[1] is not None:
            return found, roles
    # No call record: the tensors arrive as (query, value[, key]).
    found = [inputs[0], inputs[1] if len(inputs) > 1 else inputs[0],
             inputs[2] if len(inputs) > 2 else None]
    return found, [None, None, None]


def _check_call(ctx: LayerContext, keras_inputs) -> bool:
    """Rejects call options that need run-time masks; returns return_attention_scores."""
    args, kwargs = call_arguments(ctx)
    for name in ("attention_mask", "query_mask", "value_mask", "key_mask"):
        if kwargs.get(name) is not None:
            raise ctx.unsupported(
                f"is called with {name}; run-time attention masks are not supported (only "
                "use_causal_mask=True); call it without the mask")
    for role, kt in zip(("query", "value", "key"), keras_inputs):
        if kt is not None and keras_mask_of(kt) is not None:
            raise ctx.unsupported(
                f"its {role} carries a Keras mask (from Masking or Embedding(mask_zero=True)), "
                "which becomes a run-time attention mask: not supported; use mask_zero=False")
    if len(args) > 3:
        raise ctx.unsupported("is called with more than query, value and key positionally; "
                              "pass the other arguments by keyword")
    return bool(kwargs.get("return_attention_scores", False))


def _constant_mask(layer, use_causal: bool, t: int, s: int) -> Optional[np.ndarray]:
    """0 where attention is allowed, -1e9 where the causal / sliding-window mask forbids it."""
    allowed = np.ones((t, s), dtype=bool)
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    if use_causal:
        allowed &= rows >= cols
    window = getattr(layer, "_sliding_window", None)
    if window is not None:
        allowed &= np.abs(rows - cols) < int(window)
    if allowed.all():
        return None
    return np.where(allowed, 0.0, _MASKED_SCORE).astype(np.float32)


@register("MultiHeadAttention")
def convert_multi_head_attention(ctx: LayerContext, inputs: list[Tensor]):
    layer = ctx.layer
    (query, value, key), keras_inputs = _inputs_by_role(ctx, inputs)
    return_scores = _check_call(ctx, keras_inputs)
    _, kwargs = call_arguments(ctx)
    use_causal = bool(kwargs.get("use_causal_mask", False))
    if key is None:
        key = value
    for role, t in (("query", query), ("value", value), ("key", key)):
        if np.dtype(t.dtype) != np.float32:
            raise ctx.unsupported(f"{role} has type {np.dtype(t.dtype).name}; expected float32")
        if t.rank < 3:
            raise ctx.unsupported(f"{role} has shape {list(t.shape)}; expected [batch, "
                                  "positions..., features]")
        if t.signature is not None and any(d == -1 for d in t.signature[1:]):
            raise ctx.unsupported(f"{role} has dynamic dimensions {list(t.signature)}; only "
                                  "the batch may be dynamic: give keras.Input fixed lengths")
    rank = query.rank
    if value.rank != rank or key.rank != rank:
        raise ctx.unsupported("query, value and key must have the same rank")
    default_axes = tuple(range(1, rank - 1))
    if tuple(layer._attention_axes or default_axes) != default_axes:
        raise ctx.unsupported(f"attention_axes={layer._attention_axes}; only the default "
                              f"(all positions: {default_axes}) is supported")
    if return_scores and rank != 3:
        raise ctx.unsupported("return_attention_scores with several attention axes is not "
                              "supported")

    a = _Attention(ctx, query)
    heads, key_dim, value_dim = layer._num_heads, layer._key_dim, layer._value_dim

    def flatten_positions(x: Tensor, role: str) -> Tensor:
        if x.rank == 3:
            return x
        length = int(np.prod(x.shape[1:-1]))
        return a.reshape(x, (x.shape[0], length, x.shape[-1]), f"{role}/flatten")

    q_in = flatten_positions(query, "query")
    v_in = flatten_positions(value, "value")
    k_in = q_in if key is query else (v_in if key is value else flatten_positions(key, "key"))
    t_len, s_len = q_in.shape[1], v_in.shape[1]
    if k_in.shape[1] != s_len:
        raise ctx.unsupported(f"key has {k_in.shape[1]} positions but value has {s_len}")

    def projection(sub, depth):
        kernel = _array(sub.kernel)
        kernel = kernel.reshape(kernel.shape[0], -1)                 # [in, N * depth]
        bias = _array(sub.bias).reshape(-1) if getattr(sub, "bias", None) is not None else None
        if kernel.shape[1] != heads * depth:
            raise ctx.unsupported(f"projection kernel {sub.name} has shape "
                                  f"{list(sub.kernel.shape)}; expected [in, {heads}, {depth}]")
        return kernel, bias

    wq, bq = projection(layer._query_dense, key_dim)
    scale = np.float32(1.0 / np.sqrt(float(key_dim)))
    wq = wq * scale
    bq = None if bq is None else bq * scale
    wk, bk = projection(layer._key_dense, key_dim)
    wv, bv = projection(layer._value_dense, value_dim)

    q = a.heads(a.dense(q_in, wq, bq, "query"), heads, key_dim, "query")
    k = a.heads(a.dense(k_in, wk, bk, "key"), heads, key_dim, "key")
    v = a.heads(a.dense(v_in, wv, bv, "value"), heads, value_dim, "value")

    scores = a.batch_matmul(q, k, True, "scores")                    # [B, N, T, S]
    mask = _constant_mask(layer, use_causal, t_len, s_len)
    if mask is not None:
        scores = a.binary("ADD", scores, ctx.constant("mask", mask), "masked_scores")
    probs = ctx.output_tensor(1, suffix="attention_scores") if return_scores else \
        a.tensor("attention_scores", scores.shape)
    ctx.op("SOFTMAX", [scores], [probs], "SoftmaxOptions", beta=1.0)

    context = a.batch_matmul(probs, v, False, "context")             # [B, N, T, value_dim]
    context = a.transpose(context, [0, 2, 1, 3], "context/positions_first")
    context = a.reshape(context, (context.shape[0], t_len, heads * value_dim),
                        "context/merge_heads")

    if getattr(layer, "_use_gate", False):
        wg, bg = projection(layer._gate_dense, value_dim)
        from .activations import emit_activation
        gate = emit_activation(ctx, a.dense(q_in, wg, bg, "gate_pre"),
                               layer._gate_dense.activation, None)
        context = a.binary("MUL", context, gate, "gated_context")

    out_dense = layer._output_dense
    wo = _array(out_dense.kernel)                                     # [N, value_dim, *out]
    out_dims = wo.shape[2:]
    wo = wo.reshape(heads * value_dim, -1)
    bo = _array(out_dense.bias).reshape(-1) if getattr(out_dense, "bias", None) is not None \
        else None
    final = ctx.output_tensor(0)
    if rank == 3 and len(out_dims) == 1:
        output = a.dense(context, wo, bo, "output", out=final)
    else:
        flat = a.dense(context, wo, bo, "output")
        output = a.reshape(flat, final.shape, "output/restore", out=final)
    return [output, probs] if return_scores else output
