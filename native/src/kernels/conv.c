/* CONV_2D and DEPTHWISE_CONV_2D: reference kernels (float32).
 *
 * CONV_2D: input [N, H, W, C], filter [O, KH, KW, C / groups], optional bias [O] (input 2,
 * omitted or -1), output [N, OH, OW, O]. When the filter has fewer input channels than the
 * input, the convolution is grouped: groups = C / filter_c, and output channel o reads input
 * channels [g * filter_c, (g + 1) * filter_c) with g = o / (O / groups).
 *
 * DEPTHWISE_CONV_2D: filter [1, KH, KW, C * M]; output channel c * M + m reads input
 * channel c only. The depth multiplier M is taken from the shapes (filter channels / input
 * channels), as TensorFlow Lite does: the option repeats it and TensorFlow Lite ignores it,
 * so a stale value in a file does not change the result here either.
 *
 * Both: SAME / VALID padding, strides, dilations, fused activation (clamps, and TANH /
 * SIGN_BIT applied after; TensorFlow Lite's conv kernels silently treat those two as NONE).
 * Bias is optional here; TensorFlow Lite's CONV_2D insists on it.
 *
 * Each output value is sum over valid taps of input * filter, then + bias, then the
 * activation. Windows are clipped to the taps inside the input (padding reads nothing).
 * prepare picks a kernel by type (conv_fn):
 *   float32: the reference kernels below;
 *   int8 input, int8 filter (per-channel scales along dimension 0 for CONV_2D, 3 for
 *     DEPTHWISE_CONV_2D, or one scale; zero point 0), optional int32 bias, int8 output:
 *     int32 accumulation of (input - input_zero_point) * filter (padding taps, which hold
 *     the input's zero point in TensorFlow Lite, contribute nothing and are skipped), plus
 *     bias, then integer-only requantization with the per-channel Q31 multipliers computed
 *     at prepare (lt_requantize): TensorFlow Lite's reference kernels (ConvPerChannel,
 *     DepthwiseConvPerChannel) bit for bit;
 *   hybrid, float32 input and output with int8 filter (zero points 0): TensorFlow Lite's
 *     hybrid arithmetic as its default kernels (XNNPACK) compute it: each batch image is
 *     quantized to int8 asymmetrically (linear_quantize_row_asymmetric over all its values),
 *     the same int32 accumulation as the int8 kernels runs with that zero point (padding
 *     taps hold it, i.e. real zero, and are skipped), and the output is
 *     bias + (float)acc * (input_scale * filter_scale[c]): within 2e-7 of the default
 *     kernels' magnitude. TensorFlow Lite's reference kernels quantize symmetrically when the
 *     filter has one scale (about 1% apart then); the default is followed. A filter with
 *     nonzero zero points is dequantized at prepare and the float kernel runs instead
 *     (linear_hybrid_weights).
 *
 * Sparse filter (Tensor.sparsity, CONV_2D only): a 1x1 convolution with stride 1 and one
 * group is a FULLY_CONNECTED over the pixels (rows = batch * height * width, depth = input
 * channels, units = output channels), so float32 input with a sparse float32 filter runs the
 * same row-compressed kernel as sparse FULLY_CONNECTED: only stored weights are multiplied,
 * and the time falls as sparsity rises. At ISA levels with the SIMD float GEMM, unless the
 * filter is very sparse (conv_densify_cheaper: from about 97 % on a 28x28 image), the filter
 * is instead densified once at prepare and runs the dense SIMD path, with results equal to
 * the dense model's bit for bit. Any other sparse filter (larger window, strides,
 * groups, int8 or hybrid) is rejected at prepare with a pointer to DENSIFY.
 *
 * Threads: the float32, int8 and hybrid kernels compute any range of output pixels (batch x
 * height x width flattened), so invoke cuts the pixels into one contiguous share per thread
 * (lt_ctx_parallel_for); each value's arithmetic is the same whatever the cut, so results
 * are bit-identical for any num_threads. The hybrid kernels first quantize every batch image
 * into the scratch (conv_hybrid_quantize: min / max, then the values, each pass cut into
 * pieces over the threads; hybrid_fast.h says why the int8 values do not depend on the
 * cut). The sparse kernel runs on one thread. SIMD hybrid kernels: conv2d_i8_fast.c
 * (CONV_2D on the int8 GEMM) and hybrid_fast.c (DEPTHWISE_CONV_2D). */
#include "alloc.h"
#include "conv_internal.h"
#include "gemm_f32.h"
#include "hybrid_fast.h"
#include "sparse_walk.h"

/* ---- float32 kernels --------------------------------------------------------------------- */

static void conv2d_f32(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const lt_tensor *in_t = a->in, *filter_t = a->filter;
    const conv_geometry *g = &st->g;
    const float *in = lt_f32(in_t);
    const float *filter = lt_f32(filter_t);
    const float *bias = a->bias != NULL ? lt_f32(a->bias) : NULL;
    float *y = lt_f32(a->out) + p0 * g->out_c;
    const int64_t in_px = g->in_c, in_row = (int64_t)g->in_w * in_px;
    const int64_t in_image = in_row * g->in_h;
    const int64_t f_tap = st->filter_c, f_row = f_tap * g->k_w, f_out = f_row * g->k_h;
    /* With one group and no horizontal dilation, the taps of one filter row are contiguous
     * in both the input and the filter: one dot product covers the whole row. */
    const bool row_contiguous = g->dilation_w == 1 && st->filter_c == g->in_c;
    const float lo = st->act.lo, hi = st->act.hi;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const float *image = in + (int64_t)row.b * in_image;
        const int32_t oy = row.oy;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            const int64_t taps_w = kx1 > kx0 ? kx1 - kx0 : 0;
            /* A dilated window can miss the input entirely: then no row is read. */
            const int32_t ky_end = taps_w > 0 ? ky1 : ky0;
            for (int32_t o = 0; o < g->out_c; o++) {
                const int64_t ch0 = (int64_t)(o / st->out_per_group) * st->filter_c;
                const float *w = filter + o * f_out;
                float acc = 0.0f;
                for (int32_t ky = ky0; ky < ky_end; ky++) {
                    const float *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row +
                                         (x0 + (int64_t)kx0 * g->dilation_w) * in_px + ch0;
                    const float *w_row = w + ky * f_row + kx0 * f_tap;
                    if (row_contiguous) {
                        acc += linear_dot_f32(x_row, w_row, taps_w * f_tap);
                        continue;
                    }
                    for (int64_t t = 0; t < taps_w; t++)
                        acc += linear_dot_f32(x_row + t * g->dilation_w * in_px,
                                              w_row + t * f_tap, f_tap);
                }
                if (bias != NULL) acc += bias[o];
                y[o] = linear_clamp(acc, lo, hi);
            }
            linear_activation_post(&st->act, y, g->out_c);
            y += g->out_c;
        }
    }
}

