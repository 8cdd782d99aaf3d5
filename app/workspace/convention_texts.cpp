#include "convention_texts.hpp"

#include <cmath>
#include <cstdio>

#include "scene.hpp"
#include "tf_padding.hpp"

namespace convscope::workspace {

std::string value_text(float v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    const float a = std::fabs(v);
    if (a != 0.0f && (a < 0.005f || a >= 1000.0f))
        std::snprintf(buf, sizeof buf, "%.1e", static_cast<double>(v));
    else
        std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(v));
    if (std::string(buf) == "-0.00") return "0.00";
    return buf;
}

namespace {

Shape data_shape(const ConvGeometry& g, int64_t channels, const std::array<int64_t, 2>& size) {
    Shape s{g.n, channels};
    if (g.dims == 2) s.push_back(size[0]);
    s.push_back(size[1]);
    return s;
}

}  // namespace

LayerTexts layer_texts(Convention c, const ConvLayer& layer, const ConvGeometry& g) {
    LayerTexts t;
    t.convention = c;
    t.layer = c == Convention::Keras ? keras_layer_text(layer, g) : layer_python_text(layer);
    t.input_shape = shape_text_in_convention(c, TensorRole::Data, data_shape(g, g.c_in, g.in));
    t.output_shape = shape_text_in_convention(c, TensorRole::Data, data_shape(g, g.c_out, g.out));
    Shape w{g.c_out, g.c_in_per_group};
    if (g.dims == 2) w.push_back(g.kernel[0]);
    w.push_back(g.kernel[1]);
    t.weight_shape = shape_text_in_convention(c, TensorRole::Weight, w);
    if (layer.bias) t.bias_shape = shape_text_in_convention(c, TensorRole::Bias, {g.c_out});
    const int rank = g.dims + 2;
    t.input_axes = axis_names_text(c, TensorRole::Data, rank);
    t.weight_axes = axis_names_text(c, TensorRole::Weight, rank);
    t.weight_name = c == Convention::Keras ? "kernel" : "weight";
    t.parameter_formula = parameter_formula_text(c, layer);
    return t;
}

std::optional<KerasSame> keras_same_pads(const LayerEdit& edit) {
    const ConvLayer& L = edit.layer;
    const ConvParams& P = L.params;
    if (P.padding_kind != PaddingKind::Same || (L.dims != 1 && L.dims != 2)) return std::nullopt;
    const auto per_dim = [&](const std::vector<int64_t>& v, int d) {
        return v.empty() ? int64_t{1} : v[v.size() == 1 ? 0 : static_cast<size_t>(d)];
    };
    const Shape in = input_shape(edit);  // (N, C, [H,] W)
    bool strided = false;
    for (int d = 0; d < L.dims; ++d) strided |= per_dim(P.stride, d) > 1;
    if (!strided) return std::nullopt;
    KerasSame k{edit, {}};
    ConvParams& out = k.edit.layer.params;
    out.padding_kind = PaddingKind::Explicit;
    out.padding = {0};
    out.pads_begin.clear();
    out.pads_end.clear();
    for (int d = 0; d < L.dims; ++d) {
        const int64_t size = in[in.size() - static_cast<size_t>(L.dims) + static_cast<size_t>(d)];
        const int64_t kernel = per_dim(L.kernel_size, d), stride = per_dim(P.stride, d),
                      dilation = per_dim(P.dilation, d);
        if (size < 0 || kernel < 1 || stride < 1 || dilation < 1) return std::nullopt;  // PyTorch's error stays
        const TfPads pads = tf_pads(TfPadding::SameUpper, size, kernel, stride, dilation);
        out.pads_begin.push_back(pads.begin);
        out.pads_end.push_back(pads.end);
        const std::string axis = L.dims == 1 ? "L_out" : d == 0 ? "H_out" : "W_out";
        std::string line = tf_padding_formula_text(axis.c_str(), TfPadding::SameUpper, size, kernel, stride, dilation);
        if (pads.begin != pads.end)
            line += L.dims == 1 ? ": at the right"
                    : d == 0    ? ": an extra row at the bottom"
                                : ": an extra column at the right";
        k.lines.push_back(line);
    }
    return k;
}

}  // namespace convscope::workspace
