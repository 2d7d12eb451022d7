/* The interpreter: tensors and nodes of one subgraph (the main one, 0, for the public API),
 * allocate (prepare every op, plan the arena) and invoke (run every op in order). Control-flow
 * ops (WHILE, IF) run other subgraphs through interpreters of their own, created at prepare
 * by lt_ctx_open_subgraph: they share the parent's threads, kernel level, allocator and
 * memory cap, and are freed with the parent's plan. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena_planner.h"
#include "cpu_isa.h"
#include "context.h"
#include "custom_ops.h"
#include "kernel_api.h"
#include "model.h"
#include "op_registry.h"
#include "profiler.h"

struct lt_interpreter {
    lt_context ctx;
    const lt_model *model;
    const lt_subgraph *graph;
    int32_t n_tensors;
    lt_tensor *tensors;
    int32_t n_nodes;
    lt_node *nodes;
    lt_tensor **node_io;      /* backing store of every node's inputs/outputs arrays */
    int32_t *producer;        /* node writing each tensor, -1 if none */
    int32_t *last_use;        /* last node reading each tensor, -1 if none */
    bool *is_graph_input;
    bool *is_graph_output;
    void **variable_data;     /* persistent storage of variable tensors */
    lt_arena_request *requests;
    int32_t *request_owner;   /* tensor index, or -(node index + 1) for scratch */
    uint8_t *arena;
    size_t arena_bytes;
    bool allocated;
    lt_profiler prof;         /* per-node timing; tables exist only while enabled */
    lt_allocator heap;        /* options.allocator: this interpreter's heap */
    void *own_block;          /* heap block holding this struct, its tables and variables;
                               * NULL when the caller's memory does (lt_interpreter_create_in) */
    uint8_t *rest;            /* create_in: the caller's memory after the tables, for plans */
    size_t rest_bytes;
    size_t table_bytes;       /* bytes of the struct + tables + variables (lay_out) */
    size_t max_memory;        /* options.max_memory_bytes (0: the default): cap on the plan */
    int32_t depth;            /* 0 for the main subgraph; parent's depth + 1 for a child */
    int32_t subgraph;         /* index of the subgraph this interpreter runs */
    const lt_interpreter *parent; /* the interpreter whose control-flow op runs this one */
    lt_custom_registry customs;   /* lt_interpreter_add_custom_op (children ask the parent) */
    bool owns_pool;           /* false in a child: the pool is the parent's */
    void *plan_scratch;       /* the arena planner's working memory, reserved at create */
};

static void drop_plan(lt_interpreter *it);

/* How to raise the cap, appended to every over-the-cap message. */
#define LT_CAP_HINT "raise lt_options.max_memory_bytes (Python: Interpreter(..., " \
                    "max_memory_bytes=...)) if the model really needs it"

/* Data pointer of constants with no elements: never read, but kernels may expect non-NULL. */
static const uint64_t k_empty_constant = 0;