static void depthwise_conv2d_f32(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const lt_tensor *in_t = a->in, *filter_t = a->filter;
    const conv_geometry *g = &st->g;
    const float *in = lt_f32(in_t);
    const float *filter = lt_f32(filter_t);
    const float *bias = a->bias != NULL ? lt_f32(a->bias) : NULL;
    float *y = lt_f32(a->out) + p0 * g->out_c;
    const int32_t m_count = st->depth_multiplier, in_c = g->in_c, out_c = g->out_c;
    const int64_t in_row = (int64_t)g->in_w * in_c, in_image = in_row * g->in_h;
    const float lo = st->act.lo, hi = st->act.hi;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const float *image = in + (int64_t)row.b * in_image;
        const int32_t oy = row.oy;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            /* The output pixel is the accumulator: all its channels advance together,
             * tap by tap, which reads input and filter contiguously. */
            for (int32_t c = 0; c < out_c; c++) y[c] = 0.0f;
            for (int32_t ky = ky0; ky < ky1; ky++) {
                const float *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row;
                const float *w_row = filter + (int64_t)ky * g->k_w * out_c;
                for (int32_t kx = kx0; kx < kx1; kx++) {
                    const float *x = x_row + (x0 + (int64_t)kx * g->dilation_w) * in_c;
                    const float *w = w_row + (int64_t)kx * out_c;
                    if (m_count == 1) {
                        for (int32_t c = 0; c < out_c; c++) y[c] += x[c] * w[c];
                    } else {
                        for (int32_t c = 0; c < in_c; c++) {
                            const float xv = x[c];
                            float *yc = y + (int64_t)c * m_count;
                            const float *wc = w + (int64_t)c * m_count;
                            for (int32_t m = 0; m < m_count; m++) yc[m] += xv * wc[m];
                        }
                    }
                }
            }
            for (int32_t c = 0; c < out_c; c++)
                y[c] = linear_clamp(bias != NULL ? y[c] + bias[c] : y[c], lo, hi);
            linear_activation_post(&st->act, y, out_c);
            y += out_c;
        }
    }
}

/* Sparse 1x1 filter: the pixels are rows of in_c values and the output rows of out_c
 * values, as in FULLY_CONNECTED. CONV_SPARSE_TILE pixels are processed together: the tile is
 * first transposed into the node's scratch (channel-major, CONV_SPARSE_TILE values per
 * channel, lanes past the last pixel zero), so that each stored weight, loaded once, updates
 * all the tile's sums with one contiguous multiply-add the compiler vectorizes. */
enum { CONV_SPARSE_TILE = 8 };

/* Cost model choosing between the sparse kernel and the GEMM on the densified filter, in
 * units of 0.01 ns, the one sparse FULLY_CONNECTED uses (fully_connected.c), which fits the
 * 1x1 conv too. Measured (AVX2, 28x28x256 -> 256, one thread): the GEMM 0.65 ms at any
 * sparsity; the sparse kernel 2.38 / 1.22 / 0.75 / 0.51 / 0.27 ms at 90 / 95 / 97 / 98 /
 * 99 %: the model switches to the sparse kernel from about 97 %. */
static bool conv_densify_cheaper(int64_t pixels, int64_t stored, int64_t elements,
                                 int32_t width) {
    const double sparse = (double)pixels * (double)stored * (width > 1 ? 27.0 : 40.0);
    const double dense = (double)elements * (17.0 + 1.2 * (double)pixels);
    return dense < sparse;
}

static void conv2d_sparse_1x1_f32(const conv_args *a, void *scratch, int64_t p_begin,
                                  int64_t p_end) {
    (void)p_begin; /* not split: always the whole output */
    (void)p_end;
    const conv_state *st = a->st;
    const lt_tensor *in_t = a->in, *bias_t = a->bias; /* the filter is read through st->sparse */
    lt_tensor *out_t = a->out;
    float *xt = scratch; /* [in_c][CONV_SPARSE_TILE] */
    const conv_sparse *sp = &st->sparse;
    const conv_geometry *g = &st->g;
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    const int64_t k = g->in_c, n = g->out_c;
    const int64_t pixels = (int64_t)g->batch * g->out_h * g->out_w;
    const float lo = st->act.lo, hi = st->act.hi;
    const int32_t width = sp->width;
    for (int64_t p0 = 0; p0 < pixels; p0 += CONV_SPARSE_TILE) {
        const int64_t tile = pixels - p0 < CONV_SPARSE_TILE ? pixels - p0 : CONV_SPARSE_TILE;
        const float *x = lt_f32(in_t) + p0 * k;
        float *y = lt_f32(out_t) + p0 * n;
        for (int64_t c = 0; c < k; c++) {
            float *lane = xt + c * CONV_SPARSE_TILE;
            for (int64_t t = 0; t < tile; t++) lane[t] = x[t * k + c];
            for (int64_t t = tile; t < CONV_SPARSE_TILE; t++) lane[t] = 0.0f;
        }
        for (int64_t o = 0; o < n; o++) {
            float acc[CONV_SPARSE_TILE] = {0.0f};
            const int32_t e_end = sp->row_ptr[o + 1];
            if (width == 1) {
                for (int32_t e = sp->row_ptr[o]; e < e_end; e++) {
                    const float w = sp->values[e];
                    const float *xc = xt + (int64_t)sp->col[e] * CONV_SPARSE_TILE;
                    for (int t = 0; t < CONV_SPARSE_TILE; t++) acc[t] += xc[t] * w;
                }
            } else {
                for (int32_t e = sp->row_ptr[o]; e < e_end; e++) {
                    const float *w = sp->values + (int64_t)e * width;
                    const float *xc = xt + (int64_t)sp->col[e] * CONV_SPARSE_TILE;
                    for (int32_t j = 0; j < width; j++, xc += CONV_SPARSE_TILE)
                        for (int t = 0; t < CONV_SPARSE_TILE; t++) acc[t] += xc[t] * w[j];
                }
            }
            for (int64_t t = 0; t < tile; t++) {
                float v = acc[t];
                if (bias != NULL) v += bias[o];
                y[t * n + o] = linear_clamp(v, lo, hi);
            }
        }
        for (int64_t t = 0; t < tile; t++) linear_activation_post(&st->act, y + t * n, n);
    }
}

/* ---- int8 kernels ------------------------------------------------------------------------ */

