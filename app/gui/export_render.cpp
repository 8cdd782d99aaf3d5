// Sections: planning · entering and leaving the export's look · one frame · finishing · run_export · tensors
#include "export_render.hpp"

#include <imgui_internal.h>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>

#include "export_tensors.hpp"
#include "gl_render.hpp"
#include "platform.hpp"
#include "widgets.hpp"

namespace convscope::gui {

using workspace::ExportError;

namespace {

// The window whose content --panel NAME crops to ("then ReLU + pool" is a tab of Feature maps).
const char* crop_window_of(const std::string& title) {
    return title == "then ReLU + pool" ? "Feature maps" : title.c_str();
}

}  // namespace

// ---- planning ----

ExportJob::ExportJob(AppState& s, const workspace::ExportRequest& request, DrawPanels draw, bool preview)
    : req_(request), draw_(std::move(draw)), preview_(preview) {
    if (preview_) {  // nothing is written: the first frame at 1x, whatever the file name says
        req_.out = "preview.png";
        req_.scale = 1;
    }
    if (!s.ws.scene || !s.ws.cursor || (s.ws.transpose.active && !s.ws.transpose.cursor))
        throw ExportError("export: there is no layer on screen yet");
    panel_title_ = workspace::export_panel_title(req_.panel);
    target_ = workspace::export_target_of(req_.out);
    granularity_ = req_.granularity.empty() ? s.ws.granularity : workspace::parse_granularity(req_.granularity);
    if (req_.scale < 1 || req_.scale > workspace::kMaxExportScale)
        throw ExportError("--scale takes 1, 2, 3 or 4; got " + std::to_string(req_.scale));

    if (s.ws.transpose
            .active) {  // Layer kind ConvTranspose: its own walk; "row" is the current input (scatter) or output row
        const TransposeSession& t = s.ws.transpose;
        const int64_t count = t.step_count(granularity_);
        const int64_t per = count / t.step_count(Granularity::Position);
        const bool scatter = t.order == TransposeOrder::Scatter;
        const int64_t n = scatter ? t.scatter.n : t.gather.n, c = scatter ? t.scatter.c_in : t.gather.c_out;
        const int64_t y = scatter ? t.scatter.iy : t.gather.y;
        const int64_t w = scatter ? t.scene->geo.in[1] : t.scene->geo.out[1];
        steps_ = workspace::plan_frames(
            workspace::parse_step_range(req_.steps), count, t.convert_step(s.ws.step, s.ws.granularity, granularity_),
            *t.step_of(n, c, y, 0, granularity_) - (per - 1), *t.step_of(n, c, y, w - 1, granularity_));
    } else {
        const ConvGeometry& g = s.ws.geo();
        const ConvCursor& c = *s.ws.cursor;
        const int64_t count = c.step_count(granularity_);
        const int64_t current = c.convert_step(s.ws.step, s.ws.granularity, granularity_);
        const int64_t row_last = c.step_of(s.ws.cs.n, s.ws.cs.c_out, s.ws.cs.y, g.out[1] - 1, granularity_);
        const int64_t row_first =
            c.step_of(s.ws.cs.n, s.ws.cs.c_out, s.ws.cs.y, 0, granularity_) - (steps_per_position(g, granularity_) - 1);
        steps_ = workspace::plan_frames(workspace::parse_step_range(req_.steps), count, current, row_first, row_last);
    }

    if (preview_) steps_.resize(std::min<size_t>(steps_.size(), 1));
    platform_framebuffer_size(win_w_, win_h_);
    full_w_ = win_w_ * req_.scale;
    full_h_ = win_h_ * req_.scale;
    // The size checked before starting: the panel as it is on screen now, at the export's scale.
    int est_w = full_w_, est_h = full_h_;
    if (!panel_title_.empty()) {
        const ImGuiWindow* w = find_panel_window(crop_window_of(panel_title_));
        if (!w) throw ExportError("--panel " + req_.panel + ": that panel is not open");
        est_w = static_cast<int>(std::ceil(w->InnerRect.GetWidth())) * req_.scale;
        est_h = static_cast<int>(std::ceil(w->InnerRect.GetHeight())) * req_.scale;
    }
    if (req_.caption) {
        font_.emplace(s.ws.asset_dir + "/fonts/DejaVuSansMono.ttf");
        est_h += font_->strip_height(static_cast<float>(req_.scale));
    }
    if (full_w_ > workspace::kMaxExportSide || full_h_ > workspace::kMaxExportSide)
        workspace::check_export_limits(target_, full_w_, full_h_, total());
    if (!preview_) workspace::check_export_limits(target_, est_w, est_h, total());

    if (preview_) {
        start_ = std::chrono::steady_clock::now();
        try {
            enter(s);
        } catch (...) {
            leave(s);
            done_ = true;
            throw;
        }
        return;
    }
    workspace::EncodeOptions eo;
    eo.fps = req_.fps;
    eo.hold_seconds = req_.hold_seconds;
    eo.loop = req_.loop;
    eo.force = req_.force;
    eo.granularity = granularity_name(granularity_);
    pipeline_ = std::make_unique<workspace::ExportPipeline>(workspace::make_frame_sink(target_, eo));
    start_ = std::chrono::steady_clock::now();
    try {
        enter(s);
    } catch (...) {
        leave(s);
        pipeline_->cancel();
        done_ = true;
        throw;
    }
}

ExportJob::~ExportJob() {
    if (pipeline_ && !done_) pipeline_->cancel();
}

double ExportJob::elapsed_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

// ---- entering and leaving the export's look ----

void ExportJob::enter(AppState& s) {
    saved_scale_ = s.view.ui_scale;
    saved_light_ = platform_light_theme();
    saved_playing_ = s.ws.playing;
    saved_frame_time_ = s.view.show_frame_time;
    saved_granularity_ = s.ws.granularity;
    saved_step_ = s.ws.step;
    s.ws.playing = false;
    s.view.show_frame_time = false;
    if (!req_.theme.empty()) platform_set_light_theme(req_.theme == "light");
    if (req_.scale != 1) platform_set_ui_scale(saved_scale_ * static_cast<float>(req_.scale));
    if (panel_title_ == "then ReLU + pool") s.view.after_show_request = true;
    if (granularity_ != s.ws.granularity) s.push(intent::SetGranularity{granularity_});
    entered_ = true;

    // Two frames laid out at the export's size (windows placed and auto-sized), a third as it will be drawn. At
    // the window's own size the panels stay where the user put them.
    const bool relayout = req_.scale != 1;
    render_frame(s, steps_.front(), relayout);
    render_frame(s, steps_.front(), relayout);
    render_frame(s, steps_.front(), false);
    crop_x_ = 0, crop_y_ = 0, crop_w_ = full_w_, crop_h_ = full_h_;
    if (!panel_title_.empty()) {
        const ImGuiWindow* w = find_panel_window(crop_window_of(panel_title_));
        if (!w || !w->WasActive) throw ExportError("--panel " + req_.panel + ": that panel is not open");
        const int x0 = std::clamp(static_cast<int>(std::floor(w->InnerRect.Min.x)), 0, full_w_);
        const int y0 = std::clamp(static_cast<int>(std::floor(w->InnerRect.Min.y)), 0, full_h_);
        const int x1 = std::clamp(static_cast<int>(std::ceil(w->InnerRect.Max.x)), 0, full_w_);
        const int y1 = std::clamp(static_cast<int>(std::ceil(w->InnerRect.Max.y)), 0, full_h_);
        if (x1 <= x0 || y1 <= y0) throw ExportError("--panel " + req_.panel + ": the panel has no visible content");
        crop_x_ = x0, crop_y_ = y0, crop_w_ = x1 - x0, crop_h_ = y1 - y0;
    }
    out_w_ = crop_w_;
    out_h_ = crop_h_ + (font_ ? font_->strip_height(static_cast<float>(req_.scale)) : 0);
    if (!preview_) workspace::check_export_limits(target_, out_w_, out_h_, total());
}

void ExportJob::leave(AppState& s) {
    if (!entered_) return;
    entered_ = false;
    platform_set_display_override(0, 0);
    gl_offscreen_free();
    if (!req_.theme.empty()) platform_set_light_theme(saved_light_);
    if (req_.scale != 1) {
        platform_set_ui_scale(saved_scale_);
        s.view.pending_ui_scale = saved_scale_;  // the main loop lays the panels out again for the window
    }
    s.ws.playing = saved_playing_;
    s.view.show_frame_time = saved_frame_time_;
    if (granularity_ != saved_granularity_) s.push(intent::SetGranularity{saved_granularity_});
    s.push(intent::Seek{saved_step_});
}

// ---- one frame ----

std::vector<uint8_t> ExportJob::render_frame(AppState& s, int64_t step, bool relayout) {
    // At the window's own size the frame is drawn into the window's back buffer (read before any swap, as
    // screenshots are), so that scale 1 is pixel-identical to a screenshot: llvmpipe breaks ties between texels
    // differently in a framebuffer object. Larger frames need the framebuffer object.
    const bool back_buffer = full_w_ == win_w_ && full_h_ == win_h_;
    std::string error;
    if (!back_buffer && !gl_offscreen_begin(full_w_, full_h_, error)) throw ExportError(target_.path + ": " + error);
    s.push(intent::Seek{step});
    s.view.relayout = relayout;
    platform_set_display_override(full_w_, full_h_);
    platform_begin_frame();
    app_begin_frame(s, 0.0);
    draw_(s);
    platform_render();
    std::vector<uint8_t> rgb = back_buffer ? gl_read_back_buffer(full_w_, full_h_) : gl_offscreen_read();
    if (!back_buffer) gl_offscreen_end();
    platform_set_display_override(0, 0);
    s.view.relayout = false;
    return rgb;
}

bool ExportJob::render_next(AppState& s) {
    if (next_ >= total()) return false;
    auto [frame, info] = make_frame(s, steps_[static_cast<size_t>(next_)]);
    pipeline_->push(std::move(frame), std::move(info));
    ++next_;
    return next_ < total();
}

workspace::RgbImage ExportJob::render_preview(AppState& s) {
    workspace::RgbImage frame = make_frame(s, steps_.front()).first;
    leave(s);
    done_ = true;
    return frame;
}

std::pair<workspace::RgbImage, workspace::FrameInfo> ExportJob::make_frame(AppState& s, int64_t step) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<uint8_t> full = render_frame(s, step, false);
    render_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    workspace::RgbImage frame;
    frame.width = crop_w_;
    frame.height = crop_h_;
    frame.rgb.resize(static_cast<size_t>(crop_w_) * static_cast<size_t>(crop_h_) * 3);
    for (int y = 0; y < crop_h_; ++y)
        std::copy_n(
            full.begin() +
                static_cast<std::ptrdiff_t>(
                    (static_cast<size_t>(crop_y_ + y) * static_cast<size_t>(full_w_) + static_cast<size_t>(crop_x_)) *
                    3),
            static_cast<size_t>(crop_w_) * 3,
            frame.rgb.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(y) * static_cast<size_t>(crop_w_) * 3));
    const CursorState& cs = s.ws.cs;
    workspace::FrameInfo info;
    info.step = step;
    info.n = cs.n, info.c_out = cs.c_out, info.y = cs.y, info.x = cs.x;
    info.ci = cs.ci, info.ky = cs.ky, info.kx = cs.kx;
    if (s.ws.transpose.active) {  // the output element in the gather walk; where the current product lands in scatter
        const TransposeSession& t = s.ws.transpose;
        if (t.order == TransposeOrder::Gather) {
            const GatherTap& tap = t.gather.taps[static_cast<size_t>(t.gather.mac)];
            info.n = t.gather.n, info.c_out = t.gather.c_out, info.y = t.gather.y, info.x = t.gather.x;
            info.ci = t.gather.channels[static_cast<size_t>(t.gather.ci)].c_in, info.ky = tap.ky, info.kx = tap.kx;
        } else {
            const ScatterTap& tap = t.scatter.taps[static_cast<size_t>(t.scatter.mac)];
            info.n = t.scatter.n, info.c_out = tap.co, info.y = tap.oy, info.x = tap.ox;
            info.ci = t.scatter.c_in, info.ky = tap.ky, info.kx = tap.kx;
        }
    }
    if (font_) {
        info.caption = s.ws.transpose.active ? s.ws.transpose.caption_text()
                                             : workspace::cursor_equation(s.ws.geo(), cs, s.ws.scene->edit.layer.bias);
        frame = font_->with_caption(frame, info.caption, static_cast<float>(req_.scale), platform_light_theme());
    }
    return {std::move(frame), std::move(info)};
}

