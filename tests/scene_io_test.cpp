// Tests of core/scene_io: round trips of every input and weights kind, every malformed scene of bad-inputs.md
// item 20 with its message, paths relative to the scene folder (item 21), atomic saving with .bak (item 22) and
// locale independence (item 24).
//
// Sections:
//   1. Helpers: sample scenes, comparison, error checks
//   2. Round trips
//   3. Malformed scenes
//   4. Paths
//   5. Saving
//   6. Locale
#include "scene_io.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include "test_util.hpp"

#include <clocale>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <locale>
#include <string>
#include <vector>

#include "error.hpp"

namespace {

using convscope::FormatError;
using convscope::IoError;
using convscope::SceneFile;
using convscope::SceneInput;
using convscope::SceneWeights;
using convscope::Tensor;

// ---------------------------------------------------------------------------------------------------------------
// 1. Helpers
// ---------------------------------------------------------------------------------------------------------------

using convscope::testing::dir_entries;
using convscope::testing::name_too_long_for_a_temporary;
using convscope::testing::TempDir;

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

Tensor ramp(convscope::Shape shape) {
    Tensor t(std::move(shape));
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i) * 0.1f - 1.0f;
    return t;
}

// A scene with every non-default setting: 13 in channels, kernel 7x1, dilation 2, groups 13, reflect padding...
SceneFile rich_scene() {
    SceneFile s;
    s.title = "Grouped 7\u00d71 conv \u2014 caf\u00e9";
    s.input.kind = SceneInput::Kind::Builtin;
    s.input.builtin = "checkerboard";
    s.input.height = 9;  // a generated input keeps its size
    s.input.width = 7;
    s.layer.dims = 2;
    s.layer.params.dims = 2;
    s.layer.in_channels = 13;
    s.layer.out_channels = 26;
    s.layer.kernel_size = {7, 1};
    s.layer.params.stride = {2, 3};
    s.layer.params.dilation = {2};
    s.layer.params.padding = {3, 0};
    s.layer.params.groups = 13;
    s.layer.params.padding_mode = convscope::PaddingMode::Reflect;
    s.layer.bias = false;
    s.batch = 3;
    s.weights.kind = SceneWeights::Kind::Builtin;
    s.weights.seed = 4294967295u;
    s.cursor_step = 1234567;
    s.granularity = convscope::Granularity::Mac;
    s.view.ui_scale = 1.25f;
    s.view.input_zoom = 0.1f;
    s.view.maps_zoom = 3.5f;
    s.view.reveal_all = true;
    s.view.selected_c_out = 5;
    return s;
}

bool same_tensor(const Tensor& a, const Tensor& b) { return convscope::testing::bits_equal(a, b); }  // NaN bits too

::testing::AssertionResult scenes_equal(const SceneFile& a, const SceneFile& b) {
    auto fail = [](const char* what) { return ::testing::AssertionFailure() << what << " differs"; };
    if (a.version != b.version) return fail("version");
    if (a.title != b.title) return fail("title");
    const SceneInput &ia = a.input, &ib = b.input;
    if (ia.kind != ib.kind || ia.builtin != ib.builtin || ia.path != ib.path || ia.indices != ib.indices ||
        ia.greyscale != ib.greyscale || ia.center_crop != ib.center_crop || ia.height != ib.height ||
        ia.width != ib.width || !same_tensor(ia.tensor, ib.tensor))
        return fail("input");
    const convscope::ConvLayer &la = a.layer, &lb = b.layer;
    if (la.dims != lb.dims || la.in_channels != lb.in_channels || la.out_channels != lb.out_channels ||
        la.kernel_size != lb.kernel_size || la.bias != lb.bias || la.params.stride != lb.params.stride ||
        la.params.dilation != lb.params.dilation || la.params.padding_kind != lb.params.padding_kind ||
        la.params.padding != lb.params.padding || la.params.pads_begin != lb.params.pads_begin ||
        la.params.pads_end != lb.params.pads_end || la.params.groups != lb.params.groups ||
        la.params.padding_mode != lb.params.padding_mode)
        return fail("layer");
    if (a.batch != b.batch) return fail("batch");
    const SceneWeights &wa = a.weights, &wb = b.weights;
    if (wa.kind != wb.kind || wa.seed != wb.seed || !same_tensor(wa.weight, wb.weight) ||
        !same_tensor(wa.bias, wb.bias) || wa.weight_path != wb.weight_path || wa.bias_path != wb.bias_path ||
        wa.layout != wb.layout || wa.onnx_path != wb.onnx_path || wa.onnx_node != wb.onnx_node)
        return fail("weights");
    if (a.cursor_step != b.cursor_step || a.granularity != b.granularity) return fail("cursor");
    if (a.view.ui_scale != b.view.ui_scale || a.view.input_zoom != b.view.input_zoom ||
        a.view.maps_zoom != b.view.maps_zoom || a.view.filters_zoom != b.view.filters_zoom ||
        a.view.reveal_all != b.view.reveal_all || a.view.selected_c_out != b.view.selected_c_out)
        return fail("view");
    return ::testing::AssertionSuccess();
}

