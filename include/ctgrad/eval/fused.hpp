// ctgrad/eval/fused.hpp: value_and_grad, value and predict over a minibatch, in one
// SIMD pass over its data.
#ifndef CTGRAD_EVAL_FUSED_HPP
#define CTGRAD_EVAL_FUSED_HPP

#include "ctgrad/error.hpp"
#include "ctgrad/eval/fused_kernel.hpp"
#include "ctgrad/eval/hoisted_eval.hpp"
#include "ctgrad/eval/parallel.hpp"
#include "ctgrad/eval/summed_form.hpp"
#include "ctgrad/symbolic/derivative.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ctgrad {

/// Lane groups in one block of the fused kernel (a block is this times the SIMD width). Small
/// and fixed at compile time so that a block's subexpressions stay in registers (with 16 groups
/// they went through memory; docs/performance.md, Why the kernel's constants).
inline constexpr std::size_t fused_block_groups = 4;

namespace detail {

/// The partial of the loss E by the parameter S in the form value_and_grad sums it
/// (summed_form.hpp).
template <class E, class S>
using summed_partial = summed_form<decltype(derive_any(E{}, S{}))>;

/// The entry point a misuse message names.
enum class fused_call { value_and_grad, value, predict };

/// Instantiated only when the batch lacks an input of the expression; the input's name is
/// spelled in the template arguments, which both g++ and clang print legibly.
template <fused_call Call, char... Name>
struct input_missing_from_batch {
    static_assert(Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the loss reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
    static_assert(Call != fused_call::value,
                  "ctgrad::value: the loss reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
    static_assert(Call != fused_call::predict,
                  "ctgrad::predict: the model reads an input that the batch does not hold: add it to make_batch "
                  "(its name is spelled in the template arguments of input_missing_from_batch)");
};

/// Instantiated only when the store lacks a parameter of the expression.
template <fused_call Call, char... Name>
struct parameter_missing_from_store {
    static_assert(Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the loss has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
    static_assert(Call != fused_call::value,
                  "ctgrad::value: the loss has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
    static_assert(Call != fused_call::predict,
                  "ctgrad::predict: the model has a parameter that the store does not hold: add it to "
                  "make_parameters (its name is spelled in the template arguments of parameter_missing_from_store)");
};

template <fused_call Call, class T, class U>
constexpr void require_same_number_type() {
    static_assert(std::is_same_v<T, U> || Call != fused_call::value_and_grad,
                  "ctgrad::value_and_grad: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
    static_assert(std::is_same_v<T, U> || Call != fused_call::value,
                  "ctgrad::value: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
    static_assert(std::is_same_v<T, U> || Call != fused_call::predict,
                  "ctgrad::predict: the parameters and the batch hold different number types: make both float "
                  "or both double (make_parameters<T> and the data given to make_batch)");
}

template <fused_call Call, template <fused_call, char...> class Missing, class S, class... Symbols>
constexpr void require_listed(type_list<Symbols...>) {
    if constexpr (!list_contains_v<type_list<Symbols...>, S>) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            [[maybe_unused]] Missing<Call, S::name.m_chars[I]...> error;
        }(std::make_index_sequence<S::name.view().size()>{});
    }
}

template <class E, class Params, class Batch>
inline constexpr bool is_bound_v =
    std::is_same_v<typename Params::value_type, typename Batch::value_type> &&
    []<class... Ps>(type_list<Ps...>) { return (list_contains_v<typename Params::symbols, Ps> && ...); }(params_of_t<E>{}) &&
    []<class... Is>(type_list<Is...>) { return (list_contains_v<typename Batch::symbols, Is> && ...); }(inputs_of_t<E>{});

/// Static checks shared by the entry points: every parameter of E is in the store, every
/// input in the batch, and both hold one number type. Each failure names the call, the symbol
/// and the fix; the entry points then stop (if constexpr on is_bound_v), so it is the only error.
template <fused_call Call, class E, class Params, class Batch>
constexpr void require_complete() {
    require_same_number_type<Call, typename Params::value_type, typename Batch::value_type>();
    for_each_type(params_of_t<E>{}, [](auto s, auto) {
        require_listed<Call, parameter_missing_from_store, typename decltype(s)::type>(typename Params::symbols{});
    });
    for_each_type(inputs_of_t<E>{}, [](auto s, auto) {
        require_listed<Call, input_missing_from_batch, typename decltype(s)::type>(typename Batch::symbols{});
    });
}

template <class Batch>
void require_examples(const Batch& batch, const char* call) {
    if (batch.examples() == 0) throw ctgrad::invalid_argument(std::string(call) + ": the batch has no examples");
}

/// The loss with its runtime numbers in slots, and those numbers.
template <class E, class T>
struct slotted_expression {
    static constexpr std::size_t count = number_count_v<E>;
    std::array<double, count> m_numbers{};
    decltype(to_slots<0>(std::declval<const E&>(), std::declval<std::array<double, count>&>())) m_expression;

    explicit slotted_expression(const E& e) : m_expression(to_slots<0>(e, m_numbers)) {}

    std::array<T, count> numbers() const {
        std::array<T, count> out{};
        std::transform(m_numbers.begin(), m_numbers.end(), out.begin(), [](double v) { return static_cast<T>(v); });
        return out;
    }
};

/// The most features any reduction of the plan walks.
template <class Inputs>
std::size_t widest(const Inputs& in) {
    std::size_t most = 0;
    for (std::size_t length : in.m_lengths) most = length > most ? length : most;
    return most;
}

/// Lane groups per block for large batches of many features: each row is then read in runs of
/// 8 lines instead of 4, which the memory serves better (docs/performance.md, Why the kernel's
/// constants).
inline constexpr std::size_t wide_block_groups = 8;

/// The fewest features for wide blocks: from memory, 4-group blocks are faster with fewer
/// features and wide blocks with more, and this is where they cross (docs/performance.md, Why
/// the kernel's constants).
inline constexpr std::size_t wide_min_features = 20;

/// Whether to use wide blocks: enough features, few enough that the block and the one ahead
/// that is prefetched fit in 1 MiB of L2, and enough examples for the rest to be a small
/// remainder. (d = 1024 fits, and wide blocks are faster there: docs/performance.md, Why the
/// kernel's constants.)
template <class V>
bool wants_wide_blocks(std::size_t features, std::size_t examples) {
    constexpr std::size_t row_bytes = wide_block_groups * sizeof(V);
    return features >= wide_min_features && (prefetch_blocks + 1) * features * row_bytes <= (std::size_t(1) << 20) &&
           examples >= 16 * wide_block_groups * simd::lanes_v<V>;
}

/// The fewest bytes the reductions of a call read for blocks that do not prefetch to be wide
/// as well: beyond L2 (1 MiB per core here) the rows come from L3, which serves runs of 8 lines
/// better than runs of 4, as memory does; below 2 MiB wide blocks measured slower
/// (docs/performance.md, Why the kernel's constants).
inline constexpr std::size_t wide_cached_min_bytes = std::size_t(2) << 20;

/// Whether blocks that do not prefetch are wide: enough features, rows read from beyond L2,
/// and at least four wide blocks' worth of examples. Unlike wants_wide_blocks this sets no
/// bound from L2: past 2048 features (double) a wide block no longer fits L2, but neither
/// wide nor 4-group blocks are faster there (docs/performance.md, Why the kernel's constants).
template <class V>
bool wants_wide_cached_blocks(std::size_t features, std::size_t bytes, std::size_t examples) {
    return features >= wide_min_features && bytes >= wide_cached_min_bytes &&
           examples >= 4 * wide_block_groups * simd::lanes_v<V>;
}

/// The fewest examples for which the kernel aligns its loads. Aligning takes up to lanes - 1
/// examples through the scalar path, each of which touches a cache line per feature, which
/// smaller batches do not earn back (docs/performance.md, Why the kernel's constants).
inline constexpr std::size_t align_min_examples = 4096;

/// How many examples to take one at a time before the lane groups so that their loads from
/// data start on a multiple of the SIMD width: 0 if they do, or if data is not aligned even
/// to one number. (The rows of a feature-major input share the alignment of its first row
/// when the stride is a multiple of the width.) With AVX-512 every unaligned load of a lane
/// group spans two cache lines, and glibc's malloc puts large blocks 16 bytes past a line
/// (docs/performance.md, Why the kernel's constants).
template <class V, class T>
std::size_t examples_before_aligned(const T* data) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(data);
    if (address % sizeof(T) != 0) return 0;
    return (sizeof(V) - address % sizeof(V)) % sizeof(V) / sizeof(T);
}

/// examples_before_aligned for the input with the most features, which most loads read.
template <class V, class Inputs>
std::size_t examples_to_align(const Inputs& in) {
    using symbols = typename std::remove_cvref_t<decltype(in.m_batch)>::symbols;
    const typename Inputs::value_type* widest_data = nullptr;
    std::size_t most = 0;
    for_each_type(symbols{}, [&](auto symbol, auto) {
        const auto& view = in.m_batch[typename decltype(symbol)::type{}];
        if (view.m_features > most) {
            most = view.m_features;
            widest_data = view.m_data;
        }
    });
    return examples_before_aligned<V>(widest_data);
}

/// Runs the plan over the examples [begin, end) of the batch: from the batch's first example
/// in a large batch, first the examples before the widest input's first aligned lane group,
/// one at a time; then, with many features, wide blocks (wide_block_groups lane groups) where
/// the rows come from memory or L3 (wants_wide_blocks, wants_wide_cached_blocks); then blocks of
/// fused_block_groups lane groups, then single lane groups, then the scalar tail (fewer
/// examples than one lane group). Blocks that do not prefetch copy the rows of the inputs in
/// Packed (read again after the reductions) when those rows collide in the caches; blocks that
/// prefetch never do (packing_pays in fused_kernel.hpp).
template <class Entries, class Packed = type_list<>, class Inputs, class Sums, class OnBlock>
void run_plan(const Inputs& in, std::size_t begin, std::size_t end, Sums& sums, OnBlock&& on_block) {
    using T = typename Inputs::value_type;
    using V = simd::batch<T>;
    constexpr std::size_t K = fused_block_groups;
    constexpr std::size_t wide = wide_block_groups;
    const std::size_t features = widest(in);
    std::size_t done = begin;
    if (begin == 0 && in.m_batch.examples() >= align_min_examples)
        done = for_each_block<T, 1, false, Entries>(in, 0, std::min(end, examples_to_align<V>(in)), sums, on_block);
    // Fewer rows than the fewest to prefetch cannot fill a set of the cache model either, so
    // small models (the d2l fit, d = 2, one block per step) skip both decisions.
    const bool pack = features >= prefetch_min_features && Packed::size > 0 && packing_pays<V, K, Packed>(in);
    if (features < prefetch_min_features) {
        done = for_each_block<V, K, false, Entries>(in, done, end, sums, on_block);
    } else if (const std::size_t bytes = reduction_bytes<Entries>(in);
               !wants_prefetch(features, bytes, !pack && rows_collide<V, K, reduction_inputs_t<Entries>>(in))) {
        // Whether to copy the rows is decided apart from whether to prefetch: rows that
        // collide in the caches need the copy even when the batch is too small to prefetch.
        if (pack) {
            done = for_each_block<V, K, false, Entries, Packed>(in, done, end, sums, on_block);
        } else {
            if (wants_wide_cached_blocks<V>(features, bytes, end - done))
                done = for_each_block<V, wide, false, Entries>(in, done, end, sums, on_block);
            done = for_each_block<V, K, false, Entries>(in, done, end, sums, on_block);
        }
    } else {
        if (wants_wide_blocks<V>(features, end - done))
            done = for_each_block<V, wide, true, Entries>(in, done, end, sums, on_block);
        done = for_each_block<V, K, true, Entries>(in, done, end, sums, on_block);
    }
    done = for_each_block<V, 1, false, Entries>(in, done, end, sums, on_block);
    for_each_block<T, 1, false, Entries>(in, done, end, sums, on_block);
}

/// The fewest bytes of inputs a batch holds for a pass over it to be split into chunks that
/// several threads may take (parallel.hpp): smaller batches run on the calling thread alone.
inline constexpr std::size_t chunked_min_bytes = std::size_t(16) << 20;
/// About how many bytes of the batch's inputs one chunk covers.
inline constexpr std::size_t chunk_bytes = std::size_t(4) << 20;

/// How a pass splits the batch's examples into chunks: chunk 0 is [0, m_first_end), chunk i > 0
/// starts m_size examples after chunk i - 1, and the last one ends at the batch's end. Every
/// chunk but the first starts on an aligned lane group, and each is long enough for the wide
/// blocks (wants_wide_blocks). It depends on the batch and the plan only, never on the number
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

/// The chunks of a pass, from the bytes of every input bound in the batch (not only those the
/// reductions read: a model of scalar inputs reads no reduction).
template <class Inputs>
chunk_plan plan_chunks(const Inputs& in, std::size_t examples) {
    using V = simd::batch<typename Inputs::value_type>;
    const chunk_plan whole{1, examples, 0, examples};
    const std::size_t bytes = input_bytes<typename std::remove_cvref_t<decltype(in.m_batch)>::symbols>(in);
    if (bytes <= chunked_min_bytes) return whole;
    constexpr std::size_t step = wide_block_groups * simd::lanes_v<V>;
    const std::size_t wanted = chunk_bytes / (bytes / examples + 1);
    const std::size_t size = std::max<std::size_t>(wanted / step, 16) * step;
    const std::size_t aligned = examples >= align_min_examples ? examples_to_align<V>(in) : 0;
    const std::size_t count = (examples - aligned) / size;
    if (count < 2) return whole;
    return {count, aligned + size, size, examples};
}

/// Room for the lane-wise sums of the vector partials in blocks that prefetch (large batches
/// read from memory): one lane group per feature in a per-thread buffer, whose lanes are summed
/// once per call. Summing each block's lanes instead costs a shuffle network per block and
/// `lanes` features, which the memory-bound loop does not hide (docs/performance.md, Why the
/// kernel's constants).
template <class T, std::size_t Params>
struct lane_sum_buffers {
    using V = simd::batch<T>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    std::array<V*, Params> m_sums{}; ///< per vector parameter, a lane group per feature
    bool m_ready = false;            ///< whether m_sums point to zeroed room

    /// Points m_sums at zeroed room for lengths[i] lane groups each (0 for a scalar).
    void prepare(const std::size_t (&lengths)[Params]) {
        std::size_t total = 0;
        for (std::size_t length : lengths) total += length;
        V* room = thread_buffer<V, lane_sum_buffers>(total);
        std::fill(room, room + total, V(T(0)));
        for (std::size_t i = 0; i < Params; ++i) {
            m_sums[i] = room;
            room += lengths[i];
        }
        m_ready = true;
    }

    /// Adds the lanes of parameter i's lane-wise sums to out[0, length), if any block made them.
    void fold(std::size_t i, T* out, std::size_t length) const {
        if (!m_ready) return;
        const V* sums = m_sums[i];
        const std::size_t whole = length - length % lanes;
        for (std::size_t j0 = 0; j0 < whole; j0 += lanes)
            (V::load_unaligned(out + j0) + simd::sum_rows(sums + j0)).store_unaligned(out + j0);
        for (std::size_t j = whole; j < length; ++j) out[j] += simd::sum_lanes(sums[j]);
    }
};

/// What value_and_grad sums over the blocks of a pass: the loss and the scalar partials, lane
/// by lane for SIMD blocks and as plain numbers for the scalar tail, and the vector partials'
/// features that blocks which do not prefetch leave over (below). The block loops keep these
/// in registers (for_each_block), so they hold only what each kind of parameter needs.
///
/// Blocks that do not prefetch add a vector partial's whole chunks of `lanes` features straight
/// into grads, one transposing reduction per chunk and block; only the last length % lanes
/// features keep lane-wise sums here (m_rest). A small batch then needs no buffer to zero and
/// fold: lane by lane everywhere (lane_sum_buffers) was slower in the caches and on ADBenchmark's
/// N = 10 (docs/performance.md, Why the kernel's constants).
template <class T, class ParamList>
struct gradient_sums;

template <class T, class... P>
struct gradient_sums<T, type_list<P...>> {
    using V = simd::batch<T>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    static constexpr std::size_t Params = sizeof...(P);
    static constexpr std::array<bool, Params> is_vector = {P::is_vector...};
    static constexpr std::size_t vectors = (std::size_t(P::is_vector) + ... + 0);

    /// Parameter i's index among the parameters of its kind (scalars or vectors).
    static constexpr std::size_t slot(std::size_t i) {
        std::size_t before = 0;
        for (std::size_t k = 0; k < i; ++k) before += is_vector[k] == is_vector[i];
        return before;
    }

    V m_loss = V(T(0));
    T m_loss_tail = 0;
    std::array<V, Params - vectors> m_scalar;          ///< by slot
    std::array<T, Params - vectors> m_scalar_tail{};   ///< by slot
    std::array<std::array<V, lanes>, vectors> m_rest;  ///< by slot
    std::array<std::size_t, vectors> m_rest_count{};   ///< by slot: the features m_rest holds

    /// Zero sums, as a block loop starts them (its m_rest_count is left at 0: only the sums it
    /// is added to need to know them).
    gradient_sums() {
        m_scalar.fill(V(T(0)));
        for (auto& rest : m_rest) rest.fill(V(T(0)));
    }

    /// Zero sums for parameters of these lengths (0 for a scalar).
    explicit gradient_sums(const std::size_t (&lengths)[Params]) : gradient_sums() {
        for (std::size_t i = 0; i < Params; ++i)
            if (is_vector[i]) m_rest_count[slot(i)] = lengths[i] % lanes;
    }

    /// Adds a block loop's sums (only the lane groups of m_rest in use: adding all of them is a
    /// visible cost for a small batch; docs/performance.md, Why the kernel's constants).
    gradient_sums& operator+=(const gradient_sums& other) {
        m_loss += other.m_loss;
        m_loss_tail += other.m_loss_tail;
        for (std::size_t i = 0; i < m_scalar.size(); ++i) {
            m_scalar[i] += other.m_scalar[i];
            m_scalar_tail[i] += other.m_scalar_tail[i];
        }
        // Lane groups indexed at compile time: a runtime index into other.m_rest would put the
        // block loop's sums in memory.
        for (std::size_t i = 0; i < vectors; ++i)
            [&]<std::size_t... j>(std::index_sequence<j...>) {
                ((j < m_rest_count[i] ? void(m_rest[i][j] += other.m_rest[i][j]) : void()), ...);
            }(std::make_index_sequence<lanes>{});
        return *this;
    }

    /// Adds what is still kept lane by lane to each vector parameter's outs[i][0, lengths[i])
    /// (also from the buffers of blocks that prefetch), and writes the loss's sum to totals[0]
    /// and scalar parameter i's to totals[1 + i].
    void finish(const std::array<T*, Params>& outs, const std::size_t (&lengths)[Params],
                const lane_sum_buffers<T, Params>& buffers, T* totals) const {
        totals[0] = simd::sum_lanes(m_loss) + m_loss_tail;
        for (std::size_t i = 0; i < Params; ++i) {
            if (!is_vector[i]) {
                totals[1 + i] = simd::sum_lanes(m_scalar[slot(i)]) + m_scalar_tail[slot(i)];
                continue;
            }
            const std::size_t whole = lengths[i] - lengths[i] % lanes;
            for (std::size_t j = whole; j < lengths[i]; ++j) outs[i][j] += simd::sum_lanes(m_rest[slot(i)][j - whole]);
            buffers.fold(i, outs[i], lengths[i]);
        }
    }
};

/// The sums of a block loop that sums nothing in registers: predict() stores each block's
/// predictions, value() adds into its own variables.
struct no_sums {
    no_sums& operator+=(const no_sums&) { return *this; }
};

/// Tags for the calling thread's buffers of per-chunk sums (thread_buffer).
struct chunk_gradients_purpose;
struct chunk_values_purpose;

/// Adds one block's sum of the partial G (by the parameter P, index I) to the sums.
template <class G, class P, std::size_t I, class Evaluator, class Sums, class Buffers, class T>
CTGRAD_ALWAYS_INLINE inline void accumulate_partial(const Evaluator& ev, Sums& sums, const Buffers& buffers, T* out,
                                                    std::size_t length) {
    using V = typename Evaluator::lane_type;
    if constexpr (std::is_same_v<G, zero_t>) {
        return;
    } else if constexpr (P::is_vector && simd::is_batch_v<V> && Evaluator::prefetches) {
        // Last feature first: the rows the reductions read last are the likeliest still in L1
        // when a block's rows do not all fit (docs/performance.md, Why the kernel's constants).
        V* lane_sums = buffers.m_sums[I];
        for (std::size_t j = length; j-- > 0;) lane_sums[j] += ev.template element_sum<G>(j);
    } else if constexpr (P::is_vector && simd::is_batch_v<V>) {
        constexpr std::size_t lanes = simd::lanes_v<V>;
        const std::size_t whole = length - length % lanes;
        for (std::size_t j0 = 0; j0 < whole; j0 += lanes) {
            std::array<V, lanes> rows;
            for (std::size_t i = 0; i < lanes; ++i) rows[i] = ev.template element_sum<G>(j0 + i);
            (V::load_unaligned(out + j0) + simd::sum_rows(rows.data())).store_unaligned(out + j0);
        }
        // One lane group of sums per feature left over, indexed at compile time so that they stay
        // in registers (for_each_block); a branch per lane, taken the same way in every block.
        [&]<std::size_t... i>(std::index_sequence<i...>) {
            ((whole + i < length ? void(sums.m_rest[Sums::slot(I)][i] += ev.template element_sum<G>(whole + i)) : void()), ...);
        }(std::make_index_sequence<lanes>{});
    } else if constexpr (P::is_vector) {
        for (std::size_t j = 0; j < length; ++j) out[j] += ev.template element_sum<G>(j); // the scalar tail
    } else if constexpr (simd::is_batch_v<V>) {
        sums.m_scalar[Sums::slot(I)] += ev.template block_sum<G>();
    } else {
        sums.m_scalar_tail[Sums::slot(I)] += ev.template block_sum<G>();
    }
}

/// Runs the plan of a single expression (its runtime numbers slotted) over the batch in the
/// chunks of plan_chunks, on up to max_threads() threads: first on_chunks(count), then for
/// every chunk c, sum_chunk(c, std::type_identity<E>{}, run) with E the slotted expression;
/// run(sums, on_block) calls on_block(evaluator, sums) for each block of the chunk.
template <class Expr, class Params, class Batch, class OnChunks, class SumChunk>
void run_expression(const Expr& e, const Params& params, const Batch& batch, OnChunks&& on_chunks, SumChunk&& sum_chunk) {
    using T = typename Params::value_type;
    const slotted_expression<Expr, T> slotted(e);
    using E = std::remove_cvref_t<decltype(slotted.m_expression)>;
    using entries = plan_entries_t<E>;
    kernel_inputs<Params, Batch, slotted.count, entries> in{params, batch, slotted.numbers()};
    prepare_inputs<entries>(in);
    const chunk_plan chunks = plan_chunks(in, batch.examples());
    on_chunks(chunks.m_count);
    parallel_for(chunks.m_count, [&](std::size_t c) {
        sum_chunk(c, std::type_identity<E>{},
                  [&](auto& sums, auto&& on_block) { run_plan<entries>(in, chunks.begin(c), chunks.end(c), sums, on_block); });
    });
}

} // namespace detail

/// The mean over the batch of the per-example loss, and its mean gradient by every
/// parameter of `params`, computed in one pass over the batch's data. The gradient is
/// written into `grads` (same layout as params; parameters the loss does not contain get
/// 0), so a training step that reuses `grads` allocates nothing.
///
/// The loss's subexpressions are computed once per block of examples and shared with every
/// partial; those that depend on no input are computed once per call.
template <expression Loss, class T, class... P, class U, class... B>
T value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, B...>& batch,
                 parameter_store<T, P...>& grads) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, B...>;
    detail::require_complete<detail::fused_call::value_and_grad, Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value_and_grad");

