#include "conv_transpose_cursor.hpp"

#include <algorithm>
#include <cassert>

namespace convscope {

const char* transpose_order_name(TransposeOrder order) {
    return order == TransposeOrder::Scatter ? "scatter" : "gather";
}

const char* gather_tap_kind_name(GatherTapKind kind) {
    switch (kind) {
        case GatherTapKind::Input:
            return "input";
        case GatherTapKind::InsertedZero:
            return "inserted_zero";
        case GatherTapKind::Padding:
            return "padding";
    }
    return "?";
}

ConvTransposeCursor::ConvTransposeCursor(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w,
                                         const Tensor* bias)
    : g_(g), x_(&x), w_(&w), bias_(bias) {
    assert(x.numel() == g.input_positions());
}

namespace {

int64_t steps_per_unit(const ConvTransposeGeometry& g, TransposeOrder order, Granularity gran) {
    const int64_t kk = g.kernel[0] * g.kernel[1];
    switch (gran) {
        case Granularity::Position:
            return 1;
        case Granularity::Channel:
            return order == TransposeOrder::Scatter ? g.c_out_per_group : g.c_in_per_group;
        case Granularity::Mac:
            return (order == TransposeOrder::Scatter ? g.c_out_per_group : g.c_in_per_group) * kk;
    }
    return 1;
}

// The MAC index within the unit (stamp or window) that a step at `gran` ends on.
int64_t mac_of(int64_t within, Granularity gran, int64_t kk, int64_t macs) {
    switch (gran) {
        case Granularity::Position:
            return macs - 1;
        case Granularity::Channel:
            return within * kk + kk - 1;
        case Granularity::Mac:
            return within;
    }
    return macs - 1;
}

// The one input index along an axis whose tap k lands on output o, or -1 (between inputs, or outside).
int64_t source_index(int64_t o, int64_t k, int64_t in, int64_t stride, int64_t padding, int64_t dilation) {
    const int64_t z = o + padding - k * dilation;  // zero-inserted coordinate
    if (z < 0 || z % stride != 0) return -1;
    const int64_t i = z / stride;
    return i < in ? i : -1;
}

}  // namespace

int64_t ConvTransposeCursor::step_count(TransposeOrder order, Granularity gran) const {
    const int64_t units = order == TransposeOrder::Scatter ? g_.input_positions() : g_.output_positions();
    return units * steps_per_unit(g_, order, gran);
}

int64_t ConvTransposeCursor::scatter_step_of(int64_t n, int64_t c_in, int64_t iy, int64_t ix, Granularity gran) const {
    const int64_t pos = ((n * g_.c_in + c_in) * g_.in[0] + iy) * g_.in[1] + ix;
    const int64_t per = steps_per_unit(g_, TransposeOrder::Scatter, gran);
    return pos * per + per - 1;
}

int64_t ConvTransposeCursor::gather_step_of(int64_t n, int64_t c_out, int64_t y, int64_t x, Granularity gran) const {
    const int64_t pos = ((n * g_.c_out + c_out) * g_.out[0] + y) * g_.out[1] + x;
    const int64_t per = steps_per_unit(g_, TransposeOrder::Gather, gran);
    return pos * per + per - 1;
}

float ConvTransposeCursor::channel_partial(int64_t n, int64_t c, int64_t co, int64_t oy, int64_t ox, int64_t iy_end,
                                           int64_t ix_end, bool inclusive) const {
    const ConvTransposeGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const int64_t co_local = co - (c / g.c_in_per_group) * g.c_out_per_group;
    const float* xc = x_->data.data() + (n * g.c_in + c) * H * W;
    const float* wc = w_->data.data() + (c * g.c_out_per_group + co_local) * kH * kW;
    const int64_t end = iy_end * W + ix_end + (inclusive ? 1 : 0);  // raster index bound (exclusive)
    float sum = 0.0f;
    // Flipped kernel order: ky descending visits the input rows ascending, kx descending the columns ascending.
    for (int64_t ky = kH - 1; ky >= 0; --ky) {
        const int64_t iy = source_index(oy, ky, H, g.stride[0], g.padding[0], g.dilation[0]);
        if (iy < 0) continue;
        for (int64_t kx = kW - 1; kx >= 0; --kx) {
            const int64_t ix = source_index(ox, kx, W, g.stride[1], g.padding[1], g.dilation[1]);
            if (ix < 0 || iy * W + ix >= end) continue;
            sum += xc[iy * W + ix] * wc[ky * kW + kx];
        }
    }
    return sum;
}

float ConvTransposeCursor::completed_channels(int64_t n, int64_t c_end, int64_t co, int64_t oy, int64_t ox) const {
    const int64_t first = (co / g_.c_out_per_group) * g_.c_in_per_group;
    float acc = 0.0f;
    for (int64_t c = first; c < c_end; ++c) acc += channel_partial(n, c, co, oy, ox, g_.in[0], 0, false);
    return acc;
}

ScatterState ConvTransposeCursor::scatter_state_at(int64_t step, Granularity gran) const {
    ScatterState s;
    scatter_state_at(step, gran, s);
    return s;
}

void ConvTransposeCursor::scatter_state_at(int64_t step, Granularity gran, ScatterState& s) const {
    assert(step >= 0 && step < step_count(TransposeOrder::Scatter, gran));
    const ConvTransposeGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t kk = kH * kW;

    // Decompose the step: which input element, and which MAC of its stamp.
    const int64_t per = steps_per_unit(g, TransposeOrder::Scatter, gran);
    int64_t pos = step / per;
    s.step = step;
    s.granularity = gran;
    s.macs = g.macs_per_input();
    s.mac = mac_of(step % per, gran, kk, s.macs);
    s.co = s.mac / kk;
    s.ky = (s.mac % kk) / kW;
    s.kx = s.mac % kW;
    s.ix = pos % W;
    pos /= W;
    s.iy = pos % H;
    pos /= H;
    s.c_in = pos % g.c_in;
    s.n = pos / g.c_in;
    s.group = s.c_in / g.c_in_per_group;
    s.input = (*x_)[((s.n * g.c_in + s.c_in) * H + s.iy) * W + s.ix];

    // The stamp: this input element times every kernel of its group's output channels.
    s.taps.resize(static_cast<size_t>(s.macs));
    const float* wd = w_->data.data() + s.c_in * g.c_out_per_group * kk;
    ScatterTap* tap = s.taps.data();
    for (int64_t co = 0; co < g.c_out_per_group; ++co) {
        const int64_t c_out = s.group * g.c_out_per_group + co;
        for (int64_t ky = 0; ky < kH; ++ky) {
            for (int64_t kx = 0; kx < kW; ++kx, ++tap) {
                tap->co = c_out;
                tap->ky = ky;
                tap->kx = kx;
                tap->oy = s.iy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
                tap->ox = s.ix * g.stride[1] - g.padding[1] + kx * g.dilation[1];
                tap->cropped = tap->oy < 0 || tap->oy >= Ho || tap->ox < 0 || tap->ox >= Wo;
                tap->weight = wd[(co * kH + ky) * kW + kx];
                tap->product = s.input * tap->weight;
                if (tap->cropped) {
                    tap->before = tap->after = 0.0f;
                    continue;
                }
                // The output element's running value: completed channels of the group, then this channel's
                // products of the input elements before this one, then this product.
                const float acc = completed_channels(s.n, s.c_in, c_out, tap->oy, tap->ox);
                const float partial = channel_partial(s.n, s.c_in, c_out, tap->oy, tap->ox, s.iy, s.ix, false);
                tap->before = acc + partial;
                tap->after = acc + (partial + tap->product);
            }
        }
    }
}

void ConvTransposeCursor::scatter_canvas_at(int64_t step, Granularity gran, Tensor& out) const {
    assert(step >= 0 && step < step_count(TransposeOrder::Scatter, gran));
    const ConvTransposeGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [Ho, Wo] = g.out;
    const int64_t kk = g.kernel[0] * g.kernel[1];
    const int64_t per = steps_per_unit(g, TransposeOrder::Scatter, gran);
    // Where the walk is: input element (n, c, iy, ix), and the last MAC of its stamp that is done.
    int64_t pos = step / per;
    const int64_t mac = mac_of(step % per, gran, kk, g.macs_per_input());
    const int64_t ix = pos % W;
    pos /= W;
    const int64_t iy = pos % H;
    pos /= H;
    const int64_t c = pos % g.c_in;
    const int64_t n = pos / g.c_in;
    const int64_t group = c / g.c_in_per_group;
    const bool group_done =
        c == (group + 1) * g.c_in_per_group - 1 && iy == H - 1 && ix == W - 1 && mac == g.macs_per_input() - 1;

    if (out.shape != g.output_shape()) out = Tensor(g.output_shape());
    for (int64_t on = 0; on < g.n; ++on) {
        for (int64_t co = 0; co < g.c_out; ++co) {
            const int64_t ogroup = co / g.c_out_per_group;
            // complete: every input channel of its group has painted; untouched: none has started.
            const bool complete = on < n || (on == n && (ogroup < group || (ogroup == group && group_done)));
            const bool untouched = on > n || (on == n && ogroup > group);
            const float b = bias_ ? (*bias_)[co] : 0.0f;
            float* plane = out.data.data() + (on * g.c_out + co) * Ho * Wo;
            for (int64_t oy = 0; oy < Ho; ++oy) {
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    float v = 0.0f;
                    if (complete) {
                        v = completed_channels(on, (ogroup + 1) * g.c_in_per_group, co, oy, ox) + b;
                    } else if (!untouched) {
                        // Same group, same item: channels before c are done; channel c has painted the elements
                        // before (iy, ix), and (iy, ix) itself when its tap onto this output is at or before `mac`.
                        const int64_t co_local = co - group * g.c_out_per_group;
                        bool inclusive = false;
                        const int64_t ky = oy + g.padding[0] - iy * g.stride[0];
                        const int64_t kx = ox + g.padding[1] - ix * g.stride[1];
                        if (ky >= 0 && kx >= 0 && ky % g.dilation[0] == 0 && kx % g.dilation[1] == 0 &&
                            ky / g.dilation[0] < g.kernel[0] && kx / g.dilation[1] < g.kernel[1])
                            inclusive =
                                (co_local * g.kernel[0] + ky / g.dilation[0]) * g.kernel[1] + kx / g.dilation[1] <= mac;
                        const float acc = completed_channels(on, c, co, oy, ox);
                        v = acc + channel_partial(on, c, co, oy, ox, iy, ix, inclusive);
                    }
                    plane[oy * Wo + ox] = v;
                }
            }
        }
    }
}

