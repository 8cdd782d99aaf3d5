// The panels: each a free function draw_<panel>(Ui&) in its own file. Panels read the workspace (const), draw, write
// the view settings and the frame geometry, and record intents (Ui::push) for every change of the model.
#pragma once

#include "app_state.hpp"

namespace convscope::gui {

void draw_layer(Ui& s);
void draw_input(Ui& s);
void draw_filters(Ui& s);
void draw_computation(Ui& s);
void draw_channel_sums(Ui& s);
void draw_feature_maps(Ui& s);
void draw_after_conv_tab(Ui& s);  // inside the Feature maps panel: y through ReLU and a pooling layer
void draw_playback(Ui& s);
// Layer kind ConvTranspose (panel_transpose.cpp): these take the Input, Computation, Feature maps, Channel sums and
// Filters slots while s.ws.transpose.active (the Layer and Playback panels serve both kinds).
void draw_transpose_input(Ui& s);
void draw_transpose_output(Ui& s);
void draw_transpose_computation(Ui& s);
void draw_transpose_sums(Ui& s);
void draw_transpose_kernels(Ui& s);
// Data in: the main menu bar (File / View / Help, status line), the file browser modal, the CIFAR browser and the
// Data window (sources, image options, weights, ONNX nodes). Closed windows draw nothing.
void draw_main_menu(Ui& s);
void draw_file_browser(Ui& s);
// "This scene reads files outside its folder: ... Load them?" while s.ws.outside_request is set.
void draw_outside_paths_question(Ui& s);
void draw_cifar_browser(Ui& s);
void draw_data(Ui& s);
// Lessons: the Lesson panel (while one is followed), the outlines on the panels its step points at, and the
// lesson picker (Help -> Lessons). Drawn after every other panel.
void draw_lesson(Ui& s);
// The Code panel (View -> Code): the layer and cursor as PyTorch, Keras or NumPy code, or the ONNX model's summary.
void draw_code(Ui& s);
// The Batch vs channel window (View -> Batch vs channel): Q2's two layouts of the same images, one cursor.
void draw_compare(Ui& s);
// The Weight layouts window (View -> Weight layouts): one filter as PyTorch's (out, in, kH, kW) and Keras's
// (kH, kW, in, out), with their memory; hovering an element lights it in both.
void draw_layouts(Ui& s);
// The im2col / GEMM panel (View -> im2col / GEMM): X_col, W_row and Y = W_row . X_col^T, linked to the cursor.
void draw_im2col(Ui& s);

// The default arrangement at any window size (1280x800 is the reference): SetNextWindowPos/Size for a panel.
enum class Slot {
    Layer,
    Input,
    Computation,
    FeatureMaps,
    ChannelSums,
    Filters,
    Playback,
    Lesson,
    Code,
    Im2col,
    Compare
};
void next_window_slot(const Ui& s, Slot slot);
// ImGui::Begin for a panel (end it with ImGui::End): not collapsible, plus `flags`, and without its background
// rectangle when no other window overlapped it in the previous frame (window_slots.cpp: under a software rasterizer
// the panels' backgrounds, which tile the whole window, were a screen of fill every frame). The frame is cleared
// with the theme's window colour (platform_render) and the border is drawn as ImGui draws it, so a panel looks the
// same either way.
bool begin_panel(const char* name, bool* open = nullptr, ImGuiWindowFlags flags = 0);
// Of the region from `from` (screen position), `width` wide and `height` high, the height above the first window
// in front of the current panel that starts inside it (an overlay like im2col or Code below the Input panel at UI
// scale 1.5), as of the previous frame.
float unobstructed_height(ImVec2 from, float width, float height);

}  // namespace convscope::gui
