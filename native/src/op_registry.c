/* Builtin op code -> implementation (the core set, or all ops: LITERT_OPS in CMake). */
#include <string.h>

#include "op_registry.h"

#include "kernels/kernels.h"

const lt_op *lt_find_builtin_op(int code) {
    switch (code) {
    case LT_OP_CONV_2D: return &lt_op_conv_2d;
    case LT_OP_DEPTHWISE_CONV_2D: return &lt_op_depthwise_conv_2d;
    case LT_OP_FULLY_CONNECTED: return &lt_op_fully_connected;
    case LT_OP_BATCH_MATMUL: return &lt_op_batch_matmul;
    case LT_OP_AVERAGE_POOL_2D: return &lt_op_average_pool_2d;
    case LT_OP_MAX_POOL_2D: return &lt_op_max_pool_2d;
    case LT_OP_TRANSPOSE_CONV: return &lt_op_transpose_conv;
    case LT_OP_MEAN: return &lt_op_mean;
    case LT_OP_SUM: return &lt_op_sum;
    case LT_OP_REDUCE_MAX: return &lt_op_reduce_max;
    case LT_OP_REDUCE_MIN: return &lt_op_reduce_min;
    case LT_OP_ADD: return &lt_op_add;
    case LT_OP_SUB: return &lt_op_sub;
    case LT_OP_MUL: return &lt_op_mul;
    case LT_OP_DIV: return &lt_op_div;
    case LT_OP_MAXIMUM: return &lt_op_maximum;
    case LT_OP_MINIMUM: return &lt_op_minimum;
    case LT_OP_SQUARED_DIFFERENCE: return &lt_op_squared_difference;
    case LT_OP_SQRT: return &lt_op_sqrt;
    case LT_OP_RSQRT: return &lt_op_rsqrt;
    case LT_OP_EXP: return &lt_op_exp;
    case LT_OP_LOG: return &lt_op_log;
    case LT_OP_ABS: return &lt_op_abs;
    case LT_OP_NEG: return &lt_op_neg;
    case LT_OP_SQUARE: return &lt_op_square;
    case LT_OP_LOGISTIC: return &lt_op_logistic;
    case LT_OP_TANH: return &lt_op_tanh;
    case LT_OP_RELU: return &lt_op_relu;
    case LT_OP_RELU6: return &lt_op_relu6;
    case LT_OP_RELU_N1_TO_1: return &lt_op_relu_n1_to_1;
    case LT_OP_LEAKY_RELU: return &lt_op_leaky_relu;
    case LT_OP_HARD_SWISH: return &lt_op_hard_swish;
    case LT_OP_PRELU: return &lt_op_prelu;
    case LT_OP_GELU: return &lt_op_gelu;
    case LT_OP_ELU: return &lt_op_elu;
    case LT_OP_SOFTMAX: return &lt_op_softmax;
    case LT_OP_RESHAPE: return &lt_op_reshape;
    case LT_OP_SQUEEZE: return &lt_op_squeeze;
    case LT_OP_CONCATENATION: return &lt_op_concatenation;
    case LT_OP_PAD: return &lt_op_pad;
    case LT_OP_PADV2: return &lt_op_padv2;
    case LT_OP_TRANSPOSE: return &lt_op_transpose;
    case LT_OP_STRIDED_SLICE: return &lt_op_strided_slice;
    case LT_OP_SLICE: return &lt_op_slice;
    case LT_OP_RESIZE_BILINEAR: return &lt_op_resize_bilinear;
    case LT_OP_RESIZE_NEAREST_NEIGHBOR: return &lt_op_resize_nearest_neighbor;
    case LT_OP_GATHER: return &lt_op_gather;
    case LT_OP_DEQUANTIZE: return &lt_op_dequantize;
    case LT_OP_QUANTIZE: return &lt_op_quantize;
    case LT_OP_SHAPE: return &lt_op_shape;
    case LT_OP_PACK: return &lt_op_pack;
    case LT_OP_DENSIFY: return &lt_op_densify;
#if !defined(LITERT_CORE_OPS_ONLY) /* the extended set (LITERT_OPS=all in CMake) */
    case LT_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return &lt_op_unidirectional_sequence_lstm;
    case LT_OP_REVERSE_V2: return &lt_op_reverse_v2;
    case LT_OP_TOPK_V2: return &lt_op_topk_v2;
    case LT_OP_ARG_MAX: return &lt_op_arg_max;
    case LT_OP_ARG_MIN: return &lt_op_arg_min;
    case LT_OP_POW: return &lt_op_pow;
    case LT_OP_L2_NORMALIZATION: return &lt_op_l2_normalization;
    case LT_OP_DEPTH_TO_SPACE: return &lt_op_depth_to_space;
    case LT_OP_SPACE_TO_DEPTH: return &lt_op_space_to_depth;
    case LT_OP_SPLIT: return &lt_op_split;
    case LT_OP_SPLIT_V: return &lt_op_split_v;
    case LT_OP_UNPACK: return &lt_op_unpack;
    case LT_OP_TILE: return &lt_op_tile;
    case LT_OP_EXPAND_DIMS: return &lt_op_expand_dims;
    case LT_OP_FILL: return &lt_op_fill;
    case LT_OP_CAST: return &lt_op_cast;
    case LT_OP_SELECT: return &lt_op_select;
    case LT_OP_SELECT_V2: return &lt_op_select_v2;
    case LT_OP_BROADCAST_TO: return &lt_op_broadcast_to;
    case LT_OP_WHILE: return &lt_op_while;
    case LT_OP_IF: return &lt_op_if;
    case LT_OP_LESS: return &lt_op_less;
    case LT_OP_LESS_EQUAL: return &lt_op_less_equal;
    case LT_OP_GREATER: return &lt_op_greater;
    case LT_OP_GREATER_EQUAL: return &lt_op_greater_equal;
    case LT_OP_EQUAL: return &lt_op_equal;
    case LT_OP_NOT_EQUAL: return &lt_op_not_equal;
    case LT_OP_LOGICAL_AND: return &lt_op_logical_and;
    case LT_OP_LOGICAL_OR: return &lt_op_logical_or;
    case LT_OP_LOGICAL_NOT: return &lt_op_logical_not;
#endif
    default: return NULL;
    }
}

const lt_op *lt_find_default_custom_op(const char *name) {
    static const struct {
        const char *name;
        const lt_op *op;
    } k_defaults[] = {
#if !defined(LITERT_CORE_OPS_ONLY)
        {"Convolution2DTransposeBias", &lt_op_convolution_2d_transpose_bias}, /* MediaPipe */
#else
        {"", NULL}, /* the core op set has no custom ops of its own */
#endif
    };
    if (name == NULL || name[0] == '\0') return NULL;
    for (size_t i = 0; i < sizeof k_defaults / sizeof k_defaults[0]; i++)
        if (k_defaults[i].op != NULL && strcmp(k_defaults[i].name, name) == 0)
            return k_defaults[i].op;
    return NULL;
}
