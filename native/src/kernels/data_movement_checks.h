/* Prepare-time checks shared by the data-movement ops of issue 8 (DEPTH_TO_SPACE,
 * SPACE_TO_DEPTH, SPLIT, SPLIT_V, UNPACK, TILE, EXPAND_DIMS, FILL, SELECT, SELECT_V2,
 * BROADCAST_TO).
 *
 * These ops copy stored values without looking at them, so a quantized tensor comes out with
 * the input's real values only if the output has the same scale and zero point: TensorFlow's
 * quantizer gives them the same parameters, and a file that does not is rejected rather than
 * silently reinterpreted. And they size their outputs from argument tensors (multiples, dims,
 * axes), which must be known at prepare: the runtime has no dynamic output shapes. */
#ifndef LITERT_KERNELS_DATA_MOVEMENT_CHECKS_H
#define LITERT_KERNELS_DATA_MOVEMENT_CHECKS_H

#include "kernels.h"

/* Types whose stored values are quantized integers when the tensor has quantization. */
static inline bool dm_is_quantizable_type(lt_type type) {
    return type == LT_INT8 || type == LT_UINT8 || type == LT_INT16;
}

/* `out` must carry the same per-tensor quantization as `in` when their type is a quantized
 * integer type (both unquantized also matches). Records an error naming both tensors. */
static inline lt_status dm_check_same_quant(lt_context *ctx, const lt_node *node,
                                            const lt_tensor *in, const lt_tensor *out) {
    if (!dm_is_quantizable_type(in->type)) return LT_OK;
    const lt_quant *a = &in->quant, *b = &out->quant;
    if (a->count > 1 || b->count > 1)
        return lt_ctx_error(ctx, node, "'%s' or '%s' has per-channel quantization, which this "
                            "op does not support (it copies values unchanged)", in->name,
                            out->name);
    bool same = a->count == b->count;
    if (same && a->count == 1)
        same = a->scale[0] == b->scale[0] && a->zero_point[0] == b->zero_point[0];
    if (!same)
        return lt_ctx_error(ctx, node, "'%s' (scale %g, zero point %lld) and '%s' (scale %g, "
                            "zero point %lld) must have the same quantization: this op copies "
                            "values without requantizing", in->name,
                            a->count ? (double)a->scale[0] : 0.0,
                            a->count ? (long long)a->zero_point[0] : 0LL, out->name,
                            b->count ? (double)b->scale[0] : 0.0,
                            b->count ? (long long)b->zero_point[0] : 0LL);
    return LT_OK;
}

/* Input i gives an output shape (or an axis that decides one): it must be present and
 * constant, a model buffer or a value folded at prepare. */
static inline lt_status dm_check_shape_input_constant(lt_context *ctx, const lt_node *node,
                                                      int i, const char *what) {
    const lt_tensor *t = node->inputs[i];
    if (t == NULL) return lt_ctx_error(ctx, node, "%s (input %d) is missing", what, i);
    if (!t->is_constant)
        return lt_ctx_error(ctx, node, "%s '%s' (input %d) must be a constant tensor: dynamic "
                            "output shapes are not supported", what, t->name, i);
    return LT_OK;
}

/* An index-like argument tensor (axis, multiples, dims, sizes) must be INT32 or INT64. */
static inline lt_status dm_check_index_type(lt_context *ctx, const lt_node *node, int i,
                                            const char *what) {
    const lt_tensor *t = node->inputs[i];
    if (t->type != LT_INT32 && t->type != LT_INT64)
        return lt_ctx_error(ctx, node, "%s '%s' has type %s; expected INT32 or INT64", what,
                            t->name, lt_type_name(t->type));
    return LT_OK;
}

/* Element i of an INT32/INT64 tensor (checked with dm_check_index_type). */
static inline int64_t dm_index_at(const lt_tensor *t, int64_t i) {
    return t->type == LT_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
}

#endif
