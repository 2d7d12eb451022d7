/* AVERAGE_POOL_2D, MAX_POOL_2D and MEAN over [K, R, C] (global average pooling), float32 and
 * int8, channels on the lanes of AVX-512 registers (F/BW/VL). Bit-identical to the portable
 * kernels: see pool_simd.h for the order of operations.
 *
 * Per output pixel the window is clipped to the input once; then each block of channels
 * (4 registers, then 1, then a masked tail) is reduced over the window's cells in row order
 * with independent accumulators per register. Masked loads and stores never touch memory
 * past the last channel.
 *
 * int8 average: the portable kernel divides the int32 sum s of `count` cells as
 * sign(s) * floor((|s| + count / 2) / count) in integers. Here the quotient is formed in float:
 * n = |s| + count / 2 < 2^24 is exact, and for count <= 2^16 a quotient that is not an integer
 * lies at least 1 / count >= 2^-16 from the next integer while the float division is off by at
 * most half an ulp of a value below 129 (2^-17), so truncating it gives the exact floor. */
#include <float.h>
#include <immintrin.h>
#include <math.h>

#include "../pool_windows.h"
#include "requant_x86.h"

static inline __mmask16 mask16(int64_t left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

static inline __mmask64 mask64(int64_t left) {
    return left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1u);
}

/* ---- float32 ------------------------------------------------------------------------- */

/* NV registers of channels from x[c]: the window's maximum or sum (MAX: 1) into acc. The
 * last register loads under `tail` (all lanes for full blocks). */
static inline __attribute__((always_inline)) void reduce_f32(const float *x, const window *w,
                                                             int nv, __mmask16 tail, int max,
                                                             __m512 *acc) {
    for (int v = 0; v < nv; v++) acc[v] = max ? _mm512_set1_ps(-FLT_MAX) : _mm512_setzero_ps();
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const float *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step) {
            for (int v = 0; v < nv; v++) {
                const __m512 cell = _mm512_maskz_loadu_ps(v == nv - 1 ? tail : 0xFFFF, p + 16 * v);
                /* MAXPS returns its second operand when the first is NaN: the cell is skipped
                 * as by the portable `y < x ? x : y`. */
                acc[v] = max ? _mm512_max_ps(cell, acc[v]) : _mm512_add_ps(acc[v], cell);
            }
        }
    }
}

/* Divides (average) and clamps NV registers, stores them at y (last one under `tail`). */
static inline __attribute__((always_inline)) void store_f32(float *y, __m512 *acc, int nv,
                                                            __mmask16 tail, int divide,
                                                            __m512 count, __m512 lo, __m512 hi) {
    for (int v = 0; v < nv; v++) {
        __m512 r = divide ? _mm512_div_ps(acc[v], count) : acc[v];
        r = _mm512_min_ps(hi, _mm512_max_ps(lo, r)); /* NaN kept, as linear_clamp */
        _mm512_mask_storeu_ps(y + 16 * v, v == nv - 1 ? tail : 0xFFFF, r);
    }
}

/* One output pixel's C channels. */
static inline __attribute__((always_inline)) void pixel_f32(const float *x, const window *w,
                                                            float *y, int64_t C, int max,
                                                            __m512 lo, __m512 hi) {
    const __m512 count = _mm512_set1_ps((float)w->count);
    __m512 acc[4];
    int64_t c = 0;
    for (; c + 64 <= C; c += 64) {
        reduce_f32(x + c, w, 4, 0xFFFF, max, acc);
        store_f32(y + c, acc, 4, 0xFFFF, !max, count, lo, hi);
    }
    for (; c < C; c += 16) {
        const __mmask16 m = mask16(C - c);
        reduce_f32(x + c, w, 1, m, max, acc);
        store_f32(y + c, acc, 1, m, !max, count, lo, hi);
    }
}

void lt_max_pool_f32_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                            int64_t row1) {
    const float *x = in;
    float *y = out;
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, { pixel_f32(x + w.first, &w, y + o, C, 1, lo, hi); })
}

void lt_avg_pool_f32_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                            int64_t row1) {
    const float *x = in;
    float *y = out;
    const __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, { pixel_f32(x + w.first, &w, y + o, C, 0, lo, hi); })
}

void lt_mean_f32_avx512(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                        int64_t o1) {
    const float *x = in;
    float *y = out;
    const int64_t R = p->r, C = p->c;
    const __m512 count = _mm512_set1_ps(p->count);
    const __m512 lo = _mm512_set1_ps(-INFINITY), hi = _mm512_set1_ps(INFINITY); /* no clamp */
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const float *xk = x + k * R * C;
        float *yk = y + k * C;
        __m512 acc[4];
        int64_t c = c0;
        for (; c + 64 <= c1; c += 64) {
            for (int v = 0; v < 4; v++) acc[v] = _mm512_setzero_ps();
            for (int64_t r = 0; r < R; r++)
                for (int v = 0; v < 4; v++)
                    acc[v] = _mm512_add_ps(acc[v], _mm512_loadu_ps(xk + r * C + c + 16 * v));
            store_f32(yk + c, acc, 4, 0xFFFF, 1, count, lo, hi);
        }
        for (; c < c1; c += 16) {
            const __mmask16 m = mask16(c1 - c);
            acc[0] = _mm512_setzero_ps();
            for (int64_t r = 0; r < R; r++)
                acc[0] = _mm512_add_ps(acc[0], _mm512_maskz_loadu_ps(m, xk + r * C + c));
            store_f32(yk + c, acc, 1, m, 1, count, lo, hi);
        }
    })
}

