// Sections: argument readers · checks · the verb table · parsing · settings
#include "script_grammar.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "builtin_data.hpp"
#include "codegen.hpp"
#include "export_plan.hpp"
#include "transpose_scene.hpp"

namespace convscope::workspace {

// ---- argument readers ----

bool script_int(const std::string& t, int64_t& v) {
    const char* b = t.data();
    const char* e = b + t.size();
    if (b != e && *b == '+') ++b;
    auto r = std::from_chars(b, e, v);
    return b != e && r.ec == std::errc() && r.ptr == e;
}

bool script_float(const std::string& t, float& v) {
    try {
        size_t used = 0;
        v = std::stof(t, &used);
        return used == t.size() && std::isfinite(v);
    } catch (...) {
        return false;
    }
}

bool script_index_list(const std::string& t, std::vector<int64_t>& out) {
    out.clear();
    std::stringstream ss(t);
    std::string part;
    while (std::getline(ss, part, ',')) {
        int64_t v = 0;
        if (!script_int(part, v) || v < 0) return false;
        out.push_back(v);
    }
    return !out.empty() && out.size() <= 64;
}

std::optional<Granularity> script_granularity(const std::string& t) {
    if (t == "position") return Granularity::Position;
    if (t == "channel") return Granularity::Channel;
    if (t == "mac" || t == "MAC") return Granularity::Mac;
    return std::nullopt;
}

std::string script_join(const std::vector<std::string>& words, size_t from) {
    std::string s;
    for (size_t i = from; i < words.size(); ++i) s += (s.empty() ? "" : " ") + words[i];
    return s;
}

bool script_bool(const std::string& t, bool& value) {
    if (t == "true" || t == "True" || t == "1") return value = true, true;
    if (t == "false" || t == "False" || t == "0") return value = false, true;
    return false;
}

bool script_int_pair(const std::string& t, std::vector<int64_t>& out) {
    out.clear();
    std::string s = t;
    s.erase(std::remove_if(s.begin(), s.end(),
                           [](char c) { return c == '(' || c == ')' || c == '[' || c == ']' || c == ' '; }),
            s.end());
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) {
        int64_t v = 0;
        if (!script_int(part, v)) return false;
        out.push_back(v);
    }
    return !out.empty() && out.size() <= 2;
}

