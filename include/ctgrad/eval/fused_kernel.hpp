// ctgrad/eval/fused_kernel.hpp: the loop that evaluates a plan over a minibatch.
//
// Examples are taken in blocks of K lane groups (K * lanes examples, K fixed at compile time).
// For each block the plan's entries are computed in order, each for all K groups before the
// next entry, so a reduction such as dot(x, w) walks the features once per block with
// contiguous loads from each feature's row, and the block's values stay in registers. The
// same code runs with V = xsimd::batch<T> for whole lane groups and with V = T for the
// examples left over (the scalar tail).
//
// Packing: when the gradient reads an input vector again after the reductions (the d2l
// gradient (dot(x, w) + b - y) * x reads x's rows of the block a second time), the first
// reduction that reads it also copies the block's rows into a contiguous buffer, and every
// later read of those rows comes from the copy. The rows of a block are a feature-major
// stride apart, and with a stride that is a multiple of 4 KiB (m a power of two) they all
// fall into the same few sets of L1 and L2: with more rows than ways the second walk goes
// back to memory (docs/performance.md, Why the kernel's constants). The copy is contiguous,
// so it stays in L1 or L2 whatever the stride. Only blocks that do not prefetch copy: in large
// batches, since the prefetch runs one block ahead and the gradient is summed lane by lane,
// the copy was slower (eval/schedule.hpp).
//
// Prefetching blocks ask for the rows of the block ahead while the reductions walk theirs.
// The gradient's second walk reads only caches: were every line ahead asked for in the
// reductions, the memory would idle through it. So the reductions ask for the first half of
// each row of an input the gradient reads again and the gradient's walk for the second half
// (prefetch_again), and the memory streams through both walks.
#ifndef CTGRAD_EVAL_FUSED_KERNEL_HPP
#define CTGRAD_EVAL_FUSED_KERNEL_HPP

#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/fused_checks.hpp"
#include "ctgrad/eval/fused_plan.hpp"
#include "ctgrad/eval/kernel_tuning.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/io/to_string.hpp"
#include "ctgrad/simd/simd.hpp"

#include <array>
#include <cstddef>
#include <vector>

