/* TRANSPOSE: output dimension j is input dimension perm[j] (numpy.transpose).
 *
 * Inputs: the tensor and a constant INT32 (or INT64) permutation of [0, rank). Any rank up to
 * LT_MAX_RANK and any stored element type: the output is written in order while the input
 * is read through the permuted strides, a copy plan that merges dimensions which stay
 * adjacent and copies unpermuted inner blocks with memcpy. */
#include "kernels.h"
#include "shape_ops_copy.h"

enum { TRANSPOSE_INPUT = 0, TRANSPOSE_PERM = 1 };

static lt_status transpose_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_TransposeOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[TRANSPOSE_INPUT];
    const lt_tensor *perm_t = node->inputs[TRANSPOSE_PERM];
    const lt_tensor *out = node->outputs[0];
    const size_t elem = lt_type_size(in->type);
    const int rank = in->shape.rank;
    char buf[96];
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input has type %s, which cannot be transposed",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    if (perm_t->type != LT_INT32 && perm_t->type != LT_INT64)
        return lt_ctx_error(ctx, node, "perm '%s' has type %s; expected INT32",
                            perm_t->name, lt_type_name(perm_t->type));
    if (perm_t->shape.rank != 1 || perm_t->shape.dims[0] != rank)
        return lt_ctx_error(ctx, node, "perm '%s' has shape %s; expected [%d], one entry per "
                            "dimension of the input", perm_t->name,
                            lt_shape_str(&perm_t->shape, buf, sizeof buf), rank);

    int perm[LT_MAX_RANK];
    if (rank > 0) {
        if (lt_check_input_constant(ctx, node, TRANSPOSE_PERM) != LT_OK) return LT_ERROR;
        bool seen[LT_MAX_RANK] = {false};
        for (int j = 0; j < rank; j++) {
            const int64_t p = shape_ops_index_at(perm_t, j);
            if (p < 0 || p >= rank || seen[p])
                return lt_ctx_error(ctx, node, "perm[%d] is %lld; expected a permutation of "
                                    "0..%d, each value once", j, (long long)p, rank - 1);
            seen[p] = true;
            perm[j] = (int)p;
        }
    }

    lt_shape out_shape = {.rank = rank};
    int64_t in_strides[LT_MAX_RANK], count[LT_MAX_RANK], step[LT_MAX_RANK];
    shape_ops_strides(&in->shape, in_strides);
    for (int j = 0; j < rank; j++) {
        out_shape.dims[j] = in->shape.dims[perm[j]];
        count[j] = in->shape.dims[perm[j]];
        step[j] = in_strides[perm[j]];
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, rank, count, step, 0, elem);
    node->state = plan;
    return LT_OK;
}

static lt_status transpose_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[TRANSPOSE_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_transpose = {"TRANSPOSE", transpose_prepare, transpose_invoke};
