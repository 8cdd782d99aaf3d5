#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "panels.hpp"
#include "utf8.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxEntries = 5000;
constexpr const char* kPopup = "Choose a file##browser";

void list_dir(FileBrowser& b) {
    b.entries.clear();
    b.list_error.clear();
    b.listed_dir = b.dir;
    std::error_code ec;
    fs::directory_iterator it(b.dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
        b.list_error = b.dir + ": " + ec.message();
        return;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;
        FileBrowser::Entry e;
        e.name = name;
        e.directory = it->is_directory(ec);
        if (!e.directory) e.size = static_cast<int64_t>(it->file_size(ec));
        b.entries.push_back(std::move(e));
        if (b.entries.size() >= kMaxEntries) {
            b.list_error = "showing the first " + std::to_string(kMaxEntries) + " entries";
            break;
        }
    }
    std::sort(b.entries.begin(), b.entries.end(),
              [](const auto& a, const auto& c) { return a.directory != c.directory ? a.directory : a.name < c.name; });
}

void set_path(FileBrowser& b, const std::string& p) {
    std::snprintf(b.path_text.data(), b.path_text.size(), "%s", p.c_str());
}

void go_to(FileBrowser& b, const fs::path& dir) {
    std::error_code ec;
    const fs::path d = fs::weakly_canonical(dir, ec);
    b.dir = (ec ? dir : d).string();
}

std::string size_text(int64_t bytes) {
    char buf[32];
    if (bytes >= (int64_t{1} << 20))
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1048576.0);
    else if (bytes >= 1024)
        std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    return buf;
}

// Returns true when the modal should close.
bool accept(Ui& s, bool overwrite) {
    FileBrowser& b = s.view.browser;
    std::string path = b.path_text.data();
    if (path.empty()) return false;
    if (fs::path(path).is_relative()) path = (fs::path(b.dir) / path).string();
    if (b.purpose == FilePurpose::SaveScene) {
        if (fs::path(path).extension().empty()) path += ".json";
        std::error_code ec;
        if (fs::exists(path, ec) && !overwrite) {
            b.confirm_overwrite = path;
            return false;
        }
        s.push(intent::SaveScene{path, true, scene_view_of(s.view)});
        return true;
    }
    LoadRequest q;
    q.purpose = b.purpose;
    q.path = path;
    q.bias_path = b.purpose == FilePurpose::Weights ? std::string(b.bias_text.data()) : std::string();
    if (!q.bias_path.empty() && fs::path(q.bias_path).is_relative())
        q.bias_path = (fs::path(b.dir) / q.bias_path).string();
    q.layout = b.layout;
    q.image = s.ws.image_options;
    q.cifar_greyscale = s.ws.cifar.greyscale;
    s.push(intent::Open{q});
    return true;
}

const char* title(FilePurpose p) {
    switch (p) {
        case FilePurpose::Image:
            return "Open image";
        case FilePurpose::Cifar:
            return "Open CIFAR batch, folder or .tar.gz";
        case FilePurpose::Weights:
            return "Load weights (.npy)";
        case FilePurpose::Bias:
            return "Bias (.npy)";
        case FilePurpose::Onnx:
            return "Open ONNX model";
        case FilePurpose::Scene:
            return "Open scene";
        case FilePurpose::SaveScene:
            return "Save scene as";
    }
    return "Open";
}

}  // namespace

