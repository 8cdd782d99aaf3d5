// The im2col / GEMM panel's view state (View -> "im2col / GEMM"): whether it is open, which cursor moment its
// grids last scrolled to, and where its grids were drawn this frame (for `dump` and GUI tests).
// What the matrices hold is app/workspace/im2col_view.hpp; the panel is app/gui/panel_im2col.cpp.
#pragma once

#include <imgui.h>

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>

namespace convscope::gui {

struct AppState;
struct Ui;

struct Im2colUi {
    bool open = false;
    std::array<int64_t, 3> followed{-1, -1, -1};  // (scene id, step, granularity) the grids last scrolled to
    // One drawn grid: cell (r, c) spans origin + (c * cell_w, r * cell_h) .. + (cell_w, cell_h); only rows
    // first_row .. last_row and columns first_col .. last_col were drawn, inside `clip` (window pixels).
    struct Grid {
        ImVec2 origin{0, 0};
        float cell_w = 0, cell_h = 0;
        int64_t rows = 0, cols = 0;
        int64_t first_row = 0, last_row = -1, first_col = 0, last_col = -1;
        ImVec2 clip_min{0, 0}, clip_max{0, 0};  // where cells are visible (below the header, right of the labels)
    };
    Grid x_grid, w_grid, y_grid;
    // Layer kind ConvTranspose: W^T, X, columns = W^T . X and the output plane col2im fills
    Grid t_wt_grid, t_x_grid, t_columns_grid, t_y_grid;
    bool drawn = false;  // the panel was drawn this frame
};

// The panel's numbers for `dump`: sizes, the highlighted X_col row (index, position, values, padding flags),
// the highlighted W_row row, the Y cell and the grids as drawn. null when the panel is closed.
nlohmann::json im2col_dump(const AppState& s);

// The same window in Layer kind ConvTranspose (panel_im2col_transpose.cpp): PyTorch's GEMM + col2im, and its dump
// (sizes, the highlighted column / row, the entries and the output cells they land on). draw_im2col calls it.
void draw_im2col_transpose(Ui& s);
nlohmann::json im2col_transpose_dump(const AppState& s);

}  // namespace convscope::gui
