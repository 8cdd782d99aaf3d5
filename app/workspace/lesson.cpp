// Sections: panels · parsing · placeholders · answers · files
#include "lesson.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.hpp"
#include "layout.hpp"

namespace convscope::workspace {

namespace fs = std::filesystem;

// ---- panels ----

const std::vector<std::string>& lesson_panels() {
    static const std::vector<std::string> p{"layer",        "input",    "filters", "computation", "channel_sums",
                                            "feature_maps", "playback", "lesson",  "compare",     "layouts"};
    return p;
}

const std::vector<std::pair<std::string, Fact>>& lesson_facts() {
    static const std::vector<std::pair<std::string, Fact>> f{{"output_shape", Fact::OutputShape},
                                                             {"params", Fact::Params},
                                                             {"output_value", Fact::OutputValue},
                                                             {"pooled_shape", Fact::PooledShape},
                                                             {"layouts", Fact::Layouts},
                                                             {"products", Fact::Products},
                                                             {"lit", Fact::Lit}};
    return f;
}

std::string lesson_fact_name(Fact f) {
    if (f == Fact::Notes) return "notes";
    for (const auto& [name, fact] : lesson_facts())
        if (fact == f) return name;
    return "?";
}

std::string hide_result(const std::string& text, int keep) {
    size_t at = std::string::npos;  // the keep-th " = ", or the last one there is
    for (int i = 0; i < keep; ++i) {
        const size_t next = text.find(" = ", at == std::string::npos ? 0 : at + 3);
        if (next == std::string::npos) break;
        at = next;
    }
    return text.substr(0, at) + " = " + kHidden;  // (npos: the whole text)
}

// ---- parsing ----

namespace {

// Verbs a lesson step may use to set the window up (no captures, waits, mouse or nested lessons).
bool setup_verb(const std::string& v) {
    static const char* const allowed[] = {"set",
                                          "preset",
                                          "step",
                                          "seek",
                                          "start",
                                          "end",
                                          "pause",
                                          "speed",
                                          "granularity",
                                          "cursor",
                                          "select",
                                          "hover",
                                          "zoom",
                                          "reveal",
                                          "after",
                                          "open_image",
                                          "open_cifar",
                                          "pick",
                                          "load_weights",
                                          "open_onnx",
                                          "use_onnx",
                                          "open_scene",
                                          "window",
                                          "layer_kind",
                                          "transpose_preset",
                                          "transpose_set",
                                          "transpose_order",
                                          "transpose_cursor",
                                          "contributions",
                                          "compare",
                                          "compare_cursor",
                                          "compare_pin",
                                          "layouts",
                                          "layouts_pin"};
    return std::any_of(std::begin(allowed), std::end(allowed), [&](const char* a) { return v == a; });
}

std::string trim(const std::string& s) {
    const size_t a = s.find_first_not_of(" \t");
    if (a == std::string::npos) return {};
    const size_t b = s.find_last_not_of(" \t");
    return s.substr(a, b - a + 1);
}

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

const char* const kNames[] = {
    "layer", "input_shape", "output_shape", "weight_shape", "bias_shape", "params", "weight_count", "bias_count",
    "macs", "error", "cursor", "value", "bias", "sum", "equation", "formula_h", "formula_w", "formula_l", "input_kind",
    "keras_kernel_shape", "keras_input_shape", "keras_output_shape", "pooled_shape",
    // the transposed-convolution view (Layer kind ConvTranspose)
    "t_layer", "t_input_shape", "t_output_shape", "t_weight_shape", "t_params", "t_error", "t_formula_h", "t_formula_w",
    "t_formula_l", "t_min_products", "t_max_products", "t_cursor", "t_value",
    // the Batch vs channel window
    "compare_batch", "compare_channels", "compare_lit_batch", "compare_lit_channels",
    // the Weight layouts window
    "layouts_pytorch", "layouts_keras", "layouts_pytorch_offset", "layouts_keras_offset"};

// The fact a placeholder of an answer gives away, if any.
std::optional<Fact> fact_of(const std::string& name) {
    static const std::pair<Fact, const char*> groups[] = {
        {Fact::OutputShape,
         " output_shape keras_output_shape t_output_shape formula_h formula_w formula_l t_formula_h t_formula_w "
         "t_formula_l "},
        {Fact::Params, " params t_params weight_count bias_count macs "},
        {Fact::OutputValue, " value sum equation t_value compare_batch compare_channels "},
        {Fact::PooledShape, " pooled_shape "},
        {Fact::Layouts, " layouts_keras_offset "},  // (not {layouts_keras}: the element's index is the question's)
        {Fact::Products, " t_min_products t_max_products "}};
    for (const auto& [fact, names] : groups)
        if (std::string(names).find(" " + name + " ") != std::string::npos) return fact;
    if (name.size() > 2 && name[0] == 'y' && name[1] == '[') return Fact::OutputValue;  // {y[n,c,h,w]}
    return std::nullopt;
}

bool known_name(const std::string& n) {
    if (std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; })) return true;
    // tensor elements: y[..] x[..] w[..] b[..] with 1 to 4 integers
    if (n.size() < 4 || n[1] != '[' || n.back() != ']' || std::string("yxwb").find(n[0]) == std::string::npos)
        return false;
    const std::string inner = n.substr(2, n.size() - 3);
    if (inner.empty()) return false;
    int count = 1;
    for (char c : inner) {
        if (c == ',')
            ++count;
        else if (!std::isdigit(static_cast<unsigned char>(c)) && c != ' ')
            return false;
    }
    return count >= 1 && count <= 4;
}

}  // namespace