using convscope::testing::throws_with;

// A minimal valid scene text with `extra` spliced into the top-level object.
std::string scene_text(const std::string& layer_fields = "", const std::string& extra = "") {
    return "{\n  \"version\": 1,\n  \"input\": {\"kind\": \"builtin\", \"name\": \"sunset\"},\n"
           "  \"layer\": {\"dims\": 2, \"in_channels\": 3, \"out_channels\": 4, \"kernel_size\": [3]" +
           layer_fields + "},\n  \"weights\": {\"kind\": \"builtin\"}" + extra + "\n}\n";
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Round trips
// ---------------------------------------------------------------------------------------------------------------

TEST(SceneRoundTrip, RichBuiltinScene) {
    const SceneFile s = rich_scene();
    const SceneFile back = convscope::scene_from_json(convscope::scene_to_json(s, "/scenes"), "s.json", "/scenes");
    EXPECT_TRUE(scenes_equal(s, back));
}

TEST(SceneRoundTrip, EmbeddedTensorsKeepEveryBitIncludingNaN) {
    SceneFile s;
    s.input.kind = SceneInput::Kind::Embedded;
    s.input.tensor = ramp({1, 2, 3, 5});
    s.input.tensor.data[7] = std::numeric_limits<float>::quiet_NaN();
    s.input.tensor.data[8] = -0.0f;
    s.input.tensor.data[9] = std::numeric_limits<float>::infinity();
    s.layer.in_channels = 2;
    s.weights.kind = SceneWeights::Kind::Embedded;
    s.weights.weight = ramp({4, 2, 3, 3});
    s.weights.bias = ramp({4});
    const std::string text = convscope::scene_to_json(s, "");
    EXPECT_NE(text.find("\"dtype\": \"float32\""), std::string::npos);
    EXPECT_TRUE(scenes_equal(s, convscope::scene_from_json(text, "s.json", "")));
    s.weights.bias = Tensor();  // no bias
    EXPECT_TRUE(scenes_equal(s, convscope::scene_from_json(convscope::scene_to_json(s, ""), "s.json", "")));
}

TEST(SceneRoundTrip, SameAndValidPaddingAndOnePaddingMode) {
    for (auto kind : {convscope::PaddingKind::Same, convscope::PaddingKind::Valid}) {
        SceneFile s;
        s.layer.params.padding_kind = kind;
        s.layer.params.padding = {0};
        s.layer.params.padding_mode = convscope::PaddingMode::Circular;
        s.layer.params.pads_begin = {1, 0};
        s.layer.params.pads_end = {2, 1};
        EXPECT_TRUE(scenes_equal(s, convscope::scene_from_json(convscope::scene_to_json(s, ""), "s.json", "")));
    }
}

TEST(SceneRoundTrip, SaveThenLoadGivesTheSameScene) {
    TempDir dir;
    SceneFile s = rich_scene();
    s.input = SceneInput{};  // fields of other kinds are not saved
    s.input.kind = SceneInput::Kind::Image;
    s.input.path = dir.file("pics/cat.png");
    s.input.center_crop = true;
    s.input.height = 28;
    s.input.width = 21;
    s.weights = SceneWeights{};
    s.weights.kind = SceneWeights::Kind::Npy;
    s.weights.weight_path = dir.file("w.npy");
    s.weights.bias_path = "/elsewhere/b.npy";
    s.weights.layout = convscope::WeightLayout::Keras;
    convscope::scene_save(dir.file("scene.json"), s);
    EXPECT_TRUE(scenes_equal(s, convscope::scene_load(dir.file("scene.json"))));
}

TEST(SceneRoundTrip, CifarAndOnnxKinds) {
    SceneFile s;
    s.input.kind = SceneInput::Kind::Cifar;
    s.input.path = "/data/cifar-10-binary.tar.gz";
    s.input.indices = {0, 7, 9999};
    s.input.greyscale = true;
    s.weights.kind = SceneWeights::Kind::Onnx;
    s.weights.onnx_path = "/models/net.onnx";
    s.weights.onnx_node = "conv1";
    EXPECT_TRUE(scenes_equal(s, convscope::scene_from_json(convscope::scene_to_json(s, "/x"), "s.json", "/x")));
}

TEST(SceneRoundTrip, MinimalHandWrittenSceneTakesDefaults) {
    const SceneFile s = convscope::scene_from_json(scene_text(), "s.json", "");
    EXPECT_EQ(s.layer.params.stride, (std::vector<int64_t>{1}));
    EXPECT_EQ(s.layer.params.groups, 1);
    EXPECT_TRUE(s.layer.bias);
    EXPECT_EQ(s.batch, 1);
    EXPECT_EQ(s.weights.seed, 1u);
    EXPECT_EQ(s.view.ui_scale, 1.0f);
}

TEST(SceneConventions, OptionalKeyRoundTripsAndOldScenesLeaveItUnset) {
    EXPECT_FALSE(convscope::scene_from_json(scene_text(), "s.json", "").view.conventions.has_value());
    const SceneFile keras =
        convscope::scene_from_json(scene_text("", ",\n  \"view\": {\"conventions\": \"keras\"}"), "s.json", "");
    ASSERT_TRUE(keras.view.conventions.has_value());
    EXPECT_EQ(*keras.view.conventions, convscope::Convention::Keras);
    const std::string written = convscope::scene_to_json(keras, "");
    EXPECT_NE(written.find("\"conventions\": \"keras\""), std::string::npos) << written;
    EXPECT_EQ(*convscope::scene_from_json(written, "s.json", "").view.conventions, convscope::Convention::Keras);
    SceneFile torch = keras;
    torch.view.conventions = convscope::Convention::PyTorch;
    EXPECT_EQ(*convscope::scene_from_json(convscope::scene_to_json(torch, ""), "s.json", "").view.conventions,
              convscope::Convention::PyTorch);
    torch.view.conventions.reset();  // unset: not written, so older convscope versions still read the file
    EXPECT_EQ(convscope::scene_to_json(torch, "").find("conventions"), std::string::npos);
    EXPECT_TRUE(throws_with<FormatError>(
        [&] {
            convscope::scene_from_json(scene_text("", ",\n  \"view\": {\"conventions\": \"tensorflow\"}"), "s.json",
                                       "");
        },
        {"s.json", "view.conventions", "\"pytorch\", \"keras\"", "tensorflow"}));
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Malformed scenes
// ---------------------------------------------------------------------------------------------------------------

struct BadSceneCase {
    const char* name;
    std::string text;
    std::vector<std::string> words;
};

class SceneBadJson : public ::testing::TestWithParam<BadSceneCase> {};

TEST_P(SceneBadJson, IsRejectedWithWhereAndWhat) {
    const BadSceneCase& c = GetParam();
    std::vector<std::string> words = c.words;
    words.insert(words.begin(), "scene.json");
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::scene_from_json(c.text, "scene.json", "/s"); }, words));
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
    const size_t at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
}

