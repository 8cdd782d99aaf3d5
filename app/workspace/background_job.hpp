// One job at a time on its own thread: starting another cancels the one running (the job reads the cancel flag and
// returns nothing). The finished result waits for take_result(). The loader, the layer computation and the Channel
// sums' partial maps each run on one.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace convscope::workspace {

template <class Result>
class BackgroundJob {
public:
    // The job's body: runs on the job's thread; returns nullopt when cancelled (or with nothing to give).
    using Body = std::function<std::optional<Result>(const std::atomic<bool>& cancel, std::atomic<float>& progress)>;

    BackgroundJob() = default;
    ~BackgroundJob() { cancel(); }
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;

    void start(Body body) {
        cancel();
        {
            std::lock_guard lock(mutex_);
            done_.reset();
        }
        progress_.store(0.0f);
        busy_.store(true);
        thread_ = std::thread([this, body = std::move(body)] {
            std::optional<Result> r = body(cancel_, progress_);
            if (r && !cancel_.load()) {
                std::lock_guard lock(mutex_);
                done_ = std::move(r);
            }
            busy_.store(false);
        });
    }
    // Stops the job running (if any) and waits for its thread; a result it had finished stays for take_result().
    void cancel() {
        cancel_.store(true);
        if (thread_.joinable()) thread_.join();
        cancel_.store(false);
    }
    // The finished result, once.
    std::optional<Result> take_result() {
        std::lock_guard lock(mutex_);
        return std::exchange(done_, std::nullopt);
    }
    // A finished result is waiting (it may finish before busy() is first read).
    bool has_result() {
        std::lock_guard lock(mutex_);
        return done_.has_value();
    }
    bool busy() const { return busy_.load(); }
    float progress() const { return progress_.load(); }

private:
    std::thread thread_;
    std::atomic<bool> cancel_{false};
    std::atomic<bool> busy_{false};
    std::atomic<float> progress_{0.0f};
    std::mutex mutex_;
    std::optional<Result> done_;
};

}  // namespace convscope::workspace
