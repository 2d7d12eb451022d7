/* BATCH_MATMUL: out[..., i, j] = sum_k x[..., i, k] * y[..., k, j] (reference kernel, float32).
 *
 * adj_x / adj_y transpose the last two dimensions of x / y before the product (x is then
 * stored [..., K, M], y [..., N, K]). The dimensions before the last two are batch
 * dimensions and broadcast like NumPy's (numpy.matmul): ranks 2 to LT_MAX_RANK, the shorter
 * one padded with leading 1s, each pair equal or one of them 1. The output has the larger
 * rank: broadcast batch dimensions, then [M, N].
 * asymmetric_quantize_inputs concerns hybrid (int8) kernels only and is ignored for float.
 *
 * Loop order follows y's layout so the innermost loop runs along contiguous memory:
 * y as stored [K, N]: each output row accumulates rows of y scaled by x's entries (axpy);
 * y stored transposed [N, K]: each output is a dot product of a row of x with a row of y. */
#include "linear_common.h"

enum { BMM_X = 0, BMM_Y = 1 };
enum { BMM_OPT_ADJ_X = 0, BMM_OPT_ADJ_Y = 1 }; /* BatchMatMulOptions field ids */

typedef struct bmm_state bmm_state;
typedef void (*bmm_fn)(const bmm_state *st, const void *x, const void *y, void *out);

struct bmm_state {
    bmm_fn fn;
    int32_t m, k, n;
    bool adj_x, adj_y;
    int32_t batch_rank;                  /* output rank - 2 */
    int64_t batch_dims[LT_MAX_RANK];     /* broadcast batch extents */
    int64_t x_stride[LT_MAX_RANK];       /* matrix stride of x per batch dim; 0 = broadcast */
    int64_t y_stride[LT_MAX_RANK];
    int64_t batches;                     /* product of batch_dims */
};

/* One [M, K] x [K, N] product. x's element (i, k) is x[i * xs_i + k * xs_k]. */
static void matmul_f32(const bmm_state *st, const float *x, const float *y, float *out) {
    const int64_t m = st->m, k = st->k, n = st->n;
    const int64_t xs_i = st->adj_x ? 1 : k, xs_k = st->adj_x ? m : 1;
    if (!st->adj_y) {
        for (int64_t i = 0; i < m; i++) {
            float *o = out + i * n;
            for (int64_t j = 0; j < n; j++) o[j] = 0.0f;
            for (int64_t p = 0; p < k; p++) {
                const float a = x[i * xs_i + p * xs_k];
                const float *y_row = y + p * n;
                for (int64_t j = 0; j < n; j++) o[j] += a * y_row[j];
            }
        }
        return;
    }
    for (int64_t i = 0; i < m; i++) {
        const float *x_row = x + i * xs_i;
        float *o = out + i * n;
        for (int64_t j = 0; j < n; j++)
            o[j] = st->adj_x ? linear_dot_strided_f32(x_row, xs_k, y + j * k, k)
                             : linear_dot_f32(x_row, y + j * k, k);
    }
}

static void batch_matmul_f32(const bmm_state *st, const void *x_, const void *y_, void *out_) {
    const float *x = x_, *y = y_;
    float *out = out_;
    const int64_t x_mat = (int64_t)st->m * st->k, y_mat = (int64_t)st->k * st->n;
    const int64_t out_mat = (int64_t)st->m * st->n;
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t x_off = 0, y_off = 0; /* in matrices */
    for (int64_t b = 0; b < st->batches; b++) {
        /* K = 0 leaves x and y empty (their data may be NULL): nothing is read then. */
        matmul_f32(st, x_mat > 0 ? x + x_off * x_mat : x, y_mat > 0 ? y + y_off * y_mat : y,
                   out + b * out_mat);
        /* Odometer over the batch dimensions, innermost last. */
        for (int d = st->batch_rank - 1; d >= 0; d--) {
            x_off += st->x_stride[d];
            y_off += st->y_stride[d];
            if (++idx[d] < st->batch_dims[d]) break;
            x_off -= st->x_stride[d] * st->batch_dims[d];
            y_off -= st->y_stride[d] * st->batch_dims[d];
            idx[d] = 0;
        }
    }
}

/* Matrix strides (in matrices, not elements) of a tensor's batch dimensions aligned to the
 * right of `out_batch_rank` broadcast dimensions; 0 where the tensor is broadcast. */
