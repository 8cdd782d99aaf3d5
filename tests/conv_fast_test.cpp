// Every fast engine (im2col + BLAS, and the direct kernel built for each instruction set this CPU runs: generic
// SSE2, AVX2 + FMA, AVX-512) against the reference, on the shared table of awkward shapes, on seeded random
// configurations and on the shapes that stress the direct kernel's tiling and stride phases; single- and
// multi-threaded.
#include <gtest/gtest.h>

#include <cstdlib>

#include "conv_cases.hpp"
#include "conv_direct.hpp"
#include "conv_fast.hpp"
#include "conv_pointwise.hpp"
#include "conv_reference.hpp"
#include "error.hpp"
#include "simd.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

// Gemm, then the direct, depthwise and pointwise kernels with every instruction set this CPU can run, and the
// channel-blocked kernel where the CPU has AVX-512. (Forced on a layer they do not apply to, the depthwise,
// pointwise and blocked engines run the direct kernel: fast_conv_engine_name says which ran.)
std::vector<FastConvOptions> engines(int threads) {
    std::vector<FastConvOptions> e{{threads, FastConvPath::Gemm, Isa::Auto}};
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512})
        if (cpu_supports(isa)) e.push_back({threads, FastConvPath::Direct, isa});
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512})
        if (cpu_supports(isa)) e.push_back({threads, FastConvPath::Depthwise, isa});
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512})
        if (cpu_supports(isa)) e.push_back({threads, FastConvPath::Pointwise, isa});
    if (cpu_supports(Isa::Avx512)) e.push_back({threads, FastConvPath::Blocked, Isa::Avx512});
    return e;
}

class FastVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(FastVsReference, MatchesReference) {
    const ConvCase& c = GetParam();
    std::mt19937 rng(99);
    Tensor x = testing::random_tensor(c.input, rng), w = testing::random_tensor(c.weight, rng),
           b = testing::random_tensor({c.weight[0]}, rng);
    ConvGeometry g =
        conv_geometry(to_params(c), c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
    const Tensor ref = conv_reference(g, x, w, c.bias ? &b : nullptr);
    for (int threads : {1, 2}) {
        for (const FastConvOptions& e : engines(threads)) {
            EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, c.bias ? &b : nullptr, e), ref))
                << fast_conv_engine_name(g, e) << ", " << threads << " threads";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table, FastVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ConvCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

TEST(FastConv, SeededRandomConfigurations) {
    const uint32_t seed = 4242;
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int i = 0; i < 150; ++i) {
        const int dims = pick(1, 2);
        const int64_t groups = pick(1, 3), cin = groups * pick(1, 3), cout = groups * pick(1, 3);
        const int64_t n = pick(1, 3);
        ConvParams p;
        p.dims = dims;
        p.groups = groups;
        p.stride = {pick(1, 3)};
        p.dilation = {pick(1, 2)};
        p.padding = {pick(0, 2)};
        p.padding_mode = static_cast<PaddingMode>(pick(0, 3));
        Shape in{n, cin}, wshape{cout, cin / groups};
        for (int d = 0; d < dims; ++d) {
            in.push_back(pick(3, 11));
            wshape.push_back(pick(1, 3));
        }
        ConvCheck check = conv_check(p, in, wshape, Shape{cout});
        if (!check.ok()) continue;  // e.g. reflect padding as large as the input
        Tensor x = testing::random_tensor(in, rng), w = testing::random_tensor(wshape, rng),
               b = testing::random_tensor({cout}, rng);
        const Tensor ref = conv_reference(*check.geometry, x, w, &b);
        for (const FastConvOptions& e : engines(1)) {
            ASSERT_TRUE(testing::tensors_close(conv_fast(*check.geometry, x, w, &b, e), ref))
                << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " weight "
                << shape_to_string(wshape) << " stride " << p.stride[0] << " mode " << padding_mode_name(p.padding_mode)
                << " engine " << fast_conv_engine_name(*check.geometry, e);
        }
    }
}

