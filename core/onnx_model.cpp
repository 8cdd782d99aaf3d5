// Reading ONNX models with protobuf and mapping their layer nodes onto the engine. See onnx_model.hpp for the
// contract and the mapping rules.
//
// Sections:
//   1. Small helpers: number text, names, reading a file with a size cap
//   2. TensorProto → float32 Tensor
//   3. Attributes: printing them, reading them with their ONNX types
//   4. Layer nodes: parsing attributes, the checks that need no input size
//   5. Loading a model
//   6. Resolving a node for an input shape (auto_pad, pads, conv_check / pool_check)
//   7. Running nodes and graphs
#include "onnx_model.hpp"

#include "file_io.hpp"

#include <fcntl.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "conv_reference.hpp"

namespace convscope {

// ---------------------------------------------------------------------------------------------------------------
// 1. Small helpers
// ---------------------------------------------------------------------------------------------------------------
namespace {

// 268435456 -> "268,435,456"
std::string grouped(uint64_t v) {
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string list_text(const std::vector<int64_t>& v) { return shape_to_string(v); }

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
        if (out.size() > 80) return out + "...'";
    }
    return out + "'";
}

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }




std::string too_large_text(const std::string& name, uint64_t size, uint64_t max_bytes) {
    return name + " is " + grouped(size) + " bytes; convscope reads ONNX files of at most " + grouped(max_bytes) +
           " bytes (" + grouped(max_bytes >> 20) + " MiB)";
}

// A regular file of at most max_bytes (file_io's rules), with ONNX's own "too large" text.
std::vector<uint8_t> read_capped(const std::string& path, uint64_t max_bytes, const char* kind) {
    return read_regular_file(path, kind, max_bytes);
}

}  // namespace

