#include "cursor.hpp"

#include <cassert>

#include "conv_reference.hpp"

namespace convscope {

const char* granularity_name(Granularity g) {
    switch (g) {
        case Granularity::Position:
            return "position";
        case Granularity::Channel:
            return "channel";
        case Granularity::Mac:
            return "mac";
    }
    return "?";
}

ConvCursor::ConvCursor(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias)
    : g_(g), x_(&x), w_(&w), bias_(bias) {
    assert(x.numel() == shape_numel(g.input_shape()));
}

int64_t steps_per_position(const ConvGeometry& g, Granularity gran) {
    switch (gran) {
        case Granularity::Position:
            return 1;
        case Granularity::Channel:
            return g.c_in_per_group;
        case Granularity::Mac:
            return g.macs_per_output();
    }
    return 1;
}

int64_t ConvCursor::step_count(Granularity gran) const { return g_.output_positions() * steps_per_position(g_, gran); }

int64_t ConvCursor::step_of(int64_t n, int64_t c_out, int64_t y, int64_t x, Granularity gran) const {
    const int64_t pos = ((n * g_.c_out + c_out) * g_.out[0] + y) * g_.out[1] + x;
    const int64_t per = steps_per_position(g_, gran);
    return pos * per + per - 1;
}

int64_t ConvCursor::convert_step(int64_t step, Granularity from, Granularity to) const {
    const int64_t per_from = steps_per_position(g_, from);
    const int64_t pos = step / per_from;
    const int64_t within = step % per_from;
    // The MAC this step ends at, then the step at `to` that contains it.
    const int64_t kk = g_.kernel[0] * g_.kernel[1];
    int64_t mac = 0;
    switch (from) {
        case Granularity::Position:
            mac = g_.macs_per_output() - 1;
            break;
        case Granularity::Channel:
            mac = within * kk + kk - 1;
            break;
        case Granularity::Mac:
            mac = within;
            break;
    }
    switch (to) {
        case Granularity::Position:
            return pos;
        case Granularity::Channel:
            return pos * g_.c_in_per_group + mac / kk;
        case Granularity::Mac:
            return pos * g_.macs_per_output() + mac;
    }
    return step;
}

CursorState ConvCursor::state_at(int64_t step, Granularity gran) const {
    CursorState s;
    state_at(step, gran, s);
    return s;
}

void ConvCursor::state_at(int64_t step, Granularity gran, CursorState& s) const {
    assert(step >= 0 && step < step_count(gran));
    const ConvGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const int64_t kk = kH * kW;

    // Decompose the step: which output position, and which MAC within it.
    const int64_t per = steps_per_position(g, gran);
    int64_t pos = step / per;
    const int64_t within = step % per;
    s.step = step;
    s.granularity = gran;
    s.macs = g.macs_per_output();
    s.mac = gran == Granularity::Mac ? within : gran == Granularity::Channel ? within * kk + kk - 1 : s.macs - 1;
    s.ci = s.mac / kk;
    s.ky = (s.mac % kk) / kW;
    s.kx = s.mac % kW;
    s.x = pos % g.out[1];
    pos /= g.out[1];
    s.y = pos % g.out[0];
    pos /= g.out[0];
    s.c_out = pos % g.c_out;
    s.n = pos / g.c_out;

    // The window: every tap of every input channel of the group, in the documented order.
    const int64_t group = s.c_out / g.c_out_per_group;
    s.channels.resize(static_cast<size_t>(g.c_in_per_group));
    s.taps.resize(static_cast<size_t>(g.c_in_per_group * kk));
    const float* xd = x_->data.data();
    const float* wd = w_->data.data() + s.c_out * g.c_in_per_group * kk;
    float acc = 0.0f;  // Σ of completed channel sums, as the reference adds them
    s.accumulator = 0.0f;
    CursorTap* tap = s.taps.data();
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        const int64_t c = group * g.c_in_per_group + ci;
        const float* xc = xd + (s.n * g.c_in + c) * H * W;
        float sum = 0.0f;
        for (int64_t ky = 0; ky < kH; ++ky) {
            const int64_t py = s.y * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0];
            const int64_t sy = resolve_padded_index(py, H, g.mode);
            for (int64_t kx = 0; kx < kW; ++kx, ++tap) {
                const int64_t px = s.x * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1];
                const int64_t sx = resolve_padded_index(px, W, g.mode);
                tap->ky = ky;
                tap->kx = kx;
                tap->py = py;
                tap->px = px;
                tap->padding = py < 0 || py >= H || px < 0 || px >= W;
                const bool reads_zero = sy < 0 || sx < 0;
                tap->src_y = reads_zero ? -1 : sy;
                tap->src_x = reads_zero ? -1 : sx;
                tap->input = reads_zero ? 0.0f : xc[sy * W + sx];
                tap->weight = wd[(ci * kH + ky) * kW + kx];
                tap->product = tap->input * tap->weight;
                sum += tap->product;
                // The running accumulator at the current MAC: completed channels + this channel so far.
                if (ci == s.ci && ky * kW + kx == s.mac % kk) s.accumulator = acc + sum;
            }
        }
        s.channels[static_cast<size_t>(ci)] = CursorChannel{c, sum};
        acc += sum;
    }
    s.bias = bias_ ? (*bias_)[s.c_out] : 0.0f;
    s.value = acc + s.bias;
}

std::vector<InverseHit> conv_inverse_map(const ConvGeometry& g, int64_t c, int64_t iy, int64_t ix) {
    std::vector<InverseHit> hits;
    const int64_t group = c / g.c_in_per_group;
    const int64_t ci = c % g.c_in_per_group;
    // For one axis: every (output index, kernel index, via padding) whose tap resolves to input index i.
    struct AxisHit {
        int64_t out, k;
        bool padding;
    };
    auto axis_hits = [&](int axis, int64_t i) {
        std::vector<AxisHit> r;
        const int64_t size = g.in[axis];
        for (int64_t p = -g.pad_begin[axis]; p < size + g.pad_end[axis]; ++p) {
            if (resolve_padded_index(p, size, g.mode) != i) continue;
            for (int64_t k = 0; k < g.kernel[axis]; ++k) {
                const int64_t num = p + g.pad_begin[axis] - k * g.dilation[axis];
                if (num < 0 || num % g.stride[axis] != 0) continue;
                const int64_t o = num / g.stride[axis];
                if (o < g.out[axis]) r.push_back({o, k, p < 0 || p >= size});
            }
        }
        return r;
    };
    const std::vector<AxisHit> ys = axis_hits(0, iy);
    const std::vector<AxisHit> xs = axis_hits(1, ix);
    for (int64_t co = group * g.c_out_per_group; co < (group + 1) * g.c_out_per_group; ++co)
        for (const AxisHit& hy : ys)
            for (const AxisHit& hx : xs) hits.push_back({co, hy.out, hx.out, ci, hy.k, hx.k, hy.padding || hx.padding});
    return hits;
}

}  // namespace convscope
