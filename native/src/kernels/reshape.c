/* RESHAPE and SQUEEZE: the same elements in the same order under a new shape, so invoke is a
 * single copy of the input's bytes whatever the element type.
 *
 * RESHAPE takes its new shape from input 1 (a constant int32 vector) when present, else from
 * ReshapeOptions.new_shape (field 0). One dimension may be -1 and is inferred. Legacy models
 * write new_shape = [0] to mean a scalar; an empty shape tensor means a scalar too.
 * SQUEEZE removes the extent-1 dimensions listed in SqueezeOptions.squeeze_dims (field 0,
 * negative counts from the end), or every extent-1 dimension when the list is empty. */
#include <string.h>

#include "kernels.h"

enum { RESHAPE_NEW_SHAPE = 0, SQUEEZE_DIMS = 0 };

/* Input and output must hold the same element type, one the runtime stores as plain bytes. */
static lt_status check_copy_types(lt_context *ctx, const lt_node *node) {
    const lt_tensor *in = node->inputs[0], *out = node->outputs[0];
    if (lt_type_size(in->type) == 0)
        return lt_ctx_error(ctx, node, "input has type %s, which this op cannot move",
                            lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output has type %s; expected %s like the input",
                            lt_type_name(out->type), lt_type_name(in->type));
    return LT_OK;
}

/* Reads the requested shape (may hold one -1) into *req. */
static lt_status requested_shape(lt_context *ctx, const lt_node *node, lt_shape *req) {
    const lt_tensor *shape_in = node->n_inputs >= 2 ? node->inputs[1] : NULL;
    memset(req, 0, sizeof *req);
    if (shape_in != NULL) {
        char buf[96];
        if (shape_in->type != LT_INT32)
            return lt_ctx_error(ctx, node, "shape input '%s' has type %s; expected INT32",
                                shape_in->name, lt_type_name(shape_in->type));
        if (shape_in->shape.rank != 1)
            return lt_ctx_error(ctx, node, "shape input '%s' has shape %s; expected a vector "
                                "(rank 1)", shape_in->name,
                                lt_shape_str(&shape_in->shape, buf, sizeof buf));
        const int32_t n = shape_in->shape.dims[0];
        if (n == 0) return LT_OK; /* an empty shape: a scalar, whatever the tensor holds */
        if (!shape_in->is_constant)
            return lt_ctx_error(ctx, node, "RESHAPE with a shape computed at run time is not "
                                "supported yet (shape input '%s' is not a constant tensor)",
                                shape_in->name);
        if (n > LT_MAX_RANK)
            return lt_ctx_error(ctx, node, "shape input '%s' has %d entries; the highest "
                                "supported rank is %d", shape_in->name, (int)n, LT_MAX_RANK);
        req->rank = n;
        for (int i = 0; i < n; i++) req->dims[i] = lt_i32(shape_in)[i];
        return LT_OK;
    }
    const int n = lt_opt_i32_vec(node, RESHAPE_NEW_SHAPE, req->dims, LT_MAX_RANK);
    if (n < 0) return lt_ctx_error(ctx, node, "ReshapeOptions.new_shape is malformed");
    if (n > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "ReshapeOptions.new_shape has %d entries; the highest "
                            "supported rank is %d", n, LT_MAX_RANK);
    req->rank = n;
    if (n == 1 && req->dims[0] == 0) req->rank = 0; /* legacy spelling of a scalar */
    return LT_OK;
}

