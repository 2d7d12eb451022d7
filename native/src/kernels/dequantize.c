/* DEQUANTIZE: float16, int8, uint8 or int16 in, float32 out, same shape.
 *
 * float16 is the common case: converters store weights as half floats and put a DEQUANTIZE
 * in front of their consumer. The conversion is written out bit by bit (no reliance on a
 * compiler's _Float16) and is exact for every half value: normals, subnormals, signed zeros,
 * infinities, and NaN (payload kept, so a quiet NaN stays quiet).
 *
 * Integer inputs use the tensor's affine quantization, real = scale * (q - zero_point), per
 * tensor or per channel along quantized_dimension. Zero points must lie in the input type's
 * range, so q - zero_point is exact in float and the single float rounding of the product
 * gives what TensorFlow Lite computes (it rounds a double product to float).
 *
 * Input bytes are read byte by byte (little-endian, as the format stores them): a constant
 * input points into the model file, whose alignment is not ours to assume. */
#include <string.h>

#include "kernels.h"

/* ---- float16 --------------------------------------------------------------------------- */

static float f32_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE 754 binary16 -> binary32. */
static float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0x1Fu) /* inf (mantissa 0) or NaN: all-ones exponent, mantissa kept */
        return f32_from_bits(sign | 0x7F800000u | (mantissa << 13));
    if (exponent == 0) {
        /* zero or subnormal: mantissa * 2^-24, exact in float32 (a normal number there) */
        const float magnitude = (float)mantissa * 0x1p-24f;
        return sign ? -magnitude : magnitude;
    }
    /* normal: rebias the exponent from 15 to 127 and widen the mantissa from 10 to 23 bits */
    return f32_from_bits(sign | ((exponent + (127u - 15u)) << 23) | (mantissa << 13));
}

/* ---- integer inputs -------------------------------------------------------------------- */

typedef struct dequant_state {
    void (*fn)(const struct dequant_state *st, const uint8_t *in, float *out);
    int64_t n;          /* elements */
    /* Per channel: outer blocks of `channels` groups of `inner` elements; channel c uses
     * scale[c], zero_point[c]. Per tensor is channels = 1. */
    int64_t outer, channels, inner;
    float *scale;       /* `channels` values */
    int32_t *zero_point;
} dequant_state;

static void dequant_f16(const dequant_state *st, const uint8_t *in, float *out) {
    for (int64_t i = 0; i < st->n; i++)
        out[i] = half_to_float((uint16_t)(in[2 * i] | (in[2 * i + 1] << 8)));
}

