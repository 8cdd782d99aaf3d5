// The workspace: the app's model (the layer, the scene on screen and its output, the cursor, loads, lessons' state,
// the transposed-convolution session), the intents that change it and the frame functions that apply them. No GL,
// no ImGui, no window: the window (app/gui) draws it and turns input into intents; tests drive it directly.
//
// Sections: intents · data in · workspace · frame functions
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "after_layers.hpp"
#include "app_settings.hpp"
#include "background_job.hpp"
#include "compute.hpp"
#include "convention_texts.hpp"
#include "conventions.hpp"
#include "cursor.hpp"
#include "data_in.hpp"
#include "lesson.hpp"
#include "scene.hpp"
#include "scene_io.hpp"
#include "transpose_scene.hpp"

namespace convscope::workspace {

// ---- intents: what a panel (or the script) asked for; applied by app_apply_intents between
// frames. The window-level ones (lessons, UI scale, the Batch vs channel cursor) are handed back to the window. ----
// one intent a line reads as the list it is:
// clang-format off
namespace intent {
struct EditLayer { LayerEdit edit; };
struct ApplySetting { std::string key, value; };  // script/lesson `set KEY VALUE`, on the edit as it is when applied
struct ApplyPreset { std::string key; };
struct Seek { int64_t step; };          // absolute step at the current granularity
struct StepBy { int64_t delta; };        // ±steps at the current granularity
struct SeekEnd { bool end; };            // false: first step, true: last step
struct SetGranularity { Granularity granularity; };
struct SetPlaying { bool playing; };
struct SetSpeed { float steps_per_second; };
struct MoveCursor { int64_t n, c_out, y, x; };   // the step that ends this output position
struct SelectOutputChannel { int64_t c_out; };   // same (n, y, x), other filter
struct HoverInput { int64_t n, c, y, x; };       // n < 0: nothing hovered
struct PinHover { int64_t n, c, y, x; };         // script: keep this hover until unpinned (n < 0)
struct SetUiScale { float scale; };
struct Open { LoadRequest request; };                 // start a load on the loader thread
struct OpenPath { std::string path; };                // dropped file / command line: purpose from the extension
struct PickCifar { std::vector<int64_t> indices; bool greyscale; };  // these images become the batch
struct SetImageOptions { ImageOptions options; };     // re-convert the last opened picture
struct UseOnnxNode { int node; bool test_input; };    // the scene takes this Conv node's weights and attributes
struct SaveScene { std::string path; bool overwrite; SceneView view; };  // the window's zoom and scale go into the file
struct SetConventions { Convention conventions; };  // View -> Conventions (remembered in the settings folder)
// Layer kind ConvTranspose (workspace_layer_kind.cpp): the transposed-convolution view and its own layer
struct SetLayerKind { bool transpose; };
struct EditTranspose { TransposeEdit edit; };
struct TransposeSetting { std::string key, value; };  // script/lesson `transpose_set KEY VALUE`
struct TransposePreset { std::string key; };
struct SetTransposeOrder { TransposeOrder order; };
struct MoveTransposeCursor { int64_t n, c, y, x; };  // scatter: an input element; gather: an output element
// The Batch vs channel window's cursor (image, filter, position); the scene on screen follows when it is one side.
struct CompareCursor { int64_t image, c_out, y, x; };
struct SetAfterSettings { AfterSettings settings; };  // the Feature maps panel's "then ReLU + pool" tab
struct DismissCifarError {};                           // the CIFAR browser's load problem is read
struct SetCifarGreyscale { bool greyscale; };          // how the next pick converts (nothing picked yet)
struct CancelLoad {};                                  // stop the load in progress (nothing changes)
struct SelectOnnxNode { int node; };                 // the Data window's row (the scene changes on UseOnnxNode)
struct SetStatus { std::string text; bool error; };    // the menu bar's status line
struct AnswerOutsidePaths { bool load; };             // "This scene reads files outside its folder": Load / Cancel
// lessons (app_lesson.cpp)
struct StartLesson { std::string id_or_path; };
struct LessonGo { int step; };
struct LessonAnswer { std::string answer; };
struct LessonReveal { bool revealed; };
struct LessonClose {};
}  // namespace intent
using Intent = std::variant<intent::EditLayer, intent::ApplySetting, intent::ApplyPreset, intent::Seek, intent::StepBy, intent::SeekEnd,
                            intent::SetGranularity, intent::SetPlaying, intent::SetSpeed, intent::MoveCursor,
                            intent::SelectOutputChannel, intent::HoverInput, intent::PinHover, intent::SetUiScale,
                            intent::Open, intent::OpenPath, intent::PickCifar, intent::SetImageOptions,
                            intent::UseOnnxNode, intent::SaveScene, intent::SetConventions, intent::SetLayerKind,
                            intent::EditTranspose, intent::TransposeSetting, intent::TransposePreset,
                            intent::SetTransposeOrder, intent::MoveTransposeCursor, intent::CompareCursor,
                            intent::SetAfterSettings, intent::DismissCifarError, intent::SetCifarGreyscale,
                            intent::CancelLoad, intent::SelectOnnxNode,
                            intent::SetStatus, intent::AnswerOutsidePaths,
                            intent::StartLesson, intent::LessonGo, intent::LessonAnswer, intent::LessonReveal,
                            intent::LessonClose>;
// clang-format on

// ---- data in: the CIFAR batch, the ONNX model, the last picture and weights ----
// The CIFAR batch: the set opened, the images picked as the batch, and the last failed load with what the user may
// do about it. The CIFAR browser's list and pages are the window's (CifarView).
struct CifarBatch {
    std::shared_ptr<const CifarDataset> set;
    std::string path;
    std::vector<int64_t> selection;  // the batch, in pick order
    bool greyscale = false;
    std::string error;
    int64_t partial_records = -1;
    bool ambiguous = false;
    LoadRequest failed;
};

struct OnnxView {
    std::shared_ptr<const OnnxData> data;
    int selected = -1;
    uint64_t expected_scene = 0;  // the scene whose output is compared with test_data_set_0/output_0.pb
    Tensor expected;
    std::optional<float> max_diff;
    std::string note;  // the mapping used (auto_pad, pads) or why the node could not be used
};

struct WeightsInfo {
    std::string text;                  // layout assumed and permutation applied, what the layer took from the shape
    std::vector<std::string> notices;  // npy conversions
};

// The Feature maps panel's "then ReLU + pool" tab (after_layers.hpp): the settings, the maps computed for them.
struct AfterConv {
    AfterSettings settings;   // what the tab asks for (intent::SetAfterSettings)
    AfterResult result;       // the maps on screen: result.source and result.settings say what of
    uint64_t generation = 0;  // bumps whenever `result` is replaced
    // large layers: computed on this job; (source, settings) last asked for
    BackgroundJob<AfterResult> job;
    std::shared_ptr<const LayerOutput> requested_source;
    AfterSettings requested_settings;
};

// What the model's frame functions ask of the window, which owns how things are shown: taken and cleared by the
// window once per frame.
struct ViewRequests {
    bool relayout = false;                // place every panel at its slot again (layer kind changed)
    bool show_cifar = false;              // the CIFAR browser (a set opened, or its load failed)
    bool show_data = false;               // the Data window (an ONNX model opened)
    bool cifar_list_changed = false;      // the CIFAR browser lists its set again
    std::string confirm_overwrite;        // Save as: this existing file waits for "Overwrite"
    bool overwrite_confirmed = false;     // ... and is no longer waiting
    std::optional<SceneView> scene_view;  // a scene file's zoom, scale and reveal settings
};

// ---- the workspace: the model (what the user works on). Changed only by the frame functions below, which apply
// the intents panels record; the window's panels see it as const. ----
struct Workspace {
    // the layer as edited (may be invalid) and what conv_layer_check said about it
    LayerEdit edit;
    std::string edit_error;  // PyTorch's text; empty when the edit is valid
    std::string notice;      // app-level note (e.g. too large to draw, preset file problems)

