// convscope-cli: conv-transpose and explain --transposed (see transpose_commands.hpp).
#include "transpose_commands.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "cli_text.hpp"
#include "conv_transpose_cursor.hpp"
#include "conv_transpose_fast.hpp"
#include "conv_transpose_reference.hpp"
#include "conv_transpose_spec.hpp"
#include "error.hpp"
#include "npy.hpp"
#include "thread_pool.hpp"

using namespace convscope;
using nlohmann::json;

namespace {

struct Options {
    LayerFiles files;
    std::string stride = "1", padding = "0", output_padding = "0", dilation = "1";
    int64_t groups = 1;
    ComputeOptions compute;
    // explain --transposed
    bool transposed = false;
    std::string explain_output_padding = "0";
};

struct LoadedTranspose {
    Tensor x, w;
    std::optional<Tensor> b;
    ConvTransposeGeometry g;
};

LoadedTranspose load_transpose(const std::string& input, const std::string& weight, const std::string& bias,
                               const std::string& stride, const std::string& padding, const std::string& output_padding,
                               const std::string& dilation, int64_t groups) {
    ConvTransposeParams p;
    p.stride = parse_int_list(stride, "--stride");
    p.padding = parse_int_list(padding, "--padding");
    p.output_padding = parse_int_list(output_padding, "--output-padding");
    p.dilation = parse_int_list(dilation, "--dilation");
    p.groups = groups;
    LoadedTranspose l;
    l.x = npy_load(input);
    l.w = npy_load(weight);
    if (!bias.empty()) l.b = npy_load(bias);
    if (l.w.rank() != 3 && l.w.rank() != 4)
        throw ConfigError(weight +
                          ": a transposed convolution weight has rank 3 (ConvTranspose1d: C_in, C_out/groups, "
                          "kW) or 4 (ConvTranspose2d: C_in, C_out/groups, kH, kW), got shape " +
                          shape_to_string(l.w.shape));
    p.dims = l.w.rank() - 2;
    std::optional<Shape> bias_shape;
    if (l.b) bias_shape = l.b->shape;
    l.g = conv_transpose_geometry(p, l.x.shape, l.w.shape, bias_shape);
    return l;
}

int run_conv_transpose(const Options& o) {
    const ComputeOptions& run = o.compute;
    check_compute_options(run);
    const auto start = std::chrono::steady_clock::now();
    LoadedTranspose l = load_transpose(o.files.input, o.files.weight, o.files.bias, o.stride, o.padding,
                                       o.output_padding, o.dilation, o.groups);
    const Tensor* b = l.b ? &*l.b : nullptr;
    const bool reference = run.engine == "reference";
    const auto loaded = std::chrono::steady_clock::now();
    auto compute = [&] {
        return reference ? conv_transpose_reference(l.g, l.x, l.w, b)
                         : conv_transpose_fast(l.g, l.x, l.w, b, run.threads);
    };
    Tensor y = compute();
    const auto done = std::chrono::steady_clock::now();
    npy_save(run.output, y);
    const char* engine = reference ? "reference" : "gemm-col2im";
    std::fprintf(stderr, "conv_transpose%dd %s -> %s written to %s (%s engine)\n", l.g.dims,
                 shape_to_string(l.x.shape).c_str(), shape_to_string(y.shape).c_str(), run.output.c_str(), engine);
    if (run.time) {  // every input element times its stamp: C_out/groups x kH x kW multiply-adds
        const double flops =
            2.0 * static_cast<double>(l.g.input_positions()) * static_cast<double>(l.g.macs_per_input());
        print_compute_time(loaded - start, done - loaded, run.repeat, flops, engine,
                           reference ? 1 : resolve_threads(run.threads), [&] { Tensor again = compute(); });
    }
    return 0;
}

json pair_json(const ConvTransposeGeometry& g, int64_t y, int64_t x) {
    return g.dims == 1 ? json::array({x}) : json::array({y, x});
}

json gather_json(const ConvTransposeGeometry& g, const GatherState& s) {
    json j;
    j["position"] = {{"n", s.n}, {"c_out", s.c_out}, {"y", s.y}, {"x", s.x}};
    j["value"] = s.value;
    j["bias"] = s.bias;
    j["accumulator"] = s.accumulator;
    j["contributing"] = s.contributing;
    j["zero_inserted_size"] = pair_json(g, g.zero_inserted(0), g.zero_inserted(1));
    j["gather_padding_begin"] = pair_json(g, g.gather_pad_begin(0), g.gather_pad_begin(1));
    j["gather_padding_end"] = pair_json(g, g.gather_pad_end(0), g.gather_pad_end(1));
    j["channels"] = json::array();
    const size_t kk = static_cast<size_t>(g.kernel[0] * g.kernel[1]);
    for (size_t ci = 0; ci < s.channels.size(); ++ci) {
        json taps = json::array();
        for (size_t t = 0; t < kk; ++t) {
            const GatherTap& tap = s.taps[ci * kk + t];
            json jt = {{"kernel_index", pair_json(g, tap.ky, tap.kx)},
                       {"flipped_index", pair_json(g, tap.fky, tap.fkx)},
                       {"zero_inserted_index", pair_json(g, tap.zy, tap.zx)},
                       {"kind", gather_tap_kind_name(tap.kind)},
                       {"input", tap.input},
                       {"weight", tap.weight},
                       {"product", tap.product}};
            jt["input_index"] = tap.kind == GatherTapKind::Input ? pair_json(g, tap.iy, tap.ix) : json(nullptr);
            taps.push_back(jt);
        }
        j["channels"].push_back({{"channel", s.channels[ci].c_in}, {"sum", s.channels[ci].sum}, {"taps", taps}});
    }
    return j;
}

void print_gather(const ConvTransposeGeometry& g, const Shape& xs, const Shape& ws, const GatherState& s) {
    const bool one_d = g.dims == 1;
    const std::string pos = std::to_string(s.n) + ", " + std::to_string(s.c_out) + ", " +
                            (one_d ? "" : std::to_string(s.y) + ", ") + std::to_string(s.x);
    std::printf("ConvTranspose%dd output y[%s] = %s\n\n", g.dims, pos.c_str(), number_text(s.value).c_str());
    std::printf("  input %s   weight %s   stride %s   padding %s   output_padding %s   dilation %s   groups %lld\n",
                shape_to_string(xs).c_str(), shape_to_string(ws).c_str(),
                position_text(g.dims, g.stride[0], g.stride[1]).c_str(),
                position_text(g.dims, g.padding[0], g.padding[1]).c_str(),
                position_text(g.dims, g.output_padding[0], g.output_padding[1]).c_str(),
                position_text(g.dims, g.dilation[0], g.dilation[1]).c_str(), static_cast<long long>(g.groups));
    std::printf(
        "  gather picture: stride-1 zeros inserted between input elements (%s -> %s), padded by "
        "dilation*(k-1) - padding = %s before and %s after (output_padding at the end), a stride-1 window "
        "with the kernel flipped\n",
        position_text(g.dims, g.in[0], g.in[1]).c_str(),
        position_text(g.dims, g.zero_inserted(0), g.zero_inserted(1)).c_str(),
        position_text(g.dims, g.gather_pad_begin(0), g.gather_pad_begin(1)).c_str(),
        position_text(g.dims, g.gather_pad_end(0), g.gather_pad_end(1)).c_str());
    const int64_t group = s.c_out / g.c_out_per_group;
    const int64_t co_local = s.c_out - group * g.c_out_per_group;
    std::printf(
        "  output channel %lld reads input channels %lld..%lld of batch item %lld through w[:, %lld]; %lld of "
        "%lld window taps land on an input element\n\n",
        static_cast<long long>(s.c_out), static_cast<long long>(group * g.c_in_per_group),
        static_cast<long long>((group + 1) * g.c_in_per_group - 1), static_cast<long long>(s.n),
        static_cast<long long>(co_local), static_cast<long long>(s.contributing), static_cast<long long>(s.macs));
    const size_t kk = static_cast<size_t>(g.kernel[0] * g.kernel[1]);
    for (size_t ci = 0; ci < s.channels.size(); ++ci) {
        std::printf("  input channel %lld  (weight slice w[%lld, %lld])\n", static_cast<long long>(s.channels[ci].c_in),
                    static_cast<long long>(s.channels[ci].c_in), static_cast<long long>(co_local));
        std::printf("    %-8s %-10s %14s %14s %14s\n", one_d ? "kx" : "ky,kx", "input at", "x", "w", "x*w");
        int64_t zeros = 0, padding = 0;
        for (size_t t = 0; t < kk; ++t) {
            const GatherTap& tap = s.taps[ci * kk + t];
            if (tap.kind != GatherTapKind::Input) {
                ++(tap.kind == GatherTapKind::InsertedZero ? zeros : padding);
                continue;
            }
            std::printf("    %-8s %-10s %14s %14s %14s\n", kernel_tap_text(g.dims, tap.ky, tap.kx).c_str(),
                        position_text(g.dims, tap.iy, tap.ix).c_str(), number_text(tap.input).c_str(),
                        number_text(tap.weight).c_str(), number_text(tap.product).c_str());
        }
        std::printf("    (%lld tap%s on inserted zeros, %lld on padding)\n", static_cast<long long>(zeros),
                    zeros == 1 ? "" : "s", static_cast<long long>(padding));
        std::printf("    channel sum = %s\n\n", number_text(s.channels[ci].sum).c_str());
    }
    print_output_sum(s.channels, s.value, s.bias, s.c_out, pos);
}

// The value explain's own option has on the command line, or `fallback` when not given.
std::string option_text(CLI::App* app, const char* name, const std::string& fallback) {
    CLI::Option* o = app->get_option(name);
    return o->count() > 0 ? o->as<std::string>() : fallback;
}

int run_explain_transposed(CLI::App* explain, const Options& o) {
    if (explain->get_option("--pool")->count() > 0)
        throw UsageError("--transposed explains a transposed convolution; --pool explains a pooling window: pick one");
    if (option_text(explain, "--padding-mode", "zeros") != "zeros")
        throw UsageError("--padding-mode: a transposed convolution pads with zeros only (as nn.ConvTranspose*d)");
    const std::string weight = option_text(explain, "--weight", "");
    if (weight.empty()) throw UsageError("explain --transposed needs --weight");
    const std::string groups_text = option_text(explain, "--groups", "1");
    const std::vector<int64_t> groups = parse_int_list(groups_text, "--groups");
    if (groups.size() != 1) throw UsageError("--groups: expected one integer, got '" + groups_text + "'");
    LoadedTranspose l = load_transpose(option_text(explain, "--input", ""), weight, option_text(explain, "--bias", ""),
                                       option_text(explain, "--stride", "1"), option_text(explain, "--padding", "0"),
                                       o.explain_output_padding, option_text(explain, "--dilation", "1"), groups[0]);
    const ConvTransposeGeometry& g = l.g;
    const std::string at = option_text(explain, "--at", "");
    const std::vector<int64_t> idx = parse_output_position(at, g.dims, "ConvTranspose" + std::to_string(g.dims) + "d",
                                                           g.output_shape(), g.output_shape_torch());
    ConvTransposeCursor cursor(g, l.x, l.w, l.b ? &*l.b : nullptr);
    const GatherState s = cursor.gather_state_at(
        cursor.gather_step_of(idx[0], idx[1], idx[2], idx[3], Granularity::Position), Granularity::Position);
    if (explain->get_option("--json")->count() > 0)
        std::cout << gather_json(g, s).dump(2) << "\n";
    else
        print_gather(g, l.x.shape, l.w.shape, s);
    return 0;
}

}  // namespace

