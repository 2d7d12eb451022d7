/* Vector float32 math, 16 lanes (AVX-512F/DQ): exp, expm1, tanh, logistic and erfc, for the
 * kernels of this directory (include only from *_avx512.c files). vmath_avx2.h runs the same
 * algorithms on 8 lanes with the same constants (vmath_coeffs.h), so both levels give the
 * same results. Every function propagates NaN; what each does at the infinities and signed
 * zeros is stated with it. Accuracy (measured over every float32 in wide ranges, against the
 * C library's functions) is stated and asserted in tests/test_simd_unary.py (EXP, ELU, GELU)
 * and tests/test_simd_eltwise_pool.py (LOGISTIC, TANH, GELU's tanh form).
 *
 * exp: y = n ln2 + r with n = round(y / ln2), |r| <= ln2 / 2 (ln2 in two parts, so that
 * n * ln2_hi is exact), e^r = 1 + t with t = r + r^2 Q(r), then times 2^n, rounded once also
 * when the result is subnormal (lt_vm16_scale).
 *
 * erfc(z): for |z| < 0.5, 1 - z P(z^2). Beyond, with a = |z|: erfc(a) = E(a) e^(-a^2) where
 * E(a) = G(t) (1 - t) / 4 and t = (a - 2) / (a + 2) (G a polynomial, E is smooth and between
 * 0.05 and 0.62 there); erfc(-a) = 2 - erfc(a). The float32 rounding of a + 2 and of the
 * quotient would move t by up to an ulp, which near t = 0.67 is like moving a by several ulps;
 * both roundings are recovered exactly (a' = (a + 2) - 2 and the quotient's remainder by FMA)
 * and turned into a - a_t, the distance between a and the argument that the rounded t stands
 * for, which a first-order step with E'(a) = 2 a E(a) - 2 / sqrt(pi) removes. a^2 is carried
 * as a float pair into the exponential, whose argument reaches -105 (a rounding of a^2 alone
 * would be 2^-18, 64 ulps of the result). */
#ifndef LITERT_KERNELS_X86_VMATH_AVX512_H
#define LITERT_KERNELS_X86_VMATH_AVX512_H

#include <immintrin.h>

#include "vmath_coeffs.h"

#define LT_VM16_C(v) _mm512_set1_ps(v)

static inline __m512 lt_vm16_abs(__m512 x) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

/* The sign bit of x alone. */
static inline __m512 lt_vm16_sign(__m512 x) {
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
}

/* e^r - 1 = r + r^2 Q(r) for |r| <= ln2 / 2 (a little beyond is fine) */
static inline __m512 lt_vm16_expm1_poly(__m512 r) {
    __m512 q = LT_VM16_C(LT_VM_EXP_Q4);
    q = _mm512_fmadd_ps(q, r, LT_VM16_C(LT_VM_EXP_Q3));
    q = _mm512_fmadd_ps(q, r, LT_VM16_C(LT_VM_EXP_Q2));
    q = _mm512_fmadd_ps(q, r, LT_VM16_C(LT_VM_EXP_Q1));
    q = _mm512_fmadd_ps(q, r, LT_VM16_C(LT_VM_EXP_Q0));
    return _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
}

/* y = n ln2 + r with n = round(y / ln2), for |y| < 2^21 or NaN. Returns n (an integer
 * value) and *s = 2^n, valid when n is in [-126, 127]. The rounding to an integer is the FMA
 * with 1.5 2^23 + 127 added: the sum's low significand bits are then n + 127, which shifted
 * into the exponent field make 2^n. n * LN2_HI is exact. */
static inline __m512 lt_vm16_exp_split(__m512 y, __m512 *r, __m512 *s) {
    const __m512 magic = LT_VM16_C(LT_VM_EXP_MAGIC);
    const __m512 j = _mm512_fmadd_ps(y, LT_VM16_C(LT_VM_LOG2E), magic);
    const __m512 n = _mm512_sub_ps(j, magic);
    *s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(j), 23));
    const __m512 r1 = _mm512_fnmadd_ps(n, LT_VM16_C(LT_VM_LN2_HI), y);
    *r = _mm512_fnmadd_ps(n, LT_VM16_C(LT_VM_LN2_LO), r1);
    return n;
}

/* 2^n for an integer n in [-126, 127] */
static inline __m512 lt_vm16_pow2i(__m512i n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23));
}

/* p 2^n for p in [0.03, 2], an integer value n in [-152, 128] and s = 2^n when n is in
 * [-126, 127] (lt_vm16_exp_split), rounded once, also to a subnormal or to infinity. When
 * every lane's n is within [-120, 127] the product p s is exact (normal, finite); otherwise
 * p 2^n1 with n1 = floor(n / 2) is exact and normal and the second factor 2^(n - n1) rounds.
 * Both ways give the same result for a lane, so the branch does not change any value.
 * may_overflow = 0 (a constant) when n <= 127 is known. */