INSTANTIATE_TEST_SUITE_P(
    SceneCases, SceneBadJson,
    ::testing::Values(
        BadSceneCase{"SyntaxErrorHasLineAndColumn",
                     "{\n  \"version\": 1,\n  \"title\": \"x\"\n  \"input\": {}\n}",
                     {"scene.json:4:", "syntax error"}},
        BadSceneCase{"TrailingComma", "{\"version\": 1,}", {"scene.json:1:", "syntax error"}},
        BadSceneCase{"Empty", "", {"scene.json:1:1: syntax error"}},
        BadSceneCase{"InvalidUtf8",
                     "{\n\"version\": 1, \"title\": \"caf\xC3\x28\"}",
                     {"scene.json:2:", "invalid UTF-8 (byte 0xC3)"}},
        BadSceneCase{"OverlongUtf8", "{\"title\": \"\xC0\xAF\"}", {"scene.json:1:12: invalid UTF-8 (byte 0xC0)"}},
        BadSceneCase{"DeepNesting", std::string(100000, '['), {"scene.json:1:65: nested more than 64 levels deep"}},
        BadSceneCase{"DeepNestingInsideScene",
                     replaced(scene_text(), "\"builtin\"}",
                              "\"builtin\", \"x\": " + std::string(70, '[') + std::string(70, ']') + "}"),
                     {"nested more than 64 levels"}},
        BadSceneCase{"NotAnObject", "[1, 2]", {"top level must be a JSON object", "found an array"}},
        BadSceneCase{"NoVersion", "{\"title\": \"x\"}", {"version is missing", "convscope scene"}},
        BadSceneCase{"NewerVersion",
                     replaced(scene_text(), "\"version\": 1", "\"version\": 7"),
                     {"scene version 7 is newer than this convscope understands (1)"}},
        BadSceneCase{"VersionZero",
                     replaced(scene_text(), "\"version\": 1", "\"version\": 0"),
                     {"scene version 0 is not valid"}},
        BadSceneCase{"VersionString",
                     replaced(scene_text(), "\"version\": 1", "\"version\": \"1\""),
                     {"version must be an integer, found the string \"1\""}},
        BadSceneCase{"WrongTypeInArray",
                     scene_text(", \"stride\": [1, 1.5]"),
                     {"layer.stride[1] must be an integer, found the number 1.5"}},
        BadSceneCase{"WrongTypeBool", scene_text(", \"bias\": 1"), {"layer.bias must be true or false"}},
        BadSceneCase{
            "MissingField", replaced(scene_text(), "\"out_channels\": 4, ", ""), {"layer.out_channels is missing"}},
        BadSceneCase{"MissingWeights",
                     replaced(scene_text(), ",\n  \"weights\": {\"kind\": \"builtin\"}", ""),
                     {"weights is missing"}},
        BadSceneCase{"UnknownField",
                     scene_text(", \"strides\": [2]"),
                     {"layer.strides is not a known field of layer", "known: dims"}},
        BadSceneCase{"UnknownTopLevelField", scene_text("", ", \"future\": true"), {"future is not a known field"}},
        BadSceneCase{"FieldOfAnotherKind",
                     replaced(scene_text(), "\"name\": \"sunset\"", "\"path\": \"a.png\""),
                     {"input.path is not a known field of input"}},
        BadSceneCase{"UnknownKind",
                     replaced(scene_text(), "\"kind\": \"builtin\", \"name\"", "\"kind\": \"video\", \"name\""),
                     {"input.kind must be one of \"builtin\", \"cifar\", \"image\", \"embedded\""}},
        BadSceneCase{
            "UnknownPaddingMode", scene_text(", \"padding_mode\": \"mirror\""), {"layer.padding_mode must be one of"}},
        BadSceneCase{
            "DuplicateKey", scene_text(", \"groups\": 1, \"groups\": 2"), {"layer has the key \"groups\" twice"}},
        BadSceneCase{"HugeNumber",
                     scene_text("", ", \"view\": {\"ui_scale\": 1e400}"),
                     {"scene.json:5:56: the number 1e400 is out of range"}},
        BadSceneCase{"NaNLiteral", scene_text("", ", \"view\": {\"ui_scale\": NaN}"), {"syntax error"}},
        BadSceneCase{"ScaleOutOfRange",
                     scene_text("", ", \"view\": {\"ui_scale\": 1e30}"),
                     {"view.ui_scale must be a finite number from 0.25 to 8.0, found 1e+30"}},
        BadSceneCase{
            "NegativeStep", scene_text("", ", \"cursor\": {\"step\": -1}"), {"cursor.step must be at least 0"}},
        BadSceneCase{
            "IntegerTooLarge", scene_text(", \"groups\": 18446744073709551615"), {"layer.groups is out of range"}},
        BadSceneCase{"SeedTooLarge",
                     replaced(scene_text(), "{\"kind\": \"builtin\"}", "{\"kind\": \"builtin\", \"seed\": 4294967296}"),
                     {"weights.seed must be from 0 to 4294967295"}},
        BadSceneCase{
            "DimsThree", replaced(scene_text(), "\"dims\": 2", "\"dims\": 3"), {"layer.dims must be from 1 to 2"}},
        BadSceneCase{"EmptyPath",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"image\", \"path\": \"\"}"),
                     {"input.path must not be empty"}},
        BadSceneCase{"NulInPath",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"image\", \"path\": \"a\\u0000b\"}"),
                     {"input.path contains a NUL character"}},
        BadSceneCase{"TensorWrongRank",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"embedded\", \"tensor\": {\"shape\": [2], \"dtype\": "
                              "\"float32\", \"data\": \"AAAAAAAAAAA=\"}}"),
                     {"input.tensor.shape must have rank 3 or 4, found [2]"}},
        BadSceneCase{"TensorDataTooShort",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"embedded\", \"tensor\": {\"shape\": [1, 1, 2], "
                              "\"dtype\": \"float32\", \"data\": \"AAAA\"}}"),
                     {"input.tensor.data is 4 base64 characters", "needs 12"}},
        BadSceneCase{"TensorBadBase64",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"embedded\", \"tensor\": {\"shape\": [1, 1, 2], "
                              "\"dtype\": \"float32\", \"data\": \"AAAAAA*AAAA=\"}}"),
                     {"input.tensor.data is not valid base64 (at character 6)"}},
        BadSceneCase{"TensorDtype",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"embedded\", \"tensor\": {\"shape\": [1, 1, 2], "
                              "\"dtype\": \"float64\", \"data\": \"AAAAAAAAAAA=\"}}"),
                     {"input.tensor.dtype must be \"float32\""}},
        BadSceneCase{"TensorHugeShape",
                     replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                              "{\"kind\": \"embedded\", \"tensor\": {\"shape\": [100000, 100000, "
                              "100000], \"dtype\": \"float32\", \"data\": \"\"}}"),
                     {"input.tensor.shape [100000, 100000, 100000] is too large"}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