        const detail::slotted_expression<Loss, T> slotted(loss);
        using E = std::remove_cvref_t<decltype(slotted.m_expression)>;
        // The loss and each partial as the kernel sums them (summed_form.hpp): mean(G) =
        // coefficient * mean(per_example) + once, where only per_example is computed for
        // every example; the coefficient and the once part depend on no input.
        using loss_form = detail::summed_form<E>;
        using entries = detail::plan_entries_t<
            typename loss_form::per_example, typename detail::summed_partial<E, P>::per_example...,
            typename loss_form::coefficient, typename detail::summed_partial<E, P>::coefficient...,
            typename loss_form::once, typename detail::summed_partial<E, P>::once...>;
        using inputs_type = detail::kernel_inputs<params_type, batch_type, slotted.count, entries>;
        inputs_type in{params, batch, slotted.numbers()};
        detail::prepare_inputs<entries>(in);

        // Vector partials read their elements up to the parameter's length: check it once.
        (
            [&] {
                using G = decltype(detail::derive_any(E{}, P{}));
                if constexpr (P::is_vector) {
                    if constexpr (detail::element_leaves_t<G>::size > 0)
                        (void)detail::common_vector_length(
                            detail::push_unique_t<detail::element_leaves_t<G>, P>{}, params, batch,
                            [] { return "the gradient by " + std::string(P::name.view()) + ", " + to_string(G{}); });
                    auto& g = grads[P{}];
                    if (g.size() != params[P{}].size()) g = xt::xtensor<T, 1>::from_shape({params[P{}].size()});
                    std::fill(g.begin(), g.end(), T(0));
                }
            }(),
            ...);