static inline __m512 lt_vm16_scale(__m512 p, __m512 n, __m512 s, int may_overflow) {
    __mmask16 out = _mm512_cmp_ps_mask(n, LT_VM16_C(-120.0f), _CMP_LT_OQ);
    if (may_overflow) out |= _mm512_cmp_ps_mask(n, LT_VM16_C(127.0f), _CMP_GT_OQ);
    if (out == 0) return _mm512_mul_ps(p, s);
    const __m512i ni = _mm512_cvtps_epi32(n);
    const __m512i n1 = _mm512_srai_epi32(ni, 1);
    return _mm512_mul_ps(_mm512_mul_ps(p, lt_vm16_pow2i(n1)),
                         lt_vm16_pow2i(_mm512_sub_epi32(ni, n1)));
}

/* e^y like expf: 0 below -104 and at -inf, +inf above 88.72 and at +inf. */
static inline __m512 lt_vm16_exp(__m512 y) {
    /* MAXPS / MINPS return their second operand for NaN: NaN is kept */
    y = _mm512_min_ps(LT_VM16_C(LT_VM_EXP_MAX), _mm512_max_ps(LT_VM16_C(LT_VM_EXP_MIN), y));
    __m512 r, s;
    const __m512 n = lt_vm16_exp_split(y, &r, &s);
    return lt_vm16_scale(_mm512_add_ps(lt_vm16_expm1_poly(r), LT_VM16_C(1.0f)), n, s, 1);
}

/* e^y for y in [-20, 0] (smaller y are taken as -20, NaN kept) as s (1 + t) with s = 2^n
 * normal and |t| < 0.42: callers form 1 +- e with one rounding each. */
static inline void lt_vm16_exp_parts(__m512 y, __m512 *s, __m512 *t) {
    y = _mm512_max_ps(LT_VM16_C(-20.0f), y);
    __m512 r;
    (void)lt_vm16_exp_split(y, &r, s);
    *t = lt_vm16_expm1_poly(r);
}

/* e^y - 1 for y <= 0 (or NaN): s t + (s - 1) with one rounding; for |y| < ln2 / 2, n = 0 and
 * this is t itself, accurate relative to y down to the subnormals (e^-0 - 1 gives +0). Below
 * -20 the result rounds to -1 like expm1f. */
static inline __m512 lt_vm16_expm1_nonpos(__m512 y) {
    __m512 s, t;
    lt_vm16_exp_parts(y, &s, &t);
    return _mm512_fmadd_ps(s, t, _mm512_sub_ps(s, LT_VM16_C(1.0f)));
}

/* 1 / (1 + e^-x): num / (1 + e^-|x|) with num = 1 (x >= 0) or e^-|x| (x < 0), the two forms
 * that do not overflow. */
static inline __m512 lt_vm16_logistic(__m512 x) {
    const __m512 one = LT_VM16_C(1.0f);
    const __m512 e = lt_vm16_exp(_mm512_sub_ps(_mm512_setzero_ps(), lt_vm16_abs(x)));
    const __mmask16 nonneg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_div_ps(_mm512_mask_mov_ps(e, nonneg, one), _mm512_add_ps(one, e));
}

/* tanh: |x| + |x|^3 P(x^2) for |x| < 0.625; beyond (and NaN), with e^-2|x| = s (1 + t),
 * (1 - e) / (1 + e) = ((1 - s) - s t) / ((1 + s) + s t) with 1 - s and 1 + s exact; then the
 * sign of x (tanh(-0) = -0, +-1 at the infinities). */
static inline __m512 lt_vm16_tanh(__m512 x) {
    const __m512 one = LT_VM16_C(1.0f);
    const __m512 ax = lt_vm16_abs(x);
    const __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = LT_VM16_C(LT_VM_TANH_P5);
    p = _mm512_fmadd_ps(p, x2, LT_VM16_C(LT_VM_TANH_P4));
    p = _mm512_fmadd_ps(p, x2, LT_VM16_C(LT_VM_TANH_P3));
    p = _mm512_fmadd_ps(p, x2, LT_VM16_C(LT_VM_TANH_P2));
    p = _mm512_fmadd_ps(p, x2, LT_VM16_C(LT_VM_TANH_P1));
    p = _mm512_fmadd_ps(p, x2, LT_VM16_C(LT_VM_TANH_P0));
    const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(ax, x2), p, ax);
    __m512 s, t;
    lt_vm16_exp_parts(_mm512_mul_ps(ax, LT_VM16_C(-2.0f)), &s, &t);
    const __m512 num = _mm512_fnmadd_ps(s, t, _mm512_sub_ps(one, s));
    const __m512 den = _mm512_fmadd_ps(s, t, _mm512_add_ps(one, s));
    const __mmask16 is_small = _mm512_cmp_ps_mask(ax, LT_VM16_C(LT_VM_TANH_SMALL), _CMP_LT_OQ);
    const __m512 mag = _mm512_mask_mov_ps(_mm512_div_ps(num, den), is_small, small);
    return _mm512_or_ps(mag, lt_vm16_sign(x));
}

