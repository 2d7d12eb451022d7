/* float32 ADD / SUB / MUL / DIV rows with the fused clamp, 8 lanes (AVX2).
 *
 * Same arithmetic as eltwise_f32_avx512.c (see there for why min(hi, max(lo, y)) equals the
 * portable clamp, NaN included). Tails use VMASKMOVPS, which does not touch memory in the
 * masked-out lanes. */
#include <immintrin.h>

#include "../eltwise_simd.h"

static inline __m256 clamp8(__m256 y, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, y));
}

/* All-ones in the first `left` lanes (left in [1, 7]). */
static inline __m256i tail_mask(int64_t left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* A row of n outputs where operand a (b) is a vector loaded at i, or one value held in a
 * register: A_AT / B_AT name how to fetch 8 lanes, A_MASK / B_MASK the masked tail. */
#define DEFINE_ROW(NAME, VOP, A_AT, B_AT, A_MASK, B_MASK)                                     \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const float *a = a_, *b = b_;                                                         \
        float *out = out_;                                                                    \
        if (n <= 0) return;                                                                   \
        const lt_eltwise_clamp_f32 *p = p_;                                                   \
        const __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);                 \
        const __m256 a1 = _mm256_set1_ps(a[0]), b1 = _mm256_set1_ps(b[0]);                    \
        (void)a1;                                                                             \
        (void)b1;                                                                             \
        int64_t i = 0;                                                                        \
        for (; i + 32 <= n; i += 32) {                                                        \
            const __m256 y0 = VOP(A_AT(i), B_AT(i));                                          \
            const __m256 y1 = VOP(A_AT(i + 8), B_AT(i + 8));                                  \
            const __m256 y2 = VOP(A_AT(i + 16), B_AT(i + 16));                                \
            const __m256 y3 = VOP(A_AT(i + 24), B_AT(i + 24));                                \
            _mm256_storeu_ps(out + i, clamp8(y0, lo, hi));                                    \
            _mm256_storeu_ps(out + i + 8, clamp8(y1, lo, hi));                                \
            _mm256_storeu_ps(out + i + 16, clamp8(y2, lo, hi));                               \
            _mm256_storeu_ps(out + i + 24, clamp8(y3, lo, hi));                               \
        }                                                                                     \
        for (; i + 8 <= n; i += 8)                                                            \
            _mm256_storeu_ps(out + i, clamp8(VOP(A_AT(i), B_AT(i)), lo, hi));                 \
        if (i < n) {                                                                          \
            const __m256i m = tail_mask(n - i);                                               \
            _mm256_maskstore_ps(out + i, m, clamp8(VOP(A_MASK(i), B_MASK(i)), lo, hi));       \
        }                                                                                     \
    }

#define VEC_A(i) _mm256_loadu_ps(a + (i))
#define VEC_B(i) _mm256_loadu_ps(b + (i))
#define ONE_A(i) a1
#define ONE_B(i) b1
#define MASK_A(i) _mm256_maskload_ps(a + (i), m)
#define MASK_B(i) _mm256_maskload_ps(b + (i), m)

#define DEFINE_ROWS(OP, VOP)                                                                  \
    DEFINE_ROW(OP##_vv, VOP, VEC_A, VEC_B, MASK_A, MASK_B)                                    \
    DEFINE_ROW(OP##_sv, VOP, ONE_A, VEC_B, ONE_A, MASK_B)                                     \
    DEFINE_ROW(OP##_vs, VOP, VEC_A, ONE_B, MASK_A, ONE_B)

DEFINE_ROWS(add, _mm256_add_ps)
DEFINE_ROWS(sub, _mm256_sub_ps)
DEFINE_ROWS(mul, _mm256_mul_ps)
DEFINE_ROWS(div, _mm256_div_ps)

const lt_bcast_rows lt_eltwise_f32_rows_avx2[4] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
    {div_vv, div_sv, div_vs},
};
