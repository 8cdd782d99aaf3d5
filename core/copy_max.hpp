// convscope core (internal): copying floats while finding the largest finite magnitude among them, built for each
// instruction set. The depthwise and pointwise kernels copy their input anyway; finding max|x| in the same pass
// gives conv_fast its overflow bound without a second pass over the input.
#pragma once

#include <cstdint>
#include <cstring>

#include "simd.hpp"
#include "vector_types.hpp"

namespace convscope {

// dst[0, n) = src[0, n); returns max(m, the largest finite |src[i]|) (NaN and infinities count as 0).
using CopyMax = float (*)(const float* src, float* dst, int64_t n, float m);

// The copy for an instruction set (not Auto; one cpu_supports).
CopyMax copy_max_for(Isa isa);

// max(m, the largest finite |src[i]|) over [0, n), without a copy: for a kernel that reads its input in a pattern of
// its own (the direct kernel's stride phases) and scans each plane while it is in cache.
using FiniteMax = float (*)(const float* src, int64_t n, float m);
FiniteMax finite_max_for(Isa isa);

// dst[0, i) = src[0, i) for the whole vectors in [0, n), each vector added to mv; returns i (n rounded down to whole
// vectors). The copy loop of copy_max, copy_add_avx512 and the pointwise kernel's packing; the caller does the tail.
template <class Vec>
[[gnu::always_inline]] inline int64_t copy_add_vectors(const float* src, float* dst, int64_t n, FiniteAbsMax<Vec>& mv) {
    using V = typename Vec::V;
    constexpr int W = Vec::kWidth;
    int64_t i = 0;
    for (; i + W <= n; i += W) {
        V v;
        std::memcpy(&v, src + i, sizeof(V));
        std::memcpy(dst + i, &v, sizeof(V));
        mv.add(v);
    }
    return i;
}

// dst[0, n) = src[0, n) in AVX-512 vectors, the last 1-15 floats in one masked vector (the lanes past n read as 0,
// which leaves a maximum as it is), each vector added to mv: the copy behind copy_max's AVX-512 build, for a kernel
// that copies many short rows into one maximum (a float-by-float tail was 16% of R2's padding copy in the
// channel-blocked kernel; reducing the maximum row by row cost 1-4% of R2 and R5). Inlined into AVX-512 code only.
[[gnu::always_inline]] CONVSCOPE_AVX512_TARGET inline void copy_add_avx512(const float* src, float* dst, int64_t n,
                                                                           FiniteAbsMax<Avx512Vec>& mv) {
    const int64_t i = copy_add_vectors(src, dst, n, mv);
    if (i < n) {
        const __mmask16 tail = first_lanes(n - i);
        const __m512 v = _mm512_maskz_loadu_ps(tail, src + i);
        _mm512_mask_storeu_ps(dst + i, tail, v);
        mv.add(reinterpret_cast<Avx512Vec::V>(v));
    }
}

}  // namespace convscope
