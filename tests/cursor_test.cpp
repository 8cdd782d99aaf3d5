// The step-through cursor against the reference, over a table of awkward configurations, and the inverse map
// against a brute-force scan of every tap.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "conv_cases.hpp"
#include "conv_reference.hpp"
#include "cursor.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

class CursorVsReference : public ::testing::TestWithParam<ConvCase> {
protected:
    void SetUp() override {
        const ConvCase& c = GetParam();
        std::mt19937 rng(1234);
        x = testing::random_tensor(c.input, rng);
        w = testing::random_tensor(c.weight, rng);
        b = testing::random_tensor({c.weight[0]}, rng);
        ConvCheck check =
            conv_check(to_params(c), c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
        ASSERT_TRUE(check.ok()) << check.error;
        g = *check.geometry;
        ref = conv_reference(g, x, w, c.bias ? &b : nullptr);
    }
    Tensor x, w, b, ref;
    ConvGeometry g;
};

TEST_P(CursorVsReference, EveryPositionEqualsReferenceAndChannelSumsAddUp) {
    ConvCursor cursor(g, x, w, GetParam().bias ? &b : nullptr);
    ASSERT_EQ(cursor.step_count(Granularity::Position), ref.numel());
    CursorState s;
    for (int64_t step = 0; step < cursor.step_count(Granularity::Position); ++step) {
        cursor.state_at(step, Granularity::Position, s);
        // Steps run n, c_out, y, x: the step index is the output's flat index.
        ASSERT_EQ(s.value, ref[step]) << "step " << step << " at " << testing::index_text(ref.shape, step);
        float sum = 0.0f;
        for (const CursorChannel& ch : s.channels) sum += ch.sum;
        ASSERT_EQ(sum + s.bias, s.value) << "channel sums + bias at step " << step;
        ASSERT_TRUE(s.position_complete());
        ASSERT_EQ(s.accumulator, sum);
        ASSERT_EQ(cursor.step_of(s.n, s.c_out, s.y, s.x, Granularity::Position), step);
    }
}

TEST_P(CursorVsReference, MacStepsWalkTheDocumentedOrder) {
    ConvCursor cursor(g, x, w, GetParam().bias ? &b : nullptr);
    const int64_t macs = g.macs_per_output();
    ASSERT_EQ(cursor.step_count(Granularity::Mac), ref.numel() * macs);
    ASSERT_EQ(cursor.step_count(Granularity::Channel), ref.numel() * g.c_in_per_group);
    // Check every MAC of a few positions (first, middle, last): ci, ky, kx order; accumulator = running sum.
    CursorState s;
    for (int64_t pos : {int64_t{0}, ref.numel() / 2, ref.numel() - 1}) {
        float channel_running = 0.0f, completed = 0.0f;
        for (int64_t m = 0; m < macs; ++m) {
            cursor.state_at(pos * macs + m, Granularity::Mac, s);
            const int64_t kk = g.kernel[0] * g.kernel[1];
            ASSERT_EQ(s.ci, m / kk);
            ASSERT_EQ(s.ky, (m % kk) / g.kernel[1]);
            ASSERT_EQ(s.kx, m % g.kernel[1]);
            if (m % kk == 0) channel_running = 0.0f;
            channel_running += s.taps[static_cast<size_t>(m)].product;
            ASSERT_EQ(s.accumulator, completed + channel_running) << "MAC " << m << " of position " << pos;
            if (m % kk == kk - 1) {
                completed += channel_running;
                // The channel step that ends here shows the same accumulator.
                const int64_t cstep = cursor.convert_step(pos * macs + m, Granularity::Mac, Granularity::Channel);
                EXPECT_EQ(cursor.state_at(cstep, Granularity::Channel).accumulator, s.accumulator);
            }
            ASSERT_EQ(s.value, ref[pos]);
        }
    }
}

TEST_P(CursorVsReference, TapsReportPaddingAndTheElementTheyRead) {
    ConvCursor cursor(g, x, w, GetParam().bias ? &b : nullptr);
    CursorState s;
    const auto [H, W] = g.in;
    for (int64_t step = 0; step < cursor.step_count(Granularity::Position); step += 7) {
        cursor.state_at(step, Granularity::Position, s);
        for (size_t t = 0; t < s.taps.size(); ++t) {
            const CursorTap& tap = s.taps[t];
            const bool inside = tap.py >= 0 && tap.py < H && tap.px >= 0 && tap.px < W;
            ASSERT_EQ(tap.padding, !inside);
            if (inside) {
                ASSERT_EQ(std::make_pair(tap.src_y, tap.src_x), std::make_pair(tap.py, tap.px));
            }
            if (tap.src_y < 0) {
                ASSERT_EQ(g.mode, PaddingMode::Zeros);
                ASSERT_EQ(tap.input, 0.0f);
            } else {
                const int64_t c = s.channels[t / static_cast<size_t>(g.kernel[0] * g.kernel[1])].c_in;
                ASSERT_EQ(tap.input, x[((s.n * g.c_in + c) * H + tap.src_y) * W + tap.src_x]);
            }
            ASSERT_EQ(tap.product, tap.input * tap.weight);
        }
    }
}

TEST_P(CursorVsReference, InverseMapMatchesBruteForce) {
    ConvCursor cursor(g, x, w, nullptr);
    using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
    std::set<Key> brute;  // (c, iy, ix, c_out, y, x, ci, ky, kx) for batch item 0
    CursorState s;
    const int64_t per_item = g.c_out * g.out[0] * g.out[1];
    for (int64_t step = 0; step < per_item; ++step) {
        cursor.state_at(step, Granularity::Position, s);
        const int64_t kk = g.kernel[0] * g.kernel[1];
        for (size_t t = 0; t < s.taps.size(); ++t) {
            const CursorTap& tap = s.taps[t];
            if (tap.src_y < 0) continue;
            const int64_t ci = static_cast<int64_t>(t) / kk;
            brute.insert({s.channels[static_cast<size_t>(ci)].c_in, tap.src_y, tap.src_x, s.c_out, s.y, s.x, ci, tap.ky,
                          tap.kx});
        }
    }
    std::set<Key> mapped;
    for (int64_t c = 0; c < g.c_in; ++c)
        for (int64_t iy = 0; iy < g.in[0]; ++iy)
            for (int64_t ix = 0; ix < g.in[1]; ++ix)
                for (const InverseHit& h : conv_inverse_map(g, c, iy, ix)) {
                    const bool inserted = mapped.insert({c, iy, ix, h.c_out, h.y, h.x, h.ci, h.ky, h.kx}).second;
                    ASSERT_TRUE(inserted) << "duplicate hit";
                }
    EXPECT_EQ(mapped, brute);
}

INSTANTIATE_TEST_SUITE_P(Table, CursorVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ConvCase>& param_info) {
                             return std::string(param_info.param.name);
                         });

