/* litert: a compact runtime for models in the TensorFlow Lite flatbuffer format.
 *
 * The one public header. Typical use:
 *
 *     char err[256];
 *     lt_model *model = lt_model_from_file("model.tflite", err, sizeof err);
 *     lt_options opts = lt_options_default();
 *     lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
 *     lt_interpreter_allocate(it);
 *     lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), data, bytes);
 *     lt_interpreter_invoke(it);
 *     const float *y = lt_interpreter_tensor_data(it, lt_interpreter_output_tensor(it, 0));
 *     lt_interpreter_free(it);
 *     lt_model_free(model);
 *
 * Every call that can fail returns a status; the message is in lt_interpreter_error(), or in
 * the caller's `err` buffer for calls that create objects. Nothing here prints or aborts.
 * A model must outlive the interpreters made from it; one interpreter must not be used from
 * two threads at once, but separate interpreters may run concurrently.
 *
 * Bad calls. Every argument is checked: NULL handles and NULL pointers, indices (tensor,
 * input, output, node, signature, profile entry) out of range, negative dimensions, ranks
 * outside 0..8, byte counts that differ from the tensor's, calls out of order (invoke, set,
 * get before allocate or after a resize without allocate, or after a failed allocate) give
 * LT_ERROR with a message in lt_interpreter_error() (or -1 / 0 / NULL for the queries, as
 * documented with each), and leave the interpreter usable: a failed call changes nothing, a
 * failed allocate leaves it unallocated. lt_model_free(NULL) and lt_interpreter_free(NULL) do
 * nothing. What C cannot check is a handle used after it was freed (its memory is gone):
 * free each handle once, and set your pointer to NULL after freeing it. The data given to
 * set_tensor and the buffer given to get_tensor may overlap the tensor's own memory. */
#ifndef LITERT_LITERT_H
#define LITERT_LITERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LT_API __declspec(dllexport)
#else
#define LT_API __attribute__((visibility("default")))
#endif

typedef enum lt_status { LT_OK = 0, LT_ERROR = 1 } lt_status;

/* Element types; the values are TensorFlow Lite's TensorType enum. */
typedef enum lt_type {
    LT_FLOAT32 = 0,
    LT_FLOAT16 = 1,
    LT_INT32 = 2,
    LT_UINT8 = 3,
    LT_INT64 = 4,
    LT_STRING = 5,
    LT_BOOL = 6,
    LT_INT16 = 7,
    LT_COMPLEX64 = 8,
    LT_INT8 = 9,
    LT_FLOAT64 = 10,
    LT_COMPLEX128 = 11,
    LT_UINT64 = 12,
    LT_RESOURCE = 13,
    LT_VARIANT = 14,
    LT_UINT32 = 15,
    LT_UINT16 = 16,
    LT_INT4 = 17,
    LT_BFLOAT16 = 18
} lt_type;

typedef struct lt_model lt_model;
typedef struct lt_interpreter lt_interpreter;

/* ---- Model ---------------------------------------------------------------------------- */

/* Verifies and wraps a model held in memory. Zero-copy: constant tensors point into `data`,
 * which the caller keeps alive and unchanged until lt_model_free. NULL on error. */
LT_API lt_model *lt_model_from_buffer(const void *data, size_t size, char *err, size_t err_len);
/* Maps a model file into memory (mmap) and verifies it. NULL on error. */
LT_API lt_model *lt_model_from_file(const char *path, char *err, size_t err_len);
LT_API void lt_model_free(lt_model *model);

LT_API int lt_model_subgraph_count(const lt_model *model);
LT_API const char *lt_model_description(const lt_model *model);

/* Signatures (SignatureDef): named entry points mapping names to tensor indices. */
LT_API int lt_model_signature_count(const lt_model *model);
LT_API const char *lt_model_signature_key(const lt_model *model, int sig);
LT_API int lt_model_signature_subgraph(const lt_model *model, int sig);
/* is_output = 0 for inputs, 1 for outputs. */
LT_API int lt_model_signature_io_count(const lt_model *model, int sig, int is_output);
LT_API const char *lt_model_signature_io_name(const lt_model *model, int sig, int is_output, int i);
LT_API int lt_model_signature_io_tensor(const lt_model *model, int sig, int is_output, int i);

/* ---- Interpreter ---------------------------------------------------------------------- */

