// TF/Keras padding (tf_padding), Keras layer text (keras_layer) and the conventions helpers.
// Expected values: hand-worked from TF's documented rule (out = ceil(in / s), total = max(0, (out-1)*s + (k-1)*d + 1
// - in), the odd pixel after), written out per case.
#include <gtest/gtest.h>

#include "codegen.hpp"
#include "convention_texts.hpp"
#include "conventions.hpp"
#include "error.hpp"
#include "keras_layer.hpp"
#include "onnx_export.hpp"
#include "scene.hpp"
#include "test_util.hpp"
#include "tf_padding.hpp"

using namespace convscope;

namespace {

struct PadCase {
    const char* name;
    TfPadding rule;
    int64_t in, k, s, d;
    int64_t out, begin, end;
};

// in 32, k 3, s 2: out 16, total (15*2 + 3) - 32 = 1 -> 0 before, 1 after (TF's asymmetric 'same').
const PadCase kPadCases[] = {
    {"same_s1_k3", TfPadding::SameUpper, 32, 3, 1, 1, 32, 1, 1},
    {"same_s2_k3_even_in", TfPadding::SameUpper, 32, 3, 2, 1, 16, 0, 1},
    {"same_s2_k3_odd_in", TfPadding::SameUpper, 17, 3, 2, 1, 9, 1, 1},
    {"same_s1_k4", TfPadding::SameUpper, 9, 4, 1, 1, 9, 1, 2},
    {"same_lower_s1_k4", TfPadding::SameLower, 9, 4, 1, 1, 9, 2, 1},
    {"same_s3_k2_no_pad_needed", TfPadding::SameUpper, 9, 2, 3, 1, 3, 0, 0},
    {"same_s3_k5", TfPadding::SameUpper, 10, 5, 3, 1, 4, 2, 2},
    {"same_dilated", TfPadding::SameUpper, 7, 3, 1, 3, 7, 3, 3},
    {"same_stride_beyond_kernel", TfPadding::SameUpper, 5, 1, 3, 1, 2, 0, 0},
    {"valid_k3", TfPadding::Valid, 9, 3, 1, 1, 7, 0, 0},
    {"valid_s2", TfPadding::Valid, 10, 3, 2, 1, 4, 0, 0},
    {"valid_dilated", TfPadding::Valid, 10, 3, 1, 4, 2, 0, 0},
    {"valid_kernel_too_big", TfPadding::Valid, 3, 5, 1, 1, -1, 0, 0},
    {"causal_k3_d2", TfPadding::Causal, 10, 3, 1, 2, 10, 4, 0},
    {"causal_s2", TfPadding::Causal, 7, 2, 2, 1, 4, 1, 0},
};

class TfPadsTest : public ::testing::TestWithParam<PadCase> {};

TEST_P(TfPadsTest, MatchesHandWorkedValues) {
    const PadCase& c = GetParam();
    const TfPads p = tf_pads(c.rule, c.in, c.k, c.s, c.d);
    EXPECT_EQ(p.out, c.out);
    EXPECT_EQ(p.begin, c.begin);
    EXPECT_EQ(p.end, c.end);
    EXPECT_EQ(p.total, p.begin + p.end);
    if (c.out > 0) {
        // The padded input holds exactly `out` windows: (in + total - span) / s + 1 == out.
        const int64_t span = (c.k - 1) * c.d + 1;
        EXPECT_EQ((c.in + p.total - span) / c.s + 1, c.out);
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, TfPadsTest, ::testing::ValuesIn(kPadCases),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(TfPadding, FormulaTextNamesWhereTheOddPixelGoes) {
    EXPECT_EQ(
        tf_padding_formula_text("H_out", TfPadding::SameUpper, 32, 3, 2, 1),
        "H_out = ceil(32 / 2) = 16; pad_total = max(0, (16-1)*2 + (3-1)*1 + 1 - 32) = 1: 0 before, 1 after (the odd "
        "one at the end)");
}

TEST(KerasLayer, Conv2DSameStridedBecomesUnevenExplicitPads) {
    const KerasLayerSpec spec = parse_keras_layer("Conv2D(64, (3, 3), strides=2, padding='same', use_bias=False)");
    const auto& conv = std::get<KerasConv>(spec.layer);
    const ConvLayer l = keras_conv_to_torch(conv, {60, 32, 31, 3});
    EXPECT_EQ(l.params.pads_begin, (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(l.params.pads_end, (std::vector<int64_t>{1, 1}));
    EXPECT_FALSE(l.bias);
    const auto rows = keras_shape_chain({60, 32, 31, 3}, {spec});
    ASSERT_TRUE(rows[0].error.empty()) << rows[0].error;
    EXPECT_EQ(rows[0].output_shape, (Shape{60, 16, 16, 64}));
    EXPECT_EQ(rows[0].kernel, (Shape{3, 3, 3, 64}));
    EXPECT_TRUE(rows[0].bias.empty());
    EXPECT_EQ(rows[0].parameters, 3 * 3 * 3 * 64);
}

// Sizes a user can type that no tensor can have: the chain refuses them with a message instead of computing with a
// product that wrapped around (undefined behaviour in C++).
TEST(KerasLayer, ChainRefusesSizesThatDoNotFitInsteadOfWrapping) {
    auto rows = keras_shape_chain({1, -3, 8}, {parse_keras_layer("Flatten()")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "the input shape (1, -3, 8) has a negative size");
    rows = keras_shape_chain({1, int64_t{1} << 62}, {parse_keras_layer("Flatten()")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error,
              "the input shape (1, 4611686018427387904) is too large: its tensor would hold more than 2^63 bytes");
    // a zero batch: a valid (empty) tensor whose other axes multiply past 2^63
    rows = keras_shape_chain({0, 32, 654344005621907456}, {parse_keras_layer("Flatten()")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error,
              "Flatten: the joined size of (0, 32, 654344005621907456) after the batch axis does not fit in a 64-bit "
              "integer");
    EXPECT_TRUE(rows[0].output_shape.empty());
    rows = keras_shape_chain({2, 8}, {parse_keras_layer("Dense(4611686018427387904)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error,
              "Dense(4611686018427387904) on 8 features: its kernel of 8 x 4611686018427387904 weights is too large "
              "to allocate");
    rows = keras_shape_chain({0, 1, 8}, {parse_keras_layer("Flatten()"), parse_keras_layer("Dense(3)")});
    ASSERT_EQ(rows.size(), 2u);  // the ordinary cases still go through
    EXPECT_EQ(rows[1].error, "");
    EXPECT_EQ(rows[1].output_shape, (Shape{0, 3}));
    EXPECT_EQ(rows[1].parameters, 8 * 3 + 3);
}

TEST(KerasLayer, KeywordsAliasesAndPrefixes) {
    const KerasLayerSpec a = parse_keras_layer("keras.layers.Conv1D(filters=100, kernel_size=2)");
    EXPECT_EQ(a.kind, "Conv1D");
    const KerasLayerSpec b = parse_keras_layer("layers.MaxPool2D(pool_size=(3, 2))");
    EXPECT_EQ(b.kind, "MaxPooling2D");
    const auto& pool = std::get<KerasPool>(b.layer);
    EXPECT_EQ(pool.strides, (std::vector<int64_t>{3, 2}));  // strides=None: the pool size
}

TEST(KerasLayer, RefusalsInConvscopesWords) {
    EXPECT_THROW(parse_keras_layer("Conv2D(8, 3, strides=2, dilation_rate=2)"), ConfigError);
    EXPECT_THROW(parse_keras_layer("Conv2D(8, 3, padding='causal')"), ConfigError);
    EXPECT_THROW(parse_keras_layer("Conv2D(8, 0)"), ConfigError);
    EXPECT_THROW(parse_keras_layer("Conv3D(8, 3)"), FormatError);
    const KerasLayerSpec spec = parse_keras_layer("Conv2D(8, 5)");
    try {
        keras_conv_to_torch(std::get<KerasConv>(spec.layer), {1, 4, 9, 3});
        FAIL() << "a 'valid' kernel larger than the input must be refused";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("the input height is 4"), std::string::npos) << e.what();
    }
}

TEST(KerasLayer, ChainConvention) {
    EXPECT_EQ(chain_convention({"Conv2D(8, 3)", "ReLU()", "Flatten()"}), Convention::Keras);
    EXPECT_EQ(chain_convention({"ReLU()", "Flatten()"}), Convention::PyTorch);
    EXPECT_EQ(chain_convention({"nn.Conv2d(3, 8, 3)", "ReLU()"}), Convention::PyTorch);
    EXPECT_THROW(chain_convention({"Conv2D(8, 3)", "Linear(8, 2)"}), ConfigError);
    EXPECT_THROW(chain_convention({"nn.ReLU()", "keras.layers.ReLU()"}), ConfigError);
}

TEST(Conventions, ShapesIndicesAndParameterFormula) {
    EXPECT_EQ(shape_text_in_convention(Convention::Keras, TensorRole::Weight, {32, 3, 5, 5}), "(5, 5, 3, 32)");
    EXPECT_EQ(shape_text_in_convention(Convention::PyTorch, TensorRole::Weight, {32, 3, 5, 5}), "[32, 3, 5, 5]");
    EXPECT_EQ(shape_text_in_convention(Convention::Keras, TensorRole::Data, {60, 3, 32, 32}), "(60, 32, 32, 3)");
    EXPECT_EQ(shape_text_in_convention(Convention::Keras, TensorRole::Data, {6, 768, 512}), "(6, 512, 768)");
    EXPECT_EQ(shape_text_in_convention(Convention::Keras, TensorRole::Bias, {64}), "(64,)");
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Weight, {5, 1, 2, 0}), "kernel[2, 0, 1, 5]");
    EXPECT_EQ(index_text_in_convention(Convention::PyTorch, TensorRole::Weight, {5, 1, 2, 0}), "weight[5, 1, 2, 0]");
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Data, {0, 2, 3, 7}), "x[0, 3, 7, 2]");
    EXPECT_EQ(axis_names_text(Convention::Keras, TensorRole::Weight, 4), "(kH, kW, in/groups, filters)");
    ConvLayer l;
    l.in_channels = 3;
    l.out_channels = 64;
    l.kernel_size = {3};
    EXPECT_EQ(parameter_formula_text(Convention::Keras, l),
              "params = [(kH*kW*in/groups) + 1]*filters = [(3*3*3/1) + 1]*64 = 1,792");
    EXPECT_EQ(parameter_formula_text(Convention::PyTorch, l), "parameters = 64*3*3*3 weights + 64 bias = 1,792");
}

}  // namespace
namespace {

using convscope::testing::throws_with;
using convscope::workspace::layer_python_text;
using convscope::workspace::layer_texts;
using convscope::workspace::LayerTexts;

ConvGeometry checked(const ConvLayer& l, const Shape& input) {
    const ConvCheck c = conv_layer_check(l, input);
    EXPECT_TRUE(c.ok()) << c.error;
    return *c.geometry;
}

ConvLayer conv2d(int64_t in, int64_t out, int64_t k) {
    ConvLayer l;
    l.in_channels = in;
    l.out_channels = out;
    l.kernel_size = {k};
    return l;
}

TEST(Conventions, SlicesAndOtherNames) {
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Weight, {5, 1, kWholeAxis, kWholeAxis}),
              "kernel[:, :, 1, 5]");
    EXPECT_EQ(index_text_in_convention(Convention::PyTorch, TensorRole::Weight, {5, 1, kWholeAxis, kWholeAxis}, "w"),
              "w[5, 1, :, :]");
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Data, {0, 5, 16, 9}, "y"), "y[0, 16, 9, 5]");
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Data, {1, 4, 7}, "y"), "y[1, 7, 4]");
    EXPECT_EQ(index_text_in_convention(Convention::Keras, TensorRole::Weight, {3, 2, 1}), "kernel[1, 2, 3]");
    EXPECT_EQ(channel_text_in_convention(Convention::Keras, TensorRole::Data, 0, 2), "x[0, ..., 2]");
    EXPECT_EQ(channel_text_in_convention(Convention::PyTorch, TensorRole::Data, 0, 2), "x[0, 2]");
    EXPECT_EQ(channel_text_in_convention(Convention::Keras, TensorRole::Weight, 5, 2), "kernel[..., 2, 5]");
    EXPECT_EQ(channel_text_in_convention(Convention::PyTorch, TensorRole::Weight, 5, 2, "w"), "w[5, 2]");
    EXPECT_EQ(channel_text_in_convention(Convention::Keras, TensorRole::Data, 1, 7, "y"), "y[1, ..., 7]");
}

