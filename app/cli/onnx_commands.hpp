// convscope-cli: the ONNX subcommands.
//   onnx-list  MODEL.onnx [--json]  nodes, attributes, weight/bias shapes, graph inputs/outputs, the engine mapping
//   onnx-check DIR [--json]         run a conformance case (model.onnx + test_data_set_*/input_*.pb, output_*.pb)
//                                   through the engine and compare with ONNX's expected outputs
// Wiring in main(): `SubcommandSet onnx = add_onnx_commands(app);` before parsing, then
// `if (auto code = onnx.run()) return *code;` after it.
#pragma once

#include "cli_args.hpp"

// Registers onnx-list and onnx-check (with --help text) on `app`. Its run(): the exit code if one of them was
// selected (0 success; 1 a model/tensor error, a failed comparison or an unsupported node, with the message on
// stderr), std::nullopt otherwise.
SubcommandSet add_onnx_commands(CLI::App& app);
