// Sections: one virtualised matrix grid · the panel · dump
#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "im2col_grid.hpp"
#include "im2col_view.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace im2col_grid {

// ---- one virtualised matrix grid: only the visible cells are drawn; header row and label column stay pinned ----

float scroll_to(float target, float cell, float avail, float current) {
    if (target >= current && target + cell <= current + avail) return current;
    return std::max(0.0f, target - (avail - cell) * 0.5f);
}

Click draw_matrix(const Matrix& m, ImVec2 size, Im2colUi::Grid& grid) {
    Click click;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    const bool visible = ImGui::BeginChild(m.id, size, true, ImGuiWindowFlags_HorizontalScrollbar);
    ImGui::PopStyleVar();
    if (!visible) {
        ImGui::EndChild();
        return click;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 cmin = dl->GetClipRectMin(), cmax = dl->GetClipRectMax();
    const ImVec2 avail(cmax.x - cmin.x - m.label_w, cmax.y - cmin.y - m.header_h);
    if (m.follow) {
        const int64_t row = m.hi_row >= 0     ? m.hi_row
                            : m.mac_row >= 0  ? m.mac_row
                            : m.out_row >= 0  ? m.out_row
                            : m.marks.empty() ? -1
                                              : m.marks.front()[0];
        if (row >= 0)
            ImGui::SetScrollY(scroll_to(static_cast<float>(row) * m.cell_h, m.cell_h, avail.y, ImGui::GetScrollY()));
        const int64_t col = m.mac_col >= 0    ? m.mac_col
                            : m.hi_col >= 0   ? m.hi_col
                            : m.out_col >= 0  ? m.out_col
                            : m.marks.empty() ? -1
                                              : m.marks.front()[1];
        if (col >= 0)
            ImGui::SetScrollX(scroll_to(static_cast<float>(col) * m.cell_w, m.cell_w, avail.x, ImGui::GetScrollX()));
    }
    const ImVec2 o = ImGui::GetCursorScreenPos();        // content (0, 0); moves with scrolling
    const ImVec2 g0(o.x + m.label_w, o.y + m.header_h);  // cell (0, 0)
    ImGui::Dummy(
        ImVec2(m.label_w + static_cast<float>(m.cols) * m.cell_w, m.header_h + static_cast<float>(m.rows) * m.cell_h));

    auto clamp_index = [](float v, int64_t n) {
        return std::clamp<int64_t>(static_cast<int64_t>(std::floor(v)), 0, n);
    };
    const int64_t r0 = clamp_index((cmin.y + m.header_h - g0.y) / m.cell_h, m.rows);
    const int64_t r1 = clamp_index((cmax.y - g0.y) / m.cell_h + 1.0f, m.rows);
    const int64_t c0 = clamp_index((cmin.x + m.label_w - g0.x) / m.cell_w, m.cols);
    const int64_t c1 = clamp_index((cmax.x - g0.x) / m.cell_w + 1.0f, m.cols);
    auto cell_min = [&](int64_t r, int64_t c) {
        return ImVec2(g0.x + static_cast<float>(c) * m.cell_w, g0.y + static_cast<float>(r) * m.cell_h);
    };
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) {
            ImGui::PushID(static_cast<int>(r * m.cols + c));
            const ImVec2 p0 = cell_min(r, c);
            m.cell(dl, r, c, p0, ImVec2(p0.x + m.cell_w, p0.y + m.cell_h));
            ImGui::PopID();
        }
    const float wide = static_cast<float>(m.cols) * m.cell_w, tall = static_cast<float>(m.rows) * m.cell_h;
    if (m.hi_col >= 0) {
        const ImVec2 a = cell_min(0, m.hi_col);
        const float w = m.cell_w * static_cast<float>(m.mac_span);
        dl->AddRectFilled(a, ImVec2(a.x + w, a.y + tall), IM_COL32(0, 235, 255, 40));
        outline(dl, a, ImVec2(a.x + w, a.y + tall), IM_COL32(0, 235, 255, 160), 1.0f);
    }
    if (m.hi_row >= 0) {
        const ImVec2 a = cell_min(m.hi_row, 0);
        dl->AddRectFilled(a, ImVec2(a.x + wide, a.y + m.cell_h), IM_COL32(255, 221, 0, 32));
        outline(dl, ImVec2(a.x - 1, a.y - 1), ImVec2(a.x + wide + 1, a.y + m.cell_h + 1), kWindowColour, 2.0f);
    }
    if (m.out_row >= 0 && m.out_col >= 0) {
        const ImVec2 a = cell_min(m.out_row, m.out_col);
        outline(dl, ImVec2(a.x - 2, a.y - 2), ImVec2(a.x + m.cell_w + 2, a.y + m.cell_h + 2), kWindowColour, 3.0f);
    }
    for (const auto& [mr, mc] : m.marks) {
        const ImVec2 a = cell_min(mr, mc);
        outline(dl, ImVec2(a.x - 1, a.y - 1), ImVec2(a.x + m.cell_w + 1, a.y + m.cell_h + 1), kWindowColour, 2.0f);
    }
    if (m.mac_row >= 0 && m.mac_col >= 0) {
        const ImVec2 a = cell_min(m.mac_row, m.mac_col);
        const float w = m.cell_w * static_cast<float>(m.mac_span);
        const float h = m.cell_h * static_cast<float>(m.mac_row_span);
        outline(dl, ImVec2(a.x - 1, a.y - 1), ImVec2(a.x + w + 1, a.y + h + 1), kMacColour, 3.0f);
    }

    // pinned header row and label column
    const ImU32 bg = ImGui::GetColorU32(ImGuiCol_WindowBg, 1.0f);
    const ImU32 label = ImGui::GetColorU32(ImGuiCol_Text);
    ImFont* font = cell_font();
    auto centred = [&](ImVec2 p0, ImVec2 p1, const std::string& t, ImU32 colour) {
        const ImVec2 ts = font->CalcTextSizeA(font->FontSize, 1e9f, 0.0f, t.c_str());
        dl->AddText(font, font->FontSize,
                    ImVec2(std::floor((p0.x + p1.x - ts.x) * 0.5f), std::floor((p0.y + p1.y - ts.y) * 0.5f)), colour,
                    t.c_str());
    };
    dl->AddRectFilled(cmin, ImVec2(cmax.x, cmin.y + m.header_h), bg);
    dl->PushClipRect(ImVec2(cmin.x + m.label_w, cmin.y), cmax, true);
    for (int64_t c = c0; c < c1; ++c) {
        const float x = g0.x + static_cast<float>(c) * m.cell_w;
        const bool in_mac = m.mac_col >= 0 && c >= m.mac_col && c < m.mac_col + m.mac_span;
        const bool hot = c == m.out_col || in_mac || (m.hi_col >= 0 && c >= m.hi_col && c < m.hi_col + m.mac_span);
        if (hot)
            dl->AddRectFilled(ImVec2(x, cmin.y), ImVec2(x + m.cell_w, cmin.y + m.header_h),
                              ink(IM_COL32(60, 62, 75, 255)));
        centred(ImVec2(x, cmin.y), ImVec2(x + m.cell_w, cmin.y + m.header_h), m.col_label(c),
                hot ? ink(in_mac ? kMacColour : kWindowColour) : label);
    }
    dl->PopClipRect();
    dl->AddRectFilled(ImVec2(cmin.x, cmin.y + m.header_h), ImVec2(cmin.x + m.label_w, cmax.y), bg);
    dl->PushClipRect(ImVec2(cmin.x, cmin.y + m.header_h), cmax, true);
    for (int64_t r = r0; r < r1; ++r) {
        const float y = g0.y + static_cast<float>(r) * m.cell_h;
        const bool hot = r == m.hi_row || r == m.out_row ||
                         (m.mac_row >= 0 && m.mac_row_span > 1 && r >= m.mac_row && r < m.mac_row + m.mac_row_span);
        if (hot)
            dl->AddRectFilled(ImVec2(cmin.x, y), ImVec2(cmin.x + m.label_w, y + m.cell_h),
                              ink(IM_COL32(60, 62, 75, 255)));
        centred(ImVec2(cmin.x, y), ImVec2(cmin.x + m.label_w, y + m.cell_h), m.row_label(r),
                hot ? kWindowColour : label);
    }
    dl->PopClipRect();
    dl->AddRectFilled(cmin, ImVec2(cmin.x + m.label_w, cmin.y + m.header_h), bg);
    centred(cmin, ImVec2(cmin.x + m.label_w, cmin.y + m.header_h), m.corner, ink(IM_COL32(170, 172, 185, 255)));
    dl->AddLine(ImVec2(cmin.x, cmin.y + m.header_h - 1), ImVec2(cmax.x, cmin.y + m.header_h - 1),
                IM_COL32(120, 122, 135, 255));
    dl->AddLine(ImVec2(cmin.x + m.label_w - 1, cmin.y), ImVec2(cmin.x + m.label_w - 1, cmax.y),
                IM_COL32(120, 122, 135, 255));

    if (ImGui::IsWindowHovered()) {
        const ImVec2 mp = ImGui::GetIO().MousePos;
        if (mp.y >= cmin.y + m.header_h && mp.y < cmax.y && mp.x >= cmin.x && mp.x < cmax.x) {
            const int64_t r = static_cast<int64_t>(std::floor((mp.y - g0.y) / m.cell_h));
            const int64_t c =
                mp.x < cmin.x + m.label_w ? -1 : static_cast<int64_t>(std::floor((mp.x - g0.x) / m.cell_w));
            if (r >= 0 && r < m.rows && c < m.cols) {
                if (c >= 0 && m.tooltip) m.tooltip(r, c);
                if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) click = {r, c};
            }
        }
    }
    grid.origin = g0;
    grid.cell_w = m.cell_w;
    grid.cell_h = m.cell_h;
    grid.rows = m.rows;
    grid.cols = m.cols;
    grid.first_row = r0;
    grid.last_row = r1 - 1;
    grid.first_col = c0;
    grid.last_col = c1 - 1;
    grid.clip_min = ImVec2(cmin.x + m.label_w, cmin.y + m.header_h);
    grid.clip_max = cmax;
    ImGui::EndChild();
    return click;
}

