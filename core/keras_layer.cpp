// Sections: names and conventions · argument values · parse_keras_layer · engine forms · keras_shape_chain
#include "keras_layer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "checked_math.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "layer_text.hpp"

namespace convscope {

namespace {

// ---- names and conventions ----
std::string strip_keras_prefix(const std::string& name, bool* had_prefix = nullptr) {
    for (const char* prefix : {"tf.keras.layers.", "keras.layers.", "layers."})
        if (name.rfind(prefix, 0) == 0) {
            if (had_prefix) *had_prefix = true;
            return name.substr(std::string(prefix).size());
        }
    return name;
}

// Keras's canonical name for a supported class or alias; empty when not a supported Keras layer.
std::string keras_kind(const std::string& name) {
    static const std::map<std::string, std::string> kinds = {
        {"Conv1D", "Conv1D"},
        {"Conv2D", "Conv2D"},
        {"Convolution1D", "Conv1D"},
        {"Convolution2D", "Conv2D"},
        {"MaxPooling1D", "MaxPooling1D"},
        {"MaxPool1D", "MaxPooling1D"},
        {"MaxPooling2D", "MaxPooling2D"},
        {"MaxPool2D", "MaxPooling2D"},
        {"AveragePooling1D", "AveragePooling1D"},
        {"AvgPool1D", "AveragePooling1D"},
        {"AveragePooling2D", "AveragePooling2D"},
        {"AvgPool2D", "AveragePooling2D"},
        {"Dense", "Dense"},
        {"ReLU", "ReLU"},
        {"Flatten", "Flatten"},
    };
    auto it = kinds.find(name);
    return it == kinds.end() ? std::string() : it->second;
}

bool is_torch_only_name(const std::string& name) {
    for (const char* n : {"Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
                          "AvgPool1d", "AvgPool2d", "Linear"})
        if (name == n) return true;
    return false;
}

// ---- argument values ----
std::string value_text(const CallValue& v) {
    switch (v.kind) {
        case CallValue::Kind::Int:
            return std::to_string(v.i);
        case CallValue::Kind::Tuple:
            return python_tuple_text(v.tuple);
        case CallValue::Kind::Str:
            return "'" + v.s + "'";
        case CallValue::Kind::Bool:
            return v.b ? "True" : "False";
        case CallValue::Kind::None:
            return "None";
    }
    return "?";
}

// Keras's normalize_tuple: an integer is repeated `dims` times; a tuple must have `dims` entries; all >= 1.
std::vector<int64_t> positive_ints(const std::string& kind, const std::string& name, const CallValue& v, int dims) {
    std::vector<int64_t> out;
    if (v.kind == CallValue::Kind::Int)
        out.assign(static_cast<size_t>(dims), v.i);
    else if (v.kind == CallValue::Kind::Tuple && v.tuple.size() == static_cast<size_t>(dims))
        out = v.tuple;
    else
        throw ConfigError(kind + ": " + name + " must be an integer or a tuple of " + std::to_string(dims) +
                          " integer" + (dims > 1 ? "s" : "") + ", got " + value_text(v));
    for (int64_t x : out)
        if (x < 1) throw ConfigError(kind + ": " + name + " must be positive, got " + value_text(v));
    return out;
}

int64_t positive_int(const std::string& kind, const std::string& name, const CallValue& v) {
    if (v.kind != CallValue::Kind::Int || v.i < 1)
        throw ConfigError(kind + ": " + name + " must be a positive integer, got " + value_text(v));
    return v.i;
}

bool boolean(const std::string& kind, const std::string& name, const CallValue& v) {
    if (v.kind != CallValue::Kind::Bool)
        throw ConfigError(kind + ": " + name + " must be True or False, got " + value_text(v));
    return v.b;
}

TfPadding padding_rule(const std::string& kind, const CallValue& v, bool causal_allowed) {
    std::string s = v.kind == CallValue::Kind::Str ? v.s : std::string();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "valid") return TfPadding::Valid;
    if (s == "same") return TfPadding::SameUpper;
    if (s == "causal" && causal_allowed) return TfPadding::Causal;
    if (s == "causal")
        throw ConfigError(kind +
                          ": padding='causal' is only for Conv1D in Keras (it pads the start of a sequence); use "
                          "'valid' or 'same'");
    throw ConfigError(kind + ": padding must be 'valid' or 'same'" + std::string(causal_allowed ? " or 'causal'" : "") +
                      ", got " + value_text(v));
}

void check_data_format(const std::string& kind, const std::map<std::string, CallValue>& a) {
    auto it = a.find("data_format");
    if (it == a.end() || it->second.kind == CallValue::Kind::None) return;
    if (it->second.kind == CallValue::Kind::Str && it->second.s == "channels_last") return;
    throw ConfigError(kind + ": convscope's Keras layers take channels_last inputs, got data_format=" +
                      value_text(it->second) + " (for channels-first shapes write the PyTorch layers)");
}

void check_activation(const std::string& kind, const std::map<std::string, CallValue>& a) {
    auto it = a.find("activation");
    if (it == a.end()) return;
    if (it->second.kind != CallValue::Kind::Str && it->second.kind != CallValue::Kind::None)
        throw ConfigError(kind + ": activation must be a name like 'relu' or None, got " + value_text(it->second));
}

CallValue int_value(int64_t i) {
    CallValue v;
    v.kind = CallValue::Kind::Int;
    v.i = i;
    return v;
}

const CallValue* find(const std::map<std::string, CallValue>& a, const char* name) {
    auto it = a.find(name);
    return it == a.end() ? nullptr : &it->second;
}

const std::vector<std::string> kLayerKwargs = {"input_shape", "name", "trainable", "dtype"};

Signature with_kwargs(std::vector<std::string> names, size_t required) {
    names.insert(names.end(), kLayerKwargs.begin(), kLayerKwargs.end());
    return Signature{std::move(names), required};
}

std::string spatial_name(int dims, size_t i) {
    if (dims == 1) return "steps";
    return i == 0 ? "height" : "width";
}

void check_rank(const std::string& kind, int dims, const Shape& x) {
    if (x.size() != static_cast<size_t>(dims + 2))
        throw ConfigError(kind + " takes a " + std::to_string(dims + 2) + "-D channels-last input " +
                          (dims == 1 ? "(N, L, C)" : "(N, H, W, C)") + ", got shape " + python_tuple_text(x));
}

Shape to_channels_first(const Shape& x) {
    Shape s{x.front(), x.back()};
    s.insert(s.end(), x.begin() + 1, x.end() - 1);
    return s;
}
Shape to_channels_last(const Shape& x) {
    Shape s{x.front()};
    s.insert(s.end(), x.begin() + 2, x.end());
    s.push_back(x[1]);
    return s;
}

}  // namespace

