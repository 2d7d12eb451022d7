/* One fuzz case: a model file's bytes run through the whole public API (load, create,
 * allocate, invoke twice, free). Shared by the libFuzzer entry point (fuzz_model.c) and the
 * libFuzzer-free replay driver (replay_main.c), so both exercise exactly the same path. */
#ifndef LITERT_FUZZ_MODEL_H
#define LITERT_FUZZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* How far one case got: most mutated files stop early with an error, which is expected. */
typedef enum litert_fuzz_stage {
    LITERT_FUZZ_REJECTED_LOAD = 0,     /* lt_model_from_buffer refused the file */
    LITERT_FUZZ_REJECTED_CREATE = 1,   /* lt_interpreter_create refused it */
    LITERT_FUZZ_REJECTED_ALLOCATE = 2, /* prepare / planning refused it */
    LITERT_FUZZ_REJECTED_INVOKE = 3,   /* an invoke returned an error */
    LITERT_FUZZ_RAN = 4,               /* both invokes succeeded */
    LITERT_FUZZ_NOT_INVOKED = 5        /* allocated, but too large to run (fuzz_one.c) */
} litert_fuzz_stage;

/* Runs one model. Errors from the runtime are not failures: only a sanitizer report or a
 * crash is. If `err` is not NULL it receives the runtime's message when a stage failed. */
litert_fuzz_stage litert_fuzz_one(const uint8_t *data, size_t size, char *err, size_t err_len);

#endif
