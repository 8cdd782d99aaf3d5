// Issue 12's core cases: NaN/Inf parity between engines, the memory budget, the thread cap, .npy headers checked
// before data, unsupported JPEG variants by name, and text that is not UTF-8 (escaped for display, stored
// losslessly, never thrown out of a JSON writer).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "conv_cases.hpp"
#include "conv_depthwise.hpp"
#include "conv_direct.hpp"
#include "conv_fast.hpp"
#include "conv_reference.hpp"
#include "error.hpp"
#include "image_io.hpp"
#include "json_safe.hpp"
#include "memory_budget.hpp"
#include "npy.hpp"
#include "test_util.hpp"
#include "thread_pool.hpp"
#include "utf8.hpp"

namespace {

using namespace convscope;
using convscope::testing::TempDir;

// ---- NaN / Inf parity ----

// Same NaN, +inf and -inf positions (finite values may differ by rounding); names the first difference.
::testing::AssertionResult same_non_finite(const Tensor& got, const Tensor& want) {
    if (got.shape != want.shape) return ::testing::AssertionFailure() << "shape " << shape_to_string(got.shape);
    for (int64_t i = 0; i < got.numel(); ++i) {
        const float a = got[i], b = want[i];
        const bool same = std::isnan(a) == std::isnan(b) && (std::isinf(a) == std::isinf(b)) &&
                          (!std::isinf(a) || (a > 0) == (b > 0));
        if (!same)
            return ::testing::AssertionFailure() << "at " << convscope::testing::index_text(got.shape, i) << ": " << a
                                                 << " where the reference has " << b;
    }
    return ::testing::AssertionSuccess();
}

// The shared case table with hostile data: huge values near FLT_MAX of both signs, infinities and NaN.
Tensor hostile(const Shape& s, std::mt19937& rng, bool weights) {
    const float big = 3e38f, inf = std::numeric_limits<float>::infinity(),
                nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> pool = weights ? std::vector<float>{1.0f, -1.0f, 0.5f, 0.0f, -2.0f}
                                            : std::vector<float>{big, -big, 1.0f, big, inf, -inf, nan, 0.0f};
    Tensor t(s);
    std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
    for (float& v : t.data) v = pool[pick(rng)];
    return t;
}

TEST(NanInfParity, EveryEngineGivesTheReferencesNonFiniteValuesOnTheSharedCaseTable) {
    const unsigned seed = 20261201;
    std::mt19937 rng(seed);
    for (const ConvCase& c : kCases) {
        SCOPED_TRACE(std::string(c.name) + " (seed " + std::to_string(seed) + ")");
        const ConvGeometry g = conv_geometry(to_params(c), c.input, c.weight,
                                             c.bias ? std::optional<Shape>(Shape{c.weight[0]}) : std::nullopt);
        const Tensor x = hostile(c.input, rng, false), w = hostile(c.weight, rng, true);
        const Tensor b = hostile({c.weight[0]}, rng, false);
        const Tensor* bias = c.bias ? &b : nullptr;
        const Tensor want = conv_reference(g, x, w, bias);
        for (FastConvPath path : {FastConvPath::Gemm, FastConvPath::Direct, FastConvPath::Depthwise,
                                  FastConvPath::Pointwise, FastConvPath::Blocked, FastConvPath::Auto}) {
            for (Isa isa : {Isa::Auto, Isa::Generic, Isa::Avx2, Isa::Avx512}) {
                if (!cpu_supports(isa)) continue;
                EXPECT_TRUE(same_non_finite(conv_fast(g, x, w, bias, {1, path, isa}), want))
                    << fast_conv_engine_name(g, {1, path, isa});
            }
        }
        EXPECT_TRUE(same_non_finite(conv_fast(g, x, w, bias, {2, FastConvPath::Auto}), want));
    }
}

// 3e38 on two channels with weights +1 and -1: each channel sum overflows, to +inf and -inf, and the reference
// (like PyTorch) gives NaN. Summing across channels in another order gives +inf or a finite value instead; the
// AVX-512 kernel's order gave +inf before conv_fast routed such layers to the reference.
TEST(NanInfParity, OppositeOverflowingChannelSumsAreNaNInEveryEngine) {
    ConvParams p;
    const ConvGeometry g = conv_geometry(p, {1, 2, 4, 4}, {1, 2, 3, 3}, std::nullopt);
    Tensor x({1, 2, 4, 4});
    for (float& v : x.data) v = 3e38f;
    Tensor w({1, 2, 3, 3});
    for (int64_t i = 0; i < 9; ++i) {
        w[i] = 1.0f;
        w[9 + i] = -1.0f;
    }
    EXPECT_FALSE(conv_sums_cannot_overflow(g, x, w, nullptr));
    const Tensor want = conv_reference(g, x, w, nullptr);
    for (float v : want.data) EXPECT_TRUE(std::isnan(v)) << v;
    for (FastConvPath path : {FastConvPath::Gemm, FastConvPath::Direct, FastConvPath::Blocked})
        EXPECT_TRUE(same_non_finite(conv_fast(g, x, w, nullptr, {1, path}), want))
            << fast_conv_engine_name(g, {1, path});
}

TEST(NanInfParity, OrdinaryDataKeepsTheFastEngine) {
    ConvParams p;
    const ConvGeometry g = conv_geometry(p, {1, 2, 4, 4}, {1, 2, 3, 3}, std::nullopt);
    std::mt19937 rng(5);
    Tensor x = convscope::testing::random_tensor({1, 2, 4, 4}, rng),
           w = convscope::testing::random_tensor({1, 2, 3, 3}, rng);
    x[3] = std::numeric_limits<float>::infinity();  // infinities and NaN alone propagate the same in any order
    x[5] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(conv_sums_cannot_overflow(g, x, w, nullptr));
}

// The direct kernel's own NaN rule, with every instruction set this CPU runs: NaN and infinities in the data
// propagate as in the reference (only overflowing finite sums depend on the order, and conv_fast keeps those away
// from it). Strided too: the stride phases must not mix a NaN into an output that does not read it.
TEST(NanInfParity, DirectKernelPropagatesNaNAndInfinityLikeTheReference) {
    ConvParams p;
    p.padding = {1};
    for (int64_t stride : {1, 2}) {
        p.stride = {stride};
        const ConvGeometry g = conv_geometry(p, {1, 3, 9, 7}, {8, 3, 3, 3}, Shape{8});
        std::mt19937 rng(9);
        Tensor x = convscope::testing::random_tensor({1, 3, 9, 7}, rng),
               w = convscope::testing::random_tensor({8, 3, 3, 3}, rng);
        Tensor b = convscope::testing::random_tensor({8}, rng);
        x[4] = std::numeric_limits<float>::quiet_NaN();
        x[30] = std::numeric_limits<float>::infinity();
        x[100] = -std::numeric_limits<float>::infinity();
        b[2] = std::numeric_limits<float>::infinity();
        for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
            if (!cpu_supports(isa)) continue;
            Tensor y(g.output_shape_torch());
            conv_direct(g, x.data.data(), w.data.data(), b.data.data(), y.data.data(), 1, isa);
            EXPECT_TRUE(same_non_finite(y, conv_reference(g, x, w, &b))) << isa_name(isa) << ", stride " << stride;
        }
    }
}

