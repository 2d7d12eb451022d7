/* float32 DEPTHWISE_CONV_2D for AArch64 NEON: 8 channels per block (two q registers); layout
 * and paths in dwconv.h, loop structure and arithmetic as in x86/dwconv_f32_avx2.c.
 *
 * Each output vector starts from the bias and takes one fused multiply-add per tap inside
 * the input, taps in window order (ky, then kx), whatever path computes it; then the clamp
 * (lt_neon_clamp_f32: the portable linear_clamp, NaN kept); TANH / SIGN_BIT afterwards.
 * For 3x3 windows with stride 1 or 2, PIXELS = 2 neighbouring pixels advance together,
 * sharing each loaded input column: 18 filter registers, 4 accumulators and the columns
 * fit the 32 vector registers. A partial last channel block (fewer than 8 channels) is
 * loaded and stored through a zero-padded copy on the stack, so no access leaves the
 * tensors (each block body is compiled twice, `tail` being a constant). */
#if defined(__aarch64__)
#include "../dwconv.h"
#include "neon_common.h"

enum { LANES = 8, TILE = 16, PIXELS = 2 };

/* Hides how pointer p was computed from the compiler (see x86/dwconv_f32_avx512.c). */
#define OPAQUE(p) __asm__("" : "+r"(p))

typedef struct vec8 {
    float32x4_t v[2];
} vec8;

static LT_NEON_INLINE vec8 load8(const float *p) {
    return (vec8){{vld1q_f32(p), vld1q_f32(p + 4)}};
}

/* m: the channels of a partial block (1..7) */
static LT_NEON_INLINE vec8 load_x(const float *p, bool tail, int32_t m) {
    if (tail) {
        float buf[LANES] = {0};
        memcpy(buf, p, (size_t)m * sizeof(float));
        return load8(buf);
    }
    return load8(p);
}

static LT_NEON_INLINE vec8 fma8(vec8 acc, vec8 x, vec8 w) {
    return (vec8){{vfmaq_f32(acc.v[0], x.v[0], w.v[0]), vfmaq_f32(acc.v[1], x.v[1], w.v[1])}};
}

/* What every pixel of one output row needs. */
typedef struct dw_row {
    const dwconv_f32_pack *pk;
    const conv_geometry *g;
    const float *image; /* the batch image */
    int64_t c, in_row;  /* channels; floats per input row */
    int64_t y0;         /* input row of tap row 0 */
    int32_t full;       /* channel blocks without a tail */
    int32_t mask;       /* channels in the last block when partial */
    float lo, hi;
} dw_row;

static LT_NEON_INLINE void store_y(const dw_row *r, float *p, vec8 acc, bool tail) {
    const float32x4_t lo = vdupq_n_f32(r->lo), hi = vdupq_n_f32(r->hi);
    const float32x4_t a = lt_neon_clamp_f32(acc.v[0], lo, hi);
    const float32x4_t b = lt_neon_clamp_f32(acc.v[1], lo, hi);
    if (tail) {
        float buf[LANES];
        vst1q_f32(buf, a);
        vst1q_f32(buf + 4, b);
        memcpy(p, buf, (size_t)r->mask * sizeof(float));
    } else {
        vst1q_f32(p, a);
        vst1q_f32(p + 4, b);
    }
}

/* Pixels [t0, t1) of one output row whose windows all keep taps [ky0, ky1) x [kx0, kx1). */
typedef struct dw_span {
    int32_t t0, t1, ky0, ky1, kx0, kx1;
} dw_span;

/* Channel block cb of a span: kh x kw known at compile time after inlining (0: any window,
 * the filter streamed from the packed copy), `sw` the horizontal stride when PIXELS pixels
 * share loaded columns (0: one pixel at a time), `clip`: taps outside the span's ranges
 * skipped. Each pixel's own operations are the same on every path. */
