#include "platform.hpp"

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <optional>
#include <utility>

#include "gl_render.hpp"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"

namespace convscope::gui {

namespace {

GLFWwindow* g_window = nullptr;
std::string g_font_dir;
ImGuiStyle g_base_style;
// Latin-1, Greek, ellipsis, arrows, Σ, minus, ⊗⊙, ⋅, squares/circles: the glyphs the panels print.
const ImWchar kGlyphRanges[] = {0x0020, 0x00FF, 0x0391, 0x03C9, 0x2026, 0x2026, 0x2190, 0x2193, 0x2211,
                                0x2212, 0x2297, 0x2299, 0x22C5, 0x22C5, 0x25A0, 0x25CF, 0};

std::vector<std::string> g_dropped;
std::optional<ImVec2> g_held_mouse;      // platform_hold_mouse
int g_click_frames = 0;                  // platform_click_mouse: 2 = button down next frame, 1 = up again
int g_override_w = 0, g_override_h = 0;  // platform_set_display_override
bool g_light = false;
float g_ui_scale = 1.0f;

void glfw_drop(GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
}

void glfw_error(int code, const char* text) { std::fprintf(stderr, "GLFW error %d: %s\n", code, text); }

std::string find_font(const char* file) {
    namespace fs = std::filesystem;
    for (const std::string& dir : {g_font_dir, std::string("/usr/share/fonts/truetype/dejavu")}) {
        if (dir.empty()) continue;
        const fs::path p = fs::path(dir) / file;
        std::error_code ec;
        if (fs::exists(p, ec)) return p.string();
    }
    return {};
}

void build_fonts(float scale) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    const std::string sans = find_font("DejaVuSans.ttf");
    const std::string mono = find_font("DejaVuSansMono.ttf");
    ImFontConfig cfg;
    cfg.OversampleH = 2;
    cfg.OversampleV = 1;
    if (!sans.empty())
        io.Fonts->AddFontFromFileTTF(sans.c_str(), 15.0f * scale, &cfg, kGlyphRanges);
    else
        io.Fonts->AddFontDefault();
    if (!mono.empty()) {
        io.Fonts->AddFontFromFileTTF(mono.c_str(), 13.0f * scale, &cfg, kGlyphRanges);
        io.Fonts->AddFontFromFileTTF(mono.c_str(), 11.0f * scale, &cfg, kGlyphRanges);  // numbers in cells
    }
    io.Fonts->Build();
}

}  // namespace

bool platform_open(const PlatformConfig& config, std::string& error) {
    glfwSetErrorCallback(glfw_error);
    if (!glfwInit()) {
        error = "could not initialise GLFW (is DISPLAY set? under CI use xvfb-run)";
        return false;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    g_window = glfwCreateWindow(config.width, config.height, config.title, nullptr, nullptr);
    if (!g_window) {
        error = "could not create a 1280x800 window with an OpenGL 3.3 core context";
        glfwTerminate();
        return false;
    }
    glfwMakeContextCurrent(g_window);
    glfwSwapInterval(config.vsync ? 1 : 0);
    if (!gl_init(reinterpret_cast<GlLoader>(glfwGetProcAddress), error)) return false;

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is the app's, reproducible for screenshots
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;
    style.FrameRounding = 3.0f;
    style.WindowPadding = ImVec2(8, 6);
    style.ItemSpacing = ImVec2(6, 4);
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.10f, 0.105f, 0.12f, 1.0f);
    style.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.16f, 0.29f, 0.48f, 1.0f);
    style.Colors[ImGuiCol_TitleBg] = ImVec4(0.13f, 0.20f, 0.32f, 1.0f);
    g_base_style = style;
    g_font_dir = config.font_dir;
    build_fonts(1.0f);

    ImGui_ImplGlfw_InitForOpenGL(g_window, true);
    glfwSetDropCallback(g_window, glfw_drop);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    return true;
}

void platform_close() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    if (g_window) glfwDestroyWindow(g_window);
    g_window = nullptr;
    glfwTerminate();
}

bool platform_should_close() { return glfwWindowShouldClose(g_window) != 0; }
void platform_request_close() { glfwSetWindowShouldClose(g_window, GLFW_TRUE); }
double platform_time() { return glfwGetTime(); }

static void apply_theme_colours(ImGuiStyle& style) {
    if (!g_light) return;
    ImGuiStyle light;
    ImGui::StyleColorsLight(&light);
    std::copy(std::begin(light.Colors), std::end(light.Colors), std::begin(style.Colors));
    style.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.96f, 1.0f);
    style.Colors[ImGuiCol_ChildBg] = ImVec4(0.97f, 0.97f, 0.96f, 0.0f);
    style.Colors[ImGuiCol_Text] = ImVec4(0.08f, 0.08f, 0.10f, 1.0f);
    style.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.72f, 0.80f, 0.92f, 1.0f);
    style.Colors[ImGuiCol_TitleBg] = ImVec4(0.84f, 0.87f, 0.92f, 1.0f);
}

void platform_set_ui_scale(float scale) {
    ImGuiStyle& style = ImGui::GetStyle();
    style = g_base_style;
    style.ScaleAllSizes(scale);
    apply_theme_colours(style);
    g_ui_scale = scale;
    build_fonts(scale);
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
}

void platform_set_display_override(int width, int height) { g_override_w = width, g_override_h = height; }

void platform_set_light_theme(bool light) {
    if (light == g_light) return;
    g_light = light;
    ImGuiStyle& style = ImGui::GetStyle();  // sizes stay; colours from the dark base, then the light ones
    std::copy(std::begin(g_base_style.Colors), std::end(g_base_style.Colors), std::begin(style.Colors));
    apply_theme_colours(style);
}

bool platform_light_theme() { return g_light; }
float platform_ui_scale() { return g_ui_scale; }

void platform_begin_frame() {
    glfwPollEvents();
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    if (g_override_w > 0) {
        io.DisplaySize = ImVec2(static_cast<float>(g_override_w), static_cast<float>(g_override_h));
        io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        for (bool& down : io.MouseDown) down = false;
    } else if (g_held_mouse)
        io.MousePos = *g_held_mouse;
    if (g_click_frames > 0) io.MouseDown[0] = g_click_frames-- == 2;  // down one frame, then up
    ImGui::NewFrame();
}

void platform_hold_mouse(float x, float y) { g_held_mouse = ImVec2(x, y); }
void platform_release_mouse() { g_held_mouse.reset(); }
void platform_click_mouse(float x, float y) {
    g_held_mouse = ImVec2(x, y);
    g_click_frames = 2;
}

void platform_render() {
    ImGui::Render();
    int w = g_override_w, h = g_override_h;
    if (w <= 0) glfwGetFramebufferSize(g_window, &w, &h);
    // The theme's window colour: panels without other windows over them draw no background of their own
    // (begin_panel), so the clear colour is what shows behind their content.
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    gl_clear(w, h, bg.x, bg.y, bg.z);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    gl_end_frame_styles();
}

void platform_swap() { glfwSwapBuffers(g_window); }

void platform_framebuffer_size(int& width, int& height) { glfwGetFramebufferSize(g_window, &width, &height); }

std::vector<std::string> platform_take_dropped_paths() { return std::exchange(g_dropped, {}); }
void platform_inject_drop(const std::vector<std::string>& paths) {
    g_dropped.insert(g_dropped.end(), paths.begin(), paths.end());
}

}  // namespace convscope::gui
