// Reading ONNX models with protobuf: every node with its attributes, the layer nodes' attributes parsed with ONNX's
// defaults and checked as far as possible without an input size. See onnx_model.hpp for the contract; the other
// concerns live beside this file (onnx_detail.hpp lists them).
//
// Sections:
//   1. Attributes: printing them, reading them with their ONNX types
//   2. Layer nodes: parsing attributes, the checks that need no input size
//   3. Loading a model
#include "onnx_model.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <set>

#include "onnx_detail.hpp"

namespace convscope {

using namespace onnx_detail;

// ---------------------------------------------------------------------------------------------------------------
// 1. Attributes
// ---------------------------------------------------------------------------------------------------------------
namespace {

using AttrType = onnx::AttributeProto::AttributeType;

// The attribute's type; models from IR version 1 may leave `type` unset, so infer it from the field that is set.
AttrType attribute_type(const onnx::AttributeProto& a) {
    if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
    if (a.ints_size() > 0) return onnx::AttributeProto::INTS;
    if (a.floats_size() > 0) return onnx::AttributeProto::FLOATS;
    if (a.strings_size() > 0) return onnx::AttributeProto::STRINGS;
    if (a.has_i()) return onnx::AttributeProto::INT;
    if (a.has_f()) return onnx::AttributeProto::FLOAT;
    if (a.has_s()) return onnx::AttributeProto::STRING;
    if (a.has_t()) return onnx::AttributeProto::TENSOR;
    if (a.has_g()) return onnx::AttributeProto::GRAPH;
    return onnx::AttributeProto::UNDEFINED;
}

std::string attribute_type_name(AttrType t) {
    const std::string& n = onnx::AttributeProto::AttributeType_Name(t);
    return n.empty() ? "UNKNOWN(" + std::to_string(static_cast<int>(t)) + ")" : n;
}

std::string float_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string attribute_text(const onnx::AttributeProto& a) {
    auto join = [](const auto& items, auto fn) {
        std::string s = "[";
        bool first = true;
        for (const auto& x : items) {
            if (!first) s += ", ";
            first = false;
            s += fn(x);
            if (s.size() > 200) return s + ", ...]";
        }
        return s + "]";
    };
    if (!a.ref_attr_name().empty()) return "(refers to function attribute " + quoted(a.ref_attr_name()) + ")";
    switch (attribute_type(a)) {
        case onnx::AttributeProto::INT:
            return std::to_string(a.i());
        case onnx::AttributeProto::FLOAT:
            return float_text(a.f());
        case onnx::AttributeProto::STRING:
            return "\"" + quoted(a.s()).substr(1, quoted(a.s()).size() - 2) + "\"";
        case onnx::AttributeProto::INTS:
            return join(a.ints(), [](int64_t v) { return std::to_string(v); });
        case onnx::AttributeProto::FLOATS:
            return join(a.floats(), [](float v) { return float_text(v); });
        case onnx::AttributeProto::STRINGS:
            return join(a.strings(), [](const std::string& v) { return quoted(v); });
        case onnx::AttributeProto::TENSOR: {
            std::vector<int64_t> dims(a.t().dims().begin(), a.t().dims().end());
            return "tensor " + onnx_data_type_name(a.t().data_type()) + " " + list_text(dims);
        }
        case onnx::AttributeProto::GRAPH:
            return "graph " + quoted(a.g().name()) + " (" + std::to_string(a.g().node_size()) + " nodes)";
        default:
            return "(" + attribute_type_name(attribute_type(a)) + ")";
    }
}

// Typed access for the layer attributes. Each throws FormatError (without the node prefix) on a wrong type.
struct AttrReader {
    const onnx::NodeProto& node;

