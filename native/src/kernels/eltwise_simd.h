/* SIMD row kernels of ADD / SUB / MUL / DIV (x86 AVX2 and AVX-512, in kernels/x86/eltwise_*;
 * AArch64 NEON in kernels/arm/eltwise_*_neon.c),
 * and the row parameters they share with the portable rows of elementwise_binary.c.
 *
 * The rows plug into the broadcast walker (elementwise_broadcast.h): prepare swaps the
 * portable lt_bcast_rows table of the (op, type) pair for one of these when lt_ctx_isa
 * allows it. Every output element is computed by the same operations as the portable row
 * computes it (float32: one IEEE operation then the clamp; int8: TensorFlow Lite's fixed-point
 * arithmetic, bit for bit), so a row's result does not depend on where it is cut: vector
 * lanes, masked tails and thread ranges all agree. */
#ifndef LITERT_KERNELS_ELTWISE_SIMD_H
#define LITERT_KERNELS_ELTWISE_SIMD_H

#include <stdint.h>

#include "elementwise_broadcast.h"
#include "quant_math.h"

/* Index of each op in the tables below (the order of elementwise_binary.c's binary_kind). */
enum { LT_ELTWISE_ADD = 0, LT_ELTWISE_SUB = 1, LT_ELTWISE_MUL = 2, LT_ELTWISE_DIV = 3 };

/* float32 rows: the fused clamp [lo, hi] ([-inf, inf] for none). NaN passes through. */
typedef struct lt_eltwise_clamp_f32 {
    float lo, hi;
} lt_eltwise_clamp_f32;

/* int8 ADD / SUB: TensorFlow Lite's 8-bit add arithmetic (left shift 20, per-input multipliers
 * below 1, one output multiplier below 1; all shifts <= 0). */
typedef struct lt_eltwise_addsub_q8 {
    int32_t a_offset, b_offset; /* -zero_point of each input */
    lt_qmul a_mul, b_mul, out_mul;
    int32_t out_zp, lo, hi;
} lt_eltwise_addsub_q8;

enum { LT_ELTWISE_ADD_Q8_LEFT_SHIFT = 20 };

/* int8 MUL: (a - zp_a) * (b - zp_b) times scale_a * scale_b / scale_out. */
typedef struct lt_eltwise_mul_q8 {
    int32_t a_offset, b_offset;
    lt_qmul out_mul;
    int32_t out_zp, lo, hi;
} lt_eltwise_mul_q8;

/* One input's scaled value in int8 ADD / SUB (exact TensorFlow Lite arithmetic): portable and
 * SIMD rows both use it for a broadcast scalar operand. */
static inline int32_t lt_eltwise_addsub_q8_scaled(int32_t x, int32_t offset, lt_qmul m) {
    const int32_t shifted = (x + offset) * (1 << LT_ELTWISE_ADD_Q8_LEFT_SHIFT);
    return lt_multiply_by_quantized_multiplier_smaller_than_one(shifted, m.multiplier, m.shift);
}

#if defined(LITERT_X86_KERNELS)
/* Indexed by LT_ELTWISE_*: float32 ADD, SUB, MUL, DIV; int8 ADD, SUB, MUL. Params: an
 * lt_eltwise_clamp_f32, lt_eltwise_addsub_q8 or lt_eltwise_mul_q8. */
extern const lt_bcast_rows lt_eltwise_f32_rows_avx2[4];
extern const lt_bcast_rows lt_eltwise_f32_rows_avx512[4];
extern const lt_bcast_rows lt_eltwise_q8_rows_avx2[3];
extern const lt_bcast_rows lt_eltwise_q8_rows_avx512[3];
#endif

#include "arm/neon_build.h"
#if defined(LT_NEON_KERNELS)
/* AArch64 NEON (arm/eltwise_*_neon.c), same indexing and parameters. */
extern const lt_bcast_rows lt_eltwise_f32_rows_neon[4];
extern const lt_bcast_rows lt_eltwise_q8_rows_neon[3];
#endif

#endif
