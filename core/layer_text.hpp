// convscope core: PyTorch constructor syntax for layers, and the shape of a chain of them.
//
//   "Conv2d(3, 192, kernel_size=5, stride=1, padding=2)"   "nn.MaxPool2d(2, 2)"   "ReLU()"   "Linear(256, 120)"
//
// Positional and keyword arguments follow the torch.nn constructors; an "nn." or "torch.nn." prefix is allowed.
// Supported: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, ReLU,
// Flatten, Linear. shape_chain() pushes an input shape through the layers and reports, per layer, the output shape, the
// output-size formula with the numbers filled in and the parameter count; an invalid layer stops the chain with
// PyTorch's error text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conv_spec.hpp"
#include "conv_transpose_spec.hpp"
#include "pool.hpp"
#include "tensor.hpp"

namespace convscope {

// A constructor call as Python reads it: name, positional values, keyword values. Values are integers, tuples or
// lists of integers, strings, True/False or None. Shared by the PyTorch layers here and the Keras layers
// (keras_layer.hpp). parse_call throws FormatError with the column of the problem.
struct CallValue {
    enum class Kind { Int, Tuple, Str, Bool, None } kind = Kind::None;
    int64_t i = 0;
    std::vector<int64_t> tuple;
    std::string s;
    bool b = false;
};
struct ParsedCall {
    std::string name;  // as written, prefix included ("nn.Conv2d", "keras.layers.Conv2D")
    std::vector<CallValue> positional;
    std::vector<std::pair<std::string, CallValue>> keywords;
};
ParsedCall parse_call(const std::string& text);

// Python's argument binding for `kind(...)` with parameters `sig.names` (the first `sig.required` required);
// throws ConfigError with Python's TypeError texts ("Conv2d.__init__() missing 1 required positional argument").
struct Signature {
    std::vector<std::string> names;
    size_t required = 0;
};
std::map<std::string, CallValue> bind_call(const std::string& kind, const Signature& sig,
                                           const std::vector<CallValue>& positional,
                                           const std::vector<std::pair<std::string, CallValue>>& keywords);

struct LinearLayer {
    int64_t in_features = 0, out_features = 0;
    bool bias = true;
};
struct FlattenLayer {
    int64_t start_dim = 1, end_dim = -1;
};
struct ReluLayer {};

struct LayerSpec {
    std::string text;  // as the user wrote it
    std::string kind;  // "Conv2d", "MaxPool2d", ...
    std::variant<ConvLayer, PoolParams, LinearLayer, FlattenLayer, ReluLayer, ConvTransposeLayer> layer;
};

// Throws FormatError with the column of the problem ("Conv2d(3, 6, 5, foo=1): unexpected keyword argument 'foo'").
LayerSpec parse_layer(const std::string& text);

struct LayerShapeRow {
    std::string text;
    Shape input_shape;
    Shape output_shape;                // empty when the layer failed
    std::vector<std::string> formula;  // one line per spatial dim (conv/pool) or a short rule
    int64_t parameters = 0;
    std::string error;  // PyTorch's text when the layer rejects its input
};

// Stops after the first failing layer (its row carries the error).
std::vector<LayerShapeRow> shape_chain(const Shape& input, const std::vector<LayerSpec>& layers);

}  // namespace convscope
