// Transposed convolution: PyTorch's error texts, hand-worked and analytic grids, and reference vs fast path vs
// both cursor orders (scatter and gather) on a table of awkward shapes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "conv_transpose_cursor.hpp"
#include "conv_transpose_fast.hpp"
#include "conv_transpose_reference.hpp"
#include "conv_transpose_spec.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

struct TransposeCase {
    const char* name;
    int dims;
    Shape input;   // PyTorch shape
    Shape weight;  // (C_in, C_out/groups, k...)
    bool bias;
    std::vector<int64_t> stride, padding, output_padding, dilation;
    int64_t groups;
};

ConvTransposeParams to_params(const TransposeCase& c) {
    ConvTransposeParams p;
    p.dims = c.dims;
    p.stride = c.stride;
    p.padding = c.padding;
    p.output_padding = c.output_padding;
    p.dilation = c.dilation;
    p.groups = c.groups;
    return p;
}

// clang-format off
const TransposeCase kCases[] = {
    {"Stride2Upsampler", 2, {1, 3, 4, 5}, {3, 2, 4, 4}, true, {2}, {1}, {0}, {1}, 1},
    {"Stride2KernelNotDivisible", 2, {2, 2, 5, 4}, {2, 3, 3, 3}, true, {2}, {1}, {1}, {1}, 1},
    {"Stride3OutputPadding2", 2, {1, 2, 3, 4}, {2, 2, 3, 2}, false, {3}, {0}, {2}, {1}, 1},
    {"StrideLargerThanKernel", 2, {1, 2, 4, 3}, {2, 2, 2, 2}, true, {3, 4}, {0}, {1, 3}, {1}, 1},
    {"Dilation2OutputPaddingBelowDilation", 2, {1, 2, 5, 5}, {2, 3, 3, 3}, true, {1}, {2}, {1}, {2}, 1},
    {"PaddingCropsMoreThanKernel", 2, {1, 2, 6, 5}, {2, 2, 2, 3}, true, {2}, {2, 3}, {0}, {1}, 1},
    {"Groups", 2, {1, 6, 4, 3}, {6, 3, 3, 3}, true, {2}, {1}, {1}, {1}, 3},
    {"Depthwise", 2, {2, 5, 3, 4}, {5, 1, 3, 3}, true, {2, 1}, {1, 0}, {1, 0}, {1}, 5},
    {"OneByOne", 2, {1, 13, 4, 3}, {13, 5, 1, 1}, true, {1}, {0}, {0}, {1}, 1},
    {"SevenBySevenOnOneByOne", 2, {1, 2, 1, 1}, {2, 3, 7, 7}, true, {1}, {2}, {0}, {1}, 1},
    {"Unbatched2d", 2, {3, 4, 4}, {3, 2, 3, 3}, true, {2}, {0}, {1}, {1}, 1},
    {"Conv1dStride3", 1, {2, 4, 7}, {4, 3, 4}, true, {3}, {1}, {2}, {1}, 1},
    {"Conv1dDilatedGroups", 1, {1, 4, 6}, {4, 2, 3}, false, {2}, {3}, {1}, {2}, 2},
    {"Conv1dUnbatched", 1, {3, 5}, {3, 2, 2}, true, {2}, {0}, {0}, {1}, 1},
};
// clang-format on