std::string onnx_data_type_name(int data_type) {
    static const char* const names[] = {"UNDEFINED", "FLOAT",  "UINT8",  "INT8",      "UINT16",     "INT16",
                                        "INT32",     "INT64",  "STRING", "BOOL",      "FLOAT16",    "DOUBLE",
                                        "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    if (data_type >= 0 && data_type < static_cast<int>(std::size(names))) return names[data_type];
    return "UNKNOWN(" + std::to_string(data_type) + ")";
}

const char* onnx_auto_pad_name(OnnxAutoPad pad) {
    switch (pad) {
        case OnnxAutoPad::NotSet: return "NOTSET";
        case OnnxAutoPad::SameUpper: return "SAME_UPPER";
        case OnnxAutoPad::SameLower: return "SAME_LOWER";
        case OnnxAutoPad::Valid: return "VALID";
    }
    return "?";
}

bool onnx_is_layer(OnnxOp op) { return op != OnnxOp::Other; }

// ---------------------------------------------------------------------------------------------------------------
// 2. TensorProto → float32 Tensor
// ---------------------------------------------------------------------------------------------------------------
namespace {

constexpr const char* kExternalDataText = "this model stores weights in external files; not supported";

float half_to_float(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {  // zero or subnormal: mant * 2^-24
        const float v = std::ldexp(static_cast<float>(mant), -24);
        return sign ? -v : v;
    }
    if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf / NaN
    return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

float bfloat16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint64_t load_le(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
}

enum class Field { Float, Int32, Int64, Double, Uint64 };

struct ElementType {
    size_t itemsize = 0;
    Field field = Field::Float;
    const char* field_name = "";
};

std::optional<ElementType> element_type(int dt) {
    using TP = onnx::TensorProto;
    switch (dt) {
        case TP::FLOAT: return ElementType{4, Field::Float, "float_data"};
        case TP::DOUBLE: return ElementType{8, Field::Double, "double_data"};
        case TP::FLOAT16: return ElementType{2, Field::Int32, "int32_data"};
        case TP::BFLOAT16: return ElementType{2, Field::Int32, "int32_data"};
        case TP::INT8: return ElementType{1, Field::Int32, "int32_data"};
        case TP::UINT8: return ElementType{1, Field::Int32, "int32_data"};
        case TP::INT16: return ElementType{2, Field::Int32, "int32_data"};
        case TP::UINT16: return ElementType{2, Field::Int32, "int32_data"};
        case TP::INT32: return ElementType{4, Field::Int32, "int32_data"};
        case TP::BOOL: return ElementType{1, Field::Int32, "int32_data"};
        case TP::INT64: return ElementType{8, Field::Int64, "int64_data"};
        case TP::UINT32: return ElementType{4, Field::Uint64, "uint64_data"};
        case TP::UINT64: return ElementType{8, Field::Uint64, "uint64_data"};
        default: return std::nullopt;
    }
}

bool exact_in_float(uint64_t magnitude) { return magnitude <= (uint64_t{1} << 24); }

// One element from its bits (raw little-endian bytes, or a typed field value reinterpreted). Counts values that
// float32 cannot hold exactly.
struct Converter {
    int dt;
    int64_t inexact = 0, overflowed = 0;

    float from_bits(uint64_t bits) {
        using TP = onnx::TensorProto;
        switch (dt) {
            case TP::FLOAT: return std::bit_cast<float>(static_cast<uint32_t>(bits));
            case TP::DOUBLE: return from_double(std::bit_cast<double>(bits));
            case TP::FLOAT16: return half_to_float(static_cast<uint16_t>(bits));
            case TP::BFLOAT16: return bfloat16_to_float(static_cast<uint16_t>(bits));
            case TP::INT8: return from_signed(static_cast<int8_t>(static_cast<uint8_t>(bits)));
            case TP::INT16: return from_signed(static_cast<int16_t>(static_cast<uint16_t>(bits)));
            case TP::INT32: return from_signed(static_cast<int32_t>(static_cast<uint32_t>(bits)));
            case TP::INT64: return from_signed(static_cast<int64_t>(bits));
            case TP::UINT8: return from_unsigned(bits & 0xffu);
            case TP::UINT16: return from_unsigned(bits & 0xffffu);
            case TP::UINT32: return from_unsigned(bits & 0xffffffffu);
            case TP::UINT64: return from_unsigned(bits);
            case TP::BOOL: return (bits & 0xffu) != 0 ? 1.0f : 0.0f;
            default: return 0.0f;
        }
    }
    float from_double(double d) {
        const auto f = static_cast<float>(d);
        if (std::isinf(f) && !std::isinf(d)) ++overflowed;
        return f;
    }
    float from_signed(int64_t v) {
        const uint64_t magnitude = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        if (!exact_in_float(magnitude)) ++inexact;
        return static_cast<float>(v);
    }
    float from_unsigned(uint64_t v) {
        if (!exact_in_float(v)) ++inexact;
        return static_cast<float>(v);
    }
};

// Converts t to float32. Throws FormatError with a message that does not name the file (callers prefix it).
Tensor decode_tensor(const onnx::TensorProto& t, OnnxTensorInfo& info) {
    info.name = t.name();
    info.data_type = onnx_data_type_name(t.data_type());
    info.shape.assign(t.dims().begin(), t.dims().end());
    const std::string dims_text = list_text(info.shape);

    if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0) {
        std::string location;
        for (const auto& e : t.external_data())
            if (e.key() == "location") location = e.value();
        throw FormatError(std::string(kExternalDataText) +
                          (location.empty() ? "" : " (tensor data in " + quoted(location) + ")"));
    }
    if (t.has_segment()) throw FormatError("segmented tensors (TensorProto.segment) are not supported");
    for (int64_t d : info.shape)
        if (d < 0) throw FormatError("dims " + dims_text + " has a negative dimension");
    if (info.shape.size() > static_cast<size_t>(kMaxRank))
        throw FormatError("rank " + std::to_string(info.shape.size()) + " tensors are not supported (at most " +
                          std::to_string(kMaxRank) + "); dims " + dims_text);
    const int64_t numel = shape_numel(info.shape);
    if (numel < 0) throw FormatError("dims " + dims_text + " are too large: the element count overflows 64 bits");
    const int dt = t.data_type();
    const std::optional<ElementType> et = element_type(dt);
    if (!et)
        throw FormatError("data type " + info.data_type +
                          " cannot be converted to float32 (supported: FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, INT16, "
                          "INT32, INT64, UINT8, UINT16, UINT32, UINT64, BOOL)");
    const auto count = static_cast<uint64_t>(numel);

    auto typed_size = [&](Field f) -> int {
        switch (f) {
            case Field::Float: return t.float_data_size();
            case Field::Int32: return t.int32_data_size();
            case Field::Int64: return t.int64_data_size();
            case Field::Double: return t.double_data_size();
            case Field::Uint64: return t.uint64_data_size();
        }
        return 0;
    };
    const int other_typed = t.float_data_size() + t.int32_data_size() + t.int64_data_size() + t.double_data_size() +
                            t.uint64_data_size() - typed_size(et->field);
    Converter conv{dt};
    std::vector<float> values;
    if (t.has_raw_data()) {
        if (typed_size(et->field) + other_typed > 0)
            throw FormatError("has both raw_data and typed data fields; ONNX allows only one");
        const std::string& raw = t.raw_data();
        // count * itemsize cannot overflow: count * itemsize would have to exceed the raw size to matter, and we
        // compare by division first.
        if (raw.size() % et->itemsize != 0 || raw.size() / et->itemsize != count)
            throw FormatError("raw_data has " + grouped(raw.size()) + " bytes, but dims " + dims_text + " of " +
                              info.data_type + " need " + grouped(count) + " x " + std::to_string(et->itemsize) +
                              " bytes" + (raw.size() % et->itemsize != 0 ? " (not even a whole number of values)" : ""));
        values.resize(static_cast<size_t>(count));
        const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
        for (size_t i = 0; i < values.size(); ++i) values[i] = conv.from_bits(load_le(p + i * et->itemsize, et->itemsize));
    } else {
        if (other_typed > 0)
            throw FormatError(info.data_type + " data must be in " + et->field_name +
                              ", but the tensor fills another typed field");
        const auto have = static_cast<uint64_t>(typed_size(et->field));
        if (have != count)
            throw FormatError(std::string(et->field_name) + " has " + grouped(have) + " value" +
                              (have == 1 ? "" : "s") + ", but dims " + dims_text + " need " + grouped(count) +
                              (have < count ? " (data shorter than declared)" : ""));
        values.resize(static_cast<size_t>(count));
        for (size_t i = 0; i < values.size(); ++i) {
            const int k = static_cast<int>(i);
            switch (et->field) {
                case Field::Float: values[i] = t.float_data(k); break;
                case Field::Double: values[i] = conv.from_double(t.double_data(k)); break;
                case Field::Int32:
                    values[i] = conv.from_bits(static_cast<uint64_t>(static_cast<uint32_t>(t.int32_data(k))));
                    // INT32 values are sign-extended by from_bits via the int32 cast; FLOAT16/BFLOAT16/8-bit/16-bit
                    // types keep their bits in the low half, as ONNX stores them.
                    break;
                case Field::Int64: values[i] = conv.from_bits(static_cast<uint64_t>(t.int64_data(k))); break;
                case Field::Uint64: values[i] = conv.from_bits(t.uint64_data(k)); break;
            }
        }
    }
    if (dt != onnx::TensorProto::FLOAT) info.notices.push_back("converted " + info.data_type + " to float32");
    if (conv.inexact > 0)
        info.notices.push_back(grouped(static_cast<uint64_t>(conv.inexact)) + " " + info.data_type +
                               " values are too large to be exact in float32 (beyond 2^24) and were rounded");
    if (conv.overflowed > 0)
        info.notices.push_back(grouped(static_cast<uint64_t>(conv.overflowed)) +
                               " DOUBLE values are outside the float32 range and became infinity");
    return Tensor(info.shape, std::move(values));
}

}  // namespace

Tensor onnx_parse_tensor(std::span<const uint8_t> bytes, const std::string& name, OnnxTensorInfo* info) {
    if (bytes.size() > static_cast<size_t>(INT_MAX))
        throw FormatError(too_large_text(name, bytes.size(), static_cast<uint64_t>(INT_MAX)));
    onnx::TensorProto t;
    if (!t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
        throw FormatError(name + ": not a valid ONNX tensor (protobuf parse failed; is the file truncated?)");
    OnnxTensorInfo local;
    try {
        Tensor result = decode_tensor(t, local);
        if (info) *info = std::move(local);
        return result;
    } catch (const FormatError& e) {
        throw FormatError(name + ": tensor " + quoted(t.name()) + ": " + e.what());
    } catch (const std::bad_alloc&) {
        throw IoError(name + ": not enough memory to load the tensor");
    }
}

Tensor onnx_load_tensor(const std::string& path, OnnxTensorInfo* info) {
    const std::vector<uint8_t> bytes = read_capped(path, kOnnxMaxModelBytes, "an ONNX tensor file");
    return onnx_parse_tensor(bytes, path, info);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Attributes
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
        case onnx::AttributeProto::INT: return std::to_string(a.i());
        case onnx::AttributeProto::FLOAT: return float_text(a.f());
        case onnx::AttributeProto::STRING: return "\"" + quoted(a.s()).substr(1, quoted(a.s()).size() - 2) + "\"";
        case onnx::AttributeProto::INTS: return join(a.ints(), [](int64_t v) { return std::to_string(v); });
        case onnx::AttributeProto::FLOATS: return join(a.floats(), [](float v) { return float_text(v); });
        case onnx::AttributeProto::STRINGS: return join(a.strings(), [](const std::string& v) { return quoted(v); });
        case onnx::AttributeProto::TENSOR: {
            std::vector<int64_t> dims(a.t().dims().begin(), a.t().dims().end());
            return "tensor " + onnx_data_type_name(a.t().data_type()) + " " + list_text(dims);
        }
        case onnx::AttributeProto::GRAPH:
            return "graph " + quoted(a.g().name()) + " (" + std::to_string(a.g().node_size()) + " nodes)";
        default: return "(" + attribute_type_name(attribute_type(a)) + ")";
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
// 4. Layer nodes
// ---------------------------------------------------------------------------------------------------------------

std::string OnnxNode::label() const {
    std::string s = op_type.empty() ? std::string("(no op_type)") : op_type;
    if (!name.empty()) s += " " + quoted(name);
    return s + (name.empty() ? " #" : " (#") + std::to_string(index) + (name.empty() ? "" : ")");
}

namespace {

OnnxOp op_of(const std::string& op_type, const std::string& domain) {
    if (!is_default_domain(domain)) return OnnxOp::Other;
    if (op_type == "Conv") return OnnxOp::Conv;
    if (op_type == "MaxPool") return OnnxOp::MaxPool;
    if (op_type == "AveragePool") return OnnxOp::AveragePool;
    if (op_type == "GlobalMaxPool") return OnnxOp::GlobalMaxPool;
    if (op_type == "GlobalAveragePool") return OnnxOp::GlobalAveragePool;
    return OnnxOp::Other;
}

const char* op_name(OnnxOp op) {
    switch (op) {
        case OnnxOp::Conv: return "Conv";
        case OnnxOp::MaxPool: return "MaxPool";
        case OnnxOp::AveragePool: return "AveragePool";
        case OnnxOp::GlobalMaxPool: return "GlobalMaxPool";
        case OnnxOp::GlobalAveragePool: return "GlobalAveragePool";
        case OnnxOp::Other: return "other";
    }
    return "?";
}

bool is_global(OnnxOp op) { return op == OnnxOp::GlobalMaxPool || op == OnnxOp::GlobalAveragePool; }

// Reads the layer attributes into `n` (ONNX defaults for absent ones). Throws FormatError / OnnxUnsupportedError.
void parse_layer_attributes(const onnx::NodeProto& proto, OnnxNode& n) {
    std::set<std::string> seen;
    for (const auto& a : proto.attribute())
        if (!seen.insert(a.name()).second) throw FormatError("attribute " + quoted(a.name()) + " is given twice");
    std::set<std::string> known;
    switch (n.op) {
        case OnnxOp::Conv: known = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}; break;
        case OnnxOp::MaxPool:
            known = {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"};
            break;
        case OnnxOp::AveragePool:
            known = {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"};
            break;
        default: break;
    }
    for (const auto& a : proto.attribute())
        if (!known.count(a.name()))
            throw OnnxUnsupportedError("attribute " + quoted(a.name()) + " is not one convscope knows for " + n.op_type +
                                       " (it could change what the node computes)");
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
    if (n.op == OnnxOp::Conv) {
        if (auto g = r.integer("group")) n.group = *g;
    } else {
        flag("ceil_mode", n.ceil_mode);
        if (n.op == OnnxOp::AveragePool) flag("count_include_pad", n.count_include_pad);
        if (n.op == OnnxOp::MaxPool) flag("storage_order", n.storage_order);
    }
}

// Lengths of the per-dimension attributes for a `dims`-D layer. Returns an error text or "".
std::string attribute_length_error(const OnnxNode& n, int dims) {
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
               std::to_string(2 * dims) +
               (dims == 1 ? " [x1_begin, x1_end]" : " [x1_begin, x2_begin, x1_end, x2_end]");
    return {};
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 5. Loading a model
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
    if (n.op == OnnxOp::Conv) {
        if (n_in < 2 || n_in > 3 || n.inputs[0].empty() || n.inputs[1].empty())
            return fail("Conv takes inputs X, W and an optional B, but the node has " + std::to_string(n_in), false);
    } else if (n_in != 1 || n.inputs[0].empty()) {
        return fail(n.op_type + " takes one input X, but the node has " + std::to_string(n_in), false);
    }
    if (n_out == 0 || n.outputs[0].empty()) return fail(n.op_type + " has no output Y", false);
    if (n_out > 1) {
        if (n.op == OnnxOp::MaxPool && n_out == 2)
            return fail("MaxPool's second output Indices (the argmax, in " +
                            std::string(n.storage_order ? "column" : "row") +
                            "-major order) is not computed by convscope", true);
        return fail(n.op_type + " has " + std::to_string(n_out) + " outputs; ONNX defines one", false);
    }
    if (is_global(n.op)) return;  // dims come from the input

    if (n.op == OnnxOp::Conv) {
        std::optional<Shape> wshape, bshape;
        if (auto e = constant_input_problem(m, sparse, n.inputs[1], "weight", wshape); !e.empty()) return fail(e, false);
        if (n_in == 3)
            if (auto e = constant_input_problem(m, sparse, n.inputs[2], "bias", bshape); !e.empty())
                return fail(e, false);
        if (wshape) {
            const auto r = static_cast<int>(wshape->size());
            if (r == 5)
                return fail("3-D convolution (weight " + quoted(n.inputs[1]) + " " + list_text(*wshape) +
                                ") is not supported; convscope computes 1-D and 2-D convolutions", true);
            if (r != 3 && r != 4)
                return fail("weight " + quoted(n.inputs[1]) + " has shape " + list_text(*wshape) +
                                "; a Conv weight is (M, C/group, kW) for 1-D or (M, C/group, kH, kW) for 2-D", false);
            n.dims = r - 2;
            if (!n.kernel_shape.empty() && n.kernel_shape.size() == static_cast<size_t>(n.dims) &&
                !std::equal(n.kernel_shape.begin(), n.kernel_shape.end(), wshape->begin() + 2))
                return fail("kernel_shape " + list_text(n.kernel_shape) + " does not match the weight " +
                                quoted(n.inputs[1]) + " of shape " + list_text(*wshape), false);
        } else if (!n.kernel_shape.empty()) {
            n.dims = static_cast<int>(n.kernel_shape.size());
            if (n.dims == 3) return fail("3-D convolution (kernel_shape " + list_text(n.kernel_shape) +
                                             ") is not supported; convscope computes 1-D and 2-D convolutions", true);
        }
    } else {
        if (n.kernel_shape.empty()) return fail(n.op_type + " needs the kernel_shape attribute", false);
        n.dims = static_cast<int>(n.kernel_shape.size());
        if (n.dims == 3)
            return fail("3-D pooling (kernel_shape " + list_text(n.kernel_shape) +
                            ") is not supported; convscope computes 1-D and 2-D pooling", true);
        if (n.dims != 1 && n.dims != 2)
            return fail("kernel_shape " + list_text(n.kernel_shape) + " has " + std::to_string(n.dims) +
                            " values; convscope computes 1-D and 2-D pooling", n.dims > 3);
        if (n.op == OnnxOp::AveragePool)
            for (int64_t d : n.dilations)
                if (d != 1)
                    return fail("AveragePool with dilations " + list_text(n.dilations) +
                                    " is not supported (PyTorch's avg_pool has no dilation)", true);
    }
    if (n.dims == 1 || n.dims == 2)
        if (auto e = attribute_length_error(n, n.dims); !e.empty()) return fail(e, false);
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
        for (const OnnxNode& n : m.nodes)
            ++counts[(is_default_domain(n.domain) ? "" : n.domain + ".") + n.op_type];
        std::string there;
        for (const auto& [op, c] : counts) there += (there.empty() ? "" : ", ") + op + " x" + std::to_string(c);
        throw FormatError(m.name + ": no Conv, MaxPool or AveragePool node in the graph; it has " +
                          (there.empty() ? std::string("no nodes at all") : there));
    }
    std::string why;
    for (const OnnxNode* n : layers) why += "\n  " + n->label() + ": " + n->problem;
    throw FormatError(m.name + ": no Conv, MaxPool or AveragePool node convscope can run:" + why);
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Resolving a node for an input shape
// ---------------------------------------------------------------------------------------------------------------

Shape OnnxLayer::output_shape() const {
    if (conv_geometry) return conv_geometry->output_shape_torch();
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
        if (g.mode == PoolMode::Avg) s += std::string(", count_include_pad=") + (g.count_include_pad ? "True" : "False");
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
                  const std::vector<int64_t>& stride, const std::vector<int64_t>& dilation,
                  std::vector<int64_t>& begin, std::vector<int64_t>& end, std::vector<std::string>& notes) {
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
        if (stride[i] <= 0 || kernel[i] <= 0 || dilation[i] <= 0) continue;
        const int64_t out = (in[i] + stride[i] - 1) / stride[i];  // ceil(in / s)
        const int64_t total = std::max<int64_t>(0, (out - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - in[i]);
        totals[i] = total;
        if (n.auto_pad == OnnxAutoPad::SameUpper) {
            begin[i] = total / 2;
            end[i] = total - begin[i];
        } else {
            end[i] = total / 2;
            begin[i] = total - end[i];
        }
    }
    notes.push_back(std::string("auto_pad=") + onnx_auto_pad_name(n.auto_pad) + " for input size " + list_text(in) +
                    ": output ceil(in/stride), total padding " + list_text(totals) + " split as begin " +
                    list_text(begin) + ", end " + list_text(end) +
                    (n.auto_pad == OnnxAutoPad::SameUpper ? " (an odd extra pixel goes at the end, like PyTorch's 'same')"
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

}  // namespace

OnnxLayer onnx_resolve_node(const OnnxModel& m, const OnnxNode& n, const Shape& input_shape, const OnnxFeeds& feeds) {
    const std::string prefix = m.name + ": " + n.label() + ": ";
    if (!onnx_is_layer(n.op))
        throw OnnxUnsupportedError(prefix + "not a Conv, MaxPool, AveragePool, GlobalMaxPool or GlobalAveragePool node");
    if (!n.problem.empty() && !n.problem_is_for_declared_input) {
        if (n.unsupported) throw OnnxUnsupportedError(prefix + n.problem);
        throw FormatError(prefix + n.problem);
    }
    OnnxLayer layer;
    layer.op = n.op;
    layer.input_shape = input_shape;
    const auto in_rank = static_cast<int>(input_shape.size());

    if (n.op == OnnxOp::Conv) {
        layer.weight_name = n.inputs[1];
        const std::optional<Shape> w = constant_shape(m, layer.weight_name, feeds);
        if (!w)
            throw FormatError(prefix + "the shape of weight " + quoted(layer.weight_name) +
                              " is not known; give the graph input a tensor");
        const auto wr = static_cast<int>(w->size());
        if (wr == 5)
            throw OnnxUnsupportedError(prefix + "3-D convolution (weight " + list_text(*w) +
                                       ") is not supported; convscope computes 1-D and 2-D convolutions");
        if (wr != 3 && wr != 4)
            throw FormatError(prefix + "weight " + quoted(layer.weight_name) + " has shape " + list_text(*w) +
                              "; a Conv weight is (M, C/group, kW) for 1-D or (M, C/group, kH, kW) for 2-D");
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
            throw FormatError(prefix + "input " + quoted(n.inputs[0]) + " has shape " + list_text(input_shape) +
                              "; " + n.op_type + " needs (N, C, L) or (N, C, H, W)");
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
                layer.notes.push_back("ceil_mode=1: along spatial axis " + std::to_string(i) + " the last window would "
                                      "start in the right padding, so it is dropped (" + std::to_string(plain) +
                                      " -> " + std::to_string(g.out[j]) + " outputs), as PyTorch does");
        }
    }
    return layer;
}

// ---------------------------------------------------------------------------------------------------------------
// 7. Running nodes and graphs
// ---------------------------------------------------------------------------------------------------------------
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
        const Tensor* b = layer.bias_name.empty() ? nullptr : &constant_value(m, layer.bias_name, feeds, prefix, "bias");
        if (w.shape != layer.weight_shape || (b && b->shape != *layer.bias_shape))
            throw FormatError(prefix + "weight or bias tensor does not have the shape the model declares");
        y = conv_reference(*layer.conv_geometry, x, w, b);
    } else {
        y = pool_reference(*layer.pool_geometry, x);
    }
    if (layer_out) *layer_out = std::move(layer);
    return y;
}

namespace {

bool is_helper_op(const OnnxNode& n) {
    return is_default_domain(n.domain) &&
           (n.op_type == "Identity" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze" || n.op_type == "Relu" ||
            n.op_type == "Constant");
}

std::string unsupported_op_text(const OnnxNode& n) {
    const std::string& t = n.op_type;
    std::string why;
    if (t == "ConvTranspose") why = "transposed convolution is not supported";
    else if (t == "ConvInteger" || t == "QLinearConv") why = "quantized convolution is not supported";
    else if (t == "MaxUnpool") why = "MaxUnpool (the inverse of MaxPool with indices) is not supported";
    else if (!is_default_domain(n.domain)) why = "ops of domain " + quoted(n.domain) + " are not supported";
    else why = "op " + t + " is not supported";
    return why + "; convscope runs Conv, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool (1-D and 2-D), Relu "
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
        if (out_rank > kMaxRank) throw OnnxUnsupportedError(prefix + "the result would have rank " +
                                                             std::to_string(out_rank) + "; convscope's tensors have at most 5");
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
