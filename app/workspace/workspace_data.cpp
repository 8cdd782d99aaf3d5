// Data in, applied to the workspace between frames: starting loads, applying their results (only a complete, valid
// result changes the scene), CIFAR picks, pictures, ONNX Conv nodes, .npy weights, and scene files both ways.
//
// Sections: status and recent · starting loads · inputs (pictures, CIFAR) · weights · ONNX · scene files ·
//           applying a finished load
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "error.hpp"
#include "workspace.hpp"

namespace convscope::workspace {

namespace fs = std::filesystem;

namespace {

std::vector<int64_t> kernel_of(const Shape& w) {
    std::vector<int64_t> k(w.begin() + 2, w.end());
    if (k.size() == 2 && k[0] == k[1]) k.resize(1);
    return k;
}

std::string list_text(const std::vector<int64_t>& v) {
    std::string t;
    for (size_t i = 0; i < v.size(); ++i) t += (i ? "x" : "") + std::to_string(v[i]);
    return t;
}

bool user_weights(const Scene& sc) { return sc.weight_source.kind != SceneWeights::Kind::Builtin; }

// The current layer with a new input batch x (canonical (N, C, H, W)). With the built-in weights the layer follows
// the picture (Conv2d, in_channels = C); with loaded weights a mismatch is PyTorch's error and nothing changes.
bool edit_for_input(const Workspace& ws, const Shape& x, LayerEdit& e, std::string& note, std::string& error) {
    const Scene& sc = ws.latest_scene();
    e = sc.edit;
    e.input = InputSpec{x[0], x[1], x[2], x[3], false};
    if (e.layer.dims == 2) {
        const ConvCheck check = conv_layer_check(e.layer, input_shape(e));
        if (check.ok()) {
            e.input.c_follows_layer = x[1] == e.layer.in_channels;
            return true;
        }
        if (user_weights(sc)) {
            error = check.error;
            return false;
        }
    } else if (user_weights(sc)) {
        error = "the layer is " + layer_python_text(e.layer) +
                " with loaded weights; a picture needs nn.Conv2d "
                "(load Conv2d weights or choose a Conv2d preset first)";
        return false;
    }
    const ConvLayer before = e.layer;
    e.layer.dims = 2;
    e.layer.in_channels = x[1];
    if (e.layer.params.groups > 1 &&
        (x[1] % e.layer.params.groups != 0 || e.layer.out_channels % e.layer.params.groups != 0))
        e.layer.params.groups = 1;
    e.input.c_follows_layer = true;
    note = "the layer now reads " + std::to_string(x[1]) + " channel(ws): " + layer_python_text(before) + " -> " +
           layer_python_text(e.layer);
    return true;
}

}  // namespace

// ---- status and recent ----

void app_set_status(Workspace& ws, const std::string& text, bool error) {
    ws.status = text;
    ws.status_error = error;
}

void app_batch_step(Workspace& ws, const std::string& error) {
    if (ws.batch_left == 0) return;
    if (!error.empty()) ws.batch_errors.push_back(error);
    if (--ws.batch_left > 0 || ws.batch_errors.empty()) return;
    const size_t failed = ws.batch_errors.size(), opened = ws.batch_total - failed;
    std::string text = failed == 1 ? ws.batch_errors.front()
                                   : std::to_string(failed) + " of " + std::to_string(ws.batch_total) +
                                         " dropped files were not opened: ";
    if (failed > 1)
        for (size_t i = 0; i < failed; ++i) text += (i ? "  |  " : "") + ws.batch_errors[i];
    if (opened > 0)
        text += " (" + std::to_string(opened) + (opened == 1 ? " other file opened)" : " other files opened)");
    app_set_status(ws, text, true);
    ws.batch_errors.clear();
}

void app_add_recent(Workspace& ws, const std::string& path, FilePurpose purpose) {
    recent_add(ws.recent, path, purpose);
    if (std::string error; !recent_save(ws.settings_dir, ws.recent, error))
        app_set_status(ws, ws.status + "  (" + error + ")", ws.status_error);
}

// ---- starting loads ----

void app_start_load(Workspace& ws, LoadRequest request) {
    if (request.purpose == FilePurpose::Cifar) ws.cifar.error.clear();
    ws.loader.start(request);
    app_set_status(ws, std::string("Loading ") + file_name(request.path) + " ...", false);
}

void app_request_load(Workspace& ws, LoadRequest request) {
    if (ws.loader.busy() || ws.loader.has_result() || !ws.load_queue.empty())
        ws.load_queue.push_back(std::move(request));
    else
        app_start_load(ws, std::move(request));
}

// ---- inputs ----

void app_use_image(Workspace& ws) {
    if (!ws.image) return;
    std::string error, note;
    try {
        Tensor x = image_batch(*ws.image, ws.image_options);
        LayerEdit e;
        if (!edit_for_input(ws, x.shape, e, note, error)) throw Error(error);
        SceneData d;
        d.input_source.kind = SceneInput::Kind::Image;
        d.input_source.path = ws.image_path;
        d.input_source.greyscale = ws.image_options.greyscale;
        d.input_source.center_crop = ws.image_options.center_crop;
        d.input_source.height = ws.image_options.height;
        d.input_source.width = ws.image_options.width;
        d.image_kind = image_batch_text(ws.image_path, *ws.image, ws.image_options);
        d.x = std::move(x);
        if (!app_apply_data(ws, e, d, error)) throw Error(error);
        ws.preset_key.clear();
        app_set_status(ws, "Opened " + file_name(ws.image_path) + (note.empty() ? "" : "; " + note), false);
    } catch (const std::exception& ex) {
        app_set_status(ws, file_name(ws.image_path) + ": " + ex.what() + " (the scene is unchanged)", true);
    }
}

void app_pick_cifar(Workspace& ws, const std::vector<int64_t>& indices, bool greyscale) {
    CifarBatch& v = ws.cifar;
    if (!v.set) {
        app_set_status(ws, "pick: no CIFAR set is open", true);
        return;
    }
    if (indices.empty() || indices.size() > 64) {
        app_set_status(ws, "pick: choose 1 to 64 images (the batch N)", true);
        return;
    }
    std::string error, note;
    try {
        Tensor x = cifar_batch(*v.set, indices, greyscale);
        LayerEdit e;
        if (!edit_for_input(ws, x.shape, e, note, error)) throw Error(error);
        SceneData d;
        d.input_source.kind = SceneInput::Kind::Cifar;
        d.input_source.path = v.path;
        d.input_source.indices = indices;
        d.input_source.greyscale = greyscale;
        d.image_kind = cifar_batch_text(*v.set, indices, greyscale);
        d.x = std::move(x);
        if (!app_apply_data(ws, e, d, error)) throw Error(error);
        v.selection = indices;
        v.greyscale = greyscale;
        ws.preset_key.clear();
        app_set_status(ws,
                       "Batch of " + std::to_string(indices.size()) + " from " + file_name(v.path) +
                           (note.empty() ? "" : "; " + note),
                       false);
    } catch (const std::exception& ex) {
        app_set_status(ws, file_name(v.path) + ": " + ex.what() + " (the scene is unchanged)", true);
    }
}

// ---- weights ----

namespace {

void use_weights(Workspace& ws, const LoadResult& r) {
    const Scene& sc = ws.latest_scene();
    const std::string name = file_name(r.request.path);
    const Tensor& w = r.weight;
    const bool has_bias = r.bias.numel() > 0 || !r.bias.shape.empty();
    const ConvCheck check = conv_check(sc.edit.layer.params, input_shape(sc.edit), w.shape,
                                       has_bias ? std::optional<Shape>(r.bias.shape) : std::nullopt);
    if (!check.ok()) {
        app_set_status(ws, name + ": RuntimeError: " + check.error + " (nothing changed)", true);
        ws.weights_info.text = "Not loaded: " + check.error;
        return;
    }
    LayerEdit e = sc.edit;
    e.layer.out_channels = w.shape[0];
    e.layer.kernel_size = kernel_of(w.shape);
    e.layer.bias = has_bias;
    std::vector<std::string> changed;
    if (e.layer.out_channels != sc.edit.layer.out_channels)
        changed.push_back("out_channels " + std::to_string(sc.edit.layer.out_channels) + " -> " +
                          std::to_string(w.shape[0]));
    if (e.layer.weight_shape() != sc.edit.layer.weight_shape() && e.layer.kernel_size != sc.edit.layer.kernel_size)
        changed.push_back("kernel_size " + list_text(sc.edit.layer.kernel_size) + " -> " +
                          list_text(e.layer.kernel_size));
    if (e.layer.bias != sc.edit.layer.bias) changed.push_back(has_bias ? "bias on" : "bias=False (no bias file)");
    SceneData d;
    d.w = canonical_4d(w, e.layer.dims);
    d.bias = r.bias;
    d.weight_source.kind = SceneWeights::Kind::Npy;
    d.weight_source.weight_path = fs::absolute(r.request.path).string();
    d.weight_source.bias_path = r.request.bias_path.empty() ? "" : fs::absolute(r.request.bias_path).string();
    d.weight_source.layout = r.request.layout;
    std::string error;
    if (!app_apply_data(ws, e, d, error)) {
        app_set_status(ws, name + ": " + error + " (nothing changed)", true);
        return;
    }
    WeightsInfo& info = ws.weights_info;
    info.text = name + ": " +
                (r.request.layout == WeightLayout::Keras ? "assumed Keras layout; " : "assumed PyTorch layout; ") +
                (r.permutation.empty() ? "used as stored" : r.permutation) + ". weight " +
                shape_to_string(e.layer.weight_shape());
    info.text += has_bias ? ", bias from " + file_name(r.request.bias_path) : ", no bias";
    if (!changed.empty()) {
        info.text += ". The layer was set from the weight's shape: ";
        for (size_t i = 0; i < changed.size(); ++i) info.text += (i ? ", " : "") + changed[i];
    }
    info.notices = r.notices;
    ws.preset_key.clear();
    app_set_status(ws, "Loaded weights " + name + (changed.empty() ? "" : " (layer set from the weight's shape)"),
                   false);
}

// ---- ONNX ----

}  // namespace

void app_use_onnx_node(Workspace& ws, int index, bool test_input) {
    OnnxView& v = ws.onnx;
    if (!v.data || index < 0 || index >= static_cast<int>(v.data->model.nodes.size())) return;
    const OnnxModel& m = v.data->model;
    const OnnxNode& node = m.nodes[static_cast<size_t>(index)];
    v.selected = index;
    v.max_diff.reset();
    v.expected_scene = 0;
    try {
        if (node.op != OnnxOp::Conv) throw Error(node.label() + " is not a Conv node");
        const bool use_test = test_input && v.data->test_input;
        const Scene& sc = ws.latest_scene();
        Shape in = node.input_shape ? *node.input_shape : input_shape(sc.edit);
        if (use_test) in = v.data->test_input->shape;
        const OnnxLayer L = onnx_resolve_node(m, node, in);
        auto value = [&](const std::string& name) {
            const OnnxInitializer* init = m.find_initializer(name);
            if (!init) throw Error(node.label() + ": '" + name + "' is not a constant of the model");
            if (!init->value) throw Error(node.label() + ": " + name + ": " + init->error);
            return *init->value;
        };
        const Tensor w = value(L.weight_name);
        LayerEdit e = sc.edit;
        e.layer.dims = L.dims;
        e.layer.in_channels = in[1];
        e.layer.out_channels = w.shape[0];
        e.layer.kernel_size = kernel_of(w.shape);
        e.layer.params = L.conv;
        e.layer.bias = !L.bias_name.empty();
        e.input = L.dims == 1 ? InputSpec{in[0], in[1], 1, in[2], true} : InputSpec{in[0], in[1], in[2], in[3], true};
        SceneData d;
        if (e.layer.bias) d.bias = value(L.bias_name);
        d.w = canonical_4d(w, L.dims);
        d.weight_source.kind = SceneWeights::Kind::Onnx;
        d.weight_source.onnx_path = v.data->path;
        d.weight_source.onnx_node = node.name.empty() ? node.label() : node.name;
        if (use_test) {
            d.x = canonical_4d(*v.data->test_input, L.dims);
            d.input_source.kind = SceneInput::Kind::Embedded;
            d.image_kind = "test_data_set_0/input_0.pb";
        }
        std::string error;
        if (!app_apply_data(ws, e, d, error)) throw Error(error);
        v.note = L.description();
        for (const std::string& n : L.notes) v.note += "\n" + n;
        const bool graph_output = !node.outputs.empty() && !m.outputs.empty() && node.outputs[0] == m.outputs[0].name;
        if (use_test && v.data->test_output && graph_output) {
            v.expected = *v.data->test_output;
            v.expected_scene = ws.pending ? ws.pending->id : ws.scene->id;
        }
        ws.preset_key.clear();
        app_set_status(ws, "Scene takes " + node.label() + " from " + file_name(v.data->path), false);
    } catch (const std::exception& ex) {
        v.note = std::string("Not used: ") + ex.what();
        app_set_status(ws, file_name(v.data->path) + ": " + ex.what() + " (nothing changed)", true);
    }
}

// ---- scene files ----

SceneFile scene_file_from_state(const Workspace& ws, const SceneView& view) {
    const Scene& sc = *ws.scene;
    const ConvGeometry& g = sc.geo;
    SceneFile f;
    for (const Preset& p : ws.presets)
        if (p.key == ws.preset_key) f.title = p.label;
    f.input = sc.input_source;
    f.input.tensor = Tensor();
    if (f.input.kind == SceneInput::Kind::Builtin) {
        f.input.height = g.dims == 1 ? 1 : g.in[0];
        f.input.width = g.in[1];
    } else if (f.input.kind == SceneInput::Kind::Embedded) {
        f.input.tensor = torch_form(sc.x, g.dims);
    }
    f.layer = sc.edit.layer;
    f.batch = g.n;
    f.weights = sc.weight_source;
    f.weights.weight = Tensor(), f.weights.bias = Tensor();
    if (f.weights.kind == SceneWeights::Kind::Embedded) {
        f.weights.weight = torch_form(sc.w, g.dims);
        if (sc.edit.layer.bias) f.weights.bias = sc.bias;
    }
    f.cursor_step = ws.step;
    f.granularity = ws.granularity;
    f.view = view;
    f.view.selected_c_out = ws.cs.c_out;
    f.view.conventions = ws.conventions;
    return f;
}

bool app_save_scene(Workspace& ws, const std::string& path, bool overwrite, const SceneView& view) {
    std::error_code ec;
    if (path.empty()) return false;
    if (fs::exists(path, ec) && !overwrite) {
        ws.requests.confirm_overwrite = path;
        app_set_status(ws, file_name(path) + " exists: confirm to overwrite it", true);
        return false;
    }
    try {
        scene_save(path, scene_file_from_state(ws, view));
    } catch (const std::exception& e) {
        app_set_status(ws, std::string("Not saved: ") + e.what(), true);
        return false;
    }
    ws.requests.overwrite_confirmed = true;
    ws.scene_path = fs::absolute(path).string();
    ws.scene_path_builtin = false;
    app_set_status(ws, "Saved scene " + file_name(path), false);
    app_add_recent(ws, ws.scene_path, FilePurpose::Scene);
    return true;
}

namespace {

void use_scene(Workspace& ws, const LoadedScene& ls) {
    const SceneFile& f = ls.file;
    const Granularity old_granularity = ws.granularity;
    ws.granularity = f.granularity;
    std::string error;
    if (!app_apply_data(ws, ls.edit, ls.data, error)) {
        ws.granularity = old_granularity;
        app_set_status(ws, file_name(ls.path) + ": " + error + " (the current scene stays)", true);
        return;
    }
    const uint64_t id = ws.pending ? ws.pending->id : ws.scene->id;
    if (ws.pending)
        ws.step_on_install = std::make_pair(id, f.cursor_step);
    else
        ws.step = f.cursor_step;
    std::error_code ec;
    const fs::path assets = fs::weakly_canonical(fs::path(ws.asset_dir) / "scenes", ec);
    const fs::path parent = fs::weakly_canonical(fs::path(ls.path).parent_path(), ec);
    const bool builtin = !ws.asset_dir.empty() && parent == assets;
    if (!builtin) {
        ws.requests.scene_view = f.view;  // the window takes the zoom, scale and reveal settings
    }
    if (f.view.conventions) app_set_conventions(ws, *f.view.conventions, false);  // the scene's naming, not remembered
    ws.preset_key.clear();
    for (const Preset& p : ws.presets)
        if (!f.title.empty() && (p.label == f.title || p.key == f.title)) ws.preset_key = p.key;
    if (ls.cifar) {
        ws.cifar.set = ls.cifar;
        ws.cifar.path = f.input.path;
        ws.cifar.selection = f.input.indices;
        ws.cifar.greyscale = f.input.greyscale;
        ws.requests.cifar_list_changed = true;
    }
    if (ls.image) {
        ws.image = ls.image;
        ws.image_path = ls.image_path;
        ws.image_options = ImageOptions{f.input.greyscale, f.input.center_crop, f.input.height, f.input.width};
    }
    ws.weights_info = WeightsInfo{};
    ws.scene_path = ls.path;
    ws.scene_path_builtin = builtin;
    app_set_status(ws, "Opened scene " + file_name(ls.path), false);
}

}  // namespace

void app_update_onnx_diff(Workspace& ws) {
    OnnxView& v = ws.onnx;
    if (v.expected_scene == 0 || v.max_diff || !ws.output || ws.output->scene->id != v.expected_scene) return;
    const Tensor& y = ws.output->y;
    if (y.numel() != v.expected.numel()) {
        v.note += "\noutput_0.pb has " + shape_to_string(v.expected.shape) + "; the layer gives " +
                  shape_to_string(ws.geo().output_shape_torch());
        v.expected_scene = 0;
        return;
    }
    float m = 0.0f;
    for (int64_t i = 0; i < y.numel(); ++i) {
        const float d = std::fabs(y.data[static_cast<size_t>(i)] - v.expected.data[static_cast<size_t>(i)]);
        m = std::isnan(d) ? d : std::max(m, d);
    }
    v.max_diff = m;
}

// ---- applying a finished load ----

void app_take_load_result(Workspace& ws) {
    std::optional<LoadResult> got = ws.loader.take_result();
    if (!got) {
        if (!ws.loader.busy() && !ws.load_queue.empty()) {
            LoadRequest next = ws.load_queue.front();
            ws.load_queue.erase(ws.load_queue.begin());
            app_start_load(ws, next);
        }
        return;
    }
    LoadResult& r = *got;
    const LoadRequest& q = r.request;
    struct BatchStep {  // whichever way this result is handled, it counts towards a dropped batch
        Workspace& ws;
        const std::string& error;
        ~BatchStep() { app_batch_step(ws, error); }
    } batch_step{ws, r.error};
    const bool builtin_scene =
        q.purpose == FilePurpose::Scene && !ws.asset_dir.empty() && q.path.rfind(ws.asset_dir + "/scenes/", 0) == 0;
    if (!r.error.empty()) {
        if (!r.outside.empty()) {
            if (ws.allow_outside_paths) {  // --allow-outside-paths: the user said yes on the command line
                LoadRequest again = q;
                again.allow_outside = true;
                ws.push(intent::Open{again});
                return;
            }
            ws.outside_request = q;  // the question (draw_outside_paths_question) repeats the load if the user agrees
            ws.outside_paths = r.outside;
        }
        if (q.purpose == FilePurpose::Cifar) {
            ws.cifar.error = r.error;
            ws.cifar.partial_records = r.partial_records;
            ws.cifar.ambiguous = r.ambiguous;
            ws.cifar.failed = q;
            ws.requests.show_cifar = true;
        }
        app_set_status(ws, r.error + " (nothing changed)", true);
        for (const Preset& p : ws.presets)
            if (builtin_scene && p.scene_file == q.path) {  // a broken shipped file: the preset's own settings
                ws.preset_key = p.key;
                app_apply_edit(ws, p.edit);
                app_set_status(ws, r.error + " (the built-in settings are used)", true);
            }
        return;
    }
    if (!builtin_scene) app_add_recent(ws, q.path, q.purpose);
    switch (q.purpose) {
        case FilePurpose::Image:
            ws.image = r.image;
            ws.image_path = fs::absolute(q.path).string();
            ws.image_options = q.image;
            app_use_image(ws);
            break;
        case FilePurpose::Cifar: {
            CifarBatch& v = ws.cifar;
            v.set = r.cifar;
            v.path = fs::absolute(q.path).string();
            v.selection.clear();
            v.error.clear();
            ws.requests.cifar_list_changed = true;
            app_set_status(ws,
                           "Opened " + file_name(q.path) + ": " + std::to_string(v.set->size()) + " images" +
                               (v.set->warnings.empty() ? "" : " (" + v.set->warnings.front() + ")"),
                           false);
            if (!q.pick.empty())
                app_pick_cifar(ws, q.pick, q.cifar_greyscale);
            else
                ws.requests.show_cifar = true;
            break;
        }
        case FilePurpose::Weights:
        case FilePurpose::Bias:
            use_weights(ws, r);
            break;
        case FilePurpose::Onnx: {
            ws.onnx = OnnxView{};
            ws.onnx.data = r.onnx;
            int convs = 0;
            for (const OnnxNode& n : r.onnx->model.nodes) convs += n.op == OnnxOp::Conv;
            app_set_status(ws, "Opened " + file_name(q.path) + ": " + std::to_string(convs) + " Conv node(ws)",
                           convs == 0);
            ws.requests.show_data = true;
            break;
        }
        case FilePurpose::Scene:
        case FilePurpose::SaveScene:
            use_scene(ws, *r.scene);
            break;
    }
}

}  // namespace convscope::workspace
