/* float32 DEPTHWISE_CONV_2D, 16 channels per zmm (AVX-512F); layout and paths in dwconv.h,
 * the loops in dwconv_rows.h.
 *
 * Each output vector starts from the bias and takes one fused multiply-add per tap inside
 * the input, taps in window order (ky, then kx), whatever path computes it; then the clamp
 * min(hi, max(lo, y)) (MAXPS / MINPS return their second operand when either is NaN, so a
 * NaN passes through as in linear_clamp). TANH / SIGN_BIT run afterwards over the finished
 * outputs (linear_activation_post).
 *
 * The last channel block, when partial, uses masked loads and stores, which never touch
 * memory past the tensors' ends; full blocks use plain ones (a masked load costs an extra
 * ALU uop on Intel cores, competing with the FMAs), so each block body is compiled twice,
 * `tail` being a constant. */
#include <immintrin.h>

#include "../dwconv.h"

#define DW_LANES 16
#define DW_PIXELS 4
#define DW_TAIL_GENERIC 0
#define DW_ANY_CLIP 0
#define DW_TENSOR(t) lt_f32(t)
typedef float dw_t;
typedef dwconv_f32_pack dw_pack;
typedef __m512 dw_acc, dw_x, dw_w;

typedef struct dw_konst {
    __mmask16 mask; /* lanes of the last block that hold channels */
    __m512 lo, hi;
} dw_konst;

typedef struct dw_blk {
    const float *w; /* tap 0 of the block */
    __m512 bias, lo, hi;
    __mmask16 mask;
} dw_blk;

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    return (dw_konst){(__mmask16)((1u << (c % DW_LANES)) - 1u), _mm512_set1_ps(st->act.lo),
                      _mm512_set1_ps(st->act.hi)};
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    (void)clip;
    const float *w = pk->w + lane0 * ((int64_t)pk->taps + 1); /* the bias, then the taps */
    return (dw_blk){w + DW_LANES, _mm512_loadu_ps(w), k->lo, k->hi, k->mask};
}

static DW_INLINE __m512 dw_load_w(const dw_blk *b, int64_t t) {
    return _mm512_loadu_ps(b->w + t * DW_LANES);
}

static DW_INLINE __m512 dw_load_x(const dw_blk *b, const float *p, bool tail, bool clip) {
    (void)clip;
    return tail ? _mm512_maskz_loadu_ps(b->mask, p) : _mm512_loadu_ps(p);
}

static DW_INLINE __m512 dw_mac(__m512 acc, __m512 x, __m512 w) {
    return _mm512_fmadd_ps(x, w, acc);
}

static DW_INLINE void dw_store(const dw_blk *b, __m512 acc, float *y, bool tail) {
    const __m512 v = _mm512_min_ps(b->hi, _mm512_max_ps(b->lo, acc));
    if (tail) _mm512_mask_storeu_ps(y, b->mask, v);
    else _mm512_storeu_ps(y, v);
}

#include "../dwconv_rows.h"

void dwconv_f32_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
    linear_activation_post(&a->st->act, lt_f32(a->out) + p0 * a->st->g.out_c,
                           (p1 - p0) * a->st->g.out_c);
}
