/* TRANSPOSE: output dimension j is input dimension perm[j] (numpy.transpose).
 *
 * Inputs: the tensor and a constant INT32 (or INT64) permutation of [0, rank). Any rank up to
 * LT_MAX_RANK and any stored element type: the output is written in order while the input
 * is read through the permuted strides, a copy plan that merges dimensions which stay
 * adjacent and copies unpermuted inner blocks with memcpy (short blocks, up to three outer
 * dimensions: with inline copies of a fixed size, copy_short_rows). */
#include <string.h>

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

/* Up to three outer dimensions of rows of `row` bytes, a constant in each instance below:
 * the compiler then copies a row with a few vector moves where a library memcpy call costs
 * more than the copy itself (a transformer's head split moves rows of 16 floats). */
static inline __attribute__((always_inline)) void
copy_short_rows(const shape_ops_copy_plan *plan, const uint8_t *src, uint8_t *dst,
                const size_t row) {
    int64_t count[3] = {1, 1, 1}, step[3] = {0, 0, 0};
    for (int d = 0; d < plan->rank; d++) { /* right-aligned: the last dimension innermost */
        count[3 - plan->rank + d] = plan->count[d];
        step[3 - plan->rank + d] = plan->step[d];
    }
    const uint8_t *s0 = src + plan->offset;
    for (int64_t i = 0; i < count[0]; i++, s0 += step[0]) {
        const uint8_t *s1 = s0;
        for (int64_t j = 0; j < count[1]; j++, s1 += step[1]) {
            const uint8_t *s2 = s1;
            for (int64_t k = 0; k < count[2]; k++, s2 += step[2], dst += row)
                memcpy(dst, s2, row);
        }
    }
}

static lt_status transpose_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const shape_ops_copy_plan *plan = node->state;
    const uint8_t *src = node->inputs[TRANSPOSE_INPUT]->data;
    uint8_t *dst = node->outputs[0]->data;
    if (!plan->empty && plan->row_contiguous && plan->rank <= 3) {
        switch ((size_t)plan->row_elems * plan->elem) {
        case 16: copy_short_rows(plan, src, dst, 16); return LT_OK;
        case 32: copy_short_rows(plan, src, dst, 32); return LT_OK;
        case 64: copy_short_rows(plan, src, dst, 64); return LT_OK;
        case 128: copy_short_rows(plan, src, dst, 128); return LT_OK;
        default: break;
        }
    }
    shape_ops_copy_run(plan, src, dst);
    return LT_OK;
}

const lt_op lt_op_transpose = {"TRANSPOSE", transpose_prepare, transpose_invoke};