// ---- names and conventions ----
std::optional<Convention> layer_name_convention(const std::string& text) {
    const ParsedCall call = parse_call(text);
    bool keras_prefix = false;
    const std::string name = strip_keras_prefix(call.name, &keras_prefix);
    const bool torch_prefix = call.name.rfind("nn.", 0) == 0 || call.name.rfind("torch.nn.", 0) == 0;
    const std::string torch_name = torch_prefix ? call.name.substr(call.name.find("nn.") + 3) : call.name;
    const std::string kind = keras_kind(name);
    if (keras_prefix) return kind.empty() ? std::nullopt : std::optional<Convention>(Convention::Keras);
    if (torch_prefix && (torch_name == "ReLU" || torch_name == "Flatten" || is_torch_only_name(torch_name)))
        return Convention::PyTorch;
    if (is_torch_only_name(name)) return Convention::PyTorch;
    if (!kind.empty() && kind != "ReLU" && kind != "Flatten") return Convention::Keras;
    return std::nullopt;
}

Convention chain_convention(const std::vector<std::string>& texts) {
    std::optional<size_t> keras, torch;
    for (size_t i = 0; i < texts.size(); ++i) {
        const std::optional<Convention> c = layer_name_convention(texts[i]);
        if (c == Convention::Keras && !keras) keras = i;
        if (c == Convention::PyTorch && !torch) torch = i;
    }
    if (keras && torch) {
        const size_t first = std::min(*keras, *torch), second = std::max(*keras, *torch);
        const bool keras_first = first == *keras;
        throw ConfigError("layer " + std::to_string(second + 1) + " \"" + texts[second] + "\" is a " +
                          (keras_first ? "PyTorch" : "Keras") + " layer but layer " + std::to_string(first + 1) +
                          " \"" + texts[first] + "\" is a " + (keras_first ? "Keras" : "PyTorch") +
                          " layer: one chain uses one convention (Keras layers take channels-last shapes (N, H, W, C), "
                          "PyTorch layers channels-first (N, C, H, W))");
    }
    return keras ? Convention::Keras : Convention::PyTorch;
}

