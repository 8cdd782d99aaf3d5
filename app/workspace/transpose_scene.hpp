// The window's transposed-convolution mode (Layer kind: ConvTranspose): the layer as edited, the built-in input and
// weights it runs on, its presets, and the session the window draws from (the cursor in the scatter or the gather
// order and the state at the current step). GUI-free: the panels only draw what TransposeSession holds.
//
// Sections: TransposeEdit · checks and texts · TransposeScene · presets and settings · TransposeSession
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conv_transpose_cursor.hpp"
#include "conv_transpose_spec.hpp"
#include "cursor.hpp"
#include "tensor.hpp"

namespace convscope::workspace {

// What the tensors hold. Pattern: the input counts 1..9 along each row (so every number can be followed to where it
// lands), the kernels are seeded integers in [-2, 2], the bias seeded halves. Ones: input and kernels all 1, so
// each output value is the number of products that land on it (the checkerboard, as numbers). Both are exact in
// float32: every sum is the same in any order, and equal to PyTorch's.
enum class TransposeData { Pattern, Ones };
const char* transpose_data_name(TransposeData d);  // "pattern", "ones"

struct TransposeEdit {
    ConvTransposeLayer layer;     // nn.ConvTranspose1d / nn.ConvTranspose2d arguments
    int64_t n = 1, h = 4, w = 4;  // the input batch and its size; its channels are layer.in_channels (1-D: w is L)
    TransposeData data = TransposeData::Pattern;
    bool operator==(const TransposeEdit& o) const;
};
TransposeEdit default_transpose_edit();  // ConvTranspose2d(1, 1, kernel_size=3, stride=2) on a 4x4 input

Shape transpose_input_shape(const TransposeEdit& e);  // (N, C_in, H, W) or (N, C_in, L), as PyTorch sees it
// "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2)" as a user would write it (defaults omitted, PyTorch's order).
std::string transpose_layer_python_text(const ConvTransposeLayer& layer);

// The view draws every element, so it keeps layers small enough to read (convscope's limit, not PyTorch's).
inline constexpr int64_t kTransposeMaxBatch = 4, kTransposeMaxChannels = 8, kTransposeMaxInput = 16,
                         kTransposeMaxKernel = 7, kTransposeMaxOutput = 64;

struct TransposeCheck {
    std::optional<ConvTransposeGeometry> geometry;
    std::string error;  // PyTorch's text, or the view's limit ("convscope draws ...")
    bool ok() const { return geometry.has_value(); }
};
// The module's own checks first (nn.ConvTranspose*d's ValueErrors, then F.conv_transpose*d's RuntimeErrors, in
// PyTorch's order), then the view's limits.
TransposeCheck transpose_edit_check(const TransposeEdit& e);

// ---- the scene: a valid edit with its tensors and output ----
struct TransposeScene {
    uint64_t id = 0;
    TransposeEdit edit;
    ConvTransposeGeometry geo;
    Tensor x;     // transpose_input_shape(edit)
    Tensor w;     // (C_in, C_out/groups, [kH,] kW)
    Tensor bias;  // (C_out), empty without bias
    Tensor y;     // the reference output, PyTorch's shape
    std::vector<int32_t>
        contributions;  // per output position (H_out x W_out): products of one input channel landing there
    int32_t max_contributions = 0, min_contributions = 0;
    float x_abs_max = 0, w_abs_max = 0, y_abs_max = 0;
    const Tensor* bias_ptr() const { return edit.layer.bias ? &bias : nullptr; }
};
std::shared_ptr<const TransposeScene> build_transpose_scene(const TransposeEdit& e, const ConvTransposeGeometry& g,
                                                            uint64_t id);

// ---- presets and `transpose_set KEY VALUE` ----
struct TransposePreset {
    std::string key, label, lesson;
    TransposeEdit edit;
    TransposeOrder order = TransposeOrder::Scatter;
};
const std::vector<TransposePreset>& transpose_presets();
const TransposePreset* find_transpose_preset(const std::string& key);

// Keys: dims (1|2) in_channels out_channels kernel_size stride padding output_padding dilation groups bias
// batch height width|length data (pattern|ones). Per-dim values as "3,5". False with a message, edit unchanged.
bool apply_transpose_setting(TransposeEdit& e, const std::string& key, const std::string& value, std::string& error);

// ---- the session the window draws ----
struct TransposeSession {
    bool active = false;                          // Layer kind is ConvTranspose
    TransposeEdit edit;                           // as edited (may be invalid)
    std::string error;                            // why `edit` is not on screen; empty when it is
    std::string preset_key;                       // the preset on screen, "" after an edit
    std::shared_ptr<const TransposeScene> scene;  // always valid once made
    std::optional<ConvTransposeCursor> cursor;    // over scene's tensors
    TransposeOrder order = TransposeOrder::Scatter;

    // The state at (step, granularity, order), made by refresh().
    int64_t step = 0;
    Granularity granularity = Granularity::Position;
    ScatterState scatter;
    GatherState gather;
    Tensor canvas;  // scatter: the output as painted after the step; gather: the output (revealed_position() limits it)

    // Validates and, when valid, installs the scene (the cursor restarts at step 0). False: error set, scene kept.
    bool apply(const TransposeEdit& e);
    int64_t step_count(Granularity g) const;
    // Clamps `step`, then makes the state (nothing is recomputed when step, granularity, order and scene are the same).
    void refresh(int64_t step, Granularity g);
    // The same place at another granularity or in the other order: the step that ends the current input element's
    // stamp (scatter) or the current output's window (gather).
    int64_t convert_step(int64_t step, Granularity from, Granularity to) const;
    // The step that ends this element: an input element in the scatter order, an output element in gather.
    std::optional<int64_t> step_of(int64_t n, int64_t c, int64_t y, int64_t x, Granularity g) const;
    // Gather: the index (n, c_out, y, x raster) of the last output whose value is complete; -1 none.
    int64_t revealed_position() const;
    // "x[0, 0, 1, 2] = 3 paints y" / "y[0, 0, 4, 5]" as the playback bar writes the cursor.
    std::string position_text() const;
    // An export caption: scatter "x[0, 0, 1, 2] * w[0, 0, 1, 2] = 2 * -2 = -4 -> y[0, 0, 3, 6]: 0 + -4 = -4" (the
    // current multiply-add); gather "y[0, 0, 4, 4] = 7 + (bias -0.5) = 6.5" (channel sums, bias, value).
    std::string caption_text() const;

private:
    uint64_t next_id_ = 1;
    std::array<int64_t, 4> made_for_{-1, -1, -1, -1};  // scene id, step, granularity, order
};

}  // namespace convscope::workspace
