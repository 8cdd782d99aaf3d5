// Scene files: versioned JSON, strict reading, atomic writing.
//
// Sections:
//   1. The format (version 1)
//   2. Small helpers: number and path text, base64, files
//   3. Before the parser: UTF-8 and nesting depth, with line:column
//   4. Writing: scene_to_json
//   5. Reading: a strict reader that names the field path of every problem
//   6. scene_save / scene_load
//
// 1. The format, version 1. Every object rejects fields it does not define; "(opt)" fields may be left out and
//    take the default shown, every other field is required.
//   {
//     "version": 1,
//     "title": "string" (opt, ""),
//     "input": {"kind": "builtin", "name": "sunset", "height": 1..8192 (opt, 32), "width": 1..8192 (opt, 32)}
//            | {"kind": "cifar", "path": PATH, "indices": [int >= 0, ...] (1..65,536 of them), "greyscale": bool (opt)}
//            | {"kind": "image", "path": PATH, "greyscale": bool (opt), "center_crop": bool (opt),
//               "height": 1..8192 (opt, 32), "width": 1..8192 (opt, 32)}
//            | {"kind": "embedded", "tensor": TENSOR of rank 3 (N, C, L) or 4 (N, C, H, W)},
//     "layer": {"dims": 1 | 2, "in_channels": int, "out_channels": int, "kernel_size": [int, ...] (1 or 2),
//               "stride": [int, ...] (opt, [1]), "dilation": [int, ...] (opt, [1]),
//               "padding": "same" | "valid" | [int, ...] (opt, [0]), "pads_begin": [...] (opt, []),
//               "pads_end": [...] (opt, []), "groups": int (opt, 1),
//               "padding_mode": "zeros" | "reflect" | "replicate" | "circular" (opt), "bias": bool (opt, true)},
//     "batch": int >= 1 (opt, 1),
//     "weights": {"kind": "builtin", "seed": 0..4294967295 (opt, 1)}
//              | {"kind": "embedded", "weight": TENSOR of rank 3 or 4, "bias": TENSOR of rank 1 (opt)}
//              | {"kind": "npy", "weight": PATH, "bias": PATH (opt), "layout": "pytorch" | "keras" (opt)}
//              | {"kind": "onnx", "model": PATH, "node": "name"},
//     "cursor": {"step": int >= 0 (opt, 0), "granularity": "position" | "channel" | "mac" (opt)} (opt),
//     "view": {"ui_scale": 0.25..8 (opt, 1), "input_zoom" / "maps_zoom" / "filters_zoom": 0..1024 (opt, 0 = fit),
//              "reveal_all": bool (opt), "selected_c_out": int >= 0 (opt),
//              "conventions": "pytorch" | "keras" (opt: the window keeps its own)} (opt)
//   }
//   TENSOR = {"shape": [int >= 0, ...], "dtype": "float32", "data": BASE64}: the row-major elements as
//     little-endian IEEE float32 bytes, standard base64 with '=' padding (chosen over number arrays for every size:
//     exact, NaN/Inf-preserving, and 4/3 bytes per byte). Values are not checked (the UI flags NaN/Inf).
//   PATH = a non-empty string: relative paths are relative to the scene's folder; paths are written relative when
//     they lie under it, absolute otherwise.
//   Layer integers are not range-checked here: conv_check decides validity and gives PyTorch's message, so a
//   lesson may deliberately hold an invalid layer. Floats must be finite and in range; 1e400 is refused by the
//   parser ("number overflow"), NaN and Infinity are not JSON.
//   Limits: kMaxSceneBytes of text, kMaxSceneDepth levels of nesting; duplicate keys are errors.
#include "scene_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "error.hpp"
#include "file_io.hpp"
#include "json_safe.hpp"

static_assert(std::endian::native == std::endian::little, "scene tensors are stored as little-endian float32");

namespace convscope {

namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr size_t kMaxSceneBytes = size_t{64} << 20;
constexpr size_t kMaxSceneDepth = 64;
constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxIndices = 65536;

// ---------------------------------------------------------------------------------------------------------------
// 2. Small helpers
// ---------------------------------------------------------------------------------------------------------------

std::string int_text(int64_t v) {
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

std::string size_text(size_t v) { return int_text(static_cast<int64_t>(v)); }

// The shortest text that reads back as the same float, as a double: 0.1f is written "0.1", not
// "0.10000000149011612". std::to_chars / from_chars ignore the locale.
double float_for_json(float f) {
    std::array<char, 64> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), f);
    double d = 0;
    std::from_chars(buf.data(), res.ptr, d);
    return d;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const uint8_t* p, size_t n) {
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        const uint32_t b0 = p[i], b1 = i + 1 < n ? p[i + 1] : 0, b2 = i + 2 < n ? p[i + 2] : 0;
        const uint32_t v = b0 << 16 | b1 << 8 | b2;
        out += kBase64[v >> 18 & 63];
        out += kBase64[v >> 12 & 63];
        out += i + 1 < n ? kBase64[v >> 6 & 63] : '=';
        out += i + 2 < n ? kBase64[v & 63] : '=';
    }
    return out;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Strict base64 (length a multiple of 4, '=' only as the last one or two characters) into exactly `out_size`
