/* conv2d_f32_fast.c: float32 CONV_2D on the packed-weight GEMM (gemm_f32.h) when the ISA
 * level has its micro-kernels (AVX2+FMA, AVX-512).
 *
 * A convolution with one group is a GEMM: rows = output pixels, K = kh * kw * in_c (the
 * filter's [O][KH][KW][C] rows are already K-major per output channel), N = out_c.
 *   - 1x1, stride 1 (no padding possible): the input pixels are the GEMM rows, read in
 *     place (row stride in_c);
 *   - any other window, stride, dilation or padding: im2col. Blocks of `mc` output pixels
 *     are gathered into this thread's scratch as rows of K values (taps in the padding are
 *     zeros), then multiplied. The copy costs K loads and stores per row against K * N
 *     multiply-adds, small beside them for every out_c worth a GEMM; it also handles
 *     in_c = 3 first layers, whose taps are too short for a per-tap (indirect) scheme.
 * Rows are processed in blocks of at most `mc` (A's block stays in L2 while every weight
 * panel passes over it; see gemm_f32_block_rows).
 *
 * Falls back to the portable kernel (nothing changed) for: grouped convolutions, a filter
 * or bias that is not constant (packed at prepare), ISA levels without micro-kernels, and
 * im2col cases whose filter holds inf or NaN (a zero padding tap times inf is NaN, while
 * the reference skips padding taps).
 *
 * Arithmetic: per output value one FMA chain from the bias in k order (gemm_f32.h), the
 * same for any cut of the pixels among threads. TANH / SIGN_BIT run afterwards over each
 * finished block (linear_activation_post). */
#include <string.h>

#include "alloc.h"
#include "conv_internal.h"
#include "gemm_f32.h"
#include "litert/litert.h"

typedef struct conv_f32_fast {
    gemm_f32_packed gemm;
    size_t k;       /* kh * kw * in_c */
    size_t mc;      /* output pixels per block */
    int32_t ox_lo, ox_hi; /* output columns whose window lies inside the input's width */
} conv_f32_fast;

/* TANH / SIGN_BIT over channels [c0, c1) of m finished output rows (out_c apart). */
static void conv_post_channels(const conv_state *st, float *y, size_t m, int32_t c0,
                               int32_t c1) {
    const size_t out_c = (size_t)st->g.out_c;
    if (c0 == 0 && (size_t)c1 == out_c) {
        linear_activation_post(&st->act, y, (int64_t)(m * out_c));
        return;
    }
    for (size_t i = 0; i < m; i++)
        linear_activation_post(&st->act, y + i * out_c + (size_t)c0, (int64_t)(c1 - c0));
}

/* Pixels [p0, p1), channels [c0, c1) (conv_channels_fn; conv_fn with all channels). */
static void conv2d_f32_gemm_1x1_channels(const conv_args *a, void *scratch, int64_t p0,
                                         int64_t p1, int32_t c0, int32_t c1) {
    (void)scratch;
    const conv_state *st = a->st;
    const conv_f32_fast *f = st->fast;
    const size_t in_c = (size_t)st->g.in_c, out_c = (size_t)st->g.out_c;
    const float *x = lt_f32(a->in);
    float *y = lt_f32(a->out);
    size_t m = 0;
    for (int64_t p = p0; p < p1; p += (int64_t)m) {
        m = gemm_f32_next_block((size_t)(p1 - p), f->mc);
        gemm_f32_run(&f->gemm, m, x + (size_t)p * in_c, in_c, y + (size_t)p * out_c, out_c, c0,
                     c1, st->act.lo, st->act.hi);
        conv_post_channels(st, y + (size_t)p * out_c, m, c0, c1);
    }
}

static void conv2d_f32_gemm_1x1(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    conv2d_f32_gemm_1x1_channels(a, scratch, p0, p1, 0, a->st->g.out_c);
}

/* Zeros n floats; most rows of a padded convolution need none. */
static inline void conv_zero(float *p, size_t n) {
    if (n > 0) memset(p, 0, n * sizeof(float));
}

/* Writes the K values of output pixel (b, oy, ox)'s window into `row`: tap (ky, kx) at
 * (ky * kw + kx) * in_c, like the filter; taps outside the input are zeros. The runs are
 * short (in_c = 3 in a first layer), so they go through the ISA's copy rather than memcpy
 * calls. */
