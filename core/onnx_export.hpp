// convscope core: one convolution written as an ONNX conformance case, the layout of libonnx-testdata:
//   model.onnx                    one Conv node; weight (and bias) as initializers; opset kOnnxExportOpset
//   test_data_set_0/input_0.pb    the input (TensorProto, float, raw_data little-endian)
//   test_data_set_0/output_0.pb   the expected output
// It opens in Netron, passes onnx.checker.check_model, and `convscope-cli onnx-check DIR` runs it through the engine.
// Pads are explicit (begin..., end...), so Keras's uneven 'same' pads and 'causal' are exact. ONNX's Conv pads with
// zeros only: another padding_mode is refused (ConfigError). An unbatched input gets a batch axis of 1 (ONNX's
// Conv always has one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope {

inline constexpr int64_t kOnnxExportOpset = 13;
inline constexpr int64_t kOnnxExportIrVersion = 7;  // the IR version of opset 13 (ONNX 1.8)

struct OnnxExportFiles {
    std::vector<uint8_t> model;      // model.onnx
    std::vector<uint8_t> input_pb;   // test_data_set_0/input_0.pb
    std::vector<uint8_t> output_pb;  // test_data_set_0/output_0.pb
};

// x, w, b, y in PyTorch's layout for geometry g (y: the engine's output for x, w, b). `doc` becomes the model's
// doc_string (e.g. the layer text). b may be null.
OnnxExportFiles onnx_export_conv(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b,
                                 const Tensor& y, const std::string& doc);

// What onnx_export_conv writes for geometry g, as text (no tensors needed): opset, graph inputs and initializers
// with their shapes, the Conv node and its attributes, the output, e.g.
//   Conv(input, weight, bias) -> output
//     kernel_shape=[3, 3]  strides=[1, 1]  dilations=[1, 1]  pads=[1, 1, 1, 1]  group=1
// Throws ConfigError as onnx_export_conv does for a padding_mode other than zeros.
std::string onnx_export_summary(const ConvGeometry& g, bool bias, const std::string& doc);

// DIR/model.onnx, DIR/test_data_set_0/input_0.pb, DIR/test_data_set_0/output_0.pb.
std::vector<std::string> onnx_export_paths(const std::string& dir);

// Writes the three files under `dir` (created if missing). Throws IoError naming the path; with !force, throws
// IoError before writing anything if model.onnx or a test_data_set_0 file already exists.
void onnx_export_write(const std::string& dir, const OnnxExportFiles& files, bool force);

}  // namespace convscope
