// Tests of core/image_io: decoding PNG / BMP / JPEG made in the test (png_encode, a hand-written BMP, hand-built
// PNG chunks for 16-bit and grey+alpha, jpeg_encode), every bad input of bad-inputs.md items 6-8 and 23, the exact
// area resize, and png_write's checks.
//
// Sections:
//   1. Helpers: hand-built PNG and BMP files, error checks
//   2. Decoding good files
//   3. Bad files: huge declared sizes, truncation, unsupported formats
//   4. image_to_tensor
//   5. png_write
#include "image_io.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "error.hpp"
#include "test_util.hpp"

namespace {

using convscope::DecodedImage;
using convscope::FormatError;
using convscope::ImageFit;
using convscope::IoError;
using convscope::Tensor;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------------------
// 1. Helpers
// ---------------------------------------------------------------------------------------------------------------

uint32_t crc32(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

void put_be32(Bytes& b, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put_le32(Bytes& b, uint32_t v) {
    for (int s = 0; s < 32; s += 8) b.push_back(static_cast<uint8_t>(v >> s));
}
void put_le16(Bytes& b, uint32_t v) {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
}

void put_chunk(Bytes& png, const char* type, const Bytes& data) {
    put_be32(png, static_cast<uint32_t>(data.size()));
    Bytes body(type, type + 4);
    body.insert(body.end(), data.begin(), data.end());
    png.insert(png.end(), body.begin(), body.end());
    put_be32(png, crc32(body.data(), body.size()));
}

// A PNG with the given IHDR and `scanlines` (each already prefixed with its filter byte 0) stored in one
// uncompressed deflate block, so that any bit depth / colour type can be built by hand.
Bytes make_png(uint32_t w, uint32_t h, uint8_t bit_depth, uint8_t color_type, const Bytes& scanlines) {
    Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    Bytes ihdr;
    put_be32(ihdr, w);
    put_be32(ihdr, h);
    ihdr.insert(ihdr.end(), {bit_depth, color_type, 0, 0, 0});
    put_chunk(png, "IHDR", ihdr);
    Bytes z = {0x78, 0x01, 0x01};
    const auto n = static_cast<uint16_t>(scanlines.size());
    z.insert(z.end(), {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(~n),
                       static_cast<uint8_t>(~n >> 8)});
    z.insert(z.end(), scanlines.begin(), scanlines.end());
    uint32_t a = 1, b = 0;
    for (uint8_t c : scanlines) {
        a = (a + c) % 65521;
        b = (b + a) % 65521;
    }
    put_be32(z, b << 16 | a);
    put_chunk(png, "IDAT", z);
    put_chunk(png, "IEND", {});
    return png;
}

// A 24-bit bottom-up BMP of `rgb` (rows padded to 4 bytes), as Windows writes it.
Bytes make_bmp(int32_t w, int32_t h, const Bytes& rgb) {
    const uint32_t stride = (static_cast<uint32_t>(w) * 3 + 3) & ~3u;
    Bytes b = {'B', 'M'};
    put_le32(b, 54 + stride * static_cast<uint32_t>(h));
    put_le32(b, 0);
    put_le32(b, 54);
    put_le32(b, 40);
    put_le32(b, static_cast<uint32_t>(w));
    put_le32(b, static_cast<uint32_t>(h));
    put_le16(b, 1);
    put_le16(b, 24);
    for (int i = 0; i < 6; ++i) put_le32(b, 0);
    for (int32_t y = h - 1; y >= 0; --y) {
        for (int32_t x = 0; x < w; ++x) {
            const size_t p = static_cast<size_t>((y * w + x) * 3);
            b.insert(b.end(), {rgb[p + 2], rgb[p + 1], rgb[p]});
        }
        for (uint32_t k = static_cast<uint32_t>(w) * 3; k < stride; ++k) b.push_back(0);
    }
    return b;
}

Bytes gradient_rgb(int64_t w, int64_t h) {
    Bytes rgb(static_cast<size_t>(w * h * 3));
    for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 37 % 256);
    return rgb;
}

using convscope::testing::throws_with;

using convscope::testing::dir_entries;
using convscope::testing::TempDir;

// ---------------------------------------------------------------------------------------------------------------
// 2. Decoding good files
// ---------------------------------------------------------------------------------------------------------------

TEST(ImageDecode, PngFromPngEncodeIsExact) {
    const Bytes rgb = gradient_rgb(5, 3);
    const DecodedImage img = convscope::image_decode(convscope::png_encode(5, 3, rgb), "a.png");
    EXPECT_EQ(img.width, 5);
    EXPECT_EQ(img.height, 3);
    EXPECT_EQ(img.rgb, rgb);
}

TEST(ImageDecode, HandWrittenBmpIsExact) {
    const Bytes rgb = gradient_rgb(3, 2);  // 3 px * 3 bytes = 9: rows padded to 12
    const DecodedImage img = convscope::image_decode(make_bmp(3, 2, rgb), "a.bmp");
    EXPECT_EQ(img.width, 3);
    EXPECT_EQ(img.height, 2);
    EXPECT_EQ(img.rgb, rgb);
}

TEST(ImageDecode, JpegOfAFlatColourIsClose) {
    Bytes rgb(16 * 16 * 3);
    for (size_t i = 0; i < rgb.size(); i += 3) rgb[i] = 200, rgb[i + 1] = 100, rgb[i + 2] = 50;
    const DecodedImage img = convscope::image_decode(convscope::jpeg_encode(16, 16, rgb, 95), "a.jpg");
    ASSERT_EQ(img.rgb.size(), rgb.size());
    for (size_t i = 0; i < rgb.size(); ++i) EXPECT_NEAR(img.rgb[i], rgb[i], 4) << "byte " << i;
}

TEST(ImageDecode, SixteenBitGreyAlphaPngBecomesEightBitRgb) {
    // 2x1, 16-bit grey + alpha: grey 0xFFFF then 0x8000 -> 255 and 128 (stb keeps the high byte).
    const Bytes lines = {0, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0xFF, 0xFF};
    const DecodedImage img = convscope::image_decode(make_png(2, 1, 16, 4, lines), "deep.png");
    EXPECT_EQ(img.rgb, (Bytes{255, 255, 255, 128, 128, 128}));
}

// Zero-length IDAT chunks are legal and carry nothing; stb_image 2.27 would hand memcpy a null pointer for an
// empty first IDAT, so image_decode drops them. The pixels must come out as if they were not there.
TEST(ImageDecode, EmptyIdatChunksAreSkipped) {
    const Bytes rgb = gradient_rgb(5, 3);
    const Bytes plain = convscope::png_encode(5, 3, rgb);
    const size_t idat = 8 + 25;  // signature, then IHDR (12 + 13 bytes)
    ASSERT_EQ(std::string(plain.begin() + idat + 4, plain.begin() + idat + 8), "IDAT");
    Bytes empty;
    put_chunk(empty, "IDAT", {});
    Bytes b = plain;
    b.insert(b.begin() + static_cast<std::ptrdiff_t>(idat), empty.begin(), empty.end());  // before the data
    const size_t iend = b.size() - 12;
    b.insert(b.begin() + static_cast<std::ptrdiff_t>(iend), empty.begin(), empty.end());  // and after it
    EXPECT_EQ(convscope::image_decode(b, "empty-idat.png").rgb, rgb);
}

TEST(ImageDecode, ExtensionDoesNotMatterOnlyTheSignature) {
    const Bytes rgb = gradient_rgb(2, 2);
    EXPECT_EQ(convscope::image_decode(convscope::png_encode(2, 2, rgb), "photo.jpg").rgb, rgb);
}

TEST(ImageDecode, ImageLoadReadsAFile) {
    TempDir dir;
    const Bytes rgb = gradient_rgb(4, 4);
    convscope::png_write(dir.file("x.png"), 4, 4, rgb);
    EXPECT_EQ(convscope::image_load(dir.file("x.png")).rgb, rgb);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Bad files
// ---------------------------------------------------------------------------------------------------------------

struct BadImageCase {
    const char* name;
    std::string file_name;
    std::function<Bytes()> bytes;
    std::vector<std::string> words;
};

class ImageBadFile : public ::testing::TestWithParam<BadImageCase> {};

TEST_P(ImageBadFile, IsRejectedWithTheFileNameAndReason) {
    const BadImageCase& c = GetParam();
    const Bytes b = c.bytes();
    std::vector<std::string> words = c.words;
    words.push_back(c.file_name);
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::image_decode(b, c.file_name); }, words));
}

