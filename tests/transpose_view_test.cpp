// Tests of the window's transposed-convolution view model (app/workspace/transpose_scene): the edit, its checks and
// texts, the built-in data, the presets, `transpose_set`, and the session the panels draw (both orders, every
// granularity, conversions between them).
//
// Sections: 1. edits, checks, texts · 2. scenes and presets · 3. settings · 4. the session
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "conv_transpose_reference.hpp"
#include "layer_text.hpp"
#include "script_grammar.hpp"
#include "transpose_scene.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;

ConvTransposeGeometry geometry_of(const TransposeEdit& e) {
    const TransposeCheck c = transpose_edit_check(e);
    EXPECT_TRUE(c.ok()) << c.error;
    return *c.geometry;
}

// ---- 1. edits, checks, texts ----

TEST(TransposeView, DefaultIsStrideTwoUpsamplerOnFourByFour) {
    const TransposeEdit e = default_transpose_edit();
    EXPECT_EQ(transpose_input_shape(e), (Shape{1, 1, 4, 4}));
    const ConvTransposeGeometry g = geometry_of(e);
    // (4-1)*2 - 0 + 1*(3-1) + 0 + 1 = 9
    EXPECT_EQ(g.output_shape_torch(), (Shape{1, 1, 9, 9}));
    EXPECT_EQ(transpose_layer_python_text(e.layer), "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2)");
}

TEST(TransposeView, PythonTextParsesBackToTheSameLayer) {
    for (const TransposePreset& p : transpose_presets()) {
        const std::string text = transpose_layer_python_text(p.edit.layer);
        const LayerSpec spec = parse_layer(text);
        const auto* back = std::get_if<ConvTransposeLayer>(&spec.layer);
        ASSERT_NE(back, nullptr) << text;
        EXPECT_EQ(back->dims, p.edit.layer.dims) << text;
        EXPECT_EQ(back->weight_shape(), p.edit.layer.weight_shape()) << text;
        EXPECT_EQ(back->bias, p.edit.layer.bias) << text;
        const ConvTransposeCheck a = conv_transpose_layer_check(*back, transpose_input_shape(p.edit));
        ASSERT_TRUE(a.ok()) << text << ": " << a.error;
        EXPECT_EQ(a.geometry->output_shape_torch(), geometry_of(p.edit).output_shape_torch()) << text;
    }
    ConvTransposeLayer l = default_transpose_edit().layer;
    l.params.padding = {1, 2};
    l.params.output_padding = {1};
    l.params.dilation = {2};
    l.params.groups = 1;
    l.bias = false;
    EXPECT_EQ(transpose_layer_python_text(l),
              "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=(1, 2), "
              "output_padding=1, bias=False, dilation=2)");
}

TEST(TransposeView, InvalidSettingsGivePyTorchsTextInPyTorchsOrder) {
    TransposeEdit e = default_transpose_edit();
    e.layer.params.output_padding = {2};  // not smaller than stride 2 nor dilation 1
    TransposeCheck c = transpose_edit_check(e);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error.rfind("output padding must be smaller than either stride or dilation", 0), 0u) << c.error;

    e = default_transpose_edit();
    e.layer.params.groups = 2;  // in_channels 1 not divisible: the module's ValueError comes first
    c = transpose_edit_check(e);
    EXPECT_EQ(c.error, "in_channels must be divisible by groups");

    e = default_transpose_edit();
    e.layer.params.stride = {1};
    e.layer.params.padding = {3};  // (4-1)*1 - 6 + 2 + 1 = 0
    c = transpose_edit_check(e);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error.find("Output size is too small"), std::string::npos) << c.error;
}

TEST(TransposeView, TheViewsLimitsAreConvscopesNotPyTorchs) {
    TransposeEdit e = default_transpose_edit();
    e.h = e.w = 40;  // valid for PyTorch; too many to draw
    const TransposeCheck c = transpose_edit_check(e);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error,
              "convscope draws transposed convolutions with an input side up to 16 (this one: 40); "
              "`convscope-cli conv-transpose` computes any size");
    e.h = e.w = 16;
    e.layer.kernel_size = {7};
    e.layer.params.stride = {3};  // (16-1)*3 + 6 + 1 = 52 <= 64
    EXPECT_TRUE(transpose_edit_check(e).ok());
    e.layer.params.stride = {4};  // 67
    EXPECT_NE(transpose_edit_check(e).error.find("an output side up to 64 (this one: 67)"), std::string::npos);
}

