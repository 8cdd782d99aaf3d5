// Sections: padding · the three vector shapes · the plan (stride phases, flattened positions, tiles, channel
// blocks) · the tile kernel · storing a tile · filling the scratch · conv_direct
#include "conv_direct.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "conv_reference.hpp"
#include "copy_max.hpp"
#include "thread_pool.hpp"
#include "vector_types.hpp"

namespace convscope {

void pad_input_plane(const ConvGeometry& g, const float* x, float* padded) {
    const int64_t H = g.in[0], W = g.in[1];
    const int64_t hp = H + g.pad_begin[0] + g.pad_end[0], wp = W + g.pad_begin[1] + g.pad_end[1];
    const int64_t left = std::min(g.pad_begin[1], wp);
    for (int64_t py = 0; py < hp; ++py) {
        float* dst = padded + py * wp;
        const int64_t sy = resolve_padded_index(py - g.pad_begin[0], H, g.mode);
        if (sy < 0) {
            std::fill(dst, dst + wp, 0.0f);
            continue;
        }
        const float* src = x + sy * W;
        // Interior run copied at once; the ring resolved per column.
        for (int64_t px = 0; px < left; ++px) {
            const int64_t sx = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
            dst[px] = sx < 0 ? 0.0f : src[sx];
        }
        if (wp > left) std::memcpy(dst + left, src, static_cast<size_t>(std::min(W, wp - left)) * sizeof(float));
        for (int64_t px = left + W; px < wp; ++px) {
            const int64_t sx = resolve_padded_index(px - g.pad_begin[1], W, g.mode);
            dst[px] = sx < 0 ? 0.0f : src[sx];
        }
    }
}

namespace {

// The tile shapes on the vector types of vector_types.hpp: rows x vectors accumulators plus the vectors and one
// broadcast fill the register file (32 zmm; 16 ymm; 16 xmm) without spilling.
struct Avx512Shape : Avx512Vec {
    static constexpr int kVectors = 3, kRows = 8;
};
// 6 x 64 positions, for layers whose positions fill 64-wide tiles better than 48-wide ones (Conv1d on 256
// positions: 4 tiles of 64 against 6 of 48 that compute 288); plan_for picks the one computing fewer products.
struct Avx512WideShape : Avx512Vec {
    static constexpr int kVectors = 4, kRows = 6;
};
struct Avx2Shape : Avx2Vec {
    static constexpr int kVectors = 3, kRows = 4;
};
struct GenericShape : GenericVec {
    static constexpr int kVectors = 2, kRows = 4;  // no FMA: a product needs a register too
};

constexpr int64_t kBlockBytes = 24 * 1024;  // input one tile reads per channel block: stays in the 32-48 KiB L1

// Output (oy, ox) with stride (sy, sx) reads padded input (oy*sy + ky*dy, ox*sx + kx*dx). Split the padded plane
// into sy*sx phase planes, phase (ry, rx) holding rows ry, ry + sy, ... and columns rx, rx + sx, ...: tap (ky, kx)
// with ky*dy = qy*sy + ry and kx*dx = qx*sx + rx then reads phase (ry, rx) at (oy + qy, ox + qx), consecutive
// floats for consecutive ox again. (Stride 1: one phase, the padded plane itself.) Numbering outputs by the flat
// index f = oy * wq + ox of a phase plane makes every tap a fixed offset: NR consecutive f read NR consecutive
// floats per tap, whatever row they fall on. The f whose ox >= W_out are computed and dropped (wq - W_out of
// every wq; 2 of 58 for a 56-wide map with padding 1).
struct Plan {
    int nr = 0, mr = 0;      // tile: output positions x output channels
    int64_t hp = 0, wp = 0;  // the padded plane
    int64_t sy = 1, sx = 1;  // the strides the phases split by (1 on an axis with one output)
    int64_t hq = 0, wq = 0;  // one phase plane: ceil(hp / sy) x ceil(wp / sx)
    int64_t phases = 1;      // sy * sx
    int64_t plane = 0;       // floats from one channel's planes to the next's
    int64_t nflat = 0;       // (H_out - 1) * wq + W_out: the last f that is an output, plus one
    int64_t n_tiles = 0, m_tiles = 0;
    int64_t block = 1;          // input channels per block
    int64_t span = 0;           // floats past a tile's first f it may read per channel: farthest tap + nr
    int64_t panel_stride = 0;   // span rounded up to whole 64-byte lines
    bool scratch = false;       // padded and/or phase-split into scratch, which the kernel reads in place
    std::vector<int64_t> taps;  // per (ky, kx): phase * hq * wq + qy * wq + qx
};

template <class S>
Plan make_plan(const ConvGeometry& g) {
    Plan p;
    p.nr = S::kWidth * S::kVectors;
    p.mr = S::kRows;
    // An axis with one output reads one window whatever its stride (2^63 - 1 is valid there): split it by 1. With
    // more outputs, (out - 1) * stride < the padded size, so the phases never outnumber the padded plane's floats.
    const int64_t sy = p.sy = g.out[0] > 1 ? g.stride[0] : 1, sx = p.sx = g.out[1] > 1 ? g.stride[1] : 1;
    p.phases = sy * sx;
    p.scratch =
        p.phases > 1 || g.pad_begin != std::array<int64_t, 2>{0, 0} || g.pad_end != std::array<int64_t, 2>{0, 0};
    p.hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    p.wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    p.hq = (p.hp + sy - 1) / sy;
    p.wq = (p.wp + sx - 1) / sx;
    p.plane = p.phases * p.hq * p.wq;
    if (p.scratch) {
        // Scratch planes start on 64-byte lines an odd number of lines apart, so the channels of a block spread
        // over every L1 set instead of evicting each other.
        p.plane = (p.plane + 15) / 16 * 16;
        if (p.plane / 16 % 2 == 0) p.plane += 16;
    }
    p.nflat = (g.out[0] - 1) * p.wq + g.out[1];
    p.n_tiles = (p.nflat + p.nr - 1) / p.nr;
    p.m_tiles = (g.c_out_per_group + p.mr - 1) / p.mr;
    std::map<int64_t, std::pair<int64_t, int64_t>> reach;  // per phase: the nearest and farthest tap
    for (int64_t ky = 0; ky < g.kernel[0]; ++ky) {
        for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
            const int64_t ty = ky * g.dilation[0], tx = kx * g.dilation[1];
            const int64_t phase = (ty % sy) * sx + tx % sx;
            const int64_t offset = phase * p.hq * p.wq + ty / sy * p.wq + tx / sx;
            p.taps.push_back(offset);
            auto [it, fresh] = reach.try_emplace(phase, offset, offset);
            it->second = {std::min(it->second.first, offset), std::max(it->second.second, offset)};
        }
    }
    p.span = *std::max_element(p.taps.begin(), p.taps.end()) + p.nr;
    p.panel_stride = (p.span + 15) / 16 * 16;
    // Cache lines one tile touches per channel: per phase, the floats from its nearest tap to its farthest plus the
    // tile, which start anywhere in a 64-byte line, so one line more than they fill. (Counted in floats, a Conv1d
    // tile's 26 floats per channel with AVX2 are 2-3 lines, not 1.6: its blocks overfilled L1, and counting lines
    // made AVX2 Conv1d layers with 512-1024 channels 8-11% faster, R6 0.90 / 0.92 of the time with 1 / 2 threads;
    // every other layer and AVX-512 within noise, 0.96-1.03.)
    constexpr int64_t kLineFloats = 64 / sizeof(float);
    int64_t footprint_lines = 0;
    for (const auto& [phase, r] : reach)
        footprint_lines += (r.second - r.first + p.nr + kLineFloats - 1) / kLineFloats + 1;
    const int64_t per_block = std::max<int64_t>(1, kBlockBytes / (footprint_lines * 64));
    const int64_t blocks = (g.c_in_per_group + per_block - 1) / per_block;
    p.block = (g.c_in_per_group + blocks - 1) / blocks;  // even blocks
    return p;
}

// One tile: tile[i][j] (+)= sum over the block's channels and taps of a[i * K + c * ntaps + tap] *
// panel[c][tap + j], for i < MR and j < nr; the first block writes, later ones add their block sum (summed from
// zero, so rounding grows with the block's length, not the layer's). `a` is the first weight of the tile's first
// output channel in the caller's own layout (C_out, C_in/groups, kH, kW): row i is K floats further, and the taps
// of one channel follow each other, so the kernel broadcasts straight from the weights as given (packing them
// first, 8 rows side by side, cost more than it saved: R6 0.4 ms a call; reading them in place measured 1-8%
// faster on R1, R2 and R6). Panel rows are `stride` floats apart. Always inlined into a function with the shape's
// target attribute (tile_kernel below).
template <class S, int MR>
[[gnu::always_inline]] inline void tile_body(const float* a, int64_t K, const float* panel, int64_t channels,
                                             int64_t stride, const int64_t* taps, int64_t ntaps, bool first,
                                             float* tile) {
    using V = typename S::V;
    constexpr int W = S::kWidth, NV = S::kVectors, NR = W * NV;
    V acc[MR][NV];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V{};
    for (int64_t c = 0; c < channels; ++c, panel += stride) {
        for (int64_t t = 0; t < ntaps; ++t, ++a) {
            const float* src = panel + taps[t];
            V b[NV];
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) std::memcpy(&b[j], src + W * j, sizeof(V));
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) {
                const V wi = a[i * K] - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 4
                for (int j = 0; j < NV; ++j) acc[i][j] += wi * b[j];  // one FMA where the target has it
            }
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
            float* dst = tile + i * NR + W * j;
            V v = acc[i][j];
            if (!first) {
                V old;
                std::memcpy(&old, dst, sizeof(V));
                v += old;
            }
            std::memcpy(dst, &v, sizeof(V));
        }
    }
}

