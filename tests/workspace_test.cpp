// Tests of the GUI-free workspace layer (app/workspace/): the built-in data every front end shares, scene files
// with everything they reference, the script grammar's verb table, the Recent list's settings folder.
//
// Sections:
//   1. Built-in data (core/builtin_data + build_scene)
//   2. Scene files and their references
//   3. The script grammar
//   4. Settings
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "app_settings.hpp"
#include "builtin_data.hpp"
#include "convention_texts.hpp"
#include "data_in.hpp"
#include "error.hpp"
#include "lesson.hpp"
#include "npy.hpp"
#include "scene.hpp"
#include "scene_io.hpp"
#include "script_grammar.hpp"
#include "test_util.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;
using convscope::testing::TempDir;
using convscope::testing::throws_with;

ConvGeometry geometry(const LayerEdit& e) {
    const ConvCheck c = conv_layer_check(e.layer, input_shape(e));
    EXPECT_TRUE(c.ok()) << c.error;
    return *c.geometry;
}

const Preset& preset(const std::vector<Preset>& ps, const std::string& key) {
    for (const Preset& p : ps)
        if (p.key == key) return p;
    throw std::runtime_error("no preset " + key);
}

std::shared_ptr<const Scene> scene_of(const LayerEdit& e) { return build_scene(e, geometry(e), nullptr, 1); }

// ---------------------------------------------------------------------------------------------------------------
// 1. Built-in data
// ---------------------------------------------------------------------------------------------------------------

// Q2: the same three images as a batch (3, 1, 28, 28) and as channels (1, 3, 28, 28): the tensors hold the same
// numbers, image n of the batch is channel n of the stack.
TEST(BuiltinData, ChannelStackHoldsTheBatchImagesAsChannels) {
    std::string err;
    const auto ps = builtin_presets("", err);
    const auto batch = scene_of(preset(ps, "batch_vs_channel").edit);
    const auto stack = scene_of(preset(ps, "channel_stack").edit);
    ASSERT_EQ(batch->x.shape, (Shape{3, 1, 28, 28}));
    ASSERT_EQ(stack->x.shape, (Shape{1, 3, 28, 28}));
    EXPECT_EQ(batch->x.data, stack->x.data);  // (3,1,H,W) and (1,3,H,W) share the memory order
    // and they are three different pictures (0, 1, 7), not one repeated
    const size_t plane = 28 * 28;
    EXPECT_NE(std::vector<float>(batch->x.data.begin(), batch->x.data.begin() + plane),
              std::vector<float>(batch->x.data.begin() + plane, batch->x.data.begin() + 2 * plane));
    EXPECT_NE(stack->image_kind.find("one per channel"), std::string::npos) << stack->image_kind;
    EXPECT_NE(batch->image_kind.find("one per image"), std::string::npos) << batch->image_kind;
}

TEST(BuiltinData, SwitchingPresetsOfTheSameShapeChangesThePicture) {
    // (1, 3, 28, 28) as RGB landscapes, then the digits preset of the same shape: not the previous picture.
    std::string err;
    const auto ps = builtin_presets("", err);
    LayerEdit rgb = preset(ps, "channel_stack").edit;
    rgb.input.picture = "landscapes";
    const auto first = scene_of(rgb);
    const LayerEdit digits = preset(ps, "channel_stack").edit;
    const auto second = build_scene(digits, geometry(digits), first.get(), 2);
    EXPECT_NE(first->x.data, second->x.data);
    EXPECT_EQ(second->x.data, scene_of(digits)->x.data);
}

TEST(BuiltinData, WeightSeedIsHonouredAndDesignedFiltersAreFixed) {
    const LayerEdit e = default_edit();
    const ConvGeometry g = geometry(e);
    const BuiltinWeights a = builtin_weights(g, true, 1), b = builtin_weights(g, true, 1),
                         c = builtin_weights(g, true, 7);
    EXPECT_EQ(a.w.data, b.w.data);
    EXPECT_EQ(a.bias.data, b.bias.data);
    EXPECT_NE(a.w.data, c.w.data);
    ASSERT_GT(a.designed, 0);
    const size_t filter = 3 * 5 * 5;
    const size_t designed = static_cast<size_t>(a.designed) * filter;
    EXPECT_TRUE(
        std::equal(a.w.data.begin(), a.w.data.begin() + static_cast<std::ptrdiff_t>(designed), c.w.data.begin()));
    // PyTorch's reset_parameters bound: |w| <= 1/sqrt(fan_in) for the initialised filters
    const float bound = 1.0f / std::sqrt(75.0f);
    for (size_t i = designed; i < a.w.data.size(); ++i) ASSERT_LE(std::fabs(a.w.data[i]), bound);
}

