/* int8 ABS, SQRT, RSQRT, EXP, LOG as 256-entry tables (see elementwise_unary_int8.h). Each
 * entry is what TensorFlow Lite's reference kernel computes for that input value:
 *
 *   ABS    |v - in_zp|, then (only when the scales differ as floats) times the Q31 multiplier
 *          of in_scale / out_scale (the quotient in float, as TensorFlow Lite forms it),
 *          plus out_zp, clamped.
 *   SQRT   in float: sqrt(in_scale * (v - in_zp)) / out_scale, truncated toward zero (not
 *          rounded: TensorFlow Lite casts), plus out_zp, clamped.
 *   RSQRT  in integers: 1 / sqrt(v - in_zp) as a quantized multiplier (quant_inv_sqrt.h),
 *          applied to 1 with a left shift of 20 and rescaled by the Q31 multiplier of
 *          1 / (sqrt(in_scale) * out_scale) with the shift taken back; v == in_zp gives 127.
 *   EXP    table of exp over the dequantized values (quant_lut.h's TensorFlow Lite table).
 *   LOG    the same with log, where inputs that dequantize to <= 0 map to the output's
 *          lowest value (TensorFlow Lite's table function returns the real value of -128).
 *
 * SQRT and RSQRT inputs below in_zp are negative numbers: an error at invoke, as in
 * TensorFlow Lite. One corner is defined here where TensorFlow Lite's C++ is not: a SQRT
 * quotient beyond the int32 range (an output scale below ~1e-8) saturates to 127. */
#include "elementwise_unary_int8.h"

#include <math.h>

#include "quant_inv_sqrt.h"
#include "quant_lut.h"
#include "quant_math.h"

static int8_t clamp_i8(int64_t v) {
    return (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
}

static lt_status abs_table(lt_context *ctx, const lt_node *node, float si, int32_t zi, float so,
                           int32_t zo, lt_unary_i8 *st) {
    const bool rescale = si != so;
    lt_qmul m = {0, 0};
    if (rescale && lt_quant_multiplier_checked(ctx, node, (double)(si / so),
                                               "input/output scale ratio", &m) != LT_OK)
        return LT_ERROR;
    for (int32_t v = INT8_MIN; v <= INT8_MAX; v++) {
        const int32_t mag = v >= zi ? v - zi : zi - v;
        const int32_t scaled = rescale ? lt_qmul_apply(mag, m) : mag;
        st->lut[(uint8_t)(int8_t)v] = clamp_i8((int64_t)scaled + zo);
    }
    return LT_OK;
}

static void sqrt_table(float si, int32_t zi, float so, int32_t zo, lt_unary_i8 *st) {
    for (int32_t v = zi; v <= INT8_MAX; v++) {
        const float q = sqrtf(si * (float)(v - zi)) / so;
        /* q >= 0; beyond int32 the C++ cast is undefined: saturate instead. */
        const int64_t t = q < 2147483648.0f ? (int64_t)q : INT64_C(1) << 32;
        st->lut[(uint8_t)(int8_t)v] = clamp_i8(t + zo);
    }
}

static lt_status rsqrt_table(lt_context *ctx, const lt_node *node, float si, int32_t zi,
                             float so, int32_t zo, lt_unary_i8 *st) {
    /* The shift TensorFlow Lite applies first and takes back in the final rescale. */
    enum { HEADROOM = 20 };
    lt_qmul m;
    if (lt_quant_multiplier_checked(ctx, node, 1.0 / (double)(sqrtf(si) * so),
                                    "output multiplier", &m) != LT_OK)
        return LT_ERROR;
    if (m.shift - HEADROOM < -31)
        return lt_ctx_error(ctx, node, "input scale %g and output scale %g give a multiplier "
                            "below 2^-12; not supported", (double)si, (double)so);
    for (int32_t v = zi; v <= INT8_MAX; v++) {
        int8_t r = INT8_MAX; /* v == zi: 1 / sqrt(0), taken as the largest output */
        if (v > zi) {
            int32_t inv;
            int inv_shift;
            lt_inv_sqrt_quantized(v - zi, &inv, &inv_shift);
            const int32_t one = lt_multiply_by_quantized_multiplier(1, inv, inv_shift + HEADROOM);
            r = clamp_i8((int64_t)lt_multiply_by_quantized_multiplier(one, m.multiplier,
                                                                      m.shift - HEADROOM) +
                         zo);
        }
        st->lut[(uint8_t)(int8_t)v] = r;
    }
    return LT_OK;
}

static float exp_fn(float x) { return expf(x); }
static float log_fn(float x) { return logf(x); }

static void log_table(float si, int32_t zi, float so, int32_t zo, lt_unary_i8 *st) {
    lt_lut_populate_i8(si, zi, so, zo, log_fn, st->lut);
    /* Where the input is <= 0, TensorFlow Lite's table function returns the real value of the
     * lowest output, which then goes through the same float steps as every entry. */
    const float lowest = (float)(INT8_MIN - zo) * so;
    const float q = roundf(lowest * (1.0f / so)) + (float)zo;
    const int8_t r = q > (float)INT8_MIN ? (q >= (float)INT8_MAX ? INT8_MAX : (int8_t)q)
                                         : INT8_MIN;
    for (int32_t v = INT8_MIN; v <= INT8_MAX; v++)
        if (si * (float)(v - zi) <= 0.0f) st->lut[(uint8_t)(int8_t)v] = r;
}

lt_status lt_unary_i8_prepare(lt_context *ctx, const lt_node *node, lt_unary_i8_kind kind,
                              lt_unary_i8 *st) {
    static const char *const names[] = {"ABS", "SQRT", "RSQRT", "EXP", "LOG"};
    float si, so;
    int32_t zi, zo;
    if (lt_quant_per_tensor(ctx, node, node->inputs[0], "input", INT8_MIN, INT8_MAX, &si,
                            &zi) != LT_OK ||
        lt_quant_per_tensor(ctx, node, node->outputs[0], "output", INT8_MIN, INT8_MAX, &so,
                            &zo) != LT_OK)
        return LT_ERROR;
    for (int i = 0; i < 256; i++) st->lut[i] = 0;
    st->min_valid = INT8_MIN;
    st->op_name = names[kind];
    switch (kind) {
    case LT_UNARY_I8_ABS: return abs_table(ctx, node, si, zi, so, zo, st);
    case LT_UNARY_I8_SQRT:
        st->min_valid = zi;
        sqrt_table(si, zi, so, zo, st);
        return LT_OK;
    case LT_UNARY_I8_RSQRT:
        st->min_valid = zi;
        return rsqrt_table(ctx, node, si, zi, so, zo, st);
    case LT_UNARY_I8_EXP:
        lt_lut_populate_i8(si, zi, so, zo, exp_fn, st->lut);
        return LT_OK;
    case LT_UNARY_I8_LOG: log_table(si, zi, so, zo, st); return LT_OK;
    }
    return lt_ctx_error(ctx, node, "unknown int8 unary op %d", (int)kind);
}

lt_status lt_unary_i8_run(lt_context *ctx, const lt_node *node, const lt_unary_i8 *st,
                          const int8_t *in, int8_t *out, int64_t n) {
    if (st->min_valid > INT8_MIN) {
        for (int64_t i = 0; i < n; i++)
            if (in[i] < st->min_valid)
                return lt_ctx_error(ctx, node, "input element %lld is %d, below the zero point "
                                    "%d: %s is only defined for non-negative values",
                                    (long long)i, (int)in[i], (int)st->min_valid, st->op_name);
    }
    lt_lut_apply_i8(st->lut, in, out, n);
    return LT_OK;
}
