// Tests of the "Batch vs channel" model (app/workspace/batch_channel): the two sides are the presets' scenes holding
// the same images, the attribution adds up to the engine's value, each image's share is what a convolution with only
// that image's weights gives, and the perturbation demo lights exactly the outputs that read the pixel.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "batch_channel.hpp"
#include "conv_reference.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;

BatchChannelPair make_pair() {
    std::string error;
    const std::vector<Preset> presets = builtin_presets("", error);
    BatchChannelPair pair;
    EXPECT_TRUE(build_batch_channel_pair(presets, pair, error)) << error;
    return pair;
}

TEST(BatchChannel, BothSidesHoldTheSameImagesRestacked) {
    const BatchChannelPair pair = make_pair();
    EXPECT_EQ(pair.batch->x.shape, (Shape{3, 1, 28, 28}));
    EXPECT_EQ(pair.channels->x.shape, (Shape{1, 3, 28, 28}));
    for (int64_t k = 0; k < 3; ++k)
        for (int64_t y = 0; y < 28; y += 3)
            for (int64_t x = 0; x < 28; x += 3)
                EXPECT_EQ(pair.batch->x.at({k, 0, y, x}), pair.channels->x.at({0, k, y, x}));
    EXPECT_EQ(pair.y_batch.shape, (Shape{3, 6, 24, 24}));
    EXPECT_EQ(pair.y_channels.shape, (Shape{1, 6, 24, 24}));
    EXPECT_EQ(pair.images(), 3);
    EXPECT_EQ(pair.filters(), 6);
}

TEST(BatchChannel, RefusesPresetsThatAreNotOnePairOfLayouts) {
    std::string error;
    std::vector<Preset> presets = builtin_presets("", error);
    BatchChannelPair pair;
    std::vector<Preset> missing;
    for (const Preset& p : presets)
        if (p.key != "channel_stack") missing.push_back(p);
    EXPECT_FALSE(build_batch_channel_pair(missing, pair, error));
    EXPECT_EQ(error, "the preset \"channel_stack\" is missing");
    for (Preset& p : presets)
        if (p.key == "channel_stack") p.edit.input.h = 20;  // other images
    EXPECT_FALSE(build_batch_channel_pair(presets, pair, error));
    EXPECT_NE(error.find("not one batch of 3 one-channel images"), std::string::npos) << error;
}

TEST(BatchChannel, AttributionAddsUpToTheEngineValueOnBothSides) {
    const BatchChannelPair pair = make_pair();
    for (const PairCursor c : {PairCursor{1, 2, 10, 12}, PairCursor{0, 0, 0, 0}, PairCursor{2, 5, 23, 23}}) {
        const Attribution b = pair_attribution(pair, PairSide::Batch, c);
        EXPECT_EQ(b.output, (std::array<int64_t, 4>{c.image, c.c_out, c.y, c.x}));
        ASSERT_EQ(b.contribution.size(), 3u);
        for (int64_t k = 0; k < 3; ++k) EXPECT_EQ(b.contribution[static_cast<size_t>(k)].has_value(), k == c.image);
        // the reference adds in the cursor's order: bit for bit
        EXPECT_EQ(*b.contribution[static_cast<size_t>(c.image)] + b.bias, b.value);
        EXPECT_EQ(b.value, pair.y_batch.at({c.image, c.c_out, c.y, c.x}));

        const Attribution ch = pair_attribution(pair, PairSide::Channels, c);
        EXPECT_EQ(ch.output, (std::array<int64_t, 4>{0, c.c_out, c.y, c.x}));
        float sum = 0;
        for (const auto& v : ch.contribution) {
            ASSERT_TRUE(v.has_value());
            sum += *v;
        }
        EXPECT_EQ(sum + ch.bias, ch.value);
        EXPECT_EQ(ch.value, pair.y_channels.at({0, c.c_out, c.y, c.x}));
    }
}

TEST(BatchChannel, EachImagesShareIsTheConvolutionWithOnlyItsWeights) {
    const BatchChannelPair pair = make_pair();
    const Scene& s = *pair.channels;
    const PairCursor c{0, 3, 11, 7};
    const Attribution a = pair_attribution(pair, PairSide::Channels, c);
    for (int64_t k = 0; k < 3; ++k) {
        Tensor w = s.w;
        for (int64_t o = 0; o < w.dim(0); ++o)
            for (int64_t ci = 0; ci < 3; ++ci)
                if (ci != k)
                    for (int64_t ky = 0; ky < 5; ++ky)
                        for (int64_t kx = 0; kx < 5; ++kx) w.at({o, ci, ky, kx}) = 0.0f;
        const Tensor y = conv_reference(s.geo, s.x, w, nullptr);
        EXPECT_NEAR(*a.contribution[static_cast<size_t>(k)], y.at({0, c.c_out, c.y, c.x}), 1e-6) << "image " << k;
    }
}

