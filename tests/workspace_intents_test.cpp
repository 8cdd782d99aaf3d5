// Tests of the workspace's intents and frame functions (app/workspace/workspace.hpp), driven without a window: the
// order intents apply in, intents that wait for a computation asked for before them, loads that arrive while a layer
// computes, dropped files opening one after another, and the window-level intents handed back in order.
//
// The default scene (Conv2d(3, 192, 5, padding=2) on 32x32, 14.7M multiply-adds) is above the workspace's 2M
// threshold, so every edit below is computed on the worker thread: the tests see the same in-flight states as the
// window does.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "export_encode.hpp"
#include "npy.hpp"
#include "test_util.hpp"
#include "workspace.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;
using convscope::testing::TempDir;

// The window's part of an intent is recorded, not applied: which window-level intents arrived, in order.
struct Window {
    std::vector<size_t> seen;  // Intent::index() of each
    WindowIntentHandler handler() {
        return [this](Intent& i) { seen.push_back(i.index()); };
    }
};

struct WorkspaceIntents : ::testing::Test {
    Workspace ws;
    Window window;
    void SetUp() override {
        app_init(ws, CONVSCOPE_ASSET_DIR);  // no settings folder: nothing is read or written
        ASSERT_TRUE(ws.scene);
        ASSERT_EQ(ws.edit_error, "");
    }
    void TearDown() override { app_shutdown(ws); }
    // The queued intents are applied (a frame start), everything they asked for is on screen (the window's `wait`),
    // then one more frame start refreshes the cursor state.
    void settle() {
        workspace_begin_frame(ws, 0.0, false, window.handler());
        app_wait_idle(ws, 60.0, window.handler());
        workspace_begin_frame(ws, 0.0, false, window.handler());
        ASSERT_FALSE(app_scene_in_flight(ws));
    }
    void begin_frame() { workspace_begin_frame(ws, 0.0, false, window.handler()); }
};

// A 32x32 RGB picture: red rises left to right, green top to bottom, blue is 64.
std::string write_picture(const TempDir& dir) {
    RgbImage img;
    img.width = img.height = 32;
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) {
            img.rgb.push_back(static_cast<uint8_t>(8 * x));
            img.rgb.push_back(static_cast<uint8_t>(8 * y));
            img.rgb.push_back(64);
        }
    const std::vector<uint8_t> png = encode_png(img);
    const std::string path = dir.file("picture.png");
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    return path;
}

// Weights for the default layer (192, 3, 5, 5): element i is i / 14400.
std::string write_weights(const TempDir& dir) {
    Tensor w({192, 3, 5, 5});
    for (int64_t i = 0; i < w.numel(); ++i) w.data[static_cast<size_t>(i)] = static_cast<float>(i) / 14400.0f;
    const std::string path = dir.file("weights.npy");
    npy_save(path, w);
    return path;
}

// A cursor move asked for after a layer edit lands on the new layer, even though the edit is still computing when
// the move is applied: (0, 5, 33, 33) exists only in the 34x34 output of kernel_size 3.
TEST_F(WorkspaceIntents, ACursorMoveWaitsForTheLayerAskedForBeforeIt) {
    ws.push(intent::ApplySetting{"kernel_size", "3"});
    ws.push(intent::MoveCursor{0, 5, 33, 33});
    begin_frame();
    EXPECT_TRUE(ws.pending) << "kernel_size 3 is computed on the worker";
    EXPECT_EQ(ws.waiting_intents.size(), 1u) << "the cursor move waits for it";
    settle();
    EXPECT_EQ(ws.geo().kernel[0], 3);
    EXPECT_EQ(ws.geo().out[0], 34);
    EXPECT_EQ(ws.cs.n, 0);
    EXPECT_EQ(ws.cs.c_out, 5);
    EXPECT_EQ(ws.cs.y, 33);
    EXPECT_EQ(ws.cs.x, 33);
    EXPECT_TRUE(ws.cs.position_complete()) << "the step that completes the position";
}

// Intents apply in the order they were asked for: a preset then a setting keeps the setting (and the layer is no
// longer the preset's); a setting then a preset ends on the preset.
TEST_F(WorkspaceIntents, APresetThenASettingKeepsTheSettingAndTheReverseKeepsThePreset) {
    ws.push(intent::ApplyPreset{"same_16"});
    ws.push(intent::ApplySetting{"stride", "2"});
    settle();
    EXPECT_EQ(ws.edit.layer.params.stride, std::vector<int64_t>{2});
    EXPECT_EQ(ws.edit.layer.in_channels, 16);
    EXPECT_EQ(ws.preset_key, "") << "an edited preset is no longer the preset";

    ws.push(intent::ApplySetting{"stride", "3"});
    ws.push(intent::ApplyPreset{"same_16"});
    settle();
    EXPECT_EQ(ws.edit.layer.params.stride, std::vector<int64_t>{1});
    EXPECT_EQ(ws.preset_key, "same_16");
}

