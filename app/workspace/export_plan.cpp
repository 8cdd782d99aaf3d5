#include "export_plan.hpp"

#include "convention_texts.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "file_io.hpp"

namespace convscope::workspace {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return s;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string parent_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

bool parse_nonnegative(const std::string& s, int64_t& out) {
    if (s.empty() || s.size() > 18) return false;
    int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

}  // namespace

const char* export_format_name(ExportFormat f) {
    switch (f) {
        case ExportFormat::Png:
            return "PNG";
        case ExportFormat::PngSequence:
            return "PNG sequence";
        case ExportFormat::Gif:
            return "GIF";
        case ExportFormat::Mp4:
            return "MP4 (H.264)";
        case ExportFormat::Webm:
            return "WebM (VP9)";
    }
    return "?";
}

std::string ExportTarget::frame_path(int64_t k) const {
    // the pattern holds exactly one %lld (export_target_of); any length (no fixed buffer to truncate the name)
    const int n = std::snprintf(nullptr, 0, pattern.c_str(), static_cast<long long>(k));
    std::string name(static_cast<size_t>(n > 0 ? n : 0) + 1, '\0');
    std::snprintf(name.data(), name.size(), pattern.c_str(), static_cast<long long>(k));
    name.pop_back();
    return dir + "/" + name;
}

ExportTarget export_target_of(const std::string& out) {
    if (out.empty()) throw ExportError("export: the output name is empty");
    ExportTarget t;
    t.path = out;
    const std::string base = file_base_name(out);
    const std::string low = lower(base);
    const auto ends = [&](const char* ext) {
        const size_t n = std::strlen(ext);
        return low.size() > n && low.compare(low.size() - n, n, ext) == 0;
    };
    const size_t percent = base.find('%');
    if (percent != std::string::npos) {
        // exactly one %d or %0Nd (N = 1..9) and nothing else printf would read; the counter in lower case (printf
        // has no %D), the extension in any case
        static const std::regex one_counter(R"(^[^%]*%(0[1-9])?(lld|d)[^%]*\.[pP][nN][gG]$)");
        if (!std::regex_match(base, one_counter))
            throw ExportError(out +
                              ": a frame-sequence pattern needs exactly one %d or %05d-style counter and "
                              "the extension .png, e.g. frame_%05d.png");
        t.format = ExportFormat::PngSequence;
        t.dir = parent_of(out);
        t.pattern = base;
        if (t.pattern.find("lld") == std::string::npos) t.pattern.insert(t.pattern.find('d', percent), "ll");
        return t;
    }
    if (base.empty() || is_directory(out) || base.find('.') == std::string::npos) {
        t.format = ExportFormat::PngSequence;
        t.dir = out;
        while (t.dir.size() > 1 && t.dir.back() == '/') t.dir.pop_back();
        t.pattern = "frame_%05lld.png";
        t.whole_folder = true;
        return t;
    }
    t.dir = parent_of(out);
    if (ends(".png"))
        t.format = ExportFormat::Png;
    else if (ends(".gif"))
        t.format = ExportFormat::Gif;
    else if (ends(".mp4"))
        t.format = ExportFormat::Mp4;
    else if (ends(".webm"))
        t.format = ExportFormat::Webm;
    else
        throw ExportError(out +
                          ": convscope exports .png (one frame), a folder or name_%05d.png (a frame "
                          "sequence), .gif, .mp4 or .webm; the extension says which");
    return t;
}

StepRange parse_step_range(const std::string& text) {
    StepRange r;
    if (text.empty() || text == "current") return r;
    if (text == "all") {
        r.kind = StepRange::Kind::All;
        return r;
    }
    if (text == "row") {
        r.kind = StepRange::Kind::Row;
        return r;
    }
    const size_t colon = text.find(':');
    int64_t a = 0, b = 0;
    if (colon == std::string::npos || !parse_nonnegative(text.substr(0, colon), a) ||
        !parse_nonnegative(text.substr(colon + 1), b))
        throw ExportError("--steps takes A:B (steps A to B-1, like a Python slice), all, row or current; got '" + text +
                          "'");
    if (b <= a) throw ExportError("--steps " + text + " is empty: B must be larger than A");
    r.kind = StepRange::Kind::Range;
    r.first = a;
    r.end = b;
    return r;
}

Granularity parse_granularity(const std::string& text) {
    if (text == "position") return Granularity::Position;
    if (text == "channel") return Granularity::Channel;
    if (text == "mac") return Granularity::Mac;
    throw ExportError("--granularity takes position, channel or mac; got '" + text + "'");
}

std::vector<int64_t> plan_frames(const StepRange& range, int64_t step_count, int64_t current, int64_t row_first,
                                 int64_t row_last) {
    int64_t first = current, end = current + 1;
    switch (range.kind) {
        case StepRange::Kind::Current:
            break;
        case StepRange::Kind::All:
            first = 0, end = step_count;
            break;
        case StepRange::Kind::Row:
            first = row_first, end = row_last + 1;
            break;
        case StepRange::Kind::Range:
            if (range.end > step_count)
                throw ExportError("--steps " + std::to_string(range.first) + ":" + std::to_string(range.end) +
                                  " goes past the last step: this layer has " +
                                  grouped_int(static_cast<uint64_t>(step_count)) +
                                  " steps at this granularity (0:" + std::to_string(step_count) + ")");
            first = range.first, end = range.end;
            break;
    }
    if (first < 0 || end > step_count || first >= end)
        throw ExportError("no steps to export (" + std::to_string(first) + ":" + std::to_string(end) + " of " +
                          std::to_string(step_count) + ")");
    if (end - first > kMaxExportFrames)
        throw ExportError("the export would have " + grouped_int(static_cast<uint64_t>(end - first)) +
                          " frames; convscope exports at most " + grouped_int(kMaxExportFrames) +
                          " (choose a smaller --steps A:B, the row, or a coarser --granularity)");
    std::vector<int64_t> steps(static_cast<size_t>(end - first));
    for (size_t i = 0; i < steps.size(); ++i) steps[i] = first + static_cast<int64_t>(i);
    return steps;
}

uint64_t estimate_export_bytes(ExportFormat f, int width, int height, int64_t frames) {
    const double px = static_cast<double>(width) * static_cast<double>(height);
    const double n = static_cast<double>(frames);
    double bytes = 0;
    switch (f) {
        case ExportFormat::Png:
            bytes = px * 1.0;
            break;
        case ExportFormat::PngSequence:
            bytes = px * 1.0 * n;
            break;
        case ExportFormat::Gif:
            bytes = px * 0.5 + px * 0.02 * (n - 1);
            break;
        case ExportFormat::Mp4:
        case ExportFormat::Webm:
            bytes = 4096 + px * 0.05 * n;
            break;
    }
    return static_cast<uint64_t>(bytes) + 4096;
}

uint64_t free_bytes_at(const std::string& dir) {
    std::string d = dir;
    // a folder the export will create: ask the nearest existing parent
    while (!is_directory(d) && d != "/" && d != ".") d = parent_of(d);
    struct statvfs vfs {};
    if (::statvfs(d.c_str(), &vfs) != 0)
        throw ExportError(dir + ": cannot read the free space there: " + std::strerror(errno));
    return static_cast<uint64_t>(vfs.f_bavail) * static_cast<uint64_t>(vfs.f_frsize);
}

void check_export_limits(const ExportTarget& target, int width, int height, int64_t frames) {
    if (width < 1 || height < 1 || width > kMaxExportSide || height > kMaxExportSide)
        throw ExportError(target.path + ": a frame of " + std::to_string(width) + " x " + std::to_string(height) +
                          " px is too large; convscope exports frames of at most " + std::to_string(kMaxExportSide) +
                          " px a side (use a smaller --scale or one --panel)");
    if (frames < 1 || frames > kMaxExportFrames)
        throw ExportError(target.path + ": " + grouped_int(static_cast<uint64_t>(frames < 0 ? 0 : frames)) +
                          " frames; convscope exports 1 to " + grouped_int(kMaxExportFrames));
    if (target.format == ExportFormat::Png && frames != 1)
        throw ExportError(target.path + ": a .png holds one frame but " + grouped_int(static_cast<uint64_t>(frames)) +
                          " steps were asked for; export a folder, name_%05d.png, .gif, .mp4 or .webm instead");
    const uint64_t need = estimate_export_bytes(target.format, width, height, frames);
    const uint64_t have = free_bytes_at(target.dir);
    if (need > have)
        throw ExportError(target.path + ": the export needs about " + grouped_int(need) + " bytes but " + target.dir +
                          " has " + grouped_int(have) + " bytes free");
}

std::string export_panel_title(const std::string& name) {
    std::string n = lower(name);
    for (char& c : n)
        if (c == '_' || c == ' ') c = '-';
    if (n.empty() || n == "window" || n == "all") return "";
    if (n == "input") return "Input";
    if (n == "computation") return "Computation";
    if (n == "channel-sums" || n == "sums") return "Channel sums";
    if (n == "feature-maps" || n == "fmaps") return "Feature maps";
    if (n == "filters") return "Filters";
    if (n == "layer") return "Layer";
    if (n == "relu-pool" || n == "then-relu-+-pool" || n == "after" || n == "pool") return "then ReLU + pool";
    if (n == "playback") return "Playback";
    if (n == "im2col" || n == "gemm") return "im2col / GEMM";  // open it first (View -> im2col / GEMM)
    throw ExportError(
        "--panel takes input, computation, channel-sums, feature-maps, filters, layer, relu-pool, "
        "playback, im2col or window; got '" +
        name + "'");
}

bool parse_export_flag(const std::vector<std::string>& args, size_t& i, ExportRequest& r) {
    const std::string& a = args[i];
    static const char* const kWithValue[] = {"--export", "--panel", "--steps", "--granularity",
                                             "--fps",    "--hold",  "--scale", "--theme"};
    bool takes_value = false, known = a == "--caption" || a == "--once" || a == "--force";
    for (const char* f : kWithValue) takes_value = takes_value || a == f;
    if (!takes_value && !known) return false;
    if (!takes_value) {
        if (a == "--caption")
            r.caption = true;
        else if (a == "--once")
            r.loop = false;
        else
            r.force = true;
        ++i;
        return true;
    }
    if (i + 1 >= args.size()) throw ExportError(a + " needs a value");
    const std::string v = args[i + 1];
    i += 2;
    auto number = [&](double lo, double hi) {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || *end != '\0' || !(x >= lo && x <= hi))
            throw ExportError(a + " takes a number from " + value_text(static_cast<float>(lo)) + " to " +
                              value_text(static_cast<float>(hi)) + "; got '" + v + "'");
        return x;
    };
    if (a == "--export")
        r.out = v;
    else if (a == "--panel") {
        export_panel_title(v);
        r.panel = v;
    } else if (a == "--steps") {
        parse_step_range(v);
        r.steps = v;
    } else if (a == "--granularity") {
        parse_granularity(v);
        r.granularity = v;
    } else if (a == "--fps") {
        r.fps = number(0.01, 120);
    } else if (a == "--hold") {
        r.hold_seconds = number(0, 3600);
    } else if (a == "--scale") {
        if (v != "1" && v != "2" && v != "3" && v != "4")
            throw ExportError(
                "--scale takes 1, 2, 3 or 4 (frames are rendered at that many times the window's "
                "pixels); got '" +
                v + "'");
        r.scale = v[0] - '0';
    } else if (a == "--theme") {
        if (v != "dark" && v != "light") throw ExportError("--theme takes dark or light; got '" + v + "'");
        r.theme = v;
    }
    return true;
}

std::string cursor_equation(const ConvGeometry& g, const CursorState& cs, bool has_bias) {
    std::string t = "y[" + std::to_string(cs.n) + ", " + std::to_string(cs.c_out) + ", ";
    if (g.dims == 2) t += std::to_string(cs.y) + ", ";
    t += std::to_string(cs.x) + "] = ";
    const int64_t kk = g.kernel[0] * g.kernel[1];
    const int64_t channels = static_cast<int64_t>(cs.channels.size());
    for (int64_t ci = 0; ci < channels; ++ci) {
        if (ci) t += " + ";
        if (channels > 8 && ci == 6) {
            t += "...";
            ci = channels - 2;
            continue;
        }
        const bool done = cs.mac >= ci * kk + kk - 1;
        t += done ? "(" + value_text(cs.channels[static_cast<size_t>(ci)].sum) + ")" : "( ? )";
    }
    if (has_bias) t += " + " + value_text(cs.bias);
    t += " = " + (cs.position_complete() ? value_text(cs.value) : std::string("..."));
    return t;
}

}  // namespace convscope::workspace
