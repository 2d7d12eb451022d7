/* int8 DEPTHWISE_CONV_2D, 16 channels per zmm of int32 accumulators (AVX-512F/BW/VL);
 * layout, the exact 16-bit products and the paths in dwconv.h, the loops in dwconv_rows.h.
 *
 * Per tap: 16 input bytes sign-extended to int32 (minus the input zero point when the
 * window is clipped), VPMADDWD against the tap's packed filter lanes (the exact product),
 * added to the accumulators modulo 2^32. Then TensorFlow Lite's requantization bit for bit
 * (lt_requant_avx512), the clamp in [lo - zp, hi - zp] followed by + zp (equal to clamping
 * after adding, without overflow), and the narrowing store. The last channel block, when
 * partial, uses masked byte loads and stores, which never touch memory past the tensors'
 * ends; full blocks use plain ones (each block body is compiled twice, `tail` being a
 * constant). */
#include <immintrin.h>

#include "../dwconv.h"
#include "requant_x86.h"

#define DW_LANES 16
#define DW_PIXELS 4
#define DW_TAIL_GENERIC 0
#define DW_ANY_CLIP 1
#define DW_TENSOR(t) lt_i8(t)
typedef int8_t dw_t;
typedef dwconv_i8_pack dw_pack;
typedef __m512i dw_acc, dw_x, dw_w;

typedef struct dw_konst {
    __mmask16 mask; /* lanes of the last block that hold channels */
} dw_konst;

/* Whole windows start from bias_full and multiply the raw input; clipped ones start from
 * the bias and subtract the input zero point (dwconv.h). Then the output stage. */
typedef struct dw_blk {
    const int32_t *w; /* tap 0 of the block */
    __m512i bias, zp_in, mult, left, right, lo, hi, zp;
    __mmask16 mask;
} dw_blk;

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    (void)st;
    return (dw_konst){(__mmask16)((1u << (c % DW_LANES)) - 1u)};
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    return (dw_blk){pk->w + lane0 * pk->taps,
                    _mm512_loadu_si512(clip ? pk->bias + lane0 : pk->bias_full + lane0),
                    _mm512_set1_epi32(pk->input_zero_point),
                    _mm512_loadu_si512(pk->rq.mult + lane0),
                    _mm512_loadu_si512(pk->rq.left + lane0),
                    _mm512_loadu_si512(pk->rq.right + lane0),
                    _mm512_set1_epi32(pk->lo_minus_zp), _mm512_set1_epi32(pk->hi_minus_zp),
                    _mm512_set1_epi32(pk->output_zero_point), k->mask};
}

static DW_INLINE __m512i dw_load_w(const dw_blk *b, int64_t t) {
    return _mm512_loadu_si512(b->w + t * DW_LANES);
}

static DW_INLINE __m512i dw_load_x(const dw_blk *b, const int8_t *p, bool tail, bool clip) {
    const __m128i v =
        tail ? _mm_maskz_loadu_epi8(b->mask, p) : _mm_loadu_si128((const __m128i *)p);
    const __m512i x = _mm512_cvtepi8_epi32(v);
    return clip ? _mm512_sub_epi32(x, b->zp_in) : x;
}

static DW_INLINE __m512i dw_mac(__m512i acc, __m512i x, __m512i w) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(x, w));
}

static DW_INLINE void dw_store(const dw_blk *b, __m512i acc, int8_t *y, bool tail) {
    __m512i v = lt_requant_avx512(acc, b->mult, b->left, b->right);
    v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, b->lo), b->hi), b->zp);
    const __m128i q = _mm512_cvtepi32_epi8(v); /* in [-128, 127]: truncation is exact */
    if (tail) _mm_mask_storeu_epi8(y, b->mask, q);
    else _mm_storeu_si128((__m128i *)y, q);
}

#include "../dwconv_rows.h"

void dwconv_i8_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
}
