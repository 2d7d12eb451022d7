/* What both examples do around the runtime: fill an input tensor with a fixed pattern and
 * print the top-scoring entries of an output tensor. Only litert.h's public API is used. */
#ifndef LITERT_EXAMPLE_IO_H
#define LITERT_EXAMPLE_IO_H

#include "litert/litert.h"

/* Fills input tensor `tensor` with a deterministic pattern: element i is
 * ((i * 37) % 101) / 100 - 0.5 (in float32), quantized with the tensor's scale and zero point
 * for int8 / uint8 inputs, and i % 10 for int32 inputs. LT_ERROR for other types. */
lt_status example_fill_pattern(lt_interpreter *it, int tensor);

/* Prints "output 'NAME' [dims] TYPE" and then the `top` largest values of output tensor
 * `tensor`, one "class K: V" line each (V dequantized for int8 / uint8, 6 decimals),
 * largest first. */
lt_status example_print_top(lt_interpreter *it, int tensor, int top);

#endif