namespace {

// ---- checks ----

bool all_ints(const ScriptAction& a, std::string& why) {
    for (const std::string& w : a.args) {
        int64_t v = 0;
        if (!script_int(w, v)) {
            why = "'" + w + "' is not an integer";
            return false;
        }
    }
    return true;
}

bool one_number(const ScriptAction& a, std::string& why) {
    float f = 0;
    if (script_float(a.args[0], f)) return true;
    why = "'" + a.args[0] + "' is not a number";
    return false;
}

bool on_off(const ScriptAction& a, std::string& why) {
    if (a.args[0] == "on" || a.args[0] == "off") return true;
    why = "'" + a.verb + "' takes on or off";
    return false;
}

bool check_set(const ScriptAction& a, std::string& why) {
    LayerEdit probe = default_edit();
    return apply_setting(probe, a.args[0], a.args[1], why);
}

bool check_granularity(const ScriptAction& a, std::string& why) {
    if (script_granularity(a.args[0])) return true;
    why = "granularity is position, channel or mac";
    return false;
}

// Integer coordinates: `min` to `max` of them, or the single word "off" where `off` allows it; `usage` says which.
bool coordinates(const ScriptAction& a, size_t min, size_t max, bool off, const char* usage, std::string& why) {
    if (off && a.args.size() == 1 && a.args[0] == "off") return true;
    if (a.args.size() < min || a.args.size() > max) {
        why = usage;
        return false;
    }
    return all_ints(a, why);
}

bool check_cursor(const ScriptAction& a, std::string& why) {
    return coordinates(a, 3, 4, false, "cursor takes 'n c y x' (Conv2d) or 'n c x' (Conv1d)", why);
}
bool check_hover(const ScriptAction& a, std::string& why) {
    return coordinates(a, 3, 4, true, "hover takes 'c y x', 'n c y x' or 'off'", why);
}
bool check_layouts_pin(const ScriptAction& a, std::string& why) {
    return coordinates(a, 4, 4, true, "layouts_pin takes 'O I KY KX' or 'off'", why);
}
bool check_compare_pin(const ScriptAction& a, std::string& why) {
    return coordinates(a, 3, 3, true, "compare_pin takes 'IMAGE Y X' or 'off'", why);
}

bool check_zoom(const ScriptAction& a, std::string& why) {
    float f = 0;
    if ((a.args[0] == "input" || a.args[0] == "fmap" || a.args[0] == "filters") && script_float(a.args[1], f))
        return true;
    why = "zoom takes input|fmap|filters and a pixel size (0 = fit)";
    return false;
}

bool check_pick(const ScriptAction& a, std::string& why) {
    std::vector<int64_t> list;
    if (script_index_list(a.args[0], list)) return true;
    why = "pick takes 1 to 64 image indices like 7 or 7,8,12";
    return false;
}

bool check_save_scene(const ScriptAction& a, std::string& why) {
    if (a.args.size() == 1 || a.args[1] == "overwrite") return true;
    why = "save_scene takes PATH [overwrite]";
    return false;
}

bool check_use_onnx(const ScriptAction& a, std::string& why) {
    int64_t node = 0;
    if (!script_int(a.args[0], node) || node < 0) {
        why = "'" + a.args[0] + "' is not a node index";
        return false;
    }
    if (a.args.size() == 2 && a.args[1] != "test_input") {
        why = "use_onnx takes NODE_INDEX [test_input]";
        return false;
    }
    return true;
}

bool check_load_weights(const ScriptAction& a, std::string& why) {
    int layouts = 0;
    for (size_t i = 1; i < a.args.size(); ++i)
        if (a.args[i] == "keras" || a.args[i] == "pytorch") ++layouts;
    if (layouts <= 1) return true;
    why = "load_weights takes PATH [BIAS.npy] [keras|pytorch] (one layout)";
    return false;
}

bool check_window(const ScriptAction& a, std::string& why) {
    if ((a.args[0] == "cifar" || a.args[0] == "data" || a.args[0] == "browser" || a.args[0] == "lessons") &&
        (a.args[1] == "on" || a.args[1] == "off"))
        return true;
    why = "window takes cifar|data|browser|lessons and on|off";
    return false;
}

bool check_mouse(const ScriptAction& a, std::string& why) {
    float f = 0;
    if ((a.args.size() == 1 && a.args[0] == "off") ||
        (a.args.size() == 2 && script_float(a.args[0], f) && script_float(a.args[1], f)))
        return true;
    why = "mouse takes X Y (window pixels) or off";
    return false;
}

bool check_click(const ScriptAction& a, std::string& why) {
    float f = 0;
    if (script_float(a.args[0], f) && script_float(a.args[1], f)) return true;
    why = "click takes X Y (window pixels)";
    return false;
}

bool check_after(const ScriptAction& a, std::string& why) {
    const std::string& what = a.args[0];
    int64_t k = 0, st = 0;
    const bool ok = ((what == "show" || what == "hide") && a.args.size() == 1) ||
                    (what == "relu" && a.args.size() == 2 && (a.args[1] == "on" || a.args[1] == "off")) ||
                    (what == "pool" && a.args.size() == 2 && a.args[1] == "none") ||
                    (what == "pool" && a.args.size() == 4 && (a.args[1] == "max" || a.args[1] == "avg") &&
                     script_int(a.args[2], k) && k >= 1 && k <= 64 && script_int(a.args[3], st) && st >= 1 && st <= 64);
    if (ok) return true;
    why = "after takes show|hide, relu on|off, pool none, or pool max|avg KERNEL STRIDE (1 to 64)";
    return false;
}

bool check_export(const ScriptAction& a, std::string& why) {
    ExportRequest r;
    std::vector<std::string> flags = {"--export"};
    flags.insert(flags.end(), a.args.begin(), a.args.end());
    try {
        for (size_t i = 0; i < flags.size();)
            if (!parse_export_flag(flags, i, r)) {
                why = "export: unknown option '" + flags[i] +
                      "' (usage: export OUT [--panel NAME] [--steps A:B|all|row] ...)";
                return false;
            }
    } catch (const std::exception& e) {
        why = e.what();
        return false;
    }
    return true;
}

bool check_export_dialog(const ScriptAction& a, std::string& why) {
    if (a.args.size() == 1 && a.args[0] == "off") return true;
    return check_export(a, why);
}

bool check_export_tensors(const ScriptAction& a, std::string& why) {
    if (a.args.size() == 1 || a.args[1] == "force") return true;
    why = "export_tensors DIR [force]: the second word can only be 'force'";
    return false;
}

bool check_lesson_id(const ScriptAction& a, std::string& why) {
    const std::string& id = a.args[0];
    const bool ok = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.' || c == '/';
    });
    if (ok) return true;
    why = "lesson takes a lesson ID (a file name in assets/lessons/ without .lesson) or a .lesson file's path";
    return false;
}

