/* Model loading and verification: reads the TensorFlow Lite flatbuffer (schema v3) into the
 * plain structures of model.h, checking every offset, length and index on the way, so that
 * nothing after this file needs to distrust the model. */
#include "model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Builds without a file system (LITERT_FILESYSTEM=OFF, e.g. bare metal) have no open/mmap:
 * lt_model_from_file only reports that, and models come from lt_model_from_buffer. */
#if !defined(LITERT_NO_FILESYSTEM)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "alloc.h"

/* Field ids of the format's tables. */
enum { MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3,
       MODEL_BUFFERS = 4, MODEL_SIGNATURE_DEFS = 7 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3,
       SUBGRAPH_NAME = 4 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3,
       TENSOR_QUANTIZATION = 4, TENSOR_IS_VARIABLE = 5, TENSOR_SPARSITY = 6,
       TENSOR_SHAPE_SIGNATURE = 7 };
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS_TYPE = 4,
       QUANT_QUANTIZED_DIMENSION = 6 };
enum { SPARSITY_TRAVERSAL_ORDER = 0, SPARSITY_BLOCK_MAP = 1, SPARSITY_DIM_METADATA = 2 };
enum { DIM_FORMAT = 0, DIM_DENSE_SIZE = 1, DIM_SEGMENTS_TYPE = 2, DIM_SEGMENTS = 3,
       DIM_INDICES_TYPE = 4, DIM_INDICES = 5 };
enum { DIM_DENSE = 0, DIM_SPARSE_CSR = 1 };                       /* DimensionType */
enum { INDEX_INT32 = 1, INDEX_UINT16 = 2, INDEX_UINT8 = 3 };       /* SparseIndexVector */
enum { INDEX_VECTOR_VALUES = 0 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM_CODE = 1, OPCODE_VERSION = 2,
       OPCODE_BUILTIN = 3 };
enum { OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4,
       OP_CUSTOM_OPTIONS = 5 };
enum { SIG_INPUTS = 0, SIG_OUTPUTS = 1, SIG_KEY = 2, SIG_SUBGRAPH = 4 };
enum { TENSORMAP_NAME = 0, TENSORMAP_INDEX = 1 };

/* The format's Buffer.offset: values above 1 locate data outside the flatbuffer proper. */
#define LT_EXTERNAL_OFFSET_MIN 2

/* Limits that keep a hostile file from making us allocate absurd index arrays. */
#define LT_MAX_COUNT (1u << 24)

typedef struct lt_buffer_ref {
    const uint8_t *data;
    size_t size;
} lt_buffer_ref;

typedef struct loader {
    lt_model *model;
    fb_buf *buf;
    char *err;
    size_t err_len;
    int32_t n_buffers;
    lt_buffer_ref *buffers; /* temporary: freed after loading */
} loader;

