// The Batch vs channel window (seed question 2): the same three images as a batch of one-channel items (left) and as
// three channels of one item (right), one cursor for both. The model is app/workspace/batch_channel.hpp.
//
// Sections: refresh (pair, linked side, cursor) · textures · drawing one side · the window · dump
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "compare_ui.hpp"
#include "keras_layer.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

using workspace::Attribution;
using workspace::PairCursor;
using workspace::PairSide;

namespace {
constexpr PairSide kSides[] = {PairSide::Batch, PairSide::Channels};

// The outputs the pinned (else hovered) pixel feeds, per side.
std::optional<std::array<int64_t, 3>> perturbed_pixel(const CompareUi& c) { return c.pin ? c.pin : c.hover; }
}  // namespace

// ---- refresh ----

void compare_refresh(AppState& s) {
    CompareUi& c = s.view.compare;
    if (!c.open || s.ws.transpose.active) return;
    if (!c.pair && c.error.empty()) {
        workspace::BatchChannelPair pair;
        if (workspace::build_batch_channel_pair(s.ws.presets, pair, c.error)) {
            c.pair = std::move(pair);
            c.cursor = workspace::clamp_cursor(*c.pair, c.cursor);
        }
    }
    if (!c.pair || !s.ws.scene) return;
    if (c.linked_scene != s.ws.scene->id) {
        c.linked = workspace::pair_side_of(*c.pair, *s.ws.scene);
        c.linked_scene = s.ws.scene->id;
    }
    if (c.linked && s.ws.cursor) {  // the main cursor leads while the scene on screen is one side
        c.cursor = workspace::clamp_cursor(
            *c.pair, {*c.linked == PairSide::Batch ? s.ws.cs.n : c.cursor.image, s.ws.cs.c_out, s.ws.cs.y, s.ws.cs.x});
    }
}

