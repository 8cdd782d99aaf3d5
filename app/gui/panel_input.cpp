#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "conv_reference.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

const char* channel_suffix(int64_t c, int64_t channels, int dims) {
    if (dims != 2 || channels != 3) return "";
    return c == 0 ? " red" : c == 1 ? " green" : " blue";
}

struct InputLayout {
    float cell = 1;         // pixels per input element
    int per_row = 1;        // tiles per row within an item (2-D)
    int items_per_row = 1;  // batch items side by side
    float label_h = 0;
};

InputLayout fit_layout(const Ui& s, ImVec2 avail) {
    const ConvGeometry& g = s.ws.geo();
    const float Hp = static_cast<float>(g.in[0] + g.pad_begin[0] + g.pad_end[0]);
    const float Wp = static_cast<float>(g.in[1] + g.pad_begin[1] + g.pad_end[1]);
    InputLayout l;
    l.label_h = ImGui::GetTextLineHeightWithSpacing();
    const float gap = 8.0f;
    if (g.dims == 1) {
        // Each item is a (C, L) grid, channels as rows, behind a 60 px column of row labels; items side by side
        // when that gives bigger cells (fewer side by side on a tie).
        float best = -1e9f;
        const int items = static_cast<int>(std::min<int64_t>(g.n, 64));
        for (int items_per_row = 1; items_per_row <= items; ++items_per_row) {
            const int item_rows = (items + items_per_row - 1) / items_per_row;
            const float k = static_cast<float>(items_per_row);
            const float by_w = (avail.x - k * (60.0f + gap)) / (k * Wp);
            const float by_h = (avail.y - static_cast<float>(item_rows) * (l.label_h + gap)) /
                               (static_cast<float>(item_rows) * static_cast<float>(g.c_in));
            const float c = std::min(by_w, by_h);
            if (c > best) best = c, l.items_per_row = items_per_row;
        }
        l.cell = std::max(2.0f, std::floor(best));
        if (best < 2.0f) l.items_per_row = 1;  // nothing fits: one under another, the child window scrolls
        if (s.view.input_zoom > 0) l.cell = s.view.input_zoom;
        return l;
    }
    // Items form a grid of blocks, each block a grid of its channel tiles: the largest cell that fits wins
    // (fewer items side by side on a tie, so a single image keeps its tiles in a row).
    const int tiles = static_cast<int>(g.c_in + (g.c_in == 3 ? 1 : 0));
    const int items = static_cast<int>(std::min<int64_t>(g.n, 64));
    float best = -1e9f;  // the least bad arrangement when none fits; the child window scrolls
    for (int items_per_row = 1; items_per_row <= items; ++items_per_row) {
        const int item_rows = (items + items_per_row - 1) / items_per_row;
        for (int per_row = 1; per_row <= tiles; ++per_row) {
            const int rows = item_rows * ((tiles + per_row - 1) / per_row);
            const int cols = items_per_row * per_row;
            const float by_w =
                (avail.x - gap * static_cast<float>(cols + items_per_row)) / (static_cast<float>(cols) * Wp);
            const float by_h = (avail.y - static_cast<float>(rows) * (l.label_h + gap) -
                                static_cast<float>(item_rows) * (l.label_h + gap)) /
                               (static_cast<float>(rows) * Hp);
            const float c = std::min(by_w, by_h);
            if (c > best) best = c, l.per_row = per_row, l.items_per_row = items_per_row;
        }
    }
    // Whole pixels from 3 px a cell; below that the fraction that fits, down to 1.5 px (a 32x32 picture 48 px wide:
    // still a picture; the lesson column at UI scale 1.5 leaves the Input panel 1.99 px a cell for the seed scene,
    // which scrolled).
    constexpr float kLeast = 1.5f;
    l.cell = best >= 3.0f ? std::floor(best) : std::max(best, kLeast);
    if (best < kLeast) {
        // Nothing fits at 1.5 px a cell: take 2 px, fit the width, and take the arrangement that is least tall (the
        // child window scrolls down); one item per row, its tiles side by side, if none fits the width.
        l.cell = 2.0f;
        float least = 1e9f;
        l.items_per_row = 1;
        l.per_row = tiles;
        for (int items_per_row = 1; items_per_row <= items; ++items_per_row) {
            const int item_rows = (items + items_per_row - 1) / items_per_row;
            for (int per_row = 1; per_row <= tiles; ++per_row) {
                const int rows = item_rows * ((tiles + per_row - 1) / per_row);
                const int cols = items_per_row * per_row;
                const float width =
                    static_cast<float>(cols) * (Wp * l.cell + gap) + gap * static_cast<float>(items_per_row);
                const float height = static_cast<float>(rows) * (Hp * l.cell + l.label_h + gap) +
                                     static_cast<float>(item_rows) * (l.label_h + gap);
                if (width <= avail.x && height < least)
                    least = height, l.per_row = per_row, l.items_per_row = items_per_row;
            }
        }
    }
    if (s.view.input_zoom > 0) l.cell = s.view.input_zoom;
    return l;
}

