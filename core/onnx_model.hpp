// convscope core: reading ONNX models and mapping their Conv / ConvTranspose / pool nodes onto the engine.
//
// What it does
//   - onnx_load / onnx_parse read a ModelProto: refused by size first (kOnnxMaxModelBytes), parsed with protobuf's
//     default recursion limit, never opening any other file (tensors stored in external files are refused).
//   - Every node is listed with its attributes as written; layer nodes (Conv, ConvTranspose, MaxPool, AveragePool,
//     GlobalMaxPool, GlobalAveragePool) also get their attributes parsed with ONNX's defaults and a `problem` when the
//     engine cannot run them (3-D, argmax output, a weight computed at run time, bad attributes, ...).
//   - onnx_resolve_node maps a layer node, for one input shape, onto the engine's own description (ConvParams /
//     PoolParams) and validates it with conv_check / pool_check, so an invalid configuration gets PyTorch's text.
//   - onnx_run_node / onnx_run_graph compute with conv_reference / conv_transpose_reference / pool_reference.
//   - onnx_parse_tensor / onnx_load_tensor read a TensorProto (initializers, conformance .pb files) as float32.
//
// ONNX → engine mapping (onnx_resolve_node)
//   ConvTranspose: dims = weight rank - 2; weight (C, M/group, k...). The full result (size
//                s*(in-1) + d*(k-1) + 1 + output_padding) is cropped by pads [begin, end]; output_shape, when
//                given, sets the pads: total = full - output_shape, split as ONNX's reference does (floor
//                division; SAME_UPPER puts the odd one at the end, otherwise at the beginning; auto_pad SAME_*
//                asks for output = in*stride). PyTorch's form is padding = pads_begin and
//                output_padding = output_padding + pads_begin - pads_end; when that is negative or not below
//                the stride or dilation (one F.conv_transpose call cannot say it), convscope still computes it
//                (the same scatter, cropped) and a note says what PyTorch would need. Negative pads_begin
//                (output_shape larger than the full result at the beginning) is refused as unsupported.
//   Conv:        dims = weight rank - 2 (1 or 2); ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end] → pads_begin /
//                pads_end; strides, dilations, group as given (defaults 1); always zero padding (ONNX Conv has no
//                padding modes).
//   MaxPool / AveragePool: dims = len(kernel_shape); strides default 1 (not the kernel size, as in PyTorch); pads
//                always as pads_begin/pads_end (so PyTorch's "pad at most half the kernel" rule does not apply, as in
//                ONNX); count_include_pad defaults to 0 (PyTorch's nn.AvgPool*d defaults to True: a note says which
//                was used); ceil_mode as given (convscope drops a last window that would start in the right padding,
//                as PyTorch does and as newer ONNX references do; a note says when that changes the output).
//   GlobalMaxPool / GlobalAveragePool: a pool whose kernel is the whole input plane.
//   auto_pad:    NOTSET → pads; VALID → 0; SAME_UPPER / SAME_LOWER → per spatial dim
//                  total = max(0, (ceil(in/s) - 1)*s + d*(k-1) + 1 - in),
//                  SAME_UPPER: begin = total/2, end = total - begin (extra at the end)
//                  SAME_LOWER: end = total/2, begin = total - end (extra at the beginning); strides > 1 allowed.
//
// Errors: FormatError (the model or tensor is malformed or refers to something it does not define; the message
// starts with the file name and, for a node, names the node), OnnxUnsupportedError (a FormatError: the model is
// fine but outside what convscope computes, e.g. 3-D or ConvInteger), ConfigError (the engine's PyTorch text for
// an invalid configuration, prefixed with the node), IoError (the OS refused). Nothing else is thrown.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "conv_spec.hpp"
#include "conv_transpose_spec.hpp"
#include "error.hpp"
#include "pool.hpp"
#include "tensor.hpp"

namespace convscope {

// The model is valid ONNX but asks for something convscope does not compute (3-D, ConvInteger,
// MaxPool's argmax output, an op other than the supported ones). The message says what and why.
class OnnxUnsupportedError : public FormatError {
public:
    using FormatError::FormatError;
};

inline constexpr uint64_t kOnnxMaxModelBytes = uint64_t{256} << 20;  // 256 MiB

enum class OnnxAutoPad { NotSet, SameUpper, SameLower, Valid };
const char* onnx_auto_pad_name(OnnxAutoPad pad);  // "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"

enum class OnnxOp { Conv, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool, ConvTranspose, Other };
bool onnx_is_layer(OnnxOp op);  // every op but Other

// TensorProto.DataType name, e.g. "FLOAT", "FLOAT16", "STRING"; "UNKNOWN(42)" for numbers ONNX 1.12 does not define.
std::string onnx_data_type_name(int data_type);

// A graph input or output (or value_info entry): its declared type and shape, where known.
struct OnnxValueInfo {
    std::string name;
    std::string data_type;               // "FLOAT", ...; empty when the type is not a tensor type or not given
    bool has_shape = false;              // false: the model does not say the rank
    std::vector<int64_t> dims;           // -1 where a dimension is symbolic or unknown
    std::vector<std::string> dim_names;  // dim_param (symbolic name) per dimension, "" when none
    bool is_initializer = false;         // graph inputs only: also an initializer (old exporters list both)

