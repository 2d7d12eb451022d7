/* Bounds-checked FlatBuffers reader: see flatbuf.h. All multi-byte reads go through memcpy,
 * because offsets in a hostile file need not be aligned. FlatBuffers are little-endian, and so
 * are all targets we build for. */
#include "flatbuf.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "litert reads little-endian FlatBuffers directly and needs a little-endian target"
#endif

bool fb_range_ok(const fb_buf *b, size_t pos, size_t bytes) {
    return pos <= b->size && bytes <= b->size - pos;
}

uint32_t fb_read_u32(const fb_buf *b, size_t pos) {
    uint32_t v;
    memcpy(&v, b->data + pos, 4);
    return v;
}

uint16_t fb_read_u16(const fb_buf *b, size_t pos) {
    uint16_t v;
    memcpy(&v, b->data + pos, 2);
    return v;
}

bool fb_table_open(const fb_buf *b, uint32_t pos, fb_table *out) {
    memset(out, 0, sizeof *out);
    out->buf = b;
    if (pos == 0 || !fb_range_ok(b, pos, 4)) return false;
    int32_t soff;
    memcpy(&soff, b->data + pos, 4);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || vt > (int64_t)UINT32_MAX || !fb_range_ok(b, (size_t)vt, 4)) return false;
    uint16_t vt_len = fb_read_u16(b, (size_t)vt);
    uint16_t tb_len = fb_read_u16(b, (size_t)vt + 2);
    if (vt_len < 4 || (vt_len & 1) || !fb_range_ok(b, (size_t)vt, vt_len)) return false;
    if (tb_len < 4 || !fb_range_ok(b, pos, tb_len)) return false;
    out->pos = pos;
    out->vtable = (uint32_t)vt;
    out->vtable_len = vt_len;
    out->table_len = tb_len;
    return true;
}

bool fb_root(const fb_buf *b, fb_table *out) {
    if (!fb_range_ok(b, 0, 8)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return fb_table_open(b, fb_read_u32(b, 0), out);
}

/* Offset of field `id` inside the table, or 0 when absent. */
static uint16_t field_offset(const fb_table *t, int id) {
    if (t->pos == 0 || id < 0) return 0;
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vtable_len) return 0;
    return fb_read_u16(t->buf, t->vtable + slot);
}

bool fb_has(const fb_table *t, int id) { return field_offset(t, id) != 0; }

/* Position of a field's inline bytes, 0 if absent; sets *err if it overruns the table. */
static size_t field_pos(const fb_table *t, int id, size_t size, bool *err) {
    uint16_t off = field_offset(t, id);
    if (off == 0) return 0;
    if ((size_t)off + size > t->table_len) {
        *err = true;
        return 0;
    }
    return (size_t)t->pos + off;
}

#define FB_SCALAR_GETTER(name, type)                                   \
    type name(const fb_table *t, int id, type dflt, bool *err) {       \
        size_t p = field_pos(t, id, sizeof(type), err);                \
        if (p == 0) return dflt;                                       \
        type v;                                                        \
        memcpy(&v, t->buf->data + p, sizeof v);                        \
        return v;                                                      \
    }

FB_SCALAR_GETTER(fb_u8, uint8_t)
FB_SCALAR_GETTER(fb_i8, int8_t)
FB_SCALAR_GETTER(fb_u16, uint16_t)
FB_SCALAR_GETTER(fb_i32, int32_t)
FB_SCALAR_GETTER(fb_u32, uint32_t)
FB_SCALAR_GETTER(fb_i64, int64_t)
FB_SCALAR_GETTER(fb_u64, uint64_t)
FB_SCALAR_GETTER(fb_f32, float)

/* Follows the uoffset stored at `at`; returns the target position or 0 when out of range. */
static uint32_t follow(const fb_buf *b, size_t at) {
    if (!fb_range_ok(b, at, 4)) return 0;
    uint64_t target = (uint64_t)at + fb_read_u32(b, at);
    if (target >= b->size) return 0;
    return (uint32_t)target;
}

