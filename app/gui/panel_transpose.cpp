// The transposed-convolution view (Layer kind ConvTranspose): Input x, Output y, Computation, Channel sums and
// Kernels, in the scatter picture (each input element paints a kernel-sized patch of the output) or the gather
// picture (a plain convolution over the zero-inserted, padded input with the flipped kernel).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

constexpr ImU32 kPendingFill = IM_COL32(52, 54, 62, 255);
constexpr ImU32 kInsertedZeroFill = IM_COL32(72, 78, 96, 255);
constexpr ImU32 kPaddingFill = IM_COL32(40, 40, 46, 255);
constexpr ImU32 kDarkText = IM_COL32(10, 10, 10, 255), kLightText = IM_COL32(240, 240, 240, 255);

struct CellLook {
    ImU32 fill = kPendingFill;
    std::string text;
    ImU32 text_colour = kLightText;
    bool hatch = false;
};

// The view's data are small integers and halves (TransposeData): write them so ("-4", "0.5"), others as value_text.
std::string num(float v) {
    if (std::isfinite(v) && std::fabs(v) < 1e6f) {
        if (v == std::round(v)) return std::to_string(static_cast<long long>(v));
        if (v * 2.0f == std::round(v * 2.0f)) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(v));
            return buf;
        }
    }
    return value_text(v);
}

CellLook value_look(float v, float scale) {
    CellLook l;
    l.fill = style_colour(diverging_style(scale), v);
    l.text = num(v);
    const float t = scale > 0.0f ? std::fabs(v) / scale : 0.0f;
    l.text_colour = (t < 0.62f && std::isfinite(v)) ? kDarkText : kLightText;
    return l;
}

// The cell size that lets `maps` grids of rows x cols sit side by side (wrapping when needed) in the space left,
// with `extra_cols` more cells' width on the first line (a smaller grid beside them).
float fit_cell(int64_t rows, int64_t cols, int64_t maps, float height_share = 1.0f, float extra_cols = 0.0f) {
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float gap = ImGui::GetStyle().ItemSpacing.x * 2.0f;
    const float label = ImGui::GetTextLineHeightWithSpacing();
    float best = 6.0f;
    for (int64_t per_row = 1; per_row <= maps; ++per_row) {
        const int64_t lines = (maps + per_row - 1) / per_row;
        const float by_w = (avail.x - gap * static_cast<float>(per_row + (extra_cols > 0 ? 1 : 0))) /
                           (static_cast<float>(per_row * cols) + extra_cols);
        const float by_h =
            (avail.y * height_share - label * static_cast<float>(lines)) / static_cast<float>(lines * rows);
        best = std::max(best, std::min(by_w, by_h));
    }
    // never below a readable size: the panel scrolls instead
    return std::clamp(best, ImGui::GetFontSize() * 1.15f, ImGui::GetFontSize() * 2.8f);
}

// A rows x cols grid at the cursor; `look` colours each cell. Returns where it was drawn; `clicked` gets the cell.
// `tip` (may be empty) writes the hovered cell's tooltip: its index and value, for cells too small for the number.
GridRect draw_cells(int64_t rows, int64_t cols, float cell, const std::function<CellLook(int64_t, int64_t)>& look,
                    std::optional<std::array<int64_t, 2>>* clicked = nullptr,
                    const std::function<std::string(int64_t, int64_t)>& tip = {}) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const ImVec2 size(cell * static_cast<float>(cols), cell * static_cast<float>(rows));
    ImGui::InvisibleButton("##cells", ImVec2(std::max(size.x, 1.0f), std::max(size.y, 1.0f)));
    if (tip && ImGui::IsItemHovered()) {
        const ImVec2 m = ImGui::GetMousePos();
        const auto r = static_cast<int64_t>((m.y - o.y) / cell), c = static_cast<int64_t>((m.x - o.x) / cell);
        if (r >= 0 && r < rows && c >= 0 && c < cols) ImGui::SetTooltip("%s", tip(r, c).c_str());
    }
    if (clicked && ImGui::IsItemClicked()) {
        const ImVec2 m = ImGui::GetMousePos();
        const auto r = static_cast<int64_t>((m.y - o.y) / cell), c = static_cast<int64_t>((m.x - o.x) / cell);
        if (r >= 0 && r < rows && c >= 0 && c < cols) *clicked = std::array<int64_t, 2>{r, c};
    }
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const ImVec2 p0(o.x + cell * static_cast<float>(c), o.y + cell * static_cast<float>(r));
            const ImVec2 p1(p0.x + cell, p0.y + cell);
            const CellLook l = look(r, c);
            dl->AddRectFilled(p0, p1, l.fill);
            if (l.hatch)
                dl->AddLine(ImVec2(p0.x + 2, p1.y - 2), ImVec2(p1.x - 2, p0.y + 2), IM_COL32(120, 120, 130, 255));
            if (!l.text.empty() && cell >= 14.0f) cell_text(dl, p0, p1, l.text.c_str(), l.text_colour);
        }
    if (cell >= 10.0f)  // grid lines, so equal neighbours stay apart
        for (int64_t r = 0; r <= rows; ++r)
            dl->AddLine(ImVec2(o.x, o.y + cell * static_cast<float>(r)),
                        ImVec2(o.x + size.x, o.y + cell * static_cast<float>(r)), IM_COL32(0, 0, 0, 90));
    if (cell >= 10.0f)
        for (int64_t c = 0; c <= cols; ++c)
            dl->AddLine(ImVec2(o.x + cell * static_cast<float>(c), o.y),
                        ImVec2(o.x + cell * static_cast<float>(c), o.y + size.y), IM_COL32(0, 0, 0, 90));
    return GridRect{0, 0, o, cell, rows, cols};
}

