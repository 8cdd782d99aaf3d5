// Lessons: a guided tour of one question, as a sequence of steps. Each step sets the window up with the script
// language's verbs, points at what it talks about, tells a short story whose numbers come from the engine, and may
// ask the student to predict something before revealing it. Lessons are plain text files a teacher can write:
//
//   convscope-lesson 1                      first line: the format and its version
//   title: Q1 - How does Conv2d(3, 192, 5, padding=2) make 192 maps?
//                                           (optional) summary: one line shown in the lesson list
//   ## One weight, four dimensions          a step and its title
//   @ preset default                        a setup action: a --script verb (state-setting verbs only)
//   @ cursor 0 8 16 16
//   highlight: filters                      the panel the step is about (layer, input, filters, computation,
//                                           channel_sums, feature_maps, playback, lesson); several allowed
//   The weight is ONE tensor {weight_shape}.   narrative: Markdown-like paragraphs (blank line = new paragraph;
//                                           "- " starts a list item; **bold** is kept as written)
//   ask: What is the output's shape?        a prediction the student types before the reveal
//   answer: {output_shape}                  what the engine says (shapes, numbers within 1e-4 relative, or text)
//   hint: Padding 2 on each side...         shown after a wrong answer
//   reveal: The output is {output_shape}.   shown after a right answer or "Reveal"
//   conceal: output_shape                   (optional) what the window hides until then, beyond what the answer's
//                                           placeholders imply (facts: see lesson_facts below)
//
// Placeholders are filled in live from the scene on screen, never typed by hand: {layer} {input_shape}
// {output_shape} {weight_shape} {bias_shape} {params} {weight_count} {bias_count} {macs} {error} {cursor} {value}
// {bias} {sum} {equation} {formula_h} {formula_w} {formula_l} {input_kind} {keras_kernel_shape}
// {keras_input_shape} {keras_output_shape} {pooled_shape} and tensor elements {y[n,c,h,w]} {x[n,c,h,w]} {w[o,i,kh,kw]}
// {b[o]} (1-D: three indices). The transposed-convolution view (Layer kind ConvTranspose): {t_layer} {t_input_shape}
// {t_output_shape} {t_weight_shape} {t_params} {t_error} {t_formula_h} {t_formula_w} {t_formula_l} {t_min_products}
// {t_max_products}, and in the gather picture {t_cursor} {t_value}. The Batch vs channel window (Q2): {compare_batch}
// {compare_channels} (each side's output at the window's cursor split by image) {compare_lit_batch}
// {compare_lit_channels} (how many outputs the pinned pixel feeds on each side). The Weight layouts window (Q6), for
// its pinned element: {layouts_pytorch} {layouts_keras} (its index in each layout) {layouts_pytorch_offset}
// {layouts_keras_offset} (its place in each layout's memory). An unknown placeholder or verb is a parse error
// "FILE:LINE: why"; nothing is loaded then.
//
// Sections: the lesson model · parsing · filling in · answers
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "batch_channel.hpp"
#include "compute.hpp"
#include "cursor.hpp"
#include "scene.hpp"
#include "script_grammar.hpp"
#include "transpose_scene.hpp"
#include "weight_layouts.hpp"

