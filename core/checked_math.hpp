// convscope core: integer arithmetic on user-given sizes that cannot overflow silently. Every sum or product of
// numbers a user typed (shapes, pads, strides, dilations, counts) goes through these: an empty optional means the
// exact result does not fit in int64_t, and the caller refuses with a message instead of computing with a
// wrapped-around value (signed overflow is undefined behaviour in C++; PyTorch's own size arithmetic wraps).
#pragma once

#include <cstdint>
#include <optional>

namespace convscope {

inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

inline std::optional<int64_t> checked_sub(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
    return r;
}

inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
    int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

// Bytes of a float32 tensor of `numel` elements (numel >= 0), empty when it does not fit in int64_t: PyTorch's
// "Storage size calculation overflowed" rule (numel * itemsize must fit in a signed 64-bit integer).
inline std::optional<int64_t> float32_storage_bytes(int64_t numel) {
    if (numel < 0) return std::nullopt;
    return checked_mul(numel, 4);
}

}  // namespace convscope