static bool fail(loader *L, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static bool fail(loader *L, const char *fmt, ...) {
    if (L->err != NULL && L->err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(L->err, L->err_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Memory owned by the model: a block header, then LT_ALIGN-aligned data. */
static void *model_alloc(lt_model *m, size_t count, size_t elem) {
    size_t bytes, total;
    if (!lt_mul_size(count, elem, &bytes) || !lt_add_size(bytes, LT_ALIGN, &total)) return NULL;
    uint8_t *p = lt_aligned_calloc(&m->allocator, total);
    if (p == NULL) return NULL;
    lt_owned_block *b = (lt_owned_block *)p;
    b->next = m->owned;
    m->owned = b;
    return p + LT_ALIGN;
}

static void *alloc_or_fail(loader *L, size_t count, size_t elem, const char *what) {
    void *p = model_alloc(L->model, count == 0 ? 1 : count, elem);
    if (p == NULL) fail(L, "out of memory reading %s (%zu entries)", what, count);
    return p;
}

/* Reads an optional vector of int32 into a new model-owned array. */
static bool read_i32_vec(loader *L, const fb_table *t, int field, const char *what,
                         int32_t **out, int32_t *count) {
    bool err = false;
    fb_vec v;
    *out = NULL;
    *count = 0;
    if (!fb_vec_field(t, field, 4, &v, &err)) {
        if (err) return fail(L, "%s: vector out of bounds", what);
        *out = alloc_or_fail(L, 1, sizeof(int32_t), what);
        return *out != NULL;
    }
    if (v.len > LT_MAX_COUNT) return fail(L, "%s: %" PRIu32 " entries is too many", what, v.len);
    int32_t *a = alloc_or_fail(L, v.len, sizeof(int32_t), what);
    if (a == NULL) return false;
    for (uint32_t i = 0; i < v.len; i++) a[i] = fb_vec_i32(&v, i);
    *out = a;
    *count = (int32_t)v.len;
    return true;
}

static bool read_shape(loader *L, const fb_table *t, int field, const char *what, lt_shape *shape,
                       bool *present) {
    bool err = false;
    fb_vec v;
    memset(shape, 0, sizeof *shape);
    *present = fb_vec_field(t, field, 4, &v, &err);
    if (err) return fail(L, "%s: shape vector out of bounds", what);
    if (!*present) return true;
    if (v.len > LT_MAX_RANK)
        return fail(L, "%s: rank %" PRIu32 " exceeds the supported maximum of %d", what, v.len,
                    LT_MAX_RANK);
    shape->rank = (int32_t)v.len;
    for (uint32_t i = 0; i < v.len; i++) shape->dims[i] = fb_vec_i32(&v, i);
    return true;
}

static bool read_buffers(loader *L, const fb_table *root) {
    bool err = false;
    fb_vec v;
    if (!fb_vec_field(root, MODEL_BUFFERS, 4, &v, &err)) {
        if (err) return fail(L, "model buffers: vector out of bounds");
        return true; /* no buffers: every tensor must then be non-constant */
    }
    if (v.len > LT_MAX_COUNT) return fail(L, "model has too many buffers (%" PRIu32 ")", v.len);
    size_t buffers_bytes;
    if (!lt_mul_size(v.len == 0 ? 1 : v.len, sizeof *L->buffers, &buffers_bytes))
        return fail(L, "model has too many buffers (%" PRIu32 ")", v.len);
    L->buffers = lt_aligned_calloc(&L->model->allocator, buffers_bytes);
    if (L->buffers == NULL) return fail(L, "out of memory reading buffers");
    L->n_buffers = (int32_t)v.len;
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table b;
        if (!fb_vec_table(&v, i, &b)) return fail(L, "buffer %" PRIu32 ": table out of bounds", i);
        fb_vec data;
        if (fb_vec_field(&b, BUFFER_DATA, 1, &data, &err)) {
            L->buffers[i].data = L->buf->data + data.pos;
            L->buffers[i].size = data.len;
        }
        if (err) return fail(L, "buffer %" PRIu32 ": data out of bounds", i);
        uint64_t offset = fb_u64(&b, BUFFER_OFFSET, 0, &err);
        uint64_t size = fb_u64(&b, BUFFER_SIZE, 0, &err);
        if (err) return fail(L, "buffer %" PRIu32 ": fields out of bounds", i);
        if (offset >= LT_EXTERNAL_OFFSET_MIN) {
            if (offset > L->buf->size || size > L->buf->size - offset)
                return fail(L, "buffer %" PRIu32 ": external data [%llu, +%llu) lies outside "
                            "the %zu-byte file",
                            i, (unsigned long long)offset, (unsigned long long)size, L->buf->size);
            L->buffers[i].data = L->buf->data + offset;
            L->buffers[i].size = (size_t)size;
        }
    }
    return true;
}

static bool read_opcodes(loader *L, const fb_table *root) {
    bool err = false;
    fb_vec v;
    lt_model *m = L->model;
    if (!fb_vec_field(root, MODEL_OPERATOR_CODES, 4, &v, &err)) {
        if (err) return fail(L, "operator codes: vector out of bounds");
        return true;
    }
    if (v.len > LT_MAX_COUNT) return fail(L, "too many operator codes (%" PRIu32 ")", v.len);
    m->opcodes = alloc_or_fail(L, v.len, sizeof *m->opcodes, "operator codes");
    if (m->opcodes == NULL) return false;
    m->n_opcodes = (int32_t)v.len;
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table t;
        if (!fb_vec_table(&v, i, &t))
            return fail(L, "operator code %" PRIu32 ": table out of bounds", i);
        int32_t deprecated = fb_i8(&t, OPCODE_DEPRECATED_BUILTIN, 0, &err);
        int32_t code = fb_i32(&t, OPCODE_BUILTIN, 0, &err);
        /* Files from before the 32-bit field only set the 8-bit one; newer files set both,
         * with the 8-bit one saturated at 127: the larger value is the real code. */
        lt_opcode *oc = &m->opcodes[i];
        oc->builtin_code = code > deprecated ? code : deprecated;
        oc->version = fb_i32(&t, OPCODE_VERSION, 1, &err);
        uint32_t len;
        fb_string_field(&t, OPCODE_CUSTOM_CODE, &oc->custom_code, &len, &err);
        if (err) return fail(L, "operator code %" PRIu32 ": fields out of bounds", i);
        if (oc->builtin_code < 0)
            return fail(L, "operator code %" PRIu32 ": negative builtin code", i);
    }
    return true;
}

static bool read_quantization(loader *L, const fb_table *q, lt_model_tensor *t, const char *what) {
    bool err = false;
    fb_vec scales, zps;
    bool has_scales = fb_vec_field(q, QUANT_SCALE, 4, &scales, &err);
    bool has_zps = fb_vec_field(q, QUANT_ZERO_POINT, 8, &zps, &err);
    int32_t dim = fb_i32(q, QUANT_QUANTIZED_DIMENSION, 0, &err);
    uint8_t details = fb_u8(q, QUANT_DETAILS_TYPE, 0, &err);
    if (err) return fail(L, "%s: quantization parameters out of bounds", what);
    if (details != 0)
        return fail(L, "%s: custom quantization (details type %u) is not supported", what,
                    (unsigned)details);
    if (!has_scales || scales.len == 0) return true; /* min/max only: not quantized for us */
    if (scales.len > LT_MAX_COUNT) return fail(L, "%s: too many quantization scales", what);
    if (has_zps && zps.len != 0 && zps.len != scales.len)
        return fail(L, "%s: %" PRIu32 " quantization scales but %" PRIu32 " zero points", what,
                    scales.len, zps.len);
    float *s = alloc_or_fail(L, scales.len, sizeof(float), what);
    int64_t *z = alloc_or_fail(L, scales.len, sizeof(int64_t), what);
    if (s == NULL || z == NULL) return false;
    for (uint32_t i = 0; i < scales.len; i++) {
        s[i] = fb_vec_f32(&scales, i);
        z[i] = (has_zps && zps.len != 0) ? fb_vec_i64(&zps, i) : 0;
    }
    if (scales.len > 1) {
        if (dim < 0 || dim >= t->shape.rank)
            return fail(L, "%s: quantized_dimension %d out of range for rank %d", what, (int)dim,
                        (int)t->shape.rank);
        if (t->shape.dims[dim] != (int32_t)scales.len)
            return fail(L, "%s: %" PRIu32 " per-channel scales for dimension %d of size %d", what,
                        scales.len, (int)dim, (int)t->shape.dims[dim]);
    }
    t->quant.count = (int32_t)scales.len;
    t->quant.dimension = dim;
    t->quant.scale = s;
    t->quant.zero_point = z;
    return true;
}

/* Reads one SparseIndexVector (union tag at field `type_field`, table at `table_field`) of
 * exactly `count` entries into a model-owned int32 array. Values are only range-checked
 * for sign here; the caller checks what they mean. */
static bool read_index_vector(loader *L, const fb_table *dm, int type_field, int table_field,
                              int64_t count, const char *what, const char *role,
                              int32_t **out) {
    bool err = false;
    uint8_t tag = fb_u8(dm, type_field, 0, &err);
    fb_table vt;
    bool present = fb_table_field(dm, table_field, &vt, &err);
    if (err) return fail(L, "%s: %s out of bounds", what, role);
    if (!present || tag == 0)
        return fail(L, "%s: SPARSE_CSR dimension has no %s", what, role);
    size_t elem = tag == INDEX_INT32 ? 4 : tag == INDEX_UINT16 ? 2 : tag == INDEX_UINT8 ? 1 : 0;
    if (elem == 0)
        return fail(L, "%s: %s has index vector type %u; expected Int32Vector (1), "
                    "Uint16Vector (2) or Uint8Vector (3)", what, role, (unsigned)tag);
    fb_vec v;
    if (!fb_vec_field(&vt, INDEX_VECTOR_VALUES, elem, &v, &err)) {
        if (err) return fail(L, "%s: %s values out of bounds", what, role);
        v.len = 0;
    }
    if ((int64_t)v.len != count)
        return fail(L, "%s: %s has %" PRIu32 " entries; expected %lld", what, role, v.len,
                    (long long)count);
    int32_t *a = alloc_or_fail(L, (size_t)count, sizeof(int32_t), what);
    if (a == NULL) return false;
    for (uint32_t i = 0; i < v.len; i++) {
        if (elem == 4) {
            a[i] = fb_vec_i32(&v, i);
            if (a[i] < 0)
                return fail(L, "%s: %s entry %" PRIu32 " is negative (%d)", what, role, i,
                            (int)a[i]);
        } else if (elem == 2) {
            a[i] = fb_read_u16(v.buf, (size_t)v.pos + 2u * i);
        } else {
            a[i] = fb_vec_u8(&v, i);
        }
    }
    *out = a;
    return true;
}

/* Checks one SPARSE_CSR level: `parents` segments (parents + 1 boundaries) starting at 0,
 * never decreasing, each listing strictly increasing indices below `size`. Returns the
 * number of positions (stored indices) of the level in *positions. */
static bool read_csr_level(loader *L, const fb_table *dm, int64_t parents, int32_t size,
                           const char *what, lt_sparse_level *lv) {
    int32_t *seg, *idx;
    /* parents + 1 cannot overflow: parents is at most the dense element count. The
     * vector's length is compared with it before anything is allocated. */
    if (!read_index_vector(L, dm, DIM_SEGMENTS_TYPE, DIM_SEGMENTS, parents + 1, what,
                           "array_segments", &seg))
        return false;
    if (seg[0] != 0)
        return fail(L, "%s: array_segments starts at %d; expected 0", what, (int)seg[0]);
    for (int64_t p = 0; p < parents; p++)
        if (seg[p + 1] < seg[p])
            return fail(L, "%s: array_segments decreases at entry %lld (%d after %d); expected "
                        "non-decreasing boundaries", what, (long long)(p + 1), (int)seg[p + 1],
                        (int)seg[p]);
    const int64_t n = seg[parents];
    if (!read_index_vector(L, dm, DIM_INDICES_TYPE, DIM_INDICES, n, what, "array_indices", &idx))
        return false;
    for (int64_t p = 0; p < parents; p++)
        for (int64_t j = seg[p]; j < seg[p + 1]; j++) {
            if (idx[j] >= size)
                return fail(L, "%s: array_indices entry %lld is %d; expected an index below the "
                            "dimension size %d", what, (long long)j, (int)idx[j], (int)size);
            if (j > seg[p] && idx[j] <= idx[j - 1])
                return fail(L, "%s: array_indices entry %lld (%d) does not exceed the previous "
                            "one (%d) of its segment; expected strictly increasing indices",
                            what, (long long)j, (int)idx[j], (int)idx[j - 1]);
        }
    lv->segments = seg;
    lv->indices = idx;
    lv->positions = n;
    return true;
}

/* Reads and verifies Tensor.sparsity for a tensor of shape t->shape (the dense shape). */
static bool read_sparsity(loader *L, const fb_table *st, lt_model_tensor *t, const char *what) {
    bool err = false;
    char where[160];
    lt_sparsity *sp = alloc_or_fail(L, 1, sizeof *sp, what);
    if (sp == NULL) return false;
    const int32_t n = t->shape.rank;
    if (n < 1) return fail(L, "%s: sparse tensor has rank 0; expected rank >= 1", what);
    /* Bounds every level's position count: at most the product of the expanded sizes
     * walked so far, itself at most the dense element count. */
    size_t dense_bytes;
    if (!lt_shape_bytes(&t->shape, t->type, &dense_bytes))
        return fail(L, "%s: the dense size of the sparse tensor overflows", what);
    fb_vec order, bmap, dims;
    bool has_order = fb_vec_field(st, SPARSITY_TRAVERSAL_ORDER, 4, &order, &err);
    bool has_bmap = fb_vec_field(st, SPARSITY_BLOCK_MAP, 4, &bmap, &err);
    bool has_dims = fb_vec_field(st, SPARSITY_DIM_METADATA, 4, &dims, &err);
    if (err) return fail(L, "%s: sparsity parameters out of bounds", what);
    const uint32_t k = has_bmap ? bmap.len : 0;
    if (k > (uint32_t)n)
        return fail(L, "%s: block_map has %" PRIu32 " entries; expected at most the rank %d",
                    what, k,
                    (int)n);
    const uint32_t levels = (uint32_t)n + k;
    if (!has_order || order.len != levels)
        return fail(L, "%s: traversal_order has %" PRIu32 " entries; expected %" PRIu32
                    " (rank %d plus %" PRIu32 " block "
                    "dimensions)", what, has_order ? order.len : 0, levels, (int)n, k);
    if (!has_dims || dims.len != levels)
        return fail(L, "%s: dim_metadata has %" PRIu32 " entries; expected %" PRIu32
                    ", one per traversal level",
                    what, has_dims ? dims.len : 0, levels);
    sp->rank = n;
    sp->n_blocks = (int32_t)k;
    sp->n_levels = (int32_t)levels;

    /* traversal_order: the first n entries permute 0..n-1, the last k permute n..n+k-1. */
    bool seen[LT_MAX_SPARSE_LEVELS] = {false};
    for (uint32_t l = 0; l < levels; l++) {
        int32_t d = fb_vec_i32(&order, l);
        int32_t lo = l < (uint32_t)n ? 0 : n, hi = l < (uint32_t)n ? n : (int32_t)levels;
        if (d < lo || d >= hi || seen[d])
            return fail(L, "%s: traversal_order entry %" PRIu32 " is %d; expected a permutation of "
                        "0..%d followed by one of %d..%d", what, l, (int)d, (int)n - 1, (int)n,
                        (int)levels - 1);
        seen[d] = true;
        sp->levels[l].dim = d;
    }
    bool blocked[LT_MAX_RANK] = {false};
    for (uint32_t j = 0; j < k; j++) {
        int32_t d = fb_vec_i32(&bmap, j);
        if (d < 0 || d >= n || blocked[d])
            return fail(L, "%s: block_map entry %" PRIu32 " is %d; expected distinct dimensions in "
                        "0..%d", what, j, (int)d, (int)n - 1);
        blocked[d] = true;
        sp->block_map[j] = d;
    }

    /* Block sizes come from the (DENSE) levels of the block dimensions. */
    fb_table dm[LT_MAX_SPARSE_LEVELS];
    for (uint32_t l = 0; l < levels; l++)
        if (!fb_vec_table(&dims, l, &dm[l]))
            return fail(L, "%s: dim_metadata %" PRIu32 ": table out of bounds", what, l);
    for (int32_t d = 0; d < n; d++) sp->expanded[d] = t->shape.dims[d];
    for (uint32_t l = 0; l < levels; l++) {
        int32_t d = sp->levels[l].dim;
        if (d < n) continue;
        int8_t format = fb_i8(&dm[l], DIM_FORMAT, DIM_DENSE, &err);
        int32_t size = fb_i32(&dm[l], DIM_DENSE_SIZE, 0, &err);
        if (err) return fail(L, "%s: dim_metadata %" PRIu32 ": fields out of bounds", what, l);
        if (format != DIM_DENSE)
            return fail(L, "%s: dim_metadata %" PRIu32 " (block dimension %d) has format %d; "
                        "expected "
                        "DENSE (0)", what, l, (int)(d - n), (int)format);
        int32_t orig = sp->block_map[d - n];
        if (size <= 0 || t->shape.dims[orig] % size != 0)
            return fail(L, "%s: block size %d for dimension %d of size %d; expected a positive "
                        "divisor", what, (int)size, (int)orig, (int)t->shape.dims[orig]);
        sp->block_size[d - n] = size;
        sp->expanded[d] = size;
        sp->expanded[orig] = t->shape.dims[orig] / size;
    }

    int64_t positions = 1; /* positions at the level above: one root */
    for (uint32_t l = 0; l < levels; l++) {
        lt_sparse_level *lv = &sp->levels[l];
        snprintf(where, sizeof where, "%s: dim_metadata %" PRIu32, what, l);
        int8_t format = fb_i8(&dm[l], DIM_FORMAT, DIM_DENSE, &err);
        int32_t dense_size = fb_i32(&dm[l], DIM_DENSE_SIZE, 0, &err);
        if (err) return fail(L, "%s: fields out of bounds", where);
        lv->size = sp->expanded[lv->dim];
        if (format == DIM_DENSE) {
            if (dense_size != lv->size)
                return fail(L, "%s: DENSE dimension has dense_size %d; expected %d (the size of "
                            "expanded dimension %d)", where, (int)dense_size, (int)lv->size,
                            (int)lv->dim);
            /* positions * size never exceeds the dense element count, checked below. */
            lv->positions = positions * lv->size;
        } else if (format == DIM_SPARSE_CSR) {
            lv->sparse = true;
            if (!read_csr_level(L, &dm[l], positions, lv->size, where, lv)) return false;
        } else {
            return fail(L, "%s: format %d; expected DENSE (0) or SPARSE_CSR (1)", where,
                        (int)format);
        }
        positions = lv->positions;
    }
    sp->n_values = positions;
    t->sparsity = sp;
    return true;
}

static bool read_tensor(loader *L, const fb_table *tt, int32_t sg, uint32_t ti,
                        lt_model_tensor *t) {
    bool err = false;
    char what[96];
    snprintf(what, sizeof what, "subgraph %d tensor %" PRIu32, (int)sg, ti);
    uint32_t name_len;
    if (!fb_string_field(tt, TENSOR_NAME, &t->name, &name_len, &err)) t->name = "";
    if (err) return fail(L, "%s: name out of bounds", what);
    if (t->name[0] != '\0') snprintf(what, sizeof what, "tensor %" PRIu32 " '%.60s'", ti, t->name);

    /* Range-checked as an int before it becomes an lt_type: enums may be narrow and
     * unsigned (arm-none-eabi's short enums). */
    const int type = fb_i8(tt, TENSOR_TYPE, 0, &err);
    uint32_t buffer = fb_u32(tt, TENSOR_BUFFER, 0, &err);
    t->is_variable = fb_u8(tt, TENSOR_IS_VARIABLE, 0, &err) != 0;
    if (err) return fail(L, "%s: fields out of bounds", what);
    if (type < 0 || type > LT_BFLOAT16) return fail(L, "%s: unknown tensor type %d", what, type);
    t->type = (lt_type)type;

    bool present;
    if (!read_shape(L, tt, TENSOR_SHAPE, what, &t->shape, &present)) return false;
    if (!read_shape(L, tt, TENSOR_SHAPE_SIGNATURE, what, &t->signature, &t->has_signature))
        return false;
    for (int i = 0; i < t->shape.rank; i++)
        if (t->shape.dims[i] < 0)
            return fail(L, "%s: negative dimension %d in shape", what, (int)t->shape.dims[i]);
    /* A hostile file may declare dims whose product overflows: every later size computation
     * assumes the element count (and the byte count of a fixed-size type) fits. */
    if (lt_shape_elements(&t->shape) < 0)
        return fail(L, "%s: the element count of its shape overflows a 64-bit integer", what);
    size_t shape_bytes;
    if (lt_type_size(t->type) != 0 && !lt_shape_bytes(&t->shape, t->type, &shape_bytes))
        return fail(L, "%s: the byte size of its shape overflows this machine's size_t", what);
    if (t->has_signature && t->signature.rank != t->shape.rank)
        return fail(L, "%s: shape_signature rank %d differs from shape rank %d", what,
                    (int)t->signature.rank, (int)t->shape.rank);

    fb_table sparsity;
    if (fb_table_field(tt, TENSOR_SPARSITY, &sparsity, &err)) {
        if (t->is_variable) return fail(L, "%s: a variable tensor cannot be sparse", what);
        if (lt_type_size(t->type) == 0)
            return fail(L, "%s: sparse tensor of type %s; expected a type of fixed size", what,
                        lt_type_name(t->type));
        if (!read_sparsity(L, &sparsity, t, what)) return false;
    } else if (err) {
        return fail(L, "%s: sparsity table out of bounds", what);
    }

    fb_table q;
    if (fb_table_field(tt, TENSOR_QUANTIZATION, &q, &err)) {
        if (!read_quantization(L, &q, t, what)) return false;
    } else if (err) {
        return fail(L, "%s: quantization table out of bounds", what);
    }

    if ((int64_t)buffer >= (int64_t)L->n_buffers && !(buffer == 0 && L->n_buffers == 0))
        return fail(L, "%s: buffer index %" PRIu32 " out of range (model has %d buffers)", what,
                    buffer,
                    (int)L->n_buffers);
    const lt_buffer_ref *b = L->n_buffers ? &L->buffers[buffer] : NULL;
    if (t->sparsity != NULL) {
        /* The buffer holds exactly the stored values; none (all zeros) is legal too. */
        size_t expected, have = b != NULL ? b->size : 0;
        if (!lt_mul_size((size_t)t->sparsity->n_values, lt_type_size(t->type), &expected))
            return fail(L, "%s: sparse values size overflows", what);
        if (have != expected)
            return fail(L, "%s: sparse tensor buffer has %zu bytes; expected %zu (%lld stored "
                        "values of %zu bytes)", what, have, expected,
                        (long long)t->sparsity->n_values, lt_type_size(t->type));
        if (expected == 0) {
            /* Marks the tensor constant (data != NULL) with nothing to read. */
            t->data = alloc_or_fail(L, 1, 1, what);
            if (t->data == NULL) return false;
            t->data_bytes = 0;
            return true;
        }
    }
    if (b != NULL && b->size > 0) {
        size_t expected;
        if (t->sparsity != NULL) {
            expected = b->size; /* checked above */
        } else if (!lt_shape_bytes(&t->shape, t->type, &expected))
            return fail(L, "%s: constant of type %s has no fixed size or its size overflows",
                        what, lt_type_name(t->type));
        if (expected != b->size)
            return fail(L, "%s: constant data has %zu bytes but shape and type need %zu", what,
                        b->size, expected);
        t->data_bytes = b->size;
        if (((uintptr_t)b->data % 16) == 0) {
            t->data = b->data; /* zero-copy */
        } else {
            /* Kernels read constants as typed arrays, which C only allows when aligned. */
            void *copy = alloc_or_fail(L, b->size, 1, what);
            if (copy == NULL) return false;
            memcpy(copy, b->data, b->size);
            t->data = copy;
        }
    }
    return true;
}

static bool check_index_list(loader *L, const int32_t *idx, int32_t n, int32_t n_tensors,
                             bool allow_omitted, const char *what, int32_t where) {
    for (int32_t i = 0; i < n; i++) {
        if (idx[i] == -1 && allow_omitted) continue;
        if (idx[i] < 0 || idx[i] >= n_tensors)
            return fail(L, "%s %d: tensor index %d out of range (subgraph has %d tensors)", what,
                        (int)where, (int)idx[i], (int)n_tensors);
    }
    return true;
}

static bool read_operator(loader *L, const fb_table *ot, int32_t sg, uint32_t oi,
                          int32_t n_tensors, lt_model_op *op) {
    bool err = false;
    lt_model *m = L->model;
    char what[64];
    snprintf(what, sizeof what, "subgraph %d operator %" PRIu32, (int)sg, oi);
    uint32_t opcode = fb_u32(ot, OP_OPCODE_INDEX, 0, &err);
    op->options_type = fb_u8(ot, OP_OPTIONS_TYPE, 0, &err);
    if (err) return fail(L, "%s: fields out of bounds", what);
    if (opcode >= (uint32_t)m->n_opcodes)
        return fail(L, "%s: opcode index %" PRIu32 " out of range (model has %d operator codes)",
                    what,
                    opcode, (int)m->n_opcodes);
    op->opcode_index = (int32_t)opcode;
    op->builtin_code = m->opcodes[opcode].builtin_code;
    op->custom_code = m->opcodes[opcode].custom_code;
    int32_t *ins, *outs;
    if (!read_i32_vec(L, ot, OP_INPUTS, what, &ins, &op->n_inputs)) return false;
    if (!read_i32_vec(L, ot, OP_OUTPUTS, what, &outs, &op->n_outputs)) return false;
    op->inputs = ins;
    op->outputs = outs;
    if (!check_index_list(L, ins, op->n_inputs, n_tensors, true, "operator input of op",
                          (int32_t)oi) ||
        !check_index_list(L, outs, op->n_outputs, n_tensors, false, "operator output of op",
                          (int32_t)oi))
        return false;
    if (fb_table_field(ot, OP_OPTIONS, &op->options, &err)) {
        if (op->options_type == 0) memset(&op->options, 0, sizeof op->options);
    } else if (err) {
        return fail(L, "%s: builtin options table out of bounds", what);
    }
    op->options.buf = L->buf;
    fb_vec custom;
    if (fb_vec_field(ot, OP_CUSTOM_OPTIONS, 1, &custom, &err)) {
        op->custom_options = L->buf->data + custom.pos;
        op->custom_options_bytes = custom.len;
    } else if (err) {
        return fail(L, "%s: custom options out of bounds", what);
    }
    return true;
}

static bool read_subgraph(loader *L, const fb_table *st, int32_t sg, lt_subgraph *g) {
    bool err = false;
    uint32_t len;
    if (!fb_string_field(st, SUBGRAPH_NAME, &g->name, &len, &err)) g->name = "";
    if (err) return fail(L, "subgraph %d: name out of bounds", (int)sg);

    fb_vec tensors;
    if (!fb_vec_field(st, SUBGRAPH_TENSORS, 4, &tensors, &err) && err)
        return fail(L, "subgraph %d: tensor vector out of bounds", (int)sg);
    if (tensors.len > LT_MAX_COUNT) return fail(L, "subgraph %d: too many tensors", (int)sg);
    g->n_tensors = (int32_t)tensors.len;
    g->tensors = alloc_or_fail(L, tensors.len, sizeof *g->tensors, "tensors");
    if (g->tensors == NULL) return false;
    for (uint32_t i = 0; i < tensors.len; i++) {
        fb_table tt;
        if (!fb_vec_table(&tensors, i, &tt))
            return fail(L, "subgraph %d tensor %" PRIu32 ": table out of bounds", (int)sg, i);
        if (!read_tensor(L, &tt, sg, i, &g->tensors[i])) return false;
    }

    if (!read_i32_vec(L, st, SUBGRAPH_INPUTS, "subgraph inputs", &g->inputs, &g->n_inputs) ||
        !read_i32_vec(L, st, SUBGRAPH_OUTPUTS, "subgraph outputs", &g->outputs, &g->n_outputs))
        return false;
    if (!check_index_list(L, g->inputs, g->n_inputs, g->n_tensors, false, "input of subgraph",
                          sg) ||
        !check_index_list(L, g->outputs, g->n_outputs, g->n_tensors, false,
                          "output of subgraph", sg))
        return false;

    fb_vec ops;
    if (!fb_vec_field(st, SUBGRAPH_OPERATORS, 4, &ops, &err) && err)
        return fail(L, "subgraph %d: operator vector out of bounds", (int)sg);
    if (ops.len > LT_MAX_COUNT) return fail(L, "subgraph %d: too many operators", (int)sg);
    g->n_ops = (int32_t)ops.len;
    g->ops = alloc_or_fail(L, ops.len, sizeof *g->ops, "operators");
    if (g->ops == NULL) return false;
    for (uint32_t i = 0; i < ops.len; i++) {
        fb_table ot;
        if (!fb_vec_table(&ops, i, &ot))
            return fail(L, "subgraph %d operator %" PRIu32 ": table out of bounds", (int)sg, i);
        if (!read_operator(L, &ot, sg, i, g->n_tensors, &g->ops[i])) return false;
    }
    return true;
}

static bool read_signature_io(loader *L, const fb_table *st, int field, int32_t sig,
                              int32_t n_tensors, lt_signature_io **out, int32_t *count) {
    bool err = false;
    fb_vec v;
    *out = NULL;
    *count = 0;
    if (!fb_vec_field(st, field, 4, &v, &err)) {
        if (err) return fail(L, "signature %d: tensor map out of bounds", (int)sig);
        return true;
    }
    if (v.len > LT_MAX_COUNT) return fail(L, "signature %d: too many entries", (int)sig);
    lt_signature_io *a = alloc_or_fail(L, v.len, sizeof *a, "signature");
    if (a == NULL) return false;
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table mt;
        uint32_t len;
        if (!fb_vec_table(&v, i, &mt))
            return fail(L, "signature %d entry %" PRIu32 ": table out of bounds", (int)sig, i);
        if (!fb_string_field(&mt, TENSORMAP_NAME, &a[i].name, &len, &err)) a[i].name = "";
        uint32_t idx = fb_u32(&mt, TENSORMAP_INDEX, 0, &err);
        if (err)
            return fail(L, "signature %d entry %" PRIu32 ": fields out of bounds", (int)sig, i);
        if (idx >= (uint32_t)n_tensors)
            return fail(L, "signature %d entry '%s': tensor index %" PRIu32 " out of range",
                        (int)sig,
                        a[i].name, idx);
        a[i].tensor = (int32_t)idx;
    }
    *out = a;
    *count = (int32_t)v.len;
    return true;
}

static bool read_signatures(loader *L, const fb_table *root) {
    bool err = false;
    fb_vec v;
    lt_model *m = L->model;
    if (!fb_vec_field(root, MODEL_SIGNATURE_DEFS, 4, &v, &err)) {
        if (err) return fail(L, "signature defs: vector out of bounds");
        return true;
    }
    if (v.len > LT_MAX_COUNT) return fail(L, "too many signatures");
    m->signatures = alloc_or_fail(L, v.len, sizeof *m->signatures, "signatures");
    if (m->signatures == NULL) return false;
    m->n_signatures = (int32_t)v.len;
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table st;
        lt_signature *s = &m->signatures[i];
        uint32_t len;
        if (!fb_vec_table(&v, i, &st))
            return fail(L, "signature %" PRIu32 ": table out of bounds", i);
        if (!fb_string_field(&st, SIG_KEY, &s->key, &len, &err)) s->key = "";
        uint32_t sg = fb_u32(&st, SIG_SUBGRAPH, 0, &err);
        if (err) return fail(L, "signature %" PRIu32 ": fields out of bounds", i);
        if (sg >= (uint32_t)m->n_subgraphs)
            return fail(L, "signature '%s': subgraph index %" PRIu32 " out of range", s->key, sg);
        s->subgraph = (int32_t)sg;
        int32_t nt = m->subgraphs[sg].n_tensors;
        if (!read_signature_io(L, &st, SIG_INPUTS, (int32_t)i, nt, &s->inputs, &s->n_inputs) ||
            !read_signature_io(L, &st, SIG_OUTPUTS, (int32_t)i, nt, &s->outputs, &s->n_outputs))
            return false;
    }
    return true;
}

