/* Pieces shared by the float32 reference kernels of the linear ops (CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, BATCH_MATMUL) and pooling: the fused activation as
 * the kernels apply it, and a dot product.
 *
 * Fused activations. The clamps (NONE, RELU, RELU_N1_TO_1, RELU6) are applied to each
 * result as it is stored; the others (TANH, SIGN_BIT) are applied afterwards to a finished
 * run of outputs with lt_apply_activation_f32. The clamp is written as
 * min(max(x, lo), hi) with the comparisons ordered like std::max/std::min, so NaN stays NaN
 * exactly as in TensorFlow Lite. */
#ifndef LITERT_KERNELS_LINEAR_COMMON_H
#define LITERT_KERNELS_LINEAR_COMMON_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "quant_math.h"

typedef struct linear_activation {
    int32_t act;     /* ActivationFunctionType */
    float lo, hi;    /* clamp applied to every output; [-inf, inf] when none */
    bool post_pass;  /* TANH / SIGN_BIT: lt_apply_activation_f32 over the finished outputs */
} linear_activation;

/* Checks the fused activation `act` (from the options) and records how to apply it. */
static inline lt_status linear_activation_init(lt_context *ctx, const lt_node *node, int act,
                                               linear_activation *out) {
    if (lt_check_activation(ctx, node, act) != LT_OK) return LT_ERROR;
    out->act = act;
    out->post_pass = !lt_activation_range(act, &out->lo, &out->hi);
    if (out->post_pass) {
        out->lo = -INFINITY;
        out->hi = INFINITY;
    }
    return LT_OK;
}

/* The weights (filter), the optional bias and the output of a linear op must all have the
 * input's type: float32 now, and the same rule will hold per quantized variant. */
static inline lt_status linear_check_operand_types(lt_context *ctx, const lt_node *node,
                                                   const lt_tensor *weights,
                                                   const char *weights_role,
                                                   const lt_tensor *bias) {
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (weights->type != in->type)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected %s like the input",
                            weights_role, weights->name, lt_type_name(weights->type),
                            lt_type_name(in->type));
    if (bias != NULL && bias->type != in->type)
        return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected %s like the input",
                            bias->name, lt_type_name(bias->type), lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    return LT_OK;
}

static inline float linear_clamp(float x, float lo, float hi) {
    x = x < lo ? lo : x; /* std::max(x, lo): NaN is kept */
    return hi < x ? hi : x; /* std::min(x, hi): NaN is kept */
}

/* Finishes n outputs stored without the non-clamp activations. */
static inline void linear_activation_post(const linear_activation *a, float *y, int64_t n) {
    if (a->post_pass) lt_apply_activation_f32(a->act, y, n);
}

/* sum(a[i] * b[i]) over i < n. Eight independent partial sums (combined pairwise at the
 * end) break the dependency chain of a single accumulator and let the compiler vectorize
 * without reassociating anything itself; the summation order is fixed and documented here
 * so that faster kernels can be compared against it within rounding. */
static inline float linear_dot_f32(const float *a, const float *b, int64_t n) {
    float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    for (int j = 0; i < n; i++, j++) s[j] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* sum(a[i * a_stride] * b[i]) over i < n, in order (a strided operand cannot be vectorized
 * anyway; used for transposed operands). */
static inline float linear_dot_strided_f32(const float *a, int64_t a_stride, const float *b,
                                           int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i * a_stride] * b[i];
    return s;
}

/* ---- Quantized pieces -------------------------------------------------------------------- */

/* sum((x[i] - x_zero_point) * w[i]) over i < n for int8 operands, accumulated modulo 2^32:
 * the caller converts the total to int32, which gives what int32 accumulators wrapping on
 * overflow (TensorFlow Lite's and XNNPACK's) give, without signed overflow here. Each term
 * fits int32 (|term| <= 255 * 128). */
