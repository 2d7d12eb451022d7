/* FULLY_CONNECTED: y = x W^T + bias, then the fused activation (reference kernel, float32).
 *
 * Inputs: x of any rank, read as rows of K values where K is the weights' inner dimension
 * (x holds rows * K elements); weights [units, K] (the format's DEFAULT layout; the
 * shuffled int8 layout is rejected); optional bias [units] (omitted or -1).
 * Output shape, as TensorFlow Lite computes it: [rows, units]; with keep_num_dims, x's shape
 * with its last dimension (which must then be K) replaced by units.
 * The fused activation may be any the runtime implements (TensorFlow Lite's kernel accepts
 * only NONE and the RELU family; TANH and SIGN_BIT are applied after the clamp stage here).
 *
 * Types:
 *   float32: reference kernel below;
 *   int8 input, int8 weights (one scale, or one per unit along dimension 0; zero point 0),
 *     optional int32 bias, int8 output: int32 accumulation of (x - input_zero_point) * w
 *     plus bias, then round(acc * M) + output_zero_point with M = input_scale *
 *     weight_scale / output_scale in double and ties away from zero, which is what
 *     TensorFlow Lite's reference kernel gives (bit for bit with BUILTIN_REF; unlike
 *     CONV_2D, not the Q31 multiplier's rounding), computed with integers only
 *     (lt_requantize_dmul, multipliers from prepare);
 *   hybrid, float32 input/output with int8 weights: the weights are dequantized once at
 *     prepare and the float kernel runs (linear_hybrid_weights); asymmetric_quantize_inputs,
 *     which chooses how TensorFlow Lite's hybrid kernel quantizes the input on the fly, has
 *     no counterpart then. */
#include "linear_common.h"

enum { FC_INPUT = 0, FC_WEIGHTS = 1, FC_BIAS = 2 };

/* FullyConnectedOptions field ids */
enum { FC_OPT_ACTIVATION = 0, FC_OPT_WEIGHTS_FORMAT = 1, FC_OPT_KEEP_NUM_DIMS = 2 };

typedef struct fc_state fc_state;
typedef void (*fc_fn)(const fc_state *st, const lt_tensor *in, const lt_tensor *weights,
                      const lt_tensor *bias, lt_tensor *out);

struct fc_state {
    fc_fn fn;
    int64_t rows;   /* rows of x */
    int64_t depth;  /* K: values per row, the weights' inner dimension */
    int64_t units;  /* outputs per row */
    linear_activation act;
    linear_quant q;        /* int8 */
    bool hybrid;           /* float input, int8 weights: run on weights_f32 */
    lt_tensor weights_f32; /* hybrid: the weights dequantized at prepare */
};

static void fully_connected_f32(const fc_state *st, const lt_tensor *in_t,
                                const lt_tensor *weights_t, const lt_tensor *bias_t,
                                lt_tensor *out_t) {
    const float *x = lt_f32(in_t);
    const float *w = lt_f32(weights_t);
    const float *bias = bias_t != NULL ? lt_f32(bias_t) : NULL;
    float *y = lt_f32(out_t);
    const int64_t k = st->depth, n = st->units;
    const float lo = st->act.lo, hi = st->act.hi;
    for (int64_t r = 0; r < st->rows; r++, x += k, y += n) {
        for (int64_t o = 0; o < n; o++) {
            float acc = linear_dot_f32(x, w + o * k, k);
            if (bias != NULL) acc += bias[o];
            y[o] = linear_clamp(acc, lo, hi);
        }
        linear_activation_post(&st->act, y, n);
    }
}

static void fully_connected_i8(const fc_state *st, const lt_tensor *in_t,
                               const lt_tensor *weights_t, const lt_tensor *bias_t,
                               lt_tensor *out_t) {
    (void)bias_t; /* copied into st->q.bias at prepare */
    const linear_quant *q = &st->q;
    const int8_t *x = lt_i8(in_t);
    const int8_t *w = lt_i8(weights_t);
    int8_t *y = lt_i8(out_t);
    const int64_t k = st->depth, n = st->units;
    for (int64_t r = 0; r < st->rows; r++, x += k, y += n)
        for (int64_t o = 0; o < n; o++) {
            const uint32_t acc = (uint32_t)q->bias[o] +
                                 linear_dot_i8(x, q->input_zero_point, w + o * k, k);
            y[o] = (int8_t)lt_requantize_dmul(linear_acc_i32(acc), q->dmult[o],
                                              q->output_zero_point, q->lo, q->hi);
        }
}

