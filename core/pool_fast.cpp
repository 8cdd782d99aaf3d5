#include "pool_fast.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "simd.hpp"
#include "thread_pool.hpp"

namespace convscope {

namespace {

// Output indices [lo, hi) whose window [o*s - pad, o*s - pad + d*(k-1)] lies inside [0, size).
std::pair<int64_t, int64_t> interior_range(int64_t size, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pad) {
    const int64_t lo = std::min(out, (pad + s - 1) / s);
    const int64_t last_start = size - 1 - d * (k - 1) + pad;  // the largest o*s that still fits
    const int64_t hi = last_start < 0 ? 0 : std::min(out, last_start / s + 1);
    return {lo, std::max(lo, hi)};
}

// The max rule as a select (no branch on the data): v replaces best when larger, or when v is NaN.
inline float takes_over(float v, float best) {
    const bool take = (v > best) | (v != v);
    return take ? v : best;
}

// takes_over on 16 lanes.
CONVSCOPE_AVX512_TARGET inline __m512 takes_over16(__m512 v, __m512 best) {
    const __mmask16 m = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(best, m, v);
}

// MaxPool2d(2, stride 2 across) over one output row: out[o] = max of r0[2o], r0[2o+1], r1[2o], r1[2o+1], with the
// same rule in the same order as takes_over (first of equal maxima, NaN takes over), 16 outputs at a time.
CONVSCOPE_AVX512_TARGET void max2x2_row(const float* r0, const float* r1, float* out, int64_t count) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int64_t o = 0; o < count; o += 16) {
        const int64_t n = std::min<int64_t>(16, count - o);
        const __mmask16 lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16);
        const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * o), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * o + 16);
        const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * o), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * o + 16);
        __m512 best = _mm512_permutex2var_ps(a0, even, a1);
        best = takes_over16(_mm512_permutex2var_ps(a0, odd, a1), best);
        best = takes_over16(_mm512_permutex2var_ps(b0, even, b1), best);
        best = takes_over16(_mm512_permutex2var_ps(b0, odd, b1), best);
        _mm512_mask_storeu_ps(out + o, first_lanes(n), best);
    }
}

// Any other max pooling over one output row's interior: out[o] = the takes_over fold of the window of output o,
// taps in the reference's order (ky, then kx), 16 outputs at a time. Stride 1 loads each tap's 16 inputs at once;
// other strides gather them (lane l reads column (o + l) * sx of the tap's row).
CONVSCOPE_AVX512_TARGET void max_row(const float* row, int64_t W, int64_t kH, int64_t kW, int64_t sx, int64_t dy,
                                     int64_t dx, float* out, int64_t count) {
    const __m512i lane_cols =
        _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                           _mm512_set1_epi32(static_cast<int>(sx)));
    for (int64_t o = 0; o < count; o += 16) {
        const __mmask16 live = first_lanes(std::min<int64_t>(16, count - o));
        __m512 best = _mm512_set1_ps(-INFINITY);
        for (int64_t ky = 0; ky < kH; ++ky) {
            const float* r = row + ky * dy * W + o * sx;
            for (int64_t kx = 0; kx < kW; ++kx) {
                const float* tap = r + kx * dx;
                const __m512 v = sx == 1 ? _mm512_maskz_loadu_ps(live, tap)
                                         : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, lane_cols, tap, 4);
                best = takes_over16(v, best);
            }
        }
        _mm512_mask_storeu_ps(out + o, live, best);
    }
}

}  // namespace

