/* Whether this build carries the AArch64 NEON kernels of kernels/arm/.
 *
 * CMake compiles the files arm/ *_neon.c for 64-bit ARM and, with -mfpu=neon, for 32-bit
 * ARM, and defines LITERT_ARM_KERNELS for both. The kernels use AArch64-only instructions
 * (FMLA by element, FDIV on vectors, pairwise adds across 128 bits, SDOT), so on 32-bit ARM
 * their files compile to nothing and the portable kernels run: every dispatch point tests
 * LT_NEON_KERNELS (then lt_ctx_isa(ctx) >= LT_ISA_NEON, or LT_ISA_NEON_DOTPROD for SDOT)
 * rather than LITERT_ARM_KERNELS alone. */
#ifndef LITERT_KERNELS_ARM_NEON_BUILD_H
#define LITERT_KERNELS_ARM_NEON_BUILD_H

#if defined(LITERT_ARM_KERNELS) && defined(__aarch64__)
#define LT_NEON_KERNELS 1
#endif

#endif
