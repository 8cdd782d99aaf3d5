#include "tensor.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace convscope {

std::string shape_to_string(const Shape& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

int64_t shape_numel(const Shape& shape) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return -1;
        if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
        n *= d;
    }
    return n;
}

std::string tensor_shape_error(const Shape& shape) {
    for (int64_t d : shape)
        if (d < 0)
            return "Trying to create tensor with negative dimension " + std::to_string(d) + ": " +
                   shape_to_string(shape);
    const int64_t n = shape_numel(shape);
    if (n < 0 || n > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(sizeof(float)))
        return "Storage size calculation overflowed with sizes=" + shape_to_string(shape);
    return {};
}

Tensor::Tensor(Shape s) : shape(std::move(s)) {
    assert(shape.size() <= static_cast<size_t>(kMaxRank));
    const int64_t n = shape_numel(shape);
    assert(n >= 0);
    data.assign(static_cast<size_t>(n), 0.0f);
}

Tensor::Tensor(Shape s, FloatStorage values) : shape(std::move(s)), data(std::move(values)) {
    assert(shape.size() <= static_cast<size_t>(kMaxRank));
    assert(shape_numel(shape) == static_cast<int64_t>(data.size()));
}

Tensor::Tensor(Shape s, const std::vector<float>& values)
    : Tensor(std::move(s), FloatStorage(values.begin(), values.end())) {}

Tensor::Tensor(Shape s, std::initializer_list<float> values) : Tensor(std::move(s), FloatStorage(values)) {}

Tensor Tensor::uninitialised(Shape s) {
    assert(s.size() <= static_cast<size_t>(kMaxRank));
    const int64_t n = shape_numel(s);
    assert(n >= 0);
    Tensor t;
    t.shape = std::move(s);
    t.data.resize(static_cast<size_t>(n));  // default-initialised: not written (DefaultInitAllocator)
#ifndef NDEBUG
    // Debug builds (the sanitizer tests) fill it with NaN, so an element a kernel forgot to write fails every
    // comparison with the reference instead of passing on memory that happened to hold zeros.
    std::fill(t.data.begin(), t.data.end(), std::numeric_limits<float>::quiet_NaN());
#endif
    return t;
}

std::vector<int64_t> Tensor::strides() const {
    std::vector<int64_t> st(shape.size(), 1);
    for (int i = rank() - 2; i >= 0; --i) st[i] = st[i + 1] * shape[i + 1];
    return st;
}

int64_t Tensor::offset(std::initializer_list<int64_t> index) const {
    assert(static_cast<int>(index.size()) == rank());
    int64_t off = 0;
    size_t i = 0;
    for (int64_t v : index) {
        assert(v >= 0 && v < shape[i]);
        off = off * shape[i] + v;
        ++i;
    }
    return off;
}

float& Tensor::at(std::initializer_list<int64_t> index) { return data[static_cast<size_t>(offset(index))]; }
float Tensor::at(std::initializer_list<int64_t> index) const { return data[static_cast<size_t>(offset(index))]; }

Tensor permute(const Tensor& t, const std::vector<int>& perm) {
    assert(static_cast<int>(perm.size()) == t.rank());
    const int r = t.rank();
    Shape out_shape(static_cast<size_t>(r));
    for (int i = 0; i < r; ++i) out_shape[i] = t.shape[static_cast<size_t>(perm[i])];
    Tensor out(out_shape);
    const std::vector<int64_t> in_strides = t.strides();
    // Walk the output in row-major order with an odometer; the source offset follows perm.
    std::vector<int64_t> idx(static_cast<size_t>(r), 0);
    int64_t src = 0;
    for (int64_t o = 0; o < out.numel(); ++o) {
        out.data[static_cast<size_t>(o)] = t.data[static_cast<size_t>(src)];
        for (int d = r - 1; d >= 0; --d) {
            const int64_t step = in_strides[static_cast<size_t>(perm[d])];
            if (++idx[d] < out_shape[d]) {
                src += step;
                break;
            }
            src -= step * (out_shape[d] - 1);
            idx[d] = 0;
        }
    }
    return out;
}

}  // namespace convscope
