/* int8 GEMM micro-kernels for AVX2 (layout GEMM_I8_K2_I16, contract: ../gemm_i8.h).
 *
 * vpmaddwd multiplies int16 pairs and adds each pair into an int32 lane: with operands
 * sign-extended from int8 every product and pair sum is exact, and the accumulation wraps
 * modulo 2^32 like the portable kernels' sums. (vpmaddubsw on bytes saturates its int16
 * pair sums, so it is not used.)
 *
 * A 16-channel block is two ymm vectors. Conv: 4 rows x 16 channels per tile (8
 * accumulators): per 2 k, two weight vectors and four int16-pair broadcasts of the panel
 * (a = x sign-extended, packed by the caller) feed 8 vpmaddwd + 8 vpaddd.
 * FC: up to 4 rows x 16 channels per pass, building each broadcast from two bytes of the
 * int8 row. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "../gemm_i8.h"
#include "requant_x86.h"

#define MR GEMM_I8_MR_AVX2
#define ALWAYS_INLINE inline __attribute__((always_inline))

static inline int32_t load_u32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Requantizes the 16 accumulators of block `b` (two halves) and stores the first `valid`
 * bytes at y. */
static ALWAYS_INLINE void store_block(__m256i acc0, __m256i acc1, const gemm_i8_requant *o,
                                      int32_t b, int32_t valid, int8_t *y) {
    const int32_t c0 = b * GEMM_I8_NR;
    /* clamped before the zero point is added: near the int32 limits, value + zero point
     * would wrap (the portable kernel adds in int64) */
    const __m256i zp = _mm256_set1_epi32(o->zero_point);
    const __m256i lo = _mm256_set1_epi32(o->lo - o->zero_point);
    const __m256i hi = _mm256_set1_epi32(o->hi - o->zero_point);
    __m256i v[2] = {acc0, acc1};
    for (int h = 0; h < 2; h++) {
        const int32_t c = c0 + 8 * h;
        const __m256i mult = _mm256_loadu_si256((const __m256i *)(const void *)(o->rq.mult + c));
        const __m256i left = _mm256_loadu_si256((const __m256i *)(const void *)(o->rq.left + c));
        const __m256i right =
            _mm256_loadu_si256((const __m256i *)(const void *)(o->rq.right + c));
        const __m256i t = lt_requant_avx2(v[h], mult, left, right);
        v[h] = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(t, lo), hi), zp);
    }
    /* int32 -> int16 (lanes interleave per 128-bit half; the permute restores the order)
     * -> int8; the values are already within [-128, 127], so nothing saturates */
    const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(v[0], v[1]), 0xD8);
    const __m128i bytes =
        _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
    if (valid >= GEMM_I8_NR) {
        _mm_storeu_si128((__m128i *)(void *)y, bytes);
    } else {
        int8_t tmp[GEMM_I8_NR];
        _mm_storeu_si128((__m128i *)(void *)tmp, bytes);
        memcpy(y, tmp, (size_t)valid);
    }
}

/* Hybrid: 16 accumulators (two halves) of block b -> float outputs, the first `valid`
 * stored at y; the portable kernel's operations in its order (gemm_i8_hybrid). max(lo, v)
 * is v when v is NaN, and so is min(hi, v). */
static ALWAYS_INLINE void store_block_hybrid(__m256i acc0, __m256i acc1,
                                             const gemm_i8_hybrid *h, float row_scale,
                                             int32_t b, int32_t valid, float *y) {
    const int32_t c0 = b * GEMM_I8_NR;
    const __m256 lo = _mm256_set1_ps(h->lo), hi = _mm256_set1_ps(h->hi);
    const __m256 rs = _mm256_set1_ps(row_scale);
    __m256i acc[2] = {acc0, acc1};
    for (int half = 0; half < 2; half++) {
        const int32_t c = c0 + 8 * half;
        const __m256 s = _mm256_mul_ps(rs, _mm256_loadu_ps(h->scale + c));
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(h->bias + c),
                                 _mm256_mul_ps(_mm256_cvtepi32_ps(acc[half]), s));
        v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
        const int32_t n = valid - 8 * half; /* lanes of this half to store */
        if (n >= 8) {
            _mm256_storeu_ps(y + 8 * half, v);
        } else if (n > 0) {
            float tmp[8];
            _mm256_storeu_ps(tmp, v);
            memcpy(y + 8 * half, tmp, (size_t)n * sizeof(float));
        }
    }
}

/* What one conv call stores (gemm_i8.h). */
typedef gemm_i8_conv_out conv_out;

