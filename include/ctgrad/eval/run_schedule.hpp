// ctgrad/eval/run_schedule.hpp: a batch's shape as the schedule sees it, and the block loop
// that walks a schedule's stages (eval/schedule.hpp) over the batch.
#ifndef CTGRAD_EVAL_RUN_SCHEDULE_HPP
#define CTGRAD_EVAL_RUN_SCHEDULE_HPP

#include "ctgrad/eval/alignment.hpp"
#include "ctgrad/eval/fused_kernel.hpp"
#include "ctgrad/eval/row_kernel.hpp"
#include "ctgrad/eval/schedule.hpp"

namespace ctgrad::detail {

/// Whether the batch's input vectors are example-major rows.
template <class Inputs>
inline constexpr bool reads_rows_v = std::remove_cvref_t<decltype(std::declval<const Inputs&>().m_batch)>::layout ==
                                     batch_layout::example_major;

/// How many examples to take one at a time before the lane groups so that their loads from
/// the input with the most features start on a multiple of the SIMD width (the rows of a
/// feature-major input share the alignment of its first row when the stride is a multiple of
/// the width); 0 for example-major rows, which no lane group of examples loads.
template <class V, class Inputs>
std::size_t examples_to_align(const Inputs& in) {
    if constexpr (reads_rows_v<Inputs>) return 0;
    else return examples_before_aligned<V>(widest_input_of(in).m_data);
}

/// The rows of every input vector that the reductions of Entries read, marked read_again for
/// those in Packed (the gradient's second walk).
template <class Entries, class Packed, class Inputs>
auto reduction_rows(const Inputs& in) {
    using T = typename Inputs::value_type;
    using symbols = reduction_inputs_t<Entries>;
    std::array<input_rows, symbols::size> rows{};
    for_each_type(symbols{}, [&](auto symbol, auto index) {
        using S = typename decltype(symbol)::type;
        const auto& view = in.m_batch[S{}];
        rows[index] = {view.m_stride * sizeof(T), view.m_features, list_contains_v<Packed, S>};
    });
    return rows;
}

/// The schedule of the examples [begin, end) of the batch (Packed: the inputs that the
/// gradient reads again after the reductions).
template <class Entries, class Packed = type_list<>, class Inputs>
CTGRAD_ALWAYS_INLINE inline kernel_schedule schedule_of(const Inputs& in, std::size_t begin, std::size_t end) {
    if constexpr (reads_rows_v<Inputs>) return rows_schedule(begin, end);
    using T = typename Inputs::value_type;
    using V = simd::batch<T>;
    const std::size_t examples = in.m_batch.examples();
    std::size_t widest = 0;
    for_each_type(reduction_inputs_t<Entries>{}, [&](auto symbol, auto) {
        widest = std::max(widest, in.m_batch[typename decltype(symbol)::type{}].m_features);
    });
    if (is_small_batch(widest, examples)) return small_batch_schedule(begin, end);
    const auto rows = reduction_rows<Entries, Packed>(in);
    const std::size_t to_align = examples >= tuning_in_use.align_min_examples ? examples_to_align<V>(in) : 0;
    return plan_schedule({simd::lanes_v<V>, sizeof(T), begin, end, examples, to_align, rows});
}

/// Runs the blocks of one stage of example-major rows from example `from`; their reductions ask
/// for rows ahead when the gradient reads rows again (Packed).
template <class Entries, class Packed, class Inputs, class Sums, class OnBlock>
std::size_t run_row_stage(const block_stage& stage, const Inputs& in, std::size_t from, Sums& sums, OnBlock& on_block) {
    using T = typename Inputs::value_type;
    switch (stage.kind) {
    case block_kind::rows: return for_each_row_group<Entries, (Packed::size > 0)>(in, from, stage.until, sums, on_block);
    case block_kind::single: return for_each_block<T, 1, false, Entries>(in, from, stage.until, sums, on_block);
    default: return from; // rows_schedule plans no other kind
    }
}

/// Runs the blocks of K lane groups of a prefetching stage, which ask for the rows ahead into L2
/// only or into L1 as the stage says.
template <class V, std::size_t K, class Entries, class Packed, class Inputs, class Sums, class OnBlock>
CTGRAD_ALWAYS_INLINE inline std::size_t run_prefetching(const block_stage& stage, const Inputs& in, std::size_t from,
                                                        Sums& sums, OnBlock& on_block) {
    if (stage.prefetch_into_l2)
        return for_each_block<V, K, true, Entries, Packed, true>(in, from, stage.until, sums, on_block);
    return for_each_block<V, K, true, Entries, Packed>(in, from, stage.until, sums, on_block);
}

/// Runs the blocks of one stage from example `from`; returns the first example not covered.
/// Only the kinds that can read the batch's layout are compiled.
template <class Entries, class Packed, class Inputs, class Sums, class OnBlock>
std::size_t run_stage(const block_stage& stage, const Inputs& in, std::size_t from, Sums& sums, OnBlock& on_block) {
    using T = typename Inputs::value_type;
    using V = simd::batch<T>;
    constexpr std::size_t narrow = kernel_tuning::narrow_groups;
    constexpr std::size_t wide = kernel_tuning::wide_groups;
    if constexpr (reads_rows_v<Inputs>) return run_row_stage<Entries, Packed>(stage, in, from, sums, on_block);
    else switch (stage.kind) {
    case block_kind::single: return for_each_block<T, 1, false, Entries>(in, from, stage.until, sums, on_block);
    case block_kind::lane_group: return for_each_block<V, 1, false, Entries>(in, from, stage.until, sums, on_block);
    case block_kind::narrow: return for_each_block<V, narrow, false, Entries>(in, from, stage.until, sums, on_block);
    case block_kind::narrow_packed:
        return for_each_block<V, narrow, false, Entries, Packed>(in, from, stage.until, sums, on_block);
    case block_kind::narrow_prefetching:
        return run_prefetching<V, narrow, Entries, Packed>(stage, in, from, sums, on_block);
    case block_kind::wide: return for_each_block<V, wide, false, Entries>(in, from, stage.until, sums, on_block);
    case block_kind::wide_prefetching:
        return run_prefetching<V, wide, Entries, Packed>(stage, in, from, sums, on_block);
    case block_kind::rows: return from; // plan_schedule never plans rows for feature-major inputs
    }
    return from;
}

/// Walks the schedule's stages over the batch: on_block(evaluator, sums) for every block.
template <class Entries, class Packed = type_list<>, class Inputs, class Sums, class OnBlock>
CTGRAD_ALWAYS_INLINE inline void run_schedule(const kernel_schedule& schedule, const Inputs& in, Sums& sums,
                                              OnBlock&& on_block) {
    std::size_t done = schedule.begin_example();
    if constexpr (!reads_rows_v<Inputs>) {
        if (schedule.only_narrow_blocks()) {
            // Called directly, these stages fold with schedule_of's early return for a small batch:
            // no planning is left in a d2l step (through the switch it cost 10% of a value call).
            using T = typename Inputs::value_type;
            using V = simd::batch<T>;
            const std::size_t end = schedule.end_example();
            done = for_each_block<V, kernel_tuning::narrow_groups, false, Entries>(in, done, end, sums, on_block);
            done = for_each_block<V, 1, false, Entries>(in, done, end, sums, on_block);
            for_each_block<T, 1, false, Entries>(in, done, end, sums, on_block);
            return;
        }
    }
    for (const block_stage& stage : schedule) done = run_stage<Entries, Packed>(stage, in, done, sums, on_block);
}

/// Plans and runs the examples [begin, end) of the batch.
template <class Entries, class Packed = type_list<>, class Inputs, class Sums, class OnBlock>
void run_plan(const Inputs& in, std::size_t begin, std::size_t end, Sums& sums, OnBlock&& on_block) {
    run_schedule<Entries, Packed>(schedule_of<Entries, Packed>(in, begin, end), in, sums, on_block);
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_RUN_SCHEDULE_HPP
