#include <algorithm>
#include <string>
#include <vector>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

struct Quad {
    ImVec2 p0, p1, uv0, uv1;
};

// One input channel's row: window (kH x kW taps) ⊙ kernel slice = products.
struct ChannelRow {
    int64_t ci = 0;
    ImVec2 window, kernel, products;  // top-left of each matrix
    float cell = 0;
};

std::string index_text(const char* name, std::initializer_list<int64_t> idx) {
    std::string t = std::string(name) + "[";
    size_t i = 0;
    for (int64_t v : idx) t += (i++ ? ", " : "") + std::to_string(v);
    return t + "]";
}

bool channel_done(const Ui& s, int64_t ci) {
    const int64_t kk = s.ws.geo().kernel[0] * s.ws.geo().kernel[1];
    return s.ws.cs.mac >= ci * kk + kk - 1;
}

// Draws the three matrices of every row: heatmap batches first (window per channel, kernels, products), then
// numbers and highlights on top.
void draw_rows(Ui& s, ImDrawList* dl, const std::vector<ChannelRow>& rows, bool numbers, bool is_detail) {
    const ConvGeometry& g = s.ws.geo();
    const CursorState& cs = s.ws.cs;
    const int64_t kH = g.kernel[0], kW = g.kernel[1], kk = kH * kW;
    const int64_t group = cs.c_out / g.c_out_per_group;
    const bool picture = g.dims == 2 && (g.c_in == 3 || g.c_in == 1);
    auto cell_at = [&](ImVec2 p, float cell, int64_t ky, int64_t kx) {
        return ImVec2(p.x + static_cast<float>(kx) * cell, p.y + static_cast<float>(ky) * cell);
    };
    for (const ChannelRow& r : rows) {
        const int64_t c = group * g.c_in_per_group + r.ci;
        HeatmapStyle ws = input_style(s.gpu.input_atlas, c, g.c_in, picture);
        ws.mask = MaskMode::Padding;
        heatmap_begin(dl, ws);
        for (int64_t t = 0; t < kk; ++t) {
            const CursorTap& tap = cs.taps[static_cast<size_t>(r.ci * kk + t)];
            ImVec2 uv0, uv1;
            texel_uv(s.gpu.input_atlas, static_cast<int>(cs.n * g.c_in + c), tap.py + g.pad_begin[0],
                     tap.px + g.pad_begin[1], uv0, uv1);
            const ImVec2 a = cell_at(r.window, r.cell, tap.ky, tap.kx);
            dl->AddImage(s.gpu.input_atlas.id(), a, ImVec2(a.x + r.cell, a.y + r.cell), uv0, uv1);
        }
        heatmap_end(dl);
    }
    heatmap_begin(dl, diverging_style(s.gpu.filter_atlas.scale));
    for (const ChannelRow& r : rows) {
        const int tile = static_cast<int>(cs.c_out * g.c_in_per_group + r.ci);
        dl->AddImage(s.gpu.filter_atlas.id(), r.kernel,
                     ImVec2(r.kernel.x + r.cell * static_cast<float>(kW), r.kernel.y + r.cell * static_cast<float>(kH)),
                     s.gpu.filter_atlas.uv0(tile), s.gpu.filter_atlas.uv1(tile));
    }
    heatmap_end(dl);
    HeatmapStyle ps = diverging_style(s.gpu.product_atlas.scale);
    ps.mask = MaskMode::Reveal;
    ps.reveal_until = static_cast<float>(cs.mac);
    heatmap_begin(dl, ps);
    for (const ChannelRow& r : rows) {
        const int tile = static_cast<int>(r.ci);
        dl->AddImage(
            s.gpu.product_atlas.id(), r.products,
            ImVec2(r.products.x + r.cell * static_cast<float>(kW), r.products.y + r.cell * static_cast<float>(kH)),
            s.gpu.product_atlas.uv0(tile), s.gpu.product_atlas.uv1(tile));
    }
    heatmap_end(dl);

    const HeatmapStyle wstyle = diverging_style(s.gpu.filter_atlas.scale);
    for (const ChannelRow& r : rows) {
        const int64_t c = group * g.c_in_per_group + r.ci;
        const HeatmapStyle ist = input_style(s.gpu.input_atlas, c, g.c_in, picture);
        const ImVec2 size(r.cell * static_cast<float>(kW), r.cell * static_cast<float>(kH));
        for (const ImVec2 m : {r.window, r.kernel, r.products})
            dl->AddRect(ImVec2(m.x - 1, m.y - 1), ImVec2(m.x + size.x + 1, m.y + size.y + 1),
                        IM_COL32(120, 122, 135, 255));
        if (numbers) {
            for (int64_t t = 0; t < kk; ++t) {
                const CursorTap& tap = cs.taps[static_cast<size_t>(r.ci * kk + t)];
                const ImVec2 a = cell_at(r.window, r.cell, tap.ky, tap.kx), b(a.x + r.cell, a.y + r.cell);
                cell_value(dl, a, b, tap.input, text_colour_on(ist, tap.input));
                const ImVec2 k = cell_at(r.kernel, r.cell, tap.ky, tap.kx);
                cell_value(dl, k, ImVec2(k.x + r.cell, k.y + r.cell), tap.weight, text_colour_on(wstyle, tap.weight));
                if (r.ci * kk + t <= cs.mac) {
                    const ImVec2 q = cell_at(r.products, r.cell, tap.ky, tap.kx);
                    cell_value(dl, q, ImVec2(q.x + r.cell, q.y + r.cell), tap.product, text_colour_on(ps, tap.product));
                }
            }
        }
        if (s.ws.granularity != Granularity::Position && r.ci == cs.ci) {
            for (const ImVec2 m : {r.window, r.kernel, r.products}) {
                const ImVec2 a = cell_at(m, r.cell, cs.ky, cs.kx);
                outline(dl, a, ImVec2(a.x + r.cell, a.y + r.cell), kMacColour, is_detail ? 2.5f : 1.5f);
            }
        }
    }
}

