// The im2col / GEMM view (app/workspace/im2col_view) against core: X_col . W_row^T + bias equals conv_reference
// on the table of awkward layers (tests/conv_cases.hpp, plus ONNX-style asymmetric pads), the row at the cursor
// is exactly CursorState's window, and the size texts give cs231n's AlexNet conv1 numbers (3025 x 363, 96 x 363).
// Live PyTorch (F.unfold of the window's own tensors) is checked by tests/im2col_gui_test.py.
#include "im2col_view.hpp"

#include <gtest/gtest.h>

#include "conv_cases.hpp"
#include "conv_reference.hpp"
#include "cursor.hpp"
#include "export_plan.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

using workspace::Im2colCell;
using workspace::Im2colView;

class Im2colVsReference : public ::testing::TestWithParam<ConvCase> {
protected:
    void SetUp() override {
        const ConvCase& c = GetParam();
        std::mt19937 rng(4321);
        x = testing::random_tensor(c.input, rng);
        w = testing::random_tensor(c.weight, rng);
        b = testing::random_tensor({c.weight[0]}, rng);
        ConvCheck check =
            conv_check(to_params(c), c.input, c.weight, c.bias ? std::optional<Shape>(b.shape) : std::nullopt);
        ASSERT_TRUE(check.ok()) << check.error;
        g = *check.geometry;
        ref = conv_reference(g, x, w, bias());
    }
    const Tensor* bias() const { return GetParam().bias ? &b : nullptr; }
    Tensor x, w, b, ref;
    ConvGeometry g;
};

TEST_P(Im2colVsReference, ProductPlusBiasEqualsReference) {
    const Im2colView v(g, x, w, bias());
    ASSERT_EQ(v.rows() * v.w_rows() * v.groups() * g.n, ref.numel());
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t group = 0; group < v.groups(); ++group)
            for (int64_t j = 0; j < v.w_rows(); ++j)
                for (int64_t r = 0; r < v.rows(); ++r) {
                    // The product written out as a GEMM: Σ_k X_col[r, k] * W_row[j, k], in column order.
                    double gemm = v.bias(v.c_out_of(group, j));
                    for (int64_t k = 0; k < v.cols(); ++k)
                        gemm += double(v.x_value(n, group, r, k)) * v.w_value(group, j, k);
                    const auto [y, xo] = v.position_of(r);
                    const int64_t flat = ((n * g.c_out + v.c_out_of(group, j)) * g.out[0] + y) * g.out[1] + xo;
                    const float e = ref[flat];
                    ASSERT_NEAR(gemm, e, 1e-5 + 1e-5 * std::fabs(e))
                        << "Y at " << testing::index_text(g.output_shape(), flat);
                    // product() sums channel by channel as the reference does: the same bits.
                    ASSERT_EQ(v.product(n, group, j, r), e) << "at " << testing::index_text(g.output_shape(), flat);
                }
}

