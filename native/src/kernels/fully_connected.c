/* FULLY_CONNECTED: y = x W^T + bias, then the fused activation (reference kernel, float32).
 *
 * Inputs: x of any rank, read as rows of K values where K is the weights' inner dimension
 * (x holds rows * K elements); weights [units, K] (the format's DEFAULT layout; the
 * shuffled int8 layout is rejected); optional bias [units] (omitted or -1).
 * Output shape, as TensorFlow Lite computes it: [rows, units]; with keep_num_dims, x's shape
 * with its last dimension (which must then be K) replaced by units.
 * The fused activation may be any the runtime implements (TensorFlow Lite's kernel accepts
 * only NONE and the RELU family; TANH and SIGN_BIT are applied after the clamp stage here).
 * asymmetric_quantize_inputs concerns hybrid (int8 weights) kernels only. */
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

    switch (in->type) {
    case LT_FLOAT32: st.fn = fully_connected_f32; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", in->name,
                            lt_type_name(in->type));
    }
    if (linear_check_operand_types(ctx, node, weights, "weights", bias) != LT_OK) return LT_ERROR;

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
    st->fn(st, node->inputs[FC_INPUT], node->inputs[FC_WEIGHTS], bias, node->outputs[0]);
    return LT_OK;
}

const lt_op lt_op_fully_connected = {"FULLY_CONNECTED", fully_connected_prepare,
                                     fully_connected_invoke};
