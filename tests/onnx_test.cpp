// Tests of core/onnx_model: bad models give specific messages (never a crash), the ONNX → engine mapping
// (auto_pad, asymmetric pads, count_include_pad), TensorProto decoding, and running small graphs.
//
// The test binary links convscope_core only (protobuf is private to it), so models are written here byte by byte
// with a tiny protobuf encoder; field numbers are onnx.proto's (ONNX 1.12), named where they are used.
//
// Sections:
//   1. Helpers: protobuf encoder, ONNX message builders, temporary files
//   2. Files that are not (whole) models: not protobuf, truncated, over the size cap, deep nesting, external data
//   3. Unusable layer nodes: weight not constant, data types, data lengths, attributes, groups, no layer node
//   4. The mapping: auto_pad SAME_UPPER / SAME_LOWER, asymmetric pads, count_include_pad, ceil_mode
//   5. TensorProto decoding and running graphs
#include "onnx_model.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "test_util.hpp"

namespace {

using namespace convscope;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------- 1. helpers

// A protobuf message under construction: append fields in any order.
struct Pb {
    std::string bytes;

    void raw_varint(uint64_t v) {
        while (v >= 0x80) {
            bytes += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        bytes += static_cast<char>(v);
    }
    void tag(int field, int wire) { raw_varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire)); }
    Pb& varint(int field, int64_t v) {  // int32/int64/enum; negatives are 10-byte two's complement, as protobuf does
        tag(field, 0);
        raw_varint(static_cast<uint64_t>(v));
        return *this;
    }
    Pb& str(int field, const std::string& s) {
        tag(field, 2);
        raw_varint(s.size());
        bytes += s;
        return *this;
    }
    Pb& msg(int field, const Pb& m) { return str(field, m.bytes); }
    Pb& packed_floats(int field, const std::vector<float>& v) {
        std::string data;
        for (float f : v) {
            char b[4];
            std::memcpy(b, &f, 4);
            data.append(b, 4);
        }
        return str(field, data);
    }
    Pb& packed_varints(int field, const std::vector<int64_t>& v) {
        Pb inner;
        for (int64_t x : v) inner.raw_varint(static_cast<uint64_t>(x));
        return str(field, inner.bytes);
    }
    Bytes data() const { return Bytes(bytes.begin(), bytes.end()); }
};

constexpr int kFloat = 1, kUint8 = 2, kInt8 = 3, kInt32 = 6, kInt64 = 7, kString = 8, kFloat16 = 10, kDouble = 11,
              kComplex64 = 14;

std::string float_bytes(const std::vector<float>& v) {
    std::string s(v.size() * 4, '\0');
    std::memcpy(s.data(), v.data(), s.size());
    return s;
}

// TensorProto: dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9,
// double_data = 10, external_data = 13 (key = 1, value = 2), data_location = 14.
Pb tensor_header(const std::string& name, int dtype, const Shape& dims) {
    Pb t;
    for (int64_t d : dims) t.varint(1, d);
    t.varint(2, dtype);
    t.str(8, name);
    return t;
}

Pb float_tensor(const std::string& name, const Shape& dims, const std::vector<float>& values) {
    return tensor_header(name, kFloat, dims).str(9, float_bytes(values));
}

std::vector<float> iota(int64_t n, float start = 1.0f) {
    std::vector<float> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
    return v;
}

// AttributeProto: name = 1, i = 3, s = 4, ints = 8, type = 20 (INT = 2, STRING = 3, INTS = 7, GRAPH = 5, g = 6).
Pb attr_ints(const std::string& name, const std::vector<int64_t>& v) {
    Pb a;
    a.str(1, name);
    for (int64_t x : v) a.varint(8, x);
    a.varint(20, 7);
    return a;
}
Pb attr_int(const std::string& name, int64_t v) { return Pb().str(1, name).varint(3, v).varint(20, 2); }
Pb attr_str(const std::string& name, const std::string& v) { return Pb().str(1, name).str(4, v).varint(20, 3); }

// NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
Pb node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
        const std::vector<Pb>& attrs = {}, const std::string& name = "") {
    Pb n;
    for (const auto& s : inputs) n.str(1, s);
    for (const auto& s : outputs) n.str(2, s);
    if (!name.empty()) n.str(3, name);
    n.str(4, op);
    for (const Pb& a : attrs) n.msg(5, a);
    return n;
}

// ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1, shape = 2 → dim = 1 → dim_value = 1.
Pb value_info(const std::string& name, const Shape& dims) {
    Pb shape;
    for (int64_t d : dims) shape.msg(1, Pb().varint(1, d));
    Pb tensor_type;
    tensor_type.varint(1, kFloat).msg(2, shape);
    return Pb().str(1, name).msg(2, Pb().msg(1, tensor_type));
}

// GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
struct Graph {
    std::vector<Pb> nodes, initializers, inputs, outputs;
    Pb encode() const {
        Pb g;
        for (const Pb& n : nodes) g.msg(1, n);
        g.str(2, "g");
        for (const Pb& t : initializers) g.msg(5, t);
        for (const Pb& v : inputs) g.msg(11, v);
        for (const Pb& v : outputs) g.msg(12, v);
        return g;
    }
};

// ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (domain = 1, version = 2).
// The graph comes before opset_import, as ONNX's own serializer writes them.
Bytes model(const Graph& g) {
    Pb m;
    m.varint(1, 7).str(2, "convscope-test").msg(7, g.encode()).msg(8, Pb().str(1, "").varint(2, 13));
    return m.data();
}