static ALWAYS_INLINE void conv_tile(const bool hybrid, const gemm_i8_packed *p,
                                    const conv_out *out, const int16_t *const *ap,
                                    int32_t rows, int32_t b) {
    const int64_t kp = p->kp;
    const int16_t *w = (const int16_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    const int32_t *offset = p->offset + b * GEMM_I8_NR;
    const __m256i off0 = _mm256_loadu_si256((const __m256i *)(const void *)offset);
    const __m256i off1 = _mm256_loadu_si256((const __m256i *)(const void *)(offset + 8));
    __m256i acc[MR][2];
    if (hybrid) {
        /* offset - zp * colsum, wrapping (gemm_i8_hybrid) */
        const int32_t *colsum = out->h->colsum + b * GEMM_I8_NR;
        const __m256i cs0 = _mm256_loadu_si256((const __m256i *)(const void *)colsum);
        const __m256i cs1 = _mm256_loadu_si256((const __m256i *)(const void *)(colsum + 8));
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            const __m256i zp = _mm256_set1_epi32(out->zp[r]);
            acc[r][0] = _mm256_sub_epi32(off0, _mm256_mullo_epi32(zp, cs0));
            acc[r][1] = _mm256_sub_epi32(off1, _mm256_mullo_epi32(zp, cs1));
        }
    } else {
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            acc[r][0] = off0;
            acc[r][1] = off1;
        }
    }
    for (int64_t k = 0; k < kp; k += 2) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + k * 16));
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + k * 16 + 16));
#pragma GCC unroll 4
        for (int r = 0; r < MR; r++) {
            const __m256i a = _mm256_set1_epi32(load_u32(ap[r] + k));
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, b1));
        }
    }
    const int32_t valid = p->n - b * GEMM_I8_NR;
    /* constant indices only (an array indexed by a variable would live in memory) */
#pragma GCC unroll 4
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        if (hybrid)
            store_block_hybrid(acc[r][0], acc[r][1], out->h, out->scale[r], b, valid,
                               out->yf + r * out->y_stride + b * GEMM_I8_NR);
        else
            store_block(acc[r][0], acc[r][1], out->o, b, valid,
                        out->y8 + r * out->y_stride + b * GEMM_I8_NR);
    }
}

void gemm_i8_conv_avx2(const gemm_i8_packed *p, const gemm_i8_requant *o,
                       const void *const *a, int32_t rows, int8_t *y, int64_t y_stride) {
    /* rows past the valid ones repeat the last: computed, never stored */
    const int16_t *ap[MR];
    for (int r = 0; r < MR; r++) ap[r] = a[r < rows ? r : rows - 1];
    const conv_out out = {.o = o, .y8 = y, .y_stride = y_stride};
    for (int32_t b = 0; b < p->blocks; b++) conv_tile(false, p, &out, ap, rows, b);
}

void gemm_i8_conv_hybrid_avx2(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                              const void *const *a, const int32_t *row_zp,
                              const float *row_scale, int32_t rows, float *y,
                              int64_t y_stride) {
    const int16_t *ap[MR];
    int32_t zp[MR];
    float scale[MR];
    for (int r = 0; r < MR; r++) {
        const int32_t src = r < rows ? r : rows - 1;
        ap[r] = a[src];
        zp[r] = row_zp[src];
        scale[r] = row_scale[src];
    }
    const conv_out out = {.h = o, .zp = zp, .scale = scale, .yf = y, .y_stride = y_stride};
    for (int32_t b = 0; b < p->blocks; b++) conv_tile(true, p, &out, ap, rows, b);
}

/* x[k] and x[k + 1] sign-extended to an int16 pair; x[k + 1] past the row's end reads as 0
 * (its weight is zero). */
static ALWAYS_INLINE __m256i fc_broadcast(const int8_t *x, int64_t k, int64_t depth) {
    const uint32_t lo = (uint16_t)(int16_t)x[k];
    const uint32_t hi = k + 1 < depth ? (uint16_t)(int16_t)x[k + 1] : 0u;
    return _mm256_set1_epi32((int32_t)(lo | hi << 16));
}

/* rows x 16 channels of block b into out (row stride 64 int32). */
static ALWAYS_INLINE void fc_tile(const int rows, const gemm_i8_packed *p, const int8_t *x,
                                  int64_t x_stride, int32_t b, int32_t *out) {
    const int64_t kp = p->kp, depth = p->k;
    const int16_t *w = (const int16_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    const int32_t *offset = p->offset + b * GEMM_I8_NR;
    __m256i acc[GEMM_I8_FC_ROWS][2];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) {
        acc[r][0] = _mm256_loadu_si256((const __m256i *)(const void *)offset);
        acc[r][1] = _mm256_loadu_si256((const __m256i *)(const void *)(offset + 8));
    }
    for (int64_t k = 0; k < depth; k += 2) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(w + k * 16));
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + k * 16 + 16));
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            const __m256i a = fc_broadcast(x + r * x_stride, k, depth);
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(a, b0));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(a, b1));
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) {
        int32_t *o = out + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR;
        _mm256_storeu_si256((__m256i *)(void *)o, acc[r][0]);
        _mm256_storeu_si256((__m256i *)(void *)(o + 8), acc[r][1]);
    }
}

void gemm_i8_fc_avx2(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride, int32_t rows,
                     int32_t block, int32_t nblocks, int32_t *acc) {
    /* one block per pass: 4 rows x 2 vectors of accumulators fit the 16 ymm registers */
    for (int32_t j = 0; j < nblocks; j++) {
        int32_t *out = acc + j * GEMM_I8_NR;
        switch (rows) {
        case 1: fc_tile(1, p, x, x_stride, block + j, out); break;
        case 2: fc_tile(2, p, x, x_stride, block + j, out); break;
        case 3: fc_tile(3, p, x, x_stride, block + j, out); break;
        default: fc_tile(4, p, x, x_stride, block + j, out); break;
        }
    }
}
