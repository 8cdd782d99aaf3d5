// The Batch vs channel window's view state (View -> Batch vs channel, the Q2 presets' "Compare side by side"): the
// pair of scenes (app/workspace/batch_channel.hpp), its own cursor (followed from the main cursor while the scene on
// screen is one of the two sides), the pinned pixel, its textures and where it drew things (for `dump` and tests).
// The panel is app/gui/panel_compare.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "batch_channel.hpp"
#include "tile_atlas.hpp"

namespace convscope::gui {

struct AppState;

struct CompareUi {
    bool open = false;
    std::optional<workspace::BatchChannelPair> pair;  // built when first opened
    std::string error;                                // why the pair could not be built
    workspace::PairCursor cursor;
    std::optional<std::array<int64_t, 3>> pin;    // (image, y, x): pinned by a click or `compare_pin`
    std::optional<std::array<int64_t, 3>> hover;  // (image, y, x) under the mouse this frame
    // the map under the mouse: (side, n, c_out); its input images are outlined
    std::optional<std::pair<workspace::PairSide, std::array<int64_t, 2>>> hovered_map;
    std::optional<workspace::PairSide> linked;  // the side the scene on screen is (the main cursor moves with ours)
    uint64_t linked_scene = 0;                  // scene id `linked` was decided for
    // drawn this frame (window pixels): every image tile and map tile
    struct Tile {
        workspace::PairSide side;
        int64_t n = 0, c = 0;  // image tiles: n = image on the batch side, c = image on the channels side
        float x = 0, y = 0, cell = 0;
        int64_t rows = 0, cols = 0;
        bool image = false;
    };
    std::vector<Tile> tiles;
    bool drawn = false;
};

// Frame start: builds the pair when the window is first opened, follows the main cursor while the scene on screen is
// one of the two sides.
void compare_refresh(AppState& s);
// The window's numbers for `dump`: both sides' shapes, the cursor, each side's attribution, the outputs lit by the
// pinned (or hovered) pixel, per map, and the tiles as drawn. null when the window is closed.
nlohmann::json compare_dump(const AppState& s);

}  // namespace convscope::gui
