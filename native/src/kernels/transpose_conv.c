/* TRANSPOSE_CONV: the gradient of CONV_2D with respect to its input ("deconvolution"),
 * reference kernels: float32, int8, hybrid (float32 with int8 weights).
 *
 * Inputs, in TensorFlow Lite's order: 0 output_shape (INT32 [4], constant: N, OH, OW, O),
 * 1 weights [O, KH, KW, C], 2 input [N, H, W, C], 3 optional bias [O]. Output
 * [N, OH, OW, O]. TransposeConvOptions: padding [0], stride_w [1], stride_h [2],
 * fused_activation_function [3] (quantized_bias_type [4] concerns quantized models only).
 *
 * Each input pixel (iy, ix) spreads input . weights[o, ky, kx, :] onto output pixel
 * (iy * stride_h - pad_top + ky, ix * stride_w - pad_left + kx), for the taps that land
 * inside the output; then bias and the activation are applied to every output value.
 * float32 sums each output's products one at a time in TensorFlow Lite's reference order
 * (input pixels row-major, then channels), with the weights rearranged at prepare so the
 * inner loop runs over contiguous output channels: results equal its reference kernel's
 * bit for bit.
 *
 * Padding is computed as TensorFlow Lite does: as if for a CONV_2D that maps the output
 * (OH x OW) back to the input, i.e. from the output size, the filter size and the stride,
 * with C's truncating division. As in TensorFlow Lite, that forward convolution must give
 * back the input's size: SAME needs ceil(OH / stride) = H, VALID (OH - KH) / stride + 1 = H,
 * so OH may exceed the tightest size by up to stride - 1 (output pixels nothing reaches then
 * hold bias only).
 *
 * Fused activation: clamps as stored; TANH / SIGN_BIT applied afterwards (TensorFlow Lite's
 * kernel ignores those two; converters never emit them).
 *
 * int8 (what TensorFlow's converter emits for full-integer models): int8 input and output
 * (per tensor), int8 weights with one scale or one per output channel (dimension 0, zero
 * points 0), optional int32 bias. As TensorFlow Lite's reference integer kernel: every
 * product (x - input_zero_point) * w is accumulated into an int32 per output value (scratch
 * memory; wrapping, as TensorFlow Lite's int32 arithmetic does in practice), then the bias is
 * added and the sum requantized with the channel's Q31 multiplier M[c] = input_scale *
 * weight_scale[c] / output_scale (double rounding), plus the output zero point, clamped to
 * the fused activation's range.
 *
 * Hybrid (what TensorFlow's converter emits with dynamic-range quantization): float32 input,
 * bias and output, int8 weights with per-tensor or per-channel (dimension 0) scales. The
 * weights are dequantized once at prepare and the float32 kernel runs on them. TensorFlow
 * Lite instead quantizes the input to int8 at every invoke, so the two agree to within the
 * input's quantization error (about 1% of the output's magnitude), not bit for bit. */
#include "alloc.h"
#include "conv_common.h"
#include "transpose_conv_core.h"

enum { TC_OUTPUT_SHAPE = 0, TC_WEIGHTS = 1, TC_INPUT = 2, TC_BIAS = 3 };
enum { TC_OPT_PADDING = 0, TC_OPT_STRIDE_W = 1, TC_OPT_STRIDE_H = 2, TC_OPT_ACTIVATION = 3 };

typedef struct transpose_conv_state transpose_conv_state;
typedef void (*transpose_conv_fn)(const transpose_conv_state *st, const lt_tensor *in,
                                  const lt_tensor *weights, const lt_tensor *bias,
                                  lt_tensor *out, void *scratch);

struct transpose_conv_state {
    transpose_conv_fn fn;
    lt_transpose_conv_geom g;
    linear_activation act;   /* float32 */
    linear_quant q;          /* int8 */
    lt_tensor weights_f32;   /* hybrid: the int8 weights dequantized at prepare */
    bool hybrid;
    const float *packed;     /* float32: weights packed at prepare (constant), or NULL */
};