        using param_list = detail::type_list<P...>;
        constexpr std::size_t params_count = sizeof...(P);
        // Pointer and length of each vector gradient, read once rather than once per block.
        const std::array<T*, params_count> outs = {[&]() -> T* {
            if constexpr (P::is_vector) return grads[P{}].data();
            else return nullptr;
        }()...};
        const std::size_t lengths[] = {[&] {
            if constexpr (P::is_vector) return params[P{}].size();
            else return std::size_t{0};
        }()...};

        // The inputs the summed partials read again after the reductions (copied per block
        // when their rows collide in the caches: fused_kernel.hpp).
        using packed = detail::packed_inputs_t<entries, typename detail::summed_partial<E, P>::per_example...>;
        // Sums the examples [begin, end): each vector partial added into range_outs, the loss
        // and the scalar partials written to range_totals (gradient_sums::finish).
        auto sum_range = [&](std::size_t begin, std::size_t end, const std::array<T*, params_count>& range_outs, T* range_totals) {
            detail::gradient_sums<T, param_list> sums(lengths);
            detail::lane_sum_buffers<T, params_count> buffers;
            detail::run_plan<entries, packed>(in, begin, end, sums, [&](const auto& ev, auto& running) {
                if constexpr (std::remove_cvref_t<decltype(ev)>::prefetches)
                    if (!buffers.m_ready) buffers.prepare(lengths);
                if constexpr (simd::is_batch_v<typename std::remove_cvref_t<decltype(ev)>::lane_type>)
                    running.m_loss += ev.template block_sum<typename loss_form::per_example>();
                else
                    running.m_loss_tail += ev.template block_sum<typename loss_form::per_example>();
                (detail::accumulate_partial<typename detail::summed_partial<E, P>::per_example, P, detail::list_index_v<param_list, P>>(
                     ev, running, buffers, range_outs[detail::list_index_v<param_list, P>], lengths[detail::list_index_v<param_list, P>]),
                 ...);
            });
            sums.finish(range_outs, lengths, buffers, range_totals);
        };

