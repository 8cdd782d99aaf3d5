// Tests of core/npy: round trips, numpy's exact bytes, every dtype conversion, fortran order, every malformed file,
// and the file-system side of npy_load / npy_save.
//
// Sections:
//   1. Helpers: building .npy bytes by hand, checking error messages, temporary directories
//   2. Writing and round trips
//   3. Reading: versions, header syntax, dtypes, float16, fortran order
//   4. Malformed files
//   5. Files on disk
#include "npy.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>
#include "test_util.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "error.hpp"

namespace {

using convscope::FormatError;
using convscope::IoError;
using convscope::NpyInfo;
using convscope::Shape;
using convscope::Tensor;
using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------------------------
// 1. Helpers
// ---------------------------------------------------------------------------------------------------------------

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A .npy file built by hand: magic, version, little-endian header length, `dict` padded with spaces so that the
// data starts at a multiple of 64 (as numpy writes it), '\n', then `data`.
Bytes make_npy(const std::string& dict, const std::string& data, int major = 1) {
    const size_t prefix = major == 1 ? 10 : 12;
    std::string header = dict;
    while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    return to_bytes(out + header + data);
}

// The common case: a header for `descr` and `shape` (Python tuple text, e.g. "(2, 3)").
Bytes make_npy_for(const std::string& descr, const std::string& shape, const std::string& data,
                   bool fortran_order = false) {
    return make_npy("{'descr': '" + descr + "', 'fortran_order': " + (fortran_order ? "True" : "False") +
                        ", 'shape': " + shape + ", }",
                    data);
}

// Raw element bytes of `values` as type T, in little- or big-endian order.
template <class T>
std::string raw(std::initializer_list<T> values, bool big_endian = false) {
    std::string out;
    for (T v : values) {
        char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));  // the host is little-endian (npy.cpp asserts it)
        if (big_endian) std::reverse(b, b + sizeof(T));
        out.append(b, sizeof(T));
    }
    return out;
}

// Float32 equality that also treats NaN as equal to NaN and tells -0 from +0.
bool same_float(float a, float b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
}

::testing::AssertionResult values_are(const Tensor& t, const float* expected, size_t n) {
    if (t.data.size() != n) {
        return ::testing::AssertionFailure() << "size " << t.data.size() << ", expected " << n;
    }
    for (size_t i = 0; i < n; ++i) {
        if (!same_float(t.data[i], expected[i])) {
            return ::testing::AssertionFailure()
                   << "element " << i << " is " << t.data[i] << ", expected " << expected[i];
        }
    }
    return ::testing::AssertionSuccess();
}
::testing::AssertionResult values_are(const Tensor& t, std::initializer_list<float> expected) {
    return values_are(t, expected.begin(), expected.size());
}
::testing::AssertionResult values_are(const Tensor& t, const std::vector<float>& expected) {
    return values_are(t, expected.data(), expected.size());
}
::testing::AssertionResult values_are(const Tensor& t, const convscope::FloatStorage& expected) {
    return values_are(t, expected.data(), expected.size());
}

// Parses `bytes` and checks that it fails with a FormatError whose message names the file and contains every one
// of `words`. (A small stand-in for gmock's HasSubstr.)
::testing::AssertionResult fails_with(const Bytes& bytes, const std::vector<std::string>& words,
                                      const std::string& name = "weights.npy") {
    try {
        const Tensor t = convscope::npy_parse(bytes, name);
        return ::testing::AssertionFailure() << "parsed without error, shape " << convscope::shape_to_string(t.shape);
    } catch (const FormatError& e) {
        const std::string msg = e.what();
        if (msg.rfind(name + ": ", 0) != 0) {
            return ::testing::AssertionFailure() << "message does not start with the file name: " << msg;
        }
        for (const std::string& w : words) {
            if (msg.find(w) == std::string::npos) {
                return ::testing::AssertionFailure() << "message lacks \"" << w << "\": " << msg;
            }
        }
        return ::testing::AssertionSuccess() << msg;
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "threw something other than FormatError: " << e.what();
    } catch (...) {
        return ::testing::AssertionFailure() << "threw a non-std exception";
    }
}

// A fresh directory under the test temp dir, removed with everything in it at the end of the test.
using convscope::testing::dir_entries;
using convscope::testing::name_too_long_for_a_temporary;
using convscope::testing::TempDir;

std::string read_file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Writing and round trips
// ---------------------------------------------------------------------------------------------------------------