GatherState ConvTransposeCursor::gather_state_at(int64_t step, Granularity gran) const {
    GatherState s;
    gather_state_at(step, gran, s);
    return s;
}

void ConvTransposeCursor::gather_state_at(int64_t step, Granularity gran, GatherState& s) const {
    assert(step >= 0 && step < step_count(TransposeOrder::Gather, gran));
    const ConvTransposeGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const int64_t kk = kH * kW;

    const int64_t per = steps_per_unit(g, TransposeOrder::Gather, gran);
    int64_t pos = step / per;
    s.step = step;
    s.granularity = gran;
    s.macs = g.taps_per_output();
    s.mac = mac_of(step % per, gran, kk, s.macs);
    s.ci = s.mac / kk;
    s.fky = (s.mac % kk) / kW;
    s.fkx = s.mac % kW;
    s.x = pos % g.out[1];
    pos /= g.out[1];
    s.y = pos % g.out[0];
    pos /= g.out[0];
    s.c_out = pos % g.c_out;
    s.n = pos / g.c_out;

    // The window over the zero-inserted, padded input: every tap of every input channel of the group, with the
    // flipped kernel, in the documented order.
    const int64_t group = s.c_out / g.c_out_per_group;
    const int64_t co_local = s.c_out - group * g.c_out_per_group;
    const int64_t zy_max = (H - 1) * g.stride[0], zx_max = (W - 1) * g.stride[1];
    s.channels.resize(static_cast<size_t>(g.c_in_per_group));
    s.taps.resize(static_cast<size_t>(s.macs));
    s.contributing = 0;
    s.accumulator = 0.0f;
    float acc = 0.0f;  // Σ of completed channel sums, as the reference adds them
    GatherTap* tap = s.taps.data();
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        const int64_t c = group * g.c_in_per_group + ci;
        const float* xc = x_->data.data() + (s.n * g.c_in + c) * H * W;
        const float* wc = w_->data.data() + (c * g.c_out_per_group + co_local) * kk;
        float sum = 0.0f;
        for (int64_t fky = 0; fky < kH; ++fky) {
            const int64_t ky = kH - 1 - fky;
            const int64_t zy = s.y + g.padding[0] - ky * g.dilation[0];
            for (int64_t fkx = 0; fkx < kW; ++fkx, ++tap) {
                const int64_t kx = kW - 1 - fkx;
                const int64_t zx = s.x + g.padding[1] - kx * g.dilation[1];
                tap->fky = fky;
                tap->fkx = fkx;
                tap->ky = ky;
                tap->kx = kx;
                tap->zy = zy;
                tap->zx = zx;
                tap->weight = wc[ky * kW + kx];
                if (zy < 0 || zy > zy_max || zx < 0 || zx > zx_max)
                    tap->kind = GatherTapKind::Padding;
                else if (zy % g.stride[0] != 0 || zx % g.stride[1] != 0)
                    tap->kind = GatherTapKind::InsertedZero;
                else
                    tap->kind = GatherTapKind::Input;
                if (tap->kind == GatherTapKind::Input) {
                    tap->iy = zy / g.stride[0];
                    tap->ix = zx / g.stride[1];
                    tap->input = xc[tap->iy * W + tap->ix];
                    tap->product = tap->input * tap->weight;
                    sum += tap->product;
                    ++s.contributing;
                } else {
                    tap->iy = tap->ix = -1;
                    tap->input = tap->product = 0.0f;
                }
                if (ci == s.ci && fky * kW + fkx == s.mac % kk) s.accumulator = acc + sum;
            }
        }
        s.channels[static_cast<size_t>(ci)] = CursorChannel{c, sum};
        acc += sum;
    }
    s.bias = bias_ ? (*bias_)[s.c_out] : 0.0f;
    s.value = acc + s.bias;
}

}  // namespace convscope
