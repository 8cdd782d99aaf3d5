// Seed question 6 made visible (View -> Weight layouts): one filter's numbers as PyTorch stores them, weight
// (out, in, kH, kW), and as Keras stores them, kernel (kH, kW, in, out) = weight.permute(2, 3, 1, 0); Keras to
// PyTorch is kernel.permute(3, 2, 0, 1). The same element has an index and a place in memory (C order) in each
// layout; the window lights both when either is hovered. Conv1d: weight (out, in, k), kernel (k, in, out).
// The tensors themselves convert with core/layout.hpp (oihw_to_hwio, hwio_to_oihw). No GL, no ImGui.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tensor.hpp"

namespace convscope::workspace {

// One weight element in PyTorch's terms; ky = 0 for Conv1d.
struct WeightIndex {
    int64_t o = 0, i = 0, ky = 0, kx = 0;
    bool operator==(const WeightIndex&) const = default;
};

// The geometry of the two layouts of a weight of shape (out, in/groups, kH, kW) canonical (1-D: kH = 1, dims 1).
class WeightLayouts {
public:
    WeightLayouts(const Shape& canonical_weight, int dims);

    int dims() const { return dims_; }
    int64_t out() const { return out_; }
    int64_t in() const { return in_; }
    int64_t kh() const { return kh_; }
    int64_t kw() const { return kw_; }
    bool valid(const WeightIndex& w) const;

    Shape torch_shape() const;  // (out, in, kH, kW) or (out, in, k)
    Shape keras_shape() const;  // (kH, kW, in, out) or (k, in, out)
    // Flat C-order offsets of the element in each layout's memory.
    int64_t torch_offset(const WeightIndex& w) const;
    int64_t keras_offset(const WeightIndex& w) const;
    WeightIndex from_torch_offset(int64_t offset) const;
    WeightIndex from_keras_offset(int64_t offset) const;
    // "weight[3, 0, 1, 2]" and "kernel[1, 2, 0, 3]" (1-D: "weight[3, 0, 2]", "kernel[2, 0, 3]")
    std::string torch_index_text(const WeightIndex& w) const;
    std::string keras_index_text(const WeightIndex& w) const;
    // The offsets written out: "((3*3 + 0)*5 + 1)*5 + 2 = 382" and "((1*5 + 2)*3 + 0)*32 + 3 = 675".
    std::string torch_offset_text(const WeightIndex& w) const;
    std::string keras_offset_text(const WeightIndex& w) const;

private:
    int dims_;
    int64_t out_, in_, kh_, kw_;
};

}  // namespace convscope::workspace