using TileKernel = void (*)(const float*, int64_t, const float*, int64_t, int64_t, const int64_t*, int64_t, bool,
                            float*);

template <int MR>
CONVSCOPE_AVX512_TARGET void tile_avx512(const float* a, int64_t K, const float* panel, int64_t channels,
                                         int64_t stride, const int64_t* taps, int64_t ntaps, bool first, float* tile) {
    tile_body<Avx512Shape, MR>(a, K, panel, channels, stride, taps, ntaps, first, tile);
}
template <int MR>
CONVSCOPE_AVX512_TARGET void tile_avx512_wide(const float* a, int64_t K, const float* panel, int64_t channels,
                                              int64_t stride, const int64_t* taps, int64_t ntaps, bool first,
                                              float* tile) {
    tile_body<Avx512WideShape, MR>(a, K, panel, channels, stride, taps, ntaps, first, tile);
}
template <int MR>
__attribute__((target("avx2,fma"))) void tile_avx2(const float* a, int64_t K, const float* panel, int64_t channels,
                                                   int64_t stride, const int64_t* taps, int64_t ntaps, bool first,
                                                   float* tile) {
    tile_body<Avx2Shape, MR>(a, K, panel, channels, stride, taps, ntaps, first, tile);
}
template <int MR>
void tile_generic(const float* a, int64_t K, const float* panel, int64_t channels, int64_t stride, const int64_t* taps,
                  int64_t ntaps, bool first, float* tile) {
    tile_body<GenericShape, MR>(a, K, panel, channels, stride, taps, ntaps, first, tile);
}

