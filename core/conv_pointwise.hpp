// convscope core: the pointwise (1x1) engine behind conv_fast. A 1x1 convolution with stride 1 and no padding is a
// matrix product on the input as it lies in memory: per (item, group), Y_g (C_out/g x H*W) = W_g (C_out/g x
// C_in/g) * X_g (C_in/g x H*W), one OpenBLAS sgemm with no unfolded copy (im2col would copy X unchanged). A strided
// 1x1 layer subsamples each item once (every s-th row and column) and does the same. Tests compare it with the
// reference on the shared awkward-shape table and on seeded random 1x1 layers.
#pragma once

#include "conv_spec.hpp"

namespace convscope {

// True for the layers conv_pointwise computes: a 1x1 kernel and no padding (any stride, dilation, groups, mode).
bool is_pointwise(const ConvGeometry& g);

// x: (N, C_in, H, W)   w: (C_out, C_in/groups, 1, 1)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written. Requires is_pointwise(g) and threads >= 1: several items share the
// threads (single-threaded BLAS each), one item uses BLAS's own threads.
void conv_pointwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads);

}  // namespace convscope
