// convscope: the window. Parses the command line, opens the platform, and runs the frame loop:
//   script action -> app_begin_frame (swap results, apply intents) -> panels -> render -> capture -> swap.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app_state.hpp"
#include "export_render.hpp"
#include "gl_render.hpp"
#include "panels.hpp"
#include "platform.hpp"
#include "script.hpp"
#include "script_grammar.hpp"

namespace {

using namespace convscope::gui;

struct Options {
    std::string screenshot;
    int frames = 3;
    std::string script;
    int bench_frames = 0;
    std::string open_path;  // positional: a picture, .npy, .onnx, scene .json or CIFAR file
    std::string cifar, scene;
    std::vector<int64_t> pick;
    convscope::workspace::ExportRequest export_request;  // --export OUT and its options (export_plan.hpp)
    std::string export_tensors;                          // --export-tensors DIR
    bool export_flags = false;
    std::string shader_dir = CONVSCOPE_SHADER_DIR;
    std::string asset_dir = CONVSCOPE_ASSET_DIR;
    std::string lesson;  // --lesson ID|FILE
    bool allow_outside_paths = false;
    std::optional<std::string> settings_dir;  // --settings-dir; default: the user's for a window, none for automation
    bool help_script = false;
};

const char* kUsage =
    "usage: convscope [FILE] [--cifar FILE [--pick I[,J...]]] [--scene FILE]\n"
    "                 [--screenshot OUT.png [--frames N]] [--script FILE] [--bench-frames N]\n"
    "                 [--lesson ID|FILE] [--shader-dir DIR] [--asset-dir DIR] [--settings-dir DIR] [--help-script]\n"
    "  --lesson ID           follow a lesson: q1_conv2d, q2_batch_vs_channel, q3_keras_params, q4_conv1d_text,\n"
    "                        q5_same_channels, q6_keras_layout, q7_conv_transpose, padding_modes (assets/lessons/), or "
    "a .lesson file\n"
    "  FILE                  open a picture (.png .jpg .jpeg .bmp), weights (.npy), ONNX model, scene (.json)\n"
    "  --cifar FILE          open a CIFAR-10/100 batch, folder or .tar.gz; --pick chooses the batch images\n"
    "  --scene FILE          open a scene file\n"
    "  --allow-outside-paths  read the files a scene names outside its folder without asking (scripted runs\n"
    "                        refuse such scenes otherwise; the window asks)\n"
    "  --screenshot OUT.png  render N frames (default 3; after the layer is computed), write a PNG, exit 0\n"
    "  --script FILE         run an action script (--help-script lists its actions), then exit (1 on a script error)\n"
    "  --bench-frames N      play the default scene for N frames, print mean and p95 frame time (ms), the same for\n"
    "                        N empty ImGui frames and the ratio, and the time from a layer edit to its maps on screen\n"
    "  --settings-dir DIR    where the Recent list and settings.json (View -> Conventions) are kept (default:\n"
    "                        ~/.config/convscope for the window; scripted, screenshot, export and benchmark runs\n"
    "                        keep no settings unless this names a folder)\n"
    "  --help-script         print every script action with its arguments, then exit\n"
    "  --export OUT [--panel NAME] [--steps A:B|all|row] [--granularity position|channel|mac] [--fps F]\n"
    "        [--hold SECONDS] [--scale 1-4] [--theme dark|light] [--caption] [--once] [--force]\n"
    "                        export frames (OUT: .png, FOLDER/ or name_%05d.png, .gif, .mp4, .webm), exit 0/1\n"
    "  --export-tensors DIR [--force]  write input/weight/bias/output/window .npy (PyTorch layout), exit 0/1\n"
    "  (exports need a display: without one, run under xvfb-run -a -s '-screen 0 1280x800x24' convscope ...)\n";

bool parse_args(int argc, char** argv, Options& o, std::string& error) {
    const std::vector<std::string> args(argv, argv + argc);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        try {
            size_t next = static_cast<size_t>(i);
            if (convscope::workspace::parse_export_flag(args, next, o.export_request)) {
                o.export_flags = true;
                i = static_cast<int>(next) - 1;
                continue;
            }
        } catch (const convscope::workspace::ExportError& e) {
            error = e.what();
            o.export_flags = true;  // an export's option: exit 1, as for the export's other failures
            return false;
        }
        auto value = [&](std::string& out) {
            if (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-')) {
                error =
                    a + " needs a value" + (i + 1 < argc ? std::string(", got the option '") + argv[i + 1] + "'" : "");
                return false;
            }
            out = argv[++i];
            return true;
        };
        auto number = [&](int& out) {
            std::string v;
            if (!value(v)) return false;
            char* end = nullptr;
            const long n = std::strtol(v.c_str(), &end, 10);
            if (*end != '\0' || n < 1 || n > 1000000) {
                error = a + " needs a positive integer, got '" + v + "'";
                return false;
            }
            out = static_cast<int>(n);
            return true;
        };
        bool ok = true;
        if (a == "--screenshot")
            ok = value(o.screenshot);
        else if (a == "--frames")
            ok = number(o.frames);
        else if (a == "--script")
            ok = value(o.script);
        else if (a == "--bench-frames")
            ok = number(o.bench_frames);
        else if (a == "--shader-dir")
            ok = value(o.shader_dir);
        else if (a == "--asset-dir")
            ok = value(o.asset_dir);
        else if (a == "--cifar")
            ok = value(o.cifar);
        else if (a == "--scene")
            ok = value(o.scene);
        else if (a == "--settings-dir")
            ok = value(o.settings_dir.emplace());
        else if (a == "--help-script")
            o.help_script = true;
        else if (a == "--allow-outside-paths")
            o.allow_outside_paths = true;
        else if (a == "--lesson")
            ok = value(o.lesson);
        else if (a == "--export-tensors")
            ok = value(o.export_tensors);
        else if (a == "--pick") {
            std::string v;
            ok = value(v);
            std::stringstream ss(v);
            for (std::string part; ok && std::getline(ss, part, ',');) {
                char* end = nullptr;
                const long long n = std::strtoll(part.c_str(), &end, 10);
                if (part.empty() || *end != '\0' || n < 0) {
                    error = "--pick needs image indices like 7 or 7,8,12; got '" + v + "'";
                    return false;
                }
                o.pick.push_back(n);
            }
            if (ok && (o.pick.empty() || o.pick.size() > 64)) {
                error = "--pick takes 1 to 64 indices";
                return false;
            }
        } else if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (!a.empty() && a[0] != '-' && o.open_path.empty()) {
            o.open_path = a;
        } else {
            error = "unknown option '" + a + "'";
            return false;
        }
        if (!ok) return false;
    }
    if (o.export_flags && o.export_request.out.empty() && o.export_tensors.empty()) {
        error = "--panel, --steps, --scale and the other export options need --export OUT";
        return false;
    }
    if (!o.pick.empty() && o.cifar.empty()) {
        error = "--pick needs --cifar FILE";
        return false;
    }
    return true;
}