// ---- finishing ----

void ExportJob::finish(AppState& s) {
    leave(s);
    done_ = true;
    pipeline_->finish();
}

void ExportJob::cancel(AppState& s) {
    leave(s);
    done_ = true;
    if (pipeline_) pipeline_->cancel();  // a preview has none
}

// ---- run_export ----

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }
}  // namespace

bool run_export(AppState& s, const workspace::ExportRequest& request, const DrawPanels& draw, std::string& error) {
    std::unique_ptr<ExportJob> job;
    // Ctrl+C or a TERM signal cancels the export (the partial output is removed) instead of killing the process.
    g_interrupted = 0;
    struct sigaction on {
    }, old_int{}, old_term{};
    on.sa_handler = on_interrupt;
    sigemptyset(&on.sa_mask);
    sigaction(SIGINT, &on, &old_int);
    sigaction(SIGTERM, &on, &old_term);
    struct Restore {
        struct sigaction *i, *t;
        ~Restore() {
            sigaction(SIGINT, i, nullptr);
            sigaction(SIGTERM, t, nullptr);
        }
    } restore{&old_int, &old_term};
    try {
        job = std::make_unique<ExportJob>(s, request, draw);
        while (job->render_next(s)) {
            if (g_interrupted)
                throw ExportError(request.out + ": export interrupted by a signal after " +
                                  std::to_string(job->rendered()) + " of " + std::to_string(job->total()) +
                                  " frames; nothing was written");
        }
        job->finish(s);
        const double n = static_cast<double>(job->total());
        std::printf(
            "exported %s: %lld frame%s of %d x %d px (%s) in %.2f s; per frame: render %.1f ms, export "
            "%.1f ms (%.1f frames/s)\n",
            request.out.c_str(), static_cast<long long>(job->total()), job->total() == 1 ? "" : "s", job->width(),
            job->height(), workspace::export_format_name(job->target().format), job->elapsed_seconds(),
            1000.0 * job->render_seconds() / n, 1000.0 * job->elapsed_seconds() / n, n / job->elapsed_seconds());
        return true;
    } catch (const std::exception& e) {
        if (job) job->cancel(s);
        error = e.what();
        return false;
    }
}

// ---- tensors ----

bool export_scene_tensors(const Workspace& ws, const std::string& dir, bool force, std::string& error,
                          std::vector<std::string>* written) {
    if (!ws.scene || !ws.output || ws.output->scene != ws.scene || !ws.cursor) {
        error = "export tensors: the layer on screen is still being computed";
        return false;
    }
    workspace::SceneTensors t;
    t.geo = ws.geo();
    t.x = &ws.scene->x;
    t.w = &ws.scene->w;
    t.bias = ws.scene->bias_ptr();
    t.y = &ws.output->y;
    t.cursor = ws.cs;
    try {
        std::vector<std::string> w = workspace::export_tensors(dir, t, force);
        if (written) *written = std::move(w);
        return true;
    } catch (const std::exception& e) {
        error = e.what();
        return false;
    }
}

}  // namespace convscope::gui
