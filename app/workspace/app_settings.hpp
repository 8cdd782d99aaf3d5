// The window's remembered preferences: <settings dir>/settings.json (the folder of recent.json; data_in.hpp says
// which folder, and that scripted runs keep none unless --settings-dir names one).
//   {"version": 1, "conventions": "pytorch" | "keras"}
// Unknown keys are ignored (a newer convscope may add some); a known key with a value this version does not know is
// refused by name and the default kept.
#pragma once

#include <optional>
#include <string>

#include "conventions.hpp"

namespace convscope::workspace {

struct AppSettings {
    Convention conventions = Convention::PyTorch;
};

std::string app_settings_path(const std::string& settings_dir);  // "" when settings_dir is ""

// Reads the settings; a missing file or no folder gives the defaults and true. On a bad file: false, the defaults,
// and `error` naming the file and the field.
bool app_settings_load(const std::string& settings_dir, AppSettings& out, std::string& error);
// Writes atomically (temp file + rename). Without a settings folder nothing is written and the result is true.
bool app_settings_save(const std::string& settings_dir, const AppSettings& settings, std::string& error);

// "pytorch" / "keras" (settings, scene files and script words), and back; nullopt for any other word.
const char* convention_key(Convention c);
std::optional<Convention> convention_from_key(const std::string& key);

}  // namespace convscope::workspace
