// convscope core: the step-through cursor of a transposed convolution, in both of its pictures.
//
// Scatter ("paint", what PyTorch's GEMM + col2im does): walk the INPUT
//   for n, for c_in, for iy, for ix                 (one input element: a Position step)
//     for co in the group's output channels          (its stamp into one output channel: a Channel step)
//       for ky, for kx                                (one multiply-add: a Mac step)
//   the product x[n, c_in, iy, ix] * w[c_in, co, ky, kx] lands on output (iy*s - p + ky*d, ix*s - p + kx*d);
//   taps outside the output are cropped (they fall into the padding that transposed convolution removes).
// Gather (conv_arithmetic's picture): walk the OUTPUT like a plain convolution over the zero-inserted input
//   (stride-1 zeros between input elements, padded by dilation*(k-1) - padding, output_padding more at the end)
//   with the kernel flipped:
//   for n, for c_out, for y, for x                  (one output element: a Position step)
//     for ci in the group's input channels           (a Channel step)
//       for fky, for fkx (flipped kernel: ky = kH-1-fky)   (one window tap: a Mac step)
//   only taps on a real input element contribute; the others sit on an inserted zero or on the padding.
//
// Both give the full state at any step by random access (one stamp or one window of work, never a replay), and
// both add in the reference's order (conv_transpose_reference.hpp): per output, channel sums in channel order,
// each adding its input elements in raster order - which is the flipped window's order. So the gather state's
// value, the scatter canvas after the last step and the reference agree bit for bit.
// The states are plain values a window can draw without redoing arithmetic.
//
// Sections: TransposeOrder · ScatterTap/ScatterState · GatherTap/GatherState · ConvTransposeCursor
#pragma once

#include <cstdint>
#include <vector>

#include "conv_transpose_spec.hpp"
#include "cursor.hpp"  // Granularity, CursorChannel
#include "tensor.hpp"

namespace convscope {

enum class TransposeOrder { Scatter, Gather };
const char* transpose_order_name(TransposeOrder order);  // "scatter", "gather"

struct ScatterTap {
    int64_t co = 0;          // the real output channel
    int64_t ky = 0, kx = 0;  // kernel tap w[c_in, co - group offset, ky, kx]
    int64_t oy = 0, ox = 0;  // where the product lands in the output (1-D: oy = 0)
    bool cropped = false;    // outside [0, H_out) x [0, W_out): dropped
    float weight = 0, product = 0;
    // The output element's running value (Σ of the completed channels + this channel so far, no bias) just
    // before and just after this tap adds its product; equal when cropped.
    float before = 0, after = 0;
};

struct ScatterState {
    int64_t step = 0;
    Granularity granularity = Granularity::Position;
    int64_t n = 0, c_in = 0, iy = 0, ix = 0;  // the input element being stamped (1-D: iy = 0)
    int64_t group = 0;                        // its group; it paints output channels group*C_out/groups ...
    float input = 0;
    int64_t co = 0, ky = 0, kx = 0;  // the current MAC: co within the group
    int64_t mac = 0;                 // index of the current MAC within the stamp, 0 .. macs-1
    int64_t macs = 0;                // C_out/groups x kH x kW
    std::vector<ScatterTap> taps;    // macs entries, index (co * kH + ky) * kW + kx
    bool stamp_complete() const { return mac == macs - 1; }
};

enum class GatherTapKind { Input, InsertedZero, Padding };
const char* gather_tap_kind_name(GatherTapKind kind);  // "input", "inserted_zero", "padding"

struct GatherTap {
    int64_t fky = 0, fkx = 0;  // position in the flipped kernel (the window)
    int64_t ky = 0, kx = 0;    // the weight tap it uses: w[c_in, c_out - group offset, ky, kx], ky = kH-1-fky
    int64_t zy = 0, zx = 0;    // the window cell in zero-inserted coordinates (input element i sits at i*stride);
                               // outside [0, (H-1)*stride] is the padding ring
    GatherTapKind kind = GatherTapKind::Padding;
    int64_t iy = -1, ix = -1;                  // the input element read (kind == Input), else -1
    float input = 0, weight = 0, product = 0;  // input and product 0 unless kind == Input
};

struct GatherState {
    int64_t step = 0;
    Granularity granularity = Granularity::Position;
    int64_t n = 0, c_out = 0, y = 0, x = 0;  // the output element (1-D: y = 0)
    int64_t ci = 0, fky = 0, fkx = 0;        // the current tap: ci indexes `channels`
    int64_t mac = 0;                         // index of the current tap within the window, 0 .. macs-1
    int64_t macs = 0;                        // C_in/groups x kH x kW
    std::vector<CursorChannel> channels;     // C_in/groups entries: real input channel, Σ of its products
    std::vector<GatherTap> taps;             // macs entries, index (ci * kH + fky) * kW + fkx
    int64_t contributing = 0;                // taps of kind Input
    float accumulator = 0;                   // completed channels + this channel's products up to the current tap
    float bias = 0;
    float value = 0;  // Σ channel sums + bias: the output element
    bool position_complete() const { return mac == macs - 1; }
};

class ConvTransposeCursor {
public:
    // The tensors must outlive the cursor (it keeps pointers). bias may be null.
    ConvTransposeCursor(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

    const ConvTransposeGeometry& geometry() const { return g_; }
    int64_t step_count(TransposeOrder order, Granularity gran) const;

    // Full state at `step` (0 <= step < step_count). Reuse `out` to avoid allocation after the first call.
    void scatter_state_at(int64_t step, Granularity gran, ScatterState& out) const;
    ScatterState scatter_state_at(int64_t step, Granularity gran) const;
    void gather_state_at(int64_t step, Granularity gran, GatherState& out) const;
    GatherState gather_state_at(int64_t step, Granularity gran) const;

    // The scatter picture's canvas after `step`: every output element as painted so far (Σ of the completed
    // channels + the current channel so far; the bias once the element's last input channel is done). After the
    // last step it is the output, bit for bit. Output shape (N, C_out, H_out, W_out). Costs one reference pass.
    void scatter_canvas_at(int64_t step, Granularity gran, Tensor& out) const;

    // The step that ends input element (n, c_in, iy, ix)'s stamp / output element (n, c_out, y, x)'s window.
    int64_t scatter_step_of(int64_t n, int64_t c_in, int64_t iy, int64_t ix, Granularity gran) const;
    int64_t gather_step_of(int64_t n, int64_t c_out, int64_t y, int64_t x, Granularity gran) const;

private:
    // Σ of input channel c's products landing on output (n, co, oy, ox), in raster order of the input elements,
    // over the elements before (iy_end, ix_end) in raster order, plus that element itself when `inclusive`.
    // Pass iy_end = H to take the whole channel.
    float channel_partial(int64_t n, int64_t c, int64_t co, int64_t oy, int64_t ox, int64_t iy_end, int64_t ix_end,
                          bool inclusive) const;
    // Σ of the completed channel sums [first channel of the group, c_end) for output (n, co, oy, ox).
    float completed_channels(int64_t n, int64_t c_end, int64_t co, int64_t oy, int64_t ox) const;

    ConvTransposeGeometry g_;
    const Tensor* x_;
    const Tensor* w_;
    const Tensor* bias_;
};

}  // namespace convscope
