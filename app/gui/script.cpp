// Sections: the action table · running · dump and screenshot
#include "script.hpp"

#include "export_render.hpp"

#include <imgui_internal.h>  // the windows on screen, for the dump
#include <stb_image_write.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "convention_texts.hpp"
#include "gl_render.hpp"
#include "json_safe.hpp"
#include "platform.hpp"

namespace convscope::gui {

// ---- the action table: what each verb of script_verbs() does in the window ----

namespace {

struct Run {
    AppState& s;
    const ScriptAction& a;
    int& wait_frames;
    std::string error;  // set: the script fails at this line
    int64_t arg_int(size_t i) const {
        int64_t x = 0;
        script_int(a.args[i], x);
        return x;
    }
    float arg_float(size_t i) const {
        float x = 0;
        script_float(a.args[i], x);
        return x;
    }
};
using Action = void (*)(Run&);

void open_action(Run& r, FilePurpose purpose) {
    LoadRequest q;
    q.purpose = purpose;
    q.path = r.a.args[0];
    q.image = r.s.ws.image_options;
    q.cifar_greyscale = r.s.ws.cifar.greyscale;
    r.s.push(intent::Open{q});
}

void lesson_move(Run& r, int delta) {
    if (!r.s.ws.lesson) return void(r.error = "no lesson is open");
    const int to = r.s.ws.lesson->step + delta;
    if (to < 0 || to >= r.s.ws.lesson->steps())
        return void(r.error = std::string(delta > 0 ? "already at the last step" : "already at the first step") + " (" +
                              std::to_string(r.s.ws.lesson->steps()) + " steps)");
    app_lesson_go(r.s, to);
}

// Captures (screenshot, dump) are run by ScriptRunner itself once the picture has settled.
void capture_action(Run&) {}

const std::map<std::string_view, Action>& actions() {
    static const std::map<std::string_view, Action> table = {
        {"set",
         [](Run& r) {
             r.s.push(intent::ApplySetting{r.a.args[0], r.a.args[1]});  // checked by the grammar; applied in order
         }},
        {"keras_same",
         [](Run& r) {
             const std::optional<KerasSame> k = keras_same_pads(r.s.ws.edit);
             if (!k) return void(r.error = "keras_same: the layer is not padding='same' with a stride above 1");
             r.s.push(intent::EditLayer{k->edit});
         }},
        {"preset",
         [](Run& r) {
             const auto& ps = r.s.ws.presets;
             if (std::none_of(ps.begin(), ps.end(), [&](const Preset& p) { return p.key == r.a.args[0]; })) {
                 std::string known;
                 for (const Preset& p : ps) known += (known.empty() ? "" : ", ") + p.key;
                 r.error = "unknown preset '" + r.a.args[0] + "' (known: " + known + ")";
                 return;
             }
             r.s.push(intent::ApplyPreset{r.a.args[0]});
         }},
        {"step", [](Run& r) { r.s.push(intent::StepBy{r.arg_int(0)}); }},
        {"seek", [](Run& r) { r.s.push(intent::Seek{r.arg_int(0)}); }},
        {"start", [](Run& r) { r.s.push(intent::SeekEnd{false}); }},
        {"end", [](Run& r) { r.s.push(intent::SeekEnd{true}); }},
        {"play", [](Run& r) { r.s.push(intent::SetPlaying{true}); }},
        {"pause", [](Run& r) { r.s.push(intent::SetPlaying{false}); }},
        {"speed", [](Run& r) { r.s.push(intent::SetSpeed{r.arg_float(0)}); }},
        {"granularity", [](Run& r) { r.s.push(intent::SetGranularity{*script_granularity(r.a.args[0])}); }},
        {"cursor",
         [](Run& r) {
             const ConvGeometry& g = r.s.ws.latest_scene().geo;
             int64_t n = r.arg_int(0), c = r.arg_int(1), y = 0, x = 0;
             if (r.a.args.size() == 4)
                 y = r.arg_int(2), x = r.arg_int(3);
             else
                 x = r.arg_int(2);
             if (r.s.ws.loader.busy() || !r.s.ws.load_queue.empty()) {  // the scene it is meant for is still loading
                 r.s.push(intent::MoveCursor{n, c, y, x});
                 return;
             }
             if (n < 0 || n >= g.n || c < 0 || c >= g.c_out || y < 0 || y >= g.out[0] || x < 0 || x >= g.out[1]) {
                 r.error = "output position outside " + shape_to_string(g.output_shape());
                 return;
             }
             r.s.push(intent::MoveCursor{n, c, y, x});
         }},
        {"select", [](Run& r) { r.s.push(intent::SelectOutputChannel{r.arg_int(0)}); }},
        {"hover",
         [](Run& r) {
             if (r.a.args[0] == "off") {
                 r.s.push(intent::PinHover{-1, 0, 0, 0});
                 return;
             }
             const bool with_n = r.a.args.size() == 4;
             const int64_t n = with_n ? r.arg_int(0) : r.s.ws.cs.n;
             const size_t o = with_n ? 1 : 0;
             const ConvGeometry& g = r.s.ws.latest_scene().geo;
             const int64_t c = r.arg_int(o), y = r.arg_int(o + 1), x = r.arg_int(o + 2);
             if (n < 0 || n >= g.n || c < 0 || c >= g.c_in || y < 0 || y >= g.in[0] || x < 0 || x >= g.in[1]) {
                 r.error = "input pixel outside " + shape_to_string(g.input_shape());
                 return;
             }
             r.s.push(intent::PinHover{n, c, y, x});
         }},
        {"zoom",
         [](Run& r) {
             ViewSettings& v = r.s.view;
             const std::string& what = r.a.args[0];
             float& target = what == "input" ? v.input_zoom : what == "fmap" ? v.fmap_zoom : v.filter_zoom;
             target = std::max(r.arg_float(1), 0.0f);
         }},
        {"reveal", [](Run& r) { r.s.view.reveal_progressively = r.a.args[0] == "on"; }},
        {"ui_scale",
         [](Run& r) {
             r.s.view.ui_scale = r.arg_float(0);
             r.s.push(intent::SetUiScale{r.arg_float(0)});
         }},
        {"after",
         [](Run& r) {
             const auto& args = r.a.args;
             if (args[0] == "show" || args[0] == "hide") {
                 r.s.view.after_show_request = args[0] == "show";
                 return;
             }
             // on top of a change asked for earlier in the same frame
             AfterSettings set = r.s.ws.after.settings;
             for (const Intent& i : r.s.ws.intents)
                 if (const auto* e = std::get_if<intent::SetAfterSettings>(&i)) set = e->settings;
             if (args[0] == "relu") {
                 set.relu = args[1] == "on";
             } else if (args[1] == "none") {
                 set.pool = AfterPool::None;
             } else {
                 set.pool = args[1] == "max" ? AfterPool::Max : AfterPool::Avg;
                 set.kernel = static_cast<int>(r.arg_int(2));
                 set.stride = static_cast<int>(r.arg_int(3));
             }
             r.s.push(intent::SetAfterSettings{set});
         }},
        {"mouse",
         [](Run& r) {
             if (r.a.args[0] == "off")
                 platform_release_mouse();
             else
                 platform_hold_mouse(r.arg_float(0), r.arg_float(1));
         }},
        {"click",
         [](Run& r) {
             platform_click_mouse(r.arg_float(0), r.arg_float(1));
             r.wait_frames = 2;  // the press and the release happen in the next two frames
         }},
        {"drop",
         [](Run& r) {
             platform_inject_drop(r.a.args);
             r.wait_frames = 1;  // the main loop takes the drop in this frame; the next action waits for the loads
         }},
        {"frames", [](Run& r) { r.wait_frames = static_cast<int>(std::max<int64_t>(r.arg_int(0) - 1, 0)); }},
        {"wait", [](Run& r) { app_wait_idle(r.s, 60.0); }},
        {"screenshot", capture_action},
        {"dump", capture_action},
        {"expect_error",
         [](Run& r) {
             const std::string want = script_join(r.a.args);
             const std::string& got = r.s.ws.transpose.active ? r.s.ws.transpose.error : r.s.ws.edit_error;
             if (got.empty())
                 r.error = "expected an error, but the layer is valid";
             else if (!want.empty() && got.find(want) == std::string::npos)
                 r.error = "expected an error containing '" + want + "', got: " + got;
         }},
        {"expect_ok",
         [](Run& r) {
             const std::string& got = r.s.ws.transpose.active ? r.s.ws.transpose.error : r.s.ws.edit_error;
             if (!got.empty()) r.error = "expected a valid layer, got: " + got;
         }},
        {"expect_status",
         [](Run& r) {
             const std::string want = script_join(r.a.args);
             if (r.s.ws.status.find(want) == std::string::npos)
                 r.error = "expected a status containing '" + want + "', got: " + r.s.ws.status;
         }},
        {"open_image", [](Run& r) { open_action(r, FilePurpose::Image); }},
        {"open_cifar", [](Run& r) { open_action(r, FilePurpose::Cifar); }},
        {"open_scene", [](Run& r) { open_action(r, FilePurpose::Scene); }},
        {"open_onnx", [](Run& r) { open_action(r, FilePurpose::Onnx); }},
        {"pick",
         [](Run& r) {
             std::vector<int64_t> list;
             script_index_list(r.a.args[0], list);
             r.s.push(intent::PickCifar{list, r.s.ws.cifar.greyscale});
         }},
        {"load_weights",
         [](Run& r) {
             LoadRequest q;
             q.purpose = FilePurpose::Weights;
             q.path = r.a.args[0];
             for (size_t i = 1; i < r.a.args.size(); ++i) {
                 if (r.a.args[i] == "keras")
                     q.layout = WeightLayout::Keras;
                 else if (r.a.args[i] == "pytorch")
                     q.layout = WeightLayout::PyTorch;
                 else
                     q.bias_path = r.a.args[i];
             }
             r.s.push(intent::Open{q});
         }},
        {"save_scene",
         [](Run& r) {
             r.s.push(intent::SaveScene{r.a.args[0], r.a.args.size() == 2, scene_view_of(r.s.view)});
         }},
        {"use_onnx",
         [](Run& r) {
             r.s.push(intent::UseOnnxNode{static_cast<int>(r.arg_int(0)), r.a.args.size() == 2});
         }},
        {"window",
         [](Run& r) {
             const bool on = r.a.args[1] == "on";
             const std::string& w = r.a.args[0];
             if (w == "browser") {
                 if (on) app_open_browser(r.s.view, r.s.ws, FilePurpose::Weights);
             } else {
                 (w == "cifar" ? r.s.view.show_cifar : w == "data" ? r.s.view.show_data : r.s.view.show_lessons) = on;
             }
         }},
        {"export",
         [](Run& r) {
             app_wait_idle(r.s, 60.0);
             run_export(r.s, export_request_from_script(r.a.args), export_panel_drawer(r.s), r.error);
         }},
        {"export_dialog",
         [](Run& r) {
             if (!r.s.view.export_ui) r.s.view.export_ui = std::make_shared<ExportUi>();
             ExportUi& ui = *r.s.view.export_ui;
             if (r.a.args[0] == "off") {
                 ui.close_dialog = true;
                 return;
             }
             export_ui_from_request(ui, export_request_from_script(r.a.args));
             ui.open_export = true;
         }},
        {"export_tensors",
         [](Run& r) {
             app_wait_idle(r.s, 60.0);
             export_scene_tensors(r.s.ws, r.a.args[0], r.a.args.size() > 1, r.error);
         }},
        {"lesson",
         [](Run& r) {
             if (!app_start_lesson(r.s, r.a.args[0])) r.error = r.s.ws.status;
         }},
        {"lesson_next", [](Run& r) { lesson_move(r, +1); }},
        {"lesson_back", [](Run& r) { lesson_move(r, -1); }},
        {"lesson_goto",
         [](Run& r) {
             if (!r.s.ws.lesson) return void(r.error = "no lesson is open");
             const int64_t step = r.arg_int(0);
             if (step > r.s.ws.lesson->steps())
                 return void(r.error = "the lesson has " + std::to_string(r.s.ws.lesson->steps()) + " steps");
             app_lesson_go(r.s, static_cast<int>(step - 1));
         }},
        {"lesson_resume",
         [](Run& r) {
             if (!r.s.ws.lesson) return void(r.error = "no lesson is open");
             app_lesson_go(r.s, r.s.ws.lesson->step);
         }},
        {"lesson_answer",
         [](Run& r) {
             if (!r.s.ws.lesson) return void(r.error = "no lesson is open");
             if (!r.s.ws.lesson->current().question) return void(r.error = "this lesson step asks no question");
             app_wait_idle(r.s, 60.0);  // the answer is checked against the step's own scene
             app_lesson_answer(r.s, script_join(r.a.args));
         }},
        {"lesson_reveal",
         [](Run& r) {
             if (!r.s.ws.lesson) return void(r.error = "no lesson is open");
             r.s.push(intent::LessonReveal{true});
         }},
        {"lesson_close", [](Run& r) { app_lesson_close(r.s); }},
        {"conventions", [](Run& r) { r.s.push(intent::SetConventions{*convention_from_key(r.a.args[0])}); }},
        {"code_panel",
         [](Run& r) {
             r.s.view.code.open = r.a.args[0] != "off";
             if (r.s.view.code.open) r.s.view.code.framework = *parse_code_framework(r.a.args[0]);
         }},
        {"im2col_panel", [](Run& r) { r.s.view.im2col.open = r.a.args[0] == "on"; }},
        {"compare", [](Run& r) { r.s.view.compare.open = r.a.args[0] == "on"; }},
        {"layouts", [](Run& r) { r.s.view.layouts.open = r.a.args[0] == "on"; }},
        {"layouts_pin",
         [](Run& r) {
             LayoutsUi& u = r.s.view.layouts;
             if (r.a.args[0] == "off") {
                 u.pinned.reset();
                 return;
             }
             u.open = true;
             u.pinned = workspace::WeightIndex{r.arg_int(0), r.arg_int(1), r.arg_int(2), r.arg_int(3)};
             u.filter = u.pinned->o;  // show the pinned element's filter
         }},
        {"compare_cursor",
         [](Run& r) {
             r.s.push(intent::CompareCursor{r.arg_int(0), r.arg_int(1), r.arg_int(2), r.arg_int(3)});
         }},
        {"compare_pin",
         [](Run& r) {
             if (r.a.args[0] == "off")
                 r.s.view.compare.pin.reset();
             else
                 r.s.view.compare.pin = std::array<int64_t, 3>{r.arg_int(0), r.arg_int(1), r.arg_int(2)};
         }},
        {"layer_kind", [](Run& r) { r.s.push(intent::SetLayerKind{r.a.args[0] == "transpose"}); }},
        {"transpose_preset", [](Run& r) { r.s.push(intent::TransposePreset{r.a.args[0]}); }},
        {"transpose_set",
         [](Run& r) {
             r.s.push(intent::TransposeSetting{r.a.args[0], r.a.args[1]});
         }},
        {"transpose_order",
         [](Run& r) {
             r.s.push(
                 intent::SetTransposeOrder{r.a.args[0] == "gather" ? TransposeOrder::Gather : TransposeOrder::Scatter});
         }},
        {"transpose_cursor",
         [](Run& r) {
             int64_t n = r.arg_int(0), c = r.arg_int(1), y = 0, x = 0;
             if (r.a.args.size() == 4)
                 y = r.arg_int(2), x = r.arg_int(3);
             else
                 x = r.arg_int(2);
             app_apply_intents(r.s);  // a kind, preset or order asked for just before decides what the indices name
             if (!r.s.ws.transpose.active)
                 return void(r.error = "transpose_cursor: the layer kind is Conv (layer_kind transpose)");
             if (!r.s.ws.transpose.step_of(n, c, y, x, r.s.ws.granularity))
                 return void(r.error = std::string("transpose_cursor: no such ") +
                                       (r.s.ws.transpose.order == TransposeOrder::Scatter ? "input element"
                                                                                          : "output element"));
             r.s.push(intent::MoveTransposeCursor{n, c, y, x});
         }},
        {"contributions", [](Run& r) { r.s.view.transpose_contributions = r.a.args[0] == "on"; }},
    };
    return table;
}

}  // namespace

std::string script_actions_missing() {
    std::string missing;
    for (const VerbSpec& v : script_verbs())
        if (!actions().count(v.name)) missing += (missing.empty() ? "" : ", ") + std::string(v.name);
    for (const auto& [name, _] : actions())
        if (!find_verb(name)) missing += (missing.empty() ? "" : ", ") + std::string(name) + " (not in the grammar)";
    return missing;
}

bool run_script_action(AppState& s, const ScriptAction& a, std::string& error) {
    int wait_frames = 0;
    Run run{s, a, wait_frames, {}};
    actions().at(a.verb)(run);
    error = run.error;
    return error.empty();
}

// ---- running ----

void ScriptRunner::fail(const ScriptAction& a, const std::string& why) {
    std::fprintf(stderr, "script line %d (%s): %s\n", a.line, a.verb.c_str(), why.c_str());
    failed_ = true;
}

void ScriptRunner::before_frame(AppState& s) {
    if (finished()) return;
    if (wait_frames_ > 0) {
        --wait_frames_;
        return;
    }
    if (capture_) {
        if (settle_ > 0) --settle_;
        return;
    }
    const ScriptAction& a = actions_[index_];
    app_wait_loads(s.ws, 120.0);  // every action sees the result of an open_* before it
    if (a.verb == "screenshot" || a.verb == "dump") {
        app_wait_idle(s, 60.0);
        capture_ = true;
        settle_ = 2;
        return;
    }
    ++index_;
    Run run{s, a, wait_frames_, {}};
    actions().at(a.verb)(run);
    if (!run.error.empty()) fail(a, run.error);
}

void ScriptRunner::after_render(AppState& s, int width, int height) {
    if (!capture_ || settle_ > 0 || failed_) return;
    const ScriptAction& a = actions_[index_];
    std::string error;
    const bool ok = a.verb == "screenshot" ? write_screenshot(a.args[0], width, height, error)
                                           : write_dump(s, a.args[0], width, height, error);
    capture_ = false;
    ++index_;
    if (!ok) fail(a, error);
}

// ---- dump and screenshot ----

bool write_screenshot(const std::string& path, int width, int height, std::string& error) {
    const std::vector<uint8_t> rgb = gl_read_back_buffer(width, height);
    if (!stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3)) {
        error = "could not write " + path;
        return false;
    }
    return true;
}

