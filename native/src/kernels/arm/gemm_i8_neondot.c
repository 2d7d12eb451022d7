/* int8 GEMM micro-kernels for AArch64 with the dot-product instructions (Armv8.2 SDOT;
 * layout GEMM_I8_K4_I8, contract: ../gemm_i8.h).
 *
 * SDOT adds, in each int32 lane, the four products of 4 signed bytes of one operand by 4
 * signed bytes of the other; each group of four fits int32 (4 * 128 * 128) and the addition
 * wraps, so the lane sums equal the portable kernels' int32 sums modulo 2^32. The packed
 * weights hold, per group of 4 k, four registers of 4 channels x 4 k; a row's 4 bytes of
 * the same group are the other operand, taken from a lane of a 16-byte load of the row
 * (SDOT by element), so both operands are used as they are: no sign flip, no row sums.
 *
 * Conv: 4 rows x 16 channels per tile (16 accumulators): per 16 k, one load per row and
 * 16 weight registers feed 64 SDOT. The groups left after the 16-byte steps go one at a
 * time with a broadcast of the row's 4 bytes. FC: the same tile on the int8 rows read in
 * place (k values each: the last group is read through a zero-padded copy). */
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include "gemm_i8_neon.h"

#define MR GEMM_I8_MR_NEONDOT

/* acc[r][q] += the products of rows ap[0 .. rows) (each `len` readable values, kp >= len
 * rounded up to 4) with one block's packed weights w. `whole` (a constant): len == kp, so
 * every group is read directly. */
static LT_NEON_INLINE void dot_tile(const int rows, const bool whole, const int8_t *const *ap,
                                    int64_t len, int64_t kp, const int8_t *w,
                                    int32x4_t acc[][4]) {
    if (whole) len = kp;
    int64_t k = 0;
    for (; k + 16 <= len; k += 16) {
        int8x16_t x[MR];
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) x[r] = vld1q_s8(ap[r] + k);
#pragma GCC unroll 4
        for (int lane = 0; lane < 4; lane++) {
#pragma GCC unroll 4
            for (int q = 0; q < 4; q++) {
                const int8x16_t wq = vld1q_s8(w + 16 * q);
#pragma GCC unroll 4
                for (int r = 0; r < rows; r++) {
                    switch (lane) { /* the lane index must be a constant */
                    case 0: acc[r][q] = vdotq_laneq_s32(acc[r][q], wq, x[r], 0); break;
                    case 1: acc[r][q] = vdotq_laneq_s32(acc[r][q], wq, x[r], 1); break;
                    case 2: acc[r][q] = vdotq_laneq_s32(acc[r][q], wq, x[r], 2); break;
                    default: acc[r][q] = vdotq_laneq_s32(acc[r][q], wq, x[r], 3); break;
                    }
                }
            }
            w += 64;
        }
    }
    /* whole groups of 4, then (FC rows only, len < kp) one group read past len as zeros */
    for (; k < kp; k += 4) {
        int8x16_t x[MR];
        if (whole || k + 4 <= len) {
#pragma GCC unroll 4
            for (int r = 0; r < rows; r++) x[r] = gemm_i8_neon_group4(ap[r] + k);
        } else {
#pragma GCC unroll 4
            for (int r = 0; r < rows; r++) x[r] = gemm_i8_neon_group(ap[r], k, len);
        }
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            const int8x16_t wq = vld1q_s8(w + 16 * q);
#pragma GCC unroll 4
            for (int r = 0; r < rows; r++) acc[r][q] = vdotq_s32(acc[r][q], wq, x[r]);
        }
        w += 64;
    }
}

/* Accumulators of `rows` rows for block b, from the block's offsets. */
static LT_NEON_INLINE void block_tile(const int rows, const bool whole, const gemm_i8_packed *p,
                                      const int8_t *const *ap, int64_t len, int32_t b,
                                      int32x4_t acc[][4]) {
    const int32_t *offset = p->offset + b * GEMM_I8_NR;
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) acc[r][q] = vld1q_s32(offset + 4 * q);
    dot_tile(rows, whole, ap, len, p->kp, (const int8_t *)p->w + (int64_t)b * p->kp * GEMM_I8_NR,
             acc);
}

void gemm_i8_conv_neondot(const gemm_i8_packed *p, const gemm_i8_requant *o,
                          const void *const *a, int32_t rows, int8_t *y, int64_t y_stride) {
    /* rows past the valid ones repeat the last: computed, never stored */
    const int8_t *ap[MR];
    for (int r = 0; r < MR; r++) ap[r] = a[r < rows ? r : rows - 1];
    for (int32_t b = 0; b < p->blocks; b++) {
        int32x4_t acc[MR][4];
        block_tile(MR, true, p, ap, p->kp, b, acc);
        const int32_t valid = p->n - b * GEMM_I8_NR;
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            if (r >= rows) break;
            gemm_i8_neon_store(acc[r], o, b, valid, y + r * y_stride + b * GEMM_I8_NR);
        }
    }
}

void gemm_i8_fc_neondot(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                        int32_t rows, int32_t block, int32_t nblocks, int32_t *acc) {
    const int8_t *ap[MR];
    for (int r = 0; r < MR; r++) ap[r] = x + (r < rows ? r : rows - 1) * x_stride;
    for (int32_t j = 0; j < nblocks; j++) {
        int32x4_t t[MR][4];
        switch (rows) {
        case 1: block_tile(1, false, p, ap, p->k, block + j, t); break;
        case 2: block_tile(2, false, p, ap, p->k, block + j, t); break;
        case 3: block_tile(3, false, p, ap, p->k, block + j, t); break;
        default: block_tile(4, false, p, ap, p->k, block + j, t); break;
        }
        for (int32_t r = 0; r < rows; r++)
            for (int q = 0; q < 4; q++)
                vst1q_s32(acc + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR + j * GEMM_I8_NR + 4 * q,
                          t[r][q]);
    }
}
#endif
