// NumPy .npy read and write.
//
// Sections:
//   1. Small helpers: messages, checked arithmetic, number text
//   2. The preamble: magic, version, header length
//   3. The header: a strict parser of the Python dict literal
//   4. dtypes: which descr strings are read, and the conversion to float32
//   5. npy_parse / npy_load
//   6. npy_serialize / npy_save
//
// File layout (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//   "\x93NUMPY" major minor  header_len (uint16 LE for 1.0, uint32 LE for 2.0/3.0)  header  data
// The header is an ASCII (3.0: utf8) Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n'. The data follows immediately, in C or Fortran order.
#include "npy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <string_view>

#include "error.hpp"
#include "file_io.hpp"

static_assert(std::endian::native == std::endian::little, "convscope's .npy code assumes a little-endian host");
static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4, "float must be IEEE 754 binary32");
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8, "double must be IEEE 754 binary64");

namespace convscope {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// 1. Small helpers
// ---------------------------------------------------------------------------------------------------------------

constexpr std::array<uint8_t, 6> kMagic = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMaxHeaderLen = 65536;
constexpr size_t kArrayAlign = 64;           // numpy's ARRAY_ALIGN
constexpr size_t kGrowthAxisMaxDigits = 21;  // numpy's GROWTH_AXIS_MAX_DIGITS
constexpr size_t kMaxShownChars = 24;        // how much of an offending header token a message quotes

[[noreturn]] void fail(const std::string& name, const std::string& what) { throw FormatError(name + ": " + what); }

std::string int_text(uint64_t v) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

std::string int_text(int64_t v) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

std::string int_text(int v) { return int_text(static_cast<int64_t>(v)); }

std::string hex_byte(uint8_t b) {
    constexpr char kDigits[] = "0123456789ABCDEF";
    return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xF];
}

// Quotes text for a message: printable ASCII as is, anything else as \xNN; long text is cut with "...".
std::string quoted(std::string_view s) {
    std::string out = "'";
    const size_t n = std::min(s.size(), kMaxShownChars);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<uint8_t>(s[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += "\\x" + hex_byte(c).substr(2);
        }
    }
    if (s.size() > n) out += "...";
    return out + "'";
}

// Python's repr of a shape tuple: "()", "(3,)", "(2, 3)".
std::string shape_tuple_text(const Shape& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += int_text(shape[i]);
    }
    if (shape.size() == 1) s += ",";
    return s + ")";
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return std::nullopt;
    return a * b;
}

// Unsigned integer of `n` bytes (n <= 8) at p in the given byte order.
uint64_t load_uint(const uint8_t* p, size_t n, bool big_endian) {
    uint64_t v = 0;
    if (big_endian) {
        for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    } else {
        for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    }
    return v;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The preamble
// ---------------------------------------------------------------------------------------------------------------

// What a file that is not .npy probably is, for the bad-magic message.
std::string not_npy_hint(std::span<const uint8_t> bytes) {
    if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == 'K')
        return "; it starts with \"PK\" and looks like a .npz (zip) archive: load it with numpy.load and save one "
               "array with numpy.save";
    if (!bytes.empty() && bytes[0] == 0x80)
        return "; it starts with byte 0x80 and looks like a Python pickle (torch.save / pickle.dump): save the array "
               "with numpy.save instead";
    return "";
}

bool magic_prefix_matches(std::span<const uint8_t> bytes) {
    const size_t n = std::min(bytes.size(), kMagic.size());
    return std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), kMagic.begin());
}

struct Preamble {
    int major = 0, minor = 0;
    size_t header_offset = 0;  // where the dict text starts
    size_t header_len = 0;     // length of the dict text including padding and '\n'
};

constexpr size_t kMinV1 = 10;  // magic(6) + version(2) + uint16 length
constexpr size_t kMinV2 = 12;  // magic(6) + version(2) + uint32 length

