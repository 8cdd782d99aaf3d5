// Reading an ONNX TensorProto (initializers, Constant values, conformance .pb files) as a float32 Tensor.
// See onnx_model.hpp for what is accepted and refused.
#include <onnx/onnx_pb.h>

#include <bit>
#include <climits>
#include <cmath>
#include <optional>

#include "onnx_detail.hpp"

namespace convscope {

using namespace onnx_detail;

namespace {

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
        case TP::FLOAT:
            return ElementType{4, Field::Float, "float_data"};
        case TP::DOUBLE:
            return ElementType{8, Field::Double, "double_data"};
        case TP::FLOAT16:
            return ElementType{2, Field::Int32, "int32_data"};
        case TP::BFLOAT16:
            return ElementType{2, Field::Int32, "int32_data"};
        case TP::INT8:
            return ElementType{1, Field::Int32, "int32_data"};
        case TP::UINT8:
            return ElementType{1, Field::Int32, "int32_data"};
        case TP::INT16:
            return ElementType{2, Field::Int32, "int32_data"};
        case TP::UINT16:
            return ElementType{2, Field::Int32, "int32_data"};
        case TP::INT32:
            return ElementType{4, Field::Int32, "int32_data"};
        case TP::BOOL:
            return ElementType{1, Field::Int32, "int32_data"};
        case TP::INT64:
            return ElementType{8, Field::Int64, "int64_data"};
        case TP::UINT32:
            return ElementType{4, Field::Uint64, "uint64_data"};
        case TP::UINT64:
            return ElementType{8, Field::Uint64, "uint64_data"};
        default:
            return std::nullopt;
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
            case TP::FLOAT:
                return std::bit_cast<float>(static_cast<uint32_t>(bits));
            case TP::DOUBLE:
                return from_double(std::bit_cast<double>(bits));
            case TP::FLOAT16:
                return half_to_float(static_cast<uint16_t>(bits));
            case TP::BFLOAT16:
                return bfloat16_to_float(static_cast<uint16_t>(bits));
            case TP::INT8:
                return from_signed(static_cast<int8_t>(static_cast<uint8_t>(bits)));
            case TP::INT16:
                return from_signed(static_cast<int16_t>(static_cast<uint16_t>(bits)));
            case TP::INT32:
                return from_signed(static_cast<int32_t>(static_cast<uint32_t>(bits)));
            case TP::INT64:
                return from_signed(static_cast<int64_t>(bits));
            case TP::UINT8:
                return from_unsigned(bits & 0xffu);
            case TP::UINT16:
                return from_unsigned(bits & 0xffffu);
            case TP::UINT32:
                return from_unsigned(bits & 0xffffffffu);
            case TP::UINT64:
                return from_unsigned(bits);
            case TP::BOOL:
                return (bits & 0xffu) != 0 ? 1.0f : 0.0f;
            default:
                return 0.0f;
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

}  // namespace

Tensor onnx_detail::decode_tensor(const onnx::TensorProto& t, OnnxTensorInfo& info) {
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
            case Field::Float:
                return t.float_data_size();
            case Field::Int32:
                return t.int32_data_size();
            case Field::Int64:
                return t.int64_data_size();
            case Field::Double:
                return t.double_data_size();
            case Field::Uint64:
                return t.uint64_data_size();
        }
        return 0;
    };
    const int other_typed = t.float_data_size() + t.int32_data_size() + t.int64_data_size() + t.double_data_size() +
                            t.uint64_data_size() - typed_size(et->field);
    Converter conv{dt};
    FloatStorage values;
    if (t.has_raw_data()) {
        if (typed_size(et->field) + other_typed > 0)
            throw FormatError("has both raw_data and typed data fields; ONNX allows only one");
        const std::string& raw = t.raw_data();
        // count * itemsize cannot overflow: count * itemsize would have to exceed the raw size to matter, and we
        // compare by division first.
        if (raw.size() % et->itemsize != 0 || raw.size() / et->itemsize != count)
            throw FormatError("raw_data has " + grouped(raw.size()) + " bytes, but dims " + dims_text + " of " +
                              info.data_type + " need " + grouped(count) + " x " + std::to_string(et->itemsize) +
                              " bytes" +
                              (raw.size() % et->itemsize != 0 ? " (not even a whole number of values)" : ""));
        values.resize(static_cast<size_t>(count));
        const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
        for (size_t i = 0; i < values.size(); ++i)
            values[i] = conv.from_bits(load_le(p + i * et->itemsize, et->itemsize));
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
                case Field::Float:
                    values[i] = t.float_data(k);
                    break;
                case Field::Double:
                    values[i] = conv.from_double(t.double_data(k));
                    break;
                case Field::Int32:
                    values[i] = conv.from_bits(static_cast<uint64_t>(static_cast<uint32_t>(t.int32_data(k))));
                    // INT32 values are sign-extended by from_bits via the int32 cast; FLOAT16/BFLOAT16/8-bit/16-bit
                    // types keep their bits in the low half, as ONNX stores them.
                    break;
                case Field::Int64:
                    values[i] = conv.from_bits(static_cast<uint64_t>(t.int64_data(k)));
                    break;
                case Field::Uint64:
                    values[i] = conv.from_bits(t.uint64_data(k));
                    break;
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

}  // namespace convscope
