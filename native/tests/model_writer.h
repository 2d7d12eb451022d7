/* A minimal FlatBuffers writer and, on top of it, a writer of small TensorFlow Lite models
 * (schema v3), so that the C tests can build the models they run in memory, without files or
 * Python.
 *
 * Like the reference FlatBuffers builders, the writer fills its buffer from the end towards the
 * start: an object is written after everything it refers to, so every reference points forward
 * in the finished buffer, as the format requires. Objects are named by their distance from the
 * end of the buffer (mw_ref), which does not change as more bytes are prepended.
 *
 * The implementation is in model_writer.c, which a test #includes once (only test_*.c files
 * are built as executables). */
#ifndef LITERT_TESTS_MODEL_WRITER_H
#define LITERT_TESTS_MODEL_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- FlatBuffers ------------------------------------------------------------------------ */

typedef uint32_t mw_ref; /* distance of an object's first byte from the end of the buffer */

typedef struct mw_builder {
    uint8_t *buf;
    size_t cap;
    size_t used;  /* bytes written, at the end of buf */
    bool failed;  /* the buffer overflowed: every later call is a no-op */
} mw_builder;

void mw_init(mw_builder *b, uint8_t *storage, size_t cap);

/* A NUL-terminated string. */
mw_ref mw_string(mw_builder *b, const char *s);
/* A vector of int32 scalars. */
mw_ref mw_vec_i32(mw_builder *b, const int32_t *v, size_t n);
/* A vector of int64 scalars (8-byte aligned). */
mw_ref mw_vec_i64(mw_builder *b, const int64_t *v, size_t n);
/* A vector of bytes whose first element is `align`-aligned in the finished buffer. */
mw_ref mw_vec_bytes(mw_builder *b, const void *data, size_t n, size_t align);
/* A vector of references to tables or strings written before. */
mw_ref mw_vec_refs(mw_builder *b, const mw_ref *refs, size_t n);

/* One field of a table: a scalar of 1 or 4 bytes, or a reference to an earlier object. */
typedef struct mw_field {
    int id;
    int size;
    bool is_ref;
    uint32_t value;
} mw_field;

#define MW_I8(id, v) ((mw_field){(id), 1, false, (uint32_t)(uint8_t)(int8_t)(v)})
#define MW_U8(id, v) ((mw_field){(id), 1, false, (uint32_t)(uint8_t)(v)})
#define MW_I32(id, v) ((mw_field){(id), 4, false, (uint32_t)(int32_t)(v)})
#define MW_U32(id, v) ((mw_field){(id), 4, false, (uint32_t)(v)})
#define MW_REF(id, r) ((mw_field){(id), 4, true, (r)})

/* A table with the given fields (ids in any order, each at most once) and its vtable. */
mw_ref mw_table(mw_builder *b, const mw_field *fields, size_t n);

/* Writes the root offset and the 4-byte file identifier, and returns a copy of the finished
 * buffer in 16-byte aligned memory (free with free()), or NULL if anything failed. */
uint8_t *mw_finish(mw_builder *b, mw_ref root, const char identifier[4], size_t *size);

/* ---- TensorFlow Lite models ------------------------------------------------------------- */

#define TM_MAX_IO 4

typedef struct tm_tensor {
    const char *name;
    int type;            /* lt_type / TensorType */
    int rank;
    int32_t dims[4];
    const void *data;    /* constant data, or NULL for a non-constant tensor */
    size_t data_bytes;
} tm_tensor;

typedef struct tm_op {
    int builtin_code;    /* BuiltinOperator */
    int n_inputs;
    int32_t inputs[TM_MAX_IO];
    int n_outputs;
    int32_t outputs[TM_MAX_IO];
    int options_type;    /* BuiltinOptions union tag; 0: no options */
    int fused_activation; /* first field (id 0, int8) of the options table */
} tm_op;

typedef struct tm_signature_io {
    const char *name;
    int32_t tensor;
} tm_signature_io;

typedef struct tm_model {
    const char *description;
    const tm_tensor *tensors;
    int n_tensors;
    const tm_op *ops;
    int n_ops;
    int n_inputs;
    int32_t inputs[TM_MAX_IO];
    int n_outputs;
    int32_t outputs[TM_MAX_IO];
    const char *signature_key; /* NULL: no SignatureDef */
    int n_sig_inputs;
    tm_signature_io sig_inputs[TM_MAX_IO];
    int n_sig_outputs;
    tm_signature_io sig_outputs[TM_MAX_IO];
} tm_model;

/* Serializes the model as a .tflite flatbuffer with one subgraph: buffer 0 is the empty buffer
 * of every non-constant tensor, each constant gets its own 16-byte aligned buffer, each op its
 * own OperatorCode. Returns 16-byte aligned memory (free with free()), or NULL. */
uint8_t *tm_build(const tm_model *m, size_t *size);

/* What tm_build_ex adds to a model (tests of quantized ops and of ops with full options). */
typedef struct tm_quant {
    int n;                       /* 0: the tensor is not quantized */
    const float *scales;         /* n scales and zero points along quantized_dimension */
    const int64_t *zero_points;  /* (one each for per-tensor quantization) */
    int quantized_dimension;
} tm_quant;

typedef struct tm_extras {
    const tm_quant *quant;       /* NULL, or one per tensor */
    const int *n_options;        /* NULL, or one per op: with n_options[i] > 0 op i's options */
    const mw_field *const *options; /* table holds options[i] (not just fused_activation) */
    const char *const *custom_codes; /* NULL, or one per op: non-NULL makes op i CUSTOM */
} tm_extras;

/* tm_build with the extras (NULL: none). */
uint8_t *tm_build_ex(const tm_model *m, const tm_extras *x, size_t *size);

#endif
