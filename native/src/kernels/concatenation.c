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
 * Lite's float kernel ignores a fused activation here; its converter does not emit one.
 *
 * Inputs whose shape is known only at run time (lt_tensor.is_dynamic: the slices of a tensor
 * list that TensorFlow's recurrent loops put back together) are accepted when the file
 * declares a fully static output shape that the inputs' bounds can reach: the output takes
 * that shape, and invoke checks that the actual inputs add up to it. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

typedef struct concat_state {
    bool run_shapes;      /* some input is dynamic: chunk sizes are computed at invoke */
    int axis;
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

/* The file's output shape can be trusted for dynamic inputs when it is static (no -1 in its
 * signature), of the inputs' rank, and within the bound computed from them. */
static bool declared_shape_fits(const lt_tensor *out, const lt_shape *bound, int axis) {
    const lt_shape *f = &out->file_shape;
    if (f->rank != bound->rank) return false;
    for (int d = 0; d < f->rank; d++) {
        if (out->has_signature && out->signature.rank == f->rank && out->signature.dims[d] < 0)
            return false;
        if (f->dims[d] < 0 || f->dims[d] > bound->dims[d]) return false;
        if (d != axis && f->dims[d] != bound->dims[d]) return false;
    }
    return true;
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
    bool run_shapes = false;
    for (int i = 0; i < n_in; i++) run_shapes = run_shapes || node->inputs[i]->is_dynamic;
    if (run_shapes && !declared_shape_fits(out, &out_shape, axis))
        return lt_ctx_error(ctx, node, "some inputs have shapes known only at run time and the "
                            "output '%s' declares shape %s, which is not a static shape they "
                            "can fill (at most %s); such outputs are not supported", out->name,
                            lt_shape_str(&out->file_shape, s0, sizeof s0),
                            lt_shape_str(&out_shape, si, sizeof si));
    if (run_shapes) out_shape = out->file_shape;
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
    st->run_shapes = run_shapes;
    st->axis = axis;
    node->state = st;
    return LT_OK;
}

/* For dynamic inputs: checks the actual shapes fill the output exactly and computes each
 * input's chunk bytes (into the state's array, which only this node's invoke uses). */
static lt_status run_chunks(lt_context *ctx, lt_node *node, concat_state *st) {
    const lt_tensor *out = node->outputs[0];
    const int axis = st->axis, rank = out->shape.rank;
    int64_t axis_total = 0;
    for (int i = 0; i < node->n_inputs; i++) {
        const lt_tensor *t = node->inputs[i];
        size_t chunk = lt_type_size(t->type);
        for (int d = 0; d < rank; d++) {
            if (d != axis && t->shape.dims[d] != out->shape.dims[d])
                return lt_ctx_error(ctx, node, "input %d has extent %d in dimension %d at run "
                                    "time; the output has %d", i, (int)t->shape.dims[d], d,
                                    (int)out->shape.dims[d]);
            if (d >= axis) chunk *= (size_t)t->shape.dims[d]; /* within the input's bytes */
        }
        axis_total += t->shape.dims[axis];
        st->chunk_bytes[i] = chunk;
    }
    if (axis_total != out->shape.dims[axis])
        return lt_ctx_error(ctx, node, "inputs add up to %lld along axis %d at run time; the "
                            "output declares %d", (long long)axis_total, axis,
                            (int)out->shape.dims[axis]);
    return LT_OK;
}

static lt_status concat_invoke(lt_context *ctx, lt_node *node) {
    concat_state *st = node->state;
    if (st->run_shapes && run_chunks(ctx, node, st) != LT_OK) return LT_ERROR;
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
