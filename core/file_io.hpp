// convscope core: reading and writing whole files safely, shared by every loader and writer.
//   read_regular_file: refuses directories, FIFOs and devices before open() could block on them (stat, then
//                      open O_NONBLOCK and fstat again), checks the size against a cap before allocating.
//   write_file_atomically: temporary file in the same folder, fsync, optional .bak of the previous version,
//                      rename over the target, fsync of the folder; on failure the original is untouched.
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

void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes, bool keep_backup = false);

std::string file_base_name(const std::string& path);  // the part after the last '/'

// 30729999 -> "30,729,999" (locale-independent).
std::string grouped_int(uint64_t v);

}  // namespace convscope
