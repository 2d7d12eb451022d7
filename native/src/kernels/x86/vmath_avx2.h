/* Vector float32 math, 8 lanes (AVX2 + FMA): the algorithms and constants of vmath_avx512.h
 * (see there for how each function works, its limits and its special values), with
 * comparisons as lane masks and selections by BLENDVPS, so that both levels give the same
 * results lane for lane. Include only from *_avx2.c files. */
#ifndef LITERT_KERNELS_X86_VMATH_AVX2_H
#define LITERT_KERNELS_X86_VMATH_AVX2_H

#include <immintrin.h>

#include "vmath_coeffs.h"

#define LT_VM8_C(v) _mm256_set1_ps(v)

static inline __m256 lt_vm8_abs(__m256 x) {
    return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

/* The sign bit of x alone. */
static inline __m256 lt_vm8_sign(__m256 x) {
    return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u)));
}

/* e^r - 1 = r + r^2 Q(r) for |r| <= ln2 / 2 (a little beyond is fine) */
static inline __m256 lt_vm8_expm1_poly(__m256 r) {
    __m256 q = LT_VM8_C(LT_VM_EXP_Q4);
    q = _mm256_fmadd_ps(q, r, LT_VM8_C(LT_VM_EXP_Q3));
    q = _mm256_fmadd_ps(q, r, LT_VM8_C(LT_VM_EXP_Q2));
    q = _mm256_fmadd_ps(q, r, LT_VM8_C(LT_VM_EXP_Q1));
    q = _mm256_fmadd_ps(q, r, LT_VM8_C(LT_VM_EXP_Q0));
    return _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
}

/* y = n ln2 + r with n = round(y / ln2), for |y| < 2^21 or NaN. Returns n (an integer
 * value) and *s = 2^n, valid when n is in [-126, 127]. The rounding to an integer is the FMA
 * with 1.5 2^23 + 127 added: the sum's low significand bits are then n + 127, which shifted
 * into the exponent field make 2^n. n * LN2_HI is exact. */
static inline __m256 lt_vm8_exp_split(__m256 y, __m256 *r, __m256 *s) {
    const __m256 magic = LT_VM8_C(LT_VM_EXP_MAGIC);
    const __m256 j = _mm256_fmadd_ps(y, LT_VM8_C(LT_VM_LOG2E), magic);
    const __m256 n = _mm256_sub_ps(j, magic);
    *s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(j), 23));
    const __m256 r1 = _mm256_fnmadd_ps(n, LT_VM8_C(LT_VM_LN2_HI), y);
    *r = _mm256_fnmadd_ps(n, LT_VM8_C(LT_VM_LN2_LO), r1);
    return n;
}