class TransposeVsReference : public ::testing::TestWithParam<TransposeCase> {
protected:
    void SetUp() override {
        const TransposeCase& c = GetParam();
        std::mt19937 rng(4321);
        x = testing::random_tensor(c.input, rng);
        w = testing::random_tensor(c.weight, rng);
        b = testing::random_tensor({c.weight[1] * c.groups}, rng);
        ConvTransposeCheck check = conv_transpose_check(to_params(c), c.input, c.weight,
                                                        c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
        ASSERT_TRUE(check.ok()) << check.error;
        g = *check.geometry;
        bias = c.bias ? &b : nullptr;
        ref = conv_transpose_reference(g, x, w, bias);
    }
    Tensor x, w, b, ref;
    const Tensor* bias = nullptr;
    ConvTransposeGeometry g;
};

// A brute-force transposed convolution in double: the definition with nothing shared with the engine.
Tensor brute_force(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias) {
    std::vector<double> y(static_cast<size_t>(g.output_positions()), 0.0);
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t c = 0; c < g.c_in; ++c)
            for (int64_t iy = 0; iy < g.in[0]; ++iy)
                for (int64_t ix = 0; ix < g.in[1]; ++ix)
                    for (int64_t co = 0; co < g.c_out_per_group; ++co)
                        for (int64_t ky = 0; ky < g.kernel[0]; ++ky)
                            for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
                                const int64_t oy = iy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
                                const int64_t ox = ix * g.stride[1] - g.padding[1] + kx * g.dilation[1];
                                if (oy < 0 || oy >= g.out[0] || ox < 0 || ox >= g.out[1]) continue;
                                const int64_t oc = (c / g.c_in_per_group) * g.c_out_per_group + co;
                                y[static_cast<size_t>(((n * g.c_out + oc) * g.out[0] + oy) * g.out[1] + ox)] +=
                                    double(x[((n * g.c_in + c) * g.in[0] + iy) * g.in[1] + ix]) *
                                    double(w[((c * g.c_out_per_group + co) * g.kernel[0] + ky) * g.kernel[1] + kx]);
                            }
    Tensor t(g.output_shape_torch());
    for (int64_t i = 0; i < t.numel(); ++i) {
        const int64_t co = (i / (g.out[0] * g.out[1])) % g.c_out;
        t[i] = static_cast<float>(y[static_cast<size_t>(i)] + (bias ? double((*bias)[co]) : 0.0));
    }
    return t;
}

TEST_P(TransposeVsReference, ReferenceMatchesTheDefinitionInDouble) {
    EXPECT_TRUE(testing::tensors_close(ref, brute_force(g, x, w, bias), 1e-5f, 1e-5f));
}

TEST_P(TransposeVsReference, FastPathMatchesReference) {
    for (int threads : {1, 2}) {
        Tensor y = conv_transpose_fast(g, x, w, bias, threads);
        EXPECT_TRUE(testing::tensors_close(y, ref, 1e-5f, 1e-5f)) << threads << " threads";
    }
}

TEST_P(TransposeVsReference, GatherStateEqualsReferenceBitForBitAtEveryPosition) {
    ConvTransposeCursor cursor(g, x, w, bias);
    ASSERT_EQ(cursor.step_count(TransposeOrder::Gather, Granularity::Position), ref.numel());
    GatherState s;
    for (int64_t step = 0; step < ref.numel(); ++step) {
        cursor.gather_state_at(step, Granularity::Position, s);
        ASSERT_EQ(s.value, ref[step]) << "step " << step << " at " << testing::index_text(ref.shape, step);
        float sum = 0.0f;
        int64_t inputs = 0;
        for (const CursorChannel& ch : s.channels) sum += ch.sum;
        for (const GatherTap& t : s.taps) {
            inputs += t.kind == GatherTapKind::Input;
            // The tap's input element, seen from the scatter side, lands exactly here.
            if (t.kind == GatherTapKind::Input) {
                ASSERT_EQ(t.iy * g.stride[0] - g.padding[0] + t.ky * g.dilation[0], s.y);
                ASSERT_EQ(t.ix * g.stride[1] - g.padding[1] + t.kx * g.dilation[1], s.x);
                ASSERT_EQ(t.ky, g.kernel[0] - 1 - t.fky);
            } else {
                ASSERT_EQ(t.product, 0.0f);
            }
        }
        ASSERT_EQ(inputs, s.contributing);
        ASSERT_EQ(sum + s.bias, s.value);
        ASSERT_EQ(s.accumulator, sum);
        ASSERT_EQ(cursor.gather_step_of(s.n, s.c_out, s.y, s.x, Granularity::Position), step);
    }
}

