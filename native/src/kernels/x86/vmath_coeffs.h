/* Constants of the vector float32 math in vmath_avx2.h and vmath_avx512.h, and of SOFTMAX's
 * exp (softmax_f32_avx2.c, softmax_f32_avx512.c): one copy of each polynomial, shared by both
 * instruction sets (the files run the same algorithms, so they give the same results lane
 * for lane).
 *
 * The polynomials were fitted to the functions (evaluated in high precision) by iteratively
 * reweighted least squares towards the smallest largest relative error, with the coefficients
 * rounded to float32 and the remaining ones refitted. Errors quoted in units of 2^-24 of the
 * approximated value, before the float32 evaluation's own roundings. */
#ifndef LITERT_KERNELS_X86_VMATH_COEFFS_H
#define LITERT_KERNELS_X86_VMATH_COEFFS_H

/* exp: y = n ln2 + r, |r| <= ln2 / 2, e^r = 1 + r + r^2 Q(r), Q of degree 4 (0.13 ulp). */
#define LT_VM_LOG2E 1.44269504088896341f
#define LT_VM_LN2_HI 0.693145751953125f /* 15 significant bits: n * LN2_HI is exact */
#define LT_VM_LN2_LO 1.428606765330187e-06f
#define LT_VM_EXP_MAGIC 12583039.0f /* 1.5 2^23 + 127 */
#define LT_VM_EXP_Q0 0.49999967217445374f
#define LT_VM_EXP_Q1 0.16666479408740997f
#define LT_VM_EXP_Q2 0.04167356714606285f
#define LT_VM_EXP_Q3 0.008372687734663486f
#define LT_VM_EXP_Q4 0.001357120811007917f
/* expf's limits: e^y overflows above 88.72 and is below half the smallest subnormal below
 * -103.97; clamping to these keeps 2^n within the two-factor scaling's range. */
#define LT_VM_EXP_MIN -104.0f
#define LT_VM_EXP_MAX 89.0f

/* tanh(x) = x + x^3 P(x^2) for |x| < TANH_SMALL, P of degree 5 (0.01 ulp). */
#define LT_VM_TANH_SMALL 0.625f
#define LT_VM_TANH_P0 -0.333333283662796f
#define LT_VM_TANH_P1 0.13333137333393097f
#define LT_VM_TANH_P2 -0.053939271718263626f
#define LT_VM_TANH_P3 0.021664360538125038f
#define LT_VM_TANH_P4 -0.008096002042293549f
#define LT_VM_TANH_P5 0.0020744004286825657f

/* erf(z) = z P(z^2) for |z| < ERF_SMALL, P of degree 4: the error of z P relative to
 * erfc(z) = 1 - z P is 0.06 units. */
#define LT_VM_ERF_SMALL 0.5f
#define LT_VM_ERF_P0 1.1283791065216064f
#define LT_VM_ERF_P1 -0.37612318992614746f
#define LT_VM_ERF_P2 0.1127883568406105f
#define LT_VM_ERF_P3 -0.026550503447651863f
#define LT_VM_ERF_P4 0.004357729107141495f
/* erfc(a) = E(a) e^(-a^2) for a >= ERF_SMALL, with t = (a - 2) / (a + 2) in [-0.6, 0.67]:
 * E(a) (a + 2) / 4 = G(t), G of degree 8 (0.29 units; E(a) (a + 2) is between 0.67 and 1.54,
 * so that coefficient roundings do not weigh more where E is small; the 1/4 is exact).
 * Arguments are clamped to ERFC_CLAMP, beyond which erfc(a) is below half the smallest
 * subnormal. */
#define LT_VM_ERFC_K 2.0f
#define LT_VM_ERFC_CLAMP 10.25f
#define LT_VM_ERFC_G0 0.25539568066596985f
#define LT_VM_ERFC_G1 -0.17179016768932343f
#define LT_VM_ERFC_G2 0.06986762583255768f
#define LT_VM_ERFC_G3 -0.009110505692660809f
#define LT_VM_ERFC_G4 -0.005371889565140009f
#define LT_VM_ERFC_G5 0.0016181992832571268f
#define LT_VM_ERFC_G6 0.0007440130575560033f
#define LT_VM_ERFC_G7 -0.00020134286023676395f
#define LT_VM_ERFC_G8 -0.00011038030788768083f
#define LT_VM_TWO_OVER_SQRT_PI 1.1283791670955126f

/* SOFTMAX's exp(t), t <= 0 (softmax_simd.h says why it is not lt_vm*_exp): Cody-Waite with
 * ln2 in two parts (16 significant bits in the first), e^r = 1 + r + r^2 Q(r), Q of degree 4
 * fitted to 0.08 ulp on |r| <= ln2 / 2, arguments clamped at -104. */
#define LT_SM_LOG2E 1.44269504088896341f
#define LT_SM_LN2_HI 0.693145751953125f
#define LT_SM_LN2_LO 1.428606765330187e-06f /* ln2 - LT_SM_LN2_HI */
#define LT_SM_EXP_MIN_ARG -104.0f
#define LT_SM_EXP_Q0 4.999999404e-01f
#define LT_SM_EXP_Q1 1.666651517e-01f
#define LT_SM_EXP_Q2 4.166845605e-02f
#define LT_SM_EXP_Q3 8.369424380e-03f
#define LT_SM_EXP_Q4 1.381313312e-03f

#endif
