/* The ISA-independent part of the pool / MEAN SIMD kernels (x86/pool_*.c, arm/pool_neon.c,
 * see pool_simd.h): the walk over output pixels with each window clipped to the input, the
 * walk over MEAN's outputs one k at a time, and the portable scalar arithmetic the kernels
 * use for the channels left after their last full vector. No intrinsics here. */
#ifndef LITERT_KERNELS_POOL_WINDOWS_H
#define LITERT_KERNELS_POOL_WINDOWS_H

#include <float.h>
#include <stdint.h>

#include "pool_simd.h"

/* The cells of one output pixel's window: `rows` x `cols` cells from `first` (channel 0),
 * `row_step` / `col_step` elements apart. */
typedef struct window {
    int64_t first;
    int32_t rows, cols;
    int64_t row_step, col_step;
    int64_t count; /* rows * cols, > 0 (windows without dilation overlap the input) */
} window;

/* Output pixels (b, oy, ox) for rows [row0, row1) of (b, oy), with their windows: runs the
 * body (the variadic arguments, so that it may hold commas) with `w`, the channel count `C`
 * and the output offset `o` (in elements). */
#define FOR_EACH_WINDOW(g, row0, row1, ...)                                                   \
    for (int64_t row = (row0); row < (row1); row++) {                                         \
        const int64_t b = row / (g)->out_h;                                                   \
        const int32_t oy = (int32_t)(row % (g)->out_h);                                       \
        const int64_t C = (g)->in_c;                                                          \
        const int64_t y0 = (int64_t)oy * (g)->stride_h - (g)->pad_top;                        \
        int32_t ky0, ky1;                                                                     \
        conv_tap_range(y0, 1, (g)->k_h, (g)->in_h, &ky0, &ky1);                               \
        for (int32_t ox = 0; ox < (g)->out_w; ox++) {                                         \
            const int64_t x0 = (int64_t)ox * (g)->stride_w - (g)->pad_left;                   \
            int32_t kx0, kx1;                                                                 \
            conv_tap_range(x0, 1, (g)->k_w, (g)->in_w, &kx0, &kx1);                           \
            const window w = {((b * (g)->in_h + y0 + ky0) * (g)->in_w + x0 + kx0) * C,        \
                              ky1 - ky0, kx1 - kx0, (int64_t)(g)->in_w * C, C,                \
                              (int64_t)(ky1 - ky0) * (kx1 - kx0)};                            \
            const int64_t o = (row * (g)->out_w + ox) * C;                                    \
            __VA_ARGS__                                                                       \
        }                                                                                     \
    }

/* Outputs [o0, o1) of the K x C result of MEAN, a run of channels [c0, c1) of one k at a
 * time: runs the body with k, c0 and c1. */
#define FOR_EACH_MEAN_ROW(C, o0, o1, ...)                                                     \
    for (int64_t o = (o0); o < (o1);) {                                                       \
        const int64_t k = o / (C), c0 = o % (C);                                              \
        const int64_t c1 = (o1) - k * (C) < (C) ? (o1) - k * (C) : (C);                       \
        __VA_ARGS__                                                                           \
        o = k * (C) + c1;                                                                     \
    }

/* float32 maximum (max != 0) or average over the window of channels [c0, c1) of one pixel,
 * clamped: the portable scalar loop. */
static inline void lt_pool_f32_scalar(const float *x, const window *w, float *y, int64_t c0,
                                      int64_t c1, int max, float lo, float hi) {
    for (int64_t c = c0; c < c1; c++) {
        float acc = max ? -FLT_MAX : 0.0f;
        for (int32_t ky = 0; ky < w->rows; ky++)
            for (int32_t kx = 0; kx < w->cols; kx++) {
                const float v = x[ky * w->row_step + kx * w->col_step + c];
                if (max) acc = acc < v ? v : acc;
                else acc += v;
            }
        if (!max) acc /= (float)w->count;
        acc = acc < lo ? lo : acc;
        y[c] = hi < acc ? hi : acc;
    }
}

/* int8 maximum over the window of channels [c0, c1) of one pixel, clamped to [lo, hi]. */
static inline void lt_pool_max_q8_scalar(const int8_t *x, const window *w, int8_t *y,
                                         int64_t c0, int64_t c1, int32_t lo, int32_t hi) {
    for (int64_t c = c0; c < c1; c++) {
        int32_t acc = INT8_MIN;
        for (int32_t ky = 0; ky < w->rows; ky++)
            for (int32_t kx = 0; kx < w->cols; kx++) {
                const int8_t v = x[ky * w->row_step + kx * w->col_step + c];
                acc = v > acc ? v : acc;
            }
        y[c] = (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
    }
}

/* The portable int8 average of channels [c0, c1) of one pixel. */
static inline void lt_pool_avg_q8_scalar(const int8_t *x, const window *w, int8_t *y,
                                         int64_t c0, int64_t c1, int32_t lo, int32_t hi) {
    const int64_t count = w->count;
    for (int64_t c = c0; c < c1; c++) {
        int64_t acc = 0;
        for (int32_t ky = 0; ky < w->rows; ky++)
            for (int32_t kx = 0; kx < w->cols; kx++)
                acc += x[ky * w->row_step + kx * w->col_step + c];
        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        y[c] = (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
    }
}

/* int8 MEAN of channels [c0, c1) of one k (xk, yk: its input rows and outputs): the portable
 * arithmetic (reduce.c's mean_q8_run). */
static inline void lt_mean_q8_scalar(const lt_mean_params *p, const int8_t *xk, int8_t *yk,
                                     int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; c++) {
        int64_t sum = 0;
        for (int64_t r = 0; r < p->r; r++) sum += xk[r * p->c + c];
        const int32_t shifted = (int32_t)(uint32_t)(uint64_t)(sum - p->sub);
        const int64_t v = (int64_t)lt_qmul_apply(shifted, p->mul) + p->zp;
        yk[c] = (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
    }
}

#endif
