// convscope core: the plain reference transposed convolution, the scatter definition written as loops. The fast
// path (conv_transpose_fast.hpp) and both orders of the step-through cursor (conv_transpose_cursor.hpp) are tested
// against it.
#pragma once

#include <cstdint>
#include <vector>

#include "conv_transpose_spec.hpp"
#include "tensor.hpp"

namespace convscope {

// y = conv_transpose(x, w) + b, as F.conv_transpose{1,2}d defines it. x, w, bias have the shapes
// conv_transpose_check accepted for `g`; bias may be null. Returns PyTorch's output shape.
//
// Summation order (both cursor orders use the same one, so all three agree bit for bit): for each output element,
//   value = ((S(ci_0) + S(ci_1)) + ...) + bias
// where S(ci) starts at 0 and adds the products x[ci, iy, ix] * w[ci, co, ky, kx] of input channel ci in raster
// order of the input element (iy ascending, then ix ascending) - the order in which the scatter walk reaches them.
Tensor conv_transpose_reference(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

// How many input elements of one channel land on each output position (H_out x W_out, row-major): the taps of
// the scatter stamps that overlap there. Uneven counts are the checkerboard pattern of a kernel size not
// divisible by the stride.
std::vector<int32_t> conv_transpose_contribution_counts(const ConvTransposeGeometry& g);

}  // namespace convscope
