#include "code_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <span>

#include "builtin_data.hpp"
#include "cli_args.hpp"
#include "codegen.hpp"
#include "conv_reference.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "npy.hpp"
#include "onnx_export.hpp"
#include "scene_io.hpp"

using namespace convscope;

namespace {

struct Options {
    std::string framework, input, layer, scene, at, data = ".", output;
    uint32_t seed = 0;
    bool force = false;
};

// The layer and input of a scene file: its Conv layer, its input's shape (batch, channels, size) and its cursor.
CodeLayer code_layer_from_scene(const std::string& path) {
    const SceneFile scene = scene_load(path);
    const ConvLayer& l = scene.layer;
    Shape input;
    if (scene.input.kind == SceneInput::Kind::Embedded) {
        input = scene.input.tensor.shape;
    } else {
        const int64_t h = scene.input.kind == SceneInput::Kind::Cifar ? 32 : scene.input.height;
        const int64_t w = scene.input.kind == SceneInput::Kind::Cifar ? 32 : scene.input.width;
        input = l.dims == 1 ? Shape{scene.batch, l.in_channels, w} : Shape{scene.batch, l.in_channels, h, w};
    }
    const ConvCheck check = conv_layer_check(l, input);
    if (!check.ok())
        throw ConfigError(path + ": the scene's layer does not run on its input " + shape_to_string(input) + ": " +
                          check.error);
    // The scene's cursor step, as an output position (step numbering: cursor.hpp; the values are not read, but the
    // cursor requires an input of the geometry's shape).
    const ConvGeometry& g = *check.geometry;
    const Tensor x(g.input_shape()), none;
    const ConvCursor cursor(g, x, none, nullptr);
    int64_t pos = cursor.convert_step(scene.cursor_step, scene.granularity, Granularity::Position);
    const Shape out = g.output_shape();
    std::array<int64_t, 4> at{};
    for (int i = 3; i >= 0; --i) {
        at[static_cast<size_t>(i)] = pos % out[static_cast<size_t>(i)];
        pos /= out[static_cast<size_t>(i)];
    }
    CodeLayer c = code_layer_from_conv(l, input, at, code_scene_source(scene.title, path), path);
    return c;
}

// The tensors the ONNX export stores: DIR/input.npy, weight.npy, bias.npy when present, else seeded uniform values
// (builtin_data.hpp's pytorch_default_init; the input in [-1, 1)).
Tensor tensor_or_random(const std::string& dir, const char* name, const Shape& shape, int64_t fan_in, uint32_t seed) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    if (!std::filesystem::exists(path)) return pytorch_default_init(shape, fan_in, seed);
    Tensor t = npy_load(path);
    if (t.shape != shape)
        throw ConfigError(path + " has shape " + shape_to_string(t.shape) + "; this layer needs " +
                          shape_to_string(shape));
    return t;
}

