/* litert-run: loads a .tflite model, feeds its inputs (from .npy files or deterministic
 * pseudo-random values), times repeated invocations and reports the latency.
 *
 *   litert-run MODEL.tflite [--input x.npy]... [--runs N] [--warmup N] [--threads N]
 *              [--output-npy out.npy] [--profile]
 *
 * It uses the public C API only (litert/litert.h), so it doubles as an example of embedding
 * the runtime. Output goes to stdout in "key: value" lines that scripts can parse; any failure
 * prints one line "litert-run: error: ..." on stderr and exits non-zero (2 for a bad command
 * line, 1 for everything else). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#endif

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "litert/litert.h"
#include "npy.h"

#define EXIT_USAGE 2

/* Large enough for any message: they name a path, a tensor and two shapes at most. */
#define ERR_LEN 1024

static const char usage_text[] =
    "usage: litert-run MODEL.tflite [--input x.npy]... [--runs N] [--warmup N] [--threads N]\n"
    "                  [--output-npy out.npy] [--profile]\n"
    "\n"
    "Loads a TensorFlow Lite flatbuffer model, runs it and reports latency.\n"
    "\n"
    "  --input FILE       a NumPy .npy file for the next model input, given once per input in\n"
    "                     order; dtype must match, and the shape too unless the input has\n"
    "                     dynamic (-1) dimensions, in which case it is resized to the file's.\n"
    "                     Without --input, inputs get deterministic pseudo-random values:\n"
    "                     floats in [-1, 1], int8/uint8 over their full range, other integers\n"
    "                     in [0, 7], bools 0 or 1.\n"
    "  --runs N           timed invocations (default 10, at least 1)\n"
    "  --warmup N         untimed invocations first (default 1)\n"
    "  --threads N        threads for the interpreter (default: the runtime's default;\n"
    "                     0 lets the runtime choose)\n"
    "  --output-npy FILE  save the first output of the last run as a .npy file\n"
    "  --profile          time every op during the timed runs (not the warm-up ones) and\n"
    "                     print, after the latency, the mean ms per invoke of each node and\n"
    "                     of each op type, largest first, with their share of the total\n"
    "  -h, --help         show this help\n";

/* ---- command line --------------------------------------------------------------------- */

typedef struct run_args {
    const char *model_path;
    const char **input_paths; /* n_input_paths entries, in the order given */
    int n_input_paths;
    int runs;
    int warmup;
    int threads;
    bool threads_given;
    const char *output_npy;
    bool profile;
    bool help;
} run_args;

static void set_err(char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
}

/* A whole decimal integer in [min, max]; rejects empty strings, trailing text and overflow. */
static bool parse_int(const char *text, long min, long max, int *out) {
    if (text == NULL || *text == '\0') return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
    *out = (int)v;
    return true;
}

/* Splits "--name=value" or "--name value" forms. Returns the value or NULL (with an error)
 * when it is missing; *i is advanced past a separate value argument. */
