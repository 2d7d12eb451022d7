/* int8 DEPTHWISE_CONV_2D, 8 channels per ymm of int32 accumulators (AVX2); layout, the
 * exact 16-bit products and the paths in dwconv.h, loop structure and arithmetic as in
 * dwconv_i8_avx512.c (per tap: input bytes sign-extended to int32, minus the input zero
 * point when clipped, VPMADDWD with the packed filter lanes, added modulo 2^32; then
 * lt_requant_avx2, the clamp in [lo - zp, hi - zp], + zp, the narrowing store). With 16
 * vector registers, PIXELS = 2 pixels advance together. AVX2 has no masked byte loads: a
 * partial last channel block goes through an 8-byte copy on the stack, so no access leaves
 * the tensors (each block body is compiled twice, `tail` being a constant). */
#include <immintrin.h>
#include <string.h>

#include "../dwconv.h"
#include "requant_x86.h"

enum { LANES = 8, TILE = 16, PIXELS = 2 };

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* Hides how pointer p was computed from the compiler (see dwconv_f32_avx512.c). */
#define OPAQUE(p) __asm__("" : "+r"(p))

/* m: the channels of a partial block */
static ALWAYS_INLINE __m256i load_x(const int8_t *p, bool tail, int32_t m) {
    if (tail) {
        int8_t buf[LANES] = {0};
        memcpy(buf, p, (size_t)m);
        return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)buf));
    }
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

/* What every pixel of one output row needs. */
typedef struct dw_row {
    const dwconv_i8_pack *pk;
    const conv_geometry *g;
    const int8_t *image; /* the batch image */
    int64_t c, in_row;   /* channels; bytes per input row */
    int64_t y0;          /* input row of tap row 0 */
    int32_t full;        /* channel blocks without a tail */
    int32_t mask;        /* channels in the last block when partial */
} dw_row;

/* Pixels [t0, t1) of one output row whose windows all keep taps [ky0, ky1) x [kx0, kx1). */
typedef struct dw_span {
    int32_t t0, t1, ky0, ky1, kx0, kx1;
} dw_span;

/* The output stage of one channel block, loaded once per block. */
typedef struct dw_out {
    __m256i mult, left, right, lo, hi, zp;
} dw_out;

static ALWAYS_INLINE void finish(const dw_out *o, __m256i acc, int8_t *y, bool tail,
                                 int32_t m) {
    __m256i v = lt_requant_avx2(acc, o->mult, o->left, o->right);
    v = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, o->lo), o->hi), o->zp);
    /* the values are int8 already: the saturating packs only narrow */
    const __m128i v16 =
        _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i b = _mm_packs_epi16(v16, v16);
    if (tail) {
        int8_t buf[16];
        _mm_storeu_si128((__m128i *)buf, b);
        memcpy(y, buf, (size_t)m);
    } else {
        _mm_storel_epi64((__m128i *)y, b);
    }
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
    const __m256i bias = _mm256_loadu_si256(
        (const __m256i *)(clip ? pk->bias + lane0 : pk->bias_full + lane0));
    const __m256i zp_in = _mm256_set1_epi32(clip ? pk->input_zero_point : 0);
    const dw_out o = {_mm256_loadu_si256((const __m256i *)(pk->rq.mult + lane0)),
                      _mm256_loadu_si256((const __m256i *)(pk->rq.left + lane0)),
                      _mm256_loadu_si256((const __m256i *)(pk->rq.right + lane0)),
                      _mm256_set1_epi32(pk->lo_minus_zp), _mm256_set1_epi32(pk->hi_minus_zp),
                      _mm256_set1_epi32(pk->output_zero_point)};
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c + lane0;
    int8_t *yo = y + lane0;
    const int32_t m = r->mask;
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            __m256i acc = bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++) {
                const int32_t *wt = w + (int64_t)ky * g->k_w * LANES;
                for (int32_t kx = s->kx0; kx < s->kx1; kx++) {
                    const __m256i x = _mm256_sub_epi32(
                        load_x(r->image + at + ky * dy + kx * dx, tail, m), zp_in);
                    const __m256i wk =
                        _mm256_loadu_si256((const __m256i *)(wt + (int64_t)kx * LANES));
                    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, wk));
                }
            }
            finish(&o, acc, yo, tail, m);
        }
        return;
    }
    __m256i wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = _mm256_loadu_si256((const __m256i *)(w + t * LANES));
    if (sw > 0) {
        enum { MAX_COLS = (PIXELS - 1) * 2 + 3 };
        for (; ox + PIXELS <= s->t1; ox += PIXELS, at += PIXELS * step, yo += PIXELS * c) {
            __m256i acc[PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) acc[i] = bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const int8_t *x = r->image + at + ky * dy;
                OPAQUE(x);
                __m256i col[MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (PIXELS - 1) * sw + kw; j++) {
                    col[j] = load_x(x + j * c, tail, m);
                    if (clip) col[j] = _mm256_sub_epi32(col[j], zp_in);
                }
#pragma GCC unroll 4
                for (int i = 0; i < PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = _mm256_add_epi32(
                            acc[i], _mm256_madd_epi16(col[i * sw + kx], wv[ky * kw + kx]));
            }
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) finish(&o, acc[i], yo + i * c, tail, m);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        __m256i acc = bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                __m256i x = load_x(r->image + at + ky * dy + kx * dx, tail, m);
                if (clip) x = _mm256_sub_epi32(x, zp_in);
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, wv[ky * kw + kx]));
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

void dwconv_i8_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const dwconv_i8_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / LANES),
                .mask = (int32_t)(c % LANES)};
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
