// conv_check follows PyTorch 1.13's order of checks so that the first error reported is the one PyTorch raises:
//   1. conv{1,2}d entry: batchify (unbatched input gets N = 1)
//   2. padding_mode != zeros (module path): F.pad with the module's padding, then padding 0
//      padding='same' (functional path): stride/dilation broadcast, stride == 1, asymmetric pad of the input
//   3. _convolution: weight rank, groups > 0, stride/padding/dilation expansion
//   4. check_shape_forward: negative padding, stride, weight rank, groups vs weight, channels, bias, kernel size
//   5. after it: kernel size > 0, dilation > 0, zero-size spatial input
#include "conv_spec.hpp"

#include <algorithm>
#include <cassert>
#include <sstream>

#include "checked_math.hpp"
#include "error.hpp"

namespace convscope {

const char* padding_mode_name(PaddingMode mode) {
    switch (mode) {
        case PaddingMode::Zeros:
            return "zeros";
        case PaddingMode::Reflect:
            return "reflect";
        case PaddingMode::Replicate:
            return "replicate";
        case PaddingMode::Circular:
            return "circular";
    }
    return "?";
}

std::optional<PaddingMode> parse_padding_mode(const std::string& name) {
    for (PaddingMode m : {PaddingMode::Zeros, PaddingMode::Reflect, PaddingMode::Replicate, PaddingMode::Circular})
        if (name == padding_mode_name(m)) return m;
    return std::nullopt;
}

Shape ConvGeometry::input_shape() const { return {n, c_in, in[0], in[1]}; }
Shape ConvGeometry::output_shape() const { return {n, c_out, out[0], out[1]}; }
Shape ConvGeometry::output_shape_torch() const {
    Shape s;
    if (!unbatched) s.push_back(n);
    s.push_back(c_out);
    if (dims == 2) s.push_back(out[0]);
    s.push_back(out[1]);
    return s;
}

namespace {

// PyTorch's "[1, 2]" list printing; also used for tensor sizes.
std::string list_text(const std::vector<int64_t>& v) { return shape_to_string(v); }

// reflection_pad*'s "[ torch.FloatTensor{1,3,0,8} ]" tensor printing.
std::string float_tensor_text(const Shape& s) {
    std::string t = "[ torch.FloatTensor{";
    for (size_t i = 0; i < s.size(); ++i) t += (i ? "," : "") + std::to_string(s[i]);
    return t + "} ]";
}

std::string str(int64_t v) { return std::to_string(v); }

// convscope's own words where PyTorch's int64 size arithmetic wraps around silently (it has no message there).
std::string overflow_text(const std::string& argument, const std::string& expression) {
    return argument + " is too large: " + expression +
           " does not fit in a 64-bit integer (PyTorch's size arithmetic wraps around here; convscope refuses)";
}

// The dilated kernel span d*(k-1) of one spatial dim ("same" padding splits it), checked.
std::optional<std::string> dilated_span(int64_t dilation, int64_t k, int64_t& span) {
    const auto km1 = checked_sub(k, 1);
    const auto v = km1 ? checked_mul(dilation, *km1) : std::nullopt;
    if (!v)
        return overflow_text("dilation=" + str(dilation),
                             "dilation*(kernel_size-1) = " + str(dilation) + "*(" + str(k) + "-1)");
    span = *v;
    return std::nullopt;
}

// expand_param_if_needed: one value broadcasts, otherwise exactly `dims` values.
std::optional<std::string> expand(const std::vector<int64_t>& v, const char* name, int dims,
                                  std::vector<int64_t>& out) {
    if (v.size() == 1) {
        out.assign(static_cast<size_t>(dims), v[0]);
        return std::nullopt;
    }
    if (static_cast<int>(v.size()) == dims) {
        out = v;
        return std::nullopt;
    }
    return std::string("expected ") + name + " to be a single integer value or a list of " + std::to_string(dims) +
           " values to match the convolution dimensions, but got " + name + "=" + list_text(v);
}

// The checks F.pad(input, pads, mode) makes for reflect/replicate/circular (PadNd.cpp, ReflectionPad.cpp,
// ReplicationPadding.cpp). `x` is the input as given to the module (batched or not); pads are per spatial dim.
std::optional<std::string> pad_mode_error(PaddingMode mode, const Shape& x, int dims, const std::vector<int64_t>& begin,
                                          const std::vector<int64_t>& end) {
    const int rank = static_cast<int>(x.size());
    const bool batched = rank == dims + 2;
    // F.pad dispatch: 2 pads need a 2-D/3-D input, 4 pads a 3-D/4-D input (circular included).
    if (rank != dims + 1 && rank != dims + 2)
        return std::string("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    if (mode == PaddingMode::Circular) {
        const int sp = rank - 2;  // _pad_circular assumes a batch dimension
        if (2 * dims + 4 != 2 * rank)
            return "Invalid padding size, expected " + std::to_string(2 * sp) + " but got " + std::to_string(2 * dims);
        for (int i = 0; i < dims; ++i) {
            const int64_t size = x[static_cast<size_t>(2 + i)];
            if (begin[i] > size || end[i] > size)
                return std::string("Padding value causes wrapping around more than once.");
        }
        return std::nullopt;
    }
    if (mode == PaddingMode::Reflect) {
        bool nonempty = true;
        for (int i = 1; i < rank; ++i) nonempty = nonempty && x[static_cast<size_t>(i)] != 0;
        if (!batched && dims == 1) nonempty = x[1] != 0;
        if (!nonempty)
            return std::string(dims == 1 ? "2D or 3D" : "3D or 4D") +
                   " (batch mode) tensor expected for input, but got: " + float_tensor_text(x);
        const int dim_w = rank - 1;
        const int64_t w = x[static_cast<size_t>(dim_w)];
        const std::string of_input = dims == 1 ? list_text(x) : std::to_string(rank);
        if (!(begin[dims - 1] < w && end[dims - 1] < w))
            return "Argument #4: Padding size should be less than the corresponding input dimension, but got: padding "
                   "(" +
                   std::to_string(begin[dims - 1]) + ", " + std::to_string(end[dims - 1]) + ") at dimension " +
                   std::to_string(dim_w) + " of input " + of_input;
        if (dims == 2) {
            const int64_t h = x[static_cast<size_t>(rank - 2)];
            if (!(begin[0] < h && end[0] < h))
                return "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
                       "padding (" +
                       std::to_string(begin[0]) + ", " + std::to_string(end[0]) + ") at dimension " +
                       std::to_string(rank - 2) + " of input " + of_input;
        }
        return std::nullopt;
    }
    if (mode == PaddingMode::Replicate) {
        for (int i = batched ? 1 : 0; i < rank; ++i)
            if (x[static_cast<size_t>(i)] == 0)
                return "Expected " + std::to_string(dims + 1) + "D or " + std::to_string(dims + 2) +
                       "D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but "
                       "got: " +
                       list_text(x);
    }
    return std::nullopt;
}

}  // namespace

ConvCheck conv_check(const ConvParams& p, const Shape& input, const Shape& weight, const std::optional<Shape>& bias) {
    auto fail = [](std::string message) { return ConvCheck{std::nullopt, std::move(message)}; };
    const int d = p.dims;
    assert(d == 1 || d == 2);
    // Tensors PyTorch could not have created (negative sizes, storage over 2^63 bytes) never reach a convolution.
    for (const Shape* s : {&input, &weight, bias ? &*bias : nullptr})
        if (s)
            if (std::string e = tensor_shape_error(*s); !e.empty()) return fail(e);

    const int wrank = static_cast<int>(weight.size());
    const bool unbatched = static_cast<int>(input.size()) == d + 1;
    Shape x = input;  // the input as the convolution sees it (batched, after any explicit pad)
    if (unbatched) x.insert(x.begin(), 1);

    // Real padding applied to the input (per spatial dim), and the padding the convolution itself gets.
    std::vector<int64_t> pad_begin(static_cast<size_t>(d), 0), pad_end(static_cast<size_t>(d), 0);
    std::vector<int64_t> conv_padding;  // as passed to _convolution (may need expansion)
    bool asymmetric = !p.pads_begin.empty() || !p.pads_end.empty();

    auto same_split = [&](std::vector<int64_t>& dil) -> std::optional<std::string> {
        // convolution_same: total = d*(k-1), left = total/2 (C++ division), extra pixel at the end.
        if (wrank < 3) return std::string("weight should have at least three dimensions");
        if (wrank != static_cast<int>(x.size()))
            return "Expected " + std::to_string(wrank) + "-dimensional input for " + std::to_string(wrank) +
                   "-dimensional weight" + list_text(weight) + ", but got " + std::to_string(x.size()) +
                   "-dimensional input of size " + list_text(input) + " instead";
        if (!(p.stride.size() == static_cast<size_t>(d) || p.stride.size() == 1))
            return "stride cannot broadcast to " + std::to_string(d) + " dimensions";
        if (!(p.dilation.size() == static_cast<size_t>(d) || p.dilation.size() == 1))
            return "dilation cannot broadcast to " + std::to_string(d) + " dimensions";
        for (int64_t s : p.stride)
            if (s != 1) return std::string("padding='same' is not supported for strided convolutions");
        dil.assign(static_cast<size_t>(d), 0);
        for (int i = 0; i < d; ++i) {
            dil[i] = p.dilation.size() == 1 ? p.dilation[0] : p.dilation[i];
            int64_t total = 0;
            if (auto e = dilated_span(dil[i], weight[static_cast<size_t>(2 + i)], total)) return e;
            pad_begin[i] = total / 2;
            pad_end[i] = total - total / 2;
        }
        return std::nullopt;
    };

    if (p.padding_mode != PaddingMode::Zeros) {
        // Module path: _reversed_padding_repeated_twice, F.pad(input, ..., mode), then conv with padding 0.
        if (p.padding_kind == PaddingKind::Same) {
            // nn.Conv*d.__init__: rejects strides, then splits d*(k-1) with Python's floor division.
            for (int64_t s : p.stride)
                if (s != 1) return fail("padding='same' is not supported for strided convolutions");
            std::vector<int64_t> dil;
            if (auto e = expand(p.dilation, "dilation", d, dil)) return fail(*e);
            if (wrank != d + 2)
                return fail("weight should have " + std::to_string(d + 2) + " dimensions for conv" + std::to_string(d) +
                            "d");
            for (int i = 0; i < d; ++i) {
                int64_t total = 0;
                if (auto e = dilated_span(dil[i], weight[static_cast<size_t>(2 + i)], total)) return fail(*e);
                pad_begin[i] = total >= 0 ? total / 2 : -((-total + 1) / 2);
                pad_end[i] = total - pad_begin[i];
            }
        } else if (p.padding_kind == PaddingKind::Explicit) {
            if (asymmetric) {
                if (p.pads_begin.size() != static_cast<size_t>(d) || p.pads_end.size() != static_cast<size_t>(d))
                    return fail("expected pads to have " + std::to_string(d) + " begin and " + std::to_string(d) +
                                " end values");
                pad_begin = p.pads_begin;
                pad_end = p.pads_end;
            } else {
                std::vector<int64_t> pe;
                if (auto e = expand(p.padding, "padding", d, pe)) return fail(*e);
                pad_begin = pad_end = pe;
            }
        }
        // PyTorch's F.pad crops the input where these pads are negative (nn.Conv2d(..., padding=-1,
        // padding_mode='reflect') runs); convscope draws padding rings, not crops, and says so.
        for (int i = 0; i < d; ++i)
            if (pad_begin[i] < 0 || pad_end[i] < 0)
                return fail(std::string("convscope does not compute negative padding with padding_mode='") +
                            padding_mode_name(p.padding_mode) +
                            "' (PyTorch's F.pad crops the input by that many elements on each side first; crop the "
                            "input instead and use padding=0)");
        if (auto e = pad_mode_error(p.padding_mode, input, d, pad_begin, pad_end)) return fail(*e);
        for (int i = 0; i < d; ++i) {
            int64_t& size = x[static_cast<size_t>(2 + i)];
            const auto both = checked_add(pad_begin[i], pad_end[i]);
            const auto padded_size = both ? checked_add(size, *both) : std::nullopt;
            if (!padded_size)
                return fail(overflow_text("padding", "the padded input size " + str(size) + " + " + str(pad_begin[i]) +
                                                         " + " + str(pad_end[i])));
            size = *padded_size;
        }
        conv_padding.assign(1, 0);
        asymmetric = false;
    }
    // 1. conv{1,2}d's batchify (the module path has already run F.pad, which checks the rank too)
    if (static_cast<int>(input.size()) != d + 1 && static_cast<int>(input.size()) != d + 2)
        return fail("Expected " + std::to_string(d + 1) + "D (unbatched) or " + std::to_string(d + 2) +
                    "D (batched) input to conv" + std::to_string(d) + "d, but got input of size: " + list_text(input));
    if (p.padding_mode != PaddingMode::Zeros) {
        // padding was applied by F.pad above; the convolution gets padding 0
    } else if (p.padding_kind == PaddingKind::Same) {
        std::vector<int64_t> dil;
        if (auto e = same_split(dil)) return fail(*e);
        bool symmetric = true;
        for (int i = 0; i < d; ++i) symmetric = symmetric && pad_begin[i] == pad_end[i];
        if (symmetric) {
            conv_padding = pad_begin;
        } else {
            // constant_pad_nd by the difference at the end, then symmetric padding = left.
            conv_padding.assign(static_cast<size_t>(d), 0);
            for (int i = 0; i < d; ++i) {
                const int64_t delta = pad_end[i] - pad_begin[i];  // 0 or 1: the split's odd element
                x[static_cast<size_t>(2 + i)] += delta;
                conv_padding[i] = delta > 0 ? pad_begin[i] : pad_end[i];
            }
        }
    } else if (p.padding_kind == PaddingKind::Valid) {
        conv_padding.assign(1, 0);
    } else if (asymmetric) {
        if (p.pads_begin.size() != static_cast<size_t>(d) || p.pads_end.size() != static_cast<size_t>(d))
            return fail("expected pads to have " + std::to_string(d) + " begin and " + std::to_string(d) +
                        " end values");
        pad_begin = p.pads_begin;
        pad_end = p.pads_end;
        conv_padding = pad_begin;  // only used for the negative check below
        for (int i = 0; i < d; ++i)
            if (pad_end[i] < 0) return fail("negative padding is not supported");
    } else {
        conv_padding = p.padding;
    }

    // 3. _convolution
    if (wrank < 3) return fail("weight should have at least three dimensions");
    if (p.groups <= 0) return fail("non-positive groups is not supported");
    std::vector<int64_t> stride, padding, dilation;
    if (auto e = expand(p.stride, "stride", wrank - 2, stride)) return fail(*e);
    if (auto e = expand(conv_padding, "padding", wrank - 2, padding)) return fail(*e);
    if (auto e = expand(p.dilation, "dilation", wrank - 2, dilation)) return fail(*e);

    // 4. check_shape_forward
    for (int64_t v : padding)
        if (v < 0) return fail("negative padding is not supported");
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
    const auto expected_channels = checked_mul(weight[1], g);
    if (!expected_channels)
        return fail(overflow_text("groups=" + gs, "the expected input channels " + str(weight[1]) + "*" + gs));
    if (x[1] != *expected_channels)
        return fail("Given groups=" + gs + ", weight of size " + list_text(weight) + ", expected input" + list_text(x) +
                    " to have " + std::to_string(*expected_channels) + " channels, but got " + std::to_string(x[1]) +
                    " channels instead");
    if (bias && !(bias->size() == 1 && (*bias)[0] == weight[0]))
        return fail("Given weight of size " + list_text(weight) + ", expected bias to be 1-dimensional with " +
                    std::to_string(weight[0]) + " elements, but got bias of size " + list_text(*bias) + " instead");
    std::vector<int64_t> padded(static_cast<size_t>(d)), dil_kernel(static_cast<size_t>(d));
    bool kernel_fits = true;
    for (int i = 0; i < d; ++i) {
        const int64_t size = x[static_cast<size_t>(2 + i)];
        const auto total_pad = asymmetric ? checked_add(pad_begin[i], pad_end[i]) : checked_mul(2, padding[i]);
        const auto padded_size = total_pad ? checked_add(size, *total_pad) : std::nullopt;
        if (!padded_size) {
            const std::string pads = asymmetric ? str(pad_begin[i]) + " + " + str(pad_end[i]) : "2*" + str(padding[i]);
            return fail(overflow_text(asymmetric ? "pads" : "padding=" + str(padding[i]),
                                      "the padded input size " + str(size) + " + " + pads));
        }
        padded[i] = *padded_size;
        int64_t span = 0;
        if (auto e = dilated_span(dilation[i], weight[static_cast<size_t>(2 + i)], span)) return fail(*e);
        const auto dk = checked_add(span, 1);
        if (!dk)
            return fail(overflow_text("dilation=" + str(dilation[i]), "the dilated kernel size " + str(span) + " + 1"));
        dil_kernel[i] = *dk;
        if (padded[i] < dil_kernel[i]) kernel_fits = false;
    }
    if (!kernel_fits) {
        auto join = [](const std::vector<int64_t>& v) {
            std::string s;
            for (size_t i = 0; i < v.size(); ++i) s += (i ? " x " : "") + std::to_string(v[i]);
            return s;
        };
        return fail("Calculated padded input size per channel: (" + join(padded) + "). Kernel size: (" +
                    join(dil_kernel) + "). Kernel size can't be greater than actual input size");
    }

    // 5. after the shape check, unless the batch or channel count is zero (PyTorch's "empty" backend returns
    //    early). Which message comes depends on the CPU backend PyTorch picks: the dilated slow path (one
    //    image, groups == 1, small) checks kernel and dilation itself, with conv1d run as 2-D (lists print a
    //    leading 1); oneDNN only rejects non-positive dilation.
    if (x[0] != 0 && x[1] != 0) {
        std::vector<int64_t> ksize(weight.begin() + 2, weight.end()), dil_list = dilation;
        if (d == 1) {
            ksize.insert(ksize.begin(), 1);
            dil_list.insert(dil_list.begin(), 1);
        }
        // 1.13's use_mkldnn(): groups > 1, both kernel dims > 3, N > 1 or a large input pick oneDNN.
        const int64_t kh = d == 2 ? weight[2] : 1, kw = weight.back();
        const int64_t conv_input_numel = shape_numel(x);
        const bool onednn = g > 1 || (kh > 3 && kw > 3) || x[0] > 1 || conv_input_numel > 20480;
        if (!onednn) {
            for (int64_t k : ksize)
                if (k <= 0) return fail("kernel size should be greater than zero, but got " + list_text(ksize));
            for (int64_t v : dilation)
                if (v <= 0) return fail("dilation should be greater than zero, but got " + list_text(dil_list));
        } else {
            for (int64_t v : dilation)
                if (v <= 0) return fail("non-positive dilation is not supported");
        }
        for (int i = 0; i < d; ++i)
            if (x[static_cast<size_t>(2 + i)] == 0)
                return fail("Only zero batch or zero channel inputs are supported, but got input shape: " +
                            list_text(x));
    }
    if (x[1] == 0) return fail("convscope does not compute convolutions with zero input channels");

    // Resolved geometry in canonical [H, W] form.
    ConvGeometry geo;
    geo.dims = d;
    geo.unbatched = unbatched;
    geo.n = x[0];
    geo.c_in = x[1];
    geo.c_out = weight[0];
    geo.groups = g;
    geo.c_in_per_group = weight[1];
    geo.c_out_per_group = weight[0] / g;
    geo.mode = p.padding_mode;
    geo.has_bias = bias.has_value();
    if (p.padding_mode == PaddingMode::Zeros && !asymmetric && p.padding_kind == PaddingKind::Explicit) {
        pad_begin = padding;
        pad_end = padding;
    } else if (p.padding_kind == PaddingKind::Valid) {
        std::fill(pad_begin.begin(), pad_begin.end(), 0);
        std::fill(pad_end.begin(), pad_end.end(), 0);
    }
    const int off = 2 - d;  // 1-D fills the W slot only
    for (int i = 0; i < d; ++i) {
        const size_t j = static_cast<size_t>(off + i);
        geo.in[j] = input[input.size() - static_cast<size_t>(d) + static_cast<size_t>(i)];
        geo.kernel[j] = weight[static_cast<size_t>(2 + i)];
        geo.stride[j] = stride[i];
        geo.dilation[j] = dilation[i];
        geo.pad_begin[j] = pad_begin[i];
        geo.pad_end[j] = pad_end[i];
        const auto room = checked_sub(padded[i], dil_kernel[i]);  // >= 0, but dil_kernel < 0 for a negative dilation
        if (!room)
            return fail(
                overflow_text("dilation=" + str(dilation[i]), "the padded input size minus the dilated kernel size " +
                                                                  str(padded[i]) + " - (" + str(dil_kernel[i]) + ")"));
        geo.out[j] = *room / stride[i] + 1;
    }
    // The output tensor PyTorch would allocate.
    if (std::string e = tensor_shape_error(geo.output_shape_torch()); !e.empty()) return fail(e);
    return ConvCheck{geo, {}};
}

ConvGeometry conv_geometry(const ConvParams& params, const Shape& input, const Shape& weight,
                           const std::optional<Shape>& bias) {
    ConvCheck c = conv_check(params, input, weight, bias);
    if (!c.ok()) throw ConfigError(c.error);
    return *c.geometry;
}

Shape ConvLayer::weight_shape() const {
    Shape s{out_channels, params.groups > 0 ? in_channels / params.groups : in_channels};
    if (kernel_size.size() == 1)
        for (int i = 0; i < dims; ++i) s.push_back(kernel_size[0]);
    else
        s.insert(s.end(), kernel_size.begin(), kernel_size.end());
    return s;
}

int64_t ConvLayer::parameter_count() const {
    const int64_t w = shape_numel(weight_shape());
    return w + (bias ? out_channels : 0);
}

std::string conv_layer_init_error(const ConvLayer& layer) {
    const int64_t g = layer.params.groups;
    if (g <= 0) return "groups must be a positive integer";
    if (layer.in_channels % g != 0) return "in_channels must be divisible by groups";
    if (layer.out_channels % g != 0) return "out_channels must be divisible by groups";
    if (layer.params.padding_kind == PaddingKind::Same)
        for (int64_t s : layer.params.stride)
            if (s != 1) return "padding='same' is not supported for strided convolutions";
    // reset_parameters' torch.empty of the weight (the bias, out_channels elements, is smaller).
    return tensor_shape_error(layer.weight_shape());
}

ConvCheck conv_layer_check(const ConvLayer& layer, const Shape& input) {
    std::string e = conv_layer_init_error(layer);
    if (!e.empty()) return ConvCheck{std::nullopt, e};
    std::optional<Shape> bias;
    if (layer.bias) bias = Shape{layer.out_channels};
    ConvParams p = layer.params;
    p.dims = layer.dims;
    return conv_check(p, input, layer.weight_shape(), bias);
}

std::string output_size_formula_text(const char* name, int64_t in, int64_t pad_begin, int64_t pad_end, int64_t dilation,
                                     int64_t kernel, int64_t stride, bool ceil_mode, int64_t out) {
    const char* round = ceil_mode ? "ceil" : "floor";
    std::ostringstream s;
    s << name << " = " << round << "((" << in << " + ";
    if (pad_begin == pad_end)
        s << "2*" << pad_begin;
    else
        s << "(" << pad_begin << "+" << pad_end << ")";
    s << " - " << dilation << "*(" << kernel << "-1) - 1) / " << stride << ") + 1 = " << round << "("
      << (in + pad_begin + pad_end - dilation * (kernel - 1) - 1) << " / " << stride << ") + 1 = " << out;
    return s.str();
}

std::string conv_formula_text(const ConvGeometry& g, int axis) {
    const size_t j = static_cast<size_t>(axis);
    const char* name = g.dims == 1 ? "L_out" : (axis == 0 ? "H_out" : "W_out");
    return output_size_formula_text(name, g.in[j], g.pad_begin[j], g.pad_end[j], g.dilation[j], g.kernel[j],
                                    g.stride[j], false, g.out[j]);
}

}  // namespace convscope
