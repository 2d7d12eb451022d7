/* Embedded mode and the allocator hooks (litert.h, "Memory and embedded mode"): every heap
 * allocation of the runtime goes through lt_allocator, so counting hooks show exactly where
 * the runtime allocates: at load (the model's tables), at create (one block for the
 * interpreter's tables) and at a heap allocate (the plan); never at invoke. With the plan in
 * caller memory (lt_interpreter_allocate_with_arena) allocate makes no allocation, and with
 * the interpreter itself in caller memory (lt_interpreter_create_in) nothing after loading
 * does; with a model loaded through a bump allocator over a static pool, nothing at all
 * touches the heap.
 *
 * Models: the bare-metal example's int8 network (conv, depthwise, pool, fully connected,
 * softmax; output known from TensorFlow Lite's reference kernels) and a float32 one written
 * here (fully connected with weights packed at prepare, an ADD of two constants folded at
 * prepare), whose expected values are computed here in plain C. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litert/litert.h"
#include "model_writer.h"
#include "model_writer.c"
#include "../baremetal/model_data.h"

#include "check.h"

/* ---- Counting allocator ----------------------------------------------------------------- */

typedef struct counter {
    long mallocs;   /* successful malloc_fn calls */
    long frees;
    long refused;   /* calls refused because `refuse` was set */
    bool refuse;    /* make malloc_fn return NULL (a heap that is not there) */
} counter;

static void *count_malloc(void *user, size_t bytes) {
    counter *c = user;
    if (c->refuse) {
        c->refused++;
        return NULL;
    }
    void *p = malloc(bytes);
    if (p != NULL) c->mallocs++;
    return p;
}

static void count_free(void *user, void *ptr) {
    counter *c = user;
    c->frees++;
    free(ptr);
}

static lt_allocator counting(counter *c) {
    lt_allocator a = {count_malloc, count_free, c};
    return a;
}

/* A bump allocator over a static pool: what a program without a heap gives the model loader.
 * free_fn does nothing; the pool is reused only when everything in it is dead. */
typedef struct bump {
    uint8_t *pool;
    size_t size;
    size_t used;
    long calls;
} bump;

static void *bump_malloc(void *user, size_t bytes) {
    bump *b = user;
    size_t start = (b->used + 15) & ~(size_t)15; /* malloc's alignment on common targets */
    if (start > b->size || bytes > b->size - start) return NULL;
    b->used = start + bytes;
    b->calls++;
    return b->pool + start;
}

static void bump_free(void *user, void *ptr) {
    (void)user;
    (void)ptr;
}

/* True when `msg` contains the decimal number n. */
static bool mentions(const char *msg, size_t n) {
    char num[32];
    snprintf(num, sizeof num, "%zu", n);
    return msg != NULL && strstr(msg, num) != NULL;
}

/* ---- The int8 model --------------------------------------------------------------------- */

/* Sets the input, invokes `runs` times and checks the output each time. */
static void run_int8(lt_interpreter *it, int runs, const char *what) {
    int8_t out[sizeof k_expected];
    CHECK(lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), k_input,
                                    sizeof k_input) == LT_OK, "%s: set input: %s", what,
          lt_interpreter_error(it));
    for (int r = 0; r < runs; r++) {
        memset(out, 0x55, sizeof out);
        CHECK(lt_interpreter_invoke(it) == LT_OK, "%s: invoke: %s", what,
              lt_interpreter_error(it));
        CHECK(lt_interpreter_get_tensor(it, lt_interpreter_output_tensor(it, 0), out,
                                        sizeof out) == LT_OK, "%s: get output", what);
        if (memcmp(out, k_expected, sizeof out) != 0) {
            CHECK(false, "%s: run %d: output differs from TensorFlow Lite's reference", what, r);
            return;
        }
    }
}