TEST(BuiltinData, UnknownOrMisfitPictureIsRefusedByName) {
    LayerEdit e = default_edit();
    std::string kind;
    const ConvGeometry g = geometry(e);
    EXPECT_TRUE(throws_with<ConfigError>([&] { builtin_input(g, "mona_lisa", kind); },
                                         {"'mona_lisa'", "digits", "landscapes"}));
    e.layer.in_channels = 1;
    e.input.c = 1;
    EXPECT_TRUE(
        throws_with<ConfigError>([&] { builtin_input(geometry(e), "landscapes", kind); }, {"RGB", "3 channels"}));
}

TEST(BuiltinData, GeneratedPictureDescriptionsSayWhatIsShown) {
    std::string kind;
    LayerEdit e = default_edit();
    e.input.n = 2;
    builtin_input(geometry(e), "generated", kind);
    EXPECT_EQ(kind, "pictures: sunset, day (RGB)");
    e.input.n = 1;
    builtin_input(geometry(e), "generated", kind);
    EXPECT_EQ(kind, "a sunset picture (RGB)");
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Scene files and their references
// ---------------------------------------------------------------------------------------------------------------

SceneFile conv_scene() {
    SceneFile f;
    f.title = "t";
    f.layer = default_edit().layer;
    f.layer.out_channels = 4;
    f.input.height = f.input.width = 9;
    return f;
}

TEST(SceneFiles, MissingNpyNamesTheFieldAndTheFile) {
    TempDir dir;
    SceneFile f = conv_scene();
    f.weights.kind = SceneWeights::Kind::Npy;
    f.weights.weight_path = dir.file("gone.npy");
    f.layer.bias = false;
    scene_save(dir.file("s.json"), f);
    EXPECT_TRUE(throws_with<FormatError>([&] { load_scene_file(dir.file("s.json"), nullptr, nullptr); },
                                         {"s.json", "weights.weight", "gone.npy"}));
}

TEST(SceneFiles, MismatchedWeightsAreRefusedWithBothShapes) {
    TempDir dir;
    SceneFile f = conv_scene();
    f.layer.bias = false;
    npy_save(dir.file("w.npy"), Tensor(Shape{4, 3, 3, 3}));
    f.weights.kind = SceneWeights::Kind::Npy;
    f.weights.weight_path = dir.file("w.npy");
    scene_save(dir.file("s.json"), f);
    EXPECT_TRUE(throws_with<FormatError>([&] { load_scene_file(dir.file("s.json"), nullptr, nullptr); },
                                         {"weights.weight", "[4, 3, 3, 3]", "[4, 3, 5, 5]"}));
}

TEST(SceneFiles, FilesOutsideTheScenesFolderAreNotReadUnlessAllowed) {
    // Issue 12: a scene that names /etc/passwd or ../w.npy reads nothing until the user agrees.
    TempDir dir;
    std::filesystem::create_directory(dir.file("scenes"));
    SceneFile f = conv_scene();
    f.layer.bias = false;
    npy_save(dir.file("w.npy"), Tensor(Shape{4, 3, 5, 5}));
    f.weights.kind = SceneWeights::Kind::Npy;
    f.weights.weight_path = dir.file("w.npy");  // beside the scenes folder, not in it
    scene_save(dir.file("scenes/s.json"), f);
    try {
        load_scene_file(dir.file("scenes/s.json"), nullptr, nullptr);
        ADD_FAILURE() << "a weight outside the scene's folder was read without asking";
    } catch (const OutsidePathsError& e) {
        ASSERT_EQ(e.paths.size(), 1u);
        EXPECT_EQ(e.paths[0].key, "weights.weight");
        EXPECT_NE(std::string(e.what()).find("the scene refers to a file outside its folder: weights.weight = "),
                  std::string::npos)
            << e.what();
    }
    const LoadedScene ls = load_scene_file(dir.file("scenes/s.json"), nullptr, nullptr, true);
    ASSERT_TRUE(ls.data.w);
    EXPECT_EQ(ls.data.w->shape, (Shape{4, 3, 5, 5}));
    // The loader thread's result carries the paths, so the window can ask, and nothing else.
    LoadRequest q;
    q.purpose = FilePurpose::Scene;
    q.path = dir.file("scenes/s.json");
    const LoadResult r = run_load(q, nullptr, nullptr);
    EXPECT_FALSE(r.scene);
    ASSERT_EQ(r.outside.size(), 1u);
    EXPECT_NE(r.error.find("s.json: the scene refers to a file outside its folder"), std::string::npos) << r.error;
    q.allow_outside = true;
    EXPECT_TRUE(run_load(q, nullptr, nullptr).scene);
}

TEST(SceneFiles, BuiltinNameAndSeedAreUsed) {
    TempDir dir;
    SceneFile f = conv_scene();
    f.input.builtin = "stripes";
    f.weights.seed = 42;
    scene_save(dir.file("s.json"), f);
    const LoadedScene ls = load_scene_file(dir.file("s.json"), nullptr, nullptr);
    EXPECT_EQ(ls.edit.input.picture, "stripes");
    EXPECT_TRUE(ls.data.builtin_weights);
    const auto scene = build_scene(ls.edit, geometry(ls.edit), nullptr, 1, &ls.data);
    const BuiltinWeights want = builtin_weights(scene->geo, true, 42);
    EXPECT_EQ(scene->w.data, want.w.data);
    EXPECT_EQ(scene->weight_source.seed, 42u);
    std::string kind;
    EXPECT_EQ(scene->x.data, builtin_input(scene->geo, "stripes", kind).data);
    // an unknown picture name is refused naming the JSON key
    f.input.builtin = "mona_lisa";
    scene_save(dir.file("bad.json"), f);
    EXPECT_TRUE(throws_with<FormatError>([&] { load_scene_file(dir.file("bad.json"), nullptr, nullptr); },
                                         {"bad.json", "input.name", "mona_lisa"}));
}

TEST(SceneFiles, ShippedScenesLoadAndQ2aUsesTheDigits) {
    const std::string dir = std::string(CONVSCOPE_ASSET_DIR) + "/scenes/";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".json" || entry.path().filename() == "presets.json") continue;
        EXPECT_NO_THROW(load_scene_file(entry.path().string(), nullptr, nullptr)) << entry.path();
    }
    const LoadedScene q2a = load_scene_file(dir + "seed2_batch_vs_channel.json", nullptr, nullptr);
    EXPECT_EQ(q2a.edit.input.picture, "digits");
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The script grammar
// ---------------------------------------------------------------------------------------------------------------

