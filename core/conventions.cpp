#include "conventions.hpp"

#include "file_io.hpp"
#include "keras_layer.hpp"

namespace convscope {

const char* convention_name(Convention c) { return c == Convention::Keras ? "Keras" : "PyTorch"; }

std::vector<int> convention_axis_order(Convention c, TensorRole role, int rank) {
    std::vector<int> perm;
    for (int i = 0; i < rank; ++i) perm.push_back(i);
    if (c == Convention::PyTorch || role == TensorRole::Bias || (rank != 3 && rank != 4)) return perm;
    if (role == TensorRole::Data) return rank == 4 ? std::vector<int>{0, 2, 3, 1} : std::vector<int>{0, 2, 1};
    return rank == 4 ? std::vector<int>{2, 3, 1, 0} : std::vector<int>{2, 1, 0};
}

Shape shape_in_convention(Convention c, TensorRole role, const Shape& torch_shape) {
    const std::vector<int> perm = convention_axis_order(c, role, static_cast<int>(torch_shape.size()));
    Shape s;
    for (int p : perm) s.push_back(torch_shape[static_cast<size_t>(p)]);
    return s;
}

std::string shape_text_in_convention(Convention c, TensorRole role, const Shape& torch_shape) {
    if (c == Convention::PyTorch) return shape_to_string(torch_shape);
    const Shape s = shape_in_convention(c, role, torch_shape);
    std::string t = "(";
    for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + (s.size() == 1 ? ",)" : ")");
}

std::string axis_names_text(Convention c, TensorRole role, int rank) {
    const bool keras = c == Convention::Keras;
    if (role == TensorRole::Bias) return keras ? "(filters,)" : "(out,)";
    if (role == TensorRole::Data) {
        if (rank == 3) return keras ? "(N, L, C)" : "(N, C, L)";
        return keras ? "(N, H, W, C)" : "(N, C, H, W)";
    }
    if (rank == 3) return keras ? "(kW, in/groups, filters)" : "(out, in/groups, kW)";
    return keras ? "(kH, kW, in/groups, filters)" : "(out, in/groups, kH, kW)";
}

std::string index_text_in_convention(Convention c, TensorRole role, const std::vector<int64_t>& torch_index,
                                     const char* name) {
    if (!name)
        name = role == TensorRole::Data   ? "x"
               : role == TensorRole::Bias ? "bias"
               : c == Convention::Keras   ? "kernel"
                                          : "weight";
    const Shape idx = shape_in_convention(c, role, torch_index);
    std::string t = std::string(name) + "[";
    for (size_t i = 0; i < idx.size(); ++i)
        t += (i ? ", " : "") + (idx[i] == kWholeAxis ? std::string(":") : std::to_string(idx[i]));
    return t + "]";
}

std::string channel_text_in_convention(Convention c, TensorRole role, int64_t first, int64_t second, const char* name) {
    if (!name)
        name = role == TensorRole::Data   ? "x"
               : role == TensorRole::Bias ? "bias"
               : c == Convention::Keras   ? "kernel"
                                          : "weight";
    const std::string a = std::to_string(first), b = std::to_string(second);
    if (c == Convention::PyTorch || role == TensorRole::Bias) return std::string(name) + "[" + a + ", " + b + "]";
    if (role == TensorRole::Data) return std::string(name) + "[" + a + ", ..., " + b + "]";
    return std::string(name) + "[..., " + b + ", " + a + "]";
}

std::string parameter_formula_text(Convention c, const ConvLayer& layer) {
    const Shape w = layer.weight_shape();  // (out, in/groups, k...)
    const int64_t params = layer.parameter_count();
    const std::string count = grouped_int(static_cast<uint64_t>(params));
    if (c == Convention::PyTorch) {
        std::string t = "parameters = ";
        for (size_t i = 0; i < w.size(); ++i) t += (i ? "*" : "") + std::to_string(w[i]);
        t += " weights";
        if (layer.bias) t += " + " + std::to_string(layer.out_channels) + " bias";
        return t + " = " + count;
    }
    const bool two_d = w.size() == 4;
    std::string kernel;
    for (size_t i = 2; i < w.size(); ++i) kernel += std::to_string(w[i]) + "*";
    const std::string in = std::to_string(layer.in_channels) + "/" + std::to_string(layer.params.groups);
    std::string t = std::string("params = [(") + (two_d ? "kH*kW" : "kW") + "*in/groups)" + (layer.bias ? " + 1" : "") +
                    "]*filters = [(" + kernel + in + ")" + (layer.bias ? " + 1" : "") + "]*" +
                    std::to_string(layer.out_channels);
    return t + " = " + count;
}

namespace {

// The spatial values of a canonical [H, W] array: {H, W} for 2-D, {W} for 1-D.
std::vector<int64_t> spatial(const ConvGeometry& g, const std::array<int64_t, 2>& a) {
    return g.dims == 1 ? std::vector<int64_t>{a[1]} : std::vector<int64_t>{a[0], a[1]};
}

}  // namespace

std::optional<TfPadding> keras_padding_of(const ConvGeometry& g) {
    const std::vector<int64_t> strides = spatial(g, g.stride), dilation = spatial(g, g.dilation),
                               kernel = spatial(g, g.kernel), in = spatial(g, g.in), begin = spatial(g, g.pad_begin),
                               end = spatial(g, g.pad_end);
    auto matches = [&](TfPadding rule) {
        for (size_t i = 0; i < in.size(); ++i) {
            const TfPads p = tf_pads(rule, in[i], kernel[i], strides[i], dilation[i]);
            if (p.begin != begin[i] || p.end != end[i]) return false;
        }
        return true;
    };
    if (matches(TfPadding::Valid)) return TfPadding::Valid;
    if (matches(TfPadding::SameUpper)) return TfPadding::SameUpper;
    if (g.dims == 1 && matches(TfPadding::Causal)) return TfPadding::Causal;
    return std::nullopt;
}

std::string keras_layer_text(const ConvLayer& layer, const ConvGeometry& g) {
    const bool two_d = g.dims == 2;
    const std::optional<TfPadding> padding = keras_padding_of(g);
    std::string t;
    if (!padding) {
        const std::vector<int64_t> begin = spatial(g, g.pad_begin), end = spatial(g, g.pad_end);
        t = std::string("ZeroPadding") + (two_d ? "2D" : "1D") + "(padding=";
        if (two_d)
            t += "((" + std::to_string(begin[0]) + ", " + std::to_string(end[0]) + "), (" + std::to_string(begin[1]) +
                 ", " + std::to_string(end[1]) + "))";
        else
            t += "(" + std::to_string(begin[0]) + ", " + std::to_string(end[0]) + ")";
        t += ") + ";
    }
    t += std::string("Conv") + (two_d ? "2D" : "1D") + "(filters=" + std::to_string(g.c_out) +
         ", kernel_size=" + python_tuple_text(spatial(g, g.kernel)) +
         ", strides=" + python_tuple_text(spatial(g, g.stride)) + ", padding='" +
         (padding ? tf_padding_name(*padding) : "valid") +
         "', dilation_rate=" + python_tuple_text(spatial(g, g.dilation)) + ", groups=" + std::to_string(g.groups) +
         ", use_bias=" + (layer.bias ? "True" : "False") + ")";
    if (g.mode != PaddingMode::Zeros)
        t += std::string("  # padding_mode='") + padding_mode_name(g.mode) + "': Keras pads with zeros only";
    return t;
}

}  // namespace convscope
