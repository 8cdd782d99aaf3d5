// The window's state, a thin aggregate of parts with one owner each: the workspace (the model, changed only by the
// frame functions that apply the intents panels record), the view settings (what is shown and how), the GPU cache
// (textures, gpu_cache.cpp) and the frame geometry that `dump` and the tests read. Panels get a Ui: the workspace
// as const, the view and geometry to write, push() for everything else.
//
// Sections: intents · data in · code panel · frame geometry (for dump) · view settings · workspace · GPU cache ·
// AppState and Ui · frame functions
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <imgui.h>

#include "after_conv.hpp"
#include "app_settings.hpp"
#include "codegen.hpp"
#include "compare_ui.hpp"
#include "compute.hpp"
#include "convention_texts.hpp"
#include "conventions.hpp"
#include "cursor.hpp"
#include "data_in.hpp"
#include "im2col_ui.hpp"
#include "layouts_ui.hpp"
#include "lesson.hpp"
#include "scene.hpp"
#include "tile_atlas.hpp"
#include "transpose_scene.hpp"

namespace convscope::gui {

// The window builds on the GUI-free workspace layer (app/workspace/): scenes, loads, compute jobs.
using namespace convscope::workspace;

// ---- intents: what a panel (or the script) asked for; applied by app_apply_intents between frames ----
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
struct SaveScene { std::string path; bool overwrite; };
struct SetConventions { Convention conventions; };  // View -> Conventions (remembered in the settings folder)
// Layer kind ConvTranspose (app_transpose.cpp): the transposed-convolution view and its own layer
struct SetLayerKind { bool transpose; };
struct EditTranspose { TransposeEdit edit; };
struct TransposeSetting { std::string key, value; };  // script/lesson `transpose_set KEY VALUE`
struct TransposePreset { std::string key; };
struct SetTransposeOrder { TransposeOrder order; };
struct MoveTransposeCursor { int64_t n, c, y, x; };  // scatter: an input element; gather: an output element
// The Batch vs channel window's cursor (image, filter, position); the scene on screen follows when it is one side.
struct CompareCursor { int64_t image, c_out, y, x; };
struct SetAfterSettings { AfterSettings settings; };  // the Feature maps panel's "then ReLU + pool" tab
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
                            intent::SetAfterSettings, intent::CancelLoad, intent::SelectOnnxNode,
                            intent::SetStatus, intent::AnswerOutsidePaths,
                            intent::StartLesson, intent::LessonGo, intent::LessonAnswer, intent::LessonReveal,
                            intent::LessonClose>;
// clang-format on

// ---- data in: the file browser, the CIFAR browser, the ONNX model, the last picture and weights ----
struct FileBrowser {
    bool open_requested = false;  // the modal opens at the next frame
    FilePurpose purpose = FilePurpose::Image;
    std::string dir;  // the folder listed
    std::array<char, 1024> path_text{};
    std::array<char, 1024> bias_text{};  // Weights: optional bias .npy
    WeightLayout layout = WeightLayout::PyTorch;
    struct Entry {
        std::string name;
        bool directory = false;
        int64_t size = 0;
    };
    std::vector<Entry> entries;
    std::string listed_dir;  // entries are of this folder (re-read when dir changes)
    std::string list_error;
    std::string confirm_overwrite;  // Save as: this existing file waits for "Overwrite"
};

struct CifarView {
    std::shared_ptr<const CifarDataset> set;
    std::string path;
    int class_filter = -1;       // -1: every class
    std::vector<int64_t> shown;  // indices after the filter
    std::pair<const CifarDataset*, int> shown_key{nullptr, -2};
    std::vector<int64_t> selection;  // the batch, in pick order
    bool greyscale = false;
    std::array<std::array<int64_t, 3>, 2> wanted{{{-1, -1, -1}, {-1, -1, -1}}};  // what the panel needs next frame
    int64_t generation = 0;                                                      // bumps when `shown` changes
    // the last failed load, with what the user may do about it
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

// ---- the Code panel: core/codegen's text for the scene's layer and cursor, made again only when they change ----
struct CodeView {
    bool open = false;
    CodeFramework framework = CodeFramework::PyTorch;
    std::string source;  // how the code names the layer (code_scene_source)
    std::string text;    // the snippet (ONNX: onnx_export_summary)
    std::string error;   // why this framework cannot write the layer (text is then empty)
    struct Key {
        uint64_t scene = 0;
        std::array<int64_t, 4> cursor{-1, -1, -1, -1};
        CodeFramework framework = CodeFramework::PyTorch;
        std::string source;
        bool operator==(const Key&) const = default;
    };
    std::optional<Key> made_for;
    int generated = 0;  // how many times the text was made (the dump reports it: not once per frame)
};

// ---- where things were drawn this frame (window pixel coordinates), for `dump` and tests ----
struct GridRect {
    int64_t n = 0, c = 0;
    ImVec2 origin;   // top-left of element (0, 0) of the real data
    float cell = 0;  // pixels per element
    int64_t rows = 0, cols = 0;
};
struct OutlineRect {
    int64_t n = 0, c = 0;
    ImVec2 min, max;
};
struct FrameGeometry {
    std::vector<GridRect> input_pixels;  // one per (n, c) channel heatmap in the Input panel
    std::vector<GridRect> fmap_pixels;   // one per (n, c_out) feature map
    std::vector<OutlineRect> window;     // the current window's outline on every channel it reads
    std::optional<OutlineRect> error_text;
    std::vector<GridRect> input_rgb;     // the RGB composite of each item (3-channel pictures)
    std::vector<GridRect> after_pixels;  // one per (n, c) map of the "then ReLU + pool" tab
    // the transposed-convolution view: x, y (the canvas) and the gather picture's zero-inserted, padded input
    std::vector<GridRect> transpose_input, transpose_output, transpose_zero_inserted;
    std::optional<std::array<int64_t, 4>> after_hover;  // the pooled value whose tooltip is up (n, c, y, x)
    float menu_height = 0;
    // lessons: the panels outlined for the current step, and every line of the lesson text as drawn
    struct Highlight {
        std::string panel;
        ImVec2 min, max;
    };
    std::vector<Highlight> highlights;
    struct TextLine {
        std::string text;
        ImVec2 min, max;
    };
    std::vector<TextLine> lesson_lines;
    std::optional<OutlineRect> lesson_panel;  // the Lesson window's inner rectangle (its text must fit inside)
    // the lines whose wording follows View -> Conventions, as drawn: "layer.shapes" -> "x: (2, 32, 32, 3) -> ..."
    std::map<std::string, std::string> written;
    void clear() { *this = FrameGeometry{}; }
};

// ---- view state: what is shown and how; edited in place by widgets (panels may write it) ----
struct ExportUi;  // export_render.hpp: File -> Export... and a running export

struct ViewSettings {
    float ui_scale = 1.0f;
    float input_zoom = 0.0f;                       // pixels per input cell; 0 = fit
    float fmap_zoom = 0.0f;                        // pixels per feature-map cell; 0 = fit
    float filter_zoom = 0.0f;                      // pixels per kernel tap; 0 = fit
    bool reveal_progressively = true;              // feature maps fill in as the cursor advances
    bool show_numbers = true;                      // print values in cells that are large enough
    std::array<int64_t, 2> fmap_followed{-1, -1};  // (n, c_out) the Feature maps panel last scrolled to
    bool after_shown = false;                      // Feature maps panel: the "then ReLU + pool" tab is open
    std::optional<bool> after_show_request;        // the script asks for a tab (ImGui selects it next frame)
    int64_t filters_followed = -1;                 // c_out the Filters panel last scrolled to
    bool show_cifar = false, show_data = false, show_about = false, show_lessons = false;
    bool onnx_test_input = false;         // Data window: use the node with test_data_set_0's input
    bool transpose_contributions = true;  // ConvTranspose Output panel: the "products per output" overlay
    FileBrowser browser;
    CifarView cifar;    // the CIFAR browser: the set it lists, its filter and the picked batch
    CodeView code;      // View -> Code
    Im2colUi im2col;    // View -> im2col / GEMM (panel_im2col.cpp)
    CompareUi compare;  // View -> Batch vs channel (panel_compare.cpp)
    LayoutsUi layouts;  // View -> Weight layouts (panel_layouts.cpp)
    std::array<char, 1024> lesson_path_text{};
    std::array<char, 256> lesson_answer_text{};
    std::shared_ptr<ExportUi> export_ui;  // made on first use (panel_export.cpp)
    float pending_ui_scale = 0.0f;        // applied by the main loop (fonts are rebuilt between frames)
    bool relayout = true;                 // place every panel at its default slot this frame
    bool request_relayout = false;        // the main loop places every panel at its slot again (a lesson started/ended)
    // frame timing (for the status line)
    double frame_ms = 0.0;
    bool show_frame_time = true;  // off in scripted runs, so screenshots of the same scene are identical
};

// ---- the workspace: the model (what the user works on). Changed only by the frame functions below, which apply
// the intents panels record; panels see it as const (Ui::ws). ----
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