// ---- 2. scenes and presets ----

TEST(TransposeView, SceneHoldsTheReferenceOutputOfExactData) {
    for (const TransposePreset& p : transpose_presets()) {
        SCOPED_TRACE(p.key);
        const ConvTransposeGeometry g = geometry_of(p.edit);
        const auto sc = build_transpose_scene(p.edit, g, 7);
        EXPECT_EQ(sc->x.shape, transpose_input_shape(p.edit));
        EXPECT_EQ(sc->w.shape, p.edit.layer.weight_shape());
        EXPECT_EQ(sc->bias.numel(), p.edit.layer.bias ? g.c_out : 0);
        const Tensor y = conv_transpose_reference(g, sc->x, sc->w, sc->bias_ptr());
        ASSERT_EQ(sc->y.shape, y.shape);
        EXPECT_EQ(sc->y.data, y.data);
        // every value is an integer or a half: float32 sums are exact in any order
        for (float v : sc->y.data) EXPECT_EQ(v * 2.0f, std::round(v * 2.0f)) << v;
        // no kernel is all zeros
        const int64_t kk = g.kernel[0] * g.kernel[1];
        for (int64_t k = 0; k < sc->w.numel(); k += kk) {
            bool any = false;
            for (int64_t t = 0; t < kk; ++t) any |= sc->w[k + t] != 0.0f;
            EXPECT_TRUE(any) << "kernel " << k / kk;
        }
    }
}

TEST(TransposeView, OnesDataMakeEveryOutputItsNumberOfProducts) {
    // Analytic: input, kernel all 1 and no bias, one channel -> y = the contribution count.
    const TransposePreset* p = find_transpose_preset("checkerboard");
    ASSERT_NE(p, nullptr);
    const auto sc = build_transpose_scene(p->edit, geometry_of(p->edit), 1);
    ASSERT_EQ(sc->y.numel(), static_cast<int64_t>(sc->contributions.size()));
    for (size_t i = 0; i < sc->contributions.size(); ++i)
        EXPECT_EQ(sc->y.data[i], static_cast<float>(sc->contributions[i]));
    EXPECT_EQ(sc->min_contributions, 1);
    EXPECT_EQ(sc->max_contributions, 4);  // k=3, stride 2: the checkerboard
}

TEST(TransposeView, PresetsShowWhatTheirTextsSay) {
    auto shape = [](const char* key) { return geometry_of(find_transpose_preset(key)->edit).output_shape_torch(); };
    EXPECT_EQ(shape("upsample"), (Shape{1, 1, 9, 9}));
    EXPECT_EQ(shape("output_padding"), (Shape{1, 1, 8, 8}));
    EXPECT_EQ(shape("full"), (Shape{1, 1, 6, 6}));
    EXPECT_EQ(shape("channels"), (Shape{1, 3, 5, 5}));
    EXPECT_EQ(shape("conv1d"), (Shape{1, 1, 12}));
    // k = stride: the patches tile the output, one product per output
    const TransposePreset* even = find_transpose_preset("even");
    const auto sc = build_transpose_scene(even->edit, geometry_of(even->edit), 1);
    EXPECT_EQ(sc->min_contributions, 1);
    EXPECT_EQ(sc->max_contributions, 1);
    // output_padding: without it the same layer gives 7 (why 7 and 8 both map to 4 under Conv2d(3, stride=2,
    // padding=1))
    TransposeEdit e = find_transpose_preset("output_padding")->edit;
    e.layer.params.output_padding = {0};
    EXPECT_EQ(geometry_of(e).output_shape_torch(), (Shape{1, 1, 7, 7}));
    EXPECT_EQ(find_transpose_preset("nope"), nullptr);
}

// ---- 3. settings ----