// A 2-D Conv: x (1, 2, 5, 5), weight (4, 2, 3, 3) initializer, bias (4) initializer.
Graph conv_graph(const std::vector<Pb>& attrs, const Shape& wshape = {4, 2, 3, 3}, const Shape& xshape = {1, 2, 5, 5}) {
    Graph g;
    g.nodes.push_back(node("Conv", {"x", "w", "b"}, {"y"}, attrs, "conv1"));
    g.initializers.push_back(float_tensor("w", wshape, iota(shape_numel(wshape))));
    g.initializers.push_back(float_tensor("b", {wshape[0]}, iota(wshape[0])));
    g.inputs.push_back(value_info("x", xshape));
    g.outputs.push_back(value_info("y", {}));
    return g;
}

OnnxModel parse(const Bytes& b) { return onnx_parse(b, "m.onnx"); }

// Runs `f`, expects exception E whose message contains every one of `parts`.
template <class E, class F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
    try {
        f();
        ADD_FAILURE() << "no exception; expected one containing '" << parts.front() << "'";
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const std::string& p : parts)
            EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg << "\nwanted: " << p;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "wrong exception type: " << e.what();
    }
}

const OnnxNode& only_layer(const OnnxModel& m) {
    for (const OnnxNode& n : m.nodes)
        if (onnx_is_layer(n.op)) return n;
    throw std::runtime_error("no layer node");
}

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "convscope_onnx_XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name, const Bytes& bytes) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return p;
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// -------------------------------------------------------------------------- 2. files that are not (whole) models

TEST(OnnxFile, ValidModelLoads) {
    const OnnxModel m = parse(model(conv_graph({attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})})));
    ASSERT_EQ(m.nodes.size(), 1u);
    const OnnxNode& n = m.nodes[0];
    EXPECT_EQ(n.op, OnnxOp::Conv);
    EXPECT_EQ(n.label(), "Conv 'conv1' (#0)");
    EXPECT_EQ(n.problem, "");
    ASSERT_TRUE(n.output_shape);
    EXPECT_EQ(*n.output_shape, (Shape{1, 4, 5, 5}));
    EXPECT_EQ(m.ir_version, 7);
    ASSERT_EQ(m.initializers.size(), 2u);
    EXPECT_EQ(m.initializers[0].shape, (Shape{4, 2, 3, 3}));
    EXPECT_EQ(m.runtime_inputs().size(), 1u);
}

TEST(OnnxFile, NotProtobuf) {
    expect_error<FormatError>([] { parse(Bytes(64, 0xff)); },
                              {"m.onnx: not a valid ONNX model (protobuf parse failed"});
    const Bytes png = {0x89, 'P', 'N', 'G',  0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H',  'D',  'R',
                       0,    0,   0,   0x20, 0,    0,    0,    0x20, 8, 6, 0, 0,    0,   0x73, 0x7a, 0x7a};
    expect_error<FormatError>([&] { parse(png); }, {"m.onnx: not a valid ONNX model"});
    expect_error<FormatError>([] { parse(Bytes{}); }, {"not a valid ONNX model (the file is empty)"});
    // Valid protobuf, but not a model: a bare TensorProto has no graph.
    expect_error<FormatError>([] { parse(float_tensor("t", {2}, {1, 2}).data()); }, {"not a valid ONNX model"});
}

TEST(OnnxFile, EveryTruncationFailsCleanly) {
    const Bytes full = model(conv_graph({attr_ints("pads", {1, 1, 1, 1})}));
    for (size_t len = 0; len < full.size(); ++len) {
        const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
        expect_error<FormatError>([&] { parse(cut); }, {"m.onnx: not a valid ONNX model"});
    }
}

TEST(OnnxFile, SizeCapIsCheckedFirst) {
    const Bytes full = model(conv_graph({}));
    expect_error<FormatError>([&] { onnx_parse(full, "m.onnx", 100); },
                              {"m.onnx is " + std::to_string(full.size()) + " bytes", "at most 100 bytes"});
    // Over the cap, even garbage is refused by size, not parsed.
    expect_error<FormatError>([] { onnx_parse(Bytes(200, 0xff), "junk.onnx", 100); }, {"junk.onnx is 200 bytes"});
    TempDir dir;
    const std::string path = dir.file("big.onnx", full);
    expect_error<FormatError>([&] { onnx_load(path, 64); }, {path + " is " + std::to_string(full.size()) + " bytes"});
    EXPECT_NO_THROW(onnx_load(path));
    EXPECT_EQ(kOnnxMaxModelBytes, uint64_t{268435456});
}

TEST(OnnxFile, LoadRefusesMissingFilesAndDirectories) {
    TempDir dir;
    expect_error<IoError>([&] { onnx_load(dir.path() + "/none.onnx"); }, {"none.onnx: cannot open"});
    expect_error<IoError>([&] { onnx_load(dir.path()); }, {"it is a directory"});
}

TEST(OnnxFile, DeepNestingFailsCleanly) {
    // Graph → Node → Attribute(g) → Graph ...: three message levels per step. 20 steps (60 levels) parse; 60 steps
    // (180 levels) are beyond protobuf's default recursion limit of 100 and must fail cleanly, not overflow the stack.
    auto nested = [](int depth) {
        Pb g = Graph{}.encode();
        for (int i = 0; i < depth; ++i) {
            Pb attr;
            attr.str(1, "body").msg(6, g).varint(20, 5);
            Graph outer;
            outer.nodes.push_back(node("If", {"c"}, {"o"}, {attr}));
            g = outer.encode();
        }
        Pb m;
        m.varint(1, 7).msg(7, g).msg(8, Pb().str(1, "").varint(2, 13));
        return m.data();
    };
    EXPECT_EQ(parse(nested(20)).nodes.size(), 1u);
    // A valid model nested that deep is named as such (issue 12), not called truncated.
    expect_error<FormatError>(
        [&] { parse(nested(60)); },
        {"not a valid ONNX model (its messages nest deeper than protobuf's recursion limit of 100"});
}

