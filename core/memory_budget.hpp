// convscope core: memory checked before it is allocated. A layer whose output, padded input or unfolded matrix
// cannot fit is refused with the bytes it would need, instead of dying in std::bad_alloc (or being killed by the
// OS) after minutes; PyTorch says "DefaultCPUAllocator: can't allocate memory: you tried to allocate N bytes".
//
// The budget is the machine's physical memory, or CONVSCOPE_MAX_MEMORY when set (bytes, or with a K, M or G
// suffix: powers of 1024), so that a smaller limit can be set (and tested) without a smaller machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "pool.hpp"

namespace convscope {

struct MemoryItem {
    std::string what;    // "output [1, 4, 200006, 200006]"
    uint64_t bytes = 0;  // UINT64_MAX when the size itself overflows
};

// The budget in bytes (see above). Throws ConfigError for a malformed CONVSCOPE_MAX_MEMORY.
uint64_t memory_budget_bytes();

// Parses "1000", "512K", "64M", "2G" (powers of 1024); empty optional when malformed or overflowing.
std::optional<uint64_t> parse_byte_size(const std::string& text);

// Throws ResourceError when the items together need more than `budget`:
//   "conv2d needs 2,560,096,000,064 bytes (output [1, 4, 200006, 200006]: 640,048,000,576 bytes; ...); the memory
//    budget is 16,777,216,000 bytes (this machine's memory; set CONVSCOPE_MAX_MEMORY to change it)"
void check_memory_budget(const std::string& task, const std::vector<MemoryItem>& items, uint64_t budget);
void check_memory_budget(const std::string& task, const std::vector<MemoryItem>& items);

// How an engine holds its data beyond input, weight and output.
enum class ConvScratch {
    None,         // the reference loops and the cursor read the input in place
    PaddedBatch,  // the direct kernel: one padded copy of the whole input
    Im2col,       // im2col + sgemm: per worker, a padded item and its unfolded matrix
};

// What a convolution holds at its peak: input, weight, output and the engine's scratch.
std::vector<MemoryItem> conv_memory_items(const ConvGeometry& g, ConvScratch scratch, int threads);
std::vector<MemoryItem> pool_memory_items(const PoolGeometry& g);

// The most memory this process has held so far (its peak resident set), in bytes; 0 if unknown.
uint64_t peak_resident_bytes();

}  // namespace convscope
