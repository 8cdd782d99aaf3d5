// The texts the window writes about the scene's layer in one convention (View -> Conventions); the panels draw
// them and `dump` reports them. Built from core/conventions.hpp and layer_python_text.
#pragma once

#include <string>

#include "conventions.hpp"

namespace convscope::workspace {

struct LayerTexts {
    Convention convention = Convention::PyTorch;
    std::string layer;              // layer_python_text / keras_layer_text
    std::string input_shape;        // x: "[2, 3, 32, 32]" / "(2, 32, 32, 3)"
    std::string output_shape;       // y
    std::string weight_shape;       // "[64, 3, 3, 3]" / "(3, 3, 3, 64)"
    std::string bias_shape;         // "[64]" / "(64,)"; "" without a bias
    std::string input_axes, weight_axes;  // axis_names_text: "(N, H, W, C)", "(kH, kW, in/groups, filters)"
    std::string weight_name;        // "weight" / "kernel"
    std::string parameter_formula;  // parameter_formula_text
};

// `layer` as the geometry was checked from (geometry: conv_layer_check(layer, input)); shapes with the batch axis.
LayerTexts layer_texts(Convention c, const ConvLayer& layer, const ConvGeometry& g);

}  // namespace convscope::workspace
