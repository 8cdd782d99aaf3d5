// Small shared widgets: help marker, heatmap tiles through the colormap shader, legends, cell numbers,
// outlines, and the colours every panel agrees on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <imgui.h>

struct ImGuiWindow;  // imgui_internal.h

#include "convention_texts.hpp"
#include "conventions.hpp"
#include "gl_render.hpp"
#include "lesson.hpp"
#include "tile_atlas.hpp"

namespace convscope::gui {

inline constexpr ImU32 kWindowColour = IM_COL32(255, 221, 0, 255);   // the current window / current pixel
inline constexpr ImU32 kMacColour = IM_COL32(0, 235, 255, 255);      // the current multiply-add
inline constexpr ImU32 kHoverColour = IM_COL32(255, 255, 255, 255);  // hovered input pixel and what it feeds
inline constexpr ImU32 kPaddingColour = IM_COL32(150, 150, 160, 255);
// Text colours of the current theme (View -> Theme): on the light theme, darker tones of the same hues.
bool light_theme();  // ImGui's window background is light
ImVec4 error_text();
ImVec4 dim_text();
ImVec4 accent_text();
ImVec4 mac_text();  // the current multiply-add's cyan, a darker teal on the light theme
// A colour chosen for the dark theme, made readable on the light one (light greys become dark greys, light
// saturated colours darker); unchanged on the dark theme. For text and lines drawn on the window background.
ImU32 ink(ImU32 dark_theme_colour);

void help_marker(const char* text);
// The width help_marker takes on the line after the item before it.
float help_marker_width();
// A panel's explanatory note: dim wrapped text (after the previous item when `same_line`), or, where it would take
// more than `max_lines` lines at the width left (UI scale 1.5, a lesson's narrower panels), a (?) after the previous
// item that shows it on hover, so the panel's pictures keep its height.
void dim_note(const char* text, bool same_line, int max_lines = 2);
// Whether `text` is at most `lines` times `width` pixels wide: wrapped at `width` it takes about that many lines
// (one more where a word does not fit at a line's end).
bool text_fits_lines(const char* text, float width, int lines);
// The panel window titled `title` as drawn this frame: "Input", or the slot's window under another title
// ("Input x: what goes IN###Input" in the transposed-convolution view). Null when neither exists.
const ImGuiWindow* find_panel_window(const char* title);
ImFont* mono_font();
ImFont* cell_font();  // small monospace for numbers inside cells

// What a panel draws in place of a number or shape a lesson's pending question hides (Ui::hides).
using workspace::hide_result;  // lesson.hpp
using workspace::kHidden;      // "?" (lesson.hpp)

using workspace::value_text;        // convention_texts.hpp: one home for how a value is written
std::string count_text(int64_t v);  // 14,592

HeatmapStyle diverging_style(float scale);
// Input channel colouring: the picture's own colour for an RGB channel (black .. red/green/blue), gray for a
// one-channel picture, diverging for signed data.
HeatmapStyle input_style(const TileAtlas& atlas, int64_t channel, int64_t channels, bool picture);

// Texture coordinates of texel (ty, tx) of a tile.
void texel_uv(const TileAtlas& atlas, int tile, int64_t ty, int64_t tx, ImVec2& uv0, ImVec2& uv1);
// Tile `tile` of `atlas` drawn over p .. p + size (between heatmap_begin and heatmap_end).
void atlas_tile(ImDrawList* dl, const TileAtlas& atlas, int tile, ImVec2 p, ImVec2 size);

// A horizontal legend bar drawn through the same shader, with its numeric range. `ramp` holds -1 .. 1.
void draw_legend(const TileAtlas& ramp, const HeatmapStyle& style, float width, const char* label, bool non_finite);

// The colour the heatmap shader gives `v` under `style` (diverging or sequential), for cells drawn as rectangles.
ImU32 style_colour(const HeatmapStyle& style, float v);
// Black or white, whichever reads better on the colour `style` gives `v`.
ImU32 text_colour_on(const HeatmapStyle& style, float v);

// Centred text in a cell if it fits; returns whether it was drawn.
bool cell_text(ImDrawList* dl, ImVec2 p0, ImVec2 p1, const char* text, ImU32 colour = IM_COL32(255, 255, 255, 255));
// A value in a cell, shortened until it fits: "-0.07" -> "-.07" (below 1; nothing when even that does not fit),
// "12.34" -> "12.3" -> "12".
bool cell_value(ImDrawList* dl, ImVec2 p0, ImVec2 p1, float v, ImU32 colour);
void outline(ImDrawList* dl, ImVec2 p0, ImVec2 p1, ImU32 colour, float thickness);
// "showing the first K of N maps" in red when the atlas could not hold every map (GL's texture size limit).
void atlas_shortfall_note(const TileAtlas& atlas, int64_t maps);
// While the last item is hovered in Keras conventions: a tooltip naming the same element in PyTorch's order
// ("PyTorch: weight[5, 1, 2, 0]"); `torch_index` in PyTorch's order, kWholeAxis for ':'. Nothing in PyTorch mode.
void pytorch_index_tooltip(Convention c, TensorRole role, const std::vector<int64_t>& torch_index,
                           const char* name = nullptr);
// Text pieces on one line while they fit, else continued on the next line (indented): never broken inside a piece,
// so an index, a shape or a number is never split. `after_item`: the first piece continues the last item's line.
void text_pieces(const std::vector<std::string>& pieces, ImVec4 colour, bool after_item = false);
// Prose wrapped at spaces only, never inside a word: ImGui's own wrapping also breaks after '.' and ',', which split
// "6.5" into "6." and "5" at the end of a line. Continued lines are not indented.
void text_words(const std::string& text, ImVec4 colour);
// Buttons in rows across the panel, up to `per_row` to a row and only as many as fit whole (a label is never cut,
// at any UI scale), each row filling the panel's width; button `current` is drawn pressed. Returns the index of the
// button clicked, -1 if none; `hovered` is set to the index of the button under the mouse (-1 if none).
int button_rows(const std::vector<std::string>& labels, int current, int per_row, int& hovered);
// The next item on this line when `width` pixels remain for it, else on the next line.
void same_line_if_fits(float width);
// The width of a checkbox or radio button with this label.
float toggle_width(const char* label);
// Text with a shadow at an absolute position.
void shadow_text(ImDrawList* dl, ImVec2 pos, ImU32 colour, const char* text);

}  // namespace convscope::gui
