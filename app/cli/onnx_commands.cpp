// convscope-cli: onnx-list and onnx-check (see onnx_commands.hpp).
#include "onnx_commands.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "cli_text.hpp"
#include "error.hpp"
#include "onnx_model.hpp"

using namespace convscope;
using nlohmann::json;

namespace {

struct Options {
    std::string list_model;
    bool list_json = false;
    std::string check_dir;
    bool check_json = false;
};

// ONNX's backend test tolerance (onnx/backend/test/runner: np.testing.assert_allclose(rtol=1e-3, atol=1e-7)).
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

std::string q(const std::string& s) { return "'" + s + "'"; }

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

json shape_json(const OnnxValueInfo& v) {
    if (!v.has_shape) return nullptr;
    json a = json::array();
    for (size_t i = 0; i < v.dims.size(); ++i) {
        if (v.dims[i] >= 0)
            a.push_back(v.dims[i]);
        else if (!v.dim_names[i].empty())
            a.push_back(v.dim_names[i]);
        else
            a.push_back(nullptr);
    }
    return a;
}

json value_info_json(const OnnxValueInfo& v) {
    return {{"name", v.name},
            {"type", v.data_type},
            {"shape", shape_json(v)},
            {"shape_text", v.shape_text()},
            {"initializer", v.is_initializer}};
}

// Where a weight/bias comes from, for the listing.
std::string source_of(const OnnxModel& m, const std::string& value, std::string* shape_text) {
    if (const OnnxInitializer* init = m.find_initializer(value)) {
        *shape_text = shape_to_string(init->shape);
        return init->from_constant_node ? "Constant node" : "initializer";
    }
    if (const OnnxValueInfo* v = m.find_value_info(value)) {
        *shape_text = v->shape_text();
        for (const OnnxValueInfo& in : m.inputs)
            if (in.name == value) return "graph input (given at run time)";
    }
    if (m.producer_of(value)) return "computed by another node";
    return "undefined";
}

// The layer attributes with ONNX's defaults filled in, marked "(default)" where the model does not give them.
json effective_attributes(const OnnxNode& n) {
    json e = json::object();
    const bool conv_like = n.op == OnnxOp::Conv || n.op == OnnxOp::ConvTranspose;
    if (!conv_like && n.op != OnnxOp::MaxPool && n.op != OnnxOp::AveragePool) return e;
    auto given = [&](const char* name) {
        return std::any_of(n.attributes.begin(), n.attributes.end(),
                           [&](const OnnxAttribute& a) { return a.name == name; });
    };
    auto put = [&](const char* name, const std::string& value) { e[name] = value + (given(name) ? "" : " (default)"); };
    auto list = [&](const std::vector<int64_t>& v, const char* fallback) {
        return v.empty() ? std::string(fallback) : shape_to_string(v);
    };
    put("auto_pad", onnx_auto_pad_name(n.auto_pad));
    put("kernel_shape", list(n.kernel_shape, conv_like ? "from the weight" : "?"));
    put("strides", list(n.strides, "1 per axis"));
    if (n.pads.empty() && n.auto_pad != OnnxAutoPad::NotSet)
        e["pads"] = "from auto_pad";
    else
        put("pads", list(n.pads, "0 per axis"));
    if (n.op != OnnxOp::AveragePool) put("dilations", list(n.dilations, "1 per axis"));
    if (conv_like) put("group", std::to_string(n.group));
    if (n.op == OnnxOp::ConvTranspose) {
        put("output_padding", list(n.output_padding, "0 per axis"));
        put("output_shape", list(n.output_shape_attr, "not set"));
    }
    if (!conv_like) put("ceil_mode", std::to_string(n.ceil_mode));
    if (n.op == OnnxOp::AveragePool) put("count_include_pad", std::to_string(n.count_include_pad));
    if (n.op == OnnxOp::MaxPool) put("storage_order", std::to_string(n.storage_order));
    return e;
}

// ------------------------------------------------------------------------------------------------------ onnx-list
int run_list(const Options& o) {
    // A conformance case directory names its model.onnx.
    std::error_code ec;
    const std::filesystem::path in_dir = std::filesystem::path(o.list_model) / "model.onnx";
    const bool is_case_dir = std::filesystem::is_directory(o.list_model, ec) && std::filesystem::exists(in_dir, ec);
    const OnnxModel m = onnx_load(is_case_dir ? in_dir.string() : o.list_model);
    json j;
    j["model"] = m.name;
    j["ir_version"] = m.ir_version;
    j["opsets"] = json::array();
    std::vector<std::string> opset_texts;
    for (const auto& [domain, version] : m.opsets) {
        j["opsets"].push_back({{"domain", domain}, {"version", version}});
        opset_texts.push_back((domain.empty() ? std::string("ai.onnx") : domain) + " " + std::to_string(version));
    }
    j["producer"] = m.producer_name + (m.producer_version.empty() ? "" : " " + m.producer_version);
    j["graph"] = m.graph_name;
    j["inputs"] = json::array();
    j["outputs"] = json::array();
    for (const OnnxValueInfo& v : m.inputs) j["inputs"].push_back(value_info_json(v));
    for (const OnnxValueInfo& v : m.outputs) j["outputs"].push_back(value_info_json(v));
    j["initializers"] = json::array();
    for (const OnnxInitializer& i : m.initializers) {
        json ji = {{"name", i.name},
                   {"type", i.data_type},
                   {"shape", i.shape},
                   {"source", i.from_constant_node ? "Constant node" : "initializer"}};
        if (!i.error.empty()) ji["error"] = i.error;
        if (!i.notices.empty()) ji["notices"] = i.notices;
        j["initializers"].push_back(ji);
    }

    std::string text = m.name + "\n  ONNX IR version " + std::to_string(m.ir_version) + "; opsets " +
                       (opset_texts.empty() ? std::string("(none)") : join(opset_texts, ", ")) + "; producer " +
                       (m.producer_name.empty() ? std::string("(unknown)") : j["producer"].get<std::string>()) +
                       "; graph " + q(m.graph_name) + "\n";
    std::vector<std::string> init_inputs;
    size_t runtime_inputs = 0;
    for (const OnnxValueInfo& v : m.inputs) runtime_inputs += v.is_initializer ? 0 : 1;
    text += "graph inputs (" + std::to_string(runtime_inputs) + "):\n";
    for (const OnnxValueInfo& v : m.inputs) {
        if (v.is_initializer) {
            init_inputs.push_back(q(v.name));
            continue;
        }
        text += "  " + q(v.name) + " " + (v.data_type.empty() ? "?" : v.data_type) + " " + v.shape_text() + "\n";
    }
    if (!init_inputs.empty()) text += "  (also listed as inputs, but initializers: " + join(init_inputs, ", ") + ")\n";
    text += "graph outputs (" + std::to_string(m.outputs.size()) + "):\n";
    for (const OnnxValueInfo& v : m.outputs)
        text += "  " + q(v.name) + " " + (v.data_type.empty() ? "?" : v.data_type) + " " + v.shape_text() + "\n";
    text += "initializers (" + std::to_string(m.initializers.size()) + "):\n";
    for (const OnnxInitializer& i : m.initializers) {
        text += "  " + q(i.name) + " " + i.data_type + " " + shape_to_string(i.shape) +
                (i.from_constant_node ? " (Constant node)" : "") + "\n";
        if (!i.error.empty()) text += "    cannot be read: " + i.error + "\n";
    }

    j["nodes"] = json::array();
    text += "nodes (" + std::to_string(m.nodes.size()) + "):\n";
    for (const OnnxNode& n : m.nodes) {
        json jn = {{"index", n.index},   {"name", n.name},       {"op_type", n.op_type},        {"domain", n.domain},
                   {"inputs", n.inputs}, {"outputs", n.outputs}, {"layer", onnx_is_layer(n.op)}};
        json attrs = json::object();
        std::vector<std::string> attr_texts;
        for (const OnnxAttribute& a : n.attributes) {
            attrs[a.name] = a.value_text;
            attr_texts.push_back(a.name + "=" + a.value_text);
        }
        jn["attributes"] = attrs;
        std::vector<std::string> ins, outs;
        for (const std::string& s : n.inputs) ins.push_back(q(s));
        for (const std::string& s : n.outputs) outs.push_back(q(s));
        text += "  " + n.label() + "  (" + join(ins, ", ") + ") -> (" + join(outs, ", ") + ")\n";
        if (!attr_texts.empty()) text += "     attributes: " + join(attr_texts, "  ") + "\n";
        if (onnx_is_layer(n.op)) {
            if (n.op == OnnxOp::Conv || n.op == OnnxOp::ConvTranspose) {
                std::string wt_shape = "?", b_shape = "?";
                if (n.inputs.size() >= 2) {
                    const std::string src = source_of(m, n.inputs[1], &wt_shape);
                    jn["weight"] = {{"name", n.inputs[1]}, {"shape_text", wt_shape}, {"source", src}};
                    text += "     weight " + q(n.inputs[1]) + " " + wt_shape + " (" + src + ")";
                    if (n.inputs.size() >= 3 && !n.inputs[2].empty()) {
                        const std::string bsrc = source_of(m, n.inputs[2], &b_shape);
                        jn["bias"] = {{"name", n.inputs[2]}, {"shape_text", b_shape}, {"source", bsrc}};
                        text += ", bias " + q(n.inputs[2]) + " " + b_shape + " (" + bsrc + ")";
                    } else {
                        jn["bias"] = nullptr;
                        text += ", no bias";
                    }
                    text += "\n";
                }
            }
            const json effective = effective_attributes(n);
            jn["effective_attributes"] = effective;
            if (!effective.empty()) {
                std::vector<std::string> parts;
                for (const auto& [k, v] : effective.items()) parts.push_back(k + "=" + v.get<std::string>());
                text += "     read as: " + join(parts, "  ") + "\n";
            }
            jn["usable"] = n.problem.empty();
            jn["unsupported"] = n.unsupported;
            if (!n.problem.empty()) {
                jn["problem"] = n.problem;
                text += std::string("     ") + (n.unsupported ? "unsupported: " : "unusable: ") +
                        (n.problem_is_for_declared_input ? "for the declared input shape: " : "") + n.problem + "\n";
            } else if (n.input_shape) {
                const OnnxLayer layer = onnx_resolve_node(m, n, *n.input_shape);
                jn["engine"] = layer.description();
                jn["input_shape"] = *n.input_shape;
                jn["output_shape"] = layer.output_shape();
                jn["notes"] = layer.notes;
                text += "     engine: " + layer.description() + "\n     input " + shape_to_string(*n.input_shape) +
                        " -> output " + shape_to_string(layer.output_shape()) + "\n";
                for (const std::string& note : layer.notes) text += "     note: " + note + "\n";
            } else {
                jn["engine"] = nullptr;
                text += "     engine: mapped once the input size is known (the graph does not declare it)\n";
            }
        }
        j["nodes"].push_back(jn);
    }
    const size_t usable = m.usable_layers().size();
    j["usable_layers"] = usable;
    std::string error;
    try {
        onnx_require_usable_layer(m);
    } catch (const Error& e) {
        error = e.what();
        j["error"] = error;
    }
    if (o.list_json)
        std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    else
        std::cout << text << usable << " layer node" << (usable == 1 ? "" : "s") << " convscope can run\n";
    if (!error.empty()) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    return 0;
}

// ----------------------------------------------------------------------------------------------------- onnx-check
struct Comparison {
    bool pass = true;
    double max_abs = 0, max_rel = 0;
    int64_t mismatches = 0, worst = -1;
    float got_worst = 0, want_worst = 0;
};

// numpy.testing.assert_allclose semantics: |got - want| <= atol + rtol * |want|, NaN equal to NaN, equal infinities.
Comparison compare(const Tensor& got, const Tensor& want) {
    Comparison c;
    double worst_excess = -1;
    for (int64_t i = 0; i < want.numel(); ++i) {
        const double g = got[i], w = want[i];
        bool ok;
        double abs_err = 0;
        if (std::isnan(g) || std::isnan(w)) {
            ok = std::isnan(g) && std::isnan(w);
            abs_err = ok ? 0 : INFINITY;
        } else if (std::isinf(g) || std::isinf(w)) {
            ok = g == w;
            abs_err = ok ? 0 : INFINITY;
        } else {
            abs_err = std::fabs(g - w);
            ok = abs_err <= kAtol + kRtol * std::fabs(w);
        }
        c.max_abs = std::max(c.max_abs, abs_err);
        if (w != 0 && !std::isnan(w)) c.max_rel = std::max(c.max_rel, abs_err / std::fabs(w));
        const double excess = abs_err - (kAtol + kRtol * (std::isfinite(w) ? std::fabs(w) : 0.0));
        if (!ok) {
            c.pass = false;
            ++c.mismatches;
        }
        if (c.worst < 0 || excess > worst_excess) {
            worst_excess = excess;
            c.worst = i;
            c.got_worst = got[i];
            c.want_worst = want[i];
        }
    }
    return c;
}

std::string index_text(const Shape& shape, int64_t flat) {
    std::string s;
    for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
        const int64_t d = shape[static_cast<size_t>(i)];
        s = std::to_string(d > 0 ? flat % d : 0) + (s.empty() ? "" : ", ") + s;
        flat = d > 0 ? flat / d : 0;
    }
    return "(" + s + ")";
}

