/* QUANTIZE: float32 -> int8 / uint8, and int8 -> int8 requantization; same shape.
 *
 * The arithmetic is that of TensorFlow Lite's reference kernels (ai_edge_litert's
 * BUILTIN_REF resolver; checked bit for bit by the tests):
 *   float32 -> int8/uint8, per tensor or per channel (scales along quantized_dimension):
 *     q = round(x / scale) + zero_point clamped to the type, with a float division and
 *     roundf (ties away from zero), like its AffineQuantize / PerChannelQuantize. Values
 *     whose quotient exceeds int32 saturate to the end of the range here (TensorFlow Lite
 *     converts them to int32 with undefined behaviour); NaN gives the zero point.
 *   int8 -> int8: the Q31 multiplier of input_scale / output_scale (computed in double at
 *     prepare) applied to x - input_zero_point, plus output_zero_point, clamped: its
 *     Requantize, integer-only at invoke.
 * (TensorFlow Lite's default path, XNNPACK, multiplies by a float reciprocal and rounds ties
 * to even, and requantizes int8 with a Q8 multiplier: it differs from these by 1 on some
 * values.) */
#include <math.h>

#include "quant_math.h"

typedef struct quantize_state quantize_state;
typedef void (*quantize_fn)(const quantize_state *st, const void *in, void *out);

struct quantize_state {
    quantize_fn fn;
    int64_t n;
    int32_t q_min, q_max;
    bool out_unsigned;
    /* float input: outer blocks of `channels` runs of `inner` elements; one channel when the
     * output is quantized per tensor */
    int64_t outer, channels, inner;
    float *scale;
    int32_t *zero_point;
    /* int8 input */
    int32_t in_zero_point, out_zero_point;
    lt_qmul multiplier;
};

static inline void store_q(const quantize_state *st, void *out, int64_t i, int32_t v) {
    if (st->out_unsigned) ((uint8_t *)out)[i] = (uint8_t)v;
    else ((int8_t *)out)[i] = (int8_t)v;
}

/* roundf(x / scale) + zero_point clamped to [q_min, q_max]. The rounded quotient is clamped
 * in float before the conversion so that no value converts out of range; for quotients
 * within int32 this equals TensorFlow Lite's convert-then-clamp. */
static inline int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t q_min,
                                     int32_t q_max) {
    const float v = x / scale;
    if (isnan(v)) return zero_point;
    float r = roundf(v);
    const float lo = (float)(q_min - zero_point), hi = (float)(q_max - zero_point);
    r = r < lo ? lo : (r > hi ? hi : r);
    return (int32_t)r + zero_point;
}

static void quantize_f32(const quantize_state *st, const void *in_, void *out) {
    const float *in = in_;
    int64_t i = 0;
    for (int64_t o = 0; o < st->outer; o++)
        for (int64_t c = 0; c < st->channels; c++) {
            const float scale = st->scale[c];
            const int32_t zp = st->zero_point[c];
            for (int64_t k = 0; k < st->inner; k++, i++)
                store_q(st, out, i, quantize_value(in[i], scale, zp, st->q_min, st->q_max));
        }
}

static void requantize_i8(const quantize_state *st, const void *in_, void *out) {
    const int8_t *in = in_;
    for (int64_t i = 0; i < st->n; i++) {
        const int32_t x = (int32_t)in[i] - st->in_zero_point; /* |x| <= 255 */
        /* summed in int64: a large multiplier can bring the product near INT32_MAX */
        const int64_t v = (int64_t)lt_qmul_apply(x, st->multiplier) + st->out_zero_point;
        store_q(st, out, i, v < st->q_min ? st->q_min : (v > st->q_max ? st->q_max : (int32_t)v));
    }
}