// The kernel for `rows` output channels (1 .. the shape's kRows) of the plan's shape (`nr` positions wide).
TileKernel tile_kernel(Isa isa, int nr, int rows) {
    static constexpr TileKernel avx512[] = {nullptr,        tile_avx512<1>, tile_avx512<2>,
                                            tile_avx512<3>, tile_avx512<4>, tile_avx512<5>,
                                            tile_avx512<6>, tile_avx512<7>, tile_avx512<8>};
    static constexpr TileKernel avx512_wide[] = {nullptr,
                                                 tile_avx512_wide<1>,
                                                 tile_avx512_wide<2>,
                                                 tile_avx512_wide<3>,
                                                 tile_avx512_wide<4>,
                                                 tile_avx512_wide<5>,
                                                 tile_avx512_wide<6>};
    static constexpr TileKernel avx2[] = {nullptr, tile_avx2<1>, tile_avx2<2>, tile_avx2<3>, tile_avx2<4>};
    static constexpr TileKernel generic[] = {nullptr, tile_generic<1>, tile_generic<2>, tile_generic<3>,
                                             tile_generic<4>};
    if (isa == Isa::Avx512 && nr == Avx512WideShape::kWidth * Avx512WideShape::kVectors) return avx512_wide[rows];
    return for_isa(isa, avx512, avx2, generic)[rows];
}

