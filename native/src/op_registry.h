/* Looks up the implementation of a builtin op code. */
#ifndef LITERT_OP_REGISTRY_H
#define LITERT_OP_REGISTRY_H

#include "kernel_api.h"

/* NULL when the runtime has no implementation for the code. */
const lt_op *lt_find_builtin_op(int code);
/* The custom ops every interpreter knows without registration (custom_code in the file, e.g.
 * "Convolution2DTransposeBias"); NULL for any other name. Ops registered through the public
 * API take precedence. */
const lt_op *lt_find_default_custom_op(const char *name);

#endif