static const char *option_value(int argc, char **argv, int *i, const char *name, char *err) {
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (arg[len] == '=') return arg + len + 1;
    if (*i + 1 >= argc) {
        set_err(err, "option %s needs a value", name);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

/* True when `arg` is `name` alone or `name=...`. */
static bool is_option(const char *arg, const char *name) {
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

static int parse_args(int argc, char **argv, run_args *args, char *err) {
    memset(args, 0, sizeof *args);
    args->runs = 10;
    args->warmup = 1;
    /* At most one input path per argument; argc bounds the count. */
    args->input_paths = malloc(sizeof(const char *) * (size_t)(argc > 0 ? argc : 1));
    if (args->input_paths == NULL) {
        set_err(err, "out of memory");
        return -1;
    }
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (args->model_path != NULL) {
                set_err(err, "unexpected extra argument '%s' (only one model path is taken)",
                        arg);
                return -1;
            }
            args->model_path = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            args->help = true;
        } else if (is_option(arg, "--input")) {
            if ((value = option_value(argc, argv, &i, "--input", err)) == NULL) return -1;
            args->input_paths[args->n_input_paths++] = value;
        } else if (is_option(arg, "--runs")) {
            if ((value = option_value(argc, argv, &i, "--runs", err)) == NULL) return -1;
            if (!parse_int(value, 1, 10000000, &args->runs)) {
                set_err(err, "--runs expects an integer from 1 to 10000000, got '%s'", value);
                return -1;
            }
        } else if (is_option(arg, "--warmup")) {
            if ((value = option_value(argc, argv, &i, "--warmup", err)) == NULL) return -1;
            if (!parse_int(value, 0, 10000000, &args->warmup)) {
                set_err(err, "--warmup expects an integer from 0 to 10000000, got '%s'", value);
                return -1;
            }
        } else if (is_option(arg, "--threads")) {
            if ((value = option_value(argc, argv, &i, "--threads", err)) == NULL) return -1;
            if (!parse_int(value, 0, 1024, &args->threads)) {
                set_err(err, "--threads expects an integer from 0 to 1024, got '%s'", value);
                return -1;
            }
            args->threads_given = true;
        } else if (strcmp(arg, "--profile") == 0) {
            args->profile = true;
        } else if (is_option(arg, "--output-npy")) {
            if ((value = option_value(argc, argv, &i, "--output-npy", err)) == NULL) return -1;
            args->output_npy = value;
        } else {
            set_err(err, "unknown option '%s' (see --help)", arg);
            return -1;
        }
    }
    if (!args->help && args->model_path == NULL) {
        set_err(err, "no model given (usage: litert-run MODEL.tflite [options]; see --help)");
        return -1;
    }
    return 0;
}

/* ---- describing tensors --------------------------------------------------------------- */

/* "float32" rather than the runtime's "FLOAT32": the spelling NumPy users know. */
static void dtype_name(lt_type type, char *buf, size_t buf_len) {
    const char *name = lt_type_name_of(type);
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < buf_len; i++) {
        char c = name[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[i] = '\0';
}

static void shape_str(const int32_t *dims, int rank, char *buf, size_t buf_len) {
    size_t used = 0;
    int w = snprintf(buf, buf_len, "[");
    if (w > 0) used = (size_t)w;
    for (int d = 0; d < rank && used < buf_len; d++) {
        w = snprintf(buf + used, buf_len - used, d == 0 ? "%d" : ", %d", (int)dims[d]);
        if (w < 0) return;
        used += (size_t)w;
    }
    if (used < buf_len) snprintf(buf + used, buf_len - used, "]");
}

/* Tensor names come from the (untrusted) model file: print control bytes as '?' so that each
 * tensor stays on one output line. */
static void print_clean(FILE *out, const char *text) {
    if (text == NULL) return;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static const char *safe_name(const char *name) { return name != NULL ? name : ""; }

/* ---- pseudo-random inputs ------------------------------------------------------------- */

/* SplitMix64: tiny, fast and well mixed; the state lives with the caller. */
typedef struct prng {
    uint64_t state;
} prng;

static uint64_t prng_next(prng *g) {
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1) with 24 (float) or 53 (double) random bits. */
static float prng_float(prng *g) { return (float)(prng_next(g) >> 40) * 0x1.0p-23f - 1.0f; }
static double prng_double(prng *g) { return (double)(prng_next(g) >> 11) * 0x1.0p-52 - 1.0; }

/* IEEE binary16 bits of a float in [-1, 1] (truncating the mantissa; values below the
 * smallest normal half become zero, which is fine for test data). */
static uint16_t half_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    int exp = (int)((x >> 23) & 0xffu) - 127 + 15;
    if (exp <= 0) return sign;
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
    return (uint16_t)(sign | (uint16_t)((unsigned)exp << 10) | (uint16_t)((x & 0x7fffffu) >> 13));
}

static uint16_t bfloat16_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return (uint16_t)(x >> 16);
}

/* Fills `bytes` of `buf` with values of `type`. Integers other than int8/uint8 stay in [0, 7]
 * so that inputs used as indices or sizes (GATHER, RESHAPE) have a chance to be valid. */
static int fill_random(prng *g, lt_type type, uint8_t *buf, size_t bytes) {
    size_t i = 0;
    switch (type) {
    case LT_FLOAT32:
    case LT_COMPLEX64:
        for (; i + 4 <= bytes; i += 4) {
            float v = prng_float(g);
            memcpy(buf + i, &v, 4);
        }
        return 0;
    case LT_FLOAT64:
    case LT_COMPLEX128:
        for (; i + 8 <= bytes; i += 8) {
            double v = prng_double(g);
            memcpy(buf + i, &v, 8);
        }
        return 0;
    case LT_FLOAT16:
    case LT_BFLOAT16:
        for (; i + 2 <= bytes; i += 2) {
            float v = prng_float(g);
            uint16_t h = type == LT_FLOAT16 ? half_bits(v) : bfloat16_bits(v);
            memcpy(buf + i, &h, 2);
        }
        return 0;
    case LT_INT8:
    case LT_UINT8:
        for (; i < bytes; i++) buf[i] = (uint8_t)(prng_next(g) >> 56);
        return 0;
    case LT_BOOL:
        for (; i < bytes; i++) buf[i] = (uint8_t)(prng_next(g) >> 63);
        return 0;
    case LT_INT16:
    case LT_UINT16:
        for (; i + 2 <= bytes; i += 2) {
            uint16_t v = (uint16_t)(prng_next(g) >> 61);
            memcpy(buf + i, &v, 2);
        }
        return 0;
    case LT_INT32:
    case LT_UINT32:
        for (; i + 4 <= bytes; i += 4) {
            uint32_t v = (uint32_t)(prng_next(g) >> 61);
            memcpy(buf + i, &v, 4);
        }
        return 0;
    case LT_INT64:
    case LT_UINT64:
        for (; i + 8 <= bytes; i += 8) {
            uint64_t v = prng_next(g) >> 61;
            memcpy(buf + i, &v, 8);
        }
        return 0;
    default:
        return -1; /* strings, resources, variants, int4: no sensible random fill */
    }
}

/* ---- the run -------------------------------------------------------------------------- */

/* Everything a run owns, released in one place whatever happened. */
typedef struct run_state {
    lt_model *model;
    lt_interpreter *interp;
    npy_array *arrays; /* one per model input when --input is used, else NULL */
    int n_arrays;
    double *times_ms;
    double *sorted_ms;
    uint8_t *scratch;
    struct profile_row *profile_rows; /* --profile: one per executed node, then per op type */
} run_state;

static void run_state_release(run_state *s) {
    if (s->arrays != NULL)
        for (int i = 0; i < s->n_arrays; i++) npy_free(&s->arrays[i]);
    free(s->arrays);
    free(s->times_ms);
    free(s->sorted_ms);
    free(s->scratch);
    free(s->profile_rows);
    lt_interpreter_free(s->interp);
    lt_model_free(s->model);
    memset(s, 0, sizeof *s);
}

static int input_info(run_state *s, int i, lt_tensor_info *info, char *err) {
    int t = lt_interpreter_input_tensor(s->interp, i);
    if (t < 0 || lt_interpreter_tensor_info(s->interp, t, info) != LT_OK) {
        set_err(err, "cannot describe input %d: %s", i, lt_interpreter_error(s->interp));
        return -1;
    }
    return 0;
}

/* Checks that the array read from `path` fits input i: same dtype, and either the same shape
 * or a shape that the input's signature allows (dimensions marked -1 may change), in which
 * case the input is resized. */
static int match_input(run_state *s, int i, const npy_array *a, const char *path, char *err) {
    lt_tensor_info info;
    if (input_info(s, i, &info, err) != 0) return -1;
    /* Copied now: a resize invalidates the pointers in `info`. */
    char label[256];
    snprintf(label, sizeof label, "input %d '%s'", i, safe_name(info.name));
    char want_type[24], got_type[24];
    dtype_name(info.type, want_type, sizeof want_type);
    dtype_name(a->type, got_type, sizeof got_type);
    if (info.type != a->type) {
        set_err(err, "%s: dtype mismatch: the model expects %s, %s holds %s ('%s')", label,
                want_type, path, got_type, a->descr);
        return -1;
    }
    bool same = info.rank == a->rank;
    for (int d = 0; same && d < a->rank; d++) same = info.dims[d] == a->dims[d];
    if (same) return 0;

    char want[160], got[160], sig[160];
    shape_str(info.dims, info.rank, want, sizeof want);
    shape_str(a->dims, a->rank, got, sizeof got);
    bool allowed = info.signature_rank == a->rank && info.dims_signature != NULL;
    for (int d = 0; allowed && d < a->rank; d++)
        allowed = info.dims_signature[d] == -1 || info.dims_signature[d] == a->dims[d];
    if (!allowed) {
        if (info.signature_rank > 0 && info.dims_signature != NULL)
            shape_str(info.dims_signature, info.signature_rank, sig, sizeof sig);
        else
            snprintf(sig, sizeof sig, "none: no dimension may change");
        set_err(err, "%s: shape mismatch: the model expects %s (signature %s), %s holds %s",
                label, want, sig, path, got);
        return -1;
    }
    if (lt_interpreter_resize_input(s->interp, i, a->dims, a->rank) != LT_OK) {
        set_err(err, "%s: cannot resize from %s to %s: %s", label, want, got,
                lt_interpreter_error(s->interp));
        return -1;
    }
    return 0;
}

static int load_inputs(run_state *s, const run_args *args, char *err) {
    int n_inputs = lt_interpreter_input_count(s->interp);
    if (args->n_input_paths == 0) return 0;
    if (args->n_input_paths != n_inputs) {
        set_err(err, "the model has %d input%s but %d --input file%s given; give one per input, "
                "in order, or none for random inputs", n_inputs, n_inputs == 1 ? "" : "s",
                args->n_input_paths, args->n_input_paths == 1 ? " was" : "s were");
        return -1;
    }
    s->arrays = calloc((size_t)n_inputs, sizeof *s->arrays);
    if (s->arrays == NULL) {
        set_err(err, "out of memory");
        return -1;
    }
    s->n_arrays = n_inputs;
    for (int i = 0; i < n_inputs; i++) {
        const char *path = args->input_paths[i];
        char why[ERR_LEN];
        if (npy_read(path, &s->arrays[i], why, sizeof why) != 0) {
            set_err(err, "input %d: %s", i, why);
            return -1;
        }
        if (match_input(s, i, &s->arrays[i], path, err) != 0) return -1;
    }
    return 0;
}

/* After allocate: copies the files' data into the inputs, or fills them with random values. */
static int set_inputs(run_state *s, char *err) {
    int n_inputs = lt_interpreter_input_count(s->interp);
    for (int i = 0; i < n_inputs; i++) {
        lt_tensor_info info;
        if (input_info(s, i, &info, err) != 0) return -1;
        int t = lt_interpreter_input_tensor(s->interp, i);
        const void *data;
        if (s->arrays != NULL) {
            if (s->arrays[i].bytes != info.bytes) {
                set_err(err, "input %d '%s': the file holds %zu bytes but the tensor has %zu", i,
                        safe_name(info.name), s->arrays[i].bytes, info.bytes);
                return -1;
            }
            data = s->arrays[i].data;
        } else {
            free(s->scratch);
            s->scratch = malloc(info.bytes > 0 ? info.bytes : 1);
            if (s->scratch == NULL) {
                set_err(err, "out of memory for input %d (%zu bytes)", i, info.bytes);
                return -1;
            }
            /* One stream per input, so an input's values do not depend on the others. */
            prng g = {UINT64_C(0x6C69746572742D72) + (uint64_t)i};
            if (fill_random(&g, info.type, s->scratch, info.bytes) != 0) {
                char type[24];
                dtype_name(info.type, type, sizeof type);
                set_err(err, "input %d '%s': cannot generate random %s values; pass --input", i,
                        safe_name(info.name), type);
                return -1;
            }
            data = s->scratch;
        }
        if (lt_interpreter_set_tensor(s->interp, t, data, info.bytes) != LT_OK) {
            set_err(err, "input %d '%s': %s", i, safe_name(info.name),
                    lt_interpreter_error(s->interp));
            return -1;
        }
    }
    return 0;
}

static int print_tensor_line(run_state *s, const char *kind, int i, int tensor, char *err) {
    lt_tensor_info info;
    if (tensor < 0 || lt_interpreter_tensor_info(s->interp, tensor, &info) != LT_OK) {
        set_err(err, "cannot describe %s %d: %s", kind, i, lt_interpreter_error(s->interp));
        return -1;
    }
    char type[24], shape[160];
    dtype_name(info.type, type, sizeof type);
    shape_str(info.dims, info.rank, shape, sizeof shape);
    printf("%s %d: '", kind, i);
    print_clean(stdout, info.name);
    printf("' %s %s\n", type, shape);
    return 0;
}

static int print_model_summary(run_state *s, const run_args *args, int threads, char *err) {
    printf("model: ");
    print_clean(stdout, args->model_path);
    printf("\nthreads: %d%s\n", threads, threads <= 0 ? " (runtime chooses)" : "");
    printf("arena bytes: %zu\n", lt_interpreter_arena_bytes(s->interp));
    int n_in = lt_interpreter_input_count(s->interp);
    int n_out = lt_interpreter_output_count(s->interp);
    for (int i = 0; i < n_in; i++)
        if (print_tensor_line(s, "input", i, lt_interpreter_input_tensor(s->interp, i), err) != 0)
            return -1;
    for (int i = 0; i < n_out; i++)
        if (print_tensor_line(s, "output", i, lt_interpreter_output_tensor(s->interp, i), err) !=
            0)
            return -1;
    return 0;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int compare_double(const void *a, const void *b) {
    double x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    return (x > y) - (x < y);
}

static int invoke_timed(run_state *s, const run_args *args, char *err) {
    for (int r = 0; r < args->warmup; r++) {
        if (lt_interpreter_invoke(s->interp) != LT_OK) {
            set_err(err, "invoke failed (warmup run %d): %s", r + 1,
                    lt_interpreter_error(s->interp));
            return -1;
        }
    }
    /* Turned on after the warm-up so that first-run effects stay out of the profile. */
    if (args->profile && lt_interpreter_set_profiling(s->interp, 1) != LT_OK) {
        set_err(err, "cannot turn profiling on: %s", lt_interpreter_error(s->interp));
        return -1;
    }
    size_t n = (size_t)args->runs;
    s->times_ms = malloc(n * sizeof *s->times_ms);
    s->sorted_ms = malloc(n * sizeof *s->sorted_ms);
    if (s->times_ms == NULL || s->sorted_ms == NULL) {
        set_err(err, "out of memory for %d timings", args->runs);
        return -1;
    }
    for (size_t r = 0; r < n; r++) {
        double start = now_ms();
        lt_status st = lt_interpreter_invoke(s->interp);
        double end = now_ms();
        if (st != LT_OK) {
            set_err(err, "invoke failed (timed run %zu): %s", r + 1,
                    lt_interpreter_error(s->interp));
            return -1;
        }
        s->times_ms[r] = end - start;
    }
    memcpy(s->sorted_ms, s->times_ms, n * sizeof *s->sorted_ms);
    qsort(s->sorted_ms, n, sizeof *s->sorted_ms, compare_double);
    double sum = 0.0;
    for (size_t r = 0; r < n; r++) sum += s->times_ms[r];
    double median = n % 2 == 1 ? s->sorted_ms[n / 2]
                               : 0.5 * (s->sorted_ms[n / 2 - 1] + s->sorted_ms[n / 2]);
    printf("runs: %d timed, %d warmup\n", args->runs, args->warmup);
    printf("latency min: %.6f ms\n", s->sorted_ms[0]);
    printf("latency median: %.6f ms\n", median);
    printf("latency mean: %.6f ms\n", sum / (double)n);
    return 0;
}

/* ---- --profile ------------------------------------------------------------------------ */

/* One line of a profile table: a node (node >= 0) or an op type (node = -1, count nodes). */
typedef struct profile_row {
    int node;
    const char *op;
    int count;
    double ms; /* mean per invoke */
} profile_row;

/* Largest time first; ties in node order, then by name, so the output is deterministic. */
static int compare_rows(const void *a, const void *b) {
    const profile_row *x = a, *y = b;
    if (x->ms != y->ms) return x->ms < y->ms ? 1 : -1;
    if (x->node != y->node) return x->node < y->node ? -1 : 1;
    return strcmp(x->op, y->op);
}

/* An op name as one field of the table: control bytes and spaces (possible in a custom op's
 * code from an untrusted file) become '?', padded to `width`. */
static void print_op_field(const char *op, int width) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)op; *p != '\0'; p++, n++)
        putchar(*p <= 0x20 || *p == 0x7f ? '?' : *p);
    if (n == 0) {
        putchar('?');
        n = 1;
    }
    for (; n < width; n++) putchar(' ');
}

