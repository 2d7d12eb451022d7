/* float32 GEMM micro-kernels for AVX-512F (contract and packed layout: ../gemm_f32.h).
 *
 * 12 x 32: per k, two vector loads of the panel row and twelve broadcasts of A feed 24 FMAs
 * into 24 accumulators (24 + 2 + 1 of the 32 zmm registers; the twelve row pointers still
 * fit the general registers). Twelve rows rather than eight cut the panel traffic per FMA
 * by a third, which shows on the layers whose weights come from L2/L3 (small images, many
 * channels). 8 x 16 does the half-width last panel: eight independent FMA chains are what
 * two FMA units with four cycles of latency need; more rows measured slower (N = 16
 * layers of MobileNetV2).
 *
 * The tile body is one always-inline function instantiated for every row count 1..MR (a
 * switch on mr), so a short tile does only its own rows' work; every instance computes each
 * value with the same FMA chain, so results do not depend on the row count. */
#include <immintrin.h>
#include <math.h>

#include "../gemm_f32.h"

#define GEMM_MAX_ROWS 12

/* Lanes [j0, j1) of a vector pair covering panel columns [0, 32). */
static inline __mmask16 gemm_mask(uint32_t j0, uint32_t j1, uint32_t v) {
    const uint32_t lo = v * 16;
    const uint32_t a = j0 > lo ? j0 - lo : 0, b = j1 > lo ? j1 - lo : 0;
    const uint32_t hi_bits = b >= 16 ? 0xFFFFu : ((1u << b) - 1u);
    const uint32_t lo_bits = a >= 16 ? 0xFFFFu : ((1u << a) - 1u);
    return (__mmask16)(hi_bits & ~lo_bits);
}

static inline __attribute__((always_inline)) void
gemm_tile(const int rows, const int nv, size_t kc, const float *a, size_t a_stride,
          const float *w, const float *init, float *c, size_t c_stride, uint32_t j0,
          uint32_t j1, float lo, float hi) {
    const float *ap[GEMM_MAX_ROWS];
    __m512 acc[GEMM_MAX_ROWS][2];
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) ap[i] = a + (size_t)i * a_stride;
    /* the store mask; with init == NULL also the columns of C read back (the others are
     * never stored, so their lanes may hold anything) */
    __mmask16 mask[2];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) mask[v] = gemm_mask(j0, j1, (uint32_t)v);
    if (init != NULL) {
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            const __m512 b = _mm512_loadu_ps(init + 16 * v);
#pragma GCC unroll 12
            for (int i = 0; i < rows; i++) acc[i][v] = b;
        }
    } else {
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++)
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[i][v] = _mm512_maskz_loadu_ps(mask[v], c + (size_t)i * c_stride + 16 * v);
    }
    for (size_t k = 0; k < kc; k++) {
        __m512 wv[2];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) wv[v] = _mm512_loadu_ps(w + 16 * v);
        w += 16 * nv;
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++) {
            const __m512 x = _mm512_set1_ps(ap[i][k]);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++) acc[i][v] = _mm512_fmadd_ps(x, wv[v], acc[i][v]);
        }
    }
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    /* NONE (no clamp) skips the max/min, which share the FMA ports */
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const bool whole = j0 == 0 && j1 == (uint32_t)(16 * nv);
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) {
        float *y = c + (size_t)i * c_stride;
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            /* max(lo, x) then min(hi, x): the second operand (x) wins when either is NaN */
            const __m512 r =
                clamp ? _mm512_min_ps(vhi, _mm512_max_ps(vlo, acc[i][v])) : acc[i][v];
            if (whole)
                _mm512_storeu_ps(y + 16 * v, r);
            else
                _mm512_mask_storeu_ps(y + 16 * v, mask[v], r);
        }
    }
}

#define GEMM_CASE(R, NV)                                                                   \
    case R:                                                                                \
        gemm_tile(R, NV, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);           \
        break;

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
    const size_t tail = n % 16;
    const __mmask16 m = (__mmask16)((1u << tail) - 1u);
    for (size_t p = 0; p < pixels; p++, src += px_step, dst += dst_stride) {
        const float *s = src;
        float *d = dst;
        for (size_t r = 0; r < runs; r++, s += run_step) {
            size_t i = 0;
            for (; i + 16 <= n; i += 16, d += 16) _mm512_storeu_ps(d, _mm512_loadu_ps(s + i));
            if (tail > 0) { /* masked: reads and writes n floats only */
                _mm512_mask_storeu_ps(d, m, _mm512_maskz_loadu_ps(m, s + i));
                d += tail;
            }
        }
    }
}
