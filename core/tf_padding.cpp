#include "tf_padding.hpp"

#include <algorithm>
#include <cassert>

namespace convscope {

const char* tf_padding_name(TfPadding p) {
    switch (p) {
        case TfPadding::Valid:
            return "valid";
        case TfPadding::SameUpper:
            return "same";
        case TfPadding::SameLower:
            return "SAME_LOWER";
        case TfPadding::Causal:
            return "causal";
    }
    return "?";
}

TfPads tf_pads(TfPadding rule, int64_t in, int64_t kernel, int64_t stride, int64_t dilation) {
    assert(kernel >= 1 && stride >= 1 && dilation >= 1 && in >= 0);
    const int64_t span = (kernel - 1) * dilation + 1;  // the dilated kernel
    TfPads p;
    switch (rule) {
        case TfPadding::Valid:
            // ceil((in - span + 1) / s); when the kernel does not fit, in - span + 1 (<= 0) says by how much
            p.out = in >= span ? (in - span) / stride + 1 : in - span + 1;
            break;
        case TfPadding::SameUpper:
        case TfPadding::SameLower:
            p.out = (in + stride - 1) / stride;
            p.total = std::max<int64_t>(0, (p.out - 1) * stride + span - in);
            if (rule == TfPadding::SameUpper) {
                p.begin = p.total / 2;
                p.end = p.total - p.begin;
            } else {
                p.end = p.total / 2;
                p.begin = p.total - p.end;
            }
            break;
        case TfPadding::Causal:
            p.begin = p.total = span - 1;
            p.out = (in + stride - 1) / stride;
            break;
    }
    return p;
}

std::string tf_padding_formula_text(const char* name, TfPadding rule, int64_t in, int64_t kernel, int64_t stride,
                                    int64_t dilation) {
    const TfPads p = tf_pads(rule, in, kernel, stride, dilation);
    const std::string n = name, i = std::to_string(in), k = std::to_string(kernel), s = std::to_string(stride),
                      d = std::to_string(dilation), out = std::to_string(p.out);
    switch (rule) {
        case TfPadding::Valid:
            return n + " = ceil((" + i + " - (" + k + "-1)*" + d + ") / " + s + ") = ceil(" +
                   std::to_string(in - (kernel - 1) * dilation) + " / " + s + ") = " + out +
                   " (padding='valid': no padding)";
        case TfPadding::SameUpper:
        case TfPadding::SameLower:
            return n + " = ceil(" + i + " / " + s + ") = " + out + "; pad_total = max(0, (" + out + "-1)*" + s +
                   " + (" + k + "-1)*" + d + " + 1 - " + i + ") = " + std::to_string(p.total) + ": " +
                   std::to_string(p.begin) + " before, " + std::to_string(p.end) + " after" +
                   (p.begin == p.end               ? std::string()
                    : rule == TfPadding::SameUpper ? " (the odd one at the end)"
                                                   : " (the odd one at the start)");
        case TfPadding::Causal:
            return n + " = ceil(" + i + " / " + s + ") = " + out + "; padding='causal' puts (" + k + "-1)*" + d +
                   " = " + std::to_string(p.begin) + " zeros before the input, none after";
    }
    return {};
}

}  // namespace convscope
