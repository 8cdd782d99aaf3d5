#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
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

std::vector<uint8_t> read_regular_file(const std::string& path, const std::string& what, uint64_t max_bytes,
                                       const std::function<void(uint64_t)>& on_read) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) io_fail(path, "cannot open", errno);
    const auto refuse = [&](mode_t mode) {
        const std::string type = file_type_text(mode);
        throw IoError(path + ": cannot load " + what + " from it: it is " + type +
                      (type == "not a regular file" ? "" : ", not a regular file"));
    };
    if (!S_ISREG(st.st_mode)) refuse(st.st_mode);
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (fd.get() < 0) io_fail(path, "cannot open", errno);
    if (::fstat(fd.get(), &st) != 0) io_fail(path, "cannot read", errno);
    if (!S_ISREG(st.st_mode)) refuse(st.st_mode);
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

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool keep_backup) {
    struct stat st {};
    const bool exists = ::lstat(path.c_str(), &st) == 0;
    if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
        throw IoError(path + ": cannot write there: it is " + std::string(file_type_text(st.st_mode)));
    const std::string tmp = path + ".tmp";
    FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (fd.get() < 0) io_fail(path, "cannot create the temporary file " + tmp, errno);
    const auto give_up = [&](const std::string& what, int err) {
        ::unlink(tmp.c_str());
        io_fail(path, what, err);
    };
    if (const int err = write_all(fd.get(), bytes.data(), bytes.size())) give_up("cannot write " + tmp, err);
    if (::fsync(fd.get()) != 0) give_up("cannot flush " + tmp + " to disk", errno);
    if (fd.close() != 0) give_up("cannot close " + tmp, errno);

    if (keep_backup && exists && S_ISREG(st.st_mode)) {
        // The previous version as .bak: a hard link (the original stays in place until the rename), or a copy.
        const std::string bak = path + ".bak";
        if (::unlink(bak.c_str()) != 0 && errno != ENOENT) give_up("cannot replace the backup " + bak, errno);
        if (::link(path.c_str(), bak.c_str()) != 0) {
            FileDescriptor in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
            if (in.get() < 0) give_up("cannot read it to keep a backup", errno);
            FileDescriptor out(::open(bak.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
            if (out.get() < 0) give_up("cannot create the backup " + bak, errno);
            std::array<char, 1 << 16> buf{};
            for (;;) {
                const ssize_t r = ::read(in.get(), buf.data(), buf.size());
                if (r < 0 && errno == EINTR) continue;
                if (r < 0) give_up("cannot read it to keep a backup", errno);
                if (r == 0) break;
                if (const int err = write_all(out.get(), buf.data(), static_cast<size_t>(r)))
                    give_up("cannot write the backup " + bak, err);
            }
            if (::fsync(out.get()) != 0 || out.close() != 0) give_up("cannot write the backup " + bak, errno);
        }
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