/* Loads element i of each integer type from little-endian bytes. */
static inline int32_t load_i8(const uint8_t *p, int64_t i) { return (int8_t)p[i]; }
static inline int32_t load_u8(const uint8_t *p, int64_t i) { return p[i]; }
static inline int32_t load_i16(const uint8_t *p, int64_t i) {
    return (int16_t)(uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
}

#define DEFINE_DEQUANT_INT(NAME, LOAD)                                                         \
    static void NAME(const dequant_state *st, const uint8_t *in, float *out) {                 \
        int64_t i = 0;                                                                         \
        for (int64_t o = 0; o < st->outer; o++) {                                              \
            for (int64_t c = 0; c < st->channels; c++) {                                       \
                const float scale = st->scale[c];                                              \
                const int32_t zero_point = st->zero_point[c];                                  \
                for (int64_t k = 0; k < st->inner; k++, i++)                                   \
                    out[i] = scale * (float)(LOAD(in, i) - zero_point);                        \
            }                                                                                  \
        }                                                                                      \
    }

DEFINE_DEQUANT_INT(dequant_i8, load_i8)
DEFINE_DEQUANT_INT(dequant_u8, load_u8)
DEFINE_DEQUANT_INT(dequant_i16, load_i16)

/* ---- prepare / invoke ------------------------------------------------------------------ */

/* Checks the quantization of an integer input and copies it into the state. */
static lt_status prepare_int(lt_context *ctx, lt_node *node, dequant_state *st,
                             const lt_tensor *in, int64_t q_min, int64_t q_max) {
    const lt_quant *q = &in->quant;
    const lt_shape *s = &in->shape;
    if (q->count < 1)
        return lt_ctx_error(ctx, node,
                            "input has type %s but no quantization parameters; expected a "
                            "scale and zero point",
                            lt_type_name(in->type));
    int64_t channels = 1, outer = 1, inner = 1;
    if (q->count > 1) {
        if (q->dimension < 0 || q->dimension >= s->rank)
            return lt_ctx_error(ctx, node,
                                "quantized_dimension is %d; expected a value in [0, %d) for "
                                "an input of rank %d",
                                (int)q->dimension, (int)s->rank, (int)s->rank);
        if (s->dims[q->dimension] != q->count)
            return lt_ctx_error(ctx, node,
                                "%d per-channel scales for dimension %d of extent %d; "
                                "expected one per channel",
                                (int)q->count, (int)q->dimension, (int)s->dims[q->dimension]);
        channels = q->count;
        for (int d = 0; d < q->dimension; d++) outer *= s->dims[d];
        for (int d = q->dimension + 1; d < s->rank; d++) inner *= s->dims[d];
        /* outer * channels * inner == element count, which the interpreter has checked */
    } else {
        inner = st->n;
    }
    st->outer = outer;
    st->channels = channels;
    st->inner = inner;
    st->scale = lt_ctx_alloc(ctx, node, (size_t)channels * sizeof(float));
    st->zero_point = lt_ctx_alloc(ctx, node, (size_t)channels * sizeof(int32_t));
    if (st->scale == NULL || st->zero_point == NULL) return LT_ERROR;
    for (int64_t c = 0; c < channels; c++) {
        if (q->zero_point[c] < q_min || q->zero_point[c] > q_max)
            return lt_ctx_error(ctx, node,
                                "zero point %lld (channel %lld) is outside the range of %s; "
                                "expected a value in [%lld, %lld]",
                                (long long)q->zero_point[c], (long long)c,
                                lt_type_name(in->type), (long long)q_min, (long long)q_max);
        st->scale[c] = q->scale[c];
        st->zero_point[c] = (int32_t)q->zero_point[c];
    }
    return LT_OK;
}

static lt_status dequantize_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK) return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (in == NULL) return lt_ctx_error(ctx, node, "input 0 is required");
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    if (out->type != LT_FLOAT32)
        return lt_ctx_error(ctx, node, "output has type %s; expected FLOAT32",
                            lt_type_name(out->type));
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    dequant_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->n = lt_tensor_elements(in);
    lt_status status = LT_OK;
    switch (in->type) {
    case LT_FLOAT16: st->fn = dequant_f16; break;
    case LT_INT8:
        st->fn = dequant_i8;
        status = prepare_int(ctx, node, st, in, INT8_MIN, INT8_MAX);
        break;
    case LT_UINT8:
        st->fn = dequant_u8;
        status = prepare_int(ctx, node, st, in, 0, UINT8_MAX);
        break;
    case LT_INT16:
        st->fn = dequant_i16;
        status = prepare_int(ctx, node, st, in, INT16_MIN, INT16_MAX);
        break;
    default:
        return lt_ctx_error(ctx, node, "input has type %s; expected FLOAT16, INT8, UINT8 or "
                            "INT16", lt_type_name(in->type));
    }
    if (status != LT_OK) return status;
    node->state = st;
    return LT_OK;
}

static lt_status dequantize_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const dequant_state *st = node->state;
    if (st->n == 0) return LT_OK;
    st->fn(st, node->inputs[0]->data, lt_f32(node->outputs[0]));
    return LT_OK;
}

const lt_op lt_op_dequantize = {"DEQUANTIZE", dequantize_prepare, dequantize_invoke};
