#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>

#include "keras_layer.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

struct AfterGrid {
    float cell = 2, tile_w = 0, tile_h = 0, gap = 6, label_h = 0;
    int per_row = 1;
};

AfterGrid fit_after_grid(const Ui& s, ImVec2 avail, float header_h) {
    const ConvGeometry& g = s.ws.geo();
    const workspace::AfterResult& a = s.ws.after.result;
    AfterGrid m;
    for (float cell = 32.0f; cell >= 2.0f; cell -= 1.0f) {
        m.cell = cell;
        m.tile_w = cell * static_cast<float>(a.out_w);
        m.tile_h = cell * static_cast<float>(a.out_h);
        m.label_h = m.tile_w >= 26.0f ? mono_font()->FontSize + 1.0f : 0.0f;
        m.per_row = std::max(1, static_cast<int>((avail.x + m.gap) / (m.tile_w + m.gap)));
        const auto rows = static_cast<float>((g.c_out + m.per_row - 1) / m.per_row);
        const float total = static_cast<float>(g.n) * (header_h + rows * (m.tile_h + m.label_h + m.gap) + 4.0f);
        if (total <= avail.y && m.tile_w <= avail.x) break;
    }
    return m;
}

std::string index_text(int dims, int64_t n, int64_t c, int64_t y, int64_t x) {
    const std::string head = std::to_string(n) + ", " + std::to_string(c) + ", ";
    return "[" + head + (dims == 2 ? std::to_string(y) + ", " : "") + std::to_string(x) + "]";
}

// Does the window of pooled element (py, px) read conv output element (y, x)?
bool window_reads(const PoolGeometry& p, int64_t py, int64_t px, int64_t y, int64_t x) {
    const int64_t dy = y - (py * p.stride[0] - p.pad_begin[0]), dx = x - (px * p.stride[1] - p.pad_begin[1]);
    return dy >= 0 && dx >= 0 && dy % p.dilation[0] == 0 && dx % p.dilation[1] == 0 &&
           dy / p.dilation[0] < p.kernel[0] && dx / p.dilation[1] < p.kernel[1];
}

// The pooled value at (n, c, py, px), explained from the core's PoolCursor; returns the tap a click moves to.
const PoolTap* pooled_tooltip(const Ui& s, const PoolState& st) {
    const workspace::AfterResult& a = s.ws.after.result;
    const PoolGeometry& p = *a.pool;
    const int dims = p.dims;
    const char* src = a.settings.relu ? "relu(y)" : "y";
    ImGui::BeginTooltip();
    ImGui::Text("p%s = %s", index_text(dims, st.n, st.c, st.y, st.x).c_str(), value_text(st.value).c_str());
    if (p.mode == PoolMode::Max)
        ImGui::TextColored(dim_text(), "the largest of the %lld values of %s in its window (first one on a tie)",
                           static_cast<long long>(st.taps.size()), src);
    else
        ImGui::TextColored(dim_text(), "the mean of its window of %s", src);
    for (int64_t ky = 0; ky < p.kernel[0]; ++ky) {
        for (int64_t kx = 0; kx < p.kernel[1]; ++kx) {
            const int64_t t = ky * p.kernel[1] + kx;
            const PoolTap& tap = st.taps[static_cast<size_t>(t)];
            if (kx > 0) ImGui::SameLine();
            const std::string v = tap.kind == PoolTapKind::Input ? value_text(tap.input) : "pad";
            char cellbuf[32];
            std::snprintf(cellbuf, sizeof cellbuf, "%8s", v.c_str());
            if (t == st.winner_tap)
                ImGui::TextColored(accent_text(), "%s", cellbuf);
            else
                ImGui::TextUnformatted(cellbuf);
        }
    }
    const PoolTap* target = nullptr;
    if (p.mode == PoolMode::Max && st.winner_tap >= 0) {
        target = &st.taps[static_cast<size_t>(st.winner_tap)];
        ImGui::Text("winner: %s%s", src, index_text(dims, st.n, st.c, target->py, target->px).c_str());
    } else if (p.mode == PoolMode::Avg) {
        ImGui::Text("= %s / %lld", value_text(st.sum).c_str(), static_cast<long long>(st.divisor));
        ImGui::TextColored(dim_text(), "%s", st.divisor_text.c_str());
        for (const PoolTap& tap : st.taps)
            if (tap.kind == PoolTapKind::Input && !target) target = &tap;
    }
    if (target)
        ImGui::TextColored(dim_text(), "click: move the conv cursor to y%s",
                           index_text(dims, st.n, st.c, target->py, target->px).c_str());
    ImGui::EndTooltip();
    return target;
}

}  // namespace

