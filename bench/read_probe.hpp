// bench/read_probe.hpp: the read probe, the baseline of every memory-bound ratio in bench/: a
// read of every byte once, as one stream.
#ifndef CTGRAD_BENCH_READ_PROBE_HPP
#define CTGRAD_BENCH_READ_PROBE_HPP

#include <ctgrad/simd/simd.hpp>

#include <cstddef>

namespace bench {

/// The sum of p[0, n): four independent SIMD accumulators, then the tail.
template <class T>
T probe_sum(const T* p, std::size_t n) {
    using V = ctgrad::simd::batch<T>;
    constexpr std::size_t L = V::size;
    V a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    std::size_t i = 0;
    for (; i + 4 * L <= n; i += 4 * L) {
        a0 += V::load_unaligned(p + i);
        a1 += V::load_unaligned(p + i + L);
        a2 += V::load_unaligned(p + i + 2 * L);
        a3 += V::load_unaligned(p + i + 3 * L);
    }
    T total = xsimd::hadd((a0 + a1) + (a2 + a3));
    for (; i < n; ++i) total += p[i];
    return total;
}

} // namespace bench

#endif // CTGRAD_BENCH_READ_PROBE_HPP
