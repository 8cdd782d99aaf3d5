// convscope-cli: `code`, the current layer as code in the user's framework (core/codegen.hpp, core/onnx_export.hpp).
//   code --framework pytorch|keras|numpy|onnx --input SHAPE "LAYER" [--at n,c,y,x] [--data DIR] [--seed S]
//   code --framework ... --scene FILE
// Snippets go to stdout or --output FILE; onnx writes a folder (--output DIR, required). Nothing existing is
// overwritten without --force. Wiring in main() follows onnx_commands.hpp: add_code_command before parsing,
// run_code_command after it.
#pragma once

#include <memory>
#include <optional>

namespace CLI {
class App;
}

struct CodeCommand {
    struct Options;
    CLI::App* code = nullptr;
    std::shared_ptr<Options> options;
};

CodeCommand add_code_command(CLI::App& app);

// The exit code when `code` was selected (0 ok; 1 a layer/file error; 2 usage), std::nullopt otherwise.
std::optional<int> run_code_command(const CodeCommand& command);
