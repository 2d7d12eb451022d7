/* Custom ops registered through the public API (lt_interpreter_add_custom_op): the
 * per-interpreter table of them, and the one internal op that runs any of them. */
#ifndef LITERT_CUSTOM_OPS_H
#define LITERT_CUSTOM_OPS_H

#include <stdint.h>

#include "alloc.h"
#include "kernel_api.h"

typedef struct lt_custom_entry {
    char *name;       /* owned copy */
    lt_custom_op op;  /* copied at registration */
} lt_custom_entry;

typedef struct lt_custom_registry {
    lt_custom_entry *entries; /* from the interpreter's allocator */
    int32_t count;
    int32_t capacity;
} lt_custom_registry;

/* Adds or replaces `name`. False when out of memory. */
bool lt_custom_registry_add(lt_custom_registry *r, const lt_allocator *heap, const char *name,
                            const lt_custom_op *op);
/* NULL when `name` is not registered. */
const lt_custom_op *lt_custom_registry_find(const lt_custom_registry *r, const char *name);
void lt_custom_registry_free(lt_custom_registry *r, const lt_allocator *heap);

/* The registered implementation of custom op `name` for the interpreter owning ctx (or the
 * interpreters above it, for subgraphs); NULL when none. Defined in interpreter.c. */
const lt_custom_op *lt_ctx_find_custom_op(const lt_context *ctx, const char *name);

/* Runs a registered custom op: prepare looks it up by the node's name, invoke and release
 * call its callbacks. */
extern const lt_op lt_op_registered_custom;

#endif
