#include "cli_args.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>

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