    // the scene on screen (always valid) and its full output
    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const LayerOutput> output;
    std::optional<ConvCursor> cursor;
    uint64_t next_scene_id = 1;
    std::shared_ptr<const Scene> pending;  // being computed by the worker
    ComputeWorker worker;

    std::vector<Preset> presets;
    std::string preset_key = "default";

    // the cursor
    Granularity granularity = Granularity::Position;
    int64_t step = 0;
    CursorState cs;
    bool playing = false;
    float speed = 40.0f;  // steps per second
    double step_accumulator = 0.0;

    // hover (input pixel) and what it feeds
    std::optional<std::array<int64_t, 4>> hover;  // (n, c, y, x)
    std::optional<std::array<int64_t, 4>> pinned_hover;
    std::vector<InverseHit> hover_hits;

    // partial maps of the selected output channel: one (H_out, W_out) map per input channel of its group
    workspace::PartialMaps partials;                        // maps: (C_in/groups, H_out, W_out)
    std::array<int64_t, 3> partials_key{-1, -1, -1};        // (scene id, n, c_out) of `partials`
    std::array<int64_t, 3> partials_requested{-1, -1, -1};  // the maps last asked for (at once or on the job)
    workspace::BackgroundJob<workspace::PartialMaps> partials_job;
    AfterConv after;  // the Feature maps panel's "then ReLU + pool" tab

