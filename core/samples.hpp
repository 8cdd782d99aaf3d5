// convscope core: built-in sample data, so the app and the CLI can show something meaningful without files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

// A recognisable RGB picture in [0, 1], shape (3, h, w): sky gradient, a sun, hills, a house with a window.
// Deterministic (no randomness), so screenshots and tests are stable.
Tensor sample_image(int64_t h = 32, int64_t w = 32);

// PyTorch's default Conv initialisation (kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) for weight and bias alike), seeded. fan_in = (C_in/groups) * kH * kW.
Tensor pytorch_default_init(const Shape& shape, int64_t fan_in, uint32_t seed);

// Weight (C_out, C_in/groups, k...) whose first filters are designed and recognisable (edges per colour
// channel, blur, colour-opponent, identity), the rest PyTorch's default init. names[o] describes filter o.
// Works for any shape (1-D kernels get 1-D versions of the same ideas).
Tensor designed_weights(const Shape& weight_shape, uint32_t seed, std::vector<std::string>* names = nullptr);

}  // namespace convscope
