// The texts the window writes about the scene's layer in one convention (View -> Conventions); the panels draw
// them and `dump` reports them. Built from core/conventions.hpp and layer_python_text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conventions.hpp"
#include "scene.hpp"

namespace convscope::workspace {

// One value as every panel, caption and export writes it: "0.12", "-3.4e+05", "NaN", "inf" (2 decimals; scientific
// below 0.005 and from 1000 on; never "-0.00"). Short enough for a cell.
std::string value_text(float v);

struct LayerTexts {
    Convention convention = Convention::PyTorch;
    std::string layer;                    // layer_python_text / keras_layer_text
    std::string input_shape;              // x: "[2, 3, 32, 32]" / "(2, 32, 32, 3)"
    std::string output_shape;             // y
    std::string weight_shape;             // "[64, 3, 3, 3]" / "(3, 3, 3, 64)"
    std::string bias_shape;               // "[64]" / "(64,)"; "" without a bias
    std::string input_axes, weight_axes;  // axis_names_text: "(N, H, W, C)", "(kH, kW, in/groups, filters)"
    std::string weight_name;              // "weight" / "kernel"
    std::string parameter_formula;        // parameter_formula_text
};

// `layer` as the geometry was checked from (geometry: conv_layer_check(layer, input)); shapes with the batch axis.
LayerTexts layer_texts(Convention c, const ConvLayer& layer, const ConvGeometry& g);

// PyTorch refuses padding='same' with a stride above 1; Keras computes it with TensorFlow's rule (core/tf_padding:
// out = ceil(in / s), the odd padding row or column at the bottom / right). For such an edit: the same layer with
// those pads written explicitly (pads_begin / pads_end), and per spatial axis the rule with its numbers filled in
// ("H_out = ceil(32 / 2) = 16; pad_total = ...: 1 before, 2 after (the odd one at the end): an extra row at the
// bottom"). nullopt for any other edit (not 'same', or stride 1, where both frameworks agree).
struct KerasSame {
    LayerEdit edit;
    std::vector<std::string> lines;
};
std::optional<KerasSame> keras_same_pads(const LayerEdit& edit);

}  // namespace convscope::workspace
