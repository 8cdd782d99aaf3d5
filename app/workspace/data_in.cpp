// Sections: purposes · loader thread · jobs · building inputs · scene files · recent files
#include "data_in.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "builtin_data.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "json_safe.hpp"
#include "npy.hpp"

namespace convscope::workspace {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_image_name(const std::string& n) {
    return ends_with(n, ".png") || ends_with(n, ".jpg") || ends_with(n, ".jpeg") || ends_with(n, ".bmp");
}

bool is_cifar_name(const std::string& n) {
    return ends_with(n, ".bin") || ends_with(n, ".tar.gz") || ends_with(n, ".tgz");
}

}  // namespace

// ---- purposes ----

const char* purpose_name(FilePurpose p) {
    switch (p) {
        case FilePurpose::Image:
            return "image";
        case FilePurpose::Cifar:
            return "CIFAR";
        case FilePurpose::Weights:
            return "weights";
        case FilePurpose::Bias:
            return "bias";
        case FilePurpose::Onnx:
            return "ONNX";
        case FilePurpose::Scene:
            return "scene";
        case FilePurpose::SaveScene:
            return "save scene";
    }
    return "file";
}

std::optional<FilePurpose> purpose_from_name(const std::string& name) {
    for (FilePurpose p : {FilePurpose::Image, FilePurpose::Cifar, FilePurpose::Weights, FilePurpose::Bias,
                          FilePurpose::Onnx, FilePurpose::Scene, FilePurpose::SaveScene})
        if (name == purpose_name(p)) return p;
    return std::nullopt;
}

const char* purpose_extensions(FilePurpose p) {
    switch (p) {
        case FilePurpose::Image:
            return ".png .jpg .jpeg .bmp";
        case FilePurpose::Cifar:
            return ".bin .tar.gz, or a folder";
        case FilePurpose::Weights:
        case FilePurpose::Bias:
            return ".npy";
        case FilePurpose::Onnx:
            return ".onnx";
        case FilePurpose::Scene:
        case FilePurpose::SaveScene:
            return ".json";
    }
    return "";
}

bool purpose_accepts(FilePurpose p, const fs::path& file) {
    const std::string n = lower(file.filename().string());
    switch (p) {
        case FilePurpose::Image:
            return is_image_name(n);
        case FilePurpose::Cifar:
            return is_cifar_name(n);
        case FilePurpose::Weights:
        case FilePurpose::Bias:
            return ends_with(n, ".npy");
        case FilePurpose::Onnx:
            return ends_with(n, ".onnx");
        case FilePurpose::Scene:
        case FilePurpose::SaveScene:
            return ends_with(n, ".json");
    }
    return false;
}

std::optional<FilePurpose> purpose_of_path(const std::string& path) {
    const std::string n = lower(fs::path(path).filename().string());
    if (ends_with(n, ".json")) return FilePurpose::Scene;
    if (ends_with(n, ".onnx")) return FilePurpose::Onnx;
    if (ends_with(n, ".npy")) return FilePurpose::Weights;
    if (is_image_name(n)) return FilePurpose::Image;
    if (is_cifar_name(n)) return FilePurpose::Cifar;
    std::error_code ec;
    if (fs::is_directory(path, ec)) return FilePurpose::Cifar;
    return std::nullopt;
}

std::string file_name(const std::string& path) {
    const std::string n = fs::path(path).filename().string();
    return n.empty() ? path : n;
}

// ---- loader thread ----

void Loader::start(LoadRequest request) {
    request_ = request;
    job_.start([request = std::move(request)](const std::atomic<bool>& cancel,
                                              std::atomic<float>& progress) -> std::optional<LoadResult> {
        return run_load(request, &cancel, &progress);
    });
}

// ---- jobs ----

