// Sections: helpers · scene install · edits and presets · intents · frame update · textures
#include "app_state.hpp"

#include "script_grammar.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

#include "conv_reference.hpp"

namespace convscope::gui {

namespace {

constexpr int64_t kSyncMacs = 2'000'000;          // smaller layers are computed on the UI thread
constexpr int64_t kMaxDrawnValues = 16'000'000;   // input, weight or output elements the app will draw
constexpr ImU32 kPalette[] = {IM_COL32(255, 166, 48, 255), IM_COL32(64, 208, 200, 255), IM_COL32(190, 130, 255, 255),
                             IM_COL32(140, 220, 90, 255),  IM_COL32(255, 115, 170, 255), IM_COL32(250, 230, 90, 255)};

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

void refresh_cursor_state(AppState& s) {
    if (!s.cursor || s.transpose.active) return;
    const int64_t count = s.cursor->step_count(s.granularity);
    s.step = std::clamp<int64_t>(s.step, 0, std::max<int64_t>(count - 1, 0));
    s.cursor->state_at(s.step, s.granularity, s.cs);
}

void install(AppState& s, std::shared_ptr<const LayerOutput> out) {
    if (s.transpose.active) app_set_layer_kind(s, false);  // a Conv scene the user asked for: show it
    const bool had_scene = s.scene != nullptr;
    const CursorState old = s.cs;
    s.scene = out->scene;
    s.output = std::move(out);
    if (s.pending && s.pending->id == s.scene->id) s.pending.reset();
    const ConvGeometry& g = s.scene->geo;
    s.cursor.emplace(g, s.scene->x, s.scene->w, s.scene->bias_ptr());
    if (had_scene) {
        s.step = s.cursor->step_of(std::min(old.n, g.n - 1), std::min(old.c_out, g.c_out - 1),
                                   std::min(old.y, g.out[0] - 1), std::min(old.x, g.out[1] - 1), s.granularity);
    } else {
        // First scene: stop in the middle of the last designed filter's map, so the picture shows a window on
        // the image and several finished maps.
        const int64_t c = std::clamp<int64_t>(s.scene->designed_filters - 1, 0, g.c_out - 1);
        s.step = s.cursor->step_of(0, c, g.out[0] / 2, g.out[1] / 2, s.granularity);
    }
    s.hover.reset();
    s.hover_hits.clear();
    if (s.pinned_hover) {
        auto& p = *s.pinned_hover;
        if (p[0] >= g.n || p[1] >= g.c_in || p[2] >= g.in[0] || p[3] >= g.in[1]) s.pinned_hover.reset();
    }
    s.partials_key = {-1, -1, -1};
    s.partials_requested = {-1, -1, -1};
    s.product_key = {-1, -1, -1};
    s.textures_dirty = true;
    if (s.step_on_install && s.step_on_install->first == s.scene->id) {
        s.step = s.step_on_install->second;
        s.step_on_install.reset();
    }
    refresh_cursor_state(s);
}

std::string too_large(const ConvGeometry& g) {
    // shape_numel is -1 when the product overflows int64 (out_channels 2^62): too large as well.
    const Shape weight{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    for (const auto& [what, shape] : {std::pair<const char*, Shape>{"input", g.input_shape()},
                                      {"weight", weight}, {"output", g.output_shape()}}) {
        const int64_t n = shape_numel(shape);
        if (n < 0 || n > kMaxDrawnValues)
            return std::string("Too large to draw: the ") + what + " " + shape_to_string(shape) + " has " +
                   (n < 0 ? std::string("more than 2^63") : std::to_string(n)) +
                   " values. convscope draws up to 16M values per tensor; the layer is valid for PyTorch.";
    }
    return {};
}

void update_hover(AppState& s, std::optional<std::array<int64_t, 4>> h) {
    if (s.pinned_hover) h = s.pinned_hover;
    if (h == s.hover) return;
    s.hover = h;
    s.hover_hits.clear();
    if (h) s.hover_hits = conv_inverse_map(s.geo(), (*h)[1], (*h)[2], (*h)[3]);
}

void install_partials(AppState& s, workspace::PartialMaps r) {
    const ConvGeometry& g = s.geo();
    const int64_t Ho = g.out[0], Wo = g.out[1];
    s.partials = std::move(r.maps);
    s.partials_key = {static_cast<int64_t>(r.scene_id), r.n, r.c_out};
    const int64_t base = (r.n * g.c_out + r.c_out) * Ho * Wo;
    upload_tiles(s.partial_atlas, static_cast<int>(g.c_in_per_group), static_cast<int>(Wo), static_cast<int>(Ho), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < Ho * Wo; ++i) {
                         texels[2 * i] = s.partials[t * Ho * Wo + i];
                         texels[2 * i + 1] = static_cast<float>(base + i);
                     }
                 });
    s.partial_atlas.scale = r.abs_max;
    s.partial_atlas.non_finite = r.non_finite;
}

// The Channel sums panel's maps for the selected output map: small layers at once, larger ones on their own job
// (a 512-channel layer's maps would hold up the frame); the panel says "computing" until they are in.
void update_partials(AppState& s) {
    const std::array<int64_t, 3> key{static_cast<int64_t>(s.scene->id), s.cs.n, s.cs.c_out};
    if (std::optional<workspace::PartialMaps> r = s.partials_job.take_result())
        if (std::array<int64_t, 3>{static_cast<int64_t>(r->scene_id), r->n, r->c_out} == key) install_partials(s, std::move(*r));
    if (key == s.partials_key || key == s.partials_requested) return;
    s.partials_requested = key;
    if (workspace::partial_maps_macs(s.geo()) <= (1 << 21)) {
        s.partials_job.cancel();
        install_partials(s, *workspace::compute_partial_maps(*s.scene, s.cs.n, s.cs.c_out));
        return;
    }
    s.partials_job.start([scene = s.scene, n = s.cs.n, c = s.cs.c_out](const std::atomic<bool>& cancel, std::atomic<float>&) {
        return workspace::compute_partial_maps(*scene, n, c, &cancel);
    });
}

void update_products(AppState& s) {
    const std::array<int64_t, 3> key{static_cast<int64_t>(s.scene->id), s.step, static_cast<int64_t>(s.granularity)};
    if (key == s.product_key) return;
    s.product_key = key;
    const ConvGeometry& g = s.geo();
    const int64_t kk = g.kernel[0] * g.kernel[1];
    float m = 0.0f;
    for (const CursorTap& t : s.cs.taps)
        if (std::isfinite(t.product)) m = std::max(m, std::fabs(t.product));
    upload_tiles(s.product_atlas, static_cast<int>(g.c_in_per_group), static_cast<int>(g.kernel[1]),
                 static_cast<int>(g.kernel[0]), 2, [&](int ci, float* texels) {
                     for (int64_t i = 0; i < kk; ++i) {
                         texels[2 * i] = s.cs.taps[static_cast<size_t>(ci * kk + i)].product;
                         texels[2 * i + 1] = static_cast<float>(ci * kk + i);
                     }
                 });
    s.product_atlas.scale = m;
}

void upload_scene_textures(AppState& s) {
    const Scene& sc = *s.scene;
    const ConvGeometry& g = sc.geo;
    const int64_t H = g.in[0], W = g.in[1];
    const int64_t Hp = H + g.pad_begin[0] + g.pad_end[0], Wp = W + g.pad_begin[1] + g.pad_end[1];
    float lo = 0.0f, hi = 0.0f;
    bool bad = false;
    for (float v : sc.x.data) {
        if (!std::isfinite(v)) {
            bad = true;
            continue;
        }
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    // The padded input: texel (py, px) shows the real element F.pad would put there (0 for zeros padding).
    auto padded = [&](int64_t n, int64_t c, int64_t py, int64_t px, float& value, float& flag) {
        const int64_t iy = py - g.pad_begin[0], ix = px - g.pad_begin[1];
        const int64_t sy = resolve_padded_index(iy, H, g.mode), sx = resolve_padded_index(ix, W, g.mode);
        flag = (iy < 0 || iy >= H || ix < 0 || ix >= W) ? 1.0f : 0.0f;
        value = (sy < 0 || sx < 0) ? 0.0f : sc.x[((n * g.c_in + c) * H + sy) * W + sx];
    };
    upload_tiles(s.input_atlas, static_cast<int>(g.n * g.c_in), static_cast<int>(Wp), static_cast<int>(Hp), 2,
                 [&](int t, float* texels) {
                     const int64_t n = t / g.c_in, c = t % g.c_in;
                     for (int64_t py = 0; py < Hp; ++py)
                         for (int64_t px = 0; px < Wp; ++px) {
                             const int64_t i = py * Wp + px;
                             padded(n, c, py, px, texels[2 * i], texels[2 * i + 1]);
                         }
                 });
    s.input_atlas.lo = lo;
    s.input_atlas.hi = hi;
    s.input_atlas.scale = std::max(std::fabs(lo), std::fabs(hi));
    s.input_atlas.non_finite = bad;
    if (g.dims == 2 && g.c_in == 3) {
        upload_tiles(s.rgb_atlas, static_cast<int>(g.n), static_cast<int>(Wp), static_cast<int>(Hp), 4,
                     [&](int n, float* texels) {
                         for (int64_t py = 0; py < Hp; ++py)
                             for (int64_t px = 0; px < Wp; ++px) {
                                 float* t = texels + 4 * (py * Wp + px);
                                 for (int c = 0; c < 3; ++c) padded(n, c, py, px, t[c], t[3]);
                             }
                     });
    }
    float wmax = 0.0f;
    bool wbad = false;
    for (float v : sc.w.data) {
        if (std::isfinite(v))
            wmax = std::max(wmax, std::fabs(v));
        else
            wbad = true;
    }
    const int64_t kH = g.kernel[0], kW = g.kernel[1];
    upload_tiles(s.filter_atlas, static_cast<int>(g.c_out * g.c_in_per_group), static_cast<int>(kW),
                 static_cast<int>(kH), 2, [&](int t, float* texels) {
                     for (int64_t i = 0; i < kH * kW; ++i) {
                         texels[2 * i] = sc.w[t * kH * kW + i];
                         texels[2 * i + 1] = 0.0f;
                     }
                 });
    s.filter_atlas.scale = wmax;
    s.filter_atlas.non_finite = wbad;
    const int64_t Ho = g.out[0], Wo = g.out[1];
    upload_tiles(s.fmap_atlas, static_cast<int>(g.n * g.c_out), static_cast<int>(Wo), static_cast<int>(Ho), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < Ho * Wo; ++i) {
                         texels[2 * i] = s.output->y[t * Ho * Wo + i];
                         texels[2 * i + 1] = static_cast<float>(t * Ho * Wo + i);
                     }
                 });
    s.fmap_atlas.scale = s.output->abs_max;
    s.fmap_atlas.non_finite = s.output->has_non_finite;
}

}  // namespace