TEST(FastConv, LargeChannelSumStaysWithinTolerance) {
    // 768 input channels x kernel 2 (the seed's Conv1d): 1,536-term sums in a different order than the reference.
    std::mt19937 rng(3);
    ConvParams p;
    p.dims = 1;
    Tensor x = testing::random_tensor({2, 768, 40}, rng), w = testing::random_tensor({10, 768, 2}, rng);
    ConvGeometry g = conv_geometry(p, x.shape, w.shape, std::nullopt);
    const Tensor ref = conv_reference(g, x, w, nullptr);
    for (const FastConvOptions& e : engines(0))
        EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, nullptr, e), ref, 1e-4f, 1e-4f))
            << fast_conv_engine_name(g, e);
}

TEST(FastConv, AutoPicksTheDirectKernelWhereItWinsAndEitherEngineCanBeForced) {
    ConvParams p;
    p.padding = {1};
    p.stride = {2};
    // (48 input channels: below where the channel-blocked kernel runs by itself, tested below)
    const ConvGeometry s2 = conv_geometry(p, {1, 48, 56, 56}, {64, 48, 3, 3}, std::nullopt);
    p.stride = {1};
    p.groups = 64;
    const ConvGeometry depthwise = conv_geometry(p, {1, 64, 56, 56}, {64, 1, 3, 3}, std::nullopt);
    // The direct kernel for dense layers with every instruction set, whatever OpenBLAS's kernels.
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
        if (!cpu_supports(isa)) continue;
        EXPECT_EQ(fast_conv_path(s2, {0, FastConvPath::Auto, isa}), FastConvPath::Direct);
    }
    EXPECT_EQ(fast_conv_path(s2, {}), FastConvPath::Direct);
    EXPECT_EQ(fast_conv_path(depthwise, {}), FastConvPath::Depthwise);  // with every instruction set
    EXPECT_EQ(fast_conv_path(depthwise, {0, FastConvPath::Direct}), FastConvPath::Direct);
    EXPECT_EQ(fast_conv_path(s2, {0, FastConvPath::Depthwise}), FastConvPath::Direct);  // not depthwise: direct
    EXPECT_EQ(fast_conv_path(s2, {0, FastConvPath::Gemm}), FastConvPath::Gemm);
    EXPECT_EQ(fast_conv_path(s2, {0, FastConvPath::Direct}), FastConvPath::Direct);
    EXPECT_EQ(fast_conv_engine_name(s2, {0, FastConvPath::Gemm}), "im2col-sgemm");
    EXPECT_EQ(fast_conv_engine_name(s2, {0, FastConvPath::Direct, Isa::Generic}), "direct-generic");
    EXPECT_EQ(fast_conv_engine_name(depthwise, {0, FastConvPath::Depthwise, Isa::Generic}), "depthwise-generic");
    EXPECT_EQ(fast_conv_engine_name(s2, {0, FastConvPath::Depthwise, Isa::Generic}), "direct-generic");
    p.groups = 1;
    const ConvGeometry pointwise = conv_geometry(ConvParams{}, {1, 256, 56, 56}, {64, 256, 1, 1}, std::nullopt);
    p.stride = {2};
    const ConvGeometry padded_1x1 = conv_geometry(p, {1, 16, 9, 9}, {8, 16, 1, 1}, std::nullopt);  // padding 1
    EXPECT_EQ(fast_conv_path(pointwise, {}), FastConvPath::Pointwise);  // with every instruction set
    // Few multiply-adds per output (C_in 3, 3x3: 27) included; grouped layers too.
    p.stride = {1};
    p.groups = 1;
    const ConvGeometry rgb = conv_geometry(p, {60, 3, 32, 32}, {64, 3, 3, 3}, std::nullopt);
    p.groups = 4;
    const ConvGeometry grouped = conv_geometry(p, {1, 64, 28, 28}, {64, 16, 3, 3}, std::nullopt);
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
        if (!cpu_supports(isa)) continue;  // asking for an instruction set the CPU lacks is refused (resolve_isa)
        EXPECT_EQ(fast_conv_path(rgb, {0, FastConvPath::Auto, isa}), FastConvPath::Direct);
        EXPECT_EQ(fast_conv_path(grouped, {0, FastConvPath::Auto, isa}), FastConvPath::Direct);
    }
    EXPECT_EQ(fast_conv_engine_name(pointwise, {0, FastConvPath::Pointwise, Isa::Generic}), "pointwise-generic");
    EXPECT_EQ(fast_conv_engine_name(padded_1x1, {0, FastConvPath::Pointwise, Isa::Generic}),
              "direct-generic");  // padded
    EXPECT_EQ(fast_conv_engine_name(pointwise, {0, FastConvPath::Gemm}), "im2col-sgemm");
    if (getenv("CONVSCOPE_ISA") == nullptr) {
        EXPECT_EQ(fast_conv_engine_name(depthwise, {}), std::string("depthwise-") + isa_name(widest_isa()));
    }
    EXPECT_EQ(widest_isa(), cpu_has_avx512() ? Isa::Avx512 : cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Generic);
}

