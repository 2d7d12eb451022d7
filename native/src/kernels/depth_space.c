/* DEPTH_TO_SPACE and SPACE_TO_DEPTH: NHWC rearrangements between spatial blocks and channels
 * (tf.nn.depth_to_space / space_to_depth, TensorFlow's default "DCR" order).
 *
 * With block size b, DEPTH_TO_SPACE maps [N, H, W, b*b*C] to [N, H*b, W*b, C]:
 *     out[n, h*b + dy, w*b + dx, c] = in[n, h, w, (dy*b + dx)*C + c]
 * and SPACE_TO_DEPTH is its inverse. Both are a strided view of the input read in the output's
 * order, so prepare builds one copy plan (shape_ops_copy.h) over six dimensions and invoke runs
 * it. Options: DepthToSpaceOptions / SpaceToDepthOptions, block_size (field 0).
 * Types as TensorFlow Lite: FLOAT32, INT8, UINT8, INT32, INT64; rank 4 only. */
#include "data_movement_checks.h"
#include "kernels.h"
#include "shape_ops_copy.h"

enum { BLOCK_SIZE_FIELD = 0 };

static bool depth_space_type_ok(lt_type t) {
    return t == LT_FLOAT32 || t == LT_INT8 || t == LT_UINT8 || t == LT_INT32 || t == LT_INT64;
}

/* Checks shared by both ops; *block gets the block size. */
static lt_status check_common(lt_context *ctx, lt_node *node, uint8_t options, int *block) {
    if (lt_check_io_count(ctx, node, 1, 1, 1) != LT_OK ||
        lt_check_options(ctx, node, options) != LT_OK ||
        lt_check_input_rank(ctx, node, 0, 4, 4) != LT_OK)
        return LT_ERROR;
    const lt_tensor *in = node->inputs[0], *out = node->outputs[0];
    if (!depth_space_type_ok(in->type))
        return lt_ctx_error(ctx, node, "input '%s' has type %s; expected FLOAT32, INT8, UINT8, "
                            "INT32 or INT64", in->name, lt_type_name(in->type));
    if (out->type != in->type)
        return lt_ctx_error(ctx, node, "output '%s' has type %s; expected %s like the input",
                            out->name, lt_type_name(out->type), lt_type_name(in->type));
    if (dm_check_same_quant(ctx, node, in, out) != LT_OK) return LT_ERROR;
    *block = lt_opt_i32(node, BLOCK_SIZE_FIELD, 0);
    if (*block < 1)
        return lt_ctx_error(ctx, node, "block_size is %d; expected a positive value", *block);
    return LT_OK;
}

static lt_status finish(lt_context *ctx, lt_node *node, const lt_shape *out_shape,
                        const int64_t count[6], const int64_t step[6]) {
    if (lt_node_set_output_shape(ctx, node, 0, out_shape) != LT_OK) return LT_ERROR;
    shape_ops_copy_plan *plan = lt_ctx_alloc(ctx, node, sizeof *plan);
    if (plan == NULL) return LT_ERROR;
    shape_ops_copy_plan_init(plan, 6, count, step, 0, lt_type_size(node->inputs[0]->type));
    node->state = plan;
    return LT_OK;
}

static lt_status depth_to_space_prepare(lt_context *ctx, lt_node *node) {
    int b = 0;
    if (check_common(ctx, node, LT_OPTS_DepthToSpaceOptions, &b) != LT_OK) return LT_ERROR;
    const lt_shape *s = &node->inputs[0]->shape;
    const int64_t n = s->dims[0], h = s->dims[1], w = s->dims[2], c_in = s->dims[3];
    const int64_t bb = (int64_t)b * b;
    char buf[96];
    if (c_in % bb != 0)
        return lt_ctx_error(ctx, node, "input shape %s: channels must be a multiple of "
                            "block_size^2 = %lld", lt_shape_str(s, buf, sizeof buf),
                            (long long)bb);
    const int64_t c = c_in / bb;
    if (h * b > INT32_MAX || w * b > INT32_MAX)
        return lt_ctx_error(ctx, node, "output dimensions overflow (block_size %d)", b);
    lt_shape out_shape = {.rank = 4,
                          .dims = {(int32_t)n, (int32_t)(h * b), (int32_t)(w * b), (int32_t)c}};
    /* Output walked as [n, h, dy, w, dx, c]; input element (n, h, w, dy, dx, c). */
    const int64_t count[6] = {n, h, b, w, b, c};
    const int64_t step[6] = {h * w * c_in, w * c_in, b * c, c_in, c, 1};
    return finish(ctx, node, &out_shape, count, step);
}

static lt_status space_to_depth_prepare(lt_context *ctx, lt_node *node) {
    int b = 0;
    if (check_common(ctx, node, LT_OPTS_SpaceToDepthOptions, &b) != LT_OK) return LT_ERROR;
    const lt_shape *s = &node->inputs[0]->shape;
    const int64_t n = s->dims[0], h = s->dims[1], w = s->dims[2], c = s->dims[3];
    char buf[96];
    if (h % b != 0 || w % b != 0)
        return lt_ctx_error(ctx, node, "input shape %s: height and width must be multiples of "
                            "block_size %d", lt_shape_str(s, buf, sizeof buf), b);
    const int64_t bb = (int64_t)b * b;
    if (bb > INT32_MAX || c * bb > INT32_MAX)
        return lt_ctx_error(ctx, node, "output channels overflow (block_size %d)", b);
    const int64_t ho = h / b, wo = w / b;
    lt_shape out_shape = {.rank = 4,
                          .dims = {(int32_t)n, (int32_t)ho, (int32_t)wo, (int32_t)(c * bb)}};
    /* Output walked as [n, ho, wo, dy, dx, c]; input element (n, ho*b + dy, wo*b + dx, c). */
    const int64_t count[6] = {n, ho, wo, b, b, c};
    const int64_t step[6] = {h * w * c, b * w * c, b * c, w * c, c, 1};
    return finish(ctx, node, &out_shape, count, step);
}

static lt_status depth_space_invoke(lt_context *ctx, lt_node *node) {
    (void)ctx;
    shape_ops_copy_run(node->state, node->inputs[0]->data, node->outputs[0]->data);
    return LT_OK;
}

const lt_op lt_op_depth_to_space = {"DEPTH_TO_SPACE", depth_to_space_prepare,
                                    depth_space_invoke};
const lt_op lt_op_space_to_depth = {"SPACE_TO_DEPTH", space_to_depth_prepare,
                                    depth_space_invoke};
