#include "app_settings.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace convscope::workspace {

namespace fs = std::filesystem;

const char* convention_key(Convention c) { return c == Convention::Keras ? "keras" : "pytorch"; }

std::optional<Convention> convention_from_key(const std::string& key) {
    if (key == "pytorch") return Convention::PyTorch;
    if (key == "keras") return Convention::Keras;
    return std::nullopt;
}

std::string app_settings_path(const std::string& settings_dir) {
    return settings_dir.empty() ? std::string() : (fs::path(settings_dir) / "settings.json").string();
}

bool app_settings_load(const std::string& settings_dir, AppSettings& out, std::string& error) {
    out = AppSettings{};
    const std::string path = app_settings_path(settings_dir);
    if (path.empty()) return true;
    std::error_code ec;
    if (!fs::exists(path, ec)) return true;
    try {
        if (!fs::is_regular_file(path) || fs::file_size(path) > (1u << 20))
            throw std::runtime_error("not a small regular file");
        std::ifstream f(path);
        const nlohmann::json j = nlohmann::json::parse(f);
        if (!j.is_object()) throw std::runtime_error("the top level must be a JSON object");
        if (const auto it = j.find("conventions"); it != j.end()) {
            const std::string word = it->is_string() ? it->get<std::string>() : it->dump();
            const auto c = convention_from_key(word);
            if (!c) throw std::runtime_error("\"conventions\" must be \"pytorch\" or \"keras\", found " + it->dump());
            out.conventions = *c;
        }
    } catch (const std::exception& e) {
        out = AppSettings{};
        error = "settings not read from " + path + ": " + e.what();
        return false;
    }
    return true;
}

bool app_settings_save(const std::string& settings_dir, const AppSettings& settings, std::string& error) {
    const std::string path = app_settings_path(settings_dir);
    if (path.empty()) return true;
    const nlohmann::json j = {{"version", 1}, {"conventions", convention_key(settings.conventions)}};
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << j.dump(1) << "\n";
        if (!f.flush()) {
            error = "settings not saved to " + path + ": cannot write " + tmp;
            fs::remove(tmp, ec);
            return false;
        }
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        error = "settings not saved to " + path + ": " + ec.message();
        fs::remove(tmp, ec);
        return false;
    }
    return true;
}

}  // namespace convscope::workspace
