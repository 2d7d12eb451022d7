/* The SIMD kernels against the portable ones, op by op, in C, so that the same checks run on
 * x86-64 (AVX2 / AVX-512 / VNNI kernels) and, under qemu-aarch64, on AArch64 (NEON, and the
 * SDOT kernels when the CPU has the dot-product instructions; QEMU_CPU=cortex-a53 gives a CPU
 * without them).
 *
 * Each case builds a one-op model in memory (model_writer.c) with random weights and inputs,
 * runs it at LT_ISA_PORTABLE on one thread (the ground truth) and at every SIMD level this CPU
 * supports on one and on two threads, and compares:
 *   - int8: every byte equal (the SIMD kernels reproduce TensorFlow Lite's fixed-point
 *     arithmetic bit for bit);
 *   - float32 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: |simd - portable| <=
 *     terms * FLT_EPSILON * S + 1e-30, S the sum of |products| and |bias| of that output
 *     (computed by the portable kernel on the same model with |weights|, |bias|, |inputs| and
 *     no activation) and `terms` the number of values summed. Both kernels sum the same
 *     products in different orders (and the SIMD ones with fused multiply-adds); each sum
 *     of n terms is within about n * 2^-24 * S of the exact one;
 *   - float32 ADD / MUL, the pools and MEAN: bit for bit (the SIMD kernels do the portable
 *     operations in the portable order);
 *   - one and two threads of the same level: bit for bit (each output's arithmetic does not
 *     depend on how the threads cut the work). Some cases are large enough to be split.
 * Shapes: odd channel counts (1, 3, 7, 17, 33...), tails of every vector width, strides 1
 * and 2, dilation, SAME and VALID padding, fused activations, batch > 1. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"

#include "check.h"

/* TensorFlow Lite builtin codes and option tables used here. */
enum { OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
       OP_FULLY_CONNECTED = 9, OP_MAX_POOL_2D = 17, OP_MUL = 18, OP_MEAN = 40 };
enum { OPTS_CONV = 1, OPTS_DEPTHWISE = 2, OPTS_POOL = 5, OPTS_FC = 8, OPTS_ADD = 11,
       OPTS_MUL = 21, OPTS_REDUCER = 27 };
enum { PAD_SAME = 0, PAD_VALID = 1 };
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_RELU6 = 3 };

/* ---- random data (fixed seed: every run tests the same values) ------------------------- */

static uint32_t rng = 0x2545F491u;

static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static float rnd_f32(void) { return (float)((int32_t)(rnd() % 2001u) - 1000) / 1000.0f; }

/* The whole int8 range, -128 included (the kernels' exactness must hold there too). */
static int8_t rnd_i8(void) { return (int8_t)(rnd() & 0xFF); }

/* ---- one op ------------------------------------------------------------------------------ */

typedef struct op_case {
    const char *name;
    int op;
    bool int8;
    int in_rank, w_rank, out_rank;
    int32_t in[4], in2[4], w[4], out[4]; /* in2: second input of ADD / MUL (rank in_rank2) */
    int in2_rank;
    bool bias;
    int padding, stride_w, stride_h, dil_w, dil_h, act, filter_w, filter_h;
    int64_t terms; /* float32 linear ops: values summed per output (0: compare exactly) */
} op_case;

static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t dil, int padding) {
    const int32_t span = (k - 1) * dil + 1;
    return padding == PAD_SAME ? (in + stride - 1) / stride : (in - span + stride) / stride;
}

static op_case conv_case(const char *name, bool int8, int32_t n, int32_t h, int32_t w,
                         int32_t c, int32_t o, int32_t k, int32_t s, int32_t d, int padding,
                         int act) {
    op_case t = {.name = name, .op = OP_CONV_2D, .int8 = int8, .in_rank = 4, .w_rank = 4,
                 .out_rank = 4, .in = {n, h, w, c}, .w = {o, k, k, c}, .bias = true,
                 .padding = padding, .stride_w = s, .stride_h = s, .dil_w = d, .dil_h = d,
                 .act = act, .terms = (int64_t)k * k * c + 1};
    t.out[0] = n;
    t.out[1] = out_size(h, k, s, d, padding);
    t.out[2] = out_size(w, k, s, d, padding);
    t.out[3] = o;
    return t;
}