// Expected bytes captured once from numpy 1.24.2:
//   /usr/bin/python3 -c "import numpy as np, sys; np.save(sys.stdout.buffer,
//       np.array([[1.5, -2.0, 0.25], [3.0, 0.1, -0.0]], dtype=np.float32))"
const char kNumpySave2x3[] =
    "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }         "
    "                                                 \x0a\x00\x00\xc0?\x00\x00\x00\xc0\x00\x00\x80>"
    "\x00\x00@@\xcd\xcc\xcc=\x00\x00\x00\x80";

TEST(Npy, SerializeIsByteIdenticalToNumpySave) {
    const Tensor t({2, 3}, {1.5f, -2.0f, 0.25f, 3.0f, 0.1f, -0.0f});
    const std::string expected(kNumpySave2x3, sizeof(kNumpySave2x3) - 1);
    const Bytes bytes = convscope::npy_serialize(t);
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), expected);
}

struct RoundTripCase {
    const char* label;
    Shape shape;
};

TEST(Npy, RoundTripsRanksZeroToFiveIncludingZeroSizeDims) {
    const std::vector<RoundTripCase> cases = {
        {"rank 0 scalar", {}},
        {"rank 1 empty", {0}},
        {"rank 1 single", {1}},
        {"rank 1 seven", {7}},
        {"rank 2 9x7", {9, 7}},
        {"rank 2 zero rows", {0, 3}},
        {"rank 2 zero cols", {3, 0}},
        {"rank 3", {2, 3, 4}},
        {"rank 3 zero middle", {2, 0, 4}},
        {"rank 4 NCHW", {1, 13, 9, 7}},
        {"rank 5", {2, 3, 1, 4, 5}},
        {"rank 5 all zero", {0, 0, 0, 0, 0}},
        {"rank 2 wide first dim", {123456, 0}},
    };
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(),  std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),  -0.0f,
                              std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()};
    for (const RoundTripCase& c : cases) {
        SCOPED_TRACE(c.label);
        Tensor t(c.shape);
        for (int64_t i = 0; i < t.numel(); ++i) {
            t[i] = i < 6 ? specials[i] : static_cast<float>(i) * 0.37f - 5.0f;
        }
        const Bytes bytes = convscope::npy_serialize(t);
        const size_t header_len = bytes[8] | (bytes[9] << 8);
        EXPECT_EQ((10 + header_len) % 64, 0u) << "data must start at a multiple of 64 bytes";
        EXPECT_EQ(bytes[10 + header_len - 1], '\n');
        EXPECT_EQ(bytes.size(), 10 + header_len + 4 * t.data.size());

        NpyInfo info;
        const Tensor back = convscope::npy_parse(bytes, c.label, &info);
        EXPECT_EQ(back.shape, c.shape);
        EXPECT_TRUE(values_are(back, t.data));
        EXPECT_EQ(info.major, 1);
        EXPECT_EQ(info.minor, 0);
        EXPECT_EQ(info.descr, "<f4");
        EXPECT_FALSE(info.fortran_order);
        EXPECT_EQ(info.shape, c.shape);
        EXPECT_TRUE(info.notices.empty());
    }
}

TEST(Npy, SerializedHeaderTextIsNumpysDictLiteral) {
    // numpy's layout: sorted keys, ", }" ending, spare spaces for the first axis to grow to 21 digits.
    const Bytes bytes = convscope::npy_serialize(Tensor({3}));
    const std::string header(bytes.begin() + 10, bytes.begin() + 10 + (bytes[8] | (bytes[9] << 8)));
    EXPECT_EQ(header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 0), 0u) << header;
    EXPECT_EQ(header.find_first_not_of(' ', header.find('}') + 1), header.size() - 1);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Reading
// ---------------------------------------------------------------------------------------------------------------

TEST(Npy, ReadsFormatVersions1To3) {
    for (int major : {1, 2, 3}) {
        SCOPED_TRACE(major);
        NpyInfo info;
        const Tensor t = convscope::npy_parse(
            make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", raw<float>({1.0f, -2.5f}), major),
            "v.npy", &info);
        EXPECT_EQ(info.major, major);
        EXPECT_EQ(info.minor, 0);
        EXPECT_EQ(t.shape, Shape({2}));
        EXPECT_TRUE(values_are(t, {1.0f, -2.5f}));
    }
}

