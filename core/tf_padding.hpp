// convscope core: TensorFlow/Keras padding rules ('valid', 'same', Conv1D's 'causal') and ONNX's auto_pad
// (VALID, SAME_UPPER, SAME_LOWER), as one pure function. Keras layers, ONNX nodes and code generation all resolve
// their pads here; the engine then sees ordinary asymmetric explicit pads (ConvParams/PoolParams pads_begin/end).
//
// Per spatial dim, with input size in, kernel k, stride s, dilation d (dilated kernel span = (k - 1)*d + 1):
//   valid:       out = ceil((in - (k - 1)*d) / s) = floor((in - (k - 1)*d - 1) / s) + 1,  no padding
//   same:        out = ceil(in / s),  total = max(0, (out - 1)*s + (k - 1)*d + 1 - in)
//                SameUpper (TF, Keras, ONNX SAME_UPPER): begin = total // 2, end = total - begin (odd one at the end)
//                SameLower (ONNX SAME_LOWER):            end = total // 2, begin = total - end (odd one at the start)
//   causal:      begin = (k - 1)*d, end = 0 (Conv1D only: output t sees inputs t and earlier), out = ceil(in / s)
// PyTorch's own padding='same' (stride 1 only) splits (k - 1)*d the same way as SameUpper; with stride 1 the two
// rules agree, and with stride > 1 PyTorch refuses where TF pads asymmetrically.
#pragma once

#include <cstdint>
#include <string>

namespace convscope {

enum class TfPadding { Valid, SameUpper, SameLower, Causal };

const char* tf_padding_name(TfPadding p);  // "valid", "same", "SAME_LOWER", "causal"

struct TfPads {
    int64_t out = 0;    // output size; <= 0 when 'valid' leaves no room for the kernel
    int64_t total = 0;  // begin + end
    int64_t begin = 0, end = 0;
};

// Requires kernel, stride, dilation >= 1 and in >= 0 (callers validate first; asserted).
TfPads tf_pads(TfPadding rule, int64_t in, int64_t kernel, int64_t stride, int64_t dilation);

// The rule with the numbers filled in, one line, e.g.
//   "H_out = ceil(32 / 2) = 16; pad_total = max(0, (16-1)*2 + (3-1)*1 + 1 - 32) = 1: 0 before, 1 after"
std::string tf_padding_formula_text(const char* name, TfPadding rule, int64_t in, int64_t kernel, int64_t stride,
                                    int64_t dilation);

}  // namespace convscope