bool check_conventions(const ScriptAction& a, std::string& why) {
    if (a.args[0] == "pytorch" || a.args[0] == "keras") return true;
    why = "conventions takes pytorch or keras, got '" + a.args[0] + "'";
    return false;
}

bool check_code_panel(const ScriptAction& a, std::string& why) {
    if (a.args[0] == "off" || parse_code_framework(a.args[0])) return true;
    why = "code_panel takes pytorch, keras, numpy, onnx or off, got '" + a.args[0] + "'";
    return false;
}

bool check_layer_kind(const ScriptAction& a, std::string& why) {
    if (a.args[0] == "conv" || a.args[0] == "transpose") return true;
    why = "layer_kind takes conv or transpose, got '" + a.args[0] + "'";
    return false;
}

bool check_transpose_set(const ScriptAction& a, std::string& why) {
    TransposeEdit probe = default_transpose_edit();
    return apply_transpose_setting(probe, a.args[0], a.args[1], why);
}

bool check_transpose_preset(const ScriptAction& a, std::string& why) {
    if (find_transpose_preset(a.args[0])) return true;
    why = "unknown transposed-convolution preset '" + a.args[0] + "' (known:";
    for (const TransposePreset& p : transpose_presets()) why += " " + p.key;
    why += ")";
    return false;
}

bool check_transpose_order(const ScriptAction& a, std::string& why) {
    if (a.args[0] == "scatter" || a.args[0] == "gather") return true;
    why = "transpose_order takes scatter or gather, got '" + a.args[0] + "'";
    return false;
}

bool check_transpose_cursor(const ScriptAction& a, std::string& why) {
    if (a.args.size() >= 3 && all_ints(a, why)) return true;
    why = "transpose_cursor takes 'n c y x' (2-D) or 'n c x' (1-D)";
    return false;
}

bool check_lesson_goto(const ScriptAction& a, std::string& why) {
    int64_t step = 0;
    if (script_int(a.args[0], step) && step >= 1) return true;
    why = "lesson_goto takes a step number (1 = the first step)";
    return false;
}

}  // namespace

// ---- the verb table ----