TEST(Npy, HeaderAcceptsAnyKeyOrderQuotesAndSpacing) {
    const std::vector<std::string> dicts = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
        "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
        "{'fortran_order': False, 'descr': '<f4', 'shape': (2, ), }",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",
        "{'descr':'<f4','fortran_order':False,'shape':(2,)}",
        "{ 'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 2 , ) , }",
    };
    for (const std::string& dict : dicts) {
        SCOPED_TRACE(dict);
        const Tensor t = convscope::npy_parse(make_npy(dict, raw<float>({4.0f, 5.0f})), "h.npy");
        EXPECT_EQ(t.shape, Shape({2}));
        EXPECT_TRUE(values_are(t, {4.0f, 5.0f}));
    }
    // No padding at all: the header is just the dict and '\n'.
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n";
    std::string file = "\x93NUMPY\x01";
    file += '\0';
    file += static_cast<char>(dict.size());
    file += '\0';
    const Tensor t = convscope::npy_parse(to_bytes(file + dict + raw<float>({7.0f})), "h.npy");
    EXPECT_TRUE(t.shape.empty());
    EXPECT_TRUE(values_are(t, {7.0f}));
}

struct DtypeCase {
    const char* descr;
    std::string data;  // raw bytes of the elements
    std::vector<float> expected;
    const char* notice;  // nullptr: no notice expected
};

TEST(Npy, ConvertsEveryDtypeToFloat32WithANotice) {
    constexpr bool kBig = true;
    const std::vector<DtypeCase> cases = {
        {"<f4", raw<float>({1.5f, -0.0f, 3e38f}), {1.5f, -0.0f, 3e38f}, nullptr},
        {">f4",
         raw<float>({1.5f, -0.0f, 3e38f}, kBig),
         {1.5f, -0.0f, 3e38f},
         "converted big-endian float32 (>f4) to float32"},
        {"<f8", raw<double>({0.1, -2.0, 1e-50}), {0.1f, -2.0f, 0.0f}, "converted float64 (<f8) to float32"},
        {">f8",
         raw<double>({0.1, -2.0, 1e-50}, kBig),
         {0.1f, -2.0f, 0.0f},
         "converted big-endian float64 (>f8) to float32"},
        {"<f2",
         raw<uint16_t>({0x3C00, 0xC000, 0x3555}),
         {1.0f, -2.0f, 0.333251953125f},
         "converted float16 (<f2) to float32"},
        {">f2",
         raw<uint16_t>({0x3C00, 0xC000, 0x3555}, kBig),
         {1.0f, -2.0f, 0.333251953125f},
         "converted big-endian float16 (>f2) to float32"},
        {"|i1", raw<int8_t>({-128, 127, -1}), {-128.0f, 127.0f, -1.0f}, "converted int8 (|i1) to float32"},
        {"|u1", raw<uint8_t>({0, 255, 1}), {0.0f, 255.0f, 1.0f}, "converted uint8 (|u1) to float32"},
        {"<i2", raw<int16_t>({-32768, 32767, -1}), {-32768.0f, 32767.0f, -1.0f}, "converted int16 (<i2) to float32"},
        {">i2",
         raw<int16_t>({-32768, 32767, -1}, kBig),
         {-32768.0f, 32767.0f, -1.0f},
         "converted big-endian int16 (>i2) to float32"},
        {"<u2", raw<uint16_t>({0, 65535, 258}), {0.0f, 65535.0f, 258.0f}, "converted uint16 (<u2) to float32"},
        {">u2",
         raw<uint16_t>({0, 65535, 258}, kBig),
         {0.0f, 65535.0f, 258.0f},
         "converted big-endian uint16 (>u2) to float32"},
        {"<i4",
         raw<int32_t>({-16777216, 16777216, -7}),
         {-16777216.0f, 16777216.0f, -7.0f},
         "converted int32 (<i4) to float32"},
        {">i4",
         raw<int32_t>({-16777216, 16777216, -7}, kBig),
         {-16777216.0f, 16777216.0f, -7.0f},
         "converted big-endian int32 (>i4) to float32"},
        {"<u4",
         raw<uint32_t>({0, 0xFF000000u, 65536}),
         {0.0f, 4278190080.0f, 65536.0f},
         "converted uint32 (<u4) to float32"},
        {">u4",
         raw<uint32_t>({0, 0xFF000000u, 65536}, kBig),
         {0.0f, 4278190080.0f, 65536.0f},
         "converted big-endian uint32 (>u4) to float32"},
        {"<i8",
         raw<int64_t>({std::numeric_limits<int64_t>::min(), -3, 1 << 20}),
         {-9223372036854775808.0f, -3.0f, 1048576.0f},
         "converted int64 (<i8) to float32"},
        {">i8",
         raw<int64_t>({std::numeric_limits<int64_t>::min(), -3, 1 << 20}, kBig),
         {-9223372036854775808.0f, -3.0f, 1048576.0f},
         "converted big-endian int64 (>i8) to float32"},
        {"<u8",
         raw<uint64_t>({0, 1ull << 63, 12345}),
         {0.0f, 9223372036854775808.0f, 12345.0f},
         "converted uint64 (<u8) to float32"},
        {">u8",
         raw<uint64_t>({0, 1ull << 63, 12345}, kBig),
         {0.0f, 9223372036854775808.0f, 12345.0f},
         "converted big-endian uint64 (>u8) to float32"},
    };
    for (const DtypeCase& c : cases) {
        SCOPED_TRACE(c.descr);
        NpyInfo info;
        const Tensor t = convscope::npy_parse(make_npy_for(c.descr, "(3,)", c.data), "d.npy", &info);
        EXPECT_EQ(t.shape, Shape({3}));
        EXPECT_TRUE(values_are(t, c.expected));
        EXPECT_EQ(info.descr, c.descr);
        if (c.notice) {
            ASSERT_EQ(info.notices.size(), 1u);
            EXPECT_EQ(info.notices[0], c.notice);
        } else {
            EXPECT_TRUE(info.notices.empty());
        }
    }
}

