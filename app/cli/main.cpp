// convscope-cli: the headless front end. Links core only.
//   conv     run a Conv1d/Conv2d on .npy files
//   explain  the cursor's full state at one output position
//   shape    shapes, formulas and parameter counts of a chain of PyTorch layers
//   pool     run a MaxPool/AvgPool on a .npy file
//   demo     explain one output of the seed's Conv2d(3, 192, 5, padding=2) on the built-in 32x32x3 image
//   onnx-list, onnx-check   the Conv/pool nodes of an ONNX model; run a conformance case through the engine
//   conv-transpose, explain --transposed   ConvTranspose1d/2d (transpose_commands.cpp)
//   code     the layer as a PyTorch script, Keras snippet, NumPy loop nest or ONNX model (code_command.hpp)
// Exit codes: 0 success, 1 invalid input or configuration (message on stderr), 2 usage.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "cli_text.hpp"
#include "code_command.hpp"
#include "conv_fast.hpp"
#include "conv_reference.hpp"
#include "conv_spec.hpp"
#include "cursor.hpp"
#include "data_in.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "json_safe.hpp"
#include "keras_commands.hpp"
#include "keras_layer.hpp"
#include "layer_text.hpp"
#include "layout.hpp"
#include "memory_budget.hpp"
#include "npy.hpp"
#include "onnx_commands.hpp"
#include "pool.hpp"
#include "pool_fast.hpp"
#include "scene.hpp"
#include "thread_pool.hpp"
#include "transpose_commands.hpp"

using namespace convscope;