namespace ctgrad::detail {

template <class E> inline constexpr bool is_slot_v = false;
template <std::size_t I> inline constexpr bool is_slot_v<number_slot<I>> = true;
template <class E> inline constexpr std::size_t slot_index_v = 0;
template <std::size_t I> inline constexpr std::size_t slot_index_v<number_slot<I>> = I;

/// Whether the plan entry E is a reduction whose body reads the input vector S.
template <class E, class S>
inline constexpr bool reduction_reads_v = [] {
    if constexpr (E::tag::is_reduction) return list_contains_v<reduction_leaves_t<E>, S>;
    else return false;
}();

/// The index in Entries of the first reduction that reads S (Entries::size if none): the one
/// that packs S, so every other read of S's rows in a block comes after the copy.
template <class S, class... Es>
constexpr std::size_t first_reduction_reading(type_list<Es...>) {
    constexpr bool reads[] = {reduction_reads_v<Es, S>..., true};
    std::size_t i = 0;
    while (!reads[i]) ++i;
    return i;
}

/// The input vectors to pack for a loss whose vector partials are Partials: those a partial
/// reads element by element and a reduction of the plan reads first.
template <class Entries, class... Partials>
struct packed_inputs {
    template <class List, class S>
    using add = std::conditional_t<!S::is_param && first_reduction_reading<S>(Entries{}) < Entries::size,
                                   push_unique_t<List, S>, List>;
    template <class List, class Leaves> struct add_all { using type = List; };
    template <class List, class S, class... Ss> struct add_all<List, type_list<S, Ss...>> {
        using type = typename add_all<add<List, S>, type_list<Ss...>>::type;
    };
    template <class List, class... Gs> struct over { using type = List; };
    template <class List, class G, class... Gs> struct over<List, G, Gs...> {
        using type = typename over<typename add_all<List, element_leaves_t<G>>::type, Gs...>::type;
    };
    using type = typename over<type_list<>, Partials...>::type;
};
template <class Entries, class... Partials>
using packed_inputs_t = typename packed_inputs<Entries, Partials...>::type;

/// What every block reads: parameters, the batch, the runtime numbers, and per plan entry
/// the length of its reduction and, for hoisted entries, its value.
template <class Params, class Batch, std::size_t Slots, class Entries>
struct kernel_inputs {
    using value_type = typename Params::value_type;
    const Params& m_params;
    const Batch& m_batch;
    std::array<value_type, Slots> m_slots{};
    std::array<std::size_t, Entries::size> m_lengths{};
    std::array<value_type, Entries::size> m_hoisted{};
};

/// What the blocks of one loop read that does not change from block to block, taken from the
/// inputs once per loop (for_each_block): every input's data and feature stride, every
/// parameter, the runtime numbers, each reduction's length and each hoisted entry's value.
/// Read from the inputs in every block instead, behind the gradient's stores, which may alias
/// anything, these were loaded again in every block, and the block's first read of x waited
/// for a chain of three dependent loads (kernel_inputs, the batch view, its data). Each loop
/// builds its own as a local rather than taking one from run_plan: a frame in the caller's
/// memory would be behind the same stores.
template <class Inputs, class Entries>
struct block_frame {
    using value_type = typename Inputs::value_type;
    using batch_type = std::remove_cvref_t<decltype(std::declval<const Inputs&>().m_batch)>;
    using batch_symbols = typename batch_type::symbols;
    using param_symbols = typename std::remove_cvref_t<decltype(std::declval<const Inputs&>().m_params)>::symbols;
    /// Whether the input S is example-major rows (eval/row_kernel.hpp reads those).
    template <class S>
    static constexpr bool in_rows = batch_type::layout == batch_layout::example_major && S::is_vector;

    std::array<const value_type*, batch_symbols::size> m_rows{};       ///< each input's data
    /// Each input's stride: between features' rows (feature-major), or examples' (in_rows).
    std::array<std::size_t, batch_symbols::size> m_strides{};
    std::array<const value_type*, param_symbols::size> m_param_data{}; ///< each vector parameter's data
    std::array<value_type, param_symbols::size> m_param_values{};      ///< each scalar parameter
    decltype(std::declval<const Inputs&>().m_slots) m_slots{};
    // Set only where read: the length of each reduction, the value of each hoisted entry.
    std::array<std::size_t, Entries::size> m_lengths;
    std::array<value_type, Entries::size> m_hoisted;

    explicit block_frame(const Inputs& in) : m_slots(in.m_slots) {
        for_each_type(batch_symbols{}, [&](auto symbol, auto index) {
            const auto& view = in.m_batch[typename decltype(symbol)::type{}];
            m_rows[index] = view.m_data;
            m_strides[index] = view.m_stride;
        });
        for_each_type(param_symbols{}, [&](auto symbol, auto index) {
            using S = typename decltype(symbol)::type;
            if constexpr (S::is_vector) m_param_data[index] = in.m_params[S{}].data();
            else m_param_values[index] = in.m_params[S{}];
        });
        for_each_type(Entries{}, [&](auto type, auto index) {
            using E = typename decltype(type)::type;
            if constexpr (E::tag::is_reduction) m_lengths[index] = in.m_lengths[index];
            if constexpr (!depends_on_input_v<E>) m_hoisted[index] = in.m_hoisted[index];
        });
    }
};

/// The plan's entries for K lane groups of examples starting at m_offset. K is a compile-time
/// constant so that, once everything is inlined, the memo is a set of registers rather than
/// memory: a block's values never leave the register file between the loss and its partials.
/// ReadAgain lists the input vectors that the gradient reads again after the reductions (see
/// the top of this file): a block that does not prefetch copies their rows (copied_inputs;
/// m_packed[p] is room for K lane groups of each row of the p-th); a block that prefetches splits
/// asking for their rows ahead between the reductions and the gradient's walk (split_inputs).
template <class V, std::size_t K, class Inputs, class Entries, bool Prefetch = false, class ReadAgain = type_list<>,
          bool IntoL2 = false>
class block_evaluator {
    static_assert(!Prefetch || K % 2 == 0, "ctgrad internal: prefetching blocks split their lane groups in halves");

public:
    /// The inputs whose rows the block copies.
    using copied_inputs = std::conditional_t<Prefetch, type_list<>, ReadAgain>;
    /// The inputs whose rows ahead the gradient's walk asks for in part (prefetch_again).
    using split_inputs = std::conditional_t<Prefetch, ReadAgain, type_list<>>;

