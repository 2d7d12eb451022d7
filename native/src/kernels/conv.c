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
 * prepare picks a kernel by type (conv_fn), so quantized kernels slot in beside these. */
#include "conv_common.h"
#include "linear_common.h"

enum { CONV_INPUT = 0, CONV_FILTER = 1, CONV_BIAS = 2 };

typedef struct conv_state conv_state;
typedef void (*conv_fn)(const conv_state *st, const lt_tensor *in, const lt_tensor *filter,
                        const lt_tensor *bias, lt_tensor *out);

struct conv_state {
    conv_fn fn;
    conv_geometry g;
    int32_t filter_c;          /* input channels each output channel reads (per group) */
    int32_t out_per_group;     /* CONV_2D: output channels per group */
    int32_t depth_multiplier;  /* DEPTHWISE_CONV_2D */
    bool empty;                /* the output has no elements: nothing to compute */
    linear_activation act;
};

/* ---- float32 kernels --------------------------------------------------------------------- */

static void conv2d_f32(const conv_state *st, const lt_tensor *in_t, const lt_tensor *filter_t,
                       const lt_tensor *bias_t, lt_tensor *out_t) {
    const conv_geometry *g = &st->g;
    const float *in = lt_f32(in_t);
    const float *filter = lt_f32(filter_t);
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    float *y = lt_f32(out_t);
    const int64_t in_px = g->in_c, in_row = (int64_t)g->in_w * in_px;
    const int64_t in_image = in_row * g->in_h;
    const int64_t f_tap = st->filter_c, f_row = f_tap * g->k_w, f_out = f_row * g->k_h;
    /* With one group and no horizontal dilation, the taps of one filter row are contiguous
     * in both the input and the filter: one dot product covers the whole row. */
    const bool row_contiguous = g->dilation_w == 1 && st->filter_c == g->in_c;
    const float lo = st->act.lo, hi = st->act.hi;

    for (int32_t b = 0; b < g->batch; b++) {
        const float *image = in + b * in_image;
        for (int32_t oy = 0; oy < g->out_h; oy++) {
            const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
            int32_t ky0, ky1;
            conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g->out_w; ox++) {
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
}

static void depthwise_conv2d_f32(const conv_state *st, const lt_tensor *in_t,
                                 const lt_tensor *filter_t, const lt_tensor *bias_t,
                                 lt_tensor *out_t) {
    const conv_geometry *g = &st->g;
    const float *in = lt_f32(in_t);
    const float *filter = lt_f32(filter_t);
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    float *y = lt_f32(out_t);
    const int32_t m_count = st->depth_multiplier, in_c = g->in_c, out_c = g->out_c;
    const int64_t in_row = (int64_t)g->in_w * in_c, in_image = in_row * g->in_h;
    const float lo = st->act.lo, hi = st->act.hi;

    for (int32_t b = 0; b < g->batch; b++) {
        const float *image = in + b * in_image;
        for (int32_t oy = 0; oy < g->out_h; oy++) {
            const int64_t y0 = (int64_t)oy * g->stride_h - g->pad_top;
            int32_t ky0, ky1;
            conv_tap_range(y0, g->dilation_h, g->k_h, g->in_h, &ky0, &ky1);
            for (int32_t ox = 0; ox < g->out_w; ox++) {
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
}

/* ---- prepare ----------------------------------------------------------------------------- */

/* Checks the tensors common to both ops and returns the kernel for their types. */
static lt_status conv_check_types(lt_context *ctx, const lt_node *node, conv_fn f32_fn,
                                  conv_fn *fn) {
    if (lt_check_input_rank(ctx, node, CONV_INPUT, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, CONV_FILTER, 4, 4) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[CONV_INPUT];
    const lt_tensor *filter = node->inputs[CONV_FILTER];
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    switch (in->type) {
    case LT_FLOAT32: *fn = f32_fn; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", in->name,
                            lt_type_name(in->type));
    }
    return linear_check_operand_types(ctx, node, filter, "filter", bias);
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
    node->state = st;
    return LT_OK;
}

static lt_status conv2d_prepare(lt_context *ctx, lt_node *node) {
    conv_state st = {0};
    int padding;
    static const conv_option_ids ids = {0, 1, 2, 3, 4, 5}; /* Conv2DOptions field ids */
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_Conv2DOptions) != LT_OK ||
        conv_check_types(ctx, node, conv2d_f32, &st.fn) != LT_OK ||
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
    return conv_finish(ctx, node, &st);
}

static lt_status depthwise_conv2d_prepare(lt_context *ctx, lt_node *node) {
    conv_state st = {0};
    int padding;
    static const conv_option_ids ids = {0, 1, 2, 4, 5, 6}; /* DepthwiseConv2DOptions ids */
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_DepthwiseConv2DOptions) != LT_OK ||
        conv_check_types(ctx, node, depthwise_conv2d_f32, &st.fn) != LT_OK ||
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
        conv_geometry_spatial(ctx, node, padding, &st.g, "filter") != LT_OK)
        return LT_ERROR;
    return conv_finish(ctx, node, &st);
}

static lt_status conv_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const conv_state *st = node->state;
    if (st->empty) return LT_OK;
    const lt_tensor *bias = node->n_inputs > CONV_BIAS ? node->inputs[CONV_BIAS] : NULL;
    st->fn(st, node->inputs[CONV_INPUT], node->inputs[CONV_FILTER], bias, node->outputs[0]);
    return LT_OK;
}

const lt_op lt_op_conv_2d = {"CONV_2D", conv2d_prepare, conv_invoke};
const lt_op lt_op_depthwise_conv_2d = {"DEPTHWISE_CONV_2D", depthwise_conv2d_prepare,
                                       conv_invoke};