// A picture opened while a layer edit computes is applied on top of the edit (latest_scene), not of the scene on
// screen: the result has both.
TEST_F(WorkspaceIntents, APictureOpenedWhileALayerComputesKeepsTheLayer) {
    TempDir dir;
    const std::string picture = write_picture(dir);
    ws.push(intent::ApplySetting{"padding", "1"});
    begin_frame();
    ASSERT_TRUE(ws.pending);
    ws.push(intent::OpenPath{picture});
    settle();
    EXPECT_EQ(ws.status_error, false) << ws.status;
    EXPECT_EQ(ws.geo().pad_begin[0], 1) << "the edit asked for first is kept";
    EXPECT_EQ(ws.scene->input_source.kind, SceneInput::Kind::Image);
    // x[0, 0, 0, 31]: red of the last column (248 / 255), x[0, 1, 31, 0]: green of the last row
    const ConvGeometry& g = ws.geo();
    EXPECT_FLOAT_EQ(ws.scene->x[31], 248.0f / 255.0f);
    EXPECT_FLOAT_EQ(ws.scene->x[(1 * g.in[0] + 31) * g.in[1]], 248.0f / 255.0f);
}

// Files dropped together open one after another: the picture and the weights both end up in the scene, and a file
// the app does not open is named in the status line.
TEST_F(WorkspaceIntents, DroppedFilesOpenOneAfterAnother) {
    TempDir dir;
    const std::string picture = write_picture(dir), weights = write_weights(dir);
    ws.push(intent::OpenPath{picture});
    ws.push(intent::OpenPath{weights});
    begin_frame();
    EXPECT_EQ(ws.load_queue.size(), 1u) << "the weights wait for the picture";
    settle();
    EXPECT_EQ(ws.scene->input_source.kind, SceneInput::Kind::Image);
    EXPECT_FLOAT_EQ(ws.scene->w[14399], 14399.0f / 14400.0f);
    EXPECT_FLOAT_EQ(ws.scene->x[31], 248.0f / 255.0f);

    const std::string notes = dir.file("notes.txt");
    std::ofstream(notes) << "not a tensor";
    const uint64_t before = ws.scene->id;
    ws.push(intent::OpenPath{notes});
    settle();
    EXPECT_TRUE(ws.status_error);
    EXPECT_NE(ws.status.find("notes.txt: not a file convscope opens"), std::string::npos) << ws.status;
    EXPECT_EQ(ws.scene->id, before) << "the scene is unchanged";
}

// A lesson step's actions arrive together: a preset that opens its scene file, then weights for that scene (the Q6
// lesson: `preset default`, `load_weights q6_keras_kernel.npy keras`). The weights wait for the scene and land on it;
// starting their load at once cancelled the scene's, and the weights were checked against the scene on screen (from
// the batch preset: "expected input[3, 1, 28, 28] to have 3 channels, but got 1").
TEST_F(WorkspaceIntents, WeightsOpenedAfterAPresetLandOnThePresetsScene) {
    ws.push(intent::ApplyPreset{"batch_vs_channel"});
    settle();
    ASSERT_EQ(input_shape(ws.scene->edit), (Shape{3, 1, 28, 28}));
    LoadRequest q;
    q.purpose = FilePurpose::Weights;
    q.path = std::string(CONVSCOPE_ASSET_DIR) + "/lessons/q6_keras_kernel.npy";
    q.layout = WeightLayout::Keras;
    ws.push(intent::ApplyPreset{"default"});
    ws.push(intent::Open{q});
    settle();
    EXPECT_FALSE(ws.status_error) << ws.status;
    EXPECT_EQ(input_shape(ws.scene->edit), (Shape{1, 3, 32, 32})) << "the preset's scene";
    EXPECT_EQ(ws.scene->w.shape, (Shape{32, 3, 5, 5})) << "the Keras kernel (5, 5, 3, 32) as PyTorch's weight";
    EXPECT_EQ(ws.scene->weight_source.kind, SceneWeights::Kind::Npy);
}

