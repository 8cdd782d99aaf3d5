// convscope core: layout conversions between PyTorch's and Keras/TensorFlow's conventions.
//
// Data:    NCHW (PyTorch) <-> NHWC (Keras):   nhwc[n, h, w, c]  = nchw[n, c, h, w]
//          NCL  (PyTorch) <-> NLC  (Keras):   nlc[n, l, c]      = ncl[n, c, l]
// Weights: OIHW (PyTorch) <-> HWIO (Keras):   hwio[h, w, i, o]  = oihw[o, i, h, w]
//          OIW  (PyTorch) <-> WIO  (Keras):   wio[w, i, o]      = oiw[o, i, w]
// (I is in_channels/groups in both.) Each function checks the rank and throws ConfigError otherwise.
#pragma once

#include <string>
#include <vector>

#include "tensor.hpp"

namespace convscope {

Tensor nchw_to_nhwc(const Tensor& t);
Tensor nhwc_to_nchw(const Tensor& t);
Tensor ncl_to_nlc(const Tensor& t);
Tensor nlc_to_ncl(const Tensor& t);
Tensor oihw_to_hwio(const Tensor& t);
Tensor hwio_to_oihw(const Tensor& t);
Tensor oiw_to_wio(const Tensor& t);
Tensor wio_to_oiw(const Tensor& t);

// Data of a `dims`-D layer (1 or 2), batched or not, between channels-last ((N,) [H,] W, C) and PyTorch's
// channels-first ((N,) C, [H,] W). Throws ConfigError when the rank is neither dims + 1 nor dims + 2.
Tensor channels_last_to_first(const Tensor& x, int dims);
Tensor channels_first_to_last(const Tensor& x, int dims);
// The shape channels_last_to_first would give (same check and message), for checking files before reading them.
Shape channels_last_to_first(const Shape& shape, int dims);

enum class WeightLayout { PyTorch, Keras };  // (O, I, [H,] W)  vs  ([H,] W, I, O)

// Converts a weight of rank 3 or 4 in `layout` to PyTorch's layout; `permutation_text` (optional) receives a
// description like "Keras (kH, kW, in, out) -> PyTorch (out, in, kH, kW): permute(3, 2, 0, 1)".
Tensor weight_to_pytorch(const Tensor& w, WeightLayout layout, std::string* permutation_text = nullptr);

}  // namespace convscope
