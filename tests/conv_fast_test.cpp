// The im2col + BLAS fast path against the reference, on the shared table of awkward shapes and on seeded random
// configurations, single- and multi-threaded.
#include <gtest/gtest.h>

#include "conv_cases.hpp"
#include "conv_fast.hpp"
#include "conv_reference.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

class FastVsReference : public ::testing::TestWithParam<ConvCase> {};

TEST_P(FastVsReference, MatchesReference) {
    const ConvCase& c = GetParam();
    std::mt19937 rng(99);
    Tensor x = testing::random_tensor(c.input, rng), w = testing::random_tensor(c.weight, rng),
           b = testing::random_tensor({c.weight[0]}, rng);
    ConvGeometry g = conv_geometry(to_params(c), c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
    const Tensor ref = conv_reference(g, x, w, c.bias ? &b : nullptr);
    for (int threads : {1, 2}) {
        EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, c.bias ? &b : nullptr, {threads}), ref)) << threads << " threads";
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
        ASSERT_TRUE(testing::tensors_close(conv_fast(*check.geometry, x, w, &b, {1}), conv_reference(*check.geometry, x, w, &b)))
            << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " weight " << shape_to_string(wshape)
            << " mode " << padding_mode_name(p.padding_mode);
    }
}

TEST(FastConv, LargeChannelSumStaysWithinTolerance) {
    // 768 input channels x kernel 2 (the seed's Conv1d): 1,536-term sums in a different order than the reference.
    std::mt19937 rng(3);
    ConvParams p;
    p.dims = 1;
    Tensor x = testing::random_tensor({2, 768, 40}, rng), w = testing::random_tensor({10, 768, 2}, rng);
    ConvGeometry g = conv_geometry(p, x.shape, w.shape, std::nullopt);
    EXPECT_TRUE(testing::tensors_close(conv_fast(g, x, w, nullptr), conv_reference(g, x, w, nullptr), 1e-4f, 1e-4f));
}

}  // namespace
}  // namespace convscope