TEST(Npy, NoticesIntegersRoundedAndFloat64Overflow) {
    NpyInfo info;
    // 2^24 + 1 and INT64_MAX have more than 24 significant bits; INT64_MIN = -2^63 is exact.
    Tensor t = convscope::npy_parse(make_npy_for("<i8", "(3,)",
                                                 raw<int64_t>({(1 << 24) + 1, std::numeric_limits<int64_t>::max(),
                                                               std::numeric_limits<int64_t>::min()})),
                                    "i.npy", &info);
    EXPECT_TRUE(values_are(t, {16777216.0f, 9223372036854775808.0f, -9223372036854775808.0f}));
    ASSERT_EQ(info.notices.size(), 2u);
    EXPECT_NE(info.notices[1].find("2 int64 values"), std::string::npos) << info.notices[1];

    // FLT_MAX + half an ulp (0x1.ffffffp127) is the first double that rounds to infinity; just below rounds to
    // FLT_MAX, as numpy's float32(x) does.
    t = convscope::npy_parse(make_npy_for("<f8", "(4,)", raw<double>({1e300, -1e300, 0x1.ffffffp127, 0x1.fffffefp127})),
                             "f.npy", &info);
    const float inf = std::numeric_limits<float>::infinity();
    EXPECT_TRUE(values_are(t, {inf, -inf, inf, std::numeric_limits<float>::max()}));
    ASSERT_EQ(info.notices.size(), 2u);
    EXPECT_NE(info.notices[1].find("3 float64 values are outside the float32 range"), std::string::npos)
        << info.notices[1];
}

TEST(Npy, Float16SpecialValues) {
    struct Half {
        uint16_t bits;
        float value;
        const char* what;
    };
    // Values from the binary16 definition: subnormal = mantissa · 2^-24, normal = (1 + m/1024) · 2^(e-15).
    const std::vector<Half> halves = {
        {0x0000, 0.0f, "+0"},
        {0x8000, -0.0f, "-0"},
        {0x0001, 0x1p-24f, "smallest subnormal"},
        {0x8001, -0x1p-24f, "smallest negative subnormal"},
        {0x03FF, 1023 * 0x1p-24f, "largest subnormal"},
        {0x0400, 0x1p-14f, "smallest normal"},
        {0x3C00, 1.0f, "one"},
        {0x7BFF, 65504.0f, "largest finite"},
        {0x7C00, std::numeric_limits<float>::infinity(), "+inf"},
        {0xFC00, -std::numeric_limits<float>::infinity(), "-inf"},
        {0x7E00, std::numeric_limits<float>::quiet_NaN(), "quiet NaN"},
        {0xFD01, std::numeric_limits<float>::quiet_NaN(), "negative signalling NaN"},
    };
    for (bool big : {false, true}) {
        std::string data;
        std::vector<float> expected;
        for (const Half& h : halves) {
            data += raw<uint16_t>({h.bits}, big);
            expected.push_back(h.value);
        }
        SCOPED_TRACE(big ? ">f2" : "<f2");
        const Tensor t = convscope::npy_parse(
            make_npy_for(big ? ">f2" : "<f2", "(" + std::to_string(halves.size()) + ",)", data), "h.npy");
        for (size_t i = 0; i < halves.size(); ++i) {
            EXPECT_TRUE(same_float(t.data[i], halves[i].value)) << halves[i].what << ": got " << t.data[i];
        }
    }
}

