/* int8 GEMM micro-kernels for AVX-512 VNNI (layout GEMM_I8_K4_U8, contract: ../gemm_i8.h).
 *
 * vpdpbusd adds, in each int32 lane, the four products of 4 unsigned bytes by 4 signed
 * bytes; it wraps (no saturation), and a group of four products fits int32
 * (|4 * 255 * 128|), so the lane sums equal the portable kernels' int32 sums modulo 2^32.
 * The unsigned operand is the packed weights (w + 128), the signed one a broadcast of 4
 * bytes of an int8 row, used as they are; each row's 128 * rowsum is taken off the
 * accumulators' starting values (gemm_i8.h).
 *
 * Conv: 8 rows x 32 channels per tile (16 accumulators): per 4 k, two weight vectors and
 * eight row broadcasts feed 16 vpdpbusd. A lone last block runs 8 x 16. Short rows
 * (layout K4_S8) flip the broadcasts' sign bits instead of correcting by row sums.
 * FC: up to 4 rows x 64 channels, reading the int8 rows directly. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "../gemm_i8.h"

#define MR GEMM_I8_MR_VNNI /* row_corrections8 serves 8 rows */
#define ALWAYS_INLINE inline __attribute__((always_inline))

static inline int32_t load_u32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* -128 * (sum of the n bytes at x), modulo 2^32: what the unsigned weights' +128 adds to
 * every accumulator of the row. Whole vectors, then a masked load for the tail (masked-off
 * bytes are not read). */
static int32_t row_correction(const int8_t *x, int64_t n) {
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i sum = _mm512_setzero_si512();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        sum = _mm512_dpbusd_epi32(sum, ones, _mm512_loadu_si512(x + i));
    if (i < n) {
        const __mmask64 tail = (__mmask64)-1 >> (64 - (n - i));
        sum = _mm512_dpbusd_epi32(sum, ones, _mm512_maskz_loadu_epi8(tail, x + i));
    }
    return (int32_t)(0u - 128u * (uint32_t)_mm512_reduce_add_epi32(sum));
}

/* row_correction for 8 rows of n bytes at once: the eight sum vectors are reduced together
 * (a transpose by unpacks and 128-bit shuffles), much cheaper than eight reductions. */
static void row_corrections8(const int8_t *const *x, int64_t n, int32_t *corr) {
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i s[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) s[r] = _mm512_setzero_si512();
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++)
            s[r] = _mm512_dpbusd_epi32(s[r], ones, _mm512_loadu_si512(x[r] + i));
    if (i < n) {
        const __mmask64 tail = (__mmask64)-1 >> (64 - (n - i));
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++)
            s[r] = _mm512_dpbusd_epi32(s[r], ones, _mm512_maskz_loadu_epi8(tail, x[r] + i));
    }
    /* pairs: lanes alternate rows 2m, 2m + 1 */
    __m512i t[4];
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++)
        t[m] = _mm512_add_epi32(_mm512_unpacklo_epi32(s[2 * m], s[2 * m + 1]),
                                _mm512_unpackhi_epi32(s[2 * m], s[2 * m + 1]));
    /* quads: each 128-bit block holds rows 4h .. 4h + 3 */
    const __m512i q0 = _mm512_add_epi32(_mm512_unpacklo_epi64(t[0], t[1]),
                                        _mm512_unpackhi_epi64(t[0], t[1]));
    const __m512i q1 = _mm512_add_epi32(_mm512_unpacklo_epi64(t[2], t[3]),
                                        _mm512_unpackhi_epi64(t[2], t[3]));
    /* blocks: q0.b0 + q0.b2, q0.b1 + q0.b3, q1.b0 + q1.b2, q1.b1 + q1.b3 */
    const __m512i u = _mm512_add_epi32(_mm512_shuffle_i32x4(q0, q1, 0x44),
                                       _mm512_shuffle_i32x4(q0, q1, 0xEE));
    /* lanes 0..3: rows 0..3; lanes 8..11: rows 4..7 */
    const __m512i v = _mm512_add_epi32(u, _mm512_shuffle_i32x4(u, u, 0xB1));
    const __m512i c = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(v, 7));
    int32_t lanes[16];
    _mm512_storeu_si512(lanes, c);
    for (int r = 0; r < 8; r++) corr[r] = lanes[r < 4 ? r : r + 4];
}