const std::vector<VerbSpec>& script_verbs() {
    static const std::vector<VerbSpec> verbs = {
        {"set", 2, 2, "set KEY VALUE",
         "Change the layer or input: dims|in_channels|out_channels|kernel_size|stride|padding|dilation|groups|bias|"
         "padding_mode|batch|input_channels|height|width|length|picture (per-dim values as 3,5; padding also "
         "same/valid)",
         check_set},
        {"keras_same", 0, 0, "keras_same",
         "After PyTorch refused padding='same' with a stride > 1: use Keras's pads for it (TF's rule, written "
         "explicitly)"},
        {"preset", 1, 1, "preset NAME",
         "Open a built-in preset (default, batch_vs_channel, channel_stack, conv1d, ...)"},
        {"step", 1, 1, "step N", "Move the cursor N steps (negative: back) at the current granularity", all_ints},
        {"seek", 1, 1, "seek N", "Move the cursor to step N", all_ints},
        {"start", 0, 0, "start", "Move the cursor to the first step"},
        {"end", 0, 0, "end", "Move the cursor to the last step"},
        {"play", 0, 0, "play", "Start playback"},
        {"pause", 0, 0, "pause", "Stop playback"},
        {"speed", 1, 1, "speed S", "Playback speed in steps per second", one_number},
        {"granularity", 1, 1, "granularity position|channel|mac", "What one step is", check_granularity},
        {"cursor", 3, 4, "cursor n c y x | cursor n c x", "Move to an output position (the step that completes it)",
         check_cursor},
        {"select", 1, 1, "select C", "Output channel C at the same (n, y, x)", all_ints},
        {"hover", 1, 4, "hover c y x | hover n c y x | hover off", "Pin the hovered input pixel", check_hover},
        {"zoom", 2, 2, "zoom input|fmap|filters PX", "Pixels per cell of a panel (0 = fit)", check_zoom},
        {"reveal", 1, 1, "reveal on|off", "Feature maps fill in as the cursor advances (on) or show everything (off)",
         on_off},
        {"ui_scale", 1, 1, "ui_scale F", "UI scale (0.75 to 3)", one_number},
        {"after", 1, 4, "after show|hide | after relu on|off | after pool none | after pool max|avg K S",
         "The Feature maps panel's 'then ReLU + pool' tab and its layers", check_after},
        {"mouse", 1, 2, "mouse X Y | mouse off", "ImGui sees the mouse at window pixel (X, Y) from the next frame",
         check_mouse},
        {"click", 2, 2, "click X Y", "A left click there (button down for one frame, then up)", check_click},
        {"drop", 1, 8, "drop PATH [PATH...]", "Files handled as if dropped on the window (opened in order)"},
        {"frames", 1, 1, "frames N", "Let N frames pass", all_ints},
        {"wait", 0, 0, "wait", "Wait for loads and the layer computation to finish"},
        {"screenshot", 1, 1, "screenshot PATH", "Write the window as a PNG (after the picture settles)"},
        {"dump", 1, 1, "dump PATH", "Write what is on screen as JSON (rectangles, cursor, lesson, error)"},
        {"expect_error", 0, 64, "expect_error [TEXT]", "Fail unless the layer is invalid (with TEXT in the message)"},
        {"expect_ok", 0, 0, "expect_ok", "Fail unless the layer is valid"},
        {"expect_status", 0, 64, "expect_status [TEXT]", "Fail unless the status line contains TEXT"},
        {"open_image", 1, 1, "open_image PATH", "Open a picture as the input"},
        {"open_cifar", 1, 1, "open_cifar PATH", "Open a CIFAR-10/100 batch file, folder or .tar.gz"},
        {"pick", 1, 1, "pick I[,J...]", "These CIFAR images become the batch", check_pick},
        {"load_weights", 1, 3, "load_weights PATH [BIAS.npy] [keras|pytorch]", "Load .npy weights (and a bias)",
         check_load_weights},
        {"open_onnx", 1, 1, "open_onnx PATH", "Open an ONNX model"},
        {"use_onnx", 1, 2, "use_onnx NODE_INDEX [test_input]", "The scene takes this Conv node's weights",
         check_use_onnx},
        {"open_scene", 1, 1, "open_scene PATH", "Open a scene file"},
        {"save_scene", 1, 2, "save_scene PATH [overwrite]", "Save the scene (an existing file only with overwrite)",
         check_save_scene},
        {"conventions", 1, 1, "conventions pytorch|keras",
         "Name shapes, indices, the layer and its parameter count as PyTorch or Keras does (View -> Conventions; "
         "remembered in the settings folder)",
         check_conventions},
        {"code_panel", 1, 1, "code_panel pytorch|keras|numpy|onnx|off",
         "Open the Code panel on this framework's code for the layer and cursor (off: close it)", check_code_panel},
        {"im2col_panel", 1, 1, "im2col_panel on|off",
         "Open (or close) the im2col / GEMM panel: X_col, W_row and Y = W_row . X_col^T at the cursor", on_off},
        {"compare", 1, 1, "compare on|off",
         "Open (or close) the Batch vs channel window: Q2's three images as a batch and as channels, side by side with "
         "one cursor",
         on_off},
        {"layouts", 1, 1, "layouts on|off",
         "Open (or close) the Weight layouts window: one filter as PyTorch's weight (out, in, kH, kW) and Keras's "
         "kernel "
         "(kH, kW, in, out)",
         on_off},
        {"layouts_pin", 1, 4, "layouts_pin O I KY KX | layouts_pin off",
         "Light weight[O, I, KY, KX] in both layouts of the Weight layouts window (1-D: KY = 0)", check_layouts_pin},
        {"compare_cursor", 4, 4, "compare_cursor IMAGE C Y X",
         "The Batch vs channel window's cursor: image IMAGE's maps in the batch, filter C, output position (Y, X)",
         all_ints},
        {"compare_pin", 1, 3, "compare_pin IMAGE Y X | compare_pin off",
         "Pin pixel (Y, X) of image IMAGE in the Batch vs channel window: the outputs it feeds light up on both sides",
         check_compare_pin},
        {"layer_kind", 1, 1, "layer_kind conv|transpose",
         "The Layer panel's kind: Conv (the scene) or ConvTranspose (the transposed-convolution view)",
         check_layer_kind},
        {"transpose_preset", 1, 1, "transpose_preset NAME",
         "Open a transposed-convolution preset (upsample, checkerboard, even, output_padding, full, channels, conv1d)",
         check_transpose_preset},
        {"transpose_set", 2, 2, "transpose_set KEY VALUE",
         "Change the transposed convolution: dims|in_channels|out_channels|kernel_size|stride|padding|output_padding|"
         "dilation|groups|bias|batch|height|width|length|data (pattern|ones)",
         check_transpose_set},
        {"transpose_order", 1, 1, "transpose_order scatter|gather",
         "The transposed convolution's picture: scatter (each input paints a kernel-sized patch) or gather (a "
         "convolution over the zero-inserted, padded input with the flipped kernel)",
         check_transpose_order},
        {"transpose_cursor", 3, 4, "transpose_cursor n c y x | transpose_cursor n c x",
         "Scatter: move to input element x[n, c, y, x]; gather: to output element y[n, c, y, x]",
         check_transpose_cursor},
        {"contributions", 1, 1, "contributions on|off",
         "The transposed convolution's Output panel: show how many products land on each output", on_off},
        {"window", 2, 2, "window cifar|data|browser|lessons on|off", "Show or hide a window", check_window},
        {"export", 1, 24,
         "export OUT [--panel NAME] [--steps A:B|all|row] [--granularity G] [--fps F] [--hold S] [--scale S] "
         "[--theme dark|light] [--caption] [--once] [--force]",
         "Export frames as the --export command line does (.png, FOLDER/ or name_%05d.png, .gif, .mp4, .webm)",
         check_export},
        {"export_dialog", 1, 24, "export_dialog OUT [flags as export] | export_dialog off",
         "Open File -> Export... with these settings (its live preview follows them); off: close it",
         check_export_dialog},
        {"export_tensors", 1, 2, "export_tensors DIR [force]",
         "Write input/weight/bias/output/window .npy of the scene (PyTorch layout)", check_export_tensors},
        {"lesson", 1, 1, "lesson ID", "Start a lesson (assets/lessons/ID.lesson, or a .lesson file's path)",
         check_lesson_id},
        {"lesson_next", 0, 0, "lesson_next", "The lesson's next step (key N)"},
        {"lesson_back", 0, 0, "lesson_back", "The lesson's previous step (key P)"},
        {"lesson_goto", 1, 1, "lesson_goto STEP", "Go to a lesson step (1 = first)", check_lesson_goto},
        {"lesson_resume", 0, 0, "lesson_resume", "Set the window back to the current step's state"},
        {"lesson_answer", 1, 64, "lesson_answer TEXT", "Answer the current step's question"},
        {"lesson_reveal", 0, 0, "lesson_reveal", "Show the current question's answer"},
        {"lesson_close", 0, 0, "lesson_close", "Leave the lesson"},
    };
    return verbs;
}

