#include <algorithm>

#include "panels.hpp"

namespace convscope::gui {

namespace {
constexpr float kLessonShare = 0.62f;  // of the left column's height
}  // namespace

void next_window_slot(const Ui& s, Slot slot) {
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    const float bar = ImGui::GetFrameHeight() * 2.0f + ImGui::GetStyle().WindowPadding.y * 2.0f + 28.0f;
    const float top = ImGui::GetFrameHeight();  // the main menu bar
    const float body = d.y - bar - top;
    // the left column is wider while a lesson is followed: its text sits above the Layer panel
    // Above UI scale 1 the left column grows (its fields and buttons grow with the font), up to 40% of the window.
    const float grow = 1.0f + std::max(s.view.ui_scale - 1.0f, 0.0f) * 0.6f;
    const float c0 = std::min(d.x * ((s.ws.lesson ? 350.0f : 290.0f) / 1280.0f) * grow, d.x * 0.4f);
    const float c1 = d.x * (810.0f / 1280.0f);
    const float in_h = body * 0.32f, fm_h = body * 0.55f, cs_h = body * 0.21f;
    ImVec2 pos, size;
    switch (slot) {
        case Slot::Layer:  // under the Lesson panel while a lesson is followed
            pos = {0, s.ws.lesson ? body * kLessonShare : 0},
            size = {c0, s.ws.lesson ? body * (1 - kLessonShare) : body};
            break;
        case Slot::Lesson:
            pos = {0, 0}, size = {c0, body * kLessonShare};
            break;
        case Slot::Input:
            pos = {c0, 0}, size = {c1 - c0, in_h};
            break;
        case Slot::Computation:
            pos = {c0, in_h}, size = {c1 - c0, body - in_h};
            break;
        case Slot::FeatureMaps:
            pos = {c1, 0}, size = {d.x - c1, fm_h};
            break;
        case Slot::ChannelSums:
            pos = {c1, fm_h}, size = {d.x - c1, cs_h};
            break;
        case Slot::Filters:
            pos = {c1, fm_h + cs_h}, size = {d.x - c1, body - fm_h - cs_h};
            break;
        case Slot::Playback:
            pos = {0, body}, size = {d.x, bar};
            break;
        case Slot::Compare:  // everything right of the Layer panel: it shows the inputs and outputs of both layouts
            pos = {c0, 0}, size = {d.x - c0, body};
            break;
        case Slot::Im2col:  // under the Input panel (the sliding window stays in view), over the two right columns
            pos = {c0, in_h}, size = {d.x - c0, body - in_h};
            break;
        case Slot::Code:  // over the Computation panel, wider: code lines are long
            pos = {c0, in_h}, size = {std::min(d.x - c0, std::max(c1 - c0, ImGui::GetFontSize() * 62.0f)), body - in_h};
            break;
    }
    pos.y += top;
    const ImGuiCond cond = s.view.relayout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(pos, cond);
    ImGui::SetNextWindowSize(size, cond);
}

}  // namespace convscope::gui