static op_case dw_case(const char *name, bool int8, int32_t n, int32_t h, int32_t w, int32_t c,
                       int32_t k, int32_t s, int32_t d, int padding, int act) {
    op_case t = conv_case(name, int8, n, h, w, c, c, k, s, d, padding, act);
    t.op = OP_DEPTHWISE_CONV_2D;
    t.w[0] = 1;
    t.w[3] = c;
    t.terms = (int64_t)k * k + 1;
    return t;
}

static op_case fc_case(const char *name, bool int8, int32_t rows, int32_t depth, int32_t units,
                       int act) {
    return (op_case){.name = name, .op = OP_FULLY_CONNECTED, .int8 = int8, .in_rank = 2,
                     .w_rank = 2, .out_rank = 2, .in = {rows, depth}, .w = {units, depth},
                     .out = {rows, units}, .bias = true, .act = act, .terms = depth + 1};
}

static op_case pool_case(const char *name, int op, bool int8, int32_t n, int32_t h, int32_t w,
                         int32_t c, int32_t k, int32_t s, int padding, int act) {
    op_case t = {.name = name, .op = op, .int8 = int8, .in_rank = 4, .out_rank = 4,
                 .in = {n, h, w, c}, .padding = padding, .stride_w = s, .stride_h = s,
                 .act = act, .filter_w = k, .filter_h = k};
    t.out[0] = n;
    t.out[1] = out_size(h, k, s, 1, padding);
    t.out[2] = out_size(w, k, s, 1, padding);
    t.out[3] = c;
    return t;
}

/* MEAN over the middle axes (1, 2) of an NHWC input, keeping them (global average pooling). */
static op_case mean_case(const char *name, bool int8, int32_t n, int32_t h, int32_t w,
                         int32_t c) {
    return (op_case){.name = name, .op = OP_MEAN, .int8 = int8, .in_rank = 4, .out_rank = 4,
                     .in = {n, h, w, c}, .out = {n, 1, 1, c}};
}

/* a (shape `a`) op b (shape `b`, broadcast against a), output shaped like a. */
static op_case binary_case(const char *name, int op, bool int8, int rank, const int32_t *a,
                           int rank_b, const int32_t *b, int act) {
    op_case t = {.name = name, .op = op, .int8 = int8, .in_rank = rank, .in2_rank = rank_b,
                 .out_rank = rank, .act = act};
    memcpy(t.in, a, (size_t)rank * sizeof *a);
    memcpy(t.out, a, (size_t)rank * sizeof *a);
    memcpy(t.in2, b, (size_t)rank_b * sizeof *b);
    return t;
}

static int64_t elements(const int32_t *dims, int rank) {
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    return n;
}

/* The data of one case: inputs, weights, bias and the int8 quantization. */
typedef struct case_data {
    void *in, *in2, *w, *bias;
    size_t in_bytes, in2_bytes, w_bytes, bias_bytes, out_bytes;
    float in_scale, in2_scale, out_scale;
    int64_t in_zp, in2_zp, out_zp, zero;
    float *w_scales; /* per channel */
    int64_t *w_zps;
    int n_channels, channel_dim;
    float *bias_scales;
} case_data;

static void case_data_free(case_data *d) {
    free(d->in);
    free(d->in2);
    free(d->w);
    free(d->bias);
    free(d->w_scales);
    free(d->w_zps);
    free(d->bias_scales);
}

