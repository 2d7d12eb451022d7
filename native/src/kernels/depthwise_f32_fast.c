/* depthwise_f32_fast.c: picks the float32 DEPTHWISE_CONV_2D SIMD kernel at prepare and packs
 * its filter (dwconv.h). Cases the kernels do not cover keep the portable kernel. */
#include <string.h>

#include "alloc.h"
#include "dwconv.h"
#include "litert/litert.h"

#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
/* Packs filter [1, kh, kw, channels] and the optional bias into [blocks][1 + taps][lanes]. */
static lt_status dwconv_f32_pack_filter(lt_context *ctx, lt_node *node, const conv_state *st,
                                        int32_t lanes, dwconv_f32_pack *pk) {
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    const int32_t channels = st->g.out_c;
    const int64_t taps = (int64_t)st->g.k_h * st->g.k_w;
    const int64_t blocks = ((int64_t)channels + lanes - 1) / lanes;
    size_t per_block, bytes;
    if (taps >= INT32_MAX || !lt_mul_size((size_t)taps + 1, (size_t)lanes, &per_block) ||
        !lt_mul_size(per_block, (size_t)blocks, &bytes) ||
        !lt_mul_size(bytes, sizeof(float), &bytes))
        return lt_ctx_error(ctx, node, "packed depthwise filter of %lld taps x %d channels "
                            "overflows the size type", (long long)taps, (int)channels);
    float *w = lt_ctx_alloc(ctx, node, bytes); /* zeroed: padding lanes stay 0 */
    if (w == NULL) return LT_ERROR;
    /* The tensors' bytes are read with memcpy: no assumption on their alignment. */
    const uint8_t *fsrc = filter->data;
    const uint8_t *bsrc = bias != NULL ? bias->data : NULL;
    for (int64_t c = 0; c < channels; c++) {
        float *blk = w + (c / lanes) * per_block + c % lanes;
        if (bsrc != NULL) memcpy(blk, bsrc + c * (int64_t)sizeof(float), sizeof(float));
        for (int64_t t = 0; t < taps; t++)
            memcpy(blk + (t + 1) * lanes, fsrc + (t * channels + c) * (int64_t)sizeof(float),
                   sizeof(float));
    }
    pk->lanes = lanes;
    pk->blocks = (int32_t)blocks;
    pk->taps = (int32_t)taps;
    pk->w = w;
    const conv_geometry *g = &st->g;
    dwconv_interior(g->out_w, g->in_w, g->k_w, g->stride_w, g->dilation_w, g->pad_left,
                    &pk->ox_lo, &pk->ox_hi);
    return LT_OK;
}
#endif

lt_status depthwise_f32_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st) {
#if defined(LITERT_X86_KERNELS) || defined(LT_NEON_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    /* The filter is packed once, so it must be constant; a depth multiplier > 1 (rare)
     * stays portable. */
    if (isa < DWCONV_ISA_MIN || st->hybrid || st->depth_multiplier != 1 ||
        !filter->is_constant || filter->data == NULL || (bias != NULL && !bias->is_constant))
        return LT_OK;
    dwconv_f32_pack *pk = lt_ctx_alloc(ctx, node, sizeof *pk);
    if (pk == NULL) return LT_ERROR;
#if defined(LT_NEON_KERNELS)
    if (dwconv_f32_pack_filter(ctx, node, st, 8, pk) != LT_OK) return LT_ERROR;
    st->fn = dwconv_f32_neon;
#else
    const bool avx512 = isa >= LT_ISA_AVX512;
    if (dwconv_f32_pack_filter(ctx, node, st, avx512 ? 16 : 8, pk) != LT_OK) return LT_ERROR;
    st->fn = avx512 ? dwconv_f32_avx512 : dwconv_f32_avx2;
#endif
    st->fast = pk;
#else
    (void)ctx;
    (void)node;
    (void)st;
#endif
    return LT_OK;
}