static inline uint32_t linear_dot_i8(const int8_t *x, int32_t x_zero_point, const int8_t *w,
                                     int64_t n) {
    uint32_t s = 0;
    for (int64_t i = 0; i < n; i++) s += (uint32_t)(((int32_t)x[i] - x_zero_point) * w[i]);
    return s;
}

/* Converts an accumulator kept modulo 2^32 to int32 (two's complement). */
static inline int32_t linear_acc_i32(uint32_t acc) { return (int32_t)acc; }

/* int32 element i of a tensor's data, read bytewise: a constant's bytes lie in the model
 * file at whatever alignment the file gave them. */
static inline int32_t linear_load_i32(const void *data, int64_t i) {
    int32_t v;
    memcpy(&v, (const uint8_t *)data + i * 4, sizeof v);
    return v;
}

/* How an int8 linear op turns its int32 accumulators into outputs, following TensorFlow
 * Lite's reference kernels (measured bit for bit with ai_edge_litert's BUILTIN_REF):
 *   LINEAR_REQUANT_Q31: CONV_2D and DEPTHWISE_CONV_2D, the Q31 multiplier and shift of
 *     M[c] (lt_requantize, double rounding);
 *   LINEAR_REQUANT_DOUBLE: FULLY_CONNECTED, round(acc * M[c]) in double, ties away from
 *     zero (lt_requantize_dmul, emulated with integers).
 * Both compute M[c] = input_scale * weight_scale[c] / output_scale in double, for one weight
 * scale as for per-channel scales. */
typedef enum { LINEAR_REQUANT_Q31, LINEAR_REQUANT_DOUBLE } linear_requant;

/* State of a quantized linear op with int8 input, int8 weights, optional int32 bias and
 * int8 output, all computed at prepare so that invoke is integer-only. */
typedef struct linear_quant {
    int32_t input_zero_point, output_zero_point;
    int32_t lo, hi;         /* fused activation clamp in the output's integers */
    lt_qmul *mult;          /* per output channel, LINEAR_REQUANT_Q31 */
    lt_dmul *dmult;         /* per output channel, LINEAR_REQUANT_DOUBLE */
    int32_t *bias;          /* per output channel; zeros when the op has no bias */
} linear_quant;

/* Fills `q` for an int8 linear op: checks input/output quantization (per tensor), the
 * weights' (per tensor or `channels` scales along `channel_dim`, zero point 0) and the
 * bias (int32, `channels` values, constant), and precomputes the per-channel multipliers
 * of kind `requant` and the clamp range. */
static inline lt_status linear_quant_prepare(lt_context *ctx, const lt_node *node,
                                             const lt_tensor *in, const lt_tensor *weights,
                                             const lt_tensor *bias, const lt_tensor *out,
                                             int channel_dim, int32_t channels, int act,
                                             linear_requant requant, linear_quant *q) {
    float in_scale, out_scale;
    if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &in_scale,
                            &q->input_zero_point) != LT_OK ||
        lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &out_scale,
                            &q->output_zero_point) != LT_OK ||
        lt_quant_activation_range(ctx, node, act, out_scale, q->output_zero_point, INT8_MIN,
                                  INT8_MAX, &q->lo, &q->hi) != LT_OK ||
        /* also checks the weights' scales and zero points */
        lt_quant_channel_multipliers(ctx, node, in_scale, weights, channel_dim, channels,
                                     out_scale, &q->mult) != LT_OK)
        return LT_ERROR;
    const size_t n = channels > 0 ? (size_t)channels : 1;
    if (requant == LINEAR_REQUANT_DOUBLE) {
        q->dmult = lt_ctx_alloc(ctx, node, n * sizeof *q->dmult);
        if (q->dmult == NULL) return LT_ERROR;
        const lt_quant *wq = &weights->quant;
        for (int32_t c = 0; c < channels; c++) {
            const double real = (double)in_scale * (double)wq->scale[wq->count > 1 ? c : 0] /
                                (double)out_scale;
            if (!lt_dmul_from_double(real, &q->dmult[c]))
                return lt_ctx_error(ctx, node, "output multiplier is %g; expected a finite "
                                    "value below 2^52 (check the tensors' quantization "
                                    "scales)", real);
        }
    }
    q->bias = lt_ctx_alloc(ctx, node, n * sizeof *q->bias);
    if (q->bias == NULL) return LT_ERROR;
    if (bias != NULL) {
        if (bias->type != LT_INT32)
            return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected INT32 for int8 "
                                "input", bias->name, lt_type_name(bias->type));
        if (!bias->is_constant)
            return lt_ctx_error(ctx, node, "bias '%s' is computed at run time; expected a "
                                "constant for the int8 kernel", bias->name);
        if (lt_tensor_elements(bias) != channels)
            return lt_ctx_error(ctx, node, "bias '%s' has %lld values; expected %d, one per "
                                "output channel", bias->name,
                                (long long)lt_tensor_elements(bias), (int)channels);
        for (int32_t c = 0; c < channels; c++) q->bias[c] = linear_load_i32(bias->data, c);
    }
    return LT_OK;
}

