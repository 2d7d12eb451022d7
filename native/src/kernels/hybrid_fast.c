/* Hybrid ops (hybrid_fast.h): the portable input quantization, the choice of the SIMD one,
 * and the SIMD set-up of DEPTHWISE_CONV_2D and FULLY_CONNECTED (CONV_2D's lives with the
 * int8 GEMM in conv2d_i8_fast.c).
 *
 * FULLY_CONNECTED runs the int8 GEMM's FC micro-kernels (gemm_i8.h) on the quantized rows,
 * with weights packed with bias 0 and zero point 0: they return sum x * w, and the epilogue
 * here subtracts row_sums[u] * zero_point (modulo 2^32) and scales back exactly as the
 * portable kernel does (fully_connected.c), value by value. */
#include "alloc.h"
#include "gemm_i8.h"
#include "hybrid_fast.h"

void hybrid_minmax_portable(const float *x, int64_t n, float *lo, float *hi) {
    float l = *lo, h = *hi;
    for (int64_t i = 0; i < n; i++) { /* linear_quantize_row_asymmetric's comparisons */
        if (x[i] < l) l = x[i];
        if (h < x[i]) h = x[i];
    }
    *lo = l;
    *hi = h;
}

void hybrid_quantize_portable(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q) {
    if (p->zero) {
        memset(q, 0, (size_t)n);
        return;
    }
    const float zp = (float)p->zero_point, inv = p->inv;
    for (int64_t i = 0; i < n; i++) { /* linear_quantize_row_asymmetric's expression */
        const float r = roundf(zp + x[i] * inv); /* ties away from zero */
        q[i] = (int8_t)(r >= 127.0f ? 127 : r > -128.0f ? (int32_t)r : -128); /* NaN: -128 */
    }
}

void hybrid_quant_pick(const lt_context *ctx, hybrid_minmax_fn *minmax,
                       hybrid_quantize_fn *quantize) {
    *minmax = hybrid_minmax_portable;
    *quantize = hybrid_quantize_portable;
#if defined(LITERT_X86_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    if (isa >= LT_ISA_AVX512) {
        *minmax = hybrid_minmax_avx512;
        *quantize = hybrid_quantize_avx512;
    } else if (isa >= LT_ISA_AVX2) {
        *minmax = hybrid_minmax_avx2;
        *quantize = hybrid_quantize_avx2;
    }
#else
    (void)ctx;
#endif
}

#if defined(LITERT_X86_KERNELS)
lt_status depthwise_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                        conv_hybrid *h) {
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    const int isa = lt_ctx_isa(ctx);
    const conv_geometry *g = &st->g;
    if (isa < LT_ISA_AVX2 || st->depth_multiplier != 1 || !filter->is_constant ||
        filter->data == NULL || (bias != NULL && (!bias->is_constant || bias->data == NULL)) ||
        g->out_c <= 0 || (int64_t)g->k_h * g->k_w > DW_HYBRID_MAX_TAPS)
        return LT_OK; /* the portable kernel stays */
    const int32_t lanes = isa >= LT_ISA_AVX512 ? 16 : 8, channels = g->out_c;
    const int64_t taps = (int64_t)g->k_h * g->k_w;
    const int64_t blocks = ((int64_t)channels + lanes - 1) / lanes;
    const size_t padded = (size_t)blocks * (size_t)lanes; /* <= channels + 15: fits */
    size_t w_bytes;
    if (!lt_mul_size(padded, (size_t)taps, &w_bytes) ||
        !lt_mul_size(w_bytes, sizeof(float), &w_bytes))
        return lt_ctx_error(ctx, node, "packed depthwise filter of %lld taps x %d channels "
                            "overflows the size type", (long long)taps, (int)channels);
    dw_hybrid_pack *pk = lt_ctx_alloc(ctx, node, sizeof *pk);
    float *w = lt_ctx_alloc(ctx, node, w_bytes); /* zeroed: padding lanes stay 0 */
    float *scale = lt_ctx_alloc(ctx, node, padded * sizeof(float));
    float *bias_p = lt_ctx_alloc(ctx, node, padded * sizeof(float));
    if (pk == NULL || w == NULL || scale == NULL || bias_p == NULL) return LT_ERROR;
    const int8_t *f = lt_i8(filter);
    for (int64_t c = 0; c < channels; c++) {
        float *blk = w + (c / lanes) * taps * lanes + c % lanes;
        for (int64_t t = 0; t < taps; t++) blk[t * lanes] = (float)f[t * channels + c];
        scale[c] = st->channel_scale[c];
        bias_p[c] = bias != NULL ? lt_f32(bias)[c] : 0.0f;
    }
    *pk = (dw_hybrid_pack){.lanes = lanes, .blocks = (int32_t)blocks, .taps = (int32_t)taps,
                           .w = w, .scale = scale, .bias = bias_p};
    h->kernel = pk;
    h->quantize_f32 = isa >= LT_ISA_AVX512 ? hybrid_quantize_f32_avx512 : hybrid_quantize_f32_avx2;
    st->fn = isa >= LT_ISA_AVX512 ? depthwise_hybrid_avx512 : depthwise_hybrid_avx2;
    st->slot_bytes = 0; /* the accumulators live in registers */
    return LT_OK;
}

