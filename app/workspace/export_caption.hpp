// The optional caption of an exported frame: one line of text (the equation at the cursor) in a strip under
// the frame, rasterised with stb_truetype from the app's DejaVu Sans Mono at the export's scale (never scaled
// as a bitmap), dark text on light or light on dark to match the theme.
#pragma once

#include <string>
#include <vector>

#include "export_encode.hpp"

namespace convscope::workspace {

class CaptionFont {
public:
    // Reads the TrueType file; ExportError when it is missing or not a font.
    explicit CaptionFont(const std::string& ttf_path);
    // Height of the strip for `scale` (1..4): 13 px text at scale 1 plus padding.
    int strip_height(float scale) const;
    // Returns `frame` with the strip appended below it; text longer than the width is cut with "...".
    RgbImage with_caption(const RgbImage& frame, const std::string& text, float scale, bool light) const;

private:
    std::vector<unsigned char> ttf_;
    std::vector<unsigned char> info_;  // stbtt_fontinfo, kept opaque
};

}  // namespace convscope::workspace
