/* fc_f32_fast.c: float32 FULLY_CONNECTED on the packed-weight GEMM (gemm_f32.h) when the
 * ISA level has its micro-kernels (AVX2+FMA, AVX-512).
 *
 * The op is a GEMM as it stands: rows of x (K values each) times the weights' units. The
 * weights and bias are packed at prepare into panels of nr units; a call computes units
 * [u0, u1) of every row (the caller cuts the units among threads): the panels meeting the
 * range, each over the rows in tiles of its micro-kernel, storing only the range's columns.
 * Rows are taken in blocks (gemm_f32_block_rows) so that a block of x stays in cache while
 * every panel of the range passes over it.
 *
 * One row (batch 1) runs the matrix-vector kernel on the weights as stored
 * (gemm_f32_gemv_fn): nothing is packed, so weights need not be constant, and the nodes of
 * an unrolled RNN that share one weight tensor also share it in cache. Packed, each step's
 * node had its own copy: the 32 copies of an LSTM's 256 KiB recurrent weights were read
 * from L3 at every step, 9 us per step against 2.3 us now. The one exception: constant
 * weights over FC_GEMV_MAX_BYTES whose rows start at different distances from a 64-byte
 * boundary (depth not a multiple of 16, buffer not 64-byte aligned) are still packed:
 * the kernel's loads then cross cache lines, which made it about 1.3x slower than the
 * packed GEMM's single row (1-row tiles) on large layers read once per invoke.
 *
 * Falls back to the portable kernel (nothing changed) for several rows with weights or a
 * bias that are not constant (packed at prepare) and ISA levels without micro-kernels; the
 * caller already keeps hybrid and (not densified) sparse weights away from here.
 *
 * Arithmetic: per output one FMA chain from the bias in k order (gemm_f32.h), or for one
 * row the matrix-vector kernel's fixed expression; either is the same for any cut of the
 * units. TANH / SIGN_BIT run afterwards over each row's range (linear_activation_post). */
#include "fc_internal.h"
#include "gemm_f32.h"

typedef struct fc_f32_fast {
    gemm_f32_packed gemm;
    size_t mc; /* rows per block */
} fc_f32_fast;

/* Largest constant weights (bytes) read in place by the one-row kernel however their rows
 * are aligned; see above. */
#define FC_GEMV_MAX_BYTES ((size_t)256 * 1024)

typedef struct fc_f32_gemv {
    gemm_f32_gemv_fn gemv;
} fc_f32_gemv;

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

/* One row: units [u0, u1) straight from the weights tensor. */
static void fully_connected_f32_gemv(const fc_state *st, const lt_tensor *in_t,
                                     const lt_tensor *weights_t, const lt_tensor *bias_t,
                                     lt_tensor *out_t, int64_t u0, int64_t u1) {
    const fc_f32_gemv *f = st->fast;
    if (u0 >= u1) return;
    const size_t k = (size_t)st->depth;
    float *y = lt_f32(out_t) + u0;
    f->gemv((size_t)(u1 - u0), k, lt_f32(in_t), lt_f32(weights_t) + (size_t)u0 * k, k,
            bias_t != NULL ? lt_f32(bias_t) + u0 : NULL, y, st->act.lo, st->act.hi);
    linear_activation_post(&st->act, y, u1 - u0);
}

lt_status fc_f32_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st,
                              const lt_tensor *weights) {
    const lt_tensor *bias = node->n_inputs > 2 ? node->inputs[2] : NULL;
    gemm_f32_kernels ker;
    if (st->hybrid || st->hybrid_int || weights->type != LT_FLOAT32 || st->depth <= 0 ||
        st->units <= 0 || st->depth > INT32_MAX || !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return LT_OK;
    const bool in_place = !weights->is_constant || weights->bytes <= FC_GEMV_MAX_BYTES ||
                          st->depth % 16 == 0 || (uintptr_t)weights->data % 64 == 0;
    if (st->rows == 1 && in_place) {
        fc_f32_gemv *g = lt_ctx_alloc(ctx, node, sizeof *g);
        if (g == NULL) return LT_ERROR;
        g->gemv = ker.gemv;
        /* bound by reading the weights: a multiply-add costs about four of the GEMM's */
        st->parallel_min_work = GEMM_F32_PARALLEL_MIN_WORK / 4;
        st->fast = g;
        st->fn = fully_connected_f32_gemv;
        return LT_OK;
    }
    if (!weights->is_constant || (bias != NULL && !bias->is_constant)) return LT_OK;
    fc_f32_fast *f = lt_ctx_alloc(ctx, node, sizeof *f);
    if (f == NULL ||
        gemm_f32_pack(ctx, node, &ker, weights->data, bias != NULL ? bias->data : NULL,
                      st->units, st->depth, &f->gemm) != LT_OK)
        return LT_ERROR;
    f->mc = gemm_f32_block_rows(st->depth);
    st->parallel_min_work =
        st->rows == 1 ? GEMM_F32_PARALLEL_MIN_WORK / 4 : GEMM_F32_PARALLEL_MIN_WORK;
    st->fast = f;
    st->fn = fully_connected_f32_gemm;
    return LT_OK;
}