namespace {

struct ConvOptions {
    LayerFiles files;
    std::string stride = "1", padding = "0", dilation = "1", padding_mode = "zeros", at;
    int64_t groups = 1;
    bool json = false;
    std::string data_format = "channels_first", weight_layout = "pytorch";  // Keras-saved files: channels_last, keras
    ComputeOptions compute;                                                 // conv only
};

void add_conv_options(CLI::App* cmd, ConvOptions& o, bool weight_required = true) {
    add_layer_file_options(
        cmd, o.files, "input .npy: (N, C, L) / (C, L) for Conv1d, (N, C, H, W) / (C, H, W) for Conv2d",
        "weight .npy in PyTorch layout (C_out, C_in/groups, [kH,] kW); rank 3 = Conv1d, 4 = Conv2d", weight_required);
    cmd->add_option("--stride", o.stride, "stride: 2 or 2,1")->capture_default_str();
    cmd->add_option("--padding", o.padding, "padding: 1, 1,2, same or valid")->capture_default_str();
    cmd->add_option("--dilation", o.dilation, "dilation: 2 or 2,1")->capture_default_str();
    cmd->add_option("--groups", o.groups, "groups")->capture_default_str();
    cmd->add_option("--padding-mode", o.padding_mode, "zeros, reflect, replicate or circular")->capture_default_str();
    cmd->add_option("--data-format", o.data_format,
                    "channels_last: input (and output) as Keras holds them, (N, [H,] W, C); --at is then n,[y,]x,c")
        ->check(CLI::IsMember({"channels_first", "channels_last"}))
        ->capture_default_str();
    cmd->add_option("--weight-layout", o.weight_layout,
                    "keras: weight as Keras's kernel ([kH,] kW, in/groups, filters)")
        ->check(CLI::IsMember({"pytorch", "keras"}))
        ->capture_default_str();
}

struct LoadedConv {
    Tensor x, w;
    std::optional<Tensor> b;
    ConvGeometry g;
};

// The data of a .npy file whose header was already checked; what loading converted is said on stderr, as the
// window says it ("note: w.npy: converted float64 (<f8) to float32").
Tensor load_npy_data(const std::string& path) {
    NpyInfo info;
    Tensor t = npy_load(path, &info);
    for (const std::string& n : info.notices) std::fprintf(stderr, "note: %s: %s\n", path.c_str(), n.c_str());
    return t;
}

// Checks the layer on the files' headers (shapes only), then the memory it needs (memory_task: "conv2d",
// "explain"), and only then reads the data: a weight that does not fit the input is refused before gigabytes are read.
LoadedConv load_conv(const ConvOptions& o, const std::function<std::vector<MemoryItem>(const ConvGeometry&)>& memory) {
    LoadedConv l;
    Shape x_shape = npy_read_info(o.files.input).shape;
    Shape w_shape = npy_read_info(o.files.weight).shape;
    std::optional<Shape> bias_shape;
    if (!o.files.bias.empty()) bias_shape = npy_read_info(o.files.bias).shape;
    const size_t w_rank = w_shape.size();
    if (o.weight_layout == "keras" && (w_rank == 3 || w_rank == 4)) {  // ([H,] W, I, O) -> (O, I, [H,] W)
        Shape t{w_shape[w_rank - 1], w_shape[w_rank - 2]};
        t.insert(t.end(), w_shape.begin(), w_shape.end() - 2);
        w_shape = t;
    }
    if (o.data_format == "channels_last" && (w_rank == 3 || w_rank == 4))  // ((N,) [H,] W, C) -> ((N,) C, [H,] W)
        x_shape = channels_last_to_first(x_shape, static_cast<int>(w_rank) - 2);
    if (w_rank != 3 && w_rank != 4)
        throw ConfigError(o.files.weight +
                          ": a convolution weight has rank 3 (Conv1d: C_out, C_in/groups, kW) or 4 (Conv2d: C_out, "
                          "C_in/groups, kH, kW), got shape " +
                          shape_to_string(w_shape));
    ConvParams p;
    p.dims = static_cast<int>(w_shape.size()) - 2;
    p.stride = parse_int_list(o.stride, "--stride");
    p.dilation = parse_int_list(o.dilation, "--dilation");
    if (o.padding == "same")
        p.padding_kind = PaddingKind::Same;
    else if (o.padding == "valid")
        p.padding_kind = PaddingKind::Valid;
    else
        p.padding = parse_int_list(o.padding, "--padding");
    p.groups = o.groups;
    auto mode = parse_padding_mode(o.padding_mode);
    if (!mode)
        throw UsageError("--padding-mode: expected zeros, reflect, replicate or circular, got '" + o.padding_mode +
                         "'");
    p.padding_mode = *mode;
    l.g = conv_geometry(p, x_shape, w_shape, bias_shape);
    check_memory_budget(l.g.dims == 1 ? "conv1d" : "conv2d", memory(l.g));
    l.x = load_npy_data(o.files.input);
    l.w = load_npy_data(o.files.weight);
    if (!o.files.bias.empty()) l.b = load_npy_data(o.files.bias);
    if (o.weight_layout == "keras") l.w = weight_to_pytorch(l.w, WeightLayout::Keras);
    if (o.data_format == "channels_last") l.x = channels_last_to_first(l.x, l.g.dims);
    return l;
}

int run_conv(const ConvOptions& o) {
    const ComputeOptions& run = o.compute;
    check_compute_options(run);
    const FastConvPath path = run.engine == "gemm"        ? FastConvPath::Gemm
                              : run.engine == "direct"    ? FastConvPath::Direct
                              : run.engine == "depthwise" ? FastConvPath::Depthwise
                              : run.engine == "pointwise" ? FastConvPath::Pointwise
                              : run.engine == "blocked"   ? FastConvPath::Blocked
                                                          : FastConvPath::Auto;
    const FastConvOptions fast{run.threads, path, *parse_isa(run.isa)};
    const bool reference = run.engine == "reference";
    const auto start = std::chrono::steady_clock::now();
    LoadedConv l = load_conv(o, [&](const ConvGeometry& g) {
        const ConvScratch scratch = reference                                       ? ConvScratch::None
                                    : fast_conv_path(g, fast) == FastConvPath::Gemm ? ConvScratch::Im2col
                                                                                    : ConvScratch::PaddedBatch;
        return conv_memory_items(g, scratch, fast_conv_threads(fast));
    });
    const Tensor* b = l.b ? &*l.b : nullptr;
    const auto computed = std::chrono::steady_clock::now();
    Tensor y = reference ? conv_reference(l.g, l.x, l.w, b) : conv_fast(l.g, l.x, l.w, b, fast);
    const auto done = std::chrono::steady_clock::now();
    if (o.data_format == "channels_last") y = channels_first_to_last(y, l.g.dims);
    npy_save(run.output, y);
    std::fprintf(stderr, "%s %s -> %s written to %s (%s engine)\n", l.g.dims == 1 ? "conv1d" : "conv2d",
                 shape_to_string(l.x.shape).c_str(), shape_to_string(y.shape).c_str(), run.output.c_str(),
                 reference ? "reference" : fast_conv_engine_name(l.g, fast).c_str());
    if (run.time) {
        const double flops =
            2.0 * static_cast<double>(l.g.output_positions()) * static_cast<double>(l.g.macs_per_output());
        print_compute_time(
            computed - start, done - computed, run.repeat, flops,
            reference ? "reference" : fast_conv_engine_name(l.g, fast), reference ? 1 : fast_conv_threads(fast),
            [&] { Tensor again = reference ? conv_reference(l.g, l.x, l.w, b) : conv_fast(l.g, l.x, l.w, b, fast); });
    }
    return 0;
}

nlohmann::json state_json(const ConvGeometry& g, const CursorState& s) {
    using nlohmann::json;
    json j;
    j["position"] = {{"n", s.n}, {"c_out", s.c_out}, {"y", s.y}, {"x", s.x}};
    j["value"] = json_float(s.value);
    j["bias"] = json_float(s.bias);
    j["accumulator"] = json_float(s.accumulator);
    j["channels"] = json::array();
    const int64_t kk = g.kernel[0] * g.kernel[1];
    for (size_t ci = 0; ci < s.channels.size(); ++ci) {
        json taps = json::array();
        for (int64_t t = 0; t < kk; ++t) {
            const CursorTap& tap = s.taps[ci * static_cast<size_t>(kk) + static_cast<size_t>(t)];
            json jt = {{"ky", tap.ky},
                       {"kx", tap.kx},
                       {"padding", tap.padding},
                       {"input", json_float(tap.input)},
                       {"weight", json_float(tap.weight)},
                       {"product", json_float(tap.product)}};
            jt["input_index"] = g.dims == 1 ? json::array({tap.px}) : json::array({tap.py, tap.px});
            if (tap.src_y < 0)
                jt["source_index"] = nullptr;
            else
                jt["source_index"] = g.dims == 1 ? json::array({tap.src_x}) : json::array({tap.src_y, tap.src_x});
            taps.push_back(jt);
        }
        j["channels"].push_back(
            {{"channel", s.channels[ci].c_in}, {"sum", json_float(s.channels[ci].sum)}, {"taps", taps}});
    }
    return j;
}

void print_state(const ConvGeometry& g, const Shape& xs, const Shape& ws, const CursorState& s) {
    const bool one_d = g.dims == 1;
    const std::string pos = one_d ? std::to_string(s.n) + ", " + std::to_string(s.c_out) + ", " + std::to_string(s.x)
                                  : std::to_string(s.n) + ", " + std::to_string(s.c_out) + ", " + std::to_string(s.y) +
                                        ", " + std::to_string(s.x);
    std::printf("%s output y[%s] = %s\n\n", one_d ? "Conv1d" : "Conv2d", pos.c_str(), number_text(s.value).c_str());
    std::printf("  input %s   weight %s   stride %s   padding %s..%s   dilation %s   groups %lld   padding_mode %s\n",
                shape_to_string(xs).c_str(), shape_to_string(ws).c_str(),
                position_text(g.dims, g.stride[0], g.stride[1]).c_str(),
                position_text(g.dims, g.pad_begin[0], g.pad_begin[1]).c_str(),
                position_text(g.dims, g.pad_end[0], g.pad_end[1]).c_str(),
                position_text(g.dims, g.dilation[0], g.dilation[1]).c_str(), static_cast<long long>(g.groups),
                padding_mode_name(g.mode));
    const int64_t group = s.c_out / g.c_out_per_group;
    std::printf(
        "  output channel %lld applies filter w[%lld] (%lld input channel%s x %s kernel) to input channels %lld..%lld "
        "of batch item %lld\n\n",
        static_cast<long long>(s.c_out), static_cast<long long>(s.c_out), static_cast<long long>(g.c_in_per_group),
        g.c_in_per_group == 1 ? "" : "s",
        one_d ? std::to_string(g.kernel[1]).c_str()
              : (std::to_string(g.kernel[0]) + "x" + std::to_string(g.kernel[1])).c_str(),
        static_cast<long long>(group * g.c_in_per_group), static_cast<long long>((group + 1) * g.c_in_per_group - 1),
        static_cast<long long>(s.n));
    const int64_t kk = g.kernel[0] * g.kernel[1];
    for (size_t ci = 0; ci < s.channels.size(); ++ci) {
        std::printf("  input channel %lld  (weight slice w[%lld, %zu])\n", static_cast<long long>(s.channels[ci].c_in),
                    static_cast<long long>(s.c_out), ci);
        std::printf("    %-8s %-10s %-18s %14s %14s %14s\n", one_d ? "kx" : "ky,kx", "input at", "", "x", "w", "x*w");
        for (int64_t t = 0; t < kk; ++t) {
            const CursorTap& tap = s.taps[ci * static_cast<size_t>(kk) + static_cast<size_t>(t)];
            std::string note;
            if (tap.padding)
                note = tap.src_y < 0 ? "zero padding"
                                     : std::string(padding_mode_name(g.mode)) + " of " +
                                           position_text(g.dims, tap.src_y, tap.src_x);
            std::printf("    %-8s %-10s %-18s %14s %14s %14s\n", kernel_tap_text(g.dims, tap.ky, tap.kx).c_str(),
                        position_text(g.dims, tap.py, tap.px).c_str(), note.c_str(), number_text(tap.input).c_str(),
                        number_text(tap.weight).c_str(), number_text(tap.product).c_str());
        }
        std::printf("    channel sum = %s\n\n", number_text(s.channels[ci].sum).c_str());
    }
    print_output_sum(s.channels, s.value, s.bias, s.c_out, pos);
}

int explain_at(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b, const std::string& at,
               bool json) {
    const std::vector<int64_t> idx = parse_output_position(at, g.dims, "Conv" + std::to_string(g.dims) + "d",
                                                           g.output_shape(), g.output_shape_torch());
    ConvCursor cursor(g, x, w, b);
    CursorState s =
        cursor.state_at(cursor.step_of(idx[0], idx[1], idx[2], idx[3], Granularity::Position), Granularity::Position);
    if (json)
        std::cout << json_dump_safe(state_json(g, s), 2) << "\n";
    else
        print_state(g, x.shape, w.shape, s);
    return 0;
}

int run_explain(const ConvOptions& o) {
    // One position: the cursor reads the input in place (no padded copy, no output tensor).
    LoadedConv l = load_conv(o, [](const ConvGeometry& g) {
        std::vector<MemoryItem> items = conv_memory_items(g, ConvScratch::None, 1);
        items.pop_back();  // no output tensor
        return items;
    });
    std::string at = o.at;
    if (o.data_format == "channels_last") {  // n,[y,]x,c -> n,c,[y,]x
        std::vector<int64_t> idx = parse_int_list(o.at, "--at");
        if (idx.size() >= 3) std::rotate(idx.begin() + 1, idx.end() - 1, idx.end());
        at.clear();
        for (size_t i = 0; i < idx.size(); ++i) at += (i ? "," : "") + std::to_string(idx[i]);
    }
    return explain_at(l.g, l.x, l.w, l.b ? &*l.b : nullptr, at, o.json);
}

struct PoolOptions {
    std::string input, mode, kernel_size, stride, padding = "0", dilation = "1", count_include_pad = "true", at;
    bool ceil_mode = false, json = false;
    int64_t divisor_override = 0;
    int dims = 0;            // 0: from the input rank (rank 3 counts as 2-D unbatched when the kernel has two values)
    ComputeOptions compute;  // pool only; engine: fast (pool_fast) or reference
};

void add_pool_options(CLI::App* cmd, PoolOptions& o, bool mode_required) {
    cmd->add_option("--input", o.input, "input .npy: (N, C, L) / (C, L) for 1-D, (N, C, H, W) / (C, H, W) for 2-D")
        ->required();
    auto* mode = cmd->add_option(mode_required ? "--mode" : "--pool", o.mode, "max or avg")
                     ->check(CLI::IsMember({"max", "avg"}));
    if (mode_required) mode->required();
    cmd->add_option("--kernel-size", o.kernel_size, "kernel size: 2 or 2,3 (the rank of the input decides 1-D or 2-D)");
    cmd->add_option("--stride", o.stride, "stride (default: the kernel size, as PyTorch)");
    cmd->add_option("--padding", o.padding, "padding: 1 or 1,0")->capture_default_str();
    cmd->add_option("--dilation", o.dilation, "dilation (max only)")->capture_default_str();
    cmd->add_flag("--ceil-mode", o.ceil_mode, "ceil_mode=True");
    cmd->add_option("--count-include-pad", o.count_include_pad,
                    "avg: count padding in the divisor (PyTorch default true)")
        ->check(CLI::IsMember({"true", "false"}))
        ->capture_default_str();
    cmd->add_option("--divisor-override", o.divisor_override, "avg: divide by this instead (0 = not set)");
    cmd->add_option("--dims", o.dims, "1 (max_pool1d/avg_pool1d) or 2; default: from the input rank and kernel size")
        ->check(CLI::IsMember({0, 1, 2}));
}

// The input's rank decides 1-D or 2-D, as the functional call the user would write: 2/3 dims -> *_pool1d.
PoolGeometry load_pool(const PoolOptions& o, Tensor& x, bool with_output) {
    const Shape x_shape = npy_read_info(o.input).shape;
    if (o.kernel_size.empty()) throw UsageError("--kernel-size is required for pooling");
    PoolParams p;
    const size_t kernel_values = parse_int_list(o.kernel_size, "--kernel-size").size();
    const size_t rank = x_shape.size();
    p.dims = o.dims != 0 ? o.dims : rank >= 4 || (rank == 3 && kernel_values == 2) ? 2 : 1;
    p.mode = o.mode == "max" ? PoolMode::Max : PoolMode::Avg;
    p.kernel_size = parse_int_list(o.kernel_size, "--kernel-size");
    if (!o.stride.empty()) p.stride = parse_int_list(o.stride, "--stride");
    p.padding = parse_int_list(o.padding, "--padding");
    p.dilation = parse_int_list(o.dilation, "--dilation");
    p.ceil_mode = o.ceil_mode;
    p.count_include_pad = o.count_include_pad == "true";
    if (o.divisor_override != 0) p.divisor_override = o.divisor_override;
    const PoolGeometry g = pool_geometry(p, x_shape);
    std::vector<MemoryItem> items = pool_memory_items(g);
    if (!with_output) items.pop_back();
    check_memory_budget(std::string(pool_mode_name(p.mode)) + "_pool" + std::to_string(p.dims) + "d", items);
    x = load_npy_data(o.input);
    return g;
}

int run_pool(const PoolOptions& o) {
    const ComputeOptions& run = o.compute;
    check_compute_options(run);
    const bool reference = run.engine == "reference";
    const auto start = std::chrono::steady_clock::now();
    Tensor x;
    const PoolGeometry g = load_pool(o, x, true);
    const auto loaded = std::chrono::steady_clock::now();
    Tensor y = reference ? pool_reference(g, x) : pool_fast(g, x, run.threads);
    const auto done = std::chrono::steady_clock::now();
    npy_save(run.output, y);
    std::fprintf(stderr, "%s_pool%dd %s -> %s written to %s (%s engine)\n", o.mode.c_str(), g.dims,
                 shape_to_string(x.shape).c_str(), shape_to_string(y.shape).c_str(), run.output.c_str(),
                 reference ? "reference" : "fast");
    if (run.time) {
        // average pooling: one add per window element and one divide per output; max pooling has no flops
        double flops = 0;
        if (g.mode == PoolMode::Avg) {
            double window = 1;
            for (int64_t k : g.kernel) window *= static_cast<double>(k);
            flops = static_cast<double>(shape_numel(y.shape)) * (window + 1);
        }
        print_compute_time(loaded - start, done - loaded, run.repeat, flops, reference ? "reference" : "fast",
                           reference ? 1 : resolve_threads(run.threads),
                           [&] { Tensor again = reference ? pool_reference(g, x) : pool_fast(g, x, run.threads); });
    }
    return 0;
}

int explain_pool(const PoolOptions& o) {
    Tensor x;
    const PoolGeometry g = load_pool(o, x, false);
    const std::vector<int64_t> idx =
        parse_output_position(o.at, g.dims, "pooling", g.output_shape(), g.output_shape_torch());
    PoolCursor cursor(g, x);
    const PoolState s = cursor.state_at(cursor.step_of(idx[0], idx[1], idx[2], idx[3]));
    const bool is_max = o.mode == "max";
    if (o.json) {
        nlohmann::json j = {{"position", {{"n", s.n}, {"c", s.c}, {"y", s.y}, {"x", s.x}}},
                            {"value", json_float(s.value)}};
        nlohmann::json taps = nlohmann::json::array();
        for (const PoolTap& t : s.taps)
            taps.push_back(
                {{"ky", t.ky},
                 {"kx", t.kx},
                 {"input_index", g.dims == 1 ? nlohmann::json::array({t.px}) : nlohmann::json::array({t.py, t.px})},
                 {"kind", pool_tap_kind_name(t.kind)},
                 {"input", json_float(t.input)}});
        j["taps"] = taps;
        if (is_max) {
            j["winner_tap"] = s.winner_tap;
            j["argmax"] = s.argmax;
        } else {
            j["sum"] = json_float(s.sum);
            j["divisor"] = s.divisor;
            j["divisor_rule"] = s.divisor_text;
        }
        std::cout << json_dump_safe(j, 2) << "\n";
        return 0;
    }
    std::printf("%s output y[%s] = %s\n", is_max ? "MaxPool" : "AvgPool", o.at.c_str(), number_text(s.value).c_str());
    std::printf("    %-8s %-10s %-9s %14s\n", g.dims == 1 ? "kx" : "ky,kx", "input at", "kind", "value");
    for (size_t t = 0; t < s.taps.size(); ++t) {
        const PoolTap& tap = s.taps[t];
        std::printf("    %-8s %-10s %-9s %14s%s\n", kernel_tap_text(g.dims, tap.ky, tap.kx).c_str(),
                    position_text(g.dims, tap.py, tap.px).c_str(), pool_tap_kind_name(tap.kind),
                    number_text(tap.input).c_str(),
                    is_max && static_cast<int64_t>(t) == s.winner_tap ? "   <- max" : "");
    }
    if (is_max)
        std::printf("  max = %s (return_indices: %lld)\n", number_text(s.value).c_str(),
                    static_cast<long long>(s.argmax));
    else
        std::printf("  sum = %s, divisor = %lld (%s), average = %s\n", number_text(s.sum).c_str(),
                    static_cast<long long>(s.divisor), s.divisor_text.c_str(), number_text(s.value).c_str());
    return 0;
}

int run_shape(const std::string& input, const std::vector<std::string>& layers, bool json) {
    const Shape in = parse_int_list(input, "--input");
    if (chain_convention(layers) == Convention::Keras) return run_keras_shape(in, layers, json);
    std::vector<LayerSpec> specs;
    for (const std::string& t : layers) specs.push_back(parse_layer(t));
    const std::vector<LayerShapeRow> rows = shape_chain(in, specs);
    int64_t total = 0;
    bool failed = false;
    nlohmann::json j = {{"input_shape", in}, {"layers", nlohmann::json::array()}};
    for (const LayerShapeRow& r : rows) {
        total += r.parameters;
        nlohmann::json jr = {
            {"layer", r.text}, {"input_shape", r.input_shape}, {"formula", r.formula}, {"parameters", r.parameters}};
        if (r.error.empty()) {
            jr["output_shape"] = r.output_shape;
        } else {
            jr["output_shape"] = nullptr;
            jr["error"] = r.error;
            failed = true;
        }
        j["layers"].push_back(jr);
        if (!json) {
            std::printf("%s\n  input  %s\n", r.text.c_str(), shape_to_string(r.input_shape).c_str());
            if (!r.error.empty()) {
                std::printf("  error  %s\n", r.error.c_str());
                continue;
            }
            std::printf("  output %s\n", shape_to_string(r.output_shape).c_str());
            for (const std::string& f : r.formula) std::printf("    %s\n", f.c_str());
        }
    }
    j["total_parameters"] = total;
    if (json)
        std::cout << json_dump_safe(j, 2) << "\n";
    else if (!failed)
        std::printf("total parameters: %lld\n", static_cast<long long>(total));
    if (failed) {
        std::fprintf(stderr, "%s\n", rows.back().error.c_str());
        return 1;
    }
    return 0;
}

int run_demo(const std::string& at, const std::string& scene_path, bool json, bool allow_outside) {
    // The window's scene, built by the same workspace code: the default is the seed's first question,
    // Conv2d(3, 192, kernel_size=5, stride=1, padding=2) on the built-in 32x32 RGB picture (weights seed 1).
    using namespace convscope::workspace;
    LayerEdit edit = default_edit();
    SceneData data;
    const SceneData* data_ptr = nullptr;
    std::string title = "the seed's first question";
    if (!scene_path.empty()) {
        LoadedScene loaded;
        try {
            loaded = load_scene_file(scene_path, nullptr, nullptr, allow_outside);
        } catch (const OutsidePathsError& e) {
            throw ConfigError(scene_path + ": " + e.what() +
                              "; nothing was read (add --allow-outside-paths to read them)");
        }
        edit = loaded.edit;
        data = std::move(loaded.data);
        data_ptr = &data;
        title = loaded.file.title.empty() ? file_name(scene_path) : loaded.file.title;
    }
    const ConvCheck check = conv_layer_check(edit.layer, input_shape(edit));
    if (!check.ok()) throw ConfigError(check.error);
    const auto scene = build_scene(edit, *check.geometry, nullptr, 1, data_ptr);
    const ConvGeometry& g = scene->geo;
    if (!json) {
        std::printf("%s: %s on %s, input shape %s\n", title.c_str(), layer_python_text(edit.layer).c_str(),
                    scene->image_kind.c_str(), shape_to_string(input_shape(edit)).c_str());
        std::printf("weight %s: %lld filters, each %lld input channel(s) x the kernel; output %s\n",
                    shape_to_string(edit.layer.weight_shape()).c_str(), static_cast<long long>(g.c_out),
                    static_cast<long long>(g.c_in_per_group), shape_to_string(g.output_shape_torch()).c_str());
        for (int d = 0; d < g.dims; ++d) std::printf("%s\n", conv_formula_text(g, d + (g.dims == 1 ? 1 : 0)).c_str());
        std::printf("\n");
    }
    return explain_at(g, scene->x, scene->w, scene->bias_ptr(), at, json);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"convscope-cli: PyTorch-exact convolution, step by step"};
    app.require_subcommand(1);
    ConvOptions conv_opts, explain_opts;
    CLI::App* conv = app.add_subcommand("conv", "Run a Conv1d/Conv2d on .npy files and write the output .npy");
    add_conv_options(conv, conv_opts);
    add_compute_options(
        conv, conv_opts.compute,
        {.help = "fast (the engine measured fastest for the layer on this CPU), direct (the direct "
                 "kernel), depthwise (the depthwise kernel; the direct kernel on other layers), pointwise "
                 "(the 1x1 kernel; the direct kernel on other layers), blocked (output channels across the "
                 "vector, AVX-512 only; the direct kernel elsewhere), gemm (im2col + OpenBLAS sgemm) or "
                 "reference (plain loops)",
         .names = {"fast", "direct", "depthwise", "pointwise", "blocked", "gemm", "reference"},
         .isa = true},
        "print the load and compute times, GFLOPS and the peak memory on stderr");