// ---- parse_keras_layer ----
KerasLayerSpec parse_keras_layer(const std::string& text) {
    const ParsedCall call = parse_call(text);
    const std::string name = strip_keras_prefix(call.name);
    KerasLayerSpec spec;
    spec.text = text;
    spec.kind = keras_kind(name);
    const std::string& k = spec.kind;
    if (k.empty())
        throw FormatError(
            "\"" + text + "\": unknown Keras layer '" + name +
            "' (supported: Conv1D, Conv2D, MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, "
            "ReLU, Flatten, Dense)");
    std::map<std::string, CallValue> a;
    const int dims = k.find("1D") != std::string::npos ? 1 : 2;
    if (k == "Conv1D" || k == "Conv2D") {
        a = bind_call(
            k,
            with_kwargs({"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
                         "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                         "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"},
                        2),
            call.positional, call.keywords);
        KerasConv c;
        c.dims = dims;
        c.filters = positive_int(k, "filters", a.at("filters"));
        c.kernel_size = positive_ints(k, "kernel_size", a.at("kernel_size"), dims);
        c.strides = positive_ints(k, "strides", find(a, "strides") ? *find(a, "strides") : int_value(1), dims);
        c.dilation_rate = positive_ints(k, "dilation_rate",
                                        find(a, "dilation_rate") ? *find(a, "dilation_rate") : int_value(1), dims);
        if (auto v = find(a, "padding")) c.padding = padding_rule(k, *v, dims == 1);
        if (auto v = find(a, "groups")) c.groups = positive_int(k, "groups", *v);
        if (auto v = find(a, "use_bias")) c.use_bias = boolean(k, "use_bias", *v);
        check_activation(k, a);
        const bool strided = std::any_of(c.strides.begin(), c.strides.end(), [](int64_t s) { return s != 1; });
        const bool dilated =
            std::any_of(c.dilation_rate.begin(), c.dilation_rate.end(), [](int64_t d) { return d != 1; });
        if (strided && dilated)
            throw ConfigError(k + ": Keras does not combine strides > 1 with dilation_rate > 1 (strides=" +
                              python_tuple_text(c.strides) + ", dilation_rate=" + python_tuple_text(c.dilation_rate) +
                              ")");
        if (c.filters % c.groups != 0)
            throw ConfigError(k + ": filters=" + std::to_string(c.filters) +
                              " is not divisible by groups=" + std::to_string(c.groups) + " (Keras requires it)");
        spec.layer = c;
    } else if (k.find("Pooling") != std::string::npos) {
        a = bind_call(k, with_kwargs({"pool_size", "strides", "padding", "data_format"}, 0), call.positional,
                      call.keywords);
        KerasPool p;
        p.dims = dims;
        p.mode = k.rfind("Max", 0) == 0 ? PoolMode::Max : PoolMode::Avg;
        p.pool_size = positive_ints(k, "pool_size", find(a, "pool_size") ? *find(a, "pool_size") : int_value(2), dims);
        const CallValue* s = find(a, "strides");
        p.strides = s && s->kind != CallValue::Kind::None ? positive_ints(k, "strides", *s, dims) : p.pool_size;
        if (auto v = find(a, "padding")) p.padding = padding_rule(k, *v, false);
        spec.layer = p;
    } else if (k == "Dense") {
        a = bind_call(k,
                      with_kwargs({"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                                   "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                                   "kernel_constraint", "bias_constraint"},
                                  1),
                      call.positional, call.keywords);
        KerasDense d;
        d.units = positive_int(k, "units", a.at("units"));
        if (auto v = find(a, "use_bias")) d.use_bias = boolean(k, "use_bias", *v);
        check_activation(k, a);
        spec.layer = d;
    } else if (k == "Flatten") {
        a = bind_call(k, with_kwargs({"data_format"}, 0), call.positional, call.keywords);
        spec.layer = KerasFlatten{};
    } else {  // ReLU
        a = bind_call(k, with_kwargs({"max_value", "negative_slope", "threshold"}, 0), call.positional, call.keywords);
        for (const char* n : {"max_value", "negative_slope", "threshold"})
            if (auto v = find(a, n); v && v->kind != CallValue::Kind::None &&
                                     !(v->kind == CallValue::Kind::Int && v->i == 0 && std::string(n) != "max_value"))
                throw ConfigError("ReLU: convscope computes the plain max(x, 0); " + std::string(n) + "=" +
                                  value_text(*v) + " is not supported");
        spec.layer = KerasRelu{};
    }
    check_data_format(k, a);
    if (auto v = find(a, "input_shape")) {
        if (v->kind != CallValue::Kind::Tuple || v->tuple.empty())
            throw ConfigError(k + ": input_shape must be a tuple of integers without the batch, got " + value_text(*v));
        spec.input_shape = v->tuple;
    }
    return spec;
}

// ---- engine forms ----
ConvLayer keras_conv_to_torch(const KerasConv& conv, const Shape& x) {
    const std::string kind = conv.dims == 1 ? "Conv1D" : "Conv2D";
    check_rank(kind, conv.dims, x);
    const int64_t c_in = x.back();
    if (c_in % conv.groups != 0)
        throw ConfigError(kind + ": the input's " + std::to_string(c_in) + " channels are not divisible by groups=" +
                          std::to_string(conv.groups) + " (Keras requires it)");
    ConvLayer l;
    l.dims = conv.dims;
    l.params.dims = conv.dims;
    l.in_channels = c_in;
    l.out_channels = conv.filters;
    l.kernel_size = conv.kernel_size;
    l.params.stride = conv.strides;
    l.params.dilation = conv.dilation_rate;
    l.params.groups = conv.groups;
    l.bias = conv.use_bias;
    for (size_t i = 0; i < static_cast<size_t>(conv.dims); ++i) {
        const int64_t in = x[1 + i];
        const TfPads p = tf_pads(conv.padding, in, conv.kernel_size[i], conv.strides[i], conv.dilation_rate[i]);
        if (p.out <= 0)
            throw ConfigError(kind + ": with padding='valid' the kernel spans " +
                              std::to_string((conv.kernel_size[i] - 1) * conv.dilation_rate[i] + 1) + " (kernel_size " +
                              std::to_string(conv.kernel_size[i]) + ", dilation_rate " +
                              std::to_string(conv.dilation_rate[i]) + ") but the input " + spatial_name(conv.dims, i) +
                              " is " + std::to_string(in) +
                              ": no output position fits, and Keras cannot build this layer");
        l.params.pads_begin.push_back(p.begin);
        l.params.pads_end.push_back(p.end);
    }
    return l;
}

PoolParams keras_pool_to_torch(const KerasPool& pool, const Shape& x) {
    const std::string kind =
        std::string(pool.mode == PoolMode::Max ? "MaxPooling" : "AveragePooling") + (pool.dims == 1 ? "1D" : "2D");
    check_rank(kind, pool.dims, x);
    PoolParams p;
    p.dims = pool.dims;
    p.mode = pool.mode;
    p.kernel_size = pool.pool_size;
    p.stride = pool.strides;
    p.count_include_pad = false;  // TF's 'same' average counts only real elements
    for (size_t i = 0; i < static_cast<size_t>(pool.dims); ++i) {
        const int64_t in = x[1 + i];
        const TfPads t = tf_pads(pool.padding, in, pool.pool_size[i], pool.strides[i], 1);
        if (t.out <= 0)
            throw ConfigError(kind + ": with padding='valid' the pool window of " + std::to_string(pool.pool_size[i]) +
                              " does not fit in the input " + spatial_name(pool.dims, i) + " of " + std::to_string(in) +
                              ": no output position fits, and Keras cannot build this layer");
        p.pads_begin.push_back(t.begin);
        p.pads_end.push_back(t.end);
    }
    return p;
}

// ---- keras_shape_chain ----
std::vector<KerasShapeRow> keras_shape_chain(const Shape& input, const std::vector<KerasLayerSpec>& layers) {
    std::vector<KerasShapeRow> rows;
    Shape x = input;
    for (const KerasLayerSpec& spec : layers) {
        KerasShapeRow row;
        row.text = spec.text;
        row.input_shape = x;
        try {
            // An input no framework could allocate (a negative size, more than 2^63 bytes) stops at the first layer;
            // the output check below keeps every later shape allocatable, so products of its sizes fit in int64.
            if (rows.empty() && !tensor_shape_error(x).empty())
                throw ConfigError("the input shape " + python_tuple_text(x) +
                                  (std::any_of(x.begin(), x.end(), [](int64_t d) { return d < 0; })
                                       ? " has a negative size"
                                       : " is too large: its tensor would hold more than 2^63 bytes"));
            if (spec.input_shape && (x.size() < 2 || Shape(x.begin() + 1, x.end()) != *spec.input_shape))
                throw ConfigError(spec.kind + ": input_shape=" + python_tuple_text(*spec.input_shape) +
                                  " does not match the input " + python_tuple_text(x) +
                                  " (input_shape leaves out the batch)");
            if (const auto* conv = std::get_if<KerasConv>(&spec.layer)) {
                const ConvLayer l = keras_conv_to_torch(*conv, x);
                const ConvCheck c = conv_layer_check(l, to_channels_first(x));
                if (!c.ok()) throw ConfigError(c.error);
                row.output_shape = to_channels_last(c.geometry->output_shape_torch());
                row.kernel = shape_in_convention(Convention::Keras, TensorRole::Weight, l.weight_shape());
                if (conv->use_bias) row.bias = {conv->filters};
                row.parameters = l.parameter_count();
                for (size_t i = 0; i < static_cast<size_t>(conv->dims); ++i) {
                    row.pads.push_back({l.params.pads_begin[i], l.params.pads_end[i]});
                    const std::string n = conv->dims == 1 ? "L_out" : i == 0 ? "H_out" : "W_out";
                    row.formula.push_back(tf_padding_formula_text(n.c_str(), conv->padding, x[1 + i],
                                                                  conv->kernel_size[i], conv->strides[i],
                                                                  conv->dilation_rate[i]));
                }
                row.formula.push_back(parameter_formula_text(Convention::Keras, l));
            } else if (const auto* pool = std::get_if<KerasPool>(&spec.layer)) {
                const PoolParams p = keras_pool_to_torch(*pool, x);
                const PoolCheck c = pool_check(p, to_channels_first(x));
                if (!c.ok()) throw ConfigError(c.error);
                row.output_shape = to_channels_last(c.geometry->output_shape_torch());
                for (size_t i = 0; i < static_cast<size_t>(pool->dims); ++i) {
                    row.pads.push_back({p.pads_begin[i], p.pads_end[i]});
                    const std::string n = pool->dims == 1 ? "L_out" : i == 0 ? "H_out" : "W_out";
                    row.formula.push_back(tf_padding_formula_text(n.c_str(), pool->padding, x[1 + i],
                                                                  pool->pool_size[i], pool->strides[i], 1));
                }
                if (pool->mode == PoolMode::Avg && pool->padding == TfPadding::SameUpper)
                    row.formula.push_back(
                        "'same' average pooling divides by the real elements in the window (padding not counted)");
            } else if (const auto* dense = std::get_if<KerasDense>(&spec.layer)) {
                if (x.size() < 2)
                    throw ConfigError("Dense takes an input of rank 2 or more (N, ..., features), got shape " +
                                      python_tuple_text(x));
                const std::optional<int64_t> parameters =
                    checked_mul(x.back() + (dense->use_bias ? 1 : 0), dense->units);  // x.back() < 2^62: a tensor
                if (!parameters || !tensor_shape_error({x.back(), dense->units}).empty())
                    throw ConfigError("Dense(" + std::to_string(dense->units) + ") on " + std::to_string(x.back()) +
                                      " features: its kernel of " + std::to_string(x.back()) + " x " +
                                      std::to_string(dense->units) + " weights is too large to allocate");
                row.output_shape = x;
                row.output_shape.back() = dense->units;
                row.kernel = {x.back(), dense->units};
                if (dense->use_bias) row.bias = {dense->units};
                row.parameters = *parameters;
                row.formula.push_back("Dense acts on the last axis: " + std::to_string(x.back()) + " -> " +
                                      std::to_string(dense->units) + "; params = (" + std::to_string(x.back()) +
                                      (dense->use_bias ? " + 1" : "") + ")*" + std::to_string(dense->units) + " = " +
                                      grouped_int(static_cast<uint64_t>(row.parameters)));
            } else if (std::holds_alternative<KerasFlatten>(spec.layer)) {
                if (x.empty()) throw ConfigError("Flatten takes an input with a batch axis, got a scalar shape ()");
                // The input's size was checked left to right; a zero batch lets the joined axes' product overflow.
                std::optional<int64_t> merged = 1;
                for (size_t i = 1; i < x.size() && merged; ++i) merged = checked_mul(*merged, x[i]);
                if (!merged)
                    throw ConfigError("Flatten: the joined size of " + python_tuple_text(x) +
                                      " after the batch axis does not fit in a 64-bit integer");
                row.output_shape = {x[0], *merged};
                row.formula.push_back("Flatten keeps the batch axis and joins the rest in channels-last order: " +
                                      python_tuple_text(x) + " -> " + python_tuple_text(row.output_shape));
            } else {
                row.output_shape = x;
                row.formula.push_back("ReLU keeps the shape: y = max(x, 0) element-wise");
            }
            if (!tensor_shape_error(row.output_shape).empty())
                throw ConfigError(spec.kind + ": its output " + python_tuple_text(row.output_shape) +
                                  " is too large: the tensor would hold more than 2^63 bytes");
        } catch (const ConfigError& e) {
            row.error = e.what();
            row.output_shape.clear();
        }
        const bool failed = !row.error.empty();
        x = row.output_shape;
        rows.push_back(std::move(row));
        if (failed) break;
    }
    return rows;
}

std::string python_tuple_text(const Shape& shape) {
    std::string t = "(";
    for (size_t i = 0; i < shape.size(); ++i) t += (i ? ", " : "") + std::to_string(shape[i]);
    return t + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace convscope
