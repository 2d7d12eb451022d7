/* int8 DEPTHWISE_CONV_2D for AArch64 NEON: 8 channels per block, two q registers of int32
 * accumulators; layout, exactness and paths in dwconv.h, the loops in dwconv_rows.h.
 *
 * Per tap: the input's 8 bytes sign-extended to int16 (minus the input zero point when the
 * window is clipped: |x - zp| <= 255 still fits), times the filter's int16 values (the low
 * halves of the packed int32 lanes, gathered by UZP1), widened and added by SMLAL /
 * SMLAL2: each product is exact (|255 * 128| < 2^15) and the additions wrap modulo 2^32
 * like the portable kernel's, so any order gives the same bits. Whole windows start from
 * bias_full and multiply the raw input; clipped ones start from the bias (dwconv.h).
 * Output: lt_neon_requant (TensorFlow Lite's double rounding, bit for bit), the clamp in
 * [lo - zp, hi - zp], + zp, narrowed to bytes. A partial last channel block (fewer than 8
 * channels) is read and written through an 8-byte copy on the stack and takes the generic
 * loop (the unrolled window kernels are compiled once, without a tail). */
#if defined(__aarch64__)
#include "../dwconv.h"
#include "neon_common.h"

typedef struct acc8 {
    int32x4_t v[2];
} acc8;

#define DW_LANES 8
#define DW_PIXELS 2
#define DW_TAIL_GENERIC 1
#define DW_ANY_CLIP 1
#define DW_TENSOR(t) lt_i8(t)
typedef int8_t dw_t;
typedef dwconv_i8_pack dw_pack;
typedef acc8 dw_acc;
typedef int16x8_t dw_x, dw_w;

typedef struct dw_konst {
    int32_t mask; /* channels in the last block when partial */
} dw_konst;

/* The block's filter, bias and output stage, loaded once per block. */
typedef struct dw_blk {
    const int32_t *w; /* tap 0 of the block */
    acc8 bias;
    int16x8_t zp_in;
    int32x4_t mult[2], left[2], neg_right[2];
    int32x4_t lo, hi, zp;
    int32_t mask;
} dw_blk;

static inline dw_konst dw_konst_make(const conv_state *st, int64_t c) {
    (void)st;
    return (dw_konst){(int32_t)(c % DW_LANES)};
}

static DW_INLINE dw_blk dw_blk_make(const dw_pack *pk, const dw_konst *k, int64_t lane0,
                                   bool clip) {
    const int32_t *bias = clip ? pk->bias + lane0 : pk->bias_full + lane0;
    dw_blk b = {.w = pk->w + lane0 * pk->taps,
                .bias = {{vld1q_s32(bias), vld1q_s32(bias + 4)}},
                .zp_in = vdupq_n_s16((int16_t)pk->input_zero_point),
                .lo = vdupq_n_s32(pk->lo_minus_zp),
                .hi = vdupq_n_s32(pk->hi_minus_zp),
                .zp = vdupq_n_s32(pk->output_zero_point),
                .mask = k->mask};
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        b.mult[h] = vld1q_s32(pk->rq.mult + lane0 + 4 * h);
        b.left[h] = vld1q_s32(pk->rq.left + lane0 + 4 * h);
        b.neg_right[h] = vnegq_s32(vld1q_s32(pk->rq.right + lane0 + 4 * h));
    }
    return b;
}

/* The eight int16 filter values of tap t from their int32 lanes (low halves). */
static DW_INLINE int16x8_t dw_load_w(const dw_blk *b, int64_t t) {
    const int32_t *p = b->w + t * DW_LANES;
    return vuzp1q_s16(vreinterpretq_s16_s32(vld1q_s32(p)),
                      vreinterpretq_s16_s32(vld1q_s32(p + 4)));
}

static DW_INLINE int16x8_t dw_load_x(const dw_blk *b, const int8_t *p, bool tail, bool clip) {
    int16x8_t x;
    if (tail) {
        int8_t buf[DW_LANES] = {0};
        memcpy(buf, p, (size_t)b->mask);
        x = vmovl_s8(vld1_s8(buf));
    } else {
        x = vmovl_s8(vld1_s8(p));
    }
    return clip ? vsubq_s16(x, b->zp_in) : x;
}

static DW_INLINE acc8 dw_mac(acc8 acc, int16x8_t x, int16x8_t w) {
    return (acc8){{vmlal_s16(acc.v[0], vget_low_s16(x), vget_low_s16(w)),
                   vmlal_high_s16(acc.v[1], x, w)}};
}

static DW_INLINE void dw_store(const dw_blk *b, acc8 acc, int8_t *y, bool tail) {
    int32x4_t v[2];
#pragma GCC unroll 2
    for (int h = 0; h < 2; h++) {
        v[h] = lt_neon_requant(acc.v[h], b->mult[h], b->left[h], b->neg_right[h]);
        v[h] = vaddq_s32(vminq_s32(vmaxq_s32(v[h], b->lo), b->hi), b->zp);
    }
    /* the values are int8 already: the saturating narrowings only narrow */
    const int8x8_t q = vqmovn_s16(vcombine_s16(vqmovn_s32(v[0]), vqmovn_s32(v[1])));
    if (tail) {
        int8_t buf[DW_LANES];
        vst1_s8(buf, q);
        memcpy(y, buf, (size_t)b->mask);
    } else {
        vst1_s8(y, q);
    }
}

#include "../dwconv_rows.h"

void dwconv_i8_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    dw_rows(a, p0, p1);
}
#endif
