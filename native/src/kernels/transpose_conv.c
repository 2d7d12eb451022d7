/* TRANSPOSE_CONV: the gradient of CONV_2D with respect to its input ("deconvolution"),
 * reference kernel (float32).
 *
 * Inputs, in TensorFlow Lite's order: 0 output_shape (INT32 [4], constant: N, OH, OW, O),
 * 1 weights [O, KH, KW, C], 2 input [N, H, W, C], 3 optional bias [O]. Output
 * [N, OH, OW, O]. TransposeConvOptions: padding [0], stride_w [1], stride_h [2],
 * fused_activation_function [3] (quantized_bias_type [4] concerns quantized models only).
 *
 * Each input pixel (iy, ix) spreads input . weights[o, ky, kx, :] onto output pixel
 * (iy * stride_h - pad_top + ky, ix * stride_w - pad_left + kx), for the taps that land
 * inside the output; then bias and the activation are applied to every output value.
 *
 * Padding is computed as TensorFlow Lite does: as if for a CONV_2D that maps the output
 * (OH x OW) back to the input, i.e. from the output size, the filter size and the stride,
 * with C's truncating division. As in TensorFlow Lite, that forward convolution must give
 * back the input's size: SAME needs ceil(OH / stride) = H, VALID (OH - KH) / stride + 1 = H,
 * so OH may exceed the tightest size by up to stride - 1 (output pixels nothing reaches then
 * hold bias only).
 *
 * Fused activation: clamps as stored; TANH / SIGN_BIT applied afterwards (TensorFlow Lite's
 * kernel ignores those two; converters never emit them). */
#include "conv_common.h"
#include "linear_common.h"

enum { TC_OUTPUT_SHAPE = 0, TC_WEIGHTS = 1, TC_INPUT = 2, TC_BIAS = 3 };
enum { TC_OPT_PADDING = 0, TC_OPT_STRIDE_W = 1, TC_OPT_STRIDE_H = 2, TC_OPT_ACTIVATION = 3 };

typedef struct transpose_conv_state transpose_conv_state;
typedef void (*transpose_conv_fn)(const transpose_conv_state *st, const lt_tensor *in,
                                  const lt_tensor *weights, const lt_tensor *bias,
                                  lt_tensor *out);

struct transpose_conv_state {
    transpose_conv_fn fn;
    int32_t batch, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    linear_activation act;
};

/* ---- float32 kernel ---------------------------------------------------------------------- */

static void transpose_conv_f32(const transpose_conv_state *st, const lt_tensor *in_t,
                               const lt_tensor *weights_t, const lt_tensor *bias_t,
                               lt_tensor *out_t) {
    const float *in = lt_f32(in_t);
    const float *w = lt_f32(weights_t);
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    float *out = lt_f32(out_t);
    const int64_t in_c = st->in_c, out_c = st->out_c;
    const int64_t out_row = (int64_t)st->out_w * out_c, out_image = out_row * st->out_h;
    const int64_t w_tap = in_c, w_row = w_tap * st->k_w, w_out = w_row * st->k_h;
    const int64_t out_total = out_image * st->batch;

    for (int64_t i = 0; i < out_total; i++) out[i] = 0.0f;

    /* Scatter: every input pixel adds its contribution to the output pixels it reaches. */
    for (int32_t b = 0; b < st->batch; b++) {
        float *image = out + b * out_image;
        for (int32_t iy = 0; iy < st->in_h; iy++) {
            const int64_t y0 = (int64_t)iy * st->stride_h - st->pad_top;
            int32_t ky0, ky1;
            conv_tap_range(y0, 1, st->k_h, st->out_h, &ky0, &ky1);
            for (int32_t ix = 0; ix < st->in_w; ix++) {
                const float *x = in + (((int64_t)b * st->in_h + iy) * st->in_w + ix) * in_c;
                const int64_t x0 = (int64_t)ix * st->stride_w - st->pad_left;
                int32_t kx0, kx1;
                conv_tap_range(x0, 1, st->k_w, st->out_w, &kx0, &kx1);
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    float *y_row = image + (y0 + ky) * out_row;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        float *y = y_row + (x0 + kx) * out_c;
                        const float *w_tap_ptr = w + ky * w_row + kx * w_tap;
                        for (int64_t o = 0; o < out_c; o++)
                            y[o] += linear_dot_f32(x, w_tap_ptr + o * w_out, in_c);
                    }
                }
            }
        }
    }

    const float lo = st->act.lo, hi = st->act.hi;
    for (int64_t i = 0; i < out_total; i += out_c) {
        float *y = out + i;
        for (int64_t o = 0; o < out_c; o++)
            y[o] = linear_clamp(bias != NULL ? y[o] + bias[o] : y[o], lo, hi);
    }
    linear_activation_post(&st->act, out, out_total);
}

