/* Placeholder until this op family is implemented. */
#include "kernels.h"

static lt_status not_implemented(lt_context *ctx, lt_node *node) {
    return lt_ctx_error(ctx, node, "not implemented yet");
}

const lt_op lt_op_logistic = {"LOGISTIC", not_implemented, not_implemented};
const lt_op lt_op_tanh = {"TANH", not_implemented, not_implemented};
const lt_op lt_op_relu = {"RELU", not_implemented, not_implemented};
const lt_op lt_op_relu6 = {"RELU6", not_implemented, not_implemented};
const lt_op lt_op_leaky_relu = {"LEAKY_RELU", not_implemented, not_implemented};
const lt_op lt_op_hard_swish = {"HARD_SWISH", not_implemented, not_implemented};
const lt_op lt_op_prelu = {"PRELU", not_implemented, not_implemented};
