#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <new>

#include "error.hpp"

namespace convscope {

namespace {

[[noreturn]] void io_fail(const std::string& path, const std::string& what, int err) {
    throw IoError(path + ": " + what + ": " + std::strerror(err));
}

const char* file_type_text(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    return "not a regular file";
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int close() {  // closes now and reports the result (close can report a delayed write error)
        const int r = ::close(fd_);
        fd_ = -1;
        return r;
    }

private:
    int fd_;
};

// 0 on success, else errno.
int write_all(int fd, const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    size_t done = 0;
    while (done < size) {
        const ssize_t r = ::write(fd, p + done, size - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (r == 0) return ENOSPC;  // no progress: treat as a full disk
        done += static_cast<size_t>(r);
    }
    return 0;
}

std::string dir_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

constexpr size_t kReadChunk = size_t{4} << 20;

// A name no other writer uses at the same time: "<dir>/.<base>.<pid>.<counter><clock>.tmp", in the target's own
// folder so that rename() replaces the target atomically. Two programs (or two threads) saving the same file
// each write their own temporary file; the last rename wins and a reader always sees one complete version.
std::string unique_temp_name(const std::string& path, const char* kind) {
    static std::atomic<uint64_t> counter{0};
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const auto ticks = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    char tail[64];
    std::snprintf(tail, sizeof tail, ".%ld.%llu%04llx.%s", static_cast<long>(::getpid()),
                  static_cast<unsigned long long>(counter.fetch_add(1)),
                  static_cast<unsigned long long>(ticks & 0xFFFF), kind);
    return dir + "." + base + tail;
}

// Creates a new file under a unique temporary name (O_EXCL: never an existing file); returns its descriptor.
int create_unique(const std::string& path, const char* kind, std::string& name) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        name = unique_temp_name(path, kind);
        const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

}  // namespace

std::string file_base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string grouped_int(uint64_t v) {
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

namespace {

// Opens a regular file for reading without blocking on FIFOs or devices; fills `st`.
int open_regular(const std::string& path, const std::string& what, struct stat& st) {
    if (::stat(path.c_str(), &st) != 0) io_fail(path, "cannot open", errno);
    const auto refuse = [&](mode_t mode) {
        const std::string type = file_type_text(mode);
        throw IoError(path + ": cannot load " + what + " from it: it is " + type +
                      (type == "not a regular file" ? "" : ", not a regular file"));
    };
    if (!S_ISREG(st.st_mode)) refuse(st.st_mode);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) io_fail(path, "cannot open", errno);
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        io_fail(path, "cannot read", err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        refuse(st.st_mode);
    }
    return fd;
}

}  // namespace

std::vector<uint8_t> read_regular_file(const std::string& path, const std::string& what, uint64_t max_bytes,
                                       const std::function<void(uint64_t)>& on_read) {
    struct stat st {};
    FileDescriptor fd(open_regular(path, what, st));
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_bytes) {
        throw FormatError(path + " is " + grouped_int(size) + " bytes; convscope reads " + what + " of at most " +
                          grouped_int(max_bytes) + " bytes");
    }
    std::vector<uint8_t> bytes;
    try {
        bytes.resize(static_cast<size_t>(size));
    } catch (const std::bad_alloc&) {
        // Running out of memory is the system refusing, like a full disk.
        throw IoError(path + ": not enough memory to load it (" + grouped_int(size) + " bytes needed)");
    }
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t r = ::read(fd.get(), bytes.data() + done, std::min(kReadChunk, bytes.size() - done));
        if (r < 0) {
            if (errno == EINTR) continue;
            io_fail(path, "cannot read", errno);
        }
        if (r == 0) break;  // the file shrank while we read it: the parser reports what is missing
        done += static_cast<size_t>(r);
        if (on_read) on_read(static_cast<uint64_t>(r));
    }
    bytes.resize(done);
    return bytes;
}