/* Instruction-set levels of the kernels. Each level includes the ones below it; the runtime
 * uses the best one the CPU supports unless capped (lt_options.isa, or the LITERT_ISA
 * environment variable: "portable", "avx2", "avx512", "avx512vnni", "neon" or "neondot",
 * which caps further).
 * LT_ISA_PORTABLE is the plain C kernels, the ground truth the SIMD kernels are tested
 * against. */
enum {
    LT_ISA_BEST = 0,        /* lt_options.isa only: no cap */
    LT_ISA_PORTABLE = 1,
    LT_ISA_AVX2 = 2,        /* x86-64 AVX2 + FMA */
    LT_ISA_AVX512 = 3,      /* x86-64 AVX-512 F, BW, DQ, VL */
    LT_ISA_AVX512_VNNI = 4, /* the above + AVX512-VNNI (int8 dot products) */
    LT_ISA_NEON = 5,        /* ARM Advanced SIMD (aarch64, or 32-bit ARM with NEON) */
    LT_ISA_NEON_DOTPROD = 6 /* aarch64 NEON + SDOT/UDOT (int8 dot products) */
};
/* Levels form one ladder per architecture (portable, then x86's or ARM's in order); a cap
 * from the other architecture's ladder means portable. */

/* Name of a level ("portable", "avx2", ...; "unknown" for other values). */
LT_API const char *lt_isa_name(int isa);
/* 1 if this CPU and build can run the level's kernels, else 0. */
LT_API int lt_isa_supported(int isa);

/* Heap hooks: every heap allocation of the runtime goes through them (see "Memory and
 * embedded mode" below). malloc_fn returns `bytes` of memory with malloc's alignment, or NULL
 * when it cannot (the call then fails with an out-of-memory error); free_fn releases a block
 * malloc_fn returned. Both NULL (the default, and what zero-initialized options hold): the C
 * library. Set both or neither: one without the other counts as neither. */
typedef struct lt_allocator {
    void *(*malloc_fn)(void *user, size_t bytes);
    void (*free_fn)(void *user, void *ptr);
    void *user; /* passed to both hooks */
} lt_allocator;

typedef struct lt_options {
    int num_threads; /* <= 0: let the runtime choose; 1: run on the calling thread only;
                      * more than LT_MAX_THREADS: lt_interpreter_create fails */
    int isa;         /* highest LT_ISA_* level the kernels may use; LT_ISA_BEST (0): no cap */
    lt_allocator allocator; /* the interpreter's heap (tables, op state, arena) */
    /* Cap on the memory a plan may take (activations, scratch, op state, packed weights: what
     * lt_interpreter_plan reports), so that an untrusted model declaring huge tensors fails
     * at allocate with an error naming the tensor instead of allocating gigabytes. 0 (the
     * default): LT_DEFAULT_MAX_MEMORY_BYTES. Raise it for models that really need more. */
    size_t max_memory_bytes;
} lt_options;

/* The most threads lt_options.num_threads may ask for. */
#define LT_MAX_THREADS 1024

/* The default cap of lt_options.max_memory_bytes: 1 GiB. */
#define LT_DEFAULT_MAX_MEMORY_BYTES ((size_t)1 << 30)

LT_API lt_options lt_options_default(void);

/* Builds an interpreter over the model's main subgraph (subgraph 0). NULL on error. */
LT_API lt_interpreter *lt_interpreter_create(const lt_model *model, const lt_options *options,
                                             char *err, size_t err_len);
LT_API void lt_interpreter_free(lt_interpreter *interp);
/* Message of the last failed call on this interpreter ("" if none). */
LT_API const char *lt_interpreter_error(const lt_interpreter *interp);
/* The LT_ISA_* level this interpreter's kernels use. */
LT_API int lt_interpreter_isa(const lt_interpreter *interp);

LT_API int lt_interpreter_tensor_count(const lt_interpreter *interp);
LT_API int lt_interpreter_input_count(const lt_interpreter *interp);
LT_API int lt_interpreter_output_count(const lt_interpreter *interp);
/* Tensor index of the i-th input / output; -1 if i is out of range. */
LT_API int lt_interpreter_input_tensor(const lt_interpreter *interp, int i);
LT_API int lt_interpreter_output_tensor(const lt_interpreter *interp, int i);
/* Tensor index by name; -1 if no tensor has that name. */
LT_API int lt_interpreter_find_tensor(const lt_interpreter *interp, const char *name);
LT_API int lt_interpreter_node_count(const lt_interpreter *interp);

