// Times the full-layer paths on the seed shapes S1-S7, S8 (ConvTranspose2d(64, 32, 4, stride=2, padding=1) on
// 1x64x56x56: reference scatter, GEMM + col2im, the gather cursor) and the layers of real networks R1-R7 (ResNet
// stem, strided, pointwise, depthwise, dilated, Conv1d, MaxPool2d(3, 2, 1)), and prints one line per (shape,
// threads, engine), every direct-kernel instruction set this CPU runs and im2col + BLAS each timed:
//   <id> <threads> <reference ms> <fast ms> <cursor ns per query> <GFLOPS> <engine>
// scripts/bench.sh runs this next to bench/bench_torch.py (PyTorch, same thread counts) and prints the ratios.
// The figures are the best of several repetitions; tests never assert timing.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "builtin_data.hpp"
#include "conv_depthwise.hpp"
#include "conv_fast.hpp"
#include "conv_pointwise.hpp"
#include "conv_reference.hpp"
#include "conv_transpose_cursor.hpp"
#include "conv_transpose_fast.hpp"
#include "conv_transpose_reference.hpp"
#include "cursor.hpp"
#include "pool.hpp"
#include "pool_fast.hpp"

using namespace convscope;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double best_ms(double budget_s, F f) {
    double best = 1e30, spent = 0;
    int reps = 0;
    while (reps < 3 || (spent < budget_s && reps < 200)) {
        const auto t0 = Clock::now();
        f();
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        best = std::min(best, s);
        spent += s;
        ++reps;
    }
    return best * 1e3;
}

struct ConvShape {
    const char* id;
    Shape input, weight;
    std::vector<int64_t> padding;
    PaddingKind kind;
    std::vector<int64_t> stride{1}, dilation{1};
    int64_t groups = 1;
};

}  // namespace

