/* Services the interpreter offers to ops (see kernel_api.h). */
#include "kernel_api.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "context.h"

static void vformat_error(lt_context *ctx, const lt_node *node, const char *fmt, va_list ap) {
    size_t used = 0;
    if (node != NULL) {
        int w = snprintf(ctx->error, sizeof ctx->error, "node %d (%s): ", (int)node->index,
                         node->custom_name != NULL ? node->custom_name
                         : node->op != NULL       ? node->op->name
                                                  : lt_builtin_op_name(node->builtin_code));
        if (w > 0) used = (size_t)w < sizeof ctx->error ? (size_t)w : sizeof ctx->error - 1;
    }
    vsnprintf(ctx->error + used, sizeof ctx->error - used, fmt, ap);
}

lt_status lt_ctx_error(lt_context *ctx, const lt_node *node, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vformat_error(ctx, node, fmt, ap);
    va_end(ap);
    return LT_ERROR;
}

int lt_ctx_errorf(lt_context *ctx, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vformat_error(ctx, NULL, fmt, ap);
    va_end(ap);
    return LT_ERROR;
}

void *lt_ctx_alloc(lt_context *ctx, const lt_node *node, size_t bytes) {
    /* Before the allocation, not after prepare: a table sized by a hostile shape would
     * otherwise be allocated (and written) in full first. */
    size_t used, end;
    if (ctx->max_memory != 0 &&
        (!lt_add_size(ctx->plan.used, ctx->children_bytes, &used) ||
         !lt_add_size(used, bytes, &end) || end > ctx->max_memory)) {
        lt_ctx_error(ctx, node, "op state of %zu bytes would take the plan past the memory cap "
                     "of %zu bytes; raise lt_options.max_memory_bytes (Python: Interpreter(..., "
                     "max_memory_bytes=...)) if the model really needs it", bytes,
                     ctx->max_memory);
        return NULL;
    }
    void *p = lt_plan_memory_alloc(&ctx->plan, bytes);
    if (p == NULL) lt_ctx_error(ctx, node, "out of memory allocating %zu bytes of op state", bytes);
    return p;
}

void lt_ctx_free_plan(lt_context *ctx) { lt_plan_memory_release(&ctx->plan); }

int lt_ctx_num_threads(const lt_context *ctx) { return ctx->num_threads > 0 ? ctx->num_threads : 1; }

int lt_ctx_isa(const lt_context *ctx) { return ctx->isa; }

void lt_ctx_parallel_for(lt_context *ctx, int64_t n,
                         void (*fn)(void *arg, int64_t begin, int64_t end), void *arg) {
    if (n <= 0) return;
    if (ctx->pool == NULL) {
        fn(arg, 0, n);
        return;
    }
    lt_thread_pool_run(ctx->pool, n, fn, arg);
}

lt_status lt_node_set_output_shape(lt_context *ctx, lt_node *node, int i, const lt_shape *shape) {
    char buf[96];
    if (i < 0 || i >= node->n_outputs || node->outputs[i] == NULL)
        return lt_ctx_error(ctx, node, "output %d does not exist", i);
    lt_tensor *t = node->outputs[i];
    if (shape->rank < 0 || shape->rank > LT_MAX_RANK)
        return lt_ctx_error(ctx, node, "output rank %d out of range", (int)shape->rank);
    size_t bytes;
    if (!lt_shape_bytes(shape, t->type, &bytes))
        return lt_ctx_error(ctx, node, "output '%s' of shape %s and type %s: invalid size",
                            t->name, lt_shape_str(shape, buf, sizeof buf), lt_type_name(t->type));
    t->shape = *shape;
    t->bytes = bytes;
    return LT_OK;
}

lt_status lt_node_set_output_dynamic(lt_context *ctx, lt_node *node, int i, const lt_shape *bound) {
    if (lt_node_set_output_shape(ctx, node, i, bound) != LT_OK) return LT_ERROR;
    node->outputs[i]->is_dynamic = true;
    return LT_OK;
}

void lt_tensor_set_run_shape(lt_tensor *t, const lt_shape *shape) {
    size_t bytes = 0;
    (void)lt_shape_bytes(shape, t->type, &bytes); /* within the planned bound */
    t->shape = *shape;
    t->bytes = bytes;
}

lt_status lt_check_io_count(lt_context *ctx, const lt_node *node, int min_in, int max_in,
                            int n_out) {
    if (node->n_inputs < min_in || node->n_inputs > max_in) {
        if (min_in == max_in)
            return lt_ctx_error(ctx, node, "expects %d inputs, got %d", min_in, (int)node->n_inputs);
        return lt_ctx_error(ctx, node, "expects %d to %d inputs, got %d", min_in, max_in,
                            (int)node->n_inputs);
    }
    if (node->n_outputs != n_out)
        return lt_ctx_error(ctx, node, "expects %d outputs, got %d", n_out, (int)node->n_outputs);
    for (int i = 0; i < min_in; i++)
        if (node->inputs[i] == NULL)
            return lt_ctx_error(ctx, node, "required input %d is missing", i);
    return LT_OK;
}

lt_status lt_check_input_type(lt_context *ctx, const lt_node *node, int i, lt_type type) {
    if (i >= node->n_inputs || node->inputs[i] == NULL)
        return lt_ctx_error(ctx, node, "input %d is missing", i);
    const lt_tensor *t = node->inputs[i];
    if (t->type != type)
        return lt_ctx_error(ctx, node, "input %d '%s' has type %s, expected %s", i, t->name,
                            lt_type_name(t->type), lt_type_name(type));
    return LT_OK;
}

