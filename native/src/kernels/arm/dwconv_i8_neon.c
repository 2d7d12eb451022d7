/* int8 DEPTHWISE_CONV_2D for AArch64 NEON: 8 channels per block, two q registers of int32
 * accumulators; layout, exactness and paths in dwconv.h, loop structure as in
 * x86/dwconv_i8_avx2.c.
 *
 * Per tap: the input's 8 bytes sign-extended to int16 (minus the input zero point when the
 * window is clipped: |x - zp| <= 255 still fits), times the filter's int16 values (the low
 * halves of the packed int32 lanes, gathered by UZP1), widened and added by SMLAL /
 * SMLAL2: each product is exact (|255 * 128| < 2^15) and the additions wrap modulo 2^32
 * like the portable kernel's, so any order gives the same bits. Whole windows start from
 * bias_full and multiply the raw input; clipped ones start from the bias (dwconv.h).
 * Output: lt_neon_requant (TensorFlow Lite's double rounding, bit for bit), the clamp in
 * [lo - zp, hi - zp], + zp, narrowed to bytes. A partial last channel block (fewer than 8
 * channels) is read and written through an 8-byte copy on the stack. */
#if defined(__aarch64__)
#include "../dwconv.h"
#include "neon_common.h"

enum { LANES = 8, TILE = 16, PIXELS = 2 };

/* Hides how pointer p was computed from the compiler (see x86/dwconv_f32_avx512.c). */
#define OPAQUE(p) __asm__("" : "+r"(p))

/* m: the channels of a partial block */
static LT_NEON_INLINE int16x8_t load_x(const int8_t *p, bool tail, int32_t m) {
    if (tail) {
        int8_t buf[LANES] = {0};
        memcpy(buf, p, (size_t)m);
        return vmovl_s8(vld1_s8(buf));
    }
    return vmovl_s8(vld1_s8(p));
}

/* The eight int16 filter values of one tap from their int32 lanes (low halves). */
static LT_NEON_INLINE int16x8_t load_w(const int32_t *p) {
    return vuzp1q_s16(vreinterpretq_s16_s32(vld1q_s32(p)),
                      vreinterpretq_s16_s32(vld1q_s32(p + 4)));
}

typedef struct acc8 {
    int32x4_t v[2];
} acc8;

static LT_NEON_INLINE acc8 mac8(acc8 acc, int16x8_t x, int16x8_t w) {
    return (acc8){{vmlal_s16(acc.v[0], vget_low_s16(x), vget_low_s16(w)),
                   vmlal_high_s16(acc.v[1], x, w)}};
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
    int32x4_t mult[2], left[2], neg_right[2];
    int32x4_t lo, hi, zp;
} dw_out;

static LT_NEON_INLINE void finish(const dw_out *o, acc8 acc, int8_t *y, bool tail, int32_t m) {
    int32x4_t v[2];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        v[h] = lt_neon_requant(acc.v[h], o->mult[h], o->left[h], o->neg_right[h]);
        v[h] = vaddq_s32(vminq_s32(vmaxq_s32(v[h], o->lo), o->hi), o->zp);
    }
    /* the values are int8 already: the saturating narrowings only narrow */
    const int8x8_t b = vqmovn_s16(vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1])));
    if (tail) {
        int8_t buf[LANES];
        vst1_s8(buf, b);
        memcpy(y, buf, (size_t)m);
    } else {
        vst1_s8(y, b);
    }
}

/* Channel block cb of a span; kh, kw, sw and clip as in dwconv_f32_neon.c's block_span. */
static LT_NEON_INLINE void block_span(const dw_row *r, const dw_span *s, int32_t cb, int8_t *y,
                                      const int kh, const int kw, const int sw, bool tail,
                                      bool clip) {
    const conv_geometry *g = r->g;
    const dwconv_i8_pack *pk = r->pk;
    const int64_t c = r->c;
    const int64_t dy = (int64_t)g->dilation_h * r->in_row, dx = (int64_t)g->dilation_w * c;
    const int64_t step = (int64_t)g->stride_w * c;
    const int64_t lane0 = (int64_t)cb * LANES;
    const int32_t *w = pk->w + lane0 * pk->taps;
    const int32_t *b = clip ? pk->bias + lane0 : pk->bias_full + lane0;
    const acc8 bias = {{vld1q_s32(b), vld1q_s32(b + 4)}};
    const int16x8_t zp_in = vdupq_n_s16((int16_t)(clip ? pk->input_zero_point : 0));
    dw_out o;
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        o.mult[h] = vld1q_s32(pk->rq.mult + lane0 + 4 * h);
        o.left[h] = vld1q_s32(pk->rq.left + lane0 + 4 * h);
        o.neg_right[h] = vnegq_s32(vld1q_s32(pk->rq.right + lane0 + 4 * h));
    }
    o.lo = vdupq_n_s32(pk->lo_minus_zp);
    o.hi = vdupq_n_s32(pk->hi_minus_zp);
    o.zp = vdupq_n_s32(pk->output_zero_point);
    /* offset of tap (0, 0) of pixel t0, possibly outside the image when clipped: only the
     * offsets of taps inside become addresses */
    int64_t at = r->y0 * r->in_row + ((int64_t)s->t0 * g->stride_w - g->pad_left) * c + lane0;
    int8_t *yo = y + lane0;
    const int32_t m = r->mask;
    int32_t ox = s->t0;
    if (kh == 0) {
        for (; ox < s->t1; ox++, at += step, yo += c) {
            acc8 acc = bias;
            for (int32_t ky = s->ky0; ky < s->ky1; ky++) {
                const int32_t *wt = w + (int64_t)ky * g->k_w * LANES;
                for (int32_t kx = s->kx0; kx < s->kx1; kx++) {
                    const int16x8_t x =
                        vsubq_s16(load_x(r->image + at + ky * dy + kx * dx, tail, m), zp_in);
                    acc = mac8(acc, x, load_w(wt + (int64_t)kx * LANES));
                }
            }
            finish(&o, acc, yo, tail, m);
        }
        return;
    }
    int16x8_t wv[25];
