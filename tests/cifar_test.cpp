// Tests of core/cifar: genuine CIFAR-format files with known pixels and labels (written with cifar_encode_records)
// opened as a single file, a folder and a .tar.gz; every bad input of bad-inputs.md items 1-5.
//
// Sections:
//   1. Helpers: known images, temporary directories, error checks
//   2. Records from memory: partial, empty, labels out of range
//   3. Variant detection and ambiguity
//   4. Label-name files
//   5. Files, folders and archives on disk; progress, cancel, speed
#include "cifar.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include "test_util.hpp"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "error.hpp"

namespace {

using convscope::CifarAmbiguousError;
using convscope::CifarArchiveEntry;
using convscope::CifarDataset;
using convscope::CifarImage;
using convscope::CifarOpenOptions;
using convscope::CifarPartialError;
using convscope::CifarVariant;
using convscope::FormatError;
using convscope::IoError;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------------------
// 1. Helpers
// ---------------------------------------------------------------------------------------------------------------

constexpr size_t kPixels = 3072;

// `n` images whose pixel k of image i is (i * 7 + k * 13 + salt) % 256, with labels i % 10 (CIFAR-10) or
// fine i % 100 and coarse i % 20 (CIFAR-100).
struct Images {
    Bytes pixels;
    std::vector<CifarImage> labels;
};

Images make_images(size_t n, CifarVariant v, int salt = 0) {
    Images im;
    im.pixels.resize(n * kPixels);
    for (size_t i = 0; i < n; ++i) {
        for (size_t k = 0; k < kPixels; ++k)
            im.pixels[i * kPixels + k] = static_cast<uint8_t>((i * 7 + k * 13 + static_cast<size_t>(salt)) % 256);
        CifarImage c;
        c.label = static_cast<uint8_t>(v == CifarVariant::Cifar10 ? i % 10 : i % 100);
        c.coarse_label = static_cast<uint8_t>(v == CifarVariant::Cifar10 ? 0 : i % 20);
        im.labels.push_back(c);
    }
    return im;
}

Bytes encode(size_t n, CifarVariant v, int salt = 0) {
    const Images im = make_images(n, v, salt);
    return convscope::cifar_encode_records(v, im.pixels, im.labels);
}

using convscope::testing::TempDir;

void write_file(const std::string& path, const Bytes& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_text(const std::string& path, const std::string& text) { write_file(path, Bytes(text.begin(), text.end())); }

const char* kCifar10Names = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";

std::string numbered_names(const std::string& stem, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += stem + std::to_string(i) + "\n";
    return s;
}

using convscope::testing::throws_with;

void parse(const Bytes& b, CifarVariant v, bool accept_partial, CifarDataset& into,
           const std::string& name = "data_batch_1.bin") {
    convscope::cifar_parse_records(b.data(), b.size(), name, v, accept_partial, into);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Records from memory
// ---------------------------------------------------------------------------------------------------------------

TEST(CifarRecords, EncodeThenParseGivesTheSamePixelsAndLabels) {
    for (CifarVariant v : {CifarVariant::Cifar10, CifarVariant::Cifar100}) {
        const Images im = make_images(13, v);
        const Bytes b = convscope::cifar_encode_records(v, im.pixels, im.labels);
        ASSERT_EQ(b.size(), 13u * (v == CifarVariant::Cifar10 ? 3073u : 3074u));
        CifarDataset ds;
        parse(b, v, false, ds);
        EXPECT_EQ(ds.pixels, im.pixels);
        ASSERT_EQ(ds.size(), 13);
        for (size_t i = 0; i < 13; ++i) {
            EXPECT_EQ(ds.images[i].label, im.labels[i].label);
            EXPECT_EQ(ds.images[i].coarse_label, im.labels[i].coarse_label);
            EXPECT_EQ(ds.images[i].source, "data_batch_1.bin");
        }
    }
}

TEST(CifarRecords, ImageIsChwOver255) {
    CifarDataset ds;
    parse(encode(3, CifarVariant::Cifar10), CifarVariant::Cifar10, false, ds);
    const convscope::Tensor t = ds.image(2);
    ASSERT_EQ(t.shape, (convscope::Shape{3, 32, 32}));
    // Pixel k of image 2 is (14 + 13k) % 256; k = 1024 + 32*5 + 7 is green, row 5, column 7.
    const size_t k = 1024 + 32 * 5 + 7;
    EXPECT_FLOAT_EQ(t.at({1, 5, 7}), static_cast<float>((14 + 13 * k) % 256) / 255.0f);
}

TEST(CifarRecords, PartialLastRecordNamesSizeRecordSizeAndCompleteCount) {
    // The example of bad-inputs.md #1: 30,729,999 bytes = 9,999 records of 3,073 + 3,072 bytes.
    Bytes b(30'729'999, 0);
    CifarDataset ds;
    try {
        parse(b, CifarVariant::Cifar10, false, ds);
        FAIL() << "no exception";
    } catch (const CifarPartialError& e) {
        EXPECT_EQ(e.complete_records, 9999);
        EXPECT_NE(std::string(e.what()).find("data_batch_1.bin is 30,729,999 bytes; CIFAR-10 records are 3,073 bytes "
                                             "(expected a multiple; the last record is incomplete"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(ds.size(), 0) << "nothing is added on failure";
}

TEST(CifarRecords, AcceptPartialLoadsTheCompleteRecordsOnly) {
    Bytes b = encode(4, CifarVariant::Cifar100);
    b.resize(b.size() - 10);
    CifarDataset ds;
    EXPECT_TRUE(throws_with<CifarPartialError>([&] { parse(b, CifarVariant::Cifar100, false, ds); },
                                               {"12,286 bytes", "CIFAR-100 records are 3,074 bytes", "3 complete"}));
    parse(b, CifarVariant::Cifar100, true, ds);
    EXPECT_EQ(ds.size(), 3);
}

struct BadRecordCase {
    const char* name;
    CifarVariant variant;
    size_t records;
    size_t poke_offset;  // byte to overwrite
    uint8_t poke_value;
    std::vector<std::string> words;
};

class CifarBadRecord : public ::testing::TestWithParam<BadRecordCase> {};

TEST_P(CifarBadRecord, IsRejectedWithWhereAndWhy) {
    const BadRecordCase& c = GetParam();
    Bytes b = encode(c.records, c.variant);
    b[c.poke_offset] = c.poke_value;
    CifarDataset ds;
    EXPECT_TRUE(throws_with<FormatError>([&] { parse(b, c.variant, false, ds); }, c.words));
    EXPECT_EQ(ds.size(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    CifarLabels, CifarBadRecord,
    ::testing::Values(BadRecordCase{"Cifar10Label255",
                                    CifarVariant::Cifar10,
                                    5,
                                    2 * 3073,
                                    0xFF,
                                    {"record 2 (byte offset 6,146) has label 255", "CIFAR-10 labels are 0 to 9"}},
                      BadRecordCase{
                          "Cifar10Label10", CifarVariant::Cifar10, 1, 0, 10, {"record 0 (byte offset 0) has label 10"}},
                      BadRecordCase{"Cifar100Coarse20",
                                    CifarVariant::Cifar100,
                                    3,
                                    3074,
                                    20,
                                    {"record 1 (byte offset 3,074) has coarse label 20", "coarse labels are 0 to 19"}},
                      BadRecordCase{"Cifar100Fine100",
                                    CifarVariant::Cifar100,
                                    3,
                                    2 * 3074 + 1,
                                    100,
                                    {"record 2 (byte offset 6,149) has fine label 100", "fine labels are 0 to 99"}}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

TEST(CifarRecords, EmptyInputIsRejected) {
    CifarDataset ds;
    EXPECT_TRUE(throws_with<FormatError>([&] { parse({}, CifarVariant::Cifar10, true, ds); },
                                         {"data_batch_1.bin is empty (0 bytes)"}));
}

TEST(CifarRecords, LessThanOneRecordWithAcceptPartialIsRejected) {
    CifarDataset ds;
    EXPECT_TRUE(throws_with<FormatError>([&] { parse(Bytes(100, 0), CifarVariant::Cifar10, true, ds); },
                                         {"100 bytes, less than one CIFAR-10 record"}));
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Variant detection
// ---------------------------------------------------------------------------------------------------------------

TEST(CifarVariantDetection, Cifar100FileIsDetectedWithoutAChoice) {
    TempDir dir;
    write_file(dir.file("mystery.bin"), encode(3, CifarVariant::Cifar100));
    const CifarDataset ds = convscope::cifar_open(dir.file("mystery.bin"));
    EXPECT_EQ(ds.variant, CifarVariant::Cifar100);
    EXPECT_EQ(ds.size(), 3);
    EXPECT_EQ(ds.images[2].label, 2);
    EXPECT_EQ(ds.images[2].coarse_label, 2);
}

TEST(CifarVariantDetection, Cifar100FileOpenedAsCifar10SaysWhatItIs) {
    TempDir dir;
    write_file(dir.file("train.bin"), encode(3, CifarVariant::Cifar100));
    CifarOpenOptions o;
    o.variant = CifarVariant::Cifar10;
    EXPECT_TRUE(throws_with<CifarPartialError>([&] { convscope::cifar_open(dir.file("train.bin"), o); },
                                               {"CIFAR-10 records are 3,073 bytes", "it looks like a CIFAR-100 file"}));
}

TEST(CifarVariantDetection, SizeDivisibleByBothWithValidLabelsIsAmbiguous) {
    // 3,074 CIFAR-10 records of black images with label 0 are 9,446,402 bytes = 3,073 CIFAR-100 records whose
    // label bytes (all 0) are valid too.
    const size_t n = 3074;
    Bytes pixels(n * kPixels, 0);
    const Bytes b = convscope::cifar_encode_records(CifarVariant::Cifar10, pixels, std::vector<CifarImage>(n));
    ASSERT_EQ(b.size(), 9'446'402u);
    TempDir dir;
    write_file(dir.file("batch.bin"), b);
    EXPECT_TRUE(
        throws_with<CifarAmbiguousError>([&] { convscope::cifar_open(dir.file("batch.bin")); },
                                         {"9,446,402 bytes", "valid for both", "choose CIFAR-10 or CIFAR-100"}));
    CifarOpenOptions o;
    o.variant = CifarVariant::Cifar100;
    EXPECT_EQ(convscope::cifar_open(dir.file("batch.bin"), o).size(), 3073);
    o.variant = CifarVariant::Cifar10;
    EXPECT_EQ(convscope::cifar_open(dir.file("batch.bin"), o).size(), 3074);
}

TEST(CifarVariantDetection, SizeDivisibleByBothIsResolvedByLabelRanges) {
    // Same size, but pixel bytes that would be CIFAR-100 label bytes are > 99: only CIFAR-10 fits.
    const size_t n = 3074;
    Bytes pixels(n * kPixels, 200);
    std::vector<CifarImage> labels(n);
    const Bytes b = convscope::cifar_encode_records(CifarVariant::Cifar10, pixels, labels);
    TempDir dir;
    write_file(dir.file("batch.bin"), b);
    const CifarDataset ds = convscope::cifar_open(dir.file("batch.bin"));
    EXPECT_EQ(ds.variant, CifarVariant::Cifar10);
    EXPECT_EQ(ds.size(), 3074);
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Label-name files
// ---------------------------------------------------------------------------------------------------------------

struct NamesCase {
    const char* name;
    std::string text;
    size_t expected;
    bool usable;               // the names are used; otherwise numbers and a warning
    std::string warning_word;  // a word of the warning when not usable
};

class CifarLabelNames : public ::testing::TestWithParam<NamesCase> {};

TEST_P(CifarLabelNames, AreUsedOrReplacedByNumbersWithAWarning) {
    const NamesCase& c = GetParam();
    std::vector<std::string> warnings;
    const std::vector<std::string> names =
        convscope::cifar_parse_label_names(c.text, c.expected, "batches.meta.txt", warnings);
    ASSERT_EQ(names.size(), c.expected);
    if (c.usable) {
        EXPECT_TRUE(warnings.empty()) << warnings.front();
        EXPECT_EQ(names[0], "airplane");
        EXPECT_EQ(names[9], "truck");
    } else {
        ASSERT_EQ(warnings.size(), 1u);
        EXPECT_NE(warnings[0].find("batches.meta.txt"), std::string::npos) << warnings[0];
        EXPECT_NE(warnings[0].find(c.warning_word), std::string::npos) << warnings[0];
        EXPECT_NE(warnings[0].find("using numbers"), std::string::npos) << warnings[0];
        EXPECT_EQ(names[0], "0");
        EXPECT_EQ(names[9], "9");
    }
}

std::string crlf(std::string s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(
    CifarNameFiles, CifarLabelNames,
    ::testing::Values(
        NamesCase{"Plain", kCifar10Names, 10, true, ""},
        NamesCase{"CrlfAndTrailingBlankLines", crlf(kCifar10Names) + "\r\n\r\n", 10, true, ""},
        NamesCase{"BlankLinesAndSpaces", "\n  airplane \nautomobile\n\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck",
                  10, true, ""},
        NamesCase{"TooFew", "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n", 10, false,
                  "has 9 names, expected 10"},
        NamesCase{"TooMany", std::string(kCifar10Names) + "extra\n", 10, false, "more than 10"},
        NamesCase{"NonAscii",
                  "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntr\xC3\xBC"
                  "ck\n",
                  10, false, "not printable ASCII"},
        NamesCase{"TenMegabyteLine", std::string(10 << 20, 'a') + "\n", 10, false, "longer than 256 bytes"},
        NamesCase{"Empty", "", 10, false, "has 0 names"}),
    [](const auto& test_info) { return std::string(test_info.param.name); });

// ---------------------------------------------------------------------------------------------------------------
// 5. Files, folders, archives
// ---------------------------------------------------------------------------------------------------------------

// A CIFAR-10 folder: data_batch_1 (2 images), data_batch_2 (3), test_batch (1), optional names.
void write_cifar10_folder(const std::string& dir, bool names) {
    write_file(dir + "/data_batch_2.bin", encode(3, CifarVariant::Cifar10, 2));
    write_file(dir + "/data_batch_1.bin", encode(2, CifarVariant::Cifar10, 1));
    write_file(dir + "/test_batch.bin", encode(1, CifarVariant::Cifar10, 9));
    if (names) write_text(dir + "/batches.meta.txt", kCifar10Names);
}

void expect_cifar10_set(const CifarDataset& ds) {
    ASSERT_EQ(ds.size(), 6);
    EXPECT_EQ(ds.variant, CifarVariant::Cifar10);
    const std::vector<std::string> sources = {"data_batch_1.bin", "data_batch_1.bin", "data_batch_2.bin",
                                              "data_batch_2.bin", "data_batch_2.bin", "test_batch.bin"};
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(ds.images[i].source, sources[i]) << i;
    // Image 3 is image 1 of data_batch_2 (salt 2): label 1, pixel 0 = 7 + 2.
    EXPECT_EQ(ds.images[3].label, 1);
    EXPECT_EQ(ds.pixels[3 * kPixels], 9);
    EXPECT_EQ(ds.pixels[5 * kPixels + 1], 13 + 9);
}

TEST(CifarOpen, FolderIsReadInDocumentedOrderWithNames) {
    TempDir dir;
    write_cifar10_folder(dir.path(), true);
    const CifarDataset ds = convscope::cifar_open(dir.path());
    expect_cifar10_set(ds);
    EXPECT_EQ(ds.label_names.at(3), "cat");
    EXPECT_TRUE(ds.warnings.empty());
    EXPECT_EQ(ds.origin, dir.path());
}

TEST(CifarOpen, ParentOfTheExtractedFolderWorks) {
    TempDir dir;
    write_cifar10_folder(dir.file("cifar-10-batches-bin"), true);
    expect_cifar10_set(convscope::cifar_open(dir.path()));
}

TEST(CifarOpen, MissingNamesFileGivesNumbersAndAWarning) {
    TempDir dir;
    write_cifar10_folder(dir.path(), false);
    const CifarDataset ds = convscope::cifar_open(dir.path());
    EXPECT_EQ(ds.label_names.at(3), "3");
    ASSERT_EQ(ds.warnings.size(), 1u);
    EXPECT_NE(ds.warnings[0].find("batches.meta.txt not found"), std::string::npos) << ds.warnings[0];
}

TEST(CifarOpen, Cifar100FolderWithFineAndCoarseNames) {
    TempDir dir;
    write_file(dir.file("train.bin"), encode(4, CifarVariant::Cifar100));
    write_file(dir.file("test.bin"), encode(2, CifarVariant::Cifar100, 5));
    write_text(dir.file("fine_label_names.txt"), crlf(numbered_names("fine", 100)));
    write_text(dir.file("coarse_label_names.txt"), numbered_names("coarse", 20));
    const CifarDataset ds = convscope::cifar_open(dir.path());
    EXPECT_EQ(ds.variant, CifarVariant::Cifar100);
    ASSERT_EQ(ds.size(), 6);
    EXPECT_EQ(ds.images[4].source, "test.bin");
    EXPECT_EQ(ds.label_names.at(42), "fine42");
    EXPECT_EQ(ds.coarse_names.at(19), "coarse19");
}

TEST(CifarOpen, FolderWithoutBatchesSaysWhatIsExpected) {
    TempDir dir;
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::cifar_open(dir.path()); },
                                         {"has no CIFAR batch files", "data_batch_1.bin", "train.bin"}));
}

TEST(CifarOpen, PartialFileInFolderCanBeAccepted) {
    TempDir dir;
    write_cifar10_folder(dir.path(), true);
    Bytes b = encode(3, CifarVariant::Cifar10, 2);
    b.pop_back();
    write_file(dir.file("data_batch_2.bin"), b);
    EXPECT_TRUE(throws_with<CifarPartialError>([&] { convscope::cifar_open(dir.path()); },
                                               {"data_batch_2.bin is 9,218 bytes", "2 complete"}));
    CifarOpenOptions o;
    o.accept_partial = true;
    EXPECT_EQ(convscope::cifar_open(dir.path(), o).size(), 5);
}

TEST(CifarOpen, EmptyFileIsRejected) {
    TempDir dir;
    write_file(dir.file("data_batch_1.bin"), {});
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::cifar_open(dir.file("data_batch_1.bin")); },
                                         {"data_batch_1.bin is empty (0 bytes)"}));
}

TEST(CifarOpen, FifoIsRefusedWithoutBlocking) {
    TempDir dir;
    ASSERT_EQ(::mkfifo(dir.file("pipe.bin").c_str(), 0600), 0);
    EXPECT_TRUE(
        throws_with<IoError>([&] { convscope::cifar_open(dir.file("pipe.bin")); }, {"FIFO", "not a regular file"}));
}

TEST(CifarOpen, CharacterDeviceIsRefused) {
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::cifar_open("/dev/null"); }, {"character device"}));
}

TEST(CifarOpen, DirectoryNamedLikeABatchInsideAFolderIsRefused) {
    TempDir dir;
    std::filesystem::create_directories(dir.file("data_batch_1.bin"));
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::cifar_open(dir.path()); }, {"a directory"}));
}

TEST(CifarOpen, MissingPathIsAnIoError) {
    EXPECT_TRUE(throws_with<IoError>([&] { convscope::cifar_open("/nonexistent/cifar"); },
                                     {"/nonexistent/cifar", "No such file"}));
}

std::vector<CifarArchiveEntry> cifar10_archive_entries() {
    return {
        {"cifar-10-batches-bin/", {}, ""},
        {"cifar-10-batches-bin/readme.html", {'h', 'i'}, ""},
        {"cifar-10-batches-bin/data_batch_2.bin", encode(3, CifarVariant::Cifar10, 2), ""},
        {"cifar-10-batches-bin/batches.meta.txt", Bytes(kCifar10Names, kCifar10Names + std::strlen(kCifar10Names)), ""},
        {"cifar-10-batches-bin/test_batch.bin", encode(1, CifarVariant::Cifar10, 9), ""},
        {"cifar-10-batches-bin/data_batch_1.bin", encode(2, CifarVariant::Cifar10, 1), ""}};
}

TEST(CifarArchive, TarGzIsReadWithoutExtracting) {
    TempDir dir;
    auto entries = cifar10_archive_entries();
    entries.erase(entries.begin());  // libarchive writes the directory entry as a regular file otherwise
    convscope::cifar_write_tar_gz(dir.file("cifar-10-binary.tar.gz"), entries);
    std::vector<float> progress;
    CifarOpenOptions o;
    o.progress = [&](float f) { progress.push_back(f); };
    const CifarDataset ds = convscope::cifar_open(dir.file("cifar-10-binary.tar.gz"), o);
    expect_cifar10_set(ds);
    EXPECT_EQ(ds.label_names.at(9), "truck");
    ASSERT_FALSE(progress.empty());
    EXPECT_FLOAT_EQ(progress.back(), 1.0f);
    // Nothing was extracted next to the archive.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(CifarArchive, SymlinkEntryIsRefused) {
    TempDir dir;
    auto entries = cifar10_archive_entries();
    entries.erase(entries.begin());
    entries.push_back({"cifar-10-batches-bin/data_batch_3.bin", {}, "/etc/passwd"});
    convscope::cifar_write_tar_gz(dir.file("c.tar.gz"), entries);
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::cifar_open(dir.file("c.tar.gz")); },
                                         {"c.tar.gz", "data_batch_3.bin is a symbolic link", "only regular files"}));
}

