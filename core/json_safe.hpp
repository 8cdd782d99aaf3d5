// convscope core: writing JSON that never throws, for every program that prints or saves JSON (the CLI's --json,
// the window's dump and settings). Header-only; the including target links nlohmann_json.
//
// Conventions (documented in README.md):
//   - A float that is NaN or infinite is written as the string "nan", "inf" or "-inf" (JSON has no such
//     numbers; nlohmann would write null, which reads back as "no value").
//   - Text that is not valid UTF-8 (a file name's raw bytes, a PNG chunk type) is written with each invalid byte
//     as "\xFF" (escape_invalid_utf8): shown, never thrown across a frame.
//   - A path is stored losslessly: a string when it is valid UTF-8, otherwise {"bytes_hex": "62696c645fff"}.
#pragma once

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "utf8.hpp"

namespace convscope {

template <class Json = nlohmann::json>
Json json_float(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    return v;
}

// j.dump(indent) with invalid UTF-8 escaped instead of throwing; never throws (a failure of the fallback itself
// gives a JSON string saying so).
template <class Json>
std::string json_dump_safe(const Json& j, int indent = -1) noexcept {
    try {
        return j.dump(indent, ' ', false, Json::error_handler_t::strict);
    } catch (...) {
    }
    try {
        // Rebuild the strings with escaped bytes (keeps the text readable, unlike error_handler_t::replace's U+FFFD).
        Json copy = j;
        std::function<void(Json&)> fix = [&](Json& v) {
            if (v.is_string()) {
                v = escape_invalid_utf8(v.template get_ref<const std::string&>());
            } else if (v.is_structured()) {
                if (v.is_object()) {
                    Json fixed = Json::object();
                    for (auto it = v.begin(); it != v.end(); ++it) {
                        Json value = it.value();
                        fix(value);
                        fixed[escape_invalid_utf8(it.key())] = std::move(value);
                    }
                    v = std::move(fixed);
                } else {
                    for (auto& e : v) fix(e);
                }
            }
        };
        fix(copy);
        return copy.dump(indent, ' ', false, Json::error_handler_t::replace);
    } catch (...) {
        return "\"(convscope could not write this JSON)\"";
    }
}

template <class Json = nlohmann::json>
Json path_to_json(const std::string& path) {
    if (is_valid_utf8(path)) return path;
    static const char* const kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : path) {
        hex += kHex[c >> 4];
        hex += kHex[c & 0xF];
    }
    Json j = Json::object();
    j["bytes_hex"] = hex;
    return j;
}

// The path path_to_json wrote; empty optional when `j` is neither form.
template <class Json>
std::optional<std::string> path_from_json(const Json& j) {
    if (j.is_string()) return j.template get<std::string>();
    if (!j.is_object() || j.size() != 1 || !j.contains("bytes_hex") || !j["bytes_hex"].is_string()) return std::nullopt;
    const std::string& hex = j["bytes_hex"].template get_ref<const std::string&>();
    if (hex.size() % 2 != 0) return std::nullopt;
    const auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

}  // namespace convscope