#pragma GCC unroll 25
    for (int t = 0; t < kh * kw; t++) wv[t] = load_w(w + t * LANES);
    if (sw > 0) {
        enum { MAX_COLS = (PIXELS - 1) * 2 + 3 };
        for (; ox + PIXELS <= s->t1; ox += PIXELS, at += PIXELS * step, yo += PIXELS * c) {
            acc8 acc[PIXELS];
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) acc[i] = bias;
#pragma GCC unroll 5
            for (int ky = 0; ky < kh; ky++) {
                if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
                const int8_t *x = r->image + at + ky * dy;
                OPAQUE(x);
                int16x8_t col[MAX_COLS];
#pragma GCC unroll 16
                for (int j = 0; j < (PIXELS - 1) * sw + kw; j++) {
                    col[j] = load_x(x + j * c, tail, m);
                    if (clip) col[j] = vsubq_s16(col[j], zp_in);
                }
#pragma GCC unroll 4
                for (int i = 0; i < PIXELS; i++)
#pragma GCC unroll 5
                    for (int kx = 0; kx < kw; kx++)
                        acc[i] = mac8(acc[i], col[i * sw + kx], wv[ky * kw + kx]);
            }
#pragma GCC unroll 4
            for (int i = 0; i < PIXELS; i++) finish(&o, acc[i], yo + i * c, tail, m);
        }
    }
    for (; ox < s->t1; ox++, at += step, yo += c) {
        acc8 acc = bias;
#pragma GCC unroll 5
        for (int ky = 0; ky < kh; ky++) {
            if (clip && (ky < s->ky0 || ky >= s->ky1)) continue;
#pragma GCC unroll 5
            for (int kx = 0; kx < kw; kx++) {
                if (clip && (kx < s->kx0 || kx >= s->kx1)) continue;
                int16x8_t x = load_x(r->image + at + ky * dy + kx * dx, tail, m);
                if (clip) x = vsubq_s16(x, zp_in);
                acc = mac8(acc, x, wv[ky * kw + kx]);
            }
        }
        finish(&o, acc, yo, tail, m);
    }
}

/* A span, tile by tile (the tile's inputs stay in L1 across the channel blocks). */
static LT_NEON_INLINE void span(const dw_row *r, const dw_span *s, int8_t *y, const int kh,
                                const int kw, const int sw, bool clip) {
    for (int32_t t0 = s->t0; t0 < s->t1; t0 += TILE) {
        const dw_span tile = {t0, s->t1 - t0 < TILE ? s->t1 : t0 + TILE,
                              s->ky0, s->ky1, s->kx0, s->kx1};
        int8_t *yt = y + (int64_t)(t0 - s->t0) * r->c;
        int32_t cb = 0;
        for (; cb < r->full; cb++) block_span(r, &tile, cb, yt, kh, kw, sw, false, clip);
        /* the partial last block: the generic loop (same operations per tap, window
         * order), so that the unrolled window kernels are compiled once, without a tail */
        if (cb < r->pk->blocks) block_span(r, &tile, cb, yt, 0, 0, 0, true, clip);
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

void dwconv_i8_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const dwconv_i8_pack *pk = st->fast;
    const conv_geometry *g = &st->g;
    const int64_t c = g->out_c;
    dw_row r = {.pk = pk, .g = g, .c = c, .in_row = (int64_t)g->in_w * c,
                .full = (int32_t)(c / LANES), .mask = (int32_t)(c % LANES)};
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
#endif
