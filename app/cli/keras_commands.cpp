#include "keras_commands.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "file_io.hpp"
#include "keras_layer.hpp"

using namespace convscope;

int run_keras_shape(const Shape& input, const std::vector<std::string>& layers, bool json) {
    std::vector<KerasLayerSpec> specs;
    for (const std::string& t : layers) specs.push_back(parse_keras_layer(t));
    const std::vector<KerasShapeRow> rows = keras_shape_chain(input, specs);
    int64_t total = 0;
    bool failed = false;
    nlohmann::json j = {{"convention", "keras"}, {"input_shape", input}, {"layers", nlohmann::json::array()}};
    for (const KerasShapeRow& r : rows) {
        total += r.parameters;
        nlohmann::json jr = {{"layer", r.text},
                             {"input_shape", r.input_shape},
                             {"formula", r.formula},
                             {"params", r.parameters},
                             {"parameters", r.parameters}};
        jr["kernel"] = r.kernel.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.kernel);
        jr["bias"] = r.bias.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.bias);
        nlohmann::json pads = nlohmann::json::array();
        for (const auto& p : r.pads) pads.push_back({p[0], p[1]});
        jr["pads"] = pads;
        if (r.error.empty()) {
            jr["output"] = r.output_shape;
            jr["output_shape"] = r.output_shape;
        } else {
            jr["output"] = nullptr;
            jr["output_shape"] = nullptr;
            jr["error"] = r.error;
            failed = true;
        }
        j["layers"].push_back(jr);
        if (json) continue;
        std::printf("%s\n  input  %s\n", r.text.c_str(), python_tuple_text(r.input_shape).c_str());
        if (!r.error.empty()) {
            std::printf("  error  %s\n", r.error.c_str());
            continue;
        }
        std::printf("  output %s\n", python_tuple_text(r.output_shape).c_str());
        if (!r.kernel.empty())
            std::printf("  kernel %s   bias %s   params %s\n", python_tuple_text(r.kernel).c_str(),
                        r.bias.empty() ? "none" : python_tuple_text(r.bias).c_str(),
                        grouped_int(static_cast<uint64_t>(r.parameters)).c_str());
        if (!r.pads.empty()) {
            std::string p = "(";
            for (size_t i = 0; i < r.pads.size(); ++i)
                p += (i ? ", (" : "(") + std::to_string(r.pads[i][0]) + ", " + std::to_string(r.pads[i][1]) + ")";
            std::printf("  pads   %s  (before, after) per spatial axis\n",
                        (p + (r.pads.size() == 1 ? ",)" : ")")).c_str());
        }
        for (const std::string& f : r.formula) std::printf("    %s\n", f.c_str());
    }
    j["total_params"] = total;
    j["total_parameters"] = total;
    if (json)
        std::cout << j.dump(2) << "\n";
    else if (!failed)
        std::printf("total params: %s\n", grouped_int(static_cast<uint64_t>(total)).c_str());
    if (failed) {
        std::fprintf(stderr, "%s\n", rows.back().error.c_str());
        return 1;
    }
    return 0;
}