    std::optional<Shape> shape() const;  // set when every dimension is known
    std::string shape_text() const;      // "[1, 3, 32, 32]", "[N, 3, 32, 32]", "[?, 3]", or "?" without a shape
};

// A constant tensor of the model: a graph initializer, or the `value` of a Constant node.
struct OnnxInitializer {
    std::string name;
    std::string data_type;  // "FLOAT", ...
    Shape shape;            // the declared dims
    bool from_constant_node = false;
    std::optional<Tensor> value;       // converted to float32, when possible
    std::string error;                 // why `value` is missing (unsupported data type, data length, ...)
    std::vector<std::string> notices;  // what the conversion changed, e.g. "converted FLOAT16 to float32"
};

// One attribute as written in the model, its value printed ONNX-style: 3, 1.5, "SAME_UPPER", [1, 1, 0, 0].
struct OnnxAttribute {
    std::string name;
    std::string type;  // "INT", "INTS", "FLOAT", "STRING", "TENSOR", ...
    std::string value_text;
    std::vector<int64_t> ints;  // INTS values, or the INT value as one element; empty for other types
};

struct OnnxNode {
    int index = 0;  // position in graph.node
    std::string name, op_type, domain;
    OnnxOp op = OnnxOp::Other;
    std::vector<std::string> inputs, outputs;  // "" marks an omitted optional input/output
    std::vector<OnnxAttribute> attributes;     // every attribute, as written

    // Layer nodes only: attributes parsed with ONNX's defaults (an absent list stays empty = the default).
    OnnxAutoPad auto_pad = OnnxAutoPad::NotSet;
    std::vector<int64_t> kernel_shape, pads, strides, dilations;
    std::vector<int64_t> output_padding, output_shape_attr;  // ConvTranspose: output_padding, output_shape
    int64_t group = 1;
    int64_t ceil_mode = 0;
    int64_t count_include_pad = 0;  // ONNX's default; PyTorch's AvgPool default is True
    int64_t storage_order = 0;      // MaxPool: only affects the argmax output, which convscope does not compute
    int dims = 0;                   // spatial dims when known without an input shape (0: not known)

    // Layer nodes: why the engine cannot run this node ("" when it can, as far as is known without the input
    // size); `unsupported` when that is a limit of convscope rather than a broken model.
    std::string problem;
    bool unsupported = false;
    // The problem is conv_check's / pool_check's verdict (a ConfigError) for the input shape the graph declares;
    // another input shape may be fine, so onnx_resolve_node checks again instead of repeating it.
    bool problem_is_for_declared_input = false;
    // Layer nodes whose input shape the graph declares: the resolved shapes (or the error in `problem`).
    std::optional<Shape> input_shape, output_shape;

    // "Conv 'conv1' (#0)" or "Conv #0" when unnamed.
    std::string label() const;
};

struct OnnxModel {
    std::string name;  // the file name used in messages
    int64_t ir_version = 0;
    std::vector<std::pair<std::string, int64_t>> opsets;  // (domain, version); "" is ai.onnx
    std::string producer_name, producer_version, graph_name;
    std::vector<OnnxValueInfo> inputs, outputs, value_info;
    std::vector<OnnxInitializer> initializers;  // graph initializers, then Constant node values
    std::vector<OnnxNode> nodes;                // graph order

