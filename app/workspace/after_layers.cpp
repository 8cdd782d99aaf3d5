#include "after_layers.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "pool_fast.hpp"

namespace convscope::workspace {

AfterResult compute_after(std::shared_ptr<const LayerOutput> source, const AfterSettings& settings) {
    AfterResult a;
    a.source = std::move(source);
    a.settings = settings;
    const ConvGeometry& g = a.source->scene->geo;
    // act: y, or relu(y), shaped as PyTorch returns y (the pooling checks read that shape)
    a.act = Tensor(g.output_shape_torch(), a.source->y.data);
    if (settings.relu) a.act = relu(a.act);
    a.out_h = g.out[0];
    a.out_w = g.out[1];
    if (settings.pool == AfterPool::None) {
        a.out = a.act;
    } else {
        PoolParams p;
        p.dims = g.dims;
        p.mode = settings.pool == AfterPool::Max ? PoolMode::Max : PoolMode::Avg;
        p.kernel_size = {settings.kernel};
        p.stride = {settings.stride};
        const PoolCheck check = pool_check(p, a.act.shape);
        if (check.ok()) {
            a.pool = *check.geometry;
            a.out = pool_fast(*a.pool, a.act);
            a.out_h = a.pool->out[0];
            a.out_w = a.pool->out[1];
        } else {
            a.error = check.error;
            a.out = Tensor();
        }
    }
    for (float v : a.out.data) {
        if (std::isfinite(v))
            a.abs_max = std::max(a.abs_max, std::fabs(v));
        else
            a.non_finite = true;
    }
    return a;
}

std::string after_layers_text(const AfterSettings& settings, int dims) {
    std::string t = settings.relu ? "F.relu" : "";
    if (settings.pool != AfterPool::None) {
        if (!t.empty()) t += " -> ";
        t += std::string("nn.") + (settings.pool == AfterPool::Max ? "MaxPool" : "AvgPool") + std::to_string(dims) +
             "d(kernel_size=" + std::to_string(settings.kernel) + ", stride=" + std::to_string(settings.stride) + ")";
    }
    return t.empty() ? "(nothing: y as it is)" : t;
}

}  // namespace convscope::workspace
