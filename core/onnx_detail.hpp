// Internal to core/onnx_*.cpp: the helpers the ONNX files share. Not a contract for callers (use onnx_model.hpp).
//   onnx_names.cpp   number text, quoting, op and type names, reading a file with a size cap
//   onnx_tensor.cpp  TensorProto -> float32 Tensor (decode_tensor)
//   onnx_model.cpp   attributes, layer nodes and their size-free checks, loading a model (attribute_length_error)
//   onnx_resolve.cpp a layer node resolved for one input shape (auto_pad, pads, conv_check / pool_check)
//   onnx_run.cpp     running nodes and graphs
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx_model.hpp"

namespace onnx {
class TensorProto;
}

namespace convscope::onnx_detail {

inline constexpr const char* kExternalDataText = "this model stores weights in external files; not supported";

std::string grouped(uint64_t v);                       // 268435456 -> "268,435,456"
std::string list_text(const std::vector<int64_t>& v);  // [1, 3, 32, 32]
std::string quoted(const std::string& s);              // 'name', control bytes as \xNN, cut after 80 chars
bool is_default_domain(const std::string& domain);     // "" or "ai.onnx"
std::string too_large_text(const std::string& name, uint64_t size, uint64_t max_bytes);
// A regular file of at most max_bytes (file_io's rules), with ONNX's own "too large" text.
std::vector<uint8_t> read_capped(const std::string& path, uint64_t max_bytes, const char* kind);

const char* op_name(OnnxOp op);  // "Conv", "MaxPool", ...
bool is_global(OnnxOp op);       // GlobalMaxPool / GlobalAveragePool

// Converts t to float32. Throws FormatError with a message that does not name the file (callers prefix it).
Tensor decode_tensor(const onnx::TensorProto& t, OnnxTensorInfo& info);

// Lengths of the per-dimension attributes for a `dims`-D layer. Returns an error text or "".
std::string attribute_length_error(const OnnxNode& n, int dims);

}  // namespace convscope::onnx_detail
