#include "samples.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace convscope {

Tensor sample_image(int64_t h, int64_t w) {
    Tensor img({3, h, w});
    for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
            const float fy = (static_cast<float>(y) + 0.5f) / static_cast<float>(h);
            const float fx = (static_cast<float>(x) + 0.5f) / static_cast<float>(w);
            // Sky: blue at the top fading to orange near the horizon.
            float r = 0.25f + 0.7f * fy, g = 0.45f + 0.3f * fy, b = 0.95f - 0.6f * fy;
            // Sun: a yellow disc upper right.
            const float dx = fx - 0.75f, dy = fy - 0.25f;
            if (dx * dx + dy * dy < 0.012f) r = 1.0f, g = 0.9f, b = 0.2f;
            // Hills: a green sine horizon.
            const float horizon = 0.68f + 0.06f * std::sin(fx * 6.2831853f * 1.3f);
            if (fy > horizon) r = 0.15f, g = 0.55f + 0.2f * (fy - horizon), b = 0.15f;
            // House: a red block with a dark window and a brown roof.
            if (fx > 0.18f && fx < 0.45f && fy > 0.52f && fy < 0.85f) r = 0.8f, g = 0.15f, b = 0.1f;
            if (fx > 0.26f && fx < 0.34f && fy > 0.60f && fy < 0.70f) r = 0.1f, g = 0.1f, b = 0.2f;
            const float roof = 0.52f - (0.135f - std::fabs(fx - 0.315f));
            if (fx > 0.16f && fx < 0.47f && fy > roof && fy <= 0.52f) r = 0.45f, g = 0.25f, b = 0.1f;
            img.at({0, y, x}) = r;
            img.at({1, y, x}) = g;
            img.at({2, y, x}) = b;
        }
    }
    return img;
}

Tensor pytorch_default_init(const Shape& shape, int64_t fan_in, uint32_t seed) {
    Tensor t(shape);
    std::mt19937 rng(seed);
    const float bound = fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f;
    std::uniform_real_distribution<float> dist(-bound, bound);
    for (float& v : t.data) v = dist(rng);
    return t;
}

namespace {
// Fills one (kH, kW) kernel slice from a function of normalised coordinates u, v in [-1, 1].
template <class F>
void fill_slice(float* k, int64_t kh, int64_t kw, F f) {
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
            const float v = kh > 1 ? 2.0f * static_cast<float>(y) / static_cast<float>(kh - 1) - 1.0f : 0.0f;
            const float u = kw > 1 ? 2.0f * static_cast<float>(x) / static_cast<float>(kw - 1) - 1.0f : 0.0f;
            k[y * kw + x] = f(u, v);
        }
}
}  // namespace

Tensor designed_weights(const Shape& ws, uint32_t seed, std::vector<std::string>* names) {
    int64_t fan_in = 1;
    for (size_t i = 1; i < ws.size(); ++i) fan_in *= ws[i];
    Tensor w = pytorch_default_init(ws, fan_in, seed);
    const int64_t c_out = ws[0], c_in = ws[1];
    const int64_t kh = ws.size() == 4 ? ws[2] : 1, kw = ws.back();
    const int64_t kk = kh * kw;
    if (names) names->assign(static_cast<size_t>(c_out), "PyTorch default init (seeded)");
    int64_t o = 0;
    auto slice = [&](int64_t oo, int64_t i) { return w.data.data() + (oo * c_in + i) * kk; };
    auto design = [&](const std::string& name, auto per_channel) {
        if (o >= c_out) return;
        for (int64_t i = 0; i < c_in; ++i) per_channel(slice(o, i), i);
        if (names) (*names)[static_cast<size_t>(o)] = name;
        ++o;
    };
    const float norm = 1.0f / static_cast<float>(std::max<int64_t>(1, kk));
    const char* channel_names[] = {"R", "G", "B"};
    // Vertical edges seen in each colour channel alone (for RGB input), then in all channels.
    for (int64_t c = 0; c < std::min<int64_t>(c_in, 3) && c_in <= 3; ++c)
        design(std::string("vertical edge in ") + (c_in == 3 ? channel_names[c] : "channel " + std::to_string(c)),
               [&](float* k, int64_t i) { fill_slice(k, kh, kw, [&](float u, float) { return i == c ? u * 4.0f * norm : 0.0f; }); });
    design("vertical edge (all channels)",
           [&](float* k, int64_t) { fill_slice(k, kh, kw, [&](float u, float) { return u * 4.0f * norm; }); });
    if (kh > 1)
        design("horizontal edge (all channels)",
               [&](float* k, int64_t) { fill_slice(k, kh, kw, [&](float, float v) { return v * 4.0f * norm; }); });
    design("blur (average of the window)",
           [&](float* k, int64_t) { fill_slice(k, kh, kw, [&](float, float) { return norm / static_cast<float>(c_in); }); });
    if (c_in >= 3)
        design("colour opponent: red minus green",
               [&](float* k, int64_t i) {
                   fill_slice(k, kh, kw, [&](float, float) { return i == 0 ? norm * 2.0f : i == 1 ? -norm * 2.0f : 0.0f; });
               });
    design("identity of channel 0 (centre tap)", [&](float* k, int64_t i) {
        fill_slice(k, kh, kw, [&](float, float) { return 0.0f; });
        if (i == 0) k[(kh / 2) * kw + kw / 2] = 1.0f;
    });
    return w;
}

}  // namespace convscope
