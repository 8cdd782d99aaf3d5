// Sections: the tile shapes · the plan (padded plane, column phases, taps) · filling one plane · the tile kernel ·
// conv_depthwise
#include "conv_depthwise.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "conv_reference.hpp"
#include "copy_max.hpp"
#include "thread_pool.hpp"
#include "vector_types.hpp"

namespace convscope {

bool is_depthwise(const ConvGeometry& g) { return g.groups > 1 && g.groups == g.c_in && g.c_in_per_group == 1; }

namespace {

// A tile is kRows output rows x kVectors vectors along the row, its sums in registers: 8 accumulators keep both
// FMA pipes busy through their 4-cycle latency, and leave registers for the broadcast weight and the loads.
// Consecutive outputs of a row read consecutive floats of one input row per tap, so every load is one vector.
template <class Vec>
struct DwShape : Vec {
    static constexpr int kVectors = 2, kRows = 4;
};

// Output (oy, ox) reads padded input (oy*sy + ky*dy, ox*sx + kx*dx). The plane is padded (every mode) into a
// per-thread buffer once per (item, channel) and, for sx > 1, each padded row split into its sx column phases
// (phase rx holding columns rx, rx + sx, ...), laid side by side in the row: tap kx then reads phase
// (kx*dx) % sx at column ox + (kx*dx) / sx, consecutive floats for consecutive ox again. Rows need no split: a
// tile's rows are whole rows. Each phase is `wb` floats wide, enough for the last tile's vectors past W_out (their
// sums are dropped), so the kernel never checks bounds.
struct Plan {
    int width = 0, nr = 0, rows = 0;  // lanes per vector, outputs per tile row, rows per tile
    int64_t sy = 1, sx = 1;           // strides (1 on an axis with one output: any stride reads one window there)
    int64_t hp = 0, wp = 0;           // the padded plane
    int64_t wb = 0, ld = 0;           // one phase's width; one buffer row (sx phases)
    int64_t col_tiles = 0;            // ceil(W_out / nr)
    std::vector<int64_t> taps;        // per (ky, kx): ky*dy*ld + phase*wb + column offset
    std::vector<int64_t> cols;        // per kx: phase*wb + column offset
};

template <class S>
Plan make_plan(const ConvGeometry& g) {
    Plan p;
    p.width = S::kWidth;
    p.nr = S::kWidth * S::kVectors;
    p.rows = S::kRows;
    p.sy = g.out[0] > 1 ? g.stride[0] : 1;
    p.sx = g.out[1] > 1 ? g.stride[1] : 1;
    p.hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    p.wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    p.col_tiles = (g.out[1] + p.nr - 1) / p.nr;
    const int64_t reach = (g.kernel[1] - 1) * g.dilation[1] / p.sx;  // the farthest column offset of a tap
    p.wb = std::max(p.col_tiles * p.nr + reach, (p.wp + p.sx - 1) / p.sx);
    p.wb = (p.wb + 15) / 16 * 16;  // whole 64-byte lines
    p.ld = p.sx * p.wb;
    for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
        const int64_t tx = kx * g.dilation[1];
        p.cols.push_back((tx % p.sx) * p.wb + tx / p.sx);
    }
    for (int64_t ky = 0; ky < g.kernel[0]; ++ky)
        for (int64_t kx = 0; kx < g.kernel[1]; ++kx)
            p.taps.push_back(ky * g.dilation[0] * p.ld + p.cols[static_cast<size_t>(kx)]);
    return p;
}

Plan plan_for(const ConvGeometry& g, Isa isa) {
    switch (isa) {
        case Isa::Avx512:
            return make_plan<DwShape<Avx512Vec>>(g);
        case Isa::Avx2:
            return make_plan<DwShape<Avx2Vec>>(g);
        case Isa::Auto:
        case Isa::Generic:
            break;
    }
    return make_plan<DwShape<GenericVec>>(g);
}

// One input plane x (H, W) into the buffer (hp rows of ld floats): rows resolved by the padding mode (or zero),
// stride 1 copying each row's interior at once and resolving the ring per column, sx > 1 gathering the phases.
// Returns the largest finite |x| of the plane (every input row and column lies in the padded plane).
float fill_plane(const ConvGeometry& g, const Plan& p, const float* x, float* buf, CopyMax copy_max,
                 std::vector<float>& row) {
    const int64_t H = g.in[0], W = g.in[1], left = std::min(g.pad_begin[1], p.wp);
    // sx > 1: each padded row is built in `row` first (sx * wb floats, zeros past wp), then split into its phases
    // (a per-element gather through a column map ran at ~5 ns a float: strided R4 took 3x the direct kernel).
    if (p.sx > 1) row.resize(static_cast<size_t>(p.ld));
    float m = 0.0f;
    for (int64_t py = 0; py < p.hp; ++py) {
        float* out = buf + py * p.ld;
        const int64_t srow = resolve_padded_index(py - g.pad_begin[0], H, g.mode);
        if (srow < 0) {
            std::fill(out, out + p.ld, 0.0f);
            continue;
        }
        const float* src = x + srow * W;
        float* dst = p.sx > 1 ? row.data() : out;
        for (int64_t px = 0; px < left; ++px) {
            const int64_t sc = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
            dst[px] = sc < 0 ? 0.0f : src[sc];
        }
        if (p.wp > left) m = copy_max(src, dst + left, std::min(W, p.wp - left), m);
        for (int64_t px = left + W; px < p.wp; ++px) {
            const int64_t sc = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
            dst[px] = sc < 0 ? 0.0f : src[sc];
        }
        std::fill(dst + p.wp, dst + p.ld, 0.0f);  // read only by the lanes past W_out, whose sums are dropped
        if (p.sx > 1) {
            for (int64_t rx = 0; rx < p.sx; ++rx) {
                float* phase = out + rx * p.wb;
                for (int64_t b = 0; b < p.wb; ++b) phase[b] = dst[b * p.sx + rx];
            }
        }
    }
    return m;
}

// Stores ROWS x NR sums, out_ld floats between rows, the columns j < valid only (the rest lie past W_out).
template <class S, int ROWS>
[[gnu::always_inline]] inline void store_tile(const typename S::V (&acc)[ROWS][S::kVectors], float* out, int64_t out_ld,
                                              int64_t valid) {
    using V = typename S::V;
    constexpr int W = S::kWidth, NV = S::kVectors;
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
            const int64_t col = j * W;
            if (col + W <= valid) {
                std::memcpy(out + i * out_ld + col, &acc[i][j], sizeof(V));
            } else if (col < valid) {
                std::memcpy(out + i * out_ld + col, &acc[i][j], static_cast<size_t>(valid - col) * sizeof(float));
            }
        }
    }
}

