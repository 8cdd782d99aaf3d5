// Many small maps packed into one float texture (under llvmpipe every separate image is a draw call).
// Tiles are equal-sized and laid out in a grid; tile i's texels come from a fill function.
#pragma once

#include <functional>

#include <imgui.h>

#include "gl_render.hpp"

namespace convscope::gui {

struct TileAtlas {
    FloatTexture texture;
    int tile_w = 0, tile_h = 0, cols = 1, count = 0;
    float scale = 1.0f;  // colour scale of the data (symmetric |max|, or hi for sequential)
    float lo = 0.0f, hi = 1.0f;
    bool non_finite = false;  // some value is NaN/Inf

    ImTextureID id() const { return texture.id; }
    ImVec2 uv0(int tile) const;
    ImVec2 uv1(int tile) const;
};

// fill(tile, texels): write tile_w*tile_h*channels floats for `tile`, row-major, row 0 at the top.
// Fewer tiles than `count` are uploaded when the texture would exceed GL's size limit; returns the number kept.
int upload_tiles(TileAtlas& atlas, int count, int tile_w, int tile_h, int channels,
                 const std::function<void(int, float*)>& fill);

}  // namespace convscope::gui
