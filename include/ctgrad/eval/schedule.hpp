// ctgrad/eval/schedule.hpp: which blocks the fused kernel runs over a range of examples, as
// data: plan_schedule takes the batch's shape and the tuning and returns the ordered stages
// that the block loop walks (eval/run_schedule.hpp). Pure: tests and benches assert on it.
//
// A schedule of feature-major inputs is, in order: the examples before the widest input's
// first aligned lane group, one at a time (large batches only); the middle blocks (wide, then
// narrow), which prefetch where the rows come from memory and copy rows that collide in the
// caches; single lane groups; the scalar tail. One of example-major rows is lane groups of rows
// (eval/row_kernel.hpp), then the scalar tail.
#ifndef CTGRAD_EVAL_SCHEDULE_HPP
#define CTGRAD_EVAL_SCHEDULE_HPP

#include "ctgrad/config.hpp"
#include "ctgrad/eval/kernel_tuning.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ctgrad::detail {

/// The block loops the kernel instantiates, one per kind.
enum class block_kind : unsigned char {
    single,             ///< one example at a time, scalar (the aligning prefix, the tail)
    lane_group,         ///< one lane group per block
    narrow,             ///< narrow_groups lane groups
    narrow_packed,      ///< narrow, copying the rows the gradient reads again (rows that collide)
    narrow_prefetching, ///< narrow, asking for the next block's rows
    wide,               ///< wide_groups lane groups
    wide_prefetching,   ///< wide, asking for the next block's rows
    rows,               ///< one lane group of example-major rows (eval/row_kernel.hpp)
};

constexpr std::string_view name(block_kind kind) {
    switch (kind) {
    case block_kind::single: return "single";
    case block_kind::lane_group: return "lane_group";
    case block_kind::narrow: return "narrow";
    case block_kind::narrow_packed: return "narrow_packed";
    case block_kind::narrow_prefetching: return "narrow_prefetching";
    case block_kind::wide: return "wide";
    case block_kind::wide_prefetching: return "wide_prefetching";
    case block_kind::rows: return "rows";
    }
    return "?";
}

constexpr bool prefetches(block_kind kind) {
    return kind == block_kind::narrow_prefetching || kind == block_kind::wide_prefetching;
}

/// A stage runs whole blocks of its kind from where the previous stage stopped up to `until`.
struct block_stage {
    block_stage() = default; // a schedule's unused stages stay unwritten
    constexpr block_stage(block_kind kind_, std::size_t until_, bool prefetch_into_l2_ = false)
        : kind(kind_), prefetch_into_l2(prefetch_into_l2_), until(until_) {}

    block_kind kind;
    /// For prefetching kinds: ask for the rows ahead into L2 only (ahead_overflows_l1). Kept
    /// beside `kind`, so that a stage stays two words.
    bool prefetch_into_l2;
    std::size_t until;
    friend constexpr bool operator==(const block_stage&, const block_stage&) = default;
};

/// The stages over the examples [begin, end), at most five.
class kernel_schedule {
public:
    constexpr kernel_schedule(std::size_t begin, std::size_t end) : m_begin(begin), m_end(end) {}
    constexpr void add(block_kind kind) { add(kind, m_end); }
    constexpr void add(block_kind kind, std::size_t until) { m_stages[m_count++] = {kind, until}; }
    /// A prefetching stage up to the end, asking for rows into L2 only or into L1.
    constexpr void add_prefetching(block_kind kind, bool into_l2) { m_stages[m_count++] = {kind, m_end, into_l2}; }

    [[nodiscard]] constexpr std::size_t begin_example() const noexcept { return m_begin; }
    [[nodiscard]] constexpr std::size_t end_example() const noexcept { return m_end; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return m_count; }
    [[nodiscard]] constexpr const block_stage* begin() const noexcept { return m_stages.data(); }
    [[nodiscard]] constexpr const block_stage* end() const noexcept { return m_stages.data() + m_count; }
    [[nodiscard]] constexpr const block_stage& operator[](std::size_t i) const noexcept { return m_stages[i]; }
    /// Narrow blocks, lane groups and the tail, nothing else (small_batch_schedule's stages).
    [[nodiscard]] constexpr bool only_narrow_blocks() const noexcept {
        return m_count == 3 && m_stages[0].kind == block_kind::narrow;
    }
    [[nodiscard]] constexpr bool has(block_kind kind) const noexcept {
        return std::any_of(begin(), end(), [kind](const block_stage& s) { return s.kind == kind; });
    }