/* Heap-created interpreter, plan in caller memory. */
static void test_allocate_with_arena(void) {
    char err[512];
    counter c = {0, 0, 0, false};
    lt_allocator heap = counting(&c);
    lt_model *model = lt_model_from_buffer_with_allocator(k_model, sizeof k_model, &heap, err,
                                                          sizeof err);
    CHECK(model != NULL, "load: %s", err);
    if (model == NULL) return;
    long at_load = c.mallocs;
    CHECK(at_load > 0, "the model's tables should come through the hook");

    lt_options opts = lt_options_default();
    opts.allocator = heap;
    lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
    CHECK(it != NULL, "create: %s", err);
    if (it == NULL) {
        lt_model_free(model);
        return;
    }
    long at_create = c.mallocs - at_load;
    CHECK(at_create == 1, "create made %ld allocations, expected 1 (one block for the tables)",
          at_create);

    /* lt_interpreter_plan: uses the heap, returns every byte of it. */
    long before = c.mallocs, frees_before = c.frees;
    size_t need = 0;
    CHECK(lt_interpreter_plan(it, &need) == LT_OK, "plan: %s", lt_interpreter_error(it));
    long at_plan = c.mallocs - before;
    CHECK(need > 0 && need % LT_ARENA_ALIGNMENT == 0, "plan reported %zu bytes", need);
    CHECK(c.frees - frees_before == at_plan, "plan kept %ld heap blocks",
          at_plan - (c.frees - frees_before));
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "plan must leave the interpreter unallocated");
    CHECK(lt_interpreter_plan_bytes(it) == 0, "no plan after lt_interpreter_plan");

    /* The plan in caller memory: no allocation at allocate or invoke. */
    uint8_t *raw = malloc(need + 2 * LT_ARENA_ALIGNMENT);
    CHECK(raw != NULL, "test out of memory");
    if (raw == NULL) return;
    uint8_t *arena = raw + (LT_ARENA_ALIGNMENT - (uintptr_t)raw % LT_ARENA_ALIGNMENT);
    before = c.mallocs;
    CHECK(lt_interpreter_allocate_with_arena(it, arena, need) == LT_OK,
          "allocate with an arena of exactly the planned %zu bytes: %s", need,
          lt_interpreter_error(it));
    long at_allocate = c.mallocs - before;
    CHECK(at_allocate == 0, "allocate with an arena made %ld allocations", at_allocate);
    CHECK(lt_interpreter_plan_bytes(it) == need, "plan bytes %zu, planned %zu",
          lt_interpreter_plan_bytes(it), need);
    const uint8_t *out = lt_interpreter_tensor_data(it, lt_interpreter_output_tensor(it, 0));
    CHECK(out >= arena && out < arena + need, "the output tensor should be in the arena");
    before = c.mallocs;
    run_int8(it, 100, "arena");
    CHECK(c.mallocs == before, "100 invokes made %ld allocations", c.mallocs - before);
    printf("int8 model: load %ld allocations, create %ld, plan %ld (%zu bytes), "
           "allocate_with_arena %ld, invoke x100 %ld\n", at_load, at_create, at_plan, need,
           at_allocate, c.mallocs - before);

    /* Too small: a clear error naming the exact size, nothing kept. */
    before = c.mallocs;
    frees_before = c.frees;
    CHECK(lt_interpreter_allocate_with_arena(it, arena, need - LT_ARENA_ALIGNMENT) == LT_ERROR,
          "an arena 64 bytes short must be refused");
    const char *msg = lt_interpreter_error(it);
    CHECK(mentions(msg, need) && strstr(msg, "too small") != NULL,
          "the error should name the %zu bytes needed: %s", need, msg);
    CHECK(c.mallocs - before == c.frees - frees_before, "measuring must free what it took");
    CHECK(lt_interpreter_invoke(it) == LT_ERROR, "no plan after a failed allocate");
    /* With a heap that refuses (no heap at all), the error still says what it knows. */
    c.refuse = true;
    CHECK(lt_interpreter_allocate_with_arena(it, arena, 128) == LT_ERROR, "128 bytes is too few");
    msg = lt_interpreter_error(it);
    CHECK(strstr(msg, "too small") != NULL && strstr(msg, "more than") != NULL,
          "without a heap the error gives a lower bound: %s", msg);
    c.refuse = false;
    CHECK(lt_interpreter_allocate_with_arena(it, NULL, need) == LT_ERROR, "NULL memory");

    /* Memory not aligned: up to LT_ARENA_ALIGNMENT - 1 bytes more. */
    before = c.mallocs;
    CHECK(lt_interpreter_allocate_with_arena(it, arena + 1, need + LT_ARENA_ALIGNMENT - 1) ==
          LT_OK, "unaligned arena: %s", lt_interpreter_error(it));
    CHECK(c.mallocs == before, "allocate with an unaligned arena allocated");
    run_int8(it, 3, "unaligned arena");

    /* The ordinary heap allocate: the plan through the hook, still nothing at invoke. */
    before = c.mallocs;
    CHECK(lt_interpreter_allocate(it) == LT_OK, "heap allocate: %s", lt_interpreter_error(it));
    long at_heap_allocate = c.mallocs - before;
    CHECK(at_heap_allocate > 0, "a heap allocate should allocate through the hook");
    CHECK(lt_interpreter_plan_bytes(it) == need, "heap plan %zu bytes, arena plan %zu",
          lt_interpreter_plan_bytes(it), need);
    before = c.mallocs;
    run_int8(it, 100, "heap");
    CHECK(c.mallocs == before, "100 invokes on the heap plan made %ld allocations",
          c.mallocs - before);
    printf("int8 model: heap allocate %ld allocations\n", at_heap_allocate);

    /* Profiling tables come through the hook too. */
    before = c.mallocs;
    CHECK(lt_interpreter_set_profiling(it, 1) == LT_OK, "profiling on");
    CHECK(c.mallocs - before == 1, "profiling made %ld allocations, expected 1",
          c.mallocs - before);
    CHECK(lt_interpreter_set_profiling(it, 0) == LT_OK, "profiling off");

    lt_interpreter_free(it);
    lt_model_free(model);
    CHECK(c.mallocs == c.frees, "%ld allocations, %ld frees: something leaked or was freed "
          "twice", c.mallocs, c.frees);
    free(raw);
}

