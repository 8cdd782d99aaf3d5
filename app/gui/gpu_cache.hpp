// The only code that uploads textures: gpu_refresh runs at the end of app_begin_frame (the GL context is current) and
// remakes a texture only when what it shows changed (scene id, partial-map key, cursor step, result generation).
#pragma once

namespace convscope::workspace {
struct Workspace;
}

namespace convscope::gui {

struct GpuCache;
struct ViewSettings;

void gpu_refresh(GpuCache& gpu, const workspace::Workspace& ws, const ViewSettings& view);
void gpu_release(GpuCache& gpu);  // window shutdown, while the GL context is current

}  // namespace convscope::gui
