/* float32 DEPTHWISE_CONV_2D, 8 channels per ymm (AVX2 + FMA); layout and paths in dwconv.h,
 * the loops in dwconv_rows.h, arithmetic as in dwconv_f32_avx512.c (from the bias, one
 * fused multiply-add per tap inside the input in window order, then the NaN-preserving
 * clamp min(hi, max(lo, y)); TANH / SIGN_BIT afterwards). With 16 vector registers,
 * PIXELS = 2 pixels advance together. The last channel block, when partial, uses
 * VMASKMOVPS loads and stores, which do not touch the masked-off lanes' memory; full blocks
 * use plain ones (each block body is compiled twice, `tail` being a constant). */
#include <immintrin.h>

#include "../dwconv.h"

#define DW_LANES 8
#define DW_PIXELS 2
#define DW_TAIL_GENERIC 0
#define DW_ANY_CLIP 0
#define DW_TENSOR(t) lt_f32(t)
typedef float dw_t;
typedef dwconv_f32_pack dw_pack;
typedef __m256 dw_acc, dw_x, dw_w;

typedef struct dw_konst {
    __m256i mask; /* lanes of the last block that hold channels */
    __m256 lo, hi;
} dw_konst;

typedef struct dw_blk {
    const float *w; /* tap 0 of the block */
    __m256 bias, lo, hi;
    __m256i mask;
} dw_blk;

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    return (dw_konst){_mm256_cmpgt_epi32(_mm256_set1_epi32((int)(c % DW_LANES)),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                      _mm256_set1_ps(st->act.lo), _mm256_set1_ps(st->act.hi)};
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    (void)clip;
    const float *w = pk->w + lane0 * ((int64_t)pk->taps + 1); /* the bias, then the taps */
    return (dw_blk){w + DW_LANES, _mm256_loadu_ps(w), k->lo, k->hi, k->mask};
}

static DW_INLINE __m256 dw_load_w(const dw_blk *b, int64_t t) {
    return _mm256_loadu_ps(b->w + t * DW_LANES);
}

static DW_INLINE __m256 dw_load_x(const dw_blk *b, const float *p, bool tail, bool clip) {
    (void)clip;
    return tail ? _mm256_maskload_ps(p, b->mask) : _mm256_loadu_ps(p);
}

static DW_INLINE __m256 dw_mac(__m256 acc, __m256 x, __m256 w) {
    return _mm256_fmadd_ps(x, w, acc);
}

static DW_INLINE void dw_store(const dw_blk *b, __m256 acc, float *y, bool tail) {
    const __m256 v = _mm256_min_ps(b->hi, _mm256_max_ps(b->lo, acc));
    if (tail) _mm256_maskstore_ps(y, b->mask, v);
    else _mm256_storeu_ps(y, v);
}

#include "../dwconv_rows.h"

void dwconv_f32_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
    linear_activation_post(&a->st->act, lt_f32(a->out) + p0 * a->st->g.out_c,
                           (p1 - p0) * a->st->g.out_c);
}
