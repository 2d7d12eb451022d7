/* SOFTMAX over the last axis, any rank >= 1: out = exp(beta * x) / sum(exp(beta * x)).
 *
 * Numerically stable: each row subtracts its largest beta * x before exp, so exp never
 * overflows (for beta >= 0 that is beta * max(x), for beta < 0 beta * min(x)). For beta >= 0
 * this is exactly TensorFlow Lite's arithmetic, exp((x - max) * beta); for negative beta
 * TensorFlow Lite subtracts max(x) too and can overflow where this does not.
 *
 * beta defaults to 0 when SoftmaxOptions is absent (the format's default; every output is
 * then 1 / depth, which is also what TensorFlow Lite computes). NaN in a row makes the whole
 * row NaN, as does +inf (inf - inf), matching TensorFlow Lite.
 *
 * int8 (per-tensor asymmetric input; output scale 1/256 and zero point -128, as TensorFlow
 * Lite requires) follows TensorFlow Lite's default kernel bit for bit: prepare tabulates
 * e^(-in_scale * beta * d) for the 256 possible distances d = max - x; each row sums the
 * table entries of its values in float, in order, and quantizes entry / (sum * out_scale)
 * with round half away from zero plus the zero point. (TensorFlow Lite's reference kernel
 * uses a fixed-point exp instead and can differ by 1.) */
#include <math.h>

#include "kernels.h"
#include "quant_math.h"

typedef struct softmax_state softmax_state;
typedef void (*softmax_fn)(const softmax_state *st, const void *in, void *out);

struct softmax_state {
    softmax_fn fn;
    float beta;
    int64_t rows;  /* product of all but the last dimension */
    int64_t depth; /* last dimension */
    /* int8 */
    float table[256]; /* table[255 - d] = e^(-in_scale * beta * d) */
    float out_scale;
    int32_t out_zp;
};

static void softmax_q8(const softmax_state *st, const void *in_, void *out_) {
    const int8_t *in = in_;
    int8_t *out = out_;
    const int64_t depth = st->depth;
    if (depth == 0) return;
    for (int64_t r = 0; r < st->rows; r++) {
        const int8_t *x = in + r * depth;
        int8_t *y = out + r * depth;
        int32_t max = INT8_MIN;
        for (int64_t i = 0; i < depth; i++) max = x[i] > max ? x[i] : max;
        /* Entry of value v: table[255 - max + v], an index in [0, 255] since
         * -128 <= v <= max <= 127. */
        const int32_t off = 255 - max;
        float sum = 0.0f;
        for (int64_t i = 0; i < depth; i++) sum += st->table[off + x[i]];
        const float inv = 1.0f / (sum * st->out_scale);
        for (int64_t i = 0; i < depth; i++) {
            const float p = st->table[off + x[i]] * inv; /* in [0, 256] */
            const int32_t q = (int32_t)roundf(p) + st->out_zp;
            y[i] = (int8_t)(q < INT8_MIN ? INT8_MIN : (q > INT8_MAX ? INT8_MAX : q));
        }
    }
}

static void softmax_f32(const softmax_state *st, const void *in_, void *out_) {
    const int64_t rows = st->rows, depth = st->depth;
    const float beta = st->beta;
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
    case LT_INT8: fn = softmax_q8; break;
    default:
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32 or INT8",
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
    if (in->type == LT_INT8) {
        float si;
        int32_t zi;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si, &zi) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &st->out_scale,
                                &st->out_zp) != LT_OK)
            return LT_ERROR;
        if (fabsf(st->out_scale - 1.0f / 256.0f) > 0.001f / 256.0f || st->out_zp != -128)
            return lt_ctx_error(ctx, node, "output '%s' has scale %g and zero point %d; "
                                "expected scale 1/256 and zero point -128 for int8 SOFTMAX",
                                out->name, (double)st->out_scale, (int)st->out_zp);
        /* In float, as TensorFlow Lite's PopulateSoftmaxLookupTable. */
        const float scale = -si * beta;
        for (int32_t d = 0; d <= 255; d++) st->table[255 - d] = expf(scale * (float)d);
    }
    node->state = st;
    return LT_OK;
}

static lt_status softmax_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const softmax_state *st = node->state;
    st->fn(st, node->inputs[0]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_softmax = {"SOFTMAX", softmax_prepare, softmax_invoke};