TEST(CifarArchive, TruncatedArchiveIsReported) {
    TempDir dir;
    auto entries = cifar10_archive_entries();
    entries.erase(entries.begin());
    convscope::cifar_write_tar_gz(dir.file("full.tar.gz"), entries);
    std::ifstream in(dir.file("full.tar.gz"), std::ios::binary);
    Bytes all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    all.resize(all.size() / 2);
    write_file(dir.file("cut.tar.gz"), all);
    EXPECT_TRUE(
        throws_with<FormatError>([&] { convscope::cifar_open(dir.file("cut.tar.gz")); }, {"cut.tar.gz", "truncated"}));
}

TEST(CifarArchive, NotAnArchiveIsReported) {
    TempDir dir;
    write_text(dir.file("fake.tar.gz"), "this is not gzip data at all, just text");
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::cifar_open(dir.file("fake.tar.gz")); }, {"fake.tar.gz"}));
}

TEST(CifarArchive, Cifar100ArchiveWithBadLabelNamesTheEntry) {
    TempDir dir;
    Bytes train = encode(2, CifarVariant::Cifar100);
    train[3074 + 1] = 150;
    convscope::cifar_write_tar_gz(dir.file("cifar-100-binary.tar.gz"), {{"cifar-100-binary/train.bin", train, ""}});
    EXPECT_TRUE(throws_with<FormatError>([&] { convscope::cifar_open(dir.file("cifar-100-binary.tar.gz")); },
                                         {"cifar-100-binary.tar.gz: train.bin: record 1 (byte offset 3,075) has "
                                          "fine label 150"}));
}