std::vector<std::string> lesson_placeholders(const std::string& templ) {
    std::vector<std::string> names;
    for (size_t i = 0; (i = templ.find('{', i)) != std::string::npos;) {
        const size_t j = templ.find('}', i);
        if (j == std::string::npos) break;
        names.push_back(templ.substr(i + 1, j - i - 1));
        i = j + 1;
    }
    return names;
}

void lesson_check_placeholders(const std::string& templ, const std::string& where) {
    size_t i = 0;
    while ((i = templ.find('{', i)) != std::string::npos) {
        const size_t j = templ.find('}', i);
        if (j == std::string::npos) throw FormatError(where + ": '{' without a closing '}'");
        const std::string name = templ.substr(i + 1, j - i - 1);
        if (!known_name(name)) {
            std::string list;
            for (const char* k : kNames) list += (list.empty() ? "" : " ") + std::string("{") + k + "}";
            throw FormatError(where + ": unknown placeholder {" + name + "} (known: " + list +
                              " and elements like {y[0,8,16,16]} {x[..]} {w[..]} {b[o]})");
        }
        i = j + 1;
    }
}

Lesson lesson_parse(const std::string& text, const std::string& name) {
    Lesson lesson;
    std::istringstream in(text);
    std::string raw;
    int number = 0;
    bool header = false;
    LessonStep* step = nullptr;
    auto where = [&] { return name + ":" + std::to_string(number); };
    auto fail = [&](const std::string& why) { throw FormatError(where() + ": " + why); };
    auto need_step = [&](const std::string& what) {
        if (!step) fail(what + " before the first step (a step starts with '## title')");
    };
    auto question = [&]() -> LessonQuestion& {
        need_step("a question line");
        if (!step->question) fail("'answer:', 'hint:', 'reveal:' and 'conceal:' follow an 'ask:' line");
        return *step->question;
    };
    while (std::getline(in, raw)) {
        ++number;
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        if (raw.find('\0') != std::string::npos) fail("the file holds a NUL byte (is it a text file?)");
        if (!header) {
            const std::string t = trim(raw);
            if (t.empty()) continue;
            if (!starts_with(t, "convscope-lesson "))
                fail("a lesson starts with the line 'convscope-lesson " + std::to_string(kLessonVersion) + "'");
            const std::string v = trim(t.substr(17));
            if (v != std::to_string(kLessonVersion)) {
                const bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c));
                });
                fail(digits ? "lesson format version " + v + " is newer than this convscope reads (" +
                                  std::to_string(kLessonVersion) + ")"
                            : "'" + v + "' is not a lesson format version");
            }
            header = true;
            continue;
        }
        const std::string line = trim(raw);
        if (starts_with(line, "title:")) {
            if (step) fail("'title:' belongs before the first step");
            if (!lesson.title.empty()) fail("a second 'title:'");
            lesson.title = trim(line.substr(6));
            if (lesson.title.empty()) fail("the title is empty");
        } else if (starts_with(line, "summary:")) {
            if (step) fail("'summary:' belongs before the first step");
            lesson.summary = trim(line.substr(8));
        } else if (line == "##" || starts_with(line, "## ")) {
            lesson.steps.push_back({});
            step = &lesson.steps.back();
            step->title = trim(line.substr(2));
            step->line = number;
            if (step->title.empty()) fail("a step needs a title after '## '");
            lesson_check_placeholders(step->title, where());
        } else if (starts_with(line, "@")) {
            need_step("an action");
            ScriptAction a;
            std::string error;
            if (!parse_script_line(trim(line.substr(1)), name, number, a, error)) throw FormatError(error);
            if (a.verb.empty()) fail("'@' needs an action, e.g. '@ cursor 0 8 16 16'");
            if (!setup_verb(a.verb)) fail("'" + a.verb + "' cannot be used in a lesson step (setup actions only)");
            step->actions.push_back(std::move(a));
        } else if (starts_with(line, "highlight:")) {
            need_step("'highlight:'");
            std::istringstream words(line.substr(10));
            bool any = false;
            for (std::string w; words >> w;) {
                const auto& ps = lesson_panels();
                if (std::find(ps.begin(), ps.end(), w) == ps.end()) {
                    std::string list;
                    for (const std::string& p : ps) list += (list.empty() ? "" : ", ") + p;
                    fail("'" + w + "' is not a panel (panels: " + list + ")");
                }
                step->highlights.push_back(w);
                any = true;
            }
            if (!any) fail("'highlight:' names one or more panels");
        } else if (starts_with(line, "ask:")) {
            need_step("'ask:'");
            if (step->question) fail("one question per step");
            step->question = LessonQuestion{};
            step->question->ask = trim(line.substr(4));
            step->question->line = number;
            if (step->question->ask.empty()) fail("the question is empty");
            lesson_check_placeholders(step->question->ask, where());
        } else if (starts_with(line, "answer:")) {
            LessonQuestion& q = question();
            if (!q.answer.empty()) fail("a second 'answer:'");
            q.answer = trim(line.substr(7));
            if (q.answer.empty()) fail("the answer is empty");
            lesson_check_placeholders(q.answer, where());
        } else if (starts_with(line, "hint:")) {
            LessonQuestion& q = question();
            q.hint += (q.hint.empty() ? "" : " ") + trim(line.substr(5));
            lesson_check_placeholders(q.hint, where());
        } else if (starts_with(line, "conceal:")) {
            LessonQuestion& q = question();
            std::istringstream words(line.substr(8));
            bool any = false;
            for (std::string w; words >> w;) {
                const auto& fs = lesson_facts();
                const auto it = std::find_if(fs.begin(), fs.end(), [&](const auto& f) { return f.first == w; });
                if (it == fs.end()) {
                    std::string list;
                    for (const auto& f : fs) list += (list.empty() ? "" : ", ") + f.first;
                    fail("'" + w + "' is not something the window can hide (" + list + ")");
                }
                q.conceal.push_back(it->second);
                any = true;
            }
            if (!any) fail("'conceal:' names one or more of what the window shows");
        } else if (starts_with(line, "reveal:")) {
            LessonQuestion& q = question();
            q.reveal += (q.reveal.empty() ? "" : " ") + trim(line.substr(7));
            lesson_check_placeholders(q.reveal, where());
        } else if (line.empty()) {
            if (step && !step->text.empty() && step->text.back() != '\n') step->text += "\n";
        } else {
            if (!step) fail("text before the first step (a step starts with '## title')");
            if (step->question)
                fail("narrative text belongs before the step's 'ask:' (use 'reveal:' for text after it)");
            lesson_check_placeholders(line, where());
            if (!step->text.empty() && step->text.back() != '\n') step->text += starts_with(line, "- ") ? "\n" : " ";
            step->text += line;
        }
        if (lesson.steps.size() > 200) fail("more than 200 steps");
    }
    if (!header)
        throw FormatError(name + ": empty file (a lesson starts with 'convscope-lesson " +
                          std::to_string(kLessonVersion) + "')");
    if (lesson.title.empty()) throw FormatError(name + ": no 'title:' line");
    if (lesson.steps.empty()) throw FormatError(name + ": no steps (a step starts with '## title')");
    for (const LessonStep& s : lesson.steps) {
        if (s.question && s.question->answer.empty())
            throw FormatError(name + ":" + std::to_string(s.question->line) + ": the question has no 'answer:' line");
        if (s.text.empty() && !s.question)
            throw FormatError(name + ":" + std::to_string(s.line) + ": step '" + s.title + "' has no text");
    }
    for (LessonStep& s : lesson.steps)
        while (!s.text.empty() && s.text.back() == '\n') s.text.pop_back();
    // what each question hides while it waits: its 'conceal:' lines, what its answer's placeholders name, the notes
    for (LessonStep& s : lesson.steps) {
        if (!s.question) continue;
        std::vector<Fact>& facts = s.question->conceal;
        for (const std::string& placeholder : lesson_placeholders(s.question->answer))
            if (const auto f = fact_of(placeholder)) facts.push_back(*f);
        facts.push_back(Fact::Notes);
        std::sort(facts.begin(), facts.end());
        facts.erase(std::unique(facts.begin(), facts.end()), facts.end());
    }
    return lesson;
}

