// The GEMM + col2im view of a transposed convolution: how PyTorch computes one (slow_conv_transpose2d, and
// core/conv_transpose_fast.cpp). GUI-free: the im2col panel draws it in Layer kind ConvTranspose, the tests check it
// against core and live PyTorch (torch.nn.functional.fold IS col2im).
//
//   Per batch item n and group:
//   W^T      (C_out/groups*kH*kW x C_in/groups): the group's weight rows reshaped (C_in/groups, C_out/groups*kH*kW),
//            transposed; row r = (co, ky, kx) with r = (co*kH + ky)*kW + kx, co within the group
//   X        (C_in/groups x H*W): the group's input channels, each flattened; column c = input position (c / W, c % W)
//   columns  = W^T . X  (C_out/groups*kH*kW x H*W): columns[(co, ky, kx), (iy, ix)] = Σ_ci w[ci, co, ky, kx] * x[ci,
//   iy, ix] col2im   ADDS columns[(co, ky, kx), (iy, ix)] into y[co, iy*s_h - p_h + ky*d_h, ix*s_w - p_w + kx*d_w]; an
//   entry
//            landing outside [0, H_out) x [0, W_out) is dropped (cropped); then the bias is added.
// Column (iy, ix) of columns is input element (iy, ix)'s stamp: its products summed over the group's input channels
// (with one input channel: exactly ScatterState::taps' products, in the same (co, ky, kx) order).
// A 1-D transposed convolution is the canonical 2-D one with H = kH = 1.
//
// Sections: GemmTRow/Col2imCell · GemmTransposeView · size texts
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "conv_transpose_spec.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

struct GemmTRow {
    int64_t co = 0, ky = 0, kx = 0;  // co within the group
};

// Where one entry of `columns` lands in the output plane of its channel.
struct Col2imCell {
    int64_t oy = 0, ox = 0;  // may be outside the output (1-D: oy = 0)
    bool cropped = false;    // outside [0, H_out) x [0, W_out): col2im drops it
};

class GemmTransposeView {
public:
    // The tensors must outlive the view (it keeps pointers); canonical memory as TransposeScene holds it.
    // bias may be null.
    GemmTransposeView(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

    const ConvTransposeGeometry& geometry() const { return g_; }
    int64_t groups() const { return g_.groups; }
    int64_t rows() const { return g_.macs_per_input(); }  // W^T and columns rows: C_out/groups*kH*kW
    int64_t cols() const { return g_.in[0] * g_.in[1]; }  // X and columns columns: H*W
    int64_t inner() const { return g_.c_in_per_group; }   // W^T columns = X rows

    int64_t row_of(int64_t co, int64_t ky, int64_t kx) const { return (co * g_.kernel[0] + ky) * g_.kernel[1] + kx; }
    GemmTRow row(int64_t r) const;
    int64_t col_of(int64_t iy, int64_t ix) const { return iy * g_.in[1] + ix; }
    std::array<int64_t, 2> position_of(int64_t col) const { return {col / g_.in[1], col % g_.in[1]}; }
    int64_t group_of_input(int64_t c_in) const { return c_in / g_.c_in_per_group; }
    int64_t group_of_output(int64_t c_out) const { return c_out / g_.c_out_per_group; }
    int64_t c_out_of(int64_t group, int64_t co) const { return group * g_.c_out_per_group + co; }
    int64_t c_in_of(int64_t group, int64_t ci) const { return group * g_.c_in_per_group + ci; }

    // W^T[r, ci] = w[group*C_in/groups + ci, co, ky, kx] with (co, ky, kx) = row(r)
    float wt_value(int64_t group, int64_t r, int64_t ci) const;
    // X[ci, col] = x[n, group*C_in/groups + ci, iy, ix]
    float x_value(int64_t n, int64_t group, int64_t ci, int64_t col) const;
    // columns[r, col] = Σ_ci W^T[r, ci] * X[ci, col], in input-channel order
    float column_value(int64_t n, int64_t group, int64_t r, int64_t col) const;
    // Where columns[r, col] lands (the same for every batch item and group).
    Col2imCell landing(int64_t r, int64_t col) const;
    float bias(int64_t c_out) const { return bias_ ? (*bias_)[c_out] : 0.0f; }

    // The whole layer the GEMM way: for every batch item and group columns = W^T . X, col2im into a zeroed output,
    // then the bias. Canonical output shape (N, C_out, H_out, W_out).
    Tensor col2im_output() const;

private:
    ConvTransposeGeometry g_;
    const Tensor* x_;
    const Tensor* w_;
    const Tensor* bias_;
};

// "W^T: 9 x 1 (C_out*kH*kW x C_in)", "X: 1 x 16 (C_in x H*W)", "columns = W^T . X: 9 x 16 (C_out*kH*kW x H*W)",
// "col2im -> y: 9 x 9 (H_out x W_out) per output channel". With groups the per-group sizes, "/groups" and
// ", one per group (2 groups)"; 1-D: k, L and L_out. "+ bias" after col2im when the layer has one.
std::string gemm_t_w_text(const ConvTransposeGeometry& g);
std::string gemm_t_x_text(const ConvTransposeGeometry& g);
std::string gemm_t_columns_text(const ConvTransposeGeometry& g);
std::string gemm_t_y_text(const ConvTransposeGeometry& g);
// Row header "(co, ky, kx)" as "(0, 2, 1)", 1-D "(co, k)"; column header "(iy, ix)" / "(i)".
std::string gemm_t_row_text(const ConvTransposeGeometry& g, const GemmTRow& r);
std::string gemm_t_col_text(const ConvTransposeGeometry& g, int64_t iy, int64_t ix);

}  // namespace convscope::workspace