/* ---- prepare ----------------------------------------------------------------------------- */

/* One spatial dimension of a transpose convolution, seen as TensorFlow Lite sees it: the
 * forward convolution (stride `stride`, a `filter`-wide window) of a `size`-wide image, the
 * transpose conv's output. Gives that convolution's output size (which must be the transpose
 * conv's input size) and its leading padding. Integer division truncates toward zero, as in
 * TensorFlow Lite (int64 here, so nothing overflows). */
static void transpose_conv_dim(int padding, int32_t size, int32_t filter, int32_t stride,
                               int64_t *conv_out, int32_t *pad_before) {
    *conv_out = padding == LT_PADDING_SAME ? ((int64_t)size + stride - 1) / stride
                                           : ((int64_t)size + stride - filter) / stride;
    int64_t total = (*conv_out - 1) * stride + filter - size;
    if (total < 0) total = 0;
    *pad_before = (int32_t)(total / 2); /* total < max(filter, stride): fits */
}

/* Reads output_shape: INT32 [4], constant, batch and channels matching input and weights. */
static lt_status read_output_shape(lt_context *ctx, const lt_node *node,
                                   transpose_conv_state *st) {
    const lt_tensor *t = node->inputs[TC_OUTPUT_SHAPE];
    char buf[96];
    if (t->type != LT_INT32)
        return lt_ctx_error(ctx, node, "output_shape '%s' has type %s; expected INT32", t->name,
                            lt_type_name(t->type));
    if (t->shape.rank != 1 || t->shape.dims[0] != 4)
        return lt_ctx_error(ctx, node, "output_shape '%s' has shape %s; expected [4] (batch, "
                            "height, width, channels)", t->name,
                            lt_shape_str(&t->shape, buf, sizeof buf));
    if (lt_check_input_constant(ctx, node, TC_OUTPUT_SHAPE) != LT_OK) return LT_ERROR;
    const int32_t *v = lt_i32(t);
    if (v[0] != st->batch)
        return lt_ctx_error(ctx, node, "output_shape[0] (batch) is %d; expected %d like the "
                            "input", (int)v[0], (int)st->batch);
    if (v[3] != st->out_c)
        return lt_ctx_error(ctx, node, "output_shape[3] (channels) is %d; expected %d, the "
                            "weights' first dimension", (int)v[3], (int)st->out_c);
    if (v[1] < 0 || v[2] < 0)
        return lt_ctx_error(ctx, node, "output_shape is [%d, %d, %d, %d]; expected a "
                            "non-negative height and width", (int)v[0], (int)v[1], (int)v[2],
                            (int)v[3]);
    st->out_h = v[1];
    st->out_w = v[2];
    return LT_OK;
}

static lt_status check_types(lt_context *ctx, const lt_node *node, transpose_conv_fn *fn) {
    const lt_tensor *in = node->inputs[TC_INPUT];
    const lt_tensor *w = node->inputs[TC_WEIGHTS];
    const lt_tensor *bias = node->n_inputs > TC_BIAS ? node->inputs[TC_BIAS] : NULL;
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    switch (in->type) {
    case LT_FLOAT32: *fn = transpose_conv_f32; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", in->name,
                            lt_type_name(in->type));
    }
    if (w->type != in->type)
        return lt_ctx_error(ctx, node, "weights '%s' have type %s; expected %s like the input",
                            w->name, lt_type_name(w->type), lt_type_name(in->type));
    if (bias != NULL && bias->type != in->type)
        return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected %s like the input",
                            bias->name, lt_type_name(bias->type), lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    return LT_OK;
}