// Draws one channel (or the RGB composite when c < 0) of item n with its top-left padded cell at p0.
void draw_channel(Ui& s, ImDrawList* dl, int64_t n, int64_t c, ImVec2 p0, float cell) {
    const ConvGeometry& g = s.ws.geo();
    const int64_t H = g.in[0], W = g.in[1];
    const int64_t pb0 = g.pad_begin[0], pb1 = g.pad_begin[1];
    const int64_t Hp = H + pb0 + g.pad_end[0], Wp = W + pb1 + g.pad_end[1];
    const ImVec2 p1(p0.x + cell * static_cast<float>(Wp), p0.y + cell * static_cast<float>(Hp));
    const bool rgb = c < 0;
    const int64_t group = s.ws.cs.c_out / g.c_out_per_group;
    const bool read = rgb || (c / g.c_in_per_group == group);
    const bool current_item = n == s.ws.cs.n;
    const bool picture = g.dims == 2 && (g.c_in == 3 || g.c_in == 1);
    HeatmapStyle style;
    if (rgb) {
        style.color = ColorMode::Rgb;
    } else {
        style = input_style(s.gpu.input_atlas, c, g.c_in, picture);
    }
    style.mask = MaskMode::Padding;
    heatmap_begin(dl, style);
    const ImU32 tint = read ? IM_COL32_WHITE : IM_COL32(110, 110, 110, 255);
    if (rgb)
        dl->AddImage(s.gpu.rgb_atlas.id(), p0, p1, s.gpu.rgb_atlas.uv0(static_cast<int>(n)),
                     s.gpu.rgb_atlas.uv1(static_cast<int>(n)), tint);
    else
        dl->AddImage(s.gpu.input_atlas.id(), p0, p1, s.gpu.input_atlas.uv0(static_cast<int>(n * g.c_in + c)),
                     s.gpu.input_atlas.uv1(static_cast<int>(n * g.c_in + c)), tint);
    heatmap_end(dl);
    auto cell_min = [&](int64_t py, int64_t px) {  // padded coordinates
        return ImVec2(p0.x + cell * static_cast<float>(px), p0.y + cell * static_cast<float>(py));
    };
    if (pb0 + pb1 + g.pad_end[0] + g.pad_end[1] > 0) {
        const ImVec2 a = cell_min(pb0, pb1), b = cell_min(pb0 + H, pb1 + W);
        dl->AddRect(a, b, IM_COL32(20, 20, 24, 200), 0.0f, 0, 1.0f);
    }
    if (!rgb)
        s.geometry.input_pixels.push_back(GridRect{n, c, cell_min(pb0, pb1), cell, H, W});
    else
        s.geometry.input_rgb.push_back(GridRect{n, 3, cell_min(pb0, pb1), cell, H, W});

    // numbers, when cells are big enough
    if (!rgb && s.view.show_numbers && cell >= 30.0f) {
        for (int64_t py = 0; py < Hp; ++py)
            for (int64_t px = 0; px < Wp; ++px) {
                const int64_t sy = resolve_padded_index(py - pb0, H, g.mode),
                              sx = resolve_padded_index(px - pb1, W, g.mode);
                const float v = (sy < 0 || sx < 0) ? 0.0f : s.ws.scene->x[((n * g.c_in + c) * H + sy) * W + sx];
                const ImVec2 a = cell_min(py, px);
                cell_value(dl, a, ImVec2(a.x + cell, a.y + cell), v, text_colour_on(style, v));
            }
    }

    // the current window: outline on every channel it reads
    if (current_item && read) {
        const int64_t py0 = s.ws.cs.y * g.stride[0], px0 = s.ws.cs.x * g.stride[1];  // padded coordinates of tap (0, 0)
        const int64_t py1 = py0 + (g.kernel[0] - 1) * g.dilation[0] + 1,
                      px1 = px0 + (g.kernel[1] - 1) * g.dilation[1] + 1;
        const ImVec2 a = cell_min(py0, px0), b = cell_min(py1, px1);
        if (g.dilation[0] > 1 || g.dilation[1] > 1)
            for (int64_t ky = 0; ky < g.kernel[0]; ++ky)
                for (int64_t kx = 0; kx < g.kernel[1]; ++kx) {
                    const ImVec2 t = cell_min(py0 + ky * g.dilation[0], px0 + kx * g.dilation[1]);
                    outline(dl, t, ImVec2(t.x + cell, t.y + cell), IM_COL32(255, 221, 0, 160), 1.0f);
                }
        outline(dl, ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(0, 0, 0, 200), 1.0f);
        outline(dl, a, b, kWindowColour, 2.0f);
        if (!rgb) s.geometry.window.push_back(OutlineRect{n, c, a, b});
        const int64_t ci = c - group * g.c_in_per_group;
        if (!rgb && s.ws.granularity != Granularity::Position && ci == s.ws.cs.ci) {
            const ImVec2 t = cell_min(py0 + s.ws.cs.ky * g.dilation[0], px0 + s.ws.cs.kx * g.dilation[1]);
            outline(dl, t, ImVec2(t.x + cell, t.y + cell), kMacColour, 2.0f);
        }
        // padding cells of the window that copy a real pixel: a line to the pixel they copy
        if (!rgb && g.mode != PaddingMode::Zeros && ci == s.ws.cs.ci) {
            const int64_t kk = g.kernel[0] * g.kernel[1];
            for (int64_t t = 0; t < kk; ++t) {
                const CursorTap& tap = s.ws.cs.taps[static_cast<size_t>(ci * kk + t)];
                if (!tap.padding || tap.src_y < 0) continue;
                const ImVec2 from = cell_min(tap.py + pb0, tap.px + pb1),
                             to = cell_min(tap.src_y + pb0, tap.src_x + pb1);
                const float h = cell * 0.5f;
                dl->AddLine(ImVec2(from.x + h, from.y + h), ImVec2(to.x + h, to.y + h), IM_COL32(255, 255, 255, 110),
                            1.0f);
                dl->AddCircleFilled(ImVec2(to.x + h, to.y + h), std::max(1.5f, cell * 0.18f),
                                    IM_COL32(255, 255, 255, 170));
            }
        }
    }

    // hovered pixel (from this frame's mouse or a pinned hover)
    if (!rgb && s.ws.hover && (*s.ws.hover)[0] == n && (*s.ws.hover)[1] == c) {
        const ImVec2 a = cell_min((*s.ws.hover)[2] + pb0, (*s.ws.hover)[3] + pb1);
        outline(dl, a, ImVec2(a.x + cell, a.y + cell), kHoverColour, 2.0f);
    }

    // mouse
    if (!ImGui::IsMouseHoveringRect(p0, p1) || !ImGui::IsWindowHovered()) return;
    const ImVec2 m = ImGui::GetMousePos();
    const int64_t py = std::clamp<int64_t>(static_cast<int64_t>((m.y - p0.y) / cell), 0, Hp - 1);
    const int64_t px = std::clamp<int64_t>(static_cast<int64_t>((m.x - p0.x) / cell), 0, Wp - 1);
    const int64_t iy = py - pb0, ix = px - pb1;
    const int64_t sy = resolve_padded_index(iy, H, g.mode), sx = resolve_padded_index(ix, W, g.mode);
    const bool pad = iy < 0 || iy >= H || ix < 0 || ix >= W;
    ImGui::BeginTooltip();
    const int64_t ch = rgb ? 0 : c;
    auto index_in = [&](Convention conv, int64_t yy, int64_t xx) {
        std::vector<int64_t> idx{n, rgb ? kWholeAxis : c};
        if (g.dims == 2) idx.push_back(yy);
        idx.push_back(xx);
        return index_text_in_convention(conv, TensorRole::Data, idx);
    };
    auto index_text = [&](int64_t yy, int64_t xx) {
        std::string t = index_in(s.ws.conventions, yy, xx);
        if (s.ws.conventions == Convention::Keras) t += "  (PyTorch: " + index_in(Convention::PyTorch, yy, xx) + ")";
        return t;
    };
    if (pad && (sy < 0 || sx < 0)) {
        ImGui::Text("padding (zeros): the window reads 0 here");
        s.push(intent::HoverInput{-1, 0, 0, 0});
    } else {
        if (pad)
            ImGui::Text("padding (%s): copies %s", padding_mode_name(g.mode), index_text(sy, sx).c_str());
        else
            ImGui::Text("%s", index_text(sy, sx).c_str());
        if (!rgb) {
            ImGui::Text("= %s", value_text(s.ws.scene->x[((n * g.c_in + ch) * H + sy) * W + sx]).c_str());
            s.push(intent::HoverInput{n, c, sy, sx});
            if (s.hides(Fact::Lit))
                ImGui::TextColored(dim_text(), "feeds ? output values (shown once you answer the lesson's question)");
            else
                ImGui::TextColored(dim_text(), "feeds %zu output values (outlined in Feature maps)",
                                   s.ws.hover_hits.size());
        }
        if (pad) {
            const ImVec2 a = cell_min(sy + pb0, sx + pb1);
            outline(dl, a, ImVec2(a.x + cell, a.y + cell), kHoverColour, 1.0f);
        }
    }
    ImGui::EndTooltip();
}

}  // namespace