    const onnx::AttributeProto* find(const char* name) const {
        for (const auto& a : node.attribute())
            if (a.name() == name) return &a;
        return nullptr;
    }
    void expect(const onnx::AttributeProto& a, AttrType want, const char* what) const {
        if (!a.ref_attr_name().empty())
            throw OnnxUnsupportedError("attribute " + quoted(a.name()) +
                                       " refers to a function attribute; convscope reads plain graphs only");
        const AttrType got = attribute_type(a);
        if (got != want)
            throw FormatError("attribute " + quoted(a.name()) + " must be " + what + " (" + attribute_type_name(want) +
                              "), but the model gives " + attribute_type_name(got));
    }
    std::vector<int64_t> ints(const char* name) const {
        const onnx::AttributeProto* a = find(name);
        if (!a) return {};
        expect(*a, onnx::AttributeProto::INTS, "a list of integers");
        return {a->ints().begin(), a->ints().end()};
    }
    std::optional<int64_t> integer(const char* name) const {
        const onnx::AttributeProto* a = find(name);
        if (!a) return std::nullopt;
        expect(*a, onnx::AttributeProto::INT, "an integer");
        return a->i();
    }
    std::optional<std::string> string(const char* name) const {
        const onnx::AttributeProto* a = find(name);
        if (!a) return std::nullopt;
        expect(*a, onnx::AttributeProto::STRING, "a string");
        return a->s();
    }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 2. Layer nodes
// ---------------------------------------------------------------------------------------------------------------

namespace {

OnnxOp op_of(const std::string& op_type, const std::string& domain) {
    if (!is_default_domain(domain)) return OnnxOp::Other;
    if (op_type == "Conv") return OnnxOp::Conv;
    if (op_type == "ConvTranspose") return OnnxOp::ConvTranspose;
    if (op_type == "MaxPool") return OnnxOp::MaxPool;
    if (op_type == "AveragePool") return OnnxOp::AveragePool;
    if (op_type == "GlobalMaxPool") return OnnxOp::GlobalMaxPool;
    if (op_type == "GlobalAveragePool") return OnnxOp::GlobalAveragePool;
    return OnnxOp::Other;
}

// Reads the layer attributes into `n` (ONNX defaults for absent ones). Throws FormatError / OnnxUnsupportedError.
void parse_layer_attributes(const onnx::NodeProto& proto, OnnxNode& n) {
    std::set<std::string> seen;
    for (const auto& a : proto.attribute())
        if (!seen.insert(a.name()).second) throw FormatError("attribute " + quoted(a.name()) + " is given twice");
    std::set<std::string> known;
    switch (n.op) {
        case OnnxOp::Conv:
            known = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};
            break;
        case OnnxOp::ConvTranspose:
            known = {"auto_pad",       "dilations",    "group", "kernel_shape",
                     "output_padding", "output_shape", "pads",  "strides"};
            break;
        case OnnxOp::MaxPool:
            known = {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"};
            break;
        case OnnxOp::AveragePool:
            known = {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"};
            break;
        default:
            break;
    }
    for (const auto& a : proto.attribute())
        if (!known.count(a.name()))
            throw OnnxUnsupportedError("attribute " + quoted(a.name()) + " is not one convscope knows for " +
                                       n.op_type + " (it could change what the node computes)");
    if (is_global(n.op)) return;

    const AttrReader r{proto};
    if (auto s = r.string("auto_pad")) {
        if (*s == "NOTSET" || s->empty())
            n.auto_pad = OnnxAutoPad::NotSet;
        else if (*s == "SAME_UPPER")
            n.auto_pad = OnnxAutoPad::SameUpper;
        else if (*s == "SAME_LOWER")
            n.auto_pad = OnnxAutoPad::SameLower;
        else if (*s == "VALID")
            n.auto_pad = OnnxAutoPad::Valid;
        else
            throw FormatError("auto_pad " + quoted(*s) + " is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
    }
    n.kernel_shape = r.ints("kernel_shape");
    n.pads = r.ints("pads");
    n.strides = r.ints("strides");
    n.dilations = r.ints("dilations");
    if (r.find("pads") && n.auto_pad != OnnxAutoPad::NotSet)
        throw FormatError("pads " + list_text(n.pads) + " is given together with auto_pad " +
                          onnx_auto_pad_name(n.auto_pad) + "; ONNX allows pads only with auto_pad NOTSET");
    auto flag = [&](const char* name, int64_t& out) {
        if (auto v = r.integer(name)) {
            if (*v != 0 && *v != 1) throw FormatError(std::string(name) + " must be 0 or 1, got " + std::to_string(*v));
            out = *v;
        }
    };
    if (n.op == OnnxOp::ConvTranspose) {
        n.output_padding = r.ints("output_padding");
        n.output_shape_attr = r.ints("output_shape");
    }
    if (n.op == OnnxOp::Conv || n.op == OnnxOp::ConvTranspose) {
        if (auto g = r.integer("group")) n.group = *g;
    } else {
        flag("ceil_mode", n.ceil_mode);
        if (n.op == OnnxOp::AveragePool) flag("count_include_pad", n.count_include_pad);
        if (n.op == OnnxOp::MaxPool) flag("storage_order", n.storage_order);
    }
}

}  // namespace

std::string onnx_detail::attribute_length_error(const OnnxNode& n, int dims) {
    const auto d = static_cast<size_t>(dims);
    const std::string dd = std::to_string(dims) + "-D " + n.op_type;
    if (!n.kernel_shape.empty() && n.kernel_shape.size() != d)
        return "kernel_shape " + list_text(n.kernel_shape) + " has " + std::to_string(n.kernel_shape.size()) +
               " values; a " + dd + " needs " + std::to_string(dims);
    if (!n.strides.empty() && n.strides.size() != d)
        return "strides " + list_text(n.strides) + " has " + std::to_string(n.strides.size()) + " values; a " + dd +
               " needs " + std::to_string(dims);
    if (!n.dilations.empty() && n.dilations.size() != d)
        return "dilations " + list_text(n.dilations) + " has " + std::to_string(n.dilations.size()) + " values; a " +
               dd + " needs " + std::to_string(dims);
    if (!n.pads.empty() && n.pads.size() != 2 * d)
        return "pads " + list_text(n.pads) + " has " + std::to_string(n.pads.size()) + " values; a " + dd + " needs " +
               std::to_string(2 * dims) + (dims == 1 ? " [x1_begin, x1_end]" : " [x1_begin, x2_begin, x1_end, x2_end]");
    if (!n.output_padding.empty() && n.output_padding.size() != d)
        return "output_padding " + list_text(n.output_padding) + " has " + std::to_string(n.output_padding.size()) +
               " values; a " + dd + " needs " + std::to_string(dims);
    if (!n.output_shape_attr.empty() && n.output_shape_attr.size() != d)
        return "output_shape " + list_text(n.output_shape_attr) + " has " + std::to_string(n.output_shape_attr.size()) +
               " values; a " + dd + " needs " + std::to_string(dims) + " (the spatial sizes)";
    return {};
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Loading a model
// ---------------------------------------------------------------------------------------------------------------

std::optional<Shape> OnnxValueInfo::shape() const {
    if (!has_shape) return std::nullopt;
    for (int64_t d : dims)
        if (d < 0) return std::nullopt;
    return Shape(dims.begin(), dims.end());
}

std::string OnnxValueInfo::shape_text() const {
    if (!has_shape) return "?";
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += dims[i] >= 0 ? std::to_string(dims[i]) : (dim_names[i].empty() ? "?" : dim_names[i]);
    }
    return s + "]";
}

const OnnxInitializer* OnnxModel::find_initializer(const std::string& value_name) const {
    for (const OnnxInitializer& i : initializers)
        if (i.name == value_name) return &i;
    return nullptr;
}

const OnnxValueInfo* OnnxModel::find_value_info(const std::string& value_name) const {
    for (const auto* list : {&inputs, &value_info, &outputs})
        for (const OnnxValueInfo& v : *list)
            if (v.name == value_name) return &v;
    return nullptr;
}

const OnnxNode* OnnxModel::producer_of(const std::string& value_name) const {
    for (const OnnxNode& n : nodes)
        for (const std::string& o : n.outputs)
            if (!o.empty() && o == value_name) return &n;
    return nullptr;
}

std::vector<const OnnxValueInfo*> OnnxModel::runtime_inputs() const {
    std::vector<const OnnxValueInfo*> out;
    for (const OnnxValueInfo& v : inputs)
        if (!v.is_initializer) out.push_back(&v);
    return out;
}

std::vector<const OnnxNode*> OnnxModel::usable_layers() const {
    std::vector<const OnnxNode*> out;
    for (const OnnxNode& n : nodes)
        if (onnx_is_layer(n.op) && n.problem.empty()) out.push_back(&n);
    return out;
}

namespace {

OnnxValueInfo value_info_of(const onnx::ValueInfoProto& v) {
    OnnxValueInfo info;
    info.name = v.name();
    if (v.has_type() && v.type().has_tensor_type()) {
        const auto& tt = v.type().tensor_type();
        if (tt.has_elem_type()) info.data_type = onnx_data_type_name(tt.elem_type());
        if (tt.has_shape()) {
            info.has_shape = true;
            for (const auto& d : tt.shape().dim()) {
                info.dims.push_back(d.has_dim_value() && d.dim_value() >= 0 ? d.dim_value() : -1);
                info.dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
            }
        }
    }
    return info;
}

OnnxInitializer initializer_of(const onnx::TensorProto& t, bool from_constant) {
    OnnxInitializer init;
    init.name = t.name();
    init.data_type = onnx_data_type_name(t.data_type());
    init.shape.assign(t.dims().begin(), t.dims().end());
    init.from_constant_node = from_constant;
    OnnxTensorInfo info;
    try {
        init.value = decode_tensor(t, info);
        init.notices = std::move(info.notices);
    } catch (const FormatError& e) {
        init.error = e.what();
    } catch (const std::bad_alloc&) {
        init.error = "not enough memory to convert it to float32";
    }
    return init;
}

bool is_external(const onnx::TensorProto& t) {
    return t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0;
}

// Where a weight or bias input comes from; "" when the engine can use it, else why not. `shape` is set when known.
std::string constant_input_problem(const OnnxModel& m, const std::set<std::string>& sparse, const std::string& value,
                                   const char* role, std::optional<Shape>& shape) {
    const std::string what = std::string(role) + " " + quoted(value);
    if (const OnnxInitializer* init = m.find_initializer(value)) {
        if (!init->error.empty()) return what + ": " + init->error;
        shape = init->shape;
        return {};
    }
    if (sparse.count(value)) return what + " is a sparse initializer; convscope reads dense initializers only";
    for (const OnnxValueInfo& in : m.inputs)
        if (in.name == value) {
            shape = in.shape();
            return {};  // a graph input: given at run time
        }
    if (const OnnxNode* p = m.producer_of(value))
        return what + " is computed at runtime by node " + p->label() +
               ", not stored as an initializer; convscope needs constant weights";
    return what + " is not defined in the graph (no initializer, graph input or node output has this name)";
}

// Checks of a layer node that need no input size. Sets n.problem / n.unsupported / n.dims.
void check_layer_node(const OnnxModel& m, const std::set<std::string>& sparse, OnnxNode& n) {
    auto fail = [&](std::string why, bool unsupported) {
        n.problem = std::move(why);
        n.unsupported = unsupported;
    };
    auto count = [](const std::vector<std::string>& v) {
        size_t c = v.size();
        while (c > 0 && v[c - 1].empty()) --c;  // trailing omitted optional values
        return c;
    };
    const size_t n_in = count(n.inputs), n_out = count(n.outputs);
    const bool conv_like = n.op == OnnxOp::Conv || n.op == OnnxOp::ConvTranspose;
    if (conv_like) {
        if (n_in < 2 || n_in > 3 || n.inputs[0].empty() || n.inputs[1].empty())
            return fail(n.op_type + " takes inputs X, W and an optional B, but the node has " + std::to_string(n_in),
                        false);
    } else if (n_in != 1 || n.inputs[0].empty()) {
        return fail(n.op_type + " takes one input X, but the node has " + std::to_string(n_in), false);
    }
    if (n_out == 0 || n.outputs[0].empty()) return fail(n.op_type + " has no output Y", false);
    if (n_out > 1) {
        if (n.op == OnnxOp::MaxPool && n_out == 2)
            return fail("MaxPool's second output Indices (the argmax, in " +
                            std::string(n.storage_order ? "column" : "row") +
                            "-major order) is not computed by convscope",
                        true);
        return fail(n.op_type + " has " + std::to_string(n_out) + " outputs; ONNX defines one", false);
    }
    if (is_global(n.op)) return;  // dims come from the input

    if (conv_like) {
        const std::string what = n.op == OnnxOp::Conv ? "convolution" : "transposed convolution";
        std::optional<Shape> wshape, bshape;
        if (auto e = constant_input_problem(m, sparse, n.inputs[1], "weight", wshape); !e.empty())
            return fail(e, false);
        if (n_in == 3)
            if (auto e = constant_input_problem(m, sparse, n.inputs[2], "bias", bshape); !e.empty())
                return fail(e, false);
        if (wshape) {
            const auto r = static_cast<int>(wshape->size());
            if (r == 5)
                return fail("3-D " + what + " (weight " + quoted(n.inputs[1]) + " " + list_text(*wshape) +
                                ") is not supported; convscope computes 1-D and 2-D " + what + "s",
                            true);
            if (r != 3 && r != 4)
                return fail("weight " + quoted(n.inputs[1]) + " has shape " + list_text(*wshape) + "; a " + n.op_type +
                                " weight is " +
                                (n.op == OnnxOp::Conv ? "(M, C/group, kW) for 1-D or (M, C/group, kH, kW) for 2-D"
                                                      : "(C, M/group, kW) for 1-D or (C, M/group, kH, kW) for 2-D"),
                            false);
            n.dims = r - 2;
            if (!n.kernel_shape.empty() && n.kernel_shape.size() == static_cast<size_t>(n.dims) &&
                !std::equal(n.kernel_shape.begin(), n.kernel_shape.end(), wshape->begin() + 2))
                return fail("kernel_shape " + list_text(n.kernel_shape) + " does not match the weight " +
                                quoted(n.inputs[1]) + " of shape " + list_text(*wshape),
                            false);
        } else if (!n.kernel_shape.empty()) {
            n.dims = static_cast<int>(n.kernel_shape.size());
            if (n.dims == 3)
                return fail("3-D " + what + " (kernel_shape " + list_text(n.kernel_shape) +
                                ") is not supported; convscope computes 1-D and 2-D " + what + "s",
                            true);
        }
    } else {
        if (n.kernel_shape.empty()) return fail(n.op_type + " needs the kernel_shape attribute", false);
        n.dims = static_cast<int>(n.kernel_shape.size());
        if (n.dims == 3)
            return fail("3-D pooling (kernel_shape " + list_text(n.kernel_shape) +
                            ") is not supported; convscope computes 1-D and 2-D pooling",
                        true);
        if (n.dims != 1 && n.dims != 2)
            return fail("kernel_shape " + list_text(n.kernel_shape) + " has " + std::to_string(n.dims) +
                            " values; convscope computes 1-D and 2-D pooling",
                        n.dims > 3);
        if (n.op == OnnxOp::AveragePool)
            for (int64_t d : n.dilations)
                if (d != 1)
                    return fail("AveragePool with dilations " + list_text(n.dilations) +
                                    " is not supported (PyTorch's avg_pool has no dilation)",
                                true);
    }
    if (n.dims == 1 || n.dims == 2)
        if (auto e = attribute_length_error(n, n.dims); !e.empty()) return fail(e, false);
    if (n.op == OnnxOp::Conv) {
        // What conv_check says for every input shape, in its order: the node is refused here, with the engine's
        // text, whether or not the graph declares an input shape (onnx-list and the window give one verdict).
        // onnx_resolve_node runs conv_check again for its input shape and throws its ConfigError.
        n.problem_is_for_declared_input = true;
        for (int64_t p : n.pads)
            if (p < 0) return fail("negative padding is not supported", false);
        for (int64_t st : n.strides)
            if (st <= 0) return fail("non-positive stride is not supported", false);
        n.problem_is_for_declared_input = false;
    }
}

constexpr int kProtobufRecursionLimit = 100;  // protobuf's default, which ParseFromArray applies

// True when the bytes are a valid model once the recursion limit is raised (to a depth still safe for an 8 MiB
// stack): the parse failed on nesting alone, not on truncated or foreign bytes.
bool parses_only_with_deeper_nesting(std::span<const uint8_t> bytes) {
    google::protobuf::io::CodedInputStream in(bytes.data(), static_cast<int>(bytes.size()));
    in.SetRecursionLimit(1000);
    onnx::ModelProto deeper;
    return deeper.ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace

OnnxModel onnx_parse(std::span<const uint8_t> bytes, const std::string& name, uint64_t max_bytes) {
    if (bytes.size() > max_bytes) throw FormatError(too_large_text(name, bytes.size(), max_bytes));
    if (bytes.size() > static_cast<size_t>(INT_MAX))
        throw FormatError(too_large_text(name, bytes.size(), static_cast<uint64_t>(INT_MAX)));
    if (bytes.empty()) throw FormatError(name + ": not a valid ONNX model (the file is empty)");
    auto invalid = [&](const std::string& why) { return FormatError(name + ": not a valid ONNX model (" + why + ")"); };

    onnx::ModelProto proto;
    // ParseFromArray uses protobuf's default recursion limit (100), so deeply nested graphs fail cleanly.
    if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        if (parses_only_with_deeper_nesting(bytes))
            throw invalid("its messages nest deeper than protobuf's recursion limit of " +
                          std::to_string(kProtobufRecursionLimit) +
                          " (subgraphs of If/Loop/Scan nodes inside each other); convscope keeps that limit to read "
                          "untrusted files safely and reads models nested less deeply");
        const bool png = bytes.size() >= 4 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G';
        throw invalid(std::string("protobuf parse failed; ") +
                      (png ? "this is a PNG image" : "is the file truncated, or not an .onnx file?"));
    }
    if (!proto.has_graph()) throw invalid("it has no graph; is the file truncated, or not an .onnx file?");
    if (proto.ir_version() <= 0)
        throw invalid("ir_version is " + std::to_string(proto.ir_version()) + "; is the file an .onnx model?");
    if (proto.ir_version() >= 3 && proto.opset_import_size() == 0)
        throw invalid("ir_version " + std::to_string(proto.ir_version()) +
                      " needs opset_import, which is missing; is the file truncated?");

    OnnxModel m;
    m.name = name;
    m.ir_version = proto.ir_version();
    for (const auto& o : proto.opset_import()) m.opsets.emplace_back(o.domain(), o.version());
    m.producer_name = proto.producer_name();
    m.producer_version = proto.producer_version();
    const onnx::GraphProto& g = proto.graph();
    m.graph_name = g.name();

    // External data first: refused outright, and no path is ever opened.
    for (const auto& t : g.initializer())
        if (is_external(t))
            throw FormatError(name + ": " + kExternalDataText + " (initializer " + quoted(t.name()) + ")");
    for (const auto& n : g.node())
        for (const auto& a : n.attribute())
            if (a.has_t() && is_external(a.t()))
                throw FormatError(name + ": " + kExternalDataText + " (attribute " + quoted(a.name()) + " of node " +
                                  quoted(n.name()) + ")");

    try {
        std::set<std::string> init_names, sparse;
        for (const auto& t : g.initializer()) {
            m.initializers.push_back(initializer_of(t, false));
            init_names.insert(t.name());
        }
        for (const auto& s : g.sparse_initializer()) sparse.insert(s.values().name());
        for (const auto& v : g.input()) {
            m.inputs.push_back(value_info_of(v));
            m.inputs.back().is_initializer = init_names.count(v.name()) > 0;
        }
        for (const auto& v : g.output()) m.outputs.push_back(value_info_of(v));
        for (const auto& v : g.value_info()) m.value_info.push_back(value_info_of(v));

        std::vector<const onnx::NodeProto*> protos;
        for (const auto& np : g.node()) {
            OnnxNode n;
            n.index = static_cast<int>(m.nodes.size());
            n.name = np.name();
            n.op_type = np.op_type();
            n.domain = np.domain();
            n.op = op_of(n.op_type, n.domain);
            n.inputs.assign(np.input().begin(), np.input().end());
            n.outputs.assign(np.output().begin(), np.output().end());
            for (const auto& a : np.attribute()) {
                OnnxAttribute attr{a.name(), attribute_type_name(attribute_type(a)), attribute_text(a), {}};
                if (attribute_type(a) == onnx::AttributeProto::INTS) attr.ints.assign(a.ints().begin(), a.ints().end());
                if (attribute_type(a) == onnx::AttributeProto::INT) attr.ints.push_back(a.i());
                n.attributes.push_back(std::move(attr));
            }
            if (n.op_type == "Constant" && is_default_domain(n.domain) && np.output_size() == 1) {
                const onnx::AttributeProto* value = AttrReader{np}.find("value");
                if (value && attribute_type(*value) == onnx::AttributeProto::TENSOR) {
                    onnx::TensorProto t = value->t();
                    t.set_name(np.output(0));
                    m.initializers.push_back(initializer_of(t, true));
                }
            }
            m.nodes.push_back(std::move(n));
            protos.push_back(&np);
        }
        for (size_t i = 0; i < m.nodes.size(); ++i) {
            OnnxNode& n = m.nodes[i];
            if (!onnx_is_layer(n.op)) continue;
            try {
                parse_layer_attributes(*protos[i], n);
            } catch (const OnnxUnsupportedError& e) {
                n.problem = e.what();
                n.unsupported = true;
                continue;
            } catch (const FormatError& e) {
                n.problem = e.what();
                continue;
            }
            check_layer_node(m, sparse, n);
        }
        // Layer nodes whose input shape the graph declares: resolve them now, so a listing shows output shapes and
        // configurations that cannot work for the declared input.
        for (OnnxNode& n : m.nodes) {
            if (!onnx_is_layer(n.op) || !n.problem.empty()) continue;
            const OnnxValueInfo* vi = m.find_value_info(n.inputs[0]);
            const std::optional<Shape> in = vi ? vi->shape() : std::nullopt;
            if (!in) continue;
            try {
                OnnxLayer layer = onnx_resolve_node(m, n, *in);
                n.input_shape = in;
                n.output_shape = layer.output_shape();
            } catch (const OnnxUnsupportedError& e) {
                n.unsupported = true;
                n.problem = e.what();
            } catch (const ConfigError& e) {
                n.problem = e.what();
                n.problem_is_for_declared_input = true;
            } catch (const Error& e) {
                n.problem = e.what();
            }
            if (!n.problem.empty()) {
                // Keep the problem without the "<model>: <node>: " prefix resolve adds; it is added when thrown.
                const std::string prefix = m.name + ": " + n.label() + ": ";
                if (n.problem.rfind(prefix, 0) == 0) n.problem = n.problem.substr(prefix.size());
            }
        }
    } catch (const std::bad_alloc&) {
        throw IoError(name + ": not enough memory to load the model");
    }
    return m;
}

OnnxModel onnx_load(const std::string& path, uint64_t max_bytes) {
    const std::vector<uint8_t> bytes = read_capped(path, max_bytes, "an .onnx model");
    return onnx_parse(bytes, path, max_bytes);
}

void onnx_require_usable_layer(const OnnxModel& m) {
    if (!m.usable_layers().empty()) return;
    std::vector<const OnnxNode*> layers;
    for (const OnnxNode& n : m.nodes)
        if (onnx_is_layer(n.op)) layers.push_back(&n);
    if (layers.empty()) {
        std::map<std::string, int> counts;
        for (const OnnxNode& n : m.nodes) ++counts[(is_default_domain(n.domain) ? "" : n.domain + ".") + n.op_type];
        std::string there;
        for (const auto& [op, c] : counts) there += (there.empty() ? "" : ", ") + op + " x" + std::to_string(c);
        throw FormatError(m.name + ": no Conv, MaxPool or AveragePool node in the graph; it has " +
                          (there.empty() ? std::string("no nodes at all") : there));
    }
    std::string why;
    for (const OnnxNode* n : layers) why += "\n  " + n->label() + ": " + n->problem;
    throw FormatError(m.name + ": no Conv, MaxPool or AveragePool node convscope can run:" + why);
}

}  // namespace convscope
