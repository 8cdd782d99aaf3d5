// convscope-cli: the ONNX subcommands.
//   onnx-list  MODEL.onnx [--json]  nodes, attributes, weight/bias shapes, graph inputs/outputs, the engine mapping
//   onnx-check DIR [--json]         run a conformance case (model.onnx + test_data_set_*/input_*.pb, output_*.pb)
//                                   through the engine and compare with ONNX's expected outputs
// Wiring in main(): `OnnxCommands onnx = add_onnx_commands(app);` before parsing, then
// `if (auto code = run_onnx_commands(onnx)) return *code;` after it.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}

struct OnnxCommands {
    struct Options;  // the values CLI11 writes into; heap-allocated so this struct can be returned by value
    CLI::App* list = nullptr;
    CLI::App* check = nullptr;
    std::shared_ptr<Options> options;
};

// Registers onnx-list and onnx-check (with --help text) on `app`.
OnnxCommands add_onnx_commands(CLI::App& app);

// After app.parse(): the exit code if one of the ONNX subcommands was selected (0 success; 1 a model/tensor error,
// a failed comparison or an unsupported node, with the message on stderr), std::nullopt otherwise.
std::optional<int> run_onnx_commands(const OnnxCommands& commands);
