/* float32 activations, 8 lanes (AVX2 + FMA): the same algorithms and constants as
 * act_f32_avx512.c (see there and act_simd.h), with comparisons as lane masks and tails
 * through VMASKMOVPS. */
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
#define ROUND_NEAREST(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* y = n ln2 + r, |r| <= ln2 / 2 (for y in [-150 ln2, 0] or NaN): returns n (an integer
 * value) and t = e^r - 1 = r + r^2 Q(r). ln2 is split in two so that n * ln2_hi is exact. */
static inline __m256 exp_reduce(__m256 y, __m256 *t) {
    const __m256 n = ROUND_NEAREST(_mm256_mul_ps(y, _mm256_set1_ps(1.44269504088896341f)));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), y);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 q = _mm256_set1_ps(EXP_C6);
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_C5));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_C4));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_C3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(EXP_C2));
    *t = _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
    return n;
}

/* 2^n for an integer value n in [-126, 0] */
static inline __m256 pow2(__m256i n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

/* e^y for y <= 0 or NaN (NaN propagates through the polynomial). */
static inline __m256 exp_nonpos(__m256 y) {
    y = _mm256_max_ps(_mm256_set1_ps(-104.0f), y); /* NaN kept: MAXPS returns y */
    __m256 t;
    const __m256i n = _mm256_cvtps_epi32(exp_reduce(y, &t));
    const __m256 p = _mm256_add_ps(t, _mm256_set1_ps(1.0f));
    /* n in [-150, 0]: 2^n = 2^n1 * 2^n2 with both factors normal; p * 2^n1 is exact, so the
     * result is rounded once even when it is subnormal. */
    const __m256i n1 = _mm256_srai_epi32(n, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, pow2(n1)), pow2(_mm256_sub_epi32(n, n1)));
}

/* e^y for y in [-20, 0] (or NaN) as s (1 + t), s = 2^n normal, |t| < 0.42: callers form
 * 1 +- e with one rounding each (FMA). */
static inline void exp_parts(__m256 y, __m256 *s, __m256 *t) {
    y = _mm256_max_ps(_mm256_set1_ps(-20.0f), y); /* NaN kept */
    *s = pow2(_mm256_cvtps_epi32(exp_reduce(y, t)));
}

static inline __m256 abs8(__m256 x) {
    return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

/* ---- element functions ------------------------------------------------------------------ */

/* x < 0 ? 0 : x: MAXPS(0, x) returns x for NaN and for -0.0 (0 > -0 is false). */
static inline __m256 relu8(__m256 x, __m256 alpha) {
    (void)alpha;
    return _mm256_max_ps(_mm256_setzero_ps(), x);
}

static inline __m256 relu6_8(__m256 x, __m256 alpha) {
    (void)alpha;
    return _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(_mm256_setzero_ps(), x));
}

static inline __m256 relu_n1_to_1_8(__m256 x, __m256 alpha) {
    (void)alpha;
    return _mm256_min_ps(_mm256_set1_ps(1.0f), _mm256_max_ps(_mm256_set1_ps(-1.0f), x));
}

/* x > 0 ? x : x * alpha */
static inline __m256 leaky_relu8(__m256 x, __m256 alpha) {
    const __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
    return _mm256_blendv_ps(_mm256_mul_ps(x, alpha), x, pos);
}

/* x * clamp(x + 3, 0, 6) / 6, in the portable kernel's order */
static inline __m256 hard_swish8(__m256 x, __m256 alpha) {
    (void)alpha;
    const __m256 t = _mm256_add_ps(x, _mm256_set1_ps(3.0f));
    const __m256 gate =
        _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(_mm256_setzero_ps(), t));
    return _mm256_div_ps(_mm256_mul_ps(x, gate), _mm256_set1_ps(6.0f));
}