static void set_create_error(char *err, size_t err_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void set_create_error(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

lt_options lt_options_default(void) {
    lt_options o;
    memset(&o, 0, sizeof o); /* every field added later (the allocator: C library) is zero */
    o.num_threads = 1;
    o.isa = LT_ISA_BEST;
    return o;
}

const char *lt_version(void) { return "0.1.0"; }

/* A sparse tensor's data holds only its stored values, so an op that reads its input as a
 * dense array must never see one: only these inputs are declared to understand sparsity. */
static bool sparse_input_allowed(int32_t builtin_code, int32_t input) {
    return (builtin_code == LT_OP_DENSIFY && input == 0) ||
           (builtin_code == LT_OP_FULLY_CONNECTED && input == 1) ||
           (builtin_code == LT_OP_CONV_2D && input == 1); /* 1x1 only: conv.c checks */
}

/* A tensor with no elements that nothing writes is an empty constant: its empty buffer is
 * otherwise how the format marks non-constant tensors. */
static void mark_if_empty_constant(const lt_interpreter *it, lt_tensor *t) {
    if (t->is_constant || t->is_variable || it->is_graph_input[t->index] ||
        it->producer[t->index] >= 0 || lt_shape_elements(&t->shape) != 0)
        return;
    t->is_constant = true;
    t->data = (void *)(uintptr_t)&k_empty_constant;
    t->bytes = 0;
}

/* Checks the dataflow of the subgraph: every input of a node is a constant, a variable, a
 * graph input or the output of an earlier node; no node writes a constant, a graph input or a
 * tensor another node already wrote. Fills producer/last_use. */
static bool check_dataflow(lt_interpreter *it) {
    const lt_subgraph *g = it->graph;
    for (int32_t t = 0; t < it->n_tensors; t++) {
        it->producer[t] = -1;
        it->last_use[t] = -1;
    }
    for (int32_t i = 0; i < g->n_inputs; i++) {
        int32_t t = g->inputs[i];
        if (it->tensors[t].is_constant)
            return lt_ctx_errorf(&it->ctx, "graph input %d (tensor %d '%s') is a constant",
                                 (int)i, (int)t, it->tensors[t].name) == LT_OK;
        it->is_graph_input[t] = true;
    }
    for (int32_t i = 0; i < g->n_outputs; i++) it->is_graph_output[g->outputs[i]] = true;
    for (int32_t n = 0; n < g->n_ops; n++) {
        const lt_model_op *op = &g->ops[n];
        for (int32_t k = 0; k < op->n_inputs; k++) {
            int32_t t = op->inputs[k];
            if (t < 0) continue;
            lt_tensor *ten = &it->tensors[t];
            mark_if_empty_constant(it, ten); /* e.g. an empty RESHAPE shape */
            if (!ten->is_constant && !ten->is_variable && !it->is_graph_input[t] &&
                it->producer[t] < 0)
                return lt_ctx_errorf(&it->ctx,
                                     "node %d (%s) reads tensor %d '%s' before any node writes it",
                                     (int)n, lt_builtin_op_name(op->builtin_code), (int)t,
                                     ten->name) == LT_OK;
            if (ten->sparsity != NULL && !sparse_input_allowed(op->builtin_code, k))
                return lt_ctx_errorf(&it->ctx,
                                     "node %d (%s) input %d reads sparse tensor %d '%s'; only "
                                     "DENSIFY (input 0), FULLY_CONNECTED (weights) and "
                                     "CONV_2D (filter) read sparse tensors", (int)n,
                                     lt_builtin_op_name(op->builtin_code), (int)k, (int)t,
                                     ten->name) == LT_OK;
            it->last_use[t] = n;
        }
        for (int32_t k = 0; k < op->n_outputs; k++) {
            int32_t t = op->outputs[k];
            const lt_tensor *ten = &it->tensors[t];
            if (ten->is_constant || ten->is_variable || it->is_graph_input[t] ||
                it->producer[t] >= 0)
                return lt_ctx_errorf(&it->ctx,
                                     "node %d (%s) writes tensor %d '%s', which is a constant, "
                                     "a variable, a graph input or another node's output",
                                     (int)n, lt_builtin_op_name(op->builtin_code), (int)t,
                                     ten->name) == LT_OK;
            it->producer[t] = n;
        }
    }
    for (int32_t i = 0; i < g->n_outputs; i++) {
        int32_t t = g->outputs[i];
        lt_tensor *ten = &it->tensors[t];
        mark_if_empty_constant(it, ten); /* TensorFlow folds e.g. a zero-size TILE into one */
        if (!ten->is_constant && !ten->is_variable && !it->is_graph_input[t] && it->producer[t] < 0)
            return lt_ctx_errorf(&it->ctx, "graph output %d (tensor %d '%s') is never written",
                                 (int)i, (int)t, ten->name) == LT_OK;
    }
    return true;
}

/* A variable tensor's starting value, as TensorFlow Lite sets it: the file's buffer when it
 * has one, else zero, which for a quantized int8 tensor (an integer LSTM's state) is its zero
 * point. */
static void reset_variable(lt_tensor *t, const lt_model_tensor *mt) {
    if (t->bytes == 0) return;
    if (mt->data != NULL) {
        memcpy(t->data, mt->data, t->bytes); /* sizes checked at load */
        return;
    }
    const int fill = t->type == LT_INT8 && t->quant.count >= 1
                         ? (int)(int8_t)t->quant.zero_point[0]
                         : 0;
    memset(t->data, fill, t->bytes);
}

static bool setup_tensors(lt_interpreter *it) {
    const lt_subgraph *g = it->graph;
    for (int32_t i = 0; i < it->n_tensors; i++) {
        const lt_model_tensor *mt = &g->tensors[i];
        lt_tensor *t = &it->tensors[i];
        t->name = mt->name;
        t->type = mt->type;
        t->shape = mt->shape;
        t->file_shape = mt->shape;
        t->signature = mt->signature;
        t->has_signature = mt->has_signature;
        t->quant = mt->quant;
        t->index = i;
        t->is_variable = mt->is_variable;
        t->sparsity = mt->sparsity;
        /* Sizes from the file's shapes, so that tensor_info reports them before allocate
         * (as TensorFlow Lite does); allocate recomputes them. Types without a fixed
         * element size keep 0. */
        if (!lt_shape_bytes(&t->shape, t->type, &t->bytes)) t->bytes = 0;
        if (mt->data != NULL && !mt->is_variable) {
            t->data = (void *)(uintptr_t)mt->data; /* read-only: no node may write it */
            t->bytes = mt->data_bytes;
            t->is_constant = true;
        } else if (mt->is_variable) {
            size_t bytes; /* its zeroed memory was reserved by lay_out */
            if (!lt_shape_bytes(&mt->shape, mt->type, &bytes))
                return lt_ctx_errorf(&it->ctx, "variable tensor %d '%s' has an invalid size",
                                     (int)i, mt->name) == LT_OK;
            t->data = it->variable_data[i];
            t->bytes = bytes;
            reset_variable(t, mt);
        }
    }
    return true;
}

static bool setup_nodes(lt_interpreter *it) {
    const lt_subgraph *g = it->graph;
    lt_tensor **io = it->node_io; /* sized by lay_out for every node's inputs and outputs */
    for (int32_t n = 0; n < g->n_ops; n++) {
        const lt_model_op *op = &g->ops[n];
        lt_node *node = &it->nodes[n];
        node->index = n;
        node->builtin_code = op->builtin_code;
        node->op = op->custom_code == NULL ? lt_find_builtin_op(op->builtin_code)
                                           : lt_find_default_custom_op(op->custom_code);
        node->custom_name = op->custom_code;
        node->custom_options = op->custom_options;
        node->custom_options_bytes = op->custom_options_bytes;
        node->n_inputs = op->n_inputs;
        node->n_outputs = op->n_outputs;
        node->inputs = io;
        for (int32_t k = 0; k < op->n_inputs; k++)
            *io++ = op->inputs[k] < 0 ? NULL : &it->tensors[op->inputs[k]];
        node->outputs = io;
        for (int32_t k = 0; k < op->n_outputs; k++) *io++ = &it->tensors[op->outputs[k]];
        node->options_type = op->options_type;
        node->options = op->options;
    }
    return true;
}

/* The kernels' level: the CPU's best, capped by the options and then by LITERT_ISA. */
static bool choose_isa(const lt_options *opts, int *isa, char *err, size_t err_len) {
    int level = lt_cpu_best_isa();
    if (opts->isa < LT_ISA_BEST || opts->isa > LT_ISA_NEON_DOTPROD) {
        set_create_error(err, err_len, "options.isa is %d; expected LT_ISA_BEST (0) or a level "
                         "from LT_ISA_PORTABLE (1) to LT_ISA_NEON_DOTPROD (6)", opts->isa);
        return false;
    }
    if (opts->isa != LT_ISA_BEST) level = lt_isa_cap(level, opts->isa);
    const char *env = getenv("LITERT_ISA");
    if (env != NULL && env[0] != '\0') {
        int cap;
        if (!lt_isa_parse(env, &cap)) {
            set_create_error(err, err_len, "environment variable LITERT_ISA is '%.40s'; expected "
                             "portable, avx2, avx512, avx512vnni, neon or neondot (or unset "
                             "it)", env);
            return false;
        }
        level = lt_isa_cap(level, cap);
    }
    *isa = level;
    return true;
}

/* The interpreter's own memory is one block: the struct, its tables, the arena planner's
 * working memory and the variable tensors, each LT_ALIGN-aligned. Its size depends on the
 * model only, so it is reserved once at create (from the heap, or the caller's memory) and
 * allocate never needs more for it. */
typedef struct layout {
    uint8_t *base; /* NULL: only measure */
    size_t used;
    bool ok;
} layout;

static void *take(layout *L, size_t count, size_t elem) {
    size_t bytes, start, end;
    if (!L->ok || !lt_mul_size(count, elem, &bytes) || !lt_align_size(L->used, &start) ||
        !lt_add_size(start, bytes, &end)) {
        L->ok = false;
        return NULL;
    }
    L->used = end;
    return L->base != NULL ? L->base + start : NULL;
}

/* Measures the block for subgraph g into *total (a multiple of LT_ALIGN) and, unless base is
 * NULL, lays it out in the zeroed memory at base, with the interpreter at its start (*out).
 * False when the sizes overflow. */
static bool lay_out(const lt_subgraph *g, uint8_t *base, size_t *total, lt_interpreter **out) {
    layout L = {base, 0, true};
    size_t nt = (size_t)g->n_tensors, nn = (size_t)g->n_ops, n_io = 0, scratch = 0;
    for (int32_t n = 0; n < g->n_ops; n++)
        n_io += (size_t)g->ops[n].n_inputs + (size_t)g->ops[n].n_outputs;
    /* Counts come from a verified model (each below 2^24), so these sums cannot overflow. */
    if (!lt_plan_arena_scratch_bytes((int32_t)(nt + nn), &scratch)) L.ok = false;
    lt_interpreter *it = take(&L, 1, sizeof *it);
    lt_tensor *tensors = take(&L, nt, sizeof *tensors);
    lt_node *nodes = take(&L, nn, sizeof *nodes);
    lt_tensor **node_io = take(&L, n_io, sizeof *node_io);
    int32_t *producer = take(&L, nt, sizeof *producer);
    int32_t *last_use = take(&L, nt, sizeof *last_use);
    bool *is_graph_input = take(&L, nt, sizeof *is_graph_input);
    bool *is_graph_output = take(&L, nt, sizeof *is_graph_output);
    void **variable_data = take(&L, nt, sizeof *variable_data);
    lt_arena_request *requests = take(&L, nt + nn, sizeof *requests);
    int32_t *request_owner = take(&L, nt + nn, sizeof *request_owner);
    void *plan_scratch = take(&L, scratch, 1);
    for (int32_t i = 0; i < g->n_tensors; i++) {
        const lt_model_tensor *mt = &g->tensors[i];
        size_t bytes = 0;
        if (!mt->is_variable) continue;
        if (!lt_shape_bytes(&mt->shape, mt->type, &bytes)) bytes = 0; /* setup_tensors says so */
        void *p = take(&L, bytes, 1);
        if (base != NULL && L.ok) variable_data[i] = p;
    }
    if (!L.ok || !lt_align_size(L.used, total)) return false;
    if (base == NULL) return true;
    it->tensors = tensors;
    it->nodes = nodes;
    it->node_io = node_io;
    it->producer = producer;
    it->last_use = last_use;
    it->is_graph_input = is_graph_input;
    it->is_graph_output = is_graph_output;
    it->variable_data = variable_data;
    it->requests = requests;
    it->request_owner = request_owner;
    it->plan_scratch = plan_scratch;
    it->table_bytes = *total;
    *out = it;
    return true;
}

/* Bytes of the interpreter's block for this model; false (with a message) when too large. */
static bool interpreter_bytes(const lt_model *model, int32_t subgraph, size_t *bytes, char *err,
                              size_t err_len) {
    if (!lay_out(&model->subgraphs[subgraph], NULL, bytes, NULL)) {
        set_create_error(err, err_len, "the model's tensor tables are too large for this "
                         "machine's address space");
        return false;
    }
    return true;
}

/* lt_interpreter_create (memory NULL: the tables on the heap), lt_interpreter_create_in, and
 * (parent non-NULL) the interpreter of another subgraph for a control-flow op. */
static lt_interpreter *create_interpreter(const lt_model *model, const lt_options *options,
                                          void *memory, size_t memory_bytes, int32_t subgraph,
                                          const lt_interpreter *parent, char *err,
                                          size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (model == NULL) {
        set_create_error(err, err_len, "model is NULL");
        return NULL;
    }
    lt_options opts = options ? *options : lt_options_default();
    if (opts.num_threads > LT_MAX_THREADS) {
        /* Refused before anything is allocated: a pool of INT_MAX workers would reserve
         * gigabytes for thread handles and start threads until the system refuses. */
        set_create_error(err, err_len, "options.num_threads is %d; at most %d "
                         "(LT_MAX_THREADS) are supported", opts.num_threads, LT_MAX_THREADS);
        return NULL;
    }
    int isa = parent != NULL ? parent->ctx.isa : LT_ISA_PORTABLE;
    size_t total;
    if ((parent == NULL && !choose_isa(&opts, &isa, err, err_len)) ||
        !interpreter_bytes(model, subgraph, &total, err, err_len))
        return NULL;
    uint8_t *base;
    void *own_block = NULL;
    size_t gap = 0;
    if (memory == NULL) {
        own_block = lt_aligned_calloc(&opts.allocator, total);
        if (own_block == NULL) {
            set_create_error(err, err_len, "out of memory (%zu bytes for the interpreter's "
                             "tables)", total);
            return NULL;
        }
        base = own_block;
    } else {
        gap = lt_align_gap(memory);
        if (memory_bytes < gap || memory_bytes - gap < total) {
            set_create_error(err, err_len, "memory of %zu bytes is too small for the "
                             "interpreter: its tables need %zu bytes of %d-byte aligned memory "
                             "(this memory loses %zu to alignment), and allocate then needs "
                             "the plan's bytes (lt_interpreter_plan) after them", memory_bytes,
                             total, LT_ALIGN, gap);
            return NULL;
        }
        base = (uint8_t *)memory + gap;
        memset(base, 0, total);
    }
    lt_interpreter *it = NULL;
    lay_out(&model->subgraphs[subgraph], base, &total, &it); /* cannot fail: measured above */
    it->own_block = own_block;
    it->heap = opts.allocator;
    it->ctx.plan.heap = opts.allocator;
    if (memory != NULL) {
        it->rest = base + total;
        it->rest_bytes = memory_bytes - gap - total;
    }
    it->max_memory = opts.max_memory_bytes != 0 ? opts.max_memory_bytes
                                                : LT_DEFAULT_MAX_MEMORY_BYTES;
    it->ctx.max_memory = it->max_memory; /* op state is checked as it is requested */
    it->ctx.isa = isa;
    it->ctx.num_threads = opts.num_threads <= 0 ? 1 : opts.num_threads;
#if defined(LITERT_NO_THREADS)
    it->ctx.num_threads = 1; /* a build without threads (bare metal): num_threads is a hint */
#endif
    it->ctx.owner = it;
    it->subgraph = subgraph;
    if (parent != NULL) {
        it->parent = parent;
        it->depth = parent->depth + 1;
        it->ctx.num_threads = parent->ctx.num_threads;
        it->ctx.pool = parent->ctx.pool; /* children run inside the parent's invoke */
    } else if (it->ctx.num_threads > 1) {
        it->owns_pool = true;
        it->ctx.pool = lt_thread_pool_create(it->ctx.num_threads);
        if (it->ctx.pool == NULL) {
            set_create_error(err, err_len, "could not start the worker threads for num_threads "
                             "> 1 (out of memory or thread limit); expected num_threads = 1 to "
                             "run without workers");
            lt_interpreter_free(it);
            return NULL;
        }
    }
    it->model = model;
    it->graph = &model->subgraphs[subgraph];
    it->n_tensors = it->graph->n_tensors;
    it->n_nodes = it->graph->n_ops;
    bool ok = setup_tensors(it) && setup_nodes(it) && check_dataflow(it);
    if (!ok) {
        set_create_error(err, err_len, "%s", it->ctx.error);
        lt_interpreter_free(it);
        return NULL;
    }
    return it;
}

const lt_custom_op *lt_ctx_find_custom_op(const lt_context *ctx, const char *name) {
    if (name == NULL) return NULL;
    for (const lt_interpreter *it = ctx->owner; it != NULL; it = it->parent) {
        const lt_custom_op *op = lt_custom_registry_find(&it->customs, name);
        if (op != NULL) return op;
    }
    return NULL;
}

lt_status lt_interpreter_add_custom_op(lt_interpreter *it, const char *name,
                                       const lt_custom_op *op) {
    if (it == NULL) return LT_ERROR;
    if (name == NULL || name[0] == '\0' || op == NULL)
        return lt_ctx_errorf(&it->ctx, "add_custom_op: %s", op == NULL ? "op is NULL"
                                                                        : "name is NULL or empty");
    if (op->prepare == NULL || op->invoke == NULL)
        return lt_ctx_errorf(&it->ctx, "add_custom_op '%s': prepare and invoke are required",
                             name);
    drop_plan(it); /* nodes of that name resolve anew at the next allocate */
    if (!lt_custom_registry_add(&it->customs, &it->heap, name, op))
        return lt_ctx_errorf(&it->ctx, "add_custom_op '%s': out of memory", name);
    return LT_OK;
}

lt_interpreter *lt_ctx_open_subgraph(lt_context *ctx, const lt_node *node, int32_t index,
                                     const char *role) {
    const lt_interpreter *parent = ctx->owner;
    if (parent == NULL || index < 0 || index >= parent->model->n_subgraphs) {
        lt_ctx_error(ctx, node, "%s subgraph index %d out of range (the model has %d "
                     "subgraphs)", role, (int)index,
                     parent != NULL ? (int)parent->model->n_subgraphs : 0);
        return NULL;
    }
    if (index == 0) { /* the main subgraph calling itself can only be a cycle */
        lt_ctx_error(ctx, node, "%s subgraph is subgraph 0, the main graph", role);
        return NULL;
    }
    for (const lt_interpreter *up = parent; up != NULL; up = up->parent)
        if (up->subgraph == index) {
            lt_ctx_error(ctx, node, "%s subgraph %d is already running further up (subgraph %d "
                         "calls it again): recursive control flow is not supported", role,
                         (int)index, (int)parent->subgraph);
            return NULL;
        }
    if (parent->depth + 1 > LT_MAX_SUBGRAPH_DEPTH) {
        lt_ctx_error(ctx, node, "%s subgraph %d: control flow nests more than %d levels deep "
                     "(do the subgraphs call each other in a cycle?)", role, (int)index,
                     LT_MAX_SUBGRAPH_DEPTH);
        return NULL;
    }
    /* The child gets what is left of the cap; lt_ctx_charge_subgraph then counts what it took. */
    size_t used;
    if (!lt_add_size(parent->ctx.plan.used, parent->ctx.children_bytes, &used) ||
        used >= parent->max_memory) {
        lt_ctx_error(ctx, node, "%s subgraph %d: nothing is left of the memory cap of %zu bytes "
                     "for its interpreter; %s", role, (int)index, parent->max_memory,
                     LT_CAP_HINT);
        return NULL;
    }
    lt_options opts = lt_options_default();
    opts.num_threads = parent->ctx.num_threads;
    opts.allocator = parent->heap;
    opts.max_memory_bytes = parent->max_memory - used;
    char err[LT_ERROR_LEN];
    lt_interpreter *child = create_interpreter(parent->model, &opts, NULL, 0, index, parent, err,
                                               sizeof err);
    if (child == NULL) lt_ctx_error(ctx, node, "%s subgraph %d: %s", role, (int)index, err);
    return child;
}

lt_status lt_ctx_charge_subgraph(lt_context *ctx, const lt_node *node, const lt_interpreter *child) {
    lt_interpreter *it = ctx->owner;
    size_t bytes, used;
    if (!lt_add_size(child->table_bytes, child->ctx.plan.used, &bytes) ||
        !lt_add_size(bytes, child->ctx.children_bytes, &bytes) ||
        !lt_add_size(ctx->children_bytes, bytes, &ctx->children_bytes) ||
        !lt_add_size(ctx->plan.used, ctx->children_bytes, &used) || used > it->max_memory)
        return lt_ctx_error(ctx, node, "subgraph %d takes %zu bytes, which with what the plan "
                            "already holds passes the memory cap of %zu bytes; %s",
                            (int)child->subgraph, child->table_bytes + child->ctx.plan.used,
                            it->max_memory, LT_CAP_HINT);
    return LT_OK;
}

lt_interpreter *lt_interpreter_create(const lt_model *model, const lt_options *options,
                                      char *err, size_t err_len) {
    return create_interpreter(model, options, NULL, 0, 0, NULL, err, err_len);
}

lt_interpreter *lt_interpreter_create_in(const lt_model *model, const lt_options *options,
                                         void *memory, size_t bytes, char *err,
                                         size_t err_len) {
    if (memory == NULL) {
        set_create_error(err, err_len, "memory is NULL; use lt_interpreter_create for an "
                         "interpreter on the heap");
        return NULL;
    }
    return create_interpreter(model, options, memory, bytes, 0, NULL, err, err_len);
}

lt_status lt_interpreter_create_bytes(const lt_model *model, size_t *bytes, char *err,
                                      size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (model == NULL || bytes == NULL) {
        set_create_error(err, err_len, "%s is NULL", model == NULL ? "model" : "bytes");
        return LT_ERROR;
    }
    return interpreter_bytes(model, 0, bytes, err, err_len) ? LT_OK : LT_ERROR;
}

void lt_interpreter_free(lt_interpreter *it) {
    if (it == NULL) return;
    lt_profiler_disable(&it->prof, &it->heap);
    drop_plan(it); /* releases what ops hold (other subgraphs' interpreters) first */
    lt_custom_registry_free(&it->customs, &it->heap);
    if (it->owns_pool) lt_thread_pool_free(it->ctx.pool);
    /* Tables and variables live in the interpreter's own block, which holds `it` itself. */
    const lt_allocator heap = it->heap;
    lt_aligned_free(&heap, it->own_block);
}

const char *lt_interpreter_error(const lt_interpreter *it) { return it ? it->ctx.error : ""; }
int lt_interpreter_isa(const lt_interpreter *it) { return it ? it->ctx.isa : LT_ISA_PORTABLE; }

int lt_interpreter_tensor_count(const lt_interpreter *it) { return it ? it->n_tensors : 0; }
int lt_interpreter_input_count(const lt_interpreter *it) { return it ? it->graph->n_inputs : 0; }
int lt_interpreter_output_count(const lt_interpreter *it) { return it ? it->graph->n_outputs : 0; }
int lt_interpreter_node_count(const lt_interpreter *it) { return it ? it->n_nodes : 0; }

int lt_interpreter_input_tensor(const lt_interpreter *it, int i) {
    if (it == NULL || i < 0 || i >= it->graph->n_inputs) return -1;
    return it->graph->inputs[i];
}

int lt_interpreter_output_tensor(const lt_interpreter *it, int i) {
    if (it == NULL || i < 0 || i >= it->graph->n_outputs) return -1;
    return it->graph->outputs[i];
}

int lt_interpreter_find_tensor(const lt_interpreter *it, const char *name) {
    if (it == NULL || name == NULL) return -1;
    for (int32_t i = 0; i < it->n_tensors; i++)
        if (strcmp(it->tensors[i].name, name) == 0) return i;
    return -1;
}

int lt_interpreter_node_op(const lt_interpreter *it, int node) {
    if (it == NULL || node < 0 || node >= it->n_nodes) return -1;
    return it->nodes[node].builtin_code;
}

const char *lt_interpreter_node_op_name(const lt_interpreter *it, int node) {
    if (it == NULL || node < 0 || node >= it->n_nodes) return NULL;
    const lt_model_op *op = &it->graph->ops[node];
    return op->custom_code != NULL ? op->custom_code : lt_builtin_op_name(op->builtin_code);
}

/* Invalidates the plan: data pointers of arena tensors become NULL until the next allocate. */
static void drop_plan(lt_interpreter *it) {
    for (int32_t n = 0; n < it->n_nodes; n++) { /* before the memory their state lives in */
        lt_node *node = &it->nodes[n];
        if (node->release != NULL) node->release(&it->ctx, node);
        node->release = NULL;
    }
    lt_ctx_free_plan(&it->ctx); /* the activation arena is part of the plan's memory */
    it->ctx.children_bytes = 0; /* the subgraphs' interpreters were freed by their release */
    it->arena = NULL;
    it->arena_bytes = 0;
    it->allocated = false;
    for (int32_t i = 0; i < it->n_tensors; i++) {
        lt_tensor *t = &it->tensors[i];
        if (t->is_folded) {
            t->is_folded = false;
            t->is_constant = false;
        }
        if (!t->is_constant && !t->is_variable) t->data = NULL;
    }
    for (int32_t n = 0; n < it->n_nodes; n++) {
        it->nodes[n].state = NULL;
        it->nodes[n].scratch = NULL;
        it->nodes[n].scratch_bytes = 0;
        it->nodes[n].folded = false;
    }
}

lt_status lt_interpreter_resize_input(lt_interpreter *it, int i, const int32_t *dims, int rank) {
    if (it == NULL) return LT_ERROR;
    if (i < 0 || i >= it->graph->n_inputs)
        return lt_ctx_errorf(&it->ctx, "input %d out of range (model has %d inputs)", i,
                             (int)it->graph->n_inputs);
    if (rank < 0 || rank > LT_MAX_RANK || (rank > 0 && dims == NULL))
        return lt_ctx_errorf(&it->ctx, "rank %d out of range (0 to %d)", rank, LT_MAX_RANK);
    lt_shape s;
    s.rank = rank;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0)
            return lt_ctx_errorf(&it->ctx, "dimension %d of the new shape is negative (%d)", d,
                                 (int)dims[d]);
        s.dims[d] = dims[d];
    }
    lt_tensor *t = &it->tensors[it->graph->inputs[i]];
    size_t bytes;
    if (!lt_shape_bytes(&s, t->type, &bytes))
        return lt_ctx_errorf(&it->ctx, "new shape of input '%s' has an invalid size", t->name);
    if (lt_shape_equal(&s, &t->shape)) return LT_OK;
    drop_plan(it);
    t->shape = s;
    t->bytes = bytes;
    return LT_OK;
}

