// convscope core: bytes that should be UTF-8 but may not be. On Linux a path is bytes: "bild_\xff\xfe.png" is a
// valid file name. Such text is kept as it is (lossless) wherever it is stored or opened, and escaped only where
// it is shown or written as JSON text; a JSON library must never see invalid UTF-8 (nlohmann throws
// type_error.316 on dump).
#pragma once

#include <string>
#include <string_view>

namespace convscope {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when s[i] does not start one (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i);

bool is_valid_utf8(std::string_view s);

// Valid UTF-8 unchanged; every byte that is not part of a valid sequence as "\xFF" (upper-case hex). For
// messages, the window and JSON text: display only (a name that really contains "\xFF" looks the same).
std::string escape_invalid_utf8(std::string_view s);

}  // namespace convscope