// Q3 and Q6 of the seed questions: the texts the window writes in each convention.
TEST(Conventions, LayerTextsOfTheKerasSeedQuestions) {
    ConvLayer q3 = conv2d(3, 64, 3);
    q3.params.padding_kind = PaddingKind::Same;
    const LayerTexts k3 = layer_texts(Convention::Keras, q3, checked(q3, {60, 3, 32, 32}));
    EXPECT_EQ(k3.layer,
              "Conv2D(filters=64, kernel_size=(3, 3), strides=(1, 1), padding='same', dilation_rate=(1, 1), groups=1, "
              "use_bias=True)");
    EXPECT_EQ(k3.input_shape, "(60, 32, 32, 3)");
    EXPECT_EQ(k3.output_shape, "(60, 32, 32, 64)");
    EXPECT_EQ(k3.weight_shape, "(3, 3, 3, 64)");
    EXPECT_EQ(k3.bias_shape, "(64,)");
    EXPECT_EQ(k3.weight_axes, "(kH, kW, in/groups, filters)");
    EXPECT_EQ(k3.input_axes, "(N, H, W, C)");
    EXPECT_EQ(k3.weight_name, "kernel");
    EXPECT_EQ(k3.parameter_formula, "params = [(kH*kW*in/groups) + 1]*filters = [(3*3*3/1) + 1]*64 = 1,792");
    const LayerTexts t3 = layer_texts(Convention::PyTorch, q3, checked(q3, {60, 3, 32, 32}));
    EXPECT_EQ(t3.layer, layer_python_text(q3));
    EXPECT_EQ(t3.input_shape, "[60, 3, 32, 32]");
    EXPECT_EQ(t3.weight_shape, "[64, 3, 3, 3]");
    EXPECT_EQ(t3.bias_shape, "[64]");

    const ConvLayer q6 = conv2d(3, 32, 5);
    const LayerTexts k6 = layer_texts(Convention::Keras, q6, checked(q6, {1, 3, 32, 32}));
    EXPECT_EQ(k6.weight_shape, "(5, 5, 3, 32)");
    EXPECT_EQ(k6.output_shape, "(1, 28, 28, 32)");
    EXPECT_NE(k6.layer.find("padding='valid'"), std::string::npos) << k6.layer;
    EXPECT_EQ(layer_texts(Convention::PyTorch, q6, checked(q6, {1, 3, 32, 32})).weight_shape, "[32, 3, 5, 5]");
}

