// convscope-cli: `code`, the current layer as code in the user's framework (core/codegen.hpp, core/onnx_export.hpp).
//   code --framework pytorch|keras|numpy|onnx --input SHAPE "LAYER" [--at n,c,y,x] [--data DIR] [--seed S]
//   code --framework ... --scene FILE
// Snippets go to stdout or --output FILE; onnx writes a folder (--output DIR, required). Nothing existing is
// overwritten without --force. Wiring in main() follows onnx_commands.hpp: add_code_command before parsing,
// its run() after it.
#pragma once

#include "cli_args.hpp"

// Registers `code`. Its run(): the exit code when `code` was selected (0 ok; 1 a layer/file error; 2 usage),
// std::nullopt otherwise.
SubcommandSet add_code_command(CLI::App& app);
