/* Small NEON helpers shared by the AArch64 kernels of kernels/arm/ (include only from those
 * files, inside their `#if defined(__aarch64__)`).
 *
 * lt_neon_clamp_f32: the portable linear_clamp, bit for bit. FMAX / FMIN differ from it in
 * two ways: they return +0 for max(+0, -0) where `x < lo ? lo : x` keeps -0, and they
 * return the NaN whichever operand it is. Compare-and-select reproduces the C expression
 * exactly (a NaN x fails both compares and is kept).
 *
 * lt_neon_requant: lt_multiply_by_quantized_multiplier (TensorFlow Lite's double rounding)
 * on four lanes, bit for bit:
 *   - the left shift: SSHL by a non-negative count shifts without saturating, so it wraps
 *     like lt_shift_left_wrapping;
 *   - SQRDMULH computes saturate((2 a b + 2^31) >> 32) = floor((a b + 2^30) / 2^31), which
 *     is gemmlowp's SaturatingRoundingDoublingHighMul for both signs (its nudge 1 - 2^30 and
 *     truncating division reach the same floor for negative products), saturating the same
 *     one case (a = b = INT32_MIN);
 *   - the rounding right shift: SRSHL by -r rounds half up, floor((x + 2^(r-1)) / 2^r),
 *     while RoundingDivideByPOT rounds half away from zero. For negative x, taking 1 off
 *     first gives floor((x - 1 + 2^(r-1)) / 2^r) = ceil((x - 2^(r-1)) / 2^r), which is
 *     the away-from-zero rounding; the 1 is the sign bit of (x AND -r) (the AND is 0 when
 *     r = 0, so nothing changes then). The subtraction saturates (SQADD) so INT32_MIN
 *     stays put, and floor((INT32_MIN + 2^(r-1)) / 2^r) is still the exact quotient.
 *     SRSHL rounds with the sum formed in more than 32 bits: no overflow near INT32_MAX. */
#ifndef LITERT_KERNELS_ARM_NEON_COMMON_H
#define LITERT_KERNELS_ARM_NEON_COMMON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#define LT_NEON_INLINE inline __attribute__((always_inline))

static LT_NEON_INLINE float32x4_t lt_neon_clamp_f32(float32x4_t x, float32x4_t lo,
                                                    float32x4_t hi) {
    x = vbslq_f32(vcltq_f32(x, lo), lo, x); /* x < lo ? lo : x */
    return vbslq_f32(vcltq_f32(hi, x), hi, x); /* hi < x ? hi : x */
}

/* acc * M per lane; mult the Q31 multiplier (or 0), left = max(shift, 0), neg_right =
 * -max(-shift, 0). */
static LT_NEON_INLINE int32x4_t lt_neon_requant(int32x4_t acc, int32x4_t mult, int32x4_t left,
                                                int32x4_t neg_right) {
    const int32x4_t x = vshlq_s32(acc, left);
    const int32x4_t h = vqrdmulhq_s32(x, mult);
    const int32x4_t fix = vshrq_n_s32(vandq_s32(h, neg_right), 31);
    return vrshlq_s32(vqaddq_s32(h, fix), neg_right);
}

/* Lanes [a, b) of four floats at p (a < b <= 4), the other lanes 0; reads only those. */
static inline float32x4_t lt_neon_load_lanes_f32(const float *p, uint32_t a, uint32_t b) {
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t + a, p + a, (size_t)(b - a) * sizeof(float));
    return vld1q_f32(t);
}

/* Stores lanes [a, b) of v at p (a < b <= 4); writes only those. */
static inline void lt_neon_store_lanes_f32(float *p, float32x4_t v, uint32_t a, uint32_t b) {
    float t[4];
    vst1q_f32(t, v);
    memcpy(p + a, t + a, (size_t)(b - a) * sizeof(float));
}

#endif
