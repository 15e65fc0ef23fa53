// bench/bench_fused.cpp: the d2l squared loss, mean(square(dot(x, w) + b - y) / 2), and its
// gradient by (w, b) over a feature-major minibatch X (d x m) and Y (m), in
//   ctgrad_value_and_grad  ctgrad's fused single pass (loss and gradient)
//   ctgrad_value           ctgrad's fused pass for the loss alone
//   ctgrad_rows_value_and_grad, ctgrad_rows_value
//                          the same over the same numbers example-major (m x d, C order),
//                          through eval/row_kernel.hpp
//   ctgrad_padded_value_and_grad, ctgrad_padded_value
//                          (full batches) the same over a padded_feature_major copy of X: rows an
//                          odd number of cache lines apart (eval/padded_feature_major.hpp)
//   hand_scalar_loop       a plain loop over examples, as a C++ user writes it
//   hand_simd_value_and_grad, hand_simd_value
//                          an expert's xsimd loop in the shape of ctgrad's kernel for large
//                          batches (hand_simd_pass.hpp): whether a gap is ctgrad's or the
//                          algorithm's on this machine
//   xtensor_two_pass       what an xtensor user writes: residuals, then loss and gradient
//   read_probe             a SIMD sum over the same bytes (X and Y): the read bandwidth
//   reread_probe           the reads of a one-pass loss and gradient without their arithmetic
//                          (reread_probe.hpp): each block's rows summed, then summed again, in
//                          blocks of 2, 4, 8 or 16 lane groups, whichever was fastest at set-up
//                          (counter reread_groups); full batches only
// for d in {2, 16, 128, 1024} x m in {32, 256, 4096} (double), a full batch of
// >= 256 MiB of X per d (double and float; m a power of two, so the rows of a block collide
// in the caches), the same in double with m not a power of two (named <double>/not_pow2/...:
// 15/16 of it plus 24 examples, so that the rows fall 192 bytes apart in the cache sets), and
// the two full batches compared with PyTorch (bench/compare.py), named
// <T>/pytorch_sizes/...: n = 10^6 at d = 128 (X is 1 GiB in double) and n = 2 * 10^7 at d = 2
// (select them with --benchmark_filter=pytorch_sizes).
//
// All of the above run on one thread (ctgrad::set_max_threads(1)), like the hand loop and the
// probe. The full batches also run on every thread ctgrad may use (max_threads() at start:
// CTGRAD_THREADS or the hardware threads), against a probe that sums the same bytes on the
// same threads, in chunks through ctgrad's own pool:
//   ctgrad_value_and_grad_threads, ctgrad_value_threads, read_probe_threads (and the rows' and
//   the padded copy's)
// whose probe_frac and grad_over_value compare with the threaded probe and value.
//
// Each benchmark reports, besides its time:
//   examples/s    examples per second (a rate)
//   bytes/s       via SetBytesProcessed: (d + 1) * m * sizeof(T) per pass (X and Y once)
//   probe_frac    the probe's time over this benchmark's time for the same (d, m, T): the
//                 fraction of the read bandwidth this variant reaches
//   probe_paired  the same fraction, best over best of passes of this variant
//                 and of the probe (on the same threads) sampled alternately after the timing:
//                 unlike probe_frac, not skewed when the memory's speed drifts between set-up
//                 and the benchmark
//   vs_hand       the hand loop's time over this benchmark's time (speedup over the hand loop)
//   grad_over_value (ctgrad_value_and_grad only) what the gradient adds: value_and_grad's
//                 time over value's, both the best of samples taken alternately at set-up
//                 (hand_simd_value_and_grad: the same for the hand-written SIMD pair)
//   vs_hand_simd  (ctgrad_value_and_grad, ctgrad_value) the hand-written SIMD loop's time for
//                 the same work over this benchmark's time
//   vs_reread     (ctgrad_value_and_grad, full batches) reread_probe's time over this
//                 benchmark's: the fraction of the speed at which one pass can read its blocks
//                 twice
//   x_offset      how many bytes past a 64-byte line X starts. X is an xt::xtensor, placed by
//                 glibc's malloc as a user's would be (16-byte aligned; a large one 16 bytes
//                 past a page), so this depends on what was allocated before: in the caches a
//                 lane group loaded across two lines cost 40-60% (README, The fused kernel)
// The reference times (probe, hand loop, ctgrad_value) are measured once per (d, m, T) when
// that configuration is first set up, with std::chrono, as the best of several samples, in
// this same process (docs/design.md, "Measuring"): probe_frac and vs_hand compare a mean (the benchmark) with
// a best (the reference), so they lean slightly against the benchmarked variant.
// grad_over_value compares two bests instead: a mean over a best inflated it by up to a
// quarter in the caches (d = 2, m = 4096: 2.9 against 2.3 best over best).
//
// Before anything is timed, every configuration checks that ctgrad's loss and gradient and
// the xtensor version's equal the hand loop's (1e-9 relative in double; in float, ctgrad's
// within 1e-3 of the loop run in double); a mismatch aborts the binary with a message.
// (In float the xtensor version's full-batch sums drift by percents: noted, not fatal.)