void draw_panels(AppState& state) {
    Ui s(state);
    draw_main_menu(s);
    draw_layer(s);
    if (s.ws.transpose.active) {
        draw_transpose_input(s);
        draw_transpose_computation(s);
        draw_transpose_output(s);
        draw_transpose_sums(s);
        draw_transpose_kernels(s);
    } else {
        draw_input(s);
        draw_computation(s);
        draw_feature_maps(s);
        draw_channel_sums(s);
        draw_filters(s);
    }
    draw_playback(s);
    draw_data(s);
    draw_cifar_browser(s);
    draw_file_browser(s);
    if (!s.ws.transpose.active) draw_code(s);  // the Conv scene's layer as code; it comes back with Layer kind Conv
    draw_im2col(s);                            // Conv: im2col + GEMM; ConvTranspose: GEMM + col2im
    draw_compare(s);                           // Q2: batch and channels side by side (Conv only)
    draw_layouts(s);                           // Q6: PyTorch's and Keras's weight layouts (Conv only)
    draw_outside_paths_question(s);
    draw_lesson(s);
}

void open_from_command_line(AppState& s, const Options& o) {
    auto queue = [&](FilePurpose purpose, const std::string& path) {
        LoadRequest q;
        q.purpose = purpose;
        q.path = path;
        q.image = s.ws.image_options;
        if (purpose == FilePurpose::Cifar) q.pick = o.pick;
        s.ws.load_queue.push_back(q);
    };
    if (!o.scene.empty()) queue(FilePurpose::Scene, o.scene);
    if (!o.open_path.empty()) {
        if (const auto p = purpose_of_path(o.open_path))
            queue(*p, o.open_path);
        else
            s.push(intent::OpenPath{o.open_path});  // reports what it cannot open
    }
    if (!o.cifar.empty()) queue(FilePurpose::Cifar, o.cifar);
}