    CLI::App* pool =
        app.add_subcommand("pool", "Run a MaxPool/AvgPool 1-D/2-D on a .npy file and write the output .npy");
    PoolOptions pool_opts, explain_pool_opts;
    add_pool_options(pool, pool_opts, true);
    add_compute_options(
        pool, pool_opts.compute,
        {.help = "fast (multi-threaded, vectorised) or reference (plain loops)", .names = {"fast", "reference"}},
        "print the load and compute times, GFLOPS (average pooling) and the peak memory on stderr");

    CLI::App* explain = app.add_subcommand("explain",
                                           "Show every multiply-add of one conv output position (--weight ...) or one "
                                           "pooling window (--pool max|avg ...)");
    add_conv_options(explain, explain_opts, false);
    // Pooling: --pool selects it; the conv options --stride/--padding/--dilation are shared.
    explain->add_option("--pool", explain_pool_opts.mode, "explain a pooling window instead: max or avg")
        ->check(CLI::IsMember({"max", "avg"}));
    explain->add_option("--kernel-size", explain_pool_opts.kernel_size, "pooling kernel size");
    explain->add_flag("--ceil-mode", explain_pool_opts.ceil_mode, "pooling ceil_mode=True");
    explain->add_option("--count-include-pad", explain_pool_opts.count_include_pad, "avg pooling: true or false")
        ->check(CLI::IsMember({"true", "false"}));
    explain->add_option("--divisor-override", explain_pool_opts.divisor_override, "avg pooling divisor");
    explain->add_option("--dims", explain_pool_opts.dims, "pooling: 1 or 2 (default: from the input)");
    explain->add_option("--at", explain_opts.at, "output position n,c,y,x (2-D) or n,c,x (1-D)")->required();
    explain->add_flag("--json", explain_opts.json, "print JSON");

