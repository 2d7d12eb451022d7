/* STRIDED_SLICE: Python-style slicing, x[b0:e0:s0, ..., tf.newaxis, ..., k] as TensorFlow
 * defines it (tf.strided_slice).
 *
 * Inputs: the tensor and constant begin, end and strides vectors (INT32 or INT64) of one
 * length: the "sparse" slice spec. StridedSliceOptions (field ids in brackets) qualify each
 * entry i through bit i of a mask:
 *   begin_mask [0]       ignore begin[i]: start at the first element (last if stride < 0)
 *   end_mask [1]         ignore end[i]: run to the end (the start if stride < 0)
 *   ellipsis_mask [2]    entry i stands for as many full dimensions as needed (at most one)
 *   new_axis_mask [3]    entry i inserts an output dimension of extent 1
 *   shrink_axis_mask [4] entry i is a single index begin[i]; its dimension is dropped
 *   offset [5]           TensorFlow Lite only: end[i] counts from the (resolved) begin[i]
 *
 * prepare expands the sparse spec to one entry per input dimension (the "dense" spec, with
 * a trailing ellipsis implied), resolves negative indices and clamps them exactly as
 * TensorFlow does, and builds a copy plan; invoke only runs the plan. Element values are
 * never interpreted, so every stored type works. */
#include "kernels.h"
#include "shape_ops_copy.h"

enum { SS_INPUT = 0, SS_BEGIN = 1, SS_END = 2, SS_STRIDES = 3 };
enum {
    SS_OPT_BEGIN_MASK = 0,
    SS_OPT_END_MASK = 1,
    SS_OPT_ELLIPSIS_MASK = 2,
    SS_OPT_NEW_AXIS_MASK = 3,
    SS_OPT_SHRINK_AXIS_MASK = 4,
    SS_OPT_OFFSET = 5
};

/* Longest slice spec accepted: each entry either consumes an input dimension or adds an
 * output dimension (both at most LT_MAX_RANK), plus one ellipsis; room to spare. */
#define SS_MAX_SPEC 24
/* Entries of the output's dimension list that are not input dimensions. */
enum { SS_NEW_AXIS = -1, SS_SHRUNK = -2 };

/* The slice spec expanded to one entry per input dimension. */
typedef struct dense_spec {
    int64_t begin[LT_MAX_RANK], end[LT_MAX_RANK], stride[LT_MAX_RANK];
    bool begin_masked[LT_MAX_RANK], end_masked[LT_MAX_RANK], shrink[LT_MAX_RANK];
    /* Output dimensions in order: an input dimension, SS_NEW_AXIS or SS_SHRUNK. */
    int n_final;
    int final_dim[SS_MAX_SPEC + LT_MAX_RANK + 1];
} dense_spec;

static bool bit(uint32_t mask, int i) { return i < 32 && ((mask >> i) & 1u) != 0; }

static lt_status read_spec_vector(lt_context *ctx, const lt_node *node, int input,
                                  const char *what, int n, int64_t *values) {
    const lt_tensor *t = node->inputs[input];
    char buf[96];
    if (t->type != LT_INT32 && t->type != LT_INT64)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected INT32", what, t->name,
                            lt_type_name(t->type));
    if (t->shape.rank != 1 || t->shape.dims[0] != n)
        return lt_ctx_error(ctx, node, "%s '%s' has shape %s; expected [%d] like begin", what,
                            t->name, lt_shape_str(&t->shape, buf, sizeof buf), n);
    if (n == 0) return LT_OK;
    if (lt_check_input_constant(ctx, node, input) != LT_OK) return LT_ERROR;
    for (int i = 0; i < n; i++) {
        values[i] = shape_ops_index_at(t, i);
        /* TensorFlow Lite computes in 32 bits; larger values would only mean "clamp". */
        if (values[i] > INT32_MAX) values[i] = INT32_MAX;
        if (values[i] < INT32_MIN) values[i] = INT32_MIN;
    }
    return LT_OK;
}

/* Expands the sparse spec (n entries) to the dense spec of an input of `rank` dimensions,
 * following TensorFlow's rules: an ellipsis covers the dimensions not named by the entries
 * after it (new-axis entries name none); without one, an ellipsis is implied at the end. */
