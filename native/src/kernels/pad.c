/* PAD and PADV2: surround the input with a constant, numpy.pad(mode="constant").
 *
 * Inputs: the tensor, a constant paddings tensor (INT32 or INT64, shape [rank, 2]: before and
 * after per dimension) and, for PADV2 (optional for PAD, as in TensorFlow Lite), a one-element
 * constant_values tensor of the input's type. Without it the pad value is 0, or the output's
 * zero point for quantized tensors (the quantized encoding of 0.0).
 *
 * Element values are never interpreted, only their bytes, so every stored type works.
 * invoke writes the output as rows, each byte once: a row runs from the innermost padded
 * dimension inwards, where input and output are both contiguous; an output row is either all
 * padding or leading padding, one input row, trailing padding. Rows are split over threads. */
#include <string.h>

#include "kernels.h"
#include "shape_ops_copy.h"

enum { PAD_INPUT = 0, PAD_PADDINGS = 1, PAD_CONSTANT = 2 };

typedef struct pad_state {
    int32_t outer_rank;                /* dimensions before the row dimension */
    int64_t in_dims[LT_MAX_RANK];      /* input extents of those dimensions */
    int64_t out_dims[LT_MAX_RANK];     /* output extents of those dimensions */
    int64_t before[LT_MAX_RANK];       /* leading padding of those dimensions */
    int64_t in_row_stride[LT_MAX_RANK];/* input stride of those dimensions, in rows */
    int64_t out_rows;                  /* output rows: product of out_dims */
    size_t row_offset;                 /* output byte offset of a row within its output row */
    size_t row_bytes;                  /* bytes of one input row */
    size_t out_row_bytes;              /* bytes of one output row */
    size_t elem;
    bool value_from_tensor;            /* pad value from the constant_values input at invoke */
    bool value_is_zero;                /* all pad bytes are zero: memset */
    uint8_t value[16];                 /* pad value bytes (elem <= 16) */
} pad_state;

static bool is_quantized_type(lt_type t) {
    return t == LT_INT8 || t == LT_UINT8 || t == LT_INT16;
}

/* The pad value when there is no constant_values input: 0, or the zero point. */
static lt_status default_pad_value(lt_context *ctx, const lt_node *node, pad_state *st) {
    const lt_tensor *out = node->outputs[0];
    memset(st->value, 0, sizeof st->value);
    if (!is_quantized_type(out->type) || out->quant.count < 1) return LT_OK;
    const int64_t zp = out->quant.zero_point[0];
    int64_t lo = 0, hi = 0;
    switch (out->type) {
    case LT_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
    case LT_UINT8: lo = 0; hi = UINT8_MAX; break;
    default: lo = INT16_MIN; hi = INT16_MAX; break;
    }
    if (zp < lo || zp > hi)
        return lt_ctx_error(ctx, node, "output zero point %lld is outside the range of %s "
                            "[%lld, %lld]; it is the pad value",
                            (long long)zp, lt_type_name(out->type), (long long)lo,
                            (long long)hi);
    if (out->type == LT_INT8) {
        const int8_t v = (int8_t)zp;
        memcpy(st->value, &v, 1);
    } else if (out->type == LT_UINT8) {
        st->value[0] = (uint8_t)zp;
    } else {
        const int16_t v = (int16_t)zp;
        memcpy(st->value, &v, 2);
    }
    return LT_OK;
}

/* Quantized raw values are copied, so input and output must read them the same way. */
static lt_status check_same_quant(lt_context *ctx, const lt_node *node, const lt_tensor *a,
                                  const char *what) {
    const lt_tensor *out = node->outputs[0];
    if (!is_quantized_type(out->type)) return LT_OK;
    const bool qa = a->quant.count >= 1, qo = out->quant.count >= 1;
    if (!qa && !qo) return LT_OK;
    if (qa != qo || a->quant.scale[0] != out->quant.scale[0] ||
        a->quant.zero_point[0] != out->quant.zero_point[0])
        return lt_ctx_error(ctx, node, "%s '%s' and the output have different quantization "
                            "(scale, zero point); expected identical ones (padding copies "
                            "raw values)", what, a->name);
    return LT_OK;
}

