// Data in, the window's side: the file browser opening on a purpose, and the CIFAR browser's filtered list.
#include <cstdio>
#include <filesystem>

#include "app_state.hpp"

namespace convscope::gui {

namespace fs = std::filesystem;

void app_open_browser(ViewSettings& view, const Workspace& ws, FilePurpose purpose) {
    FileBrowser& b = view.browser;
    b.open_requested = true;
    b.purpose = purpose;
    b.confirm_overwrite.clear();
    std::error_code ec;
    if (b.dir.empty()) b.dir = fs::current_path(ec).string();
    b.path_text[0] = '\0';
    if (purpose == FilePurpose::SaveScene) {
        const std::string name =
            ws.scene_path.empty() || ws.scene_path_builtin ? "lesson.json" : file_name(ws.scene_path);
        std::snprintf(b.path_text.data(), b.path_text.size(), "%s", (fs::path(b.dir) / name).string().c_str());
    }
}

void app_update_cifar_view(AppState& s) {
    CifarView& v = s.view.cifar;
    const std::shared_ptr<const CifarDataset>& set = s.ws.cifar.set;
    if (!set) return;
    const std::pair<const CifarDataset*, int> key{set.get(), v.class_filter};
    if (v.shown_key != key) {
        v.shown_key = key;
        v.shown.clear();
        for (int64_t i = 0; i < set->size(); ++i)
            if (v.class_filter < 0 || set->images[static_cast<size_t>(i)].label == v.class_filter) v.shown.push_back(i);
        ++v.generation;
    }
}

}  // namespace convscope::gui
