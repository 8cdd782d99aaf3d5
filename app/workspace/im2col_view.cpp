#include "im2col_view.hpp"

#include <cassert>

#include "conv_reference.hpp"
#include "file_io.hpp"

namespace convscope::workspace {

Im2colView::Im2colView(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias)
    : g_(g), x_(&x), w_(&w), bias_(bias) {
    assert(x.numel() == shape_numel(g.input_shape()));
}

Im2colColumn Im2colView::column(int64_t col) const {
    const int64_t kH = g_.kernel[0], kW = g_.kernel[1];
    return {col / (kH * kW), (col / kW) % kH, col % kW};
}

Im2colCell Im2colView::x_cell(int64_t n, int64_t group, int64_t row, int64_t col) const {
    assert(row >= 0 && row < rows() && col >= 0 && col < cols());
    const auto [y, x] = position_of(row);
    const Im2colColumn k = column(col);
    const auto [H, W] = g_.in;
    Im2colCell cell;
    cell.c = group * g_.c_in_per_group + k.ci;
    // The tap's place in the padded input: the same arithmetic as ConvCursor::state_at.
    cell.py = y * g_.stride[0] - g_.pad_begin[0] + k.ky * g_.dilation[0];
    cell.px = x * g_.stride[1] - g_.pad_begin[1] + k.kx * g_.dilation[1];
    cell.padding = cell.py < 0 || cell.py >= H || cell.px < 0 || cell.px >= W;
    const int64_t sy = resolve_padded_index(cell.py, H, g_.mode);
    const int64_t sx = resolve_padded_index(cell.px, W, g_.mode);
    if (sy >= 0 && sx >= 0) {
        cell.src_y = sy;
        cell.src_x = sx;
        cell.value = (*x_)[((n * g_.c_in + cell.c) * H + sy) * W + sx];
    }
    return cell;
}

std::vector<float> Im2colView::x_row(int64_t n, int64_t group, int64_t row) const {
    std::vector<float> r(static_cast<size_t>(cols()));
    for (int64_t k = 0; k < cols(); ++k) r[static_cast<size_t>(k)] = x_value(n, group, row, k);
    return r;
}

float Im2colView::w_value(int64_t group, int64_t w_row, int64_t col) const {
    // weight (C_out, C_in/groups, kH, kW) row-major: row c_out of weight.reshape(C_out, -1) is contiguous.
    return (*w_)[c_out_of(group, w_row) * cols() + col];
}

std::vector<float> Im2colView::w_row(int64_t group, int64_t w_row) const {
    std::vector<float> r(static_cast<size_t>(cols()));
    for (int64_t k = 0; k < cols(); ++k) r[static_cast<size_t>(k)] = w_value(group, w_row, k);
    return r;
}

float Im2colView::product(int64_t n, int64_t group, int64_t w_row, int64_t row) const {
    const int64_t kk = g_.kernel[0] * g_.kernel[1];
    float acc = 0.0f;
    for (int64_t ci = 0; ci < g_.c_in_per_group; ++ci) {
        float sum = 0.0f;
        for (int64_t t = 0; t < kk; ++t)
            sum += x_value(n, group, row, ci * kk + t) * w_value(group, w_row, ci * kk + t);
        acc += sum;
    }
    return acc + bias(c_out_of(group, w_row));
}

// ---- size texts ----

namespace {

std::string count(int64_t v) { return grouped_int(static_cast<uint64_t>(v)); }  // sizes: never negative

std::string cin_k(const ConvGeometry& g) {
    return std::string(g.groups > 1 ? "C_in/groups" : "C_in") + (g.dims == 1 ? "*k" : "*kH*kW");
}
std::string positions(const ConvGeometry& g) { return g.dims == 1 ? "L_out" : "H_out*W_out"; }
std::string couts(const ConvGeometry& g) { return g.groups > 1 ? "C_out/groups" : "C_out"; }
std::string per_group(const ConvGeometry& g) {
    return g.groups > 1 ? ", one per group (" + count(g.groups) + " groups)" : "";
}

}  // namespace

std::string im2col_x_text(const ConvGeometry& g) {
    return "X_col: " + count(g.out[0] * g.out[1]) + " x " + count(g.macs_per_output()) + " (" + positions(g) + " x " +
           cin_k(g) + ")" + per_group(g);
}

std::string im2col_w_text(const ConvGeometry& g) {
    return "W_row: " + count(g.c_out_per_group) + " x " + count(g.macs_per_output()) + " (" + couts(g) + " x " +
           cin_k(g) + ")" + per_group(g);
}

std::string im2col_y_text(const ConvGeometry& g) {
    return "Y = W_row . X_col^T" + std::string(g.has_bias ? " + bias" : "") + ": " + count(g.c_out_per_group) + " x " +
           count(g.out[0] * g.out[1]) + " (" + couts(g) + " x " + positions(g) + ")";
}

std::string im2col_column_text(const ConvGeometry& g, const Im2colColumn& c) {
    if (g.dims == 1) return "(" + std::to_string(c.ci) + ", " + std::to_string(c.kx) + ")";
    return "(" + std::to_string(c.ci) + ", " + std::to_string(c.ky) + ", " + std::to_string(c.kx) + ")";
}

}  // namespace convscope::workspace