static void conv2d_i8(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const lt_tensor *in_t = a->in, *filter_t = a->filter;
    const conv_geometry *g = &st->g;
    const linear_quant *q = &st->q;
    const int8_t *in = lt_i8(in_t);
    const int8_t *filter = lt_i8(filter_t);
    int8_t *y = lt_i8(a->out) + p0 * g->out_c;
    const int64_t in_px = g->in_c, in_row = (int64_t)g->in_w * in_px;
    const int64_t in_image = in_row * g->in_h;
    const int64_t f_tap = st->filter_c, f_row = f_tap * g->k_w, f_out = f_row * g->k_h;
    const bool row_contiguous = g->dilation_w == 1 && st->filter_c == g->in_c;
    const int32_t zp = q->input_zero_point;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const int8_t *image = in + (int64_t)row.b * in_image;
        const int32_t oy = row.oy;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            const int64_t taps_w = kx1 > kx0 ? kx1 - kx0 : 0;
            const int32_t ky_end = taps_w > 0 ? ky1 : ky0;
            for (int32_t o = 0; o < g->out_c; o++) {
                const int64_t ch0 = (int64_t)(o / st->out_per_group) * st->filter_c;
                const int8_t *w = filter + o * f_out;
                uint32_t acc = (uint32_t)q->bias[o];
                for (int32_t ky = ky0; ky < ky_end; ky++) {
                    const int8_t *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row +
                                          (x0 + (int64_t)kx0 * g->dilation_w) * in_px + ch0;
                    const int8_t *w_row = w + ky * f_row + kx0 * f_tap;
                    if (row_contiguous) {
                        acc += linear_dot_i8(x_row, zp, w_row, taps_w * f_tap);
                        continue;
                    }
                    for (int64_t t = 0; t < taps_w; t++)
                        acc += linear_dot_i8(x_row + t * g->dilation_w * in_px, zp,
                                             w_row + t * f_tap, f_tap);
                }
                y[o] = (int8_t)lt_requantize(linear_acc_i32(acc), q->mult[o],
                                             q->output_zero_point, q->lo, q->hi);
            }
            y += g->out_c;
        }
    }
}

/* Accumulates in the node's scratch (out_c values kept modulo 2^32), one output pixel at a
 * time, tap by tap like the float kernel. */
static void depthwise_conv2d_i8(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    const conv_state *st = a->st;
    const lt_tensor *in_t = a->in, *filter_t = a->filter;
    uint32_t *acc = scratch;
    const conv_geometry *g = &st->g;
    const linear_quant *q = &st->q;
    const int8_t *in = lt_i8(in_t);
    const int8_t *filter = lt_i8(filter_t);
    int8_t *y = lt_i8(a->out) + p0 * g->out_c;
    const int32_t m_count = st->depth_multiplier, in_c = g->in_c, out_c = g->out_c;
    const int64_t in_row = (int64_t)g->in_w * in_c, in_image = in_row * g->in_h;
    const int32_t zp = q->input_zero_point;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const int8_t *image = in + (int64_t)row.b * in_image;
        const int32_t oy = row.oy;
        const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            for (int32_t c = 0; c < out_c; c++) acc[c] = (uint32_t)q->bias[c];
            for (int32_t ky = ky0; ky < ky1; ky++) {
                const int8_t *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row;
                const int8_t *w_row = filter + (int64_t)ky * g->k_w * out_c;
                for (int32_t kx = kx0; kx < kx1; kx++) {
                    const int8_t *x = x_row + (x0 + (int64_t)kx * g->dilation_w) * in_c;
                    const int8_t *w = w_row + (int64_t)kx * out_c;
                    if (m_count == 1) {
                        for (int32_t c = 0; c < out_c; c++)
                            acc[c] += (uint32_t)(((int32_t)x[c] - zp) * w[c]);
                    } else {
                        for (int32_t c = 0; c < in_c; c++) {
                            const int32_t xv = (int32_t)x[c] - zp;
                            uint32_t *ac = acc + (int64_t)c * m_count;
                            const int8_t *wc = w + (int64_t)c * m_count;
                            for (int32_t m = 0; m < m_count; m++)
                                ac[m] += (uint32_t)(xv * wc[m]);
                        }
                    }
                }
            }
            for (int32_t c = 0; c < out_c; c++)
                y[c] = (int8_t)lt_requantize(linear_acc_i32(acc[c]), q->mult[c],
                                             q->output_zero_point, q->lo, q->hi);
            y += out_c;
        }
    }
}

/* ---- hybrid kernels ---------------------------------------------------------------------- */

/* The depthwise hybrid kernel's slot: out_c int32 accumulators. */
static size_t conv_hybrid_acc_bytes(const conv_state *st) {
    return ((size_t)st->g.out_c * sizeof(uint32_t) + 63) / 64 * 64;
}

/* The loops of conv2d_i8 over pixels [p0, p1), on the batch images quantized at invoke
 * (conv_hybrid_invoke), with a float epilogue. */
static void conv2d_hybrid(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    (void)scratch;
    const conv_state *st = a->st;
    const conv_hybrid *h = st->fast;
    const int8_t *in = conv_hybrid_input(a, h);
    const hybrid_qparams *params = conv_hybrid_params(a, h);
    const conv_geometry *g = &st->g;
    const int8_t *filter = lt_i8(a->filter);
    const float *bias = a->bias != NULL ? lt_f32(a->bias) : NULL;
    float *y = lt_f32(a->out) + p0 * g->out_c;
    const int64_t in_px = g->in_c, in_row = (int64_t)g->in_w * in_px;
    const int64_t in_image = in_row * g->in_h;
    const int64_t f_tap = st->filter_c, f_row = f_tap * g->k_w, f_out = f_row * g->k_h;
    const bool row_contiguous = g->dilation_w == 1 && st->filter_c == g->in_c;
    const float lo = st->act.lo, hi = st->act.hi;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const int8_t *image = in + (int64_t)row.b * in_image;
        const int32_t zp = params[row.b].zero_point;
        const float in_scale = params[row.b].scale;
        const int64_t y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            const int64_t taps_w = kx1 > kx0 ? kx1 - kx0 : 0;
            const int32_t ky_end = taps_w > 0 ? ky1 : ky0;
            for (int32_t o = 0; o < g->out_c; o++) {
                const int64_t ch0 = (int64_t)(o / st->out_per_group) * st->filter_c;
                const int8_t *w = filter + o * f_out;
                uint32_t acc = 0;
                for (int32_t ky = ky0; ky < ky_end; ky++) {
                    const int8_t *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row +
                                          (x0 + (int64_t)kx0 * g->dilation_w) * in_px + ch0;
                    const int8_t *w_row = w + ky * f_row + kx0 * f_tap;
                    if (row_contiguous) {
                        acc += linear_dot_i8(x_row, zp, w_row, taps_w * f_tap);
                        continue;
                    }
                    for (int64_t t = 0; t < taps_w; t++)
                        acc += linear_dot_i8(x_row + t * g->dilation_w * in_px, zp,
                                             w_row + t * f_tap, f_tap);
                }
                float v = bias != NULL ? bias[o] : 0.0f;
                v += (float)linear_acc_i32(acc) * (in_scale * st->channel_scale[o]);
                y[o] = linear_clamp(v, lo, hi);
            }
            linear_activation_post(&st->act, y, g->out_c);
            y += g->out_c;
        }
    }
}

/* The loops of depthwise_conv2d_i8 over pixels [p0, p1), on the batch images quantized at
 * invoke, with a float epilogue; the accumulators in the thread's slot. */
