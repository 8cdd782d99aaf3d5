#include "cli_args.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "file_io.hpp"
#include "memory_budget.hpp"

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
            throw UsageError(std::string(option) + ": expected an integer or a comma-separated list like 2,1, got '" + text + "'");
        values.push_back(v);
        start = end + 1;
    }
    return values;
}

void check_output_path(const std::string& path, bool force) {
    if (!force && std::filesystem::exists(path))
        throw UsageError(path + " already exists; pass --force to overwrite it");
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
    std::fprintf(stderr, "time: load %.3f ms, compute %.3f ms (best of %d%s; %s engine, %d thread%s); "
                         "peak memory %s bytes (resident)\n",
                 ms(load), best, repeat, gflops, engine.c_str(), threads, threads == 1 ? "" : "s",
                 convscope::grouped_int(convscope::peak_resident_bytes()).c_str());
}
