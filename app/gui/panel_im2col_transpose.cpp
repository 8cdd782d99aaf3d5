// The im2col / GEMM window in Layer kind ConvTranspose: PyTorch's GEMM + col2im
// (app/workspace/gemm_transpose_view.hpp). W^T (bottom left) times X (top right) gives columns (bottom right, under X
// and beside W^T); col2im adds every entry of columns into the output plane (top left). Scatter order: the current
// input element is a column of X and of columns; gather order: the entries of columns that add into the current output
// are outlined.
//
// Sections: the panel · dump
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "gemm_transpose_view.hpp"
#include "im2col_grid.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

using namespace im2col_grid;

// What the panel highlights at the cursor, in the view's coordinates (shared by the panel and the dump).
struct GemmTFocus {
    int64_t n = 0, group = 0;
    bool scatter = true;
    int64_t ci = 0;    // the X row / W^T column: the input channel within the group (gather: current tap's)
    int64_t col = -1;  // scatter: the input element's column of X and columns
    int64_t mac_row =
        -1;  // the current MAC's row of W^T and columns (-1 at position steps, or a gather tap off the input)
    int64_t mac_col = -1;  // gather: the current tap's column of columns (-1 when it is not on a real input)
    int64_t row_span = 1;  // channel steps in scatter: the output channel's kH*kW rows
    int64_t c_out = 0;     // the output channel the y grid shows
    std::vector<std::array<int64_t, 2>> entries;  // gather: (row, column) of every columns entry adding into the output
    int64_t out_y = -1, out_x = -1;               // the y cell (scatter: where the MAC lands; -1 when cropped)
    bool cropped = false;                         // scatter: the current MAC's entry falls outside y
};

GemmTFocus focus_of(const TransposeSession& t, const workspace::GemmTransposeView& v) {
    const ConvTransposeGeometry& g = v.geometry();
    const int64_t kk = g.kernel[0] * g.kernel[1];
    GemmTFocus f;
    f.scatter = t.order == TransposeOrder::Scatter;
    const bool steps = t.granularity != Granularity::Position;
    if (f.scatter) {
        const ScatterState& st = t.scatter;
        f.n = st.n;
        f.group = st.group;
        f.ci = st.c_in - st.group * g.c_in_per_group;
        f.col = v.col_of(st.iy, st.ix);
        const ScatterTap& tap = st.taps[static_cast<size_t>(st.mac)];
        f.c_out = tap.co;
        if (steps) {
            const bool channel = t.granularity == Granularity::Channel;
            f.mac_row = channel ? st.co * kk : st.mac;
            f.row_span = channel ? kk : 1;
        }
        f.cropped = tap.cropped;
        if (!tap.cropped) f.out_y = tap.oy, f.out_x = tap.ox;
    } else {
        const GatherState& st = t.gather;
        f.n = st.n;
        f.group = v.group_of_output(st.c_out);
        f.c_out = st.c_out;
        f.ci = st.ci;
        f.out_y = st.y, f.out_x = st.x;
        const int64_t co = st.c_out - f.group * g.c_out_per_group;
        for (int64_t k = 0; k < kk; ++k) {  // every input channel has the same taps on real inputs: take the first's
            const GatherTap& tap = st.taps[static_cast<size_t>(k)];
            if (tap.kind == GatherTapKind::Input)
                f.entries.push_back({v.row_of(co, tap.ky, tap.kx), v.col_of(tap.iy, tap.ix)});
        }
        const GatherTap& cur = st.taps[static_cast<size_t>(st.mac)];
        if (steps && cur.kind == GatherTapKind::Input) {
            f.mac_row = v.row_of(co, cur.ky, cur.kx);
            f.mac_col = v.col_of(cur.iy, cur.ix);
        }
    }
    return f;
}

std::string index_text(std::initializer_list<int64_t> idx) {
    std::string s;
    for (const int64_t i : idx) s += (s.empty() ? "" : ", ") + std::to_string(i);
    return s;
}

}  // namespace

// ---- the panel ----