// Copies `rows` rows of a finished tile (flat positions f0 .. f0 + count, rows nr floats apart) into their output
// maps with the bias added, dropping the f past W_out. Written on the shape's vectors and compiled per instruction
// set like the tile kernel (GCC 12 at -O2 leaves the plain loop scalar: it was a third of the ResNet stem's time).
template <class Vec>
[[gnu::always_inline]] inline void store_body(const float* tile, int rows, int nr, int64_t f0, int64_t count,
                                              int64_t wq, int64_t wo, int64_t map_size, float* y, const float* bias) {
    using V = typename Vec::V;
    constexpr int W = Vec::kWidth;
    for (int64_t j = 0; j < count;) {
        const int64_t oy = (f0 + j) / wq, ox = (f0 + j) % wq;
        if (ox >= wo) {
            j += wq - ox;
            continue;
        }
        const int64_t len = std::min(wo - ox, count - j);
        for (int i = 0; i < rows; ++i) {
            float* dst = y + i * map_size + oy * wo + ox;
            const float* src = tile + i * nr + j;
            const float b = bias ? bias[i] : 0.0f;
            const V bv = b - V{};  // broadcast (vector_types.hpp)
            int64_t l = 0;
            for (; l + W <= len; l += W) {
                V v;
                std::memcpy(&v, src + l, sizeof(V));
                v += bv;
                std::memcpy(dst + l, &v, sizeof(V));
            }
            for (; l < len; ++l) dst[l] = src[l] + b;
        }
        j += len;
    }
}

using StoreTile = void (*)(const float*, int, int, int64_t, int64_t, int64_t, int64_t, int64_t, float*, const float*);

CONVSCOPE_AVX512_TARGET void store_avx512(const float* tile, int rows, int nr, int64_t f0, int64_t count, int64_t wq,
                                          int64_t wo, int64_t map_size, float* y, const float* bias) {
    store_body<Avx512Vec>(tile, rows, nr, f0, count, wq, wo, map_size, y, bias);
}
__attribute__((target("avx2,fma"))) void store_avx2(const float* tile, int rows, int nr, int64_t f0, int64_t count,
                                                    int64_t wq, int64_t wo, int64_t map_size, float* y,
                                                    const float* bias) {
    store_body<Avx2Vec>(tile, rows, nr, f0, count, wq, wo, map_size, y, bias);
}
void store_generic(const float* tile, int rows, int nr, int64_t f0, int64_t count, int64_t wq, int64_t wo,
                   int64_t map_size, float* y, const float* bias) {
    store_body<GenericVec>(tile, rows, nr, f0, count, wq, wo, map_size, y, bias);
}

// One stride phase (ry, rx) of one channel of the scratch, read straight from the unpadded plane x: phase row a,
// column b holds padded (a*sy + ry, b*sx + rx) of the padded plane (every mode), zero past the padded plane. With
// one phase this is the padded plane itself.
void fill_phase(const ConvGeometry& g, const Plan& p, const float* x, int64_t ry, int64_t rx, float* dst) {
    const int64_t H = g.in[0], W = g.in[1], sy = p.sy, sx = p.sx;
    const int64_t pb = g.pad_begin[1];
    // the phase columns b whose padded column is inside x: pb <= b*sx + rx < pb + W
    const int64_t b0 = std::min(p.wq, pb > rx ? (pb - rx + sx - 1) / sx : 0);
    const int64_t b1 = std::max(b0, std::min(p.wq, pb + W > rx ? (pb + W - rx + sx - 1) / sx : 0));
    for (int64_t a = 0; a < p.hq; ++a) {
        float* row = dst + a * p.wq;
        const int64_t py = a * sy + ry;
        const int64_t src_y = py < p.hp ? resolve_padded_index(py - g.pad_begin[0], H, g.mode) : -1;
        if (src_y < 0) {
            std::fill(row, row + p.wq, 0.0f);
            continue;
        }
        const float* src = x + src_y * W;
        auto ring = [&](int64_t b) {  // a column in the padding ring or past the padded plane
            const int64_t px = b * sx + rx;
            const int64_t src_x = px < p.wp ? resolve_padded_index(px - pb, W, g.mode) : -1;
            row[b] = src_x < 0 ? 0.0f : src[src_x];
        };
        for (int64_t b = 0; b < b0; ++b) ring(b);
        const float* first = src + (b0 * sx + rx - pb);
        if (sx == 1) {
            std::memcpy(row + b0, first, static_cast<size_t>(b1 - b0) * sizeof(float));
        } else {
            int64_t b = b0;
            if (sx == 2) {
                // every second float, four at a time from two loads and one shuffle (GCC 12 at -O2 leaves the
                // strided loop scalar: 9% of R2). The loads read one float past the last one kept, so the last
                // vector stops short of the row's end.
                typedef float V4 __attribute__((vector_size(16)));
                typedef int32_t I4 __attribute__((vector_size(16)));
                for (; b + 4 < b1; b += 4) {
                    V4 lo, hi;
                    std::memcpy(&lo, first + (b - b0) * 2, sizeof lo);
                    std::memcpy(&hi, first + (b - b0) * 2 + 4, sizeof hi);
                    const V4 even = __builtin_shuffle(lo, hi, I4{0, 2, 4, 6});
                    std::memcpy(row + b, &even, sizeof even);
                }
            }
            for (; b < b1; ++b) row[b] = first[(b - b0) * sx];
        }
        for (int64_t b = b1; b < p.wq; ++b) ring(b);
    }
}

