#include "widgets.hpp"

#include <imgui_internal.h>  // FindWindowByName

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace convscope::gui {

void help_marker(const char* text) {
    ImGui::SameLine();
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

ImFont* mono_font() {
    ImFontAtlas* fonts = ImGui::GetIO().Fonts;
    return fonts->Fonts.Size > 1 ? fonts->Fonts[1] : fonts->Fonts[0];
}

ImFont* cell_font() {
    ImFontAtlas* fonts = ImGui::GetIO().Fonts;
    return fonts->Fonts.Size > 2 ? fonts->Fonts[2] : mono_font();
}

std::string count_text(int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return v < 0 ? "-" + out : out;
}

HeatmapStyle diverging_style(float scale) {
    HeatmapStyle s;
    s.color = ColorMode::Diverging;
    s.scale = scale;
    return s;
}

HeatmapStyle input_style(const TileAtlas& atlas, int64_t channel, int64_t channels, bool picture) {
    if (atlas.lo < 0.0f || !picture) return diverging_style(atlas.scale);
    HeatmapStyle s;
    s.color = ColorMode::Sequential;
    s.lo = 0.0f;
    s.hi = atlas.hi > 0.0f ? atlas.hi : 1.0f;
    if (channels == 3) {
        s.tint[0] = channel == 0 ? 1.0f : 0.0f;
        s.tint[1] = channel == 1 ? 1.0f : 0.0f;
        s.tint[2] = channel == 2 ? 1.0f : 0.0f;
    }
    return s;
}

void atlas_tile(ImDrawList* dl, const TileAtlas& atlas, int tile, ImVec2 p, ImVec2 size) {
    dl->AddImage(atlas.id(), p, ImVec2(p.x + size.x, p.y + size.y), atlas.uv0(tile), atlas.uv1(tile));
}

void texel_uv(const TileAtlas& atlas, int tile, int64_t ty, int64_t tx, ImVec2& uv0, ImVec2& uv1) {
    const ImVec2 a = atlas.uv0(tile), b = atlas.uv1(tile);
    const float du = (b.x - a.x) / static_cast<float>(atlas.tile_w),
                dv = (b.y - a.y) / static_cast<float>(atlas.tile_h);
    uv0 = ImVec2(a.x + du * static_cast<float>(tx), a.y + dv * static_cast<float>(ty));
    uv1 = ImVec2(uv0.x + du, uv0.y + dv);
}

void draw_legend(const TileAtlas& ramp, const HeatmapStyle& style, float width, const char* label, bool non_finite) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float h = ImGui::GetTextLineHeight() * 0.8f;
    ImGui::TextUnformatted(label);
    ImGui::SameLine();
    std::string lo_text, hi_text;
    HeatmapStyle ramp_style = style;
    if (style.color == ColorMode::Sequential) {
        ramp_style.lo = -1.0f, ramp_style.hi = 1.0f;
        lo_text = value_text(style.lo), hi_text = value_text(style.hi);
    } else {
        ramp_style.scale = 1.0f;
        lo_text = value_text(-style.scale), hi_text = value_text(style.scale);
    }
    ImGui::TextUnformatted(lo_text.c_str());
    ImGui::SameLine();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ImVec2 p1(p0.x + width, p0.y + h);
    ImGui::Dummy(ImVec2(width, ImGui::GetTextLineHeight()));
    const float dy = (ImGui::GetTextLineHeight() - h) * 0.5f;
    heatmap_begin(dl, ramp_style);
    dl->AddImage(ramp.id(), ImVec2(p0.x, p0.y + dy), ImVec2(p1.x, p1.y + dy), ramp.uv0(0), ramp.uv1(0));
    heatmap_end(dl);
    if (light_theme())  // the ramp's white middle needs an edge on a white page
        dl->AddRect(ImVec2(p0.x - 1, p0.y + dy - 1), ImVec2(p1.x + 1, p1.y + dy + 1), IM_COL32(90, 90, 100, 255));
    if (style.color == ColorMode::Diverging)
        dl->AddLine(ImVec2((p0.x + p1.x) * 0.5f, p0.y + dy - 2), ImVec2((p0.x + p1.x) * 0.5f, p1.y + dy + 2),
                    IM_COL32(40, 40, 40, 255));
    ImGui::SameLine();
    ImGui::TextUnformatted(hi_text.c_str());
    if (non_finite) {
        ImGui::SameLine();
        const ImVec2 q = ImGui::GetCursorScreenPos();
        const float s = h * 0.5f;
        for (int i = 0; i < 4; ++i) {
            const ImVec2 a(q.x + static_cast<float>(i % 2) * s, q.y + dy + static_cast<float>(i / 2) * s);
            dl->AddRectFilled(a, ImVec2(a.x + s, a.y + s),
                              (i == 0 || i == 3) ? IM_COL32(255, 0, 255, 255) : IM_COL32(20, 0, 20, 255));
        }
        ImGui::Dummy(ImVec2(2 * s, h));
        ImGui::SameLine();
        ImGui::TextUnformatted("NaN/Inf");
    }
}

const ImGuiWindow* find_panel_window(const char* title) {
    const ImGuiWindow* w = ImGui::FindWindowByName(title);
    if (w && w->WasActive) return w;
    const ImGuiWindow* slot = ImGui::FindWindowByName((std::string("###") + title).c_str());
    return slot && (slot->WasActive || !w) ? slot : w;
}

bool light_theme() {
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    return 0.299f * bg.x + 0.587f * bg.y + 0.114f * bg.z > 0.5f;
}

ImVec4 error_text() { return light_theme() ? ImVec4(0.78f, 0.08f, 0.06f, 1.0f) : ImVec4(1.0f, 0.32f, 0.30f, 1.0f); }
ImVec4 dim_text() { return light_theme() ? ImVec4(0.36f, 0.38f, 0.44f, 1.0f) : ImVec4(0.62f, 0.64f, 0.70f, 1.0f); }
ImVec4 accent_text() { return light_theme() ? ImVec4(0.62f, 0.38f, 0.0f, 1.0f) : ImVec4(1.0f, 0.86f, 0.25f, 1.0f); }

ImVec4 mac_text() { return ImGui::ColorConvertU32ToFloat4(ink(kMacColour)); }

ImU32 ink(ImU32 dark_theme_colour) {
    if (!light_theme()) return dark_theme_colour;
    const ImVec4 c = ImGui::ColorConvertU32ToFloat4(dark_theme_colour);
    const float hi = std::max({c.x, c.y, c.z}), lo = std::min({c.x, c.y, c.z});
    if (0.299f * c.x + 0.587f * c.y + 0.114f * c.z < 0.55f) return dark_theme_colour;
    if (hi - lo < 0.15f) return ImGui::ColorConvertFloat4ToU32(ImVec4(1.0f - c.x, 1.0f - c.y, 1.0f - c.z, c.w));
    return ImGui::ColorConvertFloat4ToU32(ImVec4(c.x * 0.55f, c.y * 0.55f, c.z * 0.55f, c.w));
}

ImU32 style_colour(const HeatmapStyle& style, float v) {
    // shaders/heatmap.frag's formulas (modes 0 and 1; non-finite values magenta)
    if (!std::isfinite(v)) return IM_COL32(255, 0, 255, 255);
    auto mix = [](const float* a, const float* b, float t) {
        return ImVec4(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t, 1.0f);
    };
    if (style.color == ColorMode::Sequential) {
        const float range = style.hi - style.lo;
        const float t = range > 0.0f ? std::clamp((v - style.lo) / range, 0.0f, 1.0f) : 0.0f;
        return ImGui::ColorConvertFloat4ToU32(ImVec4(style.tint[0] * t, style.tint[1] * t, style.tint[2] * t, 1.0f));
    }
    static constexpr float kZero[3] = {0.969f, 0.969f, 0.969f}, kPosMid[3] = {0.957f, 0.647f, 0.510f},
                           kPosEnd[3] = {0.404f, 0.000f, 0.122f}, kNegMid[3] = {0.573f, 0.773f, 0.871f},
                           kNegEnd[3] = {0.020f, 0.188f, 0.380f};
    const float t = style.scale > 0.0f ? std::clamp(v / style.scale, -1.0f, 1.0f) : 0.0f;
    const float a = std::fabs(t);
    const float* mid = t >= 0.0f ? kPosMid : kNegMid;
    const float* end = t >= 0.0f ? kPosEnd : kNegEnd;
    return ImGui::ColorConvertFloat4ToU32(a < 0.5f ? mix(kZero, mid, a * 2.0f) : mix(mid, end, a * 2.0f - 1.0f));
}

ImU32 text_colour_on(const HeatmapStyle& style, float v) {
    constexpr ImU32 kDark = IM_COL32(10, 10, 10, 255), kLight = IM_COL32(255, 255, 255, 255);
    if (!std::isfinite(v)) return kLight;
    if (style.color == ColorMode::Diverging) {
        const float t = style.scale > 0.0f ? std::fabs(v) / style.scale : 0.0f;
        return t < 0.62f ? kDark : kLight;
    }
    if (style.color == ColorMode::Sequential) {
        const float range = style.hi - style.lo;
        const float t = range > 0.0f ? std::clamp((v - style.lo) / range, 0.0f, 1.0f) : 0.0f;
        const float lum = t * (0.30f * style.tint[0] + 0.59f * style.tint[1] + 0.11f * style.tint[2]);
        return lum > 0.5f ? kDark : kLight;
    }
    return kLight;
}

bool cell_text(ImDrawList* dl, ImVec2 p0, ImVec2 p1, const char* text, ImU32 colour) {
    ImFont* font = cell_font();
    const float size = font->FontSize;
    const ImVec2 ts = font->CalcTextSizeA(size, 1e9f, 0.0f, text);
    if (ts.x > p1.x - p0.x - 2.0f || ts.y > p1.y - p0.y) return false;
    const ImVec2 pos(std::floor((p0.x + p1.x - ts.x) * 0.5f), std::floor((p0.y + p1.y - ts.y) * 0.5f));
    if (colour == IM_COL32(255, 255, 255, 255))
        dl->AddText(font, size, ImVec2(pos.x + 1, pos.y + 1), IM_COL32(0, 0, 0, 200), text);
    dl->AddText(font, size, pos, colour, text);
    return true;
}

bool cell_value(ImDrawList* dl, ImVec2 p0, ImVec2 p1, float v, ImU32 colour) {
    if (std::isfinite(v) && std::fabs(v) < 0.005f) v = 0.0f;  // no "-0.0"
    std::string t = value_text(v);
    if (cell_text(dl, p0, p1, t.c_str(), colour)) return true;
    if (std::isfinite(v) && std::fabs(v) < 1.0f) {
        const size_t zero = t.find("0.");
        if (zero != std::string::npos) t.erase(zero, 1);
        // "-.07" is the shortest honest form below 1: rounding further would write -0.07 as "-0" or "-0.1", so a
        // cell too small for it shows no number (the tooltip has it).
        return cell_text(dl, p0, p1, t.c_str(), colour);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(v));
    if (cell_text(dl, p0, p1, buf, colour)) return true;
    std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(v));
    return cell_text(dl, p0, p1, buf, colour);
}

