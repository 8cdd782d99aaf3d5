// Image files: PNG, JPEG and BMP decoding through stb_image; PNG (and JPEG, for tests) encoding through
// stb_image_write; conversion to a tensor with an exact area-averaging resize.
//
// Sections:
//   1. stb configuration (only PNG, JPEG and BMP compiled in; static so that libstb.so's symbols never clash)
//   2. Small helpers: messages, reading and atomically writing files
//   3. Sniffing: the format from the signature, the declared size from the header (before stb sees the bytes)
//   4. image_decode / image_load
//   5. image_to_tensor: exact box filter (fractional coverage), centre crop, BT.601 grey
//   6. png_encode / jpeg_encode / png_write
//
// The format is decided by the file's signature, never by its extension (a PNG named .jpg decodes); anything
// but PNG, JPEG and BMP is refused with "unsupported image format (PNG, JPEG and BMP are supported)", naming the
// format when its signature is known (GIF, PSD, TIFF, WebP, ...). The declared width and height are read from
// the header and checked against kMaxImageSide and kMaxImageBytes before stb_image allocates anything; stb's own
// limit is set to the same side length as a second guard. Two stb_image 2.27 faults found by fuzzing are kept
// away from it the same way: JPEG Huffman tables are checked first, and PNG chunks are walked first (truncation
// reported by chunk and offset, empty IDAT chunks dropped).
#include "image_io.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hpp"
#include "file_io.hpp"

// ---------------------------------------------------------------------------------------------------------------
// 1. stb configuration. Included as <stb/...> so that the compiler treats stb as a system header (its code does
//    not pass -Wconversion); STBI_NO_STDIO because convscope reads files itself.
// ---------------------------------------------------------------------------------------------------------------
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_MAX_DIMENSIONS 8192
#include <stb/stb_image.h>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include <stb/stb_image_write.h>

static_assert(STBI_MAX_DIMENSIONS == convscope::kMaxImageSide, "stb's limit must match kMaxImageSide");

