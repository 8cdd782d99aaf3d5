// The action language behind `convscope --script FILE`, lessons and tests: one action per line, `verb args...`.
// Every verb lives in ONE table (script_verbs()): its name, how many arguments it takes, how they are checked, and
// its help text (`convscope --help-script` prints it). The window (app/gui/script.cpp) maps each verb to what it
// does and refuses to start if a verb has no action. Blank lines and lines starting with # are ignored; an unknown
// verb or a bad argument is "FILE:LINE: why" before anything runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cursor.hpp"
#include "scene.hpp"

namespace convscope::workspace {

struct ScriptAction {
    int line = 0;
    std::string verb;
    std::vector<std::string> args;
};

struct VerbSpec {
    std::string_view name;
    size_t min_args = 0, max_args = 0;
    std::string_view usage;  // "cursor n c y x | cursor n c x"
    std::string_view help;   // what it does, one or two lines
    // Checks the arguments (their count is already in range); false with `why`. Null: any words are fine.
    bool (*check)(const ScriptAction& a, std::string& why) = nullptr;
};

const std::vector<VerbSpec>& script_verbs();
const VerbSpec* find_verb(std::string_view name);

// Parses one line (already without its newline). Returns false with "NAME:LINE: why"; a blank or comment line
// gives true with an empty verb.
bool parse_script_line(const std::string& line, const std::string& name, int number, ScriptAction& out,
                       std::string& error);
// Parses and checks every line. Returns false with "NAME:LINE: why" in `error` and nothing in `out`.
bool parse_script(const std::string& text, const std::string& name, std::vector<ScriptAction>& out, std::string& error);

// Every verb's usage and help, one block per verb, in table order.
std::string script_help();

// Applies `set KEY VALUE` to an edit; false with a message when the key or value is not understood.
bool apply_setting(LayerEdit& edit, const std::string& key, const std::string& value, std::string& error);

// Argument readers shared by the checks and the actions.
bool script_int(const std::string& text, int64_t& value);                  // "12", "+3", "-1"
bool script_float(const std::string& text, float& value);                  // "1.5", "2e3" (finite)
bool script_int_pair(const std::string& text, std::vector<int64_t>& out);  // "3" or "3,5" (also "(3, 5)")
// `set` / `transpose_set` values: as script_int / script_int_pair, with the message for a value that is not one.
bool setting_int(const std::string& value, int64_t& n, std::string& error);
bool setting_int_pair(const std::string& value, std::vector<int64_t>& list, std::string& error);
bool script_bool(const std::string& text, bool& value);                           // true|True|1, false|False|0
bool script_index_list(const std::string& text, std::vector<int64_t>& out);       // "7" or "7,8,12": 1..64 indices >= 0
std::optional<Granularity> script_granularity(const std::string& text);           // position | channel | mac
std::string script_join(const std::vector<std::string>& words, size_t from = 0);  // words joined by spaces

}  // namespace convscope::workspace
