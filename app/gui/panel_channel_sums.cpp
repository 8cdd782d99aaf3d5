#include <algorithm>
#include <cmath>
#include <string>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

// The tooltip over partial map ci (or the feature map, ci = -1) at output position (yy, xx).
void sum_tooltip(const Ui& s, int64_t ci, int64_t yy, int64_t xx, const std::string& label) {
    const ConvGeometry& g = s.ws.geo();
    const CursorState& cs = s.ws.cs;
    const int64_t Ho = g.out[0], Wo = g.out[1];
    const float v = ci >= 0 ? s.ws.partials.maps[(ci * Ho + yy) * Wo + xx]
                            : s.ws.output->y[((cs.n * g.c_out + cs.c_out) * Ho + yy) * Wo + xx];
    ImGui::BeginTooltip();
    if (g.dims == 1)
        ImGui::Text("%s at %lld = %s", label.c_str(), static_cast<long long>(xx), value_text(v).c_str());
    else
        ImGui::Text("%s at (%lld, %lld) = %s", label.c_str(), static_cast<long long>(yy), static_cast<long long>(xx),
                    value_text(v).c_str());
    if (ci >= 0)
        ImGui::TextColored(dim_text(), "input channel %lld correlated with its kernel slice, no bias",
                           static_cast<long long>(cs.c_out / g.c_out_per_group * g.c_in_per_group + ci));
    ImGui::EndTooltip();
}

std::string partial_label(const Ui& s, int64_t c, int64_t ci) {
    const CursorState& cs = s.ws.cs;
    if (s.ws.conventions == Convention::Keras)
        return channel_text_in_convention(Convention::Keras, TensorRole::Data, cs.n, c) + " * " +
               channel_text_in_convention(Convention::Keras, TensorRole::Weight, cs.c_out, ci);
    return "x[" + std::to_string(cs.n) + "," + std::to_string(c) + "] * w[" + std::to_string(cs.c_out) + "," +
           std::to_string(ci) + "]";
}

std::string output_label(const Ui& s) {
    const CursorState& cs = s.ws.cs;
    if (s.ws.conventions == Convention::Keras)
        return channel_text_in_convention(Convention::Keras, TensorRole::Data, cs.n, cs.c_out, "y");
    return "y[" + std::to_string(cs.n) + "," + std::to_string(cs.c_out) + "]";
}