const VerbSpec* find_verb(std::string_view name) {
    for (const VerbSpec& v : script_verbs())
        if (v.name == name) return &v;
    return nullptr;
}

std::string script_help() {
    std::string s;
    for (const VerbSpec& v : script_verbs()) {
        s += "  " + std::string(v.usage) + "\n      " + std::string(v.help) + "\n";
    }
    return s;
}

// ---- parsing ----

bool parse_script_line(const std::string& raw, const std::string& name, int number, ScriptAction& a,
                       std::string& error) {
    std::string line = raw;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    a = ScriptAction{};
    a.line = number;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') return true;
    std::istringstream words(line);
    words >> a.verb;
    for (std::string w; words >> w;) a.args.push_back(w);
    const std::string where = name + ":" + std::to_string(number) + ": ";
    const VerbSpec* verb = find_verb(a.verb);
    if (!verb) {
        std::string known;
        for (const VerbSpec& v : script_verbs()) known += (known.empty() ? "" : ", ") + std::string(v.name);
        error = where + "unknown action '" + a.verb + "' (known: " + known + ")";
        return false;
    }
    if (a.args.size() < verb->min_args || a.args.size() > verb->max_args) {
        error = where + "'" + a.verb + "' takes " + std::to_string(verb->min_args) +
                (verb->min_args == verb->max_args ? "" : " to " + std::to_string(verb->max_args)) +
                " argument(s), got " + std::to_string(a.args.size()) + " (usage: " + std::string(verb->usage) + ")";
        return false;
    }
    std::string why;
    if (verb->check && !verb->check(a, why)) {
        error = where + why;
        return false;
    }
    return true;
}