/* 2^n for an integer n in [-126, 127] */
static inline __m256 lt_vm8_pow2i(__m256i n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

/* p 2^n for p in [0.03, 2], an integer value n in [-152, 128] and s = 2^n when n is in
 * [-126, 127] (lt_vm8_exp_split), rounded once, also to a subnormal or to infinity. When
 * every lane's n is within [-120, 127] the product p s is exact (normal, finite); otherwise
 * p 2^n1 with n1 = floor(n / 2) is exact and normal and the second factor 2^(n - n1) rounds.
 * Both ways give the same result for a lane, so the branch does not change any value.
 * may_overflow = 0 (a constant) when n <= 127 is known. */
static inline __m256 lt_vm8_scale(__m256 p, __m256 n, __m256 s, int may_overflow) {
    __m256 out = _mm256_cmp_ps(n, LT_VM8_C(-120.0f), _CMP_LT_OQ);
    if (may_overflow) out = _mm256_or_ps(out, _mm256_cmp_ps(n, LT_VM8_C(127.0f), _CMP_GT_OQ));
    if (_mm256_movemask_ps(out) == 0) return _mm256_mul_ps(p, s);
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    return _mm256_mul_ps(_mm256_mul_ps(p, lt_vm8_pow2i(n1)),
                         lt_vm8_pow2i(_mm256_sub_epi32(ni, n1)));
}

/* e^y like expf: 0 below -104 and at -inf, +inf above 88.72 and at +inf. */
static inline __m256 lt_vm8_exp(__m256 y) {
    /* MAXPS / MINPS return their second operand for NaN: NaN is kept */
    y = _mm256_min_ps(LT_VM8_C(LT_VM_EXP_MAX), _mm256_max_ps(LT_VM8_C(LT_VM_EXP_MIN), y));
    __m256 r, s;
    const __m256 n = lt_vm8_exp_split(y, &r, &s);
    return lt_vm8_scale(_mm256_add_ps(lt_vm8_expm1_poly(r), LT_VM8_C(1.0f)), n, s, 1);
}

/* e^y for y in [-20, 0] (smaller y are taken as -20, NaN kept) as s (1 + t) with s = 2^n
 * normal and |t| < 0.42: callers form 1 +- e with one rounding each. */
static inline void lt_vm8_exp_parts(__m256 y, __m256 *s, __m256 *t) {
    y = _mm256_max_ps(LT_VM8_C(-20.0f), y);
    __m256 r;
    (void)lt_vm8_exp_split(y, &r, s);
    *t = lt_vm8_expm1_poly(r);
}

/* e^y - 1 for y <= 0 (or NaN): s t + (s - 1) with one rounding; for |y| < ln2 / 2, n = 0 and
 * this is t itself, accurate relative to y down to the subnormals (e^-0 - 1 gives +0). Below
 * -20 the result rounds to -1 like expm1f. */
static inline __m256 lt_vm8_expm1_nonpos(__m256 y) {
    __m256 s, t;
    lt_vm8_exp_parts(y, &s, &t);
    return _mm256_fmadd_ps(s, t, _mm256_sub_ps(s, LT_VM8_C(1.0f)));
}

/* 1 / (1 + e^-x): num / (1 + e^-|x|) with num = 1 (x >= 0) or e^-|x| (x < 0), the two forms
 * that do not overflow. */
static inline __m256 lt_vm8_logistic(__m256 x) {
    const __m256 one = LT_VM8_C(1.0f);
    const __m256 e = lt_vm8_exp(_mm256_sub_ps(_mm256_setzero_ps(), lt_vm8_abs(x)));
    const __m256 nonneg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_div_ps(_mm256_blendv_ps(e, one, nonneg), _mm256_add_ps(one, e));
}

/* tanh: |x| + |x|^3 P(x^2) for |x| < 0.625; beyond (and NaN), with e^-2|x| = s (1 + t),
 * (1 - e) / (1 + e) = ((1 - s) - s t) / ((1 + s) + s t) with 1 - s and 1 + s exact; then the
 * sign of x (tanh(-0) = -0, +-1 at the infinities). */
static inline __m256 lt_vm8_tanh(__m256 x) {
    const __m256 one = LT_VM8_C(1.0f);
    const __m256 ax = lt_vm8_abs(x);
    const __m256 x2 = _mm256_mul_ps(x, x);
    __m256 p = LT_VM8_C(LT_VM_TANH_P5);
    p = _mm256_fmadd_ps(p, x2, LT_VM8_C(LT_VM_TANH_P4));
    p = _mm256_fmadd_ps(p, x2, LT_VM8_C(LT_VM_TANH_P3));
    p = _mm256_fmadd_ps(p, x2, LT_VM8_C(LT_VM_TANH_P2));
    p = _mm256_fmadd_ps(p, x2, LT_VM8_C(LT_VM_TANH_P1));
    p = _mm256_fmadd_ps(p, x2, LT_VM8_C(LT_VM_TANH_P0));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(ax, x2), p, ax);
    __m256 s, t;
    lt_vm8_exp_parts(_mm256_mul_ps(ax, LT_VM8_C(-2.0f)), &s, &t);
    const __m256 num = _mm256_fnmadd_ps(s, t, _mm256_sub_ps(one, s));
    const __m256 den = _mm256_fmadd_ps(s, t, _mm256_add_ps(one, s));
    const __m256 is_small = _mm256_cmp_ps(ax, LT_VM8_C(LT_VM_TANH_SMALL), _CMP_LT_OQ);
    const __m256 mag = _mm256_blendv_ps(_mm256_div_ps(num, den), small, is_small);
    return _mm256_or_ps(mag, lt_vm8_sign(x));
}

