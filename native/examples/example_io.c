#include "example_io.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* Element i of the output as a float (dequantized when quantized). */
static float value_at(const lt_tensor_info *info, const void *data, size_t i) {
    float scale = info->quant_count > 0 ? info->quant_scales[0] : 1.0f;
    float zero = info->quant_count > 0 ? (float)info->quant_zero_points[0] : 0.0f;
    switch (info->type) {
    case LT_FLOAT32: return ((const float *)data)[i];
    case LT_INT8: return scale * ((float)((const int8_t *)data)[i] - zero);
    case LT_UINT8: return scale * ((float)((const uint8_t *)data)[i] - zero);
    case LT_INT32: return (float)((const int32_t *)data)[i];
    default: return NAN;
    }
}

static size_t element_size(lt_type type) {
    switch (type) {
    case LT_FLOAT32: case LT_INT32: return 4;
    case LT_INT8: case LT_UINT8: return 1;
    default: return 0;
    }
}

static long quantize(float v, const lt_tensor_info *info, long lo, long hi) {
    float scale = info->quant_count > 0 ? info->quant_scales[0] : 1.0f;
    long q = lroundf(v / scale) + (info->quant_count > 0 ? (long)info->quant_zero_points[0] : 0);
    return q < lo ? lo : (q > hi ? hi : q);
}

lt_status example_fill_pattern(lt_interpreter *it, int tensor) {
    lt_tensor_info info;
    if (lt_interpreter_tensor_info(it, tensor, &info) != LT_OK) return LT_ERROR;
    void *data = lt_interpreter_tensor_data(it, tensor);
    size_t size = element_size(info.type);
    if (data == NULL || size == 0) {
        fprintf(stderr, "input '%s': type %s is not one the pattern fills\n", info.name,
                lt_type_name_of(info.type));
        return LT_ERROR;
    }
    for (size_t i = 0; i < info.bytes / size; i++) {
        float v = (float)(long)((i * 37) % 101) / 100.0f - 0.5f;
        switch (info.type) {
        case LT_FLOAT32: ((float *)data)[i] = v; break;
        case LT_INT8: ((int8_t *)data)[i] = (int8_t)quantize(v, &info, -128, 127); break;
        case LT_UINT8: ((uint8_t *)data)[i] = (uint8_t)quantize(v, &info, 0, 255); break;
        default: ((int32_t *)data)[i] = (int32_t)(i % 10); break;
        }
    }
    return LT_OK;
}

lt_status example_print_top(lt_interpreter *it, int tensor, int top) {
    lt_tensor_info info;
    if (lt_interpreter_tensor_info(it, tensor, &info) != LT_OK) return LT_ERROR;
    const void *data = lt_interpreter_tensor_data(it, tensor);
    size_t size = element_size(info.type);
    if (data == NULL || size == 0) {
        fprintf(stderr, "output '%s': type %s is not one this example prints\n", info.name,
                lt_type_name_of(info.type));
        return LT_ERROR;
    }
    printf("output '%s' [", info.name);
    for (int d = 0; d < info.rank; d++) printf(d ? ", %d" : "%d", (int)info.dims[d]);
    printf("] %s\n", lt_type_name_of(info.type));
    /* Selection without a copy: each round takes the largest value below the last one taken
     * (ties broken by index), so the output stays as the runtime left it. */
    size_t n = info.bytes / size, last = n;
    for (int k = 0; k < top && (size_t)k < n; k++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            float v = value_at(&info, data, i);
            if (last < n) {
                float lv = value_at(&info, data, last);
                if (v > lv || (v == lv && i <= last)) continue; /* already printed */
            }
            if (best == n || v > value_at(&info, data, best)) best = i;
        }
        if (best == n) break;
        printf("class %zu: %.6f\n", best, (double)value_at(&info, data, best));
        last = best;
    }
    return LT_OK;
}
