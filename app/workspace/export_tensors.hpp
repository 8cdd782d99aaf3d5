// Tensor export (File -> Export tensors..., --export-tensors DIR, script verb export_tensors): the scene's
// tensors as .npy files in PyTorch layout, written with core's npy_save (byte-identical to np.save):
//   input.npy   x: (N, C_in, H, W) or (N, C_in, L)
//   weight.npy  w: (C_out, C_in/groups, kH, kW) or (C_out, C_in/groups, kL)
//   bias.npy    b: (C_out)                      only when the layer has a bias
//   output.npy  y = F.conv2d(x, w, b, stride, padding, dilation, groups) (conv1d for 1-D; for padding modes other
//               than zeros, F.pad(x, ..., mode) first, as nn.Conv*d does)
//   window.npy  the input values the cursor's output element reads: (C_in/groups, kH, kW) or (C_in/groups, kL),
//               padding included, so (window * w[c_out]).sum() + b[c_out] == y[n, c_out, y, x]
#pragma once

#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "cursor.hpp"
#include "export_plan.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

struct SceneTensors {
    ConvGeometry geo;
    const Tensor* x = nullptr;     // canonical (N, C_in, H, W); 1-D: H = 1
    const Tensor* w = nullptr;     // canonical (C_out, C_in/groups, kH, kW)
    const Tensor* bias = nullptr;  // (C_out) or null
    const Tensor* y = nullptr;     // canonical (N, C_out, H_out, W_out)
    CursorState cursor;            // the window is the one of this output element
};

// The cursor's input window (see above), from the cursor's taps.
Tensor cursor_window(const ConvGeometry& g, const CursorState& cs);

// Writes the files into `dir` (created when missing). A folder holding any of the five names is refused
// without `force` (ExportError); with `force` they are replaced and a stale bias.npy is removed when the layer
// has no bias. Every file is written atomically (temporary name, fsync, rename). Returns the paths written.
std::vector<std::string> export_tensors(const std::string& dir, const SceneTensors& t, bool force);

}  // namespace convscope::workspace