Lesson lesson_load(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw IoError(path + ": no such lesson file");
    const auto size = fs::file_size(path, ec);
    if (ec) throw IoError(path + ": " + ec.message());
    if (size > (1u << 20))
        throw FormatError(path + ": " + std::to_string(size) + " bytes; a lesson is at most 1 MiB of text");
    std::ifstream f(path, std::ios::binary);
    if (!f) throw IoError(path + ": cannot be read");
    std::stringstream text;
    text << f.rdbuf();
    const fs::path p(path);
    Lesson lesson = lesson_parse(text.str(), p.filename().string());
    lesson.path = path;
    lesson.id = p.stem().string();
    // Paths in actions are relative to the lesson's folder.
    for (LessonStep& s : lesson.steps)
        for (ScriptAction& a : s.actions) {
            const bool takes_path = a.verb == "open_image" || a.verb == "open_cifar" || a.verb == "open_scene" ||
                                    a.verb == "open_onnx" || a.verb == "load_weights";
            if (!takes_path) continue;
            for (size_t i = 0; i < a.args.size(); ++i) {
                if (a.verb == "load_weights" && (a.args[i] == "keras" || a.args[i] == "pytorch")) continue;
                if (fs::path(a.args[i]).is_relative())
                    a.args[i] = (p.parent_path() / a.args[i]).lexically_normal().string();
            }
        }
    return lesson;
}

