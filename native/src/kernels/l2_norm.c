/* L2_NORMALIZATION: x / ||x|| along the last axis (tf.math.l2_normalize over the last axis,
 * which TensorFlow's converter fuses into this op).
 *
 * Input rank >= 1 (TensorFlow Lite stops at 4; the computation does not care), FLOAT32 or
 * INT8, output of the same type and shape. L2NormOptions.fused_activation_function must be
 * NONE: TensorFlow Lite implements no other.
 *
 * float32, as TensorFlow Lite's reference kernel: per row, s = sum of x*x in order (float),
 * n = max(sqrt(s), 1e-6), y = x / n. The epsilon is TensorFlow Lite's fixed 1e-6 on the
 * norm, not TensorFlow's (1e-12 on the squared sum, a model attribute the file does not
 * carry): a row of zeros gives zeros, a row with norm below 1e-6 is divided by 1e-6.
 *
 * int8, as TensorFlow Lite's reference kernel, all in integers: per row, the sum of squares
 * of (x - in_zp) in int32, its inverse square root as a quantized multiplier
 * (quant_inv_sqrt.h), each (x - in_zp) multiplied by it with 7 more bits of left shift,
 * clamped to [-128, 127]. The output must be quantized with scale 1/128 and zero point 0
 * (what TensorFlow Lite requires: the arithmetic assumes it). No epsilon: a row of zeros gives
 * zeros (its multiplier is that of 1). Rows long enough for the int32 sum to overflow are
 * rejected (TensorFlow Lite's would be undefined): the limit is INT32_MAX / 255^2 = 33025
 * elements at worst, more when the zero point is central. */
#include <math.h>

#include "kernels.h"
#include "quant_inv_sqrt.h"
#include "quant_math.h"

enum { L2NORM_OPT_ACTIVATION = 0 }; /* L2NormOptions field id */

typedef struct l2_state {
    int64_t rows, depth;
    int32_t in_zp; /* int8 */
} l2_state;

static lt_status l2_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_L2NormOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    const lt_tensor *out = node->outputs[0];
    if (out == NULL) return lt_ctx_error(ctx, node, "output is required");
    const int act = lt_opt_i8(node, L2NORM_OPT_ACTIVATION, LT_ACT_NONE);
    if (act != LT_ACT_NONE)
        return lt_ctx_error(ctx, node, "fused activation %d is not supported; L2_NORMALIZATION "
                            "takes none (NONE = 0), like TensorFlow Lite", act);
    if (in->type != LT_FLOAT32 && in->type != LT_INT8)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    const int rank = in->shape.rank;
    if (rank < 1)
        return lt_ctx_error(ctx, node, "input '%s' is a scalar; expected rank >= 1 (the last "
                            "axis is normalized)", in->name);
    if (lt_node_set_output_shape(ctx, node, 0, &in->shape) != LT_OK) return LT_ERROR;

    l2_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->depth = in->shape.dims[rank - 1];
    st->rows = st->depth == 0 ? 0 : lt_tensor_elements(in) / st->depth;
    st->in_zp = 0;
    if (in->type == LT_INT8) {
        float si, so;
        int32_t zo;
        if (lt_quant_per_tensor(ctx, node, in, "input", INT8_MIN, INT8_MAX, &si,
                                &st->in_zp) != LT_OK ||
            lt_quant_per_tensor(ctx, node, out, "output", INT8_MIN, INT8_MAX, &so, &zo) != LT_OK)
            return LT_ERROR;
        if (so != 1.0f / 128.0f || zo != 0)
            return lt_ctx_error(ctx, node, "output '%s' has scale %g and zero point %d; int8 "
                                "L2_NORMALIZATION needs scale 1/128 (0.0078125) and zero point "
                                "0", out->name, (double)so, (int)zo);
        const int64_t max_diff = st->in_zp >= 0 ? st->in_zp + 128 : 127 - st->in_zp;
        const int64_t limit = INT32_MAX / (max_diff * max_diff);
        if (st->depth > limit)
            return lt_ctx_error(ctx, node, "the last axis has %lld elements; int8 "
                                "L2_NORMALIZATION supports at most %lld with input zero point "
                                "%d (its int32 sum of squares would overflow)",
                                (long long)st->depth, (long long)limit, (int)st->in_zp);
    }
    node->state = st;
    return LT_OK;
}

static void l2_f32(const float *in, float *out, int64_t rows, int64_t depth) {
    for (int64_t r = 0; r < rows; r++) {
        const float *x = in + r * depth;
        float *y = out + r * depth;
        float sum = 0.0f;
        for (int64_t c = 0; c < depth; c++) sum += x[c] * x[c];
        float norm = sqrtf(sum);
        /* std::max(norm, eps) keeps norm unless norm < eps: NaN stays NaN. */
        if (norm < 1e-6f) norm = 1e-6f;
        for (int64_t c = 0; c < depth; c++) y[c] = x[c] / norm;
    }
}

static void l2_i8(const int8_t *in, int8_t *out, int64_t rows, int64_t depth, int32_t zp) {
    for (int64_t r = 0; r < rows; r++) {
        const int8_t *x = in + r * depth;
        int8_t *y = out + r * depth;
        int32_t sum = 0; /* cannot overflow: depth is bounded at prepare */
        for (int64_t c = 0; c < depth; c++) {
            const int32_t d = x[c] - zp;
            sum += d * d;
        }
        int32_t m;
        int shift;
        lt_inv_sqrt_quantized(sum, &m, &shift);
        /* The output scale is 2^-7: 7 more bits of left shift. */
        for (int64_t c = 0; c < depth; c++) {
            const int32_t v = lt_multiply_by_quantized_multiplier(x[c] - zp, m, shift + 7);
            y[c] = (int8_t)lt_clamp_i32(v, INT8_MIN, INT8_MAX);
        }
    }
}

typedef struct l2_args {
    const l2_state *st;
    const lt_tensor *in;
    void *out;
} l2_args;

/* Rows [begin, end): rows are independent, so any split gives the same bits. */
static void l2_range(void *arg, int64_t begin, int64_t end) {
    const l2_args *a = arg;
    const int64_t depth = a->st->depth, offset = begin * depth;
    if (a->in->type == LT_FLOAT32)
        l2_f32(lt_f32(a->in) + offset, (float *)a->out + offset, end - begin, depth);
    else
        l2_i8(lt_i8(a->in) + offset, (int8_t *)a->out + offset, end - begin, depth,
              a->st->in_zp);
}

static lt_status l2_invoke(lt_context *ctx, lt_node *node) {
    const l2_state *st = node->state;
    l2_args a = {st, node->inputs[0], node->outputs[0]->data};
    /* A few operations per element, read twice: split when the tensor is large. */
    if (st->rows > 1 && st->rows * st->depth >= LT_PARALLEL_MIN_WORK)
        lt_ctx_parallel_for(ctx, st->rows, l2_range, &a);
    else
        l2_range(&a, 0, st->rows);
    return LT_OK;
}

const lt_op lt_op_l2_normalization = {"L2_NORMALIZATION", l2_prepare, l2_invoke};