namespace convscope {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// 2. Small helpers
// ---------------------------------------------------------------------------------------------------------------

constexpr uint64_t kMaxImageFileBytes = uint64_t{256} << 20;

std::string int_text(int64_t v) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

std::string size_text(int64_t w, int64_t h) { return int_text(w) + "\u00d7" + int_text(h); }

std::string mib_text(uint64_t bytes) {
    return int_text(static_cast<int64_t>((bytes + (uint64_t{1} << 20) - 1) >> 20)) + " MiB";
}

std::string extension_of(const std::string& name) {
    const std::string base = file_base_name(name);
    const size_t dot = base.find_last_of('.');
    if (dot == std::string::npos) return "";
    std::string ext = base.substr(dot + 1);
    for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return ext;
}

std::string stb_reason() {
    const char* r = stbi_failure_reason();
    return std::string("stb_image: ") + (r && *r ? r : "no reason given");
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Sniffing
// ---------------------------------------------------------------------------------------------------------------

enum class Format { Png, Jpeg, Bmp, Other };

struct Sniffed {
    Format format = Format::Other;
    const char* name = "";  // "PNG", "GIF", ...; "" when unknown
};

bool starts_with(std::span<const uint8_t> b, std::string_view sig, size_t at = 0) {
    if (b.size() < at + sig.size()) return false;
    return std::memcmp(b.data() + at, sig.data(), sig.size()) == 0;
}

Sniffed sniff_format(std::span<const uint8_t> b) {
    if (starts_with(b, "\x89PNG\r\n\x1a\n")) return {Format::Png, "PNG"};
    if (starts_with(b, "\xFF\xD8\xFF")) return {Format::Jpeg, "JPEG"};
    if (starts_with(b, "BM")) return {Format::Bmp, "BMP"};
    if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return {Format::Other, "GIF"};
    if (starts_with(b, "8BPS")) return {Format::Other, "PSD (Photoshop)"};
    if (starts_with(b, "\x53\x80\xF6\x34")) return {Format::Other, "Softimage PIC"};
    if (starts_with(b, "#?RADIANCE") || starts_with(b, "#?RGBE")) return {Format::Other, "Radiance HDR"};
    if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) return {Format::Other, "WebP"};
    if (starts_with(b, std::string_view("II*\0", 4)) || starts_with(b, std::string_view("MM\0*", 4)))
        return {Format::Other, "TIFF"};
    if (starts_with(b, std::string_view("\0\0\1\0", 4))) return {Format::Other, "ICO"};
    if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') return {Format::Other, "PNM/PAM"};
    if (starts_with(b, "qoif")) return {Format::Other, "QOI"};
    return {};
}

uint32_t be16(const uint8_t* p) { return static_cast<uint32_t>(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 |
           p[3];
}
uint32_t le16(const uint8_t* p) { return static_cast<uint32_t>(p[1]) << 8 | p[0]; }
uint32_t le32(const uint8_t* p) {
    return static_cast<uint32_t>(p[3]) << 24 | static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[1]) << 8 |
           p[0];
}

struct Dims {
    int64_t w = 0, h = 0;
};

// The width and height the header declares, without decoding; nullopt if the header is too short to say.
std::optional<Dims> sniff_dims(std::span<const uint8_t> b, Format f) {
    const uint8_t* p = b.data();
    switch (f) {
        case Format::Png:
            if (b.size() < 24 || std::memcmp(p + 12, "IHDR", 4) != 0) return std::nullopt;
            return Dims{be32(p + 16), be32(p + 20)};
        case Format::Bmp: {
            if (b.size() < 26) return std::nullopt;
            if (le32(p + 14) == 12) return Dims{le16(p + 18), le16(p + 20)};  // OS/2 BITMAPCOREHEADER
            const auto w = static_cast<int32_t>(le32(p + 18));
            const auto h = static_cast<int32_t>(le32(p + 22));  // negative: top-down rows
            return Dims{w < 0 ? -static_cast<int64_t>(w) : w, h < 0 ? -static_cast<int64_t>(h) : h};
        }
        case Format::Jpeg: {
            size_t pos = 2;
            while (pos + 4 <= b.size()) {
                if (p[pos] != 0xFF) return std::nullopt;
                const uint8_t m = p[pos + 1];
                if (m == 0xFF) {  // fill byte
                    ++pos;
                    continue;
                }
                if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
                    pos += 2;
                    continue;
                }
                if (m == 0xD9 || m == 0xDA) return std::nullopt;  // end, or scan data before any frame header
                const size_t len = be16(p + pos + 2);
                const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
                if (sof) {
                    if (pos + 9 > b.size()) return std::nullopt;
                    return Dims{be16(p + pos + 7), be16(p + pos + 5)};
                }
                if (len < 2) return std::nullopt;
                pos += 2 + len;
            }
            return std::nullopt;
        }
        case Format::Other:
            break;
    }
    return std::nullopt;
}

// stb_image 2.27 (Debian 12's) writes past the 257-byte size list of a Huffman table when the 16 code counts of a
// DHT segment add up to more than 256 (found by fuzz_image; 2.28 checks it). Every DHT segment is checked here
// first, reading the counts exactly as stb does (it keeps reading while the segment length says bytes are left).
std::optional<std::string> jpeg_huffman_problem(std::span<const uint8_t> b) {
    const auto at = [&](size_t i) -> uint32_t { return i < b.size() ? b[i] : 0; };  // stb reads 0 past the end
    size_t pos = 2;
    while (pos + 4 <= b.size()) {
        if (b[pos] != 0xFF) {  // entropy-coded data after a scan header: look for the next marker
            ++pos;
            continue;
        }
        const uint8_t m = b[pos + 1];
        if (m == 0xFF) {
            ++pos;
            continue;
        }
        if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
            pos += 2;
            continue;
        }
        if (m == 0xD9) break;
        const size_t len = be16(b.data() + pos + 2);
        if (m == 0xC4) {
            int64_t left = static_cast<int64_t>(len) - 2;
            size_t q = pos + 4;
            while (left > 0 && q < b.size()) {
                uint32_t n = 0;
                for (size_t i = 0; i < 16; ++i) n += at(q + 1 + i);
                if (n > 256) {
                    return "a Huffman table declares " + int_text(n) + " codes at byte offset " +
                           int_text(static_cast<int64_t>(q)) + "; at most 256 are possible";
                }
                q += 17 + n;
                left -= 17 + static_cast<int64_t>(n);
            }
        }
        pos += 2 + len;
    }
    return std::nullopt;
}