// Conv1d: every partial map is a strip one value high, so the sum is written top to bottom, one strip per line
// (side by side, eight strips of L values would not fit the panel's width): y[n,o] = the partial strips + b.
void draw_sums_1d(Ui& s, HeatmapStyle style) {
    const ConvGeometry& g = s.ws.geo();
    const CursorState& cs = s.ws.cs;
    const int64_t cig = g.c_in_per_group, group = cs.c_out / g.c_out_per_group, Wo = g.out[1];
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const int64_t shown = std::min<int64_t>(cig, 16);
    const std::string widest = "+ " + partial_label(s, g.c_in - 1, cig - 1);
    const float label_w = ImGui::CalcTextSize(widest.c_str()).x + 8.0f;
    const float avail_w = ImGui::GetContentRegionAvail().x - label_w - 4.0f;
    const float cell = std::clamp(std::floor(avail_w / static_cast<float>(Wo)), 3.0f, 24.0f);
    const float text_h = ImGui::GetTextLineHeight();
    const float strip_h = std::min(cell, text_h), row_h = text_h + 3.0f;
    const float tw = cell * static_cast<float>(Wo);
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImU32 text_ink = ink(IM_COL32(210, 210, 220, 255)), yellow = ink(IM_COL32(255, 221, 0, 255));
    const float strip_x = p.x + label_w;
    auto strip = [&](int64_t ci, float y, const std::string& label) {  // ci = -1: the feature map
        const ImVec2 a(strip_x, y + (text_h - strip_h) * 0.5f), b(a.x + tw, a.y + strip_h);
        heatmap_begin(dl, style);
        if (ci >= 0)
            dl->AddImage(s.gpu.partial_atlas.id(), a, b, s.gpu.partial_atlas.uv0(static_cast<int>(ci)),
                         s.gpu.partial_atlas.uv1(static_cast<int>(ci)));
        else
            dl->AddImage(s.gpu.fmap_atlas.id(), a, b, s.gpu.fmap_atlas.uv0(static_cast<int>(cs.n * g.c_out + cs.c_out)),
                         s.gpu.fmap_atlas.uv1(static_cast<int>(cs.n * g.c_out + cs.c_out)));
        heatmap_end(dl);
        dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(120, 122, 135, 255));
        const ImVec2 px(a.x + static_cast<float>(cs.x) * cell, a.y);
        outline(dl, px, ImVec2(px.x + cell, b.y), kWindowColour, cell < 4.0f ? 1.0f : 2.0f);
        if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(a, b)) {
            const int64_t xx =
                std::clamp<int64_t>(static_cast<int64_t>((ImGui::GetMousePos().x - a.x) / cell), 0, Wo - 1);
            sum_tooltip(s, ci, 0, xx, label);
        }
    };
    // The result first (it stays in view when the panel is short and the list scrolls), then what it adds up.
    float y = p.y;
    const std::string out = output_label(s);
    dl->AddText(ImVec2(p.x, y), yellow, (out + " =").c_str());
    strip(-1, y, out);
    y += row_h + 2.0f;
    for (int64_t ci = 0; ci < shown; ++ci, y += row_h) {
        const std::string label = partial_label(s, group * cig + ci, ci);
        dl->AddText(ImVec2(p.x, y), text_ink, ((ci == 0 ? "  " : "+ ") + label).c_str());
        strip(ci, y, label);
    }
    std::string bias = shown < cig ? "+ ... (" + std::to_string(cig - shown) + " more, added the same way)  " : "";
    bias += s.ws.scene->edit.layer.bias ? "+ b = " + value_text(cs.bias) : "(no bias)";
    dl->AddText(ImVec2(p.x, y), text_ink, bias.c_str());
    y += row_h;
    ImGui::Dummy(ImVec2(label_w + tw + 4.0f, y - p.y));
}

}  // namespace

