// convscope core: max and average pooling, the way PyTorch 1.13 computes them, and ReLU.
//
// Layout as everywhere (tensor.hpp): 1-D data (N, C, L), 2-D data (N, C, H, W); unbatched (C, L) / (C, H, W).
// Pooling works on every channel separately: output channel c reads only input channel c.
//
// Sections: PoolParams (the functional arguments) · PoolGeometry (the resolved, canonical 2-D view) ·
//           pool_check · pool_reference · PoolCursor (step-through state) · relu
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

enum class PoolMode { Max, Avg };

const char* pool_mode_name(PoolMode mode);  // "max", "avg"

// The arguments of torch.nn.functional.max_pool1d/max_pool2d/avg_pool1d/avg_pool2d, holding one value (broadcast)
// or one per spatial dimension, exactly as a user wrote them; pool_check validates them.
struct PoolParams {
    int dims = 2;  // 1: *_pool1d, 2: *_pool2d
    PoolMode mode = PoolMode::Max;
    std::vector<int64_t> kernel_size;  // one value or one per spatial dim
    std::vector<int64_t> stride;       // empty: stride = kernel_size, as PyTorch's stride=None
    std::vector<int64_t> padding{0};
    std::vector<int64_t> dilation{1};  // max only (F.avg_pool* has no dilation argument)
    bool ceil_mode = false;
    bool count_include_pad = true;            // avg only; ignored for max
    std::optional<int64_t> divisor_override;  // avg_pool2d only
    // Explicit asymmetric pads (ONNX "pads"): when non-empty they replace `padding`; one value per spatial dim.
    // PyTorch has no such argument; like ONNX they may exceed half the kernel (only negatives are rejected).
    std::vector<int64_t> pads_begin;
    std::vector<int64_t> pads_end;
};

// Everything the engine needs, resolved. Spatial arrays are canonical [H, W]: a 1-D pool is a 2-D one with H = 1,
// kH = 1, stride_h = dilation_h = 1 and no H padding, so every kernel has one code path.
struct PoolGeometry {
    int dims = 2;
    PoolMode mode = PoolMode::Max;
    bool unbatched = false;  // input had no batch dimension; output has none either
    int64_t n = 1, c = 1;    // batch and channels (output channels = input channels)
    std::array<int64_t, 2> in{1, 1}, out{1, 1}, kernel{1, 1}, stride{1, 1}, dilation{1, 1};
    std::array<int64_t, 2> pad_begin{0, 0}, pad_end{0, 0};
    bool ceil_mode = false;
    bool count_include_pad = true;
    std::optional<int64_t> divisor_override;

    Shape input_shape() const;         // canonical: (N, C, H, W)
    Shape output_shape() const;        // canonical: (N, C, H_out, W_out)
    Shape output_shape_torch() const;  // as PyTorch returns it: NCL/NCHW, without N when unbatched
    int64_t window_taps() const { return kernel[0] * kernel[1]; }
    int64_t output_positions() const { return n * c * out[0] * out[1]; }
};

struct PoolCheck {
    std::optional<PoolGeometry> geometry;  // set when valid
    std::string error;                     // PyTorch's text when invalid
    bool ok() const { return geometry.has_value(); }
};

// Decides validity and output shape as F.max_pool1d/2d or F.avg_pool1d/2d would for a plain float tensor (no
// autograd, return_indices=False). input: (N, C, L) or (C, L) for 1-D; (N, C, H, W) or (C, H, W) for 2-D.
// Checks run in PyTorch 1.13's order with its texts, so the first error is the one it raises, including the
// Python TypeErrors for arguments a function does not take (dilation for avg, divisor_override for max and
// avg_pool1d). Output size per spatial dim (pooling_output_shape_pad_lr):
//   out = floor((in + pad_l + pad_r - d*(k-1) - 1 + (ceil_mode ? s-1 : 0)) / s) + 1,
//   and with ceil_mode, if (out-1)*s >= in + pad_l then out -= 1 (the last window must start inside the input
//   or the left padding, never in the right padding).
// Beyond PyTorch, convscope refuses (with its own text, after PyTorch's checks on the same arguments) values
// outside the 32-bit range that 1.13 silently truncates, and windows of more than kMaxPoolWindowTaps taps.
PoolCheck pool_check(const PoolParams& params, const Shape& input);

