// bench_layouts: which layout of X lets one pass of a loss and its gradient run at the memory's
// speed (docs/performance.md, Layouts of X). The d2l loss and gradient written by hand with
// xsimd over the same examples in three layouts, one thread, against the read probe (a SIMD
// sum over the same bytes, one stream):
//   feature_major  (d, m): ctgrad's layout today (bench/hand_simd_pass.hpp: d streams a block)
//   tiled          lane groups of examples, a tile the d features of `lanes` examples
//   example_major  (m, d) rows, as NumPy, PyTorch and CSV readers hand them over
// (bench/layout_passes.hpp), each as value alone and as value and gradient, for d in
// {16, 128, 256, 512, 1024} in double and float: a full batch (X of 256 MiB, read from memory; m a
// multiple of 64, not a power of two) and an in-cache one (X of 512 KiB).
//
// Counters: probe_frac, the probe's best time per pass over this benchmark's mean (as in
// bench_fused); bytes/s over X and Y. Before timing, every layout's loss and gradient are
// checked against the feature-major pass (1e-9 relative in double, 1e-3 in float); a
// mismatch aborts with a message.
#include <ctgrad/simd/simd.hpp>

#include "hand_simd_pass.hpp"
#include "layout_passes.hpp"
#include "read_probe.hpp"
#include "splitmix.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

template <class T>
using aligned_vector = std::vector<T, xsimd::aligned_allocator<T>>;

enum class layout { feature_major, tiled, example_major, probe };

template <class T>
struct dataset {
    std::size_t d = 0, m = 0;
    aligned_vector<T> feature_major, tiled, example_major, Y, w, gw;
    bench::hand_simd_sums<T> simd_sums;
    bench::lane_vector<T> tile_sums;
    T b = T(0.25);
    double probe_s = 0;

    [[nodiscard]] double bytes() const { return double(d + 1) * double(m) * double(sizeof(T)); }
};

// One pass in layout L; returns the loss (the gradient, if any, into ds.gw).
template <layout L, bool Gradient, class T>
T pass(dataset<T>& ds) {
    if constexpr (L == layout::probe) {
        return bench::probe_sum(ds.tiled.data(), ds.tiled.size()) + bench::probe_sum(ds.Y.data(), ds.m);
    } else if constexpr (L == layout::feature_major) {
        T gb = 0;
        return bench::hand_simd_pass<Gradient>(ds.feature_major.data(), ds.Y.data(), ds.w.data(), ds.b, ds.d, ds.m,
                                               ds.gw.data(), gb, ds.simd_sums);
    } else if constexpr (L == layout::tiled) {
        return bench::tiled_pass<Gradient>(ds.tiled.data(), ds.Y.data(), ds.w.data(), ds.b, ds.d, ds.m, ds.gw.data(),
                                           ds.tile_sums)
            .loss;
    } else {
        return bench::rows_pass<Gradient>(ds.example_major.data(), ds.Y.data(), ds.w.data(), ds.b, ds.d, ds.m,
                                          ds.gw.data())
            .loss;
    }
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_layouts: %s\n", what.c_str());
    std::exit(1);
}

template <class T>
void check_same(const char* name, T loss, const std::vector<T>& gw, T ref_loss, const std::vector<T>& ref_gw) {
    const double tol = sizeof(T) == 8 ? 1e-9 : 1e-3;
    auto near = [&](double a, double r) { return std::abs(a - r) <= tol * std::max(1.0, std::abs(r)); };
    if (!near(loss, ref_loss)) fail(std::string(name) + ": loss " + std::to_string(loss) + " against " + std::to_string(ref_loss));
    for (std::size_t j = 0; j < gw.size(); ++j)
        if (!near(gw[j], ref_gw[j]))
            fail(std::string(name) + ": gradient " + std::to_string(j) + " is " + std::to_string(gw[j]) + " against " +
                 std::to_string(ref_gw[j]));
}

template <class F>
double best_seconds(F&& f, double pass_bytes) {
    const std::size_t calls = std::max<std::size_t>(1, std::size_t(32.0 * 1024 * 1024 / pass_bytes));
    f();
    double best = 1e300;
    for (int s = 0; s < 7; ++s) {
        const auto t0 = clock_type::now();
        for (std::size_t k = 0; k < calls; ++k) benchmark::DoNotOptimize(f());
        best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count() / double(calls));
    }
    return best;
}