TEST(KerasSame, StridedSameBecomesTfPadsWrittenExplicitly) {
    // Conv2d(3, 192, 5, stride=2, padding='same') on 32x32: PyTorch refuses; Keras pads 1 before, 2 after.
    LayerEdit e = default_edit();
    e.layer.params.stride = {2};
    e.layer.params.padding_kind = PaddingKind::Same;
    EXPECT_EQ(conv_layer_check(e.layer, input_shape(e)).error,
              "padding='same' is not supported for strided convolutions");
    const std::optional<KerasSame> k = keras_same_pads(e);
    ASSERT_TRUE(k);
    EXPECT_EQ(k->edit.layer.params.pads_begin, (std::vector<int64_t>{1, 1}));
    EXPECT_EQ(k->edit.layer.params.pads_end, (std::vector<int64_t>{2, 2}));
    const ConvCheck c = conv_layer_check(k->edit.layer, input_shape(k->edit));
    ASSERT_TRUE(c.ok()) << c.error;
    EXPECT_EQ(c.geometry->out, (std::array<int64_t, 2>{16, 16}));  // ceil(32 / 2), as Keras
    ASSERT_EQ(k->lines.size(), 2u);
    EXPECT_NE(
        k->lines[0].find("H_out = ceil(32 / 2) = 16; pad_total = max(0, (16-1)*2 + (5-1)*1 + 1 - 32) = 3: 1 before, "
                         "2 after"),
        std::string::npos)
        << k->lines[0];
    EXPECT_NE(k->lines[0].find("an extra row at the bottom"), std::string::npos) << k->lines[0];
    EXPECT_NE(k->lines[1].find("an extra column at the right"), std::string::npos) << k->lines[1];
    // Stride 1 (both frameworks agree) and explicit padding have nothing to convert.
    e.layer.params.stride = {1};
    EXPECT_FALSE(keras_same_pads(e));
    e.layer.params.stride = {2};
    e.layer.params.padding_kind = PaddingKind::Explicit;
    EXPECT_FALSE(keras_same_pads(e));
}

TEST(ScriptGrammar, EveryVerbHasUsageHelpAndAnArityCheck) {
    std::set<std::string_view> seen;
    for (const VerbSpec& v : script_verbs()) {
        EXPECT_TRUE(seen.insert(v.name).second) << "duplicate verb " << v.name;
        EXPECT_EQ(v.usage.substr(0, v.name.size()), v.name) << v.name;
        EXPECT_FALSE(v.help.empty()) << v.name;
        EXPECT_LE(v.min_args, v.max_args) << v.name;
        // one argument too many is refused with the usage
        ScriptAction a;
        std::string line(v.name);
        for (size_t i = 0; i <= v.max_args; ++i) line += " 1";
        std::string error;
        EXPECT_FALSE(parse_script_line(line, "s.txt", 3, a, error)) << line;
        EXPECT_NE(error.find("s.txt:3: '" + std::string(v.name) + "' takes"), std::string::npos) << error;
        EXPECT_NE(error.find(std::string(v.usage)), std::string::npos) << error;
        // and too few, where a minimum exists
        if (v.min_args > 0) {
            EXPECT_FALSE(parse_script_line(std::string(v.name), "s.txt", 4, a, error)) << v.name;
            EXPECT_NE(error.find("s.txt:4:"), std::string::npos) << error;
        }
        EXPECT_NE(script_help().find(std::string(v.usage)), std::string::npos);
    }
}