ImVec2 cell_min(const GridRect& g, int64_t r, int64_t c) {
    return ImVec2(g.origin.x + g.cell * static_cast<float>(c), g.origin.y + g.cell * static_cast<float>(r));
}
void outline_cell(const GridRect& g, int64_t r, int64_t c, ImU32 colour, float thickness) {
    const ImVec2 p0 = cell_min(g, r, c);
    outline(ImGui::GetWindowDrawList(), p0, ImVec2(p0.x + g.cell, p0.y + g.cell), colour, thickness);
}

// Starts map i of a flow of maps (SameLine while the next one fits).
void flow_item(int index, float item_width) {
    if (index == 0) return;
    const float right = ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x * 2.0f + item_width;
    if (right <= ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
        ImGui::SameLine(0, ImGui::GetStyle().ItemSpacing.x * 2.0f);
}

std::string index_text(const char* name, bool one_d, std::initializer_list<int64_t> idx) {
    std::vector<int64_t> v(idx);
    if (one_d && v.size() == 4) v.erase(v.begin() + 2);
    std::string t = std::string(name) + "[";
    for (size_t i = 0; i < v.size(); ++i) t += (i ? ", " : "") + std::to_string(v[i]);
    return t + "]";
}

// The output channel a scatter tap paints (the state's co is within the group).
int64_t scatter_co(const TransposeSession& t) { return t.scatter.group * t.scene->geo.c_out_per_group + t.scatter.co; }

}  // namespace

// ---- Input x ----

void draw_transpose_input(Ui& s) {
    next_window_slot(s, Slot::Input);
    const TransposeSession& t = s.ws.transpose;
    if (begin_panel("Input x: what goes IN###Input") && t.scene) {
        const TransposeScene& sc = *t.scene;
        const ConvTransposeGeometry& g = sc.geo;
        ImGui::TextColored(accent_text(), "x %s", shape_to_string(sc.x.shape).c_str());
        dim_note(t.order == TransposeOrder::Scatter
                     ? "the input of the transposed convolution; the yellow element is painting now"
                     : "the input; outlined: the elements the current output reads",
                 true);
        const int64_t maps = g.n * g.c_in;
        const float cell = fit_cell(g.in[0], g.in[1], maps);
        for (int64_t n = 0; n < g.n; ++n)
            for (int64_t c = 0; c < g.c_in; ++c) {
                flow_item(static_cast<int>(n * g.c_in + c), cell * static_cast<float>(g.in[1]));
                ImGui::PushID(static_cast<int>(n * g.c_in + c));
                ImGui::BeginGroup();
                ImGui::TextUnformatted(index_text("x", false, {n, c}).c_str());
                const float* xs = sc.x.data.data() + (n * g.c_in + c) * g.in[0] * g.in[1];
                std::optional<std::array<int64_t, 2>> clicked;
                GridRect r = draw_cells(
                    g.in[0], g.in[1], cell,
                    [&](int64_t y, int64_t x) { return value_look(xs[y * g.in[1] + x], sc.x_abs_max); }, &clicked,
                    [&](int64_t y, int64_t x) {
                        return index_text("x", g.dims == 1, {n, c, y, x}) + " = " + num(xs[y * g.in[1] + x]);
                    });
                r.n = n, r.c = c;
                s.geometry.transpose_input.push_back(r);
                if (clicked && t.order == TransposeOrder::Scatter)
                    s.push(intent::MoveTransposeCursor{n, c, (*clicked)[0], (*clicked)[1]});
                if (t.order == TransposeOrder::Scatter) {
                    if (t.scatter.n == n && t.scatter.c_in == c)
                        outline_cell(r, t.scatter.iy, t.scatter.ix, kWindowColour, 3.0f);
                } else if (t.gather.n == n) {
                    for (const GatherTap& tap : t.gather.taps) {
                        const size_t ci = static_cast<size_t>(&tap - t.gather.taps.data()) /
                                          static_cast<size_t>(g.kernel[0] * g.kernel[1]);
                        if (tap.kind != GatherTapKind::Input || t.gather.channels[ci].c_in != c) continue;
                        const bool current = &tap == &t.gather.taps[static_cast<size_t>(t.gather.mac)];
                        outline_cell(r, tap.iy, tap.ix, current ? kMacColour : kWindowColour, current ? 3.0f : 2.0f);
                    }
                }
                ImGui::EndGroup();
                ImGui::PopID();
            }
        if (t.order == TransposeOrder::Scatter) {
            ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
            ImGui::TextWrapped("Click an element to see where it goes.");
            ImGui::PopStyleColor();
        }
    }
    ImGui::End();
}

