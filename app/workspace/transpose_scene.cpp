#include "transpose_scene.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "conv_transpose_reference.hpp"
#include "scene.hpp"
#include "script_grammar.hpp"

namespace convscope::workspace {

// ---- TransposeEdit ----

const char* transpose_data_name(TransposeData d) { return d == TransposeData::Ones ? "ones" : "pattern"; }

bool TransposeEdit::operator==(const TransposeEdit& o) const {
    const ConvTransposeParams &p = layer.params, &q = o.layer.params;
    return layer.dims == o.layer.dims && layer.in_channels == o.layer.in_channels &&
           layer.out_channels == o.layer.out_channels && layer.kernel_size == o.layer.kernel_size &&
           layer.bias == o.layer.bias && p.stride == q.stride && p.padding == q.padding &&
           p.output_padding == q.output_padding && p.dilation == q.dilation && p.groups == q.groups && n == o.n &&
           h == o.h && w == o.w && data == o.data;
}

TransposeEdit default_transpose_edit() {
    TransposeEdit e;
    e.layer.dims = 2;
    e.layer.in_channels = 1;
    e.layer.out_channels = 1;
    e.layer.kernel_size = {3};
    e.layer.params.stride = {2};
    return e;
}

Shape transpose_input_shape(const TransposeEdit& e) {
    if (e.layer.dims == 1) return {e.n, e.layer.in_channels, e.w};
    return {e.n, e.layer.in_channels, e.h, e.w};
}

std::string transpose_layer_python_text(const ConvTransposeLayer& layer) {
    // nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    //                    bias=True, dilation=1, padding_mode='zeros')
    std::ostringstream s;
    const ConvTransposeParams& p = layer.params;
    s << "nn.ConvTranspose" << layer.dims << "d(" << layer.in_channels << ", " << layer.out_channels
      << ", kernel_size=" << python_arg_text(layer.kernel_size);
    if (!all_equal(p.stride, 1)) s << ", stride=" << python_arg_text(p.stride);
    if (!all_equal(p.padding, 0)) s << ", padding=" << python_arg_text(p.padding);
    if (!all_equal(p.output_padding, 0)) s << ", output_padding=" << python_arg_text(p.output_padding);
    if (p.groups != 1) s << ", groups=" << p.groups;
    if (!layer.bias) s << ", bias=False";
    if (!all_equal(p.dilation, 1)) s << ", dilation=" << python_arg_text(p.dilation);
    s << ")";
    return s.str();
}

TransposeCheck transpose_edit_check(const TransposeEdit& e) {
    TransposeCheck out;
    ConvTransposeCheck c = conv_transpose_layer_check(e.layer, transpose_input_shape(e));
    if (!c.ok()) {
        out.error = c.error;
        return out;
    }
    const ConvTransposeGeometry& g = *c.geometry;
    auto limit = [&](const char* what, int64_t value, int64_t max) {
        if (out.error.empty() && value > max)
            out.error = "convscope draws transposed convolutions with " + std::string(what) + " up to " +
                        std::to_string(max) + " (this one: " + std::to_string(value) +
                        "); `convscope-cli conv-transpose` computes any size";
    };
    limit("a batch", g.n, kTransposeMaxBatch);
    limit("in_channels", g.c_in, kTransposeMaxChannels);
    limit("out_channels", g.c_out, kTransposeMaxChannels);
    limit("an input side", std::max(g.in[0], g.in[1]), kTransposeMaxInput);
    limit("a kernel side", std::max(g.kernel[0], g.kernel[1]), kTransposeMaxKernel);
    limit("an output side", std::max(g.out[0], g.out[1]), kTransposeMaxOutput);
    if (out.error.empty()) out.geometry = g;
    return out;
}

// ---- the scene ----

namespace {

float abs_max(const Tensor& t) {
    float m = 0.0f;
    for (float v : t.data) m = std::max(m, std::fabs(v));
    return m;
}

// A small fixed generator (not std:: distributions: their output differs between library versions).
struct Lcg {
    uint64_t state;
    uint32_t next() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<uint32_t>(state >> 33);
    }
};

}  // namespace

