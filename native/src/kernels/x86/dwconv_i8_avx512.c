/* int8 DEPTHWISE_CONV_2D, 16 channels per zmm of int32 accumulators (AVX-512F/BW/VL);
 * layout, the exact 16-bit products and the paths in dwconv.h.
 *
 * Per tap: 16 input bytes sign-extended to int32 (minus the input zero point when the
 * window is clipped), VPMADDWD against the tap's packed filter lanes (the exact product),
 * added to the accumulators modulo 2^32. Then TensorFlow Lite's requantization bit for bit
 * (lt_requant_avx512), the clamp in [lo - zp, hi - zp] followed by + zp (equal to clamping
 * after adding, without overflow), and the narrowing store. The last channel block, when
 * partial, uses masked byte loads and stores, which never touch memory past the tensors'
 * ends; full blocks use plain ones (each block body is compiled twice, `tail` being a
 * constant). The loop structure is that of dwconv_f32_avx512.c. */
#include <immintrin.h>

#include "../dwconv.h"
#include "requant_x86.h"

enum { LANES = 16, TILE = 16, PIXELS = 4 };

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* Hides how pointer p was computed from the compiler (see dwconv_f32_avx512.c). */
#define OPAQUE(p) __asm__("" : "+r"(p))

static ALWAYS_INLINE __m512i load_x(const int8_t *p, bool tail, __mmask16 m) {
    const __m128i v = tail ? _mm_maskz_loadu_epi8(m, p) : _mm_loadu_si128((const __m128i *)p);
    return _mm512_cvtepi8_epi32(v);
}

/* What every pixel of one output row needs. */
typedef struct dw_row {
    const dwconv_i8_pack *pk;
    const conv_geometry *g;
    const int8_t *image; /* the batch image */
    int64_t c, in_row;   /* channels; bytes per input row */
    int64_t y0;          /* input row of tap row 0 */
    int32_t full;        /* channel blocks without a tail */
    __mmask16 mask;      /* lanes of the last block that hold channels */
} dw_row;

/* Pixels [t0, t1) of one output row whose windows all keep taps [ky0, ky1) x [kx0, kx1). */
typedef struct dw_span {
    int32_t t0, t1, ky0, ky1, kx0, kx1;
} dw_span;

/* The output stage of one channel block, loaded once per block. */
typedef struct dw_out {
    __m512i mult, left, right, lo, hi, zp;
} dw_out;

static ALWAYS_INLINE void finish(const dw_out *o, __m512i acc, int8_t *y, bool tail,
                                 __mmask16 m) {
    __m512i v = lt_requant_avx512(acc, o->mult, o->left, o->right);
    v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, o->lo), o->hi), o->zp);
    const __m128i b = _mm512_cvtepi32_epi8(v); /* in [-128, 127]: truncation is exact */
    if (tail) _mm_mask_storeu_epi8(y, m, b);
    else _mm_storeu_si128((__m128i *)y, b);
}

/* Channel block cb of a span; see block_span in dwconv_f32_avx512.c for kh, kw, sw and
 * clip. Whole windows start from bias_full and multiply the raw input; clipped ones start
 * from the bias and subtract the input zero point (dwconv.h). */
