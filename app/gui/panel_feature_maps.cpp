#include <algorithm>
#include <cmath>
#include <string>

#include "keras_layer.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

struct MapGrid {
    float cell = 2;
    float tile_w = 0, tile_h = 0, label_h = 0, gap = 6, thumb_w = 0;
    int per_row = 1;
    float item_h(int64_t maps) const {
        const int64_t rows = (maps + per_row - 1) / per_row;
        return static_cast<float>(rows) * (tile_h + label_h + gap);
    }
};

// The input thumbnail at the left of each item: its channel strips (at most 4; RGB as one), then the x[n] label
// on one line (two when "+k ch" does not fit beside it).
struct Thumbnail {
    float strip_h = 0;
    int64_t shown = 1;
    bool rgb = false;
    float height = 0;  // strips, label and margins
};

Thumbnail thumbnail_size(const ConvGeometry& g, float w) {
    Thumbnail t;
    t.rgb = g.dims == 2 && g.c_in == 3;
    t.shown = t.rgb ? 1 : std::min<int64_t>(g.c_in, 4);
    const float aspect = static_cast<float>(g.in[0]) / static_cast<float>(g.in[1]);
    t.strip_h = g.dims == 1 ? std::max(3.0f, w / static_cast<float>(g.in[1]) * 2.0f) : w * aspect;
    const bool two_lines = !t.rgb && g.c_in > t.shown;  // the worst case, so the layout does not jump
    t.height = 2.0f + static_cast<float>(t.shown) * (t.strip_h + 3.0f) + 2.0f +
               ImGui::GetTextLineHeight() * (two_lines ? 2.0f : 1.0f) + 4.0f;
    return t;
}

MapGrid fit_grid(const Ui& s, ImVec2 avail, float header_h) {
    const ConvGeometry& g = s.ws.geo();
    MapGrid m;
    m.thumb_w = std::min(72.0f, avail.x * 0.18f);
    const float width = avail.x - m.thumb_w - 16.0f;
    auto apply = [&](float cell) {
        m.cell = cell;
        m.tile_w = static_cast<float>(g.out[1]) * cell;
        m.tile_h = static_cast<float>(g.out[0]) * cell;
        m.label_h = m.tile_w >= 26.0f ? mono_font()->FontSize + 1.0f : 0.0f;
        m.per_row = std::max(1, static_cast<int>((width + m.gap) / (m.tile_w + m.gap)));
    };
    if (s.view.fmap_zoom > 0) {
        apply(s.view.fmap_zoom);
        return m;
    }
    const float min_cell = g.out[0] == 1 ? 6.0f : 2.0f;
    const float thumb_h = thumbnail_size(g, m.thumb_w - 18.0f).height;
    for (float cell = 32.0f; cell >= min_cell; cell -= 1.0f) {
        apply(cell);
        const float total = static_cast<float>(g.n) * (std::max(m.item_h(g.c_out), thumb_h) + header_h + 5.0f);
        if (total <= avail.y && m.tile_w <= width) return m;
    }
    apply(min_cell);
    return m;
}

void draw_thumbnail(Ui& s, ImDrawList* dl, int64_t n, ImVec2 p, float w) {
    const ConvGeometry& g = s.ws.geo();
    const int64_t H = g.in[0], W = g.in[1];
    const int64_t pb0 = g.pad_begin[0], pb1 = g.pad_begin[1];
    const Thumbnail size = thumbnail_size(g, w);
    const bool rgb = size.rgb;
    const int64_t shown = size.shown;
    const float h = size.strip_h;
    const bool picture = g.dims == 2 && (g.c_in == 3 || g.c_in == 1);
    for (int64_t c = 0; c < shown; ++c) {
        const ImVec2 a(p.x, p.y + static_cast<float>(c) * (h + 3.0f)), b(a.x + w, a.y + h);
        ImVec2 uv0, uv1, u0, u1;
        if (rgb) {
            HeatmapStyle st;
            st.color = ColorMode::Rgb;
            heatmap_begin(dl, st);
            texel_uv(s.gpu.rgb_atlas, static_cast<int>(n), pb0, pb1, uv0, u1);
            texel_uv(s.gpu.rgb_atlas, static_cast<int>(n), pb0 + H - 1, pb1 + W - 1, u0, uv1);
            dl->AddImage(s.gpu.rgb_atlas.id(), a, b, uv0, uv1);
        } else {
            heatmap_begin(dl, input_style(s.gpu.input_atlas, c, g.c_in, picture));
            const int tile = static_cast<int>(n * g.c_in + c);
            texel_uv(s.gpu.input_atlas, tile, pb0, pb1, uv0, u1);
            texel_uv(s.gpu.input_atlas, tile, pb0 + H - 1, pb1 + W - 1, u0, uv1);
            dl->AddImage(s.gpu.input_atlas.id(), a, b, uv0, uv1);
        }
        heatmap_end(dl);
        dl->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), item_colour(n), 0, 0, 2.0f);
    }
    const float bottom = p.y + static_cast<float>(shown) * (h + 3.0f);
    const std::string name = "x[" + std::to_string(n) + "]";
    const std::string more = !rgb && g.c_in > shown ? "+" + std::to_string(g.c_in - shown) + " ch" : "";
    const std::string one_line = more.empty() ? name : name + " " + more;
    if (more.empty() || ImGui::CalcTextSize(one_line.c_str()).x <= w + 10.0f) {
        dl->AddText(ImVec2(p.x, bottom + 2), item_colour(n), one_line.c_str());
    } else {  // too wide for the thumbnail column: the hidden-channel count goes under the name
        dl->AddText(ImVec2(p.x, bottom + 2), item_colour(n), name.c_str());
        dl->AddText(ImVec2(p.x, bottom + 2 + ImGui::GetTextLineHeight()), ImGui::GetColorU32(dim_text()), more.c_str());
    }
    const float mid = p.y + 12.0f;
    dl->AddTriangleFilled(ImVec2(p.x + w + 6, mid - 6), ImVec2(p.x + w + 6, mid + 6), ImVec2(p.x + w + 13, mid),
                          item_colour(n));
}