int64_t AppState::revealed_position() const {
    const ConvGeometry& g = scene->geo;
    if (!view.reveal_progressively || g.output_positions() >= (int64_t{1} << 24)) return g.output_positions();
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
    if (!s.scene || macs <= kSyncMacs) {
        s.pending.reset();
        install(s, compute_layer_output(std::move(scene)));
    } else {
        s.pending = scene;
        s.worker.start(std::move(scene));
    }
}

}  // namespace

void app_apply_edit(AppState& s, const LayerEdit& requested) {
    LayerEdit edit = requested;
    if (edit.input.c_follows_layer) edit.input.c = edit.layer.in_channels;
    s.edit = edit;
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) {
        s.edit_error = check.error;
        return;
    }
    const ConvGeometry& g = *check.geometry;
    if (std::string e = too_large(g); !e.empty()) {
        s.edit_error = e;
        return;
    }
    s.edit_error.clear();
    start_scene(s, build_scene(edit, g, &s.latest_scene(), s.next_scene_id++));
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
        error = "the input is " + shape_to_string(data.x->shape) + " but the layer reads " + shape_to_string(g.input_shape());
        return false;
    }
    const Shape wshape{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    if (data.w && data.w->shape != wshape) {
        error = "the weight is " + shape_to_string(data.w->shape) + " but the layer needs " + shape_to_string(wshape);
        return false;
    }
    if (data.w && edit.layer.bias && data.bias.shape != Shape{g.c_out}) {
        error = "the bias is " + shape_to_string(data.bias.shape) + " but the layer needs [" + std::to_string(g.c_out) + "]";
        return false;
    }
    s.edit = edit;
    s.edit_error.clear();
    start_scene(s, build_scene(edit, g, &s.latest_scene(), s.next_scene_id++, &data));
    return true;
}

