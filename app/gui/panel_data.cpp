#include <algorithm>
#include <string>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

std::string input_text(const Ui& s) {
    const SceneInput& in = s.ws.scene->input_source;
    switch (in.kind) {
        case SceneInput::Kind::Builtin:
            return "generated: " + s.ws.scene->image_kind;
        case SceneInput::Kind::Cifar: {
            std::string t = "CIFAR " + file_name(in.path) + " images ";
            for (size_t i = 0; i < in.indices.size() && i < 10; ++i)
                t += (i ? "," : "") + std::to_string(in.indices[i]);
            return t + (in.greyscale ? " (greyscale)" : "");
        }
        case SceneInput::Kind::Image:
            return "picture " + in.path;
        case SceneInput::Kind::Embedded:
            return "numbers stored in the scene: " + s.ws.scene->image_kind;
    }
    return "";
}

std::string weights_text(const Ui& s) {
    const SceneWeights& w = s.ws.scene->weight_source;
    switch (w.kind) {
        case SceneWeights::Kind::Builtin:
            return "built-in: designed filters + PyTorch's seeded init";
        case SceneWeights::Kind::Embedded:
            return "numbers stored in the scene (edited or generated)";
        case SceneWeights::Kind::Npy:
            return w.weight_path + (w.layout == WeightLayout::Keras ? " (Keras layout)" : " (PyTorch layout)") +
                   (w.bias_path.empty() ? "" : ", bias " + w.bias_path);
        case SceneWeights::Kind::Onnx:
            return "ONNX " + file_name(w.onnx_path) + ", node " + w.onnx_node;
    }
    return "";
}

void input_section(Ui& s) {
    ImGui::TextColored(accent_text(), "Input");
    ImGui::TextWrapped("%s", input_text(s).c_str());
    if (ImGui::Button("Open image...")) app_open_browser(s.view, s.ws, FilePurpose::Image);
    ImGui::SameLine();
    if (ImGui::Button("Open CIFAR...")) app_open_browser(s.view, s.ws, FilePurpose::Cifar);
    ImageOptions o = s.ws.image_options;
    bool changed = false;
    changed |= ImGui::RadioButton("RGB", !o.greyscale) && (o.greyscale = false, true);
    ImGui::SameLine();
    changed |= ImGui::RadioButton("greyscale", o.greyscale) && (o.greyscale = true, true);
    ImGui::SameLine();
    ImGui::TextUnformatted("  fit");
    ImGui::SameLine();
    changed |= ImGui::RadioButton("area resize", !o.center_crop) && (o.center_crop = false, true);
    ImGui::SameLine();
    changed |= ImGui::RadioButton("centre crop", o.center_crop) && (o.center_crop = true, true);
    int hw[2] = {static_cast<int>(o.height), static_cast<int>(o.width)};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
    if (ImGui::InputInt2("picture H, W", hw, ImGuiInputTextFlags_EnterReturnsTrue)) {
        o.height = std::clamp(hw[0], 1, 1024);
        o.width = std::clamp(hw[1], 1, 1024);
        changed = true;
    }
    help_marker(
        "Pictures are area-resized (every source pixel counted) or centre-cropped to H x W; the default is "
        "the 32 x 32 of CIFAR. Changing these re-converts the last picture opened.");
    if (changed) s.push(intent::SetImageOptions{o});
}

void weights_section(Ui& s) {
    ImGui::TextColored(accent_text(), "Weights");
    ImGui::TextWrapped("%s", weights_text(s).c_str());
    if (!s.ws.weights_info.text.empty()) ImGui::TextWrapped("%s", s.ws.weights_info.text.c_str());
    for (const std::string& n : s.ws.weights_info.notices) ImGui::TextColored(dim_text(), "%s", n.c_str());
    if (ImGui::Button("Load weights (.npy)...")) app_open_browser(s.view, s.ws, FilePurpose::Weights);
    ImGui::SameLine();
    if (ImGui::Button("Open ONNX...")) app_open_browser(s.view, s.ws, FilePurpose::Onnx);
}

