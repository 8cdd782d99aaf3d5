#include "after_conv.hpp"

#include <algorithm>
#include <cmath>

#include "app_state.hpp"

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

namespace {

void install(AfterConv& a, workspace::AfterResult r) {
    a.source = std::move(r.source);
    a.computed_settings = r.settings;
    a.act = std::move(r.act);
    a.pool = r.pool;
    a.error = std::move(r.error);
    a.out = std::move(r.out);
    a.out_h = r.out_h;
    a.out_w = r.out_w;
    a.abs_max = r.abs_max;
    a.non_finite = r.non_finite;
    const int64_t plane = a.out_h * a.out_w;
    if (a.out.data.empty()) {
        a.atlas.count = 0;
        return;
    }
    const ConvGeometry& g = a.source->scene->geo;
    upload_tiles(a.atlas, static_cast<int>(g.n * g.c_out), static_cast<int>(a.out_w), static_cast<int>(a.out_h), 2,
                 [&](int t, float* texels) {
                     for (int64_t i = 0; i < plane; ++i) {
                         texels[2 * i] = a.out[t * plane + i];
                         texels[2 * i + 1] = 0.0f;
                     }
                 });
}

}  // namespace

void after_update(AppState& s) {
    AfterConv& a = s.after;
    if (std::optional<workspace::AfterResult> r = a.job.take_result())
        if (r->source == s.output && r->settings == a.settings) install(a, std::move(*r));
    // Only while the tab is (about to be) on screen: a large layer's maps would cost every layer change otherwise.
    if (!s.view.after_shown && s.view.after_show_request != true) return;
    if (!s.output || (a.source == s.output && a.computed_settings == a.settings)) return;
    if (a.requested_source == s.output && a.requested_settings == a.settings) return;  // on the job
    a.requested_source = s.output;
    a.requested_settings = a.settings;
    if (s.output->y.numel() <= (int64_t{1} << 22)) {
        a.job.cancel();
        install(a, workspace::compute_after(s.output, a.settings));
        return;
    }
    a.job.start([source = s.output, settings = a.settings](const std::atomic<bool>&, std::atomic<float>&) {
        return std::optional<workspace::AfterResult>(workspace::compute_after(source, settings));
    });
}

}  // namespace convscope::gui