static double percent(double part, double total) { return total > 0.0 ? 100.0 * part / total : 0.0; }

/* Prints the per-node and per-op-type tables, each sorted by mean time per invoke. */
static int print_profile(run_state *s, char *err) {
    int n = lt_interpreter_profile_count(s->interp);
    /* Room for the node rows and as many op-type rows (at most one per node). */
    s->profile_rows = calloc((size_t)(n > 0 ? 2 * n : 1), sizeof *s->profile_rows);
    if (s->profile_rows == NULL) {
        set_err(err, "out of memory for the profile of %d nodes", n);
        return -1;
    }
    profile_row *nodes = s->profile_rows, *ops = s->profile_rows + n;
    int n_ops = 0;
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        lt_profile_entry e;
        if (lt_interpreter_profile_entry(s->interp, i, &e) != LT_OK) {
            set_err(err, "cannot read profile entry %d: %s", i, lt_interpreter_error(s->interp));
            return -1;
        }
        const char *op = e.op != NULL ? e.op : "";
        double ms = e.runs > 0 ? (double)e.total_ns * 1e-6 / (double)e.runs : 0.0;
        nodes[i] = (profile_row){e.node, op, 1, ms};
        total += ms;
        int k = 0;
        while (k < n_ops && strcmp(ops[k].op, op) != 0) k++;
        if (k == n_ops) ops[n_ops++] = (profile_row){-1, op, 0, 0.0};
        ops[k].count++;
        ops[k].ms += ms;
    }
    qsort(nodes, (size_t)n, sizeof *nodes, compare_rows);
    qsort(ops, (size_t)n_ops, sizeof *ops, compare_rows);
    printf("profile: %d nodes run, %d op types, mean ms per invoke over the timed runs\n", n,
           n_ops);
    printf("profile total: %.6f ms\n", total);
    printf("profile by node:\n");
    printf("  %6s  %-28s %12s %8s\n", "node", "op", "ms", "%");
    for (int i = 0; i < n; i++) {
        printf("  %6d  ", nodes[i].node);
        print_op_field(nodes[i].op, 28);
        printf(" %12.6f %8.2f\n", nodes[i].ms, percent(nodes[i].ms, total));
    }
    printf("profile by op:\n");
    printf("  %-28s %6s %12s %8s\n", "op", "count", "ms", "%");
    for (int k = 0; k < n_ops; k++) {
        printf("  ");
        print_op_field(ops[k].op, 28);
        printf(" %6d %12.6f %8.2f\n", ops[k].count, ops[k].ms, percent(ops[k].ms, total));
    }
    return 0;
}

