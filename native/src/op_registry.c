/* Builtin op code -> implementation. */
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
    default: return NULL;
    }
}
