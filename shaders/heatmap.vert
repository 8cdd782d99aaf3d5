#version 330 core
// convscope heatmap: the vertex stage of Dear ImGui's own shader (same ImDrawVert layout), so heatmap tiles
// are ordinary ImDrawList images drawn with a different fragment stage.
layout (location = 0) in vec2 Position;
layout (location = 1) in vec2 UV;
layout (location = 2) in vec4 Color;

uniform mat4 u_proj;

out vec2 v_uv;
out vec4 v_color;

void main() {
    v_uv = UV;
    v_color = Color;
    gl_Position = u_proj * vec4(Position.xy, 0.0, 1.0);
}
