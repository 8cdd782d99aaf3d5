// "Then ReLU and pooling" (the Feature maps panel's second tab): the seed's Net runs F.relu and MaxPool2d(2, 2) on
// every conv output, (3, 6, 24, 24) -> (3, 6, 12, 12). The settings, and the computation on the full-layer output
// with core's relu and pool_fast (bit for bit pool_reference). No GL, no ImGui: the window runs it at once for small
// layers and on a BackgroundJob for large ones.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "compute.hpp"
#include "pool.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

enum class AfterPool { None, Max, Avg };

struct AfterSettings {
    bool relu = true;
    AfterPool pool = AfterPool::Max;
    int kernel = 2;
    int stride = 2;
    bool operator==(const AfterSettings&) const = default;
};

struct AfterResult {
    std::shared_ptr<const LayerOutput> source;  // the conv output it was computed from
    AfterSettings settings;
    Tensor act;                        // relu(y) (or y), shaped as PyTorch returns y
    std::optional<PoolGeometry> pool;  // set when a pooling layer is chosen and fits
    std::string error;                 // PyTorch's text when the pooling layer does not fit act
    Tensor out;                        // pooled act, or act itself without pooling; canonical (N, C, H, W) order
    int64_t out_h = 1, out_w = 1;
    float abs_max = 0;  // over finite values of out
    bool non_finite = false;
};

// The Python text of the chosen layers, e.g. "F.relu -> nn.MaxPool2d(kernel_size=2, stride=2)".
std::string after_layers_text(const AfterSettings& settings, int dims);

AfterResult compute_after(std::shared_ptr<const LayerOutput> source, const AfterSettings& settings);

}  // namespace convscope::workspace