static void depthwise_conv2d_hybrid(const conv_args *a, void *scratch, int64_t p0, int64_t p1) {
    const conv_state *st = a->st;
    const conv_hybrid *h = st->fast;
    const int8_t *in = conv_hybrid_input(a, h);
    const hybrid_qparams *params = conv_hybrid_params(a, h);
    uint32_t *acc = scratch;
    const conv_geometry *g = &st->g;
    const int8_t *filter = lt_i8(a->filter);
    const float *bias = a->bias != NULL ? lt_f32(a->bias) : NULL;
    float *y = lt_f32(a->out) + p0 * g->out_c;
    const int32_t m_count = st->depth_multiplier, in_c = g->in_c, out_c = g->out_c;
    const int64_t in_row = (int64_t)g->in_w * in_c, in_image = in_row * g->in_h;
    const float lo = st->act.lo, hi = st->act.hi;

    conv_row row;
    for (int64_t p = p0; conv_next_row(g, p1, &p, &row);) {
        const int8_t *image = in + (int64_t)row.b * in_image;
        const int32_t zp = params[row.b].zero_point;
        const float in_scale = params[row.b].scale;
        const int64_t y0 = (int64_t)row.oy * g->stride_h - g->pad_top;
        int32_t ky0, ky1;
        conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
        for (int32_t ox = row.ox0; ox < row.ox1; ox++) {
            const int64_t x0 = (int64_t)ox * g->stride_w - g->pad_left;
            int32_t kx0, kx1;
            conv_tap_range(x0, g->dilation_w, g->k_w, g->in_w, &kx0, &kx1);
            for (int32_t c = 0; c < out_c; c++) acc[c] = 0;
            for (int32_t ky = ky0; ky < ky1; ky++) {
                const int8_t *x_row = image + (y0 + (int64_t)ky * g->dilation_h) * in_row;
                const int8_t *w_row = filter + (int64_t)ky * g->k_w * out_c;
                for (int32_t kx = kx0; kx < kx1; kx++) {
                    const int8_t *x = x_row + (x0 + (int64_t)kx * g->dilation_w) * in_c;
                    const int8_t *w = w_row + (int64_t)kx * out_c;
                    for (int32_t c = 0; c < in_c; c++) {
                        const int32_t xv = (int32_t)x[c] - zp;
                        uint32_t *ac = acc + (int64_t)c * m_count;
                        const int8_t *wc = w + (int64_t)c * m_count;
                        for (int32_t m = 0; m < m_count; m++) ac[m] += (uint32_t)(xv * wc[m]);
                    }
                }
            }
            for (int32_t c = 0; c < out_c; c++) {
                float v = bias != NULL ? bias[c] : 0.0f;
                v += (float)linear_acc_i32(acc[c]) * (in_scale * st->channel_scale[c]);
                y[c] = linear_clamp(v, lo, hi);
            }
            linear_activation_post(&st->act, y, out_c);
            y += out_c;
        }
    }
}

/* Sets up the hybrid integer kernel `fn` (the filter checked by linear_hybrid_check, its zero
 * points all 0): per-channel scales, the quantization plan, a SIMD kernel when the ISA
 * level has one, and the scratch layout of conv_hybrid. */
static lt_status conv_prepare_hybrid_int(lt_context *ctx, lt_node *node, conv_state *st,
                                         conv_fn fn) {
    const lt_quant *wq = &node->inputs[CONV_FILTER]->quant;
    const bool depthwise = fn == depthwise_conv2d_hybrid;
    const size_t out_c = st->g.out_c > 0 ? (size_t)st->g.out_c : 1;
    float *scale = lt_ctx_alloc(ctx, node, out_c * sizeof(float));
    conv_hybrid *h = lt_ctx_alloc(ctx, node, sizeof *h);
    if (scale == NULL || h == NULL) return LT_ERROR;
    for (int32_t c = 0; c < st->g.out_c; c++) scale[c] = wq->scale[wq->count > 1 ? c : 0];
    st->channel_scale = scale;
    st->fn = fn;
    st->split = true;
    st->slot_bytes = depthwise ? conv_hybrid_acc_bytes(st) : 0;
    st->fast = h;
    hybrid_quant_pick(ctx, &h->minmax, &h->quantize);
    const int threads = lt_ctx_num_threads(ctx);
    h->pieces = threads;
    /* batch image values of an int32-indexed shape, checked by the tensor: fits int64 */
    h->image = (int64_t)st->g.in_h * st->g.in_w * st->g.in_c;
    if ((depthwise ? depthwise_hybrid_fast_prepare(ctx, node, st, h)
                   : conv2d_hybrid_fast_prepare(ctx, node, st, h)) != LT_OK)
        return LT_ERROR;
    /* [slots][quantized input (int8, or float for quantize_f32)][parameters per image]
     * [min, max per image and piece] */
    const size_t batch = st->g.batch > 0 ? (size_t)st->g.batch : 0;
    size_t at, input, params, ranges, end;
    if (!lt_mul_size(st->slot_bytes, (size_t)threads, &at) || !lt_align_size(at, &at) ||
        h->image < 0 || !lt_mul_size((size_t)h->image, batch, &input) ||
        !lt_mul_size(input, h->quantize_f32 != NULL ? sizeof(float) : 1, &input) ||
        !lt_add_size(at, input, &params) || !lt_align_size(params, &params) ||
        !lt_mul_size(batch, sizeof(hybrid_qparams), &ranges) ||
        !lt_add_size(params, ranges, &ranges) || !lt_align_size(ranges, &ranges) ||
        !lt_mul_size(batch, (size_t)threads * 2 * sizeof(float), &end) ||
        !lt_add_size(ranges, end, &end))
        return lt_ctx_error(ctx, node, "the hybrid kernel's scratch for %d images of %lld "
                            "values on %d threads overflows the size type",
                            (int)st->g.batch, (long long)h->image, threads);
    h->input_at = at;
    h->params_at = params;
    h->ranges_at = ranges;
    node->scratch_bytes = end;
    return LT_OK;
}

/* ---- prepare ----------------------------------------------------------------------------- */

/* Checks the tensors' types common to both ops and returns the kernel family. */
static lt_status conv_check_types(lt_context *ctx, const lt_node *node, conv_kind *kind) {
    if (lt_check_input_rank(ctx, node, CONV_INPUT, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, CONV_FILTER, 4, 4) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[CONV_INPUT];
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    const lt_tensor *out = node->outputs[0];
    if (in->type == LT_FLOAT32 && filter->type == LT_INT8) {
        *kind = CONV_KIND_HYBRID;
        if (bias != NULL && bias->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected FLOAT32 with float "
                                "input and int8 filter (hybrid)", bias->name,
                                lt_type_name(bias->type));
        if (out->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected FLOAT32 like the "
                                "input", out->name, lt_type_name(out->type));
        return LT_OK;
    }
    switch (in->type) {
    case LT_FLOAT32:
        *kind = CONV_KIND_F32;
        return linear_check_operand_types(ctx, node, filter, "filter", bias);
    case LT_INT8:
        *kind = CONV_KIND_I8;
        if (filter->type != LT_INT8)
            return lt_ctx_error(ctx, node, "filter '%s' has type %s; expected INT8 like the "
                                "input", filter->name, lt_type_name(filter->type));
        if (out->type != LT_INT8)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected INT8 like the "
                                "input", out->name, lt_type_name(out->type));
        return LT_OK; /* the bias is checked with the quantization */
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    }
}

/* Picks the kernel of `kind` and does its one-time work: quantization parameters for int8,
 * the hybrid kernel's scales and scratch, or the dequantized filter for hybrid with nonzero
 * filter zero points. `channel_dim` is the filter's output-channel axis. */
