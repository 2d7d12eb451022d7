/* float32 activations, 8 lanes (AVX2 + FMA): the same algorithms as act_f32_avx512.c (see
 * there and act_simd.h), with comparisons as lane masks and tails through VMASKMOVPS; the
 * vector math is in vmath_avx2.h. */
#include <immintrin.h>

#include "../act_simd.h"
#include "vmath_avx2.h"

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

static inline __m256 logistic8(__m256 x, __m256 alpha) {
    (void)alpha;
    return lt_vm8_logistic(x);
}

static inline __m256 tanh8(__m256 x, __m256 alpha) {
    (void)alpha;
    return lt_vm8_tanh(x);
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

/* 0.5 x erfc(-x / sqrt 2), in the portable kernel's order */
static inline __m256 gelu_erf8(__m256 x, __m256 alpha) {
    (void)alpha;
    const __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(-0.70710678118654752f));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), lt_vm8_erfc(z));
}

/* x < 0 ? expm1(x) : x (NaN and -0 fail the comparison and pass through) */
static inline __m256 elu8(__m256 x, __m256 alpha) {
    (void)alpha;
    const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(x, lt_vm8_expm1_nonpos(x), neg);
}

static inline __m256 exp8(__m256 x, __m256 alpha) {
    (void)alpha;
    return lt_vm8_exp(x);
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
DEFINE_ACT(gelu_erf_avx2, gelu_erf8)
DEFINE_ACT(elu_avx2, elu8)
DEFINE_ACT(exp_avx2, exp8)

const lt_act_f32_fn lt_act_f32_avx2[LT_ACT_SIMD_COUNT] = {
    [LT_ACT_SIMD_RELU] = relu_avx2,
    [LT_ACT_SIMD_RELU6] = relu6_avx2,
    [LT_ACT_SIMD_RELU_N1_TO_1] = relu_n1_to_1_avx2,
    [LT_ACT_SIMD_LEAKY_RELU] = leaky_relu_avx2,
    [LT_ACT_SIMD_HARD_SWISH] = hard_swish_avx2,
    [LT_ACT_SIMD_LOGISTIC] = logistic_avx2,
    [LT_ACT_SIMD_TANH] = tanh_avx2,
    [LT_ACT_SIMD_GELU_TANH] = gelu_tanh_avx2,
    [LT_ACT_SIMD_GELU_ERF] = gelu_erf_avx2,
    [LT_ACT_SIMD_ELU] = elu_avx2,
    [LT_ACT_SIMD_EXP] = exp_avx2,
};
