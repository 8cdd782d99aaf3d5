// Conventions (View -> Conventions) and the Code panel's text: both made from core (conventions.hpp, codegen.hpp,
// onnx_export.hpp) at frame start, only when what they depend on changed.
#include <exception>

#include "app_state.hpp"
#include "onnx_export.hpp"

namespace convscope::gui {

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

void app_refresh_code(AppState& s) {
    if (!s.ws.scene || !s.view.code.open) return;
    const CodeView::Key want{
        s.ws.scene->id, {s.ws.cs.n, s.ws.cs.c_out, s.ws.cs.y, s.ws.cs.x}, s.view.code.framework, app_code_source(s.ws)};
    if (!s.view.code.made_for || !(*s.view.code.made_for == want)) make_code(s, want);
}

}  // namespace convscope::gui