static lt_status conv_prepare_kernel(lt_context *ctx, lt_node *node, conv_state *st,
                                     conv_kind kind, int channel_dim, conv_fn f32_fn,
                                     conv_fn i8_fn, conv_fn hybrid_fn) {
    const lt_tensor *in = node->inputs[CONV_INPUT];
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    switch (kind) {
    case CONV_KIND_F32:
        st->fn = f32_fn;
        st->split = true;
        return LT_OK;
    case CONV_KIND_HYBRID: {
        bool zero_points_zero = false;
        if (linear_hybrid_check(ctx, node, filter, channel_dim, &zero_points_zero) != LT_OK)
            return LT_ERROR;
        if (zero_points_zero) return conv_prepare_hybrid_int(ctx, node, st, hybrid_fn);
        st->fn = f32_fn;
        st->hybrid = true;
        return linear_hybrid_weights(ctx, node, filter, channel_dim, &st->filter_f32);
    }
    case CONV_KIND_I8:
        st->fn = i8_fn;
        st->split = true;
        return linear_quant_prepare(ctx, node, in, filter, bias, node->outputs[0], channel_dim,
                                    st->g.out_c, st->act.act, LINEAR_REQUANT_Q31, &st->q);
    }
    return lt_ctx_error(ctx, node, "internal: unknown kernel kind %d", (int)kind);
}

/* Bias, when present, holds one value per output channel. */
static lt_status conv_check_bias(lt_context *ctx, const lt_node *node, int32_t out_c) {
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    char buf[96];
    if (bias != NULL && lt_tensor_elements(bias) != out_c)
        return lt_ctx_error(ctx, node, "bias '%s' has shape %s; expected %d values, one per "
                            "output channel", bias->name,
                            lt_shape_str(&bias->shape, buf, sizeof buf), (int)out_c);
    return LT_OK;
}

/* Options both ops read the same way, given their field ids. */
typedef struct conv_option_ids {
    int padding, stride_w, stride_h, activation, dilation_w, dilation_h;
} conv_option_ids;

static lt_status conv_read_options(lt_context *ctx, const lt_node *node,
                                   const conv_option_ids *id, conv_state *st, int *padding) {
    *padding = lt_opt_i8(node, id->padding, 0);
    st->g.stride_w = lt_opt_i32(node, id->stride_w, 0);
    st->g.stride_h = lt_opt_i32(node, id->stride_h, 0);
    st->g.dilation_w = lt_opt_i32(node, id->dilation_w, 1);
    st->g.dilation_h = lt_opt_i32(node, id->dilation_h, 1);
    return linear_activation_init(ctx, node, lt_opt_i8(node, id->activation, 0), &st->act);
}

static lt_status conv_finish(lt_context *ctx, lt_node *node, const conv_state *tmp) {
    const lt_shape out_shape = {.rank = 4,
                                .dims = {tmp->g.batch, tmp->g.out_h, tmp->g.out_w, tmp->g.out_c}};
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    conv_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    *st = *tmp;
    st->empty = lt_tensor_elements(node->outputs[0]) == 0;
    /* per output value: one window of filter_c channels; saturating, it only picks a path */
    const double work = (double)lt_tensor_elements(node->outputs[0]) * st->g.k_h * st->g.k_w *
                        st->filter_c;
    st->work = work < (double)INT64_MAX / 2 ? (int64_t)work : INT64_MAX / 2;
    node->state = st;
    return LT_OK;
}

/* ---- sparse filter ----------------------------------------------------------------------- */

/* Building conv_sparse: two walks over the stored filter, one counting the entries of each
 * output channel, one filling them in. In a [out_c, 1, 1, in_c] filter the dense offset of
 * (o, c) is o * in_c + c. */
typedef struct conv_sparse_build {
    int64_t depth;     /* in_c */
    int32_t width;
    int32_t *row_ptr;  /* counting: entries per channel at [o + 1]; filling: next free entry */
    int32_t *col;
    float *values;
    const void *src;   /* the stored float32 values */
    bool fill;
} conv_sparse_build;

static void conv_sparse_visit(void *user, int64_t value, int64_t dense_offset) {
    conv_sparse_build *b = user;
    const int64_t o = dense_offset / b->depth;
    /* A 1xB block's values are stored consecutively: its first one opens the entry. */
    const int64_t j = value % b->width;
    if (!b->fill) {
        if (j == 0) b->row_ptr[o + 1]++;
        return;
    }
    const int32_t e = b->row_ptr[o];
    if (j == 0) b->col[e] = (int32_t)(dense_offset % b->depth);
    float w;
    memcpy(&w, (const uint8_t *)b->src + value * (int64_t)sizeof w, sizeof w);
    b->values[(int64_t)e * b->width + j] = w;
    if (j == b->width - 1) b->row_ptr[o] = e + 1;
}

/* B when the filter is stored in 1xB blocks along the input channels in row-major traversal
 * (traversal_order [0, 1, 2, 3, 4], block_map [3], the block level DENSE); 1 for every other
 * encoding, which is then read value by value. */
static int32_t conv_sparse_width(const lt_sparsity *sp) {
    if (sp->rank != 4 || sp->n_blocks != 1 || sp->block_map[0] != 3 ||
        sp->levels[4].sparse)
        return 1;
    for (int32_t l = 0; l < 5; l++)
        if (sp->levels[l].dim != l) return 1;
    return sp->block_size[0];
}

static void conv_densify_visit(void *user, int64_t value, int64_t dense_offset) {
    conv_sparse_build *b = user;
    memcpy(b->values + dense_offset, (const uint8_t *)b->src + value * (int64_t)sizeof(float),
           sizeof(float));
}

/* Whether the SIMD dense path beats the sparse kernel (conv_densify_cheaper): the GEMM
 * multiplies every weight, but at many times the scalar sparse kernel's rate. Only ISA
 * levels with the float GEMM, and a constant bias (which the GEMM packs). The choice
 * depends on the model and ISA level only, never on the thread count (the two paths round
 * differently; the GEMM also runs on every thread, the sparse kernel on one). */
static bool conv_sparse_densify_pays(lt_context *ctx, const lt_node *node,
                                     const conv_state *st) {
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    gemm_f32_kernels ker;
    if ((bias != NULL && !bias->is_constant) || !gemm_f32_kernels_for(lt_ctx_isa(ctx), &ker))
        return false;
    const int64_t pixels = (int64_t)st->g.batch * st->g.out_h * st->g.out_w;
    return conv_densify_cheaper(pixels, filter->sparsity->n_values, lt_tensor_elements(filter),
                                conv_sparse_width(filter->sparsity));
}

/* Expands the sparse filter once into a dense copy (unstored weights zero, stored ones,
 * zeros included, as they are) and sets up the dense float32 path on it, the same as for
 * the dense model's filter: so results equal the dense model's bit for bit. */
