// Pooling: shape rules, reference kernels, the step-through cursor, relu.
//
// pool_check follows PyTorch 1.13's order of checks so that the first error reported is the one PyTorch raises.
// Each functional takes its own path through ATen:
//   F.max_pool2d -> max_pool2d_with_indices (meta, DilatedMaxPool2d.cpp): argument lengths (each narrowed to
//                   int: "integer out of range"), input rank, pooling_output_shape for H then W (stride zero, pad
//                   negative, pad > k/2), then pool2d_shape_check (Pool.h: kernel, stride, dilation > 0, empty
//                   dims, output size >= 1)
//   F.avg_pool2d -> avg_pool2d (meta, AveragePool2d.cpp): argument lengths, divisor != 0, input.size(-3) (an
//                   IndexError below rank 3), pooling_output_shape H then W, pool2d_shape_check
//   F.avg_pool1d -> avg_pool1d (Pooling.cpp): rank 2..3, one int per argument, then avg_pool2d on (…, 1, L)
//   F.max_pool1d -> max_pool1d (MaxPooling.cpp, the no-autograd fast path): rank and empty dims, argument
//                   lengths, kernel/stride/padding/dilation values, output size >= 0 (an empty output is fine)
//
// Sections: small helpers · per-function checks · pool_check · reference · cursor · relu
#include "pool.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

#include "error.hpp"