static LT_NEON_INLINE void block_span(const dw_row *r, const dw_span *s, int32_t cb, float *y,
                                      const int kh, const int kw, const int sw, bool tail,
                                      bool clip) {
    const conv_geometry *g = r->g;
    const int64_t c = r->c;
    const int64_t dy = (int64_t)g->dilation_h * r->in_row, dx = (int64_t)g->dilation_w * c;
    const int64_t step = (int64_t)g->stride_w * c;
    const float *w = r->pk->w + (int64_t)cb * ((int64_t)r->pk->taps + 1) * LANES;
    const vec8 bias = load8(w);
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c +
                 (int64_t)cb * LANES;
    float *yo = y + (int64_t)cb * LANES;
    const int32_t m = r->mask;
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            vec8 acc = bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++) {
                const float *wt = w + (1 + (int64_t)ky * g->k_w) * LANES;
                for (int32_t kx = s->kx0; kx < s->kx1; kx++)
                    acc = fma8(acc, load_x(r->image + at + ky * dy + kx * dx, tail, m),
                               load8(wt + (int64_t)kx * LANES));
            }
            store_y(r, yo, acc, tail);
        }
        return;
    }
    vec8 wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = load8(w + (1 + t) * LANES);
    if (sw > 0) {
        /* columns (PIXELS - 1) * sw + kw of each tap row; needs dilation_w == 1, kx whole */
        enum { MAX_COLS = (PIXELS - 1) * 2 + 3 };
        for (; ox + PIXELS <= s->t1; ox += PIXELS, at += PIXELS * step, yo += PIXELS * c) {
            vec8 acc[PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) acc[i] = bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const float *x = r->image + at + ky * dy;
                OPAQUE(x);
                vec8 col[MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (PIXELS - 1) * sw + kw; j++)
                    col[j] = load_x(x + j * c, tail, m);
#pragma GCC unroll 4
                for (int i = 0; i < PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = fma8(acc[i], col[i * sw + kx], wv[ky * kw + kx]);
            }
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) store_y(r, yo + i * c, acc[i], tail);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        vec8 acc = bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                acc = fma8(acc, load_x(r->image + at + ky * dy + kx * dx, tail, m),
                           wv[ky * kw + kx]);
            }
        }
        store_y(r, yo, acc, tail);
    }
}

/* A span, tile by tile (the tile's inputs stay in L1 across the channel blocks). */
static LT_NEON_INLINE void span(const dw_row *r, const dw_span *s, float *y, const int kh,
                                const int kw, const int sw, bool clip) {
    for (int32_t t0 = s->t0; t0 < s->t1; t0 += TILE) {
        const dw_span tile = {t0, s->t1 - t0 < TILE ? s->t1 : t0 + TILE,
                              s->ky0, s->ky1, s->kx0, s->kx1};
        float *yt = y + (int64_t)(t0 - s->t0) * r->c;
        int32_t cb = 0;
        for (; cb < r->full; cb++) block_span(r, &tile, cb, yt, kh, kw, sw, false, clip);
        /* the partial last block: the generic loop (same operations per tap, window
         * order), so that the unrolled window kernels are compiled once, without a tail */
        if (cb < r->pk->blocks) block_span(r, &tile, cb, yt, 0, 0, 0, true, clip);
    }
}

/* The span functions: window kh x kw (0: any), horizontal stride sw (0: any, one pixel at
 * a time), clipped or not. */
typedef void (*span_fn)(const dw_row *r, const dw_span *s, float *y);
#define DEFINE_SPAN(NAME, KH, KW, SW, CLIP)                                                   \
    static void NAME(const dw_row *r, const dw_span *s, float *y) {                           \
        span(r, s, y, KH, KW, SW, CLIP);                                                      \
    }
DEFINE_SPAN(span_3x3_s1, 3, 3, 1, false)
DEFINE_SPAN(span_3x3_s1_clip, 3, 3, 1, true)
DEFINE_SPAN(span_3x3_s2, 3, 3, 2, false)
DEFINE_SPAN(span_3x3_s2_clip, 3, 3, 2, true)
DEFINE_SPAN(span_3x3, 3, 3, 0, false)
DEFINE_SPAN(span_3x3_clip, 3, 3, 0, true)
DEFINE_SPAN(span_5x5, 5, 5, 0, false)
DEFINE_SPAN(span_5x5_clip, 5, 5, 0, true)
DEFINE_SPAN(span_any, 0, 0, 0, false)

void dwconv_f32_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const dwconv_f32_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / LANES), .mask = (int32_t)(c % LANES),
                .lo = st->act.lo, .hi = st->act.hi};
    const int64_t in_image = r.in_row * g->in_h;
    /* inner: spans of whole windows; edge: one pixel clipped at the left or right edge;
     * run: whole rows of taps (kx), clipped rows (ky) */
    span_fn inner = span_any, edge = span_any, run = span_any;
    if (g->k_h == 3 && g->k_w == 3) {
        inner = span_3x3;
        edge = run = span_3x3_clip;
        if (g->dilation_w == 1 && g->stride_w == 1) {
            inner = span_3x3_s1;
            run = span_3x3_s1_clip;
        } else if (g->dilation_w == 1 && g->stride_w == 2) {
            inner = span_3x3_s2;
            run = span_3x3_s2_clip;
        }
    } else if (g->k_h == 5 && g->k_w == 5) {
        inner = span_5x5;
        edge = run = span_5x5_clip;
    }

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        r.image = lt_f32(a->in) + (int64_t)row.b * in_image;
        r.y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        float *y = lt_f32(a->out) +
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
            const span_fn fn = ox != il ? edge : s.ky0 == 0 && s.ky1 == g->k_h ? inner : run;
            fn(&r, &s, y + (int64_t)(ox - row.ox0) * c);
            ox = s.t1;
        }
    }
    linear_activation_post(&st->act, lt_f32(a->out) + p0 * c, (p1 - p0) * c);
}
#endif