// One tile: ROWS output rows x NR outputs from `in` (the buffer at the tile's first row and column; its rows
// row_step floats apart), out[i][j] = bias + sum over taps of wv[tap] * in[i*row_step + taps[tap] + j], stored for
// j < valid (the rest of the tile lies past W_out). wv holds each tap's weight broadcast to a vector.
template <class S, int ROWS>
[[gnu::always_inline]] inline void tile_body(const float* in, int64_t row_step, const int64_t* taps, int64_t ntaps,
                                             const float* wv, float bias, float* out, int64_t out_ld, int64_t valid) {
    using V = typename S::V;
    constexpr int W = S::kWidth, NV = S::kVectors;
    V acc[ROWS][NV];
    const V b0 = bias - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = b0;
    for (int64_t t = 0; t < ntaps; ++t) {
        V wt;
        std::memcpy(&wt, wv + t * W, sizeof(V));
        const float* src = in + taps[t];
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; ++i) {
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) {
                V v;
                std::memcpy(&v, src + i * row_step + j * W, sizeof(V));
                acc[i][j] += wt * v;  // one FMA where the target has it
            }
        }
    }
    store_tile<S, ROWS>(acc, out, out_ld, valid);
}

// The same tile for KH x kW kernels with stride SY and dilation 1 down the rows (3x3 and 5x5, stride 1 or 2: the
// depthwise layers of MobileNet and EfficientNet): input row r of the tile feeds output rows i = (r - ky) / SY, so
// each input vector is loaded once per column tap and used by up to KH accumulators (12 loads instead of 24 per
// column tap of a 4-row 3x3 tile); the KH weights of a column tap stay in registers. `in` is the buffer at the
// tile's first input row and column; cols holds each column tap's offset.
template <class S, int ROWS, int KH, int SY>
[[gnu::always_inline]] inline void tile_rows_body(const float* in, int64_t ld, const int64_t* cols, int64_t kw,
                                                  const float* wv, float bias, float* out, int64_t out_ld,
                                                  int64_t valid) {
    using V = typename S::V;
    constexpr int W = S::kWidth, NV = S::kVectors, IN_ROWS = (ROWS - 1) * SY + KH;
    V acc[ROWS][NV];
    const V b0 = bias - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = b0;
    for (int64_t kx = 0; kx < kw; ++kx) {
        V wk[KH];
#pragma GCC unroll 8
        for (int ky = 0; ky < KH; ++ky) std::memcpy(&wk[ky], wv + (ky * kw + kx) * W, sizeof(V));
        const float* src = in + cols[kx];
#pragma GCC unroll 16
        for (int r = 0; r < IN_ROWS; ++r) {
            V v[NV];
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) std::memcpy(&v[j], src + r * ld + j * W, sizeof(V));
#pragma GCC unroll 8
            for (int ky = 0; ky < KH; ++ky) {
                const int d = r - ky;  // known once the loops are unrolled: the branch folds away
                if (d < 0 || d % SY != 0 || d / SY >= ROWS) continue;
#pragma GCC unroll 4
                for (int j = 0; j < NV; ++j) acc[d / SY][j] += wk[ky] * v[j];
            }
        }
    }
    store_tile<S, ROWS>(acc, out, out_ld, valid);
}

