/* CONCATENATION: joins any number of tensors of one type and rank along one axis.
 *
 * The copy is type-agnostic: seen from the axis, every input is `outer` blocks of
 * chunk_bytes[i] contiguous bytes, and the output is the blocks of all inputs interleaved.
 * So any element type the runtime stores is accepted; quantized inputs must carry the
 * output's quantization (a plain copy cannot requantize). TensorFlow Lite's int8 and int16
 * kernels impose the same rule (its prepare rejects differing scales or zero points; only
 * its uint8 kernel requantizes), and its converter always emits equal ones.
 *
 * ConcatenationOptions: axis (field 0, negative counts from the end) and
 * fused_activation_function (field 1), applied to float32 outputs as the format defines.
 * Other types reject any activation but NONE, as TensorFlow Lite does. Note that TensorFlow
 * Lite's float kernel ignores a fused activation here; its converter does not emit one. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

typedef struct concat_state {
    int64_t outer;        /* product of the output dimensions before the axis */
    size_t *chunk_bytes;  /* per input: bytes of its dimensions from the axis on */
    int activation;       /* float32 only; LT_ACT_NONE otherwise */
} concat_state;

/* True if two quantizations describe the same mapping (so raw values can be copied). */
static bool same_quant(const lt_quant *a, const lt_quant *b) {
    if (a->count != b->count) return false;
    if (a->count > 1 && a->dimension != b->dimension) return false;
    for (int32_t i = 0; i < a->count; i++)
        if (a->scale[i] != b->scale[i] || a->zero_point[i] != b->zero_point[i]) return false;
    return true;
}

static bool is_quantizable_type(lt_type t) {
    return t == LT_INT8 || t == LT_UINT8 || t == LT_INT16;
}

static lt_status concat_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, INT_MAX, 1) != LT_OK) return LT_ERROR;
    const int n_in = node->n_inputs;
    const lt_tensor *first = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    for (int i = 0; i < n_in; i++)
        if (node->inputs[i] == NULL)
            return lt_ctx_error(ctx, node, "input %d is omitted; every input is required", i);

    const lt_type type = first->type;
    const size_t elem = lt_type_size(type);
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input 0 has type %s, which cannot be concatenated",
                            lt_type_name(type));
    if (out->type != type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the inputs",
                            lt_type_name(out->type), lt_type_name(type));

    if (lt_check_options(ctx, node, LT_OPTS_ConcatenationOptions) != LT_OK) return LT_ERROR;
    const int rank = first->shape.rank;
    const int32_t axis_opt = lt_opt_i32(node, 0, 0);
    if (rank < 1 || axis_opt < -rank || axis_opt >= rank)
        return lt_ctx_error(ctx, node,
                            "ConcatenationOptions.axis is %d; expected a value in [%d, %d) "
                            "for inputs of rank %d",
                            (int)axis_opt, -rank, rank, rank);
    const int axis = axis_opt < 0 ? axis_opt + rank : axis_opt;

    const int act = lt_opt_i8(node, 1, LT_ACT_NONE);
    if (lt_check_activation(ctx, node, act) != LT_OK) return LT_ERROR;
    if (act != LT_ACT_NONE && type != LT_FLOAT32)
        return lt_ctx_error(ctx, node,
                            "ConcatenationOptions.fused_activation_function is %d on %s "
                            "tensors; expected NONE (0): activations apply to FLOAT32 only",
                            act, lt_type_name(type));

    /* Shapes: equal except along the axis, where the extents add up. */
    lt_shape out_shape = first->shape;
    int64_t axis_total = 0;
    char s0[96], si[96];
    for (int i = 0; i < n_in; i++) {
        const lt_tensor *t = node->inputs[i];
        if (t->type != type)
            return lt_ctx_error(ctx, node, "input %d has type %s; expected %s like input 0", i,
                                lt_type_name(t->type), lt_type_name(type));
        bool compatible = t->shape.rank == rank;
        for (int d = 0; compatible && d < rank; d++)
            if (d != axis && t->shape.dims[d] != first->shape.dims[d]) compatible = false;
        if (!compatible)
            return lt_ctx_error(ctx, node,
                                "input %d has shape %s; expected rank %d and the dimensions "
                                "of input 0 %s except along axis %d",
                                i, lt_shape_str(&t->shape, si, sizeof si), rank,
                                lt_shape_str(&first->shape, s0, sizeof s0), axis);
        axis_total += t->shape.dims[axis];
        if (axis_total > INT32_MAX)
            return lt_ctx_error(ctx, node, "output extent along axis %d exceeds %d", axis,
                                (int)INT32_MAX);
        if (is_quantizable_type(type) && !same_quant(&t->quant, &out->quant))
            return lt_ctx_error(ctx, node,
                                "input %d has a different quantization (scale/zero point) "
                                "than the output; expected identical ones (requantizing "
                                "concatenation is not supported)",
                                i);
    }
    out_shape.dims[axis] = (int32_t)axis_total;
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    if ((size_t)n_in > SIZE_MAX / sizeof(size_t))
        return lt_ctx_error(ctx, node, "too many inputs (%d)", n_in);
    concat_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->chunk_bytes = lt_ctx_alloc(ctx, node, (size_t)n_in * sizeof(size_t));
    if (st->chunk_bytes == NULL) return LT_ERROR;

    st->outer = 1;
    for (int d = 0; d < axis; d++) st->outer *= out_shape.dims[d]; /* <= output elements */
    for (int i = 0; i < n_in; i++) {
        lt_shape inner = {.rank = rank - axis};
        for (int d = axis; d < rank; d++) inner.dims[d - axis] = node->inputs[i]->shape.dims[d];
        if (!lt_shape_bytes(&inner, type, &st->chunk_bytes[i]))
            return lt_ctx_error(ctx, node, "input %d: size of the dimensions from axis %d on "
                                "overflows", i, axis);
    }
    st->activation = type == LT_FLOAT32 ? act : LT_ACT_NONE;
    node->state = st;
    return LT_OK;
}

static lt_status concat_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const concat_state *st = node->state;
    lt_tensor *out = node->outputs[0];
    const int64_t out_elements = lt_tensor_elements(out);
    if (out_elements == 0) return LT_OK;
    char *dst = out->data;
    for (int64_t o = 0; o < st->outer; o++) {
        for (int i = 0; i < node->n_inputs; i++) {
            const size_t chunk = st->chunk_bytes[i];
            if (chunk == 0) continue; /* an empty input: its data may be NULL */
            const char *src = node->inputs[i]->data;
            memcpy(dst, src + (size_t)o * chunk, chunk);
            dst += chunk;
        }
    }
    if (st->activation != LT_ACT_NONE)
        lt_apply_activation_f32(st->activation, lt_f32(out), out_elements);
    return LT_OK;
}

const lt_op lt_op_concatenation = {"CONCATENATION", concat_prepare, concat_invoke};