    Convention conventions = Convention::PyTorch;  // how shapes, indices and the layer are written
    LayerTexts texts;                              // the scene's shapes and layer in `conventions` (app_refresh_texts)
    std::pair<uint64_t, Convention> texts_key{0, Convention::PyTorch};
    AppSettings settings;  // what settings.json holds (settings_dir)

    std::vector<Intent> intents;
    std::vector<Intent> waiting_intents;  // cursor intents waiting for a load / computation requested before them

    // data in
    Loader loader;
    std::vector<LoadRequest> load_queue;  // command-line opens, started one after another
    std::string status;                   // the last load/save outcome, shown in the menu bar
    bool status_error = false;
    // Several files dropped at once: how many are still to open, and the errors so far (all shown at the end).
    size_t batch_total = 0, batch_left = 0;
    std::vector<std::string> batch_errors;
    // A scene that names files outside its folder is not loaded until the user agrees (or --allow-outside-paths).
    bool allow_outside_paths = false;
    std::optional<LoadRequest> outside_request;  // the scene load to repeat with allow_outside when the user agrees
    std::vector<ScenePath> outside_paths;        // what it names, by JSON key
    CifarBatch cifar;
    OnnxView onnx;
    WeightsInfo weights_info;
    std::shared_ptr<const DecodedImage> image;  // the last picture opened (re-converted when options change)
    std::string image_path;
    ImageOptions image_options;
    std::vector<RecentFile> recent;
    std::string settings_dir;         // where recent.json lives; "" = none (automation never writes settings)
    std::string scene_path;           // the scene file Save writes to ("" until opened or saved as)
    bool scene_path_builtin = false;  // a shipped scene: Save asks for a new name
    std::string asset_dir;

    // lessons (app_lesson.cpp): the one being followed, the shipped ones
    std::optional<LessonRun> lesson;
    std::vector<Lesson> lesson_catalogue;
    std::vector<std::string> lesson_catalogue_errors;
    std::optional<std::pair<uint64_t, int64_t>> step_on_install;  // (scene id, step) from a scene file
    // Layer kind ConvTranspose: the transposed-convolution view replaces the Conv panels; `step` is then its step
    // and the Conv cursor's waits in conv_step (with its granularity).
    TransposeSession transpose;
    int64_t conv_step = 0;
    Granularity conv_granularity = Granularity::Position;

    ViewRequests requests;  // what the frame functions ask of the window (taken at frame start)

