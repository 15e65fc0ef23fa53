// ctgrad/eval/chunks.hpp: how a pass over a large batch is split into chunks of examples that
// several threads may take (eval/parallel.hpp); smaller batches run on the calling thread alone.
#ifndef CTGRAD_EVAL_CHUNKS_HPP
#define CTGRAD_EVAL_CHUNKS_HPP

#include "ctgrad/eval/run_schedule.hpp"

#include <algorithm>
#include <cstddef>

namespace ctgrad::detail {

/// The bytes the batch holds for the input symbols in Symbols.
template <class Symbols, class Inputs>
std::size_t input_bytes(const Inputs& in) {
    std::size_t bytes = 0;
    for_each_type(Symbols{}, [&](auto symbol, auto) {
        const auto& view = in.m_batch[typename decltype(symbol)::type{}];
        bytes += view.m_features * view.m_examples * sizeof(typename Inputs::value_type);
    });
    return bytes;
}

/// How a pass splits the batch's examples into chunks: chunk 0 is [0, m_first_end), chunk i > 0
/// starts m_size examples after chunk i - 1, and the last one ends at the batch's end. Every
/// chunk but the first starts on an aligned lane group, and each is long enough for prefetching
/// wide blocks (eval/schedule.hpp). It depends on the batch and the plan only, never on the number
/// of threads, so neither do the sums.
struct chunk_plan {
    std::size_t m_count = 1;
    std::size_t m_first_end = 0;
    std::size_t m_size = 0;
    std::size_t m_examples = 0;

    [[nodiscard]] std::size_t begin(std::size_t i) const noexcept { return i == 0 ? 0 : m_first_end + (i - 1) * m_size; }
    [[nodiscard]] std::size_t end(std::size_t i) const noexcept {
        return i + 1 == m_count ? m_examples : m_first_end + i * m_size;
    }
};

/// How many wide blocks' worth of examples (`step` examples each) a chunk covers, out of the
/// `blocks` a batch holds with `example_bytes` of inputs an example: about chunk_bytes, longer
/// with many features as long as chunk_min_count chunks remain, and at least
/// chunk_min_wide_blocks.
constexpr std::size_t chunk_wide_blocks(std::size_t blocks, std::size_t step, std::size_t example_bytes,
                                        const kernel_tuning& tuning) {
    const std::size_t by_bytes = tuning.chunk_bytes / (example_bytes + 1) / step;
    const std::size_t long_runs = std::min(tuning.chunk_long_wide_blocks, blocks / tuning.chunk_min_count);
    return std::max({by_bytes, long_runs, tuning.chunk_min_wide_blocks});
}

/// The chunks of a pass, from the bytes of every input bound in the batch (not only those the
/// reductions read: a model of scalar inputs reads no reduction).
template <class Inputs>
chunk_plan plan_chunks(const Inputs& in, std::size_t examples) {
    using V = simd::batch<typename Inputs::value_type>;
    const kernel_tuning& tuning = tuning_in_use;
    const chunk_plan whole{1, examples, 0, examples};
    const std::size_t bytes = input_bytes<typename std::remove_cvref_t<decltype(in.m_batch)>::symbols>(in);
    if (bytes <= tuning.chunked_min_bytes) return whole;
    constexpr std::size_t step = kernel_tuning::wide_groups * simd::lanes_v<V>;
    const std::size_t aligned = examples >= tuning.align_min_examples ? examples_to_align<V>(in) : 0;
    const std::size_t size = chunk_wide_blocks((examples - aligned) / step, step, bytes / examples, tuning) * step;
    const std::size_t count = (examples - aligned) / size;
    if (count < 2) return whole;
    return {count, aligned + size, size, examples};
}

/// Tags for the calling thread's buffers of per-chunk sums (thread_buffer).
struct chunk_gradients_purpose;
struct chunk_values_purpose;

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_CHUNKS_HPP
