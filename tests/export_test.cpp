// Export encoding (app/workspace/export_*): targets and frame plans, limits, atomic outputs, PNG determinism,
// the GIF encoder decoded back with giflib's own DGifSlurp (an independent decoder path), the ffmpeg pipe's
// failure reporting, the tensor files and the caption.
#include <gif_lib.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "cursor.hpp"
#include "export_caption.hpp"
#include "export_encode.hpp"
#include "export_plan.hpp"
#include "export_tensors.hpp"
#include "npy.hpp"
#include "test_util.hpp"

namespace convscope {
namespace {

using namespace workspace;
using testing::TempDir;
using testing::throws_with;
namespace fs = std::filesystem;

std::vector<std::string> listing(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A frame with more than 255 colours (a gradient), a moving square and flat areas.
RgbImage test_frame(int w, int h, int k) {
    RgbImage f{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * static_cast<size_t>(h) * 3)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            uint8_t* p = f.rgb.data() + (static_cast<size_t>(y) * static_cast<size_t>(w) + static_cast<size_t>(x)) * 3;
            if (y < h / 2) {
                p[0] = static_cast<uint8_t>(x * 255 / (w - 1));
                p[1] = static_cast<uint8_t>(y * 255 / (h - 1));
                p[2] = static_cast<uint8_t>(128 + (x * 7 + y * 3) % 100);
            } else {
                p[0] = 26, p[1] = 27, p[2] = 31;  // the dark window background
            }
            if (x >= 4 + k * 3 && x < 12 + k * 3 && y >= h - 12 && y < h - 4) p[0] = 250, p[1] = 200, p[2] = 20;
        }
    return f;
}

std::string read_all(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// ---- targets and plans ----

TEST(ExportTarget, FormatFromTheName) {
    TempDir d;
    EXPECT_EQ(export_target_of(d.file("a.png")).format, ExportFormat::Png);
    EXPECT_EQ(export_target_of(d.file("a.GIF")).format, ExportFormat::Gif);
    EXPECT_EQ(export_target_of(d.file("a.mp4")).format, ExportFormat::Mp4);
    EXPECT_EQ(export_target_of(d.file("a.webm")).format, ExportFormat::Webm);
    const ExportTarget folder = export_target_of(d.path());
    EXPECT_EQ(folder.format, ExportFormat::PngSequence);
    EXPECT_TRUE(folder.whole_folder);
    EXPECT_EQ(folder.frame_path(7), d.path() + "/frame_00007.png");
    const ExportTarget slash = export_target_of(d.file("frames/"));
    EXPECT_EQ(slash.format, ExportFormat::PngSequence);
    EXPECT_EQ(slash.dir, d.file("frames"));
    const ExportTarget pattern = export_target_of(d.file("conv_%03d.png"));
    EXPECT_EQ(pattern.format, ExportFormat::PngSequence);
    EXPECT_FALSE(pattern.whole_folder);
    EXPECT_EQ(pattern.frame_path(12), d.path() + "/conv_012.png");
}

TEST(ExportTarget, RefusesWhatItCannotWrite) {
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("out.jpg"); }, {"out.jpg", ".gif", ".mp4"}));
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("f_%s.png"); }, {"%d"}));
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("f_%d_%d.png"); }, {"exactly one"}));
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("f_%05d.gif"); }, {".png"}));
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of(""); }, {"empty"}));
    // fuzz_export found "%05D" accepted (the match ignored case) and then a crash looking for the 'd'; printf has no %D
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("f_%05D.png"); }, {"%05d"}));
    EXPECT_TRUE(throws_with<ExportError>([] { export_target_of("f_%LLD.png"); }, {"%05d"}));
    EXPECT_EQ(export_target_of("/tmp/f_%05d.PNG").frame_path(3), "/tmp/f_00003.PNG");
}

TEST(ExportTarget, LongPatternsAreNotTruncated) {
    const std::string stem(600, 'a');  // longer than any fixed name buffer
    const ExportTarget t = export_target_of("/tmp/" + stem + "_%05d.png");
    EXPECT_EQ(t.frame_path(42), "/tmp/" + stem + "_00042.png");
}

