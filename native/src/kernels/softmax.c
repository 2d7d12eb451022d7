/* SOFTMAX over the last axis, any rank >= 1: out = exp(beta * x) / sum(exp(beta * x)).
 *
 * Numerically stable: each row subtracts its largest beta * x before exp, so exp never
 * overflows (for beta >= 0 that is beta * max(x), for beta < 0 beta * min(x)). For beta >= 0
 * this is exactly TensorFlow Lite's arithmetic, exp((x - max) * beta); for negative beta
 * TensorFlow Lite subtracts max(x) too and can overflow where this does not.
 *
 * beta defaults to 0 when SoftmaxOptions is absent (the format's default; every output is
 * then 1 / depth, which is also what TensorFlow Lite computes). NaN in a row makes the whole
 * row NaN, as does +inf (inf - inf), matching TensorFlow Lite. */
#include <math.h>

#include "kernels.h"

typedef void (*softmax_fn)(const void *in, void *out, int64_t rows, int64_t depth, float beta);

typedef struct softmax_state {
    softmax_fn fn;
    float beta;
    int64_t rows;  /* product of all but the last dimension */
    int64_t depth; /* last dimension */
} softmax_state;

static void softmax_f32(const void *in_, void *out_, int64_t rows, int64_t depth, float beta) {
    if (depth == 0) return;
    const float *in = in_;
    float *out = out_;
    for (int64_t r = 0; r < rows; r++) {
        const float *x = in + r * depth;
        float *y = out + r * depth;
        /* Largest beta * x: the max of x for beta >= 0, the min otherwise. */
        float pivot = x[0];
        if (beta >= 0.0f) {
            for (int64_t i = 1; i < depth; i++) pivot = x[i] > pivot ? x[i] : pivot;
        } else {
            for (int64_t i = 1; i < depth; i++) pivot = x[i] < pivot ? x[i] : pivot;
        }
        float sum = 0.0f;
        for (int64_t i = 0; i < depth; i++) {
            const float e = expf((x[i] - pivot) * beta);
            y[i] = e;
            sum += e;
        }
        /* sum >= 1 (the pivot's own term is exp(0)) unless the row holds NaN. */
        for (int64_t i = 0; i < depth; i++) y[i] = y[i] / sum;
    }
}

static lt_status softmax_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    if (lt_check_input_rank(ctx, node, 0, 1, LT_MAX_RANK) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");

    softmax_fn fn = NULL;
    switch (in->type) {
    case LT_FLOAT32: fn = softmax_f32; break;
    default:
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32",
                            lt_type_name(in->type));
    }
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    if (lt_check_options(ctx, node, LT_OPTS_SoftmaxOptions) != LT_OK) return LT_ERROR;
    const float beta = lt_opt_f32(node, 0, 0.0f); /* SoftmaxOptions.beta */
    if (!isfinite(beta))
        return lt_ctx_error(ctx, node, "SoftmaxOptions.beta is %g; expected a finite number",
                            (double)beta);

    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    softmax_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = fn;
    st->beta = beta;
    st->depth = in->shape.dims[in->shape.rank - 1];
    const int64_t total = lt_tensor_elements(in);
    st->rows = st->depth > 0 ? total / st->depth : 0;
    node->state = st;
    return LT_OK;
}

static lt_status softmax_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const softmax_state *st = node->state;
    st->fn(node->inputs[0]->data, node->outputs[0]->data, st->rows, st->depth, st->beta);
    return LT_OK;
}

const lt_op lt_op_softmax = {"SOFTMAX", softmax_prepare, softmax_invoke};
