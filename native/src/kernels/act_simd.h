/* SIMD float32 activations (x86 AVX2 and AVX-512, in kernels/x86/act_*), picked at prepare by
 * activations.c, activations_gelu_elu.c and elementwise_unary.c (EXP) when lt_ctx_isa allows.
 *
 * RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU and HARD_SWISH use the portable kernels' operations in
 * the same order (HARD_SWISH: x * clamp(x + 3, 0, 6) / 6 with a true division), and clamps
 * ordered so that NaN and -0.0 pass through as the portable comparisons let them: results
 * are bit-identical.
 *
 * LOGISTIC, TANH, both forms of GELU, ELU and EXP evaluate exp, expm1, tanh and erfc with
 * their own polynomials (kernels/x86/vmath_avx2.h, vmath_avx512.h: one algorithm, both
 * levels give the same results) instead of the C library's expf / expm1f / tanhf / erfcf.
 * They keep the portable kernels' formulas around them (1 / (1 + e^-x) or e^x / (1 + e^x);
 * GELU's 0.5 x erfc(-x / sqrt 2) and its tanh form in the same operation order; ELU's
 * x < 0 ? expm1(x) : x) and differ from them by a few units in the last place
 * (tests/test_simd_unary.py states and checks the bounds). NaN propagates; infinities,
 * signed zeros and the points where results saturate or underflow are as in the portable
 * kernels.
 *
 * Every element is computed by the same vector code (tails through masked loads and stores),
 * so results do not depend on how a tensor is cut between threads. */
#ifndef LITERT_KERNELS_ACT_SIMD_H
#define LITERT_KERNELS_ACT_SIMD_H

#include <stdint.h>

/* out[i] = f(in[i]) for i < n; alpha is LEAKY_RELU's slope (ignored by the others). */
typedef void (*lt_act_f32_fn)(const float *in, float *out, int64_t n, float alpha);

enum {
    LT_ACT_SIMD_RELU,
    LT_ACT_SIMD_RELU6,
    LT_ACT_SIMD_RELU_N1_TO_1,
    LT_ACT_SIMD_LEAKY_RELU,
    LT_ACT_SIMD_HARD_SWISH,
    LT_ACT_SIMD_LOGISTIC,
    LT_ACT_SIMD_TANH,
    LT_ACT_SIMD_GELU_TANH, /* GELU with approximate = true */
    LT_ACT_SIMD_GELU_ERF,  /* GELU with approximate = false */
    LT_ACT_SIMD_ELU,
    LT_ACT_SIMD_EXP,       /* the EXP op (elementwise_unary.c) */
    LT_ACT_SIMD_COUNT
};

#if defined(LITERT_X86_KERNELS)
extern const lt_act_f32_fn lt_act_f32_avx2[LT_ACT_SIMD_COUNT];
extern const lt_act_f32_fn lt_act_f32_avx512[LT_ACT_SIMD_COUNT];
#endif

#endif