static void fill_data(const op_case *t, case_data *d) {
    memset(d, 0, sizeof *d);
    const size_t elt = t->int8 ? 1 : 4;
    const int64_t n_in = elements(t->in, t->in_rank), n_in2 = elements(t->in2, t->in2_rank);
    const int64_t n_w = t->w_rank > 0 ? elements(t->w, t->w_rank) : 0;
    const int32_t channels = t->op == OP_DEPTHWISE_CONV_2D ? t->w[3] : t->w[0];
    d->in_bytes = (size_t)n_in * elt;
    d->in2_bytes = t->in2_rank > 0 ? (size_t)n_in2 * elt : 0;
    d->w_bytes = (size_t)n_w * elt;
    d->out_bytes = (size_t)elements(t->out, t->out_rank) * elt;
    d->in = malloc(d->in_bytes);
    d->in2 = malloc(d->in2_bytes + 1);
    d->w = malloc(d->w_bytes + 1);
    for (int64_t i = 0; i < n_in; i++) {
        if (t->int8) ((int8_t *)d->in)[i] = rnd_i8();
        else ((float *)d->in)[i] = rnd_f32();
    }
    for (int64_t i = 0; i < (t->in2_rank > 0 ? n_in2 : 0); i++) {
        if (t->int8) ((int8_t *)d->in2)[i] = rnd_i8();
        else ((float *)d->in2)[i] = rnd_f32();
    }
    for (int64_t i = 0; i < n_w; i++) {
        if (t->int8) ((int8_t *)d->w)[i] = rnd_i8();
        else ((float *)d->w)[i] = rnd_f32();
    }
    if (t->bias) {
        d->bias_bytes = (size_t)channels * 4;
        d->bias = malloc(d->bias_bytes);
        for (int32_t c = 0; c < channels; c++) {
            if (t->int8) ((int32_t *)d->bias)[c] = (int32_t)(rnd() % 40001u) - 20000;
            else ((float *)d->bias)[c] = rnd_f32();
        }
    }
    if (!t->int8) return;
    /* int8: scales that spread the outputs over the int8 range (some saturate) */
    d->in_scale = 0.05f;
    d->in_zp = (int64_t)(rnd() % 21u) - 10;
    d->in2_scale = 0.03f;
    d->in2_zp = (int64_t)(rnd() % 21u) - 10;
    d->out_zp = (int64_t)(rnd() % 21u) - 10;
    if (n_w > 0) {
        d->n_channels = channels;
        d->channel_dim = t->op == OP_DEPTHWISE_CONV_2D ? 3 : 0;
        d->w_scales = malloc((size_t)channels * sizeof(float));
        d->w_zps = calloc((size_t)channels, sizeof(int64_t));
        d->bias_scales = malloc((size_t)channels * sizeof(float));
        for (int32_t c = 0; c < channels; c++) {
            d->w_scales[c] = 0.004f + 0.0001f * (float)(rnd() % 200u);
            d->bias_scales[c] = d->in_scale * d->w_scales[c];
        }
        /* acc ~ sqrt(terms) * 73 * 73 in magnitude; aim at about +-40 */
        const double depth = t->op == OP_DEPTHWISE_CONV_2D ? (double)t->w[1] * t->w[2]
                                                           : (double)n_w / channels;
        d->out_scale = (float)(d->in_scale * 0.014 * sqrt(depth) * 73.0 * 73.0 / 40.0);
    } else if (t->op == OP_MUL) {
        d->out_scale = 0.2f;
    } else if (t->op == OP_ADD) {
        d->out_scale = 0.1f;
    } else if (t->op == OP_MEAN) {
        d->out_scale = 0.01f; /* the mean of many cells spreads less than one cell */
    } else { /* pools: output quantized like the input */
        d->out_scale = d->in_scale;
        d->out_zp = d->in_zp;
    }
}

/* Tensors: 0 input, then input 2 or the weights, then the bias, then the output. With
 * `magnitudes`, the float weights, bias and activation are |w|, |b| and NONE. */
