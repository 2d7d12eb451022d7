/* Window geometry shared by CONV_2D, DEPTHWISE_CONV_2D and the 2-D pools: NHWC tensors, a
 * kernel window of kh x kw taps placed every `stride` pixels, taps `dilation` pixels
 * apart, and implicit zero padding (which the kernels never read: they clip each window to
 * the taps that fall inside the input). */
#ifndef LITERT_KERNELS_CONV_COMMON_H
#define LITERT_KERNELS_CONV_COMMON_H

#include <stdint.h>

#include "kernels.h"

typedef struct conv_geometry {
    int32_t batch;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;  /* padding before the first row / column (SAME) */
} conv_geometry;

/* Fills the spatial part of `g` (out_h, out_w, pad_top, pad_left) from in_h/in_w, the
 * window and its steps, checking that every number is usable. `what` names the op's
 * window in messages ("filter", "pool window"). */
static inline lt_status conv_geometry_spatial(lt_context *ctx, const lt_node *node, int padding,
                                              conv_geometry *g, const char *what) {
    if (padding != LT_PADDING_SAME && padding != LT_PADDING_VALID)
        return lt_ctx_error(ctx, node, "padding is %d; expected SAME (0) or VALID (1)", padding);
    if (g->stride_h <= 0 || g->stride_w <= 0)
        return lt_ctx_error(ctx, node, "strides are %d x %d (h x w); expected positive values",
                            (int)g->stride_h, (int)g->stride_w);
    if (g->dilation_h <= 0 || g->dilation_w <= 0)
        return lt_ctx_error(ctx, node, "dilation factors are %d x %d (h x w); expected "
                            "positive values", (int)g->dilation_h, (int)g->dilation_w);
    if (g->k_h <= 0 || g->k_w <= 0)
        return lt_ctx_error(ctx, node, "%s is %d x %d (h x w); expected a positive size", what,
                            (int)g->k_h, (int)g->k_w);
    /* The dilated extent must fit in int32 so that lt_conv_out_size's padding does too. */
    const int64_t ext_h = (int64_t)(g->k_h - 1) * g->dilation_h + 1;
    const int64_t ext_w = (int64_t)(g->k_w - 1) * g->dilation_w + 1;
    if (ext_h > INT32_MAX || ext_w > INT32_MAX)
        return lt_ctx_error(ctx, node, "dilated %s extent %lld x %lld is too large", what,
                            (long long)ext_h, (long long)ext_w);
    const char *pad_name = padding == LT_PADDING_SAME ? "SAME" : "VALID";
    /* int, not int32_t, outputs: the two differ where int32_t is long (arm-none-eabi). */
    int out_h, out_w, pad_top, pad_left;
    if (!lt_conv_out_size(padding, g->in_h, g->k_h, g->stride_h, g->dilation_h, &out_h,
                          &pad_top))
        return lt_ctx_error(ctx, node, "input height %d with %s height %d, dilation %d, "
                            "stride %d and %s padding gives no output rows; expected an "
                            "input at least as tall as the dilated %s", (int)g->in_h, what,
                            (int)g->k_h, (int)g->dilation_h, (int)g->stride_h, pad_name, what);
    if (!lt_conv_out_size(padding, g->in_w, g->k_w, g->stride_w, g->dilation_w, &out_w,
                          &pad_left))
        return lt_ctx_error(ctx, node, "input width %d with %s width %d, dilation %d, "
                            "stride %d and %s padding gives no output columns; expected an "
                            "input at least as wide as the dilated %s", (int)g->in_w, what,
                            (int)g->k_w, (int)g->dilation_w, (int)g->stride_w, pad_name, what);
    g->out_h = out_h;
    g->out_w = out_w;
    g->pad_top = pad_top;
    g->pad_left = pad_left;
    return LT_OK;
}

/* Taps [*first, *end) of a window whose tap 0 sits at input coordinate `origin` (possibly
 * negative, in the padding) and whose taps are `dilation` apart, restricted to those inside
 * [0, size). Empty when *first >= *end. */
static inline void conv_tap_range(int64_t origin, int32_t dilation, int32_t taps, int32_t size,
                                  int32_t *first, int32_t *end) {
    int64_t lo = 0, hi = taps;
    if (origin < 0) lo = (-origin + dilation - 1) / dilation;         /* first tap >= 0 */
    const int64_t room = (int64_t)size - origin;                      /* taps need pos < room */
    const int64_t fit = room <= 0 ? 0 : (room + dilation - 1) / dilation;
    if (fit < hi) hi = fit;
    if (lo > hi) lo = hi;
    *first = (int32_t)lo;
    *end = (int32_t)hi;
}

#endif
