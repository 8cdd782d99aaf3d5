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

#include "codegen.hpp"
#include "compare_ui.hpp"
#include "im2col_ui.hpp"
#include "layouts_ui.hpp"
#include "tile_atlas.hpp"
#include "workspace.hpp"

namespace convscope::gui {

// The window builds on the GUI-free workspace layer (app/workspace/): the model, its intents and frame functions.
using namespace convscope::workspace;

// ---- data in: the file browser, the CIFAR browser, the ONNX model, the last picture and weights ----
// The CIFAR browser's list of the workspace's set (ws.cifar): the class filter, the indices it lets through, and the
// thumbnail pages the panel asks for.
struct CifarView {
    int class_filter = -1;       // -1: every class
    std::vector<int64_t> shown;  // indices after the filter
    std::pair<const CifarDataset*, int> shown_key{nullptr, -2};
    std::array<std::array<int64_t, 3>, 2> wanted{{{-1, -1, -1}, {-1, -1, -1}}};  // what the panel needs next frame
    int64_t generation = 0;                                                      // bumps when `shown` changes
};

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
    float input_zoom = 0.0f;           // pixels per input cell; 0 = fit
    float fmap_zoom = 0.0f;            // pixels per feature-map cell; 0 = fit
    float filter_zoom = 0.0f;          // pixels per kernel tap; 0 = fit
    bool reveal_progressively = true;  // feature maps fill in as the cursor advances
    bool show_numbers = true;          // print values in cells that are large enough
    // (n, c_out) the Feature maps panel last scrolled to, and the grid it was placed in (maps per row, tile height):
    // a new UI scale or window size re-flows the grid and scrolls the cursor's map back into view
    std::array<int64_t, 4> fmap_followed{-1, -1, -1, -1};
    bool after_shown = false;                // Feature maps panel: the "then ReLU + pool" tab is open
    std::optional<bool> after_show_request;  // the script asks for a tab (ImGui selects it next frame)
    int64_t filters_followed = -1;           // c_out the Filters panel last scrolled to
    bool show_cifar = false, show_data = false, show_about = false, show_lessons = false;
    bool onnx_test_input = false;         // Data window: use the node with test_data_set_0's input
    bool transpose_contributions = true;  // ConvTranspose Output panel: the "products per output" overlay
    FileBrowser browser;
    CifarView cifar;    // the CIFAR browser: its filter and pages
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
    // What a lesson's question hides while it waits for the answer (workspace::Fact, lesson.hpp): the panels draw
    // "?" in its place.
    bool hides(workspace::Fact f) const { return ws.lesson && ws.lesson->hides(f); }
    std::string shown(workspace::Fact f, std::string text) const { return hides(f) ? workspace::kHidden : text; }
    int64_t revealed_position() const { return ws.revealed_position(view.reveal_progressively); }
};

// ---- frame functions: the workspace's (workspace.hpp) with the window's part around them ----
// Frame start: the workspace's update (window-level intents applied here, in order), its requests to the window, the
// CIFAR list, the Code panel's text, the Batch vs channel pair and the textures.
void app_begin_frame(AppState& s, double dt_seconds);
void app_apply_intents(AppState& s);
void app_wait_idle(AppState& s, double timeout_seconds);
void app_shutdown(AppState& s);
void app_open_browser(ViewSettings& view, const Workspace& ws, FilePurpose purpose);  // the modal, next frame
void app_update_cifar_view(AppState& s);                                              // the filtered index list
SceneView scene_view_of(const ViewSettings& view);  // what a saved scene keeps of the window's view

// Lessons (app_lesson.cpp): their steps run script verbs (script.cpp). Starting one that fails to load changes
// nothing and says why in the status line.
bool app_start_lesson(AppState& s, const std::string& id_or_path);
// Goes to step `step` (clamped) and sets the window up: the actions of the step (and of the steps before it back to
// the last one that opens a preset or scene, so any step can be reached directly).
void app_lesson_go(AppState& s, int step);
void app_lesson_answer(AppState& s, const std::string& answer);
void app_lesson_close(AppState& s);
LessonContext app_lesson_context(const Workspace& ws, const ViewSettings& view);
// The same, for the text the Lesson panel shows: while the step's question waits, with what it hides (lesson.hpp).
LessonContext app_lesson_shown_context(const Workspace& ws, const ViewSettings& view);
// What the window hides now (empty without a lesson or a pending question).
std::vector<Fact> app_hidden_facts(const Workspace& ws);

// The Code panel's snippet (app_code.cpp), made again only when it is open and the layer, cursor or framework changed.
void app_refresh_code(AppState& s);

// Item colours shared by every panel (batch item n is always drawn in item_colour(n)).
ImU32 item_colour(int64_t n, float alpha = 1.0f);

}  // namespace convscope::gui