    const ConvGeometry& geo() const { return scene->geo; }
    // The scene the user asked for last: the one being computed, else the one on screen. Every change builds on
    // it, so a change made while a layer is still computing does not drop the one before (a picture and its
    // weights opened together, a kernel size edited while a new picture computes).
    const Scene& latest_scene() const { return pending ? *pending : *scene; }
    int64_t step_count() const {
        if (transpose.active) return transpose.step_count(granularity);
        return cursor ? cursor->step_count(granularity) : 0;
    }
    // Index of the last output position whose value is complete at the cursor (-1: none yet); every position when
    // maps are not revealed progressively.
    int64_t revealed_position(bool progressively) const;
};

// ---- the GPU cache: every texture the window draws from, uploaded only by gpu_refresh (gpu_cache.cpp) when what
// it shows changed. Panels see ImTextureIDs through TileAtlas, never a GL name. ----
struct GpuCache {
    TileAtlas input_atlas;                 // RG: value, padding flag; N*C tiles of the padded input
    TileAtlas rgb_atlas;                   // RGBA: colour, padding flag; N tiles (C_in == 3 only)
    TileAtlas filter_atlas;                // RG: weight, 0; C_out * C_in/groups tiles
    TileAtlas fmap_atlas;                  // RG: value, position index; N*C_out tiles
    TileAtlas partial_atlas;               // RG: value, position index; C_in/groups tiles
    TileAtlas product_atlas;               // RG: product, MAC index; C_in/groups tiles of kH x kW (the cursor's window)
    TileAtlas legend_ramp;                 // R: -1 .. 1 across 256 texels (legends are drawn through the shader too)
    TileAtlas after_atlas;                 // RG: value, 0; N*C tiles of the "then ReLU + pool" tab's maps
    std::array<TileAtlas, 2> cifar_pages;  // one atlas per visible page of CIFAR thumbnails
    std::array<std::array<int64_t, 3>, 2> cifar_page_keys{
        {{-1, -1, -1}, {-1, -1, -1}}};                                   // (first shown, count, generation)
    TileAtlas compare_images, compare_batch_maps, compare_channel_maps;  // R: value (Batch vs channel)
    // what each texture was made from
    uint64_t scene_key = 0;                           // the scene id of input, rgb, filter and fmap
    std::array<int64_t, 3> partials_key{-1, -1, -1};  // Workspace::partials_key
    std::array<int64_t, 3> product_key{-1, -1, -1};   // (scene id, step, granularity)
    uint64_t after_generation = 0;                    // AfterConv::generation
    const void* compare_key = nullptr;                // the Batch vs channel pair uploaded
};

// ---- the window's state: a thin aggregate of parts with one owner each ----
struct AppState {
    Workspace ws;            // the model; changed only through intents (push) by the frame functions
    ViewSettings view;       // what is shown and how
    GpuCache gpu;            // textures
    FrameGeometry geometry;  // where things were drawn this frame (dump, tests)

