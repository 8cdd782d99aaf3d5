// Sections: helpers · scene install · edits and presets · intents · frame update · textures
#include "app_state.hpp"

#include "gpu_cache.hpp"
#include "script_grammar.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "conv_reference.hpp"

namespace convscope::gui {

namespace {

constexpr int64_t kSyncMacs = 2'000'000;         // smaller layers are computed on the UI thread
constexpr int64_t kMaxDrawnValues = 16'000'000;  // input, weight or output elements the app will draw
constexpr ImU32 kPalette[] = {IM_COL32(255, 166, 48, 255), IM_COL32(64, 208, 200, 255),  IM_COL32(190, 130, 255, 255),
                              IM_COL32(140, 220, 90, 255), IM_COL32(255, 115, 170, 255), IM_COL32(250, 230, 90, 255)};

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void refresh_cursor_state(AppState& s) {
    if (!s.ws.cursor || s.ws.transpose.active) return;
    const int64_t count = s.ws.cursor->step_count(s.ws.granularity);
    s.ws.step = std::clamp<int64_t>(s.ws.step, 0, std::max<int64_t>(count - 1, 0));
    s.ws.cursor->state_at(s.ws.step, s.ws.granularity, s.ws.cs);
}

void install(AppState& s, std::shared_ptr<const LayerOutput> out) {
    if (s.ws.transpose.active) app_set_layer_kind(s, false);  // a Conv scene the user asked for: show it
    const bool had_scene = s.ws.scene != nullptr;
    const CursorState old = s.ws.cs;
    s.ws.scene = out->scene;
    s.ws.output = std::move(out);
    if (s.ws.pending && s.ws.pending->id == s.ws.scene->id) s.ws.pending.reset();
    const ConvGeometry& g = s.ws.scene->geo;
    s.ws.cursor.emplace(g, s.ws.scene->x, s.ws.scene->w, s.ws.scene->bias_ptr());
    if (had_scene) {
        s.ws.step =
            s.ws.cursor->step_of(std::min(old.n, g.n - 1), std::min(old.c_out, g.c_out - 1),
                                 std::min(old.y, g.out[0] - 1), std::min(old.x, g.out[1] - 1), s.ws.granularity);
    } else {
        // First scene: stop in the middle of the last designed filter's map, so the picture shows a window on
        // the image and several finished maps.
        const int64_t c = std::clamp<int64_t>(s.ws.scene->designed_filters - 1, 0, g.c_out - 1);
        s.ws.step = s.ws.cursor->step_of(0, c, g.out[0] / 2, g.out[1] / 2, s.ws.granularity);
    }
    s.ws.hover.reset();
    s.ws.hover_hits.clear();
    if (s.ws.pinned_hover) {
        auto& p = *s.ws.pinned_hover;
        if (p[0] >= g.n || p[1] >= g.c_in || p[2] >= g.in[0] || p[3] >= g.in[1]) s.ws.pinned_hover.reset();
    }
    s.ws.partials_key = {-1, -1, -1};
    s.ws.partials_requested = {-1, -1, -1};
    if (s.ws.step_on_install && s.ws.step_on_install->first == s.ws.scene->id) {
        s.ws.step = s.ws.step_on_install->second;
        s.ws.step_on_install.reset();
    }
    refresh_cursor_state(s);
}

std::string too_large(const ConvGeometry& g) {
    // shape_numel is -1 when the product overflows int64 (out_channels 2^62): too large as well.
    const Shape weight{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    for (const auto& [what, shape] :
         {std::pair<const char*, Shape>{"input", g.input_shape()}, {"weight", weight}, {"output", g.output_shape()}}) {
        const int64_t n = shape_numel(shape);
        if (n < 0 || n > kMaxDrawnValues)
            return std::string("Too large to draw: the ") + what + " " + shape_to_string(shape) + " has " +
                   (n < 0 ? std::string("more than 2^63") : std::to_string(n)) +
                   " values. convscope draws up to 16M values per tensor; the layer is valid for PyTorch.";
    }
    return {};
}

void update_hover(AppState& s, std::optional<std::array<int64_t, 4>> h) {
    if (s.ws.pinned_hover) h = s.ws.pinned_hover;
    if (h == s.ws.hover) return;
    s.ws.hover = h;
    s.ws.hover_hits.clear();
    if (h) s.ws.hover_hits = conv_inverse_map(s.ws.geo(), (*h)[1], (*h)[2], (*h)[3]);
}

void install_partials(AppState& s, workspace::PartialMaps r) {
    s.ws.partials = std::move(r);
    s.ws.partials_key = {static_cast<int64_t>(r.scene_id), r.n, r.c_out};
}

// The Channel sums panel's maps for the selected output map: small layers at once, larger ones on their own job
// (a 512-channel layer's maps would hold up the frame); the panel says "computing" until they are in.
void update_partials(AppState& s) {
    const std::array<int64_t, 3> key{static_cast<int64_t>(s.ws.scene->id), s.ws.cs.n, s.ws.cs.c_out};
    if (std::optional<workspace::PartialMaps> r = s.ws.partials_job.take_result())
        if (std::array<int64_t, 3>{static_cast<int64_t>(r->scene_id), r->n, r->c_out} == key)
            install_partials(s, std::move(*r));
    if (key == s.ws.partials_key || key == s.ws.partials_requested) return;
    s.ws.partials_requested = key;
    if (workspace::partial_maps_macs(s.ws.geo()) <= (1 << 21)) {
        s.ws.partials_job.cancel();
        install_partials(s, *workspace::compute_partial_maps(*s.ws.scene, s.ws.cs.n, s.ws.cs.c_out));
        return;
    }
    s.ws.partials_job.start(
        [scene = s.ws.scene, n = s.ws.cs.n, c = s.ws.cs.c_out](const std::atomic<bool>& cancel, std::atomic<float>&) {
            return workspace::compute_partial_maps(*scene, n, c, &cancel);
        });
}

}  // namespace

int64_t Workspace::revealed_position(bool progressively) const {
    const ConvGeometry& g = scene->geo;
    if (!progressively || g.output_positions() >= (int64_t{1} << 24)) return g.output_positions();
    const int64_t pos = ((cs.n * g.c_out + cs.c_out) * g.out[0] + cs.y) * g.out[1] + cs.x;
    return cs.position_complete() ? pos : pos - 1;
}

ImU32 item_colour(int64_t n, float alpha) {
    const ImU32 c = kPalette[static_cast<size_t>(n) % (sizeof kPalette / sizeof kPalette[0])];
    const auto a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
    return (c & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

// ---- edits and presets ----

namespace {

void start_scene(AppState& s, std::shared_ptr<const Scene> scene) {
    const ConvGeometry& g = scene->geo;
    const int64_t macs = g.output_positions() * g.macs_per_output();
    if (!s.ws.scene || macs <= kSyncMacs) {
        s.ws.pending.reset();
        install(s, compute_layer_output(std::move(scene)));
    } else {
        s.ws.pending = scene;
        s.ws.worker.start(std::move(scene));
    }
}

}  // namespace

void app_apply_edit(AppState& s, const LayerEdit& requested) {
    LayerEdit edit = requested;
    if (edit.input.c_follows_layer) edit.input.c = edit.layer.in_channels;
    s.ws.edit = edit;
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) {
        s.ws.edit_error = check.error;
        return;
    }
    const ConvGeometry& g = *check.geometry;
    if (std::string e = too_large(g); !e.empty()) {
        s.ws.edit_error = e;
        return;
    }
    s.ws.edit_error.clear();
    start_scene(s, build_scene(edit, g, &s.ws.latest_scene(), s.ws.next_scene_id++));
}

bool app_apply_data(AppState& s, const LayerEdit& requested, const SceneData& data, std::string& error) {
    LayerEdit edit = requested;
    if (edit.input.c_follows_layer) edit.input.c = edit.layer.in_channels;
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) {
        error = check.error;
        return false;
    }
    const ConvGeometry& g = *check.geometry;
    if (std::string e = too_large(g); !e.empty()) {
        error = e;
        return false;
    }
    if (data.x && data.x->shape != g.input_shape()) {
        error = "the input is " + shape_to_string(data.x->shape) + " but the layer reads " +
                shape_to_string(g.input_shape());
        return false;
    }
    const Shape wshape{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    if (data.w && data.w->shape != wshape) {
        error = "the weight is " + shape_to_string(data.w->shape) + " but the layer needs " + shape_to_string(wshape);
        return false;
    }
    if (data.w && edit.layer.bias && data.bias.shape != Shape{g.c_out}) {
        error = "the bias is " + shape_to_string(data.bias.shape) + " but the layer needs [" + std::to_string(g.c_out) +
                "]";
        return false;
    }
    s.ws.edit = edit;
    s.ws.edit_error.clear();
    start_scene(s, build_scene(edit, g, &s.ws.latest_scene(), s.ws.next_scene_id++, &data));
    return true;
}

bool app_preset(AppState& s, const std::string& key) {
    for (const Preset& p : s.ws.presets)
        if (p.key == key) {
            if (!p.scene_file.empty()) {
                LoadRequest r;
                r.purpose = FilePurpose::Scene;
                r.path = p.scene_file;
                app_start_load(s, r);
                return true;
            }
            s.ws.preset_key = key;
            s.ws.scene_path.clear();
            s.ws.scene_path_builtin = false;
            app_set_status(s, "Preset " + p.label, false);
            app_apply_edit(s, p.edit);
            return true;
        }
    return false;
}

void app_init(AppState& s, const std::string& asset_dir) {
    std::string error;
    s.ws.asset_dir = asset_dir;
    if (std::string recent_error; !recent_load(s.ws.settings_dir, s.ws.recent, recent_error))
        app_set_status(s, recent_error, true);
    if (std::string settings_error; !app_settings_load(s.ws.settings_dir, s.ws.settings, settings_error))
        app_set_status(s, settings_error, true);
    s.ws.conventions = s.ws.settings.conventions;
    s.ws.presets = builtin_presets(asset_dir, error);
    s.ws.lesson_catalogue = lesson_list(asset_dir, s.ws.lesson_catalogue_errors);
    s.ws.notice = error;
    app_apply_edit(s, default_edit());
}

// ---- intents ----

namespace {

// Intents that read the scene on screen (cursor moves, channel picks). They must apply on top of every result
// requested before them, so while a load or a scene computation is in flight they wait for it.
bool reads_scene(const Intent& i) {
    return std::holds_alternative<intent::Seek>(i) || std::holds_alternative<intent::StepBy>(i) ||
           std::holds_alternative<intent::SeekEnd>(i) || std::holds_alternative<intent::MoveCursor>(i) ||
           std::holds_alternative<intent::SelectOutputChannel>(i) || std::holds_alternative<intent::PinHover>(i) ||
           std::holds_alternative<intent::ApplySetting>(i) || std::holds_alternative<intent::CompareCursor>(i);
}

bool scene_in_flight(AppState& s) { return app_scene_in_flight(s); }

}  // namespace

bool app_scene_in_flight(AppState& s) {
    return s.ws.pending || s.ws.loader.busy() || s.ws.loader.has_result() || !s.ws.load_queue.empty();
}

void app_apply_intents(AppState& s) {
    std::vector<Intent> todo;
    if (!s.ws.waiting_intents.empty() && !scene_in_flight(s)) {
        todo.swap(s.ws.waiting_intents);
        for (Intent& i : s.ws.intents) todo.push_back(std::move(i));
        s.ws.intents.clear();
    } else {
        todo.swap(s.ws.intents);
    }
    std::optional<std::array<int64_t, 4>> hover = s.ws.hover;
    bool hover_seen = false;
    for (Intent& i : todo) {
        if (reads_scene(i) && (!s.ws.waiting_intents.empty() || scene_in_flight(s))) {
            s.ws.waiting_intents.push_back(std::move(i));
            continue;
        }
        std::visit(Overloaded{
                       [&](intent::EditLayer& e) {
                           s.ws.preset_key.clear();  // an edit by hand: no longer the preset's layer
                           app_apply_edit(s, e.edit);
                       },
                       [&](intent::ApplySetting& e) {
                           s.ws.preset_key.clear();
                           LayerEdit edit = s.ws.edit;
                           std::string why;
                           if (apply_setting(edit, e.key, e.value, why))
                               app_apply_edit(s, edit);
                           else
                               app_set_status(s, "set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::ApplyPreset& e) { app_preset(s, e.key); },
                       [&](intent::Seek& e) { s.ws.step = e.step, s.ws.step_accumulator = 0; },
                       [&](intent::StepBy& e) { s.ws.step += e.delta, s.ws.playing = false; },
                       [&](intent::SeekEnd& e) { s.ws.step = e.end ? s.ws.step_count() - 1 : 0, s.ws.playing = false; },
                       [&](intent::SetGranularity& e) {
                           if (s.ws.transpose.active)
                               s.ws.step = s.ws.transpose.convert_step(s.ws.step, s.ws.granularity, e.granularity);
                           else if (s.ws.cursor)
                               s.ws.step = s.ws.cursor->convert_step(s.ws.step, s.ws.granularity, e.granularity);
                           s.ws.granularity = e.granularity;
                       },
                       [&](intent::SetPlaying& e) {
                           s.ws.playing = e.playing;
                           if (e.playing && s.ws.step >= s.ws.step_count() - 1) s.ws.step = 0;
                           s.ws.step_accumulator = 0;
                       },
                       [&](intent::SetSpeed& e) { s.ws.speed = std::clamp(e.steps_per_second, 0.1f, 1e6f); },
                       [&](intent::MoveCursor& e) {
                           const ConvGeometry& g = s.ws.geo();
                           if (e.n < 0 || e.n >= g.n || e.c_out < 0 || e.c_out >= g.c_out || e.y < 0 ||
                               e.y >= g.out[0] || e.x < 0 || e.x >= g.out[1])
                               return;
                           s.ws.step = s.ws.cursor->step_of(e.n, e.c_out, e.y, e.x, s.ws.granularity);
                           s.ws.playing = false;
                       },
                       [&](intent::SetAfterSettings& e) { s.ws.after.settings = e.settings; },
                       [&](intent::CancelLoad&) { s.ws.loader.cancel(); },
                       [&](intent::SelectOnnxNode& e) { s.ws.onnx.selected = e.node; },
                       [&](intent::SetStatus& e) { app_set_status(s, e.text, e.error); },
                       [&](intent::AnswerOutsidePaths& e) {
                           if (!s.ws.outside_request) return;
                           LoadRequest again = *s.ws.outside_request;
                           s.ws.outside_request.reset();
                           again.allow_outside = true;
                           if (e.load) app_start_load(s, again);
                       },
                       [&](intent::StartLesson& e) { app_start_lesson(s, e.id_or_path); },
                       [&](intent::LessonGo& e) { app_lesson_go(s, e.step); },
                       [&](intent::LessonAnswer& e) { app_lesson_answer(s, e.answer); },
                       [&](intent::LessonReveal& e) {
                           if (s.ws.lesson) s.ws.lesson->revealed = e.revealed;
                       },
                       [&](intent::LessonClose&) { app_lesson_close(s); },
                       [&](intent::CompareCursor& e) {
                           CompareUi& c = s.view.compare;
                           c.open = true;
                           compare_refresh(s);  // the pair, and which side the scene on screen is
                           if (!c.pair) return;
                           c.cursor = workspace::clamp_cursor(*c.pair, {e.image, e.c_out, e.y, e.x});
                           if (c.linked && s.ws.cursor) {
                               const bool batch = *c.linked == workspace::PairSide::Batch;
                               s.ws.step = s.ws.cursor->step_of(batch ? c.cursor.image : 0, c.cursor.c_out, c.cursor.y,
                                                                c.cursor.x, s.ws.granularity);
                               s.ws.playing = false;
                           }
                       },
                       [&](intent::SelectOutputChannel& e) {
                           if (e.c_out < 0 || e.c_out >= s.ws.geo().c_out) return;
                           s.ws.step = s.ws.cursor->step_of(s.ws.cs.n, e.c_out, s.ws.cs.y, s.ws.cs.x, s.ws.granularity);
                       },
                       [&](intent::HoverInput& e) {
                           hover_seen = true;
                           if (e.n < 0)
                               hover.reset();
                           else
                               hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                       },
                       [&](intent::PinHover& e) {
                           const ConvGeometry& g = s.ws.geo();
                           if (e.n < 0 || e.n >= g.n || e.c < 0 || e.c >= g.c_in || e.y < 0 || e.y >= g.in[0] ||
                               e.x < 0 || e.x >= g.in[1])
                               s.ws.pinned_hover.reset();
                           else
                               s.ws.pinned_hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                           hover_seen = true;
                       },
                       [&](intent::SetUiScale& e) { s.view.pending_ui_scale = std::clamp(e.scale, 0.75f, 3.0f); },
                       [&](intent::Open& e) { app_start_load(s, e.request); },
                       [&](intent::OpenPath& e) {
                           const auto purpose = purpose_of_path(e.path);
                           if (!purpose) {
                               app_set_status(s,
                                              file_name(e.path) +
                                                  ": not a file convscope opens (images .png .jpg "
                                                  ".jpeg .bmp, CIFAR .bin/.tar.gz, .npy, .onnx, scene .json)",
                                              true);
                               app_batch_step(s, s.ws.status);
                               return;
                           }
                           LoadRequest r;
                           r.purpose = *purpose;
                           r.path = e.path;
                           r.image = s.ws.image_options;
                           r.cifar_greyscale = s.view.cifar.greyscale;
                           // Several files dropped at once (a picture and its weights) open one after another;
                           // starting each at once would cancel the one before.
                           if (s.ws.loader.busy() || s.ws.loader.has_result() || !s.ws.load_queue.empty())
                               s.ws.load_queue.push_back(r);
                           else
                               app_start_load(s, r);
                       },
                       [&](intent::PickCifar& e) { app_pick_cifar(s, e.indices, e.greyscale); },
                       [&](intent::SetImageOptions& e) {
                           s.ws.image_options = e.options;
                           if (s.ws.image) app_use_image(s);
                       },
                       [&](intent::UseOnnxNode& e) { app_use_onnx_node(s, e.node, e.test_input); },
                       [&](intent::SaveScene& e) { app_save_scene(s, e.path, e.overwrite); },
                       [&](intent::SetConventions& e) { app_set_conventions(s, e.conventions, true); },
                       [&](intent::SetLayerKind& e) { app_set_layer_kind(s, e.transpose); },
                       [&](intent::EditTranspose& e) { app_transpose_edit(s, e.edit); },
                       [&](intent::TransposeSetting& e) {
                           TransposeEdit edit = s.ws.transpose.edit;
                           std::string why;
                           if (apply_transpose_setting(edit, e.key, e.value, why))
                               app_transpose_edit(s, edit);
                           else
                               app_set_status(s, "transpose_set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::TransposePreset& e) { app_transpose_preset(s, e.key); },
                       [&](intent::SetTransposeOrder& e) { app_transpose_order(s, e.order); },
                       [&](intent::MoveTransposeCursor& e) {
                           if (const auto step = s.ws.transpose.step_of(e.n, e.c, e.y, e.x, s.ws.granularity)) {
                               s.ws.step = *step;
                               s.ws.playing = false;
                           }
                       },
                   },
                   i);
    }
    if (hover_seen || s.ws.pinned_hover) update_hover(s, hover);
}

// ---- frame update ----

void app_begin_frame(AppState& s, double dt) {
    app_take_load_result(s);
    if (auto r = s.ws.worker.take_result(); r && s.ws.pending && r->scene->id == s.ws.pending->id)
        install(s, std::move(r));
    app_apply_intents(s);
    if (s.ws.playing && s.ws.cursor) {
        s.ws.step_accumulator += dt * static_cast<double>(s.ws.speed);
        const auto advance = static_cast<int64_t>(std::floor(s.ws.step_accumulator));
        s.ws.step_accumulator -= static_cast<double>(advance);
        s.ws.step += advance;
        if (s.ws.step >= s.ws.step_count() - 1) {
            s.ws.step = s.ws.step_count() - 1;
            s.ws.playing = false;
        }
    }
    refresh_cursor_state(s);
    app_transpose_refresh(s);
    update_partials(s);
    after_update(s);
    app_update_onnx_diff(s);
    app_update_cifar_view(s);
    app_refresh_texts(s);
    compare_refresh(s);
    gpu_refresh(s.gpu, s.ws, s.view);
    s.geometry.clear();
}

void app_wait_loads(AppState& s, double timeout_seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    do {
        while (s.ws.loader.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        app_take_load_result(s);  // applies a result, or starts the next queued load
    } while ((s.ws.loader.busy() || s.ws.loader.has_result() || !s.ws.load_queue.empty()) &&
             std::chrono::steady_clock::now() < until);
}

void app_wait_idle(AppState& s, double timeout_seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    // Intents that waited for a scene may start another (two settings in a row): wait for that one too.
    for (int round = 0; round < 16; ++round) {
        app_wait_loads(s, std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count());
        while (s.ws.pending && s.ws.worker.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (auto r = s.ws.worker.take_result(); r && s.ws.pending && r->scene->id == s.ws.pending->id)
            install(s, std::move(r));
        if (s.ws.waiting_intents.empty() || scene_in_flight(s)) break;
        app_apply_intents(s);
        if (!s.ws.pending || std::chrono::steady_clock::now() >= until) break;
    }
    // the Channel sums' maps of the cursor's output map and the ReLU + pool tab, when they are computed on their jobs
    while ((s.ws.partials_job.busy() || s.ws.after.job.busy()) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void app_shutdown(AppState& s) {
    s.ws.loader.cancel();
    s.ws.pending.reset();
    gpu_release(s.gpu);
}

}  // namespace convscope::gui