namespace {

nlohmann::json hidden_names(const std::vector<Fact>& facts) {
    nlohmann::json a = nlohmann::json::array();
    for (Fact f : facts) a.push_back(lesson_fact_name(f));
    return a;
}

// The transposed-convolution view: its layer, the state at the cursor, the canvas and where the grids were drawn.
nlohmann::json transpose_dump(const AppState& s) {
    using nlohmann::json;
    const TransposeSession& t = s.ws.transpose;
    if (!t.scene) return nullptr;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    auto grids = [](const std::vector<GridRect>& rs) {
        json a = json::array();
        for (const GridRect& r : rs)
            a.push_back({{"n", r.n},
                         {"c", r.c},
                         {"origin", {r.origin.x, r.origin.y}},
                         {"cell", r.cell},
                         {"rows", r.rows},
                         {"cols", r.cols}});
        return a;
    };
    json j = {{"active", t.active},
              {"order", transpose_order_name(t.order)},
              {"preset", t.preset_key},
              {"error", t.error},
              {"layer", transpose_layer_python_text(sc.edit.layer)},
              {"data", transpose_data_name(sc.edit.data)},
              {"input_shape", sc.x.shape},
              {"output_shape", sc.y.shape},
              {"weight_shape", sc.w.shape},
              {"stride", g.stride},
              {"padding", g.padding},
              {"output_padding", g.output_padding},
              {"dilation", g.dilation},
              {"groups", g.groups},
              {"step", t.step},
              {"steps", t.step_count(t.granularity)},
              {"granularity", t.granularity == Granularity::Position  ? "position"
                              : t.granularity == Granularity::Channel ? "channel"
                                                                      : "mac"},
              {"position_text", t.position_text()},
              {"x", sc.x.data},
              {"w", sc.w.data},
              {"bias", sc.bias.data},
              {"y", sc.y.data},
              {"canvas", t.canvas.data},
              {"contributions", sc.contributions},
              {"input_grids", grids(s.geometry.transpose_input)},
              {"output_grids", grids(s.geometry.transpose_output)},
              {"zero_inserted_grids", grids(s.geometry.transpose_zero_inserted)}};
    if (t.order == TransposeOrder::Scatter) {
        const ScatterState& st = t.scatter;
        json taps = json::array();
        for (const ScatterTap& tap : st.taps)
            taps.push_back({{"co", tap.co},
                            {"ky", tap.ky},
                            {"kx", tap.kx},
                            {"oy", tap.oy},
                            {"ox", tap.ox},
                            {"cropped", tap.cropped},
                            {"weight", tap.weight},
                            {"product", tap.product},
                            {"before", tap.before},
                            {"after", tap.after}});
        j["scatter"] = {{"n", st.n},         {"c_in", st.c_in},   {"iy", st.iy},     {"ix", st.ix},
                        {"input", st.input}, {"group", st.group}, {"co", st.co},     {"ky", st.ky},
                        {"kx", st.kx},       {"mac", st.mac},     {"macs", st.macs}, {"taps", taps}};
    } else {
        const GatherState& st = t.gather;
        json taps = json::array();
        for (const GatherTap& tap : st.taps)
            taps.push_back({{"fky", tap.fky},
                            {"fkx", tap.fkx},
                            {"ky", tap.ky},
                            {"kx", tap.kx},
                            {"zy", tap.zy},
                            {"zx", tap.zx},
                            {"kind", gather_tap_kind_name(tap.kind)},
                            {"iy", tap.iy},
                            {"ix", tap.ix},
                            {"input", tap.input},
                            {"weight", tap.weight},
                            {"product", tap.product}});
        json channels = json::array();
        for (const CursorChannel& c : st.channels) channels.push_back({{"c_in", c.c_in}, {"sum", c.sum}});
        j["gather"] = {{"n", st.n},
                       {"c_out", st.c_out},
                       {"y", st.y},
                       {"x", st.x},
                       {"mac", st.mac},
                       {"macs", st.macs},
                       {"contributing", st.contributing},
                       {"bias", st.bias},
                       {"value", st.value},
                       {"channels", channels},
                       {"taps", taps},
                       {"revealed", t.revealed_position()},
                       {"pad_begin", {g.gather_pad_begin(0), g.gather_pad_begin(1)}},
                       {"zero_inserted", {g.zero_inserted(0), g.zero_inserted(1)}}};
    }
    return j;
}

}  // namespace

