/* float32 ADD / SUB / MUL / DIV rows with the fused clamp, 16 lanes (AVX-512F).
 *
 * Each output is one IEEE operation on the same operands in the same order as the portable
 * row (elementwise_binary.c), then the clamp written as min(hi, max(lo, y)): with the
 * operand order of MAXPS / MINPS (the second operand is returned when either is NaN) a NaN
 * result passes through, and a value equal to a bound keeps its own sign of zero, exactly as
 * the portable `y < lo ? lo : (y > hi ? hi : y)`. Tails use masked loads and stores, which
 * never touch memory past the row's end. */
#include <immintrin.h>

#include "../eltwise_simd.h"

static inline __m512 clamp16(__m512 y, __m512 lo, __m512 hi) {
    return _mm512_min_ps(hi, _mm512_max_ps(lo, y));
}

static inline __mmask16 tail_mask(int64_t left) { return (__mmask16)((1u << left) - 1u); }

/* A row of n outputs where operand a (b) is a vector loaded at i, or one value held in a
 * register: A_AT / B_AT name how to fetch 16 lanes, A_MASK / B_MASK the masked tail. */
#define DEFINE_ROW(NAME, VOP, A_AT, B_AT, A_MASK, B_MASK)                                     \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const float *a = a_, *b = b_;                                                         \
        float *out = out_;                                                                    \
        if (n <= 0) return;                                                                   \
        const lt_eltwise_clamp_f32 *p = p_;                                                   \
        const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);                 \
        const __m512 a1 = _mm512_set1_ps(a[0]), b1 = _mm512_set1_ps(b[0]);                    \
        (void)a1;                                                                             \
        (void)b1;                                                                             \
        int64_t i = 0;                                                                        \
        for (; i + 64 <= n; i += 64) {                                                        \
            const __m512 y0 = VOP(A_AT(i), B_AT(i));                                          \
            const __m512 y1 = VOP(A_AT(i + 16), B_AT(i + 16));                                \
            const __m512 y2 = VOP(A_AT(i + 32), B_AT(i + 32));                                \
            const __m512 y3 = VOP(A_AT(i + 48), B_AT(i + 48));                                \
            _mm512_storeu_ps(out + i, clamp16(y0, lo, hi));                                   \
            _mm512_storeu_ps(out + i + 16, clamp16(y1, lo, hi));                              \
            _mm512_storeu_ps(out + i + 32, clamp16(y2, lo, hi));                              \
            _mm512_storeu_ps(out + i + 48, clamp16(y3, lo, hi));                              \
        }                                                                                     \
        for (; i + 16 <= n; i += 16)                                                          \
            _mm512_storeu_ps(out + i, clamp16(VOP(A_AT(i), B_AT(i)), lo, hi));                \
        if (i < n) {                                                                          \
            const __mmask16 m = tail_mask(n - i);                                             \
            _mm512_mask_storeu_ps(out + i, m, clamp16(VOP(A_MASK(i), B_MASK(i)), lo, hi));    \
        }                                                                                     \
    }

#define VEC_A(i) _mm512_loadu_ps(a + (i))
#define VEC_B(i) _mm512_loadu_ps(b + (i))
#define ONE_A(i) a1
#define ONE_B(i) b1
#define MASK_A(i) _mm512_maskz_loadu_ps(m, a + (i))
#define MASK_B(i) _mm512_maskz_loadu_ps(m, b + (i))

#define DEFINE_ROWS(OP, VOP)                                                                  \
    DEFINE_ROW(OP##_vv, VOP, VEC_A, VEC_B, MASK_A, MASK_B)                                    \
    DEFINE_ROW(OP##_sv, VOP, ONE_A, VEC_B, ONE_A, MASK_B)                                     \
    DEFINE_ROW(OP##_vs, VOP, VEC_A, ONE_B, MASK_A, ONE_B)

DEFINE_ROWS(add, _mm512_add_ps)
DEFINE_ROWS(sub, _mm512_sub_ps)
DEFINE_ROWS(mul, _mm512_mul_ps)
DEFINE_ROWS(div, _mm512_div_ps)

const lt_bcast_rows lt_eltwise_f32_rows_avx512[4] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
    {div_vv, div_sv, div_vs},
};