static lt_status reshape_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 2, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_ReshapeOptions) != LT_OK ||
        check_copy_types(ctx, node) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0];
    lt_shape req;
    if (requested_shape(ctx, node, &req) != LT_OK) return LT_ERROR;

    char a[96], b[96];
    const int64_t in_elems = lt_tensor_elements(in);
    /* Product of the given dimensions; `too_big` once it exceeds any possible element count
     * (it can then only match if another dimension is 0). */
    int infer = -1;
    int64_t known = 1;
    bool has_zero = false, too_big = false;
    for (int i = 0; i < req.rank; i++) {
        const int32_t d = req.dims[i];
        if (d == -1) {
            if (infer >= 0)
                return lt_ctx_error(ctx, node, "new shape %s has more than one -1; expected at "
                                    "most one dimension to infer",
                                    lt_shape_str(&req, a, sizeof a));
            infer = i;
        } else if (d < 0) {
            return lt_ctx_error(ctx, node, "new shape %s has dimension %d = %d; expected "
                                "sizes >= 0 or a single -1",
                                lt_shape_str(&req, a, sizeof a), i, (int)d);
        } else if (d == 0) {
            has_zero = true;
        } else if (known > INT64_MAX / d) {
            too_big = true;
        } else {
            known *= d;
        }
    }
    if (has_zero) {
        known = 0;
        too_big = false;
    }
    lt_shape out = req;
    if (infer >= 0) {
        if (known == 0)
            return lt_ctx_error(ctx, node, "cannot infer the -1 in new shape %s: the other "
                                "dimensions multiply to 0 (input shape %s)",
                                lt_shape_str(&req, a, sizeof a),
                                lt_shape_str(&in->shape, b, sizeof b));
        if (too_big || in_elems % known != 0 || in_elems / known > INT32_MAX)
            return lt_ctx_error(ctx, node, "cannot reshape input of shape %s (%lld elements) "
                                "into shape %s: the element count is not a multiple of the "
                                "other dimensions' product",
                                lt_shape_str(&in->shape, b, sizeof b), (long long)in_elems,
                                lt_shape_str(&req, a, sizeof a));
        out.dims[infer] = (int32_t)(in_elems / known);
        known *= out.dims[infer];
    }
    if (too_big || known != in_elems)
        return lt_ctx_error(ctx, node, "cannot reshape input of shape %s (%lld elements) into "
                            "shape %s: expected the same number of elements",
                            lt_shape_str(&in->shape, b, sizeof b), (long long)in_elems,
                            lt_shape_str(&req, a, sizeof a));
    return lt_node_set_output_shape(ctx, node, 0, &out);
}

/* Shared by RESHAPE and SQUEEZE: the bytes do not change, only the shape. */
static lt_status copy_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    const lt_tensor *in = node->inputs[0];
    lt_tensor *out = node->outputs[0];
    if (out->bytes > 0 && out->data != in->data) memcpy(out->data, in->data, out->bytes);
    return LT_OK;
}

static lt_status squeeze_prepare(lt_context *ctx, lt_node *node) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, LT_OPTS_SqueezeOptions) != LT_OK ||
        check_copy_types(ctx, node) != LT_OK)
        return LT_ERROR;
    const lt_shape *in = &node->inputs[0]->shape;
    const int rank = in->rank;
    char buf[96];

    int32_t dims[LT_MAX_RANK];
    const int n = lt_opt_i32_vec(node, SQUEEZE_DIMS, dims, LT_MAX_RANK);
    if (n < 0) return lt_ctx_error(ctx, node, "SqueezeOptions.squeeze_dims is malformed");
    if (n > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "SqueezeOptions.squeeze_dims has %d entries; expected "
                            "at most the input rank %d", n, rank);

    bool squeeze[LT_MAX_RANK] = {false};
    if (n == 0) {
        for (int d = 0; d < rank; d++) squeeze[d] = in->dims[d] == 1;
    }
    for (int i = 0; i < n; i++) {
        const int32_t d = dims[i];
        if (d < -rank || d >= rank)
            return lt_ctx_error(ctx, node, "SqueezeOptions.squeeze_dims[%d] is %d; expected a "
                                "value in [%d, %d) for an input of shape %s",
                                i, (int)d, -rank, rank, lt_shape_str(in, buf, sizeof buf));
        const int axis = d < 0 ? d + rank : d;
        if (in->dims[axis] != 1)
            return lt_ctx_error(ctx, node, "cannot squeeze dimension %d of input shape %s: "
                                "its size is %d, expected 1",
                                axis, lt_shape_str(in, buf, sizeof buf), (int)in->dims[axis]);
        squeeze[axis] = true;
    }
    lt_shape out = {0};
    for (int d = 0; d < rank; d++)
        if (!squeeze[d]) out.dims[out.rank++] = in->dims[d];
    return lt_node_set_output_shape(ctx, node, 0, &out);
}

const lt_op lt_op_reshape = {"RESHAPE", reshape_prepare, copy_invoke};
const lt_op lt_op_squeeze = {"SQUEEZE", squeeze_prepare, copy_invoke};
