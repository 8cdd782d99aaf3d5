// Sections: tokens and values · argument binding (Python's rules) · per-layer builders · shape_chain
#include "layer_text.hpp"

#include <cctype>
#include <charconv>
#include <map>

#include "checked_math.hpp"
#include "error.hpp"

namespace convscope {

namespace {

// ---- tokens and values ----
using Value = CallValue;

class Parser {
public:
    explicit Parser(const std::string& text) : t_(text) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError("\"" + t_ + "\": " + what + " (at column " + std::to_string(pos_ + 1) + ")");
    }
    void skip_space() {
        while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < t_.size() && t_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "'");
    }
    bool at_end() {
        skip_space();
        return pos_ >= t_.size();
    }
    bool peek_identifier_then(char next) {
        skip_space();
        size_t p = pos_;
        if (p >= t_.size() || !(std::isalpha(static_cast<unsigned char>(t_[p])) || t_[p] == '_')) return false;
        while (p < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[p])) || t_[p] == '_')) ++p;
        while (p < t_.size() && std::isspace(static_cast<unsigned char>(t_[p]))) ++p;
        return p < t_.size() && t_[p] == next && !(p + 1 < t_.size() && t_[p + 1] == '=');
    }
    std::string identifier() {
        skip_space();
        size_t start = pos_;
        while (pos_ < t_.size() &&
               (std::isalnum(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '_' || t_[pos_] == '.'))
            ++pos_;
        if (start == pos_) fail("expected a name");
        return t_.substr(start, pos_ - start);
    }
    int64_t integer() {
        skip_space();
        size_t start = pos_;
        if (pos_ < t_.size() && (t_[pos_] == '-' || t_[pos_] == '+')) ++pos_;
        while (pos_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[pos_]))) ++pos_;
        int64_t v = 0;
        const char* b = t_.data() + start + (t_[start] == '+' ? 1 : 0);
        auto [ptr, ec] = std::from_chars(b, t_.data() + pos_, v);
        if (ec != std::errc() || ptr != t_.data() + pos_) {
            pos_ = start;
            fail("expected an integer");
        }
        return v;
    }
    Value value() {
        skip_space();
        Value v;
        if (pos_ >= t_.size()) fail("expected a value");
        const char c = t_[pos_];
        if (c == '(' || c == '[') {
            const char close = c == '(' ? ')' : ']';
            ++pos_;
            v.kind = Value::Kind::Tuple;
            while (!eat(close)) {
                v.tuple.push_back(integer());
                if (!eat(',')) {
                    expect(close);
                    break;
                }
            }
            return v;
        }
        if (c == '\'' || c == '"') {
            const size_t end = t_.find(c, pos_ + 1);
            if (end == std::string::npos) fail("unterminated string");
            v.kind = Value::Kind::Str;
            v.s = t_.substr(pos_ + 1, end - pos_ - 1);
            pos_ = end + 1;
            return v;
        }
        if (std::isalpha(static_cast<unsigned char>(c))) {
            const size_t start = pos_;
            const std::string word = identifier();
            if (word == "True" || word == "False") {
                v.kind = Value::Kind::Bool;
                v.b = word == "True";
                return v;
            }
            if (word == "None") return v;
            pos_ = start;
            fail("unexpected name '" + word + "' (values are integers, tuples, strings, True/False or None)");
        }
        v.kind = Value::Kind::Int;
        v.i = integer();
        return v;
    }

private:
    const std::string& t_;
    size_t pos_ = 0;
};

}  // namespace

// ---- argument binding (Python's rules and messages) ----
std::map<std::string, CallValue> bind_call(const std::string& kind, const Signature& sig,
                                           const std::vector<CallValue>& positional,
                                           const std::vector<std::pair<std::string, CallValue>>& keywords) {
    std::map<std::string, Value> args;
    if (positional.size() > sig.names.size()) {
        const std::string range = sig.required == sig.names.size() ? std::to_string(sig.names.size() + 1)
                                                                   : "from " + std::to_string(sig.required + 1) +
                                                                         " to " + std::to_string(sig.names.size() + 1);
        throw ConfigError(kind + ".__init__() takes " + range + " positional arguments but " +
                          std::to_string(positional.size() + 1) + " were given");
    }
    for (size_t i = 0; i < positional.size(); ++i) args[sig.names[i]] = positional[i];
    for (const auto& [name, v] : keywords) {
        bool known = false;
        for (const auto& n : sig.names) known = known || n == name;
        if (!known) throw ConfigError(kind + ".__init__() got an unexpected keyword argument '" + name + "'");
        if (args.count(name)) throw ConfigError(kind + ".__init__() got multiple values for argument '" + name + "'");
        args[name] = v;
    }
    std::vector<std::string> missing;
    for (size_t i = 0; i < sig.required; ++i)
        if (!args.count(sig.names[i])) missing.push_back(sig.names[i]);
    if (!missing.empty()) {
        std::string list;
        for (size_t i = 0; i < missing.size(); ++i)
            list += (i ? (i + 1 == missing.size() ? " and " : ", ") : "") + ("'" + missing[i] + "'");
        throw ConfigError(kind + ".__init__() missing " + std::to_string(missing.size()) +
                          " required positional argument" + (missing.size() > 1 ? "s" : "") + ": " + list);
    }
    return args;
}

