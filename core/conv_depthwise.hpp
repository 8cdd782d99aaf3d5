// convscope core: the depthwise kernel behind conv_fast (groups == C_in: each input channel is convolved with its
// own C_out / C_in filters, the channel multiplier). The general direct kernel holds one channel per register tile
// there and wastes its tile's other rows; this one runs vectors along the output row instead, several output rows
// per tile, each tap's weight broadcast once per tile. One body on GCC vector types, built for AVX-512, AVX2 + FMA
// and generic SSE2 (resolve_isa picks). Every stride, dilation, padding mode and kernel size; tests compare it with
// the reference on the shared awkward-shape table and on seeded random depthwise layers.
#pragma once

#include "conv_spec.hpp"
#include "simd.hpp"

namespace convscope {

// True for the layers conv_depthwise computes: one input channel per group (groups == C_in), any multiplier.
bool is_depthwise(const ConvGeometry& g);

// x: (N, C_in, H, W)   w: (C_out, 1, kH, kW)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written. Requires is_depthwise(g), isa not Auto and cpu_supports(isa),
// threads >= 1 (threads split the (item, input channel) planes). Returns the largest finite |x| (NaN and infinities
// count as 0), found while copying the input, for conv_fast's overflow bound.
float conv_depthwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads,
                     Isa isa);

}  // namespace convscope
