// Large batches on several threads (eval/parallel.hpp): a pass over more than
// chunked_min_bytes is split into chunks, the same way whatever the number of threads, and the
// chunks' sums are added in chunk order, so value_and_grad, value and predict must give the same
// numbers, bit for bit, on 1, 2, 3 or 7 threads; and those numbers must be the d2l loss of the
// loop a user writes. Also: the chunks cover the batch once, in order; a batch of scalar inputs
// (no reduction) is split by its size too; a task's exception reaches the caller and leaves the
// pool usable; two threads calling at once (one of them then runs alone) both get their own
// results; a child of fork() (which has none of the pool's threads) computes alone and exits
// cleanly; the thread count's setting and its environment variable.
#define BOOST_TEST_MODULE ctgrad_parallel
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/eval/fused.hpp>
#include <ctgrad/eval/parallel.hpp>

#include "fused_reference.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace ctgrad::literals;
using namespace fused_test;

namespace {

bool in_forked_child = false;

} // namespace

#if defined(__SANITIZE_ADDRESS__)
#define CTGRAD_TEST_LEAK_CHECKED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTGRAD_TEST_LEAK_CHECKED 1
#endif
#endif
#if defined(CTGRAD_TEST_LEAK_CHECKED) || defined(__SANITIZE_THREAD__)
#define CTGRAD_TEST_SANITIZED 1
#endif
#if defined(CTGRAD_TEST_LEAK_CHECKED)
// At a forked child's exit LeakSanitizer finds the parent's pool threads' buffers unreachable,
// as they are in the child, which has none of those threads. The child is what the fork test
// checks for a clean exit, so the leak check is turned off there (and only there).
extern "C" int __lsan_is_turned_off() {
    return in_forked_child ? 1 : 0;
}
#endif

namespace {

/// Restores max_threads() when a test ends, whatever it set.
struct thread_setting_guard {
    std::size_t saved = ctgrad::max_threads();
    ~thread_setting_guard() { ctgrad::set_max_threads(saved); }
};

/// A d2l batch of d features over twice chunked_min_bytes, its first example `offset` numbers
/// past a 64-byte boundary (the kernel then takes a few examples one at a time first).
template <class T>
struct large_batch {
    std::size_t d, m, offset;
    std::vector<T> storage, Y;
    decltype(ctgrad::make_parameters<T>(w = std::vector<T>{}, b = T(0))) params;

