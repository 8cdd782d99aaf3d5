#include <algorithm>
#include <string>

#include "convention_texts.hpp"
#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

// A preset's notes, or while a lesson's question waits, why they are not shown (they often state the answer).
const char* preset_notes(const Ui& s, const std::string& notes) {
    return s.hides(Fact::Notes) ? "The preset's notes are hidden until you answer the lesson's question (or reveal it)."
                                : notes.c_str();
}

float field_width() { return ImGui::GetFontSize() * 2.9f; }

void label(const char* text) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(text);
    ImGui::SameLine();
}

// One value per spatial dim; stored back as one value when all are equal (as a user would write it).
bool per_dim_input(const char* name, std::vector<int64_t>& values, int dims, int lo, int hi) {
    int v[2] = {static_cast<int>(values.empty() ? 0 : values[0]),
                static_cast<int>(values.size() > 1 ? values[1] : (values.empty() ? 0 : values[0]))};
    label(name);
    ImGui::PushID(name);
    bool changed = false;
    for (int i = 0; i < dims; ++i) {
        if (i) ImGui::SameLine(0, 2);
        ImGui::SetNextItemWidth(field_width());
        ImGui::PushID(i);
        changed |= ImGui::InputInt("##v", &v[i], 0, 0);
        ImGui::PopID();
    }
    ImGui::PopID();
    if (dims == 1) v[1] = v[0];
    if (!changed) return false;
    v[0] = std::clamp(v[0], lo, hi);
    v[1] = std::clamp(v[1], lo, hi);
    if (dims == 1 || v[0] == v[1])
        values = {v[0]};
    else
        values = {v[0], v[1]};
    return true;
}

bool int_input(const char* name, int64_t& value, int lo, int hi) {
    int v = static_cast<int>(value);
    label(name);
    ImGui::SetNextItemWidth(field_width() * 1.2f);
    ImGui::PushID(name);
    const bool changed = ImGui::InputInt("##v", &v, 0, 0);
    ImGui::PopID();
    if (!changed) return false;
    value = std::clamp(v, lo, hi);
    return true;
}

void draw_presets(Ui& s) {
    std::vector<std::string> labels;
    int current = -1, hovered = -1;
    for (const Preset& p : s.ws.presets) {
        if (p.key == s.ws.preset_key) current = static_cast<int>(labels.size());
        labels.push_back(p.label);
    }
    const int clicked = button_rows(labels, current, 2, hovered);
    if (clicked >= 0) s.push(intent::ApplyPreset{s.ws.presets[static_cast<size_t>(clicked)].key});
    if (hovered >= 0) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28.0f);
        ImGui::TextUnformatted(preset_notes(s, s.ws.presets[static_cast<size_t>(hovered)].lesson));
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
    for (const Preset& p : s.ws.presets) {
        if (p.key != s.ws.preset_key) continue;
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("%s", preset_notes(s, p.lesson));
        ImGui::PopStyleColor();
        if (!p.compare_key.empty()) {
            ImGui::PushID("compare");
            // side by side in the Batch vs channel window (nothing replaced), or open the other preset
            if (ImGui::SmallButton("Compare side by side")) s.view.compare.open = true;
            for (const Preset& q : s.ws.presets)
                if (q.key == p.compare_key) {
                    ImGui::SameLine();
                    if (ImGui::SmallButton(("Open " + q.label).c_str())) s.push(intent::ApplyPreset{q.key});
                }
            ImGui::PopID();
        }
    }
}

