// Sections: parsing · settings · running · dump and screenshot
#include "script.hpp"

#include "export_render.hpp"

#include <nlohmann/json.hpp>
#include <stb_image_write.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "gl_render.hpp"
#include "json_safe.hpp"
#include "platform.hpp"

namespace convscope::gui {

namespace {

bool to_int(const std::string& t, int64_t& v);

// verb -> (min args, max args)
const std::map<std::string, std::pair<size_t, size_t>> kVerbs = {
    {"set", {2, 2}},        {"preset", {1, 1}},   {"step", {1, 1}},        {"seek", {1, 1}},
    {"start", {0, 0}},      {"end", {0, 0}},      {"play", {0, 0}},        {"pause", {0, 0}},
    {"speed", {1, 1}},      {"granularity", {1, 1}}, {"cursor", {3, 4}},   {"select", {1, 1}},
    {"hover", {1, 4}},      {"zoom", {2, 2}},     {"reveal", {1, 1}},      {"ui_scale", {1, 1}},
    {"frames", {1, 1}},     {"wait", {0, 0}},     {"screenshot", {1, 1}},  {"dump", {1, 1}},
    {"expect_error", {0, 64}}, {"expect_ok", {0, 0}},
    {"open_image", {1, 1}},  {"open_cifar", {1, 1}}, {"pick", {1, 1}},       {"load_weights", {1, 3}},
    {"save_scene", {1, 2}},  {"open_scene", {1, 1}}, {"open_onnx", {1, 1}},  {"use_onnx", {1, 2}},
    {"expect_status", {0, 64}}, {"window", {2, 2}}, {"after", {1, 4}}, {"mouse", {1, 2}}, {"click", {2, 2}}, {"drop", {1, 8}},
    {"export", {1, 24}},     {"export_tensors", {1, 2}},
};

bool index_list(const std::string& t, std::vector<int64_t>& out) {
    out.clear();
    std::stringstream ss(t);
    std::string part;
    while (std::getline(ss, part, ',')) {
        int64_t v = 0;
        if (!to_int(part, v) || v < 0) return false;
        out.push_back(v);
    }
    return !out.empty() && out.size() <= 64;
}

bool to_int(const std::string& t, int64_t& v) {
    const char* b = t.data();
    const char* e = b + t.size();
    if (b != e && *b == '+') ++b;
    auto r = std::from_chars(b, e, v);
    return r.ec == std::errc() && r.ptr == e;
}

bool to_float(const std::string& t, float& v) {
    try {
        size_t used = 0;
        v = std::stof(t, &used);
        return used == t.size();
    } catch (...) {
        return false;
    }
}

bool int_list(const std::string& t, std::vector<int64_t>& out) {
    out.clear();
    std::string s = t;
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '(' || c == ')' || c == '[' || c == ']' || c == ' '; }), s.end());
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) {
        int64_t v = 0;
        if (!to_int(part, v)) return false;
        out.push_back(v);
    }
    return !out.empty() && out.size() <= 2;
}

std::optional<Granularity> parse_granularity(const std::string& t) {
    if (t == "position") return Granularity::Position;
    if (t == "channel") return Granularity::Channel;
    if (t == "mac" || t == "MAC") return Granularity::Mac;
    return std::nullopt;
}

