/* int8 GEMM for CONV_2D and FULLY_CONNECTED: weights packed once at prepare, SIMD micro-
 * kernels (kernels/x86/gemm_i8_*.c) at invoke.
 *
 * The product computed: for an output channel c (a filter or weight row w_c of K int8
 * values) and an input row x of K int8 values (a pixel's window, or an FC input row),
 *     acc = bias[c] + sum_k (x[k] - zp) * w_c[k]        (int32, wrapping)
 * exactly as the portable kernels do. Since sum_k (x - zp) w = sum_k x w - zp colsum[c]
 * (colsum[c] = sum_k w_c[k]), the micro-kernels compute
 *     acc = offset[c] + sum_k x[k] w_c[k],   offset[c] = bias[c] - zp * colsum[c]
 * (every step modulo 2^32, so the identity is exact whatever the order of the sums).
 * A tap in the padding holds x = zp, contributing zp w - zp w = 0: the "padding taps
 * contribute nothing" of the portable kernels. K is padded to a multiple of 4 with zero
 * weights and zero x.
 *
 * The products themselves:
 *   VNNI (GEMM_I8_K4_U8): vpdpbusd multiplies unsigned bytes by signed bytes, so the
 *     weights are stored as u = w + 128 (w ^ 0x80) and the rows' int8 bytes are the signed
 *     operand: sum_k u x = sum_k w x + 128 rowsum, rowsum = sum_k x[k] of the row (over
 *     kp: the zero padding adds nothing), which the kernel subtracts once per row (a few
 *     vpdpbusd against bytes of 1). The inner loop is then broadcasts and vpdpbusd only.
 *     Groups of four products fit int32 (|4 * 255 * 128|) and the sums wrap.
 *   VNNI, short rows (GEMM_I8_K4_S8, CONV_2D with small K and N, below): the weights stay
 *     signed and the kernel flips the sign bit of each broadcast of x (a = x ^ 0x80 =
 *     x + 128, unsigned), with offset[c] = bias[c] - (zp + 128) * colsum[c] instead: one
 *     more instruction per broadcast but no row sums, cheaper when K is this short.
 *   int16 (GEMM_I8_K2_I16, AVX2 and AVX-512): x and w sign-extended; pmaddwd of int16
 *     pairs is exact (|2 * 128 * 128| fits int32).
 *
 * Packed weights: channels in blocks of GEMM_I8_NR = 16 (one 512-bit vector of int32
 * accumulators; the last block padded with zero weights and zero offsets), each block's
 * K values contiguous:
 *   GEMM_I8_K4_U8: uint8 w + 128, [block][kp / 4][16 channels][4 consecutive k]
 *   GEMM_I8_K4_S8: int8 w, the same order
 *   GEMM_I8_K2_I16: int16 w, [block][kp / 2][16 channels][2 consecutive k]
 * so one vector load gives 16 channels' next 4 (or 2) weights, matching an int32 broadcast
 * of a row's next 4 bytes (or 2 int16).
 *
 * CONV_2D (conv2d_i8_fast.c) gives the conv kernel MR row pointers: for the VNNI level int8
 * rows of kp values (the input's pixels themselves when in_c is a multiple of 4 and the
 * window 1x1; else rows it copied into a scratch panel, im2col for larger windows); for the
 * int16 layout, rows it sign-extended into the panel. The kernel computes every channel of
 * those rows and requantizes with the Q31 multipliers (gemm_i8_requant below; TensorFlow
 * Lite's double rounding). FULLY_CONNECTED (fc_i8_fast.c) calls a gemm_i8_fc_fn, which
 * reads the int8 rows directly and returns int32 accumulators; the caller requantizes each
 * with lt_requantize_dmul (FULLY_CONNECTED's reference rounding in double). */
#ifndef LITERT_KERNELS_GEMM_I8_H
#define LITERT_KERNELS_GEMM_I8_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels.h"
#include "quant_math.h"

enum { GEMM_I8_NR = 16 };           /* channels per packed block */
enum { GEMM_I8_FC_ROWS = 4, GEMM_I8_FC_BLOCKS = 4 }; /* largest FC tile: 4 rows x 64 units */
/* CONV_2D packed GEMM_I8_K4_S8 at VNNI: K and output channels at most these */
enum { GEMM_I8_S8_MAX_K = 32, GEMM_I8_S8_MAX_N = 96 };