namespace {

// Reads up to dst.size() bytes at `offset`; returns how many (fewer only at the end of the file).
size_t read_at(int fd, const std::string& path, uint64_t offset, std::span<uint8_t> dst) {
    size_t done = 0;
    while (done < dst.size()) {
        const ssize_t r =
            ::pread(fd, dst.data() + done, std::min(kReadChunk, dst.size() - done), static_cast<off_t>(offset + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            io_fail(path, "cannot read", errno);
        }
        if (r == 0) break;
        done += static_cast<size_t>(r);
    }
    return done;
}

}  // namespace

RegularFileReader::RegularFileReader(const std::string& path, const std::string& what) : path_(path) {
    struct stat st {};
    fd_ = open_regular(path, what, st);
    size_ = static_cast<uint64_t>(st.st_size);
}

RegularFileReader::~RegularFileReader() {
    if (fd_ >= 0) ::close(fd_);
}

std::vector<uint8_t> RegularFileReader::read_prefix(size_t max_bytes) const {
    std::vector<uint8_t> bytes(static_cast<size_t>(std::min<uint64_t>(size_, max_bytes)));
    bytes.resize(read_at(fd_, path_, 0, bytes));
    return bytes;
}

void RegularFileReader::read_exactly(uint64_t offset, std::span<uint8_t> dst) const {
    if (read_at(fd_, path_, offset, dst) != dst.size())
        throw IoError(path_ + ": the file ended early (it changed while it was read)");
}

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool keep_backup) {
    struct stat st {};
    const bool exists = ::lstat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        throw IoError(path + ": cannot write there: it is " + std::string(file_type_text(st.st_mode)));
    std::string tmp;
    FileDescriptor fd(create_unique(path, "tmp", tmp));
    if (fd.get() < 0) io_fail(path, "cannot create a temporary file in its folder (" + tmp + ")", errno);
    const auto give_up = [&](const std::string& what, int err) {
        ::unlink(tmp.c_str());
        io_fail(path, what, err);
    };
    if (const int err = write_all(fd.get(), bytes.data(), bytes.size())) give_up("cannot write " + tmp, err);
    if (::fsync(fd.get()) != 0) give_up("cannot flush " + tmp + " to disk", errno);
    if (fd.close() != 0) give_up("cannot close " + tmp, errno);

    if (keep_backup && exists && S_ISREG(st.st_mode)) {
        // The previous version as .bak: a hard link (the original stays in place until the rename), or a copy,
        // made under a unique name and renamed over the old .bak, so concurrent savers never see a partial one.
        const std::string bak = path + ".bak";
        std::string bak_tmp;
        bool linked = false;
        for (int attempt = 0; attempt < 100 && !linked; ++attempt) {
            bak_tmp = unique_temp_name(path, "bak");
            if (::link(path.c_str(), bak_tmp.c_str()) == 0)
                linked = true;
            else if (errno != EEXIST)
                break;
        }
        const auto give_up_bak = [&](const std::string& what, int err) {
            ::unlink(bak_tmp.c_str());
            give_up(what, err);
        };
        if (!linked) {
            FileDescriptor in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
            if (in.get() < 0) give_up("cannot read it to keep a backup", errno);
            FileDescriptor out(create_unique(path, "bak", bak_tmp));
            if (out.get() < 0) give_up("cannot create the backup " + bak_tmp, errno);
            std::array<char, 1 << 16> buf{};
            for (;;) {
                const ssize_t r = ::read(in.get(), buf.data(), buf.size());
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) give_up_bak("cannot read it to keep a backup", errno);
                if (r == 0) break;
                if (const int err = write_all(out.get(), buf.data(), static_cast<size_t>(r)))
                    give_up_bak("cannot write the backup " + bak, err);
            }
            if (::fsync(out.get()) != 0 || out.close() != 0) give_up_bak("cannot write the backup " + bak, errno);
        }
        if (::rename(bak_tmp.c_str(), bak.c_str()) != 0) give_up_bak("cannot replace the backup " + bak, errno);
        // rename() does nothing when both names are links to one file (another saver linked the same version to
        // .bak a moment ago): the temporary name must still go.
        ::unlink(bak_tmp.c_str());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) give_up("cannot rename " + tmp + " over it", errno);
    // Make the rename durable; a failure here leaves a complete file in place, so it is not reported.
    const int dir_fd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace convscope
