// A layer node resolved for one input shape: ONNX's attributes (auto_pad, pads, strides, dilations, group) mapped
// onto the engine's ConvParams / PoolParams and validated with conv_check / pool_check. See onnx_model.hpp for the
// mapping rules.
#include <algorithm>
#include <cstdint>

#include "onnx_detail.hpp"
#include "tf_padding.hpp"

namespace convscope {

using namespace onnx_detail;

Shape OnnxLayer::output_shape() const {
    if (conv_geometry) return conv_geometry->output_shape_torch();
    if (conv_transpose_geometry) return conv_transpose_geometry->output_shape_torch();
    if (pool_geometry) return pool_geometry->output_shape_torch();
    return {};
}

std::string OnnxLayer::description() const {
    if (op == OnnxOp::Conv && conv_geometry) {
        const ConvGeometry& g = *conv_geometry;
        auto pick = [&](const std::array<int64_t, 2>& a) {
            return dims == 1 ? list_text({a[1]}) : list_text({a[0], a[1]});
        };
        return "conv" + std::to_string(dims) + "d(stride=" + pick(g.stride) + ", dilation=" + pick(g.dilation) +
               ", pads_begin=" + pick(g.pad_begin) + ", pads_end=" + pick(g.pad_end) +
               ", groups=" + std::to_string(g.groups) + (bias_name.empty() ? ", no bias)" : ", bias)");
    }
    if (conv_transpose_geometry) {
        const ConvTransposeGeometry& g = *conv_transpose_geometry;
        auto pick = [&](const std::array<int64_t, 2>& a) {
            return dims == 1 ? list_text({a[1]}) : list_text({a[0], a[1]});
        };
        return "conv_transpose" + std::to_string(dims) + "d(stride=" + pick(g.stride) + ", padding=" + pick(g.padding) +
               ", output_padding=" + pick(g.output_padding) + ", groups=" + std::to_string(g.groups) +
               ", dilation=" + pick(g.dilation) + (bias_name.empty() ? ", no bias)" : ", bias)");
    }
    if (pool_geometry) {
        const PoolGeometry& g = *pool_geometry;
        auto pick = [&](const std::array<int64_t, 2>& a) {
            return dims == 1 ? list_text({a[1]}) : list_text({a[0], a[1]});
        };
        std::string s = std::string(g.mode == PoolMode::Max ? "max" : "avg") + "_pool" + std::to_string(dims) +
                        "d(kernel_size=" + pick(g.kernel) + ", stride=" + pick(g.stride) +
                        ", pads_begin=" + pick(g.pad_begin) + ", pads_end=" + pick(g.pad_end);
        if (g.mode == PoolMode::Max) s += ", dilation=" + pick(g.dilation);
        s += std::string(", ceil_mode=") + (g.ceil_mode ? "True" : "False");
        if (g.mode == PoolMode::Avg)
            s += std::string(", count_include_pad=") + (g.count_include_pad ? "True" : "False");
        return s + ")";
    }
    return op_name(op);
}

namespace {

std::vector<int64_t> or_ones(const std::vector<int64_t>& v, int dims) {
    return v.empty() ? std::vector<int64_t>(static_cast<size_t>(dims), 1) : v;
}

// ONNX pads → begin/end per spatial dim; auto_pad resolved for `in` (spatial sizes). Adds a note for SAME.
void resolve_pads(const OnnxNode& n, int dims, const std::vector<int64_t>& in, const std::vector<int64_t>& kernel,
                  const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation, std::vector<int64_t>& begin,
                  std::vector<int64_t>& end, std::vector<std::string>& notes) {
    const auto d = static_cast<size_t>(dims);
    begin.assign(d, 0);
    end.assign(d, 0);
    if (n.auto_pad == OnnxAutoPad::NotSet) {
        if (!n.pads.empty())
            for (size_t i = 0; i < d; ++i) {
                begin[i] = n.pads[i];
                end[i] = n.pads[d + i];
            }
        return;
    }
    if (n.auto_pad == OnnxAutoPad::Valid) {
        notes.push_back("auto_pad=VALID: no padding");
        return;
    }
    std::vector<int64_t> totals(d, 0);
    for (size_t i = 0; i < d; ++i) {
        // Values the engine rejects (stride, kernel or dilation <= 0) get no padding; conv_check / pool_check then
        // report them with PyTorch's text.
        if (stride[i] <= 0 || kernel[i] <= 0 || dilation[i] <= 0 || in[i] < 0) continue;
        // TF's 'same' rule (tf_padding.hpp): out = ceil(in / s); SAME_LOWER puts the odd pixel first.
        const TfPads p = tf_pads(n.auto_pad == OnnxAutoPad::SameUpper ? TfPadding::SameUpper : TfPadding::SameLower,
                                 in[i], kernel[i], stride[i], dilation[i]);
        totals[i] = p.total;
        begin[i] = p.begin;
        end[i] = p.end;
    }
    notes.push_back(std::string("auto_pad=") + onnx_auto_pad_name(n.auto_pad) + " for input size " + list_text(in) +
                    ": output ceil(in/stride), total padding " + list_text(totals) + " split as begin " +
                    list_text(begin) + ", end " + list_text(end) +
                    (n.auto_pad == OnnxAutoPad::SameUpper
                         ? " (an odd extra pixel goes at the end, like PyTorch's 'same')"
                         : " (an odd extra pixel goes at the beginning)"));
}

// The shape of a weight/bias input: the model's constant, else a fed tensor, else the declared graph input.
std::optional<Shape> constant_shape(const OnnxModel& m, const std::string& value, const OnnxFeeds& feeds) {
    if (const OnnxInitializer* init = m.find_initializer(value)) return init->shape;
    if (auto it = feeds.find(value); it != feeds.end()) return it->second.shape;
    for (const OnnxValueInfo& in : m.inputs)
        if (in.name == value) return in.shape();
    return std::nullopt;
}

// ConvTranspose: ONNX's pads (given, or from output_shape / auto_pad) crop the full result; mapped onto PyTorch's
// padding = pads_begin, output_padding = output_padding + pads_begin - pads_end (see onnx_model.hpp).
OnnxLayer resolve_conv_transpose(const OnnxNode& n, const std::vector<int64_t>& in, const std::string& prefix,
                                 OnnxLayer layer) {
    const int dims = layer.dims;
    const auto d = static_cast<size_t>(dims);
    const std::vector<int64_t> kernel(layer.weight_shape.begin() + 2, layer.weight_shape.end());
    const std::vector<int64_t> stride = or_ones(n.strides, dims), dilation = or_ones(n.dilations, dims);
    const std::vector<int64_t> op = n.output_padding.empty() ? std::vector<int64_t>(d, 0) : n.output_padding;
    std::vector<int64_t> begin(d, 0), end(d, 0);
    const bool from_shape =
        !n.output_shape_attr.empty() || n.auto_pad == OnnxAutoPad::SameUpper || n.auto_pad == OnnxAutoPad::SameLower;
    if (from_shape) {
        std::vector<int64_t> want(d), totals(d);
        for (size_t i = 0; i < d; ++i) {
            // full = stride*(in-1) + output_padding + (k-1)*dilation + 1, checked: the values come from the file.
            int64_t a = 0, b = 0, full = 0, total = 0;
            want[i] = n.output_shape_attr.empty() ? 0 : n.output_shape_attr[i];
            if ((n.output_shape_attr.empty() && __builtin_mul_overflow(in[i], stride[i], &want[i])) ||
                __builtin_mul_overflow(stride[i], in[i] - 1, &a) ||
                __builtin_mul_overflow(kernel[i] - 1, dilation[i], &b) || __builtin_add_overflow(a, b, &full) ||
                __builtin_add_overflow(full, op[i], &full) || __builtin_add_overflow(full, int64_t{1}, &full) ||
                __builtin_sub_overflow(full, want[i], &total))
                throw FormatError(prefix + "the output size overflows 64-bit integers (strides " + list_text(stride) +
                                  ", dilations " + list_text(dilation) + ")");
            totals[i] = total;
            const int64_t half = total / 2 - (total % 2 < 0 ? 1 : 0);  // floor division, as ONNX's reference
            if (n.auto_pad == OnnxAutoPad::SameUpper) {
                begin[i] = half;
                end[i] = total - half;
            } else {
                end[i] = half;
                begin[i] = total - half;
            }
        }
        layer.notes.push_back(std::string(n.output_shape_attr.empty() ? "auto_pad=" : "output_shape ") +
                              (n.output_shape_attr.empty() ? onnx_auto_pad_name(n.auto_pad) : list_text(want)) +
                              ": total padding (full result - output size) " + list_text(totals) + ", split as begin " +
                              list_text(begin) + ", end " + list_text(end) +
                              " (a negative end adds that many rows/columns, as output_padding does)");
    } else if (n.auto_pad == OnnxAutoPad::NotSet && !n.pads.empty()) {
        for (size_t i = 0; i < d; ++i) {
            begin[i] = n.pads[i];
            end[i] = n.pads[d + i];
        }
    }
    ConvTransposeParams& p = layer.conv_transpose;
    p.dims = dims;
    p.stride = stride;
    p.dilation = dilation;
    p.groups = n.group;
    p.padding = begin;
    std::vector<int64_t> torch_op(d);  // PyTorch's output_padding for the same result
    bool expressible = true;
    for (size_t i = 0; i < d; ++i) {
        if (begin[i] < 0)
            throw OnnxUnsupportedError(prefix + "pads begin " + list_text(begin) +
                                       " is negative (the output would start before the full result); convscope "
                                       "computes ConvTranspose with pads >= 0 at the beginning");
        if (__builtin_add_overflow(op[i], begin[i], &torch_op[i]) ||
            __builtin_sub_overflow(torch_op[i], end[i], &torch_op[i]))
            throw FormatError(prefix + "pads " + list_text(begin) + " / " + list_text(end) +
                              " overflow 64-bit integers");
        if (torch_op[i] < 0 || (torch_op[i] >= stride[i] && torch_op[i] >= dilation[i])) expressible = false;
    }
    // conv_transpose_check gives PyTorch's text for everything else; a PyTorch-inexpressible output_padding is
    // checked as 0 and applied to the geometry afterwards.
    p.output_padding = expressible ? torch_op : std::vector<int64_t>(d, 0);
    const ConvTransposeCheck c = conv_transpose_check(p, layer.input_shape, layer.weight_shape, layer.bias_shape);
    if (!c.ok()) throw ConfigError(prefix + c.error);
    ConvTransposeGeometry g = *c.geometry;
    if (!expressible) {
        for (size_t i = 0; i < d; ++i) {
            const size_t j = 2 - d + i;
            g.output_padding[j] = torch_op[i];
            if (__builtin_add_overflow(g.out[j], torch_op[i], &g.out[j]))
                throw FormatError(prefix + "the output size overflows 64-bit integers");
            if (g.out[j] < 1)
                throw ConfigError(prefix + "the output size along spatial axis " + std::to_string(i) + " is " +
                                  std::to_string(g.out[j]) + "; it must be at least 1");
        }
        p.output_padding = torch_op;
        layer.notes.push_back("one F.conv_transpose" + std::to_string(dims) + "d call cannot say this: it needs " +
                              "output_padding " + list_text(torch_op) +
                              " (PyTorch wants 0 <= output_padding < stride or dilation); convscope computes the "
                              "same scatter with padding " +
                              list_text(begin) +
                              " and the output size ONNX asks for (PyTorch: conv_transpose with output_padding 0, "
                              "then crop or pad the end)");
    }
    layer.conv_transpose_geometry = g;
    return layer;
}

}  // namespace

OnnxLayer onnx_resolve_node(const OnnxModel& m, const OnnxNode& n, const Shape& input_shape, const OnnxFeeds& feeds) {
    const std::string prefix = m.name + ": " + n.label() + ": ";
    if (!onnx_is_layer(n.op))
        throw OnnxUnsupportedError(prefix +
                                   "not a Conv, MaxPool, AveragePool, GlobalMaxPool or GlobalAveragePool node");
    if (!n.problem.empty() && !n.problem_is_for_declared_input) {
        if (n.unsupported) throw OnnxUnsupportedError(prefix + n.problem);
        throw FormatError(prefix + n.problem);
    }
    OnnxLayer layer;
    layer.op = n.op;
    layer.input_shape = input_shape;
    const auto in_rank = static_cast<int>(input_shape.size());

    const bool conv_like = n.op == OnnxOp::Conv || n.op == OnnxOp::ConvTranspose;
    if (conv_like) {
        const std::string what = n.op == OnnxOp::Conv ? "convolution" : "transposed convolution";
        layer.weight_name = n.inputs[1];
        const std::optional<Shape> w = constant_shape(m, layer.weight_name, feeds);
        if (!w)
            throw FormatError(prefix + "the shape of weight " + quoted(layer.weight_name) +
                              " is not known; give the graph input a tensor");
        const auto wr = static_cast<int>(w->size());
        if (wr == 5)
            throw OnnxUnsupportedError(prefix + "3-D " + what + " (weight " + list_text(*w) +
                                       ") is not supported; convscope computes 1-D and 2-D " + what + "s");
        if (wr != 3 && wr != 4)
            throw FormatError(prefix + "weight " + quoted(layer.weight_name) + " has shape " + list_text(*w) + "; a " +
                              n.op_type + " weight is " +
                              (n.op == OnnxOp::Conv ? "(M, C/group, kW) for 1-D or (M, C/group, kH, kW) for 2-D"
                                                    : "(C, M/group, kW) for 1-D or (C, M/group, kH, kW) for 2-D"));
        layer.dims = wr - 2;
        layer.weight_shape = *w;
        if (n.inputs.size() >= 3 && !n.inputs[2].empty()) {
            layer.bias_name = n.inputs[2];
            layer.bias_shape = constant_shape(m, layer.bias_name, feeds);
            if (!layer.bias_shape)
                throw FormatError(prefix + "the shape of bias " + quoted(layer.bias_name) +
                                  " is not known; give the graph input a tensor");
        }
        if (auto e = attribute_length_error(n, layer.dims); !e.empty()) throw FormatError(prefix + e);
        if (!n.kernel_shape.empty() && !std::equal(n.kernel_shape.begin(), n.kernel_shape.end(), w->begin() + 2))
            throw FormatError(prefix + "kernel_shape " + list_text(n.kernel_shape) + " does not match the weight " +
                              quoted(layer.weight_name) + " of shape " + list_text(*w));
    } else if (is_global(n.op)) {
        if (in_rank == 5)
            throw OnnxUnsupportedError(prefix + "3-D pooling (input " + list_text(input_shape) +
                                       ") is not supported; convscope computes 1-D and 2-D pooling");
        if (in_rank != 3 && in_rank != 4)
            throw FormatError(prefix + "input " + quoted(n.inputs[0]) + " has shape " + list_text(input_shape) + "; " +
                              n.op_type + " needs (N, C, L) or (N, C, H, W)");
        layer.dims = in_rank - 2;
    } else {
        layer.dims = n.dims;
    }
    const int dims = layer.dims;
    if (in_rank != dims + 2)
        throw FormatError(prefix + "input " + quoted(n.inputs[0]) + " has shape " + list_text(input_shape) + "; a " +
                          std::to_string(dims) + "-D " + n.op_type + " needs " +
                          (dims == 1 ? "(N, C, L)" : "(N, C, H, W)") + " (ONNX has no unbatched form)");
    const std::vector<int64_t> spatial(input_shape.begin() + 2, input_shape.end());

    if (n.op == OnnxOp::ConvTranspose) return resolve_conv_transpose(n, spatial, prefix, std::move(layer));
    if (n.op == OnnxOp::Conv) {
        const std::vector<int64_t> kernel(layer.weight_shape.begin() + 2, layer.weight_shape.end());
        ConvParams& p = layer.conv;
        p.dims = dims;
        p.stride = or_ones(n.strides, dims);
        p.dilation = or_ones(n.dilations, dims);
        p.padding_kind = PaddingKind::Explicit;
        p.groups = n.group;
        p.padding_mode = PaddingMode::Zeros;
        resolve_pads(n, dims, spatial, kernel, p.stride, p.dilation, p.pads_begin, p.pads_end, layer.notes);
        const ConvCheck c = conv_check(p, input_shape, layer.weight_shape, layer.bias_shape);
        if (!c.ok()) throw ConfigError(prefix + c.error);
        layer.conv_geometry = c.geometry;
        return layer;
    }

    PoolParams& p = layer.pool;
    p.dims = dims;
    const bool is_max = n.op == OnnxOp::MaxPool || n.op == OnnxOp::GlobalMaxPool;
    p.mode = is_max ? PoolMode::Max : PoolMode::Avg;
    if (is_global(n.op)) {
        p.kernel_size = spatial;
        p.stride = std::vector<int64_t>(static_cast<size_t>(dims), 1);
        p.pads_begin = p.pads_end = std::vector<int64_t>(static_cast<size_t>(dims), 0);
        p.count_include_pad = false;
        layer.notes.push_back(n.op_type + ": a " + (is_max ? "max" : "average") + " pool whose window is the whole " +
                              list_text(spatial) + " plane");
    } else {
        p.kernel_size = n.kernel_shape;
        p.stride = or_ones(n.strides, dims);  // ONNX's default stride is 1, PyTorch's is the kernel size
        p.dilation = is_max ? or_ones(n.dilations, dims) : std::vector<int64_t>{1};
        p.ceil_mode = n.ceil_mode != 0;
        p.count_include_pad = n.count_include_pad != 0;
        resolve_pads(n, dims, spatial, p.kernel_size, p.stride, or_ones(n.dilations, dims), p.pads_begin, p.pads_end,
                     layer.notes);
        if (n.op == OnnxOp::AveragePool) {
            const bool given = std::any_of(n.attributes.begin(), n.attributes.end(),
                                           [](const OnnxAttribute& a) { return a.name == "count_include_pad"; });
            layer.notes.push_back(
                std::string("count_include_pad=") + (p.count_include_pad ? "1" : "0") +
                (given ? " (set in the model)" : " (ONNX's default; PyTorch's nn.AvgPool default is True)") +
                (p.count_include_pad ? ": the divisor counts padding cells (never the ceil_mode overhang)"
                                     : ": the divisor counts only input cells, ONNX convention"));
        }
        if (n.op == OnnxOp::MaxPool && n.storage_order != 0)
            layer.notes.push_back("storage_order=1 affects only the Indices output, which is not computed");
    }
    const PoolCheck c = pool_check(p, input_shape);
    if (!c.ok()) throw ConfigError(prefix + c.error);
    layer.pool_geometry = c.geometry;
    if (p.ceil_mode) {
        const PoolGeometry& g = *c.geometry;
        for (int i = 0; i < dims; ++i) {
            const auto j = static_cast<size_t>(2 - dims + i);
            const int64_t span = g.in[j] + g.pad_begin[j] + g.pad_end[j] - g.dilation[j] * (g.kernel[j] - 1) - 1;
            const int64_t plain = (span + g.stride[j] - 1) / g.stride[j] + 1;  // ceil without the last-window rule
            if (span >= 0 && plain != g.out[j])
                layer.notes.push_back("ceil_mode=1: along spatial axis " + std::to_string(i) +
                                      " the last window would "
                                      "start in the right padding, so it is dropped (" +
                                      std::to_string(plain) + " -> " + std::to_string(g.out[j]) +
                                      " outputs), as PyTorch does");
        }
    }
    return layer;
}

}  // namespace convscope
