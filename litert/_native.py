"""Loads the C runtime (liblitert) through cffi in ABI mode.

ABI mode (``ffi.dlopen``) needs no compiler at install time: the wheel ships the shared library
built by CMake and this module describes the part of ``native/include/litert/litert.h`` that
the Python binding calls. The declarations below are written by hand from that header and must
stay in step with it: in ABI mode cffi lays out ``lt_tensor_info`` from this text, so a field
added, removed or reordered in the header has to be mirrored here.

Where the library is looked for, in order:
  1. ``LITERT_LIBRARY``: a path to a library from a development build
     (e.g. ``/tmp/build/native/liblitert.so``). When set it wins, so a fresh build is never
     shadowed by a stale installed copy; a wrong path is an error, not a silent fallback.
  2. The package directory, where ``pip install .`` puts it (CMake's
     ``install(TARGETS litert LIBRARY DESTINATION litert)`` under scikit-build-core), then
     the other places _locate.py knows (editable installs, runs from the repository root).
"""

import os
import sys

from cffi import FFI

from ._locate import find_package_file

_CDEF = """
typedef enum lt_status { LT_OK = 0, LT_ERROR = 1 } lt_status;

typedef enum lt_type {
    LT_FLOAT32 = 0, LT_FLOAT16 = 1, LT_INT32 = 2, LT_UINT8 = 3, LT_INT64 = 4, LT_STRING = 5,
    LT_BOOL = 6, LT_INT16 = 7, LT_COMPLEX64 = 8, LT_INT8 = 9, LT_FLOAT64 = 10,
    LT_COMPLEX128 = 11, LT_UINT64 = 12, LT_RESOURCE = 13, LT_VARIANT = 14, LT_UINT32 = 15,
    LT_UINT16 = 16, LT_INT4 = 17, LT_BFLOAT16 = 18
} lt_type;

typedef struct lt_model lt_model;
typedef struct lt_interpreter lt_interpreter;

lt_model *lt_model_from_buffer(const void *data, size_t size, char *err, size_t err_len);
lt_model *lt_model_from_file(const char *path, char *err, size_t err_len);
void lt_model_free(lt_model *model);

int lt_model_signature_count(const lt_model *model);
const char *lt_model_signature_key(const lt_model *model, int sig);
int lt_model_signature_subgraph(const lt_model *model, int sig);
int lt_model_signature_io_count(const lt_model *model, int sig, int is_output);
const char *lt_model_signature_io_name(const lt_model *model, int sig, int is_output, int i);
int lt_model_signature_io_tensor(const lt_model *model, int sig, int is_output, int i);

const char *lt_isa_name(int isa);
int lt_isa_supported(int isa);

typedef struct lt_allocator {
    void *(*malloc_fn)(void *user, size_t bytes);
    void (*free_fn)(void *user, void *ptr);
    void *user;
} lt_allocator;

typedef struct lt_options {
    int num_threads;
    int isa;
    lt_allocator allocator;
    size_t max_memory_bytes;
} lt_options;

lt_options lt_options_default(void);

lt_interpreter *lt_interpreter_create(const lt_model *model, const lt_options *options,
                                      char *err, size_t err_len);
void lt_interpreter_free(lt_interpreter *interp);
const char *lt_interpreter_error(const lt_interpreter *interp);
int lt_interpreter_isa(const lt_interpreter *interp);

int lt_interpreter_tensor_count(const lt_interpreter *interp);
int lt_interpreter_input_count(const lt_interpreter *interp);
int lt_interpreter_output_count(const lt_interpreter *interp);
int lt_interpreter_input_tensor(const lt_interpreter *interp, int i);
int lt_interpreter_output_tensor(const lt_interpreter *interp, int i);

lt_status lt_interpreter_resize_input(lt_interpreter *interp, int i, const int32_t *dims,
                                      int rank);
lt_status lt_interpreter_allocate(lt_interpreter *interp);
lt_status lt_interpreter_invoke(lt_interpreter *interp);

typedef struct lt_tensor_info {
    const char *name;
    lt_type type;
    int rank;
    const int32_t *dims;
    int signature_rank;
    const int32_t *dims_signature;
    size_t bytes;
    int is_constant;
    int quant_count;
    int quant_dimension;
    const float *quant_scales;
    const int64_t *quant_zero_points;
} lt_tensor_info;

lt_status lt_interpreter_tensor_info(const lt_interpreter *interp, int tensor,
                                     lt_tensor_info *info);
void *lt_interpreter_tensor_data(lt_interpreter *interp, int tensor);
lt_status lt_interpreter_set_tensor(lt_interpreter *interp, int tensor, const void *data,
                                    size_t bytes);
lt_status lt_interpreter_get_tensor(lt_interpreter *interp, int tensor, void *data,
                                    size_t bytes);

const char *lt_version(void);
lt_status lt_interpreter_reset_variables(lt_interpreter *interp);

lt_status lt_interpreter_set_profiling(lt_interpreter *interp, int enabled);
int lt_interpreter_profiling(const lt_interpreter *interp);
lt_status lt_interpreter_profile_reset(lt_interpreter *interp);

typedef struct lt_profile_entry {
    int node;
    const char *op;
    uint64_t total_ns;
    uint64_t runs;
} lt_profile_entry;

int lt_interpreter_profile_count(const lt_interpreter *interp);
lt_status lt_interpreter_profile_entry(const lt_interpreter *interp, int i,
                                       lt_profile_entry *entry);

typedef struct lt_custom_node lt_custom_node;
typedef struct lt_custom_op {
    lt_status (*prepare)(lt_custom_node *node);
    lt_status (*invoke)(lt_custom_node *node);
    void (*release)(lt_custom_node *node);
    void *user_data;
} lt_custom_op;
lt_status lt_interpreter_add_custom_op(lt_interpreter *interp, const char *name,
                                       const lt_custom_op *op);
const char *lt_custom_node_name(const lt_custom_node *node);
int lt_custom_node_index(const lt_custom_node *node);
const uint8_t *lt_custom_node_options(const lt_custom_node *node, size_t *bytes);
int lt_custom_node_input_count(const lt_custom_node *node);
int lt_custom_node_output_count(const lt_custom_node *node);
lt_status lt_custom_node_input(const lt_custom_node *node, int i, lt_tensor_info *info,
                               const void **data);
lt_status lt_custom_node_output(lt_custom_node *node, int i, lt_tensor_info *info,
                                void **data);
lt_status lt_custom_node_set_output_shape(lt_custom_node *node, int i, const int32_t *dims,
                                          int rank);
lt_status lt_custom_node_error(lt_custom_node *node, const char *fmt, ...);
"""