void outline(ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImU32 colour, float thickness) {
    dl->AddRect(p0, p1, colour, 0.0f, 0, thickness);
}

void shadow_text(ImDrawList* dl, ImVec2 pos, ImU32 colour, const char* text) {
    dl->AddText(ImVec2(pos.x + 1, pos.y + 1), IM_COL32(0, 0, 0, 220), text);
    dl->AddText(pos, colour, text);
}

void atlas_shortfall_note(const TileAtlas& atlas, int64_t maps) {
    if (atlas.count < maps)
        ImGui::TextColored(error_text(), "showing the first %d of %lld maps", atlas.count,
                           static_cast<long long>(maps));
}

void pytorch_index_tooltip(Convention c, TensorRole role, const std::vector<int64_t>& torch_index, const char* name) {
    if (c != Convention::Keras || !ImGui::IsItemHovered()) return;
    const char* torch_name = name ? name : role == TensorRole::Weight ? "weight" : nullptr;
    ImGui::BeginTooltip();
    ImGui::Text("PyTorch: %s", index_text_in_convention(Convention::PyTorch, role, torch_index, torch_name).c_str());
    ImGui::TextColored(dim_text(), "the same element in PyTorch's order (%s)",
                       axis_names_text(Convention::PyTorch, role, static_cast<int>(torch_index.size())).c_str());
    ImGui::EndTooltip();
}

