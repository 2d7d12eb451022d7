/* Pieces of TensorFlow Lite's int8 arithmetic that quant_math.h does not cover: the 256-entry
 * lookup tables of its int8 activations (LOGISTIC, TANH, ELU, GELU, ...) and the 16-bit
 * gemmlowp primitives of its int8 HARD_SWISH.
 *
 * Lookup tables: for every int8 value v the table holds
 *   clamp(round(f(in_scale * (v - in_zp)) * (1 / out_scale)) + out_zp, -128, 127)
 * with every step in float as TensorFlow Lite's LUTPopulate does (f evaluated in float, the
 * reciprocal of the output scale formed once, round half away from zero), indexed by the
 * value's bit pattern (uint8_t)v. Built once in prepare; invoke is one load per element. */
#ifndef LITERT_KERNELS_QUANT_LUT_H
#define LITERT_KERNELS_QUANT_LUT_H

#include <math.h>
#include <stdint.h>

/* ---- int8 lookup tables ----------------------------------------------------------------- */

typedef float (*lt_lut_fn)(float x);

static inline void lt_lut_populate_i8(float in_scale, int32_t in_zp, float out_scale,
                                      int32_t out_zp, lt_lut_fn fn, int8_t lut[256]) {
    const float inverse_scale = 1.0f / out_scale;
    for (int32_t v = INT8_MIN; v <= INT8_MAX; v++) {
        const float dequantized = in_scale * (float)(v - in_zp);
        const float rescaled = roundf(fn(dequantized) * inverse_scale);
        const float q = rescaled + (float)out_zp;
        /* Clamp in float so that no conversion overflows; NaN (which x86 converts to
         * INT32_MIN in TensorFlow Lite's static_cast) becomes the lowest value. */
        int32_t r;
        if (!(q > (float)INT8_MIN)) r = INT8_MIN;
        else if (q >= (float)INT8_MAX) r = INT8_MAX;
        else r = (int32_t)q; /* q is already integral */
        lut[(uint8_t)(int8_t)v] = (int8_t)r;
    }
}

static inline void lt_lut_apply_i8(const int8_t lut[256], const int8_t *in, int8_t *out,
                                   int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = lut[(uint8_t)in[i]];
}

/* ---- 16-bit gemmlowp primitives (int8 HARD_SWISH) --------------------------------------- */

/* round(a * b / 2^15), ties away from zero; a == b == INT16_MIN saturates to INT16_MAX. */
static inline int16_t lt_sat_rounding_doubling_high_mul_i16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15)); /* C division truncates, as gemmlowp's */
}

/* a * b / 2^15 truncated toward zero, saturating the one overflowing case. */
static inline int16_t lt_sat_doubling_high_mul_i16(int16_t a, int16_t b) {
    if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* x / 2^exponent rounded to nearest, ties away from zero, for exponent in [0, 15]; and for
 * exponent in [16, 31] what gemmlowp's int16 RoundingDivideByPOT gives there (TensorFlow
 * Lite's HARD_SWISH reaches it with tiny scales): its mask (2^exponent - 1) truncates to all
 * ones in 16 bits, so the result is 1 for x >= 0 and -1 for x < 0. */
static inline int16_t lt_rounding_divide_by_pot_i16(int16_t x, int exponent) {
    if (exponent >= 16) return (int16_t)(x < 0 ? -1 : 1);
    const int32_t mask = (1 << exponent) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* x * 2^shift saturated to int16; shift in [0, 15]. */
static inline int16_t lt_saturating_left_shift_i16(int16_t x, int shift) {
    const int32_t wide = (int32_t)x * (1 << shift);
    return (int16_t)(wide > INT16_MAX ? INT16_MAX : (wide < INT16_MIN ? INT16_MIN : wide));
}

/* A Q31 multiplier (>= 0) rounded to Q15, saturating at INT16_MAX: TensorFlow Lite's
 * DownScaleInt32ToInt16Multiplier. */
static inline int16_t lt_downscale_multiplier_i16(int32_t m) {
    const int32_t rounding = 1 << 15;
    if (m >= INT32_MAX - rounding) return INT16_MAX;
    return (int16_t)((m + rounding) >> 16);
}

#endif