/* A node whose inputs are all known before invoke (constants, or outputs of folded nodes)
 * computes the same value on every run: run it once at prepare instead. SHAPE needs only its
 * input's shape. This is what turns the SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chains that
 * TensorFlow emits for dynamic batch sizes into constant shapes that RESHAPE can use. */
static bool can_fold(const lt_node *node) {
    if (node->builtin_code == LT_OP_SHAPE) return true;
    for (int32_t k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] != NULL && !node->inputs[k]->is_constant) return false;
    return node->n_inputs > 0;
}

static lt_status fold_node(lt_interpreter *it, lt_node *node) {
    for (int32_t k = 0; k < node->n_outputs; k++) {
        lt_tensor *t = node->outputs[k];
        t->data = lt_ctx_alloc(&it->ctx, node, t->bytes);
        if (t->data == NULL) return LT_ERROR;
    }
    if (node->scratch_bytes > 0) {
        node->scratch = lt_ctx_alloc(&it->ctx, node, node->scratch_bytes);
        if (node->scratch == NULL) return LT_ERROR;
    }
    if (node->op->invoke(&it->ctx, node) != LT_OK) return LT_ERROR;
    node->scratch_bytes = 0; /* the folded node never runs again: it needs no arena scratch */
    node->folded = true;
    for (int32_t k = 0; k < node->n_outputs; k++) {
        node->outputs[k]->is_constant = true;
        node->outputs[k]->is_folded = true;
    }
    return LT_OK;
}


