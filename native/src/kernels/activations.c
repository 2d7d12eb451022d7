/* Activation ops: LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH (one input,
 * same shape out) and PRELU (a second input, alpha, broadcast against the first).
 *
 * Each op picks its per-type function in prepare (float32 today); quantized variants add a
 * case there, with whatever table or multipliers they precompute kept in the state.
 *
 * Edge values follow TensorFlow Lite: NaN propagates through every op, RELU keeps -0.0, and
 * the negative branch of LEAKY_RELU / PRELU is alpha * x even when alpha > 1. */
#include <math.h>

#include "elementwise_broadcast.h"
#include "kernels.h"

typedef void (*unary_fn)(const float *in, float *out, int64_t n, float alpha);

typedef struct unary_state {
    unary_fn fn;
    float alpha; /* LEAKY_RELU's slope; unused by the others */
} unary_state;

/* ---- float32 element functions --------------------------------------------------------- */

/* 1 / (1 + e^-x) written so that exp never overflows: for x < 0 use e^x / (1 + e^x). */
static void logistic_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        if (x >= 0.0f) {
            out[i] = 1.0f / (1.0f + expf(-x));
        } else {
            const float e = expf(x); /* NaN lands here too and stays NaN */
            out[i] = e / (1.0f + e);
        }
    }
}

static void tanh_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = tanhf(in[i]);
}

/* Comparisons written so NaN falls through to x. */
static void relu_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

static void relu6_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    }
}

static void relu_n1_to_1_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < -1.0f ? -1.0f : (x > 1.0f ? 1.0f : x);
    }
}

static void leaky_relu_f32(const float *in, float *out, int64_t n, float alpha) {
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x > 0.0f ? x : x * alpha;
    }
}

/* x * relu6(x + 3) / 6, in that order of operations (as TensorFlow Lite's reference). */
static void hard_swish_f32(const float *in, float *out, int64_t n, float alpha) {
    (void)alpha;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        const float t = x + 3.0f;
        const float gate = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
        out[i] = x * gate / 6.0f;
    }
}

/* ---- one-input ops ------------------------------------------------------------------- */

typedef enum unary_kind {
    UNARY_LOGISTIC,
    UNARY_TANH,
    UNARY_RELU,
    UNARY_RELU6,
    UNARY_LEAKY_RELU,
    UNARY_HARD_SWISH,
    UNARY_RELU_N1_TO_1
} unary_kind;

static unary_fn unary_fn_for(unary_kind kind, lt_type type) {
    static const unary_fn f32[] = {logistic_f32, tanh_f32,       relu_f32,
                                   relu6_f32,    leaky_relu_f32, hard_swish_f32,
                                   relu_n1_to_1_f32};
    return type == LT_FLOAT32 ? f32[kind] : NULL;
}

static lt_status unary_prepare(lt_context *ctx, lt_node *node, unary_kind kind) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is required");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    const unary_fn fn = unary_fn_for(kind, in->type);
    if (fn == NULL)
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));

    float alpha = 0.0f;
    if (kind == UNARY_LEAKY_RELU) {
        if (lt_check_options(ctx, node, LT_OPTS_LeakyReluOptions) != LT_OK) return LT_ERROR;
        alpha = lt_opt_f32(node, 0, 0.0f); /* LeakyReluOptions.alpha, default 0 */
    }
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    unary_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->fn = fn;
    st->alpha = alpha;
    node->state = st;
    return LT_OK;
}

static lt_status unary_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const unary_state *st = node->state;
    const lt_tensor *in = node->inputs[0];
    st->fn(lt_f32(in), lt_f32(node->outputs[0]), lt_tensor_elements(in), st->alpha);
    return LT_OK;
}

static lt_status logistic_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_LOGISTIC);
}
static lt_status tanh_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_TANH);
}
static lt_status relu_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU);
}
static lt_status relu6_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU6);
}
static lt_status relu_n1_to_1_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_RELU_N1_TO_1);
}
static lt_status leaky_relu_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_LEAKY_RELU);
}
static lt_status hard_swish_prepare(lt_context *ctx, lt_node *node) {
    return unary_prepare(ctx, node, UNARY_HARD_SWISH);
}

