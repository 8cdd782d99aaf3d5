// The Lesson panel (the step's story with its numbers filled in, a prediction to make, Back / Next / Resume), the
// outlines on the panels a step talks about, and the lesson picker (Help -> Lessons).
#include <imgui_internal.h>  // FindWindowByName: where the panels a step points at are on screen

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

constexpr ImU32 kHighlightColour = IM_COL32(255, 170, 0, 255);
const ImVec4 kRightText = ImVec4(0.45f, 0.90f, 0.45f, 1.0f);

const char* panel_title(const std::string& panel) {
    if (panel == "layer") return "Layer";
    if (panel == "input") return "Input";
    if (panel == "filters") return "Filters";
    if (panel == "computation") return "Computation";
    if (panel == "channel_sums") return "Channel sums";
    if (panel == "feature_maps") return "Feature maps";
    if (panel == "playback") return "Playback";
    if (panel == "compare") return "Batch vs channel";
    if (panel == "layouts") return "Weight layouts";
    return "Lesson";
}

std::string without_bold(std::string t) {
    for (size_t i; (i = t.find("**")) != std::string::npos;) t.erase(i, 2);
    return t;
}

// Lines of `text` no wider than `width`, broken at spaces: a number like "14,592" or "(-1.9e-03)" is never split
// (ImGui's own wrapping breaks after ',' and '.'); only a word wider than the whole line is cut (split_long_word).
bool number_char(char c) { return (c >= '0' && c <= '9') || c == '.' || c == ',' || c == '-' || c == '+'; }

// A word wider than the line (code like self.pool(F.relu(self.conv1(x)))) is cut after '(' '.' ',' '_' '/' where
// that does not split a number.
std::vector<std::string> split_long_word(const std::string& word, float width) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < word.size()) {
        size_t cut = std::string::npos;
        for (size_t i = start + 1; i < word.size(); ++i) {
            const char p = word[i - 1];
            const bool breakable = (p == '(' || p == '.' || p == ',' || p == '_' || p == '/') &&
                                   !(number_char(word[i]) && i >= 2 && number_char(word[i - 2]));
            if (!breakable) continue;
            if (ImGui::CalcTextSize(word.substr(start, i - start).c_str()).x > width) break;
            cut = i;
        }
        if (cut == std::string::npos || ImGui::CalcTextSize(word.substr(start).c_str()).x <= width) {
            parts.push_back(word.substr(start));
            break;
        }
        parts.push_back(word.substr(start, cut - start));
        start = cut;
    }
    return parts;
}

std::vector<std::string> wrap_at_spaces(const std::string& text, float width) {
    std::vector<std::string> lines;
    std::string line;
    size_t i = 0;
    while (i < text.size()) {
        const size_t end = text.find(' ', i);
        const std::string word = text.substr(i, end == std::string::npos ? std::string::npos : end - i);
        i = end == std::string::npos ? text.size() : end + 1;
        if (word.empty()) continue;
        if (ImGui::CalcTextSize(word.c_str()).x > width) {
            if (!line.empty()) lines.push_back(line);
            std::vector<std::string> parts = split_long_word(word, width);
            line = parts.back();
            parts.pop_back();
            lines.insert(lines.end(), parts.begin(), parts.end());
            continue;
        }
        const std::string candidate = line.empty() ? word : line + " " + word;
        if (!line.empty() && ImGui::CalcTextSize(candidate.c_str()).x > width) {
            lines.push_back(line);
            line = word;
        } else {
            line = candidate;
        }
    }
    if (!line.empty()) lines.push_back(line);
    return lines;
}

