/* Tensors as the interpreter and kernels see them. */
#ifndef LITERT_TENSOR_H
#define LITERT_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "litert/litert.h"

/* Highest rank any tensor may have. TensorFlow Lite's kernels stop at 6 for most ops; 8 leaves
 * room while keeping shapes inline (no allocation when shapes change). */
#define LT_MAX_RANK 8

typedef struct lt_shape {
    int32_t rank;
    int32_t dims[LT_MAX_RANK];
} lt_shape;

/* Per-tensor or per-channel affine quantization: real = scale * (q - zero_point). */
typedef struct lt_quant {
    int32_t count;          /* 0: not quantized; 1: per tensor; >1: per channel */
    int32_t dimension;      /* quantized_dimension, for per-channel */
    const float *scale;     /* `count` scales (owned by the model) */
    const int64_t *zero_point; /* `count` zero points (owned by the model) */
} lt_quant;

/* A sparse constant in TensorFlow Lite's format (Tensor.sparsity), decoded and verified at
 * load. The dense tensor of rank n is seen as n + k "expanded" dimensions: the n original
 * ones, where original dimension block_map[j] is divided by block_size[j], followed by k
 * block-internal dimensions of block_size[j] elements. Storage walks these expanded
 * dimensions level by level in traversal order: a DENSE level visits every index of its
 * dimension, a SPARSE_CSR level visits indices[segments[p]] .. indices[segments[p + 1] - 1]
 * for the position p reached at the level above. The k-th value stored is the k-th leaf of
 * that walk. Everything here is model-owned and checked: segments start at 0, never
 * decrease, and end at the number of indices; indices within a segment strictly increase and
 * stay below the dimension's size; the stored values fill the tensor's buffer exactly. */
#define LT_MAX_SPARSE_LEVELS (2 * LT_MAX_RANK)

typedef struct lt_sparse_level {
    bool sparse;             /* SPARSE_CSR (else DENSE) */
    int32_t dim;             /* expanded dimension this level walks (traversal_order) */
    int32_t size;            /* extent of that dimension */
    int64_t positions;       /* positions at this level (values, at the last level) */
    const int32_t *segments; /* sparse: (positions of the level above) + 1 entries */
    const int32_t *indices;  /* sparse: `positions` entries */
} lt_sparse_level;

typedef struct lt_sparsity {
    int32_t rank;                      /* n: rank of the dense tensor */
    int32_t n_blocks;                  /* k */
    int32_t n_levels;                  /* n + k */
    int32_t block_map[LT_MAX_RANK];    /* original dimension blocked by block j */
    int32_t block_size[LT_MAX_RANK];
    int32_t expanded[LT_MAX_SPARSE_LEVELS]; /* size of each expanded dimension */
    lt_sparse_level levels[LT_MAX_SPARSE_LEVELS];
    int64_t n_values;                  /* stored elements */
} lt_sparsity;

typedef struct lt_tensor {
    const char *name;
    lt_type type;
    lt_shape shape;
    lt_shape signature;  /* shape_signature from the file (-1 = dynamic); rank 0 if absent */
    bool has_signature;
    lt_quant quant;
    void *data;          /* constant: into the model; otherwise into the arena */
    size_t bytes;        /* element count * element size, checked */
    bool is_constant;    /* value fixed before invoke: a model buffer, or folded at prepare */
    bool is_folded;      /* value computed at prepare from constants (constant folding) */
    bool is_variable;
    int32_t index;       /* position in the subgraph's tensor list */
    /* Sparse constant: data holds only the stored values (bytes = their size); NULL for
     * dense tensors. Only ops that declare support (DENSIFY, FULLY_CONNECTED weights) may
     * read such a tensor: the interpreter rejects any other use. */
    const lt_sparsity *sparsity;
    /* Shape known only at run time (a SLICE whose size is computed by the graph, as
     * TensorFlow's lowered tensor lists in recurrent loops): `shape` and `bytes` hold the
     * bound planned at prepare, and the producing op writes the actual shape (same rank, no
     * dimension above the bound) at every invoke. Only ops that declare support read one. */
    bool is_dynamic;
    lt_shape file_shape; /* the shape the file declares, for ops that trust it (see above) */
} lt_tensor;

/* Element size in bytes for the types the runtime stores; 0 for unsupported types. */
size_t lt_type_size(lt_type type);
const char *lt_type_name(lt_type type);

/* Number of elements; -1 if a dimension is negative or the product overflows. */
int64_t lt_shape_elements(const lt_shape *s);
/* Total bytes of a shape of that type; false (and *bytes untouched) on overflow/bad type. */
bool lt_shape_bytes(const lt_shape *s, lt_type type, size_t *bytes);
bool lt_shape_equal(const lt_shape *a, const lt_shape *b);
/* Formats "[1, 224, 224, 3]" into buf (for error messages). Returns buf. */
const char *lt_shape_str(const lt_shape *s, char *buf, size_t buf_len);

/* The public description of a tensor (lt_interpreter_tensor_info, custom ops). */
void lt_tensor_fill_info(const lt_tensor *t, lt_tensor_info *info);

/* Convenience for kernels. */
static inline int64_t lt_tensor_elements(const lt_tensor *t) { return lt_shape_elements(&t->shape); }
static inline float *lt_f32(const lt_tensor *t) { return (float *)t->data; }
static inline int32_t *lt_i32(const lt_tensor *t) { return (int32_t *)t->data; }
static inline int64_t *lt_i64(const lt_tensor *t) { return (int64_t *)t->data; }
static inline int8_t *lt_i8(const lt_tensor *t) { return (int8_t *)t->data; }
static inline uint8_t *lt_u8(const lt_tensor *t) { return (uint8_t *)t->data; }

#endif
