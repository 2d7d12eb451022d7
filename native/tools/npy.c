/* .npy reading and writing for litert-run. See npy.h for the contract.
 *
 * The format: the magic "\x93NUMPY", a major and a minor version byte, the header length
 * (2 bytes little-endian in version 1.x, 4 bytes in 2.x and 3.x), then the header: a Python
 * dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded
 * with spaces and ended by a newline. The raw array data follows the header. The header is
 * parsed here with a small grammar of its own rather than trusted in any way. */
#include "npy.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* Headers larger than this are refused: NumPy itself refuses headers over 10000 bytes by
 * default, and a bound keeps a hostile header from costing more than a moment to scan. */
#define NPY_MAX_HEADER_LEN (1u << 20)

static void set_err(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

static bool host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* ---- dtype strings -------------------------------------------------------------------- */

typedef struct dtype_entry {
    const char *code; /* kind letter and item size, without the byte-order character */
    lt_type type;
    size_t item_size;
} dtype_entry;

static const dtype_entry dtype_table[] = {
    {"f4", LT_FLOAT32, 4},    {"f2", LT_FLOAT16, 2},    {"f8", LT_FLOAT64, 8},
    {"i1", LT_INT8, 1},       {"i2", LT_INT16, 2},      {"i4", LT_INT32, 4},
    {"i8", LT_INT64, 8},      {"u1", LT_UINT8, 1},      {"u2", LT_UINT16, 2},
    {"u4", LT_UINT32, 4},     {"u8", LT_UINT64, 8},     {"b1", LT_BOOL, 1},
    {"c8", LT_COMPLEX64, 8},  {"c16", LT_COMPLEX128, 16},
};
#define DTYPE_COUNT (sizeof dtype_table / sizeof dtype_table[0])

const char *npy_descr_of(lt_type type) {
    switch (type) {
    case LT_FLOAT32: return "<f4";
    case LT_FLOAT16: return "<f2";
    case LT_FLOAT64: return "<f8";
    case LT_INT8: return "|i1";
    case LT_INT16: return "<i2";
    case LT_INT32: return "<i4";
    case LT_INT64: return "<i8";
    case LT_UINT8: return "|u1";
    case LT_UINT16: return "<u2";
    case LT_UINT32: return "<u4";
    case LT_UINT64: return "<u8";
    case LT_BOOL: return "|b1";
    case LT_COMPLEX64: return "<c8";
    case LT_COMPLEX128: return "<c16";
    default: return NULL;
    }
}

static size_t item_size_of(lt_type type) {
    for (size_t i = 0; i < DTYPE_COUNT; i++)
        if (dtype_table[i].type == type) return dtype_table[i].item_size;
    return 0;
}

/* Maps a descr such as "<f4" or "|u1" to a type. '<' is little-endian, '|' "byte order not
 * applicable" (NumPy writes it for one-byte types); big-endian data is refused by name. */
static int descr_to_type(const char *descr, lt_type *type, size_t *item_size, char *err,
                         size_t err_len) {
    char order = descr[0];
    if (order == '>') {
        set_err(err, err_len, "dtype '%s' is big-endian; only little-endian data is supported",
                descr);
        return -1;
    }
    if (order != '<' && order != '|' && order != '=') {
        set_err(err, err_len, "unsupported dtype '%s' (expected e.g. '<f4', '|i1', '<i4')", descr);
        return -1;
    }
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (strcmp(descr + 1, dtype_table[i].code) != 0) continue;
        /* '|' only makes sense for one-byte items; '=' (native) is little-endian on the hosts
         * this tool accepts, but NumPy never writes it for multi-byte types either way. */
        if (order == '|' && dtype_table[i].item_size != 1) break;
        *type = dtype_table[i].type;
        *item_size = dtype_table[i].item_size;
        return 0;
    }
    set_err(err, err_len, "unsupported dtype '%s' (supported: float16/32/64, int8/16/32/64, "
                          "uint8/16/32/64, bool, complex64/128)", descr);
    return -1;
}