    const OnnxInitializer* find_initializer(const std::string& name) const;
    const OnnxValueInfo* find_value_info(const std::string& name) const;  // inputs, value_info, outputs
    const OnnxNode* producer_of(const std::string& value_name) const;     // the node with this output
    // Graph inputs that are not initializers: what a caller must feed, in graph order.
    std::vector<const OnnxValueInfo*> runtime_inputs() const;
    // Layer nodes whose `problem` is empty.
    std::vector<const OnnxNode*> usable_layers() const;
};

// Parses a model held in memory. `name` starts every message. Refuses more than `max_bytes` before parsing.
OnnxModel onnx_parse(std::span<const uint8_t> bytes, const std::string& name, uint64_t max_bytes = kOnnxMaxModelBytes);
// Reads `path` (a regular file; its size is checked against `max_bytes` before reading) and parses it.
OnnxModel onnx_load(const std::string& path, uint64_t max_bytes = kOnnxMaxModelBytes);

// Throws FormatError if the model has no layer node the engine can run. The message lists the op types the graph
// has (if it has no Conv/MaxPool/AveragePool at all) or each layer node's problem.
void onnx_require_usable_layer(const OnnxModel& model);

// Graph inputs given at run time (conformance inputs, or a user's tensors), by name.
using OnnxFeeds = std::map<std::string, Tensor>;

// A layer node resolved for one input shape: the engine's own description, validated.
struct OnnxLayer {
    OnnxOp op = OnnxOp::Conv;
    int dims = 2;
    Shape input_shape;
    // Conv
    ConvParams conv;
    std::optional<ConvGeometry> conv_geometry;
    std::string weight_name, bias_name;  // bias_name "" when there is no bias
    Shape weight_shape;
    std::optional<Shape> bias_shape;
    // ConvTranspose (weight (C, M/group, k...); weight_name / bias_name / shapes as for Conv)
    ConvTransposeParams conv_transpose;
    std::optional<ConvTransposeGeometry> conv_transpose_geometry;
    // Pools
    PoolParams pool;
    std::optional<PoolGeometry> pool_geometry;
    // For the user: how ONNX's attributes were read (auto_pad resolution, count_include_pad convention, ...).
    std::vector<std::string> notes;

    Shape output_shape() const;
    // "conv2d(stride=[2, 2], dilation=[1, 1], pads_begin=[0, 1], pads_end=[1, 1], groups=1)" and the like.
    std::string description() const;
};

// Maps `node` for an input of `input_shape` (ONNX layout: (N, C, L) or (N, C, H, W); no unbatched form).
// Weight and bias shapes come from the model's constants, else from `feeds`, else from the declared graph input.
// Throws: the node's `problem` (FormatError / OnnxUnsupportedError), FormatError for an input of the wrong rank,
// ConfigError with PyTorch's text when conv_check / pool_check reject the configuration.
OnnxLayer onnx_resolve_node(const OnnxModel& model, const OnnxNode& node, const Shape& input_shape,
                            const OnnxFeeds& feeds = {});

// Resolves and computes one layer node on x. Weight and bias values come from the model's constants or `feeds`.
Tensor onnx_run_node(const OnnxModel& model, const OnnxNode& node, const Tensor& x, const OnnxFeeds& feeds = {},
                     OnnxLayer* layer = nullptr);

// Why onnx_run_graph cannot run this model ("" when it can, as far as is known before the input sizes are; a
// problem found only for the declared input shape is left to the run, which checks the real shapes):
// an op other than the layer ops, Relu and the layout-only Identity / Squeeze / Unsqueeze; a layer node's problem.
// `unsupported` (optional) tells whether that is a convscope limit (true) or a broken model (false).
std::string onnx_graph_problem(const OnnxModel& model, bool* unsupported = nullptr);

// Runs every node in graph order on `feeds` (which must hold every runtime input). Returns every value computed,
// by name (graph outputs included). Checks onnx_graph_problem first, so nothing is computed for a model it cannot
// finish. `layers` (optional) receives the resolved layer of each layer node, in order.
std::map<std::string, Tensor> onnx_run_graph(const OnnxModel& model, const OnnxFeeds& feeds,
                                             std::vector<std::pair<const OnnxNode*, OnnxLayer>>* layers = nullptr);

// ---------------------------------------------------------------------------------------------------------------
// TensorProto

struct OnnxTensorInfo {
    std::string name;       // TensorProto.name ("" is common in conformance files)
    std::string data_type;  // "FLOAT", ...
    Shape shape;
    std::vector<std::string> notices;  // e.g. "converted UINT8 to float32"
};

// Parses a serialized TensorProto. FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8/16/32/64, UINT8/16/32/64 and BOOL are
// converted to float32, from raw_data (little-endian) or the typed fields (float_data, int32_data, int64_data,
// double_data, uint64_data), whose length must match the dims exactly. Refused: other data types (STRING,
// COMPLEX64/128, ...), external data, segments, rank > kMaxRank.
Tensor onnx_parse_tensor(std::span<const uint8_t> bytes, const std::string& name, OnnxTensorInfo* info = nullptr);
// Reads `path` (a regular file, at most kOnnxMaxModelBytes) and parses it as a TensorProto.
Tensor onnx_load_tensor(const std::string& path, OnnxTensorInfo* info = nullptr);

}  // namespace convscope
