/* AVERAGE_POOL_2D, MAX_POOL_2D and MEAN over [K, R, C] (global average pooling), float32 and
 * int8, channels on the lanes of AArch64 NEON registers. Bit-identical to the portable
 * kernels: see pool_simd.h for the order of operations.
 *
 * Per output pixel the window is clipped to the input once; then each block of channels is
 * reduced over the window's cells in row order. float32: 16 channels (4 registers), then 4,
 * then the last C % 4 in scalar C with the portable operations. The maximum takes a cell
 * only when it is larger (compare-and-select: FMAX would return NaN for a NaN cell and +0
 * for max(-0, +0), where the portable kernel keeps its value); the average sums from +0 in
 * cell order and divides once; the clamp is lt_neon_clamp_f32 (linear_clamp's bits).
 * int8: maxima on 16 bytes per register; averages as int32 sums of 16 channels (widening
 * adds), divided like x86/pool_avx512.c (float quotient of the exact |s| + count / 2,
 * truncated: exact for windows of at most LT_POOL_Q8_MAX_CELLS cells; see there). The last
 * C % 16 channels of the int8 kernels run the portable scalar arithmetic. */
#if defined(__aarch64__)
#include <float.h>
#include <math.h>

#include "../pool_windows.h"
#include "neon_common.h"

/* ---- float32 ------------------------------------------------------------------------- */

/* Channels [0, 4 * nv) of one pixel's window at x, reduced and clamped into y. */
static LT_NEON_INLINE void pool_f32_block(const float *x, const window *w, float *y,
                                          const int nv, const int max, float32x4_t lo,
                                          float32x4_t hi) {
    float32x4_t acc[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) acc[v] = vdupq_n_f32(max ? -FLT_MAX : 0.0f);
    for (int32_t ky = 0; ky < w->rows; ky++) {
        const float *p = x + ky * w->row_step;
        for (int32_t kx = 0; kx < w->cols; kx++, p += w->col_step) {
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                const float32x4_t cell = vld1q_f32(p + 4 * v);
                acc[v] = max ? vbslq_f32(vcgtq_f32(cell, acc[v]), cell, acc[v])
                             : vaddq_f32(acc[v], cell);
            }
        }
    }
    const float32x4_t count = vdupq_n_f32((float)w->count);
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        const float32x4_t r = max ? acc[v] : vdivq_f32(acc[v], count);
        vst1q_f32(y + 4 * v, lt_neon_clamp_f32(r, lo, hi));
    }
}

static LT_NEON_INLINE void pool_f32(const lt_pool_params *p, const float *x, float *y,
                                    int64_t row0, int64_t row1, const int max) {
    const float32x4_t lo = vdupq_n_f32(p->lo), hi = vdupq_n_f32(p->hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const float *xp = x + w.first;
        float *yp = y + o;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) pool_f32_block(xp + c, &w, yp + c, 4, max, lo, hi);
        for (; c + 4 <= C; c += 4) pool_f32_block(xp + c, &w, yp + c, 1, max, lo, hi);
        lt_pool_f32_scalar(xp, &w, yp, c, C, max, p->lo, p->hi);
    })
}

void lt_max_pool_f32_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1) {
    pool_f32(p, in, out, row0, row1, 1);
}

void lt_avg_pool_f32_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                          int64_t row1) {
    pool_f32(p, in, out, row0, row1, 0);
}

void lt_mean_f32_neon(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                      int64_t o1) {
    const float *x = in;
    float *y = out;
    const int64_t R = p->r, C = p->c;
    const float32x4_t count = vdupq_n_f32(p->count);
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const float *xk = x + k * R * C;
        float *yk = y + k * C;
        int64_t c = c0;
        for (; c + 16 <= c1; c += 16) {
            float32x4_t acc[4];
            for (int v = 0; v < 4; v++) acc[v] = vdupq_n_f32(0.0f);
            for (int64_t r = 0; r < R; r++)
                for (int v = 0; v < 4; v++)
                    acc[v] = vaddq_f32(acc[v], vld1q_f32(xk + r * C + c + 4 * v));
            for (int v = 0; v < 4; v++) vst1q_f32(yk + c + 4 * v, vdivq_f32(acc[v], count));
        }
        for (; c + 4 <= c1; c += 4) {
            float32x4_t acc = vdupq_n_f32(0.0f);
            for (int64_t r = 0; r < R; r++) acc = vaddq_f32(acc, vld1q_f32(xk + r * C + c));
            vst1q_f32(yk + c, vdivq_f32(acc, count));
        }
        for (; c < c1; c++) { /* the portable arithmetic */
            float acc = 0.0f;
            for (int64_t r = 0; r < R; r++) acc += xk[r * C + c];
            yk[c] = acc / p->count;
        }
    })
}

/* ---- int8 ---------------------------------------------------------------------------- */

void lt_max_pool_q8_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->q_lo), hi = vdupq_n_s8((int8_t)p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const int8_t *xp = x + w.first;
        int8_t *yp = y + o;
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {
            int8x16_t acc = vdupq_n_s8(INT8_MIN);
            for (int32_t ky = 0; ky < w.rows; ky++) {
                const int8_t *q = xp + c + ky * w.row_step;
                for (int32_t kx = 0; kx < w.cols; kx++, q += w.col_step)
                    acc = vmaxq_s8(acc, vld1q_s8(q));
            }
            vst1q_s8(yp + c, vminq_s8(vmaxq_s8(acc, lo), hi));
        }
        lt_pool_max_q8_scalar(xp, &w, yp, c, C, p->q_lo, p->q_hi);
    })
}

