// convscope core: the built-in pictures and filters. One source for the window, its scene files and
// `convscope-cli demo`, so every front end shows the same numbers for the same scene.
//
// Pictures are deterministic (no randomness); filters are PyTorch's default initialisation drawn from a seeded
// std::mt19937 with the first few filters replaced by designed, recognisable ones (edges per colour, blur, colour
// opponents, centre-surround). A scene file names both: "input": {"kind": "builtin", "name": ...} and
// "weights": {"kind": "builtin", "seed": ...}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "tensor.hpp"

namespace convscope {

inline constexpr uint32_t kBuiltinWeightSeed = 1;  // a scene's "weights.seed" when it names none

// The built-in picture names a scene may use:
//   generated   chosen by shape: RGB landscapes for 3 channels, digit strokes for 1 channel (or few channels of one
//               image), sines for Conv1d, stripe patterns otherwise
//   landscapes  RGB only: item 0 a sunset, 1 a day scene, 2 a night scene (then repeating); "sunset" is the same
//   digits      grayscale strokes 0, 1, 7, +, L numbered across the batch first: item n, channel c shows digit
//               (n * C + c), so (3, 1, H, W) and (1, 3, H, W) hold the same three pictures
//   sines       sequences (Conv1d) or 2-D waves: one frequency per channel
//   stripes     smooth signed stripe patterns, one orientation per channel
const std::vector<std::string>& builtin_input_names();
bool builtin_input_known(const std::string& name);

// x: (N, C_in, H, W) of the geometry's input (1-D: H = 1). `description` says what it shows, e.g. "a sunset
// picture (RGB)". Throws InvalidArgument for an unknown name or "landscapes" without 3 channels.
Tensor builtin_input(const ConvGeometry& geo, const std::string& name, std::string& description);

// The built-in weight (C_out, C_in/groups, kH, kW) and bias (C_out, or empty without bias): PyTorch's
// reset_parameters bound U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both, drawn in that order from
// std::mt19937(seed), then filters 0 .. designed-1 replaced by designed ones (their bias 0). With three input channels
// that are a picture's colours the designs include per-colour edges and colour opponents; when the channels are not
// colours (`colour_channels` false: the "digits" input stacks three images as channels) every design reads every
// channel alike.
struct BuiltinWeights {
    Tensor w, bias;
    int designed = 0;
    std::vector<std::string> names;  // one per designed filter
};
BuiltinWeights builtin_weights(const ConvGeometry& geo, bool bias, uint32_t seed = kBuiltinWeightSeed,
                               bool colour_channels = true);
// Whether the built-in input `name` with three channels holds a picture's colours (false for "digits").
bool builtin_input_is_colour(const std::string& name);

// PyTorch's default Conv initialisation bound for any shape, seeded (benchmarks' random tensors).
Tensor pytorch_default_init(const Shape& shape, int64_t fan_in, uint32_t seed);

}  // namespace convscope
