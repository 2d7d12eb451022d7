/* Fixed-point arithmetic of the quantized (int8 / uint8) kernels, following TensorFlow
 * Lite's quantization scheme so that results agree with it bit for bit.
 *
 * A real multiplier M > 0 (for a linear op: input_scale * weight_scale / output_scale) is
 * stored as a Q31 fraction q in [2^30, 2^31) and a power-of-two exponent `shift`, with
 * M ~= q / 2^31 * 2^shift (lt_quantize_multiplier). Applying it to an int32 accumulator
 * (lt_multiply_by_quantized_multiplier) uses TensorFlow Lite's default ("double rounding")
 * arithmetic: shift left by max(shift, 0), a saturating rounding doubling high multiply
 * by q, then a rounding (half away from zero) right shift by max(-shift, 0). This is the
 * arithmetic of TensorFlow Lite's reference kernels (ai_edge_litert's BUILTIN_REF resolver,
 * which is built without TFLITE_SINGLE_ROUNDING: checked bit for bit by the int8 tests); it
 * needs no floating point at invoke, so the int8 kernels run on microcontrollers without an
 * FPU. FULLY_CONNECTED's reference kernel rounds in double instead: lt_dmul below emulates
 * that with integers. (TensorFlow Lite's default CPU path, XNNPACK, instead
 * requantizes in float with ties to even; single ops then differ by 1 on ~0.1% of values.)
 *
 * Use: compute every multiplier once in prepare (lt_quantize_multiplier, or
 * lt_quant_channel_multipliers for per-channel weights, which allocates the arrays with
 * lt_ctx_alloc) and the clamp range of a fused activation (lt_quant_activation_range);
 * invoke then only does integer math with the static inline helpers below.
 *
 * Conventions: `shift` > 0 is a left shift (multiplier >= 1), < 0 a right shift. All
 * functions are free of undefined behaviour for every int32 input: products are formed in
 * int64; the left shift of the double-rounding path wraps like TensorFlow Lite's int32
 * arithmetic does in practice (done on uint32, converted back: implementation-defined, two's
 * complement on every compiler the project supports); right shifts of negative values are
 * arithmetic (implementation-defined in C11, arithmetic on GCC and Clang). */
#ifndef LITERT_KERNELS_QUANT_MATH_H
#define LITERT_KERNELS_QUANT_MATH_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"

/* A quantized multiplier: value ~= multiplier / 2^31 * 2^shift. multiplier is 0 (M == 0)
 * or in [2^30, 2^31). */
typedef struct lt_qmul {
    int32_t multiplier;
    int32_t shift;
} lt_qmul;

/* ---- Core fixed-point primitives (gemmlowp semantics) ---------------------------------- */

/* round(a * b / 2^31), ties away from zero, saturating the one overflowing case
 * (a == b == INT32_MIN gives INT32_MAX). TensorFlow Lite / gemmlowp's
 * SaturatingRoundingDoublingHighMul. */
static inline int32_t lt_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C division truncates toward zero, as gemmlowp relies on. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31].
 * gemmlowp's RoundingDivideByPOT. */
static inline int32_t lt_rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^left_shift with int32 wrap-around (what TensorFlow Lite's `x * (1 << shift)`
 * computes on two's complement hardware), without signed overflow. left_shift in [0, 31]. */
static inline int32_t lt_shift_left_wrapping(int32_t x, int left_shift) {
    return (int32_t)((uint32_t)x << left_shift);
}

/* x * M for a multiplier from lt_quantize_multiplier (shift in [-31, 30]): TensorFlow
 * Lite's MultiplyByQuantizedMultiplier (double-rounding variant, its default build). */
static inline int32_t lt_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                          int shift) {
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    return lt_rounding_divide_by_pot(
        lt_sat_rounding_doubling_high_mul(lt_shift_left_wrapping(x, left_shift), multiplier),
        right_shift);
}

static inline int32_t lt_qmul_apply(int32_t x, lt_qmul m) {
    return lt_multiply_by_quantized_multiplier(x, m.multiplier, m.shift);
}

/* The same for a multiplier < 1 (shift <= 0) applied to a value already shifted left by
 * the caller: TensorFlow Lite's MultiplyByQuantizedMultiplierSmallerThanOneExp, used by
 * ADD/SUB after their left_shift of 20. */
static inline int32_t lt_multiply_by_quantized_multiplier_smaller_than_one(int32_t x,
                                                                           int32_t multiplier,
                                                                           int shift) {
    return lt_rounding_divide_by_pot(lt_sat_rounding_doubling_high_mul(x, multiplier), -shift);
}