std::string lesson_path(const std::string& asset_dir, const std::string& id_or_path) {
    if (id_or_path.size() > 7 && id_or_path.compare(id_or_path.size() - 7, 7, ".lesson") == 0) return id_or_path;
    return asset_dir + "/lessons/" + id_or_path + ".lesson";
}

std::vector<Lesson> lesson_list(const std::string& asset_dir, std::vector<std::string>& errors) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(asset_dir + "/lessons", ec))
        if (e.path().extension() == ".lesson") files.push_back(e.path().string());
    // the seed questions' tours (q1_..., q2_...) first, in order, then the others: Help -> Lessons opens on Q1
    const auto seed = [](const std::string& path) {
        const std::string name = fs::path(path).filename().string();
        return name.size() > 1 && name[0] == 'q' && std::isdigit(static_cast<unsigned char>(name[1]));
    };
    std::sort(files.begin(), files.end(), [&](const std::string& a, const std::string& b) {
        return std::make_pair(!seed(a), a) < std::make_pair(!seed(b), b);
    });
    std::vector<Lesson> out;
    for (const std::string& f : files) {
        try {
            out.push_back(lesson_load(f));
        } catch (const std::exception& e) {
            errors.push_back(e.what());
        }
    }
    return out;
}

// ---- placeholders ----

