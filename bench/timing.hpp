// bench/timing.hpp: wall-clock seconds and the median, for the benches that time by hand
// (the ones that are not Google Benchmark binaries).
#ifndef CTGRAD_BENCH_TIMING_HPP
#define CTGRAD_BENCH_TIMING_HPP

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

} // namespace bench

#endif // CTGRAD_BENCH_TIMING_HPP
