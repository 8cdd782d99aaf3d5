// Sections: layer text · input pictures · weights (designed + PyTorch init) · scene building · presets
#include "scene.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>

namespace convscope::gui {

namespace {

constexpr uint32_t kWeightSeed = 20240607;
constexpr float kPi = std::numbers::pi_v<float>;

std::string list_text(const std::vector<int64_t>& v) {
    if (v.size() == 1) return std::to_string(v[0]);
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + ")";
}

bool all_equal(const std::vector<int64_t>& v, int64_t value) {
    return std::all_of(v.begin(), v.end(), [&](int64_t e) { return e == value; });
}

}  // namespace

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
      << ", kernel_size=" << list_text(layer.kernel_size);
    const ConvParams& p = layer.params;
    if (!all_equal(p.stride, 1)) s << ", stride=" << list_text(p.stride);
    const bool asymmetric = !p.pads_begin.empty() && p.pads_begin != p.pads_end;
    if (!p.pads_begin.empty() && !asymmetric) {
        if (!all_equal(p.pads_begin, 0)) s << ", padding=" << list_text(p.pads_begin);
    } else if (asymmetric)
        s << ", padding=0";
    else if (p.padding_kind == PaddingKind::Same)
        s << ", padding='same'";
    else if (p.padding_kind == PaddingKind::Valid)
        s << ", padding='valid'";
    else if (!all_equal(p.padding, 0))
        s << ", padding=" << list_text(p.padding);
    if (!all_equal(p.dilation, 1)) s << ", dilation=" << list_text(p.dilation);
    if (p.groups != 1) s << ", groups=" << p.groups;
    if (!layer.bias) s << ", bias=False";
    if (p.padding_mode != PaddingMode::Zeros) s << ", padding_mode='" << padding_mode_name(p.padding_mode) << "'";
    s << ")";
    if (asymmetric) {  // ONNX pads: begin/end per dim; F.pad lists the last dim first
        s << " after F.pad(x, (";
        for (size_t i = p.pads_begin.size(); i-- > 0;)
            s << p.pads_begin[i] << ", " << p.pads_end[i] << (i ? ", " : "");
        s << "))";
    }
    return s.str();
}

// ---- input pictures ----

