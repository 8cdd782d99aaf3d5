// Sections: padding · the plan (flattened positions, tiles, channel blocks) · packing the weights ·
// the AVX-512 tile kernel · storing a tile · conv_direct
#include "conv_direct.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "conv_reference.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

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

bool conv_direct_applies(const ConvGeometry& g) {
    return cpu_has_avx512f() && g.stride[0] == 1 && g.stride[1] == 1;
}

namespace {

constexpr int kMr = 8;    // output channels per tile
constexpr int kNr = 48;   // flattened output positions per tile: three 16-float vectors
constexpr int64_t kBlockBytes = 24 * 1024;  // input one tile reads per channel block: stays in the 32-48 KiB L1

// With stride 1, output (oy, ox) reads padded input (oy + ky*dy, ox + kx*dx). Numbering outputs by the flat
// index f = oy * wp + ox of the padded plane makes every tap a fixed offset (ky*dy*wp + kx*dx): 48 consecutive
// f read 48 consecutive floats per tap, whatever row they fall on. The f whose ox >= W_out are computed and
// dropped (wp - W_out of every wp; 2 of 58 for a 56-wide map with padding 1).
struct Plan {
    int64_t hp = 0, wp = 0;             // the plane the kernel reads: padded, or the input itself
    int64_t plane = 0;                  // floats from one channel's plane to the next's
    int64_t nflat = 0;                  // (H_out - 1) * wp + W_out: the last f that is an output, plus one
    int64_t n_tiles = 0, m_tiles = 0;
    int64_t block = 1;                  // input channels per block
    int64_t span = 0;                   // floats a tile reads per channel: farthest tap + 48
    int64_t panel_stride = 0;           // span rounded up to whole 64-byte lines
    bool padded = false;                // padded into scratch, which the kernel then reads in place
    std::vector<int64_t> taps;          // per (ky, kx): ky * dy * wp + kx * dx
};

Plan make_plan(const ConvGeometry& g) {
    Plan p;
    p.padded = g.pad_begin != std::array<int64_t, 2>{0, 0} || g.pad_end != std::array<int64_t, 2>{0, 0};
    p.hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    p.wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    p.plane = p.hp * p.wp;
    if (p.padded) {
        // Scratch planes start on 64-byte lines an odd number of lines apart, so the channels of a block spread
        // over every L1 set instead of evicting each other.
        p.plane = (p.plane + 15) / 16 * 16;
        if (p.plane / 16 % 2 == 0) p.plane += 16;
    }
    p.nflat = (g.out[0] - 1) * p.wp + g.out[1];
    p.n_tiles = (p.nflat + kNr - 1) / kNr;
    p.m_tiles = (g.c_out_per_group + kMr - 1) / kMr;
    for (int64_t ky = 0; ky < g.kernel[0]; ++ky)
        for (int64_t kx = 0; kx < g.kernel[1]; ++kx) p.taps.push_back(ky * g.dilation[0] * p.wp + kx * g.dilation[1]);
    // Floats one tile touches per channel: from its first f to its last f plus the farthest tap.
    p.span = p.taps.back() + kNr;
    p.panel_stride = (p.span + 15) / 16 * 16;
    const int64_t per_block = std::max<int64_t>(1, kBlockBytes / (p.panel_stride * static_cast<int64_t>(sizeof(float))));
    const int64_t blocks = (g.c_in_per_group + per_block - 1) / per_block;
    p.block = (g.c_in_per_group + blocks - 1) / blocks;  // even blocks
    return p;
}

// Weights as the kernel reads them: per (group, tile of 8 output channels), for each input channel and tap, the
// 8 weights side by side; rows past the group's last channel are zero.
void pack_weights(const ConvGeometry& g, const Plan& p, const float* w, std::vector<float>& packed) {
    const int64_t taps = static_cast<int64_t>(p.taps.size()), K = g.c_in_per_group * taps;
    packed.assign(static_cast<size_t>(g.groups * p.m_tiles * K * kMr), 0.0f);
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t m = 0; m < g.c_out_per_group; ++m) {
            const float* src = w + (grp * g.c_out_per_group + m) * K;
            float* dst = packed.data() + ((grp * p.m_tiles + m / kMr) * K) * kMr + m % kMr;
            for (int64_t k = 0; k < K; ++k) dst[k * kMr] = src[k];
        }
    }
}