/* GEMM_I8_K4_I8 (AArch64 NEON, arm/gemm_i8_neon*.c): int8 w in the K4 order, offsets
 * bias - zp * colsum; the kernels multiply signed bytes by signed bytes (SDOT, or SMULL),
 * so neither operand is flipped and no row sums are needed. */
typedef enum { GEMM_I8_K4_U8, GEMM_I8_K4_S8, GEMM_I8_K2_I16, GEMM_I8_K4_I8 } gemm_i8_layout;

typedef struct gemm_i8_packed {
    gemm_i8_layout layout;
    int32_t n;              /* channels (output channels / units) */
    int32_t blocks;         /* ceil(n / 16) */
    int64_t k;              /* K: values per row */
    int64_t kp;             /* K rounded up to a multiple of 4 */
    const void *w;          /* blocks * kp * 16 weights: uint8 w + 128, int8 or int16 */
    const int32_t *offset;  /* blocks * 16: bias - (zp [+ 128]) * colsum, 0 in padding lanes */
} gemm_i8_packed;

/* CONV_2D's output stage: TensorFlow Lite's double-rounding Q31 requantization per channel
 * (lt_multiply_by_quantized_multiplier), + zero point, clamp [lo, hi].
 *
 * rq holds the multipliers and shifts as lt_requant_vec lanes (AVX2: lt_requant_avx2).
 * The AVX-512 kernels use a shorter exact form with 64-bit lanes: with x = acc << left
 * (wrapping), P = x * q (|P| < 2^62), T = P + 2^30 and r = right,
 *   h = floor(T / 2^31)                                  (SaturatingRoundingDoublingHighMul)
 *   result = floor((h + 2^(r-1) - [h < 0]) / 2^r)        (RoundingDivideByPOT, r >= 1)
 * and since floor(floor(u / a) / b) = floor(u / (a b)) and adding the integer c to
 * floor(T / 2^31) adds c * 2^31 to T:
 *   result = (P + 2^30 + 2^(30+r) - [P < -2^30] * 2^31) >> (31 + r)   (r >= 1)
 *   result = (P + 2^30) >> 31                                           (r == 0)
 * (arithmetic shifts; every term stays below 2^63 in magnitude). Per channel: round =
 * 2^30 + (r >= 1 ? 2^(30+r) : 0), neg = (r >= 1 ? 2^31 : 0), shift = 31 + r, stored per
 * 16-channel block as 8 even channels then 8 odd ones (the two halves of a vector of 16
 * accumulators widened to 64 bits). */
typedef struct gemm_i8_requant {
    lt_requant_vec rq;
    const int64_t *round, *neg, *shift; /* blocks * 16, even / odd halves per block */
    bool shift_left;                     /* some channel has left > 0 */
    int32_t zero_point, lo, hi;
} gemm_i8_requant;

/* Fills `out` for `n` channels with multipliers `m` (padding lanes: multiplier 0, which
 * maps every accumulator to 0). Memory from lt_ctx_alloc. */
lt_status gemm_i8_requant_prepare(lt_context *ctx, const lt_node *node, const lt_qmul *m,
                                  int32_t n, int32_t zero_point, int32_t lo, int32_t hi,
                                  gemm_i8_requant *out);

/* Packs `n` rows of `k` int8 weights (row c at w + c * k) for `layout` and folds `bias`
 * (n values) and the input zero point into the offsets. Memory from lt_ctx_alloc. LT_ERROR
 * (message recorded) when a size overflows or memory runs out. */
lt_status gemm_i8_pack(lt_context *ctx, const lt_node *node, const int8_t *w, int32_t n,
                       int64_t k, const int32_t *bias, int32_t input_zero_point,
                       gemm_i8_layout layout, gemm_i8_packed *out);

/* Computes rows a[0 .. rows) (rows in 1..MR; each p->kp readable values: int8 for K4_U8,
 * int16 for K2_I16) against every channel and stores the requantized int8 outputs: row
 * r's channel c at y[r * y_stride + c]. */
