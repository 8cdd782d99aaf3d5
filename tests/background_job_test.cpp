// The workspace's BackgroundJob (loader, layer computation and partial maps run on it) and the Channel sums'
// partial maps it computes.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "background_job.hpp"
#include "compute.hpp"
#include "conv_reference.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;

template <class R>
std::optional<R> wait_for(BackgroundJob<R>& job) {
    for (int i = 0; i < 5000 && !job.has_result() && job.busy(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return job.take_result();
}

TEST(BackgroundJob, ResultIsTakenOnce) {
    BackgroundJob<int> job;
    job.start([](const std::atomic<bool>&, std::atomic<float>& progress) -> std::optional<int> {
        progress.store(1.0f);
        return 42;
    });
    EXPECT_EQ(wait_for(job), 42);
    EXPECT_FALSE(job.take_result().has_value());
    EXPECT_FALSE(job.busy());
}

TEST(BackgroundJob, StartingAnotherCancelsTheOneRunning) {
    BackgroundJob<int> job;
    std::atomic<bool> saw_cancel{false};
    job.start([&](const std::atomic<bool>& cancel, std::atomic<float>&) -> std::optional<int> {
        while (!cancel.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        saw_cancel.store(true);
        return 1;  // returned after cancel: dropped
    });
    job.start([](const std::atomic<bool>&, std::atomic<float>&) -> std::optional<int> { return 2; });
    EXPECT_TRUE(saw_cancel.load());
    EXPECT_EQ(wait_for(job), 2);
}

TEST(BackgroundJob, NothingFromACancelledJob) {
    BackgroundJob<int> job;
    job.start([](const std::atomic<bool>& cancel, std::atomic<float>&) -> std::optional<int> {
        while (!cancel.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return std::nullopt;
    });
    job.cancel();
    EXPECT_FALSE(job.busy());
    EXPECT_FALSE(job.take_result().has_value());
}

TEST(PartialMaps, AddUpToTheOutputMapWithTheBias) {
    LayerEdit e = default_edit();
    e.layer.in_channels = 4;
    e.layer.out_channels = 6;
    e.layer.params.groups = 2;
    e.input = {2, 4, 9, 11, true};
    const ConvCheck check = conv_layer_check(e.layer, input_shape(e));
    ASSERT_TRUE(check.ok()) << check.error;
    const auto scene = build_scene(e, *check.geometry, nullptr, 5);
    const ConvGeometry& g = scene->geo;
    const Tensor y = conv_reference(g, scene->x, scene->w, scene->bias_ptr());
    for (const auto& [n, c] : {std::pair<int64_t, int64_t>{0, 0}, {1, 4}, {1, 5}}) {
        const std::optional<PartialMaps> p = compute_partial_maps(*scene, n, c);
        ASSERT_TRUE(p.has_value());
        EXPECT_EQ(p->maps.shape, (Shape{2, g.out[0], g.out[1]}));  // C_in/groups maps
        EXPECT_EQ(p->scene_id, 5u);
        float m = 0;
        for (int64_t yy = 0; yy < g.out[0]; ++yy)
            for (int64_t xx = 0; xx < g.out[1]; ++xx) {
                const float sum = p->maps.at({0, yy, xx}) + p->maps.at({1, yy, xx}) + scene->bias[c];
                EXPECT_NEAR(sum, y.at({n, c, yy, xx}), 1e-5f);
                m = std::max({m, std::fabs(p->maps.at({0, yy, xx})), std::fabs(p->maps.at({1, yy, xx}))});
            }
        EXPECT_EQ(p->abs_max, m);
        EXPECT_FALSE(p->non_finite);
    }
    std::atomic<bool> cancelled{true};
    EXPECT_FALSE(compute_partial_maps(*scene, 0, 0, &cancelled).has_value());
    EXPECT_EQ(partial_maps_macs(g),
              2 * g.out[0] * g.out[1] * g.kernel[0] * g.kernel[1]);  // C_in/groups maps of Ho x Wo x kk
}

}  // namespace
