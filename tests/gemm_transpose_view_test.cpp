// The GEMM + col2im view of a transposed convolution (app/workspace/gemm_transpose_view) against core: col2im(W^T . X)
// + bias equals conv_transpose_reference on a table of awkward layers (exactly on small integers, within 1e-5 on
// random floats), column (iy, ix) of `columns` is that input element's stamp (ScatterState's taps: products and
// landing cells), and the entries col2im adds into an output are the gather cursor's taps on real input elements.
// Live PyTorch (W^T @ X and F.fold of the window's own tensors) is checked by tests/im2col_gui_test.py.
//
// Sections: cases · col2im against the reference · the scatter stamp · the gather window · texts
#include "gemm_transpose_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include "conv_transpose_cursor.hpp"
#include "conv_transpose_reference.hpp"
#include "test_util.hpp"
#include "transpose_scene.hpp"

namespace convscope {
namespace {

using workspace::Col2imCell;
using workspace::GemmTransposeView;
using workspace::GemmTRow;

// ---- cases ----

struct GemmTCase {
    const char* name;
    int dims;
    Shape input;   // PyTorch shape
    Shape weight;  // (C_in, C_out/groups, k...)
    bool bias;
    std::vector<int64_t> stride, padding, output_padding, dilation;
    int64_t groups;
};

const GemmTCase kCases[] = {
    {"DefaultUpsampler", 2, {1, 1, 4, 4}, {1, 1, 3, 3}, true, {2}, {0}, {0}, {1}, 1},
    {"Stride1Padding1", 2, {1, 3, 5, 4}, {3, 2, 3, 3}, true, {1}, {1}, {0}, {1}, 1},
    {"Stride2KernelNotDivisible", 2, {2, 2, 5, 4}, {2, 3, 3, 3}, true, {2}, {1}, {1}, {1}, 1},
    {"Stride3OutputPadding2", 2, {1, 2, 3, 4}, {2, 2, 3, 2}, false, {3}, {0}, {2}, {1}, 1},
    {"StrideLargerThanKernel", 2, {1, 2, 4, 3}, {2, 2, 2, 2}, true, {3, 2}, {0}, {1}, {1}, 1},
    {"Dilation2", 2, {1, 2, 5, 5}, {2, 3, 3, 3}, true, {1}, {2}, {1}, {2}, 1},
    {"PaddingCropsMoreThanKernel", 2, {1, 2, 6, 5}, {2, 2, 2, 3}, true, {2}, {2, 3}, {0}, {1}, 1},
    {"Groups3", 2, {1, 6, 4, 3}, {6, 3, 3, 3}, true, {2}, {1}, {1}, {1}, 3},
    {"Depthwise", 2, {2, 5, 3, 4}, {5, 1, 3, 3}, true, {2, 1}, {1, 0}, {1, 0}, {1}, 5},
    {"SevenBySevenOnOneByOne", 2, {1, 2, 1, 1}, {2, 3, 7, 7}, true, {1}, {2}, {0}, {1}, 1},
    {"Unbatched2d", 2, {3, 4, 4}, {3, 2, 3, 3}, true, {2}, {0}, {1}, {1}, 1},
    {"Conv1dStride3", 1, {2, 4, 7}, {4, 3, 4}, true, {3}, {1}, {2}, {1}, 1},
    {"Conv1dDilatedGroups", 1, {1, 4, 6}, {4, 2, 3}, false, {2}, {3}, {1}, {2}, 2},
};

class GemmTVsReference : public ::testing::TestWithParam<GemmTCase> {
protected:
    // integers: small integer data (every sum exact in float32, in any order); else seeded uniform floats
    void make(bool integers) {
        const GemmTCase& c = GetParam();
        const unsigned seed = integers ? 77u : 4321u;
        std::mt19937 rng(seed);
        SCOPED_TRACE("seed " + std::to_string(seed));
        auto fill = [&](const Shape& s) {
            if (!integers) return testing::random_tensor(s, rng);
            Tensor t(s);
            std::uniform_int_distribution<int> d(-3, 3);
            for (float& v : t.data) v = static_cast<float>(d(rng));
            return t;
        };
        x = fill(c.input);
        w = fill(c.weight);
        b = fill({c.weight[1] * c.groups});
        ConvTransposeParams p;
        p.dims = c.dims;
        p.stride = c.stride;
        p.padding = c.padding;
        p.output_padding = c.output_padding;
        p.dilation = c.dilation;
        p.groups = c.groups;
        const ConvTransposeCheck check =
            conv_transpose_check(p, c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
        ASSERT_TRUE(check.ok()) << check.error;
        g = *check.geometry;
        ref = conv_transpose_reference(g, x, w, bias());
        ref.shape = g.output_shape();  // canonical (N, C_out, H_out, W_out): the same memory
    }
    const Tensor* bias() const { return GetParam().bias ? &b : nullptr; }
    Tensor x, w, b, ref;
    ConvTransposeGeometry g;
};

// ---- col2im against the reference ----

TEST_P(GemmTVsReference, Col2imOfColumnsPlusBiasEqualsReference) {
    make(false);
    const GemmTransposeView v(g, x, w, bias());
    EXPECT_TRUE(testing::tensors_close(v.col2im_output(), ref, 1e-5f, 1e-5f));
    make(true);
    const GemmTransposeView vi(g, x, w, bias());
    const Tensor yi = vi.col2im_output();
    ASSERT_EQ(yi.shape, ref.shape);
    for (int64_t i = 0; i < ref.numel(); ++i)
        ASSERT_EQ(yi[i], ref[i]) << "integer data, at " << testing::index_text(ref.shape, i);
}

TEST_P(GemmTVsReference, ColumnsAreTheMatrixProduct) {
    make(false);
    const GemmTransposeView v(g, x, w, bias());
    ASSERT_EQ(v.rows(), g.c_out_per_group * g.kernel[0] * g.kernel[1]);
    ASSERT_EQ(v.cols(), g.in[0] * g.in[1]);
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t group = 0; group < g.groups; ++group)
            for (int64_t r = 0; r < v.rows(); ++r) {
                const GemmTRow k = v.row(r);
                ASSERT_EQ(v.row_of(k.co, k.ky, k.kx), r);
                for (int64_t col = 0; col < v.cols(); ++col) {
                    const auto [iy, ix] = v.position_of(col);
                    ASSERT_EQ(v.col_of(iy, ix), col);
                    // the definition, straight from the tensors: Σ_ci w[ci, co, ky, kx] * x[n, ci, iy, ix]
                    double e = 0;
                    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
                        const int64_t c = group * g.c_in_per_group + ci;
                        const float wv = w[((c * g.c_out_per_group + k.co) * g.kernel[0] + k.ky) * g.kernel[1] + k.kx];
                        const float xv = x[((n * g.c_in + c) * g.in[0] + iy) * g.in[1] + ix];
                        ASSERT_EQ(v.wt_value(group, r, ci), wv);
                        ASSERT_EQ(v.x_value(n, group, ci, col), xv);
                        e += double(wv) * xv;
                    }
                    ASSERT_NEAR(v.column_value(n, group, r, col), e, 1e-5 + 1e-5 * std::fabs(e));
                }
            }
}

// ---- the scatter stamp: column (iy, ix) of columns ----

TEST_P(GemmTVsReference, ColumnOfAnInputElementIsItsScatterStamp) {
    make(false);
    const GemmTransposeView v(g, x, w, bias());
    const ConvTransposeCursor cur(g, x, w, bias());
    ScatterState st;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t col = 0; col < v.cols(); ++col) {
            const auto [iy, ix] = v.position_of(col);
            for (int64_t group = 0; group < g.groups; ++group) {
                std::vector<double> sums(static_cast<size_t>(v.rows()), 0.0);
                for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
                    const int64_t c = v.c_in_of(group, ci);
                    cur.scatter_state_at(cur.scatter_step_of(n, c, iy, ix, Granularity::Mac), Granularity::Mac, st);
                    ASSERT_EQ(st.group, group);
                    ASSERT_EQ(static_cast<int64_t>(st.taps.size()), v.rows());
                    for (int64_t r = 0; r < v.rows(); ++r) {
                        const ScatterTap& tap = st.taps[static_cast<size_t>(r)];
                        const GemmTRow k = v.row(r);
                        ASSERT_EQ(tap.co, v.c_out_of(group, k.co));
                        ASSERT_EQ(tap.ky, k.ky);
                        ASSERT_EQ(tap.kx, k.kx);
                        ASSERT_EQ(tap.product, v.wt_value(group, r, ci) * v.x_value(n, group, ci, col));
                        const Col2imCell land = v.landing(r, col);
                        ASSERT_EQ(land.cropped, tap.cropped) << "row " << r << " column " << col;
                        if (!tap.cropped) {
                            ASSERT_EQ(std::make_pair(land.oy, land.ox), std::make_pair(tap.oy, tap.ox));
                        }
                        sums[static_cast<size_t>(r)] += tap.product;
                    }
                }
                for (int64_t r = 0; r < v.rows(); ++r) {
                    const double e = sums[static_cast<size_t>(r)];
                    const float got = v.column_value(n, group, r, col);
                    if (g.c_in_per_group == 1)
                        ASSERT_EQ(got, static_cast<float>(e)) << "one input channel: the stamp's product itself";
                    else
                        ASSERT_NEAR(got, e, 1e-5 + 1e-5 * std::fabs(e));
                }
            }
        }
}

