/* float32 GEMM micro-kernels for AVX2 + FMA (contract and packed layout: ../gemm_f32.h).
 *
 * 6 x 16: per k, two loads of the panel row and six broadcasts of A feed 12 FMAs into 12
 * accumulators (12 + 2 + 1 of the 16 ymm registers); 12 x 8 does the same for the
 * half-width last panel (12 accumulators, one panel load, one broadcast register).
 *
 * The tile body is one always-inline function instantiated for every row count 1..MR (a
 * switch on mr), so a short tile does only its own rows' work; every instance computes each
 * value with the same FMA chain, so results do not depend on the row count. */
#include <immintrin.h>
#include <math.h>

#include "../gemm_f32.h"

#define GEMM_MAX_ROWS 12

/* Lanes [j0, j1) of vector v (columns [8v, 8v + 8) of the panel) as a maskstore mask. */
static inline __m256i gemm_mask(uint32_t j0, uint32_t j1, uint32_t v) {
    const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                         _mm256_set1_epi32((int)(8 * v)));
    const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)j0 - 1));
    const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)j1), idx);
    return _mm256_and_si256(ge, lt);
}

static inline __attribute__((always_inline)) void
gemm_tile(const int rows, const int nv, size_t kc, const float *a, size_t a_stride,
          const float *w, const float *init, float *c, size_t c_stride, uint32_t j0,
          uint32_t j1, float lo, float hi) {
    const float *ap[GEMM_MAX_ROWS];
    __m256 acc[GEMM_MAX_ROWS][2];
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) ap[i] = a + (size_t)i * a_stride;
    /* the store mask; with init == NULL also the columns of C read back (the others are
     * never stored, so their lanes may hold anything) */
    __m256i mask[2];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) mask[v] = gemm_mask(j0, j1, (uint32_t)v);
    if (init != NULL) {
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            const __m256 b = _mm256_loadu_ps(init + 8 * v);
#pragma GCC unroll 12
            for (int i = 0; i < rows; i++) acc[i][v] = b;
        }
    } else {
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++)
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm256_maskload_ps(c + (size_t)i * c_stride + 8 * v, mask[v]);
    }
    for (size_t k = 0; k < kc; k++) {
        __m256 wv[2];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) wv[v] = _mm256_loadu_ps(w + 8 * v);
        w += 8 * nv;
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++) {
            const __m256 x = _mm256_broadcast_ss(ap[i] + k);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++) acc[i][v] = _mm256_fmadd_ps(x, wv[v], acc[i][v]);
        }
    }
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    /* NONE (no clamp) skips the max/min, which share the FMA ports */
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const bool whole = j0 == 0 && j1 == (uint32_t)(8 * nv);
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) {
        float *y = c + (size_t)i * c_stride;
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            /* max(lo, x) then min(hi, x): the second operand (x) wins when either is NaN */
            const __m256 r =
                clamp ? _mm256_min_ps(vhi, _mm256_max_ps(vlo, acc[i][v])) : acc[i][v];
            if (whole)
                _mm256_storeu_ps(y + 8 * v, r);
            else
                _mm256_maskstore_ps(y + 8 * v, mask[v], r);
        }
    }
}

#define GEMM_CASE(R, NV)                                                                   \
    case R:                                                                                \
        gemm_tile(R, NV, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);           \
        break;

void lt_gemm_f32_6x16_avx2(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi) {
    switch (mr) {
        GEMM_CASE(1, 2)
        GEMM_CASE(2, 2)
        GEMM_CASE(3, 2)
        GEMM_CASE(4, 2)
        GEMM_CASE(5, 2)
    default:
        gemm_tile(6, 2, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
        break;
    }
}

void lt_gemm_f32_12x8_avx2(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi) {
    switch (mr) {
        GEMM_CASE(1, 1)
        GEMM_CASE(2, 1)
        GEMM_CASE(3, 1)
        GEMM_CASE(4, 1)
        GEMM_CASE(5, 1)
        GEMM_CASE(6, 1)
        GEMM_CASE(7, 1)
        GEMM_CASE(8, 1)
        GEMM_CASE(9, 1)
        GEMM_CASE(10, 1)
        GEMM_CASE(11, 1)
    default:
        gemm_tile(12, 1, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
        break;
    }
}

void lt_gather_f32_avx2(float *dst, size_t dst_stride, const float *src, size_t px_step,
                        size_t run_step, size_t pixels, size_t runs, size_t n) {
    const size_t tail = n % 8;
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)tail),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (size_t p = 0; p < pixels; p++, src += px_step, dst += dst_stride) {
        const float *s = src;
        float *d = dst;
        for (size_t r = 0; r < runs; r++, s += run_step) {
            size_t i = 0;
            for (; i + 8 <= n; i += 8, d += 8) _mm256_storeu_ps(d, _mm256_loadu_ps(s + i));
            if (tail > 0) { /* masked: reads and writes n floats only */
                _mm256_maskstore_ps(d, m, _mm256_maskload_ps(s + i, m));
                d += tail;
            }
        }
    }
}
