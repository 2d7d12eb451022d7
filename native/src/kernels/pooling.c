/* Placeholder until this op family is implemented. */
#include "kernels.h"

static lt_status not_implemented(lt_context *ctx, lt_node *node) {
    return lt_ctx_error(ctx, node, "not implemented yet");
}

const lt_op lt_op_average_pool_2d = {"AVERAGE_POOL_2D", not_implemented, not_implemented};
const lt_op lt_op_max_pool_2d = {"MAX_POOL_2D", not_implemented, not_implemented};
