/* float32 ADD / SUB / MUL / DIV rows with the fused clamp for AArch64 NEON (eltwise_simd.h).
 *
 * One IEEE operation per element, then the portable clamp x < lo ? lo : (x > hi ? hi : x)
 * by compare-and-select (lt_neon_clamp_f32: the same bits, -0 and NaN included), 16
 * elements per step; the last n % 4 elements go through the same operations in scalar C,
 * which AArch64 rounds exactly like the vector lanes. Bit-identical to the portable rows. */
#if defined(__aarch64__)
#include "../eltwise_simd.h"
#include "neon_common.h"

static inline float clamp1(float x, float lo, float hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* A row of n outputs where operand a (b) is loaded at i or is the one value in a register:
 * A_AT / B_AT give 4 lanes, A_1 / B_1 one scalar element for the tail. */
#define DEFINE_ROW(NAME, VOP, SOP, A_AT, B_AT, A_1, B_1)                                      \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const float *a = a_, *b = b_;                                                         \
        float *out = out_;                                                                    \
        if (n <= 0) return;                                                                   \
        const lt_eltwise_clamp_f32 *p = p_;                                                   \
        const float lo1 = p->lo, hi1 = p->hi;                                                 \
        const float32x4_t lo = vdupq_n_f32(lo1), hi = vdupq_n_f32(hi1);                      \
        const float32x4_t a1 = vdupq_n_f32(a[0]), b1 = vdupq_n_f32(b[0]);                    \
        (void)a1;                                                                             \
        (void)b1;                                                                             \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16) {                                                        \
            const float32x4_t y0 = VOP(A_AT(i), B_AT(i));                                     \
            const float32x4_t y1 = VOP(A_AT(i + 4), B_AT(i + 4));                             \
            const float32x4_t y2 = VOP(A_AT(i + 8), B_AT(i + 8));                             \
            const float32x4_t y3 = VOP(A_AT(i + 12), B_AT(i + 12));                           \
            vst1q_f32(out + i, lt_neon_clamp_f32(y0, lo, hi));                                \
            vst1q_f32(out + i + 4, lt_neon_clamp_f32(y1, lo, hi));                            \
            vst1q_f32(out + i + 8, lt_neon_clamp_f32(y2, lo, hi));                            \
            vst1q_f32(out + i + 12, lt_neon_clamp_f32(y3, lo, hi));                           \
        }                                                                                     \
        for (; i + 4 <= n; i += 4)                                                            \
            vst1q_f32(out + i, lt_neon_clamp_f32(VOP(A_AT(i), B_AT(i)), lo, hi));             \
        for (; i < n; i++) out[i] = clamp1(SOP(A_1(i), B_1(i)), lo1, hi1);                    \
    }

#define VEC_A(i) vld1q_f32(a + (i))
#define VEC_B(i) vld1q_f32(b + (i))
#define ONE_A(i) a1
#define ONE_B(i) b1
#define EL_A(i) a[i]
#define EL_B(i) b[i]
#define FIRST_A(i) a[0]
#define FIRST_B(i) b[0]

#define S_ADD(x, y) ((x) + (y))
#define S_SUB(x, y) ((x) - (y))
#define S_MUL(x, y) ((x) * (y))
#define S_DIV(x, y) ((x) / (y))

#define DEFINE_ROWS(OP, VOP, SOP)                                                             \
    DEFINE_ROW(OP##_vv, VOP, SOP, VEC_A, VEC_B, EL_A, EL_B)                                   \
    DEFINE_ROW(OP##_sv, VOP, SOP, ONE_A, VEC_B, FIRST_A, EL_B)                                \
    DEFINE_ROW(OP##_vs, VOP, SOP, VEC_A, ONE_B, EL_A, FIRST_B)

DEFINE_ROWS(add, vaddq_f32, S_ADD)
DEFINE_ROWS(sub, vsubq_f32, S_SUB)
DEFINE_ROWS(mul, vmulq_f32, S_MUL)
DEFINE_ROWS(div, vdivq_f32, S_DIV)

const lt_bcast_rows lt_eltwise_f32_rows_neon[4] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
    {div_vv, div_sv, div_vs},
};
#endif
