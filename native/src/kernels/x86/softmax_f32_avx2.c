/* float32 SOFTMAX rows, 8 lanes (AVX2 + FMA): see softmax_simd.h for what matches the portable
 * kernel and what is approximated.
 *
 * Three passes over each row (it stays in L1 between them): the pivot (max, or min for
 * beta < 0), then e = exp((x - pivot) * beta) stored to the output and summed in four vector
 * accumulators, then the output divided by the sum (see quotient8).
 * Row tails use masked loads and stores (VMASKMOVPS), so nothing past a row is read or written.
 *
 * exp(t), t <= 0 (the only arguments softmax makes) or NaN: the same reduction and polynomial
 * as the AVX-512 kernel (see softmax_f32_avx512.c; both give identical exp values). Without
 * VSCALEFPS, 2^n (n in [-150, 0] after the clamp at -104) is applied as two power-of-two
 * factors 2^n1 * 2^n2, n1 = floor(n / 2), both normal numbers: p * 2^n1 is exact and the
 * second product rounds once, also into the subnormal range, as VSCALEFPS does. For NaN the
 * exponent arithmetic yields some finite factor and p (NaN) carries through. */
#include <immintrin.h>

#include "../softmax_simd.h"
#include "vmath_coeffs.h"

static inline __m256 exp_nonpos8(__m256 t) {
    t = _mm256_max_ps(_mm256_set1_ps(LT_SM_EXP_MIN_ARG), t); /* NaN kept */
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(LT_SM_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LT_SM_LN2_HI), t);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LT_SM_LN2_LO), r);
    /* p = 1 + r (1 + r Q(r)), all in Horner form */
    __m256 p = _mm256_set1_ps(LT_SM_EXP_Q4);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LT_SM_EXP_Q3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LT_SM_EXP_Q2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LT_SM_EXP_Q1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(LT_SM_EXP_Q0));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, f1), f2);
}

/* e / s given inv = 1 / s (rounded): q = e * inv, then one correction with the residual
 * e - q * s, exact with FMA, giving e / s with the error of a division (VDIVPS costs several
 * times more than the three FMA-unit operations). Infinities and NaN give NaN as e / s. */
static inline __m256 quotient8(__m256 e, __m256 s, __m256 inv) {
    const __m256 q = _mm256_mul_ps(e, inv);
    return _mm256_fmadd_ps(_mm256_fnmadd_ps(q, s, e), inv, q);
}

/* all-ones in the first `left` lanes (0 < left < 8) */
static inline __m256i tail_mask(int64_t left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* max(x) for flip == 0, -max(-x) = min(x) for flip == sign bit (-0.0f): the sign flip is
 * exact, so this is the portable kernel's pivot (any NaN-holding row comes out all NaN
 * either way). */
static float row_pivot(const float *x, int64_t d, __m256 flip) {
    const __m256 lowest = _mm256_set1_ps(-__builtin_inff());
    __m256 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
    int64_t i = 0;
    for (; i + 32 <= d; i += 32) {
        m0 = _mm256_max_ps(m0, _mm256_xor_ps(_mm256_loadu_ps(x + i), flip));
        m1 = _mm256_max_ps(m1, _mm256_xor_ps(_mm256_loadu_ps(x + i + 8), flip));
        m2 = _mm256_max_ps(m2, _mm256_xor_ps(_mm256_loadu_ps(x + i + 16), flip));
        m3 = _mm256_max_ps(m3, _mm256_xor_ps(_mm256_loadu_ps(x + i + 24), flip));
    }
    for (; i + 8 <= d; i += 8)
        m0 = _mm256_max_ps(m0, _mm256_xor_ps(_mm256_loadu_ps(x + i), flip));
    if (i < d) {
        const __m256i m = tail_mask(d - i);
        const __m256 v = _mm256_xor_ps(_mm256_maskload_ps(x + i, m), flip);
        /* lanes past the row: -inf */
        m1 = _mm256_max_ps(m1, _mm256_blendv_ps(lowest, v, _mm256_castsi256_ps(m)));
    }
    const __m256 m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
    return _mm_cvtss_f32(_mm_xor_ps(_mm_set_ss(hmax8(m)), _mm256_castps256_ps128(flip)));
}

static void row_softmax(const float *x, float *y, int64_t d, float beta, __m256 flip) {
    const __m256 pivot = _mm256_set1_ps(row_pivot(x, d, flip));
    const __m256 vb = _mm256_set1_ps(beta);
#define EXP_AT(k) exp_nonpos8(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i + (k)), pivot), vb))
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= d; i += 32) {
        const __m256 e0 = EXP_AT(0), e1 = EXP_AT(8), e2 = EXP_AT(16), e3 = EXP_AT(24);
        _mm256_storeu_ps(y + i, e0);
        _mm256_storeu_ps(y + i + 8, e1);
        _mm256_storeu_ps(y + i + 16, e2);
        _mm256_storeu_ps(y + i + 24, e3);
        s0 = _mm256_add_ps(s0, e0);
        s1 = _mm256_add_ps(s1, e1);
        s2 = _mm256_add_ps(s2, e2);
        s3 = _mm256_add_ps(s3, e3);
    }
    for (; i + 8 <= d; i += 8) {
        const __m256 e = EXP_AT(0);
        _mm256_storeu_ps(y + i, e);
        s0 = _mm256_add_ps(s0, e);
    }
#undef EXP_AT
    if (i < d) {
        const __m256i m = tail_mask(d - i);
        /* lanes past the row take the pivot (exp(0) = 1), then are zeroed: neither summed
         * nor stored */
        const __m256 v = _mm256_blendv_ps(pivot, _mm256_maskload_ps(x + i, m), _mm256_castsi256_ps(m));
        const __m256 e = _mm256_and_ps(exp_nonpos8(_mm256_mul_ps(_mm256_sub_ps(v, pivot), vb)),
                                       _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(y + i, m, e);
        s1 = _mm256_add_ps(s1, e);
    }
    const float sum = hsum8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    /* sum >= 1 (the pivot's own term is exp(0)) unless the row holds NaN or +inf */
    const __m256 vs = _mm256_set1_ps(sum), vinv = _mm256_set1_ps(1.0f / sum);
    i = 0;
    for (; i + 16 <= d; i += 16) {
        _mm256_storeu_ps(y + i, quotient8(_mm256_loadu_ps(y + i), vs, vinv));
        _mm256_storeu_ps(y + i + 8, quotient8(_mm256_loadu_ps(y + i + 8), vs, vinv));
    }
    for (; i + 8 <= d; i += 8) _mm256_storeu_ps(y + i, quotient8(_mm256_loadu_ps(y + i), vs, vinv));
    if (i < d) {
        const __m256i m = tail_mask(d - i);
        _mm256_maskstore_ps(y + i, m, quotient8(_mm256_maskload_ps(y + i, m), vs, vinv));
    }
}

void lt_softmax_f32_avx2(const float *in, float *out, int64_t rows, int64_t depth, float beta) {
    const __m256 flip = _mm256_set1_ps(beta < 0.0f ? -0.0f : 0.0f);
    for (int64_t r = 0; r < rows; r++) row_softmax(in + r * depth, out + r * depth, depth, beta, flip);
}
