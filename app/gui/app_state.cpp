// The window's part of the frame: the window-level intents, the workspace's requests to the window, and the
// between-frames update around the workspace's own (app/workspace/workspace.cpp).
// Sections: item colours · window intents and requests · frame update
#include <algorithm>
#include <variant>

#include "app_state.hpp"
#include "gpu_cache.hpp"

namespace convscope::gui {

namespace {

constexpr ImU32 kPalette[] = {IM_COL32(255, 166, 48, 255), IM_COL32(64, 208, 200, 255),  IM_COL32(190, 130, 255, 255),
                              IM_COL32(140, 220, 90, 255), IM_COL32(255, 115, 170, 255), IM_COL32(250, 230, 90, 255)};

}  // namespace

ImU32 item_colour(int64_t n, float alpha) {
    const ImU32 c = kPalette[static_cast<size_t>(n) % (sizeof kPalette / sizeof kPalette[0])];
    const auto a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
    return (c & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

SceneView scene_view_of(const ViewSettings& view) {
    SceneView v;
    v.ui_scale = view.ui_scale;
    v.input_zoom = view.input_zoom;
    v.maps_zoom = view.fmap_zoom;
    v.filters_zoom = view.filter_zoom;
    v.reveal_all = !view.reveal_progressively;
    return v;
}

// ---- window intents and requests ----

namespace {

// Lessons (their steps run script verbs), the UI scale and the Batch vs channel cursor: applied here, in order with
// the workspace's intents.
void apply_window_intent(AppState& s, Intent& i) {
    if (const auto* start = std::get_if<intent::StartLesson>(&i)) {
        app_start_lesson(s, start->id_or_path);
    } else if (const auto* go = std::get_if<intent::LessonGo>(&i)) {
        app_lesson_go(s, go->step);
    } else if (const auto* answer = std::get_if<intent::LessonAnswer>(&i)) {
        app_lesson_answer(s, answer->answer);
    } else if (std::holds_alternative<intent::LessonClose>(i)) {
        app_lesson_close(s);
    } else if (const auto* scale = std::get_if<intent::SetUiScale>(&i)) {
        s.view.pending_ui_scale = std::clamp(scale->scale, 0.75f, 3.0f);
    } else if (const auto* e = std::get_if<intent::CompareCursor>(&i)) {
        CompareUi& c = s.view.compare;
        c.open = true;
        compare_refresh(s);  // the pair, and which side the scene on screen is
        if (!c.pair) return;
        c.cursor = workspace::clamp_cursor(*c.pair, {e->image, e->c_out, e->y, e->x});
        if (c.linked && s.ws.cursor) {
            const bool batch = *c.linked == workspace::PairSide::Batch;
            s.ws.step = s.ws.cursor->step_of(batch ? c.cursor.image : 0, c.cursor.c_out, c.cursor.y, c.cursor.x,
                                             s.ws.granularity);
            s.ws.playing = false;
        }
    }
}

WindowIntentHandler window_handler(AppState& s) {
    return [&s](Intent& i) { apply_window_intent(s, i); };
}

// What the workspace asked of the window since the last frame.
void take_requests(AppState& s) {
    ViewRequests r = std::exchange(s.ws.requests, ViewRequests{});
    if (r.relayout) s.view.request_relayout = true;
    if (r.show_cifar) s.view.show_cifar = true;
    if (r.show_data) s.view.show_data = true;
    if (r.cifar_list_changed) {
        s.view.cifar.class_filter = -1;
        s.view.cifar.shown_key = {nullptr, -2};
    }
    if (!r.confirm_overwrite.empty()) s.view.browser.confirm_overwrite = r.confirm_overwrite;
    if (r.overwrite_confirmed) s.view.browser.confirm_overwrite.clear();
    if (r.scene_view) {
        const SceneView& v = *r.scene_view;
        if (v.ui_scale != s.view.ui_scale) s.view.pending_ui_scale = std::clamp(v.ui_scale, 0.75f, 3.0f);
        s.view.input_zoom = v.input_zoom;
        s.view.fmap_zoom = v.maps_zoom;
        s.view.filter_zoom = v.filters_zoom;
        s.view.reveal_progressively = !v.reveal_all;
    }
}

}  // namespace

// ---- frame update ----

void app_begin_frame(AppState& s, double dt) {
    const bool after_wanted = s.view.after_shown || s.view.after_show_request == true;
    workspace_begin_frame(s.ws, dt, after_wanted, window_handler(s));
    take_requests(s);
    app_update_cifar_view(s);
    app_refresh_code(s);
    compare_refresh(s);
    gpu_refresh(s.gpu, s.ws, s.view);
    s.geometry.clear();
}

void app_apply_intents(AppState& s) {
    app_apply_intents(s.ws, window_handler(s));
    take_requests(s);
}

void app_wait_idle(AppState& s, double timeout_seconds) {
    app_wait_idle(s.ws, timeout_seconds, window_handler(s));
    take_requests(s);
}

void app_shutdown(AppState& s) {
    app_shutdown(s.ws);
    gpu_release(s.gpu);
}

}  // namespace convscope::gui