static lt_status read_paddings(lt_context *ctx, const lt_node *node, int64_t before[LT_MAX_RANK],
                               int64_t after[LT_MAX_RANK]) {
    const lt_tensor *in = node->inputs[PAD_INPUT];
    const lt_tensor *pads = node->inputs[PAD_PADDINGS];
    const int rank = in->shape.rank;
    char buf[96];
    if (pads->type != LT_INT32 && pads->type != LT_INT64)
        return lt_ctx_error(ctx, node, "paddings '%s' has type %s; expected INT32 or INT64",
                            pads->name, lt_type_name(pads->type));
    if (pads->shape.rank != 2 || pads->shape.dims[0] != rank || pads->shape.dims[1] != 2)
        return lt_ctx_error(ctx, node, "paddings '%s' has shape %s; expected [%d, 2] for an "
                            "input of rank %d", pads->name,
                            lt_shape_str(&pads->shape, buf, sizeof buf), rank, rank);
    if (rank == 0) return LT_OK; /* nothing to read (an empty tensor may have no data) */
    if (lt_check_input_constant(ctx, node, PAD_PADDINGS) != LT_OK) return LT_ERROR;
    for (int d = 0; d < rank; d++) {
        before[d] = shape_ops_index_at(pads, 2 * d);
        after[d] = shape_ops_index_at(pads, 2 * d + 1);
        if (before[d] < 0 || after[d] < 0)
            return lt_ctx_error(ctx, node, "paddings for dimension %d are [%lld, %lld]; "
                                "expected values >= 0",
                                d, (long long)before[d], (long long)after[d]);
    }
    return LT_OK;
}