TEST(Conventions, KerasPaddingOfExplicitPads) {
    ConvLayer l = conv2d(4, 6, 3);
    l.params.stride = {2};
    l.params.padding = {1};  // on 17: TF's 'same' also pads 1 and 1
    EXPECT_EQ(keras_padding_of(checked(l, {1, 4, 17, 17})), TfPadding::SameUpper);
    // on 16, TF's 'same' pads 0 before and 1 after: PyTorch's padding=1 needs ZeroPadding2D
    const ConvGeometry g16 = checked(l, {1, 4, 16, 16});
    EXPECT_FALSE(keras_padding_of(g16).has_value());
    EXPECT_EQ(keras_layer_text(l, g16),
              "ZeroPadding2D(padding=((1, 1), (1, 1))) + Conv2D(filters=6, kernel_size=(3, 3), strides=(2, 2), "
              "padding='valid', dilation_rate=(1, 1), groups=1, use_bias=True)");
    ConvLayer causal;
    causal.dims = 1;
    causal.in_channels = 2;
    causal.out_channels = 4;
    causal.kernel_size = {3};
    causal.params.dilation = {2};
    causal.params.pads_begin = {4};
    causal.params.pads_end = {0};
    causal.bias = false;
    const ConvGeometry gc = checked(causal, {1, 2, 10});
    EXPECT_EQ(keras_padding_of(gc), TfPadding::Causal);
    EXPECT_EQ(keras_layer_text(causal, gc),
              "Conv1D(filters=4, kernel_size=(3,), strides=(1,), padding='causal', dilation_rate=(2,), groups=1, "
              "use_bias=False)");
    ConvLayer reflect = conv2d(2, 2, 3);
    reflect.params.padding = {1};
    reflect.params.padding_mode = PaddingMode::Reflect;
    const std::string t = keras_layer_text(reflect, checked(reflect, {1, 2, 8, 8}));
    EXPECT_NE(t.find("padding='same'"), std::string::npos) << t;
    EXPECT_NE(t.find("# padding_mode='reflect': Keras pads with zeros only"), std::string::npos) << t;
}