#include <ctgrad/ctgrad.hpp>
#include <ctgrad/simd/simd.hpp>  // xsimd, with g++'s AVX-512 header warnings silenced

#include "hand_simd_pass.hpp"
#include "read_probe.hpp"
#include "reread_probe.hpp"
#include "splitmix.hpp"

#include <benchmark/benchmark.h>

#include <xtensor/xtensor.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>
#include <xtensor/xnoalias.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace ctgrad::literals;

constexpr ctgrad::input_vec<"x"> x;
constexpr ctgrad::input<"y"> y;
constexpr ctgrad::param_vec<"w"> w;
constexpr ctgrad::param<"b"> b;
constexpr auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / 2_c;

using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "bench_fused: %s\n", message.c_str());
    std::fflush(stderr);
    std::abort();
}

// ---------------------------------------------------------------------------------------
// Data, one configuration at a time (the full batches are 256 MiB to 1 GiB each: a one-slot
// cache per number type, emptied for both types whenever a new configuration is set up, keeps
// one configuration's data alive at a time whatever the order).

template <class T>
using params_t = decltype(ctgrad::make_parameters<T>(w = std::vector<T>{}, b = T(0)));

template <class T>
struct result {
    double loss = 0;
    std::vector<double> gw;
    double gb = 0;
};

// The loop a C++ user writes over the feature-major layout: example by example, in Acc.
template <class Acc, class T>
void hand_loop(const T* X, const T* Y, const T* wv, T bv, std::size_t d, std::size_t m, Acc& loss_out, Acc* gw,
               Acc& gb_out) {
    Acc total = 0;
    Acc gb = 0;
    for (std::size_t j = 0; j < d; ++j) gw[j] = 0;
    for (std::size_t i = 0; i < m; ++i) {
        Acc r = Acc(bv) - Acc(Y[i]);
        for (std::size_t j = 0; j < d; ++j) r += Acc(X[j * m + i]) * Acc(wv[j]);
        total += r * r / 2;
        gb += r;
        for (std::size_t j = 0; j < d; ++j) gw[j] += r * Acc(X[j * m + i]);
    }
    const Acc scale = Acc(1) / Acc(m);
    for (std::size_t j = 0; j < d; ++j) gw[j] *= scale;
    gb_out = gb * scale;
    loss_out = total * scale;
}

// Whether ctgrad splits a batch of X (d x m) and Y into chunks, so that threads can take part:
// its inputs, X and Y, hold more than chunked_min_bytes.
template <class T>
bool chunked_batch(std::size_t d, std::size_t m) {
    return (d + 1) * m * sizeof(T) > ctgrad::detail::tuning_in_use.chunked_min_bytes;
}

// The threads the "_threads" variants use: what ctgrad would use by default.
const std::size_t all_threads = ctgrad::max_threads();

// The sum of X[0, nx) and Y[0, ny) in contiguous chunks of kernel_tuning::chunk_bytes, both on up
// to all_threads threads of ctgrad's pool (as ctgrad's chunks read both).
template <class T>
T probe_sum_threads(const T* X, std::size_t nx, const T* Y, std::size_t ny) {
    const std::size_t chunk = ctgrad::detail::tuning_in_use.chunk_bytes / sizeof(T);
    const std::size_t x_chunks = (nx + chunk - 1) / chunk;
    const std::size_t count = x_chunks + (ny + chunk - 1) / chunk;
    static std::vector<T> parts;
    parts.assign(count, T(0));
    ctgrad::detail::parallel_for(count, [&](std::size_t c) {
        const T* p = c < x_chunks ? X : Y;
        const std::size_t n = c < x_chunks ? nx : ny;
        const std::size_t at = (c < x_chunks ? c : c - x_chunks) * chunk;
        parts[c] = bench::probe_sum(p + at, std::min(chunk, n - at));
    });
    T total = 0;
    for (T part : parts) total += part;
    return total;
}

// Whether (d, m) is one of the full batches (X of 128 MiB or more), read from memory.
template <class T>
bool full_batch(std::size_t d, std::size_t m) {
    return d * m * sizeof(T) >= (std::size_t(128) << 20);
}

