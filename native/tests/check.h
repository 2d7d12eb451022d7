/* The C tests' assertion: CHECK(cond, printf-style message) records a failure with its
 * location and goes on, so one run reports every broken check; each test's main exits
 * non-zero when `failures` is. Each test is its own executable, so the counter is per test. */
#ifndef LITERT_TESTS_CHECK_H
#define LITERT_TESTS_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fprintf(stderr, "\n");                               \
            failures++;                                          \
        }                                                        \
    } while (0)

#endif
