// The full-layer output, computed off the UI thread with conv_reference on slices (one batch item, one group,
// a few output channels at a time) so the UI can draw progress. The result is swapped in whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "background_job.hpp"
#include "scene.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

struct LayerOutput {
    std::shared_ptr<const Scene> scene;
    Tensor y;           // (N, C_out, H_out, W_out) canonical memory (1-D: H_out = 1)
    float abs_max = 0;  // max |y| over finite values (the feature maps' colour scale)
    bool has_non_finite = false;
};

// Computes everything synchronously (small layers, tests).
std::shared_ptr<const LayerOutput> compute_layer_output(std::shared_ptr<const Scene> scene,
                                                        const std::atomic<bool>* cancel = nullptr,
                                                        std::atomic<float>* progress = nullptr);

// The Channel sums panel's maps for one output map y[n, c_out]: each input channel of its group correlated with its
// kernel slice, no bias (their sum + bias is y[n, c_out]). maps: (C_in/groups, H_out, W_out).
struct PartialMaps {
    uint64_t scene_id = 0;
    int64_t n = 0, c_out = 0;
    Tensor maps;
    float abs_max = 0;  // over finite values
    bool non_finite = false;
};
// nullopt when cancelled (checked between channels).
std::optional<PartialMaps> compute_partial_maps(const Scene& scene, int64_t n, int64_t c_out,
                                                const std::atomic<bool>* cancel = nullptr);
// Multiply-adds compute_partial_maps does (the window computes small ones at once, larger ones on a job).
int64_t partial_maps_macs(const ConvGeometry& g);

// The layer computation on its own thread; starting a scene cancels the one still computing.
class ComputeWorker {
public:
    void start(std::shared_ptr<const Scene> scene);
    // The finished result, once (null while running or when nothing new finished).
    std::shared_ptr<const LayerOutput> take_result();
    bool busy() const { return job_.busy(); }
    float progress() const { return job_.progress(); }
    uint64_t scene_id() const { return scene_id_; }

private:
    BackgroundJob<std::shared_ptr<const LayerOutput>> job_;
    uint64_t scene_id_ = 0;
};

}  // namespace convscope::workspace
