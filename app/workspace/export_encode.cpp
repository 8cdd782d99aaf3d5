// Sections: temporary outputs · PNG · PNG sequence · GIF (palette, frames) · ffmpeg · factory · pipeline
#include "export_encode.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gif_lib.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "file_io.hpp"

extern char** environ;

namespace convscope::workspace {

namespace {

// ---- temporary outputs ----

[[noreturn]] void os_fail(const std::string& path, const std::string& what, int err) {
    throw ExportError(path + ": " + what + ": " + std::strerror(err));
}

bool path_exists(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0;
}

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool dir_is_empty(const std::string& p) {
    DIR* d = ::opendir(p.c_str());
    if (!d) return false;
    bool empty = true;
    while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    ::closedir(d);
    return empty;
}

std::string parent_dir(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, const uint8_t* p, size_t n, const std::string& path) {
    while (n > 0) {
        const ssize_t r = ::write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) os_fail(path, "cannot write", errno);
        if (r == 0) os_fail(path, "cannot write", ENOSPC);
        p += r;
        n -= static_cast<size_t>(r);
    }
}

void fsync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// A file created under a unique name ".NAME.XXXXXX.part" in the final file's folder; removed unless committed.
class TempFile {
public:
    TempFile() = default;
    explicit TempFile(const std::string& final_path) : final_(final_path) {
        const std::string dir = parent_dir(final_path);
        std::string templ = dir + "/." + file_base_name(final_path) + ".XXXXXX.part";
        fd_ = ::mkstemps(templ.data(), 5);
        if (fd_ < 0) os_fail(final_path, "cannot create a temporary file in " + dir, errno);
        path_ = templ;
        ::fchmod(fd_, 0644);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() { discard(); }

    int fd() const { return fd_; }
    const std::string& path() const { return path_; }
    void write(const uint8_t* p, size_t n) { write_all(fd_, p, n, final_); }
    void close_fd() {
        if (fd_ >= 0 && ::close(fd_) != 0) {
            fd_ = -1;
            os_fail(final_, "cannot close the temporary file " + path_, errno);
        }
        fd_ = -1;
    }
    // fsync, close, rename over (force) or next to nothing (no force: an existing file is refused).
    void commit(bool force) {
        if (fd_ < 0) {
            fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) os_fail(final_, "cannot reopen " + path_, errno);
        }
        if (::fsync(fd_) != 0) os_fail(final_, "cannot flush " + path_ + " to disk", errno);
        close_fd();
        const unsigned flags = force ? 0u : RENAME_NOREPLACE;
        if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, final_.c_str(), flags) != 0) {
            const int err = errno;
            if (err == EEXIST) throw ExportError(final_ + " already exists (pass --force to replace it)");
            os_fail(final_, "cannot rename " + path_ + " to it", err);
        }
        path_.clear();
        fsync_dir(parent_dir(final_));
    }
    void discard() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!path_.empty()) ::unlink(path_.c_str());
        path_.clear();
    }

private:
    std::string final_, path_;
    int fd_ = -1;
};

void refuse_existing(const std::string& path, bool force) {
    if (force || !path_exists(path)) return;
    throw ExportError(path + " already exists (pass --force to replace it)");
}

// ---- PNG ----

class PngSink : public FrameSink {
public:
    PngSink(const ExportTarget& t, const EncodeOptions& o) : target_(t), opt_(o), file_(t.path) {}
    void add(const RgbImage& frame, const FrameInfo&) override {
        if (added_) throw ExportError(target_.path + ": a .png holds one frame");
        const std::vector<uint8_t> png = encode_png(frame);
        file_.write(png.data(), png.size());
        added_ = true;
    }
    void finish() override {
        if (!added_) throw ExportError(target_.path + ": no frame was rendered");
        file_.commit(opt_.force);
    }
    void abort() noexcept override { file_.discard(); }

private:
    ExportTarget target_;
    EncodeOptions opt_;
    TempFile file_;
    bool added_ = false;
};

// ---- PNG sequence ----