    large_batch(std::size_t features, std::size_t offset_numbers, std::uint64_t seed)
        : d(features), m(2 * ctgrad::detail::tuning_in_use.chunked_min_bytes / (features * sizeof(T)) + 37), offset(offset_numbers) {
        std::mt19937_64 rng(seed);
        storage = random_vector<T>(d * m + 64, 1.0, rng);
        Y = random_vector<T>(m, 1.0, rng);
        params = ctgrad::make_parameters<T>(w = random_vector<T>(d, 0.3, rng), b = T(0.25));
    }
    [[nodiscard]] const T* X() const {
        const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
        return storage.data() + ((64 - address % 64) % 64) / sizeof(T) + offset;
    }
    [[nodiscard]] auto batch() const { return ctgrad::make_batch(x = ctgrad::feature_major_view<T>{X(), d, m, m}, y = Y); }
};

/// How value_and_grad would split a pass of loss over batch.
template <class Loss, class Params, class Batch>
ctgrad::detail::chunk_plan chunks_of(const Loss& loss, const Params& params, const Batch& batch) {
    using T = typename Params::value_type;
    const ctgrad::detail::slotted_expression<Loss, T> slotted(loss);
    using entries = ctgrad::detail::plan_entries_t<std::remove_cvref_t<decltype(slotted.m_expression)>>;
    ctgrad::detail::kernel_inputs<Params, Batch, slotted.count, entries> in{params, batch, slotted.numbers()};
    ctgrad::detail::prepare_inputs<entries>(in);
    return ctgrad::detail::plan_chunks(in, batch.examples());
}

const auto d2l_loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;
const auto d2l_model = ctgrad::dot(x, w) + b;

template <class T>
void check_same_on_any_number_of_threads(std::size_t d, std::size_t offset) {
    thread_setting_guard guard;
    const large_batch<T> data(d, offset, 7 + d);
    const auto batch = data.batch();
    const std::string where = std::string(std::is_same_v<T, float> ? "float" : "double") + ", d = " + std::to_string(d) +
                              ", m = " + std::to_string(data.m) + ", offset " + std::to_string(offset);

    ctgrad::set_max_threads(1);
    auto grads = data.params.zeros_like();
    const T loss_value = ctgrad::value_and_grad(d2l_loss, data.params, batch, grads);
    const T value_alone = ctgrad::value(d2l_loss, data.params, batch);
    const xt::xtensor<T, 1> predictions = ctgrad::predict(d2l_model, data.params, batch);

    const d2l_reference ref = reference_d2l(data.X(), data.Y, data.params, d, data.m);
    require_near_reference(ref, data.m, loss_value, grads, where);
    require_loss_near_reference(ref, data.m, value_alone, where + " (value)");
    require_predictions_near_reference(ref, predictions, std::is_same_v<T, float> ? 1e-4 : 1e-12, where);

    for (std::size_t threads : {2, 3, 7}) {
        ctgrad::set_max_threads(threads);
        auto again = data.params.zeros_like();
        const T loss_again = ctgrad::value_and_grad(d2l_loss, data.params, batch, again);
        require_identical<T>(grads, again, loss_value, loss_again, where + ", " + std::to_string(threads) + " threads");
        BOOST_TEST(ctgrad::value(d2l_loss, data.params, batch) == value_alone, where << ", " << threads << " threads: value");
        const xt::xtensor<T, 1> predicted = ctgrad::predict(d2l_model, data.params, batch);
        BOOST_TEST((predicted == predictions), where << ", " << threads << " threads: predictions");
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(a_large_batch_gives_the_same_sums_on_any_number_of_threads) {
    // d = 2: 4-group blocks without prefetch; d = 12: prefetching 4-group blocks, lane-wise
    // gradient sums; d = 24: wide blocks. Offset 3 starts the batch off the SIMD width.
#if defined(CTGRAD_TEST_SANITIZED)
    // Under a sanitizer each 32 MiB batch takes seconds: each block kind once.
    check_same_on_any_number_of_threads<double>(2, 0);
    check_same_on_any_number_of_threads<float>(12, 3);
    check_same_on_any_number_of_threads<double>(24, 3);
#else
    for (std::size_t d : {2, 12, 24}) {
        check_same_on_any_number_of_threads<double>(d, 0);
        check_same_on_any_number_of_threads<float>(d, 0);
    }
    check_same_on_any_number_of_threads<double>(24, 3);
    check_same_on_any_number_of_threads<float>(12, 3);
#endif
}

BOOST_AUTO_TEST_CASE(the_chunks_cover_the_batch_once_in_order) {
    using V = ctgrad::simd::batch<double>;
    constexpr std::size_t lanes = ctgrad::simd::lanes_v<V>;
    for (std::size_t d : {2, 24, 1024}) {
        for (std::size_t offset : {0, 1, 5}) {
            const large_batch<double> data(d, offset, 3);
            const auto chunks = chunks_of(d2l_loss, data.params, data.batch());
            const std::string where = "d = " + std::to_string(d) + ", offset " + std::to_string(offset);
            BOOST_TEST(chunks.m_count >= 2u, where);
            BOOST_TEST(chunks.begin(0) == 0u, where);
            BOOST_TEST(chunks.end(chunks.m_count - 1) == data.m, where);
            for (std::size_t c = 0; c < chunks.m_count; ++c) {
                BOOST_TEST(chunks.end(c) - chunks.begin(c) >=
                               ctgrad::detail::tuning_in_use.chunk_min_wide_blocks * ctgrad::kernel_tuning::wide_groups * lanes,
                           where << ", chunk " << c);
                if (c + 1 < chunks.m_count) BOOST_TEST(chunks.end(c) == chunks.begin(c + 1), where << ", chunk " << c);
                if (c > 0) // every chunk but the first starts on an aligned lane group
                    BOOST_TEST(reinterpret_cast<std::uintptr_t>(data.X() + chunks.begin(c)) % sizeof(V) == 0u, where << ", chunk " << c);
            }
        }
    }
    // A batch whose inputs hold chunked_min_bytes or less (here x of 3 features and y: 4 numbers
    // an example) is one chunk: it runs on the calling thread. One example more is split.
    for (const std::size_t extra : {0, 1}) {
        const std::size_t m = ctgrad::detail::tuning_in_use.chunked_min_bytes / (4 * sizeof(double)) + extra;
        const std::vector<double> X(3 * m), Y(m);
        const auto params = ctgrad::make_parameters<double>(w = std::vector<double>(3, 0.5), b = 0.0);
        const auto batch = ctgrad::make_batch(x = ctgrad::feature_major_view<double>{X.data(), 3, m, m}, y = Y);
        BOOST_TEST((chunks_of(d2l_loss, params, batch).m_count == 1u) == (extra == 0), "m = " << m);
    }
}

BOOST_AUTO_TEST_CASE(chunks_with_many_features_are_long_runs_of_each_row_while_enough_remain) {
    using ctgrad::detail::chunk_wide_blocks;
    const ctgrad::kernel_tuning tuning{};
    constexpr std::size_t step = 64; // a wide block of doubles with AVX-512
    const auto example_bytes = [](std::size_t d) { return (d + 1) * sizeof(double); };
    // d = 16, 2^21 examples: about chunk_bytes (4 MiB) a chunk, already longer than 128 blocks.
    BOOST_TEST(chunk_wide_blocks(32768, step, example_bytes(16), tuning) == 478u);
    // d = 128, 256 MiB: 63 blocks by bytes, 128 for long runs.
    BOOST_TEST(chunk_wide_blocks(4096, step, example_bytes(128), tuning) == 128u);
    // d = 1024: 7 blocks by bytes; 256 MiB makes 512 blocks, so 64 a chunk leave 8 chunks; 1 GiB
    // takes the whole 128; 32 MiB keeps the fewest, 16.
    BOOST_TEST(chunk_wide_blocks(512, step, example_bytes(1024), tuning) == 64u);
    BOOST_TEST(chunk_wide_blocks(2048, step, example_bytes(1024), tuning) == 128u);
    BOOST_TEST(chunk_wide_blocks(64, step, example_bytes(1024), tuning) == 16u);
    // Without long runs, chunks follow chunk_bytes down to chunk_min_wide_blocks.
    ctgrad::kernel_tuning short_runs;
    short_runs.chunk_long_wide_blocks = 0;
    BOOST_TEST(chunk_wide_blocks(2048, step, example_bytes(1024), short_runs) == 16u);
    BOOST_TEST(chunk_wide_blocks(4096, step, example_bytes(128), short_runs) == 63u);
}

BOOST_AUTO_TEST_CASE(a_model_of_scalar_inputs_is_split_too) {
    // Planck's law's shape: no reduction at all, so what counts is the bytes of its inputs.
    thread_setting_guard guard;
    constexpr ctgrad::input<"t"> t;
    constexpr ctgrad::param<"a"> a;
    const auto loss = ctgrad::square(ctgrad::exp(a * t) - y);
    const std::size_t m = ctgrad::detail::tuning_in_use.chunked_min_bytes / sizeof(double) + 101; // t and y: 2 numbers an example
    std::mt19937_64 rng(5);
    const std::vector<double> T = random_vector<double>(m, 0.5, rng), Y = random_vector<double>(m, 1.0, rng);
    const auto params = ctgrad::make_parameters<double>(a = 0.7);
    const auto batch = ctgrad::make_batch(t = T, y = Y);
    BOOST_TEST(chunks_of(loss, params, batch).m_count >= 2u);
    ctgrad::set_max_threads(1);
    auto grads = params.zeros_like();
    const double loss_value = ctgrad::value_and_grad(loss, params, batch, grads);
    double want_loss = 0, want_grad = 0;
    for (std::size_t i = 0; i < m; ++i) {
        const double e = std::exp(0.7 * T[i]), r = e - Y[i];
        want_loss += r * r;
        want_grad += 2 * r * e * T[i];
    }
    BOOST_TEST(loss_value == want_loss / double(m), boost::test_tools::tolerance(1e-12));
    BOOST_TEST(double(grads[a]) == want_grad / double(m), boost::test_tools::tolerance(1e-11));
    for (std::size_t threads : {2, 5}) {
        ctgrad::set_max_threads(threads);
        auto again = params.zeros_like();
        const double loss_again = ctgrad::value_and_grad(loss, params, batch, again);
        BOOST_TEST(loss_again == loss_value, threads << " threads: loss");
        BOOST_TEST(double(again[a]) == double(grads[a]), threads << " threads: d/da");
    }
}

BOOST_AUTO_TEST_CASE(a_task_that_throws_reaches_the_caller_and_the_pool_goes_on) {
    thread_setting_guard guard;
    ctgrad::set_max_threads(3);
    std::vector<int> ran(64, 0);
    BOOST_CHECK_THROW(ctgrad::detail::parallel_for(ran.size(),
                                                   [&](std::size_t i) {
                                                       if (i == 5) throw std::runtime_error("task 5");
                                                       ran[i] = 1;
                                                   }),
                      std::runtime_error);
    int others = 0;
    for (std::size_t i = 0; i < ran.size(); ++i) others += ran[i];
    BOOST_TEST(others == 63); // the other tasks still ran
    std::vector<std::size_t> squares(1000);
    ctgrad::detail::parallel_for(squares.size(), [&](std::size_t i) { squares[i] = i * i; });
    for (std::size_t i = 0; i < squares.size(); ++i) BOOST_TEST_REQUIRE(squares[i] == i * i);
}

BOOST_AUTO_TEST_CASE(two_threads_calling_at_once_get_their_own_results) {
    thread_setting_guard guard;
    ctgrad::set_max_threads(2);
    const large_batch<double> first(16, 0, 11), second(16, 0, 12);
    auto expected_first = first.params.zeros_like(), expected_second = second.params.zeros_like();
    const double loss_first = ctgrad::value_and_grad(d2l_loss, first.params, first.batch(), expected_first);
    const double loss_second = ctgrad::value_and_grad(d2l_loss, second.params, second.batch(), expected_second);
    // Each caller checks every round itself; the main thread only counts the mismatches.
    std::atomic<int> mismatches{0};
    auto caller = [&](const large_batch<double>& data, const auto& expected, double expected_loss) {
        auto grads = data.params.zeros_like();
        for (int round = 0; round < 4; ++round) {
            const double loss_value = ctgrad::value_and_grad(d2l_loss, data.params, data.batch(), grads);
            if (loss_value != expected_loss || grads[b] != expected[b] || grads[w] != expected[w]) ++mismatches;
        }
    };
    std::thread other([&] { caller(second, expected_second, loss_second); });
    caller(first, expected_first, loss_first);
    other.join();
    BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_CASE(the_thread_count_is_set_and_read_from_the_environment) {
    thread_setting_guard guard;
    ctgrad::set_max_threads(5);
    BOOST_TEST(ctgrad::max_threads() == 5u);
    BOOST_CHECK_THROW(ctgrad::set_max_threads(0), std::invalid_argument);
    BOOST_TEST(ctgrad::max_threads() == 5u);

    const unsigned hardware = std::thread::hardware_concurrency();
    const std::size_t fallback = hardware > 0 ? hardware : 1;
    ::setenv("CTGRAD_THREADS", "3", 1);
    BOOST_TEST(ctgrad::detail::initial_threads() == 3u);
    for (const char* ignored : {"0", "-2", "two", "3x", ""}) {
        ::setenv("CTGRAD_THREADS", ignored, 1);
        BOOST_TEST(ctgrad::detail::initial_threads() == fallback, "CTGRAD_THREADS=\"" << ignored << "\"");
    }
    ::unsetenv("CTGRAD_THREADS");
    BOOST_TEST(ctgrad::detail::initial_threads() == fallback);
}

BOOST_AUTO_TEST_CASE(a_child_of_fork_computes_alone_and_exits_cleanly) {
    thread_setting_guard guard;
    ctgrad::set_max_threads(2);
    const large_batch<double> data(16, 0, 21);
    auto grads = data.params.zeros_like();
    const double loss_value = ctgrad::value_and_grad(d2l_loss, data.params, data.batch(), grads); // the pool is up
    std::cout.flush(); // or the child prints what the parent had buffered once more
    std::fflush(nullptr);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        in_forked_child = true;
        // The parent's pool threads do not exist here: the pass must run on this thread, and
        // std::exit's static destructors must not wait for them.
        auto again = data.params.zeros_like();
        const double loss_again = ctgrad::value_and_grad(d2l_loss, data.params, data.batch(), again);
        std::exit(loss_again == loss_value && again[w] == grads[w] && again[b] == grads[b] ? 0 : 3);
    }
    int status = 0;
    pid_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((done = ::waitpid(child, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (done == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        BOOST_FAIL("the child of fork() did not finish within 30 s");
    }
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0, "the child exited with status " << WEXITSTATUS(status) << " (3: other sums)");
}