Tensor pool_fast(const PoolGeometry& g, const Tensor& x, int threads) {
    // x: (N, C, H, W)   y: (N, C, H_out, W_out)
    assert(x.numel() == shape_numel(g.input_shape()));
    Tensor y = Tensor::uninitialised(g.output_shape_torch());  // every output is written below
    // (plain variables, not structured bindings: the worker lambda captures them)
    const int64_t H = g.in[0], W = g.in[1], kH = g.kernel[0], kW = g.kernel[1], Ho = g.out[0], Wo = g.out[1];
    const std::pair<int64_t, int64_t> ys = interior_range(H, Ho, kH, g.stride[0], g.dilation[0], g.pad_begin[0]);
    const std::pair<int64_t, int64_t> xs = interior_range(W, Wo, kW, g.stride[1], g.dilation[1], g.pad_begin[1]);
    const int64_t ylo = ys.first, yhi = ys.second, xlo = xs.first, xhi = xs.second;
    const int64_t planes = g.n * g.c;
    const bool is_max = g.mode == PoolMode::Max;
    const bool max2x2 = kH == 2 && kW == 2 && g.dilation[0] == 1 && g.dilation[1] == 1;
    const float divisor = static_cast<float>(g.divisor_override ? *g.divisor_override : kH * kW);
    PoolCursor cursor(g, x);

    // MaxPool2d(2) and friends (stride 2 across) take the AVX-512 row where the CPU has it.
    const bool max2x2_rows = is_max && max2x2 && g.stride[1] == 2 && cpu_has_avx512();
    // Other max pooling (MaxPool2d(3, 2, padding=1) of ResNet, dilation, any stride) takes the general vector row;
    // column indices of a gather are 32-bit, so very wide rows keep the scalar loop.
    const bool max_rows = is_max && !max2x2_rows && cpu_has_avx512() && W < (int64_t{1} << 30) / g.stride[1];

    auto run_planes = [&](int64_t p0, int64_t p1) {
        PoolState border;
        // Padding, overhang, partial windows: the cursor's exact rule for this one window.
        const auto at_border = [&](int64_t p, int64_t oy, int64_t ox, float* out) {
            cursor.state_at((p * Ho + oy) * Wo + ox, border);
            out[oy * Wo + ox] = border.value;
        };
        for (int64_t p = p0; p < p1; ++p) {
            const float* plane = x.data.data() + p * H * W;
            float* out = y.data.data() + p * Ho * Wo;
            for (int64_t oy = 0; oy < Ho; ++oy) {
                if (oy < ylo || oy >= yhi) {
                    for (int64_t ox = 0; ox < Wo; ++ox) at_border(p, oy, ox, out);
                    continue;
                }
                for (int64_t ox = 0; ox < xlo; ++ox) at_border(p, oy, ox, out);
                for (int64_t ox = xhi; ox < Wo; ++ox) at_border(p, oy, ox, out);
                const float* row = plane + (oy * g.stride[0] - g.pad_begin[0]) * W - g.pad_begin[1];
                if (max2x2_rows) {
                    max2x2_row(row + xlo * 2, row + W + xlo * 2, out + oy * Wo + xlo, xhi - xlo);
                    continue;
                }
                if (max_rows) {
                    max_row(row + xlo * g.stride[1], W, kH, kW, g.stride[1], g.dilation[0], g.dilation[1],
                            out + oy * Wo + xlo, xhi - xlo);
                    continue;
                }
                for (int64_t ox = xlo; ox < xhi; ++ox) {
                    const float* win = row + ox * g.stride[1];
                    if (is_max && max2x2) {
                        // The common MaxPool2d(2): the same rule unrolled (first of equal maxima, NaN takes over).
                        float best = win[0];
                        best = takes_over(win[1], best);
                        best = takes_over(win[W], best);
                        best = takes_over(win[W + 1], best);
                        out[oy * Wo + ox] = best;
                    } else if (is_max) {
                        // Same rule as the reference: first of equal maxima, NaN takes over.
                        float best = -INFINITY;
                        for (int64_t ky = 0; ky < kH; ++ky) {
                            const float* r = win + ky * g.dilation[0] * W;
                            for (int64_t kx = 0; kx < kW; ++kx) {
                                const float v = r[kx * g.dilation[1]];
                                if (v > best || std::isnan(v)) best = v;
                            }
                        }
                        out[oy * Wo + ox] = best;
                    } else {
                        float sum = 0.0f;
                        for (int64_t ky = 0; ky < kH; ++ky)
                            for (int64_t kx = 0; kx < kW; ++kx) sum += win[ky * W + kx];
                        out[oy * Wo + ox] = 0.0f + sum / divisor;
                    }
                }
            }
        }
    };
    parallel_for(planes * Ho * Wo < 65536 ? 1 : resolve_threads(threads), planes, run_planes);
    return y;
}

}  // namespace convscope
