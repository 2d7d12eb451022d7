/* int8 ADD / SUB / MUL rows, 16 lanes per step (AVX-512F/BW/VL), bit-exact with the portable
 * rows of elementwise_binary.c (TensorFlow Lite's reference arithmetic).
 *
 * ADD / SUB: each input, offset by its zero point and shifted left by 20, goes through its
 * own Q31 multiplier and rounding right shift; the sum (difference) through the output's;
 * then the output zero point and the activation clamp. Each of those three steps is
 * lt_requant_avx512 (requant_x86.h) with the multiplier broadcast to every lane: its left
 * shift performs the "<< 20" of the inputs (the offset values fit 9 bits, so nothing wraps)
 * and is 0 for the output. MUL: the product of the offset inputs (|p| <= 255^2) through one
 * multiplier, whose shift may have either sign.
 *
 * The clamp to the activation range [lo, hi] is applied before the output zero point is added,
 * to [lo - zp, hi - zp]: the same result, and no int32 addition can overflow. A broadcast
 * operand (sv / vs rows) is scaled once per row with the portable scalar arithmetic. Tails use
 * masked byte loads and stores (never past the row's end). */
#include <immintrin.h>

#include "../eltwise_simd.h"
#include "requant_x86.h"

static inline __mmask16 tail_mask(int64_t left) { return (__mmask16)((1u << left) - 1u); }

static inline __m512i load16(const int8_t *p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p));
}

static inline __m512i load16_masked(const int8_t *p, __mmask16 m) {
    return _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p));
}

/* ---- ADD / SUB ---------------------------------------------------------------------- */

typedef struct addsub_vec {
    __m512i a_off, a_mult, a_right, b_off, b_mult, b_right;
    __m512i out_mult, out_right, out_zp, lo, hi, left, zero;
} addsub_vec;

static inline addsub_vec addsub_vec_of(const lt_eltwise_addsub_q8 *p) {
    addsub_vec v;
    v.a_off = _mm512_set1_epi32(p->a_offset);
    v.a_mult = _mm512_set1_epi32(p->a_mul.multiplier);
    v.a_right = _mm512_set1_epi32(-p->a_mul.shift);
    v.b_off = _mm512_set1_epi32(p->b_offset);
    v.b_mult = _mm512_set1_epi32(p->b_mul.multiplier);
    v.b_right = _mm512_set1_epi32(-p->b_mul.shift);
    v.out_mult = _mm512_set1_epi32(p->out_mul.multiplier);
    v.out_right = _mm512_set1_epi32(-p->out_mul.shift);
    v.out_zp = _mm512_set1_epi32(p->out_zp);
    v.lo = _mm512_set1_epi32(p->lo - p->out_zp);
    v.hi = _mm512_set1_epi32(p->hi - p->out_zp);
    v.left = _mm512_set1_epi32(LT_ELTWISE_ADD_Q8_LEFT_SHIFT);
    v.zero = _mm512_setzero_si512();
    return v;
}

static inline __m512i scale_a(__m512i x, const addsub_vec *v) {
    return lt_requant_avx512(_mm512_add_epi32(x, v->a_off), v->a_mult, v->left, v->a_right);
}

static inline __m512i scale_b(__m512i x, const addsub_vec *v) {
    return lt_requant_avx512(_mm512_add_epi32(x, v->b_off), v->b_mult, v->left, v->b_right);
}

/* raw (sum or difference of scaled inputs) -> 16 int8 outputs */
static inline __m128i addsub_finish(__m512i raw, const addsub_vec *v) {
    __m512i y = lt_requant_avx512(raw, v->out_mult, v->zero, v->out_right);
    y = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(y, v->lo), v->hi), v->out_zp);
    return _mm512_cvtepi32_epi8(y); /* in [-128, 127] after the clamp: exact */
}

/* OPV combines the scaled operands (add / sub); RA / RB give 16 scaled lanes of a / b at i
 * (from memory, masked, or the row's one broadcast value). */
#define DEFINE_ADDSUB_ROW(NAME, OPV, RA, RB, RA_MASK, RB_MASK)                                \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const int8_t *a = a_, *b = b_;                                                        \
        int8_t *out = out_;                                                                   \
        if (n <= 0) return;                                                                   \
        const lt_eltwise_addsub_q8 *p = p_;                                                   \
        const addsub_vec v = addsub_vec_of(p);                                                \
        const __m512i ra1 =                                                                   \
            _mm512_set1_epi32(lt_eltwise_addsub_q8_scaled(a[0], p->a_offset, p->a_mul));      \
        const __m512i rb1 =                                                                   \
            _mm512_set1_epi32(lt_eltwise_addsub_q8_scaled(b[0], p->b_offset, p->b_mul));      \
        (void)ra1;                                                                            \
        (void)rb1;                                                                            \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16)                                                          \
            _mm_storeu_si128((__m128i *)(out + i), addsub_finish(OPV(RA(i), RB(i)), &v));     \
        if (i < n) {                                                                          \
            const __mmask16 m = tail_mask(n - i);                                             \
            _mm_mask_storeu_epi8(out + i, m, addsub_finish(OPV(RA_MASK(i), RB_MASK(i)), &v)); \
        }                                                                                     \
    }