std::shared_ptr<const TransposeScene> build_transpose_scene(const TransposeEdit& e, const ConvTransposeGeometry& g,
                                                            uint64_t id) {
    auto sc = std::make_shared<TransposeScene>();
    sc->id = id;
    sc->edit = e;
    sc->geo = g;
    sc->x = Tensor(transpose_input_shape(e));
    sc->w = Tensor(e.layer.weight_shape());
    const bool ones = e.data == TransposeData::Ones;
    const auto [H, W] = g.in;
    for (int64_t n = 0; n < g.n; ++n)
        for (int64_t c = 0; c < g.c_in; ++c)
            for (int64_t i = 0; i < H; ++i)
                for (int64_t j = 0; j < W; ++j)
                    sc->x[((n * g.c_in + c) * H + i) * W + j] =
                        ones ? 1.0f : static_cast<float>(1 + (j + 2 * i + 3 * c + 4 * n) % 9);
    Lcg rng{0x5eed0000ULL + static_cast<uint64_t>(g.c_in * 131 + g.c_out * 17 + g.kernel[0] * 7 + g.kernel[1])};
    const int64_t kk = g.kernel[0] * g.kernel[1];
    for (int64_t k = 0; k < sc->w.numel(); k += kk) {
        bool any = false;
        for (int64_t t = 0; t < kk; ++t) {
            const float v = ones ? 1.0f : static_cast<float>(static_cast<int>(rng.next() % 5) - 2);
            sc->w[k + t] = v;
            any |= v != 0.0f;
        }
        if (!any) sc->w[k + kk / 2] = 1.0f;  // a kernel of zeros would paint nothing
    }
    if (e.layer.bias) {
        sc->bias = Tensor(Shape{g.c_out});
        constexpr float kBiases[] = {0.5f, -1.0f, 1.0f, -0.5f};
        for (int64_t c = 0; c < g.c_out; ++c) sc->bias[c] = ones ? 0.0f : kBiases[rng.next() % 4];
    }
    sc->y = conv_transpose_reference(g, sc->x, sc->w, sc->bias_ptr());
    sc->contributions = conv_transpose_contribution_counts(g);
    const auto [lo, hi] = std::minmax_element(sc->contributions.begin(), sc->contributions.end());
    sc->min_contributions = *lo;
    sc->max_contributions = *hi;
    sc->x_abs_max = abs_max(sc->x);
    sc->w_abs_max = abs_max(sc->w);
    sc->y_abs_max = abs_max(sc->y);
    return sc;
}

// ---- presets and settings ----

namespace {

TransposeEdit make_edit(int dims, int64_t in, int64_t out, std::vector<int64_t> k, std::vector<int64_t> stride,
                        std::vector<int64_t> padding, std::vector<int64_t> output_padding, int64_t h, int64_t w,
                        TransposeData data = TransposeData::Pattern, bool bias = true, int64_t n = 1) {
    TransposeEdit e;
    e.layer.dims = dims;
    e.layer.in_channels = in;
    e.layer.out_channels = out;
    e.layer.kernel_size = std::move(k);
    e.layer.params.stride = std::move(stride);
    e.layer.params.padding = std::move(padding);
    e.layer.params.output_padding = std::move(output_padding);
    e.layer.bias = bias;
    e.n = n;
    e.h = h;
    e.w = w;
    e.data = data;
    return e;
}

}  // namespace

