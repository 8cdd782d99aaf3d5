// The Weight layouts window (seed question 6): one filter's numbers as PyTorch's weight (out, in, kH, kW) and as
// Keras's kernel (kH, kW, in, out), with where each lives in memory; hovering an element in either lights the same
// number in both. The model is app/workspace/weight_layouts.hpp.
//
// Sections: hit test · the two grids · the memory strips · the window · dump
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "keras_layer.hpp"
#include "layouts_ui.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

using workspace::WeightIndex;
using workspace::WeightLayouts;

namespace {
constexpr int64_t kShownChannels = 4;  // input channels drawn at once (a selector pages through more)

// ---- hit test (last frame's cells: what lights up this frame) ----

std::optional<WeightIndex> hit(const LayoutsUi& u) {
    if (!ImGui::IsWindowHovered()) return std::nullopt;
    const ImVec2 m = ImGui::GetMousePos();
    for (const LayoutsUi::Cell& c : u.cells)
        if (m.x >= c.x0 && m.x < c.x1 && m.y >= c.y0 && m.y < c.y1) return c.index;
    return std::nullopt;
}

void lit_outline(ImDrawList* dl, ImVec2 a, ImVec2 b) {
    dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(0, 0, 0, 255), 0, 0, 4.0f);
    dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), kHoverColour, 0, 0, 2.0f);
}

struct Ctx {
    LayoutsUi& u;
    const Tensor& w;
    const WeightLayouts& L;
    int64_t o, c0, shown;
    HeatmapStyle style;
    std::optional<WeightIndex> lit;
    float value(const WeightIndex& i) const { return w[L.torch_offset(i)]; }
};

void element_cell(Ctx& c, ImDrawList* dl, const std::string& layout, const WeightIndex& i, ImVec2 a, ImVec2 b,
                  bool numbers) {
    const float v = c.value(i);
    dl->AddRectFilled(a, b, style_colour(c.style, v));
    dl->AddRect(a, b, IM_COL32(0, 0, 0, 60));
    if (numbers) cell_value(dl, a, b, v, text_colour_on(c.style, v));
    c.u.cells.push_back({layout, i, a.x, a.y, b.x, b.y});
}

// ---- the two grids ----

// PyTorch: weight[o] is (in, kH, kW): one kH x kW grid per input channel, side by side (wrapping to fit `width`).
void pytorch_grids(Ctx& c, float cell, float width) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float gap = cell * 0.5f, label_h = ImGui::GetTextLineHeightWithSpacing();
    const float grid_w = static_cast<float>(c.L.kw()) * cell,
                grid_h = label_h + static_cast<float>(c.L.kh()) * cell + gap;
    const int64_t per_row = std::clamp<int64_t>(static_cast<int64_t>((width + gap) / (grid_w + gap)), 1, c.shown);
    auto origin = [&](int64_t k) {
        return ImVec2(o.x + static_cast<float>(k % per_row) * (grid_w + gap),
                      o.y + static_cast<float>(k / per_row) * grid_h);
    };
    for (int64_t k = 0; k < c.shown; ++k) {
        const int64_t i = c.c0 + k;
        const ImVec2 top = origin(k);
        const ImVec2 g(top.x, top.y + label_h);
        const std::string label = "[" + std::to_string(c.o) + ", " + std::to_string(i) + "]";
        dl->AddText(top, ImGui::GetColorU32(dim_text()), label.c_str());
        for (int64_t ky = 0; ky < c.L.kh(); ++ky)
            for (int64_t kx = 0; kx < c.L.kw(); ++kx) {
                const ImVec2 a(g.x + static_cast<float>(kx) * cell, g.y + static_cast<float>(ky) * cell);
                element_cell(c, dl, "pytorch", {c.o, i, ky, kx}, a, ImVec2(a.x + cell, a.y + cell), true);
            }
    }
    for (int64_t k = 0; k < c.shown && c.lit; ++k)
        if (c.lit->o == c.o && c.lit->i == c.c0 + k) {
            const ImVec2 a(origin(k).x + static_cast<float>(c.lit->kx) * cell,
                           origin(k).y + label_h + static_cast<float>(c.lit->ky) * cell);
            lit_outline(dl, a, ImVec2(a.x + cell, a.y + cell));
        }
    const int64_t rows = (c.shown + per_row - 1) / per_row;
    ImGui::Dummy(ImVec2(static_cast<float>(per_row) * (grid_w + gap), static_cast<float>(rows) * grid_h));
}

