/* Pieces shared by the float32 reference kernels of the linear ops (CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) and pooling: the fused activation as
 * the kernels apply it, and a dot product.
 *
 * Fused activations. The clamps (NONE, RELU, RELU_N1_TO_1, RELU6) are applied to each
 * result as it is stored; the others (TANH, SIGN_BIT) are applied afterwards to a finished
 * run of outputs with lt_apply_activation_f32. The clamp is written as
 * min(max(x, lo), hi) with the comparisons ordered like std::max/std::min, so NaN stays NaN
 * exactly as in TensorFlow Lite. */
#ifndef LITERT_KERNELS_LINEAR_COMMON_H
#define LITERT_KERNELS_LINEAR_COMMON_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"

typedef struct linear_activation {
    int32_t act;     /* ActivationFunctionType */
    float lo, hi;    /* clamp applied to every output; [-inf, inf] when none */
    bool post_pass;  /* TANH / SIGN_BIT: lt_apply_activation_f32 over the finished outputs */
} linear_activation;

/* Checks the fused activation `act` (from the options) and records how to apply it. */
static inline lt_status linear_activation_init(lt_context *ctx, const lt_node *node, int act,
                                               linear_activation *out) {
    if (lt_check_activation(ctx, node, act) != LT_OK) return LT_ERROR;
    out->act = act;
    out->post_pass = !lt_activation_range(act, &out->lo, &out->hi);
    if (out->post_pass) {
        out->lo = -INFINITY;
        out->hi = INFINITY;
    }
    return LT_OK;
}

/* The weights (filter), the optional bias and the output of a linear op must all have the
 * input's type: float32 now, and the same rule will hold per quantized variant. */
static inline lt_status linear_check_operand_types(lt_context *ctx, const lt_node *node,
                                                   const lt_tensor *weights,
                                                   const char *weights_role,
                                                   const lt_tensor *bias) {
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (weights->type != in->type)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected %s like the input",
                            weights_role, weights->name, lt_type_name(weights->type),
                            lt_type_name(in->type));
    if (bias != NULL && bias->type != in->type)
        return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected %s like the input",
                            bias->name, lt_type_name(bias->type), lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    return LT_OK;
}

static inline float linear_clamp(float x, float lo, float hi) {
    x = x < lo ? lo : x; /* std::max(x, lo): NaN is kept */
    return hi < x ? hi : x; /* std::min(x, hi): NaN is kept */
}

/* Finishes n outputs stored without the non-clamp activations. */
static inline void linear_activation_post(const linear_activation *a, float *y, int64_t n) {
    if (a->post_pass) lt_apply_activation_f32(a->act, y, n);
}

/* sum(a[i] * b[i]) over i < n. Eight independent partial sums (combined pairwise at the
 * end) break the dependency chain of a single accumulator and let the compiler vectorize
 * without reassociating anything itself; the summation order is fixed and documented here
 * so that faster kernels can be compared against it within rounding. */
static inline float linear_dot_f32(const float *a, const float *b, int64_t n) {
    float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    for (int j = 0; i < n; i++, j++) s[j] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* sum(a[i * a_stride] * b[i]) over i < n, in order (a strided operand cannot be vectorized
 * anyway; used for transposed operands). */
static inline float linear_dot_strided_f32(const float *a, int64_t a_stride, const float *b,
                                           int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i * a_stride] * b[i];
    return s;
}

#endif