namespace {

// ---- drawing one side ----

struct Layout {
    float tile = 32;  // pixels per tile (square: 28x28 images and 24x24 maps drawn at the same width)
    float gap = 5;
};

// A label under a tile in the small cell font: `full` if it fits the tile's width, else `short_form`.
void tile_label(ImDrawList* dl, ImVec2 at, float width, const std::string& full, const std::string& short_form,
                ImU32 colour) {
    ImFont* f = cell_font();
    const bool fits = f->CalcTextSizeA(f->FontSize, FLT_MAX, 0.0f, full.c_str()).x <= width;
    dl->AddText(f, f->FontSize, at, colour, (fits ? full : short_form).c_str());
}

// The bars under a side: image k's share of the output at the cursor (or "not read"), then the bias and the value.
void draw_attribution(const Attribution& a, float width) {
    const float unit = [&] {
        float m = std::fabs(a.value);
        for (const auto& v : a.contribution)
            if (v) m = std::max(m, std::fabs(*v));
        return m > 0 ? m : 1.0f;
    }();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float label_w = ImGui::CalcTextSize("image 0 ").x;
    const float bar_w = std::max(20.0f, (width - label_w) * 0.5f - ImGui::CalcTextSize("-0.00").x);
    auto bar = [&](const char* label, std::optional<float> v, ImU32 colour) {
        const ImVec2 p = ImGui::GetCursorScreenPos();
        const float h = ImGui::GetTextLineHeight();
        ImGui::TextUnformatted(label);
        const float mid = p.x + label_w + bar_w;  // zero line
        if (v) {
            const float len = std::fabs(*v) / unit * bar_w;
            const float x0 = *v < 0 ? mid - len : mid, x1 = *v < 0 ? mid : mid + len;
            dl->AddRectFilled(ImVec2(x0, p.y + 2), ImVec2(std::max(x1, x0 + 1), p.y + h - 2), colour);
            const std::string t = value_text(*v);
            dl->AddText(ImVec2(mid + bar_w + 6, p.y), ImGui::GetColorU32(ImGuiCol_Text), t.c_str());
        } else {
            dl->AddText(ImVec2(mid + 6, p.y), ImGui::GetColorU32(dim_text()), "not read");
        }
        dl->AddLine(ImVec2(mid, p.y), ImVec2(mid, p.y + h), ImGui::GetColorU32(dim_text()));
    };
    for (size_t k = 0; k < a.contribution.size(); ++k) {
        const std::string label = "image " + std::to_string(k);
        bar(label.c_str(), a.contribution[k], item_colour(static_cast<int64_t>(k)));
    }
    bar("bias", a.bias, ink(IM_COL32(180, 180, 190, 255)));
}

void draw_side(Ui& s, PairSide side, const Layout& L) {
    CompareUi& c = s.view.compare;
    const workspace::BatchChannelPair& p = *c.pair;
    const workspace::Scene& sc = p.scene(side);
    const ConvGeometry& g = sc.geo;
    const bool batch = side == PairSide::Batch;
    const int64_t N = p.images(), C = p.filters(), H = g.in[0], W = g.in[1], Ho = g.out[0], Wo = g.out[1];
    const PairCursor& cur = c.cursor;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float width = ImGui::GetContentRegionAvail().x;

    ImGui::TextColored(accent_text(), "%s", batch ? "AS A BATCH" : "AS CHANNELS");
    const std::vector<std::string> flow{
        "x " + python_tuple_text(g.input_shape()),
        "-> Conv2d(" + std::to_string(g.c_in) + ", " + std::to_string(C) + ", " + std::to_string(g.kernel[0]) + ")",
        "-> y " + s.shown(Fact::OutputShape, python_tuple_text(g.output_shape()))};
    text_pieces(flow, ImGui::GetStyle().Colors[ImGuiCol_Text]);
    s.geometry.written[std::string("compare.") + workspace::pair_side_name(side)] =
        flow[0] + " " + flow[1] + " " + flow[2];
    text_pieces(batch ? std::vector<std::string>{"each image is its own item:", "y[n] reads x[n] only"}
                      : std::vector<std::string>{"one item of " + std::to_string(N) + " channels:",
                                                 "every map reads all " + std::to_string(N) + " images"},
                dim_text());

    const auto pix = perturbed_pixel(c);
    std::map<std::array<int64_t, 2>, std::array<int64_t, 4>> lit_box;  // (n, c) -> (y0, x0, y1, x1) lit outputs
    if (pix)
        for (const auto& o : workspace::pair_lit_outputs(p, side, (*pix)[0], (*pix)[1], (*pix)[2])) {
            auto [it, fresh] = lit_box.try_emplace({o[0], o[1]}, std::array<int64_t, 4>{o[2], o[3], o[2], o[3]});
            auto& b = it->second;
            b = {std::min(b[0], o[2]), std::min(b[1], o[3]), std::max(b[2], o[2]), std::max(b[3], o[3])};
        }
    // the images the cursor's output reads (its window is drawn on them), and the ones the hovered map reads
    const std::vector<int64_t> cursor_reads = workspace::pair_images_read(p, side, batch ? cur.image : 0);
    const std::vector<int64_t> read = c.hovered_map && c.hovered_map->first == side
                                          ? workspace::pair_images_read(p, side, c.hovered_map->second[0])
                                          : cursor_reads;

    const float t = L.tile, gap = L.gap;
    const float cell_in = t / static_cast<float>(W), cell_out = t / static_cast<float>(Wo);
    auto image_tile = [&](int64_t k, ImVec2 at) {
        heatmap_begin(dl, input_style(s.gpu.compare_images, 0, 1, true));
        atlas_tile(dl, s.gpu.compare_images, static_cast<int>(k), at, ImVec2(t, t));
        heatmap_end(dl);
        c.tiles.push_back({side, batch ? k : 0, batch ? 0 : k, at.x, at.y, cell_in, H, W, true});
        const bool reads = std::find(read.begin(), read.end(), k) != read.end();
        dl->AddRect(ImVec2(at.x - 2, at.y - 2), ImVec2(at.x + t + 2, at.y + t + 2),
                    item_colour(k, reads ? 1.0f : 0.35f), 0, 0, reads ? 2.5f : 1.0f);
        if (std::find(cursor_reads.begin(), cursor_reads.end(), k) != cursor_reads.end()) {  // the cursor's window
            const float wx = at.x + static_cast<float>(cur.x * g.stride[1] - g.pad_begin[1]) * cell_in;
            const float wy = at.y + static_cast<float>(cur.y * g.stride[0] - g.pad_begin[0]) * cell_in;
            const float span_x = static_cast<float>((g.kernel[1] - 1) * g.dilation[1] + 1) * cell_in;
            const float span_y = static_cast<float>((g.kernel[0] - 1) * g.dilation[0] + 1) * cell_in;
            outline(dl, ImVec2(wx, wy), ImVec2(wx + span_x, wy + span_y), kWindowColour, 1.5f);
        }
        if (pix && (*pix)[0] == k) {
            const ImVec2 q(at.x + static_cast<float>((*pix)[2]) * cell_in,
                           at.y + static_cast<float>((*pix)[1]) * cell_in);
            dl->AddRect(ImVec2(q.x - 1, q.y - 1), ImVec2(q.x + cell_in + 1, q.y + cell_in + 1), IM_COL32(0, 0, 0, 255),
                        0, 0, 3.5f);
            dl->AddRect(ImVec2(q.x - 1, q.y - 1), ImVec2(q.x + cell_in + 1, q.y + cell_in + 1), kHoverColour, 0, 0,
                        1.5f);
        }
        const std::string name = "x[" + (batch ? std::to_string(k) + ", 0" : "0, " + std::to_string(k)) + "]";
        tile_label(dl, ImVec2(at.x, at.y + t + 2), t + gap * 0.5f, name, (batch ? "n=" : "c=") + std::to_string(k),
                   item_colour(k));
    };
    auto map_tile = [&](int64_t n, int64_t co, ImVec2 at) {
        const TileAtlas& atlas = batch ? s.gpu.compare_batch_maps : s.gpu.compare_channel_maps;
        heatmap_begin(dl, diverging_style(atlas.scale));
        atlas_tile(dl, atlas, static_cast<int>(n * C + co), at, ImVec2(t, t));
        heatmap_end(dl);
        c.tiles.push_back({side, n, co, at.x, at.y, cell_out, Ho, Wo, false});
        const bool current = co == cur.c_out && (!batch || n == cur.image);
        if (co == cur.c_out) {  // the cursor's position on its filter's map(s)
            const ImVec2 q(at.x + static_cast<float>(cur.x) * cell_out, at.y + static_cast<float>(cur.y) * cell_out);
            dl->AddRect(q, ImVec2(q.x + cell_out, q.y + cell_out),
                        current ? kWindowColour : ink(IM_COL32(200, 200, 200, 160)), 0, 0, current ? 2.0f : 1.0f);
        }
        if (current)
            dl->AddRect(ImVec2(at.x - 2, at.y - 2), ImVec2(at.x + t + 2, at.y + t + 2), kWindowColour, 0, 0, 2.0f);
        if (const auto it = lit_box.find({n, co}); it != lit_box.end() && !s.hides(Fact::Lit)) {
            const auto& b = it->second;
            const ImVec2 a0(at.x + static_cast<float>(b[1]) * cell_out, at.y + static_cast<float>(b[0]) * cell_out);
            const ImVec2 a1(at.x + static_cast<float>(b[3] + 1) * cell_out,
                            at.y + static_cast<float>(b[2] + 1) * cell_out);
            dl->AddRect(a0, a1, IM_COL32(0, 0, 0, 255), 0, 0, 3.5f);  // dark under white: visible on light maps too
            dl->AddRect(a0, a1, kHoverColour, 0, 0, 1.5f);
        }
        const std::string name = "y[" + std::to_string(n) + ", " + std::to_string(co) + "]";
        tile_label(dl, ImVec2(at.x, at.y + t + 2), t + gap * 0.5f, name, std::to_string(co),
                   ImGui::GetColorU32(current ? accent_text() : dim_text()));
    };

    const float label_h = cell_font()->FontSize + 4;
    const float row_h = t + label_h + gap;
    ImVec2 o = ImGui::GetCursorScreenPos();
    o.x += 2;
    o.y += 4;
    if (batch) {  // one row per item: its image, an arrow, its maps
        for (int64_t n = 0; n < N; ++n) {
            const ImVec2 r(o.x, o.y + static_cast<float>(n) * row_h);
            image_tile(n, r);
            const float ax = r.x + t + gap + 2, ay = r.y + t * 0.5f;
            dl->AddTriangleFilled(ImVec2(ax, ay - 5), ImVec2(ax, ay + 5), ImVec2(ax + 7, ay), item_colour(n));
            for (int64_t co = 0; co < C; ++co)
                map_tile(n, co, ImVec2(r.x + t + gap * 2 + 10 + static_cast<float>(co) * (t + gap), r.y));
        }
        ImGui::Dummy(ImVec2(width, static_cast<float>(N) * row_h + 4));
    } else {  // the stack: the images as channels of item 0, then its maps
        for (int64_t k = 0; k < N; ++k) image_tile(k, ImVec2(o.x + static_cast<float>(k) * (t + gap), o.y));
        const float bx = o.x + static_cast<float>(N) * (t + gap) + 6, by = o.y + t * 0.5f;
        dl->AddText(ImVec2(bx, by - ImGui::GetTextLineHeight() * 0.5f), ImGui::GetColorU32(dim_text()), "= x[0]");
        for (int64_t co = 0; co < C; ++co) {
            const int64_t per_row = std::max<int64_t>(1, static_cast<int64_t>((width - 14 + gap) / (t + gap)));
            map_tile(0, co,
                     ImVec2(o.x + 12 + static_cast<float>(co % per_row) * (t + gap),
                            o.y + row_h + static_cast<float>(co / per_row) * row_h));
        }
        const int64_t per_row = std::max<int64_t>(1, static_cast<int64_t>((width - 14 + gap) / (t + gap)));
        const int64_t map_rows = (C + per_row - 1) / per_row;
        dl->AddTriangleFilled(ImVec2(o.x, o.y + row_h + t * 0.5f - 5), ImVec2(o.x, o.y + row_h + t * 0.5f + 5),
                              ImVec2(o.x + 7, o.y + row_h + t * 0.5f), item_colour(0));
        ImGui::Dummy(ImVec2(width, static_cast<float>(1 + map_rows) * row_h + 4));
    }

    const Attribution a = workspace::pair_attribution(p, side, cur);
    std::vector<std::string> pieces;
    {  // the equation, in pieces that never split a number
        const std::string eq = workspace::attribution_text(a);
        size_t start = 0;
        while (true) {  // break before " + " and after "; "
            const size_t plus = eq.find(" + ", start), semi = eq.find("; ", start);
            const size_t cut = std::min(plus, semi == std::string::npos ? semi : semi + 1);
            if (cut == std::string::npos) break;
            pieces.push_back(eq.substr(start, cut - start));
            start = cut + 1;
        }
        pieces.push_back(eq.substr(start));
    }
    text_pieces(pieces, ImGui::GetStyle().Colors[ImGuiCol_Text]);
    s.geometry.written[std::string("compare.") + workspace::pair_side_name(side) + ".equation"] =
        workspace::attribution_text(a);
    draw_attribution(a, width);
}

// Mouse: hovering an image tile perturbs that pixel (click pins it, again unpins); clicking a map moves the cursor.
void handle_mouse(Ui& s) {
    CompareUi& c = s.view.compare;
    c.hover.reset();
    c.hovered_map.reset();
    if (!ImGui::IsWindowHovered()) return;
    const ImVec2 m = ImGui::GetMousePos();
    for (const CompareUi::Tile& t : c.tiles) {
        const float w = static_cast<float>(t.cols) * t.cell, h = static_cast<float>(t.rows) * t.cell;
        if (m.x < t.x || m.y < t.y || m.x >= t.x + w || m.y >= t.y + h) continue;
        const auto iy = std::clamp<int64_t>(static_cast<int64_t>((m.y - t.y) / t.cell), 0, t.rows - 1);
        const auto ix = std::clamp<int64_t>(static_cast<int64_t>((m.x - t.x) / t.cell), 0, t.cols - 1);
        if (t.image) {
            const int64_t k = t.side == PairSide::Batch ? t.n : t.c;
            c.hover = std::array<int64_t, 3>{k, iy, ix};
            ImGui::SetTooltip(
                "x[%s] = %s: click to pin; the outputs it feeds are outlined on both sides",
                (t.side == PairSide::Batch ? std::to_string(k) + ", 0, " : "0, " + std::to_string(k) + ", ")
                    .append(std::to_string(iy) + ", " + std::to_string(ix))
                    .c_str(),
                value_text(c.pair->batch->x.at({k, 0, iy, ix})).c_str());
            if (ImGui::IsMouseClicked(ImGuiMouseButton_Left)) c.pin = c.pin == c.hover ? std::nullopt : c.hover;
        } else {
            c.hovered_map = std::make_pair(t.side, std::array<int64_t, 2>{t.n, t.c});
            const float v = c.pair->y(t.side).at({t.n, t.c, iy, ix});
            ImGui::SetTooltip("y[%lld, %lld, %lld, %lld] = %s (click: move the cursor here)",
                              static_cast<long long>(t.n), static_cast<long long>(t.c), static_cast<long long>(iy),
                              static_cast<long long>(ix), value_text(v).c_str());
            if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))  // the scene on screen follows when it is one side
                s.push(intent::CompareCursor{t.side == PairSide::Batch ? t.n : c.cursor.image, t.c, iy, ix});
        }
        return;
    }
}

}  // namespace