using RowsKernel = void (*)(const float*, int64_t, const int64_t*, int64_t, const float*, float, float*, int64_t,
                            int64_t);

template <int ROWS, int KH, int SY>
CONVSCOPE_AVX512_TARGET void rows_avx512(const float* in, int64_t ld, const int64_t* cols, int64_t kw, const float* wv,
                                         float bias, float* out, int64_t out_ld, int64_t valid) {
    tile_rows_body<DwShape<Avx512Vec>, ROWS, KH, SY>(in, ld, cols, kw, wv, bias, out, out_ld, valid);
}
template <int ROWS, int KH, int SY>
__attribute__((target("avx2,fma"))) void rows_avx2(const float* in, int64_t ld, const int64_t* cols, int64_t kw,
                                                   const float* wv, float bias, float* out, int64_t out_ld,
                                                   int64_t valid) {
    tile_rows_body<DwShape<Avx2Vec>, ROWS, KH, SY>(in, ld, cols, kw, wv, bias, out, out_ld, valid);
}
template <int ROWS, int KH, int SY>
void rows_generic(const float* in, int64_t ld, const int64_t* cols, int64_t kw, const float* wv, float bias, float* out,
                  int64_t out_ld, int64_t valid) {
    tile_rows_body<DwShape<GenericVec>, ROWS, KH, SY>(in, ld, cols, kw, wv, bias, out, out_ld, valid);
}

// The row-sharing kernel for `rows` output rows (1 .. 4), or null where it does not apply (another kernel height,
// stride or row dilation): then tile_kernel's general one runs.
template <int KH, int SY>
RowsKernel rows_kernel_for(Isa isa, int64_t rows) {
    static constexpr RowsKernel avx512[] = {nullptr, rows_avx512<1, KH, SY>, rows_avx512<2, KH, SY>,
                                            rows_avx512<3, KH, SY>, rows_avx512<4, KH, SY>};
    static constexpr RowsKernel avx2[] = {nullptr, rows_avx2<1, KH, SY>, rows_avx2<2, KH, SY>, rows_avx2<3, KH, SY>,
                                          rows_avx2<4, KH, SY>};
    static constexpr RowsKernel generic[] = {nullptr, rows_generic<1, KH, SY>, rows_generic<2, KH, SY>,
                                             rows_generic<3, KH, SY>, rows_generic<4, KH, SY>};
    return for_isa(isa, avx512, avx2, generic)[rows];
}

RowsKernel rows_kernel(const ConvGeometry& g, const Plan& p, Isa isa, int64_t rows) {
    if (g.dilation[0] != 1) return nullptr;
    const int64_t kh = g.kernel[0], sy = p.sy;
    if (kh == 3 && sy == 1) return rows_kernel_for<3, 1>(isa, rows);
    if (kh == 3 && sy == 2) return rows_kernel_for<3, 2>(isa, rows);
    if (kh == 5 && sy == 1) return rows_kernel_for<5, 1>(isa, rows);
    if (kh == 5 && sy == 2) return rows_kernel_for<5, 2>(isa, rows);
    return nullptr;
}

using TileKernel = void (*)(const float*, int64_t, const int64_t*, int64_t, const float*, float, float*, int64_t,
                            int64_t);