// ---------------------------------------------------------------------------------------------------------------
// 4. Paths
// ---------------------------------------------------------------------------------------------------------------

TEST(ScenePaths, WrittenRelativeUnderTheSceneFolderAbsoluteOutside) {
    SceneFile s;
    s.input.kind = SceneInput::Kind::Image;
    s.input.path = "/home/u/lesson/pics/cat.png";
    s.weights.kind = SceneWeights::Kind::Npy;
    s.weights.weight_path = "/home/u/weights/w.npy";
    s.weights.bias_path = "/home/u/lessonX/b.npy";  // shares a prefix of characters, not of folders
    const std::string text = convscope::scene_to_json(s, "/home/u/lesson");
    EXPECT_NE(text.find("\"path\": \"pics/cat.png\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"weight\": \"/home/u/weights/w.npy\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"bias\": \"/home/u/lessonX/b.npy\""), std::string::npos) << text;
}

TEST(ScenePaths, ResolvedAgainstTheSceneFolderOnLoad) {
    const std::string text = replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                                      "{\"kind\": \"image\", \"path\": \"pics/../img/cat.png\"}");
    const SceneFile s = convscope::scene_from_json(text, "s.json", "/home/u/lesson");
    EXPECT_EQ(s.input.path, "/home/u/lesson/img/cat.png");
    EXPECT_TRUE(convscope::scene_paths_outside(s, "/home/u/lesson").empty());
}