/* erfc(z): 2 at -inf, 0 at +inf and from 10.06 on, 1 at +-0 (see the top of the file). */
static inline __m512 lt_vm16_erfc(__m512 z) {
    const __m512 one = LT_VM16_C(1.0f);
    const __m512 a = lt_vm16_abs(z);
    const __m512 ac = _mm512_min_ps(LT_VM16_C(LT_VM_ERFC_CLAMP), a); /* NaN kept */
    const __m512 hi = _mm512_mul_ps(ac, ac); /* z^2 when |z| <= CLAMP */
    /* |z| < 0.5: 1 - z P(z^2), rounded once */
    const __m512 u = hi;
    __m512 p = LT_VM16_C(LT_VM_ERF_P4);
    p = _mm512_fmadd_ps(p, u, LT_VM16_C(LT_VM_ERF_P3));
    p = _mm512_fmadd_ps(p, u, LT_VM16_C(LT_VM_ERF_P2));
    p = _mm512_fmadd_ps(p, u, LT_VM16_C(LT_VM_ERF_P1));
    p = _mm512_fmadd_ps(p, u, LT_VM16_C(LT_VM_ERF_P0));
    const __m512 near0 = _mm512_fnmadd_ps(z, p, one);

    /* a >= 0.5: E(a) from t = (a - 2) / (a + 2). den - 2, den - 4 and a - a' are exact
     * (Sterbenz, or multiples of ulp(den) no larger than den), and so is the remainder. */
    const __m512 k = LT_VM16_C(LT_VM_ERFC_K);
    const __m512 den = _mm512_add_ps(ac, k);
    const __m512 a1 = _mm512_sub_ps(den, k);          /* a': den = a' + 2 exactly */
    const __m512 num = _mm512_sub_ps(den, _mm512_add_ps(k, k));
    const __m512 t = _mm512_div_ps(num, den);
    const __m512 rem = _mm512_fnmadd_ps(t, den, num); /* num - t den */
    /* a - a_t = (a - a') + (a' - a_t), and a' - a_t = rem / den * da/dt = rem den / 4 */
    const __m512 da = _mm512_fmadd_ps(rem, _mm512_mul_ps(den, LT_VM16_C(0.25f)),
                                      _mm512_sub_ps(ac, a1));
    __m512 g = LT_VM16_C(LT_VM_ERFC_G8);
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G7));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G6));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G5));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G4));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G3));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G2));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G1));
    g = _mm512_fmadd_ps(g, t, LT_VM16_C(LT_VM_ERFC_G0));
    /* e^(-a^2) with a^2 = hi + lo exactly: -hi = n ln2 + r, then r - lo */
    const __m512 lo = _mm512_fmsub_ps(ac, ac, hi);
    __m512 r, s;
    const __m512 n = lt_vm16_exp_split(_mm512_sub_ps(_mm512_setzero_ps(), hi), &r, &s);
    const __m512 te = lt_vm16_expm1_poly(_mm512_sub_ps(r, lo)); /* e^r - 1 */
    /* E(a) e^r, rounded once at the end: E(a_t) = G(t) (1 - t) / 4 = ph + pl (G's
     * coefficients hold the factor 1/4) with 1 - t as the exact pair w + wl, plus
     * (a - a_t) E'(a_t), plus the product with e^r = 1 + te */
    const __m512 w = _mm512_sub_ps(one, t);
    const __m512 wl = _mm512_sub_ps(_mm512_sub_ps(one, w), t);
    const __m512 ph = _mm512_mul_ps(g, w);
    const __m512 pl = _mm512_fmadd_ps(g, wl, _mm512_fmsub_ps(g, w, ph));
    const __m512 de = _mm512_fmsub_ps(_mm512_add_ps(ac, ac), ph,
                                      LT_VM16_C(LT_VM_TWO_OVER_SQRT_PI));
    const __m512 small = _mm512_fmadd_ps(ph, te, _mm512_fmadd_ps(da, de, pl));
    const __m512 tail = lt_vm16_scale(_mm512_add_ps(ph, small), n, s, 0); /* n in [-152, 0] */
    const __mmask16 neg = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 far = _mm512_mask_sub_ps(tail, neg, LT_VM16_C(2.0f), tail);
    const __mmask16 is_small = _mm512_cmp_ps_mask(a, LT_VM16_C(LT_VM_ERF_SMALL), _CMP_LT_OQ);
    return _mm512_mask_mov_ps(far, is_small, near0);
}

#endif
