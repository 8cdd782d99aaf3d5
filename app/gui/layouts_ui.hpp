// The Weight layouts window's view state (View -> Weight layouts): which filter it shows, the first input channel
// shown, the element hovered this frame or pinned (`layouts_hover`), and where it drew each element (for `dump` and
// tests). What the layouts are is app/workspace/weight_layouts.hpp; the panel is app/gui/panel_layouts.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "weight_layouts.hpp"

namespace convscope::gui {

struct AppState;

struct LayoutsUi {
    bool open = false;
    std::optional<int64_t> filter;  // null: the cursor's filter
    int64_t first_channel = 0;      // the input channels shown: first_channel .. + kShownChannels
    std::optional<workspace::WeightIndex> pinned, hovered;
    // every element cell drawn this frame: which layout ("pytorch", "keras", "pytorch_memory", "keras_memory")
    struct Cell {
        std::string layout;
        workspace::WeightIndex index;
        float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    };
    std::vector<Cell> cells;
    bool drawn = false;
};

// The element both layouts light: hovered, else pinned.
std::optional<workspace::WeightIndex> layouts_lit(const LayoutsUi& u);
// The window's numbers for `dump`: shapes, the filter, the lit element's indices, offsets and value, and the cells as
// drawn. null when the window is closed.
nlohmann::json layouts_dump(const AppState& s);

}  // namespace convscope::gui
