// ctgrad/eval/fused_kernel.hpp: the loop that evaluates a plan over a minibatch.
//
// Examples are taken in blocks of K lane groups (K * lanes examples). For each block the
// plan's entries are computed in order, each for all K groups before the next entry, so a
// reduction such as dot(x, w) walks the features once per block with contiguous loads from
// each feature's row. The same code runs with V = xsimd::batch<T> for whole lane groups and
// with V = T for the examples left over (the scalar tail).
#ifndef CTGRAD_EVAL_FUSED_KERNEL_HPP
#define CTGRAD_EVAL_FUSED_KERNEL_HPP

#include "ctgrad/eval/batch.hpp"
#include "ctgrad/eval/fused_plan.hpp"
#include "ctgrad/eval/parameter_store.hpp"
#include "ctgrad/io/to_string.hpp"
#include "ctgrad/simd/simd.hpp"

#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace ctgrad::detail {

template <class E> inline constexpr bool is_slot_v = false;
template <std::size_t I> inline constexpr bool is_slot_v<number_slot<I>> = true;
template <class E> inline constexpr std::size_t slot_index_v = 0;
template <std::size_t I> inline constexpr std::size_t slot_index_v<number_slot<I>> = I;

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

/// The plan's entries for up to K lane groups of examples starting at m_offset.
template <class V, std::size_t K, class Inputs, class Entries>
class block_evaluator {
public:
    using lane_type = V;
    using value_type = simd::scalar_of_t<V>;
    static constexpr std::size_t lanes = simd::lanes_v<V>;
    static constexpr std::size_t groups = K;

    std::size_t m_offset = 0; ///< first example of the block
    std::size_t m_active = K; ///< lane groups in this block

    explicit block_evaluator(const Inputs& in) : m_in(in) {
        for_each_type(Entries{}, [&](auto type, auto index) {
            if constexpr (!depends_on_input_v<typename decltype(type)::type>) m_memo[index].fill(V(m_in.m_hoisted[index]));
        });
    }

    /// Computes the entries that depend on the examples (hoisted ones are already there),
    /// or, with hoisted_only, the ones that do not.
    template <bool HoistedOnly = false>
    void compute() {
        for_each_type(Entries{}, [&](auto type, auto index) {
            using E = typename decltype(type)::type;
            if constexpr (depends_on_input_v<E> != HoistedOnly) compute_entry<E>(index);
        });
    }

    /// Lane groups in this block. The min with K tells the compiler what m_active never
    /// exceeds, so loops over groups stay visibly inside the arrays.
    [[nodiscard]] std::size_t active() const noexcept { return m_active < K ? m_active : K; }

    template <class E>
    [[nodiscard]] value_type entry(std::size_t k = 0) const {
        return m_memo[list_index_v<Entries, E>][k];
    }

    /// A scalar expression's value for lane group k: a leaf, a plan entry, or a condition.
    template <class E>
    [[nodiscard]] auto scalar(std::size_t k) const {
        if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) return V(m_in.m_params[E{}]);
            else return simd::load<V>(m_in.m_batch[E{}].m_data + m_offset + k * lanes);
        } else if constexpr (is_constant_v<E>) {
            return V(E::template as<value_type>());
        } else if constexpr (is_slot_v<E>) {
            return V(m_in.m_slots[slot_index_v<E>]);
        } else if constexpr (list_contains_v<Entries, E>) {
            return m_memo[list_index_v<Entries, E>][k];
        } else {
            static_assert(is_condition_v<E>, "ctgrad internal: a scalar subexpression missing from the plan");
            return apply_scalar(std::type_identity<E>{}, k);
        }
    }

    /// Element j of a vector expression for lane group k (a scalar expression broadcasts).
    template <class E>
    [[nodiscard]] auto element(std::size_t j, std::size_t k) const {
        if constexpr (!is_vector_v<E>) {
            return scalar<E>(k);
        } else if constexpr (is_symbol_v<E>) {
            if constexpr (E::is_param) {
                return V(m_in.m_params[E{}].data()[j]);
            } else {
                const auto& view = m_in.m_batch[E{}];
                return simd::load<V>(view.m_data + j * view.m_stride + m_offset + k * lanes);
            }
        } else {
            return apply_elements(std::type_identity<E>{}, j, k);
        }
    }