// `bytes` is the start of the file (all of it, or at least kMinV2 + kMaxHeaderLen bytes); `file_size` its size.
Preamble parse_preamble(std::span<const uint8_t> bytes, uint64_t file_size, const std::string& name) {
    if (bytes.size() < kMinV1) {
        std::string msg = "file is " + int_text(static_cast<uint64_t>(bytes.size())) +
                          " bytes, too short for a .npy header (the fixed preamble alone is 10 bytes)";
        if (!magic_prefix_matches(bytes))
            msg += " and it does not start with the \\x93NUMPY magic" + not_npy_hint(bytes);
        fail(name, msg);
    }
    if (!magic_prefix_matches(bytes)) {
        fail(name, "not a NumPy .npy file (missing the \\x93NUMPY magic; found " +
                       quoted(std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size())) + ")" +
                       not_npy_hint(bytes));
    }
    Preamble p;
    p.major = bytes[6];
    p.minor = bytes[7];
    if (p.major < 1 || p.major > 3 || p.minor != 0) {
        fail(name, "unsupported .npy format version " + int_text(p.major) + "." + int_text(p.minor) +
                       " (supported: 1.0, 2.0, 3.0)");
    }
    uint64_t header_len = 0;
    if (p.major == 1) {
        header_len = load_uint(bytes.data() + 8, 2, false);
        p.header_offset = kMinV1;
    } else {
        if (bytes.size() < kMinV2) {
            fail(name, "file is " + int_text(static_cast<uint64_t>(bytes.size())) +
                           " bytes, too short for a .npy header (a version " + int_text(p.major) +
                           ".0 preamble is 12 bytes)");
        }
        header_len = load_uint(bytes.data() + 8, 4, false);
        p.header_offset = kMinV2;
    }
    if (header_len > kMaxHeaderLen) {
        fail(name, "header too long: the header length field says " + int_text(header_len) + " bytes (at most " +
                       int_text(static_cast<uint64_t>(kMaxHeaderLen)) + " are accepted; the file is " +
                       int_text(file_size) + " bytes)");
    }
    const uint64_t available = file_size - p.header_offset;
    if (header_len > available) {
        fail(name, "header length " + int_text(header_len) + " is larger than the file: only " +
                       int_text(static_cast<uint64_t>(available)) +
                       " bytes follow the preamble (file seems not fully written)");
    }
    if (header_len == 0) fail(name, "header length is 0; expected a header dict such as {'descr': '<f4', ...}");
    p.header_len = static_cast<size_t>(header_len);
    return p;
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The header
// ---------------------------------------------------------------------------------------------------------------

struct Header {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
};

// Recursive descent over exactly this grammar (whitespace = spaces and tabs between tokens):
//   header := '{' entry (',' entry)* [','] '}' ' '* '\n'   |   '{' '}' ' '* '\n'
//   entry  := string ':' value                 (keys 'descr', 'fortran_order', 'shape', each exactly once)
//   string := '\'' chars '\'' | '"' chars '"'  (no escapes)
//   value of 'descr': string; of 'fortran_order': True | False; of 'shape': '(' [int (',' int)* [',']] ')'
//   int    := '0' | [1-9][0-9]*                (fits in int64)
// A one-element shape needs its comma, as in Python: (3) is the integer 3, not a tuple.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

    Header parse() {
        check_characters();
        expect('{', "'{' at the start of the header dict");
        bool seen_descr = false, seen_fortran = false, seen_shape = false;
        skip_space();
        while (peek() != '}') {
            const size_t key_pos = pos_;
            const std::string key = parse_string("a quoted key ('descr', 'fortran_order' or 'shape') or '}'");
            bool* seen = key == "descr"           ? &seen_descr
                         : key == "fortran_order" ? &seen_fortran
                         : key == "shape"         ? &seen_shape
                                                  : nullptr;
            if (!seen) {
                fail(name_, "Header does not contain the correct keys: unexpected key " + quoted(key) +
                                " at header offset " + int_text(static_cast<uint64_t>(key_pos)) +
                                " (expected exactly 'descr', 'fortran_order' and 'shape')");
            }
            if (*seen) {
                fail(name_, "Header does not contain the correct keys: key " + quoted(key) +
                                " appears twice (expected 'descr', 'fortran_order' and 'shape' once each)");
            }
            *seen = true;
            skip_space();
            expect(':', "':' after the key " + quoted(key));
            skip_space();
            if (key == "descr") {
                parse_descr_value();
            } else if (key == "fortran_order") {
                parse_fortran_value();
            } else {
                parse_shape_value();
            }
            skip_space();
            if (peek() == ',') {
                ++pos_;
                skip_space();
            } else if (peek() != '}') {
                fail_expected("',' or '}' after the value of " + quoted(key));
            }
        }
        ++pos_;  // '}'
        // Padding: spaces only, then the final newline (check_characters made sure the last byte is '\n').
        while (pos_ + 1 < text_.size() && text_[pos_] == ' ') ++pos_;
        if (pos_ + 1 != text_.size()) fail_expected("only space padding and a final '\\n' after the closing '}'");

        std::string missing;
        for (const auto& [seen, key] : {std::pair{seen_descr, "'descr'"}, std::pair{seen_fortran, "'fortran_order'"},
                                        std::pair{seen_shape, "'shape'"}}) {
            if (!seen) missing += std::string(missing.empty() ? "" : ", ") + key;
        }
        if (!missing.empty()) {
            fail(name_, "Header does not contain the correct keys: missing " + missing +
                            " (expected exactly 'descr', 'fortran_order' and 'shape')");
        }
        return header_;
    }

