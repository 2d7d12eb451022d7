/* PACK: stacks N tensors of equal shape along a new axis (numpy.stack). Copies by element
 * size, so it serves every dtype. */
#include <string.h>

#include "kernels.h"

enum { PACK_VALUES_COUNT = 0, PACK_AXIS = 1 };

typedef struct pack_state {
    int64_t outer;      /* product of dims before the axis */
    size_t chunk_bytes; /* bytes of one input after the axis */
} pack_state;

static lt_status pack_prepare(lt_context *ctx, lt_node *node) {
    char a[96], b[96];
    if (node->n_inputs < 1) return lt_ctx_error(ctx, node, "needs at least one input");
    if (lt_check_io_count(ctx, node, node->n_inputs, node->n_inputs, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_PackOptions) != LT_OK)
        return LT_ERROR;
    int32_t count = lt_opt_i32(node, PACK_VALUES_COUNT, 0);
    if (count != 0 && count != node->n_inputs)
        return lt_ctx_error(ctx, node, "values_count is %d but the op has %d inputs", (int)count,
                            (int)node->n_inputs);
    const lt_tensor *first = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    int rank = first->shape.rank;
    if (rank + 1 > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "output rank %d exceeds %d", rank + 1, LT_MAX_RANK);
    int axis = lt_opt_i32(node, PACK_AXIS, 0);
    if (axis < 0) axis += rank + 1;
    if (axis < 0 || axis > rank)
        return lt_ctx_error(ctx, node, "axis %d out of range for rank %d inputs",
                            (int)lt_opt_i32(node, PACK_AXIS, 0), rank);
    for (int i = 0; i < node->n_inputs; i++) {
        const lt_tensor *t = node->inputs[i];
        if (t->type != out->type)
            return lt_ctx_error(ctx, node, "input %d has type %s, output has %s", i,
                                lt_type_name(t->type), lt_type_name(out->type));
        if (!lt_shape_equal(&t->shape, &first->shape))
            return lt_ctx_error(ctx, node, "input %d has shape %s, input 0 has %s", i,
                                lt_shape_str(&t->shape, a, sizeof a),
                                lt_shape_str(&first->shape, b, sizeof b));
    }
    if (lt_type_size(out->type) == 0)
        return lt_ctx_error(ctx, node, "type %s is not supported", lt_type_name(out->type));
    lt_shape s;
    s.rank = rank + 1;
    for (int i = 0, j = 0; i < s.rank; i++) s.dims[i] = (i == axis) ? node->n_inputs : first->shape.dims[j++];
    if (lt_node_set_output_shape(ctx, node, 0, &s) != LT_OK) return LT_ERROR;
    pack_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->outer = 1;
    for (int i = 0; i < axis; i++) st->outer *= first->shape.dims[i];
    int64_t inner = 1;
    for (int i = axis; i < rank; i++) inner *= first->shape.dims[i];
    /* Bounded by the output size already checked by lt_node_set_output_shape. */
    st->chunk_bytes = (size_t)inner * lt_type_size(out->type);
    node->state = st;
    return LT_OK;
}

static lt_status pack_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const pack_state *st = node->state;
    uint8_t *dst = node->outputs[0]->data;
    for (int64_t o = 0; o < st->outer; o++) {
        for (int i = 0; i < node->n_inputs; i++) {
            const uint8_t *src = node->inputs[i]->data;
            if (st->chunk_bytes > 0) memcpy(dst, src + (size_t)o * st->chunk_bytes, st->chunk_bytes);
            dst += st->chunk_bytes;
        }
    }
    return LT_OK;
}

const lt_op lt_op_pack = {"PACK", pack_prepare, pack_invoke};