namespace {

void place_pieces(const std::vector<std::string>& pieces, ImVec4 colour, bool after_item, float indent) {
    const float space = ImGui::CalcTextSize(" ").x;
    const float right =
        ImGui::GetWindowPos().x + ImGui::GetContentRegionMax().x;  // a table cell's right edge in a table
    for (size_t i = 0; i < pieces.size(); ++i) {
        const float w = ImGui::CalcTextSize(pieces[i].c_str()).x;
        if (i > 0 || after_item) {
            if (ImGui::GetItemRectMax().x + space + w > right) {
                if (indent > 0.0f) ImGui::Indent(indent);  // (Indent(0) would indent by the style's spacing)
                ImGui::TextColored(colour, "%s", pieces[i].c_str());
                if (indent > 0.0f) ImGui::Unindent(indent);
                continue;
            }
            ImGui::SameLine(0, space);
        }
        ImGui::TextColored(colour, "%s", pieces[i].c_str());
    }
}

}  // namespace

void text_pieces(const std::vector<std::string>& pieces, ImVec4 colour, bool after_item) {
    place_pieces(pieces, colour, after_item, ImGui::GetFontSize() * 1.5f);
}

void text_words(const std::string& text, ImVec4 colour) {
    std::vector<std::string> words;
    for (size_t i = 0; i < text.size();) {
        const size_t j = std::min(text.find(' ', i), text.size());
        if (j > i) words.push_back(text.substr(i, j - i));
        i = j + 1;
    }
    place_pieces(words, colour, false, 0.0f);
}