static bool read_model(loader *L) {
    lt_model *m = L->model;
    fb_buf *b = L->buf;
    bool err = false;
    if (b->size < 8) return fail(L, "not a model: %zu bytes is too short for a flatbuffer", b->size);
    if (memcmp(b->data + 4, "TFL3", 4) != 0)
        return fail(L, "not a TensorFlow Lite model: file identifier is not 'TFL3'");
    fb_table root;
    if (!fb_root(b, &root)) return fail(L, "corrupt model: root table out of bounds");
    uint32_t version = fb_u32(&root, MODEL_VERSION, 0, &err);
    if (err) return fail(L, "corrupt model: version field out of bounds");
    if (version != 3)
        return fail(L, "unsupported schema version %" PRIu32 " (this runtime reads version 3)",
                    version);
    uint32_t len;
    if (!fb_string_field(&root, MODEL_DESCRIPTION, &m->description, &len, &err)) m->description = "";
    if (err) return fail(L, "corrupt model: description out of bounds");

    if (!read_buffers(L, &root) || !read_opcodes(L, &root)) return false;

    fb_vec sgs;
    if (!fb_vec_field(&root, MODEL_SUBGRAPHS, 4, &sgs, &err) || sgs.len == 0)
        return fail(L, err ? "corrupt model: subgraph vector out of bounds"
                           : "model has no subgraphs");
    if (sgs.len > LT_MAX_COUNT) return fail(L, "too many subgraphs");
    m->subgraphs = alloc_or_fail(L, sgs.len, sizeof *m->subgraphs, "subgraphs");
    if (m->subgraphs == NULL) return false;
    m->n_subgraphs = (int32_t)sgs.len;
    for (uint32_t i = 0; i < sgs.len; i++) {
        fb_table st;
        if (!fb_vec_table(&sgs, i, &st))
            return fail(L, "subgraph %" PRIu32 ": table out of bounds", i);
        if (!read_subgraph(L, &st, (int32_t)i, &m->subgraphs[i])) return false;
    }
    return read_signatures(L, &root);
}

