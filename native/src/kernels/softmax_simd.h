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
