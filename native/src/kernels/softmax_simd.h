/* SIMD float32 SOFTMAX rows (x86 AVX2 and AVX-512, in kernels/x86/softmax_f32_*), picked at
 * prepare by softmax.c when lt_ctx_isa allows it.
 *
 * Same formula and pivot as the portable kernel: each row takes pivot = max(x) for
 * beta >= 0 (min(x) for beta < 0), computes e = exp((x - pivot) * beta) with the subtraction
 * and the product rounded as in the portable kernel, and divides each e by the row's sum.
 * What differs: exp is the kernels' own polynomial instead of the C library's expf (within
 * about 1 ulp of it), and the sum is accumulated in vector lanes (a different order than the
 * portable kernel's left-to-right sum; no less accurate). tests/test_simd_softmax.py states
 * and checks the bounds. NaN, +inf (inf - inf) and -inf behave as in the portable kernel: a
 * row holding NaN or +inf comes out all NaN, -inf entries of a finite row come out 0.
 *
 * Why the kernels keep their own exp rather than the shared lt_vm8_exp / lt_vm16_exp of
 * x86/vmath_*.h: measured over every float32 t in [-110, 0] against the exact e^t, theirs is
 * within 0.886 ulp, the shared one within 0.987 ulp (it is built for the whole range,
 * overflow included), so it would not be as accurate; and it is also cheaper where softmax
 * spends its time: it only handles t <= 0, with one clamp, and on AVX-512 applies 2^n with
 * VSCALEFPS (one rounding, subnormals included) where the shared one needs a compare and
 * a branch. Their constants are in x86/vmath_coeffs.h (LT_SM_*).
 *
 * Each row is computed by the same sequence of operations however many rows one call gets,
 * so results do not depend on how the rows are cut between threads. */
#ifndef LITERT_KERNELS_SOFTMAX_SIMD_H
#define LITERT_KERNELS_SOFTMAX_SIMD_H

#include <stdint.h>

#if defined(LITERT_X86_KERNELS)
/* Softmax of `rows` contiguous rows of `depth` >= 1 floats: out row r from in row r. */
void lt_softmax_f32_avx2(const float *in, float *out, int64_t rows, int64_t depth, float beta);
void lt_softmax_f32_avx512(const float *in, float *out, int64_t rows, int64_t depth, float beta);
#endif

#endif
