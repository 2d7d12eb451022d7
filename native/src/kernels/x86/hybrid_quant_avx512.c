/* The hybrid ops' input quantization, AVX-512 (contract and exactness: ../hybrid_fast.h).
 *
 * min / max: min_ps(x, acc) is acc when x is NaN, so NaN values are skipped and an
 * accumulator started from a NaN first value stays NaN, the portable loop's rule; the
 * masked tail leaves the lanes past the end as they are.
 * Quantization: v = zp + x * inv (a multiply then an add, never fused: the library is built
 * as ISO C, -ffp-contract=off), then the portable clamp applied before the rounding instead
 * of after (rounding is monotone and keeps the integer bounds, so the result is the same):
 * max(v, -128) is -128 for NaN (max_ps returns its second operand), min(., 127). roundf's
 * half away from zero is then trunc(v + copysign(0.49999997, v)), exact for |v| <= 128:
 * when v's fraction is exactly one half the sum lies 2^-25 below the next integer, less
 * than half its ulp, and rounds up to it; below one half the sum stays below the next
 * integer (0.5 itself: 1 - 2^-25 rounds to even, 1). */
#include <immintrin.h>

#include "../hybrid_fast.h"

void hybrid_minmax_avx512(const float *x, int64_t n, float *lo, float *hi) {
    __m512 lo0 = _mm512_set1_ps(*lo), lo1 = lo0, hi0 = _mm512_set1_ps(*hi), hi1 = hi0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        lo0 = _mm512_min_ps(a, lo0);
        lo1 = _mm512_min_ps(b, lo1);
        hi0 = _mm512_max_ps(a, hi0);
        hi1 = _mm512_max_ps(b, hi1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512 a = _mm512_maskz_loadu_ps(m, x + i);
        lo0 = _mm512_mask_min_ps(lo0, m, a, lo0);
        hi0 = _mm512_mask_max_ps(hi0, m, a, hi0);
    }
    /* no lane is NaN unless all are (a NaN start): any order of the reduction agrees */
    *lo = _mm512_reduce_min_ps(_mm512_min_ps(lo0, lo1));
    *hi = _mm512_reduce_max_ps(_mm512_max_ps(hi0, hi1));
}

static inline __m512i quantize16(__m512 x, __m512 zp, __m512 inv) {
    __m512 v = _mm512_add_ps(zp, _mm512_mul_ps(x, inv));
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-128.0f)), _mm512_set1_ps(127.0f));
    /* (v & sign) | 0.49999997: copysign of the largest float below one half */
    const __m512 half = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN), _mm512_set1_epi32(0x3EFFFFFF),
        0xEA));
    return _mm512_cvttps_epi32(_mm512_add_ps(v, half));
}

void hybrid_quantize_avx512(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q) {
    if (p->zero) {
        memset(q, 0, (size_t)n);
        return;
    }
    const __m512 zp = _mm512_set1_ps((float)p->zero_point), inv = _mm512_set1_ps(p->inv);
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        const __m128i b0 = _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(x + i), zp, inv));
        const __m128i b1 =
            _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(x + i + 16), zp, inv));
        const __m128i b2 =
            _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(x + i + 32), zp, inv));
        const __m128i b3 =
            _mm512_cvtepi32_epi8(quantize16(_mm512_loadu_ps(x + i + 48), zp, inv));
        _mm_storeu_si128((__m128i *)(void *)(q + i), b0);
        _mm_storeu_si128((__m128i *)(void *)(q + i + 16), b1);
        _mm_storeu_si128((__m128i *)(void *)(q + i + 32), b2);
        _mm_storeu_si128((__m128i *)(void *)(q + i + 48), b3);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i v = quantize16(_mm512_maskz_loadu_ps(m, x + i), zp, inv);
        _mm_mask_storeu_epi8(q + i, m, _mm512_cvtepi32_epi8(v));
    }
}

void hybrid_quantize_f32_avx512(const float *x, int64_t n, const hybrid_qparams *p, float *q) {
    if (p->zero) {
        memset(q, 0, (size_t)n * sizeof(float)); /* all bits 0: 0.0f */
        return;
    }
    const __m512 zp = _mm512_set1_ps((float)p->zero_point), inv = _mm512_set1_ps(p->inv);
    const __m512i zpi = _mm512_set1_epi32(p->zero_point);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1u);
        const __m512i v = quantize16(_mm512_maskz_loadu_ps(m, x + i), zp, inv);
        _mm512_mask_storeu_ps(q + i, m, _mm512_cvtepi32_ps(_mm512_sub_epi32(v, zpi)));
    }
}
