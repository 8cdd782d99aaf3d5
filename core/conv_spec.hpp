// convscope core: the description of a convolution and the one function that decides its output shape and
// validity. Engine, UI, CLI and tests all call conv_check(); its error texts are PyTorch 1.13's own.
//
// Sections: ConvParams (functional arguments) · ConvGeometry (the resolved, canonical 2-D view) ·
//           conv_check · ConvLayer (the nn.Conv1d/nn.Conv2d module form) · formula text helpers
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

enum class PaddingMode { Zeros, Reflect, Replicate, Circular };
enum class PaddingKind { Explicit, Same, Valid };

const char* padding_mode_name(PaddingMode mode);  // "zeros", "reflect", ...
std::optional<PaddingMode> parse_padding_mode(const std::string& name);

// The arguments of torch.nn.functional.conv1d/conv2d, plus the module's padding_mode (applied the way
// nn.Conv*d does it: F.pad(input, padding, mode) then a convolution with padding 0).
// stride, dilation and padding hold one value (broadcast) or one per spatial dimension, exactly as a user
// wrote them; conv_check expands and validates them.
struct ConvParams {
    int dims = 2;  // 1: conv1d, 2: conv2d
    std::vector<int64_t> stride{1};
    std::vector<int64_t> dilation{1};
    PaddingKind padding_kind = PaddingKind::Explicit;
    std::vector<int64_t> padding{0};  // symmetric, PyTorch style (Explicit only)
    // Explicit asymmetric pads (ONNX "pads"): when non-empty they replace `padding`; one value per spatial dim.
    std::vector<int64_t> pads_begin;
    std::vector<int64_t> pads_end;
    int64_t groups = 1;
    PaddingMode padding_mode = PaddingMode::Zeros;
};

// Everything the engine needs, resolved. Spatial arrays are canonical [H, W]: a 1-D convolution is a 2-D one
// with H = 1, kH = 1, stride_h = dilation_h = 1 and no H padding, so every kernel has one code path.
struct ConvGeometry {
    int dims = 2;
    bool unbatched = false;  // input had no batch dimension; output has none either
    int64_t n = 1, c_in = 1, c_out = 1, groups = 1;
    int64_t c_in_per_group = 1, c_out_per_group = 1;
    std::array<int64_t, 2> in{1, 1}, out{1, 1}, kernel{1, 1}, stride{1, 1}, dilation{1, 1};
    std::array<int64_t, 2> pad_begin{0, 0}, pad_end{0, 0};
    PaddingMode mode = PaddingMode::Zeros;
    bool has_bias = false;

    Shape input_shape() const;         // canonical: (N, C_in, H, W)
    Shape output_shape() const;        // canonical: (N, C_out, H_out, W_out)
    Shape output_shape_torch() const;  // as PyTorch returns it: NCL/NCHW, without N when unbatched
    int64_t macs_per_output() const { return c_in_per_group * kernel[0] * kernel[1]; }
    int64_t output_positions() const { return n * c_out * out[0] * out[1]; }
};

struct ConvCheck {
    std::optional<ConvGeometry> geometry;  // set when valid
    std::string error;                     // PyTorch's text when invalid
    bool ok() const { return geometry.has_value(); }
};

// Decides validity and output shape for input/weight/bias shapes as PyTorch would see them.
// input: (N, C, L) or (C, L) for 1-D; (N, C, H, W) or (C, H, W) for 2-D. weight: (C_out, C_in/groups, k...).
// bias: empty optional for no bias. Checks run in PyTorch 1.13's order, so the first error is the one it raises.
ConvCheck conv_check(const ConvParams& params, const Shape& input, const Shape& weight,
                     const std::optional<Shape>& bias);

// Same as conv_check but throws ConfigError with PyTorch's text.
ConvGeometry conv_geometry(const ConvParams& params, const Shape& input, const Shape& weight,
                           const std::optional<Shape>& bias);

// The nn.Conv1d / nn.Conv2d module: constructor arguments with PyTorch's names and defaults.
struct ConvLayer {
    int dims = 2;
    int64_t in_channels = 1;
    int64_t out_channels = 1;
    std::vector<int64_t> kernel_size{1};
    ConvParams params;  // stride, padding, dilation, groups, padding_mode
    bool bias = true;

    Shape weight_shape() const;  // (out, in/groups, k...) with kernel broadcast to dims
    int64_t parameter_count() const;
};

// The ValueErrors of nn.Conv*d.__init__ (groups, divisibility, 'same' with stride); empty when fine.
std::string conv_layer_init_error(const ConvLayer& layer);

// Module forward check: init errors first, then conv_check with the module's weight and bias shapes.
ConvCheck conv_layer_check(const ConvLayer& layer, const Shape& input);

// "H_out = floor((32 + 2*2 - 1*(5-1) - 1) / 1) + 1 = floor(31 / 1) + 1 = 32": PyTorch's output-size rule with
// the numbers filled in (ceil for ceil_mode pooling). Shared by convolution and pooling.
std::string output_size_formula_text(const char* name, int64_t in, int64_t pad_begin, int64_t pad_end, int64_t dilation,
                                     int64_t kernel, int64_t stride, bool ceil_mode, int64_t out);

// The formula for one spatial dim of a convolution (axis 0 = H, 1 = W; 1-D: L).
std::string conv_formula_text(const ConvGeometry& g, int axis);

}  // namespace convscope