struct BadArgs {
    const char* line;
    const char* message;
};

TEST(ScriptGrammar, BadArgumentsAreNamed) {
    const BadArgs cases[] = {
        {"set kernel_size x", "'x' is not an integer or a pair"},
        {"set colour red", "unknown setting 'colour'"},
        {"set padding_mode mirror", "padding_mode is zeros, reflect"},
        {"set picture mona", "picture is one of generated"},
        {"set dims 3", "dims is 1 or 2"},
        {"set bias maybe", "bias is true or false"},
        {"step two", "'two' is not an integer"},
        {"seek 1.5", "'1.5' is not an integer"},
        {"speed fast", "'fast' is not a number"},
        {"ui_scale nan", "'nan' is not a number"},
        {"granularity pixel", "granularity is position, channel or mac"},
        {"cursor 0 0 y 1", "'y' is not an integer"},
        {"hover 1 2", "hover takes 'c y x'"},
        {"zoom output 4", "zoom takes input|fmap|filters"},
        {"reveal maybe", "takes on or off"},
        {"pick 1,-2", "pick takes 1 to 64 image indices"},
        {"save_scene a.json please", "save_scene takes PATH [overwrite]"},
        {"use_onnx x", "'x' is not a node index"},
        {"use_onnx 0 input", "use_onnx takes NODE_INDEX [test_input]"},
        {"load_weights w.npy keras pytorch", "one layout"},
        {"window lessons maybe", "window takes"},
        {"mouse 1", "mouse takes X Y"},
        {"click a b", "click takes X Y"},
        {"after pool max 0 2", "after takes show|hide"},
        {"after dance", "after takes show|hide"},
        {"frames many", "'many' is not an integer"},
        {"conventions tensorflow", "conventions takes pytorch or keras, got 'tensorflow'"},
        {"code_panel jax", "code_panel takes pytorch, keras, numpy, onnx or off, got 'jax'"},
        {"explode", "unknown action 'explode'"},
    };
    for (const BadArgs& c : cases) {
        ScriptAction a;
        std::string error;
        EXPECT_FALSE(parse_script_line(c.line, "f.txt", 9, a, error)) << c.line;
        EXPECT_NE(error.find(std::string("f.txt:9: ")), std::string::npos) << error;
        EXPECT_NE(error.find(c.message), std::string::npos) << c.line << " -> " << error;
    }
}

TEST(ScriptGrammar, ScriptsParseWholeOrNotAtAll) {
    std::vector<ScriptAction> out{{1, "old", {}}};
    std::string error;
    ASSERT_TRUE(parse_script("# comment\n\n  set kernel_size 3,5\r\ncursor 0 1 2 3\n", "ok.txt", out, error)) << error;
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].line, 3);
    EXPECT_EQ(out[0].args, (std::vector<std::string>{"kernel_size", "3,5"}));
    EXPECT_EQ(out[1].line, 4);
    EXPECT_FALSE(parse_script("set stride 2\nset stride zwei\n", "bad.txt", out, error));
    EXPECT_EQ(error, "bad.txt:2: 'zwei' is not an integer or a pair like 3,5");
    EXPECT_EQ(out.size(), 2u);  // untouched
}