/* erfc(z): 2 at -inf, 0 at +inf and from 10.06 on, 1 at +-0 (see the top of the file). */
static inline __m256 lt_vm8_erfc(__m256 z) {
    const __m256 one = LT_VM8_C(1.0f);
    const __m256 a = lt_vm8_abs(z);
    const __m256 ac = _mm256_min_ps(LT_VM8_C(LT_VM_ERFC_CLAMP), a); /* NaN kept */
    const __m256 hi = _mm256_mul_ps(ac, ac); /* z^2 when |z| <= CLAMP */
    /* |z| < 0.5: 1 - z P(z^2), rounded once */
    const __m256 u = hi;
    __m256 p = LT_VM8_C(LT_VM_ERF_P4);
    p = _mm256_fmadd_ps(p, u, LT_VM8_C(LT_VM_ERF_P3));
    p = _mm256_fmadd_ps(p, u, LT_VM8_C(LT_VM_ERF_P2));
    p = _mm256_fmadd_ps(p, u, LT_VM8_C(LT_VM_ERF_P1));
    p = _mm256_fmadd_ps(p, u, LT_VM8_C(LT_VM_ERF_P0));
    const __m256 near0 = _mm256_fnmadd_ps(z, p, one);

    /* a >= 0.5: E(a) from t = (a - 2) / (a + 2). den - 2, den - 4 and a - a' are exact
     * (Sterbenz, or multiples of ulp(den) no larger than den), and so is the remainder. */
    const __m256 k = LT_VM8_C(LT_VM_ERFC_K);
    const __m256 den = _mm256_add_ps(ac, k);
    const __m256 a1 = _mm256_sub_ps(den, k);          /* a': den = a' + 2 exactly */
    const __m256 num = _mm256_sub_ps(den, _mm256_add_ps(k, k));
    const __m256 t = _mm256_div_ps(num, den);
    const __m256 rem = _mm256_fnmadd_ps(t, den, num); /* num - t den */
    /* a - a_t = (a - a') + (a' - a_t), and a' - a_t = rem / den * da/dt = rem den / 4 */
    const __m256 da = _mm256_fmadd_ps(rem, _mm256_mul_ps(den, LT_VM8_C(0.25f)),
                                      _mm256_sub_ps(ac, a1));
    __m256 g = LT_VM8_C(LT_VM_ERFC_G8);
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G7));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G6));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G5));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G4));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G3));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G2));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G1));
    g = _mm256_fmadd_ps(g, t, LT_VM8_C(LT_VM_ERFC_G0));
    /* e^(-a^2) with a^2 = hi + lo exactly: -hi = n ln2 + r, then r - lo */
    const __m256 lo = _mm256_fmsub_ps(ac, ac, hi);
    __m256 r, s;
    const __m256 n = lt_vm8_exp_split(_mm256_sub_ps(_mm256_setzero_ps(), hi), &r, &s);
    const __m256 te = lt_vm8_expm1_poly(_mm256_sub_ps(r, lo)); /* e^r - 1 */
    /* E(a) e^r, rounded once at the end: E(a_t) = G(t) (1 - t) / 4 = ph + pl (G's
     * coefficients hold the factor 1/4) with 1 - t as the exact pair w + wl, plus
     * (a - a_t) E'(a_t), plus the product with e^r = 1 + te */
    const __m256 w = _mm256_sub_ps(one, t);
    const __m256 wl = _mm256_sub_ps(_mm256_sub_ps(one, w), t);
    const __m256 ph = _mm256_mul_ps(g, w);
    const __m256 pl = _mm256_fmadd_ps(g, wl, _mm256_fmsub_ps(g, w, ph));
    const __m256 de = _mm256_fmsub_ps(_mm256_add_ps(ac, ac), ph,
                                      LT_VM8_C(LT_VM_TWO_OVER_SQRT_PI));
    const __m256 small = _mm256_fmadd_ps(ph, te, _mm256_fmadd_ps(da, de, pl));
    const __m256 tail = lt_vm8_scale(_mm256_add_ps(ph, small), n, s, 0); /* n in [-152, 0] */
    const __m256 neg = _mm256_cmp_ps(z, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 far = _mm256_blendv_ps(tail, _mm256_sub_ps(LT_VM8_C(2.0f), tail), neg);
    const __m256 is_small = _mm256_cmp_ps(a, LT_VM8_C(LT_VM_ERF_SMALL), _CMP_LT_OQ);
    return _mm256_blendv_ps(far, near0, is_small);
}

#endif
