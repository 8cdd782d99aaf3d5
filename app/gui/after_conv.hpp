// "Then ReLU and pooling": the seed's Net runs F.relu and MaxPool2d(2, 2) on every conv output, turning
// (3, 6, 24, 24) into (3, 6, 12, 12). This view applies the same two layers to the full-layer output
// (app/workspace/after_layers: core's relu and pool_fast, bit for bit pool_reference, which the PyTorch differential
// test checks) and explains one pooled value with the core's PoolCursor. It follows the layer: whenever the conv
// output or the settings change, it is recomputed, at once for small layers and on a BackgroundJob for large ones.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "after_layers.hpp"
#include "background_job.hpp"
#include "pool.hpp"
#include "tensor.hpp"

namespace convscope::workspace {
struct LayerOutput;
}

namespace convscope::gui {

using workspace::LayerOutput;
struct AppState;

using workspace::AfterPool;
using workspace::AfterSettings;

struct AfterConv {
    AfterSettings settings;         // what the tab asks for (intent::SetAfterSettings)
    workspace::AfterResult result;  // the maps on screen: result.source and result.settings say what of
    uint64_t generation = 0;        // bumps whenever `result` is replaced
    // large layers: computed on this job; (source, settings) last asked for
    workspace::BackgroundJob<workspace::AfterResult> job;
    std::shared_ptr<const LayerOutput> requested_source;
    AfterSettings requested_settings;
};

// The Python text of the chosen layers, e.g. "F.relu -> nn.MaxPool2d(kernel_size=2, stride=2)".
std::string after_layers_text(const AfterSettings& settings, int dims);

// Recomputes act/out/atlas when the conv output or the settings changed and the tab is shown (frame start; needs
// the GL context); above 4M output values on the job, installed when it finishes. Until then `source` names the
// output the result belongs to: readers compare it with s.ws.output.
void after_update(AppState& s);

}  // namespace convscope::gui