// The channel-blocked kernel runs by itself only with AVX-512 and only where it measured faster (blocked_pays):
// dense 2-D layers of at least 64 input channels, output channels in whole 32s, rows of at least 14 outputs.
TEST(FastConv, AutoPicksTheBlockedKernelOnlyWhereItMeasuredFaster) {
    ConvParams p;
    p.padding = {1};
    const ConvGeometry s6 = conv_geometry(p, {1, 64, 56, 56}, {64, 64, 3, 3}, std::nullopt);
    const ConvGeometry c100 = conv_geometry(p, {1, 64, 56, 56}, {100, 64, 3, 3}, std::nullopt);
    const ConvGeometry c32_in = conv_geometry(p, {1, 32, 56, 56}, {64, 32, 3, 3}, std::nullopt);
    const ConvGeometry map7 = conv_geometry(p, {1, 512, 7, 7}, {512, 512, 3, 3}, std::nullopt);
    p.stride = {2};
    const ConvGeometry r2 = conv_geometry(p, {1, 64, 56, 56}, {128, 64, 3, 3}, std::nullopt);
    p.stride = {3};
    const ConvGeometry s3 = conv_geometry(p, {1, 64, 56, 56}, {64, 64, 3, 3}, std::nullopt);  // column stride 3
    p.stride = {1};
    p.dims = 1;
    const ConvGeometry r6 = conv_geometry(p, {8, 512, 256}, {512, 512, 3}, std::nullopt);
    for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
        if (!cpu_supports(isa)) continue;
        const FastConvPath want = isa == Isa::Avx512 ? FastConvPath::Blocked : FastConvPath::Direct;
        EXPECT_EQ(fast_conv_path(s6, {0, FastConvPath::Auto, isa}), want) << isa_name(isa);
        EXPECT_EQ(fast_conv_path(r2, {0, FastConvPath::Auto, isa}), want) << isa_name(isa);
        for (const ConvGeometry* g : {&c100, &c32_in, &map7, &s3, &r6})
            EXPECT_EQ(fast_conv_path(*g, {0, FastConvPath::Auto, isa}), FastConvPath::Direct) << isa_name(isa);
        // forced: where it cannot run (no AVX-512, a column stride of 3), the direct kernel runs and is named
        EXPECT_EQ(fast_conv_path(s3, {0, FastConvPath::Blocked, isa}), FastConvPath::Direct);
        EXPECT_EQ(fast_conv_engine_name(s6, {0, FastConvPath::Blocked, isa}),
                  isa == Isa::Avx512 ? std::string("blocked-avx512") : std::string("direct-") + isa_name(isa));
    }
}