TEST(ExportPlan, StepRanges) {
    EXPECT_EQ(plan_frames(parse_step_range("2:5"), 10, 7, 0, 0), (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(plan_frames(parse_step_range("all"), 3, 1, 0, 0), (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(plan_frames(parse_step_range("row"), 100, 40, 32, 35), (std::vector<int64_t>{32, 33, 34, 35}));
    EXPECT_EQ(plan_frames(parse_step_range(""), 100, 40, 32, 35), (std::vector<int64_t>{40}));
    EXPECT_EQ(plan_frames(parse_step_range("current"), 100, 0, 0, 0), (std::vector<int64_t>{0}));
    EXPECT_TRUE(
        throws_with<ExportError>([] { plan_frames(parse_step_range("0:64"), 50, 0, 0, 0); }, {"0:64", "50 steps"}));
    EXPECT_TRUE(throws_with<ExportError>([] { parse_step_range("5:5"); }, {"empty"}));
    for (const char* bad : {"a:b", "1:", ":3", "-1:4", "3", "1:2:3", "99999999999999999999:1"})
        EXPECT_TRUE(throws_with<ExportError>([&] { parse_step_range(bad); }, {"--steps"})) << bad;
    EXPECT_TRUE(throws_with<ExportError>([] { plan_frames(parse_step_range("all"), 200001, 0, 0, 0); },
                                         {"200,001 frames", "100,000"}));
    EXPECT_EQ(parse_granularity("mac"), Granularity::Mac);
    EXPECT_TRUE(throws_with<ExportError>([] { parse_granularity("pixel"); }, {"position, channel or mac"}));
}

TEST(ExportPlan, CommandLineFlags) {
    ExportRequest r;
    const std::vector<std::string> args = {"convscope", "--export", "x.gif", "--scale", "3",    "--caption", "--steps",
                                           "0:64",      "--theme",  "light", "--fps",   "12.5", "--scene",   "s"};
    size_t i = 1;
    while (i < args.size() && parse_export_flag(args, i, r)) {
    }
    EXPECT_EQ(i, 12u);  // stops at --scene, which is not an export flag
    EXPECT_EQ(r.out, "x.gif");
    EXPECT_EQ(r.scale, 3);
    EXPECT_TRUE(r.caption);
    EXPECT_EQ(r.steps, "0:64");
    EXPECT_EQ(r.theme, "light");
    EXPECT_DOUBLE_EQ(r.fps, 12.5);
    const auto bad = [](std::vector<std::string> a, std::vector<std::string> words) {
        ExportRequest q;
        size_t j = 0;
        return throws_with<ExportError>([&] { parse_export_flag(a, j, q); }, words);
    };
    EXPECT_TRUE(bad({"--scale", "5"}, {"--scale", "1, 2, 3 or 4", "'5'"}));
    EXPECT_TRUE(bad({"--scale", "1e9"}, {"--scale"}));
    EXPECT_TRUE(bad({"--scale"}, {"--scale needs a value"}));
    EXPECT_TRUE(bad({"--fps", "0"}, {"--fps"}));
    EXPECT_TRUE(bad({"--fps", "nan"}, {"--fps"}));
    EXPECT_TRUE(bad({"--hold", "-1"}, {"--hold"}));
    EXPECT_TRUE(bad({"--theme", "blue"}, {"dark or light"}));
    EXPECT_TRUE(bad({"--panel", "kernels"}, {"--panel", "kernels"}));
    EXPECT_EQ(export_panel_title("Channel_Sums"), "Channel sums");
    EXPECT_EQ(export_panel_title("relu-pool"), "then ReLU + pool");
    EXPECT_EQ(export_panel_title("window"), "");
}

TEST(ExportLimits, CheckedBeforeStarting) {
    TempDir d;
    const ExportTarget gif = export_target_of(d.file("a.gif"));
    EXPECT_NO_THROW(check_export_limits(gif, 1280, 800, 64));
    EXPECT_TRUE(throws_with<ExportError>([&] { check_export_limits(gif, 8193, 800, 1); }, {"8193 x 800", "8192"}));
    EXPECT_TRUE(throws_with<ExportError>([&] { check_export_limits(gif, 0, 800, 1); }, {"0 x 800"}));
    EXPECT_TRUE(throws_with<ExportError>([&] { check_export_limits(gif, 100, 100, 100001); }, {"100,001", "100,000"}));
    const ExportTarget png = export_target_of(d.file("a.png"));
    EXPECT_TRUE(throws_with<ExportError>([&] { check_export_limits(png, 100, 100, 2); }, {"one frame"}));
    // 100,000 PNG frames of 8192 x 8192 (~6.7 TB) do not fit on the test machine's disk
    const ExportTarget seq = export_target_of(d.file("seq/"));
    EXPECT_GT(free_bytes_at(d.path()), 0u);
    EXPECT_TRUE(
        throws_with<ExportError>([&] { check_export_limits(seq, 8192, 8192, 100000); }, {"needs about", "bytes free"}));
}

// ---- PNG and sequences ----

TEST(ExportPng, SameFrameSameBytesAndNothingReplacedWithoutForce) {
    TempDir d;
    const RgbImage f = test_frame(37, 21, 0);
    EXPECT_EQ(encode_png(f), encode_png(f));
    EncodeOptions o;
    const ExportTarget t = export_target_of(d.file("one.png"));
    auto sink = make_frame_sink(t, o);
    sink->add(f, {});
    sink->finish();
    const std::string first = read_all(t.path);
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{"one.png"});
    EXPECT_TRUE(throws_with<ExportError>([&] { make_frame_sink(t, o); }, {"one.png", "already exists", "--force"}));
    o.force = true;
    auto again = make_frame_sink(t, o);
    again->add(test_frame(37, 21, 1), {});
    again->finish();
    EXPECT_NE(read_all(t.path), first);
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{"one.png"});
}

TEST(ExportSequence, FolderWithManifestAndCancelLeavesNothing) {
    TempDir d;
    EncodeOptions o;
    const ExportTarget t = export_target_of(d.file("frames/"));
    {
        ExportPipeline p(make_frame_sink(t, o));
        for (int k = 0; k < 5; ++k) {
            FrameInfo info;
            info.step = 10 + k;
            info.x = k;
            p.push(test_frame(16, 12, k), info);
        }
        p.finish();
    }
    const std::vector<std::string> names = listing(d.file("frames"));
    EXPECT_EQ(names, (std::vector<std::string>{"frame_00000.png", "frame_00001.png", "frame_00002.png",
                                               "frame_00003.png", "frame_00004.png", "frames.json"}));
    const std::string manifest = read_all(d.file("frames/frames.json"));
    EXPECT_NE(manifest.find("\"step\": 14"), std::string::npos) << manifest;
    EXPECT_EQ(read_all(d.file("frames/frame_00002.png")),
              std::string(reinterpret_cast<const char*>(encode_png(test_frame(16, 12, 2)).data()),
                          encode_png(test_frame(16, 12, 2)).size()));
    // a non-empty folder is refused without force
    EXPECT_TRUE(throws_with<ExportError>([&] { make_frame_sink(t, o); }, {"not empty", "--force"}));
    // cancel: neither the pattern's files nor a temporary folder remain
    const ExportTarget pat = export_target_of(d.file("p_%04d.png"));
    {
        ExportPipeline p(make_frame_sink(pat, o));
        p.push(test_frame(16, 12, 0), {});
        p.push(test_frame(16, 12, 1), {});
        p.cancel();
    }
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{"frames"});
    // a pipeline destroyed without finish() removes its output too
    {
        ExportPipeline p(make_frame_sink(export_target_of(d.file("gone.gif")), o));
        p.push(test_frame(16, 12, 0), {});
    }
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{"frames"});
}