lt_status lt_check_input_rank(lt_context *ctx, const lt_node *node, int i, int min_rank,
                              int max_rank) {
    char buf[96];
    if (i >= node->n_inputs || node->inputs[i] == NULL)
        return lt_ctx_error(ctx, node, "input %d is missing", i);
    const lt_tensor *t = node->inputs[i];
    if (t->shape.rank < min_rank || t->shape.rank > max_rank) {
        if (min_rank == max_rank)
            return lt_ctx_error(ctx, node, "input %d '%s' has shape %s, expected rank %d", i,
                                t->name, lt_shape_str(&t->shape, buf, sizeof buf), min_rank);
        return lt_ctx_error(ctx, node, "input %d '%s' has shape %s, expected rank %d to %d", i,
                            t->name, lt_shape_str(&t->shape, buf, sizeof buf), min_rank, max_rank);
    }
    return LT_OK;
}

lt_status lt_check_input_constant(lt_context *ctx, const lt_node *node, int i) {
    if (i >= node->n_inputs || node->inputs[i] == NULL)
        return lt_ctx_error(ctx, node, "input %d is missing", i);
    if (!node->inputs[i]->is_constant)
        return lt_ctx_error(ctx, node,
                            "input %d '%s' must be a constant tensor; values computed at run "
                            "time are not supported for it",
                            i, node->inputs[i]->name);
    return LT_OK;
}

lt_status lt_check_options(lt_context *ctx, const lt_node *node, uint8_t type) {
    if (node->options_type != 0 && node->options_type != type)
        return lt_ctx_error(ctx, node, "has builtin options of type %u, expected %u",
                            node->options_type, type);
    return LT_OK;
}

/* Options fields were range-checked when read: a malformed field reads as its default, and
 * fields past the table end cannot be reached because every access is bounds-checked. */
int32_t lt_opt_i32(const lt_node *node, int id, int32_t dflt) {
    bool err = false;
    int32_t v = fb_i32(&node->options, id, dflt, &err);
    return err ? dflt : v;
}

int8_t lt_opt_i8(const lt_node *node, int id, int8_t dflt) {
    bool err = false;
    int8_t v = fb_i8(&node->options, id, dflt, &err);
    return err ? dflt : v;
}

bool lt_opt_bool(const lt_node *node, int id, bool dflt) {
    bool err = false;
    uint8_t v = fb_u8(&node->options, id, dflt ? 1 : 0, &err);
    return err ? dflt : v != 0;
}

float lt_opt_f32(const lt_node *node, int id, float dflt) {
    bool err = false;
    float v = fb_f32(&node->options, id, dflt, &err);
    return err ? dflt : v;
}

int lt_opt_i32_vec(const lt_node *node, int id, int32_t *out, int max) {
    bool err = false;
    fb_vec v;
    if (!fb_vec_field(&node->options, id, 4, &v, &err)) return err ? -1 : 0;
    if (v.len > (uint32_t)INT32_MAX) return -1;
    for (uint32_t i = 0; i < v.len && (int64_t)i < (int64_t)max; i++) out[i] = fb_vec_i32(&v, i);
    return (int)v.len;
}

bool lt_activation_range(int act, float *lo, float *hi) {
    switch (act) {
    case LT_ACT_NONE: *lo = -INFINITY; *hi = INFINITY; return true;
    case LT_ACT_RELU: *lo = 0.0f; *hi = INFINITY; return true;
    case LT_ACT_RELU_N1_TO_1: *lo = -1.0f; *hi = 1.0f; return true;
    case LT_ACT_RELU6: *lo = 0.0f; *hi = 6.0f; return true;
    default: return false;
    }
}

lt_status lt_check_activation(lt_context *ctx, const lt_node *node, int act) {
    if (act == LT_ACT_NONE || act == LT_ACT_RELU || act == LT_ACT_RELU_N1_TO_1 ||
        act == LT_ACT_RELU6 || act == LT_ACT_TANH || act == LT_ACT_SIGN_BIT)
        return LT_OK;
    return lt_ctx_error(ctx, node, "unknown fused activation function %d", act);
}

void lt_apply_activation_f32(int act, float *x, int64_t n) {
    float lo, hi;
    if (act == LT_ACT_NONE) return;
    if (lt_activation_range(act, &lo, &hi)) {
        for (int64_t i = 0; i < n; i++) x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
    } else if (act == LT_ACT_TANH) {
        for (int64_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
    } else if (act == LT_ACT_SIGN_BIT) {
        for (int64_t i = 0; i < n; i++) x[i] = signbit(x[i]) ? 1.0f : 0.0f;
    }
}

bool lt_conv_out_size(int padding, int in, int filter, int stride, int dilation, int *out,
                      int *pad_before) {
    if (in < 0 || filter <= 0 || stride <= 0 || dilation <= 0) return false;
    int64_t eff = (int64_t)(filter - 1) * dilation + 1;
    int64_t o;
    if (padding == LT_PADDING_SAME) {
        o = ((int64_t)in + stride - 1) / stride;
    } else if (padding == LT_PADDING_VALID) {
        o = ((int64_t)in - eff + stride) / stride;
    } else {
        return false;
    }
    if (o <= 0 || o > INT32_MAX) return false;
    int64_t total = (o - 1) * stride + eff - in;
    if (total < 0) total = 0;
    *out = (int)o;
    *pad_before = (int)(total / 2);
    return true;
}

bool lt_broadcast_shape(const lt_shape *a, const lt_shape *b, lt_shape *out) {
    lt_shape r;
    r.rank = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r.rank; i++) {
        int ai = a->rank - r.rank + i, bi = b->rank - r.rank + i;
        int32_t da = ai >= 0 ? a->dims[ai] : 1;
        int32_t db = bi >= 0 ? b->dims[bi] : 1;
        if (da == db || db == 1) r.dims[i] = da;
        else if (da == 1) r.dims[i] = db;
        else return false;
    }
    *out = r;
    return true;
}
