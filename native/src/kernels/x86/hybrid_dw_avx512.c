/* Hybrid DEPTHWISE_CONV_2D, AVX-512: 16 channels per zmm (filter layout and exactness:
 * dw_hybrid_pack in ../hybrid_fast.h).
 *
 * Pixels [p0, p1) of the batch images conv.c quantized at invoke, stored as floats
 * x_q - zero_point. Per output pixel and channel block, over the window's taps inside the
 * input (those in the padding are skipped, as in the portable kernel): one FMA per tap,
 * exact on these integers, so the sum is the portable kernel's int32 sum. Then the portable
 * float epilogue in its order: bias + (float)acc * (input_scale * scale[c]), the clamp
 * max(lo, v), min(hi, v) (NaN kept), and the non-clamp activations over the pixel. The last
 * block, when partial, uses masked loads and stores (nothing read or written past the
 * ends). Every value gets the same operations whichever thread computes it. */
#include <immintrin.h>

#include "../hybrid_fast.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The taps [ky0, ky1) x [kx0, kx1) of one channel block: x at tap (ky, kx) is
 * image[at + ky * x_ky + kx * x_kx], its filter vector w + (ky * k_w + kx) * 16. */
static ALWAYS_INLINE __m512 window(const float *image, int64_t at, int64_t x_ky,
                                   int64_t x_kx, const float *w, int32_t k_w, int32_t ky0,
                                   int32_t ky1, int32_t kx0, int32_t kx1, bool tail,
                                   __mmask16 m) {
    __m512 acc = _mm512_setzero_ps();
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int64_t xr = at + ky * x_ky; /* offsets: pointers only to taps read */
        const float *wr = w + (int64_t)ky * k_w * 16;
        for (int32_t kx = kx0; kx < kx1; kx++) {
            const __m512 xv = tail ? _mm512_maskz_loadu_ps(m, image + (xr + kx * x_kx))
                                   : _mm512_loadu_ps(image + (xr + kx * x_kx));
            acc = _mm512_fmadd_ps(xv, _mm512_loadu_ps(wr + kx * 16), acc); /* exact */
        }
    }
    return acc;
}

static ALWAYS_INLINE void finish(__m512 acc, const dw_hybrid_pack *pk, int64_t c0,
                                 __m512 in_scale, __m512 lo, __m512 hi, float *y, bool tail,
                                 __mmask16 m) {
    const __m512 s = _mm512_mul_ps(in_scale, _mm512_loadu_ps(pk->scale + c0));
    __m512 v = _mm512_add_ps(_mm512_loadu_ps(pk->bias + c0), _mm512_mul_ps(acc, s));
    v = _mm512_min_ps(hi, _mm512_max_ps(lo, v)); /* max(lo, v) is v when v is NaN */
    if (tail) _mm512_mask_storeu_ps(y, m, v);
    else _mm512_storeu_ps(y, v);
}

void depthwise_hybrid_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const conv_hybrid *h = st->fast;
    const dw_hybrid_pack *pk = h->kernel;
    const float *in = conv_hybrid_input_f32(a, h);
    const hybrid_qparams *params = conv_hybrid_params(a, h);
    const conv_geometry *g = &st->g;
    const int64_t c = g->in_c, in_row = (int64_t)g->in_w * c, in_image = in_row * g->in_h;
    const int64_t x_ky = (int64_t)g->dilation_h * in_row, x_kx = (int64_t)g->dilation_w * c;
    const int32_t full = (int32_t)(c / 16);
    const __mmask16 m = (__mmask16)((1u << (c % 16)) - 1u);
    const __m512 lo = _mm512_set1_ps(st->act.lo), hi = _mm512_set1_ps(st->act.hi);
    float *y = lt_f32(a->out) + p0 * c;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const float *image = in + (int64_t)row.b * in_image;
        const __m512 in_scale = _mm512_set1_ps(params[row.b].scale);
        const int64_t y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            /* offset of tap (0, 0), maybe outside the image: only taps inside are read */
            const int64_t at = y0 * in_row + x0 * c;
            for (int32_t cb = 0; cb < full; cb++) {
                const __m512 acc = window(image, at + cb * 16, x_ky, x_kx,
                                          pk->w + (int64_t)cb * pk->taps * 16, g->k_w, ky0,
                                          ky1, kx0, kx1, false, 0xFFFF);
                finish(acc, pk, cb * 16, in_scale, lo, hi, y + cb * 16, false, 0xFFFF);
            }
            if (m != 0) {
                const __m512 acc = window(image, at + full * 16, x_ky, x_kx,
                                          pk->w + (int64_t)full * pk->taps * 16, g->k_w, ky0,
                                          ky1, kx0, kx1, true, m);
                finish(acc, pk, full * 16, in_scale, lo, hi, y + full * 16, true, m);
            }
            linear_activation_post(&st->act, y, c);
            y += c;
        }
    }
}