class PngSequenceSink : public FrameSink {
public:
    PngSequenceSink(const ExportTarget& t, const EncodeOptions& o) : target_(t), opt_(o) {
        // whole folder: frames go to a temporary folder next to it; pattern: to a temporary folder inside it
        const std::string home = target_.whole_folder ? parent_dir(target_.dir) : target_.dir;
        if (!is_dir(home)) throw ExportError(home + ": no such folder (the frames' folder must exist)");
        std::string templ =
            home + "/." + (target_.whole_folder ? file_base_name(target_.dir) : std::string("frames")) + ".part.XXXXXX";
        if (!::mkdtemp(templ.data())) os_fail(target_.path, "cannot create a temporary folder in " + home, errno);
        temp_dir_ = templ;
        frames_ = nlohmann::json::array();
    }
    ~PngSequenceSink() override { abort(); }

    void add(const RgbImage& frame, const FrameInfo& info) override {
        const std::string final_name = file_base_name(target_.frame_path(count_));
        const std::vector<uint8_t> png = encode_png(frame);
        write_new(temp_dir_ + "/" + final_name, png.data(), png.size());
        names_.push_back(final_name);
        nlohmann::json f = {{"file", final_name},  {"step", info.step}, {"n", info.n},
                            {"c_out", info.c_out}, {"y", info.y},       {"x", info.x},
                            {"ci", info.ci},       {"ky", info.ky},     {"kx", info.kx}};
        if (!info.caption.empty()) f["caption"] = info.caption;
        frames_.push_back(std::move(f));
        width_ = frame.width, height_ = frame.height;
        ++count_;
    }

    void finish() override {
        if (count_ == 0) throw ExportError(target_.path + ": no frame was rendered");
        const nlohmann::json manifest = {{"format", "convscope frame sequence"},
                                         {"version", 1},
                                         {"width", width_},
                                         {"height", height_},
                                         {"fps", opt_.fps},
                                         {"granularity", opt_.granularity},
                                         {"frames", frames_}};
        const std::string text = manifest.dump(2) + "\n";
        write_new(temp_dir_ + "/frames.json", reinterpret_cast<const uint8_t*>(text.data()), text.size());
        names_.push_back("frames.json");
        fsync_dir(temp_dir_);
        if (target_.whole_folder)
            finish_folder();
        else
            finish_pattern();
    }

    void abort() noexcept override {
        if (temp_dir_.empty()) return;
        std::error_code ec;
        std::filesystem::remove_all(temp_dir_, ec);
        temp_dir_.clear();
    }

private:
    void write_new(const std::string& path, const uint8_t* p, size_t n) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) os_fail(path, "cannot create", errno);
        try {
            write_all(fd, p, n, path);
        } catch (...) {
            ::close(fd);
            throw;
        }
        if (::fsync(fd) != 0) {
            const int err = errno;
            ::close(fd);
            os_fail(path, "cannot flush to disk", err);
        }
        if (::close(fd) != 0) os_fail(path, "cannot close", errno);
    }

    void finish_folder() {
        const std::string& dst = target_.dir;
        std::string trash;
        if (path_exists(dst)) {
            if (!is_dir(dst)) throw ExportError(dst + " exists and is not a folder");
            if (dir_is_empty(dst)) {
                if (::rmdir(dst.c_str()) != 0) os_fail(dst, "cannot replace the empty folder", errno);
            } else if (!opt_.force) {
                throw ExportError(dst + " is a folder that is not empty (pass --force to replace it)");
            } else {
                trash = temp_dir_ + ".old";
                if (::rename(dst.c_str(), trash.c_str()) != 0) os_fail(dst, "cannot move the old folder aside", errno);
            }
        }
        if (::rename(temp_dir_.c_str(), dst.c_str()) != 0) {
            const int err = errno;
            if (!trash.empty()) ::rename(trash.c_str(), dst.c_str());
            os_fail(dst, "cannot rename " + temp_dir_ + " to it", err);
        }
        temp_dir_.clear();
        fsync_dir(parent_dir(dst));
        if (!trash.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(trash, ec);
        }
    }

    void finish_pattern() {
        std::vector<std::string> moved;
        const unsigned flags = opt_.force ? 0u : RENAME_NOREPLACE;
        for (const std::string& name : names_) {
            const std::string src = temp_dir_ + "/" + name, dst = target_.dir + "/" + name;
            if (::renameat2(AT_FDCWD, src.c_str(), AT_FDCWD, dst.c_str(), flags) != 0) {
                const int err = errno;
                for (const std::string& m : moved) ::unlink((target_.dir + "/" + m).c_str());
                if (err == EEXIST) throw ExportError(dst + " already exists (pass --force to replace it)");
                os_fail(dst, "cannot rename the new frame to it", err);
            }
            moved.push_back(name);
        }
        ::rmdir(temp_dir_.c_str());
        temp_dir_.clear();
        fsync_dir(target_.dir);
    }

    ExportTarget target_;
    EncodeOptions opt_;
    std::string temp_dir_;
    std::vector<std::string> names_;
    nlohmann::json frames_;
    int64_t count_ = 0;
    int width_ = 0, height_ = 0;
};

