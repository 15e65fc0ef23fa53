// ctgrad/eval/row_kernel.hpp: the loop that evaluates a plan over example-major rows.
//
// A block is one lane group of examples, whose rows lie one after another in memory: the
// whole batch is a single read stream, however many features it has (a feature-major block
// is one stream per feature, more than some cores' prefetchers follow). A reduction such as
// dot(x, w) is computed row by row with the SIMD lanes over features, and the group's partial
// sums are folded into one lane per example with a single transposition (simd::sum_rows).
// Every other entry of the plan is then computed lane by lane over the group's examples, as in
// the feature-major kernel (eval/fused_kernel.hpp). A vector partial such as r * x is added to
// the gradient a run of features at a time over the group's rows, which the reductions have
// just brought into L1 or L2. Long rows whose start is off the SIMD alignment take the features
// before the first aligned one as a lane group with the rest masked out (row_alignment), so that
// every other load stays within a line.
#ifndef CTGRAD_EVAL_ROW_KERNEL_HPP
#define CTGRAD_EVAL_ROW_KERNEL_HPP

#include "ctgrad/eval/alignment.hpp"
#include "ctgrad/eval/fused_kernel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace ctgrad::detail {

/// Where the lane groups of a long row load from aligned addresses (eval/alignment.hpp): taken
/// from the input with the most features, if all its rows share their alignment (a stride of
/// whole lane groups); else 0.
template <class V>
struct row_alignment {
    using T = simd::scalar_of_t<V>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    std::size_t m_peel = 0;             ///< the features before the first aligned lane group
    typename V::batch_bool_type m_head; ///< the lanes below m_peel

    template <class Inputs>
    explicit row_alignment(const Inputs& in) {
        const auto widest = widest_input_of(in);
        if (widest.m_stride * sizeof(T) % sizeof(V) == 0) m_peel = examples_before_aligned<V>(widest.m_data);
        alignas(sizeof(V)) std::array<T, lanes> index;
        for (std::size_t i = 0; i < lanes; ++i) index[i] = T(i);
        m_head = V::load_aligned(index.data()) < V(T(m_peel));
    }
};

/// The plan's entries for the lane group of examples starting at m_offset, reading
/// example-major rows. Offers what the block loops' callers read from a block_evaluator of
/// one lane group (scalar, block_sum, element, element_sum), and add_elements for the gradient.
/// AskAhead: a long row's reduction asks for the same row of a later group, which keeps the
/// memory busy through a gradient's second walk; a pass that reads each row once leaves its one
/// stream to the hardware's prefetcher, which measured faster (kernel_tuning).
template <class T, class Inputs, class Entries, bool AskAhead>
class row_evaluator {
public:
    using lane_type = simd::batch<T>;
    using V = lane_type;
    using value_type = T;
    static constexpr std::size_t lanes = simd::lanes_v<lane_type>;
    static constexpr std::size_t groups = 1;
    static constexpr bool prefetches = false;
    static constexpr bool reads_rows = true;
    using frame_type = block_frame<Inputs, Entries>;

    std::size_t m_offset = 0; ///< first example of the group
    std::size_t m_last = 0;   ///< the last example whose row may be prefetched
    /// Features before a long row's first aligned lane group, taken as one lane group with the
    /// lanes from m_peel on masked out (row_alignment).
    std::size_t m_peel = 0;
    typename V::batch_bool_type m_head; ///< the lanes below m_peel

    row_evaluator(const frame_type& frame, std::size_t offset, std::size_t last, const row_alignment<V>& alignment)
        : m_offset(offset), m_last(last), m_peel(alignment.m_peel), m_head(alignment.m_head), m_frame(frame) {
        for_each_type(Entries{}, [&](auto type, auto index) {
            if constexpr (!depends_on_input_v<typename decltype(type)::type>) store(index, V(m_frame.m_hoisted[index]));
        });
        for_each_type(batch_symbols{}, [&](auto symbol, auto s) {
            if constexpr (frame_type::template in_rows<typename decltype(symbol)::type>)
                m_rows[s] = m_frame.m_rows[s] + m_offset * m_frame.m_strides[s];
            else
                m_rows[s] = m_frame.m_rows[s] + m_offset;
        });
    }