static lt_status conv_sparse_densify(lt_context *ctx, lt_node *node, conv_state *st,
                                     const lt_tensor *filter) {
    const int64_t n = lt_tensor_elements(filter);
    size_t bytes = 0;
    if (n < 0 || !lt_mul_size((size_t)n, sizeof(float), &bytes))
        return lt_ctx_error(ctx, node, "densified filter '%s' of %lld values overflows the "
                            "size type", filter->name, (long long)n);
    float *w = lt_ctx_alloc(ctx, node, bytes > 0 ? bytes : sizeof(float));
    if (w == NULL) return LT_ERROR;
    memset(w, 0, bytes);
    conv_sparse_build b = {.values = w, .src = filter->data};
    lt_sparse_walk(filter->sparsity, &filter->shape, conv_densify_visit, &b);
    st->filter_f32 = *filter;
    st->filter_f32.sparsity = NULL;
    st->filter_f32.data = w;
    st->filter_f32.bytes = bytes;
    st->densified = true;
    st->fn = conv2d_f32;
    st->split = true;
    return conv2d_f32_fast_prepare(ctx, node, st, &st->filter_f32);
}

/* Checks that the sparse filter is one the 1x1 kernel reads, and builds its row-compressed
 * copy (or, where the SIMD dense path is faster, a dense one). */
static lt_status conv2d_sparse_prepare(lt_context *ctx, lt_node *node, conv_state *st,
                                       conv_kind kind) {
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_sparsity *sp = filter->sparsity;
    const conv_geometry *g = &st->g;
    char fbuf[96];
    if (kind != CONV_KIND_F32)
        return lt_ctx_error(ctx, node, "CONV_2D with sparse filter '%s' of type %s and input "
                            "type %s is not supported; expected float32 input and filter "
                            "(add a DENSIFY before CONV_2D for other types)", filter->name,
                            lt_type_name(filter->type),
                            lt_type_name(node->inputs[CONV_INPUT]->type));
    if (g->k_h != 1 || g->k_w != 1 || g->stride_h != 1 || g->stride_w != 1 ||
        st->filter_c != g->in_c)
        return lt_ctx_error(ctx, node, "CONV_2D reads a sparse filter '%s' directly only for "
                            "a 1x1 window, stride 1 and one group; got filter %s, stride %d x "
                            "%d, %d group(s) (add a DENSIFY before CONV_2D for this filter)",
                            filter->name, lt_shape_str(&filter->shape, fbuf, sizeof fbuf),
                            (int)g->stride_h, (int)g->stride_w, (int)(g->in_c / st->filter_c));
    if (!filter->is_constant)
        return lt_ctx_error(ctx, node, "sparse filter '%s' is not constant", filter->name);
    /* 1x1 window, stride 1: output pixel (y, x) reads input pixel (y, x) whatever the
     * padding or dilation, so the pixels line up one to one. */
    if (g->out_h != g->in_h || g->out_w != g->in_w)
        return lt_ctx_error(ctx, node, "internal: 1x1 conv output %d x %d differs from input "
                            "%d x %d", (int)g->out_h, (int)g->out_w, (int)g->in_h,
                            (int)g->in_w);
    if (conv_sparse_densify_pays(ctx, node, st))
        return conv_sparse_densify(ctx, node, st, filter);
    conv_sparse_build b = {.depth = g->in_c, .width = conv_sparse_width(sp), .src = filter->data};
    const int64_t entries = sp->n_values / b.width;
    if (sp->n_values > INT32_MAX)
        return lt_ctx_error(ctx, node, "sparse filter '%s' has %lld stored values; at most %d "
                            "are supported", filter->name, (long long)sp->n_values, (int)INT32_MAX);
    const size_t rows = (size_t)g->out_c + 1;
    b.row_ptr = lt_ctx_alloc(ctx, node, rows * sizeof(int32_t));
    int32_t *row_ptr = lt_ctx_alloc(ctx, node, rows * sizeof(int32_t));
    b.col = lt_ctx_alloc(ctx, node, (entries > 0 ? (size_t)entries : 1) * sizeof(int32_t));
    b.values = lt_ctx_alloc(ctx, node, (sp->n_values > 0 ? (size_t)sp->n_values : 1) *
                                           sizeof(float));
    if (b.row_ptr == NULL || row_ptr == NULL || b.col == NULL || b.values == NULL)
        return LT_ERROR;
    memset(b.row_ptr, 0, rows * sizeof(int32_t));
    lt_sparse_walk(sp, &filter->shape, conv_sparse_visit, &b);
    for (int64_t o = 0; o < g->out_c; o++) b.row_ptr[o + 1] += b.row_ptr[o];
    memcpy(row_ptr, b.row_ptr, rows * sizeof(int32_t));
    b.fill = true;
    lt_sparse_walk(sp, &filter->shape, conv_sparse_visit, &b); /* advances b.row_ptr */
    st->sparse = (conv_sparse){b.width, row_ptr, b.col, b.values};
    st->fn = conv2d_sparse_1x1_f32;
    /* The transposed pixel tile; in_c <= INT32_MAX, so this cannot overflow a 64-bit size. */
    node->scratch_bytes = (size_t)g->in_c * CONV_SPARSE_TILE * sizeof(float);
    return LT_OK;
}

static lt_status conv2d_prepare(lt_context *ctx, lt_node *node) {
    conv_state st = {0};
    conv_kind kind = CONV_KIND_F32;
    int padding;
    static const conv_option_ids ids = {0, 1, 2, 3, 4, 5}; /* Conv2DOptions field ids */
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_Conv2DOptions) != LT_OK ||
        conv_check_types(ctx, node, &kind) != LT_OK ||
        conv_read_options(ctx, node, &ids, &st, &padding) != LT_OK)
        return LT_ERROR;
    const lt_shape *is = &node->inputs[CONV_INPUT]->shape;
    const lt_shape *fs = &node->inputs[CONV_FILTER]->shape;
    char ibuf[96], fbuf[96];
    st.g.batch = is->dims[0];
    st.g.in_h = is->dims[1];
    st.g.in_w = is->dims[2];
    st.g.in_c = is->dims[3];
    st.g.out_c = fs->dims[0];
    st.g.k_h = fs->dims[1];
    st.g.k_w = fs->dims[2];
    st.filter_c = fs->dims[3];
    if (st.filter_c <= 0 || st.g.in_c < st.filter_c || st.g.in_c % st.filter_c != 0)
        return lt_ctx_error(ctx, node, "filter shape %s does not fit input shape %s: the "
                            "filter's last dimension (input channels per group) must be "
                            "positive and divide the input's %d channels (groups = input "
                            "channels / filter channels)",
                            lt_shape_str(fs, fbuf, sizeof fbuf),
                            lt_shape_str(is, ibuf, sizeof ibuf), (int)st.g.in_c);
    const int32_t groups = st.g.in_c / st.filter_c;
    if (st.g.out_c % groups != 0)
        return lt_ctx_error(ctx, node, "filter shape %s has %d output channels; expected a "
                            "multiple of the %d groups (input channels %d / filter channels %d)",
                            lt_shape_str(fs, fbuf, sizeof fbuf), (int)st.g.out_c, (int)groups,
                            (int)st.g.in_c, (int)st.filter_c);
    st.out_per_group = st.g.out_c / groups;
    if (st.out_per_group == 0) st.out_per_group = 1; /* no output channels: never divided */
    if (conv_check_bias(ctx, node, st.g.out_c) != LT_OK ||
        conv_geometry_spatial(ctx, node, padding, &st.g, "filter") != LT_OK)
        return LT_ERROR;
    if (node->inputs[CONV_FILTER]->sparsity != NULL) {
        if (conv2d_sparse_prepare(ctx, node, &st, kind) != LT_OK) return LT_ERROR;
    } else if (conv_prepare_kernel(ctx, node, &st, kind, 0, conv2d_f32, conv2d_i8,
                                   conv2d_hybrid) != LT_OK ||
               (kind == CONV_KIND_F32 &&
                conv2d_f32_fast_prepare(ctx, node, &st, node->inputs[CONV_FILTER]) != LT_OK) ||
               (kind == CONV_KIND_I8 && conv2d_i8_fast_prepare(ctx, node, &st) != LT_OK)) {
        return LT_ERROR;
    }
    return conv_finish(ctx, node, &st);
}

