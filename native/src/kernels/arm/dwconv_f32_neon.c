/* float32 DEPTHWISE_CONV_2D for AArch64 NEON: 8 channels per block (two q registers); layout
 * and paths in dwconv.h, the loops in dwconv_rows.h.
 *
 * Each output vector starts from the bias and takes one fused multiply-add per tap inside
 * the input, taps in window order (ky, then kx), whatever path computes it; then the clamp
 * (lt_neon_clamp_f32: the portable linear_clamp, NaN kept); TANH / SIGN_BIT afterwards.
 * For 3x3 windows with stride 1 or 2, PIXELS = 2 neighbouring pixels advance together,
 * sharing each loaded input column: 18 filter registers, 4 accumulators and the columns
 * fit the 32 vector registers. A partial last channel block (fewer than 8 channels) is
 * loaded and stored through a zero-padded copy on the stack, so no access leaves the
 * tensors; it takes the generic loop, so the unrolled window kernels are compiled once,
 * without a tail. */
#if defined(__aarch64__)
#include "../dwconv.h"
#include "neon_common.h"

typedef struct vec8 {
    float32x4_t v[2];
} vec8;

#define DW_LANES 8
#define DW_PIXELS 2
#define DW_TAIL_GENERIC 1
#define DW_ANY_CLIP 0
#define DW_TENSOR(t) lt_f32(t)
typedef float dw_t;
typedef dwconv_f32_pack dw_pack;
typedef vec8 dw_acc, dw_x, dw_w;

typedef struct dw_konst {
    int32_t mask; /* channels in the last block when partial */
    float lo, hi;
} dw_konst;

typedef struct dw_blk {
    const float *w; /* tap 0 of the block */
    vec8 bias;
    float32x4_t lo, hi;
    int32_t mask;
} dw_blk;

static LT_NEON_INLINE vec8 load8(const float *p) {
    return (vec8){{vld1q_f32(p), vld1q_f32(p + 4)}};
}

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    return (dw_konst){(int32_t)(c % DW_LANES), st->act.lo, st->act.hi};
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    (void)clip;
    const float *w = pk->w + lane0 * ((int64_t)pk->taps + 1); /* the bias, then the taps */
    return (dw_blk){w + DW_LANES, load8(w), vdupq_n_f32(k->lo), vdupq_n_f32(k->hi), k->mask};
}

static DW_INLINE vec8 dw_load_w(const dw_blk *b, int64_t t) {
    return load8(b->w + t * DW_LANES);
}

static DW_INLINE vec8 dw_load_x(const dw_blk *b, const float *p, bool tail, bool clip) {
    (void)clip;
    if (tail) {
        float buf[DW_LANES] = {0};
        memcpy(buf, p, (size_t)b->mask * sizeof(float));
        return load8(buf);
    }
    return load8(p);
}

static DW_INLINE vec8 dw_mac(vec8 acc, vec8 x, vec8 w) {
    return (vec8){{vfmaq_f32(acc.v[0], x.v[0], w.v[0]), vfmaq_f32(acc.v[1], x.v[1], w.v[1])}};
}

static DW_INLINE void dw_store(const dw_blk *b, vec8 acc, float *y, bool tail) {
    const float32x4_t lo = lt_neon_clamp_f32(acc.v[0], b->lo, b->hi);
    const float32x4_t hi = lt_neon_clamp_f32(acc.v[1], b->lo, b->hi);
    if (tail) {
        float buf[DW_LANES];
        vst1q_f32(buf, lo);
        vst1q_f32(buf + 4, hi);
        memcpy(y, buf, (size_t)b->mask * sizeof(float));
    } else {
        vst1q_f32(y, lo);
        vst1q_f32(y + 4, hi);
    }
}

#include "../dwconv_rows.h"

void dwconv_f32_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
    linear_activation_post(&a->st->act, lt_f32(a->out) + p0 * a->st->g.out_c,
                           (p1 - p0) * a->st->g.out_c);
}
#endif