namespace convscope {

const char* pool_mode_name(PoolMode mode) { return mode == PoolMode::Max ? "max" : "avg"; }

const char* pool_tap_kind_name(PoolTapKind kind) {
    switch (kind) {
        case PoolTapKind::Input:
            return "input";
        case PoolTapKind::Padding:
            return "padding";
        case PoolTapKind::Overhang:
            return "overhang";
    }
    return "?";
}

Shape PoolGeometry::input_shape() const { return {n, c, in[0], in[1]}; }
Shape PoolGeometry::output_shape() const { return {n, c, out[0], out[1]}; }
Shape PoolGeometry::output_shape_torch() const {
    Shape s;
    if (!unbatched) s.push_back(n);
    s.push_back(c);
    if (dims == 2) s.push_back(out[0]);
    s.push_back(out[1]);
    return s;
}

// ------------------------------------------------------------------------------------------------ small helpers
namespace {

constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

bool fits_int32(int64_t v) { return v >= kInt32Min && v <= kInt32Max; }

std::string str(int64_t v) { return std::to_string(v); }

// pooling_output_shape_pad_lr (Pool.h), in 128-bit arithmetic: sizes, padding, dilation and stride near 2^63 (a
// hostile file or setting) overflowed int64, which is undefined behaviour (found by fuzz_layer). A result outside
// int64 is clamped, so the callers' range checks refuse it.
int64_t pooling_output_size(int64_t in, int64_t k, int64_t pad_l, int64_t pad_r, int64_t s, int64_t d, bool ceil) {
    __extension__ typedef __int128 Wide;  // (GCC and Clang; __extension__: -Wpedantic)
    const Wide num = Wide{in} + pad_l + pad_r - Wide{d} * (Wide{k} - 1) - 1 + (ceil ? Wide{s} - 1 : Wide{0});
    Wide q = num / s;
    if (num % s != 0 && ((num % s < 0) != (s < 0))) --q;  // div_rtn: toward negative infinity
    Wide out = q + 1;
    // Ensure that the last pooling starts inside the image (or the left padding).
    if (ceil && (out - 1) * s >= Wide{in} + pad_l) --out;
    const Wide lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    return static_cast<int64_t>(out < lo ? lo : out > hi ? hi : out);
}

// The resolved arguments per spatial dim in PyTorch's own order ([L] for 1-D, [H, W] for 2-D).
struct Args {
    std::vector<int64_t> kernel, stride, pad_begin, pad_end, dilation;
};

// The ONNX-style pads: one begin and one end value per spatial dim. Only lengths are checked here.
std::optional<std::string> take_asymmetric_pads(const PoolParams& p, Args& a) {
    const size_t d = static_cast<size_t>(p.dims);
    if (p.pads_begin.size() != d || p.pads_end.size() != d)
        return "expected pads to have " + str(p.dims) + " begin and " + str(p.dims) + " end values";
    a.pad_begin = p.pads_begin;
    a.pad_end = p.pads_end;
    return std::nullopt;
}

// convscope's own limit on values PyTorch 1.13 would truncate or that make no sense to step through.
std::optional<std::string> refuse_out_of_range(const Args& a) {
    for (const std::vector<int64_t>* v : {&a.kernel, &a.stride, &a.pad_begin, &a.pad_end, &a.dilation})
        for (int64_t x : *v)
            if (!fits_int32(x))
                return std::string(
                           "convscope does not compute pools with kernel_size, stride, padding or dilation "
                           "outside [-2147483648, 2147483647], but got ") +
                       str(x);
    return std::nullopt;
}

// pooling_output_shape for one spatial dim: its checks, then the size. Asymmetric (ONNX) pads skip the
// half-kernel rule, as ONNX has none.
std::optional<std::string> axis_output(const Args& a, size_t i, int64_t in, bool ceil, bool asymmetric, int64_t& out) {
    if (a.stride[i] == 0) return std::string("stride should not be zero");
    for (int64_t pad : {a.pad_begin[i], a.pad_end[i]})
        if (pad < 0) return "pad must be non-negative, but got pad: " + str(pad);
    if (!asymmetric && a.pad_begin[i] > a.kernel[i] / 2)  // C++ division: -3 / 2 == -1
        return "pad should be at most half of kernel size, but got pad=" + str(a.pad_begin[i]) +
               " and kernel_size=" + str(a.kernel[i]);
    out = pooling_output_size(in, a.kernel[i], a.pad_begin[i], a.pad_end[i], a.stride[i], a.dilation[i], ceil);
    return std::nullopt;
}

// pool2d_shape_check (Pool.h) on the 3-D/4-D input the 2-D kernel sees. a holds [H, W].
std::optional<std::string> pool2d_shape_check(const Args& a, const Shape& x, int64_t out_h, int64_t out_w) {
    if (!(a.kernel[0] > 0 && a.kernel[1] > 0))
        return "kernel size should be greater than zero, but got kH: " + str(a.kernel[0]) + " kW: " + str(a.kernel[1]);
    if (!(a.stride[0] > 0 && a.stride[1] > 0))
        return "stride should be greater than zero, but got dH: " + str(a.stride[0]) + " dW: " + str(a.stride[1]);
    if (!(a.dilation[0] > 0 && a.dilation[1] > 0))
        return "dilation should be greater than zero, but got dilationH: " + str(a.dilation[0]) +
               " dilationW: " + str(a.dilation[1]);
    const size_t r = x.size();
    const bool valid_dims = r >= 3 && x[1] != 0 && x[2] != 0;
    if (!((r == 3 && x[0] != 0 && valid_dims) || (r == 4 && valid_dims && x[3] != 0)))
        return "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:" +
               shape_to_string(x);
    // (pool2d_shape_check's own pad <= k/2 test cannot fail here: pooling_output_shape made it already.)
    if (!(out_w >= 1 && out_h >= 1)) {
        const std::string c = str(x[r - 3]);
        return "Given input size: (" + c + "x" + str(x[r - 2]) + "x" + str(x[r - 1]) + "). Calculated output size: (" +
               c + "x" + str(out_h) + "x" + str(out_w) + "). Output size is too small";
    }
    return std::nullopt;
}

// --------------------------------------------------------------------------------------- per-function checks
// Each returns an error text or fills `a` (per spatial dim) and `out`.

std::optional<std::string> check_max_pool2d(const PoolParams& p, const Shape& x, Args& a, std::vector<int64_t>& out) {
    const bool asymmetric = !p.pads_begin.empty() || !p.pads_end.empty();
    // safe_downcast<int, int64_t>
    auto narrow = [](int64_t v, int64_t& to) -> std::optional<std::string> {
        if (!fits_int32(v)) return std::string("integer out of range");
        to = v;
        return std::nullopt;
    };
    a.kernel.assign(2, 0);
    a.stride.assign(2, 0);
    a.dilation.assign(2, 0);
    const auto& ks = p.kernel_size;
    if (!(ks.size() == 1 || ks.size() == 2))
        return std::string("max_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    if (auto e = narrow(ks[0], a.kernel[0])) return e;
    if (auto e = narrow(ks.size() == 1 ? ks[0] : ks[1], a.kernel[1])) return e;

    const auto& st = p.stride;
    if (!(st.empty() || st.size() == 1 || st.size() == 2))
        return std::string("max_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
    if (st.empty()) {
        a.stride = a.kernel;
    } else {
        if (auto e = narrow(st[0], a.stride[0])) return e;
        if (auto e = narrow(st.size() == 1 ? st[0] : st[1], a.stride[1])) return e;
    }

    if (asymmetric) {
        if (auto e = take_asymmetric_pads(p, a)) return e;
        for (size_t i = 0; i < 2; ++i) {
            int64_t unused = 0;
            if (auto e = narrow(a.pad_begin[i], unused)) return e;
            if (auto e = narrow(a.pad_end[i], unused)) return e;
        }
    } else {
        const auto& pd = p.padding;
        if (!(pd.size() == 1 || pd.size() == 2))
            return std::string("max_pool2d: padding must be either be a single int, or a tuple of two ints");
        a.pad_begin.assign(2, 0);
        if (auto e = narrow(pd[0], a.pad_begin[0])) return e;
        if (auto e = narrow(pd.size() == 1 ? pd[0] : pd[1], a.pad_begin[1])) return e;
        a.pad_end = a.pad_begin;
    }

    const auto& dl = p.dilation;
    if (!(dl.size() == 1 || dl.size() == 2))
        return std::string("max_pool2d: dilation must be either a single int, or a tuple of two ints");
    if (auto e = narrow(dl[0], a.dilation[0])) return e;
    if (auto e = narrow(dl.size() == 1 ? dl[0] : dl[1], a.dilation[1])) return e;

    if (!(x.size() == 3 || x.size() == 4))
        return std::string("non-empty 3D or 4D (batch mode) tensor expected for input");
    out.assign(2, 0);
    for (size_t i = 0; i < 2; ++i)
        if (auto e = axis_output(a, i, x[x.size() - 2 + i], p.ceil_mode, asymmetric, out[i])) return e;
    return pool2d_shape_check(a, x, out[0], out[1]);
}

// The avg_pool2d meta function on x (rank as given). a must hold [H, W] kernel/stride/pads; dilation is 1.
std::optional<std::string> check_avg_pool2d_core(const PoolParams& p, const Shape& x, Args& a, bool asymmetric,
                                                 std::vector<int64_t>& out) {
    if (p.divisor_override && *p.divisor_override == 0) return std::string("divisor must be not zero");
    const int64_t r = static_cast<int64_t>(x.size());
    if (r == 0) return std::string("Dimension specified as -3 but tensor has no dimensions");
    if (r < 3)
        return "Dimension out of range (expected to be in range of [" + str(-r) + ", " + str(r - 1) + "], but got -3)";
    a.dilation.assign(2, 1);
    out.assign(2, 0);
    for (size_t i = 0; i < 2; ++i)
        if (auto e = axis_output(a, i, x[x.size() - 2 + i], p.ceil_mode, asymmetric, out[i])) return e;
    return pool2d_shape_check(a, x, out[0], out[1]);
}

std::optional<std::string> check_avg_pool2d(const PoolParams& p, const Shape& x, Args& a, std::vector<int64_t>& out) {
    const bool asymmetric = !p.pads_begin.empty() || !p.pads_end.empty();
    const auto& ks = p.kernel_size;
    if (!(ks.size() == 1 || ks.size() == 2))
        return std::string("avg_pool2d: kernel_size must either be a single int, or a tuple of two ints");
    a.kernel = {ks[0], ks.size() == 1 ? ks[0] : ks[1]};
    const auto& st = p.stride;
    if (!(st.empty() || st.size() == 1 || st.size() == 2))
        return std::string("avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
    a.stride = st.empty() ? a.kernel : std::vector<int64_t>{st[0], st.size() == 1 ? st[0] : st[1]};
    if (asymmetric) {
        if (auto e = take_asymmetric_pads(p, a)) return e;
    } else {
        const auto& pd = p.padding;
        if (!(pd.size() == 1 || pd.size() == 2))
            return std::string("avg_pool2d: padding must either be a single int, or a tuple of two ints");
        a.pad_begin = {pd[0], pd.size() == 1 ? pd[0] : pd[1]};
        a.pad_end = a.pad_begin;
    }
    a.dilation = {1, 1};
    if (auto e = refuse_out_of_range(a)) return e;
    return check_avg_pool2d_core(p, x, a, asymmetric, out);
}

std::optional<std::string> check_avg_pool1d(const PoolParams& p, const Shape& x, Args& a, std::vector<int64_t>& out) {
    const bool asymmetric = !p.pads_begin.empty() || !p.pads_end.empty();
    const std::vector<int64_t>& stride = p.stride.empty() ? p.kernel_size : p.stride;
    if (!(x.size() == 2 || x.size() == 3))
        return "Expected 2 to 3 dimensions, but got " + str(static_cast<int64_t>(x.size())) +
               "-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)";
    auto check1d = [](const char* name, const std::vector<int64_t>& v) -> std::optional<std::string> {
        if (v.size() == 1) return std::nullopt;
        return std::string("avg_pool1d() argument '") + name + "' should contain one int (got " +
               str(static_cast<int64_t>(v.size())) + ")";
    };
    if (auto e = check1d("kernel_size", p.kernel_size)) return e;
    if (auto e = check1d("stride", stride)) return e;
    Args w;  // the W axis as given
    if (asymmetric) {
        if (auto e = take_asymmetric_pads(p, w)) return e;
    } else {
        if (auto e = check1d("padding", p.padding)) return e;
        w.pad_begin = w.pad_end = p.padding;
    }
    w.kernel = p.kernel_size;
    w.stride = stride;
    if (auto e = refuse_out_of_range(w)) return e;
    // avg_pool2d(self.unsqueeze(-2), {1, k}, {1, s}, {0, p}, ...)
    Shape x2 = x;
    x2.insert(x2.end() - 1, 1);
    Args a2;
    a2.kernel = {1, w.kernel[0]};
    a2.stride = {1, w.stride[0]};
    a2.pad_begin = {0, w.pad_begin[0]};
    a2.pad_end = {0, w.pad_end[0]};
    std::vector<int64_t> out2;
    if (auto e = check_avg_pool2d_core(p, x2, a2, asymmetric, out2)) return e;
    a = {{w.kernel[0]}, {w.stride[0]}, {w.pad_begin[0]}, {w.pad_end[0]}, {1}};
    out = {out2[1]};
    return std::nullopt;
}

std::optional<std::string> check_max_pool1d(const PoolParams& p, const Shape& x, Args& a, std::vector<int64_t>& out) {
    const bool asymmetric = !p.pads_begin.empty() || !p.pads_end.empty();
    const size_t r = x.size();
    if (!((r == 2 && x[0] != 0 && x[1] != 0) || (r == 3 && x[1] != 0 && x[2] != 0)))
        return "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:" +
               shape_to_string(x);
    auto size_text = [](const std::vector<int64_t>& v) { return str(static_cast<int64_t>(v.size())); };
    if (p.kernel_size.size() != 1)
        return "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of size 1 but got size " +
               size_text(p.kernel_size);
    if (!(p.stride.empty() || p.stride.size() == 1))
        return "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 but got size " +
               size_text(p.stride);
    if (asymmetric) {
        if (auto e = take_asymmetric_pads(p, a)) return e;
    } else {
        if (p.padding.size() != 1)
            return "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got size " +
                   size_text(p.padding);
        a.pad_begin = a.pad_end = p.padding;
    }
    if (p.dilation.size() != 1)
        return "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got size " +
               size_text(p.dilation);
    a.kernel = p.kernel_size;
    a.stride = p.stride.empty() ? p.kernel_size : p.stride;
    a.dilation = p.dilation;
    if (auto e = refuse_out_of_range(a)) return e;

    const int64_t k = a.kernel[0], s = a.stride[0], d = a.dilation[0];
    if (k <= 0) return "max_pool1d() kernel_size must be greater than zero, but got " + str(k);
    if (s <= 0) return "max_pool1d() stride must be greater than zero, but got " + str(s);
    for (int64_t pad : {a.pad_begin[0], a.pad_end[0]})
        if (pad < 0) return "max_pool1d() padding must be non-negative, but got " + str(pad);
    if (!asymmetric && a.pad_begin[0] > k / 2)
        return "max_pool1d() padding should be at most half of kernel size, but got padding=" + str(a.pad_begin[0]) +
               " and kernel_size=" + str(k);
    if (d <= 0) return "max_pool1d() dilation must be greater than zero, but got " + str(d);
    const int64_t ow = pooling_output_size(x[r - 1], k, a.pad_begin[0], a.pad_end[0], s, d, p.ceil_mode);
    if (ow < 0) return "max_pool1d() Invalid computed output size: " + str(ow);
    out = {ow};
    return std::nullopt;
}

}  // namespace

// ------------------------------------------------------------------------------------------------- pool_check
PoolCheck pool_check(const PoolParams& p, const Shape& input) {
    auto fail = [](std::string message) { return PoolCheck{std::nullopt, std::move(message)}; };
    const int d = p.dims;
    assert(d == 1 || d == 2);
    const bool is_max = p.mode == PoolMode::Max;
    const std::string fn = std::string(pool_mode_name(p.mode)) + "_pool" + str(d) + "d";

    // 0. Python: keyword arguments the functional does not take (F.max_pool*d are the wrappers _max_pool*d).
    if (is_max && p.divisor_override)
        return fail("_" + fn + "() got an unexpected keyword argument 'divisor_override'");
    if (!is_max) {
        for (int64_t v : p.dilation)
            if (v != 1) return fail(fn + "() got an unexpected keyword argument 'dilation'");
        if (d == 1 && p.divisor_override)
            return fail("avg_pool1d() got an unexpected keyword argument 'divisor_override'");
    }

    // 1. The ATen function's own checks (see the top of this file).
    Args a;
    std::vector<int64_t> out;
    std::optional<std::string> e;
    if (is_max)
        e = d == 2 ? check_max_pool2d(p, input, a, out) : check_max_pool1d(p, input, a, out);
    else
        e = d == 2 ? check_avg_pool2d(p, input, a, out) : check_avg_pool1d(p, input, a, out);
    if (e) return fail(*e);

    // 1b. Tensors PyTorch could not have created: an input whose element count overflows (the ATen checks above
    //     only look at each size), or an output that would (fuzz_layer found an input of 3.8e18 x 7e18 x 3.2e18
    //     accepted here).
    if (std::string err = tensor_shape_error(input); !err.empty()) return fail(err);

    // 2. convscope's own limit: every window is materialised tap by tap for the cursor.
    //    (Kernel values are positive and within 32 bits here, so the product cannot overflow.)
    int64_t taps = 1;
    for (int64_t k : a.kernel) taps *= k;
    if (taps > kMaxPoolWindowTaps)
        return fail("convscope does not compute pooling windows of more than " + str(kMaxPoolWindowTaps) +
                    " taps, but got kernel_size=" + shape_to_string(a.kernel));

    // Resolved geometry in canonical [H, W] form.
    PoolGeometry g;
    g.dims = d;
    g.mode = p.mode;
    g.unbatched = static_cast<int>(input.size()) == d + 1;
    g.n = g.unbatched ? 1 : input[0];
    g.c = input[g.unbatched ? 0 : 1];
    g.ceil_mode = p.ceil_mode;
    g.count_include_pad = p.count_include_pad;
    if (!is_max) g.divisor_override = p.divisor_override;
    const size_t off = static_cast<size_t>(2 - d);  // 1-D fills the W slot only
    for (size_t i = 0; i < static_cast<size_t>(d); ++i) {
        const size_t j = off + i;
        g.in[j] = input[input.size() - static_cast<size_t>(d) + i];
        g.out[j] = out[i];
        g.kernel[j] = a.kernel[i];
        g.stride[j] = a.stride[i];
        g.dilation[j] = a.dilation[i];
        g.pad_begin[j] = a.pad_begin[i];
        g.pad_end[j] = a.pad_end[i];
    }
    if (std::string err = tensor_shape_error(g.output_shape_torch()); !err.empty()) return fail(err);
    return PoolCheck{g, {}};
}

PoolGeometry pool_geometry(const PoolParams& params, const Shape& input) {
    PoolCheck c = pool_check(params, input);
    if (!c.ok()) throw ConfigError(c.error);
    return *c.geometry;
}

// -------------------------------------------------------------------------------------------------- reference
Tensor pool_reference(const PoolGeometry& g, const Tensor& x) {
    // x: (N, C, H, W)   y: (N, C, H_out, W_out)
    // (1-D data is the same memory with H = 1; unbatched data the same memory with N = 1.)
    assert(x.numel() == shape_numel(g.input_shape()));
    assert(g.mode == PoolMode::Max || (g.dilation[0] == 1 && g.dilation[1] == 1));
    Tensor y(g.output_shape_torch());
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const auto [Ho, Wo] = g.out;
    const float neg_inf = -std::numeric_limits<float>::infinity();
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t c = 0; c < g.c; ++c) {
            const float* plane = x.data.data() + (n * g.c + c) * H * W;  // channel c of batch item n
            for (int64_t oy = 0; oy < Ho; ++oy) {
                for (int64_t ox = 0; ox < Wo; ++ox) {
                    // The window's top-left tap, in input coordinates (negative: in the top/left padding).
                    const int64_t y0 = oy * g.stride[0] - g.pad_begin[0];
                    const int64_t x0 = ox * g.stride[1] - g.pad_begin[1];
                    float result = 0.0f;
                    if (g.mode == PoolMode::Max) {
                        // Padding never wins: start from -inf and look only at input cells. `v > best` keeps
                        // the first of equal maxima; a NaN always takes over, so NaN propagates.
                        float best = neg_inf;
                        for (int64_t ky = 0; ky < kH; ++ky) {
                            const int64_t iy = y0 + ky * g.dilation[0];
                            if (iy < 0 || iy >= H) continue;
                            for (int64_t kx = 0; kx < kW; ++kx) {
                                const int64_t ix = x0 + kx * g.dilation[1];
                                if (ix < 0 || ix >= W) continue;
                                const float v = plane[iy * W + ix];
                                if (v > best || std::isnan(v)) best = v;
                            }
                        }
                        result = best;
                    } else {
                        // Sum the input cells in row-major window order, in float32 as PyTorch's CPU kernel.
                        float sum = 0.0f;
                        int64_t input_cells = 0;
                        for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + kH, H); ++iy) {
                            for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + kW, W); ++ix) {
                                sum += plane[iy * W + ix];
                                ++input_cells;
                            }
                        }
                        // count_include_pad counts the window clipped to the padded input
                        // [-pad_begin, in + pad_end): padding counts, ceil-mode overhang beyond it does not.
                        const int64_t padded_cells =
                            (std::min(y0 + kH, H + g.pad_end[0]) - y0) * (std::min(x0 + kW, W + g.pad_end[1]) - x0);
                        const int64_t divisor = g.divisor_override    ? *g.divisor_override
                                                : g.count_include_pad ? padded_cells
                                                                      : input_cells;
                        // PyTorch zeroes the output and then adds the quotient, so a -0 quotient (a zero sum over
                        // a negative divisor_override) comes out as +0. A window without input cells (only with
                        // ONNX pads) stays 0.
                        result = input_cells == 0 ? 0.0f : 0.0f + sum / static_cast<float>(divisor);
                    }
                    y[((n * g.c + c) * Ho + oy) * Wo + ox] = result;
                }
            }
        }
    }
    return y;
}