Bytes truncated(Bytes b, size_t keep) {
    b.resize(keep);
    return b;
}

INSTANTIATE_TEST_SUITE_P(
    ImageCases, ImageBadFile,
    ::testing::Values(
        BadImageCase{"HugePngHeader",
                     "photo.png",
                     [] {
                         return make_png(60000, 60000, 8, 2, {0, 1, 2, 3});
                     },
                     {"photo.png is 60000\u00d760000; the maximum is 8192\u00d78192"}},
        BadImageCase{"HugeBmpHeader",
                     "big.bmp",
                     [] {
                         Bytes b = make_bmp(1, 1, {0, 0, 0});  // then declare 23169 x 23169 in the header
                         for (size_t at : {size_t{18}, size_t{22}}) b[at] = 0x81, b[at + 1] = 0x5A;
                         return b;
                     },
                     {"is 23169\u00d723169; the maximum is 8192\u00d78192"}},
        BadImageCase{"OverPixelBudget",
                     "wide.png",
                     [] { return make_png(8192, 8192, 8, 2, {0}); },
                     {"8192\u00d78192 (256 MiB decoded); the maximum is 64 MiB"}},
        BadImageCase{"TruncatedPng",
                     "cut.png",
                     [] {
                         const Bytes full = convscope::png_encode(64, 64, gradient_rgb(64, 64));
                         return truncated(full, full.size() / 2);
                     },
                     {"not a valid PNG image (chunk 'IDAT' at byte offset 33 declares", "the file is truncated"}},
        // Found by fuzz_image: an empty first IDAT, then a chunk whose length field is ASCII text.
        BadImageCase{
            "PngEmptyIdatThenGarbageLength",
            "fuzz.png",
            [] {
                const char text[] =
                    "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x60\x08\x02\0\0\0\x01\0\0\0"
                    "\0\0\0\0IDATEND\xae"
                    "GIF21aB`\x82";
                return Bytes(text, text + sizeof text - 1);
            },
            {"the file ends at byte offset 54 before its IEND chunk, inside the chunk that starts at byte offset 45"}},
        BadImageCase{"PngChunkLongerThanTheFile",
                     "long.png",
                     [] {
                         Bytes b = convscope::png_encode(4, 4, gradient_rgb(4, 4));
                         b[33] = 0x7F;  // the IDAT's length field now says 2 GiB
                         return b;
                     },
                     {"chunk 'IDAT' at byte offset 33 declares 2130706", "bytes of data, but only"}},
        BadImageCase{"PngWithoutIend",
                     "noend.png",
                     [] {
                         Bytes b = convscope::png_encode(4, 4, gradient_rgb(4, 4));
                         b.resize(b.size() - 12);
                         return b;
                     },
                     {"before its IEND chunk; the file is truncated"}},
        BadImageCase{"TruncatedJpeg",
                     "cut.jpg",
                     [] {
                         const Bytes full = convscope::jpeg_encode(64, 64, gradient_rgb(64, 64), 90);
                         return truncated(full, 200);
                     },
                     {"JPEG", "stb_image:"}},
        // Found by fuzz_image: stb_image 2.27 overflows a 257-byte table on a DHT whose counts add up to > 256.
        BadImageCase{"JpegHuffmanTableTooLarge",
                     "dht.jpg",
                     [] {
                         Bytes b = {0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x13, 0x00};
                         for (int i = 0; i < 16; ++i) b.push_back(17);  // 16 x 17 = 272 codes
                         b.insert(b.end(), 300, 0);
                         return b;
                     },
                     {"not a valid JPEG image", "Huffman table declares 272 codes"}},
        BadImageCase{"PngSignatureOnly",
                     "sig.png",
                     [] { return Bytes{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}; },
                     {"not a valid PNG image (the file ends at byte offset 8 before its IEND chunk"}},
        BadImageCase{"Gif",
                     "anim.gif",
                     [] { return Bytes{'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0}; },
                     {"unsupported image format (PNG, JPEG and BMP are supported)", "GIF"}},
        BadImageCase{"Psd",
                     "layers.psd",
                     [] { return Bytes{'8', 'B', 'P', 'S', 0, 1, 0, 0}; },
                     {"unsupported image format", "PSD"}},
        BadImageCase{"Tga18Bytes",
                     "huge.tga",
                     [] { return Bytes{0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0x5A, 0x81, 0x5A, 32, 0}; },
                     {"unsupported image format", "TGA"}},
        BadImageCase{"RandomBytes",
                     "noise.png",
                     [] { return Bytes{1, 2, 3, 4, 5, 6, 7, 8}; },
                     {"unsupported image format (PNG, JPEG and BMP are supported)"}},
        BadImageCase{"Empty", "empty.png", [] { return Bytes{}; }, {"is empty (0 bytes)"}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(ImageLoad, FifoAndDirectoryAreRefused) {
    TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("pipe.png").c_str(), 0600), 0);
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::image_load(dir.file("pipe.png")); }, {"FIFO"}));
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::image_load(dir.path()); }, {"a directory"}));
}

