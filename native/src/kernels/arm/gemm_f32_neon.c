/* float32 GEMM micro-kernels for AArch64 NEON (contract and packed layout: ../gemm_f32.h).
 *
 * Panels are 16 channels wide (four q registers per row), the narrow last panel 8.
 * 4 x 16: per four k, one 128-bit load of each row's next four A values and four loads of
 * the panel rows feed 64 FMLA-by-element (the A value taken from a lane of the row's
 * register), into 16 accumulators: 16 + 4 + 4 of the 32 vector registers. 8 x 8 does the
 * narrow panel the same way with 16 accumulators. The k left over after the groups of four
 * (and blocks shorter than four) go one k at a time with a broadcast of A. Either way each
 * accumulator gets one fused multiply-add per k in k order from the bias or the stored
 * value, so the result is the same FMA chain whatever the row count, K block or column
 * range (gemm_f32.h).
 *
 * The tile body is one always-inline function instantiated for a few row counts (1, 4 and
 * 8); a shorter tile runs the next one up with its last row repeated (computed, never
 * stored), which keeps the library small (the x86 kernels instantiate every row count).
 * Columns outside [j0, j1) are neither read nor written: partial vectors go through a
 * small stack copy. */
#if defined(__aarch64__)
#include <math.h>

#include "../gemm_f32.h"
#include "neon_common.h"

#define GEMM_MAX_ROWS 8

/* `rows` (a constant) rows computed, the first mr (1 <= mr <= rows) of them real: the others
 * repeat row mr - 1 (read, never stored), so that one instance serves several row counts. */
static LT_NEON_INLINE void gemm_tile(const int rows, const int nv, size_t mr, size_t kc,
                                     const float *a, size_t a_stride, const float *w,
                                     const float *init, float *c, size_t c_stride, uint32_t j0,
                                     uint32_t j1, float lo, float hi) {
    const float *ap[GEMM_MAX_ROWS];
    float32x4_t acc[GEMM_MAX_ROWS][4];
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++) ap[i] = a + ((size_t)i < mr ? (size_t)i : mr - 1) * a_stride;
    /* vector v covers panel columns [4v, 4v + 4): whole when inside [j0, j1) */
    const bool whole = j0 == 0 && j1 == (uint32_t)(4 * nv);
    if (init != NULL) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const float32x4_t b = vld1q_f32(init + 4 * v);
#pragma GCC unroll 8
            for (int i = 0; i < rows; i++) acc[i][v] = b;
        }
    } else {
#pragma GCC unroll 8
        for (int i = 0; i < rows; i++) {
            const float *y = c + ((size_t)i < mr ? (size_t)i : mr - 1) * c_stride;
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                const uint32_t l0 = (uint32_t)(4 * v), l1 = l0 + 4;
                if (whole || (j0 <= l0 && l1 <= j1)) {
                    acc[i][v] = vld1q_f32(y + l0);
                } else if (j0 < l1 && l0 < j1) {
                    acc[i][v] = lt_neon_load_lanes_f32(y + l0, j0 > l0 ? j0 - l0 : 0,
                                                       (j1 < l1 ? j1 : l1) - l0);
                } else {
                    acc[i][v] = vdupq_n_f32(0.0f); /* never stored */
                }
            }
        }
    }
    size_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        float32x4_t x[GEMM_MAX_ROWS];
#pragma GCC unroll 8
        for (int i = 0; i < rows; i++) x[i] = vld1q_f32(ap[i] + k);
#pragma GCC unroll 4
        for (int q = 0; q < 4; q++) {
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                const float32x4_t wv = vld1q_f32(w + 4 * v);
#pragma GCC unroll 8
                for (int i = 0; i < rows; i++) {
                    switch (q) { /* the lane index must be a constant */
                    case 0: acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv, x[i], 0); break;
                    case 1: acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv, x[i], 1); break;
                    case 2: acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv, x[i], 2); break;
                    default: acc[i][v] = vfmaq_laneq_f32(acc[i][v], wv, x[i], 3); break;
                    }
                }
            }
            w += 4 * nv;
        }
    }
    for (; k < kc; k++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const float32x4_t wv = vld1q_f32(w + 4 * v);
#pragma GCC unroll 8
            for (int i = 0; i < rows; i++)
                acc[i][v] = vfmaq_f32(acc[i][v], wv, vld1q_dup_f32(ap[i] + k));
        }
        w += 4 * nv;
    }
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
#pragma GCC unroll 8
    for (int i = 0; i < rows; i++) {
        if ((size_t)i >= mr) break;
        float *y = c + (size_t)i * c_stride;
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            const float32x4_t r = clamp ? lt_neon_clamp_f32(acc[i][v], vlo, vhi) : acc[i][v];
            const uint32_t l0 = (uint32_t)(4 * v), l1 = l0 + 4;
            if (whole || (j0 <= l0 && l1 <= j1))
                vst1q_f32(y + l0, r);
            else if (j0 < l1 && l0 < j1)
                lt_neon_store_lanes_f32(y + l0, r, j0 > l0 ? j0 - l0 : 0,
                                        (j1 < l1 ? j1 : l1) - l0);
        }
    }
}

