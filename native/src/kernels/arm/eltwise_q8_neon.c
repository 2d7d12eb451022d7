/* int8 ADD / SUB / MUL rows for AArch64 NEON, bit-exact with the portable rows of
 * elementwise_binary.c (TensorFlow Lite's fixed-point arithmetic; eltwise_simd.h).
 *
 * 16 outputs per step as four int32 lanes x 4: ADD / SUB scale each offset input by
 * (x + offset) << 20 and its multiplier below 1, add or subtract, and requantize by the
 * output multiplier; MUL multiplies the offset inputs (|255 * 255| fits int32, SMULL on
 * int16 is exact) and requantizes. Every requantization is lt_neon_requant (TensorFlow
 * Lite's double rounding, bit for bit); then the clamp in [lo - zp, hi - zp], + zp, and
 * narrowing. A tail of fewer than 16 outputs is copied to a zeroed local block, computed
 * there and copied back, so no access goes past the row's end. */
#if defined(__aarch64__)
#include "../eltwise_simd.h"
#include "neon_common.h"

/* 16 int8 -> four vectors of 4 int32 */
static LT_NEON_INLINE void load16(const int8_t *p, int32x4_t v[4]) {
    const int8x16_t x = vld1q_s8(p);
    const int16x8_t lo = vmovl_s8(vget_low_s8(x)), hi = vmovl_high_s8(x);
    v[0] = vmovl_s16(vget_low_s16(lo));
    v[1] = vmovl_high_s16(lo);
    v[2] = vmovl_s16(vget_low_s16(hi));
    v[3] = vmovl_high_s16(hi);
}

/* four vectors of 4 int32 already in [-128, 127] -> 16 int8 in order */
static LT_NEON_INLINE int8x16_t pack16(const int32x4_t v[4]) {
    const int16x8_t lo = vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1]));
    const int16x8_t hi = vcombine_s16(vqmovn_s32(v[2]), vqmovn_s32(v[3]));
    return vcombine_s8(vqmovn_s16(lo), vqmovn_s16(hi));
}

/* Runs `step` (16 outputs at offset 0 of its operands) on the last n < 16 elements. `a_vec`
 * / `b_vec`: whether that operand advances (else its first element is the row's value). */
typedef void (*step_fn)(const int8_t *a, const int8_t *b, int8_t *out, const void *v);

static void tail16(step_fn step, const int8_t *a, bool a_vec, const int8_t *b, bool b_vec,
                   int8_t *out, int64_t n, const void *v) {
    int8_t ta[16] = {0}, tb[16] = {0}, to[16];
    memcpy(ta, a, a_vec ? (size_t)n : 1);
    memcpy(tb, b, b_vec ? (size_t)n : 1);
    step(ta, tb, to, v);
    memcpy(out, to, (size_t)n);
}

/* ---- ADD / SUB ---------------------------------------------------------------------- */

typedef struct addsub_vec {
    int32x4_t a_off, a_mult, a_right, b_off, b_mult, b_right; /* rights negated */
    int32x4_t out_mult, out_right, out_zp, lo, hi, left, zero;
    int32x4_t ra1, rb1; /* the scaled broadcast operand of sv / vs rows */
} addsub_vec;

static inline addsub_vec addsub_vec_of(const lt_eltwise_addsub_q8 *p, int8_t a0, int8_t b0) {
    addsub_vec v;
    v.a_off = vdupq_n_s32(p->a_offset);
    v.a_mult = vdupq_n_s32(p->a_mul.multiplier);
    v.a_right = vdupq_n_s32(p->a_mul.shift); /* shifts are <= 0 here */
    v.b_off = vdupq_n_s32(p->b_offset);
    v.b_mult = vdupq_n_s32(p->b_mul.multiplier);
    v.b_right = vdupq_n_s32(p->b_mul.shift);
    v.out_mult = vdupq_n_s32(p->out_mul.multiplier);
    v.out_right = vdupq_n_s32(p->out_mul.shift);
    v.out_zp = vdupq_n_s32(p->out_zp);
    v.lo = vdupq_n_s32(p->lo - p->out_zp);
    v.hi = vdupq_n_s32(p->hi - p->out_zp);
    v.left = vdupq_n_s32(LT_ELTWISE_ADD_Q8_LEFT_SHIFT);
    v.zero = vdupq_n_s32(0);
    v.ra1 = vdupq_n_s32(lt_eltwise_addsub_q8_scaled(a0, p->a_offset, p->a_mul));
    v.rb1 = vdupq_n_s32(lt_eltwise_addsub_q8_scaled(b0, p->b_offset, p->b_mul));
    return v;
}

static LT_NEON_INLINE int32x4_t scale_a(int32x4_t x, const addsub_vec *v) {
    return lt_neon_requant(vaddq_s32(x, v->a_off), v->a_mult, v->left, v->a_right);
}

static LT_NEON_INLINE int32x4_t scale_b(int32x4_t x, const addsub_vec *v) {
    return lt_neon_requant(vaddq_s32(x, v->b_off), v->b_mult, v->left, v->b_right);
}

static LT_NEON_INLINE int32x4_t addsub_finish(int32x4_t raw, const addsub_vec *v) {
    const int32x4_t y = lt_neon_requant(raw, v->out_mult, v->zero, v->out_right);
    return vaddq_s32(vminq_s32(vmaxq_s32(y, v->lo), v->hi), v->out_zp);
}

/* One 16-output step of each row kind: VV both operands from memory, SV a broadcast, VS b
 * broadcast. OPV is the add or sub of the scaled operands. */
