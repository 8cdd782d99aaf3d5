#include "pool_fast.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <thread>
#include <vector>

namespace convscope {

namespace {

// Output indices [lo, hi) whose window [o*s - pad, o*s - pad + d*(k-1)] lies inside [0, size).
std::pair<int64_t, int64_t> interior_range(int64_t size, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pad) {
    const int64_t lo = std::min(out, (pad + s - 1) / s);
    const int64_t last_start = size - 1 - d * (k - 1) + pad;  // the largest o*s that still fits
    const int64_t hi = last_start < 0 ? 0 : std::min(out, last_start / s + 1);
    return {lo, std::max(lo, hi)};
}

// The max rule as a select (no branch on the data): v replaces best when larger, or when v is NaN.
inline float takes_over(float v, float best) {
    const bool take = (v > best) | (v != v);
    return take ? v : best;
}

}  // namespace

Tensor pool_fast(const PoolGeometry& g, const Tensor& x, int threads) {
    // x: (N, C, H, W)   y: (N, C, H_out, W_out)
    assert(x.numel() == shape_numel(g.input_shape()));
    Tensor y(g.output_shape_torch());
    // (plain variables, not structured bindings: the worker lambda captures them)
    const int64_t H = g.in[0], W = g.in[1], kH = g.kernel[0], kW = g.kernel[1], Ho = g.out[0], Wo = g.out[1];
    const std::pair<int64_t, int64_t> ys = interior_range(H, Ho, kH, g.stride[0], g.dilation[0], g.pad_begin[0]);
    const std::pair<int64_t, int64_t> xs = interior_range(W, Wo, kW, g.stride[1], g.dilation[1], g.pad_begin[1]);
    const int64_t ylo = ys.first, yhi = ys.second, xlo = xs.first, xhi = xs.second;
    const int64_t planes = g.n * g.c;
    const bool is_max = g.mode == PoolMode::Max;
    const bool max2x2 = kH == 2 && kW == 2 && g.dilation[0] == 1 && g.dilation[1] == 1;
    const float divisor = static_cast<float>(g.divisor_override ? *g.divisor_override : kH * kW);
    PoolCursor cursor(g, x);

    auto run_planes = [&](int64_t p0, int64_t p1) {
        PoolState border;
        for (int64_t p = p0; p < p1; ++p) {
            const float* plane = x.data.data() + p * H * W;
            float* out = y.data.data() + p * Ho * Wo;
            for (int64_t oy = 0; oy < Ho; ++oy) {
                const bool row_inside = oy >= ylo && oy < yhi;
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    if (!row_inside || ox < xlo || ox >= xhi) {
                        // Padding, overhang, partial windows: the cursor's exact rule for this one window.
                        cursor.state_at((p * Ho + oy) * Wo + ox, border);
                        out[oy * Wo + ox] = border.value;
                        continue;
                    }
                    const float* win = plane + (oy * g.stride[0] - g.pad_begin[0]) * W + (ox * g.stride[1] - g.pad_begin[1]);
                    if (is_max && max2x2) {
                        // The common MaxPool2d(2): the same rule unrolled (first of equal maxima, NaN takes over).
                        float best = win[0];
                        best = takes_over(win[1], best);
                        best = takes_over(win[W], best);
                        best = takes_over(win[W + 1], best);
                        out[oy * Wo + ox] = best;
                    } else if (is_max) {
                        // Same rule as the reference: first of equal maxima, NaN takes over.
                        float best = -INFINITY;
                        for (int64_t ky = 0; ky < kH; ++ky) {
                            const float* row = win + ky * g.dilation[0] * W;
                            for (int64_t kx = 0; kx < kW; ++kx) {
                                const float v = row[kx * g.dilation[1]];
                                if (v > best || std::isnan(v)) best = v;
                            }
                        }
                        out[oy * Wo + ox] = best;
                    } else {
                        float sum = 0.0f;
                        for (int64_t ky = 0; ky < kH; ++ky)
                            for (int64_t kx = 0; kx < kW; ++kx) sum += win[ky * W + kx];
                        out[oy * Wo + ox] = 0.0f + sum / divisor;
                    }
                }
            }
        }
    };
    const unsigned hc = std::thread::hardware_concurrency();
    const int64_t workers = std::clamp<int64_t>(threads > 0 ? threads : (hc ? hc : 1), 1, std::max<int64_t>(planes, 1));
    if (workers == 1 || planes * Ho * Wo < 65536) {
        run_planes(0, planes);
        return y;
    }
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < workers; ++t) pool.emplace_back(run_planes, planes * t / workers, planes * (t + 1) / workers);
    run_planes(0, planes / workers);
    for (std::thread& th : pool) th.join();
    return y;
}

}  // namespace convscope
