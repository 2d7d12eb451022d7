/* Placeholder until this op family is implemented. */
#include "kernels.h"

static lt_status not_implemented(lt_context *ctx, lt_node *node) {
    return lt_ctx_error(ctx, node, "not implemented yet");
}

const lt_op lt_op_add = {"ADD", not_implemented, not_implemented};
const lt_op lt_op_sub = {"SUB", not_implemented, not_implemented};
const lt_op lt_op_mul = {"MUL", not_implemented, not_implemented};
const lt_op lt_op_div = {"DIV", not_implemented, not_implemented};
