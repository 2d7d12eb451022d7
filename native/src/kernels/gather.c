/* GATHER: picks slices of `params` along one axis by index (numpy.take, tf.gather).
 *
 * Inputs: params (any stored type) and indices (INT32, INT64 or INT16). GatherOptions:
 * axis (field 0, negative counts from the end of params) and batch_dims (field 1, negative
 * counts from the end of indices): the first batch_dims dimensions of params and indices
 * must agree and are walked together.
 *
 *   output shape = params[:axis] + indices[batch_dims:] + params[axis + 1:]
 *
 * Index values are data, so only invoke can check them: an index outside [0, params extent
 * along axis) makes invoke fail (as in TensorFlow Lite) before anything is read. */
#include <string.h>

#include "kernels.h"
#include "shape_ops_copy.h"

enum { GATHER_PARAMS = 0, GATHER_INDICES = 1 };
enum { GATHER_OPT_AXIS = 0, GATHER_OPT_BATCH_DIMS = 1 };

typedef struct gather_state {
    int64_t batch;        /* product of params dims [0, batch_dims) */
    int64_t outer;        /* product of params dims [batch_dims, axis) */
    int64_t axis_size;    /* params extent along axis */
    int64_t n_indices;    /* indices per batch: product of indices dims [batch_dims, rank) */
    size_t slice_bytes;   /* bytes of params dims (axis, rank): one gathered slice */
    int axis;
} gather_state;

static lt_status gather_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_GatherOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *params = node->inputs[GATHER_PARAMS];
    const lt_tensor *indices = node->inputs[GATHER_INDICES];
    const lt_tensor *out = node->outputs[0];
    const size_t elem = lt_type_size(params->type);
    char a[96], b[96];
    if (elem == 0)
        return lt_ctx_error(ctx, node, "params has type %s, which cannot be gathered",
                            lt_type_name(params->type));
    if (out->type != params->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like params",
                            lt_type_name(out->type), lt_type_name(params->type));
    if (!shape_ops_is_index_type(indices->type))
        return lt_ctx_error(ctx, node, "indices '%s' has type %s; expected INT32 or INT64",
                            indices->name, lt_type_name(indices->type));

    const int p_rank = params->shape.rank, i_rank = indices->shape.rank;
    const int32_t axis_opt = lt_opt_i32(node, GATHER_OPT_AXIS, 0);
    const int32_t batch_opt = lt_opt_i32(node, GATHER_OPT_BATCH_DIMS, 0);
    if (p_rank < 1 || axis_opt < -p_rank || axis_opt >= p_rank)
        return lt_ctx_error(ctx, node, "GatherOptions.axis is %d; expected a value in [%d, %d) "
                            "for params of shape %s", (int)axis_opt, -p_rank, p_rank,
                            lt_shape_str(&params->shape, a, sizeof a));
    const int axis = axis_opt < 0 ? axis_opt + p_rank : axis_opt;
    if (batch_opt < -i_rank || batch_opt > i_rank)
        return lt_ctx_error(ctx, node, "GatherOptions.batch_dims is %d; expected a value in "
                            "[%d, %d] for indices of shape %s", (int)batch_opt, -i_rank,
                            i_rank, lt_shape_str(&indices->shape, a, sizeof a));
    const int batch_dims = batch_opt < 0 ? batch_opt + i_rank : batch_opt;
    if (batch_dims > axis)
        return lt_ctx_error(ctx, node, "GatherOptions.batch_dims (%d) exceeds axis (%d); "
                            "expected batch_dims <= axis", batch_dims, axis);
    for (int d = 0; d < batch_dims; d++)
        if (params->shape.dims[d] != indices->shape.dims[d])
            return lt_ctx_error(ctx, node, "params shape %s and indices shape %s differ in "
                                "batch dimension %d; expected the first %d dimensions equal",
                                lt_shape_str(&params->shape, a, sizeof a),
                                lt_shape_str(&indices->shape, b, sizeof b), d, batch_dims);

    const int out_rank = p_rank - 1 + i_rank - batch_dims;
    if (out_rank > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "the output would have rank %d; at most %d is supported",
                            out_rank, LT_MAX_RANK);
    lt_shape out_shape = {.rank = out_rank};
    int k = 0;
    for (int d = 0; d < axis; d++) out_shape.dims[k++] = params->shape.dims[d];
    for (int d = batch_dims; d < i_rank; d++) out_shape.dims[k++] = indices->shape.dims[d];
    for (int d = axis + 1; d < p_rank; d++) out_shape.dims[k++] = params->shape.dims[d];
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    gather_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    /* Each product below divides an element count that is known to fit. */
    st->batch = 1;
    for (int d = 0; d < batch_dims; d++) st->batch *= params->shape.dims[d];
    st->outer = 1;
    for (int d = batch_dims; d < axis; d++) st->outer *= params->shape.dims[d];
    st->axis_size = params->shape.dims[axis];
    st->n_indices = 1;
    for (int d = batch_dims; d < i_rank; d++) st->n_indices *= indices->shape.dims[d];
    int64_t inner = 1;
    for (int d = axis + 1; d < p_rank; d++) inner *= params->shape.dims[d];
    st->slice_bytes = (size_t)inner * elem;
    st->axis = axis;
    node->state = st;
    return LT_OK;
}

static lt_status gather_invoke(lt_context *ctx, lt_node *node) {
    const gather_state *st = node->state;
    const lt_tensor *params = node->inputs[GATHER_PARAMS];
    const lt_tensor *indices = node->inputs[GATHER_INDICES];
    lt_tensor *out = node->outputs[0];

    /* Check every index first, so a bad one never leads to a read. */
    const int64_t total = lt_tensor_elements(indices);
    for (int64_t i = 0; i < total; i++) {
        const int64_t idx = shape_ops_index_at(indices, i);
        if (idx < 0 || idx >= st->axis_size)
            return lt_ctx_error(ctx, node, "indices[%lld] is %lld; expected a value in [0, %lld) "
                                "(the extent of params along axis %d)", (long long)i,
                                (long long)idx, (long long)st->axis_size, st->axis);
    }
    if (out->bytes == 0) return LT_OK;

    const uint8_t *src = params->data;
    uint8_t *dst = out->data;
    const size_t slice = st->slice_bytes;
    for (int64_t b = 0; b < st->batch; b++) {
        for (int64_t o = 0; o < st->outer; o++) {
            const uint8_t *base = src + (size_t)((b * st->outer + o) * st->axis_size) * slice;
            const int64_t first = b * st->n_indices;
            for (int64_t j = 0; j < st->n_indices; j++) {
                const int64_t idx = shape_ops_index_at(indices, first + j);
                memcpy(dst, base + (size_t)idx * slice, slice);
                dst += slice;
            }
        }
    }
    return LT_OK;
}

const lt_op lt_op_gather = {"GATHER", gather_prepare, gather_invoke};
