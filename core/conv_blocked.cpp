// Sections: the tile shape · the tile kernel · the kernel table · transposing in registers · storing a tile · packing
// the weights · the plan · conv_blocked
#include "conv_blocked.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "copy_max.hpp"
#include "thread_pool.hpp"
#include "vector_types.hpp"

namespace convscope {

namespace {

// The tile: kBlocks blocks of kLanes output channels x kPositions output positions of one row: 28 accumulators, 2
// weight vectors and the broadcast input value in the 32 zmm registers. (3 x 8 measured 9-14% slower; an AVX2 build,
// 3 blocks of 8 x 4 positions in 16 ymm, was slower than the direct kernel's AVX2 build on every row: README,
// Benchmarks.)
constexpr int kLanes = Avx512Vec::kWidth, kBlocks = 2, kPositions = 14;

constexpr int64_t kWeightSliceBytes = 24 * 1024;  // the weights one channel block reads: stay in the 32-48 KiB L1

// One tile: MB blocks of L output channels x NR consecutive output positions of one row, summed over `channels`
// input channels and every tap. `wk` holds the packed weights of those channels, (channel, ky, kx, block, lane);
// `in` is the input at the tile's first window's top-left corner in the first channel, planes `plane` floats apart;
// the window's rows are `row_step` floats apart and its columns `col_step` (dilation); the next position's window
// starts SX floats on (the column stride). Channels outside, taps inside: the weights are read in the order they
// are packed. (Taps outside ran 5-8% faster in L1 alone and 3-10% slower in the layers.) `sums` holds the tile's
// running sums, (position, block, lane): the first channel block writes them, later ones add theirs (each summed
// from zero, so rounding grows with the block's length, not the layer's).
template <int MB, int NR, int SX>
CONVSCOPE_AVX512_TARGET void tile(const float* wk, const float* in, int64_t channels, int64_t plane, int64_t kh,
                                  int64_t kw, int64_t row_step, int64_t col_step, bool first, float* sums) {
    using V = Avx512Vec::V;
    constexpr int L = kLanes;
    V acc[NR][MB];
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
        for (int b = 0; b < MB; ++b) acc[j][b] = V{};
    for (int64_t c = 0; c < channels; ++c, in += plane) {
        const float* row = in;
        for (int64_t ky = 0; ky < kh; ++ky, row += row_step) {
            const float* src = row;
            for (int64_t kx = 0; kx < kw; ++kx, src += col_step, wk += MB * L) {
                V wv[MB];
#pragma GCC unroll 4
                for (int b = 0; b < MB; ++b) std::memcpy(&wv[b], wk + b * L, sizeof(V));
#pragma GCC unroll 16
                for (int j = 0; j < NR; ++j) {
                    const V xj = src[j * SX] - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 4
                    for (int b = 0; b < MB; ++b) acc[j][b] += wv[b] * xj;  // one FMA
                }
            }
        }
    }
#pragma GCC unroll 16
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 4
        for (int b = 0; b < MB; ++b) {
            float* dst = sums + (j * MB + b) * L;
            V v = acc[j][b];
            if (!first) {
                V old;
                std::memcpy(&old, dst, sizeof(V));
                v += old;
            }
            std::memcpy(dst, &v, sizeof(V));
        }
    }
}

using TileKernel = void (*)(const float*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool,
                            float*);

// The kernels, indexed [SX - 1][MB - 1][NR - 1]: every (column stride, blocks, positions) a tile can have.
struct KernelTable {
    TileKernel k[2][kBlocks][kPositions];
};
template <int SX, int MB, int... NR>
constexpr void fill_row(KernelTable& t, std::integer_sequence<int, NR...>) {
    ((t.k[SX - 1][MB - 1][NR] = tile<MB, NR + 1, SX>), ...);
}
template <int SX, int... MB>
constexpr void fill_stride(KernelTable& t, std::integer_sequence<int, MB...>) {
    (fill_row<SX, MB + 1>(t, std::make_integer_sequence<int, kPositions>{}), ...);
}
constexpr KernelTable make_table() {
    KernelTable t{};
    fill_stride<1>(t, std::make_integer_sequence<int, kBlocks>{});
    fill_stride<2>(t, std::make_integer_sequence<int, kBlocks>{});
    return t;
}
constexpr KernelTable kKernels = make_table();

// r[i][l] -> r[l][i]: 16 x 16 floats in 16 vectors transposed in registers, by swapping the off-diagonal h x h blocks
// for h = 8, 4, 2, 1, each swap two two-input permutes (vpermt2ps). Written with the intrinsic, not GCC's
// __builtin_shuffle, which clang (the fuzz build) does not have.
[[gnu::always_inline]] CONVSCOPE_AVX512_TARGET inline void transpose(Avx512Vec::V (&r)[Avx512Vec::kWidth]) {
    using V = Avx512Vec::V;
    using I = Avx512Vec::I;
    constexpr int L = Avx512Vec::kWidth;
#pragma GCC unroll 4
    for (int h = L / 2; h >= 1; h /= 2) {
        I keep, take;  // rows i and i + h: keep row i's lanes without bit h, take row i + h's lanes with it
#pragma GCC unroll 16
        for (int l = 0; l < L; ++l) {
            keep[l] = (l & h) ? l - h + L : l;
            take[l] = (l & h) ? l + L : l + h;
        }
        const auto keep_index = reinterpret_cast<__m512i>(keep), take_index = reinterpret_cast<__m512i>(take);
#pragma GCC unroll 16
        for (int i = 0; i < L; ++i) {
            if (i & h) continue;
            const auto a = reinterpret_cast<__m512>(r[i]), b = reinterpret_cast<__m512>(r[i + h]);
            r[i] = reinterpret_cast<V>(_mm512_permutex2var_ps(a, keep_index, b));
            r[i + h] = reinterpret_cast<V>(_mm512_permutex2var_ps(a, take_index, b));
        }
    }
}

// Writes a finished tile's sums (position, block, lane) to the output maps with the bias added: `channels` output
// channels (the last block may be partly lanes past C_out), `nr` positions each, maps `map_size` floats apart.
// Each block's L x nr sums are transposed in registers into one vector of positions per channel, stored masked to
// its nr positions.
CONVSCOPE_AVX512_TARGET void store_tile(const float* sums, int blocks, int64_t channels, int nr, float* y,
                                        int64_t map_size, const float* bias) {
    using V = Avx512Vec::V;
    constexpr int L = Avx512Vec::kWidth;
    const __mmask16 positions = first_lanes(nr);
    for (int b = 0; b * L < channels; ++b) {
        V r[L];
#pragma GCC unroll 16
        for (int j = 0; j < L; ++j) {
            r[j] = V{};
            if (j < nr) std::memcpy(&r[j], sums + (j * blocks + b) * L, sizeof(V));
        }
        transpose(r);
        const int64_t lanes = std::min<int64_t>(L, channels - b * L);
        for (int64_t l = 0; l < lanes; ++l) {
            const int64_t oc = b * L + l;
            const V v = r[l] + ((bias ? bias[oc] : 0.0f) - V{});  // broadcast (vector_types.hpp)
            _mm512_mask_storeu_ps(y + oc * map_size, positions, reinterpret_cast<__m512>(v));
        }
    }
}

// One input plane x (H x W) zero-padded into dst (the plan's hp x wp), returning its largest finite |x|: one pass,
// each row's interior copied by copy_add_avx512 (vectors, the last one masked) while the maximum is found. (The
// padding copy and a separate scan, as the direct kernel does them, took 6% of R5 here.)
CONVSCOPE_AVX512_TARGET float pad_zeros_max(const ConvGeometry& g, int64_t hp, int64_t wp, const float* x, float* dst) {
    const int64_t H = g.in[0], W = g.in[1], top = g.pad_begin[0], left = g.pad_begin[1];
    FiniteAbsMax<Avx512Vec> m;
    for (int64_t py = 0; py < hp; ++py) {
        float* row = dst + py * wp;
        const int64_t sy = py - top;
        if (sy < 0 || sy >= H) {
            std::fill(row, row + wp, 0.0f);
            continue;
        }
        std::fill(row, row + left, 0.0f);
        copy_add_avx512(x + sy * W, row + left, W, m);
        std::fill(row + left + W, row + wp, 0.0f);
    }
    return m.result(0.0f);
}

// Packs the weights of `rows` output channels (at most `blocks` x 16; rows K floats apart) for one tile of blocks:
// dst[k * blocks * 16 + c] = w[c * K + k], channels past `rows` zero, 16 x 16 squares transposed in registers, every
// block's square of the same 16 k before the next (each 64-byte line of dst written whole at once); returns the
// largest finite |w| among them (conv_fast's overflow bound, found while the weights pass through registers).
CONVSCOPE_AVX512_TARGET float pack_weights(const float* w, int64_t rows, int64_t K, int blocks, float* dst) {
    using V = Avx512Vec::V;
    constexpr int L = Avx512Vec::kWidth;
    const int64_t stride = static_cast<int64_t>(blocks) * L;
    FiniteAbsMax<Avx512Vec> m;
    int64_t k = 0;
    for (; k + L <= K; k += L) {
        for (int b = 0; b < blocks; ++b) {
            V r[L];
#pragma GCC unroll 16
            for (int i = 0; i < L; ++i) {
                r[i] = V{};
                if (b * L + i < rows) std::memcpy(&r[i], w + (b * L + i) * K + k, sizeof(V));
                m.add(r[i]);
            }
            transpose(r);
#pragma GCC unroll 16
            for (int i = 0; i < L; ++i) std::memcpy(dst + (k + i) * stride + b * L, &r[i], sizeof(V));
        }
    }
    float tail = 0.0f;
    for (; k < K; ++k) {
        for (int64_t c = 0; c < stride; ++c) {
            const float v = c < rows ? w[c * K + k] : 0.0f;
            dst[k * stride + c] = v;
            const float a = v < 0 ? -v : v;
            if (a <= std::numeric_limits<float>::max() && a > tail) tail = a;  // finite only (NaN compares false)
        }
    }
    return m.result(tail);
}

// How conv_blocked splits a layer.
struct Plan {
    int64_t c_blocks = 0;          // blocks of kLanes output channels per group
    int64_t groups_of_blocks = 0;  // tiles of kBlocks blocks per group (the last may have fewer)
    int64_t hp = 0, wp = 0;        // the padded plane
    bool padded = false;           // the input is copied into padded planes first
    int64_t channel_block = 1;     // input channels per pass over a band of rows
    int64_t band = 1, bands = 1;   // output rows per work unit, and units per map
};

Plan plan_for(const ConvGeometry& g, int threads) {
    Plan p;
    p.c_blocks = (g.c_out_per_group + kLanes - 1) / kLanes;
    p.groups_of_blocks = (p.c_blocks + kBlocks - 1) / kBlocks;
    p.hp = g.in[0] + g.pad_begin[0] + g.pad_end[0];
    p.wp = g.in[1] + g.pad_begin[1] + g.pad_end[1];
    p.padded = g.pad_begin != std::array<int64_t, 2>{0, 0} || g.pad_end != std::array<int64_t, 2>{0, 0};
    const int64_t taps = g.kernel[0] * g.kernel[1];
    const int64_t slice = taps * kBlocks * kLanes * static_cast<int64_t>(sizeof(float));
    const int64_t per_block = std::max<int64_t>(1, kWeightSliceBytes / slice);
    const int64_t passes = (g.c_in_per_group + per_block - 1) / per_block;
    p.channel_block = (g.c_in_per_group + passes - 1) / passes;  // even blocks
    // Bands of rows: enough work units for the threads (4 a thread), and a band's running sums (rows x W_out x
    // blocks x lanes) within 256 KiB of L2, read again by every pass over the input channels.
    const int64_t others = g.n * g.groups * p.groups_of_blocks;
    const int64_t want = std::min(g.out[0], (4 * threads + others - 1) / others);
    const int64_t row_floats = g.out[1] * kBlocks * kLanes;
    const int64_t most = std::max<int64_t>(1, (64 << 10) / row_floats);
    p.band = std::min((g.out[0] + want - 1) / want, most);
    p.bands = (g.out[0] + p.band - 1) / p.band;
    return p;
}

}  // namespace

