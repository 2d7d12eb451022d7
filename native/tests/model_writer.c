/* Implementation of model_writer.h. All multi-byte values are written little-endian byte by
 * byte, as the FlatBuffers format specifies, whatever the host's byte order. */
#include "model_writer.h"

#include <stdlib.h>
#include <string.h>

void mw_init(mw_builder *b, uint8_t *storage, size_t cap) {
    b->buf = storage;
    b->cap = cap;
    b->used = 0;
    b->failed = false;
}

/* Reserves n bytes in front of what is written and returns a pointer to them (NULL when the
 * buffer is full). */
static uint8_t *mw_prepend(mw_builder *b, size_t n) {
    if (b->failed || n > b->cap - b->used) {
        b->failed = true;
        return NULL;
    }
    b->used += n;
    return b->buf + (b->cap - b->used);
}

static void mw_zeros(mw_builder *b, size_t n) {
    uint8_t *p = mw_prepend(b, n);
    if (p != NULL) memset(p, 0, n);
}

/* Pads so that, once `len` more bytes are prepended, the distance from the end is a multiple
 * of `align`. mw_finish pads the whole buffer to a multiple of 16 bytes, so alignment measured
 * from the end is alignment measured from the start too. */
static void mw_align(mw_builder *b, size_t len, size_t align) {
    size_t rem = (b->used + len) % align;
    if (rem != 0) mw_zeros(b, align - rem);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void mw_u32(mw_builder *b, uint32_t v) {
    uint8_t *p = mw_prepend(b, 4);
    if (p != NULL) put_u32(p, v);
}

static mw_ref mw_here(const mw_builder *b) { return (mw_ref)b->used; }

mw_ref mw_string(mw_builder *b, const char *s) {
    size_t n = strlen(s);
    mw_align(b, n + 1 + 4, 4);
    uint8_t *p = mw_prepend(b, n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    mw_u32(b, (uint32_t)n);
    return mw_here(b);
}

mw_ref mw_vec_i32(mw_builder *b, const int32_t *v, size_t n) {
    mw_align(b, 4 * n + 4, 4);
    uint8_t *p = mw_prepend(b, 4 * n);
    if (p != NULL)
        for (size_t i = 0; i < n; i++) put_u32(p + 4 * i, (uint32_t)v[i]);
    mw_u32(b, (uint32_t)n);
    return mw_here(b);
}

mw_ref mw_vec_i64(mw_builder *b, const int64_t *v, size_t n) {
    mw_align(b, 8 * n, 8);
    uint8_t *p = mw_prepend(b, 8 * n);
    if (p != NULL)
        for (size_t i = 0; i < n; i++) {
            put_u32(p + 8 * i, (uint32_t)(uint64_t)v[i]);
            put_u32(p + 8 * i + 4, (uint32_t)((uint64_t)v[i] >> 32));
        }
    mw_u32(b, (uint32_t)n);
    return mw_here(b);
}

mw_ref mw_vec_bytes(mw_builder *b, const void *data, size_t n, size_t align) {
    /* The elements, not the length prefix, carry the alignment; the prefix then sits 4 bytes
     * before an address aligned to at least 4. */
    mw_align(b, n, align < 4 ? 4 : align);
    uint8_t *p = mw_prepend(b, n);
    if (p != NULL && n > 0) memcpy(p, data, n);
    mw_u32(b, (uint32_t)n);
    return mw_here(b);
}

mw_ref mw_vec_refs(mw_builder *b, const mw_ref *refs, size_t n) {
    mw_align(b, 4 * n + 4, 4);
    /* Element i lies at distance (here after prepending it) from the end; its uoffset is the
     * distance forward to the target, which lies closer to the end. */
    for (size_t k = n; k-- > 0;) {
        uint8_t *p = mw_prepend(b, 4);
        if (p != NULL) put_u32(p, mw_here(b) - refs[k]);
    }
    mw_u32(b, (uint32_t)n);
    return mw_here(b);
}

mw_ref mw_table(mw_builder *b, const mw_field *fields, size_t n) {
    enum { MAX_FIELDS = 16 };
    uint16_t field_pos[MAX_FIELDS];
    int max_id = -1;
    if (n > MAX_FIELDS) {
        b->failed = true;
        return 0;
    }
    /* Inline layout: the 4-byte vtable offset, then 4-byte fields, then 1-byte fields, so
     * every field is naturally aligned in a 4-aligned table. */
    size_t pos = 4;
    for (size_t i = 0; i < n; i++)
        if (fields[i].size == 4) {
            field_pos[i] = (uint16_t)pos;
            pos += 4;
        }
    for (size_t i = 0; i < n; i++)
        if (fields[i].size == 1) {
            field_pos[i] = (uint16_t)pos;
            pos += 1;
        }
    size_t table_len = (pos + 3) & ~(size_t)3;
    mw_align(b, table_len, 4);
    uint8_t *t = mw_prepend(b, table_len);
    if (t == NULL) return 0;
    memset(t, 0, table_len);
    mw_ref table = mw_here(b);
    for (size_t i = 0; i < n; i++) {
        const mw_field *f = &fields[i];
        if (f->id > max_id) max_id = f->id;
        if (f->size == 1) {
            t[field_pos[i]] = (uint8_t)f->value;
        } else if (f->is_ref) {
            /* The field lies field_pos bytes after the table start, i.e. nearer the end. */
            put_u32(t + field_pos[i], (table - field_pos[i]) - f->value);
        } else {
            put_u32(t + field_pos[i], f->value);
        }
    }
    /* The vtable goes right in front of the table: the table's soffset (table minus vtable
     * address) is then the vtable's length. */
    size_t n_slots = (size_t)(max_id + 1);
    size_t vt_len = 4 + 2 * n_slots;
    uint8_t *vt = mw_prepend(b, vt_len);
    if (vt == NULL) return 0;
    memset(vt, 0, vt_len);
    put_u16(vt, (uint16_t)vt_len);
    put_u16(vt + 2, (uint16_t)table_len);
    for (size_t i = 0; i < n; i++) put_u16(vt + 4 + 2 * (size_t)fields[i].id, field_pos[i]);
    put_u32(b->buf + (b->cap - table), (uint32_t)vt_len);
    return table;
}

uint8_t *mw_finish(mw_builder *b, mw_ref root, const char identifier[4], size_t *size) {
    mw_align(b, 8, 16);
    uint8_t *id = mw_prepend(b, 4);
    if (id != NULL) memcpy(id, identifier, 4);
    uint8_t *p = mw_prepend(b, 4);
    if (p != NULL) put_u32(p, mw_here(b) - root);
    if (b->failed) return NULL;
    size_t rounded = (b->used + 15) & ~(size_t)15;
    uint8_t *out = aligned_alloc(16, rounded);
    if (out == NULL) return NULL;
    memcpy(out, b->buf + (b->cap - b->used), b->used);
    *size = b->used;
    return out;
}

/* ---- TensorFlow Lite models ------------------------------------------------------------- */

/* Field ids of the schema's tables (schema v3). */
enum { MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3,
       MODEL_BUFFERS = 4, MODEL_SIGNATURE_DEFS = 7 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3,
       SUBGRAPH_NAME = 4 };
enum { TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3,
       TENSOR_QUANTIZATION = 4 };
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DIMENSION = 6 };
enum { BUFFER_DATA = 0 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM_CODE = 1, OPCODE_VERSION = 2,
       OPCODE_BUILTIN = 3 };
enum { TM_CUSTOM = 32 }; /* BuiltinOperator CUSTOM */
enum { OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_OPTIONS_TYPE = 3, OP_OPTIONS = 4 };
enum { OPTIONS_FUSED_ACTIVATION = 0 };
enum { SIG_INPUTS = 0, SIG_OUTPUTS = 1, SIG_KEY = 2, SIG_SUBGRAPH = 4 };
enum { TENSORMAP_NAME = 0, TENSORMAP_INDEX = 1 };

/* The 8-bit deprecated code saturates at 127 (PLACEHOLDER_FOR_GREATER_OP_CODES). */
#define TM_DEPRECATED_CODE_MAX 127

static mw_ref tm_tensor_maps(mw_builder *b, const tm_signature_io *io, int n) {
    mw_ref maps[TM_MAX_IO];
    for (int i = 0; i < n; i++) {
        mw_ref name = mw_string(b, io[i].name);
        mw_field f[] = {MW_REF(TENSORMAP_NAME, name), MW_U32(TENSORMAP_INDEX, io[i].tensor)};
        maps[i] = mw_table(b, f, 2);
    }
    return mw_vec_refs(b, maps, (size_t)n);
}

uint8_t *tm_build(const tm_model *m, size_t *size) { return tm_build_ex(m, NULL, size); }

uint8_t *tm_build_ex(const tm_model *m, const tm_extras *x, size_t *size) {
    const tm_quant *quant = x != NULL ? x->quant : NULL;
    enum { MAX_TENSORS = 32, MAX_OPS = 16 };
    if (m->n_tensors > MAX_TENSORS || m->n_ops > MAX_OPS) return NULL;
    size_t cap = 1 << 16;
    for (int i = 0; i < m->n_tensors; i++) /* the constants, their alignment, quantization */
        cap += m->tensors[i].data_bytes + 16 + (quant ? 12 * (size_t)quant[i].n : 0);
    uint8_t *storage = malloc(cap);
    if (storage == NULL) return NULL;
    mw_builder b;
    mw_init(&b, storage, cap);

    /* Buffers: 0 is empty; constants get 1, 2, ... in tensor order. */
    mw_ref buffers[MAX_TENSORS + 1];
    int32_t tensor_buffer[MAX_TENSORS];
    int n_buffers = 1;
    buffers[0] = mw_table(&b, NULL, 0);
    for (int i = 0; i < m->n_tensors; i++) {
        const tm_tensor *t = &m->tensors[i];
        tensor_buffer[i] = 0;
        if (t->data == NULL) continue;
        mw_ref data = mw_vec_bytes(&b, t->data, t->data_bytes, 16);
        mw_field f[] = {MW_REF(BUFFER_DATA, data)};
        tensor_buffer[i] = n_buffers;
        buffers[n_buffers++] = mw_table(&b, f, 1);
    }
    mw_ref buffer_vec = mw_vec_refs(&b, buffers, (size_t)n_buffers);

    mw_ref tensors[MAX_TENSORS];
    for (int i = 0; i < m->n_tensors; i++) {
        const tm_tensor *t = &m->tensors[i];
        mw_ref shape = mw_vec_i32(&b, t->dims, (size_t)t->rank);
        mw_ref name = mw_string(&b, t->name);
        mw_field f[5] = {MW_REF(TENSOR_SHAPE, shape), MW_I8(TENSOR_TYPE, t->type),
                         MW_U32(TENSOR_BUFFER, tensor_buffer[i]), MW_REF(TENSOR_NAME, name)};
        size_t nf = 4;
        if (quant != NULL && quant[i].n > 0) {
            const tm_quant *q = &quant[i];
            int32_t *bits = malloc((size_t)q->n * sizeof *bits);
            if (bits == NULL) {
                free(storage);
                return NULL;
            }
            memcpy(bits, q->scales, (size_t)q->n * sizeof *bits); /* float bit patterns */
            mw_ref scale = mw_vec_i32(&b, bits, (size_t)q->n);
            free(bits);
            mw_ref zp = mw_vec_i64(&b, q->zero_points, (size_t)q->n);
            mw_field qf[] = {MW_REF(QUANT_SCALE, scale), MW_REF(QUANT_ZERO_POINT, zp),
                             MW_I32(QUANT_DIMENSION, q->quantized_dimension)};
            f[nf++] = MW_REF(TENSOR_QUANTIZATION, mw_table(&b, qf, 3));
        }
        tensors[i] = mw_table(&b, f, nf);
    }

    mw_ref opcodes[MAX_OPS], ops[MAX_OPS];
    for (int i = 0; i < m->n_ops; i++) {
        const tm_op *op = &m->ops[i];
        int deprecated = op->builtin_code < TM_DEPRECATED_CODE_MAX ? op->builtin_code
                                                                   : TM_DEPRECATED_CODE_MAX;
        mw_field cf[4] = {MW_I8(OPCODE_DEPRECATED_BUILTIN, deprecated),
                          MW_I32(OPCODE_VERSION, 1), MW_I32(OPCODE_BUILTIN, op->builtin_code)};
        size_t ncf = 3;
        if (x != NULL && x->custom_codes != NULL && x->custom_codes[i] != NULL) {
            cf[0] = MW_I8(OPCODE_DEPRECATED_BUILTIN, TM_CUSTOM);
            cf[2] = MW_I32(OPCODE_BUILTIN, TM_CUSTOM);
            cf[ncf++] = MW_REF(OPCODE_CUSTOM_CODE, mw_string(&b, x->custom_codes[i]));
        }
        opcodes[i] = mw_table(&b, cf, ncf);
        mw_ref ins = mw_vec_i32(&b, op->inputs, (size_t)op->n_inputs);
        mw_ref outs = mw_vec_i32(&b, op->outputs, (size_t)op->n_outputs);
        mw_field of[5] = {MW_U32(OP_OPCODE_INDEX, i), MW_REF(OP_INPUTS, ins),
                          MW_REF(OP_OUTPUTS, outs)};
        size_t nf = 3;
        if (op->options_type != 0) {
            mw_field af[] = {MW_I8(OPTIONS_FUSED_ACTIVATION, op->fused_activation)};
            const bool full = x != NULL && x->n_options != NULL && x->n_options[i] > 0;
            mw_ref options = full ? mw_table(&b, x->options[i], (size_t)x->n_options[i])
                                  : mw_table(&b, af, 1);
            of[nf++] = MW_U8(OP_OPTIONS_TYPE, op->options_type);
            of[nf++] = MW_REF(OP_OPTIONS, options);
        }
        ops[i] = mw_table(&b, of, nf);
    }
    mw_ref opcode_vec = mw_vec_refs(&b, opcodes, (size_t)m->n_ops);

    mw_ref tensor_vec = mw_vec_refs(&b, tensors, (size_t)m->n_tensors);
    mw_ref in_vec = mw_vec_i32(&b, m->inputs, (size_t)m->n_inputs);
    mw_ref out_vec = mw_vec_i32(&b, m->outputs, (size_t)m->n_outputs);
    mw_ref op_vec = mw_vec_refs(&b, ops, (size_t)m->n_ops);
    mw_ref sg_name = mw_string(&b, "main");
    mw_field sf[] = {MW_REF(SUBGRAPH_TENSORS, tensor_vec), MW_REF(SUBGRAPH_INPUTS, in_vec),
                     MW_REF(SUBGRAPH_OUTPUTS, out_vec), MW_REF(SUBGRAPH_OPERATORS, op_vec),
                     MW_REF(SUBGRAPH_NAME, sg_name)};
    mw_ref subgraph = mw_table(&b, sf, 5);
    mw_ref subgraph_vec = mw_vec_refs(&b, &subgraph, 1);

    mw_field mf[6] = {MW_U32(MODEL_VERSION, 3), MW_REF(MODEL_OPERATOR_CODES, opcode_vec),
                      MW_REF(MODEL_SUBGRAPHS, subgraph_vec), MW_REF(MODEL_BUFFERS, buffer_vec)};
    size_t nmf = 4;
    if (m->description != NULL)
        mf[nmf++] = MW_REF(MODEL_DESCRIPTION, mw_string(&b, m->description));
    if (m->signature_key != NULL) {
        mw_ref sin = tm_tensor_maps(&b, m->sig_inputs, m->n_sig_inputs);
        mw_ref sout = tm_tensor_maps(&b, m->sig_outputs, m->n_sig_outputs);
        mw_ref key = mw_string(&b, m->signature_key);
        mw_field gf[] = {MW_REF(SIG_INPUTS, sin), MW_REF(SIG_OUTPUTS, sout),
                         MW_REF(SIG_KEY, key), MW_U32(SIG_SUBGRAPH, 0)};
        mw_ref sig = mw_table(&b, gf, 4);
        mf[nmf++] = MW_REF(MODEL_SIGNATURE_DEFS, mw_vec_refs(&b, &sig, 1));
    }
    mw_ref model = mw_table(&b, mf, nmf);
    uint8_t *out = mw_finish(&b, model, "TFL3", size);
    free(storage);
    return out;
}
