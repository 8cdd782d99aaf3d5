// Export planning, shared by File -> Export..., the --export command line and the `export` script verb:
// what the output file name asks for (format), which steps become frames, the limits checked before anything is
// written, and the caption's equation text. No GL, no ImGui: the window renders the frames, export_encode.hpp
// writes them.
//
// Sections: errors · formats and targets · frame ranges · limits and estimates · caption text
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "cursor.hpp"

namespace convscope::workspace {

// Anything that stops an export: a bad option, a limit, an existing output, the OS refusing, a failed encoder.
// The message names the file or option and says why.
class ExportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// ---- formats and targets ----
enum class ExportFormat { Png, PngSequence, Gif, Mp4, Webm };
const char* export_format_name(ExportFormat f);  // "PNG", "PNG sequence", "GIF", "MP4 (H.264)", "WebM (VP9)"

// Where the frames go. For a sequence, files are `dir`/printf(pattern, k) plus `dir`/frames.json.
struct ExportTarget {
    ExportFormat format = ExportFormat::Png;
    std::string path;           // the output as given (file, folder or pattern)
    std::string dir;            // the folder the output lives in (sequences: the folder holding the frames)
    std::string pattern;        // sequences only: e.g. "frame_%05d.png"
    bool whole_folder = false;  // sequences: `path` names a folder that the export creates (or replaces with force)
    std::string frame_path(int64_t k) const;  // sequences: dir/pattern with k
};

// From the name: ".png" one frame; "name_%05d.png" (one %d or %0Nd) a sequence in that file's folder; a name
// ending in '/' or an existing folder or a name without extension a sequence "frame_%05d.png" in that folder;
// ".gif", ".mp4", ".webm". Anything else: ExportError naming the extensions understood.
ExportTarget export_target_of(const std::string& out);

// ---- frame ranges ----
struct StepRange {
    enum class Kind { Current, Range, All, Row } kind = Kind::Current;
    int64_t first = 0, end = 0;  // Range: steps first .. end-1 (Python slice A:B)
};
// "A:B" (A < B, both >= 0), "all", "row", "current" or "" (the current step). ExportError otherwise.
StepRange parse_step_range(const std::string& text);
// "position" | "channel" | "mac" (Playback's granularities). ExportError otherwise.
Granularity parse_granularity(const std::string& text);

// The steps that become frames, in order. `row_first`..`row_last` are the first and last step of the current
// output row at the export's granularity. A range past the last step is an ExportError (nothing is clamped).
std::vector<int64_t> plan_frames(const StepRange& range, int64_t step_count, int64_t current, int64_t row_first,
                                 int64_t row_last);

// ---- limits and estimates ----
inline constexpr int kMaxExportSide = 8192;
inline constexpr int64_t kMaxExportFrames = 100000;
inline constexpr int kMaxExportScale = 4;

// Rough output size in bytes (PNG ~1 byte/pixel, GIF: the first frame whole + changes, video ~0.05 byte/pixel).
uint64_t estimate_export_bytes(ExportFormat f, int width, int height, int64_t frames);

// Checks the frame size (1..8192 a side), the frame count (1..100,000) and the estimate against the free space
// of `dir` (statvfs). Throws ExportError with the numbers.
void check_export_limits(const ExportTarget& target, int width, int height, int64_t frames);

// Free bytes for an unprivileged user in the folder holding `dir` (statvfs f_bavail * f_frsize).
uint64_t free_bytes_at(const std::string& dir);

// ---- the request: what --export and its options (and the dialog, and the `export` script verb) ask for ----
struct ExportRequest {
    std::string out;                // --export OUT
    std::string panel;              // --panel NAME ("" = the whole window)
    std::string steps = "current";  // --steps A:B | all | row | current
    std::string granularity;        // --granularity position|channel|mac ("" = Playback's)
    double fps = 10.0;              // --fps F (0 < F <= 120; GIF <= 50)
    double hold_seconds = 0.0;      // --hold SECONDS
    int scale = 1;                  // --scale S (1..4)
    std::string theme;              // --theme dark|light ("" = as on screen)
    bool caption = false;           // --caption
    bool loop = true;               // --once: a GIF that plays once
    bool force = false;             // --force
};

// The panels --panel accepts, as the user writes them (case-insensitive, '_' or '-' for spaces):
// input, computation, channel-sums, feature-maps, filters, layer, relu-pool ("then ReLU + pool"), playback, window.
// Returns the ImGui window title ("" for the whole window), ExportError for other names.
std::string export_panel_title(const std::string& name);

// Command-line flags of an export: argv[i] is one of --export --panel --steps --granularity --fps --hold --scale
// --theme --caption --once --force (with its value at argv[i+1]). Returns false when argv[i] is not one of them;
// else consumes it (advancing i past the value) and checks the value (ExportError with the flag's name).
bool parse_export_flag(const std::vector<std::string>& args, size_t& i, ExportRequest& r);

// ---- caption ----
// The equation at the cursor, as the Computation panel writes it:
//   "y[0, 8, 16, 16] = (-0.37) + (-0.28) + (-0.12) + 0.00 = -0.77"
// (one parenthesised sum per input channel of the group, the bias last; "( ? )" for channels not reached yet,
// "..." for the value before the position is complete; more than 8 channels are elided in the middle).
std::string cursor_equation(const ConvGeometry& g, const CursorState& cs, bool has_bias);

}  // namespace convscope::workspace