TEST(ScenePaths, PathsOutsideTheSceneFolderAreListed) {
    const std::string text =
        replaced(replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                          "{\"kind\": \"image\", \"path\": \"../../etc/passwd\"}"),
                 "{\"kind\": \"builtin\"}", "{\"kind\": \"onnx\", \"model\": \"/abs/m.onnx\", \"node\": \"c\"}");
    const SceneFile s = convscope::scene_from_json(text, "s.json", "/home/u/lesson");
    EXPECT_EQ(s.input.path, "/home/etc/passwd");
    EXPECT_EQ(convscope::scene_paths_outside(s, "/home/u/lesson"),
              (std::vector<std::string>{"/home/etc/passwd", "/abs/m.onnx"}));
}

TEST(ScenePaths, OutsidePathsAreNamedByTheJsonKeysTheUserWrote) {
    const std::string text =
        replaced(replaced(scene_text(), "{\"kind\": \"builtin\", \"name\": \"sunset\"}",
                          "{\"kind\": \"image\", \"path\": \"/etc/passwd\"}"),
                 "{\"kind\": \"builtin\"}", "{\"kind\": \"npy\", \"weight\": \"w.npy\", \"bias\": \"../b.npy\"}");
    const SceneFile s = convscope::scene_from_json(text, "s.json", "/home/u/lesson");
    const auto paths = convscope::scene_paths_outside_by_key(s, "/home/u/lesson");
    EXPECT_EQ(paths,
              (std::vector<convscope::ScenePath>{{"input.path", "/etc/passwd"}, {"weights.bias", "/home/u/b.npy"}}));
    EXPECT_EQ(convscope::scene_paths_outside_text(paths),
              "the scene refers to files outside its folder: input.path = /etc/passwd, weights.bias = /home/u/b.npy");
}

