/* A verified model: the flatbuffer read once into plain arrays, with every index checked.
 * After lt_model_from_buffer succeeds, code may trust these structures: tensor, buffer,
 * opcode and subgraph indices are in range, strings are NUL-terminated, shapes have rank <=
 * LT_MAX_RANK and constant data has exactly the size its shape and type demand. */
#ifndef LITERT_MODEL_H
#define LITERT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flatbuf.h"
#include "tensor.h"

typedef struct lt_model_tensor {
    const char *name;       /* "" when the file has none */
    lt_type type;
    lt_shape shape;
    lt_shape signature;
    bool has_signature;
    lt_quant quant;
    const void *data;       /* constant data (16-byte aligned), NULL if not constant */
    size_t data_bytes;
    bool is_variable;
    const lt_sparsity *sparsity; /* NULL for dense tensors; then data holds stored values */
} lt_model_tensor;

typedef struct lt_model_op {
    int32_t opcode_index;
    int32_t builtin_code;
    const char *custom_code; /* NULL for builtins */
    int32_t n_inputs;
    int32_t n_outputs;
    const int32_t *inputs;   /* tensor indices; -1 = omitted optional input */
    const int32_t *outputs;
    uint8_t options_type;
    fb_table options;
    const uint8_t *custom_options; /* custom_options bytes (into the file); NULL if absent */
    uint32_t custom_options_bytes;
} lt_model_op;

typedef struct lt_subgraph {
    const char *name;
    int32_t n_tensors;
    lt_model_tensor *tensors;
    int32_t n_inputs;
    int32_t *inputs;
    int32_t n_outputs;
    int32_t *outputs;
    int32_t n_ops;
    lt_model_op *ops;
} lt_subgraph;

typedef struct lt_signature_io {
    const char *name;
    int32_t tensor;
} lt_signature_io;

typedef struct lt_signature {
    const char *key;
    int32_t subgraph;
    int32_t n_inputs;
    lt_signature_io *inputs;
    int32_t n_outputs;
    lt_signature_io *outputs;
} lt_signature;

typedef struct lt_opcode {
    int32_t builtin_code;
    const char *custom_code;
    int32_t version;
} lt_opcode;

/* Blocks the model owns (index arrays, aligned copies of constants), freed with it. */
typedef struct lt_owned_block {
    struct lt_owned_block *next;
} lt_owned_block;

struct lt_model {
    fb_buf buf;
    void *mapping;           /* non-NULL when the model was mmapped from a file */
    size_t mapping_size;
    const char *description;
    int32_t n_subgraphs;
    lt_subgraph *subgraphs;
    int32_t n_opcodes;
    lt_opcode *opcodes;
    int32_t n_signatures;
    lt_signature *signatures;
    lt_owned_block *owned;
    lt_allocator allocator;  /* where the model struct and its owned blocks come from */
};

#endif