namespace {

std::string num(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string signed_term(double v) {
    const std::string s = num(v);
    return v < 0 ? "(" + s + ")" : s;
}

std::string grouped(int64_t v) {
    std::string digits = std::to_string(v < 0 ? -v : v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (v < 0 ? "-" : "") + out;
}

std::string tuple_text(const std::vector<int64_t>& v) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
}

struct NotAvailable {
    std::string why;
};

std::vector<int64_t> parse_indices(const std::string& inner) {
    std::vector<int64_t> out;
    std::stringstream ss(inner);
    for (std::string part; std::getline(ss, part, ',');) {
        const std::string t = trim(part);
        int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec != std::errc() || ptr != t.data() + t.size()) throw NotAvailable{"index " + t + " is too large"};
        out.push_back(v);
    }
    return out;
}

// One element of a canonical 4-D tensor addressed as PyTorch does (1-D tensors: (N, C, L) -> (N, C, 1, L)).
float element(const Tensor& t, std::vector<int64_t> idx, int dims, const char* name) {
    if (t.data.empty()) throw NotAvailable{std::string(name) + " is empty"};
    const size_t rank = t.shape.size();
    if (dims == 1 && rank == 4 && idx.size() == 3) idx.insert(idx.begin() + 2, 0);
    if (idx.size() != rank)
        throw NotAvailable{std::string(name) + " has " + std::to_string(rank == 4 && dims == 1 ? 3 : rank) + " dims"};
    int64_t off = 0;
    for (size_t i = 0; i < rank; ++i) {
        if (idx[i] < 0 || idx[i] >= t.shape[i]) throw NotAvailable{std::string(name) + " index out of range"};
        off = off * t.shape[i] + idx[i];
    }
    return t.data[static_cast<size_t>(off)];
}

// The t_ placeholders: the transposed-convolution view's layer and cursor.
std::string evaluate_transpose(const std::string& n, const LessonContext& c) {
    if (!c.transpose || !c.transpose->scene) throw NotAvailable{"no transposed convolution is shown"};
    const TransposeSession& t = *c.transpose;
    if (n == "t_error") {
        if (t.error.empty()) throw NotAvailable{"the transposed convolution is valid"};
        return t.error;
    }
    if (n == "t_layer") return transpose_layer_python_text(t.edit.layer);
    if (n == "t_input_shape") return tuple_text(transpose_input_shape(t.edit));
    if (n == "t_weight_shape") return tuple_text(t.edit.layer.weight_shape());
    if (n == "t_params") return grouped(t.edit.layer.parameter_count());
    if (!t.error.empty()) throw NotAvailable{"the transposed convolution is invalid"};
    const TransposeScene& sc = *t.scene;
    const ConvTransposeGeometry& g = sc.geo;
    if (n == "t_output_shape") return tuple_text(g.output_shape_torch());
    if (n == "t_formula_h" || n == "t_formula_w" || n == "t_formula_l") {
        if ((n == "t_formula_l") != (g.dims == 1))
            throw NotAvailable{n + " does not apply to ConvTranspose" + std::to_string(g.dims) + "d"};
        return conv_transpose_formula_text(g, n == "t_formula_h" ? 0 : 1);
    }
    if (n == "t_min_products") return std::to_string(sc.min_contributions);
    if (n == "t_max_products") return std::to_string(sc.max_contributions);
    if (t.order == TransposeOrder::Scatter) throw NotAvailable{n + " reads the gather picture's output"};
    const GatherState& k = t.gather;
    if (n == "t_cursor")
        return "y[" + std::to_string(k.n) + ", " + std::to_string(k.c_out) + ", " +
               (g.dims == 2 ? std::to_string(k.y) + ", " : "") + std::to_string(k.x) + "]";
    return num(k.value);  // t_value
}

// The compare_ placeholders: the Batch vs channel window's attribution and perturbation.
std::string evaluate_compare(const std::string& n, const LessonContext& c) {
    if (!c.pair) throw NotAvailable{"the Batch vs channel window is closed"};
    const PairSide side = n.find("batch") != std::string::npos ? PairSide::Batch : PairSide::Channels;
    if (n == "compare_batch" || n == "compare_channels")
        return attribution_text(pair_attribution(*c.pair, side, c.pair_cursor));
    if (!c.pair_pixel) throw NotAvailable{"no pixel is pinned in the Batch vs channel window"};
    const auto& p = *c.pair_pixel;
    return std::to_string(pair_lit_outputs(*c.pair, side, p[0], p[1], p[2]).size());
}

// The layouts_ placeholders: the pinned weight element's index and offset in PyTorch's and Keras's layouts.
std::string evaluate_layouts(const std::string& n, const LessonContext& c) {
    if (!c.scene) throw NotAvailable{"no scene"};
    if (!c.layouts_pinned) throw NotAvailable{"no element is pinned in the Weight layouts window"};
    const WeightLayouts L(c.scene->w.shape, c.scene->geo.dims);
    const WeightIndex& i = *c.layouts_pinned;
    if (!L.valid(i)) throw NotAvailable{"the pinned element is outside the weight " + tuple_text(L.torch_shape())};
    if (n == "layouts_pytorch") return L.torch_index_text(i);
    if (n == "layouts_keras") return L.keras_index_text(i);
    if (n == "layouts_pytorch_offset") return std::to_string(L.torch_offset(i));
    return std::to_string(L.keras_offset(i));  // layouts_keras_offset
}

std::string evaluate(const std::string& n, const LessonContext& c) {
    if (n.rfind("t_", 0) == 0) return evaluate_transpose(n, c);
    if (n.rfind("layouts_", 0) == 0) return evaluate_layouts(n, c);
    if (n.rfind("compare_", 0) == 0) return evaluate_compare(n, c);
    if (n == "error") {
        if (c.error.empty()) throw NotAvailable{"the layer is valid"};
        return c.error;
    }
    if (!c.scene) throw NotAvailable{"no scene"};
    const Scene& s = *c.scene;
    const ConvGeometry& g = s.geo;
    const LayerEdit& e = c.edit ? *c.edit : s.edit;
    if (n == "layer") return layer_python_text(e.layer);
    if (n == "input_shape") return tuple_text(input_shape(e));
    if (n == "weight_shape") return tuple_text(e.layer.weight_shape());
    if (n == "bias_shape") return e.layer.bias ? tuple_text({e.layer.out_channels}) : "none (bias=False)";
    if (n == "params") return grouped(e.layer.parameter_count());
    if (n == "weight_count") return grouped(shape_numel(e.layer.weight_shape()));
    if (n == "bias_count") return grouped(e.layer.bias ? e.layer.out_channels : 0);
    if (n == "input_kind") return s.image_kind;
    if (n == "keras_kernel_shape") {
        const Shape w = e.layer.weight_shape();  // (O, I, k...) -> (k..., I, O)
        std::vector<int64_t> k(w.begin() + 2, w.end());
        k.push_back(w[1]);
        k.push_back(w[0]);
        return tuple_text(k);
    }
    if (n == "keras_input_shape") {
        const Shape in = input_shape(e);  // (N, C, ...) -> (N, ..., C)
        std::vector<int64_t> k{in[0]};
        k.insert(k.end(), in.begin() + 2, in.end());
        k.push_back(in[1]);
        return tuple_text(k);
    }
    // the rest read the valid scene on screen
    if (!c.error.empty()) throw NotAvailable{"the layer is invalid"};
    if (n == "output_shape") return tuple_text(g.output_shape_torch());
    if (n == "keras_output_shape") {
        const Shape o = g.output_shape_torch();
        std::vector<int64_t> k{o[0]};
        k.insert(k.end(), o.begin() + 2, o.end());
        k.push_back(o[1]);
        return tuple_text(k);
    }
    if (n == "pooled_shape") {
        if (!c.pooled_shape) throw NotAvailable{"the 'then ReLU + pool' tab is not computed"};
        return tuple_text(*c.pooled_shape);
    }
    if (n == "macs") return grouped(g.c_in_per_group * g.kernel[0] * g.kernel[1]);
    if (n == "formula_h" || n == "formula_w" || n == "formula_l") {
        if ((n == "formula_l") != (g.dims == 1))
            throw NotAvailable{n + " does not apply to Conv" + std::to_string(g.dims) + "d"};
        return conv_formula_text(g, n == "formula_h" ? 0 : 1);
    }
    if (n[0] == 'y' || n[0] == 'x' || n[0] == 'w' || n[0] == 'b') {
        const std::vector<int64_t> idx = parse_indices(n.substr(2, n.size() - 3));
        switch (n[0]) {
            case 'y':
                if (!c.output || c.output->scene.get() != c.scene) throw NotAvailable{"the output is still computing"};
                return num(element(c.output->y, idx, g.dims, "y"));
            case 'x':
                return num(element(s.x, idx, g.dims, "x"));
            case 'w':
                return num(element(s.w, idx, g.dims, "w"));
            default:
                if (!e.layer.bias) throw NotAvailable{"the layer has no bias"};
                return num(element(s.bias, idx, 1, "b"));
        }
    }
    if (!c.cursor) throw NotAvailable{"no cursor"};
    const CursorState& k = *c.cursor;
    const std::string at =
        g.dims == 1 ? "y[" + std::to_string(k.n) + ", " + std::to_string(k.c_out) + ", " + std::to_string(k.x) + "]"
                    : "y[" + std::to_string(k.n) + ", " + std::to_string(k.c_out) + ", " + std::to_string(k.y) + ", " +
                          std::to_string(k.x) + "]";
    if (n == "cursor") return at;
    if (n == "value") return num(k.value);
    if (n == "bias") return num(k.bias);
    if (n == "sum") return num(k.value - k.bias);
    if (n == "equation") {
        std::string eq = at + " = ";
        for (size_t i = 0; i < k.channels.size(); ++i) eq += (i ? " + " : "") + signed_term(k.channels[i].sum);
        if (e.layer.bias) eq += " + " + signed_term(k.bias);
        return eq + " = " + num(k.value);
    }
    throw NotAvailable{"unknown"};
}

// A placeholder's value as a pending question shows it (LessonContext::hidden).
std::string concealed(const std::string& name, const std::string& value, const std::vector<Fact>& hidden) {
    const std::optional<Fact> f = fact_of(name);
    if (!f || std::find(hidden.begin(), hidden.end(), *f) == hidden.end()) return value;
    if (name.rfind("formula_", 0) == 0) return hide_result(value, 2);  // the formula with the layer's numbers
    if (name.rfind("t_formula_", 0) == 0) return hide_result(value, 3);
    if (name == "equation") {  // the terms, then "= ?"
        const size_t last = value.rfind(" = ");
        return last == std::string::npos ? kHidden : value.substr(0, last) + " = " + kHidden;
    }
    return kHidden;
}

}  // namespace

