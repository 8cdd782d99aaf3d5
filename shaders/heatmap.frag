#version 330 core
// convscope heatmap: colours raw float tensor values (R32F / RG32F / RGBA32F texels).
//
// HEATMAP_MODE (defined by the program, gl_render.cpp: one program per mode and mask, so each runs straight-line
// code; llvmpipe ran every branch of uniform-selected code for every pixel)
//         0 diverging  t = clamp(v / u_scale, -1, 1); white at 0, red for t > 0, blue for t < 0,
//                      piecewise linear through three stops per side (|t| = 0, 0.5, 1)
//         1 sequential t = clamp((v - u_lo) / (u_hi - u_lo), 0, 1); colour = u_tint * t
//         2 rgb        colour = clamp(texel.rgb, 0, 1)  (the image's own colours)
// HEATMAP_MASK
//         0 none
//         1 reveal     the second channel (G; A for rgb) holds the output position index; texels past
//                      u_reveal are "not computed yet" and drawn in the placeholder colour
//         2 padding    the second channel (G; A for rgb) is 1 on padding-ring texels: dimmed + hatched
// Non-finite values (NaN, ±Inf) are a magenta/black checkerboard, whatever the mode.
// The result is multiplied by the vertex colour (ImGui's per-image tint), alpha from the vertex colour.
// tests/gui_test.py reimplements the diverging formula; keep them in step.
in vec2 v_uv;
in vec4 v_color;

uniform sampler2D u_tex;
uniform float u_scale;
uniform float u_lo;
uniform float u_hi;
uniform vec3 u_tint;
uniform float u_reveal;

layout (location = 0) out vec4 out_color;

const vec3 kZero   = vec3(0.969, 0.969, 0.969);
const vec3 kPosMid = vec3(0.957, 0.647, 0.510);
const vec3 kPosEnd = vec3(0.404, 0.000, 0.122);
const vec3 kNegMid = vec3(0.573, 0.773, 0.871);
const vec3 kNegEnd = vec3(0.020, 0.188, 0.380);
const vec3 kPending = vec3(0.20, 0.21, 0.24);

vec3 diverging(float v) {
    float t = u_scale > 0.0 ? clamp(v / u_scale, -1.0, 1.0) : 0.0;
    float a = abs(t);
    vec3 mid = t >= 0.0 ? kPosMid : kNegMid;
    vec3 end = t >= 0.0 ? kPosEnd : kNegEnd;
    return a < 0.5 ? mix(kZero, mid, a * 2.0) : mix(mid, end, a * 2.0 - 1.0);
}

bool finite(float v) { return !(isnan(v) || isinf(v)); }

void main() {
    vec4 texel = texture(u_tex, v_uv);
#if HEATMAP_MODE == 2
    float tag = texel.a;
    bool bad = !(finite(texel.r) && finite(texel.g) && finite(texel.b));
#else
    float tag = texel.g;
    bool bad = !finite(texel.r);
#endif
    vec3 c;
#if HEATMAP_MASK == 1
    if (tag > u_reveal + 0.5) {
        out_color = vec4(kPending, v_color.a);
        return;
    }
#endif
    if (bad) {
        vec2 cell = floor(gl_FragCoord.xy / 4.0);
        c = mod(cell.x + cell.y, 2.0) < 1.0 ? vec3(1.0, 0.0, 1.0) : vec3(0.08, 0.0, 0.08);
    } else {
#if HEATMAP_MODE == 0
        c = diverging(texel.r);
#elif HEATMAP_MODE == 1
        float range = u_hi - u_lo;
        float t = range > 0.0 ? clamp((texel.r - u_lo) / range, 0.0, 1.0) : 0.0;
        c = u_tint * t;
#else
        c = clamp(texel.rgb, 0.0, 1.0);
#endif
    }
#if HEATMAP_MASK == 2
    if (tag > 0.5) {
        c = mix(c, vec3(0.45), 0.35) * 0.8;
        if (mod(gl_FragCoord.x + gl_FragCoord.y, 6.0) < 1.5) c *= 0.55;
    }
#endif
    out_color = vec4(c * v_color.rgb, v_color.a);
}