Plan plan_for(const ConvGeometry& g, Isa isa) {
    switch (isa) {
        case Isa::Avx512: {
            // the shape that computes fewer products: whole tiles of positions x whole tiles of channels
            Plan narrow = make_plan<Avx512Shape>(g), wide = make_plan<Avx512WideShape>(g);
            const auto products = [](const Plan& p) { return p.n_tiles * p.nr * p.m_tiles * p.mr; };
            return products(wide) < products(narrow) ? wide : narrow;
        }
        case Isa::Avx2:
            return make_plan<Avx2Shape>(g);
        case Isa::Auto:
        case Isa::Generic:
            break;
    }
    return make_plan<GenericShape>(g);
}

}  // namespace

DirectTile conv_direct_tile(const ConvGeometry& g, Isa isa) {
    const Plan p = plan_for(g, isa);
    return {p.mr, p.nr};
}

int64_t conv_direct_scratch_floats(const ConvGeometry& g, Isa isa) {
    const Plan p = plan_for(g, isa);
    return p.scratch ? g.n * g.c_in * p.plane + p.span : 0;
}

DirectMaxima conv_direct(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                         int threads, Isa isa) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(isa != Isa::Auto && cpu_supports(isa) && threads >= 1);
    const Plan p = plan_for(g, isa);
    // Scratch keeps its capacity between calls on the calling thread: fresh pages cost more than small layers.
    thread_local std::vector<float> scratch;
    const float* input = x;
    const int64_t item_floats = g.c_in * p.plane;
    const int64_t in_plane = g.in[0] * g.in[1], planes = g.n * g.c_in;
    // max|x| per input plane, scanned by the thread that fills (or first reads) the plane; max|w| per chunk of
    // the weights (a serial scan of R6's 3 MiB took 0.24 ms).
    const FiniteMax finite_max = finite_max_for(isa);
    constexpr int64_t kWeightScanFloats = 16 << 10;
    const int64_t w_floats = g.c_out * g.macs_per_output();
    const int64_t w_units = (w_floats + kWeightScanFloats - 1) / kWeightScanFloats;
    thread_local std::vector<float> unit_max;
    unit_max.assign(static_cast<size_t>(planes + w_units), 0.0f);
    float* plane_max_out = unit_max.data();  // (a worker's own thread_local `unit_max` is another vector)
    float* w_max_out = plane_max_out + planes;
    float* dst = nullptr;
    if (p.scratch) {
        // The last tile reads up to a span past the last output: zeros after the last plane keep that in bounds.
        scratch.resize(static_cast<size_t>(g.n * item_floats + p.span));
        dst = scratch.data();  // (likewise)
        std::fill(scratch.end() - p.span, scratch.end(), 0.0f);
        input = dst;
    }
    // Before the tiles, on the threads: one unit per chunk of the weights for max|w|, then one unit per (channel
    // plane, phase) that fills the plane's phase into the scratch (a layer with few channels and a stride still
    // splits over the threads) and scans the plane for max|x|; without scratch, one plane a unit for max|x|.
    const int64_t phase_floats = p.hq * p.wq, fill_units = p.scratch ? planes * p.phases : planes;
    parallel_for(threads, w_units + fill_units, [&](int64_t u0, int64_t u1) {
        for (int64_t u = u0; u < u1; ++u) {
            if (u < w_units) {
                const int64_t k0 = u * kWeightScanFloats;
                w_max_out[u] = finite_max(w + k0, std::min(kWeightScanFloats, w_floats - k0), 0.0f);
                continue;
            }
            const int64_t f = u - w_units;
            if (!p.scratch) {
                plane_max_out[f] = finite_max(x + f * in_plane, in_plane, 0.0f);
                continue;
            }
            const int64_t q = f / p.phases, phase = f % p.phases;
            float* plane = dst + q * p.plane;
            fill_phase(g, p, x + q * in_plane, phase / p.sx, phase % p.sx, plane + phase * phase_floats);
            if (phase == 0) plane_max_out[q] = finite_max(x + q * in_plane, in_plane, 0.0f);
            if (phase == p.phases - 1) std::fill(plane + p.phases * phase_floats, plane + p.plane, 0.0f);
        }
    });
    const int64_t M = g.c_out_per_group, cpg = g.c_in_per_group, ntaps = static_cast<int64_t>(p.taps.size());
    const int64_t K = g.macs_per_output();  // weights per output channel: cpg * ntaps
    const int64_t map_size = g.out[0] * g.out[1];
    // Work units: (item, group, tile of nr positions, chunk of output-channel tiles). Each position tile reads its
    // chunk's weights once per tile: when a group's weights outgrow the L2 cache (R6, Conv1d(512, 512, 3):
    // 3 MiB, streamed again for each of its 48 tiles), the chunks hold at most kChunkBytes of weights and come
    // first in the unit order, so a thread keeps one chunk's weights in L2 across many position tiles. A layer
    // with few multiply-adds per output (K <= kFewMacs: 3 input channels, S1, S2, R1) spends its time writing the
    // output rather than computing it, and a position tile writes a few lines into each of its chunk's output
    // planes: sweeping the positions with at most kPlanesPerSweep planes at a time instead of all 64-192 took
    // 0.79-0.87 of the time on S2 and 0.88-0.98 on S1 (AVX-512 Xeon, one and two threads). With several items
    // and chunks first, one item's positions are swept for every chunk before the next item's, so its input stays
    // in L2 across the chunks (R6's 8 items of padded input are 4.3 MiB: 0.92-0.95 of the time of sweeping every
    // item per chunk; S2 0.93-0.97), unless the weights are what must stay and every item's input fits in L2 too.
    // Few position tiles (a strided layer, a small map) would split unevenly over the threads (R2: 17 tiles, 9
    // against 8): the output channels are then split into chunks too, consecutive units sharing their input tile.
    constexpr int64_t kWeightBytesInL2 = 1 << 20, kChunkBytes = 384 << 10, kInputBytesInL2 = 1 << 20;
    constexpr int64_t kFewMacs = 256, kPlanesPerSweep = 32;
    const int64_t position_units = g.n * g.groups * p.n_tiles;
    const int64_t m_tile_bytes = K * p.mr * static_cast<int64_t>(sizeof(float));
    const bool big_weights = p.m_tiles * m_tile_bytes > kWeightBytesInL2;
    const bool store_bound = K <= kFewMacs && p.m_tiles * p.mr > kPlanesPerSweep;
    const bool chunks_first = big_weights || store_bound;
    int64_t chunk = big_weights   ? std::max<int64_t>(1, kChunkBytes / m_tile_bytes)
                    : store_bound ? std::max<int64_t>(1, kPlanesPerSweep / p.mr)
                                  : p.m_tiles;
    if (threads > 1 && position_units * ((p.m_tiles + chunk - 1) / chunk) < 16 * threads) {
        const int64_t want = std::min(p.m_tiles, (16 * threads + position_units - 1) / position_units);
        chunk = std::min(chunk, (p.m_tiles + want - 1) / want);
    }
    const int64_t m_chunks = (p.m_tiles + chunk - 1) / chunk;
    const int64_t units = position_units * m_chunks;
    const bool inputs_fit = g.n * item_floats * static_cast<int64_t>(sizeof(float)) <= kInputBytesInL2;
    const bool items_outer = chunks_first && g.n > 1 && !(big_weights && inputs_fit);
    // Position units a chunk sweeps before the next chunk: an item's, or a thread's share of a store-bound layer's
    // (each thread then reads only its share of the input: R1 with two threads, 1.09 of the time when both swept
    // every position), or all.
    const int64_t sweep = items_outer                  ? g.groups * p.n_tiles
                          : store_bound && threads > 1 ? (position_units + threads - 1) / threads
                                                       : position_units;
    const StoreTile store_tile = for_isa<StoreTile>(isa, store_avx512, store_avx2, store_generic);
    parallel_for(threads, units, [&](int64_t u0, int64_t u1) {
        thread_local std::vector<float> tile_buffer;  // one tile of sums per tile of output channels
        tile_buffer.resize(static_cast<size_t>(chunk * p.mr * p.nr));
        float* tiles = tile_buffer.data();
        // The block's input for one tile, copied side by side: a contiguous panel stays in L1 whatever the plane
        // size (planes a power of two apart would all fall into the same few cache sets).
        thread_local std::vector<float> panel_buffer;
        panel_buffer.resize(static_cast<size_t>(p.block * p.panel_stride));
        float* panel = panel_buffer.data();
        for (int64_t u = u0; u < u1; ++u) {
            // chunks first: (sweep, chunk, position unit); else (position unit, chunk)
            const int64_t outer = u / (m_chunks * sweep), r = u % (m_chunks * sweep);
            const int64_t swept = std::min(sweep, position_units - outer * sweep);  // the last sweep may be shorter
            const int64_t mc = chunks_first ? r / swept : r % m_chunks;
            const int64_t pu = outer * sweep + (chunks_first ? r % swept : r / m_chunks);
            const int64_t mt0 = mc * chunk, mt1 = std::min(p.m_tiles, mt0 + chunk);
            const int64_t nt = pu % p.n_tiles, grp = pu / p.n_tiles % g.groups, n = pu / (p.n_tiles * g.groups);
            const int64_t f0 = nt * p.nr, count = std::min<int64_t>(p.nr, p.nflat - f0);
            const int64_t avail = std::min(p.span, p.plane - f0);  // the plane may end before the span does
            const float* in = input + n * item_floats + grp * cpg * p.plane + f0;
            float* yg = y + (n * g.c_out + grp * M) * map_size;
            for (int64_t c0 = 0; c0 < cpg; c0 += p.block) {
                const int64_t channels = std::min(p.block, cpg - c0);
                const float* block_in = in + c0 * p.plane;
                int64_t stride = p.plane;
                if (!p.scratch) {
                    // The caller's input: any plane size, and the last tile may run past its end. Copy the block.
                    for (int64_t c = 0; c < channels; ++c) {
                        float* row = panel + c * p.panel_stride;
                        std::memcpy(row, block_in + c * p.plane, static_cast<size_t>(avail) * sizeof(float));
                        std::fill(row + avail, row + p.panel_stride, 0.0f);
                    }
                    block_in = panel;
                    stride = p.panel_stride;
                }
                for (int64_t mt = mt0; mt < mt1; ++mt) {
                    const int rows = static_cast<int>(std::min<int64_t>(p.mr, M - mt * p.mr));
                    const float* a = w + (grp * M + mt * p.mr) * K + c0 * ntaps;
                    tile_kernel(isa, p.nr, rows)(a, K, block_in, channels, stride, p.taps.data(), ntaps, c0 == 0,
                                                 tiles + (mt - mt0) * p.mr * p.nr);
                }
            }
            for (int64_t mt = mt0; mt < mt1; ++mt) {
                const int rows = static_cast<int>(std::min<int64_t>(p.mr, M - mt * p.mr));
                store_tile(tiles + (mt - mt0) * p.mr * p.nr, rows, p.nr, f0, count, p.wq, g.out[1], map_size,
                           yg + mt * p.mr * map_size, bias ? bias + grp * M + mt * p.mr : nullptr);
            }
        }
    });
    const auto largest = [](const float* b, const float* e) {
        return std::accumulate(b, e, 0.0f, [](float m, float v) { return std::max(m, v); });
    };
    return {largest(unit_max.data(), unit_max.data() + planes),
            largest(unit_max.data() + planes, unit_max.data() + unit_max.size())};
}

}  // namespace convscope
