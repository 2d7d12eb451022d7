/* See quant_inv_sqrt.h. gemmlowp fixed point: a raw int32 r with k integer bits stands for
 * r / 2^(31 - k); the product of a k1- and a k2-bit value is their rounding doubling high
 * multiply, with k1 + k2 integer bits; rescaling to fewer integer bits is a saturating left
 * shift. */
#include "quant_inv_sqrt.h"

#include "quant_math.h"

/* x * 2^exponent saturated to int32, exponent in [1, 30]: gemmlowp's
 * SaturatingRoundingMultiplyByPOT for a positive exponent (exact when it does not saturate). */
static int32_t saturating_shift_left(int32_t x, int exponent) {
    const int32_t threshold = (int32_t)((UINT32_C(1) << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return lt_shift_left_wrapping(x, exponent);
}

static int count_leading_zeros_u32(uint32_t v) {
    int n = 0;
    for (uint32_t bit = UINT32_C(1) << 31; bit != 0 && (v & bit) == 0; bit >>= 1) n++;
    return n;
}

void lt_inv_sqrt_quantized(int32_t x, int32_t *multiplier, int *shift) {
    if (x <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    /* Bring x into [2^27, 2^29) by whole powers of 4, counting them in right_shift: the
     * square root of a power of 4 is a power of 2, which the shift carries. */
    int right_shift = 11;
    while (x >= (INT32_C(1) << 29)) {
        x /= 4;
        right_shift++;
    }
    const int left_pairs = (count_leading_zeros_u32((uint32_t)x) - 1) / 2 - 1;
    right_shift -= left_pairs;
    x = lt_shift_left_wrapping(x, 2 * left_pairs);

    /* Newton-Raphson for 1 / sqrt(x / 2^28) in Q3.28 (3 integer bits), starting at 1:
     * y <- 1.5 y - (x / 2) y^3. */
    const int32_t half_x = lt_rounding_divide_by_pot(x >> 1, 1);      /* Q3.28 */
    const int32_t three_halves = (INT32_C(1) << 28) + (INT32_C(1) << 27); /* 1.5 in Q3.28 */
    int32_t y = INT32_C(1) << 28;                                    /* 1.0 in Q3.28 */
    for (int i = 0; i < 5; i++) {
        const int32_t y2 = lt_sat_rounding_doubling_high_mul(y, y);     /* Q6 */
        const int32_t y3 = saturating_shift_left(lt_sat_rounding_doubling_high_mul(y2, y), 6);
        const int32_t a = lt_sat_rounding_doubling_high_mul(three_halves, y); /* Q6 */
        const int32_t b = lt_sat_rounding_doubling_high_mul(half_x, y3);     /* Q6 */
        /* gemmlowp subtracts raw values with plain int32 arithmetic; done here without
         * signed overflow (the values stay far from the limits in practice). */
        y = saturating_shift_left((int32_t)((uint32_t)a - (uint32_t)b), 3);
    }
    /* times sqrt(2) / 2 in Q0.31: the caller's scaling expects it. */
    y = lt_sat_rounding_doubling_high_mul(y, 1518500250);
    if (right_shift < 0) {
        y = lt_shift_left_wrapping(y, -right_shift);
        right_shift = 0;
    }
    *multiplier = y;
    *shift = -right_shift;
}