lt_model *lt_model_from_buffer(const void *data, size_t size, char *err, size_t err_len) {
    return lt_model_from_buffer_with_allocator(data, size, NULL, err, err_len);
}

lt_model *lt_model_from_buffer_with_allocator(const void *data, size_t size,
                                              const lt_allocator *allocator, char *err,
                                              size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (data == NULL) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "model buffer is NULL");
        return NULL;
    }
    if (size > UINT32_MAX) {
        /* FlatBuffers address at most 2 GiB with 32-bit offsets. */
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "model of %zu bytes exceeds the 4 GiB FlatBuffers limit", size);
        return NULL;
    }
    lt_allocator heap = {NULL, NULL, NULL};
    if (allocator != NULL) heap = *allocator;
    lt_model *m = lt_aligned_calloc(&heap, sizeof *m);
    if (m == NULL) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "out of memory");
        return NULL;
    }
    m->allocator = heap;
    m->buf.data = data;
    m->buf.size = size;
    loader L = {m, &m->buf, err, err_len, 0, NULL};
    bool ok = read_model(&L);
    lt_aligned_free(&m->allocator, L.buffers);
    if (!ok) {
        lt_model_free(m);
        return NULL;
    }
    return m;
}

lt_model *lt_model_from_file(const char *path, char *err, size_t err_len) {
    if (err != NULL && err_len > 0) err[0] = '\0';
    if (path == NULL) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "model path is NULL");
        return NULL;
    }