/* The interpreter itself in caller memory, the model through a bump allocator: no heap at all
 * (the counting hooks refuse, so any heap call would fail the run). */
static _Alignas(64) uint8_t g_memory[256 * 1024];
static _Alignas(16) uint8_t g_model_pool[32 * 1024];

static void test_create_in(void) {
    char err[512];
    bump pool = {g_model_pool, sizeof g_model_pool, 0, 0};
    lt_allocator pool_alloc = {bump_malloc, bump_free, &pool};
    lt_model *model = lt_model_from_buffer_with_allocator(k_model, sizeof k_model, &pool_alloc,
                                                          err, sizeof err);
    CHECK(model != NULL, "load from the pool: %s", err);
    if (model == NULL) return;

    size_t table_bytes = 0;
    CHECK(lt_interpreter_create_bytes(model, &table_bytes, err, sizeof err) == LT_OK,
          "create_bytes: %s", err);
    CHECK(table_bytes > 0 && table_bytes % LT_ARENA_ALIGNMENT == 0, "table bytes %zu",
          table_bytes);

    /* The plan size, measured once on an ordinary interpreter (a program would print it on the
     * target, or take it from the too-small error). */
    size_t plan_bytes = 0;
    lt_interpreter *probe = lt_interpreter_create(model, NULL, err, sizeof err);
    CHECK(probe != NULL && lt_interpreter_plan(probe, &plan_bytes) == LT_OK, "probe plan: %s",
          probe ? lt_interpreter_error(probe) : err);
    lt_interpreter_free(probe);

    counter c = {0, 0, 0, true};
    lt_options opts = lt_options_default();
    opts.allocator = counting(&c);

    /* Too small for the tables: NULL and the size needed. */
    lt_interpreter *it = lt_interpreter_create_in(model, &opts, g_memory, table_bytes - 1, err,
                                                  sizeof err);
    CHECK(it == NULL && mentions(err, table_bytes), "too small for the tables: %s", err);
    it = lt_interpreter_create_in(model, &opts, NULL, sizeof g_memory, err, sizeof err);
    CHECK(it == NULL && err[0] != '\0', "NULL memory must be refused");

    /* Room for the tables but not the plan: allocate names the total create_in needs. */
    it = lt_interpreter_create_in(model, &opts, g_memory, table_bytes + plan_bytes - 64, err,
                                  sizeof err);
    CHECK(it != NULL, "create_in: %s", err);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "plan 64 bytes short must fail");
        const char *msg = lt_interpreter_error(it);
        /* The heap refuses here, so measuring cannot finish: a lower bound. */
        CHECK(strstr(msg, "too small") != NULL && strstr(msg, "lt_interpreter_create_in") != NULL,
              "error should point at create_in's memory: %s", msg);
        c.refuse = false; /* with a heap to measure on, the exact total */
        long before = c.mallocs;
        CHECK(lt_interpreter_allocate(it) == LT_ERROR, "still too small");
        msg = lt_interpreter_error(it);
        CHECK(mentions(msg, table_bytes + plan_bytes), "error should name %zu bytes: %s",
              table_bytes + plan_bytes, msg);
        CHECK(c.mallocs - before > 0 && c.mallocs == c.frees, "measuring freed what it took");
        c.refuse = true;
        lt_interpreter_free(it);
    }

    /* Exactly enough: create, allocate and 100 invokes with the heap refusing. */
    c.refused = 0;
    c.mallocs = 0;
    c.frees = 0;
    it = lt_interpreter_create_in(model, &opts, g_memory, table_bytes + plan_bytes, err,
                                  sizeof err);
    CHECK(it != NULL, "create_in with %zu bytes: %s", table_bytes + plan_bytes, err);
    if (it != NULL) {
        CHECK(lt_interpreter_allocate(it) == LT_OK, "allocate in caller memory: %s",
              lt_interpreter_error(it));
        CHECK(lt_interpreter_plan_bytes(it) == plan_bytes, "plan bytes %zu, planned %zu",
              lt_interpreter_plan_bytes(it), plan_bytes);
        run_int8(it, 100, "create_in");
        /* Allocate again (e.g. after a resize): the memory is reused, still no heap. */
        CHECK(lt_interpreter_allocate(it) == LT_OK, "second allocate: %s",
              lt_interpreter_error(it));
        run_int8(it, 2, "create_in again");
        lt_interpreter_free(it);
    }
    CHECK(c.refused == 0 && c.mallocs == 0, "create_in, allocate and invoke called the heap "
          "%ld times", c.refused + c.mallocs);
    printf("int8 model in caller memory: tables %zu + plan %zu bytes, model tables %zu bytes "
           "in %ld pool allocations; create_in + allocate x2 + invoke x102: %ld heap "
           "allocations\n", table_bytes, plan_bytes, pool.used, pool.calls,
           c.refused + c.mallocs);
    lt_model_free(model);
}