// One tile: tile[i][j] (+)= sum over the block's channels and taps of a[c][tap][i] * panel[c][tap + j], for
// i < MR and j < 48; the first block writes, later ones add their block sum (summed from zero, so rounding grows
// with the block's length, not the layer's). a advances by 8 per tap whatever MR is; panel rows are `stride`
// floats apart.
template <int MR>
__attribute__((target("avx512f"))) void tile_kernel(const float* a, const float* panel, int64_t channels, int64_t stride,
                                                      const int64_t* taps, int64_t ntaps, bool first, float* tile) {
    __m512 acc[MR][3];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = acc[i][2] = _mm512_setzero_ps();
    for (int64_t c = 0; c < channels; ++c, panel += stride) {
        for (int64_t t = 0; t < ntaps; ++t, a += kMr) {
            const float* src = panel + taps[t];
            const __m512 b0 = _mm512_loadu_ps(src);
            const __m512 b1 = _mm512_loadu_ps(src + 16);
            const __m512 b2 = _mm512_loadu_ps(src + 32);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) {
                const __m512 wi = _mm512_set1_ps(a[i]);
                acc[i][0] = _mm512_fmadd_ps(wi, b0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(wi, b1, acc[i][1]);
                acc[i][2] = _mm512_fmadd_ps(wi, b2, acc[i][2]);
            }
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
        for (int j = 0; j < 3; ++j) {
            float* dst = tile + i * kNr + 16 * j;
            _mm512_storeu_ps(dst, first ? acc[i][j] : _mm512_add_ps(_mm512_loadu_ps(dst), acc[i][j]));
        }
    }
}

using TileKernel = void (*)(const float*, const float*, int64_t, int64_t, const int64_t*, int64_t, bool, float*);
constexpr TileKernel kTileKernels[kMr + 1] = {nullptr,         tile_kernel<1>, tile_kernel<2>, tile_kernel<3>, tile_kernel<4>,
                                              tile_kernel<5>, tile_kernel<6>, tile_kernel<7>, tile_kernel<8>};

// Copies `rows` rows of a finished tile (flat positions f0 .. f0 + count) into their output maps with the bias
// added, dropping the f past W_out.
__attribute__((target("avx512f"))) void store_tile(const float* tile, int rows, int64_t f0, int64_t count, int64_t wp,
                                                     int64_t wo, int64_t map_size, float* y, const float* bias) {
    for (int64_t j = 0; j < count;) {
        const int64_t oy = (f0 + j) / wp, ox = (f0 + j) % wp;
        if (ox >= wo) {
            j += wp - ox;
            continue;
        }
        const int64_t len = std::min(wo - ox, count - j);
        for (int i = 0; i < rows; ++i) {
            float* dst = y + i * map_size + oy * wo + ox;
            const float* src = tile + i * kNr + j;
            const __m512 b = _mm512_set1_ps(bias ? bias[i] : 0.0f);
            for (int64_t l = 0; l < len; l += 16) {
                const __mmask16 m = first_lanes(len - l);
                _mm512_mask_storeu_ps(dst + l, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, src + l), b));
            }
        }
        j += len;
    }
}

}  // namespace