TEST(ScenePaths, NonUtf8PathsAreSavedLosslesslyAndLoadBack) {
    TempDir dir;
    SceneFile s;
    s.input.kind = SceneInput::Kind::Image;
    s.input.path = dir.file("bild_\xFF\xFE.png");
    s.weights.kind = SceneWeights::Kind::Npy;
    s.weights.weight_path = "/elsewhere/w\xAB.npy";
    convscope::scene_save(dir.file("scene.json"), s);
    const std::string text = read_text(dir.file("scene.json"));
    EXPECT_NE(text.find("\"bytes_hex\": \"62696c645ffffe2e706e67\""), std::string::npos) << text;
    const SceneFile back = convscope::scene_load(dir.file("scene.json"));
    EXPECT_EQ(back.input.path, s.input.path);
    EXPECT_EQ(back.weights.weight_path, s.weights.weight_path);
}

TEST(SceneSave, NonUtf8OnnxNodeNameIsNamedByItsField) {
    SceneFile s;
    s.weights.kind = SceneWeights::Kind::Onnx;
    s.weights.onnx_path = "/m.onnx";
    s.weights.onnx_node = "conv\xFF";
    EXPECT_TRUE(
        throws_with<convscope::Error>([&] { convscope::scene_to_json(s, "/"); },
                                      {"weights.node (the ONNX node name) is not valid UTF-8 text (\"conv\\xFF\")"}));
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Saving
// ---------------------------------------------------------------------------------------------------------------

TEST(SceneSave, KeepsThePreviousVersionAsBak) {
    TempDir dir;
    SceneFile a = rich_scene(), b = rich_scene();
    a.title = "first";
    b.title = "second";
    convscope::scene_save(dir.file("scene.json"), a);
    const std::string first = read_text(dir.file("scene.json"));
    convscope::scene_save(dir.file("scene.json"), b);
    EXPECT_EQ(read_text(dir.file("scene.json.bak")), first);
    EXPECT_EQ(convscope::scene_load(dir.file("scene.json")).title, "second");
    EXPECT_EQ(convscope::scene_load(dir.file("scene.json.bak")).title, "first");
    EXPECT_EQ(dir_entries(dir.path()), (std::vector<std::string>{"scene.json", "scene.json.bak"}));
}

TEST(SceneSave, FailureLeavesTheOriginalUntouchedAndReportsTheOsError) {
    TempDir dir;
    const std::string name = name_too_long_for_a_temporary();  // the temporary file cannot be created
    write_text(dir.file(name), "original bytes");
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::scene_save(dir.file(name), rich_scene()); },
                                     {name, "File name too long"}));
    EXPECT_EQ(read_text(dir.file(name)), "original bytes");
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{name});  // no .bak, no temporary file
}

