/* float32 GEMM micro-kernels for AVX-512F (contract and packed layout: ../gemm_f32.h).
 *
 * 12 x 32: per k, two vector loads of the panel row and twelve broadcasts of A feed 24 FMAs
 * into 24 accumulators (24 + 2 + 1 of the 32 zmm registers; the twelve row pointers still
 * fit the general registers). Twelve rows rather than eight cut the panel traffic per FMA
 * by a third, which shows on the layers whose weights come from L2/L3 (small images, many
 * channels). 8 x 16 does the half-width last panel: eight independent FMA chains are what
 * two FMA units with four cycles of latency need; more rows measured slower (N = 16
 * layers of MobileNetV2). Body: gemm_f32_tile.h. */
#include <immintrin.h>

#include "../gemm_f32.h"

#define GEMM_MAX_ROWS 12
#define GF_VEC __m512
#define GF_MASK __mmask16
#define GF_LANES 16
#define GF_LOAD(p) _mm512_loadu_ps(p)
#define GF_LOAD_MASK(p, m) _mm512_maskz_loadu_ps((m), (p))
#define GF_BCAST(p) _mm512_set1_ps(*(p))
#define GF_SET1(x) _mm512_set1_ps(x)
#define GF_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define GF_MIN(a, b) _mm512_min_ps((a), (b))
#define GF_MAX(a, b) _mm512_max_ps((a), (b))
#define GF_STORE(p, v) _mm512_storeu_ps((p), (v))
#define GF_STORE_MASK(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))

/* Lanes [j0, j1) of a vector pair covering panel columns [0, 32). */
static inline __mmask16 gemm_mask(uint32_t j0, uint32_t j1, uint32_t v) {
    const uint32_t lo = v * 16;
    const uint32_t a = j0 > lo ? j0 - lo : 0, b = j1 > lo ? j1 - lo : 0;
    const uint32_t hi_bits = b >= 16 ? 0xFFFFu : ((1u << b) - 1u);
    const uint32_t lo_bits = a >= 16 ? 0xFFFFu : ((1u << a) - 1u);
    return (__mmask16)(hi_bits & ~lo_bits);
}

#include "gemm_f32_tile.h"

void lt_gemm_f32_12x32_avx512(size_t mr, size_t kc, const float *a, size_t a_stride,
                              const float *w, const float *init, float *c, size_t c_stride,
                              uint32_t j0, uint32_t j1, float lo, float hi) {
    switch (mr) {
        GEMM_CASE(1, 2)
        GEMM_CASE(2, 2)
        GEMM_CASE(3, 2)
        GEMM_CASE(4, 2)
        GEMM_CASE(5, 2)
        GEMM_CASE(6, 2)
        GEMM_CASE(7, 2)
        GEMM_CASE(8, 2)
        GEMM_CASE(9, 2)
        GEMM_CASE(10, 2)
        GEMM_CASE(11, 2)
    default:
        gemm_tile(12, 2, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
        break;
    }
}

void lt_gemm_f32_8x16_avx512(size_t mr, size_t kc, const float *a, size_t a_stride,
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
    default:
        gemm_tile(8, 1, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
        break;
    }
}

void lt_gather_f32_avx512(float *dst, size_t dst_stride, const float *src, size_t px_step,
                          size_t run_step, size_t pixels, size_t runs, size_t n) {
    gemm_gather(dst, dst_stride, src, px_step, run_step, pixels, runs, n);
}
