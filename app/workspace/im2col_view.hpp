// The im2col / GEMM view of a convolution: how frameworks compute one as a matrix product per group
// (cs231n's X_col and W_row). GUI-free: the window's im2col panel draws it, the tests check it against core.
//
//   X_col  (H_out*W_out x C_in/groups*kH*kW), one per (batch item n, group):
//          row r    = output position (y, x) = (r / W_out, r % W_out)
//          column k = (ci, ky, kx) with k = (ci*kH + ky)*kW + kx, ci within the group   (F.unfold's order, transposed)
//          value    = the padded input at (group*C_in/groups + ci, y*s_h - pad_top + ky*d_h, x*s_w - pad_left + kx*d_w)
//                     (zeros mode: 0 in the padding ring; reflect/replicate/circular: the real pixel it copies)
//   W_row  (C_out/groups x C_in/groups*kH*kW) = the group's block of weight.reshape(C_out, -1)
//   Y      = W_row . X_col^T + bias  (C_out/groups x H_out*W_out): row j is output channel group*C_out/groups + j
// A 1-D convolution is the canonical 2-D one with H = kH = 1. Row r of X_col at the cursor's position holds
// exactly CursorState::taps' inputs, in the same order.
//
// Sections: Im2colColumn/Im2colCell · Im2colView · size texts
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

struct Im2colColumn {
    int64_t ci = 0, ky = 0, kx = 0;  // ci within the group
};

// One element of X_col and where it comes from.
struct Im2colCell {
    int64_t c = 0;                   // the real input channel
    int64_t py = 0, px = 0;          // padded-input coordinate; outside [0, H) x [0, W) is the padding ring
    int64_t src_y = -1, src_x = -1;  // the real element read (reflect/replicate/circular); -1: zero padding
    bool padding = false;
    float value = 0;
};

class Im2colView {
public:
    // The tensors must outlive the view (it keeps pointers); canonical memory as Scene holds it. bias may be null.
    Im2colView(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

    const ConvGeometry& geometry() const { return g_; }
    int64_t groups() const { return g_.groups; }
    int64_t rows() const { return g_.out[0] * g_.out[1]; }  // X_col rows = Y columns
    int64_t cols() const { return g_.macs_per_output(); }   // X_col and W_row columns
    int64_t w_rows() const { return g_.c_out_per_group; }   // W_row rows = Y rows

    int64_t row_of(int64_t y, int64_t x) const { return y * g_.out[1] + x; }
    std::array<int64_t, 2> position_of(int64_t row) const { return {row / g_.out[1], row % g_.out[1]}; }
    Im2colColumn column(int64_t col) const;
    int64_t column_of(int64_t ci, int64_t ky, int64_t kx) const { return (ci * g_.kernel[0] + ky) * g_.kernel[1] + kx; }
    int64_t group_of(int64_t c_out) const { return c_out / g_.c_out_per_group; }
    int64_t w_row_of(int64_t c_out) const { return c_out % g_.c_out_per_group; }
    int64_t c_out_of(int64_t group, int64_t w_row) const { return group * g_.c_out_per_group + w_row; }

    Im2colCell x_cell(int64_t n, int64_t group, int64_t row, int64_t col) const;
    float x_value(int64_t n, int64_t group, int64_t row, int64_t col) const { return x_cell(n, group, row, col).value; }
    std::vector<float> x_row(int64_t n, int64_t group, int64_t row) const;
    float w_value(int64_t group, int64_t w_row, int64_t col) const;
    std::vector<float> w_row(int64_t group, int64_t w_row) const;
    float bias(int64_t c_out) const { return bias_ ? (*bias_)[c_out] : 0.0f; }
    // Y[w_row, row] = X_col[row] . W_row[w_row] + bias, summed channel by channel in the reference's order.
    float product(int64_t n, int64_t group, int64_t w_row, int64_t row) const;

private:
    ConvGeometry g_;
    const Tensor* x_;
    const Tensor* w_;
    const Tensor* bias_;
};

// "X_col: 1,024 x 75 (H_out*W_out x C_in*kH*kW)", "W_row: 192 x 75 (C_out x C_in*kH*kW)",
// "Y = W_row . X_col^T: 192 x 1,024 (C_out x H_out*W_out)". With groups the per-group sizes and "/groups";
// 1-D: L_out and k.
std::string im2col_x_text(const ConvGeometry& g);
std::string im2col_w_text(const ConvGeometry& g);
std::string im2col_y_text(const ConvGeometry& g);
// "(ci, ky, kx)" header of column k: "(0, 2, 1)"; 1-D: "(ci, k)".
std::string im2col_column_text(const ConvGeometry& g, const Im2colColumn& c);

}  // namespace convscope::workspace