static lt_status pad_prepare(lt_context *ctx, lt_node *node) {
    const uint8_t opts = node->builtin_code == LT_OP_PADV2 ? LT_OPTS_PadV2Options
                                                           : LT_OPTS_PadOptions;
    if (lt_check_io_count(ctx, node, 2, 3, 1) != LT_OK || lt_check_options(ctx, node, opts) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[PAD_INPUT];
    const lt_tensor *out = node->outputs[0];
    const size_t elem = lt_type_size(in->type);
    if (elem == 0 || elem > 16)
        return lt_ctx_error(ctx, node, "input has type %s, which cannot be padded",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    if (check_same_quant(ctx, node, in, "input") != LT_OK) return LT_ERROR;

    const int rank = in->shape.rank;
    int64_t before[LT_MAX_RANK] = {0}, after[LT_MAX_RANK] = {0};
    if (read_paddings(ctx, node, before, after) != LT_OK) return LT_ERROR;

    pad_state *st = lt_ctx_alloc(ctx, node, sizeof *st);
    if (st == NULL) return LT_ERROR;
    st->elem = elem;

    const lt_tensor *cv = node->n_inputs > PAD_CONSTANT ? node->inputs[PAD_CONSTANT] : NULL;
    if (cv != NULL) {
        if (cv->type != in->type)
            return lt_ctx_error(ctx, node, "constant_values '%s' has type %s; expected %s like "
                                "the input", cv->name, lt_type_name(cv->type),
                                lt_type_name(in->type));
        if (lt_tensor_elements(cv) != 1)
            return lt_ctx_error(ctx, node, "constant_values '%s' has %lld elements; expected "
                                "exactly 1", cv->name, (long long)lt_tensor_elements(cv));
        if (check_same_quant(ctx, node, cv, "constant_values") != LT_OK) return LT_ERROR;
        st->value_from_tensor = true;
    } else if (default_pad_value(ctx, node, st) != LT_OK) {
        return LT_ERROR;
    }
    st->value_is_zero = true;
    for (size_t i = 0; i < elem; i++)
        if (st->value[i] != 0) st->value_is_zero = false;

    lt_shape out_shape = in->shape;
    char buf[96];
    for (int d = 0; d < rank; d++) {
        const int64_t extent = (int64_t)in->shape.dims[d] + before[d] + after[d];
        if (before[d] > INT32_MAX || after[d] > INT32_MAX || extent > INT32_MAX)
            return lt_ctx_error(ctx, node, "padding dimension %d of input shape %s by [%lld, "
                                "%lld] gives an extent above %d", d,
                                lt_shape_str(&in->shape, buf, sizeof buf),
                                (long long)before[d], (long long)after[d], (int)INT32_MAX);
        out_shape.dims[d] = (int32_t)extent;
    }
    if (lt_node_set_output_shape(ctx, node, 0, &out_shape) != LT_OK) return LT_ERROR;

    /* The row dimension is the innermost padded one; everything inside it is copied whole.
     * With no padding at all the whole input is one row. */
    int row_dim = -1;
    for (int d = 0; d < rank; d++)
        if (before[d] != 0 || after[d] != 0) row_dim = d;
    int64_t out_strides[LT_MAX_RANK];
    shape_ops_strides(&out_shape, out_strides);
    int64_t inner = 1; /* elements inside the row dimension (equal in input and output) */
    for (int d = row_dim + 1; d < rank; d++) inner *= in->shape.dims[d];
    const int64_t row_elems = (row_dim >= 0 ? in->shape.dims[row_dim] : 1) * inner;
    st->row_bytes = (size_t)row_elems * elem;
    st->row_offset = row_dim >= 0 ? (size_t)(before[row_dim] * inner) * elem : 0;
    st->out_row_bytes = (size_t)((row_dim >= 0 ? out_shape.dims[row_dim] : 1) * inner) * elem;
    st->outer_rank = row_dim >= 0 ? row_dim : 0;
    st->out_rows = 1;
    int64_t in_rows = 1;
    for (int d = st->outer_rank - 1; d >= 0; d--) {
        st->in_dims[d] = in->shape.dims[d];
        st->out_dims[d] = out_shape.dims[d];
        st->before[d] = before[d];
        st->in_row_stride[d] = in_rows;
        in_rows *= in->shape.dims[d];
        st->out_rows *= out_shape.dims[d]; /* bounded by the output's checked size */
    }
    node->state = st;
    return LT_OK;
}

static void fill(uint8_t *dst, size_t bytes, const uint8_t *value, size_t elem, bool zero) {
    if (zero) {
        memset(dst, 0, bytes);
        return;
    }
    for (size_t off = 0; off < bytes; off += elem) memcpy(dst + off, value, elem);
}

/* Output bytes below which PAD stays on one thread (the hand-off costs microseconds). */
enum { PAD_PARALLEL_MIN_BYTES = 4 * LT_PARALLEL_MIN_WORK };

/* One invoke's operands, shared by the threads that each write a range of output rows (so
 * each thread writes its own bytes, each exactly once, and the result does not depend on
 * the cut). */
typedef struct pad_args {
    const pad_state *st;
    const uint8_t *src;
    uint8_t *dst;
    const uint8_t *value;
    bool zero;
} pad_args;

/* Writes output rows [begin, end): a row inside the input's extent on every outer dimension
 * is leading padding, an input row, trailing padding; any other row is all padding. */
static void pad_rows(void *arg, int64_t begin, int64_t end) {
    const pad_args *a = arg;
    const pad_state *st = a->st;
    const int outer = st->outer_rank;
    const size_t tail = st->out_row_bytes - st->row_offset - st->row_bytes;
    int64_t idx[LT_MAX_RANK] = {0};
    int64_t r = begin;
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = r % st->out_dims[d];
        r /= st->out_dims[d];
    }
    uint8_t *dst = a->dst + (size_t)begin * st->out_row_bytes;
    for (int64_t row = begin; row < end; row++, dst += st->out_row_bytes) {
        bool inside = true;
        int64_t src_row = 0;
        for (int d = 0; d < outer; d++) {
            const int64_t i = idx[d] - st->before[d];
            if (i < 0 || i >= st->in_dims[d]) {
                inside = false;
                break;
            }
            src_row += i * st->in_row_stride[d];
        }
        if (!inside) {
            fill(dst, st->out_row_bytes, a->value, st->elem, a->zero);
        } else {
            fill(dst, st->row_offset, a->value, st->elem, a->zero);
            if (st->row_bytes > 0)
                memcpy(dst + st->row_offset, a->src + (size_t)src_row * st->row_bytes,
                       st->row_bytes);
            fill(dst + st->row_offset + st->row_bytes, tail, a->value, st->elem, a->zero);
        }
        for (int k = outer - 1; k >= 0; k--) {
            if (++idx[k] < st->out_dims[k]) break;
            idx[k] = 0;
        }
    }
}

static lt_status pad_invoke(lt_context *ctx, lt_node *node) {
    const pad_state *st = node->state;
    lt_tensor *out = node->outputs[0];
    if (out->bytes == 0) return LT_OK;

    uint8_t value[16];
    pad_args a = {st, node->inputs[PAD_INPUT]->data, out->data, st->value, st->value_is_zero};
    if (st->value_from_tensor) {
        memcpy(value, node->inputs[PAD_CONSTANT]->data, st->elem);
        a.value = value;
        a.zero = true;
        for (size_t i = 0; i < st->elem; i++)
            if (value[i] != 0) a.zero = false;
    }
    if (out->bytes >= PAD_PARALLEL_MIN_BYTES)
        lt_ctx_parallel_for(ctx, st->out_rows, pad_rows, &a);
    else
        pad_rows(&a, 0, st->out_rows);
    return LT_OK;
}

const lt_op lt_op_pad = {"PAD", pad_prepare, pad_invoke};
const lt_op lt_op_padv2 = {"PADV2", pad_prepare, pad_invoke};