template <class T>
struct config {
    std::size_t d = 0, m = 0;
    xt::xtensor<T, 2> X;
    xt::xtensor<T, 2> rows; // X example-major, m x d
    ctgrad::padded_feature_major<T> padded{0, 0}; // X with padded rows (full batches only)
    xt::xtensor<T, 1> Y;
    params_t<T> params;
    params_t<T> grads;
    // The xtensor version's outputs, allocated once.
    xt::xtensor<T, 1> r, gw;
    bench::hand_simd_sums<T> simd_sums; // the hand-written SIMD loop's lane sums
    // Reference seconds per pass, best of several samples (the _threads ones on all_threads).
    double probe_s = 0, hand_s = 0, value_s = 0, value_and_grad_s = 0;
    double hand_simd_value_s = 0, hand_simd_value_and_grad_s = 0;
    double reread_s = 0;             // reread_probe's, with its fastest block (full batches only)
    std::size_t reread_groups = 0;   // that block's lane groups
    double probe_threads_s = 0, value_threads_s = 0, value_and_grad_threads_s = 0;

    [[nodiscard]] double bytes() const { return double(d + 1) * double(m) * double(sizeof(T)); }
    [[nodiscard]] auto batch() const { return ctgrad::make_batch(x = X, y = Y); }
    [[nodiscard]] auto row_batch() const { return ctgrad::make_batch(x = ctgrad::example_major(rows), y = Y); }
    [[nodiscard]] auto padded_batch() const { return ctgrad::make_batch(x = padded, y = Y); }
};

// One pass of the read probe over X and Y: on the calling thread, or in chunks on all_threads
// threads of ctgrad's pool.
template <class T>
T probe_pass(const config<T>& c, bool threaded) {
    return threaded ? probe_sum_threads(c.X.data(), c.X.size(), c.Y.data(), c.Y.size())
                    : bench::probe_sum(c.X.data(), c.X.size()) + bench::probe_sum(c.Y.data(), c.Y.size());
}

// The block sizes reread_probe tries, and one pass of it with `groups` lane groups per block.
constexpr std::size_t reread_block_groups[] = {2, 4, 8, 16};

template <class T>
T reread(const config<T>& c, std::size_t groups) {
    const T* X = c.X.data();
    const T* Y = c.Y.data();
    switch (groups) {
    case 2: return bench::reread_probe<2>(X, Y, c.d, c.m);
    case 4: return bench::reread_probe<4>(X, Y, c.d, c.m);
    case 8: return bench::reread_probe<8>(X, Y, c.d, c.m);
    default: return bench::reread_probe<16>(X, Y, c.d, c.m);
    }
}

template <class T>
std::unique_ptr<config<T>>& slot() {
    static std::unique_ptr<config<T>> s;
    return s;
}

// The loss and gradient the xtensor user writes: two passes over X (residuals, then the
// gradient), lazy axis reductions assigned into preallocated fixed-rank xtensors.
template <class T>
T xtensor_two_pass(config<T>& c) {
    const auto& wv = c.params[w];
    const T bv = c.params[b];
    const T inv_m = T(1) / static_cast<T>(c.m);
    xt::noalias(c.r) = xt::sum(c.X * xt::view(wv, xt::all(), xt::newaxis()), {0}) + bv - c.Y;
    const T loss_value = xt::sum(c.r * c.r)() * inv_m / T(2);
    xt::noalias(c.gw) = xt::sum(c.X * xt::view(c.r, xt::newaxis(), xt::all()), {1}) * inv_m;
    const T gb = xt::sum(c.r)() * inv_m;
    c.grads[w] = c.gw; // same shape: a copy into the existing buffer
    c.grads[b] = gb;
    return loss_value;
}

// How the reference times are sampled: enough calls per sample to last about 2 ms (one call
// per sample for the full batches), and fewer samples of the full batches.
struct sampling {
    std::size_t calls;
    int samples;

    explicit sampling(double pass_bytes)
        : calls(std::max<std::size_t>(1, std::size_t(32.0 * 1024 * 1024 / std::max(pass_bytes, 1.0)))),
          samples(pass_bytes > 64.0 * 1024 * 1024 ? 5 : 15) {}

    // Seconds per call of f over one sample.
    template <class F>
    double seconds_per_call(F&& f) const {
        const auto t0 = clock_type::now();
        for (std::size_t k = 0; k < calls; ++k) f();
        return std::chrono::duration<double>(clock_type::now() - t0).count() / double(calls);
    }
};