static ALWAYS_INLINE void block_span(const dw_row *r, const dw_span *s, int32_t cb, int8_t *y,
                                     const int kh, const int kw, const int sw, bool tail,
                                     bool clip) {
    const conv_geometry *g = r->g;
    const dwconv_i8_pack *pk = r->pk;
    const int64_t c = r->c;
    const int64_t dy = (int64_t)g->dilation_h * r->in_row, dx = (int64_t)g->dilation_w * c;
    const int64_t step = (int64_t)g->stride_w * c;
    const int64_t lane0 = (int64_t)cb * LANES;
    const int32_t *w = pk->w + lane0 * pk->taps;
    const __m512i bias = _mm512_loadu_si512(clip ? pk->bias + lane0 : pk->bias_full + lane0);
    const __m512i zp_in = _mm512_set1_epi32(clip ? pk->input_zero_point : 0);
    const dw_out o = {_mm512_loadu_si512(pk->rq.mult + lane0),
                      _mm512_loadu_si512(pk->rq.left + lane0),
                      _mm512_loadu_si512(pk->rq.right + lane0),
                      _mm512_set1_epi32(pk->lo_minus_zp), _mm512_set1_epi32(pk->hi_minus_zp),
                      _mm512_set1_epi32(pk->output_zero_point)};
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c + lane0;
    int8_t *yo = y + lane0;
    const __mmask16 m = r->mask;
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            __m512i acc = bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++) {
                const int32_t *wt = w + (int64_t)ky * g->k_w * LANES;
                for (int32_t kx = s->kx0; kx < s->kx1; kx++) {
                    const __m512i x = _mm512_sub_epi32(
                        load_x(r->image + at + ky * dy + kx * dx, tail, m), zp_in);
                    acc = _mm512_add_epi32(
                        acc, _mm512_madd_epi16(x, _mm512_loadu_si512(wt + (int64_t)kx * LANES)));
                }
            }
            finish(&o, acc, yo, tail, m);
        }
        return;
    }
    __m512i wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = _mm512_loadu_si512(w + t * LANES);
    if (sw > 0) {
        enum { MAX_COLS = (PIXELS - 1) * 2 + 3 };
        for (; ox + PIXELS <= s->t1; ox += PIXELS, at += PIXELS * step, yo += PIXELS * c) {
            __m512i acc[PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) acc[i] = bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const int8_t *x = r->image + at + ky * dy;
                OPAQUE(x);
                __m512i col[MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (PIXELS - 1) * sw + kw; j++) {
                    col[j] = load_x(x + j * c, tail, m);
                    if (clip) col[j] = _mm512_sub_epi32(col[j], zp_in);
                }
#pragma GCC unroll 4
                for (int i = 0; i < PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = _mm512_add_epi32(
                            acc[i], _mm512_madd_epi16(col[i * sw + kx], wv[ky * kw + kx]));
            }
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) finish(&o, acc[i], yo + i * c, tail, m);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        __m512i acc = bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                __m512i x = load_x(r->image + at + ky * dy + kx * dx, tail, m);
                if (clip) x = _mm512_sub_epi32(x, zp_in);
                acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, wv[ky * kw + kx]));
            }
        }
        finish(&o, acc, yo, tail, m);
    }
}

/* A span, tile by tile (the tile's inputs stay in L1 across the channel blocks). */
static ALWAYS_INLINE void span(const dw_row *r, const dw_span *s, int8_t *y, const int kh,
                               const int kw, const int sw, bool clip) {
    for (int32_t t0 = s->t0; t0 < s->t1; t0 += TILE) {
        const dw_span tile = {t0, s->t1 - t0 < TILE ? s->t1 : t0 + TILE,
                              s->ky0, s->ky1, s->kx0, s->kx1};
        int8_t *yt = y + (int64_t)(t0 - s->t0) * r->c;
        int32_t cb = 0;
        for (; cb < r->full; cb++) block_span(r, &tile, cb, yt, kh, kw, sw, false, clip);
        if (cb < r->pk->blocks) block_span(r, &tile, cb, yt, kh, kw, sw, true, clip);
    }
}

/* The span functions: window kh x kw (0: any), horizontal stride sw (0: any, one pixel at
 * a time), clipped or not. */
typedef void (*span_fn)(const dw_row *r, const dw_span *s, int8_t *y);
#define DEFINE_SPAN(NAME, KH, KW, SW, CLIP)                                                   \
    static void NAME(const dw_row *r, const dw_span *s, int8_t *y) {                          \
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
DEFINE_SPAN(span_any_clip, 0, 0, 0, true)

void dwconv_i8_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const dwconv_i8_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / LANES),
                .mask = (__mmask16)((1u << (c % LANES)) - 1u)};
    const int64_t in_image = r.in_row * g->in_h;
    /* inner: whole windows; edge: one pixel clipped at the left or right edge; run: the
     * pixels between the edges of a row clipped at the top or bottom */
    span_fn inner = span_any, edge = span_any_clip, run = span_any_clip;
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
        r.image = lt_i8(a->in) + (int64_t)row.b * in_image;
        r.y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        int8_t *y = lt_i8(a->out) +
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
}