    using lane_type = V;
    using value_type = simd::scalar_of_t<V>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    static constexpr std::size_t groups = K;
    /// Whether the block asks for rows ahead: in large batches read from memory, or when the
    /// rows collide in the caches and are not copied (run_plan).
    static constexpr bool prefetches = Prefetch;
    /// Whether the block reads example-major rows (only one example at a time here; lane groups
    /// of rows are eval/row_kernel.hpp's).
    static constexpr bool reads_rows = false;

    std::size_t m_offset = 0; ///< first example of the block
    std::size_t m_ahead = 0;  ///< first example of the block to prefetch (with Prefetch)

    using packed_rows = std::array<V*, copied_inputs::size>;

    using frame_type = block_frame<Inputs, Entries>;

    block_evaluator(const frame_type& frame, std::size_t offset, std::size_t ahead, const packed_rows& packed = {})
        : m_offset(offset), m_ahead(ahead), m_frame(frame), m_packed(packed) {
        for_each_type(Entries{}, [&](auto type, auto index) {
            if constexpr (!depends_on_input_v<typename decltype(type)::type>) m_memo[index].fill(V(m_frame.m_hoisted[index]));
        });
        // Every row the block reads, taken once here: the gradient's vector stores (xsimd's
        // unaligned stores may alias anything) otherwise force the pointers to be reloaded, and
        // the address recomputed, for every chunk of features (docs/performance.md, Why the
        // kernel's constants).
        for_each_type(batch_symbols{}, [&](auto symbol, auto s) {
            if constexpr (frame_type::template in_rows<typename decltype(symbol)::type>)
                m_rows[s] = m_frame.m_rows[s] + m_offset * m_frame.m_strides[s];
            else
                m_rows[s] = m_frame.m_rows[s] + m_offset;
        });
    }

    /// Computes the entries that depend on the examples (hoisted ones are already there),
    /// or, with HoistedOnly, the ones that do not.
    template <bool HoistedOnly = false>
    CTGRAD_ALWAYS_INLINE void compute() {
        for_each_type(Entries{}, [&](auto type, auto index) {
            using E = typename decltype(type)::type;
            if constexpr (depends_on_input_v<E> != HoistedOnly) compute_entry<E>(index);
        });
    }

    [[nodiscard]] static constexpr std::size_t active() noexcept { return K; }

    template <class E>
    [[nodiscard]] value_type entry(std::size_t k = 0) const {
        return m_memo[list_index_v<Entries, E>][k];
    }

