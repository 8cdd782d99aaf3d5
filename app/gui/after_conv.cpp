#include "after_conv.hpp"

#include <algorithm>
#include <cmath>

#include "app_state.hpp"
#include "pool_fast.hpp"

namespace convscope::gui {

std::string after_layers_text(const AfterSettings& settings, int dims) {
    std::string t = settings.relu ? "F.relu" : "";
    if (settings.pool != AfterPool::None) {
        if (!t.empty()) t += " -> ";
        t += std::string("nn.") + (settings.pool == AfterPool::Max ? "MaxPool" : "AvgPool") + std::to_string(dims) +
             "d(kernel_size=" + std::to_string(settings.kernel) + ", stride=" + std::to_string(settings.stride) + ")";
    }
    return t.empty() ? "(nothing: y as it is)" : t;
}

void after_update(AppState& s) {
    AfterConv& a = s.after;
    // Only while the tab is (about to be) on screen: a large layer's maps would cost every layer change otherwise.
    if (!s.view.after_shown && s.view.after_show_request != true) return;
    if (!s.output || (a.source == s.output && a.computed_settings == a.settings)) return;
    a.source = s.output;
    a.computed_settings = a.settings;
    const ConvGeometry& g = s.output->scene->geo;
    // act: y, or relu(y), shaped as PyTorch returns y (the pooling checks read that shape)
    a.act = Tensor(g.output_shape_torch(), s.output->y.data);
    if (a.settings.relu) a.act = relu(a.act);
    a.pool.reset();
    a.error.clear();
    a.out_h = g.out[0];
    a.out_w = g.out[1];
    if (a.settings.pool == AfterPool::None) {
        a.out = a.act;
    } else {
        PoolParams p;
        p.dims = g.dims;
        p.mode = a.settings.pool == AfterPool::Max ? PoolMode::Max : PoolMode::Avg;
        p.kernel_size = {a.settings.kernel};
        p.stride = {a.settings.stride};
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
    a.abs_max = 0;
    a.non_finite = false;
    for (float v : a.out.data) {
        if (std::isfinite(v))
            a.abs_max = std::max(a.abs_max, std::fabs(v));
        else
            a.non_finite = true;
    }
    const int64_t plane = a.out_h * a.out_w;
    if (a.out.data.empty()) {
        a.atlas.count = 0;
        return;
    }
    upload_tiles(a.atlas, static_cast<int>(g.n * g.c_out), static_cast<int>(a.out_w), static_cast<int>(a.out_h), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < plane; ++i) {
                         texels[2 * i] = a.out[t * plane + i];
                         texels[2 * i + 1] = 0.0f;
                     }
                 });
}

}  // namespace convscope::gui