bool conv_blocked_supports(const ConvGeometry& g, Isa isa) {
    return isa == Isa::Avx512 && (g.out[1] == 1 || g.stride[1] == 1 || g.stride[1] == 2);
}

DirectMaxima conv_blocked(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                          int threads, Isa isa) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    assert(conv_blocked_supports(g, isa) && cpu_supports(isa) && threads >= 1);
    const Plan p = plan_for(g, threads);
    constexpr int L = kLanes, MB = kBlocks;
    const int64_t M = g.c_out_per_group, cpg = g.c_in_per_group, taps = g.kernel[0] * g.kernel[1];
    const int64_t K = g.macs_per_output();
    // Packed weights per (group, tile of blocks): (input channel, ky, kx, block, lane), lanes past C_out zero.
    const int64_t tile_weights = cpg * taps * MB * L;
    thread_local std::vector<float> packed_buffer, scratch;
    packed_buffer.resize(static_cast<size_t>(g.groups * p.groups_of_blocks * tile_weights));
    float* packed = packed_buffer.data();  // (a worker's own thread_local vectors are other vectors)
    const int64_t in_plane = g.in[0] * g.in[1], planes = g.n * g.c_in;
    const int64_t plane = p.padded ? p.hp * p.wp : in_plane;
    const float* input = x;
    if (p.padded) {
        scratch.resize(static_cast<size_t>(planes * plane));
        input = scratch.data();
    }
    float* padded = scratch.data();
    const FiniteMax finite_max = finite_max_for(isa);
    thread_local std::vector<float> unit_max;
    const int64_t pack_units = g.groups * p.groups_of_blocks;
    unit_max.assign(static_cast<size_t>(planes + pack_units), 0.0f);
    float* plane_max = unit_max.data();
    float* w_max = plane_max + planes;
    // Before the tiles, on the threads: pack the weights of one (group, tile of blocks) a unit, scanning them for
    // max|w|; pad one input plane a unit (or only scan it), scanning it for max|x|.
    parallel_for(threads, pack_units + planes, [&](int64_t u0, int64_t u1) {
        for (int64_t u = u0; u < u1; ++u) {
            if (u < pack_units) {
                const int64_t grp = u / p.groups_of_blocks, ob0 = u % p.groups_of_blocks * MB;
                const int64_t mb = std::min<int64_t>(MB, p.c_blocks - ob0);
                const int64_t oc = ob0 * L, rows = std::min<int64_t>(mb * L, M - oc);
                w_max[u] =
                    pack_weights(w + (grp * M + oc) * K, rows, K, static_cast<int>(mb), packed + u * tile_weights);
                continue;
            }
            const int64_t q = u - pack_units;
            if (p.padded && g.mode == PaddingMode::Zeros) {
                plane_max[q] = pad_zeros_max(g, p.hp, p.wp, x + q * in_plane, padded + q * plane);
                continue;
            }
            plane_max[q] = finite_max(x + q * in_plane, in_plane, 0.0f);
            if (p.padded) pad_input_plane(g, x + q * in_plane, padded + q * plane);
        }
    });
    const int64_t Wo = g.out[1], map_size = g.out[0] * Wo;
    const int sx = g.out[1] == 1 ? 1 : static_cast<int>(g.stride[1]);
    // An axis with one tap or one output never steps along it, and its dilation or stride may then be anything up
    // to 2^63 - 1 (PyTorch accepts it): a step of 0 there keeps the products in range.
    const int64_t row_step = g.kernel[0] > 1 ? g.dilation[0] * p.wp : 0;
    const int64_t col_step = g.kernel[1] > 1 ? g.dilation[1] : 0;
    const int64_t in_row_step = g.out[0] > 1 ? g.stride[0] * p.wp : 0;
    // Work units: (group, tile of blocks, item, band of rows); consecutive units share their weights.
    const int64_t units = g.groups * p.groups_of_blocks * g.n * p.bands;
    parallel_for(threads, units, [&](int64_t u0, int64_t u1) {
        thread_local std::vector<float> sums_buffer;
        sums_buffer.resize(static_cast<size_t>(p.band * Wo * MB * L));
        float* sums = sums_buffer.data();
        for (int64_t u = u0; u < u1; ++u) {
            const int64_t band = u % p.bands, n = u / p.bands % g.n, gb = u / (p.bands * g.n);
            const int64_t grp = gb / p.groups_of_blocks, ob0 = gb % p.groups_of_blocks * MB;
            const int mb = static_cast<int>(std::min<int64_t>(MB, p.c_blocks - ob0));
            const int64_t oc0 = ob0 * L, channels_out = std::min<int64_t>(mb * L, M - oc0);
            const int64_t oy0 = band * p.band, oy1 = std::min(g.out[0], oy0 + p.band);
            const float* wk = packed + gb * tile_weights;
            const float* in = input + (n * g.c_in + grp * cpg) * plane;
            float* yg = y + (n * g.c_out + grp * M + oc0) * map_size;
            const float* bg = bias ? bias + grp * M + oc0 : nullptr;
            for (int64_t c0 = 0; c0 < cpg; c0 += p.channel_block) {
                const int64_t channels = std::min(p.channel_block, cpg - c0);
                const bool first = c0 == 0, last = c0 + channels == cpg;
                const float* wc = wk + c0 * taps * mb * L;
                for (int64_t oy = oy0; oy < oy1; ++oy) {
                    const float* row = in + c0 * plane + oy * in_row_step;
                    float* srow = sums + (oy - oy0) * Wo * mb * L;
                    for (int64_t ox = 0; ox < Wo; ox += kPositions) {
                        const int nr = static_cast<int>(std::min<int64_t>(kPositions, Wo - ox));
                        float* s = srow + ox * mb * L;
                        kKernels.k[sx - 1][mb - 1][nr - 1](wc, row + ox * sx, channels, plane, g.kernel[0], g.kernel[1],
                                                           row_step, col_step, first, s);
                        if (last) store_tile(s, mb, channels_out, nr, yg + oy * Wo + ox, map_size, bg);
                    }
                }
            }
        }
    });
    const auto largest = [](const float* b, const float* e) {
        return std::accumulate(b, e, 0.0f, [](float m, float v) { return std::max(m, v); });
    };
    return {largest(plane_max, plane_max + planes), largest(w_max, w_max + pack_units)};
}

}  // namespace convscope
