// Conventions (View -> Conventions) and the Code panel's text: both made from core (conventions.hpp, codegen.hpp,
// onnx_export.hpp) at frame start, only when what they depend on changed.
#include <exception>

#include "app_state.hpp"
#include "onnx_export.hpp"

namespace convscope::gui {

void app_set_conventions(AppState& s, Convention c, bool remember) {
    s.ws.conventions = c;
    if (!remember || s.ws.settings.conventions == c) return;
    s.ws.settings.conventions = c;
    if (std::string error; !app_settings_save(s.ws.settings_dir, s.ws.settings, error)) app_set_status(s, error, true);
}

std::string app_code_source(const AppState& s) {
    std::string title;
    for (const Preset& p : s.ws.presets)
        if (p.key == s.ws.preset_key) title = p.label;  // as scene_file_from_state titles a saved scene
    if (!s.ws.scene_path.empty()) return code_scene_source(title, s.ws.scene_path);
    return (title.empty() ? std::string("the layer") : title) + " (convscope window)";
}

namespace {

void make_code(AppState& s, const CodeView::Key& key) {
    CodeView& v = s.view.code;
    const Scene& sc = *s.ws.scene;
    const ConvGeometry& g = sc.geo;
    v.made_for = key;
    v.source = key.source;
    v.text.clear();
    v.error.clear();
    ++v.generated;
    try {
        if (key.framework == CodeFramework::Onnx) {
            v.text = onnx_export_summary(g, sc.edit.layer.bias, key.source);
            return;
        }
        const Shape input = g.dims == 1 ? Shape{g.n, g.c_in, g.in[1]} : Shape{g.n, g.c_in, g.in[0], g.in[1]};
        const CodeLayer c = code_layer_from_conv(sc.edit.layer, input, key.cursor, key.source, "the window's scene");
        v.text = key.framework == CodeFramework::PyTorch ? code_pytorch(c)
                 : key.framework == CodeFramework::NumPy ? code_numpy(c)
                                                         : code_keras(c);
    } catch (const std::exception& e) {
        v.error = e.what();
    }
}

}  // namespace

void app_refresh_texts(AppState& s) {
    if (!s.ws.scene) return;
    const std::pair<uint64_t, Convention> key{s.ws.scene->id, s.ws.conventions};
    if (key != s.ws.texts_key || s.ws.texts.layer.empty()) {
        s.ws.texts = layer_texts(s.ws.conventions, s.ws.scene->edit.layer, s.ws.scene->geo);
        s.ws.texts_key = key;
    }
    if (!s.view.code.open) return;
    const CodeView::Key want{
        s.ws.scene->id, {s.ws.cs.n, s.ws.cs.c_out, s.ws.cs.y, s.ws.cs.x}, s.view.code.framework, app_code_source(s)};
    if (!s.view.code.made_for || !(*s.view.code.made_for == want)) make_code(s, want);
}

}  // namespace convscope::gui