/* ---- float32 kernel ---------------------------------------------------------------------- */

void lt_transpose_conv_pack_f32(const lt_transpose_conv_geom *g, const float *w,
                                float *packed) {
    const int64_t taps = (int64_t)g->k_h * g->k_w, in_c = g->in_c, out_c = g->out_c;
    for (int64_t o = 0; o < out_c; o++)
        for (int64_t t = 0; t < taps; t++)
            for (int64_t c = 0; c < in_c; c++)
                packed[(t * in_c + c) * out_c + o] = w[(o * taps + t) * in_c + c];
}

void lt_transpose_conv_f32(const lt_transpose_conv_geom *g, const linear_activation *act,
                           const float *in, const float *w, const float *bias, bool bias_first,
                           float *out) {
    const int64_t in_c = g->in_c, out_c = g->out_c;
    const int64_t out_row = (int64_t)g->out_w * out_c, out_image = out_row * g->out_h;
    const int64_t w_row = (int64_t)g->k_w * in_c * out_c;
    const int64_t out_total = out_image * g->batch;

    if (bias != NULL && bias_first) {
        for (int64_t i = 0; i < out_total; i += out_c)
            for (int64_t o = 0; o < out_c; o++) out[i + o] = bias[o];
    } else {
        for (int64_t i = 0; i < out_total; i++) out[i] = 0.0f;
    }

    /* Scatter: every input pixel adds its contribution to the output pixels it reaches. */
    for (int32_t b = 0; b < g->batch; b++) {
        float *image = out + b * out_image;
        for (int32_t iy = 0; iy < g->in_h; iy++) {
            const int64_t y0 = (int64_t)iy * g->stride_h - g->pad_top;
            int32_t ky0, ky1;
            conv_tap_range(y0, 1, g->k_h, g->out_h, &ky0, &ky1);
            for (int32_t ix = 0; ix < g->in_w; ix++) {
                const float *x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * in_c;
                const int64_t x0 = (int64_t)ix * g->stride_w - g->pad_left;
                int32_t kx0, kx1;
                conv_tap_range(x0, 1, g->k_w, g->out_w, &kx0, &kx1);
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    float *y_row = image + (y0 + ky) * out_row;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        float *y = y_row + (x0 + kx) * out_c;
                        const float *w_tap = w + ky * w_row + (int64_t)kx * in_c * out_c;
                        /* channel by channel: each y[o] adds its products in order, and the
                         * loop over o (contiguous, independent) still vectorizes */
                        for (int64_t c = 0; c < in_c; c++) {
                            const float xv = x[c];
                            const float *wc = w_tap + c * out_c;
                            for (int64_t o = 0; o < out_c; o++) y[o] += xv * wc[o];
                        }
                    }
                }
            }
        }
    }

    const float lo = act->lo, hi = act->hi;
    const bool add_bias = bias != NULL && !bias_first;
    for (int64_t i = 0; i < out_total; i += out_c) {
        float *y = out + i;
        for (int64_t o = 0; o < out_c; o++)
            y[o] = linear_clamp(add_bias ? y[o] + bias[o] : y[o], lo, hi);
    }
    linear_activation_post(act, out, out_total);
}

lt_status lt_transpose_conv_geom_init(lt_context *ctx, const lt_node *node, const lt_shape *in,
                                      const lt_shape *weights, lt_transpose_conv_geom *g) {
    char ibuf[96], wbuf[96];
    g->batch = in->dims[0];
    g->in_h = in->dims[1];
    g->in_w = in->dims[2];
    g->in_c = in->dims[3];
    g->out_c = weights->dims[0];
    g->k_h = weights->dims[1];
    g->k_w = weights->dims[2];
    if (weights->dims[3] != g->in_c)
        return lt_ctx_error(ctx, node, "weights shape %s does not fit input shape %s: expected "
                            "[out_channels, height, width, %d] (the input's channels last)",
                            lt_shape_str(weights, wbuf, sizeof wbuf),
                            lt_shape_str(in, ibuf, sizeof ibuf), (int)g->in_c);
    if (g->k_h <= 0 || g->k_w <= 0)
        return lt_ctx_error(ctx, node, "weights shape %s has a %d x %d window; expected a "
                            "positive height and width", lt_shape_str(weights, wbuf, sizeof wbuf),
                            (int)g->k_h, (int)g->k_w);
    return LT_OK;
}

