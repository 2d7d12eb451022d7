/* SELECT and SELECT_V2: out = condition ? x : y, element by element (tf.where with three
 * arguments; SELECT is TensorFlow 1's form, SELECT_V2 TensorFlow 2's).
 *
 * condition is BOOL; x, y and the output share one type: BOOL, FLOAT32, INT8, UINT8, INT16,
 * INT32 or INT64 (TensorFlow Lite's set). Quantized x and y must share the output's
 * parameters: values are picked, never rescaled.
 * Shapes: SELECT_V2 broadcasts all three NumPy style. SELECT takes x and y of one shape and a
 * condition of that shape too, or a scalar, or a vector matching x's first dimension (it then
 * picks whole rows).
 *
 * Prepare turns every case into one walk: per operand an element stride for each output
 * dimension (0 where it is broadcast), with extent-1 dimensions dropped and neighbours that
 * every operand walks alike merged, so the common cases become a single flat row. */
#include <string.h>

#include "data_movement_checks.h"
#include "kernels.h"

enum { SEL_COND = 0, SEL_X = 1, SEL_Y = 2, SEL_N = 3 };

typedef struct select_state {
    int32_t rank;                        /* merged; >= 1 unless empty */
    int64_t dims[LT_MAX_RANK];
    int64_t stride[SEL_N][LT_MAX_RANK];  /* element strides of cond, x, y */
    size_t elem;                         /* bytes per element of x, y, out */
    bool empty;
} select_state;

static bool select_type_ok(lt_type t) {
    return t == LT_BOOL || t == LT_FLOAT32 || t == LT_INT8 || t == LT_UINT8 || t == LT_INT16 ||
           t == LT_INT32 || t == LT_INT64;
}

/* Strides of `s` walked in an output of shape `out`: s's dimensions sit at positions
 * first .. first + s->rank - 1 of the output; broadcast (extent-1, absent) dimensions get 0. */
static void operand_strides(const lt_shape *s, const lt_shape *out, int first,
                            int64_t stride[LT_MAX_RANK]) {
    int64_t own[LT_MAX_RANK];
    int64_t st = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
        own[d] = st;
        st *= s->dims[d];
    }
    for (int d = 0; d < out->rank; d++) {
        const int k = d - first;
        stride[d] = (k >= 0 && k < s->rank && s->dims[k] != 1) ? own[k] : 0;
    }
}

static void plan_walk(select_state *st, const lt_shape *out, int64_t strides[SEL_N][LT_MAX_RANK]) {
    int m = 0;
    for (int d = 0; d < out->rank; d++) {
        if (out->dims[d] == 0) {
            st->empty = true;
            return;
        }
        if (out->dims[d] == 1) continue;
        bool merge = m > 0;
        for (int k = 0; k < SEL_N && merge; k++)
            merge = st->stride[k][m - 1] == strides[k][d] * out->dims[d];
        if (merge) {
            st->dims[m - 1] *= out->dims[d];
            for (int k = 0; k < SEL_N; k++) st->stride[k][m - 1] = strides[k][d];
        } else {
            st->dims[m] = out->dims[d];
            for (int k = 0; k < SEL_N; k++) st->stride[k][m] = strides[k][d];
            m++;
        }
    }
    if (m == 0) { /* a single element */
        st->dims[0] = 1;
        for (int k = 0; k < SEL_N; k++) st->stride[k][0] = 0;
        m = 1;
    }
    st->rank = m;
}