namespace {

Tensor load_weight_npy(const std::string& path, WeightLayout layout, std::string& permutation,
                       std::vector<std::string>& notices) {
    NpyInfo info;
    Tensor w = npy_load(path, &info);
    for (const std::string& n : info.notices) notices.push_back(file_name(path) + ": " + n);
    if (w.rank() == 3 || w.rank() == 4) return weight_to_pytorch(w, layout, &permutation);
    throw FormatError(file_name(path) + " has shape " + shape_to_string(w.shape) +
                      ": a Conv1d weight has 3 dimensions and a Conv2d weight 4");
}

Tensor load_bias_npy(const std::string& path, std::vector<std::string>& notices) {
    NpyInfo info;
    Tensor b = npy_load(path, &info);
    for (const std::string& n : info.notices) notices.push_back(file_name(path) + ": " + n);
    if (b.rank() != 1)
        throw FormatError(file_name(path) + " has shape " + shape_to_string(b.shape) +
                          ": a bias has one dimension (out_channels)");
    return b;
}

std::shared_ptr<const OnnxData> load_onnx(const std::string& path) {
    auto d = std::make_shared<OnnxData>();
    d->path = fs::absolute(path).string();
    d->model = onnx_load(path);
    const fs::path dir = fs::path(path).parent_path() / "test_data_set_0";
    std::error_code ec;
    if (fs::is_regular_file(dir / "input_0.pb", ec) && fs::is_regular_file(dir / "output_0.pb", ec)) {
        try {
            d->test_input = onnx_load_tensor((dir / "input_0.pb").string());
            d->test_output = onnx_load_tensor((dir / "output_0.pb").string());
            d->test_note = "test_data_set_0: input " + shape_to_string(d->test_input->shape) + ", expected output " +
                           shape_to_string(d->test_output->shape);
        } catch (const std::exception& e) {
            d->test_input.reset();
            d->test_output.reset();
            d->test_note = std::string("test_data_set_0 could not be read: ") + e.what();
        }
    }
    return d;
}

}  // namespace

LoadResult run_load(const LoadRequest& request, const std::atomic<bool>* cancel, std::atomic<float>* progress) {
    LoadResult r;
    r.request = request;
    const std::string name = file_name(request.path);
    try {
        switch (request.purpose) {
            case FilePurpose::Image:
                r.image = std::make_shared<const DecodedImage>(image_load(request.path));
                break;
            case FilePurpose::Cifar: {
                CifarOpenOptions o;
                o.variant = request.variant;
                o.accept_partial = request.accept_partial;
                o.cancel = cancel;
                if (progress) o.progress = [progress](float p) { progress->store(p); };
                r.cifar = std::make_shared<const CifarDataset>(cifar_open(request.path, o));
                for (int64_t i : request.pick)
                    if (i < 0 || i >= r.cifar->size())
                        throw Error("--pick " + std::to_string(i) + ": " + name + " has images 0.." +
                                    std::to_string(r.cifar->size() - 1));
                break;
            }
            case FilePurpose::Weights:
            case FilePurpose::Bias:
                r.weight = load_weight_npy(request.path, request.layout, r.permutation, r.notices);
                if (!request.bias_path.empty()) r.bias = load_bias_npy(request.bias_path, r.notices);
                break;
            case FilePurpose::Onnx:
                r.onnx = load_onnx(request.path);
                break;
            case FilePurpose::Scene:
            case FilePurpose::SaveScene:
                r.scene = std::make_shared<const LoadedScene>(
                    load_scene_file(request.path, cancel, progress, request.allow_outside));
                break;
        }
    } catch (const OutsidePathsError& e) {
        r.error = name + ": " + e.what();
        r.outside = e.paths;
    } catch (const CifarPartialError& e) {
        r.error = e.what();
        r.partial_records = e.complete_records;
    } catch (const CifarAmbiguousError& e) {
        r.error = e.what();
        r.ambiguous = true;
    } catch (const std::bad_alloc&) {
        r.error = name + ": out of memory while loading";
    } catch (const std::exception& e) {
        r.error = e.what();
        if (r.error.find(name) == std::string::npos) r.error = name + ": " + r.error;
    }
    if (!r.error.empty()) {
        r.image.reset(), r.cifar.reset(), r.onnx.reset(), r.scene.reset();
        r.weight = Tensor(), r.bias = Tensor();
    }
    return r;
}

// ---- building inputs ----

