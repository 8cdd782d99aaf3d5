// libFuzzer target: image_decode (stb_image with PNG/JPEG/BMP only, sizes checked before decoding), then
// image_to_tensor both ways on what decoded. Only FormatError/IoError/Error may escape.
#include <cstddef>
#include <cstdint>
#include <span>

#include "error.hpp"
#include "image_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const convscope::DecodedImage img = convscope::image_decode(std::span<const uint8_t>(data, size), "fuzz.png");
        if (img.width < 1 || img.height < 1 || img.width > convscope::kMaxImageSide ||
            img.height > convscope::kMaxImageSide || img.rgb.size() != static_cast<size_t>(img.width * img.height * 3))
            __builtin_trap();
        if (img.width * img.height <= (1 << 20)) {
            convscope::image_to_tensor(img, 7, 5, convscope::ImageFit::AreaResize, false);
            convscope::image_to_tensor(img, 3, 9, convscope::ImageFit::CenterCrop, true);
        }
    } catch (const convscope::Error&) {
    }
    return 0;
}