TEST(TransposeView, SettingsChangeOneArgumentOrNothing) {
    TransposeEdit e = default_transpose_edit();
    std::string error;
    ASSERT_TRUE(apply_transpose_setting(e, "output_padding", "1", error)) << error;
    EXPECT_EQ(e.layer.params.output_padding, (std::vector<int64_t>{1}));
    ASSERT_TRUE(apply_transpose_setting(e, "stride", "2,3", error)) << error;
    EXPECT_EQ(e.layer.params.stride, (std::vector<int64_t>{2, 3}));
    ASSERT_TRUE(apply_transpose_setting(e, "dims", "1", error)) << error;
    EXPECT_EQ(e.layer.dims, 1);
    ASSERT_TRUE(apply_transpose_setting(e, "data", "ones", error)) << error;
    EXPECT_EQ(e.data, TransposeData::Ones);
    ASSERT_TRUE(apply_transpose_setting(e, "length", "7", error)) << error;
    EXPECT_EQ(e.w, 7);
    const TransposeEdit before = e;
    EXPECT_FALSE(apply_transpose_setting(e, "padding_mode", "reflect", error));
    EXPECT_NE(error.find("unknown setting 'padding_mode'"), std::string::npos) << error;
    EXPECT_FALSE(apply_transpose_setting(e, "stride", "2,3,4", error));
    EXPECT_EQ(error, "'2,3,4' is not an integer or a pair like 3,5");
    EXPECT_FALSE(apply_transpose_setting(e, "data", "random", error));
    EXPECT_EQ(error, "data is pattern or ones");
    EXPECT_TRUE(e == before);
}

TEST(TransposeView, ScriptVerbsAreCheckedBeforeAnythingRuns) {
    std::vector<ScriptAction> actions;
    std::string error;
    EXPECT_TRUE(
        parse_script("layer_kind transpose\ntranspose_preset checkerboard\ntranspose_order gather\n"
                     "transpose_set output_padding 1\ntranspose_cursor 0 0 3 4\ncontributions off\n",
                     "t", actions, error))
        << error;
    EXPECT_EQ(actions.size(), 6u);
    EXPECT_FALSE(parse_script("transpose_preset nope\n", "t", actions, error));
    EXPECT_NE(error.find("t:1: unknown transposed-convolution preset 'nope' (known: upsample checkerboard"),
              std::string::npos)
        << error;
    EXPECT_FALSE(parse_script("layer_kind deconv\n", "t", actions, error));
    EXPECT_EQ(error, "t:1: layer_kind takes conv or transpose, got 'deconv'");
    EXPECT_FALSE(parse_script("transpose_set padding_mode reflect\n", "t", actions, error));
    EXPECT_FALSE(parse_script("transpose_cursor 0 a 1\n", "t", actions, error));
}

// ---- 4. the session ----

TEST(TransposeView, SessionKeepsTheLastValidSceneOnAnError) {
    TransposeSession t;
    ASSERT_TRUE(t.apply(default_transpose_edit()));
    const uint64_t id = t.scene->id;
    TransposeEdit bad = default_transpose_edit();
    bad.layer.params.output_padding = {5};
    EXPECT_FALSE(t.apply(bad));
    EXPECT_FALSE(t.error.empty());
    EXPECT_EQ(t.scene->id, id);  // still on screen
    EXPECT_TRUE(t.edit == bad);  // the Layer panel shows what the user typed
    ASSERT_TRUE(t.apply(default_transpose_edit()));
    EXPECT_TRUE(t.error.empty());
    EXPECT_EQ(t.scene->id, id);  // the same layer again: nothing rebuilt
}

TEST(TransposeView, BothOrdersEndOnTheOutputAtEveryGranularity) {
    for (const TransposePreset& p : transpose_presets()) {
        SCOPED_TRACE(p.key);
        TransposeSession t;
        ASSERT_TRUE(t.apply(p.edit));
        for (Granularity gran : {Granularity::Position, Granularity::Channel, Granularity::Mac}) {
            t.order = TransposeOrder::Scatter;
            t.refresh(t.step_count(gran) - 1, gran);
            EXPECT_EQ(t.canvas.data, t.scene->y.data);  // the painted canvas after the last stamp, bit for bit
            t.order = TransposeOrder::Gather;
            const ConvTransposeGeometry& g = t.scene->geo;
            // every output's gather value, at the step that completes it
            for (int64_t n = 0; n < g.n; ++n)
                for (int64_t c = 0; c < g.c_out; ++c)
                    for (int64_t y = 0; y < g.out[0]; ++y)
                        for (int64_t x = 0; x < g.out[1]; ++x) {
                            t.refresh(*t.step_of(n, c, y, x, gran), gran);
                            const int64_t i = ((n * g.c_out + c) * g.out[0] + y) * g.out[1] + x;
                            ASSERT_EQ(t.gather.value, t.scene->y.data[static_cast<size_t>(i)]) << i;
                            EXPECT_EQ(t.revealed_position(), i);
                        }
        }
    }
}

