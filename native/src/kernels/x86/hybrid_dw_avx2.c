/* Hybrid DEPTHWISE_CONV_2D, AVX2: 8 channels per ymm; the method of hybrid_dw_avx512.c
 * (filter layout and exactness: dw_hybrid_pack in ../hybrid_fast.h). The last block, when
 * partial, goes through small copies so that nothing is read or written past the ends. */
#include <immintrin.h>

#include "../hybrid_fast.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* 8 floats at p (n of them when tail, the rest 0) */
static ALWAYS_INLINE __m256 load8(const float *p, bool tail, int32_t n) {
    if (!tail) return _mm256_loadu_ps(p);
    float v[8] = {0.0f};
    memcpy(v, p, (size_t)n * sizeof(float));
    return _mm256_loadu_ps(v);
}

static ALWAYS_INLINE __m256 window(const float *image, int64_t at, int64_t x_ky, int64_t x_kx,
                                   const float *w, int32_t k_w, int32_t ky0, int32_t ky1,
                                   int32_t kx0, int32_t kx1, bool tail, int32_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (int32_t ky = ky0; ky < ky1; ky++) {
        const int64_t xr = at + ky * x_ky; /* offsets: pointers only to taps read */
        const float *wr = w + (int64_t)ky * k_w * 8;
        for (int32_t kx = kx0; kx < kx1; kx++) { /* exact: integers below 2^24 */
            const __m256 xv = load8(image + (xr + kx * x_kx), tail, n);
            acc = _mm256_fmadd_ps(xv, _mm256_loadu_ps(wr + kx * 8), acc);
        }
    }
    return acc;
}

static ALWAYS_INLINE void finish(__m256 acc, const dw_hybrid_pack *pk, int64_t c0,
                                 __m256 in_scale, __m256 lo, __m256 hi, float *y, bool tail,
                                 int32_t n) {
    const __m256 s = _mm256_mul_ps(in_scale, _mm256_loadu_ps(pk->scale + c0));
    __m256 v = _mm256_add_ps(_mm256_loadu_ps(pk->bias + c0), _mm256_mul_ps(acc, s));
    v = _mm256_min_ps(hi, _mm256_max_ps(lo, v)); /* max(lo, v) is v when v is NaN */
    if (tail) {
        float tmp[8];
        _mm256_storeu_ps(tmp, v);
        memcpy(y, tmp, (size_t)n * sizeof(float));
    } else {
        _mm256_storeu_ps(y, v);
    }
}

void depthwise_hybrid_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const conv_hybrid *h = st->fast;
    const dw_hybrid_pack *pk = h->kernel;
    const float *in = conv_hybrid_input_f32(a, h);
    const hybrid_qparams *params = conv_hybrid_params(a, h);
    const conv_geometry *g = &st->g;
    const int64_t c = g->in_c, in_row = (int64_t)g->in_w * c, in_image = in_row * g->in_h;
    const int64_t x_ky = (int64_t)g->dilation_h * in_row, x_kx = (int64_t)g->dilation_w * c;
    const int32_t full = (int32_t)(c / 8), rest = (int32_t)(c % 8);
    const __m256 lo = _mm256_set1_ps(st->act.lo), hi = _mm256_set1_ps(st->act.hi);
    float *y = lt_f32(a->out) + p0 * c;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const float *image = in + (int64_t)row.b * in_image;
        const __m256 in_scale = _mm256_set1_ps(params[row.b].scale);
        const int64_t y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            const int64_t at = y0 * in_row + x0 * c; /* tap (0, 0), maybe outside */
            for (int32_t cb = 0; cb < full; cb++) {
                const __m256 acc = window(image, at + cb * 8, x_ky, x_kx,
                                          pk->w + (int64_t)cb * pk->taps * 8, g->k_w, ky0,
                                          ky1, kx0, kx1, false, 8);
                finish(acc, pk, cb * 8, in_scale, lo, hi, y + cb * 8, false, 8);
            }
            if (rest != 0) {
                const __m256 acc = window(image, at + full * 8, x_ky, x_kx,
                                          pk->w + (int64_t)full * pk->taps * 8, g->k_w, ky0,
                                          ky1, kx0, kx1, true, rest);
                finish(acc, pk, full * 8, in_scale, lo, hi, y + full * 8, true, rest);
            }
            linear_activation_post(&st->act, y, c);
            y += c;
        }
    }
}