/* Hybrid (dynamic-range) ops: float32 input and output, int8 weights with per-tensor or
 * per-channel (along `channel_dim`) scales. Checks that the weights are constant and their
 * quantization usable; sets *zero_points_zero when every zero point is 0, which the integer
 * hybrid kernels (TensorFlow Lite's arithmetic, below) need. */
static inline lt_status linear_hybrid_check(lt_context *ctx, const lt_node *node,
                                            const lt_tensor *weights, int channel_dim,
                                            bool *zero_points_zero) {
    const lt_quant *q = &weights->quant;
    const lt_shape *s = &weights->shape;
    if (!weights->is_constant)
        return lt_ctx_error(ctx, node, "int8 weights '%s' with float input are computed at "
                            "run time; expected constant weights (hybrid kernel)",
                            weights->name);
    if (q->count < 1)
        return lt_ctx_error(ctx, node, "int8 weights '%s' have no quantization scale; expected "
                            "per-tensor or per-channel scales", weights->name);
    if (q->count > 1) {
        if (q->dimension != channel_dim || s->dims[channel_dim] != q->count)
            return lt_ctx_error(ctx, node, "int8 weights '%s' have %d scales along dimension "
                                "%d; expected one scale or %d along dimension %d",
                                weights->name, (int)q->count, (int)q->dimension,
                                (int)s->dims[channel_dim], channel_dim);
    }
    *zero_points_zero = true;
    for (int64_t c = 0; c < q->count; c++) {
        if (!(isfinite(q->scale[c]) && q->scale[c] > 0.0f) || q->zero_point[c] < INT8_MIN ||
            q->zero_point[c] > INT8_MAX)
            return lt_ctx_error(ctx, node, "int8 weights '%s' have scale %g and zero point "
                                "%lld for channel %lld; expected a finite scale > 0 and a zero "
                                "point in [-128, 127]", weights->name, (double)q->scale[c],
                                (long long)q->zero_point[c], (long long)c);
        if (q->zero_point[c] != 0) *zero_points_zero = false;
    }
    return LT_OK;
}

/* The dequantize-at-prepare fallback of the hybrid ops (sparse weights, nonzero zero
 * points): the weights, checked by linear_hybrid_check, are dequantized once into `out_f32`,
 * a float copy of the weights tensor whose data lives with the plan, and the float kernel
 * runs on it. This skips TensorFlow Lite's rounding of the input to int8, so the two agree
 * only to within the input's quantization error (about 1% of the output's magnitude). */