// Best seconds per call of f over the samples.
template <class F>
double best_seconds(F&& f, double pass_bytes) {
    const sampling plan(pass_bytes);
    f(); // warm up caches and pages
    double best = 1e300;
    for (int s = 0; s < plan.samples; ++s) best = std::min(best, plan.seconds_per_call(f));
    return best;
}

// Best seconds per call of f and of g, their samples taken alternately, so that a slow spell
// of the machine falls on both.
template <class F, class G>
std::pair<double, double> best_seconds_alternating(F&& f, G&& g, double pass_bytes) {
    const sampling plan(pass_bytes);
    f();
    g();
    double best_f = 1e300, best_g = 1e300;
    for (int s = 0; s < plan.samples; ++s) {
        best_f = std::min(best_f, plan.seconds_per_call(f));
        best_g = std::min(best_g, plan.seconds_per_call(g));
    }
    return {best_f, best_g};
}

void check_close(const char* what, const char* variant, double got, double want, double scale, double tol,
                 std::size_t d, std::size_t m, const char* type) {
    const double err = std::abs(got - want);
    if (!(err <= tol * std::max({std::abs(want), std::abs(got), scale}))) {
        char buffer[512];
        std::snprintf(buffer, sizeof buffer,
                      "%s (%s, d=%zu, m=%zu): %s is %.17g but the hand loop gives %.17g (|diff| %.3g, tolerance %.3g relative "
                      "to %.3g)",
                      variant, type, d, m, what, got, want, err, tol, std::max({std::abs(want), std::abs(got), scale}));
        fail(buffer);
    }
}

template <class T>
void check_against(const result<double>& ref, double loss_value, const params_t<T>& grads, const char* variant,
                   std::size_t d, std::size_t m) {
    const double tol = std::is_same_v<T, double> ? 1e-9 : 1e-3;
    const char* type = std::is_same_v<T, double> ? "double" : "float";
    // Gradient components can be near zero: measure them against the residual's RMS
    // (X is O(1)), the natural scale of a component.
    const double scale = std::sqrt(2 * ref.loss);
    check_close("the loss", variant, loss_value, ref.loss, 0, tol, d, m, type);
    check_close("grad b", variant, double(grads[b]), ref.gb, scale, tol, d, m, type);
    const auto& gw = grads[w];
    if (gw.size() != d) fail(std::string(variant) + ": grad w has the wrong length");
    for (std::size_t j = 0; j < d; ++j) check_close("grad w[j]", variant, double(gw[j]), ref.gw[j], scale, tol, d, m, type);
}

// The hand-written SIMD loop over c's data, its gradient (with Gradient) into grads.
template <class T, bool Gradient>
T hand_simd(config<T>& c, params_t<T>& grads, std::bool_constant<Gradient>) {
    T* gw = Gradient ? grads[w].data() : nullptr;
    const T loss_value = bench::hand_simd_pass<Gradient>(c.X.data(), c.Y.data(), c.params[w].data(), c.params[b], c.d,
                                                         c.m, gw, grads[b], c.simd_sums);
    benchmark::ClobberMemory();
    return loss_value;
}