TEST(ExportErrors, UnwritableOrMissingFolderNamesTheFileAndTheReason) {
    EncodeOptions o;
    EXPECT_TRUE(throws_with<ExportError>([&] { make_frame_sink(export_target_of("/proc/convscope_x.gif"), o); },
                                         {"/proc/convscope_x.gif", "temporary file"}));
    TempDir d;
    EXPECT_TRUE(throws_with<ExportError>([&] { make_frame_sink(export_target_of(d.file("no/such/x.png")), o); },
                                         {"x.png", "No such file or directory"}));
    EXPECT_TRUE(throws_with<ExportError>([&] { make_frame_sink(export_target_of(d.file("no/f_%03d.png")), o); },
                                         {"no such folder"}));
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{});
}

// ---- GIF, decoded with giflib's DGifSlurp ----

struct DecodedGif {
    int width = 0, height = 0;
    bool loops = false;
    std::vector<int> delays;
    std::vector<std::vector<uint8_t>> frames;  // composited RGB
    std::vector<std::array<int, 4>> rects;
};

DecodedGif decode_gif(const std::string& path) {
    DecodedGif out;
    int err = 0;
    GifFileType* g = DGifOpenFileName(path.c_str(), &err);
    EXPECT_NE(g, nullptr) << GifErrorString(err);
    if (!g) return out;
    EXPECT_EQ(DGifSlurp(g), GIF_OK);
    out.width = g->SWidth, out.height = g->SHeight;
    std::vector<uint8_t> canvas(static_cast<size_t>(g->SWidth) * static_cast<size_t>(g->SHeight) * 3, 0);
    for (int i = 0; i < g->ImageCount; ++i) {
        const SavedImage& im = g->SavedImages[i];
        GraphicsControlBlock gcb;
        DGifSavedExtensionToGCB(g, i, &gcb);
        out.delays.push_back(gcb.DelayTime);
        for (int e = 0; e < im.ExtensionBlockCount; ++e) {
            const ExtensionBlock& b = im.ExtensionBlocks[e];
            if (b.Function == APPLICATION_EXT_FUNC_CODE && b.ByteCount == 11 &&
                std::memcmp(b.Bytes, "NETSCAPE2.0", 11) == 0)
                out.loops = true;
        }
        const ColorMapObject* map = im.ImageDesc.ColorMap ? im.ImageDesc.ColorMap : g->SColorMap;
        const GifImageDesc& dsc = im.ImageDesc;
        out.rects.push_back({dsc.Left, dsc.Top, dsc.Width, dsc.Height});
        for (int y = 0; y < dsc.Height; ++y)
            for (int x = 0; x < dsc.Width; ++x) {
                const int idx = im.RasterBits[y * dsc.Width + x];
                if (idx == gcb.TransparentColor) continue;
                uint8_t* p = canvas.data() + (static_cast<size_t>(dsc.Top + y) * static_cast<size_t>(g->SWidth) +
                                              static_cast<size_t>(dsc.Left + x)) *
                                                 3;
                p[0] = map->Colors[idx].Red, p[1] = map->Colors[idx].Green, p[2] = map->Colors[idx].Blue;
            }
        out.frames.push_back(canvas);
    }
    DGifCloseFile(g, &err);
    return out;
}