    friend constexpr bool operator==(const kernel_schedule& a, const kernel_schedule& b) {
        return a.m_begin == b.m_begin && a.m_end == b.m_end && std::equal(a.begin(), a.end(), b.begin(), b.end());
    }

private:
    std::array<block_stage, 5> m_stages; // only the first m_count are set
    std::size_t m_count = 0;
    std::size_t m_begin, m_end;
};

/// The kinds in order, e.g. "single until 5, wide_prefetching into L2, narrow_prefetching into
/// L2, lane_group, single" (a stage that stops before the range's end says where).
inline std::string to_string(const kernel_schedule& schedule) {
    std::string out;
    for (const block_stage& stage : schedule) {
        if (!out.empty()) out += ", ";
        out += name(stage.kind);
        if (stage.prefetch_into_l2) out += " into L2";
        if (stage.until != schedule.end_example()) out += " until " + std::to_string(stage.until);
    }
    return out;
}

/// An input vector that the reductions read: its rows as the caches see them.
struct input_rows {
    std::size_t stride_bytes; ///< from one feature's row to the next
    std::size_t features;
    bool read_again;          ///< the gradient reads the block's rows again after the reductions
};

/// What the schedule depends on.
struct batch_shape {
    std::size_t lanes;              ///< numbers in a lane group (the SIMD width)
    std::size_t number_bytes;       ///< sizeof(float) or sizeof(double)
    std::size_t begin, end;         ///< the examples to schedule
    std::size_t batch_examples;     ///< the whole batch's, of which [begin, end) is a part
    std::size_t examples_to_align;  ///< before the widest input's first aligned lane group
    std::span<const input_rows> rows; ///< every input vector the reductions read
};

/// How many lines of one block (rows rows of block_bytes, stride_bytes apart) fall into the
/// fullest set of the tuning's cache: the row starts step through the sets by the stride, so
/// they visit cache_sets / g of them (g = gcd of the step and the set count), each taken by
/// rows / (cache_sets / g) rows and by the lines of the rows starting up to a block before.
/// The set count is a power of two, so g is the step's lowest set bit and every division is a
/// shift (Euclid's algorithm was a visible part of a small objective's time).
CTGRAD_ALWAYS_INLINE inline std::size_t lines_per_set(std::size_t stride_bytes, std::size_t rows, std::size_t block_bytes,
                                 const kernel_tuning& tuning = tuning_in_use) {
    const int set_bits = std::countr_zero(tuning.cache_sets);
    const std::size_t step = stride_bytes / tuning.cache_line_bytes % tuning.cache_sets;
    const int g_bits = step == 0 ? set_bits : std::countr_zero(step);
    const int starts_bits = set_bits - g_bits; // starts = cache_sets / g
    const std::size_t block_lines = (block_bytes + tuning.cache_line_bytes - 1) / tuning.cache_line_bytes;
    const std::size_t rows_per_start = (rows + (std::size_t(1) << starts_bits) - 1) >> starts_bits;
    return rows_per_start * ((block_lines + (std::size_t(1) << g_bits) - 1) >> g_bits);
}

/// Whether a narrow block's rows of any input (of those read again, if only_read_again) take
/// more of a cache set than a block may: m a power of two puts every row in the same sets.
CTGRAD_ALWAYS_INLINE inline bool rows_collide(const batch_shape& shape, const kernel_tuning& tuning, bool only_read_again) {
    const std::size_t block_bytes = kernel_tuning::narrow_groups * shape.lanes * shape.number_bytes;
    for (const input_rows& r : shape.rows)
        if ((r.read_again || !only_read_again) &&
            lines_per_set(r.stride_bytes, r.features, block_bytes, tuning) > tuning.cache_ways_per_block)
            return true;
    return false;
}

/// The bytes the reductions read in one pass over the whole batch.
CTGRAD_ALWAYS_INLINE inline std::size_t reduction_bytes(const batch_shape& shape) {
    std::size_t bytes = 0;
    for (const input_rows& r : shape.rows) bytes += r.features * shape.batch_examples * shape.number_bytes;
    return bytes;
}

/// Whether the rows that a block of `groups` lane groups and the block ahead of it read take more
/// than twice L1: their prefetches then go into L2 only, since lines brought into L1 a block
/// early would evict the rows being read (kernel_tuning::l1_bytes).
CTGRAD_ALWAYS_INLINE inline bool ahead_overflows_l1(const batch_shape& shape, std::size_t groups, const kernel_tuning& tuning) {
    std::size_t rows = 0;
    for (const input_rows& r : shape.rows) rows += r.features;
    return (kernel_tuning::prefetch_blocks + 1) * rows * groups * shape.lanes * shape.number_bytes > 2 * tuning.l1_bytes;
}

