/* TILE: repeats a tensor multiples[d] times along each dimension d (tf.tile).
 *
 * Inputs (input, multiples): multiples is a constant INT32/INT64 vector with one entry >= 0
 * per input dimension (TensorFlow Lite resizes at invoke when it is not constant; this runtime
 * has no dynamic shapes). Types: FLOAT32, INT8, UINT8, INT16, INT32, INT64, BOOL; quantized
 * outputs must share the input's parameters.
 *
 * The copy works outward: for dimension d, each input sub-block of dimension d + 1 is tiled
 * into place, then the finished block of dimension d is duplicated multiples[d] - 1 times
 * after itself. Every write is a memcpy of a whole row or block, however small the rows. */
#include <string.h>

#include "data_movement_checks.h"
#include "kernels.h"

enum { TILE_INPUT = 0, TILE_MULTIPLES = 1 };

typedef struct tile_state {
    int32_t rank;                   /* after merging untiled neighbours; >= 1 */
    int64_t dims[LT_MAX_RANK];      /* input extents */
    int64_t mult[LT_MAX_RANK];      /* multiples */
    size_t in_block[LT_MAX_RANK];   /* bytes of one input block of dimensions d.. */
    size_t out_block[LT_MAX_RANK];  /* bytes of one output block of dimensions d.. */
    bool empty;                     /* no output elements */
} tile_state;

static lt_status tile_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 2, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_TileOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[TILE_INPUT], *mt = node->inputs[TILE_MULTIPLES];
    const lt_tensor *out = node->outputs[0];
    const lt_type t = in->type;
    const int rank = in->shape.rank;
    char buf[96];
    if (t != LT_FLOAT32 && t != LT_INT8 && t != LT_UINT8 && t != LT_INT16 && t != LT_INT32 &&
        t != LT_INT64 && t != LT_BOOL)
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, INT8, UINT8, "
                            "INT16, INT32, INT64 or BOOL", in->name, lt_type_name(t));
    if (out->type != t)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(t));
    if (dm_check_same_quant(ctx, node, in, out) != LT_OK ||
        dm_check_index_type(ctx, node, TILE_MULTIPLES, "multiples") != LT_OK ||
        dm_check_shape_input_constant(ctx, node, TILE_MULTIPLES, "multiples") != LT_OK)
        return LT_ERROR;
    if (mt->shape.rank != 1 || mt->shape.dims[0] != rank)
        return lt_ctx_error(ctx, node, "multiples '%s' has shape %s; expected [%d], one entry "
                            "per input dimension", mt->name,
                            lt_shape_str(&mt->shape, buf, sizeof buf), rank);
    lt_shape out_shape = {.rank = rank};
    tile_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    int n = 0;
    for (int d = 0; d < rank; d++) {
        const int64_t m = dm_index_at(mt, d), dim = in->shape.dims[d];
        if (m < 0 || m > INT32_MAX || dim * m > INT32_MAX)
            return lt_ctx_error(ctx, node, "multiples[%d] is %lld; expected a value >= 0 that "
                                "keeps dimension %d (%lld) within int32", d, (long long)m, d,
                                (long long)dim);
        out_shape.dims[d] = (int32_t)(dim * m);
        if (dim * m == 0) st->empty = true;
        /* A dimension repeated once next to an inner one repeated once: both are copied as
         * one contiguous run, so treat them as one dimension. */
        if (n > 0 && m == 1 && st->mult[n - 1] == 1) {
            st->dims[n - 1] *= dim;
        } else {
            st->dims[n] = dim;
            st->mult[n] = m;
            n++;
        }
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;
    if (n == 0) { /* a scalar: one element copied once */
        st->dims[0] = 1;
        st->mult[0] = 1;
        n = 1;
    }
    st->rank = n;
    /* Sizes are at most the input's or output's byte size, both already checked. */
    size_t in_b = lt_type_size(t), out_b = in_b;
    for (int d = n - 1; d >= 0; d--) {
        in_b *= (size_t)st->dims[d];
        out_b *= (size_t)(st->dims[d] * st->mult[d]);
        st->in_block[d] = in_b;
        st->out_block[d] = out_b;
    }
    node->state = st;
    return LT_OK;
}

/* Writes the tiled block of dimensions d.. read from src to dst. */
static void tile_dim(const tile_state *st, int d, const uint8_t *src, uint8_t *dst) {
    const size_t once = st->out_block[d] / (size_t)st->mult[d]; /* one copy of the block */
    if (d == st->rank - 1) {
        memcpy(dst, src, once);
    } else {
        const size_t in_step = st->in_block[d + 1], out_step = st->out_block[d + 1];
        for (int64_t i = 0; i < st->dims[d]; i++)
            tile_dim(st, d + 1, src + (size_t)i * in_step, dst + (size_t)i * out_step);
    }
    for (int64_t k = 1; k < st->mult[d]; k++) memcpy(dst + (size_t)k * once, dst, once);
}

static lt_status tile_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const tile_state *st = node->state;
    if (!st->empty) tile_dim(st, 0, node->inputs[TILE_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_tile = {"TILE", tile_prepare, tile_invoke};