const std::vector<TransposePreset>& transpose_presets() {
    static const std::vector<TransposePreset> presets = {
        {"upsample", "k=3, stride 2",
         "ConvTranspose2d(1, 1, 3, stride=2) on 4x4 gives 9x9: (4-1)*2 + (3-1) + 1. Each input number paints a 3x3 "
         "patch of the output, 2 cells further on per input step, so neighbouring patches overlap by one row or "
         "column and those cells add two (corners four) products.",
         make_edit(2, 1, 1, {3}, {2}, {0}, {0}, 4, 4)},
        {"checkerboard", "Checkerboard",
         "All ones: input, kernel, no bias. Every output value is then the number of products that land on it: 1, "
         "2 and 4 in a checkerboard, because the kernel size 3 is not divisible by the stride 2. This is where the "
         "checkerboard artifacts of GAN and decoder images come from.",
         make_edit(2, 1, 1, {3}, {2}, {1}, {0}, 4, 4, TransposeData::Ones, false)},
        {"even", "k=2, stride 2",
         "ConvTranspose2d(1, 1, 2, stride=2), a U-Net decoder's upsampler: 4x4 -> 8x8. The kernel size equals the "
         "stride, so the patches tile the output without overlap: every output value is ONE input times ONE weight "
         "(+ bias), no checkerboard.",
         make_edit(2, 1, 1, {2}, {2}, {0}, {0}, 4, 4)},
        {"output_padding", "7 or 8? (out_pad)",
         "Conv2d(k=3, stride=2, padding=1) maps BOTH 7x7 and 8x8 inputs to 4x4, so its transpose cannot know which "
         "size to give back: (4-1)*2 - 2*1 + (3-1) + 1 = 7. output_padding=1 adds the missing row and column at the "
         "bottom and right: 8x8. Only the last input row and column reach them (plus the bias).",
         make_edit(2, 1, 1, {3}, {2}, {1}, {1}, 4, 4)},
        {"full", "Stride 1: full",
         "With stride 1 and no padding, ConvTranspose2d(1, 1, 3) is a 'full' convolution: 4x4 -> 6x6. In the gather "
         "picture it is a plain convolution over the input padded by k-1 = 2 on every side, with the kernel "
         "flipped.",
         make_edit(2, 1, 1, {3}, {1}, {0}, {0}, 4, 4), TransposeOrder::Gather},
        {"channels", "2 -> 3 channels",
         "ConvTranspose2d(2, 3, 3, stride=2, padding=1): the weight is (in, out, kH, kW) = (2, 3, 3, 3), the other "
         "way round from Conv2d's (out, in, kH, kW). Each input channel paints into every output channel with its "
         "own kernel w[ci, co]; the output channel adds both paintings and its bias.",
         make_edit(2, 2, 3, {3}, {2}, {1}, {0}, 3, 3)},
        {"conv1d", "1-D upsampler",
         "ConvTranspose1d(2, 1, 4, stride=2, padding=1): the usual 2x upsampler of audio and sequence decoders. "
         "L_out = (6-1)*2 - 2*1 + (4-1) + 1 = 12: exactly twice the length, because k = 2*stride and padding = "
         "stride/2.",
         make_edit(1, 2, 1, {4}, {2}, {1}, {0}, 1, 6)},
    };
    return presets;
}

const TransposePreset* find_transpose_preset(const std::string& key) {
    for (const TransposePreset& p : transpose_presets())
        if (p.key == key) return &p;
    return nullptr;
}

