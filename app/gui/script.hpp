// The window's side of the action script behind --script and --screenshot (the grammar, every verb's arguments
// and help text: app/workspace/script_grammar.hpp). One action runs per frame, so every action sees the state the
// previous one produced; every action first waits for a load in progress and applies its result, so `open_cifar F`
// then `pick 7` works. `screenshot` and `dump` first wait for the compute worker and let the picture settle for two
// frames.
#pragma once

#include <string>
#include <vector>

#include "app_state.hpp"
#include "script_grammar.hpp"

namespace convscope::gui {

// Verbs of the grammar without an action here (or actions without a verb): empty when the two agree.
std::string script_actions_missing();

// Runs one action at once (lesson steps): its intents are queued; waits and captures do nothing here.
bool run_script_action(AppState& s, const ScriptAction& a, std::string& error);

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
