// ctgrad/eval/parallel.hpp: how many threads a fused pass over a large batch may use, and the
// pool of threads that runs its chunks.
//
// One core cannot take all of the memory bandwidth (docs/performance.md, On several threads). A pass over a large batch is split into
// chunks (fused.hpp) that the calling thread and the pool's threads take in turn; a chunk's sums
// are kept apart and added in chunk order, so the result does not depend on how many threads
// ran or which took which chunk.
#ifndef CTGRAD_EVAL_PARALLEL_HPP
#define CTGRAD_EVAL_PARALLEL_HPP

#include "ctgrad/error.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__unix__)
#include <unistd.h> // getpid: a child of fork() has none of the pool's threads
#endif

namespace ctgrad {

namespace detail {

/// CTGRAD_THREADS when it holds a positive number (digits only), else the machine's hardware
/// threads (1 if unknown).
inline std::size_t initial_threads() {
    const char* text = std::getenv("CTGRAD_THREADS");
    if (text && *text >= '0' && *text <= '9') {
        char* end = nullptr;
        const unsigned long long n = std::strtoull(text, &end, 10);
        if (end != text && *end == '\0' && n > 0) return static_cast<std::size_t>(n);
    }
    const unsigned hardware = std::thread::hardware_concurrency();
    return hardware > 0 ? hardware : 1;
}

inline std::atomic<std::size_t>& thread_setting() {
    static std::atomic<std::size_t> setting{initial_threads()};
    return setting;
}

} // namespace detail

/// The most threads, the calling one included, that value_and_grad, value and predict use on
/// a large batch (small ones always run on the calling thread alone). Starts at the
/// environment variable CTGRAD_THREADS if it holds a positive number, else at the number of
/// hardware threads.
inline std::size_t max_threads() noexcept {
    return detail::thread_setting().load(std::memory_order_relaxed);
}

/// Sets max_threads(); 1 keeps every pass on the calling thread. Results do not depend on it.
inline void set_max_threads(std::size_t threads) {
    if (threads == 0) throw ctgrad::invalid_argument("ctgrad::set_max_threads: needs at least 1 thread");
    detail::thread_setting().store(threads, std::memory_order_relaxed);
}

namespace detail {

/// Threads that wait for work and run the chunks of one pass at a time with the thread that
/// asked. Created on first use, as many as a pass has asked for; they sleep between passes.
class worker_pool {
public:
    static worker_pool& instance() {
        // On the heap, and destroyed only by the process that made it: in a child of fork() its
        // threads are the parent's, and both joining them and destroying a condition variable
        // that they wait on would block forever (glibc's pthread_cond_destroy waits for waiters).
        struct owner {
            worker_pool* pool = new worker_pool;
            ~owner() {
                if (pool->in_creating_process()) delete pool;
            }
        };
        static owner the_pool;
        return *the_pool.pool;
    }

    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    ~worker_pool() {
        {
            std::lock_guard lock(m_state);
            m_stop = true;
        }
        m_wake.notify_all();
        for (auto& thread : m_threads) thread.join();
    }

    /// Runs call(task, i) for every i in [0, count) on the calling thread and up to `helpers`
    /// pool threads, each taking the next i left; returns when all are done, rethrowing the
    /// first exception a task threw. Returns false without running anything when another
    /// thread is using the pool (the caller then runs the tasks itself). Not a template, so
    /// that it is compiled once, not once per kind of pass.
    bool try_run(std::size_t helpers, std::size_t count, void* task, void (*call)(void*, std::size_t)) {
        if (!in_creating_process()) return false;
        std::unique_lock use(m_use, std::try_to_lock);
        if (!use) return false;
        try {
            while (m_threads.size() < helpers) {
                const std::size_t index = m_threads.size();
                m_threads.emplace_back([this, index] { serve(index); });
            }
        } catch (const std::system_error&) {
            // No more threads to be had (a process or container limit): go on with those there are.
            helpers = m_threads.size();
        }
        {
            std::lock_guard lock(m_state);
            m_task = task;
            m_call = call;
            m_count = count;
            m_next.store(0, std::memory_order_relaxed);
            m_error = nullptr;
            m_helpers = helpers;
            m_open = true;
            ++m_generation;
        }
        m_wake.notify_all();
        drain();
        std::exception_ptr error;
        {
            // Closed first, so a helper that wakes only now does not start; then wait for the
            // ones that did.
            std::unique_lock lock(m_state);
            m_open = false;
            m_done.wait(lock, [this] { return m_working == 0; });
            error = m_error;
        }
        if (error) std::rethrow_exception(error);
        return true;
    }

private:
    worker_pool() = default;

#if defined(__unix__)
    [[nodiscard]] bool in_creating_process() const noexcept { return ::getpid() == m_process; }
    const ::pid_t m_process = ::getpid();
#else
    [[nodiscard]] static constexpr bool in_creating_process() noexcept { return true; }
#endif

    void serve(std::size_t index) {
        std::uint64_t seen = 0;
        for (;;) {
            {
                std::unique_lock lock(m_state);
                m_wake.wait(lock, [&] { return m_stop || (m_open && m_generation != seen && index < m_helpers); });
                if (m_stop) return;
                seen = m_generation;
                ++m_working;
            }
            drain();
            {
                std::lock_guard lock(m_state);
                if (--m_working == 0) m_done.notify_all();
            }
        }
    }

    void drain() {
        for (std::size_t i; (i = m_next.fetch_add(1, std::memory_order_relaxed)) < m_count;) {
            try {
                m_call(m_task, i);
            } catch (...) {
                std::lock_guard lock(m_state);
                if (!m_error) m_error = std::current_exception();
            }
        }
    }

    std::mutex m_use; ///< held by the pass using the pool
    std::mutex m_state;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    std::vector<std::thread> m_threads;
    // The pass being run: written under m_state before it opens, so helpers see it whole.
    void* m_task = nullptr;
    void (*m_call)(void*, std::size_t) = nullptr;
    std::size_t m_count = 0;
    std::atomic<std::size_t> m_next{0};
    std::exception_ptr m_error;
    std::size_t m_helpers = 0; ///< pool threads 0 .. m_helpers - 1 may join the pass
    std::size_t m_working = 0; ///< pool threads inside the pass
    std::uint64_t m_generation = 0;
    bool m_open = false;
    bool m_stop = false;
};

/// Runs task(i) for every i in [0, count), on up to max_threads() threads. The order in which
/// tasks run, and on which thread, is not fixed: each must write only its own results.
template <class Task>
void parallel_for(std::size_t count, Task&& task) {
    if (count == 1) { // every small batch: nothing to share
        task(std::size_t{0});
        return;
    }
    using task_type = std::remove_reference_t<Task>;
    const std::size_t threads = max_threads() < count ? max_threads() : count;
    if (threads > 1 && worker_pool::instance().try_run(threads - 1, count, const_cast<void*>(static_cast<const void*>(&task)),
                                                       [](void* t, std::size_t i) { (*static_cast<task_type*>(t))(i); }))
        return;
    for (std::size_t i = 0; i < count; ++i) task(i);
}

} // namespace detail
} // namespace ctgrad

#endif // CTGRAD_EVAL_PARALLEL_HPP
