// convscope core: Keras layers written as in Keras, and the shapes of a chain of them on channels-last inputs.
//
//   "Conv2D(64, (3, 3), strides=2, padding='same', use_bias=False)"   "layers.MaxPooling2D()"   "Dense(10)"
//
// Supported (an optional "keras.layers.", "tf.keras.layers." or "layers." prefix): Conv1D, Conv2D, MaxPooling1D,
// MaxPooling2D, AveragePooling1D, AveragePooling2D (and Keras's aliases MaxPool1D/2D, AvgPool1D/2D), ReLU, Flatten,
// Dense. Arguments bind by Keras's parameter order and names (filters, kernel_size, strides, padding, data_format,
// dilation_rate, groups, activation, use_bias, ...). Inputs are channels-last with the batch: (N, L, C) for 1-D
// layers, (N, H, W, C) for 2-D ones.
//
// Padding follows tf_padding.hpp ('valid', 'same' with strides > 1 as asymmetric pads, Conv1D's 'causal'); every
// conv and pool is resolved into the engine's own form (ConvLayer / PoolParams with explicit pads_begin/pads_end on
// the channels-first input) and checked by conv_check / pool_check, so the shapes here are the engine's.
// Where Keras would refuse a configuration, the error says so in convscope's own words (no TensorFlow text is
// quoted: TensorFlow is not part of convscope).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conv_spec.hpp"
#include "conventions.hpp"
#include "pool.hpp"
#include "tensor.hpp"
#include "tf_padding.hpp"

namespace convscope {

struct KerasConv {
    int dims = 2;
    int64_t filters = 1;
    std::vector<int64_t> kernel_size;  // dims values
    std::vector<int64_t> strides;      // dims values
    std::vector<int64_t> dilation_rate;
    TfPadding padding = TfPadding::Valid;
    int64_t groups = 1;
    bool use_bias = true;
};
struct KerasPool {
    int dims = 2;
    PoolMode mode = PoolMode::Max;
    std::vector<int64_t> pool_size;  // dims values
    std::vector<int64_t> strides;    // dims values (Keras's strides=None: the pool size)
    TfPadding padding = TfPadding::Valid;
};
struct KerasDense {
    int64_t units = 1;
    bool use_bias = true;
};
struct KerasFlatten {};
struct KerasRelu {};

struct KerasLayerSpec {
    std::string text;  // as the user wrote it
    std::string kind;  // "Conv2D", "MaxPooling2D", ... (aliases resolved)
    std::variant<KerasConv, KerasPool, KerasDense, KerasFlatten, KerasRelu> layer;
    std::optional<Shape> input_shape;  // the input_shape= keyword (without the batch), when given
};

// The layer's framework from its name: Keras for the Keras-only names above, PyTorch for torch.nn's, nullopt for a
// name both share (ReLU, Flatten) or neither knows.
std::optional<Convention> layer_name_convention(const std::string& text);

// The one convention of a chain; ReLU/Flatten follow the others, and a chain of only those is PyTorch's.
// Throws ConfigError naming both layers when Keras and PyTorch layers are mixed.
Convention chain_convention(const std::vector<std::string>& texts);

// Throws FormatError for syntax (with the column), ConfigError for arguments Keras does not take.
KerasLayerSpec parse_keras_layer(const std::string& text);

// The Keras convolution as the engine computes it, for a channels-last input shape (N, [H,] W, C): PyTorch's
// ConvLayer with the TF pads as explicit pads_begin/pads_end. Throws ConfigError where Keras would refuse
// (wrong input rank, channels not divisible by groups, strides > 1 together with dilation_rate > 1, 'valid' with a
// kernel larger than the input, 'causal' on Conv2D ...).
ConvLayer keras_conv_to_torch(const KerasConv& conv, const Shape& channels_last_input);

// The same for pooling: PoolParams with explicit pads; 'same' average pooling divides by the real elements only
// (count_include_pad=False), as TensorFlow does.
PoolParams keras_pool_to_torch(const KerasPool& pool, const Shape& channels_last_input);

struct KerasShapeRow {
    std::string text;
    Shape input_shape;   // channels-last
    Shape output_shape;  // channels-last; empty when the layer failed
    Shape kernel;        // Keras's trainable_weights[0] shape; empty without weights
    Shape bias;          // (filters,) / (units,); empty without a bias
    int64_t parameters = 0;
    std::vector<std::array<int64_t, 2>> pads;  // per spatial dim: {before, after} (conv and pool)
    std::vector<std::string> formula;          // one line per spatial dim, then the parameter formula
    std::string error;
};

// Stops after the first failing layer (its row carries the error).
std::vector<KerasShapeRow> keras_shape_chain(const Shape& input, const std::vector<KerasLayerSpec>& layers);

// "(60, 32, 32, 64)", "(64,)": a shape as Python prints a tuple.
std::string python_tuple_text(const Shape& shape);

}  // namespace convscope
