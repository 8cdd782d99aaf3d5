#include "layout.hpp"

#include <algorithm>

#include "error.hpp"

namespace convscope {

namespace {
Tensor permute_checked(const Tensor& t, int rank, const std::vector<int>& perm, const char* what) {
    if (t.rank() != rank)
        throw ConfigError(std::string(what) + " expects a rank-" + std::to_string(rank) + " tensor, got shape " +
                          shape_to_string(t.shape));
    return permute(t, perm);
}
}  // namespace

Tensor nchw_to_nhwc(const Tensor& t) { return permute_checked(t, 4, {0, 2, 3, 1}, "NCHW -> NHWC"); }
Tensor nhwc_to_nchw(const Tensor& t) { return permute_checked(t, 4, {0, 3, 1, 2}, "NHWC -> NCHW"); }
Tensor ncl_to_nlc(const Tensor& t) { return permute_checked(t, 3, {0, 2, 1}, "NCL -> NLC"); }
Tensor nlc_to_ncl(const Tensor& t) { return permute_checked(t, 3, {0, 2, 1}, "NLC -> NCL"); }
Tensor oihw_to_hwio(const Tensor& t) { return permute_checked(t, 4, {2, 3, 1, 0}, "OIHW -> HWIO"); }
Tensor hwio_to_oihw(const Tensor& t) { return permute_checked(t, 4, {3, 2, 0, 1}, "HWIO -> OIHW"); }
Tensor oiw_to_wio(const Tensor& t) { return permute_checked(t, 3, {2, 1, 0}, "OIW -> WIO"); }
Tensor wio_to_oiw(const Tensor& t) { return permute_checked(t, 3, {2, 1, 0}, "WIO -> OIW"); }

namespace {
void check_data_rank(const Shape& shape, int dims, bool to_first) {
    const int r = static_cast<int>(shape.size());
    if (r != dims + 1 && r != dims + 2)
        throw ConfigError(
            std::string(to_first ? "a channels-last" : "a channels-first") + " input of a " + std::to_string(dims) +
            "-D layer has rank " + std::to_string(dims + 2) + " " +
            (to_first ? (dims == 1 ? "(N, L, C)" : "(N, H, W, C)") : (dims == 1 ? "(N, C, L)" : "(N, C, H, W)")) +
            " or " + std::to_string(dims + 1) + " without the batch, got shape " + shape_to_string(shape));
}

Tensor move_channels(const Tensor& x, int dims, bool to_first) {
    check_data_rank(x.shape, dims, to_first);
    const int r = x.rank();
    const int c = r - dims - 1;  // the first non-batch axis
    std::vector<int> perm;
    for (int i = 0; i < c; ++i) perm.push_back(i);
    if (to_first) {
        perm.push_back(r - 1);
        for (int i = c; i < r - 1; ++i) perm.push_back(i);
    } else {
        for (int i = c + 1; i < r; ++i) perm.push_back(i);
        perm.push_back(c);
    }
    return permute(x, perm);
}
}  // namespace

Tensor channels_last_to_first(const Tensor& x, int dims) { return move_channels(x, dims, true); }

Shape channels_last_to_first(const Shape& shape, int dims) {
    check_data_rank(shape, dims, true);
    Shape out = shape;
    const auto c = static_cast<std::ptrdiff_t>(shape.size()) - dims - 1;  // where the channels go
    std::rotate(out.begin() + c, out.end() - 1, out.end());
    return out;
}
Tensor channels_first_to_last(const Tensor& x, int dims) { return move_channels(x, dims, false); }

Tensor weight_to_pytorch(const Tensor& w, WeightLayout layout, std::string* permutation_text) {
    if (w.rank() != 3 && w.rank() != 4)
        throw ConfigError("a convolution weight has rank 3 (Conv1d) or 4 (Conv2d), got shape " +
                          shape_to_string(w.shape));
    if (layout == WeightLayout::PyTorch) {
        if (permutation_text)
            *permutation_text =
                w.rank() == 4 ? "PyTorch (out, in, kH, kW): used as is" : "PyTorch (out, in, kW): used as is";
        return w;
    }
    if (permutation_text)
        *permutation_text = w.rank() == 4 ? "Keras (kH, kW, in, out) -> PyTorch (out, in, kH, kW): permute(3, 2, 0, 1)"
                                          : "Keras (kW, in, out) -> PyTorch (out, in, kW): permute(2, 1, 0)";
    return w.rank() == 4 ? hwio_to_oihw(w) : wio_to_oiw(w);
}

}  // namespace convscope
