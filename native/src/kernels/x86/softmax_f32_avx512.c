/* float32 SOFTMAX rows, 16 lanes (AVX-512F): see softmax_simd.h for what matches the portable
 * kernel and what is approximated.
 *
 * Three passes over each row (it stays in L1 between them): the pivot (max, or min for
 * beta < 0), then e = exp((x - pivot) * beta) stored to the output and summed in four vector
 * accumulators, then the output divided by the sum (see quotient16).
 *
 * exp(t), t <= 0 (the only arguments softmax makes) or NaN: t = n ln2 + r with
 * n = round(t / ln2), |r| <= ln2 / 2 (Cody-Waite: ln2 in two parts, the first short enough
 * that n * ln2_hi is exact for |n| <= 150), e^r = 1 + r + r^2 Q(r) with Q of degree 4 fitted
 * here to a relative error of 0.08 * 2^-24 on that interval (float32 coefficients included)
 * and evaluated in Horner form, then 2^n applied with VSCALEFPS, which rounds p * 2^n once,
 * also into the subnormal range. Measured over every float32 t in [-110, 0]: within 0.89 ulp
 * of the exact e^t (the C library's expf: 0.5 ulp).
 * Arguments below -104 are clamped to -104, whose result already rounds to 0 (e^-104 is
 * below half the smallest subnormal), so that -inf gives 0; NaN passes the clamp (MAXPS
 * returns its second operand when one is NaN) and propagates through the polynomial. */
#include <immintrin.h>

#include "../softmax_simd.h"
#include "vmath_coeffs.h"

static inline __m512 exp_nonpos16(__m512 t) {
    t = _mm512_max_ps(_mm512_set1_ps(LT_SM_EXP_MIN_ARG), t); /* NaN kept */
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(LT_SM_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LT_SM_LN2_HI), t);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LT_SM_LN2_LO), r);
    /* p = 1 + r (1 + r Q(r)), all in Horner form */
    __m512 p = _mm512_set1_ps(LT_SM_EXP_Q4);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(LT_SM_EXP_Q3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(LT_SM_EXP_Q2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(LT_SM_EXP_Q1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(LT_SM_EXP_Q0));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* e / s given inv = 1 / s (rounded): q = e * inv, then one correction with the residual
 * e - q * s, exact with FMA, giving e / s with the error of a division (VDIVPS costs several
 * times more than the three FMA-unit operations). Infinities and NaN give NaN as e / s. */
static inline __m512 quotient16(__m512 e, __m512 s, __m512 inv) {
    const __m512 q = _mm512_mul_ps(e, inv);
    return _mm512_fmadd_ps(_mm512_fnmadd_ps(q, s, e), inv, q);
}

static inline __mmask16 tail_mask(int64_t left) {
    return (__mmask16)((1u << left) - 1u); /* 0 < left < 16 */
}

/* max(x) for flip == 0, -max(-x) = min(x) for flip == sign bit (-0.0f): the sign flip is
 * exact, so this is the portable kernel's pivot (any NaN-holding row comes out all NaN
 * either way). */
static float row_pivot(const float *x, int64_t d, __m512 flip) {
    const __m512 lowest = _mm512_set1_ps(-__builtin_inff());
    __m512 m0 = lowest, m1 = lowest, m2 = lowest, m3 = lowest;
    int64_t i = 0;
    for (; i + 64 <= d; i += 64) {
        m0 = _mm512_max_ps(m0, _mm512_xor_ps(_mm512_loadu_ps(x + i), flip));
        m1 = _mm512_max_ps(m1, _mm512_xor_ps(_mm512_loadu_ps(x + i + 16), flip));
        m2 = _mm512_max_ps(m2, _mm512_xor_ps(_mm512_loadu_ps(x + i + 32), flip));
        m3 = _mm512_max_ps(m3, _mm512_xor_ps(_mm512_loadu_ps(x + i + 48), flip));
    }
    for (; i + 16 <= d; i += 16)
        m0 = _mm512_max_ps(m0, _mm512_xor_ps(_mm512_loadu_ps(x + i), flip));
    if (i < d) {
        const __mmask16 m = tail_mask(d - i);
        /* lanes past the row: -inf after the flip */
        const __m512 v = _mm512_mask_xor_ps(lowest, m, _mm512_maskz_loadu_ps(m, x + i), flip);
        m1 = _mm512_max_ps(m1, v);
    }
    const __m512 m = _mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3));
    return _mm512_cvtss_f32(_mm512_xor_ps(_mm512_set1_ps(_mm512_reduce_max_ps(m)), flip));
}

static void row_softmax(const float *x, float *y, int64_t d, float beta, __m512 flip) {
    const __m512 pivot = _mm512_set1_ps(row_pivot(x, d, flip));
    const __m512 vb = _mm512_set1_ps(beta);
#define EXP_AT(k) exp_nonpos16(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i + (k)), pivot), vb))
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= d; i += 64) {
        const __m512 e0 = EXP_AT(0), e1 = EXP_AT(16), e2 = EXP_AT(32), e3 = EXP_AT(48);
        _mm512_storeu_ps(y + i, e0);
        _mm512_storeu_ps(y + i + 16, e1);
        _mm512_storeu_ps(y + i + 32, e2);
        _mm512_storeu_ps(y + i + 48, e3);
        s0 = _mm512_add_ps(s0, e0);
        s1 = _mm512_add_ps(s1, e1);
        s2 = _mm512_add_ps(s2, e2);
        s3 = _mm512_add_ps(s3, e3);
    }
    for (; i + 16 <= d; i += 16) {
        const __m512 e = EXP_AT(0);
        _mm512_storeu_ps(y + i, e);
        s0 = _mm512_add_ps(s0, e);
    }
