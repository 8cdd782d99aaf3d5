// Sections: the pool (workers, job hand-off, waiting) · parallel_for
#include "thread_pool.hpp"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace convscope {

namespace {

// Waking a sleeping thread costs tens of microseconds here, as long as a small layer takes: workers and the
// caller first spin this long on an atomic, and only then sleep on a condition variable.
constexpr auto kSpin = std::chrono::microseconds(300);

template <class Ready>
bool spin_until(Ready ready) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (ready()) return true;
            _mm_pause();
        }
        if (std::chrono::steady_clock::now() > deadline) return ready();
    }
}

// A job is posted by moving `generation_` on twice, as a sequence lock: odd while the job's fields are written, even
// once they are complete. Workers with an index below the job's thread count run their range and count themselves
// out of `pending_`; the others skip it. A worker that skips a job may wake late, after the caller has already
// started writing the next one: reading the fields under the sequence lock means it either sees a generation and
// that generation's own fields, or reads again (without it, a late worker could take the next job's fields as the
// skipped one's, run its range, then run it a second time when it noticed the next generation).
// One job at a time: the caller holds `busy` for the whole of run().
class Pool {
public:
    ~Pool() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_.store(true);
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    std::mutex busy;

    void run(int threads, int64_t count, const std::function<void(int64_t, int64_t)>& fn) {
        grow(threads - 1);
        pending_.store(threads - 1);
        generation_.fetch_add(1);  // odd: the job's fields are being written
        job_.store(&fn);
        job_threads_.store(threads);
        job_count_.store(count);
        {
            std::lock_guard<std::mutex> lock(mutex_);  // a worker about to sleep sees the new generation
            generation_.fetch_add(1);                  // even: posted
        }
        wake_.notify_all();
        fn(0, count / threads);
        if (!spin_until([&] { return pending_.load() == 0; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [&] { return pending_.load() == 0; });
        }
    }

private:
    void grow(int wanted) {
        while (static_cast<int>(workers_.size()) < wanted) {
            const int index = static_cast<int>(workers_.size()) + 1;  // range 0 is the caller's
            // The worker waits for the job after the current one, even if it only starts running after it was posted.
            const uint64_t current = generation_.load();
            workers_.emplace_back([this, index, current] { work(index, current); });
        }
    }

    void work(int index, uint64_t seen) {
        for (;;) {
            const auto posted = [&] { return stopping_.load() || generation_.load() != seen; };
            if (!spin_until(posted)) {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, posted);
            }
            if (stopping_.load()) return;
            const std::function<void(int64_t, int64_t)>* job = nullptr;
            int threads = 0;
            int64_t count = 0;
            for (;;) {
                const uint64_t before = generation_.load();
                if (before % 2 == 1) {  // being written: only for as long as three stores take
                    _mm_pause();
                    continue;
                }
                job = job_.load();
                threads = job_threads_.load();
                count = job_count_.load();
                if (generation_.load() == before) {
                    seen = before;
                    break;
                }
            }
            if (index >= threads) continue;  // this job wants fewer workers
            (*job)(count * index / threads, count * (index + 1) / threads);
            if (pending_.fetch_sub(1) == 1) {
                std::lock_guard<std::mutex> lock(mutex_);
                done_.notify_one();
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    // The posted job: written while `generation_` is odd, read by workers under the sequence lock (see above).
    std::atomic<const std::function<void(int64_t, int64_t)>*> job_{nullptr};
    std::atomic<int> job_threads_{0};
    std::atomic<int64_t> job_count_{0};
    std::atomic<int> pending_{0};
    std::atomic<uint64_t> generation_{0};
    std::atomic<bool> stopping_{false};
};

Pool& pool() {
    static Pool instance;
    return instance;
}

}  // namespace

void parallel_for(int threads, int64_t count, const std::function<void(int64_t begin, int64_t end)>& fn) {
    threads = static_cast<int>(std::min<int64_t>(threads, count));
    if (threads <= 1) {
        if (count > 0) fn(0, count);
        return;
    }
    Pool& p = pool();
    std::unique_lock<std::mutex> busy(p.busy, std::try_to_lock);
    if (!busy.owns_lock()) {
        fn(0, count);
        return;
    }
    p.run(threads, count, fn);
}

int resolve_threads(int requested) {
    if (requested > 0) return std::min(requested, kMaxThreads);
    const unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : static_cast<int>(std::min<unsigned>(hc, kMaxThreads));
}

}  // namespace convscope