// ---- GIF: palette ----

using Palette = std::vector<std::array<uint8_t, 3>>;  // at most 255 colours; index 255 is transparent

// Exact colours when a region has at most 255; otherwise median cut over a 5-bit-per-channel histogram whose
// boxes take the mean of the exact colours that fell in them.
Palette build_palette(const RgbImage& f, int x0, int y0, int x1, int y1) {
    std::unordered_map<uint32_t, uint32_t> exact;
    bool few = true;
    struct Bin {
        uint64_t count = 0, r = 0, g = 0, b = 0;
    };
    std::vector<Bin> bins(32768);
    for (int y = y0; y < y1; ++y) {
        const uint8_t* p =
            f.rgb.data() + (static_cast<size_t>(y) * static_cast<size_t>(f.width) + static_cast<size_t>(x0)) * 3;
        for (int x = x0; x < x1; ++x, p += 3) {
            if (few) {
                exact[(uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]]++;
                if (exact.size() > 255) few = false;
            }
            Bin& b = bins[static_cast<size_t>(((p[0] >> 3) << 10) | ((p[1] >> 3) << 5) | (p[2] >> 3))];
            ++b.count;
            b.r += p[0], b.g += p[1], b.b += p[2];
        }
    }
    Palette pal;
    if (few) {
        std::vector<uint32_t> keys;
        for (const auto& [k, n] : exact) keys.push_back(k);
        std::sort(keys.begin(), keys.end());  // deterministic order
        for (uint32_t k : keys)
            pal.push_back({static_cast<uint8_t>(k >> 16), static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k)});
        return pal;
    }
    std::vector<int> used;
    for (int i = 0; i < 32768; ++i)
        if (bins[static_cast<size_t>(i)].count) used.push_back(i);
    auto chan = [](int bin, int c) { return (bin >> (10 - 5 * c)) & 31; };
    struct Box {
        size_t begin, end;  // range of `used`
    };
    std::vector<Box> boxes{{0, used.size()}};
    auto score = [&](const Box& b, int& axis) {
        int best = -1;
        uint64_t best_score = 0;
        uint64_t count = 0;
        for (size_t i = b.begin; i < b.end; ++i) count += bins[static_cast<size_t>(used[i])].count;
        for (int c = 0; c < 3; ++c) {
            int lo = 31, hi = 0;
            for (size_t i = b.begin; i < b.end; ++i) {
                lo = std::min(lo, chan(used[i], c));
                hi = std::max(hi, chan(used[i], c));
            }
            const uint64_t s = static_cast<uint64_t>(hi - lo) * static_cast<uint64_t>(hi - lo) * (count + 1);
            if (hi > lo && (best < 0 || s > best_score)) best = c, best_score = s;
        }
        axis = best;
        return best_score;
    };
    while (boxes.size() < 255) {
        int pick = -1, axis = -1;
        uint64_t best = 0;
        for (size_t i = 0; i < boxes.size(); ++i) {
            int a = -1;
            const uint64_t s = score(boxes[i], a);
            if (a >= 0 && (pick < 0 || s > best)) pick = static_cast<int>(i), axis = a, best = s;
        }
        if (pick < 0) break;
        Box& b = boxes[static_cast<size_t>(pick)];
        std::sort(used.begin() + static_cast<std::ptrdiff_t>(b.begin),
                  used.begin() + static_cast<std::ptrdiff_t>(b.end),
                  [&](int l, int r) { return chan(l, axis) != chan(r, axis) ? chan(l, axis) < chan(r, axis) : l < r; });
        uint64_t total = 0, acc = 0;
        for (size_t i = b.begin; i < b.end; ++i) total += bins[static_cast<size_t>(used[i])].count;
        size_t cut = b.begin + 1;
        for (size_t i = b.begin; i + 1 < b.end; ++i) {
            acc += bins[static_cast<size_t>(used[i])].count;
            cut = i + 1;
            if (acc * 2 >= total) break;
        }
        const Box second{cut, b.end};
        b.end = cut;
        boxes.push_back(second);
    }
    for (const Box& b : boxes) {
        uint64_t n = 0, r = 0, g = 0, bl = 0;
        for (size_t i = b.begin; i < b.end; ++i) {
            const Bin& x = bins[static_cast<size_t>(used[i])];
            n += x.count, r += x.r, g += x.g, bl += x.b;
        }
        pal.push_back({static_cast<uint8_t>((r + n / 2) / n), static_cast<uint8_t>((g + n / 2) / n),
                       static_cast<uint8_t>((bl + n / 2) / n)});
    }
    return pal;
}