TEST(CifarOpen, CancelStopsTheOpen) {
    TempDir dir;
    write_cifar10_folder(dir.path(), true);
    std::atomic<bool> cancel{true};
    CifarOpenOptions o;
    o.cancel = &cancel;
    EXPECT_TRUE(throws_with<convscope::Error>([&] { convscope::cifar_open(dir.path(), o); }, {"cancelled"}));
}

// A full-size batch (30,730,000 bytes) opens whole: every record, first to last. How fast is bench_cifar's
// business (tests assert behaviour, not timing).
TEST(CifarOpen, TenThousandImageBatchOpensWhole) {
    TempDir dir;
    const Images im = make_images(10000, CifarVariant::Cifar10);
    write_file(dir.file("data_batch_1.bin"),
               convscope::cifar_encode_records(CifarVariant::Cifar10, im.pixels, im.labels));
    const CifarDataset ds = convscope::cifar_open(dir.file("data_batch_1.bin"));
    ASSERT_EQ(ds.size(), 10000);
    EXPECT_EQ(ds.pixels, im.pixels);
    for (size_t i : {size_t{0}, size_t{1}, size_t{4321}, size_t{9999}})
        EXPECT_EQ(ds.images[i].label, im.labels[i].label) << "record " << i;
}

}  // namespace
