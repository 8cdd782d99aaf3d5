// File -> Export... (Ctrl+E), File -> Export tensors..., the export progress window, and the loop's hooks that
// start an export and render its frames between the window's own frames.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "export_render.hpp"
#include "file_io.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

ExportUi& ui_of(ViewSettings& view) {
    if (!view.export_ui) view.export_ui = std::make_shared<ExportUi>();
    return *view.export_ui;
}

bool exists(const std::string& p) {
    struct stat st {};
    return !p.empty() && ::stat(p.c_str(), &st) == 0;
}

std::string seconds_text(double s) {
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.1f s", s);
    else
        std::snprintf(buf, sizeof buf, "%d min %02d s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
    return buf;
}

void set_text(std::array<char, 1024>& buf, const std::string& text) {
    const size_t n = std::min(text.size(), buf.size() - 1);
    std::copy_n(text.begin(), n, buf.begin());
    buf[n] = '\0';
}

// ---- the live preview ----

// What the first frame depends on (not the file name, fps or hold): the preview is made again when this changes.
std::string preview_key(const AppState& s, const ExportUi& ui) {
    const workspace::ExportRequest r = export_request_of(ui);
    return r.panel + "|" + r.steps + "|" + r.granularity + "|" + r.theme + "|" + (r.caption ? "caption" : "") + "|" +
           std::to_string(s.ws.scene ? s.ws.scene->id : 0) + "|" + std::to_string(s.ws.step) + "|" +
           std::to_string(static_cast<int>(s.ws.granularity)) + "|" + (s.ws.transpose.active ? "transpose" : "conv") +
           "|" + std::to_string(s.view.ui_scale) + "|" + (light_theme() ? "light" : "dark");
}

// The frame scaled down (box filter) to fit max_w x max_h, as an RGBA float texture.
void upload_preview(ExportUi::Preview& p, const workspace::RgbImage& img, int max_w, int max_h) {
    const int f = std::max(1, static_cast<int>(std::ceil(std::max(static_cast<double>(img.width) / max_w,
                                                                  static_cast<double>(img.height) / max_h))));
    const int w = std::max(1, img.width / f), h = std::max(1, img.height / f);
    std::vector<float> texels(static_cast<size_t>(w) * static_cast<size_t>(h) * 4, 0.0f);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) {
                float sum = 0;
                for (int dy = 0; dy < f; ++dy)
                    for (int dx = 0; dx < f; ++dx)
                        sum += img.rgb[(static_cast<size_t>(y * f + dy) * static_cast<size_t>(img.width) +
                                        static_cast<size_t>(x * f + dx)) *
                                           3 +
                                       static_cast<size_t>(c)];
                texels[(static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 4 +
                       static_cast<size_t>(c)] = sum / static_cast<float>(f * f) / 255.0f;
            }
    gl_upload_float_texture(p.texture, w, h, 4, texels.data());
    p.width = w, p.height = h;
    p.frame_width = img.width, p.frame_height = img.height;
}

void refresh_preview(AppState& s, ExportUi& ui, const DrawPanels& draw) {
    const std::string key = preview_key(s, ui);
    if (key == ui.preview.key) return;
    ui.preview.key = key;
    ui.preview.error.clear();
    try {
        ExportJob job(s, export_request_of(ui), draw, true);
        try {
            const workspace::RgbImage frame = job.render_preview(s);
            const float k = std::max(1.0f, s.view.ui_scale);
            upload_preview(ui.preview, frame, static_cast<int>(480 * k), static_cast<int>(300 * k));
            ++ui.preview.renders;
        } catch (...) {
            job.cancel(s);  // the window's own look back
            throw;
        }
    } catch (const std::exception& e) {
        ui.preview.error = e.what();
    }
    // The preview's frames are ImGui frames without the dialog, which closes it: open it again, as it was.
    ui.reopen_dialog = true;
}

void draw_preview(ExportUi& ui) {
    ExportUi::Preview& p = ui.preview;
    ImGui::TextColored(dim_text(), "Preview: the first frame (at 1x)");
    if (!p.error.empty()) {
        ImGui::TextColored(error_text(), "%s", p.error.c_str());
        return;
    }
    if (!p.texture.id) {
        ImGui::TextColored(dim_text(), "(rendering...)");
        return;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 a = ImGui::GetCursorScreenPos(), size(static_cast<float>(p.width), static_cast<float>(p.height));
    HeatmapStyle st;
    st.color = ColorMode::Rgb;
    heatmap_begin(dl, st);
    dl->AddImage(p.texture.id, a, ImVec2(a.x + size.x, a.y + size.y));
    heatmap_end(dl);
    dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(a.x + size.x + 1, a.y + size.y + 1), ImGui::GetColorU32(dim_text()));
    p.drawn_min = a;
    p.drawn_max = ImVec2(a.x + size.x, a.y + size.y);
    ImGui::Dummy(size);
    ImGui::TextColored(dim_text(), "%d x %d px per frame at 1x", p.frame_width, p.frame_height);
}

void draw_export_dialog(Ui& s, ExportUi& ui) {
    ui.dialog_visible = false;
    bool reopened = false;
    if (ui.reopen_dialog) {
        ui.reopen_dialog = false;
        reopened = !ImGui::IsPopupOpen("Export");
        if (reopened) ImGui::OpenPopup("Export");
    }
    if (ui.open_export) {
        ImGui::OpenPopup("Export");
        ui.open_export = false;
        ui.error.clear();
        ui.confirm.clear();
        if (ui.out[0] == '\0') set_text(ui.out, "convscope.gif");
    }
    ImGui::SetNextWindowSize(ImVec2(520, 0), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Export", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        ui.preview.key.clear();  // made again when the dialog opens next
        return;
    }
    if (reopened) ImGui::SetWindowFocus();  // back in front after the preview's frames
    if (ui.close_dialog) {
        ui.close_dialog = false;
        ImGui::CloseCurrentPopup();
    }
    ui.dialog_visible = true;
    ImGui::InputText("File##export_out", ui.out.data(), ui.out.size());
    help_marker(
        ".png: one frame; a folder (ending in /) or name_%05d.png: PNG frames + frames.json; .gif; "
        ".mp4 (H.264); .webm (VP9)");
    ImGui::Combo("What", &ui.panel, kExportPanelLabels, IM_ARRAYSIZE(kExportPanelLabels));
    const char* ranges[] = {"Current frame", "Steps A to B", "Whole layer", "Current output row"};
    ImGui::Combo("Range", &ui.range, ranges, IM_ARRAYSIZE(ranges));
    if (ui.range == 1) {
        ImGui::InputScalar("A (first step)", ImGuiDataType_S64, &ui.first);
        ImGui::InputScalar("B (after the last)", ImGuiDataType_S64, &ui.end);
    }
    const char* grans[] = {"as Playback", "position", "channel", "mac"};
    int g = ui.granularity + 1;
    if (ImGui::Combo("Granularity", &g, grans, IM_ARRAYSIZE(grans))) ui.granularity = g - 1;
    ImGui::InputFloat("Frames per second", &ui.fps, 1.0f, 5.0f, "%.1f");
    ImGui::InputFloat("Hold at the end (s)", &ui.hold, 0.5f, 1.0f, "%.1f");
    ImGui::Checkbox("Loop (GIF)", &ui.loop);
    ImGui::TextUnformatted("Scale");
    for (int k = 1; k <= 4; ++k) {
        ImGui::SameLine();
        const std::string label = std::to_string(k) + "x";
        ImGui::RadioButton(label.c_str(), &ui.scale, k);
    }
    ImGui::TextUnformatted("Theme");
    ImGui::SameLine();
    ImGui::RadioButton("as on screen", &ui.theme, 0);
    ImGui::SameLine();
    ImGui::RadioButton("dark", &ui.theme, 1);
    ImGui::SameLine();
    ImGui::RadioButton("light", &ui.theme, 2);
    ImGui::Checkbox("Caption (the equation at the cursor)", &ui.caption);

    // the estimate, before anything is written
    const workspace::ExportRequest req = export_request_of(ui);
    try {
        const workspace::ExportTarget t = workspace::export_target_of(req.out);
        const Granularity gran =
            req.granularity.empty() ? s.ws.granularity : workspace::parse_granularity(req.granularity);
        const int64_t count = s.ws.cursor ? s.ws.cursor->step_count(gran) : 0;
        const workspace::StepRange r = workspace::parse_step_range(req.steps);
        int64_t frames = 1;
        if (r.kind == workspace::StepRange::Kind::All)
            frames = count;
        else if (r.kind == workspace::StepRange::Kind::Range)
            frames = r.end - r.first;
        else if (r.kind == workspace::StepRange::Kind::Row)
            frames = s.ws.geo().out[1] * (gran == Granularity::Position  ? 1
                                          : gran == Granularity::Channel ? s.ws.geo().c_in_per_group
                                                                         : s.ws.geo().macs_per_output());
        const ImVec2 d = ImGui::GetIO().DisplaySize;
        const int w = static_cast<int>(d.x) * ui.scale, h = static_cast<int>(d.y) * ui.scale;
        const double seconds = static_cast<double>(frames) / static_cast<double>(ui.fps) + static_cast<double>(ui.hold);
        ImGui::Text("%s: %lld frame%s, %s, about %s bytes (whole window %d x %d px)",
                    workspace::export_format_name(t.format), static_cast<long long>(frames), frames == 1 ? "" : "s",
                    seconds_text(seconds).c_str(),
                    grouped_int(workspace::estimate_export_bytes(t.format, w, h, frames)).c_str(), w, h);
        if ((t.format == workspace::ExportFormat::Mp4 || t.format == workspace::ExportFormat::Webm) &&
            !workspace::ffmpeg_available())
            ImGui::TextColored(error_text(),
                               "Video needs the ffmpeg program, which is not installed: choose .png, a folder or .gif");
    } catch (const std::exception& e) {
        ImGui::TextColored(error_text(), "%s", e.what());
    }
    if (!ui.error.empty()) ImGui::TextColored(error_text(), "%s", ui.error.c_str());
    draw_preview(ui);
    ImGui::Separator();
    if (!ui.confirm.empty()) {
        ImGui::Text("%s already exists.", ui.confirm.c_str());
        if (ImGui::Button("Replace")) {
            ui.force = true;
            ui.start = true;
            ui.confirm.clear();
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        if (ImGui::Button("Keep it")) ui.confirm.clear();
    } else if (ImGui::Button("Export")) {
        const std::string out = ui.out.data();
        bool occupied = exists(out);
        struct stat st {};
        if (occupied && ::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
            std::error_code ec;
            occupied = !std::filesystem::is_empty(out, ec);
        }
        if (occupied) {
            ui.confirm = out;
        } else {
            ui.force = false;
            ui.start = true;
            ImGui::CloseCurrentPopup();
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("Close")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void draw_tensor_dialog(Ui& s, ExportUi& ui) {
    if (ui.open_tensors) {
        ImGui::OpenPopup("Export tensors");
        ui.open_tensors = false;
        ui.tensor_error.clear();
        ui.tensor_confirm.clear();
        if (ui.tensor_dir[0] == '\0') set_text(ui.tensor_dir, "convscope_tensors");
    }
    ImGui::SetNextWindowSize(ImVec2(520, 0), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Export tensors", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    ImGui::InputText("Folder##tensor_dir", ui.tensor_dir.data(), ui.tensor_dir.size());
    ImGui::TextWrapped(
        "input.npy, weight.npy, bias.npy (if the layer has one), output.npy and window.npy (the "
        "cursor's input window), in PyTorch layout: y = F.conv%dd(x, w, b, ...) as the Layer panel "
        "writes it reproduces output.npy.",
        s.ws.scene ? s.ws.geo().dims : 2);
    if (!ui.tensor_error.empty()) ImGui::TextColored(error_text(), "%s", ui.tensor_error.c_str());
    const auto write = [&](bool force) {
        std::string error;
        std::vector<std::string> written;
        if (export_scene_tensors(s.ws, ui.tensor_dir.data(), force, error, &written)) {
            s.push(intent::SetStatus{
                "Wrote " + std::to_string(written.size()) + " tensors to " + std::string(ui.tensor_dir.data()), false});
            ImGui::CloseCurrentPopup();
        } else if (error.find("already exists") != std::string::npos) {
            ui.tensor_confirm = error;
        } else {
            ui.tensor_error = error;
        }
    };
    if (!ui.tensor_confirm.empty()) {
        ImGui::TextWrapped("%s", ui.tensor_confirm.c_str());
        if (ImGui::Button("Replace them")) {
            ui.tensor_confirm.clear();
            write(true);
        }
        ImGui::SameLine();
        if (ImGui::Button("Keep them")) ui.tensor_confirm.clear();
    } else if (ImGui::Button("Export")) {
        write(false);
    }
    ImGui::SameLine();
    if (ImGui::Button("Close")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

void draw_progress(ExportUi& ui) {
    const ExportJob& job = *ui.job;
    ImGui::OpenPopup("Exporting");
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.5f, ImGui::GetIO().DisplaySize.y * 0.4f),
                            ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    if (!ImGui::BeginPopupModal("Exporting", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    const int64_t k = job.encoded(), n = job.total();
    const double elapsed = job.elapsed_seconds();
    const double remaining = k > 0 ? elapsed / static_cast<double>(k) * static_cast<double>(n - k) : 0.0;
    ImGui::Text("%s", job.target().path.c_str());
    const std::string text = "frame " + std::to_string(k) + " of " + std::to_string(n);
    ImGui::ProgressBar(n > 0 ? static_cast<float>(k) / static_cast<float>(n) : 0.0f, ImVec2(360, 0), text.c_str());
    ImGui::Text("elapsed %s, remaining about %s", seconds_text(elapsed).c_str(), seconds_text(remaining).c_str());
    if (ImGui::Button("Cancel")) ui.cancel = true;
    ImGui::EndPopup();
}

}  // namespace

workspace::ExportRequest export_request_of(const ExportUi& ui) {
    workspace::ExportRequest r;
    r.out = ui.out.data();
    r.panel = kExportPanels[std::clamp(ui.panel, 0, static_cast<int>(IM_ARRAYSIZE(kExportPanels)) - 1)];
    switch (ui.range) {
        case 1:
            r.steps = std::to_string(ui.first) + ":" + std::to_string(ui.end);
            break;
        case 2:
            r.steps = "all";
            break;
        case 3:
            r.steps = "row";
            break;
        default:
            r.steps = "current";
            break;
    }
    if (ui.granularity >= 0) r.granularity = ui.granularity == 0 ? "position" : ui.granularity == 1 ? "channel" : "mac";
    r.fps = static_cast<double>(ui.fps);
    r.hold_seconds = static_cast<double>(ui.hold);
    r.loop = ui.loop;
    r.scale = ui.scale;
    r.theme = ui.theme == 1 ? "dark" : ui.theme == 2 ? "light" : "";
    r.caption = ui.caption;
    r.force = ui.force;
    return r;
}

void export_ui_from_request(ExportUi& ui, const workspace::ExportRequest& r) {
    set_text(ui.out, r.out);
    ui.panel = 0;
    const std::string title = workspace::export_panel_title(r.panel);
    for (int i = 0; i < static_cast<int>(IM_ARRAYSIZE(kExportPanels)); ++i)
        if (workspace::export_panel_title(kExportPanels[i]) == title) ui.panel = i;
    const workspace::StepRange range = workspace::parse_step_range(r.steps);
    ui.range = range.kind == workspace::StepRange::Kind::Range ? 1
               : range.kind == workspace::StepRange::Kind::All ? 2
               : range.kind == workspace::StepRange::Kind::Row ? 3
                                                               : 0;
    if (ui.range == 1) ui.first = range.first, ui.end = range.end;
    ui.granularity = r.granularity.empty() ? -1 : r.granularity == "position" ? 0 : r.granularity == "channel" ? 1 : 2;
    ui.fps = static_cast<float>(r.fps);
    ui.hold = static_cast<float>(r.hold_seconds);
    ui.loop = r.loop;
    ui.scale = r.scale;
    ui.theme = r.theme.empty() ? 0 : r.theme == "dark" ? 1 : 2;
    ui.caption = r.caption;
}

nlohmann::json export_dialog_dump(const AppState& s) {
    if (!s.view.export_ui || !s.view.export_ui->dialog_visible) return nullptr;
    const ExportUi::Preview& p = s.view.export_ui->preview;
    return {{"open", true},
            {"request", export_request_of(*s.view.export_ui).steps},
            {"preview",
             {{"width", p.width},
              {"height", p.height},
              {"frame_width", p.frame_width},
              {"frame_height", p.frame_height},
              {"renders", p.renders},
              {"error", p.error},
              {"rect", {p.drawn_min.x, p.drawn_min.y, p.drawn_max.x, p.drawn_max.y}}}}};
}

workspace::ExportRequest export_request_from_script(const std::vector<std::string>& args) {
    workspace::ExportRequest r;
    std::vector<std::string> flags = {"--export"};
    flags.insert(flags.end(), args.begin(), args.end());
    for (size_t i = 0; i < flags.size();)
        if (!workspace::parse_export_flag(flags, i, r))
            throw workspace::ExportError("export: unknown option '" + flags[i] + "' (see --help)");
    return r;
}

void export_attach(AppState& s, DrawPanels draw) { ui_of(s.view).draw = std::move(draw); }
DrawPanels export_panel_drawer(AppState& s) { return ui_of(s.view).draw; }

bool export_running(const AppState& s) { return s.view.export_ui && s.view.export_ui->job; }

void export_between_frames(AppState& s, const DrawPanels& draw) {
    if (!s.view.export_ui) return;
    ExportUi& ui = *s.view.export_ui;
    if (ui.start && !ui.job) {
        ui.start = false;
        try {
            ui.job = std::make_unique<ExportJob>(s, export_request_of(ui), draw);
        } catch (const std::exception& e) {
            ui.error = e.what();
            ui.open_export = true;  // back to the dialog with the reason
            app_set_status(s.ws, e.what(), true);
        }
        return;
    }
    if (!ui.job) {
        if (ui.dialog_visible) refresh_preview(s, ui, draw);
        return;
    }
    try {
        if (ui.cancel) {
            ui.cancel = false;
            ui.job->cancel(s);
            app_set_status(s.ws, "Export cancelled: nothing was written", false);
            ui.job.reset();
            return;
        }
        if (!ui.job->render_next(s)) {
            ui.job->finish(s);
            app_set_status(s.ws,
                           "Exported " + ui.job->target().path + " (" + std::to_string(ui.job->total()) + " frames, " +
                               std::to_string(ui.job->width()) + " x " + std::to_string(ui.job->height()) + " px)",
                           false);
            ui.job.reset();
        }
    } catch (const std::exception& e) {
        if (ui.job) ui.job->cancel(s);
        ui.job.reset();
        app_set_status(s.ws, e.what(), true);
    }
}

void draw_export_windows(Ui& s) {
    ExportUi& ui = ui_of(s.view);
    if (ui.job) {
        draw_progress(ui);
        return;
    }
    draw_export_dialog(s, ui);
    draw_tensor_dialog(s, ui);
}

void export_menu_items(Ui& s) {
    if (ImGui::MenuItem("Export...", "Ctrl+E")) ui_of(s.view).open_export = true;
    if (ImGui::MenuItem("Export tensors...")) ui_of(s.view).open_tensors = true;
}

void export_shortcuts(Ui& s) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.KeyCtrl && !io.WantTextInput && ImGui::IsKeyPressed('E', false)) ui_of(s.view).open_export = true;
}

}  // namespace convscope::gui
