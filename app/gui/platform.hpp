// The one place in the app that calls GLFW: the window, the GL context, Dear ImGui's platform/renderer
// backends, fonts and UI scale, the frame boundaries and the clock.
#pragma once

#include <string>
#include <vector>

namespace convscope::gui {

struct PlatformConfig {
    int width = 1280, height = 800;
    const char* title = "convscope";
    std::string font_dir;  // holds DejaVuSans.ttf / DejaVuSansMono.ttf; system DejaVu and ImGui's font are fallbacks
    bool vsync = true;
};

// Opens the window, loads GL, starts Dear ImGui. Returns false with a message.
bool platform_open(const PlatformConfig& config, std::string& error);
void platform_close();

bool platform_should_close();
void platform_request_close();
double platform_time();

// Rebuilds fonts at `scale` and scales ImGui's style sizes; call between frames.
void platform_set_ui_scale(float scale);

void platform_begin_frame();  // polls events, starts an ImGui frame
// Scripts: from the next frame on, ImGui sees the mouse at (x, y) in window pixels whatever the real pointer does;
// platform_release_mouse() gives it back.
void platform_hold_mouse(float x, float y);
void platform_release_mouse();
// Scripts: a left click at (x, y): the button is down for the next frame and up again in the one after.
void platform_click_mouse(float x, float y);
void platform_render();  // ImGui::Render + draws it into the back buffer (not swapped yet)
// Export: from the next platform_begin_frame on, ImGui lays out a display of width x height (the offscreen
// target), the mouse is away, and platform_render draws at that size; (0, 0) returns to the window.
void platform_set_display_override(int width, int height);
// Export: the theme of the whole UI (ImGui's colours and the clear colour). Panels ask platform_light_theme().
void platform_set_light_theme(bool light);
bool platform_light_theme();
float platform_ui_scale();  // the scale fonts were last built at
void platform_swap();
void platform_framebuffer_size(int& width, int& height);
// Paths of files dropped on the window since the last call.
std::vector<std::string> platform_take_dropped_paths();
// Scripts: paths handled exactly as if they had been dropped on the window (GLFW's drop callback adds to the same
// list).
void platform_inject_drop(const std::vector<std::string>& paths);

}  // namespace convscope::gui
