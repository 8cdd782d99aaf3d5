#include "export_caption.hpp"

#include <stb/stb_truetype.h>

#include <algorithm>
#include <cmath>

#include "error.hpp"
#include "file_io.hpp"

namespace convscope::workspace {

namespace {

constexpr float kTextPx = 14.0f;

const stbtt_fontinfo* font_of(const std::vector<unsigned char>& info) {
    return reinterpret_cast<const stbtt_fontinfo*>(info.data());
}

// Decodes one UTF-8 code point (invalid bytes become '?').
int next_code_point(const std::string& s, size_t& i) {
    const auto c = static_cast<unsigned char>(s[i++]);
    if (c < 0x80) return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (extra < 0) return '?';
    int cp = c & (0x3F >> extra);
    while (extra-- > 0) {
        if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return '?';
        cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
    }
    return cp;
}

}  // namespace

CaptionFont::CaptionFont(const std::string& ttf_path) {
    try {
        ttf_ = read_regular_file(ttf_path, "a font", uint64_t{64} << 20);
    } catch (const Error& e) {
        throw ExportError(std::string("caption font: ") + e.what());
    }
    info_.resize(sizeof(stbtt_fontinfo));
    auto* info = reinterpret_cast<stbtt_fontinfo*>(info_.data());
    if (ttf_.empty() || stbtt_GetFontOffsetForIndex(ttf_.data(), 0) < 0 ||
        !stbtt_InitFont(info, ttf_.data(), stbtt_GetFontOffsetForIndex(ttf_.data(), 0)))
        throw ExportError(ttf_path + ": not a TrueType font (the caption needs DejaVuSansMono.ttf)");
}

int CaptionFont::strip_height(float scale) const { return static_cast<int>(std::lround((kTextPx + 10.0f) * scale)); }

RgbImage CaptionFont::with_caption(const RgbImage& frame, const std::string& text, float scale, bool light) const {
    const int strip = strip_height(scale);
    RgbImage out;
    out.width = frame.width;
    out.height = frame.height + strip;
    out.rgb = frame.rgb;
    const uint8_t bg = light ? 250 : 22, fg = light ? 20 : 235;
    out.rgb.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height) * 3, bg);

    const stbtt_fontinfo* f = font_of(info_);
    const float px = kTextPx * scale;
    const float s = stbtt_ScaleForPixelHeight(f, px);
    int ascent = 0, descent = 0, gap = 0;
    stbtt_GetFontVMetrics(f, &ascent, &descent, &gap);
    const float baseline =
        static_cast<float>(frame.height) + (static_cast<float>(strip) - px) * 0.5f + static_cast<float>(ascent) * s;
    float pen = 8.0f * scale;
    const float right = static_cast<float>(out.width) - 8.0f * scale;
    int dot_advance = 0, lsb = 0;
    stbtt_GetCodepointHMetrics(f, '.', &dot_advance, &lsb);
    const float ellipsis_w = 3.0f * static_cast<float>(dot_advance) * s;

    std::vector<int> cps;
    for (size_t i = 0; i < text.size();) cps.push_back(next_code_point(text, i));
    // fit: measure, and cut with "..." when too long
    float total = pen;
    for (int cp : cps) {
        int adv = 0;
        stbtt_GetCodepointHMetrics(f, cp, &adv, &lsb);
        total += static_cast<float>(adv) * s;
    }
    if (total > right) {
        float w = pen;
        size_t keep = 0;
        for (; keep < cps.size(); ++keep) {
            int adv = 0;
            stbtt_GetCodepointHMetrics(f, cps[keep], &adv, &lsb);
            if (w + static_cast<float>(adv) * s + ellipsis_w > right) break;
            w += static_cast<float>(adv) * s;
        }
        cps.resize(keep);
        cps.insert(cps.end(), {'.', '.', '.'});
    }
    std::vector<unsigned char> glyph;
    for (int cp : cps) {
        int adv = 0;
        stbtt_GetCodepointHMetrics(f, cp, &adv, &lsb);
        int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        const float shift = pen - std::floor(pen);
        stbtt_GetCodepointBitmapBoxSubpixel(f, cp, s, s, shift, 0, &x0, &y0, &x1, &y1);
        const int gw = x1 - x0, gh = y1 - y0;
        if (gw > 0 && gh > 0) {
            glyph.assign(static_cast<size_t>(gw) * static_cast<size_t>(gh), 0);
            stbtt_MakeCodepointBitmapSubpixel(f, glyph.data(), gw, gh, gw, s, s, shift, 0, cp);
            const int ox = static_cast<int>(std::floor(pen)) + x0, oy = static_cast<int>(std::lround(baseline)) + y0;
            for (int y = 0; y < gh; ++y) {
                const int py = oy + y;
                if (py < frame.height || py >= out.height) continue;
                for (int x = 0; x < gw; ++x) {
                    const int pxl = ox + x;
                    if (pxl < 0 || pxl >= out.width) continue;
                    const int a = glyph[static_cast<size_t>(y * gw + x)];
                    uint8_t* d =
                        out.rgb.data() +
                        (static_cast<size_t>(py) * static_cast<size_t>(out.width) + static_cast<size_t>(pxl)) * 3;
                    for (int k = 0; k < 3; ++k) d[k] = static_cast<uint8_t>((fg * a + d[k] * (255 - a) + 127) / 255);
                }
            }
        }
        pen += static_cast<float>(adv) * s;
    }
    return out;
}

}  // namespace convscope::workspace
