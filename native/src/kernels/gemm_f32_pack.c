/* gemm_f32_pack.c: the portable side of the float32 GEMM (gemm_f32.h): choosing the
 * micro-kernels of an ISA level, packing weights into panels at prepare, and the loop over
 * panels and row tiles that invoke runs. No intrinsics here: the micro-kernels are called
 * through the function pointers chosen at prepare. */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "gemm_f32.h"
#include "litert/litert.h"

bool gemm_f32_kernels_for(int isa, gemm_f32_kernels *out) {
#if defined(LITERT_X86_KERNELS)
    if (isa >= LT_ISA_AVX512) {
        *out = (gemm_f32_kernels){GEMM_F32_AVX512_NR, GEMM_F32_AVX512_MR,
                                  GEMM_F32_AVX512_MR_HALF, lt_gemm_f32_12x32_avx512,
                                  lt_gemm_f32_8x16_avx512, lt_gather_f32_avx512,
                                  lt_gemm_f32_gemv_avx512};
        return true;
    }
    if (isa >= LT_ISA_AVX2) {
        *out = (gemm_f32_kernels){GEMM_F32_AVX2_NR, GEMM_F32_AVX2_MR, GEMM_F32_AVX2_MR_HALF,
                                  lt_gemm_f32_6x16_avx2, lt_gemm_f32_12x8_avx2,
                                  lt_gather_f32_avx2, lt_gemm_f32_gemv_avx2};
        return true;
    }
#endif
#if defined(LT_NEON_KERNELS)
    if (isa >= LT_ISA_NEON) {
        *out = (gemm_f32_kernels){GEMM_F32_NEON_NR, GEMM_F32_NEON_MR, GEMM_F32_NEON_MR_HALF,
                                  lt_gemm_f32_4x16_neon, lt_gemm_f32_8x8_neon,
                                  lt_gather_f32_neon, lt_gemm_f32_gemv_neon};
        return true;
    }
#endif
    (void)isa;
    (void)out;
    return false;
}

/* Width of panel `p` (see the layout in gemm_f32.h). */
static int64_t gemm_panel_width(const gemm_f32_packed *p, int64_t panel) {
    const int64_t nr = p->ker.nr;
    const int64_t left = p->n - panel * nr;
    if (left >= nr) return nr;
    return left <= nr / 2 ? nr / 2 : nr;
}

bool gemm_f32_layout(const gemm_f32_kernels *ker, int64_t n, int64_t k, gemm_f32_packed *out,
                     size_t *floats) {
    *out = (gemm_f32_packed){.ker = *ker, .k = k, .n = n};
    const int64_t nr = ker->nr;
    if (n <= 0 || k <= 0 || n > INT64_MAX - nr || k >= INT64_MAX) return false;
    out->panels = (n + nr - 1) / nr;
    return lt_mul_size((size_t)nr, (size_t)k + 1, &out->panel_floats) &&
           lt_mul_size(out->panel_floats, (size_t)out->panels, floats);
}

/* Copies one float from bytes that need not be aligned. */
static inline float load_f32(const uint8_t *p) {
    float v;
    memcpy(&v, p, sizeof v);
    return v;
}