Tensor cifar_batch(const CifarDataset& set, const std::vector<int64_t>& indices, bool greyscale) {
    const int64_t n = static_cast<int64_t>(indices.size()), c = greyscale ? 1 : 3, plane = 32 * 32;
    Tensor x(Shape{n, c, 32, 32});
    for (int64_t k = 0; k < n; ++k) {
        const int64_t i = indices[static_cast<size_t>(k)];
        if (i < 0 || i >= set.size())
            throw Error("image index " + std::to_string(i) + " is outside 0.." + std::to_string(set.size() - 1));
        const Tensor img = set.image(i);  // (3, 32, 32)
        float* dst = x.data.data() + k * c * plane;
        if (!greyscale) {
            std::copy(img.data.begin(), img.data.end(), dst);
            continue;
        }
        for (int64_t p = 0; p < plane; ++p)
            dst[p] = 0.299f * img.data[static_cast<size_t>(p)] + 0.587f * img.data[static_cast<size_t>(plane + p)] +
                     0.114f * img.data[static_cast<size_t>(2 * plane + p)];
    }
    return x;
}

std::string cifar_batch_text(const CifarDataset& set, const std::vector<int64_t>& indices, bool greyscale) {
    std::string names;
    for (size_t i = 0; i < std::min<size_t>(indices.size(), 4); ++i) {
        const int64_t k = indices[i];
        const uint8_t label = k >= 0 && k < set.size() ? set.images[static_cast<size_t>(k)].label : 0;
        names += (i ? ", " : "") + std::string("#") + std::to_string(k) + " " +
                 (label < set.label_names.size() ? set.label_names[label] : std::to_string(label));
    }
    if (indices.size() > 4) names += ", ...";
    return "CIFAR " + names + (greyscale ? " (greyscale)" : "");
}

std::string image_batch_text(const std::string& path, const DecodedImage& image, const ImageOptions& o) {
    return file_name(path) + " (" + std::to_string(image.width) + "x" + std::to_string(image.height) +
           (o.center_crop ? ", centre crop" : ", area resize") + (o.greyscale ? ", greyscale)" : ")");
}

Tensor image_batch(const DecodedImage& image, const ImageOptions& o) {
    Tensor t = image_to_tensor(image, o.height, o.width, o.center_crop ? ImageFit::CenterCrop : ImageFit::AreaResize,
                               o.greyscale);
    t.shape.insert(t.shape.begin(), 1);
    return t;
}

// ---- scene files ----