std::string compact(std::string t) {
    t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
    return t;
}

std::string position_text(const ConvGeometry& g, int64_t y, int64_t x) {
    return g.dims == 1 ? "(" + std::to_string(x) + ")" : "(" + std::to_string(y) + "," + std::to_string(x) + ")";
}

float text_w(const std::string& t) {
    ImFont* f = cell_font();
    return f->CalcTextSizeA(f->FontSize, 1e9f, 0.0f, t.c_str()).x;
}

// Diagonal stripes over a padding cell (the Input panel's hatching).
void hatch(ImDrawList* dl, ImVec2 p0, ImVec2 p1) {
    dl->AddRectFilled(p0, p1, IM_COL32(60, 60, 70, 90));
    // 45-degree stripes cut to the cell by hand (a clip rectangle per cell would split the draw list)
    const float step = 6.0f, h = p1.y - p0.y;
    for (float x = p0.x - h + step; x < p1.x; x += step) {
        const float t0 = std::max(0.0f, p0.x - x), t1 = std::min(h, p1.x - x);
        if (t1 > t0)
            dl->AddLine(ImVec2(x + t0, p1.y - t0), ImVec2(x + t1, p1.y - t1), IM_COL32(150, 150, 160, 190), 1.0f);
    }
}

nlohmann::json grid_json(const Im2colUi::Grid& q) {
    using nlohmann::json;
    return json{{"x0", q.origin.x},
                {"y0", q.origin.y},
                {"cell_w", q.cell_w},
                {"cell_h", q.cell_h},
                {"rows", q.rows},
                {"cols", q.cols},
                {"first_row", q.first_row},
                {"last_row", q.last_row},
                {"first_col", q.first_col},
                {"last_col", q.last_col},
                {"clip", json::array({q.clip_min.x, q.clip_min.y, q.clip_max.x, q.clip_max.y})}};
}

}  // namespace im2col_grid