/* ---- The float model -------------------------------------------------------------------- */

enum { OP_ADD = 0, OP_FULLY_CONNECTED = 9, OPTS_FC = 8, OPTS_ADD = 11 };
enum { IN = 8, UNITS = 6 };

static float g_w[UNITS * IN], g_b[UNITS], g_c1[UNITS], g_c2[UNITS];

/* y = fc(x; w, b) + (c1 + c2): the FC's weights are packed at prepare (SIMD levels), the
 * ADD of two constants is folded at prepare; both land in the plan's memory. */
static uint8_t *build_float_model(size_t *size) {
    for (int i = 0; i < UNITS * IN; i++) g_w[i] = (float)((i * 7) % 11 - 5) * 0.125f;
    for (int u = 0; u < UNITS; u++) {
        g_b[u] = (float)(u - 2) * 0.5f;
        g_c1[u] = (float)u * 0.25f;
        g_c2[u] = 1.0f - (float)u;
    }
    const tm_tensor tensors[8] = {
        {"x", LT_FLOAT32, 2, {1, IN}, NULL, 0},
        {"w", LT_FLOAT32, 2, {UNITS, IN}, g_w, sizeof g_w},
        {"b", LT_FLOAT32, 1, {UNITS}, g_b, sizeof g_b},
        {"h", LT_FLOAT32, 2, {1, UNITS}, NULL, 0},
        {"c1", LT_FLOAT32, 1, {UNITS}, g_c1, sizeof g_c1},
        {"c2", LT_FLOAT32, 1, {UNITS}, g_c2, sizeof g_c2},
        {"s", LT_FLOAT32, 1, {UNITS}, NULL, 0},
        {"y", LT_FLOAT32, 2, {1, UNITS}, NULL, 0},
    };
    const tm_op ops[3] = {
        {OP_FULLY_CONNECTED, 3, {0, 1, 2}, 1, {3}, OPTS_FC, 0},
        {OP_ADD, 2, {4, 5}, 1, {6}, OPTS_ADD, 0},
        {OP_ADD, 2, {3, 6}, 1, {7}, OPTS_ADD, 0},
    };
    const tm_model m = {
        .description = "litert embedded test: fc(x) + (c1 + c2)",
        .tensors = tensors, .n_tensors = 8, .ops = ops, .n_ops = 3,
        .n_inputs = 1, .inputs = {0}, .n_outputs = 1, .outputs = {7},
    };
    return tm_build(&m, size);
}

