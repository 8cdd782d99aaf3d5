// libFuzzer target: an export's user inputs (the --export flags as the command line, the dialog and the `export`
// script verb give them; the output path; the step range against a layer's step count; the frame size). Only
// ExportError may escape. Invariants: an accepted request holds values inside the documented ranges; an accepted
// output path gives a target whose format matches its name; a frame plan is non-empty, at most kMaxExportFrames
// steps, strictly increasing and inside [0, step_count). Nothing is written: check_export_limits only reads statvfs.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "export_plan.hpp"

namespace {

int64_t take_int(const uint8_t*& data, size_t& size) {
    uint64_t v = 0;
    const size_t n = size < 8 ? size : 8;
    std::memcpy(&v, data, n);
    data += n;
    size -= n;
    return static_cast<int64_t>(v >> 1);  // non-negative
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace convscope::workspace;
    // 24 bytes of numbers: the layer's step count, the cursor, the frame size; the rest: NUL-separated arguments
    const int64_t step_count = 1 + take_int(data, size) % (int64_t{1} << 40);
    const int64_t current = take_int(data, size) % step_count;
    const int64_t wh = take_int(data, size);
    const int width = static_cast<int>(wh % 20000) - 10, height = static_cast<int>((wh >> 20) % 20000) - 10;
    std::vector<std::string> args;
    std::string word;
    for (size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            args.push_back(word);
            word.clear();
        } else {
            word += static_cast<char>(data[i]);
        }
    }
    args.push_back(word);

    ExportRequest r;
    try {
        for (size_t i = 0; i < args.size();)
            if (!parse_export_flag(args, i, r)) ++i;  // an unknown word: the command line would report it
    } catch (const ExportError&) {
        return 0;
    }
    if (!(r.fps >= 0.01 && r.fps <= 120) || !(r.hold_seconds >= 0 && r.hold_seconds <= 3600) || r.scale < 1 ||
        r.scale > kMaxExportScale)
        __builtin_trap();
    try {
        if (!r.panel.empty()) (void)export_panel_title(r.panel);
        const StepRange range = parse_step_range(r.steps);
        if (!r.granularity.empty()) (void)parse_granularity(r.granularity);
        const int64_t row_first = current - current % 7,
                      row_last = row_first + 6 < step_count ? row_first + 6 : step_count - 1;
        const std::vector<int64_t> frames = plan_frames(range, step_count, current, row_first, row_last);
        if (frames.empty() || static_cast<int64_t>(frames.size()) > kMaxExportFrames) __builtin_trap();
        for (size_t i = 0; i < frames.size(); ++i)
            if (frames[i] < 0 || frames[i] >= step_count || (i && frames[i] <= frames[i - 1])) __builtin_trap();
        if (r.out.empty() || r.out.size() > 4096) return 0;
        const ExportTarget t = export_target_of(r.out);
        if (t.format == ExportFormat::PngSequence ? t.pattern.empty() : t.path != r.out) __builtin_trap();
        if (t.format == ExportFormat::PngSequence && t.frame_path(0).empty()) __builtin_trap();
        check_export_limits(t, width, height, static_cast<int64_t>(frames.size()));
        if (width < 1 || height < 1 || width > kMaxExportSide || height > kMaxExportSide) __builtin_trap();
    } catch (const ExportError&) {
        return 0;
    }
    return 0;
}