template <class T>
config<T>& setup(std::size_t d, std::size_t m) {
    auto& s = slot<T>();
    if (s && s->d == d && s->m == m) return *s;
    // Free the previous configuration, of either type, before allocating the next.
    slot<double>().reset();
    slot<float>().reset();
    auto c = std::make_unique<config<T>>();
    c->d = d;
    c->m = m;
    c->X = xt::xtensor<T, 2>::from_shape({d, m});
    c->Y = xt::xtensor<T, 1>::from_shape({m});
    bench::splitmix rng{0x5eed0000ULL + d * 7919 + m};
    for (auto& v : c->X) v = T(rng.next());
    for (auto& v : c->Y) v = T(rng.next());
    c->rows = xt::transpose(c->X);
    if (full_batch<T>(d, m)) c->padded = ctgrad::padded_feature_major<T>::from_features(c->X);
    std::vector<T> w0(d);
    for (auto& v : w0) v = T(rng.next());
    c->params = ctgrad::make_parameters<T>(w = w0, b = T(0.25));
    c->grads = c->params.zeros_like();
    c->r = xt::xtensor<T, 1>::from_shape({m});
    c->gw = xt::xtensor<T, 1>::from_shape({d});

    // The reference: the hand loop accumulating in double.
    result<double> ref;
    ref.gw.resize(d);
    hand_loop<double>(c->X.data(), c->Y.data(), c->params[w].data(), c->params[b], d, m, ref.loss, ref.gw.data(), ref.gb);

    const auto batch = c->batch();
    ctgrad::set_max_threads(1);
    const T v1 = ctgrad::value_and_grad(loss, c->params, batch, c->grads);
    check_against<T>(ref, double(v1), c->grads, "ctgrad::value_and_grad", d, m);
    {
        // On every thread the sums are the same, bit for bit (chunked in one fixed way).
        ctgrad::set_max_threads(all_threads);
        auto grads = c->params.zeros_like();
        const T threaded_loss = ctgrad::value_and_grad(loss, c->params, batch, grads);
        const T threaded_value = ctgrad::value(loss, c->params, batch);
        ctgrad::set_max_threads(1);
        const bool same = threaded_loss == v1 && grads[b] == c->grads[b] && grads[w] == c->grads[w] &&
                          threaded_value == ctgrad::value(loss, c->params, batch);
        if (!same) fail("ctgrad gives different sums on " + std::to_string(all_threads) + " threads than on one (d=" +
                        std::to_string(d) + ", m=" + std::to_string(m) + ")");
    }
    // The same numbers in another layout: the same sums to rounding, and on every thread the same bits.
    auto check_layout = [&](const auto& other, const std::string& layout) {
        auto grads = c->params.zeros_like();
        const T other_loss = ctgrad::value_and_grad(loss, c->params, other, grads);
        check_against<T>(ref, double(other_loss), grads, ("ctgrad::value_and_grad (" + layout + ")").c_str(), d, m);
        check_close("the loss", ("ctgrad::value (" + layout + ")").c_str(), double(ctgrad::value(loss, c->params, other)),
                    ref.loss, 0, std::is_same_v<T, double> ? 1e-9 : 1e-3, d, m,
                    std::is_same_v<T, double> ? "double" : "float");
        ctgrad::set_max_threads(all_threads);
        auto threaded = c->params.zeros_like();
        const bool same = ctgrad::value_and_grad(loss, c->params, other, threaded) == other_loss &&
                          threaded[w] == grads[w] && threaded[b] == grads[b];
        ctgrad::set_max_threads(1);
        if (!same) fail("ctgrad over " + layout + " gives different sums on " + std::to_string(all_threads) +
                        " threads (d=" + std::to_string(d) + ", m=" + std::to_string(m) + ")");
    };
    check_layout(c->row_batch(), "rows");
    if (full_batch<T>(d, m)) check_layout(c->padded_batch(), "padded rows");
    const T v2 = ctgrad::value(loss, c->params, batch);
    check_close("the loss", "ctgrad::value", double(v2), ref.loss, 0, std::is_same_v<T, double> ? 1e-9 : 1e-3, d, m,
                std::is_same_v<T, double> ? "double" : "float");
    std::fill(c->grads[w].begin(), c->grads[w].end(), T(0));
    c->grads[b] = T(0);
    const T v3 = xtensor_two_pass(*c);
    if constexpr (std::is_same_v<T, double>) {
        check_against<T>(ref, double(v3), c->grads, "xtensor_two_pass", d, m);
    } else {
        // xtensor sums a float full batch sequentially in float: over 2^25 terms it drifts by
        // a few percent. That is the baseline's accuracy, not a wrong program: say so only.
        if (std::abs(double(v3) - ref.loss) > 1e-3 * ref.loss)
            std::fprintf(stderr, "bench_fused: note: xtensor_two_pass (float, d=%zu, m=%zu) loss %.9g vs %.9g in double\n",
                         d, m, double(v3), ref.loss);
    }

    {
        auto grads = c->params.zeros_like();
        const T simd_loss = hand_simd(*c, grads, std::true_type{});
        const T simd_value = hand_simd(*c, grads, std::false_type{});
        if constexpr (std::is_same_v<T, double>) {
            check_against<T>(ref, double(simd_loss), grads, "hand_simd_value_and_grad", d, m);
            check_close("the loss", "hand_simd_value", double(simd_value), ref.loss, 0, 1e-9, d, m, "double");
        } else if (std::abs(double(simd_loss) - ref.loss) > 1e-3 * ref.loss ||
                   std::abs(double(simd_value) - ref.loss) > 1e-3 * ref.loss) {
            // One float accumulator per lane over 2^21 lane groups drifts by about 0.15% (ctgrad
            // sums per chunk): the baseline's accuracy, as with xtensor above. Said, not fatal.
            std::fprintf(stderr, "bench_fused: note: hand_simd (float, d=%zu, m=%zu) loss %.9g / %.9g vs %.9g in double\n",
                         d, m, double(simd_loss), double(simd_value), ref.loss);
        }
    }

    if (std::is_same_v<T, double> && full_batch<T>(d, m)) {
        // The reread probe reads every number, whatever its block: twice X's sum and Y's, up to
        // rounding (each term is in [-1, 1), so the bound scales with their count).
        const double expected = 2 * bench::probe_sum(c->X.data(), c->X.size()) + bench::probe_sum(c->Y.data(), c->Y.size());
        for (std::size_t groups : reread_block_groups)
            if (const double got = reread(*c, groups); std::abs(got - expected) > 1e-9 * double((d + 1) * m))
                fail("reread_probe with blocks of " + std::to_string(groups) + " lane groups sums " + std::to_string(got) +
                     " where X and Y give " + std::to_string(expected) + " (d=" + std::to_string(d) + ", m=" +
                     std::to_string(m) + ")");
    }

    // Reference times for the ratios, in this process.
    const double bytes = c->bytes();
    c->probe_s = best_seconds(
        [&] {
            T t = probe_pass(*c, false);
            benchmark::DoNotOptimize(t);
        },
        bytes);
    if (full_batch<T>(d, m))
        for (std::size_t groups : reread_block_groups) {
            const double seconds = best_seconds([&] { benchmark::DoNotOptimize(reread(*c, groups)); }, bytes);
            if (c->reread_groups == 0 || seconds < c->reread_s) {
                c->reread_s = seconds;
                c->reread_groups = groups;
            }
        }
    std::vector<T> gw(d);
    c->hand_s = best_seconds(
        [&] {
            T l, gb;
            hand_loop<T>(c->X.data(), c->Y.data(), c->params[w].data(), c->params[b], d, m, l, gw.data(), gb);
            benchmark::DoNotOptimize(l);
            benchmark::DoNotOptimize(gb);
            benchmark::DoNotOptimize(gw.data());
            benchmark::ClobberMemory();
        },
        bytes);
    // Best seconds of value_and_grad and of value on `threads` threads, sampled alternately.
    auto value_and_grad_then_value = [&](std::size_t threads) {
        ctgrad::set_max_threads(threads);
        const auto seconds = best_seconds_alternating(
            [&] {
                T l = ctgrad::value_and_grad(loss, c->params, batch, c->grads);
                benchmark::DoNotOptimize(l);
                benchmark::ClobberMemory();
            },
            [&] {
                T l = ctgrad::value(loss, c->params, batch);
                benchmark::DoNotOptimize(l);
            },
            bytes);
        ctgrad::set_max_threads(1);
        return seconds;
    };
    std::tie(c->value_and_grad_s, c->value_s) = value_and_grad_then_value(1);
    std::tie(c->hand_simd_value_and_grad_s, c->hand_simd_value_s) = best_seconds_alternating(
        [&] { benchmark::DoNotOptimize(hand_simd(*c, c->grads, std::true_type{})); },
        [&] { benchmark::DoNotOptimize(hand_simd(*c, c->grads, std::false_type{})); }, bytes);
    if (chunked_batch<T>(d, m)) {
        ctgrad::set_max_threads(all_threads); // the pool the probe's chunks run on
        c->probe_threads_s = best_seconds(
            [&] {
                T t = probe_pass(*c, true);
                benchmark::DoNotOptimize(t);
            },
            bytes);
        ctgrad::set_max_threads(1);
        std::tie(c->value_and_grad_threads_s, c->value_threads_s) = value_and_grad_then_value(all_threads);
    }
    s = std::move(c);
    return *s;
}