private:
    // ASCII-safe text only (also for version 3.0, whose header may be utf8): printable characters, tabs, and
    // one '\n' at the very end.
    void check_characters() const {
        if (text_.empty() || text_.back() != '\n') {
            const std::string_view last = text_.empty() ? std::string_view() : text_.substr(text_.size() - 1);
            fail(name_, "the header does not end with '\\n' (found " + quoted(last) +
                            " as its last byte); the header length field may be wrong");
        }
        for (size_t i = 0; i + 1 < text_.size(); ++i) {
            const auto c = static_cast<uint8_t>(text_[i]);
            if ((c < 0x20 && c != '\t') || c >= 0x7F) {
                fail(name_, "the header contains byte " + hex_byte(c) + " at header offset " +
                                int_text(static_cast<uint64_t>(i)) +
                                "; expected printable ASCII text (a Python dict literal)");
            }
        }
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
    }

    // The rest of the header from pos_ without its padding, for "found ..." in messages.
    std::string found_text() const {
        if (pos_ + 1 >= text_.size()) return "the end of the header";
        std::string_view rest = text_.substr(pos_, text_.size() - 1 - pos_);
        while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
        return rest.empty() ? "only padding" : quoted(rest);
    }

    [[noreturn]] void fail_expected(const std::string& expected) const {
        fail(name_, "malformed header at offset " + int_text(static_cast<uint64_t>(pos_)) + ": expected " + expected +
                        ", found " + found_text());
    }

    void expect(char c, const std::string& expected) {
        if (peek() != c) fail_expected(expected);
        ++pos_;
    }

    std::string parse_string(const std::string& expected) {
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail_expected(expected);
        const size_t start = ++pos_;
        while (pos_ + 1 < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\') fail_expected("a string without backslash escapes");
            ++pos_;
        }
        if (pos_ + 1 >= text_.size()) {
            pos_ = start - 1;
            fail_expected("a closing " + std::string(1, quote) + " for the string");
        }
        const std::string s(text_.substr(start, pos_ - start));
        ++pos_;
        return s;
    }

    // A run of characters up to the next separator, for words (True) and shape dimensions (12, -3, 3L, 2.5).
    std::string_view token() {
        const size_t start = pos_;
        while (pos_ + 1 < text_.size()) {
            const char c = text_[pos_];
            if (c == ',' || c == ')' || c == '}' || c == ' ' || c == '\t' || c == ':') break;
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    void parse_descr_value() {
        if (peek() == '[' || peek() == '{' || peek() == '(') {
            fail(name_, "structured dtypes are not supported (the header's 'descr' is a list of fields, found " +
                            found_text() + "); save a plain numeric array");
        }
        header_.descr = parse_string("a quoted dtype string for 'descr', such as '<f4'");
    }

    void parse_fortran_value() {
        const size_t start = pos_;
        const std::string_view word = token();
        if (word == "True") {
            header_.fortran_order = true;
        } else if (word == "False") {
            header_.fortran_order = false;
        } else {
            pos_ = start;
            fail_expected("True or False for 'fortran_order'");
        }
    }

    void parse_shape_value() {
        if (peek() != '(') fail_expected("a tuple such as (2, 3) for 'shape'");
        const size_t open = pos_++;
        skip_space();
        bool had_comma = false;
        while (peek() != ')') {
            header_.shape.push_back(parse_dimension());
            skip_space();
            had_comma = false;
            if (peek() == ',') {
                ++pos_;
                had_comma = true;
                skip_space();
            } else if (peek() != ')') {
                fail_expected("',' or ')' in the 'shape' tuple");
            }
        }
        ++pos_;  // ')'
        if (header_.shape.size() == 1 && !had_comma) {
            fail(name_, "'shape' is " + quoted(text_.substr(open, pos_ - open)) + ", which in Python is the integer " +
                            int_text(header_.shape[0]) + ", not a tuple; a 1-D shape is written (" +
                            int_text(header_.shape[0]) + ",)");
        }
    }

    int64_t parse_dimension() {
        const size_t start = pos_;
        const std::string_view t = token();
        const auto where = [&] { return " (header offset " + int_text(static_cast<uint64_t>(start)) + ")"; };
        if (t.empty()) {
            pos_ = start;
            fail_expected("a dimension (a non-negative integer) in the 'shape' tuple");
        }
        if (t[0] == '-') {
            fail(name_, "'shape' has the negative dimension " + quoted(t) + where() +
                            "; dimensions must be non-negative integers");
        }
        const bool all_digits = t.find_first_not_of("0123456789") == std::string_view::npos;
        if (!all_digits) {
            const std::string_view body = t.substr(0, t.size() - 1);
            if ((t.back() == 'L' || t.back() == 'l') && !body.empty() &&
                body.find_first_not_of("0123456789") == std::string_view::npos) {
                fail(name_, "'shape' has the dimension " + quoted(t) + where() +
                                " with a Python 2 long suffix 'L'; expected plain decimal integers such as " +
                                std::string(body));
            }
            fail(name_,
                 "'shape' has the dimension " + quoted(t) + where() + ", which is not a non-negative decimal integer");
        }
        if (t.size() > 1 && t[0] == '0') {
            fail(name_, "'shape' has the dimension " + quoted(t) + where() +
                            " with a leading zero; expected plain decimal integers");
        }
        int64_t v = 0;
        const auto res = std::from_chars(t.data(), t.data() + t.size(), v);
        if (res.ec == std::errc::result_out_of_range) {
            fail(name_, "'shape' has the dimension " + quoted(t) + where() + ", which does not fit in 64 bits");
        }
        if (res.ec != std::errc() || res.ptr != t.data() + t.size()) {
            fail(name_,
                 "'shape' has the dimension " + quoted(t) + where() + ", which is not a non-negative decimal integer");
        }
        return v;
    }

    std::string_view text_;
    const std::string& name_;
    size_t pos_ = 0;
    Header header_;
};

// ---------------------------------------------------------------------------------------------------------------
// 4. dtypes
// ---------------------------------------------------------------------------------------------------------------

enum class Kind { Float, SignedInt, UnsignedInt };

struct Dtype {
    Kind kind = Kind::Float;
    size_t itemsize = 4;
    bool big_endian = false;
    std::string type_name;  // "float32", "int16", ...
};

Dtype parse_dtype(const std::string& descr, const std::string& name) {
    const std::string unsupported =
        "unsupported dtype " + quoted(descr) + " (supported: float16/32/64 and integer types)";
    std::string_view s = descr;
    char order = '=';
    if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=')) {
        order = s[0];
        s.remove_prefix(1);
    }
    if (!s.empty() && s[0] == 'O') fail(name, "object arrays are never loaded (they need pickle)");
    if (s.size() < 2) fail(name, unsupported);
    int size = 0;
    const auto res = std::from_chars(s.data() + 1, s.data() + s.size(), size);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size()) fail(name, unsupported);

    Dtype d;
    const char kind = s[0];
    if (kind == 'f' && (size == 2 || size == 4 || size == 8)) {
        d.kind = Kind::Float;
        d.type_name = "float" + int_text(size * 8);
    } else if (kind == 'i' && (size == 1 || size == 2 || size == 4 || size == 8)) {
        d.kind = Kind::SignedInt;
        d.type_name = "int" + int_text(size * 8);
    } else if (kind == 'u' && (size == 1 || size == 2 || size == 4 || size == 8)) {
        d.kind = Kind::UnsignedInt;
        d.type_name = "uint" + int_text(size * 8);
    } else {
        fail(name, unsupported);
    }
    d.itemsize = static_cast<size_t>(size);
    if (order == '|' && d.itemsize > 1) {
        fail(name, "unsupported dtype " + quoted(descr) + ": byte order '|' (not applicable) is not valid for a " +
                       int_text(size) + "-byte type; expected '<' or '>'");
    }
    d.big_endian = order == '>' && d.itemsize > 1;
    return d;
}

