/* fc_f32_fast.c: float32 FULLY_CONNECTED on the packed-weight GEMM (gemm_f32.h) when the
 * ISA level has its micro-kernels (AVX2+FMA, AVX-512).
 *
 * The op is a GEMM as it stands: rows of x (K values each) times the weights' units. The
 * weights and bias are packed at prepare into panels of nr units; a call computes units
 * [u0, u1) of every row (the caller cuts the units among threads): the panels meeting the
 * range, each over the rows in tiles of its micro-kernel, storing only the range's columns.
 * One row (batch 1) is the same loop with 1-row tiles: a pass over the weights, which is
 * what bounds it. Rows are taken in blocks (gemm_f32_block_rows) so that a block of x stays
 * in cache while every panel of the range passes over it.
 *
 * Falls back to the portable kernel (nothing changed) for weights or a bias that are not
 * constant (packed at prepare) and ISA levels without micro-kernels; the caller already
 * keeps sparse and hybrid weights away from here.
 *
 * Arithmetic: per output one FMA chain from the bias in k order (gemm_f32.h), the same for
 * any cut of the units. TANH / SIGN_BIT run afterwards over each row's range
 * (linear_activation_post). */
#include "fc_internal.h"
#include "gemm_f32.h"

typedef struct fc_f32_fast {
    gemm_f32_packed gemm;
    size_t mc; /* rows per block */
} fc_f32_fast;

static void fully_connected_f32_gemm(const fc_state *st, const lt_tensor *in_t,
                                     const lt_tensor *weights_t, const lt_tensor *bias_t,
                                     lt_tensor *out_t, int64_t u0, int64_t u1) {
    (void)weights_t; /* packed at prepare, with the bias */
    (void)bias_t;
    const fc_f32_fast *f = st->fast;
    const size_t k = (size_t)st->depth, n = (size_t)st->units;
    const float *x = lt_f32(in_t);
    float *y = lt_f32(out_t);
    if (u0 >= u1) return;
    size_t m = 0;
    for (int64_t r = 0; r < st->rows; r += (int64_t)m) {
        m = gemm_f32_next_block((size_t)(st->rows - r), f->mc);
        float *yb = y + (size_t)r * n;
        gemm_f32_run(&f->gemm, m, x + (size_t)r * k, k, yb, n, u0, u1, st->act.lo,
                     st->act.hi);
        if (st->act.post_pass)
            for (size_t i = 0; i < m; i++)
                linear_activation_post(&st->act, yb + i * n + u0, u1 - u0);
    }
}

lt_status fc_f32_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st) {
    const lt_tensor *weights = node->inputs[1];
    const lt_tensor *bias = node->n_inputs > 2 ? node->inputs[2] : NULL;
    gemm_f32_kernels ker;
    if (st->hybrid || st->hybrid_int || weights->type != LT_FLOAT32 || !weights->is_constant ||
        (bias != NULL && !bias->is_constant) || st->depth <= 0 || st->units <= 0 ||
        st->depth > INT32_MAX || !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return LT_OK;
    fc_f32_fast *f = lt_ctx_alloc(ctx, node, sizeof *f);
    if (f == NULL ||
        gemm_f32_pack(ctx, node, &ker, weights->data, bias != NULL ? bias->data : NULL,
                      st->units, st->depth, &f->gemm) != LT_OK)
        return LT_ERROR;
    f->mc = gemm_f32_block_rows(st->depth);
    st->fast = f;
    st->fn = fully_connected_f32_gemm;
    return LT_OK;
}
