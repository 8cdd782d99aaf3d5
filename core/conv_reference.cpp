#include "conv_reference.hpp"

#include <cassert>

namespace convscope {

int64_t resolve_padded_index(int64_t p, int64_t size, PaddingMode mode) {
    if (p >= 0 && p < size) return p;
    switch (mode) {
        case PaddingMode::Zeros:
            return -1;
        case PaddingMode::Reflect:
            return p < 0 ? -p : 2 * (size - 1) - p;
        case PaddingMode::Replicate:
            return p < 0 ? 0 : size - 1;
        case PaddingMode::Circular:
            return p < 0 ? p + size : p - size;
    }
    return -1;
}

Tensor conv_reference(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    // (1-D data is the same memory with H = 1; unbatched data the same memory with N = 1.)
    assert(x.numel() == shape_numel(g.input_shape()));
    Tensor y(g.output_shape_torch());
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t co = 0; co < g.c_out; ++co) {
            // Output channel co belongs to group co / (C_out/groups) and sees only that group's input channels.
            const int64_t group = co / g.c_out_per_group;
            for (int64_t oy = 0; oy < Ho; ++oy) {
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    float acc = 0.0f;
                    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
                        const int64_t c = group * g.c_in_per_group + ci;  // the real input channel
                        float channel_sum = 0.0f;
                        for (int64_t ky = 0; ky < kH; ++ky) {
                            // Row of the tap in padded coordinates, then the real row it reads.
                            const int64_t iy =
                                resolve_padded_index(oy * g.stride[0] - g.pad_begin[0] + ky * g.dilation[0], H, g.mode);
                            for (int64_t kx = 0; kx < kW; ++kx) {
                                const int64_t ix = resolve_padded_index(
                                    ox * g.stride[1] - g.pad_begin[1] + kx * g.dilation[1], W, g.mode);
                                const float wv = w[((co * g.c_in_per_group + ci) * kH + ky) * kW + kx];
                                const float xv = (iy < 0 || ix < 0) ? 0.0f : x[((n * g.c_in + c) * H + iy) * W + ix];
                                channel_sum += xv * wv;
                            }
                        }
                        acc += channel_sum;
                    }
                    const float b = bias ? (*bias)[co] : 0.0f;
                    y[((n * g.c_out + co) * Ho + oy) * Wo + ox] = acc + b;
                }
            }
        }
    }
    return y;
}

}  // namespace convscope
