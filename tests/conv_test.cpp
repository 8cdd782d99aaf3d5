// conv_check (validity + PyTorch's error text), the reference convolution on hand-worked and analytic cases.
#include <gtest/gtest.h>

#include "conv_reference.hpp"
#include "conv_spec.hpp"
#include "error.hpp"
#include "layout.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

using testing::tensors_close;

ConvParams params2d(std::vector<int64_t> padding = {0}, std::vector<int64_t> stride = {1},
                    std::vector<int64_t> dilation = {1}, int64_t groups = 1, PaddingMode mode = PaddingMode::Zeros) {
    ConvParams p;
    p.padding = padding;
    p.stride = stride;
    p.dilation = dilation;
    p.groups = groups;
    p.padding_mode = mode;
    return p;
}

// ---- output shapes ----
TEST(ConvCheck, SeedConv2d3to192Kernel5Padding2KeepsSize) {
    ConvCheck c = conv_check(params2d({2}), {1, 3, 32, 32}, {192, 3, 5, 5}, Shape{192});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->output_shape_torch(), (Shape{1, 192, 32, 32}));
}

TEST(ConvCheck, OutputSizeFormulaWithStrideAndDilation) {
    // floor((9 + 2*1 - 2*(3-1) - 1)/2) + 1 = floor(6/2) + 1 = 4 ; W: floor((7 + 2 - 4 - 1)/2) + 1 = 3
    ConvCheck c = conv_check(params2d({1}, {2}, {2}), {2, 4, 9, 7}, {6, 4, 3, 3}, std::nullopt);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->output_shape_torch(), (Shape{2, 6, 4, 3}));
    EXPECT_EQ(conv_formula_text(*c.geometry, 0),
              "H_out = floor((9 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(6 / 2) + 1 = 4");
}

TEST(ConvCheck, SameWithEvenKernelPutsExtraPixelAtTheEnd) {
    ConvParams p;
    p.padding_kind = PaddingKind::Same;
    ConvCheck c = conv_check(p, {1, 3, 8, 8}, {6, 3, 4, 4}, std::nullopt);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->pad_begin, (std::array<int64_t, 2>{1, 1}));
    EXPECT_EQ(c.geometry->pad_end, (std::array<int64_t, 2>{2, 2}));
    EXPECT_EQ(c.geometry->output_shape_torch(), (Shape{1, 6, 8, 8}));
}

TEST(ConvCheck, Conv1dUnbatched) {
    ConvParams p;
    p.dims = 1;
    ConvCheck c = conv_check(p, {768, 512}, {100, 768, 2}, std::nullopt);
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->output_shape_torch(), (Shape{100, 511}));
    EXPECT_TRUE(c.geometry->unbatched);
}

// ---- PyTorch 1.13's error texts (each string was checked against the Debian python3-torch) ----
struct ErrorCase {
    const char* name;
    ConvParams params;
    Shape input, weight;
    std::optional<Shape> bias;
    const char* expected;
};

ConvParams p1d() {
    ConvParams p;
    p.dims = 1;
    return p;
}
ConvParams same2d(std::vector<int64_t> stride = {1}) {
    ConvParams p;
    p.padding_kind = PaddingKind::Same;
    p.stride = stride;
    return p;
}

