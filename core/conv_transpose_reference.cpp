#include "conv_transpose_reference.hpp"

#include <algorithm>
#include <cassert>
#include <vector>

namespace convscope {

Tensor conv_transpose_reference(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias) {
    // x: (N, C_in, H, W)   w: (C_in, C_out/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    // (1-D data is the same memory with H = 1; unbatched data the same memory with N = 1.)
    assert(x.numel() == g.input_positions());
    Tensor y(g.output_shape_torch());
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t plane = Ho * Wo;
    // One input channel's painting, kept apart so that channels are added whole, in channel order (the
    // documented summation order). Reused for every channel.
    std::vector<float> channel_sum(static_cast<size_t>(g.c_out_per_group * plane));
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t group = 0; group < g.groups; ++group) {
            const int64_t co0 = group * g.c_out_per_group;  // the group's first output channel
            float* yg = y.data.data() + (n * g.c_out + co0) * plane;
            for (int64_t ci = group * g.c_in_per_group; ci < (group + 1) * g.c_in_per_group; ++ci) {
                std::fill(channel_sum.begin(), channel_sum.end(), 0.0f);
                // Scatter: every input element of channel ci stamps its value times the kernel w[ci, co] into
                // every output channel co of the group. Taps outside the output (cropped by padding) are dropped.
                for (int64_t iy = 0; iy < H; ++iy) {
                    for (int64_t ix = 0; ix < W; ++ix) {
                        const float xv = x[((n * g.c_in + ci) * H + iy) * W + ix];
                        for (int64_t co = 0; co < g.c_out_per_group; ++co) {
                            for (int64_t ky = 0; ky < kH; ++ky) {
                                const int64_t oy = iy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
                                if (oy < 0 || oy >= Ho) continue;
                                for (int64_t kx = 0; kx < kW; ++kx) {
                                    const int64_t ox = ix * g.stride[1] - g.padding[1] + kx * g.dilation[1];
                                    if (ox < 0 || ox >= Wo) continue;
                                    const float wv = w[((ci * g.c_out_per_group + co) * kH + ky) * kW + kx];
                                    channel_sum[static_cast<size_t>(co * plane + oy * Wo + ox)] += xv * wv;
                                }
                            }
                        }
                    }
                }
                // The channel's painting is complete: add it to the output.
                for (int64_t i = 0; i < g.c_out_per_group * plane; ++i) yg[i] += channel_sum[static_cast<size_t>(i)];
            }
            for (int64_t co = 0; co < g.c_out_per_group; ++co) {
                const float b = bias ? (*bias)[co0 + co] : 0.0f;
                for (int64_t i = 0; i < plane; ++i) yg[co * plane + i] += b;
            }
        }
    }
    return y;
}

std::vector<int32_t> conv_transpose_contribution_counts(const ConvTransposeGeometry& g) {
    std::vector<int32_t> counts(static_cast<size_t>(g.out[0] * g.out[1]), 0);
    for (int64_t iy = 0; iy < g.in[0]; ++iy)
        for (int64_t ix = 0; ix < g.in[1]; ++ix)
            for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
                const int64_t oy = iy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
                if (oy < 0 || oy >= g.out[0]) continue;
                for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
                    const int64_t ox = ix * g.stride[1] - g.padding[1] + kx * g.dilation[1];
                    if (ox >= 0 && ox < g.out[1]) ++counts[static_cast<size_t>(oy * g.out[1] + ox)];
                }
            }
    return counts;
}

}  // namespace convscope
