/* int8 ADD / SUB / MUL rows, 16 outputs per step as two 8-lane halves (AVX2), bit-exact with
 * the portable rows of elementwise_binary.c. Same arithmetic as eltwise_q8_avx512.c (see
 * there), with lt_requant_avx2. A tail of fewer than 16 outputs is copied to a zeroed local
 * block, computed there and copied back, so no access goes past the row's end. */
#include <immintrin.h>
#include <string.h>

#include "../eltwise_simd.h"
#include "requant_x86.h"

/* 16 int8 -> two vectors of 8 int32 */
static inline void load16(const int8_t *p, __m256i *lo, __m256i *hi) {
    const __m128i x = _mm_loadu_si128((const __m128i *)p);
    *lo = _mm256_cvtepi8_epi32(x);
    *hi = _mm256_cvtepi8_epi32(_mm_srli_si128(x, 8));
}

/* two vectors of 8 int32 already in [-128, 127] -> 16 int8 in order */
static inline __m128i pack16(__m256i lo, __m256i hi) {
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
    return _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
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
    __m256i a_off, a_mult, a_right, b_off, b_mult, b_right;
    __m256i out_mult, out_right, out_zp, lo, hi, left, zero;
    __m256i ra1, rb1; /* the scaled broadcast operand of sv / vs rows */
} addsub_vec;

static inline addsub_vec addsub_vec_of(const lt_eltwise_addsub_q8 *p, int8_t a0, int8_t b0) {
    addsub_vec v;
    v.a_off = _mm256_set1_epi32(p->a_offset);
    v.a_mult = _mm256_set1_epi32(p->a_mul.multiplier);
    v.a_right = _mm256_set1_epi32(-p->a_mul.shift);
    v.b_off = _mm256_set1_epi32(p->b_offset);
    v.b_mult = _mm256_set1_epi32(p->b_mul.multiplier);
    v.b_right = _mm256_set1_epi32(-p->b_mul.shift);
    v.out_mult = _mm256_set1_epi32(p->out_mul.multiplier);
    v.out_right = _mm256_set1_epi32(-p->out_mul.shift);
    v.out_zp = _mm256_set1_epi32(p->out_zp);
    v.lo = _mm256_set1_epi32(p->lo - p->out_zp);
    v.hi = _mm256_set1_epi32(p->hi - p->out_zp);
    v.left = _mm256_set1_epi32(LT_ELTWISE_ADD_Q8_LEFT_SHIFT);
    v.zero = _mm256_setzero_si256();
    v.ra1 = _mm256_set1_epi32(lt_eltwise_addsub_q8_scaled(a0, p->a_offset, p->a_mul));
    v.rb1 = _mm256_set1_epi32(lt_eltwise_addsub_q8_scaled(b0, p->b_offset, p->b_mul));
    return v;
}

static inline __m256i scale_a(__m256i x, const addsub_vec *v) {
    return lt_requant_avx2(_mm256_add_epi32(x, v->a_off), v->a_mult, v->left, v->a_right);
}

static inline __m256i scale_b(__m256i x, const addsub_vec *v) {
    return lt_requant_avx2(_mm256_add_epi32(x, v->b_off), v->b_mult, v->left, v->b_right);
}

static inline __m256i addsub_finish(__m256i raw, const addsub_vec *v) {
    __m256i y = lt_requant_avx2(raw, v->out_mult, v->zero, v->out_right);
    return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(y, v->lo), v->hi), v->out_zp);
}

/* One 16-output step of each row kind: VV both operands from memory, SV a broadcast, VS b
 * broadcast. OPV is the add or sub of the scaled operands. */