#define DEFINE_ADDSUB_STEPS(OP, OPV)                                                          \
    static void OP##_step_vv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        const addsub_vec *v = v_;                                                             \
        int32x4_t x[4], y[4];                                                                 \
        load16(a, x);                                                                         \
        load16(b, y);                                                                         \
        for (int q = 0; q < 4; q++) x[q] = addsub_finish(OPV(scale_a(x[q], v),                \
                                                             scale_b(y[q], v)), v);          \
        vst1q_s8(out, pack16(x));                                                             \
    }                                                                                         \
    static void OP##_step_sv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        (void)a;                                                                              \
        const addsub_vec *v = v_;                                                             \
        int32x4_t y[4];                                                                       \
        load16(b, y);                                                                         \
        for (int q = 0; q < 4; q++) y[q] = addsub_finish(OPV(v->ra1, scale_b(y[q], v)), v);  \
        vst1q_s8(out, pack16(y));                                                             \
    }                                                                                         \
    static void OP##_step_vs(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        (void)b;                                                                              \
        const addsub_vec *v = v_;                                                             \
        int32x4_t x[4];                                                                       \
        load16(a, x);                                                                         \
        for (int q = 0; q < 4; q++) x[q] = addsub_finish(OPV(scale_a(x[q], v), v->rb1), v);  \
        vst1q_s8(out, pack16(x));                                                             \
    }

DEFINE_ADDSUB_STEPS(add, vaddq_s32)
DEFINE_ADDSUB_STEPS(sub, vsubq_s32)

/* ---- MUL ---------------------------------------------------------------------------- */

typedef struct mul_vec {
    int32x4_t a_off, b_off, mult, left, right, out_zp, lo, hi; /* right negated */
    int32x4_t xa1, xb1; /* the offset broadcast operand of sv / vs rows */
} mul_vec;

static inline mul_vec mul_vec_of(const lt_eltwise_mul_q8 *p, int8_t a0, int8_t b0) {
    const int32_t shift = p->out_mul.shift;
    mul_vec v;
    v.a_off = vdupq_n_s32(p->a_offset);
    v.b_off = vdupq_n_s32(p->b_offset);
    v.mult = vdupq_n_s32(p->out_mul.multiplier);
    v.left = vdupq_n_s32(shift > 0 ? shift : 0);
    v.right = vdupq_n_s32(shift > 0 ? 0 : shift);
    v.out_zp = vdupq_n_s32(p->out_zp);
    v.lo = vdupq_n_s32(p->lo - p->out_zp);
    v.hi = vdupq_n_s32(p->hi - p->out_zp);
    v.xa1 = vdupq_n_s32(a0 + p->a_offset);
    v.xb1 = vdupq_n_s32(b0 + p->b_offset);
    return v;
}

/* offset inputs -> clamped outputs (|product| <= 255^2) */
static LT_NEON_INLINE int32x4_t mul_finish(int32x4_t xa, int32x4_t xb, const mul_vec *v) {
    const int32x4_t y = lt_neon_requant(vmulq_s32(xa, xb), v->mult, v->left, v->right);
    return vaddq_s32(vminq_s32(vmaxq_s32(y, v->lo), v->hi), v->out_zp);
}

static void mul_step_vv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    const mul_vec *v = v_;
    int32x4_t x[4], y[4];
    load16(a, x);
    load16(b, y);
    for (int q = 0; q < 4; q++)
        x[q] = mul_finish(vaddq_s32(x[q], v->a_off), vaddq_s32(y[q], v->b_off), v);
    vst1q_s8(out, pack16(x));
}

static void mul_step_sv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    (void)a;
    const mul_vec *v = v_;
    int32x4_t y[4];
    load16(b, y);
    for (int q = 0; q < 4; q++) y[q] = mul_finish(v->xa1, vaddq_s32(y[q], v->b_off), v);
    vst1q_s8(out, pack16(y));
}

static void mul_step_vs(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    (void)b;
    const mul_vec *v = v_;
    int32x4_t x[4];
    load16(a, x);
    for (int q = 0; q < 4; q++) x[q] = mul_finish(vaddq_s32(x[q], v->a_off), v->xb1, v);
    vst1q_s8(out, pack16(x));
}

/* ---- rows --------------------------------------------------------------------------- */

/* A row: 16-output steps, then the tail through a local block. AV / BV: whether a / b
 * advance along the row. */
#define DEFINE_ROW(NAME, STEP, VEC_T, VEC_OF, PARAMS, AV, BV)                                 \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const int8_t *a = a_, *b = b_;                                                        \
        int8_t *out = out_;                                                                   \
        if (n <= 0) return;                                                                   \
        const PARAMS *p = p_;                                                                 \
        const VEC_T v = VEC_OF(p, a[0], b[0]);                                                \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16) STEP(a + (AV ? i : 0), b + (BV ? i : 0), out + i, &v);   \
        if (i < n)                                                                            \
            tail16(STEP, a + (AV ? i : 0), AV, b + (BV ? i : 0), BV, out + i, n - i, &v);     \
    }

#define DEFINE_ROWS(OP, VEC_T, VEC_OF, PARAMS)                                                \
    DEFINE_ROW(OP##_vv, OP##_step_vv, VEC_T, VEC_OF, PARAMS, true, true)                      \
    DEFINE_ROW(OP##_sv, OP##_step_sv, VEC_T, VEC_OF, PARAMS, false, true)                     \
    DEFINE_ROW(OP##_vs, OP##_step_vs, VEC_T, VEC_OF, PARAMS, true, false)

DEFINE_ROWS(add, addsub_vec, addsub_vec_of, lt_eltwise_addsub_q8)
DEFINE_ROWS(sub, addsub_vec, addsub_vec_of, lt_eltwise_addsub_q8)
DEFINE_ROWS(mul, mul_vec, mul_vec_of, lt_eltwise_mul_q8)

const lt_bcast_rows lt_eltwise_q8_rows_neon[3] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
};
#endif
