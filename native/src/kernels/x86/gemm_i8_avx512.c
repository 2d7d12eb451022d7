/* int8 GEMM micro-kernels for AVX-512 F/BW without VNNI (layout GEMM_I8_K2_I16, contract:
 * ../gemm_i8.h).
 *
 * vpmaddwd multiplies int16 pairs and adds each pair into an int32 lane: with operands
 * sign-extended from int8 every product and pair sum is exact, and the accumulation wraps
 * modulo 2^32 like the portable kernels' sums. (vpmaddubsw on bytes would be one step
 * shorter but saturates its int16 pair sums, so it is not used.)
 *
 * Conv: 8 rows x 32 channels per tile (16 accumulators): per 2 k, two weight vectors and
 * eight int16-pair broadcasts of the panel (a = x sign-extended, packed by the caller) feed
 * 16 vpmaddwd + 16 vpaddd. A lone last block runs 8 x 16.
 * FC: up to 4 rows x 64 channels, building each broadcast from two bytes of the int8 row. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "../gemm_i8.h"

#define MR GEMM_I8_MR_AVX512
#define ALWAYS_INLINE inline __attribute__((always_inline))

static inline int32_t load_u32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* What one conv call stores (gemm_i8.h). */
typedef gemm_i8_conv_out conv_out;

/* rows x (16 * nb) tile of blocks [b, b + nb); hybrid: float output stage. */
static ALWAYS_INLINE void conv_tile(const int nb, const bool hybrid, const gemm_i8_packed *p,
                                    const conv_out *out, const int16_t *const *ap,
                                    int32_t rows, int32_t b) {
    const int64_t kp = p->kp;
    const int16_t *w = (const int16_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    __m512i acc[MR][2];
#pragma GCC unroll 2
    for (int j = 0; j < nb; j++) {
        const __m512i off = _mm512_loadu_si512(p->offset + (b + j) * GEMM_I8_NR);
        const __m512i colsum =
            hybrid ? _mm512_loadu_si512(out->h->colsum + (b + j) * GEMM_I8_NR) : off;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
            acc[r][j] = hybrid ? gemm_i8_hybrid_start_avx512(off, colsum, out->zp[r]) : off;
    }
    const int16_t *w1 = w + kp * GEMM_I8_NR;
    for (int64_t k = 0; k < kp; k += 2) {
        const __m512i b0 = _mm512_loadu_si512(w + k * GEMM_I8_NR);
        const __m512i b1 = nb > 1 ? _mm512_loadu_si512(w1 + k * GEMM_I8_NR) : b0;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512i a = _mm512_set1_epi32(load_u32(ap[r] + k));
            acc[r][0] = _mm512_add_epi32(acc[r][0], _mm512_madd_epi16(a, b0));
            if (nb > 1) acc[r][1] = _mm512_add_epi32(acc[r][1], _mm512_madd_epi16(a, b1));
        }
    }
    gemm_i8_store_tile_avx512(hybrid, MR, nb, p, out, acc, rows, b);
}

/* All blocks of one call; rows past the valid ones repeat the last: computed, never
 * stored. */
static ALWAYS_INLINE void conv_run(const bool hybrid, const gemm_i8_packed *p,
                                   const conv_out *out, const void *const *a, int32_t rows) {
    const int16_t *ap[MR];
    for (int r = 0; r < MR; r++) ap[r] = a[r < rows ? r : rows - 1];
    int32_t b = 0;
    for (; b + 2 <= p->blocks; b += 2) conv_tile(2, hybrid, p, out, ap, rows, b);
    if (b < p->blocks) conv_tile(1, hybrid, p, out, ap, rows, b);
}

void gemm_i8_conv_avx512(const gemm_i8_packed *p, const gemm_i8_requant *o,
                         const void *const *a, int32_t rows, int8_t *y, int64_t y_stride) {
    const conv_out out = {.o = o, .y8 = y, .y_stride = y_stride};
    conv_run(false, p, &out, a, rows);
}

void gemm_i8_conv_hybrid_avx512(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                                const void *const *a, const int32_t *row_zp,
                                const float *row_scale, int32_t rows, float *y,
                                int64_t y_stride) {
    int32_t zp[MR];
    float scale[MR];
    for (int r = 0; r < MR; r++) {
        zp[r] = row_zp[r < rows ? r : rows - 1];
        scale[r] = row_scale[r < rows ? r : rows - 1];
    }
    const conv_out out = {.h = o, .zp = zp, .scale = scale, .yf = y, .y_stride = y_stride};
    conv_run(true, p, &out, a, rows);
}

/* x[k] and x[k + 1] sign-extended to an int16 pair; x[k + 1] past the row's end reads as 0
 * (its weight is zero). */
static ALWAYS_INLINE __m512i fc_broadcast(const int8_t *x, int64_t k, int64_t depth) {
    const uint32_t lo = (uint16_t)(int16_t)x[k];
    const uint32_t hi = k + 1 < depth ? (uint16_t)(int16_t)x[k + 1] : 0u;
    return _mm512_set1_epi32((int32_t)(lo | hi << 16));
}

static ALWAYS_INLINE void fc_tile(const int rows, const int nb, const gemm_i8_packed *p,
                                  const int8_t *x, int64_t x_stride, int32_t b,
                                  int32_t *out) {
    const int64_t kp = p->kp, depth = p->k;
    const int16_t *w = (const int16_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    __m512i acc[GEMM_I8_FC_ROWS][GEMM_I8_FC_BLOCKS];
#pragma GCC unroll 4
    for (int j = 0; j < nb; j++) {
        const __m512i off = _mm512_loadu_si512(p->offset + (b + j) * GEMM_I8_NR);
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) acc[r][j] = off;
    }
    for (int64_t k = 0; k < depth; k += 2) {
        __m512i wv[GEMM_I8_FC_BLOCKS];
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++) wv[j] = _mm512_loadu_si512(w + (j * kp + k) * GEMM_I8_NR);
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            const __m512i a = fc_broadcast(x + r * x_stride, k, depth);
#pragma GCC unroll 4
            for (int j = 0; j < nb; j++)
                acc[r][j] = _mm512_add_epi32(acc[r][j], _mm512_madd_epi16(a, wv[j]));
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            _mm512_storeu_si512(out + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR + j * GEMM_I8_NR,
                                acc[r][j]);
}

void gemm_i8_fc_avx512(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                       int32_t rows, int32_t block, int32_t nblocks, int32_t *acc) {
    /* one instance per tile shape, so each keeps its accumulators in registers */
#define FC_CASE(R, NB)                                           \
    case (R - 1) * GEMM_I8_FC_BLOCKS + (NB - 1):                 \
        fc_tile(R, NB, p, x, x_stride, block, acc);              \
        break;
#define FC_ROW(R) FC_CASE(R, 1) FC_CASE(R, 2) FC_CASE(R, 3) FC_CASE(R, 4)
    switch ((rows - 1) * GEMM_I8_FC_BLOCKS + (nblocks - 1)) {
        FC_ROW(1)
        FC_ROW(2)
        FC_ROW(3)
        FC_ROW(4)
    default:
        break;
    }
#undef FC_ROW
#undef FC_CASE
}