TEST(OnnxFile, ExternalDataIsRefusedWithoutOpeningAnything) {
    for (const std::string location : {"../../etc/passwd", "/etc/passwd", "weights.bin"}) {
        Graph g = conv_graph({});
        Pb w = tensor_header("w", kFloat, {4, 2, 3, 3});
        w.msg(13, Pb().str(1, "location").str(2, location)).varint(14, 1);  // data_location = EXTERNAL
        g.initializers[0] = w;
        expect_error<FormatError>([&] { parse(model(g)); },
                                  {"m.onnx: this model stores weights in external files; not supported", "'w'"});
    }
}

// ------------------------------------------------------------------------------------- 3. unusable layer nodes

TEST(OnnxNodeProblems, WeightComputedAtRuntime) {
    Graph g;
    g.nodes.push_back(node("Mul", {"a", "a"}, {"w"}, {}, "scale"));
    g.nodes.push_back(node("Conv", {"x", "w"}, {"y"}));
    g.inputs = {value_info("x", {1, 1, 5, 5}), value_info("a", {1, 1, 3, 3})};
    const OnnxModel m = parse(model(g));
    EXPECT_NE(m.nodes[1].problem.find("weight 'w' is computed at runtime by node Mul 'scale' (#0), not stored as an "
                                      "initializer"),
              std::string::npos)
        << m.nodes[1].problem;
    expect_error<FormatError>(
        [&] { onnx_require_usable_layer(m); },
        {"m.onnx: no Conv, MaxPool or AveragePool node convscope can run", "Conv #1: weight 'w'"});
    expect_error<FormatError>(
        [&] {
            onnx_resolve_node(m, m.nodes[1], {1, 1, 5, 5});
        },
        {"m.onnx: Conv #1: weight 'w' is computed at runtime"});
}

TEST(OnnxNodeProblems, WeightUndefined) {
    Graph g = conv_graph({});
    g.initializers.erase(g.initializers.begin());
    const OnnxModel m = parse(model(g));
    EXPECT_NE(only_layer(m).problem.find("weight 'w' is not defined in the graph"), std::string::npos);
}

TEST(OnnxNodeProblems, UnsupportedDataType) {
    for (const auto& [dtype, name] :
         std::vector<std::pair<int, std::string>>{{kString, "STRING"}, {kComplex64, "COMPLEX64"}}) {
        Graph g = conv_graph({});
        Pb w = tensor_header("w", dtype, {4, 2, 3, 3});
        g.initializers[0] = w;
        const OnnxModel m = parse(model(g));
        EXPECT_NE(only_layer(m).problem.find("weight 'w': data type " + name + " cannot be converted to float32"),
                  std::string::npos)
            << only_layer(m).problem;
        expect_error<FormatError>([&] { onnx_require_usable_layer(m); }, {"data type " + name});
    }
}

TEST(OnnxNodeProblems, RawDataLengthMismatch) {
    Graph g = conv_graph({});
    std::string raw = float_bytes(iota(72));
    raw.pop_back();  // 287 bytes: not a multiple of 4
    g.initializers[0] = tensor_header("w", kFloat, {4, 2, 3, 3}).str(9, raw);
    OnnxModel m = parse(model(g));
    EXPECT_NE(only_layer(m).problem.find("raw_data has 287 bytes, but dims [4, 2, 3, 3] of FLOAT need 72 x 4 bytes "
                                         "(not even a whole number of values)"),
              std::string::npos)
        << only_layer(m).problem;
    g.initializers[0] = tensor_header("w", kFloat, {4, 2, 3, 3}).str(9, float_bytes(iota(71)));
    m = parse(model(g));
    EXPECT_NE(only_layer(m).problem.find("raw_data has 284 bytes"), std::string::npos) << only_layer(m).problem;
}

TEST(OnnxNodeProblems, FloatDataShorterThanDims) {
    Graph g = conv_graph({});
    g.initializers[0] = tensor_header("w", kFloat, {4, 2, 3, 3}).packed_floats(4, iota(70));
    const OnnxModel m = parse(model(g));
    EXPECT_NE(only_layer(m).problem.find("float_data has 70 values, but dims [4, 2, 3, 3] need 72 (data shorter than "
                                         "declared)"),
              std::string::npos)
        << only_layer(m).problem;
}

TEST(OnnxNodeProblems, ZeroAndNegativeStrideGetTheEnginesText) {
    for (const std::vector<int64_t>& strides : std::vector<std::vector<int64_t>>{{0, 1}, {1, -2}}) {
        const OnnxModel m = parse(model(conv_graph({attr_ints("strides", strides)})));
        EXPECT_EQ(only_layer(m).problem, "non-positive stride is not supported");
        expect_error<ConfigError>(
            [&] {
                onnx_resolve_node(m, only_layer(m), {1, 2, 5, 5});
            },
            {"m.onnx: Conv 'conv1' (#0): non-positive stride is not supported"});
    }
    // With SAME padding the stride is used to compute the pads: still no division by zero.
    const OnnxModel same = parse(model(conv_graph({attr_ints("strides", {0, 0}), attr_str("auto_pad", "SAME_UPPER")})));
    EXPECT_EQ(only_layer(same).problem, "non-positive stride is not supported");
    // Pools: PyTorch's pooling text.
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y"}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {0, 1})}));
    g.inputs.push_back(value_info("x", {1, 1, 4, 4}));
    EXPECT_EQ(only_layer(parse(model(g))).problem, "stride should not be zero");
}