TEST(Npy, FortranOrder2x3IsReorderedToRowMajor) {
    // Logical array [[0, 1, 2], [3, 4, 5]]; column-major storage walks down the columns.
    NpyInfo info;
    const Tensor t = convscope::npy_parse(
        make_npy_for("<f4", "(2, 3)", raw<float>({0, 3, 1, 4, 2, 5}), /*fortran_order=*/true), "f.npy", &info);
    EXPECT_EQ(t.shape, Shape({2, 3}));
    EXPECT_TRUE(values_are(t, {0, 1, 2, 3, 4, 5}));
    EXPECT_TRUE(info.fortran_order);
    ASSERT_EQ(info.notices.size(), 1u);
    EXPECT_NE(info.notices[0].find("row-major"), std::string::npos);
}

TEST(Npy, FortranOrder2x3x4IsReorderedToRowMajor) {
    // Element (i, j, k) = 100 i + 10 j + k. Fortran order: the first index varies fastest.
    std::string data;
    for (int k = 0; k < 4; ++k)
        for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 2; ++i) data += raw<int16_t>({static_cast<int16_t>(100 * i + 10 * j + k)}, true);
    std::vector<float> expected;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) expected.push_back(static_cast<float>(100 * i + 10 * j + k));
    NpyInfo info;
    const Tensor t = convscope::npy_parse(make_npy_for(">i2", "(2, 3, 4)", data, true), "f.npy", &info);
    EXPECT_EQ(t.shape, Shape({2, 3, 4}));
    EXPECT_TRUE(values_are(t, expected));
    EXPECT_EQ(info.notices.size(), 2u);  // the int16 conversion and the reorder
}

