#include "tensor.h"

#include <string.h>

#include <stdio.h>

#include "alloc.h"

size_t lt_type_size(lt_type type) {
    switch (type) {
    case LT_FLOAT32: case LT_INT32: case LT_UINT32: return 4;
    case LT_FLOAT16: case LT_INT16: case LT_UINT16: case LT_BFLOAT16: return 2;
    case LT_UINT8: case LT_INT8: case LT_BOOL: return 1;
    case LT_INT64: case LT_UINT64: case LT_FLOAT64: case LT_COMPLEX64: return 8;
    case LT_COMPLEX128: return 16;
    default: return 0; /* STRING, RESOURCE, VARIANT, INT4: not stored as plain arrays here */
    }
}

const char *lt_type_name(lt_type type) {
    switch (type) {
    case LT_FLOAT32: return "FLOAT32";
    case LT_FLOAT16: return "FLOAT16";
    case LT_INT32: return "INT32";
    case LT_UINT8: return "UINT8";
    case LT_INT64: return "INT64";
    case LT_STRING: return "STRING";
    case LT_BOOL: return "BOOL";
    case LT_INT16: return "INT16";
    case LT_COMPLEX64: return "COMPLEX64";
    case LT_INT8: return "INT8";
    case LT_FLOAT64: return "FLOAT64";
    case LT_COMPLEX128: return "COMPLEX128";
    case LT_UINT64: return "UINT64";
    case LT_RESOURCE: return "RESOURCE";
    case LT_VARIANT: return "VARIANT";
    case LT_UINT32: return "UINT32";
    case LT_UINT16: return "UINT16";
    case LT_INT4: return "INT4";
    case LT_BFLOAT16: return "BFLOAT16";
    }
    return "UNKNOWN";
}

int64_t lt_shape_elements(const lt_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        int32_t d = s->dims[i];
        if (d < 0) return -1;
        if (d != 0 && n > INT64_MAX / d) return -1;
        n *= d;
    }
    return n;
}

bool lt_shape_bytes(const lt_shape *s, lt_type type, size_t *bytes) {
    size_t es = lt_type_size(type);
    int64_t n = lt_shape_elements(s);
    if (es == 0 || n < 0 || (uint64_t)n > (uint64_t)SIZE_MAX) return false;
    return lt_mul_size((size_t)n, es, bytes);
}

bool lt_shape_equal(const lt_shape *a, const lt_shape *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

const char *lt_shape_str(const lt_shape *s, char *buf, size_t buf_len) {
    if (buf_len == 0) return buf;
    size_t used = 0;
    int w = snprintf(buf, buf_len, "[");
    if (w > 0) used = (size_t)w;
    for (int i = 0; i < s->rank && used < buf_len; i++) {
        w = snprintf(buf + used, buf_len - used, i ? ", %d" : "%d", (int)s->dims[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used < buf_len) snprintf(buf + used, buf_len - used, "]");
    return buf;
}

const char *lt_type_name_of(lt_type type) { return lt_type_name(type); }

void lt_tensor_fill_info(const lt_tensor *t, lt_tensor_info *info) {
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->type = t->type;
    info->rank = t->shape.rank;
    info->dims = t->shape.dims;
    info->signature_rank = t->has_signature ? t->signature.rank : 0;
    info->dims_signature = t->signature.dims;
    info->bytes = t->bytes;
    info->is_constant = t->is_constant;
    info->quant_count = t->quant.count;
    info->quant_dimension = t->quant.dimension;
    info->quant_scales = t->quant.scale;
    info->quant_zero_points = t->quant.zero_point;
}