LoadedScene load_scene_file(const std::string& path, const std::atomic<bool>* cancel, std::atomic<float>* progress,
                            bool allow_outside) {
    LoadedScene r;
    r.path = fs::absolute(path).string();
    const std::string name = file_name(path);
    r.file = scene_load(path);
    if (!allow_outside) {
        std::vector<ScenePath> outside = scene_paths_outside_by_key(r.file, fs::path(r.path).parent_path().string());
        if (!outside.empty()) throw OutsidePathsError(std::move(outside));
    }
    const SceneFile& f = r.file;
    auto fail = [&](const std::string& field, const std::string& why) {
        throw FormatError(name + ": " + field + ": " + why);
    };
    // Messages from a referenced file already name that file; prefix the scene and the field.
    auto guarded = [&](const std::string& field, auto&& load) {
        try {
            return load();
        } catch (const CifarPartialError& e) {
            fail(field, e.what());
        } catch (const CifarAmbiguousError& e) {
            fail(field, e.what());
        } catch (const std::exception& e) {
            fail(field, e.what());
        }
        throw FormatError(name);  // not reached
    };
    LayerEdit& e = r.edit;
    e.layer = f.layer;
    const int dims = f.layer.dims;
    if (dims != 1 && dims != 2) fail("layer.dims", "must be 1 or 2");
    const SceneInput& in = f.input;
    SceneData& d = r.data;
    d.input_source = in;
    d.input_source.tensor = Tensor();
    std::optional<Tensor> x;
    switch (in.kind) {
        case SceneInput::Kind::Builtin: {
            if (f.batch < 1 || f.batch > 64) fail("batch", "must be 1..64");
            const int64_t h = in.height, w = in.width;
            e.input = InputSpec{f.batch, f.layer.in_channels, dims == 1 ? 1 : h, w, true};
            e.input.picture = in.builtin;
            break;
        }
        case SceneInput::Kind::Cifar: {
            if (in.indices.empty()) fail("input.indices", "names no image");
            CifarOpenOptions o;
            o.cancel = cancel;
            if (progress) o.progress = [progress](float p) { progress->store(p * 0.9f); };
            r.cifar =
                guarded("input.path", [&] { return std::make_shared<const CifarDataset>(cifar_open(in.path, o)); });
            x = guarded("input.indices", [&] { return cifar_batch(*r.cifar, in.indices, in.greyscale); });
            d.image_kind = cifar_batch_text(*r.cifar, in.indices, in.greyscale);
            break;
        }
        case SceneInput::Kind::Image: {
            r.image = guarded("input.path", [&] { return std::make_shared<const DecodedImage>(image_load(in.path)); });
            r.image_path = in.path;
            ImageOptions io{in.greyscale, in.center_crop, in.height, in.width};
            x = guarded("input", [&] { return image_batch(*r.image, io); });
            d.image_kind = image_batch_text(in.path, *r.image, io);
            break;
        }
        case SceneInput::Kind::Embedded:
            if (in.tensor.rank() != dims + 2)
                fail("input.tensor", "has shape " + shape_to_string(in.tensor.shape) + "; nn.Conv" +
                                         std::to_string(dims) + "d's input here is " +
                                         (dims == 1 ? "(N, C, L)" : "(N, C, H, W)"));
            x = canonical_4d(in.tensor, dims);
            d.image_kind = "embedded in " + name;
            break;
    }
    if (x) {
        const Shape& s = x->shape;
        e.input = InputSpec{s[0], s[1], s[2], s[3], s[1] == f.layer.in_channels};
    }
    const ConvCheck check = conv_layer_check(e.layer, input_shape(e));
    if (!check.ok()) fail("layer", check.error);
    const ConvGeometry& g = *check.geometry;
    if (!x)
        x = guarded("input.name",
                    [&] { return builtin_input(g, in.builtin, d.image_kind); });  // never the previous scene's numbers
    d.x = std::move(*x);

    const Shape wshape{g.c_out, g.c_in_per_group, g.kernel[0], g.kernel[1]};
    const SceneWeights& sw = f.weights;
    d.weight_source = sw;
    d.weight_source.weight = Tensor(), d.weight_source.bias = Tensor();
    auto check_weight = [&](const Tensor& w, const std::string& field) {
        const Tensor c = canonical_4d(w, dims);
        if (w.rank() != dims + 2 || c.shape != wshape)
            fail(field, "has shape " + shape_to_string(w.shape) + " but " + layer_python_text(e.layer) +
                            " has a weight of " + shape_to_string(e.layer.weight_shape()));
        d.w = c;
    };
    auto check_bias = [&](const Tensor& b, const std::string& field) {
        if (!e.layer.bias) return;
        if (b.rank() != 1 || b.shape[0] != g.c_out)
            fail(field, "has shape " + shape_to_string(b.shape) + " but the layer needs a bias of [" +
                            std::to_string(g.c_out) + "]");
        d.bias = b;
    };
    switch (sw.kind) {
        case SceneWeights::Kind::Builtin:
            d.builtin_weights = true;
            break;
        case SceneWeights::Kind::Embedded:
            check_weight(sw.weight, "weights.weight");
            if (e.layer.bias && sw.bias.numel() == 0) fail("weights.bias", "the layer has a bias but none is stored");
            check_bias(sw.bias, "weights.bias");
            break;
        case SceneWeights::Kind::Npy: {
            std::string perm;
            std::vector<std::string> notes;
            check_weight(
                guarded("weights.weight", [&] { return load_weight_npy(sw.weight_path, sw.layout, perm, notes); }),
                "weights.weight");
            if (e.layer.bias) {
                if (sw.bias_path.empty()) fail("weights.bias", "the layer has a bias but no bias file is named");
                check_bias(guarded("weights.bias", [&] { return load_bias_npy(sw.bias_path, notes); }), "weights.bias");
            }
            break;
        }
        case SceneWeights::Kind::Onnx: {
            const OnnxModel m = guarded("weights.model", [&] { return onnx_load(sw.onnx_path); });
            const OnnxNode* node = nullptr;
            for (const OnnxNode& n : m.nodes)
                if (n.op == OnnxOp::Conv && (n.name == sw.onnx_node || n.label() == sw.onnx_node)) node = &n;
            if (!node) fail("weights.node", "no Conv node '" + sw.onnx_node + "' in " + file_name(sw.onnx_path));
            auto value = [&](size_t input, const std::string& field) {
                const OnnxInitializer* init =
                    node->inputs.size() > input ? m.find_initializer(node->inputs[input]) : nullptr;
                if (!init) fail(field, node->label() + " has no constant input " + std::to_string(input));
                if (!init->value) fail(field, init->name + ": " + init->error);
                return *init->value;
            };
            check_weight(value(1, "weights.node"), "weights.node");
            if (e.layer.bias) check_bias(value(2, "weights.node"), "weights.node");
            break;
        }
    }
    if (progress) progress->store(1.0f);
    return r;
}

