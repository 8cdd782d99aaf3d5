// Layer kind ConvTranspose: switching the window between the Conv scene and the transposed-convolution view, and
// applying the view's edits, presets and order (the session itself is GUI-free: app/workspace/transpose_scene.hpp).
#include "workspace.hpp"

namespace convscope::workspace {

void app_set_layer_kind(Workspace& ws, bool transpose) {
    TransposeSession& t = ws.transpose;
    if (t.active == transpose) return;
    if (transpose && !t.scene && !t.apply(default_transpose_edit())) {
        app_set_status(ws, "ConvTranspose: " + t.error, true);  // the built-in layer is valid: never expected
        return;
    }
    if (transpose && t.preset_key.empty() && t.scene->edit == default_transpose_edit()) t.preset_key = "upsample";
    // each kind keeps its own place and granularity (a MAC step of one is not a step of the other)
    if (transpose) {
        ws.conv_step = ws.step, ws.conv_granularity = ws.granularity;
        ws.step = t.step, ws.granularity = t.granularity;
    } else {
        ws.step = ws.conv_step, ws.granularity = ws.conv_granularity;
    }
    t.active = transpose;
    ws.playing = false;
    ws.requests.relayout = true;
    app_set_status(ws, transpose ? "Layer kind: ConvTranspose (the transposed-convolution view)" : "Layer kind: Conv",
                   false);
}

void app_transpose_edit(Workspace& ws, const TransposeEdit& edit) {
    TransposeSession& t = ws.transpose;
    const uint64_t before = t.scene ? t.scene->id : 0;
    if (!t.apply(edit)) return;  // the Layer panel shows t.error; the last valid layer stays on screen
    if (t.scene->id != before && t.active) ws.step = 0;
    t.preset_key.clear();
}

bool app_transpose_preset(Workspace& ws, const std::string& key) {
    const TransposePreset* p = find_transpose_preset(key);
    if (!p) {
        app_set_status(ws, "no transposed-convolution preset '" + key + "'", true);
        return false;
    }
    if (!ws.transpose.active) app_set_layer_kind(ws, true);
    TransposeSession& t = ws.transpose;
    if (!t.apply(p->edit)) {
        app_set_status(ws, "preset " + key + ": " + t.error, true);
        return false;
    }
    t.preset_key = key;
    t.order = p->order;
    ws.step = 0;
    ws.playing = false;
    app_set_status(ws, "ConvTranspose preset " + p->label, false);
    return true;
}

void app_transpose_order(Workspace& ws, TransposeOrder order) {
    TransposeSession& t = ws.transpose;
    if (t.order == order || !t.cursor) return;
    t.order = order;
    ws.step = 0;  // the two walks visit different things (input elements vs output elements): start over
    ws.playing = false;
}

void app_transpose_refresh(Workspace& ws) {
    if (!ws.transpose.active) return;
    ws.transpose.refresh(ws.step, ws.granularity);
    ws.step = ws.transpose.step;
}

}  // namespace convscope::workspace
