// The pooling fast path equals the reference bit for bit (same window order), on seeded random configurations
// covering padding, ceil-mode overhang, dilation, divisor_override, NaN and both thread counts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "pool_fast.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

TEST(PoolFast, EqualsReferenceBitForBit) {
    const uint32_t seed = 777;
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    int compared = 0;
    for (int i = 0; i < 300; ++i) {
        PoolParams p;
        p.dims = pick(1, 2);
        p.mode = pick(0, 1) ? PoolMode::Max : PoolMode::Avg;
        const int k = pick(1, 4);
        p.kernel_size = {k};
        p.stride = {pick(1, 3)};
        p.padding = {pick(0, k / 2)};
        if (p.mode == PoolMode::Max) p.dilation = {pick(1, 2)};
        p.ceil_mode = pick(0, 1);
        p.count_include_pad = pick(0, 1);
        if (p.mode == PoolMode::Avg && p.dims == 2 && pick(0, 3) == 0) p.divisor_override = pick(1, 5);
        Shape in{pick(1, 3), pick(1, 70)};
        for (int d = 0; d < p.dims; ++d) in.push_back(pick(1, 40));
        PoolCheck c = pool_check(p, in);
        if (!c.ok()) continue;
        Tensor x = testing::random_tensor(in, rng);
        if (pick(0, 4) == 0) x[pick(0, static_cast<int>(x.numel()) - 1)] = NAN;
        const Tensor ref = pool_reference(*c.geometry, x);
        for (int threads : {1, 2}) {
            const Tensor fast = pool_fast(*c.geometry, x, threads);
            ASSERT_TRUE(testing::bits_equal(fast, ref))
                << "seed " << seed << " case " << i << " input " << shape_to_string(in) << " threads " << threads;
        }
        ++compared;
    }
    EXPECT_GT(compared, 150);
}

TEST(PoolFast, MaxPool2dStrideTwoRowsEqualReferenceBitForBit) {
    // MaxPool2d(2) has its own vector row (where the CPU has AVX-512): every width around its 16-output step,
    // padding and ceil mode (border windows), and values that make the order visible: ties of -0.0 and 0.0
    // (the first maximum is kept), NaN (takes over), infinities.
    const float values[] = {-1.0f, -0.0f, 0.0f, 1.0f, NAN, -INFINITY, INFINITY, 0.5f};
    std::mt19937 rng(31);
    std::uniform_int_distribution<int> pick_value(0, 7);
    int compared = 0;
    for (int64_t width = 1; width <= 70; ++width) {
        for (int variant = 0; variant < 4; ++variant) {
            PoolParams p;
            p.mode = PoolMode::Max;
            p.kernel_size = {2};
            p.padding = {variant & 1};
            p.ceil_mode = (variant & 2) != 0;
            const Shape in{2, 3, 5 + variant, width};
            PoolCheck c = pool_check(p, in);
            if (!c.ok()) continue;  // e.g. width 1 without padding
            Tensor x(in);
            for (float& v : x.data) v = values[pick_value(rng)];
            const Tensor ref = pool_reference(*c.geometry, x);
            for (int threads : {1, 2}) {
                ASSERT_TRUE(testing::bits_equal(pool_fast(*c.geometry, x, threads), ref))
                    << "width " << width << " padding " << (variant & 1) << " ceil_mode " << p.ceil_mode << " threads "
                    << threads;
            }
            ++compared;
        }
    }
    EXPECT_GT(compared, 250);
}

TEST(PoolFast, GeneralMaxRowsEqualReferenceBitForBit) {
    // Every other max pooling has a general vector row (AVX-512: loads for stride 1, gathers otherwise): ResNet's
    // MaxPool2d(3, 2, padding=1), stride 1 and 3, dilation 2, 1-D, at every width around the 16-output step, with
    // values that make the order visible (ties of -0.0 and 0.0, NaN, infinities).
    const float values[] = {-1.0f, -0.0f, 0.0f, 1.0f, NAN, -INFINITY, INFINITY, 0.5f};
    struct Config {
        int dims, kernel, stride, padding, dilation;
    };
    const Config configs[] = {{2, 3, 2, 1, 1}, {2, 3, 1, 1, 1}, {2, 2, 3, 0, 1}, {2, 3, 2, 1, 2}, {1, 5, 2, 2, 1}};
    std::mt19937 rng(32);
    std::uniform_int_distribution<int> pick_value(0, 7);
    int compared = 0;
    for (const Config& cfg : configs)
        for (int64_t width = 1; width <= 70; ++width) {
            PoolParams p;
            p.dims = cfg.dims;
            p.mode = PoolMode::Max;
            p.kernel_size = {cfg.kernel};
            p.stride = {cfg.stride};
            p.padding = {cfg.padding};
            p.dilation = {cfg.dilation};
            const Shape in = cfg.dims == 1 ? Shape{2, 3, width} : Shape{2, 3, 9, width};
            PoolCheck c = pool_check(p, in);
            if (!c.ok()) continue;  // too narrow for the window
            Tensor x(in);
            for (float& v : x.data) v = values[pick_value(rng)];
            const Tensor ref = pool_reference(*c.geometry, x);
            for (int threads : {1, 2}) {
                ASSERT_TRUE(testing::bits_equal(pool_fast(*c.geometry, x, threads), ref))
                    << "kernel " << cfg.kernel << " stride " << cfg.stride << " padding " << cfg.padding << " dilation "
                    << cfg.dilation << " width " << width << " threads " << threads;
            }
            ++compared;
        }
    EXPECT_GT(compared, 300);
}

}  // namespace
}  // namespace convscope
