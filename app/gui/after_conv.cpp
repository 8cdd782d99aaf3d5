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
    a.result = std::move(r);
    ++a.generation;
}

}  // namespace

void after_update(AppState& s) {
    AfterConv& a = s.ws.after;
    if (std::optional<workspace::AfterResult> r = a.job.take_result())
        if (r->source == s.ws.output && r->settings == a.settings) install(a, std::move(*r));
    // Only while the tab is (about to be) on screen: a large layer's maps would cost every layer change otherwise.
    if (!s.view.after_shown && s.view.after_show_request != true) return;
    if (!s.ws.output || (a.result.source == s.ws.output && a.result.settings == a.settings)) return;
    if (a.requested_source == s.ws.output && a.requested_settings == a.settings) return;  // on the job
    a.requested_source = s.ws.output;
    a.requested_settings = a.settings;
    if (s.ws.output->y.numel() <= (int64_t{1} << 22)) {
        a.job.cancel();
        install(a, workspace::compute_after(s.ws.output, a.settings));
        return;
    }
    a.job.start([source = s.ws.output, settings = a.settings](const std::atomic<bool>&, std::atomic<float>&) {
        return std::optional<workspace::AfterResult>(workspace::compute_after(source, settings));
    });
}

}  // namespace convscope::gui