// Nearest palette entry per colour, cached per 6-bit-per-channel cell (exact colours for exact palettes).
class PaletteMap {
public:
    explicit PaletteMap(const Palette& p) : pal_(p), cache_(size_t{1} << 18, -1) {
        if (p.size() <= 255) {
            for (size_t i = 0; i < p.size(); ++i)
                exact_[(uint32_t{p[i][0]} << 16) | (uint32_t{p[i][1]} << 8) | p[i][2]] = static_cast<uint8_t>(i);
        }
    }
    uint8_t operator()(const uint8_t* c) {
        const auto it = exact_.find((uint32_t{c[0]} << 16) | (uint32_t{c[1]} << 8) | c[2]);
        if (it != exact_.end()) return it->second;
        const size_t key = (size_t{c[0]} >> 2 << 12) | (size_t{c[1]} >> 2 << 6) | (size_t{c[2]} >> 2);
        if (cache_[key] >= 0) return static_cast<uint8_t>(cache_[key]);
        int best = 0, best_d = 1 << 30;
        for (size_t i = 0; i < pal_.size(); ++i) {
            const int dr = pal_[i][0] - c[0], dg = pal_[i][1] - c[1], db = pal_[i][2] - c[2];
            const int d = dr * dr * 3 + dg * dg * 4 + db * db * 2;
            if (d < best_d) best = static_cast<int>(i), best_d = d;
        }
        cache_[key] = static_cast<int16_t>(best);
        return static_cast<uint8_t>(best);
    }

private:
    const Palette& pal_;
    std::vector<int16_t> cache_;
    std::unordered_map<uint32_t, uint8_t> exact_;
};

// ---- GIF: frames ----

constexpr uint8_t kTransparent = 255;

struct GifFrame {
    int left = 0, top = 0, width = 1, height = 1;
    Palette local;  // empty: the global palette
    std::vector<uint8_t> index;
};

int gif_write(GifFileType* gif, const GifByteType* data, int n) {
    auto* file = static_cast<TempFile*>(gif->UserData);
    const ssize_t r = ::write(file->fd(), data, static_cast<size_t>(n));
    return r < 0 ? 0 : static_cast<int>(r);
}

class GifSink : public FrameSink {
public:
    GifSink(const ExportTarget& t, const EncodeOptions& o) : target_(t), opt_(o), file_(t.path) {
        if (!(o.fps > 0 && o.fps <= 50))
            throw ExportError(t.path + ": GIF frame rates go up to 50 per second (delays are in 1/100 s); got " +
                              std::to_string(o.fps));
    }
    ~GifSink() override { abort(); }