TEST_P(TransposeVsReference, GatherMacStepsWalkTheFlippedWindow) {
    ConvTransposeCursor cursor(g, x, w, bias);
    const int64_t macs = g.taps_per_output();
    ASSERT_EQ(cursor.step_count(TransposeOrder::Gather, Granularity::Mac), ref.numel() * macs);
    ASSERT_EQ(cursor.step_count(TransposeOrder::Gather, Granularity::Channel), ref.numel() * g.c_in_per_group);
    GatherState s;
    for (int64_t pos : {int64_t{0}, ref.numel() / 2, ref.numel() - 1}) {
        float channel_running = 0.0f, completed = 0.0f;
        for (int64_t m = 0; m < macs; ++m) {
            cursor.gather_state_at(pos * macs + m, Granularity::Mac, s);
            const int64_t kk = g.kernel[0] * g.kernel[1];
            ASSERT_EQ(s.mac, m);
            ASSERT_EQ(s.ci, m / kk);
            ASSERT_EQ(s.fky * g.kernel[1] + s.fkx, m % kk);
            if (m % kk == 0) channel_running = 0.0f;
            const GatherTap& t = s.taps[static_cast<size_t>(m)];
            if (t.kind == GatherTapKind::Input) channel_running += t.product;
            ASSERT_EQ(s.accumulator, completed + channel_running) << "pos " << pos << " mac " << m;
            if (m % kk == kk - 1) {
                completed += channel_running;
                // A Channel step ends the same moment.
                GatherState c = cursor.gather_state_at(pos * g.c_in_per_group + m / kk, Granularity::Channel);
                ASSERT_EQ(c.accumulator, s.accumulator);
                ASSERT_EQ(c.mac, m);
            }
        }
        ASSERT_EQ(s.value, ref[pos]);
    }
}

TEST_P(TransposeVsReference, ScatterCanvasAfterTheLastStepIsTheOutputBitForBit) {
    ConvTransposeCursor cursor(g, x, w, bias);
    ASSERT_EQ(cursor.step_count(TransposeOrder::Scatter, Granularity::Position), x.numel());
    Tensor canvas;
    for (Granularity gran : {Granularity::Position, Granularity::Channel, Granularity::Mac}) {
        cursor.scatter_canvas_at(cursor.step_count(TransposeOrder::Scatter, gran) - 1, gran, canvas);
        ASSERT_EQ(canvas.data, ref.data) << granularity_name(gran);
        ASSERT_TRUE(testing::bits_equal(Tensor(ref.shape, canvas.data), ref));
    }
}

// Replays the scatter walk one MAC at a time (per-channel buffers, channels added whole, bias when the group's
// last channel is done) and compares the cursor's canvas and stamp values with it at every step.
TEST_P(TransposeVsReference, ScatterStatesAndCanvasMatchAReplayOfTheWalk) {
    ConvTransposeCursor cursor(g, x, w, bias);
    const int64_t plane = g.out[0] * g.out[1];
    std::vector<float> acc(static_cast<size_t>(g.output_positions()), 0.0f);      // completed channels
    std::vector<float> partial(static_cast<size_t>(g.output_positions()), 0.0f);  // current channel
    std::vector<bool> done(static_cast<size_t>(g.output_positions()), false);
    const int64_t steps = cursor.step_count(TransposeOrder::Scatter, Granularity::Mac);
    // Long walks: check every step of the first ~600 and a stride through the rest (the replay itself is exact).
    const int64_t check_every = steps > 600 ? steps / 97 : 1;
    ScatterState s;
    Tensor canvas;
    int64_t prev_c = -1, prev_n = -1;
    for (int64_t step = 0; step < steps; ++step) {
        cursor.scatter_state_at(step, Granularity::Mac, s);
        ASSERT_EQ(cursor.scatter_step_of(s.n, s.c_in, s.iy, s.ix, Granularity::Mac) - (s.macs - 1 - s.mac), step);
        if (s.c_in != prev_c || s.n != prev_n) {
            std::fill(partial.begin(), partial.end(), 0.0f);
            prev_c = s.c_in;
            prev_n = s.n;
        }
        const ScatterTap& t = s.taps[static_cast<size_t>(s.mac)];
        ASSERT_EQ(t.product, s.input * t.weight);
        if (!t.cropped) {
            const size_t o = static_cast<size_t>((s.n * g.c_out + t.co) * plane + t.oy * g.out[1] + t.ox);
            ASSERT_EQ(t.before, acc[o] + partial[o]) << "step " << step;
            partial[o] += t.product;
            ASSERT_EQ(t.after, acc[o] + partial[o]) << "step " << step;
        }
        const bool channel_ends = s.iy == g.in[0] - 1 && s.ix == g.in[1] - 1 && s.stamp_complete();
        if (channel_ends) {
            const int64_t co0 = s.group * g.c_out_per_group;
            for (int64_t co = co0; co < co0 + g.c_out_per_group; ++co)
                for (int64_t i = 0; i < plane; ++i) {
                    const size_t o = static_cast<size_t>((s.n * g.c_out + co) * plane + i);
                    acc[o] += partial[o];
                    partial[o] = 0.0f;
                    if (s.c_in == (s.group + 1) * g.c_in_per_group - 1) done[o] = true;
                }
        }
        if (step % check_every == 0 || step == steps - 1) {
            cursor.scatter_canvas_at(step, Granularity::Mac, canvas);
            for (int64_t o = 0; o < g.output_positions(); ++o) {
                const size_t k = static_cast<size_t>(o);
                const int64_t co = (o / plane) % g.c_out;
                const float want = done[k] ? acc[k] + (bias ? (*bias)[co] : 0.0f) : acc[k] + partial[k];
                ASSERT_EQ(canvas[o], want) << "step " << step << " output " << o;
            }
        }
    }
}

