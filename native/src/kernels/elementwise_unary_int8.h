/* int8 forms of the one-input math ops (elementwise_unary.c): ABS, SQRT, RSQRT, EXP and LOG,
 * the ones TensorFlow Lite's converter quantizes under full-int8 quantization and its
 * kernels run on int8 (NEG and SQUARE stay float32 there: the converter wraps them in
 * DEQUANTIZE / QUANTIZE).
 *
 * Every output depends on one int8 input value only, so prepare evaluates TensorFlow Lite's
 * own per-value arithmetic for all 256 values into a table and invoke is one load per element.
 * SQRT and RSQRT are only defined for inputs that dequantize to >= 0: TensorFlow Lite fails
 * at invoke on any other value, and so does this (the first such value is named). */
#ifndef LITERT_KERNELS_ELEMENTWISE_UNARY_INT8_H
#define LITERT_KERNELS_ELEMENTWISE_UNARY_INT8_H

#include <stdint.h>

#include "kernels.h"

typedef enum lt_unary_i8_kind {
    LT_UNARY_I8_ABS,
    LT_UNARY_I8_SQRT,
    LT_UNARY_I8_RSQRT,
    LT_UNARY_I8_EXP,
    LT_UNARY_I8_LOG
} lt_unary_i8_kind;

typedef struct lt_unary_i8 {
    int8_t lut[256];     /* output for input value v at lut[(uint8_t)v] */
    int32_t min_valid;   /* inputs below this are a domain error (INT8_MIN: none) */
    const char *op_name; /* for the domain error message */
} lt_unary_i8;

/* Checks the per-tensor quantization of node's input 0 and output 0 (both INT8) and fills
 * `st` for `kind`. Records an error (naming the node) and returns LT_ERROR otherwise. */
lt_status lt_unary_i8_prepare(lt_context *ctx, const lt_node *node, lt_unary_i8_kind kind,
                              lt_unary_i8 *st);

/* Applies the table to n values; LT_ERROR (message recorded) if an input is out of the
 * op's domain (nothing is guaranteed about the output then). */
lt_status lt_unary_i8_run(lt_context *ctx, const lt_node *node, const lt_unary_i8 *st,
                          const int8_t *in, int8_t *out, int64_t n);

#endif
