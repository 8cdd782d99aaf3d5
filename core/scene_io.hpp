// convscope core: scene files. A scene is the whole state a lesson needs: input source, layer settings, weights,
// cursor position and view options, saved as versioned JSON.
//
// Writing is atomic: the JSON goes to a uniquely named temporary file in the same folder (flushed, fsynced; see
// write_file_atomically), the previous file is kept
// as "<file>.bak", then the temp file is renamed over the target; on any failure the original is untouched and an
// IoError carries the OS's text. Reading is strict: syntax errors report line:column, wrong types name the field
// ("layer.stride[1] must be an integer"), unknown fields are errors, a newer version says so, nesting depth is
// capped; nothing is returned unless everything parsed. Paths inside a scene are stored relative to the scene's
// folder when they lie under it, and resolved against it when read. Numbers are written with std::to_chars
// (locale-independent).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "conventions.hpp"
#include "cursor.hpp"
#include "layout.hpp"
#include "tensor.hpp"

namespace convscope {

inline constexpr int kSceneVersion = 1;

struct SceneInput {
    enum class Kind { Builtin, Cifar, Image, Embedded };
    Kind kind = Kind::Builtin;
    std::string builtin = "sunset";   // Builtin: the generated picture's name
    std::string path;                 // Cifar: file/folder/.tar.gz; Image: the image file (absolute after load)
    std::vector<int64_t> indices;     // Cifar: the images that form the batch
    bool greyscale = false;           // Image/Cifar: convert to one channel
    bool center_crop = false;         // Image: crop instead of area-resize
    int64_t height = 32, width = 32;  // Builtin: generated size; Image: target size (1-D: height 1)
    Tensor tensor;                    // Embedded: the input itself, (N, C, H, W) or (N, C, L)
};

struct SceneWeights {
    enum class Kind { Builtin, Embedded, Npy, Onnx };
    Kind kind = Kind::Builtin;
    uint32_t seed = 1;                            // Builtin: designed filters + seeded PyTorch init
    Tensor weight, bias;                          // Embedded (bias may be empty)
    std::string weight_path, bias_path;           // Npy (absolute after load)
    WeightLayout layout = WeightLayout::PyTorch;  // Npy
    std::string onnx_path, onnx_node;             // Onnx: model file and Conv node name
};

struct SceneView {
    float ui_scale = 1.0f;
    float input_zoom = 0.0f, maps_zoom = 0.0f, filters_zoom = 0.0f;  // 0 = fit
    bool reveal_all = false;
    int64_t selected_c_out = 0;
    std::optional<Convention> conventions;  // the window's PyTorch/Keras naming; unset: the window keeps its own
};

struct SceneFile {
    int version = kSceneVersion;
    std::string title;
    SceneInput input;
    ConvLayer layer;
    int64_t batch = 1;
    SceneWeights weights;
    int64_t cursor_step = 0;
    Granularity granularity = Granularity::Position;
    SceneView view;
};

// `scene_dir` makes paths relative when writing / absolute when reading; `name` is used in messages.
std::string scene_to_json(const SceneFile& scene, const std::string& scene_dir);
SceneFile scene_from_json(const std::string& text, const std::string& name, const std::string& scene_dir);

// The files a scene refers to (input path, .npy and ONNX paths) that lie outside `scene_dir` (or all of them when
// scene_dir is empty): the app asks before loading these.
std::vector<std::string> scene_paths_outside(const SceneFile& scene, const std::string& scene_dir);

// The same, each with the JSON key the user wrote ("input.path", "weights.weight", "weights.bias",
// "weights.model"), and the one message that lists them for a question or a refusal:
//   "the scene refers to a file outside its folder: input.path = /etc/passwd"
struct ScenePath {
    std::string key;
    std::string path;
    bool operator==(const ScenePath&) const = default;
};
std::vector<ScenePath> scene_paths_outside_by_key(const SceneFile& scene, const std::string& scene_dir);
std::string scene_paths_outside_text(const std::vector<ScenePath>& paths);

void scene_save(const std::string& path, const SceneFile& scene);
SceneFile scene_load(const std::string& path);

}  // namespace convscope
