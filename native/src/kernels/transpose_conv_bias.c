/* Convolution2DTransposeBias: MediaPipe's custom transposed convolution with bias, shipped
 * by its segmentation models (selfie segmentation, hair segmentation, ...). Registered as a
 * default custom op (op_registry.c). float32 only, like MediaPipe's own kernel.
 *
 * Inputs: 0 input [N, H, W, C], 1 weights [O, KH, KW, C], 2 bias [O]; output [N, OH, OW, O].
 * Unlike TRANSPOSE_CONV there is no output_shape input and no options table: the options are
 * the raw bytes of TensorFlow Lite's C struct TfLiteTransposeConvParams in the operator's
 * custom_options, little-endian int32 fields in this order:
 *   padding        TfLitePadding: 1 SAME, 2 VALID (0, "unknown", is rejected)
 *   stride_width   > 0
 *   stride_height  > 0
 * 12 bytes as MediaPipe's models store them. Later versions of the struct append
 * `activation` and `quantized_bias_type` (16 or 20 bytes); those sizes are accepted when the
 * extra fields are 0 (no activation, no bias type), the only values this op can mean.
 *
 * Output size, per spatial dimension (MediaPipe's rule, not derived from a forward
 * convolution as TRANSPOSE_CONV's):
 *   pad_total = SAME ? max(0, K - (in - 1) % stride - 1) : 0
 *   out       = stride * (in - 1) + K - pad_total,   leading padding pad_total / 2.
 * For SAME this equals in * stride only when in is a multiple of stride (what Keras'
 * Conv2DTranspose gives); otherwise it is smaller, as MediaPipe's kernel computes it.
 *
 * Values: the bias plus every input pixel's contribution, summed one product at a time in
 * MediaPipe's order (TRANSPOSE_CONV's float kernel, shared: transpose_conv_core.h, started
 * from the bias), so results equal MediaPipe's kernel bit for bit. */
#include <string.h>

#include "alloc.h"
#include "transpose_conv_core.h"

enum { TCB_INPUT = 0, TCB_WEIGHTS = 1, TCB_BIAS = 2 };
enum { TCB_PADDING_SAME = 1, TCB_PADDING_VALID = 2 }; /* TfLitePadding */

typedef struct transpose_conv_bias_state {
    lt_transpose_conv_geom g;
    linear_activation act; /* none: the op has no fused activation */
    const float *packed;   /* weights packed at prepare when constant, else NULL (scratch) */
} transpose_conv_bias_state;