bool apply_transpose_setting(TransposeEdit& e, const std::string& key, const std::string& value, std::string& error) {
    TransposeEdit t = e;
    ConvTransposeLayer& L = t.layer;
    ConvTransposeParams& P = L.params;
    std::vector<int64_t> list;
    int64_t n = 0;
    bool ok = true;
    if (key == "dims") {
        if (value == "1" || value == "1-D upsampler")
            L.dims = 1;
        else if (value == "2" || value == "ConvTranspose2d")
            L.dims = 2;
        else
            ok = false, error = "dims is 1 or 2";
    } else if (key == "in_channels")
        ok = setting_int(value, n, error) && (L.in_channels = n, true);
    else if (key == "out_channels")
        ok = setting_int(value, n, error) && (L.out_channels = n, true);
    else if (key == "kernel_size" || key == "kernel")
        ok = setting_int_pair(value, list, error) && (L.kernel_size = list, true);
    else if (key == "stride")
        ok = setting_int_pair(value, list, error) && (P.stride = list, true);
    else if (key == "padding")
        ok = setting_int_pair(value, list, error) && (P.padding = list, true);
    else if (key == "output_padding")
        ok = setting_int_pair(value, list, error) && (P.output_padding = list, true);
    else if (key == "dilation")
        ok = setting_int_pair(value, list, error) && (P.dilation = list, true);
    else if (key == "groups")
        ok = setting_int(value, n, error) && (P.groups = n, true);
    else if (key == "bias") {
        if (!script_bool(value, L.bias)) ok = false, error = "bias is true or false";
    } else if (key == "batch" || key == "n")
        ok = setting_int(value, n, error) && (t.n = n, true);
    else if (key == "height" || key == "h")
        ok = setting_int(value, n, error) && (t.h = n, true);
    else if (key == "width" || key == "w" || key == "length" || key == "l")
        ok = setting_int(value, n, error) && (t.w = n, true);
    else if (key == "data") {
        if (value == "pattern")
            t.data = TransposeData::Pattern;
        else if (value == "ones")
            t.data = TransposeData::Ones;
        else
            ok = false, error = "data is pattern or ones";
    } else {
        ok = false;
        error = "unknown setting '" + key +
                "' (known: dims in_channels out_channels kernel_size stride padding output_padding dilation groups "
                "bias batch height width length data)";
    }
    if (ok) e = t;
    return ok;
}

// ---- the session ----

bool TransposeSession::apply(const TransposeEdit& e) {
    edit = e;
    const TransposeCheck c = transpose_edit_check(e);
    if (!c.ok()) {
        error = c.error;
        return false;
    }
    error.clear();
    if (scene && scene->edit == e) return true;
    scene = build_transpose_scene(e, *c.geometry, next_id_++);
    cursor.emplace(scene->geo, scene->x, scene->w, scene->bias_ptr());
    step = 0;
    made_for_ = {-1, -1, -1, -1};
    return true;
}

int64_t TransposeSession::step_count(Granularity g) const { return cursor ? cursor->step_count(order, g) : 0; }

void TransposeSession::refresh(int64_t wanted, Granularity g) {
    if (!cursor) return;
    const int64_t count = step_count(g);
    step = std::clamp<int64_t>(wanted, 0, std::max<int64_t>(count - 1, 0));
    granularity = g;
    const std::array<int64_t, 4> key{static_cast<int64_t>(scene->id), step, static_cast<int64_t>(g),
                                     static_cast<int64_t>(order)};
    if (key == made_for_) return;
    made_for_ = key;
    if (order == TransposeOrder::Scatter) {
        cursor->scatter_state_at(step, g, scatter);
        cursor->scatter_canvas_at(step, g, canvas);
    } else {
        cursor->gather_state_at(step, g, gather);
        canvas = scene->y;
    }
}

int64_t TransposeSession::convert_step(int64_t at, Granularity from, Granularity to) const {
    if (!cursor || step_count(from) == 0) return 0;
    at = std::clamp<int64_t>(at, 0, step_count(from) - 1);
    if (order == TransposeOrder::Scatter) {
        const ScatterState st = cursor->scatter_state_at(at, from);
        return cursor->scatter_step_of(st.n, st.c_in, st.iy, st.ix, to);
    }
    const GatherState st = cursor->gather_state_at(at, from);
    return cursor->gather_step_of(st.n, st.c_out, st.y, st.x, to);
}

