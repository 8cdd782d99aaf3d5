// Sections: loader · shader program · float textures · heatmap callback · frame helpers
#include "gl_render.hpp"

#include <glad/gl.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <fstream>
#include <sstream>

namespace convscope::gui {

namespace {

struct Program {
    GLuint id = 0;
    GLint proj = -1, tex = -1, scale = -1, lo = -1, hi = -1, tint = -1, reveal = -1;
};
// One program per (colour mode, mask): shaders/heatmap.frag compiled with HEATMAP_MODE and HEATMAP_MASK defined, so
// each has straight-line code. With the mode and mask as uniforms, llvmpipe ran every branch for every pixel: the
// default scene's frame took 7.1 ms against 6.4 with the branches resolved at compile time (Xeon, 1280x800).
constexpr int kModes = 3, kMasks = 3;
Program g_programs[kModes * kMasks];
int g_max_texture_size = 4096;

// Uniform blocks referenced by draw commands of the frame being built; a deque keeps addresses stable.
struct StyleBlock {
    HeatmapStyle style;
    float proj[16];
};
std::deque<StyleBlock> g_styles;

GLuint to_gl(ImTextureID id) { return static_cast<GLuint>(reinterpret_cast<intptr_t>(id)); }
ImTextureID to_imgui(GLuint id) { return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(id)); }

bool read_text(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream s;
    s << f.rdbuf();
    out = s.str();
    return true;
}

// The compile or link status of a shader or program; false with its info log in `error` (after `what`).
template <class GetIv, class GetLog>
bool gl_succeeded(GLuint object, GLenum status, GetIv get_iv, GetLog get_log, const std::string& what,
                  std::string& error) {
    GLint ok = 0;
    get_iv(object, status, &ok);
    if (ok) return true;
    char log[2048] = {};
    get_log(object, sizeof log, nullptr, log);
    error = what + log;
    return false;
}

GLuint compile(GLenum kind, const std::string& source, const std::string& path, std::string& error) {
    GLuint sh = glCreateShader(kind);
    const char* text = source.c_str();
    glShaderSource(sh, 1, &text, nullptr);
    glCompileShader(sh);
    if (!gl_succeeded(sh, GL_COMPILE_STATUS, glGetShaderiv, glGetShaderInfoLog, path + ": ", error)) {
        glDeleteShader(sh);
        return 0;
    }
    return sh;
}

void heatmap_callback(const ImDrawList*, const ImDrawCmd* cmd) {
    const auto* block = static_cast<const StyleBlock*>(cmd->UserCallbackData);
    const HeatmapStyle& s = block->style;
    const Program& p = g_programs[static_cast<int>(s.color) * kMasks + static_cast<int>(s.mask)];
    glUseProgram(p.id);
    glUniformMatrix4fv(p.proj, 1, GL_FALSE, block->proj);
    glUniform1i(p.tex, 0);
    glUniform1f(p.scale, s.scale);  // (a uniform the variant does not use has location -1: GL ignores it)
    glUniform1f(p.lo, s.lo);
    glUniform1f(p.hi, s.hi);
    glUniform3f(p.tint, s.tint[0], s.tint[1], s.tint[2]);
    glUniform1f(p.reveal, s.reveal_until);
    // Our attribute locations (0, 1, 2) need not be the backend's: specify them on the backend's VAO/VBO.
    // ImDrawCallback_ResetRenderState (heatmap_end) re-specifies the backend's own.
    glEnableVertexAttribArray(0);
    glEnableVertexAttribArray(1);
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert),
                          reinterpret_cast<const void*>(static_cast<uintptr_t>(IM_OFFSETOF(ImDrawVert, pos))));
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, sizeof(ImDrawVert),
                          reinterpret_cast<const void*>(static_cast<uintptr_t>(IM_OFFSETOF(ImDrawVert, uv))));
    glVertexAttribPointer(2, 4, GL_UNSIGNED_BYTE, GL_TRUE, sizeof(ImDrawVert),
                          reinterpret_cast<const void*>(static_cast<uintptr_t>(IM_OFFSETOF(ImDrawVert, col))));
}

}  // namespace

// ---- loader ----

bool gl_init(GlLoader loader, std::string& error) {
    if (gladLoadGL(reinterpret_cast<GLADloadfunc>(loader)) == 0) {
        error = "could not load OpenGL 3.3 core entry points";
        return false;
    }
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &g_max_texture_size);
    return true;
}

