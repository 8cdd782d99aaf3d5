// The layer check on huge arguments: every argument of nn.Conv2d and every input dimension at 2^31, 2^62 and
// 2^63-1, alone, in every pair, and all at once. Expected values come from the same formulas computed in 128-bit
// arithmetic (an independent oracle): a layer the check accepts must have exactly the oracle's output size, and a
// layer whose sizes do not fit in 64 bits must be refused, with a message that holds no wrapped-around (negative)
// number. Signed overflow itself is caught by the sanitizer build, which runs this table too.
#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <limits>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "conv_spec.hpp"
#include "layer_text.hpp"

namespace {

using convscope::ConvCheck;
using convscope::ConvLayer;
using convscope::Shape;
__extension__ typedef __int128 i128;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
const std::array<int64_t, 3> kHuge{int64_t{1} << 31, int64_t{1} << 62, kMax};

// The arguments of the table, starting from Conv2d(3, 4, kernel_size=5) on a (1, 3, 32, 32) input.
enum Arg { N, H, W, InChannels, OutChannels, Kernel, Stride, Padding, Dilation, Groups, ArgCount };
const char* const kArgNames[ArgCount] = {"N",           "H",      "W",       "in_channels", "out_channels",
                                         "kernel_size", "stride", "padding", "dilation",    "groups"};

struct Case {
    std::array<int64_t, ArgCount> v{1, 32, 32, 3, 4, 5, 1, 0, 1, 1};
    std::string name;
};

std::string name_of(const std::vector<std::pair<int, int64_t>>& set) {
    std::string s;
    for (const auto& [a, value] : set)
        s += (s.empty() ? "" : ", ") + std::string(kArgNames[a]) + "=" + std::to_string(value);
    return s;
}

// A product of non-negative factors, saturated at 2^120 (far beyond int64, and no 128-bit overflow either).
i128 product(std::initializer_list<i128> factors) {
    const i128 cap = i128{1} << 120;
    i128 r = 1;
    for (i128 f : factors) {
        if (f != 0 && r > cap / f) return cap;
        r *= f;
    }
    return r;
}

bool fits(i128 v) { return v >= std::numeric_limits<int64_t>::min() && v <= kMax; }

// What the layer computes, in 128-bit arithmetic: nullopt when a size PyTorch would compute (weight storage,
// input storage, padded input, dilated kernel, output storage) does not fit in int64.
struct Oracle {
    bool overflows = false;
    i128 out[2] = {0, 0};  // H_out, W_out
};

Oracle oracle(const Case& c) {
    Oracle o;
    const auto& v = c.v;
    const i128 weight_bytes =
        product({v[OutChannels], v[Groups] > 0 ? v[InChannels] / v[Groups] : v[InChannels], v[Kernel], v[Kernel], 4});
    const i128 input_bytes = product({v[N], v[InChannels], v[H], v[W], 4});
    if (!fits(weight_bytes) || !fits(input_bytes)) o.overflows = true;
    const i128 dk = i128{v[Dilation]} * (v[Kernel] - 1) + 1;
    for (int i = 0; i < 2; ++i) {
        const i128 padded = i128{v[i == 0 ? H : W]} + 2 * i128{v[Padding]};  // < 2^65: no 128-bit overflow
        if (!fits(padded) || !fits(dk)) o.overflows = true;
        if (padded >= dk && v[Stride] > 0) o.out[i] = (padded - dk) / v[Stride] + 1;
    }
    if (!o.overflows && fits(o.out[0]) && fits(o.out[1])) {
        if (!fits(product({v[N], v[OutChannels], o.out[0], o.out[1], 4}))) o.overflows = true;
    }
    return o;
}

ConvCheck check(const Case& c) {
    ConvLayer l;
    l.in_channels = c.v[InChannels];
    l.out_channels = c.v[OutChannels];
    l.kernel_size = {c.v[Kernel]};
    l.params.stride = {c.v[Stride]};
    l.params.padding = {c.v[Padding]};
    l.params.dilation = {c.v[Dilation]};
    l.params.groups = c.v[Groups];
    return convscope::conv_layer_check(l, Shape{c.v[N], c.v[InChannels], c.v[H], c.v[W]});
}

// A number printed after wrapping around: "-9223372036854775776", "(-4 x", "[-1". Formula text like "(5-1)" or
// "kernel_size-1" is not one (the minus follows a digit or a name).
bool has_negative_number(const std::string& text) {
    static const std::regex negative(R"((^|[^0-9A-Za-z_)])-[0-9])");
    return std::regex_search(text, negative);
}

void expect_consistent(const Case& c) {
    SCOPED_TRACE(c.name);
    const ConvCheck r = check(c);
    const Oracle o = oracle(c);
    if (r.ok()) {
        EXPECT_FALSE(o.overflows) << "accepted although a size overflows int64";
        EXPECT_EQ(i128{r.geometry->out[0]}, o.out[0]);
        EXPECT_EQ(i128{r.geometry->out[1]}, o.out[1]);
        EXPECT_GT(r.geometry->out[0], 0);
    } else {
        EXPECT_FALSE(r.error.empty());
        EXPECT_FALSE(has_negative_number(r.error)) << r.error;
    }
    if (o.overflows) {
        EXPECT_FALSE(r.ok()) << "output " << r.geometry->out[0];
    }
}

std::vector<Case> table() {
    std::vector<Case> cases;
    auto make = [](const std::vector<std::pair<int, int64_t>>& set) {
        Case c;
        for (const auto& [a, value] : set) {
            c.v[static_cast<size_t>(a)] = value;
            if (a == InChannels) c.v[InChannels] = value;  // the input has as many channels as the layer expects
        }
        c.name = name_of(set);
        return c;
    };
    for (int a = 0; a < ArgCount; ++a)
        for (int64_t v : kHuge) cases.push_back(make({{a, v}}));
    for (int a = 0; a < ArgCount; ++a)
        for (int b = a + 1; b < ArgCount; ++b)
            for (int64_t va : kHuge)
                for (int64_t vb : kHuge) cases.push_back(make({{a, va}, {b, vb}}));
    for (int64_t v : kHuge) {
        std::vector<std::pair<int, int64_t>> all;
        for (int a = 0; a < ArgCount; ++a) all.push_back({a, v});
        cases.push_back(make(all));
    }
    return cases;
}

TEST(ConvOverflow, EveryArgumentAloneInPairsAndAllAtOnceAt2p31_2p62_2p63m1) {
    const std::vector<Case> cases = table();
    EXPECT_EQ(cases.size(), 10u * 3 + 45u * 9 + 3);
    int refused = 0;
    for (const Case& c : cases) {
        expect_consistent(c);
        refused += check(c).ok() ? 0 : 1;
    }
    // The table is not vacuous: some cases are computable (a huge stride), most are refused.
    EXPECT_GT(refused, 0);
    EXPECT_LT(refused, static_cast<int>(cases.size()));
}

// The cases of issue 12, each with the message it must give.
TEST(ConvOverflow, DilationThatWrapsTheKernelSpanIsRefusedNamingDilation) {
    Case c;
    c.v[Dilation] = int64_t{1} << 62;
    c.v[Padding] = 2;
    const ConvCheck r = check(c);  // 2^62 * 4 = 2^64: wrapped to 0, PyTorch's arithmetic gives a 36x36 map
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error.find("dilation=4611686018427387904 is too large"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("does not fit in a 64-bit integer"), std::string::npos) << r.error;
}

TEST(ConvOverflow, DilationWithKernel3GivesNoNegativeOutputSize) {
    const auto rows =
        convscope::shape_chain({1, 3, 32, 32}, {convscope::parse_layer("Conv2d(3,4,3,dilation=4611686018427387904)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_TRUE(rows[0].output_shape.empty());
    EXPECT_NE(rows[0].error.find("dilation=4611686018427387904"), std::string::npos) << rows[0].error;
}

TEST(ConvOverflow, WeightStorageOverflowIsPyTorchsText) {
    // torch 1.13: nn.Conv2d(3, 2**62, kernel_size=5) raises this at construction.
    const auto rows = convscope::shape_chain({1, 3, 32, 32},
                                             {convscope::parse_layer("Conv2d(3, 4611686018427387904, kernel_size=5)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "Storage size calculation overflowed with sizes=[4611686018427387904, 3, 5, 5]");
    EXPECT_EQ(rows[0].parameters, 0);
}

TEST(ConvOverflow, NegativeChannelsArePyTorchsCreationError) {
    const auto rows = convscope::shape_chain({1, 3, 32, 32}, {convscope::parse_layer("Conv2d(3, -4, 5)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "Trying to create tensor with negative dimension -4: [-4, 3, 5, 5]");
}

TEST(ConvOverflow, PaddingThatOverflowsThePaddedSizeIsRefusedNamingPadding) {
    Case c;
    c.v[Padding] = int64_t{1} << 62;
    const ConvCheck r = check(c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(
        r.error.find("padding=4611686018427387904 is too large: the padded input size 32 + 2*4611686018427387904"),
        std::string::npos)
        << r.error;
}

TEST(ConvOverflow, HugeButRepresentableOutputIsRefusedByItsStorageSize) {
    Case c;
    c.v[Padding] = int64_t{1} << 40;  // out = 2^41 + 28 per side: the output tensor's bytes overflow int64
    const ConvCheck r = check(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.rfind("Storage size calculation overflowed with sizes=[1, 4, ", 0), 0u) << r.error;
}

TEST(ShapeChainOverflow, InputsLinearAndFlattenNeverWrapAround) {
    using convscope::parse_layer;
    using convscope::shape_chain;
    auto rows = shape_chain({1, -3, 32, 32}, {parse_layer("Conv2d(3, 4, 5)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "Trying to create tensor with negative dimension -3: [1, -3, 32, 32]");
    rows = shape_chain({1, 4611686018427387904}, {parse_layer("Linear(4611686018427387904, 4611686018427387904)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "Storage size calculation overflowed with sizes=[1, 4611686018427387904]");
    rows = shape_chain({1, 8}, {parse_layer("Linear(8, 4611686018427387904)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "Storage size calculation overflowed with sizes=[4611686018427387904, 8]");
    rows = shape_chain({3, 2147483648, 2147483648}, {parse_layer("Flatten(0)")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error.rfind("Storage size calculation overflowed", 0), 0u) << rows[0].error;
}

// A zero-size tensor's other sizes may be huge ((0, 32, 2^59 + ...) is a valid torch.empty), and then the product of
// the dimensions flatten merges overflows int64 (fuzz_layer, seed 1, found it as undefined behaviour). PyTorch 1.13
// wraps the product around, checked here against what it printed: torch.empty(0, 32, 654344005621907456).flatten(1)
// has shape (0, 2492264106191486976); torch.empty(0, 3, 2**62).flatten(1) raises "invalid shape dimension
// -4611686018427387904".
TEST(ShapeChainOverflow, FlattenOfAnEmptyTensorWrapsItsMergedSizeAsPyTorchDoes) {
    using convscope::parse_layer;
    using convscope::shape_chain;
    auto rows = shape_chain({0, 32, 654344005621907456}, {parse_layer("Flatten()"), parse_layer("Linear(400, 12)")});
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].error, "");
    EXPECT_EQ(rows[0].output_shape, (Shape{0, 2492264106191486976}));
    ASSERT_EQ(rows[0].formula.size(), 2u);
    EXPECT_EQ(rows[0].formula[1],
              "the product of dims 1..2 does not fit in 64 bits; PyTorch wraps it around to 2492264106191486976");
    EXPECT_EQ(rows[1].error, "mat1 and mat2 shapes cannot be multiplied (0x2492264106191486976 and 400x12)");
    rows = shape_chain({0, 3, int64_t{1} << 62}, {parse_layer("Flatten()")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].error, "invalid shape dimension -4611686018427387904");
    EXPECT_TRUE(rows[0].output_shape.empty());
    EXPECT_TRUE(rows[0].formula.empty());
    // a zero after the overflow: the exact product is 0, as PyTorch's is ((0, 2^62, 4, 0).flatten(1) is (0, 0))
    rows = shape_chain({0, int64_t{1} << 62, 4, 0}, {parse_layer("Flatten()")});
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].output_shape, (Shape{0, 0}));
    EXPECT_EQ(rows[0].formula.size(), 1u);                      // no wrap-around note
    rows = shape_chain({2, 3, 4}, {parse_layer("Flatten()")});  // the ordinary case: no note
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].output_shape, (Shape{2, 12}));
    ASSERT_EQ(rows[0].formula.size(), 1u);
    EXPECT_EQ(rows[0].formula[0], "flatten dims 1..2: [2, 3, 4] -> [2, 12]");
}

TEST(ConvOverflow, HugeStrideStillComputesOnePosition) {
    Case c;
    c.v[Stride] = kMax;
    const ConvCheck r = check(c);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.geometry->output_shape(), (Shape{1, 4, 1, 1}));
}

}  // namespace
