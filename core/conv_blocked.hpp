// convscope core: the channel-blocked direct kernel behind conv_fast (AVX-512). Where the direct kernel
// (conv_direct.hpp) puts output positions across the vector, this one puts output channels across it, as oneDNN
// lays out its convolutions: the weights are packed on every call into blocks of 16 output channels, and each
// multiply-add takes one input value, broadcast, times a vector of 16 weights. A stride or a dilation only changes
// which input value is broadcast, so there are no stride-phase planes to fill and no columns past a row's end to
// compute and drop; the price is the packing and a transpose back to NCHW in registers. Its tile is 2 blocks x 14
// positions of one output row, for column strides 1 and 2. conv_fast runs it where it measured faster than the
// direct kernel (fast_conv_path); tests compare it with the reference on the shared awkward-shape table.
#pragma once

#include "conv_direct.hpp"
#include "conv_spec.hpp"
#include "simd.hpp"

namespace convscope {

// True when conv_blocked runs g with isa: Avx512, and a column stride of 1 or 2 (or one output column).
bool conv_blocked_supports(const ConvGeometry& g, Isa isa);

// x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written, for every geometry conv_blocked_supports accepts (any row stride,
// dilation, groups, padding mode). threads >= 1. Returns max|x| and max|w| (conv_direct's contract), found while
// the input is padded and the weights packed.
DirectMaxima conv_blocked(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                          int threads, Isa isa);

}  // namespace convscope
