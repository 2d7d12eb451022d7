/* fc_i8_fast.c: placeholder until the SIMD kernel lands; the portable kernel runs. */
#include "fc_internal.h"

lt_status fc_i8_fast_prepare(lt_context *ctx, lt_node *node, fc_state *st) {
    (void)ctx;
    (void)node;
    (void)st;
    return LT_OK;
}
