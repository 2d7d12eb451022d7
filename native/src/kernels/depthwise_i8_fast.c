/* depthwise_i8_fast.c: picks the int8 DEPTHWISE_CONV_2D SIMD kernel at prepare and packs its
 * filter, biases and requantization vectors (dwconv.h). Cases the kernels do not cover
 * keep the portable kernel. */
#include "alloc.h"
#include "dwconv.h"
#include "litert/litert.h"

#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
static lt_status dwconv_i8_pack_filter(lt_context *ctx, lt_node *node, const conv_state *st,
                                       int32_t lanes, dwconv_i8_pack *pk) {
    const int8_t *filter = lt_i8(node->inputs[CONV_FILTER]);
    const linear_quant *q = &st->q;
    const int32_t channels = st->g.out_c;
    const int64_t taps = (int64_t)st->g.k_h * st->g.k_w;
    const int64_t blocks = ((int64_t)channels + lanes - 1) / lanes;
    const size_t padded = (size_t)blocks * (size_t)lanes; /* <= channels + 15: fits */
    size_t w_bytes;
    if (taps >= INT32_MAX || !lt_mul_size(padded, (size_t)taps, &w_bytes) ||
        !lt_mul_size(w_bytes, sizeof(int32_t), &w_bytes))
        return lt_ctx_error(ctx, node, "packed depthwise filter of %lld taps x %d channels "
                            "overflows the size type", (long long)taps, (int)channels);
    int32_t *w = lt_ctx_alloc(ctx, node, w_bytes); /* zeroed: padding lanes stay 0 */
    int32_t *bias = lt_ctx_alloc(ctx, node, padded * sizeof(int32_t));
    int32_t *bias_full = lt_ctx_alloc(ctx, node, padded * sizeof(int32_t));
    if (w == NULL || bias == NULL || bias_full == NULL ||
        lt_requant_vec_prepare(ctx, node, q->mult, channels, &pk->rq) != LT_OK)
        return LT_ERROR;
    const uint32_t zp = (uint32_t)q->input_zero_point;
    for (int64_t c = 0; c < channels; c++) {
        int32_t *blk = w + (c / lanes) * taps * lanes + c % lanes;
        uint32_t sum = 0;
        for (int64_t t = 0; t < taps; t++) {
            const int8_t v = filter[t * channels + c];
            blk[t * lanes] = (int32_t)(uint16_t)(int16_t)v; /* low half only (dwconv.h) */
            sum += (uint32_t)(int32_t)v;
        }
        bias[c] = q->bias[c];
        /* modulo 2^32, like the accumulators */
        bias_full[c] = linear_acc_i32((uint32_t)q->bias[c] - zp * sum);
    }
    pk->lanes = lanes;
    pk->blocks = (int32_t)blocks;
    pk->taps = (int32_t)taps;
    pk->w = w;
    pk->bias = bias;
    pk->bias_full = bias_full;
    pk->input_zero_point = q->input_zero_point;
    pk->output_zero_point = q->output_zero_point;
    /* lo, hi and the zero point are int8 values: the differences fit easily */
    pk->lo_minus_zp = q->lo - q->output_zero_point;
    pk->hi_minus_zp = q->hi - q->output_zero_point;
    const conv_geometry *g = &st->g;
    dwconv_interior(g->out_w, g->in_w, g->k_w, g->stride_w, g->dilation_w, g->pad_left,
                    &pk->ox_lo, &pk->ox_hi);
    return LT_OK;
}
#endif

lt_status depthwise_i8_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st) {
#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    /* The filter is packed once, so it must be constant; a depth multiplier > 1 (rare)
     * stays portable. */
    if (isa < DWCONV_ISA_MIN || st->depth_multiplier != 1 || !filter->is_constant ||
        filter->data == NULL)
        return LT_OK;
    dwconv_i8_pack *pk = lt_ctx_alloc(ctx, node, sizeof *pk);
    if (pk == NULL) return LT_ERROR;
#if defined(LT_NEON_KERNELS)
    if (dwconv_i8_pack_filter(ctx, node, st, 8, pk) != LT_OK) return LT_ERROR;
    st->fn = dwconv_i8_neon;
#else
    const bool avx512 = isa >= LT_ISA_AVX512;
    if (dwconv_i8_pack_filter(ctx, node, st, avx512 ? 16 : 8, pk) != LT_OK) return LT_ERROR;
    st->fn = avx512 ? dwconv_i8_avx512 : dwconv_i8_avx2;
#endif
    st->fast = pk;
    /* the SIMD kernels keep their accumulators in registers: no scratch */
    st->slot_bytes = 0;
    node->scratch_bytes = 0;
#else
    (void)ctx;
    (void)node;
    (void)st;
#endif
    return LT_OK;
}