void draw_im2col_transpose(Ui& s) {
    const TransposeSession& t = s.ws.transpose;
    if (!s.view.im2col.open || !t.scene || !t.cursor) return;
    next_window_slot(s, Slot::Im2col);
    if (!begin_panel("im2col / GEMM", &s.view.im2col.open)) {
        ImGui::End();
        return;
    }
    // the transposed view's own panels appear with Layer kind ConvTranspose over the same place: stay in front
    if (ImGui::IsWindowAppearing() || s.view.relayout) ImGui::SetWindowFocus();
    s.view.im2col.drawn = true;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    const workspace::GemmTransposeView v(g, sc.x, sc.w, sc.bias_ptr());
    const GemmTFocus f = focus_of(t, v);
    const int64_t kk = g.kernel[0] * g.kernel[1], Ho = g.out[0], Wo = g.out[1];
    const bool one_d = g.dims == 1;
    auto y_at = [&](int64_t co, int64_t oy, int64_t ox) { return sc.y[((f.n * g.c_out + co) * Ho + oy) * Wo + ox]; };
    auto pos = [&](int64_t iy, int64_t ix) { return workspace::gemm_t_col_text(g, iy, ix); };
    auto out_pos = [&](int64_t oy, int64_t ox) {
        return one_d ? "(" + std::to_string(ox) + ")" : "(" + std::to_string(oy) + ", " + std::to_string(ox) + ")";
    };

    // the cursor in the GEMM's terms
    ImGui::Text("batch item %lld", static_cast<long long>(f.n));
    if (g.groups > 1) {
        ImGui::SameLine();
        ImGui::Text("group %lld of %lld", static_cast<long long>(f.group), static_cast<long long>(g.groups));
    }
    ImGui::SameLine();
    help_marker(
        "How PyTorch computes a transposed convolution (its GEMM path): one matrix multiply per group, "
        "columns = W^T . X, where W^T is the weight reshaped (C_in/groups, C_out/groups*kH*kW) and transposed, and X "
        "is the input with each channel flattened (C_in/groups x H*W). Row (co, ky, kx) of columns, column (iy, ix): "
        "what input element (iy, ix) sends through kernel tap (ky, kx) to output channel co. col2im then ADDS every "
        "entry into y[co, iy*stride - padding + ky*dilation, ...]; entries that land outside y are dropped (hatched). "
        "The bias is added last. torch.nn.functional.fold is col2im.\n"
        "Scatter order: the input element's column of X and columns is tinted, the current MAC's row outlined. "
        "Gather order: the entries that add into the current output are outlined. "
        "Click a column of X or columns to stamp that input element (scatter), a cell of y to gather it.");
    std::vector<std::string> pieces;
    if (f.scatter) {
        const ScatterState& st = t.scatter;
        const auto [iy, ix] = v.position_of(f.col);
        pieces.push_back("column " + std::to_string(f.col) + " = x" + (one_d ? "" : " ") + pos(iy, ix) +
                         " of channel " + std::to_string(st.c_in));
        if (f.mac_row >= 0 && f.row_span == 1) {
            pieces.push_back("  row " + std::to_string(f.mac_row) + " " +
                             compact(workspace::gemm_t_row_text(g, v.row(f.mac_row))));
            pieces.push_back(f.cropped
                                 ? std::string("  lands outside y: cropped")
                                 : "  -> y[" + std::to_string(f.c_out) + ", " + out_pos(f.out_y, f.out_x).substr(1));
        } else if (f.mac_row >= 0) {
            pieces.push_back("  rows " + std::to_string(f.mac_row) + ".." + std::to_string(f.mac_row + kk - 1) +
                             " = output channel " + std::to_string(f.c_out));
        }
    } else {
        pieces.push_back("y[" + index_text({f.n, f.c_out}) + ", " + out_pos(f.out_y, f.out_x).substr(1) + " = " +
                         value_text(t.gather.value));
        pieces.push_back("  = sum of " + std::to_string(f.entries.size()) + " entries of columns" +
                         (g.has_bias ? " + bias" : ""));
    }
    text_pieces(pieces, accent_text(), false);

    // cell sizes from the text they must hold
    ImFont* font = cell_font();
    const float pad = std::max(4.0f, font->FontSize * 0.5f);
    const float cell_h = std::floor(font->FontSize + pad);
    const float header_h = cell_h + 2.0f;
    const std::string widest_col = compact(pos(g.in[0] - 1, g.in[1] - 1));
    const float cell_w = std::floor(std::max({text_w("-00.0"), text_w(widest_col)}) + pad);
    const std::string widest_row =
        std::to_string(v.rows() - 1) + " " + compact(workspace::gemm_t_row_text(g, v.row(v.rows() - 1)));
    const char* row_corner = one_d ? "r (co,k)" : "r (co,ky,kx)";
    const float label_w = std::floor(std::max({text_w(widest_row), text_w(row_corner), text_w("ci 0")}) + pad);
    const float y_cell_w = std::floor(std::max(text_w("-00.0"), text_w(std::to_string(Wo - 1))) + pad);
    const float y_label_w = std::floor(std::max(text_w(std::to_string(Ho - 1)), text_w("oy\\ox")) + pad);

    const std::array<int64_t, 3> key{static_cast<int64_t>(sc.id), t.step,
                                     static_cast<int64_t>(t.granularity) * 2 + (f.scatter ? 0 : 1)};
    const bool follow = key != s.view.im2col.followed;
    s.view.im2col.followed = key;
    const bool numbers = s.view.show_numbers;
    float col_max = 0;
    for (int64_t r = 0; r < v.rows(); ++r)
        for (int64_t c = 0; c < v.cols(); ++c)
            col_max = std::max(col_max, std::fabs(v.column_value(f.n, f.group, r, c)));
    const HeatmapStyle xstyle = diverging_style(sc.x_abs_max), wstyle = diverging_style(sc.w_abs_max);
    const HeatmapStyle cstyle = diverging_style(col_max), ystyle = diverging_style(sc.y_abs_max);
    auto fill = [&](ImDrawList* dl, ImVec2 p0, ImVec2 p1, const HeatmapStyle& st, float val) {
        dl->AddRectFilled(p0, ImVec2(p1.x - 1, p1.y - 1), style_colour(st, val));  // the 1 px gap is the grid
        if (numbers) cell_value(dl, p0, p1, val, text_colour_on(st, val));
    };
    auto row_label = [&](int64_t r) {
        return std::to_string(r) + " " + compact(workspace::gemm_t_row_text(g, v.row(r)));
    };
    auto col_label = [&](int64_t c) {
        const auto [iy, ix] = v.position_of(c);
        return compact(pos(iy, ix));
    };

    // X: C_in/groups x H*W
    Matrix xm{.id = "##t_x",
              .corner = "ci",
              .rows = v.inner(),
              .cols = v.cols(),
              .label_w = label_w,
              .header_h = header_h,
              .cell_w = cell_w,
              .cell_h = cell_h};
    xm.row_label = [&](int64_t r) { return "ci " + std::to_string(v.c_in_of(f.group, r)); };
    xm.col_label = col_label;
    xm.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        fill(dl, p0, p1, xstyle, v.x_value(f.n, f.group, r, c));
    };
    xm.tooltip = [&](int64_t r, int64_t c) {
        const auto [iy, ix] = v.position_of(c);
        const std::string idx =
            one_d ? index_text({f.n, v.c_in_of(f.group, r), ix}) : index_text({f.n, v.c_in_of(f.group, r), iy, ix});
        ImGui::SetTooltip("X[%lld, %lld] = x[%s] = %s\nclick: stamp this input element (scatter)",
                          static_cast<long long>(r), static_cast<long long>(c), idx.c_str(),
                          value_text(v.x_value(f.n, f.group, r, c)).c_str());
    };
    xm.hi_col = f.col;
    if (f.scatter) {
        xm.mac_row = f.ci, xm.mac_col = f.col;
    } else {
        for (const auto& e : f.entries) xm.marks.push_back({f.ci, e[1]});
        if (f.mac_col >= 0) xm.mac_row = f.ci, xm.mac_col = f.mac_col;
    }
    xm.follow = follow;

    // W^T: C_out/groups*kH*kW x C_in/groups
    Matrix wm{.id = "##t_wt",
              .corner = row_corner,
              .rows = v.rows(),
              .cols = v.inner(),
              .label_w = label_w,
              .header_h = header_h,
              .cell_w = cell_w,
              .cell_h = cell_h};
    wm.row_label = row_label;
    wm.col_label = [&](int64_t c) { return "ci " + std::to_string(v.c_in_of(f.group, c)); };
    wm.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        fill(dl, p0, p1, wstyle, v.wt_value(f.group, r, c));
    };
    wm.tooltip = [&](int64_t r, int64_t c) {
        const workspace::GemmTRow k = v.row(r);
        const std::string idx = one_d ? index_text({v.c_in_of(f.group, c), k.co, k.kx})
                                      : index_text({v.c_in_of(f.group, c), k.co, k.ky, k.kx});
        ImGui::SetTooltip(
            "W^T[%lld, %lld] = weight[%s] = %s\nclick: the multiply-add of the stamp that uses this row "
            "(scatter order, MAC steps)",
            static_cast<long long>(r), static_cast<long long>(c), idx.c_str(),
            value_text(v.wt_value(f.group, r, c)).c_str());
    };
    wm.hi_col = f.ci;
    wm.mac_row = f.mac_row, wm.mac_col = f.mac_row >= 0 ? f.ci : -1, wm.mac_row_span = f.row_span;
    if (!f.scatter)
        for (const auto& e : f.entries) wm.marks.push_back({e[0], f.ci});
    wm.follow = follow;

    // columns = W^T . X
    Matrix cm{.id = "##t_columns",
              .corner = row_corner,
              .rows = v.rows(),
              .cols = v.cols(),
              .label_w = label_w,
              .header_h = header_h,
              .cell_w = cell_w,
              .cell_h = cell_h};
    cm.row_label = row_label;
    cm.col_label = col_label;
    cm.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        fill(dl, p0, p1, cstyle, v.column_value(f.n, f.group, r, c));
        if (v.landing(r, c).cropped) hatch(dl, p0, p1);
    };
    cm.tooltip = [&](int64_t r, int64_t c) {
        const workspace::Col2imCell land = v.landing(r, c);
        const int64_t co = v.c_out_of(f.group, v.row(r).co);
        const std::string to = land.cropped ? "lands at " + out_pos(land.oy, land.ox) + ", outside y: cropped"
                                            : "col2im adds it into y[" + index_text({f.n, co}) + ", " +
                                                  out_pos(land.oy, land.ox).substr(1);
        ImGui::SetTooltip("columns[%lld, %lld] = W^T row %lld . X column %lld = %s\n%s\nclick: stamp input element %s",
                          static_cast<long long>(r), static_cast<long long>(c), static_cast<long long>(r),
                          static_cast<long long>(c), value_text(v.column_value(f.n, f.group, r, c)).c_str(), to.c_str(),
                          compact(col_label(c)).c_str());
    };
    cm.hi_col = f.col;
    if (f.scatter) {
        cm.mac_row = f.mac_row, cm.mac_col = f.mac_row >= 0 ? f.col : -1, cm.mac_row_span = f.row_span;
    } else {
        cm.marks = f.entries;
        cm.mac_row = f.mac_row, cm.mac_col = f.mac_col;
    }
    cm.follow = follow;

    // y[n, c_out]: the plane col2im fills
    Matrix ym{.id = "##t_y",
              .corner = one_d ? "" : "oy\\ox",
              .rows = Ho,
              .cols = Wo,
              .label_w = y_label_w,
              .header_h = header_h,
              .cell_w = y_cell_w,
              .cell_h = cell_h};
    ym.row_label = [](int64_t r) { return std::to_string(r); };
    ym.col_label = [](int64_t c) { return std::to_string(c); };
    ym.cell = [&](ImDrawList* dl, int64_t r, int64_t c, ImVec2 p0, ImVec2 p1) {
        fill(dl, p0, p1, ystyle, y_at(f.c_out, r, c));
    };
    ym.tooltip = [&](int64_t r, int64_t c) {
        ImGui::SetTooltip("y[%s, %s = %s\nclick: gather this output", index_text({f.n, f.c_out}).c_str(),
                          out_pos(r, c).substr(1).c_str(), value_text(y_at(f.c_out, r, c)).c_str());
    };
    if (f.scatter) {  // every cell the current output channel's part of the stamp lands on; the MAC's own in cyan
        const int64_t co = f.c_out - f.group * g.c_out_per_group;
        for (int64_t k = 0; k < kk; ++k) {
            const workspace::Col2imCell land = v.landing(co * kk + k, f.col);
            if (!land.cropped) ym.marks.push_back({land.oy, land.ox});
        }
        if (f.mac_row >= 0 && f.row_span == 1 && !f.cropped) ym.mac_row = f.out_y, ym.mac_col = f.out_x;
    } else {
        ym.out_row = f.out_y, ym.out_col = f.out_x;
    }
    ym.follow = follow;

    // layout: y on the left, full height; on the right X above columns, W^T beside columns (W^T's rows are
    // columns' rows, X's columns are columns' columns)
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetStyle().ItemSpacing.x;
    const float wt_w = std::floor(label_w + cell_w * static_cast<float>(v.inner()) + 16.0f);
    const float y_w = y_label_w + y_cell_w * static_cast<float>(Wo) + 16.0f;
    const float left_w = std::floor(std::min(y_w, avail.x * 0.36f));
    const float right_w = std::max(wt_w + 80.0f, avail.x - left_w - gap);
    const float cols_w = right_w - wt_w - gap;
    const float x_h = std::floor(header_h + cell_h * static_cast<float>(v.inner()) + 18.0f);
    const float x_max_h = std::floor(header_h + cell_h * 4.0f + 18.0f);

    auto caption = [&](const std::string& text, float w) {
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + w);
        ImGui::TextWrapped("%s", text.c_str());
        ImGui::PopTextWrapPos();
    };
    ImGui::BeginGroup();
    caption(workspace::gemm_t_y_text(g) + ": y[" + index_text({f.n, f.c_out}) + "]", left_w);
    const Click yc = draw_matrix(ym, ImVec2(left_w, 0), s.view.im2col.t_y_grid);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const float right_x = ImGui::GetCursorPosX();
    ImGui::BeginGroup();  // W^T's caption in the corner beside X, over W^T
    caption(workspace::gemm_t_w_text(g), wt_w);
    ImGui::EndGroup();
    ImGui::SameLine(wt_w + gap);  // from the group's start
    ImGui::BeginGroup();
    caption(workspace::gemm_t_x_text(g), cols_w);
    const Click xc = draw_matrix(xm, ImVec2(cols_w, std::min(x_h, x_max_h)), s.view.im2col.t_x_grid);
    ImGui::EndGroup();
    ImGui::SetCursorPosX(right_x);
    caption(workspace::gemm_t_columns_text(g), right_w);
    ImGui::SetCursorPosX(right_x);  // both grids start on this line, so their rows stay side by side
    const Click wc = draw_matrix(wm, ImVec2(wt_w, 0), s.view.im2col.t_wt_grid);
    ImGui::SameLine();
    const Click cc = draw_matrix(cm, ImVec2(cols_w, 0), s.view.im2col.t_columns_grid);
    ImGui::EndGroup();

    auto stamp = [&](int64_t ci, int64_t col) {
        const auto [iy, ix] = v.position_of(col);
        if (!f.scatter) s.push(intent::SetTransposeOrder{TransposeOrder::Scatter});
        s.push(intent::MoveTransposeCursor{f.n, v.c_in_of(f.group, ci), iy, ix});
    };
    if (xc.row >= 0 && xc.col >= 0) stamp(xc.row, xc.col);
    if (cc.row >= 0 && cc.col >= 0) stamp(f.ci, cc.col);
    if (wc.row >= 0 && f.scatter) {  // W^T row (co, ky, kx) = MAC index in the stamp (taps are in that order)
        const ScatterState& st = t.scatter;
        if (const auto last = t.step_of(st.n, st.c_in, st.iy, st.ix, Granularity::Mac)) {
            if (s.ws.granularity != Granularity::Mac) s.push(intent::SetGranularity{Granularity::Mac});
            s.push(intent::Seek{*last - (st.macs - 1) + wc.row});
        }
    }
    if (yc.row >= 0 && yc.col >= 0) {
        if (f.scatter) s.push(intent::SetTransposeOrder{TransposeOrder::Gather});
        s.push(intent::MoveTransposeCursor{f.n, f.c_out, yc.row, yc.col});
    }
    ImGui::End();
}