/* Row counts: 1 (a single row: FULLY_CONNECTED batch 1) has its own instance; others run
 * the next instance up with repeated rows (each row's values are the same either way). */
void lt_gemm_f32_4x16_neon(size_t mr, size_t kc, const float *a, size_t a_stride,
                           const float *w, const float *init, float *c, size_t c_stride,
                           uint32_t j0, uint32_t j1, float lo, float hi) {
    if (mr == 1)
        gemm_tile(1, 4, 1, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
    else
        gemm_tile(4, 4, mr, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
}

void lt_gemm_f32_8x8_neon(size_t mr, size_t kc, const float *a, size_t a_stride,
                          const float *w, const float *init, float *c, size_t c_stride,
                          uint32_t j0, uint32_t j1, float lo, float hi) {
    if (mr == 1)
        gemm_tile(1, 2, 1, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
    else if (mr <= 4)
        gemm_tile(4, 2, mr, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
    else
        gemm_tile(8, 2, mr, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);
}

void lt_gather_f32_neon(float *dst, size_t dst_stride, const float *src, size_t px_step,
                        size_t run_step, size_t pixels, size_t runs, size_t n) {
    for (size_t p = 0; p < pixels; p++, src += px_step, dst += dst_stride) {
        const float *s = src;
        float *d = dst;
        for (size_t r = 0; r < runs; r++, s += run_step) {
            size_t i = 0;
            for (; i + 8 <= n; i += 8, d += 8) {
                vst1q_f32(d, vld1q_f32(s + i));
                vst1q_f32(d + 4, vld1q_f32(s + i + 4));
            }
            for (; i + 4 <= n; i += 4, d += 4) vst1q_f32(d, vld1q_f32(s + i));
            for (; i < n; i++) *d++ = s[i]; /* no access past the run */
        }
    }
}

/* ---- matrix-vector product (gemm_f32_gemv_fn) -------------------------------------------
 * Eight units at a time, one accumulator of four k-lanes each (eight independent FMA
 * chains), k in steps of four; the last k % 4 values go through a zero-padded vector (the
 * padding adds fma(0, 0, acc) = acc). Each unit's sum is then (l0 + l1) + (l2 + l3) of its
 * lanes (two pairwise-add steps), then + bias, then the clamp: the same expression whatever
 * the unit's place in its group. A short group repeats its last row and stores only its
 * own units. */
void lt_gemm_f32_gemv_neon(size_t n, size_t k, const float *x, const float *w, size_t w_stride,
                           const float *bias, float *y, float lo, float hi) {
    const size_t k_full = k & ~(size_t)3;
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    float32x4_t x_tail = vdupq_n_f32(0.0f);
    if (k_full < k) x_tail = lt_neon_load_lanes_f32(x + k_full, 0, (uint32_t)(k - k_full));
    for (size_t j = 0; j < n; j += 8) {
        const size_t g = n - j < 8 ? n - j : 8;
        const float *row[8];
        for (size_t u = 0; u < 8; u++) row[u] = w + (j + (u < g ? u : g - 1)) * w_stride;
        float32x4_t acc[8];
#pragma GCC unroll 8
        for (int u = 0; u < 8; u++) acc[u] = vdupq_n_f32(0.0f);
        for (size_t p = 0; p < k_full; p += 4) {
            const float32x4_t xv = vld1q_f32(x + p);
#pragma GCC unroll 8
            for (int u = 0; u < 8; u++) acc[u] = vfmaq_f32(acc[u], vld1q_f32(row[u] + p), xv);
        }
        if (k_full < k) {
#pragma GCC unroll 8
            for (int u = 0; u < 8; u++)
                acc[u] = vfmaq_f32(
                    acc[u], lt_neon_load_lanes_f32(row[u] + k_full, 0, (uint32_t)(k - k_full)),
                    x_tail);
        }
        /* unit u's (l0 + l1) + (l2 + l3), units 0-3 in s0 and 4-7 in s1 */
        float32x4_t s0 = vpaddq_f32(vpaddq_f32(acc[0], acc[1]), vpaddq_f32(acc[2], acc[3]));
        float32x4_t s1 = vpaddq_f32(vpaddq_f32(acc[4], acc[5]), vpaddq_f32(acc[6], acc[7]));
        if (bias != NULL) {
            float b[8] = {0};
            memcpy(b, bias + j, g * sizeof(float));
            s0 = vaddq_f32(vld1q_f32(b), s0);
            s1 = vaddq_f32(vld1q_f32(b + 4), s1);
        }
        if (clamp) {
            s0 = lt_neon_clamp_f32(s0, vlo, vhi);
            s1 = lt_neon_clamp_f32(s1, vlo, vhi);
        }
        float out[8];
        vst1q_f32(out, s0);
        vst1q_f32(out + 4, s1);
        memcpy(y + j, out, g * sizeof(float));
    }
}
#endif
