// convscope core: code for one convolution layer in the user's framework, with the same numbers convscope shows.
//
//   PyTorch  a runnable script: builds the layer, loads input.npy / weight.npy / bias.npy from a folder when they are
//            there (else seeded random tensors), runs it, prints the output shape and the value at the cursor.
//   Keras    the equivalent keras.layers.Conv1D/Conv2D on the channels-last input, weights set with
//            set_weights([kernel (kH, kW, in/groups, filters), bias]); pads Keras cannot write as
//            'same'/'valid'/'causal' become ZeroPadding1D/2D + padding='valid'.
//   NumPy    the plain loop nest in the cursor's order (n, c_out, y, x, then ci, ky, kx; cursor.hpp), padding applied
//            first with np.pad in the layer's padding_mode (as nn.Conv*d applies F.pad), so it can be stepped in a
//            debugger and compared with convscope's Computation panel.
//   ONNX     see onnx_export.hpp (a model file, not a snippet).
// Tensors in files are always in PyTorch's layout (input (N, C, [H,] W), weight (out, in/groups, [kH,] kW)), the
// layout convscope's exports write. Generators never touch files; they return text.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "conv_spec.hpp"
#include "conventions.hpp"
#include "tensor.hpp"

namespace convscope {

enum class CodeFramework { PyTorch, Keras, NumPy, Onnx };
std::optional<CodeFramework> parse_code_framework(const std::string& name);  // "pytorch", "keras", "numpy", "onnx"
const char* code_framework_key(CodeFramework f);                             // the same words back

// One convolution, resolved. Build it with code_layer_from_text (or fill it from a scene).
struct CodeLayer {
    std::string source_text;  // the layer as the user wrote it (a comment in the code)
    Convention written_in = Convention::PyTorch;
    ConvLayer layer;        // PyTorch's form; Keras layers carry their TF pads as pads_begin/pads_end
    Shape input;            // PyTorch order: (N, C, [H,] W)
    ConvGeometry geometry;  // conv_layer_check(layer, input)
    std::array<int64_t, 4> cursor{0, 0, 0, 0};  // the output element to print: n, c_out, y, x (1-D: y = 0)
    std::string data_dir = ".";                 // where the script looks for input.npy, weight.npy, bias.npy
    uint32_t seed = 0;                          // for the tensors that are not there
};

// A Conv1d/Conv2d (input channels-first, as `shape` takes it) or a Keras Conv1D/Conv2D (input channels-last).
// Throws FormatError/ConfigError as `shape` would (PyTorch's text, or convscope's words for Keras), and ConfigError
// for layers that are not convolutions.
CodeLayer code_layer_from_text(const std::string& text, const Shape& input);

// Checks `cursor` against the output shape; throws ConfigError naming the output shape.
void set_code_cursor(CodeLayer& code, const std::array<int64_t, 4>& cursor);

// A scene's layer (PyTorch's form) on its input (PyTorch order, with the batch), printing output element `cursor`
// (n, c_out, y, x; 1-D: y = 0): what `code --scene FILE` writes and the window's Code panel shows, so both give the
// same text. `source` names the layer in the code's first comment (code_scene_source). Throws ConfigError starting
// with `where` when the layer does not run on the input, and set_code_cursor's error for a cursor outside it.
CodeLayer code_layer_from_conv(const ConvLayer& layer, const Shape& input, const std::array<int64_t, 4>& cursor,
                               const std::string& source, const std::string& where);
// How code names a scene: "TITLE (scene NAME)", TITLE being the scene's title or else `path`, NAME the file's name.
std::string code_scene_source(const std::string& title, const std::string& path);

std::string code_pytorch(const CodeLayer& code);
std::string code_numpy(const CodeLayer& code);
// Throws ConfigError where Keras has no equivalent (padding_mode other than zeros; strides > 1 with dilation > 1).
std::string code_keras(const CodeLayer& code);

}  // namespace convscope
