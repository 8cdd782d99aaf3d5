#include <algorithm>
#include <cmath>
#include <string>

#include "panels.hpp"
#include "widgets.hpp"

namespace convscope::gui {

namespace {

constexpr int64_t kPageRows = 24;  // thumbnails rows per atlas page; two pages cover any visible range at 1280x800

std::string label_of(const CifarDataset& set, int64_t i) {
    const uint8_t l = set.images[static_cast<size_t>(i)].label;
    return l < set.label_names.size() ? set.label_names[l] : std::to_string(l);
}

void load_problem(Ui& s) {
    const CifarBatch& b = s.ws.cifar;
    if (s.ws.loader.busy() && s.ws.loader.request().purpose == FilePurpose::Cifar) {
        const std::string text = "Reading " + file_name(s.ws.loader.request().path);
        ImGui::ProgressBar(s.ws.loader.progress(), ImVec2(-ImGui::GetFontSize() * 5.0f, 0), text.c_str());
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) s.push(intent::CancelLoad{});
    }
    if (b.error.empty()) return;
    ImGui::PushStyleColor(ImGuiCol_Text, error_text());
    ImGui::TextWrapped("%s", b.error.c_str());
    ImGui::PopStyleColor();
    if (b.partial_records > 0) {
        const std::string label = "Load the " + count_text(b.partial_records) + " complete records";
        if (ImGui::Button(label.c_str())) {
            LoadRequest q = b.failed;
            q.accept_partial = true;
            s.push(intent::Open{q});
        }
    }
    if (b.ambiguous) {
        ImGui::TextUnformatted("Which dataset is it?");
        ImGui::SameLine();
        for (CifarVariant variant : {CifarVariant::Cifar10, CifarVariant::Cifar100}) {
            if (ImGui::Button(variant == CifarVariant::Cifar10 ? "CIFAR-10" : "CIFAR-100")) {
                LoadRequest q = b.failed;
                q.variant = variant;
                s.push(intent::Open{q});
            }
            ImGui::SameLine();
        }
        ImGui::NewLine();
    }
    if (ImGui::SmallButton("Dismiss")) s.push(intent::DismissCifarError{});
    ImGui::Separator();
}

void header(Ui& s) {
    CifarView& v = s.view.cifar;
    const CifarBatch& b = s.ws.cifar;
    const CifarDataset& set = *b.set;
    ImGui::Text("%s: %s images, %s", file_name(b.path).c_str(), count_text(set.size()).c_str(),
                set.variant == CifarVariant::Cifar10 ? "CIFAR-10" : "CIFAR-100 (fine labels)");
    for (const std::string& w : set.warnings) ImGui::TextColored(error_text(), "%s", w.c_str());
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
    const std::string current =
        v.class_filter < 0 ? "every class" : set.label_names[static_cast<size_t>(v.class_filter)];
    if (ImGui::BeginCombo("class", current.c_str())) {
        if (ImGui::Selectable("every class", v.class_filter < 0)) v.class_filter = -1;
        for (size_t i = 0; i < set.label_names.size(); ++i) {
            ImGui::PushID(static_cast<int>(i));
            if (ImGui::Selectable(set.label_names[i].c_str(), v.class_filter == static_cast<int>(i)))
                v.class_filter = static_cast<int>(i);
            ImGui::PopID();
        }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    bool grey = b.greyscale;
    if (ImGui::Checkbox("greyscale (1 channel)", &grey) && !b.selection.empty())
        s.push(intent::PickCifar{b.selection, grey});
    else if (b.selection.empty() && grey != b.greyscale)
        s.push(intent::SetCifarGreyscale{grey});
    ImGui::TextColored(dim_text(), "click: one image; Ctrl+click: add/remove (the batch N). Batch:");
    ImGui::SameLine();
    std::string batch;
    for (size_t i = 0; i < b.selection.size() && i < 8; ++i) batch += (i ? ", " : "") + std::to_string(b.selection[i]);
    if (b.selection.size() > 8) batch += ", ...";
    ImGui::TextColored(accent_text(), "%s", b.selection.empty() ? "(none)" : batch.c_str());
}

struct Thumb {
    int64_t index;  // into the dataset
    int slot, tile;
    ImVec2 p0;
};

void grid(Ui& s) {
    CifarView& v = s.view.cifar;
    const CifarBatch& b = s.ws.cifar;
    const CifarDataset& set = *b.set;
    const float thumb = std::floor(32.0f * 1.5f * ImGui::GetFontSize() / 15.0f);
    const float label_h = ImGui::GetTextLineHeight();
    const float gap = 6.0f;
    ImGui::BeginChild("##grid", ImVec2(0, 0), true);
    const float avail = ImGui::GetContentRegionAvail().x;
    const int64_t cols = std::max<int64_t>(1, static_cast<int64_t>((avail + gap) / (thumb + gap)));
    const int64_t count = static_cast<int64_t>(v.shown.size());
    const int64_t rows = (count + cols - 1) / cols;
    const float spacing = ImGui::GetStyle().ItemSpacing.y;
    const float row_h = thumb + label_h + gap;
    std::vector<Thumb> thumbs;
    std::array<std::array<int64_t, 3>, 2> wanted{{{-1, -1, -1}, {-1, -1, -1}}};
    ImGuiListClipper clipper;
    clipper.Begin(static_cast<int>(rows), row_h + spacing);
    const ImGuiIO& io = ImGui::GetIO();
    while (clipper.Step()) {
        for (int64_t r = clipper.DisplayStart; r < clipper.DisplayEnd; ++r) {
            const ImVec2 row0 = ImGui::GetCursorScreenPos();
            const int64_t page = r / kPageRows;
            const int slot = static_cast<int>(page % 2);
            const std::array<int64_t, 3> key{page * kPageRows * cols, kPageRows * cols, v.generation};
            wanted[static_cast<size_t>(slot)] = key;
            const bool ready = s.gpu.cifar_page_keys[static_cast<size_t>(slot)] == key;
            for (int64_t c = 0; c < cols; ++c) {
                const int64_t k = r * cols + c;
                if (k >= count) break;
                const int64_t index = v.shown[static_cast<size_t>(k)];
                const ImVec2 p0(row0.x + static_cast<float>(c) * (thumb + gap), row0.y);
                ImGui::SetCursorScreenPos(p0);
                ImGui::PushID(static_cast<int>(index));
                if (ImGui::InvisibleButton("##t", ImVec2(thumb, thumb + label_h))) {
                    std::vector<int64_t> pick = b.selection;
                    if (io.KeyCtrl) {
                        const auto it = std::find(pick.begin(), pick.end(), index);
                        if (it != pick.end())
                            pick.erase(it);
                        else if (pick.size() < 64)
                            pick.push_back(index);
                    } else {
                        pick = {index};
                    }
                    if (!pick.empty()) s.push(intent::PickCifar{pick, b.greyscale});
                }
                if (ImGui::IsItemHovered())
                    ImGui::SetTooltip("#%lld  %s  (%s)", static_cast<long long>(index), label_of(set, index).c_str(),
                                      set.images[static_cast<size_t>(index)].source.c_str());
                ImGui::PopID();
                if (ready)
                    thumbs.push_back({index, slot, static_cast<int>(k - key[0]), p0});
                else
                    thumbs.push_back({index, -1, 0, p0});
            }
            ImGui::SetCursorScreenPos(row0);
            ImGui::Dummy(ImVec2(avail, row_h));
        }
    }
    clipper.End();
    v.wanted = wanted;

    ImDrawList* dl = ImGui::GetWindowDrawList();
    HeatmapStyle style;
    style.color = ColorMode::Rgb;
    style.mask = MaskMode::None;
    heatmap_begin(dl, style);
    for (const Thumb& t : thumbs) {
        if (t.slot < 0) continue;
        const TileAtlas& a = s.gpu.cifar_pages[static_cast<size_t>(t.slot)];
        if (t.tile >= a.count) continue;
        dl->AddImage(a.id(), t.p0, ImVec2(t.p0.x + thumb, t.p0.y + thumb), a.uv0(t.tile), a.uv1(t.tile));
    }
    heatmap_end(dl);
    for (const Thumb& t : thumbs) {
        const ImVec2 p1(t.p0.x + thumb, t.p0.y + thumb);
        if (t.slot < 0) dl->AddRectFilled(t.p0, p1, IM_COL32(51, 54, 61, 255));
        const auto sel = std::find(b.selection.begin(), b.selection.end(), t.index);
        if (sel != b.selection.end()) {
            const int64_t n = sel - b.selection.begin();
            outline(dl, ImVec2(t.p0.x - 2, t.p0.y - 2), ImVec2(p1.x + 2, p1.y + 2), item_colour(n), 2.5f);
            shadow_text(dl, ImVec2(t.p0.x + 2, t.p0.y + 1), item_colour(n), ("n=" + std::to_string(n)).c_str());
        }
        dl->PushClipRect(ImVec2(t.p0.x, p1.y), ImVec2(p1.x + gap * 0.5f, p1.y + label_h), true);
        dl->AddText(ImVec2(t.p0.x, p1.y), IM_COL32(190, 190, 200, 255), label_of(set, t.index).c_str());
        dl->PopClipRect();
    }
    ImGui::EndChild();
}

}  // namespace

void draw_cifar_browser(Ui& s) {
    if (!s.view.show_cifar) return;
    const ImVec2 d = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(d.x * 0.24f, ImGui::GetFrameHeight() + 30.0f), ImGuiCond_FirstUseEver);
    ImGui::SetNextWindowSize(ImVec2(d.x * 0.5f, d.y * 0.72f), ImGuiCond_FirstUseEver);
    if (begin_panel("CIFAR browser", &s.view.show_cifar)) {
        load_problem(s);
        if (!s.ws.cifar.set) {
            ImGui::TextWrapped(
                "Open a CIFAR-10 or CIFAR-100 binary batch (data_batch_1.bin, test.bin, ...), the "
                "extracted folder, or the downloaded .tar.gz.");
            if (ImGui::Button("Open CIFAR...")) app_open_browser(s.view, s.ws, FilePurpose::Cifar);
        } else {
            header(s);
            grid(s);
        }
    }
    ImGui::End();
}

}  // namespace convscope::gui
