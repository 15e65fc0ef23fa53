// bench/bench_mpi.cpp: what data-parallel work over MPI costs (docs/distributed.md), run as
//   mpirun -n 2 --bind-to none build-bench/bench/bench_mpi [--examples N] [--features D] [--repeats R]
// 1. communicator::sum of 3, 10^3 and 10^6 doubles across the ranks (the d2l gradient, a
//    small model's, a large one's): the median time per call;
// 2. the d2l loss and gradient over a full batch (default 10^6 x 128, double): the single
//    process on as many threads as there are ranks, against the ranks on one thread each, each
//    holding its share of the examples, with their sums combined: the median time per step.
// Rank 0 prints. The ranks that wait while rank 0 runs alone sleep rather than spin.
#include <ctgrad/ctgrad.hpp>
#include <ctgrad/distributed/mpi.hpp>

#include "splitmix.hpp"
#include "timing.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::clock_type;
using bench::median;
using bench::seconds_since;

/// The slowest rank's time of each repeat, the ranks starting together; the median.
template <class Step>
double group_median(const ctgrad::mpi::communicator& world, std::size_t repeats, Step&& step) {
    std::vector<double> times;
    for (std::size_t r = 0; r < repeats; ++r) {
        world.barrier();
        const auto start = clock_type::now();
        step();
        double took = seconds_since(start);
        MPI_Allreduce(MPI_IN_PLACE, &took, 1, MPI_DOUBLE, MPI_MAX, world.native());
        times.push_back(took);
    }
    return median(times);
}

/// Every rank but 0 waits here, asleep, until rank 0 has run `alone`.
template <class Alone>
void on_rank_0_alone(const ctgrad::mpi::communicator& world, Alone&& alone) {
    if (world.rank() == 0) alone();
    MPI_Request request;
    MPI_Ibarrier(world.native(), &request);
    int done = 0;
    while (!done) {
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

/// Feature j of example i, the same whichever process holds it.
double feature(std::size_t j, std::size_t i, std::size_t m) { return bench::splitmix{j * m + i}.next(); }

/// Examples [first, first + count) of the benchmark's data, feature-major.
struct examples {
    xt::xtensor<double, 2> x;
    xt::xtensor<double, 1> y;
};
examples make_examples(std::size_t d, std::size_t m, std::size_t first, std::size_t count) {
    examples out{xt::xtensor<double, 2>::from_shape({d, count}), xt::xtensor<double, 1>::from_shape({count})};
    for (std::size_t j = 0; j < d; ++j)
        for (std::size_t k = 0; k < count; ++k) out.x(j, k) = feature(j, first + k, m);
    for (std::size_t k = 0; k < count; ++k) out.y(k) = feature(d, first + k, m);
    return out;
}

std::string cpu_name() {
    std::ifstream in("/proc/cpuinfo");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

std::size_t flag(int argc, char** argv, const std::string& name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == "--" + name) return std::stoul(argv[i + 1]);
    return fallback;
}

} // namespace

int main(int argc, char** argv) {
    return ctgrad::mpi::run(argc, argv, [&](const ctgrad::mpi::communicator& world) {
        const std::size_t m = flag(argc, argv, "examples", 1'000'000), d = flag(argc, argv, "features", 128);
        const std::size_t repeats = flag(argc, argv, "repeats", 15);
        const bool root = world.rank() == 0;
        char version[MPI_MAX_LIBRARY_VERSION_STRING];
        int length = 0;
        MPI_Get_library_version(version, &length);
        if (root)
            std::printf("bench_mpi: %zu ranks on %s; %.*s\n", world.ranks(), cpu_name().c_str(),
                        int(std::string_view(version, std::size_t(length)).find(',')), version);

        // 1. Combining sums.
        for (const std::size_t count : {std::size_t(3), std::size_t(1000), std::size_t(1'000'000)}) {
            std::vector<double> values(count, 1.0 + double(world.rank()));
            const std::size_t reps = count > 100'000 ? 50 : 2000;
            const double t = group_median(world, reps, [&] { world.sum(values.data(), count); });
            if (root)
                std::printf("sum of %8zu doubles across %zu ranks: %10.2f us  (%.2f GB/s of the vector)\n", count,
                            world.ranks(), t * 1e6, double(count) * 8 / t * 1e-9);
        }

        // 2. The full batch.
        constexpr ctgrad::input_vec<"x"> x;
        constexpr ctgrad::input<"y"> y;
        constexpr ctgrad::param_vec<"w"> w;
        constexpr ctgrad::param<"b"> b;
        const auto loss = ctgrad::square(ctgrad::dot(x, w) + b - y) / ctgrad::c<2>;
        auto params = ctgrad::make_parameters(w = std::vector<double>(d, 0.01), b = 0.5);
        auto grads = params.zeros_like();
        const std::size_t threads_per_rank = ctgrad::max_threads();

        if (root && ctgrad::mpi::cores_of_this_process() < world.ranks() * threads_per_rank)
            std::printf("note: rank 0 is bound to %zu core(s), so the single process's %zu threads share them: run with "
                        "mpirun --bind-to none\n",
                        ctgrad::mpi::cores_of_this_process(), world.ranks() * threads_per_rank);
        double alone_time = 0;
        on_rank_0_alone(world, [&] {
            const auto all = make_examples(d, m, 0, m);
            const auto batch = ctgrad::make_batch(x = all.x, y = all.y);
            ctgrad::set_max_threads(world.ranks() * threads_per_rank);
            std::vector<double> times;
            for (std::size_t r = 0; r < repeats; ++r) {
                const auto start = clock_type::now();
                (void)ctgrad::value_and_grad(loss, params, batch, grads);
                times.push_back(seconds_since(start));
            }
            alone_time = median(times);
            ctgrad::set_max_threads(threads_per_rank);
        });

        const auto share = ctgrad::data::share_of(m, world.rank(), world.ranks());
        const auto mine = make_examples(d, m, share.first, share.count);
        const auto batch = ctgrad::make_batch(x = mine.x, y = mine.y);
        std::vector<double> sums;
        const double group_time = group_median(world, repeats, [&] {
            (void)ctgrad::detail::group_value_and_grad(world, loss, params, share.count, [&] { return batch; }, grads, sums);
        });
        if (root) {
            const double gb = double(m) * double(d + 1) * 8 * 1e-9;
            std::printf("full batch %zu x %zu double, loss and gradient:\n", m, d);
            std::printf("  1 process, %zu threads:         %8.2f ms  (%.1f GB/s)\n", world.ranks() * threads_per_rank,
                        alone_time * 1e3, gb / alone_time);
            std::printf("  %zu ranks, %zu thread(s) each:    %8.2f ms  (%.1f GB/s), combined sums included\n", world.ranks(),
                        threads_per_rank, group_time * 1e3, gb / group_time);
            std::printf("  speed of the ranks / the single process: %.3f\n", alone_time / group_time);
        }
        return 0;
    });
}
