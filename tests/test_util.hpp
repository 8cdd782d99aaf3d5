// Shared test helpers: the one tensor comparison (shape first, then abs + rel tolerance, failure names the
// index) and seeded random tensors.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

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
        return ::testing::AssertionFailure()
               << "shape " << shape_to_string(actual.shape) << " != expected " << shape_to_string(expected.shape);
    for (int64_t i = 0; i < actual.numel(); ++i) {
        const float a = actual[i], e = expected[i];
        if (std::isnan(e) && std::isnan(a)) continue;
        if (!(std::fabs(a - e) <= atol + rtol * std::fabs(e)))
            return ::testing::AssertionFailure()
                   << "at index " << index_text(actual.shape, i) << ": " << a << " != expected " << e;
    }
    return ::testing::AssertionSuccess();
}

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
    Tensor t(shape);
    std::uniform_real_distribution<float> d(lo, hi);
    for (float& v : t.data) v = d(rng);
    return t;
}

// Same shape and the same bits in every element (NaN payloads and -0 included); empty tensors compare equal.
inline bool bits_equal(const Tensor& a, const Tensor& b) {
    if (a.shape != b.shape || a.data.size() != b.data.size()) return false;
    return a.data.empty() || std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) == 0;
}

// The names in a directory, sorted (hidden ones included): what a writer left behind.
inline std::vector<std::string> dir_entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// A name of 250 bytes: a file can have it, but a temporary name built from it exceeds NAME_MAX (255), so a writer
// cannot create its temporary file next to it (a failure that works as root, unlike removing write permission).
inline std::string name_too_long_for_a_temporary() { return std::string(246, 'k') + ".npy"; }

// A fresh temporary directory, removed with everything in it at scope exit.
class TempDir {
public:
    explicit TempDir(const std::string& stem = "convscope_test") {
        std::string tmpl = ::testing::TempDir() + stem + "_XXXXXX";
        if (!::mkdtemp(tmpl.data())) ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// Runs `f` and checks it throws E whose message contains every one of `words`.
template <class E>
::testing::AssertionResult throws_with(const std::function<void()>& f, const std::vector<std::string>& words) {
    try {
        f();
        return ::testing::AssertionFailure() << "no exception";
    } catch (const E& e) {
        const std::string msg = e.what();
        for (const std::string& w : words) {
            if (msg.find(w) == std::string::npos)
                return ::testing::AssertionFailure() << "message lacks \"" << w << "\": " << msg;
        }
        return ::testing::AssertionSuccess() << msg;
    } catch (const std::exception& e) {
        return ::testing::AssertionFailure() << "threw another type: " << e.what();
    }
}

}  // namespace convscope::testing
