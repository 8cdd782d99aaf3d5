// What the app shows: a layer (as the user edits it), the input batch, the weights, and the built-in presets.
// No GL, no ImGui: scenes are plain data, built on the UI thread and read by the compute worker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "scene_io.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

// The input batch: (N, C, H, W) for Conv2d, (N, C, L) for Conv1d (then h is unused and w is L).
struct InputSpec {
    int64_t n = 1, c = 3, h = 32, w = 32;
    bool c_follows_layer = true;        // C is in_channels (uncheck to see PyTorch's channel-mismatch error)
    std::string picture = "generated";  // the built-in picture generated for this shape (core/builtin_data.hpp)
};

struct LayerEdit {
    ConvLayer layer;
    InputSpec input;
};

Shape input_shape(const LayerEdit& edit);
// "nn.Conv2d(3, 192, kernel_size=5, stride=1, padding=2)" as a user would write it (defaults omitted).
std::string layer_python_text(const ConvLayer& layer);
// One argument of such a call: "3" for one value, "(3, 5)" for one per dim.
std::string python_arg_text(const std::vector<int64_t>& v);
bool all_equal(const std::vector<int64_t>& v, int64_t value);  // every element is `value` (the default: omit it)

// A valid, fully built scene: immutable once made (the worker and the UI share it).
struct Scene {
    uint64_t id = 0;
    LayerEdit edit;
    ConvGeometry geo;
    Tensor x;                               // (N, C_in, H, W) canonical memory (1-D: H = 1)
    Tensor w;                               // (C_out, C_in/groups, kH, kW) canonical memory
    Tensor bias;                            // (C_out) or empty
    int designed_filters = 0;               // w[0 .. designed-1] are hand-made; the rest PyTorch's init
    std::vector<std::string> filter_names;  // one per designed filter
    std::string image_kind;                 // what x shows, e.g. "sunset picture"
    // Where x and w came from, as a scene file records them (tensors inside stay empty: x/w/bias hold the data).
    SceneInput input_source;
    SceneWeights weight_source;
    const Tensor* bias_ptr() const { return edit.layer.bias ? &bias : nullptr; }
};

struct Preset {
    std::string key;     // script name, e.g. "batch_vs_channel"
    std::string label;   // button text
    std::string lesson;  // the explanation shown with the preset
    LayerEdit edit;
    std::string compare_key;  // a second preset to contrast with (may be empty)
    std::string scene_file;   // assets/scenes/<file>.json when shipped as a scene file (then loaded from it)
};

LayerEdit default_edit();

// The built-in presets (the seed questions); `asset_dir`/scenes/presets.json may override the lesson texts.
// On a malformed file `error` says why and the built-in texts are kept.
std::vector<Preset> builtin_presets(const std::string& asset_dir, std::string& error);

// Data brought in from outside (a picture, CIFAR images, .npy/ONNX weights, a scene file). Canonical shapes:
// x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW), bias (C_out) — 1-D with H = kH = 1.
struct SceneData {
    std::optional<Tensor> x;
    std::string image_kind;
    SceneInput input_source;
    std::optional<Tensor> w;
    Tensor bias;  // used when the layer has a bias
    SceneWeights weight_source;
    bool builtin_weights = false;  // regenerate the designed + seeded weights even if the shape is unchanged
};

// Builds the scene for a valid edit. Weights and input are regenerated only when their shapes change:
// `previous` (may be null) donates them otherwise, so editing stride keeps the same filters. `data` (may be
// null) replaces the input and/or weights; its shapes must already match `geo` (app_apply_data checks).
std::shared_ptr<const Scene> build_scene(const LayerEdit& edit, const ConvGeometry& geo, const Scene* previous,
                                         uint64_t id, const SceneData* data = nullptr);

// The canonical 4-D form of a PyTorch-layout tensor of `dims` spatial dims: (N, C, L) -> (N, C, 1, L).
Tensor canonical_4d(const Tensor& t, int dims);
// Back to PyTorch's form: (N, C, 1, L) -> (N, C, L) when dims == 1.
Tensor torch_form(const Tensor& t, int dims);

}  // namespace convscope::workspace