        T totals[1 + params_count] = {}; // the loss's sum, then each scalar partial's
        const detail::chunk_plan chunks = detail::plan_chunks(in, batch.examples());
        if (chunks.m_count == 1) {
            // Straight into grads: a minibatch step (the d2l fit) pays nothing for chunks.
            sum_range(0, batch.examples(), outs, totals);
        } else {
            // A large batch: each chunk sums into its own row (its totals, then each vector
            // partial), on whichever thread takes it; the rows are added up in chunk order.
            std::size_t width = 1 + params_count;
            for (std::size_t length : lengths) width += length;
            T* const rows = detail::thread_buffer<T, detail::chunk_gradients_purpose>(chunks.m_count * width);
            detail::parallel_for(chunks.m_count, [&](std::size_t c) {
                T* const row = rows + c * width;
                std::fill(row, row + width, T(0));
                std::array<T*, params_count> row_outs{};
                T* at = row + 1 + params_count;
                for (std::size_t i = 0; i < params_count; ++i) {
                    row_outs[i] = at;
                    at += lengths[i];
                }
                sum_range(chunks.begin(c), chunks.end(c), row_outs, row);
            });
            for (std::size_t c = 0; c < chunks.m_count; ++c) {
                const T* from = rows + c * width;
                for (std::size_t k = 0; k < 1 + params_count; ++k) totals[k] += *from++;
                for (std::size_t i = 0; i < params_count; ++i)
                    for (std::size_t j = 0; j < lengths[i]; ++j) outs[i][j] += *from++;
            }
        }