// The AVX-512 direct kernel has two register tiles and takes the one computing fewer products: 6 x 64 on a
// Conv1d over 64 positions into 6 channels (one tile, against 2 x 1 tiles of 8 x 48 that compute 768), 8 x 48 on
// a 56 x 56 map into 64 channels. Both give the reference's result, NaN and infinities included.
TEST(NanInfParity, DirectKernelTileShapesBothMatchTheReference) {
    if (!cpu_supports(Isa::Avx512)) GTEST_SKIP() << "no AVX-512 (F, DQ, BW, VL) on this CPU";
    struct Case {
        Shape in, weight;
        int64_t padding;
        DirectTile want;
    };
    for (const Case& c : {Case{{2, 16, 64}, {6, 16, 3}, 1, {6, 64}}, Case{{1, 8, 20, 20}, {16, 8, 3, 3}, 1, {8, 48}},
                          Case{{1, 5, 190}, {11, 5, 5}, 2, {6, 64}}}) {
        ConvParams p;
        p.dims = static_cast<int>(c.in.size()) - 2;
        p.padding = {c.padding};
        const ConvGeometry g = conv_geometry(p, c.in, c.weight, Shape{c.weight[0]});
        const DirectTile tile = conv_direct_tile(g, Isa::Avx512);
        EXPECT_EQ(tile.channels, c.want.channels) << shape_to_string(c.in);
        EXPECT_EQ(tile.positions, c.want.positions) << shape_to_string(c.in);
        std::mt19937 rng(13);
        Tensor x = convscope::testing::random_tensor(c.in, rng), w = convscope::testing::random_tensor(c.weight, rng),
               b = convscope::testing::random_tensor({c.weight[0]}, rng);
        x[7] = std::numeric_limits<float>::quiet_NaN();
        x[x.numel() - 3] = std::numeric_limits<float>::infinity();
        Tensor y(g.output_shape_torch());
        conv_direct(g, x.data.data(), w.data.data(), b.data.data(), y.data.data(), 2, Isa::Avx512);
        EXPECT_TRUE(same_non_finite(y, conv_reference(g, x, w, &b))) << shape_to_string(c.in);
        x[7] = 0.5f;
        x[x.numel() - 3] = -0.25f;
        conv_direct(g, x.data.data(), w.data.data(), b.data.data(), y.data.data(), 2, Isa::Avx512);
        EXPECT_TRUE(convscope::testing::tensors_close(y, conv_reference(g, x, w, &b))) << shape_to_string(c.in);
    }
}

