/* float32 activations, 16 lanes (AVX-512F/DQ): see act_simd.h for what is exact and what is
 * approximated; the vector math (exp, expm1, tanh, logistic, erfc) is in vmath_avx512.h. */
#include <immintrin.h>

#include "../act_simd.h"
#include "vmath_avx512.h"

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

static inline __m512 logistic16(__m512 x, __m512 alpha) {
    (void)alpha;
    return lt_vm16_logistic(x);
}

static inline __m512 tanh16(__m512 x, __m512 alpha) {
    (void)alpha;
    return lt_vm16_tanh(x);
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

/* 0.5 x erfc(-x / sqrt 2), in the portable kernel's order */
static inline __m512 gelu_erf16(__m512 x, __m512 alpha) {
    (void)alpha;
    const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(-0.70710678118654752f));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), x), lt_vm16_erfc(z));
}

/* x < 0 ? expm1(x) : x (NaN and -0 fail the comparison and pass through) */
static inline __m512 elu16(__m512 x, __m512 alpha) {
    (void)alpha;
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(x, neg, lt_vm16_expm1_nonpos(x));
}

static inline __m512 exp16(__m512 x, __m512 alpha) {
    (void)alpha;
    return lt_vm16_exp(x);
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
DEFINE_ACT(gelu_erf_avx512, gelu_erf16)
DEFINE_ACT(elu_avx512, elu16)
DEFINE_ACT(exp_avx512, exp16)

const lt_act_f32_fn lt_act_f32_avx512[LT_ACT_SIMD_COUNT] = {
    [LT_ACT_SIMD_RELU] = relu_avx512,
    [LT_ACT_SIMD_RELU6] = relu6_avx512,
    [LT_ACT_SIMD_RELU_N1_TO_1] = relu_n1_to_1_avx512,
    [LT_ACT_SIMD_LEAKY_RELU] = leaky_relu_avx512,
    [LT_ACT_SIMD_HARD_SWISH] = hard_swish_avx512,
    [LT_ACT_SIMD_LOGISTIC] = logistic_avx512,
    [LT_ACT_SIMD_TANH] = tanh_avx512,
    [LT_ACT_SIMD_GELU_TANH] = gelu_tanh_avx512,
    [LT_ACT_SIMD_GELU_ERF] = gelu_erf_avx512,
    [LT_ACT_SIMD_ELU] = elu_avx512,
    [LT_ACT_SIMD_EXP] = exp_avx512,
};
