// The table of awkward convolution configurations shared by the cursor and fast-path tests.
#pragma once

#include <vector>

#include "conv_spec.hpp"

namespace convscope {

struct ConvCase {
    const char* name;
    int dims;
    Shape input;   // PyTorch shape
    Shape weight;  // PyTorch shape
    bool bias;
    std::vector<int64_t> stride, padding, dilation;
    int64_t groups;
    PaddingMode mode;
    PaddingKind kind = PaddingKind::Explicit;
};

inline ConvParams to_params(const ConvCase& c) {
    ConvParams p;
    p.dims = c.dims;
    p.stride = c.stride;
    p.padding = c.padding;
    p.dilation = c.dilation;
    p.groups = c.groups;
    p.padding_mode = c.mode;
    p.padding_kind = c.kind;
    return p;
}

// clang-format off
inline const ConvCase kCases[] = {
    {"Seed3to8K5Pad2", 2, {1, 3, 9, 7}, {8, 3, 5, 5}, true, {1}, {2}, {1}, 1, PaddingMode::Zeros},
    {"StrideLargerThanKernel", 2, {2, 2, 9, 7}, {3, 2, 2, 2}, true, {3, 4}, {1}, {1}, 1, PaddingMode::Zeros},
    {"Dilation2", 2, {1, 2, 9, 7}, {2, 2, 3, 3}, false, {1}, {2, 1}, {2}, 1, PaddingMode::Zeros},
    {"Reflect", 2, {2, 3, 9, 7}, {4, 3, 3, 3}, true, {1}, {2}, {1}, 1, PaddingMode::Reflect},
    {"Replicate", 2, {1, 3, 9, 7}, {4, 3, 3, 2}, true, {2}, {3, 1}, {1}, 1, PaddingMode::Replicate},
    {"CircularFullWrap", 2, {1, 2, 5, 4}, {2, 2, 3, 3}, true, {1}, {5, 4}, {1}, 1, PaddingMode::Circular},
    {"SameEvenKernel", 2, {1, 3, 9, 7}, {2, 3, 4, 2}, true, {1}, {0}, {1}, 1, PaddingMode::Zeros, PaddingKind::Same},
    {"SameEvenKernelReflect", 2, {1, 3, 9, 7}, {2, 3, 4, 4}, true, {1}, {0}, {1}, 1, PaddingMode::Reflect, PaddingKind::Same},
    {"Groups", 2, {1, 6, 9, 7}, {9, 2, 3, 3}, true, {1}, {1}, {1}, 3, PaddingMode::Zeros},
    {"Depthwise", 2, {2, 13, 7, 9}, {13, 1, 3, 3}, true, {2}, {1}, {1}, 13, PaddingMode::Zeros},
    {"OneByOne", 2, {1, 13, 9, 7}, {5, 13, 1, 1}, true, {1}, {0}, {1}, 1, PaddingMode::Zeros},
    {"SevenBySevenOnSmall", 2, {1, 2, 9, 7}, {3, 2, 7, 7}, true, {1}, {3}, {1}, 1, PaddingMode::Zeros},
    {"Unbatched2d", 2, {3, 9, 7}, {2, 3, 3, 3}, true, {1}, {1}, {1}, 1, PaddingMode::Zeros},
    {"Conv1dText", 1, {2, 12, 17}, {4, 12, 2}, true, {1}, {0}, {1}, 1, PaddingMode::Zeros},
    {"Conv1dReflectDilated", 1, {1, 3, 13}, {2, 3, 3}, true, {2}, {4}, {2}, 1, PaddingMode::Reflect},
    {"Conv1dCircularGroups", 1, {1, 4, 11}, {6, 2, 3}, false, {1}, {2}, {1}, 2, PaddingMode::Circular},
    {"Conv1dUnbatchedSameEven", 1, {3, 10}, {2, 3, 4}, true, {1}, {0}, {1}, 1, PaddingMode::Zeros, PaddingKind::Same},
    {"Conv1dValid", 1, {1, 3, 10}, {2, 3, 4}, true, {1}, {0}, {2}, 1, PaddingMode::Zeros, PaddingKind::Valid},
};
// clang-format on

}  // namespace convscope