// Outputs whose 5x5 window (stride 1, no padding) covers input pixel (iy, ix).
std::set<std::array<int64_t, 2>> covering(int64_t iy, int64_t ix) {
    std::set<std::array<int64_t, 2>> out;
    for (int64_t oy = 0; oy < 24; ++oy)
        for (int64_t ox = 0; ox < 24; ++ox)
            if (iy >= oy && iy < oy + 5 && ix >= ox && ix < ox + 5) out.insert({oy, ox});
    return out;
}

TEST(BatchChannel, PerturbationLightsOnlyTheItemInTheBatchAndEveryMapInTheStack) {
    const BatchChannelPair pair = make_pair();
    for (const auto& [k, iy, ix] : {std::array<int64_t, 3>{1, 12, 14}, {0, 0, 0}, {2, 27, 3}}) {
        const auto positions = covering(iy, ix);
        const auto batch = pair_lit_outputs(pair, PairSide::Batch, k, iy, ix);
        const auto chans = pair_lit_outputs(pair, PairSide::Channels, k, iy, ix);
        EXPECT_EQ(batch.size(), 6 * positions.size());
        EXPECT_EQ(chans.size(), 6 * positions.size());
        for (const auto& o : batch) {
            EXPECT_EQ(o[0], k);  // only item k
            EXPECT_TRUE(positions.count({o[2], o[3]}));
        }
        std::set<int64_t> maps;
        for (const auto& o : chans) {
            EXPECT_EQ(o[0], 0);
            EXPECT_TRUE(positions.count({o[2], o[3]}));
            maps.insert(o[1]);
        }
        EXPECT_EQ(maps.size(), 6u);  // every map of the one item

        // Change the pixel: every output that changes is lit; on the batch side no other item changes at all.
        for (PairSide side : {PairSide::Batch, PairSide::Channels}) {
            const Scene& s = pair.scene(side);
            Tensor x = s.x;
            if (side == PairSide::Batch)
                x.at({k, 0, iy, ix}) += 1.0f;
            else
                x.at({0, k, iy, ix}) += 1.0f;
            const Tensor y = conv_reference(s.geo, x, s.w, s.bias_ptr());
            const auto lit = side == PairSide::Batch ? batch : chans;
            const std::set<std::array<int64_t, 4>> lit_set(lit.begin(), lit.end());
            int changed = 0;
            for (int64_t n = 0; n < y.dim(0); ++n)
                for (int64_t o = 0; o < 6; ++o)
                    for (int64_t oy = 0; oy < 24; ++oy)
                        for (int64_t ox = 0; ox < 24; ++ox)
                            if (y.at({n, o, oy, ox}) != pair.y(side).at({n, o, oy, ox})) {
                                ++changed;
                                EXPECT_TRUE(lit_set.count({n, o, oy, ox})) << pair_side_name(side);
                            }
            EXPECT_GT(changed, 0);
        }
    }
    EXPECT_TRUE(pair_lit_outputs(pair, PairSide::Batch, 3, 0, 0).empty());
    EXPECT_TRUE(pair_lit_outputs(pair, PairSide::Channels, 0, 28, 0).empty());
}

TEST(BatchChannel, MapsReadTheirOwnImageOrAll) {
    const BatchChannelPair pair = make_pair();
    EXPECT_EQ(pair_images_read(pair, PairSide::Batch, 2), (std::vector<int64_t>{2}));
    EXPECT_EQ(pair_images_read(pair, PairSide::Channels, 0), (std::vector<int64_t>{0, 1, 2}));
}

TEST(BatchChannel, SceneOnScreenIsRecognisedAsOneSide) {
    const BatchChannelPair pair = make_pair();
    EXPECT_EQ(pair_side_of(pair, *pair.batch), PairSide::Batch);
    EXPECT_EQ(pair_side_of(pair, *pair.channels), PairSide::Channels);
    std::string error;
    const LayerEdit e = default_edit();
    const ConvCheck check = conv_layer_check(e.layer, input_shape(e));
    ASSERT_TRUE(check.ok());
    EXPECT_FALSE(pair_side_of(pair, *build_scene(e, *check.geometry, nullptr, 9)).has_value());
}

TEST(BatchChannel, AttributionTextNamesEveryShareAndWhatIsNotRead) {
    Attribution a;
    a.output = {1, 2, 10, 12};
    a.contribution = {std::nullopt, 0.78f, std::nullopt};
    a.bias = -0.004f;
    a.value = 0.776f;
    EXPECT_EQ(attribution_text(a),
              "y[1, 2, 10, 12] = 0.78 (image 1) + 0.00 (bias) = 0.78; images 0 and 2 are not read");
    a.output = {0, 2, 10, 12};
    a.contribution = {-0.5f, 0.25f, 1.0f};
    a.bias = 0.1f;
    a.value = 0.85f;
    EXPECT_EQ(attribution_text(a),
              "y[0, 2, 10, 12] = (-0.50) (image 0) + 0.25 (image 1) + 1.00 (image 2) + 0.10 (bias) = 0.85");
}

}  // namespace