static void conv_im2col_row(const conv_geometry *g, gemm_f32_gather_fn copy, const float *in,
                            int32_t b, int32_t oy, int32_t ox, float *row) {
    const size_t c = (size_t)g->in_c, tap_row = (size_t)g->k_w * c;
    const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
    const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
    const float *image = in + (size_t)b * (size_t)g->in_h * (size_t)g->in_w * c;
    int32_t ky0, ky1, kx0, kx1;
    conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
    conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
    if (kx0 >= kx1) ky1 = ky0; /* no column inside: every tap is padding */
    conv_zero(row, (size_t)ky0 * tap_row);
    for (int32_t ky = ky0; ky < ky1; ky++) {
        float *dst = row + (size_t)ky * tap_row;
        const float *src = image + (size_t)(y0 + (int64_t)ky * g->dilation_h) * g->in_w * c;
        conv_zero(dst, (size_t)kx0 * c);
        if (g->dilation_w == 1) {
            copy(dst + (size_t)kx0 * c, 0, src + (size_t)(x0 + kx0) * c, 0, 0, 1, 1,
                 (size_t)(kx1 - kx0) * c);
        } else {
            for (int32_t kx = kx0; kx < kx1; kx++)
                copy(dst + (size_t)kx * c, 0,
                     src + (size_t)(x0 + (int64_t)kx * g->dilation_w) * c, 0, 0, 1, 1, c);
        }
        conv_zero(dst + (size_t)kx1 * c, (size_t)(g->k_w - kx1) * c);
    }
    const int32_t ky_end = ky1 > ky0 ? ky1 : ky0;
    conv_zero(row + (size_t)ky_end * tap_row, (size_t)(g->k_h - ky_end) * tap_row);
}

/* Fills im2col rows for the m output pixels from p on. Per output row segment the window's
 * rows are found once; the columns whose window lies inside the input's width (all but a
 * few at the edges) are then copied in one call for the whole run of pixels, each pixel's
 * window rows being runs of kw * in_c values, without the general per-pixel clipping. */
static void conv_im2col_block(const conv_f32_fast *f, const conv_geometry *g, const float *x,
                              int64_t p, size_t m, float *rows) {
    const size_t c = (size_t)g->in_c, tap_row = (size_t)g->k_w * c;
    const gemm_f32_gather_fn gather = f->gemm.ker.gather;
    const bool runs = g->dilation_w == 1;
    int64_t q = p;
    conv_row seg;
    for (float *row = rows; conv_next_row(g, p + (int64_t)m, &q, &seg);) {
        const int64_t y0 = (int64_t)seg.oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        const float *image = x + (size_t)seg.b * (size_t)g->in_h * (size_t)g->in_w * c;
        for (int32_t ox = seg.ox0; ox < seg.ox1;) {
            if (!runs || ox < f->ox_lo || ox >= f->ox_hi || ky0 >= ky1) {
                conv_im2col_row(g, gather, x, seg.b, seg.oy, ox, row);
                row += f->k;
                ox++;
                continue;
            }
            const int32_t end = seg.ox1 < f->ox_hi ? seg.ox1 : f->ox_hi;
            const size_t pixels = (size_t)(end - ox);
            const float *src = image + (size_t)(y0 + (int64_t)ky0 * g->dilation_h) * g->in_w * c +
                               (size_t)((int64_t)ox * g->stride_w - g->pad_left) * c;
            if (ky0 > 0 || ky1 < g->k_h) /* window rows above or below the image */
                for (size_t i = 0; i < pixels; i++) {
                    conv_zero(row + i * f->k, (size_t)ky0 * tap_row);
                    conv_zero(row + i * f->k + (size_t)ky1 * tap_row,
                              (size_t)(g->k_h - ky1) * tap_row);
                }
            gather(row + (size_t)ky0 * tap_row, f->k, src, (size_t)g->stride_w * c,
                   (size_t)g->dilation_h * (size_t)g->in_w * c, pixels, (size_t)(ky1 - ky0),
                   tap_row);
            row += pixels * f->k;
            ox = end;
        }
    }
}

