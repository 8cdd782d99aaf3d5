// Sections: the tile shapes · packing · the tile kernel · conv_pointwise
#include "conv_pointwise.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "copy_max.hpp"
#include "thread_pool.hpp"
#include "vector_types.hpp"

namespace convscope {

bool is_pointwise(const ConvGeometry& g) {
    return g.kernel == std::array<int64_t, 2>{1, 1} && g.pad_begin == std::array<int64_t, 2>{0, 0} &&
           g.pad_end == std::array<int64_t, 2>{0, 0};
}

namespace {

// A tile is kRows output channels x kVectors vectors of output positions, its sums in registers (AVX-512: 24 of 32
// zmm; AVX2: 12 of 16 ymm). Per input channel k: kVectors loads of packed X, kRows broadcasts of W, kRows x kVectors
// FMAs. (AVX2: 4 x 24 measured 7% faster than 6 x 16 on R3.)
template <class Vec>
struct PwShape;
template <>
struct PwShape<Avx512Vec> : Avx512Vec {
    static constexpr int kRows = 8, kVectors = 3;
};
template <>
struct PwShape<Avx2Vec> : Avx2Vec {
    static constexpr int kRows = 4, kVectors = 3;
};
template <>
struct PwShape<GenericVec> : GenericVec {
    static constexpr int kRows = 4, kVectors = 2;
};

// The plan: per (item, group), Y_g (M x P) = W_g (M x K) X_g (K x P) + bias with M = C_out/groups, K = C_in/groups,
// P = H_out * W_out. X is packed a chunk of `chunk` positions at a time (two tiles wide: 24 KiB for AVX2's 24-wide
// tiles over 256 channels stays in L1, measured against 1, 4 and 32 tiles), panel by panel: panel[k][0 .. nr) holds
// X[k][p0 .. p0 + nr), zeros past P. W is packed once per call: per tile of mr channels, [k][0 .. mr).
struct Plan {
    int mr = 0, nr = 0;
    int64_t chunk = 0;                // positions packed at once (a multiple of nr)
    int64_t k_block = 0;              // input channels a tile reads before the next tile of output channels
    int64_t m_tiles = 0, chunks = 0;  // per group
    std::vector<int64_t> source;      // strided layers: per output position, its input offset in the plane
};

template <class S>
Plan make_plan(const ConvGeometry& g) {
    Plan p;
    p.mr = S::kRows;
    p.nr = S::kWidth * S::kVectors;
    p.chunk = 2 * p.nr;
    constexpr int64_t kPanelBytes = 24 * 1024;  // one panel block: half of a 48 KiB L1, the rest for weights and sums
    const int64_t per_block = std::max<int64_t>(1, kPanelBytes / (p.nr * static_cast<int64_t>(sizeof(float))));
    const int64_t blocks = (g.c_in_per_group + per_block - 1) / per_block;
    p.k_block = (g.c_in_per_group + blocks - 1) / blocks;  // even blocks
    const int64_t P = g.out[0] * g.out[1];
    p.m_tiles = (g.c_out_per_group + p.mr - 1) / p.mr;
    p.chunks = (P + p.chunk - 1) / p.chunk;
    if (P != g.in[0] * g.in[1]) {
        // Strided: output (oy, ox) reads input (oy * sy, ox * sx) (an axis with one output reads index 0).
        const int64_t sy = g.out[0] > 1 ? g.stride[0] : 0, sx = g.out[1] > 1 ? g.stride[1] : 0;
        p.source.resize(static_cast<size_t>(P));
        for (int64_t oy = 0; oy < g.out[0]; ++oy)
            for (int64_t ox = 0; ox < g.out[1]; ++ox)
                p.source[static_cast<size_t>(oy * g.out[1] + ox)] = oy * sy * g.in[1] + ox * sx;
    }
    return p;
}

// Packs positions [p0, p0 + n) of the K channels of x_g (planes `plane` floats apart) into panels; returns
// max(m, the largest finite |x| it copied). Stride 1: whole vectors, one running maximum per chunk (a copy call
// per panel row, reducing its maximum each time, took a quarter of R3).
template <class S>
[[gnu::always_inline]] inline float pack_body(const float* xg, int64_t plane, int64_t K, int64_t p0, int64_t n,
                                              float* packed, float m) {
    constexpr int NR = S::kWidth * S::kVectors;
    FiniteAbsMax<S> mv;
    const int64_t panels = (n + NR - 1) / NR;
    for (int64_t k = 0; k < K; ++k) {
        const float* src = xg + k * plane + p0;
        for (int64_t q = 0; q < panels; ++q, src += NR) {
            float* dst = packed + (q * K + k) * NR;
            const int64_t count = std::min<int64_t>(NR, n - q * NR);
            for (int64_t j = copy_add_vectors(src, dst, count, mv); j < count; ++j) {
                dst[j] = src[j];
                const float a = std::fabs(src[j]);
                if (a <= std::numeric_limits<float>::max()) m = std::max(m, a);
            }
            std::fill(dst + count, dst + NR, 0.0f);
        }
    }
    return mv.result(m);
}

using PackChunk = float (*)(const float*, int64_t, int64_t, int64_t, int64_t, float*, float);

CONVSCOPE_AVX512_TARGET float pack_avx512(const float* xg, int64_t plane, int64_t K, int64_t p0, int64_t n,
                                          float* packed, float m) {
    return pack_body<PwShape<Avx512Vec>>(xg, plane, K, p0, n, packed, m);
}
__attribute__((target("avx2,fma"))) float pack_avx2(const float* xg, int64_t plane, int64_t K, int64_t p0, int64_t n,
                                                    float* packed, float m) {
    return pack_body<PwShape<Avx2Vec>>(xg, plane, K, p0, n, packed, m);
}
float pack_generic(const float* xg, int64_t plane, int64_t K, int64_t p0, int64_t n, float* packed, float m) {
    return pack_body<PwShape<GenericVec>>(xg, plane, K, p0, n, packed, m);
}

// Strided layers: the same panels gathered through the plan's source offsets.
float pack_gathered(const Plan& p, const float* xg, int64_t plane, int64_t K, int64_t p0, int64_t n, float* packed,
                    float m) {
    const int64_t panels = (n + p.nr - 1) / p.nr;
    for (int64_t k = 0; k < K; ++k) {
        const float* src = xg + k * plane;
        for (int64_t q = 0; q < panels; ++q) {
            float* dst = packed + (q * K + k) * p.nr;
            const int64_t first = p0 + q * p.nr, count = std::min<int64_t>(p.nr, p0 + n - first);
            for (int64_t j = 0; j < count; ++j) {
                const float v = src[p.source[static_cast<size_t>(first + j)]];
                dst[j] = v;
                if (std::fabs(v) <= std::numeric_limits<float>::max()) m = std::max(m, std::fabs(v));
            }
            std::fill(dst + count, dst + p.nr, 0.0f);
        }
    }
    return m;
}

// One tile: out[i][j] = start[i][j] + sum over k of a[k * kRows + i] * b[k * nr + j], for i < ROWS, stored for
// j < valid (out rows out_ld floats apart); start is bias[i] when `bias` is given, else what out holds (the sum of
// the earlier blocks of input channels).
template <class S, int ROWS>
[[gnu::always_inline]] inline void tile_body(const float* a, const float* b, int64_t K, const float* bias, float* out,
                                             int64_t out_ld, int64_t valid) {
    using V = typename S::V;
    constexpr int W = S::kWidth, NV = S::kVectors, NR = W * NV, MR = S::kRows;
    V acc[ROWS][NV];
#pragma GCC unroll 8
    for (int i = 0; i < ROWS; ++i) {
        if (bias) {
            const V b0 = bias[i] - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] = b0;
            continue;
        }
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
            const int64_t col = j * W;
            acc[i][j] = V{};
            if (col + W <= valid)
                std::memcpy(&acc[i][j], out + i * out_ld + col, sizeof(V));
            else if (col < valid)
                std::memcpy(&acc[i][j], out + i * out_ld + col, static_cast<size_t>(valid - col) * sizeof(float));
        }
    }
    for (int64_t k = 0; k < K; ++k, a += MR, b += NR) {
        V v[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) std::memcpy(&v[j], b + j * W, sizeof(V));
#pragma GCC unroll 8
        for (int i = 0; i < ROWS; ++i) {
            const V wi = a[i] - V{};  // broadcast (vector_types.hpp)
#pragma GCC unroll 4
            for (int j = 0; j < NV; ++j) acc[i][j] += wi * v[j];  // one FMA where the target has it
        }
    }
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

using TileKernel = void (*)(const float*, const float*, int64_t, const float*, float*, int64_t, int64_t);

template <int ROWS>
CONVSCOPE_AVX512_TARGET void tile_avx512(const float* a, const float* b, int64_t K, const float* bias, float* out,
                                         int64_t out_ld, int64_t valid) {
    tile_body<PwShape<Avx512Vec>, ROWS>(a, b, K, bias, out, out_ld, valid);
}
template <int ROWS>
__attribute__((target("avx2,fma"))) void tile_avx2(const float* a, const float* b, int64_t K, const float* bias,
                                                   float* out, int64_t out_ld, int64_t valid) {
    tile_body<PwShape<Avx2Vec>, ROWS>(a, b, K, bias, out, out_ld, valid);
}
template <int ROWS>
void tile_generic(const float* a, const float* b, int64_t K, const float* bias, float* out, int64_t out_ld,
                  int64_t valid) {
    tile_body<PwShape<GenericVec>, ROWS>(a, b, K, bias, out, out_ld, valid);
}

// The kernel for `rows` output channels (1 .. the shape's kRows).
TileKernel tile_kernel(Isa isa, int64_t rows) {
    static constexpr TileKernel avx512[] = {nullptr,        tile_avx512<1>, tile_avx512<2>,
                                            tile_avx512<3>, tile_avx512<4>, tile_avx512<5>,
                                            tile_avx512<6>, tile_avx512<7>, tile_avx512<8>};
    static constexpr TileKernel avx2[] = {nullptr, tile_avx2<1>, tile_avx2<2>, tile_avx2<3>, tile_avx2<4>};
    static constexpr TileKernel generic[] = {nullptr, tile_generic<1>, tile_generic<2>, tile_generic<3>,
                                             tile_generic<4>};
    return for_isa(isa, avx512, avx2, generic)[rows];
}

PackChunk pack_for(Isa isa) { return for_isa(isa, pack_avx512, pack_avx2, pack_generic); }

Plan plan_for(const ConvGeometry& g, Isa isa) {
    switch (isa) {
        case Isa::Avx512:
            return make_plan<PwShape<Avx512Vec>>(g);
        case Isa::Avx2:
            return make_plan<PwShape<Avx2Vec>>(g);
        case Isa::Auto:
        case Isa::Generic:
            break;
    }
    return make_plan<PwShape<GenericVec>>(g);
}

}  // namespace

