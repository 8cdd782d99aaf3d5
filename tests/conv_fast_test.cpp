// Both fast engines (im2col + BLAS, and the direct AVX-512 kernel where the CPU has it) against the reference, on
// the shared table of awkward shapes, on seeded random configurations and on the shapes that stress the direct
// kernel's tiling; single- and multi-threaded.
#include <gtest/gtest.h>

#include "conv_cases.hpp"
#include "conv_direct.hpp"
#include "conv_fast.hpp"
#include "conv_reference.hpp"
#include "simd.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

constexpr FastConvPath kPaths[] = {FastConvPath::Gemm, FastConvPath::Direct};

class FastVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(FastVsReference, MatchesReference) {
    const ConvCase& c = GetParam();
    std::mt19937 rng(99);
    Tensor x = testing::random_tensor(c.input, rng), w = testing::random_tensor(c.weight, rng),
           b = testing::random_tensor({c.weight[0]}, rng);
    ConvGeometry g = conv_geometry(to_params(c), c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
    const Tensor ref = conv_reference(g, x, w, c.bias ? &b : nullptr);
    for (FastConvPath path : kPaths) {
        for (int threads : {1, 2}) {
            EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, c.bias ? &b : nullptr, {threads, path}), ref))
                << fast_conv_path_name(fast_conv_path(g, {threads, path})) << ", " << threads << " threads";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table, FastVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ConvCase>& param_info) { return std::string(param_info.param.name); });

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
        Tensor x = testing::random_tensor(in, rng), w = testing::random_tensor(wshape, rng), b = testing::random_tensor({cout}, rng);
        const Tensor ref = conv_reference(*check.geometry, x, w, &b);
        for (FastConvPath path : kPaths) {
            ASSERT_TRUE(testing::tensors_close(conv_fast(*check.geometry, x, w, &b, {1, path}), ref))
                << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " weight " << shape_to_string(wshape)
                << " mode " << padding_mode_name(p.padding_mode) << " engine "
                << fast_conv_path_name(fast_conv_path(*check.geometry, {1, path}));
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
    for (FastConvPath path : kPaths) EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, nullptr, {0, path}), ref, 1e-4f, 1e-4f));
}

TEST(FastConv, PicksTheDirectKernelForStrideOneWhereTheCpuHasAvx512) {
    ConvParams p;
    p.padding = {1};
    const ConvGeometry s1 = conv_geometry(p, {1, 64, 56, 56}, {64, 64, 3, 3}, std::nullopt);
    p.stride = {2};
    const ConvGeometry s2 = conv_geometry(p, {1, 64, 56, 56}, {64, 64, 3, 3}, std::nullopt);
    EXPECT_EQ(fast_conv_path(s2, {}), FastConvPath::Gemm);  // stride 2: the direct kernel does not apply
    EXPECT_EQ(fast_conv_path(s1, {0, FastConvPath::Gemm}), FastConvPath::Gemm);
    if (!cpu_has_avx512f()) GTEST_SKIP() << "this CPU has no AVX-512F: conv_fast runs im2col + BLAS only";
    EXPECT_EQ(fast_conv_path(s1, {}), FastConvPath::Direct);
    EXPECT_STREQ(fast_conv_path_name(FastConvPath::Direct), "direct-avx512");
}

// Shapes aimed at the direct kernel's seams: output channels around multiples of its 8-row tile, flat position
// counts around multiples of its 48-wide tile, planes a power of two apart (the unpadded panel copy), enough
// input channels for several channel blocks, wide dilated taps, groups, and every padding mode.
struct DirectCase {
    const char* name;
    Shape input, weight;
    std::vector<int64_t> padding, dilation;
    int64_t groups;
    PaddingMode mode;
    float tol = 1e-5f;
};

TEST(FastConv, DirectKernelSeamsMatchReference) {
    if (!cpu_has_avx512f()) GTEST_SKIP() << "this CPU has no AVX-512F: the direct kernel never runs";
    const DirectCase cases[] = {
        {"one_output_channel", {1, 3, 9, 7}, {1, 3, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"seven_channels", {2, 5, 13, 11}, {7, 5, 3, 3}, {1}, {1}, 1, PaddingMode::Zeros},
        {"nine_channels", {1, 4, 12, 12}, {9, 4, 3, 3}, {0}, {1}, 1, PaddingMode::Zeros},
        {"seventeen_channels", {1, 6, 10, 10}, {17, 6, 2, 2}, {1}, {1}, 1, PaddingMode::Reflect},
        {"flat_47", {1, 2, 1, 49}, {8, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // 47 outputs: one short tile
        {"flat_48", {1, 2, 1, 50}, {8, 2, 1, 3}, {0}, {1}, 1, PaddingMode::Zeros},      // exactly one tile
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
    };
    std::mt19937 rng(2024);
    for (const DirectCase& c : cases) {
        ConvParams p;
        p.dims = static_cast<int>(c.input.size()) - 2;
        p.padding = c.padding;
        p.dilation = c.dilation;
        p.groups = c.groups;
        p.padding_mode = c.mode;
        const ConvGeometry g = conv_geometry(p, c.input, c.weight, Shape{c.weight[0]});
        ASSERT_TRUE(conv_direct_applies(g)) << c.name;
        Tensor x = testing::random_tensor(c.input, rng), w = testing::random_tensor(c.weight, rng),
               b = testing::random_tensor({c.weight[0]}, rng);
        const Tensor ref = conv_reference(g, x, w, &b);
        for (int threads : {1, 2, 3}) {
            EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, &b, {threads, FastConvPath::Direct}), ref, c.tol, c.tol))
                << c.name << ", " << threads << " threads";
        }
    }
}

}  // namespace
}  // namespace convscope