static void conv2d_f32_gemm_im2col_channels(const conv_args *a, void *scratch, int64_t p0,
                                            int64_t p1, int32_t c0, int32_t c1) {
    const conv_state *st = a->st;
    const conv_f32_fast *f = st->fast;
    const conv_geometry *g = &st->g;
    const size_t out_c = (size_t)g->out_c;
    const float *x = lt_f32(a->in);
    float *y = lt_f32(a->out);
    float *rows = scratch;
    size_t m = 0;
    for (int64_t p = p0; p < p1; p += (int64_t)m) {
        m = gemm_f32_next_block((size_t)(p1 - p), f->mc);
        conv_im2col_block(f, g, x, p, m, rows);
        gemm_f32_run(&f->gemm, m, rows, f->k, y + (size_t)p * out_c, out_c, c0, c1,
                     st->act.lo, st->act.hi);
        conv_post_channels(st, y + (size_t)p * out_c, m, c0, c1);
    }
}

static void conv2d_f32_gemm_im2col(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    conv2d_f32_gemm_im2col_channels(a, scratch, p0, p1, 0, a->st->g.out_c);
}

/* True when every float of the constant tensor is finite. */
static bool conv_all_finite(const lt_tensor *t) {
    const uint8_t *bytes = t->data;
    const int64_t n = lt_tensor_elements(t);
    for (int64_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, bytes + (size_t)i * sizeof v, sizeof v);
        if (!isfinite(v)) return false;
    }
    return true;
}

lt_status conv2d_f32_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                  const lt_tensor *filter) {
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    const conv_geometry *g = &st->g;
    gemm_f32_kernels ker;
    if (st->hybrid || st->filter_c != g->in_c || !filter->is_constant ||
        (bias != NULL && !bias->is_constant) || g->out_c <= 0 || g->in_c <= 0 ||
        !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return LT_OK;
    const bool direct = g->k_h == 1 && g->k_w == 1 && g->stride_h == 1 && g->stride_w == 1;
    if (!direct && !conv_all_finite(filter)) return LT_OK;
    const int64_t k = (int64_t)g->k_h * g->k_w * g->in_c; /* each factor < 2^31 */
    if (k > INT32_MAX)
        return LT_OK; /* a window this large is no case for a register-tiled GEMM */
    conv_f32_fast *f = lt_ctx_alloc(ctx, node, sizeof *f);
    if (f == NULL ||
        gemm_f32_pack(ctx, node, &ker, filter->data, bias != NULL ? bias->data : NULL, g->out_c,
                      k, &f->gemm) != LT_OK)
        return LT_ERROR;
    f->k = (size_t)k;
    /* the output columns whose window is whole: a contiguous range (possibly empty) */
    f->ox_lo = g->out_w;
    f->ox_hi = g->out_w;
    for (int32_t ox = 0; ox < g->out_w; ox++) {
        int32_t kx0, kx1;
        conv_tap_range((int64_t)ox * g->stride_w - g->pad_left, g->dilation_w, g->k_w, g->in_w,
                       &kx0, &kx1);
        const bool whole = kx0 == 0 && kx1 == g->k_w;
        if (whole && f->ox_lo == g->out_w) f->ox_lo = ox;
        if (!whole && f->ox_lo < g->out_w && f->ox_hi == g->out_w) f->ox_hi = ox;
    }
    f->mc = gemm_f32_block_rows(k);
    size_t slot = 0;
    if (!direct &&
        (!lt_mul_size(f->mc, f->k, &slot) || !lt_mul_size(slot, sizeof(float), &slot) ||
         !lt_align_size(slot, &slot) ||
         !lt_mul_size(slot, (size_t)lt_ctx_num_threads(ctx), &node->scratch_bytes)))
        return lt_ctx_error(ctx, node, "im2col scratch of %zu rows x %zu values on %d threads "
                            "overflows the size type", f->mc, f->k, lt_ctx_num_threads(ctx));
    if (direct) node->scratch_bytes = 0;
    st->slot_bytes = slot;
    st->fast = f;
    st->fn = direct ? conv2d_f32_gemm_1x1 : conv2d_f32_gemm_im2col;
    /* few pixels: threads may take channel panels instead (gemm_f32_run computes each
     * output with the same FMA chain for any channel range, see conv_channels_fn) */
    st->channels_fn = direct ? conv2d_f32_gemm_1x1_channels : conv2d_f32_gemm_im2col_channels;
    st->channel_unit = (int32_t)ker.nr;
    st->row_tile = (int32_t)ker.mr_full;
    st->split = true;
    return LT_OK;
}
