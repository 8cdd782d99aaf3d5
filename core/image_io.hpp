// convscope core: image files (PNG, JPEG, BMP through stb_image, only those formats compiled in) and PNG writing.
// Dimensions are checked with stbi_info_from_memory against a pixel budget before decoding; every image is
// decoded as 8-bit with a forced channel count (never the 16-bit API). Errors: FormatError / IoError with the
// file name and stb's reason.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

inline constexpr int64_t kMaxImageSide = 8192;
inline constexpr int64_t kMaxImageBytes = int64_t{64} << 20;  // decoded RGBA8 budget

struct DecodedImage {
    int64_t width = 0, height = 0;
    std::vector<uint8_t> rgb;  // width * height * 3
};

DecodedImage image_decode(std::span<const uint8_t> bytes, const std::string& name);
DecodedImage image_load(const std::string& path);

enum class ImageFit { AreaResize, CenterCrop };

// (C, out_h, out_w) float32 in [0, 1]: C = 3 (RGB) or 1 (greyscale, ITU-R BT.601 luma).
// AreaResize averages the source pixels each output pixel covers (exact box filter); CenterCrop takes the
// central out_h x out_w region after an area resize of the short side to the target.
Tensor image_to_tensor(const DecodedImage& img, int64_t out_h, int64_t out_w, ImageFit fit, bool greyscale);

// Writes an RGB8 PNG (width * height * 3 bytes) through a temporary file + rename; IoError on failure.
void png_write(const std::string& path, int64_t width, int64_t height, std::span<const uint8_t> rgb);

// In-memory encoders (stb_image_write) behind png_write, also used by tests to make genuine files. The size must
// be 1..kMaxImageSide per side and rgb.size() == width * height * 3, else Error. JPEG quality is 1..100.
std::vector<uint8_t> png_encode(int64_t width, int64_t height, std::span<const uint8_t> rgb);
std::vector<uint8_t> jpeg_encode(int64_t width, int64_t height, std::span<const uint8_t> rgb, int quality = 90);

}  // namespace convscope
