/* The transposed-convolution core shared by TRANSPOSE_CONV (transpose_conv.c) and the
 * MediaPipe custom op Convolution2DTransposeBias (transpose_conv_bias.c): the geometry and
 * the float32 scatter kernel. Both ops differ only in where their operands sit, how the
 * output size is found and how the options are stored. */
#ifndef LITERT_KERNELS_TRANSPOSE_CONV_CORE_H
#define LITERT_KERNELS_TRANSPOSE_CONV_CORE_H

#include "linear_common.h"

/* Sizes of one transposed convolution: input [batch, in_h, in_w, in_c], weights
 * [out_c, k_h, k_w, in_c], output [batch, out_h, out_w, out_c]. Input pixel (iy, ix) lands
 * its window's top-left tap on output pixel (iy * stride_h - pad_top, ix * stride_w -
 * pad_left). */
typedef struct lt_transpose_conv_geom {
    int32_t batch, in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
} lt_transpose_conv_geom;

/* Fills batch, input size, channels and window of g from the input [batch, h, w, in_c] and
 * weights [out_c, k_h, k_w, in_c] shapes (both rank 4, checked by the caller); records an
 * error when the weights do not fit the input or have an empty window. */
lt_status lt_transpose_conv_geom_init(lt_context *ctx, const lt_node *node, const lt_shape *in,
                                      const lt_shape *weights, lt_transpose_conv_geom *g);

/* float32 weights for lt_transpose_conv_f32: packed now into plan memory (*packed) when they
 * are constant; else *packed = NULL and node->scratch_bytes asks for room to pack them at
 * every invoke. */
lt_status lt_transpose_conv_prepare_weights(lt_context *ctx, lt_node *node,
                                            const lt_transpose_conv_geom *g,
                                            const lt_tensor *weights, const float **packed);

/* For invoke: the packed weights of lt_transpose_conv_prepare_weights, packing them into
 * scratch first when they were not constant. */
const float *lt_transpose_conv_packed(const lt_transpose_conv_geom *g, const float *packed,
                                      const lt_tensor *weights, void *scratch);

/* The float32 weights [out_c, k_h, k_w, in_c] rearranged as [k_h, k_w, in_c, out_c] (what
 * lt_transpose_conv_f32 reads: its inner loop then runs over contiguous output channels). */
void lt_transpose_conv_pack_f32(const lt_transpose_conv_geom *g, const float *weights,
                                float *packed);

/* float32: every input pixel adds x[c] * w[o, ky, kx, c] to the output pixels it reaches.
 * Each output value sums its products one at a time, input pixels in row-major order and
 * channels in order within a pixel -- the order of TensorFlow Lite's (and MediaPipe's)
 * reference kernels, so that results agree bit for bit -- starting from 0 with the bias
 * added at the end (TRANSPOSE_CONV), or from the bias (bias_first: MediaPipe's
 * Convolution2DTransposeBias). bias may be NULL. Then the activation. */
void lt_transpose_conv_f32(const lt_transpose_conv_geom *g, const linear_activation *act,
                           const float *in, const float *packed_weights, const float *bias,
                           bool bias_first, float *out);

#endif
