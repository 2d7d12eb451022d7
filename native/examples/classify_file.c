/* Embedding the runtime in a C program: load a .tflite file, fill the input, run, print the
 * top scores.
 *
 *     classify_file MODEL.tflite [INPUT.npy | INPUT.bin] [--top N]
 *
 * The input comes from a NumPy .npy file (dtype and shape must match the model's first
 * input), from a raw file of exactly the input's bytes, or, with no input file, from a fixed
 * pattern (example_io.c). Everything here is the public API of litert/litert.h; the .npy
 * reader is the one litert-run uses (native/tools/npy.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "example_io.h"
#include "litert/litert.h"
#include "npy.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads the whole file into memory (freed by the caller); NULL with a message on failure. */
static void *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    void *data = NULL;
    long n = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0) {
        data = malloc(n > 0 ? (size_t)n : 1);
        if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
            free(data);
            data = NULL;
        }
    }
    if (f != NULL) fclose(f);
    if (data == NULL) fprintf(stderr, "error: cannot read '%s'\n", path);
    *size = n > 0 ? (size_t)n : 0;
    return data;
}

/* Copies the input file into input tensor `tensor`; the runtime checks the byte count. */
static int load_input(lt_interpreter *it, int tensor, const char *path) {
    char err[256];
    lt_tensor_info info;
    lt_interpreter_tensor_info(it, tensor, &info);
    if (ends_with(path, ".npy")) {
        npy_array a;
        if (npy_read(path, &a, err, sizeof err) != 0) {
            fprintf(stderr, "error: %s\n", err);
            return -1;
        }
        int result = -1;
        if (a.type != info.type)
            fprintf(stderr, "error: '%s' holds %s, the input '%s' is %s\n", path,
                    lt_type_name_of(a.type), info.name, lt_type_name_of(info.type));
        else if (lt_interpreter_set_tensor(it, tensor, a.data, a.bytes) != LT_OK)
            fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
        else
            result = 0;
        npy_free(&a);
        return result;
    }
    size_t size;
    void *data = read_file(path, &size);
    if (data == NULL) return -1;
    lt_status st = lt_interpreter_set_tensor(it, tensor, data, size);
    if (st != LT_OK) fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
    free(data);
    return st == LT_OK ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *model_path = NULL, *input_path = NULL;
    int top = 5, usage_error = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) top = atoi(argv[++i]);
        else if (model_path == NULL) model_path = argv[i];
        else if (input_path == NULL) input_path = argv[i];
        else usage_error = 1;
    }
    if (model_path == NULL || top < 1 || usage_error) {
        fprintf(stderr, "usage: %s MODEL.tflite [INPUT.npy | INPUT.bin] [--top N]\n", argv[0]);
        return 2;
    }

    char err[512];
    lt_model *model = lt_model_from_file(model_path, err, sizeof err);
    if (model == NULL) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    lt_options opts = lt_options_default(); /* one thread, the best kernels the CPU has */
    lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
    if (it == NULL) {
        fprintf(stderr, "error: %s\n", err);
        lt_model_free(model);
        return 1;
    }
    int status = 1;
    int input = lt_interpreter_input_tensor(it, 0);
    if (lt_interpreter_allocate(it) != LT_OK) {
        fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
    } else if (input_path != NULL ? load_input(it, input, input_path) != 0
                                  : example_fill_pattern(it, input) != LT_OK) {
        /* message printed */
    } else if (lt_interpreter_invoke(it) != LT_OK) {
        fprintf(stderr, "error: %s\n", lt_interpreter_error(it));
    } else {
        printf("model: %s (%d ops, kernels: %s)\n", model_path, lt_interpreter_node_count(it),
               lt_isa_name(lt_interpreter_isa(it)));
        printf("input: %s\n", input_path != NULL ? input_path : "pattern");
        status = example_print_top(it, lt_interpreter_output_tensor(it, 0), top) == LT_OK ? 0 : 1;
    }
    lt_interpreter_free(it);
    lt_model_free(model);
    return status;
}