/* x * 2^shift for shift in [0, 31] with TensorFlow Lite's MultiplyByQuantizedMultiplier-
 * GreaterThanOne semantics (the left shift wraps, then the Q31 multiply). */
static inline int32_t lt_multiply_by_quantized_multiplier_greater_than_one(int32_t x,
                                                                           int32_t multiplier,
                                                                           int left_shift) {
    return lt_sat_rounding_doubling_high_mul(lt_shift_left_wrapping(x, left_shift), multiplier);
}

static inline int32_t lt_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Requantizes an int32 accumulator to an output value: acc * M + zero_point, clamped to
 * [lo, hi] (the activation range from lt_quant_activation_range). The addition is done in
 * int64 so no accumulator can overflow it. */
static inline int32_t lt_requantize(int32_t acc, lt_qmul m, int32_t zero_point, int32_t lo,
                                    int32_t hi) {
    const int64_t v = (int64_t)lt_qmul_apply(acc, m) + zero_point;
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* ---- Requantization by a double multiplier, in integers --------------------------------- */
/* Measured with ai_edge_litert: its reference FULLY_CONNECTED int8 kernel (BUILTIN_REF) does
 * not round through the Q31 multiplier like CONV_2D's: its outputs are those of
 * round((double)acc * M) + zero_point, with M = input_scale * weight_scale / output_scale
 * evaluated in double and ties away from zero (the Q31 path differs from it on ~0.2% of
 * values, where the 32 bits of the Q31 multiplier are not enough). An lt_dmul holds that
 * double M exactly as an integer mantissa and a power of two, and lt_dmul_round reproduces
 * the double product and its rounding with integer operations only (no FPU at invoke). */
typedef struct lt_dmul {
    uint64_t mantissa; /* 0 (M == 0) or in [2^52, 2^53) */
    int32_t shift;     /* M = mantissa / 2^shift, shift in [1, 127] */
} lt_dmul;

/* Number of significant bits of v (0 for 0). */
static inline int lt_bit_length_u64(uint64_t v) {
    int n = 0;
    while (v != 0) {
        v >>= 1;
        n++;
    }
    return n;
}

/* round(fl(acc * M)), ties away from zero, where fl rounds the exact product to the nearest
 * double (ties to even) as the double multiplication does; saturated to [-2^40, 2^40] (every
 * value beyond the int32 range clamps the same way). With a = |acc| <= 2^31 and the mantissa
 * below 2^53 the exact product a * mantissa is below 2^84: it is formed as hi * 2^64 + lo
 * from two 32 x 32/53-bit partial products, reduced to 53 significant bits, and shifted. */
static inline int64_t lt_dmul_round(int32_t acc, lt_dmul m) {
    if (acc == 0 || m.mantissa == 0) return 0;
    const uint64_t a = acc < 0 ? (uint64_t)(-(int64_t)acc) : (uint64_t)acc;
    const uint64_t p0 = a * (m.mantissa & 0xffffffffu); /* < 2^63 */
    const uint64_t p1 = a * (m.mantissa >> 32);         /* < 2^52 */
    const uint64_t lo = p0 + (p1 << 32);
    const uint64_t hi = (p1 >> 32) + (lo < p0 ? 1u : 0u);
    /* keep * 2^dropped: the product rounded to 53 significant bits, ties to even */
    const int length = hi != 0 ? 64 + lt_bit_length_u64(hi) : lt_bit_length_u64(lo);
    const int dropped = length > 53 ? length - 53 : 0; /* <= 31 */
    uint64_t keep = lo;
    if (dropped > 0) {
        keep = (hi << (64 - dropped)) | (lo >> dropped);
        const uint64_t rest = lo & (((uint64_t)1 << dropped) - 1);
        const uint64_t half = (uint64_t)1 << (dropped - 1);
        if (rest > half || (rest == half && (keep & 1u))) keep++; /* keep <= 2^53 */
    }
    /* |value| = keep / 2^t, rounded half away from zero */
    const int t = m.shift - dropped;
    int64_t mag;
    if (t <= 0) {
        mag = (int64_t)1 << 40; /* |value| >= 2^52: saturated */
    } else if (t >= 60) {
        mag = 0; /* keep < 2^54: |value| < 2^-6 */
    } else {
        const uint64_t r = (keep + ((uint64_t)1 << (t - 1))) >> t; /* no overflow: < 2^60 */
        mag = r > ((uint64_t)1 << 40) ? (int64_t)1 << 40 : (int64_t)r;
    }
    return acc < 0 ? -mag : mag;
}

/* lt_dmul_round(acc) + zero_point clamped to [lo, hi]: TensorFlow Lite's reference
 * FULLY_CONNECTED int8 output stage. */
static inline int32_t lt_requantize_dmul(int32_t acc, lt_dmul m, int32_t zero_point, int32_t lo,
                                         int32_t hi) {
    const int64_t v = lt_dmul_round(acc, m) + zero_point;
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

/* ---- Prepare-time helpers (quant_math.c) ------------------------------------------------ */

/* TensorFlow Lite's QuantizeMultiplier: frexp(M) = f * 2^e, q = round(f * 2^31) (ties away
 * from zero), carrying q == 2^31 into the exponent; a multiplier below 2^-31 becomes 0.
 * Returns false (out untouched) when M is negative, NaN or infinite, or too large for a
 * shift <= 30; M == 0 gives {0, 0}. */
bool lt_quantize_multiplier(double real_multiplier, lt_qmul *out);

/* The exact lt_dmul of a double M >= 0 (see lt_dmul_round). Returns false (out untouched)
 * when M is negative, NaN, infinite or >= 2^52; M below 2^-74, which rounds every int32
 * accumulator to 0, gives the zero multiplier. */
bool lt_dmul_from_double(double real_multiplier, lt_dmul *out);

/* Same as lt_quantize_multiplier, recording an error naming `what` ("output multiplier")
 * when M is unusable. */
lt_status lt_quant_multiplier_checked(lt_context *ctx, const lt_node *node, double real_multiplier,
                                      const char *what, lt_qmul *out);

/* Per-tensor quantization of tensor `t`, checked: count must be 1 (or, with
 * allow_uniform_channels, several equal entries are accepted as one), scale finite and > 0,
 * zero point in [q_min, q_max]. `role` names the tensor in messages ("input", "output"). */
lt_status lt_quant_per_tensor(lt_context *ctx, const lt_node *node, const lt_tensor *t,
                              const char *role, int32_t q_min, int32_t q_max, float *scale,
                              int32_t *zero_point);

/* Integer range of a type: int8 [-128, 127], uint8 [0, 255], int16, int32. false for others. */
bool lt_quant_type_range(lt_type type, int32_t *q_min, int32_t *q_max);

/* The clamp range [*lo, *hi] of fused activation `act` for an output of the given scale and
 * zero point, intersected with [q_min, q_max]: TensorFlow Lite's
 * CalculateActivationRangeQuantized (bounds quantized as zp + round(bound / scale), float
 * division, ties away from zero). NONE (and TANH / SIGN_BIT, which TensorFlow Lite's
 * quantized kernels treat as NONE) give the whole range. Records an error for an activation
 * the runtime does not know. */
lt_status lt_quant_activation_range(lt_context *ctx, const lt_node *node, int act, float scale,
                                    int32_t zero_point, int32_t q_min, int32_t q_max,
                                    int32_t *lo, int32_t *hi);

/* Per-channel requantization multipliers of a linear op: for each of `channels` output
 * channels, M[c] = input_scale * weight_scale[c] / output_scale, computed in double from the
 * float scales as TensorFlow Lite does (its PopulateConvolutionQuantizationParams).
 * `weights` must carry either one scale (per tensor: every channel gets the same
 * multiplier) or `channels` scales along dimension `channel_dim`, all finite and > 0, with
 * zero points 0 (symmetric). The array comes from lt_ctx_alloc (lives with the plan).
 * Returns LT_ERROR (message recorded) on any violation. */
lt_status lt_quant_channel_multipliers(lt_context *ctx, const lt_node *node, float input_scale,
                                       const lt_tensor *weights, int channel_dim, int32_t channels,
                                       float output_scale, lt_qmul **out);

/* Per-channel multipliers laid out for the SIMD requantization (x86/requant_x86.h): three
 * int32 arrays of `padded` lanes (channels rounded up to a multiple of LT_REQUANT_LANES;
 * lanes past the last channel hold multiplier 0, which maps every accumulator to 0). */
enum { LT_REQUANT_LANES = 16 };
typedef struct lt_requant_vec {
    int32_t *mult;   /* Q31 multiplier, or 0 */
    int32_t *left;   /* max(shift, 0) */
    int32_t *right;  /* max(-shift, 0) */
    int32_t padded;
} lt_requant_vec;

/* Fills `out` from `channels` multipliers (arrays from lt_ctx_alloc). LT_ERROR on failure. */
lt_status lt_requant_vec_prepare(lt_context *ctx, const lt_node *node, const lt_qmul *m,
                                 int32_t channels, lt_requant_vec *out);

#endif
