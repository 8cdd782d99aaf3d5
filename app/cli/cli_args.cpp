#include "cli_args.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "error.hpp"
#include "file_io.hpp"
#include "memory_budget.hpp"
#include "thread_pool.hpp"

using namespace convscope;

std::vector<int64_t> parse_int_list(const std::string& text, const char* option) {
    std::vector<int64_t> values;
    std::string t;
    for (char c : text)
        if (c != '(' && c != ')' && c != '[' && c != ']' && c != ' ') t += c;
    size_t start = 0;
    while (start <= t.size()) {
        const size_t end = std::min(t.find(',', start), t.size());
        int64_t v = 0;
        auto [ptr, ec] = std::from_chars(t.data() + start, t.data() + end, v);
        if (ec != std::errc() || ptr != t.data() + end || end == start)
            throw UsageError(std::string(option) + ": expected an integer or a comma-separated list like 2,1, got '" +
                             text + "'");
        values.push_back(v);
        start = end + 1;
    }
    return values;
}

std::vector<int64_t> parse_output_position(const std::string& at, int dims, const std::string& layer, const Shape& out,
                                           const Shape& torch_shape) {
    std::vector<int64_t> idx = parse_int_list(at, "--at");
    if (idx.size() != static_cast<size_t>(dims + 2))
        throw UsageError("--at: expected " + std::string(dims == 1 ? "n,c,x" : "n,c,y,x") + " for this " + layer +
                         ", got '" + at + "'");
    if (dims == 1) idx.insert(idx.begin() + 2, 0);
    for (size_t i = 0; i < 4; ++i)
        if (idx[i] < 0 || idx[i] >= out[i])
            throw ConfigError("--at " + at + " is outside the output of shape " + shape_to_string(torch_shape));
    return idx;
}

void check_output_path(const std::string& path, bool force) {
    if (!force && std::filesystem::exists(path))
        throw UsageError(path + " already exists; pass --force to overwrite it");
}

void add_layer_file_options(CLI::App* cmd, LayerFiles& files, const char* input_help, const char* weight_help,
                            bool weight_required) {
    cmd->add_option("--input", files.input, input_help)->required();
    CLI::Option* weight = cmd->add_option("--weight", files.weight, weight_help);
    if (weight_required) weight->required();
    cmd->add_option("--bias", files.bias, "bias .npy of shape (C_out)");
}

void add_compute_options(CLI::App* cmd, ComputeOptions& o, const EngineChoices& engines, const char* time_help) {
    cmd->add_option("--output", o.output, "output .npy (an existing file is kept unless --force)")->required();
    cmd->add_flag("--force", o.force, "overwrite an existing output file");
    cmd->add_option("--engine", o.engine, engines.help)->check(CLI::IsMember(engines.names))->capture_default_str();
    if (engines.isa) {
        const char* isa_help =
            "the direct kernel's instruction set: auto (CONVSCOPE_ISA if set, else the widest this CPU runs), "
            "generic (SSE2), avx2 (AVX2 + FMA) or avx512 (AVX-512 F, DQ, BW, VL); one the CPU lacks is refused";
        cmd->add_option("--isa", o.isa, isa_help)
            ->check(CLI::IsMember({"auto", "generic", "avx2", "avx512"}))
            ->capture_default_str();
    }
    cmd->add_option("--threads", o.threads, "threads for the fast engine (0 = all cores; at most 256)")
        ->capture_default_str();
    cmd->add_flag("--time", o.time, time_help);
    cmd->add_option("--repeat", o.repeat, "with --time: compute N times and report the best (1 to 1000)")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
}

void check_compute_options(const ComputeOptions& o) {
    if (o.threads < 0 || o.threads > kMaxThreads)
        throw UsageError("--threads: expected 0 (all " + std::to_string(resolve_threads(0)) +
                         " cores of this machine) or 1 to " + std::to_string(kMaxThreads) + ", got " +
                         std::to_string(o.threads));
    check_output_path(o.output, o.force);
}

void print_compute_time(std::chrono::steady_clock::duration load, std::chrono::steady_clock::duration first, int repeat,
                        double flops, const std::string& engine, int threads, const std::function<void()>& again) {
    const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
    double best = ms(first);
    for (int i = 1; i < repeat; ++i) {  // the best of N runs, as benchmarks report it
        const auto t0 = std::chrono::steady_clock::now();
        again();
        best = std::min(best, ms(std::chrono::steady_clock::now() - t0));
    }
    char gflops[48] = "";
    if (flops > 0) std::snprintf(gflops, sizeof gflops, "; %.1f GFLOPS", flops / (best * 1e-3) * 1e-9);
    std::fprintf(stderr,
                 "time: load %.3f ms, compute %.3f ms (best of %d%s; %s engine, %d thread%s); "
                 "peak memory %s bytes (resident)\n",
                 ms(load), best, repeat, gflops, engine.c_str(), threads, threads == 1 ? "" : "s",
                 convscope::grouped_int(convscope::peak_resident_bytes()).c_str());
}

std::optional<int> SubcommandSet::run() const {
    try {
        return dispatch();
    } catch (const UsageError& e) {
        std::fprintf(stderr, "usage: %s\n", e.what());
        return 2;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
