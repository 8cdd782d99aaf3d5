// convscope core: the pointwise (1x1) kernel behind conv_fast. A 1x1 convolution without padding is a matrix
// product per (item, group): Y_g (C_out/g x P) = W_g (C_out/g x C_in/g) * X_g (C_in/g x P), P = H_out * W_out, where
// X_g is the input as it lies in memory (stride 1) or every s-th row and column of it. No unfolded matrix: the kernel
// packs X a few tiles of positions at a time (the copy that also finds max|x| for conv_fast's overflow bound) and
// keeps a tile of output channels x positions in registers. One body on GCC vector types, built for AVX-512,
// AVX2 + FMA and generic SSE2. Measured on this project's AMD EPYC (AVX2, OpenBLAS Zen kernels) against one sgemm
// per (item, group) straight on x: faster by 7-10% on R3 before counting the separate max|x| pass the sgemm route
// needs (README, Benchmarks), so it replaced that route. Tests compare it with the reference on the shared
// awkward-shape table and on seeded random 1x1 layers.
#pragma once

#include "conv_spec.hpp"
#include "simd.hpp"

namespace convscope {

// True for the layers conv_pointwise computes: a 1x1 kernel and no padding (any stride, dilation, groups, mode).
bool is_pointwise(const ConvGeometry& g);

// x: (N, C_in, H, W)   w: (C_out, C_in/groups, 1, 1)   bias: (C_out) or null   y: (N, C_out, H_out, W_out)
// y = conv(x, w) + bias, every element written. Requires is_pointwise(g), isa not Auto and cpu_supports(isa),
// threads >= 1 (threads split (item, group, chunk of positions)). Returns the largest finite |x| it read (NaN and
// infinities count as 0), for conv_fast's overflow bound.
float conv_pointwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads,
                     Isa isa);

}  // namespace convscope
