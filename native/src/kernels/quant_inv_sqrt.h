/* 1 / sqrt(x) of an integer as a quantized multiplier, in fixed point: TensorFlow Lite's
 * GetInvSqrtQuantizedMultiplierExp (with reverse_shift = -1, the only form its kernels use),
 * reproduced bit for bit because its int8 RSQRT and L2_NORMALIZATION build their outputs
 * from it. Shared by those two kernels (elementwise_unary_int8.c, l2_norm.c). */
#ifndef LITERT_KERNELS_QUANT_INV_SQRT_H
#define LITERT_KERNELS_QUANT_INV_SQRT_H

#include <stdint.h>

/* For x >= 0: *multiplier (Q31, > 0) and *shift (<= 0, a right shift in quant_math.h's
 * convention) with multiplier / 2^31 * 2^shift ~= 1 / sqrt(x), up to the fixed scaling
 * TensorFlow Lite's callers expect (they add their own left shift before applying it).
 * x <= 1 gives {INT32_MAX, 0}, as TensorFlow Lite treats 0 (undefined) like 1.
 * Five Newton-Raphson steps in Q3.28, as TensorFlow Lite runs them. */
void lt_inv_sqrt_quantized(int32_t x, int32_t *multiplier, int *shift);

#endif
