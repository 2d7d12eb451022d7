/* MEAN: the average over some axes (reference kernel, float32).
 *
 * Inputs: the tensor (any rank) and the axes, an INT32 tensor of any shape whose values lie
 * in [-rank, rank) (negative counts from the end; repeats count once). The axes must be
 * known at prepare, where the output shape is fixed: a constant tensor (or one folded from
 * constants). ReducerOptions.keep_dims keeps reduced axes as 1s; otherwise they are
 * dropped (all of them: a scalar). No axes: the output is a copy of the input. The mean of
 * zero elements is NaN (0 / 0).
 *
 * Arithmetic as in TensorFlow Lite's reference kernel: each output sums its inputs in
 * float, in memory order, then divides by their count. The input is read once, in order:
 * the plan below merges neighbouring axes that are reduced (or kept) together, and the
 * innermost merged axis either sums a contiguous run into one output (reduced) or adds a
 * contiguous run onto a row of outputs (kept). */
#include "kernels.h"

enum { REDUCE_INPUT = 0, REDUCE_AXES = 1 };
enum { REDUCER_OPT_KEEP_DIMS = 0 }; /* ReducerOptions field id */

typedef struct reduce_plan {
    int32_t rank;                   /* merged rank, >= 1 */
    int64_t dims[LT_MAX_RANK];      /* merged input extents, outermost first */
    int64_t out_stride[LT_MAX_RANK];/* output element stride per merged axis; 0 = reduced */
    int64_t in_elements;
    int64_t out_elements;
    int64_t count;                  /* input elements per output element */
} reduce_plan;

typedef struct mean_state mean_state;
typedef void (*mean_fn)(const mean_state *st, const void *in, void *out);

struct mean_state {
    mean_fn fn;
    reduce_plan plan;
};

/* out[...] += in[...] along the plan: reads the input once, in memory order. */
static void reduce_sum_f32(const reduce_plan *p, const float *in, float *out) {
    const int inner = p->rank - 1;
    const int64_t n = p->dims[inner];
    const bool inner_reduced = p->out_stride[inner] == 0;
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t o = 0;
    for (int64_t i = 0; i < p->in_elements; i += n) {
        if (inner_reduced) {
            float s = out[o];
            for (int64_t j = 0; j < n; j++) s += in[i + j];
            out[o] = s;
        } else {
            for (int64_t j = 0; j < n; j++) out[o + j] += in[i + j];
        }
        /* Odometer over the outer merged axes. */
        for (int d = inner - 1; d >= 0; d--) {
            o += p->out_stride[d];
            if (++idx[d] < p->dims[d]) break;
            o -= p->out_stride[d] * p->dims[d];
            idx[d] = 0;
        }
    }
}

static void mean_f32(const mean_state *st, const void *in_, void *out_) {
    const reduce_plan *p = &st->plan;
    float *out = out_;
    for (int64_t i = 0; i < p->out_elements; i++) out[i] = 0.0f;
    reduce_sum_f32(p, in_, out);
    const float count = (float)p->count;
    for (int64_t i = 0; i < p->out_elements; i++) out[i] /= count;
}

/* Plans the reduction of `in` over the axes flagged in `reduced` into `out_elements`
 * outputs (the output's checked element count). */
static void reduce_plan_init(reduce_plan *p, const lt_shape *in, const bool *reduced,
                             int64_t out_elements) {
    p->in_elements = lt_shape_elements(in);
    p->out_elements = out_elements;
    /* Inputs per output. For an empty input it is 0 (so the mean is 0 / 0 = NaN) and the
     * product of the reduced extents, which need not even fit, is never formed. */
    p->count = out_elements > 0 ? p->in_elements / out_elements : 0;

    if (p->in_elements == 0) { /* nothing to walk: every output is 0 / 0 */
        p->rank = 1;
        p->dims[0] = 0;
        p->out_stride[0] = 0;
        return;
    }

    /* Merge: drop extent-1 axes (they move nothing) and join neighbours of the same kind. */
    int32_t rank = 0;
    bool kind[LT_MAX_RANK] = {false};
    for (int d = 0; d < in->rank; d++) {
        if (in->dims[d] == 1) continue;
        if (rank > 0 && kind[rank - 1] == reduced[d]) {
            p->dims[rank - 1] *= in->dims[d];
        } else {
            p->dims[rank] = in->dims[d];
            kind[rank] = reduced[d];
            rank++;
        }
    }
    if (rank == 0) { /* a single element */
        p->dims[0] = 1;
        kind[0] = false;
        rank = 1;
    }
    p->rank = rank;
    int64_t stride = 1;
    for (int d = rank - 1; d >= 0; d--) {
        p->out_stride[d] = kind[d] ? 0 : stride;
        if (!kind[d]) stride *= p->dims[d];
    }
}

static lt_status mean_prepare(lt_context *ctx, lt_node *node) {
    mean_state st = {0};
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_ReducerOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[REDUCE_INPUT];
    const lt_tensor *axes = node->inputs[REDUCE_AXES];
    const lt_tensor *out = node->outputs[0];
    const int rank = in->shape.rank;

    switch (in->type) {
    case LT_FLOAT32: st.fn = mean_f32; break;
    default:
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32", in->name,
                            lt_type_name(in->type));
    }
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (axes->type != LT_INT32)
        return lt_ctx_error(ctx, node, "axes '%s' have type %s; expected INT32", axes->name,
                            lt_type_name(axes->type));
    if (!axes->is_constant)
        return lt_ctx_error(ctx, node, "axes '%s' are computed at run time; the axes must be a "
                            "constant tensor so that the output shape is known at prepare",
                            axes->name);

    bool reduced[LT_MAX_RANK] = {false};
    const int64_t n_axes = lt_tensor_elements(axes);
    const int32_t *axis = lt_i32(axes);
    for (int64_t i = 0; i < n_axes; i++) {
        const int32_t a = axis[i];
        if (a < -rank || a >= rank)
            return lt_ctx_error(ctx, node, "axes[%lld] is %d; expected a value in [%d, %d) for "
                                "input '%s' of rank %d", (long long)i, (int)a, -rank, rank,
                                in->name, rank);
        reduced[a < 0 ? a + rank : a] = true;
    }
    const bool keep_dims = lt_opt_bool(node, REDUCER_OPT_KEEP_DIMS, false);
    lt_shape out_shape = {.rank = 0};
    for (int d = 0; d < rank; d++) {
        if (!reduced[d]) out_shape.dims[out_shape.rank++] = in->shape.dims[d];
        else if (keep_dims) out_shape.dims[out_shape.rank++] = 1;
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    reduce_plan_init(&st.plan, &in->shape, reduced, lt_tensor_elements(out));
    mean_state *state = lt_ctx_alloc(ctx, node, sizeof *state);
    if (state == NULL) return LT_ERROR;
    *state = st;
    node->state = state;
    return LT_OK;
}

static lt_status mean_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const mean_state *st = node->state;
    st->fn(st, node->inputs[REDUCE_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_mean = {"MEAN", mean_prepare, mean_invoke};