bool check_args(const ScriptAction& a, std::string& why) {
    auto ints = [&](size_t from) {
        for (size_t i = from; i < a.args.size(); ++i) {
            int64_t v = 0;
            if (!to_int(a.args[i], v)) {
                why = "'" + a.args[i] + "' is not an integer";
                return false;
            }
        }
        return true;
    };
    const std::string& v = a.verb;
    if (v == "export") {
        try {
            export_request_from_script(a.args);
        } catch (const std::exception& e) {
            why = e.what();
            return false;
        }
        return true;
    }
    if (v == "export_tensors" && a.args.size() == 2 && a.args[1] != "force") {
        why = "export_tensors DIR [force]: the second word can only be 'force'";
        return false;
    }
    if (v == "set") {
        LayerEdit probe = default_edit();
        return apply_setting(probe, a.args[0], a.args[1], why);
    }
    if (v == "step" || v == "seek" || v == "cursor" || v == "select" || v == "frames") return ints(0);
    if (v == "granularity" && !parse_granularity(a.args[0])) {
        why = "granularity is position, channel or mac";
        return false;
    }
    if (v == "hover") {
        if (a.args.size() == 1 && a.args[0] == "off") return true;
        if (a.args.size() < 3) {
            why = "hover takes 'c y x', 'n c y x' or 'off'";
            return false;
        }
        return ints(0);
    }
    if (v == "speed" || v == "ui_scale") {
        float f = 0;
        if (!to_float(a.args[0], f)) {
            why = "'" + a.args[0] + "' is not a number";
            return false;
        }
    }
    if (v == "zoom") {
        float f = 0;
        if ((a.args[0] != "input" && a.args[0] != "fmap" && a.args[0] != "filters") || !to_float(a.args[1], f)) {
            why = "zoom takes input|fmap|filters and a pixel size (0 = fit)";
            return false;
        }
    }
    if (v == "pick") {
        std::vector<int64_t> list;
        if (!index_list(a.args[0], list)) {
            why = "pick takes 1 to 64 image indices like 7 or 7,8,12";
            return false;
        }
    }
    if (v == "save_scene" && a.args.size() == 2 && a.args[1] != "overwrite") {
        why = "save_scene takes PATH [overwrite]";
        return false;
    }
    if (v == "use_onnx" && a.args.size() == 2 && a.args[1] != "test_input") {
        why = "use_onnx takes NODE_INDEX [test_input]";
        return false;
    }
    if (v == "use_onnx") {
        int64_t node = 0;
        if (!to_int(a.args[0], node)) {
            why = "'" + a.args[0] + "' is not a node index";
            return false;
        }
    }
    if (v == "window" && ((a.args[0] != "cifar" && a.args[0] != "data" && a.args[0] != "browser") ||
                          (a.args[1] != "on" && a.args[1] != "off"))) {
        why = "window takes cifar|data|browser and on|off";
        return false;
    }
    if (v == "reveal" && a.args[0] != "on" && a.args[0] != "off") {
        why = "reveal takes on or off";
        return false;
    }
    if (v == "click") {
        float f = 0;
        if (!to_float(a.args[0], f) || !to_float(a.args[1], f)) {
            why = "click takes X Y (window pixels)";
            return false;
        }
    }
    if (v == "mouse") {
        float f = 0;
        if (!((a.args.size() == 1 && a.args[0] == "off") ||
              (a.args.size() == 2 && to_float(a.args[0], f) && to_float(a.args[1], f)))) {
            why = "mouse takes X Y (window pixels) or off";
            return false;
        }
    }
    if (v == "after") {
        const std::string& what = a.args[0];
        int64_t k = 0;
        const bool ok = ((what == "show" || what == "hide") && a.args.size() == 1) ||
                        (what == "relu" && a.args.size() == 2 && (a.args[1] == "on" || a.args[1] == "off")) ||
                        (what == "pool" && a.args.size() == 2 && a.args[1] == "none") ||
                        (what == "pool" && a.args.size() == 4 && (a.args[1] == "max" || a.args[1] == "avg") &&
                         to_int(a.args[2], k) && k >= 1 && k <= 64 && to_int(a.args[3], k) && k >= 1 && k <= 64);
        if (!ok) {
            why = "after takes show|hide, relu on|off, pool none, or pool max|avg KERNEL STRIDE (1 to 64)";
            return false;
        }
    }
    return true;
}

}  // namespace

// ---- parsing ----

