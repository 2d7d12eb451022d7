/* The ISA-independent part of the DEPTHWISE_CONV_2D SIMD kernels (x86/dwconv_*.c,
 * arm/dwconv_*_neon.c): the traversal of output rows as spans (dwconv.h, "Paths"), the
 * tap-row / tap-column clipping, the tiles and channel blocks, and the tap loops with
 * their register blocking. A kernel file defines its vector types and a handful of
 * always-inline primitives, then includes this header once; everything here is then
 * inlined into that file's span functions, so the window size, stride, tail and clip
 * flags are compile-time constants in each of them, as when every file spelled the loops
 * out (the machine code is the same).
 *
 * What the including file defines first:
 *   DW_LANES, DW_PIXELS   channels per block; pixels sharing loaded columns (sw > 0)
 *   DW_TAIL_GENERIC       1: a partial last block takes the generic (kh = 0) loop, so the
 *                         unrolled kernels are compiled only without a tail (smaller code)
 *   DW_ANY_CLIP           1: the generic loop needs a clipped variant (int8: other bias)
 *   DW_TENSOR(t)          the tensor's data as dw_t *
 *   dw_t                  the element type (float, int8_t)
 *   dw_pack               dwconv_f32_pack or dwconv_i8_pack
 *   dw_acc, dw_x, dw_w    accumulator, loaded input and filter vectors
 *   dw_konst              per-call constants (tail mask, clamp bounds...)
 *   dw_blk                one channel block's constants, with a field `dw_acc bias`
 *   dw_konst dw_konst_make(const conv_state *st, int64_t c)
 *   dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0, bool clip)
 *   dw_w dw_load_w(const dw_blk *b, int64_t t)               filter vector of tap t
 *   dw_x dw_load_x(const dw_blk *b, const dw_t *p, bool tail, bool clip)
 *                         input vector; `clip`: the window is clipped (int8: minus zp)
 *   dw_acc dw_mac(dw_acc acc, dw_x x, dw_w w)                acc + x * w
 *   void dw_store(const dw_blk *b, dw_acc acc, dw_t *y, bool tail)  clamp/requant, store
 * and gets `static void dw_rows(const conv_args *a, int64_t p0, int64_t p1)`, which
 * computes output pixels [p0, p1) (the activation post-pass is the caller's). */
#ifndef LITERT_KERNELS_DWCONV_ROWS_H
#define LITERT_KERNELS_DWCONV_ROWS_H

#include "dwconv.h"

/* Hides how pointer p was computed from the compiler. Without it, GCC folds every
 * (tap row, column) offset of an unrolled pixel group into its own loop-invariant register
 * and spills most of them; through the barrier each tap row costs one pointer plus the
 * column offsets shared by all rows. */
#define DW_OPAQUE(p) __asm__("" : "+r"(p))

enum { DW_TILE = 16, DW_MAX_COLS = (DW_PIXELS - 1) * 2 + 3 };

/* What every pixel of one output row needs. */
typedef struct dw_row {
    const dw_pack *pk;
    const conv_geometry *g;
    const dw_t *image;  /* the batch image */
    int64_t c, in_row;  /* channels; elements per input row */
    int64_t y0;         /* input row of tap row 0 */
    int32_t full;       /* channel blocks without a tail */
    dw_konst k;
} dw_row;

/* Pixels [t0, t1) of one output row whose windows all keep taps [ky0, ky1) x [kx0, kx1). */
typedef struct dw_span {
    int32_t t0, t1, ky0, ky1, kx0, kx1;
} dw_span;

/* Channel block cb of a span. kh x kw is known at compile time after inlining, and the
 * filter vectors stay in registers; kh == 0 means any window, the filter streamed from the
 * packed copy. With `clip`, the taps outside the span's ranges are skipped (the tests are
 * the same for the whole span, so they predict perfectly).
 *
 * With a horizontal stride `sw` known at compile time (and dilation 1, whole rows of taps),
 * DW_PIXELS neighbouring pixels advance together: each input column a tap row needs is
 * loaded once into a register and serves every pixel whose window covers it, and the
 * pixels' dependency chains interleave. Each pixel's own operations are the same as alone:
 * from the bias, one multiply-add per tap inside the input, in window order. */