#define DEFINE_ADDSUB_STEPS(OP, OPV)                                                          \
    static void OP##_step_vv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        const addsub_vec *v = v_;                                                             \
        __m256i a0, a1, b0, b1;                                                               \
        load16(a, &a0, &a1);                                                                  \
        load16(b, &b0, &b1);                                                                  \
        const __m256i y0 = addsub_finish(OPV(scale_a(a0, v), scale_b(b0, v)), v);            \
        const __m256i y1 = addsub_finish(OPV(scale_a(a1, v), scale_b(b1, v)), v);            \
        _mm_storeu_si128((__m128i *)out, pack16(y0, y1));                                     \
    }                                                                                         \
    static void OP##_step_sv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        (void)a;                                                                              \
        const addsub_vec *v = v_;                                                             \
        __m256i b0, b1;                                                                       \
        load16(b, &b0, &b1);                                                                  \
        const __m256i y0 = addsub_finish(OPV(v->ra1, scale_b(b0, v)), v);                    \
        const __m256i y1 = addsub_finish(OPV(v->ra1, scale_b(b1, v)), v);                    \
        _mm_storeu_si128((__m128i *)out, pack16(y0, y1));                                     \
    }                                                                                         \
    static void OP##_step_vs(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) { \
        (void)b;                                                                              \
        const addsub_vec *v = v_;                                                             \
        __m256i a0, a1;                                                                       \
        load16(a, &a0, &a1);                                                                  \
        const __m256i y0 = addsub_finish(OPV(scale_a(a0, v), v->rb1), v);                    \
        const __m256i y1 = addsub_finish(OPV(scale_a(a1, v), v->rb1), v);                    \
        _mm_storeu_si128((__m128i *)out, pack16(y0, y1));                                     \
    }

DEFINE_ADDSUB_STEPS(add, _mm256_add_epi32)
DEFINE_ADDSUB_STEPS(sub, _mm256_sub_epi32)

/* ---- MUL ---------------------------------------------------------------------------- */

typedef struct mul_vec {
    __m256i a_off, b_off, mult, left, right, out_zp, lo, hi;
    __m256i xa1, xb1; /* the offset broadcast operand of sv / vs rows */
} mul_vec;

static inline mul_vec mul_vec_of(const lt_eltwise_mul_q8 *p, int8_t a0, int8_t b0) {
    const int32_t shift = p->out_mul.shift;
    mul_vec v;
    v.a_off = _mm256_set1_epi32(p->a_offset);
    v.b_off = _mm256_set1_epi32(p->b_offset);
    v.mult = _mm256_set1_epi32(p->out_mul.multiplier);
    v.left = _mm256_set1_epi32(shift > 0 ? shift : 0);
    v.right = _mm256_set1_epi32(shift > 0 ? 0 : -shift);
    v.out_zp = _mm256_set1_epi32(p->out_zp);
    v.lo = _mm256_set1_epi32(p->lo - p->out_zp);
    v.hi = _mm256_set1_epi32(p->hi - p->out_zp);
    v.xa1 = _mm256_set1_epi32(a0 + p->a_offset);
    v.xb1 = _mm256_set1_epi32(b0 + p->b_offset);
    return v;
}

/* offset inputs -> clamped outputs (|product| <= 255^2) */
static inline __m256i mul_finish(__m256i xa, __m256i xb, const mul_vec *v) {
    __m256i y = lt_requant_avx2(_mm256_mullo_epi32(xa, xb), v->mult, v->left, v->right);
    return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(y, v->lo), v->hi), v->out_zp);
}

static void mul_step_vv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    const mul_vec *v = v_;
    __m256i a0, a1, b0, b1;
    load16(a, &a0, &a1);
    load16(b, &b0, &b1);
    const __m256i y0 =
        mul_finish(_mm256_add_epi32(a0, v->a_off), _mm256_add_epi32(b0, v->b_off), v);
    const __m256i y1 =
        mul_finish(_mm256_add_epi32(a1, v->a_off), _mm256_add_epi32(b1, v->b_off), v);
    _mm_storeu_si128((__m128i *)out, pack16(y0, y1));
}

static void mul_step_sv(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    (void)a;
    const mul_vec *v = v_;
    __m256i b0, b1;
    load16(b, &b0, &b1);
    const __m256i y0 = mul_finish(v->xa1, _mm256_add_epi32(b0, v->b_off), v);
    const __m256i y1 = mul_finish(v->xa1, _mm256_add_epi32(b1, v->b_off), v);
    _mm_storeu_si128((__m128i *)out, pack16(y0, y1));
}

static void mul_step_vs(const int8_t *a, const int8_t *b, int8_t *out, const void *v_) {
    (void)b;
    const mul_vec *v = v_;
    __m256i a0, a1;
    load16(a, &a0, &a1);
    const __m256i y0 = mul_finish(_mm256_add_epi32(a0, v->a_off), v->xb1, v);
    const __m256i y1 = mul_finish(_mm256_add_epi32(a1, v->a_off), v->xb1, v);
    _mm_storeu_si128((__m128i *)out, pack16(y0, y1));
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

const lt_bcast_rows lt_eltwise_q8_rows_avx2[3] = {
    {add_vv, add_sv, add_vs},
    {sub_vv, sub_sv, sub_vs},
    {mul_vv, mul_sv, mul_vs},
};
