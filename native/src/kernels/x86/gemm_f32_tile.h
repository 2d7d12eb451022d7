/* The body of the x86 float32 GEMM micro-kernels (x86/gemm_f32_avx2.c, gemm_f32_avx512.c;
 * contract and packed layout: ../gemm_f32.h), written once over the vector width. The
 * including file defines the vector operations, then includes this header:
 *   GF_VEC, GF_MASK, GF_LANES   vector, store mask and floats per vector
 *   GF_LOAD(p), GF_LOAD_MASK(p, m) (masked-off lanes not read), GF_BCAST(p) (*p in every
 *   lane), GF_SET1(x), GF_FMA(a, b, c) (a * b + c, one rounding), GF_MIN(a, b), GF_MAX(a, b)
 *   (MINPS / MAXPS: b when either is NaN), GF_STORE(p, v), GF_STORE_MASK(p, m, v)
 *   gemm_mask(j0, j1, v): lanes [j0, j1) of panel columns [GF_LANES v, GF_LANES (v + 1))
 *   GEMM_MAX_ROWS
 *
 * The tile body is one always-inline function instantiated for every row count 1..MR (a
 * switch on mr, GEMM_CASE), so a short tile does only its own rows' work; every instance
 * computes each value with the same FMA chain, so results do not depend on the row count. */
#ifndef LITERT_KERNELS_X86_GEMM_F32_TILE_H
#define LITERT_KERNELS_X86_GEMM_F32_TILE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

static inline __attribute__((always_inline)) void
gemm_tile(const int rows, const int nv, size_t kc, const float *a, size_t a_stride,
          const float *w, const float *init, float *c, size_t c_stride, uint32_t j0,
          uint32_t j1, float lo, float hi) {
    const float *ap[GEMM_MAX_ROWS];
    GF_VEC acc[GEMM_MAX_ROWS][2];
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) ap[i] = a + (size_t)i * a_stride;
    /* the store mask; with init == NULL also the columns of C read back (the others are
     * never stored, so their lanes may hold anything) */
    GF_MASK mask[2];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) mask[v] = gemm_mask(j0, j1, (uint32_t)v);
    if (init != NULL) {
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            const GF_VEC b = GF_LOAD(init + GF_LANES * v);
#pragma GCC unroll 12
            for (int i = 0; i < rows; i++) acc[i][v] = b;
        }
    } else {
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++)
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++)
                acc[i][v] = GF_LOAD_MASK(c + (size_t)i * c_stride + GF_LANES * v, mask[v]);
    }
    for (size_t k = 0; k < kc; k++) {
        GF_VEC wv[2];
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) wv[v] = GF_LOAD(w + GF_LANES * v);
        w += GF_LANES * nv;
#pragma GCC unroll 12
        for (int i = 0; i < rows; i++) {
            const GF_VEC x = GF_BCAST(ap[i] + k);
#pragma GCC unroll 2
            for (int v = 0; v < nv; v++) acc[i][v] = GF_FMA(x, wv[v], acc[i][v]);
        }
    }
    const GF_VEC vlo = GF_SET1(lo), vhi = GF_SET1(hi);
    /* NONE (no clamp) skips the max/min, which share the FMA ports */
    const bool clamp = !(lo == -INFINITY && hi == INFINITY);
    const bool whole = j0 == 0 && j1 == (uint32_t)(GF_LANES * nv);
#pragma GCC unroll 12
    for (int i = 0; i < rows; i++) {
        float *y = c + (size_t)i * c_stride;
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            /* max(lo, x) then min(hi, x): the second operand (x) wins when either is NaN */
            const GF_VEC r = clamp ? GF_MIN(vhi, GF_MAX(vlo, acc[i][v])) : acc[i][v];
            if (whole)
                GF_STORE(y + GF_LANES * v, r);
            else
                GF_STORE_MASK(y + GF_LANES * v, mask[v], r);
        }
    }
}

#define GEMM_CASE(R, NV)                                                                   \
    case R:                                                                                \
        gemm_tile(R, NV, kc, a, a_stride, w, init, c, c_stride, j0, j1, lo, hi);           \
        break;

/* The gather of gemm_f32.h (lt_gather_f32_*): `runs` runs of n floats per pixel, whole
 * vectors then one masked vector, which reads and writes the n floats only. */
static inline void gemm_gather(float *dst, size_t dst_stride, const float *src, size_t px_step,
                               size_t run_step, size_t pixels, size_t runs, size_t n) {
    const size_t tail = n % GF_LANES;
    const GF_MASK m = gemm_mask(0, (uint32_t)tail, 0);
    for (size_t p = 0; p < pixels; p++, src += px_step, dst += dst_stride) {
        const float *s = src;
        float *d = dst;
        for (size_t r = 0; r < runs; r++, s += run_step) {
            size_t i = 0;
            for (; i + GF_LANES <= n; i += GF_LANES, d += GF_LANES)
                GF_STORE(d, GF_LOAD(s + i));
            if (tail > 0) {
                GF_STORE_MASK(d, m, GF_LOAD_MASK(s + i, m));
                d += tail;
            }
        }
    }
}

#endif