void onnx_section(Ui& s) {
    const OnnxView& v = s.ws.onnx;
    if (!v.data) return;
    const OnnxModel& m = v.data->model;
    ImGui::TextColored(accent_text(), "ONNX %s", file_name(v.data->path).c_str());
    ImGui::TextColored(dim_text(), "producer %s %s, IR %lld", m.producer_name.c_str(), m.producer_version.c_str(),
                       static_cast<long long>(m.ir_version));
    if (!v.data->test_note.empty()) ImGui::TextWrapped("%s", v.data->test_note.c_str());
    const ImGuiTableFlags flags =
        ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp | ImGuiTableFlags_ScrollY;
    const float h = std::min(ImGui::GetTextLineHeightWithSpacing() * 8.0f, ImGui::GetContentRegionAvail().y * 0.5f);
    if (ImGui::BeginTable("##convs", 4, flags, ImVec2(0, std::max(h, 80.0f)))) {
        ImGui::TableSetupColumn("Conv node");
        ImGui::TableSetupColumn("weight");
        ImGui::TableSetupColumn("attributes");
        ImGui::TableSetupColumn("problem");
        ImGui::TableHeadersRow();
        for (const OnnxNode& n : m.nodes) {
            if (n.op != OnnxOp::Conv) continue;
            ImGui::PushID(n.index);
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (ImGui::Selectable(n.label().c_str(), v.selected == n.index, ImGuiSelectableFlags_SpanAllColumns))
                s.push(intent::SelectOnnxNode{n.index});
            ImGui::TableNextColumn();
            const OnnxInitializer* w = n.inputs.size() > 1 ? m.find_initializer(n.inputs[1]) : nullptr;
            ImGui::TextUnformatted(w ? shape_to_string(w->shape).c_str() : "(computed)");
            ImGui::TableNextColumn();
            std::string attrs;
            for (const OnnxAttribute& a : n.attributes)
                attrs += (attrs.empty() ? "" : ", ") + a.name + "=" + a.value_text;
            ImGui::TextWrapped("%s", attrs.empty() ? "(defaults)" : attrs.c_str());
            ImGui::TableNextColumn();
            if (!n.problem.empty()) ImGui::TextColored(error_text(), "%s", n.problem.c_str());
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    ImGui::BeginDisabled(v.selected < 0);
    if (ImGui::Button("Use this Conv node")) s.push(intent::UseOnnxNode{v.selected, s.view.onnx_test_input});
    ImGui::EndDisabled();
    if (v.data->test_input) {
        ImGui::SameLine();
        ImGui::Checkbox("with test_data_set_0's input", &s.view.onnx_test_input);
    }
    if (!v.note.empty()) ImGui::TextWrapped("%s", v.note.c_str());
    if (v.max_diff)
        ImGui::TextColored(*v.max_diff <= 1e-4f ? accent_text() : error_text(), "max |y - output_0.pb| = %.3g",
                           static_cast<double>(*v.max_diff));
}

}  // namespace

void draw_data(Ui& s) {
    if (!s.view.show_data) return;
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.23f, ImGui::GetFrameHeight() + 40.0f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(d.x * 0.48f, d.y * 0.62f), ImGuiCond_FirstUseEver);
    if (begin_panel("Data", &s.view.show_data)) {
        if (!s.ws.status.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, s.ws.status_error ? error_text() : dim_text());
            ImGui::TextWrapped("%s", s.ws.status.c_str());
            ImGui::PopStyleColor();
            ImGui::Separator();
        }
        input_section(s);
        ImGui::Separator();
        weights_section(s);
        ImGui::Separator();
        onnx_section(s);
        ImGui::Separator();
        if (ImGui::Button("Open scene...")) app_open_browser(s.view, s.ws, FilePurpose::Scene);
        ImGui::SameLine();
        if (ImGui::Button("Save scene as...")) app_open_browser(s.view, s.ws, FilePurpose::SaveScene);
        if (!s.ws.scene_path.empty()) {
            ImGui::SameLine();
            ImGui::TextColored(dim_text(), "%s", s.ws.scene_path.c_str());
        }
    }
    ImGui::End();
}

}  // namespace convscope::gui