/* Per-channel output quantization of a float input: copies the scales and zero points. */
static lt_status prepare_per_channel(lt_context *ctx, lt_node *node, quantize_state *st,
                                     const lt_tensor *out) {
    const lt_quant *q = &out->quant;
    const lt_shape *s = &out->shape;
    if (q->dimension < 0 || q->dimension >= s->rank || s->dims[q->dimension] != q->count)
        return lt_ctx_error(ctx, node, "output '%s' has %d scales along dimension %d; expected "
                            "one per channel of a dimension of the output's shape", out->name,
                            (int)q->count, (int)q->dimension);
    st->channels = q->count;
    st->outer = st->inner = 1;
    for (int d = 0; d < q->dimension; d++) st->outer *= s->dims[d];
    for (int d = q->dimension + 1; d < s->rank; d++) st->inner *= s->dims[d];
    st->scale = lt_ctx_alloc(ctx, node, (size_t)q->count * sizeof(float));
    st->zero_point = lt_ctx_alloc(ctx, node, (size_t)q->count * sizeof(int32_t));
    if (st->scale == NULL || st->zero_point == NULL) return LT_ERROR;
    for (int32_t c = 0; c < q->count; c++) {
        if (!(isfinite(q->scale[c]) && q->scale[c] > 0.0f) || q->zero_point[c] < st->q_min ||
            q->zero_point[c] > st->q_max)
            return lt_ctx_error(ctx, node, "output '%s' channel %d has scale %g and zero point "
                                "%lld; expected a finite scale > 0 and a zero point in "
                                "[%d, %d]", out->name, (int)c, (double)q->scale[c],
                                (long long)q->zero_point[c], (int)st->q_min, (int)st->q_max);
        st->scale[c] = q->scale[c];
        st->zero_point[c] = (int32_t)q->zero_point[c];
    }
    return LT_OK;
}

/* Per-tensor output quantization of a float input: one channel covering every element. */
static lt_status prepare_per_tensor(lt_context *ctx, lt_node *node, quantize_state *st,
                                    const lt_tensor *out) {
    st->scale = lt_ctx_alloc(ctx, node, sizeof(float));
    st->zero_point = lt_ctx_alloc(ctx, node, sizeof(int32_t));
    if (st->scale == NULL || st->zero_point == NULL ||
        lt_quant_per_tensor(ctx, node, out, "output", st->q_min, st->q_max, st->scale,
                            st->zero_point) != LT_OK)
        return LT_ERROR;
    st->outer = st->channels = 1;
    st->inner = st->n;
    return LT_OK;
}

static lt_status quantize_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is required");
    quantize_state st = {0};
    st.n = lt_tensor_elements(in);
    if (out->type != LT_INT8 && out->type != LT_UINT8)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected INT8 or UINT8",
                            out->name, lt_type_name(out->type));
    st.out_unsigned = out->type == LT_UINT8;
    lt_quant_type_range(out->type, &st.q_min, &st.q_max);
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    if (in->type == LT_FLOAT32) {
        if ((out->quant.count > 1 ? prepare_per_channel(ctx, node, &st, out)
                                  : prepare_per_tensor(ctx, node, &st, out)) != LT_OK)
            return LT_ERROR;
        st.fn = quantize_f32;
    } else if (in->type == LT_INT8 && out->type == LT_INT8) {
        float in_scale, out_scale;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &in_scale,
                                &st.in_zero_point) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &out_scale,
                                &st.out_zero_point) != LT_OK ||
            lt_quant_multiplier_checked(ctx, node, (double)in_scale / (double)out_scale,
                                        "requantization multiplier", &st.multiplier) != LT_OK)
            return LT_ERROR;
        st.fn = requantize_i8;
    } else {
        return lt_ctx_error(ctx, node, "input '%s' has type %s with output type %s; expected "
                            "FLOAT32 -> INT8/UINT8 or INT8 -> INT8", in->name,
                            lt_type_name(in->type), lt_type_name(out->type));
    }
    quantize_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status quantize_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const quantize_state *st = node->state;
    if (st->n == 0) return LT_OK;
    st->fn(st, node->inputs[0]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_quantize = {"QUANTIZE", quantize_prepare, quantize_invoke};