namespace convscope::workspace {

inline constexpr int kLessonVersion = 1;

// The panels a step can point at (the window's panel titles, in lower case with '_').
const std::vector<std::string>& lesson_panels();

// What a pending question hides in the window, so that "predict, then reveal" is a prediction: the output's shape
// (the Layer panel's shapes, sizes and formulas, the Feature maps headers, the Batch vs channel window's headers),
// the parameter count (with the weight count and the MACs per output), the value at the cursor (the Computation
// panel's total, the Batch vs channel window's totals, the transposed convolution's output numbers and running
// sums), the pooled shape ("then ReLU + pool"), the Weight layouts window's answers (the Keras offset of the pinned
// element, np.moveaxis's shape), the products per output of the transposed convolution and the outputs a pinned
// input pixel feeds (Lit: their outlines in the Feature maps panel and the count in the Input panel's tooltip). The
// preset's notes in the Layer panel are hidden with every pending question: they often state the answer.
enum class Fact { OutputShape, Params, OutputValue, PooledShape, Layouts, Products, Lit, Notes };
// The names a 'conceal:' line uses (output_shape params output_value pooled_shape layouts products lit), in order.
const std::vector<std::pair<std::string, Fact>>& lesson_facts();
std::string lesson_fact_name(Fact f);
// What the window (and a step's text) shows in place of a hidden number or shape.
inline constexpr const char* kHidden = "?";
// A formula with its result hidden: `text` up to its `keep`-th " = ", then " = ?" ("H_out = floor((32 + 2*2 -
// 1*(5-1) - 1) / 1) + 1 = floor(31 / 1) + 1 = 32" with keep 2: the formula with the layer's numbers, = ?). With
// fewer " = ", up to the last one; with none, the whole text then " = ?".
std::string hide_result(const std::string& text, int keep);

struct LessonQuestion {
    std::string ask, answer, hint, reveal;  // templates (placeholders filled in when shown)
    // what the window hides while the question waits: its 'conceal:' lines, the facts its answer's placeholders
    // name and Notes, sorted (lesson_parse adds the last two)
    std::vector<Fact> conceal;
    int line = 0;
};

struct LessonStep {
    std::string title;
    int line = 0;                         // where "## title" is
    std::vector<ScriptAction> actions;    // @ lines, in order
    std::vector<std::string> highlights;  // panel names
    std::string text;                     // narrative template
    std::optional<LessonQuestion> question;
};

struct Lesson {
    std::string id;  // the file name without ".lesson"
    std::string path;
    std::string title, summary;
    std::vector<LessonStep> steps;
};

// ---- parsing ----
// Strict: every malformed line is a FormatError "FILE:LINE: why". `name` is used in messages.
Lesson lesson_parse(const std::string& text, const std::string& name);
// Reads a .lesson file (at most 1 MiB); IoError / FormatError. Relative paths in @ actions are resolved against
// the lesson's folder.
Lesson lesson_load(const std::string& path);
// The shipped lessons: <asset_dir>/lessons/*.lesson, the seed questions' (q1_..., q2_...) first, each group sorted
// by file name. Broken files are skipped with their
// error in `errors`.
std::vector<Lesson> lesson_list(const std::string& asset_dir, std::vector<std::string>& errors);
// "q1_conv2d" -> <asset_dir>/lessons/q1_conv2d.lesson; a path ending in .lesson is used as given.
std::string lesson_path(const std::string& asset_dir, const std::string& id_or_path);

// ---- filling in ----
// What placeholders read: the scene on screen, its output, the cursor, and the layer as edited (with its error).
struct LessonContext {
    const Scene* scene = nullptr;
    const LayerOutput* output = nullptr;
    const CursorState* cursor = nullptr;
    const LayerEdit* edit = nullptr;              // may differ from scene->edit while the edit is invalid
    std::string error;                            // PyTorch's text for the edit, "" when valid
    std::optional<Shape> pooled_shape;            // the "then ReLU + pool" result's shape, when it is computed
    const TransposeSession* transpose = nullptr;  // the transposed-convolution view (t_ placeholders)
    // the Batch vs channel window (compare_ placeholders): its pair, cursor and pinned pixel (image, y, x)
    const BatchChannelPair* pair = nullptr;
    PairCursor pair_cursor;
    std::optional<std::array<int64_t, 3>> pair_pixel;
    std::optional<WeightIndex> layouts_pinned;  // the Weight layouts window's pinned element (layouts_ placeholders)
    // Facts a pending question hides (lesson_conceals): placeholders that give one away are filled in without it
    // ("?"; a formula or {equation} up to its result, then "= ?"). Empty for the answer check.
    std::vector<Fact> hidden;
};
// Replaces every {placeholder}; one that cannot be evaluated now (an index outside the tensor, {error} on a valid
// layer) becomes "(n/a: why)" so a teacher sees the problem in the window.
std::string lesson_fill(const std::string& templ, const LessonContext& ctx);
// The placeholder names (without braces) a template uses, in order.
std::vector<std::string> lesson_placeholders(const std::string& templ);
// Checks every placeholder of a template; throws FormatError "NAME:LINE: unknown placeholder {x}".
void lesson_check_placeholders(const std::string& templ, const std::string& where);

// ---- answers ----
struct AnswerVerdict {
    bool correct = false;
    std::string expected;  // the filled-in answer
};
// Compares the student's answer with the filled-in expected one: shapes and lists by their integers ("(1, 192,
// 32, 32)" = "1,192,32,32" = "[1 192 32 32]"), single numbers within 1e-4 relative (commas as thousands separators
// allowed: "14,592"), otherwise case- and space-insensitive text.
AnswerVerdict lesson_check_answer(const std::string& given, const std::string& expected_filled);

// What a step's question hides while it waits (none without a question): the facts its answer's placeholders name
// ({output_shape} {formula_h} ... -> OutputShape; {params} {weight_count} {bias_count} {macs} -> Params; {y[...]}
// {value} {sum} {equation} {compare_batch} ... -> OutputValue; {pooled_shape}; {layouts_keras_offset} ...;
// {t_max_products} ...), its 'conceal:' lines, and Notes. Sorted, no repeats (LessonQuestion::conceal).
const std::vector<Fact>& lesson_conceals(const LessonStep& step);

// ---- a lesson being followed ----
struct LessonRun {
    Lesson lesson;
    int step = 0;                 // index into lesson.steps
    std::string answer;           // the student's last answer to this step's question
    std::optional<bool> correct;  // verdict on it
    bool revealed = false;
    bool hint_shown = false;
    void go(int s) {
        step = s;
        answer.clear();
        correct.reset();
        revealed = false;
        hint_shown = false;
    }
    const LessonStep& current() const { return lesson.steps[static_cast<size_t>(step)]; }
    // True while this step's question waits for its answer (not yet right, not revealed) and hides `f`.
    bool hides(Fact f) const;
    int steps() const { return static_cast<int>(lesson.steps.size()); }
};

}  // namespace convscope::workspace
