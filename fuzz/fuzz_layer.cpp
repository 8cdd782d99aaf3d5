// libFuzzer target: the layer settings. The first byte picks the mode:
//   even: text. Line 1 is an input shape ("1,3,32,32"), every further line a layer in PyTorch syntax; the layers
//         go through parse_layer and shape_chain, as `convscope-cli shape` runs them. The same lines go through
//         parse_keras_layer and keras_shape_chain too (Keras syntax, a channels-last input shape).
//   odd:  raw settings. The bytes are read as int64 values (8 bytes each, little-endian; missing bytes are 0) for
//         the input shape, the weight shape and every argument of conv_check, then of pool_check: any value
//         from -2^63 to 2^63-1, so overflow in the size arithmetic is reached directly.
// Only convscope::Error may escape. Invariants: a valid row or geometry has non-negative sizes whose tensors
// PyTorch could allocate (tensor_shape_error empty), and the chain stops at its first error.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conv_spec.hpp"
#include "error.hpp"
#include "keras_layer.hpp"
#include "layer_text.hpp"
#include "pool.hpp"

namespace {

using convscope::Shape;

void require(bool ok) {
    if (!ok) __builtin_trap();
}

void require_valid_shape(const Shape& s) {
    for (int64_t d : s) require(d >= 0);
    require(convscope::tensor_shape_error(s).empty());
}

void text_mode(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t end = std::min(text.find('\n', start), text.size());
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    Shape input;
    for (size_t p = 0; p < lines[0].size();) {
        const size_t comma = std::min(lines[0].find(',', p), lines[0].size());
        int64_t v = 0;
        std::from_chars(lines[0].data() + p, lines[0].data() + comma, v);
        input.push_back(v);
        p = comma + 1;
    }
    if (input.size() > 6) return;
    std::vector<convscope::LayerSpec> specs;
    for (size_t i = 1; i < lines.size() && specs.size() < 8; ++i) {
        try {
            specs.push_back(convscope::parse_layer(lines[i]));
        } catch (const convscope::Error&) {
        }
    }
    std::vector<convscope::KerasLayerSpec> keras;
    for (size_t i = 1; i < lines.size() && keras.size() < 8; ++i) {
        try {
            keras.push_back(convscope::parse_keras_layer(lines[i]));
        } catch (const convscope::Error&) {
        }
    }
    const auto keras_rows = convscope::keras_shape_chain(input, keras);
    require(keras_rows.size() <= keras.size());
    for (size_t i = 0; i < keras_rows.size(); ++i) {
        if (!keras_rows[i].error.empty()) {
            require(i + 1 == keras_rows.size());
            require(keras_rows[i].output_shape.empty());
        } else {
            require(keras_rows[i].parameters >= 0);
            require_valid_shape(keras_rows[i].output_shape);
        }
    }
    const auto rows = convscope::shape_chain(input, specs);
    require(rows.size() <= specs.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        const bool last = i + 1 == rows.size();
        if (!rows[i].error.empty()) {
            require(last);
            require(rows[i].output_shape.empty());
        } else {
            require(rows[i].parameters >= 0);
            if (std::holds_alternative<convscope::ConvLayer>(specs[i].layer) ||
                std::holds_alternative<convscope::PoolParams>(specs[i].layer))
                require_valid_shape(rows[i].output_shape);
        }
    }
}

class Stream {
public:
    Stream(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    int64_t next() {
        uint64_t v = 0;
        for (int b = 0; b < 8; ++b, ++pos_)
            if (pos_ < size_) v |= static_cast<uint64_t>(data_[pos_]) << (8 * b);
        int64_t s = 0;
        std::memcpy(&s, &v, sizeof s);
        return s;
    }
    std::vector<int64_t> list(size_t n) {
        std::vector<int64_t> v;
        for (size_t i = 0; i < n; ++i) v.push_back(next());
        return v;
    }
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

void settings_mode(const uint8_t* data, size_t size) {
    Stream in(data, size);
    const uint8_t flags = in.byte();
    const int d = 1 + (flags & 1);
    const size_t rank = static_cast<size_t>(d + 1 + ((flags >> 1) & 1));
    const size_t per_dim = (flags >> 2) & 1 ? static_cast<size_t>(d) : 1;

    convscope::ConvParams p;
    p.dims = d;
    const Shape input = in.list(rank);
    const Shape weight = in.list(static_cast<size_t>(d + 2));
    p.stride = in.list(per_dim);
    p.dilation = in.list(per_dim);
    p.groups = in.next();
    p.padding_mode = static_cast<convscope::PaddingMode>((flags >> 3) & 3);
    p.padding_kind = static_cast<convscope::PaddingKind>(((flags >> 5) & 3) % 3);
    if ((flags >> 7) & 1) {
        p.pads_begin = in.list(static_cast<size_t>(d));
        p.pads_end = in.list(static_cast<size_t>(d));
    } else {
        p.padding = in.list(per_dim);
    }
    std::optional<Shape> bias;
    if (in.byte() & 1) bias = Shape{weight[0]};
    const convscope::ConvCheck c = convscope::conv_check(p, input, weight, bias);
    if (c.ok()) {
        require_valid_shape(c.geometry->output_shape());
        require(c.geometry->out[0] >= 1 && c.geometry->out[1] >= 1);
        (void)convscope::conv_formula_text(*c.geometry, 1);
    } else {
        require(!c.error.empty());
    }

    convscope::PoolParams q;
    q.dims = d;
    q.mode = in.byte() & 1 ? convscope::PoolMode::Avg : convscope::PoolMode::Max;
    q.kernel_size = in.list(per_dim);
    if (in.byte() & 1) q.stride = in.list(per_dim);
    q.padding = in.list(per_dim);
    if (q.mode == convscope::PoolMode::Max) q.dilation = in.list(per_dim);
    q.ceil_mode = in.byte() & 1;
    const convscope::PoolCheck pc = convscope::pool_check(q, input);
    if (pc.ok()) require_valid_shape(pc.geometry->output_shape());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    try {
        if ((data[0] & 1) == 0)
            text_mode(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
        else
            settings_mode(data + 1, size - 1);
    } catch (const convscope::Error&) {
    }
    return 0;
}
