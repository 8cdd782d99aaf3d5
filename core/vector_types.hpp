// convscope core (internal): the float vectors the direct, depthwise and pointwise kernels are written on, as GCC
// vector types. A kernel body is written once on `V`; each instantiation is compiled inside a function carrying its
// own target attribute, so the same `acc += w * b` becomes zmm FMAs, ymm FMAs or SSE multiply-adds.
#pragma once

#include <cstdint>

namespace convscope {

struct Avx512Vec {  // AVX-512 (F, DQ, BW, VL): 32 zmm registers
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

// The largest finite |x| over the vectors added (NaN and infinities count as 0), for conv_fast's overflow bound
// while a kernel copies its input. Kept in the integer domain: |x| is the bits without the sign, finite values are
// those below the bits of +inf, and non-negative floats order as their bits do. (A float vector condition,
// a <= max && a > m ? a : m, made GCC 12 compare lane by lane with scalar instructions: 6x the AVX2 time on an
// AVX-512 Xeon.) Used inside the kernels' target functions, so it inlines into each instruction set's code.
template <class Vec>
struct FiniteAbsMax {
    using V = typename Vec::V;
    using IV = typename Vec::I;
    IV best{}, abs_mask, inf_bits;
    [[gnu::always_inline]] FiniteAbsMax() {
        for (int l = 0; l < Vec::kWidth; ++l) abs_mask[l] = 0x7fffffff, inf_bits[l] = 0x7f800000;
    }
    // (by reference: clang refuses a 512-bit vector passed by value from an AVX-512 kernel to a member built
    // without AVX-512, as this one is)
    [[gnu::always_inline]] void add(const V& v) {
        IV a = reinterpret_cast<IV>(v) & abs_mask;
        a &= a < inf_bits;
        best = a > best ? a : best;
    }
    // max(m, the largest |x| added)
    [[gnu::always_inline]] float result(float m) const {
        for (int l = 0; l < Vec::kWidth; ++l) {
            const int32_t bits = best[l];
            float lane;
            __builtin_memcpy(&lane, &bits, sizeof lane);
            m = lane > m ? lane : m;
        }
        return m;
    }
};

}  // namespace convscope
