// convscope core: the step-through cursor, the heart of the app.
//
// A convolution is a sequence of multiply-adds in a fixed, documented order:
//   for n, for c_out, for y, for x            (one output position)
//     for ci in the group's input channels     (one input channel)
//       for ky, for kx                         (one MAC: input tap × weight)
// The cursor names a place in that sequence at one of three granularities and gives the complete state there
// by random access: state_at(step) costs one window (C_in/groups × kH × kW taps), never a replay.
// Like ImGuiListClipper, it is a value you step; the UI renders CursorState and never re-does arithmetic.
//
// Sections: Granularity · CursorTap/CursorChannel/CursorState · ConvCursor · inverse map
#pragma once

#include <cstdint>
#include <vector>

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope {

enum class Granularity {
    Position,  // one step per output element; the state is the end of that position
    Channel,   // one step per (output element, input channel of the group); the state is the end of that channel
    Mac,       // one step per multiply-add
};

const char* granularity_name(Granularity g);
// Steps per output position at a granularity: 1, C_in/groups, or C_in/groups x kH x kW.
int64_t steps_per_position(const ConvGeometry& g, Granularity gran);

struct CursorTap {
    int64_t ky = 0, kx = 0;
    int64_t py = 0, px = 0;        // the tap's input coordinate; outside [0, H) × [0, W) means the padding ring
    int64_t src_y = 0, src_x = 0;  // the real input element read (reflect/replicate/circular); -1: zero padding
    bool padding = false;          // the tap lies in the padding ring
    float input = 0, weight = 0, product = 0;
};

struct CursorChannel {
    int64_t c_in = 0;  // the real input channel (group offset applied)
    float sum = 0;     // Σ of this channel's products, in ky, kx order
};

struct CursorState {
    int64_t step = 0;
    Granularity granularity = Granularity::Position;
    int64_t n = 0, c_out = 0, y = 0, x = 0;  // output position (1-D: y = 0)
    int64_t ci = 0, ky = 0, kx = 0;          // the current MAC: ci indexes `channels`
    int64_t mac = 0;                         // index of the current MAC within the position, 0 .. macs-1
    int64_t macs = 0;                        // MACs per position: C_in/groups × kH × kW
    std::vector<CursorChannel> channels;     // C_in/groups entries
    std::vector<CursorTap> taps;             // channels × kH × kW, index (ci * kH + ky) * kW + kx
    float accumulator = 0;                   // running sum of products up to and including the current MAC
    float bias = 0;
    float value = 0;  // the output element: Σ channel sums + bias (what PyTorch computes)
    bool position_complete() const { return mac == macs - 1; }
};

class ConvCursor {
public:
    // The tensors must outlive the cursor (it keeps pointers). bias may be null.
    ConvCursor(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias);

    const ConvGeometry& geometry() const { return g_; }
    int64_t step_count(Granularity gran) const;

    // Full state at `step` (0 <= step < step_count). Reuses out's buffers: no allocation after the first call.
    void state_at(int64_t step, Granularity gran, CursorState& out) const;
    CursorState state_at(int64_t step, Granularity gran) const;

    // The step that ends output position (n, c_out, y, x) at granularity gran.
    int64_t step_of(int64_t n, int64_t c_out, int64_t y, int64_t x, Granularity gran) const;
    // The step at granularity `to` that shows the same moment as `step` at `from` (or the nearest before it).
    int64_t convert_step(int64_t step, Granularity from, Granularity to) const;

private:
    ConvGeometry g_;
    const Tensor* x_;
    const Tensor* w_;
    const Tensor* bias_;
};

// Inverse map: every (output position, tap) that reads input element (c, iy, ix) of any batch item
// (the batch index is unchanged by convolution). Padding copies count: with reflect/replicate/circular an input
// pixel is also read through the padding cells that copy it.
struct InverseHit {
    int64_t c_out = 0, y = 0, x = 0;  // the output position
    int64_t ci = 0, ky = 0, kx = 0;   // the tap: ci within the group
    bool through_padding = false;     // read via a padding copy
};
std::vector<InverseHit> conv_inverse_map(const ConvGeometry& g, int64_t c, int64_t iy, int64_t ix);

}  // namespace convscope
