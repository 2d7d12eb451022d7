/* Bounds-checked reading of FlatBuffers data.
 *
 * A model file is untrusted input, so nothing here follows an offset without first checking
 * that the bytes it points at lie inside the buffer. Positions are byte offsets from the
 * start of the buffer; position 0 means "absent" (a real table never starts at byte 0,
 * because the root offset lives there).
 *
 * Reading a field never fails silently: accessors take a `fb_err` flag that is set when the
 * bytes are out of range, so the verifier can turn it into a message. */
#ifndef LITERT_FLATBUF_H
#define LITERT_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fb_buf {
    const uint8_t *data;
    size_t size;
} fb_buf;

/* A table position together with the buffer it lives in. pos == 0: the table is absent. */
typedef struct fb_table {
    const fb_buf *buf;
    uint32_t pos;
    uint32_t vtable;     /* position of the table's vtable */
    uint16_t vtable_len; /* bytes of the vtable, including its 4-byte header */
    uint16_t table_len;  /* bytes of the table's inline data */
} fb_table;

/* A vector position: `pos` points at the first element, `len` is the element count. */
typedef struct fb_vec {
    const fb_buf *buf;
    uint32_t pos;
    uint32_t len;
} fb_vec;

bool fb_range_ok(const fb_buf *b, size_t pos, size_t bytes);
uint32_t fb_read_u32(const fb_buf *b, size_t pos);
uint16_t fb_read_u16(const fb_buf *b, size_t pos);

/* Opens the table at `pos`, checking the table header and its vtable lie in the buffer. */
bool fb_table_open(const fb_buf *b, uint32_t pos, fb_table *out);
/* Opens the root table of the buffer. */
bool fb_root(const fb_buf *b, fb_table *out);

/* True if the field `id` is present in the table. */
bool fb_has(const fb_table *t, int id);

/* Scalar fields: return `dflt` when absent; set *err when the field lies outside the table. */
uint8_t fb_u8(const fb_table *t, int id, uint8_t dflt, bool *err);
int8_t fb_i8(const fb_table *t, int id, int8_t dflt, bool *err);
uint16_t fb_u16(const fb_table *t, int id, uint16_t dflt, bool *err);
int32_t fb_i32(const fb_table *t, int id, int32_t dflt, bool *err);
uint32_t fb_u32(const fb_table *t, int id, uint32_t dflt, bool *err);
int64_t fb_i64(const fb_table *t, int id, int64_t dflt, bool *err);
uint64_t fb_u64(const fb_table *t, int id, uint64_t dflt, bool *err);
float fb_f32(const fb_table *t, int id, float dflt, bool *err);

/* Reference fields. An absent field gives an empty/absent result and no error. */
bool fb_table_field(const fb_table *t, int id, fb_table *out, bool *err);
/* Vector of scalars of `elem_size` bytes each; checks the whole vector is in the buffer. */
bool fb_vec_field(const fb_table *t, int id, size_t elem_size, fb_vec *out, bool *err);
/* String: *out points into the buffer (not NUL-terminated unless the file is well formed),
 * *len its length. Absent: *out = NULL. */
bool fb_string_field(const fb_table *t, int id, const char **out, uint32_t *len, bool *err);

/* Element access for vectors checked by fb_vec_field. */
int32_t fb_vec_i32(const fb_vec *v, uint32_t i);
uint32_t fb_vec_u32(const fb_vec *v, uint32_t i);
int64_t fb_vec_i64(const fb_vec *v, uint32_t i);
float fb_vec_f32(const fb_vec *v, uint32_t i);
uint8_t fb_vec_u8(const fb_vec *v, uint32_t i);
/* Element i of a vector of tables (offsets); false if the target is out of range. */
bool fb_vec_table(const fb_vec *v, uint32_t i, fb_table *out);
/* Element i of a vector of strings. */
bool fb_vec_string(const fb_vec *v, uint32_t i, const char **out, uint32_t *len);

#endif