void text_block(Ui& s, const std::string& text, const ImVec4* colour = nullptr) {
    std::string para;
    auto flush = [&](const std::string& p) {
        const bool bullet = p.rfind("- ", 0) == 0;
        const std::string body = without_bold(bullet ? p.substr(2) : p);
        const float indent = bullet ? ImGui::GetFontSize() * 1.1f : 0.0f;
        const float width = ImGui::GetContentRegionAvail().x - indent;
        bool first = true;
        for (const std::string& l : wrap_at_spaces(body, std::max(width, 40.0f))) {
            if (bullet) {
                if (first) {
                    ImGui::Bullet();
                    ImGui::SameLine(0, 0);
                } else {
                    ImGui::Indent(indent);
                }
            }
            const ImVec2 p0 = ImGui::GetCursorScreenPos();
            if (colour)
                ImGui::TextColored(*colour, "%s", l.c_str());
            else
                ImGui::TextUnformatted(l.c_str());
            if (bullet && !first) ImGui::Unindent(indent);
            const ImVec2 size = ImGui::CalcTextSize(l.c_str());
            s.geometry.lesson_lines.push_back({l, p0, ImVec2(p0.x + size.x, p0.y + size.y)});
            first = false;
        }
    };
    for (char c : text) {
        if (c == '\n') {
            if (!para.empty()) flush(para);
            para.clear();
            ImGui::Spacing();
        } else {
            para += c;
        }
    }
    if (!para.empty()) flush(para);
}

void question(Ui& s, const LessonRun& run, const LessonContext& ctx) {
    const LessonQuestion& q = *run.current().question;
    ImGui::Separator();
    ImGui::TextColored(accent_text(), "Predict");
    text_block(s, lesson_fill(q.ask, ctx));
    ImGui::SetNextItemWidth(std::max(ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("Check").x -
                                         ImGui::GetStyle().FramePadding.x * 2 - ImGui::GetStyle().ItemSpacing.x,
                                     60.0f));
    const bool enter = ImGui::InputTextWithHint("##answer", "your answer", s.view.lesson_answer_text.data(),
                                                s.view.lesson_answer_text.size(), ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if (ImGui::Button("Check") || enter) s.push(intent::LessonAnswer{s.view.lesson_answer_text.data()});
    if (run.correct) {
        if (*run.correct) {
            ImGui::TextColored(kRightText, "Right.");
        } else {
            const ImVec4 err = error_text(), dim = dim_text();
            text_block(s, "Not quite: \"" + run.answer + "\".", &err);
            if (!q.hint.empty()) text_block(s, "Hint: " + lesson_fill(q.hint, ctx), &dim);
        }
    }
    if (!run.revealed) {
        if (ImGui::SmallButton("Reveal the answer")) s.push(intent::LessonReveal{true});
        return;
    }
    text_block(s, "Answer: " + lesson_fill(q.answer, ctx), &kRightText);
    if (!q.reveal.empty()) text_block(s, lesson_fill(q.reveal, ctx));
}

void outline_highlights(Ui& s) {
    if (!s.ws.lesson) return;
    ImDrawList* dl = ImGui::GetForegroundDrawList();
    for (const std::string& panel : s.ws.lesson->current().highlights) {
        const ImGuiWindow* w = find_panel_window(panel_title(panel));
        if (!w || !w->WasActive) continue;
        const ImVec2 a(w->Pos.x + 1.5f, w->Pos.y + 1.5f), b(w->Pos.x + w->Size.x - 1.5f, w->Pos.y + w->Size.y - 1.5f);
        dl->AddRect(a, b, kHighlightColour, 4.0f, 0, 3.0f);
        s.geometry.highlights.push_back({panel, a, b});
    }
}

void lesson_keys(Ui& s) {
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || io.KeyCtrl || !s.ws.lesson) return;
    if (ImGui::IsKeyPressed('N', false) && s.ws.lesson->step + 1 < s.ws.lesson->steps())
        s.push(intent::LessonGo{s.ws.lesson->step + 1});
    if (ImGui::IsKeyPressed('P', false) && s.ws.lesson->step > 0) s.push(intent::LessonGo{s.ws.lesson->step - 1});
}

