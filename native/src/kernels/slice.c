/* SLICE: a contiguous block of the input, x[b0:b0+s0, b1:b1+s1, ...] (tf.slice).
 *
 * Inputs: the tensor, begin and size: vectors with one entry per input dimension, both INT32
 * or both INT64. size[i] = -1 means "to the end" (dim - begin). As in TensorFlow Lite, begin
 * must lie in [0, dim] and begin + size must not pass the end; no clamping and no negative
 * indices. Element values are never interpreted, so every stored type works.
 *
 * begin and size are usually constants, and the slice is planned once at prepare. Inside the
 * loops TensorFlow emits for recurrent layers they are computed from the loop counter:
 *  - a run-time begin with a constant size (no -1) keeps the output shape; begin is checked
 *    against the bounds at every invoke;
 *  - a run-time size (or a run-time begin with a -1 size) makes the output shape known only
 *    at invoke: the output is planned at the input's size and marked dynamic (see
 *    lt_tensor.is_dynamic), and its actual shape is set at every invoke. */
#include "kernels.h"
#include "shape_ops_copy.h"

enum { SLICE_INPUT = 0, SLICE_BEGIN = 1, SLICE_SIZE = 2 };

/* begin or size: INT32/INT64 [rank] of `type` (begin's). */
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
    return LT_OK;
}

typedef enum slice_mode {
    SLICE_PLANNED,       /* constant begin and size: the plan is complete */
    SLICE_RUN_BEGIN,     /* run-time begin, constant size: move the plan to begin */
    SLICE_RUN_SHAPE      /* run-time size: plan at invoke, output shape set at invoke */
} slice_mode;

typedef struct slice_state {
    slice_mode mode;
    shape_ops_copy_plan plan;          /* SLICE_RUN_BEGIN: planned from begin = 0 */
    int32_t rank;
    size_t elem;
    int64_t max_begin[LT_MAX_RANK];    /* SLICE_RUN_BEGIN: dim - size */
    int64_t stride_bytes[LT_MAX_RANK]; /* SLICE_RUN_BEGIN: byte step per index */
} slice_state;

/* Resolves begin/size entry d against its dimension as TensorFlow Lite does (size -1 means
 * to the end) into *size; records an error naming the entry when the slice leaves the
 * dimension. */
static lt_status resolve(lt_context *ctx, const lt_node *node, int d, const lt_shape *in_shape,
                         int64_t b, int64_t s, int64_t *size) {
    const int64_t dim = in_shape->dims[d];
    char buf[96];
    if (b < 0 || b > dim)
        return lt_ctx_error(ctx, node, "begin[%d] is %lld; expected a value in [0, %lld] for "
                            "input shape %s", d, (long long)b, (long long)dim,
                            lt_shape_str(in_shape, buf, sizeof buf));
    const int64_t n = s == -1 ? dim - b : s;
    if (n < 0 || n > dim - b)
        return lt_ctx_error(ctx, node, "size[%d] is %lld with begin[%d] = %lld; expected -1 or "
                            "a value in [0, %lld] for input shape %s", d, (long long)s, d,
                            (long long)b, (long long)(dim - b),
                            lt_shape_str(in_shape, buf, sizeof buf));
    *size = n;
    return LT_OK;
}