/* Runs `batch` rows and compares with the plain-C result (values are multiples of 1/64 small
 * enough to be exact in float, so any summation order gives the same bits). */
static void run_float(lt_interpreter *it, int batch, const char *what) {
    float x[4 * IN], y[4 * UNITS], want[4 * UNITS];
    for (int i = 0; i < batch * IN; i++) x[i] = (float)((i * 5) % 9 - 4) * 0.25f;
    for (int r = 0; r < batch; r++)
        for (int u = 0; u < UNITS; u++) {
            float acc = g_b[u];
            for (int k = 0; k < IN; k++) acc += x[r * IN + k] * g_w[u * IN + k];
            want[r * UNITS + u] = acc + (g_c1[u] + g_c2[u]);
        }
    size_t in_bytes = (size_t)batch * IN * sizeof(float);
    size_t out_bytes = (size_t)batch * UNITS * sizeof(float);
    CHECK(lt_interpreter_set_tensor(it, lt_interpreter_input_tensor(it, 0), x, in_bytes) ==
          LT_OK, "%s: set: %s", what, lt_interpreter_error(it));
    CHECK(lt_interpreter_invoke(it) == LT_OK, "%s: invoke: %s", what, lt_interpreter_error(it));
    CHECK(lt_interpreter_get_tensor(it, lt_interpreter_output_tensor(it, 0), y, out_bytes) ==
          LT_OK, "%s: get: %s", what, lt_interpreter_error(it));
    for (int i = 0; i < batch * UNITS; i++)
        if (y[i] != want[i]) {
            CHECK(false, "%s: y[%d] = %g, expected %g", what, i, (double)y[i], (double)want[i]);
            return;
        }
}

/* Every ISA level the CPU has (packed weights differ per level), at batch 1 and after a
 * resize to batch 3, in caller memory. */