/* Changes the shape of the i-th input. Takes effect at the next lt_interpreter_allocate. */
LT_API lt_status lt_interpreter_resize_input(lt_interpreter *interp, int i, const int32_t *dims,
                                             int rank);
/* Infers every shape, prepares every op and plans the arena. Needed before invoke, and again
 * after a resize. The plan's memory comes from the heap (lt_options.allocator), or for an
 * interpreter from lt_interpreter_create_in from the rest of its memory. */
LT_API lt_status lt_interpreter_allocate(lt_interpreter *interp);
LT_API lt_status lt_interpreter_invoke(lt_interpreter *interp);
/* Puts every variable tensor (the state an LSTM carries from one invoke to the next) back to
 * its value in the file, zero where the file gives none: to start a new sequence. */
LT_API lt_status lt_interpreter_reset_variables(lt_interpreter *interp);
/* Bytes of the activation arena planned by the last allocate. */
LT_API size_t lt_interpreter_arena_bytes(const lt_interpreter *interp);

/* Describes one tensor. Pointers stay valid until the next allocate/resize or free. */
typedef struct lt_tensor_info {
    const char *name;
    lt_type type;
    int rank;
    const int32_t *dims;
    int signature_rank;             /* 0 when the file has no shape_signature */
    const int32_t *dims_signature;  /* -1 marks a dynamic dimension */
    size_t bytes;
    int is_constant;
    int quant_count;                /* 0: not quantized */
    int quant_dimension;
    const float *quant_scales;
    const int64_t *quant_zero_points;
} lt_tensor_info;

LT_API lt_status lt_interpreter_tensor_info(const lt_interpreter *interp, int tensor,
                                            lt_tensor_info *info);
/* Pointer to a tensor's data (NULL before allocate or for an unallocated tensor). Valid until
 * the next allocate or resize. Writing to a constant tensor is not allowed. */
LT_API void *lt_interpreter_tensor_data(lt_interpreter *interp, int tensor);
/* Copies `bytes` into a non-constant tensor; bytes must equal the tensor's size. */
LT_API lt_status lt_interpreter_set_tensor(lt_interpreter *interp, int tensor, const void *data,
                                           size_t bytes);
/* Copies a tensor's data out; bytes must equal the tensor's size. */
LT_API lt_status lt_interpreter_get_tensor(lt_interpreter *interp, int tensor, void *data,
                                           size_t bytes);
/* Builtin op code and name of node i, or -1 / NULL when out of range. */
LT_API int lt_interpreter_node_op(const lt_interpreter *interp, int node);
LT_API const char *lt_interpreter_node_op_name(const lt_interpreter *interp, int node);

LT_API const char *lt_type_name_of(lt_type type);
LT_API const char *lt_version(void);

/* ---- Custom ops ------------------------------------------------------------------------ *
 *
 * A model may contain ops that are not TensorFlow Lite builtins ("custom" ops, named by a
 * string in the file). Register an implementation by name on an interpreter before allocate:
 *
 *     static lt_status my_prepare(lt_custom_node *node) {
 *         lt_tensor_info in;
 *         lt_custom_node_input(node, 0, &in, NULL);
 *         return lt_custom_node_set_output_shape(node, 0, in.dims, in.rank);
 *     }
 *     static lt_status my_invoke(lt_custom_node *node) {
 *         lt_tensor_info in, out;
 *         const void *x; void *y;
 *         lt_custom_node_input(node, 0, &in, &x);
 *         lt_custom_node_output(node, 0, &out, &y);
 *         ...compute y from x...
 *         return LT_OK;
 *     }
 *     lt_custom_op op = {my_prepare, my_invoke, NULL, NULL};
 *     lt_interpreter_add_custom_op(interp, "MyOp", &op);
 *
 * prepare runs at every allocate: it checks the inputs and sets every output's shape (output
 * types come from the file). invoke computes. release, if set, runs after every prepare
 * (a failed one too) when the plan is dropped (next allocate, resize, free), to free what
 * prepare kept in *lt_custom_node_state(). Errors
 * set with lt_custom_node_error reach lt_interpreter_error() as "node N (MyOp): ...".
 * Registered ops take precedence over the runtime's own custom ops (Convolution2DTransposeBias)
 * and serve the model's other subgraphs too (WHILE/IF bodies). The callbacks run on the
 * thread that calls allocate / invoke. */