template <int ROWS>
CONVSCOPE_AVX512_TARGET void tile_avx512(const float* in, int64_t row_step, const int64_t* taps, int64_t ntaps,
                                         const float* wv, float bias, float* out, int64_t out_ld, int64_t valid) {
    tile_body<DwShape<Avx512Vec>, ROWS>(in, row_step, taps, ntaps, wv, bias, out, out_ld, valid);
}
template <int ROWS>
__attribute__((target("avx2,fma"))) void tile_avx2(const float* in, int64_t row_step, const int64_t* taps,
                                                   int64_t ntaps, const float* wv, float bias, float* out,
                                                   int64_t out_ld, int64_t valid) {
    tile_body<DwShape<Avx2Vec>, ROWS>(in, row_step, taps, ntaps, wv, bias, out, out_ld, valid);
}
template <int ROWS>
void tile_generic(const float* in, int64_t row_step, const int64_t* taps, int64_t ntaps, const float* wv, float bias,
                  float* out, int64_t out_ld, int64_t valid) {
    tile_body<DwShape<GenericVec>, ROWS>(in, row_step, taps, ntaps, wv, bias, out, out_ld, valid);
}

// The kernel for `rows` output rows (1 .. kRows, the same for every shape).
TileKernel tile_kernel(Isa isa, int64_t rows) {
    static constexpr TileKernel avx512[] = {nullptr, tile_avx512<1>, tile_avx512<2>, tile_avx512<3>, tile_avx512<4>};
    static constexpr TileKernel avx2[] = {nullptr, tile_avx2<1>, tile_avx2<2>, tile_avx2<3>, tile_avx2<4>};
    static constexpr TileKernel generic[] = {nullptr, tile_generic<1>, tile_generic<2>, tile_generic<3>,
                                             tile_generic<4>};
    return for_isa(isa, avx512, avx2, generic)[rows];
}

}  // namespace

float conv_depthwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads,
                     Isa isa) {
    // x: (N, C_in, H, W)   w: (C_out, 1, kH, kW)   y: (N, C_out, H_out, W_out); output channel c*m + j reads input
    // channel c (m = C_out / C_in, the channel multiplier).
    assert(is_depthwise(g) && isa != Isa::Auto && cpu_supports(isa) && threads >= 1);
    const Plan p = plan_for(g, isa);
    const int64_t Ho = g.out[0], Wo = g.out[1], mult = g.c_out_per_group, ntaps = static_cast<int64_t>(p.taps.size());
    const int64_t in_plane = g.in[0] * g.in[1], out_plane = Ho * Wo, row_step = p.sy * p.ld;
    static_assert(DwShape<Avx512Vec>::kRows == 4 && DwShape<Avx2Vec>::kRows == 4 && DwShape<GenericVec>::kRows == 4);
    const CopyMax copy_max = copy_max_for(isa);
    std::mutex max_lock;
    float x_max = 0.0f;
    parallel_for(threads, g.n * g.c_in, [&](int64_t q0, int64_t q1) {
        float range_max = 0.0f;
        // Scratch keeps its capacity between calls on the same thread: fresh pages cost more than small layers.
        thread_local std::vector<float> buffer, weights, row;
        buffer.resize(static_cast<size_t>(p.hp * p.ld));
        weights.resize(static_cast<size_t>(ntaps * p.width));
        for (int64_t q = q0; q < q1; ++q) {
            const int64_t c = q % g.c_in;
            range_max = std::max(range_max, fill_plane(g, p, x + q * in_plane, buffer.data(), copy_max, row));
            for (int64_t j = 0; j < mult; ++j) {
                const int64_t oc = c * mult + j;
                const float* wk = w + oc * ntaps;
                for (int64_t t = 0; t < ntaps; ++t) std::fill_n(weights.begin() + t * p.width, p.width, wk[t]);
                float* yc = y + (q / g.c_in * g.c_out + oc) * out_plane;
                const float b = bias ? bias[oc] : 0.0f;
                for (int64_t oy = 0; oy < Ho; oy += p.rows) {
                    const int64_t rows = std::min<int64_t>(p.rows, Ho - oy);
                    const RowsKernel shared = rows_kernel(g, p, isa, rows);
                    const TileKernel kernel = tile_kernel(isa, rows);
                    for (int64_t ct = 0; ct < p.col_tiles; ++ct) {
                        const int64_t ox = ct * p.nr, valid = std::min<int64_t>(p.nr, Wo - ox);
                        const float* in = buffer.data() + oy * row_step + ox;
                        if (shared) {
                            shared(in, p.ld, p.cols.data(), g.kernel[1], weights.data(), b, yc + oy * Wo + ox, Wo,
                                   valid);
                        } else {
                            kernel(in, row_step, p.taps.data(), ntaps, weights.data(), b, yc + oy * Wo + ox, Wo, valid);
                        }
                    }
                }
            }
        }
        const std::lock_guard<std::mutex> hold(max_lock);
        x_max = std::max(x_max, range_max);
    });
    return x_max;
}

}  // namespace convscope
