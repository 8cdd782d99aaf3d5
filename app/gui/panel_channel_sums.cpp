#include <algorithm>
#include <cmath>
#include <string>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

void draw_channel_sums(AppState& s) {
    next_window_slot(s, Slot::ChannelSums);
    if (ImGui::Begin("Channel sums", nullptr, kPanelFlags)) {
        const ConvGeometry& g = s.geo();
        const CursorState& cs = s.cs;
        const int64_t cig = g.c_in_per_group, group = cs.c_out / g.c_out_per_group;
        const int64_t Ho = g.out[0], Wo = g.out[1];
        const float scale = std::max(s.partial_atlas.scale, s.fmap_atlas.scale);
        HeatmapStyle style = diverging_style(scale);
        ImGui::Text("filter %lld on item %lld:", static_cast<long long>(cs.c_out), static_cast<long long>(cs.n));
        ImGui::SameLine();
        draw_legend(s.legend_ramp, style, ImGui::GetFontSize() * 5.0f, "", s.partial_atlas.non_finite);
        help_marker("What does the kernel convolve with first? Neither 3 x 192 nor 32 x 32 alone: each 2-D slice "
                    "w[o, i] slides over ITS input channel x[n, i] (a 2-D cross-correlation, giving one map per input "
                    "channel); those C_in/groups maps are added pixel by pixel; then the bias b[o] is added. That sum "
                    "is feature map y[n, o].");

        ImGui::BeginChild("##sums", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float op_w = ImGui::GetFontSize() * 1.3f;
        const float bias_w = ImGui::CalcTextSize("+ b = -0.00 =").x + 8.0f;
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float label_h = ImGui::GetTextLineHeight() + 2.0f;
        const int64_t shown = std::min<int64_t>(cig, 8);  // a few partial maps side by side; the rest summarised
        const float by_w = (avail.x - bias_w - op_w * static_cast<float>(shown)) / (static_cast<float>(shown + 1) * static_cast<float>(Wo));
        const float by_h = (avail.y - 2 * label_h - 4) / static_cast<float>(Ho);
        float cell = std::min(by_w, by_h);
        cell = cell >= 3.0f ? std::floor(cell) : std::max(cell, 1.0f);
        if (g.dims == 1) cell = std::max(cell, 6.0f);
        const float tw = cell * static_cast<float>(Wo), th = cell * static_cast<float>(Ho);
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float y0 = p.y + label_h;

        struct Placed {
            int64_t ci;  // -1: the feature map
            ImVec2 a;
        };
        std::vector<Placed> maps;
        float x = p.x;
        for (int64_t ci = 0; ci < shown; ++ci) {
            maps.push_back({ci, ImVec2(x, y0)});
            x += tw + op_w;
        }
        const float bias_x = x - op_w;
        x += bias_w - op_w;
        if (shown < cig) x += ImGui::CalcTextSize("+ ... ").x;
        maps.push_back({-1, ImVec2(x, y0)});

        style.mask = MaskMode::Reveal;
        style.reveal_until = static_cast<float>(s.revealed_position());
        heatmap_begin(dl, style);
        for (const Placed& m : maps) {
            const ImVec2 b(m.a.x + tw, m.a.y + th);
            if (m.ci >= 0)
                dl->AddImage(s.partial_atlas.id(), m.a, b, s.partial_atlas.uv0(static_cast<int>(m.ci)), s.partial_atlas.uv1(static_cast<int>(m.ci)));
            else
                dl->AddImage(s.fmap_atlas.id(), m.a, b, s.fmap_atlas.uv0(static_cast<int>(cs.n * g.c_out + cs.c_out)),
                             s.fmap_atlas.uv1(static_cast<int>(cs.n * g.c_out + cs.c_out)));
        }
        heatmap_end(dl);

        const float mid = y0 + th * 0.5f - ImGui::GetFontSize() * 0.5f;
        for (size_t i = 0; i < maps.size(); ++i) {
            const Placed& m = maps[i];
            const ImVec2 b(m.a.x + tw, m.a.y + th);
            const int64_t c = group * cig + m.ci;
            const std::string label = m.ci >= 0 ? "x[" + std::to_string(cs.n) + "," + std::to_string(c) + "] * w[" +
                                                      std::to_string(cs.c_out) + "," + std::to_string(m.ci) + "]"
                                                : "y[" + std::to_string(cs.n) + "," + std::to_string(cs.c_out) + "]";
            const std::string short_label = m.ci >= 0 ? "c=" + std::to_string(c) : label;
            const std::string& text = ImGui::CalcTextSize(label.c_str()).x <= tw + op_w - 4 ? label : short_label;
            dl->AddText(ImVec2(m.a.x, p.y), m.ci >= 0 ? IM_COL32(210, 210, 220, 255) : IM_COL32(255, 221, 0, 255), text.c_str());
            dl->AddRect(ImVec2(m.a.x - 1, m.a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(120, 122, 135, 255));
            const ImVec2 px(m.a.x + static_cast<float>(cs.x) * cell, m.a.y + static_cast<float>(cs.y) * cell);
            outline(dl, px, ImVec2(px.x + cell, px.y + cell), kWindowColour, cell < 4.0f ? 1.0f : 2.0f);
            if (m.ci >= 0 && m.ci + 1 < shown)
                dl->AddText(ImVec2(b.x + op_w * 0.5f - 4, mid), IM_COL32(235, 235, 240, 255), "+");
            if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(m.a, b)) {
                const ImVec2 mp = ImGui::GetMousePos();
                const int64_t yy = std::clamp<int64_t>(static_cast<int64_t>((mp.y - m.a.y) / cell), 0, Ho - 1);
                const int64_t xx = std::clamp<int64_t>(static_cast<int64_t>((mp.x - m.a.x) / cell), 0, Wo - 1);
                const float v = m.ci >= 0 ? s.partials[(m.ci * Ho + yy) * Wo + xx]
                                          : s.output->y[((cs.n * g.c_out + cs.c_out) * Ho + yy) * Wo + xx];
                ImGui::BeginTooltip();
                ImGui::Text("%s at (%lld, %lld) = %s", label.c_str(), static_cast<long long>(yy), static_cast<long long>(xx), value_text(v).c_str());
                if (m.ci >= 0)
                    ImGui::TextColored(kDimText, "input channel %lld correlated with its kernel slice, no bias", static_cast<long long>(c));
                ImGui::EndTooltip();
            }
        }
        std::string bias = shown < cig ? "+ ... " : "";
        bias += s.scene->edit.layer.bias ? "+ b = " + value_text(cs.bias) : "(no bias)";
        dl->AddText(ImVec2(bias_x + 6, mid), IM_COL32(235, 235, 240, 255), bias.c_str());
        dl->AddText(ImVec2(maps.back().a.x - op_w * 0.75f, mid), IM_COL32(235, 235, 240, 255), "=");
        ImGui::Dummy(ImVec2(maps.back().a.x + tw - p.x + 4, label_h + th + 4));
        if (shown < cig)
            ImGui::TextColored(kDimText, "(%lld more input channels are added the same way)", static_cast<long long>(cig - shown));
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