void gemm_f32_pack_into(const gemm_f32_packed *layout, float *dst, const void *weights,
                        size_t n_stride, size_t k_stride, const void *bias) {
    const int64_t nr = layout->ker.nr, n = layout->n, k = layout->k;
    const uint8_t *wb = weights, *bb = bias;
    for (int64_t panel = 0; panel < layout->panels; panel++) {
        const int64_t width = gemm_panel_width(layout, panel), c0 = panel * nr;
        const int64_t cols = n - c0 < width ? n - c0 : width;
        float *d = dst + (size_t)panel * layout->panel_floats;
        /* bias row, then K rows; columns past n are zeros */
        for (int64_t j = 0; j < width; j++)
            d[j] = bb != NULL && j < cols ? load_f32(bb + (size_t)(c0 + j) * sizeof(float)) : 0.0f;
        d += width;
        const uint8_t *base = wb + (size_t)c0 * n_stride * sizeof(float);
        if (n_stride == 1) {
            /* a panel row is contiguous in the source (BATCH_MATMUL's y as stored): one copy
             * per row (invoke packs such operands for every product) */
            for (int64_t kk = 0; kk < k; kk++, d += width) {
                memcpy(d, base + (size_t)kk * k_stride * sizeof(float),
                       (size_t)cols * sizeof(float));
                for (int64_t j = cols; j < width; j++) d[j] = 0.0f;
            }
            continue;
        }
        /* a transpose (weights in TensorFlow Lite's layout): panel row kk gathers column kk
         * of the panel's source rows */
        for (int64_t kk = 0; kk < k; kk++, d += width) {
            const uint8_t *src = base + (size_t)kk * k_stride * sizeof(float);
            for (int64_t j = 0; j < cols; j++)
                d[j] = load_f32(src + (size_t)j * n_stride * sizeof(float));
            for (int64_t j = cols; j < width; j++) d[j] = 0.0f;
        }
    }
}

lt_status gemm_f32_pack(lt_context *ctx, const lt_node *node, const gemm_f32_kernels *ker,
                        const void *weights, const void *bias, int64_t n, int64_t k,
                        gemm_f32_packed *out) {
    size_t floats, bytes;
    if (!gemm_f32_layout(ker, n, k, out, &floats) ||
        !lt_mul_size(floats, sizeof(float), &bytes))
        return lt_ctx_error(ctx, node, "packed weights of %lld x %lld floats overflow the "
                            "size type", (long long)n, (long long)k);
    float *data = lt_ctx_alloc(ctx, node, bytes);
    if (data == NULL) return LT_ERROR;
    gemm_f32_pack_into(out, data, weights, (size_t)k, 1, bias);
    out->data = data;
    return LT_OK;
}

void gemm_f32_run(const gemm_f32_packed *p, size_t m, const float *a, size_t a_stride,
                  float *c, size_t c_stride, int64_t n0, int64_t n1, float lo, float hi) {
    const int64_t nr = p->ker.nr;
    const size_t k = (size_t)p->k;
    /* K blocks of nearly equal length, none longer than GEMM_F32_KC_MAX */
    const size_t blocks = (k + GEMM_F32_KC_MAX - 1) / GEMM_F32_KC_MAX;
    const size_t kc_max = (k + blocks - 1) / blocks;
    for (size_t k0 = 0; k0 < k; k0 += kc_max) {
        const size_t kc = k - k0 < kc_max ? k - k0 : kc_max;
        const bool first = k0 == 0, last = k0 + kc == k;
        const float blo = last ? lo : -INFINITY, bhi = last ? hi : INFINITY;
        for (int64_t panel = n0 / nr; panel * nr < n1; panel++) {
            const int64_t width = gemm_panel_width(p, panel), c0 = panel * nr;
            const uint32_t j0 = (uint32_t)(n0 > c0 ? n0 - c0 : 0);
            const uint32_t j1 = (uint32_t)(n1 - c0 < width ? n1 - c0 : width);
            const bool full = width == nr;
            const gemm_f32_ukernel kern = full ? p->ker.full : p->ker.half;
            const size_t mr = full ? p->ker.mr_full : p->ker.mr_half;
            const float *bias = p->data + (size_t)panel * p->panel_floats;
            const float *w = bias + (k0 + 1) * (size_t)width;
            for (size_t i = 0; i < m; i += mr)
                kern(m - i < mr ? m - i : mr, kc, a + i * a_stride + k0, a_stride, w,
                     first ? bias : NULL, c + i * c_stride + (size_t)c0, c_stride, j0, j1, blo,
                     bhi);
        }
    }
}

size_t gemm_f32_block_rows(int64_t k) {
    size_t rows = ((size_t)1 << 20) / sizeof(float) / (k > 0 ? (size_t)k : 1);
    if (rows > 128) rows = 128;
    return rows > 0 ? rows : 1;
}

size_t gemm_f32_next_block(size_t rows, size_t max_rows) {
    const size_t blocks = (rows + max_rows - 1) / max_rows;
    return (rows + blocks - 1) / blocks;
}
