// convscope-cli: the argument helpers every subcommand shares (one home, used by main.cpp and the command files).
//   errors and checks   UsageError, parse_int_list, parse_output_position, check_output_path
//   shared options      add_layer_file_options (--input --weight --bias), add_compute_options (--output ... --repeat)
//                       and check_compute_options
//   timing              print_compute_time (--time --repeat)
//   command files       SubcommandSet: what onnx_commands, transpose_commands and code_command hand to main()
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace CLI {
class App;
}

// A command-line mistake (exit code 2), as opposed to an invalid input or configuration (convscope::Error, exit 1).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "2" or "2,1" (also "(2, 1)") -> {2} / {2, 1}. Throws UsageError naming `option`.
std::vector<int64_t> parse_int_list(const std::string& text, const char* option);

// explain's --at: n,c,y,x (n,c,x when dims == 1) inside `out`, the canonical output shape (N, C, H, W). Returns the
// four indices (1-D: y = 0). A wrong count throws UsageError ("--at: expected n,c,x for this <layer>, got '...'"); a
// position outside throws ConfigError naming `torch_shape`, the output shape as PyTorch returns it.
std::vector<int64_t> parse_output_position(const std::string& at, int dims, const std::string& layer,
                                           const convscope::Shape& out, const convscope::Shape& torch_shape);

// Outputs never replace an existing file unless asked (--force): a typo must not destroy someone's data.
// Checked before any input is loaded or anything computed. Throws UsageError.
void check_output_path(const std::string& path, bool force);

// --input, --weight, --bias: the .npy files of a convolution (conv, explain, conv-transpose).
struct LayerFiles {
    std::string input, weight, bias;
};
void add_layer_file_options(CLI::App* cmd, LayerFiles& files, const char* input_help, const char* weight_help,
                            bool weight_required);

// --output, --force, --engine [--isa], --threads, --time, --repeat, in the order --help lists them: what a command
// that computes a whole layer (conv, pool, conv-transpose) writes and how it runs.
struct ComputeOptions {
    std::string output;
    bool force = false;
    std::string engine = "fast";
    std::string isa = "auto";  // only where EngineChoices::isa
    int threads = 0;
    bool time = false;
    int repeat = 1;  // --time --repeat N
};
struct EngineChoices {
    const char* help;                // --engine's help text
    std::vector<std::string> names;  // the values --engine accepts
    bool isa = false;                // also --isa, the direct conv kernel's instruction set
};
void add_compute_options(CLI::App* cmd, ComputeOptions& o, const EngineChoices& engines, const char* time_help);
// --threads is 0 (all cores) or 1..kMaxThreads, and --output may be written (check_output_path); checked before
// anything is loaded. Throws UsageError.
void check_compute_options(const ComputeOptions& o);

// --time [--repeat N] (conv, conv-transpose, pool): `first` is the duration of the run that wrote the output; `again`
// runs the same computation N-1 more times. Prints on stderr the load time, the best of N in milliseconds, GFLOPS
// for `flops` (0: not printed, e.g. max pooling), the engine and threads, and the peak resident memory.
void print_compute_time(std::chrono::steady_clock::duration load, std::chrono::steady_clock::duration first, int repeat,
                        double flops, const std::string& engine, int threads, const std::function<void()>& again);

// The subcommands a command file registers (onnx_commands, transpose_commands, code_command). Its add_* function
// declares them on the app before parsing and returns this set; main() calls run() after app.parse().
struct SubcommandSet {
    // The selected subcommand's exit code, or std::nullopt when none of the set was selected. May throw UsageError
    // and convscope::Error.
    std::function<std::optional<int>()> dispatch;

    // dispatch() with its errors turned into the exit code: UsageError prints "usage: <what>" on stderr and gives 2,
    // convscope::Error prints its message and gives 1.
    std::optional<int> run() const;
};
