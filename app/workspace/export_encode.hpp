// Export encoding: frames (tightly packed RGB rows, top row first) in, files out. One sink per format:
//   PNG (one frame), PNG sequence + frames.json, GIF (giflib, own median-cut palette, only changed rectangles
//   re-encoded), MP4/WebM (raw frames piped to the ffmpeg program).
// Every sink writes to unique temporary names in the output's own folder and renames them into place in
// finish(); abort() (or destroying an unfinished sink) removes everything it wrote. ExportPipeline runs a sink
// on a worker thread so that encoding overlaps with rendering.
//
// Sections: frames · sinks · pipeline · ffmpeg
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "export_plan.hpp"

namespace convscope::workspace {

// ---- frames ----
struct RgbImage {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;  // width * height * 3, row 0 at the top
};

// What frames.json records of each frame.
struct FrameInfo {
    int64_t step = 0;
    int64_t n = 0, c_out = 0, y = 0, x = 0, ci = 0, ky = 0, kx = 0;
    std::string caption;
};

struct EncodeOptions {
    double fps = 10.0;                     // frames per second (GIF delays are rounded to 1/100 s)
    double hold_seconds = 0.0;             // the last frame stays this long on top of its own duration
    bool loop = true;                      // GIF: loop forever (else play once)
    bool force = false;                    // replace an existing output
    std::string granularity = "position";  // recorded in frames.json
};

// ---- sinks ----
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void add(const RgbImage& frame, const FrameInfo& info) = 0;  // ExportError on failure
    virtual void finish() = 0;          // renames into place; ExportError on failure (then nothing is left)
    virtual void abort() noexcept = 0;  // removes everything written so far
};

// Refuses (ExportError) an existing output file, a non-empty output folder or existing sequence files unless
// options.force. Checks that the folder is writable by creating the temporary output there.
std::unique_ptr<FrameSink> make_frame_sink(const ExportTarget& target, const EncodeOptions& options);

// Encodes one PNG in memory (deterministic: the same pixels give the same bytes).
std::vector<uint8_t> encode_png(const RgbImage& frame);

// ---- pipeline: the sink on a worker thread, at most `depth` frames queued ----
class ExportPipeline {
public:
    ExportPipeline(std::unique_ptr<FrameSink> sink, size_t depth = 3);
    ~ExportPipeline();  // aborts if finish() was not called
    // Queues a frame (blocks while the queue is full). Throws the worker's ExportError if encoding failed.
    void push(RgbImage frame, FrameInfo info);
    void finish();  // waits for the queue, finishes the sink; throws its ExportError
    void cancel();  // drops queued frames, aborts the sink: nothing is left
    int64_t frames_done() const;

private:
    void run();
    std::unique_ptr<FrameSink> sink_;
    size_t depth_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<RgbImage, FrameInfo>> queue_;
    bool closing_ = false, cancelled_ = false, done_ = false;
    std::string error_;
    int64_t frames_done_ = 0;
    std::thread worker_;
};

// ---- ffmpeg ----
// True when an `ffmpeg` program is found on PATH (video export needs it; PNG and GIF do not).
bool ffmpeg_available();

}  // namespace convscope::workspace