// conv_direct returns max|x| for conv_fast's overflow bound, scanned plane by plane on its threads: the largest
// finite magnitude wherever it lies (last plane, last element, a row no stride phase starts on), infinities and NaN
// counting as 0, with and without the scratch planes (padding or stride) and with every instruction set.
TEST(NanInfParity, DirectKernelReturnsTheLargestFiniteMagnitudeOfItsInput) {
    const Shape in{2, 3, 9, 7};
    std::mt19937 rng(11);
    Tensor x = convscope::testing::random_tensor(in, rng), w = convscope::testing::random_tensor({4, 3, 3, 3}, rng);
    x[0] = std::numeric_limits<float>::infinity();
    x[1] = -std::numeric_limits<float>::quiet_NaN();
    for (int64_t at : {int64_t{0}, int64_t{62}, x.numel() - 1, x.numel() - 9}) {
        Tensor xs = x;
        if (at > 1) xs[at] = -1234.5f;
        const float want = at > 1 ? 1234.5f : 0.0f;
        for (int64_t stride : {1, 2, 3}) {
            for (int64_t pad : {0, 1}) {
                ConvParams p;
                p.stride = {stride};
                p.padding = {pad};
                const ConvGeometry g = conv_geometry(p, in, {4, 3, 3, 3}, std::nullopt);
                for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
                    if (!cpu_supports(isa)) continue;
                    Tensor y(g.output_shape_torch());
                    const float got = conv_direct(g, xs.data.data(), w.data.data(), nullptr, y.data.data(), 2, isa).x;
                    if (at > 1)
                        EXPECT_EQ(got, want) << isa_name(isa) << " stride " << stride << " padding " << pad;
                    else  // every other value is from the normal distribution: far below 1234.5, finite, above 0
                        EXPECT_TRUE(got > 0.0f && got < 10.0f) << got;
                }
            }
        }
    }
}