static uint8_t *build_model(const op_case *t, const case_data *d, bool magnitudes,
                            size_t *size) {
    const int type = t->int8 ? LT_INT8 : LT_FLOAT32;
    tm_tensor tensors[5];
    tm_quant quant[5];
    memset(quant, 0, sizeof quant);
    int n = 0;
    int32_t op_inputs[4];
    static const int32_t mean_axes[2] = {1, 2};
    int n_op_inputs = 0;
    void *w_abs = NULL, *b_abs = NULL;
    if (magnitudes) {
        w_abs = malloc(d->w_bytes + 1);
        b_abs = malloc(d->bias_bytes + 1);
        for (size_t i = 0; i < d->w_bytes / 4; i++)
            ((float *)w_abs)[i] = fabsf(((const float *)d->w)[i]);
        for (size_t i = 0; i < d->bias_bytes / 4; i++)
            ((float *)b_abs)[i] = fabsf(((const float *)d->bias)[i]);
    }
    const float in_scale[1] = {d->in_scale}, in2_scale[1] = {d->in2_scale},
                out_scale[1] = {d->out_scale};
    const int64_t in_zp[1] = {d->in_zp}, in2_zp[1] = {d->in2_zp}, out_zp[1] = {d->out_zp};
    tensors[n] = (tm_tensor){"x", type, t->in_rank, {0}, NULL, 0};
    memcpy(tensors[n].dims, t->in, sizeof t->in);
    if (t->int8) quant[n] = (tm_quant){1, in_scale, in_zp, 0};
    op_inputs[n_op_inputs++] = n++;
    int graph_inputs = 1;
    if (t->in2_rank > 0) {
        tensors[n] = (tm_tensor){"x2", type, t->in2_rank, {0}, NULL, 0};
        memcpy(tensors[n].dims, t->in2, sizeof t->in2);
        if (t->int8) quant[n] = (tm_quant){1, in2_scale, in2_zp, 0};
        op_inputs[n_op_inputs++] = n++;
        graph_inputs = 2;
    }
    if (t->w_rank > 0) {
        tensors[n] = (tm_tensor){"w", type, t->w_rank, {0}, magnitudes ? w_abs : d->w,
                                 d->w_bytes};
        memcpy(tensors[n].dims, t->w, sizeof t->w);
        if (t->int8) quant[n] = (tm_quant){d->n_channels, d->w_scales, d->w_zps, d->channel_dim};
        op_inputs[n_op_inputs++] = n++;
    }
    if (t->op == OP_MEAN) {
        tensors[n] = (tm_tensor){"axes", LT_INT32, 1, {2}, mean_axes, sizeof mean_axes};
        op_inputs[n_op_inputs++] = n++;
    }
    if (t->bias) {
        tensors[n] = (tm_tensor){"b", t->int8 ? LT_INT32 : LT_FLOAT32, 1, {d->n_channels},
                                 magnitudes ? b_abs : d->bias, d->bias_bytes};
        tensors[n].dims[0] = (int32_t)(d->bias_bytes / 4);
        if (t->int8) quant[n] = (tm_quant){d->n_channels, d->bias_scales, d->w_zps, 0};
        op_inputs[n_op_inputs++] = n++;
    }
    tensors[n] = (tm_tensor){"y", type, t->out_rank, {0}, NULL, 0};
    memcpy(tensors[n].dims, t->out, sizeof t->out);
    if (t->int8) quant[n] = (tm_quant){1, out_scale, out_zp, 0};
    const int out_index = n++;

    const int act = magnitudes ? ACT_NONE : t->act;
    mw_field opts[8];
    int n_opts = 0, opts_type = 0;
    switch (t->op) {
    case OP_CONV_2D:
        opts_type = OPTS_CONV;
        opts[n_opts++] = MW_I8(0, t->padding);
        opts[n_opts++] = MW_I32(1, t->stride_w);
        opts[n_opts++] = MW_I32(2, t->stride_h);
        opts[n_opts++] = MW_I8(3, act);
        opts[n_opts++] = MW_I32(4, t->dil_w);
        opts[n_opts++] = MW_I32(5, t->dil_h);
        break;
    case OP_DEPTHWISE_CONV_2D:
        opts_type = OPTS_DEPTHWISE;
        opts[n_opts++] = MW_I8(0, t->padding);
        opts[n_opts++] = MW_I32(1, t->stride_w);
        opts[n_opts++] = MW_I32(2, t->stride_h);
        opts[n_opts++] = MW_I32(3, 1); /* depth multiplier */
        opts[n_opts++] = MW_I8(4, act);
        opts[n_opts++] = MW_I32(5, t->dil_w);
        opts[n_opts++] = MW_I32(6, t->dil_h);
        break;
    case OP_AVERAGE_POOL_2D:
    case OP_MAX_POOL_2D:
        opts_type = OPTS_POOL;
        opts[n_opts++] = MW_I8(0, t->padding);
        opts[n_opts++] = MW_I32(1, t->stride_w);
        opts[n_opts++] = MW_I32(2, t->stride_h);
        opts[n_opts++] = MW_I32(3, t->filter_w);
        opts[n_opts++] = MW_I32(4, t->filter_h);
        opts[n_opts++] = MW_I8(5, act);
        break;
    case OP_FULLY_CONNECTED: opts_type = OPTS_FC; break;
    case OP_MEAN:
        opts_type = OPTS_REDUCER;
        opts[n_opts++] = MW_U8(0, 1); /* keep_dims */
        break;
    case OP_ADD: opts_type = OPTS_ADD; break;
    case OP_MUL: opts_type = OPTS_MUL; break;
    default: break;
    }
    tm_op op = {t->op, n_op_inputs, {0}, 1, {out_index}, opts_type, act};
    memcpy(op.inputs, op_inputs, (size_t)n_op_inputs * sizeof *op_inputs);
    tm_model m = {.description = t->name, .tensors = tensors, .n_tensors = n, .ops = &op,
                  .n_ops = 1, .n_inputs = graph_inputs, .inputs = {0, 1}, .n_outputs = 1,
                  .outputs = {out_index}};
    const mw_field *const opts_of[1] = {opts};
    const tm_extras extras = {quant, &n_opts, opts_of, NULL};
    uint8_t *buf = tm_build_ex(&m, &extras, size);
    free(w_abs);
    free(b_abs);
    return buf;
}

