// convscope core: NumPy .npy read and write.
//
// Reads format versions 1.0, 2.0 and 3.0; dtypes <f4 >f4 <f8 >f8 <f2 >f2 and signed/unsigned integers of 1, 2, 4,
// 8 bytes (either byte order) are converted to float32 (conversions other than <f4 add a notice); fortran_order
// data is reordered to row-major. The header is parsed strictly and every size is checked against the real file
// size before anything is allocated. Rejected: object arrays (they need pickle), structured, complex, bool,
// string and datetime dtypes, rank > kMaxRank, and files with missing or trailing data bytes.
// Writes version 1.0, '<f4', C order, byte for byte as numpy's np.save does.
// Errors: FormatError (malformed file: the message names the file, what was expected and what was found),
// IoError (the OS refused: missing file, not a regular file, disk full; or out of memory). Nothing else is thrown.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

struct NpyInfo {
    int major = 1, minor = 0;
    std::string descr;  // as written in the header, e.g. "<f4"
    bool fortran_order = false;
    Shape shape;
    // What loading changed, for the user to see, e.g. "converted float64 (<f8) to float32",
    // "reordered fortran_order (column-major) data to row-major", "2 int64 values are too large to be exact ...".
    std::vector<std::string> notices;
};

// Parses a whole .npy file held in memory. `name` starts every error message (usually the file name).
Tensor npy_parse(std::span<const uint8_t> bytes, const std::string& name, NpyInfo* info = nullptr);
// Reads `path`, which must be a regular file (a directory or FIFO is refused without blocking), and parses it.
// The header is read and checked (shape, dtype, sizes against the file size) before the data: the data is then
// read straight into the tensor, so a float32 file needs its own size in memory once, not twice.
Tensor npy_load(const std::string& path, NpyInfo* info = nullptr);
// The header of `path` only (at most 64 KiB read), with every check npy_load makes except the data itself:
// shape and dtype, to check a file against a layer before loading gigabytes. `notices` stays empty.
NpyInfo npy_read_info(const std::string& path);

std::vector<uint8_t> npy_serialize(const Tensor& t);
// Writes `path + ".tmp"` in the same directory, fsyncs it and renames it over `path`; on failure the temporary
// file is removed, an existing `path` is left as it was, and IoError says why.
void npy_save(const std::string& path, const Tensor& t);

}  // namespace convscope
