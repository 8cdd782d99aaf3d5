#include "simd.hpp"

#include <cstdlib>
#include <string>

#include "error.hpp"

namespace convscope {

bool cpu_supports(Isa isa) {
    switch (isa) {
        case Isa::Avx512:
            return cpu_has_avx512();
        case Isa::Avx2:
            return cpu_has_avx2_fma();
        case Isa::Auto:
        case Isa::Generic:
            break;
    }
    return true;
}

Isa widest_isa() { return cpu_has_avx512() ? Isa::Avx512 : cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Generic; }

const char* isa_name(Isa isa) {
    switch (isa) {
        case Isa::Auto:
            return "auto";
        case Isa::Generic:
            return "generic";
        case Isa::Avx2:
            return "avx2";
        case Isa::Avx512:
            return "avx512";
    }
    return "auto";
}

std::optional<Isa> parse_isa(std::string_view name) {
    for (Isa isa : {Isa::Auto, Isa::Generic, Isa::Avx2, Isa::Avx512})
        if (name == isa_name(isa)) return isa;
    return std::nullopt;
}

Isa resolve_isa(Isa requested) {
    std::string source = std::string("instruction set ") + isa_name(requested);
    if (requested == Isa::Auto) {
        const char* env = std::getenv("CONVSCOPE_ISA");
        if (env == nullptr || *env == '\0') return widest_isa();
        const std::optional<Isa> parsed = parse_isa(env);
        if (!parsed)
            throw ConfigError(std::string("CONVSCOPE_ISA: expected auto, generic, avx2 or avx512, got '") + env + "'");
        if (*parsed == Isa::Auto) return widest_isa();
        requested = *parsed;
        source = std::string("CONVSCOPE_ISA=") + env;
    }
    if (!cpu_supports(requested))
        throw ConfigError(source + ": this CPU has no " +
                          (requested == Isa::Avx512 ? "AVX-512 (F, DQ, BW, VL)" : "AVX2 + FMA") +
                          " (the widest it runs is " + isa_name(widest_isa()) + ")");
    return requested;
}

}  // namespace convscope
