/* float32 GEMM micro-kernels for AVX2 + FMA (contract and packed layout: ../gemm_f32.h).
 *
 * 6 x 16: per k, two loads of the panel row and six broadcasts of A feed 12 FMAs into 12
 * accumulators (12 + 2 + 1 of the 16 ymm registers); 12 x 8 does the same for the
 * half-width last panel (12 accumulators, one panel load, one broadcast register). The body:
 * gemm_f32_tile.h. */
#include <immintrin.h>

#include "../gemm_f32.h"

#define GEMM_MAX_ROWS 12
#define GF_VEC __m256
#define GF_MASK __m256i
#define GF_LANES 8
#define GF_LOAD(p) _mm256_loadu_ps(p)
#define GF_LOAD_MASK(p, m) _mm256_maskload_ps((p), (m))
#define GF_BCAST(p) _mm256_broadcast_ss(p)
#define GF_SET1(x) _mm256_set1_ps(x)
#define GF_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define GF_MIN(a, b) _mm256_min_ps((a), (b))
#define GF_MAX(a, b) _mm256_max_ps((a), (b))
#define GF_STORE(p, v) _mm256_storeu_ps((p), (v))
#define GF_STORE_MASK(p, m, v) _mm256_maskstore_ps((p), (m), (v))

/* Lanes [j0, j1) of vector v (columns [8v, 8v + 8) of the panel) as a maskstore mask. */
static inline __m256i gemm_mask(uint32_t j0, uint32_t j1, uint32_t v) {
    const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                         _mm256_set1_epi32((int)(8 * v)));
    const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32((int)j0 - 1));
    const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)j1), idx);
    return _mm256_and_si256(ge, lt);
}

#include "gemm_f32_tile.h"

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
    gemm_gather(dst, dst_stride, src, px_step, run_step, pixels, runs, n);
}