using namespace im2col_grid;

// ---- the panel ----

void draw_im2col(Ui& s) {
    s.view.im2col.drawn = false;
    if (s.ws.transpose.active) return draw_im2col_transpose(s);
    if (!s.view.im2col.open || !s.ws.scene || !s.ws.output) return;
    next_window_slot(s, Slot::Im2col);
    if (!begin_panel("im2col / GEMM", &s.view.im2col.open)) {
        ImGui::End();
        return;
    }
    s.view.im2col.drawn = true;
    const Scene& sc = *s.ws.scene;
    const ConvGeometry& g = sc.geo;
    const CursorState& cs = s.ws.cs;
    const workspace::Im2colView v(g, sc.x, sc.w, sc.bias_ptr());
    const int64_t group = v.group_of(cs.c_out), row = v.row_of(cs.y, cs.x), wrow = v.w_row_of(cs.c_out);
    const bool mac = s.ws.granularity != Granularity::Position;
    // MAC steps: the current multiply-add's column; channel steps: the channel's kH*kW columns
    const int64_t kk = g.kernel[0] * g.kernel[1];
    const bool channel_steps = s.ws.granularity == Granularity::Channel;
    const int64_t mac_col = !mac ? -1 : channel_steps ? cs.ci * kk : cs.mac;
    const int64_t mac_span = channel_steps ? kk : 1;
    const int64_t Ho = g.out[0], Wo = g.out[1];
    auto output_at = [&](int64_t co, int64_t r) {
        return s.ws.output->y[((cs.n * g.c_out + co) * Ho + r / Wo) * Wo + r % Wo];
    };

    // what is shown: batch item, group (selecting a group moves the cursor to the same filter of that group)
    ImGui::Text("batch item %lld", static_cast<long long>(cs.n));
    if (g.groups > 1) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
        const std::string preview = "group " + std::to_string(group) + " of " + std::to_string(g.groups);
        if (ImGui::BeginCombo("##group", preview.c_str())) {
            for (int64_t gi = 0; gi < g.groups; ++gi) {
                ImGui::PushID(static_cast<int>(gi));
                const std::string name =
                    "group " + std::to_string(gi) + ": in channels " + std::to_string(gi * g.c_in_per_group) + ".." +
                    std::to_string((gi + 1) * g.c_in_per_group - 1) + ", filters " + std::to_string(v.c_out_of(gi, 0)) +
                    ".." + std::to_string(v.c_out_of(gi, v.w_rows() - 1));
                if (ImGui::Selectable(name.c_str(), gi == group))
                    s.push(intent::SelectOutputChannel{v.c_out_of(gi, wrow)});
                ImGui::PopID();
            }
            ImGui::EndCombo();
        }
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("One X_col / W_row block per group; it follows the cursor's filter");
    }
    ImGui::SameLine();
    help_marker(
        "How PyTorch computes a convolution: unfold the input (im2col: one row of X_col per output position, "
        "F.unfold(x).transpose(1, 2)), reshape the weight into W_row (weight.reshape(C_out, -1)) and do one "
        "matrix multiply per group: Y = W_row . X_col^T + bias. The yellow row of X_col is the cursor's "
        "window; the cyan column is the current multiply-add (MAC steps; channel steps: the channel's columns); "
        "hatched cells are padding. "
        "Click a row of X_col or a cell of Y to move the cursor there, a row of W_row to pick that filter.");
    text_pieces(
        {"row " + std::to_string(row) + " = " + (g.dims == 1 ? "x " : "(y, x) ") + position_text(g, cs.y, cs.x),
         "  W_row row " + std::to_string(wrow) + " = filter " + std::to_string(cs.c_out),
         "  Y[" + std::to_string(wrow) + ", " + std::to_string(row) + "] = " + value_text(output_at(cs.c_out, row))},
        accent_text(), true);

    // sizes of every cell from the text they must hold, at the current font size
    ImFont* font = cell_font();
    const float pad = std::max(4.0f, font->FontSize * 0.5f);
    const float cell_h = std::floor(font->FontSize + pad);
    const std::string widest_col = compact(workspace::im2col_column_text(g, v.column(v.cols() - 1)));
    const float value_w = text_w("-0.00");
    const float x_cell_w = std::floor(std::max({value_w, text_w(widest_col)}) + pad);
    const std::string widest_pos = position_text(g, Ho - 1, Wo - 1);
    const float y_cell_w = std::floor(std::max(value_w, text_w(widest_pos)) + pad);
    const float header_h = cell_h + 2.0f;
    const std::string x_label_max = std::to_string(v.rows() - 1) + " " + widest_pos;
    const std::string w_label_max = "co " + std::to_string(g.c_out - 1);

    const std::array<int64_t, 3> key{static_cast<int64_t>(sc.id), s.ws.step, static_cast<int64_t>(s.ws.granularity)};
    const bool follow = key != s.view.im2col.followed;
    s.view.im2col.followed = key;
    const bool numbers = s.view.show_numbers;
    const bool picture = g.dims == 2 && (g.c_in == 3 || g.c_in == 1);
    const HeatmapStyle wstyle = diverging_style(s.gpu.filter_atlas.scale);
    const HeatmapStyle ystyle = diverging_style(s.gpu.fmap_atlas.scale);

    Matrix xm;
    xm.id = "##x_col";
    xm.corner = "row (y,x)";
    if (g.dims == 1) xm.corner = "row (x)";
    xm.rows = v.rows();
    xm.cols = v.cols();
    xm.cell_w = x_cell_w;
    xm.cell_h = cell_h;
    xm.header_h = header_h;
    xm.label_w = std::floor(std::max(text_w(x_label_max), text_w(xm.corner)) + pad);
    xm.row_label = [&](int64_t r) {
        const auto [y, x] = v.position_of(r);
        return std::to_string(r) + " " + position_text(g, y, x);
    };
    xm.col_label = [&](int64_t c) { return compact(workspace::im2col_column_text(g, v.column(c))); };
    xm.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        const workspace::Im2colCell cell = v.x_cell(cs.n, group, r, c);
        const HeatmapStyle st = input_style(s.gpu.input_atlas, cell.c, g.c_in, picture);
        dl->AddRectFilled(p0, ImVec2(p1.x - 1, p1.y - 1), style_colour(st, cell.value));  // the 1 px gap is the grid
        if (cell.padding) hatch(dl, p0, p1);
        if (numbers)
            cell_value(dl, p0, p1, cell.value,
                       cell.padding ? IM_COL32(255, 255, 255, 255) : text_colour_on(st, cell.value));
    };
    xm.tooltip = [&](int64_t r, int64_t c) {
        const workspace::Im2colCell cell = v.x_cell(cs.n, group, r, c);
        const workspace::Im2colColumn k = v.column(c);
        std::string t = "X_col[" + std::to_string(r) + ", " + std::to_string(c) +
                        "]  column (ci, ky, kx) = " + workspace::im2col_column_text(g, k) + " = " +
                        value_text(cell.value) + "\n";
        const std::string spot =
            g.dims == 1 ? std::to_string(cell.px) : std::to_string(cell.py) + ", " + std::to_string(cell.px);
        if (!cell.padding)
            t += "x[" + std::to_string(cs.n) + ", " + std::to_string(cell.c) + ", " + spot + "]";
        else if (cell.src_y < 0)
            t += "padding at (" + spot + "): zero";
        else
            t += std::string("padding at (") + spot + "): " + padding_mode_name(g.mode) + " copies x[" +
                 std::to_string(cs.n) + ", " + std::to_string(cell.c) + ", " +
                 (g.dims == 1 ? std::to_string(cell.src_x)
                              : std::to_string(cell.src_y) + ", " + std::to_string(cell.src_x)) +
                 "]";
        ImGui::SetTooltip("%s", t.c_str());
    };
    xm.hi_row = row;
    xm.mac_row = mac ? row : -1;
    xm.mac_col = mac_col;
    xm.hi_col = mac_col;
    xm.mac_span = mac_span;
    xm.follow = follow;

    Matrix wm = xm;
    wm.id = "##w_row";
    wm.corner = "filter";
    wm.rows = v.w_rows();
    wm.label_w = std::floor(std::max(text_w(w_label_max), text_w(wm.corner)) + pad);
    wm.row_label = [&](int64_t r) { return "co " + std::to_string(v.c_out_of(group, r)); };
    wm.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        const float w = v.w_value(group, r, c);
        dl->AddRectFilled(p0, ImVec2(p1.x - 1, p1.y - 1), style_colour(wstyle, w));  // the 1 px gap is the grid
        if (numbers) cell_value(dl, p0, p1, w, text_colour_on(wstyle, w));
    };
    wm.tooltip = [&](int64_t r, int64_t c) {
        const workspace::Im2colColumn k = v.column(c);
        const int64_t co = v.c_out_of(group, r);
        const std::string idx = g.dims == 1 ? std::to_string(k.kx) : std::to_string(k.ky) + ", " + std::to_string(k.kx);
        ImGui::SetTooltip("W_row[%lld, %lld] = weight[%lld, %lld, %s] = %s", static_cast<long long>(r),
                          static_cast<long long>(c), static_cast<long long>(co), static_cast<long long>(k.ci),
                          idx.c_str(), value_text(v.w_value(group, r, c)).c_str());
    };
    wm.hi_row = wrow;
    wm.mac_row = mac ? wrow : -1;

    Matrix ym{.id = "##y",
              .corner = "filter",
              .rows = v.w_rows(),
              .cols = v.rows(),
              .label_w = wm.label_w,
              .header_h = header_h,
              .cell_w = y_cell_w,
              .cell_h = cell_h};
    ym.row_label = wm.row_label;
    ym.col_label = [&](int64_t c) {
        const auto [y, x] = v.position_of(c);
        return position_text(g, y, x);
    };
    ym.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        const float y = output_at(v.c_out_of(group, r), c);
        dl->AddRectFilled(p0, ImVec2(p1.x - 1, p1.y - 1), style_colour(ystyle, y));  // the 1 px gap is the grid
        if (numbers) cell_value(dl, p0, p1, y, text_colour_on(ystyle, y));
    };
    ym.tooltip = [&](int64_t r, int64_t c) {
        const int64_t co = v.c_out_of(group, r);
        ImGui::SetTooltip("Y[%lld, %lld] = W_row row %lld . X_col row %lld%s = y[%lld, %lld, %s] = %s",
                          static_cast<long long>(r), static_cast<long long>(c), static_cast<long long>(r),
                          static_cast<long long>(c), g.has_bias ? " + bias" : "", static_cast<long long>(cs.n),
                          static_cast<long long>(co), position_text(g, c / Wo, c % Wo).c_str(),
                          value_text(output_at(co, c)).c_str());
    };
    ym.out_row = wrow;
    ym.out_col = row;
    ym.follow = follow;

    // X_col on the left; W_row above Y on the right (the same row of W_row is the same row of Y)
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float left_w =
        std::floor(std::min(avail.x * 0.5f, xm.label_w + x_cell_w * static_cast<float>(v.cols()) + 16.0f));
    const float right_w = avail.x - left_w - gap;
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + left_w);
    ImGui::TextWrapped("%s", workspace::im2col_x_text(g).c_str());
    ImGui::PopTextWrapPos();
    const Click xc = draw_matrix(xm, ImVec2(left_w, 0), s.view.im2col.x_grid);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float top = ImGui::GetCursorPosY();
    ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + right_w);
    ImGui::TextWrapped("%s", workspace::im2col_w_text(g).c_str());
    const float w_h =
        std::max(header_h + cell_h * 2.0f, std::floor((avail.y - (ImGui::GetCursorPosY() - top)) * 0.42f));
    const float w_rows_h = header_h + cell_h * static_cast<float>(v.w_rows()) + 20.0f;
    const Click wc = draw_matrix(wm, ImVec2(right_w, std::min(w_h, w_rows_h)), s.view.im2col.w_grid);
    ImGui::TextWrapped("%s", workspace::im2col_y_text(g).c_str());
    ImGui::PopTextWrapPos();
    const Click yc = draw_matrix(ym, ImVec2(right_w, 0), s.view.im2col.y_grid);
    ImGui::EndGroup();

    if (xc.row >= 0) {
        const auto [y, x] = v.position_of(xc.row);
        s.push(intent::MoveCursor{cs.n, cs.c_out, y, x});
    }
    if (wc.row >= 0) s.push(intent::SelectOutputChannel{v.c_out_of(group, wc.row)});
    if (yc.row >= 0 && yc.col >= 0) {
        const auto [y, x] = v.position_of(yc.col);
        s.push(intent::MoveCursor{cs.n, v.c_out_of(group, yc.row), y, x});
    } else if (yc.row >= 0) {
        s.push(intent::SelectOutputChannel{v.c_out_of(group, yc.row)});
    }
    ImGui::End();
}