// stb_image decodes baseline and progressive Huffman-coded JPEGs (SOF0, SOF1, SOF2). Any other frame type is a
// valid JPEG that stb calls "Corrupt JPEG" ("unknown marker"): name the variant instead. Markers are walked up to
// the first scan (SOS), where the frame header has always been seen.
std::optional<std::string> jpeg_unsupported_variant(std::span<const uint8_t> b) {
    size_t pos = 2;
    while (pos + 4 <= b.size() && b[pos] == 0xFF) {
        const uint8_t m = b[pos + 1];
        if (m == 0xFF) {
            ++pos;
            continue;
        }
        if (m == 0xDA || m == 0xD9) break;
        if (m >= 0xC3 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            const bool arithmetic = m >= 0xC9;
            const int n = m - 0xC0;
            std::string what = arithmetic ? "arithmetic coding" : "Huffman coding";
            if (n == 3 || n == 11)
                what = "lossless, " + what;
            else if (n == 5 || n == 6 || n == 7 || n == 13 || n == 14 || n == 15)
                what = "hierarchical (differential), " + what;
            else if (n == 10)
                what = "progressive, " + what;
            return what + "; SOF" + int_text(n) + " marker at byte offset " + int_text(static_cast<int64_t>(pos));
        }
        pos += 2 + be16(b.data() + pos + 2);
    }
    return std::nullopt;
}

// Walks a PNG's chunks up to IEND (stb reads nothing after it). A chunk whose declared length runs past the end of
// the file is reported here, by name and offset, rather than by stb's bare "outofdata". Zero-length IDAT chunks
// (legal, and contributing nothing) are dropped from a copy: stb_image 2.27 passes a null buffer to memcpy when
// the first IDAT is empty (undefined behaviour; found by fuzz_image). Returns the copy when one was needed.
std::optional<std::vector<uint8_t>> png_chunks_checked(std::span<const uint8_t> b, const std::string& name) {
    constexpr size_t kSignature = 8, kFrame = 12;       // length + type + CRC
    std::vector<std::pair<size_t, size_t>> empty_idat;  // [begin, end) of each zero-length IDAT chunk
    size_t pos = kSignature;
    bool iend = false;
    while (pos + kFrame <= b.size()) {
        const uint64_t len = be32(b.data() + pos);
        const std::string_view type(reinterpret_cast<const char*>(b.data() + pos + 4), 4);
        const uint64_t left = b.size() - pos - kFrame;
        if (len > left) {
            std::string shown;
            for (char c : type) shown += std::isalnum(static_cast<unsigned char>(c)) ? c : '?';
            throw FormatError(name + ": not a valid PNG image (chunk '" + shown + "' at byte offset " +
                              int_text(static_cast<int64_t>(pos)) + " declares " + int_text(static_cast<int64_t>(len)) +
                              " bytes of data, but only " + int_text(static_cast<int64_t>(left)) +
                              " follow before the end of the file; the file is truncated or damaged)");
        }
        if (type == "IEND") {
            iend = true;
            break;
        }
        if (type == "IDAT" && len == 0) empty_idat.emplace_back(pos, pos + kFrame);
        pos += kFrame + static_cast<size_t>(len);
    }
    if (!iend) {
        throw FormatError(name + ": not a valid PNG image (the file ends at byte offset " +
                          int_text(static_cast<int64_t>(b.size())) + " before its IEND chunk" +
                          (pos < b.size()
                               ? ", inside the chunk that starts at byte offset " + int_text(static_cast<int64_t>(pos))
                               : std::string()) +
                          "; the file is truncated)");
    }
    if (empty_idat.empty()) return std::nullopt;
    std::vector<uint8_t> copy;
    copy.reserve(b.size());
    size_t from = 0;
    for (const auto& [begin, end] : empty_idat) {
        copy.insert(copy.end(), b.begin() + static_cast<std::ptrdiff_t>(from),
                    b.begin() + static_cast<std::ptrdiff_t>(begin));
        from = end;
    }
    copy.insert(copy.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.end());
    return copy;
}

