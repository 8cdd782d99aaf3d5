#include "conv_pointwise.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <vector>

#include "thread_pool.hpp"

namespace convscope {

bool is_pointwise(const ConvGeometry& g) {
    return g.kernel == std::array<int64_t, 2>{1, 1} && g.pad_begin == std::array<int64_t, 2>{0, 0} &&
           g.pad_end == std::array<int64_t, 2>{0, 0};
}

namespace {

// One item: X is the input itself (stride 1) or its subsampled copy; per group Y_g = bias + W_g * X_g.
void pointwise_item(const ConvGeometry& g, const float* xn, const float* w, const float* bias, float* yn,
                    std::vector<float>& sub) {
    const int64_t Ho = g.out[0], Wo = g.out[1], P = Ho * Wo, K = g.c_in_per_group, M = g.c_out_per_group;
    const float* matrix = xn;
    if (P != g.in[0] * g.in[1]) {
        // Strided: output (oy, ox) reads input (oy * sy, ox * sx) (an axis with one output reads index 0).
        const int64_t sy = Ho > 1 ? g.stride[0] : 0, sx = Wo > 1 ? g.stride[1] : 0;
        sub.resize(static_cast<size_t>(g.c_in * P));
        for (int64_t c = 0; c < g.c_in; ++c) {
            const float* plane = xn + c * g.in[0] * g.in[1];
            float* dst = sub.data() + c * P;
            for (int64_t oy = 0; oy < Ho; ++oy)
                for (int64_t ox = 0; ox < Wo; ++ox) dst[oy * Wo + ox] = plane[oy * sy * g.in[1] + ox * sx];
        }
        matrix = sub.data();
    }
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        float* yg = yn + grp * M * P;
        for (int64_t m = 0; m < M; ++m) std::fill(yg + m * P, yg + (m + 1) * P, bias ? bias[grp * M + m] : 0.0f);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(P), static_cast<int>(K),
                    1.0f, w + grp * M * K, static_cast<int>(K), matrix + grp * K * P, static_cast<int>(P), 1.0f, yg,
                    static_cast<int>(P));
    }
}

}  // namespace

void conv_pointwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, 1, 1)   y: (N, C_out, H_out, W_out)
    assert(is_pointwise(g) && threads >= 1);
    const int64_t item_in = g.c_in * g.in[0] * g.in[1], item_out = g.c_out * g.out[0] * g.out[1];
    const bool over_items = threads > 1 && g.n > 1;
    openblas_set_num_threads(over_items ? 1 : threads);
    parallel_for(over_items ? threads : 1, g.n, [&](int64_t n0, int64_t n1) {
        thread_local std::vector<float> sub;  // keeps its capacity between calls on the same thread
        for (int64_t n = n0; n < n1; ++n) pointwise_item(g, x + n * item_in, w, bias, y + n * item_out, sub);
    });
}

}  // namespace convscope
