// bench/reread_probe.hpp: the reads of a one-pass loss and gradient over the feature-major
// layout, without their arithmetic. In blocks of G lane groups (ctgrad's kernel takes 4 or 8
// for large batches), each row of the block is summed, asking for the next block's rows where
// ctgrad does (block_walk.hpp), then each row is summed again, last feature first, as
// a gradient reads it back from the caches. A one-pass gradient of a model whose block of rows
// does not fit in registers makes these reads whatever its arithmetic: where this probe, with
// the best G, reads slower than the plain read probe, no such kernel reaches the probe's speed
// (bench_fused's reread_probe rows and vs_reread).
#ifndef CTGRAD_BENCH_REREAD_PROBE_HPP
#define CTGRAD_BENCH_REREAD_PROBE_HPP

#include "block_walk.hpp"

#include <ctgrad/eval/alignment.hpp> // examples_before_aligned
#include <ctgrad/simd/simd.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace bench {

/// The sum of X (d x m, feature-major) read twice in blocks of K lane groups, plus Y once.
template <std::size_t K, class T>
T reread_probe(const T* X, const T* Y, std::size_t d, std::size_t m) {
    using V = ctgrad::simd::batch<T>;
    constexpr std::size_t L = V::size;
    constexpr std::size_t step = K * L;
    V total(T(0));

    auto block = [&]<bool Prefetch>(std::size_t i0, std::size_t ahead, std::bool_constant<Prefetch>) {
        // Independent sums, local so that they stay in registers: only the loads bound the loop.
        std::array<V, K> first, second;
        first.fill(V(T(0)));
        second.fill(V(T(0)));
        for (std::size_t j = 0; j < d; ++j) {
            const T* row = X + j * m;
            if constexpr (Prefetch)
                for (std::size_t k = 0; k < K; ++k) ctgrad::simd::prefetch(row + ahead + k * L);
            for (std::size_t k = 0; k < K; ++k) first[k] += V::load_unaligned(row + i0 + k * L);
        }
        for (std::size_t k = 0; k < K; ++k) first[k] += V::load_unaligned(Y + i0 + k * L);
        for (std::size_t j = d; j-- > 0;) {
            const T* row = X + j * m + i0;
            for (std::size_t k = 0; k < K; ++k) second[k] += V::load_unaligned(row + k * L);
        }
        for (std::size_t k = 0; k < K; ++k) total += first[k] + second[k];
    };

    // One example at a time, reading X twice too: those before X's first whole lane group (as
    // ctgrad aligns its loads: a lane group across two lines costs a second line per load), and
    // those after the last block.
    T sum = 0;
    auto one_at_a_time = [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            sum += Y[i];
            for (std::size_t j = 0; j < d; ++j) sum += T(2) * X[j * m + i];
        }
    };
    const std::size_t head = std::min(m, ctgrad::detail::examples_before_aligned<V>(X));
    one_at_a_time(0, head);
    one_at_a_time(walk_blocks<T, step>(d, m, head, block), m);
    return sum + xsimd::hadd(total);
}

} // namespace bench

#endif // CTGRAD_BENCH_REREAD_PROBE_HPP