// A preset without a scene file (same_16) or a layer edit asked for after a preset whose scene file is still loading
// applies after that scene, not before it (the loaded scene replaced it: two preset clicks in a row ended on the
// first).
TEST_F(WorkspaceIntents, AnEditAskedForAfterASceneFileAppliesOnTopOfIt) {
    ws.push(intent::ApplyPreset{"batch_vs_channel"});
    ws.push(intent::ApplyPreset{"same_16"});
    begin_frame();
    EXPECT_EQ(ws.waiting_intents.size(), 1u) << "same_16 waits for the batch scene";
    settle();
    EXPECT_EQ(ws.preset_key, "same_16");
    EXPECT_EQ(ws.edit.layer.in_channels, 16);

    ws.push(intent::ApplyPreset{"batch_vs_channel"});
    LayerEdit e = default_edit();
    e.layer.out_channels = 7;
    ws.push(intent::EditLayer{e});
    settle();
    EXPECT_EQ(ws.scene->edit.layer.out_channels, 7) << "the edit, after the batch scene";
    EXPECT_EQ(ws.preset_key, "");
}

// Layer kind ConvTranspose asked for after a preset whose scene file is still loading stays on: the Conv scene
// arrives first and is installed under the transposed view (installing a Conv scene switched the view back to Conv,
// so the kind asked for last was lost).
TEST_F(WorkspaceIntents, TheTransposedViewAskedForAfterASceneFileStaysOn) {
    ws.push(intent::ApplyPreset{"conv1d"});
    ws.push(intent::SetLayerKind{true});
    settle();
    EXPECT_TRUE(ws.transpose.active);
    EXPECT_EQ(ws.scene->geo.dims, 1) << "the preset's Conv scene is installed underneath";
    // the same with a transposed preset (what the Q7 lesson starts with) after a Conv edit still computing on the
    // worker (the default layer: 14.7 M multiply-adds)
    ws.push(intent::SetLayerKind{false});
    ws.push(intent::ApplyPreset{"default"});
    settle();
    ws.push(intent::ApplySetting{"padding", "1"});
    ws.push(intent::TransposePreset{"checkerboard"});
    begin_frame();
    EXPECT_TRUE(ws.pending) << "padding 1 is computing";
    settle();
    EXPECT_TRUE(ws.transpose.active);
    EXPECT_EQ(ws.transpose.preset_key, "checkerboard");
    EXPECT_EQ(ws.scene->geo.pad_begin[0], 1) << "the edit, installed under the transposed view";
}

// Lessons, the UI scale and the Batch vs channel cursor belong to the window: they are handed back in the order they
// were asked for, between the workspace's own intents, which still apply.
TEST_F(WorkspaceIntents, WindowIntentsAreHandedBackInOrder) {
    ws.push(intent::SetSpeed{12.0f});
    ws.push(intent::LessonGo{2});
    ws.push(intent::SetUiScale{1.5f});
    ws.push(intent::SetGranularity{Granularity::Mac});
    ws.push(intent::LessonClose{});
    begin_frame();
    const std::vector<size_t> expected{Intent(intent::LessonGo{}).index(), Intent(intent::SetUiScale{}).index(),
                                       Intent(intent::LessonClose{}).index()};
    EXPECT_EQ(window.seen, expected);
    EXPECT_FLOAT_EQ(ws.speed, 12.0f);
    EXPECT_EQ(ws.granularity, Granularity::Mac);
}

// A layer the engine refuses keeps the scene on screen and says PyTorch's text; a cursor move after it still applies
// (to the scene on screen).
TEST_F(WorkspaceIntents, AnInvalidEditKeepsTheSceneAndLaterIntentsApply) {
    const uint64_t before = ws.scene->id;
    ws.push(intent::ApplySetting{"kernel_size", "40"});
    ws.push(intent::MoveCursor{0, 2, 3, 4});
    settle();
    EXPECT_EQ(ws.scene->id, before);
    EXPECT_NE(ws.edit_error.find("Kernel size can't be greater than actual input size"), std::string::npos)
        << ws.edit_error;
    EXPECT_EQ(ws.cs.c_out, 2);
    EXPECT_EQ(ws.cs.y, 3);
    EXPECT_EQ(ws.cs.x, 4);
}

// Saving asks before replacing a file: the workspace names it for the window's "Overwrite?" and writes nothing.
TEST_F(WorkspaceIntents, SavingOverAFileAsksFirst) {
    TempDir dir;
    const std::string path = dir.file("mine.json");
    std::ofstream(path) << "{\"keep\": true}";
    ws.push(intent::SaveScene{path, false, SceneView{}});
    begin_frame();
    EXPECT_EQ(ws.requests.confirm_overwrite, path);
    std::ifstream in(path);
    const std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(kept, "{\"keep\": true}");
    ws.requests = ViewRequests{};
    ws.push(intent::SaveScene{path, true, SceneView{}});
    begin_frame();
    EXPECT_TRUE(ws.requests.overwrite_confirmed);
    EXPECT_FALSE(ws.status_error) << ws.status;
    EXPECT_EQ(ws.scene_path, std::filesystem::absolute(path).string());
}

}  // namespace
