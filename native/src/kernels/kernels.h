/* Every builtin op the runtime implements, one lt_op each, defined in the kernel file of its
 * family (conv.c, pooling.c, ...). op_registry.c maps builtin codes to them. */
#ifndef LITERT_KERNELS_H
#define LITERT_KERNELS_H

#include "../kernel_api.h"

extern const lt_op lt_op_conv_2d;            /* conv.c */
extern const lt_op lt_op_depthwise_conv_2d;  /* conv.c */
extern const lt_op lt_op_fully_connected;    /* fully_connected.c */
extern const lt_op lt_op_batch_matmul;       /* batch_matmul.c */
extern const lt_op lt_op_average_pool_2d;    /* pooling.c */
extern const lt_op lt_op_max_pool_2d;        /* pooling.c */
extern const lt_op lt_op_transpose_conv;     /* transpose_conv.c */
extern const lt_op lt_op_mean;               /* reduce.c */
extern const lt_op lt_op_sum;                /* reduce.c */
extern const lt_op lt_op_reduce_max;         /* reduce.c */
extern const lt_op lt_op_reduce_min;         /* reduce.c */
extern const lt_op lt_op_add;                /* elementwise_binary.c */
extern const lt_op lt_op_sub;                /* elementwise_binary.c */
extern const lt_op lt_op_mul;                /* elementwise_binary.c */
extern const lt_op lt_op_div;                /* elementwise_binary.c */
extern const lt_op lt_op_maximum;            /* elementwise_minmax_sqdiff.c */
extern const lt_op lt_op_minimum;            /* elementwise_minmax_sqdiff.c */
extern const lt_op lt_op_squared_difference; /* elementwise_minmax_sqdiff.c */
extern const lt_op lt_op_sqrt;               /* elementwise_unary.c */
extern const lt_op lt_op_rsqrt;              /* elementwise_unary.c */
extern const lt_op lt_op_exp;                /* elementwise_unary.c */
extern const lt_op lt_op_log;                /* elementwise_unary.c */
extern const lt_op lt_op_abs;                /* elementwise_unary.c */
extern const lt_op lt_op_neg;                /* elementwise_unary.c */
extern const lt_op lt_op_square;             /* elementwise_unary.c */
extern const lt_op lt_op_logistic;           /* activations.c */
extern const lt_op lt_op_tanh;               /* activations.c */
extern const lt_op lt_op_relu;               /* activations.c */
extern const lt_op lt_op_relu6;              /* activations.c */
extern const lt_op lt_op_relu_n1_to_1;       /* activations.c */
extern const lt_op lt_op_leaky_relu;         /* activations.c */
extern const lt_op lt_op_hard_swish;         /* activations.c */
extern const lt_op lt_op_prelu;              /* activations.c */
extern const lt_op lt_op_gelu;               /* activations_gelu_elu.c */
extern const lt_op lt_op_elu;                /* activations_gelu_elu.c */
extern const lt_op lt_op_softmax;            /* softmax.c */
extern const lt_op lt_op_reshape;            /* reshape.c */
extern const lt_op lt_op_squeeze;            /* reshape.c */
extern const lt_op lt_op_concatenation;      /* concatenation.c */
extern const lt_op lt_op_pad;                /* pad.c */
extern const lt_op lt_op_padv2;              /* pad.c */
extern const lt_op lt_op_transpose;          /* transpose.c */
extern const lt_op lt_op_strided_slice;      /* strided_slice.c */
extern const lt_op lt_op_slice;              /* slice.c */
extern const lt_op lt_op_resize_bilinear;    /* resize.c */
extern const lt_op lt_op_resize_nearest_neighbor; /* resize.c */
extern const lt_op lt_op_gather;             /* gather.c */
extern const lt_op lt_op_dequantize;         /* dequantize.c */
extern const lt_op lt_op_quantize;           /* quantize.c */
extern const lt_op lt_op_shape;              /* shape.c */
extern const lt_op lt_op_pack;               /* pack.c */
extern const lt_op lt_op_densify;            /* densify.c */
extern const lt_op lt_op_unidirectional_sequence_lstm; /* lstm.c */
extern const lt_op lt_op_reverse_v2;         /* reverse.c */
extern const lt_op lt_op_topk_v2;            /* topk.c */
extern const lt_op lt_op_convolution_2d_transpose_bias; /* transpose_conv_bias.c (custom) */
extern const lt_op lt_op_arg_max;            /* arg_minmax.c */
extern const lt_op lt_op_arg_min;            /* arg_minmax.c */
extern const lt_op lt_op_pow;                /* pow.c */
extern const lt_op lt_op_l2_normalization;   /* l2_norm.c */
extern const lt_op lt_op_depth_to_space;     /* depth_space.c */
extern const lt_op lt_op_space_to_depth;     /* depth_space.c */
extern const lt_op lt_op_split;              /* split.c */
extern const lt_op lt_op_split_v;            /* split.c */
extern const lt_op lt_op_unpack;             /* unpack.c */
extern const lt_op lt_op_tile;               /* tile.c */
extern const lt_op lt_op_expand_dims;        /* expand_dims.c */
extern const lt_op lt_op_fill;               /* fill.c */
extern const lt_op lt_op_cast;               /* cast.c */
extern const lt_op lt_op_select;             /* select.c */
extern const lt_op lt_op_select_v2;          /* select.c */
extern const lt_op lt_op_broadcast_to;       /* broadcast_to.c */
extern const lt_op lt_op_while;              /* control_flow.c */
extern const lt_op lt_op_if;                 /* control_flow.c */
extern const lt_op lt_op_less;               /* compare.c */
extern const lt_op lt_op_less_equal;         /* compare.c */
extern const lt_op lt_op_greater;            /* compare.c */
extern const lt_op lt_op_greater_equal;      /* compare.c */
extern const lt_op lt_op_equal;              /* compare.c */
extern const lt_op lt_op_not_equal;          /* compare.c */
extern const lt_op lt_op_logical_and;        /* logical.c */
extern const lt_op lt_op_logical_or;         /* logical.c */
extern const lt_op lt_op_logical_not;        /* logical.c */

#endif
