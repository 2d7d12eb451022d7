/* What an op implementation sees: its node, its tensors, its options, and a few services of
 * the interpreter (error messages, memory that lives as long as the current plan).
 *
 * Each op is a prepare/invoke pair (see lt_op). prepare runs at allocate time: it checks
 * input types and shapes, sets every output's shape (lt_node_set_output_shape), may ask for
 * per-node scratch memory and may keep precomputed state in node->state. invoke only computes:
 * it must not allocate or fail on anything prepare could have checked. */
#ifndef LITERT_KERNEL_API_H
#define LITERT_KERNEL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builtin_ops.h"
#include "flatbuf.h"
#include "tensor.h"

typedef struct lt_context lt_context;
typedef struct lt_node lt_node;

typedef struct lt_op {
    const char *name;
    lt_status (*prepare)(lt_context *ctx, lt_node *node);
    lt_status (*invoke)(lt_context *ctx, lt_node *node);
} lt_op;

struct lt_node {
    int32_t index;          /* position in execution order, for messages */
    int32_t builtin_code;   /* BuiltinOperator value */
    const lt_op *op;
    int32_t n_inputs;
    int32_t n_outputs;
    lt_tensor **inputs;     /* NULL entries for omitted optional inputs (index -1) */
    lt_tensor **outputs;
    uint8_t options_type;   /* BuiltinOptions union tag, 0 = none */
    fb_table options;       /* the options table (pos 0 when absent) */
    void *state;            /* set by prepare; memory from lt_ctx_alloc */
    size_t scratch_bytes;   /* requested by prepare; */
    void *scratch;          /* valid during invoke: scratch_bytes of arena memory, 64-aligned */
    bool folded;            /* all inputs constant: computed once at prepare, skipped by invoke */
    /* Set by prepare when node->state holds more than lt_ctx_alloc memory (interpreters of
     * other subgraphs, a custom op's own allocations): called once when the plan is dropped
     * (next allocate, resize, free), after which state is gone. */
    void (*release)(lt_context *ctx, lt_node *node);
    const char *custom_name;        /* custom ops: the name in the file; NULL for builtins */
    const uint8_t *custom_options;  /* custom ops: the operator's custom_options bytes (into
                                     * the model, unaligned), NULL when absent */
    size_t custom_options_bytes;
};