private:
    template <class Tag, class... Children>
    auto apply_scalar(std::type_identity<node<Tag, Children...>>, std::size_t k) const {
        return simd::apply<Tag>(scalar<Children>(k)...);
    }

    template <class Tag, class... Children>
    auto apply_elements(std::type_identity<node<Tag, Children...>>, std::size_t j, std::size_t k) const {
        return simd::apply<Tag>(element<Children>(j, k)...);
    }

    template <class E, std::size_t I>
    void compute_entry(std::integral_constant<std::size_t, I>) {
        auto& out = m_memo[I];
        if constexpr (E::tag::is_reduction) {
            // Features outer, lane groups inner: each feature's row is read contiguously.
            std::array<V, K> total;
            total.fill(V(0));
            const std::size_t length = m_in.m_lengths[I];
            for (std::size_t j = 0; j < length; ++j)
                for (std::size_t k = 0; k < active(); ++k) total[k] += apply_elements(std::type_identity<E>{}, j, k);
            out = total;
        } else {
            for (std::size_t k = 0; k < active(); ++k) out[k] = apply_scalar(std::type_identity<E>{}, k);
        }
    }

    const Inputs& m_in;
    std::array<std::array<V, K>, Entries::size> m_memo{};
};

/// Runs on_block(evaluator) over examples [begin, end): blocks of `groups` (<= K) lane
/// groups of V, then one shorter block of whole lane groups. Returns the first example not
/// covered (fewer than one lane group remain).
template <class V, std::size_t K, class Entries, class Inputs, class OnBlock>
std::size_t for_each_block(const Inputs& in, std::size_t begin, std::size_t end, std::size_t groups, OnBlock&& on_block) {
    block_evaluator<V, K, Inputs, Entries> evaluator(in);
    constexpr std::size_t lanes = simd::lanes_v<V>;
    groups = groups < 1 ? 1 : (groups > K ? K : groups);
    evaluator.m_active = groups;
    std::size_t offset = begin;
    for (; offset + groups * lanes <= end; offset += groups * lanes) {
        evaluator.m_offset = offset;
        evaluator.compute();
        on_block(evaluator);
    }
    if (const std::size_t rest = (end - offset) / lanes; rest > 0) {
        evaluator.m_offset = offset;
        evaluator.m_active = rest;
        evaluator.compute();
        on_block(evaluator);
        offset += rest * lanes;
    }
    return offset;
}

/// Lane groups per block: as many as keep one block's slice of every feature within half
/// of a typical L2 (512 KiB), so the gradient's second look at the block reads from cache.
/// Measured: sizing for L1 instead cut wide models (d = 1024) to a single lane group, and
/// 64-byte reads from a thousand rows defeat the hardware prefetcher.
template <class T>
std::size_t groups_for(std::size_t features, std::size_t lanes, std::size_t max_groups) {
    constexpr std::size_t budget = 512 * 1024;
    const std::size_t per_group = (features > 0 ? features : 1) * lanes * sizeof(T);
    const std::size_t groups = budget / per_group;
    return groups < 1 ? 1 : (groups > max_groups ? max_groups : groups);
}

// ---- lengths, checked once per call ----

template <class S, class Params, class Batch>
std::size_t vector_length(const Params& params, const Batch& batch) {
    if constexpr (S::is_param) return params[S{}].size();
    else return batch[S{}].m_features;
}

/// The common length of the vector symbols in Leaves (what an element-wise evaluation of
/// `where` reads); throws std::invalid_argument naming two that differ.
template <class... Leaves, class Params, class Batch>
std::size_t common_vector_length(type_list<Leaves...>, const Params& params, const Batch& batch, const std::string& where) {
    static_assert(sizeof...(Leaves) > 0);
    const std::size_t lengths[] = {vector_length<Leaves>(params, batch)...};
    const std::string_view names[] = {Leaves::name.view()...};
    for (std::size_t i = 1; i < sizeof...(Leaves); ++i)
        if (lengths[i] != lengths[0])
            throw std::invalid_argument("ctgrad: length mismatch in " + where + ": " + std::string(names[0]) +
                                        " has length " + std::to_string(lengths[0]) + " but " + std::string(names[i]) +
                                        " has length " + std::to_string(lengths[i]));
    return lengths[0];
}

/// Fills inputs.m_lengths for every reduction of the plan and computes the hoisted entries.
template <class Entries, class Inputs>
void prepare_inputs(Inputs& in) {
    for_each_type(Entries{}, [&](auto type, auto index) {
        using E = typename decltype(type)::type;
        if constexpr (E::tag::is_reduction)
            in.m_lengths[index] = common_vector_length(reduction_leaves_t<E>{}, in.m_params, in.m_batch, to_string(E{}));
    });
    block_evaluator<typename Inputs::value_type, 1, Inputs, Entries> once(in);
    once.template compute<true>();
    for_each_type(Entries{}, [&](auto type, auto index) {
        if constexpr (!depends_on_input_v<typename decltype(type)::type>)
            in.m_hoisted[index] = once.template entry<typename decltype(type)::type>();
    });
}

} // namespace ctgrad::detail

#endif // CTGRAD_EVAL_FUSED_KERNEL_HPP