void draw_input(Ui& s) {
    next_window_slot(s, Slot::Input);
    if (begin_panel("Input")) {
        const ConvGeometry& g = s.ws.geo();
        const std::string shape = "x " + s.ws.texts.input_shape;
        s.geometry.written["input.header"] = shape;
        const std::string title = shape + ": " + s.ws.scene->image_kind;
        const ImGuiStyle& st = ImGui::GetStyle();
        const float zoom_label_w = st.ItemInnerSpacing.x + ImGui::CalcTextSize("zoom").x;
        const float controls_w = st.ItemSpacing.x + ImGui::GetFontSize() * 5.0f + zoom_label_w;
        std::string ring;
        if (g.pad_begin[0] + g.pad_begin[1] + g.pad_end[0] + g.pad_end[1] > 0) {
            ring = std::string("hatched ring = padding (") + padding_mode_name(g.mode) +
                   (g.mode == PaddingMode::Zeros ? "): reads 0" : "): copies real pixels, hover to see which");
        }
        // A description too long for the header line would push the zoom control out of the panel (UI scale 1.5, a
        // long file name): then it and the padding note go into a (?) after the shape, and the pictures keep the
        // panel's height instead of two more lines of text. The slider gives up width before anything leaves the
        // panel.
        const float line_w = ImGui::GetContentRegionAvail().x;
        const bool split = ImGui::CalcTextSize(title.c_str()).x + controls_w > line_w;
        ImGui::TextUnformatted(split ? shape.c_str() : title.c_str());
        if (split) help_marker((s.ws.scene->image_kind + (ring.empty() ? "" : "\n" + ring)).c_str());
        ImGui::SameLine();
        const float slider_room = ImGui::GetContentRegionAvail().x - zoom_label_w;
        ImGui::SetNextItemWidth(std::clamp(slider_room, ImGui::GetFontSize() * 3.0f, ImGui::GetFontSize() * 5.0f));
        ImGui::SliderFloat("zoom##input", &s.view.input_zoom, 0.0f, 40.0f, s.view.input_zoom > 0 ? "%.0f px" : "fit");
        if (!split && !ring.empty()) ImGui::TextColored(dim_text(), "%s", ring.c_str());
        ImGui::BeginChild("##inputs", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
        // fitted to the part no overlay covers: at UI scale 1.5 the im2col and Code overlays start above the Input
        // panel's bottom edge
        ImVec2 avail = ImGui::GetContentRegionAvail();
        avail.y = unobstructed_height(ImGui::GetCursorScreenPos(), avail.x, avail.y);
        const InputLayout l = fit_layout(s, avail);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float Hp = static_cast<float>(g.in[0] + g.pad_begin[0] + g.pad_end[0]);
        const float Wp = static_cast<float>(g.in[1] + g.pad_begin[1] + g.pad_end[1]);
        const float gap = 8.0f;
        const bool rgb = g.dims == 2 && g.c_in == 3;
        bool hovered_any = false;
        // Item n's block sits at column n % items_per_row of the grid.
        const int tiles = static_cast<int>(g.c_in + (rgb ? 1 : 0));
        const float item_w = g.dims == 1 ? 60.0f + Wp * l.cell + gap
                                         : static_cast<float>(std::min(l.per_row, tiles)) * (Wp * l.cell + gap) + gap;
        const ImVec2 grid_origin = ImGui::GetCursorScreenPos();
        float row_top = grid_origin.y, row_bottom = grid_origin.y;
        for (int64_t n = 0; n < g.n; ++n) {
            ImGui::PushID(static_cast<int>(n));
            const int item_col = static_cast<int>(n % l.items_per_row);
            if (item_col == 0) row_top = row_bottom;
            ImGui::SetCursorScreenPos(ImVec2(grid_origin.x + static_cast<float>(item_col) * item_w, row_top));
            const ImVec2 head = ImGui::GetCursorScreenPos();
            dl->AddRectFilled(ImVec2(head.x, head.y + 3), ImVec2(head.x + 10, head.y + 13), item_colour(n));
            // (positioned by hand, not Indent: Indent would send every item back to the window's left edge)
            const bool narrow = l.items_per_row > 1;
            ImGui::SetCursorScreenPos(ImVec2(head.x + 14, head.y));
            dl->PushClipRect(head, ImVec2(narrow ? head.x + item_w - 2 : head.x + 1e6f, head.y + l.label_h), true);
            // In a narrow column " cursor" only where it fits whole (a cut "n=0 curs" ran into the next label);
            // the cursor's item keeps its highlighted frame either way.
            const std::string item_label = (narrow ? "n=" : "item n=") + std::to_string(n);
            const char* mark = n != s.ws.cs.n ? "" : narrow ? " cursor" : "  (the cursor's item)";
            const bool fits = !narrow || ImGui::CalcTextSize((item_label + mark).c_str()).x <= item_w - 16.0f;
            ImGui::TextUnformatted((fits ? item_label + mark : item_label).c_str());
            dl->PopClipRect();
            const ImVec2 origin(head.x, ImGui::GetCursorScreenPos().y);
            float max_y = origin.y;
            if (g.dims == 1) {
                for (int64_t c = 0; c < g.c_in; ++c) {
                    ImGui::PushID(static_cast<int>(c));
                    const ImVec2 p(origin.x + 56.0f, origin.y + static_cast<float>(c) * l.cell);
                    const std::string label =
                        s.ws.conventions == Convention::Keras
                            ? channel_text_in_convention(Convention::Keras, TensorRole::Data, n, c)
                            : "x[" + std::to_string(n) + "," + std::to_string(c) + "]";
                    if (l.cell >= ImGui::GetFontSize() * 0.8f)
                        dl->AddText(ImVec2(origin.x, p.y + (l.cell - ImGui::GetFontSize()) * 0.5f),
                                    ink(IM_COL32(200, 200, 210, 255)), label.c_str());
                    draw_channel(s, dl, n, c, p, l.cell);
                    hovered_any |= ImGui::IsMouseHoveringRect(p, ImVec2(p.x + Wp * l.cell, p.y + l.cell));
                    max_y = std::max(max_y, p.y + l.cell);
                    ImGui::PopID();
                }
                dl->AddRect(ImVec2(origin.x + 54.0f, origin.y - 2), ImVec2(origin.x + 58.0f + Wp * l.cell, max_y + 2),
                            item_colour(n), 0, 0, 2.0f);
            } else {
                const float tw = Wp * l.cell, th = Hp * l.cell;
                for (int t = 0; t < tiles; ++t) {
                    ImGui::PushID(t);
                    const int64_t c = rgb ? t - 1 : t;
                    const int col = t % l.per_row, row = t / l.per_row;
                    const ImVec2 p(origin.x + 2 + static_cast<float>(col) * (tw + gap),
                                   origin.y + static_cast<float>(row) * (th + l.label_h + gap));
                    std::string label = c < 0 ? "x[" + std::to_string(n) + "] RGB"
                                              : channel_text_in_convention(s.ws.conventions, TensorRole::Data, n, c) +
                                                    channel_suffix(c, g.c_in, g.dims);
                    if (c >= 0 && c / g.c_in_per_group != s.ws.cs.c_out / g.c_out_per_group) label += " (other group)";
                    // A narrow tile (a large UI scale, many channels) takes a shorter label rather than a cut one:
                    // without the colour name, then Keras's index without spaces, then just the channel (the index
                    // is what the other panels refer to).
                    const float room = tw + gap - 2;
                    std::vector<std::string> shorter;
                    if (c < 0) {
                        shorter = {"RGB"};
                    } else {
                        shorter = {channel_text_in_convention(s.ws.conventions, TensorRole::Data, n, c)};
                        if (s.ws.conventions == Convention::Keras)
                            shorter.push_back("x[" + std::to_string(n) + ",...," + std::to_string(c) + "]");
                        shorter.push_back("c=" + std::to_string(c));
                    }
                    for (const std::string& text : shorter)
                        if (ImGui::CalcTextSize(label.c_str()).x > room) label = text;
                    dl->PushClipRect(p, ImVec2(p.x + tw + gap - 2, p.y + l.label_h),
                                     true);  // not into the next tile's label
                    dl->AddText(p, ink(IM_COL32(210, 210, 220, 255)), label.c_str());
                    dl->PopClipRect();
                    const ImVec2 q(p.x, p.y + l.label_h);
                    draw_channel(s, dl, n, c, q, l.cell);
                    dl->AddRect(ImVec2(q.x - 2, q.y - 2), ImVec2(q.x + tw + 2, q.y + th + 2), item_colour(n, 0.9f), 0,
                                0, 1.5f);
                    hovered_any |= c >= 0 && ImGui::IsMouseHoveringRect(q, ImVec2(q.x + tw, q.y + th));
                    max_y = std::max(max_y, q.y + th);
                    ImGui::PopID();
                }
            }
            row_bottom = std::max(row_bottom, max_y + gap);
            ImGui::PopID();
        }
        // The grid's full extent, so the child window scrolls over all of it.
        ImGui::SetCursorScreenPos(grid_origin);
        ImGui::Dummy(
            ImVec2(static_cast<float>(std::min<int64_t>(l.items_per_row, g.n)) * item_w, row_bottom - grid_origin.y));
        if (!hovered_any || !ImGui::IsWindowHovered()) s.push(intent::HoverInput{-1, 0, 0, 0});
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
