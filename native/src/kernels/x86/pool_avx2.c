/* AVERAGE_POOL_2D, MAX_POOL_2D and MEAN over [K, R, C] (global average pooling), float32 and
 * int8, channels on the lanes of AVX2 registers. Bit-identical to the portable kernels: see
 * pool_simd.h for the order of operations, and pool_avx512.c for why the int8 average's
 * float division gives the exact rounded quotient.
 *
 * float32 tails use VMASKMOVPS (no access to masked-out lanes). AVX2 has no byte-masked
 * loads, so the int8 kernels finish the last few channels (fewer than one 8- or 16-byte
 * step) with scalar code that repeats the portable arithmetic. */
#include <float.h>
#include <immintrin.h>
#include <math.h>

#include "../pool_windows.h"
#include "requant_x86.h"

/* All-ones in the first min(left, 8) lanes. */
static inline __m256i mask8(int64_t left) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(left >= 8 ? 8 : (int)left),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* ---- float32 ------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) void reduce_f32(const float *x, const window *w,
                                                             int nv, __m256i tail, int max,
                                                             __m256 *acc) {
    for (int v = 0; v < nv; v++) acc[v] = max ? _mm256_set1_ps(-FLT_MAX) : _mm256_setzero_ps();
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const float *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step) {
            for (int v = 0; v < nv; v++) {
                const __m256 cell = v == nv - 1 ? _mm256_maskload_ps(p + 8 * v, tail)
                                                : _mm256_loadu_ps(p + 8 * v);
                /* MAXPS returns its second operand when the first is NaN. */
                acc[v] = max ? _mm256_max_ps(cell, acc[v]) : _mm256_add_ps(acc[v], cell);
            }
        }
    }
}

static inline __attribute__((always_inline)) void store_f32(float *y, __m256 *acc, int nv,
                                                            __m256i tail, int divide,
                                                            __m256 count, __m256 lo, __m256 hi) {
    for (int v = 0; v < nv; v++) {
        __m256 r = divide ? _mm256_div_ps(acc[v], count) : acc[v];
        r = _mm256_min_ps(hi, _mm256_max_ps(lo, r));
        if (v == nv - 1) _mm256_maskstore_ps(y + 8 * v, tail, r);
        else _mm256_storeu_ps(y + 8 * v, r);
    }
}

static inline __attribute__((always_inline)) void pixel_f32(const float *x, const window *w,
                                                            float *y, int64_t C, int max,
                                                            __m256 lo, __m256 hi) {
    const __m256 count = _mm256_set1_ps((float)w->count);
    const __m256i all = _mm256_set1_epi32(-1);
    __m256 acc[4];
    int64_t c = 0;
    for (; c + 32 <= C; c += 32) {
        reduce_f32(x + c, w, 4, all, max, acc);
        store_f32(y + c, acc, 4, all, !max, count, lo, hi);
    }
    for (; c < C; c += 8) {
        const __m256i m = mask8(C - c);
        reduce_f32(x + c, w, 1, m, max, acc);
        store_f32(y + c, acc, 1, m, !max, count, lo, hi);
    }
}

void lt_max_pool_f32_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1) {
    const float *x = in;
    float *y = out;
    const __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, { pixel_f32(x + w.first, &w, y + o, C, 1, lo, hi); })
}

void lt_avg_pool_f32_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1) {
    const float *x = in;
    float *y = out;
    const __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, { pixel_f32(x + w.first, &w, y + o, C, 0, lo, hi); })
}

void lt_mean_f32_avx2(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                      int64_t o1) {
    const float *x = in;
    float *y = out;
    const int64_t R = p->r, C = p->c;
    const __m256 count = _mm256_set1_ps(p->count);
    const __m256 lo = _mm256_set1_ps(-INFINITY), hi = _mm256_set1_ps(INFINITY); /* no clamp */
    const __m256i all = _mm256_set1_epi32(-1);
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const float *xk = x + k * R * C;
        float *yk = y + k * C;
        __m256 acc[4];
        int64_t c = c0;
        for (; c + 32 <= c1; c += 32) {
            for (int v = 0; v < 4; v++) acc[v] = _mm256_setzero_ps();
            for (int64_t r = 0; r < R; r++)
                for (int v = 0; v < 4; v++)
                    acc[v] = _mm256_add_ps(acc[v], _mm256_loadu_ps(xk + r * C + c + 8 * v));
            store_f32(yk + c, acc, 4, all, 1, count, lo, hi);
        }
        for (; c < c1; c += 8) {
            const __m256i m = mask8(c1 - c);
            acc[0] = _mm256_setzero_ps();
            for (int64_t r = 0; r < R; r++)
                acc[0] = _mm256_add_ps(acc[0], _mm256_maskload_ps(xk + r * C + c, m));
            store_f32(yk + c, acc, 1, m, 1, count, lo, hi);
        }
    })
}

/* ---- int8 ---------------------------------------------------------------------------- */

/* Maximum over the window of 32 * NV channels, clamped. */
static inline __attribute__((always_inline)) void max_q8(const int8_t *x, const window *w,
                                                         int8_t *y, int nv, __m256i lo,
                                                         __m256i hi) {
    __m256i acc[4];
    for (int v = 0; v < nv; v++) acc[v] = _mm256_set1_epi8(INT8_MIN);
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const int8_t *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step)
            for (int v = 0; v < nv; v++)
                acc[v] = _mm256_max_epi8(acc[v],
                                         _mm256_loadu_si256((const __m256i *)(p + 32 * v)));
    }
    for (int v = 0; v < nv; v++)
        _mm256_storeu_si256((__m256i *)(y + 32 * v),
                            _mm256_min_epi8(_mm256_max_epi8(acc[v], lo), hi));
}