TEST(ScriptGrammar, SettingsChangeTheEdit) {
    LayerEdit e = default_edit();
    std::string error;
    ASSERT_TRUE(apply_setting(e, "kernel_size", "(3, 5)", error)) << error;
    EXPECT_EQ(e.layer.kernel_size, (std::vector<int64_t>{3, 5}));
    ASSERT_TRUE(apply_setting(e, "padding", "same", error));
    EXPECT_EQ(e.layer.params.padding_kind, PaddingKind::Same);
    ASSERT_TRUE(apply_setting(e, "input_channels", "5", error));
    EXPECT_EQ(e.input.c, 5);
    EXPECT_FALSE(e.input.c_follows_layer);
    ASSERT_TRUE(apply_setting(e, "picture", "digits", error));
    EXPECT_EQ(e.input.picture, "digits");
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Settings
// ---------------------------------------------------------------------------------------------------------------

TEST(Settings, WithoutASettingsFolderNothingIsReadOrWritten) {
    std::vector<RecentFile> list{{"/tmp/a.png", FilePurpose::Image}};
    std::string error;
    EXPECT_TRUE(recent_save("", list, error)) << error;
    EXPECT_TRUE(recent_load("", list, error));
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(recent_files_path(""), "");
}

TEST(Settings, RecentListRoundTripsInItsFolder) {
    TempDir dir;
    const std::string settings = dir.file("cfg");
    std::vector<RecentFile> list;
    recent_add(list, "/tmp/a.png", FilePurpose::Image);
    recent_add(list, "/tmp/s.json", FilePurpose::SaveScene);
    std::string error;
    ASSERT_TRUE(recent_save(settings, list, error)) << error;
    std::vector<RecentFile> back;
    ASSERT_TRUE(recent_load(settings, back, error)) << error;
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].path, "/tmp/s.json");
    EXPECT_EQ(back[0].purpose, FilePurpose::Scene);
    EXPECT_EQ(back[1].path, "/tmp/a.png");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 5. Lessons
// ---------------------------------------------------------------------------------------------------------------

namespace {

const char* kGoodLesson =
    "convscope-lesson 1\n"
    "title: T\n"
    "summary: S\n"
    "## First {output_shape}\n"
    "@ preset default\n"
    "@ cursor 0 8 16 16\n"
    "highlight: filters layer\n"
    "The weight is {weight_shape}.\n"
    "More text.\n"
    "\n"
    "- a bullet {params}\n"
    "ask: How many?\n"
    "answer: {params}\n"
    "hint: count\n"
    "reveal: it is {params}\n"
    "## Second\n"
    "Only text.\n";

}  // namespace

TEST(Lessons, ParsesStepsActionsHighlightsAndQuestions) {
    const Lesson l = lesson_parse(kGoodLesson, "good.lesson");
    EXPECT_EQ(l.title, "T");
    EXPECT_EQ(l.summary, "S");
    ASSERT_EQ(l.steps.size(), 2u);
    const LessonStep& s = l.steps[0];
    EXPECT_EQ(s.title, "First {output_shape}");
    EXPECT_EQ(s.line, 4);
    ASSERT_EQ(s.actions.size(), 2u);
    EXPECT_EQ(s.actions[1].verb, "cursor");
    EXPECT_EQ(s.actions[1].line, 6);
    EXPECT_EQ(s.highlights, (std::vector<std::string>{"filters", "layer"}));
    EXPECT_EQ(s.text, "The weight is {weight_shape}. More text.\n- a bullet {params}");
    ASSERT_TRUE(s.question);
    EXPECT_EQ(s.question->answer, "{params}");
    EXPECT_FALSE(l.steps[1].question);
}

struct BadLesson {
    const char* name;
    std::string text;
    const char* message;
};

TEST(Lessons, EveryMalformedFileSaysFileLineWhy) {
    const std::string head = "convscope-lesson 1\ntitle: T\n";
    const BadLesson cases[] = {
        {"empty", "", "b.lesson: empty file"},
        {"no header", "title: T\n", "b.lesson:1: a lesson starts with the line 'convscope-lesson 1'"},
        {"newer version", "convscope-lesson 7\n", "b.lesson:1: lesson format version 7 is newer"},
        {"bad version", "convscope-lesson one\n", "b.lesson:1: 'one' is not a lesson format version"},
        {"no title", "convscope-lesson 1\n## S\ntext\n", "b.lesson: no 'title:' line"},
        {"two titles", head + "title: again\n", "b.lesson:3: a second 'title:'"},
        {"no steps", head, "b.lesson: no steps"},
        {"text first", head + "hello\n", "b.lesson:3: text before the first step"},
        {"action first", head + "@ preset default\n", "b.lesson:3: an action before the first step"},
        {"unknown verb", head + "## S\n@ explode\n", "b.lesson:4: unknown action 'explode'"},
        {"bad args", head + "## S\n@ cursor 0 x 1 2\n", "b.lesson:4: 'x' is not an integer"},
        {"capture verb", head + "## S\n@ screenshot a.png\n",
         "b.lesson:4: 'screenshot' cannot be used in a lesson step"},
        {"empty action", head + "## S\n@\n", "b.lesson:4: '@' needs an action"},
        {"bad panel", head + "## S\nhighlight: kitchen\n", "b.lesson:4: 'kitchen' is not a panel"},
        {"empty highlight", head + "## S\nhighlight:\n", "b.lesson:4: 'highlight:' names one or more panels"},
        {"unknown placeholder", head + "## S\nthe {colour}\n", "b.lesson:4: unknown placeholder {colour}"},
        {"unclosed placeholder", head + "## S\nthe {params\n", "b.lesson:4: '{' without a closing '}'"},
        {"bad element", head + "## S\n{y[a,b]}\n", "b.lesson:4: unknown placeholder {y[a,b]}"},
        {"answer without ask", head + "## S\ntext\nanswer: 3\n",
         "b.lesson:5: 'answer:', 'hint:', 'reveal:' and 'conceal:' follow an 'ask:'"},
        {"conceal without ask", head + "## S\ntext\nconceal: params\n", "b.lesson:5: 'answer:', 'hint:', 'reveal:'"},
        {"conceal unknown", head + "## S\nask: a\nanswer: 1\nconceal: params colours\n",
         "b.lesson:6: 'colours' is not something the window can hide (output_shape, params, output_value"},
        {"conceal empty", head + "## S\nask: a\nanswer: 1\nconceal:\n", "b.lesson:6: 'conceal:' names one or more"},
        {"two questions", head + "## S\nask: a\nanswer: 1\nask: b\n", "b.lesson:6: one question per step"},
        {"ask without answer", head + "## S\nask: a\n", "b.lesson:4: the question has no 'answer:' line"},
        {"text after ask", head + "## S\nask: a\nanswer: 1\nmore\n", "b.lesson:6: narrative text belongs before"},
        {"step without text", head + "## S\n@ preset default\n## T\nx\n", "b.lesson:3: step 'S' has no text"},
        {"step without title", head + "## \n", "b.lesson:3: a step needs a title"},
        {"title after step", head + "## S\nx\ntitle: again\n", "b.lesson:5: 'title:' belongs before the first step"},
        {"NUL byte", head + std::string("## S\nx\0y\n", 10), "b.lesson:4: the file holds a NUL byte"},
    };
    for (const BadLesson& c : cases) {
        EXPECT_TRUE(throws_with<FormatError>([&] { lesson_parse(c.text, "b.lesson"); }, {c.message})) << c.name;
    }
}