# Room for the messages of the calls that report errors into a caller's buffer.
ERROR_BUFFER_BYTES = 512

if sys.platform == "darwin":
    LIBRARY_FILE_NAME = "liblitert.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE_NAME = "litert.dll"
else:
    LIBRARY_FILE_NAME = "liblitert.so"


def _find_library():
    override = os.environ.get("LITERT_LIBRARY")
    if override:
        if not os.path.isfile(override):
            raise ImportError(
                f"LITERT_LIBRARY is set to {override!r}, which is not a file. Point it at the "
                f"{LIBRARY_FILE_NAME} of a build (e.g. <build>/native/{LIBRARY_FILE_NAME}) or "
                "unset it to use the installed library."
            )
        return override
    path, searched = find_package_file(LIBRARY_FILE_NAME)
    if path is not None:
        return path
    raise ImportError(
        f"litert's native library ({LIBRARY_FILE_NAME}) was not found; looked at: "
        + ", ".join(searched)
        + ". Install the package with `pip install .` from the repository root (it builds the "
        "C runtime), or set LITERT_LIBRARY to the library of a CMake build."
    )


ffi = FFI()
ffi.cdef(_CDEF)
library_path = _find_library()
try:
    lib = ffi.dlopen(library_path)
except OSError as exc:
    raise ImportError(f"could not load litert's native library {library_path!r}: {exc}") from exc


def string(c_string):
    """A C string from the library as str ('' for NULL)."""
    if c_string == ffi.NULL:
        return ""
    return ffi.string(c_string).decode("utf-8", errors="replace")