// ---------------------------------------------------------------------------------------------------------------
// 4. image_to_tensor
// ---------------------------------------------------------------------------------------------------------------

DecodedImage grey_image(int64_t w, int64_t h, const std::vector<uint8_t>& values) {
    DecodedImage img;
    img.width = w;
    img.height = h;
    for (uint8_t v : values) img.rgb.insert(img.rgb.end(), {v, v, v});
    return img;
}

TEST(ImageToTensor, AreaResize4x4To2x2AveragesEachBlock) {
    // Hand-worked: each output is the mean of one 2x2 block.
    const DecodedImage img = grey_image(4, 4,
                                        {0, 10, 20, 30,     //
                                         40, 50, 60, 70,    //
                                         80, 90, 100, 110,  //
                                         120, 130, 140, 255});
    const Tensor t = convscope::image_to_tensor(img, 2, 2, ImageFit::AreaResize, false);
    ASSERT_EQ(t.shape, (convscope::Shape{3, 2, 2}));
    const float e00 = (0 + 10 + 40 + 50) / 4.0f / 255, e01 = (20 + 30 + 60 + 70) / 4.0f / 255,
                e10 = (80 + 90 + 120 + 130) / 4.0f / 255, e11 = (100 + 110 + 140 + 255) / 4.0f / 255;
    for (int64_t c = 0; c < 3; ++c) {
        EXPECT_FLOAT_EQ(t.at({c, 0, 0}), e00);
        EXPECT_FLOAT_EQ(t.at({c, 0, 1}), e01);
        EXPECT_FLOAT_EQ(t.at({c, 1, 0}), e10);
        EXPECT_FLOAT_EQ(t.at({c, 1, 1}), e11);
    }
}

