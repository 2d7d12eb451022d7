/* Custom ops registered by name through the public API, and the node view their callbacks
 * get (lt_custom_node, see litert.h). */
#include "custom_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "context.h"

/* ---- The registry ----------------------------------------------------------------------- */

bool lt_custom_registry_add(lt_custom_registry *r, const lt_allocator *heap, const char *name,
                            const lt_custom_op *op) {
    for (int32_t i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].name, name) == 0) {
            r->entries[i].op = *op;
            return true;
        }
    const size_t len = strlen(name);
    char *copy = lt_aligned_calloc(heap, len + 1);
    if (copy == NULL) return false;
    memcpy(copy, name, len + 1);
    if (r->count == r->capacity) {
        const int32_t cap = r->capacity == 0 ? 4 : r->capacity * 2;
        size_t bytes;
        lt_custom_entry *grown = NULL;
        if (cap > 0 && lt_mul_size((size_t)cap, sizeof *grown, &bytes))
            grown = lt_aligned_calloc(heap, bytes);
        if (grown == NULL) {
            lt_aligned_free(heap, copy);
            return false;
        }
        if (r->count > 0) memcpy(grown, r->entries, (size_t)r->count * sizeof *grown);
        lt_aligned_free(heap, r->entries);
        r->entries = grown;
        r->capacity = cap;
    }
    r->entries[r->count].name = copy;
    r->entries[r->count].op = *op;
    r->count++;
    return true;
}

const lt_custom_op *lt_custom_registry_find(const lt_custom_registry *r, const char *name) {
    for (int32_t i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].name, name) == 0) return &r->entries[i].op;
    return NULL;
}

void lt_custom_registry_free(lt_custom_registry *r, const lt_allocator *heap) {
    for (int32_t i = 0; i < r->count; i++) lt_aligned_free(heap, r->entries[i].name);
    lt_aligned_free(heap, r->entries);
    memset(r, 0, sizeof *r);
}

/* ---- The node view ---------------------------------------------------------------------- */

struct lt_custom_node {
    lt_context *ctx;
    lt_node *node;
    lt_custom_op op; /* copied at prepare: a later registration changes the next plan only */
    void *state;
};

const char *lt_custom_node_name(const lt_custom_node *n) {
    return n != NULL && n->node->custom_name != NULL ? n->node->custom_name : "";
}
int lt_custom_node_index(const lt_custom_node *n) { return n != NULL ? n->node->index : -1; }
void *lt_custom_node_user_data(const lt_custom_node *n) { return n != NULL ? n->op.user_data : NULL; }
void **lt_custom_node_state(lt_custom_node *n) { return n != NULL ? &n->state : NULL; }

const uint8_t *lt_custom_node_options(const lt_custom_node *n, size_t *bytes) {
    if (bytes != NULL) *bytes = n != NULL ? n->node->custom_options_bytes : 0;
    return n != NULL ? n->node->custom_options : NULL;
}

int lt_custom_node_input_count(const lt_custom_node *n) { return n != NULL ? n->node->n_inputs : 0; }
int lt_custom_node_output_count(const lt_custom_node *n) {
    return n != NULL ? n->node->n_outputs : 0;
}

lt_status lt_custom_node_error(lt_custom_node *n, const char *fmt, ...) {
    if (n == NULL) return LT_ERROR;
    char msg[LT_ERROR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt != NULL ? fmt : "error", ap);
    va_end(ap);
    return lt_ctx_error(n->ctx, n->node, "%s", msg);
}

/* Tensor i of `list` (n entries) for the accessors; NULL (error recorded) when absent. */
static lt_tensor *pick(lt_custom_node *n, lt_tensor **list, int count, int i, const char *what) {
    if (i < 0 || i >= count) {
        lt_ctx_error(n->ctx, n->node, "%s %d out of range (the node has %d)", what, i, count);
        return NULL;
    }
    if (list[i] == NULL) lt_ctx_error(n->ctx, n->node, "%s %d is omitted in the file", what, i);
    return list[i];
}

lt_status lt_custom_node_input(const lt_custom_node *cn, int i, lt_tensor_info *info,
                               const void **data) {
    lt_custom_node *n = (lt_custom_node *)cn; /* only the error message is written */
    if (n == NULL) return LT_ERROR;
    lt_tensor *t = pick(n, n->node->inputs, n->node->n_inputs, i, "input");
    if (t == NULL) return LT_ERROR;
    if (info != NULL) lt_tensor_fill_info(t, info);
    if (data != NULL) *data = t->data;
    return LT_OK;
}

lt_status lt_custom_node_output(lt_custom_node *n, int i, lt_tensor_info *info, void **data) {
    if (n == NULL) return LT_ERROR;
    lt_tensor *t = pick(n, n->node->outputs, n->node->n_outputs, i, "output");
    if (t == NULL) return LT_ERROR;
    if (info != NULL) lt_tensor_fill_info(t, info);
    if (data != NULL) *data = t->data;
    return LT_OK;
}

lt_status lt_custom_node_set_output_shape(lt_custom_node *n, int i, const int32_t *dims,
                                          int rank) {
    if (n == NULL) return LT_ERROR;
    if (rank < 0 || rank > LT_MAX_RANK || (rank > 0 && dims == NULL))
        return lt_ctx_error(n->ctx, n->node, "output %d: rank %d out of range (0 to %d)", i,
                            rank, LT_MAX_RANK);
    lt_shape s = {.rank = rank};
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0)
            return lt_ctx_error(n->ctx, n->node, "output %d: dimension %d is negative (%d)", i, d,
                                (int)dims[d]);
        s.dims[d] = dims[d];
    }
    return lt_node_set_output_shape(n->ctx, n->node, i, &s);
}

/* ---- The op that runs registered implementations ----------------------------------------- */

static void registered_release(lt_context *ctx, lt_node *node) {
    (void)ctx;
    lt_custom_node *n = node->state;
    if (n != NULL && n->op.release != NULL) n->op.release(n);
}

static lt_status registered_prepare(lt_context *ctx, lt_node *node) {
    const lt_custom_op *op = lt_ctx_find_custom_op(ctx, node->custom_name);
    if (op == NULL) /* the interpreter only routes registered names here */
        return lt_ctx_error(ctx, node, "custom op '%s' is not registered", node->custom_name);
    lt_custom_node *n = lt_ctx_alloc(ctx, node, sizeof *n);
    if (n == NULL) return LT_ERROR;
    n->ctx = ctx;
    n->node = node;
    n->op = *op;
    node->state = n;
    node->release = registered_release;
    ctx->error[0] = '\0';
    if (n->op.prepare(n) == LT_OK) return LT_OK;
    if (ctx->error[0] == '\0')
        lt_ctx_error(ctx, node, "prepare failed (the op gave no message)");
    return LT_ERROR;
}

static lt_status registered_invoke(lt_context *ctx, lt_node *node) {
    lt_custom_node *n = node->state;
    ctx->error[0] = '\0';
    if (n->op.invoke(n) == LT_OK) return LT_OK;
    if (ctx->error[0] == '\0') lt_ctx_error(ctx, node, "invoke failed (the op gave no message)");
    return LT_ERROR;
}

const lt_op lt_op_registered_custom = {"CUSTOM", registered_prepare, registered_invoke};