// IEEE 754 binary16 → binary32, exact for every value (subnormals, infinities, NaN payloads included).
float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1Fu;
    const uint32_t mantissa = h & 0x3FFu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa × 2^-24, exactly representable as a float.
        const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));  // inf or NaN
    return std::bit_cast<float>(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

// float64 → float32 without undefined behaviour for values outside the float range: round to nearest, and values
// at or beyond FLT_MAX + half an ulp become infinity, as an IEEE conversion does.
float double_to_float(double v, int64_t* overflowed) {
    constexpr double kLimit = 0x1.ffffffp127;  // (2 - 2^-24) · 2^127
    if (std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max())) {
        if (std::fabs(v) >= kLimit) {
            ++*overflowed;
            return v < 0 ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
        }
        return v < 0 ? -std::numeric_limits<float>::max() : std::numeric_limits<float>::max();
    }
    return static_cast<float>(v);
}

// True if the magnitude fits in float's 24-bit significand (so the conversion is exact).
bool exact_in_float(uint64_t magnitude) {
    if (magnitude == 0) return true;
    return (magnitude >> std::countr_zero(magnitude)) < (uint64_t{1} << 24);
}

// Converts `count` elements at `src` to float32 and adds the notices that say what happened.
void convert_to_float(const uint8_t* src, size_t count, const Dtype& d, const std::string& descr, float* dst,
                      std::vector<std::string>& notices) {
    const size_t n = d.itemsize;
    int64_t inexact = 0, overflowed = 0;
    for (size_t i = 0; i < count; ++i) {
        const uint64_t raw = load_uint(src + i * n, n, d.big_endian);
        float v = 0.0f;
        switch (d.kind) {
            case Kind::Float:
                if (n == 2) {
                    v = half_to_float(static_cast<uint16_t>(raw));
                } else if (n == 4) {
                    v = std::bit_cast<float>(static_cast<uint32_t>(raw));
                } else {
                    v = double_to_float(std::bit_cast<double>(raw), &overflowed);
                }
                break;
            case Kind::SignedInt: {
                // Sign-extend the n-byte value.
                const unsigned shift = static_cast<unsigned>(64 - 8 * n);
                const int64_t sv = static_cast<int64_t>(raw << shift) >> shift;
                const uint64_t magnitude = sv < 0 ? uint64_t{0} - static_cast<uint64_t>(sv) : static_cast<uint64_t>(sv);
                if (!exact_in_float(magnitude)) ++inexact;
                v = static_cast<float>(sv);
                break;
            }
            case Kind::UnsignedInt:
                if (!exact_in_float(raw)) ++inexact;
                v = static_cast<float>(raw);
                break;
        }
        dst[i] = v;
    }
    if (descr != "<f4" && !(d.kind == Kind::Float && n == 4 && !d.big_endian)) {
        notices.push_back("converted " + std::string(d.big_endian ? "big-endian " : "") + d.type_name + " (" + descr +
                          ") to float32");
    }
    if (inexact > 0) {
        notices.push_back(int_text(inexact) + " " + d.type_name +
                          " values are too large to be exact in float32 (beyond 2^24) and were rounded");
    }
    if (overflowed > 0) {
        notices.push_back(int_text(overflowed) + " float64 values are outside the float32 range and became infinity");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Reading
// ---------------------------------------------------------------------------------------------------------------

// Running out of memory is the system refusing, like a full disk: an IoError, so that callers see only the two
// documented error types.
[[noreturn]] void out_of_memory(const std::string& name, uint64_t bytes) {
    throw IoError(name + ": not enough memory to load it (" + int_text(bytes) + " bytes needed)");
}

// Everything the header says, checked against the file size: what to allocate and where the data starts.
struct Layout {
    Preamble pre;
    Header header;
    Dtype dtype;
    uint64_t count = 0;       // elements
    uint64_t data_bytes = 0;  // count * itemsize, exactly the bytes after the header
    size_t data_offset = 0;
};

Layout parse_layout(std::span<const uint8_t> head, uint64_t file_size, const std::string& name) {
    Layout l;
    l.pre = parse_preamble(head, file_size, name);
    const Preamble& pre = l.pre;
    const std::string_view header_text(reinterpret_cast<const char*>(head.data()) + pre.header_offset, pre.header_len);
    l.header = HeaderParser(header_text, name).parse();
    l.dtype = parse_dtype(l.header.descr, name);
    const Shape& shape = l.header.shape;
    const Dtype& dtype = l.dtype;
    if (shape.size() > static_cast<size_t>(kMaxRank)) {
        fail(name, "rank " + int_text(static_cast<uint64_t>(shape.size())) + " arrays are not supported (at most " +
                       int_text(kMaxRank) + "); shape " + shape_tuple_text(shape));
    }

    // Sizes, checked before anything is allocated. The element count follows shape_numel's rule (a running
    // product that must not overflow int64), so that every shape accepted here is a valid Tensor shape.
    const int64_t numel = shape_numel(shape);
    if (numel < 0) {
        fail(name, "shape " + shape_tuple_text(shape) + " is too large: its element count overflows 64 bits");
    }
    l.count = static_cast<uint64_t>(numel);
    const auto needed = checked_mul(l.count, dtype.itemsize);
    if (!needed) {
        fail(name, "shape " + shape_tuple_text(shape) + " " + dtype.type_name +
                       " is too large: its size in bytes overflows 64 bits");
    }
    l.data_bytes = *needed;
    l.data_offset = pre.header_offset + pre.header_len;
    const uint64_t available = file_size - l.data_offset;
    const std::string need_text = "shape " + shape_tuple_text(shape) + " " + dtype.type_name + " needs " +
                                  int_text(*needed) + " bytes, the file has " + int_text(available) +
                                  " after the header";
    if (*needed > available) fail(name, "data shorter than declared: " + need_text + " (file seems not fully written)");
    if (*needed < available) {
        fail(name, int_text(available - *needed) + " trailing bytes after the data (" + need_text +
                       "; is the header's shape or dtype wrong?)");
    }
    return l;
}

void fill_info(const Layout& l, std::vector<std::string> notices, NpyInfo* info) {
    if (!info) return;
    info->major = l.pre.major;
    info->minor = l.pre.minor;
    info->descr = l.header.descr;
    info->fortran_order = l.header.fortran_order;
    info->shape = l.header.shape;
    info->notices = std::move(notices);
}

// Row-major float32 values in C order as the tensor; Fortran-order data is reordered.
Tensor tensor_of(const Layout& l, FloatStorage values, std::vector<std::string>& notices) {
    const Shape& shape = l.header.shape;
    if (l.header.fortran_order && shape.size() > 1) {
        // Fortran-order data of shape (d0, ..., dk) is C-order data of shape (dk, ..., d0); reversing the
        // axes gives the row-major tensor.
        const Shape reversed(shape.rbegin(), shape.rend());
        std::vector<int> perm(shape.size());
        for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(perm.size() - 1 - i);
        notices.push_back("reordered fortran_order (column-major) data to row-major");
        return permute(Tensor(reversed, std::move(values)), perm);
    }
    return Tensor(shape, std::move(values));
}

// Decodes the data bytes that follow the header (exactly l.data_bytes of them).
Tensor decode(const Layout& l, const uint8_t* data, const std::string& name, NpyInfo* info) {
    std::vector<std::string> notices;
    Tensor t;
    try {
        FloatStorage values(static_cast<size_t>(l.count));
        convert_to_float(data, values.size(), l.dtype, l.header.descr, values.data(), notices);
        t = tensor_of(l, std::move(values), notices);
    } catch (const std::bad_alloc&) {
        out_of_memory(name, l.count * sizeof(float));
    }
    fill_info(l, std::move(notices), info);
    return t;
}

// How much of a file holds its preamble and header at most.
constexpr size_t kMaxHeadBytes = kMinV2 + kMaxHeaderLen;

// The file's size as far as the header check is concerned: what was read when it shrank since it was opened.
uint64_t known_size(const RegularFileReader& file, const std::vector<uint8_t>& head) {
    return head.size() < std::min<uint64_t>(file.size(), kMaxHeadBytes) ? head.size() : file.size();
}

}  // namespace

Tensor npy_parse(std::span<const uint8_t> bytes, const std::string& name, NpyInfo* info) {
    const Layout l = parse_layout(bytes, bytes.size(), name);
    return decode(l, bytes.data() + l.data_offset, name, info);
}

NpyInfo npy_read_info(const std::string& path) {
    const RegularFileReader file(path, "a .npy array");
    const std::vector<uint8_t> head = file.read_prefix(kMaxHeadBytes);
    const Layout l = parse_layout(head, known_size(file, head), path);
    NpyInfo info;
    fill_info(l, {}, &info);
    return info;
}

Tensor npy_load(const std::string& path, NpyInfo* info) {
    // The header first: a shape that cannot be loaded is refused before the data is read, and the data is read
    // straight into the tensor (float32 C order) or into one buffer converted once, never the whole file twice.
    const RegularFileReader file(path, "a .npy array");
    const std::vector<uint8_t> head = file.read_prefix(kMaxHeadBytes);
    const Layout l = parse_layout(head, known_size(file, head), path);
    const bool native = l.dtype.kind == Kind::Float && l.dtype.itemsize == 4 && !l.dtype.big_endian;
    try {
        if (native) {
            FloatStorage values(static_cast<size_t>(l.count));
            file.read_exactly(l.data_offset, std::span(reinterpret_cast<uint8_t*>(values.data()), l.data_bytes));
            std::vector<std::string> notices;
            Tensor t = tensor_of(l, std::move(values), notices);
            fill_info(l, std::move(notices), info);
            return t;
        }
        std::vector<uint8_t> data(static_cast<size_t>(l.data_bytes));
        file.read_exactly(l.data_offset, data);
        return decode(l, data.data(), path, info);
    } catch (const std::bad_alloc&) {
        out_of_memory(path, l.data_bytes + (native ? 0 : l.count * sizeof(float)));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Writing
// ---------------------------------------------------------------------------------------------------------------

std::vector<uint8_t> npy_serialize(const Tensor& t) {
    // Byte for byte what numpy 1.24's np.save writes for a C-order float32 array: the dict with sorted keys, spare
    // spaces so the first axis can grow to 21 digits in place, then padding so that the data starts at a
    // multiple of 64 bytes (numpy always adds 1..64 spaces), then '\n'.
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple_text(t.shape) + ", }";
    if (!t.shape.empty()) {
        const size_t digits = int_text(t.shape[0]).size();
        if (digits < kGrowthAxisMaxDigits) dict.append(kGrowthAxisMaxDigits - digits, ' ');
    }
    const size_t prefix = kMagic.size() + 2 + 2;
    const size_t padding = kArrayAlign - (prefix + dict.size() + 1) % kArrayAlign;
    dict.append(padding, ' ');
    dict += '\n';
    const size_t header_len = dict.size();  // < 65536 for rank <= kMaxRank, so version 1.0 always fits

    std::vector<uint8_t> out;
    out.reserve(prefix + header_len + t.data.size() * sizeof(float));
    out.insert(out.end(), kMagic.begin(), kMagic.end());
    out.push_back(1);
    out.push_back(0);
    out.push_back(static_cast<uint8_t>(header_len & 0xFF));
    out.push_back(static_cast<uint8_t>(header_len >> 8));
    out.insert(out.end(), dict.begin(), dict.end());
    const auto* data = reinterpret_cast<const uint8_t*>(t.data.data());
    out.insert(out.end(), data, data + t.data.size() * sizeof(float));  // little-endian host: already '<f4'
    return out;
}

void npy_save(const std::string& path, const Tensor& t) { write_file_atomically(path, npy_serialize(t)); }

}  // namespace convscope