// ---- dump ----

nlohmann::json im2col_transpose_dump(const AppState& s) {
    using nlohmann::json;
    const TransposeSession& t = s.ws.transpose;
    if (!s.view.im2col.open || !t.scene || !t.cursor) return nullptr;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    const workspace::GemmTransposeView v(g, sc.x, sc.w, sc.bias_ptr());
    const GemmTFocus f = focus_of(t, v);
    // one entry of columns with the cell col2im adds it into
    auto entry = [&](int64_t r, int64_t c) {
        const workspace::Col2imCell land = v.landing(r, c);
        const workspace::GemmTRow k = v.row(r);
        return json{{"row", r},
                    {"col", c},
                    {"co", v.c_out_of(f.group, k.co)},
                    {"ky", k.ky},
                    {"kx", k.kx},
                    {"value", v.column_value(f.n, f.group, r, c)},
                    {"lands", {land.oy, land.ox}},
                    {"cropped", land.cropped}};
    };
    json columns = json::array(), wt = json::array(), xs = json::array();
    for (int64_t r = 0; r < v.rows(); ++r) {
        json row = json::array(), wrow = json::array();
        for (int64_t c = 0; c < v.cols(); ++c) row.push_back(v.column_value(f.n, f.group, r, c));
        for (int64_t ci = 0; ci < v.inner(); ++ci) wrow.push_back(v.wt_value(f.group, r, ci));
        columns.push_back(row);
        wt.push_back(wrow);
    }
    for (int64_t ci = 0; ci < v.inner(); ++ci) {
        json row = json::array();
        for (int64_t c = 0; c < v.cols(); ++c) row.push_back(v.x_value(f.n, f.group, ci, c));
        xs.push_back(row);
    }
    json j = {{"drawn", s.view.im2col.drawn},
              {"mode", "transpose"},
              {"order", transpose_order_name(t.order)},
              {"wt_size", {v.rows(), v.inner()}},
              {"x_size", {v.inner(), v.cols()}},
              {"columns_size", {v.rows(), v.cols()}},
              {"y_size", {g.out[0], g.out[1]}},
              {"groups", v.groups()},
              {"texts",
               {workspace::gemm_t_w_text(g), workspace::gemm_t_x_text(g), workspace::gemm_t_columns_text(g),
                workspace::gemm_t_y_text(g)}},
              {"n", f.n},
              {"group", f.group},
              {"wt", wt},
              {"x", xs},
              {"columns", columns},
              {"c_out", f.c_out},
              {"x_row", f.ci},
              {"wt_grid", im2col_grid::grid_json(s.view.im2col.t_wt_grid)},
              {"x_grid", im2col_grid::grid_json(s.view.im2col.t_x_grid)},
              {"columns_grid", im2col_grid::grid_json(s.view.im2col.t_columns_grid)},
              {"y_grid", im2col_grid::grid_json(s.view.im2col.t_y_grid)}};
    if (f.scatter) {
        json col = json::array();
        for (int64_t r = 0; r < v.rows(); ++r) col.push_back(entry(r, f.col));
        j["column"] = f.col;
        j["column_entries"] = col;  // the highlighted column of columns, row by row, with its landing cells
        j["mac_row"] = f.mac_row >= 0 ? json(f.mac_row) : json(nullptr);
        j["mac_rows"] = f.mac_row >= 0 ? json::array({f.mac_row, f.mac_row + f.row_span - 1}) : json(nullptr);
        j["mac_cropped"] = f.cropped;
    } else {
        json es = json::array();
        for (const auto& e : f.entries) es.push_back(entry(e[0], e[1]));
        j["column"] = nullptr;
        j["entries"] = es;  // the entries of columns col2im adds into the current output
        j["mac_entry"] = f.mac_col >= 0 ? json::array({f.mac_row, f.mac_col}) : json(nullptr);
    }
    j["y_cell"] = f.out_y >= 0 ? json::array({f.out_y, f.out_x}) : json(nullptr);
    return j;
}

}  // namespace convscope::gui
