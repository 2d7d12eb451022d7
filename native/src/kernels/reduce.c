/* Placeholder until this op family is implemented. */
#include "kernels.h"

static lt_status not_implemented(lt_context *ctx, lt_node *node) {
    return lt_ctx_error(ctx, node, "not implemented yet");
}

const lt_op lt_op_mean = {"MEAN", not_implemented, not_implemented};
