#include "onnx_export.hpp"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <span>

#include "error.hpp"
#include "file_io.hpp"

namespace convscope {

namespace {

std::vector<uint8_t> bytes_of(const google::protobuf::MessageLite& m) {
    std::string s;
    if (!m.SerializeToString(&s)) throw IoError("could not serialise an ONNX message");
    return std::vector<uint8_t>(s.begin(), s.end());
}

void fill_tensor(onnx::TensorProto& t, const std::string& name, const Shape& shape, const FloatStorage& data) {
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) t.add_dims(d);
    static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
    std::string raw(data.size() * sizeof(float), '\0');
    if (!data.empty()) std::memcpy(raw.data(), data.data(), raw.size());
    t.set_raw_data(raw);
}

void fill_value_info(onnx::ValueInfoProto& v, const std::string& name, const Shape& shape) {
    v.set_name(name);
    auto* tensor = v.mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : shape) tensor->mutable_shape()->add_dim()->set_dim_value(d);
}

void add_ints(onnx::NodeProto& node, const char* name, const std::vector<int64_t>& values) {
    auto* a = node.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
}

Shape batched(const Shape& s, bool unbatched) {
    Shape b = s;
    if (unbatched) b.insert(b.begin(), 1);
    return b;
}

// The Conv node's attributes, shared by the model and its text summary.
struct ConvAttributes {
    std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begin..., end...
};

ConvAttributes conv_attributes(const ConvGeometry& g) {
    if (g.mode != PaddingMode::Zeros)
        throw ConfigError(std::string("ONNX's Conv pads with zeros only; padding_mode='") + padding_mode_name(g.mode) +
                          "' would need a separate Pad node (convscope writes one Conv node)");
    const size_t first = g.dims == 1 ? 1 : 0;  // canonical [H, W]: 1-D uses W only
    ConvAttributes a;
    std::vector<int64_t> pads_end;
    for (size_t i = first; i < 2; ++i) {
        a.kernel.push_back(g.kernel[i]);
        a.strides.push_back(g.stride[i]);
        a.dilations.push_back(g.dilation[i]);
        a.pads.push_back(g.pad_begin[i]);
        pads_end.push_back(g.pad_end[i]);
    }
    a.pads.insert(a.pads.end(), pads_end.begin(), pads_end.end());
    return a;
}

Shape conv_weight_shape(const ConvGeometry& g) {
    Shape w{g.c_out, g.c_in_per_group};
    if (g.dims == 2) w.push_back(g.kernel[0]);
    w.push_back(g.kernel[1]);
    return w;
}

std::string list_text(const std::vector<int64_t>& v) {
    std::string t = "[";
    for (size_t i = 0; i < v.size(); ++i) t += (i ? ", " : "") + std::to_string(v[i]);
    return t + "]";
}

}  // namespace

std::string onnx_export_summary(const ConvGeometry& g, bool bias, const std::string& doc) {
    const ConvAttributes a = conv_attributes(g);
    Shape xs{g.n, g.c_in}, ys{g.n, g.c_out};
    for (size_t i = g.dims == 1 ? 1 : 0; i < 2; ++i) xs.push_back(g.in[i]), ys.push_back(g.out[i]);
    std::string t = "# ONNX model (opset " + std::to_string(kOnnxExportOpset) + ", IR version " +
                    std::to_string(kOnnxExportIrVersion) + ", producer convscope): one Conv node\n";
    t += "# doc_string: " + doc + "\n";
    t += "graph convscope_conv\n";
    t += "  input        input   float32 " + list_text(xs) + "\n";
    t += "  initializer  weight  float32 " + list_text(conv_weight_shape(g)) + "\n";
    if (bias) t += "  initializer  bias    float32 " + list_text({g.c_out}) + "\n";
    t += std::string("  node conv: Conv(input, weight") + (bias ? ", bias" : "") + ") -> output\n";
    t += "    kernel_shape=" + list_text(a.kernel) + "  strides=" + list_text(a.strides) +
         "  dilations=" + list_text(a.dilations) + "  pads=" + list_text(a.pads) +
         "  group=" + std::to_string(g.groups) + "\n";
    t += "  output       output  float32 " + list_text(ys) + "\n";
    t += "# pads are (begin..., end...) per spatial axis; test_data_set_0 holds input_0.pb and the expected "
         "output_0.pb.\n";
    t += "# Write the files: convscope-cli code --framework onnx --scene FILE --output DIR\n";
    return t;
}

OnnxExportFiles onnx_export_conv(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b,
                                 const Tensor& y, const std::string& doc) {
    const ConvAttributes attrs = conv_attributes(g);
    const Shape xs = batched(x.shape, g.unbatched), ys = batched(y.shape, g.unbatched);

    onnx::ModelProto model;
    model.set_ir_version(kOnnxExportIrVersion);
    model.set_producer_name("convscope");
    model.set_doc_string(doc);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxExportOpset);
    onnx::GraphProto* graph = model.mutable_graph();
    graph->set_name("convscope_conv");
    onnx::NodeProto* node = graph->add_node();
    node->set_name("conv");
    node->set_op_type("Conv");
    node->add_input("input");
    node->add_input("weight");
    if (b) node->add_input("bias");
    node->add_output("output");
    add_ints(*node, "kernel_shape", attrs.kernel);
    add_ints(*node, "strides", attrs.strides);
    add_ints(*node, "dilations", attrs.dilations);
    add_ints(*node, "pads", attrs.pads);
    auto* group = node->add_attribute();
    group->set_name("group");
    group->set_type(onnx::AttributeProto::INT);
    group->set_i(g.groups);
    fill_tensor(*graph->add_initializer(), "weight", w.shape, w.data);
    if (b) fill_tensor(*graph->add_initializer(), "bias", b->shape, b->data);
    fill_value_info(*graph->add_input(), "input", xs);
    fill_value_info(*graph->add_output(), "output", ys);

    OnnxExportFiles files;
    files.model = bytes_of(model);
    onnx::TensorProto in, out;
    fill_tensor(in, "input", xs, x.data);
    fill_tensor(out, "output", ys, y.data);
    files.input_pb = bytes_of(in);
    files.output_pb = bytes_of(out);
    return files;
}

std::vector<std::string> onnx_export_paths(const std::string& dir) {
    namespace fs = std::filesystem;
    const fs::path root(dir), data = root / "test_data_set_0";
    return {(root / "model.onnx").string(), (data / "input_0.pb").string(), (data / "output_0.pb").string()};
}

void onnx_export_write(const std::string& dir, const OnnxExportFiles& files, bool force) {
    namespace fs = std::filesystem;
    const std::vector<std::string> paths = onnx_export_paths(dir);
    if (!force)
        for (const std::string& p : paths)
            if (fs::exists(p)) throw IoError(p + " already exists; pass --force to overwrite it");
    const fs::path data = fs::path(dir) / "test_data_set_0";
    std::error_code ec;
    fs::create_directories(data, ec);
    if (ec) throw IoError(data.string() + ": cannot create the folder: " + ec.message());
    write_file_atomically(paths[0], files.model);
    write_file_atomically(paths[1], files.input_pb);
    write_file_atomically(paths[2], files.output_pb);
}

}  // namespace convscope
