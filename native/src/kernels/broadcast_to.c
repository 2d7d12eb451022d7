/* BROADCAST_TO: repeats a tensor along its extent-1 dimensions (and new leading ones) to a
 * given shape, NumPy style (tf.broadcast_to).
 *
 * Inputs (input, shape): shape is a constant INT32/INT64 vector of extents >= 0, at least as
 * long as the input's rank and at most rank 8 as in TensorFlow Lite; each input dimension,
 * aligned to the right, must be 1 or equal to the target. The output is a view of the input
 * with step 0 along broadcast dimensions, copied by a plan built at prepare
 * (shape_ops_copy.h). Any stored type; quantized outputs must share the input's parameters. */
#include "data_movement_checks.h"
#include "kernels.h"
#include "shape_ops_copy.h"

enum { BCAST_INPUT = 0, BCAST_SHAPE = 1 };

static lt_status broadcast_to_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_BroadcastToOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[BCAST_INPUT], *sh = node->inputs[BCAST_SHAPE];
    const lt_tensor *out = node->outputs[0];
    char buf[96], buf2[96];
    if (lt_type_size(in->type) == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type %s, which this op cannot move",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (dm_check_same_quant(ctx, node, in, out) != LT_OK ||
        dm_check_index_type(ctx, node, BCAST_SHAPE, "shape") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, BCAST_SHAPE, "shape") != LT_OK)
        return LT_ERROR;
    if (sh->shape.rank != 1)
        return lt_ctx_error(ctx, node, "shape '%s' has shape %s; expected a vector", sh->name,
                            lt_shape_str(&sh->shape, buf, sizeof buf));
    const int rank = sh->shape.dims[0], in_rank = in->shape.rank;
    if (rank > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "shape '%s' has %d entries; the highest supported rank "
                            "is %d", sh->name, rank, LT_MAX_RANK);
    if (rank < in_rank)
        return lt_ctx_error(ctx, node, "target rank %d is lower than the rank %d of input '%s'",
                            rank, in_rank, in->name);
    lt_shape s = {.rank = rank};
    for (int d = 0; d < rank; d++) {
        const int64_t v = dm_index_at(sh, d);
        if (v < 0 || v > INT32_MAX)
            return lt_ctx_error(ctx, node, "shape[%d] is %lld; expected an extent in [0, %d]", d,
                                (long long)v, (int)INT32_MAX);
        s.dims[d] = (int32_t)v;
    }
    int64_t in_strides[LT_MAX_RANK], count[LT_MAX_RANK], step[LT_MAX_RANK];
    shape_ops_strides(&in->shape, in_strides);
    const int lead = rank - in_rank;
    for (int d = 0; d < rank; d++) {
        count[d] = s.dims[d];
        step[d] = 0; /* new leading dimensions and extent-1 ones repeat the same elements */
        if (d < lead) continue;
        const int32_t dim = in->shape.dims[d - lead];
        if (dim != 1 && dim != s.dims[d])
            return lt_ctx_error(ctx, node, "input shape %s cannot be broadcast to %s",
                                lt_shape_str(&in->shape, buf, sizeof buf),
                                lt_shape_str(&s, buf2, sizeof buf2));
        if (dim != 1) step[d] = in_strides[d - lead];
    }
    if (lt_node_set_output_shape(ctx, node, 0, &s) != LT_OK) return LT_ERROR;
    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, rank, count, step, 0, lt_type_size(in->type));
    node->state = plan;
    return LT_OK;
}

static lt_status broadcast_to_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[BCAST_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_broadcast_to = {"BROADCAST_TO", broadcast_to_prepare, broadcast_to_invoke};