/* Target of a reference field; 0 when absent, sets *err when present but broken. */
static uint32_t ref_field(const fb_table *t, int id, bool *err) {
    size_t p = field_pos(t, id, 4, err);
    if (p == 0) return 0;
    uint32_t target = follow(t->buf, p);
    if (target == 0) *err = true;
    return target;
}

bool fb_table_field(const fb_table *t, int id, fb_table *out, bool *err) {
    memset(out, 0, sizeof *out);
    out->buf = t->buf;
    uint32_t target = ref_field(t, id, err);
    if (target == 0) return false;
    if (!fb_table_open(t->buf, target, out)) {
        *err = true;
        return false;
    }
    return true;
}

static bool open_vec(const fb_buf *b, uint32_t pos, size_t elem_size, fb_vec *out) {
    if (!fb_range_ok(b, pos, 4)) return false;
    uint32_t len = fb_read_u32(b, pos);
    if (elem_size != 0 && len > (b->size / elem_size)) return false;
    if (!fb_range_ok(b, (size_t)pos + 4, (size_t)len * elem_size)) return false;
    out->pos = pos + 4;
    out->len = len;
    return true;
}

bool fb_vec_field(const fb_table *t, int id, size_t elem_size, fb_vec *out, bool *err) {
    memset(out, 0, sizeof *out);
    out->buf = t->buf;
    uint32_t target = ref_field(t, id, err);
    if (target == 0) return false;
    if (!open_vec(t->buf, target, elem_size, out)) {
        *err = true;
        return false;
    }
    return true;
}

static bool read_string_at(const fb_buf *b, uint32_t pos, const char **out, uint32_t *len) {
    fb_vec v = {b, 0, 0};
    /* +1: a FlatBuffers string is followed by a NUL terminator, which we require so that the
     * returned pointer can be used as a C string. */
    if (!open_vec(b, pos, 1, &v) || !fb_range_ok(b, v.pos, (size_t)v.len + 1)) return false;
    if (b->data[v.pos + v.len] != 0) return false;
    *out = (const char *)(b->data + v.pos);
    *len = v.len;
    return true;
}

bool fb_string_field(const fb_table *t, int id, const char **out, uint32_t *len, bool *err) {
    *out = NULL;
    *len = 0;
    uint32_t target = ref_field(t, id, err);
    if (target == 0) return false;
    if (!read_string_at(t->buf, target, out, len)) {
        *err = true;
        return false;
    }
    return true;
}

int32_t fb_vec_i32(const fb_vec *v, uint32_t i) {
    int32_t x;
    memcpy(&x, v->buf->data + v->pos + 4 * (size_t)i, 4);
    return x;
}

uint32_t fb_vec_u32(const fb_vec *v, uint32_t i) {
    return fb_read_u32(v->buf, v->pos + 4 * (size_t)i);
}

int64_t fb_vec_i64(const fb_vec *v, uint32_t i) {
    int64_t x;
    memcpy(&x, v->buf->data + v->pos + 8 * (size_t)i, 8);
    return x;
}

float fb_vec_f32(const fb_vec *v, uint32_t i) {
    float x;
    memcpy(&x, v->buf->data + v->pos + 4 * (size_t)i, 4);
    return x;
}

uint8_t fb_vec_u8(const fb_vec *v, uint32_t i) { return v->buf->data[v->pos + i]; }

bool fb_vec_table(const fb_vec *v, uint32_t i, fb_table *out) {
    uint32_t target = follow(v->buf, v->pos + 4 * (size_t)i);
    if (target == 0) {
        memset(out, 0, sizeof *out);
        out->buf = v->buf;
        return false;
    }
    return fb_table_open(v->buf, target, out);
}

bool fb_vec_string(const fb_vec *v, uint32_t i, const char **out, uint32_t *len) {
    *out = NULL;
    *len = 0;
    uint32_t target = follow(v->buf, v->pos + 4 * (size_t)i);
    return target != 0 && read_string_at(v->buf, target, out, len);
}