static inline lt_status linear_hybrid_weights(lt_context *ctx, const lt_node *node,
                                              const lt_tensor *weights, int channel_dim,
                                              lt_tensor *out_f32) {
    const lt_quant *q = &weights->quant;
    const lt_shape *s = &weights->shape;
    bool zero_points_zero = false;
    if (linear_hybrid_check(ctx, node, weights, channel_dim, &zero_points_zero) != LT_OK)
        return LT_ERROR;
    int64_t outer = 1, channels = 1, inner = lt_tensor_elements(weights);
    if (q->count > 1) {
        channels = q->count;
        inner = 1;
        for (int d = 0; d < channel_dim; d++) outer *= s->dims[d];
        for (int d = channel_dim + 1; d < s->rank; d++) inner *= s->dims[d];
    }
    const int64_t n = outer * channels * inner;
    float *w = lt_ctx_alloc(ctx, node, (n > 0 ? (size_t)n : 1) * sizeof(float));
    if (w == NULL) return LT_ERROR;
    const int8_t *src = lt_i8(weights);
    int64_t i = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t c = 0; c < channels; c++) {
            const float scale = q->scale[c];
            const int32_t zp = (int32_t)q->zero_point[c];
            for (int64_t k = 0; k < inner; k++, i++) w[i] = scale * (float)(src[i] - zp);
        }
    *out_f32 = *weights;
    out_f32->type = LT_FLOAT32;
    out_f32->data = w;
    out_f32->bytes = (size_t)n * sizeof(float);
    out_f32->quant = (lt_quant){0};
    return LT_OK;
}

/* ---- Hybrid arithmetic as TensorFlow Lite computes it --------------------------------------
 * TensorFlow Lite's hybrid kernels quantize each row of the float input to int8 at every
 * invoke, accumulate int8 x int8 products in int32 and scale the sum back to float:
 *   out = bias + (float)acc * (input_scale * weight_scale[c]), all in float32.
 * The row quantizer below follows its AsymmetricQuantizeFloats, including the float/double
 * type of each intermediate, so that the int8 rows (and hence the outputs) are the same:
 * bit for bit with ai_edge_litert's BUILTIN_REF kernels, and within 2e-7 of the outputs'
 * magnitude with its default (XNNPACK) kernels, whose float epilogue rounds differently.
 * (TensorFlow Lite's builtin kernels quantize symmetrically unless the op sets
 * asymmetric_quantize_inputs; its default XNNPACK path ignores that option and always
 * quantizes asymmetrically, which is what is followed here: see fully_connected.c.) */

/* Asymmetric: the range [min(x, 0), max(x, 0)] maps onto [-128, 127] with a zero point
 * nudged to an integer (the range's width in float, the rest in double, as TensorFlow Lite
 * computes them), then
 * q = round(zero_point + x * (1 / scale)) clamped to [-128, 127]. Returns the scale and
 * stores the zero point. */
static inline float linear_quantize_row_asymmetric(const float *x, int64_t n, int8_t *q,
                                                   int32_t *zero_point) {
    float lo = n > 0 ? x[0] : 0.0f, hi = lo;
    for (int64_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (hi < x[i]) hi = x[i];
    }
    const float rmin = fminf(0.0f, lo), rmax = fmaxf(0.0f, hi);
    if (rmin == rmax) {
        memset(q, 0, (size_t)n);
        *zero_point = 0;
        return 1.0f;
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
    const float inv = (float)(1.0 / (double)scale_f);
    for (int64_t i = 0; i < n; i++) {
        const float r = roundf((float)zp + x[i] * inv); /* ties away from zero */
        q[i] = (int8_t)(r >= 127.0f ? 127 : r > -128.0f ? (int32_t)r : -128); /* NaN: -128 */
    }
    *zero_point = zp;
    return scale_f;
}

/* sum(x[i] * w[i]) over i < n for int8 operands, accumulated modulo 2^32 and returned as
 * int32: what TensorFlow Lite's wrapping int32 accumulator gives, without signed overflow. */
static inline int32_t linear_dot_i8i8(const int8_t *x, const int8_t *w, int64_t n) {
    uint32_t s = 0;
    for (int64_t i = 0; i < n; i++) s += (uint32_t)((int32_t)x[i] * (int32_t)w[i]);
    return (int32_t)s;
}

#endif