static lt_status fully_connected_prepare(lt_context *ctx, lt_node *node) {
    fc_state st = {0};
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_FullyConnectedOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, FC_WEIGHTS, 2, 2) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[FC_INPUT];
    const lt_tensor *weights = node->inputs[FC_WEIGHTS];
    const lt_tensor *bias = node->n_inputs > FC_BIAS ? node->inputs[FC_BIAS] : NULL;
    char buf[96], wbuf[96];

    enum { FC_F32, FC_I8, FC_HYBRID } kind;
    if (in->type == LT_FLOAT32 && weights->type == LT_INT8) {
        kind = FC_HYBRID;
        st.fn = fully_connected_f32;
        if (bias != NULL && bias->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "bias '%s' has type %s; expected FLOAT32 with float "
                                "input and int8 weights (hybrid)", bias->name,
                                lt_type_name(bias->type));
        if (node->outputs[0]->type != LT_FLOAT32)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected FLOAT32 like the "
                                "input", node->outputs[0]->name,
                                lt_type_name(node->outputs[0]->type));
    } else if (in->type == LT_FLOAT32) {
        kind = FC_F32;
        st.fn = fully_connected_f32;
        if (linear_check_operand_types(ctx, node, weights, "weights", bias) != LT_OK)
            return LT_ERROR;
    } else if (in->type == LT_INT8) {
        kind = FC_I8;
        st.fn = fully_connected_i8;
        if (weights->type != LT_INT8)
            return lt_ctx_error(ctx, node, "weights '%s' have type %s; expected INT8 like the "
                                "input", weights->name, lt_type_name(weights->type));
        if (node->outputs[0]->type != LT_INT8)
            return lt_ctx_error(ctx, node, "output '%s' has type %s; expected INT8 like the "
                                "input", node->outputs[0]->name,
                                lt_type_name(node->outputs[0]->type));
    } else {
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32 or INT8",
                            in->name, lt_type_name(in->type));
    }

    const int weights_format = lt_opt_i8(node, FC_OPT_WEIGHTS_FORMAT, 0);
    if (weights_format != 0)
        return lt_ctx_error(ctx, node, "weights_format is %d; only DEFAULT (0) is supported",
                            weights_format);
    const bool keep_num_dims = lt_opt_bool(node, FC_OPT_KEEP_NUM_DIMS, false);
    if (linear_activation_init(ctx, node, lt_opt_i8(node, FC_OPT_ACTIVATION, 0), &st.act) !=
        LT_OK)
        return LT_ERROR;

    st.units = weights->shape.dims[0];
    st.depth = weights->shape.dims[1];
    const int64_t elements = lt_tensor_elements(in);
    if (st.depth <= 0)
        return lt_ctx_error(ctx, node, "weights '%s' have shape %s; expected [units, input "
                            "features] with at least one input feature", weights->name,
                            lt_shape_str(&weights->shape, wbuf, sizeof wbuf));
    if (elements < 0 || elements % st.depth != 0)
        return lt_ctx_error(ctx, node, "input '%s' of shape %s cannot be read as rows of %lld "
                            "features (the inner dimension of weights %s)", in->name,
                            lt_shape_str(&in->shape, buf, sizeof buf), (long long)st.depth,
                            lt_shape_str(&weights->shape, wbuf, sizeof wbuf));
    st.rows = elements / st.depth;
    if (bias != NULL && lt_tensor_elements(bias) != st.units)
        return lt_ctx_error(ctx, node, "bias '%s' has shape %s; expected %lld values, one per "
                            "unit", bias->name, lt_shape_str(&bias->shape, buf, sizeof buf),
                            (long long)st.units);

    lt_shape out_shape;
    if (keep_num_dims) {
        const int rank = in->shape.rank;
        if (rank < 1 || in->shape.dims[rank - 1] != st.depth)
            return lt_ctx_error(ctx, node, "keep_num_dims needs the input's last dimension to "
                                "equal the weights' inner dimension %lld; input '%s' has shape "
                                "%s", (long long)st.depth, in->name,
                                lt_shape_str(&in->shape, buf, sizeof buf));
        out_shape = in->shape;
        out_shape.dims[rank - 1] = (int32_t)st.units;
    } else {
        if (st.rows > INT32_MAX)
            return lt_ctx_error(ctx, node, "input '%s' has %lld rows; at most %d are supported",
                                in->name, (long long)st.rows, INT32_MAX);
        out_shape = (lt_shape){.rank = 2, .dims = {(int32_t)st.rows, (int32_t)st.units}};
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (st.units > INT32_MAX)
        return lt_ctx_error(ctx, node, "weights '%s' have %lld units; at most %d are supported",
                            weights->name, (long long)st.units, INT32_MAX);
    if (kind == FC_I8 &&
        linear_quant_prepare(ctx, node, in, weights, bias, node->outputs[0], 0,
                             (int32_t)st.units, st.act.act,
                             LINEAR_REQUANT_DOUBLE, &st.q) != LT_OK)
        return LT_ERROR;
    if (kind == FC_HYBRID) {
        st.hybrid = true;
        if (linear_hybrid_weights(ctx, node, weights, 0, &st.weights_f32) != LT_OK)
            return LT_ERROR;
    }
    if (st.units == 0) st.rows = 0; /* empty output: nothing to compute */

    fc_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status fully_connected_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const fc_state *st = node->state;
    const lt_tensor *bias = node->n_inputs > FC_BIAS ? node->inputs[FC_BIAS] : NULL;
    const lt_tensor *weights = st->hybrid ? &st->weights_f32 : node->inputs[FC_WEIGHTS];
    st->fn(st, node->inputs[FC_INPUT], weights, bias, node->outputs[0]);
    return LT_OK;
}

const lt_op lt_op_fully_connected = {"FULLY_CONNECTED", fully_connected_prepare,
                                     fully_connected_invoke};
