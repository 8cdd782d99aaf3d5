// Two processes saving the same file at once while a third reads it: every read must be one complete version
// (valid JSON / a valid .npy), never 0 bytes or a mix. Before each writer had its own temporary name, both wrote
// "<file>.tmp" and a reader saw invalid JSON or an empty file in 4 of 7 runs.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "error.hpp"
#include "npy.hpp"
#include "scene_io.hpp"
#include "test_util.hpp"

namespace {

using convscope::testing::dir_entries;
using convscope::testing::TempDir;

constexpr int kSaves = 200;

// Starts a process that calls save(i) for i in [0, kSaves) and exits 0 (1 if a save threw).
pid_t start_writer(const std::function<void(int)>& save) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        int code = 0;
        try {
            for (int i = 0; i < kSaves; ++i) save(i);
        } catch (...) {
            code = 1;
        }
        ::_exit(code);
    }
    return pid;
}

bool still_running(pid_t pid, int& status) { return ::waitpid(pid, &status, WNOHANG) == 0; }

// Reads with `read` until both writers have finished (and once more after); returns the number of reads.
// read() returns an empty string for a good read, else what was wrong.
int read_while_writing(pid_t a, pid_t b, const std::function<std::string()>& read, std::vector<std::string>& bad) {
    int reads = 0, status_a = 0, status_b = 0;
    bool a_running = true, b_running = true;
    while (a_running || b_running) {
        if (a_running) a_running = still_running(a, status_a);
        if (b_running) b_running = still_running(b, status_b);
        const std::string problem = read();
        ++reads;
        if (!problem.empty() && bad.size() < 5) bad.push_back(problem);
    }
    const std::string last = read();
    if (!last.empty()) bad.push_back("after both finished: " + last);
    EXPECT_TRUE(WIFEXITED(status_a) && WEXITSTATUS(status_a) == 0) << "writer A failed";
    EXPECT_TRUE(WIFEXITED(status_b) && WEXITSTATUS(status_b) == 0) << "writer B failed";
    return reads;
}

TEST(ConcurrentSave, TwoProcessesSavingOneSceneTwoHundredTimesNeverShowAReaderInvalidJson) {
    TempDir dir;
    const std::string path = dir.file("lesson.json");
    convscope::SceneFile first;
    first.title = "start";
    convscope::scene_save(path, first);
    const auto writer = [&](const std::string& who) {
        return start_writer([&, who](int i) {
            convscope::SceneFile s;
            s.title = who + " " + std::to_string(i);
            s.layer.out_channels = 1 + i;
            s.batch = 1 + i % 3;
            convscope::scene_save(path, s);
        });
    };
    const pid_t a = writer("A"), b = writer("B");
    std::vector<std::string> bad;
    const int reads = read_while_writing(
        a, b,
        [&]() -> std::string {
            try {
                const convscope::SceneFile s = convscope::scene_load(path);  // strict JSON + schema
                if (s.title.empty()) return "empty title";
                return {};
            } catch (const convscope::Error& e) {
                return e.what();
            }
        },
        bad);
    EXPECT_TRUE(bad.empty()) << bad.size() << " bad reads of " << reads << ", first: " << bad.front();
    EXPECT_GT(reads, 0);
    // Both writers' last versions are complete scenes; nothing but the scene and its backup is left.
    const convscope::SceneFile final_scene = convscope::scene_load(path);
    EXPECT_TRUE(final_scene.title == "A 199" || final_scene.title == "B 199") << final_scene.title;
    EXPECT_NO_THROW(convscope::scene_load(path + ".bak"));
    EXPECT_EQ(dir_entries(dir.path()), (std::vector<std::string>{"lesson.json", "lesson.json.bak"}));
}

TEST(ConcurrentSave, TwoProcessesSavingOneNpyTwoHundredTimesNeverShowAReaderAPartialArray) {
    TempDir dir;
    const std::string path = dir.file("w.npy");
    convscope::npy_save(path, convscope::Tensor({4, 3, 5, 5}));
    const auto writer = [&](float base) {
        return start_writer([&, base](int i) {
            convscope::Tensor t({4, 3, 5, 5});
            for (float& v : t.data) v = base + static_cast<float>(i);
            convscope::npy_save(path, t);
        });
    };
    const pid_t a = writer(1000.0f), b = writer(2000.0f);
    std::vector<std::string> bad;
    const int reads = read_while_writing(
        a, b,
        [&]() -> std::string {
            try {
                const convscope::Tensor t = convscope::npy_load(path);
                if (t.shape != convscope::Shape{4, 3, 5, 5}) return "shape " + convscope::shape_to_string(t.shape);
                for (float v : t.data)
                    if (v != t.data[0]) return "values of two versions mixed";
                return {};
            } catch (const convscope::Error& e) {
                return e.what();
            }
        },
        bad);
    EXPECT_TRUE(bad.empty()) << bad.size() << " bad reads of " << reads << ", first: " << bad.front();
    EXPECT_EQ(dir_entries(dir.path()), std::vector<std::string>{"w.npy"});
}

}  // namespace
