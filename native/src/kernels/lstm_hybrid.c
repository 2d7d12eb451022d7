/* The hybrid (dynamic-range) products of UNIDIRECTIONAL_SEQUENCE_LSTM: float rows quantized
 * to int8 at each use, int8 x int8 sums in int32, scaled back to float, in the order of
 * TensorFlow Lite's lstm_eval.cc (LstmStepHybrid / CalculateLstmGateHybrid):
 *   asymmetric inputs (the converter's choice): per-row scale and zero point exactly as
 *     linear_quantize_row_asymmetric (the SIMD quantizer of hybrid_fast.h gives the same
 *     int8 values), and the zero point's term removed with the weights' row sums;
 *   symmetric inputs (asymmetric_quantize_inputs false): scale max|x| / 127, no zero point.
 * The int32 sums are exact, from the portable loop or the int8 GEMM kernels (gemm_i8.h,
 * packed with bias 0 and zero point 0). */
#include <math.h>
#include <string.h>

#include "lstm_internal.h"

void lstm_row_sums(const int8_t *w, int64_t n_rows, int64_t depth, int32_t *out) {
    for (int64_t r = 0; r < n_rows; r++) {
        uint32_t s = 0; /* wrapping, as the int32 sums it corrects */
        for (int64_t k = 0; k < depth; k++) s += (uint32_t)(int32_t)w[r * depth + k];
        out[r] = (int32_t)s;
    }
}

/* Packs m for the ISA's int8 kernels (the choice of fc_i8_fast.c), if it has some. */
lt_status lstm_i8mat_prepare(lt_context *ctx, const lt_node *node, lstm_i8mat *m) {
#if defined(LSTM_I8_KERNELS)
    const int isa = lt_ctx_isa(ctx);
    m->kernel = NULL;
    if (isa < LT_ISA_AVX2 || m->n > INT32_MAX) return LT_OK;
    int32_t *zeros = lt_ctx_alloc(ctx, node, (size_t)m->n * sizeof(int32_t));
    if (zeros == NULL) return LT_ERROR;
    gemm_i8_layout layout = GEMM_I8_K2_I16;
    gemm_i8_fc_fn kernel;
#if defined(LT_NEON_KERNELS)
    layout = GEMM_I8_K4_I8;
    kernel = isa >= LT_ISA_NEON_DOTPROD ? gemm_i8_fc_neondot : gemm_i8_fc_neon;
#else
    if (isa >= LT_ISA_AVX512_VNNI) {
        layout = GEMM_I8_K4_U8;
        kernel = gemm_i8_fc_avx512vnni;
    } else if (isa >= LT_ISA_AVX512) {
        kernel = gemm_i8_fc_avx512;
    } else {
        kernel = gemm_i8_fc_avx2;
    }
#endif
    if (gemm_i8_pack(ctx, node, m->w, (int32_t)m->n, m->k, zeros, 0, layout, &m->packed) !=
        LT_OK)
        return LT_ERROR;
    m->kernel = kernel;
#else
    (void)ctx;
    (void)node;
    (void)m;
#endif
    return LT_OK;
}

static bool all_zero(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (x[i] != 0.0f) return false;
    return true;
}

/* TensorFlow Lite's SymmetricQuantizeFloats: scale = max|x| / 127, q = round(x * 127 / max|x|)
 * clamped to [-127, 127]. */
static float quantize_symmetric(const float *x, int64_t n, int8_t *q) {
    float lo = x[0], hi = x[0];
    for (int64_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (hi < x[i]) hi = x[i];
    }
    const float range = fmaxf(fabsf(lo), fabsf(hi));
    if (range == 0.0f) {
        memset(q, 0, (size_t)n);
        return 1.0f;
    }
    const float inv = 127.0f / range;
    for (int64_t i = 0; i < n; i++) {
        const float r = roundf(x[i] * inv);
        q[i] = (int8_t)(r >= 127.0f ? 127 : r > -127.0f ? (int32_t)r : -127);
    }
    return range / 127.0f;
}

/* acc[j] = sum_k w[j][k] q[k] (int32, wrapping) for the n rows of m. */
static void i8mat_dots(const lstm_i8mat *m, const int8_t *q, int32_t *acc) {
#if defined(LSTM_I8_KERNELS)
    if (m->kernel != NULL) {
        int32_t tile[GEMM_I8_FC_ROWS * GEMM_I8_FC_BLOCKS * GEMM_I8_NR];
        for (int32_t b = 0; b < m->packed.blocks; b += GEMM_I8_FC_BLOCKS) {
            const int32_t nb = m->packed.blocks - b < GEMM_I8_FC_BLOCKS ? m->packed.blocks - b
                                                                        : GEMM_I8_FC_BLOCKS;
            m->kernel(&m->packed, q, m->k, 1, b, nb, tile);
            const int64_t c0 = (int64_t)b * GEMM_I8_NR;
            const int64_t c1 = c0 + nb * GEMM_I8_NR < m->n ? c0 + nb * GEMM_I8_NR : m->n;
            memcpy(acc + c0, tile, (size_t)(c1 - c0) * sizeof(int32_t));
        }
        return;
    }
#endif
    for (int64_t j = 0; j < m->n; j++) acc[j] = linear_dot_i8i8(q, m->w + j * m->k, m->k);
}

/* y[j] += (float)(w_j . q(x) - row_sum[j] * zero_point) * (x_scale * w_scale[j]) for the
 * rows j of m, x quantized per the op's mode into q (symmetric: zero point 0, no row-sum
 * term, as TensorFlow Lite skips it). Nothing is added for an all-zero x (TensorFlow Lite
 * skips the product then). */
void lstm_matvec_hybrid(const lstm_plan *p, const lstm_i8mat *m, const float *w_scale,
                          const int32_t *rs, const float *x, int8_t *q, int32_t *accs,
                          float *y) {
    const int64_t n = m->n, k = m->k;
    if (all_zero(x, k)) return;
    float sx;
    uint32_t zp = 0;
    if (p->asym) {
        /* linear_quantize_row_asymmetric's values, with the SIMD quantizer */
        float lo = x[0], hi = x[0];
        hybrid_qparams qp;
        p->minmax(x + 1, k - 1, &lo, &hi);
        hybrid_qparams_from_range(lo, hi, &qp);
        p->quantize(x, k, &qp, q);
        sx = qp.scale;
        zp = (uint32_t)qp.zero_point;
    } else {
        sx = quantize_symmetric(x, k, q);
    }
    i8mat_dots(m, q, accs);
    for (int64_t j = 0; j < n; j++) {
        const int32_t acc = (int32_t)((uint32_t)accs[j] - (uint32_t)rs[j] * zp);
        y[j] += (float)acc * (sx * w_scale[j]);
    }
}

