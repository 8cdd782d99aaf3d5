// Tests of core/pool: pool_check (shapes and PyTorch 1.13's error texts), pool_reference (hand-worked grids,
// analytic cases, ONNX conformance values), PoolCursor (every state against the reference, argmax, divisor rule),
// relu.
//
// Where expected values come from is said next to each case:
//   hand     worked out in the comment beside the case
//   analytic follows from the input's structure (all-ones, constant, iota: value == flat index)
//   onnx     copied from /usr/share/libonnx-testdata/data/node/<test>/test_data_set_0 (libonnx-testdata)
//   torch    printed by the Debian PyTorch 1.13 (python3-torch) for the same call
// Every error text below was printed by that PyTorch for the call named in the case.
//
// Sections: helpers · value cases · geometry · error texts · cursor · relu
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "pool.hpp"

namespace convscope {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// ------------------------------------------------------------------------------------------------------ helpers

std::string index_text(const Shape& shape, int64_t flat) {
    std::vector<int64_t> idx(shape.size());
    for (size_t i = shape.size(); i-- > 0;) {
        idx[i] = flat % shape[i];
        flat /= shape[i];
    }
    std::string s = "(";
    for (size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
    return s + ")";
}

// The one comparison helper: shape first, then |actual - expected| <= atol + rtol * |expected| per element
// (NaN matches NaN, infinities must be equal). A failure names the element's index in the output's layout,
// e.g. (n, c, y, x) for batched 2-D data.
::testing::AssertionResult tensor_close(const Tensor& actual, const Shape& shape, const std::vector<float>& expected,
                                        float atol = 1e-6f, float rtol = 1e-6f) {
    if (actual.shape != shape)
        return ::testing::AssertionFailure()
               << "shape " << shape_to_string(actual.shape) << ", expected " << shape_to_string(shape);
    if (static_cast<size_t>(actual.numel()) != expected.size())
        return ::testing::AssertionFailure() << actual.numel() << " elements, expected " << expected.size();
    for (int64_t i = 0; i < actual.numel(); ++i) {
        const float a = actual[i];
        const float e = expected[static_cast<size_t>(i)];
        const bool ok = (std::isnan(a) && std::isnan(e)) || (std::isinf(e) && a == e) ||
                        (std::isfinite(e) && std::fabs(a - e) <= atol + rtol * std::fabs(e));
        if (!ok)
            return ::testing::AssertionFailure() << "at index " << index_text(shape, i) << " of "
                                                 << shape_to_string(shape) << ": got " << a << ", expected " << e;
    }
    return ::testing::AssertionSuccess();
}

bool same_bits(float a, float b) {
    uint32_t x = 0, y = 0;
    std::memcpy(&x, &a, sizeof x);
    std::memcpy(&y, &b, sizeof y);
    return x == y || (std::isnan(a) && std::isnan(b));
}

std::vector<float> iota(int64_t count, float start = 0.0f) {
    std::vector<float> v(static_cast<size_t>(count));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
    return v;
}

std::vector<float> filled(int64_t count, float value) { return std::vector<float>(static_cast<size_t>(count), value); }

std::vector<float> concat(std::vector<float> a, const std::vector<float>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

PoolParams params(PoolMode mode, int dims, std::vector<int64_t> kernel) {
    PoolParams p;
    p.mode = mode;
    p.dims = dims;
    p.kernel_size = std::move(kernel);
    return p;
}

// ------------------------------------------------------------------------------------------------- value cases

struct ValueCase {
    std::string name;
    PoolParams params;
    Shape input_shape;
    std::vector<float> input;
    Shape output_shape;
    std::vector<float> expected;
    std::vector<int64_t> argmax;  // max only; empty: not checked
};

std::ostream& operator<<(std::ostream& os, const ValueCase& c) { return os << c.name; }

std::vector<ValueCase> value_cases() {
    // clang-format off
    std::vector<ValueCase> cases;
    const PoolMode Max = PoolMode::Max;
    const PoolMode Avg = PoolMode::Avg;

    {
        // analytic (iota: value == flat index): 9x7 input, k3 s2 p1 -> 5x4. The window of (oy, ox) covers rows
        // 2oy-1..2oy+1 and columns 2ox-1..2ox+1; the largest input in it is the bottom-right input cell,
        // row r = min(2oy+1, 8) in {1,3,5,7,8}, column c = min(2ox+1, 6) in {1,3,5,6}: value 7r + c.
        PoolParams p = params(Max, 2, {3});
        p.stride = {2};
        p.padding = {1};
        const std::vector<float> v{8, 10, 12, 13, 22, 24, 26, 27, 36, 38, 40, 41, 50, 52, 54, 55, 57, 59, 61, 62};
        cases.push_back({"max2d_k3_s2_p1_9x7_iota", p, {1, 1, 9, 7}, iota(63), {1, 1, 5, 4}, v,
                         std::vector<int64_t>(v.begin(), v.end())});
    }
    {
        // analytic (all ones): k3 s2 p1 over 9x7. count_include_pad divides every window by 9; the sum is the
        // number of input cells: rows per window [2,3,3,3,2] × columns [2,3,3,2] -> 4/9 corners, 6/9 edges, 1 inside.
        PoolParams p = params(Avg, 2, {3});
        p.stride = {2};
        p.padding = {1};
        const std::vector<float> rows{2, 3, 3, 3, 2}, cols{2, 3, 3, 2};
        std::vector<float> v;
        for (float r : rows)
            for (float c : cols) v.push_back(r * c / 9.0f);
        cases.push_back({"avg2d_k3_s2_p1_9x7_ones_count_include_pad", p, {1, 1, 9, 7}, filled(63, 1), {1, 1, 5, 4}, v, {}});
        // analytic: without count_include_pad the divisor is the number of input cells: every mean is 1.
        p.count_include_pad = false;
        cases.push_back({"avg2d_k3_s2_p1_9x7_ones_exclude_pad", p, {1, 1, 9, 7}, filled(63, 1), {1, 1, 5, 4},
                         filled(20, 1), {}});
    }
    {
        // analytic: constant input, count_include_pad=False -> the constant; 2 batches × 3 channels.
        PoolParams p = params(Avg, 2, {3});
        p.stride = {2};
        p.padding = {1};
        p.count_include_pad = false;
        cases.push_back({"avg2d_constant_2x3x9x7_exclude_pad", p, {2, 3, 9, 7}, filled(378, 2.5f), {2, 3, 5, 4},
                         filled(120, 2.5f), {}});
    }
    {
        // analytic (iota): kernel 1, stride 3 > kernel picks x[3i][3j] = 21i + 3j; out floor((9-1)/3)+1 = 3,
        // floor((7-1)/3)+1 = 3.
        PoolParams p = params(Max, 2, {1});
        p.stride = {3};
        const std::vector<float> v{0, 3, 6, 21, 24, 27, 42, 45, 48};
        cases.push_back({"max2d_k1_s3_9x7_stride_over_kernel", p, {1, 1, 9, 7}, iota(63), {1, 1, 3, 3}, v,
                         std::vector<int64_t>(v.begin(), v.end())});
    }
    {
        // hand (iota): k2 s3 -> 3x2 windows; the mean of the block {7r+c, 7r+c+1, 7r+c+7, 7r+c+8} is 7r+c+4,
        // r in {0,3,6}, c in {0,3}.
        PoolParams p = params(Avg, 2, {2});
        p.stride = {3};
        cases.push_back({"avg2d_k2_s3_9x7_stride_over_kernel", p, {1, 1, 9, 7}, iota(63), {1, 1, 3, 2},
                         {4, 7, 25, 28, 46, 49}, {}});
    }
    {
        // analytic (iota): k3 dilation 2 p1 over 9x7 -> 7x5 (effective kernel 5). Taps rows oy-1, oy+1, oy+3;
        // the largest real row: [3,4,5,6,7,8,7]; columns likewise [3,4,5,6,5]; value 7r + c.
        PoolParams p = params(Max, 2, {3});
        p.stride = {1};
        p.padding = {1};
        p.dilation = {2};
        const std::vector<float> rows{3, 4, 5, 6, 7, 8, 7}, cols{3, 4, 5, 6, 5};
        std::vector<float> v;
        for (float r : rows)
            for (float c : cols) v.push_back(7 * r + c);
        cases.push_back({"max2d_k3_d2_p1_9x7_dilation", p, {1, 1, 9, 7}, iota(63), {1, 1, 7, 5}, v,
                         std::vector<int64_t>(v.begin(), v.end())});
    }
    {
        // onnx test_maxpool_2d_dilations: 4x4 of 1..16, k2 d2 s1 -> [11, 12, 15, 16]; window (0,0) reads
        // 1, 3, 9, 11. Indices (hand): value - 1.
        PoolParams p = params(Max, 2, {2});
        p.stride = {1};
        p.dilation = {2, 2};
        cases.push_back({"onnx_maxpool_2d_dilations", p, {1, 1, 4, 4}, iota(16, 1), {1, 1, 2, 2}, {11, 12, 15, 16},
                         {10, 11, 14, 15}});
    }
    {
        // onnx test_averagepool_2d_ceil: 4x4 of 1..16, k3 s2 ceil -> out floor((4-3+1)/2)+1 = 2.
        // Window (0,1) covers columns 2..4; column 4 is ceil-mode overhang, never counted:
        // (3+4+7+8+11+12)/6 = 7.5. PyTorch's default count_include_pad=True gives the same (no padding here).
        PoolParams p = params(Avg, 2, {3, 3});
        p.stride = {2, 2};
        p.ceil_mode = true;
        cases.push_back({"onnx_averagepool_2d_ceil", p, {1, 1, 4, 4}, iota(16, 1), {1, 1, 2, 2}, {6, 7.5f, 12, 13.5f}, {}});
        // onnx test_maxpool_2d_ceil: same windows, max -> [11, 12, 15, 16].
        p.mode = Max;
        cases.push_back({"onnx_maxpool_2d_ceil", p, {1, 1, 4, 4}, iota(16, 1), {1, 1, 2, 2}, {11, 12, 15, 16},
                         {10, 11, 14, 15}});
    }
    {
        // hand: L=5 of 1..5, k3 s3 p1 ceil: floor((5+2-3+2)/3)+1 = 3, but the third window would start at 5,
        // in the right padding ((3-1)*3 >= 5+1), so it is dropped: 2 windows.
        // [-1,2) = pad,1,2 -> 3/3 = 1;  [2,5) = 3,4,5 -> 12/3 = 4.
        PoolParams p = params(Avg, 1, {3});
        p.stride = {3};
        p.padding = {1};
        p.ceil_mode = true;
        cases.push_back({"avg1d_ceil_last_window_starting_in_padding_dropped", p, {1, 1, 5}, iota(5, 1), {1, 1, 2}, {1, 4}, {}});
    }
    {
        // hand: L=6 of 1..6, k3 s2 p1 ceil -> floor((6+2-3+1)/2)+1 = 4 windows [-1,2) [1,4) [3,6) [5,8).
        // The last reads 6, one padding cell (6) and one overhang cell (7): count_include_pad counts 2.
        //   include pad: 3/3, 9/3, 15/3, 6/2   = [1, 3, 5, 3]
        //   exclude pad: 3/2, 9/3, 15/3, 6/1   = [1.5, 3, 5, 6]
        PoolParams p = params(Avg, 1, {3});
        p.stride = {2};
        p.padding = {1};
        p.ceil_mode = true;
        cases.push_back({"avg1d_ceil_overhang_count_include_pad", p, {1, 1, 6}, iota(6, 1), {1, 1, 4}, {1, 3, 5, 3}, {}});
        p.count_include_pad = false;
        cases.push_back({"avg1d_ceil_overhang_exclude_pad", p, {1, 1, 6}, iota(6, 1), {1, 1, 4}, {1.5f, 3, 5, 6}, {}});
    }
    {
        // hand: L=5 of 1..5, k2 s2 p1 ceil -> 3 windows [-1,1) [1,3) [3,5) (a 4th would start at 5: dropped).
        // include pad: 1/2, 5/2, 9/2; exclude pad: 1/1, 5/2, 9/2.   (torch agrees)
        PoolParams p = params(Avg, 1, {2});
        p.stride = {2};
        p.padding = {1};
        p.ceil_mode = true;
        cases.push_back({"avg1d_k2_s2_p1_ceil_include_pad", p, {1, 1, 5}, iota(5, 1), {1, 1, 3}, {0.5f, 2.5f, 4.5f}, {}});
        p.count_include_pad = false;
        cases.push_back({"avg1d_k2_s2_p1_ceil_exclude_pad", p, {1, 1, 5}, iota(5, 1), {1, 1, 3}, {1, 2.5f, 4.5f}, {}});
    }
    {
        // hand: 3x3 of 1..9, k2 s1, divisor_override 3: sums 12, 16, 24, 28 -> 4, 16/3, 8, 28/3.
        PoolParams p = params(Avg, 2, {2});
        p.stride = {1};
        p.divisor_override = 3;
        cases.push_back({"avg2d_divisor_override_3", p, {1, 1, 3, 3}, iota(9, 1), {1, 1, 2, 2},
                         {4, 16.0f / 3, 8, 28.0f / 3}, {}});
    }
    {
        // analytic (all ones): k3 s1 p1 over 3x3 sums 4 in corners, 6 on edges, 9 inside; divisor_override 2
        // replaces the divisor even where padding is read.
        PoolParams p = params(Avg, 2, {3});
        p.stride = {1};
        p.padding = {1};
        p.divisor_override = 2;
        cases.push_back({"avg2d_divisor_override_with_padding", p, {1, 1, 3, 3}, filled(9, 1), {1, 1, 3, 3},
                         {2, 3, 2, 3, 4.5f, 3, 2, 3, 2}, {}});
    }
    {
        // hand: unbatched (C, H, W) = (2, 3, 3): channel 0 is 1..9, channel 1 is -1..-9; k2 s1.
        // Channel 0 takes each window's bottom-right (5, 6, 8, 9), channel 1 its top-left (-1, -2, -4, -5).
        PoolParams p = params(Max, 2, {2});
        p.stride = {1};
        std::vector<float> neg = iota(9, 1);
        for (float& v : neg) v = -v;
        cases.push_back({"max2d_unbatched_two_channels", p, {2, 3, 3}, concat(iota(9, 1), neg), {2, 2, 2},
                         {5, 6, 8, 9, -1, -2, -4, -5}, {4, 5, 7, 8, 0, 1, 3, 4}});
    }
    {
        // hand: unbatched (C, L) = (2, 5), k2 (stride = kernel): [1.5, 3.5] and [15, 35]; the 5th cell is unused.
        PoolParams p = params(Avg, 1, {2});
        cases.push_back({"avg1d_unbatched", p, {2, 5}, {1, 2, 3, 4, 5, 10, 20, 30, 40, 50}, {2, 2}, {1.5f, 3.5f, 15, 35}, {}});
    }
    {
        // analytic (iota, 2 channels of 9): k2 dilation 2 stride 3 -> taps (0,2) (3,5) (6,8): 2, 5, 8 and 11, 14, 17.
        // return_indices counts within the channel: 2, 5, 8 for both.
        PoolParams p = params(Max, 1, {2});
        p.stride = {3};
        p.dilation = {2};
        cases.push_back({"max1d_k2_s3_d2_two_channels", p, {1, 2, 9}, iota(18), {1, 2, 3}, {2, 5, 8, 11, 14, 17},
                         {2, 5, 8, 2, 5, 8}});
    }
    {
        // hand: padding never wins, even over negative values: [-5, -4, -3], k3 s1 p1:
        // [pad,-5,-4] -> -4 (index 1); [-5,-4,-3] -> -3 (2); [-4,-3,pad] -> -3 (2).
        PoolParams p = params(Max, 1, {3});
        p.stride = {1};
        p.padding = {1};
        cases.push_back({"max1d_padding_never_wins", p, {1, 1, 3}, {-5, -4, -3}, {1, 1, 3}, {-4, -3, -3}, {1, 2, 2}});
    }
    {
        // torch: a NaN in the window makes the output NaN; the index is the last NaN (each NaN takes over).
        PoolParams p = params(Max, 1, {5});
        cases.push_back({"max1d_nan_propagates", p, {1, 1, 5}, {1, kNaN, 3, kNaN, 0}, {1, 1, 1}, {kNaN}, {3}});
        // torch: equal maxima keep the first.
        p.kernel_size = {4};
        cases.push_back({"max1d_ties_keep_first", p, {1, 1, 4}, {2, 5, 5, 1}, {1, 1, 1}, {5}, {1}});
        // torch: all -inf -> -inf at the first cell.
        p.kernel_size = {3};
        cases.push_back({"max1d_all_minus_inf", p, {1, 1, 3}, {-kInf, -kInf, -kInf}, {1, 1, 1}, {-kInf}, {0}});
    }
    {
        // torch: L=2, k2 p1 d3: one window with taps at -1 and 2, both outside the input -> -inf, and PyTorch's
        // index is the first tap at or past 0 (stepping by the dilation): 2.
        PoolParams p = params(Max, 1, {2});
        p.stride = {1};
        p.padding = {1};
        p.dilation = {3};
        cases.push_back({"max1d_window_without_input_cells", p, {1, 1, 2}, {7, 8}, {1, 1, 1}, {-kInf}, {2}});
    }
    {
        // torch: F.max_pool1d (no autograd) accepts an empty output: L=5, k6 -> (5-5-1)/6+1 = 0 windows.
        PoolParams p = params(Max, 1, {6});
        cases.push_back({"max1d_empty_output", p, {1, 1, 5}, iota(5), {1, 1, 0}, {}, {}});
    }
    {
        // torch: a zero batch is fine: (0, 3, 5, 5) -> (0, 3, 2, 2).
        PoolParams p = params(Avg, 2, {2});
        cases.push_back({"avg2d_zero_batch", p, {0, 3, 5, 5}, {}, {0, 3, 2, 2}, {}, {}});
    }
    {
        // onnx test_maxpool_with_argmax_2d_precomputed_pads: 5x5 of 1..25, k5 p2 (pad 2 <= 5/2: PyTorch accepts).
        PoolParams p = params(Max, 2, {5, 5});
        p.stride = {1};
        p.padding = {2, 2};
        cases.push_back({"onnx_maxpool_with_argmax_2d_precomputed_pads", p, {1, 1, 5, 5}, iota(25, 1), {1, 1, 5, 5},
                         {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25},
                         {12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24}});
    }
    {
        // onnx test_averagepool_2d_precomputed_pads_count_include_pad: 5x5 of 1..25, k5 p2, every divisor 25;
        // e.g. (0,0): (1+2+3+6+7+8+11+12+13)/25 = 2.52.
        PoolParams p = params(Avg, 2, {5, 5});
        p.stride = {1};
        p.padding = {2, 2};
        cases.push_back({"onnx_averagepool_2d_precomputed_pads_count_include_pad", p, {1, 1, 5, 5}, iota(25, 1), {1, 1, 5, 5},
                         {2.52f, 3.6f, 4.8f,  4.08f,  3.24f, 4.56f, 6.4f, 8.4f,  7.04f,  5.52f, 7.2f, 10.f, 13.f,
                          10.8f, 8.4f, 6.96f, 9.6f,  12.4f, 10.24f, 7.92f, 6.12f, 8.4f, 10.8f, 8.88f, 6.84f},
                         {}});
    }
    {
        // onnx test_averagepool_2d_precomputed_same_upper: 5x5 of 1..25, k3 s2, auto_pad SAME_UPPER = pads 1/1,
        // count_include_pad 0 (ONNX default); given as explicit ONNX pads.
        PoolParams p = params(Avg, 2, {3, 3});
        p.stride = {2, 2};
        p.pads_begin = {1, 1};
        p.pads_end = {1, 1};
        p.count_include_pad = false;
        cases.push_back({"onnx_averagepool_2d_precomputed_same_upper", p, {1, 1, 5, 5}, iota(25, 1), {1, 1, 3, 3},
                         {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22}, {}});
    }
    {
        // hand: ONNX-style asymmetric pads beyond half the kernel (PyTorch has no such argument): [1,2,3,4],
        // k3 s1, pads 2 before, 0 after -> 4 windows [-2,1) [-1,2) [0,3) [1,4).
        //   exclude pad: 1/1, 3/2, 6/3, 9/3 = [1, 1.5, 2, 3];  include pad: 1/3, 3/3, 6/3, 9/3.
        PoolParams p = params(Avg, 1, {3});
        p.stride = {1};
        p.pads_begin = {2};
        p.pads_end = {0};
        p.count_include_pad = false;
        cases.push_back({"onnx_style_asymmetric_pads_1d_exclude_pad", p, {1, 1, 4}, {1, 2, 3, 4}, {1, 1, 4}, {1, 1.5f, 2, 3}, {}});
        p.count_include_pad = true;
        cases.push_back({"onnx_style_asymmetric_pads_1d_include_pad", p, {1, 1, 4}, {1, 2, 3, 4}, {1, 1, 4},
                         {1.0f / 3, 1, 2, 3}, {}});
    }
    return cases;
    // clang-format on
}

class PoolValues : public ::testing::TestWithParam<ValueCase> {};

TEST_P(PoolValues, ReferenceMatchesExpected) {
    const ValueCase& c = GetParam();
    const PoolCheck check = pool_check(c.params, c.input_shape);
    ASSERT_TRUE(check.ok()) << check.error;
    EXPECT_EQ(check.geometry->output_shape_torch(), c.output_shape);
    const Tensor x(c.input_shape, c.input);
    EXPECT_TRUE(tensor_close(pool_reference(*check.geometry, x), c.output_shape, c.expected));
}

TEST_P(PoolValues, CursorMatchesReferenceAtEveryStep) {
    const ValueCase& c = GetParam();
    const PoolGeometry g = pool_geometry(c.params, c.input_shape);
    const Tensor x(c.input_shape, c.input);
    const Tensor y = pool_reference(g, x);
    const PoolCursor cursor(g, x);
    ASSERT_EQ(cursor.step_count(), y.numel());
    PoolState s;
    for (int64_t step = 0; step < cursor.step_count(); ++step) {
        cursor.state_at(step, s);
        EXPECT_TRUE(same_bits(s.value, y[step]))
            << "step " << step << ": cursor " << s.value << ", reference " << y[step];
        EXPECT_EQ(cursor.step_of(s.n, s.c, s.y, s.x), step);
        if (!c.argmax.empty()) {
            EXPECT_EQ(s.argmax, c.argmax[static_cast<size_t>(step)]) << "step " << step;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Pool, PoolValues, ::testing::ValuesIn(value_cases()),
                         [](const ::testing::TestParamInfo<ValueCase>& param) { return param.param.name; });

// ---------------------------------------------------------------------------------------------------- geometry

TEST(PoolGeometry, TwoDimensionalCanonicalFields) {
    PoolParams p = params(PoolMode::Max, 2, {3, 2});
    p.stride = {2, 1};
    p.padding = {1, 0};
    p.dilation = {1, 2};
    const PoolGeometry g = pool_geometry(p, {2, 3, 9, 7});
    EXPECT_EQ(g.n, 2);
    EXPECT_EQ(g.c, 3);
    EXPECT_EQ(g.in, (std::array<int64_t, 2>{9, 7}));
    EXPECT_EQ(g.kernel, (std::array<int64_t, 2>{3, 2}));
    EXPECT_EQ(g.stride, (std::array<int64_t, 2>{2, 1}));
    EXPECT_EQ(g.dilation, (std::array<int64_t, 2>{1, 2}));
    EXPECT_EQ(g.pad_begin, (std::array<int64_t, 2>{1, 0}));
    EXPECT_EQ(g.pad_end, (std::array<int64_t, 2>{1, 0}));
    // H: floor((9+2-3)/2)+1 = 5;  W: floor((7-2*(2-1)-1)/1)+1 = 5
    EXPECT_EQ(g.out, (std::array<int64_t, 2>{5, 5}));
    EXPECT_EQ(g.output_shape_torch(), (Shape{2, 3, 5, 5}));
    EXPECT_EQ(g.window_taps(), 6);
}

TEST(PoolGeometry, OneDimensionalIsHEqualsOne) {
    PoolParams p = params(PoolMode::Avg, 1, {3});
    p.padding = {1};
    const PoolGeometry g = pool_geometry(p, {3, 8});  // unbatched (C, L)
    EXPECT_TRUE(g.unbatched);
    EXPECT_EQ(g.in, (std::array<int64_t, 2>{1, 8}));
    EXPECT_EQ(g.kernel, (std::array<int64_t, 2>{1, 3}));
    EXPECT_EQ(g.stride, (std::array<int64_t, 2>{1, 3}));  // stride omitted = kernel_size
    EXPECT_EQ(g.pad_begin, (std::array<int64_t, 2>{0, 1}));
    EXPECT_EQ(g.out, (std::array<int64_t, 2>{1, 3}));  // floor((8+2-3)/3)+1 = 3
    EXPECT_EQ(g.output_shape_torch(), (Shape{3, 3}));
    EXPECT_EQ(g.input_shape(), (Shape{1, 3, 1, 8}));
}

TEST(PoolGeometry, CeilModeOutputSizes) {
    // out = floor((in + 2p - d(k-1) - 1 + s - 1)/s) + 1, minus one if the last window starts at or past in + p.
    struct Row {
        int64_t in, k, s, p, expected;
    };
    for (const Row& r : {Row{4, 3, 2, 0, 2},     // ONNX averagepool_2d_ceil
                         Row{5, 3, 3, 1, 2},     // 3rd window would start at 5 = in: dropped
                         Row{6, 3, 2, 1, 4},     // last window [5,8) starts inside: kept
                         Row{5, 2, 2, 1, 3},     // 4th would start at 6 = in + p: dropped
                         Row{9, 3, 2, 1, 5},     // no overhang: same as floor mode
                         Row{7, 2, 4, 0, 2}}) {  // stride > kernel: floor((7-2+3)/4)+1 = 3, start 8 >= 7: 2
        PoolParams p = params(PoolMode::Max, 1, {r.k});
        p.stride = {r.s};
        p.padding = {r.p};
        p.ceil_mode = true;
        const PoolCheck c = pool_check(p, {1, 1, r.in});
        ASSERT_TRUE(c.ok()) << c.error;
        EXPECT_EQ(c.geometry->out[1], r.expected) << "in=" << r.in << " k=" << r.k << " s=" << r.s << " p=" << r.p;
    }
}

TEST(PoolGeometry, ThrowsConfigErrorWithPyTorchText) {
    try {
        pool_geometry(params(PoolMode::Max, 2, {6}), {3, 5, 5});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small");
    }
}

// ------------------------------------------------------------------------------------------------- error texts

struct ErrorCase {
    std::string name;
    PoolParams params;
    Shape input;
    std::string error;  // printed by PyTorch 1.13 for the same call (convscope_* cases: convscope's own)
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) { return os << c.name; }

std::vector<ErrorCase> error_cases() {
    // clang-format off
    const PoolMode Max = PoolMode::Max;
    const PoolMode Avg = PoolMode::Avg;
    std::vector<ErrorCase> cases;
    auto add = [&](std::string name, PoolParams p, Shape input, std::string error) {
        cases.push_back({std::move(name), std::move(p), std::move(input), std::move(error)});
    };
    auto with = [](PoolParams p, auto&& edit) {
        edit(p);
        return p;
    };
    const Shape x4{1, 3, 5, 5};
    const Shape x3{1, 3, 5};

    // F.max_pool2d
    const PoolParams m2 = params(Max, 2, {2});
    add("max2d_kernel_three_values", params(Max, 2, {2, 2, 2}), x4,
        "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    add("max2d_kernel_empty", params(Max, 2, {}), x4,
        "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    add("max2d_stride_three_values", with(m2, [](PoolParams& p) { p.stride = {1, 1, 1}; }), x4,
        "max_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
    add("max2d_padding_three_values", with(m2, [](PoolParams& p) { p.padding = {0, 0, 0}; }), x4,
        "max_pool2d: padding must be either be a single int, or a tuple of two ints");
    add("max2d_dilation_three_values", with(m2, [](PoolParams& p) { p.dilation = {1, 1, 1}; }), x4,
        "max_pool2d: dilation must be either a single int, or a tuple of two ints");
    add("max2d_kernel_beyond_int", params(Max, 2, {int64_t{1} << 31}), x4, "integer out of range");
    add("max2d_stride_beyond_int", with(m2, [](PoolParams& p) { p.stride = {int64_t{1} << 31}; }), x4,
        "integer out of range");
    add("max2d_kernel_lengths_before_rank", params(Max, 2, {1, 1, 1}), {5, 5},
        "max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    add("max2d_rank2_input", m2, {5, 5}, "non-empty 3D or 4D (batch mode) tensor expected for input");
    add("max2d_rank5_input", m2, {1, 1, 3, 5, 5}, "non-empty 3D or 4D (batch mode) tensor expected for input");
    add("max2d_kernel_zero_stride_omitted", params(Max, 2, {0}), x4, "stride should not be zero");
    add("max2d_stride_zero_in_w", with(m2, [](PoolParams& p) { p.stride = {1, 0}; }), x4, "stride should not be zero");
    add("max2d_negative_pad", with(params(Max, 2, {3}), [](PoolParams& p) { p.stride = {1}; p.padding = {-1}; }), x4,
        "pad must be non-negative, but got pad: -1");
    add("max2d_negative_pad_in_w", with(m2, [](PoolParams& p) { p.stride = {1}; p.padding = {0, -1}; }), x4,
        "pad must be non-negative, but got pad: -1");
    add("max2d_pad_over_half_kernel", with(m2, [](PoolParams& p) { p.stride = {1}; p.padding = {2}; }), x4,
        "pad should be at most half of kernel size, but got pad=2 and kernel_size=2");
    // 1.13 ignores dilation in this rule (later versions say "effective kernel size").
    add("max2d_pad_over_half_kernel_dilated", with(params(Max, 2, {3}), [](PoolParams& p) {
            p.stride = {1};
            p.padding = {2};
            p.dilation = {2};
        }),
        x4, "pad should be at most half of kernel size, but got pad=2 and kernel_size=3");
    add("max2d_pad_check_before_negative_stride", with(m2, [](PoolParams& p) { p.stride = {-1}; p.padding = {2}; }), x4,
        "pad should be at most half of kernel size, but got pad=2 and kernel_size=2");
    add("max2d_negative_kernel_fails_pad_rule", with(params(Max, 2, {-3}), [](PoolParams& p) { p.stride = {1}; }), x4,
        "pad should be at most half of kernel size, but got pad=0 and kernel_size=-3");
    add("max2d_kernel_zero", with(params(Max, 2, {0}), [](PoolParams& p) { p.stride = {1}; }), x4,
        "kernel size should be greater than zero, but got kH: 0 kW: 0");
    add("max2d_kernel_zero_in_h", with(params(Max, 2, {0, 2}), [](PoolParams& p) { p.stride = {1}; }), x4,
        "kernel size should be greater than zero, but got kH: 0 kW: 2");
    add("max2d_negative_stride", with(m2, [](PoolParams& p) { p.stride = {-1, -2}; }), x4,
        "stride should be greater than zero, but got dH: -1 dW: -2");
    add("max2d_dilation_zero", with(m2, [](PoolParams& p) { p.stride = {1}; p.dilation = {0}; }), x4,
        "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
    add("max2d_dilation_negative", with(m2, [](PoolParams& p) { p.stride = {1}; p.dilation = {-1, 0}; }), x4,
        "dilation should be greater than zero, but got dilationH: -1 dilationW: 0");
    add("max2d_dilation_checked_on_empty_input", with(m2, [](PoolParams& p) { p.stride = {1}; p.dilation = {0}; }),
        {1, 0, 5, 5}, "dilation should be greater than zero, but got dilationH: 0 dilationW: 0");
    add("max2d_zero_channels", m2, {1, 0, 5, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 0, 5, 5]");
    add("max2d_zero_width", m2, {1, 3, 5, 0},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 3, 5, 0]");
    add("max2d_unbatched_zero_channels", m2, {0, 5, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[0, 5, 5]");
    add("max2d_output_too_small", params(Max, 2, {6}), x4,
        "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small");
    add("max2d_output_too_small_unbatched", params(Max, 2, {3}), {3, 2, 2},
        "Given input size: (3x2x2). Calculated output size: (3x0x0). Output size is too small");
    add("max2d_output_too_small_in_h_only", params(Max, 2, {3}), {1, 3, 2, 9},
        "Given input size: (3x2x9). Calculated output size: (3x0x3). Output size is too small");
    add("max2d_dilated_kernel_too_large", with(params(Max, 2, {5, 6}), [](PoolParams& p) { p.stride = {1}; }),
        {2, 3, 4, 5}, "Given input size: (3x4x5). Calculated output size: (3x0x0). Output size is too small");
    add("max2d_divisor_override", with(m2, [](PoolParams& p) { p.divisor_override = 2; }), x4,
        "_max_pool2d() got an unexpected keyword argument 'divisor_override'");

    // F.avg_pool2d
    const PoolParams a2 = params(Avg, 2, {2});
    add("avg2d_kernel_three_values", params(Avg, 2, {2, 2, 2}), x4,
        "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    add("avg2d_kernel_lengths_before_divisor", with(params(Avg, 2, {2, 2, 2}), [](PoolParams& p) { p.divisor_override = 0; }),
        x4, "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    add("avg2d_stride_three_values", with(a2, [](PoolParams& p) { p.stride = {1, 1, 1}; }), x4,
        "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
    add("avg2d_padding_three_values", with(a2, [](PoolParams& p) { p.stride = {1}; p.padding = {0, 0, 0}; }), x4,
        "avg_pool2d: padding must either be a single int, or a tuple of two ints");
    add("avg2d_divisor_zero", with(a2, [](PoolParams& p) { p.divisor_override = 0; }), x4, "divisor must be not zero");
    add("avg2d_divisor_zero_before_rank", with(a2, [](PoolParams& p) { p.divisor_override = 0; }), {5, 5},
        "divisor must be not zero");
    add("avg2d_rank2_input", a2, {5, 5}, "Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    add("avg2d_rank1_input", a2, {5}, "Dimension out of range (expected to be in range of [-1, 0], but got -3)");
    add("avg2d_rank0_input", a2, {}, "Dimension specified as -3 but tensor has no dimensions");
    add("avg2d_rank5_input", a2, {1, 1, 3, 5, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 1, 3, 5, 5]");
    add("avg2d_rank5_kernel_zero_first", with(params(Avg, 2, {0}), [](PoolParams& p) { p.stride = {1}; }), {1, 1, 3, 5, 5},
        "kernel size should be greater than zero, but got kH: 0 kW: 0");
    add("avg2d_kernel_zero_stride_omitted", params(Avg, 2, {0}), x4, "stride should not be zero");
    add("avg2d_kernel_zero_in_w", with(params(Avg, 2, {2, 0}), [](PoolParams& p) { p.stride = {1}; }), x4,
        "kernel size should be greater than zero, but got kH: 2 kW: 0");
    add("avg2d_negative_kernel", params(Avg, 2, {-1}), x4, "kernel size should be greater than zero, but got kH: -1 kW: -1");
    add("avg2d_negative_stride", with(a2, [](PoolParams& p) { p.stride = {-1}; }), x4,
        "stride should be greater than zero, but got dH: -1 dW: -1");
    add("avg2d_negative_pad", with(params(Avg, 2, {3}), [](PoolParams& p) { p.stride = {1}; p.padding = {-1}; }), x4,
        "pad must be non-negative, but got pad: -1");
    add("avg2d_pad_over_half_kernel", with(a2, [](PoolParams& p) { p.stride = {1}; p.padding = {1, 2}; }), x4,
        "pad should be at most half of kernel size, but got pad=2 and kernel_size=2");
    add("avg2d_zero_height", a2, {1, 3, 0, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 3, 0, 5]");
    add("avg2d_output_too_small", params(Avg, 2, {6}), x4,
        "Given input size: (3x5x5). Calculated output size: (3x0x0). Output size is too small");
    add("avg2d_dilation", with(a2, [](PoolParams& p) { p.dilation = {2}; }), x4,
        "avg_pool2d() got an unexpected keyword argument 'dilation'");

    // F.avg_pool1d
    const PoolParams a1 = params(Avg, 1, {2});
    add("avg1d_rank4_input", a1, {1, 1, 3, 5},
        "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)");
    add("avg1d_rank1_input", a1, {5},
        "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)");
    add("avg1d_rank_before_lengths", params(Avg, 1, {2, 2}), {1, 1, 3, 5},
        "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)");
    add("avg1d_kernel_two_values", params(Avg, 1, {2, 2}), x3, "avg_pool1d() argument 'kernel_size' should contain one int (got 2)");
    add("avg1d_kernel_empty", params(Avg, 1, {}), x3, "avg_pool1d() argument 'kernel_size' should contain one int (got 0)");
    add("avg1d_stride_two_values", with(a1, [](PoolParams& p) { p.stride = {1, 1}; }), x3,
        "avg_pool1d() argument 'stride' should contain one int (got 2)");
    add("avg1d_padding_two_values", with(a1, [](PoolParams& p) { p.padding = {0, 0}; }), x3,
        "avg_pool1d() argument 'padding' should contain one int (got 2)");
    add("avg1d_kernel_zero", params(Avg, 1, {0}), x3, "stride should not be zero");
    add("avg1d_negative_kernel", params(Avg, 1, {-1}), x3, "kernel size should be greater than zero, but got kH: 1 kW: -1");
    add("avg1d_kernel_zero_on_empty_channels", with(params(Avg, 1, {0}), [](PoolParams& p) { p.stride = {1}; }),
        {1, 0, 5}, "kernel size should be greater than zero, but got kH: 1 kW: 0");
    add("avg1d_negative_stride", with(a1, [](PoolParams& p) { p.stride = {-1}; }), x3,
        "stride should be greater than zero, but got dH: 1 dW: -1");
    add("avg1d_negative_pad", with(params(Avg, 1, {1}), [](PoolParams& p) { p.stride = {-1}; p.padding = {-1}; }), x3,
        "pad must be non-negative, but got pad: -1");
    add("avg1d_pad_over_half_kernel", with(params(Avg, 1, {3}), [](PoolParams& p) { p.stride = {1}; p.padding = {2}; }),
        x3, "pad should be at most half of kernel size, but got pad=2 and kernel_size=3");
    add("avg1d_zero_channels", a1, {1, 0, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[1, 0, 1, 5]");
    add("avg1d_unbatched_zero_channels", a1, {0, 5},
        "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[0, 1, 5]");
    add("avg1d_output_too_small", params(Avg, 1, {6}), x3,
        "Given input size: (3x1x5). Calculated output size: (3x1x0). Output size is too small");
    add("avg1d_output_negative", with(params(Avg, 1, {8}), [](PoolParams& p) { p.stride = {1}; }), x3,
        "Given input size: (3x1x5). Calculated output size: (3x1x-2). Output size is too small");
    add("avg1d_ceil_mode_does_not_rescue", with(params(Avg, 1, {6}), [](PoolParams& p) {
            p.stride = {1};
            p.ceil_mode = true;
        }),
        x3, "Given input size: (3x1x5). Calculated output size: (3x1x0). Output size is too small");
    add("avg1d_divisor_override", with(a1, [](PoolParams& p) { p.divisor_override = 2; }), x3,
        "avg_pool1d() got an unexpected keyword argument 'divisor_override'");
    add("avg1d_dilation", with(a1, [](PoolParams& p) { p.dilation = {2}; }), x3,
        "avg_pool1d() got an unexpected keyword argument 'dilation'");

    // F.max_pool1d
    const PoolParams m1 = params(Max, 1, {2});
    const std::string max1d_rank = "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:";
    add("max1d_rank4_input", m1, {1, 1, 3, 5}, max1d_rank + "[1, 1, 3, 5]");
    add("max1d_rank0_input", m1, {}, max1d_rank + "[]");
    add("max1d_rank_before_lengths", params(Max, 1, {2, 2}), {1, 1, 3, 5}, max1d_rank + "[1, 1, 3, 5]");
    add("max1d_zero_channels", m1, {1, 0, 5}, max1d_rank + "[1, 0, 5]");
    add("max1d_zero_length", params(Max, 1, {1}), {1, 3, 0}, max1d_rank + "[1, 3, 0]");
    add("max1d_unbatched_zero_channels", m1, {0, 5}, max1d_rank + "[0, 5]");
    add("max1d_kernel_two_values", params(Max, 1, {2, 2}), x3,
        "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got size 2");
    add("max1d_stride_two_values", with(m1, [](PoolParams& p) { p.stride = {1, 1}; p.padding = {0, 0}; }), x3,
        "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 but got size 2");
    add("max1d_padding_two_values", with(m1, [](PoolParams& p) { p.padding = {0, 0}; p.dilation = {1, 1}; }), x3,
        "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got size 2");
    add("max1d_dilation_two_values", with(params(Max, 1, {0}), [](PoolParams& p) { p.dilation = {1, 1}; }), x3,
        "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got size 2");
    add("max1d_kernel_zero", params(Max, 1, {0}), x3, "max_pool1d() kernel_size must be greater than zero, but got 0");
    add("max1d_negative_kernel", with(params(Max, 1, {-3}), [](PoolParams& p) { p.stride = {1}; }), x3,
        "max_pool1d() kernel_size must be greater than zero, but got -3");
    add("max1d_negative_stride", with(params(Max, 1, {1}), [](PoolParams& p) { p.stride = {-1}; p.padding = {-1}; }), x3,
        "max_pool1d() stride must be greater than zero, but got -1");
    add("max1d_stride_zero", with(m1, [](PoolParams& p) { p.stride = {0}; }), x3,
        "max_pool1d() stride must be greater than zero, but got 0");
    add("max1d_negative_padding", with(params(Max, 1, {1}), [](PoolParams& p) { p.stride = {1}; p.padding = {-1}; }), x3,
        "max_pool1d() padding must be non-negative, but got -1");
    add("max1d_padding_over_half_kernel", with(m1, [](PoolParams& p) { p.stride = {1}; p.padding = {2}; }), x3,
        "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=2");
    add("max1d_padding_over_half_kernel_dilated", with(params(Max, 1, {3}), [](PoolParams& p) {
            p.stride = {1};
            p.padding = {2};
            p.dilation = {2};
        }),
        x3, "max_pool1d() padding should be at most half of kernel size, but got padding=2 and kernel_size=3");
    add("max1d_dilation_zero", with(m1, [](PoolParams& p) { p.stride = {1}; p.dilation = {0}; }), x3,
        "max_pool1d() dilation must be greater than zero, but got 0");
    add("max1d_output_negative", with(params(Max, 1, {8}), [](PoolParams& p) { p.stride = {1}; }), x3,
        "max_pool1d() Invalid computed output size: -2");
    add("max1d_dilated_output_negative", with(params(Max, 1, {3}), [](PoolParams& p) {
            p.stride = {1};
            p.dilation = {3};
        }),
        x3, "max_pool1d() Invalid computed output size: -1");
    add("max1d_divisor_override", with(m1, [](PoolParams& p) { p.divisor_override = 2; }), x3,
        "_max_pool1d() got an unexpected keyword argument 'divisor_override'");

    // convscope's own refusals (no PyTorch counterpart)
    add("convscope_pads_wrong_length", with(m2, [](PoolParams& p) { p.pads_begin = {1}; p.pads_end = {1, 1}; }), x4,
        "expected pads to have 2 begin and 2 end values");
    add("convscope_negative_onnx_pad", with(m2, [](PoolParams& p) { p.pads_begin = {0, 0}; p.pads_end = {0, -1}; }), x4,
        "pad must be non-negative, but got pad: -1");
    add("convscope_avg_kernel_beyond_int32", params(Avg, 2, {int64_t{1} << 32}), x4,
        "convscope does not compute pools with kernel_size, stride, padding or dilation outside "
        "[-2147483648, 2147483647], but got 4294967296");
    // PyTorch accepts this (k 1025, pad 512 <= 1025/2 -> one window) but a 1025x1025 window is too large to step.
    add("convscope_window_too_large", with(params(Max, 2, {1025}), [](PoolParams& p) { p.padding = {512}; }), {1, 1, 9, 7},
        "convscope does not compute pooling windows of more than 1048576 taps, but got kernel_size=[1025, 1025]");
    return cases;
    // clang-format on
}

class PoolErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PoolErrors, TextIsPyTorchs) {
    const ErrorCase& c = GetParam();
    const PoolCheck check = pool_check(c.params, c.input);
    EXPECT_FALSE(check.ok());
    EXPECT_EQ(check.error, c.error);
}

INSTANTIATE_TEST_SUITE_P(Pool, PoolErrors, ::testing::ValuesIn(error_cases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& param) { return param.param.name; });

TEST(PoolCheck, AcceptsWhatPyTorchAccepts) {
    struct Row {
        const char* name;
        PoolParams params;
        Shape input, output;
    };
    PoolParams huge_stride = params(PoolMode::Max, 1, {2});
    huge_stride.stride = {int64_t{1} << 30};
    PoolParams onnx_pads = params(PoolMode::Max, 2, {3});  // ONNX allows pads beyond half the kernel
    onnx_pads.stride = {1};
    onnx_pads.pads_begin = {2, 0};
    onnx_pads.pads_end = {0, 2};
    PoolParams avg_ceil = params(PoolMode::Avg, 1, {6});
    avg_ceil.ceil_mode = true;  // L=5: floor((5-6+5)/6)+1 = 1 window, where floor mode gives 0
    PoolParams negative_divisor = params(PoolMode::Avg, 2, {2});
    negative_divisor.divisor_override = -3;
    PoolParams dilation_ones = params(PoolMode::Avg, 2, {2});
    dilation_ones.dilation = {1, 1};  // all ones: treated as not given
    PoolParams count_for_max = params(PoolMode::Max, 2, {2});
    count_for_max.count_include_pad = false;  // ignored for max
    for (const Row& r : {Row{"max1d_k6_on_5", params(PoolMode::Max, 1, {6}), {1, 3, 5}, {1, 3, 0}},
                         Row{"max1d_zero_batch", params(PoolMode::Max, 1, {6}), {0, 3, 5}, {0, 3, 0}},
                         Row{"max1d_huge_stride", huge_stride, {1, 3, 5}, {1, 3, 1}},
                         Row{"max2d_zero_batch", params(PoolMode::Max, 2, {2}), {0, 3, 5, 5}, {0, 3, 2, 2}},
                         Row{"max2d_unbatched", params(PoolMode::Max, 2, {3}), {3, 9, 7}, {3, 3, 2}},
                         Row{"max2d_onnx_pads", onnx_pads, {1, 1, 4, 4}, {1, 1, 4, 4}},
                         Row{"avg1d_ceil_rescues", avg_ceil, {1, 3, 5}, {1, 3, 1}},
                         Row{"avg2d_negative_divisor", negative_divisor, {1, 3, 5, 5}, {1, 3, 2, 2}},
                         Row{"avg2d_dilation_ones", dilation_ones, {1, 3, 5, 5}, {1, 3, 2, 2}},
                         Row{"max2d_count_include_pad_ignored", count_for_max, {1, 3, 5, 5}, {1, 3, 2, 2}}}) {
        const PoolCheck c = pool_check(r.params, r.input);
        ASSERT_TRUE(c.ok()) << r.name << ": " << c.error;
        EXPECT_EQ(c.geometry->output_shape_torch(), r.output) << r.name;
    }
}

// ------------------------------------------------------------------------------------------------------ cursor

TEST(PoolCursor, MaxStateShowsWindowWinnerAndIndex) {
    // 9x7 iota, k3 s2 p1: position (0, 0) reads rows -1..1, columns -1..1; the winner is x[1][1] = 8.
    PoolParams p = params(PoolMode::Max, 2, {3});
    p.stride = {2};
    p.padding = {1};
    const Tensor x({1, 1, 9, 7}, iota(63));
    const PoolCursor cursor(pool_geometry(p, x.shape), x);
    const PoolState s = cursor.state_at(0);
    EXPECT_EQ(s.n, 0);
    EXPECT_EQ(s.c, 0);
    EXPECT_EQ(s.y, 0);
    EXPECT_EQ(s.x, 0);
    ASSERT_EQ(s.taps.size(), 9u);
    EXPECT_EQ(s.input_cells, 4);
    EXPECT_EQ(s.padding_cells, 5);
    EXPECT_EQ(s.overhang_cells, 0);
    EXPECT_EQ(s.taps[0].kind, PoolTapKind::Padding);  // (-1, -1)
    EXPECT_EQ(s.taps[0].py, -1);
    EXPECT_EQ(s.taps[0].px, -1);
    EXPECT_EQ(s.taps[0].input, -kInf);              // padding reads as -inf for max
    EXPECT_EQ(s.taps[4].kind, PoolTapKind::Input);  // (0, 0)
    EXPECT_EQ(s.taps[4].input, 0.0f);
    EXPECT_EQ(s.winner_tap, 8);  // (ky, kx) = (2, 2) -> input (1, 1)
    EXPECT_EQ(s.argmax, 8);      // 1 * 7 + 1
    EXPECT_EQ(s.value, 8.0f);
    EXPECT_EQ(s.taps[static_cast<size_t>(s.winner_tap)].input, s.value);
}

TEST(PoolCursor, AvgStateShowsCeilOverhangAndDivisorRule) {
    // ONNX averagepool_2d_ceil, position (0, 1): columns 2, 3 and the overhang column 4.
    PoolParams p = params(PoolMode::Avg, 2, {3});
    p.stride = {2};
    p.ceil_mode = true;
    const Tensor x({1, 1, 4, 4}, iota(16, 1));
    const PoolCursor cursor(pool_geometry(p, x.shape), x);
    const PoolState s = cursor.state_at(cursor.step_of(0, 0, 0, 1));
    EXPECT_EQ(s.input_cells, 6);
    EXPECT_EQ(s.padding_cells, 0);
    EXPECT_EQ(s.overhang_cells, 3);
    EXPECT_EQ(s.taps[2].kind, PoolTapKind::Overhang);  // (ky, kx) = (0, 2) -> column 4
    EXPECT_EQ(s.taps[2].px, 4);
    EXPECT_EQ(s.taps[2].input, 0.0f);
    EXPECT_EQ(s.sum, 45.0f);  // 3 + 4 + 7 + 8 + 11 + 12
    EXPECT_EQ(s.divisor, 6);
    EXPECT_EQ(s.divisor_rule, PoolDivisorRule::IncludePadding);
    EXPECT_EQ(s.divisor_text, "count_include_pad=True: 6 cells, 3 ceil-mode overhang cells not counted");
    EXPECT_EQ(s.value, 7.5f);
    EXPECT_EQ(s.winner_tap, -1);
    EXPECT_EQ(s.argmax, -1);
}

TEST(PoolCursor, DivisorRuleTexts) {
    // 3x3 ones, k3 s1 p1, corner (0, 0): 4 input cells, 5 padding cells.
    PoolParams p = params(PoolMode::Avg, 2, {3});
    p.stride = {1};
    p.padding = {1};
    const Tensor x({1, 1, 3, 3}, filled(9, 1));
    {
        const PoolState s = PoolCursor(pool_geometry(p, x.shape), x).state_at(0);
        EXPECT_EQ(s.divisor, 9);
        EXPECT_EQ(s.divisor_text, "count_include_pad=True: 9 cells incl. padding");
        EXPECT_FLOAT_EQ(s.value, 4.0f / 9);
    }
    p.count_include_pad = false;
    {
        const PoolState s = PoolCursor(pool_geometry(p, x.shape), x).state_at(0);
        EXPECT_EQ(s.divisor, 4);
        EXPECT_EQ(s.divisor_rule, PoolDivisorRule::ExcludePadding);
        EXPECT_EQ(s.divisor_text, "count_include_pad=False: 4 input cells");
        EXPECT_EQ(s.value, 1.0f);
    }
    p.divisor_override = 2;
    {
        const PoolState s = PoolCursor(pool_geometry(p, x.shape), x).state_at(0);
        EXPECT_EQ(s.divisor, 2);
        EXPECT_EQ(s.divisor_rule, PoolDivisorRule::Override);
        EXPECT_EQ(s.divisor_text, "divisor_override=2");
        EXPECT_EQ(s.value, 2.0f);
    }
    // A 1x1 window: singular.
    PoolParams one = params(PoolMode::Avg, 2, {1});
    one.count_include_pad = false;
    EXPECT_EQ(PoolCursor(pool_geometry(one, x.shape), x).state_at(0).divisor_text,
              "count_include_pad=False: 1 input cell");
}

TEST(PoolCursor, NegativeDivisorOfZeroSumIsPositiveZero) {
    // torch: F.avg_pool2d(zeros(1,1,3,3), 3, 1, 1, divisor_override=-3) is +0 everywhere (the kernel adds the
    // quotient to a zeroed output).
    PoolParams p = params(PoolMode::Avg, 2, {3});
    p.stride = {1};
    p.padding = {1};
    p.divisor_override = -3;
    const Tensor x({1, 1, 3, 3}, filled(9, 0));
    const PoolGeometry g = pool_geometry(p, x.shape);
    const Tensor y = pool_reference(g, x);
    const PoolCursor cursor(g, x);
    for (int64_t i = 0; i < y.numel(); ++i) {
        EXPECT_FALSE(std::signbit(y[i])) << i;
        EXPECT_FALSE(std::signbit(cursor.state_at(i).value)) << i;
    }
}

TEST(PoolCursor, StepOrderIsNCYX) {
    PoolParams p = params(PoolMode::Max, 2, {2});
    const Tensor x({2, 3, 4, 6}, iota(144));
    const PoolCursor cursor(pool_geometry(p, x.shape), x);  // output (2, 3, 2, 3)
    EXPECT_EQ(cursor.step_count(), 36);
    PoolState s;
    cursor.state_at(23, s);  // 23 = ((1*3 + 0)*2 + 1)*3 + 2
    EXPECT_EQ(s.n, 1);
    EXPECT_EQ(s.c, 0);
    EXPECT_EQ(s.y, 1);
    EXPECT_EQ(s.x, 2);
    EXPECT_EQ(cursor.step_of(1, 0, 1, 2), 23);
}

TEST(PoolCursor, StateAtReusesBuffers) {
    PoolParams p = params(PoolMode::Avg, 2, {3});
    p.stride = {2};
    p.padding = {1};
    const Tensor x({1, 2, 9, 7}, iota(126));
    const PoolCursor cursor(pool_geometry(p, x.shape), x);
    PoolState s;
    cursor.state_at(0, s);
    const PoolTap* taps = s.taps.data();
    for (int64_t step = 1; step < cursor.step_count(); ++step) {
        cursor.state_at(step, s);
        ASSERT_EQ(s.taps.data(), taps) << "step " << step;
    }
}

// The element PyTorch returns, found independently: the last NaN if there is one, otherwise the first maximum
// among the input cells (the first input cell when all are -inf).
int64_t brute_force_winner(const PoolState& s) {
    int64_t winner = -1, last_nan = -1;
    for (size_t i = 0; i < s.taps.size(); ++i) {
        if (s.taps[i].kind != PoolTapKind::Input) continue;
        const float v = s.taps[i].input;
        if (std::isnan(v))
            last_nan = static_cast<int64_t>(i);
        else if (winner < 0 || v > s.taps[static_cast<size_t>(winner)].input)
            winner = static_cast<int64_t>(i);
    }
    return last_nan >= 0 ? last_nan : winner;
}

TEST(PoolCursor, RandomCasesMatchReference) {
    const uint32_t seed = 20261124;
    SCOPED_TRACE("seed=" + std::to_string(seed));
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::normal_distribution<float> normal(0.0f, 1.0f);
    int tested = 0;
    for (int attempt = 0; tested < 200 && attempt < 5000; ++attempt) {
        PoolParams p;
        p.mode = uniform(0, 1) ? PoolMode::Max : PoolMode::Avg;
        p.dims = uniform(1, 2);
        p.kernel_size = {uniform(1, 5)};
        if (p.dims == 2 && uniform(0, 1)) p.kernel_size.push_back(uniform(1, 5));
        if (uniform(0, 3)) p.stride = {uniform(1, 4)};
        p.padding = {uniform(0, 2)};
        if (p.mode == PoolMode::Max) p.dilation = {uniform(1, 3)};
        p.ceil_mode = uniform(0, 1);
        p.count_include_pad = uniform(0, 1);
        if (p.mode == PoolMode::Avg && p.dims == 2 && uniform(0, 4) == 0) p.divisor_override = uniform(1, 7);
        Shape shape;
        if (uniform(0, 3)) shape.push_back(uniform(1, 2));
        shape.push_back(uniform(1, 3));
        for (int i = 0; i < p.dims; ++i) shape.push_back(uniform(1, 11));
        const PoolCheck check = pool_check(p, shape);
        if (!check.ok()) continue;
        ++tested;
        Tensor x(shape);
        const bool ties = uniform(0, 2) == 0;
        for (float& v : x.data) v = ties ? static_cast<float>(uniform(-2, 2)) : normal(rng);
        if (uniform(0, 5) == 0) x[uniform(0, static_cast<int>(x.numel()) - 1)] = kNaN;
        const Tensor y = pool_reference(*check.geometry, x);
        const PoolCursor cursor(*check.geometry, x);
        ASSERT_EQ(cursor.step_count(), y.numel());
        PoolState s;
        for (int64_t step = 0; step < cursor.step_count(); ++step) {
            cursor.state_at(step, s);
            ASSERT_TRUE(same_bits(s.value, y[step]))
                << "case " << tested << " step " << step << " index " << index_text(y.shape, step);
            if (p.mode == PoolMode::Max && s.input_cells > 0) {
                ASSERT_EQ(s.winner_tap, brute_force_winner(s)) << "case " << tested << " step " << step;
                const PoolTap& w = s.taps[static_cast<size_t>(s.winner_tap)];
                ASSERT_EQ(s.argmax, w.py * check.geometry->in[1] + w.px);
            }
        }
    }
    EXPECT_EQ(tested, 200);
}

// -------------------------------------------------------------------------------------------------------- relu

TEST(Relu, ClampsNegativesKeepsNaNAndNegativeZero) {
    // torch.relu(tensor([-2, -0., 0, 3, nan, -inf, inf])) -> [0, -0., 0, 3, nan, 0, inf]
    const Tensor x({7}, {-2.0f, -0.0f, 0.0f, 3.0f, kNaN, -kInf, kInf});
    const Tensor y = relu(x);
    EXPECT_TRUE(tensor_close(y, {7}, {0, 0, 0, 3, kNaN, 0, kInf}));
    EXPECT_TRUE(std::signbit(y[1]));
    EXPECT_FALSE(std::signbit(y[0]));
    EXPECT_FALSE(std::signbit(y[5]));
}

}  // namespace
}  // namespace convscope
