#include "tile_atlas.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace convscope::gui {

ImVec2 TileAtlas::uv0(int tile) const {
    const int c = tile % cols, r = tile / cols;
    return ImVec2(static_cast<float>(c * tile_w) / static_cast<float>(texture.width),
                  static_cast<float>(r * tile_h) / static_cast<float>(texture.height));
}

ImVec2 TileAtlas::uv1(int tile) const {
    const int c = tile % cols, r = tile / cols;
    return ImVec2(static_cast<float>((c + 1) * tile_w) / static_cast<float>(texture.width),
                  static_cast<float>((r + 1) * tile_h) / static_cast<float>(texture.height));
}

int upload_tiles(TileAtlas& atlas, int count, int tile_w, int tile_h, int channels,
                 const std::function<void(int, float*)>& fill) {
    const int max_size = gl_max_texture_size();
    tile_w = std::max(tile_w, 1);
    tile_h = std::max(tile_h, 1);
    count = std::max(count, 1);
    // A roughly square texture, at most 4096 texels wide.
    const int max_cols = std::max(1, std::min(count, std::min(max_size, 4096) / tile_w));
    const double side = std::ceil(std::sqrt(static_cast<double>(count) * tile_h / tile_w));
    const int cols = std::clamp(static_cast<int>(side), 1, max_cols);
    int rows = (count + cols - 1) / cols;
    if (rows * tile_h > max_size) {
        rows = std::max(1, max_size / tile_h);
        count = std::min(count, rows * cols);
    }
    const int width = cols * tile_w, height = rows * tile_h;
    // The atlas is built in buffers kept between uploads (the UI thread's): a fresh 6 MB vector for the ResNet
    // stem's 64 maps of 112x112 was zeroed page by page on every layer edit. Every texel is written: the tiles, then
    // zeros in the slots after the last tile.
    static std::vector<float> texels, tile;
    texels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels));
    tile.resize(static_cast<size_t>(tile_w) * static_cast<size_t>(tile_h) * static_cast<size_t>(channels));
    const size_t row_floats = static_cast<size_t>(tile_w) * static_cast<size_t>(channels);
    for (int i = 0; i < rows * cols; ++i) {
        if (i < count)
            fill(i, tile.data());
        else
            std::fill(tile.begin(), tile.end(), 0.0f);
        const int c0 = (i % cols) * tile_w, r0 = (i / cols) * tile_h;
        for (int y = 0; y < tile_h; ++y) {
            const size_t dst = (static_cast<size_t>(r0 + y) * static_cast<size_t>(width) + static_cast<size_t>(c0)) *
                               static_cast<size_t>(channels);
            std::copy_n(tile.data() + static_cast<size_t>(y) * row_floats, row_floats, texels.data() + dst);
        }
    }
    gl_upload_float_texture(atlas.texture, width, height, channels, texels.data());
    atlas.tile_w = tile_w;
    atlas.tile_h = tile_h;
    atlas.cols = cols;
    atlas.count = count;
    return count;
}

}  // namespace convscope::gui
