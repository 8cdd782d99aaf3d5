// convscope core (internal): the float vectors the direct, depthwise and pointwise kernels are written on, as GCC
// vector types. A kernel body is written once on `V`; each instantiation is compiled inside a function carrying its
// own target attribute, so the same `acc += w * b` becomes zmm FMAs, ymm FMAs or SSE multiply-adds.
#pragma once

#include <cstdint>

namespace convscope {

struct Avx512Vec {  // AVX-512F: 32 zmm registers
    typedef float V __attribute__((vector_size(64)));
    typedef int32_t I __attribute__((vector_size(64)));  // lanes as bits (masks, |v|)
    static constexpr int kWidth = 16;
};
struct Avx2Vec {  // AVX2 + FMA: 16 ymm registers
    typedef float V __attribute__((vector_size(32)));
    typedef int32_t I __attribute__((vector_size(32)));  // lanes as bits (masks, |v|)
    static constexpr int kWidth = 8;
};
struct GenericVec {  // SSE2: 16 xmm registers, no FMA (a product needs a register too)
    typedef float V __attribute__((vector_size(16)));
    typedef int32_t I __attribute__((vector_size(16)));  // lanes as bits (masks, |v|)
    static constexpr int kWidth = 4;
};

// Broadcasting a float v to every lane: write `v - V{}` inside the kernel body itself. v - (+0.0) is v for every v
// (-0.0, infinities and NaN included) and GCC folds it into one vbroadcastss; `V{} + v` would turn a -0.0 weight
// into +0.0. (A helper function taking V& compiled, inside the AVX2 kernels, to a 128-bit broadcast plus a lane
// insert per weight, or worse: the AVX2 pointwise kernel ran 35% slower with it.)

}  // namespace convscope
