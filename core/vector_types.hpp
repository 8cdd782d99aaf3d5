// convscope core (internal): the float vectors the direct, depthwise and pointwise kernels are written on, as GCC
// vector types. A kernel body is written once on `V`; each instantiation is compiled inside a function carrying its
// own target attribute, so the same `acc += w * b` becomes zmm FMAs, ymm FMAs or SSE multiply-adds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

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

// v in every lane (one broadcast; `V{} + v` would add +0.0 and turn a -0.0 weight into +0.0).
// (An out parameter: a function returning a vector type warns about the ABI outside its target.)
template <class V, size_t... I>
[[gnu::always_inline]] inline void splat(V& out, float v, std::index_sequence<I...>) {
    out = V{((void)I, v)...};
}

}  // namespace convscope
