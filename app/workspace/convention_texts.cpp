#include "convention_texts.hpp"

#include "scene.hpp"

namespace convscope::workspace {

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

}  // namespace convscope::workspace