typedef struct lt_custom_node lt_custom_node;

typedef struct lt_custom_op {
    lt_status (*prepare)(lt_custom_node *node); /* required */
    lt_status (*invoke)(lt_custom_node *node);  /* required */
    void (*release)(lt_custom_node *node);      /* optional (NULL) */
    void *user_data;                            /* lt_custom_node_user_data() */
} lt_custom_op;

/* Registers (or replaces) the implementation of custom op `name` (copied); drops the plan,
 * so allocate must follow. */
LT_API lt_status lt_interpreter_add_custom_op(lt_interpreter *interp, const char *name,
                                              const lt_custom_op *op);

/* What the callbacks may ask of their node. */
LT_API const char *lt_custom_node_name(const lt_custom_node *node);
LT_API int lt_custom_node_index(const lt_custom_node *node);
LT_API void *lt_custom_node_user_data(const lt_custom_node *node);
/* A slot for the op's own per-node state (NULL at first; freed by the op in release). */
LT_API void **lt_custom_node_state(lt_custom_node *node);
/* The operator's custom_options bytes from the file (often a FlexBuffer or a raw struct;
 * unaligned), NULL and *bytes = 0 when absent. */
LT_API const uint8_t *lt_custom_node_options(const lt_custom_node *node, size_t *bytes);
LT_API int lt_custom_node_input_count(const lt_custom_node *node);
LT_API int lt_custom_node_output_count(const lt_custom_node *node);
/* Fills *info for input i (error if out of range or omitted) and, when data is not NULL, its
 * data: at prepare only constants have data (others give NULL); at invoke every input. */
LT_API lt_status lt_custom_node_input(const lt_custom_node *node, int i, lt_tensor_info *info,
                                      const void **data);
/* The same for output i; its data is NULL at prepare and writable at invoke. */
LT_API lt_status lt_custom_node_output(lt_custom_node *node, int i, lt_tensor_info *info,
                                       void **data);
/* For prepare: the shape of output i (dims are copied). */
LT_API lt_status lt_custom_node_set_output_shape(lt_custom_node *node, int i,
                                                 const int32_t *dims, int rank);
