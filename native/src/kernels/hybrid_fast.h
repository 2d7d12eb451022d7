/* Hybrid CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (float32 input and output, int8
 * weights with zero points 0): the pieces shared by the ops (conv.c, fully_connected.c),
 * their SIMD kernels (conv2d_i8_fast.c, hybrid_fast.c, x86/hybrid_*.c, x86/gemm_i8_*.c)
 * and the input quantization.
 *
 * Every invoke quantizes the input asymmetrically to int8, one scale and zero point per
 * batch image (convolutions) or per row (FULLY_CONNECTED), exactly as
 * linear_quantize_row_asymmetric does, in two passes so that threads can share it:
 *   1. min and max (hybrid_minmax_fn over pieces of the values, combined in any order: the
 *      portable loop's rule, "v < lo: lo = v", started from the first value, gives the same
 *      min whatever the order, NaN values other than the first being skipped, and a NaN
 *      first value giving NaN; a min of 0.0 or -0.0 gives the same parameters);
 *   2. the parameters (hybrid_qparams_from_range, the portable function's double arithmetic
 *      line by line), then each value roundf(zp + x * inv) clamped (hybrid_quantize_fn; the
 *      SIMD versions do the same float multiply and add, unfused, and round half away from
 *      zero), which gives the same int8 values as the portable code for any cut.
 * The kernels then accumulate int8 x int8 products in int32 as the int8 kernels do and
 * scale back with bias + (float)acc * (input_scale * weight_scale[c]), in that order. */
#ifndef LITERT_KERNELS_HYBRID_FAST_H
#define LITERT_KERNELS_HYBRID_FAST_H

#include "conv_internal.h"
#include "fc_internal.h"

/* How one batch image / row is quantized. */
typedef struct hybrid_qparams {
    float scale;        /* what linear_quantize_row_asymmetric returns (1 for an empty range) */
    float inv;          /* the multiplier of each value */
    int32_t zero_point;
    bool zero;          /* empty range (min == max == 0): every value quantizes to 0 */
} hybrid_qparams;

/* The parameters of linear_quantize_row_asymmetric for values whose min is lo and max hi
 * (as its loop finds them): the same expressions in the same order. */
static inline void hybrid_qparams_from_range(float lo, float hi, hybrid_qparams *p) {
    const float rmin = fminf(0.0f, lo), rmax = fmaxf(0.0f, hi);
    if (rmin == rmax) {
        *p = (hybrid_qparams){.scale = 1.0f, .inv = 0.0f, .zero_point = 0, .zero = true};
        return;
    }
    const double qmin = -128.0, qmax = 127.0;
    const double scale = (double)(rmax - rmin) / (qmax - qmin);
    const double zp_from_min = qmin - rmin / scale, zp_from_max = qmax - rmax / scale;
    const double err_min = qmin + fabs(rmin / scale), err_max = qmax + fabs(rmax / scale);
    const double zp_d = err_min < err_max ? zp_from_min : zp_from_max;
    int32_t zp;
    /* written so that NaN (from an infinite input) falls to a bound, never to a conversion */
    if (!(zp_d > qmin)) zp = -128;
    else if (zp_d >= qmax) zp = 127;
    else zp = (int32_t)round(zp_d);
    const float scale_f = (float)scale;
    *p = (hybrid_qparams){.scale = scale_f, .inv = (float)(1.0 / (double)scale_f),
                          .zero_point = zp, .zero = false};
}

/* Folds n >= 0 values into *lo / *hi (started from the image's or row's first value) with
 * the portable loop's comparisons. */
typedef void (*hybrid_minmax_fn)(const float *x, int64_t n, float *lo, float *hi);
/* q[i] = the int8 value of x[i] under p (p->zero: 0), i < n. */
typedef void (*hybrid_quantize_fn)(const float *x, int64_t n, const hybrid_qparams *p,
                                   int8_t *q);

/* q[i] = (float)(the int8 value of x[i] under p - p->zero_point), exact integers in
 * [-255, 255]: the depthwise SIMD kernels' input (dw_hybrid_pack). */
typedef void (*hybrid_quantize_f32_fn)(const float *x, int64_t n, const hybrid_qparams *p,
                                       float *q);

void hybrid_minmax_portable(const float *x, int64_t n, float *lo, float *hi);
void hybrid_quantize_portable(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q);
#if defined(LITERT_X86_KERNELS)
void hybrid_minmax_avx2(const float *x, int64_t n, float *lo, float *hi);
void hybrid_quantize_avx2(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q);
void hybrid_minmax_avx512(const float *x, int64_t n, float *lo, float *hi);
void hybrid_quantize_avx512(const float *x, int64_t n, const hybrid_qparams *p, int8_t *q);
void hybrid_quantize_f32_avx2(const float *x, int64_t n, const hybrid_qparams *p, float *q);
void hybrid_quantize_f32_avx512(const float *x, int64_t n, const hybrid_qparams *p, float *q);
#endif