    /// A scalar expression's value for lane group k: a leaf, a plan entry, or a condition.
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] auto scalar(std::size_t k) const {
        if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return V(m_frame.m_param_values[list_index_v<param_symbols, E>]);
            else return simd::load<V>(m_rows[list_index_v<batch_symbols, E>] + k * lanes);
        } else if constexpr (is_constant_v<E>) {
            return V(E::template as<value_type>());
        } else if constexpr (is_slot_v<E>) {
            return V(m_frame.m_slots[slot_index_v<E>]);
        } else if constexpr (list_contains_v<Entries, E>) {
            return m_memo[list_index_v<Entries, E>][k];
        } else {
            static_assert(is_condition_v<E>, "ctgrad internal: a scalar subexpression missing from the plan");
            return apply_scalar(std::type_identity<E>{}, k);
        }
    }

    /// The sum over the block's lane groups of a scalar expression, lane by lane.
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] V block_sum() const {
        V total = scalar<E>(0);
        for (std::size_t k = 1; k < K; ++k) total += scalar<E>(k);
        return total;
    }

    /// Element j of a vector expression for lane group k (a scalar expression broadcasts).
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] auto element(std::size_t j, std::size_t k) const {
        if constexpr (!is_vector_v<E>) {
            return scalar<E>(k);
        } else if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) {
                return V(m_frame.m_param_data[list_index_v<param_symbols, E>][j]);
            } else if constexpr (list_contains_v<copied_inputs, E>) {
                return m_packed[list_index_v<copied_inputs, E>][j * K + k];
            } else if constexpr (frame_type::template in_rows<E>) {
                static_assert(!simd::is_batch_v<V>, "ctgrad internal: lane groups of example-major rows are row_kernel.hpp's");
                return m_rows[list_index_v<batch_symbols, E>][j];
            } else {
                constexpr std::size_t s = list_index_v<batch_symbols, E>;
                return simd::load<V>(m_rows[s] + j * m_frame.m_strides[s] + k * lanes);
            }
        } else {
            return apply_elements(std::type_identity<E>{}, j, k);
        }
    }

    /// The sum over the block's lane groups of element j of a vector expression.
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] V element_sum(std::size_t j) const {
        V total = element<E>(j, 0);
        for (std::size_t k = 1; k < K; ++k) total += element<E>(j, k);
        return total;
    }

    /// In the gradient's walk over the vector expression G, asks for the second half of row j,
    /// at the block ahead, of each input G reads that the reductions asked for only in part.
    template <class G>
    CTGRAD_ALWAYS_INLINE void prefetch_again(std::size_t j) const {
        for_each_type(element_leaves_t<G>{}, [&](auto symbol, auto) {
            using S = typename decltype(symbol)::type;
            if constexpr (list_contains_v<split_inputs, S>) prefetch_lane_groups<S>(j, K / 2, K);
        });
    }