// ---------------------------------------------------------------------------------------
// The benchmarks.

enum class variant {
    value_and_grad,
    value,
    rows_value_and_grad,
    rows_value,
    rows_value_and_grad_threads,
    rows_value_threads,
    padded_value_and_grad,
    padded_value,
    padded_value_and_grad_threads,
    padded_value_threads,
    hand,
    hand_simd_value_and_grad,
    hand_simd_value,
    xtensor,
    probe,
    reread,
    value_and_grad_threads,
    value_threads,
    probe_threads
};

// ctgrad's passes over the full loss and gradient, and over the loss alone, in any layout.
constexpr bool is_value_and_grad(variant v) {
    return v == variant::value_and_grad || v == variant::value_and_grad_threads || v == variant::rows_value_and_grad ||
           v == variant::rows_value_and_grad_threads || v == variant::padded_value_and_grad ||
           v == variant::padded_value_and_grad_threads;
}
constexpr bool is_value(variant v) {
    return v == variant::value || v == variant::value_threads || v == variant::rows_value ||
           v == variant::rows_value_threads || v == variant::padded_value || v == variant::padded_value_threads;
}

// The batch a variant of ctgrad's passes reads: X as bound, its example-major rows, or its padded
// copy (which only the full batches have).
template <variant V, class T>
auto batch_of(const config<T>& c) {
    if constexpr (V == variant::rows_value_and_grad || V == variant::rows_value_and_grad_threads ||
                  V == variant::rows_value || V == variant::rows_value_threads)
        return c.row_batch();
    else if constexpr (V == variant::padded_value_and_grad || V == variant::padded_value_and_grad_threads ||
                       V == variant::padded_value || V == variant::padded_value_threads)
        return c.padded_batch();
    else
        return c.batch();
}

