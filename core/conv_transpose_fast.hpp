// convscope core: the fast transposed convolution, as PyTorch computes it: per batch item and group one GEMM
// (columns = W_g^T · X_g, OpenBLAS sgemm) followed by col2im (each column entry added into the output position
// its tap lands on), then the bias. The reference (conv_transpose_reference.hpp) stays the readable definition;
// tests compare this path with it on every awkward shape.
#pragma once

#include "conv_transpose_spec.hpp"
#include "tensor.hpp"

namespace convscope {

// Same contract as conv_transpose_reference; differs from it only by float32 accumulation order.
// threads: 0 = the machine's cores. Several images are split over threads (single-threaded BLAS inside); one
// image uses BLAS's threads for the GEMM and splits col2im over output channels.
Tensor conv_transpose_fast(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
                           int threads = 0);

}  // namespace convscope
