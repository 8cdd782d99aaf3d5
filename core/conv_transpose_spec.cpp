// conv_transpose_check follows PyTorch 1.13's order, so the first error reported is the one PyTorch raises
// (each text checked live against torch 1.13 in tests/conv_transpose_differential.py):
//   1. conv_transpose{1,2}d: batchify (unbatched input gets N = 1)
//   2. _convolution: weight rank, groups > 0, stride / padding / dilation / output_padding expansion
//   3. check_shape_forward: negative padding, negative output_padding, stride, input rank, groups vs weight,
//      input channels == weight[0], bias == weight[1] * groups
//   4. backend choice: an empty batch returns the output shape at once ("invalid shape dimension" when negative);
//      an empty spatial input is refused
//   5. the kernel's shape check (slow_conv_transpose2d_shape_check; a 1-D call is seen as 2-D with H = 1):
//      kernel > 0, dilation > 0, output_padding < stride or < dilation, non-empty weight, output size >= 1
#include "conv_transpose_spec.hpp"

#include <cassert>
#include <sstream>

#include "error.hpp"

namespace convscope {

Shape ConvTransposeGeometry::input_shape() const { return {n, c_in, in[0], in[1]}; }
Shape ConvTransposeGeometry::output_shape() const { return {n, c_out, out[0], out[1]}; }
Shape ConvTransposeGeometry::output_shape_torch() const {
    Shape s;
    if (!unbatched) s.push_back(n);
    s.push_back(c_out);
    if (dims == 2) s.push_back(out[0]);
    s.push_back(out[1]);
    return s;
}
Shape ConvTransposeGeometry::weight_shape_torch() const {
    Shape s{c_in, c_out_per_group};
    if (dims == 2) s.push_back(kernel[0]);
    s.push_back(kernel[1]);
    return s;
}

namespace {

std::string list_text(const std::vector<int64_t>& v) { return shape_to_string(v); }

// Python's argument parser turns one integer into `dims` values (IntArrayRef[dims]); _convolution's
// expand_param_if_needed then wants one value or exactly weight_rank - 2.
std::optional<std::string> expand(std::vector<int64_t> v, const char* name, int dims, int want,
                                  std::vector<int64_t>& out) {
    if (v.size() == 1) v.assign(static_cast<size_t>(dims), v[0]);
    if (v.size() == 1) {
        out.assign(static_cast<size_t>(want), v[0]);
        return std::nullopt;
    }
    if (static_cast<int>(v.size()) == want) {
        out = v;
        return std::nullopt;
    }
    return std::string("expected ") + name + " to be a single integer value or a list of " + std::to_string(want) +
           " values to match the convolution dimensions, but got " + name + "=" + list_text(v);
}

// (in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1, or nullopt when it overflows int64.
std::optional<int64_t> output_size(int64_t in, int64_t stride, int64_t padding, int64_t dilation, int64_t kernel,
                                   int64_t output_padding) {
    int64_t a = 0, b = 0, c = 0, r = 0;
    if (__builtin_mul_overflow(in - 1, stride, &a)) return std::nullopt;
    if (__builtin_mul_overflow(padding, int64_t{2}, &b)) return std::nullopt;
    if (__builtin_mul_overflow(dilation, kernel - 1, &c)) return std::nullopt;
    if (__builtin_sub_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r) ||
        __builtin_add_overflow(r, output_padding, &r) || __builtin_add_overflow(r, int64_t{1}, &r))
        return std::nullopt;
    return r;
}

}  // namespace