    void add(const RgbImage& f, const FrameInfo&) override {
        if (!gif_) start(f);
        if (f.width != width_ || f.height != height_) throw ExportError(target_.path + ": frames changed size");
        GifFrame out;
        int x0 = f.width, y0 = f.height, x1 = -1, y1 = -1;
        const size_t row = static_cast<size_t>(f.width) * 3;
        if (prev_.empty()) {
            x0 = 0, y0 = 0, x1 = f.width - 1, y1 = f.height - 1;
        } else {
            for (int y = 0; y < f.height; ++y) {
                const uint8_t* a = f.rgb.data() + static_cast<size_t>(y) * row;
                const uint8_t* b = prev_.data() + static_cast<size_t>(y) * row;
                if (std::memcmp(a, b, row) == 0) continue;
                y0 = std::min(y0, y), y1 = y;
                int l = 0, r = f.width - 1;
                while (std::memcmp(a + l * 3, b + l * 3, 3) == 0) ++l;
                while (std::memcmp(a + r * 3, b + r * 3, 3) == 0) --r;
                x0 = std::min(x0, l), x1 = std::max(x1, r);
            }
        }
        if (x1 < 0) {  // unchanged: one transparent pixel keeps the frame (and its delay)
            out.index = {kTransparent};
        } else {
            out.left = x0, out.top = y0, out.width = x1 - x0 + 1, out.height = y1 - y0 + 1;
            if (!quantize(f, out, global_, global_map_, 32.0)) {
                out.local = build_palette(f, x0, y0, x1 + 1, y1 + 1);
                PaletteMap local_map(out.local);
                quantize(f, out, out.local, local_map, 0.0);
            }
        }
        prev_ = f.rgb;
        flush_pending(false);
        pending_ = std::move(out);
        has_pending_ = true;
    }

    void finish() override {
        if (!gif_) throw ExportError(target_.path + ": no frame was rendered");
        flush_pending(true);
        int err = 0;
        GifFileType* g = gif_;
        gif_ = nullptr;
        if (EGifCloseFile(g, &err) == GIF_ERROR) throw ExportError(target_.path + ": giflib: " + GifErrorString(err));
        file_.commit(opt_.force);
    }

    void abort() noexcept override {
        if (gif_) {
            int err = 0;
            EGifCloseFile(gif_, &err);
            gif_ = nullptr;
        }
        file_.discard();
    }

private:
    void check(int rc, const char* what) {
        if (rc == GIF_ERROR)
            throw ExportError(target_.path + ": giflib could not write the " + what + ": " +
                              GifErrorString(gif_->Error) +
                              (errno ? std::string(" (") + std::strerror(errno) + ")" : ""));
    }

    static ColorMapObject* color_map(const Palette& p) {
        ColorMapObject* m = GifMakeMapObject(256, nullptr);
        if (!m) throw ExportError("giflib: out of memory for a colour map");
        for (int i = 0; i < 256; ++i) {
            const bool real = static_cast<size_t>(i) < p.size();
            m->Colors[i].Red = real ? p[static_cast<size_t>(i)][0] : 0;
            m->Colors[i].Green = real ? p[static_cast<size_t>(i)][1] : 0;
            m->Colors[i].Blue = real ? p[static_cast<size_t>(i)][2] : 0;
        }
        return m;
    }

    void start(const RgbImage& f) {
        width_ = f.width, height_ = f.height;
        global_ = build_palette(f, 0, 0, f.width, f.height);
        global_map_ = std::make_unique<PaletteMap>(global_);
        int err = 0;
        gif_ = EGifOpen(&file_, gif_write, &err);
        if (!gif_) throw ExportError(target_.path + ": giflib: " + GifErrorString(err));
        EGifSetGifVersion(gif_, true);
        ColorMapObject* m = color_map(global_);
        const int rc = EGifPutScreenDesc(gif_, width_, height_, 8, 0, m);
        GifFreeMapObject(m);
        check(rc, "screen descriptor");
        if (opt_.loop) {
            static const GifByteType kApp[] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
            static const GifByteType kLoop[] = {1, 0, 0};  // loop forever
            check(EGifPutExtensionLeader(gif_, APPLICATION_EXT_FUNC_CODE), "loop block");
            check(EGifPutExtensionBlock(gif_, sizeof kApp, kApp), "loop block");
            check(EGifPutExtensionBlock(gif_, sizeof kLoop, kLoop), "loop block");
            check(EGifPutExtensionTrailer(gif_), "loop block");
        }
    }