// ---- the gather window: the entries col2im adds into one output ----

TEST_P(GemmTVsReference, EntriesLandingOnAnOutputAreTheGatherTapsOnRealInputs) {
    make(false);
    const GemmTransposeView v(g, x, w, bias());
    const ConvTransposeCursor cur(g, x, w, bias());
    // every non-cropped entry, by (output channel within group, oy, ox)
    std::map<std::array<int64_t, 3>, std::vector<std::pair<int64_t, int64_t>>> lands;
    for (int64_t r = 0; r < v.rows(); ++r)
        for (int64_t col = 0; col < v.cols(); ++col) {
            const Col2imCell c = v.landing(r, col);
            if (!c.cropped) lands[{v.row(r).co, c.oy, c.ox}].emplace_back(r, col);
        }
    GatherState st;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t co = 0; co < g.c_out; ++co)
            for (int64_t oy = 0; oy < g.out[0]; ++oy)
                for (int64_t ox = 0; ox < g.out[1]; ++ox) {
                    const int64_t group = v.group_of_output(co);
                    cur.gather_state_at(cur.gather_step_of(n, co, oy, ox, Granularity::Position), Granularity::Position,
                                        st);
                    // the taps on real input elements, one input channel's worth (every channel has the same ones)
                    std::vector<std::pair<int64_t, int64_t>> taps;
                    const int64_t kk = g.kernel[0] * g.kernel[1];
                    for (int64_t t = 0; t < kk; ++t) {
                        const GatherTap& tap = st.taps[static_cast<size_t>(t)];
                        if (tap.kind != GatherTapKind::Input) continue;
                        taps.emplace_back(v.row_of(co - group * g.c_out_per_group, tap.ky, tap.kx),
                                          v.col_of(tap.iy, tap.ix));
                    }
                    ASSERT_EQ(static_cast<int64_t>(taps.size()) * g.c_in_per_group, st.contributing);
                    std::vector<std::pair<int64_t, int64_t>> entries = lands[{co - group * g.c_out_per_group, oy, ox}];
                    std::sort(entries.begin(), entries.end());
                    std::sort(taps.begin(), taps.end());
                    ASSERT_EQ(entries, taps) << "output (" << n << ", " << co << ", " << oy << ", " << ox << ")";
                    double sum = v.bias(co);
                    for (const auto& [r, col] : entries) sum += v.column_value(n, group, r, col);
                    ASSERT_NEAR(sum, st.value, 1e-5 + 1e-5 * std::fabs(st.value));
                }
}