TEST(Lessons, ShippedLessonsAllParse) {
    std::vector<std::string> errors;
    const std::vector<Lesson> ls = lesson_list(CONVSCOPE_ASSET_DIR, errors);
    EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
    std::set<std::string> ids;
    for (const Lesson& l : ls) ids.insert(l.id);
    for (const char* id : {"q1_conv2d", "q2_batch_vs_channel", "q3_keras_params", "q4_conv1d_text", "q5_same_channels",
                           "q6_keras_layout", "padding_modes", "q7_conv_transpose"})
        EXPECT_TRUE(ids.count(id)) << id;
    // Help -> Lessons lists the seed questions first, in order, then the other tours
    ASSERT_GE(ls.size(), 8u);
    EXPECT_EQ(ls[0].id, "q1_conv2d");
    EXPECT_EQ(ls[6].id, "q7_conv_transpose");
    EXPECT_EQ(ls[7].id, "padding_modes");
}

TEST(Lessons, LoadResolvesPathsAgainstTheLessonFolder) {
    TempDir dir;
    std::ofstream(dir.file("l.lesson")) << "convscope-lesson 1\ntitle: T\n## S\n@ load_weights k.npy keras\nx\n";
    const Lesson l = lesson_load(dir.file("l.lesson"));
    EXPECT_EQ(l.id, "l");
    ASSERT_EQ(l.steps[0].actions[0].args.size(), 2u);
    EXPECT_EQ(l.steps[0].actions[0].args[0], dir.file("k.npy"));
    EXPECT_EQ(l.steps[0].actions[0].args[1], "keras");
    EXPECT_TRUE(
        throws_with<IoError>([&] { lesson_load(dir.file("none.lesson")); }, {"none.lesson", "no such lesson file"}));
}

// The default scene, its output and the cursor at y[0, 8, 16, 16], as placeholders read them.
struct DefaultLessonScene {
    LayerEdit e = default_edit();
    std::shared_ptr<const Scene> scene = scene_of(e);
    std::shared_ptr<const LayerOutput> out = compute_layer_output(scene);
    CursorState cs;
    LessonContext ctx;
    DefaultLessonScene() {
        ConvCursor cursor(scene->geo, scene->x, scene->w, scene->bias_ptr());
        cs = cursor.state_at(cursor.step_of(0, 8, 16, 16, Granularity::Position), Granularity::Position);
        ctx.scene = scene.get();
        ctx.output = out.get();
        ctx.cursor = &cs;
        ctx.edit = &e;
    }
};