/* Records an error for the node (printf format) and returns LT_ERROR. */
LT_API lt_status lt_custom_node_error(lt_custom_node *node, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- Profiling ------------------------------------------------------------------------ */

/* Per-node timing of lt_interpreter_invoke, off by default. enabled != 0 turns it on,
 * starting from zero (no change if it is already on): this allocates a table sized by the
 * node count, the only allocation of profiling, so it fails only when out of memory.
 * 0 turns it off and frees the table.
 * Allowed at any time, before or after allocate. While off, invoke pays one test per call;
 * while on, two clock reads per node. */
LT_API lt_status lt_interpreter_set_profiling(lt_interpreter *interp, int enabled);
/* 1 while profiling is on, else 0 (also for NULL). */
LT_API int lt_interpreter_profiling(const lt_interpreter *interp);
/* Zeroes every time and run count, e.g. after warm-up runs. Error when profiling is off.
 * lt_interpreter_allocate also zeroes them: a new plan may run different kernels. */
LT_API lt_status lt_interpreter_profile_reset(lt_interpreter *interp);

typedef struct lt_profile_entry {
    int node;          /* index of the node (operator) in the subgraph */
    const char *op;    /* its op name, e.g. "CONV_2D"; a custom op's custom code */
    uint64_t total_ns; /* time in the node's kernel summed over its runs (CLOCK_MONOTONIC) */
    uint64_t runs;     /* invokes that ran the node since enable / reset / allocate */
} lt_profile_entry;

/* Number of entries: one per node that invoke runs, in execution order. Nodes folded at
 * allocate (all inputs constant, so computed once at prepare and skipped by invoke) are left
 * out. 0 while profiling is off, and before allocate (or after a resize) when there is no
 * plan yet. */
LT_API int lt_interpreter_profile_count(const lt_interpreter *interp);
/* Fills `entry` with entry i (0 <= i < lt_interpreter_profile_count). `op` points into the
 * model and lives as long as it. Error for NULL arguments or i out of range. */
LT_API lt_status lt_interpreter_profile_entry(const lt_interpreter *interp, int i,
                                              lt_profile_entry *entry);

/* ---- Memory and embedded mode ----------------------------------------------------------
 *
 * By default the runtime takes memory from the heap: the model's tables at load, the
 * interpreter's tables at create, and at allocate the plan: op state, weights packed for the
 * kernels, values folded at prepare, per-op scratch and the activation arena. invoke never
 * allocates. Every one of these heap calls goes through an lt_allocator.
 *
 * Embedded mode puts the plan (and optionally the interpreter itself) in memory the caller
 * owns, so that nothing touches the heap after loading:
 *
 *     static _Alignas(64) uint8_t memory[48 * 1024];
 *     lt_model *model = lt_model_from_buffer(model_data, model_size, err, sizeof err);
 *     lt_interpreter *it = lt_interpreter_create_in(model, &opts, memory, sizeof memory,
 *                                                   err, sizeof err);
 *     lt_interpreter_allocate(it);  // plan placed in the rest of `memory`
 *     lt_interpreter_invoke(it);    // ...as often as needed
 *
 * or, with an interpreter from lt_interpreter_create, lt_interpreter_allocate_with_arena.
 * Memory given to the runtime should be aligned to LT_ARENA_ALIGNMENT; otherwise up to
 * LT_ARENA_ALIGNMENT - 1 bytes at its start go unused. The sizes reported below assume
 * aligned memory. They depend on the model, the input shapes, the kernels (ISA level) and
 * the thread count, so measure them on the target (or with the same options).
 * The one exception to the hooks: worker threads (num_threads > 1). The system's thread
 * library allocates their stacks itself, and the pool's small table comes from the C library
 * too; embedded programs run with one thread. */
#define LT_ARENA_ALIGNMENT 64

/* lt_model_from_buffer taking the model's tables from `allocator` (NULL: the C library);
 * lt_model_free returns them to it. The allocator is copied. */
LT_API lt_model *lt_model_from_buffer_with_allocator(const void *data, size_t size,
                                                     const lt_allocator *allocator, char *err,
                                                     size_t err_len);

/* Bytes lt_interpreter_create_in needs for the interpreter itself: its struct, tensor and
 * node tables and the model's variable tensors (it then needs the plan's bytes on top, see
 * lt_interpreter_plan). Depends on the model only. */
LT_API lt_status lt_interpreter_create_bytes(const lt_model *model, size_t *bytes, char *err,
                                             size_t err_len);
/* lt_interpreter_create with the interpreter placed at the start of `memory`: no heap
 * allocation (with num_threads = 1). Every later lt_interpreter_allocate places its plan in
 * the rest of `memory`, so the interpreter never touches the heap; lt_interpreter_free only
 * stops using the memory, which stays the caller's and must outlive the interpreter. Too
 * little memory for the interpreter: NULL with a message naming the bytes needed. */
LT_API lt_interpreter *lt_interpreter_create_in(const lt_model *model, const lt_options *options,
                                                void *memory, size_t bytes, char *err,
                                                size_t err_len);

/* Prepares every op and plans the arena as lt_interpreter_allocate does, on the heap, then
 * releases it all and reports in *bytes the memory the plan takes: what
 * lt_interpreter_allocate_with_arena (or the rest of lt_interpreter_create_in's memory)
 * must hold for the current input shapes. The interpreter is left unallocated. */
LT_API lt_status lt_interpreter_plan(lt_interpreter *interp, size_t *bytes);
/* lt_interpreter_allocate with the whole plan placed in `memory` (`bytes` long): op state,
 * packed weights, folded values, scratch and activations. Makes no heap allocation. The
 * memory stays the caller's and must stay valid and untouched until the next allocate,
 * resize or free. When it is too small, nothing is kept and the error names the bytes the
 * plan needs (measured by finishing the plan on the heap; if the allocator refuses, the
 * error gives a lower bound). */
LT_API lt_status lt_interpreter_allocate_with_arena(lt_interpreter *interp, void *memory,
                                                    size_t bytes);
/* Bytes the current plan takes (0 when not allocated): what lt_interpreter_plan reports,
 * including the activation arena that lt_interpreter_arena_bytes reports alone. After an
 * allocate in caller memory: how much of it is used. */
LT_API size_t lt_interpreter_plan_bytes(const lt_interpreter *interp);

#ifdef __cplusplus
}
#endif

#endif