        // The coefficients and the parts that depend on no input, once (hoisted_eval.hpp).
        const T scale = T(1) / static_cast<T>(batch.examples());
        detail::for_each_type(param_list{}, [&](auto symbol, auto index) {
            using S = typename decltype(symbol)::type;
            using form = detail::summed_partial<E, S>;
            const T factor = detail::hoisted_scalar<typename form::coefficient, entries>(in) * scale;
            if constexpr (S::is_vector) {
                T* out = grads[S{}].data();
                const std::size_t length = grads[S{}].size();
                if constexpr (std::is_same_v<typename form::once, zero_t>) {
                    for (std::size_t j = 0; j < length; ++j) out[j] *= factor;
                } else {
                    for (std::size_t j = 0; j < length; ++j)
                        out[j] = out[j] * factor + detail::hoisted_element<typename form::once, entries>(in, j);
                }
            } else {
                grads[S{}] = totals[1 + index] * factor + detail::hoisted_scalar<typename form::once, entries>(in);
            }
        });
        return totals[0] * (detail::hoisted_scalar<typename loss_form::coefficient, entries>(in) * scale) +
               detail::hoisted_scalar<typename loss_form::once, entries>(in);
    }
}

/// The mean loss and gradient, returned: {value, grad}. Allocates the gradient store; in a
/// training loop prefer the overload that writes into caller-owned storage.
template <class T, class Store>
struct value_and_grad_result {
    T value;
    Store grad;
};