/* Runs that could not start their worker threads (see run). */
static int runs_skipped = 0;

/* Runs the model at `isa` on `threads` threads with inputs in / in2 (in2 NULL for one
 * input); the output into out. False (and a failed check) on any error. */
static bool run(const op_case *t, const uint8_t *buf, size_t size, int isa, int threads,
                const void *in, size_t in_bytes, const void *in2, size_t in2_bytes, void *out,
                size_t out_bytes) {
    char err[256] = "";
    lt_model *model = lt_model_from_buffer(buf, size, err, sizeof err);
    CHECK(model != NULL, "%s: load: %s", t->name, err);
    if (model == NULL) return false;
    lt_options opt = lt_options_default();
    opt.isa = isa;
    opt.num_threads = threads;
    lt_interpreter *it = lt_interpreter_create(model, &opt, err, sizeof err);
    /* Starting a worker thread can fail for a moment on a loaded machine (the thread limit
     * is shared with everything else running, and QEMU adds threads of its own): retry a
     * few times, then count the run as skipped rather than failed, since thread creation
     * is test_thread_pool's subject, not this test's. */
    for (int attempt = 0; it == NULL && threads > 1 && strstr(err, "worker threads") != NULL;
         attempt++) {
        if (attempt == 20) {
            fprintf(stderr, "note: %s at %s: skipped %d threads: %s\n", t->name,
                    lt_isa_name(isa), threads, err);
            runs_skipped++;
            lt_model_free(model);
            return false;
        }
        const struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        it = lt_interpreter_create(model, &opt, err, sizeof err);
    }
    CHECK(it != NULL, "%s: create: %s", t->name, err);
    bool ok = false;
    if (it != NULL) {
        ok = lt_interpreter_isa(it) == isa;
        CHECK(ok, "%s: interpreter runs %s, asked for %s", t->name,
              lt_isa_name(lt_interpreter_isa(it)), lt_isa_name(isa));
        ok = ok && lt_interpreter_allocate(it) == LT_OK &&
             lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), in, in_bytes) ==
                 LT_OK &&
             (in2 == NULL || lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 1),
                                                       in2, in2_bytes) == LT_OK) &&
             lt_interpreter_invoke(it) == LT_OK &&
             lt_interpreter_get_tensor(it, lt_interpreter_output_tensor(it, 0), out,
                                       out_bytes) == LT_OK;
        CHECK(ok, "%s at %s, %d thread(s): %s", t->name, lt_isa_name(isa), threads,
              lt_interpreter_error(it));
        lt_interpreter_free(it);
    }
    lt_model_free(model);
    return ok;
}

