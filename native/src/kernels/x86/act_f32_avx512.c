/* float32 activations, 16 lanes (AVX-512F/DQ): see act_simd.h for what is exact and what is
 * approximated.
 *
 * exp(y) for y <= 0 (the only arguments used: e^-|x|, e^-2|x|): y = n ln2 + r with
 * n = round(y / ln2) and |r| <= ln2 / 2, e^r = 1 + r + r^2 Q(r) with Q a degree-4 polynomial
 * fitted to a relative error of 0.13 ulp on that interval, and 2^n applied as two exact
 * power-of-two factors, so that results down in the subnormal range are rounded once.
 * Arguments below -104 give 0 like expf (e^-104 is below half the smallest subnormal).
 *
 * LOGISTIC: num / (1 + e) with e = e^-|x| and num = 1 (x >= 0) or e (x < 0), the portable
 * kernel's two formulas. TANH for |x| < 0.625: |x| + |x|^3 P(x^2), P of degree 5 fitted to a
 * relative error below 0.01 ulp; beyond: (1 - e) / (1 + e) with e = e^-2|x| = s (1 + t)
 * (s a power of two), numerator and denominator each rounded once as (1 -+ s) -+ s t; then
 * the sign of x (so tanh(-0) = -0).
 *
 * Measured over every float32 input in [-120, 120] (and the specials), against the portable
 * kernels with glibc's expf / tanhf: LOGISTIC and TANH within 2 ulp; GELU (tanh form) within
 * 1.3 (ulp(result) + |x| 2^-24). tests/test_simd_eltwise_pool.py asserts these bounds. */
#include <immintrin.h>

#include "../act_simd.h"

/* Q(r) of e^r = 1 + r + r^2 Q(r), |r| <= ln2 / 2 */
#define EXP_C2 0.49999967217445374f
#define EXP_C3 0.16666479408740997f
#define EXP_C4 0.04167356714606285f
#define EXP_C5 0.008372687734663486f
#define EXP_C6 0.001357120811007917f
/* P(u) of tanh(x) = x + x^3 P(x^2), |x| < 0.625 */
#define TANH_P0 -0.333333283662796f
#define TANH_P1 0.13333137333393097f
#define TANH_P2 -0.053939271718263626f
#define TANH_P3 0.021664360538125038f
#define TANH_P4 -0.008096002042293549f
#define TANH_P5 0.0020744004286825657f
#define TANH_SMALL 0.625f
#define ROUND_NEAREST(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* y = n ln2 + r, |r| <= ln2 / 2 (for y in [-150 ln2, 0] or NaN): returns n (an integer
 * value) and t = e^r - 1 = r + r^2 Q(r). ln2 is split in two so that n * ln2_hi is exact. */
static inline __m512 exp_reduce(__m512 y, __m512 *t) {
    const __m512 n = ROUND_NEAREST(_mm512_mul_ps(y, _mm512_set1_ps(1.44269504088896341f)));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), y);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 q = _mm512_set1_ps(EXP_C6);
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(EXP_C5));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(EXP_C4));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(EXP_C3));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(EXP_C2));
    *t = _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
    return n;
}

/* 2^n for an integer value n in [-126, 0] */
static inline __m512 pow2(__m512i n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
}

/* e^y for y <= 0 or NaN (NaN propagates through the polynomial). */
static inline __m512 exp_nonpos(__m512 y) {
    y = _mm512_max_ps(_mm512_set1_ps(-104.0f), y); /* NaN kept: MAXPS returns y */
    __m512 t;
    const __m512i n = _mm512_cvtps_epi32(exp_reduce(y, &t));
    const __m512 p = _mm512_add_ps(t, _mm512_set1_ps(1.0f));
    /* n in [-150, 0]: 2^n = 2^n1 * 2^n2 with both factors normal; p * 2^n1 is exact, so the
     * result is rounded once even when it is subnormal. */
    const __m512i n1 = _mm512_srai_epi32(n, 1);
    return _mm512_mul_ps(_mm512_mul_ps(p, pow2(n1)), pow2(_mm512_sub_epi32(n, n1)));
}

/* e^y for y in [-20, 0] (or NaN) as s (1 + t), s = 2^n normal, |t| < 0.42: callers form
 * 1 +- e with one rounding each (FMA). */
static inline void exp_parts(__m512 y, __m512 *s, __m512 *t) {
    y = _mm512_max_ps(_mm512_set1_ps(-20.0f), y); /* NaN kept */
    *s = pow2(_mm512_cvtps_epi32(exp_reduce(y, t)));
}

static inline __m512 abs16(__m512 x) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

/* ---- element functions ------------------------------------------------------------------ */

/* x < 0 ? 0 : x: MAXPS(0, x) returns x for NaN and for -0.0 (0 > -0 is false). */
static inline __m512 relu16(__m512 x, __m512 alpha) {
    (void)alpha;
    return _mm512_max_ps(_mm512_setzero_ps(), x);
}

static inline __m512 relu6_16(__m512 x, __m512 alpha) {
    (void)alpha;
    return _mm512_min_ps(_mm512_set1_ps(6.0f), _mm512_max_ps(_mm512_setzero_ps(), x));
}

static inline __m512 relu_n1_to_1_16(__m512 x, __m512 alpha) {
    (void)alpha;
    return _mm512_min_ps(_mm512_set1_ps(1.0f), _mm512_max_ps(_mm512_set1_ps(-1.0f), x));
}