/* x >= 0 ? 1 / (1 + e^-x) : e^x / (1 + e^x), both as num / (1 + e^-|x|) */
static inline __m256 logistic8(__m256 x, __m256 alpha) {
    (void)alpha;
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = exp_nonpos(_mm256_sub_ps(_mm256_setzero_ps(), abs8(x)));
    const __m256 nonneg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_div_ps(_mm256_blendv_ps(e, one, nonneg), _mm256_add_ps(one, e));
}

static inline __m256 tanh8(__m256 x, __m256 alpha) {
    (void)alpha;
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 ax = abs8(x);
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = _mm256_set1_ps(TANH_P5);
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(TANH_P4));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(TANH_P3));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(TANH_P2));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(TANH_P1));
    p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(TANH_P0));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(ax, x2), p, ax);
    __m256 s, t;
    exp_parts(_mm256_mul_ps(ax, _mm256_set1_ps(-2.0f)), &s, &t);
    const __m256 num = _mm256_fnmadd_ps(s, t, _mm256_sub_ps(one, s));
    const __m256 den = _mm256_fmadd_ps(s, t, _mm256_add_ps(one, s));
    const __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(TANH_SMALL), _CMP_LT_OQ);
    const __m256 mag = _mm256_blendv_ps(_mm256_div_ps(num, den), small, is_small);
    const __m256 sign = _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
    return _mm256_or_ps(mag, sign);
}

/* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), in the portable kernel's order */
static inline __m256 gelu_tanh8(__m256 x, __m256 alpha) {
    const __m256 cube =
        _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), x), x), x);
    const __m256 z = _mm256_mul_ps(_mm256_set1_ps(0.79788456080286536f), _mm256_add_ps(x, cube));
    const __m256 t = tanh8(z, alpha);
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x),
                         _mm256_add_ps(_mm256_set1_ps(1.0f), t));
}

/* ---- loops -------------------------------------------------------------------------------- */

static inline __m256i tail_mask(int64_t left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left >= 8 ? 8 : (int)left),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define DEFINE_ACT(NAME, F)                                                                   \
    static void NAME(const float *in, float *out, int64_t n, float alpha_) {                  \
        const __m256 alpha = _mm256_set1_ps(alpha_);                                          \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16) {                                                        \
            const __m256 y0 = F(_mm256_loadu_ps(in + i), alpha);                              \
            const __m256 y1 = F(_mm256_loadu_ps(in + i + 8), alpha);                          \
            _mm256_storeu_ps(out + i, y0);                                                    \
            _mm256_storeu_ps(out + i + 8, y1);                                                \
        }                                                                                     \
        for (; i < n; i += 8) {                                                               \
            const __m256i m = tail_mask(n - i);                                               \
            _mm256_maskstore_ps(out + i, m, F(_mm256_maskload_ps(in + i, m), alpha));         \
        }                                                                                     \
    }

DEFINE_ACT(relu_avx2, relu8)
DEFINE_ACT(relu6_avx2, relu6_8)
DEFINE_ACT(relu_n1_to_1_avx2, relu_n1_to_1_8)
DEFINE_ACT(leaky_relu_avx2, leaky_relu8)
DEFINE_ACT(hard_swish_avx2, hard_swish8)
DEFINE_ACT(logistic_avx2, logistic8)
DEFINE_ACT(tanh_avx2, tanh8)
DEFINE_ACT(gelu_tanh_avx2, gelu_tanh8)

const lt_act_f32_fn lt_act_f32_avx2[LT_ACT_SIMD_COUNT] = {
    [LT_ACT_SIMD_RELU] = relu_avx2,
    [LT_ACT_SIMD_RELU6] = relu6_avx2,
    [LT_ACT_SIMD_RELU_N1_TO_1] = relu_n1_to_1_avx2,
    [LT_ACT_SIMD_LEAKY_RELU] = leaky_relu_avx2,
    [LT_ACT_SIMD_HARD_SWISH] = hard_swish_avx2,
    [LT_ACT_SIMD_LOGISTIC] = logistic_avx2,
    [LT_ACT_SIMD_TANH] = tanh_avx2,
    [LT_ACT_SIMD_GELU_TANH] = gelu_tanh_avx2,
};