/* Counts compared values, to show that the cases ran. */
static int64_t values_compared = 0;

static void compare(const op_case *t, int isa, int threads, const void *want, const void *got,
                    const float *sums, size_t bytes) {
    if (t->int8 || t->terms == 0) {
        int64_t bad = 0, first = -1;
        for (size_t i = 0; i < bytes; i++)
            if (((const uint8_t *)want)[i] != ((const uint8_t *)got)[i]) {
                if (first < 0) first = (int64_t)i;
                bad++;
            }
        CHECK(bad == 0, "%s at %s, %d thread(s): %lld of %zu bytes differ from portable "
              "(first at byte %lld)", t->name, lt_isa_name(isa), threads, (long long)bad, bytes,
              (long long)first);
    } else {
        const float *w = want, *g = got;
        int64_t bad = 0;
        double worst = 0.0;
        for (size_t i = 0; i < bytes / 4; i++) {
            const double tol = (double)t->terms * FLT_EPSILON * sums[i] + 1e-30;
            const double err = fabs((double)w[i] - (double)g[i]);
            if (!(err <= tol)) bad++;
            if (err / tol > worst) worst = err / tol;
        }
        CHECK(bad == 0, "%s at %s, %d thread(s): %lld values outside the sum bound (worst "
              "%.2f of the bound)", t->name, lt_isa_name(isa), threads, (long long)bad, worst);
    }
    values_compared += (int64_t)(t->int8 ? bytes : bytes / 4);
}

static void run_case(const op_case *t) {
    case_data d;
    fill_data(t, &d);
    size_t size = 0, abs_size = 0;
    uint8_t *buf = build_model(t, &d, false, &size);
    CHECK(buf != NULL, "%s: model not built", t->name);
    uint8_t *abs_buf = NULL;
    float *sums = NULL;
    void *want = malloc(d.out_bytes), *got = malloc(d.out_bytes), *got2 = malloc(d.out_bytes);
    const void *in2 = t->in2_rank > 0 ? d.in2 : NULL;
    if (buf == NULL ||
        !run(t, buf, size, LT_ISA_PORTABLE, 1, d.in, d.in_bytes, in2, d.in2_bytes, want,
             d.out_bytes))
        goto done;
    if (!t->int8 && t->terms > 0) {
        /* S per output: the portable kernel on magnitudes */
        abs_buf = build_model(t, &d, true, &abs_size);
        float *abs_in = malloc(d.in_bytes);
        sums = malloc(d.out_bytes);
        for (size_t i = 0; i < d.in_bytes / 4; i++)
            abs_in[i] = fabsf(((const float *)d.in)[i]);
        const bool ok = abs_buf != NULL && run(t, abs_buf, abs_size, LT_ISA_PORTABLE, 1, abs_in,
                                               d.in_bytes, NULL, 0, sums, d.out_bytes);
        free(abs_in);
        if (!ok) goto done;
    }
    for (int isa = LT_ISA_PORTABLE + 1; isa <= LT_ISA_NEON_DOTPROD; isa++) {
        if (!lt_isa_supported(isa)) continue;
        if (!run(t, buf, size, isa, 1, d.in, d.in_bytes, in2, d.in2_bytes, got, d.out_bytes))
            continue;
        compare(t, isa, 1, want, got, sums, d.out_bytes);
        if (!run(t, buf, size, isa, 2, d.in, d.in_bytes, in2, d.in2_bytes, got2, d.out_bytes))
            continue;
        CHECK(memcmp(got, got2, d.out_bytes) == 0, "%s at %s: 1 and 2 threads differ", t->name,
              lt_isa_name(isa));
    }
done:
    free(want);
    free(got);
    free(got2);
    free(sums);
    free(buf);
    free(abs_buf);
    case_data_free(&d);
}