static void test_float_model(void) {
    char err[512];
    size_t size = 0;
    uint8_t *bytes = build_float_model(&size);
    CHECK(bytes != NULL, "building the float model failed");
    if (bytes == NULL) return;
    counter c = {0, 0, 0, false};
    lt_allocator heap = counting(&c);
    lt_model *model = lt_model_from_buffer_with_allocator(bytes, size, &heap, err, sizeof err);
    CHECK(model != NULL, "load: %s", err);
    for (int isa = LT_ISA_PORTABLE; model != NULL && isa <= LT_ISA_NEON_DOTPROD; isa++) {
        if (!lt_isa_supported(isa)) continue;
        lt_options opts = lt_options_default();
        opts.isa = isa;
        opts.allocator = heap;
        lt_interpreter *it = lt_interpreter_create(model, &opts, err, sizeof err);
        CHECK(it != NULL, "create (%s): %s", lt_isa_name(isa), err);
        if (it == NULL) continue;
        size_t need1 = 0, need3 = 0;
        CHECK(lt_interpreter_plan(it, &need1) == LT_OK, "plan: %s", lt_interpreter_error(it));
        int32_t dims3[2] = {3, IN};
        CHECK(lt_interpreter_resize_input(it, 0, dims3, 2) == LT_OK, "resize");
        CHECK(lt_interpreter_plan(it, &need3) == LT_OK, "plan batch 3: %s",
              lt_interpreter_error(it));
        CHECK(need3 >= need1, "a larger batch cannot need less (%zu < %zu)", need3, need1);
        void *arena = NULL;
        /* aligned_alloc wants a multiple of the alignment: plan sizes are. */
        arena = aligned_alloc(LT_ARENA_ALIGNMENT, need3);
        CHECK(arena != NULL, "test out of memory");
        if (arena == NULL) {
            lt_interpreter_free(it);
            continue;
        }
        long before = c.mallocs;
        CHECK(lt_interpreter_allocate_with_arena(it, arena, need3) == LT_OK, "allocate (%s): %s",
              lt_isa_name(isa), lt_interpreter_error(it));
        for (int r = 0; r < 100; r++) run_float(it, 3, lt_isa_name(isa));
        int32_t dims1[2] = {1, IN};
        CHECK(lt_interpreter_resize_input(it, 0, dims1, 2) == LT_OK, "resize back");
        CHECK(lt_interpreter_allocate_with_arena(it, arena, need3) == LT_OK,
              "the batch-3 arena also holds the batch-1 plan: %s", lt_interpreter_error(it));
        CHECK(lt_interpreter_plan_bytes(it) == need1, "batch-1 plan %zu bytes, planned %zu",
              lt_interpreter_plan_bytes(it), need1);
        run_float(it, 1, lt_isa_name(isa));
        CHECK(c.mallocs == before, "%s: allocate + 101 invokes made %ld allocations",
              lt_isa_name(isa), c.mallocs - before);
        printf("float model (%s): plan %zu bytes (batch 1), %zu (batch 3)\n", lt_isa_name(isa),
               need1, need3);
        lt_interpreter_free(it);
        free(arena);
    }
    lt_model_free(model);
    CHECK(c.mallocs == c.frees, "%ld allocations, %ld frees", c.mallocs, c.frees);
    free(bytes);
}

/* Hooks given in halves count as none (the C library): nothing may reach a lone hook. */
static void test_half_hooks_mean_libc(void) {
    char err[256];
    counter c = {0, 0, 0, false};
    lt_options opts = lt_options_default();
    opts.allocator.malloc_fn = count_malloc;
    opts.allocator.user = &c;
    lt_model *model = lt_model_from_buffer(k_model, sizeof k_model, err, sizeof err);
    lt_interpreter *it = model ? lt_interpreter_create(model, &opts, err, sizeof err) : NULL;
    CHECK(it != NULL && lt_interpreter_allocate(it) == LT_OK, "half hooks: %s", err);
    if (it != NULL) run_int8(it, 1, "half hooks");
    CHECK(c.mallocs == 0, "a lone malloc hook was called %ld times", c.mallocs);
    lt_interpreter_free(it);
    lt_model_free(model);
}

int main(void) {
    test_allocate_with_arena();
    test_create_in();
    test_float_model();
    test_half_hooks_mean_libc();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("embedded mode: all checks passed\n");
    return 0;
}
