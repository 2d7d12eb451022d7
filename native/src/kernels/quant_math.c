/* Prepare-time parts of the quantized arithmetic (see quant_math.h). */
#include "quant_math.h"

#include <math.h>

bool lt_quantize_multiplier(double real_multiplier, lt_qmul *out) {
    if (!(real_multiplier >= 0.0) || isinf(real_multiplier)) return false; /* also NaN */
    if (real_multiplier == 0.0) {
        *out = (lt_qmul){0, 0};
        return true;
    }
    int exponent = 0;
    const double fraction = frexp(real_multiplier, &exponent); /* in [0.5, 1) */
    int64_t q = (int64_t)round(fraction * 2147483648.0);     /* ties away from zero */
    if (q == ((int64_t)1 << 31)) { /* rounding carried into the next power of two */
        q /= 2;
        exponent++;
    }
    if (exponent < -31) { /* too small to represent: TensorFlow Lite flushes it to 0 */
        exponent = 0;
        q = 0;
    }
    if (exponent > 30) return false; /* the left shift would exceed int32 */
    *out = (lt_qmul){(int32_t)q, exponent};
    return true;
}

bool lt_dmul_from_double(double real_multiplier, lt_dmul *out) {
    if (!(real_multiplier >= 0.0) || isinf(real_multiplier)) return false; /* also NaN */
    if (real_multiplier == 0.0) {
        *out = (lt_dmul){0, 1};
        return true;
    }
    int exponent = 0;
    const double fraction = frexp(real_multiplier, &exponent); /* M = fraction * 2^exponent */
    if (exponent > 52) return false;
    if (exponent < -74) { /* M < 2^-75: |acc * M| < 2^-44 */
        *out = (lt_dmul){0, 1};
        return true;
    }
    /* fraction in [0.5, 1) has 53 significant bits: scaling by 2^53 is exact */
    *out = (lt_dmul){(uint64_t)ldexp(fraction, 53), 53 - exponent};
    return true;
}

lt_status lt_quant_multiplier_checked(lt_context *ctx, const lt_node *node, double real_multiplier,
                                      const char *what, lt_qmul *out) {
    if (!lt_quantize_multiplier(real_multiplier, out))
        return lt_ctx_error(ctx, node, "%s is %g; expected a finite value in [0, 2^30] (check "
                            "the tensors' quantization scales)", what, real_multiplier);
    return LT_OK;
}

bool lt_quant_type_range(lt_type type, int32_t *q_min, int32_t *q_max) {
    switch (type) {
    case LT_INT8: *q_min = INT8_MIN; *q_max = INT8_MAX; return true;
    case LT_UINT8: *q_min = 0; *q_max = UINT8_MAX; return true;
    case LT_INT16: *q_min = INT16_MIN; *q_max = INT16_MAX; return true;
    case LT_INT32: *q_min = INT32_MIN; *q_max = INT32_MAX; return true;
    default: return false;
    }
}

static bool scale_usable(float s) { return isfinite(s) && s > 0.0f; }

lt_status lt_quant_per_tensor(lt_context *ctx, const lt_node *node, const lt_tensor *t,
                              const char *role, int32_t q_min, int32_t q_max, float *scale,
                              int32_t *zero_point) {
    const lt_quant *q = &t->quant;
    if (q->count < 1)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s but no quantization parameters; "
                            "expected a scale and zero point", role, t->name,
                            lt_type_name(t->type));
    for (int32_t i = 1; i < q->count; i++)
        if (q->scale[i] != q->scale[0] || q->zero_point[i] != q->zero_point[0])
            return lt_ctx_error(ctx, node, "%s '%s' has %d different per-channel quantization "
                                "parameters; expected one scale and zero point for the "
                                "whole tensor", role, t->name, (int)q->count);
    if (!scale_usable(q->scale[0]))
        return lt_ctx_error(ctx, node, "%s '%s' has quantization scale %g; expected a finite "
                            "value > 0", role, t->name, (double)q->scale[0]);
    if (q->zero_point[0] < q_min || q->zero_point[0] > q_max)
        return lt_ctx_error(ctx, node, "%s '%s' has zero point %lld; expected a value in "
                            "[%d, %d] for type %s", role, t->name, (long long)q->zero_point[0],
                            (int)q_min, (int)q_max, lt_type_name(t->type));
    *scale = q->scale[0];
    *zero_point = (int32_t)q->zero_point[0];
    return LT_OK;
}

/* zero_point + round(bound / scale) in float like TensorFlow Lite, clamped to [q_min, q_max]
 * in double first so that a huge quotient converts without overflow. */