TEST(OnnxNodeProblems, ZeroKernelAndDilation) {
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y"}, {attr_ints("kernel_shape", {0, 2})}));
    g.inputs.push_back(value_info("x", {1, 1, 4, 4}));
    EXPECT_NE(only_layer(parse(model(g))).problem.find("kernel size should be greater than zero"), std::string::npos);
    const OnnxModel m = parse(model(conv_graph({attr_ints("dilations", {0, 1})})));
    EXPECT_NE(only_layer(m).problem.find("dilation"), std::string::npos) << only_layer(m).problem;
    // kernel_shape that contradicts the weight.
    const OnnxModel k = parse(model(conv_graph({attr_ints("kernel_shape", {3, -3})})));
    EXPECT_EQ(only_layer(k).problem, "kernel_shape [3, -3] does not match the weight 'w' of shape [4, 2, 3, 3]");
}

TEST(OnnxNodeProblems, WrongLengthPadsStridesDilations) {
    EXPECT_EQ(only_layer(parse(model(conv_graph({attr_ints("pads", {1, 1, 1})})))).problem,
              "pads [1, 1, 1] has 3 values; a 2-D Conv needs 4 [x1_begin, x2_begin, x1_end, x2_end]");
    EXPECT_EQ(only_layer(parse(model(conv_graph({attr_ints("strides", {1, 1, 1})})))).problem,
              "strides [1, 1, 1] has 3 values; a 2-D Conv needs 2");
    EXPECT_EQ(only_layer(parse(model(conv_graph({attr_ints("dilations", {2})})))).problem,
              "dilations [2] has 1 values; a 2-D Conv needs 2");
    expect_error<FormatError>(
        [] {
            const OnnxModel m = parse(model(conv_graph({attr_ints("pads", {1, 1, 1})})));
            onnx_resolve_node(m, only_layer(m), {1, 2, 5, 5});
        },
        {"m.onnx: Conv 'conv1' (#0): pads [1, 1, 1] has 3 values"});
}

TEST(OnnxNodeProblems, PadsTogetherWithAutoPad) {
    const OnnxModel m = parse(model(conv_graph({attr_str("auto_pad", "SAME_LOWER"), attr_ints("pads", {0, 0, 0, 0})})));
    EXPECT_EQ(
        only_layer(m).problem,
        "pads [0, 0, 0, 0] is given together with auto_pad SAME_LOWER; ONNX allows pads only with auto_pad NOTSET");
    EXPECT_NE(only_layer(parse(model(conv_graph({attr_str("auto_pad", "SAME")}))))
                  .problem.find("auto_pad 'SAME' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"),
              std::string::npos);
}

TEST(OnnxNodeProblems, WrongAttributeType) {
    EXPECT_EQ(only_layer(parse(model(conv_graph({attr_int("strides", 2)})))).problem,
              "attribute 'strides' must be a list of integers (INTS), but the model gives INT");
}

TEST(OnnxNodeProblems, GroupNotDividingChannels) {
    // weight (4, 1, 3, 3) with group 3: 4 filters do not split into 3 groups.
    const OnnxModel m = parse(model(conv_graph({attr_int("group", 3)}, {4, 1, 3, 3}, {1, 3, 5, 5})));
    EXPECT_EQ(only_layer(m).problem,
              "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of size "
              "[[4, 1, 3, 3]] instead");
    // group 2 with weight (4, 2, 3, 3) needs 4 input channels; the input has 3.
    const OnnxModel c = parse(model(conv_graph({attr_int("group", 2)}, {4, 2, 3, 3}, {1, 3, 5, 5})));
    EXPECT_EQ(only_layer(c).problem,
              "Given groups=2, weight of size [4, 2, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, but got 3 "
              "channels instead");
    const OnnxModel z = parse(model(conv_graph({attr_int("group", 0)})));
    EXPECT_EQ(only_layer(z).problem, "non-positive groups is not supported");
}

TEST(OnnxNodeProblems, NoLayerNodeListsWhatIsThere) {
    Graph g;
    g.nodes.push_back(node("Relu", {"x"}, {"r"}));
    g.nodes.push_back(node("Add", {"r", "r"}, {"y"}));
    g.nodes.push_back(node("Relu", {"y"}, {"z"}));
    g.inputs.push_back(value_info("x", {1, 4}));
    const OnnxModel m = parse(model(g));
    expect_error<FormatError>([&] { onnx_require_usable_layer(m); },
                              {"m.onnx: no Conv, MaxPool or AveragePool node in the graph; it has Add x1, Relu x2"});
}

