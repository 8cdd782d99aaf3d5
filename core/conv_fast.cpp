// Sections: padding once · unfold (im2col) · the GEMM per item and group · threads over batch items
#include "conv_fast.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <thread>
#include <vector>

#include "conv_reference.hpp"

namespace convscope {

int fast_conv_threads(const FastConvOptions& options) {
    if (options.threads > 0) return options.threads;
    const unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : static_cast<int>(hc);
}

namespace {

// The padded image of one batch item: (C_in, Hp, Wp) with Hp = H + pad_top + pad_bottom. Every padding mode
// is resolved here once, so the unfold below never tests bounds.
void pad_item(const ConvGeometry& g, const float* x, std::vector<float>& padded, int64_t hp, int64_t wp) {
    const auto [H, W] = g.in;
    padded.resize(static_cast<size_t>(g.c_in * hp * wp));
    std::vector<int64_t> col_src(static_cast<size_t>(wp));
    for (int64_t px = 0; px < wp; ++px) col_src[static_cast<size_t>(px)] = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
    for (int64_t c = 0; c < g.c_in; ++c) {
        for (int64_t py = 0; py < hp; ++py) {
            float* dst = padded.data() + (c * hp + py) * wp;
            const int64_t sy = resolve_padded_index(py - g.pad_begin[0], H, g.mode);
            if (sy < 0) {
                std::fill(dst, dst + wp, 0.0f);
                continue;
            }
            const float* src = x + (c * H + sy) * W;
            // Interior run copied at once; the ring resolved per column.
            const int64_t left = std::min(g.pad_begin[1], wp);
            for (int64_t px = 0; px < left; ++px) dst[px] = col_src[px] < 0 ? 0.0f : src[col_src[px]];
            std::memcpy(dst + left, src, static_cast<size_t>(std::min(W, wp - left)) * sizeof(float));
            for (int64_t px = left + W; px < wp; ++px) dst[px] = col_src[px] < 0 ? 0.0f : src[col_src[px]];
        }
    }
}

// Unfold the channels [c0, c0 + cg) of a padded item into columns: row (ci, ky, kx), column (oy, ox).
// cols has ld columns; this item's block starts at column offset col0.
void unfold(const ConvGeometry& g, const float* padded, int64_t hp, int64_t wp, int64_t c0, float* cols, int64_t ld,
            int64_t col0) {
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t sy = g.stride[0], sx = g.stride[1], dy = g.dilation[0], dx = g.dilation[1];
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        const float* plane = padded + (c0 + ci) * hp * wp;
        for (int64_t ky = 0; ky < kH; ++ky) {
            for (int64_t kx = 0; kx < kW; ++kx) {
                float* row = cols + ((ci * kH + ky) * kW + kx) * ld + col0;
                for (int64_t oy = 0; oy < Ho; ++oy) {
                    const float* src = plane + (oy * sy + ky * dy) * wp + kx * dx;
                    float* dst = row + oy * Wo;
                    if (sx == 1) {
                        std::memcpy(dst, src, static_cast<size_t>(Wo) * sizeof(float));
                    } else {
                        for (int64_t ox = 0; ox < Wo; ++ox) dst[ox] = src[ox * sx];
                    }
                }
            }
        }
    }
}

}  // namespace

Tensor conv_fast(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias, const FastConvOptions& options) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(x.numel() == shape_numel(g.input_shape()));
    Tensor y(g.output_shape_torch());
    if (y.numel() == 0) return y;
    // Tiny layers lose more to thread start-up than they gain: below ~4 M multiply-adds run on one thread.
    const double macs = static_cast<double>(g.output_positions()) * static_cast<double>(g.macs_per_output());
    const int threads = macs < 4.0e6 ? 1 : fast_conv_threads(options);
    const int64_t hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    const int64_t wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    const int64_t K = g.macs_per_output();  // rows of the unfolded matrix: C_in/groups * kH * kW
    const int64_t P = g.out[0] * g.out[1];    // output positions per map
    const int64_t M = g.c_out_per_group;
    const bool pointwise = g.kernel[0] == 1 && g.kernel[1] == 1 && g.stride[0] == 1 && g.stride[1] == 1 &&
                           g.pad_begin == std::array<int64_t, 2>{0, 0} && g.pad_end == std::array<int64_t, 2>{0, 0};

    // One batch item: pad once, then per group unfold (K x P) and Y_g = W_g (M x K) * cols + bias, written in place.
    auto run_item = [&](int64_t n, std::vector<float>& padded, std::vector<float>& cols) {
        const float* xn = x.data.data() + n * g.c_in * g.in[0] * g.in[1];
        if (!pointwise) {
            pad_item(g, xn, padded, hp, wp);
            cols.resize(static_cast<size_t>(K * P));
        }
        for (int64_t grp = 0; grp < g.groups; ++grp) {
            const float* b_mat;
            if (pointwise) {
                b_mat = xn + grp * g.c_in_per_group * P;  // a 1x1 convolution is a GEMM on the input itself
            } else {
                unfold(g, padded.data(), hp, wp, grp * g.c_in_per_group, cols.data(), P, 0);
                b_mat = cols.data();
            }
            float* yg = y.data.data() + (n * g.c_out + grp * M) * P;
            for (int64_t m = 0; m < M; ++m) std::fill(yg + m * P, yg + (m + 1) * P, bias ? (*bias)[grp * M + m] : 0.0f);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(P),
                        static_cast<int>(K), 1.0f, w.data.data() + grp * M * K, static_cast<int>(K), b_mat,
                        static_cast<int>(P), 1.0f, yg, static_cast<int>(P));
        }
    };

    // Scratch buffers keep their capacity between calls on the same thread: fresh pages cost more than the GEMM
    // on small layers.
    thread_local std::vector<float> padded, cols;
    if (threads > 1 && g.n > 1) {
        // Several images: one image per worker, single-threaded BLAS inside (no nested threading).
        openblas_set_num_threads(1);
        const int workers = static_cast<int>(std::min<int64_t>(threads, g.n));
        std::vector<std::thread> pool;
        for (int t = 1; t < workers; ++t)
            pool.emplace_back([&, t] {
                std::vector<float> p_local, c_local;
                for (int64_t n = t; n < g.n; n += workers) run_item(n, p_local, c_local);
            });
        for (int64_t n = 0; n < g.n; n += workers) run_item(n, padded, cols);
        for (std::thread& th : pool) th.join();
    } else {
        openblas_set_num_threads(threads);
        for (int64_t n = 0; n < g.n; ++n) run_item(n, padded, cols);
    }
    return y;
}

}  // namespace convscope