#undef EXP_AT
    if (i < d) {
        const __mmask16 m = tail_mask(d - i);
        /* lanes past the row load the pivot (exp(0) = 1) and are neither summed nor stored */
        const __m512 v = _mm512_mask_loadu_ps(pivot, m, x + i);
        const __m512 e = exp_nonpos16(_mm512_mul_ps(_mm512_sub_ps(v, pivot), vb));
        _mm512_mask_storeu_ps(y + i, m, e);
        s1 = _mm512_mask_add_ps(s1, m, s1, e);
    }
    const float sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    /* sum >= 1 (the pivot's own term is exp(0)) unless the row holds NaN or +inf */
    const __m512 vs = _mm512_set1_ps(sum), vinv = _mm512_set1_ps(1.0f / sum);
    i = 0;
    for (; i + 32 <= d; i += 32) {
        _mm512_storeu_ps(y + i, quotient16(_mm512_loadu_ps(y + i), vs, vinv));
        _mm512_storeu_ps(y + i + 16, quotient16(_mm512_loadu_ps(y + i + 16), vs, vinv));
    }
    for (; i < d; i += 16) {
        const __mmask16 m = d - i >= 16 ? (__mmask16)0xFFFF : tail_mask(d - i);
        _mm512_mask_storeu_ps(y + i, m, quotient16(_mm512_maskz_loadu_ps(m, y + i), vs, vinv));
    }
}

/* lanes [off, off + 16) of a row of d values: all, some or none */
static inline __mmask16 row_lanes(int64_t d, int64_t off) {
    return d - off >= 16 ? (__mmask16)0xFFFF : (d <= off ? (__mmask16)0 : tail_mask(d - off));
}

/* A row of at most 16 * NV values (NV = 1 or 2), kept in registers from load to store:
 * short rows (attention over a few dozen tokens, class scores) are bound by the latency of
 * the two horizontal reductions, and skipping the reloads and the loop control shortens
 * each row's chain (measured: 15-30% faster for rows of 10 to 32 values; no gain with four
 * vectors, so longer rows take row_softmax). Same operations per value as row_softmax, the
 * sum in another order. */
#define DEFINE_ROW_IN_REGISTERS(NAME, NV)                                                    \
    static void NAME(const float *x, float *y, int64_t d, float beta, __m512 flip) {          \
        const __m512 lowest = _mm512_set1_ps(-__builtin_inff());                             \
        __mmask16 k[NV];                                                                     \
        __m512 v[NV];                                                                        \
        for (int j = 0; j < NV; j++) {                                                       \
            k[j] = row_lanes(d, 16 * j);                                                     \
            v[j] = _mm512_maskz_loadu_ps(k[j], x + 16 * j);                                  \
        }                                                                                    \
        /* the pivot, lanes past the row -inf after the flip */                              \
        __m512 m = _mm512_mask_xor_ps(lowest, k[0], v[0], flip);                             \
        for (int j = 1; j < NV; j++)                                                         \
            m = _mm512_max_ps(m, _mm512_mask_xor_ps(lowest, k[j], v[j], flip));              \
        const __m512 pivot = _mm512_xor_ps(_mm512_set1_ps(_mm512_reduce_max_ps(m)), flip);   \
        const __m512 vb = _mm512_set1_ps(beta);                                              \
        __m512 sum = _mm512_setzero_ps();                                                    \
        for (int j = 0; j < NV; j++) {                                                       \
            /* lanes past the row: neither summed nor stored */                              \
            v[j] = exp_nonpos16(_mm512_mul_ps(_mm512_sub_ps(v[j], pivot), vb));              \
            sum = _mm512_mask_add_ps(sum, k[j], sum, v[j]);                                  \
        }                                                                                    \
        const float total = _mm512_reduce_add_ps(sum);                                       \
        const __m512 vs = _mm512_set1_ps(total), vinv = _mm512_set1_ps(1.0f / total);        \
        for (int j = 0; j < NV; j++)                                                         \
            _mm512_mask_storeu_ps(y + 16 * j, k[j], quotient16(v[j], vs, vinv));             \
    }

DEFINE_ROW_IN_REGISTERS(row_softmax_16, 1)
DEFINE_ROW_IN_REGISTERS(row_softmax_32, 2)

void lt_softmax_f32_avx512(const float *in, float *out, int64_t rows, int64_t depth, float beta) {
    const __m512 flip = _mm512_set1_ps(beta < 0.0f ? -0.0f : 0.0f);
    void (*row)(const float *, float *, int64_t, float, __m512) =
        depth <= 16 ? row_softmax_16 : (depth <= 32 ? row_softmax_32 : row_softmax);
    for (int64_t r = 0; r < rows; r++) row(in + r * depth, out + r * depth, depth, beta, flip);
}