// It also returns max|w|, scanned in chunks of 16 Ki floats on its threads: the largest finite magnitude in the
// first, a middle or the last chunk, the last weight included; infinities and NaN count as 0.
TEST(NanInfParity, DirectKernelReturnsTheLargestFiniteMagnitudeOfItsWeights) {
    const Shape in{1, 3, 5, 5}, ws{700, 3, 3, 3};  // 18,900 weights: two chunks
    std::mt19937 rng(12);
    const Tensor x = convscope::testing::random_tensor(in, rng);
    Tensor w = convscope::testing::random_tensor(ws, rng);
    w[0] = -std::numeric_limits<float>::infinity();
    w[16384] = std::numeric_limits<float>::quiet_NaN();
    const ConvGeometry g = conv_geometry(ConvParams{}, in, ws, std::nullopt);
    for (int64_t at : {int64_t{5}, int64_t{16383}, int64_t{16385}, w.numel() - 1}) {
        Tensor wa = w;
        wa[at] = -9876.5f;
        for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
            if (!cpu_supports(isa)) continue;
            for (int threads : {1, 2}) {
                Tensor y(g.output_shape_torch());
                const DirectMaxima m =
                    conv_direct(g, x.data.data(), wa.data.data(), nullptr, y.data.data(), threads, isa);
                EXPECT_EQ(m.w, 9876.5f) << isa_name(isa) << " at " << at << ", " << threads << " threads";
                EXPECT_TRUE(m.x > 0.0f && m.x < 10.0f) << m.x;
            }
        }
    }
}

// The same for the depthwise kernel (multiplier 2): its column phases and the lanes it computes past the row's end
// must not carry a NaN or infinity into an output that does not read it.
TEST(NanInfParity, DepthwiseKernelPropagatesNaNAndInfinityLikeTheReference) {
    ConvParams p;
    p.padding = {1};
    p.groups = 3;
    for (int64_t stride : {1, 2}) {
        p.stride = {stride};
        const ConvGeometry g = conv_geometry(p, {1, 3, 9, 7}, {6, 1, 3, 3}, Shape{6});
        std::mt19937 rng(10);
        Tensor x = convscope::testing::random_tensor({1, 3, 9, 7}, rng),
               w = convscope::testing::random_tensor({6, 1, 3, 3}, rng);
        Tensor b = convscope::testing::random_tensor({6}, rng);
        x[4] = std::numeric_limits<float>::quiet_NaN();
        x[6] = std::numeric_limits<float>::infinity();  // the last column of a row
        x[100] = -std::numeric_limits<float>::infinity();
        b[2] = std::numeric_limits<float>::infinity();
        for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
            if (!cpu_supports(isa)) continue;
            Tensor y(g.output_shape_torch());
            conv_depthwise(g, x.data.data(), w.data.data(), b.data.data(), y.data.data(), 1, isa);
            EXPECT_TRUE(same_non_finite(y, conv_reference(g, x, w, &b))) << isa_name(isa) << ", stride " << stride;
        }
    }
}

// ---- memory budget and threads ----

TEST(MemoryBudget, RefusesBeforeAllocatingWithTheBytesNeeded) {
    ConvParams p;
    p.padding = {100000};
    const ConvGeometry g = conv_geometry(p, {1, 3, 8, 8}, {4, 3, 3, 3}, std::nullopt);
    const auto items = conv_memory_items(g, ConvScratch::Im2col, 1);
    try {
        check_memory_budget("conv2d", items, uint64_t{16} << 30);
        FAIL() << "a 640 GB output passed a 16 GiB budget";
    } catch (const ResourceError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("conv2d needs"), std::string::npos) << m;
        // Output (1, 4, 200006, 200006) float32: 4 * 4 * 200006^2 bytes.
        EXPECT_NE(m.find("output [1, 4, 200006, 200006]: 640,038,400,576 bytes"), std::string::npos) << m;
        EXPECT_NE(m.find("the memory budget is 17,179,869,184 bytes"), std::string::npos) << m;
    }
    EXPECT_NO_THROW(
        check_memory_budget("conv2d",
                            conv_memory_items(conv_geometry(ConvParams{}, {1, 3, 8, 8}, {4, 3, 3, 3}, std::nullopt),
                                              ConvScratch::Im2col, 1),
                            uint64_t{1} << 20));
}