TEST(OnnxNodeProblems, OutOfScopeIsUnsupportedNotBroken) {
    // 3-D Conv.
    const OnnxModel c3 = parse(model(conv_graph({}, {4, 2, 3, 3, 3}, {1, 2, 5, 5, 5})));
    EXPECT_TRUE(only_layer(c3).unsupported);
    EXPECT_NE(only_layer(c3).problem.find("3-D convolution"), std::string::npos);
    expect_error<OnnxUnsupportedError>([&] { onnx_resolve_node(c3, only_layer(c3), {1, 2, 5, 5, 5}); }, {"3-D"});
    // MaxPool with the argmax output.
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y", "idx"}, {attr_ints("kernel_shape", {2, 2})}));
    g.inputs.push_back(value_info("x", {1, 1, 4, 4}));
    const OnnxModel mp = parse(model(g));
    EXPECT_TRUE(only_layer(mp).unsupported);
    EXPECT_NE(only_layer(mp).problem.find("second output Indices"), std::string::npos);
    // An op convscope does not run makes the graph unsupported, with the reason.
    Graph t;
    t.nodes.push_back(node("ConvInteger", {"x", "w"}, {"y"}));
    t.initializers.push_back(float_tensor("w", {1, 1, 2, 2}, iota(4)));
    t.inputs.push_back(value_info("x", {1, 1, 3, 3}));
    bool unsupported = false;
    const std::string why = onnx_graph_problem(parse(model(t)), &unsupported);
    EXPECT_TRUE(unsupported);
    EXPECT_NE(why.find("ConvInteger #0: quantized convolution is not supported"), std::string::npos) << why;
    // 3-D ConvTranspose.
    Graph t3;
    t3.nodes.push_back(node("ConvTranspose", {"x", "w"}, {"y"}));
    t3.initializers.push_back(float_tensor("w", {1, 1, 2, 2, 2}, iota(8)));
    t3.inputs.push_back(value_info("x", {1, 1, 3, 3, 3}));
    const OnnxModel ct3 = parse(model(t3));
    EXPECT_TRUE(only_layer(ct3).unsupported);
    EXPECT_NE(only_layer(ct3).problem.find("3-D transposed convolution"), std::string::npos) << only_layer(ct3).problem;
}