typedef void (*gemm_i8_conv_fn)(const gemm_i8_packed *p, const gemm_i8_requant *o,
                                const void *const *a, int32_t rows, int8_t *y,
                                int64_t y_stride);

/* Accumulators of rows [0, rows) of int8 x (row r at x + r * x_stride, p->k values; rows in
 * 1..GEMM_I8_FC_ROWS) for the channels of blocks [block, block + nblocks) (nblocks in
 * 1..GEMM_I8_FC_BLOCKS, all < p->blocks): acc[r * 64 + j] for channel block * 16 + j. */
typedef void (*gemm_i8_fc_fn)(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                              int32_t rows, int32_t block, int32_t nblocks, int32_t *acc);

/* Hybrid CONV_2D's output stage (float32 input and output, int8 filter; hybrid_fast.h):
 * the rows' zero points are known only at invoke (each batch image is quantized with its
 * own), so the weights are packed with bias 0 and zero point 0 and the kernel starts the
 * accumulators of row r from offset[c] - row_zp[r] * colsum[c] (modulo 2^32: the same fold
 * as above). The output is then, with the float operations of the portable kernel in its
 * order (no contraction: the library is built as ISO C, -ffp-contract=off),
 *     y = bias[c] + (float)acc * (row_scale[r] * scale[c]),  then max(lo, y), min(hi, y)
 * (the clamp of linear_clamp: NaN kept). Padding lanes hold zeros. */
typedef struct gemm_i8_hybrid {
    const int32_t *colsum; /* blocks * 16: sum of each channel's K weights, wrapped */
    const float *scale;    /* blocks * 16: the filter's scale per channel */
    const float *bias;     /* blocks * 16: the bias, zeros when the op has none */
    float lo, hi;
} gemm_i8_hybrid;

/* Rows a[0 .. rows) as for gemm_i8_conv_fn, row r quantized with zero point row_zp[r] and
 * scale row_scale[r] (both arrays of `rows` values): float outputs at y[r * y_stride + c]. */
typedef void (*gemm_i8_conv_hybrid_fn)(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                                       const void *const *a, const int32_t *row_zp,
                                       const float *row_scale, int32_t rows, float *y,
                                       int64_t y_stride);

#if defined(LITERT_X86_KERNELS)
/* What one call of an x86 conv kernel stores: int8 requantized (o), or hybrid float32
 * outputs (h, with the rows' zero points and scales). */
typedef struct gemm_i8_conv_out {
    const gemm_i8_requant *o;
    int8_t *y8;
    const gemm_i8_hybrid *h;
    const int32_t *zp;    /* one value per row of the call */
    const float *scale;   /* one value per row of the call */
    float *yf;
    int64_t y_stride;
} gemm_i8_conv_out;

/* Panel rows per call of the conv kernels. */
enum { GEMM_I8_MR_AVX2 = 4, GEMM_I8_MR_AVX512 = 8, GEMM_I8_MR_VNNI = 8 };

/* K2_I16 layout, int16 panel */
void gemm_i8_conv_avx2(const gemm_i8_packed *p, const gemm_i8_requant *o,
                       const void *const *a, int32_t rows, int8_t *y, int64_t y_stride);
void gemm_i8_fc_avx2(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride, int32_t rows,
                     int32_t block, int32_t nblocks, int32_t *acc);
/* K2_I16 layout, int16 panel */
void gemm_i8_conv_avx512(const gemm_i8_packed *p, const gemm_i8_requant *o,
                         const void *const *a, int32_t rows, int8_t *y, int64_t y_stride);
void gemm_i8_fc_avx512(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                       int32_t rows, int32_t block, int32_t nblocks, int32_t *acc);
/* K4_U8 or (conv) K4_S8 layout, int8 rows */
void gemm_i8_conv_avx512vnni(const gemm_i8_packed *p, const gemm_i8_requant *o,
                             const void *const *a, int32_t rows, int8_t *y, int64_t y_stride);
void gemm_i8_conv_hybrid_avx2(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                              const void *const *a, const int32_t *row_zp,
                              const float *row_scale, int32_t rows, float *y, int64_t y_stride);
