// Sections: adding rows · col2im in stride phases · one batch item · conv_transpose_fast
#include "conv_transpose_fast.hpp"

#include <cblas.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "simd.hpp"
#include "thread_pool.hpp"
#include "vector_types.hpp"

namespace convscope {

namespace {

// dst[0, n) += src[0, n), a vector at a time (GCC does not vectorise the loop for the baseline x86-64 build).
template <class Vec>
[[gnu::always_inline]] inline void add_row_body(float* dst, const float* src, int64_t n) {
    using V = typename Vec::V;
    constexpr int W = Vec::kWidth;
    int64_t i = 0;
    for (; i + W <= n; i += W) {
        V d, s;
        std::memcpy(&d, dst + i, sizeof(V));
        std::memcpy(&s, src + i, sizeof(V));
        d += s;
        std::memcpy(dst + i, &d, sizeof(V));
    }
    for (; i < n; ++i) dst[i] += src[i];
}
CONVSCOPE_AVX512_TARGET void add_row_avx512(float* dst, const float* src, int64_t n) {
    add_row_body<Avx512Vec>(dst, src, n);
}
__attribute__((target("avx2,fma"))) void add_row_avx2(float* dst, const float* src, int64_t n) {
    add_row_body<Avx2Vec>(dst, src, n);
}
void add_row_generic(float* dst, const float* src, int64_t n) { add_row_body<GenericVec>(dst, src, n); }

using AddRow = void (*)(float*, const float*, int64_t);

AddRow add_row_for(Isa isa) { return for_isa(isa, add_row_avx512, add_row_avx2, add_row_generic); }

// col2im writes each output row in its sx column phases (phase r holds columns r, r + sx, r + 2 sx, ...; each
// `phase_w` floats long, side by side): tap kx then adds one input row into consecutive floats of one phase, a
// vector at a time, instead of one float every sx. (With stride 2 the strided adds took 56% of S8's time.)
struct Phases {
    int64_t sx = 1, phase_w = 0, row = 0;  // row = sx * phase_w: one output row in phase order
};

Phases phases_of(const ConvTransposeGeometry& g) {
    Phases p;
    p.sx = g.stride[1];
    p.phase_w = (g.out[1] + p.sx - 1) / p.sx;
    p.row = p.sx * p.phase_w;
    return p;
}

// Adds the columns of output channels [co0, co1) into the planes of one group, rows in phase order.
// cols: rows (co, ky, kx) of the group, each with one entry per input position (iy, ix); y: (C_out/groups, Ho,
// ph.row).
void col2im(const ConvTransposeGeometry& g, const Phases& ph, const float* cols, int64_t co0, int64_t co1, float* y,
            AddRow add_row) {
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const int64_t sy = g.stride[0], sx = g.stride[1], dy = g.dilation[0], dx = g.dilation[1];
    for (int64_t co = co0; co < co1; ++co) {
        float* plane = y + co * Ho * ph.row;
        for (int64_t ky = 0; ky < kH; ++ky) {
            for (int64_t kx = 0; kx < kW; ++kx) {
                const float* row = cols + ((co * kH + ky) * kW + kx) * H * W;
                // The input columns whose tap lands inside the output: ix in [ix0, ix1), at output column
                // ox_first + ix * sx: phase (ox_first mod sx), index (ox_first - phase) / sx + ix in it.
                const int64_t ox_first = kx * dx - g.padding[1];
                const int64_t ix0 = ox_first >= 0 ? 0 : (-ox_first + sx - 1) / sx;
                const int64_t ix1 = std::min(W, ox_first >= Wo ? 0 : (Wo - 1 - ox_first) / sx + 1);
                if (ix1 <= ix0) continue;
                const int64_t phase = ((ox_first % sx) + sx) % sx, j0 = (ox_first - phase) / sx;
                for (int64_t iy = 0; iy < H; ++iy) {
                    const int64_t oy = iy * sy - g.padding[0] + ky * dy;
                    if (oy < 0 || oy >= Ho) continue;
                    add_row(plane + oy * ph.row + phase * ph.phase_w + j0 + ix0, row + iy * W + ix0, ix1 - ix0);
                }
            }
        }
    }
}

// The group's planes from phase order back to columns (stride 1: nothing to do), plus the bias.
void finish_planes(const ConvTransposeGeometry& g, const Phases& ph, const float* phased, const float* bias,
                   float* yg) {
    const int64_t Ho = g.out[0], Wo = g.out[1];
    for (int64_t co = 0; co < g.c_out_per_group; ++co) {
        const float b = bias ? bias[co] : 0.0f;
        for (int64_t oy = 0; oy < Ho; ++oy) {
            const float* src = phased + (co * Ho + oy) * ph.row;
            float* dst = yg + (co * Ho + oy) * Wo;
            if (ph.sx == 2) {  // the common upsampler: two phases interleaved
                const float* even = src;
                const float* odd = src + ph.phase_w;
                for (int64_t j = 0; 2 * j + 1 < Wo; ++j) dst[2 * j] = even[j] + b, dst[2 * j + 1] = odd[j] + b;
                if (Wo % 2) dst[Wo - 1] = even[Wo / 2] + b;
                continue;
            }
            for (int64_t r = 0; r < ph.sx; ++r)
                for (int64_t j = 0, ox = r; ox < Wo; ++j, ox += ph.sx) dst[ox] = src[r * ph.phase_w + j] + b;
        }
    }
}

// One batch item: per group cols = W_g^T (C_out/groups*kH*kW x C_in/groups) * X_g (C_in/groups x H*W), col2im into
// the group's planes (zeroed; in phase order when the stride across is above 1), then the bias. `col2im_threads`
// > 1 splits col2im over output channels.
void item(const ConvTransposeGeometry& g, const float* xn, const float* w, const float* bias, float* yn,
          std::vector<float>& cols, std::vector<float>& phased, int col2im_threads, AddRow add_row) {
    const int64_t P = g.in[0] * g.in[1];                              // input positions
    const int64_t M = g.c_out_per_group * g.kernel[0] * g.kernel[1];  // rows of the columns matrix
    const int64_t K = g.c_in_per_group;
    const int64_t plane = g.out[0] * g.out[1];
    const Phases ph = phases_of(g);
    cols.resize(static_cast<size_t>(M * P));
    if (ph.sx > 1) phased.resize(static_cast<size_t>(g.c_out_per_group * g.out[0] * ph.row));
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        // w is (C_in, C_out/groups, kH, kW): the group's rows form a K x M matrix; transpose it in the GEMM.
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(M), static_cast<int>(P),
                    static_cast<int>(K), 1.0f, w + grp * K * M, static_cast<int>(M), xn + grp * K * P,
                    static_cast<int>(P), 0.0f, cols.data(), static_cast<int>(P));
        float* yg = yn + grp * g.c_out_per_group * plane;  // zero-filled
        float* target = yg;
        if (ph.sx > 1) {
            std::fill(phased.begin(), phased.end(), 0.0f);
            target = phased.data();
        }
        parallel_for(col2im_threads, g.c_out_per_group,
                     [&](int64_t co0, int64_t co1) { col2im(g, ph, cols.data(), co0, co1, target, add_row); });
        const float* bg = bias ? bias + grp * g.c_out_per_group : nullptr;
        if (ph.sx > 1) {
            finish_planes(g, ph, phased.data(), bg, yg);
        } else if (bg) {
            for (int64_t co = 0; co < g.c_out_per_group; ++co)
                for (int64_t i = 0; i < plane; ++i) yg[co * plane + i] += bg[co];
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
    const AddRow add_row = add_row_for(resolve_isa(Isa::Auto));
    openblas_set_num_threads(over_items ? 1 : workers);
    parallel_for(over_items ? workers : 1, g.n, [&](int64_t n0, int64_t n1) {
        thread_local std::vector<float> cols, phased;  // keep their capacity between calls on the same thread
        for (int64_t n = n0; n < n1; ++n)
            item(g, x.data.data() + n * item_in, w.data.data(), b, y.data.data() + n * item_out, cols, phased,
                 over_items ? 1 : workers, add_row);
    });
    return y;
}

}  // namespace convscope
