// The one place in the app that calls OpenGL (besides Dear ImGui's own backend): the loader, float textures,
// the heatmap shader program and the draw-list callback that switches to it, and the back-buffer read-back.
// Panels never see a GLuint: textures are ImTextureID, colouring is a HeatmapStyle handed to heatmap_begin().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <imgui.h>

namespace convscope::gui {

using GlProc = void (*)();
using GlLoader = GlProc (*)(const char* name);

// Loads GL entry points through `loader` (glfwGetProcAddress). Returns false with a message on failure.
bool gl_init(GlLoader loader, std::string& error);

// Compiles shaders/heatmap.vert + heatmap.frag from `shader_dir`. Returns false with the compiler's log.
bool gl_load_heatmap_program(const std::string& shader_dir, std::string& error);
void gl_shutdown();

int gl_max_texture_size();

// A float texture of 1, 2 or 4 channels (R32F, RG32F, RGBA32F), nearest sampling, owned by the GL module.
// `data` holds width*height*channels floats, row 0 at the top.
struct FloatTexture {
    ImTextureID id = nullptr;
    int width = 0, height = 0, channels = 0;
};
void gl_upload_float_texture(FloatTexture& tex, int width, int height, int channels, const float* data);
void gl_destroy_texture(FloatTexture& tex);

// How the heatmap shader colours the texels drawn between heatmap_begin() and heatmap_end().
// Must match shaders/heatmap.frag.
enum class ColorMode : int {
    Diverging = 0,   // R in [-scale, scale] -> blue .. white .. red, symmetric around 0
    Sequential = 1,  // R in [lo, hi] -> black .. tint
    Rgb = 2,         // RGB texels are colours in [0, 1] (the image's own colours)
};
enum class MaskMode : int {
    None = 0,
    Reveal = 1,   // G (or A) is the output position index: texels with index > reveal_until are "not yet"
    Padding = 2,  // G (or A) is 1 on padding-ring texels: drawn dimmed and hatched
};
struct HeatmapStyle {
    ColorMode color = ColorMode::Diverging;
    MaskMode mask = MaskMode::None;
    float scale = 1.0f;          // Diverging: |value| that maps to the darkest colour
    float lo = 0.0f, hi = 1.0f;  // Sequential range
    float tint[3] = {1, 1, 1};   // Sequential: colour of `hi`
    float reveal_until = 0.0f;   // Reveal: last shown position index
};

// Switch the draw list to the heatmap program with `style`; only AddImage calls may follow until heatmap_end().
void heatmap_begin(ImDrawList* dl, const HeatmapStyle& style);
void heatmap_end(ImDrawList* dl);
// Frees the per-frame uniform blocks; call once per frame after rendering.
void gl_end_frame_styles();

void gl_clear(int width, int height, float r, float g, float b);

// Reads the current back buffer (call before swapping) as tightly packed RGB rows, top row first.
std::vector<uint8_t> gl_read_back_buffer(int width, int height);

// Offscreen rendering (export): a framebuffer object of width x height (RGBA8) becomes the draw target until
// gl_offscreen_end(); false with a message when GL refuses (size beyond GL_MAX_RENDERBUFFER_SIZE, out of memory).
bool gl_offscreen_begin(int width, int height, std::string& error);
// Reads the offscreen target as tightly packed RGB rows, top row first.
std::vector<uint8_t> gl_offscreen_read();
void gl_offscreen_end();   // back to the window's framebuffer
void gl_offscreen_free();  // releases the framebuffer (export finished)

}  // namespace convscope::gui