// --export-tensors and --export, after the scene and any script: 0 when every export was written.
int run_command_line_exports(AppState& s, const Options& o) {
    app_wait_loads(s.ws, 120.0);
    app_wait_idle(s, 60.0);
    if (s.ws.status_error) {
        std::fprintf(stderr, "convscope: %s\n", s.ws.status.c_str());
        return 1;
    }
    std::string error;
    if (!o.export_tensors.empty()) {
        std::vector<std::string> written;
        if (!export_scene_tensors(s.ws, o.export_tensors, o.export_request.force, error, &written)) {
            std::fprintf(stderr, "convscope: %s\n", error.c_str());
            return 1;
        }
        for (const std::string& p : written) std::printf("wrote %s\n", p.c_str());
    }
    if (!o.export_request.out.empty() && !run_export(s, o.export_request, draw_panels, error)) {
        std::fprintf(stderr, "convscope: %s\n", error.c_str());
        return 1;
    }
    return 0;
}

struct FrameStats {
    double mean = 0, p95 = 0;
};

FrameStats frame_stats(std::vector<double> v) {
    FrameStats f;
    if (v.empty()) return f;
    f.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    std::sort(v.begin(), v.end());
    f.p95 = v[std::min(v.size() - 1, static_cast<size_t>(0.95 * static_cast<double>(v.size())))];
    return f;
}

// --bench-frames: n frames that draw nothing but an empty ImGui frame, in the same window and run, so the scene's
// cost can be read as a ratio to what the platform (Xvfb + llvmpipe, or a real GPU) costs anyway.
std::vector<double> bench_empty_frames(int n) {
    std::vector<double> ms;
    double last = platform_time();
    for (int i = 0; i <= n && !platform_should_close(); ++i) {
        platform_begin_frame();
        platform_render();
        platform_swap();
        const double now = platform_time();
        if (i > 0) ms.push_back((now - last) * 1000.0);
        last = now;
    }
    return ms;
}

