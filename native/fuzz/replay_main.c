/* Replay driver without libFuzzer: runs each file named on the command line through the same
 * fuzz case as the fuzzer (fuzz_one.c) and prints how far it got. Works with any compiler
 * (gcc's ASan + UBSan too), for the regression files in native/fuzz/regressions/ and crash
 * reproducers on machines without clang. A sanitizer report aborts the process (non-zero
 * status); otherwise the status is 0, or 2 when a file could not be read. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_model.h"

static const char *const STAGE_NAMES[] = {"rejected at load", "rejected at create",
                                          "rejected at allocate", "rejected at invoke",
                                          "ran", "allocated, not invoked"};

/* Reads a whole file into a new heap block; NULL on error. */
static unsigned char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf != NULL) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        unsigned char *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf != NULL && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = n;
    return buf;
}

int main(int argc, char **argv) {
    int unreadable = 0;
    for (int i = 1; i < argc; i++) {
        size_t size = 0;
        unsigned char *buf = read_file(argv[i], &size);
        if (buf == NULL) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            unreadable++;
            continue;
        }
        char err[256];
        litert_fuzz_stage stage = litert_fuzz_one(buf, size, err, sizeof err);
        free(buf);
        printf("%s: %s%s%s\n", argv[i], STAGE_NAMES[stage], err[0] ? ": " : "", err);
    }
    return unreadable == 0 ? 0 : 2;
}
