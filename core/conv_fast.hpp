// convscope core: the full-layer fast path. im2col (unfold) + OpenBLAS sgemm, grouped, every padding mode
// (the input is padded once, then unfolded without bounds checks), 1-D and 2-D. The reference
// (conv_reference.hpp) stays the readable definition; tests compare this path with it on every awkward shape.
#pragma once

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope {

struct FastConvOptions {
    int threads = 0;  // BLAS and unfold threads; 0 = the machine's cores
};

// Same contract as conv_reference: y = conv(x, w) + b, PyTorch's output shape. Differs from the reference only
// by float32 accumulation order.
Tensor conv_fast(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
                 const FastConvOptions& options = {});

// The thread count conv_fast will use for `options` (resolves 0 to the number of cores).
int fast_conv_threads(const FastConvOptions& options);

}  // namespace convscope