/* ---- header dict parser --------------------------------------------------------------- */

/* A cursor over the header text; every read checks against `end`. */
typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept_char(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A Python string literal in single or double quotes, without escapes (no dtype string or
 * key needs one). Copies it into `out` (capacity out_len, NUL-terminated). */
static int parse_string(cursor *c, char *out, size_t out_len, const char *what, char *err,
                        size_t err_len) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) {
        set_err(err, err_len, "header: expected a quoted string for %s", what);
        return -1;
    }
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '\\' || ch < 0x20 || ch >= 0x7f) {
            set_err(err, err_len, "header: unexpected character in %s", what);
            return -1;
        }
        if (n + 1 >= out_len) {
            set_err(err, err_len, "header: %s is too long", what);
            return -1;
        }
        out[n++] = (char)ch;
        c->p++;
    }
    if (c->p >= c->end) {
        set_err(err, err_len, "header: unterminated string in %s", what);
        return -1;
    }
    c->p++; /* closing quote */
    out[n] = '\0';
    return 0;
}

static int parse_bool(cursor *c, bool *value, char *err, size_t err_len) {
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *value = true;
    } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *value = false;
    } else {
        set_err(err, err_len, "header: 'fortran_order' must be True or False");
        return -1;
    }
    /* "Truex" is not a boolean. */
    if (c->p < c->end && (*c->p == '_' || (*c->p >= 'a' && *c->p <= 'z') ||
                          (*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= '0' && *c->p <= '9'))) {
        set_err(err, err_len, "header: 'fortran_order' must be True or False");
        return -1;
    }
    return 0;
}

/* A non-negative decimal dimension that fits in int32 (the runtime's dimension type). Old
 * files written by Python 2 may carry an 'L' suffix on longs; it is accepted. */
static int parse_dim(cursor *c, int32_t *dim, char *err, size_t err_len) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
        set_err(err, err_len, "header: 'shape' must be a tuple of non-negative integers");
        return -1;
    }
    uint32_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        uint32_t digit = (uint32_t)(*c->p - '0');
        if (v > ((uint32_t)INT32_MAX - digit) / 10u) { /* checked before it can wrap */
            set_err(err, err_len, "header: a dimension in 'shape' exceeds %d", (int)INT32_MAX);
            return -1;
        }
        v = v * 10u + digit;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L') c->p++;
    *dim = (int32_t)v;
    return 0;
}

/* A Python tuple of dimensions: "()", "(3,)", "(2, 3)", "(2, 3,)". A lone "(3)" is an int in
 * Python, not a tuple, so it is refused as NumPy refuses it. */
static int parse_shape(cursor *c, npy_array *out, char *err, size_t err_len) {
    if (!accept_char(c, '(')) {
        set_err(err, err_len, "header: 'shape' must be a tuple");
        return -1;
    }
    int rank = 0;
    bool trailing_comma = false;
    while (!accept_char(c, ')')) {
        if (rank > 0 && !trailing_comma) {
            set_err(err, err_len, "header: expected ',' or ')' in 'shape'");
            return -1;
        }
        if (rank == NPY_MAX_RANK) {
            set_err(err, err_len, "header: 'shape' has more than %d dimensions", NPY_MAX_RANK);
            return -1;
        }
        if (parse_dim(c, &out->dims[rank], err, err_len) != 0) return -1;
        rank++;
        trailing_comma = accept_char(c, ',');
    }
    if (rank == 1 && !trailing_comma) {
        set_err(err, err_len, "header: 'shape' must be a tuple (a one-element tuple is '(n,)')");
        return -1;
    }
    out->rank = rank;
    return 0;
}

/* Parses the header dict; exactly the keys 'descr', 'fortran_order' and 'shape', each once.
 * Fills type, descr, rank and dims of `out`, and *fortran_order. */