typedef struct fc_hybrid_gemm {
    gemm_i8_packed w;
    gemm_i8_fc_fn kernel;
} fc_hybrid_gemm;

static void fc_hybrid_gemm_run(const fc_state *st, const int8_t *w, const int8_t *xq,
                               const hybrid_qparams *params, const float *bias, float *y,
                               int64_t u0, int64_t u1) {
    (void)w; /* packed at prepare */
    const fc_hybrid *h = st->fast;
    const fc_hybrid_gemm *f = h->kernel;
    const int64_t k = st->depth, n = st->units;
    const float lo = st->act.lo, hi = st->act.hi;
    int32_t acc[GEMM_I8_FC_ROWS * GEMM_I8_FC_BLOCKS * GEMM_I8_NR];
    const int32_t b_end = (int32_t)((u1 + GEMM_I8_NR - 1) / GEMM_I8_NR);
    for (int64_t r0 = 0; r0 < st->rows; r0 += GEMM_I8_FC_ROWS) {
        const int32_t rows =
            (int32_t)(st->rows - r0 < GEMM_I8_FC_ROWS ? st->rows - r0 : GEMM_I8_FC_ROWS);
        for (int32_t b = (int32_t)(u0 / GEMM_I8_NR); b < b_end; b += GEMM_I8_FC_BLOCKS) {
            const int32_t nb = b_end - b < GEMM_I8_FC_BLOCKS ? b_end - b : GEMM_I8_FC_BLOCKS;
            f->kernel(&f->w, xq + r0 * k, k, rows, b, nb, acc);
            const int64_t c0 = (int64_t)b * GEMM_I8_NR;
            const int64_t o0 = u0 > c0 ? u0 : c0;
            const int64_t o1 = u1 < c0 + nb * GEMM_I8_NR ? u1 : c0 + nb * GEMM_I8_NR;
            for (int32_t r = 0; r < rows; r++) {
                const int32_t *a = acc + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR;
                const hybrid_qparams *pr = &params[r0 + r];
                const uint32_t zp = (uint32_t)pr->zero_point;
                float *yr = y + (r0 + r) * n;
                /* fully_connected_hybrid's epilogue, operation for operation */
                for (int64_t o = o0; o < o1; o++) {
                    const uint32_t sum = (uint32_t)a[o - c0] - (uint32_t)st->row_sums[o] * zp;
                    const float scale = pr->scale * st->unit_scale[o];
                    float v = bias != NULL ? bias[o] : 0.0f;
                    v += (float)linear_acc_i32(sum) * scale;
                    yr[o] = linear_clamp(v, lo, hi);
                }
            }
        }
        for (int32_t r = 0; r < rows; r++)
            linear_activation_post(&st->act, y + (r0 + r) * n + u0, u1 - u0);
    }
}

lt_status fc_hybrid_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st, fc_hybrid *h) {
    const lt_tensor *weights = node->inputs[1];
    const int isa = lt_ctx_isa(ctx);
    if (isa < LT_ISA_AVX2 || !weights->is_constant || weights->data == NULL ||
        st->units <= 0 || st->depth <= 0 || st->rows <= 0)
        return LT_OK; /* the portable kernel stays */
    fc_hybrid_gemm *f = lt_ctx_alloc(ctx, node, sizeof *f);
    int32_t *zeros = lt_ctx_alloc(ctx, node, (size_t)st->units * sizeof(int32_t));
    if (f == NULL || zeros == NULL) return LT_ERROR;
    gemm_i8_layout layout = GEMM_I8_K2_I16;
    if (isa >= LT_ISA_AVX512_VNNI) {
        layout = GEMM_I8_K4_U8;
        f->kernel = gemm_i8_fc_avx512vnni;
    } else if (isa >= LT_ISA_AVX512) {
        f->kernel = gemm_i8_fc_avx512;
    } else {
        f->kernel = gemm_i8_fc_avx2;
    }
    if (gemm_i8_pack(ctx, node, lt_i8(weights), (int32_t)st->units, st->depth, zeros, 0,
                     layout, &f->w) != LT_OK)
        return LT_ERROR;
    h->kernel = f;
    h->fn = fc_hybrid_gemm_run;
    return LT_OK;
}
#else
lt_status depthwise_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                        conv_hybrid *h) {
    (void)ctx;
    (void)node;
    (void)st;
    (void)h;
    return LT_OK; /* no SIMD kernels in this build */
}

lt_status fc_hybrid_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st, fc_hybrid *h) {
    (void)ctx;
    (void)node;
    (void)st;
    (void)h;
    return LT_OK; /* no SIMD kernels in this build */
}
#endif