/// The middle blocks, from `from` on: narrow blocks, plain with few features; packed where the
/// rows the gradient reads again collide in the cache (the copy stays in the caches);
/// prefetching where the rows come from memory (many bytes, or colliding rows not copied), wide
/// first with many features when a block and the one ahead fit in L2, into L2 only when they
/// take more than twice L1; otherwise wide first with many features from beyond L2 (L3 serves
/// runs of 8 lines better than runs of 4).
CTGRAD_ALWAYS_INLINE inline void plan_middle_blocks(kernel_schedule& schedule, const batch_shape& shape, const kernel_tuning& tuning,
                               std::size_t from) {
    std::size_t features = 0;
    for (const input_rows& r : shape.rows) features = std::max(features, r.features);
    // Fewer rows than the fewest to prefetch cannot fill a set of the cache model either, so
    // small models (the d2l fit, d = 2) skip the cache model.
    if (features < tuning.prefetch_min_features) return schedule.add(block_kind::narrow);
    const std::size_t examples = shape.end - from;
    const std::size_t wide_block = kernel_tuning::wide_groups * shape.lanes;
    const bool pack = rows_collide(shape, tuning, true);
    const std::size_t bytes = reduction_bytes(shape);
    if (bytes > tuning.prefetch_min_bytes || (!pack && rows_collide(shape, tuning, false))) {
        const std::size_t ahead_bytes = (kernel_tuning::prefetch_blocks + 1) * features * wide_block * shape.number_bytes;
        if (features >= tuning.wide_min_features && ahead_bytes <= tuning.l2_bytes &&
            examples >= tuning.wide_prefetching_min_blocks * wide_block)
            schedule.add_prefetching(block_kind::wide_prefetching, ahead_overflows_l1(shape, kernel_tuning::wide_groups, tuning));
        return schedule.add_prefetching(block_kind::narrow_prefetching,
                                        ahead_overflows_l1(shape, kernel_tuning::narrow_groups, tuning));
    }
    if (pack) return schedule.add(block_kind::narrow_packed);
    if (features >= tuning.wide_min_features && bytes >= tuning.wide_cached_min_bytes &&
        examples >= tuning.wide_cached_min_blocks * wide_block)
        schedule.add(block_kind::wide);
    schedule.add(block_kind::narrow);
}

/// Whether a batch is too small for an aligning prefix and has too few features for the cache
/// model: then plan_schedule returns small_batch_schedule, which schedule_of plans without the rows.
CTGRAD_ALWAYS_INLINE inline bool is_small_batch(std::size_t widest_features, std::size_t batch_examples,
                                                const kernel_tuning& tuning = tuning_in_use) {
    return widest_features < tuning.prefetch_min_features && batch_examples < tuning.align_min_examples;
}

/// Narrow blocks, lane groups, the scalar tail: the d2l minibatch's schedule.
CTGRAD_ALWAYS_INLINE inline kernel_schedule small_batch_schedule(std::size_t begin, std::size_t end) {
    kernel_schedule schedule(begin, end);
    schedule.add(block_kind::narrow);
    schedule.add(block_kind::lane_group);
    schedule.add(block_kind::single);
    return schedule;
}

/// Lane groups of example-major rows, then the scalar tail.
constexpr kernel_schedule rows_schedule(std::size_t begin, std::size_t end) {
    kernel_schedule schedule(begin, end);
    schedule.add(block_kind::rows);
    schedule.add(block_kind::single);
    return schedule;
}

/// The stages for the examples [shape.begin, shape.end) of feature-major inputs.
CTGRAD_ALWAYS_INLINE inline kernel_schedule plan_schedule(const batch_shape& shape, const kernel_tuning& tuning = tuning_in_use) {
    kernel_schedule schedule(shape.begin, shape.end);
    std::size_t from = shape.begin;
    if (shape.begin == 0 && shape.batch_examples >= tuning.align_min_examples && shape.examples_to_align > 0) {
        from = std::min(shape.end, shape.examples_to_align);
        schedule.add(block_kind::single, from);
    }
    plan_middle_blocks(schedule, shape, tuning, from);
    schedule.add(block_kind::lane_group);
    schedule.add(block_kind::single);
    return schedule;
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_SCHEDULE_HPP