namespace {

const Value* arg(const std::map<std::string, Value>& a, const std::string& name) {
    auto it = a.find(name);
    return it == a.end() ? nullptr : &it->second;
}

int64_t as_int(const std::string& kind, const std::string& name, const Value& v) {
    if (v.kind != Value::Kind::Int) throw ConfigError(kind + ": " + name + " must be an integer");
    return v.i;
}
bool as_bool(const std::string& kind, const std::string& name, const Value& v) {
    if (v.kind == Value::Kind::Bool) return v.b;
    if (v.kind == Value::Kind::Int) return v.i != 0;
    throw ConfigError(kind + ": " + name + " must be True or False");
}
// _single/_pair: an int becomes one value (broadcast later); a tuple is kept as written.
std::vector<int64_t> as_ints(const std::string& kind, const std::string& name, const Value& v) {
    if (v.kind == Value::Kind::Int) return {v.i};
    if (v.kind == Value::Kind::Tuple) return v.tuple;
    throw ConfigError(kind + ": " + name + " must be an integer or a tuple of integers");
}

// ---- per-layer builders ----
ConvLayer build_conv(const std::string& kind, int dims, const std::map<std::string, Value>& a) {
    ConvLayer l;
    l.dims = dims;
    l.params.dims = dims;
    l.in_channels = as_int(kind, "in_channels", *arg(a, "in_channels"));
    l.out_channels = as_int(kind, "out_channels", *arg(a, "out_channels"));
    l.kernel_size = as_ints(kind, "kernel_size", *arg(a, "kernel_size"));
    if (auto v = arg(a, "stride")) l.params.stride = as_ints(kind, "stride", *v);
    if (auto v = arg(a, "dilation")) l.params.dilation = as_ints(kind, "dilation", *v);
    if (auto v = arg(a, "groups")) l.params.groups = as_int(kind, "groups", *v);
    if (auto v = arg(a, "bias")) l.bias = as_bool(kind, "bias", *v);
    if (auto v = arg(a, "padding")) {
        if (v->kind == Value::Kind::Str) {
            if (v->s == "same")
                l.params.padding_kind = PaddingKind::Same;
            else if (v->s == "valid")
                l.params.padding_kind = PaddingKind::Valid;
            else
                throw ConfigError("Invalid padding string '" + v->s + "', should be one of {'valid', 'same'}");
        } else {
            l.params.padding = as_ints(kind, "padding", *v);
        }
    }
    if (auto v = arg(a, "padding_mode")) {
        auto m = v->kind == Value::Kind::Str ? parse_padding_mode(v->s) : std::nullopt;
        if (!m)
            throw ConfigError(
                "padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='" +
                v->s + "'");
        l.params.padding_mode = *m;
    }
    return l;
}

ConvTransposeLayer build_conv_transpose(const std::string& kind, int dims, const std::map<std::string, Value>& a) {
    ConvTransposeLayer l;
    l.dims = dims;
    l.params.dims = dims;
    l.in_channels = as_int(kind, "in_channels", *arg(a, "in_channels"));
    l.out_channels = as_int(kind, "out_channels", *arg(a, "out_channels"));
    l.kernel_size = as_ints(kind, "kernel_size", *arg(a, "kernel_size"));
    if (auto v = arg(a, "stride")) l.params.stride = as_ints(kind, "stride", *v);
    if (auto v = arg(a, "padding")) l.params.padding = as_ints(kind, "padding", *v);
    if (auto v = arg(a, "output_padding")) l.params.output_padding = as_ints(kind, "output_padding", *v);
    if (auto v = arg(a, "groups")) l.params.groups = as_int(kind, "groups", *v);
    if (auto v = arg(a, "bias")) l.bias = as_bool(kind, "bias", *v);
    if (auto v = arg(a, "dilation")) l.params.dilation = as_ints(kind, "dilation", *v);
    if (auto v = arg(a, "padding_mode")) {
        if (v->kind != Value::Kind::Str) throw ConfigError(kind + ": padding_mode must be a string");
        l.padding_mode = v->s;
    }
    return l;
}

PoolParams build_pool(const std::string& kind, int dims, PoolMode mode, const std::map<std::string, Value>& a) {
    PoolParams p;
    p.dims = dims;
    p.mode = mode;
    p.kernel_size = as_ints(kind, "kernel_size", *arg(a, "kernel_size"));
    if (auto v = arg(a, "stride"); v && v->kind != Value::Kind::None) p.stride = as_ints(kind, "stride", *v);
    if (auto v = arg(a, "padding")) p.padding = as_ints(kind, "padding", *v);
    if (auto v = arg(a, "dilation")) p.dilation = as_ints(kind, "dilation", *v);
    if (auto v = arg(a, "ceil_mode")) p.ceil_mode = as_bool(kind, "ceil_mode", *v);
    if (auto v = arg(a, "count_include_pad")) p.count_include_pad = as_bool(kind, "count_include_pad", *v);
    if (auto v = arg(a, "divisor_override"); v && v->kind != Value::Kind::None)
        p.divisor_override = as_int(kind, "divisor_override", *v);
    return p;
}

std::string strip_prefix(std::string name) {
    for (const char* prefix : {"torch.nn.", "nn."})
        if (name.rfind(prefix, 0) == 0) return name.substr(std::string(prefix).size());
    return name;
}

std::string pool_formula_text(const PoolGeometry& g, int axis) {
    const size_t j = static_cast<size_t>(axis);
    const char* name = g.dims == 1 ? "L_out" : (axis == 0 ? "H_out" : "W_out");
    return output_size_formula_text(name, g.in[j], g.pad_begin[j], g.pad_end[j], g.dilation[j], g.kernel[j],
                                    g.stride[j], g.ceil_mode, g.out[j]);
}

}  // namespace

