// libFuzzer target: npy_parse on arbitrary bytes. Only the documented FormatError/IoError may escape.
#include <cstddef>
#include <cstdint>
#include <span>

#include "error.hpp"
#include "npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        convscope::NpyInfo info;
        const convscope::Tensor t = convscope::npy_parse(std::span<const uint8_t>(data, size), "fuzz.npy", &info);
        if (static_cast<int64_t>(t.data.size()) != convscope::shape_numel(t.shape)) __builtin_trap();
    } catch (const convscope::Error&) {
    }
    return 0;
}