float conv_pointwise(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, int threads,
                     Isa isa) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, 1, 1)   y: (N, C_out, H_out, W_out)
    assert(is_pointwise(g) && isa != Isa::Auto && cpu_supports(isa) && threads >= 1);
    const Plan p = plan_for(g, isa);
    const int64_t M = g.c_out_per_group, K = g.c_in_per_group, P = g.out[0] * g.out[1], plane = g.in[0] * g.in[1];
    // Weights and bias per tile of mr channels, zero rows past the group's last channel.
    thread_local std::vector<float> packed_w, packed_b;
    packed_w.assign(static_cast<size_t>(g.groups * p.m_tiles * K * p.mr), 0.0f);
    packed_b.assign(static_cast<size_t>(g.groups * p.m_tiles * p.mr), 0.0f);
    for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t m = 0; m < M; ++m) {
            const int64_t t = grp * p.m_tiles + m / p.mr;
            for (int64_t k = 0; k < K; ++k)
                packed_w[static_cast<size_t>((t * K + k) * p.mr + m % p.mr)] = w[(grp * M + m) * K + k];
            packed_b[static_cast<size_t>(t * p.mr + m % p.mr)] = bias ? bias[grp * M + m] : 0.0f;
        }
    }
    const float* weights = packed_w.data();  // (a worker's own thread_local vectors are other vectors)
    const float* biases = packed_b.data();
    const PackChunk pack = pack_for(isa);
    std::mutex max_lock;
    float x_max = 0.0f;
    // Work units: (item, group, chunk of positions), each packing its own chunk of X.
    parallel_for(threads, g.n * g.groups * p.chunks, [&](int64_t u0, int64_t u1) {
        thread_local std::vector<float> packed_x;
        packed_x.resize(static_cast<size_t>(K * p.chunk));
        float range_max = 0.0f;
        for (int64_t u = u0; u < u1; ++u) {
            const int64_t c = u % p.chunks, grp = u / p.chunks % g.groups, n = u / (p.chunks * g.groups);
            const int64_t p0 = c * p.chunk, count = std::min(p.chunk, P - p0);
            const float* xg = x + (n * g.c_in + grp * K) * plane;
            range_max = p.source.empty() ? pack(xg, plane, K, p0, count, packed_x.data(), range_max)
                                         : pack_gathered(p, xg, plane, K, p0, count, packed_x.data(), range_max);
            float* yg = y + (n * g.c_out + grp * M) * P;
            for (int64_t q = 0; q * p.nr < count; ++q) {
                const int64_t col = p0 + q * p.nr, valid = std::min<int64_t>(p.nr, P - col);
                // Input channels in blocks whose panel stays in L1 beside the weights, every tile of output channels
                // reading the block before the next one (256 channels x 48 positions, 48 KiB, filled AVX-512's L1
                // alone): the first block starts from the bias, later ones add to the tile's stored sums.
                for (int64_t k0 = 0; k0 < K; k0 += p.k_block) {
                    const int64_t kn = std::min(p.k_block, K - k0);
                    for (int64_t t = 0; t < p.m_tiles; ++t) {
                        const int64_t rows = std::min<int64_t>(p.mr, M - t * p.mr);
                        tile_kernel(isa, rows)(weights + ((grp * p.m_tiles + t) * K + k0) * p.mr,
                                               packed_x.data() + (q * K + k0) * p.nr, kn,
                                               k0 == 0 ? biases + (grp * p.m_tiles + t) * p.mr : nullptr,
                                               yg + t * p.mr * P + col, P, valid);
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