// input_0.pb, input_1.pb, ... until one is missing.
std::vector<std::filesystem::path> numbered(const std::filesystem::path& dir, const std::string& stem) {
    std::vector<std::filesystem::path> out;
    for (int i = 0;; ++i) {
        std::filesystem::path p = dir / (stem + "_" + std::to_string(i) + ".pb");
        if (!std::filesystem::exists(p)) break;
        out.push_back(p);
    }
    return out;
}

struct CheckOutcome {
    std::string status;  // pass, fail, unsupported, error
    std::string reason;
};

CheckOutcome check_dir(const Options& o, json& j, std::string& text) {
    namespace fs = std::filesystem;
    const fs::path dir = o.check_dir;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw IoError(o.check_dir +
                      ": not a directory (onnx-check expects a conformance case directory holding "
                      "model.onnx and test_data_set_*/)");
    const OnnxModel m = onnx_load((dir / "model.onnx").string());
    text += m.name + ": " + std::to_string(m.nodes.size()) + " node" + (m.nodes.size() == 1 ? "" : "s");
    std::vector<std::string> labels;
    for (const OnnxNode& n : m.nodes) labels.push_back(n.label());
    text += " (" + join(labels, ", ") + ")\n";
    j["nodes"] = labels;

    bool unsupported = false;
    if (std::string why = onnx_graph_problem(m, &unsupported); !why.empty())
        return {unsupported ? "unsupported" : "error", m.name + ": " + why};
    onnx_require_usable_layer(m);

    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) throw FormatError(o.check_dir + ": no test_data_set_* directory");

    const std::vector<const OnnxValueInfo*> runtime = m.runtime_inputs();
    bool all_pass = true;
    j["data_sets"] = json::array();
    bool layers_shown = false;
    for (const fs::path& set : sets) {
        const std::string set_name = set.filename().string();
        const std::vector<fs::path> in_files = numbered(set, "input"), out_files = numbered(set, "output");
        if (out_files.empty()) throw FormatError(set.string() + ": no output_0.pb");
        if (in_files.size() != runtime.size())
            throw FormatError(set.string() + ": " + std::to_string(in_files.size()) +
                              " input files, but the model has " + std::to_string(runtime.size()) +
                              " graph inputs that are not initializers");
        OnnxFeeds feeds;
        std::vector<std::string> notices;
        for (size_t i = 0; i < in_files.size(); ++i) {
            OnnxTensorInfo info;
            Tensor t = onnx_load_tensor(in_files[i].string(), &info);
            // The tensor's own name when it names a graph input, else the i-th runtime input (pytorch-converted
            // files leave the name empty).
            std::string name = runtime[i]->name;
            for (const OnnxValueInfo* v : runtime)
                if (!info.name.empty() && v->name == info.name) name = info.name;
            for (const std::string& n : info.notices) notices.push_back(in_files[i].filename().string() + ": " + n);
            feeds[name] = std::move(t);
        }
        std::vector<std::pair<const OnnxNode*, OnnxLayer>> layers;
        const std::map<std::string, Tensor> values = onnx_run_graph(m, feeds, &layers);
        if (!layers_shown) {
            layers_shown = true;
            j["layers"] = json::array();
            for (const auto& [node, layer] : layers) {
                j["layers"].push_back({{"node", node->label()},
                                       {"engine", layer.description()},
                                       {"input_shape", layer.input_shape},
                                       {"output_shape", layer.output_shape()},
                                       {"notes", layer.notes}});
                text += "  " + node->label() + ": " + layer.description() + "  input " +
                        shape_to_string(layer.input_shape) + " -> output " + shape_to_string(layer.output_shape()) +
                        "\n";
                for (const std::string& note : layer.notes) text += "    note: " + note + "\n";
            }
        }
        json js = {{"name", set_name}, {"outputs", json::array()}, {"input_notices", notices}};
        bool set_pass = true;
        for (const std::string& n : notices) text += "    " + set_name + " " + n + "\n";
        for (size_t i = 0; i < out_files.size(); ++i) {
            OnnxTensorInfo info;
            const Tensor want = onnx_load_tensor(out_files[i].string(), &info);
            std::string name = i < m.outputs.size() ? m.outputs[i].name : info.name;
            for (const OnnxValueInfo& v : m.outputs)
                if (!info.name.empty() && v.name == info.name) name = info.name;
            auto it = values.find(name);
            json jo = {{"name", name}, {"expected_shape", want.shape}};
            std::string line = "  " + set_name + " " + q(name) + ": ";
            if (it == values.end()) {
                set_pass = false;
                jo["pass"] = false;
                jo["error"] = "the graph computes no value named " + q(name);
                line += "FAIL  " + jo["error"].get<std::string>();
            } else if (it->second.shape != want.shape) {
                set_pass = false;
                jo["pass"] = false;
                jo["shape"] = it->second.shape;
                jo["error"] =
                    "shape " + shape_to_string(it->second.shape) + ", expected " + shape_to_string(want.shape);
                line += "FAIL  " + jo["error"].get<std::string>();
            } else {
                const Comparison c = compare(it->second, want);
                set_pass = set_pass && c.pass;
                jo["pass"] = c.pass;
                jo["shape"] = it->second.shape;
                jo["max_abs_error"] = c.max_abs;
                jo["max_rel_error"] = c.max_rel;
                jo["mismatches"] = c.mismatches;
                line += std::string(c.pass ? "pass" : "FAIL") + "  " + shape_to_string(want.shape) + "  max abs err " +
                        number_text(c.max_abs) + "  max rel err " + number_text(c.max_rel);
                if (c.worst >= 0) {
                    jo["worst_index"] = index_text(want.shape, c.worst);
                    jo["worst_got"] = c.got_worst;
                    jo["worst_expected"] = c.want_worst;
                    if (!c.pass)
                        line += "  (" + std::to_string(c.mismatches) + " of " + std::to_string(want.numel()) +
                                " values outside tolerance; worst at " + index_text(want.shape, c.worst) + ": got " +
                                number_text(c.got_worst) + ", expected " + number_text(c.want_worst) + ")";
                }
            }
            text += line + "\n";
            js["outputs"].push_back(jo);
        }
        js["pass"] = set_pass;
        all_pass = all_pass && set_pass;
        j["data_sets"].push_back(js);
    }
    text += std::string(all_pass ? "PASS" : "FAIL") + " (" + std::to_string(sets.size()) + " data set" +
            (sets.size() == 1 ? "" : "s") + "; tolerance |got - expected| <= " + number_text(kAtol) + " + " +
            number_text(kRtol) + " * |expected|, ONNX's backend-test rule)\n";
    return {all_pass ? "pass" : "fail", all_pass ? "" : "outputs differ from ONNX's expected values"};
}