    template <class Map>
    bool quantize(const RgbImage& f, GifFrame& out, const Palette& pal, Map& map, double min_psnr) {
        out.index.assign(static_cast<size_t>(out.width) * static_cast<size_t>(out.height), kTransparent);
        double sq = 0;
        size_t changed = 0;
        const size_t row = static_cast<size_t>(f.width) * 3;
        for (int y = 0; y < out.height; ++y) {
            const size_t off = static_cast<size_t>(out.top + y) * row + static_cast<size_t>(out.left) * 3;
            const uint8_t* p = f.rgb.data() + off;
            const uint8_t* q = prev_.empty() ? nullptr : prev_.data() + off;
            uint8_t* o = out.index.data() + static_cast<size_t>(y) * static_cast<size_t>(out.width);
            for (int x = 0; x < out.width; ++x, p += 3) {
                if (q && std::memcmp(p, q + x * 3, 3) == 0) continue;
                const uint8_t i = map(p);
                o[x] = i;
                const auto& c = pal[i];
                for (int k = 0; k < 3; ++k)
                    sq += (c[static_cast<size_t>(k)] - p[k]) * (c[static_cast<size_t>(k)] - p[k]);
                ++changed;
            }
        }
        if (min_psnr <= 0 || changed == 0 || sq == 0) return true;
        const double mse = sq / (3.0 * static_cast<double>(changed));
        return 10.0 * std::log10(255.0 * 255.0 / mse) >= min_psnr;
    }
    bool quantize(const RgbImage& f, GifFrame& out, const Palette& pal, std::unique_ptr<PaletteMap>& map,
                  double min_psnr) {
        return quantize(f, out, pal, *map, min_psnr);
    }

    // Frame k's delay, in 1/100 s, from cumulative times so that rounding does not drift.
    int delay_of(int64_t k) const {
        const auto t = [&](int64_t i) {
            return static_cast<int64_t>(std::llround(100.0 * static_cast<double>(i) / opt_.fps));
        };
        return static_cast<int>(std::max<int64_t>(2, t(k + 1) - t(k)));
    }

    void flush_pending(bool last) {
        if (!has_pending_) return;
        int delay = delay_of(written_);
        if (last) delay += static_cast<int>(std::llround(opt_.hold_seconds * 100.0));
        delay = std::min(delay, 65535);
        const GifByteType gce[4] = {static_cast<GifByteType>((1 << 2) | 1),  // keep the frame; index 255 transparent
                                    static_cast<GifByteType>(delay & 0xff), static_cast<GifByteType>(delay >> 8),
                                    kTransparent};
        check(EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, 4, gce), "frame timing");
        ColorMapObject* m = pending_.local.empty() ? nullptr : color_map(pending_.local);
        const int rc = EGifPutImageDesc(gif_, pending_.left, pending_.top, pending_.width, pending_.height, false, m);
        if (m) GifFreeMapObject(m);
        check(rc, "image descriptor");
        for (int y = 0; y < pending_.height; ++y)
            check(
                EGifPutLine(gif_, pending_.index.data() + static_cast<size_t>(y) * static_cast<size_t>(pending_.width),
                            pending_.width),
                "image data");
        ++written_;
        has_pending_ = false;
    }

    ExportTarget target_;
    EncodeOptions opt_;
    TempFile file_;
    GifFileType* gif_ = nullptr;
    int width_ = 0, height_ = 0;
    Palette global_;
    std::unique_ptr<PaletteMap> global_map_;
    std::vector<uint8_t> prev_;
    GifFrame pending_;
    bool has_pending_ = false;
    int64_t written_ = 0;
};

// ---- ffmpeg ----