/* ---- the cases ---------------------------------------------------------------------------- */

static void linear_cases(bool q) {
    /* CONV_2D: 1x1 direct and strided, 3x3 (first layer with 3 channels, tails), 5x5, dilation,
     * channel counts around the 8 / 16 / 32 panel widths; one case large enough to split */
    const op_case conv[] = {
        conv_case("conv 1x1 s1 7->33", q, 2, 5, 7, 7, 33, 1, 1, 1, PAD_VALID, ACT_NONE),
        conv_case("conv 1x1 s1 16->24 relu6", q, 1, 6, 6, 16, 24, 1, 1, 1, PAD_SAME, ACT_RELU6),
        conv_case("conv 1x1 s2 17->8", q, 1, 9, 7, 17, 8, 1, 2, 1, PAD_SAME, ACT_RELU),
        conv_case("conv 3x3 s2 same 3->17", q, 1, 13, 11, 3, 17, 3, 2, 1, PAD_SAME, ACT_RELU6),
        conv_case("conv 3x3 s1 same 1->3", q, 1, 7, 9, 1, 3, 3, 1, 1, PAD_SAME, ACT_NONE),
        conv_case("conv 3x3 s1 valid 33->40", q, 1, 8, 9, 33, 40, 3, 1, 1, PAD_VALID, ACT_NONE),
        conv_case("conv 3x3 s2 valid 7->33", q, 2, 9, 10, 7, 33, 3, 2, 1, PAD_VALID, ACT_RELU),
        conv_case("conv 3x3 d2 same 5->9", q, 1, 9, 9, 5, 9, 3, 1, 2, PAD_SAME, ACT_NONE),
        conv_case("conv 5x5 s1 same 4->12", q, 1, 8, 7, 4, 12, 5, 1, 1, PAD_SAME, ACT_NONE),
        conv_case("conv 3x3 s1 same 24->36 (split)", q, 1, 20, 18, 24, 36, 3, 1, 1, PAD_SAME,
                  ACT_RELU6),
        conv_case("conv 1x1 s1 64->80 (split)", q, 1, 24, 20, 64, 80, 1, 1, 1, PAD_VALID,
                  ACT_NONE),
    };
    const op_case dw[] = {
        dw_case("dw 3x3 s1 same c17", q, 1, 9, 11, 17, 3, 1, 1, PAD_SAME, ACT_NONE),
        dw_case("dw 3x3 s2 same c33", q, 2, 11, 10, 33, 3, 2, 1, PAD_SAME, ACT_RELU6),
        dw_case("dw 3x3 s2 valid c8", q, 1, 10, 9, 8, 3, 2, 1, PAD_VALID, ACT_NONE),
        dw_case("dw 3x3 s1 valid c1", q, 1, 6, 7, 1, 3, 1, 1, PAD_VALID, ACT_RELU),
        dw_case("dw 3x3 d2 same c7", q, 1, 9, 8, 7, 3, 1, 2, PAD_SAME, ACT_NONE),
        dw_case("dw 5x5 s1 same c20", q, 1, 9, 9, 20, 5, 1, 1, PAD_SAME, ACT_NONE),
        dw_case("dw 5x5 s2 same c3", q, 1, 9, 9, 3, 5, 2, 1, PAD_SAME, ACT_RELU),
        dw_case("dw 2x2 s1 valid c13", q, 1, 5, 6, 13, 2, 1, 1, PAD_VALID, ACT_NONE),
        dw_case("dw 3x3 s1 same c96 (split)", q, 1, 28, 28, 96, 3, 1, 1, PAD_SAME, ACT_RELU6),
    };
    const op_case fc[] = {
        fc_case("fc 1x45->37", q, 1, 45, 37, ACT_NONE),
        fc_case("fc 1x3->1", q, 1, 3, 1, ACT_RELU),
        fc_case("fc 3x129->70 relu", q, 3, 129, 70, ACT_RELU),
        fc_case("fc 5x64->16", q, 5, 64, 16, ACT_RELU6),
        fc_case("fc 9x17->24", q, 9, 17, 24, ACT_NONE),
        fc_case("fc 2x700->130 (split)", q, 2, 700, 130, ACT_NONE),
    };
    for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++) run_case(&conv[i]);
    for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++) run_case(&dw[i]);
    for (size_t i = 0; i < sizeof fc / sizeof fc[0]; i++) run_case(&fc[i]);
}