/* Fails when one tensor alone needs more than the cap: checked as soon as its size is known,
 * before anything is allocated for it (a folded output, the arena). */
static lt_status check_tensor_cap(lt_interpreter *it, const lt_tensor *t) {
    if (t->bytes <= it->max_memory) return LT_OK;
    char buf[96];
    return lt_ctx_errorf(&it->ctx, "tensor %d '%s' of shape %s and type %s needs %zu bytes, more "
                         "than the memory cap of %zu bytes; %s", (int)t->index, t->name,
                         lt_shape_str(&t->shape, buf, sizeof buf), lt_type_name(t->type),
                         t->bytes, it->max_memory, LT_CAP_HINT);
}

/* Ops that accept inputs whose shape is known only at run time (lt_tensor.is_dynamic). */
static bool reads_dynamic_shapes(int32_t builtin_code) {
    return builtin_code == LT_OP_CONCATENATION;
}

static lt_status prepare_nodes(lt_interpreter *it) {
    char buf[96];
    for (int32_t i = 0; i < it->n_tensors; i++) {
        lt_tensor *t = &it->tensors[i];
        if (it->is_graph_input[i] && !lt_shape_bytes(&t->shape, t->type, &t->bytes))
            return lt_ctx_errorf(&it->ctx, "input tensor %d '%s' of shape %s and type %s has no "
                                 "valid size", (int)i, t->name,
                                 lt_shape_str(&t->shape, buf, sizeof buf), lt_type_name(t->type));
        if (it->is_graph_input[i] && check_tensor_cap(it, t) != LT_OK) return LT_ERROR;
    }
    for (int32_t n = 0; n < it->n_nodes; n++) {
        lt_node *node = &it->nodes[n];
        const lt_model_op *op = &it->graph->ops[n];
        if (op->custom_code != NULL) /* registered implementations first, then our own */
            node->op = lt_ctx_find_custom_op(&it->ctx, op->custom_code) != NULL
                           ? &lt_op_registered_custom
                           : lt_find_default_custom_op(op->custom_code);
        if (node->op == NULL) {
            if (op->custom_code != NULL)
                return lt_ctx_errorf(&it->ctx, "node %d: custom op '%s' is not supported by this "
                                     "runtime", (int)n, op->custom_code);
            return lt_ctx_errorf(&it->ctx, "node %d: op %s (builtin code %d, version %d) is not "
                                 "supported by this runtime", (int)n,
                                 lt_builtin_op_name(op->builtin_code), (int)op->builtin_code,
                                 (int)it->model->opcodes[op->opcode_index].version);
        }
        for (int32_t k = 0; k < node->n_inputs; k++) {
            const lt_tensor *in = node->inputs[k];
            if (in != NULL && in->is_dynamic && !reads_dynamic_shapes(node->builtin_code))
                return lt_ctx_error(&it->ctx, node, "input %d '%s' has a shape known only at "
                                    "run time (node %d computes it), which this op does not "
                                    "support; only CONCATENATION reads such tensors", (int)k,
                                    in->name, (int)it->producer[in->index]);
        }
        /* rank -1 marks "not yet set", so an op that forgets an output is caught here. */
        for (int32_t k = 0; k < node->n_outputs; k++) {
            node->outputs[k]->shape.rank = -1;
            node->outputs[k]->is_dynamic = false;
        }
        if (node->op->prepare(&it->ctx, node) != LT_OK) return LT_ERROR;
        for (int32_t k = 0; k < node->n_outputs; k++) {
            const lt_tensor *t = node->outputs[k];
            if (t->shape.rank < 0)
                return lt_ctx_error(&it->ctx, node, "internal error: prepare left output %d "
                                    "without a shape", (int)k);
            if (check_tensor_cap(it, t) != LT_OK) return LT_ERROR;
        }
        if (node->scratch_bytes > it->max_memory)
            return lt_ctx_error(&it->ctx, node, "needs %zu bytes of scratch, more than the "
                                "memory cap of %zu bytes; %s", node->scratch_bytes,
                                it->max_memory, LT_CAP_HINT);
        if (can_fold(node) && fold_node(it, node) != LT_OK) return LT_ERROR;
    }
    for (int32_t i = 0; i < it->graph->n_outputs; i++) {
        const lt_tensor *t = &it->tensors[it->graph->outputs[i]];
        if (t->is_dynamic)
            return lt_ctx_errorf(&it->ctx, "graph output %d (tensor %d '%s') has a shape known "
                                 "only at run time, which is not supported", (int)i,
                                 (int)t->index, t->name);
    }
    return LT_OK;
}

