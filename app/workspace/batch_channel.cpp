#include "batch_channel.hpp"

#include <algorithm>
#include <sstream>

#include "conv_reference.hpp"
#include "cursor.hpp"

namespace convscope::workspace {

const char* pair_side_name(PairSide side) { return side == PairSide::Batch ? "batch" : "channels"; }

namespace {

std::shared_ptr<const Scene> preset_scene(const std::vector<Preset>& presets, const std::string& key, uint64_t id,
                                          std::string& error) {
    const auto p = std::find_if(presets.begin(), presets.end(), [&](const Preset& q) { return q.key == key; });
    if (p == presets.end()) {
        error = "the preset \"" + key + "\" is missing";
        return nullptr;
    }
    LayerEdit edit = p->edit;
    if (edit.input.c_follows_layer) edit.input.c = edit.layer.in_channels;
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) {
        error = "the preset \"" + key + "\" is not a valid layer: " + check.error;
        return nullptr;
    }
    return build_scene(edit, *check.geometry, nullptr, id);
}

}  // namespace

bool build_batch_channel_pair(const std::vector<Preset>& presets, BatchChannelPair& out, std::string& error) {
    BatchChannelPair pair;
    pair.batch = preset_scene(presets, "batch_vs_channel", 1, error);
    if (!pair.batch) return false;
    pair.channels = preset_scene(presets, "channel_stack", 2, error);
    if (!pair.channels) return false;
    const ConvGeometry& b = pair.batch->geo;
    const ConvGeometry& c = pair.channels->geo;
    if (b.c_in != 1 || c.n != 1 || c.c_in != b.n || b.groups != 1 || c.groups != 1 || b.c_out != c.c_out ||
        b.kernel != c.kernel || b.in != c.in || b.out != c.out) {
        error = "the presets are not one batch of " + std::to_string(b.n) +
                " one-channel images and the same images as " + std::to_string(c.c_in) + " channels of one item";
        return false;
    }
    // (N, 1, H, W) and (1, N, H, W) hold the same floats in the same order: the same images, restacked.
    if (pair.batch->x.data != pair.channels->x.data) {
        error = "the channel stack does not hold the batch's images";
        return false;
    }
    pair.y_batch = conv_reference(b, pair.batch->x, pair.batch->w, pair.batch->bias_ptr());
    pair.y_channels = conv_reference(c, pair.channels->x, pair.channels->w, pair.channels->bias_ptr());
    out = std::move(pair);
    return true;
}

PairCursor clamp_cursor(const BatchChannelPair& pair, PairCursor c) {
    const ConvGeometry& g = pair.batch->geo;
    c.image = std::clamp<int64_t>(c.image, 0, g.n - 1);
    c.c_out = std::clamp<int64_t>(c.c_out, 0, g.c_out - 1);
    c.y = std::clamp<int64_t>(c.y, 0, g.out[0] - 1);
    c.x = std::clamp<int64_t>(c.x, 0, g.out[1] - 1);
    return c;
}

Attribution pair_attribution(const BatchChannelPair& pair, PairSide side, const PairCursor& raw) {
    const PairCursor cur = clamp_cursor(pair, raw);
    const Scene& scene = pair.scene(side);
    const int64_t n = side == PairSide::Batch ? cur.image : 0;
    // The engine's own cursor gives the per-channel sums and the value in the order it adds them.
    const ConvCursor cursor(scene.geo, scene.x, scene.w, scene.bias_ptr());
    const CursorState st =
        cursor.state_at(cursor.step_of(n, cur.c_out, cur.y, cur.x, Granularity::Position), Granularity::Position);
    Attribution a;
    a.output = {n, cur.c_out, cur.y, cur.x};
    a.contribution.assign(static_cast<size_t>(pair.images()), std::nullopt);
    if (side == PairSide::Batch) {
        a.contribution[static_cast<size_t>(n)] = st.channels.at(0).sum;
    } else {
        for (const CursorChannel& ch : st.channels) a.contribution[static_cast<size_t>(ch.c_in)] = ch.sum;
    }
    a.bias = st.bias;
    a.value = st.value;
    return a;
}

std::string attribution_text(const Attribution& a) {
    auto num = [](float v) {
        std::ostringstream o;
        o.setf(std::ios::fixed);
        o.precision(2);
        o << v;
        std::string t = o.str();
        if (t == "-0.00") t = "0.00";
        return t[0] == '-' ? "(" + t + ")" : t;
    };
    std::string text = "y[" + std::to_string(a.output[0]) + ", " + std::to_string(a.output[1]) + ", " +
                       std::to_string(a.output[2]) + ", " + std::to_string(a.output[3]) + "] =";
    std::vector<std::string> unread;
    bool first = true;
    for (size_t k = 0; k < a.contribution.size(); ++k) {
        if (!a.contribution[k]) {
            unread.push_back(std::to_string(k));
            continue;
        }
        text += (first ? " " : " + ") + num(*a.contribution[k]) + " (image " + std::to_string(k) + ")";
        first = false;
    }
    text += " + " + num(a.bias) + " (bias) = " + num(a.value);
    if (!unread.empty()) {
        std::string list;
        for (size_t i = 0; i < unread.size(); ++i)
            list += (i == 0 ? "" : i + 1 == unread.size() ? " and " : ", ") + unread[i];
        text += (unread.size() == 1 ? "; image " : "; images ") + list + (unread.size() == 1 ? " is" : " are") +
                " not read";
    }
    return text;
}

std::vector<std::array<int64_t, 4>> pair_lit_outputs(const BatchChannelPair& pair, PairSide side, int64_t image,
                                                     int64_t iy, int64_t ix) {
    std::vector<std::array<int64_t, 4>> out;
    const ConvGeometry& g = pair.scene(side).geo;
    if (image < 0 || image >= pair.images() || iy < 0 || iy >= g.in[0] || ix < 0 || ix >= g.in[1]) return out;
    // batch: the pixel is channel 0 of item `image`; channels: channel `image` of item 0
    const int64_t n = side == PairSide::Batch ? image : 0;
    const int64_t c = side == PairSide::Batch ? 0 : image;
    for (const InverseHit& h : conv_inverse_map(g, c, iy, ix)) out.push_back({n, h.c_out, h.y, h.x});
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<int64_t> pair_images_read(const BatchChannelPair& pair, PairSide side, int64_t n) {
    if (side == PairSide::Batch) return {n};
    std::vector<int64_t> all;
    for (int64_t k = 0; k < pair.images(); ++k) all.push_back(k);
    return all;
}

std::optional<PairSide> pair_side_of(const BatchChannelPair& pair, const Scene& scene) {
    for (PairSide side : {PairSide::Batch, PairSide::Channels}) {
        const Scene& s = pair.scene(side);
        if (scene.geo.input_shape() == s.geo.input_shape() && scene.geo.c_out == s.geo.c_out &&
            scene.geo.kernel == s.geo.kernel && scene.geo.stride == s.geo.stride &&
            scene.geo.dilation == s.geo.dilation && scene.geo.pad_begin == s.geo.pad_begin &&
            scene.geo.pad_end == s.geo.pad_end && scene.geo.mode == s.geo.mode && scene.geo.groups == s.geo.groups &&
            scene.geo.has_bias == s.geo.has_bias && scene.x.data == s.x.data && scene.w.data == s.w.data &&
            (!scene.geo.has_bias || scene.bias.data == s.bias.data))
            return side;
    }
    return std::nullopt;
}

}  // namespace convscope::workspace
