// convscope core: the worker threads the fast paths share. Starting a std::thread costs more than a small layer
// takes to compute, so workers are started once and reused; a call hands each of them a contiguous share, in blocks
// that a thread done with its own share may take over.
#pragma once

#include <cstdint>
#include <functional>

namespace convscope {

// Calls fn(begin, end) on contiguous ranges that together cover [0, count) exactly once, in parallel on the calling
// thread and `threads` - 1 persistent workers. [0, count) is cut into at most 4 ranges per thread; thread t first
// runs the t-th share of them in order (the caller the first), then ranges of other shares not started yet. Returns
// when every range is done.
// threads <= 1, count <= 1, or a call while another parallel_for is running (nested or from another thread)
// runs fn(0, count) on the caller. fn must not throw.
void parallel_for(int threads, int64_t count, const std::function<void(int64_t begin, int64_t end)>& fn);

// The most worker threads a thread-count setting may ask for: front ends refuse more with a message (each thread
// costs a stack and a share of the scratch buffers; 100,000 threads exhaust memory before they start).
inline constexpr int kMaxThreads = 256;

// A thread-count setting resolved: `requested` when above 0, else the machine's hardware threads (1 if unknown);
// never more than kMaxThreads.
int resolve_threads(int requested);

}  // namespace convscope
