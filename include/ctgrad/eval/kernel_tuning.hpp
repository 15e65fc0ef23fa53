// ctgrad/eval/kernel_tuning.hpp: every threshold of the fused kernel's block schedule and the
// cache geometry it assumes, in one struct (the schedule itself: eval/schedule.hpp).
//
// The thresholds were measured on an AMD EPYC with AVX-512, 48 KiB L1d and 1 MiB of 16-way L2
// per core (docs/performance.md, Why the kernel's constants, gives each measurement); the kernel
// runs with this machine's L2 geometry and L1 size where the system tells them (for_this_machine).
#ifndef CTGRAD_EVAL_KERNEL_TUNING_HPP
#define CTGRAD_EVAL_KERNEL_TUNING_HPP

#include <algorithm>
#include <bit>
#include <cstddef>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

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

    // ---- example-major rows (eval/row_kernel.hpp), measured on an Intel Xeon with AVX-512 ----

    /// Rows of at most this many lane groups of numbers are reduced side by side, a chain per
    /// row; longer ones one after another (d = 16 double: 0.96 of the read probe against 0.77).
    static constexpr std::size_t rows_short_groups = 4;
    /// How many groups of rows ahead a long row's reduction asks for the same row (into L2),
    /// and how many the gradient's second walk asks for: the gradient reads no memory, and
    /// these keep the memory busy through it (d = 128 and 1024 double: 0.89 and 0.91 of the
    /// probe for value and gradient, against 0.80 and 0.74 with neither). Only gradient passes
    /// ask in the reductions: a pass that reads each row once measured up to 1.37x faster without
    /// on an AMD EPYC (docs/performance.md, Why the kernel's constants).
    static constexpr std::size_t rows_prefetch_groups = 1;
    static constexpr std::size_t rows_gradient_prefetch_groups = 2;

    // ---- the cache a block's rows must stay in between the reductions and the gradient ----

    std::size_t cache_line_bytes = 64;
    /// Sets of that cache (a power of two): 1 MiB, 16-way, 64-byte lines.
    std::size_t cache_sets = 1024;
    /// How many of a set's ways one block's rows may take before they count as colliding (half).
    std::size_t cache_ways_per_block = 8;
    /// The cache that a wide prefetching block and the block ahead of it must fit in together.
    std::size_t l2_bytes = std::size_t(1) << 20;
    /// The L1 data cache: prefetching blocks ask for the rows ahead into L1 while a block and the
    /// one ahead take at most twice its size, and into L2 only beyond (ahead_overflows_l1).
    std::size_t l1_bytes = std::size_t(48) << 10;

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
    /// With many features a chunk of chunk_bytes is a short run of each row: chunks then cover up
    /// to this many wide blocks' worth of examples (64 KiB of each row), measured faster on two
    /// threads, as long as the batch still makes chunk_min_count chunks.
    std::size_t chunk_long_wide_blocks = 128;
    /// The fewest chunks that chunk_long_wide_blocks may leave, for the threads to share.
    std::size_t chunk_min_count = 8;

    /// The defaults, with the line size, sets, ways and size of this machine's L2 and the size of
    /// its L1 data cache where the system tells them (glibc's sysconf; elsewhere, or when it
    /// answers 0, the defaults').
    static kernel_tuning for_this_machine() noexcept;
};

inline kernel_tuning kernel_tuning::for_this_machine() noexcept {
    kernel_tuning tuning;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    if (const long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1 > 0) tuning.l1_bytes = static_cast<std::size_t>(l1);
#endif
#if defined(_SC_LEVEL2_CACHE_SIZE) && defined(_SC_LEVEL2_CACHE_ASSOC) && defined(_SC_LEVEL2_CACHE_LINESIZE)
    const long size = sysconf(_SC_LEVEL2_CACHE_SIZE);
    const long ways = sysconf(_SC_LEVEL2_CACHE_ASSOC);
    const long line = sysconf(_SC_LEVEL2_CACHE_LINESIZE);
    if (size <= 0 || ways <= 0 || line <= 0 || !std::has_single_bit(static_cast<unsigned long>(line))) return tuning;
    const std::size_t sets = static_cast<std::size_t>(size) / (static_cast<std::size_t>(ways) * static_cast<std::size_t>(line));
    if (sets == 0) return tuning;
    tuning.cache_line_bytes = static_cast<std::size_t>(line);
    tuning.cache_sets = std::bit_floor(sets); // the cache model's shifts need a power of two
    tuning.cache_ways_per_block = std::max<std::size_t>(1, static_cast<std::size_t>(ways) / 2);
    tuning.l2_bytes = static_cast<std::size_t>(size);
#endif
    return tuning;
}

namespace detail {
/// The tuning the kernel runs with: read once per program, and in each translation unit that
/// includes this header before the static variables defined after it are initialized.
inline const kernel_tuning tuning_in_use = kernel_tuning::for_this_machine();
} // namespace detail

} // namespace ctgrad

#endif // CTGRAD_EVAL_KERNEL_TUNING_HPP