static lt_status slice_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 3, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_SliceOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[SLICE_INPUT];
    const lt_tensor *out = node->outputs[0];
    const lt_tensor *begin_t = node->inputs[SLICE_BEGIN], *size_tensor = node->inputs[SLICE_SIZE];
    if (in == NULL || begin_t == NULL || size_tensor == NULL || out == NULL)
        return lt_ctx_error(ctx, node, "input, begin, size and output are all required");
    const int rank = in->shape.rank;
    const size_t elem = lt_type_size(in->type);
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input '%s' has type %s, which cannot be sliced",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (check_spec_tensor(ctx, node, SLICE_BEGIN, "begin", rank, begin_t->type) != LT_OK ||
        check_spec_tensor(ctx, node, SLICE_SIZE, "size", rank, begin_t->type) != LT_OK)
        return LT_ERROR;
    slice_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    node->state = st;
    st->rank = rank;
    st->elem = elem;
    bool size_has_minus_one = false;
    for (int d = 0; size_tensor->is_constant && d < rank; d++)
        if (shape_ops_index_at(size_tensor, d) == -1) size_has_minus_one = true;
    if (!size_tensor->is_constant || (!begin_t->is_constant && size_has_minus_one)) {
        st->mode = SLICE_RUN_SHAPE; /* at most the whole input */
        return lt_node_set_output_dynamic(ctx, node, 0, &in->shape);
    }
    st->mode = begin_t->is_constant ? SLICE_PLANNED : SLICE_RUN_BEGIN;

    int64_t begin[LT_MAX_RANK], size[LT_MAX_RANK], step[LT_MAX_RANK], strides[LT_MAX_RANK];
    lt_shape out_shape = {.rank = rank};
    for (int d = 0; d < rank; d++) {
        const int64_t s = shape_ops_index_at(size_tensor, d);
        begin[d] = begin_t->is_constant ? shape_ops_index_at(begin_t, d) : 0;
        if (resolve(ctx, node, d, &in->shape, begin[d], s, &size[d]) != LT_OK) return LT_ERROR;
        out_shape.dims[d] = (int32_t)size[d]; /* <= dim: fits */
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    /* Walk the block with the input's strides, starting at the element at `begin`. */
    int64_t first = 0;
    shape_ops_strides(&in->shape, strides);
    for (int d = 0; d < rank; d++) {
        step[d] = strides[d];
        first += begin[d] * strides[d];
        st->max_begin[d] = in->shape.dims[d] - size[d];
        st->stride_bytes[d] = strides[d] * (int64_t)elem; /* within the tensor's bytes */
    }
    shape_ops_copy_plan_init(&st->plan, rank, size, step, first, elem);
    return LT_OK;
}

static lt_status slice_invoke(lt_context *ctx, lt_node *node) {
    const slice_state *st = node->state;
    const lt_tensor *in = node->inputs[SLICE_INPUT];
    lt_tensor *out = node->outputs[0];
    const lt_tensor *begin = node->inputs[SLICE_BEGIN], *size = node->inputs[SLICE_SIZE];
    if (st->mode == SLICE_PLANNED) {
        shape_ops_copy_run(&st->plan, in->data, out->data);
        return LT_OK;
    }
    if (st->mode == SLICE_RUN_BEGIN) {
        shape_ops_copy_plan plan = st->plan; /* planned from begin = 0; move it to begin */
        for (int d = 0; d < st->rank; d++) {
            const int64_t b = shape_ops_index_at(begin, d);
            if (b < 0 || b > st->max_begin[d])
                return lt_ctx_error(ctx, node, "begin[%d] is %lld at run time; expected a "
                                    "value in [0, %lld]", d, (long long)b,
                                    (long long)st->max_begin[d]);
            plan.offset += b * st->stride_bytes[d];
        }
        shape_ops_copy_run(&plan, in->data, out->data);
        return LT_OK;
    }
    /* SLICE_RUN_SHAPE: the whole slice is known only now. */
    int64_t b[LT_MAX_RANK], n[LT_MAX_RANK], strides[LT_MAX_RANK];
    lt_shape shape = {.rank = st->rank};
    int64_t first = 0;
    shape_ops_strides(&in->shape, strides);
    for (int d = 0; d < st->rank; d++) {
        b[d] = shape_ops_index_at(begin, d);
        if (resolve(ctx, node, d, &in->shape, b[d], shape_ops_index_at(size, d), &n[d]) != LT_OK)
            return LT_ERROR;
        shape.dims[d] = (int32_t)n[d];
        first += b[d] * strides[d];
    }
    lt_tensor_set_run_shape(out, &shape);
    shape_ops_copy_plan plan;
    shape_ops_copy_plan_init(&plan, st->rank, n, strides, first, st->elem);
    shape_ops_copy_run(&plan, in->data, out->data);
    return LT_OK;
}

const lt_op lt_op_slice = {"SLICE", slice_prepare, slice_invoke};