int main(int argc, char** argv) {
    bool skip_reference = false;
    std::vector<int> thread_counts = {1, 2};
    std::string only;  // --only R3,R4: just these rows (a comma-separated list of ids)
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--skip-reference") == 0) skip_reference = true;
        if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = std::string(",") + argv[++i] + ",";
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) thread_counts = {std::atoi(argv[++i])};
    }
    const std::vector<ConvShape> convs = {
        {"S1", {1, 3, 32, 32}, {192, 3, 5, 5}, {2}, PaddingKind::Explicit},
        {"S2", {60, 3, 32, 32}, {64, 3, 3, 3}, {0}, PaddingKind::Same},
        {"S3", {6, 768, 512}, {100, 768, 2}, {0}, PaddingKind::Explicit},
        {"S4", {3, 1, 28, 28}, {6, 1, 5, 5}, {0}, PaddingKind::Explicit},
        {"S5", {1, 16, 32, 32}, {16, 16, 3, 3}, {1}, PaddingKind::Explicit},
        {"S6", {1, 64, 56, 56}, {64, 64, 3, 3}, {1}, PaddingKind::Explicit},
        {"R1", {1, 3, 224, 224}, {64, 3, 7, 7}, {3}, PaddingKind::Explicit, {2}},            // ResNet stem
        {"R2", {1, 64, 56, 56}, {128, 64, 3, 3}, {1}, PaddingKind::Explicit, {2}},           // 3x3 stride 2
        {"R3", {1, 256, 56, 56}, {64, 256, 1, 1}, {0}, PaddingKind::Explicit},               // 1x1
        {"R4", {1, 64, 112, 112}, {64, 1, 3, 3}, {1}, PaddingKind::Explicit, {1}, {1}, 64},  // depthwise 3x3
        {"R5", {1, 64, 56, 56}, {64, 64, 3, 3}, {2}, PaddingKind::Explicit, {1}, {2}},       // dilated 3x3
        {"R6", {8, 512, 256}, {512, 512, 3}, {1}, PaddingKind::Explicit},                    // Conv1d
    };
    // The direct kernel with every instruction set this CPU runs, the channel-blocked kernel (AVX-512, on every 2-D
    // row with a column stride it runs), then im2col + BLAS.
    std::vector<FastConvOptions> engines;
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Generic})
        if (cpu_supports(isa)) engines.push_back({0, FastConvPath::Direct, isa});
    if (cpu_supports(Isa::Avx512)) engines.push_back({0, FastConvPath::Blocked, Isa::Avx512});
    engines.push_back({0, FastConvPath::Gemm, Isa::Auto});
    // The depthwise and pointwise kernels with every instruction set, on the depthwise and 1x1 rows only.
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Generic})
        if (cpu_supports(isa)) engines.push_back({0, FastConvPath::Depthwise, isa});
    for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Generic})
        if (cpu_supports(isa)) engines.push_back({0, FastConvPath::Pointwise, isa});
    std::printf("# OpenBLAS kernels: %s (OPENBLAS_CORETYPE=%s; %s)\n", openblas_get_corename(),
                std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "unset",
                blas_kernels_match_cpu() ? "tuned for this CPU" : "not tuned for this CPU: the direct kernel runs");
    {
        // The yardstick for S3 and S6: single-thread sgemm GFLOPS on a large square product.
        const int n = 1024;
        std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), bm(a), c(a);
        openblas_set_num_threads(1);
        const double ms = best_ms(1.0, [&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, bm.data(), n, 0.0f,
                        c.data(), n);
        });
        std::printf("# sgemm %dx%dx%d, 1 thread: %.1f GFLOPS\n", n, n, n, 2.0 * n * n * n / (ms * 1e-3) * 1e-9);
    }
    std::printf("# id threads reference_ms fast_ms cursor_ns gflops_fast engine\n");
    std::mt19937 rng(1);
    const auto wanted = [&](const char* id) {
        return only.empty() || only.find(std::string(",") + id + ",") != std::string::npos;
    };
    for (const ConvShape& s : convs) {
        if (!wanted(s.id)) continue;
        ConvParams p;
        p.dims = static_cast<int>(s.weight.size()) - 2;
        p.padding = s.padding;
        p.padding_kind = s.kind;
        p.stride = s.stride;
        p.dilation = s.dilation;
        p.groups = s.groups;
        const ConvGeometry g = conv_geometry(p, s.input, s.weight, Shape{s.weight[0]});
        const int64_t fan_in = g.macs_per_output();
        Tensor x = pytorch_default_init(s.input, 1, 3), w = pytorch_default_init(s.weight, fan_in, 4),
               b = pytorch_default_init({s.weight[0]}, fan_in, 5);
        const double flops = 2.0 * static_cast<double>(g.output_positions()) * static_cast<double>(fan_in);
        // The reference's plain loops take seconds on the largest rows: timed up to 0.3 G multiply-adds.
        const double ref_ms = skip_reference || flops > 6e8 ? -1 : best_ms(0.5, [&] { conv_reference(g, x, w, &b); });
        ConvCursor cursor(g, x, w, &b);
        CursorState st;
        std::uniform_int_distribution<int64_t> pick(0, cursor.step_count(Granularity::Mac) - 1);
        std::vector<int64_t> steps(5000);
        for (auto& v : steps) v = pick(rng);
        const double cur_ms = best_ms(0.2, [&] {
            for (int64_t step : steps) cursor.state_at(step, Granularity::Mac, st);
        });
        std::printf("# auto %s: %s\n", s.id, fast_conv_engine_name(g, {}).c_str());
        for (int threads : thread_counts) {
            for (FastConvOptions e : engines) {
                e.threads = threads;
                if ((e.path == FastConvPath::Depthwise || e.path == FastConvPath::Pointwise ||
                     e.path == FastConvPath::Blocked) &&
                    fast_conv_path(g, e) != e.path)
                    continue;
                if (e.path == FastConvPath::Blocked && (g.dims != 2 || is_depthwise(g) || is_pointwise(g))) continue;
                const double fast_ms = best_ms(0.5, [&] { conv_fast(g, x, w, &b, e); });
                std::printf("%s %d %.4f %.4f %.1f %.1f %s\n", s.id, threads, ref_ms, fast_ms,
                            cur_ms * 1e6 / static_cast<double>(steps.size()), flops / (fast_ms * 1e-3) * 1e-9,
                            fast_conv_engine_name(g, e).c_str());
            }
        }
    }
    // S7 MaxPool2d(2, 2) on 60x64x32x32 and R7 MaxPool2d(3, 2, padding=1) on 1x64x112x112 (ResNet's first pool):
    // the reference pooling loops, pool_fast and the cursor.
    struct PoolShape {
        const char* id;
        Shape input;
        int64_t kernel, stride, padding;
    };
    for (const PoolShape& ps_shape :
         {PoolShape{"S7", {60, 64, 32, 32}, 2, 2, 0}, PoolShape{"R7", {1, 64, 112, 112}, 3, 2, 1}}) {
        if (!wanted(ps_shape.id)) continue;
        PoolParams pp;
        pp.mode = PoolMode::Max;
        pp.kernel_size = {ps_shape.kernel};
        pp.stride = {ps_shape.stride};
        pp.padding = {ps_shape.padding};
        const PoolGeometry pg = pool_geometry(pp, ps_shape.input);
        Tensor x = pytorch_default_init(ps_shape.input, 1, 6);
        const double pool_ms = best_ms(0.5, [&] { pool_reference(pg, x); });
        PoolCursor pc(pg, x);
        PoolState ps;
        std::uniform_int_distribution<int64_t> pick(0, pc.step_count() - 1);
        std::vector<int64_t> steps(5000);
        for (auto& v : steps) v = pick(rng);
        const double pcur_ms = best_ms(0.2, [&] {
            for (int64_t step : steps) pc.state_at(step, ps);
        });
        for (int threads : thread_counts) {
            const double fast_ms = best_ms(0.5, [&] { pool_fast(pg, x, threads); });
            std::printf("%s %d %.4f %.4f %.1f 0 pool_fast\n", ps_shape.id, threads, pool_ms, fast_ms,
                        pcur_ms * 1e6 / static_cast<double>(steps.size()));
        }
    }
    if (wanted("S8")) {
        // S8 ConvTranspose2d(64, 32, 4, stride=2, padding=1) on 1x64x56x56 -> 1x32x112x112 (a U-Net/GAN upsampler).
        ConvTransposeParams tp;
        tp.stride = {2};
        tp.padding = {1};
        const Shape ts{1, 64, 56, 56}, tw{64, 32, 4, 4};
        const ConvTransposeGeometry tg = conv_transpose_geometry(tp, ts, tw, Shape{32});
        const int64_t fan_in =
            tg.c_out_per_group * tg.kernel[0] * tg.kernel[1];  // PyTorch's fan_in for weight (in, out, k, k)
        Tensor tx = pytorch_default_init(ts, 1, 7), twt = pytorch_default_init(tw, fan_in, 8),
               tb = pytorch_default_init({32}, fan_in, 9);
        const double flops = 2.0 * static_cast<double>(tg.input_positions()) * static_cast<double>(tg.macs_per_input());
        const double ref_ms = skip_reference ? -1 : best_ms(0.5, [&] { conv_transpose_reference(tg, tx, twt, &tb); });
        ConvTransposeCursor tc(tg, tx, twt, &tb);
        GatherState gs;
        std::uniform_int_distribution<int64_t> tpick(0, tc.step_count(TransposeOrder::Gather, Granularity::Mac) - 1);
        std::vector<int64_t> tsteps(2000);
        for (auto& v : tsteps) v = tpick(rng);
        const double tcur_ms = best_ms(0.2, [&] {
            for (int64_t step : tsteps) tc.gather_state_at(step, Granularity::Mac, gs);
        });
        for (int threads : thread_counts) {
            const double fast_ms = best_ms(0.5, [&] { conv_transpose_fast(tg, tx, twt, &tb, threads); });
            std::printf("S8 %d %.4f %.4f %.1f %.1f gemm-col2im\n", threads, ref_ms, fast_ms,
                        tcur_ms * 1e6 / static_cast<double>(tsteps.size()), flops / (fast_ms * 1e-3) * 1e-9);
        }
    }
    return 0;
}
