// The im2col panel's virtualised matrix grid, shared by its Conv half (panel_im2col.cpp) and its ConvTranspose half
// (panel_im2col_transpose.cpp): only the visible cells are drawn; the header row and label column stay pinned.
#pragma once

#include <imgui.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "im2col_ui.hpp"

namespace convscope::gui::im2col_grid {

struct Matrix {
    const char* id = "";
    const char* corner = "";
    int64_t rows = 0, cols = 0;
    float label_w = 0, header_h = 0, cell_w = 0, cell_h = 0;
    std::function<std::string(int64_t)> row_label{}, col_label{};
    std::function<void(ImDrawList*, int64_t, int64_t, ImVec2, ImVec2)> cell{};
    std::function<void(int64_t, int64_t)> tooltip{};
    int64_t hi_row = -1, hi_col = -1;             // the cursor's row (window colour) and column (tinted)
    int64_t mac_row = -1, mac_col = -1;           // one cell outlined in the MAC colour
    int64_t mac_span = 1;                         // columns from mac_col / hi_col on (a whole channel at channel steps)
    int64_t out_row = -1, out_col = -1;           // one cell outlined in the window colour (Y's value at the cursor)
    int64_t mac_row_span = 1;                     // rows from mac_row on (a whole output channel's kH*kW rows)
    std::vector<std::array<int64_t, 2>> marks{};  // cells outlined in the window colour (the entries of one sum)
    bool follow = false;                          // scroll so the highlighted row/column is in view
};

struct Click {
    int64_t row = -1, col = -1;  // col -1: on the row label
};

Click draw_matrix(const Matrix& m, ImVec2 size, Im2colUi::Grid& grid);
nlohmann::json grid_json(const Im2colUi::Grid& grid);  // a grid as drawn, for `dump`
float text_w(const std::string& t);                    // at the cell font
std::string compact(std::string t);                    // without spaces: "(0,2,1)"
void hatch(ImDrawList* dl, ImVec2 p0, ImVec2 p1);      // diagonal stripes: padding / cropped cells

}  // namespace convscope::gui::im2col_grid
