// Export from the window: frames rendered offscreen (a framebuffer object at 1-4x the window's pixels, fonts
// rebuilt at that size, ImGui laid out for the larger display), cropped to one panel's content when asked,
// captioned, and handed to the workspace's encoders on a worker thread. Also the tensor export of the scene.
// Used by the command line (--export, --export-tensors: run to the end) and File -> Export... (one frame per
// loop iteration, with progress and Cancel).
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "app_state.hpp"
#include "export_caption.hpp"
#include "export_encode.hpp"
#include "export_plan.hpp"

namespace convscope::gui {

using DrawPanels = std::function<void(AppState&)>;

class ExportJob {
public:
    // Plans the export for the scene on screen (frames, size, limits, existing output): ExportError when it
    // cannot start; nothing is written then. A `preview` job writes nothing at all: it renders only the first frame
    // (render_preview), at scale 1, for File -> Export...'s live preview.
    ExportJob(AppState& s, const workspace::ExportRequest& request, DrawPanels draw, bool preview = false);
    ~ExportJob();  // cancels if not finished; puts the UI back as it was

    // Renders the next frame and queues it for encoding. Returns false once every frame is queued.
    bool render_next(AppState& s);
    // Preview jobs: the first frame exactly as it would be written (panel crop, theme, caption); then the window is
    // back as it was.
    workspace::RgbImage render_preview(AppState& s);
    void finish(AppState& s);  // waits for the encoder, renames into place (ExportError on failure)
    void cancel(AppState& s);  // stops now; nothing is left on disk

    int64_t total() const { return static_cast<int64_t>(steps_.size()); }
    int64_t rendered() const { return next_; }
    int64_t encoded() const { return pipeline_ ? pipeline_->frames_done() : 0; }
    double elapsed_seconds() const;
    double render_seconds() const { return render_seconds_; }  // offscreen render + read-back of the frames
    int width() const { return out_w_; }
    int height() const { return out_h_; }
    const workspace::ExportTarget& target() const { return target_; }

private:
    void enter(AppState& s);  // export scale, theme, display override
    void leave(AppState& s);  // back to the user's
    std::vector<uint8_t> render_frame(AppState& s, int64_t step, bool relayout);
    // One frame as written: rendered, cropped to the panel, captioned.
    std::pair<workspace::RgbImage, workspace::FrameInfo> make_frame(AppState& s, int64_t step);

    workspace::ExportRequest req_;
    workspace::ExportTarget target_;
    DrawPanels draw_;
    std::vector<int64_t> steps_;
    Granularity granularity_ = Granularity::Position;
    std::string panel_title_;
    int win_w_ = 0, win_h_ = 0;    // the window at scale 1
    int full_w_ = 0, full_h_ = 0;  // the offscreen target
    int crop_x_ = 0, crop_y_ = 0, crop_w_ = 0, crop_h_ = 0;
    int out_w_ = 0, out_h_ = 0;  // the frames written (crop + caption)
    std::optional<workspace::CaptionFont> font_;
    std::unique_ptr<workspace::ExportPipeline> pipeline_;
    int64_t next_ = 0;
    double render_seconds_ = 0.0;
    bool entered_ = false, done_ = false, preview_ = false;
    std::chrono::steady_clock::time_point start_;
    // the user's settings, restored by leave()
    float saved_scale_ = 1.0f;
    bool saved_light_ = false, saved_playing_ = false, saved_frame_time_ = false;
    Granularity saved_granularity_ = Granularity::Position;
    int64_t saved_step_ = 0;
    std::optional<bool> saved_after_;
};

// File -> Export... and File -> Export tensors...: the dialogs' fields and the export running in the window.
struct ExportUi {
    bool open_export = false, open_tensors = false;  // the dialog opens at the next frame
    std::array<char, 1024> out{};
    int panel = 0;  // index into kExportPanels
    int range = 0;  // 0 current, 1 steps A:B, 2 whole layer, 3 current row
    int64_t first = 0, end = 64;
    int granularity = -1;  // -1: Playback's
    float fps = 10.0f, hold = 0.0f;
    bool loop = true, caption = false;
    int scale = 1;
    int theme = 0;               // 0 as on screen, 1 dark, 2 light
    std::string error, confirm;  // the last refusal; an existing output waiting for "Replace"
    bool start = false, force = false, cancel = false;
    std::unique_ptr<ExportJob> job;
    std::string result;  // "exported ... " or the failure, shown in the status line
    std::array<char, 1024> tensor_dir{};
    std::string tensor_error, tensor_confirm;
    DrawPanels draw;              // the window's panels (export_attach)
    bool dialog_visible = false;  // the Export dialog was drawn last frame (its preview is kept up to date)
    bool close_dialog = false;    // script: close it at the next frame
    bool reopen_dialog = false;   // the preview's frames closed it: open it again as it was
    // The live preview of the first frame: made again between frames when what it depends on changes.
    struct Preview {
        FloatTexture texture;                   // RGBA, scaled down to fit the dialog
        int width = 0, height = 0;              // the texture
        int frame_width = 0, frame_height = 0;  // the frame it shows (as the export would write it at 1x)
        std::string key, error;
        int renders = 0;
        ImVec2 drawn_min{0, 0}, drawn_max{0, 0};  // where the dialog drew it last frame (window pixels)
    } preview;
};
inline constexpr const char* kExportPanels[] = {"window",       "input",   "computation", "channel-sums",
                                                "feature-maps", "filters", "layer",       "relu-pool"};
inline constexpr const char* kExportPanelLabels[] = {"Whole window", "Input",   "Computation", "Channel sums",
                                                     "Feature maps", "Filters", "Layer",       "then ReLU + pool"};
workspace::ExportRequest export_request_of(const ExportUi& ui);
// The dialog's fields from a request (script `export_dialog OUT [flags]`).
void export_ui_from_request(ExportUi& ui, const workspace::ExportRequest& r);
// The dialog and its preview for `dump`: null when closed.
nlohmann::json export_dialog_dump(const AppState& s);

// The window's side, called by the main loop: between frames, starts a requested export or renders its next
// frame (one per loop iteration, so the window keeps drawing the progress); in the frame, the dialogs, the
// progress window and the File menu's items. export_running() tells the loop to draw only the progress window.
void export_between_frames(AppState& s, const DrawPanels& draw);
bool export_running(const AppState& s);
void draw_export_windows(Ui& s);
void export_menu_items(Ui& s);  // inside File: Export... (Ctrl+E), Export tensors...
void export_shortcuts(Ui& s);

// Scripts: `export OUT [flags]` as a request (ExportError for unknown flags or values); the panels' draw function
// the window registered with export_attach (main.cpp), used by the script verb to render frames.
workspace::ExportRequest export_request_from_script(const std::vector<std::string>& args);
void export_attach(AppState& s, DrawPanels draw);
DrawPanels export_panel_drawer(AppState& s);

// Runs a whole export (command line, scripts). Returns false with the message in `error`.
bool run_export(AppState& s, const workspace::ExportRequest& request, const DrawPanels& draw, std::string& error);

// Writes the scene's tensors (see export_tensors.hpp) into `dir`. Returns false with the message in `error`.
bool export_scene_tensors(const Workspace& ws, const std::string& dir, bool force, std::string& error,
                          std::vector<std::string>* written = nullptr);

}  // namespace convscope::gui