double psnr(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
    double sq = 0;
    for (size_t i = 0; i < a.size(); ++i) sq += (a[i] - b[i]) * (a[i] - b[i]);
    if (sq == 0) return 99.0;
    return 10.0 * std::log10(255.0 * 255.0 * static_cast<double>(a.size()) / sq);
}

TEST(ExportGif, FramesDelaysLoopQualityAndOnlyChangesReencoded) {
    TempDir d;
    EncodeOptions o;
    o.fps = 8;  // 12.5 -> delays alternate 12/13 (1/100 s) without drift
    o.hold_seconds = 1.0;
    const ExportTarget t = export_target_of(d.file("a.gif"));
    std::vector<RgbImage> src;
    {
        ExportPipeline p(make_frame_sink(t, o));
        for (int k = 0; k < 6; ++k) {
            src.push_back(test_frame(61, 40, k));
            p.push(src.back(), {});
        }
        src.push_back(src.back());  // an unchanged frame still counts
        p.push(src.back(), {});
        p.finish();
    }
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{"a.gif"});
    const DecodedGif g = decode_gif(t.path);
    ASSERT_EQ(g.frames.size(), src.size());
    EXPECT_EQ(g.width, 61);
    EXPECT_EQ(g.height, 40);
    EXPECT_TRUE(g.loops);
    int total = 0;
    for (size_t i = 0; i + 1 < g.delays.size(); ++i) total += g.delays[i];
    EXPECT_EQ(total, 75);                  // 6 frames at 8 fps = 0.75 s
    EXPECT_EQ(g.delays.back(), 13 + 100);  // the last frame's own 1/8 s plus the 1 s hold
    for (size_t k = 0; k < src.size(); ++k) EXPECT_GE(psnr(g.frames[k], src[k].rgb), 30.0) << "frame " << k;
    // frame 1 differs from frame 0 only where the square moved: a small rectangle in the lower half
    EXPECT_GE(g.rects[1][1], 20);
    EXPECT_LE(g.rects[1][2] * g.rects[1][3], 15 * 8);
    EXPECT_EQ(g.rects.back()[2] * g.rects.back()[3], 1);
}

