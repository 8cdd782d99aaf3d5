// Lessons in the window: starting one, moving between steps (each step sets the window up with script actions),
// answers. The lesson itself (file format, placeholders, answer checking) is app/workspace/lesson.hpp.
#include <algorithm>

#include "app_state.hpp"
#include "script.hpp"

namespace convscope::gui {

namespace {

bool opens_scene(const LessonStep& step) {
    return std::any_of(step.actions.begin(), step.actions.end(), [](const ScriptAction& a) {
        return a.verb == "preset" || a.verb == "open_scene" || a.verb == "transpose_preset";
    });
}

}  // namespace

bool app_start_lesson(AppState& s, const std::string& id_or_path) {
    Lesson lesson;
    try {
        lesson = lesson_load(lesson_path(s.ws.asset_dir, id_or_path));
    } catch (const std::exception& e) {
        app_set_status(s.ws, std::string("Lesson not opened: ") + e.what(), true);
        return false;
    }
    const bool was_open = s.ws.lesson.has_value();
    s.ws.lesson = LessonRun{};
    s.ws.lesson->lesson = std::move(lesson);
    s.view.show_lessons = false;
    // A lesson starts on the main panels: the windows that cover them (another lesson's Batch vs channel or Weight
    // layouts, the im2col panel) close, and the Feature maps panel shows the conv output, not "then ReLU + pool"; a
    // step that uses one of them opens it.
    s.view.compare.open = s.view.layouts.open = s.view.im2col.open = false;
    s.view.after_show_request = false;
    if (!was_open) s.view.request_relayout = true;
    app_set_status(s.ws, "Lesson: " + s.ws.lesson->lesson.title, false);
    app_lesson_go(s, 0);
    return true;
}

void app_lesson_go(AppState& s, int step) {
    if (!s.ws.lesson) return;
    LessonRun& run = *s.ws.lesson;
    step = std::clamp(step, 0, run.steps() - 1);
    run.go(step);
    s.view.lesson_answer_text[0] = '\0';
    int from = step;
    while (from > 0 && !opens_scene(run.lesson.steps[static_cast<size_t>(from)])) --from;
    for (int i = from; i <= step; ++i)
        for (const ScriptAction& a : run.lesson.steps[static_cast<size_t>(i)].actions) {
            std::string error;
            if (!run_script_action(s, a, error))
                app_set_status(s.ws, run.lesson.id + ".lesson:" + std::to_string(a.line) + ": " + error, true);
        }
}

void app_lesson_answer(AppState& s, const std::string& answer) {
    if (!s.ws.lesson || !s.ws.lesson->current().question) return;
    LessonRun& run = *s.ws.lesson;
    run.answer = answer;
    const std::string expected = lesson_fill(run.current().question->answer, app_lesson_context(s.ws, s.view));
    const AnswerVerdict v = lesson_check_answer(answer, expected);
    run.correct = v.correct;
    if (v.correct)
        run.revealed = true;
    else
        run.hint_shown = true;
}

void app_lesson_close(AppState& s) {
    if (!s.ws.lesson) return;
    s.ws.lesson.reset();
    s.view.request_relayout = true;
}

LessonContext app_lesson_context(const Workspace& ws, const ViewSettings& view) {
    LessonContext c;
    c.scene = ws.scene.get();
    c.output = ws.output.get();
    c.cursor = ws.cursor ? &ws.cs : nullptr;
    c.edit = &ws.edit;
    c.error = ws.edit_error;
    c.transpose = &ws.transpose;
    if (view.layouts.open) c.layouts_pinned = view.layouts.pinned;
    if (view.compare.open && view.compare.pair) {
        c.pair = &*view.compare.pair;
        c.pair_cursor = view.compare.cursor;
        c.pair_pixel = view.compare.pin;
    }
    if (ws.after.result.source == ws.output && ws.output && ws.after.result.error.empty())
        c.pooled_shape =
            ws.after.result.pool ? ws.after.result.pool->output_shape_torch() : ws.scene->geo.output_shape_torch();
    return c;
}

std::vector<Fact> app_hidden_facts(const Workspace& ws) {
    if (!ws.lesson || ws.lesson->revealed) return {};
    return lesson_conceals(ws.lesson->current());
}

LessonContext app_lesson_shown_context(const Workspace& ws, const ViewSettings& view) {
    LessonContext c = app_lesson_context(ws, view);
    c.hidden = app_hidden_facts(ws);
    return c;
}

}  // namespace convscope::gui