// ---- dump ----

nlohmann::json im2col_dump(const AppState& s) {
    using nlohmann::json;
    if (s.ws.transpose.active) return im2col_transpose_dump(s);
    if (!s.view.im2col.open || !s.ws.scene || !s.ws.output) return nullptr;
    const Scene& sc = *s.ws.scene;
    const ConvGeometry& g = sc.geo;
    const CursorState& cs = s.ws.cs;
    const workspace::Im2colView v(g, sc.x, sc.w, sc.bias_ptr());
    const int64_t group = v.group_of(cs.c_out), row = v.row_of(cs.y, cs.x), wrow = v.w_row_of(cs.c_out);
    json values = json::array(), padding = json::array(), columns = json::array();
    for (int64_t k = 0; k < v.cols(); ++k) {
        const workspace::Im2colCell c = v.x_cell(cs.n, group, row, k);
        values.push_back(c.value);
        padding.push_back(c.padding);
        columns.push_back(workspace::im2col_column_text(g, v.column(k)));
    }
    const int64_t flat = ((cs.n * g.c_out + cs.c_out) * g.out[0] + cs.y) * g.out[1] + cs.x;
    return {{"drawn", s.view.im2col.drawn},
            {"x_size", {v.rows(), v.cols()}},
            {"w_size", {v.w_rows(), v.cols()}},
            {"y_size", {v.w_rows(), v.rows()}},
            {"groups", v.groups()},
            {"texts", {workspace::im2col_x_text(g), workspace::im2col_w_text(g), workspace::im2col_y_text(g)}},
            {"n", cs.n},
            {"group", group},
            {"row", row},
            {"position", {cs.y, cs.x}},
            {"columns", columns},
            {"row_values", values},
            {"row_padding", padding},
            {"mac_column", s.ws.granularity == Granularity::Position ? json(nullptr) : json(cs.mac)},
            {"channel_columns",
             s.ws.granularity == Granularity::Channel
                 ? json::array({cs.ci * g.kernel[0] * g.kernel[1], (cs.ci + 1) * g.kernel[0] * g.kernel[1] - 1})
                 : json(nullptr)},
            {"w_row", wrow},
            {"c_out", cs.c_out},
            {"w_values", v.w_row(group, wrow)},
            {"bias", v.bias(cs.c_out)},
            {"y_cell", {wrow, row}},
            {"y_value", s.ws.output->y[flat]},
            {"y_product", v.product(cs.n, group, wrow, row)},
            {"x_grid", im2col_grid::grid_json(s.view.im2col.x_grid)},
            {"w_grid", im2col_grid::grid_json(s.view.im2col.w_grid)},
            {"y_grid", im2col_grid::grid_json(s.view.im2col.y_grid)}};
}

}  // namespace convscope::gui