static lt_status transpose_conv_prepare(lt_context *ctx, lt_node *node) {
    transpose_conv_state st = {0};
    if (lt_check_io_count(ctx, node, 3, 4, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_TransposeConvOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, TC_WEIGHTS, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, TC_INPUT, 4, 4) != LT_OK ||
        check_types(ctx, node, &st.fn) != LT_OK)
        return LT_ERROR;
    const lt_shape *is = &node->inputs[TC_INPUT]->shape;
    const lt_shape *ws = &node->inputs[TC_WEIGHTS]->shape;
    const lt_tensor *bias = node->n_inputs > TC_BIAS ? node->inputs[TC_BIAS] : NULL;
    char ibuf[96], wbuf[96];
    st.batch = is->dims[0];
    st.in_h = is->dims[1];
    st.in_w = is->dims[2];
    st.in_c = is->dims[3];
    st.out_c = ws->dims[0];
    st.k_h = ws->dims[1];
    st.k_w = ws->dims[2];
    if (ws->dims[3] != st.in_c)
        return lt_ctx_error(ctx, node, "weights shape %s does not fit input shape %s: expected "
                            "[out_channels, height, width, %d] (the input's channels last)",
                            lt_shape_str(ws, wbuf, sizeof wbuf),
                            lt_shape_str(is, ibuf, sizeof ibuf), (int)st.in_c);
    if (st.k_h <= 0 || st.k_w <= 0)
        return lt_ctx_error(ctx, node, "weights shape %s has a %d x %d window; expected a "
                            "positive height and width", lt_shape_str(ws, wbuf, sizeof wbuf),
                            (int)st.k_h, (int)st.k_w);
    if (bias != NULL && lt_tensor_elements(bias) != st.out_c)
        return lt_ctx_error(ctx, node, "bias '%s' has shape %s; expected %d values, one per "
                            "output channel", bias->name,
                            lt_shape_str(&bias->shape, wbuf, sizeof wbuf), (int)st.out_c);
    if (read_output_shape(ctx, node, &st) != LT_OK) return LT_ERROR;

    const int padding = lt_opt_i8(node, TC_OPT_PADDING, LT_PADDING_SAME);
    st.stride_w = lt_opt_i32(node, TC_OPT_STRIDE_W, 0);
    st.stride_h = lt_opt_i32(node, TC_OPT_STRIDE_H, 0);
    if (padding != LT_PADDING_SAME && padding != LT_PADDING_VALID)
        return lt_ctx_error(ctx, node, "padding is %d; expected SAME (0) or VALID (1)", padding);
    if (st.stride_h <= 0 || st.stride_w <= 0)
        return lt_ctx_error(ctx, node, "strides are %d x %d (h x w); expected positive values",
                            (int)st.stride_h, (int)st.stride_w);
    if (linear_activation_init(ctx, node, lt_opt_i8(node, TC_OPT_ACTIVATION, LT_ACT_NONE),
                               &st.act) != LT_OK)
        return LT_ERROR;
    int64_t conv_h, conv_w;
    transpose_conv_dim(padding, st.out_h, st.k_h, st.stride_h, &conv_h, &st.pad_top);
    transpose_conv_dim(padding, st.out_w, st.k_w, st.stride_w, &conv_w, &st.pad_left);
    if (conv_h != st.in_h || conv_w != st.in_w)
        return lt_ctx_error(ctx, node, "output_shape [%d, %d, %d, %d] does not fit input shape "
                            "%s: a %s convolution with a %d x %d filter and strides %d x %d "
                            "maps %d x %d back to %lld x %lld; expected the input's %d x %d",
                            (int)st.batch, (int)st.out_h, (int)st.out_w, (int)st.out_c,
                            lt_shape_str(is, ibuf, sizeof ibuf),
                            padding == LT_PADDING_SAME ? "SAME" : "VALID", (int)st.k_h,
                            (int)st.k_w, (int)st.stride_h, (int)st.stride_w, (int)st.out_h,
                            (int)st.out_w, (long long)conv_h, (long long)conv_w, (int)st.in_h,
                            (int)st.in_w);

    const lt_shape out_shape = {.rank = 4, .dims = {st.batch, st.out_h, st.out_w, st.out_c}};
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    transpose_conv_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status transpose_conv_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const transpose_conv_state *st = node->state;
    const lt_tensor *bias = node->n_inputs > TC_BIAS ? node->inputs[TC_BIAS] : NULL;
    st->fn(st, node->inputs[TC_INPUT], node->inputs[TC_WEIGHTS], bias, node->outputs[0]);
    return LT_OK;
}

const lt_op lt_op_transpose_conv = {"TRANSPOSE_CONV", transpose_conv_prepare,
                                    transpose_conv_invoke};