/* What one conv call stores (gemm_i8.h). */
typedef gemm_i8_conv_out conv_out;

/* rows x (16 * nb) tile of blocks [b, b + nb); flip: layout K4_S8 (x ^ 0x80 times int8
 * weights, no row corrections), else K4_U8; hybrid: float output stage. */
static ALWAYS_INLINE void conv_tile(const bool flip, const int nb, const bool hybrid,
                                    const gemm_i8_packed *p, const conv_out *out,
                                    const int8_t *const *ap, const int32_t *corr, int32_t rows,
                                    int32_t b) {
    const int64_t kp = p->kp;
    const uint8_t *w = (const uint8_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    __m512i acc[MR][2];
#pragma GCC unroll 2
    for (int j = 0; j < nb; j++) {
        const __m512i off = _mm512_loadu_si512(p->offset + (b + j) * GEMM_I8_NR);
        const __m512i colsum =
            hybrid ? _mm512_loadu_si512(out->h->colsum + (b + j) * GEMM_I8_NR) : off;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512i start =
                hybrid ? gemm_i8_hybrid_start_avx512(off, colsum, out->zp[r]) : off;
            acc[r][j] = flip ? start : _mm512_add_epi32(start, _mm512_set1_epi32(corr[r]));
        }
    }
    const uint8_t *w1 = w + kp * GEMM_I8_NR;
    for (int64_t k = 0; k < kp; k += 4) {
        const __m512i b0 = _mm512_loadu_si512(w + k * GEMM_I8_NR);
        const __m512i b1 = nb > 1 ? _mm512_loadu_si512(w1 + k * GEMM_I8_NR) : b0;
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            const __m512i a = _mm512_set1_epi32(load_u32(ap[r] + k));
            if (flip) { /* the row is the unsigned operand */
                const __m512i u = _mm512_xor_si512(a, _mm512_set1_epi32((int32_t)0x80808080u));
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], u, b0);
                if (nb > 1) acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], u, b1);
            } else {
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, a);
                if (nb > 1) acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, a);
            }
        }
    }
    gemm_i8_store_tile_avx512(hybrid, MR, nb, p, out, acc, rows, b);
}

/* All blocks of one call; rows past the valid ones repeat the last: computed, never
 * stored. */
static ALWAYS_INLINE void conv_run(const bool hybrid, const gemm_i8_packed *p,
                                   const conv_out *out, const void *const *a, int32_t rows) {
    const int8_t *ap[MR];
    int32_t corr[MR] = {0}; /* row corrections (K4_U8 only) */
    for (int r = 0; r < MR; r++) ap[r] = a[r < rows ? r : rows - 1];
    int32_t b = 0;
    if (p->layout == GEMM_I8_K4_S8) {
        for (; b + 2 <= p->blocks; b += 2) conv_tile(true, 2, hybrid, p, out, ap, corr, rows, b);
        if (b < p->blocks) conv_tile(true, 1, hybrid, p, out, ap, corr, rows, b);
        return;
    }
    row_corrections8(ap, p->kp, corr);
    for (; b + 2 <= p->blocks; b += 2) conv_tile(false, 2, hybrid, p, out, ap, corr, rows, b);
    if (b < p->blocks) conv_tile(false, 1, hybrid, p, out, ap, corr, rows, b);
}

void gemm_i8_conv_avx512vnni(const gemm_i8_packed *p, const gemm_i8_requant *o,
                             const void *const *a, int32_t rows, int8_t *y, int64_t y_stride) {
    const conv_out out = {.o = o, .y8 = y, .y_stride = y_stride};
    conv_run(false, p, &out, a, rows);
}