/* Records "node N (OP): <message>" as the interpreter's error and returns LT_ERROR. */
lt_status lt_ctx_error(lt_context *ctx, const lt_node *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Zeroed memory, 64-byte aligned, owned by the current plan: freed at the next allocate or
 * when the interpreter is freed. For use in prepare only. NULL (with an error recorded) on
 * failure. */
void *lt_ctx_alloc(lt_context *ctx, const lt_node *node, size_t bytes);

/* Number of threads the op may use (>= 1). */
int lt_ctx_num_threads(const lt_context *ctx);
/* Highest LT_ISA_* level (litert.h) the op's kernels may use: checked against the CPU, so an
 * op may run any kernel of this level or below. Picked once in prepare. */
int lt_ctx_isa(const lt_context *ctx);

/* Runs fn over [0, n) on the interpreter's threads and returns when it is done: [0, n) is cut
 * into min(n, threads) contiguous chunks of sizes differing by at most one, chunk i before
 * chunk i + 1, each run by one thread (the caller included). With one thread it calls
 * fn(arg, 0, n) directly; n <= 0 calls nothing. fn must write disjoint memory per chunk and
 * not depend on how [0, n) is cut if results are to be the same for any thread count.
 * For invoke; a call from inside fn runs inline. */
void lt_ctx_parallel_for(lt_context *ctx, int64_t n,
                         void (*fn)(void *arg, int64_t begin, int64_t end), void *arg);
/* Multiply-adds below which an op is better left on one thread: handing a loop to the
 * workers and waiting for them costs microseconds. */
enum { LT_PARALLEL_MIN_WORK = 32768 };

/* ---- Other subgraphs (control flow: WHILE, IF) ------------------------------------------ */
/* Deepest nesting of subgraphs run by control-flow ops: deeper means a cycle in the file. */
enum { LT_MAX_SUBGRAPH_DEPTH = 16 };
/* For prepare: a new interpreter of subgraph `index` of the same model, sharing this one's
 * threads, kernel level, allocator and memory cap. The op drives it through the public API
 * (resize its inputs, allocate, copy tensors, invoke) and frees it with lt_interpreter_free
 * from node->release. NULL, with an error naming the node and `role` ("body", "then", ...),
 * when the index is out of range or 0, nesting passes LT_MAX_SUBGRAPH_DEPTH, or creation
 * fails. */
lt_interpreter *lt_ctx_open_subgraph(lt_context *ctx, const lt_node *node, int32_t index,
                                     const char *role);
/* After the child's allocate: counts its memory (tables, plan, its own subgraphs) against this
 * interpreter's memory cap, so that a model cannot multiply the cap by its number of
 * control-flow nodes. LT_ERROR (message recorded) when that passes the cap. */
lt_status lt_ctx_charge_subgraph(lt_context *ctx, const lt_node *node, const lt_interpreter *child);

/* Sets the shape of output i; the interpreter computes its byte size (overflow-checked). */
lt_status lt_node_set_output_shape(lt_context *ctx, lt_node *node, int i, const lt_shape *shape);

/* Output i's shape is known only at invoke: plans `bound` (the largest it can be) and marks
 * it dynamic (lt_tensor.is_dynamic). Its consumers must accept dynamic inputs (the
 * interpreter checks). The op sets the actual shape at invoke with lt_tensor_set_run_shape. */
lt_status lt_node_set_output_dynamic(lt_context *ctx, lt_node *node, int i, const lt_shape *bound);
/* For invoke: the actual shape of a dynamic tensor; the caller has checked it against the
 * bound (same rank, each dimension at most the bound's), so its size cannot overflow. */
void lt_tensor_set_run_shape(lt_tensor *t, const lt_shape *shape);

/* ---- Checks for prepare: each records an error naming the node and returns LT_ERROR. ---- */
lt_status lt_check_io_count(lt_context *ctx, const lt_node *node, int min_in, int max_in,
                            int n_out);
/* Input i must be present and of `type`. */
lt_status lt_check_input_type(lt_context *ctx, const lt_node *node, int i, lt_type type);
/* Input i must be present with rank in [min_rank, max_rank]. */
lt_status lt_check_input_rank(lt_context *ctx, const lt_node *node, int i, int min_rank,
                              int max_rank);
/* Input i must be a constant tensor (e.g. a shape or axis argument). */
lt_status lt_check_input_constant(lt_context *ctx, const lt_node *node, int i);
/* The options table must be of `type` or absent (absent: every field takes its default). */
lt_status lt_check_options(lt_context *ctx, const lt_node *node, uint8_t type);

/* ---- Builtin options: field `id` of the options table, with the schema's default. ------ */
int32_t lt_opt_i32(const lt_node *node, int id, int32_t dflt);
int8_t lt_opt_i8(const lt_node *node, int id, int8_t dflt);
bool lt_opt_bool(const lt_node *node, int id, bool dflt);
float lt_opt_f32(const lt_node *node, int id, float dflt);
/* Copies an int32 vector field into out[0..max); returns its length (which may exceed max:
 * callers check), 0 when absent, -1 when malformed. */
int lt_opt_i32_vec(const lt_node *node, int id, int32_t *out, int max);

/* ---- Fused activations ------------------------------------------------------------------ */
typedef enum lt_activation {
    LT_ACT_NONE = 0,
    LT_ACT_RELU = 1,
    LT_ACT_RELU_N1_TO_1 = 2,
    LT_ACT_RELU6 = 3,
    LT_ACT_TANH = 4,
    LT_ACT_SIGN_BIT = 5
} lt_activation;

/* Clamp range of a fused activation; false for TANH / SIGN_BIT (not clamps). */
bool lt_activation_range(int act, float *lo, float *hi);
/* Checks the activation is one the runtime implements; records an error otherwise. */
lt_status lt_check_activation(lt_context *ctx, const lt_node *node, int act);
/* Applies a fused activation in place. */
void lt_apply_activation_f32(int act, float *x, int64_t n);

/* Padding enum of the format: SAME = 0, VALID = 1. */
enum { LT_PADDING_SAME = 0, LT_PADDING_VALID = 1 };
/* Output size and leading padding for one spatial dimension (TensorFlow's rules). false if
 * the result would be non-positive. */
bool lt_conv_out_size(int padding, int in, int filter, int stride, int dilation, int *out,
                      int *pad_before);

/* ---- Broadcasting ----------------------------------------------------------------------- */
/* NumPy broadcast of two shapes; false (nothing written) if incompatible. */
bool lt_broadcast_shape(const lt_shape *a, const lt_shape *b, lt_shape *out);

#endif