TEST(FastConv, AnInstructionSetTheCpuLacksOrAnUnknownNameIsRefusedByName) {
    EXPECT_EQ(parse_isa("avx2"), Isa::Avx2);
    EXPECT_EQ(parse_isa("AVX2"), std::nullopt);
    EXPECT_EQ(resolve_isa(Isa::Generic), Isa::Generic);
    if (!cpu_has_avx512()) {
        try {
            resolve_isa(Isa::Avx512);
            ADD_FAILURE() << "avx512 accepted on a CPU without AVX-512 F, DQ, BW and VL";
        } catch (const ConfigError& e) {
            EXPECT_NE(std::string(e.what()).find(
                          "instruction set avx512: this CPU has no AVX-512 (F, DQ, BW, VL) (the widest it runs is"),
                      std::string::npos)
                << e.what();
        }
    }
    const char* saved = getenv("CONVSCOPE_ISA");
    const std::string keep = saved ? saved : "";
    setenv("CONVSCOPE_ISA", "sse9", 1);
    try {
        resolve_isa(Isa::Auto);
        ADD_FAILURE() << "CONVSCOPE_ISA=sse9 accepted";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "CONVSCOPE_ISA: expected auto, generic, avx2 or avx512, got 'sse9'");
    }
    setenv("CONVSCOPE_ISA", "generic", 1);
    EXPECT_EQ(resolve_isa(Isa::Auto), Isa::Generic);
    if (saved)
        setenv("CONVSCOPE_ISA", keep.c_str(), 1);
    else
        unsetenv("CONVSCOPE_ISA");
}

// Depthwise layers only (groups == C_in), seeded: batched and unbatched, Conv1d and Conv2d, channel multipliers 1-3,
// strides 1-3, dilation 1-2, every padding mode, sizes from 1 (smaller than any vector) to 40 (tails on every
// vector width), every engine and instruction set this CPU runs, 1 and 2 threads.
TEST(FastConv, DepthwiseSeededRandomConfigurations) {
    const uint32_t seed = 1402;
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int checked = 0;
    for (int i = 0; i < 120; ++i) {
        const int dims = pick(1, 2);
        const int64_t cin = pick(2, 7), mult = pick(1, 3);
        ConvParams p;
        p.dims = dims;
        p.groups = cin;
        p.stride = {pick(1, 3)};
        p.dilation = {pick(1, 2)};
        p.padding = {pick(0, 3)};
        p.padding_mode = static_cast<PaddingMode>(pick(0, 3));
        Shape in;
        if (pick(0, 3) != 0) in.push_back(pick(1, 3));  // a quarter unbatched
        in.push_back(cin);
        Shape wshape{cin * mult, 1};
        for (int d = 0; d < dims; ++d) {
            in.push_back(pick(1, 40));
            wshape.push_back(pick(1, 5));
        }
        ConvCheck check = conv_check(p, in, wshape, Shape{cin * mult});
        if (!check.ok()) continue;  // e.g. a kernel larger than the padded input
        ++checked;
        Tensor x = testing::random_tensor(in, rng), w = testing::random_tensor(wshape, rng),
               b = testing::random_tensor({cin * mult}, rng);
        const Tensor ref = conv_reference(*check.geometry, x, w, &b);
        for (int threads : {1, 2}) {
            for (const FastConvOptions& e : engines(threads)) {
                ASSERT_TRUE(testing::tensors_close(conv_fast(*check.geometry, x, w, &b, e), ref))
                    << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " weight "
                    << shape_to_string(wshape) << " stride " << p.stride[0] << " dilation " << p.dilation[0]
                    << " padding " << p.padding[0] << " mode " << padding_mode_name(p.padding_mode) << " engine "
                    << fast_conv_engine_name(*check.geometry, e) << ", " << threads << " threads";
            }
        }
    }
    EXPECT_GT(checked, 60);  // the table is not mostly invalid settings
}