class ConvErrorText : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConvErrorText, MatchesPyTorch) {
    const ErrorCase& e = GetParam();
    ConvCheck c = conv_check(e.params, e.input, e.weight, e.bias);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error, e.expected);
    EXPECT_THROW(conv_geometry(e.params, e.input, e.weight, e.bias), ConfigError);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(
    PyTorch113, ConvErrorText,
    ::testing::Values(
        ErrorCase{"Conv1dChannelMismatchFromSeed", p1d(), {6, 512, 768}, {100, 768, 2}, std::nullopt,
                  "Given groups=1, weight of size [100, 768, 2], expected input[6, 512, 768] to have 768 channels, but got 512 "
                  "channels instead"},
        ErrorCase{"Conv2dBatchVsChannelSeedNet", params2d(), {3, 1, 28, 28}, {6, 3, 5, 5}, Shape{6},
                  "Given groups=1, weight of size [6, 3, 5, 5], expected input[3, 1, 28, 28] to have 3 channels, but got 1 "
                  "channels instead"},
        ErrorCase{"UnbatchedPrintsBatchedSize", params2d(), {4, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Given groups=1, weight of size [6, 3, 3, 3], expected input[1, 4, 8, 8] to have 3 channels, but got 4 "
                  "channels instead"},
        ErrorCase{"WrongInputRank", params2d(), {1, 1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [1, 1, 3, 8, 8]"},
        ErrorCase{"KernelLargerThanPaddedInput", params2d(), {1, 3, 8, 8}, {6, 3, 11, 3}, std::nullopt,
                  "Calculated padded input size per channel: (8 x 8). Kernel size: (11 x 3). Kernel size can't be greater than "
                  "actual input size"},
        ErrorCase{"DilatedKernelLarger", params2d({0}, {1}, {4}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Calculated padded input size per channel: (8 x 8). Kernel size: (9 x 9). Kernel size can't be greater than "
                  "actual input size"},
        ErrorCase{"SameWithStride", same2d({2}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "padding='same' is not supported for strided convolutions"},
        ErrorCase{"SameEvenKernelPrintsPaddedInput", same2d(), {1, 3, 8, 8}, {6, 4, 4, 4}, std::nullopt,
                  "Given groups=1, weight of size [6, 4, 4, 4], expected input[1, 3, 9, 9] to have 4 channels, but got 3 "
                  "channels instead"},
        ErrorCase{"GroupsNotDividingWeight", params2d({0}, {1}, {1}, 4), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Given groups=4, expected weight to be divisible by 4 at dimension 0, but got weight of size [[6, 3, 3, 3]] "
                  "instead"},
        ErrorCase{"GroupsMoreThanFilters", params2d({0}, {1}, {1}, 7), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Given groups=7, expected weight to be at least 7 at dimension 0, but got weight of size [6, 3, 3, 3] instead"},
        ErrorCase{"GroupsZero", params2d({0}, {1}, {1}, 0), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "non-positive groups is not supported"},
        ErrorCase{"StrideZero", params2d({0}, {0}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "non-positive stride is not supported"},
        ErrorCase{"NegativePaddingBeforeStride", params2d({-1}, {0}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "negative padding is not supported"},
        // PyTorch crops here (F.pad with negative pads); convscope refuses with its own words, not PyTorch's text
        ErrorCase{"NegativePaddingReflectIsRefusedByName", params2d({0, -1}, {1}, {1}, 1, PaddingMode::Reflect),
                  {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "convscope does not compute negative padding with padding_mode='reflect' (PyTorch's F.pad crops the "
                  "input by that many elements on each side first; crop the input instead and use padding=0)"},
        ErrorCase{"DilationZeroAfterShapeChecks", params2d({0}, {1}, {0}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "dilation should be greater than zero, but got [0, 0]"},
        ErrorCase{"KernelZero", params2d(), {1, 3, 8, 8}, {6, 3, 0, 3}, std::nullopt,
                  "kernel size should be greater than zero, but got [0, 3]"},
        ErrorCase{"BiasWrongLength", params2d(), {1, 3, 8, 8}, {6, 3, 3, 3}, Shape{5},
                  "Given weight of size [6, 3, 3, 3], expected bias to be 1-dimensional with 6 elements, but got bias of size "
                  "[5] instead"},
        ErrorCase{"StrideListTooLong", params2d({0}, {1, 2, 3}), {1, 3, 8, 8}, {6, 3, 3, 3}, std::nullopt,
                  "expected stride to be a single integer value or a list of 2 values to match the convolution dimensions, but "
                  "got stride=[1, 2, 3]"},
        ErrorCase{"ReflectPaddingTooLargeW", params2d({1, 8}, {1}, {1}, 1, PaddingMode::Reflect), {1, 3, 8, 8}, {6, 3, 3, 3},
                  std::nullopt,
                  "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (8, 8) at "
                  "dimension 3 of input 4"},
        ErrorCase{"ReflectPaddingTooLargeH", params2d({8, 1}, {1}, {1}, 1, PaddingMode::Reflect), {1, 3, 8, 8}, {6, 3, 3, 3},
                  std::nullopt,
                  "Argument #6: Padding size should be less than the corresponding input dimension, but got: padding (8, 8) at "
                  "dimension 2 of input 4"},
        ErrorCase{"CircularWrapsTwice", params2d({9}, {1}, {1}, 1, PaddingMode::Circular), {1, 3, 8, 8}, {6, 3, 3, 3},
                  std::nullopt, "Padding value causes wrapping around more than once."},
        ErrorCase{"ZeroSizedSpatialInput", params2d({2}), {1, 3, 0, 8}, {6, 3, 3, 3}, std::nullopt,
                  "Only zero batch or zero channel inputs are supported, but got input shape: [1, 3, 0, 8]"}),
    [](const ::testing::TestParamInfo<ErrorCase>& param_info) { return std::string(param_info.param.name); });
// clang-format on

// ---- reference: hand-worked and analytic ----
TEST(ConvReference, HandWorked2x2KernelOn3x3) {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,-1]]: y[i,j] = x[i,j] - x[i+1,j+1] = -4 everywhere; + bias 0.5
    Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
    Tensor w({1, 1, 2, 2}, {1, 0, 0, -1});
    Tensor b({1}, {0.5f});
    ConvGeometry g = conv_geometry(params2d(), x.shape, w.shape, b.shape);
    EXPECT_TRUE(tensors_close(conv_reference(g, x, w, &b), Tensor({1, 1, 2, 2}, {-3.5f, -3.5f, -3.5f, -3.5f})));
}

TEST(ConvReference, AllOnes3x3Padding1CountsNeighbours) {
    // Analytic: all-ones 3x3 kernel over an all-ones 4x5 input with zero padding 1:
    // 9 inside, 6 on edges, 4 in corners.
    Tensor x({1, 1, 4, 5}, std::vector<float>(20, 1.0f));
    Tensor w({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    ConvGeometry g = conv_geometry(params2d({1}), x.shape, w.shape, std::nullopt);
    Tensor expected({1, 1, 4, 5}, {4, 6, 6, 6, 4, 6, 9, 9, 9, 6, 6, 9, 9, 9, 6, 4, 6, 6, 6, 4});
    EXPECT_TRUE(tensors_close(conv_reference(g, x, w, nullptr), expected));
}

TEST(ConvReference, PaddingModesOnARamp1d) {
    // x = [1, 2, 3], kernel [1, 0, 0] with padding 2 reads x[i-2]: the left padding shows each mode.
    Tensor x({1, 1, 3}, {1, 2, 3});
    Tensor w({1, 1, 1}, {1});
    struct Case {
        PaddingMode mode;
        std::vector<float> expected;  // padded sequence (padding 2 each side, kernel 1)
    };
    for (const Case& c :
         {Case{PaddingMode::Zeros, {0, 0, 1, 2, 3, 0, 0}}, Case{PaddingMode::Reflect, {3, 2, 1, 2, 3, 2, 1}},
          Case{PaddingMode::Replicate, {1, 1, 1, 2, 3, 3, 3}}, Case{PaddingMode::Circular, {2, 3, 1, 2, 3, 1, 2}}}) {
        ConvParams p;
        p.dims = 1;
        p.padding = {2};
        p.padding_mode = c.mode;
        ConvGeometry g = conv_geometry(p, x.shape, w.shape, std::nullopt);
        EXPECT_TRUE(tensors_close(conv_reference(g, x, w, nullptr), Tensor({1, 1, 7}, c.expected)))
            << padding_mode_name(c.mode);
    }
}

TEST(ConvReference, GroupsKeepChannelsApart) {
    // Depthwise (groups = C): each output channel sees only its own input channel.
    Tensor x({1, 2, 1, 2}, {1, 2, 10, 20});
    Tensor w({2, 1, 1, 1}, {3, 5});
    ConvGeometry g = conv_geometry(params2d({0}, {1}, {1}, 2), x.shape, w.shape, std::nullopt);
    EXPECT_TRUE(tensors_close(conv_reference(g, x, w, nullptr), Tensor({1, 2, 1, 2}, {3, 6, 50, 100})));
}

TEST(ConvReference, BatchItemsNeverMix) {
    // (3,1,H,W): three images stay apart; (1,3,H,W): the three are summed into every map.
    Tensor x3({3, 1, 1, 1}, {1, 2, 4});
    Tensor w1({1, 1, 1, 1}, {1});
    EXPECT_TRUE(
        tensors_close(conv_reference(conv_geometry(params2d(), x3.shape, w1.shape, std::nullopt), x3, w1, nullptr),
                      Tensor({3, 1, 1, 1}, {1, 2, 4})));
    Tensor x1({1, 3, 1, 1}, {1, 2, 4});
    Tensor w3({1, 3, 1, 1}, {1, 1, 1});
    EXPECT_TRUE(
        tensors_close(conv_reference(conv_geometry(params2d(), x1.shape, w3.shape, std::nullopt), x1, w3, nullptr),
                      Tensor({1, 1, 1, 1}, {7})));
}

// ---- layouts ----
TEST(Layout, KerasHwioToPyTorchOihwIndexMapping) {
    std::mt19937 rng(7);
    Tensor hwio = testing::random_tensor({3, 2, 4, 5}, rng);  // (kH, kW, in, out)
    Tensor oihw = hwio_to_oihw(hwio);
    ASSERT_EQ(oihw.shape, (Shape{5, 4, 3, 2}));
    for (int64_t o = 0; o < 5; ++o)
        for (int64_t i = 0; i < 4; ++i)
            for (int64_t h = 0; h < 3; ++h)
                for (int64_t w = 0; w < 2; ++w) EXPECT_EQ(oihw.at({o, i, h, w}), hwio.at({h, w, i, o}));
    EXPECT_TRUE(tensors_close(oihw_to_hwio(oihw), hwio, 0, 0));
}

TEST(Layout, RoundTripsAreIdentity) {
    std::mt19937 rng(8);
    Tensor t4 = testing::random_tensor({2, 3, 5, 7}, rng);
    Tensor t3 = testing::random_tensor({2, 3, 5}, rng);
    EXPECT_TRUE(tensors_close(nhwc_to_nchw(nchw_to_nhwc(t4)), t4, 0, 0));
    EXPECT_TRUE(tensors_close(nlc_to_ncl(ncl_to_nlc(t3)), t3, 0, 0));
    EXPECT_TRUE(tensors_close(wio_to_oiw(oiw_to_wio(t3)), t3, 0, 0));
    EXPECT_EQ(nchw_to_nhwc(t4).shape, (Shape{2, 5, 7, 3}));
    EXPECT_EQ(nchw_to_nhwc(t4).at({1, 4, 6, 2}), t4.at({1, 2, 4, 6}));
    EXPECT_EQ(ncl_to_nlc(t3).at({1, 4, 2}), t3.at({1, 2, 4}));
}

TEST(Layout, WrongRankIsAConfigError) {
    Tensor t({2, 3});
    EXPECT_THROW(nchw_to_nhwc(t), ConfigError);
    EXPECT_THROW(weight_to_pytorch(t, WeightLayout::Keras), ConfigError);
}

TEST(Layout, KerasWeightGivesSameConvolutionAsPyTorchWeight) {
    std::mt19937 rng(9);
    Tensor x = testing::random_tensor({1, 3, 6, 6}, rng);
    Tensor oihw = testing::random_tensor({4, 3, 3, 3}, rng);
    std::string how;
    Tensor back = weight_to_pytorch(oihw_to_hwio(oihw), WeightLayout::Keras, &how);
    EXPECT_NE(how.find("permute(3, 2, 0, 1)"), std::string::npos);
    ConvGeometry g = conv_geometry(params2d(), x.shape, oihw.shape, std::nullopt);
    EXPECT_TRUE(tensors_close(conv_reference(g, x, back, nullptr), conv_reference(g, x, oihw, nullptr), 0, 0));
}

}  // namespace
}  // namespace convscope