static void bmm_batch_strides(const lt_shape *s, int out_batch_rank, const int64_t *out_dims,
                              int64_t *stride) {
    const int own = s->rank - 2;
    int64_t step = 1;
    for (int d = out_batch_rank - 1; d >= 0; d--) {
        const int sd = d - (out_batch_rank - own);
        const int64_t extent = sd >= 0 ? s->dims[sd] : 1;
        stride[d] = (extent == 1 && out_dims[d] != 1) ? 0 : step;
        step *= extent;
    }
}

static lt_status batch_matmul_prepare(lt_context *ctx, lt_node *node) {
    bmm_state st = {0};
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_BatchMatMulOptions) != LT_OK ||
        lt_check_input_rank(ctx, node, BMM_X, 2, LT_MAX_RANK) != LT_OK ||
        lt_check_input_rank(ctx, node, BMM_Y, 2, LT_MAX_RANK) != LT_OK)
        return LT_ERROR;
    const lt_tensor *x = node->inputs[BMM_X];
    const lt_tensor *y = node->inputs[BMM_Y];
    const lt_tensor *out = node->outputs[0];
    char xbuf[96], ybuf[96];

    switch (x->type) {
    case LT_FLOAT32: st.fn = batch_matmul_f32; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", x->name,
                            lt_type_name(x->type));
    }
    if (y->type != x->type)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected %s like input '%s'",
                            y->name, lt_type_name(y->type), lt_type_name(x->type), x->name);
    if (out->type != x->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the inputs",
                            out->name, lt_type_name(out->type), lt_type_name(x->type));

    st.adj_x = lt_opt_bool(node, BMM_OPT_ADJ_X, false);
    st.adj_y = lt_opt_bool(node, BMM_OPT_ADJ_Y, false);
    const int32_t *xd = x->shape.dims + x->shape.rank - 2;
    const int32_t *yd = y->shape.dims + y->shape.rank - 2;
    st.m = st.adj_x ? xd[1] : xd[0];
    st.k = st.adj_x ? xd[0] : xd[1];
    const int32_t y_k = st.adj_y ? yd[1] : yd[0];
    st.n = st.adj_y ? yd[0] : yd[1];
    if (y_k != st.k)
        return lt_ctx_error(ctx, node, "inner dimensions differ: '%s' %s (adj_x %s) has %d "
                            "columns but '%s' %s (adj_y %s) has %d rows; expected equal",
                            x->name, lt_shape_str(&x->shape, xbuf, sizeof xbuf),
                            st.adj_x ? "true" : "false", (int)st.k, y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf),
                            st.adj_y ? "true" : "false", (int)y_k);

    /* Broadcast the batch dimensions (all but the last two). */
    lt_shape xb = {.rank = x->shape.rank - 2}, yb = {.rank = y->shape.rank - 2}, ob;
    for (int d = 0; d < xb.rank; d++) xb.dims[d] = x->shape.dims[d];
    for (int d = 0; d < yb.rank; d++) yb.dims[d] = y->shape.dims[d];
    if (!lt_broadcast_shape(&xb, &yb, &ob))
        return lt_ctx_error(ctx, node, "batch dimensions of '%s' %s and '%s' %s do not "
                            "broadcast; expected each pair equal or one of them 1", x->name,
                            lt_shape_str(&x->shape, xbuf, sizeof xbuf), y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf));
    st.batch_rank = ob.rank;
    for (int d = 0; d < ob.rank; d++) st.batch_dims[d] = ob.dims[d];
    st.batches = lt_shape_elements(&ob);
    if (st.batches < 0)
        return lt_ctx_error(ctx, node, "batch dimensions of '%s' %s and '%s' %s broadcast to "
                            "more matrices than can be counted", x->name,
                            lt_shape_str(&x->shape, xbuf, sizeof xbuf), y->name,
                            lt_shape_str(&y->shape, ybuf, sizeof ybuf));
    lt_shape out_shape = ob;
    out_shape.rank = ob.rank + 2;
    out_shape.dims[ob.rank] = st.m;
    out_shape.dims[ob.rank + 1] = st.n;
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (lt_tensor_elements(out) == 0) st.batches = 0; /* nothing to compute */
    bmm_batch_strides(&x->shape, ob.rank, st.batch_dims, st.x_stride);
    bmm_batch_strides(&y->shape, ob.rank, st.batch_dims, st.y_stride);

    bmm_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status batch_matmul_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const bmm_state *st = node->state;
    st->fn(st, node->inputs[BMM_X]->data, node->inputs[BMM_Y]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_batch_matmul = {"BATCH_MATMUL", batch_matmul_prepare, batch_matmul_invoke};