std::string find_on_path(const char* prog) {
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    size_t start = 0;
    while (start <= p.size()) {
        const size_t colon = p.find(':', start);
        const std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        const std::string cand = (dir.empty() ? "." : dir) + "/" + prog;
        if (::access(cand.c_str(), X_OK) == 0) return cand;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return {};
}

class VideoSink : public FrameSink {
public:
    VideoSink(const ExportTarget& t, const EncodeOptions& o) : target_(t), opt_(o) {
        ffmpeg_ = find_on_path("ffmpeg");
        if (ffmpeg_.empty())
            throw ExportError(t.path +
                              ": video export needs the ffmpeg program, which is not on PATH (Debian: "
                              "apt-get install ffmpeg); .png, a frame folder and .gif work without it");
        if (!(o.fps > 0 && o.fps <= 120)) throw ExportError(t.path + ": --fps must be in (0, 120]");
        file_ = std::make_unique<TempFile>(t.path);
        file_->close_fd();           // ffmpeg writes it
        ::signal(SIGPIPE, SIG_IGN);  // a dead ffmpeg must give EPIPE, not kill the app
    }
    ~VideoSink() override { abort(); }

    void add(const RgbImage& f, const FrameInfo&) override {
        if (pid_ <= 0) start(f);
        if (f.width != width_ || f.height != height_) throw ExportError(target_.path + ": frames changed size");
        send(f);
        last_ = f.rgb;
    }

    void finish() override {
        if (pid_ <= 0) throw ExportError(target_.path + ": no frame was rendered");
        const int64_t extra = std::llround(opt_.hold_seconds * opt_.fps);
        RgbImage hold{width_, height_, last_};
        for (int64_t i = 0; i < extra; ++i) send(hold);
        ::close(in_);
        in_ = -1;
        const int status = reap();
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) fail_with_stderr(status);
        file_->commit(opt_.force);
    }

    void abort() noexcept override {
        if (in_ >= 0) ::close(in_);
        in_ = -1;
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            reap();
        }
        if (file_) file_->discard();
    }

private:
    void start(const RgbImage& f) {
        width_ = f.width, height_ = f.height;
        int in_pipe[2], err_pipe[2];
        if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
            os_fail(target_.path, "cannot start ffmpeg", errno);
        char fps[32], size[32];
        std::snprintf(fps, sizeof fps, "%.6g", opt_.fps);
        std::snprintf(size, sizeof size, "%dx%d", width_, height_);
        const bool mp4 = target_.format == ExportFormat::Mp4;
        std::vector<std::string> args = {ffmpeg_,     "-hide_banner",
                                         "-loglevel", "error",
                                         "-nostdin",  "-y",
                                         "-f",        "rawvideo",
                                         "-pix_fmt",  "rgb24",
                                         "-s",        size,
                                         "-r",        fps,
                                         "-i",        "pipe:0",
                                         "-vf",       "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                                         "-pix_fmt",  "yuv420p"};
        if (mp4) {
            for (const char* a :
                 {"-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-movflags", "+faststart", "-f", "mp4"})
                args.emplace_back(a);
        } else {
            for (const char* a : {"-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "30", "-deadline", "realtime", "-cpu-used",
                                  "8", "-row-mt", "1", "-f", "webm"})
                args.emplace_back(a);
        }
        args.push_back(file_->path());
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
        posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
        posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 1);
        const int rc = ::posix_spawn(&pid_, ffmpeg_.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(in_pipe[0]);
        ::close(err_pipe[1]);
        if (rc != 0) {
            ::close(in_pipe[1]);
            ::close(err_pipe[0]);
            pid_ = -1;
            os_fail(target_.path, "cannot start " + ffmpeg_, rc);
        }
        in_ = in_pipe[1];
        err_fd_ = err_pipe[0];
        stderr_reader_ = std::thread([this] {
            char buf[4096];
            for (;;) {
                const ssize_t r = ::read(err_fd_, buf, sizeof buf);
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) break;
                std::lock_guard<std::mutex> lock(err_mutex_);
                if (stderr_.size() < 65536) stderr_.append(buf, static_cast<size_t>(r));
            }
        });
    }

    void send(const RgbImage& f) {
        const uint8_t* p = f.rgb.data();
        size_t n = f.rgb.size();
        while (n > 0) {
            const ssize_t r = ::write(in_, p, n);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                ::close(in_);
                in_ = -1;
                fail_with_stderr(reap());
            }
            p += r;
            n -= static_cast<size_t>(r);
        }
    }

    int reap() noexcept {
        int status = 0;
        if (pid_ > 0) {
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            pid_ = -1;
        }
        if (stderr_reader_.joinable()) stderr_reader_.join();
        if (err_fd_ >= 0) ::close(err_fd_);
        err_fd_ = -1;
        return status;
    }

    [[noreturn]] void fail_with_stderr(int status) {
        std::string text;
        {
            std::lock_guard<std::mutex> lock(err_mutex_);
            text = stderr_;
        }
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        const std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                                  : "was stopped by signal " + std::to_string(WTERMSIG(status));
        if (file_) file_->discard();
        throw ExportError(target_.path + ": ffmpeg " + how + (text.empty() ? "" : ": " + text));
    }

    ExportTarget target_;
    EncodeOptions opt_;
    std::string ffmpeg_;
    std::unique_ptr<TempFile> file_;
    pid_t pid_ = -1;
    int in_ = -1, err_fd_ = -1;
    std::thread stderr_reader_;
    std::mutex err_mutex_;
    std::string stderr_;
    int width_ = 0, height_ = 0;
    std::vector<uint8_t> last_;
};

}  // namespace