int gl_max_texture_size() { return g_max_texture_size; }

// ---- shader program ----

bool gl_load_heatmap_program(const std::string& shader_dir, std::string& error) {
    const std::string vpath = shader_dir + "/heatmap.vert", fpath = shader_dir + "/heatmap.frag";
    std::string vsrc, fsrc;
    if (!read_text(vpath, vsrc)) {
        error = "cannot read " + vpath + " (set --shader-dir to the folder holding heatmap.vert/.frag)";
        return false;
    }
    if (!read_text(fpath, fsrc)) {
        error = "cannot read " + fpath + " (set --shader-dir to the folder holding heatmap.vert/.frag)";
        return false;
    }
    // The variants' defines go right after the #version line, which must stay first.
    const size_t line_end = fsrc.find('\n');
    if (fsrc.compare(0, 8, "#version") != 0 || line_end == std::string::npos) {
        error = fpath + ": the first line must be its #version";
        return false;
    }
    GLuint vs = compile(GL_VERTEX_SHADER, vsrc, vpath, error);
    if (!vs) return false;
    Program made[kModes * kMasks];
    bool ok = true;
    for (int v = 0; v < kModes * kMasks && ok; ++v) {
        const std::string defines = "#define HEATMAP_MODE " + std::to_string(v / kMasks) + "\n#define HEATMAP_MASK " +
                                    std::to_string(v % kMasks) + "\n#line 2\n";  // errors keep the file's line numbers
        const std::string variant = fsrc.substr(0, line_end + 1) + defines + fsrc.substr(line_end + 1);
        GLuint fs = compile(GL_FRAGMENT_SHADER, variant, fpath, error);
        if (!fs) {
            ok = false;
            break;
        }
        GLuint prog = glCreateProgram();
        glAttachShader(prog, vs);
        glAttachShader(prog, fs);
        glLinkProgram(prog);
        glDeleteShader(fs);
        made[v].id = prog;
        if (!gl_succeeded(prog, GL_LINK_STATUS, glGetProgramiv, glGetProgramInfoLog,
                          "linking the heatmap program: ", error)) {
            ok = false;
            break;
        }
        Program& p = made[v];
        p.proj = glGetUniformLocation(prog, "u_proj");
        p.tex = glGetUniformLocation(prog, "u_tex");
        p.scale = glGetUniformLocation(prog, "u_scale");
        p.lo = glGetUniformLocation(prog, "u_lo");
        p.hi = glGetUniformLocation(prog, "u_hi");
        p.tint = glGetUniformLocation(prog, "u_tint");
        p.reveal = glGetUniformLocation(prog, "u_reveal");
    }
    glDeleteShader(vs);
    if (!ok) {
        for (Program& p : made)
            if (p.id) glDeleteProgram(p.id);
        return false;
    }
    std::copy(std::begin(made), std::end(made), std::begin(g_programs));
    return true;
}

void gl_shutdown() {
    for (Program& p : g_programs) {
        if (p.id) glDeleteProgram(p.id);
        p = {};
    }
    g_styles.clear();
}

// ---- float textures ----

void gl_upload_float_texture(FloatTexture& tex, int width, int height, int channels, const float* data) {
    GLint last = 0;
    glGetIntegerv(GL_TEXTURE_BINDING_2D, &last);
    const GLenum format = channels == 1 ? GL_RED : channels == 2 ? GL_RG : GL_RGBA;
    const GLint internal = channels == 1 ? GL_R32F : channels == 2 ? GL_RG32F : GL_RGBA32F;
    GLuint id = to_gl(tex.id);
    const bool same = id != 0 && tex.width == width && tex.height == height && tex.channels == channels;
    if (id == 0) {
        glGenTextures(1, &id);
        tex.id = to_imgui(id);
    }
    glBindTexture(GL_TEXTURE_2D, id);
    if (same) {
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, format, GL_FLOAT, data);
    } else {
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glTexImage2D(GL_TEXTURE_2D, 0, internal, width, height, 0, format, GL_FLOAT, data);
    }
    glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(last));
    tex.width = width;
    tex.height = height;
    tex.channels = channels;
}

void gl_destroy_texture(FloatTexture& tex) {
    GLuint id = to_gl(tex.id);
    if (id) glDeleteTextures(1, &id);
    tex = {};
}

// ---- heatmap callback ----