bool app_preset(AppState& s, const std::string& key) {
    for (const Preset& p : s.presets)
        if (p.key == key) {
            if (!p.scene_file.empty()) {
                LoadRequest r;
                r.purpose = FilePurpose::Scene;
                r.path = p.scene_file;
                app_start_load(s, r);
                return true;
            }
            s.preset_key = key;
            s.scene_path.clear();
            s.scene_path_builtin = false;
            app_set_status(s, "Preset " + p.label, false);
            app_apply_edit(s, p.edit);
            return true;
        }
    return false;
}

void app_init(AppState& s, const std::string& asset_dir) {
    std::string error;
    s.asset_dir = asset_dir;
    if (std::string recent_error; !recent_load(s.settings_dir, s.recent, recent_error)) app_set_status(s, recent_error, true);
    if (std::string settings_error; !app_settings_load(s.settings_dir, s.settings, settings_error))
        app_set_status(s, settings_error, true);
    s.view.conventions = s.settings.conventions;
    s.presets = builtin_presets(asset_dir, error);
    s.lesson_catalogue = lesson_list(asset_dir, s.lesson_catalogue_errors);
    s.notice = error;
    upload_tiles(s.legend_ramp, 1, 256, 1, 1, [](int, float* texels) {
        for (int i = 0; i < 256; ++i) texels[i] = -1.0f + 2.0f * (static_cast<float>(i) + 0.5f) / 256.0f;
    });
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
    return s.pending || s.loader.busy() || s.loader.has_result() || !s.load_queue.empty();
}

