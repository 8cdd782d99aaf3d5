// Running ONNX layer nodes and whole graphs (layer nodes, Relu and the layout-only Identity / Squeeze / Unsqueeze)
// with the reference engine.
#include "conv_reference.hpp"
#include "conv_transpose_reference.hpp"
#include "onnx_detail.hpp"

namespace convscope {

using namespace onnx_detail;

namespace {

const Tensor& constant_value(const OnnxModel& m, const std::string& value, const OnnxFeeds& feeds,
                             const std::string& prefix, const char* role) {
    if (const OnnxInitializer* init = m.find_initializer(value)) {
        if (!init->value) throw FormatError(prefix + role + " " + quoted(value) + ": " + init->error);
        return *init->value;
    }
    if (auto it = feeds.find(value); it != feeds.end()) return it->second;
    throw FormatError(prefix + role + " " + quoted(value) + " has no value: it is a graph input that was not given");
}

}  // namespace

Tensor onnx_run_node(const OnnxModel& m, const OnnxNode& n, const Tensor& x, const OnnxFeeds& feeds,
                     OnnxLayer* layer_out) {
    OnnxLayer layer = onnx_resolve_node(m, n, x.shape, feeds);
    const std::string prefix = m.name + ": " + n.label() + ": ";
    Tensor y;
    if (layer.conv_geometry) {
        const Tensor& w = constant_value(m, layer.weight_name, feeds, prefix, "weight");
        const Tensor* b =
            layer.bias_name.empty() ? nullptr : &constant_value(m, layer.bias_name, feeds, prefix, "bias");
        if (w.shape != layer.weight_shape || (b && b->shape != *layer.bias_shape))
            throw FormatError(prefix + "weight or bias tensor does not have the shape the model declares");
        y = conv_reference(*layer.conv_geometry, x, w, b);
    } else if (layer.conv_transpose_geometry) {
        const Tensor& w = constant_value(m, layer.weight_name, feeds, prefix, "weight");
        const Tensor* b =
            layer.bias_name.empty() ? nullptr : &constant_value(m, layer.bias_name, feeds, prefix, "bias");
        if (w.shape != layer.weight_shape || (b && b->shape != *layer.bias_shape))
            throw FormatError(prefix + "weight or bias tensor does not have the shape the model declares");
        y = conv_transpose_reference(*layer.conv_transpose_geometry, x, w, b);
    } else {
        y = pool_reference(*layer.pool_geometry, x);
    }
    if (layer_out) *layer_out = std::move(layer);
    return y;
}

namespace {

bool is_helper_op(const OnnxNode& n) {
    return is_default_domain(n.domain) && (n.op_type == "Identity" || n.op_type == "Squeeze" ||
                                           n.op_type == "Unsqueeze" || n.op_type == "Relu" || n.op_type == "Constant");
}

std::string unsupported_op_text(const OnnxNode& n) {
    const std::string& t = n.op_type;
    std::string why;
    if (t == "ConvInteger" || t == "QLinearConv")
        why = "quantized convolution is not supported";
    else if (t == "MaxUnpool")
        why = "MaxUnpool (the inverse of MaxPool with indices) is not supported";
    else if (!is_default_domain(n.domain))
        why = "ops of domain " + quoted(n.domain) + " are not supported";
    else
        why = "op " + t + " is not supported";
    return why +
           "; convscope runs Conv, ConvTranspose, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool (1-D and "
           "2-D), Relu "
           "and the layout-only Identity, Squeeze, Unsqueeze";
}

// Axes of Squeeze/Unsqueeze: the attribute (opset < 13) or the second input (opset >= 13).
std::optional<std::vector<int64_t>> axes_of(const OnnxNode& n, const std::map<std::string, Tensor>& values,
                                            const std::string& prefix) {
    for (const OnnxAttribute& a : n.attributes)
        if (a.name == "axes") return a.ints;
    if (n.inputs.size() >= 2 && !n.inputs[1].empty()) {
        auto it = values.find(n.inputs[1]);
        if (it == values.end()) throw FormatError(prefix + "axes " + quoted(n.inputs[1]) + " has no value");
        std::vector<int64_t> axes;
        for (float v : it->second.data) axes.push_back(static_cast<int64_t>(v));
        return axes;
    }
    return std::nullopt;
}

Tensor run_layout_op(const OnnxNode& n, const Tensor& x, const std::map<std::string, Tensor>& values,
                     const std::string& prefix) {
    if (n.op_type == "Identity") return x;
    if (n.op_type == "Relu") return relu(x);
    const std::optional<std::vector<int64_t>> axes = axes_of(n, values, prefix);
    const auto r = static_cast<int64_t>(x.shape.size());
    Shape shape;
    if (n.op_type == "Unsqueeze") {
        if (!axes) throw FormatError(prefix + "Unsqueeze needs axes");
        const int64_t out_rank = r + static_cast<int64_t>(axes->size());
        if (out_rank > kMaxRank)
            throw OnnxUnsupportedError(prefix + "the result would have rank " + std::to_string(out_rank) +
                                       "; convscope's tensors have at most 5");
        std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
        for (int64_t a : *axes) {
            const int64_t k = a < 0 ? a + out_rank : a;
            if (k < 0 || k >= out_rank || is_new[static_cast<size_t>(k)])
                throw FormatError(prefix + "axes " + list_text(*axes) + " are invalid for an input of rank " +
                                  std::to_string(r));
            is_new[static_cast<size_t>(k)] = true;
        }
        size_t src = 0;
        for (int64_t k = 0; k < out_rank; ++k) shape.push_back(is_new[static_cast<size_t>(k)] ? 1 : x.shape[src++]);
    } else {  // Squeeze
        std::vector<bool> drop(static_cast<size_t>(r), false);
        if (!axes) {
            for (int64_t k = 0; k < r; ++k) drop[static_cast<size_t>(k)] = x.shape[static_cast<size_t>(k)] == 1;
        } else {
            for (int64_t a : *axes) {
                const int64_t k = a < 0 ? a + r : a;
                if (k < 0 || k >= r || x.shape[static_cast<size_t>(k)] != 1)
                    throw FormatError(prefix + "cannot squeeze axes " + list_text(*axes) + " of shape " +
                                      list_text(x.shape));
                drop[static_cast<size_t>(k)] = true;
            }
        }
        for (int64_t k = 0; k < r; ++k)
            if (!drop[static_cast<size_t>(k)]) shape.push_back(x.shape[static_cast<size_t>(k)]);
    }
    return Tensor(shape, x.data);
}

}  // namespace

std::string onnx_graph_problem(const OnnxModel& m, bool* unsupported) {
    if (unsupported) *unsupported = false;
    for (const OnnxNode& n : m.nodes) {
        if (onnx_is_layer(n.op)) {
            if (!n.problem.empty() && !n.problem_is_for_declared_input) {
                if (unsupported) *unsupported = n.unsupported;
                return n.label() + ": " + n.problem;
            }
        } else if (!is_helper_op(n)) {
            if (unsupported) *unsupported = true;
            return n.label() + ": " + unsupported_op_text(n);
        }
    }
    if (m.nodes.empty()) return "the graph has no nodes";
    return {};
}

std::map<std::string, Tensor> onnx_run_graph(const OnnxModel& m, const OnnxFeeds& feeds,
                                             std::vector<std::pair<const OnnxNode*, OnnxLayer>>* layers) {
    bool unsupported = false;
    if (std::string why = onnx_graph_problem(m, &unsupported); !why.empty()) {
        if (unsupported) throw OnnxUnsupportedError(m.name + ": " + why);
        throw FormatError(m.name + ": " + why);
    }
    std::map<std::string, Tensor> values = feeds;
    for (const OnnxValueInfo* in : m.runtime_inputs())
        if (!values.count(in->name)) throw FormatError(m.name + ": graph input " + quoted(in->name) + " was not given");
    for (const OnnxInitializer& init : m.initializers)
        if (init.value && !values.count(init.name)) values[init.name] = *init.value;
    for (const OnnxNode& n : m.nodes) {
        const std::string prefix = m.name + ": " + n.label() + ": ";
        if (n.op_type == "Constant" && !onnx_is_layer(n.op)) {
            const OnnxInitializer* init = m.find_initializer(n.outputs.empty() ? "" : n.outputs[0]);
            if (!init) throw OnnxUnsupportedError(prefix + "only Constant nodes with a tensor `value` are supported");
            if (!init->value) throw FormatError(prefix + init->error);
            continue;
        }
        if (n.inputs.empty() || n.outputs.empty() || n.outputs[0].empty())
            throw FormatError(prefix + "needs an input and an output");
        auto it = values.find(n.inputs[0]);
        if (it == values.end())
            throw FormatError(prefix + "input " + quoted(n.inputs[0]) +
                              " has no value (not a graph input, initializer or output of an earlier node)");
        if (onnx_is_layer(n.op)) {
            OnnxLayer layer;
            Tensor y = onnx_run_node(m, n, it->second, values, &layer);
            values[n.outputs[0]] = std::move(y);
            if (layers) layers->emplace_back(&n, std::move(layer));
        } else {
            Tensor y = run_layout_op(n, it->second, values, prefix);
            values[n.outputs[0]] = std::move(y);
        }
    }
    return values;
}

}  // namespace convscope
