// Small helpers the ONNX files share (number text, quoting, reading a file with a size cap) and the names of ONNX
// types, ops and auto_pad values.
#include <cstdio>

#include "file_io.hpp"
#include "onnx_detail.hpp"

namespace convscope {

namespace onnx_detail {

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

std::vector<uint8_t> read_capped(const std::string& path, uint64_t max_bytes, const char* kind) {
    return read_regular_file(path, kind, max_bytes);
}

const char* op_name(OnnxOp op) {
    switch (op) {
        case OnnxOp::Conv:
            return "Conv";
        case OnnxOp::ConvTranspose:
            return "ConvTranspose";
        case OnnxOp::MaxPool:
            return "MaxPool";
        case OnnxOp::AveragePool:
            return "AveragePool";
        case OnnxOp::GlobalMaxPool:
            return "GlobalMaxPool";
        case OnnxOp::GlobalAveragePool:
            return "GlobalAveragePool";
        case OnnxOp::Other:
            return "other";
    }
    return "?";
}

bool is_global(OnnxOp op) { return op == OnnxOp::GlobalMaxPool || op == OnnxOp::GlobalAveragePool; }

}  // namespace onnx_detail

using namespace onnx_detail;

std::string onnx_data_type_name(int data_type) {
    static const char* const names[] = {"UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",  "INT16",
                                        "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16", "DOUBLE",
                                        "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    if (data_type >= 0 && data_type < static_cast<int>(std::size(names))) return names[data_type];
    return "UNKNOWN(" + std::to_string(data_type) + ")";
}

const char* onnx_auto_pad_name(OnnxAutoPad pad) {
    switch (pad) {
        case OnnxAutoPad::NotSet:
            return "NOTSET";
        case OnnxAutoPad::SameUpper:
            return "SAME_UPPER";
        case OnnxAutoPad::SameLower:
            return "SAME_LOWER";
        case OnnxAutoPad::Valid:
            return "VALID";
    }
    return "?";
}

bool onnx_is_layer(OnnxOp op) { return op != OnnxOp::Other; }

std::string OnnxNode::label() const {
    std::string s = op_type.empty() ? std::string("(no op_type)") : op_type;
    if (!name.empty()) s += " " + quoted(name);
    return s + (name.empty() ? " #" : " (#") + std::to_string(index) + (name.empty() ? "" : ")");
}

}  // namespace convscope
