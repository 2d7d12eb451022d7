/* The hybrid ops' input quantization, AVX2 (contract and exactness: ../hybrid_fast.h; the
 * same method as hybrid_quant_avx512.c). Tails go through a zero-padded copy so that they
 * take the vector path too and nothing is read or written past the ends. */
#include <immintrin.h>

#include "../hybrid_fast.h"

void hybrid_minmax_avx2(const float *x, int64_t n, float *lo, float *hi) {
    __m256 lo0 = _mm256_set1_ps(*lo), lo1 = lo0, hi0 = _mm256_set1_ps(*hi), hi1 = hi0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        lo0 = _mm256_min_ps(a, lo0); /* acc when a is NaN */
        lo1 = _mm256_min_ps(b, lo1);
        hi0 = _mm256_max_ps(a, hi0);
        hi1 = _mm256_max_ps(b, hi1);
    }
    float l[8], h[8];
    _mm256_storeu_ps(l, _mm256_min_ps(lo0, lo1)); /* no lane NaN unless all are */
    _mm256_storeu_ps(h, _mm256_max_ps(hi0, hi1));
    float rl = l[0], rh = h[0];
    for (int j = 1; j < 8; j++) {
        if (l[j] < rl) rl = l[j];
        if (rh < h[j]) rh = h[j];
    }
    for (; i < n; i++) { /* the portable loop's comparisons */
        if (x[i] < rl) rl = x[i];
        if (rh < x[i]) rh = x[i];
    }
    *lo = rl;
    *hi = rh;
}

static inline __m256i quantize8(__m256 x, __m256 zp, __m256 inv) {
    __m256 v = _mm256_add_ps(zp, _mm256_mul_ps(x, inv));
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
    const __m256 half = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(0.49999997f));
    return _mm256_cvttps_epi32(_mm256_add_ps(v, half));
}

/* 32 values -> 32 int8 (already in range: the packs do not saturate) */
static inline void quantize32(const float *x, __m256 zp, __m256 inv, int8_t *q) {
    const __m256i a = quantize8(_mm256_loadu_ps(x), zp, inv);
    const __m256i b = quantize8(_mm256_loadu_ps(x + 8), zp, inv);
    const __m256i c = quantize8(_mm256_loadu_ps(x + 16), zp, inv);
    const __m256i d = quantize8(_mm256_loadu_ps(x + 24), zp, inv);
    /* dwords of the packed bytes: a0-3 b0-3 c0-3 d0-3 a4-7 b4-7 c4-7 d4-7 */
    const __m256i bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    _mm256_storeu_si256((__m256i *)(void *)q, _mm256_permutevar8x32_epi32(bytes, order));
}

void hybrid_quantize_avx2(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q) {
    if (p->zero) {
        memset(q, 0, (size_t)n);
        return;
    }
    const __m256 zp = _mm256_set1_ps((float)p->zero_point), inv = _mm256_set1_ps(p->inv);
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) quantize32(x + i, zp, inv, q + i);
    if (i < n) {
        float tail[32] = {0.0f};
        int8_t out[32];
        memcpy(tail, x + i, (size_t)(n - i) * sizeof(float));
        quantize32(tail, zp, inv, out);
        memcpy(q + i, out, (size_t)(n - i));
    }
}

void hybrid_quantize_f32_avx2(const float *x, int64_t n, const hybrid_qparams *p, float *q) {
    if (p->zero) {
        memset(q, 0, (size_t)n * sizeof(float)); /* all bits 0: 0.0f */
        return;
    }
    const __m256 zp = _mm256_set1_ps((float)p->zero_point), inv = _mm256_set1_ps(p->inv);
    const __m256i zpi = _mm256_set1_epi32(p->zero_point);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = quantize8(_mm256_loadu_ps(x + i), zp, inv);
        _mm256_storeu_ps(q + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, zpi)));
    }
    if (i < n) {
        float tail[8] = {0.0f}, out[8];
        memcpy(tail, x + i, (size_t)(n - i) * sizeof(float));
        const __m256i v = quantize8(_mm256_loadu_ps(tail), zp, inv);
        _mm256_storeu_ps(out, _mm256_cvtepi32_ps(_mm256_sub_epi32(v, zpi)));
        memcpy(q + i, out, (size_t)(n - i) * sizeof(float));
    }
}
