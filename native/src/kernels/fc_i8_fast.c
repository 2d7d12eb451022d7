/* FULLY_CONNECTED int8 on the int8 GEMM (gemm_i8.h): constant weights [units, depth] packed
 * at prepare, dot products by the level's micro-kernel (AVX2 and above), each accumulator
 * then requantized by lt_requantize_dmul exactly as fully_connected_i8 does (the reference
 * kernel's rounding in double, emulated with integers: one value at a time).
 *
 * Units [u0, u1) of every row, as the fc_fn contract asks: the kernel runs whole 16-unit
 * blocks covering the range (up to 4 rows x 4 blocks per call, accumulators in a stack
 * tile) and only the range's units are stored. Integer sums modulo 2^32 do not depend on
 * their order, so every output equals the portable kernel's for any cut of the units.
 * Non-constant weights keep the portable kernel. */
#include "fc_internal.h"
#include "gemm_i8.h"

#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
typedef struct fc_i8_gemm {
    gemm_i8_packed w;
    gemm_i8_fc_fn kernel;
} fc_i8_gemm;

static void fully_connected_i8_gemm(const fc_state *st, const lt_tensor *in_t,
                                    const lt_tensor *weights_t, const lt_tensor *bias_t,
                                    lt_tensor *out_t, int64_t u0, int64_t u1) {
    (void)weights_t; /* packed at prepare */
    (void)bias_t;    /* folded into the packed offsets */
    const fc_i8_gemm *f = st->fast;
    const linear_quant *q = &st->q;
    const int8_t *x = lt_i8(in_t);
    int8_t *y = lt_i8(out_t);
    const int64_t k = st->depth, n = st->units;
    int32_t acc[GEMM_I8_FC_ROWS * GEMM_I8_FC_BLOCKS * GEMM_I8_NR];
    const int32_t b_end = (int32_t)((u1 + GEMM_I8_NR - 1) / GEMM_I8_NR);
    for (int64_t r0 = 0; r0 < st->rows; r0 += GEMM_I8_FC_ROWS) {
        const int32_t rows =
            (int32_t)(st->rows - r0 < GEMM_I8_FC_ROWS ? st->rows - r0 : GEMM_I8_FC_ROWS);
        for (int32_t b = (int32_t)(u0 / GEMM_I8_NR); b < b_end; b += GEMM_I8_FC_BLOCKS) {
            const int32_t nb = b_end - b < GEMM_I8_FC_BLOCKS ? b_end - b : GEMM_I8_FC_BLOCKS;
            f->kernel(&f->w, x + r0 * k, k, rows, b, nb, acc);
            const int64_t c0 = (int64_t)b * GEMM_I8_NR;
            const int64_t lo = u0 > c0 ? u0 : c0;
            const int64_t hi = u1 < c0 + nb * GEMM_I8_NR ? u1 : c0 + nb * GEMM_I8_NR;
            for (int32_t r = 0; r < rows; r++) {
                const int32_t *a = acc + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR;
                int8_t *yr = y + (r0 + r) * n;
                for (int64_t o = lo; o < hi; o++)
                    yr[o] = (int8_t)lt_requantize_dmul(a[o - c0], q->dmult[o], q->output_zero_point,
                                                       q->lo, q->hi);
            }
        }
    }
}

lt_status fc_i8_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st) {
    const lt_tensor *weights = node->inputs[1];
    const int isa = lt_ctx_isa(ctx);
    if (isa < LT_ISA_AVX2 || !weights->is_constant || weights->data == NULL ||
        st->units <= 0 || st->depth <= 0 || st->rows <= 0)
        return LT_OK; /* the portable kernel stays */
    fc_i8_gemm *f = lt_ctx_alloc(ctx, node, sizeof *f);
    if (f == NULL) return LT_ERROR;
    gemm_i8_layout layout = GEMM_I8_K2_I16;
#if defined(LT_NEON_KERNELS)
    /* AArch64: SDOT when the CPU has it, else SMULL / SADALP */
    layout = GEMM_I8_K4_I8;
    f->kernel = isa >= LT_ISA_NEON_DOTPROD ? gemm_i8_fc_neondot : gemm_i8_fc_neon;
#else
    if (isa >= LT_ISA_AVX512_VNNI) {
        layout = GEMM_I8_K4_U8;
        f->kernel = gemm_i8_fc_avx512vnni;
    } else if (isa >= LT_ISA_AVX512) {
        f->kernel = gemm_i8_fc_avx512;
    } else {
        f->kernel = gemm_i8_fc_avx2;
    }
#endif
    if (gemm_i8_pack(ctx, node, lt_i8(weights), (int32_t)st->units, st->depth, st->q.bias,
                     st->q.input_zero_point, layout, &f->w) != LT_OK)
        return LT_ERROR;
    st->fast = f;
    st->fn = fully_connected_i8_gemm;
    return LT_OK;
}
#else
lt_status fc_i8_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st) {
    (void)ctx;
    (void)node;
    (void)st;
    return LT_OK; /* no SIMD kernels in this build: the portable kernel stays */
}
#endif
