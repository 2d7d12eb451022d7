/* SLICE: a contiguous block of the input, x[b0:b0+s0, b1:b1+s1, ...] (tf.slice).
 *
 * Inputs: the tensor, begin and size: constant vectors with one entry per input dimension,
 * both INT32 or both INT64. size[i] = -1 means "to the end" (dim - begin). As in TensorFlow
 * Lite, begin must lie in [0, dim] and begin + size must not pass the end; no clamping and no
 * negative indices. Element values are never interpreted, so every stored type works. */
#include "kernels.h"
#include "shape_ops_copy.h"

enum { SLICE_INPUT = 0, SLICE_BEGIN = 1, SLICE_SIZE = 2 };

/* begin or size: INT32/INT64 [rank], constant, of `type` (begin's). */
static lt_status check_spec_tensor(lt_context *ctx, const lt_node *node, int input,
                                   const char *what, int rank, lt_type type) {
    const lt_tensor *t = node->inputs[input];
    char buf[96];
    if (t->type != LT_INT32 && t->type != LT_INT64)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected INT32 or INT64", what,
                            t->name, lt_type_name(t->type));
    if (t->type != type)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected %s like begin", what,
                            t->name, lt_type_name(t->type), lt_type_name(type));
    if (t->shape.rank != 1 || t->shape.dims[0] != rank)
        return lt_ctx_error(ctx, node, "%s '%s' has shape %s; expected [%d], one entry per "
                            "input dimension", what, t->name,
                            lt_shape_str(&t->shape, buf, sizeof buf), rank);
    return lt_check_input_constant(ctx, node, input);
}

static lt_status slice_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 3, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_SliceOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[SLICE_INPUT];
    const lt_tensor *out = node->outputs[0];
    const int rank = in->shape.rank;
    const size_t elem = lt_type_size(in->type);
    char buf[96];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type %s, which cannot be sliced",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    const lt_type index_type = node->inputs[SLICE_BEGIN]->type;
    if (check_spec_tensor(ctx, node, SLICE_BEGIN, "begin", rank, index_type) != LT_OK ||
        check_spec_tensor(ctx, node, SLICE_SIZE, "size", rank, index_type) != LT_OK)
        return LT_ERROR;

    int64_t begin[LT_MAX_RANK], size[LT_MAX_RANK], step[LT_MAX_RANK];
    lt_shape out_shape = {.rank = rank};
    for (int d = 0; d < rank; d++) {
        const int64_t dim = in->shape.dims[d];
        const int64_t b = shape_ops_index_at(node->inputs[SLICE_BEGIN], d);
        int64_t s = shape_ops_index_at(node->inputs[SLICE_SIZE], d);
        if (b < 0 || b > dim)
            return lt_ctx_error(ctx, node, "begin[%d] is %lld; expected a value in [0, %lld] "
                                "for input shape %s", d, (long long)b, (long long)dim,
                                lt_shape_str(&in->shape, buf, sizeof buf));
        if (s == -1) s = dim - b;
        if (s < 0 || s > dim - b)
            return lt_ctx_error(ctx, node, "size[%d] is %lld with begin[%d] = %lld; expected -1 "
                                "or a value in [0, %lld] for input shape %s", d,
                                (long long)shape_ops_index_at(node->inputs[SLICE_SIZE], d), d,
                                (long long)b, (long long)(dim - b),
                                lt_shape_str(&in->shape, buf, sizeof buf));
        begin[d] = b;
        size[d] = s;
        out_shape.dims[d] = (int32_t)s; /* <= dim: fits */
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    /* Walk the block with the input's strides, starting at the element at `begin`. */
    int64_t strides[LT_MAX_RANK];
    int64_t first = 0;
    shape_ops_strides(&in->shape, strides);
    for (int d = 0; d < rank; d++) {
        step[d] = strides[d];
        first += begin[d] * strides[d];
    }
    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, rank, size, step, first, elem);
    node->state = plan;
    return LT_OK;
}

static lt_status slice_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[SLICE_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_slice = {"SLICE", slice_prepare, slice_invoke};