/* sign(s) * floor((|s| + half) / count) per lane (see the top of the file). */
static LT_NEON_INLINE int32x4_t average4(int32x4_t s, int32x4_t half, float32x4_t count) {
    const int32x4_t n = vaddq_s32(vabsq_s32(s), half);
    const int32x4_t q = vcvtq_s32_f32(vdivq_f32(vcvtq_f32_s32(n), count)); /* truncates */
    return vbslq_s32(vcltzq_s32(s), vnegq_s32(q), q);
}

void lt_avg_pool_q8_neon(const lt_pool_params *p, const void *in, void *out, int64_t row0,
                         int64_t row1) {
    const int8_t *x = in;
    int8_t *y = out;
    const int32x4_t lo = vdupq_n_s32(p->q_lo), hi = vdupq_n_s32(p->q_hi);
    FOR_EACH_WINDOW(&p->g, row0, row1, {
        const int8_t *xp = x + w.first;
        int8_t *yp = y + o;
        const int32x4_t half = vdupq_n_s32((int32_t)(w.count / 2)); /* <= 2^15 */
        const float32x4_t count = vdupq_n_f32((float)w.count);
        int64_t c = 0;
        for (; c + 16 <= C; c += 16) {
            int32x4_t acc[4];
            for (int v = 0; v < 4; v++) acc[v] = vdupq_n_s32(0);
            for (int32_t ky = 0; ky < w.rows; ky++) {
                const int8_t *q = xp + c + ky * w.row_step;
                for (int32_t kx = 0; kx < w.cols; kx++, q += w.col_step) {
                    const int8x16_t v = vld1q_s8(q);
                    const int16x8_t l = vmovl_s8(vget_low_s8(v)), h = vmovl_high_s8(v);
                    acc[0] = vaddw_s16(acc[0], vget_low_s16(l));
                    acc[1] = vaddw_high_s16(acc[1], l);
                    acc[2] = vaddw_s16(acc[2], vget_low_s16(h));
                    acc[3] = vaddw_high_s16(acc[3], h);
                }
            }
            int16x4_t r[4];
            for (int v = 0; v < 4; v++)
                r[v] = vqmovn_s32(vminq_s32(vmaxq_s32(average4(acc[v], half, count), lo), hi));
            vst1q_s8(yp + c, vcombine_s8(vqmovn_s16(vcombine_s16(r[0], r[1])),
                                         vqmovn_s16(vcombine_s16(r[2], r[3]))));
        }
        lt_pool_avg_q8_scalar(xp, &w, yp, c, C, p->q_lo, p->q_hi);
    })
}

void lt_mean_q8_neon(const lt_mean_params *p, const void *in, void *out, int64_t o0,
                     int64_t o1) {
    const int8_t *x = in;
    int8_t *y = out;
    const int64_t R = p->r, C = p->c;
    const int32_t shift = p->mul.shift;
    const int32x4_t mult = vdupq_n_s32(p->mul.multiplier);
    const int32x4_t left = vdupq_n_s32(shift > 0 ? shift : 0);
    const int32x4_t neg_right = vdupq_n_s32(shift > 0 ? 0 : shift);
    /* (int32)(sum - sub) modulo 2^32, as the portable kernel; the clamp comes before the
     * zero point so that the addition cannot overflow. */
    const int32x4_t sub = vdupq_n_s32((int32_t)(uint32_t)(uint64_t)p->sub);
    const int32x4_t zp = vdupq_n_s32(p->zp);
    const int32x4_t lo = vdupq_n_s32(INT8_MIN - p->zp), hi = vdupq_n_s32(INT8_MAX - p->zp);
    FOR_EACH_MEAN_ROW(C, o0, o1, {
        const int8_t *xk = x + k * R * C;
        int8_t *yk = y + k * C;
        int64_t c = c0;
        for (; c + 8 <= c1; c += 8) {
            int32x4_t acc[2];
            acc[0] = acc[1] = vdupq_n_s32(0);
            for (int64_t r = 0; r < R; r++) { /* wraps modulo 2^32, like the portable sum */
                const int16x8_t v = vmovl_s8(vld1_s8(xk + r * C + c));
                acc[0] = vaddw_s16(acc[0], vget_low_s16(v));
                acc[1] = vaddw_high_s16(acc[1], v);
            }
            int16x4_t h[2];
            for (int v = 0; v < 2; v++) {
                int32x4_t q = lt_neon_requant(vsubq_s32(acc[v], sub), mult, left, neg_right);
                q = vaddq_s32(vminq_s32(vmaxq_s32(q, lo), hi), zp);
                h[v] = vqmovn_s32(q);
            }
            vst1_s8(yk + c, vqmovn_s16(vcombine_s16(h[0], h[1])));
        }
        lt_mean_q8_scalar(p, xk, yk, c, c1); /* the portable arithmetic */
    })
}
#endif
