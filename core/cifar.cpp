// CIFAR-10 / CIFAR-100 (binary version) reading.
//
// Sections:
//   1. Small helpers: number text, file types, reading a regular file with progress and cancel
//   2. Records: label checks, variant detection, cifar_parse_records, cifar_encode_records
//   3. Label-name files
//   4. Sources: single file, folder, .tar.gz (libarchive, never extracted to disk)
//   5. cifar_open, cifar_write_tar_gz
//
// Which files a set is made of, in the order their images are appended (only those that exist are read):
//   CIFAR-10:  data_batch_1.bin .. data_batch_5.bin, test_batch.bin; names: batches.meta.txt (10 names)
//   CIFAR-100: train.bin, test.bin; names: fine_label_names.txt (100), coarse_label_names.txt (20)
// A folder may also be the parent of the extracted "cifar-10-batches-bin" / "cifar-100-binary" folder. In an
// archive, entries are matched by their base name wherever they sit; directories are skipped, entries with other
// names are skipped unread, and a wanted name that is not a regular file (symlink, hard link, device) is refused.
#include "cifar.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <new>
#include <string_view>

#include "error.hpp"
#include "file_io.hpp"

namespace convscope {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// 1. Small helpers
// ---------------------------------------------------------------------------------------------------------------

constexpr std::array<const char*, 6> kCifar10Files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                                      "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};
constexpr std::array<const char*, 2> kCifar100Files = {"train.bin", "test.bin"};
constexpr const char* kCifar10Names = "batches.meta.txt";
constexpr const char* kCifar100FineNames = "fine_label_names.txt";
constexpr const char* kCifar100CoarseNames = "coarse_label_names.txt";

std::string int_text(uint64_t v) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

// "30,729,999": thousands separated by commas whatever the locale.
std::string grouped(uint64_t v) { return grouped_int(v); }

const char* variant_name(CifarVariant v) { return v == CifarVariant::Cifar10 ? "CIFAR-10" : "CIFAR-100"; }
uint64_t record_bytes(CifarVariant v) {
    return static_cast<uint64_t>(v == CifarVariant::Cifar10 ? kCifar10RecordBytes : kCifar100RecordBytes);
}
CifarVariant other(CifarVariant v) {
    return v == CifarVariant::Cifar10 ? CifarVariant::Cifar100 : CifarVariant::Cifar10;
}

std::string base_name(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    const size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string dir_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void io_fail(const std::string& path, const std::string& what, int err) {
    throw IoError(path + ": " + what + ": " + std::strerror(err));
}

// Progress over all the bytes an open reads; also polls the cancel flag.
class Progress {
public:
    Progress(const CifarOpenOptions& options, uint64_t total) : options_(options), total_(total) {}
    void check_cancel() const {
        if (options_.cancel && options_.cancel->load(std::memory_order_relaxed)) throw Error("cancelled");
    }
    void advance(uint64_t bytes) {
        done_ += bytes;
        report(total_ ? static_cast<float>(static_cast<double>(done_) / static_cast<double>(total_)) : 0.0f);
        check_cancel();
    }
    void report(float fraction) const {
        if (options_.progress) options_.progress(std::min(1.0f, std::max(0.0f, fraction)));
    }

private:
    const CifarOpenOptions& options_;
    uint64_t total_ = 0, done_ = 0;
};

// Reads a whole regular file (file_io's rules), reporting progress and polling cancel after each chunk.
std::vector<uint8_t> read_cifar_file(const std::string& path, uint64_t max_bytes, Progress* progress) {
    return read_regular_file(path, "CIFAR data", max_bytes, [&](uint64_t n) {
        if (progress) progress->advance(n);
    });
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Records
// ---------------------------------------------------------------------------------------------------------------

struct BadLabel {
    uint64_t record = 0;
    uint64_t offset = 0;  // byte offset of the bad label byte in the file
    uint8_t value = 0;
    const char* which = "label";  // "label", "coarse label", "fine label"
    int max = 9;
};

// The first record among the first `records` whose label byte(s) are out of range for `v`.
std::optional<BadLabel> first_bad_label(const uint8_t* data, uint64_t records, CifarVariant v) {
    const uint64_t rec = record_bytes(v);
    for (uint64_t i = 0; i < records; ++i) {
        const uint8_t* r = data + i * rec;
        if (v == CifarVariant::Cifar10) {
            if (r[0] > 9) return BadLabel{i, i * rec, r[0], "label", 9};
        } else {
            if (r[0] > 19) return BadLabel{i, i * rec, r[0], "coarse label", 19};
            if (r[1] > 99) return BadLabel{i, i * rec + 1, r[1], "fine label", 99};
        }
    }
    return std::nullopt;
}

// True when `size` bytes are a whole number of `v` records, all with valid labels.
bool parses_cleanly(const uint8_t* data, size_t size, CifarVariant v) {
    const uint64_t rec = record_bytes(v);
    return size > 0 && size % rec == 0 && !first_bad_label(data, size / rec, v);
}

// Which variant a file is, from its size and label bytes (bad-inputs #3). Throws CifarAmbiguousError when both
// fit. When neither fits cleanly it returns the likelier one, so that parsing it gives the specific error.
CifarVariant detect_variant(const uint8_t* data, size_t size, const std::string& name) {
    const bool ok10 = parses_cleanly(data, size, CifarVariant::Cifar10);
    const bool ok100 = parses_cleanly(data, size, CifarVariant::Cifar100);
    if (ok10 && ok100) {
        throw CifarAmbiguousError(
            name + " is " + grouped(size) + " bytes: a whole number of CIFAR-10 records (" +
            grouped(size / record_bytes(CifarVariant::Cifar10)) + " of 3,073 bytes) and of CIFAR-100 records (" +
            grouped(size / record_bytes(CifarVariant::Cifar100)) +
            " of 3,074 bytes), and its label bytes are valid for both; choose CIFAR-10 or CIFAR-100");
    }
    if (ok10) return CifarVariant::Cifar10;
    if (ok100) return CifarVariant::Cifar100;
    const bool div10 = size % record_bytes(CifarVariant::Cifar10) == 0;
    const bool div100 = size % record_bytes(CifarVariant::Cifar100) == 0;
    if (div10 != div100) return div10 ? CifarVariant::Cifar10 : CifarVariant::Cifar100;
    // Neither size fits (a partial last record) or both do with bad labels: look at the complete records' labels.
    const bool labels10 = !first_bad_label(data, size / record_bytes(CifarVariant::Cifar10), CifarVariant::Cifar10);
    const bool labels100 = !first_bad_label(data, size / record_bytes(CifarVariant::Cifar100), CifarVariant::Cifar100);
    if (labels10 != labels100) return labels10 ? CifarVariant::Cifar10 : CifarVariant::Cifar100;
    const std::string base = base_name(name);
    if (base == "train.bin" || base == "test.bin") return CifarVariant::Cifar100;
    return CifarVariant::Cifar10;
}

// Parses with the given variant (or detects it); when the user chose a variant and the data fails as that variant
// but is clean as the other one, the message says so.
void parse_with_hint(const uint8_t* data, size_t size, const std::string& name, std::optional<CifarVariant> variant,
                     bool accept_partial, CifarDataset& into) {
    const CifarVariant v = variant ? *variant : detect_variant(data, size, name);
    const auto hint = [&]() -> std::string {
        if (!parses_cleanly(data, size, other(v))) return "";
        return std::string(" (it looks like a ") + variant_name(other(v)) +
               " file: " + grouped(record_bytes(other(v))) + "-byte records with valid labels; open it as " +
               variant_name(other(v)) + ")";
    };
    try {
        cifar_parse_records(data, size, name, v, accept_partial, into);
    } catch (const CifarPartialError& e) {
        throw CifarPartialError(e.what() + hint(), e.complete_records);
    } catch (const FormatError& e) {
        throw FormatError(e.what() + hint());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Label-name files
// ---------------------------------------------------------------------------------------------------------------

std::vector<std::string> number_names(size_t n) {
    std::vector<std::string> names;
    names.reserve(n);
    for (size_t i = 0; i < n; ++i) names.push_back(int_text(i));
    return names;
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Sources
// ---------------------------------------------------------------------------------------------------------------

// The named files of one set, as bytes (from a folder or an archive), parsed in the documented order.
struct FileSet {
    std::map<std::string, std::vector<uint8_t>> batches;  // base name -> bytes
    std::map<std::string, std::string> names_files;       // base name -> text
    std::vector<std::string> names_problems;              // names files present but unreadable
};

bool is_batch_name(const std::string& base) {
    for (const char* f : kCifar10Files)
        if (base == f) return true;
    for (const char* f : kCifar100Files)
        if (base == f) return true;
    return false;
}

bool is_names_file(const std::string& base) {
    return base == kCifar10Names || base == kCifar100FineNames || base == kCifar100CoarseNames;
}

// Decides the variant of a folder or archive from which batch files it has.
CifarVariant variant_of_set(const std::vector<std::string>& present, const std::string& where,
                            const CifarOpenOptions& options) {
    bool has10 = false, has100 = false;
    for (const std::string& n : present) {
        for (const char* f : kCifar10Files) has10 = has10 || n == f;
        for (const char* f : kCifar100Files) has100 = has100 || n == f;
    }
    const std::string expected =
        "expected data_batch_1.bin .. data_batch_5.bin and test_batch.bin (CIFAR-10) or train.bin and test.bin "
        "(CIFAR-100), from the binary version of the dataset";
    if (options.variant) {
        const bool has = *options.variant == CifarVariant::Cifar10 ? has10 : has100;
        if (!has) throw FormatError(where + " has no " + variant_name(*options.variant) + " batch files; " + expected);
        return *options.variant;
    }
    if (has10 && has100) {
        throw CifarAmbiguousError(where +
                                  " has both CIFAR-10 (data_batch_*.bin, test_batch.bin) and CIFAR-100 "
                                  "(train.bin, test.bin) batch files; choose CIFAR-10 or CIFAR-100");
    }
    if (!has10 && !has100) throw FormatError(where + " has no CIFAR batch files; " + expected);
    return has10 ? CifarVariant::Cifar10 : CifarVariant::Cifar100;
}

std::vector<std::string> names_or_numbers(const FileSet& set, const char* file, size_t expected,
                                          std::vector<std::string>& warnings) {
    const auto it = set.names_files.find(file);
    if (it == set.names_files.end()) {
        bool reported = false;
        for (const std::string& p : set.names_problems) {
            if (p.rfind(file, 0) == 0) {
                warnings.push_back(p + ": using numbers as class names");
                reported = true;
            }
        }
        if (!reported) warnings.push_back(std::string(file) + " not found: using numbers as class names");
        return number_names(expected);
    }
    return cifar_parse_label_names(it->second, expected, file, warnings);
}

// Parses the batches of `set` (moving them out) in the documented order and fills in the names.
void parse_set(FileSet& set, CifarVariant variant, const CifarOpenOptions& options, CifarDataset& ds) {
    ds.variant = variant;
    std::vector<const char*> order;
    if (variant == CifarVariant::Cifar10) {
        order.assign(kCifar10Files.begin(), kCifar10Files.end());
    } else {
        order.assign(kCifar100Files.begin(), kCifar100Files.end());
    }
    for (const char* f : order) {
        const auto it = set.batches.find(f);
        if (it == set.batches.end()) continue;
        std::vector<uint8_t> bytes = std::move(it->second);
        set.batches.erase(it);
        parse_with_hint(bytes.data(), bytes.size(), f, variant, options.accept_partial, ds);
    }
    if (variant == CifarVariant::Cifar10) {
        ds.label_names = names_or_numbers(set, kCifar10Names, 10, ds.warnings);
    } else {
        ds.label_names = names_or_numbers(set, kCifar100FineNames, 100, ds.warnings);
        ds.coarse_names = names_or_numbers(set, kCifar100CoarseNames, 20, ds.warnings);
    }
}

// Reads the names files that sit in `dir` into `set` (unreadable ones become warnings, never errors).
void read_names_files(const std::string& dir, FileSet& set) {
    for (const char* f : {kCifar10Names, kCifar100FineNames, kCifar100CoarseNames}) {
        const std::string p = join(dir, f);
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) continue;
        try {
            const std::vector<uint8_t> bytes = read_cifar_file(p, kCifarMaxNamesFileBytes, nullptr);
            set.names_files[f] = std::string(bytes.begin(), bytes.end());
        } catch (const Error& e) {
            set.names_problems.push_back(std::string(f) + " could not be read (" + e.what() + ")");
        }
    }
}

void open_folder(const std::string& path, const CifarOpenOptions& options, CifarDataset& ds) {
    const auto present_in = [](const std::string& dir) {
        std::vector<std::string> present;
        for (const auto& list : {std::vector<const char*>(kCifar10Files.begin(), kCifar10Files.end()),
                                 std::vector<const char*>(kCifar100Files.begin(), kCifar100Files.end())}) {
            for (const char* f : list) {
                struct stat st {};
                if (::lstat(join(dir, f).c_str(), &st) == 0) present.emplace_back(f);
            }
        }
        return present;
    };
    std::string dir = path;
    std::vector<std::string> present = present_in(dir);
    if (present.empty()) {  // the folder that holds the extracted one?
        for (const char* sub : {"cifar-10-batches-bin", "cifar-100-binary"}) {
            std::vector<std::string> p = present_in(join(path, sub));
            if (!p.empty()) {
                dir = join(path, sub);
                present = std::move(p);
                break;
            }
        }
    }
    const CifarVariant variant = variant_of_set(present, "the folder " + path, options);
    const auto& files = variant == CifarVariant::Cifar10
                            ? std::vector<const char*>(kCifar10Files.begin(), kCifar10Files.end())
                            : std::vector<const char*>(kCifar100Files.begin(), kCifar100Files.end());
    uint64_t total = 0;
    for (const char* f : files) {
        struct stat st {};
        if (::stat(join(dir, f).c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    }
    Progress progress(options, total);
    FileSet set;
    for (const char* f : files) {
        struct stat st {};
        if (::lstat(join(dir, f).c_str(), &st) != 0) continue;
        set.batches[f] = read_cifar_file(join(dir, f), kCifarMaxArchiveBytes, &progress);
    }
    read_names_files(dir, set);
    parse_set(set, variant, options, ds);
}

void open_single_file(const std::string& path, const CifarOpenOptions& options, CifarDataset& ds) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) io_fail(path, "cannot open", errno);
    Progress progress(options, S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0);
    const std::vector<uint8_t> bytes = read_cifar_file(path, kCifarMaxArchiveBytes, &progress);
    const std::string name = base_name(path);
    parse_with_hint(bytes.data(), bytes.size(), name, options.variant, options.accept_partial, ds);
    // Class names from the set's names file next to it, if there is one.
    FileSet set;
    read_names_files(dir_name(path), set);
    if (ds.variant == CifarVariant::Cifar10) {
        ds.label_names = names_or_numbers(set, kCifar10Names, 10, ds.warnings);
    } else {
        ds.label_names = names_or_numbers(set, kCifar100FineNames, 100, ds.warnings);
        ds.coarse_names = names_or_numbers(set, kCifar100CoarseNames, 20, ds.warnings);
    }
}

class ArchiveReader {
public:
    ArchiveReader() : a_(archive_read_new()) {
        if (!a_) throw IoError("libarchive: out of memory");
        archive_read_support_filter_gzip(a_);
        archive_read_support_format_tar(a_);
    }
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;
    ~ArchiveReader() { archive_read_free(a_); }
    archive* get() const { return a_; }
    std::string error() const {
        const char* e = archive_error_string(a_);
        return e ? e : "unknown libarchive error";
    }

private:
    archive* a_;
};

const char* entry_type_text(const archive_entry* entry) {
    if (archive_entry_hardlink(const_cast<archive_entry*>(entry))) return "a hard link";
    switch (archive_entry_filetype(const_cast<archive_entry*>(entry))) {
        case AE_IFLNK:
            return "a symbolic link";
        case AE_IFDIR:
            return "a directory";
        case AE_IFIFO:
            return "a FIFO";
        case AE_IFCHR:
            return "a character device";
        case AE_IFBLK:
            return "a block device";
        case AE_IFSOCK:
            return "a socket";
        default:
            return "not a regular file";
    }
}

void open_archive(const std::string& path, const CifarOpenOptions& options, CifarDataset& ds) {
    const std::string arch = base_name(path);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) io_fail(path, "cannot open", errno);
    const auto compressed = static_cast<uint64_t>(st.st_size);
    if (compressed == 0) throw FormatError(arch + " is empty (0 bytes); expected a .tar.gz archive");
    Progress progress(options, compressed);
    ArchiveReader reader;
    archive* a = reader.get();
    if (archive_read_open_filename(a, path.c_str(), 1 << 16) != ARCHIVE_OK) {
        throw FormatError(arch + ": cannot read it as a .tar.gz archive: " + reader.error());
    }
    FileSet set;
    uint64_t total = 0;  // uncompressed bytes of every entry, read or skipped
    const std::string too_big = arch + ": the archive holds more than " + grouped(kCifarMaxArchiveBytes) +
                                " bytes uncompressed; the CIFAR binary archives hold about 180 MB (is this the "
                                "right file?)";
    archive_entry* entry = nullptr;
    int r = ARCHIVE_OK;
    while ((r = archive_read_next_header(a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        progress.check_cancel();
        const char* pn = archive_entry_pathname(entry);
        const std::string entry_name = pn ? pn : "";
        const std::string base = base_name(entry_name);
        const bool wanted = is_batch_name(base) || is_names_file(base);
        const bool regular = archive_entry_filetype(entry) == AE_IFREG && !archive_entry_hardlink(entry);
        if (archive_entry_filetype(entry) == AE_IFDIR) continue;
        if (archive_entry_size_is_set(entry)) {
            const int64_t declared = archive_entry_size(entry);
            if (declared < 0 || static_cast<uint64_t>(declared) > kCifarMaxArchiveBytes - total)
                throw FormatError(too_big);
        }
        if (!wanted || set.batches.count(base) || set.names_files.count(base)) {
            // Not read; skipping still decompresses, so count it against the cap.
            if (archive_entry_size_is_set(entry)) total += static_cast<uint64_t>(archive_entry_size(entry));
            if (archive_read_data_skip(a) != ARCHIVE_OK) {
                throw FormatError(arch + ": damaged or truncated archive (at entry " + entry_name +
                                  "): " + reader.error());
            }
            continue;
        }
        if (!regular) {
            throw FormatError(arch + ": the entry " + entry_name + " is " + entry_type_text(entry) +
                              ", not a regular file; convscope reads only regular files from an archive");
        }
        std::vector<uint8_t> bytes;
        const uint64_t cap = base.find(".txt") != std::string::npos ? kCifarMaxNamesFileBytes : kCifarMaxArchiveBytes;
        if (archive_entry_size_is_set(entry)) bytes.reserve(static_cast<size_t>(archive_entry_size(entry)));
        bool too_long = false;
        for (;;) {
            const size_t old = bytes.size();
            const size_t chunk = size_t{1} << 20;
            bytes.resize(old + chunk);
            const la_ssize_t n = archive_read_data(a, bytes.data() + old, chunk);
            if (n < 0) {
                throw FormatError(arch + ": damaged or truncated archive (reading " + entry_name +
                                  "): " + reader.error());
            }
            bytes.resize(old + static_cast<size_t>(n));
            if (n == 0) break;
            total += static_cast<uint64_t>(n);
            if (total > kCifarMaxArchiveBytes) throw FormatError(too_big);
            if (bytes.size() > cap) {
                too_long = true;
                break;
            }
            progress.report(
                static_cast<float>(static_cast<double>(archive_filter_bytes(a, -1)) / static_cast<double>(compressed)));
            progress.check_cancel();
        }
        if (is_names_file(base)) {
            if (too_long) {
                set.names_problems.push_back(base + " is larger than " + grouped(kCifarMaxNamesFileBytes) + " bytes");
            } else {
                set.names_files[base] = std::string(bytes.begin(), bytes.end());
            }
        } else {
            set.batches[base] = std::move(bytes);
        }
    }
    if (r != ARCHIVE_EOF) throw FormatError(arch + ": damaged or truncated archive: " + reader.error());

    std::vector<std::string> present;
    for (const auto& [name, bytes] : set.batches) present.push_back(name);
    const CifarVariant variant = variant_of_set(present, arch, options);
    try {
        parse_set(set, variant, options, ds);
    } catch (const CifarPartialError& e) {
        throw CifarPartialError(arch + ": " + e.what(), e.complete_records);
    } catch (const FormatError& e) {
        throw FormatError(arch + ": " + e.what());
    }
    progress.report(1.0f);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 2. Records (public)
// ---------------------------------------------------------------------------------------------------------------

Tensor CifarDataset::image(int64_t index) const {
    assert(index >= 0 && index < size());
    Tensor t(Shape{3, 32, 32});
    const uint8_t* p = pixels.data() + static_cast<size_t>(index) * static_cast<size_t>(kCifarPixels);
    for (size_t i = 0; i < static_cast<size_t>(kCifarPixels); ++i) t.data[i] = static_cast<float>(p[i]) / 255.0f;
    return t;
}

void cifar_parse_records(const uint8_t* data, size_t size, const std::string& name, CifarVariant variant,
                         bool accept_partial, CifarDataset& into) {
    const uint64_t rec = record_bytes(variant);
    const char* vname = variant_name(variant);
    if (size == 0 || data == nullptr) {
        throw FormatError(name + " is empty (0 bytes); expected " + vname + " records of " + grouped(rec) +
                          " bytes (empty or not a regular file)");
    }
    const uint64_t complete = size / rec;
    const uint64_t rest = size % rec;
    if (rest != 0) {
        const std::string msg = name + " is " + grouped(size) + " bytes; " + vname + " records are " + grouped(rec) +
                                " bytes (expected a multiple; the last record is incomplete: " + grouped(complete) +
                                " complete records, then " + grouped(rest) + " bytes)";
        if (!accept_partial) throw CifarPartialError(msg, static_cast<int64_t>(complete));
        if (complete == 0) {
            throw FormatError(name + " is " + grouped(size) + " bytes, less than one " + vname + " record (" +
                              grouped(rec) + " bytes)");
        }
    }
    if (const auto bad = first_bad_label(data, complete, variant)) {
        throw FormatError(name + ": record " + grouped(bad->record) + " (byte offset " + grouped(bad->offset) +
                          ") has " + bad->which + " " + int_text(bad->value) + "; " + vname + " " + bad->which +
                          "s are 0 to " + int_text(static_cast<uint64_t>(bad->max)) + " (is this a " + vname +
                          " file from the binary version?)");
    }
    if (!into.images.empty() && into.variant != variant) {
        throw FormatError(name + ": cannot add " + vname + " records to a " + variant_name(into.variant) + " set");
    }

    // Everything checked: append. Reserve first so that a failed allocation leaves `into` as it was.
    const size_t n = static_cast<size_t>(complete);
    const size_t pixels = static_cast<size_t>(kCifarPixels);
    try {
        into.pixels.reserve(into.pixels.size() + n * pixels);
        into.images.reserve(into.images.size() + n);
    } catch (const std::bad_alloc&) {
        throw IoError(name + ": not enough memory for " + grouped(complete) + " images");
    }
    into.variant = variant;
    const size_t header = variant == CifarVariant::Cifar10 ? 1 : 2;
    const size_t old = into.pixels.size();
    into.pixels.resize(old + n * pixels);
    CifarImage img;
    img.source = name;
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* r = data + i * rec;
        if (variant == CifarVariant::Cifar10) {
            img.label = r[0];
            img.coarse_label = 0;
        } else {
            img.coarse_label = r[0];
            img.label = r[1];
        }
        std::memcpy(into.pixels.data() + old + i * pixels, r + header, pixels);
        into.images.push_back(img);
    }
}

std::vector<uint8_t> cifar_encode_records(CifarVariant variant, const std::vector<uint8_t>& pixels,
                                          const std::vector<CifarImage>& labels) {
    const auto px = static_cast<size_t>(kCifarPixels);
    assert(pixels.size() == labels.size() * px);
    std::vector<uint8_t> out;
    out.reserve(labels.size() * static_cast<size_t>(record_bytes(variant)));
    for (size_t i = 0; i < labels.size(); ++i) {
        if (variant == CifarVariant::Cifar100) out.push_back(labels[i].coarse_label);
        out.push_back(labels[i].label);
        out.insert(out.end(), pixels.begin() + static_cast<std::ptrdiff_t>(i * px),
                   pixels.begin() + static_cast<std::ptrdiff_t>((i + 1) * px));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Label-name files (public)
// ---------------------------------------------------------------------------------------------------------------

std::vector<std::string> cifar_parse_label_names(const std::string& text, size_t expected, const std::string& name,
                                                 std::vector<std::string>& warnings) {
    std::vector<std::string> names;
    size_t line_no = 0;
    size_t pos = 0;
    const auto give_up = [&](const std::string& why) {
        warnings.push_back(name + " " + why + ": using numbers as class names");
        return number_names(expected);
    };
    while (pos < text.size()) {
        ++line_no;
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        if (end - pos > kCifarMaxNameLine) {
            return give_up("line " + int_text(line_no) + " is longer than " + int_text(kCifarMaxNameLine) +
                           " bytes (is this a label-names file?)");
        }
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (line.empty()) continue;
        for (const char ch : line) {
            const auto c = static_cast<uint8_t>(ch);
            if (c < 0x20 || c >= 0x7F) {
                return give_up("line " + int_text(line_no) + " has a byte that is not printable ASCII (0x" +
                               std::string(1, "0123456789ABCDEF"[c >> 4]) + "0123456789ABCDEF"[c & 0xF] + ")");
            }
        }
        if (names.size() == expected) {
            return give_up("has more than " + int_text(expected) + " names, expected " + int_text(expected));
        }
        names.emplace_back(line);
    }
    if (names.size() < expected) {
        return give_up("has " + int_text(names.size()) + " names, expected " + int_text(expected));
    }
    return names;
}

// ---------------------------------------------------------------------------------------------------------------
// 5. cifar_open, cifar_write_tar_gz
// ---------------------------------------------------------------------------------------------------------------

CifarDataset cifar_open(const std::string& path, const CifarOpenOptions& options) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) io_fail(path, "cannot open", errno);
    CifarDataset ds;
    ds.origin = path;
    if (S_ISDIR(st.st_mode)) {
        open_folder(path, options, ds);
    } else if (S_ISREG(st.st_mode) &&
               (ends_with(path, ".tar.gz") || ends_with(path, ".tgz") || ends_with(path, ".tar"))) {
        open_archive(path, options, ds);
    } else {
        open_single_file(path, options, ds);
    }
    if (options.progress) options.progress(1.0f);
    return ds;
}

void cifar_write_tar_gz(const std::string& path, const std::vector<CifarArchiveEntry>& entries) {
    archive* a = archive_write_new();
    if (!a) throw IoError(path + ": libarchive: out of memory");
    const auto fail = [&](const std::string& what) {
        const char* e = archive_error_string(a);
        const std::string msg = path + ": " + what + ": " + (e ? e : "unknown libarchive error");
        archive_write_free(a);
        throw IoError(msg);
    };
    if (archive_write_add_filter_gzip(a) != ARCHIVE_OK || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
        fail("cannot set up the writer");
    if (archive_write_open_filename(a, path.c_str()) != ARCHIVE_OK) fail("cannot create");
    for (const CifarArchiveEntry& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        if (e.symlink_target.empty()) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
        } else {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.symlink_target.c_str());
            archive_entry_set_size(entry, 0);
        }
        archive_entry_set_perm(entry, 0644);
        const int hr = archive_write_header(a, entry);
        archive_entry_free(entry);
        if (hr != ARCHIVE_OK) fail("cannot write the header of " + e.name);
        if (e.symlink_target.empty() && !e.data.empty() &&
            archive_write_data(a, e.data.data(), e.data.size()) != static_cast<la_ssize_t>(e.data.size()))
            fail("cannot write " + e.name);
    }
    if (archive_write_close(a) != ARCHIVE_OK) fail("cannot finish");
    archive_write_free(a);
}

}  // namespace convscope