/* The quantization functions of the interpreter's ISA level. */
void hybrid_quant_pick(const lt_context *ctx, hybrid_minmax_fn *minmax,
                       hybrid_quantize_fn *quantize);

/* ---- CONV_2D / DEPTHWISE_CONV_2D ---------------------------------------------------------
 * conv.c's hybrid plan, st->fast of a hybrid integer kernel. The node's scratch holds the
 * threads' slots (st->slot_bytes each) first, then the quantized input (every batch image,
 * quantized before the pixels are split over the threads), the images' parameters, and
 * the min/max of each (image, piece) of the first pass. The kernels (st->fn) compute any
 * range of pixels from the quantized input, with a->scratch the start of the scratch. */
typedef struct conv_hybrid {
    hybrid_minmax_fn minmax;
    hybrid_quantize_fn quantize;
    hybrid_quantize_f32_fn quantize_f32; /* set: the input is stored as centered floats */
    int64_t image;        /* values per batch image */
    int32_t pieces;       /* pieces each image is cut into for the quantization (threads) */
    size_t input_at;      /* int8 [batch][image] (float with quantize_f32) */
    size_t params_at;     /* hybrid_qparams [batch] */
    size_t ranges_at;     /* float [batch][pieces][2]: min, max */
    const void *kernel;   /* the SIMD kernel's prepared data, NULL for the portable kernel */
} conv_hybrid;

static inline const int8_t *conv_hybrid_input(const conv_args *a, const conv_hybrid *h) {
    return (const int8_t *)(a->scratch + h->input_at);
}
static inline const float *conv_hybrid_input_f32(const conv_args *a, const conv_hybrid *h) {
    return (const float *)(const void *)(a->scratch + h->input_at);
}
static inline const hybrid_qparams *conv_hybrid_params(const conv_args *a,
                                                       const conv_hybrid *h) {
    return (const hybrid_qparams *)(const void *)(a->scratch + h->params_at);
}

/* SIMD kernels, called by conv.c once the portable hybrid kernel is set (st->fn,
 * st->channel_scale, st->slot_bytes): when the ISA level has one for this case they replace
 * st->fn, set st->slot_bytes and h->kernel; otherwise they change nothing. LT_ERROR only
 * for a failure (memory, sizes). */
lt_status conv2d_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                     conv_hybrid *h);
lt_status depthwise_hybrid_fast_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                        conv_hybrid *h);

/* The depthwise SIMD kernels' filter (x86/hybrid_dw_*.c): depth multiplier 1, constant
 * filter and bias, per channel block of `lanes` channels one vector per tap in window order
 * (ky, kx), padding lanes zero. They run in float on exact integers: the input is stored as
 * x_q - zero_point (hybrid_quantize_f32_fn, |.| <= 255), the filter as its int8 values, so
 * every product and every partial sum of a window is an integer below
 * taps * 255 * 128 <= 2^24 in magnitude (taps <= DW_HYBRID_MAX_TAPS), which float32 holds
 * exactly: the FMA sums equal the portable kernel's int32 sums in any order, with no
 * wrapping possible. Taps in the padding are skipped (they would add x_q - zp = 0). */
enum { DW_HYBRID_MAX_TAPS = 514 };
typedef struct dw_hybrid_pack {
    int32_t lanes, blocks, taps;
    const float *w;        /* [blocks][taps][lanes] */
    const float *scale;    /* [blocks * lanes] */
    const float *bias;     /* [blocks * lanes], zeros when the op has none */
} dw_hybrid_pack;

#if defined(LITERT_X86_KERNELS)
void depthwise_hybrid_avx2(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
void depthwise_hybrid_avx512(const conv_args *a, void *scratch, int64_t p0, int64_t p1);
#endif

/* ---- FULLY_CONNECTED ---------------------------------------------------------------------
 * The rows are quantized first (node scratch: int8 [rows][depth], then hybrid_qparams
 * [rows]); fn computes units [u0, u1) of every row from them. */
typedef struct fc_hybrid fc_hybrid;
typedef void (*fc_hybrid_fn)(const fc_state *st, const int8_t *w, const int8_t *xq,
                             const hybrid_qparams *params, const float *bias, float *y,
                             int64_t u0, int64_t u1);
struct fc_hybrid {
    hybrid_minmax_fn minmax;
    hybrid_quantize_fn quantize;
    fc_hybrid_fn fn;
    size_t params_at;
    const void *kernel;   /* the SIMD kernel's prepared data */
};

/* Replaces h->fn (set to the portable kernel) when the ISA level has a faster one, and
 * sets h->kernel. */
lt_status fc_hybrid_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st, fc_hybrid *h);

#endif