void draw_settings(Ui& s) {
    LayerEdit e = s.ws.edit;
    ConvLayer& L = e.layer;
    // The same fields in Keras's words when View -> Conventions is Keras (the layer is still PyTorch's: padding as
    // numbers has no Keras argument; the Layer line above writes ZeroPadding2D for it).
    const bool keras = s.ws.conventions == Convention::Keras;
    auto word = [keras](const char* pytorch, const char* k) { return keras ? k : pytorch; };
    ConvParams& P = L.params;
    bool changed = false;
    int dims = L.dims;
    if (ImGui::RadioButton(word("Conv1d", "Conv1D"), dims == 1)) dims = 1;
    ImGui::SameLine();
    if (ImGui::RadioButton(word("Conv2d", "Conv2D"), dims == 2)) dims = 2;
    if (dims != L.dims) {
        L.dims = dims;
        changed = true;
    }
    same_line_if_fits(toggle_width(word("bias", "use_bias")));
    changed |= ImGui::Checkbox(word("bias", "use_bias"), &L.bias);
    changed |= int_input("in_channels", L.in_channels, 1, 4096);  // Keras has no such argument: the input says it
    ImGui::SameLine();
    changed |= int_input(word("out", "filters"), L.out_channels, 1, 4096);
    changed |= per_dim_input("kernel_size", L.kernel_size, L.dims, 1, 64);
    changed |= per_dim_input(word("stride", "strides"), P.stride, L.dims, 0, 64);
    ImGui::SameLine();
    changed |= per_dim_input(word("dilation", "dilation_rate"), P.dilation, L.dims, 0, 16);
    label("padding");
    const char* kinds[] = {"int", "'same'", "'valid'"};
    int kind = static_cast<int>(P.padding_kind);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.4f);
    if (ImGui::Combo("##padkind", &kind, kinds, 3)) {
        P.padding_kind = static_cast<PaddingKind>(kind);
        changed = true;
    }
    if (P.padding_kind == PaddingKind::Explicit) {
        ImGui::SameLine();
        ImGui::PushID("pad");
        changed |= per_dim_input("", P.padding, L.dims, 0, 64);
        ImGui::PopID();
    }
    changed |= int_input("groups", P.groups, 0, 4096);
    ImGui::SameLine();
    label("mode");
    int mode = static_cast<int>(P.padding_mode);
    const char* modes[] = {"zeros", "reflect", "replicate", "circular"};
    ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x);
    if (ImGui::Combo("##padding_mode", &mode, modes, 4)) {
        P.padding_mode = static_cast<PaddingMode>(mode);
        changed = true;
    }

    ImGui::TextColored(accent_text(), "input x %s", L.dims == 1 ? "(N, C, L)" : "(N, C, H, W)");
    ImGui::SameLine();
    InputSpec& in = e.input;
    changed |= ImGui::Checkbox("C = in_channels", &in.c_follows_layer);
    help_marker("Untick to give the input its own channel count and see PyTorch's channel-mismatch error.");
    if (in.c_follows_layer) in.c = L.in_channels;
    changed |= int_input("N", in.n, 1, 64);
    ImGui::SameLine();
    ImGui::BeginDisabled(in.c_follows_layer);
    changed |= int_input("C", in.c, 1, 4096);
    ImGui::EndDisabled();
    if (L.dims == 2) {
        ImGui::SameLine();
        changed |= int_input("H", in.h, 1, 1024);
    }
    ImGui::SameLine();
    changed |= int_input(L.dims == 2 ? "W" : "L", in.w, 1, 4096);
    if (changed) {
        s.push(intent::EditLayer{e});
    }
}