void draw_file_browser(Ui& s) {
    FileBrowser& b = s.view.browser;
    if (b.open_requested) {
        ImGui::OpenPopup(kPopup);
        b.open_requested = false;
        b.listed_dir.clear();
    }
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowSize(ImVec2(std::min(760.0f, d.x - 40.0f), std::min(520.0f, d.y - 60.0f)), ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.5f, d.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    if (!ImGui::BeginPopupModal(kPopup, nullptr, ImGuiWindowFlags_NoSavedSettings)) return;
    if (b.listed_dir != b.dir) list_dir(b);
    bool close = false;

    ImGui::TextColored(accent_text(), "%s", title(b.purpose));
    ImGui::SameLine();
    ImGui::TextColored(dim_text(), "(%s)", purpose_extensions(b.purpose));
    if (ImGui::Button("Up")) go_to(b, fs::path(b.dir).parent_path());
    ImGui::SameLine();
    if (ImGui::Button("Home"))
        if (const char* home = std::getenv("HOME")) go_to(b, home);
    ImGui::SameLine();
    if (ImGui::Button("Working dir")) {
        std::error_code ec;
        go_to(b, fs::current_path(ec));
    }
    ImGui::SameLine();
    ImGui::PushFont(mono_font());
    ImGui::TextUnformatted(b.dir.c_str());
    ImGui::PopFont();

    ImGui::SetNextItemWidth(-1);
    const bool enter = ImGui::InputTextWithHint("##path", "file name or full path", b.path_text.data(),
                                                b.path_text.size(), ImGuiInputTextFlags_EnterReturnsTrue);
    if (enter) close = accept(s, false);

    const float bottom = ImGui::GetFrameHeightWithSpacing() * (b.purpose == FilePurpose::Weights ? 3.2f : 2.2f);
    const float list_h = std::max(80.0f, ImGui::GetContentRegionAvail().y - bottom);
    const float recent_w = ImGui::GetContentRegionAvail().x * 0.3f;
    ImGui::BeginChild("##recent", ImVec2(recent_w, list_h), true);
    ImGui::TextColored(dim_text(), "Recent");
    int shown = 0;
    for (size_t i = 0; i < s.ws.recent.size(); ++i) {
        const RecentFile& r = s.ws.recent[i];
        const bool match =
            r.purpose == b.purpose || (b.purpose == FilePurpose::SaveScene && r.purpose == FilePurpose::Scene);
        if (!match) continue;
        ImGui::PushID(static_cast<int>(i));
        if (ImGui::Selectable(file_name(r.path).c_str(), false, ImGuiSelectableFlags_AllowDoubleClick)) {
            set_path(b, r.path);
            go_to(b, fs::path(r.path).parent_path());
            if (ImGui::IsMouseDoubleClicked(0)) close = accept(s, false);
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.path.c_str());
        ImGui::PopID();
        ++shown;
    }
    if (shown == 0) ImGui::TextColored(dim_text(), "(none yet)");
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("##entries", ImVec2(0, list_h), true);
    if (!b.list_error.empty()) ImGui::TextColored(error_text(), "%s", b.list_error.c_str());
    const std::string dir = b.dir;
    for (size_t i = 0; i < b.entries.size(); ++i) {
        const FileBrowser::Entry& e = b.entries[i];
        const bool folder_pick = e.directory && b.purpose == FilePurpose::Cifar;
        if (!e.directory && !purpose_accepts(b.purpose, e.name)) continue;
        ImGui::PushID(static_cast<int>(i));
        const std::string label = e.directory ? "[" + e.name + "]" : e.name;
        const std::string full = (fs::path(dir) / e.name).string();
        if (ImGui::Selectable(label.c_str(), full == b.path_text.data(), ImGuiSelectableFlags_AllowDoubleClick)) {
            if (e.directory && (!folder_pick || ImGui::IsMouseDoubleClicked(0))) {
                go_to(b, full);
            } else {
                set_path(b, full);
                if (ImGui::IsMouseDoubleClicked(0)) close = accept(s, false);
            }
        }
        if (!e.directory) {
            ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.78f);
            ImGui::TextColored(dim_text(), "%s", size_text(e.size).c_str());
        }
        ImGui::PopID();
    }
    ImGui::EndChild();

    if (b.purpose == FilePurpose::Weights) {
        ImGui::TextUnformatted("layout");
        ImGui::SameLine();
        if (ImGui::RadioButton("PyTorch (out, in/groups, kH, kW)", b.layout == WeightLayout::PyTorch))
            b.layout = WeightLayout::PyTorch;
        ImGui::SameLine();
        if (ImGui::RadioButton("Keras (kH, kW, in, out)", b.layout == WeightLayout::Keras))
            b.layout = WeightLayout::Keras;
        help_marker(
            "1-D weights: PyTorch (out, in/groups, L), Keras (L, in, out). The weight is converted to PyTorch's "
            "layout; the Data window shows the permutation applied.");
        ImGui::SetNextItemWidth(-1);
        ImGui::InputTextWithHint("##bias", "bias .npy (optional; select a file above, then 'Use as bias')",
                                 b.bias_text.data(), b.bias_text.size());
    }
    if (!b.confirm_overwrite.empty()) {
        ImGui::TextColored(error_text(), "%s exists.", file_name(b.confirm_overwrite).c_str());
        ImGui::SameLine();
        if (ImGui::Button("Overwrite")) {
            set_path(b, b.confirm_overwrite);
            close = accept(s, true);
        }
        ImGui::SameLine();
        if (ImGui::Button("Keep it")) b.confirm_overwrite.clear();
    }
    const char* ok = b.purpose == FilePurpose::SaveScene ? "Save" : "Open";
    if (ImGui::Button(ok, ImVec2(ImGui::GetFontSize() * 6.0f, 0))) close = accept(s, false);
    ImGui::SameLine();
    if (b.purpose == FilePurpose::Cifar && ImGui::Button("Open this folder")) {
        set_path(b, b.dir);
        close = accept(s, false);
    }
    if (b.purpose == FilePurpose::Weights) {
        ImGui::SameLine();
        if (ImGui::Button("Use as bias")) {
            std::snprintf(b.bias_text.data(), b.bias_text.size(), "%s", b.path_text.data());
            b.path_text[0] = '\0';
        }
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) close = true;
    if (close) {
        b.confirm_overwrite.clear();
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

void draw_outside_paths_question(Ui& s) {
    constexpr const char* kQuestion = "Files outside the scene's folder";
    if (!s.ws.outside_request) return;
    if (!ImGui::IsPopupOpen(kQuestion)) ImGui::OpenPopup(kQuestion);
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.5f, d.y * 0.5f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(0, 0), ImVec2(d.x - 40.0f, d.y - 60.0f));
    if (!ImGui::BeginPopupModal(kQuestion, nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
    ImGui::Text("%s names %s outside its own folder:", file_name(s.ws.outside_request->path).c_str(),
                s.ws.outside_paths.size() == 1 ? "a file" : "files");
    for (const ScenePath& p : s.ws.outside_paths)
        ImGui::BulletText("%s = %s", p.key.c_str(), escape_invalid_utf8(p.path).c_str());
    ImGui::TextUnformatted("Nothing has been read yet. Load them only if you trust where the scene came from.");
    if (ImGui::Button("Load them")) {
        s.push(intent::AnswerOutsidePaths{true});
        ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGuiKey_Escape)) {
        s.push(intent::AnswerOutsidePaths{false});
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
}

}  // namespace convscope::gui
