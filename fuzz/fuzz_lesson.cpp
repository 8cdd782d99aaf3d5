// libFuzzer target: lesson_parse (the .lesson format a teacher writes) on arbitrary text. Only FormatError/Error may
// escape. A lesson that parses must hold only what the parser promises: at least one step, each with a title, setup
// actions whose verbs are in the script grammar and whose arguments pass its checks, placeholders that are all known,
// and every template fills in (with nothing on screen: "(n/a: ...)"), also with what a pending question hides,
// without throwing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "lesson.hpp"
#include "script_grammar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace convscope::workspace;
    const std::string text(reinterpret_cast<const char*>(data), size);
    Lesson lesson;
    try {
        lesson = lesson_parse(text, "fuzz.lesson");
    } catch (const convscope::Error&) {
        return 0;
    }
    if (lesson.steps.empty()) __builtin_trap();
    const LessonContext nothing;  // no scene, no cursor: every placeholder is "(n/a: ...)"
    for (const LessonStep& step : lesson.steps) {
        if (step.title.empty() && step.text.empty()) __builtin_trap();
        for (const ScriptAction& a : step.actions) {
            const VerbSpec* verb = find_verb(a.verb);
            if (!verb || a.args.size() < verb->min_args || a.args.size() > verb->max_args) __builtin_trap();
            std::string why;
            if (verb->check && !verb->check(a, why)) __builtin_trap();
        }
        std::vector<std::string> templates{step.title, step.text};
        if (step.question)
            templates.insert(templates.end(),
                             {step.question->ask, step.question->answer, step.question->hint, step.question->reveal});
        // what a pending question hides: named facts only, and the step's text fills in with them hidden too
        LessonContext hiding;
        hiding.hidden = lesson_conceals(step);
        if (step.question && hiding.hidden.empty()) __builtin_trap();  // (the preset's notes, at least)
        for (const Fact f : hiding.hidden)
            if (lesson_fact_name(f) == "?") __builtin_trap();
        for (const std::string& t : templates) {
            lesson_check_placeholders(t, "fuzz.lesson");  // the parser checked them: must not throw
            (void)lesson_fill(t, nothing);
            (void)lesson_fill(t, hiding);
        }
        if (step.question) (void)lesson_check_answer(lesson_fill(step.question->answer, nothing), "42");
    }
    return 0;
}