void gemm_i8_conv_hybrid_avx512(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                                const void *const *a, const int32_t *row_zp,
                                const float *row_scale, int32_t rows, float *y,
                                int64_t y_stride);
void gemm_i8_conv_hybrid_avx512vnni(const gemm_i8_packed *p, const gemm_i8_hybrid *o,
                                    const void *const *a, const int32_t *row_zp,
                                    const float *row_scale, int32_t rows, float *y,
                                    int64_t y_stride);
void gemm_i8_fc_avx512vnni(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                           int32_t rows, int32_t block, int32_t nblocks, int32_t *acc);
#endif

/* AArch64 NEON (arm/gemm_i8_neon.c, arm/gemm_i8_neondot.c), layout GEMM_I8_K4_I8, int8
 * rows. */
#include "arm/neon_build.h"
#if defined(LT_NEON_KERNELS)
enum { GEMM_I8_MR_NEON = 2, GEMM_I8_MR_NEONDOT = 4 };
void gemm_i8_conv_neon(const gemm_i8_packed *p, const gemm_i8_requant *o, const void *const *a,
                       int32_t rows, int8_t *y, int64_t y_stride);
void gemm_i8_fc_neon(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride, int32_t rows,
                     int32_t block, int32_t nblocks, int32_t *acc);
void gemm_i8_conv_neondot(const gemm_i8_packed *p, const gemm_i8_requant *o,
                          const void *const *a, int32_t rows, int8_t *y, int64_t y_stride);
void gemm_i8_fc_neondot(const gemm_i8_packed *p, const int8_t *x, int64_t x_stride,
                        int32_t rows, int32_t block, int32_t nblocks, int32_t *acc);
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

/* Per-block constants of the AVX-512 output stage, loaded once per block. */
typedef struct gemm_i8_requant_block {
    __m512i mult, mult_odd, left;
    __m512i round_even, round_odd, neg_even, neg_odd, shift_even, shift_odd;
    __m512i zero_point, lo, hi; /* lo and hi less the zero point */
    bool shift_left;
} gemm_i8_requant_block;

static inline gemm_i8_requant_block gemm_i8_requant_block_load(const gemm_i8_requant *o,
                                                               int32_t block) {
    const int32_t c = block * 16;
    gemm_i8_requant_block k;
    k.mult = _mm512_loadu_si512(o->rq.mult + c);
    k.mult_odd = _mm512_srli_epi64(k.mult, 32);
    k.left = _mm512_loadu_si512(o->rq.left + c);
    k.round_even = _mm512_loadu_si512(o->round + c);
    k.round_odd = _mm512_loadu_si512(o->round + c + 8);
    k.neg_even = _mm512_loadu_si512(o->neg + c);
    k.neg_odd = _mm512_loadu_si512(o->neg + c + 8);
    k.shift_even = _mm512_loadu_si512(o->shift + c);
    k.shift_odd = _mm512_loadu_si512(o->shift + c + 8);
    /* clamped before the zero point is added: near the int32 limits, value + zero point
     * would wrap (the portable kernel adds in int64) */
    k.zero_point = _mm512_set1_epi32(o->zero_point);
    k.lo = _mm512_set1_epi32(o->lo - o->zero_point);
    k.hi = _mm512_set1_epi32(o->hi - o->zero_point);
    k.shift_left = o->shift_left;
    return k;
}