#if defined(LITERT_NO_FILESYSTEM)
    if (err != NULL && err_len > 0)
        snprintf(err, err_len, "cannot load '%s': this build has no file system "
                 "(LITERT_FILESYSTEM=OFF); load the model from memory with "
                 "lt_model_from_buffer", path);
    return NULL;
#else
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "cannot open model file '%s'", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "'%s' is not a regular, non-empty file", path);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "cannot map model file '%s'", path);
        return NULL;
    }
    lt_model *m = lt_model_from_buffer(map, size, err, err_len);
    if (m == NULL) {
        munmap(map, size);
        return NULL;
    }
    m->mapping = map;
    m->mapping_size = size;
    return m;
#endif
}

void lt_model_free(lt_model *m) {
    if (m == NULL) return;
    const lt_allocator heap = m->allocator; /* m itself is freed with it */
    lt_owned_block *b = m->owned;
    while (b != NULL) {
        lt_owned_block *next = b->next;
        lt_aligned_free(&heap, b);
        b = next;
    }
#if !defined(LITERT_NO_FILESYSTEM)
    if (m->mapping != NULL) munmap(m->mapping, m->mapping_size);
#endif
    lt_aligned_free(&heap, m);
}

int lt_model_subgraph_count(const lt_model *m) { return m ? m->n_subgraphs : 0; }
const char *lt_model_description(const lt_model *m) { return m ? m->description : ""; }
int lt_model_signature_count(const lt_model *m) { return m ? m->n_signatures : 0; }

