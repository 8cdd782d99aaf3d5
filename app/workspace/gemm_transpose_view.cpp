#include "gemm_transpose_view.hpp"

#include <cassert>

#include "file_io.hpp"

namespace convscope::workspace {

GemmTransposeView::GemmTransposeView(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w,
                                     const Tensor* bias)
    : g_(g), x_(&x), w_(&w), bias_(bias) {
    assert(x.numel() == g.input_positions());
    assert(w.numel() == g.c_in * g.macs_per_input());
}

GemmTRow GemmTransposeView::row(int64_t r) const {
    const int64_t kH = g_.kernel[0], kW = g_.kernel[1];
    return {r / (kH * kW), (r / kW) % kH, r % kW};
}

float GemmTransposeView::wt_value(int64_t group, int64_t r, int64_t ci) const {
    assert(r >= 0 && r < rows() && ci >= 0 && ci < inner());
    // weight (C_in, C_out/groups, kH, kW) row-major: input channel c's block is one contiguous row of length
    // C_out/groups*kH*kW in (co, ky, kx) order, so W^T[r, ci] is that row's entry r.
    return (*w_)[c_in_of(group, ci) * rows() + r];
}

float GemmTransposeView::x_value(int64_t n, int64_t group, int64_t ci, int64_t col) const {
    assert(col >= 0 && col < cols() && ci >= 0 && ci < inner());
    return (*x_)[(n * g_.c_in + c_in_of(group, ci)) * cols() + col];
}

float GemmTransposeView::column_value(int64_t n, int64_t group, int64_t r, int64_t col) const {
    float sum = 0.0f;
    for (int64_t ci = 0; ci < inner(); ++ci) sum += wt_value(group, r, ci) * x_value(n, group, ci, col);
    return sum;
}

Col2imCell GemmTransposeView::landing(int64_t r, int64_t col) const {
    const GemmTRow k = row(r);
    const auto [iy, ix] = position_of(col);
    Col2imCell c;
    c.oy = iy * g_.stride[0] - g_.padding[0] + k.ky * g_.dilation[0];
    c.ox = ix * g_.stride[1] - g_.padding[1] + k.kx * g_.dilation[1];
    c.cropped = c.oy < 0 || c.oy >= g_.out[0] || c.ox < 0 || c.ox >= g_.out[1];
    return c;
}

Tensor GemmTransposeView::col2im_output() const {
    // y: (N, C_out, H_out, W_out), zeroed: col2im adds into it
    Tensor y(g_.output_shape());
    const int64_t plane = g_.out[0] * g_.out[1];
    for (int64_t n = 0; n < g_.n; ++n)
        for (int64_t group = 0; group < g_.groups; ++group)
            for (int64_t r = 0; r < rows(); ++r) {
                const int64_t co = c_out_of(group, row(r).co);
                for (int64_t col = 0; col < cols(); ++col) {
                    const Col2imCell cell = landing(r, col);
                    if (cell.cropped) continue;
                    y[(n * g_.c_out + co) * plane + cell.oy * g_.out[1] + cell.ox] += column_value(n, group, r, col);
                }
            }
    if (bias_)
        for (int64_t n = 0; n < g_.n; ++n)
            for (int64_t co = 0; co < g_.c_out; ++co)
                for (int64_t i = 0; i < plane; ++i) y[(n * g_.c_out + co) * plane + i] += bias(co);
    return y;
}

// ---- size texts ----

namespace {

std::string count(int64_t v) { return grouped_int(static_cast<uint64_t>(v)); }  // sizes: never negative

std::string per(const ConvTransposeGeometry& g, const char* what) {
    return std::string(what) + (g.groups > 1 ? "/groups" : "");
}
std::string cout_k(const ConvTransposeGeometry& g) { return per(g, "C_out") + (g.dims == 1 ? "*k" : "*kH*kW"); }
std::string positions(const ConvTransposeGeometry& g) { return g.dims == 1 ? "L" : "H*W"; }
std::string per_group(const ConvTransposeGeometry& g) {
    return g.groups > 1 ? ", one per group (" + count(g.groups) + " groups)" : "";
}

}  // namespace

std::string gemm_t_w_text(const ConvTransposeGeometry& g) {
    return "W^T: " + count(g.macs_per_input()) + " x " + count(g.c_in_per_group) + " (" + cout_k(g) + " x " +
           per(g, "C_in") + ")" + per_group(g);
}

std::string gemm_t_x_text(const ConvTransposeGeometry& g) {
    return "X: " + count(g.c_in_per_group) + " x " + count(g.in[0] * g.in[1]) + " (" + per(g, "C_in") + " x " +
           positions(g) + ")" + per_group(g);
}

std::string gemm_t_columns_text(const ConvTransposeGeometry& g) {
    return "columns = W^T . X: " + count(g.macs_per_input()) + " x " + count(g.in[0] * g.in[1]) + " (" + cout_k(g) +
           " x " + positions(g) + ")";
}

std::string gemm_t_y_text(const ConvTransposeGeometry& g) {
    const std::string bias = g.has_bias ? " + bias" : "";
    if (g.dims == 1) return "col2im" + bias + " -> y: " + count(g.out[1]) + " (L_out) per output channel";
    return "col2im" + bias + " -> y: " + count(g.out[0]) + " x " + count(g.out[1]) +
           " (H_out x W_out) per output channel";
}

std::string gemm_t_row_text(const ConvTransposeGeometry& g, const GemmTRow& r) {
    if (g.dims == 1) return "(" + std::to_string(r.co) + ", " + std::to_string(r.kx) + ")";
    return "(" + std::to_string(r.co) + ", " + std::to_string(r.ky) + ", " + std::to_string(r.kx) + ")";
}

std::string gemm_t_col_text(const ConvTransposeGeometry& g, int64_t iy, int64_t ix) {
    if (g.dims == 1) return "(" + std::to_string(ix) + ")";
    return "(" + std::to_string(iy) + ", " + std::to_string(ix) + ")";
}

}  // namespace convscope::workspace