INSTANTIATE_TEST_SUITE_P(Table, GemmTVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<GemmTCase>& i) { return std::string(i.param.name); });

// ---- texts ----

TEST(GemmTransposeText, DefaultUpsamplerSizes) {
    const workspace::TransposeCheck c = workspace::transpose_edit_check(workspace::default_transpose_edit());
    ASSERT_TRUE(c.ok()) << c.error;
    const ConvTransposeGeometry& g = *c.geometry;
    EXPECT_EQ(workspace::gemm_t_w_text(g), "W^T: 9 x 1 (C_out*kH*kW x C_in)");
    EXPECT_EQ(workspace::gemm_t_x_text(g), "X: 1 x 16 (C_in x H*W)");
    EXPECT_EQ(workspace::gemm_t_columns_text(g), "columns = W^T . X: 9 x 16 (C_out*kH*kW x H*W)");
    EXPECT_EQ(workspace::gemm_t_y_text(g), "col2im + bias -> y: 9 x 9 (H_out x W_out) per output channel");
    EXPECT_EQ(workspace::gemm_t_row_text(g, {0, 2, 1}), "(0, 2, 1)");
    EXPECT_EQ(workspace::gemm_t_col_text(g, 3, 1), "(3, 1)");
}

TEST(GemmTransposeText, GroupsAndOneD) {
    workspace::TransposeEdit e = workspace::default_transpose_edit();
    std::string err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "dims", "1", err)) << err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "in_channels", "4", err)) << err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "out_channels", "6", err)) << err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "groups", "2", err)) << err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "bias", "false", err)) << err;
    ASSERT_TRUE(workspace::apply_transpose_setting(e, "length", "5", err)) << err;
    const workspace::TransposeCheck c = workspace::transpose_edit_check(e);
    ASSERT_TRUE(c.ok()) << c.error;
    const ConvTransposeGeometry& g = *c.geometry;
    // (5-1)*2 + (3-1) + 1 = 11
    EXPECT_EQ(workspace::gemm_t_w_text(g), "W^T: 9 x 2 (C_out/groups*k x C_in/groups), one per group (2 groups)");
    EXPECT_EQ(workspace::gemm_t_x_text(g), "X: 2 x 5 (C_in/groups x L), one per group (2 groups)");
    EXPECT_EQ(workspace::gemm_t_columns_text(g), "columns = W^T . X: 9 x 5 (C_out/groups*k x L)");
    EXPECT_EQ(workspace::gemm_t_y_text(g), "col2im -> y: 11 (L_out) per output channel");
    EXPECT_EQ(workspace::gemm_t_row_text(g, {2, 0, 1}), "(2, 1)");
    EXPECT_EQ(workspace::gemm_t_col_text(g, 0, 4), "(4)");
}

}  // namespace
}  // namespace convscope