// ---- Output y ----

void draw_transpose_output(Ui& s) {
    next_window_slot(s, Slot::FeatureMaps);
    const TransposeSession& t = s.ws.transpose;
    if (begin_panel("Output y: what comes OUT###Feature maps") && t.scene) {
        const TransposeScene& sc = *t.scene;
        const ConvTransposeGeometry& g = sc.geo;
        // (a lesson's pending question may hide y's shape, its numbers or the products per output)
        const bool hide_shape = s.hides(Fact::OutputShape), hide_values = s.hides(Fact::OutputValue),
                   hide_products = s.hides(Fact::Products);
        ImGui::TextColored(accent_text(), "y %s", hide_shape ? kHidden : shape_to_string(sc.y.shape).c_str());
        ImGui::SameLine();
        ImGui::Checkbox("products per output", &s.view.transpose_contributions);
        // the colours' note under the line, or in its (?) when it would take more than two lines (UI scale 1.5)
        const char* note = t.order == TransposeOrder::Scatter
                               ? "painted so far (yellow: the current stamp, cyan: this multiply-add); the bias is "
                                 "added once an output's last input channel is done"
                               : "filled in output by output (yellow: the current output)";
        const bool note_fits = text_fits_lines(note, ImGui::GetContentRegionAvail().x, 2);
        ImGui::SameLine();
        const std::string counts =
            "How many products x * w land on each output position (from one input channel; with several input "
            "channels of a group each adds that many). Uneven counts make the checkerboard pattern when the kernel "
            "size is not divisible by the stride.";
        help_marker((note_fits ? counts : std::string("y: ") + note + ".\n\n" + counts).c_str());
        if (note_fits) dim_note(note, false);
        // the counts are one or two digits: their grid is drawn at 0.6 of the output's cell size
        const float cell = fit_cell(g.out[0], g.out[1], g.n * g.c_out, 1.0f,
                                    s.view.transpose_contributions ? 0.6f * static_cast<float>(g.out[1]) : 0.0f);
        const float count_scale = std::max(0.6f, ImGui::GetFontSize() * 0.95f / cell);
        const int64_t plane = g.out[0] * g.out[1];
        const int64_t revealed = t.revealed_position();
        int item = 0;
        for (int64_t n = 0; n < g.n; ++n)
            for (int64_t c = 0; c < g.c_out; ++c) {
                flow_item(item++, cell * static_cast<float>(g.out[1]));
                ImGui::PushID(static_cast<int>(n * g.c_out + c));
                ImGui::BeginGroup();
                ImGui::TextUnformatted(index_text("y", false, {n, c}).c_str());
                const float* ys = t.canvas.data.data() + (n * g.c_out + c) * plane;
                const int64_t first = (n * g.c_out + c) * plane;
                std::optional<std::array<int64_t, 2>> clicked;
                GridRect r = draw_cells(
                    g.out[0], g.out[1], cell,
                    [&](int64_t y, int64_t x) {
                        if (t.order == TransposeOrder::Gather && first + y * g.out[1] + x > revealed) return CellLook{};
                        CellLook l = value_look(ys[y * g.out[1] + x], sc.y_abs_max);
                        if (hide_values) l.text = kHidden;
                        return l;
                    },
                    &clicked,
                    [&](int64_t y, int64_t x) {
                        std::string tip = index_text("y", g.dims == 1, {n, c, y, x});
                        if (t.order == TransposeOrder::Gather && first + y * g.out[1] + x > revealed)
                            return tip + ": not yet";
                        if (!hide_values)
                            tip +=
                                (t.order == TransposeOrder::Scatter ? " so far = " : " = ") + num(ys[y * g.out[1] + x]);
                        if (hide_products) return tip;
                        return tip + "  (" + std::to_string(sc.contributions[static_cast<size_t>(y * g.out[1] + x)]) +
                               " product(s) per input channel)";
                    });
                r.n = n, r.c = c;
                s.geometry.transpose_output.push_back(r);
                if (clicked && t.order == TransposeOrder::Gather)
                    s.push(intent::MoveTransposeCursor{n, c, (*clicked)[0], (*clicked)[1]});
                if (t.order == TransposeOrder::Scatter && t.scatter.n == n) {
                    const int64_t kk = g.kernel[0] * g.kernel[1];
                    const int64_t co_first = t.scatter.group * g.c_out_per_group;
                    if (c >= co_first && c < co_first + g.c_out_per_group)
                        for (int64_t k = 0; k < kk; ++k) {
                            const ScatterTap& tap = t.scatter.taps[static_cast<size_t>((c - co_first) * kk + k)];
                            if (!tap.cropped) outline_cell(r, tap.oy, tap.ox, kWindowColour, 2.0f);
                        }
                    const ScatterTap& cur = t.scatter.taps[static_cast<size_t>(t.scatter.mac)];
                    if (scatter_co(t) == c && !cur.cropped && s.ws.granularity == Granularity::Mac)
                        outline_cell(r, cur.oy, cur.ox, kMacColour, 3.0f);
                } else if (t.order == TransposeOrder::Gather && t.gather.n == n && t.gather.c_out == c) {
                    outline_cell(r, t.gather.y, t.gather.x, kWindowColour, 3.0f);
                }
                ImGui::EndGroup();
                ImGui::PopID();
            }
        if (s.view.transpose_contributions && hide_products) {
            ImGui::TextColored(dim_text(), "(products per output: shown once you answer the lesson's question)");
        } else if (s.view.transpose_contributions) {
            flow_item(item, count_scale * cell * static_cast<float>(g.out[1]));
            ImGui::BeginGroup();
            ImGui::TextUnformatted("products");
            const float hi = static_cast<float>(std::max(sc.max_contributions, 1));
            draw_cells(g.out[0], g.out[1], count_scale * cell, [&](int64_t y, int64_t x) {
                const int32_t k = sc.contributions[static_cast<size_t>(y * g.out[1] + x)];
                CellLook l;
                const float f = static_cast<float>(k) / hi;
                l.fill = ImGui::ColorConvertFloat4ToU32(
                    ImVec4(0.10f + 0.15f * f, 0.12f + 0.55f * f, 0.16f + 0.20f * f, 1.0f));
                l.text = std::to_string(k);
                l.text_colour = f > 0.7f ? kDarkText : kLightText;
                return l;
            });
            ImGui::EndGroup();
            ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
            if (sc.min_contributions == sc.max_contributions)
                ImGui::TextWrapped("Every output gets %d product(s) per input channel: even coverage, no checkerboard.",
                                   sc.max_contributions);
            else
                ImGui::TextWrapped(
                    "Outputs get %d to %d products per input channel: uneven coverage, the checkerboard.",
                    sc.min_contributions, sc.max_contributions);
            ImGui::PopStyleColor();
        }
    }
    ImGui::End();
}