template <expression Loss, class T, class... P, class U, class... B>
auto value_and_grad(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, B...>& batch) {
    auto grads = params.zeros_like();
    const T value = value_and_grad(loss, params, batch, grads);
    return value_and_grad_result<T, parameter_store<T, P...>>{value, std::move(grads)};
}

/// The mean over the batch of the per-example loss alone (for validation).
template <expression Loss, class T, class... P, class U, class... B>
T value(const Loss& loss, const parameter_store<T, P...>& params, const batch_view<U, B...>& batch) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, B...>;
    detail::require_complete<detail::fused_call::value, Loss, params_type, batch_type>();
    if constexpr (!detail::is_bound_v<Loss, params_type, batch_type>) {
        return T{};
    } else {
        detail::require_examples(batch, "ctgrad::value");
        T single = 0;
        T* sums = &single; // each chunk's, added up in chunk order
        std::size_t chunks = 0;
        detail::run_expression(
            loss, params, batch,
            [&](std::size_t count) {
                if (count > 1) sums = detail::thread_buffer<T, detail::chunk_values_purpose>(count);
                chunks = count;
            },
            [&]<class E>(std::size_t c, std::type_identity<E>, auto&& run) {
                // Summed into the caller's variables rather than the block loop's registers
                // (no_sums): a sum kept in a register, though faster in L1, is slower, for reasons
                // not understood, in a batch that L2 serves (docs/performance.md, Why the
                // kernel's constants).
                simd::batch<T> total(T(0));
                T tail = 0;
                detail::no_sums none;
                run(none, [&](const auto& ev, detail::no_sums&) {
                    if constexpr (simd::is_batch_v<typename std::remove_cvref_t<decltype(ev)>::lane_type>)
                        total += ev.template block_sum<E>();
                    else
                        tail += ev.template block_sum<E>();
                });
                sums[c] = simd::sum_lanes(total) + tail;
            });
        T sum = 0;
        for (std::size_t c = 0; c < chunks; ++c) sum += sums[c];
        return sum / static_cast<T>(batch.examples());
    }
}