static int save_first_output(run_state *s, const char *path, char *err) {
    if (lt_interpreter_output_count(s->interp) < 1) {
        set_err(err, "--output-npy: the model has no outputs");
        return -1;
    }
    int t = lt_interpreter_output_tensor(s->interp, 0);
    lt_tensor_info info;
    if (t < 0 || lt_interpreter_tensor_info(s->interp, t, &info) != LT_OK) {
        set_err(err, "cannot describe output 0: %s", lt_interpreter_error(s->interp));
        return -1;
    }
    free(s->scratch);
    s->scratch = malloc(info.bytes > 0 ? info.bytes : 1);
    if (s->scratch == NULL) {
        set_err(err, "out of memory for output 0 (%zu bytes)", info.bytes);
        return -1;
    }
    if (lt_interpreter_get_tensor(s->interp, t, s->scratch, info.bytes) != LT_OK) {
        set_err(err, "cannot read output 0 '%s': %s", safe_name(info.name),
                lt_interpreter_error(s->interp));
        return -1;
    }
    char why[ERR_LEN];
    if (npy_write(path, info.type, info.dims, info.rank, s->scratch, info.bytes, why,
                  sizeof why) != 0) {
        set_err(err, "--output-npy: output 0 '%s': %s", safe_name(info.name), why);
        return -1;
    }
    return 0;
}

