/* Packing of int8 weights for the int8 GEMM micro-kernels, at prepare (layouts and the
 * offset fold: gemm_i8.h). Portable C: runs once per plan. */
#include <string.h>

#include "alloc.h"
#include "gemm_i8.h"

lt_status gemm_i8_pack(lt_context *ctx, const lt_node *node, const int8_t *w, int32_t n,
                       int64_t k, const int32_t *bias, int32_t input_zero_point,
                       gemm_i8_layout layout, gemm_i8_packed *out) {
    if (n <= 0 || k <= 0 || k > INT64_MAX / 8)
        return lt_ctx_error(ctx, node, "internal: int8 GEMM of %d channels and depth %lld",
                            (int)n, (long long)k);
    const int32_t blocks = (int32_t)(((int64_t)n + GEMM_I8_NR - 1) / GEMM_I8_NR);
    const int64_t kp = (k + 3) / 4 * 4;
    const size_t elt = layout == GEMM_I8_K2_I16 ? 2 : 1;
    size_t block_elems, total, w_bytes;
    if (!lt_mul_size((size_t)kp, GEMM_I8_NR, &block_elems) ||
        !lt_mul_size(block_elems, (size_t)blocks, &total) ||
        !lt_mul_size(total, elt, &w_bytes))
        return lt_ctx_error(ctx, node, "packed int8 weights of %d channels x depth %lld "
                            "overflow the size type", (int)n, (long long)k);
    void *packed = lt_ctx_alloc(ctx, node, w_bytes);
    int32_t *offset = lt_ctx_alloc(ctx, node, (size_t)blocks * GEMM_I8_NR * sizeof(int32_t));
    if (packed == NULL || offset == NULL) return LT_ERROR;
    /* padding weights are 0: stored as 128 in the K4 layout (the rows' padding is 0) */
    if (layout == GEMM_I8_K4_U8) memset(packed, 0x80, w_bytes);

    const int64_t group = layout == GEMM_I8_K2_I16 ? 2 : 4; /* consecutive k per lane */
    /* what the kernel adds to every x: 128 when it feeds x ^ 0x80 to vpdpbusd */
    const uint32_t a_zero = (uint32_t)input_zero_point + (layout == GEMM_I8_K4_S8 ? 128u : 0u);
    for (int32_t c = 0; c < n; c++) {
        const int8_t *src = w + (int64_t)c * k;
        const int64_t b = c / GEMM_I8_NR, lane = c % GEMM_I8_NR;
        /* element (c, kk) sits at block b, step kk / group, lane, position kk % group */
        const int64_t base = b * (int64_t)block_elems + lane * group;
        int64_t colsum = 0; /* |colsum| <= 128 * k: fits int64 */
        for (int64_t kk = 0; kk < k; kk++) {
            const int64_t at = base + (kk / group) * GEMM_I8_NR * group + kk % group;
            if (layout == GEMM_I8_K4_U8)
                ((uint8_t *)packed)[at] = (uint8_t)((uint8_t)src[kk] ^ 0x80u); /* w + 128 */
            else if (layout == GEMM_I8_K4_S8 || layout == GEMM_I8_K4_I8)
                ((int8_t *)packed)[at] = src[kk];
            else
                ((int16_t *)packed)[at] = src[kk];
            colsum += src[kk];
        }
        /* bias - (zp [+ 128]) * colsum, modulo 2^32 like the accumulators */
        offset[c] = (int32_t)((uint32_t)bias[c] - a_zero * (uint32_t)(uint64_t)colsum);
    }
    *out = (gemm_i8_packed){.layout = layout, .n = n, .blocks = blocks, .k = k, .kp = kp,
                            .w = packed, .offset = offset};
    return LT_OK;
}

lt_status gemm_i8_requant_prepare(lt_context *ctx, const lt_node *node, const lt_qmul *m,
                                  int32_t n, int32_t zero_point, int32_t lo, int32_t hi,
                                  gemm_i8_requant *out) {
    if (lt_requant_vec_prepare(ctx, node, m, n, &out->rq) != LT_OK) return LT_ERROR;
    const size_t lanes = (size_t)out->rq.padded; /* a multiple of 16, n <= lanes */
    int64_t *round = lt_ctx_alloc(ctx, node, lanes * sizeof(int64_t));
    int64_t *neg = lt_ctx_alloc(ctx, node, lanes * sizeof(int64_t));
    int64_t *shift = lt_ctx_alloc(ctx, node, lanes * sizeof(int64_t));
    if (round == NULL || neg == NULL || shift == NULL) return LT_ERROR;
    for (size_t c = 0; c < lanes; c++) {
        /* channel c sits in its block's even half (c even) or odd half */
        const size_t at = c / 16 * 16 + (c % 2) * 8 + (c % 16) / 2;
        const int32_t r = out->rq.right[c]; /* in [0, 31]; 0 in padding lanes */
        round[at] = ((int64_t)1 << 30) + (r >= 1 ? (int64_t)1 << (30 + r) : 0);
        neg[at] = r >= 1 ? (int64_t)1 << 31 : 0;
        shift[at] = 31 + r;
    }
    out->shift_left = false;
    for (int32_t c = 0; c < n; c++)
        if (out->rq.left[c] != 0) out->shift_left = true;
    out->round = round;
    out->neg = neg;
    out->shift = shift;
    out->zero_point = zero_point;
    out->lo = lo;
    out->hi = hi;
    return LT_OK;
}