void draw_channel_sums(Ui& s) {
    next_window_slot(s, Slot::ChannelSums);
    if (begin_panel("Channel sums")) {
        const ConvGeometry& g = s.ws.geo();
        const CursorState& cs = s.ws.cs;
        const int64_t cig = g.c_in_per_group, group = cs.c_out / g.c_out_per_group;
        const int64_t Ho = g.out[0], Wo = g.out[1];
        const float scale = std::max(s.gpu.partial_atlas.scale, s.gpu.fmap_atlas.scale);
        HeatmapStyle style = diverging_style(scale);
        ImGui::Text("filter %lld on item %lld:", static_cast<long long>(cs.c_out), static_cast<long long>(cs.n));
        ImGui::SameLine();
        draw_legend(s.gpu.legend_ramp, style, ImGui::GetFontSize() * 5.0f, "", s.gpu.partial_atlas.non_finite);
        help_marker(
            "What does the kernel convolve with first? Neither 3 x 192 nor 32 x 32 alone: each 2-D slice "
            "w[o, i] slides over ITS input channel x[n, i] (a 2-D cross-correlation, giving one map per input "
            "channel); those C_in/groups maps are added pixel by pixel; then the bias b[o] is added. That sum "
            "is feature map y[n, o].");

        if (s.ws.partials_key != std::array<int64_t, 3>{static_cast<int64_t>(s.ws.scene->id), cs.n, cs.c_out}) {
            // a large layer's maps are computed on their own job (a frame or two)
            ImGui::TextColored(dim_text(), "computing the %lld per-channel maps of y[%lld, %lld]...",
                               static_cast<long long>(cig), static_cast<long long>(cs.n),
                               static_cast<long long>(cs.c_out));
            ImGui::End();
            return;
        }
        ImGui::BeginChild("##sums", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
        if (g.dims == 1) {
            style.mask = MaskMode::Reveal;
            style.reveal_until = static_cast<float>(s.revealed_position());
            draw_sums_1d(s, style);
            ImGui::EndChild();
            ImGui::End();
            return;
        }
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float op_w = ImGui::GetFontSize() * 1.3f;
        const float bias_w = ImGui::CalcTextSize("+ b = -0.00 =").x + 8.0f;
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float label_h = ImGui::GetTextLineHeight() + 2.0f;
        const int64_t shown = std::min<int64_t>(cig, 8);  // a few partial maps side by side; the rest summarised
        const float by_w = (avail.x - bias_w - op_w * static_cast<float>(shown)) /
                           (static_cast<float>(shown + 1) * static_cast<float>(Wo));
        const float by_h = (avail.y - 2 * label_h - 4) / static_cast<float>(Ho);
        float cell = std::min(by_w, by_h);
        cell = cell >= 3.0f ? std::floor(cell) : std::max(cell, 1.0f);
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
                dl->AddImage(s.gpu.partial_atlas.id(), m.a, b, s.gpu.partial_atlas.uv0(static_cast<int>(m.ci)),
                             s.gpu.partial_atlas.uv1(static_cast<int>(m.ci)));
            else
                dl->AddImage(s.gpu.fmap_atlas.id(), m.a, b,
                             s.gpu.fmap_atlas.uv0(static_cast<int>(cs.n * g.c_out + cs.c_out)),
                             s.gpu.fmap_atlas.uv1(static_cast<int>(cs.n * g.c_out + cs.c_out)));
        }
        heatmap_end(dl);

        const float mid = y0 + th * 0.5f - ImGui::GetFontSize() * 0.5f;
        for (size_t i = 0; i < maps.size(); ++i) {
            const Placed& m = maps[i];
            const ImVec2 b(m.a.x + tw, m.a.y + th);
            const int64_t c = group * cig + m.ci;
            const std::string label = m.ci >= 0 ? partial_label(s, c, m.ci) : output_label(s);
            const std::string short_label = m.ci >= 0 ? "c=" + std::to_string(c) : label;
            const std::string& text = ImGui::CalcTextSize(label.c_str()).x <= tw + op_w - 4 ? label : short_label;
            dl->AddText(ImVec2(m.a.x, p.y),
                        m.ci >= 0 ? ink(IM_COL32(210, 210, 220, 255)) : ink(IM_COL32(255, 221, 0, 255)), text.c_str());
            dl->AddRect(ImVec2(m.a.x - 1, m.a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(120, 122, 135, 255));
            const ImVec2 px(m.a.x + static_cast<float>(cs.x) * cell, m.a.y + static_cast<float>(cs.y) * cell);
            outline(dl, px, ImVec2(px.x + cell, px.y + cell), kWindowColour, cell < 4.0f ? 1.0f : 2.0f);
            if (m.ci >= 0 && m.ci + 1 < shown)
                dl->AddText(ImVec2(b.x + op_w * 0.5f - 4, mid), ink(IM_COL32(235, 235, 240, 255)), "+");
            if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(m.a, b)) {
                const ImVec2 mp = ImGui::GetMousePos();
                const int64_t yy = std::clamp<int64_t>(static_cast<int64_t>((mp.y - m.a.y) / cell), 0, Ho - 1);
                const int64_t xx = std::clamp<int64_t>(static_cast<int64_t>((mp.x - m.a.x) / cell), 0, Wo - 1);
                sum_tooltip(s, m.ci, yy, xx, label);
            }
        }
        std::string bias = shown < cig ? "+ ... " : "";
        bias += s.ws.scene->edit.layer.bias ? "+ b = " + value_text(cs.bias) : "(no bias)";
        dl->AddText(ImVec2(bias_x + 6, mid), ink(IM_COL32(235, 235, 240, 255)), bias.c_str());
        dl->AddText(ImVec2(maps.back().a.x - op_w * 0.75f, mid), ink(IM_COL32(235, 235, 240, 255)), "=");
        ImGui::Dummy(ImVec2(maps.back().a.x + tw - p.x + 4, label_h + th + 4));
        if (shown < cig)
            ImGui::TextColored(dim_text(), "(%lld more input channels are added the same way)",
                               static_cast<long long>(cig - shown));
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