std::optional<int64_t> TransposeSession::step_of(int64_t n, int64_t c, int64_t y, int64_t x, Granularity g) const {
    if (!cursor) return std::nullopt;
    const ConvTransposeGeometry& geo = scene->geo;
    const bool scatter_order = order == TransposeOrder::Scatter;
    const int64_t channels = scatter_order ? geo.c_in : geo.c_out;
    const std::array<int64_t, 2> size = scatter_order ? geo.in : geo.out;
    if (n < 0 || n >= geo.n || c < 0 || c >= channels || y < 0 || y >= size[0] || x < 0 || x >= size[1])
        return std::nullopt;
    return scatter_order ? cursor->scatter_step_of(n, c, y, x, g) : cursor->gather_step_of(n, c, y, x, g);
}

int64_t TransposeSession::revealed_position() const {
    if (!cursor || order != TransposeOrder::Gather) return -1;
    const ConvTransposeGeometry& g = scene->geo;
    const int64_t pos = ((gather.n * g.c_out + gather.c_out) * g.out[0] + gather.y) * g.out[1] + gather.x;
    return gather.position_complete() ? pos : pos - 1;
}

std::string TransposeSession::position_text() const {
    if (!cursor) return {};
    const bool one_d = scene->geo.dims == 1;
    auto idx = [one_d](const char* name, int64_t n, int64_t c, int64_t y, int64_t x) {
        std::string t = std::string(name) + "[" + std::to_string(n) + ", " + std::to_string(c) + ", ";
        if (!one_d) t += std::to_string(y) + ", ";
        return t + std::to_string(x) + "]";
    };
    if (order == TransposeOrder::Scatter) {
        const ScatterState& s = scatter;
        std::string t = idx("x", s.n, s.c_in, s.iy, s.ix) + " paints y";
        if (granularity != Granularity::Position) {
            const int64_t co = s.group * scene->geo.c_out_per_group + s.co;
            t +=
                "  channel " + std::to_string(co) + ", MAC " + std::to_string(s.mac + 1) + "/" + std::to_string(s.macs);
        }
        return t;
    }
    const GatherState& s = gather;
    std::string t = idx("y", s.n, s.c_out, s.y, s.x);
    if (granularity != Granularity::Position && !s.channels.empty())
        t += "  input channel " + std::to_string(s.channels[static_cast<size_t>(s.ci)].c_in) + ", tap " +
             std::to_string(s.mac + 1) + "/" + std::to_string(s.macs);
    return t;
}

std::string TransposeSession::caption_text() const {
    if (!cursor) return {};
    const bool one_d = scene->geo.dims == 1;
    auto idx = [one_d](const char* name, int64_t a, int64_t b, int64_t y, int64_t x) {
        std::string t = std::string(name) + "[" + std::to_string(a) + ", " + std::to_string(b) + ", ";
        if (!one_d) t += std::to_string(y) + ", ";
        return t + std::to_string(x) + "]";
    };
    auto v = [](float f) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
        return std::string(buf);
    };
    if (order == TransposeOrder::Scatter) {
        const ScatterState& s = scatter;
        const ScatterTap& tap = s.taps[static_cast<size_t>(s.mac)];
        std::string t = idx("x", s.n, s.c_in, s.iy, s.ix) + " * " + idx("w", s.c_in, s.co, tap.ky, tap.kx) + " = " +
                        v(s.input) + " * " + v(tap.weight) + " = " + v(tap.product) + " -> ";
        if (tap.cropped) return t + "outside y (cropped)";
        return t + idx("y", s.n, tap.co, tap.oy, tap.ox) + ": " + v(tap.before) + " + " + v(tap.product) + " = " +
               v(tap.after);
    }
    const GatherState& s = gather;
    std::string t = idx("y", s.n, s.c_out, s.y, s.x) + " = ";
    if (!s.position_complete()) return t + "...";
    for (size_t i = 0; i < s.channels.size(); ++i) t += (i ? " + " : "") + v(s.channels[i].sum);
    if (scene->geo.has_bias) t += " + (bias " + v(s.bias) + ")";
    return t + " = " + v(s.value);
}

}  // namespace convscope::workspace