static int run(const run_args *args, char *err) {
    run_state s;
    memset(&s, 0, sizeof s);
    char why[ERR_LEN];
    int status = -1;

    s.model = lt_model_from_file(args->model_path, why, sizeof why);
    if (s.model == NULL) {
        set_err(err, "cannot load model %s: %s", args->model_path, why);
        goto done;
    }
    lt_options opts = lt_options_default();
    if (args->threads_given) opts.num_threads = args->threads;
    s.interp = lt_interpreter_create(s.model, &opts, why, sizeof why);
    if (s.interp == NULL) {
        set_err(err, "cannot create an interpreter for %s: %s", args->model_path, why);
        goto done;
    }
    if (load_inputs(&s, args, err) != 0) goto done;
    if (lt_interpreter_allocate(s.interp) != LT_OK) {
        set_err(err, "allocate failed: %s", lt_interpreter_error(s.interp));
        goto done;
    }
    if (set_inputs(&s, err) != 0) goto done;
    if (print_model_summary(&s, args, opts.num_threads, err) != 0) goto done;
    fflush(stdout);
    if (invoke_timed(&s, args, err) != 0) goto done;
    if (args->profile && print_profile(&s, err) != 0) goto done;
    if (args->output_npy != NULL && save_first_output(&s, args->output_npy, err) != 0) goto done;
    status = 0;
done:
    run_state_release(&s);
    return status;
}

/* One line on stderr, whatever the message holds (runtime messages could carry newlines). */
static void report_error(const char *msg) {
    fputs("litert-run: error: ", stderr);
    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
    fputc('\n', stderr);
}

int main(int argc, char **argv) {
    char err[ERR_LEN] = "";
    run_args args;
    if (parse_args(argc, argv, &args, err) != 0) {
        free(args.input_paths);
        report_error(err);
        return EXIT_USAGE;
    }
    if (args.help) {
        free(args.input_paths);
        fputs(usage_text, stdout);
        return 0;
    }
    int status = run(&args, err);
    free(args.input_paths);
    fflush(stdout);
    if (status != 0) {
        report_error(err);
        return 1;
    }
    return 0;
}