// Keras: kernel[:, :, :, o] is (kH, kW, in): at every (ky, kx) the in values one above the other (channels last).
void keras_grid(Ctx& c, float cell_w, float sub_h) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const float cell_h = sub_h * static_cast<float>(c.shown);
    std::optional<std::pair<ImVec2, ImVec2>> lit;  // drawn last, over the position outlines
    for (int64_t ky = 0; ky < c.L.kh(); ++ky)
        for (int64_t kx = 0; kx < c.L.kw(); ++kx) {
            const ImVec2 g(o.x + static_cast<float>(kx) * (cell_w + 3), o.y + static_cast<float>(ky) * (cell_h + 3));
            for (int64_t k = 0; k < c.shown; ++k) {
                const ImVec2 a(g.x, g.y + static_cast<float>(k) * sub_h);
                const WeightIndex i{c.o, c.c0 + k, ky, kx};
                element_cell(c, dl, "keras", i, a, ImVec2(a.x + cell_w, a.y + sub_h), true);
                if (c.lit && *c.lit == i) lit = std::make_pair(a, ImVec2(a.x + cell_w, a.y + sub_h));
            }
            dl->AddRect(ImVec2(g.x - 1, g.y - 1), ImVec2(g.x + cell_w + 1, g.y + cell_h + 1),
                        ink(IM_COL32(200, 200, 210, 255)));
        }
    if (lit) lit_outline(dl, lit->first, lit->second);
    ImGui::Dummy(ImVec2(static_cast<float>(c.L.kw()) * (cell_w + 3), static_cast<float>(c.L.kh()) * (cell_h + 3) + 2));
}

// ---- the memory strips ----

// A stretch of one layout's flat memory around the lit element (else the filter's first element): this filter's
// elements in their colours, the other filters' grey. PyTorch's filter is one block; Keras's is every out-th float.
void memory_strip(Ctx& c, bool keras, float width) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float q = std::max(7.0f, ImGui::GetFontSize() * 0.75f);
    const int64_t per_row = std::max<int64_t>(8, static_cast<int64_t>(width / (q + 1)));
    const int64_t rows = 2, count = per_row * rows;
    const int64_t total = c.L.out() * c.L.in() * c.L.kh() * c.L.kw();
    const WeightIndex focus = c.lit ? *c.lit : WeightIndex{c.o, c.c0, 0, 0};
    const int64_t at = keras ? c.L.keras_offset(focus) : c.L.torch_offset(focus);
    const int64_t first = std::clamp<int64_t>(at - count / 3, 0, std::max<int64_t>(0, total - count));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    const ImU32 other = ink(IM_COL32(70, 70, 78, 255));
    for (int64_t f = first; f < std::min(total, first + count); ++f) {
        const int64_t r = (f - first) / per_row, col = (f - first) % per_row;
        const ImVec2 a(o.x + static_cast<float>(col) * (q + 1), o.y + static_cast<float>(r) * (q + 1));
        const ImVec2 b(a.x + q, a.y + q);
        const WeightIndex i = keras ? c.L.from_keras_offset(f) : c.L.from_torch_offset(f);
        if (i.o == c.o) {
            element_cell(c, dl, keras ? "keras_memory" : "pytorch_memory", i, a, b, false);
        } else {
            dl->AddRectFilled(a, b, other);
        }
        if (c.lit && *c.lit == i) lit_outline(dl, a, b);
    }
    ImGui::Dummy(ImVec2(static_cast<float>(per_row) * (q + 1), static_cast<float>(rows) * (q + 1)));
    const int64_t last = std::min(total, first + count) - 1;
    text_pieces(
        {"offsets " + std::to_string(first) + " .. " + std::to_string(last) + " of " + std::to_string(total) + ";",
         "this filter's elements",
         keras ? "are every " + std::to_string(c.L.out()) + "th float"
               : "are one block of " + std::to_string(c.L.in() * c.L.kh() * c.L.kw())},
        dim_text());
}

}  // namespace

std::optional<WeightIndex> layouts_lit(const LayoutsUi& u) { return u.hovered ? u.hovered : u.pinned; }

// ---- the window ----

