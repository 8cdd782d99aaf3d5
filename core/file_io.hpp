// convscope core: reading and writing whole files safely, shared by every loader and writer.
//   read_regular_file: refuses directories, FIFOs and devices before open() could block on them (stat, then
//                      open O_NONBLOCK and fstat again), checks the size against a cap before allocating.
//   write_file_atomically: a temporary file with a unique name in the same folder (".<name>.<pid>.<n>.tmp", so
//                      concurrent writers of one file never share it), fsync, optional .bak of the previous
//                      version, rename over the target, fsync of the folder; on failure the original is untouched.
// Errors: IoError with the path and the OS's text; FormatError for a file over the cap.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace convscope {

// "<path>: cannot load <what> from it: it is a directory, not a regular file"; "<path> is N bytes; convscope
// reads <what> of at most M bytes". on_read(bytes) is called after each chunk (progress).
std::vector<uint8_t> read_regular_file(const std::string& path, const std::string& what, uint64_t max_bytes,
                                       const std::function<void(uint64_t)>& on_read = {});

// One regular file open for reading, with read_regular_file's checks (a directory, FIFO or device is refused
// without blocking): its size, and reads at any offset. Reading a header first and then the data through the same
// descriptor sees one version of the file even when another program replaces it meanwhile (rename).
class RegularFileReader {
public:
    RegularFileReader(const std::string& path, const std::string& what);
    RegularFileReader(const RegularFileReader&) = delete;
    RegularFileReader& operator=(const RegularFileReader&) = delete;
    ~RegularFileReader();
    uint64_t size() const { return size_; }
    // The first min(size, max_bytes) bytes (fewer if the file shrank).
    std::vector<uint8_t> read_prefix(size_t max_bytes) const;
    // Exactly dst.size() bytes at `offset`; IoError if the file ends early (it shrank) or the OS refuses.
    void read_exactly(uint64_t offset, std::span<uint8_t> dst) const;

private:
    std::string path_;
    int fd_ = -1;
    uint64_t size_ = 0;
};

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool keep_backup = false);

std::string file_base_name(const std::string& path);  // the part after the last '/'

// 30729999 -> "30,729,999" (locale-independent).
std::string grouped_int(uint64_t v);

}  // namespace convscope