TEST(ImageToTensor, AreaResize3x3To2x2UsesFractionalCoverage) {
    // Output (0, 0) covers source [0, 1.5) x [0, 1.5): weights 1 x 1, 1 x 0.5, 0.5 x 1, 0.5 x 0.5 over area 2.25.
    const DecodedImage img = grey_image(3, 3, {9, 18, 27, 36, 45, 54, 63, 72, 81});
    const Tensor t = convscope::image_to_tensor(img, 2, 2, ImageFit::AreaResize, false);
    EXPECT_FLOAT_EQ(t.at({0, 0, 0}), static_cast<float>((9 + 18 * 0.5 + 36 * 0.5 + 45 * 0.25) / 2.25 / 255));
    // Output (1, 1) mirrors it over [1.5, 3) x [1.5, 3).
    EXPECT_FLOAT_EQ(t.at({0, 1, 1}), static_cast<float>((45 * 0.25 + 54 * 0.5 + 72 * 0.5 + 81) / 2.25 / 255));
}

TEST(ImageToTensor, UpscaleRepeatsPixels) {
    const DecodedImage img = grey_image(2, 1, {0, 255});
    const Tensor t = convscope::image_to_tensor(img, 1, 4, ImageFit::AreaResize, false);
    EXPECT_FLOAT_EQ(t.at({0, 0, 0}), 0.0f);
    EXPECT_FLOAT_EQ(t.at({0, 0, 1}), 0.0f);
    EXPECT_FLOAT_EQ(t.at({0, 0, 2}), 1.0f);
    EXPECT_FLOAT_EQ(t.at({0, 0, 3}), 1.0f);
}