void check_dims(const Dims& d, const std::string& name) {
    if (d.w <= 0 || d.h <= 0) {
        throw FormatError(name + ": the header declares a " + size_text(d.w, d.h) + " image; nothing to decode");
    }
    if (d.w > kMaxImageSide || d.h > kMaxImageSide) {
        throw FormatError(name + " is " + size_text(d.w, d.h) + "; the maximum is " +
                          size_text(kMaxImageSide, kMaxImageSide));
    }
    const auto bytes = static_cast<uint64_t>(d.w) * static_cast<uint64_t>(d.h) * 4;
    if (bytes > static_cast<uint64_t>(kMaxImageBytes)) {
        throw FormatError(name + " is " + size_text(d.w, d.h) + " (" + mib_text(bytes) + " decoded); the maximum is " +
                          mib_text(static_cast<uint64_t>(kMaxImageBytes)) + " decoded, e.g. 4096\u00d74096");
    }
}

struct StbFree {
    void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

// ---------------------------------------------------------------------------------------------------------------
// 5. image_to_tensor helpers
// ---------------------------------------------------------------------------------------------------------------

// Exact area weights along one axis: output pixel o covers [o*S, (o+1)*S) and source pixel i covers
// [i*T, (i+1)*T) on a common grid of S*T units (S source pixels, T output pixels); the weight of i in o is the
// length of the overlap, and the weights of each o sum to S.
struct AxisWeights {
    std::vector<size_t> begin;  // taps of output o: [begin[o], begin[o+1])
    std::vector<int64_t> src, weight;
};

AxisWeights area_weights(int64_t source, int64_t target, int64_t first, int64_t count) {
    AxisWeights a;
    a.begin.push_back(0);
    for (int64_t o = first; o < first + count; ++o) {
        const int64_t lo = o * source, hi = (o + 1) * source;
        for (int64_t i = lo / target; i <= (hi - 1) / target; ++i) {
            const int64_t overlap = std::min(hi, (i + 1) * target) - std::max(lo, i * target);
            if (overlap <= 0) continue;
            a.src.push_back(i);
            a.weight.push_back(overlap);
        }
        a.begin.push_back(a.src.size());
    }
    return a;
}

struct StbWriteSink {
    std::vector<uint8_t> bytes;
    bool failed = false;
};

void stb_write_to_sink(void* context, void* data, int size) {
    auto* sink = static_cast<StbWriteSink*>(context);
    if (sink->failed || size <= 0) return;
    try {
        const auto* p = static_cast<const uint8_t*>(data);
        sink->bytes.insert(sink->bytes.end(), p, p + size);
    } catch (const std::bad_alloc&) {
        sink->failed = true;
    }
}

void check_encode_args(int64_t width, int64_t height, std::span<const uint8_t> rgb, const char* what) {
    if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide) {
        throw Error(std::string("cannot write a ") + size_text(width, height) + " " + what +
                    ": each side must be 1 to " + int_text(kMaxImageSide) + " pixels");
    }
    // width * 3 * height <= 8192 * 3 * 8192 fits easily in int (stb's stride and (x*n+1)*y arithmetic).
    if (rgb.size() != static_cast<size_t>(width * height * 3)) {
        throw Error(std::string("cannot write a ") + size_text(width, height) + " " + what + ": " +
                    int_text(static_cast<int64_t>(rgb.size())) + " bytes of RGB data given, " +
                    int_text(width * height * 3) + " needed");
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 4. image_decode / image_load
// ---------------------------------------------------------------------------------------------------------------

DecodedImage image_decode(std::span<const uint8_t> bytes, const std::string& name) {
    if (bytes.empty()) throw FormatError(name + " is empty (0 bytes); expected a PNG, JPEG or BMP image");
    const Sniffed fmt = sniff_format(bytes);
    if (fmt.format == Format::Other) {
        std::string what;
        if (*fmt.name) {
            what = "; this is a " + std::string(fmt.name) + " file";
        } else {
            const std::string ext = extension_of(name);
            what = ext == "tga" ? "; TGA files are not supported"
                                : "; the file does not start with a PNG, JPEG or BMP signature";
        }
        throw FormatError(name + ": unsupported image format (PNG, JPEG and BMP are supported)" + what);
    }
    if (bytes.size() > static_cast<size_t>(INT_MAX)) {
        throw FormatError(name + " is too large to decode (" + mib_text(bytes.size()) + ")");
    }
    // The declared size first, from the header itself: stb refuses huge images with a bare "too large".
    if (const auto d = sniff_dims(bytes, fmt.format)) check_dims(*d, name);
    if (fmt.format == Format::Jpeg) {
        if (const auto variant = jpeg_unsupported_variant(bytes))
            throw FormatError(name + ": unsupported JPEG variant (" + *variant +
                              "); convscope reads baseline and progressive Huffman-coded JPEGs: save the picture again "
                              "as a standard JPEG or a PNG");
        if (const auto problem = jpeg_huffman_problem(bytes))
            throw FormatError(name + ": not a valid JPEG image (" + *problem + ")");
    }
    std::optional<std::vector<uint8_t>> cleaned;
    if (fmt.format == Format::Png) {
        cleaned = png_chunks_checked(bytes, name);
        if (cleaned) bytes = *cleaned;
    }
    const int len = static_cast<int>(bytes.size());
    int w = 0, h = 0, comp = 0;
    if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &comp)) {
        throw FormatError(name + ": not a valid " + fmt.name + " image (" + stb_reason() + ")");
    }
    check_dims(Dims{w, h}, name);
    std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_memory(bytes.data(), len, &w, &h, &comp, 3));
    if (!pixels) {
        throw FormatError(name + ": cannot decode the " + fmt.name + " image (" + stb_reason() +
                          "); the file is damaged, truncated or uses an unsupported " + fmt.name + " variant");
    }
    check_dims(Dims{w, h}, name);
    DecodedImage img;
    img.width = w;
    img.height = h;
    const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h) * 3;
    img.rgb.assign(pixels.get(), pixels.get() + n);
    return img;
}