#define RA_VEC(i) scale_a(load16(a + (i)), &v)
#define RB_VEC(i) scale_b(load16(b + (i)), &v)
#define RA_MSK(i) scale_a(load16_masked(a + (i), m), &v)
#define RB_MSK(i) scale_b(load16_masked(b + (i), m), &v)
#define RA_ONE(i) ra1
#define RB_ONE(i) rb1

DEFINE_ADDSUB_ROW(add_vv, _mm512_add_epi32, RA_VEC, RB_VEC, RA_MSK, RB_MSK)
DEFINE_ADDSUB_ROW(add_sv, _mm512_add_epi32, RA_ONE, RB_VEC, RA_ONE, RB_MSK)
DEFINE_ADDSUB_ROW(add_vs, _mm512_add_epi32, RA_VEC, RB_ONE, RA_MSK, RB_ONE)
DEFINE_ADDSUB_ROW(sub_vv, _mm512_sub_epi32, RA_VEC, RB_VEC, RA_MSK, RB_MSK)
DEFINE_ADDSUB_ROW(sub_sv, _mm512_sub_epi32, RA_ONE, RB_VEC, RA_ONE, RB_MSK)
DEFINE_ADDSUB_ROW(sub_vs, _mm512_sub_epi32, RA_VEC, RB_ONE, RA_MSK, RB_ONE)

/* ---- MUL ---------------------------------------------------------------------------- */

typedef struct mul_vec {
    __m512i a_off, b_off, mult, left, right, out_zp, lo, hi;
} mul_vec;

static inline __m128i mul_finish(__m512i xa, __m512i xb, const mul_vec *v) {
    const __m512i prod = _mm512_mullo_epi32(xa, xb); /* offset inputs: |prod| <= 255^2 */
    __m512i y = lt_requant_avx512(prod, v->mult, v->left, v->right);
    y = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(y, v->lo), v->hi), v->out_zp);
    return _mm512_cvtepi32_epi8(y);
}

/* XA / XB give 16 lanes of an offset input at i. */
#define DEFINE_MUL_ROW(NAME, XA, XB, XA_MASK, XB_MASK)                                        \
    static void NAME(const void *a_, const void *b_, void *out_, int64_t n, const void *p_) { \
        const int8_t *a = a_, *b = b_;                                                        \
        int8_t *out = out_;                                                                   \
        if (n <= 0) return;                                                                   \
        const lt_eltwise_mul_q8 *p = p_;                                                      \
        const int32_t shift = p->out_mul.shift;                                               \
        const mul_vec v = {_mm512_set1_epi32(p->a_offset),                                    \
                           _mm512_set1_epi32(p->b_offset),                                    \
                           _mm512_set1_epi32(p->out_mul.multiplier),                          \
                           _mm512_set1_epi32(shift > 0 ? shift : 0),                          \
                           _mm512_set1_epi32(shift > 0 ? 0 : -shift),                         \
                           _mm512_set1_epi32(p->out_zp),                                      \
                           _mm512_set1_epi32(p->lo - p->out_zp),                              \
                           _mm512_set1_epi32(p->hi - p->out_zp)};                             \
        const __m512i xa1 = _mm512_set1_epi32(a[0] + p->a_offset);                            \
        const __m512i xb1 = _mm512_set1_epi32(b[0] + p->b_offset);                            \
        (void)xa1;                                                                            \
        (void)xb1;                                                                            \
        int64_t i = 0;                                                                        \
        for (; i + 16 <= n; i += 16)                                                          \
            _mm_storeu_si128((__m128i *)(out + i), mul_finish(XA(i), XB(i), &v));             \
        if (i < n) {                                                                          \
            const __mmask16 m = tail_mask(n - i);                                             \
            _mm_mask_storeu_epi8(out + i, m, mul_finish(XA_MASK(i), XB_MASK(i), &v));         \
        }                                                                                     \
    }

#define XA_VEC(i) _mm512_add_epi32(load16(a + (i)), v.a_off)
#define XB_VEC(i) _mm512_add_epi32(load16(b + (i)), v.b_off)
#define XA_MSK(i) _mm512_add_epi32(load16_masked(a + (i), m), v.a_off)
#define XB_MSK(i) _mm512_add_epi32(load16_masked(b + (i), m), v.b_off)
#define XA_ONE(i) xa1
#define XB_ONE(i) xb1

DEFINE_MUL_ROW(mul_vv, XA_VEC, XB_VEC, XA_MSK, XB_MSK)
DEFINE_MUL_ROW(mul_sv, XA_ONE, XB_VEC, XA_ONE, XB_MSK)
DEFINE_MUL_ROW(mul_vs, XA_VEC, XB_ONE, XA_MSK, XB_ONE)

const lt_bcast_rows lt_eltwise_q8_rows_avx512[3] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
};
