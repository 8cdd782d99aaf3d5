#include "memory_budget.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>

#include "error.hpp"
#include "file_io.hpp"

namespace convscope {

namespace {

constexpr uint64_t kOverflow = std::numeric_limits<uint64_t>::max();

uint64_t mul(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    return __builtin_mul_overflow(a, b, &r) ? kOverflow : r;
}
uint64_t add(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? kOverflow : r;
}

uint64_t float_bytes(const Shape& s) {
    uint64_t n = sizeof(float);
    for (int64_t d : s) n = mul(n, d < 0 ? 0 : static_cast<uint64_t>(d));
    return n;
}

std::string bytes_text(uint64_t b) { return b == kOverflow ? "more than 2^64" : grouped_int(b); }

}  // namespace

std::optional<uint64_t> parse_byte_size(const std::string& text) {
    if (text.empty()) return std::nullopt;
    uint64_t unit = 1;
    size_t digits = text.size();
    switch (text.back()) {
        case 'K':
        case 'k':
            unit = uint64_t{1} << 10;
            --digits;
            break;
        case 'M':
        case 'm':
            unit = uint64_t{1} << 20;
            --digits;
            break;
        case 'G':
        case 'g':
            unit = uint64_t{1} << 30;
            --digits;
            break;
        default:
            break;
    }
    uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, v);
    if (digits == 0 || ec != std::errc() || ptr != text.data() + digits) return std::nullopt;
    const uint64_t r = mul(v, unit);
    if (r == kOverflow) return std::nullopt;
    return r;
}

uint64_t memory_budget_bytes() {
    if (const char* env = std::getenv("CONVSCOPE_MAX_MEMORY"); env && *env) {
        const auto v = parse_byte_size(env);
        if (!v)
            throw ConfigError(
                std::string("CONVSCOPE_MAX_MEMORY: expected a byte count such as 4000000000, 512M or 2G, got '") + env +
                "'");
        return *v;
    }
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return kOverflow;  // unknown: no budget beyond what the allocator says
    return mul(static_cast<uint64_t>(pages), static_cast<uint64_t>(page));
}

void check_memory_budget(const std::string& task, const std::vector<MemoryItem>& items, uint64_t budget) {
    uint64_t total = 0;
    for (const MemoryItem& i : items) total = add(total, i.bytes);
    if (total <= budget) return;
    std::string parts;
    for (const MemoryItem& i : items)
        if (i.bytes > 0) parts += (parts.empty() ? "" : "; ") + i.what + ": " + bytes_text(i.bytes) + " bytes";
    const bool from_env = std::getenv("CONVSCOPE_MAX_MEMORY") && *std::getenv("CONVSCOPE_MAX_MEMORY");
    throw ResourceError(
        task + " needs " + bytes_text(total) + " bytes (" + parts + "); the memory budget is " + bytes_text(budget) +
        " bytes (" +
        (from_env ? "CONVSCOPE_MAX_MEMORY" : "this machine's memory; set CONVSCOPE_MAX_MEMORY to change it") + ")");
}

void check_memory_budget(const std::string& task, const std::vector<MemoryItem>& items) {
    check_memory_budget(task, items, memory_budget_bytes());
}

std::vector<MemoryItem> conv_memory_items(const ConvGeometry& g, ConvScratch scratch, int threads) {
    const Shape w{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    std::vector<MemoryItem> items{{"input " + shape_to_string(g.input_shape()), float_bytes(g.input_shape())},
                                  {"weight " + shape_to_string(w), float_bytes(w)},
                                  {"output " + shape_to_string(g.output_shape_torch()), float_bytes(g.output_shape())}};
    const auto padded_side = [&](int a) {
        return static_cast<uint64_t>(g.in[a]) + static_cast<uint64_t>(g.pad_begin[a]) +
               static_cast<uint64_t>(g.pad_end[a]);
    };
    if (scratch == ConvScratch::PaddedBatch) {
        const uint64_t item =
            mul(mul(mul(sizeof(float), static_cast<uint64_t>(g.c_in)), padded_side(0)), padded_side(1));
        items.push_back({"padded input", mul(item, static_cast<uint64_t>(g.n))});
    }
    if (scratch == ConvScratch::Im2col) {
        const uint64_t workers = static_cast<uint64_t>(std::max<int64_t>(1, std::min<int64_t>(threads, g.n)));
        const uint64_t padded =
            mul(mul(mul(sizeof(float), static_cast<uint64_t>(g.c_in)), padded_side(0)), padded_side(1));
        const uint64_t cols =
            mul(mul(mul(sizeof(float), static_cast<uint64_t>(g.macs_per_output())), static_cast<uint64_t>(g.out[0])),
                static_cast<uint64_t>(g.out[1]));
        const std::string each = workers > 1 ? " x " + std::to_string(workers) + " workers" : "";
        items.push_back({"padded input item" + each, mul(padded, workers)});
        items.push_back({"unfolded matrix (im2col)" + each, mul(cols, workers)});
    }
    return items;
}

std::vector<MemoryItem> pool_memory_items(const PoolGeometry& g) {
    return {{"input " + shape_to_string(g.input_shape()), float_bytes(g.input_shape())},
            {"output " + shape_to_string(g.output_shape_torch()), float_bytes(g.output_shape())}};
}

uint64_t peak_resident_bytes() {
    struct rusage u {};
    if (::getrusage(RUSAGE_SELF, &u) != 0 || u.ru_maxrss <= 0) return 0;
    return static_cast<uint64_t>(u.ru_maxrss) * 1024;  // Linux reports kilobytes
}

}  // namespace convscope
