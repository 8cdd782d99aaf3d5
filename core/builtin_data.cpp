// Sections: pictures · the named inputs · designed filters · weights
#include "builtin_data.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "error.hpp"

namespace convscope {

namespace {
constexpr float kPi = std::numbers::pi_v<float>;
}  // namespace

// ---- pictures ----

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
        case 0:
            d = std::fabs(std::sqrt((u - 0.5f) * (u - 0.5f) / 0.09f + (v - 0.5f) * (v - 0.5f) / 0.16f) - 1.0f) * 0.3f;
            break;
        case 1:
            d = std::min(segment_distance(u, v, 0.52f, 0.14f, 0.52f, 0.86f),
                         segment_distance(u, v, 0.52f, 0.14f, 0.36f, 0.30f));
            break;
        case 2:
            d = std::min(segment_distance(u, v, 0.24f, 0.18f, 0.76f, 0.18f),
                         segment_distance(u, v, 0.76f, 0.18f, 0.42f, 0.86f));
            break;
        case 3:
            d = std::min(segment_distance(u, v, 0.5f, 0.16f, 0.5f, 0.84f),
                         segment_distance(u, v, 0.16f, 0.5f, 0.84f, 0.5f));
            break;
        default:
            d = std::min(segment_distance(u, v, 0.3f, 0.15f, 0.3f, 0.82f),
                         segment_distance(u, v, 0.3f, 0.82f, 0.78f, 0.82f));
            break;
    }
    const float half_width = 0.07f;
    return std::clamp((half_width - d) / pixel + 0.5f, 0.0f, 1.0f);
}

}  // namespace

// ---- the named inputs ----

const std::vector<std::string>& builtin_input_names() {
    static const std::vector<std::string> names{"generated", "landscapes", "sunset", "digits", "sines", "stripes"};
    return names;
}

bool builtin_input_known(const std::string& name) {
    const auto& n = builtin_input_names();
    return std::find(n.begin(), n.end(), name) != n.end();
}

