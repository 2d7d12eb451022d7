/* DEPTHWISE_CONV_2D SIMD kernels (x86/dwconv_*.c, arm/dwconv_*_neon.c): the filter as they
 * read it, packed once at prepare by depthwise_f32_fast.c / depthwise_i8_fast.c, and the
 * kernels' entry points.
 *
 * Layout. NHWC puts a pixel's channels side by side, so the channels are the vector lanes:
 * a block of `lanes` channels (16 for AVX-512, 8 for AVX2 and NEON) advances through the
 * window tap by tap, one vector multiply-add per tap. The packed filter holds, per channel
 * block, one vector per tap in window order (row-major over ky, kx), zero-padded past the
 * last channel, so the tap loop streams contiguous vectors and the padding lanes add
 * nothing.
 *
 * Paths. Each output row segment is cut into spans: the pixels whose windows are whole
 * horizontally (columns [ox_lo, ox_hi)) form one span, and each pixel clipped at the left
 * or right edge is a span of its own. A span's pixels share the taps that lie inside the
 * input, so the kernels for the common windows (3x3, 5x5, known at compile time) keep the
 * filter vectors in registers across the span and test tap rows / columns once per span
 * instead of per tap; for 3x3 with stride 1 or 2 several neighbouring pixels also share
 * each loaded input column. Taps outside the input are skipped, as in the portable kernel.
 * Every output value gets the same operations in the same order whichever span or thread
 * computes it (the spans depend only on the position), so results do not depend on the
 * thread count.
 *
 * Covered: depth multiplier 1 (output channel c reads input channel c), constant filter
 * (and constant bias for float32), any window, stride, dilation and padding. Everything
 * else stays on the portable kernels (conv.c). */
#ifndef LITERT_KERNELS_DWCONV_H
#define LITERT_KERNELS_DWCONV_H

#include "arm/neon_build.h"
#include "conv_internal.h"

/* The kernels' small helpers: inlined whatever the optimizer's budget (their flags are
 * compile-time constants there). */
#define DW_INLINE inline __attribute__((always_inline))

/* Output indices [*lo, *hi) of one spatial dimension whose window (k taps `dilation`
 * apart, tap 0 at o * stride - pad) lies wholly inside [0, size). */
static inline void dwconv_interior(int32_t out, int32_t size, int32_t k, int32_t stride,
                                   int32_t dilation, int32_t pad, int32_t *lo, int32_t *hi) {
    /* first o with o * stride - pad >= 0 */
    int64_t l = pad <= 0 ? 0 : ((int64_t)pad + stride - 1) / stride;
    /* last tap o * stride - pad + (k - 1) * dilation <= size - 1 */
    const int64_t room = (int64_t)size - 1 - (int64_t)(k - 1) * dilation + pad;
    int64_t h = room < 0 ? 0 : room / stride + 1;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = (int32_t)l;
    *hi = (int32_t)h;
}

/* Splits output row segment `row` into pixels [ox0, *il) and [*ir, ox1), whose windows are
 * clipped at the left or right edge, and [*il, *ir), whose windows lie inside the input
 * horizontally (columns [ox_lo, ox_hi)). */
static inline void dwconv_row_split(int32_t ox_lo, int32_t ox_hi, const conv_row *row,
                                    int32_t *il, int32_t *ir) {
    const int32_t lo = row->ox0 > ox_lo ? row->ox0 : ox_lo;
    const int32_t hi = row->ox1 < ox_hi ? row->ox1 : ox_hi;
    *il = lo < hi ? lo : row->ox1;
    *ir = lo < hi ? hi : row->ox1;
}

/* float32: per channel block, the bias vector then one vector per tap. */
typedef struct dwconv_f32_pack {
    int32_t lanes;      /* channels per block: 8 (AVX2, NEON) or 16 (AVX-512) */
    int32_t blocks;     /* ceil(channels / lanes) */
    int32_t taps;       /* k_h * k_w */
    int32_t ox_lo, ox_hi; /* output columns whose windows are whole horizontally */
    const float *w;     /* [blocks][1 + taps][lanes] */
} dwconv_f32_pack;

/* int8. The products (x - input_zero_point) * w fit int16 (|x - zp| <= 255, |w| <= 128:
 * at most 32640), and so does each factor: a filter value is stored in the low 16 bits of
 * an int32 lane with the high 16 bits zero, so that PMADDWD (multiply 16-bit pairs, add
 * the two products) against an int32 lane holding a sign-extended factor yields the exact
 * int32 product (the high halves meet a zero). Accumulation is modulo 2^32 like the
 * portable kernel's, so any order gives the same bits.
 *
 * Whole windows read every tap, so sum (x - zp) * w = sum x * w - zp * sum w: they start
 * from bias_full = bias - zp * (sum of the channel's taps) and multiply the raw input;
 * clipped windows start from the bias and subtract zp from the input. */
typedef struct dwconv_i8_pack {
    int32_t lanes, blocks, taps;
    int32_t ox_lo, ox_hi;      /* output columns whose windows are whole horizontally */
    const int32_t *w;          /* [blocks][taps][lanes], low 16 bits as described */
    const int32_t *bias;       /* [blocks * lanes], zero padded */
    const int32_t *bias_full;  /* [blocks * lanes]: bias - zp * sum of taps (mod 2^32) */
    lt_requant_vec rq;         /* per-channel multipliers, padded to >= blocks * lanes */
    int32_t input_zero_point, output_zero_point;
    int32_t lo_minus_zp, hi_minus_zp; /* clamp before adding the zero point: no overflow */
} dwconv_i8_pack;

/* The lowest ISA level with a kernel in this build: NEON on AArch64, AVX2 on x86-64. */
#if defined(LT_NEON_KERNELS)
#define DWCONV_ISA_MIN LT_ISA_NEON
#else
#define DWCONV_ISA_MIN LT_ISA_AVX2
#endif

/* The kernels (conv_fn contract: output pixels [p0, p1), no scratch). */
void dwconv_f32_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
void dwconv_f32_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
void dwconv_i8_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
void dwconv_i8_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
/* AArch64 NEON (arm/dwconv_*_neon.c): 8 channels per block */
void dwconv_f32_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
void dwconv_i8_neon(const conv_args *a, void *scratch, int64_t p0, int64_t p1);

#endif
