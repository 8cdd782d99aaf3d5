// convscope core: what the vector kernels share: the CPU check in front of every AVX-512 path, and the mask of a
// vector's first lanes for row tails. Kernels themselves carry __attribute__((target("avx512f"))), so the build
// stays baseline x86-64 and runs anywhere.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace convscope {

// True when this CPU (and its OS) can run AVX-512F instructions. Checked once.
inline bool cpu_has_avx512f() {
    static const bool supported = __builtin_cpu_supports("avx512f");
    return supported;
}

// The mask of the first n of 16 float lanes (n below 0 counts as 0, above 16 as 16).
inline __mmask16 first_lanes(int64_t n) {
    return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
}

}  // namespace convscope
