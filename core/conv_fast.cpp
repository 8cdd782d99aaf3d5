// Sections: choosing the engine · unfold (im2col) · the GEMM per item and group · the overflow bound · conv_fast
#include "conv_fast.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "conv_blocked.hpp"
#include "conv_depthwise.hpp"
#include "conv_direct.hpp"
#include "conv_pointwise.hpp"
#include "conv_reference.hpp"
#include "copy_max.hpp"
#include "thread_pool.hpp"

namespace convscope {

int fast_conv_threads(const FastConvOptions& options) { return resolve_threads(options.threads); }

bool blas_kernels_match_cpu() {
    // OpenBLAS names the kernels it picked at load time. On a CPU it does not recognise it falls back to generic
    // SSE kernels ("Prescott": 27 GFLOPS on an Emerald Rapids core that does ~200 with AVX-512).
    static const bool tuned = [] {
        std::string name = openblas_get_corename();
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        for (const char* known : {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"})
            if (name == known) return true;
        return false;
    }();
    return tuned;
}

namespace {

// Where the channel-blocked kernel beat the direct kernel (AVX-512 Xeon, the two alternating in one process, best of
// 30-200 calls, one and two threads; README, Benchmarks): 3x3 layers of 64-256 channels on 56x56 to 14x14 maps by
// 3-18% (R2 0.92-0.94, R5 0.90-0.96, S6 0.97-0.98, 128->256 stride 2 on 28x28 0.82-0.89), and 5x5 by 5%. It lost
// where its tile is part empty or its packing is not repaid: output rows under 14 positions (512 channels on 7x7:
// 1.49), output channels not a multiple of its 32 (100: 1.10; 48: 1.00-1.05), few input channels (3: 1.71-1.09,
// 16: 1.21, 32: 0.95-1.05) and Conv1d (256 -> 256 over 256 positions 1.13; R6 1.00).
bool blocked_pays(const ConvGeometry& g) {
    return g.dims == 2 && g.c_in_per_group >= 64 && g.c_out_per_group % 32 == 0 && g.out[1] >= 14;
}

}  // namespace

FastConvPath fast_conv_path(const ConvGeometry& g, const FastConvOptions& options) {
    if (options.path == FastConvPath::Depthwise)
        return is_depthwise(g) ? FastConvPath::Depthwise : FastConvPath::Direct;
    if (options.path == FastConvPath::Pointwise)
        return is_pointwise(g) ? FastConvPath::Pointwise : FastConvPath::Direct;
    if (options.path == FastConvPath::Blocked)
        return conv_blocked_supports(g, resolve_isa(options.isa)) ? FastConvPath::Blocked : FastConvPath::Direct;
    if (options.path != FastConvPath::Auto) return options.path;
    // Depthwise layers: the depthwise kernel, with every instruction set (README, Benchmarks: R4); the direct kernel
    // wastes all but one row of its tile there, im2col a 1-row GEMM per group.
    if (is_depthwise(g)) return FastConvPath::Depthwise;
    // 1x1 without padding: the pointwise kernel, faster than the direct kernel and than OpenBLAS's sgemm on the same
    // matrices straight on x (R3: AVX-512 Xeon 0.80 ms vs direct 1.03 and sgemm 1.51; AVX2 Zen 3 likewise;
    // conv_pointwise.hpp), and independent of OpenBLAS's CPU detection.
    if (is_pointwise(g)) return FastConvPath::Pointwise;
    // Dense 2-D layers with many channels, with AVX-512: the channel-blocked kernel where it measured faster.
    if (blocked_pays(g) && conv_blocked_supports(g, resolve_isa(options.isa))) return FastConvPath::Blocked;
    // Every other layer: the direct kernel, with every instruction set (README, Benchmarks). With AVX-512 it beats
    // OpenBLAS's SkylakeX sgemm on every dense row of the table. With AVX2 (measured on the Xeon with
    // OPENBLAS_CORETYPE=Haswell, the kernels an AVX2 CPU gets) it beats im2col + OpenBLAS on S3-S6, R1, R2 and R5
    // by 10-45% and loses on S1 with one thread (0.33 vs 0.29 ms), S2 (3.7 vs 3.2) and R6 (31.7 vs 28.7): more
    // rows won, by more, and no layer depends on OpenBLAS recognising the CPU. im2col + BLAS runs when asked for.
    return FastConvPath::Direct;
}

std::string fast_conv_engine_name(const ConvGeometry& g, const FastConvOptions& options) {
    switch (fast_conv_path(g, options)) {
        case FastConvPath::Gemm:
            return "im2col-sgemm";
        case FastConvPath::Pointwise:
            return std::string("pointwise-") + isa_name(resolve_isa(options.isa));
        case FastConvPath::Depthwise:
            return std::string("depthwise-") + isa_name(resolve_isa(options.isa));
        case FastConvPath::Blocked:
            return "blocked-avx512";
        case FastConvPath::Auto:
        case FastConvPath::Direct:
            break;
    }
    return std::string("direct-") + isa_name(resolve_isa(options.isa));
}

namespace {

// Unfold the channels [c0, c0 + cg) of a padded item into columns: row (ci, ky, kx), column (oy, ox).
void unfold(const ConvGeometry& g, const float* padded, int64_t hp, int64_t wp, int64_t c0, float* cols) {
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t sy = g.stride[0], sx = g.stride[1], dy = g.dilation[0], dx = g.dilation[1];
    const int64_t ld = Ho * Wo;
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        const float* plane = padded + (c0 + ci) * hp * wp;
        for (int64_t ky = 0; ky < kH; ++ky) {
            for (int64_t kx = 0; kx < kW; ++kx) {
                float* row = cols + ((ci * kH + ky) * kW + kx) * ld;
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

// One batch item: pad once, then per group unfold (K x P) and Y_g = W_g (M x K) * cols + bias, written in place.
void gemm_item(const ConvGeometry& g, const float* xn, const float* w, const float* bias, float* yn,
               std::vector<float>& padded, std::vector<float>& cols) {
    const int64_t hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    const int64_t wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    const int64_t K = g.macs_per_output();  // rows of the unfolded matrix: C_in/groups * kH * kW
    const int64_t P = g.out[0] * g.out[1];  // output positions per map
    const int64_t M = g.c_out_per_group;
    padded.resize(static_cast<size_t>(g.c_in * hp * wp));
    for (int64_t c = 0; c < g.c_in; ++c) pad_input_plane(g, xn + c * g.in[0] * g.in[1], padded.data() + c * hp * wp);
    cols.resize(static_cast<size_t>(K * P));
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        unfold(g, padded.data(), hp, wp, grp * g.c_in_per_group, cols.data());
        const float* b_mat = cols.data();
        float* yg = yn + grp * M * P;
        for (int64_t m = 0; m < M; ++m) std::fill(yg + m * P, yg + (m + 1) * P, bias ? bias[grp * M + m] : 0.0f);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(P),
                    static_cast<int>(K), 1.0f, w + grp * M * K, static_cast<int>(K), b_mat, static_cast<int>(P), 1.0f,
                    yg, static_cast<int>(P));
    }
}

// The largest finite |v[i]| (NaN and infinities count as 0), with the widest vectors this CPU runs (copy_max.hpp,
// the scan the direct kernel runs plane by plane).
float max_finite_magnitude(const float* v, size_t n) {
    static const FiniteMax scan = finite_max_for(widest_isa());
    return scan(v, static_cast<int64_t>(n), 0.0f);
}

}  // namespace

namespace {

// Every partial sum of one output, in any order, is at most K * max|x| * max|w| + max|b| in magnitude (finite
// values only; infinities and NaN propagate the same way in every order). Half of FLT_MAX leaves room for rounding.
bool sums_bounded(const ConvGeometry& g, float x_max, float w_max, const Tensor* bias) {
    const double bound = static_cast<double>(g.macs_per_output()) * x_max * w_max +
                         (bias ? max_finite_magnitude(bias->data.data(), bias->data.size()) : 0.0f);
    return bound < 0.5 * static_cast<double>(std::numeric_limits<float>::max());
}

float w_max_of(const Tensor& w) { return max_finite_magnitude(w.data.data(), w.data.size()); }

}  // namespace

bool conv_sums_cannot_overflow(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias) {
    return sums_bounded(g, max_finite_magnitude(x.data.data(), x.data.size()), w_max_of(w), bias);
}

Tensor conv_fast(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* bias,
                 const FastConvOptions& options) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(x.numel() == shape_numel(g.input_shape()));
    // Where a finite sum could overflow, the summation order decides between +inf, -inf and NaN (3e38 + 3e38 - 3e38
    // is inf in one order, 3e38 in another, NaN when two channel sums overflow with opposite signs). There, every
    // engine gives the reference's value: its order is the one the cursor shows.
    const FastConvPath path = fast_conv_path(g, options);
    // Tiny layers lose more to handing work to other threads than they gain: below ~1 M multiply-adds, one thread.
    const double macs = static_cast<double>(g.output_positions()) * static_cast<double>(g.macs_per_output());
    const int threads = macs < 1.0e6 ? 1 : fast_conv_threads(options);
    const float* b = bias ? bias->data.data() : nullptr;
    if (path != FastConvPath::Gemm) {
        // These kernels find max|x| while they copy or scan the input plane by plane (a separate pass over x took
        // 14% of R4 and 12% of R3; on the direct kernel it was serial, 5-8% of S6 and R2 on two threads): the layer
        // is computed first and replaced by the reference's when the bound fails.
        Tensor y = Tensor::uninitialised(g.output_shape_torch());  // the kernels write every output
        if (y.numel() == 0) return y;
        const Isa isa = resolve_isa(options.isa);
        float* out = y.data.data();
        // (the direct kernel scans w on its threads too: R6's 3 MiB of weights took 0.24 ms in one thread)
        DirectMaxima m;
        if (path == FastConvPath::Direct) {
            m = conv_direct(g, x.data.data(), w.data.data(), b, out, threads, isa);
        } else if (path == FastConvPath::Blocked) {
            m = conv_blocked(g, x.data.data(), w.data.data(), b, out, threads, isa);
        } else {
            m.x = path == FastConvPath::Depthwise
                      ? conv_depthwise(g, x.data.data(), w.data.data(), b, out, threads, isa)
                      : conv_pointwise(g, x.data.data(), w.data.data(), b, out, threads, isa);
            m.w = w_max_of(w);
        }
        if (!sums_bounded(g, m.x, m.w, bias)) return conv_reference(g, x, w, bias);
        return y;  // (not through ?:, which would copy y)
    }
    if (!conv_sums_cannot_overflow(g, x, w, bias)) return conv_reference(g, x, w, bias);
    Tensor y = Tensor::uninitialised(g.output_shape_torch());  // gemm_item writes the bias into every output first
    if (y.numel() == 0) return y;
    const int64_t item_in = g.c_in * g.in[0] * g.in[1], item_out = g.c_out * g.out[0] * g.out[1];
    // Several images: a range of images per worker, single-threaded BLAS inside (no nested threading). One image:
    // BLAS's own threads.
    const bool over_items = threads > 1 && g.n > 1;
    openblas_set_num_threads(over_items ? 1 : threads);
    parallel_for(over_items ? threads : 1, g.n, [&](int64_t n0, int64_t n1) {
        // Scratch keeps its capacity between calls on the same thread: fresh pages cost more than small layers.
        thread_local std::vector<float> padded, cols;
        for (int64_t n = n0; n < n1; ++n)
            gemm_item(g, x.data.data() + n * item_in, w.data.data(), b, y.data.data() + n * item_out, padded, cols);
    });
    return y;
}

}  // namespace convscope