TEST(CodeForScenes, SameTextAsCodeLayerFromText) {
    CodeLayer from_text = code_layer_from_text("Conv2d(3, 8, 3, stride=2, padding=1)", {2, 3, 17, 17});
    set_code_cursor(from_text, {1, 5, 4, 7});
    ConvLayer l = conv2d(3, 8, 3);
    l.params.stride = {2};
    l.params.padding = {1};
    CodeLayer from_scene = code_layer_from_conv(l, {2, 3, 17, 17}, {1, 5, 4, 7}, from_text.source_text, "s.json");
    EXPECT_EQ(code_pytorch(from_scene), code_pytorch(from_text));
    EXPECT_EQ(code_numpy(from_scene), code_numpy(from_text));
    EXPECT_EQ(code_keras(from_scene), code_keras(from_text));
    EXPECT_EQ(code_scene_source("Q3", "/a/b/q3.json"), "Q3 (scene q3.json)");
    EXPECT_EQ(code_scene_source("", "/a/b/q3.json"), "/a/b/q3.json (scene q3.json)");
    EXPECT_TRUE(throws_with<ConfigError>(
        [&] {
            code_layer_from_conv(l, {2, 4, 17, 17}, {0, 0, 0, 0}, "x", "s.json");
        },
        {"s.json: the scene's layer does not run on its input [2, 4, 17, 17]"}));
    EXPECT_TRUE(throws_with<ConfigError>(
        [&] {
            code_layer_from_conv(l, {2, 3, 17, 17}, {0, 8, 0, 0}, "x", "s.json");
        },
        {"outside the output of shape [2, 8, 9, 9]"}));
}