void heatmap_begin(ImDrawList* dl, const HeatmapStyle& style) {
    StyleBlock& b = g_styles.emplace_back();
    b.style = style;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float l = vp->Pos.x, r = vp->Pos.x + vp->Size.x, t = vp->Pos.y, bt = vp->Pos.y + vp->Size.y;
    const float m[16] = {2.0f / (r - l),      0, 0,   0, 0, 2.0f / (t - bt), 0, 0, 0, 0, -1.0f, 0, (r + l) / (l - r),
                         (t + bt) / (bt - t), 0, 1.0f};
    for (int i = 0; i < 16; ++i) b.proj[i] = m[i];
    dl->AddCallback(heatmap_callback, &b);
}

void heatmap_end(ImDrawList* dl) { dl->AddCallback(ImDrawCallback_ResetRenderState, nullptr); }

void gl_end_frame_styles() { g_styles.clear(); }

// ---- frame helpers ----

void gl_clear(int width, int height, float r, float g, float b) {
    glViewport(0, 0, width, height);
    glClearColor(r, g, b, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
}

namespace {

// GL's row 0 is the bottom; images are written top row first.
std::vector<uint8_t> rows_top_first(const std::vector<uint8_t>& rows, int width, int height) {
    const size_t stride = static_cast<size_t>(width) * 3;
    std::vector<uint8_t> flipped(rows.size());
    for (int y = 0; y < height; ++y)
        std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(height - 1 - y) * stride), stride,
                    flipped.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(y) * stride));
    return flipped;
}

}  // namespace

std::vector<uint8_t> gl_read_back_buffer(int width, int height) {
    std::vector<uint8_t> rows(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    GLint last_pack = 4, last_read = GL_BACK;
    glGetIntegerv(GL_PACK_ALIGNMENT, &last_pack);
    glGetIntegerv(GL_READ_BUFFER, &last_read);
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
    glPixelStorei(GL_PACK_ALIGNMENT, last_pack);
    glReadBuffer(static_cast<GLenum>(last_read));
    return rows_top_first(rows, width, height);
}

// ---- offscreen target (export) ----

namespace {
struct Offscreen {
    GLuint fbo = 0, color = 0;
    int width = 0, height = 0;
};
Offscreen g_off;
}  // namespace

bool gl_offscreen_begin(int width, int height, std::string& error) {
    if (g_off.fbo == 0 || g_off.width != width || g_off.height != height) {
        gl_offscreen_free();
        GLint max_rb = 0;
        glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_rb);
        if (width < 1 || height < 1 || width > max_rb || height > max_rb) {
            error = "cannot render " + std::to_string(width) + " x " + std::to_string(height) +
                    " px offscreen: this OpenGL allows at most " + std::to_string(max_rb) + " px a side";
            return false;
        }
        glGenFramebuffers(1, &g_off.fbo);
        glGenRenderbuffers(1, &g_off.color);
        glBindRenderbuffer(GL_RENDERBUFFER, g_off.color);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
        glBindFramebuffer(GL_FRAMEBUFFER, g_off.fbo);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, g_off.color);
        const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        if (status != GL_FRAMEBUFFER_COMPLETE || glGetError() == GL_OUT_OF_MEMORY) {
            gl_offscreen_free();
            error = "cannot render " + std::to_string(width) + " x " + std::to_string(height) +
                    " px offscreen: OpenGL could not make the framebuffer (out of video memory?)";
            return false;
        }
        g_off.width = width, g_off.height = height;
    }
    glBindFramebuffer(GL_FRAMEBUFFER, g_off.fbo);
    glViewport(0, 0, width, height);
    return true;
}

std::vector<uint8_t> gl_offscreen_read() {
    const int width = g_off.width, height = g_off.height;
    std::vector<uint8_t> rows(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    GLint last_pack = 4;
    glGetIntegerv(GL_PACK_ALIGNMENT, &last_pack);
    glReadBuffer(GL_COLOR_ATTACHMENT0);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
    glPixelStorei(GL_PACK_ALIGNMENT, last_pack);
    return rows_top_first(rows, width, height);
}

void gl_offscreen_end() { glBindFramebuffer(GL_FRAMEBUFFER, 0); }

void gl_offscreen_free() {
    if (g_off.fbo) glDeleteFramebuffers(1, &g_off.fbo);
    if (g_off.color) glDeleteRenderbuffers(1, &g_off.color);
    g_off = Offscreen{};
}

}  // namespace convscope::gui