// bytes; returns the offset of the first bad character, or npos.
size_t base64_decode(std::string_view s, uint8_t* out, size_t out_size) {
    size_t o = 0;
    for (size_t i = 0; i < s.size(); i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (size_t k = 0; k < 4; ++k) {
            const char c = s[i + k];
            if (c == '=' && i + 4 == s.size() && k >= 2 && (k == 3 || s[i + 3] == '=')) {
                ++pad;
                v <<= 6;
                continue;
            }
            const int d = base64_value(c);
            if (d < 0 || pad) return i + k;
            v = v << 6 | static_cast<uint32_t>(d);
        }
        const uint8_t bytes[3] = {static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
        for (int k = 0; k < 3 - pad; ++k) {
            if (o < out_size) out[o] = bytes[k];
            ++o;
        }
    }
    return o == out_size ? std::string_view::npos : s.size();
}

std::string absolute_dir_of(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::absolute(fs::path(path), ec);
    if (ec) p = fs::path(path);
    return p.lexically_normal().parent_path().string();
}

// True when `path` (absolute, normalized) lies inside `dir` (absolute, normalized).
bool lies_under(const fs::path& path, const fs::path& dir) {
    auto d = dir.begin(), p = path.begin();
    for (; d != dir.end(); ++d, ++p) {
        if (d->empty()) continue;  // a trailing separator
        if (p == path.end() || *p != *d) return false;
    }
    return p != path.end();
}

// How a path is written: relative to scene_dir when it lies under it, absolute otherwise.
std::string path_for_json(const std::string& path, const std::string& scene_dir) {
    if (path.empty() || scene_dir.empty()) return path;
    std::error_code ec;
    const fs::path abs = fs::absolute(fs::path(path), ec).lexically_normal();
    const fs::path dir = fs::absolute(fs::path(scene_dir), ec).lexically_normal();
    if (ec) return path;
    if (lies_under(abs, dir)) return abs.lexically_relative(dir).generic_string();
    return abs.string();
}

std::string path_from_json(const std::string& text, const std::string& scene_dir) {
    const fs::path p(text);
    if (p.is_absolute() || scene_dir.empty()) return p.lexically_normal().string();
    return (fs::path(scene_dir) / p).lexically_normal().string();
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Before the parser
// ---------------------------------------------------------------------------------------------------------------

struct TextPosition {
    size_t line = 1, column = 1;  // 1-based; the column counts characters (UTF-8 sequences), not bytes
};

TextPosition position_of(std::string_view text, size_t offset) {
    TextPosition pos;
    offset = std::min(offset, text.size());
    for (size_t i = 0; i < offset; ++i) {
        const auto c = static_cast<uint8_t>(text[i]);
        if (c == '\n') {
            ++pos.line;
            pos.column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++pos.column;
        }
    }
    return pos;
}

std::string where(const std::string& name, std::string_view text, size_t offset) {
    const TextPosition p = position_of(text, offset);
    return name + ":" + size_text(p.line) + ":" + size_text(p.column);
}

// Length of the valid UTF-8 sequence at s[i], or 0 (overlong forms, surrogates and > U+10FFFF are invalid).
size_t utf8_sequence(std::string_view s, size_t i) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) return 1;
    size_t n = 0;
    uint32_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    const auto b1 = static_cast<uint8_t>(s[i + 1]);
    if (b1 < lo || b1 > hi) return 0;
    for (size_t k = 2; k < n; ++k)
        if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return 0;
    return n;
}

// Checks UTF-8 and the nesting depth in one pass, so that the parser never sees 100,000 '[' (nlohmann's parser
// is iterative, but the values it builds are destroyed and copied recursively).
void prescan(std::string_view text, const std::string& name) {
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < text.size();) {
        const size_t n = utf8_sequence(text, i);
        if (n == 0) {
            const auto b = static_cast<uint8_t>(text[i]);
            throw FormatError(where(name, text, i) + ": invalid UTF-8 (byte 0x" +
                              std::string(1, "0123456789ABCDEF"[b >> 4]) + "0123456789ABCDEF"[b & 0xF] +
                              "); a scene must be UTF-8 text");
        }
        if (n == 1) {
            const char c = text[i];
            if (in_string) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    in_string = false;
                }
            } else if (c == '"') {
                in_string = true;
            } else if (c == '[' || c == '{') {
                if (++depth > kMaxSceneDepth) {
                    throw FormatError(where(name, text, i) + ": nested more than " + size_text(kMaxSceneDepth) +
                                      " levels deep; a scene needs only a few");
                }
            } else if ((c == ']' || c == '}') && depth > 0) {
                --depth;
            }
        }
        i += n;
    }
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1, column 5: " prefix.
std::string parser_detail(const std::string& what) {
    const size_t pe = what.find("parse error");
    if (pe != std::string::npos) {
        const size_t colon = what.find(": ", pe);
        if (colon != std::string::npos) return what.substr(colon + 2);
    }
    const size_t bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

// A field path being built while the parser runs, for the duplicate-key message.
struct ParseFrame {
    bool object = false;
    std::string key;
    size_t index = 0;
    std::set<std::string> keys;
};

std::string frames_path(const std::vector<ParseFrame>& frames) {
    std::string path;
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
        if (frames[i].object) {
            path += (path.empty() ? "" : ".") + frames[i].key;
        } else {
            path += "[" + size_text(frames[i].index) + "]";
        }
    }
    return path;
}