TEST(Npy, FortranOrderOfRankZeroAndOneChangesNothing) {
    EXPECT_TRUE(values_are(convscope::npy_parse(make_npy_for("<f4", "()", raw<float>({2}), true), "f.npy"), {2}));
    EXPECT_TRUE(
        values_are(convscope::npy_parse(make_npy_for("<f4", "(3,)", raw<float>({1, 2, 3}), true), "f.npy"), {1, 2, 3}));
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Malformed files
// ---------------------------------------------------------------------------------------------------------------

// A preamble with any version and header-length bytes, followed by `rest`.
Bytes make_preamble(int major, int minor, const std::string& length_bytes, const std::string& rest = "") {
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += static_cast<char>(minor);
    return to_bytes(out + length_bytes + rest);
}

std::string dict_with_shape(const std::string& shape) {
    return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

struct MalformedCase {
    const char* label;
    Bytes bytes;
    std::vector<std::string> words;
};

TEST(Npy, RejectsMalformedFilesWithSpecificMessages) {
    const std::string f4x3 = raw<float>({1, 2, 3});
    const std::vector<MalformedCase> cases = {
        // The preamble.
        {"empty file", {}, {"file is 0 bytes, too short for a .npy header"}},
        {"magic only", to_bytes("\x93NUMPY\x01"), {"file is 7 bytes, too short for a .npy header"}},
        {"short non-npy", to_bytes("abc"), {"file is 3 bytes, too short", "\\x93NUMPY magic"}},
        {"bad magic", to_bytes("not a numpy file at all"), {"not a NumPy .npy file (missing the \\x93NUMPY magic"}},
        {"zip", to_bytes(std::string("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00", 12)), {"\\x93NUMPY", ".npz"}},
        {"pickle",
         to_bytes(std::string("\x80\x04\x95\x06\x00\x00\x00\x00\x00\x00\x00]", 12)),
         {"not a NumPy .npy file", "pickle"}},
        {"short pickle", to_bytes("\x80\x04K\x01."), {"file is 5 bytes, too short", "pickle"}},
        {"version 4.0",
         make_preamble(4, 0, std::string("\x40\x00", 2)),
         {"unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)"}},
        {"version 1.1", make_preamble(1, 1, std::string("\x40\x00", 2)), {"unsupported .npy format version 1.1"}},
        {"version 0.0", make_preamble(0, 0, std::string("\x40\x00", 2)), {"unsupported .npy format version 0.0"}},
        {"v2 preamble cut", make_preamble(2, 0, std::string("\x40\x00\x00", 3)), {"file is 11 bytes, too short"}},
        {"header length past the end",
         make_preamble(1, 0, std::string("\x80\x00", 2), "{'descr'"),
         {"header length 128 is larger than the file", "8 bytes"}},
        {"header too long",
         make_npy(dict_with_shape("(3,)") + std::string(65600, ' '), f4x3, 2),
         {"header too long", "65536"}},
        {"zero header length", make_preamble(1, 0, std::string("\x00\x00", 2)), {"header length is 0"}},
        // Header syntax.
        {"no final newline", make_preamble(1, 0, std::string("\x04\x00", 2), "{}  "), {"does not end with '\\n'"}},
        {"not a dict", make_npy("['descr', '<f4']", ""), {"expected '{'"}},
        {"leading space", make_npy(" " + dict_with_shape("(3,)"), f4x3), {"expected '{'"}},
        {"junk after dict", make_npy(dict_with_shape("(3,)") + " x", f4x3), {"only space padding"}},
        {"non-ASCII byte",
         make_npy("{'descr': '<f4\xc3\xa9', 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"byte 0xC3", "printable ASCII"}},
        {"newline inside", make_npy("{'descr': '<f4',\n'fortran_order': False, 'shape': (3,), }", f4x3), {"byte 0x0A"}},
        {"unquoted key",
         make_npy("{descr: '<f4', 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"expected a quoted key"}},
        {"missing colon",
         make_npy("{'descr' '<f4', 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"expected ':' after the key 'descr'"}},
        {"missing comma",
         make_npy("{'descr': '<f4' 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"expected ',' or '}'"}},
        {"double comma",
         make_npy("{'descr': '<f4',, 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"expected a quoted key"}},
        {"unterminated dict",
         make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ", f4x3),
         {"found the end of the header"}},
        {"unterminated string", make_npy("{'descr': '<f4", f4x3), {"expected a closing ' for the string"}},
        {"unquoted comma in string",
         make_npy("{'descr': '<f4, 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"expected ',' or '}' after the value of 'descr'"}},
        {"string escape",
         make_npy("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"backslash"}},
        // Keys.
        {"missing shape",
         make_npy("{'descr': '<f4', 'fortran_order': False, }", f4x3),
         {"Header does not contain the correct keys", "missing 'shape'"}},
        {"empty dict",
         make_npy("{}", f4x3),
         {"Header does not contain the correct keys", "missing 'descr', 'fortran_order', 'shape'"}},
        {"extra key",
         make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}", f4x3),
         {"Header does not contain the correct keys", "unexpected key 'extra'"}},
        {"duplicate key",
         make_npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"Header does not contain the correct keys", "'descr' appears twice"}},
        // fortran_order.
        {"fortran_order 0",
         make_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }", f4x3),
         {"True or False for 'fortran_order'", "'0"}},
        {"fortran_order lowercase",
         make_npy("{'descr': '<f4', 'fortran_order': true, 'shape': (3,), }", f4x3),
         {"True or False"}},
        // dtypes.
        {"object",
         make_npy_for("|O", "(3,)", std::string(24, '\0')),
         {"object arrays are never loaded (they need pickle)"}},
        {"structured",
         make_npy("{'descr': [('a', '<f4'), ('b', '<i2')], 'fortran_order': False, 'shape': (3,), }",
                  std::string(18, '\0')),
         {"structured dtypes are not supported"}},
        {"complex",
         make_npy_for("<c8", "(3,)", std::string(24, '\0')),
         {"unsupported dtype '<c8' (supported: float16/32/64 and integer types)"}},
        {"bool", make_npy_for("|b1", "(3,)", std::string(3, '\0')), {"unsupported dtype '|b1'"}},
        {"unicode", make_npy_for("<U3", "(3,)", std::string(36, '\0')), {"unsupported dtype '<U3'"}},
        {"bytes", make_npy_for("|S3", "(3,)", std::string(9, '\0')), {"unsupported dtype '|S3'"}},
        {"long double", make_npy_for("<f16", "(3,)", std::string(48, '\0')), {"unsupported dtype '<f16'"}},
        {"datetime", make_npy_for("<M8[ns]", "(3,)", std::string(24, '\0')), {"unsupported dtype '<M8[ns]'"}},
        {"int3", make_npy_for("<i3", "(3,)", std::string(9, '\0')), {"unsupported dtype '<i3'"}},
        {"empty descr", make_npy_for("", "(3,)", f4x3), {"unsupported dtype ''"}},
        {"pipe on f4", make_npy_for("|f4", "(3,)", f4x3), {"unsupported dtype '|f4'", "byte order '|'"}},
        {"descr not a string",
         make_npy("{'descr': f4, 'fortran_order': False, 'shape': (3,), }", f4x3),
         {"a quoted dtype string"}},
        // Shapes.
        {"negative dim", make_npy(dict_with_shape("(-3, 4)"), f4x3), {"negative dimension '-3'"}},
        {"python 2 long", make_npy(dict_with_shape("(3L, 4L)"), f4x3), {"'3L'", "Python 2 long suffix"}},
        {"float dim", make_npy(dict_with_shape("(3.0, 4)"), f4x3), {"'3.0'", "not a non-negative decimal integer"}},
        {"name dim", make_npy(dict_with_shape("(None,)"), f4x3), {"'None'", "not a non-negative decimal integer"}},
        {"plus sign", make_npy(dict_with_shape("(+3,)"), f4x3), {"'+3'", "not a non-negative decimal integer"}},
        {"leading zero", make_npy(dict_with_shape("(03,)"), f4x3), {"'03'", "leading zero"}},
        {"dim over int64", make_npy(dict_with_shape("(99999999999999999999,)"), f4x3), {"does not fit in 64 bits"}},
        {"parenthesized int", make_npy(dict_with_shape("(3)"), f4x3), {"not a tuple", "(3,)"}},
        {"list shape", make_npy(dict_with_shape("[3]"), f4x3), {"a tuple such as (2, 3) for 'shape'"}},
        {"empty dim", make_npy(dict_with_shape("(3,,)"), f4x3), {"expected a dimension"}},
        {"missing comma in shape", make_npy(dict_with_shape("(3 4)"), f4x3), {"expected ',' or ')'"}},
        {"rank 6", make_npy_for("<f4", "(1, 1, 1, 1, 1, 3)", f4x3), {"rank 6 arrays are not supported (at most 5)"}},
        // Sizes.
        {"data short",
         make_npy_for("<f4", "(3, 4)", std::string(40, '\0')),
         {"data shorter than declared: shape (3, 4) float32 needs 48 bytes, the file has 40 after the header (file "
          "seems not fully written)"}},
        {"data short int16",
         make_npy_for("<i2", "(5,)", std::string(4, '\0')),
         {"data shorter than declared: shape (5,) int16 needs 10 bytes, the file has 4"}},
        {"trailing bytes", make_npy_for("<f4", "(3,)", f4x3 + "abcd"), {"4 trailing bytes after the data"}},
        {"huge shape overflow",
         make_npy_for("<f4", "(4611686018427387904, 16)", f4x3),
         {"shape (4611686018427387904, 16)", "overflows"}},
        {"huge bytes overflow", make_npy_for("<f8", "(4611686018427387904,)", f4x3), {"size in bytes overflows"}},
        {"huge but no overflow",
         make_npy_for("<f4", "(1099511627776,)", f4x3),
         {"data shorter than declared", "needs 4398046511104 bytes"}},
    };
    for (const MalformedCase& c : cases) {
        SCOPED_TRACE(c.label);
        EXPECT_TRUE(fails_with(c.bytes, c.words));
    }
}

TEST(Npy, HugeHeaderLengthInTinyV2FileFailsWithoutAllocating) {
    // 12 bytes: magic, version 2.0, header_len 0xFFFFFFF0. Allocating that much would trip AddressSanitizer.
    EXPECT_TRUE(fails_with(make_preamble(2, 0, std::string("\xF0\xFF\xFF\xFF", 4)), {"header too long", "4294967280"}));
    // 65536 itself is allowed, but not in a 12-byte file.
    EXPECT_TRUE(fails_with(make_preamble(3, 0, std::string("\x00\x00\x01\x00", 4)),
                           {"header length 65536 is larger than the file", "only 0 bytes"}));
}

TEST(Npy, ZeroSizeShapesFollowShapeNumel) {
    // A zero dimension before the huge ones keeps the running product at 0: an empty array.
    const Tensor t = convscope::npy_parse(make_npy_for("<f4", "(0, 4611686018427387904, 16)", ""), "z.npy");
    EXPECT_EQ(t.shape, Shape({0, 4611686018427387904, 16}));
    EXPECT_EQ(t.numel(), 0);
    // numpy would accept (2**62, 16, 0), but its running product overflows before the 0 (see shape_numel).
    EXPECT_TRUE(fails_with(make_npy_for("<f4", "(4611686018427387904, 16, 0)", ""), {"overflows 64 bits"}));
}

TEST(Npy, EveryTruncationOfAValidFileIsAFormatError) {
    Tensor t({2, 3});
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i);
    const Bytes full = convscope::npy_serialize(t);
    for (size_t n = 0; n < full.size(); ++n) {
        SCOPED_TRACE("first " + std::to_string(n) + " bytes");
        EXPECT_TRUE(fails_with(Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n)), {}, "cut.npy"));
    }
}

TEST(Npy, RandomByteFlipsThrowOnlyFormatError) {
    // Seeded and replayable: a failure reports the seed and the case number.
    const uint32_t seed = 20261124;
    std::mt19937 rng(seed);
    const Bytes valid = make_npy_for(">i2", "(2, 3)", raw<int16_t>({1, 2, 3, 4, 5, 6}, true), true);
    for (int trial = 0; trial < 3000; ++trial) {
        Bytes b = valid;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int f = 0; f < flips; ++f) {
            // Mostly the preamble and header, where the parsing happens.
            const size_t at = rng() % 4 == 0 ? rng() % b.size() : rng() % std::min<size_t>(b.size(), 80);
            b[at] = static_cast<uint8_t>(rng());
        }
        try {
            (void)convscope::npy_parse(b, "flip.npy");
        } catch (const FormatError&) {
        } catch (const std::exception& e) {
            ADD_FAILURE() << "seed " << seed << " trial " << trial << ": threw " << e.what();
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Files on disk
// ---------------------------------------------------------------------------------------------------------------

TEST(Npy, SaveThenLoadFile) {
    TempDir dir;
    const std::string path = dir.file("weights.npy");
    const Tensor t({2, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9});
    convscope::npy_save(path, t);
    const Bytes serialized = convscope::npy_serialize(t);
    EXPECT_EQ(read_file_bytes(path), std::string(serialized.begin(), serialized.end()));
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{"weights.npy"});  // no temporary file left
    NpyInfo info;
    const Tensor back = convscope::npy_load(path, &info);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_TRUE(values_are(back, t.data));

    // Saving again replaces the file.
    convscope::npy_save(path, Tensor({1}, {42}));
    EXPECT_TRUE(values_are(convscope::npy_load(path), {42}));
}

TEST(Npy, LoadNamesTheFileInFormatErrors) {
    TempDir dir;
    const std::string path = dir.file("broken.npy");
    write_file_bytes(path, "PK\x03\x04 zip bytes");
    try {
        (void)convscope::npy_load(path);
        ADD_FAILURE() << "no error";
    } catch (const FormatError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
    }
}

TEST(Npy, LoadMissingPathIsIoErrorWithReason) {
    TempDir dir;
    const std::string path = dir.file("missing.npy");
    try {
        (void)convscope::npy_load(path);
        ADD_FAILURE() << "no error";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::strerror(ENOENT)), std::string::npos) << msg;
    }
}

TEST(Npy, LoadDirectoryOrFifoFailsWithoutBlocking) {
    TempDir dir;
    EXPECT_THROW((void)convscope::npy_load(dir.path()), IoError);
    const std::string fifo = dir.file("pipe.npy");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
    try {
        (void)convscope::npy_load(fifo);  // opening a FIFO for reading would block until a writer appears
        ADD_FAILURE() << "no error";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("FIFO"), std::string::npos) << e.what();
    }
}

TEST(Npy, SaveIntoMissingDirectoryIsIoError) {
    TempDir dir;
    const std::string path = dir.file("no/such/dir/out.npy");
    try {
        convscope::npy_save(path, Tensor({2}));
        ADD_FAILURE() << "no error";
    } catch (const IoError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find(std::strerror(ENOENT)), std::string::npos) << msg;
    }
}

TEST(Npy, FailedSaveLeavesExistingFileUnchanged) {
    TempDir dir;
    const std::string path = dir.file(name_too_long_for_a_temporary());
    const std::string original = "the previous contents";
    write_file_bytes(path, original);
    EXPECT_THROW(convscope::npy_save(path, Tensor({2, 2})), IoError);
    EXPECT_EQ(read_file_bytes(path), original);
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{name_too_long_for_a_temporary()});
}

TEST(Npy, FailedRenameRemovesTheTemporaryFile) {
    TempDir dir;
    // The target is a non-empty directory: writing the temporary file works, renaming over the target does not.
    const std::string path = dir.file("target");
    ASSERT_TRUE(std::filesystem::create_directory(path));
    write_file_bytes(path + "/inside", "x");
    EXPECT_THROW(convscope::npy_save(path, Tensor({3})), IoError);
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{"target"});
    EXPECT_TRUE(std::filesystem::is_directory(path));
}

}  // namespace
