// The action script behind --script and --screenshot: one action per line, run one per frame, so every
// action sees the state the previous one produced. `screenshot` and `dump` first wait for the compute worker
// and let the picture settle for two frames.
//
//   set KEY VALUE        dims|in_channels|out_channels|kernel_size|stride|padding|dilation|groups|bias|
//                        padding_mode|batch|input_channels|height|width|length   (per-dim values as "3,5";
//                        padding also 'same'/'valid')
//   preset NAME          default, batch_vs_channel, channel_stack, conv1d, same_16, keras_same, padding_modes
//   step N | seek N | start | end | play | pause | speed S | granularity position|channel|mac
//   cursor n c y x       move to an output position (Conv1d: cursor n c x)
//   select C             output channel C at the same (n, y, x)
//   hover c y x | hover n c y x | hover off      pin the hovered input pixel
//   zoom input|fmap|filters PX     reveal on|off     ui_scale F
//   after show|hide | after relu on|off | after pool none | after pool max|avg KERNEL STRIDE
//                        the Feature maps panel's "then ReLU + pool" tab and its layers
//   mouse X Y | mouse off    ImGui sees the mouse at window pixel (X, Y) from the next frame (hover tooltips)
//   click X Y            a left click there (button down for one frame, then up); the mouse stays there
//   drop PATH [PATH...]  files handled as if dropped on the window (purpose from the extension; opened in order)
//   frames N | wait | screenshot PATH | dump PATH | expect_error [TEXT] | expect_ok
//   open_image PATH | open_cifar PATH | pick I[,J...] | load_weights PATH [BIAS.npy] [keras|pytorch]
//   open_onnx PATH | use_onnx NODE_INDEX [test_input] | open_scene PATH | save_scene PATH [overwrite]
//   expect_status [TEXT]     the status line (last load/save outcome) contains TEXT
//   window cifar|data|browser on|off   (browser on: the file browser, as for Load weights)
//   export OUT [--panel NAME] [--steps A:B|all|row] [--granularity G] [--fps F] [--hold S] [--scale S]
//          [--theme dark|light] [--caption] [--once] [--force]     as the --export command line (export_plan.hpp)
//   export_tensors DIR [force]                                     as --export-tensors
// Every action first waits for a load in progress and applies its result, so `open_cifar F` then `pick 7` works.
// Blank lines and lines starting with # are ignored. Unknown lines are an error before anything runs.
#pragma once

#include <string>
#include <vector>

#include "app_state.hpp"

namespace convscope::gui {

struct ScriptAction {
    int line = 0;
    std::string verb;
    std::vector<std::string> args;
};

// Parses and checks every line. Returns false with "FILE:LINE: why" in `error`.
bool parse_script(const std::string& text, const std::string& name, std::vector<ScriptAction>& out, std::string& error);

// Applies `set KEY VALUE` to an edit; false with a message when the key or value is not understood.
bool apply_setting(LayerEdit& edit, const std::string& key, const std::string& value, std::string& error);

class ScriptRunner {
public:
    explicit ScriptRunner(std::vector<ScriptAction> actions) : actions_(std::move(actions)) {}

    // Before app_begin_frame: runs the next action (intents) or counts down a wait.
    void before_frame(AppState& s);
    // After the frame is rendered, before it is swapped: screenshots and dumps.
    void after_render(AppState& s, int width, int height);

    bool finished() const { return failed_ || (index_ >= actions_.size() && !capture_); }
    int exit_code() const { return failed_ ? 1 : 0; }

private:
    void fail(const ScriptAction& a, const std::string& why);

    std::vector<ScriptAction> actions_;
    size_t index_ = 0;
    int wait_frames_ = 0;
    int settle_ = 0;
    bool capture_ = false;  // actions_[index_] is a screenshot/dump waiting for the picture to settle
    bool failed_ = false;
};

// Writes the dump JSON (on-screen rectangles, cursor state, error) for the frame just drawn.
bool write_dump(const AppState& s, const std::string& path, int width, int height, std::string& error);
bool write_screenshot(const std::string& path, int width, int height, std::string& error);

}  // namespace convscope::gui