namespace {

struct Rgb {
    float r, g, b;
};
Rgb mix(Rgb a, Rgb b, float t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }

// A sunset over the sea behind a mountain: colour regions and edges in every direction. Variant 1 is a day
// scene, 2 a night scene, so batch items are easy to tell apart.
Rgb landscape_pixel(int variant, float u, float v, int64_t row) {
    const float horizon = 0.62f;
    Rgb sky_top{0.10f, 0.12f, 0.38f}, sky_low{1.00f, 0.55f, 0.20f}, sun{1.0f, 0.92f, 0.35f};
    Rgb hill{0.20f, 0.09f, 0.22f}, sea_top{0.08f, 0.20f, 0.42f}, sea_low{0.02f, 0.08f, 0.24f};
    float sun_u = 0.66f, sun_v = 0.54f, sun_r = 0.17f;
    if (variant == 1) {
        sky_top = {0.25f, 0.50f, 0.92f}, sky_low = {0.70f, 0.86f, 1.0f}, sun = {1.0f, 0.98f, 0.75f};
        hill = {0.16f, 0.50f, 0.18f}, sea_top = {0.12f, 0.45f, 0.70f}, sea_low = {0.05f, 0.28f, 0.52f};
        sun_u = 0.80f, sun_v = 0.18f, sun_r = 0.12f;
    } else if (variant == 2) {
        sky_top = {0.01f, 0.02f, 0.08f}, sky_low = {0.10f, 0.12f, 0.30f}, sun = {0.92f, 0.94f, 1.0f};
        hill = {0.03f, 0.03f, 0.06f}, sea_top = {0.04f, 0.06f, 0.16f}, sea_low = {0.01f, 0.02f, 0.07f};
        sun_u = 0.30f, sun_v = 0.22f, sun_r = 0.10f;
    }
    if (v < horizon) {
        const float du = u - sun_u, dv = v - sun_v;
        if (du * du + dv * dv < sun_r * sun_r) return sun;
        if (v > 0.28f + std::fabs(u - 0.24f) * 1.25f) return hill;
        return mix(sky_top, sky_low, v / horizon);
    }
    const float depth = (v - horizon) / (1.0f - horizon);
    const float glitter = (sun_r + 0.02f) * (1.0f - 0.5f * depth);
    if (row % 2 == 0 && std::fabs(u - sun_u) < glitter) return mix(sun, sea_top, 0.35f + 0.3f * depth);
    return mix(sea_top, sea_low, depth);
}

float segment_distance(float px, float py, float ax, float ay, float bx, float by) {
    const float vx = bx - ax, vy = by - ay;
    const float t = std::clamp(((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy), 0.0f, 1.0f);
    const float dx = px - ax - t * vx, dy = py - ay - t * vy;
    return std::sqrt(dx * dx + dy * dy);
}

// Digit-like strokes (MNIST-ish grayscale): 0, 1, 7, +, L, ... by index.
float stroke_pixel(int which, float u, float v, float pixel) {
    float d = 1e9f;
    switch (which % 5) {
        case 0: d = std::fabs(std::sqrt((u - 0.5f) * (u - 0.5f) / 0.09f + (v - 0.5f) * (v - 0.5f) / 0.16f) - 1.0f) * 0.3f; break;
        case 1:
            d = std::min(segment_distance(u, v, 0.52f, 0.14f, 0.52f, 0.86f), segment_distance(u, v, 0.52f, 0.14f, 0.36f, 0.30f));
            break;
        case 2:
            d = std::min(segment_distance(u, v, 0.24f, 0.18f, 0.76f, 0.18f), segment_distance(u, v, 0.76f, 0.18f, 0.42f, 0.86f));
            break;
        case 3:
            d = std::min(segment_distance(u, v, 0.5f, 0.16f, 0.5f, 0.84f), segment_distance(u, v, 0.16f, 0.5f, 0.84f, 0.5f));
            break;
        default:
            d = std::min(segment_distance(u, v, 0.3f, 0.15f, 0.3f, 0.82f), segment_distance(u, v, 0.3f, 0.82f, 0.78f, 0.82f));
            break;
    }
    const float half_width = 0.07f;
    return std::clamp((half_width - d) / pixel + 0.5f, 0.0f, 1.0f);
}

}  // namespace

Tensor make_input(const ConvGeometry& geo, std::string& kind) {
    // x: (N, C_in, H, W)   (1-D: H = 1)
    Tensor x(geo.input_shape());
    const int64_t N = geo.n, C = geo.c_in, H = geo.in[0], W = geo.in[1];
    auto at = [&](int64_t n, int64_t c, int64_t y, int64_t xx) -> float& { return x[((n * C + c) * H + y) * W + xx]; };
    if (geo.dims == 1) {
        kind = "sequences: sines of different frequency per channel";
        for (int64_t n = 0; n < N; ++n)
            for (int64_t c = 0; c < C; ++c)
                for (int64_t l = 0; l < W; ++l) {
                    const float t = static_cast<float>(l) / static_cast<float>(std::max<int64_t>(W, 1));
                    const float f = static_cast<float>(1 + c % 4), ph = 0.9f * static_cast<float>(n) + 0.4f * static_cast<float>(c);
                    at(n, c, 0, l) = std::round(100.0f * std::sin(2.0f * kPi * f * t + ph)) / 100.0f;
                }
        return x;
    }
    for (int64_t n = 0; n < N; ++n)
        for (int64_t y = 0; y < H; ++y)
            for (int64_t xx = 0; xx < W; ++xx) {
                const float u = (static_cast<float>(xx) + 0.5f) / static_cast<float>(W);
                const float v = (static_cast<float>(y) + 0.5f) / static_cast<float>(H);
                if (C == 3) {
                    const Rgb p = landscape_pixel(static_cast<int>(n % 3), u, v, y);
                    at(n, 0, y, xx) = p.r, at(n, 1, y, xx) = p.g, at(n, 2, y, xx) = p.b;
                    continue;
                }
                for (int64_t c = 0; c < C; ++c) {
                    if (C == 1 || (C <= 5 && N == 1)) {
                        at(n, c, y, xx) = stroke_pixel(static_cast<int>(n * C + c), u, v, 1.0f / static_cast<float>(H));
                    } else {
                        const float angle = kPi * static_cast<float>(c) / static_cast<float>(C);
                        const float freq = 1.5f + static_cast<float>(c % 3);
                        const float s = std::sin(2.0f * kPi * freq * (u * std::cos(angle) + v * std::sin(angle)) +
                                                 static_cast<float>(n));
                        at(n, c, y, xx) = std::round(s * 100.0f) / 100.0f;
                    }
                }
            }
    if (C == 3)
        kind = N == 1 ? "a sunset picture (RGB)" : "pictures: sunset, day, night (RGB)";
    else if (C == 1 || (C <= 5 && N == 1))
        kind = "digit-like strokes, one per image";
    else
        kind = "smooth stripe patterns, one orientation per channel";
    return x;
}

// ---- weights ----

namespace {

enum class Spatial { HorizontalEdge, VerticalEdge, Blur, CentreSurround, Rising };

float spatial_value(Spatial s, int64_t ky, int64_t kx, int64_t kH, int64_t kW) {
    const float cy = static_cast<float>(kH - 1) / 2.0f, cx = static_cast<float>(kW - 1) / 2.0f;
    const float fy = static_cast<float>(ky), fx = static_cast<float>(kx);
    switch (s) {
        case Spatial::HorizontalEdge: return fy < cy ? 1.0f : fy > cy ? -1.0f : 0.0f;
        case Spatial::VerticalEdge: return fx < cx ? 1.0f : fx > cx ? -1.0f : 0.0f;
        case Spatial::Blur: return 1.0f;
        case Spatial::CentreSurround: {
            const float r = std::max(std::fabs(fy - cy), std::fabs(fx - cx));
            return r < 0.75f ? 1.0f : r < 1.75f ? -0.5f : 0.0f;
        }
        case Spatial::Rising: return fx < cx ? -1.0f : fx > cx ? 1.0f : 0.0f;
    }
    return 0.0f;
}

struct Design {
    const char* name;
    Spatial spatial;
    std::vector<float> channel;  // empty: every channel 1
    float l1;                    // Σ|w| after normalising
};

std::vector<Design> designs_for(const ConvGeometry& g) {
    const bool spatial = g.kernel[0] * g.kernel[1] > 1;
    std::vector<Design> d;
    if (g.dims == 1) {
        if (spatial) d.push_back({"rising edge", Spatial::Rising, {}, 2.0f});
        d.push_back({"smoothing (average)", Spatial::Blur, {}, 1.0f});
        return d;
    }
    if (g.c_in_per_group == 3) {
        if (spatial) {
            d.push_back({"horizontal edges (brightness)", Spatial::HorizontalEdge, {}, 2.0f});
            d.push_back({"vertical edges (brightness)", Spatial::VerticalEdge, {}, 2.0f});
            d.push_back({"horizontal edges, red only", Spatial::HorizontalEdge, {1, 0, 0}, 2.0f});
            d.push_back({"vertical edges, green only", Spatial::VerticalEdge, {0, 1, 0}, 2.0f});
            d.push_back({"horizontal edges, blue only", Spatial::HorizontalEdge, {0, 0, 1}, 2.0f});
        }
        d.push_back({"blur (average brightness)", Spatial::Blur, {}, 1.0f});
        d.push_back({"red minus green (colour opponent)", Spatial::Blur, {1, -1, 0}, 2.0f});
        d.push_back({"blue minus yellow (colour opponent)", Spatial::Blur, {-0.5f, -0.5f, 1}, 2.0f});
        if (spatial) d.push_back({"centre minus surround (spots)", Spatial::CentreSurround, {}, 2.0f});
        return d;
    }
    if (spatial) {
        d.push_back({"horizontal edges", Spatial::HorizontalEdge, {}, 2.0f});
        d.push_back({"vertical edges", Spatial::VerticalEdge, {}, 2.0f});
    }
    d.push_back({"blur (average)", Spatial::Blur, {}, 1.0f});
    if (spatial) d.push_back({"centre minus surround (spots)", Spatial::CentreSurround, {}, 2.0f});
    return d;
}

}  // namespace

void make_weights(const ConvGeometry& g, bool with_bias, Tensor& w, Tensor& b, int& designed,
                  std::vector<std::string>& names) {
    // w: (C_out, C_in/groups, kH, kW)   b: (C_out)
    const int64_t cig = g.c_in_per_group, kH = g.kernel[0], kW = g.kernel[1];
    w = Tensor(Shape{g.c_out, cig, kH, kW});
    b = with_bias ? Tensor(Shape{g.c_out}) : Tensor();
    const int64_t fan_in = cig * kH * kW;
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    std::mt19937 rng(kWeightSeed);
    std::uniform_real_distribution<float> u(-bound, bound);
    for (float& v : w.data) v = u(rng);
    for (float& v : b.data) v = u(rng);

    const std::vector<Design> designs = designs_for(g);
    designed = static_cast<int>(std::min<int64_t>(g.c_out, static_cast<int64_t>(designs.size())));
    names.clear();
    for (int o = 0; o < designed; ++o) {
        const Design& d = designs[static_cast<size_t>(o)];
        names.emplace_back(d.name);
        float* f = w.data.data() + o * cig * kH * kW;
        float l1 = 0.0f;
        for (int64_t c = 0; c < cig; ++c)
            for (int64_t ky = 0; ky < kH; ++ky)
                for (int64_t kx = 0; kx < kW; ++kx) {
                    const float cw = d.channel.empty() ? 1.0f : d.channel[static_cast<size_t>(c)];
                    const float v = cw * spatial_value(d.spatial, ky, kx, kH, kW);
                    f[(c * kH + ky) * kW + kx] = v;
                    l1 += std::fabs(v);
                }
        const float k = l1 > 0.0f ? d.l1 / l1 : 0.0f;
        for (int64_t i = 0; i < cig * kH * kW; ++i) f[i] = std::round(f[i] * k * 1e4f) / 1e4f;
        if (with_bias) b[o] = 0.0f;
    }
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
    } else if (same_dims && previous->x.shape == geo.input_shape()) {
        s->x = previous->x;
        s->image_kind = previous->image_kind;
        s->input_source = previous->input_source;
    } else {
        s->x = make_input(geo, s->image_kind);
    }
    const Shape wshape{geo.c_out, geo.c_in_per_group, geo.kernel[0], geo.kernel[1]};
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
            Tensor w_unused;
            int d = 0;
            std::vector<std::string> n;
            make_weights(geo, true, w_unused, s->bias, d, n);
        }
        // A bias switched on or off changes what a file reference would give back: keep the numbers instead.
        if (edit.layer.bias != previous->edit.layer.bias && s->weight_source.kind != SceneWeights::Kind::Builtin)
            s->weight_source.kind = SceneWeights::Kind::Embedded;
    } else {
        make_weights(geo, edit.layer.bias, s->w, s->bias, s->designed_filters, s->filter_names);
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
                 conv2d(1, 6, 5, 0, {3, 1, 28, 28, true}), "channel_stack", ""});
    p.push_back({"channel_stack", "Q2b: 3 channels",
                 "(1, 3, 28, 28): the same three images stacked as CHANNELS through nn.Conv2d(3, 6, 5). Every output "
                 "map is a weighted sum over all three images: output (1, 6, 24, 24) and no map belongs to one image.",
                 conv2d(3, 6, 5, 0, {1, 3, 28, 28, true}), "batch_vs_channel", ""});
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
    p.push_back({"same_16", "Q5: 16 -> 16, p=1",
                 "nn.Conv2d(16, 16, 3, padding=1) keeps height, width AND channels: (1, 16, 16, 16) -> (1, 16, 16, 16). "
                 "It does not reduce anything; it mixes all 16 channels at every 3x3 neighbourhood. "
                 "Parameters: 16*16*3*3 + 16 = 2,320.",
                 conv2d(16, 16, 3, 1, {1, 16, 16, 16, true}), "", ""});
    LayerEdit same = conv2d(3, 64, 3, 0, {2, 3, 32, 32, true});
    same.layer.params.padding_kind = PaddingKind::Same;
    p.push_back({"keras_same", "Q3: Keras 'same'",
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

}  // namespace convscope::gui