ConvTransposeCheck conv_transpose_check(const ConvTransposeParams& p, const Shape& input, const Shape& weight,
                                        const std::optional<Shape>& bias) {
    auto fail = [](std::string message) { return ConvTransposeCheck{std::nullopt, std::move(message)}; };
    const int d = p.dims;
    assert(d == 1 || d == 2);
    const std::string fn = "conv_transpose" + std::to_string(d) + "d";

    // 1. batchify
    const int in_rank = static_cast<int>(input.size());
    if (in_rank != d + 1 && in_rank != d + 2)
        return fail("Expected " + std::to_string(d + 1) + "D (unbatched) or " + std::to_string(d + 2) +
                    "D (batched) input to " + fn + ", but got input of size: " + list_text(input));
    const bool unbatched = in_rank == d + 1;
    Shape x = input;
    if (unbatched) x.insert(x.begin(), 1);

    // 2. _convolution
    const int wrank = static_cast<int>(weight.size());
    if (wrank < 3) return fail("weight should have at least three dimensions");
    if (p.groups <= 0) return fail("non-positive groups is not supported");
    std::vector<int64_t> stride, padding, dilation, output_padding;
    if (auto e = expand(p.stride, "stride", d, wrank - 2, stride)) return fail(*e);
    if (auto e = expand(p.padding, "padding", d, wrank - 2, padding)) return fail(*e);
    if (auto e = expand(p.dilation, "dilation", d, wrank - 2, dilation)) return fail(*e);
    if (auto e = expand(p.output_padding, "output_padding", d, wrank - 2, output_padding)) return fail(*e);

    // 3. check_shape_forward (transposed)
    for (int64_t v : padding)
        if (v < 0) return fail("negative padding is not supported");
    for (int64_t v : output_padding)
        if (v < 0) return fail("negative output_padding is not supported");
    for (int64_t v : stride)
        if (v <= 0) return fail("non-positive stride is not supported");
    if (wrank != static_cast<int>(x.size()))
        return fail("Expected " + std::to_string(wrank) + "-dimensional input for " + std::to_string(wrank) +
                    "-dimensional weight " + list_text(weight) + ", but got " + std::to_string(x.size()) +
                    "-dimensional input of size " + list_text(x) + " instead");
    const int64_t g = p.groups;
    const std::string gs = std::to_string(g);
    if (weight[0] < g)
        return fail("Given groups=" + gs + ", expected weight to be at least " + gs +
                    " at dimension 0, but got weight of size " + list_text(weight) + " instead");
    if (weight[0] % g != 0)
        return fail("Given groups=" + gs + ", expected weight to be divisible by " + gs +
                    " at dimension 0, but got weight of size [" + list_text(weight) + "] instead");
    if (x[1] != weight[0])
        return fail("Given transposed=1, weight of size " + list_text(weight) + ", expected input" + list_text(x) +
                    " to have " + std::to_string(weight[0]) + " channels, but got " + std::to_string(x[1]) +
                    " channels instead");
    int64_t c_out = 0;  // weight[1] * groups; the shapes may come from a file, so the product is checked
    if (__builtin_mul_overflow(weight[1], g, &c_out))
        return fail("convscope: the output channel count " + std::to_string(weight[1]) + " x " + gs +
                    " overflows 64-bit integers");
    if (bias && !(bias->size() == 1 && (*bias)[0] == c_out))
        return fail("Given transposed=1, weight of size " + list_text(weight) +
                    ", expected bias to be 1-dimensional with " + std::to_string(c_out) +
                    " elements, but got bias of size " + list_text(*bias) + " instead");

    // From here the call is 2-D (a 1-D one is viewed with H = 1): canonical [H, W] values.
    auto hw = [&](const std::vector<int64_t>& v, int64_t one) {
        return d == 1 ? std::array<int64_t, 2>{one, v[0]} : std::array<int64_t, 2>{v[0], v[1]};
    };
    const std::array<int64_t, 2> in = hw({x[2], x.back()}, 1), k = hw({weight[2], weight.back()}, 1);
    const std::array<int64_t, 2> s = hw(stride, 1), pad = hw(padding, 0), dil = hw(dilation, 1),
                                 op = hw(output_padding, 0);
    Shape x4 = x, w4 = weight;
    if (d == 1) {
        x4.insert(x4.begin() + 2, 1);
        w4.insert(w4.begin() + 2, 1);
    }
    std::array<int64_t, 2> out{1, 1};
    for (size_t i = 0; i < 2; ++i) {
        const std::optional<int64_t> o = output_size(in[i], s[i], pad[i], dil[i], k[i], op[i]);
        if (!o) return fail("convscope: the output size of " + fn + " overflows 64-bit integers");
        out[i] = *o;
    }

    // 4. Backend choice: an empty batch (channels cannot be 0 here: weight[0] >= groups > 0) skips the kernel.
    if (x[0] == 0) {
        if (shape_numel(weight) == 0)
            return fail("select(): index 0 out of range for tensor of size [0] at dimension 0");
        // The empty backend reshapes an empty tensor to the output shape (4-D; a 1-D call has H = 1), so a
        // negative size is reported by reshape: -1 is "inferred", other negatives are invalid.
        const Shape out4{0, c_out, out[0], out[1]};
        bool inferred = false;
        for (int64_t v : out4) {
            if (v == -1) {
                if (inferred) return fail("only one dimension can be inferred");
                inferred = true;
            } else if (v < 0) {
                return fail("invalid shape dimension " + std::to_string(v));
            }
        }
        if (inferred)
            return fail("cannot reshape tensor of 0 elements into shape " + list_text(out4) +
                        " because the unspecified dimension size -1 can be any value and is ambiguous");
    } else {
        for (int i = 0; i < d; ++i)
            if (x[static_cast<size_t>(2 + i)] == 0)
                return fail("Only zero batch or zero channel inputs are supported, but got input shape: " +
                            list_text(x4));
        // 5. slow_conv_transpose2d_shape_check
        if (k[0] <= 0 || k[1] <= 0)
            return fail("kernel size should be greater than zero, but got kernel_height: " + std::to_string(k[0]) +
                        " kernel_width: " + std::to_string(k[1]));
        if (dil[0] <= 0 || dil[1] <= 0)
            return fail("dilation should be greater than zero, but got dilation_height: " + std::to_string(dil[0]) +
                        ", dilation_width: " + std::to_string(dil[1]));
        if (!((op[1] < s[1] || op[1] < dil[1]) && (op[0] < s[0] || op[0] < dil[0])))
            return fail(
                "output padding must be smaller than either stride or dilation, but got output_padding_height: " +
                std::to_string(op[0]) + " output_padding_width: " + std::to_string(op[1]) +
                " stride_height: " + std::to_string(s[0]) + " stride_width: " + std::to_string(s[1]) +
                " dilation_height: " + std::to_string(dil[0]) + " dilation_width: " + std::to_string(dil[1]));
        if (shape_numel(weight) == 0)
            return fail("non-empty 2D or 4D weight tensor expected, but got: " + list_text(w4));
        if (out[0] < 1 || out[1] < 1)
            return fail("Given input size per channel: (" + std::to_string(in[0]) + " x " + std::to_string(in[1]) +
                        "). Calculated output size per channel: (" + std::to_string(out[0]) + " x " +
                        std::to_string(out[1]) + "). Output size is too small");
    }

    ConvTransposeGeometry geo;
    geo.dims = d;
    geo.unbatched = unbatched;
    geo.n = x[0];
    geo.c_in = x[1];
    geo.groups = g;
    geo.c_in_per_group = weight[0] / g;
    geo.c_out_per_group = weight[1];
    geo.c_out = c_out;
    geo.in = in;
    geo.out = out;
    geo.kernel = k;
    geo.stride = s;
    geo.dilation = dil;
    geo.padding = pad;
    geo.output_padding = op;
    geo.has_bias = bias.has_value();
    return ConvTransposeCheck{geo, {}};
}

