// Shared test helpers: the one tensor comparison (shape first, then abs + rel tolerance, failure names the
// index) and seeded random tensors.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "tensor.hpp"

namespace convscope::testing {

inline std::string index_text(const Shape& shape, int64_t flat) {
    std::string s;
    for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
        const int64_t d = shape[static_cast<size_t>(i)];
        s = std::to_string(flat % d) + (s.empty() ? "" : ", ") + s;
        flat /= d;
    }
    return "(" + s + ")";
}

inline ::testing::AssertionResult tensors_close(const Tensor& actual, const Tensor& expected, float rtol = 1e-5f,
                                                float atol = 1e-5f) {
    if (actual.shape != expected.shape)
        return ::testing::AssertionFailure() << "shape " << shape_to_string(actual.shape) << " != expected "
                                             << shape_to_string(expected.shape);
    for (int64_t i = 0; i < actual.numel(); ++i) {
        const float a = actual[i], e = expected[i];
        if (std::isnan(e) && std::isnan(a)) continue;
        if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e)))
            return ::testing::AssertionFailure() << "at index " << index_text(actual.shape, i) << ": " << a
                                                 << " != expected " << e;
    }
    return ::testing::AssertionSuccess();
}

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
    Tensor t(shape);
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& v : t.data) v = d(rng);
    return t;
}

}  // namespace convscope::testing
