// Sections: col2im · one batch item · conv_transpose_fast
#include "conv_transpose_fast.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <vector>

#include "thread_pool.hpp"

namespace convscope {

namespace {

// Adds the columns of output channels [co0, co1) into the output planes of one group.
// cols: rows (co, ky, kx) of the group, each with one entry per input position (iy, ix); y: (C_out/groups, Ho, Wo).
void col2im(const ConvTransposeGeometry& g, const float* cols, int64_t co0, int64_t co1, float* y) {
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t sy = g.stride[0], sx = g.stride[1], dy = g.dilation[0], dx = g.dilation[1];
    for (int64_t co = co0; co < co1; ++co) {
        float* plane = y + co * Ho * Wo;
        for (int64_t ky = 0; ky < kH; ++ky) {
            for (int64_t kx = 0; kx < kW; ++kx) {
                const float* row = cols + ((co * kH + ky) * kW + kx) * H * W;
                // The input columns whose tap lands inside the output: ix in [ix0, ix1).
                const int64_t ox_first = kx * dx - g.padding[1];
                const int64_t ix0 = ox_first >= 0 ? 0 : (-ox_first + sx - 1) / sx;
                const int64_t ix1 = std::min(W, ox_first >= Wo ? 0 : (Wo - 1 - ox_first) / sx + 1);
                for (int64_t iy = 0; iy < H; ++iy) {
                    const int64_t oy = iy * sy - g.padding[0] + ky * dy;
                    if (oy < 0 || oy >= Ho) continue;
                    const float* src = row + iy * W;
                    float* dst = plane + oy * Wo;
                    if (sx == 1) {
                        for (int64_t ix = ix0; ix < ix1; ++ix) dst[ox_first + ix] += src[ix];
                    } else {
                        for (int64_t ix = ix0; ix < ix1; ++ix) dst[ox_first + ix * sx] += src[ix];
                    }
                }
            }
        }
    }
}

// One batch item: per group cols = W_g^T (C_out/groups*kH*kW x C_in/groups) * X_g (C_in/groups x H*W), col2im into
// the (zeroed) output, then the bias. `col2im_threads` > 1 splits col2im over output channels.
void item(const ConvTransposeGeometry& g, const float* xn, const float* w, const float* bias, float* yn,
          std::vector<float>& cols, int col2im_threads) {
    const int64_t P = g.in[0] * g.in[1];                              // input positions
    const int64_t M = g.c_out_per_group * g.kernel[0] * g.kernel[1];  // rows of the columns matrix
    const int64_t K = g.c_in_per_group;
    const int64_t plane = g.out[0] * g.out[1];
    cols.resize(static_cast<size_t>(M * P));
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        // w is (C_in, C_out/groups, kH, kW): the group's rows form a K x M matrix; transpose it in the GEMM.
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(P),
                    static_cast<int>(K), 1.0f, w + grp * K * M, static_cast<int>(M), xn + grp * K * P,
                    static_cast<int>(P), 0.0f, cols.data(), static_cast<int>(P));
        float* yg = yn + grp * g.c_out_per_group * plane;
        parallel_for(col2im_threads, g.c_out_per_group,
                     [&](int64_t co0, int64_t co1) { col2im(g, cols.data(), co0, co1, yg); });
        if (bias)
            for (int64_t co = 0; co < g.c_out_per_group; ++co) {
                const float b = bias[grp * g.c_out_per_group + co];
                for (int64_t i = 0; i < plane; ++i) yg[co * plane + i] += b;
            }
    }
}

}  // namespace

Tensor conv_transpose_fast(const ConvTransposeGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
                           int threads) {
    // x: (N, C_in, H, W)   w: (C_in, C_out/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(x.numel() == g.input_positions());
    Tensor y(g.output_shape_torch());  // zero-filled: col2im adds into it
    if (y.numel() == 0 || x.numel() == 0) return y;
    // Tiny layers lose more to handing work to other threads than they gain: below ~1 M multiply-adds, one thread.
    const double macs = static_cast<double>(g.input_positions()) * static_cast<double>(g.macs_per_input());
    const int workers = macs < 1.0e6 ? 1 : resolve_threads(threads);
    const float* b = bias ? bias->data.data() : nullptr;
    const int64_t item_in = g.c_in * g.in[0] * g.in[1], item_out = g.c_out * g.out[0] * g.out[1];
    const bool over_items = workers > 1 && g.n > 1;
    openblas_set_num_threads(over_items ? 1 : workers);
    parallel_for(over_items ? workers : 1, g.n, [&](int64_t n0, int64_t n1) {
        thread_local std::vector<float> cols;  // keeps its capacity between calls on the same thread
        for (int64_t n = n0; n < n1; ++n)
            item(g, x.data.data() + n * item_in, w.data.data(), b, y.data.data() + n * item_out, cols,
                 over_items ? 1 : workers);
    });
    return y;
}

}  // namespace convscope
