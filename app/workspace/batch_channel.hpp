// Seed question 2 side by side (View -> Batch vs channel): the SAME images as a batch and as channels, one cursor.
//   batch:    x (N, 1, H, W) through Conv2d(1, C_out, k) -> y (N, C_out, Ho, Wo): item n reads image n only
//   channels: x (1, N, H, W) through Conv2d(N, C_out, k) -> y (1, C_out, Ho, Wo): every map reads every image
// Both scenes are the presets' own ("batch_vs_channel" and "channel_stack": the numbers the window shows when either
// is open), built here from their edits. The model answers what the window draws: each side's output at the shared
// cursor split into what each image contributed (attribution), the outputs that read one pixel (the perturbation
// demo: change that pixel and exactly these outputs change), and the images a map reads. No GL, no ImGui.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "scene.hpp"

namespace convscope::workspace {

enum class PairSide { Batch, Channels };
const char* pair_side_name(PairSide side);  // "batch", "channels"

struct BatchChannelPair {
    std::shared_ptr<const Scene> batch, channels;
    Tensor y_batch, y_channels;  // conv_reference of each side: (N, C_out, Ho, Wo) and (1, C_out, Ho, Wo)
    int64_t images() const { return batch->geo.n; }
    int64_t filters() const { return batch->geo.c_out; }
    const Scene& scene(PairSide side) const { return side == PairSide::Batch ? *batch : *channels; }
    const Tensor& y(PairSide side) const { return side == PairSide::Batch ? y_batch : y_channels; }
};

// Builds both sides from the presets "batch_vs_channel" and "channel_stack". False with the reason when a preset is
// missing, is not the batch / channel form of the other (one input channel vs N, same filters, same kernel), or the
// channel stack does not hold the batch's images (the comparison would show two different inputs).
bool build_batch_channel_pair(const std::vector<Preset>& presets, BatchChannelPair& out, std::string& error);

// The shared cursor: which image's maps the batch side points at, and the filter and output position on both sides.
struct PairCursor {
    int64_t image = 0, c_out = 0, y = 0, x = 0;
    bool operator==(const PairCursor&) const = default;
};
PairCursor clamp_cursor(const BatchChannelPair& pair, PairCursor c);

// One side's output at the cursor, split by input image: contribution[k] is the sum of the products that read
// image k (nullopt: the output never reads image k), in the engine's order, so Σ contributions + bias = value
// exactly as the cursor adds (and as PyTorch computes, within float32 tolerance).
struct Attribution {
    std::array<int64_t, 4> output{};  // (n, c_out, y, x) of this side's y
    std::vector<std::optional<float>> contribution;
    float bias = 0, value = 0;
};
Attribution pair_attribution(const BatchChannelPair& pair, PairSide side, const PairCursor& cursor);
// "y[1, 2, 10, 12] = 0.78 (image 1) + 0.00 (bias) = 0.78"; images not read are named after the equation.
std::string attribution_text(const Attribution& a);

// The perturbation demo: every output of `side` that reads pixel (iy, ix) of image k, as (n, c_out, y, x), sorted.
// Batch: only item k's maps; channels: every map (the image is channel k of the one item).
std::vector<std::array<int64_t, 4>> pair_lit_outputs(const BatchChannelPair& pair, PairSide side, int64_t image,
                                                     int64_t iy, int64_t ix);
// The images output map (n, c_out) of `side` reads: batch {n}; channels all of them.
std::vector<int64_t> pair_images_read(const BatchChannelPair& pair, PairSide side, int64_t n);

// Which side a scene on screen is (same layer and the same input and weights), if either: the window then moves
// the main cursor with the pair's.
std::optional<PairSide> pair_side_of(const BatchChannelPair& pair, const Scene& scene);

}  // namespace convscope::workspace