    /// Computes the entries that depend on the examples.
    CTGRAD_ALWAYS_INLINE void compute() {
        for_each_type(Entries{}, [&](auto type, auto index) {
            using E = typename decltype(type)::type;
            if constexpr (depends_on_input_v<E>) compute_entry<E>(index);
        });
    }

    [[nodiscard]] static constexpr std::size_t active() noexcept { return 1; }

    /// A scalar expression's value for the group's examples, one per lane.
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] auto scalar(std::size_t = 0) const {
        if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return V(m_frame.m_param_values[list_index_v<param_symbols, E>]);
            else return V::load_unaligned(m_rows[list_index_v<batch_symbols, E>]);
        } else if constexpr (is_constant_v<E>) {
            return V(E::template as<T>());
        } else if constexpr (is_slot_v<E>) {
            return V(m_frame.m_slots[slot_index_v<E>]);
        } else if constexpr (list_contains_v<Entries, E>) {
            return m_memo[list_index_v<Entries, E>];
        } else {
            static_assert(is_condition_v<E>, "ctgrad internal: a scalar subexpression missing from the plan");
            return apply_scalar(std::type_identity<E>{});
        }
    }

    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] V block_sum() const {
        return scalar<E>();
    }

    /// Element j of a vector expression for the group's examples, one per lane (gathered from
    /// the rows: for a Jacobian's columns, not for the gradient's sums, which add_elements makes).
    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] V element(std::size_t j, std::size_t = 0) const {
        if constexpr (!is_vector_v<E>) {
            return scalar<E>();
        } else {
            alignas(sizeof(V)) std::array<T, lanes> values;
            for (std::size_t e = 0; e < lanes; ++e) values[e] = at<E>(j, e);
            return V::load_aligned(values.data());
        }
    }

    template <class E>
    CTGRAD_ALWAYS_INLINE [[nodiscard]] V element_sum(std::size_t j) const {
        return element<E>(j);
    }

    /// Adds the sum over the group's examples of the vector expression G to out[0, length):
    /// a run of `lanes` features at a time, over every row of the group (in long rows the
    /// features before the first aligned run as one masked run).
    template <class G>
    CTGRAD_ALWAYS_INLINE void add_elements(T* out, std::size_t length) const {
        const std::size_t head = length > short_row ? m_peel : 0;
        if (head != 0) {
            V total = V::load_unaligned(out);
            for (std::size_t e = 0; e < lanes; ++e) total += xsimd::select(m_head, along<G>(0, e), V(T(0)));
            total.store_unaligned(out);
        }
        const std::size_t whole = head + (length - head) / lanes * lanes;
        for (std::size_t j = head; j < whole; j += lanes) {
            V total = V::load_unaligned(out + j);
            if (length > short_row)
                for (std::size_t e = 0; e < lanes; ++e)
                    prefetch_rows<element_leaves_t<G>>(j, e + kernel_tuning::rows_gradient_prefetch_groups * lanes, lanes);
            for (std::size_t e = 0; e < lanes; ++e) total += along<G>(j, e);
            total.store_unaligned(out + j);
        }
        for (std::size_t j = whole; j < length; ++j) {
            T total = out[j];
            for (std::size_t e = 0; e < lanes; ++e) total += at<G>(j, e);
            out[j] = total;
        }
    }

