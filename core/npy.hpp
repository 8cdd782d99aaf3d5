// convscope core: NumPy .npy read and write.
//
// Reads format versions 1.0, 2.0 and 3.0; dtypes <f4 >f4 <f8 >f8 <f2 and signed/unsigned integers of 1, 2, 4, 8
// bytes (either byte order) are converted to float32 (conversions other than <f4 add a notice); fortran_order
// data is reordered to row-major. The header is parsed strictly and every size is checked against the real file
// size before anything is allocated. Writes version 1.0, '<f4', C order.
// Errors: FormatError (malformed file: the message names the file and what is wrong), IoError (OS refused).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

struct NpyInfo {
    int major = 1, minor = 0;
    std::string descr;          // as written in the header, e.g. "<f4"
    bool fortran_order = false;
    Shape shape;
    std::vector<std::string> notices;  // e.g. "converted float64 to float32", "trailing bytes ignored"
};

// `name` is used in messages (usually the file name).
Tensor npy_parse(std::span<const uint8_t> bytes, const std::string& name, NpyInfo* info = nullptr);
Tensor npy_load(const std::string& path, NpyInfo* info = nullptr);

std::vector<uint8_t> npy_serialize(const Tensor& t);
// Writes through a temporary file in the same directory and renames it over `path`.
void npy_save(const std::string& path, const Tensor& t);

}  // namespace convscope