    std::string shape_input;
    std::vector<std::string> shape_layers;
    bool shape_json = false;
    CLI::App* shape =
        app.add_subcommand("shape", "Shapes, formulas and parameter counts of a chain of PyTorch or Keras layers");
    shape
        ->add_option("--input", shape_input,
                     "input shape, e.g. 1,3,32,32 (Keras layers: channels-last, e.g. 60,32,32,3)")
        ->required();
    shape
        ->add_option("layers", shape_layers,
                     "layers in PyTorch or Keras syntax, e.g. \"Conv2d(3, 192, kernel_size=5, padding=2)\" or "
                     "\"Conv2D(64, 3, padding='same')\"")
        ->required();
    shape->add_flag("--json", shape_json, "print JSON");

    std::string demo_at = "0,0,16,16";
    bool demo_json = false;
    CLI::App* demo =
        app.add_subcommand("demo", "Explain one output of the seed's Conv2d(3, 192, 5, padding=2) on a built-in image");
    std::string demo_scene;
    demo->add_option("--at", demo_at, "output position n,c,y,x (Conv1d: n,c,x)")->capture_default_str();
    demo->add_option("--scene", demo_scene, "a scene file (as the window opens it) instead of the default scene");
    demo->add_flag("--json", demo_json, "print JSON");
    bool demo_allow_outside = false;
    demo->add_flag("--allow-outside-paths", demo_allow_outside,
                   "read the files a scene names outside its own folder (absolute paths, ../); refused otherwise");

