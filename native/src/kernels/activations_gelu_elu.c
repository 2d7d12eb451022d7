/* GELU and ELU (float32): smooth activations, one input, same shape out.
 *
 * GELU, GeluOptions.approximate (field 0, default false):
 *   false  x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt 2)), computed as
 *          0.5 * x * erfc(-x / sqrt 2): the same function, but erfc keeps full relative
 *          precision for negative x, where 1 + erf(..) would cancel to a few bits (the
 *          result there is tiny but not zero).
 *   true   0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
 * ELU (no options; alpha is 1): x < 0 ? e^x - 1 (expm1, accurate near 0) : x.
 * NaN propagates through both. */
#include <math.h>

#include "kernels.h"

typedef void (*smooth_fn)(const float *in, float *out, int64_t n);

static void gelu_exact_f32(const float *in, float *out, int64_t n) {
    const float minus_inv_sqrt2 = -0.70710678118654752f;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = 0.5f * x * erfcf(x * minus_inv_sqrt2);
    }
}

static void gelu_tanh_f32(const float *in, float *out, int64_t n) {
    const float sqrt_2_over_pi = 0.79788456080286536f;
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
    }
}

static void elu_f32(const float *in, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        const float x = in[i];
        out[i] = x < 0.0f ? expm1f(x) : x;
    }
}

enum { GELU_OPT_APPROXIMATE = 0 };

/* Checks one float32 input and a float32 output of the same shape; stores `fn`. */
static lt_status smooth_prepare(lt_context *ctx, lt_node *node, smooth_fn fn) {
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (in->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", in->name,
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;
    smooth_fn *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    *st = fn;
    node->state = st;
    return LT_OK;
}

static lt_status gelu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_GeluOptions) != LT_OK)
        return LT_ERROR;
    const bool approximate = lt_opt_bool(node, GELU_OPT_APPROXIMATE, false);
    return smooth_prepare(ctx, node, approximate ? gelu_tanh_f32 : gelu_exact_f32);
}

static lt_status elu_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_NONE) != LT_OK)
        return LT_ERROR;
    return smooth_prepare(ctx, node, elu_f32);
}

static lt_status smooth_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const smooth_fn *fn = node->state;
    const lt_tensor *in = node->inputs[0];
    (*fn)(lt_f32(in), lt_f32(node->outputs[0]), lt_tensor_elements(in));
    return LT_OK;
}

const lt_op lt_op_gelu = {"GELU", gelu_prepare, smooth_invoke};
const lt_op lt_op_elu = {"ELU", elu_prepare, smooth_invoke};