TEST(MemoryBudget, ByteSizesParseWithBinarySuffixes) {
    EXPECT_EQ(parse_byte_size("1000"), 1000u);
    EXPECT_EQ(parse_byte_size("16K"), 16384u);
    EXPECT_EQ(parse_byte_size("64M"), uint64_t{64} << 20);
    EXPECT_EQ(parse_byte_size("2g"), uint64_t{2} << 30);
    for (const char* bad : {"", "G", "-1", "1.5G", "12Q", "99999999999999999999", "17179869184G"})
        EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
}

TEST(Threads, ResolvedCountNeverExceedsTheCap) {
    EXPECT_EQ(resolve_threads(100000), kMaxThreads);
    EXPECT_EQ(resolve_threads(3), 3);
    EXPECT_GE(resolve_threads(0), 1);
    EXPECT_LE(resolve_threads(0), kMaxThreads);
}

// ---- .npy: the header before the data ----

TEST(NpyHeaderFirst, ReadInfoGivesTheShapeWithoutReadingTheData) {
    TempDir dir;
    const std::string path = dir.file("big.npy");
    // A (1000, 7, 300, 360) float32 header followed by a sparse 3 GB hole: read_info never touches the data.
    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 7, 300, 360), }";
    header += std::string(127 - 10 - header.size(), ' ') + "\n";
    {
        std::ofstream f(path, std::ios::binary);
        f << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size()) << '\x00' << header;
    }
    std::filesystem::resize_file(path, 128 + uint64_t{1000} * 7 * 300 * 360 * 4);
    const NpyInfo info = npy_read_info(path);
    EXPECT_EQ(info.shape, (Shape{1000, 7, 300, 360}));
    EXPECT_EQ(info.descr, "<f4");
    // The same checks as a full load: one byte short is refused from the header alone.
    std::filesystem::resize_file(path, 127 + uint64_t{1000} * 7 * 300 * 360 * 4);
    EXPECT_THROW(npy_read_info(path), FormatError);
}

TEST(NpyHeaderFirst, LoadReadsFloat32DataStraightIntoTheTensorAndOtherDtypesOnce) {
    TempDir dir;
    const Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
    npy_save(dir.file("a.npy"), t);
    NpyInfo info;
    EXPECT_TRUE(convscope::testing::bits_equal(npy_load(dir.file("a.npy"), &info), t));
    EXPECT_TRUE(info.notices.empty());
    // A big-endian float64 file goes through the converting path and says so.
    std::string header = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }";
    header += std::string(127 - 10 - header.size(), ' ') + "\n";
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
    for (double v : {1.0, 3.0, 2.0, 4.0}) {  // column-major [[1, 2], [3, 4]]
        uint64_t raw = 0;
        std::memcpy(&raw, &v, 8);
        for (int i = 7; i >= 0; --i) bytes += static_cast<char>(raw >> (8 * i));
    }
    std::ofstream(dir.file("b.npy"), std::ios::binary) << bytes;
    const Tensor b = npy_load(dir.file("b.npy"), &info);
    EXPECT_EQ(b.data, (FloatStorage{1, 2, 3, 4}));
    ASSERT_EQ(info.notices.size(), 2u);
    EXPECT_EQ(info.notices[0], "converted big-endian float64 (>f8) to float32");
}

// ---- JPEG variants ----