ConvTransposeGeometry conv_transpose_geometry(const ConvTransposeParams& params, const Shape& input,
                                              const Shape& weight, const std::optional<Shape>& bias) {
    ConvTransposeCheck c = conv_transpose_check(params, input, weight, bias);
    if (!c.ok()) throw ConfigError(c.error);
    return *c.geometry;
}

Shape ConvTransposeLayer::weight_shape() const {
    Shape s{in_channels, params.groups > 0 ? out_channels / params.groups : out_channels};
    if (kernel_size.size() == 1)
        for (int i = 0; i < dims; ++i) s.push_back(kernel_size[0]);
    else
        s.insert(s.end(), kernel_size.begin(), kernel_size.end());
    return s;
}

int64_t ConvTransposeLayer::parameter_count() const { return shape_numel(weight_shape()) + (bias ? out_channels : 0); }

std::string conv_transpose_layer_init_error(const ConvTransposeLayer& layer) {
    // _ConvTransposeNd checks the padding mode before _ConvNd's checks.
    if (layer.padding_mode != "zeros")
        return "Only \"zeros\" padding mode is supported for ConvTranspose" + std::to_string(layer.dims) + "d";
    const int64_t g = layer.params.groups;
    if (g <= 0) return "groups must be a positive integer";
    if (layer.in_channels % g != 0) return "in_channels must be divisible by groups";
    if (layer.out_channels % g != 0) return "out_channels must be divisible by groups";
    return {};
}

ConvTransposeCheck conv_transpose_layer_check(const ConvTransposeLayer& layer, const Shape& input) {
    std::string e = conv_transpose_layer_init_error(layer);
    if (!e.empty()) return ConvTransposeCheck{std::nullopt, e};
    std::optional<Shape> bias;
    if (layer.bias) bias = Shape{layer.out_channels};
    ConvTransposeParams p = layer.params;
    p.dims = layer.dims;
    return conv_transpose_check(p, input, layer.weight_shape(), bias);
}

std::string conv_transpose_formula_text(const ConvTransposeGeometry& g, int axis) {
    const size_t j = static_cast<size_t>(axis);
    const char* name = g.dims == 1 ? "L_out" : (axis == 0 ? "H_out" : "W_out");
    std::ostringstream s;
    s << name << " = (in-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1 = (" << g.in[j] << "-1)*"
      << g.stride[j] << " - 2*" << g.padding[j] << " + " << g.dilation[j] << "*(" << g.kernel[j] << "-1) + "
      << g.output_padding[j] << " + 1 = " << g.out[j];
    return s.str();
}

}  // namespace convscope
