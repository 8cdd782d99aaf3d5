// Sections: helpers (cursor, scene install, hover, the Channel sums' maps, the ReLU + pool tab) · edits and presets ·
// intents · frame update · conventions and texts
#include "workspace.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "codegen.hpp"
#include "script_grammar.hpp"

namespace convscope::workspace {

namespace {

constexpr int64_t kSyncMacs = 2'000'000;         // smaller layers are computed on the UI thread
constexpr int64_t kMaxDrawnValues = 16'000'000;  // input, weight or output elements the app will draw
template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void refresh_cursor_state(Workspace& ws) {
    if (!ws.cursor || ws.transpose.active) return;
    const int64_t count = ws.cursor->step_count(ws.granularity);
    ws.step = std::clamp<int64_t>(ws.step, 0, std::max<int64_t>(count - 1, 0));
    ws.cursor->state_at(ws.step, ws.granularity, ws.cs);
}

void install(Workspace& ws, std::shared_ptr<const LayerOutput> out) {
    if (ws.transpose.active) app_set_layer_kind(ws, false);  // a Conv scene the user asked for: show it
    const bool had_scene = ws.scene != nullptr;
    const CursorState old = ws.cs;
    ws.scene = out->scene;
    ws.output = std::move(out);
    if (ws.pending && ws.pending->id == ws.scene->id) ws.pending.reset();
    const ConvGeometry& g = ws.scene->geo;
    ws.cursor.emplace(g, ws.scene->x, ws.scene->w, ws.scene->bias_ptr());
    if (had_scene) {
        ws.step = ws.cursor->step_of(std::min(old.n, g.n - 1), std::min(old.c_out, g.c_out - 1),
                                     std::min(old.y, g.out[0] - 1), std::min(old.x, g.out[1] - 1), ws.granularity);
    } else {
        // First scene: stop in the middle of the last designed filter's map, so the picture shows a window on
        // the image and several finished maps.
        const int64_t c = std::clamp<int64_t>(ws.scene->designed_filters - 1, 0, g.c_out - 1);
        ws.step = ws.cursor->step_of(0, c, g.out[0] / 2, g.out[1] / 2, ws.granularity);
    }
    ws.hover.reset();
    ws.hover_hits.clear();
    if (ws.pinned_hover) {
        auto& p = *ws.pinned_hover;
        if (p[0] >= g.n || p[1] >= g.c_in || p[2] >= g.in[0] || p[3] >= g.in[1]) ws.pinned_hover.reset();
    }
    ws.partials_key = {-1, -1, -1};
    ws.partials_requested = {-1, -1, -1};
    if (ws.step_on_install && ws.step_on_install->first == ws.scene->id) {
        ws.step = ws.step_on_install->second;
        ws.step_on_install.reset();
    }
    refresh_cursor_state(ws);
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

void update_hover(Workspace& ws, std::optional<std::array<int64_t, 4>> h) {
    if (ws.pinned_hover) h = ws.pinned_hover;
    if (h == ws.hover) return;
    ws.hover = h;
    ws.hover_hits.clear();
    if (h) ws.hover_hits = conv_inverse_map(ws.geo(), (*h)[1], (*h)[2], (*h)[3]);
}

void install_partials(Workspace& ws, workspace::PartialMaps r) {
    ws.partials = std::move(r);
    ws.partials_key = {static_cast<int64_t>(r.scene_id), r.n, r.c_out};
}

// The Channel sums panel's maps for the selected output map: small layers at once, larger ones on their own job
// (a 512-channel layer's maps would hold up the frame); the panel says "computing" until they are in.
void update_partials(Workspace& ws) {
    const std::array<int64_t, 3> key{static_cast<int64_t>(ws.scene->id), ws.cs.n, ws.cs.c_out};
    if (std::optional<workspace::PartialMaps> r = ws.partials_job.take_result())
        if (std::array<int64_t, 3>{static_cast<int64_t>(r->scene_id), r->n, r->c_out} == key)
            install_partials(ws, std::move(*r));
    if (key == ws.partials_key || key == ws.partials_requested) return;
    ws.partials_requested = key;
    if (workspace::partial_maps_macs(ws.geo()) <= (1 << 21)) {
        ws.partials_job.cancel();
        install_partials(ws, *workspace::compute_partial_maps(*ws.scene, ws.cs.n, ws.cs.c_out));
        return;
    }
    ws.partials_job.start(
        [scene = ws.scene, n = ws.cs.n, c = ws.cs.c_out](const std::atomic<bool>& cancel, std::atomic<float>&) {
            return workspace::compute_partial_maps(*scene, n, c, &cancel);
        });
}

// The "then ReLU + pool" tab's maps, while the tab is on screen (large layers on its job).
void install_after(AfterConv& a, AfterResult r) {
    a.result = std::move(r);
    ++a.generation;
}

void after_update(Workspace& ws, bool wanted) {
    AfterConv& a = ws.after;
    if (std::optional<AfterResult> r = a.job.take_result())
        if (r->source == ws.output && r->settings == a.settings) install_after(a, std::move(*r));
    // Only while the tab is (about to be) on screen: a large layer's maps would cost every layer change otherwise.
    if (!wanted) return;
    if (!ws.output || (a.result.source == ws.output && a.result.settings == a.settings)) return;
    if (a.requested_source == ws.output && a.requested_settings == a.settings) return;  // on the job
    a.requested_source = ws.output;
    a.requested_settings = a.settings;
    if (ws.output->y.numel() <= (int64_t{1} << 22)) {
        a.job.cancel();
        install_after(a, compute_after(ws.output, a.settings));
        return;
    }
    a.job.start([source = ws.output, settings = a.settings](const std::atomic<bool>&, std::atomic<float>&) {
        return std::optional<AfterResult>(compute_after(source, settings));
    });
}

}  // namespace

int64_t Workspace::revealed_position(bool progressively) const {
    const ConvGeometry& g = scene->geo;
    if (!progressively || g.output_positions() >= (int64_t{1} << 24)) return g.output_positions();
    const int64_t pos = ((cs.n * g.c_out + cs.c_out) * g.out[0] + cs.y) * g.out[1] + cs.x;
    return cs.position_complete() ? pos : pos - 1;
}

// ---- edits and presets ----

namespace {

void start_scene(Workspace& ws, std::shared_ptr<const Scene> scene) {
    const ConvGeometry& g = scene->geo;
    const int64_t macs = g.output_positions() * g.macs_per_output();
    if (!ws.scene || macs <= kSyncMacs) {
        ws.pending.reset();
        install(ws, compute_layer_output(std::move(scene)));
    } else {
        ws.pending = scene;
        ws.worker.start(std::move(scene));
    }
}

}  // namespace

void app_apply_edit(Workspace& ws, const LayerEdit& requested) {
    LayerEdit edit = requested;
    if (edit.input.c_follows_layer) edit.input.c = edit.layer.in_channels;
    ws.edit = edit;
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) {
        ws.edit_error = check.error;
        return;
    }
    const ConvGeometry& g = *check.geometry;
    if (std::string e = too_large(g); !e.empty()) {
        ws.edit_error = e;
        return;
    }
    ws.edit_error.clear();
    start_scene(ws, build_scene(edit, g, ws.latest_scene_if_any(), ws.next_scene_id++));
}

bool app_apply_data(Workspace& ws, const LayerEdit& requested, const SceneData& data, std::string& error) {
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
    ws.edit = edit;
    ws.edit_error.clear();
    start_scene(ws, build_scene(edit, g, ws.latest_scene_if_any(), ws.next_scene_id++, &data));
    return true;
}

bool app_preset(Workspace& ws, const std::string& key) {
    for (const Preset& p : ws.presets)
        if (p.key == key) {
            if (!p.scene_file.empty()) {
                LoadRequest r;
                r.purpose = FilePurpose::Scene;
                r.path = p.scene_file;
                app_request_load(ws, r);
                return true;
            }
            ws.preset_key = key;
            ws.scene_path.clear();
            ws.scene_path_builtin = false;
            app_set_status(ws, "Preset " + p.label, false);
            app_apply_edit(ws, p.edit);
            return true;
        }
    return false;
}

void app_init(Workspace& ws, const std::string& asset_dir) {
    std::string error;
    ws.asset_dir = asset_dir;
    if (std::string recent_error; !recent_load(ws.settings_dir, ws.recent, recent_error))
        app_set_status(ws, recent_error, true);
    if (std::string settings_error; !app_settings_load(ws.settings_dir, ws.settings, settings_error))
        app_set_status(ws, settings_error, true);
    ws.conventions = ws.settings.conventions;
    ws.presets = builtin_presets(asset_dir, error);
    ws.lesson_catalogue = lesson_list(asset_dir, ws.lesson_catalogue_errors);
    ws.notice = error;
    app_apply_edit(ws, default_edit());
}

// ---- intents ----

namespace {

// Intents that read the scene on screen (cursor moves, channel picks). They must apply on top of every result
// requested before them, so while a load or a scene computation is in flight they wait for it.
bool reads_scene(const Intent& i) {
    return std::holds_alternative<intent::Seek>(i) || std::holds_alternative<intent::StepBy>(i) ||
           std::holds_alternative<intent::SeekEnd>(i) || std::holds_alternative<intent::MoveCursor>(i) ||
           std::holds_alternative<intent::SelectOutputChannel>(i) || std::holds_alternative<intent::PinHover>(i) ||
           std::holds_alternative<intent::ApplySetting>(i) || std::holds_alternative<intent::CompareCursor>(i) ||
           // The transposed view's intents: a Conv scene installed after the view was switched on switches it back
           // (it was asked for, so it is shown), so a scene asked for before them must be in first. (A preset's
           // scene file still loading when `layer_kind transpose` came ended on the Conv view.)
           std::holds_alternative<intent::SetLayerKind>(i) || std::holds_alternative<intent::TransposePreset>(i) ||
           std::holds_alternative<intent::EditTranspose>(i) || std::holds_alternative<intent::TransposeSetting>(i) ||
           std::holds_alternative<intent::SetTransposeOrder>(i) ||
           std::holds_alternative<intent::MoveTransposeCursor>(i);
}

// Intents that replace the layer (an edit by hand, a preset without a scene file): a scene file still loading would
// replace them in turn when it arrives, so while one is loading or queued they wait for it (two preset clicks in a
// row ended on the first).
bool replaces_layer(const Intent& i) {
    if (std::holds_alternative<intent::EditLayer>(i)) return true;
    return std::holds_alternative<intent::ApplyPreset>(i);  // (one with a scene file queues its load in order anyway)
}

bool scene_file_loading(Workspace& ws) {
    if ((ws.loader.busy() || ws.loader.has_result()) && ws.loader.request().purpose == FilePurpose::Scene) return true;
    return std::any_of(ws.load_queue.begin(), ws.load_queue.end(),
                       [](const LoadRequest& r) { return r.purpose == FilePurpose::Scene; });
}

}  // namespace

bool app_scene_in_flight(Workspace& ws) {
    return ws.pending || ws.loader.busy() || ws.loader.has_result() || !ws.load_queue.empty();
}

void app_apply_intents(Workspace& ws, const WindowIntentHandler& window) {
    std::vector<Intent> todo;
    if (!ws.waiting_intents.empty() && !app_scene_in_flight(ws)) {
        todo.swap(ws.waiting_intents);
        for (Intent& i : ws.intents) todo.push_back(std::move(i));
        ws.intents.clear();
    } else {
        todo.swap(ws.intents);
    }
    std::optional<std::array<int64_t, 4>> hover = ws.hover;
    bool hover_seen = false;
    for (Intent& i : todo) {
        if ((reads_scene(i) && (!ws.waiting_intents.empty() || app_scene_in_flight(ws))) ||
            (replaces_layer(i) && scene_file_loading(ws))) {
            ws.waiting_intents.push_back(std::move(i));
            continue;
        }
        std::visit(Overloaded{
                       [&](intent::EditLayer& e) {
                           ws.preset_key.clear();  // an edit by hand: no longer the preset's layer
                           app_apply_edit(ws, e.edit);
                       },
                       [&](intent::ApplySetting& e) {
                           ws.preset_key.clear();
                           LayerEdit edit = ws.edit;
                           std::string why;
                           if (apply_setting(edit, e.key, e.value, why))
                               app_apply_edit(ws, edit);
                           else
                               app_set_status(ws, "set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::ApplyPreset& e) { app_preset(ws, e.key); },
                       [&](intent::Seek& e) { ws.step = e.step, ws.step_accumulator = 0; },
                       [&](intent::StepBy& e) { ws.step += e.delta, ws.playing = false; },
                       [&](intent::SeekEnd& e) { ws.step = e.end ? ws.step_count() - 1 : 0, ws.playing = false; },
                       [&](intent::SetGranularity& e) {
                           if (ws.transpose.active)
                               ws.step = ws.transpose.convert_step(ws.step, ws.granularity, e.granularity);
                           else if (ws.cursor)
                               ws.step = ws.cursor->convert_step(ws.step, ws.granularity, e.granularity);
                           ws.granularity = e.granularity;
                       },
                       [&](intent::SetPlaying& e) {
                           ws.playing = e.playing;
                           if (e.playing && ws.step >= ws.step_count() - 1) ws.step = 0;
                           ws.step_accumulator = 0;
                       },
                       [&](intent::SetSpeed& e) { ws.speed = std::clamp(e.steps_per_second, 0.1f, 1e6f); },
                       [&](intent::MoveCursor& e) {
                           const ConvGeometry& g = ws.geo();
                           if (e.n < 0 || e.n >= g.n || e.c_out < 0 || e.c_out >= g.c_out || e.y < 0 ||
                               e.y >= g.out[0] || e.x < 0 || e.x >= g.out[1])
                               return;
                           ws.step = ws.cursor->step_of(e.n, e.c_out, e.y, e.x, ws.granularity);
                           ws.playing = false;
                       },
                       [&](intent::SetAfterSettings& e) { ws.after.settings = e.settings; },
                       [&](intent::DismissCifarError&) { ws.cifar.error.clear(); },
                       [&](intent::SetCifarGreyscale& e) { ws.cifar.greyscale = e.greyscale; },
                       [&](intent::CancelLoad&) { ws.loader.cancel(); },
                       [&](intent::SelectOnnxNode& e) { ws.onnx.selected = e.node; },
                       [&](intent::SetStatus& e) { app_set_status(ws, e.text, e.error); },
                       [&](intent::AnswerOutsidePaths& e) {
                           if (!ws.outside_request) return;
                           LoadRequest again = *ws.outside_request;
                           ws.outside_request.reset();
                           again.allow_outside = true;
                           if (e.load) app_request_load(ws, again);
                       },
                       [&](intent::LessonReveal& e) {
                           if (ws.lesson) ws.lesson->revealed = e.revealed;
                       },
                       [&](intent::SelectOutputChannel& e) {
                           if (e.c_out < 0 || e.c_out >= ws.geo().c_out) return;
                           ws.step = ws.cursor->step_of(ws.cs.n, e.c_out, ws.cs.y, ws.cs.x, ws.granularity);
                       },
                       [&](intent::HoverInput& e) {
                           hover_seen = true;
                           if (e.n < 0)
                               hover.reset();
                           else
                               hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                       },
                       [&](intent::PinHover& e) {
                           const ConvGeometry& g = ws.geo();
                           if (e.n < 0 || e.n >= g.n || e.c < 0 || e.c >= g.c_in || e.y < 0 || e.y >= g.in[0] ||
                               e.x < 0 || e.x >= g.in[1])
                               ws.pinned_hover.reset();
                           else
                               ws.pinned_hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                           hover_seen = true;
                       },
                       [&](intent::Open& e) { app_request_load(ws, e.request); },
                       [&](intent::OpenPath& e) {
                           const auto purpose = purpose_of_path(e.path);
                           if (!purpose) {
                               app_set_status(ws,
                                              file_name(e.path) +
                                                  ": not a file convscope opens (images .png .jpg "
                                                  ".jpeg .bmp, CIFAR .bin/.tar.gz, .npy, .onnx, scene .json)",
                                              true);
                               app_batch_step(ws, ws.status);
                               return;
                           }
                           LoadRequest r;
                           r.purpose = *purpose;
                           r.path = e.path;
                           r.image = ws.image_options;
                           r.cifar_greyscale = ws.cifar.greyscale;
                           // Several files dropped at once (a picture and its weights) open one after another.
                           app_request_load(ws, r);
                       },
                       [&](intent::PickCifar& e) { app_pick_cifar(ws, e.indices, e.greyscale); },
                       [&](intent::SetImageOptions& e) {
                           ws.image_options = e.options;
                           if (ws.image) app_use_image(ws);
                       },
                       [&](intent::UseOnnxNode& e) { app_use_onnx_node(ws, e.node, e.test_input); },
                       [&](intent::SaveScene& e) { app_save_scene(ws, e.path, e.overwrite, e.view); },
                       [&](intent::SetConventions& e) { app_set_conventions(ws, e.conventions, true); },
                       [&](intent::SetLayerKind& e) { app_set_layer_kind(ws, e.transpose); },
                       [&](intent::EditTranspose& e) { app_transpose_edit(ws, e.edit); },
                       [&](intent::TransposeSetting& e) {
                           TransposeEdit edit = ws.transpose.edit;
                           std::string why;
                           if (apply_transpose_setting(edit, e.key, e.value, why))
                               app_transpose_edit(ws, edit);
                           else
                               app_set_status(ws, "transpose_set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::TransposePreset& e) { app_transpose_preset(ws, e.key); },
                       [&](intent::SetTransposeOrder& e) { app_transpose_order(ws, e.order); },
                       [&](intent::MoveTransposeCursor& e) {
                           if (const auto step = ws.transpose.step_of(e.n, e.c, e.y, e.x, ws.granularity)) {
                               ws.step = *step;
                               ws.playing = false;
                           }
                       },
                       // lessons (their steps run script verbs), the UI scale, the Batch vs channel cursor
                       [&](auto&) { window(i); },
                   },
                   i);
    }
    if (hover_seen || ws.pinned_hover) update_hover(ws, hover);
}

// ---- frame update ----

void workspace_begin_frame(Workspace& ws, double dt, bool after_wanted, const WindowIntentHandler& window) {
    app_take_load_result(ws);
    if (auto r = ws.worker.take_result(); r && ws.pending && r->scene->id == ws.pending->id) install(ws, std::move(r));
    app_apply_intents(ws, window);
    if (ws.playing && ws.cursor) {
        ws.step_accumulator += dt * static_cast<double>(ws.speed);
        const auto advance = static_cast<int64_t>(std::floor(ws.step_accumulator));
        ws.step_accumulator -= static_cast<double>(advance);
        ws.step += advance;
        if (ws.step >= ws.step_count() - 1) {
            ws.step = ws.step_count() - 1;
            ws.playing = false;
        }
    }
    refresh_cursor_state(ws);
    app_transpose_refresh(ws);
    update_partials(ws);
    after_update(ws, after_wanted);
    app_update_onnx_diff(ws);
    app_refresh_texts(ws);
}

void app_wait_loads(Workspace& ws, double timeout_seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    do {
        while (ws.loader.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        app_take_load_result(ws);  // applies a result, or starts the next queued load
    } while ((ws.loader.busy() || ws.loader.has_result() || !ws.load_queue.empty()) &&
             std::chrono::steady_clock::now() < until);
}

void app_wait_idle(Workspace& ws, double timeout_seconds, const WindowIntentHandler& window) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    // Intents that waited for a scene may start another (two settings in a row): wait for that one too.
    for (int round = 0; round < 16; ++round) {
        app_wait_loads(ws, std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count());
        while (ws.pending && ws.worker.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (auto r = ws.worker.take_result(); r && ws.pending && r->scene->id == ws.pending->id)
            install(ws, std::move(r));
        if (ws.waiting_intents.empty() || app_scene_in_flight(ws)) break;
        app_apply_intents(ws, window);
        if (!ws.pending || std::chrono::steady_clock::now() >= until) break;
    }
    // the Channel sums' maps of the cursor's output map and the ReLU + pool tab, when they are computed on their jobs
    while ((ws.partials_job.busy() || ws.after.job.busy()) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void app_shutdown(Workspace& ws) {
    ws.loader.cancel();
    ws.pending.reset();
}

// ---- conventions and texts ----

void app_set_conventions(Workspace& ws, Convention c, bool remember) {
    ws.conventions = c;
    if (!remember || ws.settings.conventions == c) return;
    ws.settings.conventions = c;
    if (std::string error; !app_settings_save(ws.settings_dir, ws.settings, error)) app_set_status(ws, error, true);
}

std::string app_code_source(const Workspace& ws) {
    std::string title;
    for (const Preset& p : ws.presets)
        if (p.key == ws.preset_key) title = p.label;  // as scene_file_from_state titles a saved scene
    if (!ws.scene_path.empty()) return code_scene_source(title, ws.scene_path);
    return (title.empty() ? std::string("the layer") : title) + " (convscope window)";
}

void app_refresh_texts(Workspace& ws) {
    if (!ws.scene) return;
    const std::pair<uint64_t, Convention> key{ws.scene->id, ws.conventions};
    if (key != ws.texts_key || ws.texts.layer.empty()) {
        ws.texts = layer_texts(ws.conventions, ws.scene->edit.layer, ws.scene->geo);
        ws.texts_key = key;
    }
}

}  // namespace convscope::workspace