void same_line_if_fits(float width) {
    ImGui::SameLine();
    if (ImGui::GetContentRegionAvail().x < width) ImGui::NewLine();
}

float help_marker_width() { return ImGui::GetStyle().ItemSpacing.x + ImGui::CalcTextSize("(?)").x; }

bool text_fits_lines(const char* text, float width, int lines) {
    return width > 0.0f && ImGui::CalcTextSize(text).x <= width * static_cast<float>(lines);
}

void dim_note(const char* text, bool same_line, int max_lines) {
    float room = ImGui::GetContentRegionAvail().x;
    if (same_line) room -= ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x - ImGui::GetCursorScreenPos().x;
    if (!text_fits_lines(text, room, max_lines)) {
        help_marker(text);
        return;
    }
    if (same_line) ImGui::SameLine();
    ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
    ImGui::TextWrapped("%s", text);
    ImGui::PopStyleColor();
}

float toggle_width(const char* label) {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
}

int button_rows(const std::vector<std::string>& labels, int current, int per_row, int& hovered) {
    const ImGuiStyle& style = ImGui::GetStyle();
    const float avail = ImGui::GetContentRegionAvail().x;
    std::vector<float> need(labels.size());
    for (size_t i = 0; i < labels.size(); ++i)
        need[i] = ImGui::CalcTextSize(labels[i].c_str()).x + style.FramePadding.x * 2.0f;
    int clicked = -1;
    hovered = -1;
    for (size_t first = 0; first < labels.size();) {
        // as many as fit whole: equal shares when every label fits its share, else each its own width plus an equal
        // part of what is left
        size_t end = first + 1;
        float sum = need[first];
        while (end < labels.size() && static_cast<int>(end - first) < per_row &&
               sum + style.ItemSpacing.x + need[end] <= avail)
            sum += style.ItemSpacing.x + need[end++];
        const float n = static_cast<float>(end - first);
        const float share = (avail - style.ItemSpacing.x * (n - 1.0f)) / n;
        const bool equal =
            std::all_of(need.begin() + static_cast<std::ptrdiff_t>(first),
                        need.begin() + static_cast<std::ptrdiff_t>(end), [share](float w) { return w <= share; });
        const float extra = std::max(0.0f, (avail - sum) / n);
        for (size_t i = first; i < end; ++i) {
            if (i > first) ImGui::SameLine();
            ImGui::PushID(static_cast<int>(i));
            const bool pressed = static_cast<int>(i) == current;
            if (pressed) ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
            if (ImGui::Button(labels[i].c_str(), ImVec2(equal ? share : need[i] + extra, 0)))
                clicked = static_cast<int>(i);
            if (pressed) ImGui::PopStyleColor();
            if (ImGui::IsItemHovered()) hovered = static_cast<int>(i);
            ImGui::PopID();
        }
        first = end;
    }
    return clicked;
}

}  // namespace convscope::gui