lt_status lt_transpose_conv_prepare_weights(lt_context *ctx, lt_node *node,
                                            const lt_transpose_conv_geom *g,
                                            const lt_tensor *weights, const float **packed) {
    size_t bytes;
    *packed = NULL;
    if (!lt_mul_size((size_t)lt_tensor_elements(weights), sizeof(float), &bytes))
        return lt_ctx_error(ctx, node, "weights are too large to pack");
    if (!weights->is_constant) {
        node->scratch_bytes = bytes; /* packed at every invoke */
        return LT_OK;
    }
    float *p = lt_ctx_alloc(ctx, node, bytes > 0 ? bytes : sizeof(float));
    if (p == NULL) return LT_ERROR;
    lt_transpose_conv_pack_f32(g, lt_f32(weights), p);
    *packed = p;
    return LT_OK;
}

const float *lt_transpose_conv_packed(const lt_transpose_conv_geom *g, const float *packed,
                                      const lt_tensor *weights, void *scratch) {
    if (packed != NULL) return packed;
    lt_transpose_conv_pack_f32(g, lt_f32(weights), scratch);
    return scratch;
}

static void transpose_conv_f32(const transpose_conv_state *st, const lt_tensor *in,
                               const lt_tensor *weights, const lt_tensor *bias, lt_tensor *out,
                               void *scratch) {
    const float *packed = lt_transpose_conv_packed(&st->g, st->packed, weights, scratch);
    lt_transpose_conv_f32(&st->g, &st->act, lt_f32(in), packed,
                          bias != NULL ? lt_f32(bias) : NULL, false, lt_f32(out));
}

/* ---- int8 kernel ------------------------------------------------------------------------- */

/* The same scatter into one uint32 accumulator per output value (int32 arithmetic modulo
 * 2^32, no signed overflow), then TensorFlow Lite's reference output stage. */