json parse_json(const std::string& text, const std::string& name) {
    if (text.size() > kMaxSceneBytes) {
        throw FormatError(name + " is " + size_text(text.size()) + " bytes; scenes larger than " +
                          size_text(kMaxSceneBytes) + " bytes are not read");
    }
    prescan(text, name);
    std::vector<ParseFrame> frames;
    const auto element_done = [&] {
        if (!frames.empty() && !frames.back().object) ++frames.back().index;
    };
    const json::parser_callback_t callback = [&](int depth, json::parse_event_t event, json& parsed) {
        if (depth > static_cast<int>(kMaxSceneDepth)) {
            throw FormatError(name + ": nested more than " + size_text(kMaxSceneDepth) + " levels deep");
        }
        switch (event) {
            case json::parse_event_t::object_start:
                frames.push_back(ParseFrame{true, {}, 0, {}});
                break;
            case json::parse_event_t::array_start:
                frames.push_back(ParseFrame{false, {}, 0, {}});
                break;
            case json::parse_event_t::key: {
                ParseFrame& f = frames.back();
                f.key = parsed.get<std::string>();
                if (!f.keys.insert(f.key).second) {
                    const std::string in = frames_path(frames);
                    throw FormatError(name + ": " + (in.empty() ? "the top-level object" : in) + " has the key \"" +
                                      f.key + "\" twice (each field may appear once)");
                }
                break;
            }
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                frames.pop_back();
                element_done();
                break;
            case json::parse_event_t::value:
                element_done();
                break;
        }
        return true;
    };
    try {
        return json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
    } catch (const json::parse_error& e) {
        const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        throw FormatError(where(name, text, offset) + ": syntax error: " + parser_detail(e.what()));
    } catch (const json::out_of_range& e) {
        // 406 "number overflow parsing '1e400'": find the number to say where it is.
        const std::string msg = e.what();
        const size_t q1 = msg.find('\''), q2 = msg.rfind('\'');
        std::string prefix = name;
        std::string number;
        if (q1 != std::string::npos && q2 > q1 + 1) {
            number = msg.substr(q1 + 1, q2 - q1 - 1);
            const size_t at = text.find(number);
            if (at != std::string::npos) prefix = where(name, text, at);
        }
        throw FormatError(prefix + ": the number " + (number.empty() ? "" : number + " ") +
                          "is out of range (numbers must be finite)");
    } catch (const json::exception& e) {
        throw FormatError(name + ": " + parser_detail(e.what()));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Writing
// ---------------------------------------------------------------------------------------------------------------

const char* input_kind_name(SceneInput::Kind k) {
    switch (k) {
        case SceneInput::Kind::Builtin:
            return "builtin";
        case SceneInput::Kind::Cifar:
            return "cifar";
        case SceneInput::Kind::Image:
            return "image";
        case SceneInput::Kind::Embedded:
            return "embedded";
    }
    return "builtin";
}

const char* weights_kind_name(SceneWeights::Kind k) {
    switch (k) {
        case SceneWeights::Kind::Builtin:
            return "builtin";
        case SceneWeights::Kind::Embedded:
            return "embedded";
        case SceneWeights::Kind::Npy:
            return "npy";
        case SceneWeights::Kind::Onnx:
            return "onnx";
    }
    return "builtin";
}

ordered_json tensor_to_json(const Tensor& t) {
    ordered_json j;
    j["shape"] = t.shape;
    j["dtype"] = "float32";
    j["data"] = base64_encode(reinterpret_cast<const uint8_t*>(t.data.data()), t.data.size() * sizeof(float));
    return j;
}

ordered_json layer_to_json(const ConvLayer& layer) {
    ordered_json j;
    j["dims"] = layer.dims;
    j["in_channels"] = layer.in_channels;
    j["out_channels"] = layer.out_channels;
    j["kernel_size"] = layer.kernel_size;
    const ConvParams& p = layer.params;
    j["stride"] = p.stride;
    j["dilation"] = p.dilation;
    switch (p.padding_kind) {
        case PaddingKind::Same:
            j["padding"] = "same";
            break;
        case PaddingKind::Valid:
            j["padding"] = "valid";
            break;
        case PaddingKind::Explicit:
            j["padding"] = p.padding;
            break;
    }
    if (!p.pads_begin.empty() || !p.pads_end.empty()) {
        j["pads_begin"] = p.pads_begin;
        j["pads_end"] = p.pads_end;
    }
    j["groups"] = p.groups;
    j["padding_mode"] = padding_mode_name(p.padding_mode);
    j["bias"] = layer.bias;
    return j;
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Reading
// ---------------------------------------------------------------------------------------------------------------

std::string type_text(const json& v) {
    if (v.is_number_integer()) return "the integer " + v.dump();
    if (v.is_number_float()) return "the number " + v.dump();
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (s.size() > 40) s = s.substr(0, 40) + "...";
        return "the string " + json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_null()) return "null";
    return std::string("an ") + (v.is_array() ? "array" : "object");
}

class Reader {
public:
    Reader(const std::string& name, const std::string& scene_dir) : name_(name), dir_(scene_dir) {}

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw FormatError(name_ + ": " + path + " " + what);
    }

    static std::string join(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }

    // Checks that `v` at `path` is an object whose keys are all in `allowed`.
    void expect_object(const json& v, const std::string& path, std::initializer_list<const char*> allowed) const {
        if (!v.is_object()) fail(path, "must be an object, found " + type_text(v));
        for (const auto& [key, value] : v.items()) {
            bool known = false;
            for (const char* a : allowed) known = known || key == a;
            if (!known) {
                std::string list;
                for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
                throw FormatError(name_ + ": " + join(path, key) + " is not a known field" +
                                  (path.empty() ? "" : " of " + path) + " (known: " + list + ")");
            }
        }
    }

    const json* optional(const json& obj, const char* key) const {
        const auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }

    const json& required(const json& obj, const std::string& path, const char* key) const {
        const json* v = optional(obj, key);
        if (!v) throw FormatError(name_ + ": " + join(path, key) + " is missing");
        return *v;
    }

    int64_t integer(const json& v, const std::string& path, int64_t lo = std::numeric_limits<int64_t>::min(),
                    int64_t hi = std::numeric_limits<int64_t>::max()) const {
        int64_t x = 0;
        if (v.is_number_unsigned()) {
            const auto u = v.get<uint64_t>();
            if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                fail(path, "is out of range (" + v.dump() + ")");
            x = static_cast<int64_t>(u);
        } else if (v.is_number_integer()) {
            x = v.get<int64_t>();
        } else {
            fail(path, "must be an integer, found " + type_text(v));
        }
        if (x < lo || x > hi) {
            fail(path,
                 "must be " +
                     (hi == std::numeric_limits<int64_t>::max() ? "at least " + int_text(lo)
                                                                : "from " + int_text(lo) + " to " + int_text(hi)) +
                     ", found " + int_text(x));
        }
        return x;
    }

    float number(const json& v, const std::string& path, double lo, double hi) const {
        if (!v.is_number()) fail(path, "must be a number, found " + type_text(v));
        const double d = v.get<double>();
        if (!std::isfinite(d) || d < lo || d > hi) {
            fail(path,
                 "must be a finite number from " + json(lo).dump() + " to " + json(hi).dump() + ", found " + v.dump());
        }
        return static_cast<float>(d);
    }

    bool boolean(const json& v, const std::string& path) const {
        if (!v.is_boolean()) fail(path, "must be true or false, found " + type_text(v));
        return v.get<bool>();
    }

    std::string string(const json& v, const std::string& path) const {
        if (!v.is_string()) fail(path, "must be a string, found " + type_text(v));
        return v.get<std::string>();
    }

    std::string choice(const json& v, const std::string& path, std::initializer_list<const char*> options) const {
        const std::string s = string(v, path);
        std::string list;
        for (const char* o : options) {
            if (s == o) return s;
            list += std::string(list.empty() ? "" : ", ") + "\"" + o + "\"";
        }
        fail(path, "must be one of " + list + ", found " + type_text(v));
    }

    std::string path_value(const json& v, const std::string& path) const {
        // A file name that is not UTF-8 is stored as {"bytes_hex": "..."} (json_safe.hpp), losslessly.
        const std::optional<std::string> raw = v.is_object() ? convscope::path_from_json(v) : std::nullopt;
        if (v.is_object() && !raw)
            fail(path, "must be a path: a string, or {\"bytes_hex\": \"...\"} for a name that is not UTF-8");
        const std::string s = raw ? *raw : string(v, path);
        if (s.empty()) fail(path, "must not be empty");
        if (s.size() > kMaxPathBytes) fail(path, "is longer than " + size_text(kMaxPathBytes) + " bytes");
        if (s.find('\0') != std::string::npos) fail(path, "contains a NUL character");
        return path_from_json(s, dir_);
    }

    std::vector<int64_t> int_array(const json& v, const std::string& path, size_t min_len, size_t max_len,
                                   int64_t lo = std::numeric_limits<int64_t>::min()) const {
        if (!v.is_array()) fail(path, "must be an array of integers, found " + type_text(v));
        if (v.size() < min_len || v.size() > max_len) {
            fail(path,
                 "must have " +
                     (min_len == max_len ? size_text(min_len) : size_text(min_len) + " to " + size_text(max_len)) +
                     " elements, found " + size_text(v.size()));
        }
        std::vector<int64_t> out;
        out.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i) out.push_back(integer(v[i], path + "[" + size_text(i) + "]", lo));
        return out;
    }

    Tensor tensor(const json& v, const std::string& path, std::initializer_list<int> ranks) const {
        expect_object(v, path, {"shape", "dtype", "data"});
        const Shape shape =
            int_array(required(v, path, "shape"), join(path, "shape"), 0, static_cast<size_t>(kMaxRank), 0);
        std::string rank_list;
        bool rank_ok = false;
        for (int r : ranks) {
            rank_ok = rank_ok || static_cast<int>(shape.size()) == r;
            rank_list += std::string(rank_list.empty() ? "" : " or ") + int_text(r);
        }
        if (!rank_ok) {
            fail(join(path, "shape"), "must have rank " + rank_list + ", found " + shape_to_string(shape));
        }
        const json& dtype = required(v, path, "dtype");
        if (string(dtype, join(path, "dtype")) != "float32")
            fail(join(path, "dtype"), "must be \"float32\", found " + type_text(dtype));
        const int64_t numel = shape_numel(shape);
        if (numel < 0 || static_cast<uint64_t>(numel) > kMaxSceneBytes / sizeof(float)) {
            fail(join(path, "shape"), shape_to_string(shape) + " is too large for a scene file");
        }
        const json& data_value = required(v, path, "data");
        if (!data_value.is_string())
            fail(join(path, "data"), "must be a base64 string, found " + type_text(data_value));
        const std::string& data = data_value.get_ref<const std::string&>();
        const size_t bytes = static_cast<size_t>(numel) * sizeof(float);
        const size_t expected = (bytes + 2) / 3 * 4;
        if (data.size() != expected) {
            fail(join(path, "data"), "is " + size_text(data.size()) + " base64 characters; shape " +
                                         shape_to_string(shape) + " float32 (" + size_text(bytes) + " bytes) needs " +
                                         size_text(expected));
        }
        Tensor t(shape);
        const size_t bad = base64_decode(data, reinterpret_cast<uint8_t*>(t.data.data()), bytes);
        if (bad != std::string_view::npos) {
            fail(join(path, "data"), "is not valid base64 (at character " + size_text(bad) + ")");
        }
        return t;
    }

    SceneInput input(const json& v, const std::string& path) const {
        SceneInput in;
        if (!v.is_object()) fail(path, "must be an object, found " + type_text(v));
        const std::string kind =
            choice(required(v, path, "kind"), join(path, "kind"), {"builtin", "cifar", "image", "embedded"});
        if (kind == "builtin") {
            expect_object(v, path, {"kind", "name", "height", "width"});
            in.kind = SceneInput::Kind::Builtin;
            in.builtin = string(required(v, path, "name"), join(path, "name"));
            if (in.builtin.empty()) fail(join(path, "name"), "must not be empty");
            if (const json* h = optional(v, "height")) in.height = integer(*h, join(path, "height"), 1, 8192);
            if (const json* w = optional(v, "width")) in.width = integer(*w, join(path, "width"), 1, 8192);
        } else if (kind == "cifar") {
            expect_object(v, path, {"kind", "path", "indices", "greyscale"});
            in.kind = SceneInput::Kind::Cifar;
            in.path = path_value(required(v, path, "path"), join(path, "path"));
            in.indices = int_array(required(v, path, "indices"), join(path, "indices"), 1, kMaxIndices, 0);
            if (const json* g = optional(v, "greyscale")) in.greyscale = boolean(*g, join(path, "greyscale"));
        } else if (kind == "image") {
            expect_object(v, path, {"kind", "path", "greyscale", "center_crop", "height", "width"});
            in.kind = SceneInput::Kind::Image;
            in.path = path_value(required(v, path, "path"), join(path, "path"));
            if (const json* g = optional(v, "greyscale")) in.greyscale = boolean(*g, join(path, "greyscale"));
            if (const json* c = optional(v, "center_crop")) in.center_crop = boolean(*c, join(path, "center_crop"));
            if (const json* h = optional(v, "height")) in.height = integer(*h, join(path, "height"), 1, 8192);
            if (const json* w = optional(v, "width")) in.width = integer(*w, join(path, "width"), 1, 8192);
        } else {
            expect_object(v, path, {"kind", "tensor"});
            in.kind = SceneInput::Kind::Embedded;
            in.tensor = tensor(required(v, path, "tensor"), join(path, "tensor"), {3, 4});
        }
        return in;
    }

    ConvLayer layer(const json& v, const std::string& path) const {
        expect_object(v, path,
                      {"dims", "in_channels", "out_channels", "kernel_size", "stride", "dilation", "padding",
                       "pads_begin", "pads_end", "groups", "padding_mode", "bias"});
        ConvLayer l;
        l.dims = static_cast<int>(integer(required(v, path, "dims"), join(path, "dims"), 1, 2));
        l.params.dims = l.dims;
        l.in_channels = integer(required(v, path, "in_channels"), join(path, "in_channels"));
        l.out_channels = integer(required(v, path, "out_channels"), join(path, "out_channels"));
        l.kernel_size = int_array(required(v, path, "kernel_size"), join(path, "kernel_size"), 1, 2);
        ConvParams& p = l.params;
        if (const json* s = optional(v, "stride")) p.stride = int_array(*s, join(path, "stride"), 1, 2);
        if (const json* d = optional(v, "dilation")) p.dilation = int_array(*d, join(path, "dilation"), 1, 2);
        if (const json* pad = optional(v, "padding")) {
            if (pad->is_string()) {
                const std::string s = choice(*pad, join(path, "padding"), {"same", "valid"});
                p.padding_kind = s == "same" ? PaddingKind::Same : PaddingKind::Valid;
                p.padding = {0};
            } else if (pad->is_array()) {
                p.padding_kind = PaddingKind::Explicit;
                p.padding = int_array(*pad, join(path, "padding"), 1, 2);
            } else {
                fail(join(path, "padding"),
                     "must be \"same\", \"valid\" or an array of integers, found " + type_text(*pad));
            }
        }
        if (const json* b = optional(v, "pads_begin")) p.pads_begin = int_array(*b, join(path, "pads_begin"), 0, 2);
        if (const json* e = optional(v, "pads_end")) p.pads_end = int_array(*e, join(path, "pads_end"), 0, 2);
        if (const json* g = optional(v, "groups")) p.groups = integer(*g, join(path, "groups"));
        if (const json* m = optional(v, "padding_mode")) {
            const std::string s = choice(*m, join(path, "padding_mode"), {"zeros", "reflect", "replicate", "circular"});
            p.padding_mode = *parse_padding_mode(s);
        }
        if (const json* b = optional(v, "bias")) l.bias = boolean(*b, join(path, "bias"));
        return l;
    }

    SceneWeights weights(const json& v, const std::string& path) const {
        SceneWeights w;
        if (!v.is_object()) fail(path, "must be an object, found " + type_text(v));
        const std::string kind =
            choice(required(v, path, "kind"), join(path, "kind"), {"builtin", "embedded", "npy", "onnx"});
        if (kind == "builtin") {
            expect_object(v, path, {"kind", "seed"});
            w.kind = SceneWeights::Kind::Builtin;
            if (const json* s = optional(v, "seed"))
                w.seed = static_cast<uint32_t>(integer(*s, join(path, "seed"), 0, 4294967295LL));
        } else if (kind == "embedded") {
            expect_object(v, path, {"kind", "weight", "bias"});
            w.kind = SceneWeights::Kind::Embedded;
            w.weight = tensor(required(v, path, "weight"), join(path, "weight"), {3, 4});
            if (const json* b = optional(v, "bias")) w.bias = tensor(*b, join(path, "bias"), {1});
        } else if (kind == "npy") {
            expect_object(v, path, {"kind", "weight", "bias", "layout"});
            w.kind = SceneWeights::Kind::Npy;
            w.weight_path = path_value(required(v, path, "weight"), join(path, "weight"));
            if (const json* b = optional(v, "bias")) w.bias_path = path_value(*b, join(path, "bias"));
            if (const json* l = optional(v, "layout")) {
                w.layout = choice(*l, join(path, "layout"), {"pytorch", "keras"}) == "keras" ? WeightLayout::Keras
                                                                                             : WeightLayout::PyTorch;
            }
        } else {
            expect_object(v, path, {"kind", "model", "node"});
            w.kind = SceneWeights::Kind::Onnx;
            w.onnx_path = path_value(required(v, path, "model"), join(path, "model"));
            w.onnx_node = string(required(v, path, "node"), join(path, "node"));
        }
        return w;
    }

    SceneFile scene(const json& root) const {
        if (!root.is_object()) {
            throw FormatError(name_ + ": the top level must be a JSON object (a convscope scene), found " +
                              type_text(root));
        }
        // The version first: a newer file may use fields this reader does not know.
        const json* ver = optional(root, "version");
        if (!ver) throw FormatError(name_ + ": version is missing (is this a convscope scene file?)");
        if (!ver->is_number_integer()) fail("version", "must be an integer, found " + type_text(*ver));
        if (ver->is_number_unsigned() ? ver->get<uint64_t>() > static_cast<uint64_t>(kSceneVersion)
                                      : ver->get<int64_t>() > kSceneVersion) {
            throw FormatError(name_ + ": scene version " + ver->dump() + " is newer than this convscope understands (" +
                              int_text(kSceneVersion) + "); update convscope to open it");
        }
        if (ver->get<int64_t>() < 1) {
            throw FormatError(name_ + ": scene version " + ver->dump() + " is not valid (versions start at 1)");
        }
        expect_object(root, "", {"version", "title", "input", "layer", "batch", "weights", "cursor", "view"});
        SceneFile s;
        s.version = static_cast<int>(ver->get<int64_t>());
        if (const json* t = optional(root, "title")) s.title = string(*t, "title");
        s.input = input(required(root, "", "input"), "input");
        s.layer = layer(required(root, "", "layer"), "layer");
        if (const json* b = optional(root, "batch")) s.batch = integer(*b, "batch", 1, 65536);
        s.weights = weights(required(root, "", "weights"), "weights");
        if (const json* c = optional(root, "cursor")) {
            expect_object(*c, "cursor", {"step", "granularity"});
            if (const json* st = optional(*c, "step")) s.cursor_step = integer(*st, "cursor.step", 0);
            if (const json* g = optional(*c, "granularity")) {
                const std::string gs = choice(*g, "cursor.granularity", {"position", "channel", "mac"});
                s.granularity = gs == "position"  ? Granularity::Position
                                : gs == "channel" ? Granularity::Channel
                                                  : Granularity::Mac;
            }
        }
        if (const json* v = optional(root, "view")) {
            expect_object(
                *v, "view",
                {"ui_scale", "input_zoom", "maps_zoom", "filters_zoom", "reveal_all", "selected_c_out", "conventions"});
            if (const json* x = optional(*v, "ui_scale")) s.view.ui_scale = number(*x, "view.ui_scale", 0.25, 8);
            if (const json* x = optional(*v, "input_zoom")) s.view.input_zoom = number(*x, "view.input_zoom", 0, 1024);
            if (const json* x = optional(*v, "maps_zoom")) s.view.maps_zoom = number(*x, "view.maps_zoom", 0, 1024);
            if (const json* x = optional(*v, "filters_zoom"))
                s.view.filters_zoom = number(*x, "view.filters_zoom", 0, 1024);
            if (const json* x = optional(*v, "reveal_all")) s.view.reveal_all = boolean(*x, "view.reveal_all");
            if (const json* x = optional(*v, "selected_c_out"))
                s.view.selected_c_out = integer(*x, "view.selected_c_out", 0);
            if (const json* x = optional(*v, "conventions"))
                s.view.conventions = choice(*x, "view.conventions", {"pytorch", "keras"}) == "keras"
                                         ? Convention::Keras
                                         : Convention::PyTorch;
        }
        return s;
    }

private:
    const std::string& name_;
    const std::string& dir_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// 4. scene_to_json (public)
// ---------------------------------------------------------------------------------------------------------------

std::string scene_to_json(const SceneFile& scene, const std::string& scene_dir) {
    // Text fields must be UTF-8 (paths need not be: they are stored losslessly); name the field that is not.
    const auto require_utf8 = [](const std::string& text, const char* field) {
        if (!is_valid_utf8(text))
            throw Error(std::string("cannot write the scene: ") + field + " is not valid UTF-8 text (\"" +
                        escape_invalid_utf8(text) + "\"); rename it in the source file");
    };
    require_utf8(scene.title, "title");
    if (scene.input.kind == SceneInput::Kind::Builtin) require_utf8(scene.input.builtin, "input.name");
    if (scene.weights.kind == SceneWeights::Kind::Onnx)
        require_utf8(scene.weights.onnx_node, "weights.node (the ONNX node name)");
    ordered_json j;
    j["version"] = kSceneVersion;
    j["title"] = scene.title;

    const SceneInput& in = scene.input;
    ordered_json input;
    input["kind"] = input_kind_name(in.kind);
    switch (in.kind) {
        case SceneInput::Kind::Builtin:
            input["name"] = in.builtin;
            input["height"] = in.height;
            input["width"] = in.width;
            break;
        case SceneInput::Kind::Cifar:
            input["path"] = path_to_json<ordered_json>(path_for_json(in.path, scene_dir));
            input["indices"] = in.indices;
            input["greyscale"] = in.greyscale;
            break;
        case SceneInput::Kind::Image:
            input["path"] = path_to_json<ordered_json>(path_for_json(in.path, scene_dir));
            input["greyscale"] = in.greyscale;
            input["center_crop"] = in.center_crop;
            input["height"] = in.height;
            input["width"] = in.width;
            break;
        case SceneInput::Kind::Embedded:
            input["tensor"] = tensor_to_json(in.tensor);
            break;
    }
    j["input"] = std::move(input);
    j["layer"] = layer_to_json(scene.layer);
    j["batch"] = scene.batch;

    const SceneWeights& w = scene.weights;
    ordered_json weights;
    weights["kind"] = weights_kind_name(w.kind);
    switch (w.kind) {
        case SceneWeights::Kind::Builtin:
            weights["seed"] = w.seed;
            break;
        case SceneWeights::Kind::Embedded:
            weights["weight"] = tensor_to_json(w.weight);
            if (!w.bias.data.empty() || !w.bias.shape.empty()) weights["bias"] = tensor_to_json(w.bias);
            break;
        case SceneWeights::Kind::Npy:
            weights["weight"] = path_to_json<ordered_json>(path_for_json(w.weight_path, scene_dir));
            if (!w.bias_path.empty())
                weights["bias"] = path_to_json<ordered_json>(path_for_json(w.bias_path, scene_dir));
            weights["layout"] = w.layout == WeightLayout::Keras ? "keras" : "pytorch";
            break;
        case SceneWeights::Kind::Onnx:
            weights["model"] = path_to_json<ordered_json>(path_for_json(w.onnx_path, scene_dir));
            weights["node"] = w.onnx_node;
            break;
    }
    j["weights"] = std::move(weights);

    ordered_json cursor;
    cursor["step"] = scene.cursor_step;
    cursor["granularity"] = granularity_name(scene.granularity);
    j["cursor"] = std::move(cursor);

    ordered_json view;
    view["ui_scale"] = float_for_json(scene.view.ui_scale);
    view["input_zoom"] = float_for_json(scene.view.input_zoom);
    view["maps_zoom"] = float_for_json(scene.view.maps_zoom);
    view["filters_zoom"] = float_for_json(scene.view.filters_zoom);
    view["reveal_all"] = scene.view.reveal_all;
    view["selected_c_out"] = scene.view.selected_c_out;
    if (scene.view.conventions)
        view["conventions"] = *scene.view.conventions == Convention::Keras ? "keras" : "pytorch";
    j["view"] = std::move(view);

    try {
        // nlohmann formats numbers itself (no printf, no locale). Invalid UTF-8 in a string is an error.
        return j.dump(2, ' ', false, ordered_json::error_handler_t::strict) + "\n";
    } catch (const ordered_json::type_error& e) {
        throw Error(std::string("cannot write the scene: a text field is not valid UTF-8 (") + e.what() + ")");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. scene_from_json (public)
// ---------------------------------------------------------------------------------------------------------------

SceneFile scene_from_json(const std::string& text, const std::string& name, const std::string& scene_dir) {
    const json root = parse_json(text, name);
    return Reader(name, scene_dir).scene(root);
}

std::vector<ScenePath> scene_paths_outside_by_key(const SceneFile& scene, const std::string& scene_dir) {
    std::vector<ScenePath> out;
    std::error_code ec;
    const fs::path dir = fs::absolute(fs::path(scene_dir), ec).lexically_normal();
    const auto check = [&](const char* key, const std::string& p) {
        if (p.empty()) return;
        const fs::path abs = fs::absolute(fs::path(p), ec).lexically_normal();
        if (scene_dir.empty() || !lies_under(abs, dir)) out.push_back({key, p});
    };
    if (scene.input.kind == SceneInput::Kind::Cifar || scene.input.kind == SceneInput::Kind::Image)
        check("input.path", scene.input.path);
    if (scene.weights.kind == SceneWeights::Kind::Npy) {
        check("weights.weight", scene.weights.weight_path);
        check("weights.bias", scene.weights.bias_path);
    }
    if (scene.weights.kind == SceneWeights::Kind::Onnx) check("weights.model", scene.weights.onnx_path);
    return out;
}

std::vector<std::string> scene_paths_outside(const SceneFile& scene, const std::string& scene_dir) {
    std::vector<std::string> out;
    for (const ScenePath& p : scene_paths_outside_by_key(scene, scene_dir)) out.push_back(p.path);
    return out;
}

std::string scene_paths_outside_text(const std::vector<ScenePath>& paths) {
    std::string list;
    for (const ScenePath& p : paths) list += (list.empty() ? "" : ", ") + p.key + " = " + escape_invalid_utf8(p.path);
    return "the scene refers to " + std::string(paths.size() == 1 ? "a file" : "files") +
           " outside its folder: " + list;
}

// ---------------------------------------------------------------------------------------------------------------
// 6. scene_save / scene_load
// ---------------------------------------------------------------------------------------------------------------

void scene_save(const std::string& path, const SceneFile& scene) {
    const std::string text = scene_to_json(scene, absolute_dir_of(path));  // fails before any file is touched
    write_file_atomically(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), true);
}

SceneFile scene_load(const std::string& path) {
    const std::vector<uint8_t> bytes = read_regular_file(path, "a scene", kMaxSceneBytes);
    return scene_from_json(std::string(bytes.begin(), bytes.end()), file_base_name(path), absolute_dir_of(path));
}

}  // namespace convscope
