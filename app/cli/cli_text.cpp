#include "cli_text.hpp"

#include <cstdio>

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", v);
    return buf;
}

std::string position_text(int dims, int64_t y, int64_t x) {
    return dims == 1 ? "(" + std::to_string(x) + ")" : "(" + std::to_string(y) + "," + std::to_string(x) + ")";
}

std::string kernel_tap_text(int dims, int64_t ky, int64_t kx) {
    return dims == 1 ? std::to_string(kx) : std::to_string(ky) + "," + std::to_string(kx);
}

void print_output_sum(const std::vector<convscope::CursorChannel>& channels, float value, float bias, int64_t c_out,
                      const std::string& pos) {
    std::string sums;
    for (size_t ci = 0; ci < channels.size() && ci < 8; ++ci) sums += (ci ? " + " : "") + number_text(channels[ci].sum);
    if (channels.size() > 8) sums += " + ... (" + std::to_string(channels.size()) + " channels)";
    std::printf("  sum of channel sums = %s = %s\n", sums.c_str(), number_text(value - bias).c_str());
    std::printf("  + bias b[%lld]      = %s\n", static_cast<long long>(c_out), number_text(bias).c_str());
    std::printf("  = y[%s]        = %s\n", pos.c_str(), number_text(value).c_str());
}