/* Lifetime of a tensor in node steps: graph inputs live from step 0, graph outputs to the end. */
static void tensor_lifetime(const lt_interpreter *it, int32_t t, int32_t *first, int32_t *last) {
    *first = it->is_graph_input[t] ? 0 : it->producer[t];
    *last = it->last_use[t] > *first ? it->last_use[t] : *first;
    if (it->is_graph_output[t] || it->is_graph_input[t]) {
        /* Inputs stay readable and outputs stay valid after invoke returns. */
        *last = it->n_nodes;
    }
}

static lt_status plan_arena(lt_interpreter *it) {
    int32_t n = 0;
    for (int32_t t = 0; t < it->n_tensors; t++) {
        const lt_tensor *ten = &it->tensors[t];
        if (ten->is_constant || ten->is_variable) continue;
        if (!it->is_graph_input[t] && it->producer[t] < 0) continue; /* never used */
        it->requests[n].bytes = ten->bytes;
        tensor_lifetime(it, t, &it->requests[n].first, &it->requests[n].last);
        it->request_owner[n] = t;
        n++;
    }
    for (int32_t k = 0; k < it->n_nodes; k++) {
        if (it->nodes[k].scratch_bytes == 0) continue;
        it->requests[n].bytes = it->nodes[k].scratch_bytes;
        it->requests[n].first = k;
        it->requests[n].last = k;
        it->request_owner[n] = -(k + 1);
        n++;
    }
    size_t bytes;
    if (!lt_plan_arena_in(it->requests, n, it->plan_scratch, &bytes))
        return lt_ctx_errorf(&it->ctx, "arena planning failed: size overflow");
    size_t total, held;
    const bool wraps = !lt_add_size(it->ctx.plan.used, it->ctx.children_bytes, &held) ||
                       !lt_add_size(held, bytes, &total);
    if (wraps) total = SIZE_MAX;
    if (total > it->max_memory) {
        /* Name the largest request: the tensor (or scratch) to look at first. */
        int32_t big = 0;
        for (int32_t r = 1; r < n; r++)
            if (it->requests[r].bytes > it->requests[big].bytes) big = r;
        char who[160] = "nothing";
        if (n > 0 && it->request_owner[big] >= 0) {
            const lt_tensor *t = &it->tensors[it->request_owner[big]];
            snprintf(who, sizeof who, "tensor %d '%s' (%zu bytes)", (int)t->index, t->name,
                     t->bytes);
        } else if (n > 0) {
            snprintf(who, sizeof who, "the scratch of node %d (%zu bytes)",
                     (int)(-it->request_owner[big] - 1), it->requests[big].bytes);
        }
        return lt_ctx_errorf(&it->ctx, "the plan needs %s%zu bytes (a %zu-byte activation arena "
                             "+ %zu bytes of op state + %zu bytes of subgraph interpreters), "
                             "more than the memory cap of %zu bytes; the largest is %s; %s",
                             wraps ? "more than " : "", total, bytes, it->ctx.plan.used,
                             it->ctx.children_bytes, it->max_memory, who, LT_CAP_HINT);
    }
    it->arena = lt_plan_memory_alloc(&it->ctx.plan, bytes);
    if (it->arena == NULL)
        return lt_ctx_errorf(&it->ctx, "out of memory allocating a %zu-byte arena", bytes);
    it->arena_bytes = bytes;
    for (int32_t r = 0; r < n; r++) {
        void *p = it->arena + it->requests[r].offset;
        if (it->request_owner[r] >= 0) it->tensors[it->request_owner[r]].data = p;
        else it->nodes[-it->request_owner[r] - 1].scratch = p;
    }
    return LT_OK;
}

