// The full-layer output, computed off the UI thread with conv_reference on slices (one batch item, one group,
// a few output channels at a time) so the UI can draw progress. The result is swapped in whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "scene.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

struct LayerOutput {
    std::shared_ptr<const Scene> scene;
    Tensor y;            // (N, C_out, H_out, W_out) canonical memory (1-D: H_out = 1)
    float abs_max = 0;   // max |y| over finite values (the feature maps' colour scale)
    bool has_non_finite = false;
};

// Computes everything synchronously (small layers, tests).
std::shared_ptr<const LayerOutput> compute_layer_output(std::shared_ptr<const Scene> scene,
                                                        const std::atomic<bool>* cancel = nullptr,
                                                        std::atomic<float>* progress = nullptr);

class ComputeWorker {
public:
    ComputeWorker() = default;
    ~ComputeWorker();
    ComputeWorker(const ComputeWorker&) = delete;
    ComputeWorker& operator=(const ComputeWorker&) = delete;

    // Starts computing `scene`, cancelling any job still running.
    void start(std::shared_ptr<const Scene> scene);
    // The finished result, once (null while running or when nothing new finished).
    std::shared_ptr<const LayerOutput> take_result();
    bool busy() const { return busy_.load(); }
    float progress() const { return progress_.load(); }
    uint64_t scene_id() const { return scene_id_; }

private:
    void stop();

    std::thread thread_;
    std::atomic<bool> cancel_{false};
    std::atomic<bool> busy_{false};
    std::atomic<float> progress_{0.0f};
    uint64_t scene_id_ = 0;
    std::mutex mutex_;
    std::shared_ptr<const LayerOutput> done_;
};

}  // namespace convscope::workspace