private:
    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_scalar(std::type_identity<node<Tag, Children...>>, std::size_t k) const {
        return simd::apply<Tag>(scalar<Children>(k)...);
    }

    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_elements(std::type_identity<node<Tag, Children...>>, std::size_t j, std::size_t k) const {
        return simd::apply<Tag>(element<Children>(j, k)...);
    }

    /// Asks for row j of every input the reduction E reads, at the block m_ahead: with many
    /// features each block reads a short run of many rows, more streams than the hardware
    /// prefetcher follows, so without this the memory idles while a block is computed.
    template <class E>
    CTGRAD_ALWAYS_INLINE void prefetch_row(std::size_t j) const {
        for_each_type(reduction_leaves_t<E>{}, [&](auto symbol, auto) {
            using S = typename decltype(symbol)::type;
            if constexpr (!S::is_param) prefetch_lane_groups<S>(j, 0, list_contains_v<split_inputs, S> ? K / 2 : K);
        });
    }

    /// Asks for lane groups [first, last) of row j of the input S at the block m_ahead.
    template <class S>
    CTGRAD_ALWAYS_INLINE void prefetch_lane_groups(std::size_t j, std::size_t first, std::size_t last) const {
        constexpr std::size_t s = list_index_v<batch_symbols, S>;
        const value_type* row = m_rows[s] + j * m_frame.m_strides[s] + (m_ahead - m_offset);
        if constexpr (IntoL2)
            for (std::size_t k = first; k < last; ++k) simd::prefetch_to_l2(row + k * lanes);
        else
            for (std::size_t k = first; k < last; ++k) simd::prefetch(row + k * lanes);
    }

    /// Copies row j of the block of each input that the reduction at index I packs, before
    /// the reduction reads it (from the copy, which the compiler forwards from the store).
    template <std::size_t I>
    CTGRAD_ALWAYS_INLINE void pack_row(std::size_t j) {
        for_each_type(copied_inputs{}, [&](auto symbol, auto p) {
            using S = typename decltype(symbol)::type;
            if constexpr (first_reduction_reading<S>(Entries{}) == I) {
                constexpr std::size_t s = list_index_v<batch_symbols, S>;
                const value_type* row = m_rows[s] + j * m_frame.m_strides[s];
                for (std::size_t k = 0; k < K; ++k) m_packed[p][j * K + k] = simd::load<V>(row + k * lanes);
            }
        });
    }

    template <class E, std::size_t I>
    CTGRAD_ALWAYS_INLINE void compute_entry(std::integral_constant<std::size_t, I>) {
        auto& out = m_memo[I];
        if constexpr (E::tag::is_reduction) {
            // Features outer, lane groups inner: each feature's row is read contiguously.
            // With fewer than reduction_chains lane groups, each group sums its even and odd
            // features apart (C chains of K), so the adds do not wait on each other's latency.
            constexpr std::size_t chains = kernel_tuning::reduction_chains;
            constexpr std::size_t C = simd::is_batch_v<V> && K < chains ? chains / K : 1;
            std::array<std::array<V, K>, C> total;
            for (auto& t : total) t.fill(V(0));
            const std::size_t length = m_frame.m_lengths[I];
            std::size_t j = 0;
            if constexpr (C > 1) {
                for (; j + C <= length; j += C)
                    for (std::size_t c = 0; c < C; ++c) {
                        if constexpr (Prefetch) prefetch_row<E>(j + c);
                        pack_row<I>(j + c);
                        for (std::size_t k = 0; k < K; ++k) total[c][k] += apply_elements(std::type_identity<E>{}, j + c, k);
                    }
            }
            for (; j < length; ++j) {
                if constexpr (Prefetch) prefetch_row<E>(j);
                pack_row<I>(j);
                for (std::size_t k = 0; k < K; ++k) total[0][k] += apply_elements(std::type_identity<E>{}, j, k);
            }
            for (std::size_t c = 1; c < C; ++c)
                for (std::size_t k = 0; k < K; ++k) total[0][k] += total[c][k];
            out = total[0];
        } else {
            for (std::size_t k = 0; k < K; ++k) out[k] = apply_scalar(std::type_identity<E>{}, k);
        }
    }

    using batch_symbols = typename frame_type::batch_symbols;
    using param_symbols = typename frame_type::param_symbols;

    const frame_type& m_frame;
    packed_rows m_packed;
    std::array<const value_type*, batch_symbols::size> m_rows;  ///< each input's data at m_offset
    // Left uninitialised: every entry is written (hoisted ones in the constructor, the others
    // by compute) before it is read, and zeroing it would cost every block.
    std::array<std::array<V, K>, Entries::size> m_memo;
};

/// Room for count lane groups, one per thread, lane type and Purpose (a tag type: the packed
/// rows of a block, the lane-wise sums of a gradient), kept between calls so that a training
/// step allocates nothing once the first call has sized it.
template <class V, class Purpose>
V* thread_buffer(std::size_t count) {
    thread_local std::vector<V> buffer;
    if (buffer.size() < count) buffer.resize(count);
    return buffer.data();
}
struct packed_rows_purpose;

/// Runs on_block(evaluator, sums) over the whole blocks of K lane groups of V in [begin, end).
/// Returns the first example not covered (fewer than K lane groups remain). With prefetch,
/// each block asks for the rows of the block kernel_tuning::prefetch_blocks ahead (clamped to
/// the last), into L2 only with IntoL2.
/// ReadAgain: the inputs the gradient reads again (block_evaluator): blocks that do not
/// prefetch copy their rows into one buffer, prefetching ones split asking for them.
///
/// The blocks add into a local Sums, which starts at zero and is added to sums (whatever the
/// caller adds up over the blocks) after the loop. Adding into the caller's object, in memory
/// that the gradient's stores may alias, loaded and stored it again in every block, and each
/// load waited for the previous block's store: a chain through memory about as long as a whole
/// block of the value alone at d = 2. The local, whose address never leaves this function,
/// stays in registers. Never inlined, so that the loop's registers are allocated for the loop
/// alone: g++ 12 inlined it into value()'s chunk once it took sums, and the call was slower
/// (docs/performance.md, Why the kernel's constants).
template <class V, std::size_t K, bool Prefetch, class Entries, class ReadAgain = type_list<>, bool IntoL2 = false,
          class Inputs, class Sums, class OnBlock>
