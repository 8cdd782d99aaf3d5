#include "copy_max.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "vector_types.hpp"

namespace convscope {

namespace {

// max(m, the largest finite |src[i]|) over [begin, n): |x| is finite exactly when it is <= FLT_MAX (NaN compares
// false, infinity is larger). The scalar tail after the vectors.
float finite_max_tail(const float* src, int64_t begin, int64_t n, float m) {
    for (int64_t i = begin; i < n; ++i) {
        const float a = std::fabs(src[i]);
        if (a <= std::numeric_limits<float>::max()) m = std::max(m, a);
    }
    return m;
}

// dst[0, n) = src[0, n), returning max(m, the largest finite |src[i]|) (NaN and infinities count as 0): the copy
// reads the input anyway, so conv_fast's overflow bound costs no second pass over it.
template <class Vec>
[[gnu::always_inline]] inline float copy_max_body(const float* src, float* dst, int64_t n, float m) {
    FiniteAbsMax<Vec> mv;
    const int64_t i = copy_add_vectors(src, dst, n, mv);
    std::memcpy(dst + i, src + i, static_cast<size_t>(n - i) * sizeof(float));
    return finite_max_tail(src, i, n, mv.result(m));
}

template <class Vec>
[[gnu::always_inline]] inline float finite_max_body(const float* src, int64_t n, float m) {
    using V = typename Vec::V;
    constexpr int W = Vec::kWidth;
    FiniteAbsMax<Vec> mv[2];  // two chains, so one vector's compare does not wait for the last one's max
    int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        V v0, v1;
        std::memcpy(&v0, src + i, sizeof(V));
        std::memcpy(&v1, src + i + W, sizeof(V));
        mv[0].add(v0);
        mv[1].add(v1);
    }
    return finite_max_tail(src, i, n, mv[1].result(mv[0].result(m)));
}

CONVSCOPE_AVX512_TARGET float finite_max_avx512(const float* src, int64_t n, float m) {
    return finite_max_body<Avx512Vec>(src, n, m);
}
__attribute__((target("avx2,fma"))) float finite_max_avx2(const float* src, int64_t n, float m) {
    return finite_max_body<Avx2Vec>(src, n, m);
}
float finite_max_generic(const float* src, int64_t n, float m) { return finite_max_body<GenericVec>(src, n, m); }

// With AVX-512 the tail is one masked vector (copy_add_avx512).
CONVSCOPE_AVX512_TARGET float copy_max_avx512(const float* src, float* dst, int64_t n, float m) {
    FiniteAbsMax<Avx512Vec> mv;
    copy_add_avx512(src, dst, n, mv);
    return mv.result(m);
}
__attribute__((target("avx2,fma"))) float copy_max_avx2(const float* src, float* dst, int64_t n, float m) {
    return copy_max_body<Avx2Vec>(src, dst, n, m);
}
float copy_max_generic(const float* src, float* dst, int64_t n, float m) {
    return copy_max_body<GenericVec>(src, dst, n, m);
}

}  // namespace

CopyMax copy_max_for(Isa isa) { return for_isa(isa, copy_max_avx512, copy_max_avx2, copy_max_generic); }

FiniteMax finite_max_for(Isa isa) { return for_isa(isa, finite_max_avx512, finite_max_avx2, finite_max_generic); }

}  // namespace convscope
