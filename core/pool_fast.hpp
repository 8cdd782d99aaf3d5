// convscope core: the full-layer pooling fast path. Windows that lie wholly inside the input run a tight loop
// without bounds tests; windows touching padding or the ceil-mode overhang take the cursor's exact per-window
// rule; planes (n, c) are split over threads. Same results as pool_reference, bit for bit (same window order).
#pragma once

#include "pool.hpp"
#include "tensor.hpp"

namespace convscope {

Tensor pool_fast(const PoolGeometry& g, const Tensor& x, int threads = 0);  // threads 0 = all cores

}  // namespace convscope
