// Layer kind ConvTranspose: switching the window between the Conv scene and the transposed-convolution view, and
// applying the view's edits, presets and order (the session itself is GUI-free: app/workspace/transpose_scene.hpp).
#include "app_state.hpp"

namespace convscope::gui {

void app_set_layer_kind(AppState& s, bool transpose) {
    TransposeSession& t = s.ws.transpose;
    if (t.active == transpose) return;
    if (transpose && !t.scene && !t.apply(default_transpose_edit())) {
        app_set_status(s, "ConvTranspose: " + t.error, true);  // the built-in layer is valid: never expected
        return;
    }
    if (transpose && t.preset_key.empty() && t.scene->edit == default_transpose_edit()) t.preset_key = "upsample";
    // each kind keeps its own place and granularity (a MAC step of one is not a step of the other)
    if (transpose) {
        s.ws.conv_step = s.ws.step, s.ws.conv_granularity = s.ws.granularity;
        s.ws.step = t.step, s.ws.granularity = t.granularity;
    } else {
        s.ws.step = s.ws.conv_step, s.ws.granularity = s.ws.conv_granularity;
    }
    t.active = transpose;
    s.ws.playing = false;
    s.view.request_relayout = true;
    app_set_status(s, transpose ? "Layer kind: ConvTranspose (the transposed-convolution view)" : "Layer kind: Conv",
                   false);
}

void app_transpose_edit(AppState& s, const TransposeEdit& edit) {
    TransposeSession& t = s.ws.transpose;
    const uint64_t before = t.scene ? t.scene->id : 0;
    if (!t.apply(edit)) return;  // the Layer panel shows t.error; the last valid layer stays on screen
    if (t.scene->id != before && t.active) s.ws.step = 0;
    t.preset_key.clear();
}

bool app_transpose_preset(AppState& s, const std::string& key) {
    const TransposePreset* p = find_transpose_preset(key);
    if (!p) {
        app_set_status(s, "no transposed-convolution preset '" + key + "'", true);
        return false;
    }
    if (!s.ws.transpose.active) app_set_layer_kind(s, true);
    TransposeSession& t = s.ws.transpose;
    if (!t.apply(p->edit)) {
        app_set_status(s, "preset " + key + ": " + t.error, true);
        return false;
    }
    t.preset_key = key;
    t.order = p->order;
    s.ws.step = 0;
    s.ws.playing = false;
    app_set_status(s, "ConvTranspose preset " + p->label, false);
    return true;
}

void app_transpose_order(AppState& s, TransposeOrder order) {
    TransposeSession& t = s.ws.transpose;
    if (t.order == order || !t.cursor) return;
    t.order = order;
    s.ws.step = 0;  // the two walks visit different things (input elements vs output elements): start over
    s.ws.playing = false;
}

void app_transpose_refresh(AppState& s) {
    if (!s.ws.transpose.active) return;
    s.ws.transpose.refresh(s.ws.step, s.ws.granularity);
    s.ws.step = s.ws.transpose.step;
}

}  // namespace convscope::gui