TEST(Lessons, PlaceholdersAreFilledFromTheScene) {
    DefaultLessonScene d;
    const auto& scene = d.scene;
    const auto& out = d.out;
    const CursorState& cs = d.cs;
    LessonContext& ctx = d.ctx;
    EXPECT_EQ(lesson_fill("{weight_shape} {output_shape} {params} {macs}", ctx),
              "(192, 3, 5, 5) (1, 192, 32, 32) 14,592 75");
    EXPECT_EQ(lesson_fill("{keras_kernel_shape} {keras_input_shape} {keras_output_shape}", ctx),
              "(5, 5, 3, 192) (1, 32, 32, 3) (1, 32, 32, 192)");
    EXPECT_EQ(lesson_fill("{cursor}", ctx), "y[0, 8, 16, 16]");
    EXPECT_EQ(lesson_fill("{formula_h}", ctx), conv_formula_text(scene->geo, 0));
    char want[32];
    std::snprintf(want, sizeof want, "%.6g", static_cast<double>(cs.value));
    EXPECT_EQ(lesson_fill("{value}", ctx), want);
    std::snprintf(want, sizeof want, "%.6g", static_cast<double>(out->y[(8 * 32 + 16) * 32 + 16]));
    EXPECT_EQ(lesson_fill("{y[0,8,16,16]}", ctx), want);
    const std::string eq = lesson_fill("{equation}", ctx);
    EXPECT_EQ(eq.rfind("y[0, 8, 16, 16] = ", 0), 0u) << eq;
    EXPECT_EQ(std::count(eq.begin(), eq.end(), '+'), 3) << eq;  // three channel sums and the bias
    // what cannot be evaluated says so instead of inventing a number
    EXPECT_EQ(lesson_fill("{error}", ctx), "(n/a: the layer is valid)");
    EXPECT_EQ(lesson_fill("{y[0,192,0,0]}", ctx), "(n/a: y index out of range)");
    EXPECT_EQ(lesson_fill("{y[0,99999999999999999999,0,0]}", ctx), "(n/a: index 99999999999999999999 is too large)");
    EXPECT_EQ(lesson_fill("{formula_l}", ctx), "(n/a: formula_l does not apply to Conv2d)");
    ctx.error = "RuntimeError: boom";
    EXPECT_EQ(lesson_fill("{error} {output_shape}", ctx), "RuntimeError: boom (n/a: the layer is invalid)");
}

// Predict, then reveal: while a step's question waits, what its answer names (and its 'conceal:' line) is hidden,
// in the panels (Ui::hides, checked in the window by lessons_gui_test.py) and in the step's own text.
TEST(Lessons, APendingQuestionHidesWhatGivesItsAnswerAway) {
    const Lesson l = lesson_parse(
        "convscope-lesson 1\ntitle: T\n"
        "## Shape\nThe size: {formula_h}. Sums: {equation}.\nask: Output shape?\nanswer: {output_shape}\n"
        "## Count\nask: Biases of {params}?\nanswer: {bias_count}\nconceal: output_value layouts\n"
        "## Literal\nask: Height?\nanswer: 16\nconceal: output_shape\n"
        "## No question\nJust text {output_shape}.\n",
        "h.lesson");
    using F = Fact;
    EXPECT_EQ(lesson_conceals(l.steps[0]), (std::vector<Fact>{F::OutputShape, F::Notes}));
    EXPECT_EQ(lesson_conceals(l.steps[1]), (std::vector<Fact>{F::Params, F::OutputValue, F::Layouts, F::Notes}));
    EXPECT_EQ(lesson_conceals(l.steps[2]), (std::vector<Fact>{F::OutputShape, F::Notes}));
    EXPECT_TRUE(lesson_conceals(l.steps[3]).empty());
    EXPECT_EQ(lesson_fact_name(F::OutputValue), "output_value");

    LessonRun run;
    run.lesson = l;
    run.go(0);
    EXPECT_TRUE(run.hides(F::OutputShape));
    EXPECT_TRUE(run.hides(F::Notes));
    EXPECT_FALSE(run.hides(F::Params));
    run.revealed = true;  // a right answer or "Reveal" shows everything again
    EXPECT_FALSE(run.hides(F::OutputShape));
    EXPECT_FALSE(run.hides(F::Notes));
    run.go(3);
    EXPECT_FALSE(run.hides(F::OutputShape));  // no question, nothing hidden

    // the step's text: the formula keeps the layer's numbers, the equation its terms; only the results go
    DefaultLessonScene d;
    LessonContext& ctx = d.ctx;
    const std::string formula = lesson_fill("{formula_h}", ctx), equation = lesson_fill("{equation}", ctx);
    ctx.hidden = lesson_conceals(l.steps[0]);
    EXPECT_EQ(lesson_fill("{output_shape}", ctx), "?");
    EXPECT_EQ(lesson_fill("{formula_h}", ctx), "H_out = floor((32 + 2*2 - 1*(5-1) - 1) / 1) + 1 = ?") << formula;
    EXPECT_EQ(lesson_fill("{equation}", ctx), equation);  // not hidden by this step
    EXPECT_EQ(lesson_fill("{params}", ctx), "14,592");
    ctx.hidden = lesson_conceals(l.steps[1]);
    const std::string shown = lesson_fill("{equation}", ctx);
    EXPECT_EQ(shown, equation.substr(0, equation.rfind(" = ")) + " = ?");
    EXPECT_EQ(std::count(shown.begin(), shown.end(), '+'), 3) << shown;  // the terms stay
    EXPECT_EQ(lesson_fill("{params} {y[0,8,16,16]} {value} {output_shape}", ctx), "? ? ? (1, 192, 32, 32)");
    // the check compares with the engine's answer, never with what is shown
    EXPECT_EQ(hide_result("W_out = (in-1)*stride + 1 = (4-1)*2 + 1 = 7", 2), "W_out = (in-1)*stride + 1 = ?");
    EXPECT_EQ(hide_result("no result here", 2), "no result here = ?");
}