/* Records which nodes the new plan runs (all but the folded ones) and starts the counts from
 * zero: times measured under an earlier plan (other shapes, other kernels) would mislead. */
static void profile_new_plan(lt_interpreter *it) {
    if (!it->prof.enabled) return;
    lt_profiler_clear_order(&it->prof);
    lt_profiler_reset(&it->prof);
    for (int32_t n = 0; n < it->n_nodes; n++)
        if (!it->nodes[n].folded) lt_profiler_add_node(&it->prof, n);
}

/* Records why a plan did not fit the caller's memory: `given` bytes, of which the first
 * `gap` went to aligning its start. */
static void report_too_small(lt_interpreter *it, size_t given, size_t gap, bool finished) {
    char why[LT_ERROR_LEN]; /* the failure while measuring, if any: the message is rewritten */
    memcpy(why, it->ctx.error, sizeof why);
    why[sizeof why - 1] = '\0';
    const char *failed = finished ? "" : "; measuring it on the heap failed: ";
    if (finished) why[0] = '\0';
    size_t need = it->ctx.plan.used;
    const char *more = finished ? "" : "more than ";
    if (it->rest != NULL && it->ctx.plan.region == it->rest) {
        lt_ctx_errorf(&it->ctx, "the interpreter's memory is too small: %zu bytes are left "
                      "after its tables (%zu bytes) and the plan needs %s%zu, so "
                      "lt_interpreter_create_in needs %s%zu bytes of %d-byte aligned memory%s%s",
                      given, it->table_bytes, more, need, more, it->table_bytes + need,
                      LT_ALIGN, failed, why);
        return;
    }
    char aligned[96] = "";
    if (gap > 0)
        snprintf(aligned, sizeof aligned, " (%zu after aligning its start to %d)",
                 given > gap ? given - gap : 0, LT_ALIGN);
    lt_ctx_errorf(&it->ctx, "the arena of %zu bytes%s is too small: the plan needs %s%zu bytes "
                  "of %d-byte aligned memory (lt_interpreter_plan reports it)%s%s", given,
                  aligned, more, need, LT_ALIGN, failed, why);
}

