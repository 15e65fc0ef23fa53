// bench/block_walk.hpp: how bench's hand-written passes over the feature-major layout walk
// their blocks, shared so that they walk them alike and ask for the next block's rows exactly
// where ctgrad's kernel does (the schedule it plans for the d2l gradient over X).
#ifndef CTGRAD_BENCH_BLOCK_WALK_HPP
#define CTGRAD_BENCH_BLOCK_WALK_HPP

#include <ctgrad/eval/schedule.hpp>
#include <ctgrad/simd/simd.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace bench {

/// Whether ctgrad's blocks prefetch in the d2l gradient over a d x m feature-major X of T.
template <class T>
bool ctgrad_prefetches(std::size_t d, std::size_t m) {
    const ctgrad::detail::input_rows x{m * sizeof(T), d, true};
    const auto schedule = ctgrad::detail::plan_schedule(
        {ctgrad::simd::lanes_v<ctgrad::simd::batch<T>>, sizeof(T), 0, m, m, 0, std::span(&x, 1)});
    return schedule.has(ctgrad::detail::block_kind::narrow_prefetching) ||
           schedule.has(ctgrad::detail::block_kind::wide_prefetching);
}

/// Calls block(i0, ahead, prefetch) for each whole block of Step examples of a d x m batch of T
/// from example begin on: ahead is the first example of the next block (the last block's own
/// for the last), prefetch std::true_type where ctgrad would prefetch, else std::false_type
/// (and ahead 0). Returns the first example no block covered.
template <class T, std::size_t Step, class Block>
std::size_t walk_blocks(std::size_t d, std::size_t m, std::size_t begin, Block&& block) {
    if (m - begin < Step) return begin;
    const std::size_t last = begin + (m - begin) / Step * Step - Step;
    std::size_t i0 = begin;
    if (ctgrad_prefetches<T>(d, m))
        for (; i0 <= last; i0 += Step) block(i0, std::min(i0 + Step, last), std::true_type{});
    else
        for (; i0 <= last; i0 += Step) block(i0, std::size_t(0), std::false_type{});
    return i0;
}

} // namespace bench

#endif // CTGRAD_BENCH_BLOCK_WALK_HPP