void draw_layouts(Ui& s) {
    LayoutsUi& u = s.view.layouts;
    u.drawn = false;
    if (!u.open || s.ws.transpose.active || !s.ws.scene) {
        u.cells.clear();
        u.hovered.reset();
        return;
    }
    next_window_slot(s, Slot::Compare);  // right of the Layer panel, full height: two layouts and their memory
    if (!begin_panel("Weight layouts", &u.open)) {
        ImGui::End();
        return;
    }
    u.drawn = true;
    u.hovered = hit(u);
    if (u.hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Left))
        u.pinned = u.pinned == u.hovered ? std::nullopt : u.hovered;
    u.cells.clear();
    const Scene& sc = *s.ws.scene;
    const WeightLayouts L(sc.w.shape, sc.geo.dims);
    int64_t o = std::clamp<int64_t>(u.filter.value_or(s.ws.cs.c_out), 0, L.out() - 1);
    if (u.pinned && !L.valid(*u.pinned)) u.pinned.reset();
    u.first_channel = std::clamp<int64_t>(u.first_channel, 0, std::max<int64_t>(0, L.in() - kShownChannels));
    Ctx c{u,
          sc.w,
          L,
          o,
          u.first_channel,
          std::min(kShownChannels, L.in()),
          diverging_style(s.gpu.filter_atlas.scale),
          layouts_lit(u)};
    if (c.lit && c.lit->o != o) c.lit.reset();  // another filter's element (a strip square): drawn only where shown

    // the filter, and which channels when there are more than fit
    ImGui::TextUnformatted("filter");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
    int filter = static_cast<int>(o);
    if (ImGui::InputInt("##filter", &filter)) u.filter = std::clamp<int64_t>(filter, 0, L.out() - 1);
    ImGui::SameLine();
    if (ImGui::SmallButton("the cursor's")) u.filter.reset();
    if (L.in() > kShownChannels) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
        int first = static_cast<int>(u.first_channel);
        if (ImGui::SliderInt("first input channel", &first, 0, static_cast<int>(L.in() - kShownChannels)))
            u.first_channel = first;
    }
    ImGui::SameLine();
    help_marker(
        "The same numbers in two layouts. PyTorch's weight is (out, in, kH, kW): a filter is one block, one "
        "kH x kW grid per input channel. Keras's kernel is (kH, kW, in, out): at each kernel position the input "
        "channels sit together and the filters are the LAST axis, so a filter's numbers are every out-th float "
        "of the file. Hover a number (click: pin): the same element lights up in both layouts and in both "
        "memory strips.");
    const std::string torch_shape = python_tuple_text(L.torch_shape()),
                      keras_shape = python_tuple_text(L.keras_shape());
    text_pieces({"Keras -> PyTorch:",
                 "torch.from_numpy(kernel).permute(" + std::string(L.dims() == 2 ? "3, 2, 0, 1" : "2, 1, 0") + ")",
                 "= np.transpose(kernel, (" + std::string(L.dims() == 2 ? "3, 2, 0, 1" : "2, 1, 0") + "))"},
                accent_text());
    s.geometry.written["layouts.permute"] = L.dims() == 2 ? "permute(3, 2, 0, 1)" : "permute(2, 1, 0)";

    const float avail = ImGui::GetContentRegionAvail().x;
    const float font = ImGui::GetFontSize();
    if (ImGui::BeginTable("##layouts", 2, ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchSame)) {
        ImGui::TableNextColumn();
        ImGui::TextColored(accent_text(), "PyTorch weight %s", torch_shape.c_str());
        text_pieces({"(out, in, kH, kW):", "weight[" + std::to_string(o) + "] is (in, kH, kW)"}, dim_text());
        const float col = avail * 0.5f - 16;
        const float per_grid = col / static_cast<float>(c.shown) - font * 0.6f;
        // never so small that a value loses its digits ("-.02" must fit)
        ImFont* cf = cell_font();
        const float min_cell = cf->CalcTextSizeA(cf->FontSize, FLT_MAX, 0.0f, "-.00").x + 6.0f;
        const float cell = std::floor(std::clamp(per_grid / static_cast<float>(L.kw()), min_cell, font * 3.2f));
        pytorch_grids(c, cell, col);
        text_pieces({"memory", "(weight.flatten()):"}, ImGui::GetStyle().Colors[ImGuiCol_Text]);
        memory_strip(c, false, col);

        ImGui::TableNextColumn();
        ImGui::TextColored(accent_text(), "Keras kernel %s", keras_shape.c_str());
        text_pieces({"(kH, kW, in, out):", "kernel[..., " + std::to_string(o) + "] is (kH, kW, in)"}, dim_text());
        const float cell_w = std::floor(std::clamp(col / static_cast<float>(L.kw()) - 4, font * 2.4f, font * 4.0f));
        keras_grid(c, cell_w, std::floor(cell_font()->FontSize + 5.0f));
        text_pieces({"memory", "(kernel.flatten(),", "the .npy file's order):"},
                    ImGui::GetStyle().Colors[ImGuiCol_Text]);
        memory_strip(c, true, col);
        ImGui::EndTable();
    }
    // what is lit, in both layouts' words
    if (const auto lit = layouts_lit(u)) {
        const float v = sc.w[L.torch_offset(*lit)];
        char value[32];
        std::snprintf(value, sizeof value, "%.6g", static_cast<double>(v));
        const std::string same = L.torch_index_text(*lit) + " = " + L.keras_index_text(*lit) + " = " + value;
        text_pieces({L.torch_index_text(*lit) + " =", L.keras_index_text(*lit) + " =", value},
                    ImGui::GetStyle().Colors[ImGuiCol_Text]);
        const bool hide = s.hides(Fact::Layouts);  // (the formula with its numbers stays: the student works it out)
        const std::string keras_offset = hide ? hide_result(L.keras_offset_text(*lit), 1) : L.keras_offset_text(*lit);
        text_pieces({"offset in PyTorch's memory:", L.torch_offset_text(*lit) + ";", "in Keras's:", keras_offset},
                    dim_text());
        s.geometry.written["layouts.offsets"] =
            "offset in PyTorch's memory: " + L.torch_offset_text(*lit) + "; in Keras's: " + keras_offset;
        s.geometry.written["layouts.lit"] = same;
    } else {
        ImGui::TextColored(dim_text(), "Hover a number: the same element lights up in both layouts.");
    }
    const Shape k = L.keras_shape();
    if (L.dims() == 2) {
        const std::string moved = s.shown(Fact::Layouts, python_tuple_text({k[3], k[0], k[1], k[2]}));
        text_pieces({"np.moveaxis(kernel, -1, 0) gives (out, kH, kW, in) = " + moved + ":",
                     "fine for looping over filters, not PyTorch's " + torch_shape},
                    dim_text());
        s.geometry.written["layouts.moveaxis"] = "np.moveaxis(kernel, -1, 0) gives (out, kH, kW, in) = " + moved;
    }
    ImGui::End();
}