static void transpose_conv_q8(const transpose_conv_state *st, const lt_tensor *in_t,
                              const lt_tensor *weights_t, const lt_tensor *bias_t,
                              lt_tensor *out_t, void *scratch) {
    (void)bias_t; /* read at prepare into st->q.bias */
    const lt_transpose_conv_geom *g = &st->g;
    const int8_t *in = lt_i8(in_t);
    const int8_t *w = lt_i8(weights_t);
    int8_t *out = lt_i8(out_t);
    uint32_t *acc = scratch;
    const int32_t zp = st->q.input_zero_point;
    const int64_t in_c = g->in_c, out_c = g->out_c;
    const int64_t out_row = (int64_t)g->out_w * out_c, out_image = out_row * g->out_h;
    const int64_t w_tap = in_c, w_row = w_tap * g->k_w, w_out = w_row * g->k_h;
    const int64_t out_total = out_image * g->batch;

    for (int64_t i = 0; i < out_total; i++) acc[i] = 0;
    for (int32_t b = 0; b < g->batch; b++) {
        uint32_t *image = acc + b * out_image;
        for (int32_t iy = 0; iy < g->in_h; iy++) {
            const int64_t y0 = (int64_t)iy * g->stride_h - g->pad_top;
            int32_t ky0, ky1;
            conv_tap_range(y0, 1, g->k_h, g->out_h, &ky0, &ky1);
            for (int32_t ix = 0; ix < g->in_w; ix++) {
                const int8_t *x = in + (((int64_t)b * g->in_h + iy) * g->in_w + ix) * in_c;
                const int64_t x0 = (int64_t)ix * g->stride_w - g->pad_left;
                int32_t kx0, kx1;
                conv_tap_range(x0, 1, g->k_w, g->out_w, &kx0, &kx1);
                for (int32_t ky = ky0; ky < ky1; ky++) {
                    uint32_t *y_row = image + (y0 + ky) * out_row;
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        uint32_t *y = y_row + (x0 + kx) * out_c;
                        const int8_t *w_tap_ptr = w + ky * w_row + kx * w_tap;
                        for (int64_t o = 0; o < out_c; o++)
                            y[o] += linear_dot_i8(x, zp, w_tap_ptr + o * w_out, in_c);
                    }
                }
            }
        }
    }
    for (int64_t i = 0; i < out_total; i += out_c)
        for (int64_t o = 0; o < out_c; o++) {
            const int32_t sum = linear_acc_i32(acc[i + o] + (uint32_t)st->q.bias[o]);
            out[i + o] = (int8_t)lt_requantize(sum, st->q.mult[o], st->q.output_zero_point,
                                               st->q.lo, st->q.hi);
        }
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
                                   lt_transpose_conv_geom *g) {
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
    int32_t v[4];
    for (int i = 0; i < 4; i++) v[i] = linear_load_i32(t->data, i);
    if (v[0] != g->batch)
        return lt_ctx_error(ctx, node, "output_shape[0] (batch) is %d; expected %d like the "
                            "input", (int)v[0], (int)g->batch);
    if (v[3] != g->out_c)
        return lt_ctx_error(ctx, node, "output_shape[3] (channels) is %d; expected %d, the "
                            "weights' first dimension", (int)v[3], (int)g->out_c);
    if (v[1] < 0 || v[2] < 0)
        return lt_ctx_error(ctx, node, "output_shape is [%d, %d, %d, %d]; expected a "
                            "non-negative height and width", (int)v[0], (int)v[1], (int)v[2],
                            (int)v[3]);
    g->out_h = v[1];
    g->out_w = v[2];
    return LT_OK;
}

/* Picks the kernel from the input type and checks the other operands' types. */
static lt_status check_types(lt_context *ctx, const lt_node *node, transpose_conv_fn *fn,
                             bool *hybrid) {
    const lt_tensor *in = node->inputs[TC_INPUT];
    const lt_tensor *w = node->inputs[TC_WEIGHTS];
    const lt_tensor *bias = node->n_inputs > TC_BIAS ? node->inputs[TC_BIAS] : NULL;
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    lt_type bias_type = in->type;
    switch (in->type) {
    case LT_FLOAT32: *fn = transpose_conv_f32; break;
    case LT_INT8: *fn = transpose_conv_q8; bias_type = LT_INT32; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    }
    *hybrid = in->type == LT_FLOAT32 && w->type == LT_INT8;
    if (w->type != in->type && !*hybrid)
        return lt_ctx_error(ctx, node, "weights '%s' have type %s; expected %s like the input%s",
                            w->name, lt_type_name(w->type), lt_type_name(in->type),
                            in->type == LT_FLOAT32 ? " (or INT8: hybrid)" : "");
    if (bias != NULL && bias->type != bias_type)
        return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected %s for %s input",
                            bias->name, lt_type_name(bias->type), lt_type_name(bias_type),
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    return LT_OK;
}