    void push(Intent i) { ws.intents.push_back(std::move(i)); }
    int64_t revealed_position() const { return ws.revealed_position(view.reveal_progressively); }
};

// What a panel gets: the workspace read-only, the view and the frame geometry to write, the textures to draw, and
// push() to ask for a change of the model.
struct Ui {
    const Workspace& ws;
    ViewSettings& view;
    const GpuCache& gpu;
    FrameGeometry& geometry;
    std::vector<Intent>& intents;

    explicit Ui(AppState& s) : ws(s.ws), view(s.view), gpu(s.gpu), geometry(s.geometry), intents(s.ws.intents) {}
    void push(Intent i) { intents.push_back(std::move(i)); }
    int64_t revealed_position() const { return ws.revealed_position(view.reveal_progressively); }
};

// ---- frame functions ----
void app_init(AppState& s, const std::string& asset_dir);
// Frame start: swap in a finished result, apply intents, advance playback, refresh cursor/hover/partials/textures.
void app_begin_frame(AppState& s, double dt_seconds);
void app_apply_intents(AppState& s);
// Rebuilds the scene from s.edit if it is valid (else records the error and keeps the current scene).
void app_apply_edit(AppState& s, const LayerEdit& edit);
bool app_preset(AppState& s, const std::string& key);
// Data in (app_data.cpp): loads, their results, picks, ONNX nodes, scene files.
void app_set_status(AppState& s, const std::string& text, bool error);
// One file of a dropped batch is done (error empty: it opened). After the last, every error of the batch is on the
// status line, not only the last one.
void app_batch_step(AppState& s, const std::string& error);
void app_start_load(AppState& s, LoadRequest request);
void app_take_load_result(AppState& s);  // frame start: applies a finished load
// Validates `edit` with `data` (shapes included) and swaps the scene in; false with the reason, nothing changed.
bool app_apply_data(AppState& s, const LayerEdit& edit, const SceneData& data, std::string& error);
void app_pick_cifar(AppState& s, const std::vector<int64_t>& indices, bool greyscale);
void app_use_image(AppState& s);
void app_use_onnx_node(AppState& s, int node, bool test_input);
bool app_save_scene(AppState& s, const std::string& path, bool overwrite);
SceneFile scene_file_from_state(const AppState& s);
void app_add_recent(AppState& s, const std::string& path, FilePurpose purpose);
void app_open_browser(ViewSettings& view, const Workspace& ws, FilePurpose purpose);  // the modal, next frame
void app_update_onnx_diff(AppState& s);   // max |y - output_0.pb| once the ONNX scene's output is in
void app_update_cifar_view(AppState& s);  // the filtered index list
// Blocks until the loader has finished and applies its result (scripts).
void app_wait_loads(AppState& s, double timeout_seconds);
// Blocks until the worker has finished (scripts and screenshots wait for the real picture).
void app_wait_idle(AppState& s, double timeout_seconds);
void app_shutdown(AppState& s);
// True while a load or a scene computation asked for earlier has not reached the screen.
bool app_scene_in_flight(AppState& s);

// Lessons (app_lesson.cpp). Starting one that fails to load changes nothing and says why in the status line.
bool app_start_lesson(AppState& s, const std::string& id_or_path);
// Goes to step `step` (clamped) and sets the window up: the actions of the step (and of the steps before it back to
// the last one that opens a preset or scene, so any step can be reached directly).
void app_lesson_go(AppState& s, int step);
void app_lesson_answer(AppState& s, const std::string& answer);
void app_lesson_close(AppState& s);
LessonContext app_lesson_context(const Workspace& ws, const ViewSettings& view);

// Conventions and the Code panel (app_code.cpp). app_set_conventions changes the naming and, with `remember`, writes
// it to settings.json (when there is a settings folder). app_refresh_texts runs at frame start: the scene's texts when
// the scene or convention changed, the Code panel's snippet when it is open and the layer, cursor or framework changed.
void app_set_conventions(AppState& s, Convention c, bool remember);
void app_refresh_texts(AppState& s);
std::string app_code_source(const AppState& s);  // how the code names the scene (code_scene_source)

// Layer kind ConvTranspose (app_transpose.cpp). Switching keeps each kind's step; edits and presets that fail keep
// the view as it was and show PyTorch's text in the Layer panel.
void app_set_layer_kind(AppState& s, bool transpose);
void app_transpose_edit(AppState& s, const TransposeEdit& edit);
bool app_transpose_preset(AppState& s, const std::string& key);
void app_transpose_order(AppState& s, TransposeOrder order);
void app_transpose_refresh(AppState& s);  // frame start: the state at the step

// Item colours shared by every panel (batch item n is always drawn in item_colour(n)).
ImU32 item_colour(int64_t n, float alpha = 1.0f);

}  // namespace convscope::gui