// ConvTranspose: a 2x2 input [[1, 2], [3, 4]] through a 2x2 all-ones kernel with stride 2 pastes one block per
// input element (hand-worked); pads, output_padding, output_shape and auto_pad map onto PyTorch's padding and
// output_padding, and SAME_UPPER's end crop (no single PyTorch call) is computed with a note.
TEST(OnnxMapping, ConvTransposeRunsTheScatterAndMapsPads) {
    auto graph = [](const std::vector<Pb>& attrs) {
        Graph g;
        g.nodes.push_back(node("ConvTranspose", {"x", "w"}, {"y"}, attrs));
        g.initializers.push_back(float_tensor("w", {1, 1, 2, 2}, {1, 1, 1, 1}));
        g.inputs.push_back(value_info("x", {1, 1, 2, 2}));
        return parse(model(g));
    };
    const Tensor x({1, 1, 2, 2}, {1, 2, 3, 4});
    const OnnxModel plain = graph({attr_ints("strides", {2, 2})});
    EXPECT_EQ(only_layer(plain).output_shape, (Shape{1, 1, 4, 4}));
    OnnxLayer layer;
    const Tensor y = onnx_run_node(plain, only_layer(plain), x, {}, &layer);
    EXPECT_EQ(y.data, (FloatStorage{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
    EXPECT_EQ(
        layer.description(),
        "conv_transpose2d(stride=[2, 2], padding=[0, 0], output_padding=[0, 0], groups=1, dilation=[1, 1], no bias)");
    // pads [1, 0, 0, 0]: crop the top row only. PyTorch: padding (1, 0), output_padding (1, 0).
    const OnnxModel pads = graph({attr_ints("strides", {2, 2}), attr_ints("pads", {1, 0, 0, 0})});
    const Tensor yp = onnx_run_node(pads, only_layer(pads), x, {}, &layer);
    EXPECT_EQ(yp.shape, (Shape{1, 1, 3, 4}));
    EXPECT_EQ(yp.data, (FloatStorage{1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
    EXPECT_EQ(layer.conv_transpose.padding, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(layer.conv_transpose.output_padding, (std::vector<int64_t>{1, 0}));
    // output_shape [5, 5]: one more than the full 4x4 at the end (ONNX's floor split), i.e. output_padding 1.
    const OnnxModel shaped = graph({attr_ints("strides", {2, 2}), attr_ints("output_shape", {5, 5})});
    const Tensor ys = onnx_run_node(shaped, only_layer(shaped), x, {}, &layer);
    EXPECT_EQ(ys.shape, (Shape{1, 1, 5, 5}));
    EXPECT_EQ(layer.conv_transpose.output_padding, (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(ys.at({0, 0, 4, 4}), 0.0f);
    // SAME_UPPER with stride 1: output 2x2 = the full 3x3 cropped by one at the end.
    const OnnxModel same = graph({attr_str("auto_pad", "SAME_UPPER")});
    const Tensor yu = onnx_run_node(same, only_layer(same), x, {}, &layer);
    EXPECT_EQ(yu.data, (FloatStorage{1, 3, 4, 10}));
    ASSERT_FALSE(layer.notes.empty());
    EXPECT_NE(layer.notes.back().find("output_padding [-1, -1]"), std::string::npos) << layer.notes.back();
    // An invalid configuration gets PyTorch's text.
    const OnnxModel bad = graph({attr_int("group", 2)});
    expect_error<ConfigError>(
        [&] {
            onnx_resolve_node(bad, only_layer(bad), {1, 1, 2, 2});
        },
        {"Given groups=2, expected weight to be at least 2 at dimension 0"});
}

// ------------------------------------------------------------------------------------------------- 4. the mapping

TEST(OnnxMapping, SameUpperAndSameLowerWithAnEvenKernel) {
    // 2x2 all-ones kernel over a 4x4 input 1..16, stride 1: total padding 1 per axis.
    // SAME_UPPER puts it at the end (right/bottom), SAME_LOWER at the beginning (left/top).
    Tensor x({1, 1, 4, 4}, iota(16));
    for (const auto& [mode, begin, end, first] : std::vector<std::tuple<std::string, int64_t, int64_t, float>>{
             {"SAME_UPPER", 0, 1, 1 + 2 + 5 + 6}, {"SAME_LOWER", 1, 0, 1}}) {
        Graph g;
        g.nodes.push_back(node("Conv", {"x", "w"}, {"y"}, {attr_str("auto_pad", mode)}));
        g.initializers.push_back(float_tensor("w", {1, 1, 2, 2}, {1, 1, 1, 1}));
        g.inputs.push_back(value_info("x", {1, 1, 4, 4}));
        const OnnxModel m = parse(model(g));
        OnnxLayer layer;
        const Tensor y = onnx_run_node(m, m.nodes[0], x, {}, &layer);
        ASSERT_TRUE(layer.conv_geometry);
        EXPECT_EQ(layer.conv.pads_begin, (std::vector<int64_t>{begin, begin})) << mode;
        EXPECT_EQ(layer.conv.pads_end, (std::vector<int64_t>{end, end})) << mode;
        EXPECT_EQ(y.shape, (Shape{1, 1, 4, 4})) << mode;
        EXPECT_EQ(y.at({0, 0, 0, 0}), first) << mode;  // hand-worked: the top-left window
        ASSERT_FALSE(layer.notes.empty());
        EXPECT_NE(layer.notes[0].find("auto_pad=" + mode), std::string::npos);
    }
}

TEST(OnnxMapping, SameWithStrideTwo) {
    // ONNX allows SAME with stride > 1 (PyTorch's padding='same' does not): out = ceil(5/2) = 3,
    // total = (3-1)*2 + 3 - 5 = 2 → 1 and 1; for 6: out 3, total = 4 + 3 - 6 = 1 → upper (0, 1), lower (1, 0).
    for (const auto& [mode, in, begin, end] : std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>>{
             {"SAME_UPPER", 5, 1, 1}, {"SAME_UPPER", 6, 0, 1}, {"SAME_LOWER", 6, 1, 0}}) {
        const OnnxModel m = parse(model(conv_graph({attr_str("auto_pad", mode), attr_ints("strides", {2, 2})})));
        const OnnxLayer layer = onnx_resolve_node(m, only_layer(m), {1, 2, in, in});
        EXPECT_EQ(layer.conv.pads_begin, (std::vector<int64_t>{begin, begin})) << mode << " " << in;
        EXPECT_EQ(layer.conv.pads_end, (std::vector<int64_t>{end, end})) << mode << " " << in;
        EXPECT_EQ(layer.output_shape(), (Shape{1, 4, 3, 3}));
    }
}

TEST(OnnxMapping, AsymmetricPads) {
    // ONNX pads [x1_begin, x2_begin, x1_end, x2_end] = [1, 0, 2, 3]: H gets 1 on top and 2 at the bottom, W gets 0
    // on the left and 3 on the right.
    const OnnxModel m = parse(model(conv_graph({attr_ints("pads", {1, 0, 2, 3})})));
    const OnnxLayer layer = onnx_resolve_node(m, only_layer(m), {1, 2, 5, 5});
    EXPECT_EQ(layer.conv.pads_begin, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(layer.conv.pads_end, (std::vector<int64_t>{2, 3}));
    ASSERT_TRUE(layer.conv_geometry);
    EXPECT_EQ(layer.conv_geometry->pad_begin, (std::array<int64_t, 2>{1, 0}));
    EXPECT_EQ(layer.conv_geometry->pad_end, (std::array<int64_t, 2>{2, 3}));
    // H: 5 + 1 + 2 - 3 + 1 = 6; W: 5 + 0 + 3 - 3 + 1 = 6.
    EXPECT_EQ(layer.output_shape(), (Shape{1, 4, 6, 6}));
    // 1-D: pads [x1_begin, x1_end].
    Graph g = conv_graph({attr_ints("pads", {2, 1})}, {3, 2, 3}, {1, 2, 7});
    const OnnxModel m1 = parse(model(g));
    const OnnxLayer l1 = onnx_resolve_node(m1, only_layer(m1), {1, 2, 7});
    EXPECT_EQ(l1.dims, 1);
    EXPECT_EQ(l1.conv.pads_begin, (std::vector<int64_t>{2}));
    EXPECT_EQ(l1.conv.pads_end, (std::vector<int64_t>{1}));
    EXPECT_EQ(l1.output_shape(), (Shape{1, 3, 8}));
}

TEST(OnnxMapping, AveragePoolCountIncludePadDefaultsToZero) {
    // All-ones 3x3 input, 3x3 window, pads 1: the corner window holds 4 input cells and 5 padding cells.
    // ONNX default (count_include_pad=0): 4/4 = 1. count_include_pad=1 (PyTorch's default): 4/9.
    const Tensor x({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    for (const auto& [attrs, corner, convention] : std::vector<std::tuple<std::vector<Pb>, float, std::string>>{
             {{}, 1.0f, "count_include_pad=0 (ONNX's default; PyTorch's nn.AvgPool default is True)"},
             {{attr_int("count_include_pad", 1)}, 4.0f / 9.0f, "count_include_pad=1 (set in the model)"}}) {
        std::vector<Pb> all = {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})};
        all.insert(all.end(), attrs.begin(), attrs.end());
        Graph g;
        g.nodes.push_back(node("AveragePool", {"x"}, {"y"}, all));
        g.inputs.push_back(value_info("x", {1, 1, 3, 3}));
        const OnnxModel m = parse(model(g));
        OnnxLayer layer;
        const Tensor y = onnx_run_node(m, m.nodes[0], x, {}, &layer);
        EXPECT_FLOAT_EQ(y.at({0, 0, 0, 0}), corner);
        EXPECT_FLOAT_EQ(y.at({0, 0, 1, 1}), 1.0f);
        bool noted = false;
        for (const std::string& n : layer.notes) noted = noted || n.find(convention) != std::string::npos;
        EXPECT_TRUE(noted) << convention;
    }
}

TEST(OnnxMapping, PoolStrideDefaultsToOneNotTheKernel) {
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y"}, {attr_ints("kernel_shape", {2, 2})}));
    g.inputs.push_back(value_info("x", {1, 3, 32, 32}));
    const OnnxModel m = parse(model(g));
    EXPECT_EQ(*only_layer(m).output_shape, (Shape{1, 3, 31, 31}));  // ONNX test_maxpool_2d_default
}

TEST(OnnxMapping, PoolPadsMayExceedHalfTheKernel) {
    // PyTorch rejects pad > kernel/2; ONNX does not. Windows entirely in padding give -inf (max) / 0 (avg).
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y"}, {attr_ints("kernel_shape", {2}), attr_ints("pads", {3, 0})}));
    g.inputs.push_back(value_info("x", {1, 1, 4}));
    const OnnxModel m = parse(model(g));
    EXPECT_EQ(only_layer(m).problem, "");
    const Tensor y = onnx_run_node(m, m.nodes[0], Tensor({1, 1, 4}, {5, 6, 7, 8}));
    EXPECT_EQ(y.shape, (Shape{1, 1, 6}));
    EXPECT_EQ(y.at({0, 0, 3}), 6.0f);
}

TEST(OnnxMapping, CeilModeDropsAWindowStartingInThePadding) {
    // in 4, kernel 2, stride 2, pads (0, 1), ceil: plain ceil gives 3 windows, the third would start at 4 (in the
    // right padding) and is dropped, as PyTorch does.
    Graph g;
    g.nodes.push_back(node("MaxPool", {"x"}, {"y"},
                           {attr_ints("kernel_shape", {2}), attr_ints("strides", {2}), attr_ints("pads", {0, 1}),
                            attr_int("ceil_mode", 1)}));
    g.inputs.push_back(value_info("x", {1, 1, 4}));
    const OnnxModel m = parse(model(g));
    const OnnxLayer layer = onnx_resolve_node(m, only_layer(m), {1, 1, 4});
    EXPECT_EQ(layer.output_shape(), (Shape{1, 1, 2}));
    bool noted = false;
    for (const std::string& n : layer.notes) noted = noted || n.find("dropped (3 -> 2 outputs)") != std::string::npos;
    EXPECT_TRUE(noted);
}

TEST(OnnxMapping, WeightAsGraphInputIsFedAtRunTime) {
    // The ONNX node tests pass W as a graph input: the shape comes from the declaration or the fed tensor.
    Graph g;
    g.nodes.push_back(
        node("Conv", {"x", "W"}, {"y"}, {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})}));
    g.inputs = {value_info("x", {1, 1, 5, 5}), value_info("W", {1, 1, 3, 3})};
    g.outputs.push_back(value_info("y", {1, 1, 5, 5}));
    const OnnxModel m = parse(model(g));
    EXPECT_EQ(only_layer(m).problem, "");
    OnnxFeeds feeds{{"x", Tensor({1, 1, 5, 5}, std::vector<float>(25, 1.0f))},
                    {"W", Tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f))}};
    const auto values = onnx_run_graph(m, feeds);
    const Tensor& y = values.at("y");
    // Analytic: all-ones 3x3 over all-ones input with padding 1: 9 inside, 6 on edges, 4 in corners.
    EXPECT_EQ(y.at({0, 0, 2, 2}), 9.0f);
    EXPECT_EQ(y.at({0, 0, 0, 2}), 6.0f);
    EXPECT_EQ(y.at({0, 0, 0, 0}), 4.0f);
    // Not fed: a specific message.
    expect_error<FormatError>([&] { onnx_run_graph(m, {{"x", feeds.at("x")}}); }, {"graph input 'W' was not given"});
}

TEST(OnnxMapping, InputOfTheWrongRank) {
    const OnnxModel m = parse(model(conv_graph({})));
    expect_error<FormatError>(
        [&] {
            onnx_resolve_node(m, only_layer(m), {2, 5, 5});
        },
        {"input 'x' has shape [2, 5, 5]; a 2-D Conv needs (N, C, H, W)"});
}

// ------------------------------------------------------------------------------- 5. tensors and running graphs

TEST(OnnxTensor, TypedFieldsAndRawData) {
    // float_data
    Tensor t = onnx_parse_tensor(tensor_header("a", kFloat, {2}).packed_floats(4, {1.5f, -2}).data(), "a.pb");
    EXPECT_EQ(t.shape, (Shape{2}));
    EXPECT_EQ(t.data, (FloatStorage{1.5f, -2}));
    // int32_data holding INT8 (sign) and UINT8; int64_data; double_data.
    OnnxTensorInfo info;
    t = onnx_parse_tensor(tensor_header("b", kInt8, {3}).packed_varints(5, {-3, 0, 127}).data(), "b.pb", &info);
    EXPECT_EQ(t.data, (FloatStorage{-3, 0, 127}));
    EXPECT_EQ(info.data_type, "INT8");
    ASSERT_FALSE(info.notices.empty());
    EXPECT_EQ(info.notices[0], "converted INT8 to float32");
    t = onnx_parse_tensor(tensor_header("c", kUint8, {2}).str(9, std::string("\x00\xff", 2)).data(), "c.pb");
    EXPECT_EQ(t.data, (FloatStorage{0, 255}));
    t = onnx_parse_tensor(tensor_header("d", kInt64, {2}).packed_varints(7, {-5, 1 << 20}).data(), "d.pb");
    EXPECT_EQ(t.data, (FloatStorage{-5, 1 << 20}));
    t = onnx_parse_tensor(tensor_header("e", kInt32, {1}).str(9, std::string("\xfe\xff\xff\xff", 4)).data(), "e.pb");
    EXPECT_EQ(t.data, (FloatStorage{-2}));
    double d = 0.25;
    std::string dbytes(8, '\0');
    std::memcpy(dbytes.data(), &d, 8);
    t = onnx_parse_tensor(tensor_header("f", kDouble, {1}).str(9, dbytes).data(), "f.pb");
    EXPECT_EQ(t.data, (FloatStorage{0.25f}));
    // FLOAT16 raw: 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24 (subnormal), 0x7c00 = inf.
    t = onnx_parse_tensor(
        tensor_header("g", kFloat16, {4}).str(9, std::string("\x00\x3c\x00\xc0\x01\x00\x00\x7c", 8)).data(), "g.pb");
    EXPECT_EQ(t.data[0], 1.0f);
    EXPECT_EQ(t.data[1], -2.0f);
    EXPECT_EQ(t.data[2], std::ldexp(1.0f, -24));
    EXPECT_TRUE(std::isinf(t.data[3]));
    // A scalar.
    t = onnx_parse_tensor(float_tensor("s", {}, {7}).data(), "s.pb");
    EXPECT_EQ(t.shape, Shape{});
    EXPECT_EQ(t.data, (FloatStorage{7}));
}

TEST(OnnxTensor, BadTensors) {
    expect_error<FormatError>([] { onnx_parse_tensor(Bytes(10, 0xff), "t.pb"); }, {"t.pb: not a valid ONNX tensor"});
    expect_error<FormatError>([] { onnx_parse_tensor(tensor_header("s", kString, {1}).str(6, "hi").data(), "t.pb"); },
                              {"t.pb: tensor 's': data type STRING cannot be converted to float32"});
    expect_error<FormatError>(
        [] {
            onnx_parse_tensor(tensor_header("a", kFloat, {3}).packed_floats(4, {1, 2, 3, 4}).data(), "t.pb");
        },
        {"float_data has 4 values, but dims [3] need 3"});
    expect_error<FormatError>([] { onnx_parse_tensor(tensor_header("a", kFloat, {-1}).data(), "t.pb"); },
                              {"dims [-1] has a negative dimension"});
    expect_error<FormatError>(
        [] {
            onnx_parse_tensor(tensor_header("a", kFloat, {1, 1, 1, 1, 1, 1}).data(), "t.pb");
        },
        {"rank 6 tensors are not supported"});
    expect_error<FormatError>(
        [] {
            onnx_parse_tensor(tensor_header("a", kFloat, {1 << 20, 1 << 20}).str(9, "abcd").data(), "t.pb");
        },
        {"raw_data has 4 bytes, but dims [1048576, 1048576] of FLOAT need 1,099,511,627,776 x 4 bytes"});
    expect_error<FormatError>(
        [] {
            onnx_parse_tensor(tensor_header("a", kFloat, {1 << 30, 1 << 30, 1 << 30}).str(9, "abcd").data(), "t.pb");
        },
        {"the element count overflows 64 bits"});
    expect_error<FormatError>(
        [] {
            onnx_parse_tensor(tensor_header("a", kFloat, {1})
                                  .msg(13, Pb().str(1, "location").str(2, "/etc/passwd"))
                                  .varint(14, 1)
                                  .data(),
                              "t.pb");
        },
        {"this model stores weights in external files; not supported"});
    expect_error<FormatError>(
        [] { onnx_parse_tensor(float_tensor("a", {1}, {1}).packed_floats(4, {1}).data(), "t.pb"); },
        {"has both raw_data and typed data fields"});
}

TEST(OnnxGraph, UnsqueezePoolSqueezeAsPyTorchExportsAvgPool1d) {
    // pytorch-converted/test_AvgPool1d's shape: Unsqueeze(axes=[3]) → AveragePool [2, 1] → Squeeze(axes=[3]).
    Graph g;
    g.nodes.push_back(node("Unsqueeze", {"x"}, {"u"}, {attr_ints("axes", {3})}));
    g.nodes.push_back(
        node("AveragePool", {"u"}, {"p"}, {attr_ints("kernel_shape", {2, 1}), attr_ints("strides", {2, 1})}));
    g.nodes.push_back(node("Squeeze", {"p"}, {"y"}, {attr_ints("axes", {3})}));
    g.inputs.push_back(value_info("x", {1, 1, 6}));
    g.outputs.push_back(value_info("y", {1, 1, 3}));
    const OnnxModel m = parse(model(g));
    EXPECT_EQ(onnx_graph_problem(m), "");
    const auto values = onnx_run_graph(m, {{"x", Tensor({1, 1, 6}, {1, 2, 3, 4, 5, 6})}});
    EXPECT_TRUE(convscope::testing::tensors_close(values.at("y"), Tensor({1, 1, 3}, {1.5f, 3.5f, 5.5f})));
}

TEST(OnnxGraph, GlobalPools) {
    for (const auto& [op, want] :
         std::vector<std::pair<std::string, float>>{{"GlobalMaxPool", 6}, {"GlobalAveragePool", 3.5f}}) {
        Graph g;
        g.nodes.push_back(node(op, {"x"}, {"y"}));
        g.inputs.push_back(value_info("x", {1, 1, 2, 3}));
        const OnnxModel m = parse(model(g));
        const Tensor y = onnx_run_node(m, m.nodes[0], Tensor({1, 1, 2, 3}, iota(6)));
        EXPECT_EQ(y.shape, (Shape{1, 1, 1, 1})) << op;
        EXPECT_FLOAT_EQ(y[0], want) << op;
    }
}

}  // namespace