ParsedCall parse_call(const std::string& text) {
    Parser p(text);
    ParsedCall call;
    call.name = p.identifier();
    p.expect('(');
    std::vector<Value>& positional = call.positional;
    std::vector<std::pair<std::string, Value>>& keywords = call.keywords;
    if (!p.eat(')')) {
        while (true) {
            if (p.peek_identifier_then('=')) {
                std::string name = p.identifier();
                p.expect('=');
                keywords.emplace_back(name, p.value());
            } else {
                if (!keywords.empty()) p.fail("positional argument follows keyword argument");
                positional.push_back(p.value());
            }
            if (p.eat(')')) break;
            p.expect(',');
            if (p.eat(')')) break;
        }
    }
    if (!p.at_end()) p.fail("unexpected text after ')'");
    return call;
}

LayerSpec parse_layer(const std::string& text) {
    ParsedCall call = parse_call(text);
    LayerSpec spec;
    spec.text = text;
    spec.kind = strip_prefix(call.name);
    const std::vector<Value>& positional = call.positional;
    const std::vector<std::pair<std::string, Value>>& keywords = call.keywords;
    const std::string& k = spec.kind;
    if (k == "Conv1d" || k == "Conv2d") {
        Signature sig{{"in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
                       "padding_mode", "device", "dtype"},
                      3};
        spec.layer = build_conv(k, k == "Conv1d" ? 1 : 2, bind_call(k, sig, positional, keywords));
    } else if (k == "ConvTranspose1d" || k == "ConvTranspose2d") {
        Signature sig{{"in_channels", "out_channels", "kernel_size", "stride", "padding", "output_padding", "groups",
                       "bias", "dilation", "padding_mode", "device", "dtype"},
                      3};
        spec.layer = build_conv_transpose(k, k == "ConvTranspose1d" ? 1 : 2, bind_call(k, sig, positional, keywords));
    } else if (k == "MaxPool1d" || k == "MaxPool2d") {
        Signature sig{{"kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"}, 1};
        spec.layer = build_pool(k, k == "MaxPool1d" ? 1 : 2, PoolMode::Max, bind_call(k, sig, positional, keywords));
    } else if (k == "AvgPool1d" || k == "AvgPool2d") {
        Signature sig{{"kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"}, 1};
        if (k == "AvgPool1d") sig.names.pop_back();  // AvgPool1d has no divisor_override
        spec.layer = build_pool(k, k == "AvgPool1d" ? 1 : 2, PoolMode::Avg, bind_call(k, sig, positional, keywords));
    } else if (k == "ReLU") {
        bind_call(k, Signature{{"inplace"}, 0}, positional, keywords);
        spec.layer = ReluLayer{};
    } else if (k == "Flatten") {
        auto a = bind_call(k, Signature{{"start_dim", "end_dim"}, 0}, positional, keywords);
        FlattenLayer f;
        if (auto v = arg(a, "start_dim")) f.start_dim = as_int(k, "start_dim", *v);
        if (auto v = arg(a, "end_dim")) f.end_dim = as_int(k, "end_dim", *v);
        spec.layer = f;
    } else if (k == "Linear") {
        auto a = bind_call(k, Signature{{"in_features", "out_features", "bias", "device", "dtype"}, 2}, positional,
                           keywords);
        LinearLayer l;
        l.in_features = as_int(k, "in_features", *arg(a, "in_features"));
        l.out_features = as_int(k, "out_features", *arg(a, "out_features"));
        if (auto v = arg(a, "bias")) l.bias = as_bool(k, "bias", *v);
        spec.layer = l;
    } else {
        throw FormatError("\"" + text + "\": unknown layer '" + k +
                          "' (supported: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, MaxPool1d, MaxPool2d, "
                          "AvgPool1d, AvgPool2d, ReLU, Flatten, Linear)");
    }
    return spec;
}

