// convscope core (internal): copying floats while finding the largest finite magnitude among them, built for each
// instruction set. The depthwise and pointwise kernels copy their input anyway; finding max|x| in the same pass
// gives conv_fast its overflow bound without a second pass over the input.
#pragma once

#include <cstdint>

#include "simd.hpp"

namespace convscope {

// dst[0, n) = src[0, n); returns max(m, the largest finite |src[i]|) (NaN and infinities count as 0).
using CopyMax = float (*)(const float* src, float* dst, int64_t n, float m);

// The copy for an instruction set (not Auto; one cpu_supports).
CopyMax copy_max_for(Isa isa);

// max(m, the largest finite |src[i]|) over [0, n), without a copy: for a kernel that reads its input in a pattern of
// its own (the direct kernel's stride phases) and scans each plane while it is in cache.
using FiniteMax = float (*)(const float* src, int64_t n, float m);
FiniteMax finite_max_for(Isa isa);

}  // namespace convscope