TEST(TransposeView, StepsConvertBetweenGranularitiesToTheSamePlace) {
    TransposeSession t;
    ASSERT_TRUE(t.apply(find_transpose_preset("channels")->edit));
    for (TransposeOrder order : {TransposeOrder::Scatter, TransposeOrder::Gather}) {
        t.order = order;
        const int64_t macs = t.step_count(Granularity::Mac);
        for (int64_t step = 0; step < macs; step += 7) {
            t.refresh(step, Granularity::Mac);
            const std::string where = t.position_text().substr(0, t.position_text().find("  "));
            const int64_t pos = t.convert_step(step, Granularity::Mac, Granularity::Position);
            t.refresh(pos, Granularity::Position);
            EXPECT_EQ(t.position_text(), where) << step;  // same element, its whole stamp / window
            EXPECT_EQ(t.convert_step(pos, Granularity::Position, Granularity::Mac) /
                          (macs / t.step_count(Granularity::Position)),
                      step / (macs / t.step_count(Granularity::Position)));
        }
    }
    t.order = TransposeOrder::Scatter;
    EXPECT_FALSE(t.step_of(0, 2, 0, 0, Granularity::Position));  // 2 input channels only
    EXPECT_TRUE(t.step_of(0, 1, 2, 2, Granularity::Position));
    t.order = TransposeOrder::Gather;
    EXPECT_TRUE(t.step_of(0, 2, 4, 4, Granularity::Position));  // 3 output channels of 5x5
    EXPECT_FALSE(t.step_of(0, 0, 5, 0, Granularity::Position));
}

TEST(TransposeView, PositionTextNamesWhatTheStepIsAbout) {
    TransposeSession t;
    ASSERT_TRUE(t.apply(default_transpose_edit()));
    t.refresh(*t.step_of(0, 0, 1, 2, Granularity::Position), Granularity::Position);
    EXPECT_EQ(t.position_text(), "x[0, 0, 1, 2] paints y");
    t.refresh(0, Granularity::Mac);
    EXPECT_EQ(t.position_text(), "x[0, 0, 0, 0] paints y  channel 0, MAC 1/9");
    t.order = TransposeOrder::Gather;
    t.refresh(*t.step_of(0, 0, 4, 4, Granularity::Position), Granularity::Position);
    EXPECT_EQ(t.position_text(), "y[0, 0, 4, 4]");
    EXPECT_EQ(t.gather.contributing, 4);  // (4, 4) sits between input rows/columns 1 and 2: 2 x 2 real elements
}

TEST(TransposeView, CaptionWritesTheCurrentArithmetic) {
    TransposeSession t;
    ASSERT_TRUE(t.apply(default_transpose_edit()));
    const ConvTransposeGeometry& g = t.scene->geo;
    // scatter, MAC step: x[0, 0, 1, 2] times tap (1, 2) lands on y[0, 0, 1*2 + 1, 2*2 + 2] = y[0, 0, 3, 6]
    const int64_t element = *t.step_of(0, 0, 1, 2, Granularity::Position);  // its stamp's 9 MACs end here
    t.refresh(element * 9 + 5, Granularity::Mac);
    ASSERT_EQ(t.scatter.ky * g.kernel[1] + t.scatter.kx, 5);
    const float x = t.scene->x.data[1 * 4 + 2], w = t.scene->w.data[1 * 3 + 2];
    auto num = [](float f) {
        char b[32];
        std::snprintf(b, sizeof b, "%g", static_cast<double>(f));
        return std::string(b);
    };
    const std::string want_prefix =
        "x[0, 0, 1, 2] * w[0, 0, 1, 2] = " + num(x) + " * " + num(w) + " = " + num(x * w) + " -> y[0, 0, 3, 6]: ";
    EXPECT_EQ(t.caption_text().rfind(want_prefix, 0), 0u) << t.caption_text();
    // gather, at a finished output: channel sums + bias = PyTorch's value (the reference's)
    t.order = TransposeOrder::Gather;
    t.refresh(*t.step_of(0, 0, 4, 4, Granularity::Position), Granularity::Position);
    const float y = t.scene->y.data[4 * 9 + 4];
    const std::string c = t.caption_text();
    EXPECT_EQ(c.rfind("y[0, 0, 4, 4] = ", 0), 0u) << c;
    EXPECT_NE(c.find("(bias " + num(t.scene->bias.data[0]) + ") = " + num(y)), std::string::npos) << c;
}

}  // namespace
