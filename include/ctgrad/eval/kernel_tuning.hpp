// ctgrad/eval/kernel_tuning.hpp: every threshold of the fused kernel's block schedule and the
// cache geometry it assumes, in one struct (the schedule itself: eval/schedule.hpp).
//
// The defaults were measured on an AMD EPYC with AVX-512, 48 KiB L1d and 1 MiB of 16-way L2
// per core (docs/performance.md, Why the kernel's constants, gives each measurement).
#ifndef CTGRAD_EVAL_KERNEL_TUNING_HPP
#define CTGRAD_EVAL_KERNEL_TUNING_HPP

#include <cstddef>

namespace ctgrad {

struct kernel_tuning {
    // ---- fixed at compile time: each value is its own instantiation of the block loop ----

    /// Lane groups in a narrow block (a block is this times the SIMD width). Small, so that a
    /// block's subexpressions stay in registers (with 16 groups they went through memory).
    static constexpr std::size_t narrow_groups = 4;
    /// Lane groups in a wide block, for many features from beyond L2: each row is then read in
    /// runs of 8 lines instead of 4, which memory and L3 serve better.
    static constexpr std::size_t wide_groups = 8;
    /// How far ahead, in blocks, prefetching blocks ask for rows (the next block measured best).
    static constexpr std::size_t prefetch_blocks = 1;
    /// Independent chains of adds a reduction keeps per block, at least (K lane groups give K;
    /// fewer groups each get several): 2 per group in narrow blocks matched bench_regression's
    /// hand-written block, one did not.
    static constexpr std::size_t reduction_chains = 8;

    // ---- the cache a block's rows must stay in between the reductions and the gradient ----

    std::size_t cache_line_bytes = 64;
    /// Sets of that cache (a power of two): 1 MiB, 16-way, 64-byte lines.
    std::size_t cache_sets = 1024;
    /// How many of a set's ways one block's rows may take before they count as colliding.
    std::size_t cache_ways_per_block = 8;
    /// The cache that a wide prefetching block and the block ahead of it must fit in together.
    std::size_t l2_bytes = std::size_t(1) << 20;

    // ---- thresholds: below each, the cheaper schedule measured faster ----

    /// The fewest examples in a batch for the kernel to take the examples before the first
    /// aligned lane group one at a time (each touches a line per feature).
    std::size_t align_min_examples = 4096;
    /// The fewest features for blocks to prefetch or copy rows: with fewer rows the hardware's
    /// own prefetcher keeps up.
    std::size_t prefetch_min_features = 8;
    /// The fewest bytes the reductions read (past this, from memory) for blocks to prefetch.
    std::size_t prefetch_min_bytes = std::size_t(16) << 20;
    /// The fewest features for wide blocks.
    std::size_t wide_min_features = 20;
    /// The fewest wide blocks' worth of examples for prefetching wide blocks.
    std::size_t wide_prefetching_min_blocks = 16;
    /// The fewest bytes the reductions read (past L2) for wide blocks that do not prefetch.
    std::size_t wide_cached_min_bytes = std::size_t(2) << 20;
    /// The fewest wide blocks' worth of examples for wide blocks that do not prefetch.
    std::size_t wide_cached_min_blocks = 4;

    // ---- chunks that threads take (eval/chunks.hpp) ----

    /// The fewest bytes of inputs for a pass to be split into chunks.
    std::size_t chunked_min_bytes = std::size_t(16) << 20;
    /// About how many bytes of inputs one chunk covers.
    std::size_t chunk_bytes = std::size_t(4) << 20;
    /// The fewest wide blocks' worth of examples in a chunk.
    std::size_t chunk_min_wide_blocks = 16;
};

namespace detail {
/// The tuning the kernel runs with.
inline constexpr kernel_tuning tuning_in_use{};
} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_EVAL_KERNEL_TUNING_HPP