// Same as pool_check but throws ConfigError with PyTorch's text.
PoolGeometry pool_geometry(const PoolParams& params, const Shape& input);

inline constexpr int64_t kMaxPoolWindowTaps = int64_t{1} << 20;

// y = max_pool / avg_pool(x), exactly as PyTorch's CPU kernels compute it. x has the shape pool_check accepted.
// Max: padding never wins (it reads as -inf); ties keep the first tap in row-major window order; a NaN in the
//      window makes the output NaN. A window with no input cell (possible only with ONNX pads) gives -inf.
// Avg: float32 sum of the window's input cells in row-major order, divided by
//        divisor_override                              if set, else
//        cells of the window inside the padded input   (count_include_pad; ceil-mode overhang never counts), else
//        input cells of the window.
//      A window with no input cell gives 0.
Tensor pool_reference(const PoolGeometry& g, const Tensor& x);

// ---------------------------------------------------------------------------------------------------------------
// The step-through cursor. Pooling has one step per output element, in the order
//   for n, for c, for y, for x
// (1-D: y = 0). state_at(step) gives the complete window at that step by random access, costing one window
// (kH × kW taps), never a replay; the UI renders PoolState and never re-does arithmetic.

// Where a tap of the window lies.
enum class PoolTapKind {
    Input,     // inside the input
    Padding,   // in the padding ring: -pad_begin <= p < 0 or in <= p < in + pad_end (on either axis)
    Overhang,  // beyond the right/bottom padding, reached only by a ceil_mode window (on either axis)
};

const char* pool_tap_kind_name(PoolTapKind kind);  // "input", "padding", "overhang"

struct PoolTap {
    int64_t ky = 0, kx = 0;  // position in the window
    int64_t py = 0, px = 0;  // the input coordinate it reads: py = y*stride_h - pad_top + ky*dilation_h
    PoolTapKind kind = PoolTapKind::Input;
    float input = 0;  // the value the window sees: the input element; for other kinds -inf (max) or 0 (avg)
};

enum class PoolDivisorRule {
    Override,        // divisor_override
    IncludePadding,  // count_include_pad=True: window cells inside the padded input
    ExcludePadding,  // count_include_pad=False: window cells inside the input
};

struct PoolState {
    int64_t step = 0;
    int64_t n = 0, c = 0, y = 0, x = 0;  // output position (1-D: y = 0)
    std::vector<PoolTap> taps;           // kH × kW entries, index ky * kW + kx
    int64_t input_cells = 0;             // taps of kind Input
    int64_t padding_cells = 0;           // taps of kind Padding
    int64_t overhang_cells = 0;          // taps of kind Overhang

    // Max
    int64_t winner_tap = -1;  // index into taps of the element returned; -1 when the window has no input cell
    int64_t argmax = -1;      // PyTorch's return_indices value: flat index into H*W (1-D: into L) of channel (n, c)

    // Avg
    float sum = 0;  // float32 Σ of the input cells, row-major window order
    int64_t divisor = 1;
    PoolDivisorRule divisor_rule = PoolDivisorRule::IncludePadding;
    std::string divisor_text;  // e.g. "count_include_pad=True: 9 cells incl. padding"

    float value = 0;  // the output element, as PyTorch computes it
};

class PoolCursor {
public:
    // x must outlive the cursor (it keeps a pointer) and have the shape pool_check accepted for g.
    PoolCursor(const PoolGeometry& g, const Tensor& x);

    const PoolGeometry& geometry() const { return g_; }
    int64_t step_count() const { return g_.output_positions(); }

    // Full state at `step` (0 <= step < step_count). Reuses out's buffers: no allocation after the first call
    // (divisor_text may grow once).
    void state_at(int64_t step, PoolState& out) const;
    PoolState state_at(int64_t step) const;

    // The step of output position (n, c, y, x).
    int64_t step_of(int64_t n, int64_t c, int64_t y, int64_t x) const;

private:
    PoolGeometry g_;
    const Tensor* x_;
};

// ---------------------------------------------------------------------------------------------------------------
// torch.relu: max(x, 0) elementwise, keeping NaN and -0.0 as PyTorch does (it clamps only values < 0).
Tensor relu(const Tensor& x);

}  // namespace convscope