// ---- the window ----

void draw_compare(Ui& s) {
    CompareUi& c = s.view.compare;
    c.drawn = false;
    c.tiles.clear();
    if (!c.open || s.ws.transpose.active) return;
    next_window_slot(s, Slot::Compare);
    if (!begin_panel("Batch vs channel", &c.open)) {
        ImGui::End();
        return;
    }
    if (!c.pair) {
        ImGui::TextColored(error_text(), "Cannot compare the presets: %s", c.error.c_str());
        ImGui::End();
        return;
    }
    c.drawn = true;
    const PairCursor& cur = c.cursor;
    std::vector<std::string> head{"The same " + std::to_string(c.pair->images()) + " images, two layouts, one cursor:",
                                  "filter " + std::to_string(cur.c_out) + ",",
                                  "position (" + std::to_string(cur.y) + ", " + std::to_string(cur.x) + ")"};
    text_pieces(head, ImGui::GetStyle().Colors[ImGuiCol_Text]);
    ImGui::SameLine();
    help_marker(
        "Left: the images are the batch, (N, 1, H, W). Each item is convolved on its own: y[n] reads x[n] "
        "only. Right: the same images stacked as channels, (1, N, H, W). Every filter has a slice per channel, "
        "so every map reads every image. Hover (click: pin) a pixel of any image: the outputs it feeds are "
        "outlined on both sides (change that pixel and exactly those outputs change). Hover a map: the images "
        "it reads are outlined. Click a map to move the cursor; while a Q2 preset is open the window's cursor "
        "moves too.");
    if (c.linked)
        text_pieces({"(the scene on screen", std::string("is the ") + workspace::pair_side_name(*c.linked) + " side)"},
                    dim_text(), true);
    if (c.pin) {
        ImGui::SameLine();
        if (ImGui::SmallButton("unpin")) c.pin.reset();
    }
    // tile size: the batch side needs an image and C maps across, N rows down, plus the text below
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float col_w = avail.x * 0.5f - ImGui::GetStyle().CellPadding.x * 2 - 8;
    const float text_h = ImGui::GetTextLineHeightWithSpacing() * (6.0f + static_cast<float>(c.pair->images()));
    Layout L;
    const float across = (col_w - 2 * L.gap - 12) / static_cast<float>(c.pair->filters() + 1) - L.gap;
    const float label_h = cell_font()->FontSize + 4;
    const float down = (avail.y - text_h) / static_cast<float>(c.pair->images()) - label_h - L.gap;
    // never smaller than about two lines of text (the window scrolls instead), never blown up past 4x
    L.tile = std::floor(std::clamp(std::min(across, down), ImGui::GetFontSize() * 2.0f, 112.0f));
    if (ImGui::BeginTable("##sides", 2, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) {
        for (PairSide side : kSides) {
            ImGui::TableNextColumn();
            ImGui::PushID(static_cast<int>(side));
            draw_side(s, side, L);
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    handle_mouse(s);
    ImGui::End();
}

// ---- dump ----

nlohmann::json compare_dump(const AppState& s) {
    using nlohmann::json;
    const CompareUi& c = s.view.compare;
    if (!c.open || !c.pair) return c.open ? json{{"error", c.error}} : json(nullptr);
    const workspace::BatchChannelPair& p = *c.pair;
    json j;
    j["cursor"] = {c.cursor.image, c.cursor.c_out, c.cursor.y, c.cursor.x};
    j["linked"] = c.linked ? json(workspace::pair_side_name(*c.linked)) : json(nullptr);
    const auto pix = perturbed_pixel(c);
    j["pixel"] = pix ? json(*pix) : json(nullptr);
    j["pinned"] = c.pin.has_value();
    for (PairSide side : kSides) {
        const workspace::Scene& sc = p.scene(side);
        const Attribution a = workspace::pair_attribution(p, side, c.cursor);
        json contrib = json::array();
        for (const auto& v : a.contribution) contrib.push_back(v ? json(*v) : json(nullptr));
        json lit = json::array();
        if (pix)
            for (const auto& o : workspace::pair_lit_outputs(p, side, (*pix)[0], (*pix)[1], (*pix)[2]))
                lit.push_back(o);
        json tiles = json::array();
        for (const CompareUi::Tile& t : c.tiles)
            if (t.side == side)
                tiles.push_back({{"kind", t.image ? "image" : "map"},
                                 {"n", t.n},
                                 {"c", t.c},
                                 {"x", t.x},
                                 {"y", t.y},
                                 {"cell", t.cell},
                                 {"rows", t.rows},
                                 {"cols", t.cols}});
        j[workspace::pair_side_name(side)] = {
            {"input_shape", sc.geo.input_shape()},
            {"weight_shape", sc.w.shape},
            {"output_shape", sc.geo.output_shape()},
            {"output", a.output},
            {"contribution", contrib},
            {"bias", a.bias},
            {"value", a.value},
            {"equation", workspace::attribution_text(a)},
            {"lit", lit},
            {"scale", (side == PairSide::Batch ? s.gpu.compare_batch_maps : s.gpu.compare_channel_maps).scale},
            {"tiles", tiles}};
    }
    j["drawn"] = c.drawn;
    return j;
}

}  // namespace convscope::gui