TEST(ImageToTensor, GreyscaleIsBt601Luma) {
    DecodedImage img;
    img.width = 1;
    img.height = 1;
    img.rgb = {255, 0, 0};
    EXPECT_FLOAT_EQ(convscope::image_to_tensor(img, 1, 1, ImageFit::AreaResize, true).at({0, 0, 0}), 0.299f);
    img.rgb = {10, 200, 30};
    const Tensor t = convscope::image_to_tensor(img, 1, 1, ImageFit::AreaResize, true);
    ASSERT_EQ(t.shape, (convscope::Shape{1, 1, 1}));
    EXPECT_FLOAT_EQ(t[0], static_cast<float>((0.299 * 10 + 0.587 * 200 + 0.114 * 30) / 255));
}

TEST(ImageToTensor, CenterCropTakesTheMiddleAfterFittingTheShortSide) {
    // 4 wide x 2 tall to 2x2: the short side (height) already fits, so the crop is columns 1..2.
    const DecodedImage img = grey_image(4, 2, {10, 20, 30, 40, 50, 60, 70, 80});
    const Tensor t = convscope::image_to_tensor(img, 2, 2, ImageFit::CenterCrop, false);
    EXPECT_FLOAT_EQ(t.at({0, 0, 0}), 20.0f / 255);
    EXPECT_FLOAT_EQ(t.at({0, 0, 1}), 30.0f / 255);
    EXPECT_FLOAT_EQ(t.at({0, 1, 0}), 60.0f / 255);
    EXPECT_FLOAT_EQ(t.at({0, 1, 1}), 70.0f / 255);
    // 8 wide x 4 tall to 2x2: resized to 4x2, crop columns 1..2 of it = source columns 2..5.
    const DecodedImage big = grey_image(8, 4, std::vector<uint8_t>(32, 100));
    EXPECT_FLOAT_EQ(convscope::image_to_tensor(big, 2, 2, ImageFit::CenterCrop, false).at({2, 1, 1}), 100.0f / 255);
}

TEST(ImageToTensor, BadTargetSizeIsAnError) {
    const DecodedImage img = grey_image(2, 2, {1, 2, 3, 4});
    EXPECT_THROW(convscope::image_to_tensor(img, 0, 2, ImageFit::AreaResize, false), convscope::Error);
    EXPECT_THROW(convscope::image_to_tensor(img, 2, 9000, ImageFit::AreaResize, false), convscope::Error);
}

// ---------------------------------------------------------------------------------------------------------------
// 5. png_write
// ---------------------------------------------------------------------------------------------------------------

TEST(ImagePngWrite, TooLargeOrMismatchedSizeIsRefusedBeforeWriting) {
    TempDir dir;
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::png_write(dir.file("a.png"), 8193, 1, Bytes(8193 * 3)); },
                                     {"a.png", "8193\u00d71", "1 to 8192"}));
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::png_write(dir.file("a.png"), 2, 2, Bytes(5)); },
                                     {"5 bytes of RGB data given, 12 needed"}));
    EXPECT_FALSE(std::filesystem::exists(dir.file("a.png")));
}

TEST(ImagePngWrite, UnwritablePathReportsTheOsErrorAndLeavesNothing) {
    TempDir dir;
    std::ofstream(dir.file("file")) << "x";
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::png_write(dir.file("file/a.png"), 1, 1, Bytes(3)); },
                                     {"file/a.png", "Not a directory"}));
}

TEST(ImagePngWrite, ReplacesAnExistingFileAtomically) {
    TempDir dir;
    convscope::png_write(dir.file("a.png"), 1, 1, Bytes{1, 2, 3});
    convscope::png_write(dir.file("a.png"), 2, 1, Bytes{4, 5, 6, 7, 8, 9});
    EXPECT_EQ(convscope::image_load(dir.file("a.png")).rgb, (Bytes{4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{"a.png"});
}

}  // namespace