// 1x1 layers without padding only, seeded: batched and unbatched, Conv1d and Conv2d, groups 1-3, 1-9 channels per
// group (around the pointwise tile's 4 and 8 rows), strides 1-3 (gathered positions), dilation 1-2 (no effect on a
// 1x1 kernel), sizes from 1 to 30 (position counts around the tile widths 8, 24, 48 and the chunks), every engine
// and instruction set this CPU runs, 1 and 2 threads.
// Many input channels: the pointwise kernel reads them in blocks that stay in L1 (128 a block for AVX-512's 48-wide
// tiles, 256 for AVX2's, 768 for SSE2's), the first block starting from the bias and later ones adding to the
// stored sums; with partial tiles (63 and 5 positions), a strided layer and two groups.
TEST(FastConv, PointwiseInputChannelBlocksMatchTheReference) {
    std::mt19937 rng(77);
    struct Case {
        Shape in, weight;
        int64_t stride, groups;
    };
    for (const Case& c : {Case{{1, 800, 7, 9}, {13, 800, 1, 1}, 1, 1}, Case{{2, 300, 5}, {10, 150, 1}, 1, 2},
                          Case{{1, 520, 9, 9}, {17, 520, 1, 1}, 2, 1}}) {
        ConvParams p;
        p.dims = static_cast<int>(c.in.size()) - 2;
        p.stride = {c.stride};
        p.groups = c.groups;
        const ConvGeometry g = conv_geometry(p, c.in, c.weight, Shape{c.weight[0]});
        ASSERT_TRUE(is_pointwise(g));
        Tensor x = testing::random_tensor(c.in, rng), w = testing::random_tensor(c.weight, rng),
               b = testing::random_tensor({c.weight[0]}, rng);
        const Tensor ref = conv_reference(g, x, w, &b);
        for (int threads : {1, 2}) {
            for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
                if (!cpu_supports(isa)) continue;
                EXPECT_TRUE(
                    testing::tensors_close(conv_fast(g, x, w, &b, {threads, FastConvPath::Pointwise, isa}), ref))
                    << shape_to_string(c.in) << " " << isa_name(isa) << ", " << threads << " threads";
            }
        }
    }
}

TEST(FastConv, PointwiseSeededRandomConfigurations) {
    const uint32_t seed = 1403;
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (int i = 0; i < 80; ++i) {
        const int dims = pick(1, 2);
        const int64_t groups = pick(1, 3), cin = groups * pick(1, 9), cout = groups * pick(1, 9);
        ConvParams p;
        p.dims = dims;
        p.groups = groups;
        p.stride = {pick(1, 3)};
        p.dilation = {pick(1, 2)};  // (no padding, so no padding mode: PyTorch refuses reflect with padding 0)
        Shape in;
        if (pick(0, 3) != 0) in.push_back(pick(1, 3));
        in.push_back(cin);
        Shape wshape{cout, cin / groups};
        for (int d = 0; d < dims; ++d) {
            in.push_back(pick(1, 30));
            wshape.push_back(1);
        }
        const ConvGeometry g = conv_geometry(p, in, wshape, Shape{cout});
        ASSERT_TRUE(is_pointwise(g));
        Tensor x = testing::random_tensor(in, rng), w = testing::random_tensor(wshape, rng),
               b = testing::random_tensor({cout}, rng);
        const Tensor ref = conv_reference(g, x, w, &b);
        for (int threads : {1, 2}) {
            for (const FastConvOptions& e : engines(threads)) {
                ASSERT_TRUE(testing::tensors_close(conv_fast(g, x, w, &b, e), ref))
                    << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " weight "
                    << shape_to_string(wshape) << " stride " << p.stride[0] << " engine " << fast_conv_engine_name(g, e)
                    << ", " << threads << " threads";
            }
        }
    }
}

// Shapes aimed at the direct kernel's seams: output channels around multiples of its tile's rows (8 for AVX-512,
// 4 for AVX2 and generic), flat position counts around multiples of its tile's width (48, 24, 8), planes a power of two
// apart (the unpadded panel copy), enough input channels for several channel blocks, wide dilated taps, groups, and
// every padding mode.
struct DirectCase {
    const char* name;
    Shape input, weight;
    std::vector<int64_t> padding, dilation;
    int64_t groups;
    PaddingMode mode;
    float tol = 1e-5f;
    std::vector<int64_t> stride{1};
};