template <class T, variant V>
void run(benchmark::State& state) {
    const auto d = static_cast<std::size_t>(state.range(0));
    const auto m = static_cast<std::size_t>(state.range(1));
    config<T>& c = setup<T>(d, m);
    const auto batch = batch_of<V>(c);
    std::vector<T> gw(d);
    constexpr bool threaded = V == variant::value_and_grad_threads || V == variant::value_threads ||
                              V == variant::probe_threads || V == variant::rows_value_and_grad_threads ||
                              V == variant::rows_value_threads || V == variant::padded_value_and_grad_threads ||
                              V == variant::padded_value_threads;
    ctgrad::set_max_threads(threaded ? all_threads : 1);

    auto one_pass = [&] {
        if constexpr (is_value_and_grad(V)) {
            T l = ctgrad::value_and_grad(loss, c.params, batch, c.grads);
            benchmark::DoNotOptimize(l);
            benchmark::ClobberMemory();
        } else if constexpr (is_value(V)) {
            T l = ctgrad::value(loss, c.params, batch);
            benchmark::DoNotOptimize(l);
        } else if constexpr (V == variant::probe_threads) {
            T t = probe_pass(c, true);
            benchmark::DoNotOptimize(t);
        } else if constexpr (V == variant::hand) {
            T l, gb;
            hand_loop<T>(c.X.data(), c.Y.data(), c.params[w].data(), c.params[b], d, m, l, gw.data(), gb);
            benchmark::DoNotOptimize(l);
            benchmark::DoNotOptimize(gb);
            benchmark::DoNotOptimize(gw.data());
            benchmark::ClobberMemory();
        } else if constexpr (V == variant::hand_simd_value_and_grad) {
            benchmark::DoNotOptimize(hand_simd(c, c.grads, std::true_type{}));
        } else if constexpr (V == variant::hand_simd_value) {
            benchmark::DoNotOptimize(hand_simd(c, c.grads, std::false_type{}));
        } else if constexpr (V == variant::reread) {
            benchmark::DoNotOptimize(reread(c, c.reread_groups));
        } else if constexpr (V == variant::xtensor) {
            T l = xtensor_two_pass(c);
            benchmark::DoNotOptimize(l);
            benchmark::ClobberMemory();
        } else {
            T t = probe_pass(c, false);
            benchmark::DoNotOptimize(t);
        }
    };
    const auto t0 = clock_type::now();
    for (auto _ : state) one_pass();
    const auto t1 = clock_type::now();
    const double per_pass = std::chrono::duration<double>(t1 - t0).count() / double(state.iterations());
    {
        // The memory's speed on these VMs drifts within minutes: a probe sampled alternately with
        // the pass sees the same spells.
        const auto [pass_s, probe_s] = best_seconds_alternating(one_pass, [&] {
            T t = probe_pass(c, threaded);
            benchmark::DoNotOptimize(t);
        }, double(c.bytes()));
        state.counters["probe_paired"] = probe_s / pass_s;
    }

    const auto passes = static_cast<std::int64_t>(state.iterations());
    state.SetBytesProcessed(passes * static_cast<std::int64_t>(c.bytes()));
    state.counters["examples/s"] = benchmark::Counter(double(m) * double(passes), benchmark::Counter::kIsRate);
    state.counters["probe_frac"] = (threaded ? c.probe_threads_s : c.probe_s) / per_pass;
    state.counters["vs_hand"] = c.hand_s / per_pass;
    if constexpr (V == variant::value_and_grad) {
        state.counters["grad_over_value"] = c.value_and_grad_s / c.value_s;
        state.counters["vs_hand_simd"] = c.hand_simd_value_and_grad_s / per_pass;
        if (c.reread_groups != 0) state.counters["vs_reread"] = c.reread_s / per_pass;
    }
    if constexpr (V == variant::reread) state.counters["reread_groups"] = double(c.reread_groups);
    if constexpr (V == variant::value) state.counters["vs_hand_simd"] = c.hand_simd_value_s / per_pass;
    if constexpr (V == variant::hand_simd_value_and_grad)
        state.counters["grad_over_value"] = c.hand_simd_value_and_grad_s / c.hand_simd_value_s;
    if constexpr (V == variant::value_and_grad_threads)
        state.counters["grad_over_value"] = c.value_and_grad_threads_s / c.value_threads_s;
    if constexpr (threaded) state.counters["threads"] = double(all_threads);
    if constexpr (V == variant::value_and_grad || V == variant::value_and_grad_threads) {
        // The stages ctgrad runs over the first chunk (eval/schedule.hpp).
        using params_type = std::remove_cvref_t<decltype(c.params)>;
        using pass_type = ctgrad::detail::gradient_pass<std::remove_cvref_t<decltype(loss)>, params_type, std::remove_cvref_t<decltype(batch)>>;
        const pass_type pass(loss, c.params, batch);
        state.SetLabel(to_string(pass.schedule(0)));
    }
    state.counters["x_offset"] = double(reinterpret_cast<std::uintptr_t>(c.X.data()) % 64);
    ctgrad::set_max_threads(1);
}