static void other_cases(bool q) {
    const int32_t a4[4] = {2, 5, 7, 19}, row[1] = {19}, one[1] = {1}, big[4] = {1, 40, 40, 33};
    const int32_t a2[2] = {3, 37};
    const op_case cases[] = {
        binary_case("add same shape", OP_ADD, q, 4, a4, 4, a4, ACT_NONE),
        binary_case("add row broadcast relu", OP_ADD, q, 4, a4, 1, row, ACT_RELU),
        binary_case("add scalar", OP_ADD, q, 2, a2, 1, one, ACT_RELU6),
        binary_case("add large (split)", OP_ADD, q, 4, big, 4, big, ACT_NONE),
        binary_case("mul same shape", OP_MUL, q, 4, a4, 4, a4, ACT_NONE),
        binary_case("mul row broadcast", OP_MUL, q, 4, a4, 1, row, ACT_RELU6),
        binary_case("mul scalar", OP_MUL, q, 2, a2, 1, one, ACT_NONE),
        pool_case("max 3x3 s2 same c17", OP_MAX_POOL_2D, q, 2, 9, 11, 17, 3, 2, PAD_SAME,
                  ACT_NONE),
        pool_case("max 2x2 s2 valid c40", OP_MAX_POOL_2D, q, 1, 8, 9, 40, 2, 2, PAD_VALID,
                  ACT_RELU),
        pool_case("max 3x3 s1 same c3", OP_MAX_POOL_2D, q, 1, 6, 5, 3, 3, 1, PAD_SAME,
                  ACT_NONE),
        pool_case("avg 3x3 s1 same c33", OP_AVERAGE_POOL_2D, q, 1, 7, 6, 33, 3, 1, PAD_SAME,
                  ACT_NONE),
        pool_case("avg 2x2 s2 valid c7", OP_AVERAGE_POOL_2D, q, 2, 8, 8, 7, 2, 2, PAD_VALID,
                  ACT_RELU6),
        pool_case("avg 7x7 s1 valid c130", OP_AVERAGE_POOL_2D, q, 1, 7, 7, 130, 7, 1, PAD_VALID,
                  ACT_NONE),
        pool_case("avg 3x3 s1 same c64 (split)", OP_AVERAGE_POOL_2D, q, 1, 40, 40, 64, 3, 1,
                  PAD_SAME, ACT_NONE),
        mean_case("mean 7x7 c37", q, 2, 7, 7, 37),
        mean_case("mean 3x5 c2", q, 1, 3, 5, 2),
        mean_case("mean 14x14 c160 (split)", q, 1, 14, 14, 160),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
}

int main(void) {
    printf("test_simd_vs_portable: levels");
    for (int isa = LT_ISA_PORTABLE; isa <= LT_ISA_NEON_DOTPROD; isa++)
        if (lt_isa_supported(isa)) printf(" %s", lt_isa_name(isa));
    printf("\n");
    linear_cases(false);
    linear_cases(true);
    other_cases(false);
    other_cases(true);
    printf("test_simd_vs_portable: %lld values compared, %d failures, %d runs skipped "
           "(threads not started)\n", (long long)values_compared, failures, runs_skipped);
    return failures == 0 ? 0 : 1;
}