TEST(Cursor, RandomAccessNeedsNoReplay) {
    // The state at the very last MAC equals the one reached by converting from the position step.
    std::mt19937 rng(5);
    Tensor x = testing::random_tensor({1, 3, 32, 32}, rng), w = testing::random_tensor({192, 3, 5, 5}, rng),
           b = testing::random_tensor({192}, rng);
    ConvParams p;
    p.padding = {2};
    ConvGeometry g = conv_geometry(p, x.shape, w.shape, b.shape);
    ConvCursor cursor(g, x, w, &b);
    const int64_t last = cursor.step_count(Granularity::Mac) - 1;
    CursorState s = cursor.state_at(last, Granularity::Mac);
    EXPECT_EQ(s.c_out, 191);
    EXPECT_EQ(s.y, 31);
    EXPECT_EQ(s.x, 31);
    EXPECT_EQ(s.ci, 2);
    EXPECT_EQ(s.ky, 4);
    EXPECT_EQ(s.kx, 4);
    EXPECT_EQ(cursor.convert_step(last, Granularity::Mac, Granularity::Position),
              cursor.step_count(Granularity::Position) - 1);
    // Bottom-right corner with padding 2: the last two rows/cols of the 5x5 window are padding.
    EXPECT_TRUE(s.taps.back().padding);
    EXPECT_EQ(s.taps.back().src_y, -1);
}

}  // namespace
}  // namespace convscope