/* Prepares every op and plans the arena, with the plan's memory taken from `region`
 * (LT_ALIGN-aligned, `bytes` long, the rest of the caller's `bytes + gap`) or, when region is
 * NULL, from the heap. */
static lt_status allocate_in(lt_interpreter *it, uint8_t *region, size_t bytes, size_t gap) {
    it->ctx.error[0] = '\0';
    drop_plan(it);
    lt_plan_memory_use_region(&it->ctx.plan, region, bytes);
    bool ok = prepare_nodes(it) == LT_OK && plan_arena(it) == LT_OK;
    if (lt_plan_memory_overflowed(&it->ctx.plan)) {
        report_too_small(it, bytes + gap, gap, ok);
        ok = false;
    }
    if (!ok) {
        drop_plan(it);
        return LT_ERROR;
    }
    it->allocated = true;
    profile_new_plan(it);
    return LT_OK;
}

lt_status lt_interpreter_allocate(lt_interpreter *it) {
    if (it == NULL) return LT_ERROR;
    return allocate_in(it, it->rest, it->rest_bytes, 0);
}

lt_status lt_interpreter_allocate_with_arena(lt_interpreter *it, void *memory, size_t bytes) {
    if (it == NULL) return LT_ERROR;
    if (memory == NULL) {
        drop_plan(it);
        return lt_ctx_errorf(&it->ctx, "arena memory is NULL; use lt_interpreter_allocate for "
                             "a plan on the heap");
    }
    size_t gap = lt_align_gap(memory);
    if (gap > bytes) gap = bytes;
    return allocate_in(it, (uint8_t *)memory + gap, bytes - gap, gap);
}

lt_status lt_interpreter_plan(lt_interpreter *it, size_t *bytes) {
    if (it == NULL) return LT_ERROR;
    if (bytes == NULL) return lt_ctx_errorf(&it->ctx, "plan: bytes is NULL");
    *bytes = 0;
    lt_status st = allocate_in(it, NULL, 0, 0);
    if (st == LT_OK) *bytes = it->ctx.plan.used;
    drop_plan(it);
    return st;
}

size_t lt_interpreter_plan_bytes(const lt_interpreter *it) {
    return it != NULL && it->allocated ? it->ctx.plan.used : 0;
}

/* The invoke loop with each node's kernel timed; kept apart so that the plain loop below
 * stays as it is when profiling is off. */