int run(const Options& o) {
    const std::optional<CodeFramework> fw = parse_code_framework(o.framework);
    if (!fw) throw UsageError("--framework: expected pytorch, keras, numpy or onnx, got '" + o.framework + "'");
    if (!o.scene.empty() && (!o.input.empty() || !o.layer.empty()))
        throw UsageError("code takes either --scene FILE or --input SHAPE \"LAYER\", not both");
    if (o.scene.empty() && (o.input.empty() || o.layer.empty()))
        throw UsageError(
            "code needs --input SHAPE and a LAYER (e.g. --input 1,3,17,17 \"Conv2d(3, 8, 3)\"), or --scene FILE");
    if (*fw == CodeFramework::Onnx && o.output.empty())
        throw UsageError("--framework onnx writes a folder (model.onnx + test_data_set_0): give it with --output DIR");
    // Nothing is overwritten without --force; checked before anything is computed.
    const std::vector<std::string> targets =
        *fw == CodeFramework::Onnx ? onnx_export_paths(o.output) : std::vector<std::string>{o.output};
    for (const std::string& t : targets)
        if (!t.empty()) check_output_path(t, o.force);

    CodeLayer c = o.scene.empty() ? code_layer_from_text(o.layer, parse_int_list(o.input, "--input"))
                                  : code_layer_from_scene(o.scene);
    c.data_dir = o.data;
    c.seed = o.seed;
    if (!o.at.empty()) {
        std::vector<int64_t> at = parse_int_list(o.at, "--at");
        const bool unbatched = c.geometry.unbatched;
        const size_t want = (c.geometry.dims == 1 ? 2u : 3u) + (unbatched ? 0u : 1u);
        if (at.size() != want)
            throw UsageError("--at: expected " + std::string(unbatched ? "" : "n,") +
                             (c.geometry.dims == 1 ? "c,x" : "c,y,x") + " (output position, PyTorch order), got '" +
                             o.at + "'");
        if (unbatched) at.insert(at.begin(), 0);
        if (c.geometry.dims == 1) at.insert(at.begin() + 2, 0);
        set_code_cursor(c, {at[0], at[1], at[2], at[3]});
    } else if (o.scene.empty()) {
        // The middle of the first output map: more telling than a corner.
        set_code_cursor(c, {0, 0, c.geometry.out[0] / 2, c.geometry.out[1] / 2});
    }

    if (*fw == CodeFramework::Onnx) {
        const ConvGeometry& g = c.geometry;
        Shape ws{g.c_out, g.c_in_per_group};
        if (g.dims == 2) ws.push_back(g.kernel[0]);
        ws.push_back(g.kernel[1]);
        const int64_t fan_in = g.c_in_per_group * g.kernel[0] * g.kernel[1];
        const Tensor x = tensor_or_random(o.data, "input.npy", c.input, 1, o.seed);
        const Tensor w = tensor_or_random(o.data, "weight.npy", ws, fan_in, o.seed + 1);
        std::optional<Tensor> b;
        if (c.layer.bias) b = tensor_or_random(o.data, "bias.npy", {g.c_out}, fan_in, o.seed + 2);
        const Tensor y = conv_reference(g, x, w, b ? &*b : nullptr);
        const OnnxExportFiles files = onnx_export_conv(g, x, w, b ? &*b : nullptr, y, c.source_text);
        onnx_export_write(o.output, files, o.force);
        std::fprintf(stderr,
                     "wrote %s/model.onnx (one Conv node, opset %lld) and test_data_set_0 (input %s, output %s)\n",
                     o.output.c_str(), static_cast<long long>(kOnnxExportOpset), shape_to_string(x.shape).c_str(),
                     shape_to_string(y.shape).c_str());
        return 0;
    }
    const std::string text = *fw == CodeFramework::PyTorch ? code_pytorch(c)
                             : *fw == CodeFramework::NumPy ? code_numpy(c)
                                                           : code_keras(c);
    if (o.output.empty()) {
        std::cout << text;
        return 0;
    }
    write_file_atomically(o.output,
                          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    std::fprintf(stderr, "wrote %s\n", o.output.c_str());
    return 0;
}

}  // namespace

SubcommandSet add_code_command(CLI::App& app) {
    const auto o = std::make_shared<Options>();
    CLI::App* code = app.add_subcommand("code",
                                        "Write the layer as code: a PyTorch script, a Keras snippet, a NumPy loop nest "
                                        "or an ONNX model with its test data");
    code->add_option("--framework", o->framework, "pytorch, keras, numpy or onnx")
        ->required()
        ->check(CLI::IsMember({"pytorch", "keras", "numpy", "onnx"}));
    code->add_option("--input", o->input,
                     "input shape as `shape` takes it: 1,3,17,17 for Conv2d, channels-last 1,17,17,3 for Conv2D");
    code->add_option("layer", o->layer,
                     "the layer, e.g. \"Conv2d(3, 8, 3, stride=2, padding=1)\" or \"Conv2D(8, 3, strides=2, "
                     "padding='same')\"");
    code->add_option("--scene", o->scene, "take the layer, input shape and cursor from a scene file instead");
    code->add_option("--at", o->at,
                     "the output element to print, PyTorch order n,c,y,x (1-D: n,c,x); default: the "
                     "middle of the first map, or the scene's cursor");
    code->add_option("--data", o->data,
                     "folder the code reads input.npy, weight.npy, bias.npy from (PyTorch layout); "
                     "missing ones are seeded random")
        ->capture_default_str();
    code->add_option("--seed", o->seed, "seed of the random tensors")->capture_default_str();
    code->add_option("--output", o->output, "write to this file (onnx: this folder) instead of stdout");
    code->add_flag("--force", o->force, "overwrite existing files");
    return {[o, code]() -> std::optional<int> {
        if (!*code) return std::nullopt;
        return run(*o);
    }};
}