static const lt_signature *signature_at(const lt_model *m, int sig) {
    if (m == NULL || sig < 0 || sig >= m->n_signatures) return NULL;
    return &m->signatures[sig];
}

const char *lt_model_signature_key(const lt_model *m, int sig) {
    const lt_signature *s = signature_at(m, sig);
    return s ? s->key : NULL;
}

int lt_model_signature_subgraph(const lt_model *m, int sig) {
    const lt_signature *s = signature_at(m, sig);
    return s ? s->subgraph : -1;
}

int lt_model_signature_io_count(const lt_model *m, int sig, int is_output) {
    const lt_signature *s = signature_at(m, sig);
    if (s == NULL) return 0;
    return is_output ? s->n_outputs : s->n_inputs;
}

static const lt_signature_io *signature_io(const lt_model *m, int sig, int is_output, int i) {
    const lt_signature *s = signature_at(m, sig);
    if (s == NULL || i < 0) return NULL;
    if (is_output) return i < s->n_outputs ? &s->outputs[i] : NULL;
    return i < s->n_inputs ? &s->inputs[i] : NULL;
}

const char *lt_model_signature_io_name(const lt_model *m, int sig, int is_output, int i) {
    const lt_signature_io *io = signature_io(m, sig, is_output, i);
    return io ? io->name : NULL;
}

int lt_model_signature_io_tensor(const lt_model *m, int sig, int is_output, int i) {
    const lt_signature_io *io = signature_io(m, sig, is_output, i);
    return io ? io->tensor : -1;
}