std::string joined(const std::vector<std::string>& pieces) {
    std::string t;
    for (const std::string& p : pieces) t += (t.empty() ? "" : " ") + p;
    return t;
}

void draw_operator(ImDrawList* dl, ImVec2 p, float h, const char* op) {
    const ImVec2 ts = ImGui::CalcTextSize(op);
    dl->AddText(ImVec2(p.x - ts.x * 0.5f, p.y + (h - ts.y) * 0.5f), ink(IM_COL32(230, 230, 235, 255)), op);
}

void draw_sum_line(Ui& s) {
    const ConvGeometry& g = s.ws.geo();
    const CursorState& cs = s.ws.cs;
    std::vector<std::string> terms;  // "= (a)", "+ (b)", ... "= total": a number is never split across lines
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        const std::string op = ci ? "+ " : "= ";
        if (ci >= 6 && ci < g.c_in_per_group - 1) {
            terms.push_back(op + "...");
            ci = g.c_in_per_group - 2;
            continue;
        }
        terms.push_back(
            op + (channel_done(s, ci) ? "(" + value_text(cs.channels[static_cast<size_t>(ci)].sum) + ")" : "( ? )"));
    }
    if (s.ws.scene->edit.layer.bias) terms.push_back("+ " + value_text(cs.bias));
    const bool done = cs.position_complete();
    terms.push_back("= " + (s.hides(Fact::OutputValue) ? std::string(kHidden) : done ? value_text(cs.value) : "..."));
    ImGui::PushFont(mono_font());
    text_pieces(terms, ImGui::GetStyleColorVec4(ImGuiCol_Text));
    std::string t;
    for (const std::string& term : terms) t += (t.empty() ? "" : " ") + term;
    s.geometry.written["computation.sum"] = t;
    ImGui::PopFont();
}

}  // namespace