int run_check(const Options& o) {
    json j = {{"dir", o.check_dir}, {"tolerance", {{"rtol", kRtol}, {"atol", kAtol}}}};
    std::string text;
    CheckOutcome outcome;
    try {
        outcome = check_dir(o, j, text);
    } catch (const OnnxUnsupportedError& e) {
        outcome = {"unsupported", e.what()};
    } catch (const Error& e) {
        outcome = {"error", e.what()};
    }
    j["status"] = outcome.status;
    if (!outcome.reason.empty()) j["reason"] = outcome.reason;
    if (o.check_json)
        std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    else
        std::cout << text;
    if (outcome.status == "unsupported" || outcome.status == "error")
        std::fprintf(stderr, "%s%s\n", outcome.status == "unsupported" ? "unsupported: " : "", outcome.reason.c_str());
    return outcome.status == "pass" ? 0 : 1;
}

}  // namespace

SubcommandSet add_onnx_commands(CLI::App& app) {
    const auto o = std::make_shared<Options>();
    CLI::App* list = app.add_subcommand(
        "onnx-list",
        "List an ONNX model's Conv/MaxPool/AveragePool nodes: attributes, weight and bias shapes, graph inputs and "
        "outputs, and how each node maps onto the engine (exit 1 if no node can run)");
    list->add_option("model", o->list_model, "the .onnx file (or a directory holding model.onnx)")->required();
    list->add_flag("--json", o->list_json, "print JSON");

    CLI::App* check = app.add_subcommand(
        "onnx-check",
        "Run an ONNX conformance case (DIR/model.onnx + DIR/test_data_set_*/input_*.pb, output_*.pb) through the "
        "engine and compare with the expected outputs (rtol 1e-3, atol 1e-7); exit 0 if every data set passes, 1 if "
        "one fails or the model is unsupported");
    check->add_option("dir", o->check_dir, "the conformance case directory")->required();
    check->add_flag("--json", o->check_json, "print JSON (status: pass, fail, unsupported or error)");
    return {[o, list, check]() -> std::optional<int> {
        if (*list) return run_list(*o);
        if (*check) return run_check(*o);
        return std::nullopt;
    }};
}