/* ---- int8 ---------------------------------------------------------------------------- */

/* Maximum over the window of 64 * NV channels (the last register under `tail`), clamped. */
static inline __attribute__((always_inline)) void max_q8(const int8_t *x, const window *w,
                                                         int8_t *y, int nv, __mmask64 tail,
                                                         __m512i lo, __m512i hi) {
    __m512i acc[4];
    for (int v = 0; v < nv; v++) acc[v] = _mm512_set1_epi8(INT8_MIN);
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const int8_t *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step)
            for (int v = 0; v < nv; v++)
                acc[v] = _mm512_max_epi8(
                    acc[v], _mm512_maskz_loadu_epi8(v == nv - 1 ? tail : ~(__mmask64)0,
                                                    p + 64 * v));
    }
    for (int v = 0; v < nv; v++)
        _mm512_mask_storeu_epi8(y + 64 * v, v == nv - 1 ? tail : ~(__mmask64)0,
                                _mm512_min_epi8(_mm512_max_epi8(acc[v], lo), hi));
}

void lt_max_pool_q8_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                           int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const __m512i lo = _mm512_set1_epi8((char)p->q_lo), hi = _mm512_set1_epi8((char)p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        int64_t c = 0;
        for (; c + 256 <= C; c += 256)
            max_q8(x + w.first + c, &w, y + o + c, 4, ~(__mmask64)0, lo, hi);
        for (; c < C; c += 64) max_q8(x + w.first + c, &w, y + o + c, 1, mask64(C - c), lo, hi);
    })
}

/* int32 sums over the window of 16 * NV channels (the last register under `tail`). */
static inline __attribute__((always_inline)) void sum_q8(const int8_t *x, const window *w,
                                                         int nv, __mmask16 tail, __m512i *acc) {
    for (int v = 0; v < nv; v++) acc[v] = _mm512_setzero_si512();
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const int8_t *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step)
            for (int v = 0; v < nv; v++)
                acc[v] = _mm512_add_epi32(
                    acc[v], _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(
                                v == nv - 1 ? tail : (__mmask16)0xFFFF, p + 16 * v)));
    }
}

/* sign(s) * floor((|s| + half) / count), clamped to [lo, hi], to 16 int8 (see the top). */
static inline __m128i average_q8(__m512i s, __m512i half, __m512 count, __m512i lo,
                                 __m512i hi) {
    const __m512i n = _mm512_add_epi32(_mm512_abs_epi32(s), half);
    const __m512i q = _mm512_cvttps_epi32(_mm512_div_ps(_mm512_cvtepi32_ps(n), count));
    const __mmask16 neg = _mm512_cmplt_epi32_mask(s, _mm512_setzero_si512());
    const __m512i r = _mm512_mask_sub_epi32(q, neg, _mm512_setzero_si512(), q);
    return _mm512_cvtepi32_epi8(_mm512_min_epi32(_mm512_max_epi32(r, lo), hi));
}

void lt_avg_pool_q8_avx512(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                           int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const __m512i lo = _mm512_set1_epi32(p->q_lo), hi = _mm512_set1_epi32(p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const __m512i half = _mm512_set1_epi32((int32_t)(w.count / 2)); /* <= 2^15 */
        const __m512 count = _mm512_set1_ps((float)w.count);
        __m512i acc[4];
        int64_t c = 0;
        for (; c + 64 <= C; c += 64) {
            sum_q8(x + w.first + c, &w, 4, 0xFFFF, acc);
            for (int v = 0; v < 4; v++)
                _mm_storeu_si128((__m128i *)(y + o + c + 16 * v),
                                 average_q8(acc[v], half, count, lo, hi));
        }
        for (; c < C; c += 16) {
            const __mmask16 m = mask16(C - c);
            sum_q8(x + w.first + c, &w, 1, m, acc);
            _mm_mask_storeu_epi8(y + o + c, m, average_q8(acc[0], half, count, lo, hi));
        }
    })
}

void lt_mean_q8_avx512(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                       int64_t o1) {
    const int8_t *x = in;
    int8_t *y = out;
    const int64_t R = p->r, C = p->c;
    const int32_t shift = p->mul.shift;
    const __m512i mult = _mm512_set1_epi32(p->mul.multiplier);
    const __m512i left = _mm512_set1_epi32(shift > 0 ? shift : 0);
    const __m512i right = _mm512_set1_epi32(shift > 0 ? 0 : -shift);
    /* (int32)(sum - sub) modulo 2^32, as the portable kernel; the clamp comes before the
     * zero point so that the addition cannot overflow. */
    const __m512i sub = _mm512_set1_epi32((int32_t)(uint32_t)(uint64_t)p->sub);
    const __m512i zp = _mm512_set1_epi32(p->zp);
    const __m512i lo = _mm512_set1_epi32(INT8_MIN - p->zp);
    const __m512i hi = _mm512_set1_epi32(INT8_MAX - p->zp);
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const int8_t *xk = x + k * R * C;
        int8_t *yk = y + k * C;
        for (int64_t c = c0; c < c1; c += 16) {
            const __mmask16 m = mask16(c1 - c);
            __m512i acc = _mm512_setzero_si512();
            for (int64_t r = 0; r < R; r++) /* wraps modulo 2^32, like the portable sum */
                acc = _mm512_add_epi32(
                    acc, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, xk + r * C + c)));
            __m512i v = lt_requant_avx512(_mm512_sub_epi32(acc, sub), mult, left, right);
            v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp);
            _mm_mask_storeu_epi8(yk + c, m, _mm512_cvtepi32_epi8(v));
        }
    })
}