static DW_INLINE void dw_block_span(const dw_row *r, const dw_span *s, int32_t cb, dw_t *y,
                                    const int kh, const int kw, const int sw, bool tail,
                                    bool clip) {
    const conv_geometry *g = r->g;
    const int64_t c = r->c;
    const int64_t dy = (int64_t)g->dilation_h * r->in_row, dx = (int64_t)g->dilation_w * c;
    const int64_t step = (int64_t)g->stride_w * c;
    const int64_t lane0 = (int64_t)cb * DW_LANES;
    /* a local copy: the stores cannot change it, so it stays in registers */
    const dw_blk b = dw_blk_make(r->pk, &r->k, lane0, clip);
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c + lane0;
    dw_t *yo = y + lane0;
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            dw_acc acc = b.bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++)
                for (int32_t kx = s->kx0; kx < s->kx1; kx++)
                    acc = dw_mac(acc, dw_load_x(&b, r->image + at + ky * dy + kx * dx, tail, clip),
                                 dw_load_w(&b, (int64_t)ky * g->k_w + kx));
            dw_store(&b, acc, yo, tail);
        }
        return;
    }
    dw_w wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = dw_load_w(&b, t);
    if (sw > 0) {
        /* columns (DW_PIXELS - 1) * sw + kw of each tap row; needs dilation_w == 1 and kx
         * whole */
        for (; ox + DW_PIXELS <= s->t1;
             ox += DW_PIXELS, at += DW_PIXELS * step, yo += DW_PIXELS * c) {
            dw_acc acc[DW_PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < DW_PIXELS; i++) acc[i] = b.bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const dw_t *x = r->image + at + ky * dy;
                DW_OPAQUE(x);
                dw_x col[DW_MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (DW_PIXELS - 1) * sw + kw; j++)
                    col[j] = dw_load_x(&b, x + j * c, tail, clip);
#pragma GCC unroll 4
                for (int i = 0; i < DW_PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = dw_mac(acc[i], col[i * sw + kx], wv[ky * kw + kx]);
            }
#pragma GCC unroll 4
            for (int i = 0; i < DW_PIXELS; i++) dw_store(&b, acc[i], yo + i * c, tail);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        dw_acc acc = b.bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                acc = dw_mac(acc, dw_load_x(&b, r->image + at + ky * dy + kx * dx, tail, clip),
                             wv[ky * kw + kx]);
            }
        }
        dw_store(&b, acc, yo, tail);
    }
}

/* A span, tile by tile (the tile's inputs stay in L1 across the channel blocks). */
static DW_INLINE void dw_span_tiles(const dw_row *r, const dw_span *s, dw_t *y, const int kh,
                                    const int kw, const int sw, bool clip) {
    for (int32_t t0 = s->t0; t0 < s->t1; t0 += DW_TILE) {
        const dw_span tile = {t0, s->t1 - t0 < DW_TILE ? s->t1 : t0 + DW_TILE,
                              s->ky0, s->ky1, s->kx0, s->kx1};
        dw_t *yt = y + (int64_t)(t0 - s->t0) * r->c;
        int32_t cb = 0;
        for (; cb < r->full; cb++) dw_block_span(r, &tile, cb, yt, kh, kw, sw, false, clip);
        if (cb < r->pk->blocks) {
            /* the partial last block; with DW_TAIL_GENERIC the generic loop (same
             * operations per tap, window order) */
            if (DW_TAIL_GENERIC) dw_block_span(r, &tile, cb, yt, 0, 0, 0, true, clip);
            else dw_block_span(r, &tile, cb, yt, kh, kw, sw, true, clip);
        }
    }
}

/* The span functions: window kh x kw (0: any), horizontal stride sw (0: any, one pixel at
 * a time), clipped or not. */