std::string lesson_fill(const std::string& templ, const LessonContext& ctx) {
    std::string out;
    size_t i = 0;
    while (i < templ.size()) {
        const size_t open = templ.find('{', i);
        if (open == std::string::npos) break;
        const size_t close = templ.find('}', open);
        if (close == std::string::npos) break;
        out += templ.substr(i, open - i);
        const std::string name = templ.substr(open + 1, close - open - 1);
        try {
            out += concealed(name, evaluate(name, ctx), ctx.hidden);
        } catch (const NotAvailable& na) {
            out += "(n/a: " + na.why + ")";
        } catch (const std::exception& ex) {
            out += std::string("(n/a: ") + ex.what() + ")";
        }
        i = close + 1;
    }
    out += templ.substr(i);
    return out;
}

// ---- answers ----

namespace {

std::string lower_compact(const std::string& s) {
    std::string o;
    for (char c : s)
        if (!std::isspace(static_cast<unsigned char>(c)))
            o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!o.empty() && (o.back() == '.' || o.back() == '!')) o.pop_back();
    return o;
}

// One integer of a list; none for "-" alone or one past int64 (a student may type 99999999999999999999: it
// matches no shape, and std::stoll would throw).
std::optional<int64_t> list_integer(const std::string& digits) {
    int64_t value = 0;
    const char* end = digits.data() + digits.size();
    const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

// "(1, 192, 32, 32)" / "1x192x32x32" / "[1 192 32 32]" -> integers; "14,592" alone is one number.
std::optional<std::vector<int64_t>> int_list(const std::string& s) {
    std::string t = trim(s);
    const bool bracketed = !t.empty() && (t.front() == '(' || t.front() == '[');
    std::vector<int64_t> v;
    std::string cur;
    bool saw_sep = false;
    for (char ch : t) {
        if (std::isdigit(static_cast<unsigned char>(ch)) || (ch == '-' && cur.empty())) {
            cur += ch;
        } else if (ch == ',' || ch == ' ' || ch == 'x' || ch == 'X' || ch == '(' || ch == ')' || ch == '[' ||
                   ch == ']') {
            if (!cur.empty()) {
                const std::optional<int64_t> n = list_integer(cur);
                if (!n) return std::nullopt;
                v.push_back(*n);
                cur.clear();
                if (ch != '(' && ch != '[' && ch != ')' && ch != ']') saw_sep = true;
            }
        } else {
            return std::nullopt;
        }
    }
    if (!cur.empty()) {
        const std::optional<int64_t> n = list_integer(cur);
        if (!n) return std::nullopt;
        v.push_back(*n);
    }
    if (v.empty()) return std::nullopt;
    // "14,592" is a number with a thousands separator, not a shape, unless it is written as a tuple
    if (!bracketed && v.size() == 2 && t.find(',') != std::string::npos && t.find(' ') == std::string::npos &&
        t.size() - t.find(',') == 4)
        return std::nullopt;
    (void)saw_sep;
    return v;
}

std::optional<double> number(const std::string& s) {
    std::string t;
    for (char c : trim(s))
        if (c != ',' && c != '_') t += c;
    if (t.empty()) return std::nullopt;
    try {
        size_t used = 0;
        const double v = std::stod(t, &used);
        if (used != t.size()) return std::nullopt;
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

}  // namespace

AnswerVerdict lesson_check_answer(const std::string& given, const std::string& expected) {
    AnswerVerdict v;
    v.expected = expected;
    if (trim(given).empty()) return v;
    const auto eg = number(expected), gg = number(given);
    if (eg && gg) {
        const bool integer = expected.find_first_of(".eE") == std::string::npos;
        v.correct = integer ? *eg == *gg : std::fabs(*eg - *gg) <= 1e-4 * std::fabs(*eg) + 1e-7;
        return v;
    }
    const auto el = int_list(expected), gl = int_list(given);
    if (el && gl && el->size() > 1) {
        v.correct = *el == *gl;
        return v;
    }
    v.correct = lower_compact(given) == lower_compact(expected);
    return v;
}

// ---- what a pending question hides ----

const std::vector<Fact>& lesson_conceals(const LessonStep& step) {
    static const std::vector<Fact> none;
    return step.question ? step.question->conceal : none;
}

bool LessonRun::hides(Fact f) const {
    if (step < 0 || step >= steps() || revealed) return false;
    const std::vector<Fact>& facts = lesson_conceals(current());
    return std::find(facts.begin(), facts.end(), f) != facts.end();
}

}  // namespace convscope::workspace