void gemm_i8_conv_hybrid_avx512vnni(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                                    const void *const *a, const int32_t *row_zp,
                                    const float *row_scale, int32_t rows, float *y,
                                    int64_t y_stride) {
    int32_t zp[MR];
    float scale[MR];
    for (int r = 0; r < MR; r++) {
        zp[r] = row_zp[r < rows ? r : rows - 1];
        scale[r] = row_scale[r < rows ? r : rows - 1];
    }
    const conv_out out = {.h = o, .zp = zp, .scale = scale, .yf = y, .y_stride = y_stride};
    conv_run(true, p, &out, a, rows);
}

/* 4 bytes of row x at k (k < depth); past the row's end (its last group when depth is not
 * a multiple of 4) zero bytes, as the row sum counts them. */
static ALWAYS_INLINE __m512i fc_broadcast(const int8_t *x, int64_t k, int64_t depth) {
    int32_t v = 0;
    if (k + 4 <= depth)
        v = load_u32(x + k);
    else
        memcpy(&v, x + k, (size_t)(depth - k));
    return _mm512_set1_epi32(v);
}

static ALWAYS_INLINE void fc_tile(const int rows, const int nb, const gemm_i8_packed *p,
                                  const int8_t *x, int64_t x_stride, int32_t b,
                                  int32_t *out) {
    const int64_t kp = p->kp, depth = p->k, full = depth / 4 * 4;
    const uint8_t *w = (const uint8_t *)p->w + (int64_t)b * kp * GEMM_I8_NR;
    __m512i acc[GEMM_I8_FC_ROWS][GEMM_I8_FC_BLOCKS];
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++) {
        const __m512i corr = _mm512_set1_epi32(row_correction(x + r * x_stride, depth));
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            acc[r][j] = _mm512_add_epi32(_mm512_loadu_si512(p->offset + (b + j) * GEMM_I8_NR),
                                         corr);
    }
    int64_t k = 0;
    for (; k < full; k += 4) {
        __m512i wv[GEMM_I8_FC_BLOCKS];
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++) wv[j] = _mm512_loadu_si512(w + (j * kp + k) * GEMM_I8_NR);
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            const __m512i a = _mm512_set1_epi32(load_u32(x + r * x_stride + k));
#pragma GCC unroll 4
            for (int j = 0; j < nb; j++) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], wv[j], a);
        }
    }
    if (k < depth) {
#pragma GCC unroll 4
        for (int r = 0; r < rows; r++) {
            const __m512i a = fc_broadcast(x + r * x_stride, k, depth);
#pragma GCC unroll 4
            for (int j = 0; j < nb; j++)
                acc[r][j] = _mm512_dpbusd_epi32(
                    acc[r][j], _mm512_loadu_si512(w + (j * kp + k) * GEMM_I8_NR), a);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int j = 0; j < nb; j++)
            _mm512_storeu_si512(out + r * GEMM_I8_FC_BLOCKS * GEMM_I8_NR + j * GEMM_I8_NR,
                                acc[r][j]);
}

void gemm_i8_fc_avx512vnni(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                           int32_t rows, int32_t block, int32_t nblocks, int32_t *acc) {
    /* one instance per tile shape, so each keeps its accumulators in registers */
#define FC_CASE(R, NB)                                           \
    case (R - 1) * GEMM_I8_FC_BLOCKS + (NB - 1):                 \
        fc_tile(R, NB, p, x, x_stride, block, acc);              \
        break;
#define FC_ROW(R) FC_CASE(R, 1) FC_CASE(R, 2) FC_CASE(R, 3) FC_CASE(R, 4)
    switch ((rows - 1) * GEMM_I8_FC_BLOCKS + (nblocks - 1)) {
        FC_ROW(1)
        FC_ROW(2)
        FC_ROW(3)
        FC_ROW(4)
    default:
        break;
    }
#undef FC_ROW
#undef FC_CASE
}
