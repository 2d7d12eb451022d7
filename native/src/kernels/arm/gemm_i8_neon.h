/* Shared by the AArch64 int8 GEMM micro-kernels (gemm_i8_neon.c: SMULL / SADALP;
 * gemm_i8_neondot.c: SDOT): the CONV_2D output stage of one 16-channel block and the
 * loads of a row's next group of 4 bytes. Layout GEMM_I8_K4_I8 (../gemm_i8.h): per block,
 * per group of 4 k, 16 channels x 4 consecutive int8 weights (64 bytes, four q registers
 * of 4 channels each); offsets bias - zp * colsum. */
#ifndef LITERT_KERNELS_ARM_GEMM_I8_NEON_H
#define LITERT_KERNELS_ARM_GEMM_I8_NEON_H

#include "../gemm_i8.h"
#include "neon_common.h"

/* The 4 bytes at p as an int32 broadcast to every lane. */
static LT_NEON_INLINE int8x16_t gemm_i8_neon_group4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* The 4 bytes at p + k as an int32 broadcast to every lane (the bytes past `len` read as 0:
 * FULLY_CONNECTED rows hold k values, not kp; their packed weights there are 0 anyway). */
static LT_NEON_INLINE int8x16_t gemm_i8_neon_group(const int8_t *p, int64_t k, int64_t len) {
    int32_t v = 0;
    const int64_t n = len - k < 4 ? len - k : 4;
    if (n > 0) memcpy(&v, p + k, (size_t)n);
    return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* Requantizes the 16 accumulators of block b (channels b * 16 + 4q + lane in acc[q]) and
 * stores the first `valid` (<= 16) bytes at y: lt_neon_requant per channel, the clamp in
 * [lo - zp, hi - zp] (before the zero point, so that nothing can wrap), + zp. */
static LT_NEON_INLINE void gemm_i8_neon_store(const int32x4_t acc[4], const gemm_i8_requant *o,
                                              int32_t b, int32_t valid, int8_t *y) {
    const int32_t c0 = b * GEMM_I8_NR;
    const int32x4_t zp = vdupq_n_s32(o->zero_point);
    const int32x4_t lo = vdupq_n_s32(o->lo - o->zero_point);
    const int32x4_t hi = vdupq_n_s32(o->hi - o->zero_point);
    int16x4_t h[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
        const int32_t c = c0 + 4 * q;
        int32x4_t v = lt_neon_requant(acc[q], vld1q_s32(o->rq.mult + c),
                                      vld1q_s32(o->rq.left + c),
                                      vnegq_s32(vld1q_s32(o->rq.right + c)));
        v = vaddq_s32(vminq_s32(vmaxq_s32(v, lo), hi), zp);
        h[q] = vqmovn_s32(v); /* within [-128, 127]: the narrowings only narrow */
    }
    const int8x16_t bytes = vcombine_s8(vqmovn_s16(vcombine_s16(h[0], h[1])),
                                        vqmovn_s16(vcombine_s16(h[2], h[3])));
    if (valid >= GEMM_I8_NR) {
        vst1q_s8(y, bytes);
    } else {
        int8_t tmp[GEMM_I8_NR];
        vst1q_s8(tmp, bytes);
        memcpy(y, tmp, (size_t)valid);
    }
}

#endif
