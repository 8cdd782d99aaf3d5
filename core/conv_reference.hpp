// convscope core: the plain reference convolution. Direct loops, readable as teaching code; every faster path
// and the step-through cursor are tested against it.
#pragma once

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope {

// Where a tap at padded coordinate `p` (p < 0 or p >= size lies in the padding ring) reads from:
// the real input index, or -1 for a zero-padding tap. The rules of F.pad:
//   zeros      -> -1 outside the input
//   reflect    -> mirror without repeating the edge:  -1 -> 1,  size -> size-2
//   replicate  -> clamp to the edge:                  -1 -> 0,  size -> size-1
//   circular   -> wrap around:                        -1 -> size-1, size -> 0
int64_t resolve_padded_index(int64_t p, int64_t size, PaddingMode mode);

// y = conv(x, w) + b, exactly as PyTorch defines it (cross-correlation, no kernel flip).
// x, w, bias have the shapes conv_check accepted for `g`; bias may be null. Returns PyTorch's output shape.
// Accumulation order (the cursor uses the same one, so the two agree bit for bit):
//   value = ((Σ_kx Σ_ky products of channel 0) + (… channel 1) + …) + bias
Tensor conv_reference(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

}  // namespace convscope