TEST(CodeForScenes, OnnxSummaryNamesTheNodeAsExported) {
    ConvLayer l = conv2d(4, 6, 3);
    l.params.stride = {2};
    l.params.groups = 2;
    l.params.pads_begin = {0, 0};
    l.params.pads_end = {1, 1};  // TF 'same' on 16: 0 before, 1 after
    const ConvGeometry g = checked(l, {1, 4, 16, 16});
    const std::string t = onnx_export_summary(g, true, "Conv2D(6, 3, strides=2, padding='same', groups=2)");
    for (const char* want : {"opset 13", "input   float32 [1, 4, 16, 16]", "weight  float32 [6, 2, 3, 3]",
                             "bias    float32 [6]", "Conv(input, weight, bias) -> output",
                             "kernel_shape=[3, 3]  strides=[2, 2]  dilations=[1, 1]  pads=[0, 0, 1, 1]  group=2",
                             "output  float32 [1, 6, 8, 8]", "doc_string: Conv2D(6, 3, strides=2"})
        EXPECT_NE(t.find(want), std::string::npos) << want << "\n" << t;
    l.bias = false;
    EXPECT_EQ(onnx_export_summary(checked(l, {1, 4, 16, 16}), false, "").find("bias"), std::string::npos);
    ConvLayer reflect = conv2d(2, 2, 3);
    reflect.params.padding = {1};
    reflect.params.padding_mode = PaddingMode::Reflect;
    EXPECT_TRUE(throws_with<ConfigError>(
        [&] {
            onnx_export_summary(checked(reflect, {1, 2, 8, 8}), true, "");
        },
        {"ONNX's Conv pads with zeros only", "reflect"}));
}

}  // namespace