static int32_t quantize_bound(float bound, float scale, int32_t zero_point, int32_t q_min,
                              int32_t q_max) {
    const double v = (double)zero_point + (double)roundf(bound / scale);
    if (v <= q_min) return q_min;
    if (v >= q_max) return q_max;
    return (int32_t)v;
}

lt_status lt_quant_activation_range(lt_context *ctx, const lt_node *node, int act, float scale,
                                    int32_t zero_point, int32_t q_min, int32_t q_max,
                                    int32_t *lo, int32_t *hi) {
    if (lt_check_activation(ctx, node, act) != LT_OK) return LT_ERROR;
    *lo = q_min;
    *hi = q_max;
    switch (act) {
    case LT_ACT_RELU:
        *lo = quantize_bound(0.0f, scale, zero_point, q_min, q_max);
        break;
    case LT_ACT_RELU6:
        *lo = quantize_bound(0.0f, scale, zero_point, q_min, q_max);
        *hi = quantize_bound(6.0f, scale, zero_point, q_min, q_max);
        break;
    case LT_ACT_RELU_N1_TO_1:
        *lo = quantize_bound(-1.0f, scale, zero_point, q_min, q_max);
        *hi = quantize_bound(1.0f, scale, zero_point, q_min, q_max);
        break;
    default: /* NONE; TANH and SIGN_BIT are not clamps and TensorFlow Lite ignores them here */
        break;
    }
    return LT_OK;
}

lt_status lt_quant_channel_multipliers(lt_context *ctx, const lt_node *node, float input_scale,
                                       const lt_tensor *weights, int channel_dim, int32_t channels,
                                       float output_scale, lt_qmul **out) {
    const lt_quant *q = &weights->quant;
    if (q->count != 1 && q->count != channels)
        return lt_ctx_error(ctx, node, "weights '%s' have %d quantization scales; expected 1 "
                            "(per tensor) or %d (one per output channel)", weights->name,
                            (int)q->count, (int)channels);
    if (q->count > 1 && q->dimension != channel_dim)
        return lt_ctx_error(ctx, node, "weights '%s' are quantized along dimension %d; "
                            "expected dimension %d (output channels)", weights->name,
                            (int)q->dimension, channel_dim);
    lt_qmul *m = lt_ctx_alloc(ctx, node, (channels > 0 ? (size_t)channels : 1) * sizeof *m);
    if (m == NULL) return LT_ERROR;
    for (int32_t c = 0; c < channels; c++) {
        const int32_t i = q->count > 1 ? c : 0;
        if (!scale_usable(q->scale[i]))
            return lt_ctx_error(ctx, node, "weights '%s' have scale %g for channel %d; expected "
                                "a finite value > 0", weights->name, (double)q->scale[i], (int)c);
        if (q->zero_point[i] != 0)
            return lt_ctx_error(ctx, node, "weights '%s' have zero point %lld for channel %d; "
                                "expected 0 (symmetric weights)", weights->name,
                                (long long)q->zero_point[i], (int)c);
        const double real = (double)input_scale * (double)q->scale[i] / (double)output_scale;
        if (lt_quant_multiplier_checked(ctx, node, real, "output multiplier", &m[c]) != LT_OK)
            return LT_ERROR;
    }
    *out = m;
    return LT_OK;
}

lt_status lt_requant_vec_prepare(lt_context *ctx, const lt_node *node, const lt_qmul *m,
                                 int32_t channels, lt_requant_vec *out) {
    if (channels < 0 || channels > INT32_MAX - LT_REQUANT_LANES)
        return lt_ctx_error(ctx, node, "%d output channels are too many", (int)channels);
    const int32_t padded = (channels + LT_REQUANT_LANES - 1) / LT_REQUANT_LANES * LT_REQUANT_LANES;
    const size_t bytes = (size_t)(padded > 0 ? padded : LT_REQUANT_LANES) * sizeof(int32_t);
    out->mult = lt_ctx_alloc(ctx, node, bytes); /* zeroed: padding lanes stay 0 */
    out->left = lt_ctx_alloc(ctx, node, bytes);
    out->right = lt_ctx_alloc(ctx, node, bytes);
    if (out->mult == NULL || out->left == NULL || out->right == NULL) return LT_ERROR;
    for (int32_t c = 0; c < channels; c++) {
        out->mult[c] = m[c].multiplier;
        out->left[c] = m[c].shift > 0 ? m[c].shift : 0;
        out->right[c] = m[c].shift > 0 ? 0 : -m[c].shift;
    }
    out->padded = padded;
    return LT_OK;
}