void conv_direct(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(conv_direct_applies(g) && threads >= 1);
    const Plan p = make_plan(g);
    // Scratch keeps its capacity between calls on the calling thread: fresh pages cost more than small layers.
    thread_local std::vector<float> packed, padded;
    pack_weights(g, p, w, packed);
    const float* input = x;
    const int64_t item_floats = g.c_in * p.plane;
    if (p.padded) {
        // The last tile reads up to a span past the last output: zeros after the last plane keep that in bounds.
        padded.resize(static_cast<size_t>(g.n * item_floats + p.span));
        float* dst = padded.data();  // (a worker's own thread_local `padded` is another vector)
        const int64_t filled = p.hp * p.wp, in_plane = g.in[0] * g.in[1];
        parallel_for(threads, g.n * g.c_in, [&](int64_t q0, int64_t q1) {
            for (int64_t q = q0; q < q1; ++q) {  // plane q = n * C_in + c
                float* plane = dst + q * p.plane;
                pad_input_plane(g, x + q * in_plane, plane);
                std::fill(plane + filled, plane + p.plane, 0.0f);
            }
        });
        std::fill(padded.end() - p.span, padded.end(), 0.0f);
        input = dst;
    }
    const int64_t M = g.c_out_per_group, cpg = g.c_in_per_group, ntaps = static_cast<int64_t>(p.taps.size());
    const int64_t map_size = g.out[0] * g.out[1];
    const int64_t units = g.n * g.groups * p.n_tiles;  // (item, group, tile of 48 positions), all output channels
    const float* weights = packed.data();  // likewise for `packed`
    parallel_for(threads, units, [&](int64_t u0, int64_t u1) {
        thread_local std::vector<float> tile_buffer;  // one tile of sums per tile of output channels
        tile_buffer.resize(static_cast<size_t>(p.m_tiles * kMr * kNr));
        float* tiles = tile_buffer.data();
        // The block's input for one tile, copied side by side: a contiguous panel stays in L1 whatever the plane
        // size (planes a power of two apart would all fall into the same few cache sets).
        thread_local std::vector<float> panel_buffer;
        panel_buffer.resize(static_cast<size_t>(p.block * p.panel_stride));
        float* panel = panel_buffer.data();
        for (int64_t u = u0; u < u1; ++u) {
            const int64_t nt = u % p.n_tiles, grp = u / p.n_tiles % g.groups, n = u / (p.n_tiles * g.groups);
            const int64_t f0 = nt * kNr, count = std::min<int64_t>(kNr, p.nflat - f0);
            const int64_t avail = std::min(p.span, p.plane - f0);  // the plane may end before the span does
            const float* in = input + n * item_floats + grp * cpg * p.plane + f0;
            float* yg = y + (n * g.c_out + grp * M) * map_size;
            for (int64_t c0 = 0; c0 < cpg; c0 += p.block) {
                const int64_t channels = std::min(p.block, cpg - c0);
                const float* block_in = in + c0 * p.plane;
                int64_t stride = p.plane;
                if (!p.padded) {
                    // The caller's input: any plane size, and the last tile may run past its end. Copy the block.
                    for (int64_t c = 0; c < channels; ++c) {
                        float* row = panel + c * p.panel_stride;
                        std::memcpy(row, block_in + c * p.plane, static_cast<size_t>(avail) * sizeof(float));
                        std::fill(row + avail, row + p.panel_stride, 0.0f);
                    }
                    block_in = panel;
                    stride = p.panel_stride;
                }
                for (int64_t mt = 0; mt < p.m_tiles; ++mt) {
                    const int rows = static_cast<int>(std::min<int64_t>(kMr, M - mt * kMr));
                    const float* a = weights + ((grp * p.m_tiles + mt) * cpg + c0) * ntaps * kMr;
                    kTileKernels[rows](a, block_in, channels, stride, p.taps.data(), ntaps, c0 == 0, tiles + mt * kMr * kNr);
                }
            }
            for (int64_t mt = 0; mt < p.m_tiles; ++mt) {
                const int rows = static_cast<int>(std::min<int64_t>(kMr, M - mt * kMr));
                store_tile(tiles + mt * kMr * kNr, rows, f0, count, p.wp, g.out[1], map_size, yg + mt * kMr * map_size,
                           bias ? bias + grp * M + mt * kMr : nullptr);
            }
        }
    });
}

}  // namespace convscope