static lt_status build_dense_spec(lt_context *ctx, const lt_node *node, int rank, int n,
                                  const int64_t *begin, const int64_t *end,
                                  const int64_t *stride, dense_spec *ds) {
    const uint32_t begin_mask = (uint32_t)lt_opt_i32(node, SS_OPT_BEGIN_MASK, 0);
    const uint32_t end_mask = (uint32_t)lt_opt_i32(node, SS_OPT_END_MASK, 0);
    uint32_t ellipsis_mask = (uint32_t)lt_opt_i32(node, SS_OPT_ELLIPSIS_MASK, 0);
    const uint32_t new_axis_mask = (uint32_t)lt_opt_i32(node, SS_OPT_NEW_AXIS_MASK, 0);
    const uint32_t shrink_mask = (uint32_t)lt_opt_i32(node, SS_OPT_SHRINK_AXIS_MASK, 0);
    if (n < 32) ellipsis_mask &= (1u << n) - 1u; /* bits past the spec name nothing */
    if ((ellipsis_mask & (ellipsis_mask - 1u)) != 0)
        return lt_ctx_error(ctx, node, "ellipsis_mask is 0x%x; expected at most one bit set "
                            "(one ellipsis)", (unsigned)ellipsis_mask);

    int new_axes_after_ellipsis = 0;
    bool ellipsis_seen = false;
    for (int i = 0; i < n; i++) {
        if (ellipsis_seen && bit(new_axis_mask, i)) new_axes_after_ellipsis++;
        if (bit(ellipsis_mask, i)) ellipsis_seen = true;
    }
    int sparse_n = n;
    if (!ellipsis_seen) sparse_n = n + 1; /* entry n: the implied trailing ellipsis */

    int full = 0;
    ds->n_final = 0;
    for (int i = 0; i < sparse_n; i++) {
        const bool is_ellipsis = i == n ? !ellipsis_seen : bit(ellipsis_mask, i);
        if (is_ellipsis) {
            int next = rank - (sparse_n - i) + 1 + new_axes_after_ellipsis;
            if (next > rank) next = rank;
            for (; full < next; full++) {
                ds->begin[full] = ds->end[full] = 0;
                ds->stride[full] = 1;
                ds->begin_masked[full] = ds->end_masked[full] = true;
                ds->shrink[full] = false;
                ds->final_dim[ds->n_final++] = full;
            }
        } else if (bit(new_axis_mask, i)) {
            ds->final_dim[ds->n_final++] = SS_NEW_AXIS;
        } else {
            if (full >= rank)
                return lt_ctx_error(ctx, node, "the slice spec indexes more dimensions than "
                                    "the input has (%d)", rank);
            ds->begin[full] = begin[i];
            ds->end[full] = end[i];
            ds->stride[full] = stride[i];
            ds->begin_masked[full] = bit(begin_mask, i);
            ds->end_masked[full] = bit(end_mask, i);
            ds->shrink[full] = bit(shrink_mask, i);
            ds->final_dim[ds->n_final++] = ds->shrink[full] ? SS_SHRUNK : full;
            full++;
        }
    }
    return LT_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

static lt_status ss_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 4, 4, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_StridedSliceOptions) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[SS_INPUT];
    const lt_tensor *out = node->outputs[0];
    const size_t elem = lt_type_size(in->type);
    const int rank = in->shape.rank;
    char buf[96];
    if (elem == 0)
        return lt_ctx_error(ctx, node, "input has type %s, which cannot be sliced",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));

    const lt_tensor *begin_t = node->inputs[SS_BEGIN];
    if (begin_t->shape.rank != 1)
        return lt_ctx_error(ctx, node, "begin '%s' has shape %s; expected a vector",
                            begin_t->name, lt_shape_str(&begin_t->shape, buf, sizeof buf));
    const int n = begin_t->shape.dims[0];
    if (n > SS_MAX_SPEC)
        return lt_ctx_error(ctx, node, "begin '%s' has %d entries; at most %d are supported",
                            begin_t->name, n, SS_MAX_SPEC);
    int64_t begin[SS_MAX_SPEC], end[SS_MAX_SPEC], stride[SS_MAX_SPEC];
    if (read_spec_vector(ctx, node, SS_BEGIN, "begin", n, begin) != LT_OK ||
        read_spec_vector(ctx, node, SS_END, "end", n, end) != LT_OK ||
        read_spec_vector(ctx, node, SS_STRIDES, "strides", n, stride) != LT_OK)
        return LT_ERROR;
    for (int i = 0; i < n; i++)
        if (stride[i] == 0)
            return lt_ctx_error(ctx, node, "strides[%d] is 0; expected a non-zero stride", i);

    dense_spec ds = {0};
    if (build_dense_spec(ctx, node, rank, n, begin, end, stride, &ds) != LT_OK) return LT_ERROR;
    const bool offset = lt_opt_bool(node, SS_OPT_OFFSET, false);

    /* Resolve each input dimension to a start, a stride and an extent. */
    int64_t start[LT_MAX_RANK], extent[LT_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        const int64_t dim = in->shape.dims[d];
        const int64_t s = ds.stride[d];
        if (ds.shrink[d]) {
            /* A single index: no clamping, it must exist. */
            const int64_t x = ds.begin[d] < 0 ? dim + ds.begin[d] : ds.begin[d];
            if (s < 0)
                return lt_ctx_error(ctx, node, "dimension %d is indexed by a single element "
                                    "(shrink_axis_mask) with stride %lld; expected a positive "
                                    "stride", d, (long long)s);
            if (x < 0 || x >= dim)
                return lt_ctx_error(ctx, node, "index %lld of dimension %d is out of range for "
                                    "input shape %s", (long long)ds.begin[d], d,
                                    lt_shape_str(&in->shape, buf, sizeof buf));
            start[d] = x;
            extent[d] = 1;
            continue;
        }
        /* Valid positions: [0, dim] going forward, [-1, dim - 1] going backward (the end is
         * exclusive, so one step past the last element either way). */
        const int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? dim : dim - 1;
        int64_t b, e;
        if (ds.begin_masked[d]) {
            b = s > 0 ? lo : hi;
        } else {
            b = clamp64(ds.begin[d] < 0 ? dim + ds.begin[d] : ds.begin[d], lo, hi);
        }
        int64_t end_index = ds.end[d];
        if (offset) end_index += b;
        if (ds.end_masked[d]) {
            e = s > 0 ? hi : lo;
        } else {
            e = clamp64(end_index < 0 ? dim + end_index : end_index, lo, hi);
        }
        const int64_t len = e - b;
        if (len == 0 || (len < 0) != (s < 0)) {
            extent[d] = 0;
        } else {
            extent[d] = len / s + (len % s != 0 ? 1 : 0);
        }
        start[d] = b;
    }

    lt_shape out_shape = {0};
    for (int k = 0; k < ds.n_final; k++) {
        const int f = ds.final_dim[k];
        if (f == SS_SHRUNK) continue;
        if (out_shape.rank >= LT_MAX_RANK)
            return lt_ctx_error(ctx, node, "the output would have more than %d dimensions",
                                LT_MAX_RANK);
        out_shape.dims[out_shape.rank++] = f == SS_NEW_AXIS ? 1 : (int32_t)extent[f];
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    /* Output order is input dimension order (new axes and shrunk dimensions have extent 1),
     * so the copy walks the input dimensions with their strides. */
    int64_t in_strides[LT_MAX_RANK], step[LT_MAX_RANK];
    int64_t first = 0;
    shape_ops_strides(&in->shape, in_strides);
    for (int d = 0; d < rank; d++) {
        /* A step matters only when the dimension iterates; then |stride| < dim, so the
         * product stays within the input's element count. */
        step[d] = extent[d] > 1 ? ds.stride[d] * in_strides[d] : 0;
        first += start[d] * in_strides[d];
    }
    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, rank, extent, step, first, elem);
    node->state = plan;
    return LT_OK;
}

static lt_status ss_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[SS_INPUT]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_strided_slice = {"STRIDED_SLICE", ss_prepare, ss_invoke};