static lt_status depthwise_conv2d_prepare(lt_context *ctx, lt_node *node) {
    conv_state st = {0};
    conv_kind kind = CONV_KIND_F32;
    int padding;
    static const conv_option_ids ids = {0, 1, 2, 4, 5, 6}; /* DepthwiseConv2DOptions ids */
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_DepthwiseConv2DOptions) != LT_OK ||
        conv_check_types(ctx, node, &kind) != LT_OK ||
        conv_read_options(ctx, node, &ids, &st, &padding) != LT_OK)
        return LT_ERROR;
    const lt_shape *is = &node->inputs[CONV_INPUT]->shape;
    const lt_shape *fs = &node->inputs[CONV_FILTER]->shape;
    char ibuf[96], fbuf[96];
    st.g.batch = is->dims[0];
    st.g.in_h = is->dims[1];
    st.g.in_w = is->dims[2];
    st.g.in_c = is->dims[3];
    st.g.k_h = fs->dims[1];
    st.g.k_w = fs->dims[2];
    st.g.out_c = fs->dims[3];
    st.filter_c = 1;
    if (fs->dims[0] != 1)
        return lt_ctx_error(ctx, node, "filter has shape %s; expected [1, height, width, "
                            "channels * depth_multiplier]", lt_shape_str(fs, fbuf, sizeof fbuf));
    if (st.g.in_c <= 0 || st.g.out_c % st.g.in_c != 0)
        return lt_ctx_error(ctx, node, "filter shape %s does not fit input shape %s: the "
                            "filter's %d channels must be a multiple of the input's %d "
                            "(input channels x depth_multiplier)",
                            lt_shape_str(fs, fbuf, sizeof fbuf),
                            lt_shape_str(is, ibuf, sizeof ibuf), (int)st.g.out_c, (int)st.g.in_c);
    st.depth_multiplier = st.g.out_c / st.g.in_c;
    if (st.depth_multiplier == 0)
        return lt_ctx_error(ctx, node, "filter shape %s has no channels; expected input "
                            "channels (%d) x depth_multiplier", lt_shape_str(fs, fbuf, sizeof fbuf),
                            (int)st.g.in_c);
    if (conv_check_bias(ctx, node, st.g.out_c) != LT_OK ||
        conv_geometry_spatial(ctx, node, padding, &st.g, "filter") != LT_OK ||
        conv_prepare_kernel(ctx, node, &st, kind, 3, depthwise_conv2d_f32,
                            depthwise_conv2d_i8, depthwise_conv2d_hybrid) != LT_OK)
        return LT_ERROR;
    if (kind == CONV_KIND_I8) {
        /* one int32 accumulator per output channel, for each thread */
        st.slot_bytes = ((size_t)st.g.out_c * sizeof(uint32_t) + 63) / 64 * 64;
        if (!lt_mul_size(st.slot_bytes, (size_t)lt_ctx_num_threads(ctx), &node->scratch_bytes))
            return lt_ctx_error(ctx, node, "accumulators for %d channels on %d threads "
                                "overflow the size type", (int)st.g.out_c,
                                lt_ctx_num_threads(ctx));
    }
    if ((kind == CONV_KIND_F32 && depthwise_f32_fast_prepare(ctx, node, &st) != LT_OK) ||
        (kind == CONV_KIND_I8 && depthwise_i8_fast_prepare(ctx, node, &st) != LT_OK))
        return LT_ERROR;
    return conv_finish(ctx, node, &st);
}

/* Runs tasks [t0, t1): task t computes its share of the pixels with scratch slot t. The
 * shares are contiguous and cover the output once, in order. */
static void conv_run_tasks(void *arg, int64_t t0, int64_t t1) {
    const conv_args *a = arg;
    const int64_t base = a->pixels / a->tasks, extra = a->pixels % a->tasks;
    if (a->by_channels) {
        /* task t: channel units piece t of every pixel */
        const conv_state *st = a->st;
        const int64_t units = ((int64_t)st->g.out_c + st->channel_unit - 1) / st->channel_unit;
        const int64_t groups = (units + a->unit_group - 1) / a->unit_group;
        const int64_t gbase = groups / a->tasks, gextra = groups % a->tasks;
        for (int64_t t = t0; t < t1; t++) {
            const int64_t g0 = t * gbase + (t < gextra ? t : gextra);
            const int64_t g1 = g0 + gbase + (t < gextra ? 1 : 0);
            const int64_t u0 = g0 * a->unit_group;
            const int64_t u1 = g1 * a->unit_group < units ? g1 * a->unit_group : units;
            const int64_t c1 = u1 * st->channel_unit;
            uint8_t *slot = st->slot_bytes > 0 ? a->scratch + (size_t)t * st->slot_bytes
                                               : a->scratch;
            st->channels_fn(a, slot, 0, a->pixels, (int32_t)(u0 * st->channel_unit),
                            (int32_t)(c1 < st->g.out_c ? c1 : st->g.out_c));
        }
        return;
    }
    for (int64_t t = t0; t < t1; t++) {
        const int64_t p0 = t * base + (t < extra ? t : extra);
        const int64_t p1 = p0 + base + (t < extra ? 1 : 0);
        uint8_t *slot = a->st->slot_bytes > 0 ? a->scratch + (size_t)t * a->st->slot_bytes
                                              : a->scratch;
        a->st->fn(a, slot, p0, p1);
    }
}

/* ---- hybrid invoke: quantize the batch images, then the pixels on every thread ---------- */

/* One invoke's quantization, cut into `pieces` pieces of every batch image. */
typedef struct conv_hybrid_run {
    const conv_hybrid *h;
    const float *in;
    int8_t *q;
    hybrid_qparams *params;
    float *ranges;
    int32_t batch;
    int64_t pieces;
} conv_hybrid_run;

/* Piece t of [0, n) cut into `pieces` contiguous pieces. */
static void conv_hybrid_piece(int64_t n, int64_t pieces, int64_t t, int64_t *i0, int64_t *i1) {
    const int64_t base = n / pieces, extra = n % pieces;
    *i0 = t * base + (t < extra ? t : extra);
    *i1 = *i0 + base + (t < extra ? 1 : 0);
}

