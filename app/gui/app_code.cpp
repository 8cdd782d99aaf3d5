// Conventions (View -> Conventions) and the Code panel's text: both made from core (conventions.hpp, codegen.hpp,
// onnx_export.hpp) at frame start, only when what they depend on changed.
#include <exception>

#include "app_state.hpp"
#include "onnx_export.hpp"

namespace convscope::gui {

void app_set_conventions(AppState& s, Convention c, bool remember) {
    s.view.conventions = c;
    if (!remember || s.settings.conventions == c) return;
    s.settings.conventions = c;
    if (std::string error; !app_settings_save(s.settings_dir, s.settings, error)) app_set_status(s, error, true);
}

std::string app_code_source(const AppState& s) {
    std::string title;
    for (const Preset& p : s.presets)
        if (p.key == s.preset_key) title = p.label;  // as scene_file_from_state titles a saved scene
    if (!s.scene_path.empty()) return code_scene_source(title, s.scene_path);
    return (title.empty() ? std::string("the layer") : title) + " (convscope window)";
}

namespace {

void make_code(AppState& s, const CodeView::Key& key) {
    CodeView& v = s.code;
    const Scene& sc = *s.scene;
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
    if (!s.scene) return;
    const std::pair<uint64_t, Convention> key{s.scene->id, s.view.conventions};
    if (key != s.texts_key || s.texts.layer.empty()) {
        s.texts = layer_texts(s.view.conventions, s.scene->edit.layer, s.scene->geo);
        s.texts_key = key;
    }
    if (!s.code.open) return;
    const CodeView::Key want{s.scene->id, {s.cs.n, s.cs.c_out, s.cs.y, s.cs.x}, s.code.framework, app_code_source(s)};
    if (!s.code.made_for || !(*s.code.made_for == want)) make_code(s, want);
}

}  // namespace convscope::gui
