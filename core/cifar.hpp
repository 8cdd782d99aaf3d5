// convscope core: CIFAR-10 / CIFAR-100 (binary version) reading.
//
// Record layouts: CIFAR-10  <1 x label><3072 x pixel>            = 3,073 bytes
//                 CIFAR-100 <1 x coarse label><1 x fine label><3072 x pixel> = 3,074 bytes
// Pixels: 1024 red, 1024 green, 1024 blue, each 32x32 row-major — already CHW, so an image is a (3, 32, 32) tensor
// (values / 255). Sources: a single batch file, the extracted folder (data_batch_1..5.bin + test_batch.bin +
// batches.meta.txt; train.bin + test.bin + coarse_label_names.txt + fine_label_names.txt), or the downloaded
// cifar-10-binary.tar.gz / cifar-100-binary.tar.gz read through libarchive without extracting to disk.
// Errors: FormatError / IoError with what, where (file, record index, byte offset) and a hint; nothing is
// printed, and a failed open returns nothing partial.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

enum class CifarVariant { Cifar10, Cifar100 };

inline constexpr int64_t kCifar10RecordBytes = 3073;
inline constexpr int64_t kCifar100RecordBytes = 3074;
inline constexpr int64_t kCifarPixels = 3 * 32 * 32;

struct CifarImage {
    uint8_t label = 0;         // CIFAR-10 class, or CIFAR-100 fine label
    uint8_t coarse_label = 0;  // CIFAR-100 only
    std::string source;        // which file of the set it came from, e.g. "data_batch_1.bin"
};

struct CifarDataset {
    CifarVariant variant = CifarVariant::Cifar10;
    std::string origin;           // the path the user opened
    std::vector<uint8_t> pixels;  // count * 3072 bytes, CHW per image
    std::vector<CifarImage> images;
    std::vector<std::string> label_names;   // 10 or 100 (fine); numbers as text when the names file is unusable
    std::vector<std::string> coarse_names;  // CIFAR-100: 20
    std::vector<std::string> warnings;      // e.g. "batches.meta.txt has 9 names, expected 10: using numbers"

    int64_t size() const { return static_cast<int64_t>(images.size()); }
    Tensor image(int64_t index) const;  // (3, 32, 32) float32 in [0, 1]
};

struct CifarOpenOptions {
    // Which variant to assume; empty = detect from record size and label ranges (ask via `ambiguous` otherwise).
    std::optional<CifarVariant> variant;
    // Accept a file whose size is not a multiple of the record size by loading only the complete records.
    bool accept_partial = false;
    const std::atomic<bool>* cancel = nullptr;  // polled; a cancelled open throws Error("cancelled")
    std::function<void(float)> progress;        // 0..1
};

// Thrown when the file could be either variant (size divisible by both and labels valid for both) and
// options.variant is unset; the UI asks the user and calls again with the choice.
class CifarAmbiguousError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when the size is not a multiple of the record size: carries how many complete records there are, so
// the UI can offer "load the N complete records" (call again with accept_partial = true).
class CifarPartialError : public std::runtime_error {
public:
    CifarPartialError(const std::string& message, int64_t complete)
        : std::runtime_error(message), complete_records(complete) {}
    int64_t complete_records;
};

// Opens a batch file, a folder, or a .tar.gz. Throws FormatError/IoError, CifarAmbiguousError, CifarPartialError.
CifarDataset cifar_open(const std::string& path, const CifarOpenOptions& options = {});

// Parses records from memory (the unit the fuzz target drives). `name` is used in messages.
void cifar_parse_records(const uint8_t* data, size_t size, const std::string& name, CifarVariant variant,
                         bool accept_partial, CifarDataset& into);

// Parses a label-names file (batches.meta.txt, fine/coarse_label_names.txt): CRLF, blank lines and trailing
// spaces tolerated, lines capped at 256 bytes; fewer than `expected` names -> numbers + a warning.
std::vector<std::string> cifar_parse_label_names(const std::string& text, size_t expected, const std::string& name,
                                                 std::vector<std::string>& warnings);

// Writes genuine CIFAR-format batch files (used by tests and to make sample data).
std::vector<uint8_t> cifar_encode_records(CifarVariant variant, const std::vector<uint8_t>& pixels,
                                          const std::vector<CifarImage>& labels);

// Limits of cifar_open: at most this many uncompressed bytes are read from a .tar.gz (the real archives hold
// ~180 MB), and a label-names file larger than kCifarMaxNamesFileBytes is not read (numbers are used instead).
inline constexpr uint64_t kCifarMaxArchiveBytes = uint64_t{400} << 20;
inline constexpr uint64_t kCifarMaxNamesFileBytes = uint64_t{1} << 20;
inline constexpr size_t kCifarMaxNameLine = 256;

// One entry of a .tar.gz written by cifar_write_tar_gz: a regular file with `data`, or, when `symlink_target` is
// set, a symbolic link (to test that cifar_open refuses links).
struct CifarArchiveEntry {
    std::string name;  // path inside the archive, e.g. "cifar-10-batches-bin/data_batch_1.bin"
    std::vector<uint8_t> data;
    std::string symlink_target;
};

// Writes a gzip-compressed tar archive (the layout of cifar-10-binary.tar.gz) with libarchive. For tests and
// sample data; IoError on failure.
void cifar_write_tar_gz(const std::string& path, const std::vector<CifarArchiveEntry>& entries);

}  // namespace convscope