static lt_status invoke_profiled(lt_interpreter *it) {
    for (int32_t n = 0; n < it->n_nodes; n++) {
        lt_node *node = &it->nodes[n];
        if (node->folded) continue;
        uint64_t start = lt_profiler_now_ns();
        lt_status st = node->op->invoke(&it->ctx, node);
        lt_profiler_record(&it->prof, n, lt_profiler_now_ns() - start);
        if (st != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

lt_status lt_interpreter_invoke(lt_interpreter *it) {
    if (it == NULL) return LT_ERROR;
    if (!it->allocated)
        return lt_ctx_errorf(&it->ctx, "tensors are not allocated: call allocate (after any "
                             "resize) before invoke");
    if (it->prof.enabled) return invoke_profiled(it);
    for (int32_t n = 0; n < it->n_nodes; n++) {
        lt_node *node = &it->nodes[n];
        if (node->folded) continue;
        if (node->op->invoke(&it->ctx, node) != LT_OK) return LT_ERROR;
    }
    return LT_OK;
}

lt_status lt_interpreter_reset_variables(lt_interpreter *it) {
    if (it == NULL) return LT_ERROR;
    for (int32_t i = 0; i < it->n_tensors; i++) {
        if (it->tensors[i].is_variable) reset_variable(&it->tensors[i], &it->graph->tensors[i]);
    }
    return LT_OK;
}

size_t lt_interpreter_arena_bytes(const lt_interpreter *it) { return it ? it->arena_bytes : 0; }

static lt_tensor *tensor_at(const lt_interpreter *it, int tensor) {
    if (tensor < 0 || tensor >= it->n_tensors) {
        lt_ctx_errorf((lt_context *)&it->ctx, "tensor index %d out of range (0 to %d)", tensor,
                      (int)it->n_tensors - 1);
        return NULL;
    }
    return &it->tensors[tensor];
}

lt_status lt_interpreter_tensor_info(const lt_interpreter *it, int tensor, lt_tensor_info *info) {
    if (it == NULL || info == NULL) return LT_ERROR;
    const lt_tensor *t = tensor_at(it, tensor);
    if (t == NULL) return LT_ERROR;
    lt_tensor_fill_info(t, info);
    return LT_OK;
}

void *lt_interpreter_tensor_data(lt_interpreter *it, int tensor) {
    if (it == NULL) return NULL;
    lt_tensor *t = tensor_at(it, tensor);
    return t ? t->data : NULL;
}

/* Common checks of set/get: tensor exists, has memory, and the byte count matches. */
static lt_tensor *tensor_for_copy(lt_interpreter *it, int tensor, size_t bytes, const char *verb) {
    lt_tensor *t = tensor_at(it, tensor);
    if (t == NULL) return NULL;
    if (t->data == NULL) {
        lt_ctx_errorf(&it->ctx, "cannot %s tensor %d '%s': tensors are not allocated (call "
                      "allocate first)", verb, tensor, t->name);
        return NULL;
    }
    if (bytes != t->bytes) {
        lt_ctx_errorf(&it->ctx, "cannot %s tensor %d '%s': it holds %zu bytes, got %zu", verb,
                      tensor, t->name, t->bytes, bytes);
        return NULL;
    }
    return t;
}

lt_status lt_interpreter_set_tensor(lt_interpreter *it, int tensor, const void *data,
                                    size_t bytes) {
    if (it == NULL) return LT_ERROR;
    lt_tensor *t = tensor_for_copy(it, tensor, bytes, "set");
    if (t == NULL) return LT_ERROR;
    if (t->is_constant)
        return lt_ctx_errorf(&it->ctx, "tensor %d '%s' is a constant and cannot be set", tensor,
                             t->name);
    if (bytes > 0) {
        if (data == NULL) return lt_ctx_errorf(&it->ctx, "data is NULL");
        /* memmove: `data` may be (part of) this tensor's own memory, e.g. a pointer from
         * lt_interpreter_tensor_data or a binding's view of it, where memcpy is undefined. */
        memmove(t->data, data, bytes);
    }
    return LT_OK;
}

lt_status lt_interpreter_get_tensor(lt_interpreter *it, int tensor, void *data, size_t bytes) {
    if (it == NULL) return LT_ERROR;
    lt_tensor *t = tensor_for_copy(it, tensor, bytes, "read");
    if (t == NULL) return LT_ERROR;
    if (bytes > 0) {
        if (data == NULL) return lt_ctx_errorf(&it->ctx, "destination is NULL");
        memmove(data, t->data, bytes); /* as in set: the destination may overlap */
    }
    return LT_OK;
}

/* ---- Profiling ------------------------------------------------------------------------ */

lt_status lt_interpreter_set_profiling(lt_interpreter *it, int enabled) {
    if (it == NULL) return LT_ERROR;
    if (!enabled) {
        lt_profiler_disable(&it->prof, &it->heap);
        return LT_OK;
    }
    if (it->prof.enabled) return LT_OK;
    if (!lt_profiler_enable(&it->prof, it->n_nodes, &it->heap))
        return lt_ctx_errorf(&it->ctx, "out of memory for the profiling table of %d nodes",
                             (int)it->n_nodes);
    if (it->allocated) profile_new_plan(it);
    return LT_OK;
}

int lt_interpreter_profiling(const lt_interpreter *it) {
    return it != NULL && it->prof.enabled ? 1 : 0;
}

lt_status lt_interpreter_profile_reset(lt_interpreter *it) {
    if (it == NULL) return LT_ERROR;
    if (!it->prof.enabled)
        return lt_ctx_errorf(&it->ctx, "profiling is off: turn it on with "
                             "lt_interpreter_set_profiling(interp, 1) first");
    lt_profiler_reset(&it->prof);
    return LT_OK;
}

int lt_interpreter_profile_count(const lt_interpreter *it) {
    if (it == NULL || !it->prof.enabled || !it->allocated) return 0;
    return it->prof.n_order;
}

lt_status lt_interpreter_profile_entry(const lt_interpreter *it, int i, lt_profile_entry *entry) {
    if (it == NULL) return LT_ERROR;
    lt_context *ctx = (lt_context *)&it->ctx; /* the error message is the only thing written */
    if (entry == NULL) return lt_ctx_errorf(ctx, "profile entry: the destination is NULL");
    int count = lt_interpreter_profile_count(it);
    if (i < 0 || i >= count) {
        if (!it->prof.enabled)
            return lt_ctx_errorf(ctx, "profiling is off: turn it on with "
                                 "lt_interpreter_set_profiling(interp, 1) before invoke");
        return lt_ctx_errorf(ctx, "profile entry %d out of range (%d entries%s)", i, count,
                             it->allocated ? "" : ": call allocate first");
    }
    int32_t node = it->prof.order[i];
    entry->node = node;
    entry->op = lt_interpreter_node_op_name(it, node);
    entry->total_ns = it->prof.ns[node];
    entry->runs = it->prof.runs[node];
    return LT_OK;
}