// ---- Computation: the current stamp (scatter) or the window on the zero-inserted input (gather) ----

namespace {

void scatter_computation(Ui& s) {
    const TransposeSession& t = s.ws.transpose;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    const ScatterState& st = t.scatter;
    const bool one_d = g.dims == 1;
    const int64_t co = scatter_co(t);
    ImGui::PushFont(mono_font());
    text_pieces({index_text("x", one_d, {st.n, st.c_in, st.iy, st.ix}) + " = " + num(st.input),
                 "paints w[" + std::to_string(st.c_in) + ", " + std::to_string(st.co) + "]",
                 "(times " + num(st.input) + ")", "into y[" + std::to_string(st.n) + ", " + std::to_string(co) + "]"},
                ImGui::GetStyleColorVec4(ImGuiCol_Text));
    ImGui::PopFont();
    ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
    ImGui::TextWrapped(
        "Tap (ky, kx) lands on output (iy*%lld - %lld + ky*%lld, ix*%lld - %lld + kx*%lld); taps outside y are "
        "cropped (that is what padding does in a transposed convolution).",
        static_cast<long long>(g.stride[0]), static_cast<long long>(g.padding[0]),
        static_cast<long long>(g.dilation[0]), static_cast<long long>(g.stride[1]),
        static_cast<long long>(g.padding[1]), static_cast<long long>(g.dilation[1]));
    ImGui::PopStyleColor();
    // x value  *  kernel  =  patch
    const int64_t kk = g.kernel[0] * g.kernel[1];
    const float cell = std::min(fit_cell(g.kernel[0], g.kernel[1], 3, 0.45f), ImGui::GetFontSize() * 2.4f);
    const float* wk = sc.w.data.data() + (st.c_in * g.c_out_per_group + st.co) * kk;
    ImGui::BeginGroup();
    ImGui::TextUnformatted("x");
    draw_cells(1, 1, cell, [&](int64_t, int64_t) { return value_look(st.input, sc.x_abs_max); });
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::TextUnformatted(" x ");
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::Text("w[%lld, %lld]", static_cast<long long>(st.c_in), static_cast<long long>(st.co));
    GridRect kr = draw_cells(g.kernel[0], g.kernel[1], cell,
                             [&](int64_t y, int64_t x) { return value_look(wk[y * g.kernel[1] + x], sc.w_abs_max); });
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::TextUnformatted(" = ");
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("products");
    const float pscale = std::max(sc.x_abs_max * sc.w_abs_max, 1e-30f);
    GridRect pr = draw_cells(g.kernel[0], g.kernel[1], cell, [&](int64_t y, int64_t x) {
        const ScatterTap& tap = st.taps[static_cast<size_t>(st.co * kk + y * g.kernel[1] + x)];
        CellLook l = value_look(tap.product, pscale);
        if (tap.cropped) l.fill = kPaddingFill, l.text_colour = IM_COL32(150, 150, 160, 255), l.hatch = true;
        return l;
    });
    ImGui::EndGroup();
    if (s.ws.granularity == Granularity::Mac) {
        outline_cell(kr, st.ky, st.kx, kMacColour, 3.0f);
        outline_cell(pr, st.ky, st.kx, kMacColour, 3.0f);
    }
    ImGui::Separator();
    // Every tap of the stamp into this output channel: where it lands and the running value there.
    ImGui::BeginChild("##taps", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImGui::PushFont(mono_font());
    for (int64_t k = 0; k < kk; ++k) {
        const ScatterTap& tap = st.taps[static_cast<size_t>(st.co * kk + k)];
        const bool current = st.co * kk + k == st.mac;
        const bool done = st.co * kk + k <= st.mac;
        std::string line = "w[" + std::to_string(st.c_in) + ", " + std::to_string(st.co) + ", " +
                           (one_d ? "" : std::to_string(tap.ky) + ", ") + std::to_string(tap.kx) +
                           "] = " + num(tap.weight) + "  x " + num(st.input) + " = " + num(tap.product);
        if (tap.cropped)
            line += "  -> " + index_text("y", one_d, {st.n, co, tap.oy, tap.ox}) + " is outside y: cropped";
        else if (s.hides(Fact::OutputValue))  // (the running sums would give the outputs away)
            line += "  -> " + index_text("y", one_d, {st.n, co, tap.oy, tap.ox});
        else
            line += "  -> " + index_text("y", one_d, {st.n, co, tap.oy, tap.ox}) + ": " + num(tap.before) + " + " +
                    num(tap.product) + " = " + num(tap.after);
        ImVec4 colour = ImGui::GetStyleColorVec4(ImGuiCol_Text);
        if (tap.cropped) colour = dim_text();
        if (!done) colour.w *= 0.45f;
        if (current) colour = ImGui::ColorConvertU32ToFloat4(ink(kMacColour));
        ImGui::TextColored(colour, "%s", line.c_str());
    }
    ImGui::PopFont();
    ImGui::EndChild();
}

void gather_computation(Ui& s) {
    const TransposeSession& t = s.ws.transpose;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    const GatherState& st = t.gather;
    const bool one_d = g.dims == 1;
    const int64_t kk = g.kernel[0] * g.kernel[1];
    ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
    ImGui::TextWrapped(
        "The same output as a plain stride-1 convolution: %lld zero(s) inserted between input elements, "
        "padded by dilation*(k-1) - padding = %lld (+ output_padding %lld after), the kernel flipped.",
        static_cast<long long>(g.stride[1] - 1), static_cast<long long>(g.gather_pad_begin(1)),
        static_cast<long long>(g.output_padding[1]));
    ImGui::PopStyleColor();
    const size_t ci = static_cast<size_t>(st.ci);
    const int64_t c_in = st.channels.empty() ? 0 : st.channels[ci].c_in;
    // the zero-inserted, padded input of the current input channel
    std::array<int64_t, 2> rows_cols{1, 1}, pad{0, 0};
    for (int a = 0; a < 2; ++a) {
        pad[static_cast<size_t>(a)] = g.gather_pad_begin(a);
        rows_cols[static_cast<size_t>(a)] = g.zero_inserted(a) + g.gather_pad_begin(a) + g.gather_pad_end(a);
    }
    if (one_d) rows_cols[0] = 1, pad[0] = 0;
    const float* xs = sc.x.data.data() + (st.n * g.c_in + c_in) * g.in[0] * g.in[1];
    ImGui::Text("x[%lld, %lld] zero-inserted and padded: %lld x %lld", static_cast<long long>(st.n),
                static_cast<long long>(c_in), static_cast<long long>(rows_cols[0]),
                static_cast<long long>(rows_cols[1]));
    const float cell = fit_cell(rows_cols[0], rows_cols[1], 1, 0.7f);
    GridRect zr = draw_cells(rows_cols[0], rows_cols[1], cell, [&](int64_t r, int64_t c) {
        const int64_t zy = one_d ? 0 : r - pad[0], zx = c - pad[1];
        const bool inside = zy >= 0 && zy < g.zero_inserted(0) && zx >= 0 && zx < g.zero_inserted(1);
        CellLook l;
        if (!inside) {
            l.fill = kPaddingFill, l.text = "0", l.text_colour = IM_COL32(120, 120, 130, 255), l.hatch = true;
        } else if (zy % g.stride[0] != 0 || zx % g.stride[1] != 0) {
            l.fill = kInsertedZeroFill, l.text = "0", l.text_colour = IM_COL32(170, 180, 210, 255);
        } else {
            l = value_look(xs[(zy / g.stride[0]) * g.in[1] + zx / g.stride[1]], sc.x_abs_max);
        }
        return l;
    });
    s.geometry.transpose_zero_inserted.push_back(zr);
    // the flipped kernel's window: one outline per tap, the current one in cyan
    for (int64_t k = 0; k < kk; ++k) {
        const GatherTap& tap = st.taps[ci * static_cast<size_t>(kk) + static_cast<size_t>(k)];
        const int64_t r = one_d ? 0 : tap.zy + pad[0], c = tap.zx + pad[1];
        if (r < 0 || r >= rows_cols[0] || c < 0 || c >= rows_cols[1]) continue;
        outline_cell(zr, r, c, kWindowColour, 2.0f);
        const ImVec2 p0 = cell_min(zr, r, c);
        if (zr.cell >=
            cell_font()->FontSize * 2.6f) {  // the flipped weight in the window cell's corner, if it has room
            const std::string wt = num(tap.weight);
            ImGui::GetWindowDrawList()->AddText(cell_font(), cell_font()->FontSize, ImVec2(p0.x + 2, p0.y + 1),
                                                ink(kWindowColour), wt.c_str());
        }
    }
    if (s.ws.granularity == Granularity::Mac) {
        const GatherTap& cur = st.taps[static_cast<size_t>(st.mac)];
        const int64_t r = one_d ? 0 : cur.zy + pad[0], c = cur.zx + pad[1];
        if (r >= 0 && r < rows_cols[0] && c >= 0 && c < rows_cols[1]) outline_cell(zr, r, c, kMacColour, 3.0f);
    }
    ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
    ImGui::TextWrapped(
        "grey-blue 0: inserted zeros; hatched: padding; yellow: the flipped kernel's window (weights in the corners)");
    ImGui::PopStyleColor();
    ImGui::Separator();
    ImGui::BeginChild("##taps", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImGui::PushFont(mono_font());
    for (int64_t k = 0; k < kk; ++k) {
        const size_t i = ci * static_cast<size_t>(kk) + static_cast<size_t>(k);
        const GatherTap& tap = st.taps[i];
        std::string line = "w[" + std::to_string(c_in) + ", " +
                           std::to_string(st.c_out - (c_in / g.c_in_per_group) * g.c_out_per_group) + ", " +
                           (one_d ? "" : std::to_string(tap.ky) + ", ") + std::to_string(tap.kx) +
                           "] = " + num(tap.weight);
        if (tap.kind == GatherTapKind::Input)
            line += "  x " + index_text("x", one_d, {st.n, c_in, tap.iy, tap.ix}) + " = " + num(tap.input) + "  -> " +
                    num(tap.product);
        else
            line += tap.kind == GatherTapKind::InsertedZero ? "  on an inserted zero" : "  on the padding";
        ImVec4 colour = tap.kind == GatherTapKind::Input ? ImGui::GetStyleColorVec4(ImGuiCol_Text) : dim_text();
        if (static_cast<int64_t>(i) > st.mac) colour.w *= 0.45f;
        if (static_cast<int64_t>(i) == st.mac && s.ws.granularity == Granularity::Mac)
            colour = ImGui::ColorConvertU32ToFloat4(ink(kMacColour));
        ImGui::TextColored(colour, "%s", line.c_str());
    }
    ImGui::PopFont();
    ImGui::EndChild();
}

}  // namespace

void draw_transpose_computation(Ui& s) {
    next_window_slot(s, Slot::Computation);
    if (begin_panel("Computation") && s.ws.transpose.scene) {
        const TransposeSession& t = s.ws.transpose;
        if (ImGui::RadioButton("scatter: each input paints a patch", t.order == TransposeOrder::Scatter))
            s.push(intent::SetTransposeOrder{TransposeOrder::Scatter});
        // the long label where it fits (with the help marker after it), else a shorter one (large UI scale)
        const float marker = ImGui::CalcTextSize("(?)").x + ImGui::GetStyle().ItemSpacing.x;
        const char* gather_label = "gather: convolution over the zero-inserted input";
        if (toggle_width(gather_label) + marker > ImGui::GetContentRegionAvail().x)
            gather_label = "gather: conv over zero-inserted x";
        same_line_if_fits(toggle_width(gather_label) + marker);
        if (ImGui::RadioButton(gather_label, t.order == TransposeOrder::Gather))
            s.push(intent::SetTransposeOrder{TransposeOrder::Gather});
        ImGui::SameLine();
        help_marker(
            "Both pictures compute the same numbers (bit for bit here). Scatter is what PyTorch's GEMM + col2im "
            "does: walk the input, stamp the kernel. Gather is conv_arithmetic's figure: walk the output, "
            "slide the flipped kernel over the input with stride-1 zeros between its elements.");
        if (t.order == TransposeOrder::Scatter)
            scatter_computation(s);
        else
            gather_computation(s);
    }
    ImGui::End();
}

// ---- Channel sums: how the current output value is made ----

void draw_transpose_sums(Ui& s) {
    next_window_slot(s, Slot::ChannelSums);
    const TransposeSession& t = s.ws.transpose;
    if (begin_panel("Channel sums") && t.scene) {
        const TransposeScene& sc = *t.scene;
        const ConvTransposeGeometry& g = sc.geo;
        const bool one_d = g.dims == 1;
        ImGui::PushFont(mono_font());
        if (t.order == TransposeOrder::Gather) {
            const GatherState& st = t.gather;
            // in pieces that never split a number across lines (UI scale 1.5 wrapped "6.5" as "6." and "5")
            std::vector<std::string> pieces{index_text("y", one_d, {st.n, st.c_out, st.y, st.x}) + " ="};
            for (size_t i = 0; i < st.channels.size(); ++i)
                pieces.push_back((i ? "+ " : "") + num(st.channels[i].sum) + " (x[" + std::to_string(st.n) + ", " +
                                 std::to_string(st.channels[i].c_in) + "])");
            if (g.has_bias) pieces.push_back("+ bias " + num(st.bias));
            pieces.push_back("= " + s.shown(Fact::OutputValue, num(st.value)));
            text_pieces(pieces, ImGui::GetStyleColorVec4(ImGuiCol_Text));
            ImGui::PopFont();
            const std::string landing = s.shown(Fact::Products, std::to_string(st.contributing));
            ImGui::TextWrapped(
                "%s of the window's %lld taps fall on real input elements; the rest read inserted zeros "
                "or padding and add nothing.",
                landing.c_str(), static_cast<long long>(st.macs));
        } else {
            const ScatterState& st = t.scatter;
            const ScatterTap& cur = st.taps[static_cast<size_t>(st.mac)];
            const int64_t co = scatter_co(t);
            if (cur.cropped)
                ImGui::TextWrapped("This product lands outside y (cropped by padding=%lld).",
                                   static_cast<long long>(g.padding[1]));
            else if (s.hides(Fact::OutputValue))
                ImGui::TextWrapped("%s so far: %s", index_text("y", one_d, {st.n, co, cur.oy, cur.ox}).c_str(),
                                   kHidden);
            else
                text_pieces({index_text("y", one_d, {st.n, co, cur.oy, cur.ox}) + " so far:", num(cur.before),
                             "+ " + num(cur.product), "= " + num(cur.after)},
                            ImGui::GetStyleColorVec4(ImGuiCol_Text));
            ImGui::PopFont();
            if (!cur.cropped && !s.hides(Fact::OutputValue) && !s.hides(Fact::Products)) {
                const int32_t k = sc.contributions[static_cast<size_t>(cur.oy * g.out[1] + cur.ox)];
                const float final_value =
                    sc.y.data[static_cast<size_t>(((st.n * g.c_out + co) * g.out[0] + cur.oy) * g.out[1] + cur.ox)];
                text_words("This output receives " + std::to_string(k) + " product(s) from each of the " +
                               std::to_string(g.c_in_per_group) + " input channel(s) of its group" +
                               (g.has_bias ? ", then the bias" : "") + "; when all have landed it is " +
                               num(final_value) + ".",
                           ImGui::GetStyleColorVec4(ImGuiCol_Text));
            }
        }
    }
    ImGui::End();
}

// ---- Kernels ----

void draw_transpose_kernels(Ui& s) {
    next_window_slot(s, Slot::Filters);
    const TransposeSession& t = s.ws.transpose;
    if (begin_panel("Kernels###Filters") && t.scene) {
        const TransposeScene& sc = *t.scene;
        const ConvTransposeGeometry& g = sc.geo;
        const bool gather = t.order == TransposeOrder::Gather;
        ImGui::TextColored(accent_text(), "weight %s = (in, out/groups, %s)", shape_to_string(sc.w.shape).c_str(),
                           g.dims == 1 ? "kW" : "kH, kW");
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("%s", gather ? "Each kernel and, beside it, flipped as the gather picture slides it."
                                        : "In first, out second: the other way round from Conv2d's (out, in, kH, kW).");
        ImGui::PopStyleColor();
        const int64_t kk = g.kernel[0] * g.kernel[1];
        const int64_t maps = g.c_in * g.c_out_per_group * (gather ? 2 : 1);
        const float cell = fit_cell(g.kernel[0], g.kernel[1], maps);
        int item = 0;
        for (int64_t ci = 0; ci < g.c_in; ++ci)
            for (int64_t co = 0; co < g.c_out_per_group; ++co)
                for (int flipped = 0; flipped < (gather ? 2 : 1); ++flipped) {
                    flow_item(item, cell * static_cast<float>(g.kernel[1]));
                    ImGui::PushID(item++);
                    ImGui::BeginGroup();
                    ImGui::Text("w[%lld, %lld]%s", static_cast<long long>(ci), static_cast<long long>(co),
                                flipped ? " flipped" : "");
                    const float* wk = sc.w.data.data() + (ci * g.c_out_per_group + co) * kk;
                    GridRect r = draw_cells(g.kernel[0], g.kernel[1], cell, [&](int64_t y, int64_t x) {
                        if (flipped) y = g.kernel[0] - 1 - y, x = g.kernel[1] - 1 - x;
                        return value_look(wk[y * g.kernel[1] + x], sc.w_abs_max);
                    });
                    // the kernel in use now, its current tap in cyan
                    const bool in_use = gather ? (!t.gather.channels.empty() &&
                                                  t.gather.channels[static_cast<size_t>(t.gather.ci)].c_in == ci &&
                                                  t.gather.c_out - (ci / g.c_in_per_group) * g.c_out_per_group == co)
                                               : (t.scatter.c_in == ci && t.scatter.co == co);
                    if (in_use) {
                        const ImVec2 p1(r.origin.x + cell * static_cast<float>(g.kernel[1]),
                                        r.origin.y + cell * static_cast<float>(g.kernel[0]));
                        outline(ImGui::GetWindowDrawList(), r.origin, p1, kWindowColour, 2.0f);
                        if (s.ws.granularity == Granularity::Mac) {
                            int64_t ky = gather ? t.gather.taps[static_cast<size_t>(t.gather.mac)].ky : t.scatter.ky;
                            int64_t kx = gather ? t.gather.taps[static_cast<size_t>(t.gather.mac)].kx : t.scatter.kx;
                            if (flipped) ky = g.kernel[0] - 1 - ky, kx = g.kernel[1] - 1 - kx;
                            outline_cell(r, ky, kx, kMacColour, 3.0f);
                        }
                    }
                    ImGui::EndGroup();
                    ImGui::PopID();
                }
    }
    ImGui::End();
}

}  // namespace convscope::gui