DecodedImage image_load(const std::string& path) {
    const std::vector<uint8_t> bytes = read_regular_file(path, "an image", kMaxImageFileBytes);
    return image_decode(bytes, file_base_name(path));
}

// ---------------------------------------------------------------------------------------------------------------
// 5. image_to_tensor
// ---------------------------------------------------------------------------------------------------------------

Tensor image_to_tensor(const DecodedImage& img, int64_t out_h, int64_t out_w, ImageFit fit, bool greyscale) {
    if (img.width < 1 || img.height < 1 || img.width > kMaxImageSide || img.height > kMaxImageSide ||
        img.rgb.size() != static_cast<size_t>(img.width * img.height * 3)) {
        throw Error("image_to_tensor: the image is " + size_text(img.width, img.height) + " with " +
                    int_text(static_cast<int64_t>(img.rgb.size())) + " bytes of RGB data");
    }
    if (out_h < 1 || out_w < 1 || out_h > kMaxImageSide || out_w > kMaxImageSide) {
        throw Error("cannot resize an image to " + size_text(out_w, out_h) + ": each side must be 1 to " +
                    int_text(kMaxImageSide) + " pixels");
    }
    const int64_t src_h = img.height, src_w = img.width;
    // The resized size before cropping, and the crop's offset in it.
    int64_t rh = out_h, rw = out_w, off_y = 0, off_x = 0;
    if (fit == ImageFit::CenterCrop) {
        if (src_h * out_w >= src_w * out_h) {  // relatively taller: the width is the short side
            rw = out_w;
            rh = std::max(out_h, (2 * src_h * out_w + src_w) / (2 * src_w));
        } else {
            rh = out_h;
            rw = std::max(out_w, (2 * src_w * out_h + src_h) / (2 * src_h));
        }
        off_y = (rh - out_h) / 2;
        off_x = (rw - out_w) / 2;
    }
    const AxisWeights wy = area_weights(src_h, rh, off_y, out_h);
    const AxisWeights wx = area_weights(src_w, rw, off_x, out_w);

    // Horizontal pass: row sums as exact integers, (src_h, out_w, 3); each is <= 255 * src_w.
    std::vector<int64_t> rows(static_cast<size_t>(src_h * out_w * 3), 0);
    for (int64_t y = 0; y < src_h; ++y) {
        const uint8_t* line = img.rgb.data() + y * src_w * 3;
        for (int64_t ox = 0; ox < out_w; ++ox) {
            int64_t acc[3] = {0, 0, 0};
            for (size_t t = wx.begin[static_cast<size_t>(ox)]; t < wx.begin[static_cast<size_t>(ox) + 1]; ++t) {
                const uint8_t* px = line + wx.src[t] * 3;
                for (int c = 0; c < 3; ++c) acc[c] += wx.weight[t] * px[c];
            }
            for (int c = 0; c < 3; ++c) rows[static_cast<size_t>((y * out_w + ox) * 3 + c)] = acc[c];
        }
    }
    // Vertical pass: the exact numerator over src_h * src_w * 255 (<= 255 * 8192^2, no overflow), then one division.
    const double denom = static_cast<double>(src_h) * static_cast<double>(src_w) * 255.0;
    Tensor t(Shape{greyscale ? 1 : 3, out_h, out_w});
    const size_t plane = static_cast<size_t>(out_h * out_w);
    for (int64_t oy = 0; oy < out_h; ++oy) {
        for (int64_t ox = 0; ox < out_w; ++ox) {
            int64_t acc[3] = {0, 0, 0};
            for (size_t s = wy.begin[static_cast<size_t>(oy)]; s < wy.begin[static_cast<size_t>(oy) + 1]; ++s) {
                const int64_t* r = rows.data() + (wy.src[s] * out_w + ox) * 3;
                for (int c = 0; c < 3; ++c) acc[c] += wy.weight[s] * r[c];
            }
            const size_t at = static_cast<size_t>(oy * out_w + ox);
            if (greyscale) {
                // ITU-R BT.601 luma of the averaged colour (the average is linear, so the order does not matter).
                const double y601 = 0.299 * static_cast<double>(acc[0]) + 0.587 * static_cast<double>(acc[1]) +
                                    0.114 * static_cast<double>(acc[2]);
                t.data[at] = static_cast<float>(y601 / denom);
            } else {
                for (size_t c = 0; c < 3; ++c)
                    t.data[c * plane + at] = static_cast<float>(static_cast<double>(acc[c]) / denom);
            }
        }
    }
    return t;
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Encoding and png_write
// ---------------------------------------------------------------------------------------------------------------

std::vector<uint8_t> png_encode(int64_t width, int64_t height, std::span<const uint8_t> rgb) {
    check_encode_args(width, height, rgb, "PNG");
    StbWriteSink sink;
    const int w = static_cast<int>(width), h = static_cast<int>(height);
    if (!stbi_write_png_to_func(stb_write_to_sink, &sink, w, h, 3, rgb.data(), w * 3) || sink.failed) {
        throw Error("cannot encode a " + size_text(width, height) + " PNG (stb_image_write failed: out of memory?)");
    }
    return std::move(sink.bytes);
}

std::vector<uint8_t> jpeg_encode(int64_t width, int64_t height, std::span<const uint8_t> rgb, int quality) {
    check_encode_args(width, height, rgb, "JPEG");
    if (quality < 1 || quality > 100) throw Error("JPEG quality " + int_text(quality) + " is not in 1..100");
    StbWriteSink sink;
    if (!stbi_write_jpg_to_func(stb_write_to_sink, &sink, static_cast<int>(width), static_cast<int>(height), 3,
                                rgb.data(), quality) ||
        sink.failed) {
        throw Error("cannot encode a " + size_text(width, height) + " JPEG (stb_image_write failed)");
    }
    return std::move(sink.bytes);
}

void png_write(const std::string& path, int64_t width, int64_t height, std::span<const uint8_t> rgb) {
    std::vector<uint8_t> bytes;
    try {
        bytes = png_encode(width, height, rgb);
    } catch (const IoError&) {
        throw;
    } catch (const Error& e) {
        throw IoError(path + ": " + e.what());
    }
    write_file_atomically(path, bytes);
}

}  // namespace convscope