void draw_result(Ui& s) {
    if (!s.ws.edit_error.empty()) {
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        ImGui::PushStyleColor(ImGuiCol_Text, error_text());
        // convscope's own limits are not PyTorch errors: no "RuntimeError:" before them
        const bool app_limit =
            s.ws.edit_error.rfind("Too large", 0) == 0 || s.ws.edit_error.rfind("convscope ", 0) == 0;
        ImGui::TextWrapped("%s%s", app_limit ? "" : "RuntimeError: ", s.ws.edit_error.c_str());
        ImGui::PopStyleColor();
        const ImVec2 p1(p0.x + ImGui::GetContentRegionAvail().x, ImGui::GetItemRectMax().y);
        s.geometry.error_text = OutlineRect{0, 0, p0, p1};
        if (const std::optional<KerasSame> k = keras_same_pads(s.ws.edit)) {
            // The same layer in Keras: TF's rule pads asymmetrically where PyTorch refuses; both side by side.
            ImGui::TextWrapped("Keras computes padding='same' with strides > 1 by TensorFlow's rule:");
            ImGui::PushFont(mono_font());
            for (const std::string& line : k->lines)  // (hidden: the rule with these numbers, its result left out)
                ImGui::TextWrapped("%s", s.hides(Fact::OutputShape) ? hide_result(line, 2).c_str() : line.c_str());
            ImGui::PopFont();
            if (ImGui::SmallButton("Use Keras's pads")) {
                s.push(intent::EditLayer{k->edit});
            }
        }
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("Still showing the last valid layer:");
        ImGui::PopStyleColor();
    }
    const Scene& sc = *s.ws.scene;
    const ConvGeometry& g = sc.geo;
    const LayerTexts& t = s.ws.texts;
    const bool keras = s.ws.conventions == Convention::Keras;
    const bool hide_shape = s.hides(Fact::OutputShape), hide_params = s.hides(Fact::Params);
    const std::string y_shape = s.shown(Fact::OutputShape, t.output_shape);
    const std::string shapes = "x: " + t.input_shape + " -> y: " + y_shape;  // as the pieces below read
    ImGui::PushFont(mono_font());
    ImGui::BeginGroup();
    ImGui::TextWrapped("%s", t.layer.c_str());
    text_pieces({"x: " + t.input_shape, "->", "y: " + y_shape}, ImGui::GetStyleColorVec4(ImGuiCol_Text));
    ImGui::EndGroup();
    ImGui::PopFont();
    if (keras && !hide_shape && ImGui::IsItemHovered()) {  // the same layer and shapes in PyTorch's words
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 36.0f);
        ImGui::TextWrapped("PyTorch: %s", layer_python_text(sc.edit.layer).c_str());
        ImGui::TextWrapped("x: %s -> y: %s", shape_to_string(input_shape(sc.edit)).c_str(),
                           shape_to_string(g.output_shape_torch()).c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
    if (keras) {
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("Keras conventions: channels last %s; the numbers are PyTorch's, in Keras's order.",
                           t.input_axes.c_str());
        ImGui::PopStyleColor();
    }
    s.geometry.written["layer.layer"] = t.layer;
    s.geometry.written["layer.shapes"] = shapes;
    ImGui::Spacing();
    ImGui::TextColored(accent_text(), "Output size");
    ImGui::PushFont(mono_font());
    // (hidden: the formula with this layer's numbers, its value left to the student)
    for (int axis = g.dims == 2 ? 0 : 1; axis < 2; ++axis) {
        const std::string f = hide_shape ? hide_result(conv_formula_text(g, axis), 2) : conv_formula_text(g, axis);
        ImGui::TextWrapped("%s", f.c_str());
        s.geometry.written[axis == 0 && g.dims == 2 ? "layer.formula_h" : "layer.formula_w"] = f;
    }
    ImGui::PopFont();
    const int64_t wcount = g.c_out * g.c_in_per_group * g.kernel[0] * g.kernel[1];
    const int64_t bcount = sc.edit.layer.bias ? g.c_out : 0;
    const std::string params = "Parameters: " + s.shown(Fact::Params, count_text(wcount + bcount));
    ImGui::TextColored(accent_text(), "%s", params.c_str());
    s.geometry.written["layer.params"] = params;
    if (keras) {
        const std::string weights = "kernel " + t.weight_shape + " = " + t.weight_axes + ";  bias " +
                                    (bcount ? t.bias_shape : std::string("none (use_bias=False)"));
        ImGui::TextWrapped("%s", weights.c_str());
        const std::string formula = hide_params ? hide_result(t.parameter_formula, 1) : t.parameter_formula;
        ImGui::PushFont(mono_font());
        ImGui::TextWrapped("%s", formula.c_str());
        ImGui::PopFont();
        s.geometry.written["layer.weights"] = weights;
        s.geometry.written["layer.parameters"] = formula;
    } else {
        const std::string kernel =
            g.dims == 2 ? std::to_string(g.kernel[0]) + "x" + std::to_string(g.kernel[1]) : std::to_string(g.kernel[1]);
        const std::string weights = "weight " + t.weight_shape + " = " + std::to_string(g.c_out) + " x " +
                                    std::to_string(g.c_in_per_group) + " x " + kernel + " = " +
                                    s.shown(Fact::Params, count_text(wcount)) + ";  bias " +
                                    (bcount ? s.shown(Fact::Params, count_text(bcount)) : std::string("none"));
        ImGui::TextWrapped("%s", weights.c_str());
        s.geometry.written["layer.weights"] = weights;
    }
    if (!hide_params && !hide_shape)  // (MACs per output = numbers per filter; the total = MACs x outputs)
        ImGui::TextWrapped("%s MACs per output value, %s in total", count_text(g.macs_per_output()).c_str(),
                           count_text(g.macs_per_output() * g.output_positions()).c_str());
    if (s.ws.pending) {
        ImGui::ProgressBar(s.ws.worker.progress(), ImVec2(-1, 0), "computing the new layer...");
    }
    if (!s.ws.notice.empty()) ImGui::TextColored(error_text(), "%s", s.ws.notice.c_str());
}

// ---- Layer kind ConvTranspose ----

void draw_layer_kind(Ui& s) {
    label("kind");
    if (ImGui::RadioButton("Conv", !s.ws.transpose.active)) s.push(intent::SetLayerKind{false});
    ImGui::SameLine();
    if (ImGui::RadioButton("ConvTranspose", s.ws.transpose.active)) s.push(intent::SetLayerKind{true});
    ImGui::SameLine();
    help_marker(
        "ConvTranspose: the transposed convolution (U-Net decoders, GAN generators, upsampling), step by step "
        "in its two pictures. Its layers stay small enough to read every number.");
}

void draw_transpose_presets(Ui& s) {
    const TransposeSession& t = s.ws.transpose;
    std::vector<std::string> labels;
    int current = -1, hovered = -1;
    for (const TransposePreset& p : transpose_presets()) {
        if (p.key == t.preset_key) current = static_cast<int>(labels.size());
        labels.push_back(p.label);
    }
    const int clicked = button_rows(labels, current, 2, hovered);
    if (clicked >= 0) s.push(intent::TransposePreset{transpose_presets()[static_cast<size_t>(clicked)].key});
    if (const TransposePreset* p = find_transpose_preset(t.preset_key)) {
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("%s", preset_notes(s, p->lesson));
        ImGui::PopStyleColor();
    }
}

void draw_transpose_settings(Ui& s) {
    TransposeEdit e = s.ws.transpose.edit;
    ConvTransposeLayer& L = e.layer;
    ConvTransposeParams& P = L.params;
    bool changed = false;
    int dims = L.dims;
    if (ImGui::RadioButton("ConvTranspose1d", dims == 1)) dims = 1;
    ImGui::SameLine();
    if (ImGui::RadioButton("2d", dims == 2)) dims = 2;
    if (dims != L.dims) L.dims = dims, changed = true;
    same_line_if_fits(toggle_width("bias"));
    changed |= ImGui::Checkbox("bias", &L.bias);
    changed |= int_input("in", L.in_channels, 1, 4096);
    ImGui::SameLine();
    changed |= int_input("out", L.out_channels, 1, 4096);
    same_line_if_fits(ImGui::CalcTextSize("groups").x + field_width() * 1.4f);
    changed |= int_input("groups", P.groups, 0, 4096);
    changed |= per_dim_input("kernel_size", L.kernel_size, L.dims, 1, 64);
    changed |= per_dim_input("stride", P.stride, L.dims, 0, 64);
    changed |= per_dim_input("padding", P.padding, L.dims, 0, 64);
    changed |= per_dim_input("output_padding", P.output_padding, L.dims, 0, 64);
    changed |= per_dim_input("dilation", P.dilation, L.dims, 0, 16);
    ImGui::TextColored(accent_text(), "input x %s", L.dims == 1 ? "(N, C_in, L)" : "(N, C_in, H, W)");
    changed |= int_input("N", e.n, 1, 64);
    if (L.dims == 2) {
        ImGui::SameLine();
        changed |= int_input("H", e.h, 1, 1024);
    }
    ImGui::SameLine();
    changed |= int_input(L.dims == 2 ? "W" : "L", e.w, 1, 4096);
    label("data");
    if (ImGui::RadioButton("pattern", e.data == TransposeData::Pattern))
        e.data = TransposeData::Pattern, changed = true;
    ImGui::SameLine();
    if (ImGui::RadioButton("all ones", e.data == TransposeData::Ones)) e.data = TransposeData::Ones, changed = true;
    ImGui::SameLine();
    help_marker(
        "pattern: the input counts 1..9 along its rows, the kernels are seeded integers -2..2, the bias "
        "halves. all ones: input and kernels 1, bias 0: each output then counts the products that "
        "land on it.");
    if (changed) s.push(intent::EditTranspose{e});
}

void draw_transpose_result(Ui& s) {
    const TransposeSession& t = s.ws.transpose;
    if (!t.error.empty()) {
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        ImGui::PushStyleColor(ImGuiCol_Text, error_text());
        const bool init_error = t.error == conv_transpose_layer_init_error(t.edit.layer);
        const bool app_limit = t.error.rfind("convscope ", 0) == 0;
        ImGui::TextWrapped("%s%s", app_limit ? "" : init_error ? "ValueError: " : "RuntimeError: ", t.error.c_str());
        ImGui::PopStyleColor();
        s.geometry.error_text =
            OutlineRect{0, 0, p0, ImVec2(p0.x + ImGui::GetContentRegionAvail().x, ImGui::GetItemRectMax().y)};
        ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
        ImGui::TextWrapped("Still showing the last valid layer:");
        ImGui::PopStyleColor();
    }
    if (!t.scene) return;
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    const std::string layer = transpose_layer_python_text(sc.edit.layer);
    const bool hide_shape = s.hides(Fact::OutputShape);
    const std::string y_shape = s.shown(Fact::OutputShape, shape_to_string(sc.y.shape));
    const std::string shapes = "x: " + shape_to_string(sc.x.shape) + " -> y: " + y_shape;
    ImGui::PushFont(mono_font());
    ImGui::TextWrapped("%s", layer.c_str());
    text_pieces({"x: " + shape_to_string(sc.x.shape), "->", "y: " + y_shape}, ImGui::GetStyleColorVec4(ImGuiCol_Text));
    ImGui::PopFont();
    s.geometry.written["layer.layer"] = layer;
    s.geometry.written["layer.shapes"] = shapes;
    ImGui::Spacing();
    ImGui::TextColored(accent_text(), "Output size");
    ImGui::PushFont(mono_font());
    for (int axis = g.dims == 2 ? 0 : 1; axis < 2; ++axis) {
        const std::string f =
            hide_shape ? hide_result(conv_transpose_formula_text(g, axis), 3) : conv_transpose_formula_text(g, axis);
        ImGui::TextWrapped("%s", f.c_str());
        s.geometry.written[axis == 0 ? "layer.formula_h" : "layer.formula_w"] = f;
    }
    ImGui::PopFont();
    // Going back: a Conv with the same kernel, stride, padding and dilation maps y's size onto x's.
    ImGui::PushStyleColor(ImGuiCol_Text, dim_text());
    for (int axis = g.dims == 2 ? 0 : 1; axis < 2 && !hide_shape; ++axis) {  // (they name y's size)
        const size_t a = static_cast<size_t>(axis);
        const int64_t back = (g.out[a] + 2 * g.padding[a] - g.dilation[a] * (g.kernel[a] - 1) - 1) / g.stride[a] + 1;
        const std::string line = std::string("Conv") + (g.dims == 2 ? "2d" : "1d") + " with the same settings maps " +
                                 std::to_string(g.out[a]) + " back to floor((" + std::to_string(g.out[a]) + " + 2*" +
                                 std::to_string(g.padding[a]) + " - " + std::to_string(g.dilation[a]) + "*(" +
                                 std::to_string(g.kernel[a]) + "-1) - 1)/" + std::to_string(g.stride[a]) +
                                 ") + 1 = " + std::to_string(back);
        ImGui::TextWrapped("%s", line.c_str());
        s.geometry.written[axis == 0 ? "layer.back_h" : "layer.back_w"] = line;
    }
    ImGui::PopStyleColor();
    const int64_t wcount = shape_numel(sc.w.shape), bcount = g.has_bias ? g.c_out : 0;
    const std::string params = "Parameters: " + s.shown(Fact::Params, count_text(wcount + bcount));
    ImGui::TextColored(accent_text(), "%s", params.c_str());
    s.geometry.written["layer.params"] = params;
    const std::string weights = "weight " + shape_to_string(sc.w.shape) + " = (in, out/groups, " +
                                (g.dims == 2 ? "kH, kW" : "kW") + ") = " + s.shown(Fact::Params, count_text(wcount)) +
                                ";  bias " + (bcount ? s.shown(Fact::Params, count_text(bcount)) : "none");
    ImGui::TextWrapped("%s", weights.c_str());
    s.geometry.written["layer.weights"] = weights;
}

}  // namespace

void draw_layer(Ui& s) {
    next_window_slot(s, Slot::Layer);
    if (begin_panel("Layer")) {
        draw_layer_kind(s);
        if (s.ws.transpose.active) {
            draw_transpose_presets(s);
            ImGui::Separator();
            draw_transpose_settings(s);
            ImGui::Separator();
            draw_transpose_result(s);
            ImGui::End();
            return;
        }
        draw_presets(s);
        ImGui::Separator();
        draw_settings(s);
        ImGui::Separator();
        draw_result(s);
    }
    ImGui::End();
}

}  // namespace convscope::gui