bool write_dump(const AppState& s, const std::string& path, int width, int height, std::string& error) {
    using nlohmann::json;
    const ConvGeometry& g = s.ws.geo();
    const CursorState& c = s.ws.cs;
    auto rect = [](ImVec2 a, ImVec2 b) { return json::array({a.x, a.y, b.x, b.y}); };
    json j;
    j["window"] = {{"width", width}, {"height", height}};
    j["error"] = s.ws.edit_error;
    j["status"] = s.ws.status;
    j["status_error"] = s.ws.status_error;
    j["menu_height"] = s.geometry.menu_height;
    j["scene_path"] = s.ws.scene_path;
    j["input_kind"] = s.ws.scene->image_kind;
    j["onnx_max_diff"] = s.ws.onnx.max_diff ? json(*s.ws.onnx.max_diff) : json(nullptr);
    j["weights_info"] = s.ws.weights_info.text;
    j["error_rect"] =
        s.geometry.error_text ? rect(s.geometry.error_text->min, s.geometry.error_text->max) : json(nullptr);
    j["layer"] = layer_python_text(s.ws.scene->edit.layer);
    j["input_shape"] = input_shape(s.ws.scene->edit);
    j["output_shape"] = g.output_shape_torch();
    j["geometry"] = {{"dims", g.dims},
                     {"n", g.n},
                     {"c_in", g.c_in},
                     {"c_out", g.c_out},
                     {"groups", g.groups},
                     {"in", g.in},
                     {"out", g.out},
                     {"kernel", g.kernel},
                     {"stride", g.stride},
                     {"dilation", g.dilation},
                     {"pad_begin", g.pad_begin},
                     {"pad_end", g.pad_end},
                     {"padding_mode", padding_mode_name(g.mode)}};
    json channels = json::array();
    for (const CursorChannel& ch : c.channels) channels.push_back({{"c_in", ch.c_in}, {"sum", ch.sum}});
    j["cursor"] = {{"step", s.ws.step},
                   {"step_count", s.ws.step_count()},
                   {"granularity", granularity_name(s.ws.granularity)},
                   {"n", c.n},
                   {"c_out", c.c_out},
                   {"y", c.y},
                   {"x", c.x},
                   {"ci", c.ci},
                   {"ky", c.ky},
                   {"kx", c.kx},
                   {"mac", c.mac},
                   {"macs", c.macs},
                   {"accumulator", c.accumulator},
                   {"bias", c.bias},
                   {"value", c.value},
                   {"channels", channels},
                   {"position_complete", c.position_complete()}};
    const int64_t Ho = g.out[0], Wo = g.out[1];
    const int64_t base = (c.n * g.c_out + c.c_out) * Ho * Wo;
    j["output_at_cursor"] = s.ws.output->y[base + c.y * Wo + c.x];
    json map = json::array();
    for (int64_t y = 0; y < Ho; ++y) {
        json row = json::array();
        for (int64_t x = 0; x < Wo; ++x) row.push_back(s.ws.output->y[base + y * Wo + x]);
        map.push_back(row);
    }
    j["current_map"] = map;  // y[n, c_out] of the cursor, from the full-layer output
    j["revealed_position"] = s.revealed_position();
    j["fmap_scale"] = s.gpu.fmap_atlas.scale;
    j["input_range"] = {s.gpu.input_atlas.lo, s.gpu.input_atlas.hi};
    auto grids = [](const std::vector<GridRect>& v) {
        json a = json::array();
        for (const GridRect& r : v)
            a.push_back({{"n", r.n},
                         {"c", r.c},
                         {"x0", r.origin.x},
                         {"y0", r.origin.y},
                         {"cell", r.cell},
                         {"rows", r.rows},
                         {"cols", r.cols}});
        return a;
    };
    j["input_pixels"] = grids(s.geometry.input_pixels);
    j["input_rgb"] = grids(s.geometry.input_rgb);
    j["fmap_pixels"] = grids(s.geometry.fmap_pixels);
    json outline = json::array();
    for (const OutlineRect& r : s.geometry.window)
        outline.push_back({{"n", r.n}, {"c", r.c}, {"rect", rect(r.min, r.max)}});
    j["window_outline"] = outline;
    j["hover"] = s.ws.hover ? json(*s.ws.hover) : json(nullptr);
    j["hover_hits"] = s.ws.hover_hits.size();
    j["designed_filters"] = s.ws.scene->filter_names;
    {
        const workspace::AfterResult& a = s.ws.after.result;
        json pooled = json::array();
        if (a.source == s.ws.output && !a.out.data.empty()) {
            const int64_t pbase = (c.n * g.c_out + c.c_out) * a.out_h * a.out_w;
            for (int64_t y = 0; y < a.out_h; ++y) {
                json row = json::array();
                for (int64_t x = 0; x < a.out_w; ++x) row.push_back(a.out[pbase + y * a.out_w + x]);
                pooled.push_back(row);
            }
        }
        j["after"] = {{"shown", s.view.after_shown},
                      {"current", a.source == s.ws.output},  // computed for the output on screen
                      {"layers", after_layers_text(a.settings, g.dims)},
                      {"error", a.error},
                      {"shape", a.pool ? a.pool->output_shape_torch() : g.output_shape_torch()},
                      {"current_map", pooled},  // the cursor's (n, c_out) map after ReLU and pooling
                      {"scale", std::max(s.gpu.fmap_atlas.scale, a.abs_max)},
                      {"pixels", grids(s.geometry.after_pixels)},
                      {"hover", s.geometry.after_hover ? json(*s.geometry.after_hover) : json(nullptr)}};
    }
    if (s.ws.lesson) {
        const LessonRun& run = *s.ws.lesson;
        const LessonStep& st = run.current();
        const LessonContext ctx = app_lesson_context(s.ws, s.view);
        const LessonContext shown = app_lesson_shown_context(s.ws, s.view);  // as the Lesson panel has it
        json q = nullptr;
        if (st.question)
            q = {{"ask", lesson_fill(st.question->ask, shown)},
                 {"answer_given", run.answer},
                 {"correct", run.correct ? json(*run.correct) : json(nullptr)},
                 {"revealed", run.revealed},
                 {"expected", lesson_fill(st.question->answer, ctx)},
                 {"hint", lesson_fill(st.question->hint, shown)},
                 {"reveal", lesson_fill(st.question->reveal, ctx)}};
        json values = json::object();  // every placeholder the step uses, filled in (tests compare them with PyTorch)
        std::vector<std::string> templates{st.title, st.text};
        if (st.question)
            templates.insert(templates.end(),
                             {st.question->ask, st.question->answer, st.question->hint, st.question->reveal});
        for (const std::string& t : templates)
            for (const std::string& name : lesson_placeholders(t)) values[name] = lesson_fill("{" + name + "}", ctx);
        j["lesson"] = {{"id", run.lesson.id},
                       {"step", run.step + 1},
                       {"values", values},
                       {"lesson_title", run.lesson.title},
                       {"steps", run.steps()},
                       {"title", lesson_fill(st.title, shown)},
                       {"text", lesson_fill(st.text, shown)},
                       {"question", q},
                       {"concealed", hidden_names(app_hidden_facts(s.ws))},
                       {"highlights", st.highlights}};
    } else {
        j["lesson"] = nullptr;
    }
    json highlights = json::array();
    for (const auto& h : s.geometry.highlights)
        highlights.push_back({{"panel", h.panel}, {"rect", rect(h.min, h.max)}});
    j["highlight_rects"] = highlights;
    json lines = json::array();
    for (const auto& l : s.geometry.lesson_lines) lines.push_back({{"text", l.text}, {"rect", rect(l.min, l.max)}});
    j["lesson_lines"] = lines;
    j["lesson_panel"] =
        s.geometry.lesson_panel ? rect(s.geometry.lesson_panel->min, s.geometry.lesson_panel->max) : json(nullptr);
    j["preset"] = s.ws.preset_key;
    j["edit_layer"] = layer_python_text(s.ws.edit.layer);  // the layer as edited (may be invalid: see "error")
    j["edit_input_shape"] = input_shape(s.ws.edit);
    j["input_name"] = s.ws.scene->edit.input.picture;
    {
        const LayerTexts& t = s.ws.texts;
        j["conventions"] = {{"name", convention_name(s.ws.conventions)},
                            {"remembered", convention_key(s.ws.settings.conventions)},
                            {"layer", t.layer},
                            {"input_shape", t.input_shape},
                            {"output_shape", t.output_shape},
                            {"weight_shape", t.weight_shape},
                            {"bias_shape", t.bias_shape},
                            {"input_axes", t.input_axes},
                            {"weight_axes", t.weight_axes},
                            {"parameter_formula", t.parameter_formula},
                            {"written", s.geometry.written}};  // panel -> the convention-dependent lines it drew
        const CodeView& v = s.view.code;
        j["code"] = {{"open", v.open},
                     {"framework", v.made_for ? json(code_framework_key(v.made_for->framework)) : json(nullptr)},
                     {"source", v.source},
                     {"text", v.text},
                     {"error", v.error},
                     {"generated", v.generated}};
    }
    j["im2col"] = im2col_dump(s);
    j["compare"] = compare_dump(s);
    j["layouts"] = layouts_dump(s);
    j["export_dialog"] = export_dialog_dump(s);
    j["transpose"] = transpose_dump(s);
    // The top-level windows on screen, back to front, and whether each drew its background (begin_panel leaves it
    // out where no other window overlaps).
    json windows = json::array();
    for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
        if (!(w->Active || w->WasActive) || w->Hidden) continue;
        if (w->Flags & (ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Tooltip)) continue;
        windows.push_back({{"name", w->Name},
                           {"rect", {w->Pos.x, w->Pos.y, w->Pos.x + w->Size.x, w->Pos.y + w->Size.y}},
                           {"background", !(w->Flags & ImGuiWindowFlags_NoBackground)}});
    }
    j["windows"] = windows;
    std::ofstream f(path);
    if (!f) {
        error = "could not write " + path;
        return false;
    }
    f << json_dump_safe(j, 1) << "\n";  // status lines may hold raw bytes from a file: escaped, never thrown
    return static_cast<bool>(f);
}

}  // namespace convscope::gui
