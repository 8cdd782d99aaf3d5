// Layer kind ConvTranspose: switching the window between the Conv scene and the transposed-convolution view, and
// applying the view's edits, presets and order (the session itself is GUI-free: app/workspace/transpose_scene.hpp).
#include "app_state.hpp"

namespace convscope::gui {

void app_set_layer_kind(AppState& s, bool transpose) {
    TransposeSession& t = s.transpose;
    if (t.active == transpose) return;
    if (transpose && !t.scene && !t.apply(default_transpose_edit())) {
        app_set_status(s, "ConvTranspose: " + t.error, true);  // the built-in layer is valid: never expected
        return;
    }
    if (transpose && t.preset_key.empty() && t.scene->edit == default_transpose_edit()) t.preset_key = "upsample";
    // each kind keeps its own place and granularity (a MAC step of one is not a step of the other)
    if (transpose) {
        s.conv_step = s.step, s.conv_granularity = s.granularity;
        s.step = t.step, s.granularity = t.granularity;
    } else {
        s.step = s.conv_step, s.granularity = s.conv_granularity;
    }
    t.active = transpose;
    s.playing = false;
    s.request_relayout = true;
    app_set_status(s, transpose ? "Layer kind: ConvTranspose (the transposed-convolution view)" : "Layer kind: Conv",
                   false);
}

void app_transpose_edit(AppState& s, const TransposeEdit& edit) {
    TransposeSession& t = s.transpose;
    const uint64_t before = t.scene ? t.scene->id : 0;
    if (!t.apply(edit)) return;  // the Layer panel shows t.error; the last valid layer stays on screen
    if (t.scene->id != before && t.active) s.step = 0;
    t.preset_key.clear();
}

bool app_transpose_preset(AppState& s, const std::string& key) {
    const TransposePreset* p = find_transpose_preset(key);
    if (!p) {
        app_set_status(s, "no transposed-convolution preset '" + key + "'", true);
        return false;
    }
    if (!s.transpose.active) app_set_layer_kind(s, true);
    TransposeSession& t = s.transpose;
    if (!t.apply(p->edit)) {
        app_set_status(s, "preset " + key + ": " + t.error, true);
        return false;
    }
    t.preset_key = key;
    t.order = p->order;
    s.step = 0;
    s.playing = false;
    app_set_status(s, "ConvTranspose preset " + p->label, false);
    return true;
}

void app_transpose_order(AppState& s, TransposeOrder order) {
    TransposeSession& t = s.transpose;
    if (t.order == order || !t.cursor) return;
    t.order = order;
    s.step = 0;  // the two walks visit different things (input elements vs output elements): start over
    s.playing = false;
}

void app_transpose_refresh(AppState& s) {
    if (!s.transpose.active) return;
    s.transpose.refresh(s.step, s.granularity);
    s.step = s.transpose.step;
}

}  // namespace convscope::gui