/* 16 accumulators -> 16 output values (int32, within [lo, hi]); see gemm_i8_requant. */
static inline __m512i gemm_i8_requant_avx512(__m512i acc, const gemm_i8_requant_block *k) {
    /* wraps like TFLite's x * (1 << s); skipped when no channel has a left shift */
    const __m512i x = k->shift_left ? _mm512_sllv_epi32(acc, k->left) : acc;
    const __m512i p_even = _mm512_mul_epi32(x, k->mult); /* even lanes, 64-bit products */
    const __m512i p_odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), k->mult_odd);
    const __m512i below = _mm512_set1_epi64(-((int64_t)1 << 30));
    const __mmask8 neg_even = _mm512_cmplt_epi64_mask(p_even, below);
    const __mmask8 neg_odd = _mm512_cmplt_epi64_mask(p_odd, below);
    __m512i t_even = _mm512_add_epi64(p_even, k->round_even);
    __m512i t_odd = _mm512_add_epi64(p_odd, k->round_odd);
    t_even = _mm512_mask_sub_epi64(t_even, neg_even, t_even, k->neg_even);
    t_odd = _mm512_mask_sub_epi64(t_odd, neg_odd, t_odd, k->neg_odd);
    t_even = _mm512_srav_epi64(t_even, k->shift_even); /* results fit int32: low dwords */
    t_odd = _mm512_srav_epi64(t_odd, k->shift_odd);
    /* odd lanes take the low dword of each 64-bit odd result */
    __m512i v = _mm512_mask_shuffle_epi32(t_even, 0xAAAA, t_odd, (_MM_PERM_ENUM)0xA0);
    v = _mm512_min_epi32(_mm512_max_epi32(v, k->lo), k->hi);
    return _mm512_add_epi32(v, k->zero_point);
}

/* Starting accumulators of a hybrid row: offset - zp * colsum (wrapping, see
 * gemm_i8_hybrid). */
static inline __m512i gemm_i8_hybrid_start_avx512(__m512i offset, __m512i colsum, int32_t zp) {
    return _mm512_sub_epi32(offset, _mm512_mullo_epi32(_mm512_set1_epi32(zp), colsum));
}

/* 16 hybrid accumulators -> float outputs, the first lanes of `mask` stored at y; the
 * portable kernel's operations in its order (gemm_i8_hybrid). */
static inline void gemm_i8_hybrid_store_avx512(__m512i acc, __m512 scale, __m512 bias,
                                               float row_scale, __m512 lo, __m512 hi,
                                               float *y, __mmask16 mask) {
    const __m512 s = _mm512_mul_ps(_mm512_set1_ps(row_scale), scale);
    __m512 v = _mm512_add_ps(bias, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), s));
    v = _mm512_min_ps(hi, _mm512_max_ps(lo, v)); /* max(lo, v): v when NaN, and so min */
    _mm512_mask_storeu_ps(y, mask, v);
}

/* Stores the finished accumulators of a conv tile, blocks [b, b + nb) (nb <= 2) for rows
 * [0, rows) of the kernel's mr: int8 requantized, or hybrid float. Shared by the AVX-512 and
 * VNNI kernels, which differ only in how they accumulate. Always inlined with constant mr,
 * nb and hybrid, so acc stays in registers. */
static inline __attribute__((always_inline)) void gemm_i8_store_tile_avx512(
    const bool hybrid, const int mr, const int nb, const gemm_i8_packed *p,
    const gemm_i8_conv_out *out, __m512i (*acc)[2], int32_t rows, int32_t b) {
    /* constant indices only (an array indexed by a variable would live in memory) */
#pragma GCC unroll 2
    for (int j = 0; j < nb; j++) {
        const int32_t c0 = (b + j) * GEMM_I8_NR, valid = p->n - c0;
        const __mmask16 mask = valid >= GEMM_I8_NR ? 0xFFFF : (__mmask16)((1u << valid) - 1u);
        if (hybrid) {
            const gemm_i8_hybrid *h = out->h;
            const __m512 scale = _mm512_loadu_ps(h->scale + c0);
            const __m512 bias = _mm512_loadu_ps(h->bias + c0);
            const __m512 lo = _mm512_set1_ps(h->lo), hi = _mm512_set1_ps(h->hi);
#pragma GCC unroll 8
            for (int r = 0; r < mr; r++) {
                if (r >= rows) break;
                gemm_i8_hybrid_store_avx512(acc[r][j], scale, bias, out->scale[r], lo, hi,
                                            out->yf + r * out->y_stride + c0, mask);
            }
            continue;
        }
        /* loaded once: the int8 stores below may alias anything, so a load after them
         * could not be reused */
        const gemm_i8_requant_block k = gemm_i8_requant_block_load(out->o, b + j);
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            if (r >= rows) break;
            const __m512i v = gemm_i8_requant_avx512(acc[r][j], &k);
            _mm_mask_storeu_epi8(out->y8 + r * out->y_stride + c0, mask,
                                 _mm512_cvtepi32_epi8(v));
        }
    }
}
#endif

#endif