std::vector<LayerShapeRow> shape_chain(const Shape& input, const std::vector<LayerSpec>& layers) {
    std::vector<LayerShapeRow> rows;
    Shape x = input;
    // An input shape torch.empty refuses (a negative size, more than 2^63 bytes) stops at the first layer.
    const std::string input_error = tensor_shape_error(input);
    for (const LayerSpec& spec : layers) {
        LayerShapeRow row;
        if (!input_error.empty()) {
            row.text = spec.text;
            row.input_shape = x;
            row.error = input_error;
            rows.push_back(std::move(row));
            break;
        }
        row.text = spec.text;
        row.input_shape = x;
        if (const auto* conv = std::get_if<ConvLayer>(&spec.layer)) {
            ConvCheck c = conv_layer_check(*conv, x);
            if (!c.ok()) {
                row.error = c.error;
            } else {
                row.output_shape = c.geometry->output_shape_torch();
                for (int axis = 2 - conv->dims; axis < 2; ++axis)
                    row.formula.push_back(conv_formula_text(*c.geometry, axis));
                row.parameters = conv->parameter_count();
                const Shape w = conv->weight_shape();
                row.formula.push_back(
                    "parameters = " + std::to_string(shape_numel(w)) + " weights " + shape_to_string(w) +
                    (conv->bias ? " + " + std::to_string(conv->out_channels) + " bias" : std::string()) + " = " +
                    std::to_string(row.parameters));
            }
        } else if (const auto* convt = std::get_if<ConvTransposeLayer>(&spec.layer)) {
            ConvTransposeCheck c = conv_transpose_layer_check(*convt, x);
            if (!c.ok()) {
                row.error = c.error;
            } else {
                row.output_shape = c.geometry->output_shape_torch();
                for (int axis = 2 - convt->dims; axis < 2; ++axis)
                    row.formula.push_back(conv_transpose_formula_text(*c.geometry, axis));
                row.parameters = convt->parameter_count();
                const Shape w = convt->weight_shape();
                row.formula.push_back(
                    "parameters = " + std::to_string(shape_numel(w)) + " weights " + shape_to_string(w) +
                    " (in, out/groups, k...)" +
                    (convt->bias ? " + " + std::to_string(convt->out_channels) + " bias" : std::string()) + " = " +
                    std::to_string(row.parameters));
            }
        } else if (const auto* pool = std::get_if<PoolParams>(&spec.layer)) {
            PoolCheck c = pool_check(*pool, x);
            if (!c.ok()) {
                row.error = c.error;
            } else {
                row.output_shape = c.geometry->output_shape_torch();
                for (int axis = 2 - pool->dims; axis < 2; ++axis)
                    row.formula.push_back(pool_formula_text(*c.geometry, axis));
            }
        } else if (std::holds_alternative<ReluLayer>(spec.layer)) {
            row.output_shape = x;
            row.formula.push_back("ReLU keeps the shape: y = max(x, 0) element-wise");
        } else if (const auto* f = std::get_if<FlattenLayer>(&spec.layer)) {
            const int64_t r = std::max<int64_t>(1, static_cast<int64_t>(x.size()));
            // torch.flatten wraps start_dim, then end_dim, into [-r, r-1]; a 0-d tensor counts as 1-d.
            int64_t start = f->start_dim, end = f->end_dim;
            for (int64_t* dim : {&start, &end}) {
                if (!row.error.empty()) break;
                if (*dim < -r || *dim > r - 1)
                    row.error = "Dimension out of range (expected to be in range of [" + std::to_string(-r) + ", " +
                                std::to_string(r - 1) + "], but got " + std::to_string(*dim) + ")";
                else if (*dim < 0)
                    *dim += r;
            }
            if (row.error.empty() && start > end)
                row.error = "flatten() has invalid args: start_dim cannot come after end_dim";
            if (row.error.empty()) {
                Shape out;
                std::string note;  // where the merged size wrapped around
                if (x.empty()) {
                    out = {1};
                } else {
                    // The merged size as PyTorch computes it: a product in 64-bit arithmetic that wraps around. It
                    // can overflow only when a zero lies outside the merged dimensions (the input's own size was
                    // checked left to right, as torch.empty checks it): (0, 32, 2^59 + ...) flattens to a wrapped
                    // size, or fails with "invalid shape dimension" where the wrapped size is negative.
                    uint64_t merged = 1;
                    bool overflowed = false;
                    for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
                        const int64_t d = x[static_cast<size_t>(i)];
                        if (i < start || i > end) {
                            out.push_back(d);
                            continue;
                        }
                        // a zero factor makes the exact product 0 again, whatever came before it
                        overflowed = d != 0 && (overflowed || !checked_mul(static_cast<int64_t>(merged), d));
                        merged *= static_cast<uint64_t>(d);
                        if (i != end) continue;
                        const auto wrapped = static_cast<int64_t>(merged);  // modular (C++20)
                        if (overflowed) {
                            note = "the product of dims " + std::to_string(start) + ".." + std::to_string(end) +
                                   " does not fit in 64 bits; PyTorch wraps it around to " + std::to_string(wrapped);
                            if (wrapped < 0) row.error = "invalid shape dimension " + std::to_string(wrapped);
                        }
                        out.push_back(wrapped);
                    }
                }
                if (row.error.empty()) {
                    row.output_shape = out;
                    row.formula.push_back("flatten dims " + std::to_string(start) + ".." + std::to_string(end) + ": " +
                                          shape_to_string(x) + " -> " + shape_to_string(out));
                    if (!note.empty()) row.formula.push_back(note);
                }
            }
        } else if (const auto* lin = std::get_if<LinearLayer>(&spec.layer)) {
            if (std::string e = tensor_shape_error({lin->out_features, lin->in_features}); !e.empty()) {
                row.error = e;  // nn.Linear.__init__'s torch.empty of the weight
            } else if (x.empty()) {
                row.error = "both arguments to matmul need to be at least 1D, but they are 0D and 2D";
            } else if (x.back() != lin->in_features) {
                int64_t rows_ = 1;
                for (size_t i = 0; i + 1 < x.size(); ++i) rows_ *= x[i];
                row.error = "mat1 and mat2 shapes cannot be multiplied (" + std::to_string(rows_) + "x" +
                            std::to_string(x.back()) + " and " + std::to_string(lin->in_features) + "x" +
                            std::to_string(lin->out_features) + ")";
            } else {
                row.output_shape = x;
                row.output_shape.back() = lin->out_features;
                row.parameters = lin->in_features * lin->out_features + (lin->bias ? lin->out_features : 0);
                row.formula.push_back("y = x W^T + b: last dim " + std::to_string(lin->in_features) + " -> " +
                                      std::to_string(lin->out_features) + "; parameters = " +
                                      std::to_string(lin->in_features) + "x" + std::to_string(lin->out_features) +
                                      (lin->bias ? " + " + std::to_string(lin->out_features) : std::string()) + " = " +
                                      std::to_string(row.parameters));
            }
        }
        // A result PyTorch could not allocate (a pool or Linear output of more than 2^63 bytes) stops the chain
        // with its text; every later product of dimensions then fits in int64.
        if (row.error.empty())
            if (std::string e = tensor_shape_error(row.output_shape); !e.empty()) {
                row.error = e;
                row.output_shape.clear();
                row.formula.clear();
                row.parameters = 0;
            }
        const bool failed = !row.error.empty();
        x = row.output_shape;
        rows.push_back(std::move(row));
        if (failed) break;
    }
    return rows;
}

}  // namespace convscope
