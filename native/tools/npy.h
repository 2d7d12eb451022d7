/* Reading and writing NumPy .npy files (format versions 1.0, 2.0 and 3.0) for litert-run.
 *
 * Only what the tool needs: little-endian (or byte-sized) plain numeric dtypes in C order, with
 * at most NPY_MAX_RANK dimensions. Files are untrusted: every field of the header is checked
 * and every size computed with overflow checks, and a bad file yields an error message, never
 * a crash. Data is returned in host order, which the tool requires to be little-endian. */
#ifndef LITERT_TOOLS_NPY_H
#define LITERT_TOOLS_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "litert/litert.h"

/* The runtime's tensors have at most 8 dimensions; a file with more cannot feed any input. */
#define NPY_MAX_RANK 8

typedef struct npy_array {
    lt_type type;
    char descr[8];                 /* the file's dtype string, e.g. "<f4", for messages */
    int rank;
    int32_t dims[NPY_MAX_RANK];
    size_t bytes;                  /* size of `data` */
    void *data;                    /* malloc'd; owned by the array, released by npy_free */
} npy_array;

/* Parses a whole .npy file held in memory. On success fills `out` (with its own copy of the
 * data) and returns 0; on failure writes a one-line message to `err` and returns -1. */
int npy_parse(const uint8_t *file, size_t size, npy_array *out, char *err, size_t err_len);

/* Reads and parses the file at `path`. Same contract as npy_parse; messages name the path. */
int npy_read(const char *path, npy_array *out, char *err, size_t err_len);

/* Writes `bytes` of data of the given type and shape as a .npy file (version 1.0: with at most
 * NPY_MAX_RANK dimensions the header always fits). Returns 0, or -1 with a message in `err`. */
int npy_write(const char *path, lt_type type, const int32_t *dims, int rank, const void *data,
              size_t bytes, char *err, size_t err_len);

/* The .npy dtype string of a runtime type ("<f4", "|i1", ...), or NULL when .npy has no plain
 * equivalent (string, resource, variant, int4, bfloat16). */
const char *npy_descr_of(lt_type type);

void npy_free(npy_array *array);

#endif
