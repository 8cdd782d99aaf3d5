// The "then ReLU + pool" tab's computation (app/workspace/after_layers): relu then pooling on the full-layer output,
// against core's pool_reference; PyTorch's text when the pooling layer does not fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "after_layers.hpp"
#include "pool.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;

std::shared_ptr<const LayerOutput> batch_preset_output() {
    std::string error;
    for (const Preset& p : builtin_presets("", error))
        if (p.key == "batch_vs_channel") {
            LayerEdit e = p.edit;
            e.input.c = e.layer.in_channels;
            const ConvCheck check = conv_layer_check(e.layer, input_shape(e));
            return compute_layer_output(build_scene(e, *check.geometry, nullptr, 3));
        }
    return nullptr;
}

TEST(AfterLayers, ReluThenMaxPoolIsTheSeedNetsShapeAndValues) {
    const auto out = batch_preset_output();
    ASSERT_TRUE(out);
    const AfterResult a = compute_after(out, AfterSettings{});
    EXPECT_EQ(a.act.shape, (Shape{3, 6, 24, 24}));
    EXPECT_EQ(a.out.shape, (Shape{3, 6, 12, 12}));
    EXPECT_EQ(a.out_h, 12);
    ASSERT_TRUE(a.pool.has_value());
    const Tensor want = pool_reference(*a.pool, relu(Tensor(Shape{3, 6, 24, 24}, out->y.data)));
    EXPECT_EQ(a.out.data, want.data);
    float m = 0;
    for (float v : want.data) m = std::max(m, std::fabs(v));
    EXPECT_EQ(a.abs_max, m);
    for (float v : a.act.data) EXPECT_GE(v, 0.0f);
    EXPECT_TRUE(a.error.empty());
}

TEST(AfterLayers, NoReluNoPoolIsYItself) {
    const auto out = batch_preset_output();
    AfterSettings s;
    s.relu = false;
    s.pool = AfterPool::None;
    const AfterResult a = compute_after(out, s);
    EXPECT_EQ(a.out.data, out->y.data);
    EXPECT_FALSE(a.pool.has_value());
}

TEST(AfterLayers, APoolTooLargeGivesPyTorchsTextAndNoOutput) {
    const auto out = batch_preset_output();
    AfterSettings s;
    s.kernel = 30;
    s.stride = 1;
    const AfterResult a = compute_after(out, s);
    EXPECT_FALSE(a.pool.has_value());
    EXPECT_TRUE(a.out.data.empty());
    EXPECT_NE(a.error.find("Output size is too small"), std::string::npos) << a.error;
}

}  // namespace
