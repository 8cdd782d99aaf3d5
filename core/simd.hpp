// convscope core: the instruction sets the vector kernels are built for, and which one runs. Kernels carry
// __attribute__((target(...))), so the build stays baseline x86-64 and runs anywhere; the CPU is asked at run time
// (never a library's guess). CONVSCOPE_ISA=generic|avx2|avx512 (or the CLI's --isa) forces one, so every variant
// can be measured and tested on a machine that has the widest.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace convscope {

// Auto: CONVSCOPE_ISA if set, else the widest this CPU runs. Generic: SSE2 (every x86-64). Avx2: AVX2 + FMA.
// Avx512: AVX-512 F, DQ, BW and VL (every AVX-512 CPU since Skylake-SP; Xeon Phi has F only and runs Avx2).
enum class Isa { Auto, Generic, Avx2, Avx512 };

// The target of every Avx512 kernel. F alone is not enough for GCC's vector extensions: a vector condition
// (a < b ? a : b, a mask of two comparisons) needs DQ/BW to move between mask registers and vectors, and without
// them GCC falls back to slow sequences (copy_max took 6x the AVX2 time on an AVX-512 Xeon).
#define CONVSCOPE_AVX512_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,fma")))

// True when this CPU (and its OS) can run the Avx512 kernels (AVX-512 F, DQ, BW, VL). Checked once.
inline bool cpu_has_avx512() {
    static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                                  __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    return supported;
}

// True when this CPU can run AVX2 and FMA instructions. Checked once.
inline bool cpu_has_avx2_fma() {
    static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return supported;
}

// The build of a kernel (a function pointer, a table of them) for `isa`: Auto and Generic take the generic one.
template <class T>
T for_isa(Isa isa, T avx512, T avx2, T generic) {
    return isa == Isa::Avx512 ? avx512 : isa == Isa::Avx2 ? avx2 : generic;
}

bool cpu_supports(Isa isa);     // Auto and Generic: always
Isa widest_isa();               // of this CPU: Avx512, Avx2 or Generic
const char* isa_name(Isa isa);  // "auto", "generic", "avx2", "avx512"
std::optional<Isa> parse_isa(std::string_view name);

// The instruction set a kernel runs for `requested`: Auto resolves to CONVSCOPE_ISA when that is set, else to
// widest_isa(). Throws ConfigError naming the value when CONVSCOPE_ISA is not one of generic, avx2, avx512, or
// when the CPU cannot run what was asked ("this CPU has no AVX-512 (F, DQ, BW, VL) (it runs avx2)").
Isa resolve_isa(Isa requested);

// The mask of the first n of 16 float lanes (n below 0 counts as 0, above 16 as 16).
inline __mmask16 first_lanes(int64_t n) {
    return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
}

}  // namespace convscope