static lt_status select_prepare_common(lt_context *ctx, lt_node *node, bool v2) {
    if (lt_check_io_count(ctx, node, 3, 3, 1) != LT_OK ||
        lt_check_options(ctx, node, v2 ? LT_OPTS_SelectV2Options : LT_OPTS_SelectOptions) !=
            LT_OK)
        return LT_ERROR;
    const lt_tensor *c = node->inputs[SEL_COND], *x = node->inputs[SEL_X];
    const lt_tensor *y = node->inputs[SEL_Y], *out = node->outputs[0];
    char b1[96], b2[96], b3[96];
    if (c->type != LT_BOOL)
        return lt_ctx_error(ctx, node, "condition '%s' has type %s; expected BOOL", c->name,
                            lt_type_name(c->type));
    if (!select_type_ok(x->type))
        return lt_ctx_error(ctx, node, "x '%s' has type %s; expected BOOL, FLOAT32, INT8, "
                            "UINT8, INT16, INT32 or INT64", x->name, lt_type_name(x->type));
    if (y->type != x->type || out->type != x->type)
        return lt_ctx_error(ctx, node, "x '%s', y '%s' and output '%s' must have one type; got "
                            "%s, %s and %s", x->name, y->name, out->name,
                            lt_type_name(x->type), lt_type_name(y->type),
                            lt_type_name(out->type));
    if (dm_check_same_quant(ctx, node, x, out) != LT_OK ||
        dm_check_same_quant(ctx, node, y, out) != LT_OK)
        return LT_ERROR;

    lt_shape out_shape;
    int64_t strides[SEL_N][LT_MAX_RANK];
    const bool same = lt_shape_equal(&c->shape, &x->shape) && lt_shape_equal(&x->shape, &y->shape);
    if (v2) {
        lt_shape cx;
        if (!lt_broadcast_shape(&c->shape, &x->shape, &cx) ||
            !lt_broadcast_shape(&cx, &y->shape, &out_shape))
            return lt_ctx_error(ctx, node, "condition %s, x %s and y %s do not broadcast "
                                "together", lt_shape_str(&c->shape, b1, sizeof b1),
                                lt_shape_str(&x->shape, b2, sizeof b2),
                                lt_shape_str(&y->shape, b3, sizeof b3));
        operand_strides(&c->shape, &out_shape, out_shape.rank - c->shape.rank, strides[SEL_COND]);
    } else {
        if (!lt_shape_equal(&x->shape, &y->shape))
            return lt_ctx_error(ctx, node, "x %s and y %s must have the same shape",
                                lt_shape_str(&x->shape, b1, sizeof b1),
                                lt_shape_str(&y->shape, b2, sizeof b2));
        out_shape = x->shape;
        const bool rows = c->shape.rank == 1 && x->shape.rank >= 1 &&
                          c->shape.dims[0] == x->shape.dims[0];
        if (!same && c->shape.rank != 0 && !rows)
            return lt_ctx_error(ctx, node, "condition %s must have the shape of x %s, be a "
                                "scalar, or be a vector of x's first dimension",
                                lt_shape_str(&c->shape, b1, sizeof b1),
                                lt_shape_str(&x->shape, b2, sizeof b2));
        /* Same shape, or a row vector lining up with x's first dimension (not its last, as
         * broadcasting would); a scalar gets stride 0 wherever it is placed. */
        operand_strides(&c->shape, &out_shape, 0, strides[SEL_COND]);
    }
    operand_strides(&x->shape, &out_shape, out_shape.rank - x->shape.rank, strides[SEL_X]);
    operand_strides(&y->shape, &out_shape, out_shape.rank - y->shape.rank, strides[SEL_Y]);
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    select_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->elem = lt_type_size(x->type);
    plan_walk(st, &out_shape, strides);
    node->state = st;
    return LT_OK;
}

static lt_status select_prepare(lt_context *ctx, lt_node *node) {
    return select_prepare_common(ctx, node, false);
}
static lt_status select_v2_prepare(lt_context *ctx, lt_node *node) {
    return select_prepare_common(ctx, node, true);
}

/* One row of n outputs; cs, xs, ys are element strides (0 or the row step). */
#define SELECT_ROW(T)                                                                         \
    static void select_row_##T(const uint8_t *c, int64_t cs, const T *x, int64_t xs,         \
                               const T *y, int64_t ys, T *o, int64_t n) {                    \
        for (int64_t i = 0; i < n; i++) o[i] = c[i * cs] ? x[i * xs] : y[i * ys];            \
    }
SELECT_ROW(uint8_t)
SELECT_ROW(uint16_t)
SELECT_ROW(uint32_t)
SELECT_ROW(uint64_t)
#undef SELECT_ROW

static void run_row(size_t elem, const uint8_t *c, int64_t cs, const void *x, int64_t xs,
                    const void *y, int64_t ys, void *o, int64_t n) {
    switch (elem) {
    case 1: select_row_uint8_t(c, cs, x, xs, y, ys, o, n); break;
    case 2: select_row_uint16_t(c, cs, x, xs, y, ys, o, n); break;
    case 4: select_row_uint32_t(c, cs, x, xs, y, ys, o, n); break; /* floats by bits */
    default: select_row_uint64_t(c, cs, x, xs, y, ys, o, n); break;
    }
}

static lt_status select_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const select_state *st = node->state;
    if (st->empty) return LT_OK;
    const uint8_t *c = node->inputs[SEL_COND]->data;
    const uint8_t *x = node->inputs[SEL_X]->data, *y = node->inputs[SEL_Y]->data;
    uint8_t *o = node->outputs[0]->data;
    const size_t es = st->elem;
    const int inner = st->rank - 1;
    const int64_t n = st->dims[inner];
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t off[SEL_N] = {0, 0, 0}; /* element offsets of the current row */
    for (;;) {
        run_row(es, c + off[SEL_COND], st->stride[SEL_COND][inner], x + (size_t)off[SEL_X] * es,
                st->stride[SEL_X][inner], y + (size_t)off[SEL_Y] * es, st->stride[SEL_Y][inner],
                o, n);
        o += (size_t)n * es;
        /* Odometer over the outer dimensions, innermost fastest. */
        int d = inner - 1;
        for (; d >= 0; d--) {
            for (int k = 0; k < SEL_N; k++) off[k] += st->stride[k][d];
            if (++idx[d] < st->dims[d]) break;
            for (int k = 0; k < SEL_N; k++) off[k] -= st->stride[k][d] * st->dims[d];
            idx[d] = 0;
        }
        if (d < 0) return LT_OK;
    }
}

const lt_op lt_op_select = {"SELECT", select_prepare, select_invoke};
const lt_op lt_op_select_v2 = {"SELECT_V2", select_v2_prepare, select_invoke};
