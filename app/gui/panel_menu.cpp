#include <string>

#include "export_render.hpp"
#include "panels.hpp"
#include "platform.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

void save(Ui& s) {
    if (!s.ws.scene_path.empty() && !s.ws.scene_path_builtin)
        s.push(intent::SaveScene{s.ws.scene_path, true, scene_view_of(s.view)});
    else
        app_open_browser(s.view, s.ws, FilePurpose::SaveScene);
}

void handle_shortcuts(Ui& s) {
    const ImGuiIO& io = ImGui::GetIO();
    if (!io.KeyCtrl || io.WantTextInput) return;
    if (ImGui::IsKeyPressed('S', false)) {
        if (io.KeyShift)
            app_open_browser(s.view, s.ws, FilePurpose::SaveScene);
        else
            save(s);
    }
    if (ImGui::IsKeyPressed('O', false)) app_open_browser(s.view, s.ws, FilePurpose::Scene);
    export_shortcuts(s);
}

void file_menu(Ui& s) {
    if (ImGui::MenuItem("Open image...")) app_open_browser(s.view, s.ws, FilePurpose::Image);
    if (ImGui::MenuItem("Open CIFAR...")) app_open_browser(s.view, s.ws, FilePurpose::Cifar);
    if (ImGui::MenuItem("Load weights (.npy)...")) app_open_browser(s.view, s.ws, FilePurpose::Weights);
    if (ImGui::MenuItem("Open ONNX...")) app_open_browser(s.view, s.ws, FilePurpose::Onnx);
    if (ImGui::MenuItem("Open lesson...")) s.view.show_lessons = true;
    ImGui::Separator();
    if (ImGui::MenuItem("Open scene...", "Ctrl+O")) app_open_browser(s.view, s.ws, FilePurpose::Scene);
    if (ImGui::MenuItem("Save scene", "Ctrl+S")) save(s);
    if (ImGui::MenuItem("Save scene as...", "Ctrl+Shift+S")) app_open_browser(s.view, s.ws, FilePurpose::SaveScene);
    ImGui::Separator();
    export_menu_items(s);
    ImGui::Separator();
    if (ImGui::BeginMenu("Recent", !s.ws.recent.empty())) {
        for (size_t i = 0; i < s.ws.recent.size(); ++i) {
            const RecentFile& r = s.ws.recent[i];
            ImGui::PushID(static_cast<int>(i));
            const std::string label = std::string(purpose_name(r.purpose)) + ": " + file_name(r.path);
            if (ImGui::MenuItem(label.c_str())) {
                LoadRequest q;
                q.purpose = r.purpose;
                q.path = r.path;
                q.image = s.ws.image_options;
                q.cifar_greyscale = s.ws.cifar.greyscale;
                s.push(intent::Open{q});
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", r.path.c_str());
            ImGui::PopID();
        }
        ImGui::EndMenu();
    }
}

void view_menu(Ui& s) {
    ImGui::MenuItem("Data (sources, weights, ONNX)", nullptr, &s.view.show_data);
    ImGui::MenuItem("CIFAR browser", nullptr, &s.view.show_cifar);
    ImGui::MenuItem("Code (PyTorch, Keras, NumPy, ONNX)", nullptr, &s.view.code.open);
    ImGui::MenuItem("im2col / GEMM", nullptr, &s.view.im2col.open);
    ImGui::MenuItem("Batch vs channel (Q2)", nullptr, &s.view.compare.open);
    ImGui::MenuItem("Weight layouts: PyTorch vs Keras (Q6)", nullptr, &s.view.layouts.open);
    if (ImGui::BeginMenu("Conventions")) {
        for (const Convention c : {Convention::PyTorch, Convention::Keras}) {
            const bool keras = c == Convention::Keras;
            if (ImGui::MenuItem(keras ? "Keras: (N, H, W, C), kernel (kH, kW, in, filters)"
                                      : "PyTorch: (N, C, H, W), weight (out, in, kH, kW)",
                                nullptr, s.ws.conventions == c))
                s.push(intent::SetConventions{c});
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("UI scale")) {
        for (float f : {0.75f, 1.0f, 1.25f, 1.5f, 2.0f}) {
            const std::string label = std::to_string(static_cast<int>(f * 100.0f + 0.5f)) + "%";
            if (ImGui::MenuItem(label.c_str(), nullptr, s.view.ui_scale == f)) {
                s.view.ui_scale = f;
                s.push(intent::SetUiScale{f});
            }
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Theme")) {
        if (ImGui::MenuItem("Dark", nullptr, !platform_light_theme())) platform_set_light_theme(false);
        if (ImGui::MenuItem("Light (slides, print)", nullptr, platform_light_theme())) platform_set_light_theme(true);
        ImGui::EndMenu();
    }
}

void status_line(Ui& s) {
    const float avail = ImGui::GetContentRegionAvail().x;
    if (s.ws.loader.busy()) {
        const std::string text = "Loading " + file_name(s.ws.loader.request().path);
        ImGui::ProgressBar(s.ws.loader.progress(), ImVec2(std::min(avail, 320.0f), 0), text.c_str());
        return;
    }
    if (s.ws.status.empty()) return;
    std::string text = s.ws.status;
    const float w = ImGui::CalcTextSize(text.c_str()).x;
    if (w > avail - 8.0f) {
        while (!text.empty() && ImGui::CalcTextSize((text + "...").c_str()).x > avail - 8.0f) text.pop_back();
        text += "...";
    }
    ImGui::TextColored(s.ws.status_error ? error_text() : dim_text(), "%s", text.c_str());
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
        ImGui::TextUnformatted(s.ws.status.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void about(Ui& s) {
    if (!s.view.show_about) return;
    ImGui::SetNextWindowSize(ImVec2(420, 0), ImGuiCond_FirstUseEver);
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.5f, d.y * 0.4f), ImGuiCond_FirstUseEver, ImVec2(0.5f, 0.5f));
    if (ImGui::Begin("About convscope", &s.view.show_about, ImGuiWindowFlags_NoCollapse)) {
        ImGui::TextWrapped(
            "convscope shows exactly how a convolution layer computes: every window, every "
            "multiply-add, with PyTorch's own shapes and error messages.");
        ImGui::TextColored(dim_text(),
                           "Bring your own data from the File menu: pictures, CIFAR-10/100 batches, .npy "
                           "weights (PyTorch or Keras layout), ONNX Conv nodes, and scene files.");
    }
    ImGui::End();
}

}  // namespace

void draw_main_menu(Ui& s) {
    handle_shortcuts(s);
    if (ImGui::BeginMainMenuBar()) {
        if (ImGui::BeginMenu("File")) {
            file_menu(s);
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("View")) {
            view_menu(s);
            ImGui::EndMenu();
        }
        if (ImGui::BeginMenu("Help")) {
            ImGui::MenuItem("Lessons...", nullptr, &s.view.show_lessons);
            if (s.ws.lesson && ImGui::MenuItem("Leave the lesson")) s.push(intent::LessonClose{});
            ImGui::Separator();
            ImGui::MenuItem("About", nullptr, &s.view.show_about);
            ImGui::EndMenu();
        }
        ImGui::Dummy(ImVec2(ImGui::GetFontSize(), 0));
        ImGui::SameLine();
        status_line(s);
        s.geometry.menu_height = ImGui::GetWindowSize().y;
        ImGui::EndMainMenuBar();
    }
    about(s);
}

}  // namespace convscope::gui
