// libFuzzer target: onnx_parse (core/onnx_model.hpp) on arbitrary bytes, then the usable-layer check. Only
// convscope's typed errors (FormatError, OnnxUnsupportedError, ConfigError, IoError) may escape.
#include <cstddef>
#include <cstdint>
#include <span>

#include "error.hpp"
#include "onnx_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const convscope::OnnxModel model = convscope::onnx_parse(std::span<const uint8_t>(data, size), "fuzz.onnx");
        convscope::onnx_require_usable_layer(model);
    } catch (const convscope::Error&) {
    }
    return 0;
}
