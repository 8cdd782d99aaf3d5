#include <algorithm>
#include <string>
#include <vector>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

void handle_keys(Ui& s) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || ImGui::IsAnyItemActive()) return;
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Space), false)) s.push(intent::SetPlaying{!s.ws.playing});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) s.push(intent::StepBy{-1});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) s.push(intent::StepBy{1});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Home), false)) s.push(intent::SeekEnd{false});
    if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_End), false)) s.push(intent::SeekEnd{true});
}

std::string position_text(const Ui& s) {
    if (s.ws.transpose.active) return s.ws.transpose.position_text();
    const CursorState& c = s.ws.cs;
    std::vector<int64_t> idx{c.n, c.c_out};
    if (s.ws.geo().dims == 2) idx.push_back(c.y);
    idx.push_back(c.x);
    std::string t = index_text_in_convention(s.ws.conventions, TensorRole::Data, idx, "y");
    if (s.ws.granularity != Granularity::Position)
        t += "  channel " + std::to_string(c.ci) + ", MAC " + std::to_string(c.mac + 1) + "/" + std::to_string(c.macs);
    return t;
}

}  // namespace

void draw_playback(Ui& s) {
    next_window_slot(s, Slot::Playback);
    if (begin_panel("Playback", nullptr, ImGuiWindowFlags_NoScrollbar)) {
        handle_keys(s);
        const float bw = ImGui::GetFrameHeight() * 1.6f;
        if (ImGui::Button("|<", ImVec2(bw, 0))) s.push(intent::SeekEnd{false});
        ImGui::SameLine();
        if (ImGui::Button("<", ImVec2(bw, 0))) s.push(intent::StepBy{-1});
        ImGui::SameLine();
        if (ImGui::Button(s.ws.playing ? "Pause" : "Play", ImVec2(bw * 2.2f, 0)))
            s.push(intent::SetPlaying{!s.ws.playing});
        ImGui::SameLine();
        if (ImGui::Button(">", ImVec2(bw, 0))) s.push(intent::StepBy{1});
        ImGui::SameLine();
        if (ImGui::Button(">|", ImVec2(bw, 0))) s.push(intent::SeekEnd{true});
        ImGui::SameLine();
        ImGui::TextUnformatted("  step by");
        for (Granularity g : {Granularity::Position, Granularity::Channel, Granularity::Mac}) {
            ImGui::SameLine();
            const char* label = g == Granularity::Position ? "position" : g == Granularity::Channel ? "channel" : "MAC";
            if (ImGui::RadioButton(label, s.ws.granularity == g) && s.ws.granularity != g)
                s.push(intent::SetGranularity{g});
        }
        ImGui::SameLine();
        if (s.ws.transpose.active)
            help_marker(
                "scatter: position = one input element's whole stamp, channel = its stamp into one output "
                "channel, MAC = one multiply-add. gather: position = one output value, channel = one input "
                "channel's taps, MAC = one tap. Keys: Space play/pause, Left/Right step, Home/End.");
        else
            help_marker(
                "position: one output value per step. channel: one input channel's window * kernel slice per "
                "step. MAC: one multiply-add per step. Keys: Space play/pause, Left/Right step, Home/End.");
        ImGui::SameLine();
        // the two sliders share what is left of the line (at UI scale 1.5 their full widths do not fit)
        const ImGuiStyle& st = ImGui::GetStyle();
        const float labels = ImGui::CalcTextSize("steps/s").x + ImGui::CalcTextSize("UI scale").x +
                             st.ItemInnerSpacing.x * 2 + st.ItemSpacing.x;
        const float room = ImGui::GetContentRegionAvail().x - labels - 4.0f;
        const float scale_w = std::clamp(room * 0.36f, ImGui::GetFontSize() * 3.0f, ImGui::GetFontSize() * 5.0f);
        const float speed_w = std::clamp(room - scale_w, ImGui::GetFontSize() * 3.5f, ImGui::GetFontSize() * 9.0f);
        float speed = s.ws.speed;
        ImGui::SetNextItemWidth(speed_w);
        if (ImGui::SliderFloat("steps/s", &speed, 0.5f, 100000.0f, "%.1f", ImGuiSliderFlags_Logarithmic))
            s.push(intent::SetSpeed{speed});
        ImGui::SameLine();
        float scale = s.view.ui_scale;
        ImGui::SetNextItemWidth(scale_w);
        if (ImGui::SliderFloat("UI scale", &scale, 0.75f, 2.5f, "%.2f")) {
            s.view.ui_scale = scale;
        }
        if (ImGui::IsItemDeactivatedAfterEdit()) s.push(intent::SetUiScale{s.view.ui_scale});

        const int64_t count = s.ws.step_count();
        int64_t step = s.ws.step;
        const int64_t lo = 0, hi = std::max<int64_t>(count - 1, 0);
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.62f);
        if (ImGui::SliderScalar("##scrub", ImGuiDataType_S64, &step, &lo, &hi, "")) s.push(intent::Seek{step});
        ImGui::SameLine();
        ImGui::Text("step %s / %s", count_text(s.ws.step + 1).c_str(), count_text(count).c_str());
        ImGui::SameLine();
        ImGui::TextColored(accent_text(), "%s", position_text(s).c_str());
        if (s.view.show_frame_time) {
            ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize("00.0 ms/frame").x);
            ImGui::TextColored(dim_text(), "%.1f ms/frame", s.view.frame_ms);
        }
    }
    ImGui::End();
}

}  // namespace convscope::gui
