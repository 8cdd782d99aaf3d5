// convscope core: the direct kernels behind conv_fast. No unfolded matrix is built and no BLAS is called: the
// kernel reads the (padded) input in place, a tile of output channels x output positions at a time, and keeps the
// tile's sums in registers. One kernel, built three times: AVX-512 (8 channels x 48 positions, or 6 x 64 where
// that computes fewer products), AVX2 + FMA (4 x 24) and generic SSE2 (4 x 8); resolve_isa() picks one. Strided layers
// are computed on the input split into its stride phases (every s-th row and column), where each tap reads consecutive
// floats again. conv_fast picks this engine or im2col + BLAS (fast_conv_path); tests compare every variant with the
// reference.
#pragma once

#include "conv_spec.hpp"
#include "simd.hpp"

namespace convscope {

// The largest finite |x| and |w| (NaN and infinities count as 0), for conv_fast's overflow bound.
struct DirectMaxima {
    float x = 0.0f, w = 0.0f;
};

// x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written, for every geometry conv_geometry accepts (any stride, dilation,
// groups, padding mode). isa: not Auto, and cpu_supports(isa). threads >= 1. The weights are read as they are (no
// packed copy). Returns max|x| and max|w|, found on the threads while the layer's input is prepared (x plane by
// plane while each plane is in cache, w in chunks).
DirectMaxima conv_direct(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                         int threads, Isa isa);

// The register tile conv_direct uses for g: output channels x output positions (AVX-512: 8 x 48, or 6 x 64 where
// that computes fewer products, as on Conv1d over 256 positions; AVX2: 4 x 24; generic: 4 x 8).
struct DirectTile {
    int channels = 0, positions = 0;
};
DirectTile conv_direct_tile(const ConvGeometry& g, Isa isa);

// Floats of scratch conv_direct allocates for g beyond the output: the padded, phase-split input (0 when the
// input is read as it is). For memory budgets.
int64_t conv_direct_scratch_floats(const ConvGeometry& g, Isa isa);

// One padded channel plane: x (H, W) -> padded (Hp, Wp) with Hp = H + pad_top + pad_bottom, every padding mode
// resolved (zeros, reflect, replicate, circular).
void pad_input_plane(const ConvGeometry& g, const float* x, float* padded);

}  // namespace convscope