static lt_status transpose_conv_prepare(lt_context *ctx, lt_node *node) {
    transpose_conv_state st = {0};
    lt_transpose_conv_geom *g = &st.g;
    if (lt_check_io_count(ctx, node, 3, 4, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_TransposeConvOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, TC_WEIGHTS, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, TC_INPUT, 4, 4) != LT_OK ||
        check_types(ctx, node, &st.fn, &st.hybrid) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[TC_INPUT];
    const lt_tensor *weights = node->inputs[TC_WEIGHTS];
    const lt_shape *is = &in->shape;
    const lt_shape *ws = &weights->shape;
    const lt_tensor *bias = node->n_inputs > TC_BIAS ? node->inputs[TC_BIAS] : NULL;
    char ibuf[96], wbuf[96];
    if (lt_transpose_conv_geom_init(ctx, node, is, ws, g) != LT_OK) return LT_ERROR;
    if (bias != NULL && lt_tensor_elements(bias) != g->out_c)
        return lt_ctx_error(ctx, node, "bias '%s' has shape %s; expected %d values, one per "
                            "output channel", bias->name,
                            lt_shape_str(&bias->shape, wbuf, sizeof wbuf), (int)g->out_c);
    if (read_output_shape(ctx, node, g) != LT_OK) return LT_ERROR;

    const int padding = lt_opt_i8(node, TC_OPT_PADDING, LT_PADDING_SAME);
    g->stride_w = lt_opt_i32(node, TC_OPT_STRIDE_W, 0);
    g->stride_h = lt_opt_i32(node, TC_OPT_STRIDE_H, 0);
    if (padding != LT_PADDING_SAME && padding != LT_PADDING_VALID)
        return lt_ctx_error(ctx, node, "padding is %d; expected SAME (0) or VALID (1)", padding);
    if (g->stride_h <= 0 || g->stride_w <= 0)
        return lt_ctx_error(ctx, node, "strides are %d x %d (h x w); expected positive values",
                            (int)g->stride_h, (int)g->stride_w);
    const int act = lt_opt_i8(node, TC_OPT_ACTIVATION, LT_ACT_NONE);
    if (in->type == LT_INT8) {
        if (linear_quant_prepare(ctx, node, in, weights, bias, node->outputs[0], 0, g->out_c,
                                 act, LINEAR_REQUANT_Q31, &st.q) != LT_OK)
            return LT_ERROR;
    } else if (linear_activation_init(ctx, node, act, &st.act) != LT_OK ||
               (st.hybrid &&
                linear_hybrid_weights(ctx, node, weights, 0, &st.weights_f32) != LT_OK)) {
        return LT_ERROR;
    }
    int64_t conv_h, conv_w;
    transpose_conv_dim(padding, g->out_h, g->k_h, g->stride_h, &conv_h, &g->pad_top);
    transpose_conv_dim(padding, g->out_w, g->k_w, g->stride_w, &conv_w, &g->pad_left);
    if (conv_h != g->in_h || conv_w != g->in_w)
        return lt_ctx_error(ctx, node, "output_shape [%d, %d, %d, %d] does not fit input shape "
                            "%s: a %s convolution with a %d x %d filter and strides %d x %d "
                            "maps %d x %d back to %lld x %lld; expected the input's %d x %d",
                            (int)g->batch, (int)g->out_h, (int)g->out_w, (int)g->out_c,
                            lt_shape_str(is, ibuf, sizeof ibuf),
                            padding == LT_PADDING_SAME ? "SAME" : "VALID", (int)g->k_h,
                            (int)g->k_w, (int)g->stride_h, (int)g->stride_w, (int)g->out_h,
                            (int)g->out_w, (long long)conv_h, (long long)conv_w, (int)g->in_h,
                            (int)g->in_w);

    const lt_shape out_shape = {.rank = 4, .dims = {g->batch, g->out_h, g->out_w, g->out_c}};
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (in->type == LT_INT8) {
        /* one int32 accumulator per output value */
        const size_t n = (size_t)lt_tensor_elements(node->outputs[0]);
        size_t bytes;
        if (!lt_mul_size(n > 0 ? n : 1, sizeof(uint32_t), &bytes))
            return lt_ctx_error(ctx, node, "output is too large for the int8 accumulators");
        node->scratch_bytes = bytes;
    } else {
        /* float32 (and hybrid, dequantized above): weights packed once if known now */
        if (lt_transpose_conv_prepare_weights(ctx, node, g, st.hybrid ? &st.weights_f32 : weights,
                                              &st.packed) != LT_OK)
            return LT_ERROR;
    }
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
    st->fn(st, node->inputs[TC_INPUT], node->inputs[TC_WEIGHTS], bias, node->outputs[0],
           node->scratch);
    return LT_OK;
}

const lt_op lt_op_transpose_conv = {"TRANSPOSE_CONV", transpose_conv_prepare,
                                    transpose_conv_invoke};