    void push(Intent i) { intents.push_back(std::move(i)); }
    const ConvGeometry& geo() const { return scene->geo; }
    // The scene the user asked for last: the one being computed, else the one on screen. Every change builds on
    // it, so a change made while a layer is still computing does not drop the one before (a picture and its
    // weights opened together, a kernel size edited while a new picture computes).
    const Scene& latest_scene() const { return pending ? *pending : *scene; }
    // The same, or null before the first scene (app_init's default layer builds on nothing).
    const Scene* latest_scene_if_any() const { return pending ? pending.get() : scene.get(); }
    int64_t step_count() const {
        if (transpose.active) return transpose.step_count(granularity);
        return cursor ? cursor->step_count(granularity) : 0;
    }
    // Index of the last output position whose value is complete at the cursor (-1: none yet); every position when
    // maps are not revealed progressively.
    int64_t revealed_position(bool progressively) const;
};

// ---- frame functions (workspace.cpp, workspace_data.cpp, workspace_layer_kind.cpp) ----

// The window-level intents (lessons, which run script verbs; the UI scale; the Batch vs channel cursor) are handed to
// this, in order with the others.
using WindowIntentHandler = std::function<void(Intent&)>;

void app_init(Workspace& ws, const std::string& asset_dir);
// Frame start: swap in a finished load or computation, apply the intents, advance playback, refresh the cursor,
// hover, partial maps, the ReLU + pool tab (when `after_wanted`), the ONNX comparison and the texts.
void workspace_begin_frame(Workspace& ws, double dt_seconds, bool after_wanted, const WindowIntentHandler& window);
// Applies the queued intents in order. Intents that read the scene on screen wait while a load or computation asked
// for before them is in flight (they apply on top of it).
void app_apply_intents(Workspace& ws, const WindowIntentHandler& window);
// Rebuilds the scene from the edit if it is valid (else records the error and keeps the current scene).
void app_apply_edit(Workspace& ws, const LayerEdit& edit);
bool app_preset(Workspace& ws, const std::string& key);
// Validates `edit` with `data` (shapes included) and swaps the scene in; false with the reason, nothing changed.
bool app_apply_data(Workspace& ws, const LayerEdit& edit, const SceneData& data, std::string& error);
// Blocks until the loader has finished and applies its result (scripts).
void app_wait_loads(Workspace& ws, double timeout_seconds);
// Blocks until the worker has finished (scripts and screenshots wait for the real picture); intents that waited for
// a scene are applied (window-level ones go to `window`).
void app_wait_idle(Workspace& ws, double timeout_seconds, const WindowIntentHandler& window);
void app_shutdown(Workspace& ws);
// True while a load or a scene computation asked for earlier has not reached the screen.
bool app_scene_in_flight(Workspace& ws);

// Data in (workspace_data.cpp): loads, their results, picks, ONNX nodes, scene files, the Recent list.
void app_set_status(Workspace& ws, const std::string& text, bool error);
// One file of a dropped batch is done (error empty: it opened). After the last, every error of the batch is on the
// status line, not only the last one.
void app_batch_step(Workspace& ws, const std::string& error);
void app_start_load(Workspace& ws, LoadRequest request);
// A load asked for (a file opened, dropped, a preset's scene file): started at once when nothing is loading, else
// queued behind the loads asked for before it, so results apply in the order they were asked for (starting it at
// once would cancel the load in flight: a lesson's `preset` then `load_weights` put the weights on the old scene).
void app_request_load(Workspace& ws, LoadRequest request);
void app_take_load_result(Workspace& ws);  // frame start: applies a finished load
void app_pick_cifar(Workspace& ws, const std::vector<int64_t>& indices, bool greyscale);
void app_use_image(Workspace& ws);
void app_use_onnx_node(Workspace& ws, int node, bool test_input);
// Writes the scene (with the window's `view` settings) to `path`; an existing file only with `overwrite` (else
// requests.confirm_overwrite names it).
bool app_save_scene(Workspace& ws, const std::string& path, bool overwrite, const SceneView& view);
SceneFile scene_file_from_state(const Workspace& ws, const SceneView& view);
void app_add_recent(Workspace& ws, const std::string& path, FilePurpose purpose);
void app_update_onnx_diff(Workspace& ws);  // max |y - output_0.pb| once the ONNX scene's output is in

// Conventions (workspace.cpp): app_set_conventions changes the naming and, with `remember`, writes it to
// settings.json (when there is a settings folder); app_refresh_texts remakes the scene's texts when the scene or
// convention changed.
void app_set_conventions(Workspace& ws, Convention c, bool remember);
void app_refresh_texts(Workspace& ws);
std::string app_code_source(const Workspace& ws);  // how code names the scene (code_scene_source)

// Layer kind ConvTranspose (workspace_layer_kind.cpp). Switching keeps each kind's step; edits and presets that fail
// keep the view as it was and show PyTorch's text in the Layer panel.
void app_set_layer_kind(Workspace& ws, bool transpose);
void app_transpose_edit(Workspace& ws, const TransposeEdit& edit);
bool app_transpose_preset(Workspace& ws, const std::string& key);
void app_transpose_order(Workspace& ws, TransposeOrder order);
void app_transpose_refresh(Workspace& ws);  // frame start: the state at the step

}  // namespace convscope::workspace