// --bench-frames: applies `settings` (script `set` pairs) and draws frames until the new layer's feature maps
// are installed and one frame has shown them. Returns the milliseconds from the edit to that frame's swap, or -1
// when it does not happen within 60 s (the status line says why).
double bench_edit_to_screen(AppState& s, const std::vector<std::pair<std::string, std::string>>& settings) {
    LayerEdit edit = s.ws.edit;  // every setting in one edit: one computation, as a user's single change would be
    for (const auto& [key, value] : settings) {
        std::string error;
        if (!convscope::workspace::apply_setting(edit, key, value, error)) {
            s.ws.status = error;
            return -1.0;
        }
    }
    const Scene* before = s.ws.scene.get();
    const double start = platform_time();
    s.push(intent::EditLayer{edit});
    while (!platform_should_close() && platform_time() - start < 60.0) {
        platform_begin_frame();
        app_begin_frame(s, 1.0 / 60.0);
        draw_panels(s);
        platform_render();
        platform_swap();
        // A new scene installed before this frame's panels drew: this swap showed the new maps. (s.ws.intents is not
        // a sign: panels record hover intents every frame.)
        if (s.ws.scene.get() != before && !app_scene_in_flight(s.ws)) return (platform_time() - start) * 1000.0;
    }
    return -1.0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    std::string error;
    if (!parse_args(argc, argv, opt, error)) {
        std::fprintf(stderr, "convscope: %s\n%s", error.c_str(), kUsage);
        return opt.export_flags ? 1 : 2;
    }
    if (const std::string missing = script_actions_missing(); !missing.empty()) {
        std::fprintf(stderr, "convscope: script verbs without an action: %s\n", missing.c_str());
        return 1;
    }
    if (opt.help_script) {
        std::printf("Script actions (convscope --script FILE; one per line, # starts a comment):\n%s",
                    script_help().c_str());
        return 0;
    }
    std::vector<ScriptAction> actions;
    if (!opt.script.empty()) {
        std::ifstream f(opt.script);
        if (!f) {
            std::fprintf(stderr, "convscope: cannot read script %s\n", opt.script.c_str());
            return 1;
        }
        std::stringstream text;
        text << f.rdbuf();
        if (!parse_script(text.str(), opt.script, actions, error)) {
            std::fprintf(stderr, "convscope: %s\n", error.c_str());
            return 1;
        }
    }
    if (!opt.screenshot.empty()) {
        actions.push_back({0, "frames", {std::to_string(opt.frames)}});
        actions.push_back({0, "screenshot", {opt.screenshot}});
    }
    const bool exporting = !opt.export_request.out.empty() || !opt.export_tensors.empty();
    if (exporting) actions.push_back({0, "frames", {std::to_string(opt.frames)}});
    const bool automated = !actions.empty() || opt.bench_frames > 0;

    PlatformConfig pc;
    pc.font_dir = opt.asset_dir + "/fonts";
    pc.vsync = !automated;
    if (!platform_open(pc, error)) {
        std::fprintf(stderr, "convscope: %s\n", error.c_str());
        if (exporting)
            std::fprintf(stderr,
                         "convscope: exports render the window offscreen and need a display; without one, "
                         "run: xvfb-run -a -s '-screen 0 1280x800x24' convscope ARGS...\n");
        return 1;
    }
    if (!gl_load_heatmap_program(opt.shader_dir, error)) {
        std::fprintf(stderr, "convscope: %s\n", error.c_str());
        platform_close();
        return 1;
    }
    int exit_code = 0;
    {
        AppState s;
        s.ws.settings_dir = opt.settings_dir ? *opt.settings_dir : automated ? std::string() : default_settings_dir();
        app_init(s.ws, opt.asset_dir);
        s.ws.allow_outside_paths = opt.allow_outside_paths;
        s.view.show_frame_time = actions.empty();
        open_from_command_line(s, opt);
        if (!opt.lesson.empty() && !app_start_lesson(s, opt.lesson)) {
            std::fprintf(stderr, "convscope: %s\n", s.ws.status.c_str());
            exit_code = 1;
        }
        export_attach(s, draw_panels);
        ScriptRunner runner(std::move(actions));
        if (exit_code != 0) platform_request_close();
        if (opt.bench_frames > 0) {
            app_wait_idle(s, 60.0);
            s.ws.speed = 60.0f;
            s.push(intent::SetPlaying{true});
        }
        std::vector<double> frame_ms;
        double last = platform_time();
        int frame = 0;
        int relayout_frames = 2;
        while (!platform_should_close()) {
            const double now = platform_time();
            const double dt = now - last;
            last = now;
            if (frame > 0) frame_ms.push_back(dt * 1000.0);
            s.view.frame_ms = s.view.frame_ms * 0.9 + dt * 1000.0 * 0.1;
            export_between_frames(s, draw_panels);  // File -> Export...: one export frame per iteration
            if (s.view.pending_ui_scale > 0.0f) {
                platform_set_ui_scale(s.view.pending_ui_scale);
                s.view.ui_scale = s.view.pending_ui_scale;
                s.view.pending_ui_scale = 0.0f;
                relayout_frames = 2;
            }
            if (s.view.request_relayout) relayout_frames = 2, s.view.request_relayout = false;
            s.view.relayout = relayout_frames > 0;
            if (!opt.script.empty() || !opt.screenshot.empty() || exporting) runner.before_frame(s);
            platform_begin_frame();
            std::vector<std::string> dropped = platform_take_dropped_paths();
            if (dropped.size() > 1) {  // report every file that fails, not only the last
                s.ws.batch_total = s.ws.batch_left = dropped.size();
                s.ws.batch_errors.clear();
            }
            for (std::string& p : dropped) s.push(intent::OpenPath{std::move(p)});
            app_begin_frame(s, std::min(dt, 0.1));
            if (!export_running(s)) draw_panels(s);
            Ui ui(s);
            draw_export_windows(ui);
            platform_render();
            int w = 0, h = 0;
            platform_framebuffer_size(w, h);
            runner.after_render(s, w, h);
            platform_swap();
            if (relayout_frames > 0) --relayout_frames;
            ++frame;
            if ((!opt.script.empty() || !opt.screenshot.empty() || exporting) && runner.finished()) {
                exit_code = runner.exit_code();
                if (exit_code == 0 && exporting) exit_code = run_command_line_exports(s, opt);
                break;
            }
            if (opt.bench_frames > 0 && frame > opt.bench_frames) {
                if (s.ws.playing == false) s.push(intent::SetPlaying{true});
                break;
            }
            if (opt.bench_frames > 0 && !s.ws.playing) s.push(intent::SetPlaying{true});
        }
        if (opt.bench_frames > 0 && !frame_ms.empty()) {
            const FrameStats scene = frame_stats(frame_ms);
            const FrameStats empty = frame_stats(bench_empty_frames(opt.bench_frames));
            std::printf("frames %zu  mean %.2f ms  p95 %.2f ms\n", frame_ms.size(), scene.mean, scene.p95);
            std::printf("empty ImGui frame: mean %.2f ms  p95 %.2f ms; scene / empty: mean %.2f  p95 %.2f\n",
                        empty.mean, empty.p95, scene.mean / empty.mean, scene.p95 / empty.p95);
            // From a layer edit to the frame that shows its feature maps: the seed layer with padding 1 instead of
            // 2, then the ResNet stem (Conv2d(3, 64, 7, stride=2, padding=3) on 224x224), then back.
            s.push(intent::SetPlaying{false});
            const std::vector<std::pair<const char*, std::vector<std::pair<std::string, std::string>>>> edits = {
                {"S1 padding 2 -> 1", {{"padding", "1"}}},
                {"ResNet stem (3->64, 7x7, stride 2, padding 3, 224x224)",
                 {{"out_channels", "64"},
                  {"kernel_size", "7"},
                  {"stride", "2"},
                  {"padding", "3"},
                  {"height", "224"},
                  {"width", "224"}}},
                {"ResNet stem padding 3 -> 2", {{"padding", "2"}}},
            };
            for (const auto& [name, settings] : edits) {
                const double ms = bench_edit_to_screen(s, settings);
                if (ms < 0)
                    std::printf("edit to screen, %s: not shown within 60 s (%s)\n", name, s.ws.status.c_str());
                else
                    std::printf("edit to screen, %s: %.1f ms\n", name, ms);
            }
        }
        app_shutdown(s);
    }
    gl_shutdown();
    platform_close();
    return exit_code;
}