TEST_P(Im2colVsReference, RowAtTheCursorIsTheCursorsWindow) {
    const Im2colView v(g, x, w, bias());
    const ConvCursor cursor(g, x, w, bias());
    CursorState s;
    const int64_t count = cursor.step_count(Granularity::Mac);
    const int64_t stride = std::max<int64_t>(1, count / 97);  // ~100 steps spread over the whole layer
    for (int64_t step = 0; step < count; step += stride) {
        cursor.state_at(step, Granularity::Mac, s);
        const int64_t group = v.group_of(s.c_out), r = v.row_of(s.y, s.x), j = v.w_row_of(s.c_out);
        ASSERT_EQ(v.c_out_of(group, j), s.c_out);
        ASSERT_EQ(v.position_of(r), (std::array<int64_t, 2>{s.y, s.x}));
        ASSERT_EQ(static_cast<int64_t>(s.taps.size()), v.cols());
        const std::vector<float> xr = v.x_row(s.n, group, r), wr = v.w_row(group, j);
        for (int64_t k = 0; k < v.cols(); ++k) {
            const CursorTap& t = s.taps[static_cast<size_t>(k)];
            const Im2colCell cell = v.x_cell(s.n, group, r, k);
            const workspace::Im2colColumn col = v.column(k);
            ASSERT_EQ(v.column_of(col.ci, col.ky, col.kx), k);
            ASSERT_EQ(col.ky, t.ky);
            ASSERT_EQ(col.kx, t.kx);
            ASSERT_EQ(cell.c, s.channels[static_cast<size_t>(col.ci)].c_in);
            ASSERT_EQ(xr[static_cast<size_t>(k)], t.input) << "step " << step << " column " << k;
            ASSERT_EQ(wr[static_cast<size_t>(k)], t.weight) << "step " << step << " column " << k;
            ASSERT_EQ(cell.padding, t.padding) << "step " << step << " column " << k;
            ASSERT_EQ(cell.py, t.py);
            ASSERT_EQ(cell.px, t.px);
            ASSERT_EQ(cell.src_y, t.src_y);
            ASSERT_EQ(cell.src_x, t.src_x);
        }
        // The current MAC is column s.mac of that row.
        ASSERT_EQ(v.column_of(s.ci, s.ky, s.kx), s.mac);
        ASSERT_EQ(v.product(s.n, group, j, r), s.value) << "step " << step;
    }
}

TEST_P(Im2colVsReference, ZeroPaddingCellsAreZeroAndOthersCopyARealPixel) {
    const Im2colView v(g, x, w, bias());
    int64_t padding_cells = 0;
    for (int64_t r = 0; r < v.rows(); ++r)
        for (int64_t k = 0; k < v.cols(); ++k) {
            const Im2colCell c = v.x_cell(0, 0, r, k);
            if (!c.padding) {
                ASSERT_EQ(c.src_y, c.py);
                ASSERT_EQ(c.src_x, c.px);
                continue;
            }
            ++padding_cells;
            if (g.mode == PaddingMode::Zeros) {
                ASSERT_EQ(c.value, 0.0f);
                ASSERT_EQ(c.src_y, -1);
            } else {
                ASSERT_GE(c.src_y, 0);
                ASSERT_LT(c.src_y, g.in[0]);
                ASSERT_GE(c.src_x, 0);
                ASSERT_LT(c.src_x, g.in[1]);
                ASSERT_EQ(c.value, x[((0 * g.c_in + c.c) * g.in[0] + c.src_y) * g.in[1] + c.src_x]);
            }
        }
    const bool padded = g.pad_begin[0] + g.pad_begin[1] + g.pad_end[0] + g.pad_end[1] > 0;
    // Every padded layer of the table reads some padding (the padding ring is within reach of a window).
    EXPECT_EQ(padding_cells > 0, padded);
}

INSTANTIATE_TEST_SUITE_P(Table, Im2colVsReference, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ConvCase>& p) { return std::string(p.param.name); });

TEST(Im2col, AsymmetricOnnxPadsAndReflect) {
    // ONNX pads [top=2, left=0, bottom=1, right=3] with reflect: every column still reads the right padded cell.
    std::mt19937 rng(77);
    const Tensor x = testing::random_tensor({2, 4, 7, 6}, rng), w = testing::random_tensor({6, 2, 3, 2}, rng),
                 b = testing::random_tensor({6}, rng);
    ConvParams p;
    p.pads_begin = {2, 0};
    p.pads_end = {1, 3};
    p.stride = {2, 1};
    p.dilation = {1, 2};
    p.groups = 2;
    p.padding_mode = PaddingMode::Reflect;
    const ConvGeometry g = conv_geometry(p, x.shape, w.shape, b.shape);
    const Tensor ref = conv_reference(g, x, w, &b);
    const Im2colView v(g, x, w, &b);
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t group = 0; group < 2; ++group)
            for (int64_t j = 0; j < v.w_rows(); ++j)
                for (int64_t r = 0; r < v.rows(); ++r) {
                    const auto [y, xo] = v.position_of(r);
                    EXPECT_EQ(v.product(n, group, j, r),
                              ref[((n * 6 + v.c_out_of(group, j)) * g.out[0] + y) * g.out[1] + xo]);
                }
    // Row 0, column (ci 0, ky 0, kx 0): padded row -2 mirrors to row 2 of channel 0 (group 0).
    const Im2colCell c = v.x_cell(1, 0, 0, 0);
    EXPECT_TRUE(c.padding);
    EXPECT_EQ(c.py, -2);
    EXPECT_EQ(c.src_y, 2);
    EXPECT_EQ(c.value, x[((1 * 4 + 0) * 7 + 2) * 6 + 0]);
    // Group 1 reads channels 2 and 3.
    EXPECT_EQ(v.x_cell(0, 1, 0, v.column_of(1, 0, 0)).c, 3);
}