    const SubcommandSet onnx = add_onnx_commands(app);
    const SubcommandSet transpose = add_transpose_commands(app);  // also adds --transposed to explain
    const SubcommandSet code_cmd = add_code_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    try {
        if (*conv) return run_conv(conv_opts);
        if (*pool) return run_pool(pool_opts);
        if (auto code = transpose.run()) return *code;
        if (*explain && !explain_pool_opts.mode.empty()) {
            explain_pool_opts.input = explain_opts.files.input;
            explain_pool_opts.stride = explain->count("--stride") ? explain_opts.stride : "";
            explain_pool_opts.padding = explain_opts.padding;
            explain_pool_opts.dilation = explain_opts.dilation;
            explain_pool_opts.at = explain_opts.at;
            explain_pool_opts.json = explain_opts.json;
            return explain_pool(explain_pool_opts);
        }
        if (*explain && explain_opts.files.weight.empty())
            throw UsageError("explain needs --weight (convolution) or --pool max|avg (pooling)");
        if (*explain) return run_explain(explain_opts);
        if (*shape) return run_shape(shape_input, shape_layers, shape_json);
        if (*demo) return run_demo(demo_at, demo_scene, demo_json, demo_allow_outside);
        if (auto code = onnx.run()) return *code;
        if (auto code = code_cmd.run()) return *code;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "usage: %s\n", e.what());
        return 2;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", escape_invalid_utf8(e.what()).c_str());
        return 1;
    } catch (const std::bad_alloc&) {
        // Budgets are checked before large allocations; this is the system refusing a smaller one.
        std::fprintf(stderr, "out of memory (the system refused an allocation; peak so far %s bytes)\n",
                     grouped_int(peak_resident_bytes()).c_str());
        return 1;
    } catch (const std::exception& e) {
        // Never an abort: an unexpected failure is still a message and an exit code.
        std::fprintf(stderr, "internal error: %s\n", escape_invalid_utf8(e.what()).c_str());
        return 1;
    }
    return 2;
}