/* x > 0 ? x : x * alpha */
static inline __m512 leaky_relu16(__m512 x, __m512 alpha) {
    const __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_mov_ps(_mm512_mul_ps(x, alpha), pos, x);
}

/* x * clamp(x + 3, 0, 6) / 6, in the portable kernel's order */
static inline __m512 hard_swish16(__m512 x, __m512 alpha) {
    (void)alpha;
    const __m512 t = _mm512_add_ps(x, _mm512_set1_ps(3.0f));
    const __m512 gate = _mm512_min_ps(_mm512_set1_ps(6.0f), _mm512_max_ps(_mm512_setzero_ps(), t));
    return _mm512_div_ps(_mm512_mul_ps(x, gate), _mm512_set1_ps(6.0f));
}

/* x >= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x), both as num / (1 + e^-|x|) */
static inline __m512 logistic16(__m512 x, __m512 alpha) {
    (void)alpha;
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 e = exp_nonpos(_mm512_sub_ps(_mm512_setzero_ps(), abs16(x)));
    const __mmask16 nonneg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_div_ps(_mm512_mask_mov_ps(e, nonneg, one), _mm512_add_ps(one, e));
}

static inline __m512 tanh16(__m512 x, __m512 alpha) {
    (void)alpha;
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 ax = abs16(x);
    /* small |x|: |x| + |x|^3 P(x^2) */
    const __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_set1_ps(TANH_P5);
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(TANH_P4));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(TANH_P3));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(TANH_P2));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(TANH_P1));
    p = _mm512_fmadd_ps(p, x2, _mm512_set1_ps(TANH_P0));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(ax, x2), p, ax);
    /* large |x| (and NaN, which fails the comparison and stays NaN): with e^-2|x| = s (1 + t),
     * (1 - e) / (1 + e) = ((1 - s) - s t) / ((1 + s) + s t), 1 - s and 1 + s exact */
    __m512 s, t;
    exp_parts(_mm512_mul_ps(ax, _mm512_set1_ps(-2.0f)), &s, &t);
    const __m512 num = _mm512_fnmadd_ps(s, t, _mm512_sub_ps(one, s));
    const __m512 den = _mm512_fmadd_ps(s, t, _mm512_add_ps(one, s));
    const __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(TANH_SMALL), _CMP_LT_OQ);
    const __m512 mag = _mm512_mask_mov_ps(_mm512_div_ps(num, den), is_small, small);
    /* the sign of x (tanh(-0) = -0) */
    const __m512 sign = _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
    return _mm512_or_ps(mag, sign);
}

/* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), in the portable kernel's order */
static inline __m512 gelu_tanh16(__m512 x, __m512 alpha) {
    const __m512 cube =
        _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), x), x), x);
    const __m512 z = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286536f), _mm512_add_ps(x, cube));
    const __m512 t = tanh16(z, alpha);
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x),
                         _mm512_add_ps(_mm512_set1_ps(1.0f), t));
}

/* ---- loops -------------------------------------------------------------------------------- */

#define DEFINE_ACT(NAME, F)                                                                   \
    static void NAME(const float *in, float *out, int64_t n, float alpha_) {                  \
        const __m512 alpha = _mm512_set1_ps(alpha_);                                          \
        int64_t i = 0;                                                                        \
        for (; i + 32 <= n; i += 32) {                                                        \
            const __m512 y0 = F(_mm512_loadu_ps(in + i), alpha);                              \
            const __m512 y1 = F(_mm512_loadu_ps(in + i + 16), alpha);                         \
            _mm512_storeu_ps(out + i, y0);                                                    \
            _mm512_storeu_ps(out + i + 16, y1);                                               \
        }                                                                                     \
        for (; i < n; i += 16) {                                                              \
            const int64_t left = n - i;                                                       \
            const __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u); \
            _mm512_mask_storeu_ps(out + i, m, F(_mm512_maskz_loadu_ps(m, in + i), alpha));    \
        }                                                                                     \
    }

DEFINE_ACT(relu_avx512, relu16)
DEFINE_ACT(relu6_avx512, relu6_16)
DEFINE_ACT(relu_n1_to_1_avx512, relu_n1_to_1_16)
DEFINE_ACT(leaky_relu_avx512, leaky_relu16)
DEFINE_ACT(hard_swish_avx512, hard_swish16)
DEFINE_ACT(logistic_avx512, logistic16)
DEFINE_ACT(tanh_avx512, tanh16)
DEFINE_ACT(gelu_tanh_avx512, gelu_tanh16)

const lt_act_f32_fn lt_act_f32_avx512[LT_ACT_SIMD_COUNT] = {
    [LT_ACT_SIMD_RELU] = relu_avx512,
    [LT_ACT_SIMD_RELU6] = relu6_avx512,
    [LT_ACT_SIMD_RELU_N1_TO_1] = relu_n1_to_1_avx512,
    [LT_ACT_SIMD_LEAKY_RELU] = leaky_relu_avx512,
    [LT_ACT_SIMD_HARD_SWISH] = hard_swish_avx512,
    [LT_ACT_SIMD_LOGISTIC] = logistic_avx512,
    [LT_ACT_SIMD_TANH] = tanh_avx512,
    [LT_ACT_SIMD_GELU_TANH] = gelu_tanh_avx512,
};
