// convscope-cli: the argument helpers every subcommand shares (one home, used by main.cpp and the command files).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

// A command-line mistake (exit code 2), as opposed to an invalid input or configuration (convscope::Error, exit 1).
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "2" or "2,1" (also "(2, 1)") -> {2} / {2, 1}. Throws UsageError naming `option`.
std::vector<int64_t> parse_int_list(const std::string& text, const char* option);

// Outputs never replace an existing file unless asked (--force): a typo must not destroy someone's data.
// Checked before any input is loaded or anything computed. Throws UsageError.
void check_output_path(const std::string& path, bool force);

// --time [--repeat N] (conv, conv-transpose, pool): `first` is the duration of the run that wrote the output; `again`
// runs the same computation N-1 more times. Prints on stderr the load time, the best of N in milliseconds, GFLOPS
// for `flops` (0: not printed, e.g. max pooling), the engine and threads, and the peak resident memory.
void print_compute_time(std::chrono::steady_clock::duration load, std::chrono::steady_clock::duration first, int repeat,
                        double flops, const std::string& engine, int threads, const std::function<void()>& again);