private:
    /// Rows of at most this many numbers are read side by side: a group of them spans a few
    /// lines, so the reads are still one stream, and each row's loop would cost more than its adds.
    static constexpr std::size_t short_row = kernel_tuning::rows_short_groups * lanes;
    /// The line size that prefetching steps by (a smaller one than the machine's only asks twice).
    static constexpr std::size_t line_bytes = 64;

    using batch_symbols = typename frame_type::batch_symbols;
    using param_symbols = typename frame_type::param_symbols;

    template <std::size_t I>
    CTGRAD_ALWAYS_INLINE void store(std::integral_constant<std::size_t, I>, V value) {
        m_memo[I] = value;
        value.store_aligned(m_lanes[I].data());
    }

    /// A scalar expression's value for example e of the group.
    template <class E>
    CTGRAD_ALWAYS_INLINE auto lane(std::size_t e) const {
        if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return m_frame.m_param_values[list_index_v<param_symbols, E>];
            else return m_rows[list_index_v<batch_symbols, E>][e];
        } else if constexpr (is_constant_v<E>) {
            return E::template as<T>();
        } else if constexpr (is_slot_v<E>) {
            return m_frame.m_slots[slot_index_v<E>];
        } else if constexpr (list_contains_v<Entries, E>) {
            return m_lanes[list_index_v<Entries, E>][e];
        } else {
            return apply_lane(std::type_identity<E>{}, e);
        }
    }

    /// Features j to j + lanes of a vector expression for example e (a scalar one broadcasts).
    template <class E>
    CTGRAD_ALWAYS_INLINE auto along(std::size_t j, std::size_t e) const {
        if constexpr (!is_vector_v<E>) {
            const auto value = lane<E>(e);
            if constexpr (std::is_same_v<decltype(value), const bool>) return typename V::batch_bool_type(value);
            else return V(value);
        } else if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return V::load_unaligned(m_frame.m_param_data[list_index_v<param_symbols, E>] + j);
            else return V::load_unaligned(row<E>(e) + j);
        } else {
            return apply_along(std::type_identity<E>{}, j, e);
        }
    }

    /// Feature j of a vector expression for example e.
    template <class E>
    CTGRAD_ALWAYS_INLINE auto at(std::size_t j, std::size_t e) const {
        if constexpr (!is_vector_v<E>) {
            return lane<E>(e);
        } else if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return m_frame.m_param_data[list_index_v<param_symbols, E>][j];
            else return row<E>(e)[j];
        } else {
            return apply_at(std::type_identity<E>{}, j, e);
        }
    }

    /// Asks for features j to j + count of row e (of a later group, or the last row) of every
    /// input in Leaves.
    template <class Leaves>
    CTGRAD_ALWAYS_INLINE void prefetch_rows(std::size_t j, std::size_t e, std::size_t count) const {
        e = std::min(e, m_last - m_offset);
        for_each_type(Leaves{}, [&](auto symbol, auto) {
            using S = typename decltype(symbol)::type;
            if constexpr (!S::is_param) {
                const char* next = reinterpret_cast<const char*>(row<S>(e) + j);
                for (std::size_t byte = 0; byte < count * sizeof(T); byte += line_bytes) simd::prefetch_to_l2(next + byte);
            }
        });
    }

    template <class S>
    CTGRAD_ALWAYS_INLINE const T* row(std::size_t e) const {
        constexpr std::size_t s = list_index_v<batch_symbols, S>;
        return m_rows[s] + e * m_frame.m_strides[s];
    }

    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_scalar(std::type_identity<node<Tag, Children...>>) const {
        return simd::apply<Tag>(scalar<Children>()...);
    }
    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_lane(std::type_identity<node<Tag, Children...>>, std::size_t e) const {
        return simd::apply<Tag>(lane<Children>(e)...);
    }
    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_along(std::type_identity<node<Tag, Children...>>, std::size_t j, std::size_t e) const {
        return simd::apply<Tag>(along<Children>(j, e)...);
    }
    template <class Tag, class... Children>
    CTGRAD_ALWAYS_INLINE auto apply_at(std::type_identity<node<Tag, Children...>>, std::size_t j, std::size_t e) const {
        return simd::apply<Tag>(at<Children>(j, e)...);
    }

    template <class E, std::size_t I>
    CTGRAD_ALWAYS_INLINE void compute_entry(std::integral_constant<std::size_t, I> index) {
        if constexpr (E::tag::is_reduction) {
            // Row by row, two chains of adds each, or short rows side by side (a chain each),
            // then one transposition for the whole group.
            const std::size_t length = m_frame.m_lengths[I];
            std::array<V, lanes> sums;
            alignas(sizeof(V)) std::array<T, lanes> rests;
            if (length <= short_row) {
                sums.fill(V(T(0)));
                rests.fill(T(0));
                std::size_t j = 0;
                for (; j + lanes <= length; j += lanes)
                    for (std::size_t e = 0; e < lanes; ++e) sums[e] += apply_along(std::type_identity<E>{}, j, e);
                for (; j < length; ++j)
                    for (std::size_t e = 0; e < lanes; ++e) rests[e] += apply_at(std::type_identity<E>{}, j, e);
                store(index, simd::sum_rows(sums.data()) + V::load_aligned(rests.data()));
                return;
            }
            for (std::size_t e = 0; e < lanes; ++e) {
                V a0(T(0)), a1(T(0));
                std::size_t j = 0;
                if (m_peel != 0) {
                    a1 = xsimd::select(m_head, apply_along(std::type_identity<E>{}, 0, e), V(T(0)));
                    j = m_peel;
                }
                for (; j + 2 * lanes <= length; j += 2 * lanes) {
                    if constexpr (AskAhead)
                        prefetch_rows<reduction_leaves_t<E>>(j, e + kernel_tuning::rows_prefetch_groups * lanes, 2 * lanes);
                    a0 += apply_along(std::type_identity<E>{}, j, e);
                    a1 += apply_along(std::type_identity<E>{}, j + lanes, e);
                }
                if (j + lanes <= length) {
                    a0 += apply_along(std::type_identity<E>{}, j, e);
                    j += lanes;
                }
                T rest = 0;
                for (; j < length; ++j) rest += apply_at(std::type_identity<E>{}, j, e);
                sums[e] = a0 + a1;
                rests[e] = rest;
            }
            store(index, simd::sum_rows(sums.data()) + V::load_aligned(rests.data()));
        } else {
            store(index, apply_scalar(std::type_identity<E>{}));
        }
    }

    const frame_type& m_frame;
    std::array<const T*, batch_symbols::size> m_rows; ///< each input's data at m_offset
    // Left uninitialised: every entry is written before it is read (as in block_evaluator).
    std::array<V, Entries::size> m_memo;
    /// The entries again, one number per example: what the rows' expressions broadcast.
    alignas(sizeof(V)) std::array<std::array<T, lanes>, Entries::size> m_lanes;
};

/// Runs on_block(evaluator, sums) over the whole lane groups of example-major rows in
/// [begin, end); returns the first example not covered. Never inlined, with its sums local,
/// for the reasons for_each_block gives. AskAhead as row_evaluator's.
template <class Entries, bool AskAhead, class Inputs, class Sums, class OnBlock>
CTGRAD_NEVER_INLINE std::size_t for_each_row_group(const Inputs& in, std::size_t begin, std::size_t end, Sums& sums,
                                                   OnBlock&& on_block) {
    using evaluator_type = row_evaluator<typename Inputs::value_type, Inputs, Entries, AskAhead>;
    constexpr std::size_t step = evaluator_type::lanes;
    std::size_t offset = begin;
    const typename evaluator_type::frame_type frame(in);
    const row_alignment<typename evaluator_type::lane_type> alignment(in);
    Sums running{};
    for (; end - offset >= step; offset += step) {
        evaluator_type evaluator(frame, offset, end - 1, alignment);
        evaluator.compute();
        on_block(evaluator, running);
    }
    sums += running;
    return offset;
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_ROW_KERNEL_HPP