static int parse_header_dict(const char *text, size_t len, npy_array *out, bool *fortran_order,
                             size_t *item_size, char *err, size_t err_len) {
    cursor c = {text, text + len};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept_char(&c, '{')) {
        set_err(err, err_len, "header: expected a dict starting with '{'");
        return -1;
    }
    while (!accept_char(&c, '}')) {
        char key[32];
        if (parse_string(&c, key, sizeof key, "a key", err, err_len) != 0) return -1;
        if (!accept_char(&c, ':')) {
            set_err(err, err_len, "header: expected ':' after key '%s'", key);
            return -1;
        }
        if (strcmp(key, "descr") == 0 && !have_descr) {
            skip_space(&c);
            if (c.p < c.end && (*c.p == '[' || *c.p == '{')) {
                set_err(err, err_len, "header: structured dtypes are not supported");
                return -1;
            }
            if (parse_string(&c, out->descr, sizeof out->descr, "'descr'", err, err_len) != 0)
                return -1;
            if (out->descr[0] == '\0') {
                set_err(err, err_len, "header: 'descr' is empty");
                return -1;
            }
            if (descr_to_type(out->descr, &out->type, item_size, err, err_len) != 0) return -1;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (parse_bool(&c, fortran_order, err, err_len) != 0) return -1;
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (parse_shape(&c, out, err, err_len) != 0) return -1;
            have_shape = true;
        } else if (strcmp(key, "descr") == 0 || strcmp(key, "fortran_order") == 0 ||
                   strcmp(key, "shape") == 0) {
            set_err(err, err_len, "header: key '%s' appears twice", key);
            return -1;
        } else {
            set_err(err, err_len, "header: unexpected key '%s' (expected 'descr', "
                                  "'fortran_order', 'shape')", key);
            return -1;
        }
        if (accept_char(&c, ',')) continue;
        skip_space(&c);
        if (c.p >= c.end || *c.p != '}') {
            set_err(err, err_len, "header: expected ',' or '}' after the value of '%s'", key);
            return -1;
        }
    }
    skip_space(&c);
    if (c.p != c.end) {
        set_err(err, err_len, "header: unexpected text after the dict");
        return -1;
    }
    if (!have_descr || !have_order || !have_shape) {
        set_err(err, err_len, "header: missing key '%s'",
                !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
        return -1;
    }
    return 0;
}

/* ---- whole file ----------------------------------------------------------------------- */