const lt_op lt_op_logistic = {"LOGISTIC", logistic_prepare, unary_invoke};
const lt_op lt_op_tanh = {"TANH", tanh_prepare, unary_invoke};
const lt_op lt_op_relu = {"RELU", relu_prepare, unary_invoke};
const lt_op lt_op_relu6 = {"RELU6", relu6_prepare, unary_invoke};
const lt_op lt_op_relu_n1_to_1 = {"RELU_N1_TO_1", relu_n1_to_1_prepare, unary_invoke};
const lt_op lt_op_leaky_relu = {"LEAKY_RELU", leaky_relu_prepare, unary_invoke};
const lt_op lt_op_hard_swish = {"HARD_SWISH", hard_swish_prepare, unary_invoke};

/* ---- PRELU: out = x >= 0 ? x : alpha * x, alpha broadcast against x -------------------- */

static inline float prelu_f(float x, float alpha) { return x >= 0.0f ? x : x * alpha; }

static void prelu_f32_vv(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float *x = x_, *alpha = alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x[i], alpha[i]);
}
static void prelu_f32_sv(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float x = *(const float *)x_, *alpha = alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x, alpha[i]);
}
static void prelu_f32_vs(const void *x_, const void *alpha_, void *out_, int64_t n,
                         const void *params) {
    (void)params;
    const float *x = x_, alpha = *(const float *)alpha_;
    float *out = out_;
    for (int64_t i = 0; i < n; i++) out[i] = prelu_f(x[i], alpha);
}
static const lt_bcast_rows prelu_f32_rows = {prelu_f32_vv, prelu_f32_sv, prelu_f32_vs};

typedef struct prelu_state {
    lt_bcast_plan plan;
    const lt_bcast_rows *rows;
    size_t elem_size;
} prelu_state;

/* alpha must broadcast to the input's shape (usually [C] or [1, 1, C] against [N, H, W, C]),
 * and the output has the input's shape: TensorFlow Lite's reference kernel requires the same
 * (it rejects an alpha that would enlarge the output). */
static lt_status prelu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *x = node->inputs[0], *alpha = node->inputs[1];
    const lt_tensor *out = node->outputs[0];
    if (x == NULL || alpha == NULL)
        return lt_ctx_error(ctx, node, "input %d (%s) is required", x == NULL ? 0 : 1,
                            x == NULL ? "input" : "alpha");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (x->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT32",
                            lt_type_name(x->type));
    if (alpha->type != x->type)
        return lt_ctx_error(ctx, node, "alpha (input 1) has type %s; expected %s like input 0",
                            lt_type_name(alpha->type), lt_type_name(x->type));
    if (out->type != x->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(x->type));

    lt_shape out_shape;
    char x_str[96], a_str[96];
    if (!lt_broadcast_shape(&x->shape, &alpha->shape, &out_shape) ||
        !lt_shape_equal(&out_shape, &x->shape))
        return lt_ctx_error(ctx, node,
                            "alpha shape %s does not broadcast to the input shape %s",
                            lt_shape_str(&alpha->shape, a_str, sizeof a_str),
                            lt_shape_str(&x->shape, x_str, sizeof x_str));
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    prelu_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    if (!lt_bcast_plan_init(&st->plan, &x->shape, &alpha->shape, &out_shape))
        return lt_ctx_error(ctx, node, "cannot plan the broadcast of %s and %s",
                            lt_shape_str(&x->shape, x_str, sizeof x_str),
                            lt_shape_str(&alpha->shape, a_str, sizeof a_str));
    st->rows = &prelu_f32_rows;
    st->elem_size = sizeof(float);
    node->state = st;
    return LT_OK;
}

static lt_status prelu_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const prelu_state *st = node->state;
    lt_bcast_run(&st->plan, st->rows, NULL, node->inputs[0]->data, st->elem_size,
                 node->inputs[1]->data, st->elem_size, node->outputs[0]->data, st->elem_size);
    return LT_OK;
}

const lt_op lt_op_prelu = {"PRELU", prelu_prepare, prelu_invoke};