// The data of the configuration being run (Google Benchmark runs them in order of
// registration, so each is built once and dropped when the next one starts).
template <class T>
dataset<T>& data_for(std::size_t d, std::size_t m) {
    static std::unique_ptr<dataset<T>> current;
    if (current && current->d == d && current->m == m) return *current;
    current.reset(); // free the previous one first: two full batches at once need 1.5 GiB
    auto ds = std::make_unique<dataset<T>>();
    ds->d = d;
    ds->m = m;
    constexpr std::size_t L = ctgrad::simd::lanes_v<ctgrad::simd::batch<T>>;
    ds->feature_major.resize(d * m);
    ds->tiled.resize(d * m);
    ds->example_major.resize(d * m);
    ds->Y.resize(m);
    ds->w.resize(d);
    ds->gw.resize(d);
    bench::splitmix rng{42};
    for (std::size_t j = 0; j < d; ++j) ds->w[j] = T(rng.next());
    for (std::size_t i = 0; i < m; ++i) {
        T* row = ds->example_major.data() + i * d;
        for (std::size_t j = 0; j < d; ++j) row[j] = T(rng.next());
        ds->Y[i] = T(rng.next());
    }
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < d; ++j) {
            const T x = ds->example_major[i * d + j];
            ds->feature_major[j * m + i] = x;
            ds->tiled[(i / L) * L * d + j * L + i % L] = x;
        }

    // Every layout computes the feature-major pass's loss and gradient.
    const T ref_loss = pass<layout::feature_major, true>(*ds);
    const std::vector<T> ref_gw(ds->gw.begin(), ds->gw.end());
    const T tiled_loss = pass<layout::tiled, true>(*ds);
    check_same("tiled", tiled_loss, std::vector<T>(ds->gw.begin(), ds->gw.end()), ref_loss, ref_gw);
    const T rows_loss = pass<layout::example_major, true>(*ds);
    check_same("example_major", rows_loss, std::vector<T>(ds->gw.begin(), ds->gw.end()), ref_loss, ref_gw);

    ds->probe_s = best_seconds([&] { return pass<layout::probe, false>(*ds); }, ds->bytes());
    current = std::move(ds);
    return *current;
}

template <class T, layout L, bool Gradient>
void run(benchmark::State& state) {
    auto& ds = data_for<T>(std::size_t(state.range(0)), std::size_t(state.range(1)));
    const auto t0 = clock_type::now();
    for (auto _ : state) benchmark::DoNotOptimize(pass<L, Gradient>(ds));
    const double per_pass = std::chrono::duration<double>(clock_type::now() - t0).count() / double(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(ds.bytes()));
    state.counters["probe_frac"] = ds.probe_s / per_pass;
}

// m for X of about `bytes`: a multiple of 64 examples, not a power of two.
template <class T>
std::size_t examples_for(std::size_t d, std::size_t bytes) {
    const std::size_t m = bytes / (d * sizeof(T));
    return m >= 1024 ? m / 16 * 15 / 64 * 64 + 64 : std::max<std::size_t>(64, m / 64 * 64);
}

template <class T>
void register_type(const char* type) {
    for (std::size_t d : {16, 128, 256, 512, 1024})
        for (std::size_t bytes : {std::size_t(256) << 20, std::size_t(512) << 10}) {
            const auto m = static_cast<std::int64_t>(examples_for<T>(d, bytes));
            const auto args = {static_cast<std::int64_t>(d), m};
            auto add = [&](const std::string& name, auto fn) {
                benchmark::RegisterBenchmark((name + "<" + type + ">").c_str(), fn)->Args(args)->ArgNames({"d", "m"})->UseRealTime();
            };
            add("read_probe", &run<T, layout::probe, false>);
            add("feature_major_value", &run<T, layout::feature_major, false>);
            add("feature_major_value_and_grad", &run<T, layout::feature_major, true>);
            add("tiled_value", &run<T, layout::tiled, false>);
            add("tiled_value_and_grad", &run<T, layout::tiled, true>);
            add("example_major_value", &run<T, layout::example_major, false>);
            add("example_major_value_and_grad", &run<T, layout::example_major, true>);
        }
}

// Registered configuration by configuration so that each is set up once.
const bool registered = [] {
    register_type<double>("double");
    register_type<float>("float");
    return true;
}();

} // namespace

BENCHMARK_MAIN();
