// Benchmark of the reference engine and the step-through cursor (prints figures; tests never assert timing).
//   reference: time per full layer on the seed shapes
//   cursor:    cost of one random-access state_at() query (random steps, Position and Mac granularity)
// Usage: bench_engine [--quick]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "conv_reference.hpp"
#include "cursor.hpp"
#include "samples.hpp"

using namespace convscope;
using Clock = std::chrono::steady_clock;

namespace {

struct Shape2 {
    const char* name;
    Shape input, weight;
    std::vector<int64_t> padding;
    PaddingKind kind;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <class F>
double best_of(int reps, F f) {
    double best = 1e30;
    for (int r = 0; r < reps; ++r) {
        const auto t0 = Clock::now();
        f();
        best = std::min(best, seconds_since(t0));
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::vector<Shape2> shapes = {
        {"S1 Conv2d(3,192,5,padding=2) on 1x3x32x32", {1, 3, 32, 32}, {192, 3, 5, 5}, {2}, PaddingKind::Explicit},
        {"S2 Conv2d(3,64,3,padding='same') on 60x3x32x32", {60, 3, 32, 32}, {64, 3, 3, 3}, {0}, PaddingKind::Same},
        {"S3 Conv1d(768,100,2) on 6x768x512", {6, 768, 512}, {100, 768, 2}, {0}, PaddingKind::Explicit},
        {"S4 Conv2d(1,6,5) on 3x1x28x28", {3, 1, 28, 28}, {6, 1, 5, 5}, {0}, PaddingKind::Explicit},
        {"S5 Conv2d(16,16,3,padding=1) on 1x16x32x32", {1, 16, 32, 32}, {16, 16, 3, 3}, {1}, PaddingKind::Explicit},
        {"S6 Conv2d(64,64,3,padding=1) on 1x64x56x56", {1, 64, 56, 56}, {64, 64, 3, 3}, {1}, PaddingKind::Explicit},
    };
    std::mt19937 rng(1);
    std::printf("%-50s %12s %10s %14s %14s\n", "shape", "MACs", "ref ms", "ref GMAC/s", "cursor ns/q");
    for (const Shape2& s : shapes) {
        ConvParams p;
        p.dims = static_cast<int>(s.weight.size()) - 2;
        p.padding = s.padding;
        p.padding_kind = s.kind;
        const ConvGeometry g = conv_geometry(p, s.input, s.weight, Shape{s.weight[0]});
        int64_t fan_in = s.weight[1] * g.kernel[0] * g.kernel[1];
        Tensor x = pytorch_default_init(s.input, 1, 3);
        Tensor w = pytorch_default_init(s.weight, fan_in, 4);
        Tensor b = pytorch_default_init({s.weight[0]}, fan_in, 5);
        const double macs = static_cast<double>(g.output_positions()) * static_cast<double>(g.macs_per_output());
        const int reps = quick ? 1 : 3;
        Tensor y;
        const double t_ref = best_of(reps, [&] { y = conv_reference(g, x, w, &b); });

        ConvCursor cursor(g, x, w, &b);
        CursorState st;
        const int64_t n_steps = cursor.step_count(Granularity::Mac);
        std::uniform_int_distribution<int64_t> pick(0, n_steps - 1);
        const int queries = quick ? 2000 : 20000;
        std::vector<int64_t> steps(static_cast<size_t>(queries));
        for (auto& v : steps) v = pick(rng);
        cursor.state_at(steps[0], Granularity::Mac, st);  // warm the buffers
        volatile float sink = 0;
        const double t_cur = best_of(reps, [&] {
            for (int64_t step : steps) {
                cursor.state_at(step, Granularity::Mac, st);
                sink = sink + st.value;
            }
        });
        std::printf("%-50s %12.0f %10.2f %14.3f %14.0f\n", s.name, macs, t_ref * 1e3, macs / t_ref * 1e-9,
                    t_cur / queries * 1e9);
    }
    std::printf("\ncursor query = state_at(random step, Granularity::Mac): one whole window (C_in/groups x kH x kW taps)\n");
    return 0;
}
