#include <string>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

struct FrameworkChoice {
    CodeFramework framework;
    const char* label;
};
constexpr FrameworkChoice kFrameworks[] = {{CodeFramework::PyTorch, "PyTorch"},
                                           {CodeFramework::Keras, "Keras"},
                                           {CodeFramework::NumPy, "NumPy"},
                                           {CodeFramework::Onnx, "ONNX (summary)"}};

}  // namespace

void draw_code(Ui& s) {
    if (!s.view.code.open) return;
    next_window_slot(s, Slot::Code);
    if (begin_panel("Code", &s.view.code.open)) {
        CodeView& v = s.view.code;
        for (const FrameworkChoice& f : kFrameworks) {
            if (ImGui::RadioButton(f.label, v.framework == f.framework)) v.framework = f.framework;
            ImGui::SameLine();
        }
        ImGui::BeginDisabled(v.text.empty());
        if (ImGui::Button("Copy")) ImGui::SetClipboardText(v.text.c_str());
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("Put the code on the clipboard");
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped(
            "%s", v.framework == CodeFramework::Onnx
                      ? "What `convscope-cli code --framework onnx --output DIR` writes for this layer: one Conv "
                        "node with the weights as initializers, and test data."
                      : "The same layer and the value at the cursor, as `convscope-cli code --scene` writes it; "
                        "it reads input.npy / weight.npy / bias.npy (File -> Export tensors) when they are in "
                        "its folder, else seeded random tensors.");
        ImGui::PopStyleColor();
        ImGui::Separator();
        if (!v.error.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, error_text());
            ImGui::TextWrapped("%s", v.error.c_str());
            ImGui::PopStyleColor();
        }
        ImGui::BeginChild("##code", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
        ImGui::PushFont(mono_font());
        ImGui::TextUnformatted(v.text.c_str());
        ImGui::PopFont();
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