bool parse_script(const std::string& text, const std::string& name, std::vector<ScriptAction>& out,
                  std::string& error) {
    std::vector<ScriptAction> actions;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ScriptAction a;
        if (!parse_script_line(line, name, ++number, a, error)) return false;
        if (!a.verb.empty()) actions.push_back(std::move(a));
    }
    out = std::move(actions);
    return true;
}

// ---- settings ----

bool setting_int(const std::string& value, int64_t& n, std::string& error) {
    if (script_int(value, n)) return true;
    error = "'" + value + "' is not an integer";
    return false;
}

bool setting_int_pair(const std::string& value, std::vector<int64_t>& list, std::string& error) {
    if (script_int_pair(value, list)) return true;
    error = "'" + value + "' is not an integer or a pair like 3,5";
    return false;
}

bool apply_setting(LayerEdit& e, const std::string& key, const std::string& value, std::string& error) {
    ConvLayer& L = e.layer;
    ConvParams& P = L.params;
    std::vector<int64_t> list;
    int64_t n = 0;
    if (key == "dims" || key == "conv") {
        if (value == "1" || value == "conv1d" || value == "Conv1d")
            L.dims = 1;
        else if (value == "2" || value == "conv2d" || value == "Conv2d")
            L.dims = 2;
        else
            return error = "dims is 1 or 2", false;
        return true;
    }
    if (key == "in_channels") return setting_int(value, n, error) && (L.in_channels = n, true);
    if (key == "out_channels") return setting_int(value, n, error) && (L.out_channels = n, true);
    if (key == "kernel_size" || key == "kernel")
        return setting_int_pair(value, list, error) && (L.kernel_size = list, true);
    if (key == "stride") return setting_int_pair(value, list, error) && (P.stride = list, true);
    if (key == "dilation") return setting_int_pair(value, list, error) && (P.dilation = list, true);
    if (key == "groups") return setting_int(value, n, error) && (P.groups = n, true);
    if (key == "padding") {
        if (value == "same" || value == "'same'")
            P.padding_kind = PaddingKind::Same;
        else if (value == "valid" || value == "'valid'")
            P.padding_kind = PaddingKind::Valid;
        else if (setting_int_pair(value, list, error))
            P.padding_kind = PaddingKind::Explicit, P.padding = list;
        else
            return false;
        return true;
    }
    if (key == "bias") return script_bool(value, L.bias) || (error = "bias is true or false", false);
    if (key == "padding_mode") {
        const auto m = parse_padding_mode(value);
        if (!m) return error = "padding_mode is zeros, reflect, replicate or circular", false;
        P.padding_mode = *m;
        return true;
    }
    if (key == "batch" || key == "n") return setting_int(value, n, error) && (e.input.n = n, true);
    if (key == "input_channels" || key == "c")
        return setting_int(value, n, error) && (e.input.c = n, e.input.c_follows_layer = false, true);
    if (key == "height" || key == "h") return setting_int(value, n, error) && (e.input.h = n, true);
    if (key == "width" || key == "w" || key == "length" || key == "l")
        return setting_int(value, n, error) && (e.input.w = n, true);
    if (key == "picture") {
        if (!builtin_input_known(value)) {
            std::string list_text;
            for (const std::string& p : builtin_input_names()) list_text += (list_text.empty() ? "" : ", ") + p;
            return error = "picture is one of " + list_text, false;
        }
        e.input.picture = value;
        return true;
    }
    error = "unknown setting '" + key +
            "' (dims, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, "
            "batch, input_channels, height, width, length, picture)";
    return false;
}

}  // namespace convscope::workspace
