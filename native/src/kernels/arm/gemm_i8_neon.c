/* int8 GEMM micro-kernels for AArch64 NEON without the dot-product instructions (layout
 * GEMM_I8_K4_I8, contract: ../gemm_i8.h); gemm_i8_neondot.c is the SDOT version.
 *
 * Per group of 4 k and 4 channels (one 16-byte weight register: channel c's 4 weights
 * side by side), SMULL / SMULL2 multiply the weights by the row's 4 bytes repeated,
 * giving 16 exact int16 products (|128 * 128| = 2^14), and SADALP adds neighbouring pairs
 * of them into int32 lanes, wrapping: lane pairs (2c, 2c + 1) of the two accumulators
 * then hold channel c's partial sums over k = 0, 1 and k = 2, 3 of each group. One final
 * ADDP per 4 channels adds the pairs. Sums modulo 2^32 do not depend on their order, so
 * the results equal the portable kernel's bit for bit. (Accumulating two products in
 * int16 before widening would be faster but overflows for -128 * -128 twice.)
 *
 * Conv: 2 rows x 16 channels per tile, 16 accumulators (8 per row). FC: rows in pairs, the
 * last group of a row read through a zero-padded copy. */
#if defined(__aarch64__)
#include "gemm_i8_neon.h"

#define MR GEMM_I8_MR_NEON

/* acc[r][2q + h]: channels 4q .. 4q + 3 of the block, half h (channels 4q, 4q + 1 or
 * 4q + 2, 4q + 3), two lanes each; rows, len, kp and `whole` as in gemm_i8_neondot.c's
 * dot_tile. */
static LT_NEON_INLINE void mull_tile(const int rows, const bool whole, const int8_t *const *ap,
                                     int64_t len, int64_t kp, const int8_t *w,
                                     int32x4_t acc[][8]) {
    for (int64_t k = 0; k < kp; k += 4) {
        int8x16_t x[MR];
#pragma GCC unroll 2
        for (int r = 0; r < rows; r++)
            x[r] = whole || k + 4 <= len ? gemm_i8_neon_group4(ap[r] + k)
                                         : gemm_i8_neon_group(ap[r], k, len);
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
            const int8x16_t wq = vld1q_s8(w + 16 * q);
#pragma GCC unroll 2
            for (int r = 0; r < rows; r++) {
                acc[r][2 * q] =
                    vpadalq_s16(acc[r][2 * q], vmull_s8(vget_low_s8(wq), vget_low_s8(x[r])));
                acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], vmull_high_s8(wq, x[r]));
            }
        }
        w += 64;
    }
}

/* The 16 sums of row r of block b (offsets included) as 4 vectors of 4 channels. */
static LT_NEON_INLINE void block_tile(const int rows, const bool whole, const gemm_i8_packed *p,
                                      const int8_t *const *ap, int64_t len, int32_t b,
                                      int32x4_t out[][4]) {
    int32x4_t acc[MR][8];
#pragma GCC unroll 2
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 8
        for (int h = 0; h < 8; h++) acc[r][h] = vdupq_n_s32(0);
    mull_tile(rows, whole, ap, len, p->kp, (const int8_t *)p->w + (int64_t)b * p->kp * GEMM_I8_NR,
              acc);
    const int32_t *offset = p->offset + b * GEMM_I8_NR;
#pragma GCC unroll 2
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++)
            out[r][q] = vaddq_s32(vld1q_s32(offset + 4 * q),
                                  vpaddq_s32(acc[r][2 * q], acc[r][2 * q + 1]));
}

void gemm_i8_conv_neon(const gemm_i8_packed *p, const gemm_i8_requant *o, const void *const *a,
                       int32_t rows, int8_t *y, int64_t y_stride) {
    /* rows past the valid ones repeat the last: computed, never stored */
    const int8_t *ap[MR];
    for (int r = 0; r < MR; r++) ap[r] = a[r < rows ? r : rows - 1];
    for (int32_t b = 0; b < p->blocks; b++) {
        int32x4_t acc[MR][4];
        block_tile(MR, true, p, ap, p->kp, b, acc);
        const int32_t valid = p->n - b * GEMM_I8_NR;
#pragma GCC unroll 2
        for (int r = 0; r < MR; r++) {
            if (r >= rows) break;
            gemm_i8_neon_store(acc[r], o, b, valid, y + r * y_stride + b * GEMM_I8_NR);
        }
    }
}

void gemm_i8_fc_neon(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride, int32_t rows,
                     int32_t block, int32_t nblocks, int32_t *acc) {
    for (int32_t r0 = 0; r0 < rows; r0 += MR) {
        const int8_t *ap[MR] = {x + r0 * x_stride,
                                x + (r0 + 1 < rows ? r0 + 1 : r0) * x_stride};
        const int n = rows - r0 < MR ? rows - r0 : MR;
        for (int32_t j = 0; j < nblocks; j++) {
            int32x4_t t[MR][4];
            if (n == 1) block_tile(1, false, p, ap, p->k, block + j, t);
            else block_tile(2, false, p, ap, p->k, block + j, t);
            for (int r = 0; r < n; r++)
                for (int q = 0; q < 4; q++)
                    vst1q_s32(acc + (r0 + r) * GEMM_I8_FC_BLOCKS * GEMM_I8_NR + j * GEMM_I8_NR +
                                  4 * q,
                              t[r][q]);
        }
    }
}
#endif
