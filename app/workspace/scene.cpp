// Sections: layer text · input pictures · weights (designed + PyTorch init) · scene building · presets
#include "scene.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

#include "builtin_data.hpp"

namespace convscope::workspace {

std::string python_arg_text(const std::vector<int64_t>& v) {
    if (v.size() == 1) return std::to_string(v[0]);
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + ")";
}

bool all_equal(const std::vector<int64_t>& v, int64_t value) {
    return std::all_of(v.begin(), v.end(), [&](int64_t e) { return e == value; });
}

// ---- layer text ----

Shape input_shape(const LayerEdit& edit) {
    const InputSpec& in = edit.input;
    const int64_t c = in.c_follows_layer ? edit.layer.in_channels : in.c;
    if (edit.layer.dims == 1) return {in.n, c, in.w};
    return {in.n, c, in.h, in.w};
}

std::string layer_python_text(const ConvLayer& layer) {
    std::ostringstream s;
    s << "nn.Conv" << layer.dims << "d(" << layer.in_channels << ", " << layer.out_channels
      << ", kernel_size=" << python_arg_text(layer.kernel_size);
    const ConvParams& p = layer.params;
    if (!all_equal(p.stride, 1)) s << ", stride=" << python_arg_text(p.stride);
    const bool asymmetric = !p.pads_begin.empty() && p.pads_begin != p.pads_end;
    if (!p.pads_begin.empty() && !asymmetric) {
        if (!all_equal(p.pads_begin, 0)) s << ", padding=" << python_arg_text(p.pads_begin);
    } else if (asymmetric)
        s << ", padding=0";
    else if (p.padding_kind == PaddingKind::Same)
        s << ", padding='same'";
    else if (p.padding_kind == PaddingKind::Valid)
        s << ", padding='valid'";
    else if (!all_equal(p.padding, 0))
        s << ", padding=" << python_arg_text(p.padding);
    if (!all_equal(p.dilation, 1)) s << ", dilation=" << python_arg_text(p.dilation);
    if (p.groups != 1) s << ", groups=" << p.groups;
    if (!layer.bias) s << ", bias=False";
    if (p.padding_mode != PaddingMode::Zeros) s << ", padding_mode='" << padding_mode_name(p.padding_mode) << "'";
    s << ")";
    if (asymmetric) {  // ONNX pads: begin/end per dim; F.pad lists the last dim first
        s << " after F.pad(x, (";
        for (size_t i = p.pads_begin.size(); i-- > 0;) s << p.pads_begin[i] << ", " << p.pads_end[i] << (i ? ", " : "");
        s << "))";
    }
    return s.str();
}

// ---- scene building ----

std::shared_ptr<const Scene> build_scene(const LayerEdit& edit, const ConvGeometry& geo, const Scene* previous,
                                         uint64_t id, const SceneData* data) {
    auto s = std::make_shared<Scene>();
    s->id = id;
    s->edit = edit;
    s->geo = geo;
    const bool same_dims = previous && previous->geo.dims == geo.dims;
    if (data && data->x) {
        s->x = *data->x;
        s->image_kind = data->image_kind;
        s->input_source = data->input_source;
    } else if (same_dims && previous->x.shape == geo.input_shape() &&
               (previous->input_source.kind != SceneInput::Kind::Builtin ||
                previous->edit.input.picture == edit.input.picture)) {
        s->x = previous->x;
        s->image_kind = previous->image_kind;
        s->input_source = previous->input_source;
    } else {
        s->x = builtin_input(geo, edit.input.picture, s->image_kind);
        s->input_source = SceneInput{};
        s->input_source.builtin = edit.input.picture;
    }
    const Shape wshape{geo.c_out, geo.c_in_per_group, geo.kernel[0], geo.kernel[1]};
    // three stacked images are not colours: no "red only" filter for them
    const bool colours =
        s->input_source.kind != SceneInput::Kind::Builtin || builtin_input_is_colour(s->input_source.builtin);
    if (data && data->w) {
        s->w = *data->w;
        if (edit.layer.bias) s->bias = data->bias;
        s->weight_source = data->weight_source;
    } else if (!(data && data->builtin_weights) && same_dims && previous->w.shape == wshape) {
        s->w = previous->w;
        s->designed_filters = previous->designed_filters;
        s->filter_names = previous->filter_names;
        s->weight_source = previous->weight_source;
        if (edit.layer.bias && previous->edit.layer.bias) {
            s->bias = previous->bias;
        } else if (edit.layer.bias) {
            s->bias = builtin_weights(geo, true, previous->weight_source.seed, colours).bias;
        }
        // A bias switched on or off changes what a file reference would give back: keep the numbers instead.
        if (edit.layer.bias != previous->edit.layer.bias && s->weight_source.kind != SceneWeights::Kind::Builtin)
            s->weight_source.kind = SceneWeights::Kind::Embedded;
    } else {
        const uint32_t seed = data && data->builtin_weights ? data->weight_source.seed
                              : previous                    ? previous->weight_source.seed
                                                            : kBuiltinWeightSeed;
        BuiltinWeights bw = builtin_weights(geo, edit.layer.bias, seed, colours);
        s->w = std::move(bw.w);
        s->bias = std::move(bw.bias);
        s->designed_filters = bw.designed;
        s->filter_names = std::move(bw.names);
        s->weight_source = SceneWeights{};
        s->weight_source.seed = seed;
    }
    return s;
}

Tensor canonical_4d(const Tensor& t, int dims) {
    if (dims != 1 || t.shape.size() != 3) return t;
    Tensor r = t;
    r.shape = {t.shape[0], t.shape[1], 1, t.shape[2]};
    return r;
}

Tensor torch_form(const Tensor& t, int dims) {
    if (dims != 1 || t.shape.size() != 4) return t;
    Tensor r = t;
    r.shape = {t.shape[0], t.shape[1], t.shape[3]};
    return r;
}

// ---- presets ----

LayerEdit default_edit() {
    LayerEdit e;
    e.layer.dims = 2;
    e.layer.in_channels = 3;
    e.layer.out_channels = 192;
    e.layer.kernel_size = {5};
    e.layer.params.stride = {1};
    e.layer.params.padding = {2};
    e.input = InputSpec{1, 3, 32, 32, true};
    return e;
}

namespace {

LayerEdit conv2d(int64_t in, int64_t out, int64_t k, int64_t pad, InputSpec input) {
    LayerEdit e = default_edit();
    e.layer.in_channels = in;
    e.layer.out_channels = out;
    e.layer.kernel_size = {k};
    e.layer.params.padding = {pad};
    e.input = input;
    return e;
}

std::vector<int64_t> json_ints(const nlohmann::json& j) {
    if (j.is_number_integer()) return {j.get<int64_t>()};
    return j.get<std::vector<int64_t>>();
}

}  // namespace

std::vector<Preset> builtin_presets(const std::string& asset_dir, std::string& error) {
    std::vector<Preset> p;
    p.push_back({"default", "Q1: 3 -> 192 maps",
                 "A 32x32 RGB picture, batch (1, 3, 32, 32), through nn.Conv2d(3, 192, kernel_size=5, stride=1, "
                 "padding=2). The weight is ONE 4-D tensor (192, 3, 5, 5): 192 filters, each a 3x5x5 block that covers "
                 "all 3 input channels. Every output value = sum over the 3 channels of (5x5 window * 5x5 kernel "
                 "slice) + bias. Padding 2 keeps 32x32 (the 28x28 in the question is padding=0).",
                 default_edit(), "", ""});
    p.push_back({"batch_vs_channel", "Q2a: batch of 3",
                 "(3, 1, 28, 28): three grayscale images in the BATCH dimension through nn.Conv2d(1, 6, 5). Each image "
                 "gets its own 6 feature maps: output (3, 6, 24, 24). Batch items are never mixed.",
                 conv2d(1, 6, 5, 0, {3, 1, 28, 28, true, "digits"}), "channel_stack", ""});
    p.push_back({"channel_stack", "Q2b: 3 channels",
                 "(1, 3, 28, 28): the same three images stacked as CHANNELS through nn.Conv2d(3, 6, 5). Every output "
                 "map is a weighted sum over all three images: output (1, 6, 24, 24) and no map belongs to one image.",
                 conv2d(3, 6, 5, 0, {1, 3, 28, 28, true, "digits"}), "batch_vs_channel", ""});
    LayerEdit c1 = default_edit();
    c1.layer.dims = 1;
    c1.layer.in_channels = 8;
    c1.layer.out_channels = 4;
    c1.layer.kernel_size = {2};
    c1.layer.params.padding = {0};
    c1.input = {2, 8, 1, 16, true};
    p.push_back({"conv1d", "Q4: Conv1d (N,C,L)",
                 "A small analogue of Conv1d(768, 100, 2) on BERT output. nn.Conv1d wants (N, C, L): channels = the "
                 "embedding size, L = the sequence length it slides along. BERT gives (N, L, C) = (6, 512, 768); "
                 "transpose(1, 2) makes it (6, 768, 512) and the output (6, 100, 511). Here: (2, 8, 16) -> (2, 4, 15). "
                 "Passing (N, L, C) instead is PyTorch's 'expected input ... to have 768 channels' error.",
                 c1, "", ""});
    p.push_back(
        {"same_16", "Q5: 16 -> 16, p=1",
         "nn.Conv2d(16, 16, 3, padding=1) keeps height, width AND channels: (1, 16, 16, 16) -> (1, 16, 16, 16). "
         "It does not reduce anything; it mixes all 16 channels at every 3x3 neighbourhood. "
         "Parameters: 16*16*3*3 + 16 = 2,320.",
         conv2d(16, 16, 3, 1, {1, 16, 16, 16, true}), "", ""});
    LayerEdit same = conv2d(3, 64, 3, 0, {2, 3, 32, 32, true});
    same.layer.params.padding_kind = PaddingKind::Same;
    p.push_back(
        {"keras_same", "Q3: Keras 'same'",
         "Keras Conv2D(64, (3,3), padding='same') on (N, 32, 32, 3) is nn.Conv2d(3, 64, 3, padding='same') on "
         "(N, 3, 32, 32). Keras stores the kernel as (3, 3, 3, 64) = (kH, kW, in, out); PyTorch as (64, 3, 3, 3) "
         "= (out, in, kH, kW): the same 1,728 numbers, permuted. Parameters: (3*3*3 + 1) * 64 = 1,792.",
         same, "", ""});
    LayerEdit reflect = conv2d(3, 8, 3, 2, {1, 3, 12, 12, true});
    reflect.layer.params.padding_mode = PaddingMode::Reflect;
    p.push_back({"padding_modes", "Padding modes",
                 "padding_mode='reflect' fills the padding ring with mirrored real pixels instead of zeros. Hover a "
                 "hatched padding cell in the Input panel to see which pixel it copies; try replicate and circular.",
                 reflect, "", ""});

    // Presets shipped as scene files open from them (so the scene format is exercised by every start).
    const std::pair<const char*, const char*> files[] = {{"default", "seed1_conv2d_3_192.json"},
                                                         {"batch_vs_channel", "seed2_batch_vs_channel.json"},
                                                         {"conv1d", "seed4_conv1d_text.json"}};
    for (Preset& preset : p)
        for (const auto& [key, file] : files) {
            const std::string path = asset_dir + "/scenes/" + file;
            if (preset.key == key && std::ifstream(path)) preset.scene_file = path;
        }

    // Lesson texts may be edited by a teacher in assets/scenes/presets.json: {"key": {"label":..., "lesson":...}}.
    const std::string path = asset_dir + "/scenes/presets.json";
    std::ifstream f(path);
    if (!f) return p;
    try {
        const nlohmann::json j = nlohmann::json::parse(f);
        for (Preset& preset : p) {
            if (!j.contains(preset.key)) continue;
            const nlohmann::json& e = j.at(preset.key);
            if (e.contains("label")) preset.label = e.at("label").get<std::string>();
            if (e.contains("lesson")) preset.lesson = e.at("lesson").get<std::string>();
            if (e.contains("input")) {
                const std::vector<int64_t> s = json_ints(e.at("input"));
                if (s.size() == 4) preset.edit.input = {s[0], s[1], s[2], s[3], preset.edit.input.c_follows_layer};
            }
        }
    } catch (const std::exception& ex) {
        error = path + ": " + ex.what() + " (the built-in preset texts are used)";
    }
    return p;
}

}  // namespace convscope::workspace
