// Sections: text helpers · code_layer_from_text · PyTorch · NumPy · Keras
#include "codegen.hpp"

#include <sstream>

#include "error.hpp"
#include "file_io.hpp"
#include "keras_layer.hpp"
#include "layer_text.hpp"
#include "tf_padding.hpp"

namespace convscope {

namespace {

// ---- text helpers ----
std::string tuple_text(const std::vector<int64_t>& v) { return python_tuple_text(v); }

std::string py_string(const std::string& s) {
    std::string t = "'";
    for (char c : s) {
        if (c == '\\' || c == '\'') t += '\\';
        t += c;
    }
    return t + "'";
}

// The spatial values of a canonical [H, W] array: {H, W} for 2-D, {W} for 1-D.
std::vector<int64_t> spatial(const ConvGeometry& g, const std::array<int64_t, 2>& a) {
    return g.dims == 1 ? std::vector<int64_t>{a[1]} : std::vector<int64_t>{a[0], a[1]};
}

bool symmetric_pads(const ConvGeometry& g) { return g.pad_begin == g.pad_end; }

Shape weight_shape(const ConvGeometry& g) {
    Shape w{g.c_out, g.c_in_per_group};
    for (int64_t k : spatial(g, g.kernel)) w.push_back(k);
    return w;
}

// The cursor's element as an index into the output the framework returns (PyTorch order; no n when unbatched).
std::vector<int64_t> cursor_index(const CodeLayer& c) {
    std::vector<int64_t> i;
    if (!c.geometry.unbatched) i.push_back(c.cursor[0]);
    i.push_back(c.cursor[1]);
    if (c.geometry.dims == 2) i.push_back(c.cursor[2]);
    i.push_back(c.cursor[3]);
    return i;
}

std::string index_text(const std::vector<int64_t>& i) {
    std::string t;
    for (size_t k = 0; k < i.size(); ++k) t += (k ? ", " : "") + std::to_string(i[k]);
    return t;
}

std::string header(const CodeLayer& c, const char* what) {
    std::ostringstream s;
    s << "#!/usr/bin/env python3\n";
    s << "# convscope: " << what << " for " << c.source_text << "\n";
    s << "# on an input of shape " << shape_text_in_convention(c.written_in, TensorRole::Data, c.input)
      << (c.written_in == Convention::Keras ? " (channels-last)" : "") << "\n";
    if (c.written_in == Convention::Keras) {
        s << "# Written as a Keras layer: PyTorch order here is input " << tuple_text(c.input) << ", weight "
          << tuple_text(weight_shape(c.geometry))
          << "; Keras's padding becomes explicit pads (before, after) per axis:";
        for (int64_t i = 2 - c.geometry.dims; i < 2; ++i)
            s << " (" << c.geometry.pad_begin[static_cast<size_t>(i)] << ", "
              << c.geometry.pad_end[static_cast<size_t>(i)] << ")";
        s << "\n";
    }
    return s.str();
}

// The tensors the script reads: name, PyTorch-layout shape.
std::vector<std::pair<std::string, Shape>> tensor_files(const CodeLayer& c) {
    std::vector<std::pair<std::string, Shape>> f{{"input.npy", c.input}, {"weight.npy", weight_shape(c.geometry)}};
    if (c.layer.bias) f.push_back({"bias.npy", {c.geometry.c_out}});
    return f;
}

// `random[...]` drawn in a fixed order, then load() prefers the file: the same seed gives the same tensors whichever
// files exist.
std::string loader(const CodeLayer& c, bool torch) {
    std::ostringstream s;
    s << "data_dir = sys.argv[1] if len(sys.argv) > 1 else " << py_string(c.data_dir) << "\n";
    if (torch)
        s << "torch.manual_seed(" << c.seed << ")\n";
    else
        s << "rng = np.random.default_rng(" << c.seed << ")\n";
    s << "random = {\n";
    for (const auto& [name, shape] : tensor_files(c))
        s << "    " << py_string(name) << ": "
          << (torch ? "torch.randn(" + tuple_text(shape) + ")"
                    : "rng.standard_normal(" + tuple_text(shape) + ").astype(np.float32)")
          << ",\n";
    s << "}\n\n\n";
    s << "def load(name):\n";
    s << "    path = os.path.join(data_dir, name)\n";
    s << "    if not os.path.exists(path):\n";
    s << "        return random[name]\n";
    s << "    t = np.load(path).astype(np.float32)\n";
    s << "    if t.shape != tuple(random[name].shape):\n";
    s << "        sys.exit(f\"{path} has shape {t.shape}, expected {tuple(random[name].shape)}\")\n";
    s << (torch ? "    return torch.from_numpy(t)\n" : "    return t\n");
    s << "\n\n";
    return s.str();
}

std::string run_note(const CodeLayer& c, const char* random_source) {
    return "# Run: python3 THIS_FILE [DATA_DIR]   (default " + py_string(c.data_dir) +
           ")\n#   DATA_DIR may hold input.npy, weight.npy" +
           (c.layer.bias ? std::string(", bias.npy") : std::string()) +
           " in PyTorch's layout (convscope's exports);\n#   a missing one is random: " + random_source + "(" +
           std::to_string(c.seed) + ").\n";
}

}  // namespace

std::optional<CodeFramework> parse_code_framework(const std::string& name) {
    if (name == "pytorch") return CodeFramework::PyTorch;
    if (name == "keras") return CodeFramework::Keras;
    if (name == "numpy") return CodeFramework::NumPy;
    if (name == "onnx") return CodeFramework::Onnx;
    return std::nullopt;
}

const char* code_framework_key(CodeFramework f) {
    switch (f) {
        case CodeFramework::PyTorch:
            return "pytorch";
        case CodeFramework::Keras:
            return "keras";
        case CodeFramework::NumPy:
            return "numpy";
        case CodeFramework::Onnx:
            return "onnx";
    }
    return "?";
}

// ---- code_layer_from_text ----
CodeLayer code_layer_from_text(const std::string& text, const Shape& input) {
    CodeLayer c;
    c.source_text = text;
    c.written_in = chain_convention({text});
    if (c.written_in == Convention::Keras) {
        const KerasLayerSpec spec = parse_keras_layer(text);
        const auto* conv = std::get_if<KerasConv>(&spec.layer);
        if (!conv)
            throw ConfigError("code writes convolution layers (Conv1D, Conv2D); \"" + text + "\" is a " + spec.kind);
        // The whole Keras check (input_shape=, rank, pads), as `shape` runs it.
        const std::vector<KerasShapeRow> rows = keras_shape_chain(input, {spec});
        if (!rows.back().error.empty()) throw ConfigError(rows.back().error);
        c.layer = keras_conv_to_torch(*conv, input);
        Shape first{input.front(), input.back()};
        first.insert(first.end(), input.begin() + 1, input.end() - 1);
        c.input = first;
    } else {
        const LayerSpec spec = parse_layer(text);
        const auto* conv = std::get_if<ConvLayer>(&spec.layer);
        if (!conv)
            throw ConfigError("code writes convolution layers (Conv1d, Conv2d); \"" + text + "\" is a " + spec.kind);
        c.layer = *conv;
        c.input = input;
    }
    const ConvCheck check = conv_layer_check(c.layer, c.input);
    if (!check.ok()) throw ConfigError(check.error);
    c.geometry = *check.geometry;
    return c;
}

void set_code_cursor(CodeLayer& c, const std::array<int64_t, 4>& cursor) {
    const Shape out = c.geometry.output_shape();  // canonical (N, C_out, H_out, W_out)
    for (size_t i = 0; i < 4; ++i)
        if (cursor[i] < 0 || cursor[i] >= out[i])
            throw ConfigError("the cursor (n, c_out, y, x) = (" + index_text({cursor.begin(), cursor.end()}) +
                              ") is outside the output of shape " + shape_to_string(c.geometry.output_shape_torch()));
    c.cursor = cursor;
}

CodeLayer code_layer_from_conv(const ConvLayer& layer, const Shape& input, const std::array<int64_t, 4>& cursor,
                               const std::string& source, const std::string& where) {
    CodeLayer c;
    c.source_text = source;
    c.layer = layer;
    c.input = input;
    const ConvCheck check = conv_layer_check(layer, input);
    if (!check.ok())
        throw ConfigError(where + ": the scene's layer does not run on its input " + shape_to_string(input) + ": " +
                          check.error);
    c.geometry = *check.geometry;
    set_code_cursor(c, cursor);
    return c;
}

std::string code_scene_source(const std::string& title, const std::string& path) {
    return (title.empty() ? path : title) + " (scene " + file_base_name(path) + ")";
}

// ---- PyTorch ----
std::string code_pytorch(const CodeLayer& c) {
    const ConvGeometry& g = c.geometry;
    const std::string dim = g.dims == 1 ? "1d" : "2d";
    const bool explicit_asymmetric = c.layer.params.padding_kind == PaddingKind::Explicit && !symmetric_pads(g);
    std::ostringstream s;
    s << header(c, "PyTorch code") << run_note(c, "torch.manual_seed");
    s << "import os\nimport sys\n\nimport numpy as np\nimport torch\n\n";
    s << loader(c, true);
    std::string padding;
    if (c.layer.params.padding_kind == PaddingKind::Same)
        padding = "'same'";
    else if (c.layer.params.padding_kind == PaddingKind::Valid || explicit_asymmetric)
        padding = "0";
    else
        padding = tuple_text(spatial(g, g.pad_begin));
    s << "conv = torch.nn.Conv" << dim << "(" << g.c_in << ", " << g.c_out
      << ", kernel_size=" << tuple_text(spatial(g, g.kernel)) << ", stride=" << tuple_text(spatial(g, g.stride))
      << ", padding=" << padding << ", dilation=" << tuple_text(spatial(g, g.dilation)) << ",\n"
      << "                       groups=" << g.groups << ", bias=" << (c.layer.bias ? "True" : "False")
      << ", padding_mode=" << py_string(padding_mode_name(g.mode)) << ")\n";
    if (explicit_asymmetric) {
        // nn.Conv*d pads both sides alike; uneven pads (Keras's 'same' with strides, 'causal') come first.
        s << "# uneven pads (before, after) per axis: a zero-padding layer first, then the convolution with "
             "padding=0\n";
        if (g.dims == 1)
            s << "layer = torch.nn.Sequential(torch.nn.ConstantPad1d((" << g.pad_begin[1] << ", " << g.pad_end[1]
              << "), 0.0), conv)\n";
        else
            s << "layer = torch.nn.Sequential(torch.nn.ZeroPad2d((" << g.pad_begin[1] << ", " << g.pad_end[1] << ", "
              << g.pad_begin[0] << ", " << g.pad_end[0] << ")), conv)\n";
    } else {
        s << "layer = conv\n";
    }
    s << "x = load('input.npy')\n";
    s << "with torch.no_grad():\n";
    s << "    conv.weight.copy_(load('weight.npy'))\n";
    if (c.layer.bias) s << "    conv.bias.copy_(load('bias.npy'))\n";
    s << "    y = layer(x)\n\n";
    const std::string at = index_text(cursor_index(c));
    s << "print('output shape:', tuple(y.shape))  # " << tuple_text(g.output_shape_torch()) << "\n";
    s << "print('y[" << at << "] =', y[" << at << "].item())\n";
    return s.str();
}

// ---- NumPy ----
std::string code_numpy(const CodeLayer& c) {
    const ConvGeometry& g = c.geometry;
    const bool two_d = g.dims == 2;
    const char* np_mode = g.mode == PaddingMode::Zeros       ? "constant"
                          : g.mode == PaddingMode::Reflect   ? "reflect"
                          : g.mode == PaddingMode::Replicate ? "edge"
                                                             : "wrap";
    std::ostringstream s;
    s << header(c, "NumPy loop nest") << run_note(c, "np.random.default_rng");
    s << "# The loops run in the order convscope's cursor walks: n, c_out, " << (two_d ? "y, x" : "x")
      << " (one output element),\n# then ci, " << (two_d ? "ky, kx" : "kx")
      << " (one multiply-add). Each input channel's products are summed first (the channel sums\n"
         "# of the Computation panel), then the channel sums and the bias, in float32.\n";
    s << "import os\nimport sys\n\nimport numpy as np\n\n";
    s << loader(c, false);
    s << "x = load('input.npy')\n";
    if (g.unbatched) s << "x = x[np.newaxis]  # the input has no batch axis: add one, drop it at the end\n";
    s << "w = load('weight.npy')\n";
    if (c.layer.bias)
        s << "b = load('bias.npy')\n";
    else
        s << "b = np.zeros(" << g.c_out << ", dtype=np.float32)  # bias=False\n";
    if (two_d) {
        s << "N, C_in, H, W = x.shape\n";
        s << "C_out, C_in_per_group, KH, KW = w.shape\n";
    } else {
        s << "N, C_in, L = x.shape\n";
        s << "C_out, C_in_per_group, KW = w.shape\n";
    }
    s << "groups = " << g.groups << "\n";
    s << "C_out_per_group = C_out // groups\n";
    if (two_d) {
        s << "stride_h, stride_w = " << g.stride[0] << ", " << g.stride[1] << "\n";
        s << "dilation_h, dilation_w = " << g.dilation[0] << ", " << g.dilation[1] << "\n";
        s << "pad_top, pad_bottom, pad_left, pad_right = " << g.pad_begin[0] << ", " << g.pad_end[0] << ", "
          << g.pad_begin[1] << ", " << g.pad_end[1] << "\n\n";
        s << "# padding_mode=" << py_string(padding_mode_name(g.mode))
          << ": pad first, as nn.Conv2d does (np.pad mode '" << np_mode << "')\n";
        s << "xp = np.pad(x, ((0, 0), (0, 0), (pad_top, pad_bottom), (pad_left, pad_right)), mode='" << np_mode
          << "')\n";
        s << "H_out = (H + pad_top + pad_bottom - dilation_h * (KH - 1) - 1) // stride_h + 1\n";
        s << "W_out = (W + pad_left + pad_right - dilation_w * (KW - 1) - 1) // stride_w + 1\n";
        s << "y = np.zeros((N, C_out, H_out, W_out), dtype=np.float32)\n\n";
        s << "for n in range(N):\n";
        s << "    for c_out in range(C_out):\n";
        s << "        group = c_out // C_out_per_group\n";
        s << "        for oy in range(H_out):\n";
        s << "            for ox in range(W_out):\n";
        s << "                total = np.float32(0)\n";
        s << "                for ci in range(C_in_per_group):\n";
        s << "                    c = group * C_in_per_group + ci  # the input channel this slice of the filter "
             "reads\n";
        s << "                    channel_sum = np.float32(0)\n";
        s << "                    for ky in range(KH):\n";
        s << "                        for kx in range(KW):\n";
        s << "                            iy = oy * stride_h + ky * dilation_h  # in the padded input: row iy - "
             "pad_top of x\n";
        s << "                            ix = ox * stride_w + kx * dilation_w\n";
        s << "                            channel_sum += xp[n, c, iy, ix] * w[c_out, ci, ky, kx]\n";
        s << "                    total += channel_sum\n";
        s << "                y[n, c_out, oy, ox] = total + b[c_out]\n\n";
    } else {
        s << "stride, dilation = " << g.stride[1] << ", " << g.dilation[1] << "\n";
        s << "pad_left, pad_right = " << g.pad_begin[1] << ", " << g.pad_end[1] << "\n\n";
        s << "# padding_mode=" << py_string(padding_mode_name(g.mode))
          << ": pad first, as nn.Conv1d does (np.pad mode '" << np_mode << "')\n";
        s << "xp = np.pad(x, ((0, 0), (0, 0), (pad_left, pad_right)), mode='" << np_mode << "')\n";
        s << "L_out = (L + pad_left + pad_right - dilation * (KW - 1) - 1) // stride + 1\n";
        s << "y = np.zeros((N, C_out, L_out), dtype=np.float32)\n\n";
        s << "for n in range(N):\n";
        s << "    for c_out in range(C_out):\n";
        s << "        group = c_out // C_out_per_group\n";
        s << "        for ox in range(L_out):\n";
        s << "            total = np.float32(0)\n";
        s << "            for ci in range(C_in_per_group):\n";
        s << "                c = group * C_in_per_group + ci  # the input channel this slice of the filter reads\n";
        s << "                channel_sum = np.float32(0)\n";
        s << "                for kx in range(KW):\n";
        s << "                    ix = ox * stride + kx * dilation  # in the padded input: element ix - pad_left of "
             "x\n";
        s << "                    channel_sum += xp[n, c, ix] * w[c_out, ci, kx]\n";
        s << "                total += channel_sum\n";
        s << "            y[n, c_out, ox] = total + b[c_out]\n\n";
    }
    if (g.unbatched) s << "y = y[0]\n";
    const std::string at = index_text(cursor_index(c));
    s << "print('output shape:', y.shape)  # " << tuple_text(g.output_shape_torch()) << "\n";
    s << "print('y[" << at << "] =', float(y[" << at << "]))\n";
    return s.str();
}

// ---- Keras ----
std::string code_keras(const CodeLayer& c) {
    const ConvGeometry& g = c.geometry;
    const bool two_d = g.dims == 2;
    if (g.mode != PaddingMode::Zeros)
        throw ConfigError(std::string("Keras's Conv1D/Conv2D pad with zeros only; padding_mode='") +
                          padding_mode_name(g.mode) +
                          "' has no Keras layer argument (convscope writes Keras code for padding_mode='zeros')");
    const std::vector<int64_t> strides = spatial(g, g.stride), dilation = spatial(g, g.dilation),
                               kernel = spatial(g, g.kernel), in = spatial(g, g.in);
    bool strided = false, dilated = false;
    for (int64_t v : strides) strided = strided || v != 1;
    for (int64_t v : dilation) dilated = dilated || v != 1;
    if (strided && dilated)
        throw ConfigError("Keras does not combine strides > 1 with dilation_rate > 1 (stride " + tuple_text(strides) +
                          ", dilation " + tuple_text(dilation) + "); this layer has no Keras equivalent");
    // Which Keras padding gives these pads: 'valid', 'same', 'causal', or ZeroPadding + 'valid'.
    const std::vector<int64_t> begin = spatial(g, g.pad_begin), end = spatial(g, g.pad_end);
    const std::optional<TfPadding> rule = keras_padding_of(g);
    std::string padding = rule ? tf_padding_name(*rule) : "";
    Shape x_keras{g.n}, y_keras{g.n};  // channels-last, always with the batch axis
    for (int64_t v : in) x_keras.push_back(v);
    for (int64_t v : spatial(g, g.out)) y_keras.push_back(v);
    x_keras.push_back(g.c_in);
    y_keras.push_back(g.c_out);
    const Shape kernel_hwio = shape_in_convention(Convention::Keras, TensorRole::Weight, weight_shape(g));
    const std::string dim = two_d ? "2D" : "1D";

    std::ostringstream s;
    s << header(c, "Keras code") << run_note(c, "np.random.default_rng");
    s << "# Keras is channels-last: input (N, " << (two_d ? "H, W" : "L") << ", C), kernel ("
      << (two_d ? "kH, kW" : "kW") << ", in/groups, filters).\n";
    s << "# Needs TensorFlow 2 (convscope checks this file's syntax and the shapes it states; it does not run it).\n";
    s << "import os\nimport sys\n\nimport numpy as np\nfrom tensorflow import keras\n\n";
    s << loader(c, false);
    s << "x_torch = load('input.npy')  # PyTorch layout " << tuple_text(c.input) << "\n";
    if (g.unbatched) s << "x_torch = x_torch[np.newaxis]  # Keras always has a batch axis\n";
    s << "weight = load('weight.npy')  # PyTorch layout " << tuple_text(weight_shape(g)) << "\n";
    if (c.layer.bias) s << "bias = load('bias.npy')  # (" << g.c_out << ",)\n";
    s << "x = np.transpose(x_torch, " << (two_d ? "(0, 2, 3, 1)" : "(0, 2, 1)") << ")  # " << tuple_text(x_keras)
      << "\n";
    s << "kernel = np.transpose(weight, " << (two_d ? "(2, 3, 1, 0)" : "(2, 1, 0)") << ")  # "
      << tuple_text(kernel_hwio) << "\n\n";
    s << "model = keras.Sequential([\n";
    s << "    keras.Input(shape=" << tuple_text(Shape(x_keras.begin() + 1, x_keras.end()))
      << ", batch_size=" << x_keras[0] << "),\n";
    if (padding.empty()) {
        s << "    # pads (before, after) Keras's 'same'/'valid'" << (two_d ? "" : "/'causal'")
          << " cannot write for this input: zero padding, then 'valid'\n";
        if (two_d)
            s << "    keras.layers.ZeroPadding2D(padding=((" << begin[0] << ", " << end[0] << "), (" << begin[1] << ", "
              << end[1] << "))),\n";
        else
            s << "    keras.layers.ZeroPadding1D(padding=(" << begin[0] << ", " << end[0] << ")),\n";
        padding = "valid";
    }
    s << "    keras.layers.Conv" << dim << "(" << g.c_out << ", " << tuple_text(kernel)
      << ", strides=" << tuple_text(strides) << ", padding='" << padding << "', dilation_rate=" << tuple_text(dilation);
    if (g.groups != 1) s << ", groups=" << g.groups;
    s << ", use_bias=" << (c.layer.bias ? "True" : "False") << "),\n";
    s << "])\n";
    s << "model.layers[-1].set_weights([kernel" << (c.layer.bias ? ", bias" : "") << "])\n";
    s << "y = model(x).numpy()\n\n";
    std::vector<int64_t> at{c.cursor[0]};
    if (two_d) at.push_back(c.cursor[2]);
    at.push_back(c.cursor[3]);
    at.push_back(c.cursor[1]);
    s << "print('output shape:', y.shape)  # expected " << tuple_text(y_keras) << "\n";
    s << "print('y[" << index_text(at) << "] =', float(y[" << index_text(at) << "]))  # PyTorch's y["
      << index_text(cursor_index(c)) << "]\n";
    return s.str();
}

}  // namespace convscope