bool parse_script(const std::string& text, const std::string& name, std::vector<ScriptAction>& out, std::string& error) {
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        std::istringstream words(line);
        ScriptAction a;
        a.line = number;
        words >> a.verb;
        for (std::string w; words >> w;) a.args.push_back(w);
        const std::string where = name + ":" + std::to_string(number) + ": ";
        const auto verb = kVerbs.find(a.verb);
        if (verb == kVerbs.end()) {
            std::string known;
            for (const auto& [k, _] : kVerbs) known += (known.empty() ? "" : ", ") + k;
            error = where + "unknown action '" + a.verb + "' (known: " + known + ")";
            return false;
        }
        if (a.args.size() < verb->second.first || a.args.size() > verb->second.second) {
            error = where + "'" + a.verb + "' takes " + std::to_string(verb->second.first) +
                    (verb->second.first == verb->second.second ? "" : " to " + std::to_string(verb->second.second)) +
                    " argument(s), got " + std::to_string(a.args.size());
            return false;
        }
        std::string why;
        if (!check_args(a, why)) {
            error = where + why;
            return false;
        }
        out.push_back(std::move(a));
    }
    return true;
}

// ---- settings ----

bool apply_setting(LayerEdit& e, const std::string& key, const std::string& value, std::string& error) {
    ConvLayer& L = e.layer;
    ConvParams& P = L.params;
    std::vector<int64_t> list;
    int64_t n = 0;
    auto need_list = [&] {
        if (int_list(value, list)) return true;
        error = "'" + value + "' is not an integer or a pair like 3,5";
        return false;
    };
    auto need_int = [&] {
        if (to_int(value, n)) return true;
        error = "'" + value + "' is not an integer";
        return false;
    };
    if (key == "dims" || key == "conv") {
        if (value == "1" || value == "conv1d" || value == "Conv1d") L.dims = 1;
        else if (value == "2" || value == "conv2d" || value == "Conv2d") L.dims = 2;
        else return error = "dims is 1 or 2", false;
        return true;
    }
    if (key == "in_channels") return need_int() && (L.in_channels = n, true);
    if (key == "out_channels") return need_int() && (L.out_channels = n, true);
    if (key == "kernel_size" || key == "kernel") return need_list() && (L.kernel_size = list, true);
    if (key == "stride") return need_list() && (P.stride = list, true);
    if (key == "dilation") return need_list() && (P.dilation = list, true);
    if (key == "groups") return need_int() && (P.groups = n, true);
    if (key == "padding") {
        if (value == "same" || value == "'same'") P.padding_kind = PaddingKind::Same;
        else if (value == "valid" || value == "'valid'") P.padding_kind = PaddingKind::Valid;
        else if (need_list()) P.padding_kind = PaddingKind::Explicit, P.padding = list;
        else return false;
        return true;
    }
    if (key == "bias") {
        if (value == "true" || value == "True" || value == "1") L.bias = true;
        else if (value == "false" || value == "False" || value == "0") L.bias = false;
        else return error = "bias is true or false", false;
        return true;
    }
    if (key == "padding_mode") {
        const auto m = parse_padding_mode(value);
        if (!m) return error = "padding_mode is zeros, reflect, replicate or circular", false;
        P.padding_mode = *m;
        return true;
    }
    if (key == "batch" || key == "n") return need_int() && (e.input.n = n, true);
    if (key == "input_channels" || key == "c")
        return need_int() && (e.input.c = n, e.input.c_follows_layer = false, true);
    if (key == "height" || key == "h") return need_int() && (e.input.h = n, true);
    if (key == "width" || key == "w" || key == "length" || key == "l") return need_int() && (e.input.w = n, true);
    error = "unknown setting '" + key +
            "' (dims, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, "
            "batch, input_channels, height, width, length)";
    return false;
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
    const auto& v = a.verb;
    auto arg_int = [&](size_t i) {
        int64_t x = 0;
        to_int(a.args[i], x);
        return x;
    };
    app_wait_loads(s, 120.0);  // every action sees the result of an open_* before it
    if (v == "screenshot" || v == "dump") {
        app_wait_idle(s, 60.0);
        capture_ = true;
        settle_ = 2;
        return;
    }
    ++index_;
    if (v == "set") {
        LayerEdit e = s.edit;
        std::string why;
        if (!apply_setting(e, a.args[0], a.args[1], why)) return fail(a, why);
        s.preset_key.clear();
        s.push(intent::EditLayer{e});
    } else if (v == "preset") {
        if (std::none_of(s.presets.begin(), s.presets.end(), [&](const Preset& p) { return p.key == a.args[0]; })) {
            std::string known;
            for (const Preset& p : s.presets) known += (known.empty() ? "" : ", ") + p.key;
            return fail(a, "unknown preset '" + a.args[0] + "' (known: " + known + ")");
        }
        s.push(intent::ApplyPreset{a.args[0]});
    } else if (v == "step") {
        s.push(intent::StepBy{arg_int(0)});
    } else if (v == "seek") {
        s.push(intent::Seek{arg_int(0)});
    } else if (v == "start" || v == "end") {
        s.push(intent::SeekEnd{v == "end"});
    } else if (v == "play" || v == "pause") {
        s.push(intent::SetPlaying{v == "play"});
    } else if (v == "speed") {
        float f = 1;
        to_float(a.args[0], f);
        s.push(intent::SetSpeed{f});
    } else if (v == "granularity") {
        s.push(intent::SetGranularity{*parse_granularity(a.args[0])});
    } else if (v == "cursor") {
        const ConvGeometry& g = s.geo();
        int64_t n = arg_int(0), c = arg_int(1), y = 0, x = 0;
        if (a.args.size() == 4) y = arg_int(2), x = arg_int(3);
        else x = arg_int(2);
        if (n < 0 || n >= g.n || c < 0 || c >= g.c_out || y < 0 || y >= g.out[0] || x < 0 || x >= g.out[1])
            return fail(a, "output position outside " + shape_to_string(g.output_shape()));
        s.push(intent::MoveCursor{n, c, y, x});
    } else if (v == "select") {
        s.push(intent::SelectOutputChannel{arg_int(0)});
    } else if (v == "hover") {
        if (a.args[0] == "off") {
            s.push(intent::PinHover{-1, 0, 0, 0});
        } else {
            const bool with_n = a.args.size() == 4;
            const int64_t n = with_n ? arg_int(0) : s.cs.n;
            const size_t o = with_n ? 1 : 0;
            const ConvGeometry& g = s.geo();
            const int64_t c = arg_int(o), y = arg_int(o + 1), x = arg_int(o + 2);
            if (n < 0 || n >= g.n || c < 0 || c >= g.c_in || y < 0 || y >= g.in[0] || x < 0 || x >= g.in[1])
                return fail(a, "input pixel outside " + shape_to_string(g.input_shape()));
            s.push(intent::PinHover{n, c, y, x});
        }
    } else if (v == "zoom") {
        float f = 0;
        to_float(a.args[1], f);
        float& target = a.args[0] == "input" ? s.view.input_zoom : a.args[0] == "fmap" ? s.view.fmap_zoom : s.view.filter_zoom;
        target = std::max(f, 0.0f);
    } else if (v == "reveal") {
        s.view.reveal_progressively = a.args[0] == "on";
    } else if (v == "drop") {
        platform_inject_drop(a.args);
        wait_frames_ = 1;  // the main loop takes the drop in this frame; the next action waits for the loads
    } else if (v == "click") {
        float x = 0, y = 0;
        to_float(a.args[0], x);
        to_float(a.args[1], y);
        platform_click_mouse(x, y);
        wait_frames_ = 2;  // the press and the release happen in the next two frames
    } else if (v == "mouse") {
        float x = 0, y = 0;
        if (a.args[0] == "off") {
            platform_release_mouse();
        } else {
            to_float(a.args[0], x);
            to_float(a.args[1], y);
            platform_hold_mouse(x, y);
        }
    } else if (v == "after") {
        AfterSettings& set = s.after.settings;
        if (a.args[0] == "show" || a.args[0] == "hide") {
            s.view.after_show_request = a.args[0] == "show";
        } else if (a.args[0] == "relu") {
            set.relu = a.args[1] == "on";
        } else if (a.args[1] == "none") {
            set.pool = AfterPool::None;
        } else {
            set.pool = a.args[1] == "max" ? AfterPool::Max : AfterPool::Avg;
            set.kernel = static_cast<int>(arg_int(2));
            set.stride = static_cast<int>(arg_int(3));
        }
    } else if (v == "ui_scale") {
        float f = 1;
        to_float(a.args[0], f);
        s.view.ui_scale = f;
        s.push(intent::SetUiScale{f});
    } else if (v == "frames") {
        wait_frames_ = static_cast<int>(std::max<int64_t>(arg_int(0) - 1, 0));
    } else if (v == "wait") {
        app_wait_idle(s, 60.0);
    } else if (v == "expect_error") {
        std::string want;
        for (const std::string& w : a.args) want += (want.empty() ? "" : " ") + w;
        if (s.edit_error.empty()) return fail(a, "expected an error, but the layer is valid");
        if (!want.empty() && s.edit_error.find(want) == std::string::npos)
            return fail(a, "expected an error containing '" + want + "', got: " + s.edit_error);
    } else if (v == "expect_ok") {
        if (!s.edit_error.empty()) return fail(a, "expected a valid layer, got: " + s.edit_error);
    } else if (v == "open_image" || v == "open_cifar" || v == "open_scene" || v == "open_onnx") {
        LoadRequest q;
        q.purpose = v == "open_image" ? FilePurpose::Image : v == "open_cifar" ? FilePurpose::Cifar
                  : v == "open_scene" ? FilePurpose::Scene : FilePurpose::Onnx;
        q.path = a.args[0];
        q.image = s.image_options;
        q.cifar_greyscale = s.cifar.greyscale;
        s.push(intent::Open{q});
    } else if (v == "pick") {
        std::vector<int64_t> list;
        index_list(a.args[0], list);
        s.push(intent::PickCifar{list, s.cifar.greyscale});
    } else if (v == "load_weights") {
        LoadRequest q;
        q.purpose = FilePurpose::Weights;
        q.path = a.args[0];
        for (size_t i = 1; i < a.args.size(); ++i) {
            if (a.args[i] == "keras") q.layout = WeightLayout::Keras;
            else if (a.args[i] == "pytorch") q.layout = WeightLayout::PyTorch;
            else q.bias_path = a.args[i];
        }
        s.push(intent::Open{q});
    } else if (v == "save_scene") {
        s.push(intent::SaveScene{a.args[0], a.args.size() == 2});
    } else if (v == "use_onnx") {
        s.push(intent::UseOnnxNode{static_cast<int>(arg_int(0)), a.args.size() == 2});
    } else if (v == "window") {
        if (a.args[0] == "browser") {
            if (a.args[1] == "on") app_open_browser(s, FilePurpose::Weights);
        } else {
            (a.args[0] == "cifar" ? s.show_cifar : s.show_data) = a.args[1] == "on";
        }
    } else if (v == "export" || v == "export_tensors") {
        app_wait_idle(s, 60.0);
        std::string why;
        const bool ok = v == "export_tensors"
                            ? export_scene_tensors(s, a.args[0], a.args.size() > 1, why)
                            : run_export(s, export_request_from_script(a.args), export_panel_drawer(s), why);
        if (!ok) return fail(a, why);
    } else if (v == "expect_status") {
        std::string want;
        for (const std::string& w : a.args) want += (want.empty() ? "" : " ") + w;
        if (s.status.find(want) == std::string::npos) return fail(a, "expected a status containing '" + want + "', got: " + s.status);
    }
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

bool write_dump(const AppState& s, const std::string& path, int width, int height, std::string& error) {
    using nlohmann::json;
    const ConvGeometry& g = s.geo();
    const CursorState& c = s.cs;
    auto rect = [](ImVec2 a, ImVec2 b) { return json::array({a.x, a.y, b.x, b.y}); };
    json j;
    j["window"] = {{"width", width}, {"height", height}};
    j["error"] = s.edit_error;
    j["status"] = s.status;
    j["status_error"] = s.status_error;
    j["menu_height"] = s.geometry.menu_height;
    j["scene_path"] = s.scene_path;
    j["input_kind"] = s.scene->image_kind;
    j["onnx_max_diff"] = s.onnx.max_diff ? json(*s.onnx.max_diff) : json(nullptr);
    j["weights_info"] = s.weights_info.text;
    j["error_rect"] = s.geometry.error_text ? rect(s.geometry.error_text->min, s.geometry.error_text->max) : json(nullptr);
    j["layer"] = layer_python_text(s.scene->edit.layer);
    j["input_shape"] = input_shape(s.scene->edit);
    j["output_shape"] = g.output_shape_torch();
    j["geometry"] = {{"dims", g.dims},         {"n", g.n},
                     {"c_in", g.c_in},         {"c_out", g.c_out},
                     {"groups", g.groups},     {"in", g.in},
                     {"out", g.out},           {"kernel", g.kernel},
                     {"stride", g.stride},     {"dilation", g.dilation},
                     {"pad_begin", g.pad_begin}, {"pad_end", g.pad_end},
                     {"padding_mode", padding_mode_name(g.mode)}};
    json channels = json::array();
    for (const CursorChannel& ch : c.channels) channels.push_back({{"c_in", ch.c_in}, {"sum", ch.sum}});
    j["cursor"] = {{"step", s.step},
                   {"step_count", s.step_count()},
                   {"granularity", granularity_name(s.granularity)},
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
    j["output_at_cursor"] = s.output->y[base + c.y * Wo + c.x];
    json map = json::array();
    for (int64_t y = 0; y < Ho; ++y) {
        json row = json::array();
        for (int64_t x = 0; x < Wo; ++x) row.push_back(s.output->y[base + y * Wo + x]);
        map.push_back(row);
    }
    j["current_map"] = map;  // y[n, c_out] of the cursor, from the full-layer output
    j["revealed_position"] = s.revealed_position();
    j["fmap_scale"] = s.fmap_atlas.scale;
    j["input_range"] = {s.input_atlas.lo, s.input_atlas.hi};
    auto grids = [](const std::vector<GridRect>& v) {
        json a = json::array();
        for (const GridRect& r : v)
            a.push_back({{"n", r.n}, {"c", r.c}, {"x0", r.origin.x}, {"y0", r.origin.y}, {"cell", r.cell},
                         {"rows", r.rows}, {"cols", r.cols}});
        return a;
    };
    j["input_pixels"] = grids(s.geometry.input_pixels);
    j["input_rgb"] = grids(s.geometry.input_rgb);
    j["fmap_pixels"] = grids(s.geometry.fmap_pixels);
    json outline = json::array();
    for (const OutlineRect& r : s.geometry.window)
        outline.push_back({{"n", r.n}, {"c", r.c}, {"rect", rect(r.min, r.max)}});
    j["window_outline"] = outline;
    j["hover"] = s.hover ? json(*s.hover) : json(nullptr);
    j["hover_hits"] = s.hover_hits.size();
    j["designed_filters"] = s.scene->filter_names;
    {
        const AfterConv& a = s.after;
        json pooled = json::array();
        if (a.source == s.output && !a.out.data.empty()) {
            const int64_t pbase = (c.n * g.c_out + c.c_out) * a.out_h * a.out_w;
            for (int64_t y = 0; y < a.out_h; ++y) {
                json row = json::array();
                for (int64_t x = 0; x < a.out_w; ++x) row.push_back(a.out[pbase + y * a.out_w + x]);
                pooled.push_back(row);
            }
        }
        j["after"] = {{"shown", s.view.after_shown},
                      {"current", a.source == s.output},  // computed for the output on screen
                      {"layers", after_layers_text(a.computed_settings, g.dims)},
                      {"error", a.error},
                      {"shape", a.pool ? a.pool->output_shape_torch() : g.output_shape_torch()},
                      {"current_map", pooled},  // the cursor's (n, c_out) map after ReLU and pooling
                      {"scale", std::max(s.fmap_atlas.scale, a.abs_max)},
                      {"pixels", grids(s.geometry.after_pixels)},
                      {"hover", s.geometry.after_hover ? json(*s.geometry.after_hover) : json(nullptr)}};
    }
    std::ofstream f(path);
    if (!f) {
        error = "could not write " + path;
        return false;
    }
    f << json_dump_safe(j, 1) << "\n";  // status lines may hold raw bytes from a file: escaped, never thrown
    return static_cast<bool>(f);
}

}  // namespace convscope::gui