namespace {

enum class Picture { Landscapes, Digits, Sines, Stripes };

Picture picture_for(const ConvGeometry& geo, const std::string& name) {
    if (name == "landscapes" || name == "sunset") {
        if (geo.c_in != 3 || geo.dims != 2)
            throw ConfigError("the built-in picture '" + name +
                              "' is RGB: it needs a Conv2d input with 3 channels, not " + std::to_string(geo.c_in));
        return Picture::Landscapes;
    }
    if (name == "digits") return Picture::Digits;
    if (name == "sines") return Picture::Sines;
    if (name == "stripes") return Picture::Stripes;
    if (name != "generated") {
        std::string list;
        for (const std::string& n : builtin_input_names()) list += (list.empty() ? "" : ", ") + n;
        throw ConfigError("'" + name + "' is not a built-in picture (expected one of: " + list + ")");
    }
    if (geo.dims == 1) return Picture::Sines;
    if (geo.c_in == 3) return Picture::Landscapes;
    if (geo.c_in == 1 || (geo.c_in <= 5 && geo.n == 1)) return Picture::Digits;
    return Picture::Stripes;
}

std::string count_text(int64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

Tensor builtin_input(const ConvGeometry& geo, const std::string& name, std::string& description) {
    // x: (N, C_in, H, W)   (1-D: H = 1)
    const Picture picture = picture_for(geo, name);
    Tensor x(geo.input_shape());
    const int64_t N = geo.n, C = geo.c_in, H = geo.in[0], W = geo.in[1];
    auto at = [&](int64_t n, int64_t c, int64_t y, int64_t xx) -> float& { return x[((n * C + c) * H + y) * W + xx]; };
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t y = 0; y < H; ++y)
                for (int64_t xx = 0; xx < W; ++xx) {
                    const float u = (static_cast<float>(xx) + 0.5f) / static_cast<float>(W);
                    const float v = (static_cast<float>(y) + 0.5f) / static_cast<float>(H);
                    float& out = at(n, c, y, xx);
                    switch (picture) {
                        case Picture::Landscapes: {
                            const Rgb p = landscape_pixel(static_cast<int>(n % 3), u, v, y);
                            out = c == 0 ? p.r : c == 1 ? p.g : p.b;
                            break;
                        }
                        case Picture::Digits:
                            out = stroke_pixel(static_cast<int>(n * C + c), u, v, 1.0f / static_cast<float>(H));
                            break;
                        case Picture::Sines: {
                            const float t = static_cast<float>(xx) / static_cast<float>(std::max<int64_t>(W, 1));
                            const float f = static_cast<float>(1 + c % 4);
                            const float ph = 0.9f * static_cast<float>(n) + 0.4f * static_cast<float>(c);
                            const float s = H == 1 ? std::sin(2.0f * kPi * f * t + ph)
                                                   : std::sin(2.0f * kPi * f * (t + 0.5f * v) + ph);
                            out = std::round(100.0f * s) / 100.0f;
                            break;
                        }
                        case Picture::Stripes: {
                            const float angle = kPi * static_cast<float>(c) / static_cast<float>(C);
                            const float freq = 1.5f + static_cast<float>(c % 3);
                            const float s = std::sin(2.0f * kPi * freq * (u * std::cos(angle) + v * std::sin(angle)) +
                                                     static_cast<float>(n));
                            out = std::round(s * 100.0f) / 100.0f;
                            break;
                        }
                    }
                }
    switch (picture) {
        case Picture::Landscapes: {
            static const char* const scenes[] = {"sunset", "day", "night"};
            if (N == 1) {
                description = "a sunset picture (RGB)";
                break;
            }
            description = "pictures: ";
            for (int64_t n = 0; n < std::min<int64_t>(N, 3); ++n) description += std::string(n ? ", " : "") + scenes[n];
            if (N > 3) description += ", ... (repeating)";
            description += " (RGB)";
            break;
        }
        case Picture::Digits:
            description = N == 1 && C > 1
                              ? "digit-like strokes, one per channel (" + count_text(C, "channel", "channels") + ")"
                          : C == 1 ? "digit-like strokes, one per image (" + count_text(N, "image", "images") + ")"
                                   : "digit-like strokes, one per image and channel";
            break;
        case Picture::Sines:
            description = geo.dims == 1 ? "sequences: sines of different frequency per channel"
                                        : "waves of different frequency per channel";
            break;
        case Picture::Stripes:
            description = "smooth stripe patterns, one orientation per channel";
            break;
    }
    return x;
}

// ---- designed filters ----

namespace {

enum class Spatial { HorizontalEdge, VerticalEdge, Blur, CentreSurround, Rising };

float spatial_value(Spatial s, int64_t ky, int64_t kx, int64_t kH, int64_t kW) {
    const float cy = static_cast<float>(kH - 1) / 2.0f, cx = static_cast<float>(kW - 1) / 2.0f;
    const float fy = static_cast<float>(ky), fx = static_cast<float>(kx);
    switch (s) {
        case Spatial::HorizontalEdge:
            return fy < cy ? 1.0f : fy > cy ? -1.0f : 0.0f;
        case Spatial::VerticalEdge:
            return fx < cx ? 1.0f : fx > cx ? -1.0f : 0.0f;
        case Spatial::Blur:
            return 1.0f;
        case Spatial::CentreSurround: {
            const float r = std::max(std::fabs(fy - cy), std::fabs(fx - cx));
            return r < 0.75f ? 1.0f : r < 1.75f ? -0.5f : 0.0f;
        }
        case Spatial::Rising:
            return fx < cx ? -1.0f : fx > cx ? 1.0f : 0.0f;
    }
    return 0.0f;
}

struct Design {
    const char* name;
    Spatial spatial;
    std::vector<float> channel;  // empty: every channel 1
    float l1;                    // Σ|w| after normalising
};

std::vector<Design> designs_for(const ConvGeometry& g, bool colour_channels) {
    const bool spatial = g.kernel[0] * g.kernel[1] > 1;
    std::vector<Design> d;
    if (g.dims == 1) {
        if (spatial) d.push_back({"rising edge", Spatial::Rising, {}, 2.0f});
        d.push_back({"smoothing (average)", Spatial::Blur, {}, 1.0f});
        return d;
    }
    if (g.c_in_per_group == 3 && colour_channels) {
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

// ---- weights ----

bool builtin_input_is_colour(const std::string& name) { return name != "digits"; }

BuiltinWeights builtin_weights(const ConvGeometry& g, bool with_bias, uint32_t seed, bool colour_channels) {
    BuiltinWeights r;
    Tensor& w = r.w;
    Tensor& b = r.bias;
    int& designed = r.designed;
    std::vector<std::string>& names = r.names;
    // w: (C_out, C_in/groups, kH, kW)   b: (C_out)
    const int64_t cig = g.c_in_per_group, kH = g.kernel[0], kW = g.kernel[1];
    w = Tensor(Shape{g.c_out, cig, kH, kW});
    b = with_bias ? Tensor(Shape{g.c_out}) : Tensor();
    const int64_t fan_in = cig * kH * kW;
    const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-bound, bound);
    for (float& v : w.data) v = u(rng);
    for (float& v : b.data) v = u(rng);

    const std::vector<Design> designs = designs_for(g, colour_channels);
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
    return r;
}

Tensor pytorch_default_init(const Shape& shape, int64_t fan_in, uint32_t seed) {
    Tensor t(shape);
    std::mt19937 rng(seed);
    const float bound = fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f;
    std::uniform_real_distribution<float> dist(-bound, bound);
    for (float& v : t.data) v = dist(rng);
    return t;
}

}  // namespace convscope