TEST(ExportGif, PlaysOnceWhenAskedAndRefusesTooFastRates) {
    TempDir d;
    EncodeOptions o;
    o.loop = false;
    const ExportTarget t = export_target_of(d.file("once.gif"));
    auto sink = make_frame_sink(t, o);
    sink->add(test_frame(20, 20, 0), {});
    sink->finish();
    EXPECT_FALSE(decode_gif(t.path).loops);
    o.fps = 60;
    EXPECT_TRUE(
        throws_with<ExportError>([&] { make_frame_sink(export_target_of(d.file("fast.gif")), o); }, {"50 per second"}));
}

// ---- ffmpeg failures are reported with its exit status and stderr; nothing is left ----

TEST(ExportVideo, FailingEncoderReportsStatusAndStderr) {
    TempDir d, bin;
    {
        std::ofstream f(bin.file("ffmpeg"));
        f << "#!/bin/sh\ncat > /dev/null\necho 'Unknown encoder libx264 (test)' >&2\nexit 3\n";
    }
    ::chmod(bin.file("ffmpeg").c_str(), 0755);
    const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", bin.path().c_str(), 1);
    EncodeOptions o;
    std::string message;
    try {
        ExportPipeline p(make_frame_sink(export_target_of(d.file("v.mp4")), o));
        for (int k = 0; k < 3; ++k) p.push(test_frame(30, 20, k), {});
        p.finish();
    } catch (const ExportError& e) {
        message = e.what();
    }
    ::setenv("PATH", bin.file("missing").c_str(), 1);
    std::string missing;
    try {
        make_frame_sink(export_target_of(d.file("v.webm")), o);
    } catch (const ExportError& e) {
        missing = e.what();
    }
    ::setenv("PATH", old_path.c_str(), 1);
    EXPECT_NE(message.find("v.mp4: ffmpeg exited with status 3"), std::string::npos) << message;
    EXPECT_NE(message.find("Unknown encoder libx264 (test)"), std::string::npos) << message;
    EXPECT_NE(missing.find("needs the ffmpeg program"), std::string::npos) << missing;
    EXPECT_NE(missing.find(".gif"), std::string::npos) << missing;
    EXPECT_EQ(listing(d.path()), std::vector<std::string>{});
}

// ---- tensors and caption ----