/* Field i (int32, little-endian) of the custom options; the bytes are unaligned. */
static int32_t options_field(const lt_node *node, int i) {
    const uint8_t *p = node->custom_options + 4 * i;
    const uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                       (uint32_t)p[3] << 24;
    int32_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Reads and checks TfLiteTransposeConvParams: *same = SAME padding, strides. */
static lt_status read_options(lt_context *ctx, const lt_node *node, bool *same,
                              int32_t *stride_w, int32_t *stride_h) {
    const size_t n = node->custom_options_bytes;
    if (node->custom_options == NULL || (n != 12 && n != 16 && n != 20))
        return lt_ctx_error(ctx, node, "custom_options hold %zu bytes; expected 12 (the "
                            "TfLiteTransposeConvParams struct: int32 padding, stride_width, "
                            "stride_height), or 16 / 20 with activation and "
                            "quantized_bias_type 0", node->custom_options == NULL ? (size_t)0 : n);
    const int32_t padding = options_field(node, 0);
    *stride_w = options_field(node, 1);
    *stride_h = options_field(node, 2);
    if (padding != TCB_PADDING_SAME && padding != TCB_PADDING_VALID)
        return lt_ctx_error(ctx, node, "padding is %d in custom_options; expected 1 (SAME) or "
                            "2 (VALID), TfLitePadding values", (int)padding);
    if (*stride_w <= 0 || *stride_h <= 0)
        return lt_ctx_error(ctx, node, "strides are %d x %d (h x w) in custom_options; "
                            "expected positive values", (int)*stride_h, (int)*stride_w);
    for (size_t i = 3; i < n / 4; i++)
        if (options_field(node, (int)i) != 0)
            return lt_ctx_error(ctx, node, "custom_options field %zu (%s) is %d; expected 0",
                                i, i == 3 ? "activation" : "quantized_bias_type",
                                (int)options_field(node, (int)i));
    *same = padding == TCB_PADDING_SAME;
    return LT_OK;
}

/* One spatial dimension: output size and leading padding (see the top comment). */
static bool output_dim(bool same, int32_t in, int32_t filter, int32_t stride, int32_t *out,
                       int32_t *pad_before) {
    int64_t pad_total = 0;
    if (same) {
        pad_total = (int64_t)filter - ((int64_t)in - 1) % stride - 1;
        if (pad_total < 0) pad_total = 0;
    }
    const int64_t size = (int64_t)stride * ((int64_t)in - 1) + filter - pad_total;
    if (size <= 0 || size > INT32_MAX) return false;
    *out = (int32_t)size;
    *pad_before = (int32_t)(pad_total / 2);
    return true;
}

static lt_status check_operands(lt_context *ctx, const lt_node *node) {
    if (lt_check_io_count(ctx, node, 3, 3, 1) != LT_OK ||
        lt_check_input_type(ctx, node, TCB_INPUT, LT_FLOAT32) != LT_OK ||
        lt_check_input_type(ctx, node, TCB_WEIGHTS, LT_FLOAT32) != LT_OK ||
        lt_check_input_type(ctx, node, TCB_BIAS, LT_FLOAT32) != LT_OK ||
        lt_check_input_rank(ctx, node, TCB_INPUT, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, TCB_WEIGHTS, 4, 4) != LT_OK ||
        lt_check_input_rank(ctx, node, TCB_BIAS, 1, 1) != LT_OK)
        return LT_ERROR;
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (out->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected FLOAT32", out->name,
                            lt_type_name(out->type));
    return LT_OK;
}

static lt_status transpose_conv_bias_prepare(lt_context *ctx, lt_node *node) {
    if (check_operands(ctx, node) != LT_OK) return LT_ERROR;
    transpose_conv_bias_state st = {0};
    lt_transpose_conv_geom *g = &st.g;
    const lt_shape *is = &node->inputs[TCB_INPUT]->shape;
    const lt_shape *ws = &node->inputs[TCB_WEIGHTS]->shape;
    const lt_shape *bs = &node->inputs[TCB_BIAS]->shape;
    char ibuf[96], wbuf[96];
    if (lt_transpose_conv_geom_init(ctx, node, is, ws, g) != LT_OK) return LT_ERROR;
    if (bs->dims[0] != g->out_c)
        return lt_ctx_error(ctx, node, "bias has shape %s; expected [%d], one value per output "
                            "channel", lt_shape_str(bs, wbuf, sizeof wbuf), (int)g->out_c);
    if (g->in_h <= 0 || g->in_w <= 0)
        return lt_ctx_error(ctx, node, "input shape %s has an empty image; expected a positive "
                            "height and width", lt_shape_str(is, ibuf, sizeof ibuf));
    bool same = false;
    if (read_options(ctx, node, &same, &g->stride_w, &g->stride_h) != LT_OK) return LT_ERROR;
    if (!output_dim(same, g->in_h, g->k_h, g->stride_h, &g->out_h, &g->pad_top) ||
        !output_dim(same, g->in_w, g->k_w, g->stride_w, &g->out_w, &g->pad_left))
        return lt_ctx_error(ctx, node, "input shape %s with strides %d x %d gives an output "
                            "too large to index", lt_shape_str(is, ibuf, sizeof ibuf),
                            (int)g->stride_h, (int)g->stride_w);
    if (linear_activation_init(ctx, node, LT_ACT_NONE, &st.act) != LT_OK) return LT_ERROR;
    if (lt_transpose_conv_prepare_weights(ctx, node, g, node->inputs[TCB_WEIGHTS], &st.packed) !=
        LT_OK)
        return LT_ERROR;

    const lt_shape out_shape = {.rank = 4, .dims = {g->batch, g->out_h, g->out_w, g->out_c}};
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    transpose_conv_bias_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status transpose_conv_bias_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const transpose_conv_bias_state *st = node->state;
    const float *packed =
        lt_transpose_conv_packed(&st->g, st->packed, node->inputs[TCB_WEIGHTS], node->scratch);
    lt_transpose_conv_f32(&st->g, &st->act, lt_f32(node->inputs[TCB_INPUT]), packed,
                          lt_f32(node->inputs[TCB_BIAS]), true, lt_f32(node->outputs[0]));
    return LT_OK;
}

const lt_op lt_op_convolution_2d_transpose_bias = {
    "Convolution2DTransposeBias", transpose_conv_bias_prepare, transpose_conv_bias_invoke};