/* Pass 1: min and max of piece t of every image, started from the image's first value. */
static void conv_hybrid_minmax_task(void *arg, int64_t t0, int64_t t1) {
    const conv_hybrid_run *r = arg;
    const int64_t n = r->h->image;
    for (int64_t t = t0; t < t1; t++)
        for (int32_t b = 0; b < r->batch; b++) {
            const float *x = r->in + b * n;
            int64_t i0, i1;
            conv_hybrid_piece(n, r->pieces, t, &i0, &i1);
            float lo = x[0], hi = x[0];
            r->h->minmax(x + i0, i1 - i0, &lo, &hi);
            r->ranges[(b * r->pieces + t) * 2] = lo;
            r->ranges[(b * r->pieces + t) * 2 + 1] = hi;
        }
}

/* Pass 2: piece t of every image quantized with the image's parameters. */
static void conv_hybrid_quantize_task(void *arg, int64_t t0, int64_t t1) {
    const conv_hybrid_run *r = arg;
    const int64_t n = r->h->image;
    for (int64_t t = t0; t < t1; t++)
        for (int32_t b = 0; b < r->batch; b++) {
            int64_t i0, i1;
            conv_hybrid_piece(n, r->pieces, t, &i0, &i1);
            if (r->h->quantize_f32 != NULL)
                r->h->quantize_f32(r->in + b * n + i0, i1 - i0, &r->params[b],
                                   (float *)(void *)r->q + b * n + i0);
            else
                r->h->quantize(r->in + b * n + i0, i1 - i0, &r->params[b], r->q + b * n + i0);
        }
}

/* Quantizes every batch image into the scratch (conv_hybrid), on the threads when the input
 * is large: the min and max combine in any order and each value is quantized alone, so the
 * int8 values do not depend on the cut. */
static void conv_hybrid_quantize(lt_context *ctx, const conv_state *st, const conv_args *a) {
    const conv_hybrid *h = st->fast;
    const int64_t values = h->image * st->g.batch;
    conv_hybrid_run r = {
        .h = h,
        .in = lt_f32(a->in),
        .q = (int8_t *)(a->scratch + h->input_at),
        .params = (hybrid_qparams *)(void *)(a->scratch + h->params_at),
        .ranges = (float *)(void *)(a->scratch + h->ranges_at),
        .batch = st->g.batch,
        .pieces = values >= LT_PARALLEL_MIN_WORK ? h->pieces : 1,
    };
    if (h->image <= 0) return; /* no values (the output is empty then too) */
    lt_ctx_parallel_for(ctx, r.pieces, conv_hybrid_minmax_task, &r);
    for (int32_t b = 0; b < st->g.batch; b++) {
        const float *range = r.ranges + b * r.pieces * 2;
        float lo = range[0], hi = range[1];
        for (int64_t t = 1; t < r.pieces; t++) {
            if (range[2 * t] < lo) lo = range[2 * t];
            if (hi < range[2 * t + 1]) hi = range[2 * t + 1];
        }
        hybrid_qparams_from_range(lo, hi, &r.params[b]);
    }
    lt_ctx_parallel_for(ctx, r.pieces, conv_hybrid_quantize_task, &r);
}

/* Row tiles per thread below which conv_invoke cuts the channels (st->channels_fn). */
enum { CONV_CHANNEL_SPLIT_TILES = 4 };
/* Cache line bytes the channel cuts keep whole (conv_invoke). */
enum { CONV_LINE = 64 };

static lt_status conv_invoke(lt_context *ctx, lt_node *node) {
    const conv_state *st = node->state;
    if (st->empty) return LT_OK;
    conv_args a = {
        .st = st,
        .in = node->inputs[CONV_INPUT],
        .filter = st->hybrid || st->densified ? &st->filter_f32 : node->inputs[CONV_FILTER],
        .bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL,
        .out = node->outputs[0],
        .scratch = node->scratch,
        .pixels = (int64_t)st->g.batch * st->g.out_h * st->g.out_w,
        .tasks = 1,
        .unit_group = 1,
    };
    /* One task per thread (at most one per pixel); tasks, not pixels, are what
     * lt_ctx_parallel_for hands out, so each thread owns one scratch slot. */
    /* hybrid integer kernels (channel_scale set): the input is quantized first */
    if (st->channel_scale != NULL) conv_hybrid_quantize(ctx, st, &a);
    if (st->split && st->work >= LT_PARALLEL_MIN_WORK) {
        const int64_t threads = lt_ctx_num_threads(ctx);
        a.tasks = a.pixels < threads ? a.pixels : threads;
        /* few pixels (under CONV_CHANNEL_SPLIT_TILES row tiles per thread): cut the
         * channels instead when their units share out more evenly than the tiles (the
         * busiest thread's share, ceil(x / threads) / x, strictly smaller; ties stay with
         * the pixels, whose cut need not follow tiles).
         * The channel cuts should fall on 64-byte lines of every pixel's output: two
         * threads writing parts of one line make it bounce between their caches (int8,
         * 160 channels: 1.4x from 1 to 2 threads on a 7x7 layer). So the cuts are whole
         * groups of units filling lines; a pixel row that is not whole lines keeps the
         * pixel cut unless there are fewer row tiles than threads (a 1x1 classifier). */
        const int64_t unit_bytes = (int64_t)lt_type_size(a.out->type) * st->channel_unit;
        const int64_t row_bytes = (int64_t)lt_type_size(a.out->type) * st->g.out_c;
        /* row_tile is set with channels_fn only */
        const int64_t tiles = st->channels_fn != NULL
                                  ? (a.pixels + st->row_tile - 1) / st->row_tile : 0;
        const bool lines = unit_bytes > 0 && row_bytes % CONV_LINE == 0 &&
                           (unit_bytes % CONV_LINE == 0 || CONV_LINE % unit_bytes == 0);
        if (st->channels_fn != NULL && threads > 1 && (lines || tiles < threads)) {
            a.unit_group = lines && unit_bytes < CONV_LINE ? CONV_LINE / unit_bytes : 1;
            /* the units in whole groups (a line-aligned out_c has no partial group) */
            const int64_t units = ((int64_t)st->g.out_c + st->channel_unit - 1) /
                                  st->channel_unit / a.unit_group;
            const int64_t unit_share = (units + threads - 1) / threads;
            const int64_t tile_share = (tiles + threads - 1) / threads;
            if (tiles < CONV_CHANNEL_SPLIT_TILES * threads && units >= threads &&
                unit_share * tiles < tile_share * units) {
                a.tasks = threads;
                a.by_channels = true;
            }
        }
    }
    lt_ctx_parallel_for(ctx, a.tasks, conv_run_tasks, &a);
    return LT_OK;
}

const lt_op lt_op_conv_2d = {"CONV_2D", conv2d_prepare, conv_invoke};
const lt_op lt_op_depthwise_conv_2d = {"DEPTHWISE_CONV_2D", depthwise_conv2d_prepare,
                                       conv_invoke};