TEST(Lessons, AnswersCompareShapesNumbersAndText) {
    EXPECT_TRUE(lesson_check_answer("1, 192, 32, 32", "(1, 192, 32, 32)").correct);
    // a number past int64 in a typed answer is wrong, not a crash (std::stoll threw out_of_range and ended the app)
    EXPECT_FALSE(lesson_check_answer("(1, 99999999999999999999, 32, 32)", "(1, 192, 32, 32)").correct);
    EXPECT_FALSE(lesson_check_answer("1, 192, 32, 32", "(5, 5, 3, 99999999999999999999)").correct);
    EXPECT_TRUE(lesson_check_answer("[1 192 32 32]", "(1, 192, 32, 32)").correct);
    EXPECT_TRUE(lesson_check_answer("1x192x32x32", "(1, 192, 32, 32)").correct);
    EXPECT_FALSE(lesson_check_answer("(1, 192, 28, 28)", "(1, 192, 32, 32)").correct);
    EXPECT_TRUE(lesson_check_answer("14592", "14,592").correct);
    EXPECT_TRUE(lesson_check_answer("14,592", "14,592").correct);
    EXPECT_FALSE(lesson_check_answer("14,593", "14,592").correct);
    EXPECT_TRUE(lesson_check_answer("0.05232", "0.0523187").correct);  // 4 significant digits are enough
    EXPECT_FALSE(lesson_check_answer("0.0524", "0.0523187").correct);
    EXPECT_TRUE(lesson_check_answer("0.0523187", "0.0523187").correct);
    EXPECT_TRUE(lesson_check_answer(" Reflect ", "reflect").correct);
    EXPECT_FALSE(lesson_check_answer("", "6").correct);
}

namespace {

using namespace convscope;
using namespace convscope::workspace;

TEST(AppSettings, ConventionsAreRememberedInTheSettingsFolder) {
    TempDir dir;
    AppSettings a;
    std::string error;
    EXPECT_TRUE(app_settings_load(dir.path(), a, error)) << error;  // no file yet: defaults
    EXPECT_EQ(a.conventions, Convention::PyTorch);
    a.conventions = Convention::Keras;
    ASSERT_TRUE(app_settings_save(dir.path() + "/sub", a, error)) << error;  // the folder is created
    AppSettings b;
    ASSERT_TRUE(app_settings_load(dir.path() + "/sub", b, error)) << error;
    EXPECT_EQ(b.conventions, Convention::Keras);
    EXPECT_EQ(app_settings_path(""), "");
    EXPECT_TRUE(app_settings_save("", a, error));  // no settings folder (automation): nothing written
    {
        std::ofstream f(dir.file("settings.json"));
        f << "{\"version\": 1, \"conventions\": \"tensorflow\"}\n";
    }
    b.conventions = Convention::Keras;
    EXPECT_FALSE(app_settings_load(dir.path(), b, error));
    EXPECT_EQ(b.conventions, Convention::PyTorch);
    EXPECT_NE(error.find(dir.file("settings.json")), std::string::npos) << error;
    EXPECT_NE(error.find("\"conventions\" must be \"pytorch\" or \"keras\", found \"tensorflow\""), std::string::npos)
        << error;
    {
        std::ofstream f(dir.file("settings.json"));
        f << "{\"version\": 2, \"conventions\": \"keras\", \"theme\": \"light\"}\n";  // unknown keys ignored
    }
    EXPECT_TRUE(app_settings_load(dir.path(), b, error)) << error;
    EXPECT_EQ(b.conventions, Convention::Keras);
    EXPECT_EQ(convention_from_key("keras"), Convention::Keras);
    EXPECT_FALSE(convention_from_key("Keras").has_value());
}

}  // namespace
