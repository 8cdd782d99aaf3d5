// Sections: the pool (workers, job hand-off, waiting) · parallel_for
#include "thread_pool.hpp"

#include <immintrin.h>

#include <algorithm>
#include <array>
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
// once they are complete. A worker reads the fields under the sequence lock, so it either sees a generation and that
// generation's own fields, or reads again (a worker that wakes late, while the next job is being written, must not
// take the next job's fields for the one it missed).
//
// The job is cut into contiguous blocks, a few per thread; thread t's home is the t-th run of them, its share of the
// old static split. A thread takes its home blocks in order, then takes the blocks other threads have not started
// yet: a thread that gets no core for a while (another program's spinning thread on its core: OpenBLAS's idle
// workers spin for ~0.1 s after the library loads, and a 2-thread R2 then took 1.3-1.6 ms instead of 0.39 in 3 of
// 10 runs) slows the job to the others' pace instead of holding it up. Each home's next block is claimed with a
// compare-and-swap on a word that also holds the job's generation, so a worker still holding a finished job's
// fields can claim nothing of the next job; the caller returns once every block has run, without waiting for
// workers that claimed none. One job at a time: the caller holds `busy` for the whole of run().
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
        const int64_t blocks = blocks_of(count, threads);
        const uint64_t gen = generation_.fetch_add(1) + 2;  // odd now: the job's fields are being written
        job_.store(&fn);
        job_threads_.store(threads);
        job_count_.store(count);
        for (int t = 0; t < threads; ++t)
            homes_[static_cast<size_t>(t)].store(tagged(gen, home_begin(t, threads, blocks)));
        done_blocks_.store(0);
        {
            std::lock_guard<std::mutex> lock(mutex_);  // a worker about to sleep sees the new generation
            generation_.fetch_add(1);                  // even: posted
        }
        wake_.notify_all();
        run_blocks(0, gen, threads, count, blocks, fn);
        if (!spin_until([&] { return done_blocks_.load() == blocks; })) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [&] { return done_blocks_.load() == blocks; });
        }
    }

private:
    static constexpr int64_t kBlocksPerThread = 4;

    static int64_t blocks_of(int64_t count, int threads) {
        return std::min<int64_t>(count, int64_t{threads} * kBlocksPerThread);
    }
    static uint64_t tagged(uint64_t gen, int64_t block) { return (gen << 32) | static_cast<uint64_t>(block); }
    static int64_t home_begin(int t, int threads, int64_t blocks) { return blocks * t / threads; }

    // Claims the next block of thread `home`'s run for job `gen`; -1 when that run is done or the job is not `gen`.
    int64_t claim(int home, uint64_t gen, int threads, int64_t blocks) {
        std::atomic<uint64_t>& word = homes_[static_cast<size_t>(home)];
        const int64_t end = home_begin(home + 1, threads, blocks);
        uint64_t v = word.load();
        for (;;) {
            if ((v >> 32) != (gen & 0xffffffffu)) return -1;
            const auto block = static_cast<int64_t>(v & 0xffffffffu);
            if (block >= end) return -1;
            if (word.compare_exchange_weak(v, v + 1)) return block;
        }
    }

    // Thread `self` runs its home blocks, then whatever blocks the others have not claimed.
    void run_blocks(int self, uint64_t gen, int threads, int64_t count, int64_t blocks,
                    const std::function<void(int64_t, int64_t)>& fn) {
        for (int k = 0; k < threads; ++k) {
            const int home = (self + k) % threads;
            for (int64_t b; (b = claim(home, gen, threads, blocks)) >= 0;) {
                fn(count * b / blocks, count * (b + 1) / blocks);
                if (done_blocks_.fetch_add(1) + 1 == blocks) {
                    std::lock_guard<std::mutex> lock(mutex_);
                    done_.notify_one();
                }
            }
        }
    }

    void grow(int wanted) {
        while (static_cast<int>(workers_.size()) < wanted) {
            const int index = static_cast<int>(workers_.size()) + 1;  // home 0 is the caller's
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
                if (before % 2 == 1) {  // being written: only for as long as a few stores take
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
            run_blocks(index, seen, threads, count, blocks_of(count, threads), *job);
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    // The posted job: written while `generation_` is odd, read by workers under the sequence lock (see above).
    std::atomic<const std::function<void(int64_t, int64_t)>*> job_{nullptr};
    std::atomic<int> job_threads_{0};
    std::atomic<int64_t> job_count_{0};
    // Per thread: the job's generation (low 32 bits) and the next block of its home run.
    std::array<std::atomic<uint64_t>, kMaxThreads> homes_{};
    std::atomic<int64_t> done_blocks_{0};
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
