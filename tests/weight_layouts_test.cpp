// Tests of the Weight layouts model (app/workspace/weight_layouts): PyTorch's (out, in, kH, kW) and Keras's
// (kH, kW, in, out) offsets of the same element, their texts, and the Keras kernel against core's permute.
#include <gtest/gtest.h>

#include "layout.hpp"
#include "weight_layouts.hpp"

namespace {

using namespace convscope;
using namespace convscope::workspace;

Tensor counting(const Shape& s) {
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = static_cast<float>(i);
    return t;
}

TEST(WeightLayouts, OffsetsNameTheSameElementInBothLayouts) {
    const Tensor w = counting({4, 3, 2, 5});
    const Tensor k = oihw_to_hwio(w);  // core's conversion: the Keras kernel
    const WeightLayouts L(w.shape, 2);
    EXPECT_EQ(k.shape, L.keras_shape());
    EXPECT_EQ(hwio_to_oihw(k).data, w.data);
    for (int64_t f = 0; f < w.numel(); ++f) {
        const WeightIndex i = L.from_torch_offset(f);
        ASSERT_TRUE(L.valid(i));
        EXPECT_EQ(L.torch_offset(i), f);
        EXPECT_EQ(L.from_keras_offset(L.keras_offset(i)), i);
        EXPECT_EQ(k[L.keras_offset(i)], w[f]);
        EXPECT_EQ(k.at({i.ky, i.kx, i.i, i.o}), w.at({i.o, i.i, i.ky, i.kx}));
    }
    EXPECT_FALSE(L.valid({4, 0, 0, 0}));
    EXPECT_FALSE(L.valid({0, 0, 2, 0}));
}

TEST(WeightLayouts, TextsOfTheQ6Example) {
    const WeightLayouts L({32, 3, 5, 5}, 2);
    const WeightIndex i{3, 0, 1, 2};
    EXPECT_EQ(L.torch_index_text(i), "weight[3, 0, 1, 2]");
    EXPECT_EQ(L.keras_index_text(i), "kernel[1, 2, 0, 3]");
    EXPECT_EQ(L.torch_offset_text(i), "((3*3 + 0)*5 + 1)*5 + 2 = 232");
    EXPECT_EQ(L.keras_offset_text(i), "((1*5 + 2)*3 + 0)*32 + 3 = 675");
    EXPECT_EQ(L.torch_shape(), (Shape{32, 3, 5, 5}));
    EXPECT_EQ(L.keras_shape(), (Shape{5, 5, 3, 32}));
}

TEST(WeightLayouts, Conv1dHasOneKernelAxis) {
    const Tensor w = counting({4, 2, 1, 3});  // canonical (out, in, 1, k)
    const WeightLayouts L(w.shape, 1);
    EXPECT_EQ(L.torch_shape(), (Shape{4, 2, 3}));
    EXPECT_EQ(L.keras_shape(), (Shape{3, 2, 4}));
    const WeightIndex i{1, 1, 0, 2};
    EXPECT_EQ(L.torch_index_text(i), "weight[1, 1, 2]");
    EXPECT_EQ(L.keras_index_text(i), "kernel[2, 1, 1]");
    EXPECT_EQ(L.keras_offset_text(i), "(2*2 + 1)*4 + 1 = 21");
    const Tensor k = oiw_to_wio(Tensor({4, 2, 3}, w.data));
    EXPECT_EQ(k.shape, (Shape{3, 2, 4}));
    EXPECT_EQ(k[21], w.at({1, 1, 0, 2}));
}

}  // namespace
