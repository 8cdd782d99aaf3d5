#include "compute.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "conv_fast.hpp"
#include "conv_reference.hpp"

namespace convscope::workspace {

std::shared_ptr<const LayerOutput> compute_layer_output(std::shared_ptr<const Scene> scene,
                                                        const std::atomic<bool>* cancel, std::atomic<float>* progress) {
    // x: (N, C_in, H, W)   w: (C_out, C_in/groups, kH, kW)   y: (N, C_out, H_out, W_out)
    // Each slice is itself a convolution: item n, group grp, output channels [o0, o1) of that group, with
    // groups = 1. The fast path (im2col + BLAS, one thread: this is already a worker) computes it.
    const ConvGeometry& g = scene->geo;
    auto out = std::make_shared<LayerOutput>();
    out->scene = scene;
    out->y = Tensor(g.output_shape());
    const int64_t H = g.in[0], W = g.in[1], Ho = g.out[0], Wo = g.out[1];
    const int64_t kk = g.kernel[0] * g.kernel[1];
    const int64_t macs_per_channel = Ho * Wo * g.macs_per_output();
    const int64_t chunk =
        std::max<int64_t>(1, std::min<int64_t>(g.c_out_per_group, (4 << 20) / std::max<int64_t>(macs_per_channel, 1)));
    const int64_t total = g.n * g.groups * ((g.c_out_per_group + chunk - 1) / chunk);
    int64_t done = 0;

    ConvGeometry sg = g;
    sg.unbatched = false;
    sg.n = 1;
    sg.groups = 1;
    sg.c_in = g.c_in_per_group;
    Tensor xs(Shape{1, g.c_in_per_group, H, W});
    for (int64_t n = 0; n < g.n; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
            const float* src = scene->x.data.data() + (n * g.c_in + grp * g.c_in_per_group) * H * W;
            std::copy(src, src + g.c_in_per_group * H * W, xs.data.begin());
            for (int64_t o0 = 0; o0 < g.c_out_per_group; o0 += chunk) {
                if (cancel && cancel->load()) return nullptr;
                const int64_t count = std::min(chunk, g.c_out_per_group - o0);
                const int64_t first = grp * g.c_out_per_group + o0;  // first real output channel
                sg.c_out = count;
                sg.c_out_per_group = count;
                Tensor ws(Shape{count, g.c_in_per_group, g.kernel[0], g.kernel[1]});
                const float* wsrc = scene->w.data.data() + first * g.c_in_per_group * kk;
                std::copy(wsrc, wsrc + count * g.c_in_per_group * kk, ws.data.begin());
                Tensor bs;
                if (scene->edit.layer.bias) {
                    bs = Tensor(Shape{count});
                    std::copy_n(scene->bias.data.begin() + first, count, bs.data.begin());
                }
                sg.has_bias = scene->edit.layer.bias;
                const Tensor ys = conv_fast(sg, xs, ws, sg.has_bias ? &bs : nullptr, {1});
                std::copy(ys.data.begin(), ys.data.end(), out->y.data.begin() + (n * g.c_out + first) * Ho * Wo);
                ++done;
                if (progress) progress->store(static_cast<float>(done) / static_cast<float>(total));
            }
        }
    }
    for (float v : out->y.data) {
        if (std::isfinite(v))
            out->abs_max = std::max(out->abs_max, std::fabs(v));
        else
            out->has_non_finite = true;
    }
    return out;
}

void ComputeWorker::start(std::shared_ptr<const Scene> scene) {
    scene_id_ = scene->id;
    job_.start(
        [scene = std::move(scene)](const std::atomic<bool>& cancel,
                                   std::atomic<float>& progress) -> std::optional<std::shared_ptr<const LayerOutput>> {
            std::shared_ptr<const LayerOutput> r = compute_layer_output(scene, &cancel, &progress);
            if (!r) return std::nullopt;  // cancelled
            return r;
        });
}

std::shared_ptr<const LayerOutput> ComputeWorker::take_result() {
    std::optional<std::shared_ptr<const LayerOutput>> r = job_.take_result();
    return r ? std::move(*r) : nullptr;
}

int64_t partial_maps_macs(const ConvGeometry& g) {
    return g.c_in_per_group * g.out[0] * g.out[1] * g.kernel[0] * g.kernel[1];
}

std::optional<PartialMaps> compute_partial_maps(const Scene& scene, int64_t n, int64_t c_out,
                                                const std::atomic<bool>* cancel) {
    // Each partial map is a one-channel convolution: input channel c of item n with its kernel slice, no bias.
    const ConvGeometry& g = scene.geo;
    const int64_t H = g.in[0], W = g.in[1], Ho = g.out[0], Wo = g.out[1], kk = g.kernel[0] * g.kernel[1];
    ConvGeometry one = g;
    one.unbatched = false;
    one.n = 1, one.c_in = 1, one.c_out = 1, one.groups = 1, one.c_in_per_group = 1, one.c_out_per_group = 1;
    one.has_bias = false;
    PartialMaps r;
    r.scene_id = scene.id, r.n = n, r.c_out = c_out;
    r.maps = Tensor(Shape{g.c_in_per_group, Ho, Wo});
    const int64_t group = c_out / g.c_out_per_group;
    for (int64_t ci = 0; ci < g.c_in_per_group; ++ci) {
        if (cancel && cancel->load()) return std::nullopt;
        const int64_t c = group * g.c_in_per_group + ci;
        Tensor xs(Shape{1, 1, H, W});
        const float* src = scene.x.data.data() + (n * g.c_in + c) * H * W;
        std::copy(src, src + H * W, xs.data.begin());
        Tensor ws(Shape{1, 1, g.kernel[0], g.kernel[1]});
        const float* wsrc = scene.w.data.data() + (c_out * g.c_in_per_group + ci) * kk;
        std::copy(wsrc, wsrc + kk, ws.data.begin());
        const Tensor y = conv_reference(one, xs, ws, nullptr);
        std::copy(y.data.begin(), y.data.end(), r.maps.data.begin() + ci * Ho * Wo);
    }
    for (float v : r.maps.data) {
        if (std::isfinite(v))
            r.abs_max = std::max(r.abs_max, std::fabs(v));
        else
            r.non_finite = true;
    }
    return r;
}

}  // namespace convscope::workspace
