#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

// The kernel slice of filter o and input channel i: PyTorch "w[o, i, :, :]", Keras "kernel[:, :, i, o]".
std::vector<int64_t> slice_index(int64_t o, int64_t i, int dims) {
    std::vector<int64_t> idx{o, i, kWholeAxis};
    if (dims == 2) idx.push_back(kWholeAxis);
    return idx;
}

std::string slice_label(Convention c, int64_t o, int64_t i, int dims) {
    if (c == Convention::Keras) return channel_text_in_convention(c, TensorRole::Weight, o, i);
    return index_text_in_convention(c, TensorRole::Weight, slice_index(o, i, dims), "w");
}

}  // namespace

void draw_filters(Ui& s) {
    next_window_slot(s, Slot::Filters);
    if (begin_panel("Filters")) {
        const ConvGeometry& g = s.ws.geo();
        const CursorState& cs = s.ws.cs;
        const int64_t cig = g.c_in_per_group, kH = g.kernel[0], kW = g.kernel[1];
        const HeatmapStyle style = diverging_style(s.gpu.filter_atlas.scale);
        const Convention conv = s.ws.conventions;
        const std::string header =
            conv == Convention::Keras ? "kernel " + s.ws.texts.weight_shape : "w " + s.ws.texts.weight_shape;
        ImGui::TextUnformatted(header.c_str());
        if (conv == Convention::Keras && ImGui::IsItemHovered())
            ImGui::SetTooltip("Keras's kernel %s; PyTorch's weight %s holds the same numbers",
                              s.ws.texts.weight_axes.c_str(),
                              axis_names_text(Convention::PyTorch, TensorRole::Weight, g.dims + 2).c_str());
        s.geometry.written["filters.header"] = header;
        ImGui::SameLine();
        draw_legend(s.gpu.legend_ramp, style, ImGui::GetFontSize() * 4.0f, "", s.gpu.filter_atlas.non_finite);
        // the zoom slider (and its help mark) go to the next line when the panel is too narrow (UI scale 1.5)
        same_line_if_fits(ImGui::GetFontSize() * 4.0f + help_marker_width());
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.0f);
        ImGui::SliderFloat("##fzoom", &s.view.filter_zoom, 0.0f, 24.0f, s.view.filter_zoom > 0 ? "%.0f px" : "fit");
        help_marker(conv == Convention::Keras
                        ? "One row block per filter o: its in/groups kernel slices kernel[..., i, o] side by side "
                          "(PyTorch: weight[o, i]). Click a filter to select that output channel. Dots mark the "
                          "designed filters; the rest are PyTorch's default initialisation U(-1/sqrt(fan_in), "
                          "1/sqrt(fan_in))."
                        : "One row block per output channel o: its C_in/groups kernel slices w[o, i] side by side. "
                          "Click a filter to select that output channel. Dots mark the designed filters; the rest are "
                          "PyTorch's default initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)).");
        if (cs.c_out < s.ws.scene->designed_filters)
            ImGui::TextColored(accent_text(), "filter %lld: %s", static_cast<long long>(cs.c_out),
                               s.ws.scene->filter_names[static_cast<size_t>(cs.c_out)].c_str());
        else
            ImGui::TextColored(dim_text(), "filter %lld: random (PyTorch init)", static_cast<long long>(cs.c_out));

        ImGui::BeginChild("##filters", ImVec2(0, 0), false);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 avail = ImGui::GetContentRegionAvail();
        const float slice_gap = 1.0f, block_gap = 6.0f;
        float cell = s.view.filter_zoom;
        auto block_w = [&](float c) {
            return static_cast<float>(cig) * c * static_cast<float>(kW) + static_cast<float>(cig - 1) * slice_gap;
        };
        if (cell <= 0) {
            // Fit: the biggest cells that show every filter without scrolling, as long as a weight stays at least
            // 4 px; failing that, the biggest that need at most three panel heights of scrolling.
            auto fits = [&](float c, float height) {
                const int per_row = std::max(1, static_cast<int>((avail.x + block_gap) / (block_w(c) + block_gap)));
                const float rows = std::ceil(static_cast<float>(g.c_out) / static_cast<float>(per_row));
                return rows * (c * static_cast<float>(kH) + block_gap) <= height && block_w(c) <= avail.x;
            };
            cell = 0.0f;
            for (float c = 16.0f; c >= 4.0f && cell == 0.0f; c -= 1.0f)
                if (fits(c, avail.y)) cell = c;
            for (float c = 16.0f; c >= 2.0f && cell == 0.0f; c -= 1.0f)
                if (fits(c, std::max(avail.y, 60.0f) * 3.0f)) cell = c;
            if (cell == 0.0f) cell = 2.0f;
        }
        const float bw = block_w(cell), bh = cell * static_cast<float>(kH);
        const int per_row = std::max(1, static_cast<int>((avail.x + block_gap) / (bw + block_gap)));
        const ImVec2 origin = ImGui::GetCursorScreenPos();
        const float win_top = ImGui::GetWindowPos().y, win_bottom = win_top + ImGui::GetWindowHeight();
        auto block_pos = [&](int64_t o) {
            return ImVec2(origin.x + static_cast<float>(o % per_row) * (bw + block_gap),
                          origin.y + static_cast<float>(o / per_row) * (bh + block_gap));
        };
        const int64_t first =
            std::max<int64_t>(0, static_cast<int64_t>((win_top - origin.y) / (bh + block_gap)) * per_row);
        heatmap_begin(dl, style);
        for (int64_t o = first; o < g.c_out; ++o) {
            const ImVec2 b = block_pos(o);
            if (b.y > win_bottom) break;
            for (int64_t i = 0; i < cig; ++i) {
                const int tile = static_cast<int>(o * cig + i);
                if (tile >= s.gpu.filter_atlas.count) break;
                const ImVec2 a(b.x + static_cast<float>(i) * (cell * static_cast<float>(kW) + slice_gap), b.y);
                dl->AddImage(s.gpu.filter_atlas.id(), a, ImVec2(a.x + cell * static_cast<float>(kW), a.y + bh),
                             s.gpu.filter_atlas.uv0(tile), s.gpu.filter_atlas.uv1(tile));
            }
        }
        heatmap_end(dl);
        for (int64_t o = first; o < g.c_out; ++o) {
            const ImVec2 b = block_pos(o);
            if (b.y > win_bottom) break;
            if (o < s.ws.scene->designed_filters)
                dl->AddCircleFilled(ImVec2(b.x + bw - 2.5f, b.y + 2.5f), 2.0f, IM_COL32(255, 255, 255, 220));
            if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(b, ImVec2(b.x + bw, b.y + bh))) {
                const float mx = ImGui::GetMousePos().x - b.x;
                const int64_t i = std::clamp<int64_t>(
                    static_cast<int64_t>(mx / (cell * static_cast<float>(kW) + slice_gap)), 0, cig - 1);
                outline(dl, b, ImVec2(b.x + bw, b.y + bh), kHoverColour, 1.0f);
                ImGui::BeginTooltip();
                ImGui::Text("%s  (filter %lld, input channel %lld of its group)",
                            slice_label(conv, o, i, g.dims).c_str(), static_cast<long long>(o),
                            static_cast<long long>(i));
                if (conv == Convention::Keras)
                    ImGui::TextColored(dim_text(), "PyTorch: %s",
                                       slice_label(Convention::PyTorch, o, i, g.dims).c_str());
                if (o < s.ws.scene->designed_filters)
                    ImGui::TextColored(accent_text(), "%s", s.ws.scene->filter_names[static_cast<size_t>(o)].c_str());
                ImGui::TextColored(dim_text(), "click: select output channel %lld", static_cast<long long>(o));
                ImGui::EndTooltip();
                if (ImGui::IsMouseClicked(0)) s.push(intent::SelectOutputChannel{o});
            }
            if (o == cs.c_out) {
                outline(dl, ImVec2(b.x - 2, b.y - 2), ImVec2(b.x + bw + 2, b.y + bh + 2), kWindowColour, 2.0f);
                if (s.ws.granularity != Granularity::Position) {
                    const ImVec2 t(b.x + static_cast<float>(cs.ci) * (cell * static_cast<float>(kW) + slice_gap) +
                                       static_cast<float>(cs.kx) * cell,
                                   b.y + static_cast<float>(cs.ky) * cell);
                    outline(dl, t, ImVec2(t.x + cell, t.y + cell), kMacColour, 1.5f);
                }
            }
        }
        const int64_t rows = (g.c_out + per_row - 1) / per_row;
        ImGui::Dummy(ImVec2(static_cast<float>(std::min<int64_t>(per_row, g.c_out)) * (bw + block_gap),
                            static_cast<float>(rows) * (bh + block_gap)));
        if (cs.c_out != s.view.filters_followed) {
            s.view.filters_followed = cs.c_out;
            const ImVec2 b = block_pos(cs.c_out);
            if (b.y < win_top || b.y + bh > win_bottom)
                ImGui::SetScrollY(ImGui::GetScrollY() + (b.y - win_top) - (win_bottom - win_top) * 0.4f);
        }
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