// ---- factory ----

bool ffmpeg_available() { return !find_on_path("ffmpeg").empty(); }

std::unique_ptr<FrameSink> make_frame_sink(const ExportTarget& target, const EncodeOptions& options) {
    if (!(options.hold_seconds >= 0 && options.hold_seconds <= 3600))
        throw ExportError("--hold must be between 0 and 3600 seconds");
    if (!(options.fps > 0 && options.fps <= 120)) throw ExportError("--fps must be in (0, 120]");
    switch (target.format) {
        case ExportFormat::Png:
            refuse_existing(target.path, options.force);
            return std::make_unique<PngSink>(target, options);
        case ExportFormat::PngSequence:
            if (target.whole_folder) {
                if (path_exists(target.dir) && !is_dir(target.dir))
                    throw ExportError(target.dir + " exists and is not a folder");
                if (is_dir(target.dir) && !dir_is_empty(target.dir) && !options.force)
                    throw ExportError(target.dir + " is a folder that is not empty (pass --force to replace it)");
            } else {
                refuse_existing(target.frame_path(0), options.force);
                refuse_existing(target.dir + "/frames.json", options.force);
            }
            return std::make_unique<PngSequenceSink>(target, options);
        case ExportFormat::Gif:
            refuse_existing(target.path, options.force);
            return std::make_unique<GifSink>(target, options);
        case ExportFormat::Mp4:
        case ExportFormat::Webm:
            refuse_existing(target.path, options.force);
            return std::make_unique<VideoSink>(target, options);
    }
    throw ExportError("unknown export format");
}

// ---- pipeline ----

ExportPipeline::ExportPipeline(std::unique_ptr<FrameSink> sink, size_t depth)
    : sink_(std::move(sink)), depth_(std::max<size_t>(1, depth)) {
    worker_ = std::thread([this] { run(); });
}

ExportPipeline::~ExportPipeline() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!done_) cancelled_ = true;
        closing_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    if (cancelled_ && sink_) sink_->abort();
}

void ExportPipeline::run() {
    for (;;) {
        std::pair<RgbImage, FrameInfo> item;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] { return !queue_.empty() || closing_ || cancelled_; });
            if (cancelled_ || !error_.empty()) return;
            if (queue_.empty()) return;  // closing and drained
            item = std::move(queue_.front());
            queue_.pop_front();
        }
        cv_.notify_all();
        try {
            sink_->add(item.first, item.second);
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = e.what();
            queue_.clear();
            cv_.notify_all();
            return;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        ++frames_done_;
        cv_.notify_all();
    }
}

void ExportPipeline::push(RgbImage frame, FrameInfo info) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return queue_.size() < depth_ || !error_.empty(); });
    if (!error_.empty()) throw ExportError(error_);
    queue_.emplace_back(std::move(frame), std::move(info));
    lock.unlock();
    cv_.notify_all();
}

void ExportPipeline::finish() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closing_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    std::string error;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        error = error_;
        done_ = true;
    }
    if (!error.empty()) {
        sink_->abort();
        throw ExportError(error);
    }
    try {
        sink_->finish();
    } catch (...) {
        sink_->abort();
        throw;
    }
}

void ExportPipeline::cancel() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    sink_->abort();
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
}

int64_t ExportPipeline::frames_done() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_done_;
}

}  // namespace convscope::workspace
