/* Looks up the implementation of a builtin op code. */
#ifndef LITERT_OP_REGISTRY_H
#define LITERT_OP_REGISTRY_H

#include "kernel_api.h"

/* NULL when the runtime has no implementation for the code. */
const lt_op *lt_find_builtin_op(int code);

#endif