TEST(JpegVariant, ArithmeticCodedJpegIsNamedAsAnUnsupportedVariant) {
    // stb_image_write writes baseline (SOF0); the same frame marked SOF9 is what an arithmetic-coded JPEG
    // (cjpeg -arithmetic) declares. stb calls it "Corrupt JPEG"; convscope names the variant.
    std::vector<uint8_t> rgb(8 * 8 * 3, 128);
    std::vector<uint8_t> jpeg = jpeg_encode(8, 8, rgb, 90);
    size_t sof = 0;
    for (size_t i = 2; i + 1 < jpeg.size(); ++i)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
            sof = i;
            break;
        }
    ASSERT_GT(sof, 0u);
    jpeg[sof + 1] = 0xC9;
    try {
        image_decode(jpeg, "arith.jpg");
        FAIL() << "decoded an arithmetic-coded JPEG";
    } catch (const FormatError& e) {
        EXPECT_EQ(
            std::string(e.what()).rfind("arith.jpg: unsupported JPEG variant (arithmetic coding; SOF9 marker at byte "
                                        "offset " +
                                            std::to_string(sof) + ")",
                                        0),
            0u)
            << e.what();
    }
    jpeg[sof + 1] = 0xC3;
    EXPECT_THROW(
        {
            try {
                image_decode(jpeg, "lossless.jpg");
            } catch (const FormatError& e) {
                EXPECT_NE(std::string(e.what()).find("lossless, Huffman coding; SOF3"), std::string::npos) << e.what();
                throw;
            }
        },
        FormatError);
}

// ---- text that is not UTF-8 ----

TEST(Utf8, InvalidBytesAreEscapedForDisplayAndValidTextIsKept) {
    EXPECT_TRUE(is_valid_utf8("bild_\xC3\xA4.png"));
    EXPECT_FALSE(is_valid_utf8("bild_\xFF\xFE.png"));
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));  // a surrogate
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));      // overlong '/'
    EXPECT_EQ(escape_invalid_utf8("bild_\xFF\xFE.png"), "bild_\\xFF\\xFE.png");
    EXPECT_EQ(escape_invalid_utf8("\xC3\xA4\xAB"), "\xC3\xA4\\xAB");
}

TEST(JsonSafe, NonFiniteFloatsAreStringsAndInvalidUtf8NeverThrows) {
    nlohmann::json j;
    j["nan"] = json_float(std::nan(""));
    j["inf"] = json_float(std::numeric_limits<double>::infinity());
    j["ninf"] = json_float(-std::numeric_limits<double>::infinity());
    j["one"] = json_float(1.5);
    j["status"] =
        "chunk type 'b\xAB"
        "cd'";
    j["list"] = {std::string("ok"), std::string("\xFF")};
    const std::string text = json_dump_safe(j);
    const nlohmann::json back = nlohmann::json::parse(text);
    EXPECT_EQ(back["nan"], "nan");
    EXPECT_EQ(back["inf"], "inf");
    EXPECT_EQ(back["ninf"], "-inf");
    EXPECT_EQ(back["one"], 1.5);
    EXPECT_EQ(back["status"],
              "chunk type 'b\\xAB"
              "cd'");
    EXPECT_EQ(back["list"][1], "\\xFF");
}

TEST(JsonSafe, PathsRoundTripLosslesslyWhateverTheirBytes) {
    for (const std::string& p : {std::string("/home/a/bild.png"), std::string("/tmp/bild_\xFF\xFE.png"),
                                 std::string("/tmp/\xC3\xA4/x.npy"), std::string("odd\\xFF")}) {
        const nlohmann::json j = path_to_json(p);
        const std::string text = json_dump_safe(j);
        const auto back = path_from_json(nlohmann::json::parse(text));
        ASSERT_TRUE(back.has_value()) << text;
        EXPECT_EQ(*back, p) << text;
    }
    EXPECT_FALSE(path_from_json(nlohmann::json(3)).has_value());
    EXPECT_FALSE(path_from_json(nlohmann::json{{"bytes_hex", "zz"}}).has_value());
}

}  // namespace