CTGRAD_NEVER_INLINE std::size_t for_each_block(const Inputs& in, std::size_t begin, std::size_t end, Sums& sums,
                                               OnBlock&& on_block) {
    constexpr std::size_t step = K * simd::lanes_v<V>;
    if (end - begin < step) return begin;
    using evaluator_type = block_evaluator<V, K, Inputs, Entries, Prefetch, ReadAgain, IntoL2>;
    using copied = typename evaluator_type::copied_inputs;
    typename evaluator_type::packed_rows packed{};
    if constexpr (copied::size > 0) {
        std::array<std::size_t, copied::size> rows{};
        std::size_t total = 0;
        for_each_type(copied{}, [&](auto symbol, auto p) {
            rows[p] = in.m_batch[typename decltype(symbol)::type{}].m_features * K;
            total += rows[p];
        });
        V* room = thread_buffer<V, packed_rows_purpose>(total);
        for (std::size_t p = 0; p < copied::size; ++p) {
            packed[p] = room;
            room += rows[p];
        }
    }
    const std::size_t last = begin + (end - begin) / step * step - step;
    constexpr std::size_t distance = kernel_tuning::prefetch_blocks * step;
    std::size_t offset = begin;
    const typename evaluator_type::frame_type frame(in);
    Sums running{};
    for (; offset <= last; offset += step) {
        const std::size_t ahead = offset + distance < last ? offset + distance : last;
        evaluator_type evaluator(frame, offset, ahead, packed);
        evaluator.compute();
        on_block(evaluator, running);
    }
    sums += running;
    return offset;
}

/// The input vectors that the reductions of Entries read.
template <class List, class... Es> struct reduction_inputs { using type = List; };
template <class List, class E, class... Es>
struct reduction_inputs<List, E, Es...> {
    template <class L, class Leaves> struct add { using type = L; };
    template <class L, class S, class... Ss> struct add<L, type_list<S, Ss...>> {
        using type = typename add<std::conditional_t<S::is_param, L, push_unique_t<L, S>>, type_list<Ss...>>::type;
    };
    using type = typename reduction_inputs<typename add<List, reduction_leaves_t<E>>::type, Es...>::type;
};
template <class... Es>
reduction_inputs<type_list<>, Es...> reduction_inputs_of(type_list<Es...>);
template <class Entries>
using reduction_inputs_t = typename decltype(reduction_inputs_of(Entries{}))::type;

/// Fills inputs.m_lengths for every reduction of the plan and computes the hoisted entries.
template <class Entries, class Inputs>
void prepare_inputs(Inputs& in) {
    for_each_type(Entries{}, [&](auto type, auto index) {
        using E = typename decltype(type)::type;
        if constexpr (E::tag::is_reduction)
            in.m_lengths[index] = common_vector_length(reduction_leaves_t<E>{}, in.m_params, in.m_batch, [] { return to_string(E{}); });
    });
    const block_frame<Inputs, Entries> frame(in);
    block_evaluator<typename Inputs::value_type, 1, Inputs, Entries> once(frame, 0, 0);
    once.template compute<true>();
    for_each_type(Entries{}, [&](auto type, auto index) {
        if constexpr (!depends_on_input_v<typename decltype(type)::type>)
            in.m_hoisted[index] = once.template entry<typename decltype(type)::type>();
    });
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_FUSED_KERNEL_HPP
