// Data in: what the user can open (pictures, CIFAR sets, .npy weights, ONNX models, scene files), the loads that
// run off the UI thread, reading a scene file with everything it references, and the recent-files list.
// No ImGui, no GL: a load turns untrusted bytes into a LoadResult (data or an error message); the app decides
// what to do with it between frames (workspace_data.cpp), so a failed load never touches the scene on screen.
//
// Sections: purposes · requests and results · the loader thread · building inputs · scene files · recent files
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "background_job.hpp"
#include "cifar.hpp"
#include "image_io.hpp"
#include "layout.hpp"
#include "onnx_model.hpp"
#include "scene.hpp"
#include "scene_io.hpp"

namespace convscope::workspace {

// ---- purposes: what a path is opened as ----
enum class FilePurpose { Image, Cifar, Weights, Bias, Onnx, Scene, SaveScene };
const char* purpose_name(FilePurpose p);  // "image", "CIFAR", ... (recent.json, messages)
std::optional<FilePurpose> purpose_from_name(const std::string& name);
const char* purpose_extensions(FilePurpose p);  // ".png .jpg .jpeg .bmp", for the browser's filter line
bool purpose_accepts(FilePurpose p, const std::filesystem::path& file);
// By extension (dropped files, command line): .json scene, .onnx, .npy weights, image, CIFAR .bin/.tar.gz.
std::optional<FilePurpose> purpose_of_path(const std::string& path);

// ---- requests and results ----
struct ImageOptions {
    bool greyscale = false;
    bool center_crop = false;  // else area resize
    int64_t height = 32, width = 32;
};

struct LoadRequest {
    FilePurpose purpose = FilePurpose::Image;
    std::string path;
    std::string bias_path;                        // Weights: optional
    WeightLayout layout = WeightLayout::PyTorch;  // Weights
    std::optional<CifarVariant> variant;          // Cifar: the user's answer to "CIFAR-10 or CIFAR-100?"
    bool accept_partial = false;                  // Cifar: load the complete records of a cut-short file
    std::vector<int64_t> pick;                    // Cifar: images that become the batch once loaded
    bool cifar_greyscale = false;
    ImageOptions image;
    bool allow_outside = false;  // Scene: the user agreed to load files outside its folder
};

struct OnnxData {
    std::string path;
    OnnxModel model;
    // <model folder>/test_data_set_0/input_0.pb and output_0.pb, when present and readable
    std::optional<Tensor> test_input, test_output;
    std::string test_note;  // what was found or why it could not be read
};

// A scene file with everything it references loaded and checked: ready to swap in.
struct LoadedScene {
    std::string path;
    SceneFile file;
    LayerEdit edit;
    SceneData data;
    std::shared_ptr<const CifarDataset> cifar;  // when the input comes from a CIFAR set
    std::string image_path;                     // when the input is a picture
    std::shared_ptr<const DecodedImage> image;
};

struct LoadResult {
    LoadRequest request;
    std::string error;             // non-empty: the load failed (names the file and what was wrong)
    int64_t partial_records = -1;  // CIFAR: the file is cut short; this many records are complete
    bool ambiguous = false;        // CIFAR: could be CIFAR-10 or CIFAR-100
    std::shared_ptr<const DecodedImage> image;
    std::shared_ptr<const CifarDataset> cifar;
    Tensor weight, bias;      // Weights: already in PyTorch layout; bias empty when none was given
    std::string permutation;  // Weights: weight_to_pytorch's text
    std::vector<std::string> notices;
    std::shared_ptr<const OnnxData> onnx;
    std::shared_ptr<const LoadedScene> scene;
    std::vector<ScenePath> outside;  // Scene: not loaded because these files lie outside its folder (ask the user)
};

// ---- the loader thread: one load at a time; starting another cancels the one running ----
class Loader {
public:
    void start(LoadRequest request);
    std::optional<LoadResult> take_result() { return job_.take_result(); }
    bool busy() const { return job_.busy(); }
    bool has_result() { return job_.has_result(); }  // a finished load waits for take_result
    float progress() const { return job_.progress(); }
    const LoadRequest& request() const { return request_; }  // the load running (or last run)
    void cancel() { job_.cancel(); }

private:
    BackgroundJob<LoadResult> job_;
    LoadRequest request_;
};

// Runs one request on the calling thread (the loader's body). Never throws: failures are result.error.
LoadResult run_load(const LoadRequest& request, const std::atomic<bool>* cancel, std::atomic<float>* progress);

// ---- building inputs ----
// (N, C, 32, 32) from the chosen images (C = 3, or 1 with greyscale: ITU-R BT.601 luma). Indices are checked.
Tensor cifar_batch(const CifarDataset& set, const std::vector<int64_t>& indices, bool greyscale);
// "CIFAR #7 cat, #3 dog" — what the Input panel says the batch is.
std::string cifar_batch_text(const CifarDataset& set, const std::vector<int64_t>& indices, bool greyscale);
// "photo.png (640x480, area resize)".
std::string image_batch_text(const std::string& path, const DecodedImage& image, const ImageOptions& options);
// (1, C, H, W) from a decoded picture.
Tensor image_batch(const DecodedImage& image, const ImageOptions& options);
std::string file_name(const std::string& path);

// ---- scene files ----
// Reads `path`, then every file it references, checks every shape against the layer; throws Error naming the
// file and field. A scene that names files outside its own folder (an absolute path, "../") reads none of them
// unless allow_outside: it throws OutsidePathsError listing them by the JSON key the user wrote, so the window can
// ask and a headless run can refuse ("--allow-outside-paths" says yes).
class OutsidePathsError : public Error {
public:
    explicit OutsidePathsError(std::vector<ScenePath> paths_)
        : Error(scene_paths_outside_text(paths_)), paths(std::move(paths_)) {}
    std::vector<ScenePath> paths;
};
LoadedScene load_scene_file(const std::string& path, const std::atomic<bool>* cancel, std::atomic<float>* progress,
                            bool allow_outside = false);

// ---- recent files: <settings dir>/recent.json ----
// The settings folder is $XDG_CONFIG_HOME/convscope or ~/.config/convscope for an interactive window
// (default_settings_dir(); "" when neither variable is set) and none ("") for scripted, screenshot, export and test
// runs unless --settings-dir names one: automation never touches a user's settings.
struct RecentFile {
    std::string path;
    FilePurpose purpose = FilePurpose::Image;
};
inline constexpr size_t kMaxRecent = 12;
std::string default_settings_dir();
std::string recent_files_path(const std::string& settings_dir);  // "" when settings_dir is ""
// Returns false with a message on failure (the list is then empty); a missing file or no folder is not a failure.
bool recent_load(const std::string& settings_dir, std::vector<RecentFile>& out, std::string& error);
// Without a settings folder nothing is written and the result is true.
bool recent_save(const std::string& settings_dir, const std::vector<RecentFile>& list, std::string& error);
void recent_add(std::vector<RecentFile>& list, const std::string& path, FilePurpose purpose);

}  // namespace convscope::workspace
