// convscope core: the tensor type.
//
// Layout (documented once, used everywhere): float32, row-major (C order), rank 0..5.
//   1-D convolution data: (N, C, L)        weight (C_out, C_in/groups, kW)
//   2-D convolution data: (N, C, H, W)     weight (C_out, C_in/groups, kH, kW)
// The element at index (i0, i1, ..., ik) lives at offset Σ i_j * stride_j, where stride_k = 1 and
// stride_j = stride_{j+1} * shape_{j+1}.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace convscope {

using Shape = std::vector<int64_t>;

// std::allocator, except that an element made without a value is left as it is (default-initialised) instead of
// zeroed: resize(n) on a FloatStorage costs nothing per float. Tensor(shape) still zero-fills (explicitly);
// Tensor::uninitialised(shape) does not, for kernels that write every output (zero-filling R1's 3.2 MB output
// before the kernel overwrote it was ~10% of its time on two threads).
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

using FloatStorage = std::vector<float, DefaultInitAllocator<float>>;

inline constexpr int kMaxRank = 5;

// "[1, 3, 32, 32]", as PyTorch prints sizes.
std::string shape_to_string(const Shape& shape);

// Product of the dimensions; 1 for rank 0. Returns -1 if it overflows int64 or a dimension is negative.
int64_t shape_numel(const Shape& shape);

// Why PyTorch could not create a float32 tensor of this shape, in its words; empty when it can:
//   "Trying to create tensor with negative dimension -1: [4, -1, 5, 5]"
//   "Storage size calculation overflowed with sizes=[4611686018427387904, 3, 5, 5]"  (numel * 4 bytes > int64)
std::string tensor_shape_error(const Shape& shape);

struct Tensor {
    Shape shape;
    FloatStorage data;

    Tensor() = default;
    // Zero-filled tensor of the given shape. Asserts rank <= kMaxRank and a valid size.
    explicit Tensor(Shape s);
    Tensor(Shape s, FloatStorage values);               // asserts values.size() == numel
    Tensor(Shape s, const std::vector<float>& values);  // copies; asserts values.size() == numel
    Tensor(Shape s, std::initializer_list<float> values);
    // A tensor whose elements are not initialised: for a kernel that writes every one of them.
    static Tensor uninitialised(Shape s);

    int rank() const { return static_cast<int>(shape.size()); }
    int64_t numel() const { return static_cast<int64_t>(data.size()); }
    int64_t dim(int i) const { return shape[static_cast<size_t>(i)]; }

    // Row-major strides in elements.
    std::vector<int64_t> strides() const;

    float& operator[](int64_t i) { return data[static_cast<size_t>(i)]; }
    float operator[](int64_t i) const { return data[static_cast<size_t>(i)]; }

    // Element access by full index (asserts rank and bounds in debug builds).
    float& at(std::initializer_list<int64_t> index);
    float at(std::initializer_list<int64_t> index) const;
    int64_t offset(std::initializer_list<int64_t> index) const;
};

// Reorders the axes: result.shape[i] = t.shape[perm[i]], result[i...] = t[index permuted].
Tensor permute(const Tensor& t, const std::vector<int>& perm);

}  // namespace convscope
