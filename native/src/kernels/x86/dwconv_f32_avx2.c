/* float32 DEPTHWISE_CONV_2D, 8 channels per ymm (AVX2 + FMA); layout and paths in dwconv.h,
 * loop structure and arithmetic as in dwconv_f32_avx512.c (from the bias, one fused
 * multiply-add per tap inside the input in window order, then the NaN-preserving clamp
 * min(hi, max(lo, y)); TANH / SIGN_BIT afterwards). With 16 vector registers, PIXELS = 2
 * pixels advance together. The last channel block, when partial, uses VMASKMOVPS loads and
 * stores, which do not touch the masked-off lanes' memory; full blocks use plain ones (each
 * block body is compiled twice, `tail` being a constant). */
#include <immintrin.h>

#include "../dwconv.h"

enum { LANES = 8, TILE = 16, PIXELS = 2 };

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* Hides how pointer p was computed from the compiler. Without it, GCC folds every
 * (tap row, column) offset of an unrolled pixel group into its own loop-invariant register
 * and spills most of them; through the barrier each tap row costs one pointer plus the
 * column offsets shared by all rows. */
#define OPAQUE(p) __asm__("" : "+r"(p))

static inline __m256 clamp8(__m256 v, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

static ALWAYS_INLINE __m256 load_x(const float *p, bool tail, __m256i m) {
    return tail ? _mm256_maskload_ps(p, m) : _mm256_loadu_ps(p);
}

static ALWAYS_INLINE void store_y(float *p, __m256 v, bool tail, __m256i m) {
    if (tail) _mm256_maskstore_ps(p, m, v);
    else _mm256_storeu_ps(p, v);
}

/* What every pixel of one output row needs. */
typedef struct dw_row {
    const dwconv_f32_pack *pk;
    const conv_geometry *g;
    const float *image; /* the batch image */
    int64_t c, in_row;  /* channels; floats per input row */
    int64_t y0;         /* input row of tap row 0 */
    int32_t full;       /* channel blocks without a tail */
    __m256i mask;       /* lanes of the last block that hold channels */
    __m256 lo, hi;
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
 * PIXELS neighbouring pixels advance together: each input column a tap row needs is loaded
 * once into a register and serves every pixel whose window covers it, and the pixels'
 * dependency chains interleave. Each pixel's own operations are the same as alone. */
static ALWAYS_INLINE void block_span(const dw_row *r, const dw_span *s, int32_t cb, float *y,
                                     const int kh, const int kw, const int sw, bool tail,
                                     bool clip) {
    const conv_geometry *g = r->g;
    const int64_t c = r->c;
    const int64_t dy = (int64_t)g->dilation_h * r->in_row, dx = (int64_t)g->dilation_w * c;
    const int64_t step = (int64_t)g->stride_w * c;
    const float *w = r->pk->w + (int64_t)cb * ((int64_t)r->pk->taps + 1) * LANES;
    const __m256 bias = _mm256_loadu_ps(w);
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c +
                 (int64_t)cb * LANES;
    float *yo = y + (int64_t)cb * LANES;
    const __m256i m = r->mask;
    const __m256 lo = r->lo, hi = r->hi; /* in registers: the stores cannot change them */
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            __m256 acc = bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++) {
                const float *wt = w + (1 + (int64_t)ky * g->k_w) * LANES;
                for (int32_t kx = s->kx0; kx < s->kx1; kx++)
                    acc = _mm256_fmadd_ps(load_x(r->image + at + ky * dy + kx * dx, tail, m),
                                          _mm256_loadu_ps(wt + (int64_t)kx * LANES), acc);
            }
            store_y(yo, clamp8(acc, lo, hi), tail, m);
        }
        return;
    }
    __m256 wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = _mm256_loadu_ps(w + (1 + t) * LANES);
    if (sw > 0) {
        /* columns (PIXELS - 1) * sw + kw of each tap row; needs dilation_w == 1 and kx whole */
        enum { MAX_COLS = (PIXELS - 1) * 2 + 3 };
        for (; ox + PIXELS <= s->t1; ox += PIXELS, at += PIXELS * step, yo += PIXELS * c) {
            __m256 acc[PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) acc[i] = bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const float *x = r->image + at + ky * dy;
                OPAQUE(x);
                __m256 col[MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (PIXELS - 1) * sw + kw; j++)
                    col[j] = load_x(x + j * c, tail, m);
#pragma GCC unroll 4
                for (int i = 0; i < PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = _mm256_fmadd_ps(col[i * sw + kx], wv[ky * kw + kx], acc[i]);
            }
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++)
                store_y(yo + i * c, clamp8(acc[i], lo, hi), tail, m);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        __m256 acc = bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                acc = _mm256_fmadd_ps(load_x(r->image + at + ky * dy + kx * dx, tail, m),
                                      wv[ky * kw + kx], acc);
            }
        }
        store_y(yo, clamp8(acc, lo, hi), tail, m);
    }
}

/* A span, tile by tile (the tile's inputs stay in L1 across the channel blocks). */
static ALWAYS_INLINE void span(const dw_row *r, const dw_span *s, float *y, const int kh,
                               const int kw, const int sw, bool clip) {
    for (int32_t t0 = s->t0; t0 < s->t1; t0 += TILE) {
        const dw_span tile = {t0, s->t1 - t0 < TILE ? s->t1 : t0 + TILE,
                              s->ky0, s->ky1, s->kx0, s->kx1};
        float *yt = y + (int64_t)(t0 - s->t0) * r->c;
        int32_t cb = 0;
        for (; cb < r->full; cb++) block_span(r, &tile, cb, yt, kh, kw, sw, false, clip);
        if (cb < r->pk->blocks) block_span(r, &tile, cb, yt, kh, kw, sw, true, clip);
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

void dwconv_f32_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const dwconv_f32_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / LANES),
                .mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(c % LANES)),
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                .lo = _mm256_set1_ps(st->act.lo), .hi = _mm256_set1_ps(st->act.hi)};
    const int64_t in_image = r.in_row * g->in_h;
    /* inner: spans of whole windows; edge: spans of clipped windows, one pixel at a time
     * at the left and right edges, rows at the top and bottom; run: whole rows of taps
     * (kx), clipped rows (ky) */
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
