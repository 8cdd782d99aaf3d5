// convscope core: the direct AVX-512 kernel behind conv_fast for stride-1 layers (the common case: every layer
// in the seed questions). No unfolded matrix is built: the kernel reads the (padded) input in place, 8 output
// channels x 48 output positions per tile, and keeps the tile's sums in registers. conv_fast picks it when
// conv_direct_applies() and otherwise runs im2col + BLAS; tests compare both with the reference.
#pragma once

#include "conv_spec.hpp"

namespace convscope {

// True when conv_direct computes g: the CPU has AVX-512F (cpu_has_avx512f) and the layer has stride 1 on both axes.
bool conv_direct_applies(const ConvGeometry& g);

// x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written. Requires conv_direct_applies(g). threads >= 1.
void conv_direct(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads);

// One padded channel plane: x (H, W) -> padded (Hp, Wp) with Hp = H + pad_top + pad_bottom, every padding mode
// resolved (zeros, reflect, replicate, circular).
void pad_input_plane(const ConvGeometry& g, const float* x, float* padded);

}  // namespace convscope