TEST(Im2col, SizeTextsSayCs231nsAlexNetNumbers) {
    // cs231n: a 227x227x3 input through 96 11x11 filters at stride 4 gives X_col 363 x 3025 and W_row 96 x 363
    // (we write X_col with rows = output positions, as F.unfold(x).transpose(1, 2) does).
    ConvParams p;
    p.stride = {4};
    const ConvCheck alex = conv_check(p, {1, 3, 227, 227}, {96, 3, 11, 11}, Shape{96});
    ASSERT_TRUE(alex.ok()) << alex.error;
    EXPECT_EQ(workspace::im2col_x_text(*alex.geometry), "X_col: 3,025 x 363 (H_out*W_out x C_in*kH*kW)");
    EXPECT_EQ(workspace::im2col_w_text(*alex.geometry), "W_row: 96 x 363 (C_out x C_in*kH*kW)");
    EXPECT_EQ(workspace::im2col_y_text(*alex.geometry), "Y = W_row . X_col^T + bias: 96 x 3,025 (C_out x H_out*W_out)");
    // The S1 layer: Conv2d(3, 192, 5, padding=2) on 32x32.
    ConvParams s1;
    s1.padding = {2};
    const ConvCheck q1 = conv_check(s1, {1, 3, 32, 32}, {192, 3, 5, 5}, Shape{192});
    ASSERT_TRUE(q1.ok());
    EXPECT_EQ(workspace::im2col_x_text(*q1.geometry), "X_col: 1,024 x 75 (H_out*W_out x C_in*kH*kW)");
    EXPECT_EQ(workspace::im2col_w_text(*q1.geometry), "W_row: 192 x 75 (C_out x C_in*kH*kW)");
    // Groups and Conv1d.
    ConvParams gp;
    gp.dims = 1;
    gp.groups = 2;
    const ConvCheck c1 = conv_check(gp, {1, 4, 10}, {6, 2, 3}, std::nullopt);
    ASSERT_TRUE(c1.ok());
    EXPECT_EQ(workspace::im2col_x_text(*c1.geometry), "X_col: 8 x 6 (L_out x C_in/groups*k), one per group (2 groups)");
    EXPECT_EQ(workspace::im2col_w_text(*c1.geometry),
              "W_row: 3 x 6 (C_out/groups x C_in/groups*k), one per group (2 groups)");
    EXPECT_EQ(workspace::im2col_y_text(*c1.geometry), "Y = W_row . X_col^T: 3 x 8 (C_out/groups x L_out)");
    EXPECT_EQ(workspace::im2col_column_text(*c1.geometry, {1, 0, 2}), "(1, 2)");
    EXPECT_EQ(workspace::im2col_column_text(*q1.geometry, {2, 4, 1}), "(2, 4, 1)");
}

TEST(Im2col, ExportPanelName) {
    // `--panel im2col` crops an export to the panel's window (its title is the one draw_im2col begins).
    EXPECT_EQ(workspace::export_panel_title("im2col"), "im2col / GEMM");
    EXPECT_EQ(workspace::export_panel_title("GEMM"), "im2col / GEMM");
}

}  // namespace
}  // namespace convscope