void draw_after_conv_tab(Ui& s) {
    const ConvGeometry& g = s.ws.geo();
    const workspace::AfterResult& a = s.ws.after.result;
    AfterSettings set = s.ws.after.settings;
    ImGui::Checkbox("ReLU", &set.relu);
    ImGui::SameLine();
    int pool = static_cast<int>(set.pool);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.5f);
    if (ImGui::Combo("##pool", &pool, "no pooling\0MaxPool\0AvgPool\0")) set.pool = static_cast<AfterPool>(pool);
    if (set.pool != AfterPool::None) {
        for (auto [label, id, value] :
             {std::tuple{"kernel", "##kernel", &set.kernel}, std::tuple{"stride", "##stride", &set.stride}}) {
            ImGui::SameLine();
            ImGui::TextUnformatted(label);
            ImGui::SameLine(0, ImGui::GetStyle().ItemInnerSpacing.x);
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 4.2f);
            ImGui::InputInt(id, value);
            *value = std::clamp(*value, 1, 64);
        }
    }
    ImGui::SameLine();
    help_marker(
        "What the seed's Net does next: x = self.pool(F.relu(self.conv1(x))). ReLU keeps each value >= 0 "
        "and turns the rest into 0; MaxPool2d(2, 2) keeps the largest value of every 2x2 block, AvgPool2d "
        "their mean. Every map is pooled on its own: channels and batch items never mix. Hover a pooled "
        "value to see its window; click to move the conv cursor there.");
    if (set != s.ws.after.settings) s.push(intent::SetAfterSettings{set});

    if (a.source != s.ws.output) {  // shown from this frame on: computed at the next frame start
        ImGui::TextDisabled("computing ...");
        return;
    }
    const Shape y_shape = g.output_shape_torch();
    const Convention conv = s.ws.conventions;
    auto shape_text = [&](const Shape& t) { return shape_text_in_convention(conv, TensorRole::Data, t); };
    const std::string y_text = s.shown(Fact::OutputShape, shape_text(y_shape));
    const std::string layers = after_layers_text(a.settings, g.dims);
    if (!a.error.empty()) {
        ImGui::TextWrapped("y %s -> %s", y_text.c_str(), layers.c_str());
        ImGui::PushStyleColor(ImGuiCol_Text, error_text());
        ImGui::TextWrapped("RuntimeError: %s", a.error.c_str());
        ImGui::PopStyleColor();
        return;
    }
    const Shape out_shape = a.pool ? a.pool->output_shape_torch() : y_shape;
    const bool hide_pooled = s.hides(Fact::PooledShape) || s.hides(Fact::OutputShape);
    const std::string chain =
        "y " + y_text + " -> " + layers + " -> " + (hide_pooled ? std::string(kHidden) : shape_text(out_shape));
    ImGui::TextWrapped("%s", chain.c_str());
    s.geometry.written["after.shapes"] = chain;
    HeatmapStyle style = diverging_style(std::max(s.gpu.fmap_atlas.scale, a.abs_max));
    draw_legend(s.gpu.legend_ramp, style, ImGui::GetFontSize() * 5.0f, "", a.non_finite);
    ImGui::SameLine();
    ImGui::TextColored(dim_text(), "(same colours as y)");
    if (a.pool) {
        bool read = false;
        for (int64_t y = 0; y < a.out_h && !read; ++y)
            for (int64_t x = 0; x < a.out_w && !read; ++x) read = window_reads(*a.pool, y, x, s.ws.cs.y, s.ws.cs.x);
        if (!read) {
            ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
            ImGui::TextWrapped("y%s, the cursor's value, is in no window: the pooling drops it",
                               index_text(g.dims, s.ws.cs.n, s.ws.cs.c_out, s.ws.cs.y, s.ws.cs.x).c_str());
            ImGui::PopStyleColor();
        }
    }
    atlas_shortfall_note(s.gpu.after_atlas, g.n * g.c_out);

    ImGui::BeginChild("##after", ImVec2(0, 0), false);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float header_h = ImGui::GetTextLineHeightWithSpacing();
    const AfterGrid m = fit_after_grid(s, ImGui::GetContentRegionAvail(), header_h);
    const ImVec2 win_min = ImGui::GetWindowPos(),
                 win_max(win_min.x + ImGui::GetWindowWidth(), win_min.y + ImGui::GetWindowHeight());
    const int64_t Ho = a.out_h, Wo = a.out_w;
    struct Placed {
        int64_t n, c;
        ImVec2 p;
    };
    std::vector<Placed> placed;
    for (int64_t n = 0; n < g.n; ++n) {
        ImGui::PushID(static_cast<int>(n));
        const ImVec2 head = ImGui::GetCursorScreenPos();
        dl->AddRectFilled(ImVec2(head.x, head.y + 3), ImVec2(head.x + 10, head.y + 13), item_colour(n));
        ImGui::SetCursorScreenPos(ImVec2(head.x + 14, head.y));
        Shape per_item(out_shape.end() - (g.dims == 2 ? 3 : 2), out_shape.end());
        if (conv == Convention::Keras)
            std::rotate(per_item.begin(), per_item.begin() + 1, per_item.end());  // (H, W, C)
        const std::string per_item_text = hide_pooled                 ? kHidden
                                          : conv == Convention::Keras ? python_tuple_text(per_item)
                                                                      : shape_to_string(per_item);
        ImGui::Text("item n=%lld:  y[%lld] -> %s", static_cast<long long>(n), static_cast<long long>(n),
                    per_item_text.c_str());
        const ImVec2 origin(head.x, ImGui::GetCursorScreenPos().y);
        float bottom = origin.y;
        for (int64_t c = 0; c < g.c_out; ++c) {
            if (n * g.c_out + c >= s.gpu.after_atlas.count) break;
            const int col = static_cast<int>(c % m.per_row), row = static_cast<int>(c / m.per_row);
            const ImVec2 p(origin.x + static_cast<float>(col) * (m.tile_w + m.gap),
                           origin.y + static_cast<float>(row) * (m.tile_h + m.label_h + m.gap));
            bottom = std::max(bottom, p.y + m.tile_h + m.label_h + m.gap);
            if (p.y + m.tile_h < win_min.y || p.y > win_max.y) continue;
            placed.push_back({n, c, p});
        }
        dl->AddRect(ImVec2(origin.x - 3, origin.y - 3),
                    ImVec2(origin.x + static_cast<float>(std::min<int64_t>(m.per_row, g.c_out)) * (m.tile_w + m.gap) -
                               m.gap + 3,
                           bottom - m.gap + 2),
                    item_colour(n, 0.75f), 0, 0, 1.5f);
        ImGui::SetCursorScreenPos(ImVec2(origin.x, bottom + 4));
        ImGui::Dummy(ImVec2(static_cast<float>(std::min<int64_t>(m.per_row, g.c_out)) * (m.tile_w + m.gap), 1));
        ImGui::PopID();
    }

    heatmap_begin(dl, style);
    for (const Placed& t : placed)
        atlas_tile(dl, s.gpu.after_atlas, static_cast<int>(t.n * g.c_out + t.c), t.p, ImVec2(m.tile_w, m.tile_h));
    heatmap_end(dl);

    const bool hovered_window = ImGui::IsWindowHovered();
    for (const Placed& t : placed) {
        const ImVec2 q(t.p.x + m.tile_w, t.p.y + m.tile_h);
        if (t.p.y >= win_min.y && q.y <= win_max.y && q.x <= win_max.x)
            s.geometry.after_pixels.push_back(GridRect{t.n, t.c, t.p, m.cell, Ho, Wo});
        if (m.label_h > 0)
            dl->AddText(mono_font(), mono_font()->FontSize, ImVec2(t.p.x, q.y), IM_COL32(170, 172, 185, 255),
                        std::to_string(t.c).c_str());
        const int64_t base = (t.n * g.c_out + t.c) * Ho * Wo;
        if (m.cell >= 14.0f && s.view.show_numbers) {
            for (int64_t y = 0; y < Ho; ++y)
                for (int64_t x = 0; x < Wo; ++x) {
                    const float v = a.out[base + y * Wo + x];
                    const ImVec2 c0(t.p.x + static_cast<float>(x) * m.cell, t.p.y + static_cast<float>(y) * m.cell);
                    cell_value(dl, c0, ImVec2(c0.x + m.cell, c0.y + m.cell), v, text_colour_on(style, v));
                }
        }
        // the pooled values whose window reads the conv cursor's output element
        if (a.pool && t.n == s.ws.cs.n && t.c == s.ws.cs.c_out) {
            outline(dl, ImVec2(t.p.x - 2, t.p.y - 2), ImVec2(q.x + 2, q.y + 2), IM_COL32(255, 255, 255, 230), 1.5f);
            for (int64_t y = 0; y < Ho; ++y)
                for (int64_t x = 0; x < Wo; ++x)
                    if (window_reads(*a.pool, y, x, s.ws.cs.y, s.ws.cs.x)) {
                        const ImVec2 c0(t.p.x + static_cast<float>(x) * m.cell, t.p.y + static_cast<float>(y) * m.cell);
                        outline(dl, c0, ImVec2(c0.x + m.cell, c0.y + m.cell), kWindowColour,
                                m.cell < 4.0f ? 1.0f : 2.0f);
                    }
        }
        if (hovered_window && a.pool && ImGui::IsMouseHoveringRect(t.p, q)) {
            const ImVec2 mp = ImGui::GetMousePos();
            const int64_t y = std::clamp<int64_t>(static_cast<int64_t>((mp.y - t.p.y) / m.cell), 0, Ho - 1);
            const int64_t x = std::clamp<int64_t>(static_cast<int64_t>((mp.x - t.p.x) / m.cell), 0, Wo - 1);
            const ImVec2 c0(t.p.x + static_cast<float>(x) * m.cell, t.p.y + static_cast<float>(y) * m.cell);
            outline(dl, c0, ImVec2(c0.x + m.cell, c0.y + m.cell), kHoverColour, 1.0f);
            const PoolCursor cursor(*a.pool, a.act);
            const PoolState st = cursor.state_at(cursor.step_of(t.n, t.c, y, x));
            const PoolTap* target = pooled_tooltip(s, st);
            s.geometry.after_hover = std::array<int64_t, 4>{t.n, t.c, y, x};
            if (target && ImGui::IsMouseClicked(0)) s.push(intent::MoveCursor{t.n, t.c, target->py, target->px});
        }
    }
    ImGui::EndChild();
}

}  // namespace convscope::gui