void app_apply_intents(AppState& s) {
    std::vector<Intent> todo;
    if (!s.waiting_intents.empty() && !scene_in_flight(s)) {
        todo.swap(s.waiting_intents);
        for (Intent& i : s.intents) todo.push_back(std::move(i));
        s.intents.clear();
    } else {
        todo.swap(s.intents);
    }
    std::optional<std::array<int64_t, 4>> hover = s.hover;
    bool hover_seen = false;
    for (Intent& i : todo) {
        if (reads_scene(i) && (!s.waiting_intents.empty() || scene_in_flight(s))) {
            s.waiting_intents.push_back(std::move(i));
            continue;
        }
        std::visit(Overloaded{
                       [&](intent::EditLayer& e) { app_apply_edit(s, e.edit); },
                       [&](intent::ApplySetting& e) {
                           LayerEdit edit = s.edit;
                           std::string why;
                           if (apply_setting(edit, e.key, e.value, why)) app_apply_edit(s, edit);
                           else app_set_status(s, "set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::ApplyPreset& e) { app_preset(s, e.key); },
                       [&](intent::Seek& e) { s.step = e.step, s.step_accumulator = 0; },
                       [&](intent::StepBy& e) { s.step += e.delta, s.playing = false; },
                       [&](intent::SeekEnd& e) { s.step = e.end ? s.step_count() - 1 : 0, s.playing = false; },
                       [&](intent::SetGranularity& e) {
                           if (s.transpose.active)
                               s.step = s.transpose.convert_step(s.step, s.granularity, e.granularity);
                           else if (s.cursor) s.step = s.cursor->convert_step(s.step, s.granularity, e.granularity);
                           s.granularity = e.granularity;
                       },
                       [&](intent::SetPlaying& e) {
                           s.playing = e.playing;
                           if (e.playing && s.step >= s.step_count() - 1) s.step = 0;
                           s.step_accumulator = 0;
                       },
                       [&](intent::SetSpeed& e) { s.speed = std::clamp(e.steps_per_second, 0.1f, 1e6f); },
                       [&](intent::MoveCursor& e) {
                           const ConvGeometry& g = s.geo();
                           if (e.n < 0 || e.n >= g.n || e.c_out < 0 || e.c_out >= g.c_out || e.y < 0 ||
                               e.y >= g.out[0] || e.x < 0 || e.x >= g.out[1])
                               return;
                           s.step = s.cursor->step_of(e.n, e.c_out, e.y, e.x, s.granularity);
                           s.playing = false;
                       },
                       [&](intent::CompareCursor& e) {
                           CompareUi& c = s.compare;
                           c.open = true;
                           compare_refresh(s);  // the pair, and which side the scene on screen is
                           if (!c.pair) return;
                           c.cursor = workspace::clamp_cursor(*c.pair, {e.image, e.c_out, e.y, e.x});
                           if (c.linked && s.cursor) {
                               const bool batch = *c.linked == workspace::PairSide::Batch;
                               s.step = s.cursor->step_of(batch ? c.cursor.image : 0, c.cursor.c_out, c.cursor.y,
                                                          c.cursor.x, s.granularity);
                               s.playing = false;
                           }
                       },
                       [&](intent::SelectOutputChannel& e) {
                           if (e.c_out < 0 || e.c_out >= s.geo().c_out) return;
                           s.step = s.cursor->step_of(s.cs.n, e.c_out, s.cs.y, s.cs.x, s.granularity);
                       },
                       [&](intent::HoverInput& e) {
                           hover_seen = true;
                           if (e.n < 0)
                               hover.reset();
                           else
                               hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                       },
                       [&](intent::PinHover& e) {
                           const ConvGeometry& g = s.geo();
                           if (e.n < 0 || e.n >= g.n || e.c < 0 || e.c >= g.c_in || e.y < 0 || e.y >= g.in[0] ||
                               e.x < 0 || e.x >= g.in[1])
                               s.pinned_hover.reset();
                           else
                               s.pinned_hover = std::array<int64_t, 4>{e.n, e.c, e.y, e.x};
                           hover_seen = true;
                       },
                       [&](intent::SetUiScale& e) { s.pending_ui_scale = std::clamp(e.scale, 0.75f, 3.0f); },
                       [&](intent::Open& e) { app_start_load(s, e.request); },
                       [&](intent::OpenPath& e) {
                           const auto purpose = purpose_of_path(e.path);
                           if (!purpose) {
                               app_set_status(s, file_name(e.path) + ": not a file convscope opens (images .png .jpg "
                                                 ".jpeg .bmp, CIFAR .bin/.tar.gz, .npy, .onnx, scene .json)", true);
                               app_batch_step(s, s.status);
                               return;
                           }
                           LoadRequest r;
                           r.purpose = *purpose;
                           r.path = e.path;
                           r.image = s.image_options;
                           r.cifar_greyscale = s.cifar.greyscale;
                           // Several files dropped at once (a picture and its weights) open one after another;
                           // starting each at once would cancel the one before.
                           if (s.loader.busy() || s.loader.has_result() || !s.load_queue.empty())
                               s.load_queue.push_back(r);
                           else
                               app_start_load(s, r);
                       },
                       [&](intent::PickCifar& e) { app_pick_cifar(s, e.indices, e.greyscale); },
                       [&](intent::SetImageOptions& e) {
                           s.image_options = e.options;
                           if (s.image) app_use_image(s);
                       },
                       [&](intent::UseOnnxNode& e) { app_use_onnx_node(s, e.node, e.test_input); },
                       [&](intent::SaveScene& e) { app_save_scene(s, e.path, e.overwrite); },
                       [&](intent::SetConventions& e) { app_set_conventions(s, e.conventions, true); },
                       [&](intent::SetLayerKind& e) { app_set_layer_kind(s, e.transpose); },
                       [&](intent::EditTranspose& e) { app_transpose_edit(s, e.edit); },
                       [&](intent::TransposeSetting& e) {
                           TransposeEdit edit = s.transpose.edit;
                           std::string why;
                           if (apply_transpose_setting(edit, e.key, e.value, why)) app_transpose_edit(s, edit);
                           else app_set_status(s, "transpose_set " + e.key + " " + e.value + ": " + why, true);
                       },
                       [&](intent::TransposePreset& e) { app_transpose_preset(s, e.key); },
                       [&](intent::SetTransposeOrder& e) { app_transpose_order(s, e.order); },
                       [&](intent::MoveTransposeCursor& e) {
                           if (const auto step = s.transpose.step_of(e.n, e.c, e.y, e.x, s.granularity)) {
                               s.step = *step;
                               s.playing = false;
                           }
                       },
                   },
                   i);
    }
    if (hover_seen || s.pinned_hover) update_hover(s, hover);
}

// ---- frame update ----

void app_begin_frame(AppState& s, double dt) {
    app_take_load_result(s);
    if (auto r = s.worker.take_result(); r && s.pending && r->scene->id == s.pending->id) install(s, std::move(r));
    app_apply_intents(s);
    if (s.playing && s.cursor) {
        s.step_accumulator += dt * static_cast<double>(s.speed);
        const auto advance = static_cast<int64_t>(std::floor(s.step_accumulator));
        s.step_accumulator -= static_cast<double>(advance);
        s.step += advance;
        if (s.step >= s.step_count() - 1) {
            s.step = s.step_count() - 1;
            s.playing = false;
        }
    }
    refresh_cursor_state(s);
    app_transpose_refresh(s);
    if (s.textures_dirty) {
        upload_scene_textures(s);
        s.textures_dirty = false;
    }
    update_partials(s);
    update_products(s);
    after_update(s);
    app_update_onnx_diff(s);
    app_update_cifar_view(s);
    app_refresh_texts(s);
    compare_refresh(s);
    s.geometry.clear();
}

void app_wait_loads(AppState& s, double timeout_seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    do {
        while (s.loader.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        app_take_load_result(s);  // applies a result, or starts the next queued load
    } while ((s.loader.busy() || s.loader.has_result() || !s.load_queue.empty()) &&
             std::chrono::steady_clock::now() < until);
}

void app_wait_idle(AppState& s, double timeout_seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    // Intents that waited for a scene may start another (two settings in a row): wait for that one too.
    for (int round = 0; round < 16; ++round) {
        app_wait_loads(s, std::chrono::duration<double>(until - std::chrono::steady_clock::now()).count());
        while (s.pending && s.worker.busy() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (auto r = s.worker.take_result(); r && s.pending && r->scene->id == s.pending->id) install(s, std::move(r));
        if (s.waiting_intents.empty() || scene_in_flight(s)) break;
        app_apply_intents(s);
        if (!s.pending || std::chrono::steady_clock::now() >= until) break;
    }
    // the Channel sums' maps of the cursor's output map and the ReLU + pool tab, when they are computed on their jobs
    while ((s.partials_job.busy() || s.after.job.busy()) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void app_shutdown(AppState& s) {
    s.loader.cancel();
    s.pending.reset();
    for (TileAtlas& a : s.cifar.pages) gl_destroy_texture(a.texture);
    for (TileAtlas* a : {&s.input_atlas, &s.rgb_atlas, &s.filter_atlas, &s.fmap_atlas, &s.partial_atlas,
                          &s.product_atlas, &s.legend_ramp, &s.after.atlas})
        gl_destroy_texture(a->texture);
}

}  // namespace convscope::gui
