/* SIMD kernels of AVERAGE_POOL_2D, MAX_POOL_2D (pooling.c) and of MEAN over the middle axis
 * of a [K, R, C] input (reduce.c: global average pooling), float32 and int8, in
 * kernels/x86/pool_* and kernels/arm/pool_neon.c. Picked at prepare when lt_ctx_isa allows it.
 *
 * Every output is computed by the same operations as the portable kernel, in the same order,
 * so the results are bit-identical (float32 included) whatever the range of outputs a call
 * writes:
 *   max      the running maximum starts at -FLT_MAX (int8: -128) and takes a cell only when it
 *            is larger (MAXPS with the cell first: a NaN cell is skipped);
 *   average  cells summed row by row in float (int8: in int32), then divided by the number
 *            of cells inside the input (float: one IEEE division; int8: rounded half away
 *            from zero, through a float division that is exact for windows of at most
 *            LT_POOL_Q8_MAX_CELLS cells, see pool_*_avx*.c);
 *   MEAN     out[k, c] = (((0 + x[k, 0, c]) + x[k, 1, c]) + ...) / count in float; int8 sums
 *            in int32 (wrapping: the portable kernel keeps the sum modulo 2^32 too), then
 *            TensorFlow Lite's requantization.
 * Channels map to vector lanes, so nothing is reassociated. The kernels write a range of
 * output rows (pools: rows of (batch, y)) or outputs (MEAN), so threads can split them. */
#ifndef LITERT_KERNELS_POOL_SIMD_H
#define LITERT_KERNELS_POOL_SIMD_H

#include <stdint.h>

#include "conv_common.h"
#include "quant_math.h"

/* Windows larger than this stay on the portable int8 average (see above). */
enum { LT_POOL_Q8_MAX_CELLS = 65536 };

typedef struct lt_pool_params {
    conv_geometry g;    /* in_c == out_c, dilation 1 */
    float lo, hi;       /* float32: the fused clamp ([-inf, inf] for none) */
    int32_t q_lo, q_hi; /* int8: the fused activation's quantized clamp */
} lt_pool_params;

/* Writes output rows [row0, row1) of the pool, row r = (batch r / out_h, y r % out_h). */
typedef void (*lt_pool_rows_fn)(const lt_pool_params *p, const void *in, void *out,
                                int64_t row0, int64_t row1);

/* MEAN over the middle axis of [K, R, C] (C > 1). int8: out = clamp(requant(sum - sub) + zp). */
typedef struct lt_mean_params {
    int64_t k, r, c;
    float count;        /* float32: the divisor, (float)R */
    lt_qmul mul;        /* int8: multiplier with 1 / R folded in (reduce.c) */
    int64_t sub;        /* int8: in_zp * R */
    int32_t zp;         /* int8: the output zero point */
} lt_mean_params;

/* Writes outputs [o0, o1) of the K * C, output o = k * C + c. */
typedef void (*lt_mean_rows_fn)(const lt_mean_params *p, const void *in, void *out,
                                int64_t o0, int64_t o1);

#if defined(LITERT_X86_KERNELS)
void lt_max_pool_f32_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1);
void lt_avg_pool_f32_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1);
void lt_max_pool_q8_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1);
void lt_avg_pool_q8_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1);
void lt_mean_f32_avx2(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                      int64_t o1);
void lt_mean_q8_avx2(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                     int64_t o1);

void lt_max_pool_f32_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                            int64_t row1);
void lt_avg_pool_f32_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                            int64_t row1);
void lt_max_pool_q8_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                           int64_t row1);
void lt_avg_pool_q8_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                           int64_t row1);
void lt_mean_f32_avx512(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                        int64_t o1);
void lt_mean_q8_avx512(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                       int64_t o1);
#endif

#include "arm/neon_build.h"
#if defined(LT_NEON_KERNELS)
/* AArch64 NEON (arm/pool_neon.c) */
void lt_max_pool_f32_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1);
void lt_avg_pool_f32_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1);
void lt_max_pool_q8_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1);
void lt_avg_pool_q8_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1);
void lt_mean_f32_neon(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                      int64_t o1);
void lt_mean_q8_neon(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                     int64_t o1);
#endif

#endif