TEST(SceneSave, ParentThatIsAFileIsReported) {
    TempDir dir;
    write_text(dir.file("plain"), "x");
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::scene_save(dir.file("plain/scene.json"), rich_scene()); },
                                     {"plain/scene.json", "Not a directory"}));
    EXPECT_EQ(read_text(dir.file("plain")), "x");
}

TEST(SceneSave, InvalidUtf8TitleFailsBeforeAnyFileIsTouched) {
    TempDir dir;
    SceneFile s;
    s.title = "bad \xFF title";
    EXPECT_THROW(convscope::scene_save(dir.file("scene.json"), s), convscope::Error);
    EXPECT_TRUE(dir_entries(dir.path()).empty());
}

TEST(SceneLoad, FifoAndMissingFileAreIoErrors) {
    TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("pipe.json").c_str(), 0600), 0);
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::scene_load(dir.file("pipe.json")); }, {"not a regular file"}));
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::scene_load(dir.file("none.json")); }, {"No such file"}));
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Locale
// ---------------------------------------------------------------------------------------------------------------

// German number punctuation: decimal comma, '.' between thousands.
struct GermanPunct : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
};

TEST(SceneLocale, RoundTripUnderADecimalCommaLocale) {
    const std::locale old_global = std::locale::global(std::locale(std::locale::classic(), new GermanPunct));
    const std::string old_c = std::setlocale(LC_ALL, nullptr);
    // Also switch the C library's locale when a German one is installed (it is not in minimal images).
    const bool c_locale_switched = std::setlocale(LC_ALL, "de_DE.UTF-8") != nullptr;
    SceneFile s = rich_scene();
    s.view.ui_scale = 1.5f;
    s.cursor_step = 1234567;
    const std::string text = convscope::scene_to_json(s, "");
    const SceneFile back = convscope::scene_from_json(text, "s.json", "");
    std::setlocale(LC_ALL, old_c.c_str());
    std::locale::global(old_global);
    EXPECT_NE(text.find("\"ui_scale\": 1.5"), std::string::npos) << text;
    EXPECT_NE(text.find("\"step\": 1234567"), std::string::npos) << text;
    EXPECT_NE(text.find("\"input_zoom\": 0.1,"), std::string::npos) << text;
    EXPECT_TRUE(scenes_equal(s, back));
    RecordProperty("c_locale_switched", c_locale_switched ? "yes" : "no (de_DE not installed)");
}

}  // namespace