constexpr std::int64_t small_d[] = {2, 16, 128, 1024};
constexpr std::int64_t small_m[] = {32, 256, 4096};

// m for a full batch: X of 256 MiB.
template <class T>
std::int64_t full_m(std::int64_t d) {
    return std::int64_t(256) * 1024 * 1024 / (d * std::int64_t(sizeof(T)));
}

template <class T>
void register_config(const std::string& type, std::int64_t d, std::int64_t m, const std::string& tag = "") {
    const std::string suffix = "<" + type + ">" + tag;
    auto add = [&](const std::string& name, void (*fn)(benchmark::State&)) {
        benchmark::RegisterBenchmark((name + suffix).c_str(), fn)->Args({d, m})->ArgNames({"d", "m"})->UseRealTime()->Unit(
            full_batch<T>(std::size_t(d), std::size_t(m)) ? benchmark::kMillisecond : benchmark::kNanosecond);
    };
    add("ctgrad_value_and_grad", &run<T, variant::value_and_grad>);
    add("ctgrad_value", &run<T, variant::value>);
    add("ctgrad_rows_value_and_grad", &run<T, variant::rows_value_and_grad>);
    add("ctgrad_rows_value", &run<T, variant::rows_value>);
    if (full_batch<T>(std::size_t(d), std::size_t(m))) {
        add("ctgrad_padded_value_and_grad", &run<T, variant::padded_value_and_grad>);
        add("ctgrad_padded_value", &run<T, variant::padded_value>);
    }
    add("hand_scalar_loop", &run<T, variant::hand>);
    add("hand_simd_value_and_grad", &run<T, variant::hand_simd_value_and_grad>);
    add("hand_simd_value", &run<T, variant::hand_simd_value>);
    add("xtensor_two_pass", &run<T, variant::xtensor>);
    add("read_probe", &run<T, variant::probe>);
    if (full_batch<T>(std::size_t(d), std::size_t(m))) add("reread_probe", &run<T, variant::reread>);
    if (chunked_batch<T>(std::size_t(d), std::size_t(m))) {
        add("ctgrad_value_and_grad_threads", &run<T, variant::value_and_grad_threads>);
        add("ctgrad_value_threads", &run<T, variant::value_threads>);
        add("read_probe_threads", &run<T, variant::probe_threads>);
        add("ctgrad_rows_value_and_grad_threads", &run<T, variant::rows_value_and_grad_threads>);
        add("ctgrad_rows_value_threads", &run<T, variant::rows_value_threads>);
        if (full_batch<T>(std::size_t(d), std::size_t(m))) {
            add("ctgrad_padded_value_and_grad_threads", &run<T, variant::padded_value_and_grad_threads>);
            add("ctgrad_padded_value_threads", &run<T, variant::padded_value_threads>);
        }
    }
}

// Registered configuration by configuration so that each is set up once.
const bool registered = [] {
    for (auto d : small_d)
        for (auto m : small_m) register_config<double>("double", d, m);
    for (auto d : small_d) register_config<double>("double", d, full_m<double>(d));
    for (auto d : small_d) register_config<float>("float", d, full_m<float>(d));
    for (auto d : small_d) register_config<double>("double", d, full_m<double>(d) / 16 * 15 + 24, "/not_pow2");
    // The sizes compared with PyTorch (FULL_BATCHES in bench/compare.py).
    register_config<double>("double", 128, 1'000'000, "/pytorch_sizes");
    register_config<double>("double", 2, 20'000'000, "/pytorch_sizes");
    register_config<float>("float", 128, 1'000'000, "/pytorch_sizes");
    register_config<float>("float", 2, 20'000'000, "/pytorch_sizes");
    return true;
}();

} // namespace

BENCHMARK_MAIN();
