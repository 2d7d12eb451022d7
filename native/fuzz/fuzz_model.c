/* libFuzzer entry point: every input is treated as a .tflite file (see fuzz_one.c). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)litert_fuzz_one(data, size, NULL, 0);
    return 0;
}