void draw_computation(Ui& s) {
    next_window_slot(s, Slot::Computation);
    if (begin_panel("Computation")) {
        const ConvGeometry& g = s.ws.geo();
        const CursorState& cs = s.ws.cs;
        const int64_t kH = g.kernel[0], kW = g.kernel[1];
        const int64_t group = cs.c_out / g.c_out_per_group;
        const Convention conv = s.ws.conventions;
        const bool keras = conv == Convention::Keras;
        const char* w_name = keras ? "kernel" : "w";
        const char* b_name = keras ? "bias" : "b";
        // PyTorch-order indices of what this panel names; written in the convention, hovered: PyTorch's order
        const std::vector<int64_t> y_idx =
            g.dims == 2 ? std::vector<int64_t>{cs.n, cs.c_out, cs.y, cs.x} : std::vector<int64_t>{cs.n, cs.c_out, cs.x};
        auto slice = [&](int64_t o, int64_t c) {
            std::vector<int64_t> idx{o, c, kWholeAxis};
            if (g.dims == 2) idx.push_back(kWholeAxis);
            return idx;
        };
        const std::string y_name = index_text_in_convention(conv, TensorRole::Data, y_idx, "y");
        ImGui::TextColored(accent_text(), "%s", y_name.c_str());
        pytorch_index_tooltip(conv, TensorRole::Data, y_idx, "y");
        const std::string filter_slice =
            keras ? "kernel[..., c, " + std::to_string(cs.c_out) + "]" : "w[" + std::to_string(cs.c_out) + ", c]";
        std::vector<std::string> sum_pieces{"= sum over " + std::to_string(g.c_in_per_group) + " input channel" +
                                                (g.c_in_per_group == 1 ? "" : "s") + " of",
                                            "(window * " + filter_slice + ")"};
        if (s.ws.scene->edit.layer.bias)
            sum_pieces.push_back("+ " + std::string(b_name) + "[" + std::to_string(cs.c_out) + "]");
        text_pieces(sum_pieces, ImGui::GetStyleColorVec4(ImGuiCol_Text), true);
        s.geometry.written["computation.output"] = y_name + " " + joined(sum_pieces);
        draw_sum_line(s);
        if (s.ws.granularity == Granularity::Mac) {
            const CursorTap& tap = cs.taps[static_cast<size_t>(cs.mac)];
            const int64_t c = group * g.c_in_per_group + cs.ci;
            const std::vector<int64_t> x_idx = g.dims == 2 ? std::vector<int64_t>{cs.n, c, tap.src_y, tap.src_x}
                                                           : std::vector<int64_t>{cs.n, c, tap.src_x};
            const std::vector<int64_t> w_idx = g.dims == 2 ? std::vector<int64_t>{cs.c_out, cs.ci, cs.ky, cs.kx}
                                                           : std::vector<int64_t>{cs.c_out, cs.ci, cs.kx};
            const std::string src =
                tap.src_y < 0 ? "0 (zero padding)" : index_text_in_convention(conv, TensorRole::Data, x_idx);
            const std::string w_text = keras ? index_text_in_convention(conv, TensorRole::Weight, w_idx, w_name)
                                             : index_text("w", {cs.c_out, cs.ci, cs.ky, cs.kx});
            const std::vector<std::string> mac_pieces{
                "MAC " + std::to_string(cs.mac + 1) + "/" + std::to_string(cs.macs) + ":", src + " * " + w_text,
                "= " + value_text(tap.input) + " * " + value_text(tap.weight), "= " + value_text(tap.product)};
            const std::string mac = joined(mac_pieces);
            ImGui::PushFont(mono_font());
            const ImVec4 mac_colour = mac_text();
            ImGui::BeginGroup();
            text_pieces(mac_pieces, mac_colour, false);
            ImGui::EndGroup();
            if (keras && ImGui::IsItemHovered()) {
                ImGui::BeginTooltip();
                ImGui::Text("PyTorch: %s * %s",
                            tap.src_y < 0
                                ? "0 (zero padding)"
                                : index_text_in_convention(Convention::PyTorch, TensorRole::Data, x_idx).c_str(),
                            index_text_in_convention(Convention::PyTorch, TensorRole::Weight, w_idx).c_str());
                ImGui::TextColored(dim_text(), "the same elements in PyTorch's order");
                ImGui::EndTooltip();
            }
            ImGui::TextColored(mac_colour, "running sum (accumulator) = %s", value_text(cs.accumulator).c_str());
            ImGui::PopFont();
            s.geometry.written["computation.mac"] = mac;
        }
        ImGui::Separator();

        ImGui::BeginChild("##rows", ImVec2(0, 0), false);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const float avail = ImGui::GetContentRegionAvail().x;
        const float op_w = ImGui::GetFontSize() * 1.6f;
        // the text right of the products: as wide as its widest line (at UI scale 1.5 a fixed 6.5 em cut it)
        const float sum_w =
            std::max(ImGui::CalcTextSize("sum of products").x, ImGui::CalcTextSize("(channel sum) =").x) + 14.0f;
        const float label_w = ImGui::GetFontSize() * 4.2f;

        // detail: the current channel, big enough for numbers (one line when it fits, else two)
        {
            const float number_cell = cell_font()->CalcTextSizeA(cell_font()->FontSize, 1e9f, 0.0f, "-0.00").x + 3.0f;
            float cell = (avail - op_w * 2 - sum_w) / static_cast<float>(3 * kW);
            const bool one_line = cell >= number_cell;
            if (!one_line) cell = (avail - op_w * 2) / static_cast<float>(2 * kW);
            cell =
                std::clamp(std::min(cell, ImGui::GetFontSize() * (one_line ? 14.0f : 12.0f) / static_cast<float>(kH)),
                           6.0f, ImGui::GetFontSize() * 3.0f);
            const int64_t c = group * g.c_in_per_group + cs.ci;
            ImGui::Text("input channel c=%lld:", static_cast<long long>(c));
            const std::string detail =
                keras ? "window of " + channel_text_in_convention(conv, TensorRole::Data, cs.n, c) + "  *  " +
                            channel_text_in_convention(conv, TensorRole::Weight, cs.c_out, cs.ci)
                      : "window of x[" + std::to_string(cs.n) + ", " + std::to_string(c) + "]  *  kernel slice w[" +
                            std::to_string(cs.c_out) + ", " + std::to_string(cs.ci) + "]";
            // on the same line when it fits, else under it, wrapped (UI scale 1.5 cut it at the panel's edge)
            same_line_if_fits(ImGui::CalcTextSize(detail.c_str()).x);
            ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
            ImGui::TextWrapped("%s", detail.c_str());
            ImGui::PopStyleColor();
            pytorch_index_tooltip(conv, TensorRole::Weight, slice(cs.c_out, cs.ci));
            s.geometry.written["computation.detail"] = detail;
            const ImVec2 p = ImGui::GetCursorScreenPos();
            const float mw = cell * static_cast<float>(kW), mh = cell * static_cast<float>(kH);
            ChannelRow r;
            r.ci = cs.ci;
            r.cell = cell;
            r.window = ImVec2(p.x + op_w, p.y + 2);
            r.kernel = ImVec2(r.window.x + mw + op_w, r.window.y);
            r.products =
                one_line ? ImVec2(r.kernel.x + mw + op_w, r.window.y) : ImVec2(r.window.x, r.window.y + mh + 8);
            draw_rows(s, dl, {r}, s.view.show_numbers, true);
            draw_operator(dl, ImVec2(r.window.x + mw + op_w * 0.5f, r.window.y), mh, "*");
            draw_operator(dl, ImVec2(r.products.x - op_w * 0.5f, r.products.y), mh, "=");
            const std::string sum =
                channel_done(s, cs.ci) ? value_text(cs.channels[static_cast<size_t>(cs.ci)].sum) : "...";
            const ImVec2 sp(r.products.x + mw + 10, r.products.y + mh * 0.5f - ImGui::GetFontSize());
            dl->AddText(sp, ink(IM_COL32(230, 230, 235, 255)), "sum of products");
            dl->AddText(ImVec2(sp.x, sp.y + ImGui::GetFontSize() * 1.1f), ink(IM_COL32(230, 230, 235, 255)),
                        "(channel sum) =");
            dl->AddText(ImVec2(sp.x, sp.y + 2.2f * ImGui::GetFontSize()), IM_COL32(255, 221, 0, 255), sum.c_str());
            ImGui::Dummy(ImVec2(avail, r.products.y + mh + 6 - p.y));
            ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
            ImGui::TextWrapped(
                "* is element-wise: each input tap times the weight at the same (ky, kx); no kernel flip "
                "(PyTorch's 'convolution' is a cross-correlation). Hatched taps are padding.");
            ImGui::PopStyleColor();
        }
        ImGui::Separator();

        // every input channel of the group, compact
        const std::string filter =
            keras ? "kernel[..., " + std::to_string(cs.c_out) + "]" : "w[" + std::to_string(cs.c_out) + "]";
        ImGui::Text("all %lld input channel%s of filter %s (group %lld):", static_cast<long long>(g.c_in_per_group),
                    g.c_in_per_group == 1 ? "" : "s", filter.c_str(), static_cast<long long>(group));
        const float cell = std::clamp((avail - label_w - op_w * 2 - sum_w) / static_cast<float>(3 * kW), 3.0f,
                                      std::min(ImGui::GetFontSize() * 0.8f, 48.0f / static_cast<float>(kH)));
        const float mw = cell * static_cast<float>(kW), mh = cell * static_cast<float>(kH);
        const float row_h = std::max(mh, ImGui::GetTextLineHeight()) + 6.0f;
        const ImVec2 top = ImGui::GetCursorScreenPos();
        std::vector<ChannelRow> rows;
        const float clip_top = ImGui::GetWindowPos().y, clip_bottom = clip_top + ImGui::GetWindowHeight();
        for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
            const float y = top.y + static_cast<float>(ci) * row_h;
            if (y + row_h < clip_top || y > clip_bottom) continue;
            ChannelRow r;
            r.ci = ci;
            r.cell = cell;
            r.window = ImVec2(top.x + label_w, y + 3);
            r.kernel = ImVec2(r.window.x + mw + op_w, y + 3);
            r.products = ImVec2(r.kernel.x + mw + op_w, y + 3);
            rows.push_back(r);
            if (ci == cs.ci && s.ws.granularity != Granularity::Position)
                dl->AddRectFilled(ImVec2(top.x, y), ImVec2(top.x + avail, y + row_h), IM_COL32(0, 235, 255, 28));
        }
        draw_rows(s, dl, rows, false, false);
        for (const ChannelRow& r : rows) {
            const int64_t c = group * g.c_in_per_group + r.ci;
            const float y = r.window.y - 3;
            const std::string label = "c=" + std::to_string(c);
            dl->AddText(ImVec2(top.x, y + (row_h - ImGui::GetFontSize()) * 0.5f), ink(IM_COL32(210, 210, 220, 255)),
                        label.c_str());
            draw_operator(dl, ImVec2(r.window.x + mw + op_w * 0.5f, r.window.y), mh, "*");
            draw_operator(dl, ImVec2(r.kernel.x + mw + op_w * 0.5f, r.window.y), mh, "=");
            const bool done = channel_done(s, r.ci);
            const std::string t =
                "sum " + (done ? value_text(cs.channels[static_cast<size_t>(r.ci)].sum) : std::string("..."));
            dl->AddText(ImVec2(r.products.x + mw + 8, y + (row_h - ImGui::GetFontSize()) * 0.5f),
                        done ? ink(IM_COL32(230, 230, 235, 255)) : ink(IM_COL32(130, 130, 140, 255)), t.c_str());
        }
        ImGui::Dummy(ImVec2(avail, row_h * static_cast<float>(g.c_in_per_group)));
        ImGui::Separator();
        ImGui::Text("sum of the %lld channel sums%s", static_cast<long long>(g.c_in_per_group),
                    s.ws.scene->edit.layer.bias ? " + bias" : "");
        draw_sum_line(s);
        ImGui::TextColored(dim_text(), "(the cursor's own numbers: CursorState, not recomputed by the UI)");
        ImGui::EndChild();
    }
    ImGui::End();
}

}  // namespace convscope::gui