// ---- dump ----

nlohmann::json layouts_dump(const AppState& s) {
    using nlohmann::json;
    const LayoutsUi& u = s.view.layouts;
    if (!u.open || !s.ws.scene) return nullptr;
    const WeightLayouts L(s.ws.scene->w.shape, s.ws.scene->geo.dims);
    json j;
    j["filter"] = std::clamp<int64_t>(u.filter.value_or(s.ws.cs.c_out), 0, L.out() - 1);
    j["pytorch_shape"] = L.torch_shape();
    j["keras_shape"] = L.keras_shape();
    j["first_channel"] = u.first_channel;
    j["pinned"] = u.pinned.has_value();
    if (const auto lit = layouts_lit(u); lit && L.valid(*lit)) {
        j["lit"] = {{"index", {lit->o, lit->i, lit->ky, lit->kx}}, {"pytorch", L.torch_index_text(*lit)},
                    {"keras", L.keras_index_text(*lit)},           {"pytorch_offset", L.torch_offset(*lit)},
                    {"keras_offset", L.keras_offset(*lit)},        {"value", s.ws.scene->w[L.torch_offset(*lit)]}};
    } else {
        j["lit"] = nullptr;
    }
    json cells = json::array();
    for (const LayoutsUi::Cell& c : u.cells)
        cells.push_back({{"layout", c.layout},
                         {"index", {c.index.o, c.index.i, c.index.ky, c.index.kx}},
                         {"rect", {c.x0, c.y0, c.x1, c.y1}}});
    j["cells"] = cells;
    j["drawn"] = u.drawn;
    return j;
}

}  // namespace convscope::gui