TEST(ExportTensors, PyTorchLayoutFilesAndTheCursorWindow) {
    // 1-D: x (1, 2, 5), w (3, 2, 3), padding 1: the window of y[0, 2, 0] reads x[:, -1..1] (zero padding first)
    ConvParams p;
    p.dims = 1;
    p.padding = {1};
    Tensor x({1, 2, 1, 5}), w({3, 2, 1, 3}), b({3});
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i + 1);
    for (int64_t i = 0; i < w.numel(); ++i) w[i] = 0.5f * static_cast<float>(i % 4) - 0.5f;
    b[2] = 0.25f;
    const ConvGeometry g = conv_geometry(p, {1, 2, 5}, {3, 2, 3}, Shape{3});
    const ConvCursor cur(g, x, w, &b);
    const CursorState cs = cur.state_at(cur.step_of(0, 2, 0, 0, Granularity::Position), Granularity::Position);
    const Tensor win = cursor_window(g, cs);
    EXPECT_EQ(win.shape, (Shape{2, 3}));
    EXPECT_EQ(win.data, (FloatStorage{0, 1, 2, 0, 6, 7}));
    float y = b[2];
    for (int64_t i = 0; i < 6; ++i) y += win[i] * w[12 + i];
    EXPECT_FLOAT_EQ(y, cs.value);

    TempDir d;
    Tensor out({1, 3, 1, 5});
    SceneTensors t{g, &x, &w, &b, &out, cs};
    const auto written = export_tensors(d.file("t"), t, false);
    EXPECT_EQ(written.size(), 5u);
    EXPECT_EQ(npy_load(d.file("t/input.npy")).shape, (Shape{1, 2, 5}));
    EXPECT_EQ(npy_load(d.file("t/weight.npy")).shape, (Shape{3, 2, 3}));
    EXPECT_EQ(npy_load(d.file("t/output.npy")).shape, (Shape{1, 3, 5}));
    EXPECT_TRUE(throws_with<ExportError>([&] { export_tensors(d.file("t"), t, false); }, {"input.npy", "--force"}));
    t.bias = nullptr;
    export_tensors(d.file("t"), t, true);  // no bias now: the old bias.npy goes
    EXPECT_EQ(listing(d.file("t")), (std::vector<std::string>{"input.npy", "output.npy", "weight.npy", "window.npy"}));
    EXPECT_TRUE(throws_with<ExportError>([&] { export_tensors(d.file("t/input.npy"), t, true); }, {"not a folder"}));
}

TEST(ExportCaption, EquationTextAndAStripOfDarkTextOnLight) {
    ConvParams p;
    Tensor x({1, 3, 4, 4}), w({2, 3, 3, 3}), b({2});
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = 0.01f * static_cast<float>(i % 11) - 0.05f;
    for (int64_t i = 0; i < w.numel(); ++i) w[i] = 0.1f;
    const ConvGeometry g = conv_geometry(p, {1, 3, 4, 4}, {2, 3, 3, 3}, Shape{2});
    const ConvCursor cur(g, x, w, &b);
    const CursorState done = cur.state_at(cur.step_of(0, 1, 1, 0, Granularity::Channel), Granularity::Channel);
    const std::string eq = cursor_equation(g, done, true);
    EXPECT_EQ(eq.rfind("y[0, 1, 1, 0] = (", 0), 0u) << eq;
    EXPECT_NE(eq.find(") + 0.00 = "), std::string::npos) << eq;
    const CursorState part = cur.state_at(cur.step_of(0, 1, 1, 0, Granularity::Channel) - 1, Granularity::Channel);
    EXPECT_NE(cursor_equation(g, part, true).find("+ ( ? ) + 0.00 = ..."), std::string::npos)
        << cursor_equation(g, part, true);

    const CaptionFont font(std::string(CONVSCOPE_ASSET_DIR) + "/fonts/DejaVuSansMono.ttf");
    RgbImage frame{200, 10, std::vector<uint8_t>(200 * 10 * 3, 128)};
    for (float scale : {1.0f, 3.0f}) {
        const RgbImage c = font.with_caption(frame, eq, scale, true);
        ASSERT_EQ(c.height, 10 + font.strip_height(scale));
        EXPECT_EQ(std::vector<uint8_t>(c.rgb.begin(), c.rgb.begin() + 200 * 10 * 3), frame.rgb);
        int dark = 0, light = 0;
        for (size_t i = 200 * 10 * 3; i < c.rgb.size(); i += 3) (c.rgb[i] < 100 ? dark : light) += 1;
        EXPECT_GT(dark, 20 * static_cast<int>(scale));
        EXPECT_GT(light, dark);
    }
    EXPECT_TRUE(throws_with<ExportError>([] { CaptionFont("/nonexistent/font.ttf"); }, {"/nonexistent/font.ttf"}));
}

}  // namespace
}  // namespace convscope