void picker(Ui& s) {
    if (!s.view.show_lessons) return;
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.5f, d.y * 0.45f), ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(std::min(d.x * 0.6f, ImGui::GetFontSize() * 46.0f), 0), ImGuiCond_Appearing);
    if (ImGui::Begin("Lessons", &s.view.show_lessons, ImGuiWindowFlags_NoCollapse)) {
        ImGui::TextColored(dim_text(), "Guided tours of the questions people ask about convolution layers.");
        for (size_t i = 0; i < s.ws.lesson_catalogue.size(); ++i) {
            const Lesson& l = s.ws.lesson_catalogue[i];
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Button("Start")) {
                const std::string path = l.path;
                s.push(intent::StartLesson{path});
            }
            ImGui::SameLine();
            ImGui::TextUnformatted(l.title.c_str());
            if (!l.summary.empty()) {
                ImGui::Indent(ImGui::GetFontSize() * 3.2f);
                ImGui::PushTextWrapPos(0.0f);
                ImGui::TextColored(dim_text(), "%s (%zu steps)", l.summary.c_str(), l.steps.size());
                ImGui::PopTextWrapPos();
                ImGui::Unindent(ImGui::GetFontSize() * 3.2f);
            }
            ImGui::PopID();
        }
        for (const std::string& e : s.ws.lesson_catalogue_errors) ImGui::TextColored(error_text(), "%s", e.c_str());
        ImGui::Separator();
        ImGui::TextUnformatted("Open a lesson file (a teacher's own .lesson):");
        ImGui::SetNextItemWidth(-ImGui::CalcTextSize("Open").x - ImGui::GetStyle().FramePadding.x * 2 -
                                ImGui::GetStyle().ItemSpacing.x);
        const bool enter =
            ImGui::InputTextWithHint("##lesson_path", "path/to/lesson.lesson", s.view.lesson_path_text.data(),
                                     s.view.lesson_path_text.size(), ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::SameLine();
        if ((ImGui::Button("Open") || enter) && s.view.lesson_path_text[0] != '\0') {
            std::string path = s.view.lesson_path_text.data();
            if (path.size() < 7 || path.compare(path.size() - 7, 7, ".lesson") != 0) path += ".lesson";
            s.push(intent::StartLesson{path});
        }
        ImGui::TextColored(dim_text(),
                           "The format is described in app/workspace/lesson.hpp and assets/lessons/README.md.");
    }
    ImGui::End();
}

}  // namespace

void draw_lesson(Ui& s) {
    picker(s);
    if (!s.ws.lesson) return;
    lesson_keys(s);
    if (!s.ws.lesson) return;
    next_window_slot(s, Slot::Lesson);
    if (begin_panel("Lesson")) {
        const LessonRun& run = *s.ws.lesson;
        const LessonContext ctx = app_lesson_shown_context(s.ws, s.view);
        const ImVec2 wmin = ImGui::GetWindowPos();
        const ImVec2 cmin = ImGui::GetWindowContentRegionMin(), cmax = ImGui::GetWindowContentRegionMax();
        s.geometry.lesson_panel = OutlineRect{0, 0, ImVec2(wmin.x + cmin.x, wmin.y + cmin.y),
                                              ImVec2(wmin.x + cmax.x, wmin.y + cmax.y + ImGui::GetScrollMaxY())};
        const ImVec4 accent = accent_text();
        text_block(s, run.lesson.title, &accent);
        const std::string progress = "Step " + std::to_string(run.step + 1) + " of " + std::to_string(run.steps());
        ImGui::ProgressBar(static_cast<float>(run.step + 1) / static_cast<float>(run.steps()), ImVec2(-1, 0),
                           progress.c_str());
        const bool first = run.step == 0, last = run.step + 1 >= run.steps();
        // the buttons share a row while they fit (UI scale 1.5 in a narrow column wraps them)
        auto next_button = [](const char* label) {
            const float w = ImGui::CalcTextSize(label).x + ImGui::GetStyle().FramePadding.x * 2;
            const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
            if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w <= right) ImGui::SameLine();
        };
        ImGui::BeginDisabled(first);
        if (ImGui::Button("< Back (P)")) s.push(intent::LessonGo{run.step - 1});
        ImGui::EndDisabled();
        next_button("Next (N) >");
        ImGui::BeginDisabled(last);
        if (ImGui::Button("Next (N) >")) s.push(intent::LessonGo{run.step + 1});
        ImGui::EndDisabled();
        next_button("Resume");
        if (ImGui::Button("Resume")) s.push(intent::LessonGo{run.step});
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("Set the window back to this step's state");
        next_button("Close");
        if (ImGui::Button("Close")) {
            s.push(intent::LessonClose{});
            ImGui::End();
            return;
        }
        ImGui::Separator();
        const LessonRun& now = *s.ws.lesson;  // a button may have moved to another step
        text_block(s, lesson_fill(now.current().title, ctx), &accent);
        text_block(s, lesson_fill(now.current().text, ctx));
        if (now.current().question) question(s, now, ctx);
    }
    ImGui::End();
    outline_highlights(s);
}

}  // namespace convscope::gui
