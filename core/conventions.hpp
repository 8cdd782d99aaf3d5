// convscope core: naming the same tensors in PyTorch's or Keras's conventions. The numbers never change; only the
// order of the axes and their names do:
//   data    PyTorch (N, C, H, W) / (N, C, L)                 Keras (N, H, W, C) / (N, L, C)
//   weight  PyTorch (out, in/groups, kH, kW) / (out, in, kW)   Keras (kH, kW, in/groups, filters) / (kW, in, filters)
//   bias    (out,) in both
// Every function takes shapes and indices in PyTorch's order (the engine's) and writes them in the convention
// asked for, so the window's panels and the CLI can switch conventions without re-doing any arithmetic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "tensor.hpp"
#include "tf_padding.hpp"

namespace convscope {

enum class Convention { PyTorch, Keras };
enum class TensorRole { Data, Weight, Bias };

const char* convention_name(Convention c);  // "PyTorch", "Keras"

// The permutation taking a PyTorch-ordered shape/index of `rank` to the convention's order:
// result[i] = torch[perm[i]]. Identity for PyTorch, for biases, and for ranks other than 3 and 4.
std::vector<int> convention_axis_order(Convention c, TensorRole role, int rank);

Shape shape_in_convention(Convention c, TensorRole role, const Shape& torch_shape);

// As each framework prints a shape: PyTorch "[60, 3, 32, 32]" (torch.Size's list), Keras "(60, 32, 32, 3)" and
// "(64,)" (a Python tuple, TensorShape's repr without the wrapper).
std::string shape_text_in_convention(Convention c, TensorRole role, const Shape& torch_shape);

// The axis names: "(N, C, H, W)", "(N, H, W, C)", "(out, in/groups, kH, kW)", "(kH, kW, in/groups, filters)" ...
// `rank` is the tensor's rank (3: 1-D layer, 4: 2-D layer).
std::string axis_names_text(Convention c, TensorRole role, int rank);

// An element named in the convention, e.g. PyTorch weight index {o, c, ky, kx} = {5, 1, 2, 0}:
//   PyTorch "weight[5, 1, 2, 0]"   Keras "kernel[2, 0, 1, 5]";  data "x[0, 2, 3, 7]" / "x[0, 3, 7, 2]".
// An index of kWholeAxis is written ':' (a slice: weight {5, 1, -1, -1} is Keras "kernel[:, :, 1, 5]"). `name`
// replaces the tensor's default name ("x", "weight"/"kernel", "bias"), e.g. "y" for an output.
inline constexpr int64_t kWholeAxis = -1;
std::string index_text_in_convention(Convention c, TensorRole role, const std::vector<int64_t>& torch_index,
                                     const char* name = nullptr);

// One channel (data: item n, channel c) or one kernel slice (weight: filter o, input channel i), as NumPy slices it
// in the convention, the same for 1-D and 2-D: data PyTorch "x[0, 2]", Keras "x[0, ..., 2]"; weight PyTorch
// "weight[5, 2]", Keras "kernel[..., 2, 5]". `name` as in index_text_in_convention.
std::string channel_text_in_convention(Convention c, TensorRole role, int64_t first, int64_t second,
                                       const char* name = nullptr);

// The parameter count with the numbers filled in:
//   PyTorch "parameters = 64*3*3*3 weights + 64 bias = 1,792"
//   Keras   "params = [(kH*kW*in/groups) + 1]*filters = [(3*3*3/1) + 1]*64 = 1,792"
std::string parameter_formula_text(Convention c, const ConvLayer& layer);

// The Keras padding that gives the geometry's pads on its input: Valid, SameUpper ('same') or, for 1-D, Causal;
// nullopt when no Keras padding does (the pads then need a ZeroPadding1D/2D layer before padding='valid').
std::optional<TfPadding> keras_padding_of(const ConvGeometry& g);

// The layer as Keras writes it: "Conv2D(filters=64, kernel_size=(3, 3), strides=(1, 1), padding='same',
// dilation_rate=(1, 1), groups=1, use_bias=True)", after "ZeroPadding2D(padding=((1, 1), (1, 1))) + " when no Keras
// padding gives the pads, and with "  # padding_mode='reflect': Keras pads with zeros only" when the mode has no
// Keras form. (PyTorch's form is the workspace's layer_python_text.)
std::string keras_layer_text(const ConvLayer& layer, const ConvGeometry& g);

}  // namespace convscope