TEST_P(TransposeVsReference, ContributionCountsMatchTheGatherWindows) {
    ConvTransposeCursor cursor(g, x, w, bias);
    const std::vector<int32_t> counts = conv_transpose_contribution_counts(g);
    ASSERT_EQ(static_cast<int64_t>(counts.size()), g.out[0] * g.out[1]);
    for (int64_t oy = 0; oy < g.out[0]; ++oy)
        for (int64_t ox = 0; ox < g.out[1]; ++ox) {
            const GatherState s = cursor.gather_state_at(cursor.gather_step_of(0, 0, oy, ox, Granularity::Position),
                                                         Granularity::Position);
            ASSERT_EQ(s.contributing, counts[static_cast<size_t>(oy * g.out[1] + ox)] * g.c_in_per_group);
        }
}

INSTANTIATE_TEST_SUITE_P(Table, TransposeVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<TransposeCase>& p) { return std::string(p.param.name); });

// Hand-worked: a 2x2 input [[1, 2], [3, 4]] through a 2x2 all-ones kernel with stride 2 pastes one 2x2 block per
// input element (no overlap); with stride 1 the blocks overlap and the centre gets all four.
TEST(ConvTransposeGrid, Stride2PastesBlocksAndStride1Overlaps) {
    const Tensor x({1, 1, 2, 2}, {1, 2, 3, 4});
    const Tensor w({1, 1, 2, 2}, {1, 1, 1, 1});
    ConvTransposeParams p;
    p.stride = {2};
    const Tensor y2 =
        conv_transpose_reference(conv_transpose_geometry(p, x.shape, w.shape, std::nullopt), x, w, nullptr);
    EXPECT_TRUE(testing::tensors_close(y2, Tensor({1, 1, 4, 4}, {1, 1, 2, 2,  //
                                                                 1, 1, 2, 2,  //
                                                                 3, 3, 4, 4,  //
                                                                 3, 3, 4, 4})));
    p.stride = {1};
    const Tensor y1 =
        conv_transpose_reference(conv_transpose_geometry(p, x.shape, w.shape, std::nullopt), x, w, nullptr);
    EXPECT_TRUE(testing::tensors_close(y1, Tensor({1, 1, 3, 3}, {1, 3, 2,   //
                                                                 4, 10, 6,  //
                                                                 3, 7, 4})));
}

