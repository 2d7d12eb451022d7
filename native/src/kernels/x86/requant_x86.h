/* Vector forms of lt_multiply_by_quantized_multiplier (quant_math.h): TensorFlow Lite's
 * double-rounding requantization of int32 accumulators, bit for bit, for 8 (AVX2) or 16
 * (AVX-512) lanes with a multiplier and shifts per lane (per output channel).
 *
 * Operands per lane come from lt_requant_vec (quant_math.h): multiplier q in [2^30, 2^31)
 * or 0, left = max(shift, 0), right = max(-shift, 0).
 *
 * Why the arithmetic is exact: the saturating rounding doubling high multiply is
 * trunc((a*q + nudge) / 2^31) with nudge = 2^30 for a*q >= 0 and 1 - 2^30 below; for a
 * negative sum, truncation is floor((sum + 2^31 - 1) / 2^31), and both cases reduce to
 * floor((a*q + 2^30) / 2^31), i.e. bits 31..62 of the 64-bit a*q + 2^30 (the result fits
 * 32 bits because |a*q| < 2^62). Its one saturating case, a == q == INT32_MIN, cannot occur:
 * q >= 0. The rounding divide by 2^right then follows gemmlowp's RoundingDivideByPOT
 * (remainder compared with half the divisor, ties away from zero).
 *
 * Include from files compiled with -mavx2 (and -mavx512f/bw/vl for the AVX-512 part). */
#ifndef LITERT_KERNELS_X86_REQUANT_X86_H
#define LITERT_KERNELS_X86_REQUANT_X86_H

#include <immintrin.h>

#if defined(__AVX2__)
/* 8 accumulators -> 8 requantized values (before the output zero point). */
static inline __m256i lt_requant_avx2(__m256i acc, __m256i mult, __m256i left, __m256i right) {
    const __m256i nudge = _mm256_set1_epi64x((long long)1 << 30);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i x = _mm256_sllv_epi32(acc, left); /* wraps, like TFLite's x * (1 << s) */
    __m256i even = _mm256_mul_epi32(x, mult);       /* lanes 0, 2, 4, 6 as 64-bit products */
    __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(mult, 32));
    even = _mm256_srli_epi64(_mm256_add_epi64(even, nudge), 31); /* bits 31.. to the low half */
    odd = _mm256_slli_epi64(_mm256_add_epi64(odd, nudge), 1);    /* bits 31.. to the high half */
    const __m256i high = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    const __m256i remainder = _mm256_and_si256(high, mask);
    const __m256i threshold =
        _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_srli_epi32(high, 31));
    const __m256i shifted = _mm256_srav_epi32(high, right);
    /* cmpgt is -1 where the remainder rounds up */
    return _mm256_sub_epi32(shifted, _mm256_cmpgt_epi32(remainder, threshold));
}
#endif

#if defined(__AVX512F__)
/* 16 accumulators -> 16 requantized values (before the output zero point). */
static inline __m512i lt_requant_avx512(__m512i acc, __m512i mult, __m512i left,
                                        __m512i right) {
    const __m512i nudge = _mm512_set1_epi64((long long)1 << 30);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i x = _mm512_sllv_epi32(acc, left);
    __m512i even = _mm512_mul_epi32(x, mult);
    __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(mult, 32));
    even = _mm512_srli_epi64(_mm512_add_epi64(even, nudge), 31);
    odd = _mm512_slli_epi64(_mm512_add_epi64(odd, nudge), 1);
    const __m512i high = _mm512_mask_blend_epi32(0xAAAA, even, odd);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    const __m512i remainder = _mm512_and_si512(high, mask);
    const __m512i threshold =
        _mm512_add_epi32(_mm512_srai_epi32(mask, 1), _mm512_srli_epi32(high, 31));
    const __m512i shifted = _mm512_srav_epi32(high, right);
    const __mmask16 up = _mm512_cmpgt_epi32_mask(remainder, threshold);
    return _mm512_mask_add_epi32(shifted, up, shifted, one);
}
#endif

#endif