void draw_conv_maps(Ui& s) {
    {
        const ConvGeometry& g = s.ws.geo();
        const Convention conv = s.ws.conventions;
        const std::string header = "y " + s.shown(Fact::OutputShape, s.ws.texts.output_shape);
        ImGui::TextUnformatted(header.c_str());
        s.geometry.written["feature_maps.header"] = header;
        ImGui::SameLine();
        HeatmapStyle style = diverging_style(s.gpu.fmap_atlas.scale);
        draw_legend(s.gpu.legend_ramp, style, ImGui::GetFontSize() * 5.0f, "", s.gpu.fmap_atlas.non_finite);
        // the zoom slider and the reveal box go to the next line when the panel is too narrow (UI scale 1.5)
        same_line_if_fits(ImGui::GetFontSize() * 4.5f);
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.5f);
        ImGui::SliderFloat("##fmzoom", &s.view.fmap_zoom, 0.0f, 24.0f, s.view.fmap_zoom > 0 ? "%.0f px" : "fit");
        same_line_if_fits(toggle_width("reveal") + help_marker_width());
        ImGui::Checkbox("reveal", &s.view.reveal_progressively);
        help_marker(
            "Reveal: values appear as the cursor computes them (order n, c_out, y, x). Dark cells are not "
            "computed yet. Click a pixel to move the cursor there.");
        atlas_shortfall_note(s.gpu.fmap_atlas, g.n * g.c_out);

        ImGui::BeginChild("##maps", ImVec2(0, 0), false);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float header_h = ImGui::GetTextLineHeightWithSpacing();
        const MapGrid m = fit_grid(s, ImGui::GetContentRegionAvail(), header_h);
        const int64_t revealed = s.revealed_position();
        style.mask = MaskMode::Reveal;
        style.reveal_until = static_cast<float>(revealed);
        const ImVec2 win_min = ImGui::GetWindowPos(),
                     win_max(win_min.x + ImGui::GetWindowWidth(), win_min.y + ImGui::GetWindowHeight());
        const int64_t Ho = g.out[0], Wo = g.out[1];

        struct Placed {
            int64_t n, c;
            ImVec2 p;
        };
        std::vector<Placed> placed;
        std::optional<Placed> current;
        for (int64_t n = 0; n < g.n; ++n) {
            ImGui::PushID(static_cast<int>(n));
            const ImVec2 head = ImGui::GetCursorScreenPos();
            dl->AddRectFilled(ImVec2(head.x, head.y + 3), ImVec2(head.x + 10, head.y + 13), item_colour(n));
            ImGui::Indent(14);
            const Shape ys = g.output_shape_torch();
            const Shape per_item_torch(ys.end() - (g.dims == 2 ? 3 : 2), ys.end());
            // one item: (C, H, W) in PyTorch's order, (H, W, C) in Keras's
            Shape per_item = per_item_torch;
            if (conv == Convention::Keras) std::rotate(per_item.begin(), per_item.begin() + 1, per_item.end());
            const std::string per_item_text = s.hides(Fact::OutputShape)  ? kHidden
                                              : conv == Convention::Keras ? python_tuple_text(per_item)
                                                                          : shape_to_string(per_item);
            ImGui::Text("item n=%lld:  x[%lld] -> y[%lld] %s", static_cast<long long>(n), static_cast<long long>(n),
                        static_cast<long long>(n), per_item_text.c_str());
            if (g.n > 1) {
                ImGui::SameLine();
                ImGui::TextColored(dim_text(), "(made from x[%lld] only)", static_cast<long long>(n));
            }
            ImGui::Unindent(14);
            const ImVec2 origin = ImGui::GetCursorScreenPos();
            draw_thumbnail(s, dl, n, ImVec2(origin.x + 2, origin.y + 2), m.thumb_w - 18.0f);
            const float gx = origin.x + m.thumb_w;
            for (int64_t c = 0; c < g.c_out; ++c) {
                if (n * g.c_out + c >= s.gpu.fmap_atlas.count) break;
                const int col = static_cast<int>(c % m.per_row), row = static_cast<int>(c / m.per_row);
                const ImVec2 p(gx + static_cast<float>(col) * (m.tile_w + m.gap),
                               origin.y + static_cast<float>(row) * (m.tile_h + m.label_h + m.gap));
                if (n == s.ws.cs.n && c == s.ws.cs.c_out) current = Placed{n, c, p};
                if (p.y + m.tile_h < win_min.y || p.y > win_max.y) continue;
                placed.push_back({n, c, p});
            }
            const float item_bottom =
                origin.y + std::max(m.item_h(g.c_out), thumbnail_size(g, m.thumb_w - 18.0f).height);
            dl->AddRect(
                ImVec2(gx - 4, origin.y - 3),
                ImVec2(gx + static_cast<float>(std::min<int64_t>(m.per_row, g.c_out)) * (m.tile_w + m.gap) - m.gap + 3,
                       item_bottom - m.gap + 2),
                item_colour(n, 0.75f), 0, 0, 1.5f);
            ImGui::SetCursorScreenPos(ImVec2(origin.x, item_bottom + 4));
            ImGui::Dummy(ImVec2(1, 1));
            ImGui::PopID();
        }

        // one shader batch for every visible map (all in one atlas: one draw call)
        heatmap_begin(dl, style);
        for (const Placed& t : placed)
            atlas_tile(dl, s.gpu.fmap_atlas, static_cast<int>(t.n * g.c_out + t.c), t.p, ImVec2(m.tile_w, m.tile_h));
        heatmap_end(dl);

        const bool hovered_window = ImGui::IsWindowHovered();
        for (const Placed& t : placed) {
            const ImVec2 q(t.p.x + m.tile_w, t.p.y + m.tile_h);
            const bool visible = t.p.y >= win_min.y && q.y <= win_max.y && q.x <= win_max.x;
            if (visible) s.geometry.fmap_pixels.push_back(GridRect{t.n, t.c, t.p, m.cell, Ho, Wo});
            if (m.label_h > 0) {
                const std::string label = std::to_string(t.c);
                dl->AddText(mono_font(), mono_font()->FontSize, ImVec2(t.p.x, q.y), IM_COL32(170, 172, 185, 255),
                            label.c_str());
            }
            if (t.c < s.ws.scene->designed_filters && m.cell >= 2.0f)
                dl->AddCircleFilled(ImVec2(q.x - 3, t.p.y + 3), 2.0f, IM_COL32(255, 255, 255, 200));
            if (m.cell >= 14.0f && s.view.show_numbers) {
                for (int64_t y = 0; y < Ho; ++y)
                    for (int64_t x = 0; x < Wo; ++x) {
                        const int64_t pos = ((t.n * g.c_out + t.c) * Ho + y) * Wo + x;
                        if (pos > revealed) continue;
                        const float v = s.ws.output->y[pos];
                        const ImVec2 a(t.p.x + static_cast<float>(x) * m.cell, t.p.y + static_cast<float>(y) * m.cell);
                        cell_value(dl, a, ImVec2(a.x + m.cell, a.y + m.cell), v, text_colour_on(style, v));
                    }
            }
            if (hovered_window && ImGui::IsMouseHoveringRect(t.p, q)) {
                const ImVec2 mp = ImGui::GetMousePos();
                const int64_t y = std::clamp<int64_t>(static_cast<int64_t>((mp.y - t.p.y) / m.cell), 0, Ho - 1);
                const int64_t x = std::clamp<int64_t>(static_cast<int64_t>((mp.x - t.p.x) / m.cell), 0, Wo - 1);
                const int64_t pos = ((t.n * g.c_out + t.c) * Ho + y) * Wo + x;
                const ImVec2 a(t.p.x + static_cast<float>(x) * m.cell, t.p.y + static_cast<float>(y) * m.cell);
                outline(dl, a, ImVec2(a.x + m.cell, a.y + m.cell), kHoverColour, 1.0f);
                ImGui::BeginTooltip();
                const std::vector<int64_t> y_idx =
                    g.dims == 2 ? std::vector<int64_t>{t.n, t.c, y, x} : std::vector<int64_t>{t.n, t.c, x};
                ImGui::Text("%s", index_text_in_convention(conv, TensorRole::Data, y_idx, "y").c_str());
                if (conv == Convention::Keras)
                    ImGui::TextColored(
                        dim_text(), "PyTorch: %s",
                        index_text_in_convention(Convention::PyTorch, TensorRole::Data, y_idx, "y").c_str());
                if (pos <= revealed)
                    ImGui::Text("= %s", value_text(s.ws.output->y[pos]).c_str());
                else
                    ImGui::TextColored(dim_text(), "not computed yet (value %s)",
                                       value_text(s.ws.output->y[pos]).c_str());
                if (t.c < s.ws.scene->designed_filters)
                    ImGui::TextColored(accent_text(), "filter %lld: %s", static_cast<long long>(t.c),
                                       s.ws.scene->filter_names[static_cast<size_t>(t.c)].c_str());
                ImGui::TextColored(dim_text(), "click: move the cursor here");
                ImGui::EndTooltip();
                if (ImGui::IsMouseClicked(0)) s.push(intent::MoveCursor{t.n, t.c, y, x});
            }
        }

        // what the hovered input pixel feeds (not while a lesson asks which outputs that is)
        if (s.ws.hover) s.geometry.written["feature_maps.lit"] = s.hides(Fact::Lit) ? "hidden" : "shown";
        if (s.ws.hover && s.ws.hover_hits.size() < 40000 && !s.hides(Fact::Lit)) {
            const int64_t hn = (*s.ws.hover)[0];
            for (const Placed& t : placed) {
                if (t.n != hn) continue;
                for (const InverseHit& h : s.ws.hover_hits) {
                    if (h.c_out != t.c) continue;
                    const ImVec2 a(t.p.x + static_cast<float>(h.x) * m.cell, t.p.y + static_cast<float>(h.y) * m.cell);
                    if (m.cell >= 4.0f)
                        outline(dl, a, ImVec2(a.x + m.cell, a.y + m.cell), kHoverColour, 1.0f);
                    else
                        dl->AddRectFilled(a, ImVec2(a.x + m.cell, a.y + m.cell), kHoverColour);
                }
            }
        }

        // the current map and pixel
        if (current) {
            const ImVec2 p = current->p;
            outline(dl, ImVec2(p.x - 2, p.y - 2), ImVec2(p.x + m.tile_w + 2, p.y + m.tile_h + 2),
                    IM_COL32(255, 255, 255, 230), 1.5f);
            const ImVec2 a(p.x + static_cast<float>(s.ws.cs.x) * m.cell, p.y + static_cast<float>(s.ws.cs.y) * m.cell);
            const float grow = m.cell < 4.0f ? 1.5f : 0.0f;
            outline(dl, ImVec2(a.x - grow, a.y - grow), ImVec2(a.x + m.cell + grow, a.y + m.cell + grow), kWindowColour,
                    m.cell < 4.0f ? 1.5f : 2.0f);
            const std::array<int64_t, 4> key{current->n, current->c, m.per_row, static_cast<int64_t>(m.tile_h)};
            if (key != s.view.fmap_followed) {
                s.view.fmap_followed = key;
                if (p.y < win_min.y || p.y + m.tile_h > win_max.y)
                    ImGui::SetScrollY(ImGui::GetScrollY() + (p.y - win_min.y) - (win_max.y - win_min.y) * 0.3f);
            }
        }
        ImGui::EndChild();
    }
}

}  // namespace

void draw_feature_maps(Ui& s) {
    next_window_slot(s, Slot::FeatureMaps);
    if (begin_panel("Feature maps")) {
        if (ImGui::BeginTabBar("##fmap_tabs")) {
            const auto flags = [&](bool after) {
                return s.view.after_show_request == after ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
            };
            if (ImGui::BeginTabItem("conv output y", nullptr, flags(false))) {
                s.view.after_shown = false;
                draw_conv_maps(s);
                ImGui::EndTabItem();
            }
            if (ImGui::BeginTabItem("then ReLU + pool", nullptr, flags(true))) {
                s.view.after_shown = true;
                draw_after_conv_tab(s);
                ImGui::EndTabItem();
            }
            s.view.after_show_request.reset();
            ImGui::EndTabBar();
        }
    }
    ImGui::End();
}

}  // namespace convscope::gui