/// The per-example value of a scalar expression (a model's prediction) for every example of
/// the batch, written to `out` (resized to the batch when its size differs).
template <expression Model, class T, class... P, class U, class... B>
void predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<U, B...>& batch,
             xt::xtensor<T, 1>& out) {
    using params_type = parameter_store<T, P...>;
    using batch_type = batch_view<U, B...>;
    static_assert(!is_vector_v<Model>, "ctgrad::predict: the model must give one number per example");
    detail::require_complete<detail::fused_call::predict, Model, params_type, batch_type>();
    if constexpr (detail::is_bound_v<Model, params_type, batch_type>) {
        if (out.size() != batch.examples()) out = xt::xtensor<T, 1>::from_shape({batch.examples()});
        T* data = out.data();
        detail::run_expression(
            model, params, batch, [](std::size_t) {},
            [&]<class E>(std::size_t, std::type_identity<E>, auto&& run) {
                detail::no_sums none;
                run(none, [&](const auto& ev, detail::no_sums&) {
                    for (std::size_t k = 0; k < ev.active(); ++k) {
                        const auto v = ev.template scalar<E>(k);
                        T* at = data + ev.m_offset + k * ev.lanes;
                        if constexpr (simd::is_batch_v<std::remove_cvref_t<decltype(v)>>) v.store_unaligned(at);
                        else *at = v;
                    }
                });
            });
    }
}

/// predict, returning a new vector.
template <expression Model, class T, class... P, class U, class... B>
xt::xtensor<T, 1> predict(const Model& model, const parameter_store<T, P...>& params, const batch_view<U, B...>& batch) {
    xt::xtensor<T, 1> out;
    predict(model, params, batch, out);
    return out;
}

} // namespace ctgrad

#endif // CTGRAD_EVAL_FUSED_HPP
