// convscope core: the description of a transposed convolution (F.conv_transpose1d / F.conv_transpose2d,
// nn.ConvTranspose1d / nn.ConvTranspose2d) and the one function that decides its output shape and validity.
// Engine, CLI, ONNX and tests all call conv_transpose_check(); its error texts are PyTorch 1.13's own.
//
// What a transposed convolution computes (the scatter definition, PyTorch's GEMM + col2im):
//   every input element x[n, ci, iy, ix] is multiplied by the kernel w[ci, co, :, :] of each output channel co
//   of its group and added into the output at
//     oy = iy*stride - padding + ky*dilation,   ox = ix*stride - padding + kx*dilation
//   (taps that land outside the output are dropped: `padding` crops the full result, `output_padding` adds rows
//   and columns at the bottom / right that only taps of the last input rows reach).
//   Output size per spatial dim: (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1.
// Equivalently (conv_arithmetic's picture, the gather view): insert stride-1 zeros between input elements, pad
// the result by dilation*(k-1) - padding on each side (+ output_padding at the end; negative = crop), and run a
// plain stride-1 convolution with the kernel flipped in every spatial dim.
//
// Sections: ConvTransposeParams · ConvTransposeGeometry · conv_transpose_check · ConvTransposeLayer (module form)
//           · formula text
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

// The arguments of F.conv_transpose1d / F.conv_transpose2d. Each list holds one value (broadcast) or one per
// spatial dimension, as a user wrote them; conv_transpose_check expands and validates them.
struct ConvTransposeParams {
    int dims = 2;  // 1: conv_transpose1d, 2: conv_transpose2d
    std::vector<int64_t> stride{1};
    std::vector<int64_t> padding{0};
    std::vector<int64_t> output_padding{0};
    std::vector<int64_t> dilation{1};
    int64_t groups = 1;
};

// Everything the engine needs, resolved. Spatial arrays are canonical [H, W]: a 1-D transposed convolution is a
// 2-D one with H = 1, kH = 1, stride_h = dilation_h = 1 and no H padding.
// Weight layout: (C_in, C_out/groups, kH, kW). Input channel ci belongs to group ci / (C_in/groups) and feeds the
// output channels [group*C_out/groups, (group+1)*C_out/groups).
struct ConvTransposeGeometry {
    int dims = 2;
    bool unbatched = false;  // input had no batch dimension; output has none either
    int64_t n = 1, c_in = 1, c_out = 1, groups = 1;
    int64_t c_in_per_group = 1, c_out_per_group = 1;
    std::array<int64_t, 2> in{1, 1}, out{1, 1}, kernel{1, 1}, stride{1, 1}, dilation{1, 1};
    std::array<int64_t, 2> padding{0, 0}, output_padding{0, 0};
    bool has_bias = false;

    Shape input_shape() const;         // canonical: (N, C_in, H, W)
    Shape output_shape() const;        // canonical: (N, C_out, H_out, W_out)
    Shape output_shape_torch() const;  // as PyTorch returns it: NCL/NCHW, without N when unbatched
    Shape weight_shape_torch() const;  // (C_in, C_out/groups, [kH,] kW)
    int64_t input_positions() const { return n * c_in * in[0] * in[1]; }
    int64_t output_positions() const { return n * c_out * out[0] * out[1]; }
    // Scatter: multiply-adds one input element stamps (every output channel of its group x kernel).
    int64_t macs_per_input() const { return c_out_per_group * kernel[0] * kernel[1]; }
    // Gather: taps of one output's window over the zero-inserted input (input channels of the group x kernel);
    // only those that land on a real input element contribute.
    int64_t taps_per_output() const { return c_in_per_group * kernel[0] * kernel[1]; }

    // The gather picture, per axis: the zero-inserted input has (in-1)*stride + 1 cells; it is padded by
    // gather_pad_begin = dilation*(k-1) - padding before and gather_pad_end = that + output_padding after
    // (a negative value crops).
    int64_t zero_inserted(int axis) const { return (in[axis] - 1) * stride[axis] + 1; }
    int64_t gather_pad_begin(int axis) const { return dilation[axis] * (kernel[axis] - 1) - padding[axis]; }
    int64_t gather_pad_end(int axis) const { return gather_pad_begin(axis) + output_padding[axis]; }
};

struct ConvTransposeCheck {
    std::optional<ConvTransposeGeometry> geometry;  // set when valid
    std::string error;                              // PyTorch's text when invalid
    bool ok() const { return geometry.has_value(); }
};

// Decides validity and output shape as F.conv_transpose{1,2}d would.
// input: (N, C_in, L) or (C_in, L) for 1-D; (N, C_in, H, W) or (C_in, H, W) for 2-D.
// weight: (C_in, C_out/groups, k...). bias: (C_out) or none. Checks run in PyTorch 1.13's order (batchify,
// _convolution's argument checks, check_shape_forward, the empty-batch shortcut, the kernel's shape check), so the
// first error is the one PyTorch raises.
ConvTransposeCheck conv_transpose_check(const ConvTransposeParams& params, const Shape& input, const Shape& weight,
                                        const std::optional<Shape>& bias);

// Same, but throws ConfigError with PyTorch's text.
ConvTransposeGeometry conv_transpose_geometry(const ConvTransposeParams& params, const Shape& input,
                                              const Shape& weight, const std::optional<Shape>& bias);

// nn.ConvTranspose1d / nn.ConvTranspose2d: constructor arguments with PyTorch's names and defaults.
struct ConvTransposeLayer {
    int dims = 2;
    int64_t in_channels = 1;
    int64_t out_channels = 1;
    std::vector<int64_t> kernel_size{1};
    ConvTransposeParams params;  // stride, padding, output_padding, groups, dilation
    bool bias = true;
    std::string padding_mode = "zeros";  // ConvTranspose accepts only 'zeros'

    Shape weight_shape() const;  // (in, out/groups, k...) with the kernel broadcast to dims
    int64_t parameter_count() const;
};

// The ValueErrors of nn.ConvTranspose*d.__init__ (groups, divisibility, padding_mode); empty when fine.
std::string conv_transpose_layer_init_error(const ConvTransposeLayer& layer);

// Module forward check: init errors first, then conv_transpose_check with the module's weight and bias shapes.
ConvTransposeCheck conv_transpose_layer_check(const ConvTransposeLayer& layer, const Shape& input);

// "H_out = (5-1)*2 - 2*1 + 1*(4-1) + 1 + 1 = 11": the output-size rule with the numbers filled in
// (axis 0 = H, 1 = W; 1-D: L).
std::string conv_transpose_formula_text(const ConvTransposeGeometry& g, int axis);

}  // namespace convscope