// Analytic: an all-ones 3x3 kernel over an all-ones 3x3 input with stride 1 counts the overlapping stamps:
// along each axis 1, 2, 3, 2, 1, so y[i, j] = a_i * a_j. padding=1 crops the outer ring.
TEST(ConvTransposeGrid, AllOnesCountsOverlaps) {
    const Tensor x({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    const Tensor w({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    const float a[] = {1, 2, 3, 2, 1};
    ConvTransposeParams p;
    const ConvTransposeGeometry g = conv_transpose_geometry(p, x.shape, w.shape, std::nullopt);
    const Tensor y = conv_transpose_reference(g, x, w, nullptr);
    ASSERT_EQ(y.shape, (Shape{1, 1, 5, 5}));
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j) EXPECT_EQ(y.at({0, 0, i, j}), a[i] * a[j]) << i << "," << j;
    p.padding = {1};
    const Tensor yc =
        conv_transpose_reference(conv_transpose_geometry(p, x.shape, w.shape, std::nullopt), x, w, nullptr);
    ASSERT_EQ(yc.shape, (Shape{1, 1, 3, 3}));
    EXPECT_EQ(yc.at({0, 0, 1, 1}), 9.0f);
    EXPECT_EQ(yc.at({0, 0, 0, 0}), 4.0f);
}

// output_padding: 7 and 8 both map to 4 under Conv2d(k=3, s=2, p=1); ConvTranspose2d(k=3, s=2, p=1) gives 7 back,
// output_padding=1 gives 8.
TEST(ConvTransposeShape, OutputPaddingPicksBetweenSizesThatShareAConvInput) {
    ConvTransposeParams p;
    p.stride = {2};
    p.padding = {1};
    EXPECT_EQ(conv_transpose_geometry(p, {1, 1, 4, 4}, {1, 1, 3, 3}, std::nullopt).out, (std::array<int64_t, 2>{7, 7}));
    p.output_padding = {1};
    EXPECT_EQ(conv_transpose_geometry(p, {1, 1, 4, 4}, {1, 1, 3, 3}, std::nullopt).out, (std::array<int64_t, 2>{8, 8}));
    EXPECT_EQ(
        conv_transpose_formula_text(conv_transpose_geometry(p, {1, 1, 4, 4}, {1, 1, 3, 3}, std::nullopt), 0),
        "H_out = (in-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1 = (4-1)*2 - 2*1 + 1*(3-1) + 1 + 1 "
        "= 8");
}

// PyTorch 1.13's texts, each taken from a live run of F.conv_transpose1d/2d (tests/conv_transpose_differential.py
// checks the same families live on random shapes).
struct ErrorCase {
    const char* name;
    int dims;
    Shape input, weight;
    std::optional<Shape> bias;
    std::vector<int64_t> stride, padding, output_padding, dilation;
    int64_t groups;
    const char* error;
};

// clang-format off
const ErrorCase kErrors[] = {
    {"InputRank", 2, {1, 4, 5, 5, 5}, {4, 3, 3, 3}, {}, {1}, {0}, {0}, {1}, 1,
     "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of size: [1, 4, 5, 5, 5]"},
    {"WeightRank", 2, {1, 4, 5, 5}, {4, 3}, {}, {1}, {0}, {0}, {1}, 1, "weight should have at least three dimensions"},
    {"GroupsZero", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {1, 2, 3}, {0}, {0}, {1}, 0, "non-positive groups is not supported"},
    {"OutputPaddingList", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {1}, {0}, {1, 2, 3}, {1}, 1,
     "expected output_padding to be a single integer value or a list of 2 values to match the convolution "
     "dimensions, but got output_padding=[1, 2, 3]"},
    {"NegativePaddingFirst", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {1}, {-1}, {-1}, {1}, 1,
     "negative padding is not supported"},
    {"NegativeOutputPadding", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {0}, {0}, {-1}, {1}, 1,
     "negative output_padding is not supported"},
    {"StrideZero", 1, {1, 4, 5}, {4, 3, 3}, {}, {0}, {0}, {0}, {1}, 1, "non-positive stride is not supported"},
    {"GroupsAtLeast", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {1}, {0}, {0}, {1}, 8,
     "Given groups=8, expected weight to be at least 8 at dimension 0, but got weight of size [4, 3, 3, 3] instead"},
    {"GroupsDivide", 1, {1, 4, 5}, {4, 3, 3}, {}, {1}, {0}, {0}, {1}, 3,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size [[4, 3, 3]] instead"},
    {"ChannelsUnbatched", 2, {5, 5, 5}, {4, 3, 3, 3}, {}, {1}, {0}, {0}, {1}, 1,
     "Given transposed=1, weight of size [4, 3, 3, 3], expected input[1, 5, 5, 5] to have 4 channels, but got 5 "
     "channels instead"},
    {"BiasCountsOutputChannels", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, Shape{3}, {1}, {0}, {0}, {1}, 2,
     "Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 6 elements, but got "
     "bias of size [3] instead"},
    {"EmptySpatial1d", 1, {2, 4, 0}, {4, 3, 3}, {}, {1}, {0}, {0}, {1}, 1,
     "Only zero batch or zero channel inputs are supported, but got input shape: [2, 4, 1, 0]"},
    {"KernelZero1d", 1, {1, 4, 5}, {4, 3, 0}, {}, {1}, {0}, {1}, {1}, 1,
     "kernel size should be greater than zero, but got kernel_height: 1 kernel_width: 0"},
    {"DilationZero", 2, {2, 4, 5, 5}, {4, 3, 3, 3}, {}, {1}, {0}, {1}, {0}, 1,
     "dilation should be greater than zero, but got dilation_height: 0, dilation_width: 0"},
    {"OutputPaddingNotBelowStrideOrDilation", 2, {1, 4, 5, 5}, {4, 3, 3, 3}, {}, {2, 1}, {0}, {1}, {1}, 1,
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 1 "
     "output_padding_width: 1 stride_height: 2 stride_width: 1 dilation_height: 1 dilation_width: 1"},
    {"EmptyWeight1d", 1, {1, 4, 5}, {4, 0, 3}, {}, {1}, {0}, {0}, {1}, 1,
     "non-empty 2D or 4D weight tensor expected, but got: [4, 0, 1, 3]"},
    {"OutputTooSmall1d", 1, {1, 4, 2}, {4, 3, 3}, {}, {1}, {4}, {0}, {1}, 1,
     "Given input size per channel: (1 x 2). Calculated output size per channel: (1 x -4). Output size is too small"},
    {"OutputZero", 2, {1, 4, 2, 2}, {4, 3, 3, 3}, {}, {1}, {2}, {0}, {1}, 1,
     "Given input size per channel: (2 x 2). Calculated output size per channel: (0 x 0). Output size is too small"},
    {"EmptyBatchNegativeSize", 2, {0, 4, 1, 2}, {4, 3, 3, 3}, {}, {1}, {4, 3}, {0}, {1}, 1,
     "invalid shape dimension -5"},
    {"EmptyBatchSizeMinusOne1d", 1, {0, 4, 3}, {4, 1, 1}, {}, {1}, {2}, {0}, {1}, 1,
     "cannot reshape tensor of 0 elements into shape [0, 1, 1, -1] because the unspecified dimension size -1 can be "
     "any value and is ambiguous"},
    {"EmptyBatchTwoSizesMinusOne", 2, {0, 4, 3, 3}, {4, 1, 1, 1}, {}, {1}, {2}, {0}, {1}, 1,
     "only one dimension can be inferred"},
    {"EmptyBatchEmptyWeight", 2, {0, 4, 5, 5}, {4, 3, 3, 0}, {}, {1}, {0}, {0}, {1}, 1,
     "select(): index 0 out of range for tensor of size [0] at dimension 0"},
};
// clang-format on

class ConvTransposeErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConvTransposeErrors, PyTorchText) {
    const ErrorCase& c = GetParam();
    ConvTransposeParams p;
    p.dims = c.dims;
    p.stride = c.stride;
    p.padding = c.padding;
    p.output_padding = c.output_padding;
    p.dilation = c.dilation;
    p.groups = c.groups;
    const ConvTransposeCheck check = conv_transpose_check(p, c.input, c.weight, c.bias);
    ASSERT_FALSE(check.ok());
    EXPECT_EQ(check.error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, ConvTransposeErrors, ::testing::ValuesIn(kErrors),
                         [](const ::testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

TEST(ConvTransposeShape, EmptyBatchIsValidAndComputesNothing) {
    ConvTransposeParams p;
    p.output_padding = {3};  // not checked for an empty batch, as in PyTorch
    const ConvTransposeGeometry g = conv_transpose_geometry(p, {0, 4, 2, 2}, {4, 3, 3, 3}, std::nullopt);
    EXPECT_EQ(g.output_shape_torch(), (Shape{0, 3, 7, 7}));
    const Tensor x({0, 4, 2, 2});
    const Tensor w({4, 3, 3, 3});
    EXPECT_EQ(conv_transpose_reference(g, x, w, nullptr).shape, (Shape{0, 3, 7, 7}));
    EXPECT_EQ(conv_transpose_fast(g, x, w, nullptr).shape, (Shape{0, 3, 7, 7}));
}

TEST(ConvTransposeShape, ModuleInitErrorsAndParameters) {
    ConvTransposeLayer l;
    l.in_channels = 64;
    l.out_channels = 32;
    l.kernel_size = {4};
    l.params.stride = {2};
    l.params.padding = {1};
    const ConvTransposeCheck c = conv_transpose_layer_check(l, {1, 64, 56, 56});
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->output_shape_torch(), (Shape{1, 32, 112, 112}));
    EXPECT_EQ(l.weight_shape(), (Shape{64, 32, 4, 4}));
    EXPECT_EQ(l.parameter_count(), 64 * 32 * 16 + 32);
    l.params.groups = 3;
    EXPECT_EQ(conv_transpose_layer_init_error(l), "in_channels must be divisible by groups");
    l.params.groups = 1;
    l.padding_mode = "reflect";
    EXPECT_EQ(conv_transpose_layer_init_error(l), "Only \"zeros\" padding mode is supported for ConvTranspose2d");
}

}  // namespace
}  // namespace convscope