static void shape_text(const int32_t *dims, int rank, char *buf, size_t buf_len) {
    size_t used = 0;
    for (int i = 0; i < rank && used < buf_len; i++) {
        int w = snprintf(buf + used, buf_len - used, i == 0 ? "%d" : ", %d", (int)dims[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (used >= buf_len) used = buf_len - 1;
    buf[used] = '\0';
}

/* Checks the prefix and header of `file` and fills everything in `out` except data;
 * *data_offset is where the array data starts. */
static int parse_layout(const uint8_t *file, size_t size, npy_array *out, size_t *data_offset,
                        char *err, size_t err_len) {
    memset(out, 0, sizeof *out);
    if (size < 10 || memcmp(file, npy_magic, sizeof npy_magic) != 0) {
        set_err(err, err_len, "not a .npy file (too short, or no \\x93NUMPY magic)");
        return -1;
    }
    unsigned major = file[6], minor = file[7];
    size_t prefix, header_len;
    if (major == 1) {
        prefix = 10;
        header_len = (size_t)file[8] | (size_t)file[9] << 8;
    } else if (major == 2 || major == 3) {
        prefix = 12;
        if (size < prefix) {
            set_err(err, err_len, "truncated .npy prefix (%zu bytes)", size);
            return -1;
        }
        uint32_t len32 = (uint32_t)file[8] | (uint32_t)file[9] << 8 | (uint32_t)file[10] << 16 |
                         (uint32_t)file[11] << 24;
        header_len = len32;
    } else {
        set_err(err, err_len, "unsupported .npy format version %u.%u (expected 1.0, 2.0 or 3.0)",
                major, minor);
        return -1;
    }
    if (minor != 0) {
        set_err(err, err_len, "unsupported .npy format version %u.%u (expected 1.0, 2.0 or 3.0)",
                major, minor);
        return -1;
    }
    if (header_len > NPY_MAX_HEADER_LEN) {
        set_err(err, err_len, "header length %zu exceeds the limit of %u bytes", header_len,
                NPY_MAX_HEADER_LEN);
        return -1;
    }
    if (header_len > size - prefix) {
        set_err(err, err_len, "truncated header: it claims %zu bytes but the file has %zu after "
                              "the prefix", header_len, size - prefix);
        return -1;
    }
    bool fortran_order = false;
    size_t item_size = 0;
    if (parse_header_dict((const char *)file + prefix, header_len, out, &fortran_order,
                          &item_size, err, err_len) != 0)
        return -1;

    size_t count = 1;
    int non_unit_dims = 0;
    for (int d = 0; d < out->rank; d++) {
        size_t dim = (size_t)out->dims[d];
        if (dim > 1) non_unit_dims++;
        if (dim != 0 && count > SIZE_MAX / dim) {
            set_err(err, err_len, "shape is too large (element count overflows)");
            return -1;
        }
        count *= dim;
    }
    /* Fortran and C order lay out the same bytes when at most one dimension exceeds 1. */
    if (fortran_order && non_unit_dims > 1) {
        set_err(err, err_len, "Fortran-ordered arrays are not supported; save a C-ordered array "
                              "(np.ascontiguousarray)");
        return -1;
    }
    if (item_size != 0 && count > SIZE_MAX / item_size) {
        set_err(err, err_len, "shape is too large (byte size overflows)");
        return -1;
    }
    out->bytes = count * item_size;
    if (item_size > 1 && !host_is_little_endian()) {
        set_err(err, err_len, "multi-byte data needs a little-endian host");
        return -1;
    }
    *data_offset = prefix + header_len;
    size_t available = size - *data_offset;
    if (available != out->bytes) {
        char shape[128];
        shape_text(out->dims, out->rank, shape, sizeof shape);
        set_err(err, err_len, "%s data: shape (%s) of dtype '%s' needs %zu bytes but the file "
                              "holds %zu", available < out->bytes ? "truncated" : "unexpected",
                shape, out->descr, out->bytes, available);
        return -1;
    }
    return 0;
}

int npy_parse(const uint8_t *file, size_t size, npy_array *out, char *err, size_t err_len) {
    size_t offset;
    if (file == NULL || out == NULL) {
        set_err(err, err_len, "npy_parse: NULL argument");
        return -1;
    }
    if (parse_layout(file, size, out, &offset, err, err_len) != 0) return -1;
    out->data = malloc(out->bytes > 0 ? out->bytes : 1);
    if (out->data == NULL) {
        set_err(err, err_len, "out of memory for %zu bytes of array data", out->bytes);
        return -1;
    }
    if (out->bytes > 0) memcpy(out->data, file + offset, out->bytes);
    return 0;
}

int npy_read(const char *path, npy_array *out, char *err, size_t err_len) {
    char why[256];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_err(err, err_len, "%s: cannot open (no such file or not readable)", path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        set_err(err, err_len, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
        fclose(f);
        set_err(err, err_len, "%s: file too large", path);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL) {
        fclose(f);
        set_err(err, err_len, "%s: out of memory reading %zu bytes", path, size);
        return -1;
    }
    size_t got = size > 0 ? fread(buf, 1, size, f) : 0;
    fclose(f);
    if (got != size) {
        free(buf);
        set_err(err, err_len, "%s: read error (got %zu of %zu bytes)", path, got, size);
        return -1;
    }
    size_t offset;
    if (parse_layout(buf, size, out, &offset, why, sizeof why) != 0) {
        free(buf);
        set_err(err, err_len, "%s: %s", path, why);
        return -1;
    }
    /* Keep the file buffer as the array: slide the data to its start (malloc alignment). */
    memmove(buf, buf + offset, out->bytes);
    out->data = buf;
    return 0;
}

int npy_write(const char *path, lt_type type, const int32_t *dims, int rank, const void *data,
              size_t bytes, char *err, size_t err_len) {
    const char *descr = npy_descr_of(type);
    if (descr == NULL) {
        set_err(err, err_len, "type %s has no .npy equivalent", lt_type_name_of(type));
        return -1;
    }
    if (rank < 0 || rank > NPY_MAX_RANK || (rank > 0 && dims == NULL)) {
        set_err(err, err_len, "rank %d out of range (0 to %d)", rank, NPY_MAX_RANK);
        return -1;
    }
    size_t item_size = item_size_of(type);
    if (item_size > 1 && !host_is_little_endian()) {
        set_err(err, err_len, "writing .npy needs a little-endian host");
        return -1;
    }
    /* The data size must match the shape, or the file would not load. */
    size_t count = 1;
    for (int d = 0; d < rank; d++) {
        if (dims[d] < 0) {
            set_err(err, err_len, "dimension %d is negative (%d)", d, (int)dims[d]);
            return -1;
        }
        size_t dim = (size_t)dims[d];
        if (dim != 0 && count > SIZE_MAX / dim) {
            set_err(err, err_len, "shape too large");
            return -1;
        }
        count *= dim;
    }
    if (count > SIZE_MAX / item_size || count * item_size != bytes) {
        set_err(err, err_len, "data is %zu bytes but the shape needs %zu elements of %zu bytes",
                bytes, count, item_size);
        return -1;
    }

    /* Rank <= 8 dimensions of at most 10 digits keep the header far below 65535 bytes, so
     * version 1.0 always suffices. */
    char header[256];
    int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (int d = 0; d < rank && n > 0 && (size_t)n < sizeof header; d++)
        n += snprintf(header + n, sizeof header - (size_t)n, d == 0 ? "%d" : ", %d",
                      (int)dims[d]);
    if (n > 0 && (size_t)n < sizeof header)
        n += snprintf(header + n, sizeof header - (size_t)n, rank == 1 ? ",), }" : "), }");
    if (n <= 0 || (size_t)n >= sizeof header - 64) {
        set_err(err, err_len, "internal error: .npy header too long");
        return -1;
    }
    /* Pad with spaces so that the data starts on a 64-byte boundary; end with a newline. */
    size_t len = (size_t)n;
    size_t total = 10 + len + 1;
    size_t pad = (64 - total % 64) % 64;
    memset(header + len, ' ', pad);
    len += pad;
    header[len++] = '\n';

    uint8_t prefix[10];
    memcpy(prefix, npy_magic, sizeof npy_magic);
    prefix[6] = 1;
    prefix[7] = 0;
    prefix[8] = (uint8_t)(len & 0xff);
    prefix[9] = (uint8_t)(len >> 8);

    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        set_err(err, err_len, "%s: cannot open for writing", path);
        return -1;
    }
    bool ok = fwrite(prefix, 1, sizeof prefix, f) == sizeof prefix &&
              fwrite(header, 1, len, f) == len &&
              (bytes == 0 || fwrite(data, 1, bytes, f) == bytes);
    if (fclose(f) != 0) ok = false;
    if (!ok) {
        remove(path);
        set_err(err, err_len, "%s: write error", path);
        return -1;
    }
    return 0;
}

void npy_free(npy_array *array) {
    if (array == NULL) return;
    free(array->data);
    array->data = NULL;
    array->bytes = 0;
}
