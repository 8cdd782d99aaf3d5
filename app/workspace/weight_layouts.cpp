#include "weight_layouts.hpp"

namespace convscope::workspace {

WeightLayouts::WeightLayouts(const Shape& w, int dims)
    : dims_(dims), out_(w.at(0)), in_(w.at(1)), kh_(w.at(2)), kw_(w.at(3)) {}

bool WeightLayouts::valid(const WeightIndex& w) const {
    return w.o >= 0 && w.o < out_ && w.i >= 0 && w.i < in_ && w.ky >= 0 && w.ky < kh_ && w.kx >= 0 && w.kx < kw_;
}

Shape WeightLayouts::torch_shape() const { return dims_ == 1 ? Shape{out_, in_, kw_} : Shape{out_, in_, kh_, kw_}; }
Shape WeightLayouts::keras_shape() const { return dims_ == 1 ? Shape{kw_, in_, out_} : Shape{kh_, kw_, in_, out_}; }

int64_t WeightLayouts::torch_offset(const WeightIndex& w) const {
    return ((w.o * in_ + w.i) * kh_ + w.ky) * kw_ + w.kx;
}
int64_t WeightLayouts::keras_offset(const WeightIndex& w) const {
    return ((w.ky * kw_ + w.kx) * in_ + w.i) * out_ + w.o;
}

WeightIndex WeightLayouts::from_torch_offset(int64_t f) const {
    WeightIndex w;
    w.kx = f % kw_, f /= kw_;
    w.ky = f % kh_, f /= kh_;
    w.i = f % in_, w.o = f / in_;
    return w;
}

WeightIndex WeightLayouts::from_keras_offset(int64_t f) const {
    WeightIndex w;
    w.o = f % out_, f /= out_;
    w.i = f % in_, f /= in_;
    w.kx = f % kw_, w.ky = f / kw_;
    return w;
}

namespace {
std::string s(int64_t v) { return std::to_string(v); }
}  // namespace

std::string WeightLayouts::torch_index_text(const WeightIndex& w) const {
    return "weight[" + s(w.o) + ", " + s(w.i) + ", " + (dims_ == 2 ? s(w.ky) + ", " : "") + s(w.kx) + "]";
}

std::string WeightLayouts::keras_index_text(const WeightIndex& w) const {
    return "kernel[" + (dims_ == 2 ? s(w.ky) + ", " : "") + s(w.kx) + ", " + s(w.i) + ", " + s(w.o) + "]";
}

std::string WeightLayouts::torch_offset_text(const WeightIndex& w) const {
    if (dims_ == 1)
        return "(" + s(w.o) + "*" + s(in_) + " + " + s(w.i) + ")*" + s(kw_) + " + " + s(w.kx) + " = " +
               s(torch_offset(w));
    return "((" + s(w.o) + "*" + s(in_) + " + " + s(w.i) + ")*" + s(kh_) + " + " + s(w.ky) + ")*" + s(kw_) + " + " +
           s(w.kx) + " = " + s(torch_offset(w));
}

std::string WeightLayouts::keras_offset_text(const WeightIndex& w) const {
    if (dims_ == 1)
        return "(" + s(w.kx) + "*" + s(in_) + " + " + s(w.i) + ")*" + s(out_) + " + " + s(w.o) + " = " +
               s(keras_offset(w));
    return "((" + s(w.ky) + "*" + s(kw_) + " + " + s(w.kx) + ")*" + s(in_) + " + " + s(w.i) + ")*" + s(out_) + " + " +
           s(w.o) + " = " + s(keras_offset(w));
}

}  // namespace convscope::workspace
