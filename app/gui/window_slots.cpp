#include <imgui_internal.h>  // the windows of the previous frame, for panel_flags

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
    const float above_1 = std::max(s.view.ui_scale - 1.0f, 0.0f);  // how far the UI scale is above 1
    const float grow = 1.0f + above_1 * 0.6f;
    const float c0 = std::min(d.x * ((s.ws.lesson ? 350.0f : 290.0f) / 1280.0f) * grow, d.x * 0.4f);
    const float c1 = d.x * (810.0f / 1280.0f);
    // Above UI scale 1 the Input panel grows too (its header lines grow with the font; at 1.5 on 1280x800 the
    // pictures were left a few pixels and a scroll bar), up to 45% of the body. The overlays below it (im2col,
    // Code) keep the height of scale 1: their grids need the rows more than the Input panel needs its bottom edge.
    const float overlay_top = body * 0.32f;
    const float in_h = body * std::min(0.32f + above_1 * 0.16f, 0.45f);
    // Channel sums too: at 1.5 its two lines of labels left its maps 14 px tall (0.21 -> 0.27 of the body, taken
    // from Feature maps, which scrolls anyway).
    const float right_shift = std::min(above_1 * 0.12f, 0.1f);
    const float fm_h = body * (0.55f - right_shift), cs_h = body * (0.21f + right_shift);
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
            pos = {c0, overlay_top}, size = {d.x - c0, body - overlay_top};
            break;
        case Slot::Code:  // over the Computation panel, wider: code lines are long
            pos = {c0, overlay_top},
            size = {std::min(d.x - c0, std::max(c1 - c0, ImGui::GetFontSize() * 62.0f)), body - overlay_top};
            break;
    }
    pos.y += top;
    const ImGuiCond cond = s.view.relayout ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(pos, cond);
    ImGui::SetNextWindowSize(size, cond);
}

namespace {

ImGuiWindowFlags panel_flags(const char* name) {
    // Under Xvfb + llvmpipe most of a frame is the rasterizer filling triangles, and every panel's background is a
    // rectangle as large as the panel under its content: a whole screen of fill per frame, since the panels tile the
    // window (default scene on the Xeon, 1280x800: mean 9.2 -> 6.3 ms a frame without them). A panel skips its
    // background unless another window overlapped it in the previous frame: an overlay (Code, im2col, Batch vs
    // channel, Data, a lesson list) or a panel the user dragged over it keeps both backgrounds, so nothing beneath
    // ever shows through. Popups, menus and tooltips are drawn above every window with their own background.
    ImGuiWindowFlags flags = ImGuiWindowFlags_NoCollapse;
    const ImGuiWindow* self = ImGui::FindWindowByName(name);
    if (!self || !self->WasActive) return flags;  // its first frame: with its background
    const ImRect mine(self->Pos.x, self->Pos.y, self->Pos.x + self->Size.x, self->Pos.y + self->Size.y);
    for (const ImGuiWindow* other : ImGui::GetCurrentContext()->Windows) {
        if (other == self || !other->WasActive || other->Hidden) continue;
        if (other->Flags & (ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip)) continue;
        ImRect overlap(other->Pos.x, other->Pos.y, other->Pos.x + other->Size.x, other->Pos.y + other->Size.y);
        overlap.ClipWithFull(mine);
        if (overlap.GetWidth() > 1.0f && overlap.GetHeight() > 1.0f) return flags;  // (panels side by side touch)
    }
    return flags | ImGuiWindowFlags_NoBackground;
}

}  // namespace

float unobstructed_height(ImVec2 from, float width, float height) {
    const ImGuiWindow* self = ImGui::GetCurrentWindow()->RootWindow;
    const ImVector<ImGuiWindow*>& windows = ImGui::GetCurrentContext()->Windows;  // back to front
    bool in_front = false;
    for (const ImGuiWindow* other : windows) {
        if (other == self) {
            in_front = true;
            continue;
        }
        if (!in_front || !other->WasActive || other->Hidden) continue;
        if (other->Flags & (ImGuiWindowFlags_ChildWindow | ImGuiWindowFlags_Popup | ImGuiWindowFlags_Tooltip)) continue;
        const bool across = other->Pos.x < from.x + width && other->Pos.x + other->Size.x > from.x;
        if (across && other->Pos.y > from.y && other->Pos.y < from.y + height) height = other->Pos.y - from.y;
    }
    return height;
}

bool begin_panel(const char* name, bool* open, ImGuiWindowFlags flags) {
    const bool visible = ImGui::Begin(name, open, panel_flags(name) | flags);
    ImGuiWindow* w = ImGui::GetCurrentWindow();
    if ((w->Flags & ImGuiWindowFlags_NoBackground) && w->WindowBorderSize > 0.0f) {
        // ImGui leaves out the border of a window without background; drawn here as ImGui draws it
        // (RenderWindowOuterBorders), before the panel's content.
        const ImVec2 max(w->Pos.x + w->Size.x, w->Pos.y + w->Size.y);
        w->DrawList->PushClipRect(w->Pos, max, false);
        w->DrawList->AddRect(w->Pos, max, ImGui::GetColorU32(ImGuiCol_Border), w->WindowRounding, 0,
                             w->WindowBorderSize);
        w->DrawList->PopClipRect();
    }
    return visible;
}

}  // namespace convscope::gui