/* The same for 16 channels. */
static inline void max_q8_16(const int8_t *x, const window *w, int8_t *y, __m128i lo,
                             __m128i hi) {
    __m128i acc = _mm_set1_epi8(INT8_MIN);
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const int8_t *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step)
            acc = _mm_max_epi8(acc, _mm_loadu_si128((const __m128i *)p));
    }
    _mm_storeu_si128((__m128i *)y, _mm_min_epi8(_mm_max_epi8(acc, lo), hi));
}

void lt_max_pool_q8_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const __m256i lo = _mm256_set1_epi8((char)p->q_lo), hi = _mm256_set1_epi8((char)p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const int8_t *xp = x + w.first;
        int8_t *yp = y + o;
        int64_t c = 0;
        for (; c + 128 <= C; c += 128) max_q8(xp + c, &w, yp + c, 4, lo, hi);
        for (; c + 32 <= C; c += 32) max_q8(xp + c, &w, yp + c, 1, lo, hi);
        if (c + 16 <= C) {
            max_q8_16(xp + c, &w, yp + c, _mm256_castsi256_si128(lo),
                      _mm256_castsi256_si128(hi));
            c += 16;
        }
        lt_pool_max_q8_scalar(xp, &w, yp, c, C, p->q_lo, p->q_hi);
    })
}

/* int32 sums over the window of 8 * NV channels. */
static inline __attribute__((always_inline)) void sum_q8(const int8_t *x, const window *w,
                                                         int nv, __m256i *acc) {
    for (int v = 0; v < nv; v++) acc[v] = _mm256_setzero_si256();
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const int8_t *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step)
            for (int v = 0; v < nv; v++)
                acc[v] = _mm256_add_epi32(
                    acc[v],
                    _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 8 * v))));
    }
}

/* sign(s) * floor((|s| + half) / count), clamped to [lo, hi] (see pool_avx512.c), stored as
 * 8 int8. */
static inline void average_q8(int8_t *y, __m256i s, __m256i half, __m256 count, __m256i lo,
                              __m256i hi) {
    const __m256i n = _mm256_add_epi32(_mm256_abs_epi32(s), half);
    const __m256i q = _mm256_cvttps_epi32(_mm256_div_ps(_mm256_cvtepi32_ps(n), count));
    const __m256i r = _mm256_sign_epi32(q, s); /* -q where s < 0 (q is 0 where s is) */
    const __m256i c = _mm256_min_epi32(_mm256_max_epi32(r, lo), hi);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    _mm_storel_epi64((__m128i *)y, _mm_packs_epi16(w, w));
}

void lt_avg_pool_q8_avx2(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const __m256i lo = _mm256_set1_epi32(p->q_lo), hi = _mm256_set1_epi32(p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const int8_t *xp = x + w.first;
        int8_t *yp = y + o;
        const __m256i half = _mm256_set1_epi32((int32_t)(w.count / 2)); /* <= 2^15 */
        const __m256 count = _mm256_set1_ps((float)w.count);
        __m256i acc[4];
        int64_t c = 0;
        for (; c + 32 <= C; c += 32) {
            sum_q8(xp + c, &w, 4, acc);
            for (int v = 0; v < 4; v++) average_q8(yp + c + 8 * v, acc[v], half, count, lo, hi);
        }
        for (; c + 8 <= C; c += 8) {
            sum_q8(xp + c, &w, 1, acc);
            average_q8(yp + c, acc[0], half, count, lo, hi);
        }
        lt_pool_avg_q8_scalar(xp, &w, yp, c, C, p->q_lo, p->q_hi);
    })
}

void lt_mean_q8_avx2(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                     int64_t o1) {
    const int8_t *x = in;
    int8_t *y = out;
    const int64_t R = p->r, C = p->c;
    const int32_t shift = p->mul.shift;
    const __m256i mult = _mm256_set1_epi32(p->mul.multiplier);
    const __m256i left = _mm256_set1_epi32(shift > 0 ? shift : 0);
    const __m256i right = _mm256_set1_epi32(shift > 0 ? 0 : -shift);
    /* (int32)(sum - sub) modulo 2^32, as the portable kernel; the clamp comes before the
     * zero point so that the addition cannot overflow. */
    const __m256i sub = _mm256_set1_epi32((int32_t)(uint32_t)(uint64_t)p->sub);
    const __m256i zp = _mm256_set1_epi32(p->zp);
    const __m256i lo = _mm256_set1_epi32(INT8_MIN - p->zp);
    const __m256i hi = _mm256_set1_epi32(INT8_MAX - p->zp);
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const int8_t *xk = x + k * R * C;
        int8_t *yk = y + k * C;
        int64_t c = c0;
        for (; c + 8 <= c1; c += 8) {
            __m256i acc = _mm256_setzero_si256();
            for (int64_t r = 0; r < R; r++) /* wraps modulo 2^32, like the portable sum */
                acc = _mm256_add_epi32(acc, _mm256_cvtepi8_epi32(_mm_loadl_epi64(
                                                (const __m128i *)(xk + r * C + c))));
            __m256i v = lt_requant_avx2(_mm256_sub_epi32(acc, sub), mult, left, right);
            v = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, lo), hi), zp);
            const __m128i w =
                _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            _mm_storel_epi64((__m128i *)(yk + c), _mm_packs_epi16(w, w));
        }
        lt_mean_q8_scalar(p, xk, yk, c, c1); /* the portable arithmetic */
    })
}