// ---- recent files ----

std::string default_settings_dir() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg == '/') return (fs::path(xdg) / "convscope").string();
    const char* home = std::getenv("HOME");
    if (home && *home) return (fs::path(home) / ".config" / "convscope").string();
    return {};
}

std::string recent_files_path(const std::string& settings_dir) {
    return settings_dir.empty() ? std::string() : (fs::path(settings_dir) / "recent.json").string();
}

bool recent_load(const std::string& settings_dir, std::vector<RecentFile>& out, std::string& error) {
    out.clear();
    const std::string path = recent_files_path(settings_dir);
    if (path.empty()) return true;
    std::error_code ec;
    if (!fs::exists(path, ec)) return true;
    try {
        if (!fs::is_regular_file(path) || fs::file_size(path) > (1u << 20)) throw Error("not a small regular file");
        std::ifstream f(path);
        const nlohmann::json j = nlohmann::json::parse(f);
        for (const auto& e : j.at("files")) {
            const auto p = purpose_from_name(e.at("purpose").get<std::string>());
            if (!p) continue;
            const auto file = path_from_json(e.at("path"));  // a string, or {"bytes_hex": ...} for non-UTF-8 names
            if (!file) continue;
            out.push_back({*file, *p});
            if (out.size() >= kMaxRecent) break;
        }
    } catch (const std::exception& e) {
        out.clear();
        error = "recent files not read from " + path + ": " + e.what();
        return false;
    }
    return true;
}

bool recent_save(const std::string& settings_dir, const std::vector<RecentFile>& list, std::string& error) {
    const std::string path = recent_files_path(settings_dir);
    if (path.empty()) return true;  // no settings folder: automation, or neither XDG_CONFIG_HOME nor HOME is set
    nlohmann::json files = nlohmann::json::array();
    // Paths are bytes: a name that is not UTF-8 is stored losslessly (json_safe.hpp), and nothing here throws.
    for (const RecentFile& r : list)
        files.push_back({{"path", path_to_json(r.path)}, {"purpose", purpose_name(r.purpose)}});
    const nlohmann::json j = {{"version", 1}, {"files", files}};
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const std::string text = json_dump_safe(j, 1) + "\n";
    try {
        write_file_atomically(path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    } catch (const Error& e) {
        error = "recent files not saved: " + escape_invalid_utf8(e.what());
        return false;
    }
    return true;
}

void recent_add(std::vector<RecentFile>& list, const std::string& path, FilePurpose purpose) {
    std::error_code ec;
    const fs::path abs = fs::absolute(path, ec);
    const std::string p = ec ? path : abs.lexically_normal().string();
    list.erase(std::remove_if(list.begin(), list.end(), [&](const RecentFile& r) { return r.path == p; }), list.end());
    list.insert(list.begin(), RecentFile{p, purpose == FilePurpose::SaveScene ? FilePurpose::Scene : purpose});
    if (list.size() > kMaxRecent) list.resize(kMaxRecent);
}

}  // namespace convscope::workspace