typedef void (*dw_span_fn)(const dw_row *r, const dw_span *s, dw_t *y);
#define DW_DEFINE_SPAN(NAME, KH, KW, SW, CLIP)                                                \
    static void NAME(const dw_row *r, const dw_span *s, dw_t *y) {                            \
        dw_span_tiles(r, s, y, KH, KW, SW, CLIP);                                             \
    }
DW_DEFINE_SPAN(dw_span_3x3_s1, 3, 3, 1, false)
DW_DEFINE_SPAN(dw_span_3x3_s1_clip, 3, 3, 1, true)
DW_DEFINE_SPAN(dw_span_3x3_s2, 3, 3, 2, false)
DW_DEFINE_SPAN(dw_span_3x3_s2_clip, 3, 3, 2, true)
DW_DEFINE_SPAN(dw_span_3x3, 3, 3, 0, false)
DW_DEFINE_SPAN(dw_span_3x3_clip, 3, 3, 0, true)
DW_DEFINE_SPAN(dw_span_5x5, 5, 5, 0, false)
DW_DEFINE_SPAN(dw_span_5x5_clip, 5, 5, 0, true)
DW_DEFINE_SPAN(dw_span_any, 0, 0, 0, false)
#if DW_ANY_CLIP
DW_DEFINE_SPAN(dw_span_any_clip, 0, 0, 0, true)
#else
#define dw_span_any_clip dw_span_any
#endif

static void dw_rows(const conv_args *a, int64_t p0, int64_t p1) {
    const conv_state *st = a->st;
    const dw_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / DW_LANES), .k = dw_konst_make(st, c)};
    const int64_t in_image = r.in_row * g->in_h;
    /* inner: spans of whole windows; edge: one pixel clipped at the left or right edge;
     * run: the pixels between the edges of a row clipped at the top or bottom (whole rows
     * of taps, clipped tap rows) */
    dw_span_fn inner = dw_span_any, edge = dw_span_any_clip, run = dw_span_any_clip;
    if (g->k_h == 3 && g->k_w == 3) {
        inner = dw_span_3x3;
        edge = run = dw_span_3x3_clip;
        if (g->dilation_w == 1 && g->stride_w == 1) {
            inner = dw_span_3x3_s1;
            run = dw_span_3x3_s1_clip;
        } else if (g->dilation_w == 1 && g->stride_w == 2) {
            inner = dw_span_3x3_s2;
            run = dw_span_3x3_s2_clip;
        }
    } else if (g->k_h == 5 && g->k_w == 5) {
        inner = dw_span_5x5;
        edge = run = dw_span_5x5_clip;
    }

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        r.image = DW_TENSOR(a->in) + (int64_t)row.b * in_image;
        r.y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        dw_t *y = DW_TENSOR(a->out) +
                  (((int64_t)row.b * g->out_h + row.oy) * g->out_w + row.ox0) * c;
        dw_span s;
        conv_tap_range(r.y0, g->dilation_h, g->k_h, g->in_h, &s.ky0, &s.ky1);
        int32_t il, ir;
        dwconv_row_split(pk->ox_lo, pk->ox_hi, &row, &il, &ir);
        for (int32_t ox = row.ox0; ox < row.ox1;) {
            /* one edge pixel, or the run of pixels whose windows are whole horizontally */
            s.t0 = ox;
            s.t1 = ox == il ? ir : ox + 1;
            if (ox == il) {
                s.kx0 = 0;
                s.kx1 = g->k_w;
            } else {
                conv_tap_range((int64_t)ox * g->stride_w - g->pad_left, g->dilation_w, g->k_w,
                               g->in_w, &s.kx0, &s.kx1);
            }
            const dw_span_fn fn =
                ox != il ? edge : s.ky0 == 0 && s.ky1 == g->k_h ? inner : run;
            fn(&r, &s, y + (int64_t)(ox - row.ox0) * c);
            ox = s.t1;
        }
    }
}

#endif