TEST(FastConv, DirectKernelSeamsMatchReference) {
    // clang-format off
    const DirectCase cases[] = {
        {"one_output_channel", {1, 3, 9, 7}, {1, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"seven_channels", {2, 5, 13, 11}, {7, 5, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"nine_channels", {1, 4, 12, 12}, {9, 4, 3, 3}, {0}, {1}, 1, PaddingMode::Zeros},
        {"seventeen_channels", {1, 6, 10, 10}, {17, 6, 2, 2}, {1}, {1}, 1, PaddingMode::Reflect},
        {"flat_47", {1, 2, 1, 49}, {8, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // 47 outputs: one short tile
        {"flat_48", {1, 2, 1, 50}, {8, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // exactly one tile
        {"flat_23", {1, 2, 1, 25}, {5, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // AVX2: one short tile
        {"flat_24", {1, 2, 1, 26}, {3, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},
        {"flat_25", {1, 2, 1, 27}, {4, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},
        {"flat_8", {1, 2, 1, 10}, {5, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},       // generic: one tile
        {"flat_9", {1, 2, 1, 11}, {6, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},
        {"flat_49", {1, 2, 1, 51}, {8, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // one tile and one lane
        {"plane_512_unpadded", {3, 40, 512}, {10, 40, 2}, {0}, {1}, 1, PaddingMode::Zeros},
        // 2,700-term sums: the reference's own float32 rounding is ~4e-5 here (measured against double sums).
        {"many_channel_blocks", {1, 300, 9, 64}, {5, 300, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros, 1e-4f},
        {"wide_dilated_taps", {1, 3, 20, 300}, {4, 3, 3, 7}, {3}, {4}, 1, PaddingMode::Replicate},
        {"groups_three", {2, 6, 9, 7}, {9, 2, 3, 3}, {1}, {1}, 3, PaddingMode::Circular},
        {"depthwise", {1, 8, 11, 11}, {8, 1, 5, 5}, {2}, {1}, 8, PaddingMode::Reflect},
        {"kernel_fills_input", {2, 3, 6, 6}, {4, 3, 6, 6}, {0}, {1}, 1, PaddingMode::Zeros},
        {"pointwise", {2, 16, 7, 9}, {12, 16, 1, 1}, {0}, {1}, 1, PaddingMode::Zeros},
        {"asymmetric_pad_1d", {2, 4, 30}, {6, 4, 4}, {3}, {1}, 1, PaddingMode::Zeros},
        // Stride phases: odd and even planes, strides larger than the kernel (phases no tap reads), dilation
        // sharing a factor with the stride, a 1-D stride, the ResNet stem's shape (smaller), strided depthwise.
        {"stride_2_odd_plane", {1, 3, 15, 13}, {5, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 2}},
        {"stride_2_even_plane", {2, 4, 16, 16}, {9, 4, 3, 3}, {1}, {1}, 1, PaddingMode::Reflect, 1e-5f, {2, 2}},
        {"stride_3_kernel_2", {1, 2, 17, 20}, {6, 2, 2, 2}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f, {3, 3}},
        {"stride_2_dilation_2", {1, 3, 19, 23}, {4, 3, 3, 3}, {2}, {2}, 1, PaddingMode::Circular, 1e-5f, {2, 2}},
        {"stride_2_dilation_3", {1, 3, 21, 22}, {4, 3, 3, 3}, {3}, {3}, 1, PaddingMode::Replicate, 1e-5f, {2, 2}},
        {"stride_2_by_1", {1, 3, 14, 11}, {8, 3, 3, 5}, {2}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 1}},
        {"stride_1_by_3", {1, 3, 9, 31}, {8, 3, 3, 4}, {1}, {1}, 1, PaddingMode::Zeros, 1e-5f, {1, 3}},
        {"stride_4_1d", {2, 5, 61}, {7, 5, 6}, {2}, {1}, 1, PaddingMode::Zeros, 1e-5f, {1, 4}},
        {"resnet_stem_small", {1, 3, 40, 40}, {10, 3, 7, 7}, {3}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 2}},
        {"strided_depthwise", {1, 8, 15, 15}, {8, 1, 3, 3}, {1}, {1}, 8, PaddingMode::Zeros, 1e-5f, {2, 2}},
        // The depthwise kernel's seams: output rows around its 4-row tile, row widths around its tile width (generic
        // 8, AVX2 16, AVX-512 32 floats), channel multipliers, strides split into column phases, 1-D rows.
        {"depthwise_rows_5_width_17", {1, 3, 5, 17}, {3, 1, 3, 3}, {1}, {1}, 3, PaddingMode::Zeros},
        {"depthwise_rows_8_width_32", {2, 2, 8, 32}, {2, 1, 3, 3}, {1}, {1}, 2, PaddingMode::Zeros},
        {"depthwise_width_33_multiplier_3", {1, 2, 7, 33}, {6, 1, 3, 3}, {1}, {1}, 2, PaddingMode::Replicate},
        {"depthwise_width_3", {1, 4, 6, 3}, {8, 1, 3, 3}, {1}, {1}, 4, PaddingMode::Circular},
        {"depthwise_7x7_dilated", {1, 3, 19, 23}, {3, 1, 7, 7}, {6}, {2}, 3, PaddingMode::Reflect},
        {"depthwise_stride_2_multiplier_2", {1, 3, 17, 35}, {6, 1, 3, 3}, {1}, {1}, 3, PaddingMode::Zeros, 1e-5f, {2, 2}},
        {"depthwise_stride_3_dilation_2", {2, 2, 20, 41}, {4, 1, 3, 5}, {2}, {2}, 2, PaddingMode::Reflect, 1e-5f, {3, 3}},
        {"depthwise_5x5_stride_2", {1, 3, 22, 37}, {3, 1, 5, 5}, {2}, {1}, 3, PaddingMode::Reflect, 1e-5f, {2, 2}},
        {"depthwise_5x5_rows_6", {2, 2, 6, 18}, {4, 1, 5, 5}, {2}, {1}, 2, PaddingMode::Zeros},
        {"depthwise_1d_long", {2, 5, 300}, {10, 1, 9}, {4}, {1}, 5, PaddingMode::Zeros},
        {"depthwise_1d_stride_3", {1, 4, 97}, {4, 1, 5}, {2}, {1}, 4, PaddingMode::Circular, 1e-5f, {1, 3}},
        {"depthwise_huge_stride_one_output_row", {1, 2, 5, 9}, {2, 1, 3, 3}, {0}, {1}, 2, PaddingMode::Zeros, 1e-5f,
         {INT64_MAX, 2}},
        // The pointwise kernel's seams: positions around its tile widths (generic 8, AVX2 24, AVX-512 48) and
        // chunks (twice that), channels around its tile rows (4, 8), many input channels, groups, 1-D, strided.
        {"pointwise_positions_47", {1, 5, 1, 47}, {9, 5, 1, 1}, {0}, {1}, 1, PaddingMode::Zeros},
        {"pointwise_positions_97_groups_1d", {2, 6, 97}, {12, 3, 1}, {0}, {1}, 2, PaddingMode::Zeros},
        {"pointwise_many_channels", {1, 300, 7, 7}, {5, 300, 1, 1}, {0}, {1}, 1, PaddingMode::Zeros, 1e-4f},
        {"pointwise_strided_2x3", {2, 7, 13, 17}, {17, 7, 1, 1}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 3}},
        {"strided_pointwise", {1, 16, 9, 9}, {6, 16, 1, 1}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 2}},
        {"stride_5_no_pad", {1, 2, 23, 24}, {3, 2, 4, 4}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f, {5, 5}},
        // The channel-blocked kernel's seams (AVX-512): rows around its 14-position tile and the 16 floats a whole
        // vector store writes (13, 14, 15, 16, 29), output channels around its 16-lane blocks and 2-block tiles
        // (1, 16, 17, 32, 33, 48), input channels in several passes (50 > 21 a pass for 3x3), bands of rows split
        // over the threads, a row stride of 3 (any) with column stride 1, column stride 2 on an odd row, dilation,
        // groups, and a Conv1d.
        {"blocked_row_13", {1, 4, 4, 13}, {17, 4, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"blocked_row_14", {2, 4, 6, 14}, {16, 4, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"blocked_row_15_channels_33", {1, 5, 5, 15}, {33, 5, 3, 3}, {1}, {1}, 1, PaddingMode::Reflect},
        {"blocked_row_16_channels_48", {1, 6, 3, 16}, {48, 6, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"blocked_row_29_one_channel", {1, 3, 7, 29}, {1, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Circular},
        {"blocked_channel_passes", {1, 50, 6, 20}, {32, 50, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"blocked_bands", {1, 8, 40, 17}, {16, 8, 3, 3}, {1}, {1}, 1, PaddingMode::Replicate},
        {"blocked_stride_3_by_1", {1, 6, 20, 30}, {20, 6, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros, 1e-5f, {3, 1}},
        {"blocked_stride_2_odd_row", {2, 7, 15, 31}, {40, 7, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros, 1e-5f, {2, 2}},
        {"blocked_dilation_2_by_3", {1, 5, 17, 33}, {24, 5, 3, 3}, {2}, {2, 3}, 1, PaddingMode::Zeros},
        {"blocked_groups_2", {1, 40, 9, 18}, {34, 20, 3, 3}, {1}, {1}, 2, PaddingMode::Zeros},
        {"blocked_conv1d", {2, 12, 45}, {20, 12, 5}, {2}, {1}, 1, PaddingMode::Zeros},
        // The direct kernel's unit order: a store-bound layer (few multiply-adds per output, more output channels
        // than one sweep writes) with several items, and with one item split into a sweep per thread (33 or 65
        // position tiles: the last sweep shorter); weights past the L2 budget, with every item's input fitting in
        // L2 (chunks outermost) and not (items outermost). 4,400-term sums: tolerance as for many_channel_blocks.
        {"store_bound_items", {3, 3, 9, 13}, {70, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"store_bound_one_item_sweeps", {1, 3, 40, 37}, {50, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"big_weights_inputs_fit", {2, 1100, 20}, {64, 1100, 4}, {2}, {1}, 1, PaddingMode::Zeros, 1e-4f},
        {"big_weights_items_outer", {2, 1100, 128}, {64, 1100, 4}, {2}, {1}, 1, PaddingMode::Zeros, 1e-4f},
        // One output row: any stride is valid (PyTorch accepts 2^63 - 1) and must not split the plane by it.
        {"huge_stride_one_output_row", {1, 2, 5, 9}, {3, 2, 3, 3}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f,
         {INT64_MAX, 2}},
        {"huge_stride_one_output_column", {1, 2, 9, 5}, {18, 2, 3, 3}, {0}, {1}, 1, PaddingMode::Zeros, 1e-5f,
         {1, INT64_MAX}},
        // One tap along an axis: any dilation there is valid and must not be multiplied by the row length.
        {"huge_dilation_one_tap_row", {1, 3, 6, 20}, {17, 3, 1, 3}, {1}, {INT64_MAX, 2}, 1, PaddingMode::Zeros},
        {"huge_dilation_one_tap_column", {1, 3, 7, 16}, {17, 3, 3, 1}, {1}, {2, INT64_MAX}, 1, PaddingMode::Zeros},
    };
    // clang-format on
    std::mt19937 rng(2024);
    for (const DirectCase& c : cases) {
        ConvParams p;
        p.dims = static_cast<int>(c.input.size()) - 2;
        p.padding = c.padding;
        p.dilation = c.dilation;
        p.groups = c.groups;
        p.padding_mode = c.mode;
        p.stride = c.stride;
        if (c.input.size() == 3 && c.stride.size() == 2) p.stride = {c.stride[1]};
        const ConvGeometry g = conv_geometry(p, c.input, c.weight, Shape{c.weight[0]});
        Tensor x = testing::random_tensor(c.input, rng), w = testing::random_tensor(c.weight, rng),
               b = testing::random_tensor({c.weight[0]}, rng);
        const Tensor ref = conv_reference(g, x, w, &b);
        for (int threads : {1, 2, 3}) {
            for (const FastConvOptions& e : engines(threads)) {
                if (e.path == FastConvPath::Gemm) continue;
                EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, &b, e), ref, c.tol, c.tol))
                    << c.name << ", " << fast_conv_engine_name(g, e) << ", " << threads << " threads";
            }
        }
    }
}

}  // namespace
}  // namespace convscope
