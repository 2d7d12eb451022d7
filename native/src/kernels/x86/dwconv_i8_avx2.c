/* int8 DEPTHWISE_CONV_2D, 8 channels per ymm of int32 accumulators (AVX2); layout, the
 * exact 16-bit products and the paths in dwconv.h, the loops in dwconv_rows.h, arithmetic
 * as in dwconv_i8_avx512.c (per tap: input bytes sign-extended to int32, minus the input
 * zero point when clipped, VPMADDWD with the packed filter lanes, added modulo 2^32; then
 * lt_requant_avx2, the clamp in [lo - zp, hi - zp], + zp, the narrowing store). With 16
 * vector registers, PIXELS = 2 pixels advance together. AVX2 has no masked byte loads: a
 * partial last channel block goes through an 8-byte copy on the stack, so no access leaves
 * the tensors (each block body is compiled twice, `tail` being a constant). */
#include <immintrin.h>
#include <string.h>

#include "../dwconv.h"
#include "requant_x86.h"

#define DW_LANES 8
#define DW_PIXELS 2
#define DW_TAIL_GENERIC 0
#define DW_ANY_CLIP 1
#define DW_TENSOR(t) lt_i8(t)
typedef int8_t dw_t;
typedef dwconv_i8_pack dw_pack;
typedef __m256i dw_acc, dw_x, dw_w;

typedef struct dw_konst {
    int32_t mask; /* channels in the last block when partial */
} dw_konst;

/* Whole windows start from bias_full and multiply the raw input; clipped ones start from
 * the bias and subtract the input zero point (dwconv.h). Then the output stage. */
typedef struct dw_blk {
    const int32_t *w; /* tap 0 of the block */
    __m256i bias, zp_in, mult, left, right, lo, hi, zp;
    int32_t mask;
} dw_blk;

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    (void)st;
    return (dw_konst){(int32_t)(c % DW_LANES)};
}

static DW_INLINE __m256i load8(const int32_t *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    return (dw_blk){pk->w + lane0 * pk->taps,
                    load8(clip ? pk->bias + lane0 : pk->bias_full + lane0),
                    _mm256_set1_epi32(pk->input_zero_point),
                    load8(pk->rq.mult + lane0),
                    load8(pk->rq.left + lane0),
                    load8(pk->rq.right + lane0),
                    _mm256_set1_epi32(pk->lo_minus_zp), _mm256_set1_epi32(pk->hi_minus_zp),
                    _mm256_set1_epi32(pk->output_zero_point), k->mask};
}

static DW_INLINE __m256i dw_load_w(const dw_blk *b, int64_t t) {
    return load8(b->w + t * DW_LANES);
}

static DW_INLINE __m256i dw_load_x(const dw_blk *b, const int8_t *p, bool tail, bool clip) {
    __m256i x;
    if (tail) {
        int8_t buf[DW_LANES] = {0};
        memcpy(buf, p, (size_t)b->mask);
        x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)buf));
    } else {
        x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    }
    return clip ? _mm256_sub_epi32(x, b->zp_in) : x;
}

static DW_INLINE __m256i dw_mac(__m256i acc, __m256i x, __m256i w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
}

static DW_INLINE void dw_store(const dw_blk *b, __m256i acc, int8_t *y, bool tail) {
    __m256i v = lt_requant_avx2(acc, b->mult, b->left, b->right);
    v = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, b->lo), b->hi), b->zp);
    /* the values are int8 already: the saturating packs only narrow */
    const __m128i v16 =
        _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const __m128i q = _mm_packs_epi16(v16, v16);
    if (tail) {
        int8_t buf[16];
        _mm_storeu_si128((__m128i *)buf, q);
        memcpy(y, buf, (size_t)b->mask);
    } else {
        _mm_storel_epi64((__m128i *)y, q);
    }
}

#include "../dwconv_rows.h"

void dwconv_i8_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
}