SubcommandSet add_transpose_commands(CLI::App& app) {
    const auto o = std::make_shared<Options>();
    CLI::App* run = app.add_subcommand(
        "conv-transpose", "Run a ConvTranspose1d/2d (F.conv_transpose1d/2d) on .npy files and write the output .npy");
    add_layer_file_options(
        run, o->files, "input .npy: (N, C_in, L) / (C_in, L) for 1-D, (N, C_in, H, W) / (C_in, H, W) for 2-D",
        "weight .npy in PyTorch layout (C_in, C_out/groups, [kH,] kW); rank 3 = ConvTranspose1d, 4 = 2d", true);
    run->add_option("--stride", o->stride, "stride: 2 or 2,1")->capture_default_str();
    run->add_option("--padding", o->padding, "padding (cropped from each side of the full result): 1 or 1,2")
        ->capture_default_str();
    run->add_option("--output-padding", o->output_padding,
                    "extra size at the end of each spatial dim: 1 or 1,0 (smaller than stride or dilation)")
        ->capture_default_str();
    run->add_option("--dilation", o->dilation, "dilation: 2 or 2,1")->capture_default_str();
    run->add_option("--groups", o->groups, "groups")->capture_default_str();
    add_compute_options(
        run, o->compute,
        {.help = "fast (GEMM + col2im with BLAS) or reference (plain scatter loops)", .names = {"fast", "reference"}},
        "print the load and compute times, GFLOPS and the peak memory on stderr");

    CLI::App* explain = app.get_subcommand("explain");
    explain->add_flag("--transposed", o->transposed,
                      "explain one output of a transposed convolution (weight (C_in, C_out/groups, k...))");
    explain->add_option("--output-padding", o->explain_output_padding, "transposed: output_padding, 1 or 1,0")
        ->capture_default_str();
    return {[o, run, explain]() -> std::optional<int> {
        if (*run) return run_conv_transpose(*o);
        if (*explain && o->transposed) return run_explain_transposed(explain, *o);
        if (*explain && explain->get_option("--output-padding")->count() > 0)
            throw UsageError("--output-padding belongs to a transposed convolution: add --transposed");
        return std::nullopt;
    }};
}