// ----------------------------------------------------------------------------------------------------- cursor
PoolCursor::PoolCursor(const PoolGeometry& g, const Tensor& x) : g_(g), x_(&x) {
    assert(x.numel() == shape_numel(g.input_shape()));
}

int64_t PoolCursor::step_of(int64_t n, int64_t c, int64_t y, int64_t x) const {
    return ((n * g_.c + c) * g_.out[0] + y) * g_.out[1] + x;
}

PoolState PoolCursor::state_at(int64_t step) const {
    PoolState s;
    state_at(step, s);
    return s;
}

namespace {

// Which part of the padded line coordinate p falls in: 0 input, 1 padding, 2 overhang beyond the end padding.
int axis_kind(int64_t p, int64_t size, int64_t pad_end) {
    if (p >= 0 && p < size) return 0;
    if (p < size + pad_end) return 1;  // p < 0 is always within the begin padding
    return 2;
}

// "9 cells", "1 cell"
std::string cells_text(int64_t count, const char* noun) { return str(count) + " " + noun + (count == 1 ? "" : "s"); }

}  // namespace

void PoolCursor::state_at(int64_t step, PoolState& s) const {
    assert(step >= 0 && step < step_count());
    const PoolGeometry& g = g_;
    const auto [H, W] = g.in;
    const auto [kH, kW] = g.kernel;
    const bool is_max = g.mode == PoolMode::Max;

    // Decompose the step: n, c, y, x in row-major order of the output.
    int64_t pos = step;
    s.step = step;
    s.x = pos % g.out[1];
    pos /= g.out[1];
    s.y = pos % g.out[0];
    pos /= g.out[0];
    s.c = pos % g.c;
    s.n = pos / g.c;

    // The window, tap by tap in row-major order: where each tap reads and what it sees.
    const float* plane = x_->data.data() + (s.n * g.c + s.c) * H * W;
    const float outside = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
    const int64_t y0 = s.y * g.stride[0] - g.pad_begin[0];
    const int64_t x0 = s.x * g.stride[1] - g.pad_begin[1];
    s.taps.resize(static_cast<size_t>(kH * kW));
    s.input_cells = s.padding_cells = s.overhang_cells = 0;
    s.winner_tap = -1;
    s.sum = 0.0f;
    float best = -std::numeric_limits<float>::infinity();
    PoolTap* tap = s.taps.data();
    for (int64_t ky = 0; ky < kH; ++ky) {
        const int64_t py = y0 + ky * g.dilation[0];
        const int ky_kind = axis_kind(py, H, g.pad_end[0]);
        for (int64_t kx = 0; kx < kW; ++kx, ++tap) {
            const int64_t px = x0 + kx * g.dilation[1];
            const int kind = std::max(ky_kind, axis_kind(px, W, g.pad_end[1]));
            tap->ky = ky;
            tap->kx = kx;
            tap->py = py;
            tap->px = px;
            tap->kind = kind == 0 ? PoolTapKind::Input : kind == 1 ? PoolTapKind::Padding : PoolTapKind::Overhang;
            tap->input = kind == 0 ? plane[py * W + px] : outside;
            if (kind == 1) ++s.padding_cells;
            if (kind == 2) ++s.overhang_cells;
            if (kind != 0) continue;
            ++s.input_cells;
            // Max: the first input cell is the starting candidate; a larger value or a NaN takes over.
            const int64_t index = ky * kW + kx;
            if (s.winner_tap < 0 || tap->input > best || std::isnan(tap->input)) {
                s.winner_tap = index;
                best = tap->input;
            }
            // Avg: the running float32 sum, same order as the reference.
            s.sum += tap->input;
        }
    }

    if (is_max) {
        s.value = best;
        if (s.winner_tap >= 0) {
            const PoolTap& w = s.taps[static_cast<size_t>(s.winner_tap)];
            s.argmax = w.py * W + w.px;
        } else {
            // No input cell: PyTorch reports the first tap at or past row/column 0 (stepping by the dilation),
            // even though it lies outside the input.
            const int64_t iy = y0 >= 0 ? y0 : y0 + (-y0 + g.dilation[0] - 1) / g.dilation[0] * g.dilation[0];
            const int64_t ix = x0 >= 0 ? x0 : x0 + (-x0 + g.dilation[1] - 1) / g.dilation[1] * g.dilation[1];
            s.argmax = iy * W + ix;
        }
        s.sum = 0.0f;
        s.divisor = 1;
        s.divisor_text.clear();
        return;
    }

    s.argmax = -1;
    s.winner_tap = -1;
    const int64_t padded_cells = s.input_cells + s.padding_cells;  // the window clipped to the padded input
    if (g.divisor_override) {
        s.divisor_rule = PoolDivisorRule::Override;
        s.divisor = *g.divisor_override;
        s.divisor_text = "divisor_override=" + str(s.divisor);
    } else if (g.count_include_pad) {
        s.divisor_rule = PoolDivisorRule::IncludePadding;
        s.divisor = padded_cells;
        s.divisor_text = "count_include_pad=True: " + cells_text(padded_cells, "cell");
        if (s.padding_cells > 0) s.divisor_text += " incl. padding";
        if (s.overhang_cells > 0)
            s.divisor_text += ", " + cells_text(s.overhang_cells, "ceil-mode overhang cell") + " not counted";
    } else {
        s.divisor_rule = PoolDivisorRule::ExcludePadding;
        s.divisor = s.input_cells;
        s.divisor_text = "count_include_pad=False: " + cells_text(s.input_cells, "input cell");
    }
    // 0 + quotient, as PyTorch's kernel accumulates into a zeroed output (turns -0 into +0).
    s.value = s.input_cells == 0 ? 0.0f : 0.0f + s.sum / static_cast<float>(s.divisor);
}

// ------------------------------------------------------------------------------------------------------- relu
Tensor relu(const Tensor& x) {
    Tensor y = x;
    for (float& v : y.data)
        if (v < 0.0f) v = 0.0f;  // NaN and -0.0 are not < 0: kept, as torch.relu does
    return y;
}

}  // namespace convscope
